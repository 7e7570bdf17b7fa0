# SPDX-License-Identifier: GPL-2.0-or-later
"""ocf-tester (Debian resource-agents) against a real instance in VM mode.

ocf-tester runs meta-data (validated against ra-api-1.dtd), validate-all,
probe, start/stop twice, monitor, and the demote/promote cycle, without
notify data and without OCF_RESKEY_CRM_meta_on_node: the node name comes from
`crm_node -n` (the test double, answering "psql1"). Assumption F1: a lone,
cleanly stopped primary with no peer may be promoted on local checks.
"""

import shutil

import pytest

from harness.agent import base_params
from harness.lab import run

pytestmark = pytest.mark.modes("vm")


@pytest.mark.skipif(shutil.which("ocf-tester") is None, reason="ocf-tester (resource-agents) not installed")
def test_ocf_tester_passes(lab, agent):
    host = lab["psql1"]
    lab.init_primary_data(host)
    params = base_params(host)
    argv = ["ip", "netns", "exec", host.ns, "env", "-i",
            f"PATH={host.stub_dir}:/usr/sbin:/usr/bin:/sbin:/bin", f"HA_LOGFILE={host.agent_log}",
            "OCF_RESOURCE_INSTANCE=pgsql", "ocf-tester", "-v", "-n", "pgsql"]
    for key, value in params.items():
        argv += ["-o", f"{key}={value}"]
    res = run(argv + [agent], timeout=600)
    assert res.rc == 0 and "Tests failed" not in res.out + res.err, f"{res}\n{host.log_tail()}"
    assert not host.postmaster_alive(), "ocf-tester ends with stop: nothing may keep running"
