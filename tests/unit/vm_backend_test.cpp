// SPDX-License-Identifier: GPL-2.0-or-later
// VmBackend on a fake runner: tool discovery, start, stop, tools, initdb.

#include <gtest/gtest.h>

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "fakes.hpp"
#include "pgtwin/backend/vm_backend.hpp"

namespace pgtwin {
namespace {

namespace fs = std::filesystem;
using backend::StopMode;
using backend::Tool;
using backend::VmBackend;
using backend::VmBackendOptions;
using backend::VmSearchPaths;
using Argv = std::vector<std::string>;

std::string current_user() {
    const passwd* pw = ::getpwuid(::geteuid());
    return pw != nullptr ? pw->pw_name : "root";
}

// A private directory tree with fake PostgreSQL installations.
class TempTree {
public:
    TempTree() {
        std::string tmpl = (fs::temp_directory_path() / "pgtwin-vm-XXXXXX").string();
        m_root = ::mkdtemp(tmpl.data());
    }
    ~TempTree() {
        std::error_code ec;
        fs::remove_all(m_root, ec);
    }
    TempTree(const TempTree&) = delete;
    TempTree& operator=(const TempTree&) = delete;
    std::string path(const std::string& rel) const { return m_root + "/" + rel; }
    // Creates directory `rel` holding an (empty) pg_ctl.
    std::string bin(const std::string& rel) const {
        fs::create_directories(path(rel));
        std::ofstream(path(rel) + "/pg_ctl").put('\n');
        return path(rel);
    }
    void write(const std::string& rel, const std::string& text) const {
        fs::create_directories(fs::path(path(rel)).parent_path());
        std::ofstream(path(rel)) << text;
    }

private:
    std::string m_root;
};

class VmBackendOnFakes : public ::testing::Test {
protected:
    VmBackendOnFakes() {
        cfg.pgdata = tree.path("data");
        cfg.pghost = tree.path("sock");
        cfg.pgport = 5433;
        cfg.pguser = current_user();
        cfg.pg_bindir = tree.bin("pg/bin");
        fs::create_directories(cfg.pgdata);
        fs::permissions(cfg.pgdata, fs::perms::owner_all, fs::perm_options::replace);
        paths.debian_root = tree.path("usr/lib/postgresql");
        paths.pgdg_root = tree.path("usr");
        paths.c_utf8_locale_dirs = {tree.path("locale/C.utf8")};
    }

    VmBackend make() {
        VmBackendOptions o;
        o.paths = paths;
        o.postmaster_running = [this](const std::string&) { return running; };
        o.postmaster_pid = [](const std::string&) { return 4242L; };
        return VmBackend(cfg, runner, clock, o);
    }

    std::string pg_ctl() const { return cfg.pg_bindir + "/pg_ctl"; }

