// SPDX-License-Identifier: GPL-2.0-or-later
// Parameter table and environment parsing: defaults, every value rule, derived
// defaults from the node name, the PGTWIN_CONTAINER_MODE fallback and meta values.

#include <gtest/gtest.h>

#include <cstdlib>
#include <set>
#include <string>

#include "pgtwin/ocf/params.hpp"

namespace pgtwin::ocf {
namespace {

EnvMap base_env() { return {{"OCF_RESKEY_pgdata", "/var/lib/pgsql/data"}}; }

Result<Config> parse_with(const std::string& name, const std::string& value, const std::string& node = "psql1") {
    EnvMap env = base_env();
    env["OCF_RESKEY_" + name] = value;
    return parse_config(env, node);
}

void expect_invalid(const std::string& name, const std::string& value) {
    const auto parsed = parse_with(name, value);
    ASSERT_FALSE(parsed.ok()) << name << "=" << value << " was accepted";
    EXPECT_EQ(parsed.error().kind, ErrorKind::InvalidConfig) << name << "=" << value;
    EXPECT_EQ(parsed.error().message.rfind(name + ": ", 0), 0U) << parsed.error().message;
}

Config parse_ok(const std::string& name, const std::string& value) {
    auto parsed = parse_with(name, value);
    EXPECT_TRUE(parsed.ok()) << name << "=" << value << ": " << (parsed.ok() ? "" : parsed.error().message);
    return parsed.ok() ? parsed.value() : Config{};
}

TEST(ParamsTable, HoldsTheCompatibilityNamesOnceEach) {
    std::set<std::string> names;
    for (const auto& spec : parameter_table()) {
        EXPECT_TRUE(names.insert(std::string(spec.name)).second) << spec.name << " twice";
        EXPECT_NE(spec.apply, nullptr) << spec.name;
        EXPECT_FALSE(spec.shortdesc.empty()) << spec.name;
        EXPECT_FALSE(spec.longdesc.empty()) << spec.name;
        EXPECT_FALSE(spec.section.empty()) << spec.name;
        EXPECT_EQ(spec.type == ParamType::Select, !spec.choices.empty()) << spec.name;
    }
    // clang-format off
    for (const char* name :
         {"pgdata", "pg_bindir", "pgport", "pghost", "pguser", "pgdatabase", "pgpassfile", "start_opts",
          "logfile", "rep_user", "application_name", "slot_name", "max_slot_wal_keep_size", "rep_mode",
          "node_list", "node_addresses", "replication_failure_threshold", "max_promotion_lag_bytes",
          "force_promotion", "backup_before_basebackup", "backup_dir", "basebackup_timeout", "clone_max_rate",
          "auto_rewind", "auto_basebackup", "snapshot_keep", "snapshot_min_free", "container_mode", "container_runtime", "container_image",
          "container_name", "container_user", "container_run_options", "container_config_dir",
          "container_archive_dir", "container_log_dir", "container_pull", "monitor_timeout_promoted",
          "monitor_timeout_unpromoted"}) {
        // clang-format on
        EXPECT_EQ(names.count(name), 1U) << name;
    }
    EXPECT_EQ(names.size(), 39U);
}

TEST(ParamsParse, AppliesDefaults) {
    const auto parsed = parse_config(base_env(), "psql1");
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    const Config& c = parsed.value();
    EXPECT_EQ(c.pgdata, "/var/lib/pgsql/data");
    EXPECT_EQ(c.pg_bindir, "");
    EXPECT_EQ(c.pgport, 5432);
    EXPECT_EQ(c.pghost, "/var/run/postgresql");
    EXPECT_EQ(c.pguser, "postgres");
    EXPECT_EQ(c.pgdatabase, "postgres");
    EXPECT_EQ(c.pgpassfile, "");
    EXPECT_EQ(c.logfile, "/var/lib/pgsql/data/log/pgtwin-postgresql.log");
    EXPECT_EQ(c.rep_user, "replicator");
    EXPECT_EQ(c.max_slot_wal_keep_size, "4GB");
    EXPECT_EQ(c.rep_mode, RepMode::Sync);
    EXPECT_TRUE(c.node_list.empty());
    EXPECT_TRUE(c.node_addresses.empty());
    EXPECT_EQ(c.replication_failure_threshold, 5);
    EXPECT_EQ(c.max_promotion_lag_bytes, 16777216);
    EXPECT_FALSE(c.force_promotion);
    EXPECT_TRUE(c.backup_before_basebackup);
    EXPECT_EQ(c.basebackup_timeout, std::chrono::seconds{3600});
    EXPECT_TRUE(c.auto_rewind);
    EXPECT_TRUE(c.auto_basebackup);
    EXPECT_FALSE(c.container_mode);
    EXPECT_EQ(c.container_runtime, ContainerRuntime::Auto);
    EXPECT_EQ(c.container_image, "postgres:17");
    EXPECT_EQ(c.container_user, "postgres");
    EXPECT_FALSE(c.container_pull);
    EXPECT_FALSE(c.monitor_timeout_promoted.has_value());
}

// The table's default strings and Config's member defaults must agree.
TEST(ParamsParse, ExplicitDefaultsEqualUnsetParameters) {
    const auto plain = parse_config(base_env(), "psql1");
    ASSERT_TRUE(plain.ok());
    for (const auto& spec : parameter_table()) {
        if (spec.default_value.empty()) continue;
        const auto explicit_default = parse_with(std::string(spec.name), std::string(spec.default_value));
        ASSERT_TRUE(explicit_default.ok()) << spec.name << ": " << explicit_default.error().message;
        EXPECT_TRUE(explicit_default.value() == plain.value()) << spec.name;
    }
}

TEST(ParamsParse, RequiresPgdata) {
    for (const EnvMap& env : {EnvMap{}, EnvMap{{"OCF_RESKEY_pgdata", ""}}}) {
        const auto parsed = parse_config(env, "psql1");
        ASSERT_FALSE(parsed.ok());
        EXPECT_EQ(parsed.error().kind, ErrorKind::InvalidConfig);
        EXPECT_EQ(parsed.error().message, "pgdata is required");
    }
}

TEST(ParamsParse, ShellPathsMustBeAbsoluteAndPlain) {
    for (const char* name : {"pgdata", "pghost", "logfile"}) {
        expect_invalid(name, "relative/dir");
        expect_invalid(name, "/with space");
        expect_invalid(name, "/x;rm -rf /");
        expect_invalid(name, "/x$(id)");
        expect_invalid(name, "/x'y");
    }
    EXPECT_EQ(parse_ok("pgdata", "/var/lib/pgtwin/@postgres-psql1/data+1").pgdata,
              "/var/lib/pgtwin/@postgres-psql1/data+1");
    EXPECT_EQ(parse_ok("pghost", "/tmp").pghost, "/tmp");
    EXPECT_EQ(parse_ok("logfile", "/var/log/pg.log").logfile, "/var/log/pg.log");
    EXPECT_EQ(parse_ok("pgdata", "/srv/data/").logfile, "/srv/data/log/pgtwin-postgresql.log");
}

TEST(ParamsParse, OtherPathsMustBeAbsolute) {
    for (const char* name :
         {"pg_bindir", "pgpassfile", "backup_dir", "container_config_dir", "container_archive_dir"}) {
        expect_invalid(name, "relative");
        expect_invalid(name, std::string("/a\nb"));
    }
    EXPECT_EQ(parse_ok("pg_bindir", "/usr/lib/postgresql/17/bin").pg_bindir, "/usr/lib/postgresql/17/bin");
    EXPECT_EQ(parse_ok("pgpassfile", "/var/lib/pgsql/.pgpass").pgpassfile, "/var/lib/pgsql/.pgpass");
    EXPECT_EQ(parse_ok("backup_dir", "/srv/backup").backup_dir, "/srv/backup");
}

TEST(ParamsParse, IntegersAreRangeChecked) {
    EXPECT_EQ(parse_ok("pgport", "5433").pgport, 5433);
    EXPECT_EQ(parse_ok("pgport", "65535").pgport, 65535);
    for (const char* bad : {"0", "65536", "-1", "abc", "54x", " 5432", "5432s", "+5432"}) expect_invalid("pgport", bad);
    EXPECT_EQ(parse_ok("replication_failure_threshold", "1").replication_failure_threshold, 1);
    expect_invalid("replication_failure_threshold", "0");
    EXPECT_EQ(parse_ok("max_promotion_lag_bytes", "0").max_promotion_lag_bytes, 0);
    EXPECT_EQ(parse_ok("max_promotion_lag_bytes", "68719476736").max_promotion_lag_bytes, 68719476736);
    expect_invalid("max_promotion_lag_bytes", "-1");
    expect_invalid("max_promotion_lag_bytes", "99999999999999999999");
}

TEST(ParamsParse, BasebackupTimeoutAcceptsSeconds) {
    EXPECT_EQ(parse_ok("basebackup_timeout", "600").basebackup_timeout, std::chrono::seconds{600});
    EXPECT_EQ(parse_ok("basebackup_timeout", "600s").basebackup_timeout, std::chrono::seconds{600});
    for (const char* bad : {"0", "0s", "s", "10m", "-5", "1ss"}) expect_invalid("basebackup_timeout", bad);
}

TEST(ParamsParse, BooleansAcceptEveryOcfSpelling) {
    for (const auto& spec : parameter_table()) {
        if (spec.type != ParamType::Boolean) continue;
        const std::string name(spec.name);
        for (const char* yes : {"true", "TRUE", "yes", "Yes", "on", "ON", "1"}) {
            EXPECT_EQ(parse_with(name, yes).ok(), true) << name << "=" << yes;
        }
        for (const char* no : {"false", "False", "no", "NO", "off", "Off", "0"}) {
            EXPECT_EQ(parse_with(name, no).ok(), true) << name << "=" << no;
        }
        expect_invalid(name, "maybe");
        expect_invalid(name, "2");
    }
    EXPECT_TRUE(parse_ok("force_promotion", "Yes").force_promotion);
    EXPECT_FALSE(parse_ok("auto_rewind", "off").auto_rewind);
    EXPECT_FALSE(parse_ok("auto_basebackup", "0").auto_basebackup);
    EXPECT_FALSE(parse_ok("backup_before_basebackup", "no").backup_before_basebackup);
    EXPECT_TRUE(parse_ok("container_pull", "on").container_pull);
}

TEST(ParamsParse, SelectsAcceptOnlyTheirChoices) {
    EXPECT_EQ(parse_ok("rep_mode", "async").rep_mode, RepMode::Async);
    EXPECT_EQ(parse_ok("rep_mode", "sync").rep_mode, RepMode::Sync);
    expect_invalid("rep_mode", "semi");
    expect_invalid("rep_mode", "SYNC");
    EXPECT_EQ(parse_ok("container_runtime", "podman").container_runtime, ContainerRuntime::Podman);
    EXPECT_EQ(parse_ok("container_runtime", "docker").container_runtime, ContainerRuntime::Docker);
    expect_invalid("container_runtime", "lxc");
}

TEST(ParamsParse, WalKeepSizeIsAPostgresqlSize) {
    for (const char* good : {"4GB", "512MB", "-1", "100", "1TB", "64kB", "8192B"}) {
        EXPECT_EQ(parse_ok("max_slot_wal_keep_size", good).max_slot_wal_keep_size, good);
    }
    for (const char* bad : {"4 GB", "4gb", "GB", "-2", "4G", "1.5GB"}) expect_invalid("max_slot_wal_keep_size", bad);
}

TEST(ParamsParse, NamesAreChecked) {
    EXPECT_EQ(parse_ok("slot_name", "my_slot_1").slot_name, "my_slot_1");
    expect_invalid("slot_name", "My-Slot");
    expect_invalid("slot_name", std::string(64, 'a'));
    EXPECT_EQ(parse_ok("application_name", "node-1.a").application_name, "node-1.a");
    expect_invalid("application_name", "a b");
    expect_invalid("application_name", "a'b");
    expect_invalid("application_name", std::string(64, 'a'));
    expect_invalid("rep_user", "rep user");
    expect_invalid("pguser", "postgres;id");
    expect_invalid("pgdatabase", "db\"x");
    expect_invalid("container_name", "-bad");
    expect_invalid("container_image", "postgres 17");
    EXPECT_EQ(parse_ok("container_image", "registry.example/pg/postgres:17@sha256:ab").container_image,
              "registry.example/pg/postgres:17@sha256:ab");
}

TEST(ParamsParse, StartOptsRejectShellMetacharacters) {
    EXPECT_EQ(parse_ok("start_opts", "-c shared_buffers=256MB -c work_mem=4MB").start_opts,
              "-c shared_buffers=256MB -c work_mem=4MB");
    for (const char* bad : {"-c a=1; id", "$(id)", "`id`", "-c a=1 | tee", "-c a>b"}) expect_invalid("start_opts", bad);
    EXPECT_EQ(parse_ok("container_run_options", "--cpus 2 --memory 1g").container_run_options, "--cpus 2 --memory 1g");
}

TEST(ParamsParse, NodeListNamesExactlyTwoNodes) {
    EXPECT_EQ(parse_ok("node_list", "psql1 psql2").node_list, (std::vector<std::string>{"psql1", "psql2"}));
    EXPECT_EQ(parse_ok("node_list", "  psql1   psql2 ").node_list, (std::vector<std::string>{"psql1", "psql2"}));
    for (const char* bad : {"psql1", "psql1 psql2 psql3", "psql1 psql1", "psql1 ps;ql2"})
        expect_invalid("node_list", bad);
}

TEST(ParamsParse, NodeAddressesMapNamesToHosts) {
    const auto map = parse_ok("node_addresses", "psql1=10.0.0.1 psql2=fe80::1%eth0").node_addresses;
    EXPECT_EQ(map, (std::map<std::string, std::string>{{"psql1", "10.0.0.1"}, {"psql2", "fe80::1%eth0"}}));
    for (const char* bad : {"psql1", "psql1=", "=10.0.0.1", "a=1 a=2", "a=1;id"}) expect_invalid("node_addresses", bad);
}

TEST(ParamsParse, NodeAddressesMustNameListedNodes) {
    EnvMap env = base_env();
    env["OCF_RESKEY_node_list"] = "psql1 psql2";
    env["OCF_RESKEY_node_addresses"] = "psql1=10.0.0.1 psql3=10.0.0.3";
    const auto parsed = parse_config(env, "psql1");
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error().kind, ErrorKind::InvalidConfig);
    EXPECT_EQ(parsed.error().message, "node_addresses: node 'psql3' is not in node_list");
    env["OCF_RESKEY_node_addresses"] = "psql1=10.0.0.1 psql2=10.0.0.2";
    EXPECT_TRUE(parse_config(env, "psql1").ok());
}

TEST(ParamsParse, DerivesDefaultsFromTheNodeName) {
    const auto parsed = parse_config(base_env(), "Node-1.Example");
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed->application_name, "Node-1.Example");
    EXPECT_EQ(parsed->slot_name, "pgtwin_node_1_example");
    EXPECT_EQ(parsed->container_name, "pgtwin-postgres-Node-1.Example");
    EXPECT_EQ(parsed->container_config_dir, "/var/lib/pgtwin/@postgres-Node-1.Example/config");
    EXPECT_EQ(parsed->container_archive_dir, "/var/lib/pgtwin/@postgres-Node-1.Example/archive");
    EXPECT_EQ(default_slot_name(std::string(80, 'x')).size(), 63U);
}

