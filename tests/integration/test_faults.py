# SPDX-License-Identifier: MIT
"""Faults as an operator meets them (issue 15): stop signals, concurrent runs,
full disks, --json on every exit path, checks before work, retention."""

import datetime
import fcntl
import json
import os
import re
import signal
import subprocess
import tarfile
import time

import pytest

from conftest import BIN, base_args, check_manifest, open_bundle, run_collect, write_policy
from fake_portal import FakePortal

T_DAY2 = int(datetime.datetime(2026, 11, 27, 12, 0, tzinfo=datetime.timezone.utc).timestamp())
NAME_RE = re.compile(r"^collect-[A-Za-z0-9._-]+-\d{8}T\d{6}Z(-[0-9a-f]{6})?\.tar\.gz$")
SLOW = ("commands:\n  - {name: slow, argv: [sleep, '30'], timeout: 60s, live_only: false}\n")
LEAN = "journal: {enabled: false}\n"
FAST = {"COLLECT_TEST_BACKOFF_MS": "20", "COLLECT_TEST_SETTLE_MS": "400",
        "COLLECT_TEST_HTTP_TIMEOUT_MS": "5000"}


def env():
    e = dict(os.environ)
    for k in ("COLLECT_CONFIG", "COLLECT_PORTAL_TOKEN", "COLLECT_PORTAL_EMAIL"):
        e.pop(k, None)
    return e


def files(d):
    return sorted(p.name for p in d.rglob("*") if p.is_file())


def wait_for(pred, timeout=20):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.02)
    return False


def big_logs(root, n=40, size=1 << 20):
    """A log tree large enough that bundling takes a while (random, so it does
    not compress to nothing)."""
    d = root / "var" / "log" / "nginx"
    d.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        with open(d / f"app{i}.log", "w") as f:
            chunk = os.urandom(size // 2).hex()
            for j in range(0, len(chunk), 100):
                f.write("Nov 27 10:00:%02d web01 app[1]: %s\n" % (j % 60, chunk[j:j + 100]))
        os.utime(d / f"app{i}.log", (T_DAY2, T_DAY2))


# ---- signals -----------------------------------------------------------------

@pytest.mark.parametrize("sig,code", [(signal.SIGTERM, 143), (signal.SIGINT, 130),
                                      (signal.SIGHUP, 129)])
def test_signal_during_a_command(root, dirs, sig, code):
    write_policy(dirs, "slow.yaml", SLOW)
    p = subprocess.Popen([BIN] + base_args(root, dirs, "--json"), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env(), text=True)
    assert wait_for(lambda: any(n.endswith(".tmp") for n in os.listdir(dirs["out"])))
    # the slow command is running once the earlier collectors are done
    assert wait_for(lambda: subprocess.run(["pgrep", "-P", str(p.pid), "sleep"],
                                           capture_output=True).returncode == 0)
    t = time.monotonic()
    p.send_signal(sig)
    out, err = p.communicate(timeout=20)
    assert time.monotonic() - t < 5
    assert p.returncode == code, err
    assert os.listdir(dirs["out"]) == []
    lines = [line for line in err.splitlines() if "interrupted" in line]
    assert len(lines) == 1 and signal.Signals(sig).name in lines[0], err
    res = json.loads(out)
    assert res["exit_code"] == code and res["interrupted"]["number"] == int(sig)
    assert res["format_version"] >= 1 and res["error"]["message"]


@pytest.mark.parametrize("delay", [0, 0.1, 0.3, 0.8])
def test_signal_while_bundling_logs(root, dirs, delay):
    big_logs(root)
    write_policy(dirs, "lean.yaml", LEAN)
    p = subprocess.Popen([BIN] + base_args(root, dirs), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env(), text=True)
    # from the moment the temporary bundle exists, at several points of the run
    wait_for(lambda: any(n.endswith(".tmp") for n in os.listdir(dirs["out"])), timeout=10)
    time.sleep(delay)
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=30)
    if p.returncode == 0:
        # finished before the signal: a whole bundle, nothing temporary
        assert [n for n in os.listdir(dirs["out"]) if not n.endswith(".tar.gz")] == []
        return
    assert p.returncode == 143, err
    assert os.listdir(dirs["out"]) == [], err
    assert "SIGTERM" in err


