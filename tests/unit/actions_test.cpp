// SPDX-License-Identifier: GPL-2.0-or-later
// The action table: its names, the lists made from it (methods, usage) and
// which of its actions the agent dispatches.
#include "pgtwin/ocf/actions.hpp"

#include <gtest/gtest.h>

#include "pgtwin/agent/actions.hpp"

namespace pgtwin::ocf {
namespace {

TEST(ActionTable, EveryNameParsesToItsAction) {
    for (const ActionSpec& a : actions()) EXPECT_EQ(parse_action(a.name), a.action) << a.name;
    EXPECT_EQ(parse_action("clone-job"), std::nullopt);  // hidden, not an OCF action
    EXPECT_EQ(parse_action("Start"), std::nullopt);
    EXPECT_EQ(parse_action(""), std::nullopt);
}

TEST(ActionTable, MethodsAndUsageListEveryAction) {
    EXPECT_EQ(methods_text(),
              "start\nstop\npromote\ndemote\nnotify\nmonitor\nvalidate-all\nreload-agent\nmeta-data\nmethods\nusage\n");
    EXPECT_EQ(action_names_for_usage(),
              "start|stop|promote|demote|notify|monitor|validate-all|reload-agent|meta-data|methods|usage");
}

TEST(ActionTable, TheAgentDispatchesAllButTheInformationalActions) {
    for (const char* name :
         {"start", "stop", "monitor", "promote", "demote", "notify", "validate-all", "reload-agent"}) {
        EXPECT_TRUE(agent::is_agent_action(name)) << name;
    }
    for (const char* name : {"meta-data", "methods", "usage", "clone-job", "bogus"}) {
        EXPECT_FALSE(agent::is_agent_action(name)) << name;
    }
}

}  // namespace
}  // namespace pgtwin::ocf
