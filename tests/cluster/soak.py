# SPDX-License-Identifier: GPL-2.0-or-later
"""The mixed fault soak (issue 8, "Proof"): rounds drawn with a seeded RNG
from postmaster kill, node loss, switchover, partition, node killed
mid-rejoin (mid-clone) and double failure, a writer committing through the
VIP with synchronous commit in every round. Used by bench/failover
--mode mixed and by the 3-round smoke test (test_pgtwin_14). Records, never
asserts: the callers judge the records.
"""
from __future__ import annotations

import dataclasses
import random
import statistics
import time
from typing import Callable, Optional

import faults
import labkit
import pgkit

KINDS = ("postmaster", "node", "switchover", "partition", "mid-rejoin", "double")
SETTLE_TIMEOUT = 400


@dataclasses.dataclass
class Round:
    number: int
    kind: str                 # "double:clone" / "double:both" for the two double failures
    seconds: Optional[float]  # fault -> first ack after the writer's first error (None: no failover)
    lost: int                 # acknowledged rows missing on the primary afterwards
    two_primaries: int        # sampled moments with two primaries
    rejoined: bool            # settled (primary + in-sync standby) without an administrator
    stall: float              # longest time between two acknowledged commits
    note: str = ""


def _postmaster(lab, primary, standby, sc, _rng):
    with sc.failover("primary's postmaster killed"):
        pgkit.kill_postmaster(lab, primary)
        pgkit.wait_promoted(lab, standby, observer=standby, timeout=300)
    # No cleanup: migration-threshold=1 bans the crashed node, and the
    # examples' failure-timeout lets it rejoin by itself.
    return (standby, primary), "postmaster"


def _node(lab, primary, standby, sc, _rng):
    with sc.failover("primary's node lost"):
        lab.run("kill-node", primary)
        pgkit.wait_promoted(lab, standby, observer=standby, timeout=300)
    return (standby, primary), "node"


def _switchover(lab, primary, standby, sc, _rng):
    with sc.failover("switchover"):
        lab.exec(standby, "crm_resource", "--move", "--promoted", "-r", pgkit.CLONE, "-N", standby)
        pgkit.wait_promoted(lab, standby, observer=standby, timeout=300)
    lab.crm("resource", "clear", pgkit.CLONE)
    return (standby, primary), "switchover"


def _partition(lab, primary, standby, sc, _rng):
    holder = lab.holder_pid(standby)
    try:
        with sc.writes_may_wait("partition: sync waits until the standby is fenced and dropped"):
            lab.run("partition")
            labkit.wait_for(f"{standby} fenced", lambda: lab.holder_pid(standby) != holder, timeout=240)
            sc.more_acks(1, timeout=240)
    finally:
        lab.run("heal")
    return (primary, standby), "partition"


def _mid_rejoin(lab, primary, standby, sc, _rng):
    return faults.node_killed_mid_clone(lab, primary, standby, sc), "mid-rejoin"


def _double(lab, primary, standby, sc, rng):
    if rng.random() < 0.5:
        watch = faults.RoleWatch(lab, standby)
        try:
            expected = faults.primary_lost_while_peer_clones(lab, primary, standby, sc, watch)
        finally:
            promoted = watch.stop() if watch.is_alive() else watch.promoted
        sc.half_made_promoted = promoted
        return expected, "double:clone"
    return faults.both_killed(lab, primary, standby, sc), "double:both"


INJECT: dict[str, Callable] = {"postmaster": _postmaster, "node": _node, "switchover": _switchover,
                               "partition": _partition, "mid-rejoin": _mid_rejoin, "double": _double}


def first_write_after(writer: pgkit.Writer, t_fail: float) -> Optional[float]:
    """Seconds from T_FAIL to the first acknowledgement after the writer's
    first error after T_FAIL (the first write of the new or returned
    primary); None when no commit failed (the fault caused no failover)."""
    err_seen = False
    for parts in writer.lines():
        if parts[0] == "err" and float(parts[1]) >= t_fail:
            err_seen = True
        elif parts[0] == "ack" and err_seen:
            return float(parts[2]) - t_fail
    return None


def longest_gap(writer: pgkit.Writer) -> float:
    times = [t for t, _ in writer.ack_latencies()]
    return max((b - a for a, b in zip(times, times[1:])), default=0.0)


