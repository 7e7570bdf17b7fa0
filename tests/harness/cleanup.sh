#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# cleanup.sh - remove leftovers of the integration tier.
#
# Usage: tests/harness/cleanup.sh [vm|container|all]     (default: all)
#
# vm: stops every postmaster under /tmp/pgtwin-itest-* (pg_ctl -m immediate,
#   by data directory), then deletes the mode's namespaces pgtw1/pgtw2 and
#   /tmp/pgtwin-itest-*.
# container: removes (podman rm -f, by name) the tier's containers, the two
#   recorded names pgtwin-ctest-psql1/psql2, pgtwin-ocftester and any
#   container labelled pgtwin-ctest (every container a lab starts carries it,
#   temporary --rm ones included), then deletes the namespaces pgtk1/pgtk2,
#   /tmp/pgtwin-ctest-* and the docker engines' /run/pgtwin-ctest-docker.
# A namespace is deleted after the processes still inside it are killed (the
# tier creates them; nothing else runs there). Each mode refuses while a test
# session of that mode holds its lock (/run/pgtwin-itest.lock,
# /run/pgtwin-ctest.lock); the session calls it itself with
# PGTWIN_ITEST_LOCK_HELD=1 before it starts.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$here/../../lab/containers.conf}"
readonly PG_BINDIR=/usr/lib/postgresql/15/bin
shopt -s nullglob

take_lock() {  # take_lock LOCKFILE FD
    [ "${PGTWIN_ITEST_LOCK_HELD:-0}" = 1 ] && return 0
    eval "exec $2>>\"\$1\""
    if ! flock -n "$2"; then
        echo "cleanup.sh: a test session holds $1; not cleaning" >&2
        exit 1
    fi
}

remove_namespaces() {  # remove_namespaces NS...
    for ns in "$@"; do
        if ip netns list | awk '{print $1}' | grep -qx "$ns"; then
            for pid in $(ip netns pids "$ns"); do
                echo "cleanup.sh: killing pid $pid left in $ns"
                kill -KILL "$pid" 2>/dev/null || true
            done
            ip netns del "$ns"
            echo "cleanup.sh: deleted namespace $ns"
        fi
        # A veth end left in the root namespace (setup interrupted half-way).
        if ip link show "${ns}v0" >/dev/null 2>&1; then ip link del "${ns}v0"; fi
    done
}

remove_dirs() {  # remove_dirs GLOB-EXPANDED-DIRS...
    for dir in "$@"; do
        echo "cleanup.sh: removing $dir"
        rm -rf -- "$dir"
    done
}

clean_vm() {
    take_lock /run/pgtwin-itest.lock 8
    for pid_file in /tmp/pgtwin-itest-*/*/data*/postmaster.pid /tmp/pgtwin-itest-*/data*/postmaster.pid; do
        data="$(dirname "$pid_file")"
        pid="$(head -n1 "$pid_file" 2>/dev/null || true)"
        # Only a live postmaster running in this directory: a stale pid file's
        # PID may belong to an unrelated process now.
        [[ "$pid" =~ ^[0-9]+$ ]] || continue
        [ "$(readlink "/proc/$pid/cwd" 2>/dev/null || true)" = "$data" ] || continue
        echo "cleanup.sh: stopping postmaster of $data"
        runuser -u postgres -- "$PG_BINDIR/pg_ctl" -D "$data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
    done
    remove_namespaces pgtw1 pgtw2
    remove_dirs /tmp/pgtwin-itest-*
}

clean_container() {
    take_lock /run/pgtwin-ctest.lock 9
    names="$(podman ps -a --filter label=pgtwin-ctest --format '{{.Names}}' || true)"
    for n in pgtwin-ctest-psql1 pgtwin-ctest-psql2 pgtwin-ocftester $names; do
        if podman container exists "$n" 2>/dev/null; then
            echo "cleanup.sh: removing container $n"
            podman rm -f -t 2 "$n" >/dev/null || true
        fi
    done
    remove_namespaces pgtk1 pgtk2
    remove_dirs /tmp/pgtwin-ctest-*
    # The docker engines died with the namespaces above; their sockets, pid
    # files and exec roots go too (the data roots under
    # /var/tmp/pgtwin-ctest-docker are kept: they cache the loaded image).
    rm -rf /run/pgtwin-ctest-docker
}

case "${1:-all}" in
    vm) clean_vm ;;
    container) clean_container ;;
    all) clean_vm; clean_container ;;
    *) echo "usage: cleanup.sh [vm|container|all]" >&2; exit 2 ;;
esac
