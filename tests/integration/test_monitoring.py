# SPDX-License-Identifier: MIT
"""Monitoring end to end against the strict fake portal: `collect hook coredump`
over a journal of crashes of two distinct signatures (repeats of each), run once,
twice (idempotent) and fifty times concurrently; a storm of many distinct
problems; a portal outage and the later flush; two hosts (two state directories)
hitting the same problem; the automatic window anchored on the crash."""

import json
import re
import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import BIN, open_bundle, run_collect
import crash_fixtures
from journal_fixtures import USEC, at, write_journal
from test_ticket import FAST, portal, write_config  # noqa: F401  (fixture)

CRASH_WINDOW = ["--since", "2026-11-27T09:00:00Z", "--until", "2026-11-27T12:00:00Z"]


def hook_args(root, dirs, jdir, state=None, *extra):
    return ["hook", "coredump", "--root", str(root), "--journal-dir", str(jdir),
            "--output", str(dirs["out"]), "--state-dir", str(state or dirs["state"]),
            "--spool-dir", str(dirs["spool"]), "--policy-dir", str(dirs["policy"]),
            "--config", str(dirs["config"])] + CRASH_WINDOW + list(extra)


def attachments(portal):
    return portal.calls_to("POST", "/attachment$")


@pytest.fixture
def crashes(root, tmp_path):
    jdir = tmp_path / "journal"
    facts = crash_fixtures.build_crash_journal(str(jdir))
    return jdir, facts


def test_tickets_are_signatures_and_repeats_comments(root, dirs, portal, crashes):
    jdir, facts = crashes
    write_config(dirs, portal.url)
    (dirs["policy"] / "budget.yaml").write_text("autofile: {max_tickets_per_hour: 10}\n")
    r = run_collect(hook_args(root, dirs, jdir) + ["--json"], env=FAST, timeout=300)
    assert r.rc == 0, r
    created = portal.created()
    # app-server SIGSEGV, app-server SIGABRT, legacyd (unsymbolised): three problems
    assert len(created) == 3, [c.get("summary") for c in created]
    summaries = " | ".join(json.dumps(c) for c in created)
    assert "SIGSEGV in segment_store_read" in summaries
    assert "SIGABRT in index_rebuild" in summaries
    assert "legacyd: SIGSEGV at legacyd+0x1a2b" in summaries
    # the repeats (2 more SEGV, 1 more ABRT) are comments with their bundles (each new
    # ticket gets its bundle attached too: 3 + 3)
    assert len(attachments(portal)) == 6
    # a second pass over the same window files nothing
    before = len(portal.log)
    r2 = run_collect(hook_args(root, dirs, jdir), env=FAST, timeout=300)
    assert r2.rc == 0, r2
    assert len(portal.created()) == 3 and len(attachments(portal)) == 6
    assert "handled before" in r2.err
    assert len([c for c in portal.log[before:] if c["method"] == "POST"]) == 0


def test_window_anchored_on_the_crash(root, dirs, crashes):
    jdir, facts = crashes
    r = run_collect(hook_args(root, dirs, jdir) + ["--json"], env=FAST, timeout=300)
    assert r.rc == 0, r
    bundles = [f for f in os.listdir(dirs["out"]) if f.endswith(".tar.gz")] or \
        [f for f in os.listdir(dirs["state"] / "bundles") if f.endswith(".tar.gz")]
    assert bundles
    path = r.json["bundle"]["path"]
    members, _ = open_bundle(path)
    manifest = json.loads(members["manifest.json"])
    w = manifest["window"]
    # the last filing is legacyd's crash at t0+30m: the hour before it, a minute after
    t = facts["t0"] + 30 * 60 * USEC
    assert w["since"].startswith(time.strftime("%Y-%m-%dT%H:%M", time.gmtime(t / USEC - 3600)))
    assert w["until"].startswith(time.strftime("%Y-%m-%dT%H:%M", time.gmtime(t / USEC + 60)))
    # and holds what happened then: app.service's crash loop half an hour before
    hits = [k for k, v in members.items() if b"Main process exited, code=dumped" in v]
    assert hits, sorted(members)


def test_fifty_concurrent_hooks(root, dirs, portal, crashes):
    jdir, facts = crashes
    write_config(dirs, portal.url)
    env = dict(os.environ, **FAST)

    def one(_):
        p = subprocess.run([BIN] + hook_args(root, dirs, jdir, None, "-q"), env=env,
                           capture_output=True, text=True, timeout=600,
                           stdin=subprocess.DEVNULL)
        return p.returncode, p.stderr
    with ThreadPoolExecutor(max_workers=10) as ex:
        runs = list(ex.map(one, range(50)))
    assert [rc for rc, _ in runs] == [0] * 50, [err for rc, err in runs if rc != 0]
    # each crash handled once: three tickets (the budget is 3); a repeat that came while
    # its problem's ticket was being opened is counted instead of commented
    assert len(portal.created()) == 3
    assert 3 <= len(attachments(portal)) <= 6
    state = json.loads((dirs["state"] / "autofile.json").read_text())
    assert len(state["events"]) == 6
    assert sum(v["count"] for k, v in state["problems"].items()) == 6


