# SPDX-License-Identifier: GPL-2.0-or-later
"""Two-host lab of the integration tier, VM mode (container_lab.py builds on it).

Each "host" is a network namespace (pgtw1, pgtw2; the container mode uses
pgtk1/pgtk2, the cluster lab pgt1/pgt2) joined by a veth pair,
10.231.0.1/24 and 10.231.0.2/24. Per-host files live under one temporary
root:

    /tmp/pgtwin-itest-XXXX/psqlN/{data,run,pgpass,agent.log,postgresql.log}

PostgreSQL runs inside the namespace. Both instances share one
postgresql.conf (it is copied by pg_basebackup), so the template leaves
unix_socket_directories out of it: the agent starts PostgreSQL with
-k <OCF_RESKEY_pghost> (the host's run dir), the harness does the same.

The Pacemaker tools are replaced by stubs/pcmk_stub.py; its state file is
shared by both hosts, like a cluster's CIB.

The pytest process makes itself a child subreaper and reaps orphans that are
re-parented to it (postmasters started through pg_ctl), like systemd on a
real host; PID 1 here reaps lazily (LAB-FACTS). PGTWIN_ITEST_REAPER=0 turns
this off to exercise the agent's own zombie handling.
"""

import ctypes
import hashlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from . import topology

REPO = Path(__file__).resolve().parents[2]
PG_BINDIR = "/usr/lib/postgresql/15/bin"
PREPARE_NODE = REPO / "scripts" / "pg-prepare-node"
STUB = Path(__file__).resolve().parent / "stubs" / "pcmk_stub.py"
SUBNET = topology.SUBNET
PORT = 5432
REP_PASSWORD = "itest-Secr3t:pw"
RESOURCE = "pgsql"
HOSTS = {node: (ns, topology.ADDRESS[node]) for node, ns in topology.namespaces("vm").items()}
PR_SET_CHILD_SUBREAPER = 36


def agent_binary():
    """The agent under test, the same rule in every tier: $PGTWIN_BIN, else
    the ci preset's build (<repo>/build-ci/pgtwin)."""
    return os.environ.get("PGTWIN_BIN") or str(REPO / "build-ci" / "pgtwin")


# ---------------------------------------------------------------- processes

class Reaper:
    """Subreaper that reaps zombie children nobody waits for."""

    def __init__(self):
        self.lock = threading.Lock()
        self.active = set()
        self.enabled = False
        self._stop = threading.Event()

    def start(self):
        if os.environ.get("PGTWIN_ITEST_REAPER", "1") == "0" or self.enabled:
            return
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
            return
        self.enabled = True
        threading.Thread(target=self._loop, daemon=True, name="reaper").start()

    def _zombie_children(self):
        me = os.getpid()
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            if fields[0] == "Z" and int(fields[1]) == me:
                yield int(entry)

    def _loop(self):
        while not self._stop.wait(0.1):
            with self.lock:
                for pid in self._zombie_children():
                    if pid not in self.active:
                        try:
                            os.waitpid(pid, os.WNOHANG)
                        except ChildProcessError:
                            pass

    def popen(self, argv, **kw):
        """Popen that the reaper will never reap behind subprocess' back."""
        with self.lock:
            proc = subprocess.Popen(argv, **kw)
            self.active.add(proc.pid)
        return proc

    def finished(self, proc):
        with self.lock:
            self.active.discard(proc.pid)


REAPER = Reaper()


class Result:
    """Outcome of one command; str() shows everything for failure messages."""

    def __init__(self, argv, rc, out, err, timed_out=False):
        self.argv, self.rc, self.out, self.err, self.timed_out = argv, rc, out, err, timed_out

    def exit_reasons(self):
        return [l for l in self.err.splitlines() if l.startswith("ocf-exit-reason:")]

    def __str__(self):
        return (f"argv={self.argv}\nrc={self.rc} timed_out={self.timed_out}\n"
                f"--- stdout ---\n{self.out[-3000:]}\n--- stderr ---\n{self.err[-5000:]}")


