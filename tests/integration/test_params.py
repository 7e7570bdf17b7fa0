# SPDX-License-Identifier: GPL-2.0-or-later
"""VM mode: bad parameters give the right OCF code, one reason, and touch no data.

Assumptions about the contract (issue 2, OCF 1.1) that the agent must align with:
- E1 a missing required parameter (pgdata) or an invalid value (rep_mode,
  a non-numeric pgport, a non-boolean force_promotion) is a configuration
  error everywhere: 6 (OCF_ERR_CONFIGURED) from validate-all and from start.
- E2 pg_bindir naming a directory that does not exist on this node is 5
  (OCF_ERR_INSTALLED) from validate-all and start.
- E3 a pgdata that exists but holds no cluster and is not empty (foreign
  files) is never destroyed with backup_before_basebackup=true: either it is
  moved intact to the one backup directory next to pgdata and the node is
  cloned (rc 0), or start refuses with 2 (OCF_ERR_ARGS) or 6 and leaves the
  files alone. (With backup_before_basebackup=false the administrator has
  consented to losing old data; not tested.)
- E4 every failure prints exactly one line starting with "ocf-exit-reason:"
  on stderr, and the password from the passfile never appears in
  stdout/stderr or the agent log.
- E5 the recurring monitor and stop with a bad configuration do not start
  PostgreSQL either; stop with invalid parameters on a node where nothing
  runs is not required to be 0, so only validate-all and start are checked.
"""

import pytest

from harness.agent import expect_rc, run_agent
from harness.lab import REP_PASSWORD, tree_digest

pytestmark = pytest.mark.modes("vm")

CASES = [
    ("missing pgdata", {"pgdata": None}, 6),
    ("bogus rep_mode", {"rep_mode": "bogus"}, 6),
    ("non-numeric pgport", {"pgport": "fivefourthreetwo"}, 6),
    ("non-boolean force_promotion", {"force_promotion": "perhaps"}, 6),
    ("nonexistent pg_bindir", {"pg_bindir": "/nonexistent/pgsql/bin"}, 5),
]


@pytest.mark.parametrize("action", ["validate-all", "start"])
@pytest.mark.parametrize("what,params,rc", CASES, ids=[c[0] for c in CASES])
def test_bad_parameter(lab, agent, action, what, params, rc):
    host = lab["psql1"]
    lab.init_primary_data(host)
    before = tree_digest(host.data)
    res = run_agent(host, action, params=params)
    expect_rc(res, rc, host, f"{action} with {what}")
    assert len(res.exit_reasons()) == 1, f"expected one ocf-exit-reason line:\n{res}"
    assert not host.postmaster_alive()
    assert tree_digest(host.data) == before, "data directory changed"
    assert REP_PASSWORD not in res.out + res.err
    if host.agent_log.exists():
        assert REP_PASSWORD not in host.agent_log.read_text(errors="replace")


def test_foreign_files_in_pgdata_are_never_destroyed(lab, agent):
    p1, p2 = lab["psql1"], lab["psql2"]
    lab.init_primary_data(p1)
    # A peer primary is reachable, so an empty pgdata would be auto-initialised.
    expect_rc(run_agent(p1, "start"), 0, p1, "start psql1")
    expect_rc(run_agent(p1, "promote"), 0, p1, "promote psql1")
    (p2.data / "notes.txt").write_text("an administrator's file\n")
    before = tree_digest(p2.data)
    res = run_agent(p2, "start", params={"backup_before_basebackup": "true"})
    if res.rc == 0:
        backups = [d for d in p2.dir.iterdir() if d.name.startswith("data.")]
        assert len(backups) == 1 and tree_digest(backups[0]) == before, "foreign files not kept intact"
    else:
        assert res.rc in (2, 6), f"refusing foreign files must be 2 or 6:\n{res}"
        assert len(res.exit_reasons()) == 1, res
        assert tree_digest(p2.data) == before
        assert not p2.postmaster_alive()
