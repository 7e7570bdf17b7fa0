// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// OCF 1.1 exit codes and the single mapping from error kinds to them.

#include <string_view>

#include "pgtwin/core/result.hpp"

namespace pgtwin::ocf {

// OCF resource agent exit codes (OCF 1.1, section "Exit codes").
enum class Status : int {
    Success = 0,
    ErrGeneric = 1,
    ErrArgs = 2,
    ErrUnimplemented = 3,
    ErrPerm = 4,
    ErrInstalled = 5,
    ErrConfigured = 6,
    NotRunning = 7,
    RunningPromoted = 8,
    FailedPromoted = 9,
};

// The exit code for an error kind; the only place this mapping lives.
Status status_for(ErrorKind kind);

// Numeric exit code.
inline int to_int(Status s) { return static_cast<int>(s); }

// Short lowercase name for logs ("running-promoted").
std::string_view status_name(Status s);

// Prints one "ocf-exit-reason:" line on stderr, honouring OCF_EXIT_REASON_PREFIX.
void print_exit_reason(std::string_view reason);

}  // namespace pgtwin::ocf
