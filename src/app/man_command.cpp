// SPDX-License-Identifier: GPL-2.0-or-later
// pgtwin(8): the command line. The defaults it names come from the code
// (storage root and owner, state directory) so the page follows them.

#include <string>

#include <fmt/format.h>

#include "pgtwin/app/man_page.hpp"
#include "pgtwin/storage/btrfs.hpp"

namespace pgtwin::app {
namespace {

constexpr const char* kHeadAndActions = R"(.SH NAME
pgtwin \- OCF resource agent and administration tool for a two\-node PostgreSQL cluster
.SH SYNOPSIS
.B pgtwin
.RI { start | stop | monitor | promote | demote | notify | validate\-all }
.br
.B pgtwin
.RI { meta\-data | methods | usage | version | params\-doc }
.br
.B pgtwin status
.RB [ \-\-json " | " \-\-prometheus ]
.RB [ \-\-resource
.IR NAME ]
.br
.B pgtwin storage
.RI { plan | init }
.RB [ \-\-root
.IR DIR ]
.RB [ \-\-node
.IR NODE ]
.RB [ \-\-uid
.IR UID ]
.RB [ \-\-gid
.IR GID ]
.br
.B pgtwin storage snapshot \-\-label
.I LABEL
.RB [ \-\-root
.IR DIR ]
.RB [ \-\-node
.IR NODE ]
.SH DESCRIPTION
.B pgtwin
is one binary: Pacemaker runs it as the OCF resource agent \fBocf:pgtwin:pgtwin\fR (a promotable clone),
and an administrator runs it for read\-only status and to prepare container\-mode storage.
The agent's parameters, actions and their timeouts are described in
.BR ocf_pgtwin_pgtwin (7).
.SH AGENT ACTIONS
.TP
.BR start ", " stop ", " monitor ", " promote ", " demote ", " notify ", " validate\-all
OCF actions. They read their parameters from OCF_RESKEY_* and Pacemaker's OCF_RESKEY_CRM_meta_*
variables, and must normally be run by Pacemaker only: run by hand on a cluster node they would
change PostgreSQL behind the cluster's back. \fBcrm_resource \-\-validate \-r\fR \fIRESOURCE\fR
runs validate\-all safely.
.TP
.B meta\-data
Print the OCF meta\-data XML (OCF 1.1, also valid against ra\-api\-1.dtd).
.TP
.B methods
List the supported actions, one a line.
.TP
.BR usage ", " help ", " \-\-help
Print a short usage text.
.TP
.BR version ", " \-\-version
Print the version.
.TP
.B params\-doc
Print the parameter reference in Markdown (the generated part of CONFIGURATION.md).
.SH STATUS
.B pgtwin status
is read\-only and can run on either node as root. It shows, for the local node and its peer,
the role, timeline, LSN, replication lag, synchronous state, the agent's replication state and
promotion score, a clone or rejoin in progress, kept data copies, and what the agent would do
next. Outside Pacemaker's environment the resource's parameters are read from the CIB with
\fBcibadmin\fR.
.TP
.B \-\-json
Print one JSON object (the schema is in docs/status.md).
.TP
.B \-\-prometheus
Print the Prometheus text format, for node_exporter's textfile collector.
.TP
.BI \-\-resource " NAME"
The pgtwin primitive in the CIB; needed only when the CIB has several.
)";

constexpr const char* kStorage = R"(.SH STORAGE
Container mode keeps each node's PostgreSQL in one Btrfs subvolume
\fIROOT\fB/@postgres\-\fINODE\fR with the directories data, config and archive.
.TP
.B plan
Print the commands that init would run, change nothing.
.TP
.B init
Create the subvolume and directories with their owner and modes, and relabel them for
containers when SELinux is enabled. Running it again changes nothing.
.TP
.B snapshot
Take a read\-only snapshot of the node's subvolume, e.g. before an upgrade; prints its path.
.TP
.B list
List the node's snapshots: label, automatic (the agent's) or manual, path.
.TP
.BI restore " SNAPSHOT"
Copy a snapshot (label or path) into a writable directory that PostgreSQL starts on its own; prints its
data directory.
.TP
.B prune
Delete the agent's older snapshots so that \fB\-\-keep\fR \fIN\fR (default 3) remain; with
\fB\-\-min\-free\fR \fIPCT\fR instead only while the file system has less than PCT % free, oldest first,
keeping at least \fB\-\-keep\fR (default 1), as the agent does with snapshot_min_free. Manual snapshots
are never deleted.
.TP
.BI \-\-root " DIR"
A directory on a Btrfs file system (default: {root}).
.TP
.BI \-\-node " NODE"
The Pacemaker node name (\fBcrm_node \-n\fR); default: the host name.
.TP
.BI \-\-uid " UID" "\fR, \fP" \-\-gid " GID"
Owner of the subvolume and directories: the container's postgres user (default: {uid}:{gid}).
.TP
.BI \-\-label " LABEL"
The snapshot's label.
)";

