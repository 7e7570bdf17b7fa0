// SPDX-License-Identifier: GPL-2.0-or-later
// Detached jobs: started in their own session, recognised later by pid and start time.

#include "pgtwin/sys/detach.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "pgtwin/core/text.hpp"
#include "pgtwin/sys/process.hpp"

namespace pgtwin::sys {

namespace {

Error errno_error(const std::string& what, int err) {
    return Error{ErrorKind::Generic, what + ": " + std::strerror(err)};
}

// The child after fork(): only async-signal-safe calls until execve.
[[noreturn]] void detached_child(char* const* argv, char* const* envp, int log_fd, int ready_fd) noexcept {
    ::setsid();
    int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null_fd < 0 || ::dup2(null_fd, 0) < 0 || ::dup2(log_fd, 1) < 0 || ::dup2(log_fd, 2) < 0 ||
        ::dup2(ready_fd, kReadyFd) < 0) {
        ::_exit(127);
    }
    ::syscall(SYS_close_range, kReadyFd + 1, ~0U, 0);
    // Ignored dispositions survive exec: stop's SIGTERM must work.
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGPIPE}) (void)::signal(sig, SIG_DFL);  // cannot fail for these
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(argv[0], argv, envp);
    ::_exit(127);
}

// Waits for the ready byte; false when the job closed the pipe without it or
// `wait` passed.
bool wait_ready(int fd, Millis wait) {
    pollfd pfd{fd, POLLIN, 0};
    while (true) {
        int n = ::poll(&pfd, 1, static_cast<int>(wait.count()));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        char byte = 0;
        ssize_t got = ::read(fd, &byte, 1);
        if (got < 0 && errno == EINTR) continue;
        return got == 1;
    }
}

}  // namespace

Result<pid_t> start_detached(const DetachedCommand& cmd, Millis wait) {
    if (cmd.argv.empty()) return Error{ErrorKind::Generic, "no program to start"};
    std::vector<std::string> args = cmd.argv, env = cmd.env;
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    int log_fd = ::open(cmd.log_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (log_fd < 0) return errno_error("cannot open " + cmd.log_path, errno);
    int ready[2];
    if (::pipe2(ready, O_CLOEXEC) != 0) {
        int err = errno;
        ::close(log_fd);
        return errno_error("cannot create a pipe", err);
    }
    pid_t pid = ::fork();
    if (pid == 0) detached_child(argv.data(), envp.data(), log_fd, ready[1]);
    int fork_err = errno;
    ::close(log_fd);
    ::close(ready[1]);
    if (pid < 0) {
        ::close(ready[0]);
        return errno_error("cannot fork", fork_err);
    }
    bool is_ready = wait_ready(ready[0], wait);
    ::close(ready[0]);
    int status = 0;
    // Reaps it only if it already exited; a running job is reaped by init
    // once this process ends.
    if (::waitpid(pid, &status, WNOHANG) == pid || !is_ready) {
        if (!is_ready) ::kill(-pid, SIGKILL);
        return Error{ErrorKind::Generic, fmt::format("{} did not start (see {})", cmd.argv[0], cmd.log_path)};
    }
    return pid;
}

void signal_ready() {
    char byte = 'r';
    while (::write(kReadyFd, &byte, 1) < 0 && errno == EINTR) {}
    ::close(kReadyFd);
}

std::optional<unsigned long long> parse_stat_start_time(std::string_view stat) {
    // comm (field 2) may hold spaces and parentheses: fields restart after the last ')'.
    auto close = stat.rfind(')');
    if (close == std::string_view::npos) return std::nullopt;
    std::istringstream in{std::string(stat.substr(close + 1))};
    std::string field;
    // After ')' come field 3 (state) .. field 22 (starttime): 20 fields.
    for (int i = 3; i <= 22; ++i) {
        if (!(in >> field)) return std::nullopt;
    }
    if (field.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    return parse_number<unsigned long long>(field);
}

std::optional<unsigned long long> process_start_time(pid_t pid) {
    if (pid <= 0 || !process_alive(pid)) return std::nullopt;
    std::ifstream in(fmt::format("/proc/{}/stat", pid));
    std::string text;
    if (!std::getline(in, text)) return std::nullopt;
    return parse_stat_start_time(text);
}

bool signal_group(pid_t pgid, int sig) {
    if (pgid <= 1) return false;
    return ::kill(-pgid, sig) == 0;
}

}  // namespace pgtwin::sys
