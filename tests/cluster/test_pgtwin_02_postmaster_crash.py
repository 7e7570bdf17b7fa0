# SPDX-License-Identifier: GPL-2.0-or-later
"""Scenario 2: failover when the primary's postmaster is killed (kill -9);
then scenario 5a: the crashed primary rejoins as a standby with pg_rewind
once its failure is cleaned up (migration-threshold=1 bans it until then)."""
import pgkit

STATE = {}


def test_failover_on_postmaster_crash(pgtwin_lab):
    lab = pgtwin_lab
    primary, standby = pgkit.restore_settled(lab)
    mark = pgkit.log_mark(lab, primary)
    with pgkit.Scenario(lab, "postmaster") as sc:
        with sc.failover("primary's postmaster killed"):
            pgkit.kill_postmaster(lab, primary)
            pgkit.wait_promoted(lab, standby, observer=standby)
        sc.more_acks(30)
        missing = sc.finish(standby)
    assert missing == []
    assert lab.state(standby).resource_nodes(pgkit.VIP_RSC) == [standby]
    STATE.update(old=primary, new=standby, mark=mark)


def test_crashed_primary_rejoins_with_pg_rewind(pgtwin_lab):
    lab = pgtwin_lab
    old, new = STATE["old"], STATE["new"]
    pgkit.cleanup(lab)
    assert pgkit.wait_settled(lab, timeout=180) == (new, old)
    assert "pg_rewind" in pgkit.agent_log(lab, old, STATE["mark"])
    assert pgkit.timeline(lab, old) == pgkit.timeline(lab, new) or \
        pgkit.sql(lab, old, "SELECT received_tli FROM pg_stat_wal_receiver") == \
        pgkit.sql(lab, new, "SELECT timeline_id FROM pg_control_checkpoint()")
