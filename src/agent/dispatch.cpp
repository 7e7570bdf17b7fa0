// SPDX-License-Identifier: GPL-2.0-or-later
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <string_view>

#include <spdlog/spdlog.h>

#include "pgtwin/agent/actions.hpp"
#include "pgtwin/sys/space.hpp"

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

// Where a probe write tests pgdata's file system: its parent (container mode:
// the node's subvolume) unless pgdata is a mount point of its own.
std::string probe_dir(const std::string& pgdata) {
    std::string parent = pgdata.substr(0, pgdata.find_last_of('/'));
    struct stat data {}, up {};
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
        if (a.name == "start" || a.name == "monitor" || a.name == "promote") {
            return with_disk_full_reason(ctx, a.run(ctx));
        }
        return a.run(ctx);
    }
    return Outcome::failure(ocf::Status::ErrUnimplemented, "unknown action '" + std::string(name) + "'");
}

}  // namespace pgtwin::agent
