# SPDX-License-Identifier: GPL-2.0-or-later
"""Fault recipes shared by the double-failure scenarios (test_pgtwin_11..13)
and the mixed soak (soak.py, bench/failover --mode mixed).

Each recipe takes the lab, the settled (primary, standby) and a running
pgkit.Scenario (writer + two-primaries sampler + stall windows), injects its
fault, waits for what the fault's design promises in the short term, and
returns the (primary, standby) the cluster must settle to by itself. The
recipes assert outcomes (who is promoted, the cloning node never promoted),
never the agent's mechanism (clone inside start or a supervised clone job).
"""
from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path
from typing import Optional

import labkit
import pgkit

SWITCH_NS = "pgtsw"     # lab/lab: the bridge's namespace, port sN faces node psqlN
FILLER_ROWS = 80_000    # ~90 MB of table data: a clone of a few tens of seconds at CLONE_RATE
CLONE_RATE = "16mbit"   # only PostgreSQL's traffic (source port 5432) towards the cloning node


def switch_port(node: str) -> str:
    return "s" + node[-1]


def _tc(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", "netns", "exec", SWITCH_NS, "tc", *args], capture_output=True,
                          text=True, timeout=30, check=check)


def slow_link(node: str, rate: str = CLONE_RATE) -> None:
    """Throttle what PostgreSQL servers send to NODE (the clone's copy flows
    that way). Shaped in the switch, per source port 5432 only: Corosync and
    the client's traffic keep the full speed, so membership is not disturbed."""
    port = switch_port(node)
    _tc("qdisc", "replace", "dev", port, "root", "handle", "1:", "htb", "default", "10")
    _tc("class", "replace", "dev", port, "parent", "1:", "classid", "1:20", "htb", "rate", rate, "ceil", rate)
    _tc("filter", "replace", "dev", port, "parent", "1:", "protocol", "ip", "prio", "1", "u32",
        "match", "ip", "sport", "5432", "0xffff", "flowid", "1:20")


def unslow_link(node: str) -> None:
    _tc("qdisc", "del", "dev", switch_port(node), "root", check=False)


def node_pids(lab: labkit.Lab, node: str) -> list[int]:
    """Processes of NODE's process tree (containers' processes included: the
    node's reaper adopts conmon)."""
    holder = lab.holder_pid(node)
    return [pid for pid, _ in labkit.lab_pids(lab) if holder and _in_tree(pid, holder)]


def _in_tree(pid: int, root: int) -> bool:
    for _ in range(64):
        if pid == root:
            return True
        try:
            pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            return False
        if pid <= 1:
            return False
    return False


def tool_running(lab: labkit.Lab, node: str, tool: str) -> bool:
    """A process named TOOL runs on NODE."""
    for pid in node_pids(lab, node):
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == tool:
                return True
        except OSError:
            pass
    return False


def fill(lab: labkit.Lab, primary: str) -> None:
    """A table big enough that cloning it over the slowed link takes a while
    (idempotent; replicated to the standby like any data)."""
    pgkit.sql(lab, primary, "CREATE TABLE IF NOT EXISTS clone_filler AS SELECT g, repeat('x', 1000) AS pad "
              f"FROM generate_series(1, {FILLER_ROWS}) g", timeout=300)


def wipe_data(lab: labkit.Lab, node: str) -> None:
    """Empty NODE's data directory (its disk, seen from the host). NODE must be off."""
    with pgkit.offline_data_dir(lab, node) as data:
        pgkit.empty_dir(data)
        assert not any(data.iterdir())


