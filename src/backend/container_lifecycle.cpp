// SPDX-License-Identifier: GPL-2.0-or-later
// ContainerBackend's lifecycle: start, stop and tool commands.

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "pgtwin/backend/container_backend.hpp"
#include "pgtwin/backend/container_guard.hpp"
#include "pgtwin/core/text.hpp"
#include "pgtwin/sys/files.hpp"
#include "pgtwin/sys/process.hpp"

namespace pgtwin::backend {
namespace {

constexpr Millis kLogsCap{5000};
constexpr Millis kPollInterval{250};
constexpr Millis kStopReserve{10000};  // kept back from pg_ctl for runtime stop + rm

long long whole_seconds(Millis m) { return std::max<long long>(1, m.count() / 1000); }

// True once postmaster.pid says the server accepts connections (what pg_ctl -w waits for).
bool postmaster_ready(const std::string& pgdata) {
    auto pm = sys::read_postmaster_pid(pgdata);
    if (!pm || !pm->has_value()) return false;
    const std::string& status = (*pm)->status;
    return status.rfind("ready", 0) == 0 || status.rfind("standby", 0) == 0;
}

// The last `n` lines of the newest file in `dir` written since `since` (the
// server's current log), reading at most its last 64 KiB; empty when none.
std::string newest_log_tail(const std::string& dir, std::filesystem::file_time_type since, std::size_t n) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::path newest;
    fs::file_time_type newest_time{};
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        std::error_code fec;
        if (!e.is_regular_file(fec)) continue;
        auto t = e.last_write_time(fec);
        if (!fec && t >= since && (newest.empty() || t > newest_time)) {
            newest = e.path();
            newest_time = t;
        }
    }
    if (newest.empty()) return {};
    std::ifstream in(newest, std::ios::binary | std::ios::ate);
    std::streamoff size = in.tellg();
    if (!in || size <= 0) return {};
    std::streamoff from = std::max<std::streamoff>(0, size - 65536);
    std::string text(static_cast<std::size_t>(size - from), '\0');
    in.seekg(from);
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(std::max<std::streamsize>(0, in.gcount())));
    return last_lines(text, n, " | ");
}

}  // namespace

// Why: in a container every postmaster is PID 1, and PostgreSQL takes a
// postmaster.pid naming its own PID for stale; so a container started beside
// a live postmaster of this data directory (a container under another name,
// the other runtime or storage, a host postgres) would run a second server on
// it and corrupt it. "Our container is not running" proves nothing: look for
// such a process on the whole host (containers' processes are host processes)
// and for a listener on the shared socket.
Result<void> ContainerBackend::ensure_no_other_postmaster() const {
    auto pids = postmasters_using(m_cfg.pgdata);
    if (!pids.empty()) {
        return fail(ErrorKind::Generic,
                    fmt::format("a postgres process (pid {}) already runs on data directory {} outside "
                                "container {} (another container, runtime or a host server?); not "
                                "starting, postmaster.pid left in place",
                                pids.front(), m_cfg.pgdata, m_name));
    }
    std::string sock = fmt::format("{}/.s.PGSQL.{}", socket_dir(), m_cfg.pgport);
    if (unix_socket_accepts(sock)) {
        return fail(ErrorKind::Generic,
                    fmt::format("a server accepts connections on {} although container {} is not running; "
                                "not starting, postmaster.pid left in place",
                                sock, m_name));
    }
    return ok();
}

// Why: a postmaster.pid (or socket lock) left by an old container names a PID
// from that container's PID namespace; the same PID may be alive in the new
// one, and PostgreSQL would then refuse to start. Called only after
// ensure_no_other_postmaster proved the files stale. A stale socket would also
// fool the readiness wait.
Result<void> ContainerBackend::clear_stale_files() {
    std::string pidfile = m_cfg.pgdata + "/postmaster.pid";
    if (sys::file_exists(pidfile)) {
        std::string aside = pidfile + ".pgtwin-stale";
        if (auto r = sys::rename_path(pidfile, aside); !r) return r.error();
        spdlog::warn(
            "Moved a stale postmaster.pid aside; no postmaster runs on the data directory. [file: {}, moved_to: {}]",
            pidfile, aside);
    }
    std::string sock = fmt::format("{}/.s.PGSQL.{}", socket_dir(), m_cfg.pgport);
    for (const std::string& f : {sock, sock + ".lock"}) {
        if (!sys::file_exists(f)) continue;
        if (auto r = sys::remove_file(f); !r) return r.error();
        spdlog::warn("Removed a stale socket file; no postmaster runs on the data directory. [file: {}]", f);
    }
    return ok();
}

Result<void> ContainerBackend::check_dir_owner(const std::string& what, const std::string& path,
                                               const UserIds& ids) const {
    auto own = sys::owner_of(path);
    if (!own) return own.error();
    if (own->first == ids.uid) return ok();
    return fail(ErrorKind::InvalidArgs, fmt::format("{} {} is owned by uid {} but the container user runs as uid {}",
                                                    what, path, own->first, ids.uid));
}

