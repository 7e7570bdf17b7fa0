# SPDX-License-Identifier: GPL-2.0-or-later
"""The lab's hosts and addresses, read from lab/topology (the one file that
names them; lab/common.sh sources the same file)."""
from pathlib import Path

FILE = Path(__file__).resolve().parents[2] / "lab" / "topology"


def read(path: Path = FILE) -> dict[str, str]:
    """KEY=VALUE lines of PATH; comments and blank lines skipped."""
    values = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.isidentifier() or not value or any(c in value for c in " \"'#$"):
            raise ValueError(f"{path}:{number}: not a plain KEY=VALUE line: {line!r}")
        values[key] = value
    return values


_T = read()
NODES = (_T["LAB_NODE_1"], _T["LAB_NODE_2"])
ADDRESS = {NODES[0]: _T["LAB_ADDR_1"], NODES[1]: _T["LAB_ADDR_2"]}
PREFIX_LEN = int(_T["LAB_PREFIX_LEN"])
SUBNET = _T["LAB_SUBNET"]
CLIENT_ADDR = _T["LAB_CLIENT_ADDR"]
VIP = _T["LAB_VIP"]


def namespaces(lab: str) -> dict[str, str]:
    """Node -> network namespace of LAB ("cluster", "vm" or "container")."""
    prefix = _T[f"LAB_NS_{lab.upper()}"]
    return {node: f"{prefix}{i}" for i, node in enumerate(NODES, start=1)}
