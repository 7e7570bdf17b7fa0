# SPDX-License-Identifier: GPL-2.0-or-later
"""`pgtwin storage` names the layout after the Pacemaker node name
(crm_node -n, stubbed here), not the host name; plan touches nothing."""
import os
import subprocess

from conftest import binary, write_stub


def storage(tmp_path, *args):
    env = dict(os.environ, PATH=f"{tmp_path / 'bin'}:{os.environ['PATH']}")
    return subprocess.run([binary(), "storage", *args], capture_output=True, text=True, timeout=60, env=env)


def test_node_defaults_to_crm_node_n(tmp_path):
    (tmp_path / "bin").mkdir()
    write_stub(tmp_path / "bin" / "crm_node", '[ "$1" = "-n" ] && echo pcmk-node-7 && exit 0\nexit 1\n')
    r = storage(tmp_path, "plan", "--root", str(tmp_path / "root"))
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == f"btrfs subvolume create {tmp_path}/root/@postgres-pcmk-node-7"
    assert not (tmp_path / "root").exists()
    given = storage(tmp_path, "plan", "--root", str(tmp_path / "root"), "--node", "psql2")
    assert "@postgres-psql2" in given.stdout


def test_without_a_cluster_the_node_must_be_given(tmp_path):
    (tmp_path / "bin").mkdir()
    write_stub(tmp_path / "bin" / "crm_node", "echo 'crm_node: Could not connect to controller' >&2\nexit 102\n")
    r = storage(tmp_path, "list", "--root", str(tmp_path))
    assert r.returncode != 0
    assert "give --node" in r.stderr
    assert r.stdout == ""
