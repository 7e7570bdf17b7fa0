// SPDX-License-Identifier: GPL-2.0-or-later
// Container-mode safety checks on real temporary directories and sockets.

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "pgtwin/backend/container_guard.hpp"

namespace pgtwin::backend {
namespace {

namespace fs = std::filesystem;

class ContainerGuardFiles : public ::testing::Test {
protected:
    void SetUp() override {
        std::string tag = ::testing::UnitTest::GetInstance()->current_test_info()->name();
        m_root = fs::temp_directory_path() / ("pgtwin-guard-" + std::to_string(::getpid()) + "-" + tag);
        fs::remove_all(m_root);
        fs::create_directories(m_root);
        fs::permissions(m_root, fs::perms(0755), fs::perm_options::replace);
    }
    void TearDown() override { fs::remove_all(m_root); }

    fs::path dir(const std::string& rel, unsigned mode) {
        fs::path p = m_root / rel;
        fs::create_directories(p);
        fs::permissions(p, fs::perms(mode), fs::perm_options::replace);
        return p;
    }
    static void write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

    fs::path m_root;
    uid_t m_uid = ::getuid();
};

TEST_F(ContainerGuardFiles, SocketDirectoryMustBeClosedToOtherUsers) {
    fs::path sock = dir("run", 0700);
    EXPECT_TRUE(check_socket_dir_private(sock.string(), m_uid).ok());
    // What the official image's entrypoint does to the directory.
    fs::permissions(sock, fs::perms(03775), fs::perm_options::replace);
    auto r = check_socket_dir_private(sock.string(), m_uid);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::InvalidConfig);
    EXPECT_EQ(r.error().message, "socket directory " + sock.string() +
                                     " has mode 3775: other users could reach the trusted local socket; it "
                                     "must be 0700");
    fs::permissions(sock, fs::perms(0710), fs::perm_options::replace);
    EXPECT_FALSE(check_socket_dir_private(sock.string(), m_uid).ok());
    // Missing: start creates it 0700 for the container user.
    EXPECT_TRUE(check_socket_dir_private((m_root / "missing" / "run").string(), m_uid).ok());
}

TEST_F(ContainerGuardFiles, ParentsMustNotBeWritableByOthersUnlessSticky) {
    fs::path sock = dir("open/run", 0700);
    fs::permissions(m_root / "open", fs::perms(0777), fs::perm_options::replace);
    auto r = check_socket_dir_private(sock.string(), m_uid);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::InvalidConfig);
    EXPECT_NE(r.error().message.find((m_root / "open").string() + " (uid"), std::string::npos) << r.error().message;
    fs::permissions(m_root / "open", fs::perms(01777), fs::perm_options::replace);  // like /tmp
    EXPECT_TRUE(check_socket_dir_private(sock.string(), m_uid).ok());
    // Not yet created below an open parent: refused as well.
    fs::permissions(m_root / "open", fs::perms(0777), fs::perm_options::replace);
    EXPECT_FALSE(check_socket_dir_private((m_root / "open" / "new").string(), m_uid).ok());
}

TEST_F(ContainerGuardFiles, ParentsOfASymlinkTargetCountToo) {
    fs::path target = dir("open/real", 0700);
    fs::permissions(m_root / "open", fs::perms(0777), fs::perm_options::replace);
    fs::path safe = dir("safe", 0755);
    fs::create_directory_symlink(target, safe / "run");
    EXPECT_FALSE(check_socket_dir_private((safe / "run").string(), m_uid).ok());
}

TEST_F(ContainerGuardFiles, ParentOwnedByAnotherUserIsRefused) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown";
    fs::path sock = dir("other/run", 0700);
    ASSERT_EQ(::chown((m_root / "other").c_str(), 4242, 4242), 0);
    auto r = check_socket_dir_private(sock.string(), 999);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("uid 4242"), std::string::npos) << r.error().message;
    EXPECT_TRUE(check_socket_dir_private(sock.string(), 4242).ok());  // the container user's own parent
}

TEST(ContainerGuard, RunOptionsMustNotReplaceTheEntrypoint) {
    EXPECT_TRUE(check_run_options({"--memory", "1g", "--label", "a=b"}).ok());
    for (const auto& words : {std::vector<std::string>{"--entrypoint", "sh"},
                              std::vector<std::string>{"--entrypoint=/docker-entrypoint.sh"}}) {
        auto r = check_run_options(words);
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().kind, ErrorKind::InvalidConfig);
    }
}

TEST_F(ContainerGuardFiles, PostmastersAreFoundByTheirWorkingDirectory) {
    fs::path data = dir("data", 0700);
    fs::path other = dir("other", 0700);
    fs::path proc = dir("proc", 0755);
    auto fake = [&](const std::string& pid, const std::string& comm, char state, const fs::path& cwd) {
        fs::create_directories(proc / pid);
        write(proc / pid / "comm", comm + "\n");
        write(proc / pid / "stat", pid + " (" + comm + ") " + state + " 1 1 1 0 -1\n");
        fs::create_directory_symlink(cwd, proc / pid / "cwd");
    };
    fake("100", "postgres", 'S', data);    // the postmaster of another container
    fake("101", "postgres", 'Z', data);    // a zombie is dead
    fake("102", "bash", 'S', data);        // an administrator's shell in the directory
    fake("103", "postgres", 'S', other);   // another cluster
    fake("104", "postmaster", 'R', data);  // the old name
    fs::create_directories(proc / "self");
    EXPECT_EQ(postmasters_using(data.string(), proc.string()), (std::vector<pid_t>{100, 104}));
    EXPECT_TRUE(postmasters_using(other.string(), (m_root / "noproc").string()).empty());
    EXPECT_TRUE(postmasters_using(data.string()).empty());  // the real /proc: nothing runs there
}

TEST_F(ContainerGuardFiles, UnixSocketAcceptsOnlyWithAListener) {
    std::string path = (m_root / ".s.PGSQL.5433").string();
    EXPECT_FALSE(unix_socket_accepts(path));
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    ASSERT_EQ(::listen(fd, 4), 0);
    EXPECT_TRUE(unix_socket_accepts(path));
    ::close(fd);
    EXPECT_FALSE(unix_socket_accepts(path));  // the file stays, nobody listens
}

}  // namespace
}  // namespace pgtwin::backend
