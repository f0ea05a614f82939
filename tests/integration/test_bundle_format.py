# SPDX-License-Identifier: MIT
"""The bundle as a multi-member gzip (blocks compressed in parallel): gzip -t,
GNU tar, Python's tarfile and zlib read it member by member and find every
byte; bundle.compression_level in a policy changes the compression."""

import glob
import hashlib
import os
import random
import subprocess
import tarfile
import zlib

from conftest import base_args, check_manifest, open_bundle, run_collect, write_policy

T_DAY2 = 1795737600


def big_log(root):
    """About 3 MB of log lines in the window: a dozen 256 KiB blocks."""
    rng = random.Random(7)
    path = os.path.join(str(root), "var/log/syslog")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    words = ["request", "served", "cache", "miss", "upstream", "retry", "ok", "user"]
    with open(path, "w") as f:
        for i in range(40000):
            f.write("Nov 27 %02d:%02d:%02d host app[%d]: %s id=%d\n"
                    % (i // 3600 % 24, i // 60 % 60, i % 60, 100 + i % 9,
                       " ".join(rng.choice(words) for _ in range(6)), rng.randrange(10**6)))
    os.utime(path, (T_DAY2 + 86000, T_DAY2 + 86000))
    with open(path, "rb") as f:
        return f.read()


def gzip_members(data):
    """The uncompressed bytes of each gzip member, in order."""
    out = []
    while data:
        d = zlib.decompressobj(31)
        out.append(d.decompress(data))
        assert d.eof, "a member is cut short"
        data = d.unused_data
    return out


def bundle_path(dirs):
    paths = glob.glob(str(dirs["out"] / "*.tar.gz"))
    assert len(paths) == 1, paths
    return paths[0]


def test_every_reader_reads_all_members(root, dirs):
    original = big_log(root)
    r = run_collect(base_args(root, dirs, "--yes"))
    assert r.rc in (0, 3), r
    path = bundle_path(dirs)

    subprocess.run(["gzip", "-t", path], check=True)
    listing = subprocess.run(["tar", "tzf", path], check=True, capture_output=True,
                             text=True).stdout.split()
    members, top = open_bundle(path)
    assert sorted(m.partition("/")[2] for m in listing) == sorted(members)
    manifest = check_manifest(members)
    assert members["logs/files/var/log/syslog"] == original

    with open(path, "rb") as f:
        raw = f.read()
    parts = gzip_members(raw)
    # A large member is packed while staged, in 512 KiB blocks: its own run of
    # full blocks (the last one short), after a short member holding what came
    # before it; the rest of the archive is cut into 128 KiB blocks.
    assert len(parts) >= 6
    assert all(len(p) <= 512 * 1024 for p in parts)
    assert sum(len(p) == 512 * 1024 for p in parts) >= len(original) // (512 * 1024) - 1
    assert sum(len(p) in (128 * 1024, 512 * 1024) for p in parts) \
        >= len(parts) - 2 * len(members) - 1
    tar = b"".join(parts)
    assert len(tar) % 512 == 0
    assert hashlib.sha256(original).hexdigest() in [m["sha256"] for m in manifest["members"]]


def test_compression_level_policy(root, dirs):
    big_log(root)
    write_policy(dirs, "50-stored.yaml", "bundle:\n  compression_level: 0\n")
    r = run_collect(base_args(root, dirs, "--yes"))
    assert r.rc in (0, 3), r
    stored = os.path.getsize(bundle_path(dirs))
    members, _ = open_bundle(bundle_path(dirs))
    assert stored > sum(len(v) for v in members.values())  # level 0: no compression

    for p in glob.glob(str(dirs["out"] / "*")):
        os.unlink(p)
    write_policy(dirs, "50-stored.yaml", "bundle:\n  compression_level: 9\n")
    r = run_collect(base_args(root, dirs, "--yes"))
    assert r.rc in (0, 3), r
    assert os.path.getsize(bundle_path(dirs)) < stored / 2


def test_bad_compression_level(root, dirs):
    write_policy(dirs, "50-bad.yaml", "bundle:\n  compression_level: 12\n")
    r = run_collect(base_args(root, dirs, "--yes"))
    assert r.rc == 78, r
    assert "50-bad.yaml:2:" in r.err and "compression_level" in r.err


def test_small_and_staged_members_in_order(root, dirs):
    """Members kept in memory (small) and staged ones (written on the writer
    thread) interleave: the archive holds them in the order the manifest lists
    them, each with its true size and SHA-256; the leak check states its cost
    and covered every byte before the manifest."""
    rng = random.Random(11)
    d = os.path.join(str(root), "var/log/app")
    os.makedirs(d, exist_ok=True)
    sizes = [200, 40000, 900, 300000, 16000, 17000, 50, 1200000, 3000, 70000]
    for i, n in enumerate(sizes):
        with open(os.path.join(d, "part-%02d.log" % i), "w") as f:
            while f.tell() < n:
                f.write("Nov 27 10:%02d:%02d host app[1]: step %d value=%d\n"
                        % (i, f.tell() % 60, i, rng.randrange(10**9)))
        os.utime(os.path.join(d, "part-%02d.log" % i), (T_DAY2 + 86000 - i, T_DAY2 + 86000 - i))
    write_policy(dirs, "50-app.yaml", "logs: {paths: [/var/log/app/*]}\n")
    r = run_collect(base_args(root, dirs, "--yes"))
    assert r.rc in (0, 3), r
    path = bundle_path(dirs)
    members, top = open_bundle(path)
    manifest = check_manifest(members)
    with tarfile.open(path) as t:
        order = [m.name.partition("/")[2] for m in t.getmembers()]
    listed = [m["path"] for m in manifest["members"]]
    assert order[:len(listed)] == listed  # the archive's order, manifest.json after them
    assert order[len(listed):] == ["manifest.json"]
    for i, n in enumerate(sizes):
        assert "logs/files/var/log/app/part-%02d.log" % i in listed
    assert list(manifest)[-1] == "members"
    lc = manifest["leak_check"]
    assert lc["hits"] == []
    assert lc["members"] == len(listed)
    assert lc["bytes"] == sum(len(members[p]) for p in listed)
    assert lc["cpu_seconds"] >= 0 and lc["seconds"] >= 0
