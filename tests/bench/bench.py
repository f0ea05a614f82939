#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Benchmarks that cannot flatter (`make bench`): collect against a reference
tool on the same input, measured in the same run.

- Both sides get the same files: the list is taken from the members' source
  paths in the bundle's manifest.json of a first (warm-up) collect run.
- Rates divide the bytes both sides actually processed (the on-disk size of
  those files), never what was generated.
- Each side runs BENCH_RUNS times (default 5, at least 3), alternated
  (collect, ref, ref, collect, ...), and medians are reported with min and max.
  Five, not three: on the 2-CPU development machine a neighbour's load slowed
  one run in four or five by 30% or more, and where two of three runs of a
  side were hit the median was one of them (README "Benchmarks").
- One RESULT line per benchmark gives the ratio and its target.

usage: bench.py COLLECT_BIN [logs] [small] [journal] [journal-rich] [redact]
sizes: BENCH_LOGS_MB (500), BENCH_SMALL_FILES (20000), BENCH_JOURNAL_ENTRIES
(1000000, both journals), BENCH_REDACT_MB (150); BENCH_DIR (/var/tmp/collect-bench)
keeps the generated inputs between runs. `journal` has the few fields of a
line piped to systemd-cat (9 an entry, 8 units); `journal-rich` those journald
gives a service's line (about 20: credentials, command line, cgroup, code
location), 50 units and 10% kernel lines, as a host's journal has.
"""
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH_DIR = os.environ.get("BENCH_DIR", "/var/tmp/collect-bench")
RUNS = max(3, int(os.environ.get("BENCH_RUNS", "5")))
# `commands` (a list, not a collector section) runs only with --root /.
COLLECTORS = ["environment", "journal", "logs", "config"]
WINDOW = ["--since", "2026-11-20T00:00:00Z", "--until", "2026-11-28T00:00:00Z"]


def run(argv, stdout=subprocess.DEVNULL):
    """Runs argv (a warm-up); returns the wall seconds."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.PIPE)
    _, err = p.communicate()
    wall = time.monotonic() - t0
    if p.returncode not in (0, 3):  # 3: bundle written, collection incomplete
        sys.stderr.write(err.decode(errors="replace"))
        raise SystemExit("failed (exit %d): %s" % (p.returncode, " ".join(argv)))
    return wall


def measure(argv, stdout=subprocess.DEVNULL):
    """Runs argv under /usr/bin/time: wall seconds, peak RSS (KiB), CPU seconds. Not
    wait4() from here: a child forked from Python keeps Python's peak RSS."""
    with tempfile.NamedTemporaryFile("r", dir=BENCH_DIR) as f:
        p = subprocess.run(["/usr/bin/time", "-f", "%e %M %U %S", "-o", f.name] + argv,
                           stdout=stdout, stderr=subprocess.DEVNULL)
        if p.returncode not in (0, 3):
            raise SystemExit("failed (exit %d): %s" % (p.returncode, " ".join(argv)))
        wall, rss, user, system = f.read().split()[-4:]
    return {"wall": float(wall), "rss": int(rss), "cpu": float(user) + float(system)}


def alternate(a, b):
    """Runs a() and b() RUNS times each, alternated; returns two lists of samples."""
    sa, sb = [], []
    for i in range(RUNS):
        if i % 2 == 0:
            sa.append(a())
            sb.append(b())
        else:
            sb.append(b())
            sa.append(a())
    return sa, sb


def stats(samples, key):
    v = [s[key] for s in samples]
    return statistics.median(v), min(v), max(v)


def fmt(samples, key="wall", unit="s", scale=1.0):
    m, lo, hi = stats(samples, key)
    return "%.2f%s [%.2f..%.2f]" % (m * scale, unit, lo * scale, hi * scale)


def verdict(ok):
    return "met" if ok else "NOT met"


def policy_dir(work, only, extra=""):
    """A --policy-dir that runs only collector `only`, with budgets that cut nothing."""
    d = os.path.join(work, "policy")
    os.makedirs(d, exist_ok=True)
    off = "".join("%s: {enabled: false}\n" % c for c in COLLECTORS if c != only)
    with open(os.path.join(d, "zz-bench.yaml"), "w") as f:
        f.write("budgets: {total: 64G, per_collector: 64G, per_file: 64G, "
                "collector_timeout: 3600s}\n" + off + extra)
    return d


def collect_argv(binary, work, root, journal_dir, policy, out, window=WINDOW):
    for d in ("state", "spool"):
        os.makedirs(os.path.join(work, d), exist_ok=True)
    cfg = os.path.join(work, "collect.yaml")
    open(cfg, "w").close()
    return [binary, "--config", cfg, "--policy-dir", policy, "--root", root,
            "--journal-dir", journal_dir, "--state-dir", os.path.join(work, "state"),
            "--spool-dir", os.path.join(work, "spool"), "--output", out, "-q"] + window


