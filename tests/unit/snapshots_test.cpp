// SPDX-License-Identifier: GPL-2.0-or-later
// Snapshots as the safety net: the btrfs argv, which snapshots prune
// deletes and in what order, and what a restored copy is cleaned of.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>

#include "fakes.hpp"
#include "pgtwin/storage/snapshots.hpp"

namespace pgtwin::storage {
namespace {

namespace fs = std::filesystem;
using Argv = std::vector<std::string>;
using std::chrono::system_clock;

class Snapshots : public ::testing::Test {
protected:
    void SetUp() override {
        m_root = fs::temp_directory_path() / ("pgtwin-snap-" + std::to_string(::getpid()) + "-" +
                                              ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(m_root);
        fs::create_directories(m_root / "@postgres-psql1" / "data");
        m_sub = (m_root / "@postgres-psql1").string();
    }
    void TearDown() override { fs::remove_all(m_root); }
    void make(const std::string& name) { fs::create_directories(m_root / name); }
    // Expects `btrfs subvolume delete <path>` and removes the directory like btrfs would.
    void expect_delete(const std::string& name) {
        std::string path = (m_root / name).string();
        m_runner.expect_match([path](const sys::Command& c) {
            if (c.argv != Argv{"btrfs", "subvolume", "delete", path}) return false;
            fs::remove_all(path);
            return true;
        });
    }

    fs::path m_root;
    std::string m_sub;
    testing::FakeClock m_clock;
    testing::FakeCommandRunner m_runner;
};

system_clock::time_point at(int hour, int minute, int second) {
    // 2026-12-01 in seconds since the epoch.
    return system_clock::time_point{std::chrono::seconds{1796083200 + hour * 3600 + minute * 60 + second}};
}

TEST_F(Snapshots, AutomaticLabelsCarryReasonAndUtcStamp) {
    EXPECT_EQ(automatic_label("rewind", at(7, 16, 22)), "pgtwin-rewind-20261201T071622Z");
}

TEST_F(Snapshots, ListPutsManualFirstThenTheAgentsByTimeAcrossReasons) {
    make("@postgres-psql1.pgtwin-rewind-20261201T090000Z");
    make("@postgres-psql1.pgtwin-basebackup-20261201T080000Z");
    make("@postgres-psql1.before-upgrade");
    make("@postgres-psql1-restored.x");  // another name, not a snapshot of this subvolume
    make("@postgres-psql2.pgtwin-rewind-20261201T070000Z");
    auto all = list_snapshots(m_sub);
    ASSERT_EQ(all.size(), 3U);
    EXPECT_EQ(all[0].label, "before-upgrade");
    EXPECT_FALSE(all[0].automatic);
    EXPECT_EQ(all[1].label, "pgtwin-basebackup-20261201T080000Z");
    EXPECT_EQ(all[2].label, "pgtwin-rewind-20261201T090000Z");
    EXPECT_TRUE(all[2].automatic);
}

TEST_F(Snapshots, PruneKeepsTheNewestAndNeverTouchesManualOnes) {
    make("@postgres-psql1.before-upgrade");
    for (const char* s : {"20261201T070000Z", "20261201T080000Z", "20261201T090000Z", "20261201T090000Z-2"}) {
        make(std::string("@postgres-psql1.pgtwin-rewind-") + s);
    }
    auto doomed = prune_candidates(list_snapshots(m_sub), 2);
    ASSERT_EQ(doomed.size(), 2U);
    EXPECT_EQ(doomed[0].label, "pgtwin-rewind-20261201T070000Z");
    EXPECT_EQ(doomed[1].label, "pgtwin-rewind-20261201T080000Z");
    EXPECT_TRUE(prune_candidates(list_snapshots(m_sub), 4).empty());
    EXPECT_EQ(prune_candidates(list_snapshots(m_sub), 0).size(), 4U);
}

TEST_F(Snapshots, KeepSnapshotTakesAReadOnlySnapshotThenPrunesOldestFirst) {
    Deadline d(m_clock, Millis{30000});
    make("@postgres-psql1.before-upgrade");
    make("@postgres-psql1.pgtwin-basebackup-20261201T060000Z");
    make("@postgres-psql1.pgtwin-rewind-20261201T070000Z");
    make("@postgres-psql1.pgtwin-rewind-20261201T080000Z");
    const std::string dest = m_sub + ".pgtwin-rewind-20261201T090000Z";
    m_runner.expect_match([&](const sys::Command& c) {
        fs::create_directory(dest);
        return c.argv == Argv{"btrfs", "subvolume", "snapshot", "-r", m_sub, dest};
    });
    expect_delete("@postgres-psql1.pgtwin-basebackup-20261201T060000Z");
    expect_delete("@postgres-psql1.pgtwin-rewind-20261201T070000Z");
    auto r = keep_snapshot(m_sub, "rewind", 2, m_runner, d, at(9, 0, 0));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(*r, dest);
    EXPECT_TRUE(m_runner.done());
    EXPECT_TRUE(fs::exists(m_root / "@postgres-psql1.before-upgrade"));
    EXPECT_EQ(m_runner.calls()[0].timeout, Millis{30000});
}

TEST_F(Snapshots, SecondSnapshotInTheSameSecondGetsANumber) {
    Deadline d(m_clock, Millis{30000});
    make("@postgres-psql1.pgtwin-rewind-20261201T090000Z");
    const std::string dest = m_sub + ".pgtwin-rewind-20261201T090000Z-2";
    m_runner.expect({"btrfs", "subvolume", "snapshot", "-r", m_sub, dest});
    auto r = keep_snapshot(m_sub, "rewind", 3, m_runner, d, at(9, 0, 0));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(*r, dest);
}

TEST_F(Snapshots, FailedSnapshotIsAnErrorWithTheToolsReason) {
    Deadline d(m_clock, Millis{30000});
    m_runner.expect({"btrfs", "subvolume", "snapshot", "-r", m_sub, m_sub + ".pgtwin-basebackup-20261201T090000Z"}, 1,
                    "", "ERROR: cannot snapshot: No space left on device\n");
    auto r = keep_snapshot(m_sub, "basebackup", 3, m_runner, d, at(9, 0, 0));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("No space left on device"), std::string::npos);
    EXPECT_TRUE(m_runner.done());  // no prune after a failed snapshot
}

// A free-space probe that answers from a list, one value per call (the last repeats).
FreeShareProbe shares(std::vector<double> values) {
    auto left = std::make_shared<std::vector<double>>(std::move(values));
    return [left](const std::string&) -> std::optional<double> {
        double v = left->front();
        if (left->size() > 1) left->erase(left->begin());
        return v;
    };
}

class SpacePrune : public Snapshots {
protected:
    void SetUp() override {
        Snapshots::SetUp();
        make("@postgres-psql1.before-upgrade");
        for (const char* s : {"20261201T070000Z", "20261201T080000Z", "20261201T090000Z"}) {
            make(std::string("@postgres-psql1.pgtwin-basebackup-") + s);
        }
    }
    // `btrfs subvolume delete --commit-after <path>` (removes the directory), then `btrfs subvolume sync <root>`.
    void expect_space_delete(const std::string& name, int sync_exit = 0) {
        std::string path = (m_root / name).string();
        m_runner.expect_match([path](const sys::Command& c) {
            if (c.argv != Argv{"btrfs", "subvolume", "delete", "--commit-after", path}) return false;
            fs::remove_all(path);
            return true;
        });
        m_runner.expect({"btrfs", "subvolume", "sync", m_root.string()}, sync_exit, "", sync_exit ? "timed out\n" : "");
    }
};

TEST_F(SpacePrune, DeletesOldestFirstUntilTheFreeShareIsBackAboveTheMinimum) {
    Deadline d(m_clock, Millis{30000});
    expect_space_delete("@postgres-psql1.pgtwin-basebackup-20261201T070000Z");
    expect_space_delete("@postgres-psql1.pgtwin-basebackup-20261201T080000Z");
    auto r = prune_for_space(m_sub, {.min_free_share = 0.2}, m_runner, d, shares({0.05, 0.12, 0.31}));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->size(), 2U);
    EXPECT_TRUE(m_runner.done());
    EXPECT_TRUE(fs::exists(m_sub + ".pgtwin-basebackup-20261201T090000Z"));
    EXPECT_TRUE(fs::exists(m_sub + ".before-upgrade"));
}

TEST_F(SpacePrune, KeepsTheNewestAndManualSnapshotsEvenWhenSpaceStaysShort) {
    Deadline d(m_clock, Millis{30000});
    expect_space_delete("@postgres-psql1.pgtwin-basebackup-20261201T070000Z");
    expect_space_delete("@postgres-psql1.pgtwin-basebackup-20261201T080000Z");
    auto r = prune_for_space(m_sub, {.min_free_share = 0.2, .keep_newest = 1}, m_runner, d, shares({0.01}));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->size(), 2U);
    EXPECT_TRUE(m_runner.done());
    EXPECT_EQ(list_snapshots(m_sub).size(), 2U);  // the manual one and the newest
}