    TempTree tree;
    ocf::Config cfg;
    VmSearchPaths paths;
    bool running = false;
    testing::FakeClock clock;
    testing::FakeCommandRunner runner;
};

TEST_F(VmBackendOnFakes, ConfiguredBindirMustHoldPgCtl) {
    EXPECT_EQ(backend::find_pg_bindir(cfg, paths).value_or(""), cfg.pg_bindir);
    cfg.pg_bindir = tree.path("nowhere");
    auto r = backend::find_pg_bindir(cfg, paths);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::NotInstalled);
    EXPECT_NE(r.error().message.find(tree.path("nowhere")), std::string::npos);
}

TEST_F(VmBackendOnFakes, DiscoveryFollowsPgVersion) {
    cfg.pg_bindir.clear();
    tree.write("data/PG_VERSION", "15\n");
    tree.bin("usr/lib/postgresql/16/bin");
    const std::string debian15 = tree.bin("usr/lib/postgresql/15/bin");
    EXPECT_EQ(backend::find_pg_bindir(cfg, paths).value_or(""), debian15);
    // PATH comes first...
    const std::string on_path = tree.bin("path/bin");
    paths.path_dirs = {tree.path("empty"), on_path};
    EXPECT_EQ(backend::find_pg_bindir(cfg, paths).value_or(""), on_path);
    // ...unless its pg_ctl is a link into another major's directory.
    fs::remove(on_path + "/pg_ctl");
    fs::create_symlink(tree.path("usr/lib/postgresql/16/bin/pg_ctl"), on_path + "/pg_ctl");
    EXPECT_EQ(backend::find_pg_bindir(cfg, paths).value_or(""), debian15);
}

TEST_F(VmBackendOnFakes, DiscoveryFindsThePgdgLayout) {
    cfg.pg_bindir.clear();
    tree.write("data/PG_VERSION", "15\n");
    const std::string pgdg = tree.bin("usr/pgsql-15/bin");
    EXPECT_EQ(backend::find_pg_bindir(cfg, paths).value_or(""), pgdg);
}

TEST_F(VmBackendOnFakes, DiscoveryFailureNamesTheSearchedDirectories) {
    cfg.pg_bindir.clear();
    tree.write("data/PG_VERSION", "15\n");
    tree.bin("usr/lib/postgresql/16/bin");
    paths.path_dirs = {tree.path("path/bin")};
    auto r = backend::find_pg_bindir(cfg, paths);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::NotInstalled);
    EXPECT_NE(r.error().message.find(tree.path("usr/lib/postgresql/15/bin")), std::string::npos);
    EXPECT_NE(r.error().message.find(tree.path("path/bin")), std::string::npos);
}

TEST_F(VmBackendOnFakes, EmptyDataDirectoryUsesTheHighestInstalledMajor) {
    cfg.pg_bindir.clear();
    tree.bin("usr/lib/postgresql/9.6/bin");
    tree.bin("usr/lib/postgresql/15/bin");
    const std::string pgdg16 = tree.bin("usr/pgsql-16/bin");
    fs::create_directories(tree.path("usr/lib/postgresql/17/bin"));  // no pg_ctl: ignored
    EXPECT_EQ(backend::find_pg_bindir(cfg, paths).value_or(""), pgdg16);
}

TEST(VmStartOpts, AcceptsSafeTokensOnly) {
    auto percent = backend::split_start_opts("  -c shared_buffers=128MB\t-c log_line_prefix=%m ");
    EXPECT_FALSE(percent.ok());  // '%' is not in the safe set
    auto good = backend::split_start_opts(" -c shared_buffers=128MB  -c listen_addresses=10.0.0.1,127.0.0.1 ");
    ASSERT_TRUE(good.ok());
    EXPECT_EQ(*good, (Argv{"-c", "shared_buffers=128MB", "-c", "listen_addresses=10.0.0.1,127.0.0.1"}));
    for (const char* bad : {"-c x=$(reboot)", "a;b", "a'b", "a`b`", "x|y"}) {
        auto r = backend::split_start_opts(bad);
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_EQ(r.error().kind, ErrorKind::InvalidConfig);
    }
}

TEST_F(VmBackendOnFakes, StartRunsPgCtlAsPguserWithinTheDeadline) {
    cfg.start_opts = "-c work_mem=4MB";
    auto b = make();
    const std::string log = cfg.pgdata + "/log/pgtwin-postgresql.log";
    runner.expect({pg_ctl(), "start", "-D", cfg.pgdata, "-w", "-t", "19", "-l", log, "-o",
                   "-p 5433 -k " + cfg.pghost + " -c work_mem=4MB"});
    auto r = b.start(Deadline(clock, Millis{20000}));
    ASSERT_TRUE(r.ok()) << r.error().message;
    const auto& cmd = runner.calls().at(0);
    EXPECT_EQ(cmd.run_as_user.value_or(""), cfg.pguser);
    EXPECT_EQ(cmd.timeout, Millis{20000});
    EXPECT_TRUE(fs::is_directory(cfg.pghost));
    EXPECT_TRUE(fs::is_directory(cfg.pgdata + "/log"));
}