def test_stale_temporary_bundles_are_swept_unless_held(root, dirs):
    write_policy(dirs, "lean.yaml", LEAN)
    old = time.time() - 2 * 3600
    stale = dirs["out"] / "collect-h-20260101T000000Z.tar.gz.tmp"
    held = dirs["out"] / "collect-h-20260101T000001Z.tar.gz.tmp"
    fresh = dirs["out"] / "collect-h-20260101T000002Z.tar.gz.tmp"
    other = dirs["out"] / "notes.tmp"
    for f in (stale, held, fresh, other):
        f.write_bytes(b"x" * 100)
    for f in (stale, held, other):
        os.utime(f, (old, old))
    with open(held, "rb") as h:
        fcntl.flock(h, fcntl.LOCK_EX)
        r = run_collect(base_args(root, dirs))
    assert r.rc == 0, r
    left = set(os.listdir(dirs["out"]))
    assert stale.name not in left
    assert {held.name, fresh.name, other.name} <= left


# ---- names that cannot collide --------------------------------------------------

@pytest.mark.parametrize("n", [10, 50])
def test_concurrent_runs_give_distinct_bundles(root, dirs, n):
    write_policy(dirs, "lean.yaml", LEAN)
    args = [BIN] + base_args(root, dirs, "--json")
    args[args.index("--since") + 1] = "2026-11-27T09:00:00Z"
    args[args.index("--until") + 1] = "2026-11-27T11:00:00Z"
    start = time.monotonic()
    procs = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, env=env(), text=True) for _ in range(n)]
    try:
        results = [(p, *p.communicate(timeout=max(1, 240 - (time.monotonic() - start))))
                   for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert time.monotonic() - start < 240  # all of them, bounded
    paths, digests = [], set()
    for p, out, err in results:
        assert p.returncode == 0, err
        res = json.loads(out)
        paths.append(res["bundle"]["path"])
        digests.add(res["bundle"]["sha256"])
    assert len(set(paths)) == n and len(digests) == n
    names = sorted(os.listdir(dirs["out"]))
    assert len(names) == n, names
    for path in paths:
        base = os.path.basename(path)
        assert NAME_RE.match(base), base
        members, top = open_bundle(path)
        assert top + ".tar.gz" == base
        check_manifest(members)  # whole: every member listed with its size and sha256
    # the snapshots they took together: every object belongs to a committed index
    from test_faults_disk import committed_objects
    referenced, present = committed_objects(dirs["state"] / "snapshots")
    assert present <= referenced


def test_explicit_path_is_never_overwritten(root, dirs):
    write_policy(dirs, "lean.yaml", LEAN)
    target = dirs["out"] / "mine.tar.gz"
    target.write_bytes(b"precious")
    r = run_collect(base_args(root, dirs, "--json") + ["--output", str(target)])
    assert r.rc == 73, r
    assert target.read_bytes() == b"precious"
    assert r.json["error"]["path"] == str(target)


# ---- full disks -------------------------------------------------------------------

@pytest.fixture
def tiny_fs(tmp_path):
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", str(mnt)],
                       capture_output=True)
    if r.returncode != 0:
        pytest.skip("mount is not permitted here: %s" % r.stderr.decode().strip())
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def free_bytes(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def test_full_output_disk(root, dirs, tiny_fs):
    big_logs(root, n=4, size=1 << 19)
    write_policy(dirs, "lean.yaml", LEAN)
    before = free_bytes(tiny_fs)
    r = run_collect(base_args(root, dirs, "--json") + ["--output", str(tiny_fs)])
    assert r.rc == 73, r
    errors = [line for line in r.err.splitlines()
              if line.startswith(("collect: error", "collect: warning"))]
    assert len(errors) == 1, r.err
    assert "No space left" in errors[0] or "full" in errors[0]
    assert os.listdir(tiny_fs) == []
    assert free_bytes(tiny_fs) == before
    res = r.json
    assert res["exit_code"] == 73 and res["error"]["message"]


def test_full_state_disk_for_kept_bundles(root, dirs, tiny_fs):
    """A hook keeps its bundle in <state>/bundles: a full state disk is 73 too."""
    big_logs(root, n=4, size=1 << 19)
    write_policy(dirs, "lean.yaml", LEAN)
    args = ["hook", "unit-failure", "app.service", "--root", str(root), "--state-dir",
            str(tiny_fs), "--spool-dir", str(dirs["spool"]), "--policy-dir", str(dirs["policy"]),
            "--config", str(dirs["config"]), "--since", "2026-11-26T00:00:00Z", "--until",
            "2026-11-28T00:00:00Z", "--json"]
    before = free_bytes(tiny_fs)
    r = run_collect(args)
    assert r.rc == 73, r
    bundles = tiny_fs / "bundles"
    assert not bundles.exists() or os.listdir(bundles) == []
    assert free_bytes(tiny_fs) <= before + 64 * 1024  # only the small state files remain


# ---- nothing left out silently -------------------------------------------------------

def unprivileged_host(base):
    """A host tree with what an unprivileged run cannot read: /etc/app and
    /var/log/mysql (0700 root), a log file 0600, and /etc deeper than the
    walk goes. Everything else is old, so only what a test changes is news."""
    root = base / "host"
    now = time.time()
    stamp = time.strftime("%b %e %H:%M:%S", time.localtime(now - 600))
    old = now - 2 * 86400

    def put(rel, text, mode=0o644):
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        os.chmod(p, mode)

    put("var/log/syslog", f"{stamp} web1 app[1]: readable line\n")
    put("var/log/auth.log", f"{stamp} web1 sshd[2]: not for everyone\n", 0o600)
    put("var/log/mysql/error.log", f"{stamp} web1 mysqld[3]: hidden\n")
    put("etc/app/app.conf", "x=1\n")
    put("etc/hosts", "127.0.0.1 localhost\n")
    deep = "etc/deep/" + "/".join(f"d{i}" for i in range(40)) + "/x.conf"
    put(deep, "deep=1\n")
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames:
            os.chmod(os.path.join(dirpath, n), 0o755)
        for n in dirnames + filenames:
            os.utime(os.path.join(dirpath, n), (old, old), follow_symlinks=False)
    for log in ("var/log/syslog", "var/log/auth.log", "var/log/mysql/error.log"):
        os.utime(root / log, (now - 600, now - 600))  # written in the window
    for d in ("var/log/mysql", "etc/app"):
        os.chmod(root / d, 0o700)
    work = {}
    for n in ("out", "state", "policy"):
        work[n] = base / n
        work[n].mkdir()
        os.chown(work[n], 65534, 65534)
    (work["policy"] / "lean.yaml").write_text(LEAN)
    work["config"] = base / "collect.yaml"
    work["config"].write_text("# no portal\n")
    return root, work


def run_as_nobody(args):
    """The built binary as the unprivileged user 'nobody', no groups."""
    p = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", BIN]
                       + args, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                       env=env(), timeout=120)
    return p


