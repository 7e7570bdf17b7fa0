# SPDX-License-Identifier: GPL-2.0-or-later
"""A diverged old primary rejoins by pg_rewind (both modes), or by pg_basebackup.

How divergence is made (no Pacemaker, so the test plays the cluster):
  1. psql1 primary, psql2 streaming sync standby (agent-managed);
  2. psql2 is stopped through the agent; psql1's monitor degrades to async;
  3. a row 'diverged' is written on psql1 only; psql1 is killed (-9);
  4. psql2 is started (no primary reachable: standby on its own data) and
     promoted with force_promotion=true (it is stale, see test_sync.py);
  5. a row 'new-primary' is written on psql2 (timeline 2);
  6. psql1 is stopped (crashed primary: must succeed) and started again.
psql1 is now ahead of the fork point on timeline 1: it must not simply
stream, it has to rewind (or be rebuilt) and then follow psql2.

Assumptions about the contract (issue 2) that the agent must align with:
- C1 start on a stopped, diverged old primary with the new primary reachable
  runs pg_rewind (auto_rewind=true, the default; in container mode in a
  temporary container on the stopped data, gone afterwards) and exits 0 with
  a streaming standby; the agent.log mentions the rewind.
- C2 auto_rewind=false makes the agent skip pg_rewind and fall back to
  pg_basebackup; backup_before_basebackup=true keeps the old data in a
  directory next to pgdata whose name starts with "<pgdata basename>."
  (default backup_dir: <pgdata>.pgtwin-backup-<time>) and that still holds a
  cluster (PG_VERSION, global/pg_control).
- C3 promote with force_promotion=true of a stale standby whose primary is
  gone exits 0.
"""

import pytest

from harness.agent import expect_rc, monitor, wait_row, wait_streaming


def make_divergence(lab, cluster, p1, p2):
    """Steps 2-5 above; returns with psql2 primary on a new timeline, psql1 crashed."""
    expect_rc(cluster.stop(p2), 0, p2, "stop psql2")
    for _ in range(3):
        expect_rc(monitor(p1, "Promoted"), 8, p1, "primary monitor while standby is away")
    p1.sql("INSERT INTO t VALUES ('diverged')", timeout_s=20)
    p1.crash()
    cluster.forget(p1)
    expect_rc(cluster.start(p2), 0, p2, "start psql2 without primary")
    expect_rc(cluster.promote(p2, params={"force_promotion": "true"}), 0, p2, "forced promote psql2")
    expect_rc(monitor(p2, "Promoted"), 8, p2, "monitor psql2 primary")
    p2.sql("INSERT INTO t VALUES ('new-primary')")
    assert p2.sql("SELECT count(*) FROM t WHERE v = 'diverged'") == "0"
    expect_rc(cluster.stop(p1), 0, p1, "stop of the crashed old primary")


def assert_rejoined(p1, p2):
    expect_rc(monitor(p1, "Unpromoted"), 0, p1, "monitor rejoined psql1")
    assert p1.in_recovery()
    assert wait_streaming(p2, p1), f"psql1 does not stream from psql2\n{p1.log_tail()}"
    p2.sql("INSERT INTO t VALUES ('after-rejoin')")
    assert wait_row(p1, "t", "after-rejoin")
    assert p1.sql("SELECT count(*) FROM t WHERE v = 'new-primary'") == "1"
    assert p1.sql("SELECT count(*) FROM t WHERE v = 'diverged'") == "0", "divergent row survived"


def test_diverged_old_primary_rejoins_by_pg_rewind(lab, pair, cluster):
    p1, p2 = pair
    make_divergence(lab, cluster, p1, p2)
    expect_rc(cluster.start(p1), 0, p1, "start diverged old primary")
    assert_rejoined(p1, p2)
    log = "".join(f.read_text(errors="replace") for f in (p1.agent_log, p1.dir / "agent-calls.log") if f.exists())
    assert "rewind" in log.lower(), "agent log does not mention pg_rewind"
    assert lab.stray_containers() == [], "the rewind's temporary container was left behind"


def backups_of(host):
    return [d for d in host.data.parent.iterdir()
            if d.is_dir() and d.name.startswith(host.data.name + ".")]


@pytest.mark.modes("vm")
@pytest.mark.parametrize("keep_backup", [True, False])
def test_diverged_old_primary_rejoins_by_basebackup(lab, pair, cluster, keep_backup):
    p1, p2 = pair
    make_divergence(lab, cluster, p1, p2)
    params = {"auto_rewind": "false", "backup_before_basebackup": "true" if keep_backup else "false"}
    expect_rc(cluster.start(p1, params=params), 0, p1, "start with auto_rewind=false")
    assert_rejoined(p1, p2)
    backups = backups_of(p1)
    if keep_backup:
        assert len(backups) == 1, f"expected one backup of the old data next to pgdata: {backups}"
        assert (backups[0] / "PG_VERSION").exists() and (backups[0] / "global" / "pg_control").exists()
    else:
        assert backups == []
