// SPDX-License-Identifier: GPL-2.0-or-later
// OCF exit codes: their names and the one mapping from error kinds.

#include "pgtwin/ocf/status.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>

namespace pgtwin::ocf {

Status status_for(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::Generic: return Status::ErrGeneric;
        case ErrorKind::InvalidArgs: return Status::ErrArgs;
        case ErrorKind::Unimplemented: return Status::ErrUnimplemented;
        case ErrorKind::Permission: return Status::ErrPerm;
        case ErrorKind::NotInstalled: return Status::ErrInstalled;
        case ErrorKind::InvalidConfig: return Status::ErrConfigured;
        case ErrorKind::NotRunning: return Status::NotRunning;
        // A missed deadline is a soft failure: Pacemaker may retry on this node.
        case ErrorKind::Timeout:
        case ErrorKind::Unreachable: return Status::ErrGeneric;
    }
    return Status::ErrGeneric;
}

std::string_view status_name(Status s) {
    switch (s) {
        case Status::Success: return "success";
        case Status::ErrGeneric: return "err-generic";
        case Status::ErrArgs: return "err-args";
        case Status::ErrUnimplemented: return "err-unimplemented";
        case Status::ErrPerm: return "err-perm";
        case Status::ErrInstalled: return "err-installed";
        case Status::ErrConfigured: return "err-configured";
        case Status::NotRunning: return "not-running";
        case Status::RunningPromoted: return "running-promoted";
        case Status::FailedPromoted: return "failed-promoted";
    }
    return "unknown";
}

void print_exit_reason(std::string_view reason) {
    // Pacemaker takes the exit reason from the last stderr line with this
    // prefix; one line only, so embedded newlines become spaces.
    const char* custom = std::getenv("OCF_EXIT_REASON_PREFIX");
    std::string line = (custom != nullptr && *custom != '\0') ? custom : "ocf-exit-reason:";
    for (char c : reason) line += (c == '\n' || c == '\r') ? ' ' : c;
    line += '\n';
    // Nothing is left to tell if stderr itself fails: the exit code still reaches Pacemaker.
    (void)std::fwrite(line.data(), 1, line.size(), stderr);
    (void)std::fflush(stderr);
}

}  // namespace pgtwin::ocf
