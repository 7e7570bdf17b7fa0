// SPDX-License-Identifier: GPL-2.0-or-later
// Data directory trust: the markers that bracket clone, rewind and rebuild, and reading them back.

#include "pgtwin/agent/data_dir.hpp"

#include <spdlog/spdlog.h>

#include "pgtwin/agent/timing.hpp"
#include "pgtwin/core/text.hpp"
#include "pgtwin/sys/files.hpp"

namespace fs = std::filesystem;

namespace pgtwin::agent {

namespace {

const char* marker_suffix(DataMarker marker) {
    switch (marker) {
        case DataMarker::Clone: return "clone";
        case DataMarker::Rewind: return "rewind";
        case DataMarker::Rebuild: return "rebuild";
    }
    return "unknown";
}

}  // namespace

bool data_present(const Context& ctx) {
    std::error_code ec;
    return std::filesystem::exists(std::filesystem::path(ctx.backend.host_data_dir()) / "PG_VERSION", ec);
}

bool control_file_present(const Context& ctx) {
    std::error_code ec;
    return std::filesystem::exists(std::filesystem::path(ctx.backend.host_data_dir()) / "global" / "pg_control", ec);
}

bool backup_label_present(const Context& ctx) {
    std::error_code ec;
    return std::filesystem::exists(std::filesystem::path(ctx.backend.host_data_dir()) / "backup_label", ec);
}

Result<sys::CommandResult> run_tool(Context& ctx, backend::Tool tool, std::vector<std::string> args, Millis cap) {
    auto cmd = ctx.backend.tool_command(tool, std::move(args), ctx.deadline.capped(cap));
    if (!cmd) return cmd.error();
    cmd->timeout = std::min(cmd->timeout, ctx.deadline.remaining_capped(cap));
    auto res = ctx.runner.run(*cmd);
    if (res && res->timed_out) {
        return fail(ErrorKind::Timeout, sys::describe({cmd->argv.front()}) + " did not finish in time");
    }
    return res;
}

Result<pg::ControlData> read_controldata(Context& ctx) {
    auto res = run_tool(ctx, backend::Tool::PgControldata, {"-D", ctx.backend.data_dir_for_tools()}, kControldataCap);
    if (!res) return res.error();
    if (!res->success()) {
        return fail(ErrorKind::Generic, "pg_controldata failed: " + last_lines(res->err, 2, "; "));
    }
    return pg::parse_controldata(res->out);
}

fs::path data_dir_path(const Context& ctx) {
    fs::path dir = fs::path(ctx.backend.host_data_dir()).lexically_normal();
    // "/x/data/" normalises to "/x/data/" with an empty file name.
    if (!dir.has_filename() && dir.has_parent_path() && dir != dir.root_path()) dir = dir.parent_path();
    return dir;
}

std::string marker_path(const Context& ctx, DataMarker marker) {
    fs::path dir = data_dir_path(ctx);
    return (dir.parent_path() / ("." + dir.filename().string() + ".pgtwin-" + marker_suffix(marker))).string();
}

bool has_marker(const Context& ctx, DataMarker marker) { return sys::file_exists(marker_path(ctx, marker)); }

Result<void> set_marker(const Context& ctx, DataMarker marker) {
    std::string path = marker_path(ctx, marker);
    auto r = sys::write_file_atomic(path, "node=" + ctx.node + "\n", 0600);
    if (!r) return fail(r.error().kind, "cannot write marker " + path + ": " + r.error().message);
    return ok();
}

void clear_marker(const Context& ctx, DataMarker marker) {
    std::string path = marker_path(ctx, marker);
    if (auto r = sys::remove_file(path); !r) {
        spdlog::warn("Cannot remove marker. [path: {}, reason: {}]", path, r.error().message);
    }
}

void clear_all_markers(const Context& ctx) {
    for (DataMarker m : {DataMarker::Clone, DataMarker::Rewind, DataMarker::Rebuild}) clear_marker(ctx, m);
}

DataTrust data_trust(const Context& ctx) {
    if (has_marker(ctx, DataMarker::Clone)) return DataTrust::PartialClone;
    if (has_marker(ctx, DataMarker::Rewind)) return DataTrust::PartialRewind;
    if (has_marker(ctx, DataMarker::Rebuild)) return DataTrust::NeedsRebuild;
    if (data_present(ctx) && !control_file_present(ctx)) return DataTrust::NoControlFile;
    return DataTrust::Trusted;
}

std::string describe(DataTrust trust) {
    switch (trust) {
        case DataTrust::Trusted: return "trusted";
        case DataTrust::PartialClone: return "left by an interrupted pg_basebackup";
        case DataTrust::PartialRewind: return "left by an interrupted pg_rewind";
        case DataTrust::NeedsRebuild: return "marked for rebuilding: the WAL it needs is gone on the primary";
        case DataTrust::NoControlFile: return "holds PG_VERSION but no global/pg_control (an unfinished copy)";
    }
    return "unknown";
}

}  // namespace pgtwin::agent
