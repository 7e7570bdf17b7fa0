// SPDX-License-Identifier: GPL-2.0-or-later
// ContainerBackend on a fake runner, for podman and docker alike.

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fakes.hpp"
#include "pgtwin/backend/container_backend.hpp"

namespace pgtwin::backend {
namespace {

namespace fs = std::filesystem;
using Argv = std::vector<std::string>;
constexpr int kTimedOut = -99;  // exit code the fake turns into a timeout

std::string read_data(const std::string& name) {
    std::ifstream in(std::string(PGTWIN_TEST_DATA_DIR) + "/" + name);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

// Marks results with exit code kTimedOut as timed out (the shared fake has no such switch).
class TimeoutMarkingRunner final : public sys::CommandRunner {
public:
    explicit TimeoutMarkingRunner(testing::FakeCommandRunner& inner) : m_inner(inner) {}
    Result<sys::CommandResult> run(const sys::Command& cmd) override {
        auto r = m_inner.run(cmd);
        if (r && r->exit_code == kTimedOut) {
            r->exit_code = -1;
            r->term_signal = 9;
            r->timed_out = true;
        }
        return r;
    }

private:
    testing::FakeCommandRunner& m_inner;
};

class ContainerBackendPerRuntime : public ::testing::TestWithParam<RuntimeKind> {
protected:
    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        std::string tag = std::string(info->name());
        for (char& c : tag)
            if (c == '/') c = '_';
        m_root = fs::temp_directory_path() / ("pgtwin-ctr-" + std::to_string(::getpid()) + "-" + tag);
        fs::remove_all(m_root);
        fs::create_directories(m_root / "data");
        fs::permissions(m_root / "data", fs::perms::owner_all, fs::perm_options::replace);
        m_cfg.pgdata = (m_root / "data").string();
        m_cfg.pghost = (m_root / "sock").string();
        m_cfg.pgport = 5433;
        m_cfg.container_mode = true;
        m_cfg.container_image = "localhost/pgtwin-test/postgres:15";
        m_ids = std::to_string(::getuid()) + ":" + std::to_string(::getgid());
        m_cfg.container_user = m_ids;
    }
    void TearDown() override { fs::remove_all(m_root); }

    ContainerBackend backend() { return ContainerBackend(m_cfg, "psql1", m_marking, m_clock, GetParam(), {}); }
    std::string rt() const { return traits_for(GetParam()).binary; }
    Argv inspect() const { return {rt(), "inspect", "--type", "container", "pgtwin-postgres-psql1"}; }
    // `id postgres` in a throwaway container, and an answer whose ids are ours
    // (so the ownership checks of validate pass).
    Argv id_lookup() const {
        return {rt(), "run", "--rm", "--network", "none", "--entrypoint", "id", m_cfg.container_image, "postgres"};
    }
    static std::string our_ids() {
        return "uid=" + std::to_string(::getuid()) + "(postgres) gid=" + std::to_string(::getgid()) + "(postgres)\n";
    }
    Argv image_probe() const {
        if (GetParam() == RuntimeKind::Podman) return {rt(), "image", "exists", m_cfg.container_image};
        return {rt(), "image", "inspect", "--format", "{{.Id}}", m_cfg.container_image};
    }
    void expect_absent() { m_fake.expect(inspect(), 125, "[]\n", "Error: no such container pgtwin-postgres-psql1\n"); }
    void expect_running() { m_fake.expect(inspect(), 0, read_data("podman-inspect-running.json")); }
    void expect_exited() { m_fake.expect(inspect(), 0, read_data("podman-inspect-exited.json")); }
    // The fixed-name container of pg_basebackup / pg_rewind is removed (rm -f).
    void expect_tool_removed() {
        m_fake.expect({rt(), "rm", "-f", "pgtwin-postgres-psql1-tool"}, 1, "",
                      "Error: no container with name or ID \"pgtwin-postgres-psql1-tool\" found: no such container\n");
    }
    // What the server does once up: socket file plus postmaster.pid status.
    void become_ready() {
        fs::create_directories(m_cfg.pghost);
        write(fs::path(m_cfg.pghost) / ".s.PGSQL.5433", "");
        write(m_root / "data" / "postmaster.pid",
              "1\n/var/lib/postgresql/data\n1700000000\n5433\n"
              "/var/run/postgresql\n\n  5433001   0\nstandby \n");
    }
    Argv start_run() const {
        // clang-format off
        return {rt(), "run", "-d", "--name", "pgtwin-postgres-psql1", "--hostname", "psql1", "--network", "host",
                "--user", m_ids, "-v", m_cfg.pgdata + ":/var/lib/postgresql/data:Z",
                "-v", log_dir() + ":/var/lib/postgresql/log:Z",
                "-v", m_cfg.pghost + ":/var/run/postgresql:Z", "-e", "PGDATA=/var/lib/postgresql/data",
                "--entrypoint", "postgres", m_cfg.container_image, "-D", "/var/lib/postgresql/data", "-p", "5433",
                "-c", "unix_socket_directories=/var/run/postgresql", "-c", "logging_collector=on",
                "-c", "log_directory=/var/lib/postgresql/log", "-c", "unix_socket_permissions=0700"};
        // clang-format on
    }
    // The host log directory: container_log_dir, else "log" beside pgdata.
    std::string log_dir() const {
        return m_cfg.container_log_dir.empty() ? (m_root / "log").string() : m_cfg.container_log_dir;
    }

    fs::path m_root;
    ocf::Config m_cfg;
    std::string m_ids;
    testing::FakeClock m_clock;
    testing::FakeCommandRunner m_fake;
    TimeoutMarkingRunner m_marking{m_fake};
};

INSTANTIATE_TEST_SUITE_P(BothRuntimes, ContainerBackendPerRuntime,
                         ::testing::Values(RuntimeKind::Podman, RuntimeKind::Docker),
                         [](const auto& p) { return std::string(traits_for(p.param).binary); });

TEST_P(ContainerBackendPerRuntime, LivenessFromInspect) {
    auto b = backend();
    Deadline d(m_clock, Millis{60000});
    expect_running();
    expect_exited();
    expect_absent();
    m_fake.expect(inspect(), kTimedOut);
    EXPECT_EQ(*b.liveness(d), Liveness::Running);
    EXPECT_EQ(*b.liveness(d), Liveness::Stopped);
    EXPECT_EQ(*b.liveness(d), Liveness::Stopped);
    EXPECT_EQ(*b.liveness(d), Liveness::RuntimeHung);
    EXPECT_EQ(m_fake.calls()[0].timeout, Millis{10000});  // hard cap, not the whole budget
    EXPECT_TRUE(m_fake.done());
}

TEST_P(ContainerBackendPerRuntime, LivenessErrorWhenRuntimeFailsOtherwise) {
    auto b = backend();
    Deadline d(m_clock, Millis{3000});
    m_fake.expect(inspect(), 1, "", "Cannot connect to the Docker daemon. Is the docker daemon running?");
    auto l = b.liveness(d);
    ASSERT_FALSE(l.ok());
    EXPECT_EQ(l.error().kind, ErrorKind::Generic);
    EXPECT_EQ(m_fake.calls()[0].timeout, Millis{3000});
}

TEST_P(ContainerBackendPerRuntime, StartRunsTheContainerAndWaitsForTheSocket) {
    write(m_root / "data" / "PG_VERSION", "15\n");
    write(m_root / "data" / "postmaster.pid", "1\n");  // left by an old container
    auto b = backend();
    Deadline d(m_clock, Millis{60000});
    expect_absent();
    m_fake.expect(image_probe());
    Argv want = start_run();
    m_fake.expect_match([&](const sys::Command& c) {
        if (c.argv != want) return false;
        // the stale pid file was moved aside before the run
        EXPECT_TRUE(fs::exists(m_root / "data" / "postmaster.pid.pgtwin-stale"));
        EXPECT_FALSE(fs::exists(m_root / "data" / "postmaster.pid"));
        return true;
    });
    expect_running();  // first poll: not ready yet
    auto r = [&] {
        // The server becomes ready while the backend sleeps between polls.
        m_fake.expect_match(
            [&](const sys::Command& c) {
                become_ready();
                return c.argv == inspect();
            },
            0, read_data("podman-inspect-running.json"));
        return b.start(d);
    }();
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(m_fake.done());
    EXPECT_TRUE(fs::is_directory(m_cfg.pghost));  // created for the container user
}

TEST_P(ContainerBackendPerRuntime, StartMountsConfigArchiveAndPassfile) {
    write(m_root / "data" / "PG_VERSION", "15\n");
    fs::create_directories(m_root / "config");
    write(m_root / "config" / "postgresql.conf", "port = 5433\n");
    fs::create_directories(m_root / "archive");
    write(m_root / "pgpass", "*:*:*:replicator:x\n");
    m_cfg.pgpassfile = (m_root / "pgpass").string();
    m_cfg.container_run_options = "--memory 1g";
    m_cfg.start_opts = "-c shared_buffers=64MB";  // cannot reopen the socket: pgtwin's -c comes last
    auto b = backend();
    Deadline d(m_clock, Millis{60000});
    expect_exited();  // a stale stopped container is removed first
    m_fake.expect({rt(), "rm", "-f", "pgtwin-postgres-psql1"});
    m_fake.expect(image_probe());
    // clang-format off
    Argv want{rt(), "run", "-d", "--name", "pgtwin-postgres-psql1", "--hostname", "psql1", "--network", "host",
              "--user", m_ids, "-v", m_cfg.pgdata + ":/var/lib/postgresql/data:Z",
              "-v", (m_root / "config").string() + ":/etc/postgresql:ro,Z",
              "-v", (m_root / "archive").string() + ":/var/lib/postgresql/archive:Z",
              "-v", log_dir() + ":/var/lib/postgresql/log:Z", "-v", m_cfg.pghost + ":/var/run/postgresql:Z",
              "-v", m_cfg.pgpassfile + ":/var/lib/postgresql/.pgpass-pgtwin:ro,Z",
              "-e", "PGDATA=/var/lib/postgresql/data", "-e", "PGPASSFILE=/var/lib/postgresql/.pgpass-pgtwin",
              "--memory", "1g", "--entrypoint", "postgres", m_cfg.container_image,
              "-D", "/var/lib/postgresql/data", "-p", "5433", "-c",
              "unix_socket_directories=/var/run/postgresql", "-c",
              "config_file=/etc/postgresql/postgresql.conf", "-c", "logging_collector=on", "-c",
              "log_directory=/var/lib/postgresql/log", "-c", "shared_buffers=64MB",
              "-c", "unix_socket_permissions=0700"};
    // clang-format on
    m_fake.expect_match([&](const sys::Command& c) {
        become_ready();
        return c.argv == want;
    });
    auto r = b.start(d);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(m_fake.done());
    EXPECT_EQ(b.passfile_for_server(), "/var/lib/postgresql/.pgpass-pgtwin");
}

TEST_P(ContainerBackendPerRuntime, StartWithoutImageIsNotInstalledAndNeverPulls) {
    write(m_root / "data" / "PG_VERSION", "15\n");
    auto b = backend();
    Deadline d(m_clock, Millis{60000});
    expect_absent();
    m_fake.expect(image_probe(), 1, "", GetParam() == RuntimeKind::Docker ? "Error: No such image: x" : "");
    auto r = b.start(d);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::NotInstalled);
    EXPECT_EQ(r.error().message,
              "image localhost/pgtwin-test/postgres:15 not present; pull it or set "
              "container_pull=true");
    EXPECT_TRUE(m_fake.done());
}

TEST_P(ContainerBackendPerRuntime, StartReportsTheLogsOfAContainerThatExits) {
    write(m_root / "data" / "PG_VERSION", "15\n");
    // What the server's logging collector wrote before it died, in the host log directory.
    fs::create_directories(m_root / "log");
    write(m_root / "log" / "postgresql-old.log", "LOG:  an older start\n");
    fs::last_write_time(m_root / "log" / "postgresql-old.log",
                        fs::file_time_type::clock::now() - std::chrono::hours(1));
    auto b = backend();
    Deadline d(m_clock, Millis{60000});
    expect_absent();
    m_fake.expect(image_probe());
    Argv want = start_run();
    m_fake.expect_match([&](const sys::Command& c) {
        write(m_root / "log" / "postgresql-new.log", "LOG:  starting\nFATAL:  could not map shared memory\n");
        return c.argv == want;
    });
    expect_exited();
    m_fake.expect({rt(), "logs", "--tail", "20", "pgtwin-postgres-psql1"}, 0, "",
                  "LOG:  starting\nFATAL:  could not load pg_hba.conf\n");
    auto r = b.start(d);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::Generic);
    EXPECT_NE(r.error().message.find("FATAL:  could not load pg_hba.conf"), std::string::npos);
    EXPECT_NE(r.error().message.find("FATAL:  could not map shared memory"), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().message.find("an older start"), std::string::npos) << r.error().message;
}

