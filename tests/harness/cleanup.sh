#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# cleanup.sh - remove leftovers of the VM-mode integration tier.
#
# Stops every postmaster under /tmp/pgtwin-itest-* (pg_ctl -m immediate, by
# data directory), kills the processes still inside the namespaces pgtw1 and
# pgtw2 (the tier creates them; nothing else runs there), deletes the
# namespaces and the temporary directories. Refuses while a test session
# holds the lock (/run/pgtwin-itest.lock); the session itself calls it with
# PGTWIN_ITEST_LOCK_HELD=1 before it starts.
set -euo pipefail

readonly LOCK=/run/pgtwin-itest.lock
readonly PG_BINDIR=/usr/lib/postgresql/15/bin

if [ "${PGTWIN_ITEST_LOCK_HELD:-0}" != 1 ]; then
    exec 9>>"$LOCK"
    if ! flock -n 9; then
        echo "cleanup.sh: an integration test session is running; not cleaning" >&2
        exit 1
    fi
fi

shopt -s nullglob
for pid_file in /tmp/pgtwin-itest-*/*/data*/postmaster.pid /tmp/pgtwin-itest-*/data*/postmaster.pid; do
    data="$(dirname "$pid_file")"
    pid="$(head -n1 "$pid_file" 2>/dev/null || true)"
    # Only a live postmaster running in this directory: a stale pid file's PID
    # may belong to an unrelated process now.
    [[ "$pid" =~ ^[0-9]+$ ]] || continue
    [ "$(readlink "/proc/$pid/cwd" 2>/dev/null || true)" = "$data" ] || continue
    echo "cleanup.sh: stopping postmaster of $data"
    runuser -u postgres -- "$PG_BINDIR/pg_ctl" -D "$data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
done

for ns in pgtw1 pgtw2; do
    if ip netns list | awk '{print $1}' | grep -qx "$ns"; then
        for pid in $(ip netns pids "$ns"); do
            echo "cleanup.sh: killing pid $pid left in $ns"
            kill -KILL "$pid" 2>/dev/null || true
        done
        ip netns del "$ns"
        echo "cleanup.sh: deleted namespace $ns"
    fi
done
# A veth end left in the root namespace (setup interrupted half-way).
for dev in pgtw1v0 pgtw2v0; do
    if ip link show "$dev" >/dev/null 2>&1; then ip link del "$dev"; fi
done

for dir in /tmp/pgtwin-itest-*; do
    echo "cleanup.sh: removing $dir"
    rm -rf -- "$dir"
done
