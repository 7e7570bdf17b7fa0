# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Shared by run.sh (VM mode) and run-container.sh: Pacemaker's command-line
# tools replaced by the integration tier's test double, and the agent's
# logging and state set up in WORK. Sourced, never executed.

# use_pcmk_stubs ROOT WORK: crm_attribute, attrd_updater and crm_node in
# WORK/stubs (first on PATH), node name "ocftester"; the agent logs to
# WORK/agent.log and keeps its state in WORK/state.
use_pcmk_stubs() {
  local root=$1 work=$2 stubs=$2/stubs t
  mkdir -p "$stubs"
  for t in crm_attribute attrd_updater crm_node; do
    ln -s "$root/tests/harness/stubs/pcmk_stub.py" "$stubs/$t"
  done
  printf '{"state": "%s", "node": "ocftester"}\n' "$work/stub-state.json" > "$stubs/stub.conf"
  chmod 755 "$stubs"
  export PATH="$stubs:/usr/sbin:/usr/bin:/sbin:/bin"
  export HA_LOGFACILITY=none HA_LOGFILE="$work/agent.log" PGTWIN_STATE_DIR="$work/state"
}
