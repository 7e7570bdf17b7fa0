# SPDX-License-Identifier: GPL-2.0-or-later
"""The docker engine beside podman (container-docker tier only: run.sh --docker).

Both runtimes drive runc on this machine. The lab's dockerd keeps its own
containerd, runc state (under its --exec-root) and storage (--data-root), so
a PostgreSQL container that pgtwin runs through docker must be invisible to
podman, and podman must still run containers next to it.
"""

import pytest

from harness.agent import expect_rc, monitor, run_agent
from harness.container_lab import IMAGE, RUNTIME, podman

pytestmark = [pytest.mark.modes("container"),
              pytest.mark.skipif(RUNTIME != "docker", reason="container-docker tier only (run.sh --mode container --docker)")]


def test_docker_engine_does_not_disturb_podman(lab, agent):
    p1 = lab["psql1"]
    lab.init_primary_data(p1)
    expect_rc(run_agent(p1, "start"), 0, p1, "start through docker")
    cid = p1.inspect("{{.Id}}")
    assert cid, "docker does not know the agent's container"
    # podman's storage and runc state do not hold docker's container.
    assert podman("container", "exists", p1.container).rc != 0, "podman sees docker's container"
    podman_runc = podman("ps", "-a", "--format", "{{.ID}}").out.split()
    assert not [i for i in podman_runc if cid.startswith(i)], "podman lists docker's container"
    runc = p1.runtime("info", "--format", "{{.DefaultRuntime}}").out.strip()
    assert runc == "runc", f"dockerd's default runtime is {runc!r}"
    # podman still runs a container (runc) while docker's runs.
    res = podman("run", "--rm", "--network", "none", IMAGE, "true", timeout=120)
    assert res.rc == 0, f"podman run beside dockerd failed\n{res}"
    expect_rc(monitor(p1, "Unpromoted"), 0, p1, "docker container still monitored as standby")
    expect_rc(run_agent(p1, "stop"), 0, p1, "stop through docker")
    assert not p1.container_exists()
