# SPDX-License-Identifier: MIT
"""The planted corpus (secret_corpus.py): every credential family in every
context a host keeps them — PostgreSQL statements, docker JSON logs, sudo
COMMAND= lines, syslog, cloud-init output, the journal, .env, YAML, JSON, INI
and shell profiles under /etc (through the configuration collector) and conf.d
files changed between two snapshots (through the config-diff path) — collected
by a default run of the real binary. Read back with tarfile: no planted secret
may be found in clear in any member (nor in member names or the --json output),
and at least 99% of the ordinary values planted next to them must remain."""

import datetime
import json
import os

import pytest

from conftest import SRCDIR, open_bundle, run_collect, write_policy
import journal_fixtures
import secret_corpus

T_DAY2 = int(datetime.datetime(2026, 11, 27, 12, 0, tzinfo=datetime.timezone.utc).timestamp())
KEEP_MIN = 0.99


def run_args(root, dirs, *extra):
    # the window starts before the planted logs and ends now, after the
    # configuration changes
    return ["--root", str(root), "--output", str(dirs["out"]), "--state-dir", str(dirs["state"]),
            "--spool-dir", str(dirs["spool"]), "--policy-dir", str(dirs["policy"]),
            "--config", str(dirs["config"]), "--since", "2026-11-26T00:00:00Z"] + list(extra)


def write(root, rel, lines, mtime=None):
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text("\n".join(lines) + "\n")
    if mtime:
        os.utime(p, (mtime, mtime))


def plant(root, dirs, tmp_path, corpus):
    """Logs and configuration files, a snapshot, then the conf.d changes."""
    diffed = [p for p in corpus.files if "/conf.d/" in p]
    for rel, lines in corpus.files.items():
        if rel in diffed:
            # the version the snapshot records: the same keys, no values yet
            write(root, rel, ["# managed by cfg", "listen_port = 8443"])
        else:
            write(root, rel, lines, T_DAY2 if rel.startswith("var/log/") else None)
    write_policy(dirs, "corpus.yaml", "config:\n  files: [/etc/myapp, /etc/profile.d, /etc/kubernetes]\n")
    snap = run_collect(["snapshot", "--root", str(root), "--state-dir", str(dirs["state"]),
                        "--policy-dir", str(dirs["policy"])])
    assert snap.rc == 0, snap
    for rel in diffed:
        write(root, rel, corpus.files[rel])
    jdir = tmp_path / "journal"
    t = journal_fixtures.at(2, 9, 0)
    journal_fixtures.write_journal(str(jdir), [
        (t + i * 1000000, journal_fixtures.unit_msg("app.service", 3 + i % 2, m))
        for i, m in enumerate(corpus.journal)])
    return jdir


def member_text(members):
    return {n: d.decode(errors="replace") for n, d in members.items()}


def context_member(ctx):
    """The bundle members where a context's values are expected."""
    if ctx.startswith("config:"):
        return ["config/files/" + ctx[len("config:"):], "config/changes.diff"]
    return {
        "syslog": ["logs/files/var/log/syslog"],
        "sudo": ["logs/files/var/log/auth.log"],
        "postgresql": ["logs/files/var/log/postgresql/postgresql-15-main.log"],
        "cloud-init": ["logs/files/var/log/cloud-init-output.log"],
        "docker": ["logs/files/var/log/containers/app-"],
        "dpkg": ["logs/files/var/log/dpkg.log"],
        "journal": ["logs/journal/"],
        "samples:syslog": ["logs/files/var/log/app/samples.log"],
        "samples:sudo": ["logs/files/var/log/app/sudo-samples.log"],
        "samples:docker": ["logs/files/var/log/containers/samples-"],
        "samples:dump": ["logs/files/var/log/app/config-dump.log"],
        "samples:journal": ["logs/journal/"],
        "samples:conf.d": ["config/changes.diff"],
        "forms:log": ["logs/files/var/log/app/forms.log"],
        "forms:conf.d": ["config/changes.diff"],
        "samples:postgresql": ["logs/files/var/log/postgresql/postgresql-15-samples.log"],
    }[ctx]


