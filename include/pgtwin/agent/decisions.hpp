// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// The agent's decisions as pure functions: no I/O, so every rule is a
// unit-testable table.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pgtwin/backend/backend.hpp"
#include "pgtwin/ocf/config.hpp"
#include "pgtwin/ocf/status.hpp"
#include "pgtwin/pcmk/notify.hpp"

#include "pgtwin/pcmk/cluster.hpp"
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
    bool data_present = true;                       // PG_VERSION exists
    std::optional<bool> in_recovery;                // set when SQL answered
    std::optional<pg::ClusterState> control_state;  // set when pg_controldata ran
    bool untrusted = false;                         // left by an interrupted clone/rewind, or marked for rebuild
    bool backup_label = false;                      // a base backup that never started recovery
    bool probe = false;                             // Pacemaker's probe (interval 0), not a recurring monitor
};

// An action's result: the OCF status and, for failures, the reason.
struct Outcome {
    ocf::Status status = ocf::Status::ErrGeneric;
    std::string reason;

    // The action did what was asked.
    static Outcome success() { return {ocf::Status::Success, ""}; }
    // A state to report that needs no reason (not running, running as primary).
    static Outcome state(ocf::Status status) { return {status, ""}; }
    // A failure and the one-line reason that becomes the exit reason.
    static Outcome failure(ocf::Status status, std::string reason) { return {status, std::move(reason)}; }
    // A failure from an Error: its exit code, and `what` (if any) before its message.
    static Outcome failure(const Error& e, std::string_view what = {}) {
        std::string reason = what.empty() ? e.message : std::string(what) + ": " + e.message;
        return {ocf::status_for(e.kind), std::move(reason)};
    }
};

// Monitor's state machine: SQL answer first, then pg_controldata.
Outcome classify_instance(const MonitorFacts& f);

// The replication state the primary records for its standby (node attribute
// that survives reboots). Only InSync (and a primary's own Primary) allows
// promotion.
enum class RepState { InSync, Lagging, Catchup, Disconnected, Primary };

// The attribute text of a state: "in-sync", "lagging", "catchup",
// "disconnected", "primary" (stored in the CIB, so never to be reworded).
std::string to_string(RepState state);

// The state an attribute text names; nullopt for text that names none.
std::optional<RepState> parse_rep_state(std::string_view text);

// A node's recorded replication state (its rep-state attribute), parsed once
// where it is read. Text that names no state keeps its text, for messages,
// and no state, so no decision takes it for promotable.
struct RepStateRecord {
    std::string text;               // as stored
    std::optional<RepState> state;  // the state the text names; nullopt: none
};

// The record of an attribute as read; nullopt when none is recorded.
std::optional<RepStateRecord> rep_state_record(const std::optional<std::string>& attribute);
// The record the agent writes for `state`.
RepStateRecord rep_state_record(RepState state);

