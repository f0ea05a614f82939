# SPDX-License-Identifier: MIT
"""The journal, log files and error extraction through the real binary: a
journal built with systemd-journal-remote, a log tree with rotated .gz files
and every timestamp format, read back from the bundle with tarfile."""

import glob
import gzip
import json
import os
import shutil
import subprocess

import pytest

from conftest import BIN, SANITIZED, SRCDIR, Run, check_manifest, open_bundle, run_collect
import journal_fixtures

DATA = os.path.join(SRCDIR, "tests", "data", "logs")
DAY2 = "2026-11-27T00:00:00Z"
DAY3 = "2026-11-28T00:00:00Z"
T_DAY2 = 1795737600


def put(root, name, rel, mtime, gz=False):
    dst = os.path.join(root, rel)
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    with open(os.path.join(DATA, name), "rb") as f:
        data = f.read()
    with (gzip.open(dst, "wb") if gz else open(dst, "wb")) as f:
        f.write(data)
    os.utime(dst, (mtime, mtime))


@pytest.fixture
def logroot(tmp_path):
    root = tmp_path / "logroot"
    root.mkdir()
    r = str(root)
    put(r, "syslog", "var/log/syslog", T_DAY2 + 86400 + 30)
    put(r, "syslog.1", "var/log/syslog.1", T_DAY2 + 6 * 3600)
    put(r, "syslog.3", "var/log/syslog.3.gz", T_DAY2 - 6 * 86400, gz=True)
    put(r, "kern.log.1", "var/log/kern.log.1.gz", T_DAY2 + 4 * 3600 + 1, gz=True)
    put(r, "access.log", "var/log/nginx/access.log", T_DAY2 + 86400 + 3600)
    put(r, "error.log", "var/log/nginx/error.log", T_DAY2 + 36005)
    put(r, "postgresql.log", "var/log/postgresql/postgresql-16-main.log", T_DAY2 + 36001)
    return root


@pytest.fixture(scope="module")
def journal_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("journal")
    facts = journal_fixtures.build_fixture(str(d))
    return d, facts


def collect(root, journal, tmp_path, *extra, since=DAY2, until=DAY3, wrap=None, env=None):
    d = {}
    for name in ("out", "state", "policy"):
        d[name] = tmp_path / name
        d[name].mkdir(exist_ok=True)
    cfg = tmp_path / "collect.yaml"
    cfg.write_text("# no portal\n")
    args = ["--root", str(root), "--output", str(d["out"]),
            "--state-dir", str(d["state"]), "--spool-dir", str(d["state"]), "--policy-dir",
            str(d["policy"]), "--config", str(cfg), "--since", since, "--until", until,
            "--json"] + list(extra)
    if journal:
        args += ["--journal-dir", str(journal)]
    if wrap:
        # run_collect prepends the binary: run the wrapper through it instead.
        proc = subprocess.run(wrap + [BIN] + args, capture_output=True, text=True, timeout=300,
                              stdin=subprocess.DEVNULL)
        return Run(proc, None), d
    return run_collect(args, env=env), d


def bundle_of(run):
    assert run.rc in (0, 65), run
    members, _ = open_bundle(run.json["bundle"]["path"])
    return members, check_manifest(members)


def collect_journal(jdir, tmp_path, *extra):
    """collect with an empty root and the journal in jdir: the run, the members
    and the manifest."""
    root = tmp_path / "root"
    root.mkdir()
    run, _ = collect(root, jdir, tmp_path, *extra)
    members, manifest = bundle_of(run)
    return run, members, manifest


def findings(manifest, kind):
    return {f["subject"]: f for f in manifest.get("findings", []) if f["kind"] == kind}


def group(errors, needle):
    hits = [g for g in errors if needle in g["signature"]]
    assert len(hits) == 1, (needle, [g["signature"] for g in errors])
    return hits[0]


