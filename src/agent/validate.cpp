// SPDX-License-Identifier: GPL-2.0-or-later
// validate-all: configuration and installation checks that touch no data,
// and, when the local instance runs, the settings and grants HA relies on.

#include <algorithm>
#include <optional>
#include <string>

#include <spdlog/spdlog.h>

#include "pgtwin/agent/actions.hpp"
#include "pgtwin/agent/connections.hpp"
#include "pgtwin/agent/data_dir.hpp"
#include "pgtwin/agent/timing.hpp"
#include "pgtwin/sys/files.hpp"

namespace pgtwin::agent {

namespace {

// Settings and grants of the running instance. Not running (or not
// answering): nothing to check, which is no configuration error.
Outcome check_running_server(Context& ctx) {
    auto s = connect_local(ctx, kLocalCap);
    if (!s) {
        spdlog::debug("validate-all: PostgreSQL does not answer; settings not checked. [reason: {}]",
                      s.error().message);
        return Outcome::success();
    }
    auto facts = pg::server_facts(**s, ctx.cfg.rep_user, ctx.deadline.capped(kLocalCap));
    if (!facts) {
        spdlog::warn("validate-all: cannot read settings; not checked. [reason: {}]", facts.error().message);
        return Outcome::success();
    }
    auto problems = server_prerequisite_problems(*facts, ctx.cfg.rep_user, ctx.cfg.rep_mode, ctx.cfg.auto_rewind);
    if (problems.empty()) return Outcome::success();
    for (const auto& p : problems) spdlog::error("Prerequisite not met. [problem: {}]", p);
    std::string reason = problems.front();
    if (problems.size() > 1) reason += " (and " + std::to_string(problems.size() - 1) + " more, see the log)";
    return Outcome::failure(ocf::Status::ErrConfigured, reason);
}

}  // namespace

// The major version as PG_VERSION spells it.
std::string major_of_version_output(const std::string& out) {
    auto pos = out.find("(PostgreSQL) ");
    if (pos == std::string::npos) return {};
    std::string v = out.substr(pos + 13);
    auto end = v.find_first_not_of("0123456789.");
    v = v.substr(0, end);
    auto dot = v.find('.');
    if (dot == std::string::npos) return v;
    if (v.compare(0, dot, "9") != 0) return v.substr(0, dot);  // 10 and later: one number
    auto dot2 = v.find('.', dot + 1);
    return dot2 == std::string::npos ? v : v.substr(0, dot2);
}

namespace {

// VM mode: data of another major version than the binaries cannot be
// started by them. ERR_INSTALLED (5), not ERR_CONFIGURED: it is this node's
// installation; the same parameters may be right on the peer (e.g. during a
// major upgrade), and rc 5 keeps the resource off this node only. Only where
// the backend says the check is cheap (not in container mode).
Outcome check_data_version(Context& ctx) {
    if (!ctx.backend.checks_data_version() || !data_present(ctx)) return Outcome::success();
    auto text = sys::read_file(ctx.backend.host_data_dir() + "/PG_VERSION");
    if (!text) return Outcome::success();
    std::string data_major = text->substr(0, text->find_first_of(" \t\r\n"));
    auto res = run_tool(ctx, backend::Tool::PgControldata, {"--version"}, kLocalCap);
    if (!res || !res->success()) return Outcome::success();  // missing tools are the backend's check
    std::string bin_major = major_of_version_output(res->out);
    if (bin_major.empty() || bin_major == data_major) return Outcome::success();
    return Outcome::failure(ocf::Status::ErrInstalled,
                            "data directory " + ctx.backend.host_data_dir() + " is PostgreSQL " + data_major +
                                " (PG_VERSION) but the installed programs are PostgreSQL " + bin_major);
}

}  // namespace

std::optional<std::string> clone_meta_problem(const ocf::MetaEnv& meta) {
    // Only what Pacemaker passed: plain ocf-tester passes none of them.
    if (meta.notify_passed && !meta.notify_enabled) {
        return "the clone needs meta attribute notify=true (pgtwin elects the primary in its notifications)";
    }
    if (meta.promoted_max && *meta.promoted_max != 1) {
        return "the clone needs promoted-max=1 (one primary), not " + std::to_string(*meta.promoted_max);
    }
    if (meta.clone_max && *meta.clone_max != 2) {
        return "the clone needs clone-max=2 (pgtwin pairs two nodes), not " + std::to_string(*meta.clone_max);
    }
    return std::nullopt;
}

Outcome validate_configuration(Context& ctx, backend::ValidateScope scope) {
    const auto& list = ctx.cfg.node_list;
    if (!list.empty() && std::find(list.begin(), list.end(), ctx.node) == list.end()) {
        // The same clone parameters are valid on the peer: a fault of this node only.
        return Outcome::failure(ocf::Status::ErrArgs, "node_list does not contain this node (" + ctx.node + ")");
    }
    // An empty node_list is filled from the cluster's nodes; pgtwin pairs
    // exactly two, so a larger cluster must say which (the same everywhere).
    if (list.size() > 2) {
        std::string names;
        for (const auto& n : list) names += (names.empty() ? "" : " ") + n;
        return Outcome::failure(ocf::Status::ErrConfigured, "the cluster has " + std::to_string(list.size()) +
                                                                " nodes (" + names +
                                                                "): set node_list to the two nodes that run pgtwin");
    }
    if (auto problem = clone_meta_problem(ctx.meta)) return Outcome::failure(ocf::Status::ErrConfigured, *problem);
    auto r = ctx.backend.validate(ctx.deadline, scope);
    if (!r) return Outcome::failure(r.error());
    return Outcome::success();
}

Outcome action_validate(Context& ctx) {
    Outcome o = validate_configuration(ctx, backend::ValidateScope::Full);
    if (o.status != ocf::Status::Success) return o;
    // Only here, not before every start: it runs a program.
    o = check_data_version(ctx);
    if (o.status != ocf::Status::Success) return o;
    return check_running_server(ctx);
}

}  // namespace pgtwin::agent
