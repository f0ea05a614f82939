# SPDX-License-Identifier: MIT
"""The checklist gate and the severity suggestion, end to end.

`collect --open-ticket` with no portal configured (the outbox writes a draft) on a
real journal built from Journal Export Format and the fixture root:
  - without a terminal, missing items refuse filing: exit 65, each item named with
    its option, no draft;
  - --allow-incomplete files anyway and the draft says what is missing;
  - on a pseudo-terminal the prompt asks for exactly the missing items and the
    workaround, and the answers reach the checklist and the severity;
  - `collect check BUNDLE` re-evaluates a bundle;
  - summary.md opens with the severity, its reasons and the checklist.
"""

import glob
import json
import os
import pty
import select
import subprocess
import sys
import tarfile
import time

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import journal_fixtures  # noqa: E402

SRCDIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECT = os.environ.get("COLLECT_BIN", os.path.join(SRCDIR, "build", "collect"))
ROOT = os.path.join(SRCDIR, "tests", "data", "root")
SINCE = "2026-11-27T00:00:00Z"
UNTIL = "2026-11-28T00:00:00Z"


@pytest.fixture(scope="module")
def journal(tmp_path_factory):
    d = tmp_path_factory.mktemp("journal")
    journal_fixtures.build_fixture(str(d))
    return str(d)


@pytest.fixture
def env(tmp_path, journal):
    cfg = tmp_path / "collect.yaml"
    cfg.write_text("environment: production\n"
                   "product: Payments API\n"
                   "critical_units: [app.service]\n")
    dirs = {}
    for name in ("out", "state", "spool"):
        dirs[name] = tmp_path / name
        dirs[name].mkdir()

    def args(*extra):
        return [COLLECT, "--root", ROOT, "--journal-dir", journal, "--since", SINCE,
                "--until", UNTIL, "--config", str(cfg), "--output", str(dirs["out"]),
                "--state-dir", str(dirs["state"]), "--spool-dir", str(dirs["spool"])] + list(extra)

    return {"args": args, "out": dirs["out"], "cfg": cfg, "tmp": tmp_path}


def run(argv, **kw):
    e = dict(os.environ)
    e.pop("COLLECT_CONFIG", None)
    return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=120, env=e, **kw)


def items(result):
    return {i["item"]: i for i in result["checklist"]}


def drafts(out):
    return glob.glob(os.path.join(str(out), "*.ticket.txt"))


def bundles(out):
    return sorted(glob.glob(os.path.join(str(out), "collect-*.tar.gz")))


def read_member(bundle, suffix):
    with tarfile.open(bundle, "r:gz") as t:
        for m in t.getmembers():
            if m.name.endswith("/" + suffix):
                return t.extractfile(m).read().decode()
    raise AssertionError("%s not in %s" % (suffix, bundle))


def test_refusal_without_terminal(env):
    p = run(env["args"]("--open-ticket", "--json"))
    assert p.returncode == 65, p.stderr
    assert "impact (impact description): use --impact TEXT" in p.stderr
    assert "steps (steps to reproduce): use --steps TEXT" in p.stderr
    # Environment and product come from collect.yaml: not asked for.
    assert "use --environment" not in p.stderr
    assert "use --product" not in p.stderr
    res = json.loads(p.stdout)
    assert res["exit_code"] == 65
    it = items(res)
    assert it["steps"]["status"] == "missing" and it["steps"]["source"] == "user"
    assert it["impact"]["status"] == "missing"
    assert it["environment"] == dict(it["environment"], status="ok", source="auto")
    assert it["environment"]["detail"] == "production (collect.yaml)"
    assert it["product"]["detail"] == "Payments API (collect.yaml)"
    assert it["errors"]["status"] == "ok"
    assert res["ticket"]["action"] == "none"
    assert drafts(env["out"]) == []
    # The bundle is still produced, with the checklist in the manifest.
    b = bundles(env["out"])
    assert len(b) == 1
    manifest = json.loads(read_member(b[0], "manifest.json"))
    assert {i["item"]: i["status"] for i in manifest["checklist"]}["impact"] == "missing"
    assert manifest["severity"]["suggested"] in ("P1", "P2", "P3", "P4")


