# SPDX-License-Identifier: MIT
"""Full disks (issue 15): a small tmpfs as the state directory (snapshots),
the spool directory and the output directory in turn, filled to several
levels so that the run stops at different points. Each failing run exits
73 with one message, leaves the file system as it found it (same free
space, no orphan objects, nothing half-written), and a later run with room
succeeds."""

import os
import subprocess

import pytest

from conftest import base_args, run_collect, write_policy
from fake_portal import FakePortal

LEAN = "journal: {enabled: false}\n"
FAST = {"COLLECT_TEST_BACKOFF_MS": "20", "COLLECT_TEST_SETTLE_MS": "400",
        "COLLECT_TEST_HTTP_TIMEOUT_MS": "5000"}
# Free bytes left on the small file system before the run: none, a little
# (objects fit, the index not; the bundle starts, then stops) and more.
GAPS = [0, 8 << 10, 64 << 10, 160 << 10]


def mount_tmpfs(mnt, size):
    mnt.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(mnt)],
                       capture_output=True)
    if r.returncode != 0:
        pytest.skip("mount is not permitted here: %s" % r.stderr.decode().strip())
    return mnt


@pytest.fixture
def tiny_fs(tmp_path):
    yield mount_tmpfs(tmp_path / "tiny", "512k")
    subprocess.run(["umount", "-l", str(tmp_path / "tiny")], capture_output=True)


@pytest.fixture
def roomy_fs(tmp_path):
    yield mount_tmpfs(tmp_path / "roomy", "4m")
    subprocess.run(["umount", "-l", str(tmp_path / "roomy")], capture_output=True)


