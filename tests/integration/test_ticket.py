# SPDX-License-Identifier: MIT
"""Ticket flows of the built binary against the strict fake portal
(fake_portal.py, in a thread on 127.0.0.1): open, attach, share, P1
escalation, outbox, --dry-run, Data Center, `collect portal`, `collect spool`,
faults (no duplicate, nothing lost, right exit code), resume after SIGKILL,
and no token anywhere in what is printed or stored."""

import glob
import os
import signal
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conftest import BIN, base_args, run_collect  # noqa: E402
from fake_portal import FakePortal  # noqa: E402

TOKEN = "s3cr3t-T0KEN-value"
PAT = "dc-PAT-s3cr3t-value"

pytestmark = pytest.mark.skipif(not os.access(BIN, os.X_OK), reason="collect not built")

FAST = {"COLLECT_TEST_BACKOFF_MS": "20", "COLLECT_TEST_SETTLE_MS": "400",
        "COLLECT_TEST_HTTP_TIMEOUT_MS": "5000"}


@pytest.fixture
def portal():
    p = FakePortal().start()
    yield p
    p.stop()


def write_config(dirs, url, extra="", deployment="cloud", token_line=None):
    cred = dirs["config"].parent / "credentials"
    cred.write_text(token_line or f"email: ops-bot@customer.example\ntoken: {TOKEN}\n")
    os.chmod(cred, 0o600)
    dirs["config"].write_text(
        "environment: production\nproduct: Payments API\n" + extra +
        f"portal:\n  url: {url}\n  deployment: {deployment}\n  credentials: {cred}\n"
        "  service_desk: SUP\n"
        "  request_types: {incident: Report an incident, question: Ask a question}\n")


def file_args(root, dirs, *extra):
    return base_args(root, dirs, "--open-ticket", "--yes", "--json", "--allow-incomplete",
                     "--environment", "production", "--product", "Payments API",
                     "--summary", "Payments API down", "--impact", "all customers",
                     "--workaround", "no", *extra)


def no_secret(run, dirs):
    assert TOKEN not in run.out and TOKEN not in run.err
    assert PAT not in run.out and PAT not in run.err
    for d in ("state", "spool", "out"):
        for path in glob.glob(str(dirs[d]) + "/**", recursive=True):
            if os.path.isfile(path) and not path.endswith(".tar.gz"):
                with open(path, "rb") as f:
                    data = f.read()
                assert TOKEN.encode() not in data and PAT.encode() not in data, path


def spooled(dirs):
    return [e for e in os.listdir(dirs["spool"]) if not e.startswith(".")]


def test_outbox_default(root, dirs):
    r = run_collect(base_args(root, dirs, "--open-ticket", "--yes", "--json",
                              "--allow-incomplete"), env=FAST)
    assert r.rc == 0, r
    assert r.json["ticket"]["action"] == "drafted"
    assert glob.glob(str(dirs["out"]) + "/*.ticket.txt")
    assert glob.glob(str(dirs["out"]) + "/*.ticket.json")
    assert "Shared with" in r.err and "Sign up" in r.err


def test_open_share_and_no_secret(root, dirs, portal):
    write_config(dirs, portal.url, extra="")
    r = run_collect(file_args(root, dirs, "--share", "5b10ac8d82e05b22cc7d4ef5",
                              "--severity", "P2"), env=FAST)
    assert r.rc == 0, r
    t = r.json["ticket"]
    assert t["action"] == "created" and t["key"] == "SUP-481"
    reqs = portal.created()
    assert len(reqs) == 1
    assert reqs[0]["_values"]["priority"] == {"id": "10002"}
    assert [a["name"] for a in reqs[0]["_attachments"]][1:] == ["timeline.svg"]
    assert reqs[0]["_participants"] == ["5b10ac8d82e05b22cc7d4ef5"]
    assert spooled(dirs) == []
    no_secret(r, dirs)


def test_attach_to_existing(root, dirs, portal):
    write_config(dirs, portal.url)
    assert run_collect(file_args(root, dirs), env=FAST).rc == 0
    r = run_collect(base_args(root, dirs, "--ticket", "SUP-481", "--yes", "--json"), env=FAST)
    assert r.rc == 0, r
    assert r.json["ticket"]["action"] in ("attached", "commented")
    assert len(portal.created()) == 1
    # the bundle and timeline.svg on the new ticket, the second bundle alone
    assert len(portal.created()[0]["_attachments"]) == 3


@pytest.mark.parametrize("faults", [
    {"drop_after_create": 1},
    {"drop_after_create": 1, "search_delay": 0.3},
    {"rate_limit": {"after": 0, "count": 2, "retry_after": 1}},
    {"unavailable": {"count": 2, "path": "/request", "method": "POST"}},
])
def test_faults_never_duplicate(root, dirs, portal, faults):
    write_config(dirs, portal.url)
    portal.set_faults(**faults)
    r = run_collect(file_args(root, dirs), env=FAST)
    assert r.rc == 0, r
    assert len(portal.created()) == 1
    assert spooled(dirs) == []


def test_expired_token_is_77(root, dirs, portal):
    write_config(dirs, portal.url)
    portal.set_faults(expired_token=True)
    r = run_collect(file_args(root, dirs), env=FAST)
    assert r.rc == 77, r
    assert "credentials" in r.err
    assert portal.created() == []
    no_secret(r, dirs)


