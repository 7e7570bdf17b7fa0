// SPDX-License-Identifier: GPL-2.0-or-later
// Reads the OCF_RESKEY_CRM_meta_notify_* variables Pacemaker sets for clone
// notifications (names as in Pacemaker 2.1's scheduler).

#include <algorithm>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "pgtwin/pcmk/notify.hpp"

namespace pgtwin::pcmk {
namespace {

constexpr const char* kPrefix = "OCF_RESKEY_CRM_meta_notify_";

std::optional<std::string> lookup(const ocf::EnvMap& env, const std::string& suffix) {
    auto it = env.find(kPrefix + suffix);
    if (it == env.end()) return std::nullopt;
    return it->second;
}

// Pacemaker joins names with single spaces and passes " " for an empty list.
std::vector<std::string> split_names(const std::string& value) {
    std::vector<std::string> names;
    std::istringstream in(value);
    std::string name;
    while (in >> name) names.push_back(name);
    return names;
}

std::vector<std::string> names(const ocf::EnvMap& env, const std::string& suffix) {
    return split_names(lookup(env, suffix).value_or(""));
}

// Prefers the 2.1 name; falls back to the deprecated one when the new one is absent.
std::vector<std::string> names_with_fallback(const ocf::EnvMap& env, const std::string& current,
                                             const std::string& legacy) {
    if (auto v = lookup(env, current)) return split_names(*v);
    return names(env, legacy);
}

// Pacemaker 2.1 sets no inactive_uname (only inactive_resource); derive the
// nodes from all_uname minus active_uname when it is absent.
std::vector<std::string> inactive_names(const ocf::EnvMap& env, const std::vector<std::string>& all,
                                        const std::vector<std::string>& active) {
    if (auto v = lookup(env, "inactive_uname")) return split_names(*v);
    std::vector<std::string> out;
    for (const auto& n : all) {
        if (std::find(active.begin(), active.end(), n) == active.end()) out.push_back(n);
    }
    return out;
}

}  // namespace

NotifyData parse_notify(const ocf::EnvMap& env) {
    NotifyData d;
    d.type = lookup(env, "type").value_or("");
    d.operation = lookup(env, "operation").value_or("");
    d.start = names(env, "start_uname");
    d.stop = names(env, "stop_uname");
    d.promote = names(env, "promote_uname");
    d.demote = names(env, "demote_uname");
    d.active = names(env, "active_uname");
    d.promoted = names_with_fallback(env, "promoted_uname", "master_uname");
    d.unpromoted = names_with_fallback(env, "unpromoted_uname", "slave_uname");
    d.all = names(env, "all_uname");
    d.inactive = inactive_names(env, d.all, d.active);
    return d;
}

}  // namespace pgtwin::pcmk
