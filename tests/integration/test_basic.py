# SPDX-License-Identifier: GPL-2.0-or-later
"""One instance at a time: actions, exit codes, roles, crash, idempotency.

Assumptions about the contract (issue 2) that the agent must align with:
- A1 meta-data prints the XML on stdout and exits 0 even without any
  OCF_RESKEY_*; `methods` and `usage` exit 0; an unknown action exits 3.
- A2 start on a cleanly stopped former primary with no peer reachable succeeds
  (rc 0) and leaves a standby (pg_is_in_recovery), monitor then says 0: start
  never opens read-write, and "no upstream yet" is not a monitor failure
  before replication_failure_threshold monitors have failed.
- A3 promote without notify data (first promotion of a new cluster: psql1
  alone, cleanly shut down, never a standby) is allowed by the local checks
  and exits 0; the following monitor says 8.
- A4 stop of a crashed primary exits 0, leaves no postmaster and keeps the
  data; a later start yields a standby (monitor 0), despite the stale
  postmaster.pid (in container mode it names PID 1, alive in any new
  container).
- A5 promote on a promoted instance and demote on an unpromoted one exit 0
  (OCF idempotency), as do start on started and stop on stopped.

Container mode also (issue 4):
- validate-all finds the runtime; a missing image is rc 5 (not installed)
  with a reason naming the image; a runtime that is not installed is rc 5
  naming it; a data directory owned by another uid than the container user
  is an error and neither validate-all nor start touches the data.
- stop leaves no container at all; a primary killed by the runtime
  (`podman kill` / `docker kill`) is 9 like a killed postmaster.
"""

import os

import pytest

from harness.agent import expect_rc, monitor, run_agent
from harness.container_lab import RUNTIME
from harness.lab import PG_BINDIR, run, tree_digest

vm_only = pytest.mark.modes("vm")
container_only = pytest.mark.modes("container")



def test_validate_all_accepts_good_configuration(lab, agent):
    host = lab["psql1"]
    lab.init_primary_data(host)
    expect_rc(run_agent(host, "validate-all"), 0, host, "validate-all")
    assert not host.has_instance(), "validate-all started something"


def test_start_monitor_stop_as_standby(lab, cluster):
    host = lab["psql1"]
    lab.init_primary_data(host)
    expect_rc(monitor(host), 7, host, "probe before start")
    expect_rc(cluster.start(host), 0, host, "start")
    assert host.postmaster_alive()
    assert host.in_recovery(), "start must never open read-write"
    assert (host.data / "standby.signal").exists()
    expect_rc(monitor(host), 0, host, "probe of a running standby")
    expect_rc(monitor(host, "Unpromoted"), 0, host, "monitor standby")
    expect_rc(cluster.start(host), 0, host, "start on started (idempotent)")
    assert host.in_recovery()
    expect_rc(cluster.stop(host), 0, host, "stop")
    assert not host.has_instance(), "stop left the instance (postmaster or container) behind"
    expect_rc(monitor(host), 7, host, "probe after stop")
    expect_rc(cluster.stop(host), 0, host, "stop on stopped (idempotent)")


def crash_and_recover(host, cluster, crash):
    """A4: start, promote, write, `crash`; 9, probe 7, stop 0, start as a standby."""
    expect_rc(cluster.start(host), 0, host, "start")
    expect_rc(cluster.promote(host), 0, host, "promote")
    expect_rc(monitor(host, "Promoted"), 8, host, "monitor primary")
    host.sql("CREATE TABLE t (v text); INSERT INTO t VALUES ('before-crash')")
    crash()
    expect_rc(monitor(host, "Promoted"), 9, host, "monitor of a crashed primary")
    # A probe (as after a fence reboot) reports it stopped: start recovers it.
    expect_rc(monitor(host), 7, host, "probe of a crashed primary")
    expect_rc(cluster.stop(host), 0, host, "stop of a crashed primary must succeed")
    assert not host.has_instance()
    assert (host.data / "PG_VERSION").exists(), "stop must keep the data"
    assert (host.data / "postmaster.pid").exists(), "the crash left no stale postmaster.pid to start beside"
    expect_rc(cluster.start(host), 0, host, "start after crash")
    assert host.in_recovery()
    expect_rc(monitor(host, "Unpromoted"), 0, host, "monitor after restart")
    assert host.sql("SELECT v FROM t") == "before-crash"


