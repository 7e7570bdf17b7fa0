# SPDX-License-Identifier: GPL-2.0-or-later
"""Exit codes, exit reasons and meta-data of the built binary."""
import os
import shutil
import subprocess

import pytest

from conftest import ROOT, binary


def reason_lines(stderr, prefix="ocf-exit-reason:"):
    return [l for l in stderr.splitlines() if l.startswith(prefix)]


def test_meta_data_as_unprivileged_user_is_valid_xml(fenv, tmp_path):
    rc, out, err = fenv.run("meta-data", env={"PATH": "/usr/bin:/bin"}, user="nobody")
    assert rc == 0, err
    assert out.startswith("<?xml")
    doc = tmp_path / "meta.xml"
    doc.write_text(out)
    p = subprocess.run(["xmllint", "--noout", "--relaxng", str(ROOT / "metadata" / "ocf-1.1.rng"), str(doc)],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    # As ocf-tester does: --valid with the DTD beside the document (its
    # internal subset adds OCF 1.1's reloadable and reload-agent, which
    # --dtdvalid would ignore).
    system_dtd = "/usr/share/resource-agents/ra-api-1.dtd"
    for dtd in [ROOT / "metadata" / "ra-api-1.dtd"] + ([system_dtd] if os.path.exists(system_dtd) else []):
        shutil.copyfile(dtd, tmp_path / "ra-api-1.dtd")
        p = subprocess.run(["xmllint", "--noout", "--valid", str(doc)], capture_output=True, text=True)
        assert p.returncode == 0, f"{dtd}: {p.stderr}"


def test_meta_data_writes_nothing_to_disk(fenv):
    tmp_path = fenv.tmp
    before = sorted(os.listdir(tmp_path))
    rc, _, _ = fenv.run("meta-data")
    assert rc == 0
    assert sorted(os.listdir(tmp_path)) == before


@pytest.mark.parametrize("action", ["bogus", ""])
def test_unknown_action_is_unimplemented(fenv, action):
    rc, out, err = fenv.run(action)
    assert rc == 3
    assert out == ""
    assert len(reason_lines(err)) == 1


def test_methods_and_usage(fenv):
    rc, out, _ = fenv.run("methods")
    assert rc == 0 and "promote" in out.split() and "validate-all" in out.split()
    rc, out, _ = fenv.run("usage")
    assert rc == 0 and "usage" in out


@pytest.mark.parametrize("params,code,needle", [
    ({"pgdata": None}, 6, "pgdata"),
    ({"rep_mode": "bogus"}, 6, "rep_mode"),
    ({"pgport": "70000"}, 6, "pgport"),
    ({"pgdata": "relative/path"}, 6, "pgdata"),
    ({"force_promotion": "maybe"}, 6, "force_promotion"),
])
def test_bad_parameters_give_configured_error(fenv, params, code, needle):
    fenv.make_pgdata()
    before = sorted(p.name for p in fenv.pgdata.iterdir())
    rc, out, err = fenv.run("validate-all", **params)
    assert rc == code, err
    lines = reason_lines(err)
    assert len(lines) == 1 and needle in lines[0], err
    assert sorted(p.name for p in fenv.pgdata.iterdir()) == before
    assert fenv.tool_calls() == [] or all(not c.startswith(("pg_", "initdb")) for c in fenv.tool_calls())


def test_missing_bindir_is_not_installed(fenv):
    fenv.make_pgdata()
    rc, _, err = fenv.run("validate-all", pg_bindir=str(fenv.tmp / "nowhere"))
    assert rc == 5, err
    assert len(reason_lines(err)) == 1


def test_exit_reason_prefix_is_honoured(fenv):
    env = fenv.base_env(pgdata=None)
    env["OCF_EXIT_REASON_PREFIX"] = "REASON>"
    rc, _, err = fenv.run("validate-all", env=env)
    assert rc == 6
    assert len(reason_lines(err, "REASON>")) == 1
    assert reason_lines(err) == []


def test_node_not_in_node_list_is_configured_error(fenv):
    fenv.make_pgdata()
    rc, _, err = fenv.run("validate-all", node_list="psqlA psqlB", node_addresses=None)
    assert rc == 2 and "node_list" in err


def test_deprecated_parameters_are_accepted(fenv):
    fenv.make_pgdata()
    rc, _, err = fenv.run("validate-all", monitor_timeout_promoted="30", monitor_timeout_unpromoted="30")
    assert rc == 0, err
    assert "deprecated" in (fenv.tmp / "agent.log").read_text()
