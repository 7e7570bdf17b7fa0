// SPDX-License-Identifier: GPL-2.0-or-later
// The libpq client and the query functions against a real, throw-away
// PostgreSQL 15 instance (initdb in a mkdtemp directory, Unix socket only).
// Needs root (to run the server as user postgres) and PostgreSQL 15.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pg_test_instance.hpp"
#include "pgtwin/pg/auto_conf.hpp"
#include "pgtwin/pg/client.hpp"
#include "pgtwin/pg/queries.hpp"

namespace pgtwin::pg {
namespace {

using namespace pgtwin::pg::live;  // NOLINT(google-build-using-namespace)

class PgLive : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (!live_tests_possible()) {
            return;
        }
        s_tried = true;
        s_ready = s_primary.create_primary(50000 + static_cast<int>(getpid() % 10000)) && s_primary.pg_ctl("start");
    }
    static void TearDownTestSuite() { s_primary.destroy(); }
    void SetUp() override {
        if (!s_tried) {
            GTEST_SKIP() << "needs root and " << kBindir << "/initdb";
        }
        ASSERT_TRUE(s_ready) << "could not create PostgreSQL instance; see " << s_primary.log();
        auto c = m_connector->connect(s_primary.conn(), deadline());
        ASSERT_TRUE(c.ok()) << c.error().message;
        m_session = std::move(*c);
    }
    Deadline deadline(Millis budget = Millis{20000}) const { return Deadline(m_clock, budget); }

    static inline Instance s_primary;
    static inline bool s_ready = false;
    static inline bool s_tried = false;
    SystemClock m_clock;
    std::unique_ptr<Connector> m_connector = make_libpq_connector();
    std::unique_ptr<Session> m_session;
};

TEST_F(PgLive, QueryReturnsTextRowsAndNulls) {
    auto r = m_session->query("SELECT $1::int + 1 AS n, NULL::text AS z, $2::text AS s", {"41", "a'b"}, deadline());
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->columns, (std::vector<std::string>{"n", "z", "s"}));
    ASSERT_EQ(r->rows.size(), 1U);
    EXPECT_EQ(r->rows[0][0], "42");
    EXPECT_EQ(r->rows[0][1], std::nullopt);
    EXPECT_EQ(r->rows[0][2], "a'b");
}

TEST_F(PgLive, SqlErrorIsGenericWithMessage) {
    auto r = m_session->query("SELECT * FROM no_such_table", {}, deadline());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::Generic);
    EXPECT_EQ(r.error().message, "relation \"no_such_table\" does not exist");
    // The session stays usable after an SQL error.
    EXPECT_TRUE(m_session->query("SELECT 1", {}, deadline()).ok());
}

TEST_F(PgLive, ConnectionRefusedIsNotRunning) {
    ConnParams p = s_primary.conn();
    p.port = s_primary.port + 1;  // no server on this socket
    auto c = m_connector->connect(p, deadline());
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error().kind, ErrorKind::NotRunning);
    EXPECT_NE(c.error().message.find("No such file or directory"), std::string::npos) << c.error().message;
    EXPECT_EQ(c.error().message.find('\n'), std::string::npos);
}

