// SPDX-License-Identifier: GPL-2.0-or-later
// describe: an argv as one quoted line for logs and exit reasons.

#include <string>
#include <vector>

#include "pgtwin/sys/command.hpp"

namespace pgtwin::sys {

std::string describe(const std::vector<std::string>& argv) {
    std::string out;
    for (const auto& a : argv) {
        if (!out.empty()) out += ' ';
        bool plain = !a.empty() && a.find_first_of(" \t\n'\"\\$`") == std::string::npos;
        if (plain) {
            out += a;
            continue;
        }
        out += '\'';
        for (char c : a) {
            if (c == '\'') out += "'\\''";
            else out += c;
        }
        out += '\'';
    }
    return out;
}

}  // namespace pgtwin::sys