@pytest.mark.parametrize("route", ["first run", "config diff"])
def test_nothing_left_out_silently_unprivileged(tmp_path, route):
    """Every file or directory a collector could not read, and the depth
    limit, is a note in its row (--json, manifest) and in summary.md; the
    row is partial. On the diff route, what could not be read is not
    reported as removed."""
    import tempfile
    if os.geteuid() != 0 or not os.path.exists("/usr/bin/setpriv"):
        pytest.skip("needs root and setpriv to run as nobody")
    base = __import__("pathlib").Path(tempfile.mkdtemp(prefix="collect-nobody-"))
    try:
        os.chmod(base, 0o755)
        root, w = unprivileged_host(base)
        if route == "config diff":
            # the baseline, taken by root (the timer), sees everything
            r = run_collect(["snapshot", "--root", str(root), "--state-dir", str(w["state"]),
                             "--policy-dir", str(w["policy"])])
            assert r.rc == 0, r
            subprocess.run(["chown", "-R", "nobody:nogroup", str(w["state"])], check=True)
            (root / "etc" / "hosts").write_text("127.0.0.1 localhost\n10.0.0.1 db\n")
        p = run_as_nobody(["--root", str(root), "--output", str(w["out"]), "--state-dir",
                           str(w["state"]), "--spool-dir", str(w["state"]), "--policy-dir",
                           str(w["policy"]), "--config", str(w["config"]), "--since", "1h",
                           "--json"])
        assert p.returncode == 0, p.stderr
        res = json.loads(p.stdout)
        members, _ = open_bundle(res["bundle"]["path"])
        manifest = json.loads(members["manifest.json"])
        summary = members["summary.md"].decode()
        for rows in ({c["name"]: c for c in res["collectors"]},
                     {c["name"]: c for c in manifest["collectors"]}):
            assert rows["logs"]["status"] == "partial", rows["logs"]
            assert "/var/log/mysql" in rows["logs"]["note"], rows["logs"]
            assert "/var/log/auth.log" in rows["logs"]["note"], rows["logs"]
            assert rows["config"]["status"] == "partial", rows["config"]
            assert "/etc/app" in rows["config"]["note"], rows["config"]
            assert "/etc/deep/d0/d1" in rows["config"]["note"], rows["config"]
            assert "deeper than" in rows["config"]["note"], rows["config"]
        for named in ("/var/log/mysql", "/var/log/auth.log", "/etc/app", "/etc/deep/d0/d1"):
            assert named in summary, named
        assert "readable line" in members["logs/files/var/log/syslog"].decode()
        if route == "config diff":
            changes = json.loads(members["config/changes.json"])
            changes = changes.get("changes", changes) if isinstance(changes, dict) else changes
            assert [(c["path"], c["kind"]) for c in changes] == [("/etc/hosts", "modified")]
            # and the snapshot this run took keeps what it could not read
            r = run_collect(["snapshot", "--root", str(root), "--state-dir", str(w["state"]),
                             "--policy-dir", str(w["policy"])])
            assert r.rc == 0, r
    finally:
        subprocess.run(["rm", "-rf", str(base)])


