# SPDX-License-Identifier: GPL-2.0-or-later
"""Scenario 7: network partition between the nodes. Fencing resolves it
(priority-fencing-delay keeps the promoted node), exactly one primary, no
acknowledged write lost; after the heal the fenced node rejoins."""
import labkit
import pgkit


def test_partition_is_resolved_by_fencing(pgtwin_lab):
    lab = pgtwin_lab
    primary, standby = pgkit.restore_settled(lab)
    holder = lab.holder_pid(standby)
    primary_holder = lab.holder_pid(primary)
    seen = len(lab.pacemaker_log(primary))
    try:
        with pgkit.Scenario(lab, "partition") as sc:
            with sc.writes_may_wait("partition: sync waits until the standby is fenced and dropped"):
                lab.run("partition")
                labkit.wait_for(f"{standby} fenced", lambda: lab.holder_pid(standby) != holder, timeout=180)
                assert pgkit.promoted_nodes(lab, primary) == [primary]
                try:
                    sc.more_acks(1, timeout=240)
                finally:
                    # The standby's side asks to fence the primary too, delayed
                    # by priority-fencing-delay; it must die before that.
                    assert lab.holder_pid(primary) == primary_holder, \
                        f"{primary} was fenced as well: both nodes went down"
            # The primary stopped waiting in the post-stop notification that
            # follows the fencing, not at a monitor after wal_sender_timeout
            # (the fenced standby's walsender would have looked in sync till then).
            degrades = [ln for ln in lab.pacemaker_log(primary)[seen:]
                        if "Changing synchronous standby." in ln and "to: ''" in ln]
            assert degrades and "notify: " in degrades[0], f"degraded by: {degrades}"
            sc.more_acks(30, timeout=240)
            lab.run("heal")
            assert pgkit.wait_settled(lab, timeout=300, observer=primary) == (primary, standby)
            missing = sc.finish(primary)
    finally:
        lab.run("heal")
    assert missing == []
