# SPDX-License-Identifier: MIT
"""Monitoring hooks as systemd and Alertmanager run them: one ticket per
problem, later occurrences as comments, a storm counted and not filed, and
the events read from real inputs (an Alertmanager payload on stdin, a
systemd-coredump entry in a journal made by systemd-journal-remote)."""

import json
import re
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conftest import base_args, run_collect, write_policy  # noqa: E402
from fake_portal import FakePortal  # noqa: E402
import journal_fixtures  # noqa: E402
from test_ticket import FAST, write_config  # noqa: E402

ALERT = {
    "version": "4",
    "groupKey": "{}/{severity=\"critical\"}:{alertname=\"NodeDown\"}",
    "truncatedAlerts": 0,
    "status": "firing",
    "receiver": "collect",
    "groupLabels": {"alertname": "NodeDown"},
    "commonLabels": {"alertname": "NodeDown", "severity": "critical", "job": "node"},
    "commonAnnotations": {"summary": "Node node-04 unreachable"},
    "externalURL": "http://alertmanager.example:9093",
    "alerts": [{
        "status": "firing",
        "labels": {"alertname": "NodeDown", "instance": "node-04:9100", "severity": "critical"},
        "annotations": {"summary": "Node node-04 unreachable"},
        "startsAt": "2026-03-01T14:30:12.345Z", "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.example:9090/graph", "fingerprint": "1a30ba71cca2921f",
    }],
    "unknownField": {"ignored": True},
}


@pytest.fixture
def portal():
    p = FakePortal().start()
    yield p
    p.stop()


def hook(root, dirs, *args, stdin=None):
    return run_collect(["hook"] + list(args) + base_args(root, dirs, "--json"), env=FAST,
                       input=stdin)


def bundles(dirs):
    return [f for f in os.listdir(dirs["out"]) if f.endswith(".tar.gz")]


def test_unit_failure_once_then_comments(root, dirs, portal):
    write_config(dirs, portal.url)
    r = hook(root, dirs, "unit-failure", "app.service")
    assert r.rc == 0, r
    first = r.json["ticket"]
    assert first["action"] == "created" and first["key"]
    assert "a new problem" in r.err
    req = portal.created()[0]
    assert "app.service failed" in json.dumps(req)
    r = hook(root, dirs, "unit-failure", "app.service")
    assert r.rc == 0, r
    assert r.json["ticket"]["key"] == first["key"]
    assert r.json["ticket"]["action"] in ("attached", "commented")
    assert len(portal.created()) == 1
    assert len(portal.created()[0]["_comments"]) >= 1
    assert len(bundles(dirs)) == 2


def test_storm_is_counted_not_filed(root, dirs, portal):
    write_config(dirs, portal.url)
    write_policy(dirs, "50-storm.yaml", "autofile: {max_tickets_per_hour: 2}\n")
    for unit in ("a.service", "b.service"):
        r = hook(root, dirs, "unit-failure", unit)
        assert r.rc == 0 and r.json["ticket"]["action"] == "created", r
    r = run_collect(["hook", "unit-failure", "c.service"] + base_args(root, dirs), env=FAST)
    assert r.rc == 0, r
    assert "counted, not filed" in r.err
    assert len(portal.created()) == 2
    assert len(bundles(dirs)) == 2          # nothing collected for the suppressed one
    state = json.load(open(dirs["state"] / "autofile.json"))
    assert state["problems"]["unit-failure:c.service"]["suppressed"] == 1


def test_alertmanager_firing_then_resolved(root, dirs, portal):
    write_config(dirs, portal.url)
    r = hook(root, dirs, "alertmanager", stdin=json.dumps(ALERT))
    assert r.rc == 0, r
    key = r.json["ticket"]["key"]
    assert "NodeDown: Node node-04 unreachable" in json.dumps(portal.created()[0])
    # Alertmanager re-sends the group every repeat_interval: no second ticket
    resolved = dict(ALERT, status="resolved")
    r = hook(root, dirs, "alertmanager", stdin=json.dumps(resolved))
    assert r.rc == 0, r
    assert r.json["ticket"]["key"] == key
    assert len(portal.created()) == 1


