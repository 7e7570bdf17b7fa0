# SPDX-License-Identifier: GPL-2.0-or-later
"""Fixtures of the integration tier: real PostgreSQL 15 on two netns hosts,
in VM mode or container mode (tests/harness/modes.py).

Run as root with Debian's python3: tests/integration/run.sh [--mode M] [pytest args]
(or /usr/bin/python3 -m pytest --mode=M tests/integration).
The session runs the modes of --mode (vm, container or vm,container; default
$PGTWIN_ITEST_MODE or vm): every test that takes `mode` (through lab,
cluster or pair) runs once per mode, with the mode in its id
(test_switchover_round_trip[container]). A test written for one mode only
says so with `pytestmark = pytest.mark.modes("container")` (or on the test)
and is deselected in a session of the other mode.
Environment:
  PGTWIN_BIN                  agent binary (default <repo>/build-ci/pgtwin)
  PGTWIN_ITEST_REQUIRE_AGENT  1: a missing/placeholder agent fails the agent
                              tests instead of skipping them (run.sh sets it)
  PGTWIN_ITEST_REAPER         0: do not reap orphaned postmasters (zombies stay
                              until PID 1 reaps them, as on a bare machine)
  PGTWIN_ITEST_KEEP           1: keep the lab of a failed test for inspection
                              (clean up later with tests/harness/cleanup.sh)
  PGTWIN_ITEST_TRUST_PEER     1: VM mode, diagnosis only - trust instead of
                              scram-sha-256 between the hosts
  PGTWIN_TEST_IMAGE           container mode: the image (default
                              localhost/pgtwin-test/postgres:15)
  PGTWIN_CTEST_RUNTIME        container mode: podman (default) or docker
"""

import fcntl
import os

import pytest

from harness import lab as labmod
from harness.agent import Cluster, bootstrap_pair
from harness.modes import MODES


def pytest_addoption(parser):
    # Give it as --mode=M: pytest looks for the paths (and so for this file)
    # before it knows the option, and a separate value would pass for a path.
    parser.addoption("--mode", default=os.environ.get("PGTWIN_ITEST_MODE", "vm"),
                     help="the modes this session runs: vm, container or vm,container")


def pytest_configure(config):
    config.addinivalue_line("markers", "modes(*names): the modes a test applies to (default: all)")


def session_modes(config):
    names = [n.strip() for n in config.getoption("--mode").split(",") if n.strip()]
    unknown = [n for n in names if n not in MODES]
    if unknown or not names:
        raise pytest.UsageError(f"--mode: {unknown or names} is not a list of {sorted(MODES)}")
    return names


def pytest_generate_tests(metafunc):
    if "mode" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("modes")
        allowed = marker.args if marker else tuple(MODES)
        names = [n for n in session_modes(metafunc.config) if n in allowed]
        # A test of another mode only: one placeholder id, deselected below.
        metafunc.parametrize("mode", names or ["none"], indirect=True, scope="session")


def pytest_collection_modifyitems(config, items):
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        (drop if callspec is not None and callspec.params.get("mode") == "none" else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


@pytest.fixture(scope="session")
def mode(request):
    """The mode object (harness.modes); one session of it at a time on this
    machine, leftovers of earlier runs removed first."""
    if os.geteuid() != 0:
        pytest.exit("the integration tier must run as root", returncode=2)
    the_mode = MODES[request.param]
    with open(the_mode.lock_file, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        problem = the_mode.prepare_session()
        if problem:
            pytest.exit(problem, returncode=1)
        yield the_mode


def _agent_problem():
    binary = labmod.agent_binary()
    if not os.access(binary, os.X_OK):
        return f"agent binary {binary} not found (build it or set PGTWIN_BIN)"
    res = labmod.run([binary, "meta-data"], timeout=20)
    if res.rc != 0 or "<resource-agent" not in res.out:
        return f"agent binary {binary} does not answer meta-data (rc={res.rc})"
    return None


@pytest.fixture(scope="session")
def agent(mode):
    """The agent binary path; skips (or fails) the test when it is not usable."""
    problem = _agent_problem()
    if problem:
        if os.environ.get("PGTWIN_ITEST_REQUIRE_AGENT") == "1":
            pytest.fail(problem)
        pytest.skip(problem)
    return labmod.agent_binary()


@pytest.fixture(scope="session")
def template(request, mode):
    """psql1's first data directory, made once per session and mode (by the
    agent in container mode: the harness self-tests need none in VM mode)."""
    if mode.template_needs_agent:
        request.getfixturevalue("agent")
    with mode.template() as path:
        yield path


@pytest.fixture
def lab(request, mode, template):
    """A fresh two-host lab of the session's mode, destroyed after the test whatever happened."""
    yield from labmod.managed_lab(request, mode.new_lab(template), f"tests/harness/cleanup.sh {mode.name}")


@pytest.fixture
def cluster(lab, agent):
    """Pacemaker-like driver over the lab (notify sequences, active/promoted lists)."""
    return Cluster(lab)


@pytest.fixture
def pair(lab, cluster):
    """(psql1 primary, psql2 streaming standby) managed by the agent."""
    return bootstrap_pair(lab, cluster)
