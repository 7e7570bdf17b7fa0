# SPDX-License-Identifier: GPL-2.0-or-later
"""`pgtwin status` with stub tools: no PostgreSQL runs, so the role comes
from the captured pg_controldata output, and the markers and kept copies
beside pgdata show up in the JSON (schema: docs/status.md)."""
import json
import subprocess

import pytest

from conftest import binary


def status(fenv, *args, env=None, **params):
    env = env if env is not None else fenv.base_env(**params)
    p = subprocess.run([binary(), "status", *args], env=env, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


@pytest.mark.parametrize("capture,role,timeline", [
    ("primary-stopped", "stopped", 1),
    ("primary-crashed", "crashed", None),
])
def test_json_of_a_stopped_data_directory(fenv, capture, role, timeline):
    fenv.make_pgdata()
    fenv.controldata(capture)
    rc, out, err = status(fenv, "--json")
    assert rc == 0, err
    doc = json.loads(out)
    assert doc["schema_version"] == 1
    assert doc["resource"] == "pgsql"
    assert doc["mode"] == "vm"
    local = doc["local"]
    assert local["node"] == "psql1"
    assert local["role"] == role
    assert isinstance(local["timeline"], int) and local["timeline"] >= 1
    if timeline is not None:
        assert local["timeline"] == timeline
    assert "/" in local["lsn"]
    assert local["in_progress"] is None
    assert local["data_copies"] == []
    assert doc["peer"]["node"] == "psql2"
    assert doc["peer"]["role"] == "unknown"
    assert any("peer connection" in e for e in doc["peer"]["errors"])
    assert doc["next"].startswith("start will")
    # Read-only: no PostgreSQL tool but pg_controldata, no attribute written.
    calls = fenv.tool_calls()
    assert not any(c.split()[0] in ("pg_ctl", "pg_basebackup", "pg_rewind", "initdb", "postgres") for c in calls), calls
    assert not any(c.startswith("crm_attribute") and " -v " in c for c in calls), calls


def test_interrupted_clone_and_kept_copy(fenv):
    fenv.make_pgdata()
    (fenv.tmp / ".data.pgtwin-clone").write_text("node=psql1\n")
    copy = fenv.tmp / "data.pgtwin-backup-20260101T000000"
    copy.mkdir()
    (copy / "PG_VERSION").write_text("15\n")
    rc, out, err = status(fenv, "--json")
    assert rc == 0, err
    doc = json.loads(out)
    assert doc["local"]["in_progress"] == "clone"
    assert doc["local"]["pgdata_bytes"] > 0
    assert doc["local"]["data_copies"] == [{"path": str(copy), "bytes": 3}]
    assert doc["next"] == "start will re-clone: interrupted clone"


def test_no_data_and_human_output(fenv):
    rc, out, err = status(fenv)
    assert rc == 0, err
    assert "local psql1: no-data" in out
    # No peer answers here: there is nothing to clone from.
    assert out.rstrip().splitlines()[-1] == "next: start will fail until a primary answers: no data to clone"


def test_unreadable_configuration_exits_1(fenv):
    env = fenv.base_env(pgdata=None)
    # No OCF_RESKEY_pgdata: the CIB is asked, and cibadmin is not on PATH here.
    env["PATH"] = str(fenv.pathdir)
    rc, out, err = status(fenv, "--json", env=env)
    assert rc == 1
    assert out == ""
    assert "pgtwin status:" in err


def test_configuration_from_the_cib(fenv):
    """At an admin's shell no OCF_RESKEY_* is set: the primitive's parameters come from cibadmin."""
    from conftest import write_stub
    fenv.make_pgdata()
    fenv.controldata("standby-stopped")
    xml = fenv.tmp / "cib.xml"
    xml.write_text(
        '<primitive id="pgdb" class="ocf" provider="pgtwin" type="pgtwin"><instance_attributes id="ia">'
        f'<nvpair id="a" name="pgdata" value="{fenv.pgdata}"/>'
        f'<nvpair id="b" name="pg_bindir" value="{fenv.bindir}"/>'
        f'<nvpair id="c" name="pghost" value="{fenv.sock}"/>'
        '<nvpair id="d" name="pgport" value="55999"/>'
        '<nvpair id="e" name="rep_mode" value="async"/>'
        '<nvpair id="f" name="node_list" value="psql1 psql2"/>'
        '<nvpair id="g" name="node_addresses" value="psql1=127.0.0.1 psql2=127.0.0.2"/>'
        '</instance_attributes></primitive>')
    write_stub(fenv.pathdir / "cibadmin", f'echo "cibadmin $*" >> "{fenv.calls}"\ncat "{xml}"\n')
    env = {k: v for k, v in fenv.base_env().items() if not k.startswith("OCF_")}
    rc, out, err = status(fenv, "--json", env=env)
    assert rc == 0, err
    doc = json.loads(out)
    assert doc["resource"] == "pgdb"
    assert doc["rep_mode"] == "async"
    assert doc["local"]["node"] == "psql1"  # crm_node -n
    assert doc["local"]["role"] == "stopped"
    assert doc["peer"]["node"] == "psql2"
    assert any(c.startswith("cibadmin -Q --xpath") and "pgtwin" in c for c in fenv.tool_calls())
    # The attributes are read for the resource the CIB named.
    assert any("pgtwin-pgdb-rep-state" in c for c in fenv.tool_calls()), fenv.tool_calls()

    rc, out, err = status(fenv, "--resource", "pgdb", "--json", env=env)
    assert rc == 0, err
    assert any("@id='pgdb'" in c for c in fenv.tool_calls())
    rc, out, err = status(fenv, "--resource", "x']|//*['", env=env)
    assert rc == 1 and "invalid resource name" in err


def test_prometheus_textfile_output(fenv):
    fenv.make_pgdata()
    fenv.controldata("primary-crashed")
    rc, out, err = status(fenv, "--prometheus")
    assert rc == 0, err
    assert '# TYPE pgtwin_role gauge\npgtwin_role{resource="pgsql",node="psql1",role="crashed"} 1\n' in out
    assert 'pgtwin_role{resource="pgsql",node="psql2",role="unknown"} 1' in out
    for line in out.splitlines():
        assert line.startswith("# TYPE pgtwin_") or line.startswith("pgtwin_"), line
