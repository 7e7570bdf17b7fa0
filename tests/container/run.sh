#!/bin/bash
# run.sh - run the container-mode integration tier (PostgreSQL 15 in podman
# containers on two netns hosts, the agent with container_mode=true).
#
# Usage: tests/container/run.sh [pytest args...]
# Needs root, podman + runc, mmdebstrap (to build the image when missing),
# postgresql-client (psql on the host), python3-pytest (Debian).
# The image is built by scripts/build-test-image when missing. The agent is
# <repo>/build/pgtwin unless PGTWIN_BIN is set. Leftovers: tests/container/cleanup.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
export PGTWIN_ITEST_REQUIRE_AGENT="${PGTWIN_ITEST_REQUIRE_AGENT:-1}"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$repo/scripts/containers.conf}"
"$repo/scripts/build-test-image"
cd "$repo"
# The tier's directory unless a test path is given.
has_path=0
for a in "$@"; do case "$a" in tests/*) has_path=1 ;; esac; done
if [ $has_path -eq 0 ]; then set -- "$@" tests/container; fi
exec /usr/bin/python3 -m pytest -v -p no:cacheprovider "$@"
