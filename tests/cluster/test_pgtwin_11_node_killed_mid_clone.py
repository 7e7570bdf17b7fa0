# SPDX-License-Identifier: GPL-2.0-or-later
"""Scenario 11 (issue 8, double failures): the standby's node dies while it
clones (its data was wiped, the copy runs over a slowed link). After the fence
reboot it comes back and ends streaming by itself; no acknowledged row lost."""
import faults
import labkit
import pgkit


def test_node_killed_mid_clone_rejoins_by_itself(pgtwin_lab):
    lab = pgtwin_lab
    primary, standby = pgkit.restore_settled(lab)
    with pgkit.Scenario(lab, "killed-mid-clone") as sc:
        expected = faults.node_killed_mid_clone(lab, primary, standby, sc)
        sc.more_acks(30, timeout=240)
        assert pgkit.wait_settled(lab, timeout=400, observer=primary) == expected
        missing = sc.finish(primary)
    assert missing == []
    # The standby flushed every acknowledged row; wait until it replayed them.
    labkit.wait_for(f"{standby} holds every acknowledged row",
                    lambda: pgkit.missing_rows(lab, standby, sc.writer.acked()) == [], timeout=120)
