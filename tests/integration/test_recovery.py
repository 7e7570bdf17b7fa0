# SPDX-License-Identifier: GPL-2.0-or-later
"""VM mode: a node recovers by itself (issue 8).

- An agent killed mid-clone (Pacemaker's timeout, a node lost) leaves a data
  directory with PG_VERSION but no global/pg_control: the tools die with the
  agent, a probe says "not running" (7) and the next start clones again.
- An agent killed mid-pg_rewind: the next start does not trust the directory
  and ends streaming.
- A standby whose slot lost its WAL (max_slot_wal_keep_size) is rebuilt with
  pg_basebackup instead of restart-looping, and the primary recreates the slot.

Both namespace links are slowed with `tc` (tbf shapes only what a host
sends, and the copy flows from the source) so that the kill lands inside the
clone or rewind; the shaping is removed before recovery.
"""

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from harness.agent import agent_env, expect_rc, monitor, wait_streaming
from harness.lab import RESOURCE, agent_binary, alive, wait_for
from test_rejoin import assert_rejoined, make_divergence

pytestmark = pytest.mark.modes("vm")

SLOW_RATE = "4mbit"


def slow_link(host, rate=SLOW_RATE):
    host.nsexec(["tc", "qdisc", "replace", "dev", f"{host.ns}v0", "root", "tbf", "rate", rate,
                 "burst", "32kbit", "latency", "2s"], check=True)


def unslow_link(host):
    host.nsexec(["tc", "qdisc", "del", "dev", f"{host.ns}v0", "root"])


def start_agent_background(host, action, params=None):
    """The agent as Pacemaker runs it, without waiting (ip netns exec and env exec in place)."""
    env = agent_env(host, action, params)
    argv = ["ip", "netns", "exec", host.ns, "env", "-i"] + \
        [f"{k}={v}" for k, v in sorted(env.items())] + [agent_binary(), action]
    log = open(host.dir / f"agent-{action}-background.log", "w")
    return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)


def tool_pids(name, data):
    """Pids of `name` processes working on `data` (their command line names it)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            comm = Path(f"/proc/{entry}/comm").read_text().strip()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if comm == name and str(data) in cmdline and alive(int(entry)):
            pids.append(int(entry))
    return pids


def kill_agent(proc):
    """SIGKILL of the agent alone, as Pacemaker's operation timeout does."""
    comm = Path(agent_binary()).name[:15]
    assert Path(f"/proc/{proc.pid}/comm").read_text().strip() == comm, "Popen pid is not the agent"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)


def assert_tools_die_with_agent(name, data):
    orphans = []
    if not wait_for(lambda: not tool_pids(name, data), tries=50, delay=0.2):
        orphans = tool_pids(name, data)
        for pid in orphans:
            os.kill(pid, signal.SIGKILL)
    assert not orphans, f"{name} outlived the killed agent: {orphans}"


def kill_clone_job(host):
    """SIGKILL of the host's clone job (its process group), as a node loss does."""
    state = json.loads((Path("/run/pgtwin") / f"{RESOURCE}-{host.name}.clone.json").read_text())
    os.killpg(state["pid"], signal.SIGKILL)


def marker(host, kind):
    return host.data.parent / f".{host.data.name}.pgtwin-{kind}"


def test_clone_killed_midway_is_recloned(lab, pair, cluster):
    p1, p2 = pair
    p1.sql("CREATE TABLE filler AS SELECT g, repeat('x', 500) AS pad FROM generate_series(1, 40000) g")
    expect_rc(cluster.stop(p2), 0, p2, "stop psql2")
    for entry in p2.data.iterdir():
        subprocess.run(["rm", "-rf", str(entry)], check=True)
    slow_link(p1)
    slow_link(p2)
    try:
        proc = start_agent_background(p2, "start")
        midway = wait_for(lambda: (p2.data / "PG_VERSION").exists() and tool_pids("pg_basebackup", p2.data)
                          and not (p2.data / "global" / "pg_control").exists(), tries=200, delay=0.1)
        assert midway, f"the clone never reached PG_VERSION without pg_control\n{p2.log_tail()}"
        kill_agent(proc)
        # The clone runs in a detached job that outlives the agent (issue 8):
        # a lost node kills it too, and pg_basebackup dies with its job.
        kill_clone_job(p2)
        assert_tools_die_with_agent("pg_basebackup", p2.data)
    finally:
        unslow_link(p1)
        unslow_link(p2)
    assert not (p2.data / "global" / "pg_control").exists(), "the clone was not interrupted"
    probe = monitor(p2)
    expect_rc(probe, 7, p2, "probe of an interrupted clone")
    expect_rc(cluster.start(p2), 0, p2, "start after the interrupted clone")
    assert wait_streaming(p1, p2), f"psql2 does not stream after the re-clone\n{p2.log_tail()}"
    expect_rc(monitor(p2, "Unpromoted"), 0, p2, "monitor re-cloned psql2")
    assert p2.sql("SELECT count(*) FROM filler") == "40000"
    assert not marker(p2, "clone").exists()


