# SPDX-License-Identifier: GPL-2.0-or-later
"""Container mode, two hosts: replication between containers, switchover, auto-init, rejoin.

Contract points (issue 4) checked here:
- the second node starts on an empty data directory: the agent clones the
  primary with pg_basebackup in a temporary container (no container of
  that kind is left), then the standby container streams over 10.231.0.x.
- a row written on the primary container is read on the standby container.
- switchover with Pacemaker's notify sequences (demote, promote) both ways.
- a diverged old primary rejoins the new primary by pg_rewind (run in a
  temporary container on the stopped data) and no divergent row survives.
"""

import time

from ctagent import expect_rc, monitor, wait_row, wait_streaming


def monitor_until_promotable(lab, primary, standby, tries):
    """Runs the primary's recurring monitor until the standby's score is positive."""
    for _ in range(tries):
        expect_rc(monitor(primary, "Promoted"), 8, primary, "primary monitor")
        if (lab.promotion_score(standby.name) or 0) > 0:
            return True
        time.sleep(0.5)
    return False


def test_replication_between_containers(lab, pair):
    p1, p2 = pair
    assert p2.container_running() and p1.container_running()
    assert p2.in_recovery() and not p1.in_recovery()
    addr = p1.sql("SELECT client_addr FROM pg_stat_replication WHERE application_name = 'psql2'")
    assert addr == p2.addr, f"standby should connect from {p2.addr}, got {addr!r}"
    p1.sql("INSERT INTO t VALUES ('row-1')")
    assert wait_row(p2, "t", "row-1"), "row written on the primary never reached the standby"
    score = lab.promotion_score("psql2")
    assert score is not None and score > 0, f"streaming sync standby needs a positive score: {lab.stub_state()}"
    # Only the two named containers exist: the basebackup container was temporary.
    assert sorted(lab.containers()) == sorted([p1.container, p2.container]), lab.containers()


def test_auto_init_fails_cleanly_without_primary(lab, cluster):
    """psql2 is not first in node_list: with no peer it must not initdb."""
    p2 = lab["psql2"]
    # A 20 s start: the agent waits for a peer half of it (of 120 s: a minute).
    res = cluster.start(p2, params={"node_list": "psql1 psql2"}, meta={"timeout": "20000"})
    expect_rc(res, 1, p2, "start of an empty second node with no peer")
    assert not any(p2.data.iterdir()), "data created on the second node"
    assert not p2.container_exists()


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
    # Pacemaker's recurring monitor of the new primary records psql1 in sync.
    assert monitor_until_promotable(lab, p2, p1, 5), f"psql1 never promotable: {lab.stub_state()}"
    expect_rc(cluster.demote(p2), 0, p2, "demote psql2")
    expect_rc(cluster.promote(p1), 0, p1, "promote psql1 back")
    expect_rc(monitor(p1, "Promoted"), 8, p1, "monitor psql1")
    assert wait_streaming(p1, p2)
    p1.sql("INSERT INTO t VALUES ('back-home')")
    assert wait_row(p2, "t", "back-home")
    assert p1.sql("SELECT count(*) FROM t") == "3"


def test_diverged_old_primary_rejoins_by_pg_rewind(lab, pair, cluster):
    p1, p2 = pair
    expect_rc(cluster.stop(p2), 0, p2, "stop psql2")
    for _ in range(3):
        expect_rc(monitor(p1, "Promoted"), 8, p1, "primary monitor while standby is away")
    p1.sql("INSERT INTO t VALUES ('diverged')", timeout_s=20)
    p1.crash()
    cluster.forget(p1)
    expect_rc(cluster.start(p2), 0, p2, "start psql2 without primary")
    expect_rc(cluster.promote(p2, params={"force_promotion": "true"}), 0, p2, "forced promote psql2")
    p2.sql("INSERT INTO t VALUES ('new-primary')")
    expect_rc(cluster.stop(p1), 0, p1, "stop of the crashed old primary")
    assert not p1.container_exists()
    expect_rc(cluster.start(p1), 0, p1, "start diverged old primary")
    expect_rc(monitor(p1, "Unpromoted"), 0, p1, "monitor rejoined psql1")
    assert wait_streaming(p2, p1), f"psql1 does not stream from psql2\n{p1.log_tail()}"
    p2.sql("INSERT INTO t VALUES ('after-rejoin')")
    assert wait_row(p1, "t", "after-rejoin")
    assert p1.sql("SELECT count(*) FROM t WHERE v = 'new-primary'") == "1"
    assert p1.sql("SELECT count(*) FROM t WHERE v = 'diverged'") == "0", "divergent row survived"
    log = (p1.dir / "agent-calls.log").read_text(errors="replace")
    assert "rewind" in log.lower(), "agent log does not mention pg_rewind"
    assert sorted(lab.containers()) == sorted([p1.container, p2.container]), lab.containers()


def test_old_primary_promotable_after_first_primary_monitor(lab, pair, cluster):
    """Issue 2 D7 after a switchover: one monitor of the new primary that sees the
    demoted old primary streaming makes it promotable, and promote accepts it."""
    p1, p2 = pair
    expect_rc(cluster.demote(p1), 0, p1, "demote psql1")
    expect_rc(cluster.promote(p2), 0, p2, "promote psql2")
    assert wait_streaming(p2, p1)
    expect_rc(monitor(p2, "Promoted"), 8, p2, "first monitor of psql2 that sees psql1 streaming")
    assert (lab.promotion_score("psql1") or 0) > 0, f"not promotable: {lab.stub_state()}"
