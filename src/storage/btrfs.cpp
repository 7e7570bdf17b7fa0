// SPDX-License-Identifier: GPL-2.0-or-later
// The container-mode Btrfs layout: subvolume paths, creation with owners, modes and labels.

#include "pgtwin/storage/btrfs.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "pgtwin/sys/files.hpp"
#include "step.hpp"

namespace pgtwin::storage {
namespace {

constexpr Millis kStepCap{60000};

struct Dir {
    std::string path;
    mode_t mode;
};

std::vector<Dir> layout_dirs(const Layout& l) { return {{l.data(), 0700}, {l.config(), 0750}, {l.archive(), 0700}}; }

// Why 0750 on the subvolume: the container user must traverse it to reach
// data/config/archive; nobody else needs to.
constexpr mode_t kSubvolumeMode = 0750;

}  // namespace

namespace detail {

Result<void> run_step(const std::string& what, std::vector<std::string> argv, sys::CommandRunner& runner,
                      const Deadline& d) {
    if (d.expired()) return fail(ErrorKind::Timeout, what + ": no time left");
    sys::Command cmd;
    cmd.argv = std::move(argv);
    cmd.timeout = d.remaining_capped(kStepCap);
    auto r = runner.run(cmd);
    if (!r) return r.error();
    if (r->timed_out) return fail(ErrorKind::Timeout, what + ": timed out");
    if (r->exit_code != 0) {
        std::string detail = r->err.empty() ? r->out : r->err;
        while (!detail.empty() && (detail.back() == '\n' || detail.back() == ' ')) detail.pop_back();
        return fail(ErrorKind::Generic, fmt::format("{}: exit code {}: {}", what, r->exit_code, detail));
    }
    return ok();
}

}  // namespace detail

bool selinux_enabled() { return sys::file_exists("/sys/fs/selinux/enforce"); }

std::vector<std::string> plan_layout(const Layout& l, const LayoutOptions& o) {
    const std::string sub = l.subvolume();
    std::vector<std::string> steps;
    if (sys::file_exists(sub)) {
        steps.push_back(fmt::format("keep {} (exists; refused unless btrfs subvolume show accepts it)", sub));
    } else {
        steps.push_back(fmt::format("btrfs subvolume create {}", sub));
    }
    steps.push_back(fmt::format("chown {}:{} {}; chmod {:04o} {}", o.uid, o.gid, sub, kSubvolumeMode, sub));
    for (const Dir& dir : layout_dirs(l)) {
        if (sys::file_exists(dir.path)) {
            steps.push_back(fmt::format("keep {} (exists; owner and mode left as they are)", dir.path));
        } else {
            steps.push_back(fmt::format("mkdir {} (owner {}:{}, mode {:04o})", dir.path, o.uid, o.gid, dir.mode));
        }
    }
    if (o.selinux) steps.push_back(fmt::format("chcon -R -t container_file_t {}", sub));
    return steps;
}

Result<bool> is_subvolume(const std::string& path, sys::CommandRunner& runner, const Deadline& d) {
    sys::Command cmd;
    cmd.argv = {"btrfs", "subvolume", "show", path};
    cmd.timeout = d.remaining_capped(kStepCap);
    auto r = runner.run(cmd);
    if (!r) return r.error();
    if (r->timed_out) return fail(ErrorKind::Timeout, "btrfs subvolume show " + path + ": timed out");
    return r->exit_code == 0;
}

Result<void> create_layout(const Layout& l, const LayoutOptions& o, sys::CommandRunner& runner, const Deadline& d) {
    const std::string sub = l.subvolume();
    if (sys::file_exists(sub)) {
        auto is_sub = is_subvolume(sub, runner, d);
        if (!is_sub) return is_sub.error();
        if (!*is_sub) return fail(ErrorKind::InvalidArgs, sub + " exists and is not a Btrfs subvolume");
    } else {
        auto r = detail::run_step("cannot create subvolume " + sub, {"btrfs", "subvolume", "create", sub}, runner, d);
        if (!r) return r;
        spdlog::info("Created Btrfs subvolume. [subvolume: {}]", sub);
    }
    if (auto r = sys::chown_path(sub, o.uid, o.gid); !r) return r;
    if (::chmod(sub.c_str(), kSubvolumeMode) != 0) {
        return fail(ErrorKind::Generic, fmt::format("cannot chmod {}: {}", sub, std::strerror(errno)));
    }
    for (const Dir& dir : layout_dirs(l)) {
        if (auto r = sys::make_directories(dir.path, dir.mode, o.uid, o.gid); !r) return r;
    }
    if (o.selinux) {
        auto r = detail::run_step("cannot relabel " + sub, {"chcon", "-R", "-t", "container_file_t", sub}, runner, d);
        if (!r) return r;
    }
    return ok();
}

std::string snapshot_path(const Layout& l, const std::string& label) { return l.subvolume() + "." + label; }

Result<void> snapshot(const Layout& l, const std::string& dest, sys::CommandRunner& runner, const Deadline& d) {
    if (sys::file_exists(dest)) return fail(ErrorKind::Generic, "snapshot destination " + dest + " exists");
    auto r = detail::run_step("cannot snapshot " + l.subvolume(),
                              {"btrfs", "subvolume", "snapshot", "-r", l.subvolume(), dest}, runner, d);
    if (!r) return r;
    spdlog::info("Took a read-only snapshot. [subvolume: {}, snapshot: {}]", l.subvolume(), dest);
    return ok();
}

}  // namespace pgtwin::storage
