// SPDX-License-Identifier: GPL-2.0-or-later
// WAL position parsing and formatting.

#include "pgtwin/pg/lsn.hpp"
#include "pgtwin/core/text.hpp"

#include <fmt/format.h>

namespace pgtwin::pg {
namespace {

// Parses 1..8 hex digits (one half of an LSN); nullopt otherwise.
std::optional<std::uint32_t> parse_hex_half(std::string_view text) {
    if (text.empty() || text.size() > 8) {
        return std::nullopt;
    }
    return parse_number<std::uint32_t>(text, 16);
}

}  // namespace

std::optional<Lsn> Lsn::parse(std::string_view text) {
    // PostgreSQL prints an LSN as two 32-bit halves in upper-case hex: "%X/%X".
    auto slash = text.find('/');
    if (slash == std::string_view::npos) {
        return std::nullopt;
    }
    auto hi = parse_hex_half(text.substr(0, slash));
    auto lo = parse_hex_half(text.substr(slash + 1));
    if (!hi || !lo) {
        return std::nullopt;
    }
    return Lsn{(std::uint64_t{*hi} << 32U) | *lo};
}

std::string Lsn::str() const {
    return fmt::format("{:X}/{:X}", static_cast<std::uint32_t>(value >> 32U),
                       static_cast<std::uint32_t>(value & 0xFFFFFFFFU));
}

}  // namespace pgtwin::pg
