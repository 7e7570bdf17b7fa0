// SPDX-License-Identifier: GPL-2.0-or-later
// OCF exit codes: the mapping from error kinds and their names.

#include <cstdlib>

#include <gtest/gtest.h>

#include "pgtwin/ocf/status.hpp"

namespace pgtwin::ocf {
namespace {

TEST(OcfStatus, MapsEveryErrorKindToItsExitCode) {
    const std::pair<ErrorKind, int> table[] = {
        {ErrorKind::Generic, 1},    {ErrorKind::InvalidArgs, 2},  {ErrorKind::Unimplemented, 3},
        {ErrorKind::Permission, 4}, {ErrorKind::NotInstalled, 5}, {ErrorKind::InvalidConfig, 6},
        {ErrorKind::NotRunning, 7}, {ErrorKind::Timeout, 1},
    };
    for (const auto& [kind, code] : table) {
        EXPECT_EQ(to_int(status_for(kind)), code) << static_cast<int>(kind);
    }
}

TEST(OcfStatus, NamesAreShortAndLowercase) {
    EXPECT_EQ(status_name(Status::Success), "success");
    EXPECT_EQ(status_name(Status::NotRunning), "not-running");
    EXPECT_EQ(status_name(Status::RunningPromoted), "running-promoted");
    EXPECT_EQ(status_name(Status::FailedPromoted), "failed-promoted");
    EXPECT_EQ(status_name(Status::ErrConfigured), "err-configured");
    EXPECT_EQ(to_int(Status::FailedPromoted), 9);
}

TEST(OcfStatus, PrintsOneExitReasonLine) {
    ::unsetenv("OCF_EXIT_REASON_PREFIX");
    ::testing::internal::CaptureStderr();
    print_exit_reason("pgdata /x does not exist\nsecond line");
    EXPECT_EQ(::testing::internal::GetCapturedStderr(), "ocf-exit-reason:pgdata /x does not exist second line\n");
}

TEST(OcfStatus, HonoursTheExitReasonPrefix) {
    ::setenv("OCF_EXIT_REASON_PREFIX", "REASON>", 1);
    ::testing::internal::CaptureStderr();
    print_exit_reason("no primary reachable");
    std::string got = ::testing::internal::GetCapturedStderr();
    ::unsetenv("OCF_EXIT_REASON_PREFIX");
    EXPECT_EQ(got, "REASON>no primary reachable\n");
}

}  // namespace
}  // namespace pgtwin::ocf
