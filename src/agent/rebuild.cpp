// SPDX-License-Identifier: GPL-2.0-or-later
// Rebuilding a data directory: waiting for the peer, setting old data aside, pg_rewind, peer slots.

#include "pgtwin/agent/rebuild.hpp"

#include <chrono>
#include <filesystem>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "pgtwin/agent/clone_job.hpp"
#include "pgtwin/agent/connections.hpp"
#include "pgtwin/agent/data_dir.hpp"
#include "pgtwin/agent/replication.hpp"
#include "pgtwin/agent/safety_snapshot.hpp"
#include "pgtwin/agent/timing.hpp"
#include "pgtwin/core/text.hpp"
#include "pgtwin/sys/files.hpp"

namespace fs = std::filesystem;

namespace pgtwin::agent {

namespace {

Result<void> empty_directory(const std::string& dir) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        fs::remove_all(entry.path(), ec);
        if (ec) return fail(ErrorKind::Generic, "cannot remove " + entry.path().string() + ": " + ec.message());
    }
    if (ec) return fail(ErrorKind::Generic, "cannot read " + dir + ": " + ec.message());
    return ok();
}

std::string backup_path(const Context& ctx) {
    auto now = std::chrono::system_clock::now();
    std::string stamp = fmt::format("{:%Y%m%d-%H%M%S}", fmt::localtime(std::chrono::system_clock::to_time_t(now)));
    fs::path data = data_dir_path(ctx);  // a trailing '/' would put the target inside pgdata
    fs::path base = ctx.cfg.backup_dir.empty() ? data.parent_path() : fs::path(ctx.cfg.backup_dir);
    return (base / (data.filename().string() + ".pgtwin-backup-" + stamp)).string();
}

// rename(2) cannot move pgdata to a backup_dir on another file system (EXDEV)
// nor move a mount point (EBUSY): copy the contents with owners and modes
// (cp -a, bounded by the deadline), then empty pgdata in place.
Result<void> copy_aside(Context& ctx, const std::string& dir, const std::string& target) {
    spdlog::warn("Cannot rename the data directory aside: copying it. [pgdata: {}, backup: {}]", dir, target);
    sys::Command cp;
    cp.argv = {"cp", "-a", "--", dir + "/.", target};
    cp.timeout = ctx.deadline.shortened(kRebuildStartReserve).remaining();
    std::error_code ec;
    fs::create_directory(target, ec);
    if (ec) return fail(ErrorKind::Generic, "cannot create " + target + ": " + ec.message());
    fs::permissions(target, fs::perms::owner_all, ec);
    auto res = ctx.runner.run(cp);
    if (!res) return fail(res.error().kind, "cannot copy the old data to " + target + ": " + res.error().message);
    if (res->timed_out)
        return fail(ErrorKind::Timeout, "copying the old data to " + target + " did not finish in time");
    if (!res->success())
        return fail(ErrorKind::Generic, "cannot copy the old data to " + target + ": " + last_lines(res->err, 2, "; "));
    return empty_directory(dir);
}

Result<void> create_peer_slot(Context& ctx) {
    auto session = connect_peer(ctx, kPeerCap);
    if (!session) return session.error();
    return pg::ensure_physical_slot(**session, slot_name_for(ctx, ctx.node), ctx.deadline.capped(kPeerCap));
}

}  // namespace

Result<pg::InstanceStatus> wait_for_peer(Context& ctx, Millis max_wait) {
    // No peer (no cluster, e.g. under ocf-tester): none can appear while
    // this action runs, so waiting would only delay the failure.
    if (ctx.peer.empty()) return fail(ErrorKind::NotRunning, "no peer node known");
    Deadline until = ctx.deadline.capped(max_wait);
    Error last{ErrorKind::NotRunning, "no peer node known"};
    while (true) {
        auto session = connect_peer(ctx, kPeerCap);
        if (session) {
            auto status = pg::instance_status(**session, ctx.deadline.capped(kPeerCap));
            if (status) return *status;
            // It answers SQL, which is all cloning needs; a missing grant
            // (pg_monitor) only hides its role.
            spdlog::warn("Peer answers but its status query failed. [peer: {}, reason: {}]", ctx.peer,
                         status.error().message);
            pg::InstanceStatus unknown;
            unknown.in_recovery = true;
            return unknown;
        }
        last = session.error();
        if (until.remaining() <= kPeerPollInterval) return last;
        ctx.clock.sleep_for(kPeerPollInterval);
    }
}

