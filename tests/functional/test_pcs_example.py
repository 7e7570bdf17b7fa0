# SPDX-License-Identifier: GPL-2.0-or-later
"""The pcs examples build the same cluster as the crm examples the cluster tier
loads, and every pcs snippet in docs/ means the same on every pcs version.

Both are run for real: crmsh and pcs write into CIB files (cibkit.py), and
the files are compared by meaning (resources, parameters, meta attributes,
operations, constraints, properties, resource defaults).
"""
import re
import xml.etree.ElementTree as ET

import pytest

import cibkit
from conftest import ROOT, binary

EXAMPLES = ROOT / "examples"
DOCS = ROOT / "docs"


@pytest.fixture
def offline(tmp_path):
    reason = cibkit.missing_tools()
    if reason:
        pytest.skip(reason)
    return cibkit.OfflineCib(tmp_path, binary())


def run_pcs_script(offline, script):
    cib = offline.empty("pcs.xml")
    p = offline.run(f'"{script}" "{cib}"')
    return cib, p


@pytest.mark.parametrize("mode", ["vm-mode", "container-mode"])
def test_pcs_example_builds_the_crm_configuration(offline, mode):
    crm = cibkit.facts(offline.load_crm(EXAMPLES / f"{mode}-cluster.crm"))
    cib, p = run_pcs_script(offline, EXAMPLES / f"{mode}-cluster.pcs.sh")
    assert p.returncode == 0, p.stderr
    assert "deprecat" not in p.stderr.lower(), p.stderr
    pcs = cibkit.facts(cib)
    assert pcs["fence_devices"] >= 1 and crm["fence_devices"] >= 1
    for key in ("properties", "rsc_defaults", "primitives", "clones", "constraints"):
        assert pcs[key] == crm[key], f"{key} differ: pcs {pcs[key]} crm {crm[key]}"


def tagged_blocks(tag):
    """(file, text) of each fenced block whose info string carries tag."""
    out = []
    for md in sorted(DOCS.glob("*.md")):
        for m in re.finditer(r"^```sh " + tag + r"\n(.*?)^```", md.read_text(), re.M | re.S):
            out.append((md.name, m.group(1)))
    return out


# pcs 0.11.5 (Debian 12) reads words after "promotable"/"clone" in
# "resource create" as clone meta attributes and puts "meta x=y" there on the
# primitive; 0.11.7 deprecates the first form, 0.12 rejects it. Only the
# separate "pcs resource promotable" + "pcs resource meta" means one thing.
INLINE_CLONE_OPTIONS = re.compile(r"resource create .*?\s(promotable|clone)(\s+[\w-]+=|\s+meta\s)")


def test_docs_pcs_snippets_are_portable(offline):
    blocks = tagged_blocks("pcs-cib")
    assert blocks, "no ```sh pcs-cib block in docs/"
    for name, text in blocks:
        joined = text.replace("\\\n", " ")
        assert not INLINE_CLONE_OPTIONS.search(joined), f"{name}: clone options inside 'pcs resource create'"
        cib = offline.empty("snippet.xml")
        script = f'pcs() {{ command pcs -f "{cib}" "$@"; }}\n{text}'
        p = offline.run(script)
        assert p.returncode == 0, f"{name}: {p.stderr}"
        assert "deprecat" not in p.stderr.lower(), f"{name}: {p.stderr}"
        root = ET.parse(cib).getroot()
        for clone in root.iter("clone"):
            meta = cibkit._pairs(clone.find("meta_attributes"))
            assert meta.get("promotable") == "true" and meta.get("notify") == "true", f"{name}: clone meta {meta}"
