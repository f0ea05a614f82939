# SPDX-License-Identifier: MIT
"""Shared fixtures: the built binary, a temporary copy of the fixture root,
state/spool/output directories, and helpers to run `collect` as a user would
and read its bundle back with Python's tarfile."""

import hashlib
import json
import os
import resource
import shutil
import subprocess
import tarfile

import pytest

# The binary's test hooks (COLLECT_TEST_NOW, short back-offs, ...) act only
# when COLLECT_TESTING=1 (include/testhook.h).
os.environ.setdefault("COLLECT_TESTING", "1")
SRCDIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("COLLECT_BIN", os.path.join(SRCDIR, "build", "collect"))
FIXTURE_ROOT = os.path.join(SRCDIR, "tests", "data", "root")
# 2026-11-27 within the fixture logs; tests pass explicit windows.
# Sanitizer builds carry shadow memory: resident-set budgets do not apply.
SANITIZED = bool(os.environ.get("COLLECT_SANITIZED"))
WINDOW = ["--since", "2026-11-26T00:00:00Z", "--until", "2026-11-28T00:00:00Z"]


class Run:
    def __init__(self, proc, rss_kib):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr
        self.rss_kib = rss_kib

    @property
    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return f"<Run rc={self.rc}\nstdout={self.out[-3000:]}\nstderr={self.err[-3000:]}>"


def peak_rss_kib(args, env=None, timeout=300):
    """Peak RSS of one run, measured by /usr/bin/time: a process forked from
    pytest would carry pytest's own resident set into ru_maxrss."""
    import tempfile
    with tempfile.NamedTemporaryFile("r") as f:
        e = dict(os.environ)
        if env:
            e.update(env)
        proc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", f.name, BIN] + list(args),
                              capture_output=True, text=True, env=e, timeout=timeout,
                              stdin=subprocess.DEVNULL)
        return proc.returncode, int(f.read().strip().splitlines()[-1])


def run_collect(args, env=None, timeout=120, input=None, preexec_fn=None, cwd=None):
    """Runs the binary as a user would; returns Run with rc, out and err."""
    import tempfile
    import time
    e = dict(os.environ)
    for k in ("COLLECT_CONFIG", "COLLECT_PORTAL_TOKEN", "COLLECT_PORTAL_EMAIL"):
        e.pop(k, None)
    if env:
        e.update(env)
    with tempfile.TemporaryFile() as fin, tempfile.TemporaryFile() as fout, \
            tempfile.TemporaryFile() as ferr:
        if input is not None:
            fin.write(input.encode())
            fin.seek(0)
        proc = subprocess.Popen([BIN] + list(args), stdout=fout, stderr=ferr, env=e,
                                cwd=cwd, stdin=fin if input is not None else subprocess.DEVNULL,
                                preexec_fn=preexec_fn)
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid == proc.pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                os.wait4(proc.pid, 0)
                raise subprocess.TimeoutExpired(args, timeout)
            time.sleep(0.005)
        proc.returncode = os.waitstatus_to_exitcode(status)
        fout.seek(0)
        ferr.seek(0)

        class P:
            pass
        p = P()
        p.returncode = proc.returncode
        p.stdout = fout.read().decode(errors="replace")
        p.stderr = ferr.read().decode(errors="replace")
    return Run(p, usage.ru_maxrss)


@pytest.fixture
def root(tmp_path):
    """A private copy of tests/data/root that a test may change."""
    dst = tmp_path / "root"
    shutil.copytree(FIXTURE_ROOT, dst, symlinks=True)
    return dst


@pytest.fixture
def dirs(tmp_path):
    d = {}
    for name in ("out", "state", "spool", "policy"):
        p = tmp_path / name
        p.mkdir()
        d[name] = p
    d["config"] = tmp_path / "collect.yaml"
    d["config"].write_text("# no portal: the outbox is used\n")
    return d


def base_args(root, dirs, *extra):
    """Arguments that keep a run inside the test's directories."""
    return ["--root", str(root), "--output", str(dirs["out"]), "--state-dir",
            str(dirs["state"]), "--spool-dir", str(dirs["spool"]), "--policy-dir",
            str(dirs["policy"]), "--config", str(dirs["config"])] + WINDOW + list(extra)


def open_bundle(path):
    """Returns {member name without top dir: bytes} and the top directory name."""
    members = {}
    with tarfile.open(path, "r:gz") as t:
        tops = set()
        for m in t.getmembers():
            top, _, rest = m.name.partition("/")
            tops.add(top)
            assert m.isfile(), m.name
            members[rest] = t.extractfile(m).read()
        assert len(tops) == 1, tops
        return members, tops.pop()


def check_manifest(members):
    """Every member except the manifest is listed with its true size and sha256."""
    manifest = json.loads(members["manifest.json"])
    listed = {m["path"]: m for m in manifest["members"]}
    for name, data in members.items():
        if name == "manifest.json":
            continue
        assert name in listed, f"{name} not in the manifest"
        assert listed[name]["size"] == len(data), name
        assert listed[name]["sha256"] == hashlib.sha256(data).hexdigest(), name
    for name in listed:
        assert name in members, f"manifest lists {name}, the archive lacks it"
    return manifest


def write_policy(dirs, name, text):
    (dirs["policy"] / name).write_text(text)