def test_alertmanager_bad_payload(root, dirs):
    r = hook(root, dirs, "alertmanager", stdin="{not json")
    assert r.rc == 65, r
    assert "alertmanager payload" in r.err
    r = hook(root, dirs, "alertmanager", stdin=json.dumps({"status": "firing"}))
    assert r.rc == 65, r
    # a resolved alert with no ticket: nothing to do
    r = run_collect(["hook", "alertmanager"] + base_args(root, dirs), env=FAST,
                    input=json.dumps(dict(ALERT, status="resolved")))
    assert r.rc == 0 and "nothing to file" in r.err, r
    assert bundles(dirs) == []


def test_coredump_from_the_journal(root, dirs, tmp_path):
    jdir = tmp_path / "journal"
    facts = journal_fixtures.build_fixture(str(jdir))
    assert facts
    r = run_collect(["hook", "coredump", "--journal-dir", str(jdir)] +
                    base_args(root, dirs, "--json"), env=FAST)
    assert r.rc == 0, r
    assert r.json["ticket"]["action"] == "drafted"
    draft = open(r.json["bundle"]["path"] + ".ticket.txt").read()
    # the problem is the crash signature: executable, signal, top frames
    assert "app: SIGSEGV at libc.so.6+0x8e4f (app.service)" in draft
    assert "Crash signature" in draft
    # outside the window: nothing
    r = run_collect(["hook", "coredump", "--journal-dir", str(jdir), "--since",
                     "2020-01-01", "--until", "2020-01-02"] + base_args(root, dirs)[:-4],
                    env=FAST)
    assert r.rc == 0 and "no systemd-coredump entry" in r.err, r


@pytest.mark.parametrize("args", [["hook"], ["hook", "unit-failure"], ["hook", "frob"],
                                  ["hook", "coredump", "extra"]])
def test_hook_usage(args):
    r = run_collect(args)
    assert r.rc == 64, r
    assert "usage: collect hook" in r.err


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_watch(root, dirs, *extra):
    import subprocess
    from conftest import BIN
    import tempfile
    log = tempfile.NamedTemporaryFile("w+", delete=False)
    env = dict(os.environ, **FAST)
    p = subprocess.Popen([BIN, "watch"] + list(extra) + base_args(root, dirs)[:-4],
                         stdout=subprocess.DEVNULL, stderr=log, env=env,
                         stdin=subprocess.DEVNULL)
    return p, log


def wait_for(predicate, timeout=30):
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def stop_watch(p):
    import signal
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=20) == 0


WEBHOOK_TOKEN = "wh-0123456789abcdef-token"


def write_webhook_config(dirs, url):
    tok = dirs["config"].parent / "webhook-token"
    tok.write_text(WEBHOOK_TOKEN + "\n")
    os.chmod(tok, 0o600)
    write_config(dirs, url, extra="monitoring:\n  webhook_token_file: %s\n" % tok)


def post_alert(url, body, token=WEBHOOK_TOKEN, timeout=30):
    import urllib.request
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    req = urllib.request.Request(url, data=body, headers=headers)
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.status


def test_watch_listens_for_alertmanager(root, dirs, portal, tmp_path):
    import urllib.error
    write_webhook_config(dirs, portal.url)
    port = free_port()
    p, log = start_watch(root, dirs, "--listen", "127.0.0.1:%d" % port,
                         "--journal-dir", str(tmp_path))
    try:
        url = "http://127.0.0.1:%d/alertmanager" % port
        assert wait_for(lambda: "webhooks on" in open(log.name).read(), 10)
        # without the bearer token, or with a wrong one: 401, nothing filed
        for tok in (None, "wrong-token-wrong-token"):
            try:
                post_alert(url, json.dumps(ALERT).encode(), token=tok)
                assert False, "accepted an unauthenticated post"
            except urllib.error.HTTPError as e:
                assert e.code == 401
        # answered at once (queued), filed by the worker
        assert post_alert(url, json.dumps(ALERT).encode()) == 200
        assert wait_for(lambda: len(portal.created()) == 1, 60), open(log.name).read()
        # the same group again (Alertmanager's repeat_interval): 200, and a no-op
        assert wait_for(lambda: portal.calls_to("POST", "/attachment$"), 60), open(log.name).read()
        posts = len([c for c in portal.log if c["method"] == "POST"])
        assert post_alert(url, json.dumps(ALERT).encode()) == 200
        assert wait_for(lambda: "handled before" in open(log.name).read(), 60), \
            open(log.name).read()
        assert len(portal.created()) == 1
        assert len([c for c in portal.log if c["method"] == "POST"]) == posts
        try:
            post_alert(url, b"{nope")
            assert False, "accepted a bad payload"
        except urllib.error.HTTPError as e:
            assert e.code == 400
    finally:
        stop_watch(p)