// A TCP listener on 127.0.0.1 that never accepts; its port.
class SilentListener {
public:
    explicit SilentListener(int backlog) : m_fd(::socket(AF_INET, SOCK_STREAM, 0)) {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        EXPECT_EQ(::bind(m_fd, reinterpret_cast<sockaddr*>(&a), len), 0);
        EXPECT_EQ(::listen(m_fd, backlog), 0);
        EXPECT_EQ(::getsockname(m_fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
        m_port = ntohs(a.sin_port);
    }
    ~SilentListener() { ::close(m_fd); }
    SilentListener(const SilentListener&) = delete;
    SilentListener& operator=(const SilentListener&) = delete;
    int port() const { return m_port; }

private:
    int m_fd;
    int m_port = 0;
};

TEST_F(PgLive, HostThatNeverAnswersIsUnreachableNotSlow) {
    // Backlog 0 with one connection queued: Linux drops further SYNs, as a
    // powered-off host's address does.
    SilentListener full(0);
    int filler = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(full.port()));
    ASSERT_EQ(::connect(filler, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ConnParams p = s_primary.conn();
    p.host = "127.0.0.1";
    p.port = full.port();
    auto c = m_connector->connect(p, deadline(Millis{400}));
    ::close(filler);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error().kind, ErrorKind::Unreachable) << c.error().message;
}

TEST_F(PgLive, ServerThatAnswersTheHandshakeButNotLibpqIsSlow) {
    SilentListener quiet(16);  // the kernel completes the handshake; nobody reads the startup packet
    ConnParams p = s_primary.conn();
    p.host = "127.0.0.1";
    p.port = quiet.port();
    auto c = m_connector->connect(p, deadline(Millis{400}));
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error().kind, ErrorKind::Timeout) << c.error().message;
}

TEST_F(PgLive, SlowQueryTimesOutAndIsCancelled) {
    auto r = m_session->query("SELECT pg_sleep(60)", {}, deadline(Millis{300}));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::Timeout);
    // The timed-out session is closed, not left in an unknown protocol state.
    auto again = m_session->query("SELECT 1", {}, deadline());
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().kind, ErrorKind::NotRunning);
    // The server stops the statement (cancel request and statement_timeout).
    auto other = m_connector->connect(s_primary.conn(), deadline());
    ASSERT_TRUE(other.ok());
    std::string left = "1";
    for (int i = 0; i < 200 && left != "0"; ++i) {
        auto n = (*other)->query(
            "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)'"
            " AND state = 'active'",
            {}, deadline());
        ASSERT_TRUE(n.ok());
        left = *n->rows[0][0];
        m_clock.sleep_for(Millis{50});
    }
    EXPECT_EQ(left, "0");
}

TEST_F(PgLive, QuoteLiteralEscapes) {
    EXPECT_EQ(m_session->quote_literal("it's").value_or(""), "'it''s'");
    EXPECT_EQ(m_session->quote_literal(R"(a\b)").value_or(""), R"( E'a\\b')");
}

TEST_F(PgLive, InstanceStatusOfPrimary) {
    auto st = instance_status(*m_session, deadline());
    ASSERT_TRUE(st.ok()) << st.error().message;
    EXPECT_FALSE(st->in_recovery);
    EXPECT_EQ(st->position.timeline, 1U);
    EXPECT_GT(st->position.lsn, Lsn{0});
    auto sysid = m_session->query("SELECT system_identifier FROM pg_control_system()", {}, deadline());
    ASSERT_TRUE(sysid.ok());
    EXPECT_EQ(st->system_identifier, *sysid->rows[0][0]);
    EXPECT_FALSE(st->system_identifier.empty());
}

TEST_F(PgLive, PrimaryHasNoWalReceiverAndNoPeers) {
    auto w = wal_receiver(*m_session, deadline());
    ASSERT_TRUE(w.ok()) << w.error().message;
    EXPECT_FALSE(w->has_value());
    auto peers = replication_peers(*m_session, deadline());
    ASSERT_TRUE(peers.ok()) << peers.error().message;
    EXPECT_TRUE(peers->empty());
}