// The server log lives in a host directory (the container, and `logs` with it,
// is removed at every stop); the agent creates it for the container user, 0700,
// and refuses one the container user could not write.
TEST_P(ContainerBackendPerRuntime, StartKeepsTheServerLogInAHostDirectory) {
    write(m_root / "data" / "PG_VERSION", "15\n");
    m_cfg.container_log_dir = (m_root / "logs" / "pg").string();
    auto b = backend();
    EXPECT_EQ(b.log_dir(), m_cfg.container_log_dir);
    Deadline d(m_clock, Millis{60000});
    expect_absent();
    m_fake.expect(image_probe());
    Argv want = start_run();
    m_fake.expect_match([&](const sys::Command& c) {
        become_ready();
        return c.argv == want;
    });
    auto r = b.start(d);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(m_fake.done());
    struct stat st {};
    ASSERT_EQ(::stat(m_cfg.container_log_dir.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0700U);
    EXPECT_EQ(st.st_uid, ::getuid());
    if (::getuid() != 0) return;  // a foreign owner needs root to set up
    ASSERT_EQ(::chown(m_cfg.container_log_dir.c_str(), 4242, 4242), 0);
    fs::remove(m_root / "sock" / ".s.PGSQL.5433");
    fs::remove(m_root / "data" / "postmaster.pid");
    auto b2 = backend();
    expect_absent();
    m_fake.expect(image_probe());
    auto refused = b2.start(d);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("log directory"), std::string::npos) << refused.error().message;
    EXPECT_TRUE(m_fake.done());  // no run
}

