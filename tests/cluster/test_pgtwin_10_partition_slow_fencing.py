# SPDX-License-Identifier: GPL-2.0-or-later
"""Scenario 10 (issue 7 item 2, review H1): a partition with slow fencing
that the standby's side wins. Fencing is held on both sides by the lab fence
agent (state/fence-hold.<node>): the standby's side fences the primary only
after wal_sender_timeout plus two promoted monitors, the primary's side never
fences the standby; priority-fencing-delay is off. While its peer is unclean
the primary must keep the standby synchronous (writes wait) instead of
recording it not promotable in its own partition's CIB and acknowledging
alone: the standby's side still reads "in-sync" and promotes. Zero
acknowledged rows may be lost, never two primaries, and after the heal the
old primary rejoins."""
import time
import xml.etree.ElementTree as ET

import labkit
import pgkit
import stalls

# Short, so the primary's walsender drops the unreachable standby soon
# (default 60 s); set on the primary for this scenario only, reset after.
WAL_SENDER_TIMEOUT_S = 15
REP_STATE = f"pgtwin-{pgkit.RSC}-rep-state"


def cib_rep_state(lab, side, node):
    """rep-state of NODE in SIDE's own CIB copy (cibadmin -Q --local), or None."""
    xpath = f"//nodes/node[@uname='{node}']//nvpair[@name='{REP_STATE}']"
    out = lab.exec(side, "cibadmin", "-Q", "--local", "--xpath", xpath, check=False, timeout=20)
    if out.returncode != 0:
        return None
    return ET.fromstring(out.stdout).get("value")


def sees_unclean(lab, side, node):
    st = lab.state(side).nodes.get(node)
    return st is not None and st.unclean and not st.online


def crm_property(lab, node, name, value=None):
    args = ["crm_attribute", "-t", "crm_config", "-n", name]
    if value is None:
        out = lab.exec(node, *args, "-G", "-q", check=False)
        return out.stdout.strip() if out.returncode == 0 else None
    if value == "":
        return lab.exec(node, *args, "-D", check=False)
    return lab.exec(node, *args, "-v", value)


def hold_file(lab, node):
    return lab.lab_dir / "state" / f"fence-hold.{node}"


def test_partition_with_slow_fencing_won_by_the_standby_side(pgtwin_lab):
    lab = pgtwin_lab
    primary, standby = pgkit.restore_settled(lab)
    monitor = stalls.bounds_from_cib(lab, primary, pgkit.RSC).monitor_interval
    hold_primary_s = WAL_SENDER_TIMEOUT_S + 2 * monitor + 5
    delay = crm_property(lab, primary, "priority-fencing-delay")
    holder = lab.holder_pid(primary)
    seen = []   # (seconds after the partition, primary side's value, standby side's value)
    try:
        crm_property(lab, primary, "priority-fencing-delay", "0")
        pgkit.sql(lab, primary, f"ALTER SYSTEM SET wal_sender_timeout = '{WAL_SENDER_TIMEOUT_S}s'")
        pgkit.sql(lab, primary, "SELECT pg_reload_conf()")
        hold_file(lab, primary).touch()
        hold_file(lab, standby).touch()
        with pgkit.Scenario(lab, "partition-slow-fencing") as sc:
            with sc.writes_may_wait("partition: the primary's peer is unclean until fenced"):
                lab.run("partition")
                start = time.monotonic()
                labkit.wait_for("each side sees the other unclean",
                                lambda: sees_unclean(lab, primary, standby)
                                and sees_unclean(lab, standby, primary), timeout=90)
                while time.monotonic() - start < hold_primary_s:
                    seen.append((round(time.monotonic() - start), cib_rep_state(lab, primary, standby),
                                 cib_rep_state(lab, standby, standby)))
                    time.sleep(2)
                hold_file(lab, primary).unlink()   # the standby's side fences the primary now
                labkit.wait_for(f"{primary} fenced", lambda: lab.holder_pid(primary) != holder, timeout=150)
                pgkit.wait_promoted(lab, standby, observer=standby, timeout=180)
                sc.more_acks(1, timeout=120)
            sc.more_acks(20)
            hold_file(lab, standby).unlink(missing_ok=True)
            lab.run("heal")
            assert pgkit.wait_settled(lab, timeout=300, observer=standby) == (standby, primary)
            missing = sc.finish(standby)
    finally:
        for node in (primary, standby):
            hold_file(lab, node).unlink(missing_ok=True)
        lab.run("heal")
        crm_property(lab, pgkit.labkit_any(lab), "priority-fencing-delay", delay or "")
        for node in (primary, standby):
            if pgkit.try_sql(lab, node, "ALTER SYSTEM RESET wal_sender_timeout") is not None:
                pgkit.try_sql(lab, node, "SELECT pg_reload_conf()")
    print(f"rep-state({standby}) in the CIB copies [s after partition, {primary} side, {standby} side]: {seen}")
    differed = [s for s in seen if None not in s[1:] and s[1] != s[2]]
    assert missing == [], (f"{len(missing)} acknowledged rows lost; the CIB copies differed: "
                           f"{differed[:3]}...{differed[-1:]}")
    assert differed == [], f"the primary recorded its unclean peer not promotable: {differed[:3]}"
