# SPDX-License-Identifier: GPL-2.0-or-later
"""Two-host lab of the integration tier, container mode.

Builds on the VM mode's lab (lab.py): its network namespaces are pgtk1/pgtk2
instead of pgtw1/pgtw2 (psql1 10.231.0.1, psql2 10.231.0.2), so the two
modes can run at the same time; the Pacemaker test double and the notify
replay (agent.Cluster) are the same. What differs:

* PostgreSQL runs in podman (or docker) containers started by the agent
  (container_mode=true, image localhost/pgtwin-test/postgres:15, runc via
  lab/containers.conf), so every agent call goes through ./in-node,
  which re-creates the cgroup mounts that `ip netns exec` hides
  (CtHost.agent_prefix, CtHost.agent_env).
* Per host, laid out as docs/CONTAINER_MODE_SETUP.md tells administrators:

      /tmp/pgtwin-ctest-XXXX/psqlN/data     uid 999, 0700 (PGDATA in the container)
                                  /config   postgresql.conf + pg_hba.conf (ro at /etc/postgresql)
                                  /archive  uid 999
                                  /run      uid 999, 0700 (socket directory, pghost)
                                  /pgpass   uid 999, 0600 (pgpassfile)

* SQL checks run as root through the shared socket (local trust in the
  container's pg_hba.conf, the socket directory is 0700).
* Every container of a lab carries the label pgtwin-ctest=<lab root>
  (container_run_options, so temporary --rm containers carry it too);
  teardown removes exactly those containers and the two named ones.
"""

import os
import shutil
import signal
from pathlib import Path

from . import dockerd, topology
from . import lab as vmlab
from .lab import PORT, REP_PASSWORD, SUBNET, alive, run, wait_for  # noqa: F401

HERE = Path(__file__).resolve().parent

REPO = HERE.parents[1]
IN_NODE = HERE / "in-node"
IMAGE = os.environ.get("PGTWIN_TEST_IMAGE", "localhost/pgtwin-test/postgres:15")
# lab/build-test-image's variants with an entrypoint behaving as the
# official image's (PGDATA of postgres:17 and of postgres:18).
OFFICIAL_IMAGE = "localhost/pgtwin-test/postgres:15-official"
OFFICIAL18_IMAGE = "localhost/pgtwin-test/postgres:15-official18"
CONTAINERS_CONF = os.environ.get("CONTAINERS_CONF") or str(REPO / "lab" / "containers.conf")
PG_UID = 999
LABEL = "pgtwin-ctest"
# The runtime the agent drives: podman (default) or docker (run.sh --docker:
# a real dockerd per host, dockerd.py).
RUNTIME = os.environ.get("PGTWIN_CTEST_RUNTIME", "podman")
if RUNTIME not in ("podman", "docker"):
    raise ValueError(f"PGTWIN_CTEST_RUNTIME must be podman or docker, not {RUNTIME!r}")


def podman(*args, timeout=60, check=False):
    """podman from the root namespace (inspect, kill, rm), with the lab's containers.conf."""
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "CONTAINERS_CONF": CONTAINERS_CONF}
    return run(["podman"] + list(args), timeout=timeout, env=env, check=check)


def write_config(config_dir, subnet=SUBNET, rep_user="replicator"):
    """The administrator's configuration directory (CONTAINER_MODE_SETUP.md,
    step 4), written by the operator tool as an administrator would."""
    run([vmlab.PREPARE_NODE, "--container-config", config_dir, "--subnet", subnet, "--rep-user", rep_user,
         "--container-uid", str(PG_UID)], check=True)


def write_passfile(path, password=REP_PASSWORD, rep_user="replicator"):
    escaped = password.replace("\\", "\\\\").replace(":", "\\:")
    path.write_text(f"*:*:*:{rep_user}:{escaped}\n")
    os.chown(path, PG_UID, PG_UID)
    os.chmod(path, 0o600)