# The error extraction runs on a thread of its own only with three CPUs or
# more: both ways, with the same result.
@pytest.mark.parametrize("line_thread", ["0", "1"])
def test_journal_logs_errors(logroot, journal_dir, tmp_path, line_thread):
    jdir, facts = journal_dir
    run, _ = collect(logroot, jdir, tmp_path, env={"COLLECT_TEST_LINE_THREAD": line_thread})
    members, manifest = bundle_of(run)

    w = members["logs/journal/warnings.log"].decode()
    assert "edge-start marker" in w and "edge-end marker" in w
    assert "edge-before marker" not in w and "edge-after marker" not in w
    assert "day one only" not in w
    app = members["logs/journal/units/app.service.log"].decode()
    assert app.count("request handled") == facts["app_request_lines"]
    assert "logs/journal/units/worker.service.log" in members
    assert "logs/journal/units/cron.service.log" not in members
    assert "Out of memory: Killed process 3131" in members["logs/journal/kernel.log"].decode()

    syslog = members["logs/files/var/log/syslog"].decode()
    assert syslog.startswith("Nov 27 00:00:00 fixturehost app[101]: first line in window\n")
    assert syslog.endswith("Nov 27 23:59:59 fixturehost app[101]: last line in window\n")
    assert "before window" not in syslog and "after window" not in syslog
    kern = members["logs/files/var/log/kern.log.1"].decode()
    assert "kernel line in window from gz" in kern and "old kernel line" not in kern
    assert not any(m.startswith("logs/files/var/log/syslog.3") for m in members)
    access = members["logs/files/var/log/nginx/access.log"].decode()
    assert "/in-window" in access and "/zone-in" in access
    assert "/zone-before" not in access and "/old" not in access
    src = {m["path"]: m.get("source") for m in manifest["members"]}
    assert src.get("logs/files/var/log/kern.log.1") == "/var/log/kern.log.1.gz"

    errors = json.loads(members["errors/errors.json"])
    assert group(errors, "payment gateway timeout")["count"] == 5
    assert group(errors, "database connection refused")["count"] == 2
    g = group(errors, "password authentication failed")
    assert g["count"] == 1 and g["sources"] == ["/var/log/postgresql/postgresql-16-main.log"]
    assert g["first_seen"] == "2026-11-27T10:00:00Z"
    assert "old error" not in members["errors/errors.txt"].decode()
    assert "payment gateway timeout" in members["errors/errors.txt"].decode()

    failed = findings(manifest, "unit_failed")
    assert failed["app.service"]["count"] == 3
    assert failed["worker.service"]["detail"] == "oom-kill"
    assert findings(manifest, "unit_restarts")["app.service"]["count"] == 3
    assert findings(manifest, "crash")["/usr/bin/app"]["count"] == 3
    assert findings(manifest, "oom_kill")["java"]["count"] == 1


@pytest.mark.parametrize("line_thread", ["0", "1"])
def test_repeats_grouped_and_traces(tmp_path, journal_dir, line_thread):
    jdir, _ = journal_dir
    root = tmp_path / "root"
    log = root / "var/log/app"
    log.mkdir(parents=True)
    lines = []
    for i in range(10000):
        lines.append("2026-11-27T%02d:%02d:%02d.%03dZ ERROR order %d failed: upstream 10.0.%d.%d "
                     "timed out after %d ms\n" % (i // 3600 % 24, i // 60 % 60, i % 60, i % 1000,
                                                   i, i % 256, i % 200, 1000 + i))
    lines += ["2026-11-27T23:00:00Z ERROR Unhandled exception\n",
              "Traceback (most recent call last):\n",
              '  File "/srv/app/worker.py", line 10, in run\n',
              "ZeroDivisionError: division by zero\n",
              "2026-11-27T23:00:01Z INFO recovered\n"]
    (log / "app.log").write_text("".join(lines))
    os.utime(log / "app.log", (T_DAY2 + 86000, T_DAY2 + 86000))
    (tmp_path / "policy").mkdir()
    (tmp_path / "policy" / "logs.yaml").write_text("logs:\n  paths: [/var/log/app/*.log]\n")
    run, _ = collect(root, jdir, tmp_path, env={"COLLECT_TEST_LINE_THREAD": line_thread})
    members, _ = bundle_of(run)
    errors = json.loads(members["errors/errors.json"])
    g = group(errors, "upstream")
    assert g["count"] == 10000
    assert g["first_seen"] == "2026-11-27T00:00:00Z"
    t = group(errors, "Unhandled exception")
    assert t["count"] == 1
    assert t["sample"].endswith("ZeroDivisionError: division by zero")
    assert "INFO recovered" not in t["sample"]


