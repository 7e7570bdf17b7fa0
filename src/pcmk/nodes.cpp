// SPDX-License-Identifier: GPL-2.0-or-later
// crm_node -l: the node list of a cluster whose pgtwin resource has no node_list.

#include "pgtwin/pcmk/nodes.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

#include <fmt/format.h>

namespace pgtwin::pcmk {

namespace {

constexpr Millis kStepCap{10000};

bool all_digits(const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

}  // namespace

std::vector<std::string> parse_crm_node_list(const std::string& out) {
    std::vector<std::string> names;
    std::istringstream lines(out);
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream words(line);
        std::vector<std::string> w;
        for (std::string word; words >> word;) w.push_back(word);
        if (w.empty()) continue;
        // "<id> <name> <state>"; a node id alone (a node whose name is not
        // known yet) names nothing.
        if (w.size() >= 2 && all_digits(w[0])) {
            names.push_back(w[1]);
        } else if (w.size() == 1 && !all_digits(w[0])) {
            names.push_back(w[0]);
        }
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    names.erase(std::remove(names.begin(), names.end(), "(null)"), names.end());
    return names;
}

Result<std::vector<std::string>> cluster_nodes(sys::CommandRunner& runner, const Deadline& d) {
    if (d.expired()) return fail(ErrorKind::Timeout, "No time left to run crm_node -l");
    sys::Command cmd;
    cmd.argv = {"crm_node", "-l"};
    cmd.timeout = d.remaining_capped(kStepCap);
    auto r = runner.run(cmd);
    if (!r) return r.error();
    if (r->timed_out) return fail(ErrorKind::Timeout, "crm_node -l timed out");
    if (!r->success()) {
        return fail(ErrorKind::Generic, fmt::format("crm_node -l failed with exit code {}", r->exit_code));
    }
    return parse_crm_node_list(r->out);
}

}  // namespace pgtwin::pcmk
