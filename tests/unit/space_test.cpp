// SPDX-License-Identifier: GPL-2.0-or-later
// The free-space probe on real file systems.

#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <gtest/gtest.h>

#include "pgtwin/sys/space.hpp"
#include "sys_test_util.hpp"

namespace pgtwin::sys {
namespace {

using pgtwin::testing::TempDir;

TEST(Space, RoomForTheProbeIsNoShortageAndLeavesNoFile) {
    TempDir dir;
    EXPECT_EQ(space_shortage(dir.path(), 256 * 1024), "");
    EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(Space, MoreThanTheFreeSpaceIsNoSpaceLeft) {
    TempDir dir;
    struct statvfs vfs {};
    ASSERT_EQ(::statvfs(dir.path().c_str(), &vfs), 0);
    std::size_t beyond = static_cast<std::size_t>(vfs.f_bavail) * vfs.f_frsize + kSpaceProbeBytes;
    EXPECT_EQ(space_shortage(dir.path(), beyond), std::strerror(ENOSPC));
    EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(Space, UncheckableDirectoryIsNoShortage) { EXPECT_EQ(space_shortage("/nonexistent/pgtwin/dir"), ""); }

}  // namespace
}  // namespace pgtwin::sys
