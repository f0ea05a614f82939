# SPDX-License-Identifier: MIT
"""The foundation, as a user runs it: the --json contract, the bundle and its
manifest, status rows for faults, exit codes, deadlines and memory."""

import json
import os
import re
import resource
import stat
import time

import pytest

from conftest import (BIN, SANITIZED, base_args, check_manifest, open_bundle,
                      peak_rss_kib, run_collect, write_policy)

NAME_RE = re.compile(r"^collect-[A-Za-z0-9._-]+-\d{8}T\d{6}Z\.tar\.gz$")


def collect(root, dirs, *extra, **kw):
    return run_collect(base_args(root, dirs, "--json", *extra), **kw)


def test_json_contract_and_manifest(root, dirs):
    r = collect(root, dirs)
    assert r.rc == 0, r
    res = r.json
    assert set(res) >= {"bundle", "collectors", "checklist", "severity", "redaction",
                        "ticket", "exit_code"}
    assert res["exit_code"] == 0
    path = res["bundle"]["path"]
    assert os.path.dirname(path) == str(dirs["out"])
    assert NAME_RE.match(os.path.basename(path)), path
    assert "testhost" in os.path.basename(path)
    st = os.stat(path)
    assert stat.S_IMODE(st.st_mode) == 0o600
    assert res["bundle"]["bytes"] == st.st_size
    import hashlib
    assert res["bundle"]["sha256"] == hashlib.sha256(open(path, "rb").read()).hexdigest()
    for c in res["collectors"]:
        assert set(c) >= {"name", "status", "seconds", "bytes"}
        assert c["status"] in ("ok", "partial", "skipped", "failed", "timeout")
    names = [c["name"] for c in res["collectors"]]
    assert names[:1] == ["environment"]
    assert set(res["redaction"]) >= {"replacements", "by_rule"}
    assert res["ticket"]["action"] == "none"
    for item in res["checklist"]:
        assert item["status"] in ("ok", "missing", "not_applicable")
        assert item["source"] in ("auto", "user")
    assert res["severity"]["suggested"] in ("P1", "P2", "P3", "P4")
    assert isinstance(res["severity"]["reasons"], list)

    members, top = open_bundle(path)
    assert top + ".tar.gz" == os.path.basename(path)
    manifest = check_manifest(members)
    assert "summary.md" in members and "redaction.json" in members
    assert manifest["host"] == "testhost"
    assert manifest["window"]["since"] == "2026-11-26T00:00:00Z"
    assert manifest["window"]["until"] == "2026-11-28T00:00:00Z"
    assert manifest["tool"]["name"] == "collect"
    assert any(m.startswith("environment/") for m in members)
    # manifest.json is the last member
    import tarfile
    with tarfile.open(path) as t:
        assert t.getnames()[-1].endswith("/manifest.json")
    summary = members["summary.md"].decode()
    assert summary.startswith("# Support bundle: testhost")
    assert "Severity" in summary or "severity" in summary
    # no temporary files left next to the bundle
    assert os.listdir(dirs["out"]) == [os.path.basename(path)]


def test_plain_output_prints_path(root, dirs):
    r = run_collect(base_args(root, dirs, "-q"))
    assert r.rc == 0, r
    path = r.out.strip()
    assert os.path.exists(path) and path.endswith(".tar.gz")


def test_output_as_file_path(root, dirs):
    target = dirs["out"] / "mine.tar.gz"
    r = run_collect(base_args(root, dirs, "-q") + ["--output", str(target)])
    assert r.rc == 0, r
    members, top = open_bundle(target)
    assert top == "mine"


