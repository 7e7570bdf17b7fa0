# SPDX-License-Identifier: GPL-2.0-or-later
"""A real Docker engine per container-lab host (the container-docker tier).

tests/integration/run.sh --mode container --docker sets PGTWIN_CTEST_RUNTIME=docker. Each lab
host (network namespace pgtk1/pgtk2) then gets its own dockerd, started
through ./in-node (cgroup mounts, private mount namespace) with

    --data-root  /var/tmp/pgtwin-ctest-docker/<host>   (kept between labs: the
                 image is loaded once, `podman save | docker load`, and again
                 only when the podman-built image's ID changes)
    --exec-root  /run/pgtwin-ctest-docker/<host>/exec  (its own containerd,
                 started and stopped by this dockerd, state below it)
    -H           unix:///run/pgtwin-ctest-docker/<host>/docker.sock

no bridge, no iptables (containers use --network host, the namespace's), and
the lowered ulimits the kernel here accepts (lab/containers.conf). The
agent reaches it through DOCKER_HOST with container_runtime=docker. The
engine is stopped (SIGTERM, it stops its containerd) before the lab deletes
the namespaces; whatever survives is killed with the namespace.
"""

import os
import signal
import subprocess
import threading
from pathlib import Path

from .lab import REAPER, alive, run, wait_for

REPO = Path(__file__).resolve().parents[2]
RUN_DIR = Path("/run/pgtwin-ctest-docker")
DATA_DIR = Path("/var/tmp/pgtwin-ctest-docker")
DOCKER = "/usr/bin/docker"   # Debian's docker.io client, as on the agent's PATH
PATH = "/usr/sbin:/usr/bin:/sbin:/bin"


def docker_host(host_name):
    """DOCKER_HOST of the engine on lab host `host_name`."""
    return f"unix://{RUN_DIR / host_name / 'docker.sock'}"


def docker(host_name, *args, timeout=60, check=False, input=None):
    """The docker client against host_name's engine (from the root namespace)."""
    env = {"PATH": PATH, "DOCKER_HOST": docker_host(host_name)}
    return run([DOCKER] + [str(a) for a in args], timeout=timeout, env=env, check=check, input=input)


class Dockerd:
    """One dockerd in a lab host's network namespace."""

    def __init__(self, in_node, host_name, ns):
        self.in_node, self.name, self.ns = in_node, host_name, ns
        self.run_dir = RUN_DIR / host_name
        self.data_root = DATA_DIR / host_name
        self.proc = None

    def argv(self):
        return [str(self.in_node), self.ns, "env", "-i", f"PATH={PATH}", "dockerd",
                "--data-root", str(self.data_root), "--exec-root", str(self.run_dir / "exec"),
                "-H", docker_host(self.name), "--pidfile", str(self.run_dir / "docker.pid"),
                "--bridge=none", "--iptables=false", "--ip6tables=false", "--ip-masq=false",
                "--default-ulimit", "nofile=1024:1024", "--default-ulimit", "nproc=1000:1000"]

    def start(self):
        """Starts the engine and waits until it answers (bounded)."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.data_root.mkdir(parents=True, exist_ok=True)
        log = open(self.run_dir / "dockerd.log", "a")
        self.proc = REAPER.popen(self.argv(), stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                 start_new_session=True)
        log.close()
        ok = wait_for(lambda: self.proc.poll() is None and docker(self.name, "version", timeout=10).rc == 0,
                      tries=120, delay=0.25)
        assert ok, f"dockerd on {self.name} did not answer; see {self.run_dir / 'dockerd.log'}"

    def ensure_image(self, image, podman):
        """`podman save IMAGE | docker load` unless the engine has the same image ID."""
        want = podman("image", "inspect", "--format", "{{.Id}}", image, check=True).out.strip()
        have = docker(self.name, "image", "inspect", "--format", "{{.Id}}", image).out.strip()
        if have.removeprefix("sha256:") == want:
            return
        save = subprocess.Popen(["podman", "save", image], stdout=subprocess.PIPE,
                                env={"PATH": PATH, "CONTAINERS_CONF": os.environ.get("CONTAINERS_CONF")
                                     or str(REPO / "lab" / "containers.conf")})
        load = subprocess.run([DOCKER, "load", "-q"], stdin=save.stdout, capture_output=True, text=True,
                              env={"PATH": PATH, "DOCKER_HOST": docker_host(self.name)}, timeout=300)
        save.stdout.close()
        assert save.wait(timeout=60) == 0 and load.returncode == 0, \
            f"podman save | docker load on {self.name} failed: {load.stderr}"

    def stop(self, errors):
        """SIGTERM to dockerd (it stops its containerd), bounded wait; appends problems to errors."""
        if self.proc is None:
            return
        try:
            pid = int((self.run_dir / "docker.pid").read_text())
        except (OSError, ValueError):
            pid = self.proc.pid
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        if not wait_for(lambda: not alive(pid), tries=150, delay=0.2):
            errors.append(f"dockerd {pid} on {self.name} survived SIGTERM")
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            errors.append(f"in-node for dockerd on {self.name} did not exit")
        REAPER.finished(self.proc)
        self.proc = None


def start_all(engines, image, podman):
    """Starts the engines and loads the image into each, in parallel."""
    problems = []

    def one(e):
        try:
            e.start()
            e.ensure_image(image, podman)
        except Exception as exc:  # noqa: BLE001 - reported below
            problems.append(f"{e.name}: {exc}")

    threads = [threading.Thread(target=one, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not problems, "docker engines: " + "; ".join(problems)
