#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# run.sh - run the integration tier: real PostgreSQL 15 on two netns hosts,
# in VM mode (pg_ctl on the host) or container mode (podman or docker).
#
# Usage: tests/integration/run.sh [--mode M] [--official | --docker] [pytest args...]
#   --mode M    vm (default), container, or vm,container (both in one session)
#   --official  container mode with the image variant whose entrypoint behaves
#               as the official postgres image's
#               (localhost/pgtwin-test/postgres:15-official), and only the
#               representative subset OFFICIAL_SUBSET (start and monitor in
#               both roles, replication, promote, crash -> 9, stop, failover,
#               no initdb on an empty second node), unless pytest args select
#               tests themselves. The security tests run against every
#               variant in the plain container run.
#   --docker    container mode against a real dockerd per namespace host (own
#               --data-root, --exec-root and socket; tests/harness/dockerd.py),
#               the image loaded into it with `podman save | docker load`, the
#               agent with container_runtime=docker, and only DOCKER_SUBSET,
#               unless pytest args select tests themselves. Needs docker.io.
# Needs root, postgresql-15, python3-pytest and python3-psycopg2; container
# mode also podman + runc and mmdebstrap (lab/build-test-image builds the
# test images when missing). The agent is $PGTWIN_BIN, else
# <repo>/build-ci/pgtwin; a missing agent fails the agent scenarios
# (PGTWIN_ITEST_REQUIRE_AGENT=0 skips them instead).
# Leftovers of an interrupted run: tests/harness/cleanup.sh [vm|container]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
export PGTWIN_ITEST_REQUIRE_AGENT="${PGTWIN_ITEST_REQUIRE_AGENT:-1}"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$repo/lab/containers.conf}"
OFFICIAL_SUBSET="test_start_monitor_stop_as_standby or test_start_promote_stop_as_primary \
or test_crashed_primary_is_failed_promoted or test_primary_killed_by_the_runtime_is_failed_promoted \
or test_promoted_primary_replicates_to_auto_initialised_standby \
or test_failover_loses_no_acknowledged_write or test_auto_init_fails_cleanly_without_primary"
DOCKER_SUBSET="test_validate_all_accepts_good_configuration or test_start_monitor_stop_as_standby \
or test_start_promote_stop_as_primary or test_crashed_primary_is_failed_promoted \
or test_primary_killed_by_the_runtime_is_failed_promoted \
or test_promoted_primary_replicates_to_auto_initialised_standby \
or test_failover_loses_no_acknowledged_write or test_docker"
mode=vm subset=""
while [ $# -gt 0 ]; do
    case "$1" in
        --mode) mode="$2"; shift 2 ;;
        --official)
            mode=container subset=$OFFICIAL_SUBSET; shift
            export PGTWIN_TEST_IMAGE=localhost/pgtwin-test/postgres:15-official ;;
        --docker)
            mode=container subset=$DOCKER_SUBSET; shift
            command -v dockerd >/dev/null || { echo "run.sh: dockerd not found (apt-get install docker.io)" >&2; exit 5; }
            export PGTWIN_CTEST_RUNTIME=docker ;;
        *) break ;;
    esac
done
case ",$mode," in *,container,*) "$repo/lab/build-test-image" ;; esac
cd "$repo"
# The tier's directory unless a test path is given; the subset unless -k is.
has_path=0 has_k=0
for a in "$@"; do case "$a" in tests/*) has_path=1 ;; -k) has_k=1 ;; esac; done
if [ -n "$subset" ] && [ $has_k -eq 0 ]; then set -- -k "$subset" "$@"; fi
if [ $has_path -eq 0 ]; then set -- "$@" tests/integration; fi
# Debian's interpreter: a pyenv python3 on PATH may lack pytest.
exec /usr/bin/python3 -m pytest -v -p no:cacheprovider --durations=8 "--mode=$mode" "$@"
