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


# ---- what the ticket says (issue 13) ----------------------------------------------------

def adf_texts(node):
    """Every text of an ADF document, in order."""
    out = []
    if isinstance(node, dict):
        if node.get("type") == "text":
            out.append(node["text"])
        for c in node.get("content", []):
            out.extend(adf_texts(c))
    return out


def journal_run(root, dirs, tmp_path, *extra):
    import journal_fixtures
    jdir = tmp_path / "journal"
    jdir.mkdir()
    journal_fixtures.build_fixture(str(jdir))
    return run_collect(file_args(root, dirs, "--journal-dir", str(jdir), *extra), env=FAST)


def test_ticket_reads_well_on_cloud(root, dirs, portal, tmp_path):
    from conftest import open_bundle
    from fake_portal import adf_problem
    import xml.etree.ElementTree as ET
    write_config(dirs, portal.url)
    r = journal_run(root, dirs, tmp_path)
    assert r.rc == 0, r
    req = portal.created()[0]
    values = req["_values"]
    # the summary names the symptom, where and how badly; no marker, no rule text
    summary = values["summary"]
    assert summary.startswith("Payments API (production, "), summary
    assert "collect" not in summary and "rule " not in summary and len(summary) < 255
    assert "Payments API down" in summary
    # ADF, valid by the fake's rules, with every severity reason and checklist item
    desc = values["description"]
    assert adf_problem(desc) is None
    texts = "\n".join(adf_texts(desc))
    for reason in r.json["severity"]["reasons"]:
        assert reason in texts, reason
    assert "and 4 more" not in texts
    for heading in ("In the reporter's words", "Severity: ", "Required information: ",
                    "Environment", "What happened (timeline, UTC)", "Top errors",
                    "Diagnostics bundle"):
        assert heading in texts, heading
    assert texts.index("Severity: ") < texts.index("Required information: ") < \
        texts.index("Environment") < texts.index("What happened (timeline, UTC)")
    assert "Debian GNU/Linux 12" in texts  # the OS among the environment facts
    marker = values["labels"][1]
    assert marker.startswith("collect") and marker in texts
    # the timeline picture beside the bundle, and in the bundle
    names = [a["name"] for a in req["_attachments"]]
    assert names[0].endswith(".tar.gz") and names[1] == "timeline.svg"
    members, top = open_bundle(r.json["bundle"]["path"])
    svg = ET.fromstring(members["timeline.svg"])
    ns = "{http://www.w3.org/2000/svg}"
    assert svg.tag == ns + "svg"
    classes = [e.get("class") or "" for e in svg.iter()]
    assert "x-axis" in classes and "y-axis" in classes
    assert classes.count("bar") > 0
    markers = [c for c in classes if c.startswith("marker ")]
    assert markers, classes
    assert not [e for e in svg.iter() if e.tag in (ns + "script", ns + "image",
                                                   ns + "foreignObject")]
    assert not [e for e in svg.iter() for k in e.attrib if k.endswith("href")]
    summary_md = members["summary.md"].decode()
    assert "## Timeline" in summary_md and "timeline.svg" in summary_md
    manifest = __import__("json").loads(members["manifest.json"])
    assert any(m["path"].endswith("timeline.svg") for m in manifest["members"])
    assert manifest["timeline"] and manifest["error_histogram"]["buckets"] == 48


def test_ticket_wiki_on_datacenter(root, dirs):
    p = FakePortal(deployment="datacenter").start()
    try:
        write_config(dirs, p.url, deployment="datacenter", token_line=f"token: {PAT}\n")
        r = run_collect(file_args(root, dirs), env=FAST)
        assert r.rc == 0, r
        body = next(c for c in p.log if c["method"] == "POST" and c["path"].endswith("/request"))
        raw = body.get("body") or b""
        assert b"isAdfRequest" not in (raw if isinstance(raw, bytes) else raw.encode())
        desc = p.created()[0]["_values"]["description"]
        assert isinstance(desc, str)
        assert "h3. Severity: " in desc and "||Item||Status||Value||" in desc
        assert "h3. Environment" in desc
    finally:
        p.stop()


def test_request_type_fields_filled_or_named(root, dirs, portal):
    write_config(dirs, portal.url)
    assert run_collect(file_args(root, dirs), env=FAST).rc == 0
    values = portal.created()[0]["_values"]
    assert values["customfield_10150"] == {"id": "10210"}  # Environment: Production
    portal.reset()
    r = run_collect(file_args(root, dirs, "--environment", "qa"), env=FAST)
    assert r.rc == 0, r
    values = portal.created()[0]["_values"]
    assert "customfield_10150" not in values
    assert "Request-type fields not filled: Environment (no option matches 'qa')." in \
        adf_texts(values["description"])


def test_attach_comment_names_missing_items(root, dirs, portal):
    write_config(dirs, portal.url)
    assert run_collect(file_args(root, dirs), env=FAST).rc == 0
    r = run_collect(base_args(root, dirs, "--ticket", "SUP-481", "--yes", "--json"), env=FAST)
    assert r.rc == 0, r
    comment = portal.created()[0]["_comments"][-1]["body"]
    assert "missing: steps to reproduce" in comment, comment
    assert "of 6 items present" in comment


def test_missing_list_printed_once(root, dirs, portal):
    write_config(dirs, portal.url)
    r = run_collect(base_args(root, dirs, "--open-ticket", "--yes"), env=FAST)
    assert r.rc == 65, r
    assert r.err.count("--steps TEXT") == 1, r.err


def test_outbox_draft_is_plain_text(root, dirs):
    import json
    r = run_collect(file_args(root, dirs), env=FAST)
    assert r.rc == 0, r
    txt = open(glob.glob(str(dirs["out"]) + "/*.ticket.txt")[0]).read()
    for markup in ("h3.", "||", "{noformat}", "{{", "\\["):
        assert markup not in txt, markup
    assert "Severity: P" in txt and "Required information: " in txt and "Environment" in txt
    draft = json.load(open(glob.glob(str(dirs["out"]) + "/*.ticket.json")[0]))
    assert draft["description_adf"]["type"] == "doc"
    assert draft["summary"].startswith("Payments API (production, ")
    assert draft["portal"].startswith("https://")


def test_golden_adf_is_valid():
    from fake_portal import adf_problem
    import json
    files = glob.glob(os.path.join(os.path.dirname(__file__), "..", "data", "golden",
                                   "*.adf.json"))
    assert len(files) == 5
    for f in files:
        assert adf_problem(json.load(open(f))) is None, f
    # and the rules bite
    bad = [
        {"type": "doc", "version": 1, "content": [{"type": "listItem", "content": []}]},
        {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [
            {"type": "text", "text": ""}]}]},
        {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [
            {"type": "text", "text": "x", "marks": [{"type": "code"}, {"type": "strong"}]}]}]},
        {"type": "doc", "version": 1, "content": [{"type": "heading", "content": []}]},
        {"type": "doc", "content": []},
    ]
    for b in bad:
        assert adf_problem(b) is not None, b
