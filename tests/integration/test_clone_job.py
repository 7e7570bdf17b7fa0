# SPDX-License-Identifier: GPL-2.0-or-later
"""VM mode: clones of any size run in a supervised job (issue 8).

A clone throttled with `tc` on the source's link outlasts a short start
timeout (OCF_RESKEY_CRM_meta_timeout). start hands pg_basebackup to the
detached clone job and returns 0; while the job lives the standby's monitor
returns 0 with score -1000 and the primary never publishes it in-sync; the
job starts PostgreSQL as a standby and the primary then makes it promotable.
stop kills the job (nothing is left running) and the next start clones again;
a job SIGKILLed makes the next monitor fail (rc 1), and Pacemaker's
stop + start recovers.

Sizes are kept small (~24 MB of table, about 85 MB sent with the catalogs
and the WAL, over 8 Mbit/s) so that a throttled clone lasts about 85 s,
well past the 30 s start; the waits below only bound how long the test waits.
"""

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from harness.agent import expect_rc, monitor, run_agent, settle, wait_streaming
from harness.lab import RESOURCE, alive, netns_pids, wait_for
from test_recovery import marker, slow_link, unslow_link

pytestmark = pytest.mark.modes("vm")

CLONE_RATE = "8mbit"
FILLER_ROWS = 45000  # ~24 MB with the table's overhead
# Shorter than the throttled clone: before the clone job, start failed here.
SHORT_START_MS = "30000"
REP_STATE = f"pgtwin-{RESOURCE}-rep-state"


def clone_state(host):
    path = Path("/run/pgtwin") / f"{RESOURCE}-{host.name}.clone.json"
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def basebackup_pids(host):
    pids = []
    for pid in netns_pids(host.ns):
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == "pg_basebackup" and alive(pid):
                pids.append(pid)
        except OSError:
            continue
    return pids


def wiped_standby(cluster, p1, p2):
    """psql2 stopped with an empty data directory; psql1 holds ~24 MB."""
    p1.sql(f"CREATE TABLE filler AS SELECT g, repeat('x', 500) AS pad FROM generate_series(1, {FILLER_ROWS}) g")
    expect_rc(cluster.stop(p2), 0, p2, "stop psql2")
    for entry in p2.data.iterdir():
        subprocess.run(["rm", "-rf", str(entry)], check=True)


def start_throttled(cluster, p1, p2, params=None):
    """Starts psql2 with a start timeout shorter than the throttled clone."""
    slow_link(p1, CLONE_RATE)  # the copy flows from the primary
    res = run_agent(p2, "start", params=params, meta={"timeout": SHORT_START_MS})
    expect_rc(res, 0, p2, "start psql2 with a start timeout shorter than the clone")
    cluster._track(p2.name, "start")
    state = clone_state(p2)
    assert state and state["phase"] == "cloning", f"no running clone job after start: {state}\n{p2.log_tail()}"
    assert alive(state["pid"]), f"the clone job is not alive: {state}"
    assert basebackup_pids(p2), "pg_basebackup does not run after start returned"
    assert marker(p2, "clone").exists()
    return state


def test_clone_longer_than_start_timeout_ends_streaming(lab, pair, cluster):
    p1, p2 = pair
    wiped_standby(cluster, p1, p2)
    try:
        state = start_throttled(cluster, p1, p2, params={"clone_max_rate": "100M"})
        cmdline = Path(f"/proc/{basebackup_pids(p2)[0]}/cmdline").read_bytes().split(b"\0")
        assert b"--max-rate=100M" in cmdline and b"--progress" in cmdline, cmdline
        refused = run_agent(p2, "promote")
        assert refused.rc == 1 and "clone" in refused.err, f"promote during the clone: {refused}"
        monitors = 0
        while clone_state(p2)["phase"] in ("cloning", "starting") and alive(state["pid"]):
            res = monitor(p2, "Unpromoted")
            expect_rc(res, 0, p2, "standby monitor during the clone")
            assert lab.promotion_score(p2.name) == -1000, lab.stub_state()
            expect_rc(monitor(p1, "Promoted"), 8, p1, "primary monitor during the clone")
            assert (lab.promotion_score(p2.name) or 0) <= 0, lab.stub_state()
            assert lab.attribute(p2.name, REP_STATE, "forever") != "in-sync", lab.stub_state()
            monitors += 1
            time.sleep(3)
            assert monitors < 200, "the clone never ended"
        assert monitors >= 3, f"the clone was not longer than the start ({monitors} monitors)"
    finally:
        unslow_link(p1)
    final = clone_state(p2)
    assert final["phase"] == "done", f"{final}\n{p2.log_tail()}"
    assert final["total_kb"] > 20000, final
    assert wait_streaming(p1, p2), f"psql2 does not stream after the clone job\n{p2.log_tail()}"
    expect_rc(monitor(p2, "Unpromoted"), 0, p2, "monitor of the cloned standby")
    settle(p1, p2)
    assert lab.attribute(p2.name, REP_STATE, "forever") == "in-sync", lab.stub_state()
    assert not marker(p2, "clone").exists()
    log = p2.agent_log.read_text(errors="replace")
    assert "Clone progress. [done_mb: " in log, "no progress line in the agent log"
    assert p2.sql("SELECT count(*) FROM filler") == str(FILLER_ROWS)


def test_stop_during_the_clone_job_leaves_nothing_and_start_reclones(lab, pair, cluster):
    p1, p2 = pair
    wiped_standby(cluster, p1, p2)
    try:
        state = start_throttled(cluster, p1, p2)
        expect_rc(cluster.stop(p2), 0, p2, "stop psql2 during the clone")
        assert not alive(state["pid"]), "the clone job outlived stop"
        assert wait_for(lambda: not basebackup_pids(p2), tries=20, delay=0.2), "pg_basebackup outlived stop"
    finally:
        unslow_link(p1)
    assert clone_state(p2)["phase"] == "stopped"
    assert marker(p2, "clone").exists(), "stop removed the clone marker"
    expect_rc(monitor(p2), 7, p2, "probe after a stopped clone")
    expect_rc(cluster.start(p2), 0, p2, "start re-clones")
    assert wait_streaming(p1, p2), f"psql2 does not stream after the re-clone\n{p2.log_tail()}"
    expect_rc(monitor(p2, "Unpromoted"), 0, p2, "monitor re-cloned psql2")
    assert p2.sql("SELECT count(*) FROM filler") == str(FILLER_ROWS)


def test_killed_clone_job_fails_the_next_monitor(lab, pair, cluster):
    p1, p2 = pair
    wiped_standby(cluster, p1, p2)
    try:
        state = start_throttled(cluster, p1, p2)
        os.kill(state["pid"], signal.SIGKILL)
        assert wait_for(lambda: not alive(state["pid"]), tries=50, delay=0.1)
        # pg_basebackup dies with its job (parent-death signal).
        assert wait_for(lambda: not basebackup_pids(p2), tries=50, delay=0.2), "pg_basebackup outlived its job"
    finally:
        unslow_link(p1)
    res = monitor(p2, "Unpromoted")
    assert res.rc == 1 and "clone job" in res.err and "died" in res.err, f"{res}\n{p2.log_tail()}"
    # Pacemaker's recovery: stop, start (which repairs the interrupted clone).
    expect_rc(cluster.stop(p2), 0, p2, "stop after the failed monitor")
    expect_rc(cluster.start(p2), 0, p2, "start re-clones")
    assert wait_streaming(p1, p2), f"psql2 does not stream after the re-clone\n{p2.log_tail()}"
    expect_rc(monitor(p2, "Unpromoted"), 0, p2, "monitor re-cloned psql2")