Result<void> ContainerBackend::ensure_socket_dir(const UserIds& ids) {
    std::string dir = socket_dir();
    if (sys::is_directory(dir)) return check_dir_owner("socket directory", dir, ids);
    // 0700: the local socket uses trust authentication (see initdb), so only
    // root and the container user may reach it.
    if (auto r = sys::make_directories(dir, 0700, ids.uid, ids.gid); !r) return r.error();
    spdlog::info("Created the shared socket directory. [dir: {}, owner: {}]", dir, ids.spec());
    return ok();
}

Result<void> ContainerBackend::ensure_log_dir(const UserIds& ids) {
    std::string dir = log_dir();
    if (sys::is_directory(dir)) return check_dir_owner("log directory", dir, ids);
    // 0700: the log holds statements and connection details.
    if (auto r = sys::make_directories(dir, 0700, ids.uid, ids.gid); !r) return r.error();
    spdlog::info("Created the server log directory. [dir: {}, owner: {}]", dir, ids.spec());
    return ok();
}

Result<void> ContainerBackend::wait_ready(const Deadline& d) {
    std::string sock = fmt::format("{}/.s.PGSQL.{}", socket_dir(), m_cfg.pgport);
    while (true) {
        if (sys::file_exists(sock) && postmaster_ready(m_cfg.pgdata)) return ok();
        if (d.expired()) {
            return fail(ErrorKind::Timeout, fmt::format("PostgreSQL in container {} did not accept connections on {} "
                                                        "before the start timeout",
                                                        m_name, sock));
        }
        auto st = query_state(d);
        if (!st) return st.error();
        if (st->has_value() && !(*st)->running) {
            auto rt = runtime();
            auto logs = m_runner.run((*rt)->logs_tail(m_name, 20, d.remaining_capped(kLogsCap)));
            std::string tail = logs ? last_lines(logs->err + "\n" + logs->out, 5, " | ") : std::string{};
            // Once the logging collector runs, the server's messages go to the log directory.
            std::string file_tail = newest_log_tail(log_dir(), m_launched_at, 5);
            if (!file_tail.empty()) tail += (tail.empty() ? "" : " | ") + file_tail;
            return fail(ErrorKind::Generic, fmt::format("container {} exited during start: {}", m_name, tail));
        }
        m_clock.sleep_for(std::min(kPollInterval, d.remaining()));
    }
}

Result<void> ContainerBackend::launch(const UserIds& ids, const Deadline& d) {
    // The long-running container: a temporary run's spec, kept, named and detached.
    RunSpec spec = temp_run(ids, {"postgres", "-D", kContainerDataDir, "-p", std::to_string(m_cfg.pgport), "-c",
                                  std::string("unix_socket_directories=") + kContainerSocketDir});
    spec.remove = false;
    spec.detach = true;
    spec.name = m_name;
    spec.hostname = m_node;
    spec.mounts = mounts(true);
    if (sys::file_exists(config_dir() + "/postgresql.conf")) {
        spec.cmd.insert(spec.cmd.end(), {"-c", std::string("config_file=") + kContainerConfigDir + "/postgresql.conf"});
    }
    // The log goes to the mounted host directory, so it outlives the container
    // (see the header). Before start_opts: an administrator may override them.
    spec.cmd.insert(spec.cmd.end(),
                    {"-c", "logging_collector=on", "-c", std::string("log_directory=") + kContainerLogDir});
    for (auto& w : split_words(m_cfg.start_opts)) spec.cmd.push_back(std::move(w));
    // unix_socket_permissions=0700, last: the socket trusts local connections,
    // so it stays closed to other host users even if something opens the
    // directory (the command line outranks postgresql.conf and ALTER SYSTEM,
    // and the last -c outranks start_opts).
    spec.cmd.insert(spec.cmd.end(), {"-c", "unix_socket_permissions=0700"});
    auto rt = runtime();
    // A second back: file times come from the kernel's coarse clock.
    m_launched_at = std::filesystem::file_time_type::clock::now() - std::chrono::seconds(1);
    auto r = m_runner.run((*rt)->run(spec, d.remaining()));
    if (!r) return r.error();
    if (!r->success()) return runtime_command_failed("cannot start container " + m_name, *r);
    spdlog::info("Started PostgreSQL container. [container: {}, image: {}, user: {}, log_dir: {}]", m_name,
                 m_cfg.container_image, ids.spec(), log_dir());
    return ok();
}

