# SPDX-License-Identifier: GPL-2.0-or-later
"""Build CIB files offline with crmsh and pcs, and reduce them to comparable facts.

No cluster runs: both tools write into a file made by `cibadmin --empty`
(crmsh through CIB_file, pcs through -f). Both ask Pacemaker for the agents'
meta-data, which it looks up only under /usr/lib/ocf/resource.d, so the
commands run in a private mount namespace where that directory also holds
ocf:pgtwin:pgtwin (the built binary); the host is not changed. Fence agents
are not installed on the test machines (fence-agents pulls in cloud SDKs), so
`pcs stonith create` gets --force through a wrapper: it skips only the fence
agent's meta-data check.
"""
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

RESOURCE_D = "/usr/lib/ocf/resource.d"


def missing_tools():
    """Why the offline CIB cannot be built here, or None."""
    if os.geteuid() != 0:
        return "a private mount namespace needs root"
    for tool in ("pcs", "crm", "cibadmin", "crm_resource", "unshare"):
        if shutil.which(tool, path="/usr/sbin:/usr/bin:/sbin:/bin") is None:
            return f"{tool} is not installed"
    return None


class OfflineCib:
    """A scratch directory with an agent tree and a pcs wrapper."""

    def __init__(self, tmp: Path, agent: str):
        self.tmp = tmp
        self.tree = tmp / "resource.d"
        (self.tree / "pgtwin").mkdir(parents=True)
        shutil.copy(agent, self.tree / "pgtwin" / "pgtwin")
        self.mounts = []
        for sub in sorted(os.listdir(RESOURCE_D)):
            if sub == "pgtwin":
                continue  # an installed agent must not hide the one under test
            (self.tree / sub).mkdir()
            self.mounts.append(f"mount --bind {RESOURCE_D}/{sub} {self.tree / sub}")
        self.mounts.append(f"mount --rbind {self.tree} {RESOURCE_D}")
        self.wrap = tmp / "wrap"
        self.wrap.mkdir()
        pcs = shutil.which("pcs", path="/usr/sbin:/usr/bin")
        (self.wrap / "pcs").write_text(
            "#!/bin/sh\n"
            f'case "$*" in *"stonith create"*) exec {pcs} "$@" --force ;; esac\n'
            f'exec {pcs} "$@"\n')
        (self.wrap / "pcs").chmod(0o755)

    def empty(self, name: str) -> Path:
        path = self.tmp / name
        path.write_text(subprocess.run(["cibadmin", "--empty"], check=True, capture_output=True,
                                       text=True).stdout)
        return path

    def run(self, script: str, env=None):
        """Runs a shell script in the private namespace; returns the CompletedProcess."""
        full = "set -e\n" + "\n".join(self.mounts) + "\n" + script
        e = dict(os.environ, PATH=f"{self.wrap}:/usr/sbin:/usr/bin:/sbin:/bin", **(env or {}))
        return subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", full],
                              capture_output=True, text=True, env=e, timeout=300)

    def load_crm(self, crm_file: Path) -> Path:
        """The CIB crmsh makes of crm_file (-F: the lab's fence agent has no meta-data here)."""
        cib = self.empty("crm.xml")
        p = self.run(f'CIB_file="{cib}" crm -F configure load update "{crm_file}"')
        assert p.returncode == 0, p.stdout + p.stderr
        return cib


def _pairs(elem):
    return {nv.get("name"): nv.get("value") for nv in elem.iter("nvpair")} if elem is not None else {}


def _ops(prim):
    ops = set()
    for op in prim.iter("op"):
        ops.add((op.get("name"), op.get("role") or "", op.get("interval"), op.get("timeout")))
    return ops


def _primitive(prim):
    return {
        "agent": (prim.get("class"), prim.get("provider"), prim.get("type")),
        "params": _pairs(prim.find("instance_attributes")),
        "meta": _pairs(prim.find("meta_attributes")),
        "ops": _ops(prim),
    }


def facts(cib: Path):
    """What a configuration means, without ids, order or comments. Fence
    devices are reduced to their number: the examples differ there on purpose
    (the lab's fence agent against per-node IPMI placeholders)."""
    conf = ET.parse(cib).getroot().find("configuration")
    res = conf.find("resources")
    out = {"properties": _pairs(conf.find("crm_config")),
           "rsc_defaults": _pairs(conf.find("rsc_defaults")),
           "fence_devices": 0, "primitives": {}, "clones": {}, "constraints": set()}
    for prim in res.iter("primitive"):
        if prim.get("class") == "stonith":
            out["fence_devices"] += 1
        else:
            out["primitives"][prim.get("id")] = _primitive(prim)
    for clone in res.findall("clone"):
        inner = clone.find("primitive")
        out["clones"][clone.get("id")] = {"meta": _pairs(clone.find("meta_attributes")),
                                          "primitive": inner.get("id")}
    for c in conf.find("constraints"):
        if c.tag == "rsc_colocation":
            out["constraints"].add(("colocation", c.get("id"), c.get("rsc"), c.get("rsc-role") or "Started",
                                    c.get("with-rsc"), c.get("with-rsc-role") or "Started", c.get("score")))
        elif c.tag == "rsc_order":
            out["constraints"].add(("order", c.get("id"), c.get("first"), c.get("first-action") or "start",
                                    c.get("then"), c.get("then-action") or "start", c.get("kind")))
        else:
            out["constraints"].add((c.tag, c.get("id")))
    return out
