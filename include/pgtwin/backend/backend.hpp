// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once
// Backend: how PostgreSQL is hosted (VM: pg_ctl on the host; container:
// podman/docker). Holds no SQL, no Pacemaker calls and no election logic.

#include <memory>
#include <string>
#include <vector>

#include "pgtwin/core/deadline.hpp"
#include "pgtwin/core/result.hpp"
#include "pgtwin/pg/client.hpp"
#include "pgtwin/sys/command.hpp"

namespace pgtwin::backend {

// Whether the instance's processes exist (not whether they answer SQL).
enum class Liveness {
    Running,      // postmaster (or container) alive
    Stopped,      // nothing running
    RuntimeHung,  // container runtime did not answer in time (container mode only)
};

// The PostgreSQL programs the agent runs.
enum class Tool { PgCtl, PgControldata, PgBasebackup, PgRewind, Initdb, Postgres };

// The program file name of `tool`: in pg_bindir (VM mode), on PATH in the images.
constexpr const char* tool_program(Tool tool) {
    switch (tool) {
        case Tool::PgCtl: return "pg_ctl";
        case Tool::PgControldata: return "pg_controldata";
        case Tool::PgBasebackup: return "pg_basebackup";
        case Tool::PgRewind: return "pg_rewind";
        case Tool::Initdb: return "initdb";
        case Tool::Postgres: return "postgres";
    }
    return "postgres";
}

// How to stop.
enum class StopMode { Fast, Immediate };

// What validate may take as proven. Full: nothing (start, validate-all,
// reload-agent). Started: the instance was started by start under this
// configuration (promote, demote), so what start checked about programs it
// cannot see from the host holds; in container mode that is the image and
// its user, whose lookup runs a throw-away container on the failover path.
enum class ValidateScope { Full, Started };

// The mode strategy.
class Backend {
public:
    virtual ~Backend() = default;
    // "vm" or "container".
    virtual std::string mode_name() const = 0;
    // Checks that the tools/runtime exist (NotInstalled) and the layout is sane.
    virtual Result<void> validate(const Deadline& d, ValidateScope scope) = 0;
    // Whether the instance is alive. Zombies count as dead; a stale
    // postmaster.pid whose PID belongs to another process counts as dead.
    virtual Result<Liveness> liveness(const Deadline& d) = 0;
    // Starts PostgreSQL on the existing data directory (configured by the
    // agent beforehand; the agent always writes standby.signal first) and
    // returns once the postmaster accepts connections or the deadline expires.
    virtual Result<void> start(const Deadline& d) = 0;
    // Stops PostgreSQL; returns once nothing runs. Succeeds when already stopped.
    virtual Result<void> stop(StopMode mode, const Deadline& d) = 0;
    // The Command running `tool` with `args`. Paths in args that refer to the
    // data directory must use data_dir_for_tools().
    virtual Result<sys::Command> tool_command(Tool tool, std::vector<std::string> args, const Deadline& d) = 0;
    // The data directory as tools see it (host path in VM mode, the
    // in-container path in container mode).
    virtual std::string data_dir_for_tools() const = 0;
    // The data directory on the host (for the agent's own file edits).
    virtual std::string host_data_dir() const = 0;
    // How libpq on the host reaches the local instance.
    virtual pg::ConnParams local_conn() const = 0;
    // Initialises an empty data directory (initdb, UTF8, checksums).
    virtual Result<void> initdb(const Deadline& d) = 0;
    // Creates the data directory if missing: empty, mode 0700, owned by the
    // user PostgreSQL runs as (target of pg_basebackup).
    virtual Result<void> prepare_data_dir(const Deadline& d) {
        (void)d;
        return fail(ErrorKind::Unimplemented, "prepare_data_dir is not implemented for " + mode_name());
    }
    // The passfile path as the PostgreSQL server sees it (for primary_conninfo);
    // empty when no passfile is configured.
    virtual std::string passfile_for_server() const { return {}; }
    // Whether the agent may create a new cluster (initdb) on an empty data
    // directory when no node has data (the initialise rule decides when).
    // VM mode leaves creating a cluster to the operator.
    virtual bool may_initialise_cluster() const { return false; }
    // Whether validate-all compares PG_VERSION with the programs' version:
    // only where asking the programs is cheap (not a container run per
    // validation; PostgreSQL's own start error names the mismatch there).
    virtual bool checks_data_version() const { return true; }
};

}  // namespace pgtwin::backend
