// SPDX-License-Identifier: GPL-2.0-or-later
// `pgtwin status`: reads the configuration from the CIB, collects facts and prints them.

#include "pgtwin/app/status_cmd.hpp"

#include <unistd.h>

#include <cctype>
#include <iostream>

#include <CLI/CLI.hpp>
#include <pugixml.hpp>

#include "pgtwin/agent/status.hpp"
#include "pgtwin/agent/timing.hpp"
#include "pgtwin/backend/factory.hpp"
#include "pgtwin/pcmk/cluster.hpp"
#include "pgtwin/pcmk/nodes.hpp"
#include "pgtwin/sys/process_runner.hpp"

namespace pgtwin::app {

namespace {

constexpr int kExitNoConfig = 1;

bool valid_resource_name(const std::string& name) {
    if (name.empty()) return false;
    for (char c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') return false;
    }
    return true;
}

// The CIB's primitive(s): cibadmin takes argv, so the name is validated above
// only to keep the XPath well-formed.
Result<ocf::EnvMap> env_from_cib(sys::CommandRunner& runner, const std::string& resource) {
    std::string xpath = resource.empty() ? "//primitive[@class='ocf' and @provider='pgtwin' and @type='pgtwin']"
                                         : "//primitive[@id='" + resource + "']";
    auto r = runner.run(sys::Command{{"cibadmin", "-Q", "--xpath", xpath}, {}, {}, {}, {}, agent::kStatusCibCap});
    if (!r) return fail(r.error().kind, "cannot run cibadmin: " + r.error().message);
    if (!r->success()) return fail(ErrorKind::InvalidConfig, "cibadmin found no pgtwin resource: " + r->err);
    return env_from_cib_xml(r->out, resource);
}

std::string node_name(pcmk::Cluster& cluster, const Deadline& d) {
    if (auto n = cluster.local_node_name(d); n && !n->empty()) return *n;
    char host[256] = {};
    return gethostname(host, sizeof host - 1) == 0 ? std::string(host) : std::string("localhost");
}

std::string strip_clone_suffix(std::string r) {
    auto colon = r.rfind(':');
    if (colon != std::string::npos && r.find_first_not_of("0123456789", colon + 1) == std::string::npos) r.erase(colon);
    return r;
}

// Under Pacemaker (or a test) the OCF_RESKEY_* environment is the
// configuration; at an admin's shell it comes from the CIB.
Result<ocf::EnvMap> configuration_env(sys::CommandRunner& runner, const ocf::EnvMap& env, const std::string& resource) {
    ocf::EnvMap cfg_env = env;
    if (!env.contains("OCF_RESKEY_pgdata")) {
        auto cib = env_from_cib(runner, resource);
        if (!cib) return cib.error();
        for (const auto& [k, v] : *cib) cfg_env[k] = v;
    } else if (!resource.empty()) {
        cfg_env["OCF_RESOURCE_INSTANCE"] = resource;
    }
    return cfg_env;
}

int config_error(const std::string& message) {
    std::cerr << "pgtwin status: " << message << "\n";
    return kExitNoConfig;
}

}  // namespace

Result<ocf::EnvMap> env_from_cib_xml(const std::string& xml, const std::string& resource) {
    pugi::xml_document doc;
    if (!doc.load_string(xml.c_str())) return fail(ErrorKind::InvalidConfig, "cannot parse the CIB query output");
    auto prims = doc.select_nodes("//primitive");
    if (prims.empty()) return fail(ErrorKind::InvalidConfig, "no pgtwin primitive in the CIB");
    if (prims.size() > 1) {
        return fail(ErrorKind::InvalidConfig, "several pgtwin primitives in the CIB: name one with --resource");
    }
    pugi::xml_node prim = prims.first().node();
    ocf::EnvMap env;
    env["OCF_RESOURCE_INSTANCE"] = resource.empty() ? prim.attribute("id").value() : resource;
    for (auto nv : prim.select_nodes("instance_attributes/nvpair")) {
        env[std::string("OCF_RESKEY_") + nv.node().attribute("name").value()] = nv.node().attribute("value").value();
    }
    return env;
}

int run_status_command(const std::vector<std::string>& args, const ocf::EnvMap& env) {
    CLI::App app{"Read-only report on both nodes and what the agent would do next", "pgtwin status"};
    bool as_json = false;
    std::string resource;
    app.add_flag("--json", as_json, "Print one JSON object (schema: docs/status.md)");
    bool as_prometheus = false;
    app.add_flag("--prometheus", as_prometheus, "Print Prometheus text format (node_exporter textfile collector)");
    app.add_option("--resource", resource, "The pgtwin primitive in the CIB (default: the only one)");
    std::vector<std::string> rev(args.rbegin(), args.rend() - 2);
    try {
        app.parse(rev);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : kExitNoConfig;
    }
    if (!resource.empty() && !valid_resource_name(resource)) return config_error("invalid resource name");
    sys::ProcessRunner runner;
    auto env_r = configuration_env(runner, env, resource);
    if (!env_r) return config_error(env_r.error().message);
    ocf::EnvMap& cfg_env = *env_r;
    std::string rsc = strip_clone_suffix(cfg_env.contains("OCF_RESOURCE_INSTANCE") ? cfg_env["OCF_RESOURCE_INSTANCE"]
                                                                                   : std::string("pgtwin"));
    SystemClock clock;
    Deadline deadline(clock, agent::kStatusBudget);
    auto cluster = pcmk::make_cli_cluster(runner, rsc);
    ocf::MetaEnv meta = ocf::parse_meta(cfg_env);
    std::string node =
        meta.on_node.empty() ? node_name(*cluster, deadline.capped(agent::kStatusPcmkCap)) : meta.on_node;
    auto cfg = ocf::parse_config(cfg_env, node);
    if (!cfg) return config_error(cfg.error().message);
    auto backend = backend::make_backend(*cfg, node, runner, clock);
    if (!backend) return config_error(backend.error().message);
    auto connector = pg::make_libpq_connector();
    std::string peer;
    if (cfg->node_list.empty()) {  // node_list optional: the cluster's nodes (crm_node -l)
        if (auto nodes = pcmk::cluster_nodes(runner, deadline.capped(agent::kStatusPcmkCap))) cfg->node_list = *nodes;
    }
    for (const auto& n : cfg->node_list) {
        if (n != node) peer = n;
    }
    agent::Context ctx{*cfg,   meta,  {},        node,       peer,     rsc,     "/run/pgtwin",
                       runner, clock, **backend, *connector, *cluster, deadline};
    auto facts = agent::collect_status(ctx);
    if (as_prometheus) std::cout << agent::status_prometheus(facts);
    else if (as_json) std::cout << agent::status_json(facts).dump(2) << "\n";
    else std::cout << agent::status_text(facts);
    return 0;
}

}  // namespace pgtwin::app
