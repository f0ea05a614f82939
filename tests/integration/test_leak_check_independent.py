# SPDX-License-Identifier: MIT
"""The leak check is independent of the redaction rules: with every rule of
policies/redaction.yaml switched off by a drop-in (redaction: disable: [...]),
the credentials of every family of the public rule set behind
tests/data/redact/sample-formats.tsv reach the bundle in clear, and the leak
check alone must refuse it: exit 65, every planted line named (member, line,
detector), no value in the output, nothing filed, the bundle kept aside.

Two runs, so that the hits listed stay below the check's limit of 1000:
- keyed: each format's value after a key in two of the assignment syntaxes of
  the rule set's generator (Token="v", _token: 'v', := `v`, ::=, ?=, .=, =>,
  setProperty("X_TOKEN", "v"), ...): the keyed detector (entropy gate) or the
  format detectors;
- bare: the value alone in a sentence, for the formats with a distinctive
  literal prefix: the format detectors only. Formats without one (32 random
  hex digits, a UUID) are secrets only next to their key, as in the public
  rule set, whose own rules for them need the vendor's name as keyword.

The values are generated from the formats' regexes at test time (a seeded
random source), none is copied. A value of letters of one case only (no digit)
reads as a word to the keyed detector and is not a secret to it: a format that
allows digits rarely yields one (about 1 in 200 for 16 characters)."""

import datetime
import os
import random
import re
import re._parser as sre_parse  # the standard library's regex parser, as secret_corpus

import pytest

from conftest import SRCDIR, base_args, run_collect, write_policy
import secret_corpus

T_DAY2 = int(datetime.datetime(2026, 11, 27, 12, 0, tzinfo=datetime.timezone.utc).timestamp())
MEMBER = "logs/files/var/log/syslog"
# Prefixes the public rule set itself gates with the vendor's name (too short
# or too common alone: "live_", "test_", "b_", "su", "YC", "00").
KEYWORD_ONLY = ("live_", "test_")
HIT = re.compile(r"^\s+(\S+):(\d+): (\S+)$", re.M)


def rule_names():
    text = open(os.path.join(SRCDIR, "policies", "redaction.yaml")).read()
    names = re.findall(r"^\s+- name: ([a-z0-9-]+)\s*$", text, re.M)
    assert len(names) > 20, "the rule list was not read"
    return names


def literal_prefix(rx):
    """The literal characters a format's regex starts with."""
    out = []
    for op, av in sre_parse.parse(rx):
        if op != sre_parse.LITERAL:
            break
        out.append(chr(av))
    return "".join(out)


def samples(kind, seed=4242):
    """[(rule, line text, value)] to plant, one per line."""
    r = random.Random(seed)
    syn = secret_corpus.ONE_LINE_SYNTAXES
    out = []
    for i, (rule, ident, rx) in enumerate(secret_corpus.load_formats(SRCDIR)):
        if kind == "keyed":
            for k in (i % len(syn), (i * 7 + 3) % len(syn)):
                s = secret_corpus.sample_regex(rx, r)
                out.append((rule, syn[k].format(i=ident, I=ident.upper(), s=s), s))
        else:
            p = literal_prefix(rx)
            if len(p) >= 3 and not p.startswith(KEYWORD_ONLY):
                s = secret_corpus.sample_regex(rx, r)
                out.append((rule, "request sent with %s to the upstream" % s, s))
    return out


@pytest.mark.parametrize("kind", ["keyed", "bare"])
def test_leak_check_catches_every_family_without_redaction(root, dirs, kind):
    planted = samples(kind)
    assert len(planted) > (300 if kind == "keyed" else 80)
    log = root / "var" / "log"
    log.mkdir(parents=True, exist_ok=True)
    lines = ["Nov 27 10:%02d:%02d web01 app[913]: %s" % (n // 60 % 60, n % 60, text)
             for n, (_, text, _) in enumerate(planted)]
    (log / "syslog").write_text("\n".join(lines) + "\n")
    os.utime(log / "syslog", (T_DAY2, T_DAY2))
    write_policy(dirs, "zz-no-redaction.yaml",
                 "redaction:\n  disable: [%s]\n" % ", ".join(rule_names()))

    run = run_collect(base_args(root, dirs, "--json"), timeout=300)
    assert run.rc == 65, run
    hits = {}
    for member, line, detector in HIT.findall(run.err):
        if member.endswith("/" + MEMBER):
            hits.setdefault(int(line), set()).add(detector)
    assert len(hits) < 1000
    missed = ["%s (line %d, %s)" % (rule, n, text.split("=")[0][:40])
              for n, (rule, text, _) in enumerate(planted, 1) if n not in hits]
    assert not missed, "the leak check missed %d of %d: %s" % (len(missed), len(planted),
                                                               "; ".join(missed))
    # the output names lines and detectors, never a value
    for _, _, value in planted:
        assert value not in run.err and value not in run.out
    # nothing left in the output directory or the spool; the bundle is in quarantine
    assert not [p for p in dirs["out"].rglob("*.tar.gz")]
    assert not [p for p in dirs["spool"].rglob("*") if p.is_file()]
    assert list((dirs["state"]).rglob("*.tar.gz")), "the bundle was not kept for inspection"
