// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// Parsing of pg_controldata output (run with LC_ALL=C).

#include <optional>
#include <string>
#include <string_view>

#include "pgtwin/core/result.hpp"
#include "pgtwin/pg/lsn.hpp"

namespace pgtwin::pg {

// "Database cluster state" values.
enum class ClusterState {
    Starting,            // "starting up"
    ShutDown,            // "shut down"            (clean primary shutdown)
    ShutDownInRecovery,  // "shut down in recovery" (clean standby shutdown)
    ShuttingDown,        // "shutting down"
    InCrashRecovery,     // "in crash recovery"
    InArchiveRecovery,   // "in archive recovery"   (standby running or crashed)
    InProduction,        // "in production"         (primary running or crashed)
    Unknown,
};

// The fields of pg_controldata the agent decides on.
struct ControlData {
    ClusterState state = ClusterState::Unknown;
    std::string system_identifier;
    Lsn checkpoint_lsn;                  // "Latest checkpoint location"
    Lsn redo_lsn;                        // "Latest checkpoint's REDO location"
    Timeline checkpoint_timeline = 0;    // "Latest checkpoint's TimeLineID"
    Lsn min_recovery_lsn;                // "Minimum recovery ending location"
    Timeline min_recovery_timeline = 0;  // "Min recovery ending loc's timeline"
    int pg_control_version = 0;
};

// Parses pg_controldata's stdout. Missing cluster state is an error.
Result<ControlData> parse_controldata(std::string_view text);

// Maps the text of "Database cluster state".
ClusterState parse_cluster_state(std::string_view text);

}  // namespace pgtwin::pg
