// SPDX-License-Identifier: GPL-2.0-or-later
// Peer authentication against a real PostgreSQL 15 (issue 10): with the
// `local all all peer` that initdb and Debian write, the agent (root) is
// refused unless it connects with pguser's identity (ConnParams::os_user),
// and a refusal is Permission at once, not NotRunning (start would wait).
// Needs root and PostgreSQL 15, like pg_live_test.

#include <gtest/gtest.h>
#include <unistd.h>

#include "pg_test_instance.hpp"
#include "pgtwin/pg/client.hpp"

namespace pgtwin::pg {
namespace {

using namespace pgtwin::pg::live;  // NOLINT(google-build-using-namespace)

class PeerAuthLive : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (!live_tests_possible()) return;
        s_tried = true;
        s_ready = s_pg.create_primary(40000 + static_cast<int>(getpid() % 10000)) && s_pg.pg_ctl("start");
    }
    static void TearDownTestSuite() { s_pg.destroy(); }
    void SetUp() override {
        if (!s_tried) GTEST_SKIP() << "needs root and " << kBindir << "/initdb";
        ASSERT_TRUE(s_ready) << "could not create PostgreSQL instance; see " << s_pg.log();
    }
    // Replaces pg_hba.conf and pg_ident.conf and reloads the server.
    static void use_hba(const std::string& hba, const std::string& ident = "") {
        ASSERT_TRUE(write_postgres_file(s_pg.data() / "pg_hba.conf", hba));
        ASSERT_TRUE(write_postgres_file(s_pg.data() / "pg_ident.conf", ident));
        ASSERT_TRUE(s_pg.pg_ctl("reload"));
    }
    // The postmaster rereads the files on SIGHUP, asynchronously: connects as
    // `os_user` until refused (bounded wait), returning the last attempt.
    Result<std::unique_ptr<Session>> connect_until_refused(const std::string& os_user) {
        auto c = connect(os_user);
        for (int i = 0; i < 100 && c.ok(); ++i) {
            ::usleep(100000);
            c = connect(os_user);
        }
        return c;
    }
    Result<std::unique_ptr<Session>> connect(const std::string& os_user) {
        ConnParams p = s_pg.conn();
        p.os_user = os_user;
        return m_connector->connect(p, Deadline(m_clock, Millis{20000}));
    }

    static inline Instance s_pg;
    static inline bool s_ready = false;
    static inline bool s_tried = false;
    SystemClock m_clock;
    std::unique_ptr<Connector> m_connector = make_libpq_connector();
};

TEST_F(PeerAuthLive, DebianDefaultRefusesRootButAcceptsPguser) {
    use_hba("local all all peer\n");
    auto as_root = connect_until_refused("");
    ASSERT_FALSE(as_root.ok());
    EXPECT_EQ(as_root.error().kind, ErrorKind::Permission) << as_root.error().message;
    EXPECT_NE(as_root.error().message.find("Peer authentication failed"), std::string::npos) << as_root.error().message;
    auto as_pguser = connect("postgres");
    ASSERT_TRUE(as_pguser.ok()) << as_pguser.error().message;
    auto r = (*as_pguser)->query("SELECT current_user", {}, Deadline(m_clock, Millis{20000}));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->rows.at(0).at(0), "postgres");
    EXPECT_EQ(::geteuid(), 0U) << "the agent's identity is restored after the connect";
}

TEST_F(PeerAuthLive, WrongMapIsRefusedWithTheServersReason) {
    use_hba("local all all peer map=wrongmap\n", "wrongmap nobody postgres\n");
    auto c = connect_until_refused("postgres");
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error().kind, ErrorKind::Permission);
    EXPECT_NE(c.error().message.find("Peer authentication failed"), std::string::npos) << c.error().message;
    EXPECT_EQ(::geteuid(), 0U);
}

TEST_F(PeerAuthLive, UnknownOsUserIsNotInstalled) {
    auto c = connect("no-such-user-pgtwin");
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error().kind, ErrorKind::NotInstalled);
}

}  // namespace
}  // namespace pgtwin::pg
