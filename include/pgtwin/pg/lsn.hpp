// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// WAL positions (LSN) and timelines.

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pgtwin::pg {

// A WAL location, written by PostgreSQL as "X/Y" in hex.
struct Lsn {
    std::uint64_t value = 0;
    // Parses "16/B374D848"; nullopt when malformed.
    static std::optional<Lsn> parse(std::string_view text);
    // "16/B374D848"
    std::string str() const;
    // clang-tidy 14 misreads a defaulted <=> as a literal 0 for a pointer.
    auto operator<=>(const Lsn&) const = default;  // NOLINT(modernize-use-nullptr)
};

using Timeline = std::uint32_t;

// A position in WAL history: compared by timeline first, then LSN.
struct WalPosition {
    Timeline timeline = 0;
    Lsn lsn;
    // clang-tidy 14 misreads a defaulted <=> as a literal 0 for a pointer.
    auto operator<=>(const WalPosition&) const = default;  // NOLINT(modernize-use-nullptr)
};

}  // namespace pgtwin::pg
