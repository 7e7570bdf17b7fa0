# SPDX-License-Identifier: GPL-2.0-or-later
"""`pgtwin storage` on a real Btrfs file system on a loop device."""
import os
import pathlib
import shutil
import stat
import subprocess
import tempfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("PGTWIN_BIN") or str(ROOT / "build-ci" / "pgtwin")


def run(*argv):
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=120)


@pytest.fixture
def btrfs():
    if os.geteuid() != 0 or shutil.which("mkfs.btrfs") is None:
        pytest.skip("needs root and btrfs-progs")
    work = pathlib.Path(tempfile.mkdtemp(prefix="pgtwin-btrfs-", dir="/tmp"))
    img, mnt = work / "img", work / "mnt"
    mnt.mkdir()
    with open(img, "wb") as f:
        f.truncate(512 * 1024 * 1024)
    assert run("mkfs.btrfs", "-q", str(img)).returncode == 0
    m = run("mount", "-o", "loop", str(img), str(mnt))
    assert m.returncode == 0, m.stderr
    try:
        yield mnt
    finally:
        run("umount", str(mnt))  # a loop mount's device is released on umount
        shutil.rmtree(work, ignore_errors=True)


def test_init_creates_subvolume_with_owners_and_modes(btrfs):
    r = run(BIN, "storage", "init", "--root", str(btrfs), "--node", "psql1")
    assert r.returncode == 0, r.stderr
    sub = btrfs / "@postgres-psql1"
    assert run("btrfs", "subvolume", "show", str(sub)).returncode == 0
    for name, mode in (("data", 0o700), ("config", 0o750), ("archive", 0o700)):
        st = (sub / name).stat()
        assert (st.st_uid, st.st_gid) == (999, 999), name
        assert stat.S_IMODE(st.st_mode) == mode, name
    # Idempotent: a second run changes nothing and succeeds.
    (sub / "data" / "PG_VERSION").write_text("15\n")
    assert run(BIN, "storage", "init", "--root", str(btrfs), "--node", "psql1").returncode == 0
    assert (sub / "data" / "PG_VERSION").read_text() == "15\n"


def test_snapshot_is_a_read_only_copy(btrfs):
    assert run(BIN, "storage", "init", "--root", str(btrfs), "--node", "psql2").returncode == 0
    (btrfs / "@postgres-psql2" / "data" / "marker").write_text("before")
    r = run(BIN, "storage", "snapshot", "--root", str(btrfs), "--node", "psql2", "--label", "before-rebuild")
    assert r.returncode == 0, r.stderr
    snap = pathlib.Path(r.stdout.strip())
    assert (snap / "data" / "marker").read_text() == "before"
    ro = run("btrfs", "property", "get", "-ts", str(snap), "ro")
    assert "ro=true" in ro.stdout
    # The same label twice must not overwrite the first copy.
    again = run(BIN, "storage", "snapshot", "--root", str(btrfs), "--node", "psql2", "--label", "before-rebuild")
    assert again.returncode != 0


def test_existing_plain_directory_is_refused(btrfs):
    (btrfs / "@postgres-psql3").mkdir()
    r = run(BIN, "storage", "init", "--root", str(btrfs), "--node", "psql3")
    assert r.returncode != 0
    assert "subvolume" in r.stderr


def storage(*args, env=None):
    return subprocess.run([BIN, "storage", *args], capture_output=True, text=True, timeout=120, env=env)


def test_plan_prints_what_init_does_including_the_subvolume_mode(btrfs):
    plan = storage("plan", "--root", str(btrfs), "--node", "psql1")
    assert plan.returncode == 0, plan.stderr
    sub = btrfs / "@postgres-psql1"
    assert f"btrfs subvolume create {sub}" in plan.stdout
    assert f"chmod 0750 {sub}" in plan.stdout
    assert storage("init", "--root", str(btrfs), "--node", "psql1").returncode == 0
    assert stat.S_IMODE(sub.stat().st_mode) == 0o750
    assert (sub.stat().st_uid, sub.stat().st_gid) == (999, 999)
    again = storage("plan", "--root", str(btrfs), "--node", "psql1")
    assert f"keep {sub} (exists" in again.stdout
    assert f"keep {sub / 'data'} (exists" in again.stdout


