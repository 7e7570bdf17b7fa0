# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 9 item 4: on Btrfs the agent keeps a read-only snapshot of the
node's subvolume before pg_rewind. In async mode a primary lost with rows its
standby never received rejoins by pg_rewind, which discards those rows; the
snapshot taken first, restored with `pgtwin storage restore`, starts as an
independent instance that still holds them. Container mode only: the lab's
container nodes use the storage layout on a Btrfs per node."""
import os
import subprocess
from pathlib import Path

import pytest

import labkit
import pgkit

AGENT = "/usr/lib/ocf/resource.d/pgtwin/pgtwin"
PG_UID = 999

pytestmark = pytest.mark.skipif(not pgkit.CONTAINER, reason="the storage layout on Btrfs is container mode's")


SWITCH_NS = "pgtsw"  # the lab's bridge (lab/lab make_network)
TABLE = "pgtwin_test_no_wal"


def block_wal(primary: str, standby: str) -> None:
    """Drops PostgreSQL traffic between the nodes at the lab's switch, nothing
    else: corosync stays up (no fencing), the standby stays "streaming" and
    receives no more WAL (a frozen receiver would still get it from its socket
    buffer once thawed). Lifted only once the standby is promoted: the killed
    primary's network namespace outlives its processes, and the kernel keeps
    retransmitting what the walsender had queued until the peer takes it
    (lifted right after the kill, the standby received all 100 rows)."""
    p, s = f"s{primary[-1]}", f"s{standby[-1]}"
    rules = (f"table bridge {TABLE} {{\n chain forward {{\n  type filter hook forward priority 0;\n"
             f"  iifname \"{p}\" oifname \"{s}\" tcp sport 5432 drop\n"
             f"  iifname \"{s}\" oifname \"{p}\" tcp dport 5432 drop\n }}\n}}\n")
    subprocess.run(["ip", "netns", "exec", SWITCH_NS, "nft", "-f", "-"], input=rules, text=True, check=True)


def unblock_wal() -> None:
    subprocess.run(["ip", "netns", "exec", SWITCH_NS, "nft", "delete", "table", "bridge", TABLE], check=False)


def async_settled(lab: labkit.Lab, observer: str) -> "tuple[str, str] | None":
    """pgkit.settled() for rep_mode=async: the standby streams asynchronously."""
    st = lab.state(observer)
    promoted = st.nodes_with_role(pgkit.CLONE, "Promoted")
    unpromoted = st.nodes_with_role(pgkit.CLONE, "Unpromoted")
    if (st.online_nodes() != list(labkit.NODES) or len(promoted) != 1 or len(unpromoted) != 1
            or st.resource_nodes(pgkit.VIP_RSC) != promoted or any(r.failed for r in st.resources)):
        return None
    states = pgkit.try_sql(lab, promoted[0], "SELECT string_agg(sync_state || '/' || state, ',') "
                                              "FROM pg_stat_replication")
    return (promoted[0], unpromoted[0]) if states == "async/streaming" else None


def set_rep_mode(lab: labkit.Lab, mode: str) -> tuple[str, str]:
    """Changes rep_mode (Pacemaker restarts the clone) and waits until the
    cluster has settled in that mode."""
    lab.crm("resource", "param", pgkit.RSC, "set", "rep_mode", mode)
    if mode == "sync":
        return labkit.wait_for("settled in sync mode", lambda: pgkit.settled_or_none(lab), timeout=300, interval=2)
    observer = pgkit.labkit_any(lab)
    return labkit.wait_for("settled in async mode", lambda: async_settled(lab, observer), timeout=300, interval=2)


def start_restored(lab: labkit.Lab, node: str, data: str) -> None:
    """pg_ctl on NODE (host binaries, as the data's owner uid 999): local socket only."""
    hba = Path(f"/proc/{lab.holder_pid(node)}/root/tmp/pgtwin-restored-hba.conf")
    hba.write_text("local all all trust\n")
    os.chown(hba, PG_UID, PG_UID)
    opts = ("-c listen_addresses='' -c unix_socket_directories=/tmp -p 5499 -c archive_mode=off "
            "-c hba_file=/tmp/pgtwin-restored-hba.conf -c logging_collector=off")
    lab.exec(node, "setpriv", f"--reuid={PG_UID}", f"--regid={PG_UID}", "--clear-groups",
             f"{pgkit.PGBIN}/pg_ctl", "-D", data, "-w", "-t", "60", "-l", "/tmp/pgtwin-restored.log",
             "-o", opts, "start", timeout=90)


def restored_sql(lab: labkit.Lab, node: str, query: str) -> str:
    return lab.exec(node, "setpriv", f"--reuid={PG_UID}", f"--regid={PG_UID}", "--clear-groups",
                    f"{pgkit.PGBIN}/psql", "-X", "-At", "-h", "/tmp", "-p", "5499", "-U", "postgres",
                    "-d", "postgres", "-c", query, timeout=30).stdout.strip()


def test_rewind_snapshot_restores_the_discarded_rows(pgtwin_lab):
    lab = pgtwin_lab
    pgkit.restore_settled(lab)
    primary, standby = set_rep_mode(lab, "async")
    try:
        pgkit.sql(lab, primary, "CREATE TABLE IF NOT EXISTS discarded(id int primary key)")
        labkit.wait_for("the table on the standby",
                        lambda: pgkit.try_sql(lab, standby, "SELECT count(*) FROM discarded") == "0", timeout=60)
        block_wal(primary, standby)
        try:
            # Async: the commit is acknowledged with the standby behind.
            pgkit.sql(lab, primary, "INSERT INTO discarded SELECT generate_series(1, 100)")
            holder = lab.holder_pid(primary)
            mark = pgkit.log_mark(lab, primary)
            lab.run("kill-node", primary)
            pgkit.wait_promoted(lab, standby, observer=standby, timeout=240)
        finally:
            unblock_wal()
        assert pgkit.sql(lab, standby, "SELECT count(*) FROM discarded") == "0"
        labkit.wait_for(f"{primary} rebooted", lambda: lab.holder_pid(primary) not in (None, holder), timeout=120)
        assert labkit.wait_for("the old primary rejoined", lambda: async_settled(lab, standby),
                               timeout=300, interval=2) == (standby, primary)
        assert "pg_rewind" in pgkit.agent_log(lab, primary, mark)
        assert pgkit.sql(lab, primary, "SELECT count(*) FROM discarded") == "0"  # rewound away

        listed = lab.exec(primary, AGENT, "storage", "list").stdout.splitlines()
        rewinds = [line.split("\t")[0] for line in listed if line.startswith("pgtwin-rewind-")]
        assert rewinds, f"no rewind snapshot on {primary}: {listed}"
        out = lab.exec(primary, AGENT, "storage", "restore", rewinds[-1]).stdout.strip()
        assert out == f"/var/lib/pgtwin/@postgres-{primary}-restored.{rewinds[-1]}/data"
        start_restored(lab, primary, out)
        try:
            assert restored_sql(lab, primary, "SELECT count(*) FROM discarded") == "100"
        finally:
            lab.exec(primary, "setpriv", f"--reuid={PG_UID}", f"--regid={PG_UID}", "--clear-groups",
                     f"{pgkit.PGBIN}/pg_ctl", "-D", out, "-m", "fast", "stop", timeout=60, check=False)
            lab.exec(primary, "btrfs", "subvolume", "delete", str(Path(out).parent), check=False)
    finally:
        set_rep_mode(lab, "sync")
