#!/bin/bash
# The cluster tier: a real two-node Pacemaker+Corosync lab (scripts/lab), the
# lab smoke test and pgtwin's HA scenarios. Needs root. PGTWIN_BIN names the
# agent binary (scripts/test sets it; default build-ci/pgtwin).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PGTWIN_BIN=${PGTWIN_BIN:-$PWD/build-ci/pgtwin}
exec /usr/bin/python3 -m pytest -p no:cacheprovider -v tests/cluster "$@"
