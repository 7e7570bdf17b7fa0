# SPDX-License-Identifier: GPL-2.0-or-later
"""Functional tier: the built pgtwin binary with stub tools on PATH.

No PostgreSQL and no Pacemaker run here: pg_bindir points at a directory of
stub programs (pg_ctl, pg_controldata, ...) that print captured real output
from tests/data, and crm_node/crm_attribute/attrd_updater are stubs that
record their argv. This proves environment parsing, exit codes, the exit
reason line and meta-data, independent of the real components.
"""
import os
import pathlib
import pwd
import stat
import shutil
import subprocess
import tempfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"


def binary():
    path = os.environ.get("PGTWIN_BIN") or str(ROOT / "build-ci" / "pgtwin")
    if not os.path.exists(path):
        alt = ROOT / "build" / "pgtwin"
        path = str(alt) if alt.exists() else path
    return path


def write_stub(path, body):
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


class Env:
    """A temp world: data dir, stub bin dirs, and a runner for the agent."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.pgdata = tmp / "data"
        self.bindir = tmp / "pgbin"
        self.pathdir = tmp / "path"
        self.calls = tmp / "calls.log"
        self.sock = tmp / "sock"
        for d in (self.bindir, self.pathdir, self.sock):
            d.mkdir()
        pw = pwd.getpwnam("postgres")
        os.chown(self.sock, pw.pw_uid, pw.pw_gid)
        for tool in ("crm_node", "crm_attribute", "attrd_updater"):
            # Records its argv; "not found" for every query, success otherwise.
            write_stub(self.pathdir / tool,
                       f'echo "{tool} $*" >> "{self.calls}"\n'
                       'case "$*" in *-G*|*-Q*) echo "not found" >&2; exit 105;; esac\n'
                       'case "$1" in -n) echo psql1;; esac\nexit 0\n')
        for tool in ("pg_ctl", "pg_basebackup", "pg_rewind", "initdb", "postgres"):
            write_stub(self.bindir / tool, f'echo "{tool} $*" >> "{self.calls}"\nexit 0\n')
        self.controldata("primary-stopped")

    def controldata(self, name):
        write_stub(self.bindir / "pg_controldata", f'cat "{DATA / ("controldata-" + name + ".txt")}"\n')

    def make_pgdata(self):
        pw = pwd.getpwnam("postgres")
        self.pgdata.mkdir(mode=0o700, exist_ok=True)
        (self.pgdata / "PG_VERSION").write_text("15\n")
        # A complete cluster has global/pg_control (without it: an interrupted clone).
        (self.pgdata / "global").mkdir(mode=0o700, exist_ok=True)
        (self.pgdata / "global" / "pg_control").write_text("stub\n")
        for p in (self.pgdata, self.pgdata / "PG_VERSION", self.pgdata / "global", self.pgdata / "global" / "pg_control"):
            os.chown(p, pw.pw_uid, pw.pw_gid)

    def base_env(self, **params):
        env = {
            "PATH": f"{self.pathdir}:/usr/sbin:/usr/bin:/sbin:/bin",
            "OCF_ROOT": "/usr/lib/ocf",
            "OCF_RESOURCE_INSTANCE": "pgsql:0",
            "OCF_RESKEY_CRM_meta_on_node": "psql1",
            "OCF_RESKEY_CRM_meta_timeout": "20000",
            "OCF_RESKEY_pgdata": str(self.pgdata),
            "OCF_RESKEY_pg_bindir": str(self.bindir),
            "OCF_RESKEY_pghost": str(self.sock),
            "OCF_RESKEY_pgport": "55999",
            "OCF_RESKEY_node_list": "psql1 psql2",
            "OCF_RESKEY_node_addresses": "psql1=127.0.0.1 psql2=127.0.0.2",
            "PGTWIN_STATE_DIR": str(self.tmp / "state"),
            "HA_LOGFACILITY": "none",
            "HA_LOGFILE": str(self.tmp / "agent.log"),
        }
        for k, v in params.items():
            if v is None:
                env.pop(f"OCF_RESKEY_{k}", None)
            else:
                env[k if k.isupper() or k.startswith("OCF_") else f"OCF_RESKEY_{k}"] = v
        return env

    def run(self, action, env=None, user=None, **params):
        env = env if env is not None else self.base_env(**params)
        argv = [binary(), action]
        kwargs = {}
        if user:
            pw = pwd.getpwnam(user)
            kwargs = {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}
        p = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, **kwargs)
        return p.returncode, p.stdout, p.stderr

    def tool_calls(self):
        return self.calls.read_text().splitlines() if self.calls.exists() else []


@pytest.fixture
def fenv():
    # Not pytest's tmp_path: its parents are 0700 and the stubs run as postgres.
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="pgtwin-ftest-", dir="/tmp"))
    tmp.chmod(0o755)
    yield Env(tmp)
    shutil.rmtree(tmp, ignore_errors=True)
