#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The cluster tier: a real two-node Pacemaker+Corosync lab (lab/lab), the
# lab smoke test and pgtwin's HA scenarios, once per mode, one after the
# other, each mode in its own lab (torn down by the fixtures in between):
#
#   vm         all of tests/cluster (smoke + the pgtwin scenarios)
#   container  the pgtwin scenarios with PostgreSQL in podman containers
#              started by pgtwin (PGTWIN_CLUSTER_MODE=container,
#              examples/container-mode-cluster.crm)
#   container-official
#              a representative subset (bootstrap, postmaster crash + rewind
#              rejoin, switchover) in container mode with the image variant
#              whose entrypoint behaves as the official postgres image's
#              (PGTWIN_TEST_IMAGE=localhost/pgtwin-test/postgres:15-official,
#              lab/build-test-image); the same scenario files, only the
#              image parameter differs
#
# Needs root. PGTWIN_BIN names the agent binary (scripts/test sets it;
# default build-ci/pgtwin). PGTWIN_CLUSTER_MODES (default "vm container
# container-official")
# picks the modes; extra arguments go to every pytest run. The exit status
# is non-zero when any mode failed; every mode runs regardless.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
export PGTWIN_BIN=${PGTWIN_BIN:-$PWD/build-ci/pgtwin}
# Container mode runs every pgtwin scenario (test_pgtwin_*.py); the lab smoke
# test does not depend on the mode and runs in VM mode only. A subset can be
# given as a list of files in PGTWIN_CONTAINER_SCENARIOS. The mixed soak's
# smoke (14) runs in VM mode only: its rounds reuse the fault steps the
# container scenarios already run, and the container soak runs outside CI.
CONTAINER_SCENARIOS=${PGTWIN_CONTAINER_SCENARIOS:-$(ls tests/cluster/test_pgtwin_*.py | grep -v test_pgtwin_14_)}
OFFICIAL_SCENARIOS=${PGTWIN_OFFICIAL_SCENARIOS:-tests/cluster/test_pgtwin_01_bootstrap.py \
tests/cluster/test_pgtwin_02_postmaster_crash.py tests/cluster/test_pgtwin_03_switchover.py}
OFFICIAL_IMAGE=localhost/pgtwin-test/postgres:15-official

rc=0
for mode in ${PGTWIN_CLUSTER_MODES:-vm container container-official}; do
    image=()
    case "$mode" in
        vm) targets=(tests/cluster) ;;
        container) read -r -a targets <<<"${CONTAINER_SCENARIOS//$'\n'/ }" ;;
        container-official)
            read -r -a targets <<<"${OFFICIAL_SCENARIOS//$'\n'/ }"
            image=(PGTWIN_TEST_IMAGE="$OFFICIAL_IMAGE")
            lab/build-test-image >/dev/null || { rc=1; continue; } ;;
        *) echo "run.sh: unknown mode $mode" >&2; exit 2 ;;
    esac
    echo "=== cluster tier, mode $mode ==="
    start=$SECONDS
    env "${image[@]}" PGTWIN_CLUSTER_MODE="${mode%-official}" \
        /usr/bin/python3 -m pytest -p no:cacheprovider -v --durations=8 "${targets[@]}" "$@" || rc=1
    echo "=== cluster tier, mode $mode: $((SECONDS - start)) s ==="
done
exit $rc
