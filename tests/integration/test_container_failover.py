# SPDX-License-Identifier: GPL-2.0-or-later
"""Container mode: failover without losing acknowledged writes; a hung runtime.

Contract points (issue 4) checked here:
- rep_mode=sync between containers: every commit acknowledged by the
  primary container before it crashed is on the standby after the standby
  is promoted (zero acknowledged writes lost).
- a container runtime that does not answer (a fake podman that sleeps) makes
  monitor fail with rc 1 and a reason naming the runtime, before the
  operation timeout; PostgreSQL being down is reported differently (7).
"""

import os
import threading
import time

from pathlib import Path

import pytest

from harness.agent import expect_rc, monitor, run_agent, settle
from harness.lab import alive, netns_pids

pytestmark = pytest.mark.modes("container")


def test_failover_loses_no_acknowledged_write(lab, pair, cluster):
    p1, p2 = pair
    settle(p1, p2)
    acknowledged = []
    stop = threading.Event()

    def writer():
        i = 0
        while not stop.is_set():
            i += 1
            res = p1.sql(f"INSERT INTO t VALUES ('w{i}')", timeout_s=5, check=False)
            if res.rc == 0:
                acknowledged.append(f"w{i}")

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    assert wait_until(lambda: len(acknowledged) >= 30, 60), "writer made no progress"
    p1.crash()
    time.sleep(0.5)
    stop.set()
    t.join(30)
    assert not t.is_alive()
    expect_rc(monitor(p1, "Promoted"), 9, p1, "monitor of the crashed primary")
    expect_rc(cluster.stop(p1), 0, p1, "stop of the crashed primary")
    expect_rc(cluster.promote(p2), 0, p2, "promote psql2 (failover)")
    expect_rc(monitor(p2, "Promoted"), 8, p2, "monitor of the new primary")
    rows = set(p2.sql("SELECT v FROM t").split())
    lost = [v for v in acknowledged if v not in rows]
    assert not lost, f"{len(lost)} of {len(acknowledged)} acknowledged writes lost: {lost[:10]}"
    assert len(acknowledged) >= 30


def wait_until(predicate, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def fake_runtime(host, body):
    d = host.dir / "fakebin"
    d.mkdir(exist_ok=True)
    f = d / "podman"
    f.write_text("#!/bin/sh\n" + body + "\n")
    os.chmod(f, 0o755)
    return f"{d}:{host.stub_dir}:/usr/sbin:/usr/bin:/sbin:/bin"


def hung_runtimes(host):
    """PIDs in host's namespace still running the fake runtime's `sleep 300`."""
    left = []
    for pid in netns_pids(host.ns):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv[:2] == [b"sleep", b"300"] and alive(pid):
            left.append(pid)
    return left


def test_hung_runtime_is_not_postgresql_down(lab, agent):
    p1 = lab["psql1"]
    lab.init_primary_data(p1)
    expect_rc(run_agent(p1, "start"), 0, p1, "start")
    path = fake_runtime(p1, "exec sleep 300")
    # PostgreSQL answers on the shared socket: that is proof enough, the
    # runtime is not asked (and failing here would make Pacemaker call the
    # hung runtime to stop the container).
    expect_rc(monitor(p1, "Unpromoted", meta={"timeout": "8000"}, extra={"PATH": path}), 0, p1,
              "monitor of an answering instance with a hung runtime")
    expect_rc(run_agent(p1, "stop"), 0, p1, "stop")
    # PostgreSQL does not answer: now the runtime decides, and a hung one is
    # reported as such, not as a stopped instance.
    res = monitor(p1, meta={"timeout": "8000"}, extra={"PATH": path})
    expect_rc(res, 1, p1, "probe with a hung runtime")
    assert not res.timed_out, "the agent outlived its timeout"
    reasons = " ".join(res.exit_reasons()).lower()
    assert "runtime" in reasons, f"reason does not name the runtime: {res.exit_reasons()}"
    assert not hung_runtimes(p1), "the agent left the hung runtime process running"
    expect_rc(monitor(p1, meta={"timeout": "8000"}), 7, p1, "probe of stopped PostgreSQL, real runtime")


def test_failing_runtime_is_reported_as_runtime_error(lab, agent):
    p1 = lab["psql1"]
    lab.init_primary_data(p1)
    path = fake_runtime(p1, "echo 'Error: simulated storage failure' >&2; exit 125")
    res = monitor(p1, extra={"PATH": path})
    assert res.rc not in (0, 7, 8) and not res.timed_out, f"a failing runtime was taken for an answer\n{res}"
    assert res.exit_reasons(), res
