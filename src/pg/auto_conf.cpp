// SPDX-License-Identifier: GPL-2.0-or-later
// postgresql.auto.conf editing. The file has PostgreSQL's configuration file
// syntax: `name = value` or `name value`, `#` comments, values either bare
// tokens or single-quoted strings.

#include "pgtwin/pg/auto_conf.hpp"

#include <cctype>
#include <set>
#include <vector>

namespace pgtwin::pg {
namespace {

struct ParsedLine {
    std::string key;    // lower-cased; empty when the line sets nothing
    std::string value;  // unquoted
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

bool is_name_char(char c) {
    auto u = static_cast<unsigned char>(c);
    return std::isalnum(u) != 0 || c == '_' || c == '.' || c == '$';
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

// Decodes the inside of a quoted value the way PostgreSQL's config reader
// does: '' is a quote, backslash escapes \b \f \n \r \t and octal \ooo,
// any other escaped character stands for itself.
std::string unescape_quoted(std::string_view body) {
    std::string out;
    for (std::size_t i = 0; i < body.size(); ++i) {
        char c = body[i];
        if (c == '\'' && i + 1 < body.size() && body[i + 1] == '\'') {
            out += '\'';
            ++i;
        } else if (c == '\\' && i + 1 < body.size()) {
            char n = body[++i];
            switch (n) {
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                default:
                    if (n >= '0' && n <= '7') {
                        int v = 0;
                        std::size_t k = 0;
                        for (; k < 3 && i + k < body.size() && body[i + k] >= '0' && body[i + k] <= '7'; ++k) {
                            v = v * 8 + (body[i + k] - '0');
                        }
                        i += k - 1;
                        out += static_cast<char>(v & 0xFF);
                    } else {
                        out += n;
                    }
            }
        } else {
            out += c;
        }
    }
    return out;
}

// Reads a quoted value starting at the opening quote; returns the raw body.
std::string_view quoted_body(std::string_view rest) {
    std::size_t i = 1;
    while (i < rest.size()) {
        if (rest[i] == '\\') {
            i += 2;
        } else if (rest[i] == '\'') {
            if (i + 1 < rest.size() && rest[i + 1] == '\'') {
                i += 2;
            } else {
                return rest.substr(1, i - 1);
            }
        } else {
            ++i;
        }
    }
    return rest.substr(1);  // unterminated: take what is there
}

ParsedLine parse_line(std::string_view line) {
    std::size_t i = 0;
    while (i < line.size() && is_space(line[i])) ++i;
    std::size_t start = i;
    while (i < line.size() && is_name_char(line[i])) ++i;
    if (i == start) {
        return {};  // blank line, comment or something we do not own
    }
    ParsedLine p{lower(line.substr(start, i - start)), {}};
    while (i < line.size() && is_space(line[i])) ++i;
    if (i < line.size() && line[i] == '=') ++i;
    while (i < line.size() && is_space(line[i])) ++i;
    std::string_view rest = line.substr(i);
    if (!rest.empty() && rest.front() == '\'') {
        p.value = unescape_quoted(quoted_body(rest));
    } else {
        std::size_t end = 0;
        while (end < rest.size() && !is_space(rest[end]) && rest[end] != '#') ++end;
        p.value = std::string(rest.substr(0, end));
    }
    return p;
}

std::vector<std::string_view> split_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        auto nl = text.find('\n');
        lines.push_back(text.substr(0, nl));
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    }
    return lines;
}

std::string setting_line(const std::string& key, const std::string& value) {
    return key + " = " + quote_conf_value(value) + "\n";
}

}  // namespace

std::string quote_conf_value(std::string_view value) {
    // PostgreSQL's reader treats backslash as an escape inside quoted values,
    // so backslashes are doubled as well as quotes (ALTER SYSTEM does the same).
    std::string out = "'";
    for (char c : value) {
        if (c == '\'' || c == '\\') {
            out += c;
        }
        out += c;
    }
    out += '\'';
    return out;
}

std::optional<std::string> read_auto_conf_value(std::string_view text, std::string_view name) {
    // A key may appear several times; PostgreSQL uses the last occurrence.
    std::optional<std::string> found;
    const std::string key = lower(name);
    for (auto line : split_lines(text)) {
        ParsedLine p = parse_line(line);
        if (!p.key.empty() && p.key == key) {
            found = std::move(p.value);
        }
    }
    return found;
}

std::string apply_auto_conf_changes(std::string_view text, const SettingChanges& changes) {
    std::map<std::string, const std::optional<std::string>*> wanted;
    for (const auto& [key, value] : changes) {
        wanted.emplace(lower(key), &value);
    }
    std::set<std::string> written;
    std::string out;
    for (auto line : split_lines(text)) {
        ParsedLine p = parse_line(line);
        auto it = p.key.empty() ? wanted.end() : wanted.find(p.key);
        if (it == wanted.end()) {
            out.append(line);
            out += '\n';
            continue;
        }
        // Every occurrence of a changed key collapses into one line at the
        // position of the first, so no stale later line can win.
        if (*it->second && written.insert(p.key).second) {
            out += setting_line(p.key, **it->second);
        }
    }
    for (const auto& [key, value] : wanted) {
        if (*value && written.count(key) == 0) {
            out += setting_line(key, **value);
        }
    }
    return out;
}

}  // namespace pgtwin::pg
