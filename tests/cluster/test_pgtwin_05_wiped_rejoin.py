# SPDX-License-Identifier: GPL-2.0-or-later
"""Scenario 5b: a standby whose data directory was wiped (disk replaced while
the node was off) comes back with pg_basebackup, made by the agent."""
import faults
import pgkit


def test_wiped_standby_rejoins_with_pg_basebackup(pgtwin_lab):
    lab = pgtwin_lab
    primary, standby = pgkit.restore_settled(lab)
    mark = pgkit.log_mark(lab, standby)
    with pgkit.Scenario(lab, "wiped") as sc:
        with sc.writes_may_wait("standby's node lost: sync waits until it is fenced and dropped"):
            lab.run("kill-node", standby)
            faults.wipe_data(lab, standby)   # the node is off: its disk is ours
            sc.more_acks(1, timeout=240)
        sc.more_acks(30, timeout=240)      # the clone runs now: checked for stalls
        assert pgkit.wait_settled(lab, timeout=300, observer=primary) == (primary, standby)
        missing = sc.finish(primary)
    assert missing == []
    assert (pgkit.data_dir(lab, standby) / "PG_VERSION").exists()
    assert "pg_basebackup" in pgkit.agent_log(lab, standby, mark)
