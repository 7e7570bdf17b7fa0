// SPDX-License-Identifier: GPL-2.0-or-later
// ContainerBackend: paths, connections, the container's state, user ids, data directory, initdb, validate.

#include "pgtwin/backend/container_backend.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "pgtwin/backend/container_guard.hpp"
#include "pgtwin/core/text.hpp"
#include "pgtwin/sys/files.hpp"

namespace pgtwin::backend {
namespace {

namespace fs = std::filesystem;

constexpr Millis kInspectCap{10000};  // hard cap for one inspect (monitor path)
constexpr Millis kShortCap{30000};    // rm -f, image probe, id lookup
constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::string agent_path() {
    const char* p = std::getenv("PATH");
    return (p != nullptr && *p != '\0') ? p : kDefaultPath;
}

// The directory holding `path` (trailing slashes ignored).
std::string parent_dir(std::string path) {
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    return fs::path(path).parent_path().string();
}

}  // namespace

ContainerBackend::ContainerBackend(const ocf::Config& cfg, std::string node_name, sys::CommandRunner& runner,
                                   Clock& clock)
    : ContainerBackend(cfg, std::move(node_name), runner, clock, detect_runtime(cfg.container_runtime, agent_path()),
                       runtime_passthrough_env()) {}

ContainerBackend::ContainerBackend(ocf::Config cfg, std::string node_name, sys::CommandRunner& runner, Clock& clock,
                                   Result<RuntimeKind> runtime_kind, std::map<std::string, std::string> runtime_env)
    : m_cfg(std::move(cfg)), m_node(std::move(node_name)), m_runner(runner), m_clock(clock) {
    if (runtime_kind) m_runtime.emplace(*runtime_kind, std::move(runtime_env));
    else m_runtime_error = runtime_kind.error();
    m_name = m_cfg.container_name.empty() ? "pgtwin-postgres-" + m_node : m_cfg.container_name;
}

std::string ContainerBackend::socket_dir() const {
    return m_cfg.pghost.empty() ? std::string(kContainerSocketDir) : m_cfg.pghost;
}

std::string ContainerBackend::config_dir() const {
    if (!m_cfg.container_config_dir.empty()) return m_cfg.container_config_dir;
    return parent_dir(m_cfg.pgdata) + "/config";
}

std::string ContainerBackend::archive_dir() const {
    if (!m_cfg.container_archive_dir.empty()) return m_cfg.container_archive_dir;
    return parent_dir(m_cfg.pgdata) + "/archive";
}

std::string ContainerBackend::log_dir() const {
    if (!m_cfg.container_log_dir.empty()) return m_cfg.container_log_dir;
    return parent_dir(m_cfg.pgdata) + "/log";
}

pg::ConnParams ContainerBackend::local_conn() const {
    pg::ConnParams p;
    p.host = socket_dir();
    p.port = m_cfg.pgport;
    p.user = m_cfg.pguser;
    p.dbname = m_cfg.pgdatabase;
    p.passfile = m_cfg.pgpassfile;
    return p;
}

std::string ContainerBackend::passfile_for_server() const {
    return m_cfg.pgpassfile.empty() ? std::string{} : std::string(kContainerPassfile);
}

Result<const ContainerRuntime*> ContainerBackend::runtime() const {
    if (!m_runtime) return m_runtime_error;
    return &*m_runtime;
}

// Why PGDATA: images set their own (postgres:18 uses /var/lib/postgresql/18/docker);
// the data is mounted at kContainerDataDir, and tools that read PGDATA must see that.
std::map<std::string, std::string> ContainerBackend::container_env() const {
    std::map<std::string, std::string> env{{"PGDATA", kContainerDataDir}};
    if (!m_cfg.pgpassfile.empty()) env.emplace("PGPASSFILE", kContainerPassfile);
    return env;
}

std::vector<Mount> ContainerBackend::mounts(bool with_config) const {
    std::vector<Mount> v{{m_cfg.pgdata, kContainerDataDir, false}};
    if (with_config && sys::file_exists(config_dir() + "/postgresql.conf")) {
        v.push_back({config_dir(), kContainerConfigDir, true});
    }
    if (sys::is_directory(archive_dir())) v.push_back({archive_dir(), kContainerArchiveDir, false});
    if (with_config) {
        v.push_back({log_dir(), kContainerLogDir, false});
        v.push_back({socket_dir(), kContainerSocketDir, false});
    }
    if (!m_cfg.pgpassfile.empty()) v.push_back({m_cfg.pgpassfile, kContainerPassfile, true});
    return v;
}

RunSpec ContainerBackend::temp_run(const UserIds& ids, std::vector<std::string> cmd) const {
    RunSpec spec;
    spec.remove = true;
    spec.network = "host";
    spec.user = ids.spec();
    spec.mounts = mounts(false);
    spec.env = container_env();
    spec.extra_options = split_words(m_cfg.container_run_options);
    spec.image = m_cfg.container_image;
    spec.cmd = std::move(cmd);
    return spec;
}

// nullopt: the runtime did not answer in time (RuntimeHung).
Result<std::optional<ContainerState>> ContainerBackend::query_state(const Deadline& d) {
    auto rt = runtime();
    if (!rt) return rt.error();
    if (d.expired()) return fail(ErrorKind::Timeout, "no time left to inspect container " + m_name);
    auto r = m_runner.run((*rt)->inspect(m_name, d.remaining_capped(kInspectCap)));
    if (!r) return r.error();
    if (r->timed_out) {
        spdlog::warn("Container runtime did not answer inspect in time. [runtime: {}, container: {}]", (*rt)->binary(),
                     m_name);
        return std::optional<ContainerState>{};
    }
    if (r->exit_code != 0) {
        if (is_no_such_container(r->err)) return std::optional<ContainerState>{ContainerState{}};
        return runtime_command_failed("inspect of container " + m_name + " failed", *r);
    }
    auto st = parse_inspect(r->out);
    if (!st) return st.error();
    return std::optional<ContainerState>{*st};
}

Result<Liveness> ContainerBackend::liveness(const Deadline& d) {
    auto st = query_state(d);
    if (!st) return st.error();
    if (!st->has_value()) return Liveness::RuntimeHung;
    return (*st)->running ? Liveness::Running : Liveness::Stopped;
}

Result<UserIds> ContainerBackend::user_ids(const Deadline& d, IdSource source) {
    if (auto n = parse_numeric_user(m_cfg.container_user)) return *n;
    if (source == IdSource::DataOwnerFirst) {
        auto own = sys::owner_of(m_cfg.pgdata);
        if (own && own->first != 0) return UserIds{own->first, own->second};
    }
    if (m_image_ids) return *m_image_ids;
    auto rt = runtime();
    if (!rt) return rt.error();
    RunSpec spec;
    spec.remove = true;
    spec.network = "none";
    spec.image = m_cfg.container_image;
    spec.cmd = {"id", m_cfg.container_user};
    // Why a second try: the integration tier saw podman 4.3 exit 0 from this
    // one-second container with no output at all, once, right after a
    // `podman kill` + rm on the same host; the next run answered. A second
    // empty answer is an error that shows what came back.
    std::string out;
    for (int attempt = 0; attempt < 2; ++attempt) {
        auto r = m_runner.run((*rt)->run(spec, d.remaining_capped(kShortCap)));
        if (!r) return r.error();
        if (!r->success()) {
            return runtime_command_failed(
                fmt::format("cannot look up user {} in image {}", m_cfg.container_user, m_cfg.container_image), *r);
        }
        if (auto ids = parse_id_output(r->out)) {
            m_image_ids = *ids;
            return *ids;
        }
        out = last_lines(r->out + r->err, 2, "; ");
    }
    return fail(ErrorKind::Generic, fmt::format("unexpected output of `id {}` in image {}: '{}'", m_cfg.container_user,
                                                m_cfg.container_image, out));
}

Result<bool> ContainerBackend::image_present(const Deadline& d) {
    auto rt = runtime();
    if (!rt) return rt.error();
    auto r = m_runner.run((*rt)->image_present(m_cfg.container_image, d.remaining_capped(kShortCap)));
    if (!r) return r.error();
    if (r->success()) return true;
    // podman `image exists` answers 1 for "absent"; docker says "No such image".
    bool absent = (*rt)->traits().has_image_exists ? (r->exit_code == 1 && !r->timed_out)
                                                   : r->err.find("No such image") != std::string::npos ||
                                                         r->err.find("no such image") != std::string::npos;
    if (absent) return false;
    return runtime_command_failed("cannot check image " + m_cfg.container_image, *r);
}

Result<void> ContainerBackend::ensure_image(const Deadline& d) {
    auto present = image_present(d);
    if (!present) return present.error();
    if (*present) return ok();
    if (!m_cfg.container_pull) {
        return fail(ErrorKind::NotInstalled,
                    fmt::format("image {} not present; pull it or set container_pull=true", m_cfg.container_image));
    }
    spdlog::info("Pulling container image. [image: {}]", m_cfg.container_image);
    auto rt = runtime();
    auto r = m_runner.run((*rt)->pull(m_cfg.container_image, d.remaining()));
    if (!r) return r.error();
    if (!r->success()) return runtime_command_failed("pull of image " + m_cfg.container_image + " failed", *r);
    return ok();
}

Result<void> ContainerBackend::remove_container(const Deadline& d) { return remove_container(m_name, d); }

Result<void> ContainerBackend::remove_container(const std::string& name, const Deadline& d) {
    auto rt = runtime();
    if (!rt) return rt.error();
    auto r = m_runner.run((*rt)->remove(name, d.remaining_capped(kShortCap)));
    if (!r) return r.error();
    if (r->success() || is_no_such_container(r->err)) return ok();
    return runtime_command_failed("cannot remove container " + name, *r);
}

std::string ContainerBackend::tool_container_name() const { return m_name + "-tool"; }

// Why: Pacemaker's timeout kills the agent and with it the runtime client,
// but the tool's container (pg_basebackup, pg_rewind) lives on under the
// runtime's monitor and keeps writing pgdata. Its fixed name lets stop and
// the next tool run remove such an orphan before anything touches pgdata.
Result<void> ContainerBackend::remove_orphaned_tool(const Deadline& d) {
    return remove_container(tool_container_name(), d);
}

Result<void> ContainerBackend::make_data_dir(const UserIds& ids) {
    const std::string& dir = m_cfg.pgdata;
    if (!sys::is_directory(dir)) {
        if (auto r = sys::make_directories(dir, 0700, ids.uid, ids.gid); !r) return r;
        spdlog::info("Created the data directory. [dir: {}, owner: {}]", dir, ids.spec());
        return ok();
    }
    auto empty = sys::directory_is_empty_or_missing(dir);
    if (!empty) return empty.error();
    if (!*empty) return check_dir_owner("data directory", dir, ids);
    // An empty directory (e.g. made by root) is handed to the container user.
    if (auto r = sys::chown_path(dir, ids.uid, ids.gid); !r) return r;
    std::error_code ec;
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
    if (ec) return fail(ErrorKind::Generic, "cannot chmod " + dir + ": " + ec.message());
    return ok();
}

Result<void> ContainerBackend::prepare_data_dir(const Deadline& d) {
    auto ids = user_ids(d, IdSource::DataOwnerFirst);
    if (!ids) return ids.error();
    return make_data_dir(*ids);
}

// Why --auth-local=trust: the host agent connects over the shared socket as
// root, which peer authentication inside the container cannot map; trust is
// what the official image uses locally. Only root and the container user reach
// the socket: validate requires a 0700 socket directory in a safe parent
// chain, the server runs with unix_socket_permissions=0700, and the image's
// entrypoint (which would chmod the directory 03775) never runs.
Result<void> ContainerBackend::initdb(const Deadline& d) {
    if (sys::file_exists(m_cfg.pgdata + "/PG_VERSION")) {
        return fail(ErrorKind::Generic, "refusing initdb: " + m_cfg.pgdata + " is already initialised");
    }
    auto empty = sys::directory_is_empty_or_missing(m_cfg.pgdata);
    if (!empty) return empty.error();
    if (!*empty) return fail(ErrorKind::Generic, "refusing initdb: " + m_cfg.pgdata + " is not empty");
    if (auto r = ensure_image(d); !r) return r;
    auto ids = user_ids(d, IdSource::DataOwnerFirst);
    if (!ids) return ids.error();
    if (auto r = make_data_dir(*ids); !r) return r;
    RunSpec spec = temp_run(*ids, {"initdb", "-D", kContainerDataDir, "-E", "UTF8", "--data-checksums",
                                   "--username=" + m_cfg.pguser, "--auth-local=trust", "--auth-host=scram-sha-256"});
    spec.network = "none";
    auto rt = runtime();
    auto r = m_runner.run((*rt)->run(spec, d.remaining()));
    if (!r) return r.error();
    if (!r->success()) return runtime_command_failed("initdb in a temporary container failed", *r);
    if (!sys::file_exists(m_cfg.pgdata + "/PG_VERSION")) {
        return fail(ErrorKind::Generic, "initdb finished but " + m_cfg.pgdata + "/PG_VERSION is missing");
    }
    spdlog::info("Initialised the data directory in a temporary container. [dir: {}, image: {}]", m_cfg.pgdata,
                 m_cfg.container_image);
    return ok();
}

Result<void> ContainerBackend::validate(const Deadline& d, ValidateScope scope) {
    auto rt = runtime();
    if (!rt) return rt.error();
    if (auto r = check_run_options(split_words(m_cfg.container_run_options)); !r) return r;
    if (scope == ValidateScope::Started) {
        // The image ran this data directory: its user is the data's owner.
        auto ids = user_ids(d, IdSource::DataOwnerFirst);
        if (!ids) return ids.error();
        return check_host_paths(*ids);
    }
    auto present = image_present(d);
    if (!present) return present.error();
    bool numeric = parse_numeric_user(m_cfg.container_user).has_value();
    if (!*present) {
        if (!m_cfg.container_pull) {
            return fail(ErrorKind::NotInstalled, fmt::format("image {} not present; pull it or set "
                                                             "container_pull=true",
                                                             m_cfg.container_image));
        }
        if (!numeric) return ok();  // the user's uid can only be learnt from the image
    }
    auto ids = user_ids(d, IdSource::ImageOnly);
    if (!ids) return ids.error();
    return check_host_paths(*ids);
}

// The host-side layout the container user needs: data, socket and log
// directories and the passfile owned by IDS, the data directory's mode.
Result<void> ContainerBackend::check_host_paths(const UserIds& ids) const {
    if (sys::is_directory(m_cfg.pgdata)) {
        if (auto r = check_dir_owner("data directory", m_cfg.pgdata, ids); !r) return r;
        std::error_code ec;
        auto perms = fs::status(m_cfg.pgdata, ec).permissions();
        auto forbidden = fs::perms::group_write | fs::perms::others_all;
        if (!ec && (perms & forbidden) != fs::perms::none) {
            return fail(ErrorKind::InvalidArgs, "data directory " + m_cfg.pgdata + " must have mode 0700 or 0750");
        }
    }
    if (sys::is_directory(socket_dir())) {
        if (auto r = check_dir_owner("socket directory", socket_dir(), ids); !r) return r;
    }
    if (auto r = check_socket_dir_private(socket_dir(), ids.uid); !r) return r;
    if (sys::is_directory(log_dir())) {
        // The logging collector runs as the container user and must create files there.
        if (auto r = check_dir_owner("log directory", log_dir(), ids); !r) return r;
    }
    if (!m_cfg.pgpassfile.empty()) {
        if (!sys::file_exists(m_cfg.pgpassfile)) {
            return fail(ErrorKind::InvalidArgs, "pgpassfile " + m_cfg.pgpassfile + " does not exist");
        }
        // libpq in the container reads it as the container user (0600 required).
        if (auto r = check_dir_owner("pgpassfile", m_cfg.pgpassfile, ids); !r) return r;
    }
    return ok();
}

}  // namespace pgtwin::backend
