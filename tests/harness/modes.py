# SPDX-License-Identifier: GPL-2.0-or-later
"""The two modes of the integration tier, as objects the fixtures are given.

A test asks for `lab`, `cluster` or `pair` and gets the mode its session
runs (tests/integration/conftest.py parametrises the session by mode). What
a mode decides is here; everything else (hosts, SQL, crash, the agent's
OCF environment, Pacemaker's notify replay) is the same code, with the
differences as methods of lab.Host / container_lab.CtHost.

  VmMode         PostgreSQL on the host (pg_ctl), namespaces pgtw1/pgtw2,
                 template made by scripts/pg-prepare-node --init
  ContainerMode  PostgreSQL in podman/docker containers, namespaces
                 pgtk1/pgtk2, template made by the agent's own auto-init
                 (as docs/CONTAINER_MODE_SETUP.md tells administrators)

The modes use their own namespaces, locks and directories, so a VM and a
container session can run at the same time.
"""

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from . import container_lab
from . import lab as labmod
from .agent import expect_rc, run_agent

HERE = Path(__file__).resolve().parent
CLEANUP = HERE / "cleanup.sh"


class VmMode:
    name = "vm"
    lock_file = "/run/pgtwin-itest.lock"
    template_needs_agent = False

    def prepare_session(self):
        """Leftovers of earlier runs removed (the caller holds the lock)."""
        subprocess.run([str(CLEANUP), self.name], env=dict(os.environ, PGTWIN_ITEST_LOCK_HELD="1"), check=False)
        labmod.REAPER.start()
        return None

    @contextlib.contextmanager
    def template(self):
        """A cluster made once by pg-prepare-node --init, copied into each test's psql1."""
        root = Path(tempfile.mkdtemp(prefix="pgtwin-itest-template-", dir="/tmp"))
        try:
            os.chmod(root, 0o755)
            (root / "run").mkdir()
            shutil.chown(root / "run", "postgres", "postgres")
            pw = root / "pw"
            pw.write_text(labmod.REP_PASSWORD + "\n")
            labmod.prepare_node(root / "data", root / "pgpass", pw, init=True)
            # The agent starts PostgreSQL with -k <pghost>; a different value in
            # the shared postgresql.conf makes every reload log "cannot be
            # changed without restarting". On real nodes both agree; here the
            # hosts share one file.
            conf = root / "data" / "postgresql.conf"
            conf.write_text("".join(l for l in conf.read_text().splitlines(True)
                                    if not l.startswith("unix_socket_directories")))
            if os.environ.get("PGTWIN_ITEST_TRUST_PEER") == "1":
                # Diagnosis only: isolates password/passfile problems from the rest.
                hba = root / "data" / "pg_hba.conf"
                hba.write_text(hba.read_text().replace("scram-sha-256", "trust"))
            yield root / "data"
        finally:
            shutil.rmtree(root, ignore_errors=True)

    def new_lab(self, template):
        return labmod.Lab(template=template)


class ContainerMode:
    name = "container"
    lock_file = container_lab.LOCK_FILE
    template_needs_agent = True

    def prepare_session(self):
        """Leftovers removed, the test images present; returns a reason to stop the session, or None."""
        subprocess.run([str(CLEANUP), self.name], env=dict(os.environ, PGTWIN_ITEST_LOCK_HELD="1"), check=False)
        res = subprocess.run([str(container_lab.REPO / "lab" / "build-test-image")], capture_output=True,
                             text=True, env=dict(os.environ, CONTAINERS_CONF=container_lab.CONTAINERS_CONF))
        if res.returncode != 0:
            return f"lab/build-test-image failed:\n{res.stdout}\n{res.stderr}"
        labmod.REAPER.start()
        return None

    @contextlib.contextmanager
    def template(self):
        """The first cluster, made as CONTAINER_MODE_SETUP.md says: the agent
        initialises psql1 (first in node_list, no peer), it is promoted, the
        replication role is created; the stopped data directory is copied
        into each test's psql1."""
        keep = Path(tempfile.mkdtemp(prefix="pgtwin-ctest-template-", dir="/tmp"))
        try:
            os.chmod(keep, 0o755)
            the_lab = container_lab.CtLab().create()
            try:
                p1 = the_lab["psql1"]
                # A short start timeout: auto-init waits at most half of it for a peer.
                expect_rc(run_agent(p1, "start", meta={"timeout": "30000"}), 0, p1, "template: auto-init start")
                expect_rc(run_agent(p1, "promote"), 0, p1, "template: promote")
                p1.sql_script(container_lab.role_sql(the_lab.password_file))
                expect_rc(run_agent(p1, "stop"), 0, p1, "template: stop")
                labmod.run(["cp", "-a", p1.data, keep / "data"], check=True)
            finally:
                the_lab.destroy()
            yield keep / "data"
        finally:
            shutil.rmtree(keep, ignore_errors=True)

    def new_lab(self, template):
        return container_lab.CtLab(template=template)


MODES = {m.name: m for m in (VmMode(), ContainerMode())}