def run_round(lab: labkit.Lab, number: int, kind: str, rng: random.Random) -> Round:
    """One round: settle, write, inject KIND, wait until settled by itself,
    measure. A round that does not settle gets the administrator's hand
    (clear + cleanup) afterwards, noted in the record."""
    primary, standby = pgkit.restore_settled(lab, timeout=300)
    faults.fill(lab, primary)   # before the fault: the clone kinds need it, it is made once
    note = ""
    with pgkit.Scenario(lab, f"soak-{number}-{kind}") as sc:
        sc.half_made_promoted = []
        t_fail = time.time()
        try:
            want, kind_done = INJECT[kind](lab, primary, standby, sc, rng)
        except Exception as exc:  # noqa: BLE001 - recorded; the round still waits to settle
            want, kind_done, note = None, kind, f"fault step failed: {type(exc).__name__}: {str(exc)[:200]}"
        try:
            got = pgkit.wait_settled(lab, timeout=SETTLE_TIMEOUT, observer=want[0] if want else None)
            sc.more_acks(10, timeout=120)
        except TimeoutError as exc:
            got, note = None, note + f" not settled by itself: {str(exc)[-200:]}"
        sc.writer.stop()
        two = len(sc.sampler.stop())
        if got and want and got != want:
            note += f" settled as {got}, expected {want}"
        if sc.half_made_promoted:
            note += f" half-made node promoted: {sc.half_made_promoted[:2]}"
        final = got[0] if got else (want or (primary,))[0]
        lost = len(pgkit.missing_rows(lab, final, sc.writer.acked()))
        rec = Round(number, kind_done, first_write_after(sc.writer, t_fail), lost, two,
                    got is not None and want is not None and not sc.half_made_promoted, longest_gap(sc.writer), note.strip())
    if got is None:
        pgkit.restore_settled(lab, timeout=300)
        rec.note += " (needed crm resource clear + cleanup)"
    return rec


HEADER = f"{'round':>5} {'kind':<13} {'seconds':>8} {'lost':>5} {'2prim':>5} {'rejoined':>8} {'stall_s':>8}  note"


def format_round(r: Round) -> str:
    sec = f"{r.seconds:8.1f}" if r.seconds is not None else f"{'-':>8}"
    return (f"{r.number:>5} {r.kind:<13} {sec} {r.lost:>5} {r.two_primaries:>5} "
            f"{'yes' if r.rejoined else 'no':>8} {r.stall:8.1f}  {r.note}")


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]


def summary(rounds: list[Round]) -> list[str]:
    """Per kind: rounds, seconds median/p95/max, lost, two primaries,
    rejoined, longest stall; then the totals."""
    lines = [f"{'kind':<13} {'rounds':>6} {'median':>7} {'p95':>7} {'max':>7} {'lost':>5} "
             f"{'2prim':>5} {'rejoined':>9} {'stall_max':>9}"]
    for kind in sorted({r.kind for r in rounds}):
        rs = [r for r in rounds if r.kind == kind]
        secs = [r.seconds for r in rs if r.seconds is not None]
        med, high, top = ((f"{statistics.median(secs):7.1f}", f"{p95(secs):7.1f}", f"{max(secs):7.1f}")
                         if secs else (f"{'-':>7}",) * 3)
        lines.append(f"{kind:<13} {len(rs):>6} {med} {high} {top} {sum(r.lost for r in rs):>5} "
                     f"{sum(r.two_primaries for r in rs):>5} {sum(r.rejoined for r in rs):>4}/{len(rs):<4} "
                     f"{max(r.stall for r in rs):9.1f}")
    lines.append(f"total: {len(rounds)} rounds, lost {sum(r.lost for r in rounds)}, "
                 f"two primaries {sum(r.two_primaries for r in rounds)}, "
                 f"rejoined without an administrator {sum(r.rejoined for r in rounds)}/{len(rounds)}")
    return lines


def run(lab: labkit.Lab, rounds: int, seed: int, out: Callable[[str], None] = print,
        kinds: tuple[str, ...] = KINDS) -> list[Round]:
    """ROUNDS rounds with kinds drawn from KINDS by random.Random(SEED)."""
    unknown = set(kinds) - set(KINDS)
    if unknown or not kinds:
        raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {', '.join(KINDS)}")
    rng = random.Random(seed)
    out(f"mixed soak: {rounds} rounds, seed {seed}, kinds {','.join(kinds)}, cluster mode {pgkit.MODE}")
    out(HEADER)
    done = []
    for number in range(1, rounds + 1):
        rec = run_round(lab, number, rng.choice(kinds), rng)
        done.append(rec)
        out(format_round(rec))
    for line in summary(done):
        out(line)
    return done