def test_faults_do_not_stop_the_run(root, dirs):
    """A FIFO, an unreadable file, a link out of the root, a failing and a hung
    command: the bundle is produced, the rows say what happened, exit 0."""
    logdir = root / "var" / "log"
    os.mkfifo(logdir / "syslog.fifo")
    secret = dirs["out"].parent / "outside-secret.txt"
    secret.write_text("OUTSIDE-ROOT-CONTENT\n")
    os.symlink(str(secret), logdir / "syslog.link")
    os.symlink("../../../../../../../.." + str(secret), logdir / "syslog.rel")
    unreadable = logdir / "syslog.locked"
    unreadable.write_text("locked\n")
    unreadable.chmod(0)
    write_policy(dirs, "50-test.yaml", """
logs:
  paths: [/var/log/syslog*]
commands:
  - {name: hangs, argv: [sleep, "30"], timeout: 1s, live_only: false}
  - {name: fails, argv: [sh, -c, "echo broken >&2; exit 2"], timeout: 5s, live_only: false}
  - {name: missing, argv: [no-such-binary-xyz], timeout: 5s, live_only: false}
""")
    t0 = time.monotonic()
    r = collect(root, dirs)
    elapsed = time.monotonic() - t0
    assert r.rc == 0, r
    res = r.json
    members, _ = open_bundle(res["bundle"]["path"])
    check_manifest(members)
    everything = b"".join(members.values())
    assert b"OUTSIDE-ROOT-CONTENT" not in everything
    rows = {c["name"]: c for c in res["collectors"]}
    assert rows["commands"]["status"] == "partial", rows["commands"]
    assert "hangs" in rows["commands"]["note"]
    hung = members["commands/hangs.txt"].decode()
    assert "timeout" in hung
    failed = members["commands/fails.txt"].decode()
    assert "broken" in failed and "exit status 2" in failed
    assert "missing" in rows["commands"]["note"]
    # the hung command cost about its deadline, not 30 s
    assert elapsed < 20


def test_hung_command_killed_within_a_second(root, dirs):
    write_policy(dirs, "50-test.yaml", """
collectors: []
commands:
  - {name: hangs, argv: [sh, -c, "sleep 60 & sleep 60"], timeout: 2s, live_only: false}
""")
    t0 = time.monotonic()
    r = collect(root, dirs)
    elapsed = time.monotonic() - t0
    assert r.rc == 0, r
    members, _ = open_bundle(r.json["bundle"]["path"])
    out = members["commands/hangs.txt"].decode()
    assert "timeout" in out
    m = re.search(r"duration ([\d.]+)s", out)
    assert m and 2.0 <= float(m.group(1)) < 3.0, out
    assert elapsed < 10


def test_live_only_commands_skipped_under_root(root, dirs):
    r = collect(root, dirs)
    rows = {c["name"]: c for c in r.json["collectors"]}
    assert "live-only commands skipped" in rows["commands"]["note"]


def test_output_not_writable(root, dirs):
    ro = dirs["out"] / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    if os.geteuid() == 0:
        # root ignores mode bits: use a path below a regular file instead
        target = dirs["out"] / "file"
        target.write_text("")
        r = run_collect(base_args(root, dirs) + ["--output", str(target / "sub")])
    else:
        r = run_collect(base_args(root, dirs) + ["--output", str(ro)])
    assert r.rc == 73, r
    assert os.listdir(ro) == []


def test_disk_full_removes_temporary(root, dirs):
    big = root / "var" / "log" / "syslog.big"
    with open(big, "w") as f:
        for i in range(20000):
            f.write(f"2026-11-27T10:00:00Z host app: {os.urandom(100).hex()}\n")
    t = 1795773600  # 2026-11-27T10:00:00Z, inside the window
    os.utime(big, (t, t))

    def limit():
        import signal
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))

    r = run_collect(base_args(root, dirs), preexec_fn=limit)
    assert r.rc == 73, r
    assert os.listdir(dirs["out"]) == []


@pytest.mark.parametrize("args,needle", [
    (["--bogus"], "--bogus"),
    (["-x"], "-x"),
    (["frobnicate"], "frobnicate"),
    (["--since"], "--since"),
    (["--severity", "P9"], "P9"),
    (["--type", "rant"], "rant"),
    (["--workaround", "maybe"], "maybe"),
    (["--ticket", "not a key"], "not a key"),
    (["--since", "tomorrowish"], "tomorrowish"),
])
def test_usage_errors(root, dirs, args, needle):
    r = run_collect(base_args(root, dirs) + args)
    assert r.rc == 64, r
    assert needle in r.err
    assert "Usage:" not in r.err and "Usage:" not in r.out


def test_help_and_version():
    r = run_collect(["--help"])
    assert r.rc == 0 and "--open-ticket" in r.out and "Exit codes" in r.out
    r = run_collect(["--version"])
    assert r.rc == 0 and re.match(r"collect \d+\.\d+", r.out)


def test_missing_inputs(root, dirs):
    r = run_collect(base_args(root, dirs) + ["--journal-dir", "/nonexistent/journal"])
    assert r.rc == 66, r
    r = run_collect(base_args(root, dirs) + ["--config", "/nonexistent/collect.yaml"])
    assert r.rc == 66, r
    r = run_collect(base_args(root, dirs) + ["--summary", "@/nonexistent/file"])
    assert r.rc == 66, r


