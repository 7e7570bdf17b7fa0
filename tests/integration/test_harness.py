# SPDX-License-Identifier: GPL-2.0-or-later
"""Self-tests of the integration harness; they need no agent binary.

They prove the lab is sound before any agent scenario relies on it:
namespaces and addresses, scripts/pg-prepare-node (idempotent, roles and
grants, passfile), replication between the two hosts set up by hand with
pg_basebackup, the crash helper and reaper, the Pacemaker test double, and a
teardown that leaves nothing behind.
"""

import json
import os
import pwd
import stat

import pytest

from harness import lab as labmod, topology
from harness.lab import PG_BINDIR, Lab, run, wait_for, netns_list

pytestmark = pytest.mark.modes("vm")


def _psql_tcp(host, target_addr, query, user="replicator", db="postgres"):
    """psql over TCP from host to target_addr with the passfile (password never in argv)."""
    env = [f"PGPASSFILE={host.passfile}", "PGCONNECT_TIMEOUT=5", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"]
    return host.nsexec(["env", "-i"] + env + ["runuser", "-u", "postgres", "--", "env"] + env +
                       ["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-h", target_addr, "-U", user,
                        "-d", db, "-c", query], timeout=30)


def test_namespaces_reach_each_other(lab):
    p1, p2 = lab["psql1"], lab["psql2"]
    assert set(topology.namespaces("vm").values()) <= set(netns_list())
    res = p1.nsexec(["ping", "-c", "1", "-W", "2", p2.addr])
    assert res.rc == 0, res
    res = p2.nsexec(["ip", "-4", "-o", "addr", "show"])
    assert f"{topology.ADDRESS['psql2']}/{topology.PREFIX_LEN}" in res.out
    assert topology.ADDRESS["psql1"] not in res.out


def test_prepare_node_is_idempotent_and_complete(lab):
    p1 = lab["psql1"]
    lab.init_primary_data(p1)
    labmod.prepare_node(p1.data, p1.passfile, lab.password_file, init=True)  # the template lacks the socket line
    files = [p1.data / f for f in ("postgresql.conf", "pg_hba.conf", "pg_ident.conf")]
    before = [f.read_bytes() for f in files]
    labmod.prepare_node(p1.data, p1.passfile, lab.password_file, init=True)
    assert [f.read_bytes() for f in files] == before, "second run changed the configuration"
    conf = files[0].read_text()
    assert conf.count("BEGIN pgtwin managed block") == 1
    for setting in ("wal_level = replica", "wal_log_hints = on", "hot_standby = on",
                    "max_wal_senders = 10", "max_replication_slots = 10",
                    "wal_keep_size = 128MB", "password_encryption = 'scram-sha-256'",
                    "listen_addresses = '*'"):
        assert setting in conf
    hba = files[1].read_text().splitlines()
    assert hba[1].split()[:4] == ["local", "all", "postgres", "peer"]
    assert ["host", "replication", "replicator", labmod.SUBNET, "scram-sha-256"] in [l.split() for l in hba]
    st = os.stat(p1.passfile)
    assert stat.S_IMODE(st.st_mode) == 0o600 and pwd.getpwuid(st.st_uid).pw_name == "postgres"
    assert p1.passfile.read_text() == "*:*:*:replicator:itest-Secr3t\\:pw\n"
    # The password never appears in the argv of anything: the script reads it from a file.
    p1.start_pg()
    assert p1.sql("SHOW data_checksums") == "on"
    assert p1.sql("SELECT rolreplication AND rolcanlogin FROM pg_roles WHERE rolname='replicator'") == "t"
    for fn in ("pg_ls_dir(text,boolean,boolean)", "pg_stat_file(text,boolean)",
               "pg_read_binary_file(text)", "pg_read_binary_file(text,bigint,bigint,boolean)"):
        assert p1.sql(f"SELECT has_function_privilege('replicator', '{fn}', 'EXECUTE')") == "t", fn


def test_prepare_node_rejects_bad_usage(lab):
    res = run([labmod.PREPARE_NODE, "--pgdata", lab["psql1"].data])
    assert res.rc == 2 and "required" in res.err
    res = run([labmod.PREPARE_NODE, "--bogus"])
    assert res.rc == 2


def test_manual_streaming_replication_between_hosts(lab):
    p1, p2 = lab["psql1"], lab["psql2"]
    lab.init_primary_data(p1)
    p1.start_pg()
    # Root connects as postgres through the socket (peer map), like the agent.
    res = p1.nsexec(["psql", "-X", "-At", "-h", p1.run_dir, "-U", "postgres", "-d", "postgres",
                     "-c", "SELECT current_user"], timeout=20)
    assert res.rc == 0 and res.out.strip() == "postgres", res
    # pg_rewind's needs, over TCP with the passfile.
    res = _psql_tcp(p2, p1.addr, "SELECT length(pg_read_binary_file('global/pg_control')) > 0")
    assert res.rc == 0 and res.out.strip() == "t", res
    p1.sql("SELECT pg_create_physical_replication_slot('pgtwin_psql2')")
    env = [f"PGPASSFILE={p2.passfile}", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"]
    res = p2.nsexec(["env", "-i"] + env + ["runuser", "-u", "postgres", "--", "env"] + env +
                    [f"{PG_BINDIR}/pg_basebackup", "-D", p2.data, "-h", p1.addr, "-U", "replicator",
                     "-X", "stream", "-S", "pgtwin_psql2", "-R", "-c", "fast", "-w",
                     "-d", "application_name=psql2"], timeout=120)
    assert res.rc == 0, res
    p2.start_pg()
    p1.sql("CREATE TABLE t (v text PRIMARY KEY); INSERT INTO t VALUES ('hello')")
    assert wait_for(lambda: p2.sql_ok("SELECT 1 FROM t") and p2.sql("SELECT v FROM t") == "hello")
    assert p2.in_recovery()
    assert p1.sql("SELECT state FROM pg_stat_replication WHERE application_name='psql2'") == "streaming"
    # Distinct namespaces: each instance listens on its own address only.
    assert _psql_tcp(p1, p2.addr, "SELECT pg_is_in_recovery()").out.strip() == "t"


def test_crash_helper_leaves_no_process(lab):
    p1 = lab["psql1"]
    lab.init_primary_data(p1)
    p1.start_pg()
    pid = p1.postmaster_pid()
    p1.crash()
    assert not labmod.alive(pid)
    if labmod.REAPER.enabled:
        assert wait_for(lambda: labmod.proc_state(pid) is None, tries=50, delay=0.1), "zombie not reaped"
    assert (p1.data / "postmaster.pid").exists(), "a crash leaves the pid file behind"


def test_teardown_leaves_nothing(template):
    the_lab = Lab(template=template).create()
    root = the_lab.root
    for h in the_lab.hosts.values():
        the_lab.init_primary_data(h)
        h.start_pg()
    # Something else running in a namespace, as a stuck agent child would.
    sleeper = labmod.REAPER.popen(["ip", "netns", "exec", "pgtw2", "sleep", "600"])
    wait_for(lambda: labmod.netns_pids("pgtw2"), tries=20, delay=0.1)
    pids = [h.postmaster_pid() for h in the_lab.hosts.values()]
    the_lab.destroy()
    sleeper.wait(timeout=10)
    labmod.REAPER.finished(sleeper)
    assert not {"pgtw1", "pgtw2"} & set(netns_list())
    assert not root.exists()
    assert not any(labmod.alive(p) for p in pids)
    res = run(["ip", "link", "show"])
    assert "pgtw" not in res.out


def test_stub_promotion_score_and_attributes(lab):
    env = dict(os.environ, PGTWIN_STUB_STATE=str(lab.state_file), PGTWIN_STUB_NODE="psql1",
               OCF_RESOURCE_INSTANCE="pgsql", PATH=f"{lab['psql1'].stub_dir}:/usr/bin:/bin")

    class Call:
        def __init__(self, res):
            self.returncode, self.stdout, self.stderr = res.rc, res.out, res.err

    def call(*argv):
        # Through lab.run: the reaper must know about every child it may not reap.
        return Call(run(list(argv), env=env, timeout=30))

    assert call("crm_node", "-n").stdout == "psql1\n"
    r = call("crm_attribute", "--promotion", "-N", "psql2", "-G", "-q")
    assert r.returncode == 105 and "No such device or address" in r.stderr
    assert call("crm_attribute", "--promotion", "-N", "psql2", "-v", "-1000").returncode == 0
    r = call("crm_attribute", "--promotion", "-N", "psql2", "-G", "-q")
    assert (r.returncode, r.stdout) == (0, "-1000\n")
    assert lab.promotion_score("psql2") == -1000
    assert call("crm_attribute", "--promotion", "-v", "5").returncode == 0
    assert lab.promotion_score("psql1") == 5
    assert call("crm_attribute", "--promotion", "-N", "psql2", "-D").returncode == 0
    assert lab.promotion_score("psql2") is None
    assert call("crm_attribute", "-N", "psql2", "-n", "pgtwin-state", "-l", "forever", "-v", "stale").returncode == 0
    r = call("crm_attribute", "-N", "psql2", "-n", "pgtwin-state", "-l", "forever", "-G", "-q")
    assert r.stdout == "stale\n"
    r = call("crm_attribute", "-N", "psql2", "-n", "pgtwin-state", "-l", "reboot", "-G", "-q")
    assert r.returncode == 105
    assert lab.attribute("psql2", "pgtwin-state", "forever") == "stale"
    assert call("attrd_updater", "-p", "-n", "lsn", "-N", "psql1", "-U", "0/3000060").returncode == 0
    r = call("attrd_updater", "-n", "lsn", "-N", "psql1", "-Q")
    assert r.stdout == 'name="lsn" host="psql1" value="0/3000060"\n'
    r = call("crm_attribute", "-N", "psql1", "-n", "lsn", "-l", "reboot", "-G", "-q")
    assert r.returncode == 105, "private attributes are not in the CIB"
    assert call("attrd_updater", "-n", "lsn", "-N", "psql1", "-D").returncode == 0
    assert call("attrd_updater", "-n", "lsn", "-N", "psql1", "-Q").stdout.endswith('value=""\n')
    r = call("attrd_updater", "-n", "nothing", "-Q")
    assert r.returncode == 105 and "does not exist" in r.stderr
    for bad in (["crm_attribute", "--bogus"], ["crm_node", "--bogus"], ["attrd_updater", "-U", "1"],
                ["crm_attribute", "-N", "psql1", "-G"]):
        r = call(*bad)
        assert r.returncode == 64 and "test double" in r.stderr, bad
    calls = lab.stub_calls()
    assert calls[0]["tool"] == "crm_node" and calls[-1]["rc"] == 64
    json.dumps(lab.stub_state())


def test_stub_works_in_the_agents_minimal_environment(lab):
    """The agent gives children only PATH/LC_ALL: the stub finds its state via stub.conf."""
    p2 = lab["psql2"]
    res = run(["env", "-i", f"PATH={p2.stub_dir}:/usr/bin:/bin", "crm_node", "-n"])
    assert (res.rc, res.out) == (0, "psql2\n"), res
    res = run(["env", "-i", f"PATH={p2.stub_dir}:/usr/bin:/bin", "OCF_RESOURCE_INSTANCE=pgsql",
               "crm_attribute", "--promotion", "-v", "7"])
    assert res.rc == 0, res
    assert lab.promotion_score("psql2") == 7
