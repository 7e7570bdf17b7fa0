// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// Result<T>: a value or an Error. Errors carry a kind that ocf/ maps to an
// OCF exit code in exactly one place (ocf::exit_code_for).

#include <string>
#include <utility>
#include <variant>

namespace pgtwin {

// What went wrong, in terms that decide the OCF exit code.
enum class ErrorKind {
    Generic,        // soft failure, Pacemaker may retry here (OCF 1)
    InvalidArgs,    // bad configuration on this node only (OCF 2)
    Unimplemented,  // action not supported (OCF 3)
    Permission,     // insufficient privileges (OCF 4)
    NotInstalled,   // a tool or file is missing on this node (OCF 5)
    InvalidConfig,  // configuration wrong everywhere (OCF 6)
    NotRunning,     // the resource is not running (OCF 7)
    Timeout,        // a deadline expired (OCF 1)
    Unreachable,    // a deadline expired before the host answered a connection attempt at all (OCF 1)
};

// A failure with a human-readable reason (never contains secrets).
struct Error {
    ErrorKind kind = ErrorKind::Generic;
    std::string message;
};

// Builds an Error; the usual way to fail: `return fail(ErrorKind::X, "...")`.
inline Error fail(ErrorKind kind, std::string message) { return Error{kind, std::move(message)}; }

// A value of type T or an Error.
template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : m_v(std::in_place_index<0>, std::move(value)) {}      // NOLINT(google-explicit-constructor)
    Result(Error error) : m_v(std::in_place_index<1>, std::move(error)) {}  // NOLINT(google-explicit-constructor)

    bool ok() const { return m_v.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() & { return std::get<0>(m_v); }
    const T& value() const& { return std::get<0>(m_v); }
    T&& value() && { return std::get<0>(std::move(m_v)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    const Error& error() const { return std::get<1>(m_v); }
    T value_or(T fallback) const { return ok() ? value() : std::move(fallback); }

private:
    std::variant<T, Error> m_v;
};

// Success or an Error, without a value.
template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : m_error(std::move(error)), m_failed(true) {}  // NOLINT(google-explicit-constructor)

    bool ok() const { return !m_failed; }
    explicit operator bool() const { return ok(); }
    const Error& error() const { return m_error; }

private:
    Error m_error;
    bool m_failed = false;
};

// Success value for Result<void>.
inline Result<void> ok() { return {}; }

}  // namespace pgtwin
