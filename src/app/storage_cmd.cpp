// SPDX-License-Identifier: GPL-2.0-or-later
// `pgtwin storage ...`: the Btrfs layout commands for administrators.

#include "pgtwin/app/storage_cmd.hpp"

#include <filesystem>
#include <iostream>
#include <optional>

#include <CLI/CLI.hpp>

#include "pgtwin/ocf/status.hpp"
#include "pgtwin/pcmk/cluster.hpp"
#include "pgtwin/storage/btrfs.hpp"
#include "pgtwin/storage/snapshots.hpp"
#include "pgtwin/sys/process_runner.hpp"

namespace pgtwin::app {

namespace {

constexpr Millis kStorageBudget{120000};
constexpr Millis kNodeNameCap{10000};

struct StorageArgs {
    storage::Layout layout{storage::kDefaultRoot, ""};
    storage::LayoutOptions opts;
    std::string label;
    std::string snapshot;
    std::string to;
    std::optional<unsigned> keep;  // prune: default 3, or 1 with --min-free
    std::optional<unsigned> min_free;
};

int report(const Error& e) {
    std::cerr << "pgtwin storage: " << e.message << "\n";
    return ocf::to_int(ocf::status_for(e.kind));
}

// The layout is named after the Pacemaker node name (what the agent derives
// pgdata from), which need not be the host name.
Result<std::string> pacemaker_node_name(sys::CommandRunner& runner, const Deadline& d) {
    auto cluster = pcmk::make_cli_cluster(runner, "pgtwin");
    auto name = cluster->local_node_name(d.capped(kNodeNameCap));
    if (!name) {
        return fail(ErrorKind::InvalidArgs, "cannot read this node's Pacemaker name with crm_node -n (" +
                                                name.error().message + "); give --node");
    }
    return *name;
}

// A snapshot given by label (of this node's subvolume) or by path.
std::string snapshot_of(const StorageArgs& a) {
    return a.snapshot.find('/') == std::string::npos ? storage::snapshot_path(a.layout, a.snapshot) : a.snapshot;
}

int restore(const StorageArgs& a, sys::CommandRunner& runner, const Deadline& d) {
    std::string snap = snapshot_of(a);
    std::string label = std::filesystem::path(snap).filename().string();
    if (auto dot = label.find('.'); dot != std::string::npos) label.erase(0, dot + 1);
    std::string to = a.to.empty() ? a.layout.subvolume() + "-restored." + label : a.to;
    if (auto r = storage::restore_snapshot(snap, to, runner, d); !r) return report(r.error());
    std::cout << to << "/data\n";
    return 0;
}

int run_chosen(CLI::App& app, const StorageArgs& a, sys::CommandRunner& runner, const Deadline& d) {
    const std::string chosen = app.get_subcommands().front()->get_name();
    if (chosen == "plan") {
        for (const auto& step : storage::plan_layout(a.layout, a.opts)) std::cout << step << "\n";
        return 0;
    }
    if (chosen == "init") {
        if (auto r = storage::create_layout(a.layout, a.opts, runner, d); !r) return report(r.error());
        std::cout << a.layout.subvolume() << "\n";
        return 0;
    }
    if (chosen == "snapshot") {
        std::string dest = storage::snapshot_path(a.layout, a.label);
        if (auto r = storage::snapshot(a.layout, dest, runner, d); !r) return report(r.error());
        std::cout << dest << "\n";
        return 0;
    }
    if (chosen == "list") {
        for (const auto& s : storage::list_snapshots(a.layout.subvolume())) {
            std::cout << s.label << "\t" << (s.automatic ? "automatic" : "manual") << "\t" << s.path << "\n";
        }
        return 0;
    }
    if (chosen == "prune") {
        auto deleted = a.min_free
                           ? storage::prune_for_space(
                                 a.layout.subvolume(),
                                 {.min_free_share = *a.min_free / 100.0, .keep_newest = a.keep.value_or(1)}, runner, d)
                           : storage::prune_snapshots(a.layout.subvolume(), a.keep.value_or(3), runner, d);
        if (!deleted) return report(deleted.error());
        for (const auto& path : *deleted) std::cout << "deleted " << path << "\n";
        return 0;
    }
    return restore(a, runner, d);
}

}  // namespace

int run_storage_command(const std::vector<std::string>& args) {
    CLI::App app{"Container-mode storage: one Btrfs subvolume per node with data, config and archive",
                 "pgtwin storage"};
    app.require_subcommand(1);
    StorageArgs a;
    auto* plan = app.add_subcommand("plan", "Print what init would do now, step by step");
    auto* init = app.add_subcommand("init", "Create the subvolume and directories (idempotent)");
    auto* snap = app.add_subcommand("snapshot", "Take a read-only snapshot of the node's subvolume");
    auto* list = app.add_subcommand("list", "List the node's snapshots, oldest of the agent's last");
    auto* restore_cmd = app.add_subcommand("restore", "Copy a snapshot into a writable, startable directory");
    auto* prune = app.add_subcommand("prune", "Delete the agent's older snapshots (manual ones are kept)");
    for (auto* sub : {plan, init, snap, list, restore_cmd, prune}) {
        sub->add_option("--root", a.layout.root, "Directory on a Btrfs file system")->capture_default_str();
        sub->add_option("--node", a.layout.node, "Node name (default: crm_node -n, the Pacemaker node name)");
    }
    for (auto* sub : {plan, init}) {
        sub->add_option("--uid", a.opts.uid, "Owner uid (the container user's)")->capture_default_str();
        sub->add_option("--gid", a.opts.gid, "Owner gid")->capture_default_str();
    }
    snap->add_option("--label", a.label, "Snapshot label, e.g. before-upgrade")->required();
    restore_cmd->add_option("snapshot", a.snapshot, "Snapshot label (see list) or path")->required();
    restore_cmd->add_option("--to", a.to, "New directory (default: <root>/@postgres-<node>-restored.<label>)");
    prune->add_option("--keep", a.keep,
                      "How many of the agent's snapshots remain (default 3; with --min-free: at least 1)");
    prune
        ->add_option("--min-free", a.min_free,
                     "Instead: delete the oldest only while the file system has less than this % free "
                     "(what the agent does with snapshot_min_free)")
        ->check(CLI::Range(1, 90));

    // CLI11 takes the arguments reversed, without the program name and "storage".
    std::vector<std::string> rev(args.rbegin(), args.rend() - 2);
    try {
        app.parse(rev);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : ocf::to_int(ocf::Status::ErrArgs);
    }
    a.opts.selinux = storage::selinux_enabled();
    SystemClock clock;
    Deadline deadline(clock, kStorageBudget);
    sys::ProcessRunner runner;
    if (a.layout.node.empty()) {
        auto node = pacemaker_node_name(runner, deadline);
        if (!node) return report(node.error());
        a.layout.node = *node;
    }
    return run_chosen(app, a, runner, deadline);
}

}  // namespace pgtwin::app