# ---- --json on every exit path -------------------------------------------------------

def test_json_on_failures(root, dirs, tmp_path):
    cases = []
    cases.append((["--since", "yesterday-ish"], 64))
    cases.append((["--no-such-option"], 64))
    bad = tmp_path / "bad.yaml"
    bad.write_text("portal: [unclosed\n")
    cases.append((["--config", str(bad)], 78))
    cases.append((["--root", str(tmp_path / "absent")], 66))
    notdir = tmp_path / "file"
    notdir.write_text("x")
    cases.append((["--output", str(notdir)], 73))
    for extra, code in cases:
        r = run_collect(base_args(root, dirs, "--json") + extra)
        assert r.rc == code, (extra, r)
        res = json.loads(r.out)  # exactly one object
        assert res["exit_code"] == code and res["format_version"] >= 1, res
        assert res["error"]["message"], res
    r = run_collect(base_args(root, dirs, "--json") + ["--config", str(bad)])
    assert r.json["error"]["path"] == str(bad)


def test_json_on_other_verbs(dirs, tmp_path):
    r = run_collect(["policy", "check", "--json", "--policy-dir", str(dirs["policy"])])
    assert r.rc == 0 and r.json["exit_code"] == 0 and "error" not in r.json
    bad = tmp_path / "damaged.tar.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00garbage")
    r = run_collect(["check", str(bad), "--json", "--config", str(dirs["config"])])
    assert r.rc == 65, r
    assert str(bad) in r.err
    assert r.json["exit_code"] == 65 and r.json["error"]["path"] == str(bad)


# ---- checks before work ------------------------------------------------------------

def portal_config(dirs, url, mode=0o600):
    cred = dirs["config"].parent / "credentials"
    cred.write_text("email: ops-bot@customer.example\ntoken: s3cr3t-T0KEN-value\n")
    os.chmod(cred, mode)
    dirs["config"].write_text(
        "environment: production\nproduct: Payments API\n"
        f"portal:\n  url: {url}\n  deployment: cloud\n  credentials: {cred}\n"
        "  service_desk: SUP\n"
        "  request_types: {incident: Report an incident, question: Ask a question}\n")
    return cred


@pytest.fixture
def portal():
    p = FakePortal().start()
    yield p
    p.stop()


@pytest.mark.parametrize("extra", [["--yes"], ["--dry-run"]])
def test_bad_credentials_refused_before_collecting(root, dirs, portal, extra):
    cred = portal_config(dirs, portal.url, mode=0o644)
    r = run_collect(base_args(root, dirs, "--open-ticket", "--json", *extra), env=FAST)
    assert r.rc == 78, r
    assert str(cred) in r.err and r.json["error"]["path"] == str(cred)
    assert os.listdir(dirs["out"]) == [] and files(dirs["spool"]) == []
    assert portal.created() == []


def test_unknown_ticket_refused_before_collecting(root, dirs, portal):
    portal_config(dirs, portal.url)
    r = run_collect(base_args(root, dirs, "--ticket", "SUP-999", "--yes", "--json"), env=FAST)
    assert r.rc == 78, r
    assert "SUP-999" in r.err
    assert os.listdir(dirs["out"]) == [] and files(dirs["spool"]) == []


def test_open_ticket_without_terminal_or_yes(root, dirs, portal):
    portal_config(dirs, portal.url)
    r = run_collect(base_args(root, dirs, "--open-ticket", "--json"), env=FAST)
    assert r.rc == 64, r
    assert "--yes" in r.err
    assert os.listdir(dirs["out"]) == []


# ---- retention -----------------------------------------------------------------------

