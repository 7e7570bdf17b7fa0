// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// Small file-system helpers with Result-based errors (messages carry the path
// and the system's reason, never file contents).

#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>

#include "pgtwin/core/result.hpp"

namespace pgtwin::sys {

// A local account as the password database describes it.
struct UserInfo {
    uid_t uid = 0;
    gid_t gid = 0;
    std::string home;
    std::string name;
};

// The whole content of `path` (EACCES: Permission, anything else: Generic).
Result<std::string> read_file(const std::string& path);

// Like read_file, but a symbolic link at `path` is refused, never followed.
Result<std::string> read_file_no_symlink(const std::string& path);

// True when `path` itself is a symbolic link (lstat; false on any error).
bool is_symlink(const std::string& path);

// Replaces `path` atomically: temp file in the same directory, fsync, rename,
// fsync of the directory. Owner is changed only for the ids given.
Result<void> write_file_atomic(const std::string& path, const std::string& content, mode_t mode,
                               std::optional<uid_t> uid = std::nullopt, std::optional<gid_t> gid = std::nullopt);

// True when `path` exists (symlinks followed); false on any error.
bool file_exists(const std::string& path);

// True when `path` is a directory (symlinks followed); false on any error.
bool is_directory(const std::string& path);

// True for a missing path or an empty directory, false for anything else
// that exists; an error when the directory cannot be read (never "empty").
Result<bool> directory_is_empty_or_missing(const std::string& path);

// Looks `name` up in the password database (missing: InvalidArgs).
Result<UserInfo> lookup_user(const std::string& name);

// Owner uid and gid of `path` (symlinks followed).
Result<std::pair<uid_t, gid_t>> owner_of(const std::string& path);

// Changes the owner of `path` (symlinks followed, like chown(1)).
Result<void> chown_path(const std::string& path, uid_t uid, gid_t gid);

// Creates `path` and missing parents; only directories created here get
// `mode` and the owner uid/gid. An existing directory is success.
Result<void> make_directories(const std::string& path, mode_t mode, uid_t uid, gid_t gid);

// rename(2): atomic within one file system.
Result<void> rename_path(const std::string& from, const std::string& to);

// Removes a file or empty directory; a missing path is success.
Result<void> remove_file(const std::string& path);

}  // namespace pgtwin::sys