// The primary's verdict on one standby.
struct StandbyVerdict {
    RepState state = RepState::Disconnected;
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
StandbyVerdict judge_standby(const std::optional<pg::ReplicationPeer>& peer, ocf::RepMode mode, pg::Lsn primary_lsn,
                             std::int64_t max_lag_bytes, std::optional<pg::Lsn> sync_floor = std::nullopt);

// synchronous_standby_names the primary should have: the standby's
// application_name while it streams, otherwise '' so writes never block.
std::string desired_sync_names(const std::optional<pg::ReplicationPeer>& peer, ocf::RepMode mode,
                               const std::string& standby_app_name);

// Whether a recorded replication state allows promotion: missing allows it
// (the notify election then decides); text that names no state does not.
bool state_allows_promotion(const std::optional<RepStateRecord>& recorded);

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
// With a backup_label present, "in production" is the state the primary had
// when it was copied, not a local crash.
enum class BackupLabel { Absent, Present };
RejoinAction decide_rejoin(const pg::ControlData& local, const std::optional<pg::InstanceStatus>& primary,
                           BackupLabel backup_label = BackupLabel::Absent);

// What a standby with no reachable primary knows when it scores itself.
struct BootstrapFacts {
    std::optional<RepStateRecord> rep_state;  // its recorded replication state
    bool was_clean_primary = false;           // its control data at start: a cleanly shut down primary
    bool forced = false;                      // force_promotion=true
};

// Score for a standby with no reachable primary, from its recorded state and
// its control data at start (a cleanly shut down primary may bootstrap).
std::optional<int> bootstrap_score(const BootstrapFacts& f);

// What start knows when it may create a new cluster. Only the first node of
// node_list may, and only when no node ever recorded data: two independent
// clusters must be impossible.
struct InitialiseFacts {
    bool mode_allows = false;           // the hosting mode may create a cluster
    std::string first_node;             // node_list's first entry ("" when empty)
    std::string node;                   // this node
    std::optional<bool> data_recorded;  // some node recorded data, or a record is unreadable; nullopt: not read
};

// Whether start may create a cluster; RecordsUnread asks to read the
// records (data_recorded) and decide again.
enum class InitialiseVerdict { Initialise, NotAllowedHere, NotFirstNode, DataRecorded, RecordsUnread };

// The initialise rule over its facts (see InitialiseFacts).
InitialiseVerdict decide_initialise(const InitialiseFacts& f);

// What monitor knows about a standby that may not be streaming.
struct StreamingFacts {
    bool streaming = false;                // its WAL receiver streams
    std::optional<bool> primary_possible;  // the peer is or may be a primary; nullopt: not probed
    bool replay_progressed = false;        // it replayed WAL since the last monitor
    int failures = 0;                      // monitors in a row without streaming, before this one
    int threshold = 1;                     // replication_failure_threshold
};

// How the standby streams, from the best case down.
enum class StreamingVerdict {
    Streaming,         // healthy: the count restarts
    NoPrimary,         // nothing to stream from: not its fault, the count restarts
    CatchingUp,        // replaying local WAL first: the count restarts
    NotStreaming,      // one more failure, below the threshold
    ThresholdReached,  // the threshold's failure: the monitor fails, the count restarts
};

// A verdict, this monitor's failure count (for the log) and the count to keep.
struct StreamingJudgement {
    StreamingVerdict verdict = StreamingVerdict::Streaming;
    int counted = 0;
    int kept = 0;
};

// The standby's streaming-failure threshold: with a primary to stream from, a
// standby that neither streams nor replays fails the monitor on the
// threshold's consecutive monitor (Pacemaker then restarts it and start
// rejoins it). A nullopt primary_possible counts as "may be a primary".
StreamingJudgement judge_streaming(const StreamingFacts& f);

// What a probe of the peer's role found. Unknown (it answers SQL but its
// role could not be read: a failed query, a timeout) must be treated as
// "possibly primary", never as "no primary".
enum class PeerRole { Absent, NotPrimary, Primary, Unknown };

// This node's recorded replication state as promote read it.
struct RecordedState {
    std::optional<RepStateRecord> state;    // nullopt: none recorded
    std::optional<std::string> read_error;  // set when it could not be read
};

// An election that a peer won: it has newer data than this node.
struct LostElection {
    std::string winner;
    std::string winner_position;  // "timeline:lsn"
    std::string own_position;
};

// What promote knows about this candidate. A fact not gathered (nullopt)
// refuses nothing: promote reads each one only while the facts before it
// allow promotion, so the reads keep the order of the refusals.
struct PromotionFacts {
    std::string peer;  // the peer's node name
    PeerRole peer_role = PeerRole::Absent;
    std::string peer_detail;                    // why its role is unknown
    bool forced = false;                        // force_promotion=true
    std::optional<RecordedState> recorded;      // nullopt: not read
    std::optional<LostElection> lost_election;  // nullopt: none held, or this node won
};

// Promote's verdict; every one but Promote and PromoteForced is a refusal.
enum class PromotionVerdict {
    Promote,          // every check passed
    PromoteForced,    // no second primary; staleness and election skipped
    PeerPrimary,      // two primaries are never allowed, even when forced
    PeerRoleUnknown,  // the peer answers and may be a primary
    StateUnreadable,  // this node's recorded state cannot be read
    NotInSync,        // the primary last saw this standby behind
    ElectionLost,     // a peer of this transition has newer data
};

// A verdict and, for a refusal, the reason (after "refusing to promote: ").
struct PromotionDecision {
    PromotionVerdict verdict = PromotionVerdict::Promote;
    std::string reason;
};

// Promote's ordered refusals: second primary (even when forced), then
// forced, then the recorded state, then the election.
PromotionDecision decide_promotion(const PromotionFacts& f);

// Members of a promotion's election, from the pre-promote notification: the
// instances active or started in this transition (the promote target among
// them), minus those being stopped. Sorted, without duplicates.
std::vector<std::string> election_members(const pcmk::NotifyData& n);

// What demote does after stopping PostgreSQL: start it again as a standby
// (a switchover, on-fail=demote), or leave it stopped because Pacemaker
// stops this instance later in the same transition (a failed primary's
// recovery, a node put in standby, a restart): the transition's lists reach
// demote too, and a standby start there would only be stopped again (on a
// crashed primary it first runs crash recovery, seconds on the failover path).
enum class AfterDemote { StartStandby, StayStopped };
AfterDemote after_demote(const pcmk::NotifyData& n, const std::string& node);

// Another member as promote sees it.
struct ElectionPeer {
    std::string node;
    bool promotable = false;                  // its recorded rep-state allows promotion
    std::optional<pg::WalPosition> position;  // published in this round's pre-promote; nullopt: none
};

// The election: the promotable peer with a position strictly newer than
// `mine` (the newest such), or nullopt when this node may be promoted. A
// peer without a position (not running, or it never published within the
// wait) or that may not be promoted cannot win, so the election never ends
// with no node promotable.
std::optional<std::string> election_winner(const pg::WalPosition& mine, const std::vector<ElectionPeer>& peers);

// This node's replication state after it was cloned from a peer: a clone of
// a standby is exactly as promotable as its source (the source's recorded
// state); a clone of a primary (or of a peer whose role is unknown) has not
// yet been judged by that primary, so it is catching up (not promotable).
// A source state whose text names no state counts as unknown: catching up.
// `source_role` is the source's role (NotPrimary: a standby).
RepState rep_state_after_clone(PeerRole source_role, const std::optional<RepStateRecord>& source_state);

// The prerequisites the running instance does not meet, each a one-line
// reason naming the fix (empty: all met). rep_mode decides whether
// synchronous_commit matters, auto_rewind whether pg_rewind's functions do.
std::vector<std::string> server_prerequisite_problems(const pg::ServerFacts& f, const std::string& rep_user,
                                                      ocf::RepMode mode, bool auto_rewind);

// Rejoin when the peer answers but its role cannot be read: a former primary
// may have diverged from a primary it cannot see, so it refuses; a standby
// starts as one (it never writes, and its monitor fails it if it cannot
// stream from a primary).
RejoinAction decide_rejoin_role_unknown(const pg::ControlData& local);

// Whether the primary may stop waiting for its synchronous standby (record it
// not promotable, then synchronous_standby_names=''), from the standby node's
// membership in this partition (nullopt: the query failed). Why: the record
// only reaches the CIB copies of this partition; a standby that is neither a
// member here nor cleanly down (fenced or left) may be promoted by another
// partition that still reads it in sync, so commits must keep waiting.
// Without fencing a lost node is reported down as well (DownUnfenced): no
// fence would ever end the wait, so that cluster accepts the risk instead.
bool may_degrade(std::optional<pcmk::Membership> peer);

}  // namespace pgtwin::agent