def _fake_snapshot(btrfs, node, label, content):
    sub = btrfs / f"@postgres-{node}"
    (sub / "data" / "marker").write_text(content)
    assert run("btrfs", "subvolume", "snapshot", "-r", str(sub), str(btrfs / f"@postgres-{node}.{label}")).returncode == 0


def test_list_and_prune_keep_the_newest_automatic_snapshots_and_every_manual_one(btrfs):
    assert storage("init", "--root", str(btrfs), "--node", "psql1").returncode == 0
    for hour in (6, 7, 8):
        _fake_snapshot(btrfs, "psql1", f"pgtwin-rewind-20261201T0{hour}0000Z", str(hour))
    assert storage("snapshot", "--root", str(btrfs), "--node", "psql1", "--label", "before-upgrade").returncode == 0
    listed = storage("list", "--root", str(btrfs), "--node", "psql1")
    assert listed.returncode == 0, listed.stderr
    labels = [line.split("\t")[0] for line in listed.stdout.splitlines()]
    assert labels == ["before-upgrade", "pgtwin-rewind-20261201T060000Z",
                      "pgtwin-rewind-20261201T070000Z", "pgtwin-rewind-20261201T080000Z"]
    pruned = storage("prune", "--root", str(btrfs), "--node", "psql1", "--keep", "1")
    assert pruned.returncode == 0, pruned.stderr
    assert pruned.stdout.splitlines() == [
        f"deleted {btrfs}/@postgres-psql1.pgtwin-rewind-20261201T060000Z",
        f"deleted {btrfs}/@postgres-psql1.pgtwin-rewind-20261201T070000Z"]
    left = sorted(p.name for p in btrfs.iterdir())
    assert left == ["@postgres-psql1", "@postgres-psql1.before-upgrade",
                    "@postgres-psql1.pgtwin-rewind-20261201T080000Z"]