TEST(ParamsParse, KeepsExplicitValuesOverDerivedOnes) {
    EnvMap env = base_env();
    env["OCF_RESKEY_application_name"] = "app";
    env["OCF_RESKEY_slot_name"] = "slot";
    env["OCF_RESKEY_container_name"] = "pg";
    const auto parsed = parse_config(env, "psql1");
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed->application_name, "app");
    EXPECT_EQ(parsed->slot_name, "slot");
    EXPECT_EQ(parsed->container_name, "pg");
}

TEST(ParamsParse, DerivesNothingWithoutANodeName) {
    const auto parsed = parse_config(base_env(), "");
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed->application_name, "");
    EXPECT_EQ(parsed->slot_name, "");
    EXPECT_EQ(parsed->container_name, "");
}

TEST(ParamsParse, ContainerModeFallsBackToTheEnvironment) {
    const auto with = [](std::optional<std::string> param, std::string env_value) {
        EnvMap env = base_env();
        env["PGTWIN_CONTAINER_MODE"] = std::move(env_value);
        if (param) env["OCF_RESKEY_container_mode"] = *param;
        const auto parsed = parse_config(env, "psql1");
        EXPECT_TRUE(parsed.ok());
        return parsed.ok() && parsed->container_mode;
    };
    EXPECT_TRUE(with(std::nullopt, "true"));
    EXPECT_TRUE(with(std::nullopt, "1"));
    EXPECT_TRUE(with(std::nullopt, "YES"));
    EXPECT_FALSE(with(std::nullopt, "0"));
    EXPECT_FALSE(with(std::nullopt, "nope"));
    EXPECT_FALSE(with(std::string("false"), "true"));
    EXPECT_TRUE(with(std::string("true"), "false"));
    EXPECT_TRUE(with(std::string(""), "true"));  // empty parameter counts as unset
}