def test_retention_prunes_kept_bundles(root, dirs):
    write_policy(dirs, "lean.yaml", LEAN + "retention: {max_age: 7d, max_size: 2K}\n")
    kept = dirs["state"] / "bundles"
    kept.mkdir()
    quarantine = dirs["state"] / "quarantine"
    quarantine.mkdir()
    now = time.time()
    made = {
        kept / "collect-h-20260101T000000Z.tar.gz": (now - 8 * 86400, 100),   # too old
        kept / "collect-h-20260201T000000Z.tar.gz": (now - 3600, 1500),       # newest
        quarantine / "collect-h-20260115T000000Z.tar.gz": (now - 7200, 1000),  # over size
        kept / "collect-h-20260120T000000Z.tar.gz": (now - 9000, 400),        # fits
    }
    for path, (t, size) in made.items():
        path.write_bytes(b"z" * size)
        os.utime(path, (t, t))
    r = run_collect(base_args(root, dirs))
    assert r.rc == 0, r
    left = set(os.listdir(kept)) | set(os.listdir(quarantine))
    assert left == {"collect-h-20260201T000000Z.tar.gz", "collect-h-20260120T000000Z.tar.gz"}
    assert "collect-h-20260101T000000Z.tar.gz" in r.err and "max_age" in r.err
    assert "collect-h-20260115T000000Z.tar.gz" in r.err and "max_size" in r.err


def spool_failed_sends(root, dirs, portal, n):
    """n submissions the portal refused for now: each in the spool with its bundle."""
    portal_config(dirs, portal.url)
    portal.set_faults(unavailable={"count": 1000, "path": "/", "method": "POST"})
    args = base_args(root, dirs, "--open-ticket", "--yes", "--allow-incomplete", "--json",
                     "--summary", "retention test")
    ids = []
    for _ in range(n):
        r = run_collect(args, env=FAST)
        assert r.rc == 75, r
        ids.append(r.json["ticket"]["spool_id"])
    portal.set_faults(unavailable=None)
    return ids


def spool_rows(dirs):
    r = run_collect(["spool", "list", "--spool-dir", str(dirs["spool"])])
    assert r.rc == 0, r
    return {line.split()[0]: line for line in r.out.splitlines()[1:] if line.strip()}


def test_retention_prunes_failed_sends_in_the_spool(root, dirs, portal):
    """Failed sends count with the kept bundles: the old one's bundle is
    pruned, the submission is marked, listed as never to be sent, and
    dropped by the next flush instead of being retried forever."""
    write_policy(dirs, "lean.yaml", LEAN + "retention: {max_age: 7d, max_size: 1G}\n")
    old_id, new_id = spool_failed_sends(root, dirs, portal, 2)
    old = dirs["spool"] / old_id / "bundle.tar.gz"
    t = time.time() - 8 * 86400
    os.utime(old, (t, t))
    r = run_collect(base_args(root, dirs))  # any later run applies retention
    assert r.rc == 0, r
    assert not old.exists() and (dirs["spool"] / new_id / "bundle.tar.gz").exists(), r.err
    logged = [line for line in r.err.splitlines() if "retention:" in line]
    assert len(logged) == 1 and old_id in logged[0] and "max_age" in logged[0], r.err
    rows = spool_rows(dirs)
    assert "not sent" in rows[old_id] and "pruned" in rows[old_id], rows
    assert "max_age" in rows[old_id] and "not sent" not in rows[new_id], rows
    f = run_collect(["spool", "flush", "--spool-dir", str(dirs["spool"]), "--state-dir",
                     str(dirs["state"]), "--config", str(dirs["config"])], env=FAST)
    assert f.rc == 1, f
    said = [line for line in f.err.splitlines() if old_id in line]
    assert len(said) == 1 and "pruned" in said[0] and "dropped" in said[0], f.err
    assert len(portal.created()) == 1  # only the one with its bundle was sent
    assert spool_rows(dirs) == {}
    f = run_collect(["spool", "flush", "--spool-dir", str(dirs["spool"]), "--state-dir",
                     str(dirs["state"]), "--config", str(dirs["config"])], env=FAST)
    assert f.rc == 0, f


