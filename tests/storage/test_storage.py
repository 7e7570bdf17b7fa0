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
