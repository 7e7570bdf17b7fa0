#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# pgtwin in VM mode with pcs: the same cluster as examples/vm-mode-cluster.crm
# (PostgreSQL 15 on both hosts, a promotable clone with notifications, a VIP
# that follows the primary, fencing), written with commands that mean the same
# on pcs 0.10, 0.11 (Debian 12, RHEL 9) and 0.12.
#
#   examples/vm-mode-cluster.pcs.sh               # against the running cluster
#   examples/vm-mode-cluster.pcs.sh cib.xml       # into a CIB file (pcs -f), e.g.
#       pcs cluster cib cib.xml && examples/vm-mode-cluster.pcs.sh cib.xml \
#           && pcs cluster cib-push cib.xml --config
#
# Change before use (docs/QUICKSTART-debian.md, "The configuration"): node
# names, the fence devices (here IPMI placeholders), the VIP and its netmask,
# pg_bindir (Debian /usr/lib/postgresql/15/bin, SUSE /usr/lib/postgresql15/bin,
# or empty to let the agent find pg_ctl), paths.
# tests/functional/test_pcs_example.py checks that this script builds the same
# resources, meta attributes, operations and constraints as the crm file.
set -eu
CIB=${1:-}
pcs() { if [ -n "$CIB" ]; then command pcs -f "$CIB" "$@"; else command pcs "$@"; fi; }

pcs property set stonith-enabled=true stonith-action=reboot \
    no-quorum-policy=stop priority-fencing-delay=5s cluster-recheck-interval=1min
# "resource defaults update" (pcs >= 0.10.7): the plain "resource defaults
# name=value" form is deprecated.
pcs resource defaults update resource-stickiness=100 migration-threshold=1 failure-timeout=60s

# Fencing: one device per node (placeholders; use your BMC addresses and a
# user that may power-cycle). priority-fencing-delay above decides a split:
# fencing of the primary's node waits, so the standby is powered off first and
# its own request dies with it. No pcmk_delay_base/max here: Pacemaker adds
# them to that delay and a delay on the standby's device can cancel it out
# (docs/OPERATIONS.md, "Fencing delays").
pcs stonith create fence-psql1 fence_ipmilan ip=192.0.2.11 username=admin \
    password=CHANGE-ME lanplus=1 pcmk_host_list=psql1 \
    op monitor interval=60s timeout=20s
pcs stonith create fence-psql2 fence_ipmilan ip=192.0.2.12 username=admin \
    password=CHANGE-ME lanplus=1 pcmk_host_list=psql2 \
    op monitor interval=60s timeout=20s

# Monitor intervals: a crashed primary is noticed within one Promoted
# interval; 2 s gives a failover of about 2 s for about 20 s of the agent's
# CPU per hour on both nodes (docs/PERFORMANCE.md, "Monitor interval").
pcs resource create pgsql ocf:pgtwin:pgtwin \
    pgdata=/var/lib/pgtwin/vm/data pg_bindir=/usr/lib/postgresql/15/bin \
    pghost=/var/run/postgresql pgport=5432 rep_user=replicator \
    pgpassfile=/var/lib/pgtwin/vm/pgpass node_list="psql1 psql2" \
    rep_mode=sync logfile=/var/log/pgtwin/postgresql.log \
    op start timeout=120s interval=0s \
    op stop timeout=120s interval=0s \
    op promote timeout=120s interval=0s \
    op demote timeout=120s interval=0s \
    op notify timeout=60s interval=0s \
    op monitor role=Promoted interval=2s timeout=30s \
    op monitor role=Unpromoted interval=11s timeout=30s \
    --no-default-ops
# The clone and its meta attributes in two steps: clone options written after
# "promotable" inside "resource create" mean different things in pcs 0.11.5
# (clone meta) and 0.11.7+/0.12 (deprecated, or "meta" needed with --future,
# which 0.11.5 puts on the primitive). notify=true is required: the promotion
# election runs in the pre-promote notification.
pcs resource promotable pgsql pgsql-clone
pcs resource meta pgsql-clone promoted-max=1 promoted-node-max=1 clone-max=2 \
    clone-node-max=1 notify=true interleave=true priority=10

pcs resource create pgsql-vip ocf:heartbeat:IPaddr2 ip=10.231.0.100 \
    cidr_netmask=24 op monitor interval=10s timeout=20s --no-default-ops
pcs constraint colocation add pgsql-vip with Promoted pgsql-clone INFINITY \
    id=vip-with-primary
pcs constraint order promote pgsql-clone then start pgsql-vip kind=Mandatory \
    id=vip-after-promote
