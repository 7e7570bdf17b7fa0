# SPDX-License-Identifier: GPL-2.0-or-later
"""Driving the pgtwin binary the way Pacemaker does, inside a lab host.

run_agent() builds the OCF environment from scratch (env -i) and runs the
binary on the host the way its mode needs (Host.agent_prefix and
Host.agent_env: `ip netns exec` in VM mode; ./in-node, which mounts the
cgroups podman needs, and CONTAINERS_CONF in container mode). notify() and
Cluster replay the sequences a promotable clone with notify=true goes
through (pre/post notifications on every active instance around start,
stop, promote, demote).
"""

import time

from .lab import PG_BINDIR, PORT, RESOURCE, agent_binary, run, wait_for

# Default operation timeouts (ms), like a sensible crm configuration.
TIMEOUTS = {"start": 120000, "stop": 60000, "promote": 60000, "demote": 60000,
            "monitor": 15000, "notify": 30000, "validate-all": 15000, "meta-data": 10000}
# Recurring monitor intervals (ms) per role.
INTERVALS = {"Promoted": 9000, "Unpromoted": 10000}


def base_params(host):
    """OCF_RESKEY_* parameters of the resource as configured in the test cluster."""
    lab = host.lab
    return {
        "pgdata": str(host.data),
        "pghost": str(host.run_dir),
        "pgport": str(PORT),
        "pg_bindir": PG_BINDIR,
        "rep_user": "replicator",
        "pgpassfile": str(host.passfile),
        "node_list": " ".join(lab.hosts),
        "node_addresses": " ".join(f"{h.name}={h.addr}" for h in lab.hosts.values()),
        "rep_mode": "sync",
        "logfile": str(host.pg_log),
    }


def agent_env(host, action, params=None, meta=None, extra=None):
    """The complete environment of one agent invocation."""
    lab = host.lab
    env = {
        "PATH": f"{host.stub_dir}:/usr/sbin:/usr/bin:/sbin:/bin",
        "OCF_ROOT": "/usr/lib/ocf",
        "OCF_RA_VERSION_MAJOR": "1",
        "OCF_RA_VERSION_MINOR": "1",
        "OCF_RESOURCE_INSTANCE": RESOURCE,
        "OCF_RESOURCE_TYPE": "pgtwin",
        "OCF_RESOURCE_PROVIDER": "pgtwin",
        "PGTWIN_LOG_STDERR": "1",
        "HA_LOGFILE": str(host.agent_log),
        "PGTWIN_STUB_STATE": str(lab.state_file),
        "PGTWIN_STUB_NODE": host.name,
    }
    env.update(host.agent_env())
    merged = dict(base_params(host))
    merged.update(lab.overrides.get(host.name, {}))
    merged.update(params or {})
    for key, value in merged.items():
        if value is not None:
            env[f"OCF_RESKEY_{key}"] = value
    m = {"on_node": host.name, "timeout": str(TIMEOUTS.get(action, 30000)),
         "interval": "0", "notify": "true", "clone_max": "2", "clone_node_max": "1",
         "promoted_max": "1", "master_max": "1", "promoted_node_max": "1",
         "master_node_max": "1", "promotable": "true", "globally_unique": "false",
         "name": action}
    m.update(meta or {})
    for key, value in m.items():
        if value is not None:
            env[f"OCF_RESKEY_CRM_meta_{key}"] = value
    env.update(extra or {})
    return env


def run_agent(host, action, params=None, meta=None, extra=None, env_override=None):
    """Runs `pgtwin <action>` in host's namespace; returns lab.Result.

    params: OCF_RESKEY_<k> overrides (None removes one); meta:
    OCF_RESKEY_CRM_meta_<k> overrides; extra: other variables.
    The subprocess is killed 15 s after the operation timeout; that is reported
    as timed_out (the agent must never outlive its timeout).
    """
    env = env_override if env_override is not None else agent_env(host, action, params, meta, extra)
    timeout_s = int(env.get("OCF_RESKEY_CRM_meta_timeout", "30000")) / 1000 + 15
    argv = host.agent_prefix() + ["env", "-i"] + [f"{k}={v}" for k, v in sorted(env.items())] + \
        [agent_binary(), action]
    res = run(argv, timeout=timeout_s)
    res.argv = [agent_binary(), action, f"(on {host.name})"]
    with open(host.dir / "agent-calls.log", "a") as f:
        f.write(f"=== {action} rc={res.rc}\n{res.err}\n")
    return res


def monitor(host, role=None, **kw):
    """Recurring monitor for `role` (Promoted/Unpromoted), or a probe if None."""
    meta = dict(kw.pop("meta", {}) or {})
    if role:
        meta.setdefault("interval", str(INTERVALS[role]))
        meta.setdefault("role", role)
    return run_agent(host, "monitor", meta=meta, **kw)


