// SPDX-License-Identifier: GPL-2.0-or-later
// The OCF action table: each action's name, function and whether validate runs first.

#include <sys/stat.h>

#include <optional>
#include <string_view>
#include <utility>

#include <spdlog/spdlog.h>

#include "pgtwin/agent/actions.hpp"
#include "pgtwin/ocf/actions.hpp"
#include "pgtwin/sys/space.hpp"

namespace pgtwin::agent {

namespace {

// How the agent runs one action of the table (ocf/actions.hpp).
struct ActionCode {
    Outcome (*run)(Context&) = nullptr;  // nullptr: the binary answers it without a Context
    // validate-all's checks before the action, in this scope; none when empty.
    std::optional<backend::ValidateScope> validate_first = std::nullopt;
    bool names_full_disk = false;  // a failure says so when the file system is full
};

// A switch without default: an action added to the table without code here fails the build.
ActionCode code_for(ocf::Action action) {
    switch (action) {
        case ocf::Action::Start:
            return {.run = action_start, .validate_first = backend::ValidateScope::Full, .names_full_disk = true};
        case ocf::Action::Stop: return {.run = action_stop};
        case ocf::Action::Promote:
            return {.run = action_promote, .validate_first = backend::ValidateScope::Started, .names_full_disk = true};
        case ocf::Action::Demote: return {.run = action_demote, .validate_first = backend::ValidateScope::Started};
        case ocf::Action::Notify: return {.run = action_notify};
        case ocf::Action::Monitor: return {.run = action_monitor, .names_full_disk = true};
        case ocf::Action::ValidateAll: return {.run = action_validate};
        case ocf::Action::ReloadAgent: return {.run = action_reload, .validate_first = backend::ValidateScope::Full};
        case ocf::Action::MetaData:
        case ocf::Action::Methods:
        case ocf::Action::Usage: return {};
    }
    return {};
}

// The code of the agent action named `name`; nullopt for other names.
std::optional<ActionCode> agent_code(std::string_view name) {
    auto action = ocf::parse_action(name);
    if (!action) return std::nullopt;
    ActionCode code = code_for(*action);
    if (code.run == nullptr) return std::nullopt;
    return code;
}

// Where a probe write tests pgdata's file system: its parent (container mode:
// the node's subvolume) unless pgdata is a mount point of its own.
std::string probe_dir(const std::string& pgdata) {
    std::string parent = pgdata.substr(0, pgdata.find_last_of('/'));
    struct stat data {
    }, up{};
    if (parent.empty() || ::stat(pgdata.c_str(), &data) != 0 || ::stat(parent.c_str(), &up) != 0) return pgdata;
    return data.st_dev == up.st_dev ? parent : pgdata;
}

// A failing instance on a full file system says so in its exit reason:
// PostgreSQL's own log may sit on the same full file system and say nothing.
Outcome with_disk_full_reason(Context& ctx, Outcome out) {
    if (out.status != ocf::Status::ErrGeneric && out.status != ocf::Status::FailedPromoted) return out;
    std::string dir = probe_dir(ctx.cfg.pgdata);
    std::string why = sys::space_shortage(dir);
    if (why.empty()) return out;
    spdlog::error("Disk full where PostgreSQL writes. [dir: {}, error: {}]", dir, why);
    out.reason = "disk full (" + why + ") on " + dir + (out.reason.empty() ? "" : ": " + out.reason);
    return out;
}

}  // namespace

bool is_agent_action(std::string_view name) { return agent_code(name).has_value(); }

Outcome dispatch(std::string_view name, Context& ctx) {
    auto code = agent_code(name);
    if (!code) return Outcome::failure(ocf::Status::ErrUnimplemented, "unknown action '" + std::string(name) + "'");
    if (code->validate_first) {
        Outcome v = validate_configuration(ctx, *code->validate_first);
        if (v.status != ocf::Status::Success) return v;
    }
    Outcome out = code->run(ctx);
    return code->names_full_disk ? with_disk_full_reason(ctx, std::move(out)) : out;
}

}  // namespace pgtwin::agent
