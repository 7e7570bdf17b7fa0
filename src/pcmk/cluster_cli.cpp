// SPDX-License-Identifier: GPL-2.0-or-later
// The command-line Cluster: crm_node, crm_attribute and attrd_updater
// (Pacemaker 2.1). Tool exit codes are data; "not found" becomes nullopt.

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "pgtwin/core/text.hpp"
#include "pgtwin/pcmk/cluster.hpp"
#include "pgtwin/pcmk/crm_mon.hpp"

namespace pgtwin::pcmk {
namespace {

// One Pacemaker tool call is short; never let a hung CIB eat the whole budget.
constexpr Millis kStepCap{10000};

// crm_exit_t CRM_EX_NOSUCH: "the requested item does not exist".
constexpr int kExitNoSuch = 105;

// What run_ok makes of a query that finds nothing to act on (is_not_found).
enum class Missing { Error, Ok };

// Pacemaker's spelling of the infinite scores.
constexpr int kScoreInfinity = 1000000;

// True when a failed query only means the attribute is unset. crm_attribute
// reports ENXIO ("No such device or address", exit 105); attrd_updater -Q says
// "attribute does not exist" (its exit code differs between 2.1 releases).
bool is_not_found(const sys::CommandResult& r) {
    if (r.timed_out) return false;
    return r.exit_code == kExitNoSuch || r.err.find("No such device or address") != std::string::npos ||
           r.err.find("attribute does not exist") != std::string::npos;
}

std::optional<int> parse_score(const std::string& text) {
    const std::string_view s = trim(text);
    if (s == "INFINITY" || s == "+INFINITY") return kScoreInfinity;
    if (s == "-INFINITY") return -kScoreInfinity;
    return parse_number<int>(s);
}

// The value of key="..." in one line of attrd_updater output, if present.
std::optional<std::string> field(const std::string& line, const std::string& key) {
    const std::string marker = key + "=\"";
    std::size_t pos = line.find(marker);
    while (pos != std::string::npos && pos != 0 && line[pos - 1] != ' ') {
        pos = line.find(marker, pos + 1);
    }
    if (pos == std::string::npos) return std::nullopt;
    const std::size_t begin = pos + marker.size();
    // value is the last field on the line and may itself hold quotes
    const std::size_t end = key == "value" ? line.rfind('"') : line.find('"', begin);
    if (end == std::string::npos || end < begin) return std::nullopt;
    return line.substr(begin, end - begin);
}

// Parses `attrd_updater -Q` text output (name="x" host="y" value="z" per
// line) and returns the value for `node`; nullopt when absent or empty.
std::optional<std::string> parse_attrd_query(const std::string& out, const std::string& name, const std::string& node) {
    std::size_t start = 0;
    while (start < out.size()) {
        std::size_t nl = out.find('\n', start);
        if (nl == std::string::npos) nl = out.size();
        const std::string line = out.substr(start, nl - start);
        start = nl + 1;
        const auto n = field(line, "name");
        const auto h = field(line, "host");
        auto v = field(line, "value");
        if (!v || (n && *n != name) || (h && *h != node)) continue;
        // attrd_updater -D leaves an empty value behind: that is "unset".
        if (v->empty()) return std::nullopt;
        return v;
    }
    return std::nullopt;
}

class CliCluster final : public Cluster {
public:
    CliCluster(sys::CommandRunner& runner, std::string resource) : m_runner(runner), m_resource(std::move(resource)) {}

    Result<std::string> local_node_name(const Deadline& d) override {
        auto r = run({"crm_node", "-n"}, d);
        if (!r) return r.error();
        if (!r->success()) return failure(*r, "crm_node -n");
        std::string name(trim(r->out));
        if (name.empty()) return fail(ErrorKind::Generic, "crm_node -n printed no node name");
        return name;
    }

    Result<void> set_promotion_score(const std::string& node, int score, const Deadline& d) override {
        return run_ok({"crm_attribute", "--promotion", "-N", node, "-v", std::to_string(score)}, d);
    }

    Result<std::optional<int>> promotion_score(const std::string& node, const Deadline& d) override {
        auto r = run({"crm_attribute", "--promotion", "-N", node, "-G", "-q"}, d);
        if (!r) return r.error();
        if (!r->success()) {
            if (is_not_found(*r)) return std::optional<int>{};
            return failure(*r, "crm_attribute --promotion -G");
        }
        if (trim(r->out).empty()) return std::optional<int>{};
        auto score = parse_score(r->out);
        if (!score) {
            return fail(ErrorKind::Generic,
                        fmt::format("crm_attribute printed an invalid promotion score: {}", trim(r->out)));
        }
        return std::optional<int>{*score};
    }

    Result<void> delete_promotion_score(const std::string& node, const Deadline& d) override {
        return run_ok({"crm_attribute", "--promotion", "-N", node, "-D"}, d, Missing::Ok);
    }

