// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// ContainerBackend: PostgreSQL in a podman/docker container per node, the
// container's lifecycle run by pgtwin itself (no systemd, no restart policy).
//
// Host directories and where the container sees them:
//   pgdata (host)               -> /var/lib/postgresql/data        (:Z)
//   config dir (postgresql.conf) -> /etc/postgresql                (ro,Z; only when it
//                                   holds postgresql.conf, then -c config_file=...)
//   archive dir (if it exists)  -> /var/lib/postgresql/archive     (:Z)
//   pghost (socket directory)   -> /var/run/postgresql             (:Z; libpq on the
//                                   host connects through this shared directory)
//   log dir (server log)        -> /var/lib/postgresql/log         (:Z; server only, with
//                                   -c logging_collector=on -c log_directory=<there>)
//   pgpassfile (if set)         -> /var/lib/postgresql/.pgpass-pgtwin (ro,Z) and
//                                   PGPASSFILE points there, for the server's walreceiver
//                                   and for tools run in the container
// Config, archive and log dirs default to the storage layout's siblings of the
// data dir (<pgdata>/../config, <pgdata>/../archive, <pgdata>/../log). The log
// dir is outside pgdata because pg_rewind and pg_basebackup replace pgdata's
// files, and outside the container because every stop removes the container
// (and `podman logs` with it): a crashed primary's log stays readable on the
// host after the failover.
//
// Every `run` replaces the image's entrypoint with the program itself
// (--entrypoint postgres / initdb / pg_basebackup ...) and sets
// PGDATA=/var/lib/postgresql/data: no image script runs (the official one
// chmods the socket directory 03775 and runs initdb on an empty PGDATA), and
// postgres:18's own PGDATA default does not matter. The server also gets
// -c unix_socket_permissions=0700. See docs/architecture.md, "Container image
// and entrypoint".
//
// The user processes run as (--user / exec -u) is numeric uid:gid: taken
// from container_user when it is numeric ("999" or "999:999"), else the
// owner of the data directory when it exists and is not root, else looked up
// once in the image (`run --rm IMAGE id USER`).

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pgtwin/backend/backend.hpp"
#include "pgtwin/backend/container_runtime.hpp"
#include "pgtwin/core/clock.hpp"
#include "pgtwin/ocf/config.hpp"
#include "pgtwin/sys/command.hpp"

namespace pgtwin::backend {

// Paths inside the container (the official postgres image's layout).
inline constexpr const char* kContainerDataDir = "/var/lib/postgresql/data";
inline constexpr const char* kContainerConfigDir = "/etc/postgresql";
inline constexpr const char* kContainerArchiveDir = "/var/lib/postgresql/archive";
inline constexpr const char* kContainerSocketDir = "/var/run/postgresql";
inline constexpr const char* kContainerLogDir = "/var/lib/postgresql/log";
inline constexpr const char* kContainerPassfile = "/var/lib/postgresql/.pgpass-pgtwin";

// Backend for container_mode=true.
class ContainerBackend final : public Backend {
public:
    // Detects the runtime from PATH (podman first) and passes CONTAINERS_CONF
    // and friends through to it.
    ContainerBackend(const ocf::Config& cfg, std::string node_name, sys::CommandRunner& runner, Clock& clock);
    // With a given runtime (or detection error) and runtime environment; for tests.
    ContainerBackend(ocf::Config cfg, std::string node_name, sys::CommandRunner& runner, Clock& clock,
                     Result<RuntimeKind> runtime, std::map<std::string, std::string> runtime_env);

    std::string mode_name() const override { return "container"; }
    Result<void> validate(const Deadline& d, ValidateScope scope) override;
    Result<Liveness> liveness(const Deadline& d) override;
    Result<void> start(const Deadline& d) override;
    Result<void> stop(StopMode mode, const Deadline& d) override;
    Result<sys::Command> tool_command(Tool tool, std::vector<std::string> args, const Deadline& d) override;
    std::string data_dir_for_tools() const override { return kContainerDataDir; }
    std::string host_data_dir() const override { return m_cfg.pgdata; }
    pg::ConnParams local_conn() const override;
    Result<void> initdb(const Deadline& d) override;
    Result<void> prepare_data_dir(const Deadline& d) override;
    std::string passfile_for_server() const override;
    bool may_initialise_cluster() const override { return true; }
    bool checks_data_version() const override { return false; }

    // The container's name (container_name or pgtwin-postgres-<node>).
    const std::string& container_name() const { return m_name; }
    // The host socket directory shared with the container.
    std::string socket_dir() const;
    // The host directory the server logs into (container_log_dir or <pgdata>/../log).
    std::string log_dir() const;

private:
    Result<const ContainerRuntime*> runtime() const;
    Result<std::optional<ContainerState>> query_state(const Deadline& d);
    // Where user_ids looks after a numeric container_user: the data
    // directory's (non-root) owner first, or the image's user only.
    enum class IdSource { DataOwnerFirst, ImageOnly };
    Result<UserIds> user_ids(const Deadline& d, IdSource source);
    Result<void> check_host_paths(const UserIds& ids) const;
    Result<bool> image_present(const Deadline& d);
    Result<void> ensure_image(const Deadline& d);
    Result<void> make_data_dir(const UserIds& ids);
    Result<void> stop_running(StopMode mode, const Deadline& d);
    Result<void> remove_container(const Deadline& d);
    Result<void> remove_container(const std::string& name, const Deadline& d);
    Result<void> remove_orphaned_tool(const Deadline& d);
    std::string tool_container_name() const;
    Result<void> ensure_no_other_postmaster() const;
    Result<void> clear_stale_files();
    Result<void> ensure_socket_dir(const UserIds& ids);
    Result<void> ensure_log_dir(const UserIds& ids);
    Result<void> wait_ready(const Deadline& d);
    Result<void> launch(const UserIds& ids, const Deadline& d);
    Result<void> check_dir_owner(const std::string& what, const std::string& path, const UserIds& ids) const;
    std::string config_dir() const;
    std::string archive_dir() const;
    std::vector<Mount> mounts(bool with_config) const;
    std::map<std::string, std::string> container_env() const;
    RunSpec temp_run(const UserIds& ids, std::vector<std::string> cmd) const;

    ocf::Config m_cfg;
    std::string m_node;
    sys::CommandRunner& m_runner;
    Clock& m_clock;
    std::optional<ContainerRuntime> m_runtime;
    Error m_runtime_error;
    std::string m_name;
    std::optional<UserIds> m_image_ids;  // cached lookup in the image
    // When this instance last ran the server container; older log files are a previous start's.
    std::filesystem::file_time_type m_launched_at = std::filesystem::file_time_type::min();
};

}  // namespace pgtwin::backend
