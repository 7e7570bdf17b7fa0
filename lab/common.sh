# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Helpers shared by lab/lab, the supervisor, the node script and the fence
# agent. Sourced, never executed. Everything here acts only on processes whose
# PID *and* start time were recorded by the lab, or on processes that live in
# the lab's own namespaces: nothing is looked up by name.

LAB_DIR=${PGTWIN_LAB_DIR:-/var/tmp/pgtwin-lab}
LAB_MIN_PATH=/usr/sbin:/usr/bin:/sbin:/bin
LAB_LIBEXEC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=topology
. "$LAB_LIBEXEC/topology"
LAB_NODES=("$LAB_NODE_1" "$LAB_NODE_2")

# Node name -> index (1 or 2); fails for unknown names.
lab_node_index() {
    case "$1" in
        "$LAB_NODE_1") echo 1 ;;
        "$LAB_NODE_2") echo 2 ;;
        *) echo "lab: unknown node '$1' ($LAB_NODE_1 or $LAB_NODE_2)" >&2; return 1 ;;
    esac
}

lab_netns() { echo "$LAB_NS_CLUSTER$(lab_node_index "$1")"; }
lab_veth() { echo "v$(lab_node_index "$1")"; }
lab_addr() { local i var; i=$(lab_node_index "$1") || return 1; var=LAB_ADDR_$i; echo "${!var}"; }
lab_node_dir() { echo "$LAB_DIR/nodes/$1"; }
lab_state() { echo "$LAB_DIR/state/$1"; }
# A running node's own view of the file system, reached from the host through
# its holder process: with PGTWIN_LAB_BTRFS=1 its /var/lib/pgtwin is a Btrfs
# mounted in its mount namespace only, which the host's node directory hides.
lab_node_root() {
    local pid _
    read -r pid _ <"$(lab_state "$1").holder" || return 1
    echo "/proc/$pid/root"
}

lab_log() { printf '%s lab: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# Field 22 of /proc/PID/stat (start time in clock ticks), empty if gone.
proc_starttime() {
    local s
    s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    s=${s##*) }
    # shellcheck disable=SC2086
    set -- $s
    echo "${20}"
}

# Process state letter (R, S, Z, ...) or empty if the PID does not exist.
proc_state() {
    local s
    s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    s=${s##*) }
    echo "${s%% *}"
}

# True if PID exists and is not a zombie (a zombie counts as dead: PID 1
# reaps lazily here and a zombie would otherwise look alive to kill -0).
proc_alive() {
    local st
    st=$(proc_state "$1") || return 1
    [[ -n "$st" && "$st" != Z && "$st" != X ]]
}

# Write "PID STARTTIME" to a state file.
pidfile_write() {
    local file=$1 pid=$2 st
    st=$(proc_starttime "$pid") || return 1
    mkdir -p "$(dirname "$file")"
    echo "$pid $st" >"$file.tmp" && mv -f "$file.tmp" "$file"
}

# Print the PID recorded in FILE if that process still runs with the recorded
# start time (protects against PID reuse after a crash of the lab).
pidfile_live() {
    local file=$1 pid st cur
    [[ -r "$file" ]] || return 1
    read -r pid st <"$file" || return 1
    [[ -n "$pid" ]] || return 1
    cur=$(proc_starttime "$pid") || return 1
    [[ "$cur" == "$st" ]] || return 1
    proc_alive "$pid" || return 1
    echo "$pid"
}

# Print "pid ppid" for every process (one line each).
proc_table() {
    local d s pid
    for d in /proc/[0-9]*; do
        pid=${d#/proc/}
        s=$(cat "$d/stat" 2>/dev/null) || continue
        s=${s##*) }
        # shellcheck disable=SC2086
        set -- $s
        echo "$pid $2"
    done
}

# Print ROOT and all its descendants.
proc_tree() {
    local root=$1
    proc_table | awk -v root="$root" '
        { parent[$1] = $2; pids[n++] = $1 }
        END {
            inset[root] = 1; print root; changed = 1
            while (changed) {
                changed = 0
                for (i = 0; i < n; i++) {
                    p = pids[i]
                    if (!(p in inset) && (parent[p] in inset)) {
                        inset[p] = 1; print p; changed = 1
                    }
                }
            }
        }'
}

# PIDs of this shell and its ancestors: never signalled by the lab.
self_and_ancestors() {
    local p=$$ s
    while [[ -n "$p" && "$p" != 0 ]]; do
        echo "$p"
        s=$(cat "/proc/$p/stat" 2>/dev/null) || break
        s=${s##*) }
        # shellcheck disable=SC2086
        set -- $s
        p=$2
    done
    [[ -n "${BASHPID:-}" ]] && echo "$BASHPID"
}

# Filter stdin PIDs: unique, alive, never ourselves or an ancestor.
pids_filter() {
    local skip
    skip=" $(self_and_ancestors | tr '\n' ' ') "
    sort -un | while read -r p; do
        [[ -n "$p" && "$skip" != *" $p "* ]] || continue
        proc_alive "$p" && echo "$p"
    done
    return 0
}

# Hard power-off of NODE's processes (lab/poweroff: freeze all, then kill).
node_kill_all() {
    "$LAB_LIBEXEC/poweroff" "$LAB_DIR" "$1"
}

# Wait until PID is gone (or a zombie); false after TIMEOUT seconds.
wait_gone() {
    local pid=$1 timeout=$2 i
    for i in $(seq 1 $((timeout * 5))); do
        proc_alive "$pid" || return 0
        sleep 0.2
    done
    ! proc_alive "$pid"
}

# Network of NODE as a powered-off machine has it: link down, no addresses.
node_net_off() {
    local ns veth
    ns=$(lab_netns "$1"); veth=$(lab_veth "$1")
    [[ -e "/run/netns/$ns" ]] || return 0
    ip -n "$ns" link set "$veth" down 2>/dev/null || true
    ip -n "$ns" addr flush dev "$veth" 2>/dev/null || true
}

# Network of NODE as a booting machine has it: only its own address, link up.
node_net_on() {
    local ns veth
    ns=$(lab_netns "$1"); veth=$(lab_veth "$1")
    ip -n "$ns" link set lo up
    ip -n "$ns" addr flush dev "$veth"
    ip -n "$ns" addr add "$(lab_addr "$1")/$LAB_PREFIX_LEN" dev "$veth"
    ip -n "$ns" link set "$veth" up
}
