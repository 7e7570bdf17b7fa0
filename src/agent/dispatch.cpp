#include <algorithm>
#include <array>
#include <string_view>

#include "pgtwin/agent/actions.hpp"

namespace pgtwin::agent {

namespace {

struct ActionEntry {
    std::string_view name;
    Outcome (*run)(Context&);
    bool validate_first;  // run validate-all's checks before the action
};

constexpr std::array<ActionEntry, 8> kActions{{
    {"start", action_start, true},
    {"stop", action_stop, false},
    {"monitor", action_monitor, false},
    {"promote", action_promote, true},
    {"demote", action_demote, true},
    {"notify", action_notify, false},
    {"validate-all", action_validate, false},
    {"reload-agent", action_reload, true},
}};

}  // namespace

bool is_agent_action(std::string_view name) {
    return std::any_of(kActions.begin(), kActions.end(), [&](const auto& a) { return a.name == name; });
}

Outcome dispatch(std::string_view name, Context& ctx) {
    for (const auto& a : kActions) {
        if (a.name != name) continue;
        if (a.validate_first) {
            Outcome v = validate_configuration(ctx);
            if (v.status != ocf::Status::Success) return v;
        }
        return a.run(ctx);
    }
    return {ocf::Status::ErrUnimplemented, "unknown action '" + std::string(name) + "'"};
}

}  // namespace pgtwin::agent