def texts_of(texts, ctx):
    prefixes = context_member(ctx)
    return [t for n, t in texts.items() if any(n == p or (p[-1] in "/-" and n.startswith(p))
                                               for p in prefixes)]


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory):
    from conftest import FIXTURE_ROOT
    import shutil
    tmp = tmp_path_factory.mktemp("corpus")
    root = tmp / "root"
    shutil.copytree(FIXTURE_ROOT, root, symlinks=True)
    dirs = {}
    for name in ("out", "state", "spool", "policy"):
        dirs[name] = tmp / name
        dirs[name].mkdir()
    dirs["config"] = tmp / "collect.yaml"
    dirs["config"].write_text("# no portal: the outbox is used\n")
    corpus = secret_corpus.build()
    secret_corpus.add_samples(corpus, SRCDIR)
    secret_corpus.add_kubernetes(corpus)
    secret_corpus.add_keep_lines(corpus)
    secret_corpus.add_forms(corpus)
    jdir = plant(root, dirs, tmp, corpus)
    run = run_collect(run_args(root, dirs, "--journal-dir", str(jdir), "--json"), timeout=300)
    return corpus, run


def test_corpus_reaches_the_bundle(corpus_run):
    """Every context's member is there (else the leak count would be vacuous)."""
    corpus, run = corpus_run
    assert run.rc == 0, run
    members, _ = open_bundle(run.json["bundle"]["path"])
    texts = member_text(members)
    contexts = sorted({c for _, c, _ in corpus.secrets} | {c for c, _ in corpus.keep})
    missing = [c for c in contexts if not texts_of(texts, c)]
    assert not missing, (missing, sorted(members))
    diff = texts.get("config/changes.diff", "")
    for rel in secret_corpus.CONFIG_FILES:
        if "/conf.d/" in rel:
            assert rel in diff, rel


def pieces(value):
    """The value, and for a long one its tail too: a redaction that stops
    early must not leave the rest of a secret behind."""
    return [value, value[-12:]] if len(value) >= 32 else [value]


def test_no_planted_secret_in_clear(corpus_run):
    corpus, run = corpus_run
    assert run.rc == 0, run
    members, _ = open_bundle(run.json["bundle"]["path"])
    texts = member_text(members)
    blob = b"\n".join(members.values())  # bytes: searched several times faster than str
    names = "\n".join(members)
    other = (names + "\n" + run.out + "\n" + run.err).encode()
    leaks = []
    clear = {}
    for family, ctx, value in corpus.secrets:
        if value not in clear:   # one search per distinct value
            clear[value] = any(p in blob or p in other for p in pieces(value.encode()))
        if clear[value]:
            where = [n for n, t in texts.items() if any(p in t for p in pieces(value))]
            leaks.append("%s in %s -> %s" % (family, ctx, ",".join(where) or "names/output"))
    print("planted secrets: %d, in clear: %d" % (len(corpus.secrets), len(leaks)))
    assert not leaks, "\n".join(leaks)


def test_ordinary_values_are_kept(corpus_run):
    corpus, run = corpus_run
    assert run.rc == 0, run
    members, _ = open_bundle(run.json["bundle"]["path"])
    texts = member_text(members)
    lost = []
    for ctx, value in corpus.keep:
        if not any(value in t for t in texts_of(texts, ctx)):
            lost.append("%s: %s" % (ctx, value))
    kept = len(corpus.keep) - len(lost)
    ratio = kept / len(corpus.keep)
    print("ordinary values kept: %d of %d (%.4f)" % (kept, len(corpus.keep), ratio))
    if lost:
        print("lost:\n" + "\n".join(lost))
    assert ratio >= KEEP_MIN, "\n".join(lost)


def test_redaction_report_names_no_value(corpus_run):
    corpus, run = corpus_run
    members, _ = open_bundle(run.json["bundle"]["path"])
    rj = members["redaction.json"].decode()
    report = json.loads(rj)
    assert report["replacements"] >= len(corpus.secrets) // 2
    for _, _, value in corpus.secrets:
        assert value not in rj
