// SPDX-License-Identifier: GPL-2.0-or-later
// Btrfs snapshots of a node's subvolume: create, list, restore and prune.

#include "pgtwin/storage/snapshots.hpp"

#include <sys/statfs.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <array>
#include <filesystem>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "pgtwin/storage/btrfs.hpp"
#include "pgtwin/sys/files.hpp"
#include "step.hpp"

namespace fs = std::filesystem;

namespace pgtwin::storage {
namespace {

constexpr std::string_view kAutoPrefix = "pgtwin-";
// BTRFS_SUPER_MAGIC from linux/magic.h.
constexpr long kBtrfsMagic = 0x9123683E;
// Files that would make a restored copy start as something it is not: a
// standby of the live primary, or refuse because of a stale lock file.
constexpr std::array<const char*, 3> kDataFilesToDrop{"standby.signal", "recovery.signal", "postmaster.pid"};

std::string without_trailing_slash(std::string path) {
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    return path;
}

// The agent's labels are pgtwin-<reason>-<UTC stamp>, reasons have no '-':
// the stamp orders snapshots taken for different reasons.
std::string stamp_of(const std::string& label) {
    auto dash = label.find('-', kAutoPrefix.size());
    return dash == std::string::npos ? label : label.substr(dash + 1);
}

}  // namespace

std::string automatic_label(const std::string& reason, std::chrono::system_clock::time_point when) {
    auto secs = std::chrono::time_point_cast<std::chrono::seconds>(when);
    return fmt::format("{}{}-{:%Y%m%dT%H%M%SZ}", kAutoPrefix, reason, secs);
}

std::vector<SnapshotInfo> list_snapshots(const std::string& subvolume) {
    const fs::path sub(without_trailing_slash(subvolume));
    const std::string prefix = sub.filename().string() + ".";
    std::vector<SnapshotInfo> found;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(sub.parent_path(), ec)) {
        std::string name = entry.path().filename().string();
        if (!name.starts_with(prefix) || name.size() == prefix.size() || !entry.is_directory(ec)) continue;
        std::string label = name.substr(prefix.size());
        found.push_back({entry.path().string(), label, label.starts_with(kAutoPrefix)});
    }
    std::sort(found.begin(), found.end(), [](const SnapshotInfo& a, const SnapshotInfo& b) {
        if (a.automatic != b.automatic) return !a.automatic;
        if (a.automatic && stamp_of(a.label) != stamp_of(b.label)) return stamp_of(a.label) < stamp_of(b.label);
        return a.label < b.label;
    });
    return found;
}

std::vector<SnapshotInfo> prune_candidates(const std::vector<SnapshotInfo>& snapshots, unsigned keep) {
    std::vector<SnapshotInfo> automatic;
    std::copy_if(snapshots.begin(), snapshots.end(), std::back_inserter(automatic),
                 [](const SnapshotInfo& s) { return s.automatic; });
    if (automatic.size() <= keep) return {};
    automatic.resize(automatic.size() - keep);
    return automatic;
}

Result<std::vector<std::string>> prune_snapshots(const std::string& subvolume, unsigned keep,
                                                 sys::CommandRunner& runner, const Deadline& d) {
    std::vector<std::string> deleted;
    for (const SnapshotInfo& s : prune_candidates(list_snapshots(subvolume), keep)) {
        auto r =
            detail::run_step("cannot delete snapshot " + s.path, {"btrfs", "subvolume", "delete", s.path}, runner, d);
        if (!r) return r.error();
        spdlog::info("Pruned an old snapshot. [snapshot: {}, keep: {}]", s.path, keep);
        deleted.push_back(s.path);
    }
    return deleted;
}

std::optional<double> free_share(const std::string& path) {
    struct statvfs st {};
    if (::statvfs(path.c_str(), &st) != 0 || st.f_blocks == 0) return std::nullopt;
    return static_cast<double>(st.f_bavail) / static_cast<double>(st.f_blocks);
}