TEST_F(SpacePrune, DeletesAtMostTheLimitPerCall) {
    Deadline d(m_clock, Millis{30000});
    expect_space_delete("@postgres-psql1.pgtwin-basebackup-20261201T070000Z");
    auto r = prune_for_space(m_sub, {.min_free_share = 0.2, .max_deletes = 1}, m_runner, d, shares({0.01}));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->size(), 1U);
    EXPECT_TRUE(m_runner.done());
}

TEST_F(SpacePrune, EnoughSpaceOrNoMinimumDeletesNothing) {
    Deadline d(m_clock, Millis{30000});
    auto enough = prune_for_space(m_sub, {.min_free_share = 0.2}, m_runner, d, shares({0.2}));
    auto off = prune_for_space(m_sub, {}, m_runner, d, shares({0.0}));
    auto unknown = prune_for_space(m_sub, {.min_free_share = 0.2}, m_runner, d,
                                   [](const std::string&) { return std::optional<double>{}; });
    ASSERT_TRUE(enough.ok() && off.ok() && unknown.ok());
    EXPECT_TRUE(enough->empty() && off->empty() && unknown->empty());
    EXPECT_TRUE(m_runner.calls().empty());
}

TEST_F(SpacePrune, SpaceNotYetReclaimedStopsUntilTheNextCall) {
    Deadline d(m_clock, Millis{30000});
    expect_space_delete("@postgres-psql1.pgtwin-basebackup-20261201T070000Z", 1);
    auto r = prune_for_space(m_sub, {.min_free_share = 0.2}, m_runner, d, shares({0.01}));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->size(), 1U);
    EXPECT_TRUE(m_runner.done());
}

