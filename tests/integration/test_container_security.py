# SPDX-License-Identifier: GPL-2.0-or-later
"""Container mode against the official image's entrypoint; the data directory interlock.

Contract points (issue 9 items 1-2, issue 7 item 9) checked here:
- the local socket trusts every connection, so no host user but root and the
  container user may reach it, with an image whose entrypoint behaves as the
  official one (it chmods /var/run/postgresql, the shared host directory,
  03775) as well as without one: an unprivileged host user (nobody) running
  psql against the socket directory is refused, even after the directory was
  opened by hand;
- postgres:18's PGDATA (/var/lib/postgresql/18/docker) does not mislead the
  container: start works with that image layout too;
- validate-all refuses (rc 6) a socket directory other users can reach;
- start refuses, with the files left in place, when a postmaster started by
  hand in a container under another name runs on the same data directory.
"""

import os

import pytest

from harness.agent import expect_rc, monitor, run_agent
from harness.container_lab import IMAGE, LABEL, OFFICIAL_IMAGE, OFFICIAL18_IMAGE, PORT, podman, wait_for

pytestmark = pytest.mark.modes("container")

# The tier's image (whatever PGTWIN_TEST_IMAGE says) plus both official-behaviour variants.
IMAGES = list(dict.fromkeys([IMAGE, OFFICIAL_IMAGE, OFFICIAL18_IMAGE]))


def psql_as_nobody(host):
    """What any local user could try: superuser over the shared socket directory."""
    return host.nsexec(["runuser", "-u", "nobody", "--", "env", "-i", "PATH=/usr/bin:/bin", "LC_ALL=C",
                        "PGCONNECT_TIMEOUT=5", "psql", "-X", "-At", "-h", str(host.run_dir), "-p", str(PORT),
                        "-U", "postgres", "-d", "postgres", "-c", "SELECT current_user"], timeout=30)


@pytest.mark.parametrize("image", IMAGES, ids=lambda i: i.rsplit(":", 1)[-1])
def test_other_host_users_cannot_reach_the_trusted_socket(lab, agent, image):
    p1 = lab["psql1"]
    lab.overrides[p1.name]["container_image"] = image
    lab.init_primary_data(p1)
    expect_rc(run_agent(p1, "start"), 0, p1, f"start with {image}")
    expect_rc(monitor(p1, "Unpromoted"), 0, p1, "monitor")
    assert p1.sql("SELECT current_user") == "postgres", "root must still reach the socket"
    mode = oct(os.stat(p1.run_dir).st_mode & 0o7777)
    res = psql_as_nobody(p1)
    assert res.rc != 0 and "postgres" not in res.out, \
        f"an unprivileged host user connected as superuser (socket directory mode {mode})\n{res}"
    # Whatever the image (or anyone with the container uid) does to the directory.
    os.chmod(p1.run_dir, 0o3775)
    try:
        res = psql_as_nobody(p1)
        assert res.rc != 0 and "postgres" not in res.out, \
            f"socket directory opened by hand: an unprivileged user connected as superuser\n{res}"
    finally:
        os.chmod(p1.run_dir, 0o700)
    expect_rc(run_agent(p1, "stop"), 0, p1, "stop")


def test_validate_all_refuses_a_reachable_socket_directory(lab, agent):
    p1 = lab["psql1"]
    lab.init_primary_data(p1)
    os.chmod(p1.run_dir, 0o3775)
    res = run_agent(p1, "validate-all")
    expect_rc(res, 6, p1, "validate-all with a 3775 socket directory")
    assert any("socket directory" in r and "0700" in r for r in res.exit_reasons()), res
    res = run_agent(p1, "start")
    expect_rc(res, 6, p1, "start with a 3775 socket directory")
    assert not p1.container_exists(), "a container was started on an open socket directory"
    os.chmod(p1.run_dir, 0o700)
    os.chmod(p1.dir, 0o777)
    res = run_agent(p1, "validate-all")
    expect_rc(res, 6, p1, "validate-all with a world-writable parent of the socket directory")
    assert any(str(p1.dir) in r for r in res.exit_reasons()), res


def test_start_refuses_beside_a_manual_container_on_the_same_data(lab, agent):
    p1 = lab["psql1"]
    lab.init_primary_data(p1)
    manual = f"{p1.container}-manual"
    # Started by hand under another name: no network, its own socket directory
    # (the image's), the data directory shared with the agent's instance.
    podman("run", "-d", "--name", manual, "--label", f"{LABEL}={lab.root}", "--network", "none",
           "--user", "999:999", "-v", f"{p1.data}:/var/lib/postgresql/data:Z", "--entrypoint", "postgres",
           IMAGE, "-D", "/var/lib/postgresql/data", "-c", "listen_addresses=", check=True)
    pidfile = p1.data / "postmaster.pid"
    assert wait_for(lambda: pidfile.exists() and "ready" in pidfile.read_text(), tries=120, delay=0.25), \
        f"manual container did not get ready: {podman('logs', manual)}"
    before = pidfile.read_text()
    res = run_agent(p1, "start")
    assert res.rc != 0, f"start ran a second postmaster beside {manual}\n{res}"
    assert any("already runs on data directory" in r for r in res.exit_reasons()), res
    assert pidfile.read_text() == before, "postmaster.pid was touched"
    assert not (p1.data / "postmaster.pid.pgtwin-stale").exists(), "postmaster.pid was moved aside"
    assert not p1.container_running(), "the agent's container runs beside the manual one"
    podman("rm", "-f", "-t", "5", manual, check=True, timeout=60)
    assert wait_for(lambda: podman("container", "exists", manual).rc != 0, tries=40, delay=0.25)
    expect_rc(run_agent(p1, "start"), 0, p1, "start once the manual container is gone")
