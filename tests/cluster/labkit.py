# SPDX-License-Identifier: GPL-2.0-or-later
"""Helpers for the cluster test tier: drive lab/lab, parse crm_mon XML,
wait with bounded timeouts, check that teardown left nothing behind.

Tests never assert on wall-clock durations; every wait has a generous upper
bound and fails with the last observed state.
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Callable, Iterator, Optional, TypeVar

from harness import topology

REPO = Path(__file__).resolve().parents[2]
LAB_SCRIPT = REPO / "lab" / "lab"
NODES = topology.NODES
ADDRESS = topology.ADDRESS   # each node's own address
FENCE_AGENT = Path("/usr/sbin/fence_pgtwin_lab")

T = TypeVar("T")


@dataclasses.dataclass
class NodeState:
    name: str
    online: bool
    unclean: bool
    is_dc: bool


@dataclasses.dataclass
class ResourceState:
    rsc_id: str
    agent: str
    role: str
    active: bool
    failed: bool
    nodes: list[str]
    clone: Optional[str]


@dataclasses.dataclass
class ClusterState:
    nodes: dict[str, NodeState]
    resources: list[ResourceState]

    def online_nodes(self) -> list[str]:
        return sorted(n for n, s in self.nodes.items() if s.online)

    def nodes_with_role(self, rsc_or_clone: str, role: str) -> list[str]:
        """Nodes where an instance of the resource (or clone) has ROLE."""
        found = []
        for r in self.resources:
            if rsc_or_clone in (r.rsc_id, r.clone) and r.role == role and r.active:
                found.extend(r.nodes)
        return sorted(found)

    def resource_nodes(self, rsc_id: str) -> list[str]:
        """Nodes where the (primitive) resource is active."""
        return sorted(n for r in self.resources
                      if r.rsc_id == rsc_id and r.active for n in r.nodes)


def _truthy(value: Optional[str]) -> bool:
    return value == "true"


def _resource(elem: ET.Element, clone: Optional[str]) -> ResourceState:
    return ResourceState(
        rsc_id=elem.get("id", ""), agent=elem.get("resource_agent", ""),
        role=elem.get("role", ""), active=_truthy(elem.get("active")),
        failed=_truthy(elem.get("failed")),
        nodes=[n.get("name", "") for n in elem.findall("node")], clone=clone)


def parse_crm_mon(xml_text: str) -> ClusterState:
    """Parse `crm_mon --output-as=xml` (Pacemaker 2.1 schema)."""
    root = ET.fromstring(xml_text)
    nodes = {}
    for n in root.iterfind("./nodes/node"):
        name = n.get("name", "")
        nodes[name] = NodeState(name, _truthy(n.get("online")),
                                _truthy(n.get("unclean")), _truthy(n.get("is_dc")))
    resources = []
    section = root.find("resources")
    if section is not None:
        for elem in section:
            if elem.tag == "resource":
                resources.append(_resource(elem, None))
            elif elem.tag == "clone":
                resources.extend(_resource(r, elem.get("id"))
                                 for r in elem.iterfind("resource"))
            elif elem.tag == "group":
                resources.extend(_resource(r, None) for r in elem.iterfind("resource"))
    return ClusterState(nodes, resources)


def parse_fence_history(xml_text: str, target: str) -> list[dict[str, str]]:
    """Fence events from `stonith_admin --history NODE --output-as=xml`."""
    root = ET.fromstring(xml_text)
    return [dict(e.attrib) for e in root.iter("fence_event")
            if e.get("target") == target]


def wait_for(what: str, probe: Callable[[], T], timeout: float = 120,
             interval: float = 1.0) -> T:
    """Call PROBE until it returns a truthy value; raise after TIMEOUT seconds.

    Exceptions from PROBE count as "not yet" (a booting node refuses crm_mon).
    """
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            value = probe()
            if value:
                return value
            last = value
        except Exception as exc:  # noqa: BLE001 - reported on timeout
            last = exc
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}; last: {last!r}")
        time.sleep(interval)


class Lab:
    """Thin wrapper around scripts/lab."""

    def __init__(self, lab_dir: Optional[str] = None):
        self.lab_dir = Path(lab_dir or os.environ.get("PGTWIN_LAB_DIR", "/var/tmp/pgtwin-lab"))
        self.env = dict(os.environ, PGTWIN_LAB_DIR=str(self.lab_dir))

    def run(self, *args: str, timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([str(LAB_SCRIPT), *args], env=self.env, timeout=timeout,
                              check=check, capture_output=True, text=True)

    def up(self) -> None:
        self.run("up", "--fresh", timeout=400)

    def down(self) -> None:
        self.run("down", timeout=400)

    def exec(self, node: str, *cmd: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
        return self.run("exec", node, *cmd, timeout=timeout, check=check)

    def crm(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return self.run("crm", *args, timeout=timeout)

    def state(self, node: Optional[str] = None) -> ClusterState:
        """crm_mon as seen from NODE (default: any node running Pacemaker)."""
        out = self.exec(node, "crm_mon", "--output-as=xml") if node else self.run("crm-mon-xml")
        return parse_crm_mon(out.stdout)

    def pacemaker_log_path(self, node: str) -> Path:
        """Where NODE's pacemaker.log lives on the host (the agent logs there
        too); it is kept across the node's reboots."""
        return self.lab_dir / "nodes" / node / "var-log-pacemaker" / "pacemaker.log"

    def pacemaker_log(self, node: str) -> list[str]:
        """NODE's pacemaker.log as lines, [] while absent."""
        try:
            return self.pacemaker_log_path(node).read_text(errors="replace").splitlines()
        except OSError:
            return []

    def holder_pid(self, node: str) -> Optional[int]:
        """PID of the node's holder process if that process is alive."""
        return self._live_pid(node, "holder")

    def pacemakerd_pid(self, node: str) -> Optional[int]:
        """PID of the node's pacemakerd if it runs (a node booted without the
        cluster stack, lab/lab cluster-autostart off, has none)."""
        return self._live_pid(node, "pacemakerd")

    def _live_pid(self, node: str, name: str) -> Optional[int]:
        try:
            pid, start = (self.lab_dir / "state" / f"{node}.{name}").read_text().split()
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, ValueError):
            return None
        return int(pid) if stat[19] == start and stat[0] not in ("Z", "X") else None

    def addresses(self, node: str) -> list[str]:
        out = self.exec(node, "ip", "-o", "-4", "addr", "show").stdout
        return [line.split()[3] for line in out.splitlines() if " inet " in line]

    def node_mount_namespaces(self) -> set[str]:
        """Mount namespaces of the nodes that run now. A dead node's recorded
        namespace is not returned: the kernel reuses its inode number."""
        found = set()
        for node in NODES:
            if self.holder_pid(node) is None:
                continue
            try:
                found.add((self.lab_dir / "state" / f"{node}.mntns").read_text().strip())
            except OSError:
                pass
        return found