def test_crashed_primary_is_failed_promoted(lab, cluster):
    host = lab["psql1"]
    lab.init_primary_data(host)
    crash_and_recover(host, cluster, host.crash)


def test_demote_before_a_stop_of_the_same_transition_leaves_it_stopped(lab, cluster):
    """A crashed primary's recovery as Pacemaker plans it: demote, then stop,
    in one transition whose stop list reaches demote too. Demote leaves
    PostgreSQL stopped instead of running crash recovery as a standby that
    the stop shuts down again; the data stays and a later start is a standby."""
    host = lab["psql1"]
    lab.init_primary_data(host)
    expect_rc(cluster.start(host), 0, host, "start")
    expect_rc(cluster.promote(host), 0, host, "promote")
    host.sql("CREATE TABLE t (v text); INSERT INTO t VALUES ('before-crash')")
    host.crash()
    expect_rc(monitor(host, "Promoted"), 9, host, "monitor of a crashed primary")
    transition = {"notify_stop_uname": host.name, "notify_stop_resource": "pgsql:0",
                  "notify_demote_uname": host.name, "notify_demote_resource": "pgsql:0"}
    expect_rc(cluster.demote(host, meta=transition), 0, host, "demote of a crashed primary")
    assert not host.has_instance(), "demote started PostgreSQL that its transition stops next"
    expect_rc(cluster.stop(host, meta=transition), 0, host, "stop")
    expect_rc(cluster.start(host), 0, host, "start after the recovery")
    assert host.in_recovery()
    assert host.sql("SELECT v FROM t") == "before-crash"



@vm_only
def test_meta_data_and_trivial_actions(lab, agent):
    host = lab["psql1"]
    res = run_agent(host, "meta-data", env_override={"PATH": "/usr/bin:/bin"})
    expect_rc(res, 0, host, "meta-data without parameters")
    assert res.out.lstrip().startswith("<?xml") and "<resource-agent" in res.out
    for name in ("pgdata", "rep_mode", "node_list", "pgpassfile", "backup_before_basebackup"):
        assert f'name="{name}"' in res.out, f"parameter {name} missing from meta-data"
    for action in ("start", "stop", "monitor", "promote", "demote", "notify", "validate-all"):
        assert f'name="{action}"' in res.out
    # meta-data works as an unprivileged user and writes nothing but XML.
    res = run(["runuser", "-u", "nobody", "--", agent, "meta-data"])
    assert res.rc == 0 and "<resource-agent" in res.out, res
    expect_rc(run_agent(host, "methods"), 0, host, "methods")
    expect_rc(run_agent(host, "usage"), 0, host, "usage")
    expect_rc(run_agent(host, "frobnicate"), 3, host, "unknown action")


@vm_only
def test_probe_of_stopped_instance_is_7(lab, agent):
    host = lab["psql1"]
    lab.init_primary_data(host)
    expect_rc(monitor(host), 7, host, "probe of a cleanly stopped cluster")
    expect_rc(monitor(host, "Unpromoted"), 7, host, "recurring monitor of a stopped cluster")


@vm_only
def test_promote_monitor_demote_single_node(lab, cluster):
    host = lab["psql1"]
    lab.init_primary_data(host)
    expect_rc(cluster.start(host), 0, host, "start")
    expect_rc(cluster.promote(host), 0, host, "promote")
    expect_rc(monitor(host, "Promoted"), 8, host, "monitor promoted")
    expect_rc(monitor(host), 8, host, "probe of a primary")
    assert not host.in_recovery()
    host.sql("CREATE TABLE t (v text); INSERT INTO t VALUES ('w')")
    expect_rc(cluster.promote(host), 0, host, "promote on promoted (idempotent)")
    expect_rc(cluster.demote(host), 0, host, "demote")
    expect_rc(monitor(host, "Unpromoted"), 0, host, "monitor after demote")
    assert host.in_recovery()
    expect_rc(cluster.demote(host), 0, host, "demote on unpromoted (idempotent)")


