# SPDX-License-Identifier: MIT
"""Builds real journal files for tests from Journal Export Format.

The entries are piped into `systemd-journal-remote --output=DIR/x.journal -`, so
the files are genuine journal files, read by sd-journal exactly like a host's.

    build_fixture(outdir)      two days (2026-11-26 and 2026-11-27 UTC), several
                               units, errors, a crash-looping unit with core dumps,
                               an OOM kill, a segfault, kernel I/O errors, window-edge
                               markers; returns a dict describing what was planted
    build_bulk(outdir, n, ...) n entries spread evenly over `days` days (benchmarks)
    build_rich(outdir, n, ...) the same with the fields journald gives a service's line
                               (about 20), 50 units and 10% kernel lines (benchmarks)
    build_units(outdir, n)     two days of n units that log every 5 minutes; on day 2
                               u07.service logs errors and u13.service fails

Command line: journal_fixtures.py [--bulk N | --rich N | --units N] [--days D] OUTDIR
"""

import datetime
import os
import struct
import subprocess
import sys

JOURNAL_REMOTE = "/lib/systemd/systemd-journal-remote"
USEC = 1000000
DAY = 86400 * USEC
# 2026-11-26T00:00:00Z
BASE = int(datetime.datetime(2026, 11, 26, tzinfo=datetime.timezone.utc).timestamp()) * USEC
DAY2 = BASE + DAY
COREDUMP_MESSAGE_ID = "fc2e22bc6ee647b6b90729ab34a250b1"
HOSTNAME = "fixturehost"


def at(day, hh, mm=0, ss=0, us=0):
    """µs timestamp of day 1 or 2 at hh:mm:ss.us UTC."""
    return BASE + (day - 1) * DAY + ((hh * 60 + mm) * 60 + ss) * USEC + us


