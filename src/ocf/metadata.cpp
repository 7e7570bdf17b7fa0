// SPDX-License-Identifier: GPL-2.0-or-later
// OCF meta-data XML and the Markdown parameter reference, both generated from
// the parameter table so that neither can drift from the parser.

#include "pgtwin/ocf/metadata.hpp"

#include <sstream>
#include <string>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <pugixml.hpp>

#include "pgtwin/ocf/actions.hpp"
#include "pgtwin/ocf/params.hpp"

namespace pgtwin::ocf {
namespace {

constexpr std::string_view kShortdesc = "Two-node PostgreSQL streaming replication (promotable clone)";
constexpr std::string_view kLongdesc =
    "pgtwin manages a two-node PostgreSQL cluster with streaming replication as a promotable "
    "clone: the promoted instance is the read-write primary, the unpromoted instance a hot "
    "standby that streams from it through a replication slot. Instances always start as "
    "standbys; promotion picks the most advanced, in-sync standby, and a diverged former "
    "primary is repaired with pg_rewind or pg_basebackup before it rejoins. PostgreSQL runs "
    "either on the host (VM mode) or in a podman or docker container (container_mode).";

// ra-api-1.dtd (API 1.0, what ocf-tester validates against) lacks OCF 1.1's
// reloadable attribute and reload-agent action. The internal subset adds
// them: XML reads it before the external DTD, and the first declaration of an
// attribute binds, so the action names stay an enumeration, one name longer.
constexpr const char* kDoctype =
    "resource-agent SYSTEM \"ra-api-1.dtd\" [\n"
    "<!ATTLIST parameter reloadable (1|0) \"0\">\n"
    "<!ATTLIST action name (start|stop|recover|monitor|restart|migrate_to|migrate_from|promote|demote|notify|"
    "status|reload|reload-agent|meta-data|usage|methods|validate-all) #REQUIRED>\n]";

std::string str(std::string_view text) { return std::string(text); }

void add_text(pugi::xml_node parent, const char* tag, const std::string& text) {
    pugi::xml_node node = parent.append_child(tag);
    node.append_attribute("lang") = "en";
    node.text().set(text.c_str());
}

// ra-api-1.dtd (what ocf-tester checks) has neither <option> nor select, nor the
// OCF 1.1 <deprecated/> element: choices and deprecation go into the text.
std::string xml_longdesc(const ParamSpec& spec) {
    std::string text = spec.deprecated ? "Deprecated. " + str(spec.longdesc) : str(spec.longdesc);
    if (spec.type == ParamType::Select) text += fmt::format(" Allowed values: {}.", fmt::join(spec.choices, ", "));
    return text;
}

const char* xml_type(ParamType type) {
    switch (type) {
        case ParamType::Integer: return "integer";
        case ParamType::Boolean: return "boolean";
        case ParamType::String:
        case ParamType::Select: return "string";
    }
    return "string";
}

void add_parameter(pugi::xml_node parameters, const ParamSpec& spec) {
    pugi::xml_node param = parameters.append_child("parameter");
    param.append_attribute("name") = str(spec.name).c_str();
    param.append_attribute("unique") = spec.unique ? "1" : "0";
    param.append_attribute("required") = spec.required ? "1" : "0";
    // OCF 1.1: a change of only such parameters makes Pacemaker call
    // reload-agent instead of restarting the resource.
    if (spec.reloadable) param.append_attribute("reloadable") = "1";
    add_text(param, "longdesc", xml_longdesc(spec));
    add_text(param, "shortdesc", spec.deprecated ? str(spec.shortdesc) + " (deprecated)" : str(spec.shortdesc));
    pugi::xml_node content = param.append_child("content");
    content.append_attribute("type") = xml_type(spec.type);
    if (!spec.default_value.empty()) content.append_attribute("default") = str(spec.default_value).c_str();
}

pugi::xml_node add_action(pugi::xml_node actions, const ActionSpec& spec) {
    pugi::xml_node action = actions.append_child("action");
    action.append_attribute("name") = std::string(spec.name).c_str();
    action.append_attribute("timeout") = spec.timeout;
    return action;
}

// From the action table; a per-role action once per role, with its interval.
void add_actions(pugi::xml_node agent) {
    pugi::xml_node actions = agent.append_child("actions");
    for (const ActionSpec& spec : ocf::actions()) {
        if (spec.timeout == nullptr) continue;
        if (!spec.per_role) {
            add_action(actions, spec);
            continue;
        }
        for (const RoleInterval& r : kRoleIntervals) {
            pugi::xml_node action = add_action(actions, spec);
            action.append_attribute("interval") = r.interval;
            action.append_attribute("depth") = "0";
            action.append_attribute("role") = r.role;
        }
    }
}

// Backslash-escapes the characters Markdown would read as markup.
std::string md_escape(std::string_view text) {
    std::string out;
    for (const char c : text) {
        if (std::string_view("\\`*_<>[]|").find(c) != std::string_view::npos) out.push_back('\\');
        out.push_back(c);
    }
    return out;
}

std::string md_type(const ParamSpec& spec) {
    switch (spec.type) {
        case ParamType::Boolean: return "boolean";
        case ParamType::Select: {
            std::vector<std::string> quoted;
            for (auto choice : spec.choices) quoted.push_back(fmt::format("`{}`", choice));
            return fmt::format("one of {}", fmt::join(quoted, ", "));
        }
        case ParamType::Integer: {
            std::string text = integer_range_text(spec);
            return spec.seconds_suffix ? text + " (seconds; a trailing `s` is accepted)" : text;
        }
        case ParamType::String: break;
    }
    return "string";
}

std::string md_parameter(const ParamSpec& spec) {
    std::string out = fmt::format("#### `{}`{}\n\n", spec.name, spec.deprecated ? " (deprecated)" : "");
    out += fmt::format("{}.\n\n", md_escape(spec.shortdesc));
    out += fmt::format("- Type: {}\n", md_type(spec));
    out += spec.default_value.empty() ? "- Default: none\n" : fmt::format("- Default: `{}`\n", spec.default_value);
    out += fmt::format("- Required: {}\n", spec.required ? "yes" : "no");
    out +=
        fmt::format("- Reloadable: {}\n\n", spec.reloadable ? "yes (reload-agent applies it; PostgreSQL keeps running)"
                                                            : "no (a change restarts the resource)");
    out += fmt::format("{}\n\n", md_escape(spec.longdesc));
    return out;
}

}  // namespace

std::string metadata_xml() {
    pugi::xml_document doc;
    doc.append_child(pugi::node_declaration).append_attribute("version") = "1.0";
    // ocf-tester runs `xmllint --valid` in /usr/share/resource-agents: this line names the DTD.
    doc.append_child(pugi::node_doctype).set_value(kDoctype);
    pugi::xml_node agent = doc.append_child("resource-agent");
    agent.append_attribute("name") = "pgtwin";
    agent.append_attribute("version") = PGTWIN_VERSION;
    agent.append_child("version").text().set("1.1");
    add_text(agent, "longdesc", str(kLongdesc));
    add_text(agent, "shortdesc", str(kShortdesc));
    pugi::xml_node parameters = agent.append_child("parameters");
    for (const ParamSpec& spec : parameter_table()) add_parameter(parameters, spec);
    add_actions(agent);
    std::ostringstream out;
    doc.save(out, "  ", pugi::format_indent, pugi::encoding_utf8);
    return out.str();
}

std::string integer_range_text(const ParamSpec& spec) {
    return spec.max_value == INT64_MAX ? fmt::format("integer, at least {}", spec.min_value)
                                       : fmt::format("integer, {} to {}", spec.min_value, spec.max_value);
}

std::string parameters_markdown() {
    std::string out;
    std::string_view section;
    for (const ParamSpec& spec : parameter_table()) {
        if (spec.section != section) {
            section = spec.section;
            out += fmt::format("### {}\n\n", section);
        }
        out += md_parameter(spec);
    }
    while (out.size() > 1 && out.ends_with("\n\n")) out.pop_back();
    return out;
}

}  // namespace pgtwin::ocf