def test_watch_needs_a_token_file(root, dirs, portal, tmp_path):
    import urllib.error
    # no token configured: the listener refuses every post
    write_config(dirs, portal.url)
    port = free_port()
    p, log = start_watch(root, dirs, "--listen", "127.0.0.1:%d" % port,
                         "--journal-dir", str(tmp_path))
    try:
        assert wait_for(lambda: "webhooks on" in open(log.name).read(), 10)
        assert "webhook_token_file" in open(log.name).read()
        try:
            post_alert("http://127.0.0.1:%d/alertmanager" % port, json.dumps(ALERT).encode())
            assert False, "accepted a post without a configured token"
        except urllib.error.HTTPError as e:
            assert e.code == 401
    finally:
        stop_watch(p)
    assert portal.created() == []
    # a token file others can read is a configuration error
    write_webhook_config(dirs, portal.url)
    os.chmod(dirs["config"].parent / "webhook-token", 0o644)
    r = run_collect(["watch", "--listen", "127.0.0.1:%d" % free_port()] +
                    base_args(root, dirs)[:-4])
    assert r.rc == 78 and "0600" in r.err, r


def test_watch_slow_and_flooding_clients(root, dirs, portal, tmp_path):
    """Slow clients hold connections open; a flood fills the queue: authenticated
    posts keep being answered (200 or 503, never a hang), bounded in time."""
    import socket
    import time
    import urllib.error
    from concurrent.futures import ThreadPoolExecutor
    write_webhook_config(dirs, portal.url)
    port = free_port()
    p, log = start_watch(root, dirs, "--listen", "127.0.0.1:%d" % port,
                         "--journal-dir", str(tmp_path))
    slow = []
    try:
        url = "http://127.0.0.1:%d/alertmanager" % port
        assert wait_for(lambda: "webhooks on" in open(log.name).read(), 10)
        # a hundred slow clients: a request line and half a header, then nothing
        for _ in range(100):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"POST /alertmanager HTTP/1.1\r\nHost: x\r\nContent-Le")
            slow.append(s)
        t0 = time.monotonic()
        assert post_alert(url, json.dumps(ALERT).encode(), timeout=5) == 200
        assert time.monotonic() - t0 < 3
        # ... and still refuses unauthenticated posts, at once
        t0 = time.monotonic()
        try:
            post_alert(url, json.dumps(ALERT).encode(), token=None, timeout=5)
            assert False, "accepted an unauthenticated post"
        except urllib.error.HTTPError as e:
            assert e.code == 401
        assert time.monotonic() - t0 < 3
        # a flood of distinct alert groups (distinct alerts: no re-sends), every answer
        # is 200 or 503, quickly
        codes = []

        def one(i):
            alert = dict(ALERT["alerts"][0], fingerprint="flood-%s" % i)
            body = json.dumps(dict(ALERT, groupKey="flood-%s" % i, alerts=[alert])).encode()
            try:
                return post_alert(url, body, timeout=10)
            except urllib.error.HTTPError as e:
                return e.code
        t0 = time.monotonic()
        with ThreadPoolExecutor(max_workers=8) as ex:
            codes = list(ex.map(one, range(200)))
        assert time.monotonic() - t0 < 60
        assert set(codes) <= {200, 503}, codes
        assert 503 in codes          # the bounded queue pushed back
        # still answering afterwards (the slow clients timed out or are still there)
        t0 = time.monotonic()
        assert one("after") in (200, 503)
        assert time.monotonic() - t0 < 3
        # storm control held: never more tickets than the hourly budget (3)
        assert len(portal.created()) <= 3
    finally:
        for s in slow:
            s.close()
        stop_watch(p)


def test_watch_rejects_a_public_address(root, dirs):
    r = run_collect(["watch", "--listen", "0.0.0.0:9099"] + base_args(root, dirs)[:-4])
    assert r.rc == 64 and "loopback" in r.err, r


