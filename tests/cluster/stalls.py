# SPDX-License-Identifier: GPL-2.0-or-later
"""Write stalls of the HA scenarios (issue 7, "Done when"): no commit through
the VIP may wait longer than one promoted-monitor interval plus the time that
monitor may take (its timeout) while both nodes are healthy or a clone/rejoin
runs; during a failover the promote timeout is added. Windows in which the
design makes commits wait (the standby lost and not yet fenced or dropped
from synchronous replication) are declared by the scenario and not checked.

The bound is derived from the configured operations (read from the CIB), not
from a measured speed: the bug it catches blocks writes for minutes.
"""
from __future__ import annotations

import contextlib
import dataclasses
import re
import time
import xml.etree.ElementTree as ET
from typing import Iterator

import labkit

# One line per finished scenario; conftest prints them in the terminal summary.
REPORT: list[str] = []

_UNITS = {"ms": 0.001, "msec": 0.001, "s": 1, "sec": 1, "": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600}


def parse_duration(text: str) -> float:
    """Pacemaker's interval/timeout spelling ("10s", "2min", "500ms", "30") in seconds."""
    m = re.fullmatch(r"\s*(\d+)\s*([a-z]*)\s*", text or "")
    if not m or m.group(2) not in _UNITS:
        raise ValueError(f"unsupported Pacemaker duration {text!r}")
    return int(m.group(1)) * _UNITS[m.group(2)]


@dataclasses.dataclass
class Bounds:
    monitor_interval: float  # promoted monitor
    monitor_timeout: float
    promote_timeout: float

    def steady(self) -> float:
        """Longest commit wait allowed while both nodes are healthy or one rejoins."""
        return self.monitor_interval + self.monitor_timeout

    def failover(self) -> float:
        """Longest commit wait allowed for a commit overlapping a failover."""
        return self.steady() + self.promote_timeout


def bounds_from_cib(lab: labkit.Lab, node: str, rsc: str) -> Bounds:
    """The promoted monitor's interval and timeout and the promote timeout of RSC."""
    out = lab.exec(node, "cibadmin", "-Q", "--xpath", f"//primitive[@id='{rsc}']/operations")
    ops = ET.fromstring(out.stdout).iter("op")
    found: dict[str, ET.Element] = {}
    for op in ops:
        role = op.get("role", "")
        if op.get("name") == "monitor" and role in ("Promoted", "Master"):
            found["monitor"] = op
        elif op.get("name") == "promote":
            found["promote"] = op
    if "monitor" not in found or "promote" not in found:
        raise AssertionError(f"{rsc} has no promoted monitor or promote operation: {out.stdout}")
    mon = found["monitor"]
    return Bounds(parse_duration(mon.get("interval", "")), parse_duration(mon.get("timeout", "")),
                  parse_duration(found["promote"].get("timeout", "")))


class Windows:
    """Time windows a scenario declares while it runs."""

    def __init__(self) -> None:
        self.waits: list[tuple[float, float, str]] = []      # commits may wait: not checked
        self.failovers: list[tuple[float, float, str]] = []  # checked against Bounds.failover()

    @contextlib.contextmanager
    def _window(self, into: list, why: str) -> Iterator[None]:
        start = time.time()
        try:
            yield
        finally:
            into.append((start, time.time(), why))

    def writes_may_wait(self, why: str):
        """A window in which the design requires commits to wait (e.g. the
        standby lost and not yet fenced): commits overlapping it are excused."""
        return self._window(self.waits, why)

    def failover(self, why: str):
        """A window in which the primary changes: overlapping commits get the
        failover bound."""
        return self._window(self.failovers, why)


def _overlaps(begin: float, end: float, windows: list[tuple[float, float, str]]) -> bool:
    return any(begin <= w_end and end >= w_start for w_start, w_end, _ in windows)


def check(name: str, latencies: list[tuple[float, float]], windows: Windows, bounds: Bounds) -> None:
    """Assert no commit outside the excused windows waited longer than its
    bound; record the measured maxima in REPORT."""
    worst_steady = worst_failover = worst_excused = 0.0
    over: list[str] = []
    for acked_at, latency in latencies:
        began = acked_at - latency
        if _overlaps(began, acked_at, windows.waits):
            worst_excused = max(worst_excused, latency)
            continue
        in_failover = _overlaps(began, acked_at, windows.failovers)
        bound = bounds.failover() if in_failover else bounds.steady()
        if in_failover:
            worst_failover = max(worst_failover, latency)
        else:
            worst_steady = max(worst_steady, latency)
        if latency > bound:
            over.append(f"{latency:.1f} s at {time.ctime(began)} (bound {bound:.0f} s)")
    REPORT.append(f"{name}: {len(latencies)} commits, max stall {worst_steady:.2f} s "
                  f"(bound {bounds.steady():.0f} s), in failovers {worst_failover:.2f} s "
                  f"(bound {bounds.failover():.0f} s), excused waits {worst_excused:.2f} s")
    print(f"[write-stalls] {REPORT[-1]}")
    assert not over, f"{name}: commits through the VIP stalled: {over[:5]}"
