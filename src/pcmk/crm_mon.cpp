// SPDX-License-Identifier: GPL-2.0-or-later
// Parses `crm_mon --output-as=xml` with pugixml (never text scraping).

#include "pgtwin/pcmk/crm_mon.hpp"
#include "pgtwin/core/text.hpp"

#include <algorithm>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <pugixml.hpp>

namespace pgtwin::pcmk {
namespace {

constexpr Millis kCrmMonCap{10000};

bool flag(const pugi::xml_node& n, const char* name) {
    return std::string_view{n.attribute(name).as_string()} == "true";
}

MonResource read_resource(const pugi::xml_node& r, const std::string& parent) {
    MonResource res;
    res.id = r.attribute("id").as_string();
    res.parent = parent;
    res.resource_agent = r.attribute("resource_agent").as_string();
    res.role = r.attribute("role").as_string();
    res.active = flag(r, "active");
    res.failed = flag(r, "failed");
    for (const auto& n : r.children("node")) res.nodes.emplace_back(n.attribute("name").as_string());
    return res;
}

// Walks a resource list: <resource> directly or inside clone/group/bundle
// (bundles nest them in <replica>). The recursion is as deep as crm_mon's
// nesting (bundle > replica > resource at most).
void collect_resources(  // NOLINT(misc-no-recursion)
    const pugi::xml_node& list, const std::string& parent, std::vector<MonResource>& out) {
    for (const auto& child : list.children()) {
        const std::string_view tag = child.name();
        if (tag == "resource") {
            out.push_back(read_resource(child, parent));
        } else if (tag == "clone" || tag == "group" || tag == "bundle") {
            collect_resources(child, child.attribute("id").as_string(), out);
        } else if (tag == "replica") {
            collect_resources(child, parent, out);
        }
    }
}

void collect_nodes(const pugi::xml_node& root, MonStatus& st) {
    for (const auto& n : root.child("nodes").children("node")) {
        MonNode node;
        node.name = n.attribute("name").as_string();
        node.online = flag(n, "online");
        node.standby = flag(n, "standby");
        node.unclean = flag(n, "unclean");
        node.maintenance = flag(n, "maintenance");
        node.pending = flag(n, "pending");
        st.nodes.push_back(std::move(node));
    }
    for (const auto& n : root.child("node_attributes").children("node")) {
        auto it = std::find_if(st.nodes.begin(), st.nodes.end(),
                               [&](const MonNode& m) { return m.name == n.attribute("name").as_string(); });
        if (it == st.nodes.end()) continue;
        for (const auto& a : n.children("attribute")) {
            it->attributes[a.attribute("name").as_string()] = a.attribute("value").as_string();
        }
    }
}

}  // namespace

const MonNode* MonStatus::node(const std::string& name) const {
    auto it = std::find_if(nodes.begin(), nodes.end(), [&](const MonNode& n) { return n.name == name; });
    return it == nodes.end() ? nullptr : &*it;
}

Result<MonStatus> parse_crm_mon(const std::string& xml) {
    pugi::xml_document doc;
    auto parsed = doc.load_buffer(xml.data(), xml.size());
    if (!parsed) {
        return fail(ErrorKind::Generic, fmt::format("crm_mon printed invalid XML: {}", parsed.description()));
    }
    // 2.1 prints <pacemaker-result>; the legacy --as-xml format used <crm_mon>.
    pugi::xml_node root = doc.child("pacemaker-result");
    if (!root) root = doc.child("crm_mon");
    if (!root || !root.child("nodes")) {
        return fail(ErrorKind::Generic, "crm_mon output holds no <nodes> section");
    }
    MonStatus st;
    collect_nodes(root, st);
    st.fencing_enabled = flag(root.child("summary").child("cluster_options"), "stonith-enabled");
    collect_resources(root.child("resources"), "", st.resources);
    return st;
}

Membership membership_of(const MonStatus& st, const std::string& name) {
    const MonNode* n = st.node(name);
    if (n == nullptr) return Membership::Unknown;
    // crm_mon can print online="false" unclean="true" while the node waits
    // for fencing: unclean wins over every other flag.
    if (n->unclean) return Membership::Unclean;
    if (n->online) return n->pending ? Membership::Unknown : Membership::Member;
    if (n->pending) return Membership::Unknown;
    return st.fencing_enabled ? Membership::CleanDown : Membership::DownUnfenced;
}

Result<MonStatus> query_crm_mon(sys::CommandRunner& runner, const Deadline& d) {
    if (d.expired()) return fail(ErrorKind::Timeout, "No time left to run crm_mon");
    sys::Command cmd;
    cmd.argv = {"crm_mon", "-1", "--output-as=xml"};
    cmd.timeout = d.remaining_capped(kCrmMonCap);
    auto r = runner.run(cmd);
    if (!r) return r.error();
    if (r->timed_out) return fail(ErrorKind::Timeout, "crm_mon timed out");
    if (!r->success()) {
        return fail(ErrorKind::Generic,
                    fmt::format("crm_mon failed with exit code {}: {}", r->exit_code, trim_end(r->err)));
    }
    return parse_crm_mon(r->out);
}

}  // namespace pgtwin::pcmk
