// SPDX-License-Identifier: GPL-2.0-or-later
// The clone job's life: start launches it (detached, its own session) and
// waits while its timeout allows; the job clones, starts PostgreSQL as a
// standby and records each step; stop kills it. See clone_job.hpp.

#include "pgtwin/agent/clone_job.hpp"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "pgtwin/agent/data_dir.hpp"
#include "pgtwin/agent/rebuild.hpp"
#include "pgtwin/agent/replication.hpp"
#include "pgtwin/agent/timing.hpp"
#include "pgtwin/sys/detach.hpp"
#include "pgtwin/sys/files.hpp"

extern char** environ;

namespace pgtwin::agent {

namespace {

CloneJobLauncher& launcher_slot() {
    static CloneJobLauncher launcher;
    return launcher;
}

long long unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// The real launcher: this binary, `clone-job`, with the action's environment
// (OCF_RESKEY_*, node, state directory) and its log also on stderr (the log file).
Result<void> launch_detached(Context& ctx) {
    std::error_code ec;
    auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) return fail(ErrorKind::Generic, "cannot find the agent binary: " + ec.message());
    sys::DetachedCommand cmd;
    cmd.argv = {self.string(), "clone-job"};
    for (char** e = environ; e && *e; ++e) cmd.env.emplace_back(*e);
    cmd.env.emplace_back("PGTWIN_LOG_STDERR=1");
    cmd.log_path = clone_log_path(ctx);
    // The job's log opens before the job writes its first state.
    if (auto r = sys::make_directories(ctx.state_dir, 0700, ::geteuid(), ::getegid()); !r) {
        return fail(r.error().kind, "cannot create the state directory: " + r.error().message);
    }
    auto pid = sys::start_detached(cmd, kCloneReadyWait);
    if (!pid) return pid.error();
    spdlog::info("Clone job started. [pid: {}, log: {}]", *pid, cmd.log_path);
    return ok();
}

// Follows pg_basebackup's --progress: the state file every few seconds, a
// log line about once a minute.
class ProgressSink {
public:
    ProgressSink(Context& ctx, CloneJobState& state) : m_ctx(ctx), m_state(state) {}

    void operator()(std::string_view chunk) {
        auto p = m_reader.feed(chunk);
        // Only errors: pg_basebackup also reports "waiting for checkpoint".
        const std::string& said = m_reader.last_message();
        if (said.find("error") != std::string::npos || said.find("FATAL") != std::string::npos) m_state.error = said;
        if (!p) return;
        auto now = m_ctx.clock.now();
        if (now - m_saved >= kCloneStateEvery) {
            double secs = std::chrono::duration<double>(now - m_saved).count();
            m_state.rate_kbs = m_saved == SteadyTime{} ? 0.0 : double(p->done_kb - m_state.done_kb) / secs;
            m_state.done_kb = p->done_kb;
            m_state.total_kb = p->total_kb;
            m_state.updated_at = unix_now();
            save_clone_state(m_ctx, m_state);
            m_saved = now;
        }
        if (now - m_logged >= kCloneLogEvery) {
            double secs = std::chrono::duration<double>(now - m_logged).count();
            double rate = m_logged == SteadyTime{} ? 0.0 : double(p->done_kb - m_logged_kb) / 1024.0 / secs;
            spdlog::info("Clone progress. [done_mb: {}, total_mb: {}, rate_mbs: {:.1f}]", p->done_kb / 1024,
                         p->total_kb / 1024, rate);
            m_logged = now;
            m_logged_kb = p->done_kb;
        }
    }

private:
    Context& m_ctx;
    CloneJobState& m_state;
    ProgressReader m_reader;
    SteadyTime m_saved{};
    SteadyTime m_logged{};
    long long m_logged_kb = 0;
};

Outcome job_failed(Context& ctx, CloneJobState& s, const std::string& why) {
    s.phase = kJobFailed;
    s.error = why;
    s.updated_at = unix_now();
    save_clone_state(ctx, s);
    spdlog::error("Clone job failed. [reason: {}]", why);
    return Outcome::failure(ocf::Status::ErrGeneric, why);
}

// Waits for the job while start's timeout allows: true once PostgreSQL runs.
Result<bool> wait_for_job(Context& ctx) {
    auto probe = [](long pid) { return sys::process_start_time(static_cast<pid_t>(pid)); };
    while (true) {
        auto s = load_clone_state(ctx);
        if (!s) return fail(ErrorKind::Generic, "the clone job left no state in " + clone_state_path(ctx));
        if (s->phase == kJobDone) return true;
        if (s->phase == kJobFailed) return fail(ErrorKind::Generic, "clone failed: " + s->error);
        if (!clone_job_alive(*s, probe)) {
            return fail(ErrorKind::Generic, "clone job (pid " + std::to_string(s->pid) + ") died: " + s->error);
        }
        if (ctx.deadline.remaining() <= kCloneStartReserve + kClonePollInterval) {
            spdlog::info("Clone continues after start returns. [pid: {}, done_mb: {}, total_mb: {}]", s->pid,
                         s->done_kb / 1024, s->total_kb / 1024);
            return false;
        }
        ctx.clock.sleep_for(kClonePollInterval);
    }
}

}  // namespace