Result<std::vector<std::string>> prune_for_space(const std::string& subvolume, const SpacePolicy& policy,
                                                 sys::CommandRunner& runner, const Deadline& d,
                                                 const FreeShareProbe& probe) {
    const std::string sub = without_trailing_slash(subvolume);
    std::vector<std::string> deleted;
    auto below = [&] {
        auto share = probe(sub);
        return share && *share < policy.min_free_share;
    };
    while (below() && (policy.max_deletes == 0 || deleted.size() < policy.max_deletes)) {
        auto victims = prune_candidates(list_snapshots(sub), policy.keep_newest);
        if (victims.empty()) break;
        const SnapshotInfo& oldest = victims.front();
        auto r = detail::run_step("cannot delete snapshot " + oldest.path,
                                  {"btrfs", "subvolume", "delete", "--commit-after", oldest.path}, runner, d);
        if (!r) return r.error();
        spdlog::warn(
            "Free space on the data file system is below snapshot_min_free: deleted the oldest automatic "
            "snapshot. [snapshot: {}, min_free: {:.0f}%]",
            oldest.path, policy.min_free_share * 100);
        deleted.push_back(oldest.path);
        // Wait until the cleaner has given the space back, or the next check
        // would delete another snapshot for space that is already on its way.
        auto synced = detail::run_step("cannot wait for the freed space",
                                       {"btrfs", "subvolume", "sync", fs::path(sub).parent_path().string()}, runner, d);
        if (!synced) {
            spdlog::info(
                "Space of a deleted snapshot not yet reclaimed; pruning continues at the next check. "
                "[reason: {}]",
                synced.error().message);
            break;
        }
    }
    return deleted;
}

bool on_btrfs(const std::string& path) {
    struct statfs st {};
    return ::statfs(path.c_str(), &st) == 0 && static_cast<long>(st.f_type) == kBtrfsMagic;
}

Result<std::optional<std::string>> data_subvolume(const std::string& data_dir, sys::CommandRunner& runner,
                                                  const Deadline& d, const BtrfsProbe& probe) {
    std::string parent = fs::path(without_trailing_slash(data_dir)).parent_path().string();
    if (parent.empty() || !probe(parent)) return std::optional<std::string>{};
    auto is_sub = is_subvolume(parent, runner, d);
    if (!is_sub) return is_sub.error();
    if (!*is_sub) return std::optional<std::string>{};
    return std::optional<std::string>{parent};
}

Result<std::string> keep_snapshot(const std::string& subvolume, const std::string& reason, unsigned keep,
                                  sys::CommandRunner& runner, const Deadline& d,
                                  std::chrono::system_clock::time_point now) {
    const std::string sub = without_trailing_slash(subvolume);
    std::string dest = sub + "." + automatic_label(reason, now);
    // Two snapshots in one second (a failed rewind, then a clone): number them.
    for (int n = 2; sys::file_exists(dest) && n < 10; ++n) {
        dest = fmt::format("{}.{}-{}", sub, automatic_label(reason, now), n);
    }
    if (sys::file_exists(dest)) return fail(ErrorKind::Generic, "snapshot destination " + dest + " exists");
    auto r = detail::run_step("cannot snapshot " + sub, {"btrfs", "subvolume", "snapshot", "-r", sub, dest}, runner, d);
    if (!r) return r.error();
    spdlog::info("Took a read-only snapshot of the old data. [subvolume: {}, snapshot: {}]", sub, dest);
    if (auto pruned = prune_snapshots(sub, keep, runner, d); !pruned) {
        spdlog::warn("Cannot prune old snapshots. [subvolume: {}, reason: {}]", sub, pruned.error().message);
    }
    return dest;
}

Result<void> restore_snapshot(const std::string& snapshot, const std::string& dest, sys::CommandRunner& runner,
                              const Deadline& d) {
    if (!sys::is_directory(snapshot)) return fail(ErrorKind::InvalidArgs, "no snapshot at " + snapshot);
    if (sys::file_exists(dest)) return fail(ErrorKind::InvalidArgs, "restore target " + dest + " exists");
    auto r =
        detail::run_step("cannot restore " + snapshot, {"btrfs", "subvolume", "snapshot", snapshot, dest}, runner, d);
    if (!r) return r;
    std::error_code ec;
    for (const char* name : kDataFilesToDrop) fs::remove(fs::path(dest) / "data" / name, ec);
    for (const auto& entry : fs::directory_iterator(dest, ec)) {
        // The agent's markers (.data.pgtwin-clone etc.) describe the live node, not this copy.
        if (entry.path().filename().string().starts_with(".data.pgtwin-")) fs::remove(entry.path(), ec);
    }
    spdlog::info("Restored a snapshot into a writable copy. [snapshot: {}, copy: {}]", snapshot, dest);
    return ok();
}

}  // namespace pgtwin::storage
