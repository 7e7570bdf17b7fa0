// SPDX-License-Identifier: GPL-2.0-or-later
// The clone job's state file, its pg_basebackup argv and progress parser,
// and monitor's decision about it: the pure parts of clone_job.hpp.

#include <unistd.h>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "pgtwin/agent/clone_job.hpp"
#include "pgtwin/agent/publish.hpp"
#include "pgtwin/core/text.hpp"
#include "pgtwin/sys/detach.hpp"
#include "pgtwin/sys/files.hpp"

namespace pgtwin::agent {

namespace {

std::string base_path(const Context& ctx) { return ctx.state_dir + "/" + ctx.resource + "-" + ctx.node + ".clone"; }

}  // namespace

std::string clone_state_path(const Context& ctx) { return base_path(ctx) + ".json"; }
std::string clone_log_path(const Context& ctx) { return base_path(ctx) + ".log"; }

std::string format_clone_state(const CloneJobState& s) {
    nlohmann::json j{{"pid", s.pid},         {"start_time", s.start_time}, {"phase", s.phase},
                     {"source", s.source},   {"started_at", s.started_at}, {"updated_at", s.updated_at},
                     {"done_kb", s.done_kb}, {"total_kb", s.total_kb},     {"rate_kbs", s.rate_kbs},
                     {"error", s.error}};
    return j.dump();
}

std::optional<CloneJobState> parse_clone_state(std::string_view text) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return std::nullopt;
    if (!j.contains("pid") || !j["pid"].is_number_integer() || !j.contains("phase") || !j["phase"].is_string()) {
        return std::nullopt;
    }
    CloneJobState s;
    s.pid = j["pid"].get<long>();
    s.phase = j["phase"].get<std::string>();
    if (j.contains("start_time") && j["start_time"].is_number_unsigned())
        s.start_time = j["start_time"].get<unsigned long long>();
    auto text_of = [&](const char* k) {
        return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string();
    };
    auto int_of = [&](const char* k) {
        return j.contains(k) && j[k].is_number_integer() ? j[k].get<long long>() : 0LL;
    };
    s.source = text_of("source");
    s.error = text_of("error");
    s.started_at = int_of("started_at");
    s.updated_at = int_of("updated_at");
    s.done_kb = int_of("done_kb");
    s.total_kb = int_of("total_kb");
    if (j.contains("rate_kbs") && j["rate_kbs"].is_number()) s.rate_kbs = j["rate_kbs"].get<double>();
    return s;
}

std::optional<CloneJobState> load_clone_state(const Context& ctx) {
    auto text = sys::read_file(clone_state_path(ctx));
    if (!text) return std::nullopt;
    auto s = parse_clone_state(*text);
    if (!s) spdlog::warn("Unreadable clone job state ignored. [path: {}]", clone_state_path(ctx));
    return s;
}

void save_clone_state(const Context& ctx, const CloneJobState& s) {
    if (auto r = sys::make_directories(ctx.state_dir, 0700, ::geteuid(), ::getegid()); !r) {
        spdlog::warn("Could not create the state directory. [path: {}, reason: {}]", ctx.state_dir, r.error().message);
    }
    warn_unless_ok(sys::write_file_atomic(clone_state_path(ctx), format_clone_state(s), 0600),
                   "write the clone job state");
}

bool clone_job_alive(const CloneJobState& s, const StartTimeProbe& probe) {
    if (s.pid <= 1 || (s.phase != kJobCloning && s.phase != kJobStarting)) return false;
    auto started = probe(s.pid);
    return started && *started == s.start_time;
}

std::optional<CloneJobState> live_clone_job(const Context& ctx) {
    auto s = load_clone_state(ctx);
    if (!s) return std::nullopt;
    auto probe = [](long pid) { return sys::process_start_time(static_cast<pid_t>(pid)); };
    if (!clone_job_alive(*s, probe)) return std::nullopt;
    return s;
}

std::optional<CloneProgress> parse_progress_line(std::string_view line) {
    // "  12345/67890 kB (18%), 0/1 tablespace (...)"; a total still being
    // estimated is shown as done/total with total growing: both are numbers.
    line = trim(line);
    auto slash = line.find('/');
    auto kb = line.find(" kB (");
    if (slash == std::string_view::npos || kb == std::string_view::npos || slash > kb) return std::nullopt;
    auto done = parse_number<long long>(line.substr(0, slash));
    auto total = parse_number<long long>(line.substr(slash + 1, kb - slash - 1));
    if (!done || !total || *done < 0 || *total < 0) return std::nullopt;
    return CloneProgress{*done, *total};
}

std::optional<CloneProgress> ProgressReader::feed(std::string_view chunk) {
    std::optional<CloneProgress> newest;
    m_partial.append(chunk);
    std::size_t start = 0;
    while (true) {
        auto end = m_partial.find_first_of("\r\n", start);
        if (end == std::string::npos) break;
        std::string_view line(m_partial.data() + start, end - start);
        if (auto p = parse_progress_line(line)) {
            newest = p;
        } else if (!trim(line).empty()) {
            m_last_message = std::string(trim(line));
        }
        start = end + 1;
    }
    m_partial.erase(0, start);
    return newest;
}

std::vector<std::string> basebackup_args(const std::string& data_dir, const std::string& conninfo,
                                         const std::string& slot, const std::string& max_rate) {
    std::vector<std::string> args{"-D", data_dir, "-d", conninfo, "-X", "stream",
                                  "-c", "fast",   "-S", slot,     "-w", "--progress"};
    if (!max_rate.empty()) args.push_back("--max-rate=" + max_rate);
    return args;
}

std::optional<Outcome> decide_clone_monitor(const CloneMonitorFacts& f) {
    const auto& state = f.job;
    if (f.alive) return Outcome::success();
    if (f.probe) return std::nullopt;
    if (state && state->phase == kJobFailed) {
        return Outcome::failure(ocf::Status::ErrGeneric, "clone job failed: " + state->error);
    }
    // Without the marker the directory is no partial copy (a state left from
    // an earlier life of this node): nothing to report.
    if (f.clone_marker && state && (state->phase == kJobCloning || state->phase == kJobStarting)) {
        std::string why = state->error.empty() ? "no error recorded" : state->error;
        return Outcome::failure(ocf::Status::ErrGeneric, "clone job (pid " + std::to_string(state->pid) +
                                                             ") died while " + state->phase + ": " + why);
    }
    if (f.clone_marker) {
        return Outcome::failure(ocf::Status::ErrGeneric,
                                "data directory left by an interrupted clone and no clone job runs");
    }
    return std::nullopt;
}

}  // namespace pgtwin::agent