def test_unreachable_spools_then_flush(root, dirs, portal):
    write_config(dirs, portal.url)
    portal.set_faults(upload_fail=100)
    r = run_collect(file_args(root, dirs), env=FAST)
    assert r.rc == 75, r
    assert r.json["ticket"]["action"] == "spooled"
    assert len(spooled(dirs)) == 1
    lst = run_collect(["spool", "list", "--spool-dir", str(dirs["spool"]),
                       "--config", str(dirs["config"])], env=FAST)
    assert lst.rc == 0 and spooled(dirs)[0] in lst.out
    portal.set_faults(upload_fail=None)
    f = run_collect(["spool", "flush", "--spool-dir", str(dirs["spool"]), "--state-dir",
                     str(dirs["state"]), "--config", str(dirs["config"])], env=FAST)
    assert f.rc == 0, f
    assert len(portal.created()) == 1 and spooled(dirs) == []


def test_spool_drop(root, dirs, portal):
    write_config(dirs, portal.url)
    portal.set_faults(upload_fail=100)
    assert run_collect(file_args(root, dirs), env=FAST).rc == 75
    sid = spooled(dirs)[0]
    d = run_collect(["spool", "drop", sid, "--spool-dir", str(dirs["spool"]),
                     "--config", str(dirs["config"])], env=FAST)
    assert d.rc == 0, d
    assert spooled(dirs) == []


def test_dry_run_sends_nothing(root, dirs, portal):
    write_config(dirs, portal.url)
    r = run_collect(file_args(root, dirs, "--dry-run"), env=FAST)
    assert r.rc == 0, r
    assert "would send: POST /rest/servicedeskapi/request" in r.err
    assert portal.log == []
    no_secret(r, dirs)


def test_datacenter_bearer(root, dirs):
    p = FakePortal(deployment="datacenter").start()
    try:
        write_config(dirs, p.url, deployment="datacenter", token_line=f"token: {PAT}\n")
        r = run_collect(file_args(root, dirs, "--share", "jdoe"), env=FAST)
        assert r.rc == 0, r
        assert all(c["headers"].get("Authorization") == "Bearer " + PAT for c in p.log)
        assert p.created()[0]["_participants"] == ["jdoe"]
        no_secret(r, dirs)
    finally:
        p.stop()


def test_premium_p1_slack_and_standard_told(root, dirs, portal):
    hook = dirs["config"].parent / "slack"
    hook.write_text(portal.url + "/services/T000/B000/XXXX\n")
    os.chmod(hook, 0o600)
    write_config(dirs, portal.url, extra=f"tier: premium\nescalation:\n"
                                         f"  slack_webhook_file: {hook}\n  phone: '+00 1'\n")
    r = run_collect(file_args(root, dirs, "--severity", "P1"), env=FAST)
    assert r.rc == 0, r
    assert len(portal.slack) == 1 and "SUP-481" in portal.slack[0]["message"]["text"]
    assert "+00 1" in r.err
    assert "XXXX" not in r.err
    write_config(dirs, portal.url, extra="tier: standard\n")
    r = run_collect(file_args(root, dirs, "--severity", "P1"), env=FAST)
    assert r.rc == 0, r
    assert "Premium" in r.err and len(portal.slack) == 1


def test_portal_verbs(dirs, portal):
    write_config(dirs, portal.url)
    portal.set_faults(page_limit=2)
    r = run_collect(["portal", "test", "--config", str(dirs["config"])], env=FAST)
    assert r.rc == 0, r
    d = run_collect(["portal", "desks", "--config", str(dirs["config"])], env=FAST)
    assert d.rc == 0 and "SUP" in d.out and "FAC" in d.out  # 3 desks over 2 pages
    t = run_collect(["portal", "types", "--config", str(dirs["config"])], env=FAST)
    assert t.rc == 0 and "General request" in t.out
    f = run_collect(["portal", "fields", "--config", str(dirs["config"])], env=FAST)
    assert f.rc == 0 and "10001=P1 - Critical" in f.out
    portal.set_faults(expired_token=True)
    r = run_collect(["portal", "test", "--config", str(dirs["config"])], env=FAST)
    assert r.rc == 77 and "expired" in r.err
    no_secret(r, dirs)


def test_resume_after_sigkill(root, dirs, portal):
    write_config(dirs, portal.url)
    portal.set_faults(rate_limit={"after": 0, "count": 1, "retry_after": 30,
                                  "path": "/attachment"})
    e = dict(os.environ, **FAST)
    proc = subprocess.Popen([BIN] + file_args(root, dirs), env=e, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    deadline = time.time() + 60
    while not portal.calls_to("POST", "/attachment$") and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert len(portal.created()) == 1
    assert len(spooled(dirs)) == 1
    f = run_collect(["spool", "flush", "--spool-dir", str(dirs["spool"]), "--state-dir",
                     str(dirs["state"]), "--config", str(dirs["config"])], env=FAST)
    assert f.rc == 0, f
    assert len(portal.created()) == 1
    assert len(portal.created()[0]["_attachments"]) == 2  # the bundle and timeline.svg
    assert spooled(dirs) == []
