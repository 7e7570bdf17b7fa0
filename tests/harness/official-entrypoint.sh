#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# official-entrypoint.sh - the ENTRYPOINT of the "official" test image variants
# (lab/build-test-image: localhost/pgtwin-test/postgres:15-official and
# :15-official18). No registry is reachable here, so this stands in for the
# docker-library `postgres` image's docker-entrypoint.sh. It is written from
# that image's documented behaviour (its README and release notes), not copied,
# and does what matters to pgtwin:
#
# - a first argument starting with '-' means "postgres <options>";
# - for a `postgres ...` command: create PGDATA (mode 0700) and the socket
#   directory /var/run/postgresql, and chmod the socket directory 03775, as
#   root or as the --user the container was started with (errors ignored);
# - as root: re-own both to postgres (uid 999) and re-execute itself as
#   postgres (setpriv from util-linux);
# - PGDATA defaults to /var/lib/postgresql/data (17 and older) or
#   /var/lib/postgresql/18/docker (18 and later), set by the image's ENV; with
#   the 18 layout and no cluster in PGDATA, data mounted at the old path is an
#   error;
# - an uninitialised PGDATA is initialised (initdb) when POSTGRES_PASSWORD is
#   set (or POSTGRES_HOST_AUTH_METHOD=trust); otherwise the container exits 1
#   with an error, as the official image does;
# - anything else is exec'd unchanged.
set -Eeuo pipefail

sock=/var/run/postgresql
old_layout=/var/lib/postgresql/data

if [ "${1:0:1}" = '-' ]; then
    set -- postgres "$@"
fi
if [ "${1:-}" != postgres ]; then
    exec "$@"
fi
# Like the official one: no setup for a postgres that only prints something.
for arg in "${@:2}"; do
    case "$arg" in -'?'|--help|--describe-config|-C|--version|-V) exec "$@" ;; esac
done

: "${PGDATA:=$old_layout}"
export PGDATA

mkdir -p "$PGDATA"
chmod 00700 "$PGDATA" || :
mkdir -p "$sock" || :
chmod 03775 "$sock" || :

if [ "$(id -u)" = 0 ]; then
    find "$PGDATA" \! -user postgres -exec chown postgres: '{}' +
    find "$sock" \! -user postgres -exec chown postgres: '{}' +
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$BASH_SOURCE" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ "$PGDATA" != "$old_layout" ] && [ -e "$old_layout/PG_VERSION" ]; then
        echo "Error: data found in $old_layout, but this image's PGDATA is $PGDATA;" >&2
        echo "       mount the volume at /var/lib/postgresql (18+ layout) or set PGDATA." >&2
        exit 1
    fi
    if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "${POSTGRES_HOST_AUTH_METHOD:-}" != trust ]; then
        echo "Error: Database is uninitialized and superuser password is not specified." >&2
        echo "       Set POSTGRES_PASSWORD (or POSTGRES_HOST_AUTH_METHOD=trust)." >&2
        exit 1
    fi
    # The password reaches initdb on stdin (never in argv); minimal images may lack /dev/fd.
    if [ -n "${POSTGRES_PASSWORD:-}" ]; then
        initdb --username="${POSTGRES_USER:-postgres}" --pwfile=/proc/self/fd/0 -D "$PGDATA" \
            <<< "$POSTGRES_PASSWORD"
    else
        initdb --username="${POSTGRES_USER:-postgres}" -D "$PGDATA"
    fi
    printf 'host all all all %s\n' "${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}" >> "$PGDATA/pg_hba.conf"
    echo "official-entrypoint: initialised $PGDATA" >&2
fi

exec "$@"
