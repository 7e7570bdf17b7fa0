// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// Connections: to the local instance (and the poll loop of start and
// promote), to the peer as the replication user, and the conninfo tools use
// to reach the peer.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "pgtwin/agent/context.hpp"
#include "pgtwin/agent/decisions.hpp"
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

// A libpq conninfo for tools reaching the peer (no password, no passfile:
// the backend hands tools the passfile through PGPASSFILE).
std::string peer_tool_conninfo(const Context& ctx);

}  // namespace pgtwin::agent
