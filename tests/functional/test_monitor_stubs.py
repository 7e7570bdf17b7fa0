# SPDX-License-Identifier: GPL-2.0-or-later
"""monitor's pg_controldata branch with stub tools: no postmaster runs, so
the captured control data decides the status."""
import pytest


@pytest.mark.parametrize("capture,probe_code,monitor_code", [
    ("primary-stopped", 7, 7),
    ("standby-stopped", 7, 7),
    # Down without a clean shutdown: a probe (after a fence reboot) reports it
    # stopped, a recurring monitor (which saw it run) reports the crash.
    ("primary-crashed", 7, 9),
    ("standby-running", 7, 1),  # "in archive recovery" but nothing runs: a crashed standby
])
@pytest.mark.parametrize("interval", ["0", "10000"])
def test_monitor_classifies_stopped_instance(fenv, capture, probe_code, monitor_code, interval):
    fenv.make_pgdata()
    fenv.controldata(capture)
    code = probe_code if interval == "0" else monitor_code
    rc, out, err = fenv.run("monitor", OCF_RESKEY_CRM_meta_interval=interval)
    assert rc == code, err
    assert out == ""
    reasons = [l for l in err.splitlines() if l.startswith("ocf-exit-reason:")]
    assert len(reasons) == (0 if code == 7 else 1), err


def test_probe_of_missing_data_is_not_running(fenv):
    rc, _, err = fenv.run("monitor", OCF_RESKEY_CRM_meta_interval="0")
    assert rc == 7, err


def test_stop_of_stopped_instance_succeeds_and_runs_nothing(fenv):
    fenv.make_pgdata()
    fenv.controldata("primary-crashed")
    rc, _, err = fenv.run("stop")
    assert rc == 0, err
    assert not any(c.startswith("pg_ctl") and " start" in c for c in fenv.tool_calls())
