// validate-all: configuration and installation checks that touch no data.

#include <algorithm>

#include "pgtwin/agent/actions.hpp"

namespace pgtwin::agent {

Outcome action_validate(Context& ctx) {
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

}  // namespace pgtwin::agent