TEST_F(PgLive, SlotsAreCreatedAndDroppedIdempotently) {
    ASSERT_TRUE(ensure_physical_slot(*m_session, "pgtwin_test", deadline()).ok());
    ASSERT_TRUE(ensure_physical_slot(*m_session, "pgtwin_test", deadline()).ok());
    auto slots = replication_slots(*m_session, deadline());
    ASSERT_TRUE(slots.ok()) << slots.error().message;
    ASSERT_EQ(slots->size(), 1U);
    EXPECT_EQ(slots->front().name, "pgtwin_test");
    EXPECT_FALSE(slots->front().active);
    EXPECT_TRUE(slots->front().restart_lsn.has_value());  // reserved immediately
    EXPECT_EQ(slots->front().wal_status, "reserved");
    ASSERT_TRUE(drop_slot(*m_session, "pgtwin_test", deadline()).ok());
    ASSERT_TRUE(drop_slot(*m_session, "pgtwin_test", deadline()).ok());
    EXPECT_TRUE(replication_slots(*m_session, deadline())->empty());
    auto bad = ensure_physical_slot(*m_session, "Bad-Name", deadline());
    EXPECT_FALSE(bad.ok());
}

TEST_F(PgLive, PrimaryUpkeepReadsSettingsAndSlotsInOneRow) {
    auto none = primary_upkeep(*m_session, "pgtwin_peer", "pgtwin_own", deadline());
    ASSERT_TRUE(none.ok()) << none.error().message;
    EXPECT_EQ(none->synchronous_standby_names, setting(*m_session, "synchronous_standby_names", deadline()).value());
    EXPECT_EQ(none->max_slot_wal_keep_size, setting(*m_session, "max_slot_wal_keep_size", deadline()).value());
    EXPECT_TRUE(none->peer_slot_needs_work);  // missing
    EXPECT_FALSE(none->own_slot_droppable);
    ASSERT_TRUE(ensure_physical_slot(*m_session, "pgtwin_peer", deadline()).ok());
    ASSERT_TRUE(ensure_physical_slot(*m_session, "pgtwin_own", deadline()).ok());
    auto both = primary_upkeep(*m_session, "pgtwin_peer", "pgtwin_own", deadline());
    ASSERT_TRUE(both.ok()) << both.error().message;
    EXPECT_FALSE(both->peer_slot_needs_work);  // present, reserved
    EXPECT_TRUE(both->own_slot_droppable);     // present, inactive
    ASSERT_TRUE(drop_slot(*m_session, "pgtwin_peer", deadline()).ok());
    ASSERT_TRUE(drop_slot(*m_session, "pgtwin_own", deadline()).ok());
}

TEST_F(PgLive, SettingReadsCurrentValue) {
    EXPECT_EQ(setting(*m_session, "port", deadline()).value_or(""), std::to_string(s_primary.port));
    EXPECT_EQ(setting(*m_session, "wal_level", deadline()).value_or(""), "replica");
    auto missing = setting(*m_session, "no_such_setting", deadline());
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().kind, ErrorKind::Generic);
}

TEST_F(PgLive, AlterSystemSetAndResetRoundTrip) {
    const std::string value = "%m [it's \\ here] ";
    ASSERT_TRUE(alter_system_set(*m_session, "log_line_prefix", value, deadline()).ok());
    std::string conf = slurp(s_primary.data() / "postgresql.auto.conf");
    EXPECT_EQ(read_auto_conf_value(conf, "log_line_prefix"), value) << conf;
    // The reload reaches new backends once the postmaster has processed it.
    std::string live;
    for (int i = 0; i < 200 && live != value; ++i) {
        auto s = m_connector->connect(s_primary.conn(), deadline());
        ASSERT_TRUE(s.ok());
        live = setting(**s, "log_line_prefix", deadline()).value_or("");
        m_clock.sleep_for(Millis{50});
    }
    EXPECT_EQ(live, value);
    ASSERT_TRUE(alter_system_reset(*m_session, "log_line_prefix", deadline()).ok());
    conf = slurp(s_primary.data() / "postgresql.auto.conf");
    EXPECT_EQ(read_auto_conf_value(conf, "log_line_prefix"), std::nullopt) << conf;
}

