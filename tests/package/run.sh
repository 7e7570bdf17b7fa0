#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The package tier: builds the .deb with dpkg-buildpackage and lints it, installs
# it with apt into a clean Debian 12 root made with mmdebstrap (so its Depends
# are proven against Debian's archive), runs meta-data (xmllint-valid) and
# resource-agents' ocf-tester there against the installed agent and a real
# PostgreSQL from the package's dependencies, then builds the .rpm with
# rpmbuild and checks its file list.
#
#   tests/package/run.sh            everything
#   PGTWIN_PKG_SKIP_RPM=1 ...       only the Debian part
#
# Needs root, scripts/install-deps.sh package, and network access to
# deb.debian.org (apt in the root). The tests inside the root run in their own
# network namespace (only lo): PostgreSQL there cannot meet the lab's.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$ROOT/tests/package/debian-root.sh"
AGENT=/usr/lib/ocf/resource.d/pgtwin/pgtwin

work=$(mktemp -d /tmp/pgtwin-package-XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
t0=$SECONDS
step() { printf -- '--- %s (%ss)\n' "$*" $((SECONDS - t0)); }
check() {  # check NAME COMMAND...: one result line per check
  local name=$1; shift
  if "$@" > "$work/$name.out" 2>&1; then
    echo "ok   $name"; passed=$((passed + 1)); check_ok=1
  else
    echo "FAIL $name"; tail -n 40 "$work/$name.out" | sed 's/^/     /'; failed=$((failed + 1)); check_ok=0
  fi
}

if [ -n "${PGTWIN_PKG_DEB:-}" ]; then
  deb=$PGTWIN_PKG_DEB   # a .deb built before (for work on this script)
else
  step "build the .deb (dpkg-buildpackage -us -uc -b)"
  DEB_BUILD_OPTIONS="nocheck parallel=2" "$ROOT/packaging/build-deb" "$work/deb" > "$work/build-deb.log" 2>&1 ||
    { tail -n 40 "$work/build-deb.log"; echo "package: build-deb failed"; exit 1; }
  deb=$(ls "$work"/deb/pgtwin_*.deb)
fi
echo "built $(basename "$deb")"

deb_contents() {
  local list
  list=$(dpkg-deb -c "$deb" | awk '{print $6}')
  # dh_compress gzips documents over 4 kB; examples stay plain.
  for f in ./usr/lib/ocf/resource.d/pgtwin/pgtwin ./usr/sbin/pgtwin ./usr/share/man/man7/ocf_pgtwin_pgtwin.7.gz \
           ./usr/share/man/man8/pgtwin.8.gz ./usr/share/man/man8/pgtwin-prepare-node.8.gz ./usr/share/doc/pgtwin/copyright './usr/share/doc/pgtwin/README.md(.gz)?' \
           './usr/share/doc/pgtwin/SETUP.md(.gz)?' ./usr/share/doc/pgtwin/examples/vm-mode-cluster.crm; do
    grep -qxE "$f" <<< "$list" || { echo "missing in the .deb: $f"; return 1; }
  done
  dpkg-deb -f "$deb" Depends | tee /dev/stderr | grep -q 'resource-agents'
}
check deb-contents deb_contents
# Errors fail the check; warnings and info are printed for the record.
check deb-lintian lintian --fail-on error --tag-display-limit 0 "$deb"
[ "$check_ok" = 0 ] || sed 's/^/     /' "$work/deb-lintian.out"
lint_man() {
  local page
  for page in ocf_pgtwin_pgtwin.7 pgtwin.8 pgtwin-prepare-node.8; do
    dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/share/man/man${page##*.}/$page.gz" | gunzip > "$work/$page"
    # -ww: all warnings; any line on stderr is a defect of the page.
    [ -z "$(LC_ALL=C.UTF-8 groff -man -ww -z -Tutf8 "$work/$page" 2>&1)" ] || { groff -man -ww -z "$work/$page"; return 1; }
    man -l "$work/$page" | grep -q 'EXIT STATUS'
  done
}
check man-pages lint_man

step "clean Debian 12 root ($(basename "$(debian_base_tarball)"))"
root="$work/root"
make_debian_root "$root"
# Not under /tmp: the root gets a fresh tmpfs there.
mkdir -p "$root/src/scripts" "$root/src/tests/harness"
cp "$deb" "$root/src/"
cp -a "$ROOT/tests/ocf-tester" "$root/src/tests/"
cp -a "$ROOT/tests/harness/stubs" "$root/src/tests/harness/"

# Inside the root, in a private mount namespace (and, for the tests, a private
# network namespace with only lo), then gone with it.
in_root() {
  local net=$1; shift
  unshare --mount $([ "$net" = isolated ] && echo --net) --fork bash -c '
    set -e; source "$1"; mount_debian_root "$2"
    [ "$3" = isolated ] && ip link set lo up
    shift 3; exec chroot "$@"' _ "$ROOT/tests/package/debian-root.sh" "$root" "$net" "$root" "$@"
}
apt_install() {
  in_root host env DEBIAN_FRONTEND=noninteractive sh -c "
    apt-get update -qq && apt-get install -y -qq --no-install-recommends /src/$(basename "$deb")"
}
step "apt install the .deb (its Depends from Debian's archive)"
check apt-install apt_install
[ "$check_ok" = 1 ] || { echo "package: the .deb does not install; stopping"; exit 1; }
grep -E '^(Setting up|Unpacking) (pgtwin|postgresql-15|resource-agents|pacemaker-cli-utils) ' "$work/apt-install.out" |
  sed 's/^/     /' || true
# Tools the tests use, not the package: ocf-tester's xmllint and the Pacemaker stub (python3).
check test-tools in_root host env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends libxml2-utils python3

step "tests inside the root"
check installed-files in_root isolated sh -c "test -x $AGENT && test -x /usr/sbin/ocf-tester &&
  test -x /usr/sbin/pgtwin-prepare-node && pgtwin-prepare-node --help | grep -q print-role-sql &&
  pgtwin version && dpkg -L pgtwin | grep -q man7/ocf_pgtwin_pgtwin.7"
check meta-data in_root isolated sh -c \
  "d=\$(mktemp -d) && $AGENT meta-data >\$d/md.xml && cp /usr/share/resource-agents/ra-api-1.dtd \$d/ && xmllint --noout --valid \$d/md.xml"
# A bad value is an OCF configuration error (6) with one exit-reason line.
check validate-all-bad-port in_root isolated sh -c \
  "OCF_RESKEY_pgdata=/tmp/d OCF_RESKEY_pgport=70000 $AGENT validate-all; rc=\$?; echo rc=\$rc; [ \$rc -eq 6 ]"
# The lab's ocf-tester run (probe, validate-all, start, promote/demote, stop...)
# against the installed agent and the root's PostgreSQL 15.
check ocf-tester in_root isolated env PGTWIN_BIN=$AGENT PGTWIN_PREPARE_NODE=/usr/sbin/pgtwin-prepare-node \
  /src/tests/ocf-tester/run.sh
grep -E '^(Beginning|Testing:|.*passed all tests)' "$work/ocf-tester.out" | sed 's/^/     /' || true

if [ "${PGTWIN_PKG_SKIP_RPM:-0}" != 1 ]; then
  step "build the .rpm (rpmbuild) and check its file list"
  rpm_files() {
    "$ROOT/packaging/build-rpm" "$work/rpm" > "$work/build-rpm.log" 2>&1 || { tail -n 40 "$work/build-rpm.log"; return 1; }
    local rpm list
    rpm=$(ls "$work"/rpm/RPMS/*/pgtwin-*.rpm)
    list=$(rpm -qlp "$rpm")
    echo "$list"
    for f in $AGENT /usr/sbin/pgtwin /usr/sbin/pgtwin-prepare-node /usr/share/man/man7/ocf_pgtwin_pgtwin.7 /usr/share/man/man8/pgtwin.8 \
             /usr/share/doc/pgtwin/README.md /usr/share/doc/pgtwin/SETUP.md \
             /usr/share/doc/pgtwin/examples/vm-mode-cluster.crm '/usr/share/licenses/pgtwin[^/]*/LICENSE'; do
      grep -qE "^$f(\.gz|\.bz2|\.xz)?\$" <<< "$list" || { echo "missing in the .rpm: $f"; return 1; }
    done
    rpm -qp --requires "$rpm" | grep -q '^resource-agents'
  }
  check rpm-files rpm_files
fi

step "done"
echo "package: $passed passed, $failed failed ($((SECONDS - t0)) s)"
[ "$failed" -eq 0 ]
