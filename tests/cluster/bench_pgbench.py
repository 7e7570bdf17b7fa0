#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""pgbench TPS through the lab's VIP (a benchmark, not a test).

usage: PGTWIN_CLUSTER_MODE=vm|container tests/cluster/bench_pgbench.py
           [--scale 5] [--clients 4] [--seconds 30] [--runs 3] [--keep]

Brings the lab up in the given mode (scripts/lab up --fresh + the mode's
setup) unless a settled cluster runs, creates a `bench` role and database on
the primary, initialises pgbench there, then runs `pgbench -T SECONDS -c
CLIENTS -j 2` RUNS times from the lab's client host (10.231.0.10) against the
VIP 10.231.0.100 (traffic only inside the lab) and prints the TPS of each run
and the median. Synchronous replication to the standby is on (rep_mode=sync),
as in the HA scenarios. Needs root and PGTWIN_BIN.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import labkit  # noqa: E402
import pgkit  # noqa: E402

PASSWORD = "bench-lab-password"


def prepare(lab, primary, workdir, scale):
    pgkit.sql(lab, primary, "DO $$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname='bench') "
              f"THEN CREATE ROLE bench LOGIN PASSWORD '{PASSWORD}'; END IF; END$$")
    if pgkit.sql(lab, primary, "SELECT count(*) FROM pg_database WHERE datname='bench'") == "0":
        pgkit.sql(lab, primary, "CREATE DATABASE bench OWNER bench")
    passfile = workdir / "bench.pgpass"
    passfile.write_text(f"*:*:*:bench:{PASSWORD}\n")
    os.chmod(passfile, 0o600)
    pgbench(lab, passfile, ["-i", "-q", "-s", str(scale)], timeout=600)
    return passfile


def pgbench(lab, passfile, args, timeout):
    argv = [str(labkit.LAB_SCRIPT), "client", "env", f"PGPASSFILE={passfile}",
            f"{pgkit.PGBIN}/pgbench", "-h", pgkit.VIP, "-U", "bench", "-d", "bench"] + args
    return subprocess.run(argv, env=lab.env, capture_output=True, text=True, timeout=timeout,
                          check=True).stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", type=int, default=5)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", action="store_true", help="leave the lab running")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench_pgbench: run as root")
    lab = labkit.Lab()
    lab.env.setdefault("PGTWIN_BIN", str(labkit.REPO / "build-ci" / "pgtwin"))
    lab.workdir = Path("/var/tmp/pgtwin-bench")
    lab.workdir.mkdir(exist_ok=True)
    try:
        if pgkit.settled_or_none(lab) is None:
            lab.down()
            lab.up()
            lab.run(pgkit.SETUP_COMMAND, str(pgkit.CONFIG), timeout=420)
        primary, _ = pgkit.wait_settled(lab, timeout=300)
        passfile = prepare(lab, primary, lab.workdir, args.scale)
        print(f"cluster mode {pgkit.MODE}, primary {primary}, scale {args.scale}, "
              f"clients {args.clients}, {args.seconds} s per run")
        tps = []
        for i in range(1, args.runs + 1):
            out = pgbench(lab, passfile, ["-T", str(args.seconds), "-c", str(args.clients), "-j", "2", "-n"],
                          timeout=args.seconds + 120)
            m = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", out)
            assert m, f"no tps in pgbench output: {out}"
            tps.append(float(m.group(1)))
            print(f"run {i}: {tps[-1]:.1f} tps", flush=True)
        print(f"median tps: {statistics.median(tps):.1f} (min {min(tps):.1f}, max {max(tps):.1f})")
    finally:
        if not args.keep:
            lab.down()
    return 0


if __name__ == "__main__":
    sys.exit(main())
