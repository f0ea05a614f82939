# SPDX-License-Identifier: MIT
"""Remote requests: a support engineer writes `/collect …` on a request and the
host answers with a bundle on that request, once (`collect poll` against the
strict fake portal): allowed and unlisted authors, the customer account
itself, refused options, resolved requests, two pollers at once, the daily
cap, and a portal outage between trigger and answer."""

import json
import os
import sys
import tarfile
import threading
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conftest import BIN, run_collect  # noqa: E402
from fake_portal import CLOUD_ACCOUNT, FakePortal  # noqa: E402
from test_ticket import FAST, file_args, no_secret, spooled, write_config  # noqa: E402

pytestmark = pytest.mark.skipif(not os.access(BIN, os.X_OK), reason="collect not built")

AGENT = "6a1f00aa0b12cd34ef567890"        # a support agent on the allow list
STRANGER = "70121:0f0f0f0f-1111-2222-3333"  # someone else
WINDOW = "--since 2026-11-26T00:00:00Z --until 2026-11-28T00:00:00Z"


@pytest.fixture
def portal():
    p = FakePortal().start()
    yield p
    p.stop()


def remote_config(dirs, portal, max_per_day=10, enabled=True):
    write_config(dirs, portal.url, extra=(
        "remote_requests:\n"
        f"  enabled: {'true' if enabled else 'false'}\n"
        f"  allow: ['*@support.example.com', '{AGENT}']\n"
        f"  max_per_day: {max_per_day}\n"))


def open_request(root, dirs, portal):
    r = run_collect(file_args(root, dirs), env=FAST)
    assert r.rc == 0, r
    return r.json["ticket"]["key"]


def request(portal, key):
    return next(r for r in portal.created() if r["issueKey"] == key)


def comment(portal, key, body, author=AGENT, email=None):
    a = {"accountId": author}
    if email:
        a["emailAddress"] = email
    code, c, _ = portal.control("POST", "/__fake/comment",
                                json.dumps({"key": key, "body": body, "author": a}).encode())
    assert code == 200
    return c


def poll(root, dirs, *extra):
    return run_collect(["poll", "--root", str(root), "--state-dir", str(dirs["state"]),
                        "--spool-dir", str(dirs["spool"]), "--policy-dir", str(dirs["policy"]),
                        "--config", str(dirs["config"]), "--output", str(dirs["out"])]
                       + list(extra), env=FAST)


def bot_comments(portal, key):
    return [c for c in request(portal, key)["_comments"]
            if c["author"]["accountId"] == CLOUD_ACCOUNT]


def test_allowed_trigger_answered_once(root, dirs, portal):
    remote_config(dirs, portal)
    key = open_request(root, dirs, portal)
    before = len(request(portal, key)["_attachments"])
    trig = comment(portal, key, "/collect --since 6h\nplease, thanks")
    r = poll(root, dirs, "--json")
    assert r.rc == 0, r
    assert r.json["poll"]["answered"] == 1, r
    req = request(portal, key)
    assert len(req["_attachments"]) == before + 1
    answer = bot_comments(portal, key)[-1]["body"]
    assert "/collect request by" in answer and AGENT in answer
    # the asked window: the 6 hours before the comment
    bundle = [f for f in os.listdir(dirs["state"] / "bundles")] if \
        (dirs["state"] / "bundles").exists() else []
    path = [os.path.join(dirs["out"], f) for f in os.listdir(dirs["out"])
            if f.endswith(".tar.gz") and key in f] or \
        [os.path.join(dirs["state"], "bundles", f) for f in bundle if key in f]
    assert path, os.listdir(dirs["out"])
    with tarfile.open(path[0], "r:gz") as t:
        m = next(x for x in t.getmembers() if x.name.endswith("/manifest.json"))
        manifest = json.loads(t.extractfile(m).read())
    w = manifest["window"]
    since = time.mktime(time.strptime(w["since"][:19], "%Y-%m-%dT%H:%M:%S"))
    until = time.mktime(time.strptime(w["until"][:19], "%Y-%m-%dT%H:%M:%S"))
    assert abs((until - since) - 6 * 3600) < 2, w
    assert abs(until - trig["created"]["epochMillis"] / 1000) < 2, (w, trig)
    # a second poll and a restart answer nothing more
    r2 = poll(root, dirs, "--json")
    assert r2.rc == 0 and r2.json["poll"]["answered"] == 0, r2
    assert len(request(portal, key)["_attachments"]) == before + 1
    no_secret(r, dirs)


