# SPDX-License-Identifier: GPL-2.0-or-later
"""Scenario 9: a standby that was not in sync when the primary died is not
promoted (no force_promotion); the node with the newest data is."""
import time

import labkit
import pgkit


def test_stale_standby_is_not_promoted(pgtwin_lab):
    lab = pgtwin_lab
    primary, standby = pgkit.restore_settled(lab)
    with pgkit.Scenario(lab, "stale") as sc:
        with sc.writes_may_wait("standby's postmaster killed: sync waits until it is dropped"):
            pgkit.kill_postmaster(lab, standby)  # banned: migration-threshold=1
            labkit.wait_for("standby recorded as not in sync",
                            lambda: pgkit.node_attributes(lab, primary).get(standby, {})
                            .get("pgtwin-pgsql-rep-state") not in (None, "in-sync"), timeout=120)
            sc.more_acks(1, timeout=180)
        sc.more_acks(30, timeout=180)      # written while the standby is away
        pgkit.kill_postmaster(lab, primary)
        time.sleep(2)
        lab.crm("resource", "cleanup", pgkit.CLONE, standby)   # the stale one may run again
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline:
            assert pgkit.try_sql(lab, standby, "SELECT pg_is_in_recovery()") != "f", \
                "the stale standby was promoted"
            time.sleep(1)
        pgkit.cleanup(lab)                 # the old primary may run again
        assert pgkit.wait_settled(lab, timeout=300) == (primary, standby)
        missing = sc.finish(primary)
    assert missing == []