def test_storm_of_distinct_problems(root, dirs, portal, tmp_path):
    """Twelve distinct crashing executables, one hook at a time: never more tickets
    than the budget, and every problem is filed or named in a later filing."""
    write_config(dirs, portal.url)
    jdir = tmp_path / "storm"
    t0 = at(2, 10, 0, 0)
    entries = []
    for i in range(12):
        exe = "/usr/bin/storm-%02d" % i
        stack = [("handler_%02d" % i, os.path.basename(exe), 0x100),
                 ("main", os.path.basename(exe), 0x200)]
        entries.append((t0 + i * USEC * 60, crash_fixtures.coredump(
            t0 + i * USEC * 60, 9000 + i, exe, "storm-%02d.service" % i, "SIGSEGV", 11, stack)))
    write_journal(str(jdir), entries, name="storm.journal")
    names = set()
    for i in range(12):
        t = t0 + i * USEC * 60
        w = ["--since", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t / USEC)),
             "--until", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t / USEC + 1))]
        args = hook_args(root, dirs, jdir)[:-4] + w
        r = run_collect(args, env=FAST, timeout=300)
        assert r.rc == 0, r
    created = portal.created()
    assert len(created) == 3
    # the next hour: the budget is back, the next filing lists what was counted
    later = t0 + 2 * 3600 * USEC
    write_journal(str(jdir), [(later, crash_fixtures.coredump(
        later, 9100, "/usr/bin/storm-00", "storm-00.service", "SIGSEGV", 11,
        [("handler_00", "storm-00", 0x100), ("main", "storm-00", 0x200)]))], name="more.journal")
    w = ["--since", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(later / USEC)),
         "--until", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(later / USEC + 1))]
    env = dict(FAST, COLLECT_TEST_NOW=str((int(time.time()) + 2 * 3600) * USEC))
    r = run_collect(hook_args(root, dirs, jdir)[:-4] + w, env=env, timeout=300)
    assert r.rc == 0, r
    text = json.dumps(portal.state()["log"])
    for i in range(12):
        if "storm-%02d" % i in json.dumps(created):
            names.add(i)
        elif "storm-%02d" % i in text:
            names.add(i)
    assert names == set(range(12)), names


def test_outage_then_flush(root, dirs, portal, crashes):
    jdir, facts = crashes
    write_config(dirs, portal.url)
    portal.set_faults(upload_fail=1000)
    r = run_collect(hook_args(root, dirs, jdir), env=FAST, timeout=300)
    assert r.rc == 75, r
    assert portal.created() == []
    portal.set_faults(upload_fail=None)
    f = run_collect(["spool", "flush", "--spool-dir", str(dirs["spool"]), "--state-dir",
                     str(dirs["state"]), "--config", str(dirs["config"])], env=FAST,
                    timeout=300)
    assert f.rc == 0, f
    assert len(portal.created()) == 3
    # the problems know their keys now: a new crash of the first one is a comment
    created = {c["issueKey"] for c in portal.created()}
    t = facts["t0"] + 50 * 60 * USEC
    write_journal(str(jdir), [(t, crash_fixtures.coredump(
        t, 5009, "/usr/bin/app-server", "app.service", "SIGSEGV", 11,
        crash_fixtures.SEGV_STACK))], name="later.journal")
    before = len(attachments(portal))
    r = run_collect(hook_args(root, dirs, jdir) + ["--json"], env=FAST, timeout=300)
    assert r.rc == 0, r
    assert len(portal.created()) == 3
    assert r.json["ticket"]["action"] in ("attached", "commented"), r.json["ticket"]
    assert r.json["ticket"]["key"] in created
    assert len(attachments(portal)) == before + 1


def test_two_hosts_same_problem(root, dirs, portal, crashes, tmp_path):
    jdir, facts = crashes
    write_config(dirs, portal.url)
    other = tmp_path / "other-state"
    other.mkdir()
    r = run_collect(hook_args(root, dirs, jdir), env=FAST, timeout=300)
    assert r.rc == 0, r
    n, before = len(portal.created()), len(attachments(portal))
    r = run_collect(hook_args(root, dirs, jdir, other, "--json", "-v"), env=FAST, timeout=300)
    assert r.rc == 0, r
    # the second host finds each open problem on the desk and comments on it
    assert len(portal.created()) == n == 3
    assert "already open as" in r.err
    assert r.json["ticket"]["action"] == "commented"
    assert len(attachments(portal)) > before


