// SPDX-License-Identifier: GPL-2.0-or-later
// The man pages are generated from the parameter table and the meta-data's
// actions: every parameter (with its default), action (with its timeout) and
// OCF exit code must appear, and the roff must not be broken by the texts.

#include <gtest/gtest.h>

#include <string>

#include <pugixml.hpp>

#include "pgtwin/app/man_page.hpp"
#include "pgtwin/ocf/metadata.hpp"
#include "pgtwin/ocf/params.hpp"

namespace pgtwin::app {
namespace {

std::string bold(std::string_view text) { return "\\fB" + roff_escape(text) + "\\fR"; }

TEST(ManPage, AgentPageNamesEveryParameterWithItsDefault) {
    const std::string page = agent_man_page();
    for (const auto& spec : ocf::parameter_table()) {
        EXPECT_NE(page.find(".TP\n" + bold(spec.name) + "\n"), std::string::npos) << spec.name;
        if (!spec.default_value.empty()) {
            EXPECT_NE(page.find("default: " + roff_escape(spec.default_value)), std::string::npos) << spec.name;
        }
        EXPECT_NE(page.find(roff_escape(spec.longdesc)), std::string::npos) << spec.name;
    }
}

TEST(ManPage, AgentPageNamesEveryActionOfTheMetadataWithItsTimeout) {
    const std::string page = agent_man_page();
    pugi::xml_document meta;
    ASSERT_TRUE(meta.load_string(ocf::metadata_xml().c_str()));
    int actions = 0;
    for (const auto& node : meta.select_nodes("/resource-agent/actions/action")) {
        pugi::xml_node a = node.node();
        std::string tag = bold(a.attribute("name").value()) + " (timeout " + a.attribute("timeout").value();
        EXPECT_NE(page.find(tag), std::string::npos) << tag;
        ++actions;
    }
    EXPECT_GE(actions, 9);
}

TEST(ManPage, AgentPageListsTheOcfExitCodes) {
    const std::string page = agent_man_page();
    for (int code = 0; code <= 9; ++code) {
        EXPECT_NE(page.find(".TP\n\\fB" + std::to_string(code) + "\\fR ("), std::string::npos) << code;
    }
    EXPECT_NE(page.find("running\\-promoted"), std::string::npos);
}

TEST(ManPage, CommandPageCoversSubcommandsEnvironmentAndFiles) {
    const std::string page = command_man_page();
    for (const char* text : {".TH PGTWIN 8", ".SH STATUS", "\\-\\-json", "\\-\\-prometheus", ".SH STORAGE",
                             ".B snapshot", ".SH ENVIRONMENT", "PGTWIN_CONTAINER_MODE", ".SH FILES",
                             "/usr/lib/ocf/resource.d/pgtwin/pgtwin", ".SH EXIT STATUS", "/var/lib/pgtwin"}) {
        EXPECT_NE(page.find(text), std::string::npos) << text;
    }
}

TEST(ManPage, RoffEscapeNeutralisesControlCharacters) {
    EXPECT_EQ(roff_escape(".TH x"), "\\&.TH x");
    EXPECT_EQ(roff_escape("a\n'b"), "a\n\\&'b");
    EXPECT_EQ(roff_escape("C:\\dir pg-ctl"), "C:\\edir pg\\-ctl");
    EXPECT_EQ(roff_escape("a.b"), "a.b");
}

}  // namespace
}  // namespace pgtwin::app
