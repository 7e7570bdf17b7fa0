"""Scenario 6: the standby's node dies. The primary keeps acknowledging
writes (synchronous replication degrades), and the standby returns to sync
after its fence reboot."""
import time

import pgkit


def test_primary_keeps_writing_while_standby_is_gone(pgtwin_lab):
    lab = pgtwin_lab
    primary, standby = pgkit.restore_settled(lab)
    with pgkit.Scenario(lab, "standby-loss") as sc:
        before = sc.acks()
        lab.run("kill-node", standby)
        # Writes go on while the standby is still off (the fence agent boots
        # it again boot_delay=10 s after fencing it): sync has degraded.
        deadline = time.monotonic() + 240
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