def test_restore_gives_a_writable_copy_that_postgresql_starts(btrfs):
    pgbin = pathlib.Path("/usr/lib/postgresql/15/bin")
    if not (pgbin / "initdb").exists():
        pytest.skip("needs PostgreSQL 15")
    assert storage("init", "--root", str(btrfs), "--node", "psql1", "--uid", str(pwd_uid()),
                   "--gid", str(pwd_gid())).returncode == 0
    os.chmod(btrfs.parent, 0o755)  # mkdtemp's 0700 would keep the postgres user out
    data = btrfs / "@postgres-psql1" / "data"
    as_pg = ["runuser", "-u", "postgres", "--"]
    assert run(*as_pg, str(pgbin / "initdb"), "-D", str(data), "-U", "postgres").returncode == 0
    sock = btrfs / "sock"
    sock.mkdir()
    shutil.chown(sock, "postgres", "postgres")
    opts = f"-c listen_addresses='' -c unix_socket_directories={sock} -p 5499"
    # -l: a server started without a log file would hold run()'s output pipes open.
    pg_ctl = lambda d, *a: run(*as_pg, str(pgbin / "pg_ctl"), "-D", str(d), "-w", "-o", opts,  # noqa: E731
                               "-l", str(sock / "server.log"), *a)
    assert pg_ctl(data, "start").returncode == 0
    psql = lambda sql: run(*as_pg, str(pgbin / "psql"), "-h", str(sock), "-p", "5499", "-U", "postgres",  # noqa: E731
                           "-At", "-c", sql)
    try:
        assert psql("create table kept(x int); insert into kept values (42)").returncode == 0
    finally:
        run(*as_pg, str(pgbin / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")  # a crashed primary
    (data / "standby.signal").write_text("")  # as the agent leaves it before a rejoin
    _fake_snapshot(btrfs, "psql1", "pgtwin-rewind-20261201T090000Z", "x")
    r = storage("restore", "--root", str(btrfs), "--node", "psql1", "pgtwin-rewind-20261201T090000Z")
    assert r.returncode == 0, r.stderr
    restored = pathlib.Path(r.stdout.strip())
    assert restored == btrfs / "@postgres-psql1-restored.pgtwin-rewind-20261201T090000Z" / "data"
    assert not (restored / "standby.signal").exists()
    assert pg_ctl(restored, "start").returncode == 0
    try:
        assert psql("select x from kept").stdout.strip() == "42"
        assert psql("select pg_is_in_recovery()").stdout.strip() == "f"
    finally:
        pg_ctl(restored, "stop")
    again = storage("restore", "--root", str(btrfs), "--node", "psql1", "pgtwin-rewind-20261201T090000Z")
    assert again.returncode != 0 and "exists" in again.stderr


def pwd_uid():
    import pwd
    return pwd.getpwnam("postgres").pw_uid


def pwd_gid():
    import pwd
    return pwd.getpwnam("postgres").pw_gid


def _free_share(path):
    st = os.statvfs(path)
    return st.f_bavail / st.f_blocks


def _rewrite(path, megabytes):
    """New extents for PATH: what a busy data directory does between two
    snapshots (the snapshot keeps the old ones)."""
    with open(path, "wb") as f:
        for _ in range(megabytes):
            f.write(os.urandom(1024 * 1024))
        f.flush()
        os.fsync(f.fileno())


def test_prune_for_space_frees_a_volume_that_snapshots_filled(btrfs):
    """Issue 8, soak round 19: rewind snapshots of a data directory that is
    rewritten between them fill the volume. `prune --min-free` (the agent's
    snapshot_min_free) deletes the oldest automatic snapshots until the share
    is free again, never the newest one and never a manual one."""
    assert storage("init", "--root", str(btrfs), "--node", "psql1").returncode == 0
    data_file = btrfs / "@postgres-psql1" / "data" / "relation"
    _rewrite(data_file, 80)
    assert storage("snapshot", "--root", str(btrfs), "--node", "psql1", "--label", "before-upgrade").returncode == 0
    automatic = []
    for hour in range(10, 20):
        if _free_share(btrfs) < 0.15:
            break
        _rewrite(data_file, 80)
        label = f"pgtwin-rewind-20261201T{hour}0000Z"
        _fake_snapshot(btrfs, "psql1", label, str(hour))
        automatic.append(label)
        run("btrfs", "filesystem", "sync", str(btrfs))
    assert _free_share(btrfs) < 0.20, "the snapshots did not fill the volume: the test proves nothing"
    assert len(automatic) >= 3
    before = _free_share(btrfs)

    pruned = storage("prune", "--root", str(btrfs), "--node", "psql1", "--min-free", "20")
    assert pruned.returncode == 0, pruned.stderr
    deleted = [line.removeprefix("deleted ") for line in pruned.stdout.splitlines()]
    print(f"free before {before:.3f}, snapshots {len(automatic)}, deleted {len(deleted)}, after {_free_share(btrfs):.3f}")
    assert deleted, "nothing was pruned"
    # Oldest first, in order, and only as many as were needed.
    assert deleted == [f"{btrfs}/@postgres-psql1.{label}" for label in automatic[:len(deleted)]]
    assert _free_share(btrfs) >= 0.20
    left = {p.name for p in btrfs.iterdir()}
    assert "@postgres-psql1.before-upgrade" in left
    assert f"@postgres-psql1.{automatic[-1]}" in left
    # Already enough room: a second run deletes nothing.
    again = storage("prune", "--root", str(btrfs), "--node", "psql1", "--min-free", "20")
    assert again.returncode == 0 and again.stdout == ""
