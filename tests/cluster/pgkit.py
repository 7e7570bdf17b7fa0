# SPDX-License-Identifier: GPL-2.0-or-later
"""Helpers of the pgtwin HA scenarios: the pgtwin lab (PostgreSQL prepared on
both nodes, examples/vm-mode-cluster.crm loaded), a writer on the client host
that commits through the VIP, a sampler that watches for two primaries, and
bounded waits for a settled cluster.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Iterator, Optional

import labkit
import stalls

# The cluster tier runs in one mode per pytest run: PGTWIN_CLUSTER_MODE=vm
# (default; PostgreSQL 15 from the host's packages) or container (PostgreSQL
# in a podman container per node, started by pgtwin; docs/CONTAINER_MODE_SETUP.md).
MODE = os.environ.get("PGTWIN_CLUSTER_MODE", "vm")
if MODE not in ("vm", "container"):
    raise ValueError(f"PGTWIN_CLUSTER_MODE must be vm or container, not {MODE!r}")
CONTAINER = MODE == "container"
# The agent that runs PostgreSQL: pgtwin, or PAF (ocf:heartbeat:pgsqlms) for
# bench/failover --agent paf, which compares the two in one lab (VM
# mode, asynchronous replication as PAF documents it; lab/paf-setup).
AGENT = os.environ.get("PGTWIN_BENCH_AGENT", "pgtwin")
if AGENT not in ("pgtwin", "paf") or (AGENT == "paf" and CONTAINER):
    raise ValueError(f"PGTWIN_BENCH_AGENT must be pgtwin, or paf in vm mode, not {AGENT!r}")
PAF = AGENT == "paf"
if PAF:
    CONFIG = labkit.REPO / "lab" / "paf-cluster.crm"
    SETUP_COMMAND = "setup-paf"
else:
    CONFIG = labkit.REPO / "examples" / ("container-mode-cluster.crm" if CONTAINER else "vm-mode-cluster.crm")
    SETUP_COMMAND = "setup-pgtwin-container" if CONTAINER else "setup-pgtwin"
# Container mode's image (the harness parameter PGTWIN_TEST_IMAGE, also read by
# lab/lab setup-pgtwin-container): the example's image unless another
# variant of lab/build-test-image is named (tests/cluster/run.sh's
# container-official mode uses :15-official).
DEFAULT_IMAGE = "localhost/pgtwin-test/postgres:15"
IMAGE = os.environ.get("PGTWIN_TEST_IMAGE", DEFAULT_IMAGE)
CLONE = "pgsql-clone"
RSC = "pgsql"
VIP_RSC = "pgsql-vip"
VIP = labkit.topology.VIP
PGBIN = "/usr/lib/postgresql/15/bin"
# The node's data directory: container mode uses the storage layout on the
# node's Btrfs (PGTWIN_LAB_BTRFS=1), which is mounted in the node's own mount
# namespace only; the host reaches it through /proc/<holder>/root.
def pgdata(node: str) -> str:
    return f"/var/lib/pgtwin/@postgres-{node}/data" if CONTAINER else "/var/lib/pgtwin/vm/data"


SOCK = "/run/pgtwin-postgres" if CONTAINER else "/var/run/postgresql"
WRITER = Path(__file__).resolve().parent / "pgwriter.py"
APP_PASSWORD = "app-lab-password"


def new_lab(binary: Optional[str] = None) -> labkit.Lab:
    """A Lab for this mode with pgtwin from BINARY (default: PGTWIN_BIN, else
    build-ci/pgtwin); container mode gets the storage layout on a Btrfs per
    node, as the cluster tier and the benchmarks need."""
    lab = labkit.Lab()
    lab.env["PGTWIN_BIN"] = binary or os.environ.get("PGTWIN_BIN", str(labkit.REPO / "build-ci" / "pgtwin"))
    if CONTAINER:
        lab.env["PGTWIN_LAB_BTRFS"] = "1"
    return lab


def crm_config(workdir: Path) -> Path:
    """The configuration to load: the example as shipped, or (another image)
    a copy in WORKDIR with only container_image changed."""
    if not CONTAINER or IMAGE == DEFAULT_IMAGE:
        return CONFIG
    text = CONFIG.read_text()
    assert f"container_image={DEFAULT_IMAGE}" in text, f"{CONFIG} names no {DEFAULT_IMAGE}"
    copy = workdir / CONFIG.name
    copy.write_text(text.replace(f"container_image={DEFAULT_IMAGE}", f"container_image={IMAGE}"))
    return copy


def other(node: str) -> str:
    return "psql2" if node == "psql1" else "psql1"


def psql_argv() -> list[str]:
    """psql on the node's local socket as database user postgres. VM mode: as
    the OS user postgres (peer). Container mode: as root through the shared
    socket directory (trust on local, directory mode 0700)."""
    common = [f"{PGBIN}/psql", "-X", "-At", "-h", SOCK, "-d", "postgres"]
    if CONTAINER:
        return common + ["-U", "postgres"]
    return ["runuser", "-u", "postgres", "--"] + common


def data_dir(lab: labkit.Lab, node: str) -> Path:
    """NODE's data directory on its disk, seen from the host (NODE running;
    for a node that is off, offline_data_dir)."""
    if CONTAINER:
        holder = lab.holder_pid(node)
        assert holder is not None, f"{node} is off: its Btrfs is mounted nowhere (use offline_data_dir)"
        return Path(f"/proc/{holder}/root") / pgdata(node).lstrip("/")
    return lab.lab_dir.joinpath("nodes", node, "var-lib-pgtwin", "vm", "data")


@contextlib.contextmanager
def offline_data_dir(lab: labkit.Lab, node: str) -> Iterator[Path]:
    """NODE's data directory while NODE is off (its disk, ours to change).
    Container mode: the node's Btrfs image is mounted on the host for the
    duration, under the lock lab/node takes to mount it at boot, so a fence
    reboot meanwhile waits instead of mounting the same file system twice."""
    labkit.wait_for(f"{node} off", lambda: lab.holder_pid(node) is None, timeout=60, interval=0.2)
    if not CONTAINER:
        yield data_dir(lab, node)
        return
    image = lab.lab_dir / "nodes" / node / "pgtwin-btrfs.img"
    with open(image.with_name("pgtwin-btrfs.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        # The dead node's mount goes with its mount namespace, a moment later.
        labkit.wait_for(f"{node}'s Btrfs released", lambda: not _loop_devices(image), timeout=60, interval=0.2)
        with tempfile.TemporaryDirectory(prefix=f"pgtwin-{node}-disk.") as mnt:
            subprocess.run(["mount", "-o", "loop", str(image), mnt], check=True, timeout=60)
            try:
                yield Path(mnt) / pgdata(node).removeprefix("/var/lib/pgtwin/")
            finally:
                subprocess.run(["umount", mnt], check=True, timeout=60)


def _loop_devices(image: Path) -> list[str]:
    out = subprocess.run(["losetup", "-nO", "NAME", "-j", str(image)], capture_output=True, text=True,
                         timeout=30, check=True).stdout
    return out.split()


def container_name(node: str) -> str:
    return f"pgtwin-postgres-{node}"


def sql(lab: labkit.Lab, node: str, query: str, timeout: float = 20) -> str:
    """Run QUERY on NODE's local instance over its socket (as postgres)."""
    out = lab.exec(node, *psql_argv(), "-v", "ON_ERROR_STOP=1", "-c", query, timeout=timeout)
    return out.stdout.strip()


