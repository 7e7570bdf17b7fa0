// SPDX-License-Identifier: GPL-2.0-or-later
// A real primary and a standby configured by standby_settings(): proves the
// standby configuration streams, and the status queries on both roles,
// including the timeline right after a promotion.

#include <gtest/gtest.h>

#include "pg_test_instance.hpp"
#include "pgtwin/pg/queries.hpp"
#include "pgtwin/pg/standby_conf.hpp"

namespace pgtwin::pg {
namespace {

using namespace pgtwin::pg::live;  // NOLINT(google-build-using-namespace)

constexpr const char* kApp = "pgtwin_standby";

class PgLivePair : public ::testing::Test {
protected:
    static bool make_standby() {
        StandbySource src;
        src.peer_host = s_primary.dir.string();
        src.port = s_primary.port;
        src.rep_user = "postgres";
        src.application_name = kApp;
        src.slot_name = kApp;
        auto conf = s_standby.data() / "postgresql.auto.conf";
        return write_postgres_file(conf, apply_auto_conf_changes(slurp(conf), standby_settings(src))) &&
               write_postgres_file(s_standby.data() / "standby.signal", "");
    }
    static void SetUpTestSuite() {
        if (!live_tests_possible()) {
            return;
        }
        s_tried = true;
        int base = 40000 + static_cast<int>(getpid() % 10000);
        if (!s_primary.create_primary(base) || !s_primary.pg_ctl("start")) {
            return;
        }
        SystemClock clock;
        auto session = make_libpq_connector()->connect(s_primary.conn(), Deadline(clock, Millis{20000}));
        s_ready = session.ok() && ensure_physical_slot(**session, kApp, Deadline(clock, Millis{20000})).ok() &&
                  s_standby.create_copy_of(s_primary, base + 1) && make_standby() && s_standby.pg_ctl("start");
    }
    static void TearDownTestSuite() {
        s_standby.destroy();
        s_primary.destroy();
    }
    void SetUp() override {
        if (!s_tried) {
            GTEST_SKIP() << "needs root and " << kBindir << "/initdb";
        }
        ASSERT_TRUE(s_ready) << "could not create the pair; see " << s_primary.log() << " and " << s_standby.log();
    }
    std::unique_ptr<Session> connect(const Instance& i) {
        auto c = m_connector->connect(i.conn(), deadline());
        EXPECT_TRUE(c.ok()) << c.error().message;
        return c.ok() ? std::move(*c) : nullptr;
    }
    Deadline deadline() const { return Deadline(m_clock, Millis{20000}); }
    // Polls `done` every 50 ms, at most 400 times (replication is asynchronous).
    template <class F>
    bool eventually(F done) {
        for (int i = 0; i < 400; ++i) {
            if (done()) {
                return true;
            }
            m_clock.sleep_for(Millis{50});
        }
        return false;
    }

