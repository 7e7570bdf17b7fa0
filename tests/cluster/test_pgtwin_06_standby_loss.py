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
        # Writes go on while the standby is still off (the fence agent boots
        # it again boot_delay=10 s after fencing it): sync has degraded.
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