TEST(ParamsParse, ContainerModeDerivesPgdataFromTheNodeName) {
    const auto parsed = parse_config({{"OCF_RESKEY_container_mode", "true"}}, "psql1");
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    EXPECT_EQ(parsed->pgdata, "/var/lib/pgtwin/@postgres-psql1/data");
    EXPECT_EQ(parsed->container_config_dir, "/var/lib/pgtwin/@postgres-psql1/config");
    EXPECT_EQ(parsed->container_archive_dir, "/var/lib/pgtwin/@postgres-psql1/archive");
    EXPECT_EQ(parsed->logfile, "/var/lib/pgtwin/@postgres-psql1/data/log/pgtwin-postgresql.log");
    // The environment switch derives it too; an explicit pgdata wins.
    EXPECT_EQ(parse_config({{"PGTWIN_CONTAINER_MODE", "1"}}, "psql2")->pgdata, "/var/lib/pgtwin/@postgres-psql2/data");
    EXPECT_EQ(parse_config({{"OCF_RESKEY_container_mode", "true"}, {"OCF_RESKEY_pgdata", "/srv/d"}}, "psql1")->pgdata,
              "/srv/d");
}

TEST(ParamsParse, ContainerModeWithoutNodeNameOrWithAnUnsafeOneNeedsPgdata) {
    const auto unknown = parse_config({{"OCF_RESKEY_container_mode", "true"}}, "");
    ASSERT_FALSE(unknown.ok());
    EXPECT_EQ(unknown.error().message, "pgdata is required when the node name is unknown");
    const auto unsafe = parse_config({{"OCF_RESKEY_container_mode", "true"}}, "a b");
    ASSERT_FALSE(unsafe.ok());
    EXPECT_EQ(unsafe.error().kind, ErrorKind::InvalidConfig);
    EXPECT_NE(unsafe.error().message.find("derived from node name 'a b'"), std::string::npos);
}

