#pragma once
// The agent's decisions as pure functions: no I/O, so every rule is a
// unit-testable table.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pgtwin/backend/backend.hpp"
#include "pgtwin/ocf/config.hpp"
#include "pgtwin/ocf/status.hpp"
#include "pgtwin/pg/controldata.hpp"
#include "pgtwin/pg/lsn.hpp"
#include "pgtwin/pg/queries.hpp"

namespace pgtwin::agent {

// Score the primary publishes for itself and for a promotable standby.
inline constexpr int kPrimaryScore = 1001;
inline constexpr int kStandbyScore = 1000;
// Small positive score of a candidate when no primary exists (first start).
inline constexpr int kBootstrapScore = 1;
// Score of a standby that must not be promoted.
inline constexpr int kNotPromotableScore = -1000;

// What the local instance looks like to monitor.
struct MonitorFacts {
    backend::Liveness liveness = backend::Liveness::Stopped;
    bool data_present = true;                      // PG_VERSION exists
    std::optional<bool> in_recovery;               // set when SQL answered
    std::optional<pg::ClusterState> control_state; // set when pg_controldata ran
};

// An action's result: the OCF status and, for failures, the reason.
struct Outcome {
    ocf::Status status = ocf::Status::ErrGeneric;
    std::string reason;
};

// Monitor's state machine: SQL answer first, then pg_controldata.
Outcome classify_instance(const MonitorFacts& f);

// The replication state the primary records for its standby (node attribute
// that survives reboots). Only kInSync makes a standby promotable.
inline constexpr const char* kStateInSync = "in-sync";
inline constexpr const char* kStateLagging = "lagging";
inline constexpr const char* kStateCatchup = "catchup";
inline constexpr const char* kStateDisconnected = "disconnected";
inline constexpr const char* kStatePrimary = "primary";

// The primary's verdict on one standby.
struct StandbyVerdict {
    std::string state;  // one of the kState* values
    int score = kNotPromotableScore;
};

// application_name prefix of the PostgreSQL tools' connections
// (pg_basebackup, pg_rewind): "pgtwin-clone-<node>". Such a connection is
// never the standby, whatever it reports.
inline constexpr const char* kCloneAppPrefix = "pgtwin-clone-";

// Judges the standby from its pg_stat_replication row (nullopt: not connected;
// a tool's row counts as not connected). sync mode: promotable only while it
// is the synchronous standby and, when `sync_floor` is set (the primary's LSN
// right after it named the standby synchronous), has flushed up to it; async
// mode: promotable while streaming within max_promotion_lag_bytes of `primary_lsn`.
StandbyVerdict judge_standby(const std::optional<pg::ReplicationPeer>& peer, ocf::RepMode mode,
                             pg::Lsn primary_lsn, std::int64_t max_lag_bytes,
                             std::optional<pg::Lsn> sync_floor = std::nullopt);

// synchronous_standby_names the primary should have: the standby's
// application_name while it streams, otherwise '' so writes never block.
std::string desired_sync_names(const std::optional<pg::ReplicationPeer>& peer, ocf::RepMode mode,
                               const std::string& standby_app_name);

// Whether a recorded replication state allows promotion (missing: allowed,
// the notify election then decides).
bool state_allows_promotion(const std::optional<std::string>& rep_state);

// Parses "timeline:lsn" as published in the walpos attribute.
std::optional<pg::WalPosition> parse_walpos(const std::string& text);
// Formats a position as "timeline:lsn".
std::string format_walpos(const pg::WalPosition& pos);

// Election: the nodes whose position is strictly better than `mine`.
std::vector<std::string> better_candidates(const pg::WalPosition& mine,
                                           const std::map<std::string, pg::WalPosition>& others);

// How a stopped data directory must be brought back as a standby.
enum class RejoinAction {
    StartAsStandby,  // nothing diverged (or nothing to compare with)
    Rewind,          // run pg_rewind from the primary first
    Refuse,          // different cluster (system identifier mismatch)
};

// Decides rejoin from the local control data and the primary's status.
// Why rewind: a node that was a primary or is on an older timeline may hold
// WAL the new primary never had; pg_rewind itself reports "no rewind
// required" when it is not diverged, so it is the safe default.
RejoinAction decide_rejoin(const pg::ControlData& local, const std::optional<pg::InstanceStatus>& primary);

// Score for a standby with no reachable primary, from its recorded state and
// its control data at start (a cleanly shut down primary may bootstrap).
std::optional<int> bootstrap_score(const std::optional<std::string>& rep_state, bool was_clean_primary,
                                   bool force_promotion);

}  // namespace pgtwin::agent
