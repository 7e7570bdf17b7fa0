# SPDX-License-Identifier: GPL-2.0-or-later
"""docs/SETUP.md's commands are the ones the lab runs.

The blocks of SETUP.md marked `sh setup:<where>` hold the commands an
administrator types; lab/pgtwin-setup is what the lab (demo,
cluster tier) runs. Both are executed here with recording stubs, nothing is
prepared for real: the doc's `scripts/pg-prepare-node` and `crm` lines with
the doc's `setup:settings` values, and the lab's script with a stub
`lab/lab` (which receives `lab exec NODE .../pg-prepare-node ...` and
`lab crm ...`). The test fails when the two sequences of pg-prepare-node
calls (node, options and values) or the crm load differ. Only the crm file's
name may differ: the doc loads the administrator's edited copy of the example
the lab loads.
"""
import os
import re
import shutil
import subprocess

import pytest

from conftest import ROOT

SETUP = ROOT / "docs" / "SETUP.md"
LAB_HOME = ROOT / "lab"
EXAMPLE = ROOT / "examples" / "vm-mode-cluster.crm"


def blocks():
    """{where: text} of the ```sh setup:<where> blocks."""
    found = {}
    for m in re.finditer(r"^```sh setup:(\S+)\n(.*?)^```", SETUP.read_text(), re.M | re.S):
        found[m.group(1)] = m.group(2)
    return found


def commands(text, pattern):
    """Lines (continuations joined) that start with pattern."""
    joined = text.replace("\\\n", " ")
    return [line.strip() for line in joined.splitlines() if re.match(pattern, line.strip())]


def parse(log):
    """[(node, tool, {option: value})] from 'node tool args...' lines."""
    calls = []
    for line in log.splitlines():
        node, tool, *args = line.split("\x1f")
        opts, i = {}, 0
        while i < len(args):
            if i + 1 < len(args) and not args[i + 1].startswith("--"):
                opts[args[i]] = args[i + 1]
                i += 2
            else:
                opts[args[i]] = None
                i += 1
        calls.append((node, tool, opts))
    return calls


RECORD = 'rec() { node=$1; shift; (IFS=$(printf "\\037"); echo "$node$IFS$*") >> "$LOG"; }\n'


def doc_calls(tmp):
    b = blocks()
    for where in ("settings", "psql1", "psql2", "cluster"):
        assert where in b, f"SETUP.md has no ```sh setup:{where} block"
    script = RECORD + b["settings"]
    for node in ("psql1", "psql2"):
        for cmd in commands(b[node], r"scripts/pg-prepare-node\b"):
            script += f"rec {node} pg-prepare-node {cmd.split(None, 1)[1]}\n"
    for cmd in commands(b["cluster"], r"crm\b"):
        script += f"rec cluster {cmd}\n"
    log = tmp / "doc.log"
    p = subprocess.run(["bash", "-c", script], env=dict(os.environ, LOG=str(log)),
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return parse(log.read_text())


def lab_calls(tmp):
    home = tmp / "lab"
    home.mkdir()
    for name in ("pgtwin-setup", "common.sh", "topology"):
        shutil.copy(LAB_HOME / name, home / name)
    (home / "lab").write_text(
        "#!/bin/bash\n" + RECORD +
        'case "$1" in\n'
        '  exec) node=$2; tool=$(basename "$3"); shift 3; rec "$node" "$tool" "$@" ;;\n'
        '  crm) rec cluster "$@" ;;\n'
        '  *) echo "unexpected lab $*" >&2; exit 1 ;;\n'
        'esac\n')
    (home / "lab").chmod(0o755)
    log = tmp / "lab.log"
    env = dict(os.environ, LOG=str(log), PGTWIN_LAB_DIR=str(tmp / "labdir"))
    p = subprocess.run(["bash", str(home / "pgtwin-setup"), str(EXAMPLE)], env=env,
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return parse(log.read_text())


def test_setup_doc_runs_what_the_lab_runs(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("the lab's setup script chowns to postgres: needs root")
    doc, lab = doc_calls(tmp_path), lab_calls(tmp_path)
    crm_doc = [c for c in doc if c[0] == "cluster"]
    crm_lab = [c for c in lab if c[0] == "cluster"]
    assert [c for c in doc if c[0] != "cluster"] == [c for c in lab if c[0] != "cluster"]
    # 'crm configure load update FILE': the same command, the doc's file is the admin's copy.
    assert [(n, t, sorted(o)) for n, t, o in crm_doc] == [(n, t, sorted(o)) for n, t, o in crm_lab]
    assert len(crm_lab) == 1 and crm_lab[0][2].get("update") == str(EXAMPLE)
