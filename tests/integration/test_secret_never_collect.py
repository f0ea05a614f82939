# SPDX-License-Identifier: MIT
"""never_collect holds whatever route leads to the file: symbolic links inside
/etc (relative and absolute, within the root) and hard links to /etc/shadow
and an SSH host key, reached through the configuration snapshot store (the
timer's `collect snapshot` and the config-diff path), the configuration files
of a critical unit (its unit file's EnvironmentFile= and files named on
ExecStart=), log globs and configuration directories. The marked content must
reach neither the bundle nor the state directory (snapshot objects are zlib:
they are inflated before the search)."""

import datetime
import json
import os
import zlib

import pytest

from conftest import open_bundle, run_collect, write_policy

SHADOW_MARK = "ShadowRouteMark0Planted"
HOSTKEY_MARK = "HostKeyRouteMark0Planted0123456789"
TLSKEY_MARK = "TlsKeyRouteMark0Planted0123456789"
MARKS = (SHADOW_MARK, HOSTKEY_MARK, TLSKEY_MARK)
T_DAY2 = int(datetime.datetime(2026, 11, 27, 12, 0, tzinfo=datetime.timezone.utc).timestamp())


def plant(root, dirs):
    etc = root / "etc"
    (etc / "ssh").mkdir(parents=True, exist_ok=True)
    (etc / "ssl" / "private").mkdir(parents=True, exist_ok=True)
    (etc / "shadow").write_text("root:$6$%s$xyz:19000::::::\n" % SHADOW_MARK)
    (etc / "ssh" / "ssh_host_ed25519_key").write_text(
        "-----BEGIN OPENSSH PRIVATE KEY-----\n%s\n-----END OPENSSH PRIVATE KEY-----\n" %
        HOSTKEY_MARK)
    (etc / "ssl" / "private" / "app.key").write_text(
        "-----BEGIN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----\n" % TLSKEY_MARK)
    # links inside /etc, where the snapshot (paths: /etc) and the config collector look
    conf = etc / "myapp"
    (conf / "conf.d").mkdir(parents=True, exist_ok=True)
    (conf / "app.conf").write_text("listen_port = 8443\n")
    os.symlink("../shadow", conf / "users.conf")                        # relative
    os.symlink("/etc/ssh/ssh_host_ed25519_key", conf / "host.conf")     # absolute, in the root
    os.symlink("../../ssl/private/app.key", conf / "conf.d" / "tls.conf")
    os.link(etc / "shadow", conf / "conf.d" / "hard.conf")              # a hard link
    os.symlink("/etc/ssl/private", conf / "keys")                       # a linked directory
    # a critical unit that names them: EnvironmentFile= and a file on ExecStart=
    units = etc / "systemd" / "system"
    units.mkdir(parents=True, exist_ok=True)
    os.symlink("/etc/shadow", etc / "myapp" / "env")
    (units / "app.service").write_text(
        "[Unit]\nDescription=App\n\n[Service]\nEnvironmentFile=/etc/myapp/env\n"
        "EnvironmentFile=-/etc/shadow\n"
        "ExecStart=/opt/app/bin/app --config /etc/myapp/host.conf --key /etc/ssl/private/app.key\n")
    dirs["config"].write_text("critical_units: [app.service]\n")
    # log globs
    logs = root / "var" / "log" / "myapp"
    logs.mkdir(parents=True, exist_ok=True)
    (logs / "app.log").write_text("Nov 27 10:00:00 web01 app[1]: ordinary line\n")
    os.symlink("../../../etc/myapp/users.conf", logs / "users.log")      # a link to a link
    os.link(etc / "ssh" / "ssh_host_ed25519_key", logs / "host.log")
    for p in logs.iterdir():
        os.utime(p, (T_DAY2, T_DAY2), follow_symlinks=False)
    write_policy(dirs, "routes.yaml", "logs:\n  paths: [/var/log/myapp/*.log]\n"
                 "config:\n  files: [/etc/myapp]\n")


def state_texts(state):
    """Every file of the state directory, inflated when it is zlib or gzip."""
    out = {}
    for dp, _, fns in os.walk(state):
        for fn in fns:
            p = os.path.join(dp, fn)
            data = open(p, "rb").read()
            for wbits in (zlib.MAX_WBITS, 16 + zlib.MAX_WBITS):
                try:
                    data = zlib.decompress(data, wbits)
                    break
                except zlib.error:
                    pass
            out[p] = data.decode(errors="replace")
    return out


def args(root, dirs, *extra):
    return ["--root", str(root), "--output", str(dirs["out"]), "--state-dir", str(dirs["state"]),
            "--spool-dir", str(dirs["spool"]), "--policy-dir", str(dirs["policy"]),
            "--config", str(dirs["config"]), "--since", "2026-11-26T00:00:00Z"] + list(extra)


def collect_twice(root, dirs):
    """A snapshot, a change, a collection: returns the run."""
    plant(root, dirs)
    snap = run_collect(["snapshot", "--root", str(root), "--state-dir", str(dirs["state"]),
                        "--policy-dir", str(dirs["policy"])])
    assert snap.rc == 0, snap
    # a change between snapshots: the config-diff path sees the linked files again
    (root / "etc" / "myapp" / "app.conf").write_text("listen_port = 9443\n")
    os.symlink("../../shadow", root / "etc" / "myapp" / "conf.d" / "new.conf")
    run = run_collect(args(root, dirs, "--json"))
    assert run.rc == 0, run
    return run


