#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Monitor, start and stop wall times: container mode vs VM mode, same machine.

Usage: tests/container/bench.py [N]    (root; PGTWIN_BIN = agent binary)

For each mode: a primary and a streaming standby made by the tiers' own
harnesses, then N recurring monitors per role, timed inside the host's
namespace (the namespace entry itself is not counted), and the times of
stop and start of the standby (start: container/PostgreSQL up, streaming
set-up included). Prints one JSON object.
"""

import fcntl
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent / "integration"))

import ctlab  # noqa: E402
import ctagent  # noqa: E402,F401
import agent as vmagent  # noqa: E402
import lab as vmlab  # noqa: E402

TIMER = r"""
import json, os, subprocess, sys, time
argv, n = json.loads(sys.argv[1]), int(sys.argv[2])
env = json.loads(os.environ.pop("BENCH_ENV"))
out = []
for _ in range(n):
    t = time.monotonic()
    rc = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    out.append([rc, (time.monotonic() - t) * 1000])
print(json.dumps(out))
"""


def timed(host, prefix, action, n, role=None, extra=None):
    meta = {"interval": str(vmagent.INTERVALS[role]), "role": role} if role else {}
    more = dict(extra or {})
    env = vmagent.agent_env(host, action, None, meta, more)
    argv = [vmlab.agent_binary(), action]
    res = vmlab.run(prefix + ["env", f"BENCH_ENV={json.dumps(env)}", "/usr/bin/python3", "-c", TIMER,
                              json.dumps(argv), str(n)], timeout=600, check=True)
    return json.loads(res.out)


def summary(samples, expect_rc):
    bad = [rc for rc, _ in samples if rc != expect_rc]
    ms = [t for _, t in samples]
    return {"n": len(ms), "median_ms": round(statistics.median(ms), 1), "min_ms": round(min(ms), 1),
            "max_ms": round(max(ms), 1), "wrong_rc": len(bad)}


def measure(the_lab, prefix_of, extra_of, n):
    cl = vmagent.Cluster(the_lab)
    p1, p2 = vmagent.bootstrap_pair(the_lab, cl)
    for _ in range(3):
        vmagent.monitor(p1, "Promoted")
    r = {"monitor_primary": summary(timed(p1, prefix_of(p1), "monitor", n, "Promoted", extra_of(p1)), 8),
         "monitor_standby": summary(timed(p2, prefix_of(p2), "monitor", n, "Unpromoted", extra_of(p2)), 0)}
    r["stop_standby"] = summary(timed(p2, prefix_of(p2), "stop", 1, None, extra_of(p2)), 0)
    r["start_standby"] = summary(timed(p2, prefix_of(p2), "start", 1, None, extra_of(p2)), 0)
    return r


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    vmlab.REAPER.start()
    results = {}
    # Container mode.
    with open(ctlab.LOCK_FILE, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        tmp = Path(tempfile.mkdtemp(prefix="pgtwin-ctest-bench-", dir="/tmp"))
        lab = ctlab.CtLab().create()
        try:
            p1 = lab["psql1"]
            assert ctagent.run_agent(p1, "start", meta={"timeout": "30000"}).rc == 0
            assert ctagent.run_agent(p1, "promote").rc == 0
            p1.sql_script(ctlab.ROLE_SQL.format(pw=ctlab.REP_PASSWORD))
            assert ctagent.run_agent(p1, "stop").rc == 0
            vmlab.run(["cp", "-a", p1.data, tmp / "data"], check=True)
        finally:
            lab.destroy()
        lab = ctlab.CtLab(template=tmp / "data").create()
        try:
            results["container"] = measure(
                lab, lambda h: [str(ctlab.IN_NODE), h.ns],
                lambda h: {"CONTAINERS_CONF": ctlab.CONTAINERS_CONF, "PGTWIN_STATE_DIR": str(h.dir / "state")}, n)
        finally:
            lab.destroy()
            shutil.rmtree(tmp, ignore_errors=True)
    # VM mode, the VM tier's harness unchanged (its own lock and namespaces).
    vmagent.run_agent = VM_RUN_AGENT
    with open("/run/pgtwin-itest.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        root = Path(tempfile.mkdtemp(prefix="pgtwin-itest-template-", dir="/tmp"))
        os.chmod(root, 0o755)
        (root / "run").mkdir()
        shutil.chown(root / "run", "postgres", "postgres")
        (root / "pw").write_text(vmlab.REP_PASSWORD + "\n")
        vmlab.prepare_node(root / "data", root / "pgpass", root / "pw", init=True)
        lab = vmlab.Lab(template=root / "data").create()
        try:
            results["vm"] = measure(lab, lambda h: ["ip", "netns", "exec", h.ns], lambda h: {}, n)
        finally:
            lab.destroy()
            shutil.rmtree(root, ignore_errors=True)
    print(json.dumps(results, indent=1))


VM_RUN_AGENT = None

if __name__ == "__main__":
    import importlib
    # ctagent replaced agent.run_agent at import; keep the VM original for the VM part.
    VM_RUN_AGENT = importlib.reload(vmagent).run_agent
    vmagent.run_agent = ctagent.ct_run_agent
    main()