def test_malformed_policy(root, dirs):
    write_policy(dirs, "60-bad.yaml", "budgets:\n  total: 10M\n  per_fiel: 1M\n")
    r = collect(root, dirs)
    assert r.rc == 78, r
    assert "60-bad.yaml:3:3:" in r.err and "per_fiel" in r.err
    assert os.listdir(dirs["out"]) == []


def test_policy_check_verb(dirs, tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("logs:\n  paths: [/var/log/app/*.log]\n")
    r = run_collect(["policy", "check", str(good)])
    assert r.rc == 0, r
    bad = tmp_path / "bad.yaml"
    bad.write_text("commands:\n  - {name: x, argv: [a, b}\n")
    r = run_collect(["policy", "check", str(bad)])
    assert r.rc == 78, r
    assert re.search(re.escape(str(bad)) + r":\d+:\d+: ", r.err), r.err
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("journal:\n  max_units: many\n")
    r = run_collect(["policy", "check", str(wrong)])
    assert r.rc == 78 and f"{wrong}:2:14:" in r.err, r
    r = run_collect(["policy", "check", str(tmp_path / "absent.yaml")])
    assert r.rc == 66, r
    # the shipped policies are valid
    r = run_collect(["policy", "check"])
    assert r.rc == 0, r


@pytest.mark.skipif(SANITIZED, reason="sanitizer shadow memory")
def test_peak_rss_under_16_mib(root, dirs):
    logdir = root / "var" / "log"
    line = b"2026-11-27T10:00:00Z app[1]: ERROR request 1234 failed token=abc\n"
    with open(logdir / "syslog.3", "wb") as f:
        for _ in range(40):
            f.write(line * 10000)
    rc, rss = peak_rss_kib(base_args(root, dirs, "-q"))
    assert rc == 0
    assert rss < 16 * 1024, rss


def test_budget_keeps_newest(root, dirs):
    log = root / "var" / "log" / "syslog.1"
    with open(log, "w") as f:
        for i in range(50000):
            f.write(f"2026-11-27T10:{(i // 1000) % 60:02d}:00Z host app: line {i:06d}\n")
    write_policy(dirs, "50-budget.yaml", "budgets:\n  per_file: 64K\n")
    r = collect(root, dirs)
    assert r.rc == 0, r
    members, _ = open_bundle(r.json["bundle"]["path"])
    manifest = check_manifest(members)
    kept = [k for k in members if k.startswith("logs/files/") and "syslog.1" in k]
    assert kept, list(members)
    data = members[kept[0]].decode()
    assert len(data) <= 64 * 1024
    assert "line 049999" in data and "line 000000" not in data
    assert data.startswith("2026-")  # cut at a line start
    listed = {m["path"]: m for m in manifest["members"]}
    assert listed[kept[0]]["truncated"] is True


def test_progress_line_only_on_a_terminal(root, dirs):
    """On a terminal, stderr carries a live progress line that is replaced by
    the summary; without a terminal (or with -q) there is none."""
    import pty
    import select
    import subprocess
    args = [BIN] + base_args(root, dirs)
    master, slave = pty.openpty()
    p = subprocess.Popen(args, stdin=slave, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        elif p.poll() is not None:
            break
    p.wait(timeout=30)
    os.close(master)
    assert p.returncode == 0
    text = seen.decode(errors="replace")
    assert "\r\x1b[K[" in text, text[:500]   # drawn, then cleared
    assert "collect: bundle" in text
    # without a terminal: no carriage returns or escapes
    r = run_collect(base_args(root, dirs))
    assert r.rc == 0
    assert "\r" not in r.err and "\x1b[" not in r.err
    assert "collect: bundle" in r.err
    r = run_collect(base_args(root, dirs, "-q"))
    assert r.rc == 0 and r.err == "", r.err


def test_ticket_without_portal_drafts_a_comment(root, dirs):
    """--ticket KEY with no portal: the bundle is named after the key and the
    draft is a comment for that ticket, not a new request."""
    r = run_collect(base_args(root, dirs, "--ticket", "SUP-12", "--json"))
    assert r.rc == 0, r
    res = r.json
    assert res["ticket"]["action"] == "drafted"
    path = res["bundle"]["path"]
    assert path.endswith("-SUP-12.tar.gz")
    text = open(path + ".ticket.txt").read()
    assert text.startswith("Ticket: SUP-12\n")
    assert "Comment (paste as is)" in text and "Checklist: " in text
    draft = json.load(open(path + ".ticket.json"))
    assert draft["action"] == "attach" and draft["key"] == "SUP-12"
    assert "open SUP-12" in r.err