void set_clone_job_launcher(CloneJobLauncher launcher) { launcher_slot() = std::move(launcher); }

Result<bool> hand_clone_to_job(Context& ctx) {
    if (!live_clone_job(ctx)) {
        // Marked before the job exists: a failed launch or a reboot leaves a
        // directory start recognises and replaces.
        if (auto r = set_marker(ctx, DataMarker::Clone); !r) return r.error();
        auto& launcher = launcher_slot();
        auto r = launcher ? launcher(ctx) : launch_detached(ctx);
        if (!r) return fail(r.error().kind, "cannot start the clone job: " + r.error().message);
    }
    return wait_for_job(ctx);
}

Outcome run_clone_job(Context& ctx, const std::function<void()>& ready) {
    CloneJobState s;
    s.pid = static_cast<long>(::getpid());
    s.start_time = sys::process_start_time(::getpid()).value_or(0);
    s.source = ctx.peer;
    s.started_at = s.updated_at = unix_now();
    save_clone_state(ctx, s);
    if (ready) ready();
    spdlog::info("Clone job running. [pid: {}, source: {}, max_rate: {}]", s.pid, ctx.peer,
                 ctx.cfg.clone_max_rate.empty() ? std::string("unlimited") : ctx.cfg.clone_max_rate);
    ProgressSink sink(ctx, s);
    if (auto r = clone_from_peer(ctx, std::ref(sink)); !r) return job_failed(ctx, s, r.error().message);
    s.phase = kJobStarting;
    s.done_kb = s.total_kb;
    s.error.clear();
    s.updated_at = unix_now();
    save_clone_state(ctx, s);
    if (auto r = write_standby_config(ctx); !r) {
        return job_failed(ctx, s, "cannot write the standby configuration: " + r.error().message);
    }
    spdlog::info("Starting PostgreSQL as a standby after the clone. [node: {}, primary: {}]", ctx.node, ctx.peer);
    if (auto r = ctx.backend.start(ctx.deadline.capped(kClonePostgresStartCap)); !r) {
        return job_failed(ctx, s, "PostgreSQL did not start: " + r.error().message);
    }
    clear_all_markers(ctx);
    s.phase = kJobDone;
    s.updated_at = unix_now();
    save_clone_state(ctx, s);
    spdlog::info("Clone job finished: PostgreSQL runs as a standby. [node: {}]", ctx.node);
    return Outcome::success();
}

Result<void> stop_clone_job(Context& ctx, const Deadline& deadline) {
    auto s = load_clone_state(ctx);
    if (!s || s->phase == kJobDone || s->phase == kJobStopped) return ok();
    auto probe = [](long pid) { return sys::process_start_time(static_cast<pid_t>(pid)); };
    if (clone_job_alive(*s, probe)) {
        spdlog::info("Stopping the clone job. [pid: {}]", s->pid);
        // pg_basebackup dies with the job (parent-death signal of the runner).
        int sig = SIGTERM;
        Deadline grace = deadline.capped(std::min(kCloneTermGrace, deadline.remaining() / 2));
        // Ignored: a group already gone needs no signal, and the loop below watches the job.
        (void)sys::signal_group(static_cast<pid_t>(s->pid), sig);
        while (clone_job_alive(*s, probe)) {
            if (sig == SIGTERM && grace.remaining() <= Millis{0}) {
                sig = SIGKILL;
                (void)sys::signal_group(static_cast<pid_t>(s->pid), sig);  // ignored: as above
            }
            if (deadline.remaining() <= Millis{0}) {
                return fail(ErrorKind::Timeout, "clone job " + std::to_string(s->pid) + " did not end");
            }
            ctx.clock.sleep_for(kCloneStopPollInterval);
        }
    }
    s->phase = kJobStopped;
    s->updated_at = unix_now();
    save_clone_state(ctx, *s);
    return ok();
}

}  // namespace pgtwin::agent
