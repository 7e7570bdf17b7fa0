#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# cleanup.sh - remove leftovers of the container-mode integration tier.
#
# Removes (podman rm -f, by name) the tier's containers: the two recorded
# names pgtwin-ctest-psql1/psql2 and any container labelled pgtwin-ctest
# (every container a lab starts carries it, temporary --rm ones included),
# kills what still runs in the tier's namespaces pgtk1/pgtk2, deletes them
# and /tmp/pgtwin-ctest-* (and the docker tier's /run/pgtwin-ctest-docker). Refuses while a session holds /run/pgtwin-ctest.lock
# (the session calls it itself with PGTWIN_CTEST_LOCK_HELD=1).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$here/../../scripts/containers.conf}"
readonly LOCK=/run/pgtwin-ctest.lock

if [ "${PGTWIN_CTEST_LOCK_HELD:-0}" != 1 ]; then
    exec 9>>"$LOCK"
    if ! flock -n 9; then
        echo "cleanup.sh: a container test session is running; not cleaning" >&2
        exit 1
    fi
fi

names="$(podman ps -a --filter label=pgtwin-ctest --format '{{.Names}}' || true)"
for n in pgtwin-ctest-psql1 pgtwin-ctest-psql2 pgtwin-ocftester $names; do
    if podman container exists "$n" 2>/dev/null; then
        echo "cleanup.sh: removing container $n"
        podman rm -f -t 2 "$n" >/dev/null || true
    fi
done

for ns in pgtk1 pgtk2; do
    if ip netns list | awk '{print $1}' | grep -qx "$ns"; then
        for pid in $(ip netns pids "$ns"); do
            echo "cleanup.sh: killing pid $pid left in $ns"
            kill -KILL "$pid" 2>/dev/null || true
        done
        ip netns del "$ns"
        echo "cleanup.sh: deleted namespace $ns"
    fi
done
for dev in pgtk1v0 pgtk2v0; do
    if ip link show "$dev" >/dev/null 2>&1; then ip link del "$dev"; fi
done

shopt -s nullglob
for dir in /tmp/pgtwin-ctest-*; do
    echo "cleanup.sh: removing $dir"
    rm -rf -- "$dir"
done
# The container-docker tier's engines died with the namespaces above; their
# sockets, pid files and exec roots go too (the data roots under
# /var/tmp/pgtwin-ctest-docker are kept: they cache the loaded image).
rm -rf /run/pgtwin-ctest-docker
