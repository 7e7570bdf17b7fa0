// SPDX-License-Identifier: GPL-2.0-or-later
// Reading the facts for `pgtwin status`: read-only, one local and at most
// one peer session, pg_controldata only when PostgreSQL is down.
#include <cstdlib>
#include <filesystem>

#include "pgtwin/agent/clone_job.hpp"
#include "pgtwin/agent/connections.hpp"
#include "pgtwin/agent/data_dir.hpp"
#include "pgtwin/agent/publish.hpp"
#include "pgtwin/agent/status.hpp"
#include "pgtwin/agent/timing.hpp"
#include "pgtwin/storage/snapshots.hpp"
#include "pgtwin/sys/detach.hpp"

namespace fs = std::filesystem;

namespace pgtwin::agent {

namespace {

// Sizes are summed only while cheap: a walk that meets more entries gives up.
constexpr std::size_t kMaxSizeEntries = 20000;

std::optional<std::uint64_t> tree_bytes(const fs::path& dir) {
    std::error_code ec;
    std::uint64_t total = 0;
    std::size_t seen = 0;
    fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (++seen > kMaxSizeEntries) return std::nullopt;
        if (it->is_regular_file(ec)) total += it->file_size(ec);
    }
    if (ec) return std::nullopt;
    return total;
}

std::int64_t lsn_diff(pg::Lsn a, pg::Lsn b) {
    return a.value >= b.value ? static_cast<std::int64_t>(a.value - b.value) : 0;
}

void read_standby_sql(pg::Session& s, Context& ctx, NodeFacts& n, const std::optional<pg::Lsn>& primary_lsn) {
    auto d = ctx.deadline.capped(kStatusLocalCap);
    auto r = s.query(
        "SELECT pg_last_wal_receive_lsn()::text, pg_last_wal_replay_lsn()::text,"
        " extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8::text",
        {}, d);
    if (r && !r->rows.empty() && r->rows[0].size() == 3) {
        const auto& row = r->rows[0];
        auto recv = row[0] ? pg::Lsn::parse(*row[0]) : std::nullopt;
        auto replay = row[1] ? pg::Lsn::parse(*row[1]) : std::nullopt;
        if (replay && primary_lsn) n.replay_lag_bytes = lsn_diff(*primary_lsn, *replay);
        else if (replay && recv) n.replay_lag_bytes = lsn_diff(*recv, *replay);
        if (row[2]) {
            char* end = nullptr;
            double secs = std::strtod(row[2]->c_str(), &end);
            if (end != row[2]->c_str()) n.replay_lag_seconds = secs;
        }
    } else if (!r) {
        n.errors.push_back("replay position: " + r.error().message);
    }
    auto wr = pg::wal_receiver(s, d);
    if (wr) n.wal_receiver_streaming = wr->has_value() && (*wr)->status == "streaming";
    else n.errors.push_back("wal receiver: " + wr.error().message);
}

// The standby's pg_stat_replication row (as rep_user on the peer, the
// walsender's own role, the row is fully visible).
void read_primary_sql(pg::Session& s, Context& ctx, NodeFacts& n, pg::Lsn current, const std::string& standby) {
    auto rows = pg::replication_peers(s, ctx.deadline.capped(kStatusLocalCap));
    if (!rows) {
        n.errors.push_back("pg_stat_replication: " + rows.error().message);
        return;
    }
    const pg::ReplicationPeer* pick = nullptr;
    for (const auto& r : *rows) {
        if (!pick || r.application_name == standby) pick = &r;
    }
    if (!pick) return;
    n.standby = StandbyRowFacts{pick->state, pick->sync_state, lsn_diff(current, pick->flush_lsn)};
}

// Role, timeline and LSN from pg_controldata when PostgreSQL is down.
void read_stopped(Context& ctx, NodeFacts& n) {
    if (!data_present(ctx)) {
        n.role = "no-data";
        return;
    }
    if (!control_file_present(ctx)) {
        n.role = "stopped";
        return;
    }
    auto cd = read_controldata(ctx);
    if (!cd) {
        n.errors.push_back("pg_controldata: " + cd.error().message);
        return;
    }
    using pg::ClusterState;
    bool clean = cd->state == ClusterState::ShutDown || cd->state == ClusterState::ShutDownInRecovery;
    n.role = clean ? "stopped" : "crashed";
    n.timeline = cd->checkpoint_timeline;
    n.lsn = cd->checkpoint_lsn.str();
}

void read_local_instance(Context& ctx, NodeFacts& n, const std::optional<pg::InstanceStatus>& peer) {
    auto session = connect_local(ctx, kStatusLocalCap);
    if (session) {
        auto st = pg::instance_status(**session, ctx.deadline.capped(kStatusLocalCap));
        if (st) {
            n.role = st->in_recovery ? "standby" : "primary";
            n.timeline = st->position.timeline;
            n.lsn = st->position.lsn.str();
            std::optional<pg::Lsn> primary_lsn;
            if (peer && !peer->in_recovery) primary_lsn = peer->position.lsn;
            if (st->in_recovery) read_standby_sql(**session, ctx, n, primary_lsn);
            else read_primary_sql(**session, ctx, n, st->position.lsn, ctx.peer);
            return;
        }
        n.errors.push_back("status query: " + st.error().message);
    }
    auto live = ctx.backend.liveness(ctx.deadline.capped(kStatusLocalCap));
    if (live && *live == backend::Liveness::Stopped) return read_stopped(ctx, n);
    if (!session) n.errors.push_back("local connection: " + session.error().message);
}

void read_pacemaker(Context& ctx, NodeFacts& n) {
    auto names = attribute_names(ctx.resource);
    auto d = ctx.deadline.capped(kStatusPcmkCap);
    if (auto a = ctx.cluster.attribute(n.node, names.rep_state, pcmk::Lifetime::Forever, d)) n.rep_state = *a;
    else n.errors.push_back("replication state attribute: " + a.error().message);
    if (auto s = ctx.cluster.promotion_score(n.node, d)) n.promotion_score = *s;
    else n.errors.push_back("promotion score: " + s.error().message);
}

void read_clone_job(Context& ctx, NodeFacts& n) {
    auto s = load_clone_state(ctx);
    if (!s) return;
    auto probe = [](long pid) { return sys::process_start_time(static_cast<pid_t>(pid)); };
    n.clone_job =
        CloneJobFacts{s->phase,           s->pid,  clone_job_alive(*s, probe), s->done_kb * 1024, s->total_kb * 1024,
                      s->rate_kbs * 1024, s->error};
}

void read_data_dir(Context& ctx, NodeFacts& n) {
    switch (data_trust(ctx)) {
        case DataTrust::Trusted: break;
        case DataTrust::PartialClone: n.in_progress = "clone"; break;
        case DataTrust::PartialRewind: n.in_progress = "rewind"; break;
        case DataTrust::NeedsRebuild: n.in_progress = "rebuild"; break;
        case DataTrust::NoControlFile: n.in_progress = "no-control-file"; break;
    }
    fs::path data = data_dir_path(ctx);
    if (!n.in_progress.empty()) n.pgdata_bytes = tree_bytes(data);
    read_clone_job(ctx, n);
    fs::path base = ctx.cfg.backup_dir.empty() ? data.parent_path() : fs::path(ctx.cfg.backup_dir);
    std::string prefix = data.filename().string() + ".pgtwin-backup-";
    std::error_code ec;
    for (fs::directory_iterator it(base, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        if (it->path().filename().string().rfind(prefix, 0) != 0) continue;
        n.data_copies.push_back({it->path().string(), tree_bytes(it->path())});
    }
    n.data_fs_free_share = storage::free_share(data.string());
    // Snapshots lie beside the subvolume that holds pgdata (no btrfs command:
    // a directory listing is enough to report them).
    if (storage::on_btrfs(data.parent_path().string())) {
        for (const auto& s : storage::list_snapshots(data.parent_path().string())) {
            n.snapshots.push_back({s.path, s.automatic});
        }
    }
}

std::optional<pg::InstanceStatus> read_peer(Context& ctx, NodeFacts& n) {
    auto session = connect_peer(ctx, kStatusPeerCap);
    if (!session) {
        n.errors.push_back("peer connection: " + session.error().message);
        return std::nullopt;
    }
    auto st = pg::instance_status(**session, ctx.deadline.capped(kStatusPeerCap));
    if (!st) {
        n.errors.push_back("peer status query: " + st.error().message);
        return std::nullopt;
    }
    n.role = st->in_recovery ? "standby" : "primary";
    n.timeline = st->position.timeline;
    n.lsn = st->position.lsn.str();
    if (!st->in_recovery) read_primary_sql(**session, ctx, n, st->position.lsn, ctx.node);
    return *st;
}

}  // namespace

StatusFacts collect_status(Context& ctx) {
    StatusFacts f;
    f.resource = ctx.resource;
    f.mode = ctx.backend.mode_name();
    f.rep_mode = ctx.cfg.rep_mode == ocf::RepMode::Sync ? "sync" : "async";
    f.max_promotion_lag_bytes = ctx.cfg.max_promotion_lag_bytes;
    f.auto_basebackup = ctx.cfg.auto_basebackup;
    f.snapshot_min_free = ctx.cfg.snapshot_min_free;
    f.local.node = ctx.node;
    std::optional<pg::InstanceStatus> peer_status;
    if (!ctx.peer.empty()) {
        f.peer = NodeFacts{};
        f.peer->node = ctx.peer;
        peer_status = read_peer(ctx, *f.peer);
        read_pacemaker(ctx, *f.peer);
    }
    read_local_instance(ctx, f.local, peer_status);
    read_pacemaker(ctx, f.local);
    read_data_dir(ctx, f.local);
    return f;
}

}  // namespace pgtwin::agent
