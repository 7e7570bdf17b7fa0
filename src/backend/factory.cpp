// SPDX-License-Identifier: GPL-2.0-or-later
// make_backend: the only code that reads the mode.

#include "pgtwin/backend/factory.hpp"

#include "pgtwin/backend/container_backend.hpp"
#include "pgtwin/backend/vm_backend.hpp"

namespace pgtwin::backend {

Result<std::unique_ptr<Backend>> make_backend(const ocf::Config& cfg, const std::string& node_name,
                                              sys::CommandRunner& runner, Clock& clock) {
    if (cfg.container_mode) {
        return std::unique_ptr<Backend>(std::make_unique<ContainerBackend>(cfg, node_name, runner, clock));
    }
    return std::unique_ptr<Backend>(std::make_unique<VmBackend>(cfg, runner, clock));
}

}  // namespace pgtwin::backend
