#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# run.sh - run the VM-mode integration tier (real PostgreSQL 15, two netns hosts).
#
# Usage: tests/integration/run.sh [--container] [pytest args...]
#   no pytest args: the whole VM tier (tests/integration, ocf-tester included)
#   --container:    the container-mode files (tests/integration/test_container_*.py);
#                   fails while none exist, so the tier cannot pass by accident.
# Needs root, postgresql-15, python3-pytest and python3-psycopg2 (Debian).
# The agent binary is <repo>/build/pgtwin unless PGTWIN_BIN is set; a missing
# or placeholder agent fails the agent scenarios (PGTWIN_ITEST_REQUIRE_AGENT=0
# skips them instead). Leftovers of an interrupted run: tests/integration/cleanup.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
export PGTWIN_ITEST_REQUIRE_AGENT="${PGTWIN_ITEST_REQUIRE_AGENT:-1}"
cd "$repo"

if [ "${1:-}" = "--container" ]; then
    shift
    shopt -s nullglob
    files=(tests/integration/test_container_*.py)
    if [ ${#files[@]} -eq 0 ]; then
        echo "run.sh: no container-mode integration tests (tests/integration/test_container_*.py) yet" >&2
        exit 1
    fi
    export PGTWIN_ITEST_MODE=container
    set -- "${files[@]}" "$@"
elif [ $# -eq 0 ]; then
    set -- tests/integration --ignore-glob='tests/integration/test_container_*.py'
fi
# Debian's interpreter: a pyenv python3 on PATH may lack pytest.
exec /usr/bin/python3 -m pytest -v -p no:cacheprovider --durations=8 "$@"