def fresh(out):
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    return out


def bundle_of(out):
    names = [n for n in os.listdir(out) if n.endswith(".tar.gz")]
    if len(names) != 1:
        raise SystemExit("expected one bundle in %s, found %s" % (out, names))
    return os.path.join(out, names[0])


def manifest(bundle):
    with tarfile.open(bundle) as t:
        for m in t.getmembers():
            if m.name.endswith("/manifest.json") and m.name.count("/") == 1:
                return json.load(t.extractfile(m))
    raise SystemExit("no manifest.json in " + bundle)


def sources(man, collector):
    """(source paths relative to the root, bytes of the members) of a collector."""
    rows = [m for m in man["members"] if m.get("collector") == collector and m.get("source")]
    if any(m.get("truncated") for m in rows):
        raise SystemExit("a member was cut: the benchmark would compare unequal work")
    return [m["source"].lstrip("/") for m in rows], sum(m["size"] for m in rows)


def files_vs_tar(binary, name, root, extra_policy, targets):
    """collect (logs collector only) against `tar czf` of the files it took."""
    work = tempfile.mkdtemp(prefix="bench-%s." % name, dir=BENCH_DIR)
    try:
        pol = policy_dir(work, "logs", extra_policy)
        none = os.path.join(work, "no-journal")
        os.makedirs(none)
        out = os.path.join(work, "out")
        argv = collect_argv(binary, work, root, none, pol, out)
        fresh(out)
        run(argv)  # warm-up, and the list of files
        man = manifest(bundle_of(out))
        files, member_bytes = sources(man, "logs")
        disk = sum(os.path.getsize(os.path.join(root, f)) for f in files)
        lst = os.path.join(work, "files.txt")
        with open(lst, "w") as f:
            f.write("\n".join(files) + "\n")
        tgz = os.path.join(work, "ref.tar.gz")
        tar = ["tar", "czf", tgz, "-C", root, "-T", lst]
        run(tar)  # warm-up

        def one_collect():
            fresh(out)
            return measure(argv)
        c, r = alternate(one_collect, lambda: measure(tar))
        size_c, size_r = os.path.getsize(bundle_of(out)), os.path.getsize(tgz)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    mc, mr = stats(c, "wall")[0], stats(r, "wall")[0]
    ratio, size_ratio, rss = mr / mc, size_c / size_r, stats(c, "rss")[2] / 1024
    mb = disk / 1e6
    print("%s: %d files, %.1f MB on disk (%.1f MB of members after inflating rotations)"
          % (name, len(files), mb, member_bytes / 1e6))
    print("%s: collect %s = %.0f MB/s, peak RSS %s; tar czf %s = %.0f MB/s"
          % (name, fmt(c), mb / mc, fmt(c, "rss", " MiB", 1 / 1024), fmt(r), mb / mr))
    print("%s: CPU (user+sys) collect %s, tar czf %s: ratio %.2f"
          % (name, fmt(c, "cpu"), fmt(r, "cpu"), stats(r, "cpu")[0] / stats(c, "cpu")[0]))
    print("%s: bundle %d bytes, tar.gz %d bytes" % (name, size_c, size_r))
    print_leak_check(name, man)
    # issue 18 sets a size target for the logs benchmark only; for the others
    # the size is printed without one (with 20,000 members the manifest's
    # SHA-256 per member alone is about 1 MB compressed)
    size_max = targets.get("size")
    ok = [ratio >= targets["speed"], size_max is None or size_ratio <= size_max, rss <= 16]
    size_verdict = ("target <= %.2f: %s" % (size_max, verdict(ok[1])) if size_max is not None
                    else "no target")
    print("RESULT %s: speed ratio tar/collect %.2f (target >= %.1f: %s); size ratio %.3f "
          "(%s); max peak RSS %.1f MiB (target <= 16: %s)"
          % (name, ratio, targets["speed"], verdict(ok[0]), size_ratio, size_verdict, rss,
             verdict(ok[2])))
    return all(ok)


def print_leak_check(name, man):
    """What the leak check cost, as the bundle's manifest states it."""
    lc = man.get("leak_check", {})
    print("%s: leak check (manifest): %s bytes in %s members, %.2f s CPU on its own thread, "
          "%.3f s waited for at the end" % (name, lc.get("bytes", "?"), lc.get("members", "?"),
                                            lc.get("cpu_seconds", 0), lc.get("seconds", 0)))


def gen_logs():
    mb = int(os.environ.get("BENCH_LOGS_MB", "500"))
    root = os.path.join(BENCH_DIR, "logs-%dM" % mb)
    if not os.path.exists(os.path.join(root, ".done")):
        shutil.rmtree(root, ignore_errors=True)
        subprocess.run([sys.executable, os.path.join(SRC, "tests/bench/gen-logs.py"), root,
                        str(mb)], check=True)
        open(os.path.join(root, ".done"), "w").close()
    return root