def test_watch_follows_the_journal(root, dirs, tmp_path):
    import time
    jdir = tmp_path / "journal"
    journal_fixtures.build_fixture(str(jdir))   # history: must not be filed again
    p, log = start_watch(root, dirs, "--journal-dir", str(jdir))
    try:
        assert wait_for(lambda: "following the journal" in open(log.name).read(), 10)
        now = int(time.time() * 1000000)
        journal_fixtures.write_journal(str(jdir), [
            (now, journal_fixtures.coredump_msg(4242, "/usr/bin/payments", "payments.service")),
            (now + 1000, {"SYSLOG_IDENTIFIER": "systemd", "_PID": "1", "PRIORITY": "3",
                          "MESSAGE_ID": "d9b373ed55a64feb8242e02dbe79a49c",
                          "UNIT": "payments.service",
                          "MESSAGE": "payments.service: Failed with result 'core-dump'."}),
        ], name="new.journal")
        assert wait_for(lambda: "unit-failure:payments.service" in open(log.name).read(), 90), \
            open(log.name).read()
        assert wait_for(lambda: "not filed" in open(log.name).read() or
                        "commenting" in open(log.name).read(), 30), open(log.name).read()
    finally:
        stop_watch(p)
    text = open(log.name).read()
    # one incident, one ticket: the unit's failure right after its crash belongs to the
    # crash's problem (drafted here, without a portal: counted, not filed a second time)
    drafts = [f for f in os.listdir(dirs["out"]) if f.endswith(".ticket.txt")]
    assert len(drafts) == 1, text
    assert "payments: SIGSEGV" in open(os.path.join(dirs["out"], drafts[0])).read()
    # the bundle of the crash delivered by watch covers the hour before it
    import datetime
    from conftest import open_bundle
    bundle = os.path.join(dirs["out"], drafts[0][:-len(".ticket.txt")])
    members, _ = open_bundle(bundle)
    window = json.loads(members["manifest.json"])["window"]
    since = datetime.datetime.fromisoformat(window["since"].replace("Z", "+00:00"))
    until = datetime.datetime.fromisoformat(window["until"].replace("Z", "+00:00"))
    assert since.timestamp() <= now / 1e6 - 3600 + 1, window
    assert until.timestamp() >= now / 1e6 + 59, window
    # the old coredump in the fixture's history was not filed: one crash fingerprint
    assert len(set(re.findall(r"crash:[0-9a-f]{64}", text))) == 1, text


UNIT_FAILED = "d9b373ed55a64feb8242e02dbe79a49c"


def unit_failed_entry(unit, invocation, result="exit-code"):
    """systemd's "Failed with result" entry as PID 1 writes it."""
    return {"SYSLOG_IDENTIFIER": "systemd", "_PID": "1", "_UID": "0", "PRIORITY": "4",
            "_TRANSPORT": "journal", "MESSAGE_ID": UNIT_FAILED, "UNIT": unit,
            "INVOCATION_ID": invocation, "UNIT_RESULT": result,
            "MESSAGE": "%s: Failed with result '%s'." % (unit, result)}


def posts(portal):
    return [c for c in portal.log if c["method"] == "POST"]


