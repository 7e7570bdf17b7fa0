// SPDX-License-Identifier: GPL-2.0-or-later
// ProcessRunner: fork/exec in a process group, poll over the pipes, kill on the deadline.

#include "pgtwin/sys/process_runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <functional>
#include <string_view>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "spawn.hpp"

namespace pgtwin::sys {
namespace {

using detail::ChildReport;
using detail::SpawnPlan;
using detail::UniqueFd;
using SteadyClock = std::chrono::steady_clock;

constexpr int kStatusUnknown = INT_MIN;  // the child was reaped by someone else
constexpr int kMaxReadsPerDrain = 64;    // bounds a drain against a chatty daemon

struct PipePair {
    UniqueFd read;
    UniqueFd write;
};

struct Pipes {
    PipePair in, out, err, report;
};

Error errno_error(std::string_view what, int err) {
    return fail(ErrorKind::Generic, fmt::format("{}: {}", what, std::strerror(err)));
}

// Moves fd to a number >= 3, so the child's dup2 onto 0..2 never clobbers it
// (the agent may run with a closed stdin/stdout).
int lift_fd(int fd) {
    if (fd >= 3) return fd;
    int high = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
    ::close(fd);
    return high;
}

Result<void> make_pipe(PipePair& pipe) {
    std::array<int, 2> fds{};
    if (::pipe2(fds.data(), O_CLOEXEC) != 0) return errno_error("cannot create pipe", errno);
    pipe.read = UniqueFd(lift_fd(fds[0]));
    pipe.write = UniqueFd(lift_fd(fds[1]));
    if (!pipe.read.valid() || !pipe.write.valid()) return errno_error("cannot move pipe descriptor", errno);
    return ok();
}

Result<void> make_pipes(Pipes& p) {
    for (PipePair* pipe : {&p.in, &p.out, &p.err, &p.report}) {
        Result<void> made = make_pipe(*pipe);
        if (!made) return made;
    }
    for (int fd : {p.in.write.get(), p.out.read.get(), p.err.read.get()}) {
        (void)::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    }
    return ok();
}

// fork() with every signal blocked, so no handler of ours runs in the child
// before it resets the dispositions.
Result<pid_t> spawn(const SpawnPlan& plan, Pipes& p) {
    sigset_t all;
    sigset_t old;
    sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t pid = ::fork();
    if (pid == 0) {
        detail::child_main(plan, {p.in.read.get(), p.out.write.get(), p.err.write.get(), p.report.write.get()});
    }
    int err = errno;
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    if (pid < 0) return errno_error("cannot fork", err);
    (void)::setpgid(pid, pid);  // also in the parent: no window where kill(-pid) misses it
    p.in.read.reset();
    p.out.write.reset();
    p.err.write.reset();
    p.report.write.reset();
    return pid;
}

extern "C" void watchdog_wake(int) {}

// The watchdog's life after fork(): async-signal-safe calls only.
[[noreturn]] void watchdog_main(pid_t agent, pid_t group) noexcept {
    (void)::setpgid(0, group);
    (void)::close_range(3, UINT_MAX, 0);  // never hold the tool's stdin pipe open
    struct sigaction wake {};
    wake.sa_handler = watchdog_wake;
    sigfillset(&wake.sa_mask);
    (void)::sigaction(SIGTERM, &wake, nullptr);
    if (::prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) != 0) ::_exit(0);
    sigset_t only_term;
    sigfillset(&only_term);
    sigdelset(&only_term, SIGTERM);
    while (::getppid() == agent) ::sigsuspend(&only_term);
    (void)::kill(-group, SIGKILL);
    ::_exit(0);
}

// Pacemaker's operation timeout kills the agent (and its process group), not
// the tool's own process group. PR_SET_PDEATHSIG in the tool reaches only the
// tool itself, not what it started (pg_basebackup's WAL streamer is a
// grandchild). So a small forked watchdog joins the tool's group, waits for
// the agent's death (PR_SET_PDEATHSIG) and then kills the whole group. The
// runner kills it by pid when the tool is done. -1 when fork fails.
pid_t start_watchdog(pid_t group) {
    pid_t agent = ::getpid();
    sigset_t all;
    sigset_t old;
    sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t pid = ::fork();
    if (pid == 0) watchdog_main(agent, group);
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    if (pid > 0) (void)::setpgid(pid, group);  // also here: no window outside the group
    return pid;
}

// Owns the watchdog: ends it when the command is over.
class Watchdog {
public:
    explicit Watchdog(pid_t group) : m_pid(start_watchdog(group)) {
        if (m_pid < 0) spdlog::warn("Cannot start the watchdog of a command. [reason: {}]", std::strerror(errno));
    }
    Watchdog(const Watchdog&) = delete;
    Watchdog& operator=(const Watchdog&) = delete;
    ~Watchdog() {
        if (m_pid <= 0) return;
        (void)::kill(m_pid, SIGKILL);
        while (::waitpid(m_pid, nullptr, 0) < 0 && errno == EINTR) {}
    }

private:
    pid_t m_pid;
};

// A descriptor that polls readable when `pid` exits; -1 on kernels before 5.3.
// (Debian 12's <sys/pidfd.h> lacks extern "C", so use the raw system call.)
int open_pidfd(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0U)); }

