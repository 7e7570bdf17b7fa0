// SPDX-License-Identifier: GPL-2.0-or-later
// VM mode: pg_ctl on the host, run as pguser through the CommandRunner.

#include "pgtwin/backend/vm_backend.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "pgtwin/core/text.hpp"
#include "pgtwin/sys/files.hpp"
#include "pgtwin/sys/process.hpp"

namespace pgtwin::backend {
namespace {

// stop: a fast shutdown may use the budget up to this much before the
// deadline; the rest is for the immediate shutdown and, last, SIGKILL.
constexpr Millis kFastStopReserve{3000};
constexpr Millis kImmediateReserve{1000};
constexpr Millis kPollInterval{100};
constexpr Millis kKillTimeout{2000};
// start: pg_ctl's own wait ends this much before the command's timeout so
// that it reports "did not start in time" itself instead of being killed.
constexpr Millis kStartMargin{1000};
constexpr std::size_t kLogTailLines = 8;
constexpr std::size_t kLogTailChars = 1500;
constexpr const char* kDefaultSocketDir = "/var/run/postgresql";

// Whole seconds for pg_ctl -t, at least 1.
std::string seconds_arg(Millis m) { return std::to_string(std::max<long long>(1, m.count() / 1000)); }

// The last lines of the server log, for an exit reason (the log holds no
// passwords: PostgreSQL never logs them, and connection strings are not logged).
std::string log_tail(const std::string& path) {
    auto text = sys::read_file(path);
    if (!text) return "(server log unreadable: " + text.error().message + ")";
    std::string s = *text;
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    std::size_t pos = s.size();
    for (std::size_t n = 0; n < kLogTailLines && pos != std::string::npos && pos > 0; ++n) {
        pos = s.rfind('\n', pos - 1);
    }
    std::string tail = (pos == std::string::npos) ? s : s.substr(pos + 1);
    if (tail.size() > kLogTailChars) tail = tail.substr(tail.size() - kLogTailChars);
    return tail.empty() ? "(server log empty)" : tail;
}

long default_postmaster_pid(const std::string& pgdata) {
    auto pid = sys::read_postmaster_pid(pgdata);
    if (!pid || !pid->has_value()) return 0;
    return static_cast<long>((*pid)->pid);
}

}  // namespace

VmBackend::VmBackend(ocf::Config cfg, sys::CommandRunner& runner, Clock& clock, VmBackendOptions options)
    : m_cfg(std::move(cfg)), m_runner(runner), m_clock(clock), m_opts(std::move(options)) {
    if (!m_opts.postmaster_running) m_opts.postmaster_running = sys::postmaster_running;
    if (!m_opts.postmaster_pid) m_opts.postmaster_pid = default_postmaster_pid;
}

bool VmBackend::running() const { return m_opts.postmaster_running(m_cfg.pgdata); }

std::string VmBackend::socket_dir() const { return m_cfg.pghost.empty() ? kDefaultSocketDir : m_cfg.pghost; }

std::string VmBackend::server_log() const {
    return m_cfg.logfile.empty() ? m_cfg.pgdata + "/log/pgtwin-postgresql.log" : m_cfg.logfile;
}

Result<void> VmBackend::validate(const Deadline& /*d*/, ValidateScope /*scope*/) {  // all checks are cheap
    auto bindir = find_pg_bindir(m_cfg, m_opts.paths);
    if (!bindir) return bindir.error();
    auto user = sys::lookup_user(m_cfg.pguser);
    if (!user) return fail(ErrorKind::NotInstalled, fmt::format("pguser {} does not exist", m_cfg.pguser));
    auto opts = split_start_opts(m_cfg.start_opts);
    if (!opts) return opts.error();
    if (!sys::file_exists(m_cfg.pgdata)) return ok();  // created by initdb or pg_basebackup later
    struct stat st {};
    if (::stat(m_cfg.pgdata.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        return fail(ErrorKind::InvalidArgs, fmt::format("pgdata {} is not a directory", m_cfg.pgdata));
    }
    if (st.st_uid != user->uid) {
        return fail(ErrorKind::InvalidArgs, fmt::format("pgdata {} is not owned by {}", m_cfg.pgdata, m_cfg.pguser));
    }
    // PostgreSQL itself refuses to start on any other mode.
    const auto mode = st.st_mode & 07777;
    if (mode != 0700 && mode != 0750) {
        return fail(ErrorKind::InvalidArgs,
                    fmt::format("pgdata {} has mode {:04o}; PostgreSQL needs 0700 or 0750", m_cfg.pgdata, mode));
    }
    return ok();
}

Result<Liveness> VmBackend::liveness(const Deadline& /*d*/) {
    return running() ? Liveness::Running : Liveness::Stopped;
}

Result<void> VmBackend::prepare_start_dirs() {
    auto user = sys::lookup_user(m_cfg.pguser);
    if (!user) return fail(ErrorKind::NotInstalled, fmt::format("pguser {} does not exist", m_cfg.pguser));
    // Like Debian's /var/run/postgresql: group-writable, setgid.
    auto sock = sys::make_directories(socket_dir(), 02775, user->uid, user->gid);
    if (!sock) return sock.error();
    const std::string log = server_log();
    auto log_dir = sys::make_directories(std::filesystem::path(log).parent_path().string(), 0700, user->uid, user->gid);
    if (!log_dir) return log_dir.error();
    // pg_ctl opens the log as pguser, who may not be allowed to create it in
    // its directory: create it here, and an existing file must be pguser's.
    if (!sys::file_exists(log)) {
        auto created = sys::write_file_atomic(log, "", 0600, user->uid, user->gid);
        if (!created) return created.error();
    } else {
        auto owner = sys::owner_of(log);
        if (!owner) return owner.error();
        if (owner->first != user->uid) {
            auto chowned = sys::chown_path(log, user->uid, user->gid);
            if (!chowned) return chowned.error();
        }
    }
    return ok();
}

Result<void> VmBackend::start(const Deadline& d) {
    if (running()) return ok();
    auto opts = split_start_opts(m_cfg.start_opts);
    if (!opts) return opts.error();
    // pg_ctl hands -o to a shell: only values of known-safe characters go there.
    static const std::regex kSafeDir(R"([A-Za-z0-9_./-]+)");
    if (!std::regex_match(socket_dir(), kSafeDir)) {
        return fail(ErrorKind::InvalidConfig, fmt::format("pghost {} has unsupported characters", socket_dir()));
    }
    if (!sys::is_directory(m_cfg.pgdata)) {
        return fail(ErrorKind::Generic, fmt::format("Data directory {} does not exist", m_cfg.pgdata));
    }
    auto prepared = prepare_start_dirs();
    if (!prepared) return prepared.error();
    std::string o = fmt::format("-p {} -k {}", m_cfg.pgport, socket_dir());
    for (const auto& t : *opts) o += " " + t;
    const Millis budget = d.remaining();
    if (budget <= kStartMargin) return fail(ErrorKind::Timeout, "No time left to start PostgreSQL");
    auto cmd = tool_command(
        Tool::PgCtl,
        {"start", "-D", m_cfg.pgdata, "-w", "-t", seconds_arg(budget - kStartMargin), "-l", server_log(), "-o", o}, d);
    if (!cmd) return cmd.error();
    spdlog::info("Starting PostgreSQL. [pgdata: {}, port: {}]", m_cfg.pgdata, m_cfg.pgport);
    auto r = m_runner.run(*cmd);
    if (!r) return r.error();
    if (r->timed_out) {
        return fail(ErrorKind::Timeout, "pg_ctl start timed out; server log: " + log_tail(server_log()));
    }
    if (!r->success()) {
        return fail(ErrorKind::Generic, fmt::format("pg_ctl start failed with exit code {}; server log: {}",
                                                    r->exit_code, log_tail(server_log())));
    }
    return ok();
}

Result<void> VmBackend::pg_ctl_stop(const char* mode, Deadline step) {
    auto cmd = tool_command(Tool::PgCtl,
                            {"stop", "-D", m_cfg.pgdata, "-m", mode, "-w", "-t", seconds_arg(step.remaining())}, step);
    if (!cmd) return cmd.error();
    spdlog::info("Stopping PostgreSQL. [pgdata: {}, mode: {}]", m_cfg.pgdata, mode);
    auto r = m_runner.run(*cmd);
    if (!r) return r.error();
    if (!r->success()) {
        return fail(ErrorKind::Generic,
                    fmt::format("pg_ctl stop -m {} failed with exit code {}{}: {}", mode, r->exit_code,
                                r->timed_out ? " (timed out)" : "", trim_end(r->err)));
    }
    return ok();
}

Result<void> VmBackend::stop(StopMode mode, const Deadline& d) {
    if (!running()) return ok();
    if (mode == StopMode::Fast) {
        Deadline step = d.shortened(kFastStopReserve);
        if (!step.expired()) {
            auto r = pg_ctl_stop("fast", step);
            if (!running()) return ok();
            spdlog::warn("Fast shutdown did not finish; escalating to immediate. [pgdata: {}, reason: {}]",
                         m_cfg.pgdata, r ? "still running" : r.error().message);
        }
    }
    Deadline step = d.shortened(kImmediateReserve);
    if (!step.expired()) {
        auto r = pg_ctl_stop("immediate", step);
        if (!running()) return ok();
        spdlog::warn("Immediate shutdown did not finish; killing the postmaster. [pgdata: {}, reason: {}]",
                     m_cfg.pgdata, r ? "still running" : r.error().message);
    }
    return kill_postmaster(d);
}

Result<void> VmBackend::kill_postmaster(const Deadline& d) {
    const long pid = m_opts.postmaster_pid(m_cfg.pgdata);
    // Only a PID that postmaster_running confirmed (live, postgres, cwd = pgdata).
    if (pid > 0 && running()) {
        sys::Command cmd;
        cmd.argv = {"kill", "-KILL", std::to_string(pid)};
        // As pguser: a wrong PID could at worst hit another of pguser's processes.
        cmd.run_as_user = m_cfg.pguser;
        cmd.cwd = "/";
        cmd.timeout = std::clamp(d.remaining(), kPollInterval, kKillTimeout);
        spdlog::warn("Killing postmaster. [pgdata: {}, pid: {}]", m_cfg.pgdata, pid);
        auto r = m_runner.run(cmd);
        if (!r) spdlog::error("Could not run kill. [pid: {}, reason: {}]", pid, r.error().message);
    }
    while (running()) {
        if (d.expired()) {
            return fail(ErrorKind::Timeout,
                        fmt::format("PostgreSQL in {} is still running after SIGKILL (pid {})", m_cfg.pgdata, pid));
        }
        m_clock.sleep_for(std::min(kPollInterval, d.remaining()));
    }
    return ok();
}

Result<sys::Command> VmBackend::tool_command(Tool tool, std::vector<std::string> args, const Deadline& d) {
    auto bindir = find_pg_bindir(m_cfg, m_opts.paths);
    if (!bindir) return bindir.error();
    if (d.expired()) return fail(ErrorKind::Timeout, fmt::format("No time left to run {}", tool_program(tool)));
    sys::Command cmd;
    cmd.argv.reserve(args.size() + 1);
    cmd.argv.push_back(*bindir + "/" + tool_program(tool));
    for (auto& a : args) cmd.argv.push_back(std::move(a));
    cmd.run_as_user = m_cfg.pguser;
    // PostgreSQL tools resolve their own path via getcwd(), which fails in a
    // directory pguser cannot read (e.g. root's home): run them from /.
    cmd.cwd = "/";
    // Tools reaching the peer (pg_basebackup, pg_rewind) read the password here.
    if (!m_cfg.pgpassfile.empty()) cmd.env["PGPASSFILE"] = m_cfg.pgpassfile;
    cmd.timeout = d.remaining();
    return cmd;
}

Result<void> VmBackend::prepare_data_dir(const Deadline& d) {
    (void)d;
    auto user = sys::lookup_user(m_cfg.pguser);
    if (!user) return fail(ErrorKind::NotInstalled, fmt::format("pguser {} does not exist", m_cfg.pguser));
    auto made = sys::make_directories(m_cfg.pgdata, 0700, user->uid, user->gid);
    if (!made) return made.error();
    // An existing (e.g. emptied) directory must still be pguser's and private.
    if (auto owned = sys::chown_path(m_cfg.pgdata, user->uid, user->gid); !owned) return owned.error();
    std::error_code ec;
    std::filesystem::permissions(m_cfg.pgdata, std::filesystem::perms::owner_all, ec);
    if (ec) return fail(ErrorKind::Generic, fmt::format("cannot set mode 0700 on {}: {}", m_cfg.pgdata, ec.message()));
    return ok();
}

pg::ConnParams VmBackend::local_conn() const {
    pg::ConnParams p;
    p.host = socket_dir();
    p.port = m_cfg.pgport;
    p.user = m_cfg.pguser;
    p.dbname = m_cfg.pgdatabase;
    p.application_name = "pgtwin-agent";
    p.os_user = m_cfg.pguser;  // peer authentication (Debian's default pg_hba.conf)
    return p;
}

Result<void> VmBackend::initdb(const Deadline& d) {
    auto user = sys::lookup_user(m_cfg.pguser);
    if (!user) return fail(ErrorKind::NotInstalled, fmt::format("pguser {} does not exist", m_cfg.pguser));
    auto made = sys::make_directories(m_cfg.pgdata, 0700, user->uid, user->gid);
    if (!made) return made.error();
    std::vector<std::string> args = {"-D", m_cfg.pgdata, "-E", "UTF8"};
    // Collation "C" sorts by code point and never changes with a glibc
    // upgrade (no index corruption after an OS update); C.UTF-8 character
    // classes keep upper()/lower() right for non-ASCII text where installed.
    const bool have_c_utf8 =
        std::any_of(m_opts.paths.c_utf8_locale_dirs.begin(), m_opts.paths.c_utf8_locale_dirs.end(), sys::is_directory);
    if (have_c_utf8) {
        args.insert(args.end(), {"--locale=C.UTF-8", "--lc-collate=C"});
    } else {
        args.emplace_back("--no-locale");
    }
    args.insert(args.end(), {"--data-checksums", "-U", m_cfg.pguser, "--auth-local=peer", "--auth-host=scram-sha-256"});
    auto cmd = tool_command(Tool::Initdb, std::move(args), d);
    if (!cmd) return cmd.error();
    spdlog::info("Initialising data directory. [pgdata: {}]", m_cfg.pgdata);
    auto r = m_runner.run(*cmd);
    if (!r) return r.error();
    if (r->timed_out) return fail(ErrorKind::Timeout, "initdb timed out");
    if (!r->success()) {
        return fail(ErrorKind::Generic,
                    fmt::format("initdb failed with exit code {}: {}", r->exit_code, trim_end(r->err)));
    }
    return ok();
}

}  // namespace pgtwin::backend
