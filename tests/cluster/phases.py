# SPDX-License-Identifier: GPL-2.0-or-later
"""Where a failover's seconds go (issue 12, item 3): the moments of one
round read from the cluster's own Pacemaker logs, as seconds after the
injected fault. Used by bench/failover; records, never asserts.

Each fault kind has its milestones in the order they happen. A milestone is
the first line at or after the round's log mark, in the log of the old or
the new primary's node, that matches its pattern. A milestone not found is
None (a round that took another path, e.g. a fenced node instead of a
stopped instance), and the phases around it are not counted.
"""
from __future__ import annotations

import dataclasses
import datetime
import re
import statistics
from typing import Optional

import labkit
import pgkit

# (milestone, whose log: "old" or "new" primary, pattern with {old} {new} {rsc} {vip})
_RESULT = r"Result of {op} operation for {rsc} on {node}: {result}"
MILESTONES: dict[str, list[tuple[str, str, str]]] = {
    "postmaster": [
        ("detected", "old", _RESULT.format(op="monitor", rsc="{rsc}", node="{old}",
                                           result=r"(?!ok \||promoted \||Cancelled)")),
        ("demoted", "old", _RESULT.format(op="demote", rsc="{rsc}", node="{old}", result="ok")),
        ("stopped", "old", _RESULT.format(op="stop", rsc="{rsc}", node="{old}", result="ok")),
        ("promoted", "new", _RESULT.format(op="promote", rsc="{rsc}", node="{new}", result="ok")),
        ("vip", "new", _RESULT.format(op="start", rsc="{vip}", node="{new}", result="ok")),
    ],
    "node": [
        ("lost", "new", r"Node {old} state is now lost"),
        ("fenced", "new", r"Peer {old} was terminated|Operation '?reboot'? .*targeting {old}.*: OK"),
        ("promoted", "new", _RESULT.format(op="promote", rsc="{rsc}", node="{new}", result="ok")),
        ("vip", "new", _RESULT.format(op="start", rsc="{vip}", node="{new}", result="ok")),
    ],
    "switchover": [
        ("demoted", "old", _RESULT.format(op="demote", rsc="{rsc}", node="{old}", result="ok")),
        ("promoted", "new", _RESULT.format(op="promote", rsc="{rsc}", node="{new}", result="ok")),
        ("vip", "new", _RESULT.format(op="start", rsc="{vip}", node="{new}", result="ok")),
    ],
}
_STAMP = re.compile(r"^([A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2}\.\d{3}) ")


def marks(lab: labkit.Lab) -> dict[str, int]:
    """Every node's log size now: take before the fault, pass to moments()."""
    return {node: pgkit.log_mark(lab, node) for node in labkit.NODES}


def _stamp(line: str, year: int) -> Optional[float]:
    m = _STAMP.match(line)
    if not m:
        return None
    # Pacemaker writes local time without a year; the lab shares the host's clock.
    return datetime.datetime.strptime(f"{year} {m.group(1)}", "%Y %b %d %H:%M:%S.%f").timestamp()


def first_match(text: str, pattern: str, t_fail: float) -> Optional[float]:
    """Seconds after T_FAIL of the first line of TEXT matching PATTERN that
    was written at or after T_FAIL (a log's stamps have milliseconds)."""
    year = datetime.datetime.fromtimestamp(t_fail).year
    rx = re.compile(pattern)
    for line in text.splitlines():
        if rx.search(line):
            t = _stamp(line, year)
            if t is not None and t >= t_fail - 0.001:
                return t - t_fail
    return None


def moments(lab: labkit.Lab, kind: str, old: str, new: str, since: dict[str, int],
            t_fail: float) -> dict[str, Optional[float]]:
    """Milestone -> seconds after the fault, for a round of KIND in which
    OLD lost (or gave up) the primary role and NEW took it."""
    texts = {node: pgkit.log_since(lab, node, since.get(node, 0)) for node in (old, new)}
    out: dict[str, Optional[float]] = {}
    for name, whose, pattern in MILESTONES.get(kind, []):
        node = old if whose == "old" else new
        out[name] = first_match(texts[node], pattern.format(old=re.escape(old), new=re.escape(new),
                                                            rsc=re.escape(pgkit.RSC),
                                                            vip=re.escape(pgkit.VIP_RSC)), t_fail)
    return out


def format_moments(m: dict[str, Optional[float]], first_write: Optional[float]) -> str:
    parts = [f"{k} {'-' if v is None else f'{v:.1f}'}" for k, v in m.items()]
    parts.append(f"write {'-' if first_write is None else f'{first_write:.1f}'}")
    return " | ".join(parts)


@dataclasses.dataclass
class Phase:
    name: str          # "fault->detected", "vip->write", ...
    median_s: float
    rounds: int


def phase_medians(rounds: list[tuple[dict[str, Optional[float]], Optional[float]]]) -> list[Phase]:
    """Median length of each step between consecutive milestones (the fault
    first, the first write last) over ROUNDS of (moments, first write)."""
    steps: dict[str, list[float]] = {}
    order: list[str] = []
    for m, write in rounds:
        points = [("fault", 0.0), *m.items(), ("write", write)]
        for (a, ta), (b, tb) in zip(points, points[1:]):
            name = f"{a}->{b}"
            if name not in order:
                order.append(name)
            if ta is not None and tb is not None:
                steps.setdefault(name, []).append(tb - ta)
    return [Phase(n, statistics.median(steps[n]), len(steps[n])) for n in order if n in steps]