TEST_P(ContainerBackendPerRuntime, StartTimesOutWithinTheDeadline) {
    write(m_root / "data" / "PG_VERSION", "15\n");
    auto b = backend();
    Deadline d(m_clock, Millis{500});
    expect_absent();
    m_fake.expect(image_probe());
    m_fake.expect(start_run());
    expect_running();  // t=0
    expect_running();  // t=250ms
    auto r = b.start(d);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::Timeout);
    EXPECT_TRUE(m_fake.done());
}

TEST_P(ContainerBackendPerRuntime, StopRunsPgCtlThenStopThenRm) {
    auto b = backend();
    Deadline d(m_clock, Millis{60000});
    expect_running();
    expect_tool_removed();
    m_fake.expect({rt(), "exec", "-u", m_ids, "pgtwin-postgres-psql1", "pg_ctl", "stop", "-D",
                   "/var/lib/postgresql/data", "-m", "fast", "-w", "-t", "49"});
    m_fake.expect({rt(), "stop", "-t", "53", "pgtwin-postgres-psql1"});
    m_fake.expect({rt(), "rm", "-f", "pgtwin-postgres-psql1"});
    expect_absent();
    auto r = b.stop(StopMode::Fast, d);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(m_fake.calls()[2].timeout, Millis{50000});  // pg_ctl stop, after inspect and the tool rm
    EXPECT_TRUE(m_fake.done());
}

