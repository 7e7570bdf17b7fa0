// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// Is a file system full where PostgreSQL writes? PostgreSQL's own log may sit
// on the same full file system and say nothing, so the agent checks itself.

#include <cstddef>
#include <string>

namespace pgtwin::sys {

// Bytes the probe must be able to write for a directory not to count as full:
// one WAL segment (16 MiB by default). A primary that died for want of space
// freed the segment it could not complete, so less would find room.
inline constexpr std::size_t kSpaceProbeBytes = std::size_t{16} * 1024 * 1024;

// Why `bytes` cannot be written in `dir` ("No space left on device", "Disk
// quota exceeded"); empty when they can, or when the check itself cannot be
// made (missing directory, permissions). Checks statvfs's space for
// unprivileged users first (root may still use reserved blocks), then writes
// and removes a hidden probe file: a Btrfs qgroup limit shows only there.
std::string space_shortage(const std::string& dir, std::size_t bytes = kSpaceProbeBytes);

}  // namespace pgtwin::sys