def test_critical_alert_on_a_critical_unit_is_an_outage(root, dirs, portal):
    write_config(dirs, portal.url, extra="critical_units: [app.service]\n")
    alert = {"version": "4", "groupKey": "{}:{alertname=\"AppDown\"}", "status": "firing",
             "receiver": "collect", "groupLabels": {"alertname": "AppDown"},
             "commonLabels": {"alertname": "AppDown", "severity": "critical",
                              "unit": "app.service"},
             "commonAnnotations": {"summary": "app.service is down"},
             "externalURL": "http://alertmanager.example:9093",
             "alerts": [{"status": "firing", "labels": {"alertname": "AppDown",
                                                        "severity": "critical"},
                         "annotations": {"runbook_url": "https://runbooks.example/app"},
                         "startsAt": "2026-11-27T10:00:00Z",
                         "generatorURL": "http://prometheus.example/graph?g0.expr=up"}]}
    r = run_collect(["hook", "alertmanager", "--root", str(root), "--output", str(dirs["out"]),
                     "--state-dir", str(dirs["state"]), "--spool-dir", str(dirs["spool"]),
                     "--policy-dir", str(dirs["policy"]), "--config", str(dirs["config"]),
                     "--json"], env=FAST, input=json.dumps(alert), timeout=300)
    assert r.rc == 0, r
    # outage evidence: P1, or P2 while it is not known whether a workaround exists
    assert "outage" in r.json["severity"]["rule"], r.json["severity"]
    assert r.json["severity"]["suggested"] in ("P1", "P2"), r.json["severity"]
    text = json.dumps(portal.created())
    assert "runbooks.example/app" in text and "prometheus.example/graph" in text


def test_two_hosts_at_the_same_moment_converge(root, dirs, portal, tmp_path):
    """Three hosts (three state directories) crash the same way at the same moment:
    each searches the desk, finds nothing and creates a request. They converge on
    the oldest: the customer sees one open request for the problem, carrying every
    host's bundle; the newer requests are closed as its duplicates."""
    write_config(dirs, portal.url)
    jdir = tmp_path / "one-crash"
    t = at(2, 10, 0, 0)
    write_journal(str(jdir), [(t, crash_fixtures.coredump(
        t, 5001, "/usr/bin/app-server", "app.service", "SIGSEGV", 11,
        crash_fixtures.SEGV_STACK))], name="crash.journal")
    states = [tmp_path / "host-a", tmp_path / "host-b", tmp_path / "host-c"]
    for s in states:
        s.mkdir()
    # the pre-create searches are answered only once all have arrived: a real race
    portal.set_faults(search_barrier={"count": len(states), "timeout": 60})
    env = dict(os.environ, **FAST)

    def one(state):
        return subprocess.run([BIN] + hook_args(root, dirs, jdir, state, "--json"), env=env,
                              capture_output=True, text=True, timeout=600,
                              stdin=subprocess.DEVNULL)
    with ThreadPoolExecutor(max_workers=len(states)) as ex:
        runs = list(ex.map(one, states))
    for p in runs:
        assert p.returncode == 0, p.stderr
    created = portal.created()
    assert len(created) == 3, [c["issueKey"] for c in created]   # the race happened
    marker = re.search(r"problem[0-9a-f]{16}", created[0]["summary"]).group(0)
    assert all(marker in c["summary"] for c in created)
    open_ = [c for c in created if c["currentStatus"]["statusCategory"] != "DONE"]
    assert len(open_) == 1, [(c["issueKey"], c["currentStatus"]) for c in created]
    keep = open_[0]
    dups = [c for c in created if c is not keep]
    assert keep["issueKey"] == min((c["issueKey"] for c in created),
                                   key=lambda k: int(k.split("-")[1]))
    # the other hosts' bundles are on the open request, with comments naming the duplicates
    bundles = [a for a in keep["_attachments"] if a["name"].endswith(".tar.gz")]
    assert len(bundles) == 3, [a["name"] for a in keep["_attachments"]]
    for dup in dups:
        assert any(dup["issueKey"] in c["body"] for c in keep["_comments"])
        assert any("Duplicate of " + keep["issueKey"] in c["body"] for c in dup["_comments"])
    # both hosts report the open request: their repeats will comment there
    keys = {json.loads(p.stdout)["ticket"]["key"] for p in runs}
    assert keys == {keep["issueKey"]}, keys
    for s in states:
        st = json.loads((s / "autofile.json").read_text())
        assert [v["key"] for v in st["problems"].values()] == [keep["issueKey"]]
    # a later crash on the second host is a comment on the open request
    t2 = t + 20 * 60 * USEC
    write_journal(str(jdir), [(t2, crash_fixtures.coredump(
        t2, 5002, "/usr/bin/app-server", "app.service", "SIGSEGV", 11,
        crash_fixtures.SEGV_STACK))], name="later.journal")
    before = len(keep["_comments"])
    r = run_collect(hook_args(root, dirs, jdir, states[1], "--json"), env=FAST, timeout=300)
    assert r.rc == 0, r
    assert r.json["ticket"]["key"] == keep["issueKey"]
    assert len(portal.created()) == 3 and len(keep["_comments"]) > before


