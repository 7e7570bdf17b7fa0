// notify: pre-promote publishes this node's WAL position (private attribute)
// so promote can check it is the best candidate; post-promote cleans up.

#include <spdlog/spdlog.h>

#include "pgtwin/agent/actions.hpp"
#include "pgtwin/agent/support.hpp"

namespace pgtwin::agent {

namespace {
constexpr Millis kLocalCap{5000};
}

Outcome action_notify(Context& ctx) {
    const auto& n = ctx.notify;
    auto names = attribute_names(ctx.resource);
    spdlog::debug("Notification. [type: {}, operation: {}]", n.type, n.operation);
    if (n.type == "pre" && n.operation == "promote") {
        auto s = connect_local(ctx, kLocalCap);
        if (!s) return {ocf::Status::Success, ""};  // not running: takes no part in the election
        auto st = pg::instance_status(**s, ctx.deadline.capped(kLocalCap));
        if (!st) return {ocf::Status::Success, ""};
        std::string pos = format_walpos(st->position);
        auto r = ctx.cluster.set_private_attribute(ctx.node, names.walpos, pos, ctx.deadline);
        if (!r) spdlog::warn("Could not publish WAL position. [reason: {}]", r.error().message);
        else spdlog::info("WAL position published for the election. [node: {}, position: {}]", ctx.node, pos);
    } else if (n.type == "post" && n.operation == "promote") {
        (void)ctx.cluster.delete_private_attribute(ctx.node, names.walpos, ctx.deadline);
    }
    return {ocf::Status::Success, ""};
}

}  // namespace pgtwin::agent
