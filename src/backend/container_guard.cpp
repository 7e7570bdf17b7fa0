// SPDX-License-Identifier: GPL-2.0-or-later
// Container-mode safety checks: private socket directory, safe parents, no foreign postmaster.

#include "pgtwin/backend/container_guard.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "pgtwin/core/text.hpp"
#include "pgtwin/sys/files.hpp"

namespace pgtwin::backend {
namespace {

namespace fs = std::filesystem;

// Every directory above `dir`, of the path as given and of its resolved form.
std::vector<std::string> ancestors(const std::string& dir) {
    std::vector<std::string> out;
    std::error_code ec;
    fs::path given = fs::absolute(fs::path(dir), ec).lexically_normal();
    fs::path resolved = fs::weakly_canonical(given, ec);
    for (fs::path p : {given, resolved}) {
        if (p.empty()) continue;
        if (!p.has_filename()) p = p.parent_path();  // trailing slash
        for (p = p.parent_path(); !p.empty(); p = p.parent_path()) {
            if (std::find(out.begin(), out.end(), p.string()) == out.end()) out.push_back(p.string());
            if (p == p.root_path()) break;
        }
    }
    return out;
}

// False for a zombie or dead process ("pid (comm) S ..."; comm may hold ')').
bool stat_says_alive(const std::string& stat) {
    size_t close = stat.rfind(')');
    if (close == std::string::npos || close + 2 >= stat.size()) return false;
    char state = stat[close + 2];
    return state != 'Z' && state != 'X' && state != 'x';
}

}  // namespace

Result<void> check_socket_dir_private(const std::string& dir, uid_t container_uid) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            return fail(ErrorKind::InvalidConfig, "socket directory " + dir + " is not a directory");
        }
        // Why: the container's pg_hba.conf trusts local connections, so whoever
        // reaches the socket is superuser; only root and the container user may.
        if ((st.st_mode & 077) != 0) {
            return fail(ErrorKind::InvalidConfig,
                        fmt::format("socket directory {} has mode {:04o}: other users could reach the "
                                    "trusted local socket; it must be 0700",
                                    dir, st.st_mode & 07777));
        }
    }
    for (const std::string& parent : ancestors(dir)) {
        if (::stat(parent.c_str(), &st) != 0) continue;  // start creates it (0700, container user)
        bool trusted_owner = st.st_uid == 0 || st.st_uid == container_uid;
        bool others_write = (st.st_mode & 022) != 0 && (st.st_mode & S_ISVTX) == 0;
        if (!trusted_owner || others_write) {
            return fail(ErrorKind::InvalidConfig,
                        fmt::format("socket directory {}: {} (uid {}, mode {:04o}) must be owned by root or "
                                    "the container user and not writable by others, or they could replace "
                                    "the socket directory",
                                    dir, parent, st.st_uid, st.st_mode & 07777));
        }
    }
    return ok();
}

Result<void> check_run_options(const std::vector<std::string>& words) {
    for (const std::string& w : words) {
        if (w == "--entrypoint" || w.rfind("--entrypoint=", 0) == 0) {
            return fail(ErrorKind::InvalidConfig,
                        "container_run_options must not set --entrypoint: pgtwin bypasses the image's "
                        "entrypoint itself");
        }
    }
    return ok();
}

std::vector<pid_t> postmasters_using(const std::string& pgdata, const std::string& proc_root) {
    std::vector<pid_t> found;
    struct stat data {};
    if (::stat(pgdata.c_str(), &data) != 0) return found;
    std::error_code ec;
    for (auto it = fs::directory_iterator(proc_root, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        std::string name = it->path().filename().string();
        auto pid = parse_number<pid_t>(name);
        if (!pid || *pid < 0) continue;
        auto comm = sys::read_file((it->path() / "comm").string());
        if (!comm || (trim_end(*comm) != "postgres" && trim_end(*comm) != "postmaster")) continue;
        auto stat_line = sys::read_file((it->path() / "stat").string());
        if (!stat_line || !stat_says_alive(*stat_line)) continue;
        // postgres chdirs into its data directory; the same inode is seen through a bind mount.
        struct stat cwd {};
        if (::stat((it->path() / "cwd").c_str(), &cwd) != 0) continue;
        if (cwd.st_dev == data.st_dev && cwd.st_ino == data.st_ino) found.push_back(*pid);
    }
    std::sort(found.begin(), found.end());
    return found;
}

bool unix_socket_accepts(const std::string& path) {
    sockaddr_un addr{};
    if (path.size() >= sizeof(addr.sun_path)) return false;
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return false;
    int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
    int err = errno;
    ::close(fd);
    // EAGAIN: a listener whose backlog is full is still a listener.
    return rc == 0 || err == EAGAIN || err == EINPROGRESS;
}

}  // namespace pgtwin::backend
