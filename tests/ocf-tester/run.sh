#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs resource-agents' ocf-tester against a real PostgreSQL 15 instance
# managed by pgtwin (VM mode), with Pacemaker's command-line tools replaced by
# the integration tier's test double (there is no cluster here).
# ocf-tester walks every action: probe, start, idempotent start, notify,
# demote/promote round trips, stop, idempotent stop. No node_list, and the
# stub's crm_node -l fails as where no cluster runs: the agent runs without
# a peer (issue 10).
# PGTWIN_PREPARE_NODE: the node preparation tool (default scripts/pg-prepare-node;
# the package tier passes the installed /usr/sbin/pgtwin-prepare-node).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${PGTWIN_BIN:-$ROOT/build-ci/pgtwin}
BINDIR=${PGTWIN_PG_BINDIR:-/usr/lib/postgresql/15/bin}
PORT=55431

work=$(mktemp -d /tmp/pgtwin-ocftester-XXXXXX)
chmod 755 "$work"
cleanup() {
  if [ -f "$work/data/postmaster.pid" ]; then
    runuser -u postgres -- "$BINDIR/pg_ctl" stop -D "$work/data" -m immediate -w -t 20 >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# A primary-to-be, prepared the way docs/SETUP.md tells administrators.
mkdir -p "$work/run"
chown postgres:postgres "$work/run"
head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$work/reppass"
"${PGTWIN_PREPARE_NODE:-$ROOT/scripts/pg-prepare-node}" --pgdata "$work/data" --port "$PORT" --socket-dir "$work/run" \
  --pg-bindir "$BINDIR" --rep-password-file "$work/reppass" --passfile "$work/pgpass" \
  --subnet 127.0.0.0/8 --init >/dev/null

# shellcheck source=common.sh
. "$ROOT/tests/ocf-tester/common.sh"
use_pcmk_stubs "$ROOT" "$work"
set +e
ocf-tester -n pgsql \
  -o pgdata="$work/data" -o pg_bindir="$BINDIR" -o pghost="$work/run" -o pgport="$PORT" \
  -o pgpassfile="$work/pgpass" -o logfile="$work/postgresql.log" \
  "$BIN" 2>&1 | tee "$work/ocf-tester.out"
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" -ne 0 ]; then
  echo "--- agent log ---"; tail -n 60 "$work/agent.log" || true
  echo "--- postgresql log ---"; tail -n 30 "$work/postgresql.log" || true
  echo "ocf-tester: 0 passed, 1 failed"
  exit 1
fi
grep -q "passed all tests" "$work/ocf-tester.out"
echo "ocf-tester: 1 passed, 0 failed"
