# SPDX-License-Identifier: GPL-2.0-or-later
"""Rolling image update (container mode only; issue 9 item 7), as
docs/CONTAINER_MODE_SETUP.md "Updating the image" tells an administrator:

1. the new image is loaded on both nodes;
2. the standby's instance is stopped (a ban of the clone on its node), its
   node gets the new image through a per-node rule on container_image (an
   instance_attributes set with a #uname rule, which leaves the primary's
   evaluated parameters unchanged), the ban is cleared: it starts from the
   new image;
3. switchover to the updated node (move of the promoted role, then clear);
4. the same for the old primary, now the standby: ban, container_image
   itself set to the new image and the rule removed, clear.

Why stop and start explicitly: Pacemaker restarts an instance for changed
parameters only when its last operation was a start or promote; after a
demote (every switchover) a parameter change goes unnoticed until the next
start (found by this test: step 4 left the old primary on the old image).

A writer commits through the VIP all along: no acknowledged row may be lost,
no node may be restarted out of turn, and the one write pause (the
switchover) is measured and reported (stalls.py), not bounded by a number.
The second image is lab/build-test-image's :15-next (the test image with
one more label: another image ID, same PostgreSQL).
"""
import subprocess

import pytest

import labkit
import pgkit

pytestmark = pytest.mark.skipif(not pgkit.CONTAINER or pgkit.IMAGE != pgkit.DEFAULT_IMAGE,
                                reason="rolling image update: container mode with the default image")

NEXT = pgkit.DEFAULT_IMAGE + "-next"
RULE_SET = "pgsql-image-roll"


def load_next_image(lab):
    """Step 1: podman save on the host, podman load on each node."""
    conf = str(labkit.REPO / "lab" / "containers.conf")
    subprocess.run([str(labkit.REPO / "lab" / "build-test-image")], check=True, capture_output=True)
    tar = lab.workdir / "next.tar"
    subprocess.run(["podman", "save", "-o", str(tar), NEXT], check=True, capture_output=True,
                   env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "CONTAINERS_CONF": conf})
    for node in labkit.NODES:
        lab.exec(node, "podman", "load", "-q", "-i", str(tar), timeout=300)


def running_image(lab, node):
    out = lab.exec(node, "podman", "inspect", "--type", "container", "--format", "{{.ImageName}}",
                   pgkit.container_name(node), timeout=30, check=False)
    return out.stdout.strip() if out.returncode == 0 else None


def container_started(lab, node):
    out = lab.exec(node, "podman", "inspect", "--type", "container", "--format", "{{.State.StartedAt}}",
                   pgkit.container_name(node), timeout=30, check=False)
    return out.stdout.strip() if out.returncode == 0 else None


def image_rule_for(lab, node, image):
    """Step 2: container_image=IMAGE on NODE only (a rule-bound attribute set)."""
    xml = (f'<primitive id="{pgkit.RSC}"><instance_attributes id="{RULE_SET}" score="100">'
           f'<rule id="{RULE_SET}-rule" score="INFINITY"><expression id="{RULE_SET}-expr" '
           f'attribute="#uname" operation="eq" value="{node}"/></rule>'
           f'<nvpair id="{RULE_SET}-image" name="container_image" value="{image}"/>'
           f'</instance_attributes></primitive>')
    lab.exec(node, "cibadmin", "--modify", "--xml-text", xml)


def image_for_all(lab, image):
    """Step 4: container_image=IMAGE in the resource's own set, the rule removed."""
    node = pgkit.labkit_any(lab)
    lab.exec(node, "crm_resource", "-r", pgkit.RSC, "--set-name", f"{pgkit.RSC}-instance_attributes",
             "--set-parameter", "container_image", "--parameter-value", image)
    lab.exec(node, "cibadmin", "--delete", "--xml-text", f'<instance_attributes id="{RULE_SET}"/>')


def stop_instance(lab, node):
    """A ban of the clone on NODE: Pacemaker stops that instance only."""
    lab.exec(node, "crm_resource", "--ban", "-r", pgkit.CLONE, "-N", node)
    labkit.wait_for(f"the instance on {node} stopped",
                    lambda: node not in lab.state(pgkit.other(node)).nodes_with_role(pgkit.CLONE, "Unpromoted")
                    and container_started(lab, node) is None, timeout=180, interval=1)


def start_instance(lab, node):
    lab.exec(node, "crm_resource", "--clear", "-r", pgkit.CLONE, "-N", node)


def wait_image(lab, node, image, timeout=300):
    labkit.wait_for(f"{node} running {image} in a settled cluster",
                    lambda: running_image(lab, node) == image and pgkit.settled(lab), timeout=timeout, interval=2)


def test_rolling_image_update_standby_first(pgtwin_lab):
    lab = pgtwin_lab
    primary, standby = pgkit.restore_settled(lab)
    old = running_image(lab, primary)
    assert old == pgkit.IMAGE and running_image(lab, standby) == old
    load_next_image(lab)
    with pgkit.Scenario(lab, "rolling-image-update") as sc:
        primary_started = container_started(lab, primary)
        stop_instance(lab, standby)
        image_rule_for(lab, standby, NEXT)
        start_instance(lab, standby)
        wait_image(lab, standby, NEXT)
        assert container_started(lab, primary) == primary_started, "the primary was restarted with the standby"
        assert running_image(lab, primary) == old
        sc.more_acks(20)
        with sc.failover(f"switchover to the updated {standby}"):
            lab.exec(standby, "crm_resource", "--move", "--promoted", "-r", pgkit.CLONE, "-N", standby)
            pgkit.wait_promoted(lab, standby, observer=standby)
        lab.crm("resource", "clear", pgkit.CLONE)
        assert pgkit.wait_settled(lab, timeout=180) == (standby, primary)
        sc.more_acks(20)
        new_primary_started = container_started(lab, standby)
        stop_instance(lab, primary)
        image_for_all(lab, NEXT)
        start_instance(lab, primary)
        wait_image(lab, primary, NEXT)
        assert container_started(lab, standby) == new_primary_started, "the new primary was restarted"
        assert pgkit.wait_settled(lab, timeout=180) == (standby, primary)
        sc.more_acks(20)
        missing = sc.finish(standby)
    assert missing == []
    assert pgkit.missing_rows(lab, primary, sc.writer.acked()) == []
