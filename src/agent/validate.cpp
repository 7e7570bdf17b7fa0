// validate-all: configuration and installation checks that touch no data,
// and, when the local instance runs, the settings and grants HA relies on.

#include <algorithm>

#include <spdlog/spdlog.h>

#include "pgtwin/agent/actions.hpp"
#include "pgtwin/agent/support.hpp"

namespace pgtwin::agent {

namespace {

constexpr Millis kLocalCap{5000};

// Settings and grants of the running instance. Not running (or not
// answering): nothing to check, which is no configuration error.
Outcome check_running_server(Context& ctx) {
    auto s = connect_local(ctx, kLocalCap);
    if (!s) {
        spdlog::debug("validate-all: PostgreSQL does not answer; settings not checked. [reason: {}]",
                      s.error().message);
        return {ocf::Status::Success, ""};
    }
    auto facts = pg::server_facts(**s, ctx.cfg.rep_user, ctx.deadline.capped(kLocalCap));
    if (!facts) {
        spdlog::warn("validate-all: cannot read settings; not checked. [reason: {}]", facts.error().message);
        return {ocf::Status::Success, ""};
    }
    auto problems = server_prerequisite_problems(*facts, ctx.cfg.rep_user, ctx.cfg.rep_mode, ctx.cfg.auto_rewind);
    if (problems.empty()) return {ocf::Status::Success, ""};
    for (const auto& p : problems) spdlog::error("Prerequisite not met. [problem: {}]", p);
    std::string reason = problems.front();
    if (problems.size() > 1) reason += " (and " + std::to_string(problems.size() - 1) + " more, see the log)";
    return {ocf::Status::ErrConfigured, reason};
}

}  // namespace

Outcome validate_configuration(Context& ctx) {
    const auto& list = ctx.cfg.node_list;
    if (!list.empty() && std::find(list.begin(), list.end(), ctx.node) == list.end()) {
        // The same clone parameters are valid on the peer: a fault of this node only.
        return {ocf::Status::ErrArgs, "node_list does not contain this node (" + ctx.node + ")"};
    }
    if (ctx.peer.empty()) {
        return {ocf::Status::ErrConfigured, "node_list must name this node and its peer"};
    }
    auto r = ctx.backend.validate(ctx.deadline);
    if (!r) return {ocf::status_for(r.error().kind), r.error().message};
    return {ocf::Status::Success, ""};
}

Outcome action_validate(Context& ctx) {
    Outcome o = validate_configuration(ctx);
    if (o.status != ocf::Status::Success) return o;
    return check_running_server(ctx);
}

}  // namespace pgtwin::agent
