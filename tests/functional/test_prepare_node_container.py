# SPDX-License-Identifier: GPL-2.0-or-later
"""pg-prepare-node --container-config: the configuration directory of
CONTAINER_MODE_SETUP.md step 4, as managed blocks that a second run replaces
and that leave the administrator's own lines alone."""
import os
import stat
import subprocess

import pytest

from conftest import ROOT

TOOL = ROOT / "scripts" / "pg-prepare-node"


def prepare(config, *extra):
    return subprocess.run([TOOL, "--container-config", str(config), *extra], capture_output=True, text=True)


@pytest.fixture
def config(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("the tool chowns to the container user: needs root")
    return tmp_path / "config"


def test_writes_step_four_and_a_second_run_changes_nothing(config):
    p = prepare(config, "--subnet", "10.231.0.0/24", "--container-uid", "4242")
    assert p.returncode == 0, p.stderr
    conf, hba = (config / "postgresql.conf").read_text(), (config / "pg_hba.conf").read_text()
    for line in ("listen_addresses = '*'", "hba_file = '/etc/postgresql/pg_hba.conf'", "wal_level = replica",
                 "wal_log_hints = on", "hot_standby = on", "password_encryption = 'scram-sha-256'"):
        assert line in conf.splitlines(), line
    assert "port" not in conf and "unix_socket_directories" not in conf   # the agent passes both
    rules = [line.split() for line in hba.splitlines() if line and not line.startswith("#")]
    assert rules == [["local", "all", "all", "trust"],
                     ["host", "replication", "replicator", "10.231.0.0/24", "scram-sha-256"],
                     ["host", "postgres", "replicator", "10.231.0.0/24", "scram-sha-256"],
                     ["host", "all", "all", "10.231.0.0/24", "scram-sha-256"]]
    for f in (config / "postgresql.conf", config / "pg_hba.conf"):
        st = f.stat()
        assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (4242, 4242, 0o644), f
    assert stat.S_IMODE(config.stat().st_mode) == 0o750
    assert prepare(config, "--subnet", "10.231.0.0/24", "--container-uid", "4242").returncode == 0
    assert (config / "postgresql.conf").read_text() == conf and (config / "pg_hba.conf").read_text() == hba


def test_a_new_value_replaces_the_block_and_keeps_the_administrators_lines(config):
    assert prepare(config, "--subnet", "10.231.0.0/24").returncode == 0
    with open(config / "postgresql.conf", "a") as f:
        f.write("shared_buffers = '256MB'\n")
    with open(config / "pg_hba.conf", "a") as f:
        f.write("host all monitoring 192.0.2.7/32 scram-sha-256\n")
    assert prepare(config, "--subnet", "192.168.5.0/24", "--listen", "localhost").returncode == 0
    conf, hba = (config / "postgresql.conf").read_text(), (config / "pg_hba.conf").read_text()
    assert "shared_buffers = '256MB'" in conf and conf.count("listen_addresses") == 1
    assert "listen_addresses = 'localhost'" in conf
    assert "10.231.0.0/24" not in hba and hba.count("192.168.5.0/24") == 3
    assert hba.rstrip().endswith("host all monitoring 192.0.2.7/32 scram-sha-256")


@pytest.mark.parametrize("args, message", [
    ([], "needs --subnet CIDR"),
    (["--subnet", "10.231.0.0"], "needs --subnet CIDR"),
    (["--subnet", "10.0.0.0/8", "--container-uid", "postgres"], "--container-uid must be a number"),
    (["--subnet", "10.0.0.0/8", "--listen", "*'; DROP"], "--listen must be"),
])
def test_bad_input_is_a_usage_error_and_writes_nothing(tmp_path, args, message):
    config = tmp_path / "config"
    p = prepare(config, *args)
    assert p.returncode == 2 and message in p.stderr, p.stderr
    assert not config.exists()