Result<void> set_aside_data_dir(Context& ctx) {
    const std::string dir = data_dir_path(ctx).string();
    if (!sys::is_directory(dir)) return ctx.backend.prepare_data_dir(ctx.deadline);
    auto empty = sys::directory_is_empty_or_missing(dir);
    if (!empty) return empty.error();
    if (*empty) {
        clear_all_markers(ctx);
        return ok();
    }
    if (!ctx.cfg.backup_before_basebackup) {
        spdlog::warn("Removing old data before pg_basebackup (backup_before_basebackup=false). [pgdata: {}]", dir);
        if (auto r = empty_directory(dir); !r) return r;
        clear_all_markers(ctx);
        return ok();
    }
    // On Btrfs a read-only snapshot keeps the old data: no EXDEV/EBUSY limits, no copy.
    auto snap = snapshot_before(ctx, "basebackup");
    if (!snap) return snap.error();
    if (*snap) {
        if (auto r = empty_directory(dir); !r) return r;
        clear_all_markers(ctx);
        return ok();
    }
    std::string target = backup_path(ctx);
    std::error_code ec;
    fs::rename(dir, target, ec);
    if (ec == std::errc::cross_device_link || ec == std::errc::device_or_resource_busy) {
        if (auto r = copy_aside(ctx, dir, target); !r) return r;
        ec.clear();
    }
    if (ec) return fail(ErrorKind::Generic, "cannot keep the old data directory as " + target + ": " + ec.message());
    spdlog::info("Old data kept before pg_basebackup. [backup: {}]", target);
    clear_all_markers(ctx);
    return ctx.backend.prepare_data_dir(ctx.deadline);
}

Result<void> discard_partial_clone(Context& ctx) {
    const std::string dir = data_dir_path(ctx).string();
    spdlog::warn("Discarding the copy of an interrupted pg_basebackup. [pgdata: {}]", dir);
    if (sys::is_directory(dir)) {
        if (auto r = empty_directory(dir); !r) return r;
    }
    clear_marker(ctx, DataMarker::Clone);
    return set_aside_data_dir(ctx);
}

Result<void> clone_from_peer(Context& ctx, const std::function<void(std::string_view)>& on_stderr) {
    if (auto r = create_peer_slot(ctx); !r) {
        return fail(r.error().kind, "cannot create replication slot on " + ctx.peer + ": " + r.error().message);
    }
    spdlog::info("Cloning the peer with pg_basebackup. [source: {}, max_rate: {}]", ctx.peer,
                 ctx.cfg.clone_max_rate.empty() ? std::string("unlimited") : ctx.cfg.clone_max_rate);
    // Marked before the first byte: a kill or reboot mid-clone leaves a
    // directory that start must recognise and replace, not run.
    if (auto r = set_marker(ctx, DataMarker::Clone); !r) return r;
    // The clone job runs it without a deadline of its own (a clone takes as
    // long as the database needs); only the job's outer bound applies.
    auto cmd = ctx.backend.tool_command(backend::Tool::PgBasebackup,
                                        basebackup_args(ctx.backend.data_dir_for_tools(), peer_tool_conninfo(ctx),
                                                        slot_name_for(ctx, ctx.node), ctx.cfg.clone_max_rate),
                                        ctx.deadline);
    if (!cmd) return cmd.error();
    cmd->timeout = ctx.deadline.remaining();
    cmd->on_stderr = on_stderr;
    auto res = ctx.runner.run(*cmd);
    if (res && res->success()) return ok();  // the marker stays until PostgreSQL runs
    // The directory was empty before: whatever is there now is a partial copy.
    if (empty_directory(ctx.backend.host_data_dir())) clear_marker(ctx, DataMarker::Clone);
    if (!res) return fail(res.error().kind, "pg_basebackup from " + ctx.peer + " failed: " + res.error().message);
    if (res->timed_out) return fail(ErrorKind::Timeout, "pg_basebackup from " + ctx.peer + " did not finish in time");
    return fail(ErrorKind::Generic, "pg_basebackup from " + ctx.peer + " failed: " + last_lines(res->err, 2, "; "));
}

Result<void> rewind_from_peer(Context& ctx) {
    if (auto snap = snapshot_before(ctx, "rewind"); !snap) return snap.error();
    spdlog::info("Rewinding to the primary's history with pg_rewind. [source: {}]", ctx.peer);
    Millis left = ctx.deadline.shortened(kRebuildStartReserve).remaining();
    // pg_rewind rewrites pgdata in place: interrupted, the directory is
    // neither the old history nor the new one. The marker stays until a
    // rewind succeeds or the directory is replaced by a clone.
    if (auto r = set_marker(ctx, DataMarker::Rewind); !r) return r;
    auto res = run_tool(ctx, backend::Tool::PgRewind,
                        {"-D", ctx.backend.data_dir_for_tools(), "--source-server=" + peer_tool_conninfo(ctx)}, left);
    if (!res) return fail(res.error().kind, "pg_rewind failed: " + res.error().message);
    if (!res->success()) return fail(ErrorKind::Generic, "pg_rewind failed: " + last_lines(res->err, 2, "; "));
    spdlog::info("pg_rewind finished. [output: {}]", last_lines(res->out + res->err, 1, "; "));
    clear_marker(ctx, DataMarker::Rewind);
    return create_peer_slot(ctx);
}

}  // namespace pgtwin::agent
