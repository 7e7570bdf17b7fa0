# SPDX-License-Identifier: GPL-2.0-or-later
"""What one monitor costs, for bench/failover --monitor-runs: the
lab's agent (pgtwin or PAF) is run inside each node with the environment
Pacemaker gives a recurring monitor of that node's role (the resource's
parameters and the clone's meta attributes from the CIB), RUNS times in a
row. Per role: median and p95 wall time, median CPU (user + system of the
agent and everything it started, from getrusage(RUSAGE_CHILDREN)), and the
CPU one node spends per hour at the configured interval. Every run must
return the role's code (8 promoted, 0 unpromoted): a monitor that failed is
not a measurement. One more run per role under `strace -f` lists the
programs the monitor started (a forked Pacemaker tool costs tens of
milliseconds of CPU) and the connections it opened.
"""
from __future__ import annotations

import dataclasses
import json
import re
import statistics
import xml.etree.ElementTree as ET
from pathlib import Path

import labkit
import pgkit
import soak
import stalls

# Runs inside the node: the argv RUNS times, wall and CPU of each run.
TIMER = """
import json, resource, subprocess, sys, time
spec = json.load(open(sys.argv[1]))
def cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime
out = []
for _ in range(spec["runs"]):
    c, t = cpu(), time.perf_counter()
    rc = subprocess.run(spec["argv"], env=spec["env"], stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL, cwd="/").returncode
    out.append([rc, (time.perf_counter() - t) * 1000.0, (cpu() - c) * 1000.0])
print(json.dumps(out))
"""

ROLE_RC = {"Promoted": 8, "Unpromoted": 0}


@dataclasses.dataclass
class Cost:
    role: str
    interval_s: float
    wall_ms_median: float
    wall_ms_p95: float
    cpu_ms_median: float
    started: list[str] = dataclasses.field(default_factory=list)     # programs the monitor ran
    connections: list[str] = dataclasses.field(default_factory=list)  # sockets it connected to

    @property
    def cpu_s_per_hour(self) -> float:
        return self.cpu_ms_median / 1000.0 * 3600.0 / self.interval_s


def _cib(lab: labkit.Lab, node: str, xpath: str) -> ET.Element:
    return ET.fromstring(lab.exec(node, "cibadmin", "-Q", "--xpath", xpath).stdout)


def monitor_env(lab: labkit.Lab, node: str, role: str) -> tuple[list[str], dict[str, str], float]:
    """(agent argv, environment, interval in s) of NODE's recurring monitor in ROLE."""
    prim = _cib(lab, node, f"//primitive[@id='{pgkit.RSC}']")
    clone = _cib(lab, node, f"//clone[@id='{pgkit.CLONE}']")
    feature_set = ET.fromstring(lab.exec(node, "cibadmin", "-Q").stdout).get("crm_feature_set", "")
    agent = Path("/usr/lib/ocf/resource.d") / prim.get("provider", "") / prim.get("type", "")
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "OCF_ROOT": "/usr/lib/ocf",
           "OCF_RA_VERSION_MAJOR": "1", "OCF_RA_VERSION_MINOR": "1",
           "OCF_RESOURCE_INSTANCE": pgkit.RSC, "OCF_RESOURCE_TYPE": prim.get("type", ""),
           "OCF_RESOURCE_PROVIDER": prim.get("provider", ""), "HA_LOGFACILITY": "none",
           "OCF_RESKEY_CRM_meta_on_node": node, "OCF_RESKEY_CRM_meta_role": role,
           "OCF_RESKEY_crm_feature_set": feature_set}
    for nv in prim.iterfind("./instance_attributes/nvpair"):
        env[f"OCF_RESKEY_{nv.get('name')}"] = nv.get("value", "")
    for nv in clone.iterfind("./meta_attributes/nvpair"):
        name = nv.get("name", "").replace("-", "_")
        env[f"OCF_RESKEY_CRM_meta_{name}"] = nv.get("value", "")
        if name.startswith("promoted_"):   # PAF 2.3 reads the pre-2.1 names
            env[f"OCF_RESKEY_CRM_meta_{name.replace('promoted_', 'master_')}"] = nv.get("value", "")
    for op in prim.iterfind("./operations/op"):
        if op.get("name") == "monitor" and op.get("role") == role:
            interval = stalls.parse_duration(op.get("interval", ""))
            env["OCF_RESKEY_CRM_meta_interval"] = str(int(interval * 1000))
            env["OCF_RESKEY_CRM_meta_timeout"] = str(int(stalls.parse_duration(op.get("timeout", "")) * 1000))
            return [str(agent), "monitor"], env, interval
    raise AssertionError(f"{pgkit.RSC} has no {role} monitor")