def owned_dir(path, mode=0o700, uid=PG_UID):
    path.mkdir(exist_ok=True)
    os.chown(path, uid, uid)
    os.chmod(path, mode)


def role_sql(password_file):
    """The replication role's SQL, run once on the first primary over the
    container's socket (CONTAINER_MODE_SETUP.md, step 6): the operator tool's
    own (pg-prepare-node --print-role-sql), so that node preparation exists
    once for the tool, the lab and the tests."""
    return run([vmlab.PREPARE_NODE, "--print-role-sql", "--rep-password-file", password_file], check=True).out


# Own namespace names, so this tier never touches a VM-tier lab (pgtw1/pgtw2)
# that may be running at the same time; addresses as in the VM tier.
NAMESPACES = topology.namespaces("container")
LOCK_FILE = "/run/pgtwin-ctest.lock"


class CtHost(vmlab.Host):
    """A lab host whose PostgreSQL runs in a container."""

    def __init__(self, lab, name):
        super().__init__(lab, name)
        self.ns = NAMESPACES[name]
        self.config = self.dir / "config"
        self.archive = self.dir / "archive"
        self.container = f"pgtwin-ctest-{name}"
        self.pg_log = self.dir / "container.log"

    def runtime(self, *args, timeout=60, check=False):
        """The tier's container runtime for this host (podman's shared storage, or its own dockerd)."""
        if RUNTIME == "docker":
            return dockerd.docker(self.name, *args, timeout=timeout, check=check)
        return podman(*args, timeout=timeout, check=check)

    def runtime_env(self):
        """What the agent needs besides CONTAINERS_CONF to reach the runtime."""
        return {"DOCKER_HOST": dockerd.docker_host(self.name)} if RUNTIME == "docker" else {}

    def agent_prefix(self):
        return [str(IN_NODE), self.ns]

    def agent_env(self):
        env = {"CONTAINERS_CONF": CONTAINERS_CONF, "PGTWIN_STATE_DIR": str(self.dir / "state")}
        env.update(self.runtime_env())
        return env

    def has_instance(self):
        return self.container_exists()

    def node_exec(self, argv, **kw):
        """argv on this host with cgroups mounted (what the agent needs for podman)."""
        return run([str(IN_NODE), self.ns] + list(argv), **kw)

    def sql(self, query, db="postgres", timeout_s=10, check=True):
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "PGOPTIONS": f"-c statement_timeout={timeout_s * 1000}",
               "PGCONNECT_TIMEOUT": "5", "LC_ALL": "C"}
        res = self.nsexec(["env", "-i"] + [f"{k}={v}" for k, v in env.items()] +
                          ["psql", "-X", "-At", "-q", "-v", "ON_ERROR_STOP=1", "-U", "postgres",
                           "-h", self.run_dir, "-p", str(PORT), "-d", db, "-c", query], timeout=timeout_s + 10)
        if check and res.rc != 0:
            raise AssertionError(f"SQL on {self.name} failed: {query}\n{res}")
        return res.out.strip() if check else res

    def sql_script(self, script, timeout_s=30):
        res = self.nsexec(["env", "-i", "PATH=/usr/bin:/bin", "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1",
                           "-U", "postgres", "-h", self.run_dir, "-p", str(PORT), "-d", "postgres"],
                          input=script, timeout=timeout_s)
        assert res.rc == 0, f"SQL script on {self.name} failed\n{res}"

    # -- the container, seen from the host
    def inspect(self, fmt):
        res = self.runtime("inspect", "--type", "container", "--format", fmt, self.container, timeout=30)
        return res.out.strip() if res.rc == 0 else None

    def container_exists(self):
        return self.inspect("{{.Name}}") is not None

    def container_running(self):
        return self.inspect("{{.State.Running}}") == "true"

    def container_pid(self):
        pid = self.inspect("{{.State.Pid}}")
        return int(pid) if pid and pid.isdigit() and int(pid) > 0 else None

    def postmaster_alive(self):
        return self.container_running()

    def crash(self):
        """kill -9 of the container's postmaster (its PID 1) from the host."""
        pid = self.container_pid()
        assert pid and alive(pid), f"{self.name}: no running container postmaster to crash"
        os.kill(pid, signal.SIGKILL)
        assert wait_for(lambda: not self.container_running(), tries=100, delay=0.1), \
            f"{self.name}: container still running after SIGKILL of {pid}"

    def log_tail(self, n=60):
        """The container's output plus the newest server log the agent keeps on the host (<data>/../log)."""
        logs = self.runtime("logs", "--tail", str(n), self.container, timeout=20)
        text = logs.out + logs.err if logs.rc == 0 else ""
        files = sorted((self.data.parent / "log").glob("*.log"), key=lambda p: p.stat().st_mtime)
        if files:
            text += "\n".join(files[-1].read_text(errors="replace").splitlines()[-n:]) + "\n"
        self.pg_log.write_text(text)
        return super().log_tail(n)


