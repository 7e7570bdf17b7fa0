// SPDX-License-Identifier: GPL-2.0-or-later
// Text helpers shared by every layer: trim, last lines, number parsing.

#include "pgtwin/core/text.hpp"

#include <vector>

namespace pgtwin {

namespace {
constexpr std::string_view kWhiteSpace = " \t\r\n\v\f";
}

std::string_view trim(std::string_view text) {
    auto first = text.find_first_not_of(kWhiteSpace);
    if (first == std::string_view::npos) return {};
    return trim_end(text.substr(first));
}

std::string_view trim_end(std::string_view text) {
    auto last = text.find_last_not_of(kWhiteSpace);
    return last == std::string_view::npos ? std::string_view{} : text.substr(0, last + 1);
}

std::string last_lines(std::string_view text, std::size_t n, std::string_view separator) {
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (!line.empty()) lines.push_back(line);
    }
    std::string out;
    for (std::size_t i = lines.size() > n ? lines.size() - n : 0; i < lines.size(); ++i) {
        if (!out.empty()) out += separator;
        out += lines[i];
    }
    return out;
}

}  // namespace pgtwin