TEST(ParamsParse, SnapshotKeepDefaultsToThreeAndZeroTurnsSnapshotsOff) {
    EXPECT_EQ(parse_ok("pgdata", "/srv/d").snapshot_keep, 3U);
    EXPECT_EQ(parse_ok("snapshot_keep", "0").snapshot_keep, 0U);
    expect_invalid("snapshot_keep", "-1");
}

TEST(ParamsParse, AcceptsAndReportsDeprecatedParameters) {
    EnvMap env = base_env();
    env["OCF_RESKEY_monitor_timeout_promoted"] = "30s";
    const auto parsed = parse_config(env, "psql1");
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed->monitor_timeout_promoted, std::optional<std::string>("30s"));
    EXPECT_EQ(deprecated_parameters_set(env), std::vector<std::string>{"monitor_timeout_promoted"});
    env["OCF_RESKEY_monitor_timeout_unpromoted"] = "20";
    EXPECT_EQ(deprecated_parameters_set(env).size(), 2U);
    EXPECT_TRUE(deprecated_parameters_set(base_env()).empty());
}

TEST(ParamsParse, IgnoresButReportsUnknownParameters) {
    EnvMap env = base_env();
    env["OCF_RESKEY_pgsql_tuning"] = "x";
    env["OCF_RESKEY_CRM_meta_timeout"] = "20000";
    env["OCF_ROOT"] = "/usr/lib/ocf";
    EXPECT_TRUE(parse_config(env, "psql1").ok());
    EXPECT_EQ(unknown_parameters(env), std::vector<std::string>{"pgsql_tuning"});
    EXPECT_TRUE(unknown_parameters(base_env()).empty());
}

