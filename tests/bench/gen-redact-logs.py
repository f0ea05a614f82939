#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Writes realistic log text for the redaction benchmark: a syslog mix (sshd,
# systemd, kernel, cron, sudo, an application logging key=value and JSON), an
# nginx access log and a few secrets, seeded so that every run is the same.
# Usage: gen-redact-logs.py OUTDIR MEGABYTES
import os
import random
import sys

rng = random.Random(42)
HOSTS = ["web01", "web02", "db01", "cache01"]
UNITS = ["nginx.service", "postgresql@15-main.service", "app.service", "cron.service",
         "systemd-journald.service", "ssh.service", "docker.service"]
PATHS = ["/api/v1/orders", "/api/v1/users/42", "/healthz", "/static/app.js", "/login",
         "/api/v2/payments?page=3&limit=50", "/metrics"]
AGENTS = ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0",
          "curl/7.88.1", "kube-probe/1.28", "Prometheus/2.45.0"]
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def ts(i):
    return "Nov 27 %02d:%02d:%02d" % ((i // 3600) % 24, (i // 60) % 60, i % 60)


def ip():
    return "10.%d.%d.%d" % (rng.randint(0, 3), rng.randint(0, 255), rng.randint(1, 254))


def uuid():
    return "%08x-%04x-%04x-%04x-%012x" % (rng.getrandbits(32), rng.getrandbits(16),
                                          rng.getrandbits(16), rng.getrandbits(16),
                                          rng.getrandbits(48))


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def syslog_line(i):
    h = rng.choice(HOSTS)
    k = rng.randint(0, 99)
    pid = rng.randint(1000, 99999)
    if k < 15:
        return "%s %s sshd[%d]: Accepted publickey for deploy from %s port %d ssh2: RSA SHA256:%s" % (
            ts(i), h, pid, ip(), rng.randint(1024, 65535), rand(B64, 43))
    if k < 22:
        return ("%s %s sshd[%d]: pam_unix(sshd:session): session opened for user deploy(uid=1000) "
                "by (uid=0)" % (ts(i), h, pid))
    if k < 40:
        return "%s %s systemd[1]: Started %s - Daily apt upgrade and clean activities." % (
            ts(i), h, rng.choice(UNITS))
    if k < 50:
        return ("%s %s kernel: [%d.%06d] EXT4-fs (sda1): mounted filesystem with ordered data "
                "mode. Quota mode: none." % (ts(i), h, rng.randint(0, 99999),
                                             rng.randint(0, 999999)))
    if k < 58:
        return "%s %s CRON[%d]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)" % (
            ts(i), h, pid)
    if k < 75:
        return ('%s %s app[%d]: level=info msg="request completed" method=GET path=%s status=%d '
                'duration_ms=%d request_id=%s user_id=%d' % (
                    ts(i), h, pid, rng.choice(PATHS), rng.choice([200, 200, 201, 404, 500]),
                    rng.randint(1, 900), uuid(), rng.randint(1, 10**6)))
    if k < 88:
        return ('%s %s app[%d]: {"ts":"2026-11-27T10:%02d:%02d.%03dZ","level":"error","msg":'
                '"upstream timeout","service":"payments","version":"2.14.3","trace_id":"%032x",'
                '"retry":%d}' % (ts(i), h, pid, rng.randint(0, 59), rng.randint(0, 59),
                                 rng.randint(0, 999), rng.getrandbits(128), rng.randint(0, 5)))
    if k < 95:
        return ('%s %s postgres[%d]: [%d-1] ERROR:  duplicate key value violates unique '
                'constraint "orders_pkey"' % (ts(i), h, pid, rng.randint(1, 999)))
    if k < 99:
        return ('%s %s dockerd[%d]: time="2026-11-27T10:00:00.%09dZ" level=warning msg="Health '
                'check for container %064x error: context deadline exceeded"' % (
                    ts(i), h, pid, rng.randint(0, 10**9 - 1), rng.getrandbits(256)))
    # the rare line with a secret
    return "%s %s app[%d]: connecting with password=%s token=ghp_%s" % (
        ts(i), h, pid, rand("abcdef0123456789", 16), rand(ALNUM, 36))


def access_line(i):
    return '%s - - [27/Nov/2026:10:%02d:%02d +0000] "GET %s HTTP/1.1" %d %d "-" "%s"' % (
        ip(), (i // 60) % 60, i % 60, rng.choice(PATHS), rng.choice([200, 200, 304, 404]),
        rng.randint(100, 90000), rng.choice(AGENTS))


def write(path, gen, size):
    n = 0
    i = 0
    with open(path, "w") as f:
        while n < size:
            line = gen(i) + "\n"
            f.write(line)
            n += len(line)
            i += 1


def main():
    out, mb = sys.argv[1], float(sys.argv[2])
    os.makedirs(out, exist_ok=True)
    total = int(mb * 1024 * 1024)
    write(os.path.join(out, "syslog"), syslog_line, total * 3 // 4)
    write(os.path.join(out, "access.log"), access_line, total // 4)


if __name__ == "__main__":
    main()
