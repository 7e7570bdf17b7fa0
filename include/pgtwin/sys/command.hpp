// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// Command and CommandRunner: the only way pgtwin runs another program.
// argv only, a timeout always, stdout and stderr kept apart.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pgtwin/core/clock.hpp"
#include "pgtwin/core/result.hpp"

namespace pgtwin::sys {

// One program invocation. No shell is ever involved.
struct Command {
    std::vector<std::string> argv;           // argv[0] is a path or a name looked up in PATH
    std::map<std::string, std::string> env;  // added to the minimal child environment
    std::optional<std::string> run_as_user;  // drop privileges to this user in the child
    std::optional<std::string> cwd;          // working directory of the child
    std::optional<std::string> stdin_data;   // written to the child's stdin, then closed
    Millis timeout{30000};                   // the whole process group is killed on expiry
    // Called with each piece of stderr as it arrives (long tools' progress);
    // the whole of stderr is still returned in CommandResult::err.
    std::function<void(std::string_view)> on_stderr{};
};

// What a finished (or killed) program produced. Its exit code is data.
struct CommandResult {
    int exit_code = -1;      // exit status, or -1 when killed by a signal
    int term_signal = 0;     // the signal that ended it, 0 if it exited
    bool timed_out = false;  // killed because the timeout expired
    std::string out;         // captured stdout
    std::string err;         // captured stderr

    bool success() const { return exit_code == 0 && !timed_out; }
};

// Runs Commands. Errors mean "could not run it" (not found: NotInstalled,
// other exec failures: Generic); a non-zero exit is a normal CommandResult.
class CommandRunner {
public:
    virtual ~CommandRunner() = default;
    // Runs `cmd` to completion or timeout.
    virtual Result<CommandResult> run(const Command& cmd) = 0;
};

// Renders argv for logs (quoted where needed). Never pass secrets in argv.
std::string describe(const std::vector<std::string>& argv);

}  // namespace pgtwin::sys