int remaining_ms(SteadyClock::time_point end) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - SteadyClock::now()).count();
    return static_cast<int>(std::clamp<long long>(left + 1, 0, INT_MAX));
}

bool try_reap(pid_t pid, int& status) {
    while (true) {
        pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r < 0 && errno == EINTR) continue;
        if (r == 0) return false;
        if (r < 0) status = kStatusUnknown;  // ECHILD: SIGCHLD ignored, already reaped
        return true;
    }
}

void reap_blocking(pid_t pid, int& status) {
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            status = kStatusUnknown;
            return;
        }
    }
}

void kill_group(pid_t pid) {
    (void)::kill(-pid, SIGKILL);
    (void)::kill(pid, SIGKILL);  // not reaped yet, so the pid is still ours
}

// Waits for the report pipe: EOF means exec succeeded. Returns false on timeout.
bool wait_for_exec(int fd, SteadyClock::time_point end, std::optional<ChildReport>& report) {
    while (true) {
        pollfd pfd{fd, POLLIN, 0};
        int n = ::poll(&pfd, 1, remaining_ms(end));
        if (n < 0 && errno == EINTR) continue;
        if (n == 0) return false;
        ChildReport r;
        ssize_t got = ::read(fd, &r, sizeof r);
        if (got < 0 && errno == EINTR) continue;
        if (got == static_cast<ssize_t>(sizeof r)) report = r;
        else if (got != 0) report = ChildReport{static_cast<int>(detail::ChildStage::Exec), got < 0 ? errno : EIO};
        return true;
    }
}

// One running child: feeds stdin, collects stdout/stderr, enforces the deadline.
class Session {
public:
    Session(pid_t pid, Pipes& p, const std::optional<std::string>& input, SteadyClock::time_point end,
            std::function<void(std::string_view)> on_err = {})
        : m_on_err(std::move(on_err)),
          m_pid(pid),
          m_pidfd(open_pidfd(pid)),
          m_in(std::move(p.in.write)),
          m_out(std::move(p.out.read)),
          m_err(std::move(p.err.read)),
          m_input(input ? std::string_view(*input) : std::string_view{}),
          m_end(end) {
        if (m_input.empty()) m_in.reset();
    }

    CommandResult run() {
        int status = 0;
        while (!try_reap(m_pid, status)) {
            if (SteadyClock::now() >= m_end) {
                kill_group(m_pid);
                reap_blocking(m_pid, status);
                m_result.timed_out = true;
                break;
            }
            wait_for_events();
        }
        // The child is gone; a daemonized grandchild may still hold the pipes,
        // so take what is readable now and do not wait for EOF.
        drain(m_out, m_result.out);
        drain_err();
        decode(status);
        return std::move(m_result);
    }

    bool saw_epipe() const { return m_saw_epipe; }

private:
    void wait_for_events() {
        std::array<pollfd, 4> fds{};
        nfds_t n = 0;
        if (m_in.valid()) fds[n++] = {m_in.get(), POLLOUT, 0};
        if (m_out.valid()) fds[n++] = {m_out.get(), POLLIN, 0};
        if (m_err.valid()) fds[n++] = {m_err.get(), POLLIN, 0};
        if (m_pidfd.valid()) fds[n++] = {m_pidfd.get(), POLLIN, 0};
        // Without a pidfd (old kernel) child exit is noticed by polling waitpid.
        int timeout = m_pidfd.valid() ? remaining_ms(m_end) : std::min(remaining_ms(m_end), 10);
        if (::poll(fds.data(), n, timeout) <= 0) return;  // timeout or EINTR: the loop re-checks
        for (nfds_t i = 0; i < n; ++i) {
            if (fds[i].revents == 0) continue;
            if (fds[i].fd == m_in.get()) pump_stdin();
            else if (fds[i].fd == m_out.get()) drain(m_out, m_result.out);
            else if (fds[i].fd == m_err.get()) drain_err();
        }
    }

