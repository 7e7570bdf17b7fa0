// SPDX-License-Identifier: GPL-2.0-or-later
// ocf_pgtwin_pgtwin(7) from the parameter table and the meta-data's actions,
// like resource-agents' ocf_heartbeat_*(7) pages (which it generates from the
// meta-data XML). The actions are read back from metadata_xml() so that an
// action added there appears here without a second list.

#include "pgtwin/app/man_page.hpp"

#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <pugixml.hpp>

#include "pgtwin/ocf/metadata.hpp"
#include "pgtwin/ocf/params.hpp"
#include "pgtwin/ocf/status.hpp"

namespace pgtwin::app {
namespace {

using ocf::ParamSpec;
using ocf::ParamType;

std::string bold(std::string_view text) { return "\\fB" + roff_escape(text) + "\\fR"; }

std::string param_type(const ParamSpec& spec) {
    switch (spec.type) {
        case ParamType::Boolean: return "boolean";
        case ParamType::Select: return fmt::format("one of {}", fmt::join(spec.choices, ", "));
        case ParamType::Integer: {
            std::string text = ocf::integer_range_text(spec);
            return spec.seconds_suffix ? text + ", seconds (a trailing s is accepted)" : text;
        }
        case ParamType::String: break;
    }
    return "string";
}

std::string parameter_entry(const ParamSpec& spec) {
    std::string attrs = param_type(spec);
    if (spec.required) attrs += ", required";
    if (spec.unique) attrs += ", unique";
    if (spec.reloadable) attrs += ", reloadable";
    if (spec.deprecated) attrs += ", deprecated and ignored";
    attrs += spec.default_value.empty() ? ", no default" : fmt::format(", default: {}", spec.default_value);
    std::string out = ".TP\n" + bold(spec.name) + "\n";
    out += roff_escape(spec.shortdesc) + ". (" + roff_escape(attrs) + ")\n";
    out += ".br\n" + roff_escape(spec.longdesc) + "\n";
    return out;
}

std::string parameters_section() {
    std::string out = ".SH SUPPORTED PARAMETERS\n";
    std::string_view section;
    for (const ParamSpec& spec : ocf::parameter_table()) {
        if (spec.section != section) {
            section = spec.section;
            out += ".SS " + roff_escape(section) + "\n";
        }
        out += parameter_entry(spec);
    }
    return out;
}

std::string action_purpose(std::string_view name) {
    if (name == "start") return "Start PostgreSQL as a standby (auto-initialise or rejoin first when needed).";
    if (name == "stop") return "Stop PostgreSQL (fast shutdown, then immediate).";
    if (name == "promote") return "Promote the standby to primary, after the data-aware checks.";
    if (name == "demote") return "Turn the primary into a standby (stop, then start as a standby).";
    if (name == "notify") return "Pre/post notifications: the promotion election and peer bookkeeping.";
    if (name == "monitor") return "Report the role through libpq and update the promotion score.";
    if (name == "validate-all") return "Check the parameters and the installation; touches no data.";
    if (name == "meta-data") return "Print the OCF meta-data XML.";
    if (name == "methods") return "List the supported actions.";
    if (name == "reload-agent") return "Apply changed reloadable parameters without restarting PostgreSQL.";
    return "See the OCF specification.";
}

// "start (timeout 120s)" lines, read back from the meta-data XML.
std::string actions_section(const pugi::xml_document& meta) {
    std::string out =
        ".SH SUPPORTED ACTIONS\n"
        "The default timeouts are the meta-data's suggestions; set them on the operations of the resource.\n";
    for (const auto& node : meta.select_nodes("/resource-agent/actions/action")) {
        pugi::xml_node a = node.node();
        std::string tag = bold(a.attribute("name").value()) + " (timeout " + a.attribute("timeout").value();
        if (!a.attribute("interval").empty()) tag += std::string(", interval ") + a.attribute("interval").value();
        if (!a.attribute("role").empty()) tag += std::string(", role ") + a.attribute("role").value();
        out += ".TP\n" + tag + ")\n" + roff_escape(action_purpose(a.attribute("name").value())) + "\n";
    }
    return out;
}

std::string exit_meaning(int code) {
    switch (code) {
        case 0: return "success; for monitor: running as a standby";
        case 1: return "generic error, also a missed deadline (Pacemaker may retry on this node)";
        case 2: return "invalid arguments, e.g. node_list without this node or a data directory owned by another user";
        case 3: return "unimplemented action";
        case 4: return "insufficient privileges";
        case 5: return "not installed: a program (pg_ctl, podman...) or the PostgreSQL user is missing";
        case 6: return "invalid configuration (a bad parameter value); Pacemaker stops the resource everywhere";
        case 7: return "not running (cleanly stopped)";
        case 8: return "running as the primary (monitor of the promoted instance)";
        case 9: return "failed primary: it crashed while promoted";
        default: return "";
    }
}

std::string exit_codes_section() {
    std::string out =
        ".SH EXIT STATUS\nThe OCF exit codes; a failure also prints one \\fBocf\\-exit\\-reason:\\fR line.\n";
    for (int code = 0; code <= 9; ++code) {
        auto status = static_cast<ocf::Status>(code);
        out += fmt::format(".TP\n\\fB{}\\fR ({})\n{}\n", code, roff_escape(ocf::status_name(status)),
                           roff_escape(exit_meaning(code)));
    }
    return out;
}

constexpr const char* kAgentExample = R"(.SH EXAMPLE
A promotable clone with crmsh (see /usr/share/doc/pgtwin/examples for a complete configuration):
.PP
.nf
.RS
primitive pgsql ocf:pgtwin:pgtwin \e
  params pgdata=/var/lib/postgresql/15/main node_list="node1 node2" \e
  op start timeout=120s op stop timeout=120s \e
  op promote timeout=120s op demote timeout=120s \e
  op monitor interval=11s timeout=30s role=Unpromoted \e
  op monitor interval=2s timeout=30s role=Promoted
clone pgsql\-clone pgsql meta promotable=true notify=true \e
  promoted\-max=1 promoted\-node\-max=1 clone\-max=2 clone\-node\-max=1
.RE
.fi
.SH SEE ALSO
.BR pgtwin (8),
.BR crm (8),
.BR pcs (8),
.BR ocf_heartbeat_IPaddr2 (7)
)";

}  // namespace

