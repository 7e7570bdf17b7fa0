// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// Building blocks shared by the OCF actions: connections to the local
// instance and the peer, PostgreSQL tools, control data.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pgtwin/agent/context.hpp"
#include "pgtwin/agent/decisions.hpp"
#include "pgtwin/pg/controldata.hpp"
#include "pgtwin/pg/queries.hpp"

namespace pgtwin::agent {

// Connects to the local instance (socket), bounded by `cap` and the deadline.
Result<std::unique_ptr<pg::Session>> connect_local(Context& ctx, Millis cap);

// The peer's address: node_addresses entry, else its node name.
std::string peer_host(const Context& ctx);

// Connection parameters for the peer as the replication user.
pg::ConnParams peer_conn_params(const Context& ctx);

// What poll_local does with a connection that fails.
enum class ConnectErrors {
    Ignore,  // keep polling; the timeout names only what did not happen
    Report,  // a refusal fails at once; the timeout names the last error
};

// How poll_local waits: its pause between looks, the message of its
// Timeout error, and what it does with failed connections.
struct LocalPoll {
    Millis interval;
    std::string_view timeout_reason;
    ConnectErrors connect_errors = ConnectErrors::Ignore;
};

// Connects to the local instance and reads its status (each bounded by
// kLocalCap) every `poll.interval` until `until(status)` holds, and returns
// that status. Gives up with a Timeout once the deadline leaves no more
// than one interval.
Result<pg::InstanceStatus> poll_local(Context& ctx, const LocalPoll& poll,
                                      const std::function<bool(const pg::InstanceStatus&)>& until);

// Connects to the peer (normal connection as rep_user), bounded by `cap`.
Result<std::unique_ptr<pg::Session>> connect_peer(Context& ctx, Millis cap);

// The peer's role and, when it is a primary, its status.
struct PeerProbe {
    PeerRole role = PeerRole::Absent;
    std::optional<pg::InstanceStatus> primary;  // set when role == Primary
    std::string detail;                         // why Absent/Unknown (for logs and exit reasons)
    // True when the peer may run read-write (Primary or Unknown).
    bool possibly_primary() const { return role == PeerRole::Primary || role == PeerRole::Unknown; }
};

// Probes the peer's role with a query that needs no grant (role_status).
PeerProbe find_peer_primary(Context& ctx);

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

// A libpq conninfo for tools reaching the peer (no password, no passfile:
// the backend hands tools the passfile through PGPASSFILE).
std::string peer_tool_conninfo(const Context& ctx);

// Private attribute holding the election members this node's pre-promote
// notification saw (promote runs without the notify variables).
std::string election_attribute(const std::string& resource);

// Logs a warning "Could not <what>." with the reason when `result` failed:
// the one way to go on after a write whose failure must not fail the action.
void warn_unless_ok(const Result<void>& result, std::string_view what);

// Runs an attribute write until it succeeds: at most 3 attempts, a short
// pause between them, within the deadline; each failure is logged with
// `what`. Returns the last result, so no failed write goes unnoticed.
Result<void> write_with_retries(Context& ctx, const std::string& what, const std::function<Result<void>()>& write);

}  // namespace pgtwin::agent
