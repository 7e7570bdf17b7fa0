// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// The only code that reads the mode: builds the Backend for a Config.

#include <memory>
#include <string>

#include "pgtwin/backend/backend.hpp"
#include "pgtwin/core/clock.hpp"
#include "pgtwin/ocf/config.hpp"
#include "pgtwin/sys/command.hpp"

namespace pgtwin::backend {

// VmBackend or ContainerBackend for `cfg` on node `node_name`.
Result<std::unique_ptr<Backend>> make_backend(const ocf::Config& cfg, const std::string& node_name,
                                              sys::CommandRunner& runner, Clock& clock);

}  // namespace pgtwin::backend