def run(argv, input=None, timeout=120, env=None, check=False):
    """Runs argv (own process group, killed as a group on timeout)."""
    proc = REAPER.popen([str(a) for a in argv], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE, env=env, text=True, start_new_session=True)
    timed_out = False
    try:
        out, err = proc.communicate(input, timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, err = proc.communicate()
    finally:
        REAPER.finished(proc)
    res = Result(argv, proc.returncode, out, err, timed_out)
    if check and (res.rc != 0 or timed_out):
        raise AssertionError(f"command failed:\n{res}")
    return res


def proc_state(pid):
    """'R', 'S', 'Z', ... or None when the process does not exist."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2]


def alive(pid):
    """True when pid exists and is not a zombie."""
    state = proc_state(pid)
    return state is not None and state != "Z"


def postmaster_running_in(data):
    """True when data/postmaster.pid names a live process whose cwd is data.

    A copied or crashed data directory keeps a stale pid file whose PID may
    now belong to someone else; pg_ctl would signal that process.
    """
    try:
        pid = int((Path(data) / "postmaster.pid").read_text().split("\n")[0])
        return alive(pid) and os.readlink(f"/proc/{pid}/cwd") == str(Path(data).resolve())
    except (OSError, ValueError):
        return False


def wait_for(predicate, tries=60, delay=0.5):
    """Polls predicate up to `tries` times; returns its last value."""
    value = predicate()
    for _ in range(tries - 1):
        if value:
            return value
        time.sleep(delay)
        value = predicate()
    return value


def tree_digest(path):
    """Digest of names, owners, modes and contents under path (None if missing)."""
    root = Path(path)
    if not root.exists():
        return None
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        st = p.lstat()
        h.update(f"{p.relative_to(root)}|{st.st_mode}|{st.st_uid}|{st.st_size}\n".encode())
        if p.is_file() and not p.is_symlink():
            h.update(p.read_bytes())
    return h.hexdigest()


# ---------------------------------------------------------------- hosts

class Host:
    """One namespace host with its PostgreSQL directories."""

    def __init__(self, lab, name):
        self.lab = lab
        self.name = name
        self.ns, self.addr = HOSTS[name]
        self.dir = lab.root / name
        self.data = self.dir / "data"
        self.run_dir = self.dir / "run"
        self.passfile = self.dir / "pgpass"
        self.agent_log = self.dir / "agent.log"
        self.pg_log = self.dir / "postgresql.log"
        self.stub_dir = self.dir / "stubbin"

    @property
    def peer(self):
        return self.lab.peer(self)

    def nsexec(self, argv, **kw):
        return run(["ip", "netns", "exec", self.ns] + list(argv), **kw)

    # -- what differs by mode (container_lab.CtHost overrides these)
    def agent_prefix(self):
        """argv that runs the agent on this host."""
        return ["ip", "netns", "exec", self.ns]

    def agent_env(self):
        """Variables the agent needs on this host besides the OCF ones."""
        return {}

    def has_instance(self):
        """True while anything of this host's PostgreSQL instance is left
        running (VM mode: the postmaster; container mode: the container)."""
        return self.postmaster_alive()

    def as_pg(self, argv, **kw):
        return self.nsexec(["runuser", "-u", "postgres", "--"] + list(argv), **kw)

    def pg_ctl(self, *args, **kw):
        return self.as_pg([f"{PG_BINDIR}/pg_ctl", "-D", self.data] + list(args), **kw)

    def start_pg(self):
        """Starts PostgreSQL directly (harness tests, not the agent)."""
        self.pg_ctl("-w", "-t", "60", "-l", self.pg_log, "-o", f"-k {self.run_dir}", "start", check=True)

    def sql(self, query, db="postgres", timeout_s=10, check=True):
        """Runs SQL as postgres over the local socket; returns stdout stripped."""
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "PGOPTIONS": f"-c statement_timeout={timeout_s * 1000}",
               "PGCONNECT_TIMEOUT": "5", "LC_ALL": "C"}
        res = self.nsexec(["env", "-i"] + [f"{k}={v}" for k, v in env.items()] +
                          ["runuser", "-u", "postgres", "--", "psql", "-X", "-At", "-q",
                           "-v", "ON_ERROR_STOP=1", "-h", self.run_dir, "-p", str(PORT), "-d", db,
                           "-c", query], timeout=timeout_s + 10)
        if check and res.rc != 0:
            raise AssertionError(f"SQL on {self.name} failed: {query}\n{res}")
        return res.out.strip() if check else res

    def sql_ok(self, query, **kw):
        """True when the query runs (the server answers)."""
        return self.sql(query, check=False, **kw).rc == 0

    def in_recovery(self):
        return self.sql("SELECT pg_is_in_recovery()") == "t"

    def postmaster_pid(self):
        try:
            return int((self.data / "postmaster.pid").read_text().split("\n")[0])
        except (OSError, ValueError):
            return None

    def postmaster_alive(self):
        pid = self.postmaster_pid()
        return pid is not None and alive(pid)

    def crash(self):
        """kill -9 of the postmaster; waits until its children are gone too."""
        pid = self.postmaster_pid()
        assert pid and alive(pid), f"{self.name}: no running postmaster to crash"
        children = [c for c in self.lab.children_of(pid)]
        os.kill(pid, signal.SIGKILL)
        gone = wait_for(lambda: not any(alive(p) for p in [pid] + children), tries=100, delay=0.1)
        assert gone, f"{self.name}: postmaster {pid} or its children survive SIGKILL"

    def log_tail(self, n=60):
        out = []
        for f in (self.dir / "agent-calls.log", self.agent_log, self.pg_log):
            try:
                lines = f.read_text(errors="replace").splitlines()[-n:]
            except OSError:
                lines = ["(missing)"]
            out.append(f"--- {f} ---\n" + "\n".join(lines))
        return "\n".join(out)


# ---------------------------------------------------------------- the lab

class Lab:
    """Namespaces, directories, stub state and the agent runner."""

    def __init__(self, template=None):
        self.template = template
        self.root = None
        self.hosts = {}
        self.overrides = {}

    # -- setup / teardown
    def _create_root(self, prefix, host_class):
        """What every lab starts with: the reaper, a root directory, the
        stub's state file, the replication password file, the hosts and
        their network (container_lab.CtLab uses it too)."""
        REAPER.start()
        self.root = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
        os.chmod(self.root, 0o755)
        self.state_file = self.root / "pcmk-state.json"
        self.password_file = self.root / "rep-password"
        self.password_file.write_text(REP_PASSWORD + "\n")
        os.chmod(self.password_file, 0o600)
        self.hosts = {n: host_class(self, n) for n in HOSTS}
        self._create_network()

    def create(self):
        self._create_root("pgtwin-itest-", Host)
        for h in self.hosts.values():
            h.dir.mkdir()
            shutil.chown(h.dir, "postgres", "postgres")
            h.run_dir.mkdir()
            shutil.chown(h.run_dir, "postgres", "postgres")
            install_stub(h.stub_dir, self.state_file, h.name)
            prepare_node(h.data, h.passfile, self.password_file)
        return self

    def _create_network(self):
        h1, h2 = self.hosts["psql1"], self.hosts["psql2"]
        for h in (h1, h2):
            run(["ip", "netns", "add", h.ns], check=True)
        run(["ip", "link", "add", f"{h1.ns}v0", "type", "veth", "peer", "name", f"{h2.ns}v0"], check=True)
        for h in (h1, h2):
            dev = f"{h.ns}v0"
            run(["ip", "link", "set", dev, "netns", h.ns], check=True)
            run(["ip", "-n", h.ns, "addr", "add", f"{h.addr}/24", "dev", dev], check=True)
            run(["ip", "-n", h.ns, "link", "set", dev, "up"], check=True)
            run(["ip", "-n", h.ns, "link", "set", "lo", "up"], check=True)

    def destroy(self):
        """Stops every postmaster, kills what runs in our namespaces, removes all."""
        errors = []
        if self.root is not None:
            for data in sorted(self.root.glob("*/data*")) + sorted(self.root.glob("*/*/data*")):
                if postmaster_running_in(data):
                    run(["runuser", "-u", "postgres", "--", f"{PG_BINDIR}/pg_ctl", "-D", data,
                         "-m", "immediate", "-w", "-t", "30", "stop"], timeout=60)
        remove_namespaces_and_files([ns for ns, _ in HOSTS.values()], self.root, errors, "lab")

    # -- helpers
    def peer(self, host):
        return next(h for h in self.hosts.values() if h is not host)

    def __getitem__(self, name):
        return self.hosts[name]

    @staticmethod
    def children_of(pid):
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text()
                except OSError:
                    continue
                if int(stat[stat.rindex(")") + 2:].split()[1]) == pid:
                    yield int(entry)

    def init_primary_data(self, host):
        """Puts a freshly initialised, cleanly stopped cluster into host.data."""
        assert self.template is not None, "no template data directory"
        shutil.rmtree(host.data)
        run(["cp", "-a", self.template, host.data], check=True)

    def stray_containers(self):
        """Containers of this lab other than the hosts' named instances
        (temporary clone or rewind containers left behind): none in VM mode."""
        return []

    def stub_state(self):
        try:
            return json.loads(self.state_file.read_text())
        except FileNotFoundError:
            return {"forever": {}, "reboot": {}, "private": []}

    def attribute(self, node, name, lifetime="reboot"):
        return self.stub_state().get(lifetime, {}).get(node, {}).get(name)

    def promotion_score(self, node):
        value = self.attribute(node, f"master-{RESOURCE}")
        return None if value in (None, "") else int(value.replace("INFINITY", "1000000"))

    def stub_calls(self):
        try:
            lines = Path(str(self.state_file) + ".calls").read_text().splitlines()
        except FileNotFoundError:
            return []
        return [json.loads(l) for l in lines]


def install_stub(directory, state, node):
    """The Pacemaker test double for one host (see stubs/pcmk_stub.py)."""
    directory.mkdir()
    for tool in ("crm_attribute", "attrd_updater", "crm_node", "crm_mon"):
        os.symlink(STUB, directory / tool)
    (directory / "stub.conf").write_text(json.dumps({"state": str(state), "node": node}))


def netns_list():
    res = run(["ip", "netns", "list"])
    return [line.split()[0] for line in res.out.splitlines() if line.strip()]


def netns_pids(ns):
    if ns not in netns_list():
        return []
    res = run(["ip", "netns", "pids", ns])
    return [int(p) for p in res.out.split() if p.isdigit()]


def prepare_node(data, passfile, password_file, init=False, socket_dir="../run"):
    """Runs scripts/pg-prepare-node like an administrator would."""
    argv = [PREPARE_NODE, "--pgdata", data, "--port", str(PORT), "--socket-dir", socket_dir,
            "--pg-bindir", PG_BINDIR, "--rep-password-file", password_file,
            "--passfile", passfile, "--subnet", SUBNET]
    if init:
        argv.append("--init")
    return run(argv, timeout=180, check=True)


def managed_lab(request, the_lab, cleanup_script):
    """Creates `the_lab`, yields it, and destroys it after the test whatever
    happened; on failure prints the hosts' logs, and with PGTWIN_ITEST_KEEP=1
    keeps it for `cleanup_script`. Shared by the VM and container tiers."""
    try:
        the_lab.create()
    except BaseException:
        the_lab.destroy()
        raise
    yield the_lab
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    if failed:
        for h in the_lab.hosts.values():
            print(f"===== {h.name} logs =====\n{h.log_tail()}")
        print(f"===== stub state =====\n{the_lab.stub_state()}")
        if os.environ.get("PGTWIN_ITEST_KEEP") == "1":
            print(f"lab kept at {the_lab.root}; run {cleanup_script} later")
            return
    the_lab.destroy()


def remove_namespaces_and_files(namespaces, root, errors, what):
    """Kills what runs in `namespaces` (only there), deletes them and `root`;
    raises with `errors` plus anything left. Shared by the VM and container labs."""
    for ns in namespaces:
        for pid in netns_pids(ns):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if not wait_for(lambda: not [p for p in netns_pids(ns) if alive(p)], tries=50, delay=0.1):
            errors.append(f"processes survive in {ns}: {netns_pids(ns)}")
        if ns in netns_list():
            res = run(["ip", "netns", "del", ns])
            if res.rc != 0:
                errors.append(str(res))
    if root is not None and root.exists():
        shutil.rmtree(root, ignore_errors=True)
    if errors:
        raise RuntimeError(f"{what} teardown problems:\n" + "\n".join(errors))
