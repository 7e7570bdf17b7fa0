# SPDX-License-Identifier: GPL-2.0-or-later
"""VM mode on PostgreSQL prepared the distribution's way: peer authentication.

Debian's initdb writes `local all all peer` and no pg_ident.conf map, so over
the socket only the OS user postgres may log in as the role postgres. The
agent runs as root (Pacemaker), so it must present itself as pguser for its
local connections (libpq's peer credentials are the effective uid at connect).

Assumptions about the contract (issue 10):
- P1 with `local all all peer` and no map, start, promote and the promoted
  monitor work as with the lab's root->postgres map (rc 0, 0, 8).
- P2 when the server is up but refuses the agent (a peer map that does not
  map postgres), start fails at once with rc 4 (OCF_ERR_PERM: this node's
  pg_hba.conf, not the cluster's configuration) and one exit reason carrying
  the server's reason, not "did not accept connections before the start
  timeout"; stop then stops the instance the failed start left running.
"""

import time

import pytest

from harness.agent import expect_rc, monitor, run_agent

pytestmark = pytest.mark.modes("vm")

DEBIAN_LOCAL = "local   all             all                                     peer\n"


def use_local_auth(host, local_line, ident=""):
    """Replaces every `local` line of pg_hba.conf with local_line; sets pg_ident.conf."""
    hba = host.data / "pg_hba.conf"
    kept = [l for l in hba.read_text().splitlines(keepends=True) if not l.lstrip().startswith("local")]
    hba.write_text(local_line + "".join(kept))
    (host.data / "pg_ident.conf").write_text(ident)


def test_debian_default_peer_authentication_works(lab, agent):
    host = lab["psql1"]
    lab.init_primary_data(host)
    use_local_auth(host, DEBIAN_LOCAL)
    expect_rc(run_agent(host, "start"), 0, host, "start with local all all peer")
    expect_rc(monitor(host, "Unpromoted"), 0, host, "monitor standby")
    expect_rc(run_agent(host, "promote"), 0, host, "promote with local all all peer")
    expect_rc(monitor(host, "Promoted"), 8, host, "monitor primary")
    assert host.sql("SELECT pg_is_in_recovery()") == "f"
    expect_rc(run_agent(host, "stop"), 0, host, "stop")
    assert not host.postmaster_alive()


def test_refused_authentication_fails_start_at_once_with_the_reason(lab, agent):
    host = lab["psql1"]
    lab.init_primary_data(host)
    # The map exists but maps nobody to postgres: the server is up and says no.
    use_local_auth(host, "local   all   all   peer map=wrongmap\n", ident="wrongmap  nobody  postgres\n")
    began = time.monotonic()
    res = run_agent(host, "start")
    elapsed = time.monotonic() - began
    print(f"start with a refusing pg_hba.conf: rc={res.rc} after {elapsed:.1f} s")
    expect_rc(res, 4, host, "start refused by peer authentication")
    reasons = res.exit_reasons()
    assert len(reasons) == 1, res
    assert "Peer authentication failed" in reasons[0], res
    assert "start timeout" not in reasons[0], res
    expect_rc(run_agent(host, "stop"), 0, host, "stop after the refused start")
    assert not host.postmaster_alive()
