// SPDX-License-Identifier: GPL-2.0-or-later
// File-system helpers: atomic writes, owners, directories.

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "pgtwin/sys/files.hpp"
#include "sys_test_util.hpp"

namespace pgtwin::sys {
namespace {

using pgtwin::testing::TempDir;

mode_t mode_of(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
}

size_t entries_in(const std::string& dir) {
    size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
    return n;
}

TEST(Files, AtomicWriteThenReadRoundTrips) {
    TempDir dir;
    std::string path = dir / "standby.conf";
    ASSERT_TRUE(write_file_atomic(path, "first\n", 0600).ok());
    ASSERT_TRUE(write_file_atomic(path, std::string("second\0line\n", 12), 0640).ok());
    Result<std::string> content = read_file(path);
    ASSERT_TRUE(content.ok());
    EXPECT_EQ(*content, std::string("second\0line\n", 12));
    EXPECT_EQ(mode_of(path), 0640U);
    EXPECT_EQ(entries_in(dir.path()), 1U) << "no temporary file may be left behind";
}

TEST(Files, AtomicWriteSetsTheOwner) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    Result<UserInfo> nobody = lookup_user("nobody");
    ASSERT_TRUE(nobody.ok());
    TempDir dir;
    std::string path = dir / "owned";
    ASSERT_TRUE(write_file_atomic(path, "x", 0600, nobody->uid, nobody->gid).ok());
    Result<std::pair<uid_t, gid_t>> owner = owner_of(path);
    ASSERT_TRUE(owner.ok());
    EXPECT_EQ(owner->first, nobody->uid);
    EXPECT_EQ(owner->second, nobody->gid);
}

TEST(Files, AtomicWriteIntoMissingDirectoryFails) {
    TempDir dir;
    Result<void> r = write_file_atomic(dir / "missing/file", "x", 0600);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("missing/file"), std::string::npos);
}

TEST(Files, ReadingAMissingFileIsAnErrorNamingThePath) {
    TempDir dir;
    Result<std::string> r = read_file(dir / "nope");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::Generic);
    EXPECT_NE(r.error().message.find(dir / "nope"), std::string::npos);
}

TEST(Files, ExistenceAndDirectoryChecks) {
    TempDir dir;
    ASSERT_TRUE(write_file_atomic(dir / "f", "x", 0600).ok());
    EXPECT_TRUE(file_exists(dir / "f"));
    EXPECT_FALSE(is_directory(dir / "f"));
    EXPECT_TRUE(is_directory(dir.path()));
    EXPECT_FALSE(file_exists(dir / "g"));
    EXPECT_FALSE(is_directory(dir / "g"));
}

TEST(Files, DirectoryIsEmptyOrMissing) {
    TempDir dir;
    EXPECT_EQ(directory_is_empty_or_missing(dir / "missing").value_or(false), true);
    EXPECT_EQ(directory_is_empty_or_missing(dir.path()).value_or(false), true);
    ASSERT_TRUE(write_file_atomic(dir / "PG_VERSION", "15\n", 0600).ok());
    EXPECT_EQ(directory_is_empty_or_missing(dir.path()).value_or(true), false);
    EXPECT_EQ(directory_is_empty_or_missing(dir / "PG_VERSION").value_or(true), false);
}

TEST(Files, LooksUpUsers) {
    Result<UserInfo> root = lookup_user("root");
    ASSERT_TRUE(root.ok());
    EXPECT_EQ(root->uid, 0U);
    EXPECT_EQ(root->name, "root");
    EXPECT_FALSE(root->home.empty());
    Result<UserInfo> missing = lookup_user("pgtwin-no-such-user");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().kind, ErrorKind::InvalidArgs);
    EXPECT_EQ(missing.error().message, "user pgtwin-no-such-user does not exist");
}

TEST(Files, MakeDirectoriesSetsModeAndOwnerOfNewDirectoriesOnly) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    Result<UserInfo> nobody = lookup_user("nobody");
    ASSERT_TRUE(nobody.ok());
    TempDir dir;
    mode_t parent_mode = mode_of(dir.path());
    ASSERT_TRUE(make_directories(dir / "a/b/c", 0700, nobody->uid, nobody->gid).ok());
    for (const char* leaf : {"a", "a/b", "a/b/c"}) {
        EXPECT_EQ(mode_of(dir / leaf), 0700U) << leaf;
        EXPECT_EQ(owner_of(dir / leaf)->first, nobody->uid) << leaf;
    }
    EXPECT_EQ(mode_of(dir.path()), parent_mode);
    EXPECT_EQ(owner_of(dir.path())->first, 0U);
    EXPECT_TRUE(make_directories(dir / "a/b/c", 0700, nobody->uid, nobody->gid).ok()) << "existing is fine";
}

TEST(Files, MakeDirectoriesRefusesAFileInTheWay) {
    TempDir dir;
    ASSERT_TRUE(write_file_atomic(dir / "f", "x", 0600).ok());
    EXPECT_FALSE(make_directories(dir / "f/sub", 0700, ::geteuid(), ::getegid()).ok());
}

TEST(Files, ChownRenameAndRemove) {
    TempDir dir;
    ASSERT_TRUE(write_file_atomic(dir / "a", "x", 0600).ok());
    EXPECT_TRUE(chown_path(dir / "a", ::geteuid(), ::getegid()).ok());
    EXPECT_FALSE(chown_path(dir / "missing", 0, 0).ok());
    ASSERT_TRUE(rename_path(dir / "a", dir / "b").ok());
    EXPECT_FALSE(file_exists(dir / "a"));
    EXPECT_TRUE(file_exists(dir / "b"));
    EXPECT_FALSE(rename_path(dir / "a", dir / "c").ok());
    EXPECT_TRUE(remove_file(dir / "b").ok());
    EXPECT_FALSE(file_exists(dir / "b"));
    EXPECT_TRUE(remove_file(dir / "b").ok()) << "removing a missing file is success";
}

}  // namespace
}  // namespace pgtwin::sys
