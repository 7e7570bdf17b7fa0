// SPDX-License-Identifier: GPL-2.0-or-later
// crm_mon XML parsing: node states and membership.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "fakes.hpp"
#include "pgtwin/pcmk/crm_mon.hpp"

namespace pgtwin {
namespace {

// Samples were printed by Pacemaker 2.1.5's crm_mon --output-as=xml reading
// the CIB next to them (CIB_file=tests/data/crm_mon-*.cib.xml).
std::string sample(const std::string& name) {
    std::ifstream in(std::string(PGTWIN_TEST_DATA_DIR) + "/" + name);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

TEST(CrmMon, ParsesTwoHealthyNodes) {
    auto st = pcmk::parse_crm_mon(sample("crm_mon-two-nodes.xml"));
    ASSERT_TRUE(st.ok()) << st.error().message;
    ASSERT_EQ(st->nodes.size(), 2U);
    const auto* n1 = st->node("psql1");
    ASSERT_NE(n1, nullptr);
    EXPECT_TRUE(n1->online);
    EXPECT_FALSE(n1->standby);
    EXPECT_FALSE(n1->unclean);
    EXPECT_EQ(n1->attributes.at("master-pgsql"), "1001");
    EXPECT_EQ(st->node("nope"), nullptr);

    ASSERT_EQ(st->resources.size(), 3U);
    const auto& promoted = st->resources[0];
    EXPECT_EQ(promoted.id, "pgsql");
    EXPECT_EQ(promoted.parent, "pgsql-clone");
    EXPECT_EQ(promoted.resource_agent, "ocf:pgtwin:pgtwin");
    EXPECT_EQ(promoted.role, "Promoted");
    EXPECT_TRUE(promoted.active);
    EXPECT_FALSE(promoted.failed);
    EXPECT_EQ(promoted.nodes, std::vector<std::string>{"psql1"});
    EXPECT_EQ(st->resources[1].role, "Unpromoted");
    EXPECT_EQ(st->resources[1].nodes, std::vector<std::string>{"psql2"});
    EXPECT_EQ(st->resources[2].id, "vip");
    EXPECT_EQ(st->resources[2].parent, "");
    EXPECT_EQ(st->resources[2].role, "Started");
}

TEST(CrmMon, ParsesUncleanAndStandbyNodes) {
    auto st = pcmk::parse_crm_mon(sample("crm_mon-unclean-standby.xml"));
    ASSERT_TRUE(st.ok()) << st.error().message;
    const auto* n1 = st->node("psql1");
    const auto* n2 = st->node("psql2");
    ASSERT_TRUE(n1 && n2);
    EXPECT_TRUE(n1->standby);
    EXPECT_TRUE(n1->online);
    EXPECT_FALSE(n2->online);
    EXPECT_TRUE(n2->unclean);
}

TEST(CrmMon, RejectsGarbage) {
    EXPECT_FALSE(pcmk::parse_crm_mon("not xml <").ok());
    EXPECT_FALSE(pcmk::parse_crm_mon("<pacemaker-result/>").ok());
}

TEST(CrmMon, QueryRunsCrmMonOnce) {
    testing::FakeClock clock;
    testing::FakeCommandRunner runner;
    runner.expect({"crm_mon", "-1", "--output-as=xml"}, 0, sample("crm_mon-two-nodes.xml"));
    auto st = pcmk::query_crm_mon(runner, Deadline(clock, Millis{4000}));
    ASSERT_TRUE(st.ok()) << st.error().message;
    EXPECT_EQ(st->nodes.size(), 2U);
    EXPECT_EQ(runner.calls().at(0).timeout, Millis{4000});
}

TEST(CrmMon, QueryFailureCarriesStderr) {
    testing::FakeClock clock;
    testing::FakeCommandRunner runner;
    runner.expect({"crm_mon", "-1", "--output-as=xml"}, 102, "", "crm_mon: Connection to cluster failed\n");
    auto st = pcmk::query_crm_mon(runner, Deadline(clock, Millis{4000}));
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("Connection to cluster failed"), std::string::npos);
}

}  // namespace
}  // namespace pgtwin