def test_never_collect_by_every_route(root, dirs):
    run = collect_twice(root, dirs)
    members, _ = open_bundle(run.json["bundle"]["path"])
    names = "\n".join(members)
    for name, data in members.items():
        text = data.decode(errors="replace")
        for m in MARKS:
            assert m not in text, (m, name)
    for m in MARKS:
        assert m not in names and m not in run.out and m not in run.err, m
    # the ordinary files of the same routes did arrive
    assert "logs/files/var/log/myapp/app.log" in members, names
    assert "config/files/etc/myapp/app.conf" in members, names
    assert "config/files/etc/systemd/system/app.service" in members, names  # the unit route ran
    diff = members.get("config/changes.diff", b"").decode(errors="replace")
    assert "listen_port = 9443" in diff, diff
    # every refusal is said
    report = __import__("json").loads(members["redaction.json"])
    skipped = {s["path"] for s in report["skipped"]}
    for p in ("/var/log/myapp/users.log", "/var/log/myapp/host.log", "/etc/myapp/env",
              "/etc/myapp/users.conf", "/etc/myapp/conf.d/hard.conf"):
        assert any(s.endswith(p) for s in skipped), (p, skipped)
    # nothing reached through a symbolic link in the state directory either
    # (the snapshot store records a link as its target's name)
    for path, text in state_texts(dirs["state"]).items():
        for m in (HOSTKEY_MARK, TLSKEY_MARK):
            assert m not in text, (m, path)


def test_snapshot_store_refuses_hard_links_to_never_collect(root, dirs):
    collect_twice(root, dirs)
    for path, text in state_texts(dirs["state"]).items():
        assert SHADOW_MARK not in text, path


def test_never_collect_among_many_log_files(root, dirs):
    """Enough files that the logs collector opens them ahead on a second thread
    (LOGS_AHEAD_MIN is 64): a symbolic link to /etc/shadow, a hard link to it,
    a link to a link, and a linked directory whose files live in
    /etc/ssl/private (their listed names match no pattern; what they resolve
    to does) are refused wherever they fall in the order, and every ordinary
    file arrives whole."""
    plant(root, dirs)
    (root / "etc" / "ssl" / "private" / "server.pem").write_text(
        "-----BEGIN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----\n" % TLSKEY_MARK)
    many = root / "var" / "log" / "many"
    many.mkdir(parents=True)
    expected = {}
    for i in range(300):
        text = "".join("2026-11-27T%02d:%02d:00Z web01 app[%d]: request %d done\n"
                       % (i % 24, j, i, j) for j in range(1 + i % 7))
        (many / ("app-%03d.log" % i)).write_text(text)
        expected["logs/files/var/log/many/app-%03d.log" % i] = text.encode()
    # one never-collect file per route (the listing takes an inode once)
    etc = root / "etc"
    (etc / "security").mkdir(exist_ok=True)
    for f in ("gshadow", "shadow-", "security/opasswd"):
        (etc / f).write_text("root:$6$%s$xyz:19000::::::\n" % SHADOW_MARK)
    routes = {"shadow-link.log": "/etc/shadow", "gshadow-link.log": "../../../etc/gshadow",
              "link-to-link.log": "../../../etc/myapp/conf.d/tls.conf", "keys": "/etc/ssl/private"}
    for name, target in routes.items():
        os.symlink(target, many / name)
    os.link(etc / "shadow-", many / "hard-shadow.log")
    os.link(etc / "security" / "opasswd", many / "hard-opasswd.log")
    targets = [etc / "shadow", etc / "gshadow", etc / "shadow-", etc / "security" / "opasswd",
               etc / "ssl" / "private" / "server.pem", etc / "ssh" / "ssh_host_ed25519_key"]
    for p in list(many.iterdir()) + targets:
        os.utime(p, (T_DAY2, T_DAY2), follow_symlinks=False)
    write_policy(dirs, "routes.yaml", "logs:\n  paths: [/var/log/many/*]\n  max_files: 400\n"
                 "config:\n  enabled: false\n")
    run = run_collect(args(root, dirs, "--json"))
    assert run.rc == 0, run
    members, _ = open_bundle(run.json["bundle"]["path"])
    for name, data in members.items():
        text = data.decode(errors="replace")
        for m in MARKS:
            assert m not in text, (m, name)
    for name, data in expected.items():
        assert members.get(name) == data, name
    logs = sorted(n for n in members if n.startswith("logs/files/var/log/many/"))
    assert logs == sorted(expected), set(logs) ^ set(expected)
    skipped = {s["path"] for s in json.loads(members["redaction.json"])["skipped"]}
    for p in ("shadow-link.log", "gshadow-link.log", "link-to-link.log", "hard-shadow.log",
              "hard-opasswd.log", "keys/server.pem"):
        assert any(s.endswith("/var/log/many/" + p) for s in skipped), (p, skipped)
