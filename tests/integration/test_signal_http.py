# SPDX-License-Identifier: MIT
"""A stop signal during an HTTP submission is acted on at once: the built
binary files to the fake portal, which reads the upload slowly; SIGTERM,
SIGINT or SIGHUP mid-upload ends the run within a second or two with
143/130/129 and one line saying what was interrupted, no temporary file
left, the submission kept in the spool; `collect spool flush` then files it,
once. A signal during `spool flush` itself, while waiting out a portal's
Retry-After, or while the Slack escalation is sent, is handled the same way."""

import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conftest import BIN, base_args  # noqa: E402
from fake_portal import FakePortal  # noqa: E402

TOKEN = "s3cr3t-T0KEN-value"
UPLOAD = "attachTemporaryFile"
FAST = {"COLLECT_TEST_BACKOFF_MS": "20", "COLLECT_TEST_SETTLE_MS": "400",
        "COLLECT_TEST_HTTP_TIMEOUT_MS": "60000",
        "https_proxy": "", "HTTPS_PROXY": "", "http_proxy": "", "HTTP_PROXY": "",
        "all_proxy": "", "ALL_PROXY": ""}
# a bundle of about 1 MiB read at 32 KiB/s: larger than what the socket buffers
# hold at that pace, so the client is still sending when the signal comes
SLOW = {"path": UPLOAD, "rate": 32768}
UNDER_WAY = 64 * 1024

pytestmark = pytest.mark.skipif(not os.access(BIN, os.X_OK), reason="collect not built")


@pytest.fixture
def root(root):
    """The fixture tree with an ordinary request log of about 5 MB in the window."""
    rnd = random.Random(7)
    with open(root / "var" / "log" / "app-requests.log", "w") as f:
        for i in range(40000):
            f.write("2026-11-27T10:%02d:%02dZ api[812]: GET /v1/orders/%d request_id=%s "
                    "status=200 took %d ms\n" % (i // 2400 % 60, i // 40 % 60,
                                                  rnd.randrange(10 ** 6),
                                                  uuid.UUID(int=rnd.getrandbits(128)),
                                                  rnd.randrange(900)))
    return root


@pytest.fixture
def portal():
    p = FakePortal().start()
    yield p
    p.stop()


def write_config(dirs, url, extra=""):
    cred = dirs["config"].parent / "credentials"
    cred.write_text("email: ops-bot@customer.example\ntoken: %s\n" % TOKEN)
    os.chmod(cred, 0o600)
    dirs["config"].write_text(
        "environment: production\nproduct: Payments API\n" + extra +
        "portal:\n  url: %s\n  credentials: %s\n  service_desk: SUP\n"
        "  request_types: {incident: Report an incident, question: Ask a question}\n"
        % (url, cred))


def file_args(root, dirs):
    return base_args(root, dirs, "--open-ticket", "--yes", "--json", "--allow-incomplete",
                     "--environment", "production", "--product", "Payments API",
                     "--summary", "Payments API down", "--impact", "all customers",
                     "--workaround", "no")


def flush_args(dirs):
    return ["spool", "flush", "--spool-dir", str(dirs["spool"]), "--state-dir",
            str(dirs["state"]), "--config", str(dirs["config"])]


