// SPDX-License-Identifier: GPL-2.0-or-later
#include "pgtwin/agent/safety_snapshot.hpp"

#include <spdlog/spdlog.h>

#include "pgtwin/agent/data_dir.hpp"
#include "pgtwin/storage/snapshots.hpp"

namespace pgtwin::agent {

Result<std::optional<std::string>> snapshot_before(Context& ctx, const std::string& reason) {
    if (ctx.cfg.snapshot_keep == 0) return std::optional<std::string>{};
    auto sub = storage::data_subvolume(data_dir_path(ctx).string(), ctx.runner, ctx.deadline);
    if (!sub)
        return fail(sub.error().kind, "cannot tell whether the data is in a Btrfs subvolume: " + sub.error().message);
    if (!*sub) return std::optional<std::string>{};
    auto snap = storage::keep_snapshot(**sub, reason, ctx.cfg.snapshot_keep, ctx.runner, ctx.deadline);
    if (!snap) return fail(snap.error().kind, "cannot keep a snapshot before " + reason + ": " + snap.error().message);
    spdlog::info("Old data kept as a Btrfs snapshot. [before: {}, snapshot: {}]", reason, *snap);
    return std::optional<std::string>{*snap};
}

}  // namespace pgtwin::agent
