# SPDX-License-Identifier: MIT
"""Packaging: the systemd units verify and score below 5.0 in
`systemd-analyze security`; timers mean what they say; `make install` puts
the tested binary in place, keeps an existing configuration and `make
uninstall` removes what it installed; tmpfiles creates the private
directories; the Debian package declares the commands the default policy
runs."""

import glob
import json
import os
import re
import shutil
import stat
import subprocess

import pytest

from conftest import BIN, SRCDIR

UNIT_DIR = os.path.join(SRCDIR, "packaging", "systemd")
UNITS = sorted(os.path.basename(p) for p in glob.glob(os.path.join(UNIT_DIR, "*"))
               if p.endswith((".service", ".timer", ".path")))
SERVICES = [u for u in UNITS if u.endswith(".service")]
need_analyze = pytest.mark.skipif(not shutil.which("systemd-analyze"),
                                  reason="systemd-analyze not installed")


def read_unit(name):
    """{section: {key: [values]}} of a unit file."""
    out, section = {}, None
    with open(os.path.join(UNIT_DIR, name)) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("["):
                section = out.setdefault(line.strip("[]"), {})
                continue
            k, _, v = line.partition("=")
            section.setdefault(k, []).append(v)
    return out


@pytest.fixture(scope="module")
def unit_copies(tmp_path_factory):
    """The units with ExecStart= pointing at the built binary."""
    d = tmp_path_factory.mktemp("units")
    for u in UNITS:
        with open(os.path.join(UNIT_DIR, u)) as f:
            text = f.read().replace("/usr/bin/collect", BIN)
        (d / u).write_text(text)
    return d


def test_unit_set():
    assert {"collect.service", "collect-watch.service", "collect-unit-failure@.service",
            "collect-coredump.service", "collect-coredump.path", "collect-snapshot.service",
            "collect-snapshot.timer", "collect-spool-flush.service",
            "collect-spool-flush.timer"} <= set(UNITS)


@need_analyze
@pytest.mark.parametrize("unit", UNITS)
def test_unit_verifies(unit_copies, unit):
    p = subprocess.run(["systemd-analyze", "verify", "--man=no", str(unit_copies / unit)],
                       capture_output=True, text=True, timeout=60, cwd=str(unit_copies))
    problems = [l for l in p.stderr.splitlines()
                if unit.split("@")[0].split(".")[0] in l or "collect" in l]
    assert p.returncode == 0 and not problems, p.stderr


@need_analyze
@pytest.mark.parametrize("unit", SERVICES)
def test_unit_exposure_below_5(unit_copies, unit):
    p = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager",
                        str(unit_copies / unit)],
                       capture_output=True, text=True, timeout=60, cwd=str(unit_copies))
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", p.stdout + p.stderr)
    assert m, p.stdout + p.stderr
    assert float(m.group(1)) < 5.0, p.stdout


@pytest.mark.parametrize("unit", SERVICES)
def test_unit_can_read_what_it_collects(unit):
    s = read_unit(unit)["Service"]
    caps = " ".join(s.get("CapabilityBoundingSet", [])).split()
    assert {"CAP_DAC_READ_SEARCH", "CAP_SYSLOG"} <= set(caps)
    assert s["ProtectSystem"] == ["strict"]
    assert "ProtectKernelLogs" not in s or s["ProtectKernelLogs"] == ["no"]  # dmesg
    assert "MemoryDenyWriteExecute" not in s  # PCRE2 JIT
    rw = " ".join(s["ReadWritePaths"]).split()
    assert "-/var/lib/collect" in rw and "-/var/spool/collect" in rw
    assert s["NoNewPrivileges"] == ["yes"]
    assert "@system-service" in s["SystemCallFilter"]
    assert set(" ".join(s["RestrictAddressFamilies"]).split()) == \
        {"AF_UNIX", "AF_INET", "AF_INET6", "AF_NETLINK"}
    assert s["ExecStart"][0].startswith("/usr/bin/collect")


@pytest.mark.parametrize("unit", [u for u in SERVICES if u not in
                                  ("collect.service", "collect-snapshot.service")])
