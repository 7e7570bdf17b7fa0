# SPDX-License-Identifier: GPL-2.0-or-later
"""Scenario 3: failover when the primary's node dies (Pacemaker fences it);
scenario 5a again: after the fence reboot the old primary rejoins as a
standby by itself (pg_rewind), without any cleanup and without a failed
probe."""
import labkit
import pgkit

STATE = {}


def test_failover_on_node_loss_with_fencing(pgtwin_lab):
    lab = pgtwin_lab
    primary, standby = pgkit.restore_settled(lab)
    holder = lab.holder_pid(primary)
    mark = pgkit.log_mark(lab, primary)
    survivor_mark = pgkit.log_mark(lab, standby)
    with pgkit.Scenario(lab, "node-loss") as sc:
        with sc.failover("primary's node lost"):
            lab.run("kill-node", primary)
            pgkit.wait_promoted(lab, standby, observer=standby, timeout=240)
        sc.more_acks(30)
        missing = sc.finish(standby)
    assert missing == []
    out = lab.exec(standby, "stonith_admin", "--history", primary, "--output-as=xml")
    assert [e for e in labkit.parse_fence_history(out.stdout, primary) if e.get("status") == "success"]
    # The fenced node's address drops packets: promote's second-primary probe
    # gave up after its short try because Pacemaker reported the node fenced,
    # instead of waiting out the full connect cap (5 s on the failover path).
    promote_log = pgkit.agent_log(lab, standby, survivor_mark)
    assert "promote: Peer does not answer and Pacemaker reports it fenced" in promote_log, promote_log[-3000:]
    labkit.wait_for(f"{primary} rebooted", lambda: lab.holder_pid(primary) not in (None, holder),
                    timeout=120)
    STATE.update(old=primary, new=standby, mark=mark)


def test_fenced_primary_rejoins_by_itself(pgtwin_lab):
    lab = pgtwin_lab
    old, new = STATE["old"], STATE["new"]
    assert pgkit.wait_settled(lab, timeout=240, observer=new) == (new, old)
    log = pgkit.agent_log(lab, old, STATE["mark"])
    assert "pg_rewind" in log
    # Its probe after the reboot found PostgreSQL down, which is what a fenced
    # node's resources are: no failure for Pacemaker to count or show.
    failures = [ln for ln in log.splitlines() if "error: monitor:" in ln]
    assert failures == [], f"the rebooted node's monitor reported a failure: {failures}"