Result<void> ContainerBackend::start(const Deadline& d) {
    auto st = query_state(d);
    if (!st) return st.error();
    if (!st->has_value()) {
        return fail(ErrorKind::Timeout, "container runtime did not answer; cannot start " + m_name);
    }
    if ((*st)->running) {
        spdlog::info("Container already running. [container: {}]", m_name);
        return wait_ready(d);
    }
    if ((*st)->exists) {
        spdlog::info("Removing a stopped container before start. [container: {}, status: {}]", m_name, (*st)->status);
        if (auto r = remove_container(d); !r) return r;
    }
    if (!sys::file_exists(m_cfg.pgdata + "/PG_VERSION")) {
        return fail(ErrorKind::Generic, "no PostgreSQL data directory at " + m_cfg.pgdata + " (PG_VERSION missing)");
    }
    if (auto r = ensure_image(d); !r) return r;
    auto ids = user_ids(d, IdSource::DataOwnerFirst);
    if (!ids) return ids.error();
    if (auto r = ensure_no_other_postmaster(); !r) return r;
    if (auto r = clear_stale_files(); !r) return r;
    if (auto r = ensure_socket_dir(*ids); !r) return r;
    if (auto r = ensure_log_dir(*ids); !r) return r;
    if (auto r = launch(*ids, d); !r) return r;
    return wait_ready(d);
}

Result<void> ContainerBackend::stop_running(StopMode mode, const Deadline& d) {
    auto rt = runtime();
    auto ids = user_ids(d, IdSource::DataOwnerFirst);
    std::string user = ids ? ids->spec() : m_cfg.container_user;
    Millis reserve = std::min(kStopReserve, d.remaining() / 3);
    Millis ctl_budget = d.remaining() - reserve;
    // clang-format off
    std::vector<std::string> ctl{"pg_ctl", "stop", "-D", kContainerDataDir, "-m",
                                 mode == StopMode::Fast ? "fast" : "immediate", "-w", "-t",
                                 std::to_string(whole_seconds(ctl_budget - Millis{1000}))};
    // clang-format on
    auto r = m_runner.run((*rt)->exec(m_name, user, {}, ctl, ctl_budget));
    if (!r || !r->success()) {
        // Not fatal: the container may already be gone; `stop` below finishes the job.
        // Usual when the container exits with its postmaster before exec returns.
        spdlog::info("pg_ctl stop in the container did not confirm. [container: {}, exit_code: {}, detail: {}]", m_name,
                     r ? r->exit_code : -1, r ? last_lines(r->err, 2, " | ") : r.error().message);
    }
    // `stop` sends the image's stop signal, then SIGKILL after the grace time.
    Millis rm_reserve = std::min(Millis{5000}, d.remaining() / 4);
    Millis stop_budget = d.remaining() - rm_reserve;
    auto s = m_runner.run((*rt)->stop(m_name, whole_seconds(stop_budget - Millis{2000}), stop_budget));
    if (s && !s->success() && !is_no_such_container(s->err)) {
        spdlog::warn("Container stop failed. [container: {}, detail: {}]", m_name, last_lines(s->err, 2, " | "));
    }
    return remove_container(d);
}

Result<void> ContainerBackend::stop(StopMode mode, const Deadline& d) {
    auto st = query_state(d);
    if (!st) return st.error();
    bool hung = !st->has_value();
    if (!hung) {
        if (auto r = remove_orphaned_tool(d); !r) return r;
    }
    if (!hung && !(*st)->exists) return ok();
    if (!hung && !(*st)->running) return remove_container(d);
    if (auto r = stop_running(mode, d); !r) return r;
    auto after = query_state(d);
    if (!after) return after.error();
    if (!after->has_value() || (*after)->exists) {
        return fail(ErrorKind::Generic, "container " + m_name + " is still present after stop");
    }
    spdlog::info("Stopped PostgreSQL container. [container: {}]", m_name);
    return ok();
}

Result<sys::Command> ContainerBackend::tool_command(Tool tool, std::vector<std::string> args, const Deadline& d) {
    auto st = query_state(d);
    if (!st) return st.error();
    if (!st->has_value()) {
        return fail(ErrorKind::Timeout,
                    "container runtime did not answer; cannot run " + std::string(tool_program(tool)));
    }
    auto ids = user_ids(d, IdSource::DataOwnerFirst);
    if (!ids) return ids.error();
    std::vector<std::string> cmd{tool_program(tool)};
    cmd.insert(cmd.end(), std::make_move_iterator(args.begin()), std::make_move_iterator(args.end()));
    auto rt = runtime();
    if ((*st)->running) return (*rt)->exec(m_name, ids->spec(), container_env(), std::move(cmd), d.remaining());
    RunSpec spec = temp_run(*ids, std::move(cmd));
    if (tool == Tool::PgBasebackup || tool == Tool::PgRewind) {
        if (auto r = remove_orphaned_tool(d); !r) return r.error();
        spec.name = tool_container_name();
    }
    return (*rt)->run(spec, d.remaining());
}

}  // namespace pgtwin::backend
