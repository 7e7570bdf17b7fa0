// SPDX-License-Identifier: GPL-2.0-or-later
// The entry behind main: argv and environment to an OCF action, admin command or clone job, and its exit code.

#include "pgtwin/app/run.hpp"

#include <unistd.h>

#include <cstdio>
#include <iostream>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "pgtwin/agent/actions.hpp"
#include "pgtwin/agent/clone_job.hpp"
#include "pgtwin/agent/timing.hpp"
#include "pgtwin/app/logging.hpp"
#include "pgtwin/app/man_page.hpp"
#include "pgtwin/app/status_cmd.hpp"
#include "pgtwin/app/storage_cmd.hpp"
#include "pgtwin/backend/factory.hpp"
#include "pgtwin/ocf/actions.hpp"
#include "pgtwin/ocf/metadata.hpp"
#include "pgtwin/ocf/status.hpp"
#include "pgtwin/pcmk/cluster.hpp"
#include "pgtwin/pcmk/nodes.hpp"
#include "pgtwin/sys/detach.hpp"
#include "pgtwin/sys/process_runner.hpp"

namespace pgtwin::app {

namespace {

using ocf::Status;

std::string usage() {
    return "usage: pgtwin {" + ocf::action_names_for_usage() +
           "}\n"
           "       pgtwin version | pgtwin params-doc | pgtwin storage {plan|init|snapshot|list|restore|prune} --help\n"
           "       pgtwin status [--json|--prometheus] [--resource NAME]\n"
           "pgtwin is an OCF resource agent (ocf:pgtwin:pgtwin); Pacemaker passes its parameters as OCF_RESKEY_*.\n";
}

// Hidden: the supervised clone job that start launches (clone_job.hpp).
constexpr const char* kCloneJob = "clone-job";

std::string env_or(const ocf::EnvMap& env, const std::string& key, const std::string& fallback) {
    auto it = env.find(key);
    return it == env.end() || it->second.empty() ? fallback : it->second;
}

// OCF_RESOURCE_INSTANCE without a clone instance suffix ("pgsql:1" -> "pgsql").
std::string resource_name(const ocf::EnvMap& env) {
    std::string r = env_or(env, "OCF_RESOURCE_INSTANCE", "pgtwin");
    auto colon = r.rfind(':');
    if (colon != std::string::npos && r.find_first_not_of("0123456789", colon + 1) == std::string::npos) {
        r.erase(colon);
    }
    return r;
}

// Node name: Pacemaker's meta attribute, crm_node -n, then the host name.
std::string node_name(const ocf::MetaEnv& meta, pcmk::Cluster& cluster, const Deadline& d) {
    if (!meta.on_node.empty()) return meta.on_node;
    if (auto n = cluster.local_node_name(d); n && !n->empty()) return *n;
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) == 0) return host;
    return "localhost";
}

std::string peer_of(const ocf::Config& cfg, const std::string& node) {
    if (cfg.node_list.size() != 2) return {};  // validate-all explains a longer list
    for (const auto& n : cfg.node_list) {
        if (n != node) return n;
    }
    return {};
}

// An empty node_list is taken from the cluster (crm_node -l). Without a
// cluster (ocf-tester) it stays empty and the agent runs without a peer; but
// when Pacemaker runs the agent (on_node set) a failed lookup must not look
// like "no peer" to an action that decides with the peer.
Result<void> fill_node_list(ocf::Config& cfg, const ocf::MetaEnv& meta, const std::string& action,
                            sys::CommandRunner& runner, const Deadline& d) {
    if (!cfg.node_list.empty()) return ok();
    auto nodes = pcmk::cluster_nodes(runner, d);
    if (nodes) {
        cfg.node_list = std::move(*nodes);
        return ok();
    }
    bool peer_matters = action != "monitor" && action != "stop";
    if (!meta.on_node.empty() && peer_matters) {
        return fail(ErrorKind::Generic,
                    "node_list is empty and the cluster's node list cannot be read: " + nodes.error().message);
    }
    spdlog::info("No cluster node list: running without a peer. [reason: {}]", nodes.error().message);
    return ok();
}