TEST_F(VmBackendOnFakes, StartFailureQuotesTheServerLog) {
    cfg.logfile = tree.path("logs/pg.log");
    tree.write("logs/pg.log", "line 1\nFATAL:  could not bind IPv4 address\n");
    auto b = make();
    runner.expect_match([](const sys::Command& c) { return c.argv.at(1) == "start"; }, 1, "",
                        "pg_ctl: could not start server\n");
    auto r = b.start(Deadline(clock, Millis{20000}));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::Generic);
    EXPECT_NE(r.error().message.find("could not bind IPv4 address"), std::string::npos);
}

TEST_F(VmBackendOnFakes, StartRejectsUnsafeOptionsBeforeRunningAnything) {
    cfg.start_opts = "-c x=$(id)";
    auto b = make();
    auto r = b.start(Deadline(clock, Millis{20000}));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::InvalidConfig);
    EXPECT_TRUE(runner.calls().empty());
}

TEST_F(VmBackendOnFakes, StartOfARunningInstanceDoesNothing) {
    running = true;
    auto b = make();
    EXPECT_TRUE(b.start(Deadline(clock, Millis{20000})).ok());
    EXPECT_TRUE(runner.calls().empty());
}

TEST_F(VmBackendOnFakes, StopOfAStoppedInstanceSucceeds) {
    auto b = make();
    EXPECT_TRUE(b.stop(StopMode::Fast, Deadline(clock, Millis{20000})).ok());
    EXPECT_TRUE(runner.calls().empty());
}

TEST_F(VmBackendOnFakes, FastStopLeavesTimeForEscalation) {
    running = true;
    auto b = make();
    runner.expect_match([this](const sys::Command& c) {
        running = false;
        return c.argv == Argv{pg_ctl(), "stop", "-D", cfg.pgdata, "-m", "fast", "-w", "-t", "17"} &&
               c.timeout == Millis{17000};
    });
    auto r = b.stop(StopMode::Fast, Deadline(clock, Millis{20000}));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(runner.done());
}

TEST_F(VmBackendOnFakes, StopEscalatesToImmediateThenSigkill) {
    running = true;
    auto b = make();
    runner.expect_match(
        [this](const sys::Command& c) {
            clock.advance(Millis{17000});  // the fast shutdown used its whole share
            return c.argv.at(5) == "fast";
        },
        1, "", "pg_ctl: server does not shut down\n");
    runner.expect_match(
        [this](const sys::Command& c) {
            return c.argv == Argv{pg_ctl(), "stop", "-D", cfg.pgdata, "-m", "immediate", "-w", "-t", "2"};
        },
        1);
    runner.expect_match([this](const sys::Command& c) {
        running = false;
        return c.argv == Argv{"kill", "-KILL", "4242"} && c.run_as_user == cfg.pguser;
    });
    auto r = b.stop(StopMode::Fast, Deadline(clock, Millis{20000}));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(runner.done());
}

TEST_F(VmBackendOnFakes, ImmediateModeSkipsTheFastShutdown) {
    running = true;
    auto b = make();
    runner.expect_match([this](const sys::Command& c) {
        running = false;
        return c.argv.at(5) == "immediate";
    });
    EXPECT_TRUE(b.stop(StopMode::Immediate, Deadline(clock, Millis{20000})).ok());
}

TEST_F(VmBackendOnFakes, StopThatCannotKillTimesOutAtTheDeadline) {
    running = true;
    auto b = make();
    runner.expect_match([](const sys::Command& c) { return c.argv.at(5) == "fast"; }, 1);
    runner.expect_match([](const sys::Command& c) { return c.argv.at(5) == "immediate"; }, 1);
    runner.expect({"kill", "-KILL", "4242"}, 1, "", "kill: Operation not permitted\n");
    Deadline d(clock, Millis{20000});
    auto r = b.stop(StopMode::Fast, d);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::Timeout);
    EXPECT_TRUE(d.expired());  // it waited (on the fake clock) until the very end
}

