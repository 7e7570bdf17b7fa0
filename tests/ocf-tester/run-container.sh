#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs resource-agents' ocf-tester against a real PostgreSQL 15 instance that
# pgtwin runs in a podman container (container_mode=true, image
# localhost/pgtwin-test/postgres:15 from lab/build-test-image), with
# Pacemaker's command-line tools replaced by the integration tier's test
# double. Mirrors tests/ocf-tester/run.sh (VM mode).
#
# The node is prepared as docs/CONTAINER_MODE_SETUP.md says: host directories
# owned by uid 999, a config directory mounted at /etc/postgresql, and the
# first start of the first node in node_list initialises the cluster in a
# temporary container (the peer of node_list does not exist here).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${PGTWIN_BIN:-$ROOT/build-ci/pgtwin}
IMAGE=${PGTWIN_TEST_IMAGE:-localhost/pgtwin-test/postgres:15}
NAME=pgtwin-ocftester
PORT=55433
export CONTAINERS_CONF=${CONTAINERS_CONF:-$ROOT/lab/containers.conf}

"$ROOT/lab/build-test-image" >/dev/null

work=$(mktemp -d /tmp/pgtwin-ctest-ocftester-XXXXXX)
chmod 755 "$work"
cleanup() {
  if podman container exists "$NAME" 2>/dev/null; then podman rm -f -t 2 "$NAME" >/dev/null || true; fi
  for c in $(podman ps -a --filter "label=pgtwin-ctest=$work" --format '{{.Names}}' 2>/dev/null); do
    podman rm -f -t 2 "$c" >/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
if podman container exists "$NAME" 2>/dev/null; then
  echo "ocf-tester: a container $NAME exists already (another run?); remove it first" >&2
  exit 1
fi

# Host directories (CONTAINER_MODE_SETUP.md, steps 3-5).
install -d -m 0700 -o 999 -g 999 "$work/data" "$work/run" "$work/archive"
"${PGTWIN_PREPARE_NODE:-$ROOT/scripts/pg-prepare-node}" --container-config "$work/config" \
  --subnet 127.0.0.0/8 --listen localhost >/dev/null
printf '*:*:*:replicator:%s\n' "$(head -c 18 /dev/urandom | base64 | tr -d '/+=')" > "$work/pgpass"
chown 999:999 "$work/pgpass"; chmod 0600 "$work/pgpass"

# shellcheck source=common.sh
. "$ROOT/tests/ocf-tester/common.sh"
use_pcmk_stubs "$ROOT" "$work"
params=(pgdata="$work/data" pghost="$work/run" pgport="$PORT" pgpassfile="$work/pgpass"
  node_list="ocftester ocfpeer" node_addresses="ocfpeer=127.0.0.2"
  container_mode=true container_runtime=podman container_image="$IMAGE" container_name="$NAME"
  container_config_dir="$work/config" container_archive_dir="$work/archive"
  container_run_options="--label pgtwin-ctest=$work")

# First start: the cluster is initialised in a temporary container (no peer
# answers on 127.0.0.2), then stopped; ocf-tester starts from a stopped node.
env_args=(OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE=pgsql OCF_RESKEY_CRM_meta_timeout=30000
  OCF_RESKEY_CRM_meta_on_node=ocftester)
for p in "${params[@]}"; do env_args+=("OCF_RESKEY_$p"); done
env "${env_args[@]}" "$BIN" start 2>>"$work/agent.log" || { echo "initial start failed"; tail -n 30 "$work/agent.log"; exit 1; }
env "${env_args[@]}" "$BIN" stop 2>>"$work/agent.log" || { echo "initial stop failed"; tail -n 30 "$work/agent.log"; exit 1; }

opts=()
for p in "${params[@]}"; do opts+=(-o "$p"); done
set +e
ocf-tester -n pgsql "${opts[@]}" "$BIN" 2>&1 | tee "$work/ocf-tester.out"
rc=${PIPESTATUS[0]}
set -e
left=$(podman ps -a --filter "label=pgtwin-ctest=$work" --format '{{.Names}}')
if [ "$rc" -ne 0 ] || [ -n "$left" ]; then
  [ -n "$left" ] && echo "containers left after ocf-tester: $left"
  echo "--- agent log ---"; tail -n 60 "$work/agent.log" || true
  echo "--- container log ---"; podman logs --tail 30 "$NAME" 2>&1 || true
  echo "ocf-tester (container mode): 0 passed, 1 failed"
  exit 1
fi
grep -q "passed all tests" "$work/ocf-tester.out"
echo "ocf-tester (container mode): 1 passed, 0 failed"
