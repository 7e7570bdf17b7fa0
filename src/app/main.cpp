// SPDX-License-Identifier: GPL-2.0-or-later
// pgtwin: OCF resource agent for a two-node PostgreSQL cluster.

#include <exception>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "pgtwin/app/run.hpp"
#include "pgtwin/ocf/status.hpp"

int main(int argc, char** argv) {
    // The one top-level catch: an unexpected exception is a soft failure.
    try {
        std::vector<std::string> args(argv, argv + argc);
        return pgtwin::app::run(args, pgtwin::ocf::current_environment());
    } catch (const std::exception& e) {
        spdlog::critical("Unexpected internal error. [what: {}]", e.what());
        pgtwin::ocf::print_exit_reason(std::string("internal error: ") + e.what());
    } catch (...) {
        pgtwin::ocf::print_exit_reason("internal error");
    }
    return pgtwin::ocf::to_int(pgtwin::ocf::Status::ErrGeneric);
}