def kill_nodes(lab: labkit.Lab, *nodes: str) -> None:
    """lab/lab kill-node for NODES at the same moment (one thread each)."""
    threads = [threading.Thread(target=lab.run, args=("kill-node", n)) for n in nodes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for n in nodes:
        labkit.wait_for(f"{n} dead", lambda n=n: lab.holder_pid(n) is None, timeout=60, interval=0.2)


def boot_nodes(lab: labkit.Lab, *nodes: str) -> None:
    threads = [threading.Thread(target=lab.run, args=("boot-node", n)) for n in nodes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


class RoleWatch(threading.Thread):
    """Samples, once a second, which node Pacemaker shows Promoted (from any
    running node) and whether NODE's PostgreSQL answers as a primary; records
    every sample in which NODE was either."""

    def __init__(self, lab: labkit.Lab, node: str):
        super().__init__(daemon=True)
        self.lab, self.node = lab, node
        self.halt = threading.Event()
        self.samples = 0
        self.promoted: list[str] = []

    def run(self) -> None:
        while not self.halt.is_set():
            for observer in labkit.NODES:
                try:
                    if self.node in pgkit.promoted_nodes(self.lab, observer):
                        self.promoted.append(f"Pacemaker ({observer}) at {time.ctime()}")
                    break
                except Exception:  # noqa: BLE001 - the node is down or booting
                    continue
            if pgkit.try_sql(self.lab, self.node, "SELECT pg_is_in_recovery()", timeout=5) == "f":
                self.promoted.append(f"PostgreSQL read-write at {time.ctime()}")
            self.samples += 1
            self.halt.wait(1)

    def stop(self) -> list[str]:
        self.halt.set()
        self.join(timeout=60)
        return self.promoted


def start_clone(lab: labkit.Lab, standby: str, sc: "pgkit.Scenario") -> None:
    """Take STANDBY's node down, wipe its data and slow its link: after the
    fence reboot the agent clones it. Returns once pg_basebackup runs there."""
    with sc.writes_may_wait("standby's node lost: sync waits until it is fenced and dropped"):
        lab.run("kill-node", standby)
        wipe_data(lab, standby)
        slow_link(standby)
        labkit.wait_for(f"pg_basebackup running on {standby}",
                        lambda: tool_running(lab, standby, "pg_basebackup"), timeout=240, interval=0.5)
    time.sleep(5)   # well into the copy (PG_VERSION comes first, pg_control last)


def node_killed_mid_clone(lab: labkit.Lab, primary: str, standby: str, sc: "pgkit.Scenario") -> tuple[str, str]:
    """The standby's node dies while it clones; after its fence reboot it
    rejoins by itself."""
    fill(lab, primary)
    try:
        start_clone(lab, standby, sc)
        lab.run("kill-node", standby)
    finally:
        unslow_link(standby)
    sc.more_acks(1, timeout=240)
    return primary, standby


def primary_lost_while_peer_clones(lab: labkit.Lab, primary: str, standby: str,
                                   sc: "pgkit.Scenario", watch: Optional[RoleWatch] = None) -> tuple[str, str]:
    """The primary's node dies while the standby clones: no failover target
    exists; the primary comes back after its fence reboot and is promoted
    again, the standby then finishes its rejoin. WATCH (started here when
    given) samples the standby's roles until the primary is promoted again."""
    fill(lab, primary)
    try:
        start_clone(lab, standby, sc)
        if watch:
            watch.start()
        with sc.writes_may_wait("no primary until the old one is back from its fence reboot"):
            lab.run("kill-node", primary)
            unslow_link(standby)
            pgkit.wait_promoted(lab, primary, observer=primary, timeout=400)
            sc.more_acks(1, timeout=240)
    finally:
        unslow_link(standby)
    return primary, standby


def last_wal_record(lab: labkit.Lab, node: str) -> int:
    """LSN of the last valid WAL record in NODE's data directory (NODE off):
    pg_waldump on the newest timeline reads until the WAL ends (recycled
    segments stop it as well)."""
    with pgkit.offline_data_dir(lab, node) as data:
        return _last_wal_record(node, data)


def _last_wal_record(node: str, data: Path) -> int:
    control = subprocess.run([f"{pgkit.PGBIN}/pg_controldata", str(data)], capture_output=True,
                             text=True, timeout=30, check=True).stdout
    fields = dict(line.split(":", 1) for line in control.splitlines() if ":" in line)
    redo = lsn_bytes(fields["Latest checkpoint's REDO location"].strip())
    seg_size = int(fields["Bytes per WAL segment"].strip())
    # A standby's last restartpoint may predate a timeline switch it has
    # replayed since: the WAL ends on the newest timeline in pg_wal, from the
    # redo point or from that timeline's first segment, whichever is later.
    segments = [(int(f.name[:8], 16), int(f.name[8:16], 16) * (0x100000000 // seg_size) + int(f.name[16:], 16))
                for f in (data / "pg_wal").iterdir() if len(f.name) == 24 and f.name.isalnum()]
    tli = max(t for t, _ in segments)
    start = max(redo, min(n for t, n in segments if t == tli) * seg_size)
    out = subprocess.run([f"{pgkit.PGBIN}/pg_waldump", "-p", str(data / "pg_wal"), "-t", str(tli),
                          "-s", f"{start >> 32:X}/{start & 0xFFFFFFFF:X}"],
                         capture_output=True, text=True, timeout=120).stdout
    last = [line.split("lsn: ", 1)[1].split(",", 1)[0] for line in out.splitlines() if "lsn: " in line]
    assert last, f"no WAL record on timeline {tli} after {start} on {node}"
    return lsn_bytes(last[-1])


def lsn_bytes(lsn: str) -> int:
    """An LSN as PostgreSQL prints it (X/Y) as a byte position."""
    hi, lo = lsn.split("/")
    return (int(hi, 16) << 32) | int(lo, 16)


def both_killed(lab: labkit.Lab, primary: str, standby: str, sc: "pgkit.Scenario") -> tuple[str, str]:
    """Both nodes die at the same moment under writes; nobody is left to
    fence, so both are booted again (power restored) after a pause. The node
    with the newest WAL must be promoted; with equal WAL either may be, and
    so may the other node once it has received the newest WAL (see below)."""
    with sc.writes_may_wait("both nodes down until they are booted again"):
        kill_nodes(lab, primary, standby)
        ends = {n: last_wal_record(lab, n) for n in (primary, standby)}
        print(f"last WAL record after both were killed: {ends}")
        boot_nodes(lab, primary, standby)
        promoted = labkit.wait_for("a promoted node serving as primary",
                                   lambda: pgkit.serving_primary(lab, primary), timeout=400)
        sc.more_acks(1, timeout=240)
    if ends[primary] == ends[standby]:
        return promoted, pgkit.other(promoted)
    newest = max(ends, key=ends.get)
    if promoted != newest:
        # Booted as standbys, each streams from the other (a standby serves
        # WAL too), so the older node may receive the newer one's last
        # records before the election and then holds the newest data as
        # well. It did so iff its new timeline forked after the newest disk's
        # last record (the switch point is the end of the last record it
        # replayed, the ends above are record starts).
        fork = switch_point(lab, promoted)
        print(f"{promoted} promoted, its timeline forked at {fork}; newest disk {newest} ended at {ends[newest]}")
        if fork > ends[newest]:
            return promoted, pgkit.other(promoted)
    return newest, pgkit.other(newest)


def switch_point(lab: labkit.Lab, node: str) -> int:
    """Where NODE's current timeline forked from its parent (the history
    file's last entry), as a byte position."""
    query = ("SELECT pg_read_file('pg_wal/' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) || '.history')")
    text = labkit.wait_for(f"{node}'s timeline history", lambda: pgkit.try_sql(lab, node, query), timeout=60)
    entries = [line.split() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return lsn_bytes(entries[-1][1])