def test_untrusted_refused_and_resolved(root, dirs, portal):
    remote_config(dirs, portal)
    key = open_request(root, dirs, portal)
    key2 = open_request(root, dirs, portal)
    n1 = len(request(portal, key)["_attachments"])
    n2 = len(request(portal, key2)["_attachments"])
    comment(portal, key, "/collect", author=STRANGER)                # not on the list
    comment(portal, key, "/collect", author=STRANGER,                # e-mail lookalike
            email="eve@support.example.com.evil.example")
    comment(portal, key, "/collect", author=CLOUD_ACCOUNT)           # the customer account
    comment(portal, key, "/collect --since 2h --output /etc --exec id")  # refused options
    comment(portal, key2, "/collect " + WINDOW)
    portal.control("POST", "/__fake/status",
                   json.dumps({"key": key2, "statusCategory": "DONE"}).encode())
    r = poll(root, dirs, "--json")
    assert r.rc == 0, r
    p = r.json["poll"]
    assert p["answered"] == 0 and p["refused"] == 1 and p["ignored"] == 3, p
    assert len(request(portal, key)["_attachments"]) == n1
    assert len(request(portal, key2)["_attachments"]) == n2
    refusal = bot_comments(portal, key)[-1]["body"]
    assert "--output" in refusal and "--exec" in refusal and "Nothing was collected" in refusal
    # the refusal is itself answered once
    r2 = poll(root, dirs, "--json")
    assert r2.json["poll"]["refused"] == 0, r2
    assert len([c for c in bot_comments(portal, key) if "was not answered" in c["body"]]) == 1


def test_email_glob_author(root, dirs, portal):
    remote_config(dirs, portal)
    key = open_request(root, dirs, portal)
    n = len(request(portal, key)["_attachments"])
    comment(portal, key, "/collect " + WINDOW + " --mask", author=STRANGER,
            email="Ann.Agent@Support.Example.com")
    r = poll(root, dirs, "--json")
    assert r.rc == 0 and r.json["poll"]["answered"] == 1, r
    assert len(request(portal, key)["_attachments"]) == n + 1
    assert "masked" in bot_comments(portal, key)[-1]["body"]


def test_two_pollers_answer_once(root, dirs, portal):
    remote_config(dirs, portal)
    key = open_request(root, dirs, portal)
    n = len(request(portal, key)["_attachments"])
    comment(portal, key, "/collect " + WINDOW)
    results = []

    def go():
        results.append(poll(root, dirs, "--json"))
    ts = [threading.Thread(target=go) for _ in range(3)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert all(r.rc == 0 for r in results), results
    assert sum(r.json["poll"]["answered"] for r in results) == 1
    assert len(request(portal, key)["_attachments"]) == n + 1


def test_daily_cap(root, dirs, portal):
    remote_config(dirs, portal, max_per_day=1)
    key = open_request(root, dirs, portal)
    n = len(request(portal, key)["_attachments"])
    comment(portal, key, "/collect " + WINDOW)
    comment(portal, key, "/collect --since 1h")
    r = poll(root, dirs, "--json")
    assert r.rc == 0, r
    assert r.json["poll"]["answered"] == 1 and r.json["poll"]["refused"] == 1, r
    assert len(request(portal, key)["_attachments"]) == n + 1
    assert "daily limit" in bot_comments(portal, key)[-1]["body"]


def test_disabled_does_nothing(root, dirs, portal):
    remote_config(dirs, portal, enabled=False)
    key = open_request(root, dirs, portal)
    n = len(request(portal, key)["_attachments"])
    comment(portal, key, "/collect")
    r = poll(root, dirs)
    assert r.rc == 0, r
    assert len(request(portal, key)["_attachments"]) == n


def test_outage_spools_and_answers_once(root, dirs, portal):
    remote_config(dirs, portal)
    key = open_request(root, dirs, portal)
    n = len(request(portal, key)["_attachments"])
    comment(portal, key, "/collect " + WINDOW)
    portal.set_faults(upload_fail=100)
    r = poll(root, dirs, "--json")
    assert r.json["poll"]["answered"] == 1, r
    assert len(spooled(dirs)) == 1
    portal.set_faults(upload_fail=None)
    r2 = poll(root, dirs, "--json")
    assert r2.json["poll"]["answered"] == 0, r2
    f = run_collect(["spool", "flush", "--spool-dir", str(dirs["spool"]), "--state-dir",
                     str(dirs["state"]), "--config", str(dirs["config"])], env=FAST)
    assert f.rc == 0, f
    assert spooled(dirs) == []
    assert len(request(portal, key)["_attachments"]) == n + 1
    r3 = poll(root, dirs, "--json")
    assert r3.json["poll"]["answered"] == 0
    assert len(request(portal, key)["_attachments"]) == n + 1


def test_watch_polls_when_enabled(root, dirs, portal, tmp_path):
    from test_hooks import start_watch, stop_watch, wait_for
    write_config(dirs, portal.url, extra=(
        "remote_requests:\n  enabled: true\n"
        f"  allow: ['{AGENT}']\n  interval: 10s\n"))
    key = open_request(root, dirs, portal)
    n = len(request(portal, key)["_attachments"])
    comment(portal, key, "/collect " + WINDOW)
    jdir = tmp_path / "journal"
    jdir.mkdir()
    p, log = start_watch(root, dirs, "--journal-dir", str(jdir))
    try:
        assert wait_for(lambda: len(request(portal, key)["_attachments"]) == n + 1, 30), \
            open(log.name).read()
    finally:
        stop_watch(p)
    assert len(request(portal, key)["_attachments"]) == n + 1
    assert "answering /collect comments" in open(log.name).read()