// vip was removed (parsed, never used): a configuration that still sets it
// must load, with the usual "unknown parameter" warning.
TEST(ParamsParse, RemovedVipStillLoads) {
    EnvMap env = base_env();
    env["OCF_RESKEY_vip"] = "10.0.0.10";
    EXPECT_TRUE(parse_config(env, "psql1").ok());
    EXPECT_EQ(unknown_parameters(env), std::vector<std::string>{"vip"});
}

TEST(ParamsParse, ParseBooleanSpellings) {
    EXPECT_EQ(parse_boolean("On"), std::optional<bool>(true));
    EXPECT_EQ(parse_boolean("oFF"), std::optional<bool>(false));
    EXPECT_EQ(parse_boolean(""), std::nullopt);
    EXPECT_EQ(parse_boolean("y"), std::nullopt);
}

TEST(ParamsMeta, ReadsPacemakerMetaAttributes) {
    const MetaEnv meta = parse_meta({{"OCF_RESKEY_CRM_meta_on_node", "psql2"},
                                     {"OCF_RESKEY_CRM_meta_timeout", "60000"},
                                     {"OCF_RESKEY_CRM_meta_interval", "15000"},
                                     {"OCF_RESKEY_CRM_meta_role", "Unpromoted"},
                                     {"OCF_RESKEY_CRM_meta_notify", "true"},
                                     {"OCF_RESKEY_CRM_meta_clone_max", "2"},
                                     {"OCF_RESKEY_CRM_meta_promoted_max", "1"},
                                     {"OCF_RESKEY_CRM_meta_master_max", "7"}});
    EXPECT_EQ(meta.on_node, "psql2");
    EXPECT_EQ(meta.timeout, std::chrono::milliseconds{60000});
    EXPECT_EQ(meta.interval, std::chrono::milliseconds{15000});
    EXPECT_FALSE(meta.is_probe());
    EXPECT_EQ(meta.role, "Unpromoted");
    EXPECT_TRUE(meta.notify_enabled);
    EXPECT_TRUE(meta.notify_passed);
    EXPECT_EQ(meta.clone_max, 2);
    EXPECT_EQ(meta.promoted_max, 1);
}

