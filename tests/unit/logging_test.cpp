// SPDX-License-Identifier: GPL-2.0-or-later
// Logging sinks: the message shape in HA_LOGFILE and HA_DEBUGLOG.

#include <unistd.h>

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include "pgtwin/app/logging.hpp"
#include "pgtwin/sys/files.hpp"
#include "sys_test_util.hpp"

namespace pgtwin::app {
namespace {

using pgtwin::testing::TempDir;

// Restores the default logger other tests rely on.
class Logging : public ::testing::Test {
protected:
    void TearDown() override { spdlog::set_default_logger(m_saved); }
    std::shared_ptr<spdlog::logger> m_saved = spdlog::default_logger();
};

TEST_F(Logging, WritesTheMessageShapeToHaLogfile) {
    TempDir dir;
    setup_logging({{"HA_LOGFACILITY", "none"}, {"HA_LOGFILE", dir / "ha.log"}}, "monitor", "pgsql%n");
    spdlog::info("Instance is a standby. [node: psql2]");
    spdlog::debug("hidden at info level");
    spdlog::default_logger()->flush();
    std::string log = sys::read_file(dir / "ha.log").value_or("");
    std::string tag = "pgtwin(pgsql%n)[" + std::to_string(::getpid()) + "]";
    EXPECT_NE(log.find(tag), std::string::npos) << log;
    EXPECT_NE(log.find("info: monitor: Instance is a standby. [node: psql2]\n"), std::string::npos) << log;
    EXPECT_EQ(log.find("hidden"), std::string::npos);
}

TEST_F(Logging, DebugLogGetsDebugMessages) {
    TempDir dir;
    setup_logging({{"HA_LOGFACILITY", "none"}, {"HA_LOGFILE", dir / "ha.log"}, {"HA_DEBUGLOG", dir / "debug.log"}},
                  "start", "pg");
    spdlog::debug("detail");
    spdlog::default_logger()->flush();
    EXPECT_NE(sys::read_file(dir / "debug.log").value_or("").find("debug: start: detail"), std::string::npos);
    EXPECT_EQ(sys::read_file(dir / "ha.log").value_or("").find("detail"), std::string::npos);
}

TEST_F(Logging, StderrOnlyWhenAskedAndNeverStdout) {
    ::testing::internal::CaptureStdout();
    ::testing::internal::CaptureStderr();
    setup_logging({{"HA_LOGFACILITY", "none"}, {"PGTWIN_LOG_STDERR", "1"}}, "stop", "pg");
    spdlog::warn("to stderr");
    setup_logging({{"HA_LOGFACILITY", "none"}}, "stop", "pg");
    spdlog::warn("to nowhere");
    std::string err = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(::testing::internal::GetCapturedStdout(), "");
    EXPECT_NE(err.find("warning: stop: to stderr"), std::string::npos) << err;
    EXPECT_EQ(err.find("to nowhere"), std::string::npos);
}

}  // namespace
}  // namespace pgtwin::app
