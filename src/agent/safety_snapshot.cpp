// SPDX-License-Identifier: GPL-2.0-or-later
// Safety snapshots before pg_rewind/pg_basebackup, and pruning them when space runs short.

#include "pgtwin/agent/safety_snapshot.hpp"

#include <spdlog/spdlog.h>

#include "pgtwin/agent/data_dir.hpp"
#include "pgtwin/agent/timing.hpp"
#include "pgtwin/storage/snapshots.hpp"

namespace pgtwin::agent {
namespace {

double min_free_share(const Context& ctx) { return ctx.cfg.snapshot_min_free / 100.0; }

}  // namespace

Result<std::optional<std::string>> snapshot_before(Context& ctx, const std::string& reason) {
    if (ctx.cfg.snapshot_keep == 0) return std::optional<std::string>{};
    auto sub = storage::data_subvolume(data_dir_path(ctx).string(), ctx.runner, ctx.deadline);
    if (!sub)
        return fail(sub.error().kind, "cannot tell whether the data is in a Btrfs subvolume: " + sub.error().message);
    if (!*sub) return std::optional<std::string>{};
    // The new snapshot will pin the old data while the rewind or clone writes
    // new data: make room first by deleting older snapshots.
    if (auto pruned =
            storage::prune_for_space(**sub, {.min_free_share = min_free_share(ctx)}, ctx.runner, ctx.deadline);
        !pruned) {
        spdlog::warn("Cannot delete old snapshots to make room. [reason: {}]", pruned.error().message);
    }
    auto snap = storage::keep_snapshot(**sub, reason, ctx.cfg.snapshot_keep, ctx.runner, ctx.deadline);
    if (!snap) return fail(snap.error().kind, "cannot keep a snapshot before " + reason + ": " + snap.error().message);
    spdlog::info("Old data kept as a Btrfs snapshot. [before: {}, snapshot: {}]", reason, *snap);
    return std::optional<std::string>{*snap};
}

void keep_free_space(Context& ctx) {
    if (ctx.cfg.snapshot_min_free == 0) return;
    const std::string data = data_dir_path(ctx).string();
    auto share = storage::free_share(data);
    if (!share || *share >= min_free_share(ctx)) return;
    Deadline d = ctx.deadline.capped(kMonitorPruneCap);
    auto sub = storage::data_subvolume(data, ctx.runner, d);
    if (!sub || !*sub) return;  // not the storage layout: nothing of ours holds the space
    storage::SpacePolicy policy{.min_free_share = min_free_share(ctx), .keep_newest = 1, .max_deletes = 1};
    if (auto pruned = storage::prune_for_space(**sub, policy, ctx.runner, d); !pruned) {
        spdlog::warn("Cannot delete an old snapshot to free space. [reason: {}]", pruned.error().message);
    }
}

}  // namespace pgtwin::agent
