// SPDX-License-Identifier: GPL-2.0-or-later
// VmBackend against a real PostgreSQL 15 (initdb, start, stop) through the
// real ProcessRunner. Needs root (to run tools as postgres) and PG 15.

#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <filesystem>

#include "pgtwin/backend/vm_backend.hpp"
#include "pgtwin/sys/files.hpp"
#include "pgtwin/sys/process.hpp"
#include "pgtwin/sys/process_runner.hpp"

namespace pgtwin {
namespace {

namespace fs = std::filesystem;
using backend::Liveness;
using backend::StopMode;

constexpr const char* kPg15Bin = "/usr/lib/postgresql/15/bin";

class VmBackendLive : public ::testing::Test {
protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root to run PostgreSQL as postgres";
        if (!fs::exists(std::string(kPg15Bin) + "/pg_ctl")) GTEST_SKIP() << "PostgreSQL 15 not installed";
        if (!sys::lookup_user("postgres").ok()) GTEST_SKIP() << "no postgres user";
        std::string tmpl = (fs::temp_directory_path() / "pgtwin-live-XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        m_root = tmpl;
        // postgres must be able to reach its directories below the temp root.
        fs::permissions(m_root, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec,
                        fs::perm_options::replace);
        cfg.pgdata = m_root + "/data";
        cfg.pghost = m_root + "/sock";
        cfg.pguser = "postgres";
        // A port of its own per run, away from the lab's 5432.
        cfg.pgport = 20000 + static_cast<int>(::getpid() % 20000);
        backend::VmBackendOptions o;
        o.paths.debian_root = "/usr/lib/postgresql";
        m_backend = std::make_unique<backend::VmBackend>(cfg, runner, clock, o);
    }
    void TearDown() override {
        if (m_backend) (void)m_backend->stop(StopMode::Immediate, Deadline(clock, Millis{20000}));
        if (!m_root.empty()) {
            std::error_code ec;
            fs::remove_all(m_root, ec);
        }
    }

    ocf::Config cfg;
    sys::ProcessRunner runner;
    SystemClock clock;
    std::unique_ptr<backend::VmBackend> m_backend;
    std::string m_root;
};

TEST_F(VmBackendLive, InitdbStartStop) {
    auto init = m_backend->initdb(Deadline(clock, Millis{120000}));
    ASSERT_TRUE(init.ok()) << init.error().message;
    EXPECT_TRUE(fs::exists(cfg.pgdata + "/PG_VERSION"));
    ASSERT_TRUE(m_backend->validate(Deadline(clock, Millis{5000}), backend::ValidateScope::Full).ok());
    EXPECT_EQ(m_backend->liveness(Deadline(clock, Millis{5000})).value_or(Liveness::Running), Liveness::Stopped);

    auto started = m_backend->start(Deadline(clock, Millis{60000}));
    ASSERT_TRUE(started.ok()) << started.error().message;
    EXPECT_EQ(m_backend->liveness(Deadline(clock, Millis{5000})).value_or(Liveness::Stopped), Liveness::Running);
    EXPECT_TRUE(fs::exists(cfg.pghost + "/.s.PGSQL." + std::to_string(cfg.pgport)));
    EXPECT_TRUE(m_backend->start(Deadline(clock, Millis{60000})).ok());  // idempotent

    auto stopped = m_backend->stop(StopMode::Fast, Deadline(clock, Millis{60000}));
    ASSERT_TRUE(stopped.ok()) << stopped.error().message;
    EXPECT_FALSE(sys::postmaster_running(cfg.pgdata));
    EXPECT_TRUE(m_backend->stop(StopMode::Fast, Deadline(clock, Millis{60000})).ok());  // idempotent
}

TEST_F(VmBackendLive, ShortDeadlineStillLeavesNoPostmaster) {
    ASSERT_TRUE(m_backend->initdb(Deadline(clock, Millis{120000})).ok());
    ASSERT_TRUE(m_backend->start(Deadline(clock, Millis{60000})).ok());
    // Less than the fast-stop reserve: goes straight to an immediate shutdown.
    auto stopped = m_backend->stop(StopMode::Fast, Deadline(clock, Millis{2500}));
    ASSERT_TRUE(stopped.ok()) << stopped.error().message;
    EXPECT_FALSE(sys::postmaster_running(cfg.pgdata));
}

TEST_F(VmBackendLive, FrozenPostmasterIsKilled) {
    ASSERT_TRUE(m_backend->initdb(Deadline(clock, Millis{120000})).ok());
    ASSERT_TRUE(m_backend->start(Deadline(clock, Millis{60000})).ok());
    auto pid = sys::read_postmaster_pid(cfg.pgdata);
    ASSERT_TRUE(pid.ok() && pid->has_value());
    // A stopped postmaster ignores pg_ctl's fast and immediate requests.
    ASSERT_EQ(::kill((*pid)->pid, SIGSTOP), 0);
    auto stopped = m_backend->stop(StopMode::Fast, Deadline(clock, Millis{6000}));
    ASSERT_TRUE(stopped.ok()) << stopped.error().message;
    EXPECT_FALSE(sys::postmaster_running(cfg.pgdata));
    EXPECT_FALSE(sys::process_alive((*pid)->pid));
}

TEST_F(VmBackendLive, StartFailureReportsTheServerLog) {
    ASSERT_TRUE(m_backend->initdb(Deadline(clock, Millis{120000})).ok());
    cfg.start_opts = "-c shared_buffers=nonsense";
    backend::VmBackendOptions o;
    o.paths.debian_root = "/usr/lib/postgresql";
    backend::VmBackend broken(cfg, runner, clock, o);
    auto r = broken.start(Deadline(clock, Millis{30000}));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("shared_buffers"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace pgtwin
