# SPDX-License-Identifier: GPL-2.0-or-later
"""Fixtures of the cluster tier: a real two-node Pacemaker+Corosync lab.

Run as root: /usr/bin/python3 -m pytest tests/cluster
PGTWIN_CLUSTER_MODE=vm|container (default vm) picks the mode of the pgtwin
scenarios; tests/cluster/run.sh runs both, one lab per mode.
There is one lab on the machine, held by one of two fixtures at a time:
`lab` (a bare lab per module, the lab's own smoke test) or `pgtwin_lab` (one
lab with pgtwin set up for the whole session). Tests that use `lab` run
first, whatever the file order (pytest_collection_modifyitems), so the two
never hold the lab together. Either brings it up fresh and always tears it
down, also after failures; the teardown is then checked (labkit.managed_lab).
"""
import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import labkit  # noqa: E402
import pgkit  # noqa: E402
import stalls  # noqa: E402


def _skip_reason():
    if os.geteuid() != 0:
        return "cluster tests need root (network namespaces, mounts)"
    for tool in ("pacemakerd", "corosync", "crm", "nsenter", "unshare", "ip"):
        if shutil.which(tool, path="/usr/sbin:/usr/bin:/sbin:/bin") is None:
            return f"{tool} is not installed"
    return None


def pytest_collection_modifyitems(config, items):
    """The bare-lab tests first: `pgtwin_lab` holds the lab until the session ends."""
    items.sort(key=lambda item: "pgtwin_lab" in getattr(item, "fixturenames", ()))


_HELD = {"pgtwin_lab": False}


@pytest.fixture(scope="module")
def lab():
    """A running lab with both nodes online; torn down after the module."""
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    assert not _HELD["pgtwin_lab"], "the session's pgtwin lab is up: a bare lab would tear it down"
    with labkit.managed_lab(labkit.Lab()) as the_lab:
        yield the_lab


@pytest.fixture(scope="session")
def pgtwin_lab(tmp_path_factory):
    """One lab for all pgtwin scenarios (test_pgtwin_*.py):
    PostgreSQL prepared on both nodes with pg-prepare-node (psql2 left empty),
    pgtwin installed from PGTWIN_BIN and examples/vm-mode-cluster.crm loaded.
    With PGTWIN_CLUSTER_MODE=container instead: the image loaded on both
    nodes, the nodes prepared as docs/CONTAINER_MODE_SETUP.md says and
    examples/container-mode-cluster.crm loaded (lab/pgtwin-setup-container).
    Torn down at session end; the teardown is then checked."""
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    binary = os.environ.get("PGTWIN_BIN", str(labkit.REPO / "build-ci" / "pgtwin"))
    if not os.access(binary, os.X_OK):
        pytest.skip(f"no pgtwin binary at {binary} (set PGTWIN_BIN)")
    the_lab = pgkit.new_lab(binary)
    the_lab.workdir = tmp_path_factory.mktemp("pgtwin")

    def set_up_pgtwin(lab):
        lab.run(pgkit.SETUP_COMMAND, str(pgkit.crm_config(lab.workdir)), timeout=420)

    _HELD["pgtwin_lab"] = True
    try:
        with labkit.managed_lab(the_lab, set_up_pgtwin):
            yield the_lab
    finally:
        _HELD["pgtwin_lab"] = False
    assert not (the_lab.lab_dir / "state" / "agent-installed").exists(), "pgtwin agent still installed"


def _lab_diagnostics(lab: labkit.Lab) -> str:
    """What a failed scenario's report needs to be judged from CI's output
    alone: fencing history, the cluster's view, and per node the last agent
    and fencing log lines (the node logs are gone with the lab)."""
    out = []
    for node in labkit.NODES:
        if lab.holder_pid(node) is None:
            out.append(f"{node}: down")
            continue
        for argv in (("stonith_admin", "--history", "*"), ("crm_mon", "-1", "-r")):
            r = lab.exec(node, *argv, timeout=20, check=False)
            out.append(f"--- {node}: {' '.join(argv)} (rc {r.returncode})")
            out.extend((r.stdout + r.stderr).strip().splitlines()[-15:])
        break  # one live node's view of the cluster is enough
    for node in labkit.NODES:
        lines = lab.pacemaker_log(node)
        if not lines:
            out.append(f"--- {node}: no pacemaker.log")
            continue
        keep = [ln for ln in lines if "pgtwin(" in ln or "Operation 'reboot'" in ln
                or "will be fenced" in ln or "Quorum" in ln]
        out.append(f"--- {node}: last agent and fencing lines of pacemaker.log")
        out.extend(ln[:240] for ln in keep[-25:])
    fence_log = lab.lab_dir / "log" / "fence.log"
    if fence_log.exists():
        out.append("--- lab power-offs (log/fence.log)")
        out.extend(fence_log.read_text(errors="replace").splitlines()[-10:])
    return "\n".join(out)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed scenario's report carries the lab diagnostics."""
    outcome = yield
    report = outcome.get_result()
    lab = item.funcargs.get("pgtwin_lab") if hasattr(item, "funcargs") else None
    if report.when == "call" and report.failed and lab is not None:
        try:
            report.sections.append(("lab diagnostics", _lab_diagnostics(lab)))
        except Exception as exc:  # noqa: BLE001 - diagnostics must never hide the failure
            report.sections.append(("lab diagnostics", f"could not collect: {exc!r}"))


def pytest_terminal_summary(terminalreporter):
    """The measured write stalls per scenario (stalls.py), in the CI log."""
    if stalls.REPORT:
        terminalreporter.section("write stalls through the VIP")
        for line in stalls.REPORT:
            terminalreporter.write_line(line)