def test_concurrent_storm_of_distinct_problems(root, dirs, portal, tmp_path):
    """Twelve distinct crashing executables whose hooks run all at once: never more
    tickets than the budget, and every problem is filed or named in a filing (the
    ones counted while the budget was used up, in the next hour's first filing)."""
    write_config(dirs, portal.url)
    jdir = tmp_path / "storm"
    t0 = at(2, 11, 0, 0)
    entries = []
    for i in range(12):
        t = t0 + 2 * i * USEC
        exe = "/usr/bin/burst-%02d" % i
        entries.append((t, crash_fixtures.coredump(
            t, 9300 + i, exe, "burst-%02d.service" % i, "SIGSEGV", 11,
            [("handler_%02d" % i, os.path.basename(exe), 0x100),
             ("main", os.path.basename(exe), 0x200)])))
    write_journal(str(jdir), entries, name="burst.journal")
    env = dict(os.environ, **FAST)

    def one(i):
        t = (t0 + 2 * i * USEC) / USEC
        w = ["--since", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t)),
             "--until", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t + 1))]
        return subprocess.run([BIN] + hook_args(root, dirs, jdir)[:-4] + w + ["-q"], env=env,
                              capture_output=True, text=True, timeout=600,
                              stdin=subprocess.DEVNULL)
    with ThreadPoolExecutor(max_workers=12) as ex:
        runs = list(ex.map(one, range(12)))
    assert [p.returncode for p in runs] == [0] * 12, [p.stderr for p in runs]
    assert len(portal.created()) == 3
    state = json.loads((dirs["state"] / "autofile.json").read_text())
    assert len(state["problems"]) == 12 and len(state["events"]) == 12
    # the next hour: one more crash of a problem with a ticket is filed as a comment
    # that lists what is still only counted
    later = t0 + 2 * 3600 * USEC
    write_journal(str(jdir), [(later, crash_fixtures.coredump(
        later, 9400, "/usr/bin/burst-13", "burst-13.service", "SIGSEGV", 11,
        [("handler_13", "burst-13", 0x100), ("main", "burst-13", 0x200)]))],
        name="next.journal")
    w = ["--since", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(later / USEC)),
         "--until", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(later / USEC + 1))]
    r = run_collect(hook_args(root, dirs, jdir)[:-4] + w,
                    env=dict(FAST, COLLECT_TEST_NOW=str((int(time.time()) + 2 * 3600) * USEC)),
                    timeout=300)
    assert r.rc == 0, r
    assert len(portal.created()) == 4, r.err
    filed = json.dumps([c["summary"] for c in portal.created()])
    text = json.dumps(portal.state()["log"])
    for i in range(12):
        name = "burst-%02d" % i
        assert name in filed or ("%s: SIGSEGV" % name) in text, name


def test_cxx_crashes_filed_by_demangled_signature(root, dirs, portal, tmp_path):
    """C++ crashes: one bug in two builds (const member, then a clone with other
    parameter types) is one ticket and a comment; another method its own ticket.
    Summaries and stacks name the functions demangled."""
    from test_crash import cxx_journal
    write_config(dirs, portal.url)
    jdir = tmp_path / "cxx"
    cxx_journal(jdir, at(2, 9, 0, 0))
    r = run_collect(hook_args(root, dirs, jdir), env=FAST, timeout=300)
    assert r.rc == 0, r
    created = portal.created()
    summaries = sorted(c["summary"] for c in created)
    assert len(created) == 2, summaries
    assert any("cxx-svc: SIGABRT in demo::Queue::pop" in s for s in summaries), summaries
    assert any("cxx-svc: SIGSEGV in demo::Queue::push" in s for s in summaries), summaries
    pop = next(c for c in created if "demo::Queue::pop" in c["summary"])
    assert "demo::worker(void*)" in json.dumps(pop["_values"])
    assert "_ZN4demo" not in json.dumps(pop["_values"])
    # the second crash of the bug is a comment on its ticket
    assert len([c for c in pop["_comments"] if "It happened again" in c["body"]]) == 1
