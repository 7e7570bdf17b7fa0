# SPDX-License-Identifier: GPL-2.0-or-later
"""The man pages the build generates render without groff warnings, name every
parameter of the meta-data (the agent's pages) and every option of the usage
text (pgtwin-prepare-node's page), and cmake --install puts them in the man
tree."""
import os
import pathlib
import re
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET

import pytest

from conftest import ROOT, binary

PREPARE_NODE = ROOT / "scripts" / "pg-prepare-node"


def page(section):
    """The agent's page of SECTION, or "prepare-node" for the tool's."""
    argv = [PREPARE_NODE, "--man-page"] if section == "prepare-node" else [binary(), "man-page", section]
    p = subprocess.run(argv, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return p.stdout


def rendered(text):
    """man -l output as plain text (what an administrator reads)."""
    with tempfile.NamedTemporaryFile("w", suffix=".7") as f:
        f.write(text)
        f.flush()
        env = dict(os.environ, MANWIDTH="200", LC_ALL="C.UTF-8")
        p = subprocess.run(["man", "-l", f.name], capture_output=True, text=True, env=env)
    assert p.returncode == 0, p.stderr
    return p.stdout


@pytest.mark.parametrize("section", ["7", "8", "prepare-node"])
def test_groff_finds_no_warnings(section):
    if not shutil.which("groff"):
        pytest.skip("groff is not installed (scripts/install-deps.sh package)")
    p = subprocess.run(["groff", "-man", "-ww", "-z", "-Tutf8"], input=page(section),
                       capture_output=True, text=True)
    assert p.returncode == 0 and p.stderr == "", p.stderr


def test_agent_page_names_every_metadata_parameter_and_action():
    meta = ET.fromstring(subprocess.run([binary(), "meta-data"], capture_output=True, text=True).stdout)
    text = rendered(page("7"))
    for param in meta.iter("parameter"):
        assert f"\n       {param.get('name')}" in text, param.get("name")
        default = param.find("content").get("default")
        if default:
            assert f"default: {default}" in text, param.get("name")
    for action in meta.iter("action"):
        assert f"{action.get('name')} (timeout {action.get('timeout')}" in text


def test_command_page_documents_status_and_storage():
    text = rendered(page("8"))
    for word in ["pgtwin status", "--json", "--prometheus", "pgtwin storage", "snapshot --label",
                 "ENVIRONMENT", "PGTWIN_CONTAINER_MODE", "FILES", "EXIT STATUS"]:
        assert word in text, word


def test_prepare_node_page_names_every_option_of_its_usage():
    usage = subprocess.run([PREPARE_NODE, "--help"], capture_output=True, text=True).stdout
    options = set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", usage))
    assert {"--pgdata", "--print-role-sql", "--init", "--man-page"} <= options
    text = rendered(page("prepare-node"))
    assert text.startswith("PGTWIN-PREPARE-NODE(8)")
    for word in [*options, "SYNOPSIS", "DESCRIPTION", "EXIT STATUS", "pgtwin-prepare-node --print-role-sql"]:
        assert word in text, word
    assert "pg-prepare-node" not in text.replace("pgtwin-prepare-node", "")


def test_man_page_needs_a_section():
    p = subprocess.run([binary(), "man-page", "1"], capture_output=True, text=True)
    assert p.returncode == 2 and "usage: pgtwin man-page" in p.stderr


def test_install_puts_man_pages_in_the_man_tree():
    build = pathlib.Path(binary()).parent
    if not (build / "cmake_install.cmake").exists():
        pytest.skip(f"{build} is not a CMake build directory")
    prefix = pathlib.Path(tempfile.mkdtemp(prefix="pgtwin-man-"))
    try:
        p = subprocess.run(["cmake", "--install", str(build), "--prefix", str(prefix)],
                           capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        assert (prefix / "share/man/man7/ocf_pgtwin_pgtwin.7").read_text() == page("7")
        assert (prefix / "share/man/man8/pgtwin.8").read_text() == page("8")
        assert (prefix / "share/man/man8/pgtwin-prepare-node.8").read_text() == page("prepare-node")
        assert (prefix / "share/doc/pgtwin/examples/vm-mode-cluster.crm").is_file()
    finally:
        shutil.rmtree(prefix, ignore_errors=True)