TEST_P(ContainerBackendPerRuntime, ImmediateStopStillRemovesWhenPgCtlFails) {
    auto b = backend();
    Deadline d(m_clock, Millis{60000});
    expect_running();
    expect_tool_removed();
    m_fake.expect({rt(), "exec", "-u", m_ids, "pgtwin-postgres-psql1", "pg_ctl", "stop", "-D",
                   "/var/lib/postgresql/data", "-m", "immediate", "-w", "-t", "49"},
                  1, "", "pg_ctl: error");
    m_fake.expect({rt(), "stop", "-t", "53", "pgtwin-postgres-psql1"});
    m_fake.expect({rt(), "rm", "-f", "pgtwin-postgres-psql1"});
    expect_running();  // still there: the stop must fail loudly
    auto r = b.stop(StopMode::Immediate, d);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("still present"), std::string::npos);
}

TEST_P(ContainerBackendPerRuntime, StopOfAbsentOrExitedContainerSucceeds) {
    auto b = backend();
    Deadline d(m_clock, Millis{20000});
    expect_absent();
    expect_tool_removed();
    EXPECT_TRUE(b.stop(StopMode::Fast, d).ok());
    expect_exited();
    expect_tool_removed();
    m_fake.expect({rt(), "rm", "-f", "pgtwin-postgres-psql1"});
    EXPECT_TRUE(b.stop(StopMode::Fast, d).ok());
    EXPECT_TRUE(m_fake.done());
}

