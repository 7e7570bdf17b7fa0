# SPDX-License-Identifier: GPL-2.0-or-later
"""VM mode: promotion safety when the replication role lacks a grant (issue 7 item 5).

The peer-role probe runs as rep_user. It used to run the full status query,
whose pg_ls_waldir() needs pg_monitor: without that grant the query failed on
a running primary, the peer counted as "no primary", and promote of the
standby went ahead (two primaries without fencing).

- D1 with pg_monitor revoked from the replication role, promote of the
  standby while the other node runs as primary exits 1, names the running
  primary, and promotes nothing.
- D2 validate-all on a running instance names the missing grant with
  OCF_ERR_CONFIGURED (6) and the GRANT to run; with the grant back it exits 0.
"""

import time

import pytest

from harness.agent import expect_rc, run_agent

pytestmark = pytest.mark.modes("vm")


def revoke_pg_monitor(primary, standby):
    primary.sql("REVOKE pg_monitor FROM replicator")
    # The standby's catalog follows by replay; wait so both sides agree.
    lsn = primary.sql("SELECT pg_current_wal_lsn()")
    for _ in range(40):
        if standby.sql(f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn") == "t":
            return
        time.sleep(0.25)
    raise AssertionError("the REVOKE never reached the standby")


def test_promote_refuses_while_the_primary_hides_its_role(lab, pair, cluster):
    p1, p2 = pair
    revoke_pg_monitor(p1, p2)
    try:
        res = cluster.promote(p2)
        expect_rc(res, 1, p2, "promote of the standby while psql1 runs as primary")
        reasons = res.exit_reasons()
        assert len(reasons) == 1 and "two primaries" in reasons[0], res
        assert p2.in_recovery(), "psql2 was promoted next to a running primary"
        assert not p1.in_recovery()
    finally:
        p1.sql("GRANT pg_monitor TO replicator")


def test_validate_all_names_the_missing_grant(lab, pair):
    p1, p2 = pair
    revoke_pg_monitor(p1, p2)
    try:
        res = run_agent(p1, "validate-all")
        expect_rc(res, 6, p1, "validate-all without pg_monitor")
        reasons = res.exit_reasons()
        assert len(reasons) == 1 and "GRANT pg_monitor TO replicator" in reasons[0], res
    finally:
        p1.sql("GRANT pg_monitor TO replicator")
    expect_rc(run_agent(p1, "validate-all"), 0, p1, "validate-all with the grant back")