def test_rewind_killed_midway_ends_streaming(lab, pair, cluster):
    p1, p2 = pair
    make_divergence(lab, cluster, p1, p2)
    # Enough changed data that pg_rewind copies for a while over the slow link.
    p2.sql("CREATE TABLE filler AS SELECT g, repeat('y', 500) AS pad FROM generate_series(1, 40000) g")
    slow_link(p1)
    slow_link(p2)  # the source: pg_rewind's copy flows from psql2
    try:
        proc = start_agent_background(p1, "start")
        midway = wait_for(lambda: tool_pids("pg_rewind", p1.data), tries=300, delay=0.1)
        assert midway, f"pg_rewind never ran\n{p1.log_tail()}"
        time.sleep(1.0)  # into the copy, not only the connection
        kill_agent(proc)
        assert_tools_die_with_agent("pg_rewind", p1.data)
    finally:
        unslow_link(p1)
        unslow_link(p2)
    assert marker(p1, "rewind").exists(), f"the rewind was not interrupted\n{p1.log_tail()}"
    expect_rc(monitor(p1), 7, p1, "probe of an interrupted rewind")
    expect_rc(cluster.start(p1), 0, p1, "start after the interrupted rewind")
    log = p1.agent_log.read_text(errors="replace")
    assert "interrupted pg_rewind" in log, "start did not recognise the interrupted rewind"
    assert_rejoined(p1, p2)
    assert not marker(p1, "rewind").exists()


def slot_status(primary, standby):
    return primary.sql(f"SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'pgtwin_{standby.name}'")


def test_standby_whose_wal_is_gone_is_rebuilt(lab, pair, cluster):
    p1, p2 = pair
    for h in (p1, p2):
        lab.overrides[h.name] = {"max_slot_wal_keep_size": "32MB", "replication_failure_threshold": "2"}
    expect_rc(monitor(p1, "Promoted"), 8, p1, "primary applies max_slot_wal_keep_size")
    assert p1.sql("SHOW max_slot_wal_keep_size") == "32MB"
    expect_rc(cluster.stop(p2), 0, p2, "stop psql2")
    for _ in range(3):
        expect_rc(monitor(p1, "Promoted"), 8, p1, "primary monitor while the standby is away")
    for _ in range(3):
        for i in range(8):
            p1.sql(f"INSERT INTO t VALUES ('wal-{time.monotonic_ns()}-{i}'); SELECT pg_switch_wal()")
        p1.sql("CHECKPOINT")
        if slot_status(p1, p2) == "lost":
            break
    assert slot_status(p1, p2) == "lost", "the slot was not invalidated"
    p1.sql("INSERT INTO t VALUES ('after-loss')")
    expect_rc(cluster.start(p2), 0, p2, "start psql2 behind the lost WAL")
    failed = None
    for _ in range(8):
        expect_rc(monitor(p1, "Promoted"), 8, p1, "primary monitor")
        res = monitor(p2, "Unpromoted")
        if res.rc != 0:
            failed = res
            break
        time.sleep(1)
    assert failed is not None, f"the standby monitor never failed\n{p2.log_tail()}"
    assert failed.rc == 1 and "is gone on primary" in failed.err, f"{failed}\n{p2.log_tail()}"
    assert slot_status(p1, p2) != "lost", "the primary did not recreate the lost slot"
    # Pacemaker's recovery of the failed monitor: stop, start.
    expect_rc(cluster.stop(p2), 0, p2, "stop the failed standby")
    expect_rc(monitor(p2), 7, p2, "probe of a standby marked for rebuild")
    expect_rc(cluster.start(p2), 0, p2, "start rebuilds psql2")
    assert wait_streaming(p1, p2), f"psql2 does not stream after the rebuild\n{p2.log_tail()}"
    expect_rc(monitor(p2, "Unpromoted"), 0, p2, "monitor rebuilt psql2")
    assert p2.sql("SELECT count(*) FROM t WHERE v = 'after-loss'") == "1"
    assert slot_status(p1, p2) in ("reserved", "extended"), slot_status(p1, p2)
    backups = [d for d in p2.data.parent.iterdir() if d.is_dir() and d.name.startswith("data.pgtwin-backup-")]
    assert len(backups) == 1, f"the old data was not kept: {backups}"
    assert not marker(p2, "rebuild").exists()
