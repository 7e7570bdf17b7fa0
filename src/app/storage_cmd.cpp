#include "pgtwin/app/storage_cmd.hpp"

#include <unistd.h>

#include <iostream>

#include <CLI/CLI.hpp>

#include "pgtwin/ocf/status.hpp"
#include "pgtwin/storage/btrfs.hpp"
#include "pgtwin/sys/process_runner.hpp"

namespace pgtwin::app {

namespace {

constexpr Millis kStorageBudget{120000};

std::string default_node() {
    char host[256] = {};
    return gethostname(host, sizeof host - 1) == 0 ? std::string(host) : std::string();
}

int report(const Result<void>& r) {
    if (r) return 0;
    std::cerr << "pgtwin storage: " << r.error().message << "\n";
    return ocf::to_int(ocf::status_for(r.error().kind));
}

}  // namespace

int run_storage_command(const std::vector<std::string>& args) {
    CLI::App app{"Container-mode storage: one Btrfs subvolume per node with data, config and archive",
                 "pgtwin storage"};
    app.require_subcommand(1);
    storage::Layout layout{storage::kDefaultRoot, default_node()};
    storage::LayoutOptions opts;
    std::string label;
    auto add_common = [&](CLI::App* sub) {
        sub->add_option("--root", layout.root, "Directory on a Btrfs file system")->capture_default_str();
        sub->add_option("--node", layout.node, "Node name (default: host name)")->capture_default_str();
    };
    auto* plan = app.add_subcommand("plan", "Print what init would do");
    auto* init = app.add_subcommand("init", "Create the subvolume and directories (idempotent)");
    auto* snap = app.add_subcommand("snapshot", "Take a read-only snapshot of the node's subvolume");
    for (auto* sub : {plan, init}) {
        add_common(sub);
        sub->add_option("--uid", opts.uid, "Owner uid (the container user's)")->capture_default_str();
        sub->add_option("--gid", opts.gid, "Owner gid")->capture_default_str();
    }
    add_common(snap);
    snap->add_option("--label", label, "Snapshot label, e.g. before-upgrade")->required();

    // CLI11 takes the arguments reversed, without the program name and "storage".
    std::vector<std::string> rev(args.rbegin(), args.rend() - 2);
    try {
        app.parse(rev);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : ocf::to_int(ocf::Status::ErrArgs);
    }
    opts.selinux = storage::selinux_enabled();
    SystemClock clock;
    Deadline deadline(clock, kStorageBudget);
    sys::ProcessRunner runner;
    if (*plan) {
        for (const auto& step : storage::plan_layout(layout, opts)) std::cout << step << "\n";
        return 0;
    }
    if (*init) {
        int rc = report(storage::create_layout(layout, opts, runner, deadline));
        if (rc == 0) std::cout << layout.subvolume() << "\n";
        return rc;
    }
    std::string dest = storage::snapshot_path(layout, label);
    int rc = report(storage::snapshot(layout, dest, runner, deadline));
    if (rc == 0) std::cout << dest << "\n";
    return rc;
}

}  // namespace pgtwin::app