TEST_P(ContainerBackendPerRuntime, ToolCommandExecsOrRunsATemporaryContainer) {
    m_cfg.pgpassfile = (m_root / "pgpass").string();
    auto b = backend();
    Deadline d(m_clock, Millis{30000});
    expect_running();
    auto exec = b.tool_command(Tool::PgControldata, {b.data_dir_for_tools()}, d);
    ASSERT_TRUE(exec.ok());
    EXPECT_EQ(exec->argv, (Argv{rt(), "exec", "-u", m_ids, "-e", "PGDATA=/var/lib/postgresql/data", "-e",
                                "PGPASSFILE=/var/lib/postgresql/.pgpass-pgtwin", "pgtwin-postgres-psql1",
                                "pg_controldata", "/var/lib/postgresql/data"}));
    expect_absent();
    expect_tool_removed();  // an orphan of a killed agent must stop writing first
    auto run = b.tool_command(Tool::PgBasebackup, {"-h", "10.231.0.2", "-D", b.data_dir_for_tools()}, d);
    ASSERT_TRUE(run.ok());
    // clang-format off
    EXPECT_EQ(run->argv, (Argv{rt(), "run", "--rm", "--name", "pgtwin-postgres-psql1-tool", "--network", "host", "--user", m_ids,
                               "-v", m_cfg.pgdata + ":/var/lib/postgresql/data:Z",
                               "-v", m_cfg.pgpassfile + ":/var/lib/postgresql/.pgpass-pgtwin:ro,Z",
                               "-e", "PGDATA=/var/lib/postgresql/data",
                               "-e", "PGPASSFILE=/var/lib/postgresql/.pgpass-pgtwin", "--entrypoint", "pg_basebackup",
                               m_cfg.container_image, "-h", "10.231.0.2", "-D", "/var/lib/postgresql/data"}));
    // clang-format on
    EXPECT_EQ(run->timeout, Millis{30000});
    m_fake.expect(inspect(), kTimedOut);
    auto hung = b.tool_command(Tool::PgRewind, {}, d);
    ASSERT_FALSE(hung.ok());
    EXPECT_EQ(hung.error().kind, ErrorKind::Timeout);
}

