# SPDX-License-Identifier: GPL-2.0-or-later
"""cmake --install lays the agent out where Pacemaker looks for ocf:pgtwin:pgtwin."""
import os
import pathlib
import shutil
import subprocess
import tempfile

import pytest

from conftest import binary


def test_install_puts_agent_under_ocf_resource_d():
    build = pathlib.Path(binary()).parent
    if not (build / "cmake_install.cmake").exists():
        pytest.skip(f"{build} is not a CMake build directory")
    prefix = pathlib.Path(tempfile.mkdtemp(prefix="pgtwin-install-"))
    try:
        p = subprocess.run(["cmake", "--install", str(build), "--prefix", str(prefix)],
                           capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        agent = prefix / "lib" / "ocf" / "resource.d" / "pgtwin" / "pgtwin"
        assert agent.is_file() and os.access(agent, os.X_OK)
        rc = subprocess.run([str(agent), "meta-data"], capture_output=True, text=True)
        assert rc.returncode == 0 and '<resource-agent name="pgtwin"' in rc.stdout
    finally:
        shutil.rmtree(prefix, ignore_errors=True)
