# SPDX-License-Identifier: GPL-2.0-or-later
"""Scenario 4: planned switchover with a promoted-role move and back.
crmsh 4.4's `resource move` has no role option, so the move is made with
crm_resource --move --promoted (what `pcs resource move --promoted` does) and
cleared with `crm resource clear`."""
import pgkit


def switch_to(lab, target, name):
    current = pgkit.other(target)
    with pgkit.Scenario(lab, name) as sc:
        try:
            with sc.failover(f"switchover to {target}"):
                lab.exec(target, "crm_resource", "--move", "--promoted", "-r", pgkit.CLONE, "-N", target)
                pgkit.wait_promoted(lab, target, observer=target)
            sc.more_acks(30)
        finally:
            lab.crm("resource", "clear", pgkit.CLONE)
        assert pgkit.wait_settled(lab, timeout=180) == (target, current)
        missing = sc.finish(target)
    assert missing == []


def test_switchover_and_back(pgtwin_lab):
    lab = pgtwin_lab
    primary, standby = pgkit.restore_settled(lab)
    switch_to(lab, standby, "switchover")
    switch_to(lab, primary, "switchback")