constexpr const char* kTail = R"(.SH ENVIRONMENT
.TP
.B OCF_RESKEY_\fIname\fR
An agent parameter, see
.BR ocf_pgtwin_pgtwin (7).
.TP
.B OCF_RESOURCE_INSTANCE
The resource name (a clone suffix such as :1 is removed); names the node attributes.
.TP
.B PGTWIN_CONTAINER_MODE
true, yes or 1 turns container mode on for every pgtwin resource on the node.
.TP
.B PGTWIN_STATE_DIR
Where the agent publishes its state for \fBpgtwin status\fR (default: {state}).
.TP
.BR HA_debug ", " HA_LOGFILE ", " HA_DEBUGLOG ", " HA_LOGFACILITY
Pacemaker's logging settings: debug level, log files and the syslog facility.
.TP
.B PGTWIN_LOG_STDERR
1 also logs to standard error.
.TP
.B OCF_EXIT_REASON_PREFIX
The prefix of the exit\-reason line (default: ocf\-exit\-reason:).
.SH FILES
.TP
.I /usr/lib/ocf/resource.d/pgtwin/pgtwin
The agent.
.TP
.IR {state} / RESOURCE \- NODE .json
The agent's last published state, read by \fBpgtwin status\fR.
.TP
.IR {root} /@postgres\- NODE
Container\-mode storage made by \fBpgtwin storage init\fR.
.TP
.I /usr/share/doc/pgtwin
Documentation and example configurations.
.SH EXIT STATUS
Agent actions exit with the OCF codes listed in
.BR ocf_pgtwin_pgtwin (7);
a failure prints one \fBocf\-exit\-reason:\fR line on standard error.
\fBpgtwin status\fR exits 0 when it could report (an unreachable node is part of the report)
and 1 when the configuration could not be read.
\fBpgtwin storage\fR exits 0 on success, 2 on bad arguments, and otherwise with the OCF code of
the failure (5 when a program is missing, 1 for a failed command).
An unknown or missing action exits 3.
.SH SEE ALSO
.BR ocf_pgtwin_pgtwin (7),
.BR crm_mon (8),
.BR crm_resource (8),
.BR pg_ctl (1)
)";

}  // namespace

std::string command_man_page() {
    std::string out = fmt::format(".TH PGTWIN 8 \"\" \"pgtwin {}\" \"System Administration\"\n", PGTWIN_VERSION);
    out += kHeadAndActions;
    storage::LayoutOptions defaults;
    out += fmt::format(fmt::runtime(kStorage), fmt::arg("root", storage::kDefaultRoot), fmt::arg("uid", defaults.uid),
                       fmt::arg("gid", defaults.gid));
    out += fmt::format(fmt::runtime(kTail), fmt::arg("state", "/run/pgtwin"), fmt::arg("root", storage::kDefaultRoot));
    return out;
}

}  // namespace pgtwin::app
