// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// The data directory: what it holds, the PostgreSQL tools run on it, and
// whether a stopped one can be trusted as it is. Work that leaves it unusable
// when interrupted (pg_basebackup, pg_rewind) is bracketed by a marker file
// next to it, and a standby whose WAL is gone on the primary is marked for
// rebuilding; start repairs what the markers name.

#include <filesystem>
#include <string>
#include <vector>

#include "pgtwin/agent/context.hpp"
#include "pgtwin/pg/controldata.hpp"

namespace pgtwin::agent {

// True when the data directory holds a cluster (PG_VERSION exists).
bool data_present(const Context& ctx);

// True when global/pg_control exists. pg_basebackup sends it last, so
// PG_VERSION without it is an unfinished clone that pg_controldata cannot read.
bool control_file_present(const Context& ctx);

// True when backup_label exists: a base backup that never started recovery.
bool backup_label_present(const Context& ctx);

// Runs a PostgreSQL tool through the backend, bounded by `cap` and the deadline.
Result<sys::CommandResult> run_tool(Context& ctx, backend::Tool tool, std::vector<std::string> args, Millis cap);

// Runs pg_controldata on the (stopped) data directory and parses it.
Result<pg::ControlData> read_controldata(Context& ctx);

// The markers kept next to the data directory.
enum class DataMarker { Clone, Rewind, Rebuild };

// What start must do to a stopped data directory before running it.
enum class DataTrust {
    Trusted,        // start it (or rejoin it) as usual
    PartialClone,   // pg_basebackup was interrupted: discard and clone again
    PartialRewind,  // pg_rewind was interrupted: unrecoverable, clone (old data kept)
    NeedsRebuild,   // the WAL it needs is gone on the primary: set aside, clone
    NoControlFile,  // PG_VERSION without global/pg_control: set aside, clone
};

// The data directory without trailing separators ("/x/data/" -> "/x/data").
std::filesystem::path data_dir_path(const Context& ctx);

// Where `marker` lives: beside the data directory, never inside it
// (pg_basebackup needs an empty directory, pg_rewind deletes files the
// source lacks).
std::string marker_path(const Context& ctx, DataMarker marker);

// True when `marker` exists.
bool has_marker(const Context& ctx, DataMarker marker);

// Writes `marker` durably (fsync) before the work it guards starts.
Result<void> set_marker(const Context& ctx, DataMarker marker);

// Removes `marker`; a failure is logged (the next start repairs again).
void clear_marker(const Context& ctx, DataMarker marker);

// Removes every marker: the directory they describe is gone.
void clear_all_markers(const Context& ctx);

// Reads the markers and the directory: what start must repair first.
DataTrust data_trust(const Context& ctx);

// The reason in words, for logs and exit reasons.
std::string describe(DataTrust trust);

}  // namespace pgtwin::agent