    static inline Instance s_primary, s_standby;
    static inline bool s_ready = false, s_tried = false;
    SystemClock m_clock;
    std::unique_ptr<Connector> m_connector = make_libpq_connector();
};

TEST_F(PgLivePair, StandbyStreamsThroughItsSlot) {
    auto primary = connect(s_primary);
    ASSERT_TRUE(primary);
    ASSERT_TRUE(eventually([&] {
        auto peers = replication_peers(*primary, deadline());
        return peers.ok() && peers->size() == 1 && peers->front().state == "streaming";
    }));
    auto peers = replication_peers(*primary, deadline());
    EXPECT_EQ(peers->front().application_name, kApp);
    EXPECT_EQ(peers->front().sync_state, "async");
    EXPECT_EQ(peers->front().client_addr, "");  // Unix socket
    auto slots = replication_slots(*primary, deadline());
    ASSERT_TRUE(slots.ok());
    ASSERT_EQ(slots->size(), 1U);
    EXPECT_TRUE(slots->front().active);

    auto standby = connect(s_standby);
    ASSERT_TRUE(standby);
    auto w = wal_receiver(*standby, deadline());
    ASSERT_TRUE(w.ok()) << w.error().message;
    ASSERT_TRUE(w->has_value());
    EXPECT_EQ((*w)->status, "streaming");
    EXPECT_EQ((*w)->received_tli, 1U);
    EXPECT_EQ((*w)->sender_host, s_primary.dir.string());
    EXPECT_EQ(setting(*standby, "primary_slot_name", deadline()).value_or(""), kApp);
    // An active slot is left alone.
    EXPECT_TRUE(drop_slot(*primary, kApp, deadline()).ok());
    EXPECT_EQ(replication_slots(*primary, deadline())->size(), 1U);
}

TEST_F(PgLivePair, StandbyStatusCatchesUpWithPrimary) {
    auto primary = connect(s_primary);
    auto standby = connect(s_standby);
    ASSERT_TRUE(primary && standby);
    ASSERT_TRUE(
        primary->query("CREATE TABLE IF NOT EXISTS t AS SELECT generate_series(1, 1000) AS i", {}, deadline()).ok());
    auto p = instance_status(*primary, deadline());
    ASSERT_TRUE(p.ok()) << p.error().message;
    ASSERT_TRUE(eventually([&] {
        auto s = instance_status(*standby, deadline());
        return s.ok() && s->position.lsn >= p->position.lsn;
    }));
    auto s = instance_status(*standby, deadline());
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_TRUE(s->in_recovery);
    EXPECT_EQ(s->position.timeline, 1U);
    EXPECT_EQ(s->system_identifier, p->system_identifier);
    auto peers = replication_peers(*primary, deadline());
    ASSERT_TRUE(peers.ok());
    for (const auto& peer : *peers) {
        EXPECT_LE(peer.replay_lsn, peer.flush_lsn);
        EXPECT_LE(peer.flush_lsn, peer.sent_lsn);
    }
}

// Ends the named standby's walsender and nothing else: not the calling
// session, not another client (the lab once saw a version whose filter the
// planner applied after the terminate call end every backend).
TEST_F(PgLivePair, EndWalsendersEndsOnlyTheNamedStandbysWalsender) {
    auto primary = connect(s_primary);
    auto bystander = connect(s_primary);
    ASSERT_TRUE(primary && bystander);
    ASSERT_TRUE(eventually([&] {
        auto peers = replication_peers(*primary, deadline());
        return peers.ok() && peers->size() == 1 && peers->front().state == "streaming";
    }));
    auto none = end_walsenders(*primary, "no_such_standby", deadline());
    ASSERT_TRUE(none.ok()) << none.error().message;
    EXPECT_EQ(*none, 0);
    auto ended = end_walsenders(*primary, kApp, deadline());
    ASSERT_TRUE(ended.ok()) << ended.error().message;
    EXPECT_EQ(*ended, 1);
    EXPECT_TRUE(primary->query("SELECT 1", {}, deadline()).ok());
    EXPECT_TRUE(bystander->query("SELECT 1", {}, deadline()).ok());
    // The standby reconnects by itself.
    EXPECT_TRUE(eventually([&] {
        auto peers = replication_peers(*primary, deadline());
        return peers.ok() && peers->size() == 1 && peers->front().state == "streaming";
    }));
}

TEST_F(PgLivePair, PromotedStandbyReportsNewTimelineAtOnce) {
    ASSERT_TRUE(s_standby.pg_ctl("promote"));
    auto promoted = connect(s_standby);
    ASSERT_TRUE(promoted);
    auto st = instance_status(*promoted, deadline());
    ASSERT_TRUE(st.ok()) << st.error().message;
    EXPECT_FALSE(st->in_recovery);
    EXPECT_EQ(st->position.timeline, 2U);
    auto none = wal_receiver(*promoted, deadline());
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(none->has_value());
}

}  // namespace
}  // namespace pgtwin::pg
