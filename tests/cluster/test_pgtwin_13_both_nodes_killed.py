# SPDX-License-Identifier: GPL-2.0-or-later
"""Scenario 13 (issue 8, double failures): both nodes die at the same moment
under writes (power loss). After both are booted again the node with the
newest WAL (read from both disks while they are off; with equal WAL either)
is promoted, nothing acknowledged is lost and the other streams."""
import faults
import labkit
import pgkit


def test_both_nodes_killed_promote_the_newest(pgtwin_lab):
    lab = pgtwin_lab
    primary, standby = pgkit.restore_settled(lab)
    with pgkit.Scenario(lab, "both-killed") as sc:
        expected = faults.both_killed(lab, primary, standby, sc)
        sc.more_acks(30, timeout=240)
        assert pgkit.wait_settled(lab, timeout=400, observer=primary) == expected
        missing = sc.finish(expected[0])
    assert missing == []
    primary, standby = expected
    # The standby flushed every acknowledged row; wait until it replayed them.
    labkit.wait_for(f"{standby} holds every acknowledged row",
                    lambda: pgkit.missing_rows(lab, standby, sc.writer.acked()) == [], timeout=120)
