# SPDX-License-Identifier: GPL-2.0-or-later
"""Fixtures of the container-mode integration tier (PostgreSQL in podman containers).

Run as root with Debian's python3: tests/container/run.sh [pytest args]
Environment:
  PGTWIN_BIN                  agent binary (default <repo>/build/pgtwin)
  PGTWIN_ITEST_REQUIRE_AGENT  1: a missing agent fails instead of skipping (run.sh sets it)
  PGTWIN_TEST_IMAGE           image (default localhost/pgtwin-test/postgres:15)
  PGTWIN_ITEST_KEEP           1: keep the lab of a failed test (tests/container/cleanup.sh later)
"""

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent / "integration"))

import ctlab  # noqa: E402
import ctagent  # noqa: E402  (installs ct_run_agent into agent.py)
from ctagent import Cluster, bootstrap_pair, expect_rc, run_agent  # noqa: E402


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


@pytest.fixture(scope="session", autouse=True)
def _session():
    """One container session at a time; image present; leftovers removed."""
    if os.geteuid() != 0:
        pytest.exit("the container tier must run as root", returncode=2)
    lock = open(ctlab.LOCK_FILE, "a")
    fcntl.flock(lock, fcntl.LOCK_EX)
    subprocess.run([str(HERE / "cleanup.sh")], env=dict(os.environ, PGTWIN_CTEST_LOCK_HELD="1"), check=False)
    res = subprocess.run([str(ctlab.REPO / "scripts" / "build-test-image")], capture_output=True, text=True,
                         env=dict(os.environ, CONTAINERS_CONF=ctlab.CONTAINERS_CONF))
    if res.returncode != 0:
        pytest.exit(f"scripts/build-test-image failed:\n{res.stdout}\n{res.stderr}", returncode=1)
    ctlab.vmlab.REAPER.start()
    yield
    fcntl.flock(lock, fcntl.LOCK_UN)
    lock.close()


def _agent_problem():
    binary = ctlab.vmlab.agent_binary()
    if not os.access(binary, os.X_OK):
        return f"agent binary {binary} not found (build it or set PGTWIN_BIN)"
    res = ctlab.run([binary, "meta-data"], timeout=20)
    if res.rc != 0 or "container_mode" not in res.out:
        return f"agent binary {binary} does not know container_mode (rc={res.rc})"
    return None


@pytest.fixture(scope="session")
def agent(_session):
    problem = _agent_problem()
    if problem:
        if os.environ.get("PGTWIN_ITEST_REQUIRE_AGENT") == "1":
            pytest.fail(problem)
        pytest.skip(problem)
    return ctlab.vmlab.agent_binary()


@pytest.fixture(scope="session")
def template(agent):
    """The first cluster, made as CONTAINER_MODE_SETUP.md says: the agent
    initialises psql1 (first in node_list, no peer), it is promoted, the
    replication role is created; the stopped data directory is copied into
    each test's psql1."""
    the_lab = ctlab.CtLab().create()
    keep = Path(tempfile.mkdtemp(prefix="pgtwin-ctest-template-", dir="/tmp"))
    os.chmod(keep, 0o755)
    try:
        p1 = the_lab["psql1"]
        # A short start timeout: auto-init waits at most half of it for a peer.
        expect_rc(run_agent(p1, "start", meta={"timeout": "30000"}), 0, p1, "template: auto-init start")
        expect_rc(run_agent(p1, "promote"), 0, p1, "template: promote")
        p1.sql_script(ctlab.ROLE_SQL.format(pw=ctlab.REP_PASSWORD))
        expect_rc(run_agent(p1, "stop"), 0, p1, "template: stop")
        ctlab.run(["cp", "-a", p1.data, keep / "data"], check=True)
    finally:
        the_lab.destroy()
    yield keep / "data"
    shutil.rmtree(keep, ignore_errors=True)


@pytest.fixture
def lab(request, template):
    """A fresh two-host container lab, destroyed after the test whatever happened."""
    yield from ctlab.vmlab.managed_lab(request, ctlab.CtLab(template=template), "tests/container/cleanup.sh")


@pytest.fixture
def cluster(lab, agent):
    return Cluster(lab)


@pytest.fixture
def pair(lab, cluster):
    """(psql1 primary, psql2 standby auto-initialised by pg_basebackup in a temporary container)."""
    return bootstrap_pair(lab, cluster)
