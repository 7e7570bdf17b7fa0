# SPDX-License-Identifier: GPL-2.0-or-later
"""VM mode: synchronous replication degrades and returns; stale standbys are not promoted.

Assumptions about the contract (issue 2) that the agent must align with:
- D1 rep_mode=sync: while the standby streams, the primary's
  synchronous_standby_names names it (contains 'psql2'); pg_stat_replication
  shows sync_state 'sync' (or 'quorum').
- D2 when the standby is stopped (stop through the agent, with the pre/post
  stop notifications on the primary), at the latest after 3 recurring
  monitors of the primary synchronous_standby_names is '' and the standby's
  promotion score is negative; a commit then does not wait for a standby.
- D3 when the standby is back, within 20 primary monitors (0.5 s apart)
  synchronous_standby_names names it again and its score is positive.
- D4 the primary's monitor records the standby's replication state in a
  node attribute of the standby with lifetime forever (crm_attribute -l
  forever), so something is recorded under psql2 in the stub's "forever"
  section once psql2 has been away. The attribute name is the agent's choice.
- D5 promote of a standby that the last primary monitor marked stale, with
  the primary gone, exits 1 with one ocf-exit-reason line and leaves it a
  standby; with force_promotion=true it exits 0 and the monitor says 8.
- D7 a standby that has just started streaming is promotable after the
  primary's first recurring monitor that sees it (the issue's lesson: PAF
  needs one more interval): positive score, sync name set.
- D6 a commit never waits longer than the client's statement_timeout: a
  commit stuck in synchronous replication is cancelled by it with the
  WARNING "canceling wait for synchronous replication", which fails the test.
"""

import time

import pytest

from harness.agent import bootstrap_pair, expect_rc, monitor, run_agent, wait_row, wait_streaming
from harness.lab import wait_for

pytestmark = pytest.mark.modes("vm")


def sync_names(primary):
    return primary.sql("SHOW synchronous_standby_names")


def write_must_not_block(primary, value):
    res = primary.sql(f"INSERT INTO t VALUES ('{value}')", timeout_s=10, check=False)
    assert res.rc == 0 and "synchronous replication" not in res.err, \
        f"commit waited for a standby that is gone:\n{res}"


def monitor_until(primary, predicate, tries):
    """Runs the primary's recurring monitor until predicate() holds (bounded)."""
    for _ in range(tries):
        expect_rc(monitor(primary, "Promoted"), 8, primary, "primary monitor")
        if predicate():
            return True
        time.sleep(0.5)
    return False


def test_sync_degrade_and_return(lab, pair, cluster):
    p1, p2 = pair
    assert monitor_until(p1, lambda: "psql2" in sync_names(p1), 5), \
        f"sync standby not named: {sync_names(p1)!r}"
    assert p1.sql("SELECT sync_state FROM pg_stat_replication WHERE application_name='psql2'") in ("sync", "quorum")
    assert (lab.promotion_score("psql2") or 0) > 0

    expect_rc(cluster.stop(p2), 0, p2, "stop standby")
    assert monitor_until(p1, lambda: sync_names(p1) == "", 3), \
        f"primary did not degrade to async: {sync_names(p1)!r}"
    score = lab.promotion_score("psql2")
    assert score is not None and score < 0, f"absent standby must not be promotable: {lab.stub_state()}"
    write_must_not_block(p1, "while-degraded")
    assert lab.stub_state()["forever"].get("psql2"), "standby state not recorded with lifetime forever"

    expect_rc(cluster.start(p2), 0, p2, "start standby again")
    assert wait_streaming(p1, p2)
    assert monitor_until(p1, lambda: "psql2" in sync_names(p1) and (lab.promotion_score("psql2") or 0) > 0, 20), \
        f"sync not restored: names={sync_names(p1)!r} state={lab.stub_state()}"
    assert wait_row(p2, "t", "while-degraded")
    res = p1.sql("INSERT INTO t VALUES ('sync-again')", timeout_s=20, check=False)
    assert res.rc == 0 and "synchronous replication" not in res.err, res


def test_async_mode_never_names_a_sync_standby(lab, cluster):
    p1, p2 = lab["psql1"], lab["psql2"]
    lab.overrides = {n: {"rep_mode": "async"} for n in ("psql1", "psql2")}
    bootstrap_pair(lab, cluster)
    monitor_until(p1, lambda: True, 2)
    assert sync_names(p1) == ""
    assert (lab.promotion_score("psql2") or 0) > 0
    expect_rc(cluster.stop(p2), 0, p2, "stop standby")
    write_must_not_block(p1, "async-write")


def _make_stale_standby(lab, cluster, p1, p2):
    expect_rc(cluster.stop(p2), 0, p2, "stop standby")
    monitor_until(p1, lambda: sync_names(p1) == "", 3)
    for i in range(3):
        write_must_not_block(p1, f"missed-{i}")
    p1.crash()
    cluster.forget(p1)
    expect_rc(cluster.start(p2), 0, p2, "start stale standby, primary gone")


def test_stale_standby_is_not_promoted(lab, pair, cluster):
    p1, p2 = pair
    _make_stale_standby(lab, cluster, p1, p2)
    # Pacemaker would only promote with a positive score; the agent must refuse anyway.
    res = cluster.promote(p2)
    expect_rc(res, 1, p2, "promote of a stale standby")
    assert len(res.exit_reasons()) == 1, res
    assert p2.in_recovery(), "a refused promotion must leave a standby"
    expect_rc(monitor(p2, "Unpromoted"), 0, p2, "monitor after refused promotion")
    res = cluster.promote(p2, params={"force_promotion": "true"})
    expect_rc(res, 0, p2, "forced promotion")
    expect_rc(monitor(p2, "Promoted"), 8, p2, "monitor after forced promotion")
    assert wait_for(lambda: not p2.in_recovery(), tries=20)


def test_stale_standby_without_notify_data_is_not_promoted(lab, pair, cluster):
    """ocf-tester style: no notify data, the agent falls back to local checks."""
    p1, p2 = pair
    _make_stale_standby(lab, cluster, p1, p2)
    res = run_agent(p2, "promote")
    expect_rc(res, 1, p2, "promote without notify data")
    assert len(res.exit_reasons()) == 1, res
    assert p2.in_recovery()
    expect_rc(monitor(p2, "Unpromoted"), 0, p2, "monitor after refused promotion")


def test_fresh_standby_promotable_after_first_primary_monitor(lab, cluster):
    p1, p2 = lab["psql1"], lab["psql2"]
    lab.init_primary_data(p1)
    expect_rc(cluster.start(p1), 0, p1, "start psql1")
    expect_rc(cluster.promote(p1), 0, p1, "promote psql1")
    expect_rc(cluster.start(p2), 0, p2, "start psql2")
    assert wait_streaming(p1, p2)
    expect_rc(monitor(p1, "Promoted"), 8, p1, "first primary monitor after streaming")
    assert "psql2" in sync_names(p1)
    score = lab.promotion_score("psql2")
    assert score is not None and score > 0, f"one monitor later still not promotable: {lab.stub_state()}"
