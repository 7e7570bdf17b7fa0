// SPDX-License-Identifier: GPL-2.0-or-later
// The action table and the lists made from it (methods, usage).

#include "pgtwin/ocf/actions.hpp"

namespace pgtwin::ocf {
namespace {

constexpr ActionSpec kActions[] = {
    {Action::Start, "start", "120s"},
    {Action::Stop, "stop", "120s"},
    {Action::Promote, "promote", "120s"},
    {Action::Demote, "demote", "120s"},
    {Action::Notify, "notify", "60s"},
    {Action::Monitor, "monitor", "30s", true},
    {Action::ValidateAll, "validate-all", "30s"},
    {Action::ReloadAgent, "reload-agent", "60s"},
    {Action::MetaData, "meta-data", "5s"},
    {Action::Methods, "methods", "5s"},
    {Action::Usage, "usage"},
};

std::string joined(std::string_view separator, std::string_view last) {
    std::string out;
    for (const ActionSpec& a : kActions) {
        if (!out.empty()) out += separator;
        out += a.name;
    }
    return out + std::string(last);
}

}  // namespace

std::span<const ActionSpec> actions() { return kActions; }

std::optional<Action> parse_action(std::string_view name) {
    for (const ActionSpec& a : kActions) {
        if (a.name == name) return a.action;
    }
    return std::nullopt;
}

std::string methods_text() { return joined("\n", "\n"); }

std::string action_names_for_usage() { return joined("|", ""); }

}  // namespace pgtwin::ocf
