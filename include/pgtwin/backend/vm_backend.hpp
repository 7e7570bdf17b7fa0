// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// VM mode: PostgreSQL runs on the host, managed with pg_ctl as pguser.

#include <functional>
#include <string>
#include <vector>

#include "pgtwin/backend/backend.hpp"
#include "pgtwin/core/clock.hpp"
#include "pgtwin/ocf/config.hpp"
#include "pgtwin/sys/command.hpp"

namespace pgtwin::backend {

// Where PostgreSQL programs and locales are looked for (tests point these at
// temporary trees; nothing else in VM mode names a system path).
struct VmSearchPaths {
    std::vector<std::string> path_dirs;           // PATH entries, searched first
    std::string debian_root;                      // <root>/<major>/bin (Debian: /usr/lib/postgresql)
    std::string pgdg_root;                        // <root>/pgsql-<major>/bin (PGDG RPMs: /usr)
    std::vector<std::string> c_utf8_locale_dirs;  // any existing one means C.UTF-8 is installed
};

// The search paths of this machine: $PATH and the distributions' layouts.
VmSearchPaths default_vm_search_paths();

// Finds the directory holding pg_ctl for `cfg` (see the pg_bindir parameter):
// pg_bindir if set; else by <pgdata>/PG_VERSION in PATH, the Debian, then the
// PGDG layout; with no PG_VERSION the highest installed major. NotInstalled
// with the searched directories in the reason when nothing fits.
Result<std::string> find_pg_bindir(const ocf::Config& cfg, const VmSearchPaths& paths);

// Splits start_opts on whitespace; each token must match [A-Za-z0-9_=.,:/-]+
// because pg_ctl passes -o through a shell (InvalidConfig otherwise).
Result<std::vector<std::string>> split_start_opts(const std::string& start_opts);

// Test seams for VmBackend; the defaults use /proc and postmaster.pid.
struct VmBackendOptions {
    VmSearchPaths paths = default_vm_search_paths();
    // Whether a live postmaster serves this data directory.
    std::function<bool(const std::string& pgdata)> postmaster_running;
    // The postmaster's PID from postmaster.pid (0 when unknown).
    std::function<long(const std::string& pgdata)> postmaster_pid;
};

// The VM-mode Backend.
class VmBackend final : public Backend {
public:
    VmBackend(ocf::Config cfg, sys::CommandRunner& runner, Clock& clock, VmBackendOptions options = {});

    std::string mode_name() const override { return "vm"; }
    Result<void> validate(const Deadline& d, ValidateScope scope) override;
    Result<Liveness> liveness(const Deadline& d) override;
    Result<void> start(const Deadline& d) override;
    Result<void> stop(StopMode mode, const Deadline& d) override;
    Result<sys::Command> tool_command(Tool tool, std::vector<std::string> args, const Deadline& d) override;
    std::string data_dir_for_tools() const override { return m_cfg.pgdata; }
    std::string host_data_dir() const override { return m_cfg.pgdata; }
    pg::ConnParams local_conn() const override;
    Result<void> initdb(const Deadline& d) override;
    Result<void> prepare_data_dir(const Deadline& d) override;
    std::string passfile_for_server() const override { return m_cfg.pgpassfile; }

    // The server log pg_ctl writes (logfile, or <pgdata>/log/pgtwin-postgresql.log).
    std::string server_log() const;

private:
    Result<void> prepare_start_dirs();
    Result<void> pg_ctl_stop(const char* mode, Deadline step);
    Result<void> kill_postmaster(const Deadline& d);
    bool running() const;
    std::string socket_dir() const;

    ocf::Config m_cfg;
    sys::CommandRunner& m_runner;
    Clock& m_clock;
    VmBackendOptions m_opts;
};

}  // namespace pgtwin::backend
