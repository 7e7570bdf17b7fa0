// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// Storage layout for container mode: one Btrfs subvolume per node,
//   <root>/@postgres-<node>/{data,config,archive}
// data 0700, config 0750, archive 0700, all owned by the container user's
// uid/gid (999 in the official postgres image). Every btrfs/chcon call goes
// through sys::CommandRunner as argv.

#include <string>
#include <vector>

#include "pgtwin/core/deadline.hpp"
#include "pgtwin/core/result.hpp"
#include "pgtwin/sys/command.hpp"

namespace pgtwin::storage {

// Where the layout lives by default.
inline constexpr const char* kDefaultRoot = "/var/lib/pgtwin";

// The paths of one node's layout.
struct Layout {
    std::string root;  // a directory on a Btrfs file system
    std::string node;  // node name
    std::string subvolume() const { return root + "/@postgres-" + node; }
    std::string data() const { return subvolume() + "/data"; }
    std::string config() const { return subvolume() + "/config"; }
    std::string archive() const { return subvolume() + "/archive"; }
};

// Who owns the layout and whether to relabel it for SELinux.
struct LayoutOptions {
    unsigned uid = 999;
    unsigned gid = 999;
    bool selinux = false;  // relabel with container_file_t (see selinux_enabled)
};

// True when SELinux is enabled on this host (selinuxfs is mounted).
bool selinux_enabled();

// The steps create_layout would take now, one line each, decided from what
// exists (for `pgtwin storage plan`; the same rules as create_layout).
std::vector<std::string> plan_layout(const Layout& layout, const LayoutOptions& opts);

// True when `path` is a Btrfs subvolume (`btrfs subvolume show` succeeds).
Result<bool> is_subvolume(const std::string& path, sys::CommandRunner& runner, const Deadline& d);

// Creates the subvolume (if missing), sets its owner and mode 0750, creates
// the missing directories with owners and modes, then relabels when opts.selinux. Idempotent; an existing path that
// is not a subvolume is an error (InvalidArgs).
Result<void> create_layout(const Layout& layout, const LayoutOptions& opts, sys::CommandRunner& runner,
                           const Deadline& d);

// Read-only snapshot of the node's subvolume at `dest` (the copy kept before
// data is deleted); `dest` must not exist.
Result<void> snapshot(const Layout& layout, const std::string& dest, sys::CommandRunner& runner, const Deadline& d);

// A snapshot path next to the subvolume: <root>/@postgres-<node>.<label>.
std::string snapshot_path(const Layout& layout, const std::string& label);

}  // namespace pgtwin::storage