def test_allow_incomplete_files_and_says_what_is_missing(env):
    p = run(env["args"]("--open-ticket", "--allow-incomplete", "--json"))
    assert p.returncode == 0, p.stderr
    d = drafts(env["out"])
    assert len(d) == 1
    text = open(d[0]).read()
    assert "impact" in text.lower() and "missing" in text.lower()


def test_complete_outage_is_p1_with_evidence(env):
    p = run(env["args"]("--open-ticket", "--json", "--steps", "open /checkout",
                        "--impact", "checkout is down for all customers", "--workaround", "no"))
    assert p.returncode == 0, p.stderr
    res = json.loads(p.stdout)
    assert all(i["status"] == "ok" for i in res["checklist"]), res["checklist"]
    sev = res["severity"]
    assert sev["suggested"] == "P1", sev
    assert sev["selected"] is None
    reasons = "\n".join(sev["reasons"])
    assert "environment: production (collect.yaml)" in reasons
    assert "workaround: none (stated)" in reasons
    assert "outage: app.service" in reasons
    assert len(drafts(env["out"])) == 1


def test_workaround_unknown_is_p2_and_says_what_would_make_p1(env):
    p = run(env["args"]("--json", "--steps", "x", "--impact", "checkout fails"))
    assert p.returncode == 0, p.stderr
    sev = json.loads(p.stdout)["severity"]
    assert sev["suggested"] == "P2", sev
    assert "would be P1 if no workaround exists: use --workaround no" in sev["reasons"]


def test_selected_severity_kept_next_to_suggestion(env):
    p = run(env["args"]("--json", "--severity", "P4", "--workaround", "no"))
    assert p.returncode == 0, p.stderr
    sev = json.loads(p.stdout)["severity"]
    assert sev["selected"] == "P4"
    assert sev["suggested"] == "P1"


def test_staging_is_never_above_p3(env):
    p = run(env["args"]("--json", "--environment", "staging", "--workaround", "no"))
    assert p.returncode == 0, p.stderr
    res = json.loads(p.stdout)
    assert res["severity"]["suggested"] == "P3"
    assert items(res)["environment"]["source"] == "user"
    assert items(res)["environment"]["detail"] == "staging (--environment)"


def test_question_needs_no_steps_and_is_p4(env):
    p = run(env["args"]("--open-ticket", "--json", "--type", "question"))
    assert p.returncode == 0, p.stderr
    res = json.loads(p.stdout)
    it = items(res)
    assert it["steps"]["status"] == "not_applicable"
    assert it["impact"]["status"] == "not_applicable"
    assert res["severity"]["suggested"] == "P4"


def test_summary_opens_with_severity_and_checklist(env):
    p = run(env["args"]("--workaround", "no"))
    assert p.returncode == 0, p.stderr
    summary = read_member(bundles(env["out"])[0], "summary.md")
    head = summary[:3000]
    assert "## Severity: P1" in head
    assert "- environment: production (collect.yaml)" in head
    assert "## Required information: incomplete" in head
    assert "| impact description | missing | user |" in head
    assert head.index("## Severity") < head.index("## Required information")


def test_check_bundle(env):
    p = run(env["args"]())
    assert p.returncode == 0, p.stderr
    b = bundles(env["out"])[0]
    c = run([COLLECT, "check", b, "--config", str(env["cfg"])])
    assert c.returncode == 65, c.stderr
    assert c.stdout.startswith("## Severity: ")
    assert "| steps to reproduce | missing | user |" in c.stdout
    c = run([COLLECT, "check", b, "--config", str(env["cfg"]), "--json", "--steps", "x",
             "--impact", "y", "--workaround", "no"])
    assert c.returncode == 0, c.stderr
    res = json.loads(c.stdout)
    assert all(i["status"] == "ok" for i in res["checklist"]), res["checklist"]
    assert res["severity"]["suggested"] == "P1"