TEST_F(PgLive, AlterSystemRejectsUnsafeNames) {
    auto r = alter_system_set(*m_session, "work_mem = '1MB'; --", "x", deadline());
    ASSERT_FALSE(r.ok());
    EXPECT_FALSE(alter_system_reset(*m_session, "WORK_MEM", deadline()).ok());
    EXPECT_EQ(read_auto_conf_value(slurp(s_primary.data() / "postgresql.auto.conf"), "work_mem"), std::nullopt);
}

TEST_F(PgLive, CheckpointRuns) { EXPECT_TRUE(checkpoint(*m_session, deadline()).ok()); }

// A short connect cap must not become the session's statement_timeout when a
// longer one is asked for (the post-promote CHECKPOINT).
TEST_F(PgLive, StatementTimeoutIsPerSessionNotTheConnectCap) {
    ConnParams p = s_primary.conn();
    p.statement_timeout = Millis{600000};
    auto c = m_connector->connect(p, deadline(Millis{5000}));
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(setting(**c, "statement_timeout", deadline()).value_or(""), "10min");
    auto capped = m_connector->connect(s_primary.conn(), deadline(Millis{5000}));
    ASSERT_TRUE(capped.ok()) << capped.error().message;
    EXPECT_NE(setting(**capped, "statement_timeout", deadline()).value_or(""), "10min");
}

// The peer probe runs as rep_user: without pg_monitor the full status query
// fails on pg_ls_waldir, the role query must not.
TEST_F(PgLive, RoleStatusNeedsNoGrant) {
    ASSERT_TRUE(m_session->query("DROP ROLE IF EXISTS pgtwin_nogrant", {}, deadline()).ok());
    ASSERT_TRUE(m_session->query("CREATE ROLE pgtwin_nogrant LOGIN", {}, deadline()).ok());
    ConnParams p = s_primary.conn();
    p.user = "pgtwin_nogrant";
    auto c = m_connector->connect(p, deadline());
    ASSERT_TRUE(c.ok()) << c.error().message;
    auto full = instance_status(**c, deadline());
    ASSERT_FALSE(full.ok());
    EXPECT_NE(full.error().message.find("pg_ls_waldir"), std::string::npos) << full.error().message;
    auto role = role_status(**c, deadline());
    ASSERT_TRUE(role.ok()) << role.error().message;
    EXPECT_FALSE(role->in_recovery);
    auto mine = instance_status(*m_session, deadline());
    ASSERT_TRUE(mine.ok());
    EXPECT_EQ(role->system_identifier, mine->system_identifier);
    EXPECT_EQ(role->position.timeline, mine->position.timeline);
}

TEST_F(PgLive, ServerFactsNameTheReplicationRolesGrants) {
    ASSERT_TRUE(m_session->query("DROP ROLE IF EXISTS pgtwin_rep", {}, deadline()).ok());
    ASSERT_TRUE(m_session->query("CREATE ROLE pgtwin_rep REPLICATION LOGIN", {}, deadline()).ok());
    auto f = server_facts(*m_session, "pgtwin_rep", deadline());
    ASSERT_TRUE(f.ok()) << f.error().message;
    EXPECT_GE(f->version_num, 150000);
    EXPECT_EQ(f->hot_standby, "on");
    EXPECT_TRUE(f->rep_user_exists);
    EXPECT_TRUE(f->rep_user_replication);
    EXPECT_FALSE(f->rep_user_pg_monitor);
    EXPECT_FALSE(f->rep_user_rewind_functions);
    ASSERT_TRUE(m_session->query("GRANT pg_monitor TO pgtwin_rep", {}, deadline()).ok());
    f = server_facts(*m_session, "pgtwin_rep", deadline());
    ASSERT_TRUE(f.ok());
    EXPECT_TRUE(f->rep_user_pg_monitor);
    auto missing = server_facts(*m_session, "pgtwin_no_such_role", deadline());
    ASSERT_TRUE(missing.ok()) << missing.error().message;
    EXPECT_FALSE(missing->rep_user_exists);
}

}  // namespace
}  // namespace pgtwin::pg
