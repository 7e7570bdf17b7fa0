# SPDX-License-Identifier: GPL-2.0-or-later
"""VM mode: a clone of the standby never becomes the synchronous standby (issue 7, item 1).

pg_basebackup -X stream -S <slot> opens a WAL stream that reports a flush
position, so PostgreSQL treats it as a synchronous candidate; it advances that
position only when a WAL segment closes. If the primary took that stream for
the standby, it would name it in synchronous_standby_names and publish a
half-copied node as in-sync and promotable, and every commit would wait for a
segment to close (for the whole clone under light traffic).

The test slows the clone with tc on the primary's namespace link, runs the
standby's start (auto-init clone) in the background and, while pg_basebackup
runs on the standby host, drives the primary's recurring monitor, commits one
row at a time with synchronous_commit=on and a per-insert timing probe, and
samples pg_stat_replication, synchronous_standby_names and the node
attributes. The insert timeout is a behaviour bound (a commit blocked by the
clone fails the test instead of hanging), not a speed threshold.
"""

import statistics
import threading
import time
from pathlib import Path

import pytest

from harness.agent import expect_rc, monitor, settle, wait_streaming
from harness.lab import PORT, netns_pids

pytestmark = pytest.mark.modes("vm")

REP_STATE = "pgtwin-pgsql-rep-state"
INSERT_TIMEOUT_S = 20
# Enough data that the throttled clone outlasts several monitor/insert rounds.
FILLER_MB = 16
RATE = "8mbit"


def pg_basebackup_running(host):
    """True while a pg_basebackup process runs in host's namespace."""
    for pid in netns_pids(host.ns):
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == "pg_basebackup":
                return True
        except OSError:
            continue
    return False


def throttle(host, on):
    dev = f"{host.ns}v0"
    if on:
        host.nsexec(["tc", "qdisc", "add", "dev", dev, "root", "tbf", "rate", RATE, "burst", "64kbit",
                     "latency", "400ms"], check=True)
    else:
        host.nsexec(["tc", "qdisc", "del", "dev", dev, "root"])


def timed_insert(primary, value):
    """One single-row commit with synchronous_commit=on; (seconds, problem or None).

    statement_timeout cannot bound it: PostgreSQL disables that timer before
    the commit that waits for the synchronous standby. The client is killed
    instead after INSERT_TIMEOUT_S, which fails the test.
    """
    env = ["env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", "PGCONNECT_TIMEOUT=5",
           "PGOPTIONS=-c synchronous_commit=on"]
    argv = env + ["runuser", "-u", "postgres", "--", "psql", "-X", "-At", "-q", "-v", "ON_ERROR_STOP=1",
                  "-h", str(primary.run_dir), "-p", str(PORT), "-d", "postgres",
                  "-c", f"INSERT INTO t VALUES ('{value}')"]
    t0 = time.monotonic()
    res = primary.nsexec(argv, timeout=INSERT_TIMEOUT_S)
    elapsed = time.monotonic() - t0
    if res.timed_out:
        return elapsed, f"insert {value} still waiting after {elapsed:.1f}s (client killed)"
    if res.rc != 0 or "synchronous replication" in res.err:
        return elapsed, f"insert {value} failed after {elapsed:.1f}s: rc={res.rc} {res.err.strip()}"
    return elapsed, None


def sample(lab, primary):
    """What the primary and the cluster say about psql2 right now."""
    rows = primary.sql("SELECT application_name || ':' || state || ':' || sync_state FROM pg_stat_replication")
    return {"names": primary.sql("SHOW synchronous_standby_names"),
            "rows": [r for r in rows.splitlines() if r],
            "rep_state": lab.attribute("psql2", REP_STATE, "forever"),
            "score": lab.promotion_score("psql2")}


def violations_of(s):
    """Ways in which a sample taken during the clone names the cloning node."""
    bad = []
    if "psql2" in s["names"]:
        bad.append(f"cloning node named synchronous: {s['names']!r}")
    if any(r.endswith(":sync") or r.endswith(":quorum") for r in s["rows"]):
        bad.append(f"a clone stream is a synchronous standby: {s['rows']}")
    if s["rep_state"] == "in-sync":
        bad.append("cloning node recorded in-sync")
    if (s["score"] or 0) > 0:
        bad.append(f"cloning node promotable (score {s['score']})")
    return bad


def start_in_background(cluster, host):
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("res", cluster.start(host)), daemon=True)
    thread.start()
    return thread, result


def test_clone_stream_is_never_the_synchronous_standby(lab, cluster):
    p1, p2 = lab["psql1"], lab["psql2"]
    lab.init_primary_data(p1)
    expect_rc(cluster.start(p1), 0, p1, "start psql1")
    expect_rc(cluster.promote(p1), 0, p1, "promote psql1")
    expect_rc(monitor(p1, "Promoted"), 8, p1, "monitor primary")
    p1.sql("CREATE TABLE t (v text PRIMARY KEY)")
    p1.sql(f"CREATE TABLE filler AS SELECT g, md5(g::text) || repeat('x', 968) AS pad "
           f"FROM generate_series(1, {FILLER_MB * 1024}) g", timeout_s=120)

    throttle(p1, True)
    try:
        thread, result = start_in_background(cluster, p2)
        latencies, problems, during = [], [], 0
        i = 0
        while thread.is_alive():
            expect_rc(monitor(p1, "Promoted"), 8, p1, "primary monitor during the clone")
            cloning_before = pg_basebackup_running(p2)
            s = sample(lab, p1)
            elapsed, problem = timed_insert(p1, f"during-clone-{i}")
            cloning_after = pg_basebackup_running(p2)
            i += 1
            if not (cloning_before and cloning_after):
                continue  # not (entirely) within the clone
            during += 1
            latencies.append(elapsed)
            problems += [f"sample {i}: {v}" for v in violations_of(s)]
            if problem:
                problems.append(problem)
        thread.join()
    finally:
        throttle(p1, False)

    if latencies:
        print(f"\ninsert latency during the clone: n={len(latencies)} max={max(latencies):.3f}s "
              f"median={statistics.median(latencies):.3f}s")
    expect_rc(result["res"], 0, p2, "start psql2 (auto-init clone)")
    assert not problems, "\n".join(problems)
    assert during >= 3, f"the clone was too short to observe ({during} rounds); raise FILLER_MB"

    # After the clone the real standby streams and becomes the synchronous standby.
    assert wait_streaming(p1, p2), f"psql2 does not stream\n{p2.log_tail()}"
    settle(p1, p2)
    assert "psql2" in p1.sql("SHOW synchronous_standby_names")
    assert p1.sql("SELECT count(*) FROM t") == str(i)
