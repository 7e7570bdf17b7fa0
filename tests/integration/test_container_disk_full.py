# SPDX-License-Identifier: GPL-2.0-or-later
"""Container mode: the primary's Btrfs subvolume runs full (issue 9 item 5).

psql1's node directory is a Btrfs subvolume on a loop device
(/…/btrfs/@postgres-psql1/{data,log}, as docs/CONTAINER_MODE_SETUP.md lays
it out) with a qgroup limit; a writer commits large rows (rep_mode=sync)
until the primary refuses or dies. Then:
- the agent says why: monitor's exit reason names the full disk (the server
  log may itself be unwritable: it lives on the same subvolume);
- the cluster fails over (the test double replays Pacemaker's sequence):
  every acknowledged row is on the promoted psql2;
- once space is freed (the limit raised), psql1 starts again by itself as a
  standby of psql2 with no manual repair, and catches up.
"""

import time

import pytest

from harness.agent import bootstrap_pair, expect_rc, monitor, settle
from harness.container_lab import owned_dir, run, wait_for

pytestmark = pytest.mark.modes("container")

SUBVOL = "@postgres-psql1"
LIMIT = "200M"


@pytest.fixture
def full_disk(lab):
    """psql1's data and log on a Btrfs subvolume with a qgroup limit."""
    p1 = lab["psql1"]
    img, mnt = lab.root / "btrfs-psql1.img", lab.root / "btrfs"
    mnt.mkdir()
    with open(img, "wb") as f:
        f.truncate(1024 * 1024 * 1024)
    run(["mkfs.btrfs", "-q", str(img)], check=True)
    run(["mount", "-o", "loop", str(img), str(mnt)], check=True)
    try:
        run(["btrfs", "subvolume", "create", str(mnt / SUBVOL)], check=True)
        run(["btrfs", "quota", "enable", str(mnt)], check=True)
        owned_dir(mnt / SUBVOL, 0o755)
        p1.data = mnt / SUBVOL / "data"
        owned_dir(p1.data)
        yield mnt / SUBVOL
    finally:
        p1.runtime("rm", "-f", p1.container, timeout=90)
        run(["umount", str(mnt)])


def qgroup_limit(subvol, limit):
    run(["btrfs", "qgroup", "limit", limit, str(subvol)], check=True)


def write_until_refused(p1, acknowledged, max_seconds=240):
    """Commits ~1 MB per statement until 5 statements in a row fail; returns the last error."""
    failures, last, i, end = 0, "", 0, time.monotonic() + max_seconds
    while failures < 5 and time.monotonic() < end:
        i += 1
        res = p1.sql(f"INSERT INTO big SELECT {i} * 100 + g, (SELECT string_agg(md5(random()::text || g || x), '') "
                     f"FROM generate_series(1, 3000) x) FROM generate_series(1, 10) g",
                     timeout_s=30, check=False)
        if res.rc == 0:
            acknowledged.extend(i * 100 + g for g in range(1, 11))
            failures = 0
        else:
            failures += 1
            last = res.err.strip()
            time.sleep(0.5)
    return last


def test_full_primary_subvolume_fails_over_and_rejoins(lab, full_disk, cluster):
    p1, p2 = lab["psql1"], lab["psql2"]
    bootstrap_pair(lab, cluster)
    p1.sql("CREATE TABLE big (id bigint PRIMARY KEY, pad text)")
    p1.sql("ALTER TABLE big ALTER pad SET STORAGE EXTERNAL")  # no compression: the disk fills
    settle(p1, p2)
    used = run(["du", "-sm", str(full_disk)]).out.split()[0]
    qgroup_limit(full_disk, LIMIT)
    acknowledged = []
    last_error = write_until_refused(p1, acknowledged)
    assert acknowledged, "no write was acknowledged before the disk filled"
    assert last_error, f"the primary never refused a write ({len(acknowledged)} rows, {used} MB before)"
    print(f"acknowledged {len(acknowledged)} rows; last error: {last_error}")
    res = monitor(p1, "Promoted")
    print(f"monitor rc={res.rc} reasons={res.exit_reasons()}")
    assert res.rc != 8, f"monitor calls a primary that refuses writes for a full disk healthy\n{res}"
    assert any("disk full" in r.lower() for r in res.exit_reasons()), res
    # Failover as Pacemaker runs it after the failed monitor.
    expect_rc(cluster.stop(p1), 0, p1, "stop of the full primary")
    expect_rc(cluster.promote(p2), 0, p2, "promote psql2 (failover)")
    expect_rc(monitor(p2, "Promoted"), 8, p2, "monitor of the new primary")
    rows = {int(x) for x in p2.sql("SELECT id FROM big", timeout_s=60).split()}
    lost = sorted(set(acknowledged) - rows)
    assert not lost, f"{len(lost)} of {len(acknowledged)} acknowledged rows lost: {lost[:10]}"
    # Space freed: psql1 rejoins as psql2's standby with no manual repair.
    qgroup_limit(full_disk, "none")
    expect_rc(cluster.start(p1), 0, p1, "start of psql1 after space was freed")
    assert p1.in_recovery(), "psql1 must come back as a standby"
    p2.sql("INSERT INTO big VALUES (1, 'after')")
    assert wait_for(lambda: p1.sql("SELECT count(*) FROM big WHERE id = 1", check=False).out.strip() == "1",
                    tries=60, delay=0.5), f"psql1 does not replay psql2's writes\n{p1.log_tail()}"
    expect_rc(monitor(p1, "Unpromoted"), 0, p1, "monitor of the rejoined standby")
