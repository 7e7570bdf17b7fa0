# SPDX-License-Identifier: GPL-2.0-or-later
"""Fixtures of the VM-mode integration tier (real PostgreSQL 15, two netns hosts).

Run as root with Debian's python3: /usr/bin/python3 -m pytest -v tests/integration
Environment:
  PGTWIN_BIN                  agent binary (default <repo>/build/pgtwin)
  PGTWIN_ITEST_REQUIRE_AGENT  1: a missing/placeholder agent fails the agent
                              tests instead of skipping them (run.sh sets it)
  PGTWIN_ITEST_REAPER         0: do not reap orphaned postmasters (zombies stay
                              until PID 1 reaps them, as on a bare machine)
  PGTWIN_ITEST_KEEP           1: keep the lab of a failed test for inspection
                              (clean up later with tests/integration/cleanup.sh)
  PGTWIN_ITEST_TRUST_PEER     1: diagnosis only - trust instead of scram-sha-256
                              between the hosts (isolates passfile problems)
"""

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import lab as labmod  # noqa: E402
from agent import Cluster, bootstrap_pair  # noqa: E402

HERE = Path(__file__).resolve().parent
LOCK_FILE = "/run/pgtwin-itest.lock"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


@pytest.fixture(scope="session", autouse=True)
def _session():
    """One session at a time on this machine; leftovers of earlier runs removed."""
    if os.geteuid() != 0:
        pytest.exit("the integration tier must run as root", returncode=2)
    lock = open(LOCK_FILE, "a")
    fcntl.flock(lock, fcntl.LOCK_EX)
    subprocess.run([str(HERE / "cleanup.sh")], env=dict(os.environ, PGTWIN_ITEST_LOCK_HELD="1"),
                   check=False)
    labmod.REAPER.start()
    yield
    fcntl.flock(lock, fcntl.LOCK_UN)
    lock.close()


@pytest.fixture(scope="session")
def template(_session):
    """A cluster made once by pg-prepare-node --init, copied into each test's psql1."""
    root = Path(tempfile.mkdtemp(prefix="pgtwin-itest-template-", dir="/tmp"))
    os.chmod(root, 0o755)
    (root / "run").mkdir()
    shutil.chown(root / "run", "postgres", "postgres")
    pw = root / "pw"
    pw.write_text(labmod.REP_PASSWORD + "\n")
    labmod.prepare_node(root / "data", root / "pgpass", pw, init=True)
    # The agent starts PostgreSQL with -k <pghost>; a different value in the
    # shared postgresql.conf makes every reload log "cannot be changed without
    # restarting". On real nodes both agree; here the hosts share one file.
    conf = root / "data" / "postgresql.conf"
    conf.write_text("".join(l for l in conf.read_text().splitlines(True)
                            if not l.startswith("unix_socket_directories")))
    if os.environ.get("PGTWIN_ITEST_TRUST_PEER") == "1":
        # Diagnosis only: isolates password/passfile problems from the rest.
        hba = root / "data" / "pg_hba.conf"
        hba.write_text(hba.read_text().replace("scram-sha-256", "trust"))
    yield root / "data"
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def lab(request, template):
    """A fresh two-host lab, destroyed after the test whatever happened."""
    yield from labmod.managed_lab(request, labmod.Lab(template=template), "tests/integration/cleanup.sh")


def _agent_problem():
    binary = labmod.agent_binary()
    if not os.access(binary, os.X_OK):
        return f"agent binary {binary} not found (build it or set PGTWIN_BIN)"
    res = labmod.run([binary, "meta-data"], timeout=20)
    if res.rc != 0 or "<resource-agent" not in res.out:
        return f"agent binary {binary} does not answer meta-data yet (rc={res.rc})"
    return None


@pytest.fixture(scope="session")
def agent(_session):
    """The agent binary path; skips (or fails) the test when it is not usable."""
    problem = _agent_problem()
    if problem:
        if os.environ.get("PGTWIN_ITEST_REQUIRE_AGENT") == "1":
            pytest.fail(problem)
        pytest.skip(problem)
    return labmod.agent_binary()


@pytest.fixture
def cluster(lab, agent):
    """Pacemaker-like driver over the lab (notify sequences, active/promoted lists)."""
    return Cluster(lab)


@pytest.fixture
def pair(lab, cluster):
    """(psql1 primary, psql2 streaming standby) managed by the agent."""
    return bootstrap_pair(lab, cluster)