def test_filing_units_wait_for_the_network(unit):
    u = read_unit(unit)["Unit"]
    assert "network-online.target" in " ".join(u.get("After", []))
    assert "network-online.target" in " ".join(u.get("Wants", []))


@pytest.mark.parametrize("timer", [u for u in UNITS if u.endswith(".timer")])
def test_timers_mean_what_they_say(timer):
    t = read_unit(timer)["Timer"]
    if "Persistent" in t:
        assert "OnCalendar" in t, "Persistent= only acts with OnCalendar="
    assert any(k.startswith("On") for k in t)
    assert read_unit(timer)["Install"]["WantedBy"] == ["timers.target"]


def test_spool_flush_timer_flushes():
    s = read_unit("collect-spool-flush.service")["Service"]
    assert s["ExecStart"][0].split()[:3] == ["/usr/bin/collect", "spool", "flush"]


def build_dir():
    rel = os.path.relpath(os.path.dirname(os.path.realpath(BIN)), SRCDIR)
    if rel.startswith(".."):
        pytest.skip("COLLECT_BIN is not built in this tree")
    return rel


def make(*args, destdir):
    cmd = ["make", "--no-print-directory", "-o", "all", "-o", os.path.join(build_dir(), "collect"),
           "BUILD=" + build_dir(), "DESTDIR=" + str(destdir), "prefix=/usr",
           "unitdir=/usr/lib/systemd/system", "tmpfilesdir=/usr/lib/tmpfiles.d"] + list(args)
    env = dict(os.environ)
    env.pop("MAKEFLAGS", None)
    env.pop("MFLAGS", None)
    p = subprocess.run(cmd, cwd=SRCDIR, capture_output=True, text=True, timeout=120, env=env)
    assert p.returncode == 0, p.stdout + p.stderr
    return p


def files_under(root):
    return sorted(os.path.relpath(os.path.join(d, f), root)
                  for d, _, fs in os.walk(root) for f in fs)


@pytest.mark.skipif(not shutil.which("make"), reason="make not installed")
def test_install_and_uninstall(tmp_path):
    dest = tmp_path / "root"
    make("install", destdir=dest)
    files = files_under(dest)
    for f in ["usr/bin/collect", "etc/collect/collect.yaml", "usr/lib/tmpfiles.d/collect.conf",
              "usr/share/man/man8/collect.8", "usr/share/man/man5/collect.yaml.5",
              "usr/share/man/man5/collect-policies.5",
              "usr/share/bash-completion/completions/collect",
              "usr/share/zsh/vendor-completions/_collect",
              "usr/share/collect/policies/collection.yaml"] + \
            ["usr/lib/systemd/system/" + u for u in UNITS]:
        assert f in files, f
    # the binary the tests ran, not a second build
    with open(BIN, "rb") as a, open(dest / "usr/bin/collect", "rb") as b:
        assert a.read() == b.read()
    with open(dest / "usr/lib/systemd/system/collect-watch.service") as f:
        assert "ExecStart=/usr/bin/collect watch" in f.read()

    # a reinstall keeps the site's configuration
    conf = dest / "etc/collect/collect.yaml"
    conf.write_text("environment: production\n")
    make("install", destdir=dest)
    assert conf.read_text() == "environment: production\n"

    # uninstall removes everything but the edited configuration
    make("uninstall", destdir=dest)
    assert files_under(dest) == ["etc/collect/collect.yaml"]

    # and with the shipped configuration untouched, everything
    conf.unlink()
    make("install", destdir=dest)
    make("uninstall", destdir=dest)
    assert files_under(dest) == []