def notify_meta(kind, operation, active, promoted, targets, all_nodes):
    """OCF_RESKEY_CRM_meta_notify_* as Pacemaker 2.1 sets them (both old and new names)."""
    unpromoted = [n for n in active if n not in promoted]
    inactive = [n for n in all_nodes if n not in active]
    ops = {op: (targets if op == operation else []) for op in ("start", "stop", "promote", "demote")}

    def rsc(names):
        return " ".join(f"{RESOURCE}:{sorted(all_nodes).index(n)}" for n in names)

    meta = {"notify_type": kind, "notify_operation": operation, "notify_key_type": kind,
            "notify_key_operation": operation}
    lists = {"active": active, "promoted": promoted, "master": promoted,
             "unpromoted": unpromoted, "slave": unpromoted, "inactive": inactive,
             "available": all_nodes, "all": all_nodes}
    lists.update(ops)
    for name, nodes in lists.items():
        meta[f"notify_{name}_uname"] = " ".join(nodes)
        meta[f"notify_{name}_resource"] = rsc(nodes)
    return meta


def notify(host, kind, operation, active, promoted, targets, **kw):
    meta = notify_meta(kind, operation, active, promoted, targets, list(host.lab.hosts))
    return run_agent(host, "notify", meta=meta, **kw)


class Cluster:
    """Replays Pacemaker's notify sequences; tracks which instances run where."""

    def __init__(self, lab):
        self.lab = lab
        self.active = []      # node names with a started instance
        self.promoted = []    # node names with the promoted instance

    def _notify_all(self, kind, operation, targets, nodes):
        for name in nodes:
            res = notify(self.lab[name], kind, operation, list(self.active), list(self.promoted), targets)
            assert res.rc == 0, f"{kind}-{operation} notify on {name} failed:\n{res}"

    def _op(self, host, operation, expected_rc, params=None, meta=None):
        targets = [host.name]
        self._notify_all("pre", operation, targets, [n for n in self.active])
        res = run_agent(host, operation, params=params, meta=meta)
        if res.rc == expected_rc:
            self._track(host.name, operation)
            self._notify_all("post", operation, targets, list(self.active))
        return res

    def _track(self, name, operation):
        if operation == "start" and name not in self.active:
            self.active.append(name)
        elif operation == "stop":
            self.active = [n for n in self.active if n != name]
            self.promoted = [n for n in self.promoted if n != name]
        elif operation == "promote" and name not in self.promoted:
            self.promoted.append(name)
        elif operation == "demote":
            self.promoted = [n for n in self.promoted if n != name]

    def start(self, host, **kw):
        return self._op(host, "start", 0, **kw)

    def stop(self, host, **kw):
        return self._op(host, "stop", 0, **kw)

    def promote(self, host, **kw):
        return self._op(host, "promote", 0, **kw)

    def demote(self, host, **kw):
        return self._op(host, "demote", 0, **kw)

    def forget(self, host):
        """The node vanished (crash without fencing in these tests)."""
        self._track(host.name, "stop")


# ---------------------------------------------------------------- assertions

def expect_rc(res, rc, host=None, what=""):
    """Asserts an agent exit code with everything needed to debug it."""
    if res.rc != rc or res.timed_out:
        logs = host.log_tail() if host is not None else ""
        raise AssertionError(f"{what} expected rc {rc}, got {res.rc}\n{res}\n{logs}")


def wait_streaming(primary, standby, tries=60):
    """Polls pg_stat_replication on the primary until standby streams."""
    q = f"SELECT state FROM pg_stat_replication WHERE application_name = '{standby.name}'"
    return wait_for(lambda: primary.sql(q) == "streaming", tries=tries, delay=0.5)


def wait_row(host, table, value, tries=60):
    """Polls until `value` is in `table` on host."""
    q = f"SELECT count(*) FROM {table} WHERE v = '{value}'"
    return wait_for(lambda: host.sql_ok(q) and host.sql(q) == "1", tries=tries, delay=0.5)


def settle(primary, standby, tries=10):
    """Steady state: the primary's recurring monitor (as Pacemaker runs it every
    interval) has seen the standby in sync; test_sync.py checks how fast."""
    lab = primary.lab
    for _ in range(tries):
        expect_rc(monitor(primary, "Promoted"), 8, primary, f"monitor {primary.name}")
        if (lab.promotion_score(standby.name) or 0) > 0:
            return
        time.sleep(0.5)
    raise AssertionError(f"{standby.name} never promotable: {lab.stub_state()}\n{primary.log_tail()}")


def bootstrap_pair(the_lab, cl):
    """psql1 primary (started as standby, promoted), psql2 auto-initialised standby."""
    p1, p2 = the_lab["psql1"], the_lab["psql2"]
    the_lab.init_primary_data(p1)
    expect_rc(cl.start(p1), 0, p1, "start psql1")
    expect_rc(cl.promote(p1), 0, p1, "promote psql1")
    expect_rc(monitor(p1, "Promoted"), 8, p1, "monitor promoted psql1")
    expect_rc(cl.start(p2), 0, p2, "start psql2 (auto-init)")
    assert wait_streaming(p1, p2), f"psql2 does not stream\n{p2.log_tail()}"
    expect_rc(monitor(p2, "Unpromoted"), 0, p2, "monitor psql2")
    settle(p1, p2)
    p1.sql("CREATE TABLE IF NOT EXISTS t (v text PRIMARY KEY)")
    return p1, p2