def trace(lab: labkit.Lab, node: str, argv: list[str], env: dict[str, str]) -> tuple[list[str], list[str]]:
    """(programs started, sockets connected to) by one monitor on NODE, from strace -f."""
    out_file = f"/tmp/pgtwin-monitor-{node}.strace"
    cmd = ["env", "-i"] + [f"{k}={v}" for k, v in env.items()] + \
        ["strace", "-f", "-qq", "-s", "200", "-e", "trace=execve,connect", "-o", out_file] + argv
    lab.exec(node, *cmd, timeout=60, check=False)
    text = lab.exec(node, "cat", out_file, check=False).stdout
    lab.exec(node, "rm", "-f", out_file, check=False)
    started, connections = [], []
    for line in text.splitlines():
        m = re.search(r'execve\("([^"]+)", \[(.*?)\]', line)
        if m and line.rstrip().endswith("= 0"):
            args = re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(2))
            started.append(" ".join([Path(m.group(1)).name] + args[1:3]))
            continue
        m = re.search(r'connect\(\d+, \{sa_family=AF_(UNIX|INET6?), (?:sun_path=@?"([^"]+)"|sin6?_port=htons\((\d+)\))', line)
        if m:
            connections.append(m.group(2) or f"tcp:{m.group(3)}")
    return started[1:], connections  # minus the agent's own exec


def measure(lab: labkit.Lab, runs: int) -> list[Cost]:
    """Monitor cost per role on the settled cluster (primary, then standby)."""
    primary, standby = pgkit.wait_settled(lab, timeout=300)
    timer = lab.workdir / "monitor-timer.py"
    timer.write_text(TIMER)
    costs = []
    for node, role in ((primary, "Promoted"), (standby, "Unpromoted")):
        argv, env, interval = monitor_env(lab, node, role)
        spec = lab.workdir / f"monitor-{role}.json"
        spec.write_text(json.dumps({"runs": runs, "argv": argv, "env": env}))
        out = lab.exec(node, "/usr/bin/python3", str(timer), str(spec), timeout=30 * runs + 60)
        rows = json.loads(out.stdout)
        bad = [rc for rc, _, _ in rows if rc != ROLE_RC[role]]
        if bad:
            raise AssertionError(f"{role} monitor on {node} returned {bad[:5]}, not {ROLE_RC[role]}")
        walls = [w for _, w, _ in rows]
        started, connections = trace(lab, node, argv, env)
        costs.append(Cost(role, interval, statistics.median(walls), soak.p95(walls),
                          statistics.median(c for _, _, c in rows), started, connections))
    return costs


def report(costs: list[Cost]) -> list[str]:
    lines = [f"{'monitor':<11} {'interval_s':>10} {'wall_ms':>8} {'p95_ms':>7} {'cpu_ms':>7} {'cpu_s/h':>8}"]
    for c in costs:
        lines.append(f"{c.role:<11} {c.interval_s:>10.0f} {c.wall_ms_median:>8.1f} {c.wall_ms_p95:>7.1f} "
                     f"{c.cpu_ms_median:>7.1f} {c.cpu_s_per_hour:>8.1f}")
    lines.append(f"monitoring CPU per hour, both nodes: {sum(c.cpu_s_per_hour for c in costs):.1f} s")
    for c in costs:
        lines.append(f"{c.role} monitor started {len(c.started)} programs: {'; '.join(c.started) or '-'}")
        lines.append(f"{c.role} monitor connected to: {', '.join(c.connections) or '-'}")
    return lines