def run_and_signal(args, portal, sig, path=UPLOAD, under_way=UNDER_WAY):
    """Starts the binary, waits until the portal is part-way through reading
    the upload, sends sig; returns (exit code, stdout, stderr, seconds from
    the signal to the exit)."""
    env = dict(os.environ, **FAST)
    with portal.lock:
        seen = len(portal.receiving)   # bodies of earlier runs may still be read
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([BIN] + args, env=env, stdout=out, stderr=err,
                                stdin=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and proc.poll() is None:
                with portal.lock:
                    got = sum(b["got"] for b in portal.receiving[seen:] if path in b["path"])
                if got >= under_way:
                    break
                time.sleep(0.02)
            assert proc.poll() is None, "the run ended before the upload was under way"
            assert got >= under_way, "the upload never started"
            t = time.monotonic()
            proc.send_signal(sig)
            rc = proc.wait(timeout=20)
            elapsed = time.monotonic() - t
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        out.seek(0)
        err.seek(0)
        return rc, out.read().decode(), err.read().decode(), elapsed


def spooled(dirs):
    return [e for e in os.listdir(dirs["spool"]) if not e.startswith(".")]


def temporaries(dirs):
    found = []
    for d in ("out", "state", "spool"):
        for top, subdirs, files in os.walk(dirs[d]):
            for n in subdirs + files:
                if n.endswith(".tmp") or n.startswith(".tmp") or ".tmp." in n:
                    found.append(os.path.join(top, n))
    return found


def run_flush(dirs):
    p = subprocess.run([BIN] + flush_args(dirs), env=dict(os.environ, **FAST),
                       capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    return p.returncode, p.stderr


@pytest.mark.parametrize("sig,code", [(signal.SIGTERM, 143), (signal.SIGINT, 130),
                                      (signal.SIGHUP, 129)],
                         ids=["TERM", "INT", "HUP"])
def test_signal_mid_upload_stops_at_once_and_keeps_the_submission(root, dirs, portal, sig,
                                                                   code):
    write_config(dirs, portal.url)
    portal.set_faults(slow_read=dict(SLOW))
    rc, out, err, elapsed = run_and_signal(file_args(root, dirs), portal, sig)
    name = signal.Signals(sig).name
    assert rc == code, err
    assert elapsed < 3.0, "took %.2fs to stop" % elapsed
    # one line says what was interrupted, and where the submission is
    said = [line for line in err.splitlines() if "interrupted" in line]
    assert len(said) == 1 and name in said[0] and "spool" in said[0], err
    assert "fix the problem" not in err
    res = json.loads(out)
    assert res["exit_code"] == code and res["interrupted"]["signal"] == name[3:]
    assert res["ticket"]["action"] == "spooled" and res["ticket"]["spool_id"]
    # the upload was cut: the portal never got it whole, and nothing was created
    assert portal.calls_to("POST", UPLOAD) == [] and portal.created() == []
    assert all(b["got"] < b["length"] for b in portal.receiving)
    assert temporaries(dirs) == []
    assert spooled(dirs) == [res["ticket"]["spool_id"]]
    assert TOKEN not in out + err

    # the retry files it, once
    portal.set_faults(slow_read=None)
    frc, ferr = run_flush(dirs)
    assert frc == 0, ferr
    assert len(portal.created()) == 1 and spooled(dirs) == []
    frc, ferr = run_flush(dirs)
    assert frc == 0 and "empty" in ferr
    assert len(portal.created()) == 1


def test_signal_during_spool_flush(root, dirs, portal):
    write_config(dirs, portal.url)
    portal.set_faults(slow_read=dict(SLOW))
    rc, _, _, _ = run_and_signal(file_args(root, dirs), portal, signal.SIGTERM)
    assert rc == 143
    entry = spooled(dirs)
    assert len(entry) == 1

    rc, _, err, elapsed = run_and_signal(flush_args(dirs), portal, signal.SIGTERM)
    assert rc == 143, err
    assert elapsed < 3.0, "took %.2fs to stop" % elapsed
    said = [line for line in err.splitlines() if "interrupted" in line]
    assert len(said) == 1 and entry[0] in said[0], err
    assert spooled(dirs) == entry and temporaries(dirs) == []
    assert portal.created() == []

    portal.set_faults(slow_read=None)
    frc, ferr = run_flush(dirs)
    assert frc == 0, ferr
    assert len(portal.created()) == 1 and spooled(dirs) == []


def test_signal_while_waiting_out_retry_after(root, dirs, portal):
    """The portal says 429 with Retry-After: 30 to the attach, after the ticket
    was created: SIGTERM during that wait stops the run at once; the flush
    attaches the bundle to the same ticket."""
    write_config(dirs, portal.url)
    portal.set_faults(rate_limit={"after": 0, "count": 1, "retry_after": 30,
                                  "path": "/attachment"})
    env = dict(os.environ, **FAST)
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([BIN] + file_args(root, dirs), env=env,
                                stdout=subprocess.DEVNULL, stderr=err,
                                stdin=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while not portal.calls_to("POST", "/attachment$") and \
                    time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.02)
            time.sleep(0.3)
            assert proc.poll() is None, "the run did not wait for Retry-After"
            t = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            rc = proc.wait(timeout=20)
            elapsed = time.monotonic() - t
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        err.seek(0)
        text = err.read().decode()
    assert rc == 143, text
    assert elapsed < 3.0, "took %.2fs to stop" % elapsed
    assert len([line for line in text.splitlines() if "interrupted" in line]) == 1, text
    assert len(portal.created()) == 1 and len(spooled(dirs)) == 1
    assert temporaries(dirs) == []

    frc, ferr = run_flush(dirs)
    assert frc == 0, ferr
    assert len(portal.created()) == 1 and spooled(dirs) == []
    assert len(portal.created()[0]["_attachments"]) >= 1


def test_signal_during_the_slack_escalation(root, dirs, portal):
    """Premium P1: the ticket is filed, then SIGTERM while the Slack webhook is
    being sent; the notification is not marked refused but waits in the spool,
    and the flush sends it, with still one ticket."""
    hook = dirs["config"].parent / "slack"
    hook.write_text(portal.url + "/services/T000/B000/XXXX\n")
    os.chmod(hook, 0o600)
    write_config(dirs, portal.url, extra="tier: premium\nescalation:\n"
                                         "  slack_webhook_file: %s\n" % hook)
    portal.set_faults(slow_read={"path": "/services/", "rate": 40})
    rc, out, err, elapsed = run_and_signal(file_args(root, dirs) + ["--severity", "P1"],
                                           portal, signal.SIGTERM, path="/services/",
                                           under_way=40)
    assert rc == 143, err
    assert elapsed < 3.0, "took %.2fs to stop" % elapsed
    assert len([line for line in err.splitlines() if "interrupted" in line]) == 1, err
    assert "refused" not in err
    assert len(portal.created()) == 1 and portal.slack == []
    assert len(spooled(dirs)) == 1 and temporaries(dirs) == []

    portal.set_faults(slow_read=None)
    frc, ferr = run_flush(dirs)
    assert frc == 0, ferr
    assert len(portal.created()) == 1 and len(portal.slack) == 1
    assert spooled(dirs) == []
