// SPDX-License-Identifier: GPL-2.0-or-later
// The one parameter table. Every agent parameter is declared here once, with
// its type, default, documentation and the function that stores it in Config;
// parsing, meta-data and docs/CONFIGURATION.md are generated from this table.

#include <string>

#include "param_checks.hpp"
#include "pgtwin/core/text.hpp"
#include "pgtwin/ocf/params.hpp"

namespace pgtwin::ocf {
namespace {

using detail::check_absolute_path;
using detail::check_shell_safe_path;

template <std::string Config::*Field>
Result<void> set_text(Config& config, const ParamValue& value) {
    config.*Field = value.text;
    return ok();
}

template <std::string Config::*Field, Result<void> (*Check)(std::string_view)>
Result<void> set_checked(Config& config, const ParamValue& value) {
    if (auto checked = Check(value.text); !checked) return checked;
    config.*Field = value.text;
    return ok();
}

template <bool Config::*Field>
Result<void> set_flag(Config& config, const ParamValue& value) {
    config.*Field = value.boolean;
    return ok();
}

// The table's min_value/max_value have checked the range already.
template <unsigned Config::*Field>
Result<void> set_unsigned(Config& config, const ParamValue& value) {
    config.*Field = static_cast<unsigned>(value.integer);
    return ok();
}

template <std::optional<std::string> Config::*Field>
Result<void> set_ignored(Config& config, const ParamValue& value) {
    config.*Field = value.text;
    return ok();
}

// Names that end up in conninfo strings or as OS/database identifiers.
Result<void> check_name(std::string_view v) { return detail::check_word(v, "_.-"); }
// Container image references: registry/repo:tag@digest.
Result<void> check_image(std::string_view v) { return detail::check_word(v, "_.-/:@"); }

// podman and docker accept [a-zA-Z0-9][a-zA-Z0-9_.-]* as container names.
Result<void> check_container_name(std::string_view v) {
    if (v.front() == '_' || v.front() == '.' || v.front() == '-') {
        return detail::invalid("must start with a letter or digit");
    }
    return check_name(v);
}

// pg_basebackup --max-rate: kB/s, or with a k or M suffix, 32 kB/s to 1024 MB/s
// (pg_basebackup's own bounds, checked here so a bad value fails validate).
Result<void> check_max_rate(std::string_view v) {
    if (v.empty()) return ok();
    std::string_view digits = v;
    long long factor = 1;
    if (v.back() == 'k' || v.back() == 'M') {
        factor = v.back() == 'M' ? 1024 : 1;
        digits.remove_suffix(1);
    }
    bool numeric = digits.size() <= 9 && digits.find_first_not_of("0123456789") == std::string_view::npos;
    long long kb = numeric ? parse_number<long long>(digits).value_or(0) * factor : 0;
    if (kb < 32 || kb > 1024LL * 1024) {
        return detail::invalid("'" + std::string(v) + "' is not a rate from 32k to 1024M (kB/s, suffix k or M)");
    }
    return ok();
}

// The table keeps several short fields on one line: formatted by hand.
// clang-format off
constexpr std::string_view kInstance = "PostgreSQL instance";
constexpr std::string_view kReplication = "Replication";
constexpr std::string_view kRebuild = "Rebuild and rejoin";
constexpr std::string_view kContainer = "Container mode";
constexpr std::string_view kDeprecated = "Deprecated";

std::vector<ParamSpec> instance_params() {
    return {
        {.name = "pgdata",
         .shortdesc = "PostgreSQL data directory",
         .longdesc = "Absolute path of the PostgreSQL data directory on the host. Only the characters "
                     "[A-Za-z0-9/._@+-] are allowed because pg_ctl passes the path through a shell. "
                     "Required in VM mode. In container mode this is the host directory that is mounted "
                     "into the container; empty: /var/lib/pgtwin/@postgres-<node>/data, <node> being the "
                     "Pacemaker node name (the layout pgtwin storage init creates).",
         .section = kInstance, .apply = set_checked<&Config::pgdata, check_shell_safe_path>},
        {.name = "pg_bindir",
         .shortdesc = "Directory of the PostgreSQL programs",
         .longdesc = "Directory holding pg_ctl, pg_basebackup, pg_rewind and pg_controldata. Empty: "
                     "found from the data directory's PG_VERSION via PATH, /usr/lib/postgresql/<N>/bin "
                     "and /usr/pgsql-<N>/bin.",
         .section = kInstance, .apply = set_checked<&Config::pg_bindir, check_absolute_path>},
        {.name = "pgport", .type = ParamType::Integer, .default_value = "5432",
         .shortdesc = "PostgreSQL port",
         .longdesc = "TCP port of the local instance; the peer is reached on the same port.",
         .section = kInstance, .min_value = 1, .max_value = 65535,
         .apply = [](Config& c, const ParamValue& v) -> Result<void> {
             c.pgport = static_cast<int>(v.integer);
             return ok();
         }},
        {.name = "pghost", .default_value = "/var/run/postgresql",
         .shortdesc = "Local socket directory",
         .longdesc = "Directory of the local Unix socket the agent connects to (and passes to "
                     "pg_ctl). Absolute path of [A-Za-z0-9/._@+-] only.",
         .section = kInstance, .apply = set_checked<&Config::pghost, check_shell_safe_path>},
        {.name = "pguser", .default_value = "postgres",
         .shortdesc = "Operating system user of PostgreSQL",
         .longdesc = "OS user that owns the data directory and runs PostgreSQL and its tools; also "
                     "the database user of the agent's local connections. In VM mode the agent "
                     "opens its socket connections with this user's identity, so peer "
                     "authentication as initdb and Debian set it up (local all all peer) works "
                     "without a pg_ident.conf map for root.",
         .section = kInstance, .apply = set_checked<&Config::pguser, check_name>},
        {.name = "pgdatabase", .default_value = "postgres",
         .shortdesc = "Database for monitoring connections",
         .longdesc = "Database the agent connects to for monitoring and control queries.",
         .section = kInstance, .apply = set_checked<&Config::pgdatabase, check_name>},
        {.name = "pgpassfile",
         .shortdesc = "Password file for replication connections",
         .longdesc = "Absolute path of a file in libpq passfile format "
                     "(host:port:database:user:password) holding the replication user's password. "
                     "It is passed to PostgreSQL tools as PGPASSFILE and must be readable by pguser "
                     "only. Empty: no password file (e.g. trust or certificate authentication).",
         .section = kInstance, .apply = set_checked<&Config::pgpassfile, check_absolute_path>},
        {.name = "start_opts",
         .shortdesc = "Extra postgres options (advanced)",
         .longdesc = "Additional options for the postgres server, passed with pg_ctl -o, e.g. "
                     "\"-c shared_buffers=256MB\". pg_ctl runs them through a shell, so the characters "
                     ";&|$`\\<>(){}!#~ are rejected.",
         .section = kInstance, .apply = set_checked<&Config::start_opts, detail::check_start_opts>},
        {.name = "logfile",
         .shortdesc = "PostgreSQL server log file",
         .longdesc = "Absolute path of the server log written by pg_ctl -l. Empty: "
                     "<pgdata>/log/pgtwin-postgresql.log. Only [A-Za-z0-9/._@+-] are allowed.",
         .section = kInstance, .apply = set_checked<&Config::logfile, check_shell_safe_path>},
    };
}

std::vector<ParamSpec> replication_params() {
    return {
        {.name = "rep_user", .default_value = "replicator",
         .shortdesc = "Replication user",
         .longdesc = "Database user for streaming replication, pg_basebackup and pg_rewind "
                     "connections to the peer. It needs the REPLICATION attribute (and, for pg_rewind, "
                     "EXECUTE on the pg_catalog functions pg_rewind uses).",
         .section = kReplication, .apply = set_checked<&Config::rep_user, check_name>},
        {.name = "application_name",
         .shortdesc = "application_name of this node's standby",
         .longdesc = "application_name this node uses when it streams from the peer; the primary "
                     "names it in synchronous_standby_names. Empty: the node name. [A-Za-z0-9_.-], at "
                     "most 63 characters.",
         .section = kReplication,
         .apply = set_checked<&Config::application_name, detail::check_pg_name>},
        {.name = "slot_name",
         .shortdesc = "Replication slot name",
         .longdesc = "Physical replication slot this node's standby uses on the primary. Empty: "
                     "\"pgtwin_\" followed by the node name, lowercased, with characters outside "
                     "[a-z0-9_] replaced by '_'. Only [a-z0-9_], at most 63 characters.",
         .section = kReplication, .apply = set_checked<&Config::slot_name, detail::check_slot_name>},
        {.name = "max_slot_wal_keep_size", .default_value = "4GB", .reloadable = true,
         .shortdesc = "WAL retained for a replication slot",
         .longdesc = "Upper bound of WAL a replication slot may retain (PostgreSQL's "
                     "max_slot_wal_keep_size), so a lost standby cannot fill the primary's disk. A "
                     "size such as 512MB or 4GB, or -1 for no limit (not recommended).",
         .section = kReplication,
         .apply = set_checked<&Config::max_slot_wal_keep_size, detail::check_wal_size>},
        {.name = "rep_mode", .type = ParamType::Select, .default_value = "sync", .reloadable = true,
         .choices = {"sync", "async"},
         .shortdesc = "Replication mode",
         .longdesc = "sync: the primary names the streaming standby in synchronous_standby_names and "
                     "degrades to asynchronous while it is gone, so writes continue; the standby is "
                     "not promotable until it is back in sync. async: promotion is gated by "
                     "max_promotion_lag_bytes.",
         .section = kReplication,
         .apply = [](Config& c, const ParamValue& v) -> Result<void> {
             c.rep_mode = v.text == "async" ? RepMode::Async : RepMode::Sync;
             return ok();
         }},
        {.name = "node_list",
         .shortdesc = "The two cluster nodes",
         .longdesc = "The names of the two cluster nodes, separated by a space, e.g. \"psql1 psql2\". "
                     "Empty: the nodes of the cluster (crm_node -l); set it when the cluster has more "
                     "than two nodes. With no cluster at all (e.g. under ocf-tester) the agent runs "
                     "without a peer: start starts existing data as a standby, and an empty data "
                     "directory is neither cloned nor initialised.",
         .section = kReplication,
         .apply = [](Config& c, const ParamValue& v) -> Result<void> {
             auto names = detail::parse_node_list(v.text);
             if (!names) return names.error();
             c.node_list = std::move(names.value());
             return ok();
         }},
        {.name = "node_addresses",
         .shortdesc = "Addresses of the nodes",
         .longdesc = "Maps node names to the addresses used for replication when the names do not "
                     "resolve, e.g. \"psql1=10.0.0.1 psql2=10.0.0.2\". Entries are name=address "
                     "separated by spaces. Empty: node names are used as host names.",
         .section = kReplication,
         .apply = [](Config& c, const ParamValue& v) -> Result<void> {
             auto addresses = detail::parse_node_addresses(v.text);
             if (!addresses) return addresses.error();
             c.node_addresses = std::move(addresses.value());
             return ok();
         }},
        {.name = "replication_failure_threshold", .type = ParamType::Integer, .default_value = "5",
         .reloadable = true,
         .shortdesc = "Failed standby monitors before recovery",
         .longdesc = "Number of consecutive monitors that find the standby's WAL receiver not "
                     "streaming before the agent recovers the standby (pg_rewind or pg_basebackup).",
         .section = kReplication, .min_value = 1, .max_value = 1000000,
         .apply = [](Config& c, const ParamValue& v) -> Result<void> {
             c.replication_failure_threshold = static_cast<int>(v.integer);
             return ok();
         }},
        {.name = "max_promotion_lag_bytes", .type = ParamType::Integer, .default_value = "16777216",
         .reloadable = true,
         .shortdesc = "Largest lag of a promotable standby (bytes)",
         .longdesc = "In async mode a standby whose replay lags the primary by more bytes than this "
                     "is not promotable.",
         .section = kReplication,
         .apply = [](Config& c, const ParamValue& v) -> Result<void> {
             c.max_promotion_lag_bytes = v.integer;
             return ok();
         }},
        {.name = "force_promotion", .type = ParamType::Boolean, .default_value = "false", .reloadable = true,
         .shortdesc = "Promote even a stale standby",
         .longdesc = "Promote this node even if it is not the best candidate or is marked stale. "
                     "This can lose committed transactions; use only to recover by hand.",
         .section = kReplication, .apply = set_flag<&Config::force_promotion>},
    };
}

std::vector<ParamSpec> rebuild_params() {
    return {
        {.name = "backup_before_basebackup", .type = ParamType::Boolean, .default_value = "true",
         .reloadable = true,
         .shortdesc = "Keep old data before pg_basebackup",
         .longdesc = "Move the old data directory aside instead of deleting it before pg_basebackup "
                     "rebuilds the standby.",
         .section = kRebuild, .apply = set_flag<&Config::backup_before_basebackup>},
        {.name = "backup_dir", .reloadable = true,
         .shortdesc = "Where old data directories are kept",
         .longdesc = "Absolute path of the directory that receives old data directories. Empty: "
                     "next to pgdata.",
         .section = kRebuild, .apply = set_checked<&Config::backup_dir, check_absolute_path>},
        {.name = "basebackup_timeout", .type = ParamType::Integer, .default_value = "3600", .reloadable = true,
         .shortdesc = "pg_basebackup time limit (seconds)",
         .longdesc = "Accepted for compatibility; clones no longer have a time limit: start hands "
                     "pg_basebackup to a supervised clone job that runs as long as the copy needs.",
         .section = kRebuild, .min_value = 1, .max_value = 604800, .seconds_suffix = true,
         .apply = [](Config& c, const ParamValue& v) -> Result<void> {
             c.basebackup_timeout = std::chrono::seconds{v.integer};
             return ok();
         }},
        {.name = "clone_max_rate", .reloadable = true,
         .shortdesc = "Clone bandwidth limit",
         .longdesc = "pg_basebackup --max-rate for clones: kilobytes per second, or with a k or M "
                     "suffix, from 32k to 1024M. Empty: unlimited.",
         .section = kRebuild, .apply = set_checked<&Config::clone_max_rate, check_max_rate>},
        {.name = "auto_rewind", .type = ParamType::Boolean, .default_value = "true", .reloadable = true,
         .shortdesc = "Repair a diverged node with pg_rewind",
         .longdesc = "Run pg_rewind when this node's data has diverged from the primary's.",
         .section = kRebuild, .apply = set_flag<&Config::auto_rewind>},
        {.name = "auto_basebackup", .type = ParamType::Boolean, .default_value = "true", .reloadable = true,
         .shortdesc = "Rebuild with pg_basebackup when needed",
         .longdesc = "Rebuild the standby with pg_basebackup when its data directory is empty or "
                     "pg_rewind cannot repair it.",
         .section = kRebuild, .apply = set_flag<&Config::auto_basebackup>},
        {.name = "snapshot_keep", .type = ParamType::Integer, .default_value = "3", .reloadable = true,
         .shortdesc = "Btrfs snapshots kept of old data",
         .longdesc = "When the directory holding pgdata is a Btrfs subvolume (the storage layout's "
                     "@postgres-<node>), the agent takes a read-only snapshot of it before pg_rewind and "
                     "before pg_basebackup replaces existing data (instead of moving the directory "
                     "aside), named <subvolume>.pgtwin-<rewind|basebackup>-<UTC time>, and deletes its "
                     "older snapshots so that the newest N remain; snapshots taken by hand are never "
                     "deleted. 0: no snapshots, the behaviour of other file systems "
                     "(backup_before_basebackup). See pgtwin storage list/restore/prune.",
         .section = kRebuild, .min_value = 0, .max_value = 1000,
         .apply = set_unsigned<&Config::snapshot_keep>},
        {.name = "snapshot_min_free", .type = ParamType::Integer, .default_value = "20", .reloadable = true,
         .shortdesc = "Free space (%) the agent's snapshots leave",
         .longdesc = "Snapshots keep old data on disk while the live data changes, so they hold more space "
                     "as the database is written. When the data file system has less than this share of its "
                     "size free, the agent deletes its own oldest snapshots: before it takes a new one (as "
                     "many as needed), and at each monitor (one per monitor, never the newest), with a "
                     "warning in the log. Snapshots taken by hand are never deleted. pgtwin status shows the "
                     "free share. 0: no check (snapshots are only pruned by snapshot_keep).",
         .section = kRebuild, .min_value = 0, .max_value = 90,
         .apply = set_unsigned<&Config::snapshot_min_free>},
    };
}

std::vector<ParamSpec> container_params() {
    return {
        {.name = "container_mode", .type = ParamType::Boolean, .default_value = "false",
         .shortdesc = "Run PostgreSQL in a container",
         .longdesc = "Run PostgreSQL in a podman or docker container instead of on the host. When the "
                     "parameter is not set, the environment variable PGTWIN_CONTAINER_MODE=true (or 1 "
                     "or yes) turns it on. pgdata is the host path of the data "
                     "directory; when it is not set, /var/lib/pgtwin/@postgres-<node>/data.",
         .section = kContainer, .apply = set_flag<&Config::container_mode>},
        {.name = "container_runtime", .type = ParamType::Select, .default_value = "auto",
         .choices = {"auto", "podman", "docker"},
         .shortdesc = "Container runtime",
         .longdesc = "Container runtime to use. auto: podman if it is installed, otherwise docker.",
         .section = kContainer,
         .apply = [](Config& c, const ParamValue& v) -> Result<void> {
             c.container_runtime = v.text == "podman"   ? ContainerRuntime::Podman
                                   : v.text == "docker" ? ContainerRuntime::Docker
                                                        : ContainerRuntime::Auto;
             return ok();
         }},
        {.name = "container_image", .default_value = "postgres:17",
         .shortdesc = "PostgreSQL container image",
         .longdesc = "Image reference of the PostgreSQL container.",
         .section = kContainer, .apply = set_checked<&Config::container_image, check_image>},
        {.name = "container_name",
         .shortdesc = "Container name",
         .longdesc = "Name of the PostgreSQL container. Empty: pgtwin-postgres-<node>.",
         .section = kContainer, .apply = set_checked<&Config::container_name, check_container_name>},
        {.name = "container_user", .default_value = "postgres",
         .shortdesc = "User inside the container",
         .longdesc = "User (name or uid) that runs PostgreSQL inside the container.",
         .section = kContainer, .apply = set_checked<&Config::container_user, check_name>},
        {.name = "container_run_options",
         .shortdesc = "Extra container run options",
         .longdesc = "Additional options for the runtime's run command, separated by spaces; each word "
                     "becomes one argument (no shell quoting).",
         .section = kContainer,
         .apply = set_checked<&Config::container_run_options, detail::check_no_control>},
        {.name = "container_config_dir",
         .shortdesc = "Host directory with PostgreSQL configuration",
         .longdesc = "Host directory mounted read-only at /etc/postgresql in the container. Empty: "
                     "/var/lib/pgtwin/@postgres-<node>/config.",
         .section = kContainer,
         .apply = set_checked<&Config::container_config_dir, check_absolute_path>},
        {.name = "container_archive_dir",
         .shortdesc = "Host directory for the WAL archive",
         .longdesc = "Host directory mounted at /var/lib/postgresql/archive in the container. Empty: "
                     "/var/lib/pgtwin/@postgres-<node>/archive.",
         .section = kContainer,
         .apply = set_checked<&Config::container_archive_dir, check_absolute_path>},
        {.name = "container_log_dir",
         .shortdesc = "Host directory for PostgreSQL's log",
         .longdesc = "Host directory mounted at /var/lib/postgresql/log in the container; the server "
                     "writes its log there (logging_collector), so the log outlives the container, "
                     "which every stop removes. Created by the agent (container user, mode 0700) if "
                     "missing. Empty: the directory log beside pgdata "
                     "(/var/lib/pgtwin/@postgres-<node>/log in the storage layout).",
         .section = kContainer,
         .apply = set_checked<&Config::container_log_dir, check_absolute_path>},
        {.name = "container_pull", .type = ParamType::Boolean, .default_value = "false", .reloadable = true,
         .shortdesc = "Pull a missing image at start",
         .longdesc = "Pull the container image at start when it is not present locally.",
         .section = kContainer, .apply = set_flag<&Config::container_pull>},
    };
}

// Why kept: configurations written for the bash agent must still validate.
std::vector<ParamSpec> deprecated_params() {
    constexpr std::string_view kIgnored =
        "Accepted for compatibility with the bash agent and ignored; set the timeout of the "
        "monitor operation instead.";
    return {
        {.name = "monitor_timeout_promoted", .reloadable = true, .deprecated = true, .shortdesc = "Ignored",
         .longdesc = kIgnored, .section = kDeprecated,
         .apply = set_ignored<&Config::monitor_timeout_promoted>},
        {.name = "monitor_timeout_unpromoted", .reloadable = true, .deprecated = true, .shortdesc = "Ignored",
         .longdesc = kIgnored, .section = kDeprecated,
         .apply = set_ignored<&Config::monitor_timeout_unpromoted>},
    };
}

// clang-format on
}  // namespace

std::span<const ParamSpec> parameter_table() {
    static const std::vector<ParamSpec> kTable = [] {
        std::vector<ParamSpec> all;
        for (auto part :
             {instance_params(), replication_params(), rebuild_params(), container_params(), deprecated_params()}) {
            for (auto& spec : part) all.push_back(std::move(spec));
        }
        return all;
    }();
    return kTable;
}

}  // namespace pgtwin::ocf
