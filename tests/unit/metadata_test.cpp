// SPDX-License-Identifier: GPL-2.0-or-later
// Meta-data XML content, its validity against the schemas in metadata/ (and the
// installed resource-agents DTD that ocf-tester uses), and docs/CONFIGURATION.md.
//
// docs/CONFIGURATION.md must contain parameters_markdown() between the marker
// lines; run this test with PGTWIN_UPDATE_DOCS=1 to rewrite that section.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <pugixml.hpp>

#include "pgtwin/ocf/metadata.hpp"
#include "pgtwin/ocf/params.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration)

namespace pgtwin::ocf {
namespace {

namespace fs = std::filesystem;

const fs::path kSourceDir{PGTWIN_SOURCE_DIR};
const fs::path kInstalledDtd{"/usr/share/resource-agents/ra-api-1.dtd"};

std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

void write_text(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
}

class MetadataSchema : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "pgtwin-metadata-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        m_dir = pattern;
        // Beside the document so its DOCTYPE resolves, as in ocf-tester's working directory.
        fs::copy_file(kSourceDir / "metadata/ra-api-1.dtd", m_dir / "ra-api-1.dtd");
    }
    void TearDown() override { fs::remove_all(m_dir); }

    // Runs xmllint with `args` on `xml` (written to a file); returns its exit status.
    int xmllint(std::vector<std::string> args, const std::string& xml) {
        const fs::path doc = m_dir / "meta-data.xml";
        write_text(doc, xml);
        args.insert(args.begin(), {"xmllint", "--noout", "--nonet"});
        args.push_back(doc.string());
        std::vector<char*> argv;
        for (auto& arg : args) argv.push_back(arg.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
        const std::string err_path = (m_dir / "stderr.txt").string();
        posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        pid_t pid = 0;
        const int spawned = ::posix_spawnp(&pid, "xmllint", &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        if (spawned != 0) {
            ADD_FAILURE() << "cannot run xmllint (install libxml2-utils): " << std::strerror(spawned);
            return -1;
        }
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        m_stderr = read_text(err_path);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

    fs::path m_dir;
    std::string m_stderr;
};

// The meta-data with `edit` applied to its parsed tree.
template <class Edit>
std::string edited_metadata(Edit edit);

// The meta-data without the OCF 1.1 additions the 1.0 DTD lacks (its
// internal subset, reloadable, reload-agent), for --dtdvalid.
std::string without_ocf11(const std::string& xml) {
    pugi::xml_document doc;
    EXPECT_TRUE(doc.load_string(xml.c_str(), pugi::parse_default | pugi::parse_doctype));
    doc.find_child([](pugi::xml_node n) { return n.type() == pugi::node_doctype; })
        .set_value("resource-agent SYSTEM \"ra-api-1.dtd\"");
    pugi::xml_node agent = doc.child("resource-agent");
    for (pugi::xml_node p : agent.child("parameters").children("parameter")) p.remove_attribute("reloadable");
    agent.child("actions").remove_child(
        agent.child("actions").find_child_by_attribute("action", "name", "reload-agent"));
    std::ostringstream out;
    doc.save(out);
    return out.str();
}

// The meta-data with `edit` applied to its parsed tree.
template <class Edit>
std::string edited_metadata(Edit edit) {
    pugi::xml_document doc;
    EXPECT_TRUE(doc.load_string(metadata_xml().c_str(), pugi::parse_default | pugi::parse_doctype));
    edit(doc.child("resource-agent"));
    std::ostringstream out;
    doc.save(out);
    return out.str();
}

TEST(MetadataXml, StartsWithDeclarationAndDoctype) {
    const std::string xml = metadata_xml();
    EXPECT_EQ(xml.rfind("<?xml version=\"1.0\"?>\n<!DOCTYPE resource-agent SYSTEM \"ra-api-1.dtd\" [\n", 0), 0U)
        << xml.substr(0, 120);
}

TEST(MetadataXml, DeclaresEveryParameterFromTheTable) {
    pugi::xml_document doc;
    ASSERT_TRUE(doc.load_string(metadata_xml().c_str()));
    const pugi::xml_node agent = doc.child("resource-agent");
    EXPECT_STREQ(agent.attribute("name").value(), "pgtwin");
    EXPECT_STREQ(agent.attribute("version").value(), PGTWIN_VERSION);
    EXPECT_STREQ(agent.child_value("version"), "1.1");
    const auto table = parameter_table();
    EXPECT_EQ(
        static_cast<std::size_t>(std::distance(agent.child("parameters").begin(), agent.child("parameters").end())),
        table.size());
    for (const auto& spec : table) {
        const std::string name(spec.name);
        const pugi::xml_node param =
            agent.child("parameters").find_child_by_attribute("parameter", "name", name.c_str());
        ASSERT_TRUE(param) << name;
        EXPECT_EQ(param.attribute("required").as_bool(), spec.required) << name;
        const pugi::xml_node content = param.child("content");
        const char* type = spec.type == ParamType::Integer   ? "integer"
                           : spec.type == ParamType::Boolean ? "boolean"
                                                             : "string";
        EXPECT_STREQ(content.attribute("type").value(), type) << name;
        EXPECT_EQ(std::string(content.attribute("default").value()), spec.default_value) << name;
        const std::string shortdesc = param.child_value("shortdesc");
        EXPECT_EQ(shortdesc.find("(deprecated)") != std::string::npos, spec.deprecated) << name;
        const std::string longdesc = param.child_value("longdesc");
        for (auto choice : spec.choices) EXPECT_NE(longdesc.find(std::string(choice)), std::string::npos) << name;
    }
}

TEST(MetadataXml, DeclaresTheActions) {
    pugi::xml_document doc;
    ASSERT_TRUE(doc.load_string(metadata_xml().c_str()));
    std::vector<std::string> actions;
    for (const pugi::xml_node action : doc.child("resource-agent").child("actions").children("action")) {
        actions.push_back(std::string(action.attribute("name").value()) + " " + action.attribute("timeout").value() +
                          " " + action.attribute("interval").value() + " " + action.attribute("depth").value() + " " +
                          action.attribute("role").value());
    }
    // clang-format off
    const std::vector<std::string> expected{
        "start 120s   ",   "stop 120s   ",          "promote 120s   ", "demote 120s   ",
        "notify 60s   ",   "monitor 30s 11s 0 Unpromoted", "monitor 30s 2s 0 Promoted",
        "validate-all 30s   ", "reload-agent 60s   ", "meta-data 5s   ", "methods 5s   "};
    // clang-format on
    EXPECT_EQ(actions, expected);
}

// --dtdvalid ignores the document's internal subset (which adds OCF 1.1's
// reloadable and reload-agent): without them the 1.0 DTD must still accept it.
TEST_F(MetadataSchema, ValidatesAgainstBundledDtd) {
    EXPECT_EQ(xmllint({"--dtdvalid", (kSourceDir / "metadata/ra-api-1.dtd").string()}, without_ocf11(metadata_xml())),
              0)
        << m_stderr;
}

TEST_F(MetadataSchema, ValidatesTheWayOcfTesterDoes) { EXPECT_EQ(xmllint({"--valid"}, metadata_xml()), 0) << m_stderr; }

TEST_F(MetadataSchema, ValidatesAgainstOcf11Rng) {
    EXPECT_EQ(xmllint({"--relaxng", (kSourceDir / "metadata/ocf-1.1.rng").string()}, metadata_xml()), 0) << m_stderr;
}

TEST_F(MetadataSchema, ValidatesAgainstInstalledResourceAgentsDtd) {
    if (!fs::exists(kInstalledDtd)) GTEST_SKIP() << kInstalledDtd << " is not installed";
    EXPECT_EQ(xmllint({"--dtdvalid", kInstalledDtd.string()}, without_ocf11(metadata_xml())), 0) << m_stderr;
    // What ocf-tester runs, with the installed DTD beside the document.
    fs::copy_file(kInstalledDtd, m_dir / "ra-api-1.dtd", fs::copy_options::overwrite_existing);
    EXPECT_EQ(xmllint({"--valid"}, metadata_xml()), 0) << m_stderr;
}

// The internal subset widens the DTD by reload-agent only: other action
// names and attributes are still rejected the way ocf-tester checks.
TEST_F(MetadataSchema, InternalSubsetStillRejectsUnknownActions) {
    const std::string bogus = edited_metadata([](pugi::xml_node agent) {
        agent.child("actions").find_child_by_attribute("action", "name", "reload-agent").attribute("name") = "reboot";
    });
    EXPECT_NE(xmllint({"--valid"}, bogus), 0);
    const std::string bad_flag = edited_metadata([](pugi::xml_node agent) {
        agent.child("parameters").find_child_by_attribute("parameter", "name", "rep_mode").attribute("reloadable") =
            "yes";
    });
    EXPECT_NE(xmllint({"--valid"}, bad_flag), 0);
}

TEST_F(MetadataSchema, BothSchemasRejectAParameterWithoutName) {
    const std::string broken = edited_metadata(
        [](pugi::xml_node agent) { agent.child("parameters").child("parameter").remove_attribute("name"); });
    EXPECT_NE(xmllint({"--dtdvalid", (kSourceDir / "metadata/ra-api-1.dtd").string()}, broken), 0);
    EXPECT_NE(xmllint({"--relaxng", (kSourceDir / "metadata/ocf-1.1.rng").string()}, broken), 0);
    if (fs::exists(kInstalledDtd)) {
        EXPECT_NE(xmllint({"--dtdvalid", kInstalledDtd.string()}, broken), 0);
    }
}

TEST_F(MetadataSchema, RngRejectsLegacyRoleNames) {
    const std::string legacy = edited_metadata([](pugi::xml_node agent) {
        agent.child("actions").find_child_by_attribute("action", "role", "Promoted").attribute("role") = "Master";
    });
    EXPECT_NE(xmllint({"--relaxng", (kSourceDir / "metadata/ocf-1.1.rng").string()}, legacy), 0);
}

// OCF 1.1 constructs the agent avoids: the RNG accepts them, the 1.0 DTD does not.
TEST_F(MetadataSchema, OnlyRngAcceptsSelectAndDeprecatedElement) {
    const std::string modern = edited_metadata([](pugi::xml_node agent) {
        pugi::xml_node param = agent.child("parameters").find_child_by_attribute("parameter", "name", "rep_mode");
        param.prepend_child("deprecated").append_child("replaced-with").append_attribute("name") = "x";
        pugi::xml_node content = param.child("content");
        content.attribute("type") = "select";
        content.append_child("option").append_attribute("value") = "sync";
        content.append_child("option").append_attribute("value") = "async";
    });
    EXPECT_EQ(xmllint({"--relaxng", (kSourceDir / "metadata/ocf-1.1.rng").string()}, modern), 0) << m_stderr;
    EXPECT_NE(xmllint({"--dtdvalid", (kSourceDir / "metadata/ra-api-1.dtd").string()}, modern), 0);
}

TEST(ConfigurationDoc, ParameterSectionMatchesTheTable) {
    const fs::path path = kSourceDir / "docs/CONFIGURATION.md";
    const std::string begin = "<!-- BEGIN PARAMETERS -->\n";
    const std::string end = "<!-- END PARAMETERS -->";
    std::string text = read_text(path);
    const auto b = text.find(begin);
    const auto e = text.find(end);
    ASSERT_NE(b, std::string::npos) << path << " lacks the BEGIN marker";
    ASSERT_NE(e, std::string::npos) << path << " lacks the END marker";
    ASSERT_LT(b, e);
    const std::string expected = "\n" + parameters_markdown() + "\n";
    const char* update = std::getenv("PGTWIN_UPDATE_DOCS");
    if (update != nullptr && std::string(update) == "1") {
        text.replace(b + begin.size(), e - b - begin.size(), expected);
        write_text(path, text);
        return;
    }
    EXPECT_EQ(text.substr(b + begin.size(), e - b - begin.size()), expected)
        << "docs/CONFIGURATION.md is out of date; rerun with PGTWIN_UPDATE_DOCS=1";
}

TEST(ConfigurationDoc, MarkdownCoversEveryParameter) {
    const std::string md = parameters_markdown();
    for (const auto& spec : parameter_table()) {
        EXPECT_NE(md.find(fmt::format("#### `{}`", spec.name)), std::string::npos) << spec.name;
    }
    EXPECT_NE(md.find("#### `monitor_timeout_promoted` (deprecated)"), std::string::npos);
    EXPECT_NE(md.find("- Default: `5432`"), std::string::npos);
}

}  // namespace
}  // namespace pgtwin::ocf
