// SPDX-License-Identifier: GPL-2.0-or-later
// Process liveness from /proc and the postmaster.pid of a data directory.

#include "pgtwin/sys/process.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "pgtwin/core/text.hpp"
#include "pgtwin/sys/files.hpp"

namespace pgtwin::sys {
namespace {

namespace fs = std::filesystem;

std::string proc_path(pid_t pid, const char* leaf) { return fmt::format("/proc/{}/{}", pid, leaf); }

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.emplace_back(trim(line));
    return lines;
}

// Same directory after resolving symlinks (either may be a symlinked path).
bool same_directory(const std::string& a, const std::string& b) {
    std::error_code ec;
    if (fs::equivalent(a, b, ec)) return true;
    fs::path ca = fs::weakly_canonical(a, ec);
    fs::path cb = fs::weakly_canonical(b, ec);
    return !ca.empty() && ca == cb;
}

}  // namespace

bool process_alive(pid_t pid) {
    if (pid <= 0) return false;
    Result<std::string> stat = read_file(proc_path(pid, "stat"));
    if (!stat) {
        // No /proc entry: gone. /proc unusable: fall back to the signal check.
        if (file_exists("/proc/self/stat")) return false;
        return ::kill(pid, 0) == 0 || errno == EPERM;
    }
    // "pid (comm) S ...": comm may contain spaces and parentheses, the state follows the last ')'.
    size_t close = stat->rfind(')');
    if (close == std::string::npos || close + 2 >= stat->size()) return false;
    char state = (*stat)[close + 2];
    return state != 'Z' && state != 'X' && state != 'x';
}

std::optional<std::string> process_comm(pid_t pid) {
    if (pid <= 0) return std::nullopt;
    Result<std::string> comm = read_file(proc_path(pid, "comm"));
    if (!comm) return std::nullopt;
    return std::string(trim(*comm));
}

std::optional<std::string> process_cwd(pid_t pid) {
    if (pid <= 0) return std::nullopt;
    std::error_code ec;
    fs::path target = fs::read_symlink(proc_path(pid, "cwd"), ec);
    if (ec) return std::nullopt;
    return target.string();
}

Result<std::optional<PostmasterPid>> read_postmaster_pid(const std::string& pgdata) {
    std::string path = (fs::path(pgdata) / "postmaster.pid").string();
    if (!file_exists(path)) return std::optional<PostmasterPid>{};
    Result<std::string> text = read_file(path);
    if (!text) return text.error();
    std::vector<std::string> lines = split_lines(*text);
    PostmasterPid pm;
    auto pid = lines.empty() ? std::nullopt : parse_number<decltype(pm.pid)>(lines[0]);
    if (!pid || *pid <= 0) return fail(ErrorKind::Generic, fmt::format("{} does not start with a PID", path));
    pm.pid = *pid;
    auto line = [&lines](size_t n) { return n <= lines.size() ? lines[n - 1] : std::string{}; };
    pm.data_dir = line(2);
    pm.start_time = parse_number<decltype(pm.start_time)>(line(3)).value_or(0);
    pm.port = parse_number<decltype(pm.port)>(line(4)).value_or(0);
    pm.socket_dir = line(5);
    pm.listen_addr = line(6);
    pm.status = line(8);
    return std::optional<PostmasterPid>{pm};
}

bool postmaster_running(const std::string& pgdata) {
    Result<std::optional<PostmasterPid>> pm = read_postmaster_pid(pgdata);
    if (!pm || !pm->has_value()) return false;
    pid_t pid = (*pm)->pid;
    if (!process_alive(pid)) return false;
    std::optional<std::string> comm = process_comm(pid);
    if (!comm || (*comm != "postgres" && *comm != "postmaster")) return false;
    std::optional<std::string> cwd = process_cwd(pid);
    // An unprivileged caller may not read another user's cwd; comm must then do.
    if (!cwd) return process_alive(pid);
    return same_directory(*cwd, pgdata);
}

}  // namespace pgtwin::sys
