# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 10 through the binary: node_list optional, validate-all's version and
clone meta-attribute checks, the removed vip, reload-agent."""
from conftest import write_stub

DATA_VERSION_STUB = ('case "$1" in --version) echo "pg_controldata (PostgreSQL) 15.5 (Debian 15.5-0+deb12u1)";;\n'
                     '*) cat "{file}";; esac\n')


def reason_lines(err):
    return [l for l in err.splitlines() if l.startswith("ocf-exit-reason:")]


def crm_node_lists(fenv, *names):
    """crm_node -l lists `names` (other crm_node calls as the default stub)."""
    listing = "\\n".join(f"{i} {n} member" for i, n in enumerate(names, start=1))
    write_stub(fenv.pathdir / "crm_node",
               f'echo "crm_node $*" >> "{fenv.calls}"\n'
               f'case "$1" in -l) printf "{listing}\\n";; -n) echo psql1;; esac\nexit 0\n')


def test_validate_without_node_list_and_without_cluster_is_fine(fenv):
    fenv.make_pgdata()
    write_stub(fenv.pathdir / "crm_node", 'echo "error: Could not connect to controller" >&2\nexit 102\n')
    # Not run by Pacemaker (no CRM_meta_on_node), as under plain ocf-tester.
    rc, _, err = fenv.run("validate-all", node_list=None, node_addresses=None, CRM_meta_on_node=None)
    assert rc == 0, err


def test_node_list_comes_from_the_cluster(fenv):
    fenv.make_pgdata()
    crm_node_lists(fenv, "psql2", "psql1")
    rc, _, err = fenv.run("validate-all", node_list=None)
    assert rc == 0, err
    assert "crm_node -l" in fenv.tool_calls()
    # The list is really used: a cluster without this node is this node's error.
    crm_node_lists(fenv, "psql3", "psql2")
    rc, _, err = fenv.run("validate-all", node_list=None)
    assert rc == 2 and "does not contain this node" in err, err


def test_unreadable_cluster_node_list_under_pacemaker_fails_start(fenv):
    # Run by Pacemaker (on_node set) a failed crm_node -l is not "no peer".
    fenv.make_pgdata()
    write_stub(fenv.pathdir / "crm_node", 'echo "error: Could not connect to controller" >&2\nexit 102\n')
    rc, _, err = fenv.run("start", node_list=None)
    assert rc == 1, err
    assert len(reason_lines(err)) == 1 and "node list" in err, err
    assert not any(c.startswith("pg_ctl") for c in fenv.tool_calls())


def test_three_node_cluster_needs_node_list(fenv):
    fenv.make_pgdata()
    crm_node_lists(fenv, "psql1", "psql2", "witness")
    rc, _, err = fenv.run("validate-all", node_list=None)
    assert rc == 6, err
    lines = reason_lines(err)
    assert len(lines) == 1 and "node_list" in lines[0], err


def test_data_of_another_major_version_is_not_installed(fenv):
    fenv.make_pgdata()
    (fenv.pgdata / "PG_VERSION").write_text("99\n")
    write_stub(fenv.bindir / "pg_controldata",
               DATA_VERSION_STUB.format(file=fenv.tmp.parent / "none"))
    rc, _, err = fenv.run("validate-all")
    assert rc == 5, err
    lines = reason_lines(err)
    assert len(lines) == 1 and "PostgreSQL 99" in lines[0] and "PostgreSQL 15" in lines[0], err


def test_data_of_the_same_major_version_passes(fenv):
    fenv.make_pgdata()
    write_stub(fenv.bindir / "pg_controldata", DATA_VERSION_STUB.format(file=fenv.tmp.parent / "none"))
    rc, _, err = fenv.run("validate-all")
    assert rc == 0, err


def test_wrong_clone_meta_attributes_are_configuration_errors(fenv):
    fenv.make_pgdata()
    good = {"OCF_RESKEY_CRM_meta_notify": "true", "OCF_RESKEY_CRM_meta_promoted_max": "1",
            "OCF_RESKEY_CRM_meta_clone_max": "2"}
    rc, _, err = fenv.run("validate-all", **good)
    assert rc == 0, err
    for key, bad in (("OCF_RESKEY_CRM_meta_notify", "false"), ("OCF_RESKEY_CRM_meta_promoted_max", "2"),
                     ("OCF_RESKEY_CRM_meta_clone_max", "3")):
        rc, _, err = fenv.run("validate-all", **dict(good, **{key: bad}))
        assert rc == 6, f"{key}={bad}: {err}"
        assert len(reason_lines(err)) == 1, err


def test_removed_vip_still_loads(fenv):
    fenv.make_pgdata()
    rc, out, err = fenv.run("validate-all", vip="10.0.0.10")
    assert rc == 0, err
    assert "Unknown parameter ignored. [parameter: vip]" in (fenv.tmp / "agent.log").read_text()
    rc, out, _ = fenv.run("meta-data")
    assert 'name="vip"' not in out


def test_reload_agent_is_advertised_and_runs(fenv):
    fenv.make_pgdata()
    rc, out, _ = fenv.run("methods")
    assert rc == 0 and "reload-agent" in out.split()
    rc, out, _ = fenv.run("meta-data")
    assert '<action name="reload-agent"' in out and 'reloadable="1"' in out
    # Nothing runs: the new values apply at the next start.
    rc, _, err = fenv.run("reload-agent")
    assert rc == 0, err
    assert not any(c.startswith("pg_ctl") for c in fenv.tool_calls())
