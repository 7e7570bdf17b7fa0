// SPDX-License-Identifier: GPL-2.0-or-later
// The Btrfs layout: paths, and the argv and modes of creating it (fake runner).

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "fakes.hpp"
#include "pgtwin/storage/btrfs.hpp"

namespace pgtwin::storage {
namespace {

namespace fs = std::filesystem;
using Argv = std::vector<std::string>;

class BtrfsLayout : public ::testing::Test {
protected:
    void SetUp() override {
        m_root = fs::temp_directory_path() / ("pgtwin-btrfs-" + std::to_string(::getpid()) + "-" +
                                              ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(m_root);
        fs::create_directories(m_root);
        m_layout = Layout{m_root.string(), "psql1"};
        m_opts.uid = static_cast<unsigned>(::getuid());
        m_opts.gid = static_cast<unsigned>(::getgid());
    }
    void TearDown() override { fs::remove_all(m_root); }
    static fs::perms mode_of(const std::string& p) { return fs::status(p).permissions() & fs::perms::all; }

    fs::path m_root;
    Layout m_layout;
    LayoutOptions m_opts;
    testing::FakeClock m_clock;
    testing::FakeCommandRunner m_runner;
};

TEST_F(BtrfsLayout, PathsFollowTheLayout) {
    EXPECT_EQ(m_layout.subvolume(), m_root.string() + "/@postgres-psql1");
    EXPECT_EQ(m_layout.data(), m_root.string() + "/@postgres-psql1/data");
    EXPECT_EQ(m_layout.config(), m_root.string() + "/@postgres-psql1/config");
    EXPECT_EQ(m_layout.archive(), m_root.string() + "/@postgres-psql1/archive");
    EXPECT_EQ(snapshot_path(m_layout, "before-basebackup"), m_root.string() + "/@postgres-psql1.before-basebackup");
}

TEST_F(BtrfsLayout, CreatesSubvolumeAndDirectoriesWithModes) {
    Deadline d(m_clock, Millis{20000});
    const std::string sub = m_layout.subvolume();
    m_runner.expect_match([&](const sys::Command& c) {
        fs::create_directory(sub);  // what btrfs would do
        return c.argv == Argv{"btrfs", "subvolume", "create", sub};
    });
    auto r = create_layout(m_layout, m_opts, m_runner, d);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(m_runner.done());
    EXPECT_EQ(mode_of(m_layout.data()), fs::perms::owner_all);
    EXPECT_EQ(mode_of(m_layout.config()), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
    EXPECT_EQ(mode_of(m_layout.archive()), fs::perms::owner_all);
    EXPECT_EQ(m_runner.calls()[0].timeout, Millis{20000});
}

TEST_F(BtrfsLayout, ExistingSubvolumeIsReusedAndRelabelledUnderSelinux) {
    Deadline d(m_clock, Millis{20000});
    fs::create_directory(m_layout.subvolume());
    m_opts.selinux = true;
    m_runner.expect({"btrfs", "subvolume", "show", m_layout.subvolume()}, 0, "Name: @postgres-psql1\n");
    m_runner.expect({"chcon", "-R", "-t", "container_file_t", m_layout.subvolume()});
    auto r = create_layout(m_layout, m_opts, m_runner, d);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(m_runner.done());
    EXPECT_TRUE(fs::is_directory(m_layout.data()));
}

TEST_F(BtrfsLayout, PlainDirectoryInTheWayIsRejected) {
    Deadline d(m_clock, Millis{20000});
    fs::create_directory(m_layout.subvolume());
    m_runner.expect({"btrfs", "subvolume", "show", m_layout.subvolume()}, 1, "",
                    "ERROR: Not a Btrfs subvolume: Invalid argument\n");
    auto r = create_layout(m_layout, m_opts, m_runner, d);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::InvalidArgs);
    EXPECT_FALSE(fs::exists(m_layout.data()));
}

TEST_F(BtrfsLayout, FailedCreateCarriesTheToolsReason) {
    Deadline d(m_clock, Millis{20000});
    m_runner.expect({"btrfs", "subvolume", "create", m_layout.subvolume()}, 1, "",
                    "ERROR: target path is not on a btrfs filesystem\n");
    auto r = create_layout(m_layout, m_opts, m_runner, d);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("not on a btrfs filesystem"), std::string::npos);
}

TEST_F(BtrfsLayout, SnapshotIsReadOnlyAndNeverOverwrites) {
    Deadline d(m_clock, Millis{20000});
    std::string dest = snapshot_path(m_layout, "t1");
    m_runner.expect({"btrfs", "subvolume", "snapshot", "-r", m_layout.subvolume(), dest});
    EXPECT_TRUE(snapshot(m_layout, dest, m_runner, d).ok());
    fs::create_directory(dest);
    EXPECT_FALSE(snapshot(m_layout, dest, m_runner, d).ok());  // no command run
    EXPECT_TRUE(m_runner.done());
    EXPECT_EQ(m_runner.calls().size(), 1U);
}

TEST_F(BtrfsLayout, PlanListsTheStepsInitTakesNow) {
    LayoutOptions o;
    o.selinux = true;
    auto steps = plan_layout(m_layout, o);
    ASSERT_EQ(steps.size(), 6U);
    EXPECT_EQ(steps[0], "btrfs subvolume create " + m_layout.subvolume());
    EXPECT_EQ(steps[1], "chown 999:999 " + m_layout.subvolume() + "; chmod 0750 " + m_layout.subvolume());
    EXPECT_EQ(steps[2], "mkdir " + m_layout.data() + " (owner 999:999, mode 0700)");
    EXPECT_EQ(steps[5], "chcon -R -t container_file_t " + m_layout.subvolume());
    // What exists is kept, and the plan says so.
    fs::create_directories(m_layout.data());
    steps = plan_layout(m_layout, o);
    EXPECT_EQ(steps[0].rfind("keep " + m_layout.subvolume() + " (exists", 0), 0U) << steps[0];
    EXPECT_EQ(steps[2].rfind("keep " + m_layout.data() + " (exists", 0), 0U) << steps[2];
    EXPECT_EQ(steps[3], "mkdir " + m_layout.config() + " (owner 999:999, mode 0750)");
}

TEST_F(BtrfsLayout, InitSetsTheSubvolumeModeThePlanPrints) {
    Deadline d(m_clock, Millis{20000});
    fs::create_directory(m_layout.subvolume());
    fs::permissions(m_layout.subvolume(), fs::perms::all);
    m_runner.expect({"btrfs", "subvolume", "show", m_layout.subvolume()}, 0, "Name: @postgres-psql1\n");
    ASSERT_TRUE(create_layout(m_layout, m_opts, m_runner, d).ok());
    EXPECT_EQ(mode_of(m_layout.subvolume()), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
}

}  // namespace
}  // namespace pgtwin::storage