    void pump_stdin() {
        while (m_in.valid() && m_written < m_input.size()) {
            size_t chunk = std::min<size_t>(m_input.size() - m_written, 65536);
            ssize_t n = ::write(m_in.get(), m_input.data() + m_written, chunk);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && errno == EAGAIN) return;
            if (n < 0) {
                // EPIPE: the child does not read its input; that is its business.
                m_saw_epipe = m_saw_epipe || errno == EPIPE;
                m_in.reset();
                return;
            }
            m_written += static_cast<size_t>(n);
        }
        m_in.reset();  // all written: close so the child sees EOF
    }

    static void drain(UniqueFd& fd, std::string& sink) {
        std::array<char, 65536> buf{};
        for (int i = 0; fd.valid() && i < kMaxReadsPerDrain; ++i) {
            ssize_t n = ::read(fd.get(), buf.data(), buf.size());
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && errno == EAGAIN) return;
            if (n <= 0) {
                fd.reset();
                return;
            }
            sink.append(buf.data(), static_cast<size_t>(n));
        }
    }

    void drain_err() {
        std::size_t before = m_result.err.size();
        drain(m_err, m_result.err);
        if (m_on_err && m_result.err.size() > before) m_on_err(std::string_view(m_result.err).substr(before));
    }

    void decode(int status) {
        if (status == kStatusUnknown) return;  // exit_code stays -1
        if (WIFEXITED(status)) {
            m_result.exit_code = WEXITSTATUS(status);
        } else if (WIFSIGNALED(status)) {
            m_result.term_signal = WTERMSIG(status);
        }
    }

    std::function<void(std::string_view)> m_on_err;
    pid_t m_pid;
    UniqueFd m_pidfd;
    UniqueFd m_in, m_out, m_err;
    std::string_view m_input;
    size_t m_written = 0;
    SteadyClock::time_point m_end;
    CommandResult m_result;
    bool m_saw_epipe = false;
};

// Blocks SIGPIPE in this thread while a command runs: a child that closes its
// stdin early must yield EPIPE, not kill the agent.
class SigpipeBlock {
public:
    SigpipeBlock() {
        sigemptyset(&m_pipe);
        sigaddset(&m_pipe, SIGPIPE);
        ::pthread_sigmask(SIG_BLOCK, &m_pipe, &m_old);
    }
    SigpipeBlock(const SigpipeBlock&) = delete;
    SigpipeBlock& operator=(const SigpipeBlock&) = delete;
    ~SigpipeBlock() { ::pthread_sigmask(SIG_SETMASK, &m_old, nullptr); }
    // Discards the SIGPIPE our own EPIPE left pending.
    void consume_pending() {
        timespec zero{0, 0};
        while (::sigtimedwait(&m_pipe, nullptr, &zero) == SIGPIPE) {}
    }

private:
    sigset_t m_pipe{};
    sigset_t m_old{};
};

Result<CommandResult> run_started(const SpawnPlan& plan, pid_t pid, Pipes& pipes, const Command& cmd,
                                  SteadyClock::time_point end, SigpipeBlock& sigpipe) {
    std::optional<ChildReport> report;
    if (!wait_for_exec(pipes.report.read.get(), end, report)) {
        kill_group(pid);
        int status = 0;
        reap_blocking(pid, status);
        CommandResult timed_out;
        timed_out.timed_out = true;
        timed_out.term_signal = SIGKILL;
        return timed_out;
    }
    if (report) {
        int status = 0;
        reap_blocking(pid, status);
        return detail::report_to_error(plan, *report);
    }
    Session session(pid, pipes, cmd.stdin_data, end, cmd.on_stderr);
    CommandResult result = session.run();
    if (session.saw_epipe()) sigpipe.consume_pending();
    return result;
}

}  // namespace

Result<CommandResult> ProcessRunner::run(const Command& cmd) {
    auto end = SteadyClock::now() + cmd.timeout;
    spdlog::debug("Running command. [argv: {}, user: {}, timeout_ms: {}]", describe(cmd.argv),
                  cmd.run_as_user.value_or("-"), cmd.timeout.count());
    SpawnPlan plan;
    if (Result<void> planned = detail::make_spawn_plan(cmd, plan); !planned) return planned.error();
    Pipes pipes;
    if (Result<void> made = make_pipes(pipes); !made) return made.error();
    SigpipeBlock sigpipe;
    Result<pid_t> pid = spawn(plan, pipes);
    if (!pid) return pid.error();
    Watchdog watchdog(*pid);
    Result<CommandResult> result = run_started(plan, *pid, pipes, cmd, end, sigpipe);
    if (!result) {
        spdlog::debug("Command could not be run. [argv0: {}, reason: {}]", plan.program, result.error().message);
    } else if (result->timed_out) {
        spdlog::warn("Command timed out, process group killed. [argv0: {}, timeout_ms: {}]", plan.program,
                     cmd.timeout.count());
    } else {
        spdlog::debug("Command finished. [argv0: {}, exit_code: {}, signal: {}, timed_out: {}]", plan.program,
                      result->exit_code, result->term_signal, result->timed_out);
    }
    return result;
}

}  // namespace pgtwin::sys
