# SPDX-License-Identifier: GPL-2.0-or-later
"""Scenario 8: full cluster restart. Both nodes go down (graceful shutdown of
the whole cluster) after the standby fell behind; after the restart the node
with the newest data is promoted and nothing acknowledged is lost."""
import pgkit


def test_full_restart_promotes_the_newest_node(pgtwin_lab):
    lab = pgtwin_lab
    primary, standby = pgkit.restore_settled(lab)
    with pgkit.Scenario(lab, "restart") as sc:
        with sc.writes_may_wait("standby's postmaster killed: sync waits until it is dropped"):
            pgkit.kill_postmaster(lab, standby)  # standby stays down (banned)
            sc.more_acks(1, timeout=180)
        sc.more_acks(40, timeout=180)
        sc.writer.stop()
        lab.run("down", timeout=400)
        lab.run("up", timeout=400)
        assert pgkit.wait_settled(lab, timeout=300) == (primary, standby)
        missing = sc.finish(primary)
    assert missing == []
