# SPDX-License-Identifier: GPL-2.0-or-later
"""Container mode: PostgreSQL's log outlives the container (issue 9, item 6).

Every stop removes the container, and `podman logs` with it; after a
failover the crashed primary's log must still be readable on the host. The
agent makes the server log (logging_collector) into a host directory,
`log` beside the data directory by default, which it creates for the
container user with mode 0700.
"""

import os
import stat

import pytest

from harness.agent import expect_rc, monitor, run_agent
from harness.container_lab import PG_UID

pytestmark = pytest.mark.modes("container")

MARKER = "pgtwin-log-marker-before-the-crash"


def host_log_text(log_dir):
    return "".join(p.read_text(errors="replace") for p in sorted(log_dir.glob("*")) if p.is_file())


def test_crashed_instance_log_is_on_the_host_after_removal(lab, agent):
    p1 = lab["psql1"]
    lab.init_primary_data(p1)
    log_dir = p1.data.parent / "log"
    expect_rc(run_agent(p1, "start"), 0, p1, "start")
    expect_rc(run_agent(p1, "promote"), 0, p1, "promote")
    p1.sql(f"DO $$BEGIN RAISE LOG '{MARKER}'; END$$")
    p1.crash()
    expect_rc(monitor(p1, "Promoted"), 9, p1, "monitor of the crashed primary")
    expect_rc(run_agent(p1, "stop"), 0, p1, "stop of the crashed primary (as after a failover)")
    assert not p1.container_exists(), "stop left the container"
    assert p1.runtime("logs", p1.container, timeout=20).rc != 0, "podman logs still answers"
    assert log_dir.is_dir(), f"no server log directory {log_dir} on the host"
    st = log_dir.stat()
    assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (PG_UID, 0o700), \
        f"log directory owner/mode {st.st_uid}/{oct(stat.S_IMODE(st.st_mode))}"
    text = host_log_text(log_dir)
    assert "database system is ready to accept" in text, f"no startup lines in the host log:\n{text[-2000:]}"
    assert MARKER in text, f"the last messages before the crash are missing:\n{text[-2000:]}"
    assert all(os.stat(p).st_uid == PG_UID for p in log_dir.glob("*")), "log files not owned by the container user"