@pytest.mark.skipif(not shutil.which("systemd-tmpfiles"), reason="systemd-tmpfiles missing")
def test_tmpfiles_private_directories(tmp_path):
    p = subprocess.run(["systemd-tmpfiles", "--create", "--root=" + str(tmp_path),
                        os.path.join(SRCDIR, "packaging", "tmpfiles.d", "collect.conf")],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    for d in ["var/lib/collect", "var/spool/collect"]:
        st = os.stat(tmp_path / d)
        assert stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o700, d


def control_fields():
    with open(os.path.join(SRCDIR, "packaging", "debian", "control")) as f:
        text = f.read()
    binary = text.split("\nPackage:", 1)[1]
    fields, key = {}, None
    for line in binary.splitlines():
        if line[:1] in (" ", "\t") and key:
            fields[key] += " " + line.strip()
        elif ":" in line:
            key, _, v = line.partition(":")
            fields[key] = v.strip()
    return fields


def dep_names(value):
    return {re.split(r"[\s(]", d.strip())[0] for alt in value.split(",")
            for d in alt.split("|") if d.strip()}


def test_deb_declares_dlopened_libraries():
    deps = dep_names(control_fields()["Depends"])
    assert {"libcurl4", "libmicrohttpd12", "${shlibs:Depends}"} <= deps
    with open(os.path.join(SRCDIR, "agent", "basic", "curl-dl.c")) as f:
        assert "libcurl.so.4" in f.read()
    with open(os.path.join(SRCDIR, "agent", "monitor", "mhd-dl.c")) as f:
        assert "libmicrohttpd.so.12" in f.read()


@pytest.mark.skipif(not shutil.which("dpkg-query"), reason="not a Debian system")
def test_deb_declares_the_commands_of_the_default_policy():
    with open(os.path.join(SRCDIR, "policies", "collection.yaml")) as f:
        argv0 = set(re.findall(r"argv:\s*\[\s*([A-Za-z0-9_.-]+)", f.read()))
    assert {"ip", "ps", "dmesg"} <= argv0
    fields = control_fields()
    declared = dep_names(fields["Depends"]) | dep_names(fields.get("Recommends", ""))
    for cmd in sorted(argv0):
        path = shutil.which(cmd)
        if not path:
            continue
        real = os.path.realpath(path)
        owner = None
        for candidate in {path, real, "/usr" + path if not path.startswith("/usr") else path,
                          path.replace("/usr", "", 1)}:
            p = subprocess.run(["dpkg-query", "-S", candidate], capture_output=True, text=True)
            if p.returncode == 0:
                owner = p.stdout.split(":")[0].strip()
                break
        if owner is None:
            continue
        essential = subprocess.run(["dpkg-query", "-W", "-f=${Essential}", owner],
                                   capture_output=True, text=True).stdout.strip()
        assert owner in declared or essential == "yes", f"{cmd} comes from {owner}"


def test_rpm_spec_has_the_same_files():
    with open(os.path.join(SRCDIR, "packaging", "rpm", "collect.spec")) as f:
        spec = f.read()
    for needle in ["%config(noreplace) %{_sysconfdir}/collect/collect.yaml", "collect.8",
                   "collect.yaml.5", "collect-policies.5", "%{_tmpfilesdir}/collect.conf",
                   "Requires:       libcurl", "Requires:       libmicrohttpd", "%license LICENSE",
                   "NO_DEPS=1"]:
        assert needle in spec, needle


@pytest.mark.parametrize("testing,fixed", [("1", True), (None, False), ("0", False)])
def test_test_hooks_act_only_under_collect_testing(tmp_path, testing, fixed):
    """The installed binary is the tested one: its fixed clock (COLLECT_TEST_NOW)
    acts only when COLLECT_TESTING=1, which a host never sets."""
    env = {k: v for k, v in os.environ.items() if k != "COLLECT_TESTING"}
    env["COLLECT_TEST_NOW"] = "2001-02-03T04:05:06Z"
    if testing is not None:
        env["COLLECT_TESTING"] = testing
    (tmp_path / "c.yaml").write_text("{}\n")
    p = subprocess.run([BIN, "--json", "-q", "--root", os.path.join(SRCDIR, "tests", "data", "root"),
                        "--config", str(tmp_path / "c.yaml"), "--output", str(tmp_path),
                        "--state-dir", str(tmp_path / "state"), "--spool-dir",
                        str(tmp_path / "spool"), "--since", "2h"],
                       capture_output=True, text=True, timeout=120, env=env,
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stderr
    name = os.path.basename(json.loads(p.stdout)["bundle"]["path"])
    assert ("20010203T040506Z" in name) == fixed, name
