# SPDX-License-Identifier: GPL-2.0-or-later
"""Scenario 6: the standby's node dies. The primary keeps acknowledging
writes once the standby is fenced (synchronous replication degrades only for
a peer that is fenced or a member of its partition, review H1), and the
standby returns to sync after its fence reboot."""
import time

import pgkit


# The fence reboot's boot delay for this scenario: the primary degrades at its
# first monitor after the fence, so the node must stay off for longer than a
# monitor interval (2 s in the examples) for "writes go on while it is off" to be
# observable; 40 s leaves room for longer intervals.
BOOT_DELAY_S = 40


def set_boot_delay(lab, node, seconds):
    lab.exec(node, "crm_resource", "-r", "fence-lab", "--set-parameter", "boot_delay",
             "--parameter-value", str(seconds))


def test_primary_keeps_writing_while_standby_is_gone(pgtwin_lab):
    lab = pgtwin_lab
    primary, standby = pgkit.restore_settled(lab)
    before_delay = lab.exec(primary, "crm_resource", "-r", "fence-lab", "--get-parameter", "boot_delay",
                            "--quiet").stdout.strip() or "10"
    set_boot_delay(lab, primary, BOOT_DELAY_S)
    try:
        run_standby_loss(lab, primary, standby)
    finally:
        set_boot_delay(lab, pgkit.labkit_any(lab), before_delay)


def run_standby_loss(lab, primary, standby):
    with pgkit.Scenario(lab, "standby-loss") as sc:
        before = sc.acks()
        # Writes go on while the standby is still off (the fence agent boots
        # it again BOOT_DELAY_S after fencing it): sync has degraded.
        deadline = time.monotonic() + 240
        with sc.writes_may_wait("standby's node lost: sync waits until it is fenced and dropped"):
            lab.run("kill-node", standby)
            while sc.acks() < before + 1:
                assert time.monotonic() < deadline, "no writes acknowledged while the standby was off"
                time.sleep(0.2)
        while sc.acks() < before + 20:
            assert lab.holder_pid(standby) is None, \
                "the standby was back before the primary acknowledged writes without it"
            assert time.monotonic() < deadline, "no writes acknowledged while the standby was off"
            time.sleep(0.2)
        assert pgkit.promoted_nodes(lab, primary) == [primary]
        assert pgkit.wait_settled(lab, timeout=300, observer=primary) == (primary, standby)
        sc.more_acks(20)
        missing = sc.finish(primary)
    assert missing == []
    assert pgkit.missing_rows(lab, standby, sc.writer.acked()) == []
