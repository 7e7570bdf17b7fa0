// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// ProcessRunner: the real CommandRunner (fork/exec, process groups, poll()).

#include "pgtwin/sys/command.hpp"

namespace pgtwin::sys {

// Runs commands as child processes: argv only, minimal environment, own
// process group (killed as a whole on timeout), privileges dropped in the
// child when run_as_user is set, stdout/stderr captured separately.
class ProcessRunner final : public CommandRunner {
public:
    // Runs `cmd`; an Error only when it could not be started.
    Result<CommandResult> run(const Command& cmd) override;
};

}  // namespace pgtwin::sys