TEST_F(VmBackendOnFakes, ToolCommandRunsFromBindirAsPguser) {
    auto b = make();
    auto cmd = b.tool_command(Tool::PgBasebackup, {"-D", b.data_dir_for_tools(), "-X", "stream"},
                              Deadline(clock, Millis{7000}));
    ASSERT_TRUE(cmd.ok()) << cmd.error().message;
    EXPECT_EQ(cmd->argv, (Argv{cfg.pg_bindir + "/pg_basebackup", "-D", cfg.pgdata, "-X", "stream"}));
    EXPECT_EQ(cmd->run_as_user.value_or(""), cfg.pguser);
    EXPECT_EQ(cmd->timeout, Millis{7000});
    EXPECT_EQ(b.tool_command(Tool::PgRewind, {}, Deadline(clock, Millis{7000}))->argv.at(0),
              cfg.pg_bindir + "/pg_rewind");
    EXPECT_EQ(b.tool_command(Tool::PgControldata, {}, Deadline(clock, Millis{7000}))->argv.at(0),
              cfg.pg_bindir + "/pg_controldata");
}

TEST_F(VmBackendOnFakes, LocalConnUsesTheSocketDirectory) {
    cfg.pgdatabase = "appdb";
    auto b = make();
    auto p = b.local_conn();
    EXPECT_EQ(p.host, cfg.pghost);
    EXPECT_EQ(p.port, 5433);
    EXPECT_EQ(p.user, cfg.pguser);
    EXPECT_EQ(p.dbname, "appdb");
    EXPECT_EQ(p.application_name, "pgtwin-agent");
    EXPECT_EQ(b.host_data_dir(), cfg.pgdata);
    EXPECT_EQ(b.mode_name(), "vm");
}

TEST_F(VmBackendOnFakes, ValidateChecksToolsUserAndDataDirectory) {
    EXPECT_TRUE(make().validate(Deadline(clock, Millis{1000}), backend::ValidateScope::Full).ok());
    fs::permissions(cfg.pgdata,
                    fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec | fs::perms::others_read |
                        fs::perms::others_exec,
                    fs::perm_options::replace);
    auto mode = make().validate(Deadline(clock, Millis{1000}), backend::ValidateScope::Full);
    ASSERT_FALSE(mode.ok());
    EXPECT_EQ(mode.error().kind, ErrorKind::InvalidArgs);
    cfg.pguser = "pgtwin-no-such-user";
    auto user = make().validate(Deadline(clock, Millis{1000}), backend::ValidateScope::Full);
    ASSERT_FALSE(user.ok());
    EXPECT_EQ(user.error().kind, ErrorKind::NotInstalled);
    cfg.pg_bindir = tree.path("missing");
    EXPECT_EQ(make().validate(Deadline(clock, Millis{1000}), backend::ValidateScope::Full).error().kind,
              ErrorKind::NotInstalled);
}

TEST_F(VmBackendOnFakes, InitdbCreatesPgdataAndUsesChecksums) {
    cfg.pgdata = tree.path("fresh/data");
    fs::create_directories(tree.path("locale/C.utf8"));
    auto b = make();
    runner.expect({cfg.pg_bindir + "/initdb", "-D", cfg.pgdata, "-E", "UTF8", "--locale=C.UTF-8", "--lc-collate=C",
                   "--data-checksums", "-U", cfg.pguser, "--auth-local=peer", "--auth-host=scram-sha-256"});
    auto r = b.initdb(Deadline(clock, Millis{30000}));
    ASSERT_TRUE(r.ok()) << r.error().message;
    struct stat st {};
    ASSERT_EQ(::stat(cfg.pgdata.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700U);
}

TEST_F(VmBackendOnFakes, InitdbWithoutCUtf8FallsBackToTheCLocale) {
    auto b = make();
    runner.expect_match(
        [](const sys::Command& c) { return std::find(c.argv.begin(), c.argv.end(), "--no-locale") != c.argv.end(); });
    EXPECT_TRUE(b.initdb(Deadline(clock, Millis{30000})).ok());
}

}  // namespace
}  // namespace pgtwin