TEST_F(SpacePrune, AFailedDeleteIsAnError) {
    Deadline d(m_clock, Millis{30000});
    m_runner.expect({"btrfs", "subvolume", "delete", "--commit-after", m_sub + ".pgtwin-basebackup-20261201T070000Z"},
                    1, "", "ERROR: Device or resource busy\n");
    auto r = prune_for_space(m_sub, {.min_free_share = 0.2}, m_runner, d, shares({0.01}));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("busy"), std::string::npos);
}

TEST_F(Snapshots, DataSubvolumeIsTheParentOnBtrfsOnly) {
    Deadline d(m_clock, Millis{30000});
    const std::string data = m_sub + "/data/";
    auto elsewhere = data_subvolume(data, m_runner, d, [](const std::string&) { return false; });
    ASSERT_TRUE(elsewhere.ok());
    EXPECT_FALSE(elsewhere->has_value());
    EXPECT_TRUE(m_runner.calls().empty());  // other file systems run no btrfs command

    auto btrfs = [](const std::string&) { return true; };
    m_runner.expect({"btrfs", "subvolume", "show", m_sub}, 0, "Name: @postgres-psql1\n");
    auto sub = data_subvolume(data, m_runner, d, btrfs);
    ASSERT_TRUE(sub.ok());
    EXPECT_EQ(sub->value_or(""), m_sub);
    m_runner.expect({"btrfs", "subvolume", "show", m_sub}, 1, "", "ERROR: Not a Btrfs subvolume\n");
    auto plain = data_subvolume(data, m_runner, d, btrfs);
    ASSERT_TRUE(plain.ok());
    EXPECT_FALSE(plain->has_value());
}

TEST_F(Snapshots, RestoreMakesAWritableCopyThatStartsOnItsOwn) {
    Deadline d(m_clock, Millis{30000});
    const std::string snap = m_sub + ".pgtwin-rewind-20261201T090000Z";
    const fs::path dest = m_root / "@postgres-psql1-restored.pgtwin-rewind-20261201T090000Z";
    make("@postgres-psql1.pgtwin-rewind-20261201T090000Z");
    m_runner.expect_match([&](const sys::Command& c) {
        fs::create_directories(dest / "data");  // what the writable snapshot holds
        for (const char* f : {"data/standby.signal", "data/postmaster.pid", "data/PG_VERSION", ".data.pgtwin-rewind"}) {
            std::ofstream(dest / f) << "x\n";
        }
        return c.argv == Argv{"btrfs", "subvolume", "snapshot", snap, dest.string()};
    });
    auto r = restore_snapshot(snap, dest.string(), m_runner, d);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(fs::exists(dest / "data" / "PG_VERSION"));
    EXPECT_FALSE(fs::exists(dest / "data" / "standby.signal"));
    EXPECT_FALSE(fs::exists(dest / "data" / "postmaster.pid"));
    EXPECT_FALSE(fs::exists(dest / ".data.pgtwin-rewind"));
    // Never over an existing directory, never from a missing snapshot.
    EXPECT_EQ(restore_snapshot(snap, dest.string(), m_runner, d).error().kind, ErrorKind::InvalidArgs);
    EXPECT_EQ(restore_snapshot(snap + "x", (m_root / "new").string(), m_runner, d).error().kind,
              ErrorKind::InvalidArgs);
    EXPECT_EQ(m_runner.calls().size(), 1U);
}

}  // namespace
}  // namespace pgtwin::storage