def test_retention_size_counts_spool_and_kept_bundles_together(root, dirs, portal):
    ids = spool_failed_sends(root, dirs, portal, 3)
    sizes = [(dirs["spool"] / i / "bundle.tar.gz").stat().st_size for i in ids]
    # room for the two newest bundles only; the spooled ones are hard links
    # of the bundles in the output directory, which retention does not own
    write_policy(dirs, "lean.yaml", LEAN + "retention: {max_age: 7d, max_size: %d}\n"
                 % (sizes[1] + sizes[2] + 10))
    now = time.time()
    for k, i in enumerate(ids):
        os.utime(dirs["spool"] / i / "bundle.tar.gz", (now - 300 + k, now - 300 + k))
    r = run_collect(base_args(root, dirs))
    assert r.rc == 0, r
    assert not (dirs["spool"] / ids[0] / "bundle.tar.gz").exists()
    assert all((dirs["spool"] / i / "bundle.tar.gz").exists() for i in ids[1:])
    assert "max_size" in [line for line in r.err.splitlines() if ids[0] in line][0]
    rows = spool_rows(dirs)
    assert "not sent" in rows[ids[0]] and "max_size" in rows[ids[0]]


def test_retention_keys_are_validated(dirs):
    write_policy(dirs, "r.yaml", "retention: {max_age: forever}\n")
    r = run_collect(["policy", "check", "--policy-dir", str(dirs["policy"])])
    assert r.rc == 78 and "r.yaml" in r.err


def test_full_spool_disk(root, dirs, portal, tiny_fs):
    """The portal is down, so the submission goes to the spool; the spool's disk
    is full: 73, one message, nothing half-written in the spool."""
    big_logs(root, n=4, size=1 << 19)
    write_policy(dirs, "lean.yaml", LEAN)
    portal_config(dirs, portal.url)
    portal.set_faults(unavailable={"count": 1000, "path": "/", "method": "POST"})
    before = free_bytes(tiny_fs)
    args = base_args(root, dirs, "--open-ticket", "--yes", "--allow-incomplete", "--json",
                     "--summary", "disk test") + ["--spool-dir", str(tiny_fs)]
    r = run_collect(args, env=FAST)
    assert r.rc == 73, r
    errors = [line for line in r.err.splitlines()
              if line.startswith(("collect: error", "collect: warning"))]
    assert len(errors) == 1, r.err
    assert files(tiny_fs) == []
    assert free_bytes(tiny_fs) == before


def test_listen_port_taken_says_why(dirs, tmp_path):
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    port = s.getsockname()[1]
    try:
        r = run_collect(["watch", "--listen", f"127.0.0.1:{port}", "--journal-dir", str(tmp_path),
                         "--config", str(dirs["config"]), "--state-dir", str(dirs["state"])],
                        timeout=30)
    finally:
        s.close()
    assert r.rc == 73, r
    assert "Address already in use" in r.err and "Success" not in r.err


# ---- options, help, progress line ---------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["snapshot", "--listen", "127.0.0.1:9099"],
    ["policy", "check", "--output", "/tmp"],
    ["portal", "test", "--since", "1h"],
    ["--listen", "127.0.0.1:9099"],
    ["check", "x.tar.gz", "--open-ticket"],
    ["spool", "list", "--mask"],
    ["hook", "coredump", "--yes"],
])
def test_options_that_do_not_apply_are_refused(argv):
    r = run_collect(argv + ["--json"])
    assert r.rc == 64, r
    assert "does not apply" in r.err
    assert r.json["exit_code"] == 64 and r.json["error"]["message"]


def test_verb_help_describes_the_verb():
    r = run_collect(["snapshot", "--help"])
    assert r.rc == 0 and "configuration snapshot" in r.out
    assert "--listen" not in r.out and "--root" in r.out
    r = run_collect(["watch", "--help"])
    assert r.rc == 0 and "--listen" in r.out and "--open-ticket" not in r.out
    r = run_collect(["--help"])
    assert r.rc == 0 and "129/130/143" in r.out


def progress_output(root, dirs, extra_env):
    """stderr on a terminal (a pty), as a person would see it."""
    master, slave = os.openpty()
    e = env()
    e.update(extra_env)
    p = subprocess.Popen([BIN] + base_args(root, dirs), stdout=subprocess.DEVNULL,
                         stderr=slave, stdin=subprocess.DEVNULL, env=e)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    assert p.wait(timeout=60) == 0
    return out


def test_progress_line_honours_term_and_no_color(root, dirs):
    write_policy(dirs, "lean.yaml", LEAN)
    assert b"\x1b[K" in progress_output(root, dirs, {"TERM": "xterm"})
    assert b"[logs]" not in progress_output(root, dirs, {"TERM": "dumb"})
    plain = progress_output(root, dirs, {"TERM": "xterm", "NO_COLOR": "1"})
    assert b"\x1b" not in plain and b"[logs]" in plain
