# SPDX-License-Identifier: GPL-2.0-or-later
"""Running the agent on a container-mode lab host.

The VM tier's agent.py builds the OCF environment and replays Pacemaker's
notify sequences; only the way the binary is started differs here: through
./in-node (cgroup mounts for podman) with CONTAINERS_CONF pointing at
scripts/containers.conf. agent.run_agent is replaced by ct_run_agent so that
agent.Cluster, agent.monitor and agent.notify use it unchanged.
"""

import agent as vmagent
from ctlab import CONTAINERS_CONF, IN_NODE, run
from lab import agent_binary


def ct_run_agent(host, action, params=None, meta=None, extra=None, env_override=None):
    """Runs `pgtwin <action>` on host (netns + cgroup mounts); returns lab.Result."""
    more = {"CONTAINERS_CONF": CONTAINERS_CONF, "PGTWIN_STATE_DIR": str(host.dir / "state")}
    more.update(host.runtime_env())
    more.update(extra or {})
    env = env_override if env_override is not None else vmagent.agent_env(host, action, params, meta, more)
    timeout_s = int(env.get("OCF_RESKEY_CRM_meta_timeout", "30000")) / 1000 + 15
    argv = [str(IN_NODE), host.ns, "env", "-i"] + \
        [f"{k}={v}" for k, v in sorted(env.items())] + [agent_binary(), action]
    res = run(argv, timeout=timeout_s)
    res.argv = [agent_binary(), action, f"(on {host.name})"]
    with open(host.dir / "agent-calls.log", "a") as f:
        f.write(f"=== {action} rc={res.rc}\n{res.err}\n")
    return res


vmagent.run_agent = ct_run_agent
run_agent = ct_run_agent
monitor = vmagent.monitor
notify = vmagent.notify
Cluster = vmagent.Cluster
expect_rc = vmagent.expect_rc
wait_streaming = vmagent.wait_streaming
wait_row = vmagent.wait_row
bootstrap_pair = vmagent.bootstrap_pair
