# SPDX-License-Identifier: GPL-2.0-or-later
"""reload-agent (OCF 1.1, issue 10): changing a reloadable parameter with
`crm resource param` makes Pacemaker call reload-agent instead of restarting
the clone. Shown by pg_postmaster_start_time() on both nodes staying the same
while the new value takes effect: rep_mode async empties the primary's
synchronous_standby_names, rep_mode sync names the standby again."""
import labkit
import pgkit

NODES = ("psql1", "psql2")


def start_times(lab):
    return {n: pgkit.sql(lab, n, "SELECT pg_postmaster_start_time()") for n in NODES}


def sync_names(lab, primary):
    return pgkit.try_sql(lab, primary, "SHOW synchronous_standby_names")


def set_rep_mode(lab, primary, mode, expect_named):
    lab.crm("resource", "param", pgkit.RSC, "set", "rep_mode", mode)
    labkit.wait_for(f"rep_mode={mode} in effect on {primary}",
                    lambda: (sync_names(lab, primary) or "") != "" if expect_named
                    else sync_names(lab, primary) == "",
                    timeout=120, interval=1)


def test_reloadable_parameter_changes_without_restarting_postgresql(pgtwin_lab):
    lab = pgtwin_lab
    primary, standby = pgkit.restore_settled(lab)
    labkit.wait_for("standby named synchronous", lambda: standby in (sync_names(lab, primary) or ""),
                    timeout=120, interval=1)
    before = start_times(lab)
    marks = {n: pgkit.log_mark(lab, n) for n in NODES}
    try:
        set_rep_mode(lab, primary, "async", expect_named=False)
        assert start_times(lab) == before, "PostgreSQL was restarted for a reloadable parameter"
        # Async: the standby streams but is not synchronous, so "settled"
        # (which wants sync_state=sync) does not apply; the roles must hold.
        labkit.wait_for("the standby streaming asynchronously", lambda: pgkit.try_sql(
            lab, primary, "SELECT string_agg(state || '/' || sync_state, ',') FROM pg_stat_replication")
            == "streaming/async", timeout=120, interval=1)
        assert pgkit.promoted_nodes(lab, primary) == [primary]
        logs = {n: pgkit.agent_log(lab, n, marks[n]) for n in NODES}
        assert all("reload-agent" in logs[n] for n in NODES), logs
    finally:
        set_rep_mode(lab, primary, "sync", expect_named=True)
    assert standby in sync_names(lab, primary)
    assert start_times(lab) == before, "PostgreSQL was restarted when rep_mode went back to sync"
    assert pgkit.wait_settled(lab, timeout=120) == (primary, standby)
