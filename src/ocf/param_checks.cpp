// SPDX-License-Identifier: GPL-2.0-or-later
// Value checks for agent parameters. Character sets are deliberately narrow:
// several values end up in a shell (pg_ctl), in conninfo strings or in
// PostgreSQL configuration files, where quoting mistakes become bugs.

#include "param_checks.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

namespace pgtwin::ocf::detail {
namespace {

constexpr std::size_t kMaxNameLen = 63;  // PostgreSQL NAMEDATALEN - 1

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool is_control(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
}

bool all_of_set(std::string_view value, std::string_view extra) {
    return std::all_of(value.begin(), value.end(),
                       [extra](char c) { return is_alnum(c) || extra.find(c) != std::string_view::npos; });
}

}  // namespace

Error invalid(std::string reason) { return fail(ErrorKind::InvalidConfig, std::move(reason)); }

std::vector<std::string> split_words(std::string_view text) {
    std::vector<std::string> words;
    std::string current;
    for (const char c : text) {
        if (is_space(c)) {
            if (!current.empty()) words.push_back(std::move(current));
            current.clear();
        } else {
            current.push_back(c);
        }
    }
    if (!current.empty()) words.push_back(std::move(current));
    return words;
}

Result<void> check_shell_safe_path(std::string_view value) {
    if (value.empty() || value.front() != '/') return invalid(fmt::format("'{}' is not an absolute path", value));
    if (!all_of_set(value, "/._@+-")) {
        return invalid(fmt::format("'{}' contains characters outside [A-Za-z0-9/._@+-]", value));
    }
    return ok();
}

Result<void> check_absolute_path(std::string_view value) {
    if (value.empty() || value.front() != '/') return invalid(fmt::format("'{}' is not an absolute path", value));
    return check_no_control(value);
}

Result<void> check_slot_name(std::string_view value) {
    if (value.size() > kMaxNameLen) return invalid("longer than 63 characters");
    const bool good = std::all_of(value.begin(), value.end(),
                                  [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
    if (!good) return invalid(fmt::format("'{}' may contain only [a-z0-9_]", value));
    return ok();
}

Result<void> check_pg_name(std::string_view value) {
    if (value.size() > kMaxNameLen) return invalid("longer than 63 characters");
    return check_word(value, "_.-");
}

Result<void> check_word(std::string_view value, std::string_view extra) {
    if (!all_of_set(value, extra)) {
        return invalid(fmt::format("'{}' may contain only letters, digits and '{}'", value, extra));
    }
    return ok();
}

Result<void> check_wal_size(std::string_view value) {
    if (value == "-1") return ok();
    const auto digits_end = value.find_first_not_of("0123456789");
    const std::string_view unit = digits_end == std::string_view::npos ? "" : value.substr(digits_end);
    static const std::set<std::string_view> kUnits{"", "B", "kB", "MB", "GB", "TB"};
    if (digits_end == 0 || kUnits.count(unit) == 0) {
        return invalid(fmt::format("'{}' is not -1 or a size such as 512MB or 4GB", value));
    }
    return ok();
}

Result<void> check_start_opts(std::string_view value) {
    constexpr std::string_view kForbidden = ";&|$`\\<>(){}!#~\n\r";
    if (value.find_first_of(kForbidden) != std::string_view::npos) {
        return invalid("contains shell metacharacters (one of ;&|$`\\<>(){}!#~ or a newline)");
    }
    return check_no_control(value);
}

Result<void> check_no_control(std::string_view value) {
    if (std::any_of(value.begin(), value.end(), is_control)) return invalid("contains control characters");
    return ok();
}

Result<std::vector<std::string>> parse_node_list(std::string_view value) {
    auto names = split_words(value);
    if (names.size() != 2) {
        return invalid(fmt::format("must name exactly 2 nodes separated by a space, got {}", names.size()));
    }
    if (names[0] == names[1]) return invalid(fmt::format("names '{}' twice", names[0]));
    for (const auto& name : names) {
        if (auto checked = check_word(name, "_.-"); !checked) return checked.error();
    }
    return names;
}

Result<std::map<std::string, std::string>> parse_node_addresses(std::string_view value) {
    std::map<std::string, std::string> addresses;
    for (const auto& entry : split_words(value)) {
        const auto eq = entry.find('=');
        if (eq == std::string::npos || eq == 0 || eq + 1 == entry.size()) {
            return invalid(fmt::format("entry '{}' is not of the form name=address", entry));
        }
        std::string name = entry.substr(0, eq);
        std::string address = entry.substr(eq + 1);
        if (auto checked = check_word(name, "_.-"); !checked) return checked.error();
        if (auto checked = check_word(address, "_.:-[]%"); !checked) return checked.error();
        if (!addresses.emplace(std::move(name), std::move(address)).second) {
            return invalid(fmt::format("node '{}' is listed twice", entry.substr(0, eq)));
        }
    }
    return addresses;
}

}  // namespace pgtwin::ocf::detail
