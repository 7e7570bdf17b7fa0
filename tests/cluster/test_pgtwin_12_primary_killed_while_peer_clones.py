# SPDX-License-Identifier: GPL-2.0-or-later
"""Scenario 12 (issue 8, double failures): the primary's node dies while the
other node clones from it. The half-made node is never promoted (its roles are
sampled throughout); when the old primary returns from its fence reboot it is
promoted again (it holds the newest data) and the other node finishes its
rejoin without an administrator; no acknowledged row lost."""
import faults
import labkit
import pgkit


def test_primary_killed_while_peer_clones(pgtwin_lab):
    lab = pgtwin_lab
    primary, standby = pgkit.restore_settled(lab)
    watch = faults.RoleWatch(lab, standby)
    try:
        with pgkit.Scenario(lab, "primary-lost-during-clone") as sc:
            expected = faults.primary_lost_while_peer_clones(lab, primary, standby, sc, watch)
            sc.more_acks(30, timeout=240)
            assert pgkit.wait_settled(lab, timeout=400, observer=primary) == expected
            missing = sc.finish(primary)
    finally:
        promoted = watch.stop() if watch.is_alive() else watch.promoted
    assert watch.samples > 0
    assert promoted == [], f"the half-made {standby} was promoted: {promoted[:5]}"
    assert missing == []
    # The standby flushed every acknowledged row; wait until it replayed them.
    labkit.wait_for(f"{standby} holds every acknowledged row",
                    lambda: pgkit.missing_rows(lab, standby, sc.writer.acked()) == [], timeout=120)