    Result<void> set_attribute(const std::string& node, const std::string& name, const std::string& value,
                               Lifetime lifetime, const Deadline& d) override {
        // Transient attributes belong to attrd; it also writes them to the CIB status.
        if (lifetime == Lifetime::Reboot) {
            return run_ok({"attrd_updater", "-n", name, "-N", node, "-U", value}, d);
        }
        return run_ok({"crm_attribute", "-N", node, "-n", name, "-l", "forever", "-v", value}, d);
    }

    Result<std::optional<std::string>> attribute(const std::string& node, const std::string& name, Lifetime lifetime,
                                                 const Deadline& d) override {
        if (lifetime == Lifetime::Reboot) return attrd_query(node, name, d);
        auto r = run({"crm_attribute", "-N", node, "-n", name, "-l", "forever", "-G", "-q"}, d);
        if (!r) return r.error();
        if (!r->success()) {
            if (is_not_found(*r)) return std::optional<std::string>{};
            return failure(*r, "crm_attribute -G");
        }
        std::string value(trim(r->out));
        if (value.empty()) return std::optional<std::string>{};
        return std::optional<std::string>{std::move(value)};
    }

    Result<void> set_private_attribute(const std::string& node, const std::string& name, const std::string& value,
                                       const Deadline& d) override {
        return run_ok({"attrd_updater", "-p", "-n", name, "-N", node, "-U", value}, d);
    }

    Result<std::optional<std::string>> private_attribute(const std::string& node, const std::string& name,
                                                         const Deadline& d) override {
        // Private attributes live in attrd only, and attrd answers -Q for them.
        return attrd_query(node, name, d);
    }

    Result<void> delete_private_attribute(const std::string& node, const std::string& name,
                                          const Deadline& d) override {
        // attrd cannot remove an attribute: -D sets it to "" (read back as unset).
        // -p keeps it out of the CIB should the delete create it.
        return run_ok({"attrd_updater", "-p", "-n", name, "-N", node, "-D"}, d, Missing::Ok);
    }

    Result<Membership> membership(const std::string& node, const Deadline& d) override {
        // crm_mon reads this partition's CIB: "online" there means the node
        // receives what this node writes (crm_node --partition prints text only).
        auto st = query_crm_mon(m_runner, d);
        if (!st) return st.error();
        return membership_of(*st, node);
    }

private:
    Result<sys::CommandResult> run(std::vector<std::string> argv, const Deadline& d) {
        if (d.expired()) {
            return fail(ErrorKind::Timeout, fmt::format("No time left to run {}", sys::describe(argv)));
        }
        sys::Command cmd;
        cmd.argv = std::move(argv);
        cmd.timeout = d.remaining_capped(kStepCap);
        // crm_attribute --promotion names the attribute master-<OCF_RESOURCE_INSTANCE>.
        if (std::find(cmd.argv.begin(), cmd.argv.end(), "--promotion") != cmd.argv.end()) {
            cmd.env["OCF_RESOURCE_INSTANCE"] = m_resource;
        }
        auto r = m_runner.run(cmd);
        if (!r) return r.error();
        if (r->timed_out) {
            return fail(ErrorKind::Timeout, fmt::format("{} timed out", sys::describe(cmd.argv)));
        }
        spdlog::debug("Ran Pacemaker tool. [command: {}, exit: {}]", sys::describe(cmd.argv), r->exit_code);
        return r;
    }

    Result<void> run_ok(std::vector<std::string> argv, const Deadline& d, Missing missing = Missing::Error) {
        const std::string what = argv[0] + " " + argv[1];
        auto r = run(std::move(argv), d);
        if (!r) return r.error();
        if (r->success() || (missing == Missing::Ok && is_not_found(*r))) return ok();
        return failure(*r, what);
    }

    Result<std::optional<std::string>> attrd_query(const std::string& node, const std::string& name,
                                                   const Deadline& d) {
        auto r = run({"attrd_updater", "-n", name, "-N", node, "-Q"}, d);
        if (!r) return r.error();
        if (!r->success()) {
            if (is_not_found(*r)) return std::optional<std::string>{};
            return failure(*r, "attrd_updater -Q");
        }
        return parse_attrd_query(r->out, name, node);
    }

    static Error failure(const sys::CommandResult& r, const std::string& what) {
        return fail(ErrorKind::Generic, fmt::format("{} failed with exit code {}: {}", what, r.exit_code, trim(r.err)));
    }

    sys::CommandRunner& m_runner;
    std::string m_resource;
};

}  // namespace

std::unique_ptr<Cluster> make_cli_cluster(sys::CommandRunner& runner, std::string resource) {
    return std::make_unique<CliCluster>(runner, std::move(resource));
}

}  // namespace pgtwin::pcmk
