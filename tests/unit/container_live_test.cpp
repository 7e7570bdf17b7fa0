// SPDX-License-Identifier: GPL-2.0-or-later
// Live test: a real container from the offline test image (lab/build-test-image)
// driven through ContainerBackend with the real ProcessRunner. Skips unless
// root, podman and the image are present. Prints timings; asserts none.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "pgtwin/backend/container_backend.hpp"
#include "pgtwin/sys/files.hpp"
#include "pgtwin/sys/process_runner.hpp"

namespace pgtwin::backend {
namespace {

namespace fs = std::filesystem;
using WallClock = std::chrono::steady_clock;
constexpr const char* kImage = "localhost/pgtwin-test/postgres:15";

double ms_since(WallClock::time_point t0) {
    return std::chrono::duration<double, std::milli>(WallClock::now() - t0).count();
}

class ContainerLive : public ::testing::Test {
protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root (podman with runc as root)";
        // podman here needs runc and lowered ulimits (LAB-FACTS); the backend
        // passes CONTAINERS_CONF through to the runtime.
        ::setenv("CONTAINERS_CONF", PGTWIN_SOURCE_DIR "/lab/containers.conf", 0);
        auto kind = detect_runtime(ocf::ContainerRuntime::Podman, std::getenv("PATH") ? std::getenv("PATH") : "");
        if (!kind) GTEST_SKIP() << "podman not found in PATH";
        ContainerRuntime rt(RuntimeKind::Podman, runtime_passthrough_env());
        auto r = m_runner.run(rt.image_present(kImage, Millis{30000}));
        if (!r || !r->success()) GTEST_SKIP() << "image " << kImage << " missing: run lab/build-test-image";
        m_root = fs::path("/var/tmp") / ("pgtwin-ctr-live-" + std::to_string(::getpid()));
        fs::remove_all(m_root);
        fs::create_directories(m_root);
        m_cfg.container_mode = true;
        m_cfg.pgdata = (m_root / "data").string();
        m_cfg.pghost = (m_root / "sock").string();
        m_cfg.pgport = 56000 + ::getpid() % 1000;
        m_cfg.container_image = kImage;
        m_cfg.container_name = "pgtwin-live-" + std::to_string(::getpid());
        m_cfg.container_runtime = ocf::ContainerRuntime::Podman;
        m_active = true;
    }
    void TearDown() override {
        if (!m_active) return;
        ContainerRuntime rt(RuntimeKind::Podman, runtime_passthrough_env());
        (void)m_runner.run(rt.remove(m_cfg.container_name, Millis{30000}));
        fs::remove_all(m_root);
    }
    std::string socket_file() const { return m_cfg.pghost + "/.s.PGSQL." + std::to_string(m_cfg.pgport); }

    sys::ProcessRunner m_runner;
    SystemClock m_clock;
    ocf::Config m_cfg;
    fs::path m_root;
    bool m_active = false;
};

TEST_F(ContainerLive, InitdbStartInspectStopRoundTrip) {
    ContainerBackend b(m_cfg, "psql1", m_runner, m_clock);
    Deadline validate_d(m_clock, Millis{60000});
    auto v = b.validate(validate_d, ValidateScope::Full);
    ASSERT_TRUE(v.ok()) << v.error().message;

    Deadline init_d(m_clock, Millis{120000});
    auto init = b.initdb(init_d);
    ASSERT_TRUE(init.ok()) << init.error().message;
    ASSERT_TRUE(fs::exists(m_root / "data" / "PG_VERSION"));
    auto owner = sys::owner_of(m_cfg.pgdata);
    ASSERT_TRUE(owner.ok());
    EXPECT_EQ(owner->first, 999U);  // the image's postgres uid

    auto t0 = WallClock::now();
    Deadline start_d(m_clock, Millis{60000});
    auto st = b.start(start_d);
    double start_ms = ms_since(t0);
    ASSERT_TRUE(st.ok()) << st.error().message;
    EXPECT_TRUE(fs::exists(socket_file()));

    std::vector<double> inspect_ms;
    for (int i = 0; i < 20; ++i) {
        auto t = WallClock::now();
        Deadline d(m_clock, Millis{10000});
        auto l = b.liveness(d);
        inspect_ms.push_back(ms_since(t));
        ASSERT_TRUE(l.ok()) << l.error().message;
        EXPECT_EQ(*l, Liveness::Running);
    }
    std::sort(inspect_ms.begin(), inspect_ms.end());

    Deadline tool_d(m_clock, Millis{30000});
    auto cd = b.tool_command(Tool::PgControldata, {b.data_dir_for_tools()}, tool_d);
    ASSERT_TRUE(cd.ok());
    auto cd_run = m_runner.run(*cd);
    ASSERT_TRUE(cd_run.ok());
    EXPECT_EQ(cd_run->exit_code, 0) << cd_run->err;
    EXPECT_NE(cd_run->out.find("in production"), std::string::npos) << cd_run->out;

    auto t1 = WallClock::now();
    Deadline stop_d(m_clock, Millis{60000});
    auto sp = b.stop(StopMode::Fast, stop_d);
    double stop_ms = ms_since(t1);
    ASSERT_TRUE(sp.ok()) << sp.error().message;
    Deadline after_d(m_clock, Millis{10000});
    EXPECT_EQ(*b.liveness(after_d), Liveness::Stopped);

    // With no container, tools run in a temporary one on the same volume.
    auto cd2 = b.tool_command(Tool::PgControldata, {b.data_dir_for_tools()}, tool_d);
    ASSERT_TRUE(cd2.ok());
    auto cd2_run = m_runner.run(*cd2);
    ASSERT_TRUE(cd2_run.ok());
    EXPECT_NE(cd2_run->out.find("shut down"), std::string::npos) << cd2_run->out << cd2_run->err;

    std::cout << "[ container timings ] start-to-ready " << start_ms << " ms, inspect median "
              << inspect_ms[inspect_ms.size() / 2] << " ms (min " << inspect_ms.front() << ", max " << inspect_ms.back()
              << "), stop " << stop_ms << " ms\n";
}

TEST_F(ContainerLive, StalePostmasterPidDoesNotBlockStart) {
    ContainerBackend b(m_cfg, "psql1", m_runner, m_clock);
    Deadline init_d(m_clock, Millis{120000});
    ASSERT_TRUE(b.initdb(init_d).ok());
    // A pid file as an old container would leave it: PID 1 is alive in any new
    // container's PID namespace.
    std::ofstream(m_root / "data" / "postmaster.pid") << "1\n/var/lib/postgresql/data\n1700000000\n"
                                                      << m_cfg.pgport << "\n/var/run/postgresql\n\n"
                                                      << "  5433001   0\nready   \n";
    Deadline start_d(m_clock, Millis{60000});
    auto st = b.start(start_d);
    ASSERT_TRUE(st.ok()) << st.error().message;
    EXPECT_TRUE(fs::exists(m_root / "data" / "postmaster.pid.pgtwin-stale"));
    Deadline stop_d(m_clock, Millis{60000});
    ASSERT_TRUE(b.stop(StopMode::Immediate, stop_d).ok());
    Deadline after_d(m_clock, Millis{10000});
    EXPECT_EQ(*b.liveness(after_d), Liveness::Stopped);
}

}  // namespace
}  // namespace pgtwin::backend
