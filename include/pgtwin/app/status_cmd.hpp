// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// `pgtwin status [--json] [--resource NAME]`: a read-only report on both
// nodes for administrators and monitoring.

#include <string>
#include <vector>

#include "pgtwin/core/result.hpp"
#include "pgtwin/ocf/params.hpp"

namespace pgtwin::app {

// Runs `pgtwin status ...` (args[0] is the program, args[1] "status").
// Returns 0 when it could report, 1 when the configuration was unreadable.
int run_status_command(const std::vector<std::string>& args, const ocf::EnvMap& env);

// Parses `cibadmin -Q --xpath` output: the instance attributes of the one
// pgtwin primitive (or of `resource`) as OCF_RESKEY_* entries, plus
// OCF_RESOURCE_INSTANCE.
Result<ocf::EnvMap> env_from_cib_xml(const std::string& xml, const std::string& resource);

}  // namespace pgtwin::app
