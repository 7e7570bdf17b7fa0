#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# run.sh - run the container-mode integration tier (PostgreSQL 15 in podman
# containers on two netns hosts, the agent with container_mode=true).
#
# Usage: tests/container/run.sh [--official | --docker] [pytest args...]
#   --official  use the image variant whose entrypoint behaves as the official
#               postgres image's (localhost/pgtwin-test/postgres:15-official)
#               and run only the representative subset OFFICIAL_SUBSET (start
#               and monitor in both roles, replication, promote, crash -> 9,
#               stop, failover, no initdb on an empty second node), unless
#               pytest args select tests themselves.
#               The security tests run against every variant in the plain run.
#   --docker    the container-docker tier: a real dockerd per namespace host
#               (own --data-root, --exec-root and socket; tests/container/dockerd.py),
#               the image loaded into it with `podman save | docker load`, the
#               agent with container_runtime=docker and DOCKER_HOST, and only
#               DOCKER_SUBSET (validate-all, start, monitor both roles,
#               replication, promote, crash -> 9, stop, failover, podman
#               undisturbed), unless pytest args select tests themselves.
#               Needs docker.io (scripts/install-deps.sh).
# Needs root, podman + runc, mmdebstrap (to build the image when missing),
# postgresql-client (psql on the host), python3-pytest (Debian).
# The images are built by scripts/build-test-image when missing. The agent is
# <repo>/build/pgtwin unless PGTWIN_BIN is set. Leftovers: tests/container/cleanup.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
export PGTWIN_ITEST_REQUIRE_AGENT="${PGTWIN_ITEST_REQUIRE_AGENT:-1}"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$repo/scripts/containers.conf}"
OFFICIAL_SUBSET="test_start_stop_monitor_as_standby or test_start_promote_stop_as_primary \
or test_crashed_primary_is_failed_promoted or test_replication_between_containers \
or test_failover_loses_no_acknowledged_write or test_auto_init_fails_cleanly_without_primary"
DOCKER_SUBSET="test_validate_all_finds_runtime_and_image or test_start_stop_monitor_as_standby \
or test_start_promote_stop_as_primary or test_crashed_primary_is_failed_promoted \
or test_replication_between_containers or test_failover_loses_no_acknowledged_write or test_docker"
subset=""
if [ "${1:-}" = "--official" ]; then
    shift; subset=$OFFICIAL_SUBSET
    export PGTWIN_TEST_IMAGE=localhost/pgtwin-test/postgres:15-official
elif [ "${1:-}" = "--docker" ]; then
    shift; subset=$DOCKER_SUBSET
    command -v dockerd >/dev/null || { echo "run.sh: dockerd not found (apt-get install docker.io)" >&2; exit 5; }
    export PGTWIN_CTEST_RUNTIME=docker
fi
"$repo/scripts/build-test-image"
cd "$repo"
# The tier's directory unless a test path is given; the subset unless -k is.
has_path=0 has_k=0
for a in "$@"; do case "$a" in tests/*) has_path=1 ;; -k) has_k=1 ;; esac; done
if [ -n "$subset" ] && [ $has_k -eq 0 ]; then set -- -k "$subset" "$@"; fi
if [ $has_path -eq 0 ]; then set -- "$@" tests/container; fi
exec /usr/bin/python3 -m pytest -v -p no:cacheprovider --durations=8 "$@"
