// SPDX-License-Identifier: GPL-2.0-or-later
// Publishing scores and attributes to Pacemaker, skipping writes the per-node state file shows as done.

#include "pgtwin/agent/publish.hpp"

#include <unistd.h>

#include <chrono>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "pgtwin/sys/files.hpp"

namespace pgtwin::agent {

namespace {

long long wall_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// True when `key` was published with `value` recently enough.
bool is_current(AgentState& state, const std::string& key, const std::string& value) {
    long long now = wall_seconds();
    if (now - state.published_at >= kRepublishSeconds || now < state.published_at) {
        state.published.clear();
        state.published_at = now;
        return false;
    }
    auto it = state.published.find(key);
    return it != state.published.end() && it->second == value;
}

}  // namespace

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

void invalidate_published(AgentState& state) {
    state.published.clear();
    state.published_at = 0;
}

Result<void> publish_score(Context& ctx, AgentState& state, const std::string& node, int score) {
    std::string key = "score:" + node;
    std::string value = std::to_string(score);
    if (is_current(state, key, value)) return ok();
    auto res = ctx.cluster.set_promotion_score(node, score, ctx.deadline);
    if (!res) return res;
    spdlog::info("Promotion score set. [node: {}, score: {}]", node, score);
    state.published[key] = value;
    return ok();
}

Result<void> publish_attribute(Context& ctx, AgentState& state, const std::string& node, const std::string& name,
                               const std::string& value) {
    std::string key = "attr:" + node + ":" + name;
    if (is_current(state, key, value)) return ok();
    auto res = ctx.cluster.set_attribute(node, name, value, pcmk::Lifetime::Forever, ctx.deadline);
    if (!res) return res;
    spdlog::info("Node attribute set. [node: {}, name: {}, value: {}]", node, name, value);
    state.published[key] = value;
    return ok();
}

Result<void> reassert_attribute(Context& ctx, AgentState& state, const std::string& node, const std::string& name,
                                const std::string& value) {
    auto current = ctx.cluster.attribute(node, name, pcmk::Lifetime::Forever, ctx.deadline);
    if (current && *current == value) {
        state.published["attr:" + node + ":" + name] = value;
        return ok();
    }
    if (current) {
        spdlog::warn("Correcting a node attribute. [node: {}, name: {}, found: {}, value: {}]", node, name,
                     current->value_or("(unset)"), value);
    }
    state.published.erase("attr:" + node + ":" + name);
    return publish_attribute(ctx, state, node, name, value);
}

Result<void> reassert_score(Context& ctx, AgentState& state, const std::string& node, int score) {
    auto current = ctx.cluster.promotion_score(node, ctx.deadline);
    if (current && *current == score) {
        state.published["score:" + node] = std::to_string(score);
        return ok();
    }
    state.published.erase("score:" + node);
    return publish_score(ctx, state, node, score);
}

}  // namespace pgtwin::agent
