// SPDX-License-Identifier: GPL-2.0-or-later
// Keeping the old data before a clone must work where rename(2) cannot:
// backup_dir on another file system (EXDEV), pgdata a mount point (EBUSY),
// and pgdata given with a trailing '/' (review L1). The mount cases run in a
// forked child with its own mount namespace, so no mount outlives the test.

#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>

#include "agent_fakes.hpp"
#include "pgtwin/agent/rebuild.hpp"
#include "pgtwin/sys/process_runner.hpp"

namespace pgtwin::testing {
namespace {

namespace fs = std::filesystem;

class SetAside : public ::testing::Test {
protected:
    void SetUp() override {
        m_dir = fs::temp_directory_path() / ("pgtwin-set-aside-test-" + std::to_string(::getpid()) + "-" +
                                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(m_dir);
        fs::create_directories(m_dir / "data");
        fs::create_directories(m_dir / "backups");
        cfg.backup_before_basebackup = true;
        meta.timeout = Millis{60000};
    }
    void TearDown() override { fs::remove_all(m_dir); }

    void fill(const fs::path& data) {
        fs::create_directories(data / "global");
        std::ofstream(data / "PG_VERSION") << "15\n";
        std::ofstream(data / "global" / "pg_control") << "control\n";
    }

    // Runs set_aside_data_dir on `pgdata` with a real runner (cp).
    Result<void> set_aside(const std::string& pgdata) {
        FakeBackend backend(pgdata);
        // clang-format off
        agent::Context ctx{cfg,     meta,    notify,    "psql1",   "psql2", "pgsql", (m_dir / "state").string(),
                           runner,  clock,   backend,   connector, cluster, Deadline(clock, meta.timeout)};
        // clang-format on
        return agent::set_aside_data_dir(ctx);
    }

    // The one backup under `dir` holding the old cluster, or "" if none or several.
    static fs::path only_backup(const fs::path& dir) {
        fs::path found;
        int n = 0;
        for (const auto& e : fs::directory_iterator(dir)) {
            if (e.path().filename().string().rfind("data.pgtwin-backup-", 0) == 0) {
                found = e.path();
                ++n;
            }
        }
        return n == 1 ? found : fs::path();
    }

    // Runs `body` in a child with a private mount namespace; its exit code 0 is success.
    static int in_mount_namespace(const std::function<int()>& body) {
        pid_t pid = ::fork();
        if (pid == 0) {
            if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
                ::_exit(90);
            }
            ::_exit(body());
        }
        int status = 0;
        ::waitpid(pid, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 99;
    }

    fs::path m_dir;
    ocf::Config cfg;
    ocf::MetaEnv meta;
    pcmk::NotifyData notify;
    sys::ProcessRunner runner;
    FakeClock clock;
    FakeConnector connector;
    FakeCluster cluster;
};

TEST_F(SetAside, TrailingSlashKeepsTheBackupBesidePgdata) {
    fill(m_dir / "data");
    auto r = set_aside((m_dir / "data").string() + "/");
    ASSERT_TRUE(r.ok()) << r.error().message;
    fs::path backup = only_backup(m_dir);
    ASSERT_FALSE(backup.empty());
    EXPECT_TRUE(fs::exists(backup / "global" / "pg_control"));
    EXPECT_TRUE(fs::is_empty(m_dir / "data"));
}

TEST_F(SetAside, BackupDirOnAnotherFileSystemGetsACopy) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (mount)";
    fill(m_dir / "data");
    cfg.backup_dir = (m_dir / "backups").string();
    int rc = in_mount_namespace([&] {
        if (::mount("tmpfs", cfg.backup_dir.c_str(), "tmpfs", 0, "size=16m") != 0) return 91;
        auto r = set_aside((m_dir / "data").string());
        if (!r) {
            std::fprintf(stderr, "set_aside: %s\n", r.error().message.c_str());
            return 1;
        }
        fs::path backup = only_backup(m_dir / "backups");
        if (backup.empty() || !fs::exists(backup / "global" / "pg_control")) return 2;
        return fs::is_empty(m_dir / "data") ? 0 : 3;
    });
    EXPECT_EQ(rc, 0);
}

TEST_F(SetAside, PgdataThatIsAMountPointIsEmptiedIntoACopy) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (mount)";
    int rc = in_mount_namespace([&] {
        if (::mount("tmpfs", (m_dir / "data").c_str(), "tmpfs", 0, "size=16m,mode=0700") != 0) return 91;
        fill(m_dir / "data");
        auto r = set_aside((m_dir / "data").string());
        if (!r) {
            std::fprintf(stderr, "set_aside: %s\n", r.error().message.c_str());
            return 1;
        }
        fs::path backup = only_backup(m_dir);
        if (backup.empty() || !fs::exists(backup / "global" / "pg_control")) return 2;
        return fs::is_empty(m_dir / "data") ? 0 : 3;
    });
    EXPECT_EQ(rc, 0);
}

}  // namespace
}  // namespace pgtwin::testing
