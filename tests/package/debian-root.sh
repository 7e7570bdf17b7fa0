# SPDX-License-Identifier: GPL-2.0-or-later
# Clean Debian 12 roots for the package tier and scripts/fresh-root-check.
# Sourced, not run. Needs root, mmdebstrap and network access to Debian's
# mirror (nothing else).

PGTWIN_ROOT_CACHE=${PGTWIN_ROOT_CACHE:-/var/cache/pgtwin-test}
PGTWIN_DEBIAN_MIRROR=${PGTWIN_DEBIAN_MIRROR:-http://deb.debian.org/debian}
PGTWIN_DEBIAN_SECURITY=${PGTWIN_DEBIAN_SECURITY:-http://deb.debian.org/debian-security}

# Prints the path of today's cached Debian 12 base tarball (variant apt: a
# minimal system with apt), making it when missing. Keyed by date so it never
# lags far behind the mirror; older tarballs are removed.
debian_base_tarball() {
  local tarball="$PGTWIN_ROOT_CACHE/debian12-apt-$(date -u +%Y%m%d).tar"
  mkdir -p "$PGTWIN_ROOT_CACHE"
  if [ ! -s "$tarball" ]; then
    echo "making $tarball with mmdebstrap" >&2
    # mmdebstrap picks its output format from the name's extension: keep .tar.
    local partial="${tarball%.tar}.partial.tar"
    rm -rf "$partial"
    mmdebstrap --quiet --variant=apt --include=ca-certificates bookworm "$partial" \
      "deb $PGTWIN_DEBIAN_MIRROR bookworm main" \
      "deb $PGTWIN_DEBIAN_MIRROR bookworm-updates main" \
      "deb $PGTWIN_DEBIAN_SECURITY bookworm-security main" >&2
    mv "$partial" "$tarball"
    find "$PGTWIN_ROOT_CACHE" -maxdepth 1 -type f -name 'debian12-apt-*' ! -name "$(basename "$tarball")" -delete
  fi
  echo "$tarball"
}

# Unpacks the base tarball into DIR and prepares it for package installs:
# services are not started by maintainer scripts (policy-rc.d), and name
# resolution is the host's.
make_debian_root() {
  local dir=$1 tarball
  tarball=$(debian_base_tarball)
  mkdir -p "$dir"
  tar -C "$dir" -xf "$tarball"
  printf '#!/bin/sh\nexit 101\n' > "$dir/usr/sbin/policy-rc.d"
  chmod 755 "$dir/usr/sbin/policy-rc.d"
  cp -L /etc/resolv.conf "$dir/etc/resolv.conf"
}

# Mounts what programs in the root need: /proc, /sys, /dev (with pts and shm),
# and fresh tmpfs on /run and /tmp. Call it inside `unshare --mount` so the
# mounts vanish with the namespace and nothing is left behind.
mount_debian_root() {
  local dir=$1
  mount --make-rprivate /
  # The root itself must be a mount point, as / is on a real machine:
  # `mount --make-rprivate /` (the lab's nodes, unit tests) fails otherwise.
  mount --bind "$dir" "$dir"
  mount -t proc proc "$dir/proc"
  mount --rbind /sys "$dir/sys"
  mount --rbind /dev "$dir/dev"
  mount -t tmpfs -o mode=755 tmpfs "$dir/run"
  mount -t tmpfs -o mode=1777 tmpfs "$dir/tmp"
}
