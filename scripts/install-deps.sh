#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs pgtwin's build and test dependencies from Debian packages.
# Idempotent: packages already installed are not touched, and apt's index is
# refreshed only when something is missing. Needs root.
set -euo pipefail

BUILD_PACKAGES=(
  cmake g++ make pkg-config
  libfmt-dev libspdlog-dev nlohmann-json3-dev libcli11-dev libpugixml-dev
  libgtest-dev libgmock-dev libpq-dev
)
TEST_PACKAGES=(
  postgresql-15 postgresql-client-15 libxml2-utils iproute2 procps util-linux mount
  python3 python3-pytest python3-psycopg2
  resource-agents pacemaker pacemaker-cli-utils corosync crmsh pcs nftables strace
  clang-format
  clang-tidy
)
# docker.io: the container-docker tier starts its own dockerd per lab host.
CONTAINER_PACKAGES=(podman runc mmdebstrap btrfs-progs docker.io)
# The package tier: build the .deb and .rpm, lint them and the man pages, and
# install the .deb into a clean Debian 12 root (tests/package).
PACKAGE_PACKAGES=(debhelper dpkg-dev fakeroot lintian rpm groff-base man-db mmdebstrap libxml2-utils)
# The benchmarks: `bench/failover --agent paf|both` runs PAF's pgsqlms in the lab.
BENCH_PACKAGES=(resource-agents-paf)

want=("${BUILD_PACKAGES[@]}")
case "${1:-all}" in
  build) ;;
  package) want+=("${PACKAGE_PACKAGES[@]}") ;;
  bench) want+=("${TEST_PACKAGES[@]}" "${BENCH_PACKAGES[@]}") ;;
  all) want+=("${TEST_PACKAGES[@]}" "${CONTAINER_PACKAGES[@]}" "${PACKAGE_PACKAGES[@]}" "${BENCH_PACKAGES[@]}") ;;
  *) echo "usage: $0 [build|package|bench|all]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#want[@]} packages present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages (${missing[*]}) and not root" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts a "main" cluster when postgresql-15 is installed; the tests
# and the lab run their own instances, so keep the packaged one out of the way.
if command -v pg_lsclusters >/dev/null && pg_lsclusters -h 2>/dev/null | grep -q '^15 main .* online'; then
  pg_ctlcluster 15 main stop || true
fi
echo "install-deps: done"
