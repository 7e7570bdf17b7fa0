// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// OCF meta-data XML and the Markdown parameter reference, both from the table.

#include <string>

namespace pgtwin::ocf {

// The agent's meta-data XML (OCF 1.1, valid against ra-api-1.dtd too).
std::string metadata_xml();

// Markdown reference of every parameter (docs/CONFIGURATION.md is checked against it).
std::string parameters_markdown();

}  // namespace pgtwin::ocf