def bench_logs(binary):
    root = gen_logs()
    return files_vs_tar(binary, "logs", root, "logs: {paths: [/var/log/app/*]}\n",
                        {"speed": 2.0, "size": 1.10})


def gen_small(n):
    root = os.path.join(BENCH_DIR, "small-%d" % n)
    if os.path.exists(os.path.join(root, ".done")):
        return root
    shutil.rmtree(root, ignore_errors=True)
    d = os.path.join(root, "var/log/containers")
    os.makedirs(d)
    for i in range(n):
        with open(os.path.join(d, "pod-%05d.log" % i), "w") as f:
            for k in range(8 + i % 24):
                f.write("2026-11-27T%02d:%02d:%02d.%06dZ stdout F pod %d request %d "
                        "status=200 duration_ms=%d\n"
                        % (k % 24, (i + k) % 60, k % 60, i % 1000000, i, k, (i * k) % 997))
        os.utime(os.path.join(d, "pod-%05d.log" % i), (1795824000 - 3600, 1795824000 - 3600))
    open(os.path.join(root, ".done"), "w").close()
    return root


def bench_small(binary):
    n = int(os.environ.get("BENCH_SMALL_FILES", "20000"))
    root = gen_small(n)
    return files_vs_tar(binary, "small", root, "logs: {max_files: %d}\n" % (n + 10),
                        {"speed": 1.0})


def gen_journal(n, kind="bulk"):
    d = os.path.join(BENCH_DIR, "journal-%d" % n if kind == "bulk" else "journal-%s-%d" % (kind, n))
    if not os.path.exists(os.path.join(d, ".done")):
        shutil.rmtree(d, ignore_errors=True)
        subprocess.run([sys.executable, os.path.join(SRC, "tests/integration/journal_fixtures.py"),
                        "--" + kind, str(n), d], check=True, stdout=subprocess.DEVNULL)
        open(os.path.join(d, ".done"), "w").close()
    return d


def journal_entries(bundle):
    """(entries in the units' files and kernel.log, bytes of all journal members): the
    units' files and kernel.log do not overlap; warnings.log repeats some of them."""
    entries = size = 0
    with tarfile.open(bundle) as t:
        for m in t.getmembers():
            if "/logs/journal/" not in m.name or not m.isfile():
                continue
            size += m.size
            if "/logs/journal/units/" in m.name or m.name.endswith("/kernel.log"):
                entries += sum(1 for line in t.extractfile(m) if not line.startswith(b" "))
    return entries, size