def try_sql(lab: labkit.Lab, node: str, query: str, timeout: float = 10) -> Optional[str]:
    """Like sql() but None when the instance (or the node) does not answer."""
    if lab.holder_pid(node) is None:
        return None
    try:
        out = lab.exec(node, *psql_argv(), "-c", query, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def node_attributes(lab: labkit.Lab, node: Optional[str] = None) -> dict[str, dict[str, str]]:
    """Transient and permanent node attributes as crm_mon -A shows them."""
    args = ("crm_mon", "--output-as=xml", "-A")
    out = lab.exec(node, *args) if node else lab.exec(labkit_any(lab), *args)
    root = ET.fromstring(out.stdout)
    attrs: dict[str, dict[str, str]] = {}
    for n in root.iterfind("./node_attributes/node"):
        attrs[n.get("name", "")] = {a.get("name", ""): a.get("value", "") for a in n.iter("attribute")}
    return attrs


def labkit_any(lab: labkit.Lab) -> str:
    """A node that runs Pacemaker."""
    for n in labkit.NODES:
        if lab.holder_pid(n) is not None and lab.pacemakerd_pid(n) is not None:
            return n
    raise RuntimeError("no lab node runs Pacemaker")


def settled(lab: labkit.Lab, observer: Optional[str] = None) -> Optional[tuple[str, str]]:
    """(primary, standby) once both nodes are online, one instance promoted,
    the other unpromoted and recorded in-sync, the VIP on the primary and no
    failed action; else None. Under PAF, which records no replication state
    and replicates asynchronously: the standby streams from the primary."""
    observer = observer or labkit_any(lab)
    st = lab.state(observer)
    promoted = st.nodes_with_role(CLONE, "Promoted")
    unpromoted = st.nodes_with_role(CLONE, "Unpromoted")
    if (st.online_nodes() != list(labkit.NODES) or len(promoted) != 1
            or len(unpromoted) != 1 or st.resource_nodes(VIP_RSC) != promoted):
        return None
    if any(r.failed for r in st.resources):
        return None
    if not PAF:
        attrs = node_attributes(lab, observer)
        if attrs.get(unpromoted[0], {}).get(f"pgtwin-{RSC}-rep-state") != "in-sync":
            return None
    if try_sql(lab, promoted[0], "SELECT pg_is_in_recovery()") != "f":
        return None
    if PAF:
        # PAF's primary publishes the standby's promotion score from its
        # monitor; until then a failover would promote nobody.
        score = node_attributes(lab, observer).get(unpromoted[0], {}).get(f"master-{RSC}", "")
        if not score.lstrip("-").isdigit() or int(score) <= 0:
            return None
        streaming = try_sql(lab, promoted[0], "SELECT string_agg(application_name || ':' || state, ',') "
                            "FROM pg_stat_replication")
        return (promoted[0], unpromoted[0]) if streaming == f"{unpromoted[0]}:streaming" else None
    sync = try_sql(lab, promoted[0], "SELECT string_agg(sync_state, ',') FROM pg_stat_replication")
    if sync != "sync":
        return None
    return promoted[0], unpromoted[0]


def wait_settled(lab: labkit.Lab, timeout: float = 240, observer: Optional[str] = None) -> tuple[str, str]:
    return labkit.wait_for("a settled cluster (primary + in-sync standby + VIP)",
                           lambda: settled(lab, observer), timeout=timeout, interval=2)


def promoted_nodes(lab: labkit.Lab, observer: str) -> list[str]:
    return lab.state(observer).nodes_with_role(CLONE, "Promoted")


def serving_primary(lab: labkit.Lab, observer: str) -> Optional[str]:
    """The node Pacemaker shows Promoted, not failed, that answers as a
    primary; None while there is none. A probe that finds a crashed primary
    after a reboot shows that node as (failed) Promoted before any promote."""
    st = lab.state(observer)
    nodes = [n for r in st.resources if CLONE in (r.rsc_id, r.clone) and r.role == "Promoted"
             and r.active and not r.failed for n in r.nodes]
    if len(nodes) == 1 and try_sql(lab, nodes[0], "SELECT pg_is_in_recovery()") == "f":
        return nodes[0]
    return None


def postmaster_pid(lab: labkit.Lab, node: str) -> int:
    """PID of NODE's postmaster from postmaster.pid (host view of the node disk)."""
    if CONTAINER:
        # postmaster.pid holds the PID inside the container's PID namespace;
        # the runtime knows the host PID of the container's PID 1, which is
        # the postmaster (the image's entrypoint execs postgres).
        out = lab.exec(node, "podman", "inspect", "--type", "container", "--format",
                       "{{.State.Pid}}", container_name(node), timeout=30)
        pid = int(out.stdout.strip())
        assert pid > 0, f"{container_name(node)} does not run on {node}"
        return pid
    pidfile = data_dir(lab, node) / "postmaster.pid"
    local = int(pidfile.read_text().splitlines()[0])
    # The node shares the host's PID namespace: the PID is valid on the host.
    return local


def kill_postmaster(lab: labkit.Lab, node: str) -> int:
    pid = postmaster_pid(lab, node)
    os.kill(pid, signal.SIGKILL)
    return pid


def cleanup(lab: labkit.Lab) -> None:
    """Forget failures (migration-threshold=1 bans a node after one)."""
    lab.crm("resource", "cleanup", CLONE)


def prepare_app_user(lab: labkit.Lab, primary: str) -> None:
    """The writer's role and table (idempotent)."""
    sql(lab, primary, "DO $$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname='app') "
        f"THEN CREATE ROLE app LOGIN PASSWORD '{APP_PASSWORD}'; END IF; END$$")
    sql(lab, primary, "CREATE TABLE IF NOT EXISTS ha_rows (id bigint PRIMARY KEY, "
        "at timestamptz DEFAULT now())")
    sql(lab, primary, "GRANT INSERT, SELECT ON ha_rows TO app")


class Writer:
    """pgwriter.py on the client host; acks are read back from its log."""

    def __init__(self, lab: labkit.Lab, workdir: Path, name: str, interval: float = 0.05):
        self.lab = lab
        self.log = workdir / f"writer-{name}.log"
        self.passfile = workdir / "app.pgpass"
        self.passfile.write_text(f"*:*:*:app:{APP_PASSWORD}\n")
        os.chmod(self.passfile, 0o600)
        # Unique across writers and test runs (a writer commits < 100000 rows/s).
        self.first_id = int(time.time()) * 100_000
        self.interval = interval
        self.proc: Optional[subprocess.Popen] = None

    def start(self) -> "Writer":
        self.proc = subprocess.Popen(
            [str(labkit.LAB_SCRIPT), "client", "/usr/bin/python3", str(WRITER), str(self.log),
             VIP, str(self.passfile), str(self.first_id), str(self.interval)],
            env=self.lab.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(str(self.log) + ".stderr", "w"))
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def lines(self) -> list[list[str]]:
        try:
            return [line.split(" ", 3) for line in self.log.read_text().splitlines() if line]
        except OSError:
            return []

    def acked(self) -> list[int]:
        return [int(p[1]) for p in self.lines() if p[0] == "ack"]

    def ack_times(self) -> list[tuple[int, float]]:
        return [(int(p[1]), float(p[2])) for p in self.lines() if p[0] == "ack"]

    def ack_latencies(self) -> list[tuple[float, float]]:
        """(epoch when acknowledged, seconds the commit took) per acknowledged row."""
        return [(float(p[2]), float(p[3])) for p in self.lines() if p[0] == "ack" and len(p) > 3]

    def wait_acks(self, more_than: int, timeout: float = 120) -> int:
        return labkit.wait_for(f"writer acks > {more_than}",
                               lambda: (n := len(self.acked())) > more_than and n, timeout=timeout,
                               interval=0.5)


def missing_rows(lab: labkit.Lab, primary: str, acked: list[int]) -> list[int]:
    """Acknowledged ids not present on PRIMARY."""
    if not acked:
        return []
    present = set()
    out = sql(lab, primary, f"SELECT id FROM ha_rows WHERE id BETWEEN {min(acked)} AND {max(acked)}",
              timeout=60)
    present = {int(x) for x in out.split()}
    return sorted(set(acked) - present)


class Sampler(threading.Thread):
    """Polls pg_is_in_recovery() on both nodes (local sockets, inside each
    node). Two primaries = node A primary, then node B primary, then A
    primary again in three consecutive samples (bracketing rules out a role
    change between two samples)."""

    def __init__(self, lab: labkit.Lab):
        super().__init__(daemon=True)
        self.lab = lab
        self.halt = threading.Event()
        self.samples: list[tuple[float, str, Optional[str]]] = []
        self.violations: list[str] = []

    def _primary(self, node: str) -> bool:
        answer = try_sql(self.lab, node, "SELECT pg_is_in_recovery()", timeout=5)
        self.samples.append((time.time(), node, answer))
        return answer == "f"

    def run(self) -> None:
        a, b = labkit.NODES
        while not self.halt.is_set():
            pa1 = self._primary(a)
            pb = self._primary(b)
            pa2 = self._primary(a)
            if pa1 and pb and pa2:
                self.violations.append(f"{a} and {b} both primary around {time.ctime()}")
            time.sleep(0.2)

    def stop(self) -> list[str]:
        self.halt.set()
        self.join(timeout=60)
        return self.violations


class Scenario:
    """A writer through the VIP plus the two-primaries sampler around one
    scenario. finish() stops both, checks write stalls (stalls.py; declare
    windows with writes_may_wait() and failover()) and zero loss on the primary."""

    def __init__(self, lab: labkit.Lab, name: str, interval: float = 0.05):
        self.lab = lab
        self.name = name
        self.writer = Writer(lab, lab.workdir, name, interval)
        self.sampler = Sampler(lab)
        self.windows = stalls.Windows()
        self.writes_may_wait = self.windows.writes_may_wait
        self.failover = self.windows.failover
        self.bounds: Optional[stalls.Bounds] = None

    def __enter__(self) -> "Scenario":
        self.bounds = stalls.bounds_from_cib(self.lab, labkit_any(self.lab), RSC)
        self.writer.start()
        self.writer.wait_acks(10, timeout=60)
        self.sampler.start()
        return self

    def __exit__(self, *exc) -> None:
        self.writer.stop()
        self.sampler.halt.set()

    def acks(self) -> int:
        return len(self.writer.acked())

    def more_acks(self, count: int = 20, timeout: float = 180) -> int:
        return self.writer.wait_acks(self.acks() + count, timeout=timeout)

    def finish(self, primary: str) -> list[int]:
        """Stop; assert no two primaries; return acknowledged ids missing on PRIMARY."""
        self.writer.stop()
        violations = self.sampler.stop()
        assert violations == [], f"two primaries seen: {violations}"
        acked = self.writer.acked()
        assert acked, "the writer never got an acknowledgement"
        missing = missing_rows(self.lab, primary, acked)
        try:
            stalls.check(f"{MODE}/{self.name}", self.writer.ack_latencies(), self.windows, self.bounds)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; acknowledged rows missing on {primary}: {len(missing)}") from None
        return missing


def restore_settled(lab: labkit.Lab, timeout: float = 150) -> tuple[str, str]:
    """Bring the cluster back to settled between scenarios (a failed scenario
    may leave failures or a banned node): cleanup, then wait. The writer's
    role and table are made here, so any scenario runs alone or in any order."""
    st = settled_or_none(lab)
    if not st:
        lab.crm("resource", "clear", CLONE)   # a move left behind by a failed test
        cleanup(lab)
        if PAF:
            st = _paf_rebuild_unless_settled(lab, min(timeout, 90))
        st = st or wait_settled(lab, timeout)
    prepare_app_user(lab, st[0])
    return st


def empty_dir(path: Path) -> None:
    """Delete everything inside PATH, keeping PATH itself (owner and mode)."""
    for entry in path.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def _as_postgres() -> list[str]:
    return ["setpriv", "--reuid", "postgres", "--regid", "postgres", "--init-groups"]


def _stopped_on(lab: labkit.Lab, observer: str, node: str) -> bool:
    st = lab.state(observer)
    return node in st.online_nodes() and not any(
        node in r.nodes and r.active for r in st.resources if r.clone == CLONE)


def _paf_rebuild_unless_settled(lab: labkit.Lab, timeout: float) -> Optional[tuple[str, str]]:
    """PAF never clones or rewinds, and its documented setup keeps a fenced
    node out of the cluster: an old primary stays away or stays a standby that
    does not stream. The administrator's hand, as PAF's documentation
    describes it: keep the instance away (ban, or the node booted without
    the cluster stack), clone it again from the primary, start and stop it
    once as a standby (so its control data says "shut down in recovery", not
    "in production", which PAF takes for a crashed primary), then give it
    back (start the cluster stack, clear, cleanup)."""
    try:
        return wait_settled(lab, timeout)
    except TimeoutError:
        pass
    promoted = lab.state().nodes_with_role(CLONE, "Promoted")
    if len(promoted) != 1:
        raise AssertionError(f"PAF: no single primary to clone from (promoted: {promoted})")
    primary, standby = promoted[0], other(promoted[0])
    labkit.wait_for(f"{standby} booted", lambda: lab.holder_pid(standby), timeout=300, interval=1)
    if lab.pacemakerd_pid(standby) is not None:
        lab.exec(primary, "crm_resource", "--ban", "-r", CLONE, "-N", standby, "--lifetime", "P1D")
        # A failed stop gets the node fenced; it then boots without the stack.
        labkit.wait_for(f"PAF stopped on {standby}", lambda: lab.holder_pid(standby) and (
            lab.pacemakerd_pid(standby) is None or _stopped_on(lab, primary, standby)), timeout=300, interval=2)
    pg_ctl = [*_as_postgres(), f"{PGBIN}/pg_ctl", "-D", pgdata(standby)]
    if lab.exec(standby, *pg_ctl, "status", check=False).returncode == 0:
        lab.exec(standby, *pg_ctl, "-m", "immediate", "-w", "stop")
    data = data_dir(lab, standby)
    empty_dir(data)
    lab.exec(standby, *_as_postgres(), "env", "PGPASSFILE=/var/lib/pgtwin/vm/pgpass", f"{PGBIN}/pg_basebackup",
             "-h", labkit.ADDRESS[primary], "-U", "replicator", "-D", pgdata(standby), "-X", "stream",
             "-c", "fast", timeout=600)
    (data / "standby.signal").touch()
    shutil.chown(data / "standby.signal", "postgres", "postgres")
    lab.exec(standby, *pg_ctl, "-l", "/var/lib/pgtwin/vm/rebuild.log", "-w", "-t", "120", "start", timeout=180)
    lab.exec(standby, *pg_ctl, "-m", "fast", "-w", "-t", "120", "stop", timeout=180)
    if lab.pacemakerd_pid(standby) is None:
        lab.run("start-cluster", standby, timeout=120)
    # crm resource cleanup failed (exit 1) once when run while the node was
    # still joining: wait for it, and try the cleanup again on a failure.
    labkit.wait_for(f"{standby} online", lambda: standby in lab.state(primary).online_nodes(),
                    timeout=180, interval=1)
    lab.crm("resource", "clear", CLONE)
    labkit.wait_for("crm resource cleanup", lambda: cleanup(lab) or True, timeout=120, interval=3)
    return None


def settled_or_none(lab: labkit.Lab) -> Optional[tuple[str, str]]:
    try:
        return settled(lab)
    except Exception:  # noqa: BLE001
        return None


def wait_promoted(lab: labkit.Lab, node: str, observer: str, timeout: float = 180) -> None:
    """NODE promoted (Pacemaker's view) and answering as a primary."""
    labkit.wait_for(f"{node} promoted", lambda: promoted_nodes(lab, observer) == [node]
                    and try_sql(lab, node, "SELECT pg_is_in_recovery()") == "f",
                    timeout=timeout, interval=1)


def timeline(lab: labkit.Lab, node: str) -> int:
    out = lab.exec(node, f"{PGBIN}/pg_controldata", pgdata(node)).stdout
    for line in out.splitlines():
        if line.startswith("Latest checkpoint's TimeLineID:"):
            return int(line.split(":")[1])
    raise AssertionError("no TimeLineID in pg_controldata")


def log_mark(lab: labkit.Lab, node: str) -> int:
    """Current size of NODE's Pacemaker log (pass to log_since/agent_log as SINCE)."""
    try:
        return lab.pacemaker_log_path(node).stat().st_size
    except OSError:
        return 0


def log_since(lab: labkit.Lab, node: str, since: int = 0) -> str:
    """NODE's Pacemaker log from byte offset SINCE ("" while absent)."""
    try:
        with open(lab.pacemaker_log_path(node), "rb") as f:
            f.seek(since)
            return f.read().decode(errors="replace")
    except OSError:
        return ""


def agent_log(lab: labkit.Lab, node: str, since: int = 0) -> str:
    """pgtwin's lines in NODE's Pacemaker log, from byte offset SINCE."""
    return "\n".join(line for line in log_since(lab, node, since).splitlines() if "pgtwin(" in line)
