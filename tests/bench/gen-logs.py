# SPDX-License-Identifier: MIT
"""Writes a tree of log files for benchmarks: ROOT/var/log/{syslog, syslog.1,
syslog.2.gz, nginx/access.log, nginx/access.log.1.gz, app/app.log} totalling
about MB mebibytes of text (before compression), spread over the three days
before 2026-11-28T00:00:00Z, with an error line now and then.

usage: gen-logs.py ROOT MB
"""
import gzip
import os
import sys
import time

END = 1795824000  # 2026-11-28T00:00:00Z


def write(path, start, end, nbytes, fmt, gz=False):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    line_len = len(fmt(start, 0))
    n = max(1, nbytes // line_len)
    step = (end - start) / n
    op = gzip.open if gz else open
    with op(path, "wt") as f:
        buf = []
        for i in range(n):
            buf.append(fmt(start + i * step, i))
            if len(buf) >= 20000:
                f.write("".join(buf))
                buf = []
        f.write("".join(buf))
    os.utime(path, (end, end))


def syslog(t, i):
    lvl = "ERROR" if i % 997 == 0 else "INFO"
    return "%s host app[%d]: %s request id=%d path=/api/v1/items/%d status=200 duration_ms=%d\n" % (
        time.strftime("%b %d %H:%M:%S", time.gmtime(t)), 1000 + i % 50, lvl, i, i % 9973, i % 250)


def access(t, i):
    return '10.%d.%d.%d - - [%s +0000] "GET /api/v1/items/%d HTTP/1.1" %d 612 "-" "curl/8.0"\n' % (
        i % 256, i // 256 % 256, i % 200, time.strftime("%d/%b/%Y:%H:%M:%S", time.gmtime(t)),
        i % 9973, 500 if i % 1009 == 0 else 200)


def app(t, i):
    frac = int((t % 1) * 1000)
    lvl = "ERROR" if i % 1013 == 0 else "INFO"
    return "%s,%03d %s worker-%d processed batch %d in %d ms\n" % (
        time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t)), frac, lvl, i % 16, i, i % 1000)


def main(root, mb):
    total = mb << 20
    d = 86400
    log = os.path.join(root, "var/log")
    write(log + "/syslog", END - d, END, total * 30 // 100, syslog)
    write(log + "/syslog.1", END - 2 * d, END - d, total * 25 // 100, syslog)
    write(log + "/syslog.2.gz", END - 3 * d, END - 2 * d, total * 10 // 100, syslog, gz=True)
    write(log + "/nginx/access.log", END - d, END, total * 15 // 100, access)
    write(log + "/nginx/access.log.1.gz", END - 2 * d, END - d, total * 5 // 100, access, gz=True)
    write(log + "/app/app.log", END - 3 * d, END, total * 15 // 100, app)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