def test_corrupt_gz_noted(tmp_path, journal_dir):
    jdir, _ = journal_dir
    root = tmp_path / "root"
    (root / "var/log").mkdir(parents=True)
    text = "".join("2026-11-27T10:%02d:%02dZ INFO line %d with some words in it\n"
                   % (i // 60 % 60, i % 60, i) for i in range(50000))
    p = root / "var/log/syslog.1.gz"
    p.write_bytes(gzip.compress(text.encode()))
    data = bytearray(p.read_bytes())
    data[len(data) // 2:len(data) // 2 + 4096] = b"\xff" * 4096
    p.write_bytes(bytes(data))
    os.utime(p, (T_DAY2 + 40000, T_DAY2 + 40000))
    run, _ = collect(root, jdir, tmp_path)
    members, manifest = bundle_of(run)
    kept = members["logs/files/var/log/syslog.1"].decode(errors="replace")
    assert kept.startswith("2026-11-27T10:00:00Z INFO line 0 ")
    assert 1000 < len(kept)
    assert "readable part is kept" in json.dumps(manifest)


def test_journal_under_root(tmp_path, journal_dir):
    """Without --journal-dir, a non-/ root's own var/log/journal is read."""
    jdir, _ = journal_dir
    root = tmp_path / "root"
    mid = root / "var/log/journal/0123456789abcdef0123456789abcdef"
    mid.mkdir(parents=True)
    for f in glob.glob(os.path.join(str(jdir), "*.journal")):
        shutil.copy(f, mid)
    run, _ = collect(root, None, tmp_path)
    members, manifest = bundle_of(run)
    assert "edge-start marker" in members["logs/journal/warnings.log"].decode()
    assert findings(manifest, "crash")["/usr/bin/app"]["count"] == 3


def test_journal_window_opens_its_files(tmp_path):
    """Only the journal files holding entries of the window are opened, and the
    bundle has every entry of the window that journalctl prints: the system's
    files of days 1, 2 and 3 (the window is day 2, and its end is day 3's
    first entry: both ends count), a user journal over all three days (it
    overlaps), a file with a broken header, one that is no journal (named in
    the collector's note), and a machine-ID subdirectory with a day-2 file."""
    jdir = tmp_path / "journal"
    sub = jdir / "0123456789abcdef0123456789abcdef"
    sub.mkdir(parents=True)
    W = journal_fixtures.write_journal
    msg = journal_fixtures.unit_msg
    for day in (1, 2, 3):
        W(str(jdir), [(journal_fixtures.at(day, h), msg("sys.service", 3, "sys day %d h %d"
                                                          % (day, h))) for h in range(0, 24, 3)],
          name="system@%d.journal" % day)
    W(str(jdir), [(journal_fixtures.at(d, h, 30), msg("user.service", 3, "user day %d h %d"
                                                      % (d, h))) for d in (1, 2, 3)
                  for h in range(0, 24, 6)], name="user-1000.journal")
    W(str(sub), [(journal_fixtures.at(2, 12, 15), msg("sub.service", 3, "sub day 2"))],
      name="system.journal")
    (jdir / "broken.journal").write_bytes(b"LPKSHHRH" + b"\0" * 200)
    (jdir / "garbage.journal").write_text("not a journal\n" * 50)
    root = tmp_path / "root"
    root.mkdir()
    run, _ = collect(root, jdir, tmp_path, "-vv")
    members, _ = bundle_of(run)
    assert "4 journal files of the window" in run.err, run.err
    note = [c for c in run.json["collectors"] if c["name"] == "journal"][0]["note"]
    assert "could not be opened" in note and "garbage.journal" in note, note
    text = members["logs/journal/warnings.log"].decode()
    for h in range(0, 24, 3):
        assert "sys day 2 h %d" % h in text
    for h in range(0, 24, 6):
        assert "user day 2 h %d" % h in text
    assert "sub day 2" in text
    assert "day 1" not in text and "user day 3" not in text
    assert "sys day 3 h 0\n" in text and "sys day 3 h 3" not in text
    jc = subprocess.run(["journalctl", "--directory", str(jdir), "--since",
                         "2026-11-27 00:00:00 UTC", "--until", "2026-11-28 00:00:00 UTC",
                         "-o", "cat", "--no-pager"], capture_output=True, text=True)
    printed = [line for line in jc.stdout.splitlines() if line]
    assert sorted(printed) == sorted(line.split(": ", 1)[1] for line in text.splitlines()
                                     if line and not line.startswith(" "))
    for unit in ("sys", "user"):
        assert members["logs/journal/units/%s.service.log" % unit].decode().count("day 2") > 0


def test_journal_message_control_characters(tmp_path):
    """A message's tab stays, its other control characters become spaces, an
    inner newline starts an indented line and trailing newlines go; long runs
    without them are copied eight bytes at a time."""
    jdir = tmp_path / "journal"
    plain = "x" * 61
    msgs = ["tab\there, cr\rthere, bell\x07 and esc\x1b end",
            plain + "\x01" + plain + "\nsecond line\n\n",
            "\x1f" + plain[:7]]
    journal_fixtures.write_journal(str(jdir), [
        (journal_fixtures.at(2, 10, i), journal_fixtures.unit_msg("ctl.service", 3, m))
        for i, m in enumerate(msgs)])
    _, members, _ = collect_journal(jdir, tmp_path)
    text = members["logs/journal/units/ctl.service.log"].decode()
    assert ": tab\there, cr there, bell  and esc  end\n" in text
    assert ": " + plain + " " + plain + "\n    second line\n" in text
    assert ":  " + plain[:7] + "\n" in text


def test_journal_first_pass_priorities_held(tmp_path):
    """The first pass asks only for the PRIORITY values the files hold: the
    emergency and the alert present are found (in a second file, whose
    priorities the first does not have), the values no file holds cost
    nothing and find nothing; info lines stay out of warnings.log."""
    jdir = tmp_path / "journal"
    journal_fixtures.write_journal(str(jdir), [
        (journal_fixtures.at(2, 9, i), journal_fixtures.unit_msg("a.service", 6, "routine %d" % i))
        for i in range(5)] + [
        (journal_fixtures.at(2, 9, 30), journal_fixtures.unit_msg("a.service", 4, "warned"))],
        name="one.journal")
    journal_fixtures.write_journal(str(jdir), [
        (journal_fixtures.at(2, 10), journal_fixtures.unit_msg("b.service", 0, "emergency now")),
        (journal_fixtures.at(2, 11), journal_fixtures.unit_msg("b.service", 1, "alert now")),
        (journal_fixtures.at(2, 12), journal_fixtures.unit_msg("b.service", 6, "fine again"))],
        name="two.journal")
    _, members, _ = collect_journal(jdir, tmp_path)
    warnings = members["logs/journal/warnings.log"].decode()
    assert " emerg fixturehost b[100]: emergency now\n" in warnings
    assert " alert fixturehost b[100]: alert now\n" in warnings
    assert " warning fixturehost a[100]: warned\n" in warnings
    assert "routine" not in warnings and "fine again" not in warnings
    unit = members["logs/journal/units/b.service.log"].decode()
    assert "fine again" in unit


def test_journal_units_left_out_counted_once(tmp_path):
    """More units with errors than max_units: the note counts the units left
    without a file, each once however many errors it logged."""
    jdir = tmp_path / "journal"
    entries = []
    for i in range(5):
        for k in range(7):
            entries.append((journal_fixtures.at(2, 9, i, k),
                            journal_fixtures.unit_msg("u%d.service" % i, 3, "failed %d" % k)))
    journal_fixtures.write_journal(str(jdir), sorted(entries, key=lambda e: e[0]))
    policy = tmp_path / "policy"
    policy.mkdir()
    (policy / "zz-units.yaml").write_text("journal: {max_units: 2}\n")
    _, members, manifest = collect_journal(jdir, tmp_path)
    assert len([n for n in members if n.startswith("logs/journal/units/")]) == 2
    note = [c["note"] for c in manifest["collectors"] if c["name"] == "journal"][0]
    assert "3 more units had errors; only 2 got their own file" in note, note


def _two_part_journal(jdir):
    """Two files over day 2: four units logging every 20 s, some errors, a
    secret in some lines, multi-line messages, kernel lines."""
    entries = []
    for k in range(4320):
        t = journal_fixtures.at(2, 0) + k * 20 * 1000000
        u = "w%d.service" % (k % 4)
        prio = 3 if k % 97 == 0 else 6
        msg = "request %d done" % k
        if k % 53 == 0:
            msg = "login user=admin password=Hunter2-%d ok" % k
        if k % 211 == 0:
            msg = "Traceback (most recent call last):\n  File \"x.py\", line %d\nValueError" % k
        entries.append((t, journal_fixtures.unit_msg(u, prio, msg, pid=200 + k % 4)))
        if k % 31 == 0:
            entries.append((t + 1, journal_fixtures.kernel_msg(4, "eth0: link flap %d" % k)))
        if k % 700 == 5:  # findings in both parts: the same subjects, counted together
            entries.append((t + 2, journal_fixtures.kernel_msg(
                6, "app[%d]: segfault at 0 ip 00007f sp 00007ffe error 4 in app[5000+1000]" % k)))
            entries.append((t + 3, journal_fixtures.systemd_msg(
                "w%d.service" % (k % 4), 4, "Failed with result 'exit-code'.")))
        if k % 500 == 7:
            entries.append((t + 4, journal_fixtures.unit_msg("x%d.service" % (k // 500), 3,
                                                             "fatal error %d" % k)))
    half = len(entries) // 2
    journal_fixtures.write_journal(str(jdir), entries[:half], name="a.journal")
    journal_fixtures.write_journal(str(jdir), entries[half:], name="b.journal")


def _journal_members(members):
    return {n: v for n, v in members.items()
            if n.startswith("logs/journal/") or n in ("errors/errors.json", "redaction.json")}


def test_journal_units_read_in_two_parts(tmp_path):
    """The units pass read by two readers at once (a child process reads the
    window's second part) gives the same members, byte for byte, as one
    reader; and when the child fails before sending anything, this process
    reads its part itself, with the same result; and when it is stuck, it is
    given up (after twice this process's part, 10 s at least: 0.3 s here)
    and its part read here."""
    jdir = tmp_path / "journal"
    _two_part_journal(jdir)
    runs = {}
    cap = "max_units: 6, "
    for name, policy, env in (("one", "journal: {%sparallel: no}\n" % cap, None),
                              ("two", "journal: {%sparallel_min: 0}\n" % cap, None),
                              ("fallback", "journal: {%sparallel_min: 0}\n" % cap,
                               {"COLLECT_TEST_JOURNAL_PART_FAIL": "1"}),
                              ("stuck", "journal: {%sparallel_min: 0}\n" % cap,
                               {"COLLECT_TEST_JOURNAL_PART_FAIL": "hang",
                                "COLLECT_TEST_JOURNAL_PART_WAIT_MS": "300"}),
                              ("late", "journal: {%sparallel_min: 0}\n" % cap,
                               {"COLLECT_TEST_JOURNAL_PART_FAIL": "late"})):
        d = tmp_path / name
        d.mkdir()
        (d / "policy").mkdir()
        (d / "policy" / "zz.yaml").write_text(policy)
        root = d / "root"
        root.mkdir()
        run, _ = collect(root, jdir, d, "-vv", env=env)
        members, manifest = bundle_of(run)
        note = [c["note"] for c in manifest["collectors"] if c["name"] == "journal"][0]
        found = [f for f in manifest["findings"] if f["source"] != "config"]  # its "now" moves
        runs[name] = (run, _journal_members(members), (found, note))
    one, two, fallback = runs["one"][1], runs["two"][1], runs["fallback"][1]
    assert runs["stuck"][1] == one and runs["stuck"][2] == runs["one"][2]
    # failing while sending: the first pass's lines came, its units and
    # findings did not; said, and the result is partial
    late_note = runs["late"][2][1]
    assert "the journal's second reader failed during the first pass" in late_note, late_note
    assert runs["late"][1]["logs/journal/warnings.log"] == one["logs/journal/warnings.log"]
    assert "0 batches by a second reader" in runs["stuck"][0].err
    units = [n for n in one if n.startswith("logs/journal/units/")]
    assert len(units) == 6, sorted(one)
    found, note = runs["one"][2]
    assert "7 more units had errors; only 6 got their own file" in note, note
    assert [f for f in found if f["kind"] == "segfault" and f["count"] == 7], found
    assert runs["two"][2] == runs["one"][2] == runs["fallback"][2]
    assert one["logs/journal/units/w1.service.log"].count(b"request") > 900
    assert b"Hunter2" not in b"".join(one.values())
    assert sorted(one) == sorted(two) == sorted(fallback)
    for n in one:
        assert one[n] == two[n], n
        assert one[n] == fallback[n], n
    assert "the first pass read 0 entries" not in runs["one"][0].err
    first = [ln for ln in runs["one"][0].err.splitlines() if "the first pass read" in ln]
    assert first and first[0].split("; ")[1] in runs["two"][0].err, first
    assert "0 batches by a second reader" in runs["one"][0].err
    if not SANITIZED:
        # GCC 12's libasan has no fork handler: a child forked while another
        # thread holds its allocator's lock waits forever, and is given up
        assert "0 batches by a second reader" not in runs["two"][0].err
    assert " batches by a second reader" in runs["two"][0].err, runs["two"][0].err
    assert "0 batches by a second reader" in runs["fallback"][0].err


def test_journal_holds_nothing_the_first_pass_asks(tmp_path):
    """Files with no warning, no systemd or kernel message and no core dump:
    the first pass and the crash collector ask sd-journal for nothing (without
    a match it would give every entry), and the bundle says so as before."""
    jdir = tmp_path / "journal"
    journal_fixtures.write_journal(str(jdir), [
        (journal_fixtures.at(2, 9, i), journal_fixtures.unit_msg("quiet.service", 6, "fine %d" % i))
        for i in range(50)])
    run, members, manifest = collect_journal(jdir, tmp_path, "-vv")
    assert "the first pass read 0 entries" in run.err, run.err
    assert members["logs/journal/warnings.log"] == b""
    assert not [n for n in members if n.startswith("logs/journal/units/")]
    status = {c["name"]: c["status"] for c in manifest["collectors"]}
    assert status["journal"] == "ok" and status["crash"] == "ok", status
    crashes = json.loads(members["crash/crashes.json"])
    assert crashes["crashes"] == [] and crashes["problems"] == [], crashes


def test_no_journal_skipped(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    run, _ = collect(root, None, tmp_path)
    _, manifest = bundle_of(run)
    j = [c for c in manifest["collectors"] if c["name"] == "journal"][0]
    assert j["status"] == "skipped"


@pytest.mark.skipif(SANITIZED, reason="sanitizer shadow memory")
def test_memory_bounded(tmp_path):
    """Peak RSS stays under 16 MiB while bundling a 40 MiB log tree."""
    root = tmp_path / "root"
    gen = os.path.join(SRCDIR, "tests", "bench", "gen-logs.py")
    assert os.system("/usr/bin/python3 %s %s 40" % (gen, root)) == 0
    (tmp_path / "policy").mkdir()
    (tmp_path / "policy" / "b.yaml").write_text(
        "budgets: {total: 1G, per_collector: 1G, per_file: 1G}\n")
    timefile = tmp_path / "rss"
    run, _ = collect(root, None, tmp_path, since="2026-11-20T00:00:00Z",
                     wrap=["/usr/bin/time", "-f", "%M", "-o", str(timefile)])
    members, _ = bundle_of(run)
    assert len(members["logs/files/var/log/syslog"]) > 10 << 20
    rss_kib = int(timefile.read_text().split()[-1])
    assert rss_kib < 16 * 1024, rss_kib
