// SPDX-License-Identifier: GPL-2.0-or-later
// Pure parts of `pgtwin status`: the "next" line, JSON and text rendering.
#include "pgtwin/agent/status.hpp"

#include <cmath>
#include <map>

#include <fmt/format.h>

#include "pgtwin/agent/decisions.hpp"
#include "pgtwin/pg/lsn.hpp"

namespace pgtwin::agent {

namespace {

using nlohmann::json;

template <typename T>
json opt(const std::optional<T>& v) {
    return v ? json(*v) : json(nullptr);
}

std::string repair_step(const StatusFacts& f) {
    const std::string& p = f.local.in_progress;
    if (f.local.clone_job && f.local.clone_job->alive) {
        return "clone job running (" + f.local.clone_job->phase + "): not promotable until it streams";
    }
    if (p == "clone") return "start will re-clone: interrupted clone";
    if (p == "rewind") return "start will rewind again (else re-clone): interrupted pg_rewind";
    if (p == "rebuild") return "start will re-clone: marked for rebuild (its WAL is gone on the primary)";
    if (p == "no-control-file") return "start will set the data aside and re-clone: no global/pg_control";
    return {};
}

std::string standby_step(const StatusFacts& f) {
    const NodeFacts& n = f.local;
    auto recorded = rep_state_record(n.rep_state);
    if (recorded && !state_allows_promotion(recorded)) {
        std::string why = recorded->text;
        if (recorded->state == RepState::Lagging && n.replay_lag_bytes) {
            why += " " + human_bytes(*n.replay_lag_bytes);
        }
        return "standby not promotable: " + why;
    }
    if (n.wal_receiver_streaming && !*n.wal_receiver_streaming) {
        return "standby not promotable: WAL receiver not streaming";
    }
    if (n.promotion_score && *n.promotion_score < 0) return "standby not promotable: negative promotion score";
    return "promotable";
}

std::string primary_step(const StatusFacts& f) {
    const auto& s = f.local.standby;
    if (!s) return "primary; no standby connected (writes do not wait for one)";
    if (s->state != "streaming") return "primary; standby " + s->state + ", not promotable yet";
    if (f.rep_mode == "sync" && s->sync_state != "sync") {
        return "primary; standby streams but is not synchronous yet (" + s->sync_state + ")";
    }
    if (f.rep_mode == "async" && s->flush_lag_bytes && *s->flush_lag_bytes > f.max_promotion_lag_bytes) {
        return "primary; standby lagging " + human_bytes(*s->flush_lag_bytes) + ", not promotable";
    }
    return "primary; standby promotable";
}

json node_json(const NodeFacts& n) {
    json standby = nullptr;
    if (n.standby) {
        standby = {{"state", n.standby->state},
                   {"sync_state", n.standby->sync_state},
                   {"flush_lag_bytes", opt(n.standby->flush_lag_bytes)}};
    }
    json copies = json::array();
    for (const auto& c : n.data_copies) copies.push_back({{"path", c.path}, {"bytes", opt(c.bytes)}});
    json snapshots = json::array();
    for (const auto& sn : n.snapshots) snapshots.push_back({{"path", sn.path}, {"automatic", sn.automatic}});
    json free_percent = nullptr;
    if (n.data_fs_free_share) free_percent = std::round(*n.data_fs_free_share * 1000) / 10;
    json job = nullptr;
    if (n.clone_job) {
        const auto& c = *n.clone_job;
        job = {{"phase", c.phase},
               {"pid", c.pid},
               {"alive", c.alive},
               {"done_bytes", c.done_bytes},
               {"total_bytes", c.total_bytes},
               {"rate_bytes_per_second", c.rate_bytes_per_second},
               {"error", c.error.empty() ? json(nullptr) : json(c.error)}};
    }
    return {{"node", n.node},
            {"role", n.role},
            {"timeline", opt(n.timeline)},
            {"lsn", n.lsn.empty() ? json(nullptr) : json(n.lsn)},
            {"replay_lag_bytes", opt(n.replay_lag_bytes)},
            {"replay_lag_seconds", opt(n.replay_lag_seconds)},
            {"wal_receiver_streaming", opt(n.wal_receiver_streaming)},
            {"standby", standby},
            {"replication_state", opt(n.rep_state)},
            {"promotion_score", opt(n.promotion_score)},
            {"in_progress", n.in_progress.empty() ? json(nullptr) : json(n.in_progress)},
            {"pgdata_bytes", opt(n.pgdata_bytes)},
            {"data_copies", copies},
            {"snapshots", snapshots},
            {"data_fs_free_percent", free_percent},
            {"clone_job", job},
            {"errors", n.errors}};
}

template <typename T>
std::string or_dash(const std::optional<T>& v) {
    return v ? fmt::format("{}", *v) : std::string("-");
}

std::string node_text(const NodeFacts& n, const std::string& title) {
    std::string out = fmt::format("{} {}: {}\n", title, n.node.empty() ? "?" : n.node, n.role);
    out += fmt::format("  timeline {}  lsn {}\n", or_dash(n.timeline), n.lsn.empty() ? "-" : n.lsn);
    if (n.replay_lag_bytes || n.replay_lag_seconds || n.wal_receiver_streaming) {
        out += fmt::format(
            "  replay lag {} / {} s  wal receiver {}\n", n.replay_lag_bytes ? human_bytes(*n.replay_lag_bytes) : "-",
            n.replay_lag_seconds ? fmt::format("{:.1f}", *n.replay_lag_seconds) : "-",
            n.wal_receiver_streaming ? (*n.wal_receiver_streaming ? "streaming" : "not streaming") : "-");
    }
    if (n.standby) {
        out += fmt::format("  standby: {} {} flush lag {}\n", n.standby->state, n.standby->sync_state,
                           n.standby->flush_lag_bytes ? human_bytes(*n.standby->flush_lag_bytes) : "-");
    }
    out +=
        fmt::format("  replication state {}  promotion score {}\n", or_dash(n.rep_state), or_dash(n.promotion_score));
    if (!n.in_progress.empty()) {
        out += fmt::format("  in progress: {} (pgdata {})\n", n.in_progress,
                           n.pgdata_bytes ? human_bytes(static_cast<std::int64_t>(*n.pgdata_bytes)) : "-");
    }
    if (n.clone_job) {
        const auto& c = *n.clone_job;
        out += fmt::format("  clone job: {}{} {} of {} at {}/s (pid {}){}\n", c.phase, c.alive ? "" : " (not running)",
                           human_bytes(c.done_bytes), human_bytes(c.total_bytes),
                           human_bytes(static_cast<std::int64_t>(c.rate_bytes_per_second)), c.pid,
                           c.error.empty() ? "" : ": " + c.error);
    }
    for (const auto& c : n.data_copies) {
        out += fmt::format("  kept copy: {} ({})\n", c.path,
                           c.bytes ? human_bytes(static_cast<std::int64_t>(*c.bytes)) : "-");
    }
    for (const auto& sn : n.snapshots) {
        out += fmt::format("  snapshot: {}{}\n", sn.path, sn.automatic ? "" : " (manual)");
    }
    if (n.data_fs_free_share) out += fmt::format("  data file system: {:.0f}% free\n", *n.data_fs_free_share * 100);
    for (const auto& e : n.errors) out += "  note: " + e + "\n";
    return out;
}

std::string label_value(const std::string& v) {
    std::string out;
    for (char c : v) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

// Samples by metric name: the exposition format wants each family in one group.
using Families = std::map<std::string, std::string>;

// Adds the samples of one node; unknown facts produce no sample.
void node_metrics(Families& out, const std::string& rsc, const NodeFacts& n) {
    std::string l = fmt::format(R"(resource="{}",node="{}")", label_value(rsc), label_value(n.node));
    auto sample = [&](const char* name, const std::string& extra, double v) {
        out[name] += fmt::format("pgtwin_{}{{{}{}}} {}\n", name, l, extra, v);
    };
    sample("role", fmt::format(",role=\"{}\"", label_value(n.role)), 1);
    if (n.timeline) sample("timeline", "", *n.timeline);
    if (auto lsn = pg::Lsn::parse(n.lsn)) sample("lsn_bytes", "", static_cast<double>(lsn->value));
    if (n.replay_lag_bytes) sample("replay_lag_bytes", "", static_cast<double>(*n.replay_lag_bytes));
    if (n.replay_lag_seconds) sample("replay_lag_seconds", "", *n.replay_lag_seconds);
    if (n.wal_receiver_streaming) sample("wal_receiver_streaming", "", *n.wal_receiver_streaming ? 1 : 0);
    if (n.standby) {
        bool sync = n.standby->sync_state == "sync" || n.standby->sync_state == "quorum";
        sample("standby_streaming", "", n.standby->state == "streaming" ? 1 : 0);
        sample("standby_sync", "", sync ? 1 : 0);
        if (n.standby->flush_lag_bytes)
            sample("standby_flush_lag_bytes", "", static_cast<double>(*n.standby->flush_lag_bytes));
    }
    if (n.rep_state) sample("replication_state", fmt::format(",state=\"{}\"", label_value(*n.rep_state)), 1);
    if (n.promotion_score) sample("promotion_score", "", *n.promotion_score);
    if (!n.in_progress.empty()) sample("repair_pending", fmt::format(",kind=\"{}\"", n.in_progress), 1);
    sample("data_copies", "", static_cast<double>(n.data_copies.size()));
    if (!n.snapshots.empty()) sample("snapshots", "", static_cast<double>(n.snapshots.size()));
    if (n.data_fs_free_share) sample("data_fs_free_ratio", "", *n.data_fs_free_share);
}

}  // namespace

std::string status_prometheus(const StatusFacts& f) {
    Families families;
    node_metrics(families, f.resource, f.local);
    if (f.peer) node_metrics(families, f.resource, *f.peer);
    std::string out;
    for (const auto& [name, samples] : families) out += fmt::format("# TYPE pgtwin_{} gauge\n{}", name, samples);
    return out;
}

std::string human_bytes(std::int64_t bytes) {
    if (bytes < 1024) return fmt::format("{} B", bytes);
    const char* units[] = {"kB", "MB", "GB", "TB"};
    double v = static_cast<double>(bytes) / 1024.0;
    std::size_t u = 0;
    while (v >= 1024.0 && u + 1 < std::size(units)) {
        v /= 1024.0;
        ++u;
    }
    return fmt::format("{:.1f} {}", v, units[u]);
}

std::string next_step(const StatusFacts& f) {
    if (auto r = repair_step(f); !r.empty()) return r;
    const std::string& role = f.local.role;
    // A peer that is not known to be a reachable primary cannot be cloned or rewound from.
    bool primary_up = f.peer && f.peer->role == "primary";
    if (role == "no-data") {
        if (!f.auto_basebackup) return "start will fail: no data and auto_basebackup=false";
        return primary_up ? "start will clone from the primary (no data yet)"
                          : "start will fail until a primary answers: no data to clone";
    }
    if ((role == "crashed" || role == "stopped") && !primary_up) {
        return "start will run it as standby; no primary answers, so the election decides promotion";
    }
    if (role == "crashed") return "start will run crash recovery, then rejoin as standby (rewind if diverged)";
    if (role == "stopped") return "start will rejoin as standby (rewind if diverged)";
    if (role == "standby") return standby_step(f);
    if (role == "primary") return primary_step(f);
    return "unknown: the local instance could not be read";
}

json status_json(const StatusFacts& f) {
    return {{"schema_version", 1},
            {"resource", f.resource},
            {"mode", f.mode},
            {"rep_mode", f.rep_mode},
            {"max_promotion_lag_bytes", f.max_promotion_lag_bytes},
            {"snapshot_min_free_percent", f.snapshot_min_free},
            {"local", node_json(f.local)},
            {"peer", f.peer ? node_json(*f.peer) : json(nullptr)},
            {"next", next_step(f)}};
}

std::string status_text(const StatusFacts& f) {
    std::string out = fmt::format("resource {} ({} mode, rep_mode {})\n", f.resource, f.mode, f.rep_mode);
    out += node_text(f.local, "local");
    if (f.local.data_fs_free_share && f.snapshot_min_free > 0 &&
        *f.local.data_fs_free_share * 100 < f.snapshot_min_free) {
        out += fmt::format(
            "  warning: data file system below snapshot_min_free ({}%): the agent deletes its older "
            "snapshots; add space if it stays there\n",
            f.snapshot_min_free);
    }
    if (f.peer) out += node_text(*f.peer, "peer");
    out += "next: " + next_step(f) + "\n";
    return out;
}

}  // namespace pgtwin::agent