def now_ticks() -> int:
    """The current time in the unit of /proc/PID/stat's start time."""
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    return int(uptime * os.sysconf("SC_CLK_TCK"))


def live_pids_in_mount_namespaces(namespaces: set[str], started_before: int) -> list[int]:
    """Non-zombie processes started before STARTED_BEFORE (clock ticks) whose
    mount namespace is one of NAMESPACES. The start-time bound matters: the
    kernel reuses a dead namespace's inode number for new namespaces."""
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            if os.readlink(d / "ns" / "mnt") not in namespaces:
                continue
            stat = (d / "stat").read_text().rsplit(")", 1)[1].split()
            if stat[0] in ("Z", "X") or int(stat[19]) > started_before:
                continue
        except OSError:
            continue
        found.append(int(d.name))
    return found


def _cmdline(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[:2]
    except OSError:
        return "gone"
    return raw.replace(b"\0", b" ").decode(errors="replace").strip() + f" state={stat[0]} ppid={stat[1]}"


def leftovers(lab: Lab, namespaces: set[str], pids: list[tuple[int, str]], started_before: int) -> list[str]:
    """Describe whatever a torn-down lab left behind (empty list: clean).

    NAMESPACES and PIDS are the lab's mount namespaces and processes recorded
    before `down`; STARTED_BEFORE is now_ticks() taken at the same moment."""
    problems = []
    netns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    names = {line.split()[0] for line in netns.splitlines() if line.strip()}
    problems += [f"namespace {n} exists" for n in ("pgt1", "pgt2") if n in names]
    for link in ("v1", "v2"):
        if subprocess.run(["ip", "link", "show", link], capture_output=True).returncode == 0:
            problems.append(f"host link {link} exists")
    for pid, start in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if stat[19] == start and stat[0] not in ("Z", "X"):
            problems.append(f"process {pid} ({_cmdline(pid)}) of the lab still runs")
    problems += [f"process {p} ({_cmdline(p)}) in a lab mount namespace"
                 for p in live_pids_in_mount_namespaces(namespaces, started_before)]
    for line in Path("/proc/mounts").read_text().splitlines():
        if line.split()[1].startswith(str(lab.lab_dir)):
            problems.append(f"mount {line}")
    loops = subprocess.run(["losetup", "-nO", "NAME,BACK-FILE"], capture_output=True, text=True).stdout
    problems += [f"loop device {line}" for line in loops.splitlines()
                 if str(lab.lab_dir) in line]
    if FENCE_AGENT.exists():
        problems.append(f"{FENCE_AGENT} still installed")
    return problems


def lab_pids(lab: Lab) -> list[tuple[int, str]]:
    """(pid, start time) of every process in the lab nodes' holder trees."""
    parents: dict[int, int] = {}
    starts: dict[int, str] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text().rsplit(")", 1)[1].split()
                parents[int(d.name)] = int(stat[1])
                starts[int(d.name)] = stat[19]
            except (OSError, ValueError, IndexError):
                pass
    tree = {p for p in (lab.holder_pid(n) for n in NODES) if p}
    changed = True
    while changed:
        new = {p for p, pp in parents.items() if pp in tree and p not in tree}
        tree |= new
        changed = bool(new)
    return sorted((p, starts[p]) for p in tree if p in starts)


def load_crm(the_lab: Lab, path: Path) -> None:
    """Load a crmsh configuration file into the running cluster."""
    the_lab.crm("configure", "load", "update", str(path))


@contextlib.contextmanager
def managed_lab(the_lab: Lab, setup: Optional[Callable[[Lab], None]] = None) -> Iterator[Lab]:
    """Brings the lab up (leftovers of an earlier, failed run removed first),
    runs `setup` on it and yields it; always tears it down, also after a
    failure, and then asserts that the teardown left nothing behind."""
    the_lab.down()
    try:
        the_lab.up()
        if setup is not None:
            setup(the_lab)
        yield the_lab
    finally:
        namespaces = the_lab.node_mount_namespaces()
        pids = lab_pids(the_lab)
        before = now_ticks()
        the_lab.down()
    problems = leftovers(the_lab, namespaces, pids, before)
    assert not problems, f"lab teardown left: {problems}"