@vm_only
def test_start_on_former_primary_yields_standby(lab, cluster):
    host = lab["psql1"]
    lab.init_primary_data(host)
    expect_rc(cluster.start(host), 0, host, "start")
    expect_rc(cluster.promote(host), 0, host, "promote")
    expect_rc(cluster.stop(host), 0, host, "stop primary")
    res = run([f"{PG_BINDIR}/pg_controldata", host.data])
    state = [l.split(":", 1)[1].strip() for l in res.out.splitlines() if l.startswith("Database cluster state")]
    assert state == ["shut down"], f"expected a cleanly stopped primary: {state}"
    expect_rc(cluster.start(host), 0, host, "start former primary")
    assert host.in_recovery(), "a former primary must come back as a standby"
    expect_rc(monitor(host, "Unpromoted"), 0, host, "monitor")


@vm_only
@pytest.mark.parametrize("role", ["Unpromoted", "Promoted"])
def test_monitor_reports_real_role_whatever_was_asked(lab, cluster, role):
    """Monitor reports the real role; it never guesses from OCF_RESKEY_CRM_meta_role."""
    host = lab["psql1"]
    lab.init_primary_data(host)
    expect_rc(cluster.start(host), 0, host, "start")
    expect_rc(monitor(host, role), 0, host, f"standby monitored as {role}")


@container_only
def test_validate_all_missing_image_is_not_installed(lab, agent):
    p1 = lab["psql1"]
    res = run_agent(p1, "validate-all", params={"container_image": "localhost/pgtwin-test/absent:0"})
    expect_rc(res, 5, p1, "validate-all with a missing image")
    assert any("localhost/pgtwin-test/absent:0" in r for r in res.exit_reasons()), res


@container_only
def test_validate_all_without_runtime_is_not_installed(lab, agent):
    p1 = lab["psql1"]
    res = run_agent(p1, "validate-all", extra={"PATH": str(p1.stub_dir)})
    expect_rc(res, 5, p1, f"validate-all without {RUNTIME} on PATH")
    assert any(RUNTIME in r for r in res.exit_reasons()), res


@container_only
def test_data_owned_by_wrong_uid_is_refused_untouched(lab, agent):
    p1 = lab["psql1"]
    lab.init_primary_data(p1)
    for dirpath, dirnames, filenames in os.walk(p1.data):
        for n in [dirpath] + [os.path.join(dirpath, f) for f in dirnames + filenames]:
            os.lchown(n, 4242, 4242)
    before = tree_digest(p1.data)
    res = run_agent(p1, "validate-all")
    assert res.rc not in (0, 7) and not res.timed_out, f"validate-all accepted uid 4242 data\n{res}"
    assert any("uid" in r for r in res.exit_reasons()), res
    res = run_agent(p1, "start")
    assert res.rc != 0, f"start accepted uid 4242 data\n{res}"
    assert tree_digest(p1.data) == before, "data directory changed"
    assert not p1.container_exists(), "a container was created for foreign data"


@container_only
def test_start_promote_stop_as_primary(lab, agent):
    p1 = lab["psql1"]
    lab.init_primary_data(p1)
    expect_rc(run_agent(p1, "start"), 0, p1, "start")
    expect_rc(run_agent(p1, "promote"), 0, p1, "promote")
    expect_rc(monitor(p1, "Promoted"), 8, p1, "monitor primary")
    assert not p1.in_recovery()
    p1.sql("CREATE TABLE t (v text PRIMARY KEY); INSERT INTO t VALUES ('kept')")
    expect_rc(run_agent(p1, "stop"), 0, p1, "stop primary")
    assert not p1.container_exists(), "container left behind after stop"
    expect_rc(monitor(p1), 7, p1, "probe of a cleanly stopped primary")
    expect_rc(run_agent(p1, "start"), 0, p1, "restart")
    assert p1.sql("SELECT v FROM t") == "kept"


@container_only
def test_primary_killed_by_the_runtime_is_failed_promoted(lab, cluster):
    host = lab["psql1"]
    lab.init_primary_data(host)

    def runtime_kill():
        host.runtime("kill", "-s", "KILL", host.container, check=True)
        assert not host.container_running()

    crash_and_recover(host, cluster, runtime_kill)