def iso(usec):
    return datetime.datetime.fromtimestamp(usec / USEC, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ")


def _field(out, key, value):
    data = value.encode() if isinstance(value, str) else value
    if b"\n" in data:
        out += key.encode() + b"\n" + struct.pack("<Q", len(data)) + data + b"\n"
    else:
        out += key.encode() + b"=" + data + b"\n"


def export_entry(out, realtime, fields, boot_start):
    _field(out, "__REALTIME_TIMESTAMP", str(realtime))
    _field(out, "__MONOTONIC_TIMESTAMP", str(realtime - boot_start + 1))
    _field(out, "_BOOT_ID", "%032x" % (boot_start // USEC))
    _field(out, "_HOSTNAME", HOSTNAME)
    _field(out, "_MACHINE_ID", "0123456789abcdef0123456789abcdef")
    for k, v in fields.items():
        _field(out, k, v)
    out += b"\n"


def write_journal(outdir, entries, name="fixture.journal"):
    """entries: iterable of (realtime_usec, {field: value}) in time order."""
    os.makedirs(outdir, exist_ok=True)
    path = os.path.join(outdir, name)
    if os.path.exists(path):
        os.unlink(path)
    proc = subprocess.Popen([JOURNAL_REMOTE, "--output=" + path, "-"],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    buf = bytearray()
    boot_start = None
    for realtime, fields in entries:
        if boot_start is None or realtime - boot_start >= DAY:
            boot_start = realtime - realtime % DAY
        export_entry(buf, realtime, fields, boot_start)
        if len(buf) > 1 << 20:
            proc.stdin.write(buf)
            buf = bytearray()
    proc.stdin.write(buf)
    proc.stdin.close()
    if proc.wait() != 0:
        raise RuntimeError("systemd-journal-remote failed")
    return path


def unit_msg(unit, prio, message, pid=100, ident=None):
    return {"_SYSTEMD_UNIT": unit, "SYSLOG_IDENTIFIER": ident or unit.split(".")[0],
            "_PID": str(pid), "PRIORITY": str(prio), "_TRANSPORT": "stdout", "MESSAGE": message}


def systemd_msg(unit, prio, message):
    return {"_SYSTEMD_UNIT": "init.scope", "SYSLOG_IDENTIFIER": "systemd", "_PID": "1",
            "UNIT": unit, "PRIORITY": str(prio), "_TRANSPORT": "journal",
            "MESSAGE": "%s: %s" % (unit, message)}


def kernel_msg(prio, message):
    return {"SYSLOG_IDENTIFIER": "kernel", "_TRANSPORT": "kernel", "SYSLOG_FACILITY": "0",
            "PRIORITY": str(prio), "MESSAGE": message}


def coredump_msg(pid, exe, unit, signal="SIGSEGV"):
    comm = os.path.basename(exe)
    return {"SYSLOG_IDENTIFIER": "systemd-coredump", "_PID": str(pid + 1000),
            "_SYSTEMD_UNIT": "systemd-coredump@0-%d-0.service" % pid, "PRIORITY": "2",
            "_TRANSPORT": "journal", "MESSAGE_ID": COREDUMP_MESSAGE_ID,
            "COREDUMP_PID": str(pid), "COREDUMP_EXE": exe, "COREDUMP_COMM": comm,
            "COREDUMP_UNIT": unit, "COREDUMP_SIGNAL_NAME": signal, "COREDUMP_SIGNAL": "11",
            "MESSAGE": "Process %d (%s) of user 0 dumped core.\n\nStack trace of thread %d:\n"
                       "#0  0x00007f3a1c2d3e4f n/a (libc.so.6 + 0x8e4f)\n"
                       "#1  0x000055d0c0ffee00 main (%s + 0x1200)" % (pid, comm, pid, comm)}


def fixture_entries():
    """The planted entries and the facts a collector should find in them."""
    e = []
    # Background: cron every 10 minutes on both days (info).
    for day in (1, 2):
        for m in range(0, 24 * 60, 10):
            e.append((at(day, m // 60, m % 60, 7), unit_msg("cron.service", 6,
                      "(root) CMD (run-parts /etc/cron.hourly)", pid=300 + m, ident="CRON")))
    # app.service: request log every 5 minutes on day 2 (info).
    for m in range(0, 24 * 60, 5):
        e.append((at(2, m // 60, m % 60, 3), unit_msg("app.service", 6,
                  "request handled id=%d in %d ms" % (m * 7, m % 97), pid=4000)))
    # Day 1 errors, outside a day-2 window.
    e.append((at(1, 12), unit_msg("nginx.service", 3,
              "connect() failed (111: Connection refused) while connecting to upstream")))
    e.append((at(1, 13), kernel_msg(3, "EXT4-fs error (device sdb1): day one only")))
    # Window edges (day 2 window = [2026-11-27T00:00:00Z, 2026-11-28T00:00:00Z]).
    e.append((DAY2 - 1, unit_msg("db.service", 4, "edge-before marker", pid=500)))
    e.append((DAY2, unit_msg("db.service", 4, "edge-start marker", pid=500)))
    # db.service: the same warning 20 times with different numbers.
    for i in range(20):
        e.append((at(2, 1 + i // 2, (i % 2) * 30, 11), unit_msg("db.service", 4,
                  "slow query took %d ms on table orders_%d" % (1000 + i * 37, i), pid=500)))
    # app.service errors: same message shape 5 times.
    for i in range(5):
        e.append((at(2, 8, i * 3, 0), unit_msg("app.service", 3,
                  "ERROR payment gateway timeout after %d ms (order %d)" % (30000 + i, 1234 + i),
                  pid=4000)))
    # app.service crash loop: segfault, core dump, failed, restarted (3 times).
    for i in range(3):
        pid = 4242 + i
        t = at(2, 10, i, 0)
        e.append((t, kernel_msg(6, "app[%d]: segfault at 0 ip 00007f3a1c2d3e4f sp 00007ffd5e6f7a80 "
                                "error 4 in libc.so.6[7f3a1c2c5000+195000]" % pid)))
        e.append((t + 200000, systemd_msg("app.service", 5,
                  "Main process exited, code=dumped, status=11/SEGV")))
        e.append((t + 400000, coredump_msg(pid, "/usr/bin/app", "app.service")))
        e.append((t + 500000, systemd_msg("app.service", 4, "Failed with result 'core-dump'.")))
        e.append((t + 30 * USEC, systemd_msg("app.service", 6,
                  "Scheduled restart job, restart counter is at %d." % (i + 1))))
    # web.service: a Python traceback written to stdout, one entry per line.
    tb = ["Traceback (most recent call last):",
          '  File "/srv/web/app.py", line 42, in handle',
          "    ratio = total / count",
          "ZeroDivisionError: division by zero"]
    for i, line in enumerate(tb):
        e.append((at(2, 11, 0, 0, i), unit_msg("web.service", 6, line, pid=777)))
    # OOM kill of worker.service.
    t = at(2, 14)
    e.append((t, kernel_msg(4, "java invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|"
                               "__GFP_COMP), order=0, oom_score_adj=0")))
    e.append((t + 1000, kernel_msg(6, "oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,"
                                      "mems_allowed=0,global_oom,task_memcg=/system.slice/"
                                      "worker.service,task=java,pid=3131,uid=1000")))
    e.append((t + 2000, kernel_msg(3, "Out of memory: Killed process 3131 (java) total-vm:4000000kB, "
                                      "anon-rss:2000000kB, file-rss:0kB, shmem-rss:0kB, UID:1000 "
                                      "pgtables:4000kB oom_score_adj:0")))
    e.append((t + 100000, systemd_msg("worker.service", 4,
              "A process of this unit has been killed by the OOM killer.")))
    e.append((t + 200000, systemd_msg("worker.service", 4, "Failed with result 'oom-kill'.")))
    # Kernel I/O errors.
    for i in range(2):
        e.append((at(2, 16, i), kernel_msg(3, "blk_update_request: I/O error, dev sda, sector %d "
                                              "op 0x0:(READ) flags 0x0 phys_seg 1 prio class 0"
                                              % (123456 + i * 8))))
    e.append((at(2, 17), unit_msg("nginx.service", 3,
              "open() \"/srv/www/missing.html\" failed (2: No such file or directory)", pid=600)))
    e.append((DAY2 + DAY, unit_msg("db.service", 4, "edge-end marker", pid=500)))
    e.append((DAY2 + DAY + 1, unit_msg("db.service", 4, "edge-after marker", pid=500)))
    e.sort(key=lambda x: x[0])
    facts = {
        "since": iso(DAY2), "until": iso(DAY2 + DAY),
        "since_usec": DAY2, "until_usec": DAY2 + DAY,
        "failed_units": {"app.service": "core-dump", "worker.service": "oom-kill"},
        "restarts": {"app.service": 3},
        "crashes": {"/usr/bin/app": 3},
        "segfaults": 3,
        "oom_kills": 1,
        "error_units": ["app.service", "nginx.service"],
        "app_request_lines": 288,
    }
    return e, facts


def build_fixture(outdir):
    entries, facts = fixture_entries()
    write_journal(outdir, entries)
    facts["dir"] = outdir
    return facts


def bulk_entries(n, days, base):
    """n entries over `days` days: 8 units, 2% warnings, 0.5% errors, kernel lines."""
    step = days * DAY // max(n, 1)
    units = ["svc%d.service" % i for i in range(8)]
    for i in range(n):
        t = base + i * step
        r = i % 1000
        if r < 5:
            yield t, unit_msg(units[i % 8], 3, "ERROR request %d failed: upstream timeout after %d ms"
                              % (i, i % 5000), pid=1000 + i % 8)
        elif r < 25:
            yield t, unit_msg(units[i % 8], 4, "warning: queue depth %d above threshold" % (i % 300),
                              pid=1000 + i % 8)
        elif r < 30:
            yield t, kernel_msg(6, "eth0: link state changed, carrier %d" % (i % 2))
        else:
            yield t, unit_msg(units[i % 8], 6, "request id=%d path=/api/v1/items/%d status=200 "
                              "duration_ms=%d bytes=%d" % (i, i % 9973, i % 250, i % 65536),
                              pid=1000 + i % 8)


RICH_UNITS = ["svc%02d.service" % i for i in range(40)] + [
    "cron.service", "ssh.service", "nginx.service", "postgresql@15-main.service",
    "docker.service", "containerd.service", "kubelet.service", "systemd-logind.service",
    "NetworkManager.service", "polkit.service"]


def rich_entries(n, days, base):
    """n entries over `days` days with the fields journald gives a service's
    line (about 20 of them: credentials, command line, cgroup, invocation, code
    location on a third), 50 units, 10% kernel lines; 1% errors, 3% warnings."""
    import random
    rnd = random.Random(7)
    step = days * DAY // max(n, 1)
    ids = {u: ("%032x" % rnd.getrandbits(128), "%032x" % rnd.getrandbits(128), 300 + i * 7)
           for i, u in enumerate(RICH_UNITS)}
    for i in range(n):
        t = base + i * step
        r = rnd.random()
        prio = 3 if r < 0.01 else 4 if r < 0.04 else 5 if r < 0.08 else 6 if r < 0.9 else 7
        if rnd.random() < 0.1:
            yield t, {"SYSLOG_IDENTIFIER": "kernel", "_TRANSPORT": "kernel",
                      "SYSLOG_FACILITY": "0", "PRIORITY": str(prio),
                      "_SOURCE_MONOTONIC_TIMESTAMP": str(i * 1000),
                      "MESSAGE": "eth0: link state %d rx=%d" % (i % 2, i)}
            continue
        u = RICH_UNITS[rnd.randrange(len(RICH_UNITS))]
        name = u.split(".")[0].split("@")[0]
        inv, stream, pid = ids[u]
        f = {"_SYSTEMD_UNIT": u, "SYSLOG_IDENTIFIER": name, "_PID": str(pid),
             "PRIORITY": str(prio), "_TRANSPORT": "stdout" if i % 3 else "journal",
             "_UID": "0" if i % 5 else "998", "_GID": "0", "_COMM": name[:15],
             "_EXE": "/usr/sbin/" + name,
             "_CMDLINE": "/usr/sbin/%s --config /etc/%s/%s.conf --foreground" % (name, name, name),
             "_CAP_EFFECTIVE": "1ffffffffff", "_SELINUX_CONTEXT": "unconfined\n",
             "_SYSTEMD_CGROUP": "/system.slice/" + u, "_SYSTEMD_SLICE": "system.slice",
             "_SYSTEMD_INVOCATION_ID": inv, "SYSLOG_FACILITY": "3", "_STREAM_ID": stream,
             "MESSAGE": "request id=%d path=/api/v1/items/%d status=%d duration_ms=%d user=u%d"
                        % (i, rnd.randrange(99999), 500 if prio <= 3 else 200,
                           rnd.randrange(2000), rnd.randrange(500))}
        if i % 3 == 0:
            f.update({"CODE_FILE": "src/%s/main.c" % name, "CODE_LINE": str(100 + i % 400),
                      "CODE_FUNC": "handle_request", "_SOURCE_REALTIME_TIMESTAMP": str(t - 5)})
        yield t, f


def build_rich(outdir, n, days=2, base=BASE):
    write_journal(outdir, rich_entries(n, days, base), name="system.journal")
    return {"dir": outdir, "since": iso(base + (days - 1) * DAY), "until": iso(base + days * DAY)}


def build_bulk(outdir, n, days=2, base=BASE):
    write_journal(outdir, bulk_entries(n, days, base), name="bulk.journal")
    return {"dir": outdir, "since": iso(base + (days - 1) * DAY), "until": iso(base + days * DAY)}


def units_entries(n):
    """n units, each logging every 5 minutes (one unit per second of the minute); on
    day 2 u07.service logs an error every hour and systemd says that u13.service
    failed at 12:00:30 (UNIT=u13.service)."""
    units = ["u%02d.service" % i for i in range(n)]
    for day in (1, 2):
        for minute in range(0, 24 * 60, 5):
            hh, mm = divmod(minute, 60)
            for i, u in enumerate(units):
                t = at(day, hh, mm, i % 60, i)
                prio, msg = 6, "%s tick %d" % (u, minute)
                if day == 2 and u == "u07.service" and mm == 0:
                    prio, msg = 3, "ERROR u07 lost its database connection (%d)" % hh
                yield t, unit_msg(u, prio, msg, pid=2000 + i)
            if day == 2 and minute == 12 * 60 and n > 13:
                yield at(day, hh, mm, 30), systemd_msg(
                    "u13.service", 4, "Failed with result 'exit-code'.")


def build_units(outdir, n):
    write_journal(outdir, units_entries(n), name="units.journal")
    return {"dir": outdir, "since": iso(DAY2), "until": iso(DAY2 + DAY)}


def main(argv):
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--bulk", type=int, default=0)
    ap.add_argument("--units", type=int, default=0)
    ap.add_argument("--rich", type=int, default=0)
    ap.add_argument("--days", type=int, default=2)
    a = ap.parse_args(argv)
    if a.units:
        info = build_units(a.outdir, a.units)
    elif a.rich:
        info = build_rich(a.outdir, a.rich, a.days)
    elif a.bulk:
        info = build_bulk(a.outdir, a.bulk, a.days)
    else:
        info = build_fixture(a.outdir)
    print(info["since"], info["until"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
