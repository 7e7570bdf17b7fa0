# SPDX-License-Identifier: GPL-2.0-or-later
"""Container mode, one or two hosts: validate-all, start/stop/monitor in both roles, crashes.

Contract points (issue 4) checked here:
- validate-all finds the runtime; a missing image is rc 5 (not installed)
  with a reason naming the image; a runtime that is not installed is rc 5
  naming it; a data directory owned by another uid than the container user
  is an error and neither validate-all nor start touches the data.
- probe of a stopped instance is 7; start leaves a running container named
  container_name; stop leaves no container at all (and is idempotent).
- monitor says 0 (standby) / 8 (primary) from SQL over the shared socket.
- a crashed primary (its postmaster, the container's PID 1, killed from the
  host, or `podman kill` / `docker kill`) is 9; stop then succeeds, and start brings it back
  as a standby despite the stale postmaster.pid left by the dead container.
"""

import os

import pytest

from ctagent import expect_rc, monitor, run_agent
from ctlab import RUNTIME, tree_digest_of


def test_validate_all_finds_runtime_and_image(lab, agent):
    p1 = lab["psql1"]
    lab.init_primary_data(p1)
    res = run_agent(p1, "validate-all")
    expect_rc(res, 0, p1, "validate-all")


def test_validate_all_missing_image_is_not_installed(lab, agent):
    p1 = lab["psql1"]
    res = run_agent(p1, "validate-all", params={"container_image": "localhost/pgtwin-test/absent:0"})
    expect_rc(res, 5, p1, "validate-all with a missing image")
    assert any("localhost/pgtwin-test/absent:0" in r for r in res.exit_reasons()), res


def test_validate_all_without_runtime_is_not_installed(lab, agent):
    p1 = lab["psql1"]
    res = run_agent(p1, "validate-all", extra={"PATH": str(p1.stub_dir)})
    expect_rc(res, 5, p1, f"validate-all without {RUNTIME} on PATH")
    assert any(RUNTIME in r for r in res.exit_reasons()), res


def test_data_owned_by_wrong_uid_is_refused_untouched(lab, agent):
    p1 = lab["psql1"]
    lab.init_primary_data(p1)
    for dirpath, dirnames, filenames in os.walk(p1.data):
        for n in [dirpath] + [os.path.join(dirpath, f) for f in dirnames + filenames]:
            os.lchown(n, 4242, 4242)
    before = tree_digest_of(p1.data)
    res = run_agent(p1, "validate-all")
    assert res.rc not in (0, 7) and not res.timed_out, f"validate-all accepted uid 4242 data\n{res}"
    assert any("uid" in r for r in res.exit_reasons()), res
    res = run_agent(p1, "start")
    assert res.rc != 0, f"start accepted uid 4242 data\n{res}"
    assert tree_digest_of(p1.data) == before, "data directory changed"
    assert not p1.container_exists(), "a container was created for foreign data"


def test_start_stop_monitor_as_standby(lab, agent):
    p1 = lab["psql1"]
    lab.init_primary_data(p1)
    expect_rc(monitor(p1), 7, p1, "probe before start")
    expect_rc(run_agent(p1, "start"), 0, p1, "start")
    assert p1.container_running()
    assert p1.in_recovery(), "start must give a standby"
    expect_rc(monitor(p1, "Unpromoted"), 0, p1, "monitor standby")
    expect_rc(run_agent(p1, "start"), 0, p1, "idempotent start")
    expect_rc(run_agent(p1, "stop"), 0, p1, "stop")
    assert not p1.container_exists(), "container left behind after stop"
    expect_rc(monitor(p1), 7, p1, "probe after stop")
    expect_rc(run_agent(p1, "stop"), 0, p1, "idempotent stop")


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


@pytest.mark.parametrize("how", ["kill-postmaster", "runtime-kill"])
def test_crashed_primary_is_failed_promoted(lab, agent, how):
    p1 = lab["psql1"]
    lab.init_primary_data(p1)
    expect_rc(run_agent(p1, "start"), 0, p1, "start")
    expect_rc(run_agent(p1, "promote"), 0, p1, "promote")
    expect_rc(monitor(p1, "Promoted"), 8, p1, "monitor primary")
    if how == "kill-postmaster":
        p1.crash()
    else:
        p1.runtime("kill", "-s", "KILL", p1.container, check=True)
        assert not p1.container_running()
    expect_rc(monitor(p1, "Promoted"), 9, p1, "monitor of the crashed primary")
    # A probe (as after a fence reboot) reports it stopped: start recovers it.
    expect_rc(monitor(p1), 7, p1, "probe of the crashed primary")
    expect_rc(run_agent(p1, "stop"), 0, p1, "stop of a crashed primary")
    assert not p1.container_exists()
    # postmaster.pid of the dead container names PID 1, alive in any new container.
    assert (p1.data / "postmaster.pid").exists()
    expect_rc(run_agent(p1, "start"), 0, p1, "start after the crash")
    assert p1.in_recovery()
    expect_rc(monitor(p1, "Unpromoted"), 0, p1, "monitor restarted standby")