class Pty:
    """The collect process with stdin and stderr on a pseudo-terminal."""

    def __init__(self, argv):
        self.master, slave = pty.openpty()
        e = dict(os.environ)
        e.pop("COLLECT_CONFIG", None)
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=subprocess.PIPE, stderr=slave,
                                     env=e, close_fds=True)
        os.close(slave)
        self.buf = b""

    def expect(self, text, timeout=60):
        deadline = time.monotonic() + timeout
        while text.encode() not in self.buf:
            left = deadline - time.monotonic()
            assert left > 0, "timed out waiting for %r; got:\n%s" % (text, self.buf.decode())
            r, _, _ = select.select([self.master], [], [], left)
            if r:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:
                    chunk = b""
                if not chunk:
                    raise AssertionError("EOF waiting for %r; got:\n%s" % (text, self.buf.decode()))
                self.buf += chunk
        i = self.buf.index(text.encode()) + len(text)
        seen, self.buf = self.buf[:i], self.buf[i:]
        return seen.decode(errors="replace")

    def send(self, line):
        os.write(self.master, line.encode() + b"\n")

    def finish(self, timeout=60):
        out, _ = self.proc.communicate(timeout=timeout)
        # Drain what is left on the terminal.
        while True:
            r, _, _ = select.select([self.master], [], [], 0.2)
            if not r:
                break
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                break
            if not chunk:
                break
            self.buf += chunk
        os.close(self.master)
        return self.proc.returncode, out.decode(), self.buf.decode(errors="replace")


def test_prompt_on_terminal(env):
    t = Pty(env["args"]("--open-ticket", "--json"))
    seen = t.expect("Steps to reproduce")
    # The evidence is shown first, briefly, and only the missing items are asked.
    assert "Found on this host:" in seen
    assert "app.service" in seen
    assert "Environment (" not in seen and "Product or service" not in seen
    t.expect('"."):')
    t.send("open /checkout and press Pay")
    t.send("")  # the steps may span lines: an empty line ends them
    t.expect("Impact (who or what is affected, and how badly): ")
    t.send("all customers cannot pay")
    t.expect("Is there a viable workaround?")
    t.send("n")
    rc, out, rest = t.finish()
    assert rc == 0, rest
    res = json.loads(out)
    it = items(res)
    assert it["steps"]["status"] == "ok" and it["steps"]["source"] == "user"
    assert it["steps"]["detail"] == '"open /checkout and press Pay" (answered at the prompt)'
    assert it["impact"]["detail"] == '"all customers cannot pay" (answered at the prompt)'
    assert res["severity"]["suggested"] == "P1"
    assert "workaround: none (stated at the prompt)" in res["severity"]["reasons"]
    assert len(drafts(env["out"])) == 1


def test_prompt_skip_leaves_items_missing(env):
    t = Pty(env["args"]("--open-ticket", "--json"))
    t.expect("Steps to reproduce")
    t.expect('"."):')
    t.send("")
    t.expect("Impact (who or what is affected, and how badly): ")
    t.send("checkout slow")
    t.expect("Is there a viable workaround?")
    t.send("")
    # still incomplete: file, draft or cancel; cancel files nothing
    t.expect("or cancel [c]? ")
    t.send("c")
    rc, out, rest = t.finish()
    assert rc == 65, rest
    res = json.loads(out)
    assert items(res)["steps"]["status"] == "missing"
    assert items(res)["impact"]["status"] == "ok"
    assert drafts(env["out"]) == []


def test_prompt_ctrl_d_keeps_answers_as_a_draft(env):
    """Ctrl-D skips one question, what was typed is kept, and the default
    is a draft to file later rather than exit 65."""
    t = Pty(env["args"]("--open-ticket", "--json"))
    t.expect('"."):')
    os.write(t.master, b"\x04")  # Ctrl-D at the start of a line: end of file, once
    t.expect("Impact (who or what is affected, and how badly): ")
    t.send("checkout slow")
    t.expect("Is there a viable workaround?")
    t.send("n")
    t.expect("or cancel [c]? ")
    t.send("")
    rc, out, rest = t.finish()
    assert rc == 0, rest
    res = json.loads(out)
    assert items(res)["impact"]["status"] == "ok"
    assert items(res)["steps"]["status"] == "missing"
    assert res["ticket"]["action"] == "drafted"
    assert len(drafts(env["out"])) == 1


def test_prompt_abort(env):
    t = Pty(env["args"]("--open-ticket"))
    t.expect("Steps to reproduce")
    t.expect('"."):')
    t.send("abort")
    rc, _, rest = t.finish()
    assert rc == 65, rest
    assert drafts(env["out"]) == []