TEST_P(ContainerBackendPerRuntime, InitdbRunsInATemporaryContainer) {
    fs::remove(m_root / "data");
    auto b = backend();
    Deadline d(m_clock, Millis{60000});
    m_fake.expect(image_probe());
    // clang-format off
    Argv want{rt(), "run", "--rm", "--network", "none", "--user", m_ids,
              "-v", m_cfg.pgdata + ":/var/lib/postgresql/data:Z", "-e", "PGDATA=/var/lib/postgresql/data",
              "--entrypoint", "initdb", m_cfg.container_image, "-D", "/var/lib/postgresql/data", "-E", "UTF8",
              "--data-checksums",
              "--username=postgres", "--auth-local=trust", "--auth-host=scram-sha-256"};
    // clang-format on
    m_fake.expect_match([&](const sys::Command& c) {
        EXPECT_TRUE(fs::is_directory(m_root / "data"));  // created before the run
        write(m_root / "data" / "PG_VERSION", "15\n");
        return c.argv == want;
    });
    auto r = b.initdb(d);
    ASSERT_TRUE(r.ok()) << r.error().message;
    auto perms = fs::status(m_root / "data").permissions();
    EXPECT_EQ(perms & fs::perms::all, fs::perms::owner_all);
    auto again = b.initdb(d);  // never over existing data
    ASSERT_FALSE(again.ok());
    EXPECT_TRUE(m_fake.done());
}

TEST_P(ContainerBackendPerRuntime, ValidateChecksImageOwnerAndMode) {
    {
        auto b = backend();
        Deadline d(m_clock, Millis{20000});
        m_fake.expect(image_probe());
        EXPECT_TRUE(b.validate(d, ValidateScope::Full).ok());
        fs::permissions(m_root / "data", fs::perms::all, fs::perm_options::replace);
        m_fake.expect(image_probe());
        auto bad_mode = b.validate(d, ValidateScope::Full);
        ASSERT_FALSE(bad_mode.ok());
        EXPECT_EQ(bad_mode.error().kind, ErrorKind::InvalidArgs);
    }
    fs::permissions(m_root / "data", fs::perms::owner_all, fs::perm_options::replace);
    m_cfg.container_user = "12345:12345";
    auto b = backend();
    Deadline d(m_clock, Millis{20000});
    m_fake.expect(image_probe());
    auto wrong_owner = b.validate(d, ValidateScope::Full);
    ASSERT_FALSE(wrong_owner.ok());
    EXPECT_EQ(wrong_owner.error().kind, ErrorKind::InvalidArgs);
    EXPECT_NE(wrong_owner.error().message.find("uid 12345"), std::string::npos);
}

TEST_P(ContainerBackendPerRuntime, StartRefusesWhileAServerListensOnTheSocket) {
    write(m_root / "data" / "PG_VERSION", "15\n");
    write(m_root / "data" / "postmaster.pid", "1\n/var/lib/postgresql/data\n");  // live, in another container
    fs::create_directories(m_cfg.pghost);
    fs::permissions(m_cfg.pghost, fs::perms::owner_all, fs::perm_options::replace);
    std::string sock = m_cfg.pghost + "/.s.PGSQL.5433";
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, sock.c_str(), sizeof(addr.sun_path) - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    ASSERT_EQ(::listen(fd, 4), 0);
    auto b = backend();
    Deadline d(m_clock, Millis{60000});
    expect_absent();
    m_fake.expect(image_probe());
    auto r = b.start(d);
    ::close(fd);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::Generic);
    EXPECT_NE(r.error().message.find("postmaster.pid left in place"), std::string::npos) << r.error().message;
    EXPECT_TRUE(fs::exists(m_root / "data" / "postmaster.pid"));
    EXPECT_FALSE(fs::exists(m_root / "data" / "postmaster.pid.pgtwin-stale"));
    EXPECT_TRUE(fs::exists(sock));
    EXPECT_TRUE(m_fake.done());  // no run
}

TEST_P(ContainerBackendPerRuntime, ValidateRefusesAnOpenSocketDirectoryAndAnEntrypointOption) {
    fs::create_directories(m_cfg.pghost);
    fs::permissions(m_cfg.pghost, fs::perms(03775), fs::perm_options::replace);
    {
        auto b = backend();
        Deadline d(m_clock, Millis{20000});
        m_fake.expect(image_probe());
        auto r = b.validate(d, ValidateScope::Full);
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().kind, ErrorKind::InvalidConfig);
        EXPECT_NE(r.error().message.find("must be 0700"), std::string::npos) << r.error().message;
    }
    fs::permissions(m_cfg.pghost, fs::perms::owner_all, fs::perm_options::replace);
    m_cfg.container_run_options = "--entrypoint /usr/local/bin/docker-entrypoint.sh";
    auto b = backend();
    Deadline d(m_clock, Millis{20000});
    auto r = b.validate(d, ValidateScope::Full);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::InvalidConfig);
    EXPECT_TRUE(m_fake.done());
}

