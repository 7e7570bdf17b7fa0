// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// OCF meta-data XML and the Markdown parameter reference, both from the table.

#include <string>

namespace pgtwin::ocf {

struct ParamSpec;

// The agent's meta-data XML (OCF 1.1, valid against ra-api-1.dtd too).
std::string metadata_xml();

// Markdown reference of every parameter (docs/CONFIGURATION.md is checked against it).
std::string parameters_markdown();

// An integer parameter's range in words ("integer, 1 to 10" or "integer, at
// least 0"), shared by the Markdown reference and the man page.
std::string integer_range_text(const ParamSpec& spec);

}  // namespace pgtwin::ocf
