# SPDX-License-Identifier: GPL-2.0-or-later
"""Smoke test of the lab itself, with Pacemaker's own Stateful agent and
IPaddr2 (examples/lab-stateful-smoke.crm): membership, promotion, VIP
placement, real fencing (requested and Pacemaker-initiated) and teardown.
Tests run in file order and build on each other's cluster state.
"""
import pytest

import labkit

CONFIG = labkit.REPO / "examples" / "lab-stateful-smoke.crm"
CLONE = "smoke-clone"
VIP = "smoke-vip"
VIP_ADDR = f"{labkit.topology.VIP}/{labkit.topology.PREFIX_LEN}"


def stable_promoted(lab, node=None):
    """The single promoted node once clone and VIP are settled, else None."""
    st = lab.state(node)
    promoted = st.nodes_with_role(CLONE, "Promoted")
    unpromoted = st.nodes_with_role(CLONE, "Unpromoted")
    if (st.online_nodes() == list(labkit.NODES) and len(promoted) == 1
            and len(unpromoted) == 1 and st.resource_nodes(VIP) == promoted):
        return promoted[0]
    return None


def other(node):
    return "psql2" if node == "psql1" else "psql1"


def fence_events(lab, observer, target):
    out = lab.exec(observer, "stonith_admin", "--history", target, "--output-as=xml")
    return [e for e in labkit.parse_fence_history(out.stdout, target)
            if e.get("status") == "success"]


@pytest.fixture(scope="module")
def smoke(lab):
    labkit.load_crm(lab, CONFIG)
    return lab


def test_both_nodes_online(lab):
    st = labkit.wait_for("both nodes online", lambda: lab.state("psql1"), timeout=180)
    assert st.online_nodes() == ["psql1", "psql2"]
    assert all(not n.unclean for n in st.nodes.values())
    assert sum(n.is_dc for n in st.nodes.values()) == 1


def test_stateful_clone_promoted_on_one_node(smoke):
    node = labkit.wait_for("one promoted instance", lambda: stable_promoted(smoke), timeout=180)
    st = smoke.state()
    assert st.nodes_with_role(CLONE, "Unpromoted") == [other(node)]


def test_vip_lives_only_in_the_promoted_nodes_namespace(smoke):
    node = labkit.wait_for("one promoted instance", lambda: stable_promoted(smoke), timeout=180)
    assert VIP_ADDR in smoke.addresses(node)
    assert VIP_ADDR not in smoke.addresses(other(node))


def test_stonith_reboot_fences_and_node_rejoins(smoke):
    before_holder = smoke.holder_pid("psql2")
    before = len(fence_events(smoke, "psql1", "psql2"))
    smoke.exec("psql1", "stonith_admin", "--reboot", "psql2", "--timeout", "120", timeout=180)
    # The node really is off: its process tree is gone and psql1 sees it offline.
    assert smoke.holder_pid("psql2") != before_holder
    labkit.wait_for("psql2 back with a new boot",
                    lambda: smoke.holder_pid("psql2") not in (None, before_holder), timeout=120)
    labkit.wait_for("both nodes online again", lambda: stable_promoted(smoke, "psql1"), timeout=240)
    assert len(fence_events(smoke, "psql1", "psql2")) == before + 1
    assert smoke.addresses("psql2").count(f"{labkit.ADDRESS['psql2']}/{labkit.topology.PREFIX_LEN}") == 1


def test_killed_promoted_node_is_fenced_by_pacemaker(smoke):
    victim = labkit.wait_for("one promoted instance", lambda: stable_promoted(smoke), timeout=180)
    survivor = other(victim)
    before_holder = smoke.holder_pid(victim)
    before = len(fence_events(smoke, survivor, victim))
    smoke.run("kill-node", victim)
    assert smoke.holder_pid(victim) is None
    # Pacemaker on the survivor notices the loss and fences (reboots) the victim.
    labkit.wait_for(f"fencing of {victim}",
                    lambda: len(fence_events(smoke, survivor, victim)) > before, timeout=180)
    labkit.wait_for(f"{victim} rebooted",
                    lambda: smoke.holder_pid(victim) not in (None, before_holder), timeout=120)
    promoted = labkit.wait_for("cluster settled after the fence",
                               lambda: stable_promoted(smoke, survivor), timeout=240)
    assert promoted == survivor
    # The rebooted node came back with a clean address list: no stale VIP.
    assert VIP_ADDR in smoke.addresses(survivor)
    assert VIP_ADDR not in smoke.addresses(victim)


def test_teardown_leaves_nothing(lab):
    namespaces = lab.node_mount_namespaces()
    pids = labkit.lab_pids(lab)
    before = labkit.now_ticks()
    assert pids and namespaces
    lab.down()
    assert labkit.leftovers(lab, namespaces, pids, before) == []
    lab.down()  # idempotent
    assert labkit.leftovers(lab, namespaces, pids, before) == []