TEST(ParamsMeta, FallsBackToMasterMaxAndDefaults) {
    const MetaEnv meta = parse_meta({{"OCF_RESKEY_CRM_meta_master_max", "1"},
                                     {"OCF_RESKEY_CRM_meta_timeout", "soon"},
                                     {"OCF_RESKEY_CRM_meta_interval", "-5"}});
    EXPECT_EQ(meta.promoted_max, 1);
    EXPECT_EQ(meta.timeout, std::chrono::milliseconds{20000});
    EXPECT_TRUE(meta.is_probe());
    EXPECT_FALSE(meta.notify_enabled);
    EXPECT_EQ(meta.on_node, "");
    EXPECT_EQ(parse_meta({}).clone_max, std::nullopt);
    EXPECT_EQ(parse_meta({}).promoted_max, std::nullopt);
    EXPECT_FALSE(parse_meta({}).notify_passed);
}

TEST(ParamsEnv, ReadsTheProcessEnvironment) {
    ASSERT_EQ(::setenv("PGTWIN_PARAMS_TEST_VAR", "a=b", 1), 0);
    const EnvMap env = current_environment();
    ::unsetenv("PGTWIN_PARAMS_TEST_VAR");
    ASSERT_EQ(env.count("PGTWIN_PARAMS_TEST_VAR"), 1U);
    EXPECT_EQ(env.at("PGTWIN_PARAMS_TEST_VAR"), "a=b");
}

}  // namespace
}  // namespace pgtwin::ocf
