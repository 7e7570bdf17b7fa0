// SPDX-License-Identifier: GPL-2.0-or-later
// Publishing scores and attributes to Pacemaker, skipping writes the per-node state file shows as done.

#include "pgtwin/agent/publish.hpp"

#include <chrono>

#include <spdlog/spdlog.h>

#include "pgtwin/agent/timing.hpp"

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

AttributeNames attribute_names(const std::string& resource) {
    return {"pgtwin-" + resource + "-rep-state", "pgtwin-" + resource + "-walpos", "pgtwin-" + resource + "-data-id"};
}

std::string election_attribute(const std::string& resource) { return "pgtwin-" + resource + "-election"; }

void warn_unless_ok(const Result<void>& result, std::string_view what) {
    if (!result) spdlog::warn("Could not {}. [reason: {}]", what, result.error().message);
}

Result<void> write_with_retries(Context& ctx, const std::string& what, const std::function<Result<void>()>& write) {
    constexpr int kAttempts = 3;
    Result<void> res = write();
    for (int attempt = 1; !res; ++attempt) {
        spdlog::warn("Attribute write failed. [what: {}, attempt: {}, reason: {}]", what, attempt, res.error().message);
        if (attempt >= kAttempts || ctx.deadline.remaining() <= kWriteRetryPause) break;
        ctx.clock.sleep_for(kWriteRetryPause);
        res = write();
    }
    if (!res) spdlog::error("Giving up on an attribute write. [what: {}, reason: {}]", what, res.error().message);
    return res;
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