// The named user's ids come from the image; an empty answer (podman 4.3
// once gave one) is asked again, a second unreadable one is an error that
// shows what came back. Each row: the answers of the lookups, and the
// error text expected (empty: validate succeeds).
TEST_P(ContainerBackendPerRuntime, ValidateLooksUpANamedUserInTheImage) {
    struct Row {
        std::vector<std::string> answers;
        std::string error;
    };
    const std::vector<Row> rows{
        {{our_ids()}, ""},
        {{"", our_ids()}, ""},
        {{"", "id: 'postgres': no such user\n"}, "unexpected output of `id postgres` in image"},
    };
    for (const auto& row : rows) {
        m_cfg.container_user = "postgres";
        auto b = backend();
        Deadline d(m_clock, Millis{20000});
        m_fake.expect(image_probe());
        for (const auto& answer : row.answers) m_fake.expect(id_lookup(), 0, answer);
        auto r = b.validate(d, ValidateScope::Full);
        if (row.error.empty()) {
            EXPECT_TRUE(r.ok()) << r.error().message;
        } else {
            ASSERT_FALSE(r.ok());
            EXPECT_EQ(r.error().kind, ErrorKind::Generic);
            EXPECT_NE(r.error().message.find(row.error), std::string::npos) << r.error().message;
            EXPECT_NE(r.error().message.find("no such user"), std::string::npos) << r.error().message;
        }
        EXPECT_TRUE(m_fake.done());
    }
}

// Promote and demote validate an instance that start already ran: a named
// user is the data directory's owner, so neither the image probe nor the
// throw-away `id` container runs on the failover path (the fake throws on
// any command); the host-side checks still hold.
TEST_P(ContainerBackendPerRuntime, ValidateOfAStartedInstanceRunsNoContainer) {
    m_cfg.container_user = "postgres";
    // A root-owned data directory is never taken as the user's: own it by
    // someone else when the tests run as root.
    if (::getuid() == 0) {
        ASSERT_EQ(::chown(m_cfg.pgdata.c_str(), 12345, 12345), 0);
    }
    auto b = backend();
    Deadline d(m_clock, Millis{20000});
    auto r = b.validate(d, ValidateScope::Started);
    EXPECT_TRUE(r.ok()) << r.error().message;
    fs::permissions(m_root / "data", fs::perms::all, fs::perm_options::replace);
    auto bad_mode = b.validate(d, ValidateScope::Started);
    ASSERT_FALSE(bad_mode.ok());
    EXPECT_EQ(bad_mode.error().kind, ErrorKind::InvalidArgs);
    EXPECT_TRUE(m_fake.done());
}

TEST(ContainerBackendNoRuntime, EveryActionReportsNotInstalled) {
    testing::FakeClock clock;
    testing::FakeCommandRunner runner;
    ocf::Config cfg;
    cfg.pgdata = "/nonexistent/data";
    ContainerBackend b(cfg, "psql1", runner, clock,
                       fail(ErrorKind::NotInstalled, "no container runtime found (podman or docker)"), {});
    Deadline d(clock, Millis{1000});
    auto v = b.validate(d, ValidateScope::Full);
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error().kind, ErrorKind::NotInstalled);
    EXPECT_EQ(v.error().message, "no container runtime found (podman or docker)");
    EXPECT_EQ(b.liveness(d).error().kind, ErrorKind::NotInstalled);
    EXPECT_EQ(b.local_conn().host, "/var/run/postgresql");
    EXPECT_EQ(b.data_dir_for_tools(), "/var/lib/postgresql/data");
    EXPECT_EQ(b.host_data_dir(), "/nonexistent/data");
    EXPECT_EQ(b.container_name(), "pgtwin-postgres-psql1");
}

}  // namespace
}  // namespace pgtwin::backend