def test_unit_failure_delivered_twice_is_one_event(root, dirs, portal, tmp_path):
    """`collect watch` and the OnFailure= hook both deliver the same failed run:
    one ticket, no comment; another failed run of the unit is a comment."""
    import time
    write_config(dirs, portal.url)
    jdir = tmp_path / "journal"
    inv1, inv2 = "5d1f0c2a9e6b4f7d8a3c2b1e0f9d8c7b", "6e2a1d3b0f7c4a8e9b4d3c2f1a0e9d8c"
    now = int(time.time() * 1000000)
    journal_fixtures.write_journal(str(jdir), [
        (now - 5000000, unit_failed_entry("nginx.service", inv1))], name="old.journal")
    p, log = start_watch(root, dirs, "--journal-dir", str(jdir))
    try:
        assert wait_for(lambda: "following the journal" in open(log.name).read(), 10)
        # delivery 1: the journal, followed by watch (it hands the hook the entry's
        # invocation id, as systemd does for OnFailure=)
        journal_fixtures.write_journal(str(jdir), [
            (now, unit_failed_entry("nginx.service", inv2))], name="new.journal")
        assert wait_for(lambda: len(portal.created()) == 1 and
                        portal.calls_to("POST", "/attachment$"), 120), open(log.name).read()
        assert wait_for(lambda: "a new problem" in open(log.name).read(), 30)
        # the filing is recorded when its run has ended: a stop before that
        # releases the event as an interrupted filing (seen under load)
        state = dirs["state"] / "autofile.json"
        assert wait_for(lambda: state.exists() and "SUP-" in state.read_text(), 60), \
            open(log.name).read()
    finally:
        stop_watch(p)
    before = len(posts(portal))
    # delivery 2: the OnFailure= hook of the same failed run
    env = dict(FAST, MONITOR_INVOCATION_ID=inv2, MONITOR_UNIT="nginx.service",
               MONITOR_SERVICE_RESULT="exit-code", MONITOR_EXIT_CODE="exited",
               MONITOR_EXIT_STATUS="1")
    args = ["hook", "unit-failure", "nginx.service", "--journal-dir", str(jdir)] + \
        base_args(root, dirs)[:-4]
    r = run_collect(args, env=env)
    assert r.rc == 0 and "handled before" in r.err, r
    # delivery 3: by hand, without $MONITOR_*: found in the journal, the same run
    r = run_collect(args, env=FAST)
    assert r.rc == 0 and "handled before" in r.err, r
    assert len(portal.created()) == 1
    assert len(posts(portal)) == before, [c["path"] for c in posts(portal)[before:]]
    # the earlier failed run (another invocation) is another event: a comment
    r = run_collect(args[:3] + ["--journal-dir", str(jdir)] + base_args(root, dirs)[:-4],
                    env=dict(FAST, MONITOR_INVOCATION_ID=inv1))
    assert r.rc == 0 and "a repeat" in r.err, r
    assert len(portal.created()) == 1
    assert len(posts(portal)) > before
    state = json.load(open(dirs["state"] / "autofile.json"))
    assert "unit:nginx.service:" + inv1 in state["events"]
    assert "unit:nginx.service:" + inv2 in state["events"]


def test_alert_delivered_twice_is_one_event(root, dirs, portal):
    """Alertmanager re-sends a group every repeat_interval: the same alert twice adds
    no comment; resolved twice adds one resolved comment."""
    write_config(dirs, portal.url)
    r = hook(root, dirs, "alertmanager", stdin=json.dumps(ALERT))
    assert r.rc == 0 and r.json["ticket"]["action"] == "created", r
    key = r.json["ticket"]["key"]
    req = portal.created()[0]
    n_comments, n_posts = len(req["_comments"]), len(posts(portal))
    r = run_collect(["hook", "alertmanager"] + base_args(root, dirs), env=FAST,
                    input=json.dumps(ALERT))
    assert r.rc == 0 and "handled before" in r.err, r
    assert len(req["_comments"]) == n_comments and len(posts(portal)) == n_posts
    # a payload without fingerprints (older Alertmanager): identified by its labels
    bare = dict(ALERT, alerts=[{k: v for k, v in ALERT["alerts"][0].items()
                                if k != "fingerprint"}])
    r = run_collect(["hook", "alertmanager"] + base_args(root, dirs), env=FAST,
                    input=json.dumps(bare))
    assert r.rc == 0 and "a repeat" in r.err, r
    r = run_collect(["hook", "alertmanager"] + base_args(root, dirs), env=FAST,
                    input=json.dumps(bare))
    assert r.rc == 0 and "handled before" in r.err, r
    n_comments = len(req["_comments"])
    resolved = dict(ALERT, status="resolved",
                    alerts=[dict(ALERT["alerts"][0], status="resolved",
                                 endsAt="2026-03-01T15:10:00Z")])
    for _ in range(2):
        r = run_collect(["hook", "alertmanager"] + base_args(root, dirs, "--json"), env=FAST,
                        input=json.dumps(resolved))
        assert r.rc == 0, r
    assert len(portal.created()) == 1
    resolved_comments = [c for c in req["_comments"][n_comments:] if "Resolved at" in c["body"]]
    assert len(resolved_comments) == 1, req["_comments"][n_comments:]
    assert "2026-03-01T15:10" in resolved_comments[0]["body"]
    assert len(req["_comments"]) == n_comments + 1
    assert portal.created()[0]["issueKey"] == key
