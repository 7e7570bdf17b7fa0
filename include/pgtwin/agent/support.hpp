#pragma once
// Building blocks shared by the OCF actions: connections to the local
// instance and the peer, PostgreSQL tools, control data.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pgtwin/agent/context.hpp"
#include "pgtwin/pg/controldata.hpp"
#include "pgtwin/pg/queries.hpp"

namespace pgtwin::agent {

// Connects to the local instance (socket), bounded by `cap` and the deadline.
Result<std::unique_ptr<pg::Session>> connect_local(Context& ctx, Millis cap);

// The peer's address: node_addresses entry, else its node name.
std::string peer_host(const Context& ctx);

// Connection parameters for the peer as the replication user.
pg::ConnParams peer_conn_params(const Context& ctx);

// Connects to the peer (normal connection as rep_user), bounded by `cap`.
Result<std::unique_ptr<pg::Session>> connect_peer(Context& ctx, Millis cap);

// The peer's status when it is a reachable primary; nullopt otherwise.
std::optional<pg::InstanceStatus> find_peer_primary(Context& ctx);

// True when the data directory holds a cluster (PG_VERSION exists).
bool data_present(const Context& ctx);

// True when global/pg_control exists. pg_basebackup sends it last, so
// PG_VERSION without it is an unfinished clone that pg_controldata cannot read.
bool control_file_present(const Context& ctx);

// True when backup_label exists: a base backup that never started recovery.
bool backup_label_present(const Context& ctx);

// Runs a PostgreSQL tool through the backend, bounded by `cap` and the deadline.
Result<sys::CommandResult> run_tool(Context& ctx, backend::Tool tool, std::vector<std::string> args, Millis cap);

// Runs pg_controldata on the (stopped) data directory and parses it.
Result<pg::ControlData> read_controldata(Context& ctx);

// The last `n` non-empty lines of `text`, joined with "; " (for exit reasons).
std::string tail_lines(const std::string& text, std::size_t n);

// A libpq conninfo for tools reaching the peer (no password, no passfile:
// the backend hands tools the passfile through PGPASSFILE).
std::string peer_tool_conninfo(const Context& ctx);

}  // namespace pgtwin::agent
