// SPDX-License-Identifier: GPL-2.0-or-later
// The per-node state file: JSON, written atomically, never through a symlink.

#include "pgtwin/agent/state_file.hpp"

#include <unistd.h>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "pgtwin/sys/files.hpp"

namespace pgtwin::agent {

std::string state_path(const Context& ctx) { return ctx.state_dir + "/" + ctx.resource + "-" + ctx.node + ".json"; }

AgentState load_state(const Context& ctx) {
    AgentState state;
    // Never through a symlink: the cache decides what is (not) published.
    auto text = sys::read_file_no_symlink(state_path(ctx));
    if (!text) return state;
    try {
        auto j = nlohmann::json::parse(*text);
        state.published = j.value("published", std::map<std::string, std::string>{});
        state.published_at = j.value("published_at", 0LL);
        state.replication_failures = j.value("replication_failures", 0);
        state.replay_lsn = j.value("replay_lsn", std::string());
        state.sync_target_lsn = j.value("sync_target_lsn", std::string{});
    } catch (const nlohmann::json::exception& e) {
        spdlog::warn("Ignoring unreadable state file. [path: {}, reason: {}]", state_path(ctx), e.what());
    }
    return state;
}

void save_state(const Context& ctx, const AgentState& state) {
    nlohmann::json j;
    j["published"] = state.published;
    j["published_at"] = state.published_at;
    j["replication_failures"] = state.replication_failures;
    j["replay_lsn"] = state.replay_lsn;
    j["sync_target_lsn"] = state.sync_target_lsn;
    std::string path = state_path(ctx);
    if (auto r = sys::make_directories(ctx.state_dir, 0700, ::geteuid(), ::getegid()); !r) {
        spdlog::warn("Could not create the state directory. [path: {}, reason: {}]", ctx.state_dir, r.error().message);
        return;
    }
    if (sys::is_symlink(path)) {
        spdlog::warn("Refusing to write the state file through a symlink. [path: {}]", path);
        return;
    }
    if (auto r = sys::write_file_atomic(path, j.dump(), 0600); !r) {
        spdlog::warn("Could not write state file. [path: {}, reason: {}]", path, r.error().message);
    }
}

}  // namespace pgtwin::agent
