# SPDX-License-Identifier: MIT
"""A bundle complete enough that support never has to ask back (issue 12):
every text log of the window in a host tree on America/New_York local time
(NUL-damaged syslog, an over-long line, an application log directory, a
binary wtmp), the configuration as it is now for a failing critical unit
(drop-in, EnvironmentFile=, the file named on ExecStart=), redacted; a diff
of a file holding both a secret and an ordinary change; the re-run after an
exit 65 reporting the same changes."""

import json
import os
import time

from conftest import check_manifest, open_bundle, run_collect

# 2026-11-27 12:00 .. 18:00 UTC = 07:00 .. 13:00 in New York (EST, UTC-5).
SINCE = "2026-11-27T12:00:00Z"
UNTIL = "2026-11-27T18:00:00Z"
T_AFTER = 1795803000  # 2026-11-27T18:30:00Z

KEY1 = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7oldkeymaterial"
KEY2 = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7newkeymaterial"


def write(root, rel, data, mtime=None, mode=0o644):
    p = os.path.join(root, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    os.chmod(p, mode)
    if mtime is not None:
        os.utime(p, (mtime, mtime))
    return p


def app_yaml(pool, password, key):
    return (f"listen: 8080\npool_size: {pool}\npassword: {password}\ntls_key: |\n"
            f"  -----BEGIN PRIVATE KEY-----\n  {key}\n  -----END PRIVATE KEY-----\n"
            "log_level: info\n")


def host_tree(tmp_path):
    root = str(tmp_path / "host")
    os.makedirs(os.path.join(root, "etc"))
    os.symlink("/usr/share/zoneinfo/America/New_York", os.path.join(root, "etc/localtime"))
    syslog = ("Nov 27 06:59:59 web1 app[100]: before-window line\n"
              "Nov 27 07:00:01 web1 app[100]: first-in-window line\n").encode()
    syslog += b"\0" * 5000
    syslog += ("Nov 27 09:00:00 web1 app[100]: after-the-damage line\n"
               "Nov 27 10:00:00 web1 kernel: [1.0] oom-kill:constraint=CONSTRAINT_NONE,"
               "task_memcg=/system.slice/app.service,task=java,pid=3131,uid=0\n"
               "Nov 27 10:00:00 web1 kernel: [1.0] Out of memory: Killed process 3131 (java) "
               "total-vm:4000000kB\n"
               "Nov 27 10:05:00 web1 kernel: [2.0] worker[4242]: segfault at 0 ip 00007f "
               "sp 00007f error 4 in libc.so.6\n"
               "Nov 27 11:00:00 web1 postgres[77]: could not write /var/lib/postgresql/16/main"
               "/base/1: No space left on device\n"
               "Nov 27 11:30:00 web1 systemd[1]: app.service: Scheduled restart job, restart "
               "counter is at 2.\n"
               "Nov 27 11:31:00 web1 systemd[1]: nginx.service: Failed with result 'exit-code'.\n"
               "Nov 27 12:59:59 web1 app[100]: last-in-window line\n"
               "Nov 27 13:00:01 web1 app[100]: after-window line\n").encode()
    write(root, "var/log/syslog", syslog, T_AFTER)
    long_line = "2026-11-27T14:00:00Z INFO " + "x" * 300000 + " END-OF-LONG-LINE\n"
    write(root, "var/log/app/app.log",
          "2026-11-27T11:59:00Z INFO outside-app-line\n"
          "2026-11-27T13:00:00Z FATAL orders.conf rejected: pool exhausted\n" + long_line +
          "2026-11-27T15:00:00Z ERROR write /srv/orders/queue.db: No space left on device\n",
          T_AFTER)
    wtmp = (b"\x07\x00\x00\x00\x10\x27\x00\x00pts/0" + b"\0" * 27 + b"ts/0root" + b"\0" * 28 +
            b"\x01\x02\x03\x04") * 40
    write(root, "var/log/wtmp", wtmp, T_AFTER)
    write(root, "var/log/app/records.dat", wtmp, T_AFTER)  # binary by content, not by name
    write(root, "etc/systemd/system/app.service",
          "[Unit]\nDescription=Orders\n[Service]\nEnvironmentFile=/etc/default/app\n"
          "EnvironmentFile=-/etc/default/app-missing\n"
          "ExecStart=/usr/bin/app --config /etc/app/app.yaml \\\n  --verbose\n"
          "StandardOutput=append:/srv/orders/stdout.log\n")
    write(root, "etc/systemd/system/app.service.d/override.conf",
          "[Service]\nRestart=always\nLimitNOFILE=1024\n")
    write(root, "etc/default/app", "DB_HOST=db1\nDB_PASSWORD=Sup3rS3cretEnvValue\n")
    write(root, "etc/app/app.yaml", app_yaml(10, "OldPassw0rdValue", KEY1))
    write(root, "lib/systemd/system/nginx.service",
          "[Service]\nExecStart=/usr/sbin/nginx -c /etc/nginx/nginx.conf -g 'daemon on;'\n")
    write(root, "etc/hosts", "127.0.0.1 localhost\n")
    write(root, "etc/nginx/nginx.conf", "worker_processes 4;\n")
    write(root, "var/log/redis/redis-server.log",
          "77:M 27 Nov 2026 06:59:00.000 * before-window-redis\n"
          "77:M 27 Nov 2026 08:00:00.000 * in-window-redis\n", T_AFTER)
    write(root, "var/log/apt/history.log",
          "\nStart-Date: 2026-11-27  06:00:00\nCommandline: apt install before-window-pkg\n"
          "End-Date: 2026-11-27  06:00:05\n\nStart-Date: 2026-11-27  09:00:00\n"
          "Commandline: apt install in-window-pkg\nEnd-Date: 2026-11-27  09:00:05\n", T_AFTER)
    write(root, "srv/orders/stdout.log", "2026-11-27T16:00:00Z unit-stdout-line\n", T_AFTER)
    return root


def collect(tmp_path, root, *extra, since=SINCE, until=UNTIL):
    d = {n: tmp_path / n for n in ("out", "state", "policy")}
    for p in d.values():
        p.mkdir(exist_ok=True)
    cfg = tmp_path / "collect.yaml"
    cfg.write_text("critical_units: [app.service]\n")
    args = ["--root", root, "--output", str(d["out"]), "--state-dir", str(d["state"]),
            "--spool-dir", str(d["state"]), "--policy-dir", str(d["policy"]), "--config",
            str(cfg), "--json"] + (["--since", since] if since else []) + \
        (["--until", until] if until else []) + list(extra)
    return run_collect(args)


def bundle(run):
    assert run.rc in (0, 65), run
    members, _ = open_bundle(run.json["bundle"]["path"])
    return members, check_manifest(members)


def test_logs_in_window_local_zone(tmp_path):
    root = host_tree(tmp_path)
    members, manifest = bundle(collect(tmp_path, root))
    syslog = members["logs/files/var/log/syslog"].decode()
    assert "first-in-window line" in syslog
    assert "last-in-window line" in syslog
    assert "before-window line" not in syslog
    assert "after-window line" not in syslog
    # The NUL run is replaced in place, the text after it kept.
    assert "[NUL\u00d75000]" in syslog
    assert "after-the-damage line" in syslog
    redis = members["logs/files/var/log/redis/redis-server.log"].decode()
    assert "in-window-redis" in redis and "before-window-redis" not in redis
    apt = members["logs/files/var/log/apt/history.log"].decode()
    assert "in-window-pkg" in apt and "before-window-pkg" not in apt
    app = members["logs/files/var/log/app/app.log"].decode()
    assert "FATAL orders.conf rejected" in app
    assert "outside-app-line" not in app
    assert "END-OF-LONG-LINE" in app and "bytes of this" in app
    assert "No space left on device" in app
    # The unit's own log file (StandardOutput=append:) outside /var/log.
    assert "unit-stdout-line" in members["logs/files/srv/orders/stdout.log"].decode()
    assert "logs/files/var/log/wtmp" not in members
    logs_row = [c for c in manifest["collectors"] if c["name"] == "logs"][0]
    notes = json.dumps(logs_row)
    assert "records.dat: binary" in notes
    assert "logs/files/var/log/app/records.dat" not in members
    assert logs_row["status"] == "partial"  # the over-long line was cut
    member = [m for m in manifest["members"] if m["path"] == "logs/files/var/log/app/app.log"][0]
    assert member["truncated"] is True
    assert "longer than 262144 bytes: the newest" in notes
    # Findings name the process, never the file; exhaustion names the path.
    f = [x for x in manifest["findings"] if x["kind"] == "oom_kill"]
    assert [x["subject"] for x in f] == ["java"], f
    assert "pid 3131" in f[0]["detail"] and "app.service" in f[0]["detail"]
    seg = [x["subject"] for x in manifest["findings"] if x["kind"] == "segfault"]
    assert seg == ["worker"]
    ex = {x["subject"] for x in manifest["findings"] if x["kind"] == "resource_exhausted"}
    assert "/var/lib/postgresql/16/main/base/1" in ex and "/srv/orders/queue.db" in ex
    for x in manifest["findings"]:
        if x["kind"] in ("oom_kill", "segfault"):
            assert not x["subject"].startswith("/"), x
    # systemd's job messages: a scheduled restart is a restart, not a failure.
    failed = {x["subject"] for x in manifest["findings"] if x["kind"] == "unit_failed"}
    restarts = {x["subject"] for x in manifest["findings"] if x["kind"] == "unit_restarts"}
    assert failed == {"nginx.service"} and restarts == {"app.service"}, manifest["findings"]
    tz = [x for x in manifest["findings"] if x["kind"] == "host_fact" and
          x["subject"] == "timezone"]
    assert tz and tz[0]["detail"] == "America/New_York"
    reasons = run_reasons = manifest.get("severity", {}).get("reasons", [])
    assert len(reasons) == len(set(reasons)), run_reasons


def test_current_config_of_critical_unit(tmp_path):
    root = host_tree(tmp_path)
    members, manifest = bundle(collect(tmp_path, root))
    unit = members["config/files/etc/systemd/system/app.service"].decode()
    assert "EnvironmentFile=/etc/default/app" in unit
    assert "Restart=always" in \
        members["config/files/etc/systemd/system/app.service.d/override.conf"].decode()
    env = members["config/files/etc/default/app"].decode()
    assert "DB_HOST=db1" in env and "Sup3rS3cretEnvValue" not in env and "REDACTED" in env
    app = members["config/files/etc/app/app.yaml"].decode()
    assert "pool_size: 10" in app and "OldPassw0rdValue" not in app and KEY1 not in app
    assert "config/files/etc/hosts" in members
    # nginx.service failed in the window: its unit file, as found under /lib.
    assert "config/files/lib/systemd/system/nginx.service" in members
    assert "config/files/etc/nginx/nginx.conf" in members
    for name, data in members.items():
        assert b"Sup3rS3cretEnvValue" not in data and b"OldPassw0rdValue" not in data, name


def test_diff_redacted_not_withheld_and_rerun(tmp_path):
    root = host_tree(tmp_path)
    now = time.time()
    yaml = os.path.join(root, "etc/app/app.yaml")
    os.utime(yaml, (now - 3600, now - 3600))
    # A baseline, then the change: pool_size and the password and the key.
    d = tmp_path / "state"
    d.mkdir()
    snap = run_collect(["snapshot", "--root", root, "--state-dir", str(d)])
    assert snap.rc == 0, snap
    write(root, "etc/app/app.yaml", app_yaml(50, "NewPassw0rdValue", KEY2), now - 60)
    members, manifest = bundle(collect(tmp_path, root, since="2h", until=None))
    diff = members["config/changes.diff"].decode()
    assert "-pool_size: 10" in diff and "+pool_size: 50" in diff, diff
    for secret in ("OldPassw0rdValue", "NewPassw0rdValue", KEY1, KEY2):
        assert secret not in diff, diff
    assert "REDACTED" in diff and "not shown" not in diff
    assert "/etc/app/app.yaml: value changed: password, private key" in diff, diff
    assert "+pool_size: 50" not in members["config/changes.json"].decode()


def test_rerun_reports_the_same_changes(tmp_path):
    root = host_tree(tmp_path)
    now = time.time()
    for rel in ("etc/app/app.yaml", "etc/nginx/nginx.conf"):
        os.utime(os.path.join(root, rel), (now - 1800, now - 1800))
    # nginx fails now (syslog in the host's local time): its changed
    # configuration is the likely cause, in the first run and in the re-run.
    from datetime import datetime
    from zoneinfo import ZoneInfo
    local = datetime.fromtimestamp(now - 600, ZoneInfo("America/New_York"))
    write(root, "var/log/syslog", local.strftime("%b %e %H:%M:%S") +
          " web1 systemd[1]: nginx.service: Failed with result 'exit-code'.\n", now - 600)
    first = collect(tmp_path, root, "--open-ticket", "--yes", since="2h", until=None)
    assert first.rc == 65, first  # the checklist misses items: not fit to file
    m1, man1 = bundle(first)
    second = collect(tmp_path, root, "--open-ticket", "--yes", since="2h", until=None)
    m2, man2 = bundle(second)

    def changed(members):
        return sorted(c["path"] for c in json.loads(members["config/changes.json"])["changes"])

    assert "/etc/app/app.yaml" in changed(m1)
    assert changed(m1) == changed(m2)

    def touches(manifest):
        return {f["subject"] for f in manifest["findings"]
                if f["kind"] == "config_touches_failing"}

    assert "/etc/nginx/nginx.conf" in touches(man1), man1["findings"]
    assert touches(man1) == touches(man2)
    checklist = [c for c in second.json["checklist"] if c["item"] == "config_changes"][0]
    assert "unknown" in checklist["detail"], checklist


def test_unreadable_is_named_never_silent(tmp_path):
    """Run unprivileged over unreadable directories (issue 15, item 4): each is
    a note in the collector's row and in summary.md, the row is partial."""
    import shutil
    import tempfile
    if os.getuid() != 0:
        import pytest
        pytest.skip("needs root to drop to an unprivileged user")
    base = tempfile.mkdtemp(prefix="collect-unreadable-")
    try:
        os.chmod(base, 0o755)
        root = os.path.join(base, "host")
        write(root, "var/log/syslog", "Nov 27 13:00:00 web1 app[1]: readable line\n", T_AFTER)
        write(root, "var/log/mysql/error.log", "2026-11-27T13:00:00Z hidden\n", T_AFTER)
        write(root, "etc/app/app.conf", "x=1\n")
        write(root, "etc/hosts", "127.0.0.1 localhost\n")
        for d in ("var/log/mysql", "etc/app"):
            os.chmod(os.path.join(root, d), 0o700)
        for dirpath, dirnames, filenames in os.walk(root):
            for n in dirnames:
                p = os.path.join(dirpath, n)
                if not p.endswith(("var/log/mysql", "etc/app")):
                    os.chmod(p, 0o755)
        work = os.path.join(base, "work")
        for n in ("out", "state", "policy"):
            os.makedirs(os.path.join(work, n))
        shutil.chown(work, 65534, 65534)
        for n in ("out", "state", "policy"):
            shutil.chown(os.path.join(work, n), 65534, 65534)
        cfg = os.path.join(work, "collect.yaml")
        write(work, "collect.yaml", "# none\n")
        os.chmod(cfg, 0o644)

        def drop():
            os.setgid(65534)
            os.setuid(65534)

        run = run_collect(["--root", root, "--output", os.path.join(work, "out"),
                           "--state-dir", os.path.join(work, "state"), "--spool-dir",
                           os.path.join(work, "state"), "--policy-dir",
                           os.path.join(work, "policy"), "--config", cfg, "--since", SINCE,
                           "--until", UNTIL, "--json"], preexec_fn=drop)
        members, manifest = bundle(run)
        rows = {c["name"]: c for c in manifest["collectors"]}
        assert rows["logs"]["status"] == "partial", rows["logs"]
        assert "/var/log/mysql" in rows["logs"]["note"]
        assert rows["config"]["status"] == "partial", rows["config"]
        assert "/etc/app" in rows["config"]["note"]
        summary = members["summary.md"].decode()
        assert "/var/log/mysql" in summary and "/etc/app" in summary
        assert "readable line" in members["logs/files/var/log/syslog"].decode()
    finally:
        shutil.rmtree(base, ignore_errors=True)
