// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// Small text helpers shared by every layer: trimming white space, the last
// lines of a tool's output, and whole-string number parsing with
// std::from_chars (no locale, no exceptions, no partial matches).

#include <charconv>
#include <concepts>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace pgtwin {

// `text` without leading and trailing white space (space, \t, \r, \n, \v, \f).
std::string_view trim(std::string_view text);

// `text` without trailing white space.
std::string_view trim_end(std::string_view text);

// The last `n` non-empty lines of `text` (a '\r' ending a line dropped),
// joined by `separator`: a tool's last words for an exit reason or a log.
std::string last_lines(std::string_view text, std::size_t n, std::string_view separator);

// The whole of `text` as an integer in `base`; nullopt when it is empty, holds
// anything but the number, or the number does not fit in T.
template <std::integral T>
std::optional<T> parse_number(std::string_view text, int base = 10) {
    if (text.empty()) return std::nullopt;
    T value{};
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value, base);
    if (ec != std::errc{} || ptr != end) return std::nullopt;
    return value;
}

}  // namespace pgtwin