int finish(const agent::Outcome& outcome, std::string_view action) {
    bool failure = outcome.status != Status::Success && outcome.status != Status::RunningPromoted &&
                   outcome.status != Status::NotRunning;
    if (!outcome.reason.empty() && (failure || outcome.status == Status::NotRunning)) {
        ocf::print_exit_reason(outcome.reason);
        spdlog::log(failure ? spdlog::level::err : spdlog::level::info, "{} [action: {}, rc: {}]", outcome.reason,
                    action, ocf::to_int(outcome.status));
    } else {
        spdlog::debug("Action finished. [action: {}, rc: {}]", action, ocf::to_int(outcome.status));
    }
    return ocf::to_int(outcome.status);
}

int run_action(const std::string& action, const ocf::EnvMap& env) {
    const std::string resource = resource_name(env);
    setup_logging(env, action, resource);
    SystemClock clock;
    ocf::MetaEnv meta = ocf::parse_meta(env);
    // Keep a margin so the agent always answers before Pacemaker's timeout.
    Millis margin = std::min(agent::kActionMargin, meta.timeout / 10);
    // The clone job outlives the start action on purpose: a clone takes as
    // long as the database needs; the bound only keeps timeouts finite.
    const bool clone_job = action == kCloneJob;
    Deadline deadline(clock, clone_job ? agent::kCloneJobBound : meta.timeout - margin);
    sys::ProcessRunner runner;
    auto cluster = pcmk::make_cli_cluster(runner, resource);
    std::string node = node_name(meta, *cluster, deadline.capped(agent::kNodeLookupCap));

    for (const auto& name : ocf::deprecated_parameters_set(env)) {
        spdlog::warn("Parameter is deprecated and ignored. [parameter: {}]", name);
    }
    for (const auto& name : ocf::unknown_parameters(env)) {
        spdlog::warn("Unknown parameter ignored. [parameter: {}]", name);
    }
    auto cfg = ocf::parse_config(env, node);
    if (!cfg) return finish(agent::Outcome::failure(cfg.error()), action);
    if (auto r = fill_node_list(*cfg, meta, action, runner, deadline.capped(agent::kNodeLookupCap)); !r) {
        return finish(agent::Outcome::failure(r.error()), action);
    }
    auto backend = backend::make_backend(*cfg, node, runner, clock);
    if (!backend) return finish(agent::Outcome::failure(backend.error()), action);
    auto connector = pg::make_libpq_connector();

    agent::Context ctx{*cfg,
                       meta,
                       pcmk::parse_notify(env),
                       node,
                       peer_of(*cfg, node),
                       resource,
                       env_or(env, "PGTWIN_STATE_DIR", "/run/pgtwin"),
                       runner,
                       clock,
                       **backend,
                       *connector,
                       *cluster,
                       deadline};
    spdlog::debug("Action starting. [action: {}, node: {}, peer: {}, mode: {}, timeout_ms: {}]", action, node, ctx.peer,
                  (*backend)->mode_name(), meta.timeout.count());
    if (clone_job) return finish(agent::run_clone_job(ctx, sys::signal_ready), action);
    return finish(agent::dispatch(action, ctx), action);
}

}  // namespace

int run(const std::vector<std::string>& args, const ocf::EnvMap& env) {
    // spdlog's default logger writes to stdout, which carries only meta-data
    // and command output: admin commands log to stderr, OCF actions to the
    // sinks setup_logging() chooses.
    spdlog::set_default_logger(spdlog::stderr_logger_st("pgtwin"));
    std::string action = args.size() > 1 ? args[1] : "";
    const auto known = ocf::parse_action(action);
    if (known == ocf::Action::MetaData) {
        std::cout << ocf::metadata_xml();
        return 0;
    }
    if (known == ocf::Action::Usage || action == "help" || action == "--help" || action == "-h") {
        std::cout << usage();
        return 0;
    }
    if (known == ocf::Action::Methods) {
        std::cout << ocf::methods_text();
        return 0;
    }
    if (action == "version" || action == "--version") {
        std::cout << "pgtwin " << PGTWIN_VERSION << "\n";
        return 0;
    }
    if (action == "params-doc") {
        std::cout << ocf::parameters_markdown();
        return 0;
    }
    if (action == "man-page") return run_man_page_command(args);  // hidden: the build makes the man pages
    if (action == "storage") return run_storage_command(args);
    if (action == "status") return run_status_command(args, env);
    if (!agent::is_agent_action(action) && action != kCloneJob) {
        std::cerr << usage();
        ocf::print_exit_reason(action.empty() ? "no action given" : "unknown action '" + action + "'");
        return ocf::to_int(Status::ErrUnimplemented);
    }
    return run_action(action, env);
}

}  // namespace pgtwin::app
