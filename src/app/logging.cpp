// SPDX-License-Identifier: GPL-2.0-or-later
// Logging setup: syslog, HA_LOGFILE and HA_DEBUGLOG sinks in one message shape.

#include "pgtwin/app/logging.hpp"

#include <syslog.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>

namespace pgtwin::app {
namespace {

std::string get(const std::map<std::string, std::string>& env, const std::string& key) {
    auto it = env.find(key);
    return it == env.end() ? std::string{} : it->second;
}

bool truthy(const std::string& v) { return v == "1" || v == "yes" || v == "true" || v == "on"; }

// Pacemaker passes facility names as in syslog.conf ("daemon", "local0", ...).
int facility_from_name(const std::string& name) {
    static const std::vector<std::pair<std::string, int>> kFacilities = {
        {"daemon", LOG_DAEMON}, {"user", LOG_USER},     {"auth", LOG_AUTH},     {"authpriv", LOG_AUTHPRIV},
        {"cron", LOG_CRON},     {"syslog", LOG_SYSLOG}, {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1},
        {"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},
        {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7}};
    for (const auto& [n, f] : kFacilities) {
        if (n == name) return f;
    }
    return LOG_DAEMON;
}

// '%' starts a spdlog flag; a resource or action name must not inject one.
std::string escape_pattern(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '%') out += '%';
        out += c;
    }
    return out;
}

void apply_pattern(spdlog::sink_ptr& sink, const std::string& pattern, const char* eol) {
    sink->set_formatter(std::make_unique<spdlog::pattern_formatter>(pattern, spdlog::pattern_time_type::local, eol));
}

// Opens a file sink; a log file that cannot be opened must not stop the agent.
void add_file_sink(std::vector<spdlog::sink_ptr>& sinks, const std::string& path, spdlog::level::level_enum level,
                   const std::string& pattern, std::vector<std::string>& problems) {
    try {
        spdlog::sink_ptr sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, false);
        sink->set_level(level);
        apply_pattern(sink, pattern, "\n");
        sinks.push_back(std::move(sink));
    } catch (const spdlog::spdlog_ex& e) {
        problems.push_back(fmt::format("Cannot open log file. [path: {}, reason: {}]", path, e.what()));
    }
}

}  // namespace

void setup_logging(const std::map<std::string, std::string>& env, std::string_view action, std::string_view resource) {
    const std::string debug_log = get(env, "HA_DEBUGLOG");
    const bool debug = truthy(get(env, "HA_debug")) || !debug_log.empty();
    const auto normal_level = truthy(get(env, "HA_debug")) ? spdlog::level::debug : spdlog::level::info;
    const std::string tag =
        fmt::format("pgtwin({})[{}]", escape_pattern(resource.empty() ? "-" : resource), ::getpid());
    const std::string body = fmt::format("%l: {}: %v", escape_pattern(action));
    const std::string file_pattern = "%Y-%m-%d %H:%M:%S.%e " + tag + " " + body;

    std::vector<spdlog::sink_ptr> sinks;
    std::vector<std::string> problems;
    const std::string facility = get(env, "HA_LOGFACILITY");
    if (facility != "none") {
        spdlog::sink_ptr sink = std::make_shared<spdlog::sinks::syslog_sink_mt>(
            "pgtwin", LOG_PID, facility_from_name(facility.empty() ? "daemon" : facility), true);
        sink->set_level(normal_level);
        // syslog adds time, ident and pid itself.
        apply_pattern(sink, fmt::format("({}) {}", escape_pattern(resource.empty() ? "-" : resource), body), "");
        sinks.push_back(std::move(sink));
    }
    if (const std::string log_file = get(env, "HA_LOGFILE"); !log_file.empty()) {
        add_file_sink(sinks, log_file, normal_level, file_pattern, problems);
    }
    if (!debug_log.empty()) add_file_sink(sinks, debug_log, spdlog::level::debug, file_pattern, problems);
    if (get(env, "PGTWIN_LOG_STDERR") == "1") {
        spdlog::sink_ptr sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
        sink->set_level(debug ? spdlog::level::debug : spdlog::level::info);
        apply_pattern(sink, file_pattern, "\n");
        sinks.push_back(std::move(sink));
    }

    auto logger = std::make_shared<spdlog::logger>("pgtwin", sinks.begin(), sinks.end());
    logger->set_level(debug ? spdlog::level::debug : spdlog::level::info);
    // Agent runs are short and may be killed at the deadline: flush every line.
    logger->flush_on(spdlog::level::debug);
    spdlog::set_default_logger(std::move(logger));
    for (const auto& problem : problems) spdlog::warn("{}", problem);
}

}  // namespace pgtwin::app
