#include "pgtwin/agent/publish.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace pgtwin::agent {

namespace {

long long wall_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
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

std::string state_path(const Context& ctx) {
    return ctx.state_dir + "/" + ctx.resource + "-" + ctx.node + ".json";
}

AgentState load_state(const Context& ctx) {
    AgentState state;
    std::ifstream in(state_path(ctx));
    if (!in) return state;
    try {
        auto j = nlohmann::json::parse(in);
        state.published = j.value("published", std::map<std::string, std::string>{});
        state.published_at = j.value("published_at", 0LL);
        state.replication_failures = j.value("replication_failures", 0);
        state.replay_lsn = j.value("replay_lsn", std::string());
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
    std::error_code ec;
    std::filesystem::create_directories(ctx.state_dir, ec);
    std::string path = state_path(ctx);
    std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << j.dump();
        if (!out) {
            spdlog::warn("Could not write state file. [path: {}]", tmp);
            return;
        }
    }
    std::filesystem::rename(tmp, path, ec);
    if (ec) spdlog::warn("Could not write state file. [path: {}, reason: {}]", path, ec.message());
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

Result<void> publish_attribute(Context& ctx, AgentState& state, const std::string& node,
                               const std::string& name, const std::string& value) {
    std::string key = "attr:" + node + ":" + name;
    if (is_current(state, key, value)) return ok();
    auto res = ctx.cluster.set_attribute(node, name, value, pcmk::Lifetime::Forever, ctx.deadline);
    if (!res) return res;
    spdlog::info("Node attribute set. [node: {}, name: {}, value: {}]", node, name, value);
    state.published[key] = value;
    return ok();
}

}  // namespace pgtwin::agent
