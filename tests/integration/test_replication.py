# SPDX-License-Identifier: GPL-2.0-or-later
"""Two hosts: replication flows, switchover, auto-init of an empty standby.

Assumptions about the contract (issue 2) that the agent must align with:
- B1 application_name defaults to the node name (psql1/psql2); the standby
  shows up in the primary's pg_stat_replication under that name, connecting
  from its host's address.
- B2 start of a standby with an empty pgdata and the peer primary reachable
  creates a physical replication slot on the primary, runs pg_basebackup and
  starts streaming; the slot the standby uses is active on the primary. In
  container mode pg_basebackup runs in a temporary container that is gone
  afterwards.
- B3 start with an empty pgdata and no primary reachable exits 1 (soft
  error: the peer may come back) with one ocf-exit-reason line, and leaves
  pgdata empty (no partial data); psql2 is not first in node_list, so it
  must not initdb.
- B4 switchover as Pacemaker does it with notify=true: pre/post-demote
  notifications, demote psql1, pre/post-promote notifications, promote
  psql2. psql1 then follows psql2 without pg_rewind or a rebuild.
- B5 the primary's recurring monitor gives a streaming, in-sync standby a
  positive promotion score (crm_attribute --promotion, attribute
  master-<OCF_RESOURCE_INSTANCE>, reboot lifetime).
"""

import os

import pytest

from harness.agent import expect_rc, monitor, run_agent, settle, wait_row, wait_streaming

vm_only = pytest.mark.modes("vm")
container_only = pytest.mark.modes("container")


def test_promoted_primary_replicates_to_auto_initialised_standby(lab, pair):
    p1, p2 = pair
    assert p2.in_recovery() and not p1.in_recovery()
    slots = p1.sql("SELECT slot_name, active FROM pg_replication_slots").splitlines()
    assert len(slots) == 1 and slots[0].endswith("|t"), f"expected one active slot for psql2: {slots}"
    addr = p1.sql("SELECT client_addr FROM pg_stat_replication WHERE application_name = 'psql2'")
    assert addr == p2.addr, f"standby should connect from {p2.addr}, got {addr!r}"
    p1.sql("INSERT INTO t VALUES ('row-1')")
    assert wait_row(p2, "t", "row-1"), "row written on the primary never reached the standby"
    expect_rc(monitor(p1, "Promoted"), 8, p1, "primary monitor")
    score = lab.promotion_score("psql2")
    assert score is not None and score > 0, f"streaming sync standby needs a positive score: {lab.stub_state()}"
    assert lab.stray_containers() == [], "the clone's temporary container was left behind"


def test_auto_init_fails_cleanly_without_primary(lab, cluster):
    p2 = lab["psql2"]
    assert not any(p2.data.iterdir())
    # A 20 s start: the agent waits for a peer half of it (of 120 s: a minute).
    res = cluster.start(p2, meta={"timeout": "20000"})
    expect_rc(res, 1, p2, "start on empty pgdata with no primary")
    assert len(res.exit_reasons()) == 1, res
    assert not p2.has_instance()
    assert not p2.data.exists() or not any(p2.data.iterdir()), "partial data left behind"
    expect_rc(monitor(p2), 7, p2, "probe after failed start")


@vm_only
def test_auto_init_of_missing_pgdata(lab, cluster):
    """A standby whose pgdata directory does not exist at all is initialised too."""
    p1, p2 = lab["psql1"], lab["psql2"]
    lab.init_primary_data(p1)
    expect_rc(cluster.start(p1), 0, p1, "start psql1")
    expect_rc(cluster.promote(p1), 0, p1, "promote psql1")
    os.rmdir(p2.data)
    expect_rc(cluster.start(p2), 0, p2, "start psql2 on a missing pgdata")
    assert wait_streaming(p1, p2)
    st = os.stat(p2.data)
    assert oct(st.st_mode & 0o777) in ("0o700", "0o750")


def test_switchover_round_trip(lab, pair, cluster):
    p1, p2 = pair
    p1.sql("INSERT INTO t VALUES ('before-switchover')")
    assert wait_row(p2, "t", "before-switchover")
    expect_rc(cluster.demote(p1), 0, p1, "demote psql1")
    assert p1.in_recovery()
    expect_rc(cluster.promote(p2), 0, p2, "promote psql2")
    expect_rc(monitor(p2, "Promoted"), 8, p2, "monitor new primary")
    expect_rc(monitor(p1, "Unpromoted"), 0, p1, "monitor old primary as standby")
    assert wait_streaming(p2, p1), f"psql1 does not follow psql2\n{p1.log_tail()}"
    p2.sql("INSERT INTO t VALUES ('after-switchover')")
    assert wait_row(p1, "t", "after-switchover")
    settle(p2, p1)
    # And back again.
    expect_rc(cluster.demote(p2), 0, p2, "demote psql2")
    expect_rc(cluster.promote(p1), 0, p1, "promote psql1 back")
    expect_rc(monitor(p1, "Promoted"), 8, p1, "monitor psql1")
    assert wait_streaming(p1, p2)
    p1.sql("INSERT INTO t VALUES ('back-home')")
    assert wait_row(p2, "t", "back-home")
    assert p1.sql("SELECT count(*) FROM t") == "3"


@vm_only
def test_demote_never_points_a_standby_at_itself(lab, pair, cluster):
    p1, p2 = pair
    expect_rc(cluster.demote(p1), 0, p1, "demote psql1")
    conninfo = p1.sql("SHOW primary_conninfo")
    assert p2.addr in conninfo and p1.addr not in conninfo, conninfo
    expect_rc(run_agent(p1, "monitor", meta={"interval": "10000", "role": "Unpromoted"}), 0, p1)


@container_only
def test_old_primary_promotable_after_first_primary_monitor(lab, pair, cluster):
    """Issue 2 D7 after a switchover: one monitor of the new primary that sees the
    demoted old primary streaming makes it promotable, and promote accepts it."""
    p1, p2 = pair
    expect_rc(cluster.demote(p1), 0, p1, "demote psql1")
    expect_rc(cluster.promote(p2), 0, p2, "promote psql2")
    assert wait_streaming(p2, p1)
    expect_rc(monitor(p2, "Promoted"), 8, p2, "first monitor of psql2 that sees psql1 streaming")
    assert (lab.promotion_score("psql1") or 0) > 0, f"not promotable: {lab.stub_state()}"