def second_reader(argv):
    """A run with -vv: the peak RSS (KiB) of the passes' second reader, a child
    process (README "Memory"), or None when the window was read by one."""
    p = subprocess.run([a for a in argv if a != "-q"] + ["-vv"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    m = re.search(r"(\d+) batches by a second reader \(peak RSS (\d+) KiB\)",
                  p.stderr.decode(errors="replace"))
    return int(m.group(2)) if m and int(m.group(1)) > 0 else None


def bench_journal(binary, kind="bulk"):
    """collect against `journalctl -o short-iso` over the same one-day window. Equal
    work: with unit_priority 4 and max_units above the units' number every unit of
    the generated journal (each logs warnings) gets its file, so collect writes every
    entry of the window, as journalctl prints them; both counts are checked."""
    name = "journal" if kind == "bulk" else "journal-" + kind
    n = int(os.environ.get("BENCH_JOURNAL_ENTRIES", "1000000"))
    jdir = gen_journal(n, kind)
    work = tempfile.mkdtemp(prefix="bench-journal.", dir=BENCH_DIR)
    try:
        pol = policy_dir(work, "journal", "journal: {unit_priority: 4, max_units: 60}\n")
        root = os.path.join(work, "root")
        os.makedirs(root)
        out = os.path.join(work, "out")
        window = ["--since", "2026-11-27T00:00:00Z", "--until", "2026-11-28T00:00:00Z"]
        argv = collect_argv(binary, work, root, jdir, pol, out, window)
        jc = ["journalctl", "--directory=" + jdir, "--since", "2026-11-27 00:00:00 UTC",
              "--until", "2026-11-28 00:00:00 UTC", "-o", "short-iso", "--no-pager"]
        fresh(out)
        run(argv)
        bundle = bundle_of(out)
        if any(m.get("truncated") for m in manifest(bundle)["members"]
               if m.get("collector") == "journal"):
            raise SystemExit("a journal member was cut: the benchmark would compare unequal work")
        entries, kept = journal_entries(bundle)
        with tempfile.TemporaryFile(dir=BENCH_DIR) as f:
            run(jc, stdout=f)
            f.seek(0)
            jc_entries = sum(1 for line in f if not line.startswith(b" "))
        if entries < jc_entries:
            raise SystemExit("collect wrote %d entries of the window, journalctl %d: unequal work"
                             % (entries, jc_entries))

        fresh(out)
        child = second_reader(argv)

        def one_collect():
            fresh(out)
            return measure(argv)
        c, r = alternate(one_collect, lambda: measure(jc))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    mc, mr = stats(c, "wall")[0], stats(r, "wall")[0]
    ratio, rss = mr / mc, stats(c, "rss")[2] / 1024
    print(name + ": %d entries over two days, one-day window; journalctl printed %d entries, "
          "collect wrote %d (every unit's file and kernel.log) in %.1f MB of members"
          % (n, jc_entries, entries, kept / 1e6))
    print(name + ": collect %s, peak RSS %s; journalctl -o short-iso %s, peak RSS %s"
          % (fmt(c), fmt(c, "rss", " MiB", 1 / 1024), fmt(r), fmt(r, "rss", " MiB", 1 / 1024)))
    print(name + ": CPU (user+sys) collect %s, journalctl %s: ratio %.2f"
          % (fmt(c, "cpu"), fmt(r, "cpu"), stats(r, "cpu")[0] / stats(c, "cpu")[0]))
    if child:
        print(name + ": the window was read in two parts at once; the second reader, a child "
              "process, peaked at %.1f MiB RSS (pages it shares with collect counted in both; "
              "/usr/bin/time's peak is the larger of the two)" % (child / 1024))
    ok = [ratio >= 1.5, rss <= 16]
    print("RESULT " + name + ": speed ratio journalctl/collect %.2f (target >= 1.5: %s); "
          "max peak RSS %.1f MiB (target <= 16: %s)"
          % (ratio, verdict(ok[0]), rss, verdict(ok[1])))
    return all(ok)


def bench_redact(binary):
    mb = int(os.environ.get("BENCH_REDACT_MB", "150"))
    gen = os.path.join(BENCH_DIR, "redact-%dM" % mb)
    root = os.path.join(gen, "root")
    if not os.path.exists(os.path.join(gen, ".done")):
        shutil.rmtree(gen, ignore_errors=True)
        subprocess.run([sys.executable, os.path.join(SRC, "tests/bench/gen-redact-logs.py"),
                        os.path.join(gen, "logs"), str(mb)], check=True)
        os.makedirs(os.path.join(root, "var/log/nginx"))
        os.rename(os.path.join(gen, "logs/syslog"), os.path.join(root, "var/log/syslog"))
        os.rename(os.path.join(gen, "logs/access.log"),
                  os.path.join(root, "var/log/nginx/access.log"))
        open(os.path.join(gen, ".done"), "w").close()
    work = tempfile.mkdtemp(prefix="bench-redact.", dir=BENCH_DIR)
    try:
        pol = policy_dir(work, "logs")
        none = os.path.join(work, "no-journal")
        os.makedirs(none)
        out = os.path.join(work, "out")
        argv = collect_argv(binary, work, root, none, pol, out, ["--since", "3000d"])
        fresh(out)
        run(argv)
        man = manifest(bundle_of(out))
        files, member_bytes = sources(man, "logs")
        disk = sum(os.path.getsize(os.path.join(root, f)) for f in files)
        masked = man.get("redaction", {}).get("replacements", "?")
        samples = []
        for _ in range(RUNS):
            fresh(out)
            samples.append(measure(argv))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    m = stats(samples, "wall")[0]
    rate = disk / 1e6 / m
    print("redact: %d files, %.1f MB of log text read (all of it kept), %s secrets redacted"
          % (len(files), disk / 1e6, masked))
    print("redact: collect %s, CPU %s, peak RSS %s"
          % (fmt(samples), fmt(samples, "cpu"), fmt(samples, "rss", " MiB", 1 / 1024)))
    print_leak_check("redact", man)
    print("RESULT redact: end-to-end %.0f MB/s [%.0f..%.0f] (target >= 150: %s)"
          % (rate, disk / 1e6 / stats(samples, "wall")[2], disk / 1e6 / stats(samples, "wall")[1],
             verdict(rate >= 150)))
    return rate >= 150


BENCHES = {"logs": bench_logs, "small": bench_small, "journal": bench_journal,
           "journal-rich": lambda b: bench_journal(b, "rich"), "redact": bench_redact}


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    binary = os.path.abspath(sys.argv[1])
    names = sys.argv[2:] or list(BENCHES)
    os.makedirs(BENCH_DIR, exist_ok=True)
    met = True
    for n in names:
        print("== bench %s (%d runs each side, alternated; median [min..max]; load average "
              "%.1f on %d CPUs)" % (n, RUNS, os.getloadavg()[0], os.cpu_count()), flush=True)
        met = BENCHES[n](binary) and met
        sys.stdout.flush()
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
