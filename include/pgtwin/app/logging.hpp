// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// Logging setup: spdlog's default logger writes to syslog / HA_LOGFILE /
// HA_DEBUGLOG (and stderr for tests), never to stdout.

#include <map>
#include <string>
#include <string_view>

namespace pgtwin::app {

// Configures the spdlog default logger from the agent's environment:
// HA_LOGFACILITY (syslog facility, "none" disables syslog; default daemon),
// HA_LOGFILE (appended), HA_debug=1 or HA_DEBUGLOG (debug level; the latter
// also a debug file), PGTWIN_LOG_STDERR=1 (stderr, for tests).
void setup_logging(const std::map<std::string, std::string>& env, std::string_view action, std::string_view resource);

}  // namespace pgtwin::app