class CtLab(vmlab.Lab):
    """The VM lab's namespaces and stubs with container-mode host directories."""

    def create(self):
        self._create_root("pgtwin-ctest-", CtHost)
        self.engines = []
        if RUNTIME == "docker":
            self.engines = [dockerd.Dockerd(IN_NODE, h.name, h.ns) for h in self.hosts.values()]
            dockerd.start_all(self.engines, IMAGE, podman)
        for h in self.hosts.values():
            h.dir.mkdir()
            owned_dir(h.data)
            owned_dir(h.run_dir)
            owned_dir(h.archive)
            write_config(h.config)
            write_passfile(h.passfile)
            vmlab.install_stub(h.stub_dir, self.state_file, h.name)
            self.overrides[h.name] = self.container_params(h)
        return self

    def container_params(self, host):
        return {
            "container_mode": "true",
            "container_runtime": RUNTIME,
            "container_image": IMAGE,
            "container_name": host.container,
            "container_config_dir": str(host.config),
            "container_archive_dir": str(host.archive),
            "container_run_options": f"--label {LABEL}={self.root}",
            "pg_bindir": None,
            "logfile": None,
        }

    def init_primary_data(self, host):
        assert self.template is not None, "no template data directory"
        shutil.rmtree(host.data)
        run(["cp", "-a", self.template, host.data], check=True)

    def stray_containers(self):
        named = {h.container for h in self.hosts.values()}
        return [n for n in self.containers() if n not in named]

    def containers(self):
        """Names of every container of this lab (label or recorded name)."""
        return sorted({n for _, n in self.host_containers()})

    def host_containers(self):
        """(host, name) of every container of this lab: podman's storage is
        shared by both hosts; each docker engine is asked for its own."""
        found = set()
        hosts = list(self.hosts.values()) if RUNTIME == "docker" else list(self.hosts.values())[:1]
        for h in hosts:
            if self.root is not None:
                res = h.runtime("ps", "-a", "--filter", f"label={LABEL}={self.root}", "--format", "{{.Names}}")
                found.update((h, n) for n in res.out.split())
        for h in self.hosts.values():
            if h.container_exists():
                found.add((h, h.container))
        return found

    def destroy(self):
        """Removes this lab's containers, then what runs in its namespaces, then all files."""
        errors = []
        for h, name in sorted(self.host_containers(), key=lambda hn: (hn[0].name, hn[1])):
            res = h.runtime("rm", "-f", *(["-t", "2"] if RUNTIME == "podman" else []), name, timeout=90)
            if res.rc != 0:
                errors.append(f"{RUNTIME} rm -f {name}: {res}")
        left = self.containers()
        if left:
            errors.append(f"containers left: {left}")
        for engine in getattr(self, "engines", []):
            engine.stop(errors)
        vmlab.remove_namespaces_and_files(list(NAMESPACES.values()), self.root, errors, "container lab")

