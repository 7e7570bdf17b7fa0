// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// The supervised clone job: start hands pg_basebackup to a detached job (the
// agent binary, `pgtwin clone-job`) so that a clone of any size outlives the
// start timeout. The job records its pid, kernel start time, progress and
// result in <state_dir>/<rsc>-<node>.clone.json; monitor, promote, stop and
// `pgtwin status` read it.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pgtwin/agent/context.hpp"
#include "pgtwin/agent/decisions.hpp"

namespace pgtwin::agent {

// Phases of a job, as stored in the state file.
inline constexpr const char* kJobCloning = "cloning";    // pg_basebackup runs
inline constexpr const char* kJobStarting = "starting";  // PostgreSQL is being started as a standby
inline constexpr const char* kJobDone = "done";          // the standby runs; marker removed
inline constexpr const char* kJobFailed = "failed";      // ended with `error`
inline constexpr const char* kJobStopped = "stopped";    // killed by stop

// What the state file holds.
struct CloneJobState {
    long pid = 0;
    unsigned long long start_time = 0;  // /proc/<pid>/stat field 22: a reused pid differs
    std::string phase = kJobCloning;
    std::string source;        // the peer cloned from
    long long started_at = 0;  // unix seconds
    long long updated_at = 0;  // unix seconds
    long long done_kb = 0;
    long long total_kb = 0;
    double rate_kbs = 0;  // over the last progress interval
    std::string error;    // last error line when failed
};

// <state_dir>/<rsc>-<node>.clone.json and .clone.log.
std::string clone_state_path(const Context& ctx);
std::string clone_log_path(const Context& ctx);

// JSON text of a state, and back (nullopt for unreadable or foreign text).
std::string format_clone_state(const CloneJobState& s);
std::optional<CloneJobState> parse_clone_state(std::string_view text);

// The state file, if present and readable.
std::optional<CloneJobState> load_clone_state(const Context& ctx);

// Writes the state file (0600, atomically); failures are logged.
void save_clone_state(const Context& ctx, const CloneJobState& s);

// Reads a process's kernel start time (nullopt: no such live process).
using StartTimeProbe = std::function<std::optional<unsigned long long>(long pid)>;

// True when the recorded job still runs: its phase is not final and its pid
// exists with the same start time.
bool clone_job_alive(const CloneJobState& s, const StartTimeProbe& probe);

// The live job of this node, if any (real /proc probe).
std::optional<CloneJobState> live_clone_job(const Context& ctx);

// One pg_basebackup --progress report: "  1234/5678 kB (21%), 0/1 tablespace ...".
struct CloneProgress {
    long long done_kb = 0;
    long long total_kb = 0;
};

// Parses one --progress line; nullopt for any other line.
std::optional<CloneProgress> parse_progress_line(std::string_view line);

// Splits stderr chunks into lines (pg_basebackup ends progress lines with
// '\r' on a terminal, '\n' otherwise) and returns the last progress seen.
class ProgressReader {
public:
    // Feeds a chunk; returns the newest complete progress line in it, if any.
    std::optional<CloneProgress> feed(std::string_view chunk);
    // The last non-progress line (an error message), for the state's `error`.
    const std::string& last_message() const { return m_last_message; }

private:
    std::string m_partial;
    std::string m_last_message;
};

// pg_basebackup's arguments for a clone into `data_dir` (max_rate empty:
// unlimited). --progress feeds the job's progress reports.
std::vector<std::string> basebackup_args(const std::string& data_dir, const std::string& conninfo,
                                         const std::string& slot, const std::string& max_rate);

// What monitor knows about the clone job.
struct CloneMonitorFacts {
    std::optional<CloneJobState> job;  // its recorded state; nullopt: none
    bool alive = false;                // its pid runs with the recorded start time
    bool clone_marker = false;         // the data directory holds the clone marker
    bool probe = false;                // this monitor is a probe
};

// Monitor's view of the job. nullopt: the job does not decide, monitor goes on
// as usual. A live job: running, unpromoted. A failed or vanished job, or the
// clone marker without a live job: a failure Pacemaker recovers (not in a
// probe: after a reboot the marker alone means "not running" and start repairs).
std::optional<Outcome> decide_clone_monitor(const CloneMonitorFacts& f);

// How start runs a job: the real one detaches `pgtwin clone-job`; unit tests
// run the job's body in-process.
using CloneJobLauncher = std::function<Result<void>(Context& ctx)>;

// Replaces the launcher (tests); an empty function restores the real one.
void set_clone_job_launcher(CloneJobLauncher launcher);

// Start's hand-off: marks the directory, starts the job and waits for it while
// the start timeout allows: true when the job finished (PostgreSQL runs as a
// standby), false when it still runs as the deadline nears (monitor follows it).
Result<bool> hand_clone_to_job(Context& ctx);

// The job's body (`pgtwin clone-job`): clone, standby config, start
// PostgreSQL, remove the marker; records each step in the state file.
// `ready` is called once the state file names this process.
Outcome run_clone_job(Context& ctx, const std::function<void()>& ready);

// Stop's part: kills a live job's process group (TERM, then KILL near
// `deadline`) and records it as stopped. The clone marker stays.
Result<void> stop_clone_job(Context& ctx, const Deadline& deadline);

}  // namespace pgtwin::agent
