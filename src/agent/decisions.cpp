// SPDX-License-Identifier: GPL-2.0-or-later
// The agent's pure decisions (decisions.hpp): monitor states, standby verdicts, rejoin, promotion, election.

#include "pgtwin/agent/decisions.hpp"
#include "pgtwin/core/text.hpp"

#include <algorithm>
#include <set>

namespace pgtwin::agent {

using ocf::Status;
using pg::ClusterState;

Outcome classify_instance(const MonitorFacts& f) {
    if (f.liveness == backend::Liveness::RuntimeHung) {
        return Outcome::failure(Status::ErrGeneric, "container runtime did not answer in time");
    }
    if (f.in_recovery.has_value()) {
        return Outcome::state(*f.in_recovery ? Status::Success : Status::RunningPromoted);
    }
    if (f.liveness == backend::Liveness::Running) {
        return Outcome::failure(Status::ErrGeneric, "PostgreSQL is running but does not accept connections");
    }
    if (!f.data_present) return Outcome::state(Status::NotRunning);
    // Not a crash and not an error: start replaces or rewinds such a directory.
    if (f.untrusted) return Outcome::state(Status::NotRunning);
    if (!f.control_state.has_value()) {
        return Outcome::failure(Status::ErrGeneric, "PostgreSQL is not running and pg_controldata gave no state");
    }
    // A probe reports what it finds. After a reboot (a fenced node) an
    // instance that did not shut down cleanly is simply not running, and start
    // recovers it; a failure here would be counted against
    // migration-threshold and make Pacemaker demote and stop what is down.
    // Only a recurring monitor, which saw it run, calls it a crash.
    if (f.probe && *f.control_state != ClusterState::Unknown) return Outcome::state(Status::NotRunning);
    switch (*f.control_state) {
        case ClusterState::ShutDown:
        case ClusterState::ShutDownInRecovery: return Outcome::state(Status::NotRunning);
        case ClusterState::InProduction:
            // A fresh clone that never ran carries the source's "in production"
            // (PAF checks backup_label the same way): a standby, not stopped.
            if (f.backup_label) return Outcome::state(Status::NotRunning);
            // A primary that stopped without a shutdown checkpoint: crashed.
            return Outcome::failure(Status::FailedPromoted,
                                    "PostgreSQL primary crashed (not running, state 'in production')");
        case ClusterState::InArchiveRecovery:
            return Outcome::failure(Status::ErrGeneric,
                                    "PostgreSQL standby crashed (not running, state 'in archive recovery')");
        default:
            return Outcome::failure(Status::ErrGeneric,
                                    "PostgreSQL is not running and its control data says it did not shut down cleanly");
    }
}

namespace {

struct RepStateName {
    RepState state;
    const char* text;
};

constexpr RepStateName kRepStateNames[] = {
    {RepState::InSync, "in-sync"},  {RepState::Lagging, "lagging"},
    {RepState::Catchup, "catchup"}, {RepState::Disconnected, "disconnected"},
    {RepState::Primary, "primary"},
};

}  // namespace

std::string to_string(RepState state) {
    for (const auto& n : kRepStateNames) {
        if (n.state == state) return n.text;
    }
    return "unknown";  // not reached: every enumerator has a row
}

std::optional<RepState> parse_rep_state(std::string_view text) {
    for (const auto& n : kRepStateNames) {
        if (text == n.text) return n.state;
    }
    return std::nullopt;
}

StandbyVerdict judge_standby(const std::optional<pg::ReplicationPeer>& peer, ocf::RepMode mode, pg::Lsn primary_lsn,
                             std::int64_t max_lag_bytes, std::optional<pg::Lsn> sync_floor) {
    // pg_basebackup's WAL stream reports a flush position (it uses a slot)
    // but advances it only per closed segment: it is never the standby.
    if (!peer || peer->application_name.rfind(kCloneAppPrefix, 0) == 0) {
        return {RepState::Disconnected, kNotPromotableScore};
    }
    if (peer->state != "streaming") return {RepState::Catchup, kNotPromotableScore};
    if (mode == ocf::RepMode::Sync) {
        // 'sync' only says later commits wait for it; what was acknowledged
        // while degraded is on the standby once it flushed up to the floor.
        bool caught_up = !sync_floor || peer->flush_lsn.value >= sync_floor->value;
        if (peer->sync_state == "sync" && caught_up) return {RepState::InSync, kStandbyScore};
        return {RepState::Lagging, kNotPromotableScore};
    }
    std::uint64_t flushed = peer->flush_lsn.value;
    std::uint64_t lag = primary_lsn.value > flushed ? primary_lsn.value - flushed : 0;
    if (lag <= static_cast<std::uint64_t>(max_lag_bytes)) return {RepState::InSync, kStandbyScore};
    return {RepState::Lagging, kNotPromotableScore};
}

std::string desired_sync_names(const std::optional<pg::ReplicationPeer>& peer, ocf::RepMode mode,
                               const std::string& standby_app_name) {
    if (mode != ocf::RepMode::Sync || !peer || peer->state != "streaming") return "";
    // Quoted as an identifier: application names may contain '-' or upper case.
    std::string quoted = "\"";
    for (char c : standby_app_name) {
        if (c == '"') quoted += '"';
        quoted += c;
    }
    return quoted + "\"";
}

std::optional<RepStateRecord> rep_state_record(const std::optional<std::string>& attribute) {
    if (!attribute) return std::nullopt;
    return RepStateRecord{*attribute, parse_rep_state(*attribute)};
}

RepStateRecord rep_state_record(RepState state) { return {to_string(state), state}; }

bool state_allows_promotion(const std::optional<RepStateRecord>& recorded) {
    if (!recorded) return true;
    return recorded->state == RepState::InSync || recorded->state == RepState::Primary;
}

PromotionDecision decide_promotion(const PromotionFacts& f) {
    using V = PromotionVerdict;
    switch (f.peer_role) {
        case PeerRole::Primary:
            return {V::PeerPrimary, "peer " + f.peer + " is a running primary; two primaries are never allowed"};
        case PeerRole::Unknown:
            return {V::PeerRoleUnknown, "peer " + f.peer + " answers but its role cannot be read (" + f.peer_detail +
                                            "); it may be a running primary"};
        case PeerRole::Absent:
        case PeerRole::NotPrimary: break;
    }
    if (f.forced) return {V::PromoteForced, ""};
    if (f.recorded && f.recorded->read_error) {
        return {V::StateUnreadable, "cannot read this node's replication state: " + *f.recorded->read_error};
    }
    if (f.recorded && !state_allows_promotion(f.recorded->state)) {
        return {V::NotInSync, "this standby was not in sync when last seen by the primary (state: " +
                                  f.recorded->state->text + "); set force_promotion=true to accept losing data"};
    }
    if (const auto& lost = f.lost_election) {
        return {V::ElectionLost, "peer " + lost->winner + " has newer data (" + lost->winner_position +
                                     ") than this node (" + lost->own_position + ")"};
    }
    return {V::Promote, ""};
}

std::optional<pg::WalPosition> parse_walpos(const std::string& text) {
    auto colon = text.find(':');
    if (colon == std::string::npos) return std::nullopt;
    auto tl = parse_number<pg::Timeline>(std::string_view(text).substr(0, colon));
    auto lsn = pg::Lsn::parse(std::string_view(text).substr(colon + 1));
    if (!tl || !lsn) return std::nullopt;
    return pg::WalPosition{*tl, *lsn};
}

std::string format_walpos(const pg::WalPosition& pos) { return std::to_string(pos.timeline) + ":" + pos.lsn.str(); }

std::vector<std::string> better_candidates(const pg::WalPosition& mine,
                                           const std::map<std::string, pg::WalPosition>& others) {
    std::vector<std::string> better;
    for (const auto& [node, pos] : others) {
        if (pos > mine) better.push_back(node);
    }
    return better;
}

RejoinAction decide_rejoin(const pg::ControlData& local, const std::optional<pg::InstanceStatus>& primary,
                           BackupLabel backup_label) {
    if (!primary) return RejoinAction::StartAsStandby;
    if (!primary->system_identifier.empty() && !local.system_identifier.empty() &&
        primary->system_identifier != local.system_identifier) {
        return RejoinAction::Refuse;
    }
    bool crashed_primary = local.state == ClusterState::InProduction && backup_label == BackupLabel::Absent;
    bool was_primary = crashed_primary || local.state == ClusterState::ShutDown;
    if (was_primary) return RejoinAction::Rewind;
    if (local.checkpoint_timeline < primary->position.timeline) return RejoinAction::Rewind;
    return RejoinAction::StartAsStandby;
}

std::optional<int> bootstrap_score(const BootstrapFacts& f) {
    if (f.forced) return kBootstrapScore;
    if (f.rep_state && !state_allows_promotion(f.rep_state)) return kNotPromotableScore;
    if (f.was_clean_primary || (f.rep_state && state_allows_promotion(f.rep_state))) return kBootstrapScore;
    return std::nullopt;
}

InitialiseVerdict decide_initialise(const InitialiseFacts& f) {
    if (!f.mode_allows) return InitialiseVerdict::NotAllowedHere;
    if (f.first_node.empty() || f.first_node != f.node) return InitialiseVerdict::NotFirstNode;
    if (!f.data_recorded) return InitialiseVerdict::RecordsUnread;
    return *f.data_recorded ? InitialiseVerdict::DataRecorded : InitialiseVerdict::Initialise;
}

StreamingJudgement judge_streaming(const StreamingFacts& f) {
    if (f.streaming) return {StreamingVerdict::Streaming, 0, 0};
    if (!f.primary_possible.value_or(true)) return {StreamingVerdict::NoPrimary, 0, 0};
    if (f.replay_progressed) return {StreamingVerdict::CatchingUp, 0, 0};
    int counted = f.failures + 1;
    if (counted < f.threshold) return {StreamingVerdict::NotStreaming, counted, counted};
    return {StreamingVerdict::ThresholdReached, counted, 0};
}

std::vector<std::string> election_members(const pcmk::NotifyData& n) {
    std::set<std::string> members(n.active.begin(), n.active.end());
    members.insert(n.start.begin(), n.start.end());
    members.insert(n.promote.begin(), n.promote.end());
    for (const auto& node : n.stop) members.erase(node);
    return {members.begin(), members.end()};
}

AfterDemote after_demote(const pcmk::NotifyData& n, const std::string& node) {
    return std::find(n.stop.begin(), n.stop.end(), node) != n.stop.end() ? AfterDemote::StayStopped
                                                                         : AfterDemote::StartStandby;
}

std::optional<std::string> election_winner(const pg::WalPosition& mine, const std::vector<ElectionPeer>& peers) {
    std::optional<std::string> winner;
    pg::WalPosition best = mine;
    for (const auto& p : peers) {
        if (!p.promotable || !p.position || !(*p.position > best)) continue;
        best = *p.position;
        winner = p.node;
    }
    return winner;
}

RepState rep_state_after_clone(PeerRole source_role, const std::optional<RepStateRecord>& source_state) {
    if (source_role != PeerRole::NotPrimary || !source_state) return RepState::Catchup;
    return source_state->state.value_or(RepState::Catchup);
}

std::vector<std::string> server_prerequisite_problems(const pg::ServerFacts& f, const std::string& rep_user,
                                                      ocf::RepMode mode, bool auto_rewind) {
    std::vector<std::string> problems;
    if (f.hot_standby != "on") {
        problems.push_back("hot_standby is '" + f.hot_standby +
                           "': a standby must accept connections (set hot_standby = on)");
    }
    if (mode == ocf::RepMode::Sync && (f.synchronous_commit == "off" || f.synchronous_commit == "local")) {
        problems.push_back("synchronous_commit is '" + f.synchronous_commit +
                           "': rep_mode=sync needs remote_write, on or remote_apply, or 'in-sync' means nothing");
    }
    if (f.version_num >= 170000 && f.allow_alter_system.value_or("on") != "on") {
        problems.emplace_back(
            "allow_alter_system is off: the agent manages synchronous_standby_names with ALTER SYSTEM");
    }
    if (!f.rep_user_exists) {
        problems.push_back("rep_user " + rep_user + " does not exist (CREATE ROLE " + rep_user +
                           " WITH REPLICATION LOGIN)");
        return problems;
    }
    if (!f.rep_user_replication) {
        problems.push_back("rep_user " + rep_user + " lacks the REPLICATION attribute (ALTER ROLE " + rep_user +
                           " WITH REPLICATION)");
    }
    if (!f.rep_user_pg_monitor) {
        problems.push_back("rep_user " + rep_user + " is not a member of pg_monitor (GRANT pg_monitor TO " + rep_user +
                           ")");
    }
    if (auto_rewind && !f.rep_user_rewind_functions) {
        problems.push_back("rep_user " + rep_user +
                           " may not run the functions pg_rewind needs (GRANT EXECUTE ON FUNCTION pg_ls_dir(text, "
                           "boolean, boolean), pg_stat_file(text, boolean), pg_read_binary_file(text), "
                           "pg_read_binary_file(text, bigint, bigint, boolean) TO " +
                           rep_user + ")");
    }
    return problems;
}

RejoinAction decide_rejoin_role_unknown(const pg::ControlData& local) {
    bool was_primary = local.state == ClusterState::InProduction || local.state == ClusterState::ShutDown;
    return was_primary ? RejoinAction::Refuse : RejoinAction::StartAsStandby;
}

bool may_degrade(std::optional<pcmk::Membership> peer) {
    if (!peer) return false;
    // DownUnfenced too: without fencing, waiting for a lost standby would
    // block commits for good, and no fence would ever end the wait.
    return *peer == pcmk::Membership::Member || *peer == pcmk::Membership::CleanDown ||
           *peer == pcmk::Membership::DownUnfenced;
}

}  // namespace pgtwin::agent