def free_bytes(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def fill(fs, gap):
    """Leaves about gap bytes free on fs with one filler file (outside what
    the run looks at); returns it."""
    filler = fs / "filler"
    with open(filler, "wb") as f:
        while free_bytes(fs) > gap:
            try:
                f.write(b"\0" * min(65536, free_bytes(fs) - gap))
                f.flush()
            except OSError:
                break
    return filler


def tree(fs):
    """Every file below fs except the filler, with its size."""
    out = {}
    for dirpath, _, names in os.walk(fs):
        for n in names:
            p = os.path.join(dirpath, n)
            if p != str(fs / "filler"):
                out[os.path.relpath(p, fs)] = os.path.getsize(p)
    return out


def one_message(r):
    lines = [line for line in r.err.splitlines()
             if line.startswith(("collect: error", "collect: warning"))]
    assert len(lines) == 1, r.err
    assert "failed: failed" not in r.err and "Input/output error" not in r.err, r.err
    assert "No space left" in lines[0], r.err
    return lines[0]


def config_tree(root, n=24):
    """Configuration that does not compress to nothing: about 9 KiB of
    objects a file, so a snapshot needs ~200 KiB."""
    app = root / "etc" / "app"
    app.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (app / f"app{i}.conf").write_text("key%d = %s\n" % (i, os.urandom(8192).hex()))


def snapshot_args(root, dirs, state):
    return ["snapshot", "--root", str(root), "--state-dir", str(state),
            "--policy-dir", str(dirs["policy"])]


def committed_objects(snapshots):
    """Objects referenced by committed indexes, and objects present."""
    referenced, present = set(), set()
    for name in os.listdir(snapshots):
        if not name.endswith(".idx"):
            continue
        for line in (snapshots / name).read_text().splitlines()[1:]:
            f = line.split(" ")
            if len(f) >= 11 and f[0] in ("f", "l") and f[8] == "1":
                referenced.add(f[9])
    objects = snapshots / "objects"
    for sub in os.listdir(objects) if objects.exists() else []:
        for o in os.listdir(objects / sub):
            present.add(sub + o)
    return referenced, present


# ---- the state directory: snapshots ---------------------------------------------------

def snapshot_need(root, dirs, state, roomy):
    """The bytes the next snapshot takes: measured on a copy of the store
    on a roomy file system."""
    subprocess.run(["cp", "-a", str(state / "snapshots"), str(roomy)], check=True)
    before = free_bytes(roomy)
    r = run_collect(snapshot_args(root, dirs, roomy))
    assert r.rc == 0, r
    return before - free_bytes(roomy)


# gap: the free bytes left, as a part of what the snapshot needs (the last
# ones: the index does not fit; the first ones: the objects do not)
@pytest.mark.parametrize("part", [0, 0.3, 0.9, "need-1", "need-2", "need-3"])
def test_snapshot_on_a_full_state_disk_is_rolled_back(root, dirs, tiny_fs, roomy_fs, part):
    write_policy(dirs, "lean.yaml", LEAN)
    # a first snapshot (small) that must survive the failed one
    r = run_collect(snapshot_args(root, dirs, tiny_fs))
    assert r.rc == 0, r
    config_tree(root)
    need = snapshot_need(root, dirs, tiny_fs, roomy_fs)
    gap = need - 4096 * int(part[5:]) if isinstance(part, str) else int(need * part)
    filler = fill(tiny_fs, gap)
    before, files = free_bytes(tiny_fs), tree(tiny_fs)
    r = run_collect(snapshot_args(root, dirs, tiny_fs) + ["--json"])
    if isinstance(part, str) and r.rc == 0:
        # the last pages were the cached size's: the snapshot is whole
        referenced, present = committed_objects(tiny_fs / "snapshots")
        assert present == referenced
        return
    assert r.rc == 73, r
    line = one_message(r)
    assert str(tiny_fs / "snapshots") in line
    assert r.json["exit_code"] == 73 and r.json["error"]["path"] == str(tiny_fs / "snapshots")
    assert free_bytes(tiny_fs) == before
    assert tree(tiny_fs) == files
    referenced, present = committed_objects(tiny_fs / "snapshots")
    assert present <= referenced, present - referenced
    # with room again, the snapshot is taken and the first one is its baseline
    filler.unlink()
    r = run_collect(snapshot_args(root, dirs, tiny_fs))
    assert r.rc == 0, r
    assert len([n for n in os.listdir(tiny_fs / "snapshots") if n.endswith(".idx")]) == 2
    referenced, present = committed_objects(tiny_fs / "snapshots")
    assert present == referenced


def test_first_snapshot_on_a_full_disk_leaves_nothing(root, dirs, tiny_fs):
    """No store yet: the failed first snapshot removes the store it began
    (directory, lock, objects/), free blocks and inodes as before."""
    write_policy(dirs, "lean.yaml", LEAN)
    config_tree(root)
    fill(tiny_fs, 0)
    before, inodes = free_bytes(tiny_fs), os.statvfs(tiny_fs).f_ffree
    r = run_collect(snapshot_args(root, dirs, tiny_fs))
    assert r.rc == 73, r
    one_message(r)
    assert os.listdir(tiny_fs) == ["filler"]
    assert free_bytes(tiny_fs) == before and os.statvfs(tiny_fs).f_ffree == inodes


def test_failed_snapshot_puts_the_cached_size_back(root, dirs, tiny_fs):
    """The store's cached size (snapshots/usage) is set aside while a
    snapshot is written; a snapshot that fails on a full disk puts it back
    as it was, with no temporary file left, though no byte is free."""
    write_policy(dirs, "lean.yaml", LEAN)
    r = run_collect(snapshot_args(root, dirs, tiny_fs))
    assert r.rc == 0, r
    usage = (tiny_fs / "snapshots" / "usage").read_text()
    assert int(usage) > 0
    config_tree(root)
    fill(tiny_fs, 0)
    before, files = free_bytes(tiny_fs), tree(tiny_fs)
    r = run_collect(snapshot_args(root, dirs, tiny_fs))
    assert r.rc == 73, r
    one_message(r)
    assert (tiny_fs / "snapshots" / "usage").read_text() == usage
    assert not [n for n in os.listdir(tiny_fs / "snapshots") if n.startswith(".tmp")]
    assert tree(tiny_fs) == files and free_bytes(tiny_fs) == before


def test_first_snapshots_at_once_share_the_store(root, dirs, tmp_path):
    """Several first snapshots started at once into a state directory with no
    store yet: one may fail for want of room, none may remove the lock or
    store another run is using, and every run that succeeds is recorded."""
    write_policy(dirs, "lean.yaml", LEAN)
    config_tree(root, 4)
    state = tmp_path / "state"
    procs = [subprocess.Popen([os.environ["COLLECT_BIN"]] + snapshot_args(root, dirs, state),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for _ in range(6)]
    results = [(p.wait(timeout=120), p.stderr.read().decode()) for p in procs]
    for p in procs:
        p.stderr.close()
    assert all(rc == 0 for rc, _ in results), results
    snaps = state / "snapshots"
    assert (snaps / "lock").exists()
    assert len([n for n in os.listdir(snaps) if n.endswith(".idx")]) >= 1
    referenced, present = committed_objects(snaps)
    assert present == referenced


def test_collection_with_a_full_state_disk_still_gives_its_bundle(root, dirs, tiny_fs):
    """The snapshot a collection takes is rolled back; the bundle is made,
    and the config collector is partial and says why."""
    write_policy(dirs, "lean.yaml", LEAN)
    r = run_collect(snapshot_args(root, dirs, tiny_fs))
    assert r.rc == 0, r
    config_tree(root)
    fill(tiny_fs, 0)
    before, files = free_bytes(tiny_fs), tree(tiny_fs)
    args = base_args(root, dirs, "--json")
    args[args.index("--state-dir") + 1] = str(tiny_fs)
    r = run_collect(args)
    assert r.rc == 0, r
    assert free_bytes(tiny_fs) == before and tree(tiny_fs) == files
    config = [c for c in r.json["collectors"] if c["name"] == "config"][0]
    assert config["status"] == "partial" and "snapshot not recorded" in config["note"], config
    warnings = [line for line in r.err.splitlines()
                if line.startswith("collect: ") and "snapshot not recorded" in line]
    assert len(warnings) == 1, r.err


# ---- the spool directory --------------------------------------------------------------

@pytest.fixture
def portal():
    p = FakePortal().start()
    yield p
    p.stop()


def portal_config(dirs, url):
    cred = dirs["config"].parent / "credentials"
    cred.write_text("email: ops-bot@customer.example\ntoken: s3cr3t-T0KEN-value\n")
    os.chmod(cred, 0o600)
    dirs["config"].write_text(
        "environment: production\nproduct: Payments API\n"
        f"portal:\n  url: {url}\n  deployment: cloud\n  credentials: {cred}\n"
        "  service_desk: SUP\n"
        "  request_types: {incident: Report an incident, question: Ask a question}\n")


def big_logs(root, n=3, size=1 << 17):
    d = root / "var" / "log" / "app"
    d.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        with open(d / f"app{i}.log", "w") as f:
            chunk = os.urandom(size // 2).hex()
            for j in range(0, len(chunk), 100):
                f.write("Nov 27 10:00:%02d web01 app[1]: %s\n" % (j % 60, chunk[j:j + 100]))


@pytest.mark.parametrize("part", [0, 0.5, "need-1", "need-2", "need-3"])
def test_spool_on_a_full_disk(root, dirs, portal, tiny_fs, roomy_fs, part):
    """The portal is down, so the submission goes to the spool; the spool's
    disk is full (the bundle does not fit, or only request.json or state do
    not): 73, one message, nothing half-written in the spool."""
    big_logs(root)
    write_policy(dirs, "lean.yaml", LEAN)
    portal_config(dirs, portal.url)
    portal.set_faults(unavailable={"count": 1000, "path": "/", "method": "POST"})
    args = base_args(root, dirs, "--open-ticket", "--yes", "--allow-incomplete", "--json",
                     "--summary", "disk test")
    before = free_bytes(roomy_fs)
    r = run_collect(args + ["--spool-dir", str(roomy_fs)], env=FAST)
    assert r.rc == 75, r
    need = before - free_bytes(roomy_fs)
    gap = need - 4096 * int(part[5:]) if isinstance(part, str) else int(need * part)
    filler = fill(tiny_fs, gap)
    before, files = free_bytes(tiny_fs), tree(tiny_fs)
    args += ["--spool-dir", str(tiny_fs)]
    r = run_collect(args, env=FAST)
    if isinstance(part, str) and r.rc == 75:
        return  # it fitted: spooled
    assert r.rc == 73, r
    one_message(r)
    assert r.json["exit_code"] == 73 and r.json["error"]["message"]
    assert tree(tiny_fs) == files
    assert free_bytes(tiny_fs) == before
    filler.unlink()
    r = run_collect(args, env=FAST)
    assert r.rc == 75, r
    assert r.json["ticket"]["action"] == "spooled"
    r = run_collect(["spool", "list", "--spool-dir", str(tiny_fs)])
    assert r.rc == 0, r
    assert len([line for line in r.out.splitlines()[1:] if line.strip()]) == 1, r


# ---- the output directory -------------------------------------------------------------

@pytest.mark.parametrize("gap", GAPS)
def test_output_on_a_full_disk(root, dirs, tiny_fs, gap):
    big_logs(root)
    write_policy(dirs, "lean.yaml", LEAN)
    filler = fill(tiny_fs, gap)
    before, files = free_bytes(tiny_fs), tree(tiny_fs)
    args = base_args(root, dirs, "--json")
    args[args.index("--output") + 1] = str(tiny_fs)
    r = run_collect(args)
    if gap > 0 and r.rc == 0:
        return  # it fitted
    assert r.rc == 73, r
    one_message(r)
    assert r.json["exit_code"] == 73 and r.json["bundle"] is None
    assert tree(tiny_fs) == files
    assert free_bytes(tiny_fs) == before
    filler.unlink()
    r = run_collect(args)
    assert r.rc == 0, r
    assert os.path.dirname(r.json["bundle"]["path"]) == str(tiny_fs)