std::string roff_escape(std::string_view text) {
    std::string out;
    bool line_start = true;
    for (const char c : text) {
        if (line_start && (c == '.' || c == '\'')) out += "\\&";
        if (c == '\\') {
            out += "\\e";
        } else if (c == '-') {
            out += "\\-";
        } else {
            out.push_back(c);
        }
        line_start = c == '\n';
    }
    return out;
}

std::string agent_man_page() {
    pugi::xml_document meta;
    meta.load_string(ocf::metadata_xml().c_str());
    pugi::xml_node agent = meta.child("resource-agent");
    std::string out =
        fmt::format(".TH OCF_PGTWIN_PGTWIN 7 \"\" \"pgtwin {}\" \"OCF resource agents\"\n", PGTWIN_VERSION);
    out += ".SH NAME\nocf_pgtwin_pgtwin \\- " + roff_escape(agent.child("shortdesc").text().get()) + "\n";
    out +=
        ".SH SYNOPSIS\n\\fBpgtwin\\fR [start | stop | monitor | promote | demote | notify | validate\\-all |"
        " meta\\-data | methods]\n";
    out += ".SH DESCRIPTION\n" + roff_escape(agent.child("longdesc").text().get()) + "\n";
    out +=
        ".PP\nPacemaker passes the parameters below as OCF_RESKEY_<name> environment variables. "
        "The resource must be a promotable clone with notify=true, promoted\\-max=1 and clone\\-max=2.\n";
    out += parameters_section();
    out += actions_section(meta);
    out += exit_codes_section();
    out += kAgentExample;
    return out;
}

int run_man_page_command(const std::vector<std::string>& args) {
    std::string section = args.size() > 2 ? args[2] : "";
    if (section == "7") {
        std::cout << agent_man_page();
        return 0;
    }
    if (section == "8") {
        std::cout << command_man_page();
        return 0;
    }
    std::cerr << "usage: pgtwin man-page {7|8}\n";
    return ocf::to_int(ocf::Status::ErrArgs);
}

}  // namespace pgtwin::app
