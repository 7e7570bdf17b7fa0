# SPDX-License-Identifier: GPL-2.0-or-later
"""VM mode without node_list: the peer comes from the cluster (review M6).

Assumptions about the contract (issue 10):
- N1 node_list empty: the two nodes come from the cluster's node list
  (crm_node -l); the second node clones the first and streams from it, as
  with node_list set.
- N2 node_list empty and no cluster (crm_node -l fails, as under plain
  ocf-tester): validate-all is 0; start on existing data starts it as a
  standby without a peer (rc 0), promote makes it the primary (rc 0, monitor
  8). Start on an empty data directory fails (rc 1) and creates nothing: no
  initialisation without the cluster's record that no node holds data.
- N3 node_list empty and the cluster has three nodes: validate-all and start
  are 6 with one exit reason asking for node_list; nothing starts.
"""

import json

import pytest

from harness.agent import expect_rc, monitor, run_agent, wait_streaming

pytestmark = pytest.mark.modes("vm")


def no_node_list(lab):
    for name in lab.hosts:
        lab.overrides[name] = {"node_list": None}


def cluster_nodes(lab, nodes):
    """The stub's crm_node -l answer; None: no cluster."""
    state = lab.stub_state()
    if nodes is None:
        state.pop("nodes", None)
    else:
        state["nodes"] = nodes
    lab.state_file.write_text(json.dumps(state))


def test_peer_comes_from_the_cluster_node_list(lab, cluster):
    p1, p2 = lab["psql1"], lab["psql2"]
    no_node_list(lab)
    cluster_nodes(lab, ["psql1", "psql2"])
    lab.init_primary_data(p1)
    expect_rc(run_agent(p1, "validate-all"), 0, p1, "validate-all without node_list")
    expect_rc(cluster.start(p1), 0, p1, "start psql1")
    expect_rc(cluster.promote(p1), 0, p1, "promote psql1")
    expect_rc(cluster.start(p2), 0, p2, "start psql2: clone from the peer found in the cluster")
    assert wait_streaming(p1, p2), f"psql2 does not stream\n{p2.log_tail()}"
    expect_rc(monitor(p2, "Unpromoted"), 0, p2, "monitor psql2")
    calls = [c for c in lab.stub_calls() if c.get("tool") == "crm_node" and c.get("argv") == ["-l"]]
    assert calls, "the agent never asked crm_node -l"


def test_no_cluster_runs_alone(lab, agent):
    p1, p2 = lab["psql1"], lab["psql2"]
    no_node_list(lab)
    cluster_nodes(lab, None)
    lab.init_primary_data(p1)
    # Not run by Pacemaker (no CRM_meta_on_node), as under plain ocf-tester;
    # run by Pacemaker, an unreadable node list fails instead (functional tier).
    alone = {"on_node": None}
    expect_rc(run_agent(p1, "validate-all", meta=alone), 0, p1, "validate-all with no cluster")
    expect_rc(run_agent(p1, "start", meta=alone), 0, p1, "start alone")
    assert p1.sql("SELECT pg_is_in_recovery()") == "t"
    expect_rc(run_agent(p1, "promote", meta=alone), 0, p1, "promote alone")
    expect_rc(monitor(p1, "Promoted", meta=dict(alone)), 8, p1, "monitor alone")
    expect_rc(run_agent(p1, "stop", meta=alone), 0, p1, "stop alone")
    # Empty data and no cluster: nothing to clone from, nothing initialised.
    res = run_agent(p2, "start", meta=alone)
    expect_rc(res, 1, p2, "start on empty data with no cluster")
    assert len(res.exit_reasons()) == 1, res
    assert not (p2.data / "PG_VERSION").exists()
    assert not p2.postmaster_alive()


def test_three_node_cluster_needs_node_list(lab, agent):
    p1 = lab["psql1"]
    no_node_list(lab)
    cluster_nodes(lab, ["psql1", "psql2", "witness"])
    lab.init_primary_data(p1)
    for action in ("validate-all", "start"):
        res = run_agent(p1, action)
        expect_rc(res, 6, p1, f"{action} in a three-node cluster without node_list")
        assert len(res.exit_reasons()) == 1 and "node_list" in res.exit_reasons()[0], res
    assert not p1.postmaster_alive()
