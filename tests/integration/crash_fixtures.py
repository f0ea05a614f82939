# SPDX-License-Identifier: MIT
"""Crashes for tests: a journal (Journal Export Format -> systemd-journal-remote)
with systemd-coredump entries of two distinct crash signatures of one executable
(repeats of each, at other addresses), an unsymbolised crash, a unit crash loop,
an OOM kill, a kernel BUG with its call trace and a forged coredump entry; and a
root with an apport .crash file, a pstore panic record, a stored core and dpkg's
file lists.

    build_crash_journal(outdir, t0=None)  returns the facts planted
    build_crash_root(root, t0)            adds /var/crash, pstore, a core, dpkg lists
"""

import os

from journal_fixtures import COREDUMP_MESSAGE_ID, USEC, at, kernel_msg, systemd_msg, \
    write_journal

BOOT = "0123456789abcdef0123456789abcdef"
SECRET = "hunter2-crash-secret-4711"


def coredump(t, pid, exe, unit, signal, signum, frames, uid=998, filename=None, comm=None,
             forged=False, tid=None):
    """A systemd-coredump entry as systemd v25x writes it; frames are
    (function or None, module, offset) of the crashing thread."""
    comm = comm or os.path.basename(exe)[:15]
    lines = ["Process %d (%s) of user %d dumped core." % (pid, comm, uid), "",
             "Module %s from deb %s-2.4.1-1.amd64" % (exe, comm),
             "Stack trace of thread %d:" % (tid or pid)]
    base = 0x55d0c0000000 + pid * 0x1000           # ASLR: every process elsewhere
    for i, (fn, mod, off) in enumerate(frames):
        lines.append("#%-2d 0x%016x %s (%s + 0x%x)" % (i, base + off, fn or "n/a", mod, off))
    lines += ["", "Stack trace of thread %d:" % (pid + 7),
              "#0  0x00007f3a1c1021ad __poll (libc.so.6 + 0xe91ad)",
              "#1  0x%016x main (%s + 0x28f0)" % (base + 0x28f0, exe),
              "ELF object binary architecture: AMD x86-64"]
    e = {"SYSLOG_IDENTIFIER": "systemd-coredump", "_PID": str(pid + 100000),
         "_COMM": "evil-tool" if forged else "systemd-coredum",
         "_SYSTEMD_UNIT": "systemd-coredump@0-%d-0.service" % pid, "PRIORITY": "2",
         "_TRANSPORT": "journal", "MESSAGE_ID": COREDUMP_MESSAGE_ID,
         "COREDUMP_PID": str(pid), "COREDUMP_UID": str(uid), "COREDUMP_GID": str(uid),
         "COREDUMP_EXE": exe, "COREDUMP_COMM": comm, "COREDUMP_UNIT": unit,
         "COREDUMP_SIGNAL": str(signum), "COREDUMP_SIGNAL_NAME": signal,
         "COREDUMP_TIMESTAMP": str(t - t % USEC),
         "COREDUMP_CMDLINE": "%s --listen 0.0.0.0:8080 --password=%s" % (exe, SECRET),
         "MESSAGE": "\n".join(lines)}
    if filename:
        e["COREDUMP_FILENAME"] = filename
    return e


SEGV_STACK = [("segment_store_read", "app-server", 0x4a10),
              ("store_get.constprop.0", "app-server", 0x4c80),
              ("handle_request", "app-server", 0x51f0),
              ("worker_main", "app-server", 0x5a00),
              ("start_thread", "libc.so.6", 0x94ac3),
              ("__clone3", "libc.so.6", 0x126850)]
ABRT_STACK = [("__pthread_kill_implementation", "libc.so.6", 0x969fc),
              ("raise", "libc.so.6", 0x42476),
              ("abort", "libc.so.6", 0x287f3),
              ("__assert_fail_base.cold", "libc.so.6", 0x2871b),
              ("__assert_fail", "libc.so.6", 0x39e96),
              ("index_rebuild", "app-server", 0x7710),
              ("maintenance_loop", "app-server", 0x7c00),
              ("start_thread", "libc.so.6", 0x94ac3)]
STRIPPED_STACK = [(None, "legacyd", 0x1a2b), (None, "legacyd", 0x1c00),
                  (None, "libc.so.6", 0x29d90)]


def crash_entries(t0):
    """(entries, facts): t0 is the first crash (µs)."""
    m = 60 * USEC
    e = []
    core = "/var/lib/systemd/coredump/core.app-server.998.%s.5001.%d.zst" % (BOOT, t0 // USEC)
    segv = [(t0, 5001), (t0 + 5 * m, 5002), (t0 + 12 * m, 5003)]
    for i, (t, pid) in enumerate(segv):
        e.append((t, coredump(t, pid, "/usr/bin/app-server", "app.service", "SIGSEGV", 11,
                              SEGV_STACK, filename=core if i == 0 else None)))
        e.append((t + 200000, systemd_msg("app.service", 5,
                                          "Main process exited, code=dumped, status=11/SEGV")))
        e.append((t + 300000, systemd_msg("app.service", 4, "Failed with result 'core-dump'.")))
        e.append((t + 30 * USEC, systemd_msg("app.service", 6,
                  "Scheduled restart job, restart counter is at %d." % (i + 1))))
    abrt = [(t0 + 20 * m, 6001), (t0 + 27 * m, 6002)]
    for t, pid in abrt:
        e.append((t, coredump(t, pid, "/usr/bin/app-server", "app.service", "SIGABRT", 6,
                              ABRT_STACK)))
    e.append((t0 + 30 * m, coredump(t0 + 30 * m, 7001, "/usr/sbin/legacyd", "legacy.service",
                                    "SIGSEGV", 11, STRIPPED_STACK, uid=0)))
    # forged by an ordinary program with sd_journal_send: must not count
    e.append((t0 + 31 * m, coredump(t0 + 31 * m, 7100, "/usr/bin/app-server", "app.service",
                                    "SIGSEGV", 11, [("fake_frame", "app-server", 0x10)],
                                    forged=True)))
    t = t0 + 40 * m
    e.append((t, kernel_msg(4, "java invoked oom-killer: gfp_mask=0x140cca, order=0, "
                               "oom_score_adj=0")))
    e.append((t + 2000, kernel_msg(3, "Out of memory: Killed process 3131 (java) "
                                      "total-vm:4000000kB, anon-rss:2000000kB")))
    e.append((t + 100000, systemd_msg("worker.service", 4, "Failed with result 'oom-kill'.")))
    t = t0 + 45 * m
    oops = ["BUG: kernel NULL pointer dereference, address: 0000000000000008",
            "#PF: supervisor read access in kernel mode",
            "Oops: 0000 [#1] PREEMPT SMP NOPTI",
            "RIP: 0010:ext4_readdir+0x2a/0x60 [ext4]",
            "Call Trace:", " <TASK>", " ? __die+0x23/0x70",
            " iterate_dir+0x1b/0x180", " __x64_sys_getdents64+0x84/0x120",
            " do_syscall_64+0x5b/0x80", " </TASK>"]
    for i, line in enumerate(oops):
        e.append((t + i * 1000, kernel_msg(1 if i == 0 else 4, line)))
    e.sort(key=lambda x: x[0])
    facts = {"core": core, "segv_times": [t for t, _ in segv], "abrt_times": [t for t, _ in abrt],
             "t_last": t0 + 45 * m}
    return e, facts


def build_crash_journal(outdir, t0=None):
    t0 = t0 or at(2, 10, 0, 0)
    entries, facts = crash_entries(t0)
    write_journal(outdir, entries, name="crash.journal")
    facts["t0"] = t0
    return facts


APPORT = """ProblemType: Crash
Architecture: amd64
CoreDump: base64
 H4sICAAAAAAC/0NvcmVEdW1wAA==
 AAAAAAAAAAAAAAAAAAAAAAAAAAAA
Date: Fri Nov 27 10:50:00 2026
ExecutablePath: /usr/bin/tool
Package: tool 1.2-3
ProcCmdline: /usr/bin/tool --run
Signal: 11
StacktraceTop:
 parse_config (path=0x0) at config.c:42
 tool_main () at main.c:10
 __libc_start_main () from /lib/x86_64-linux-gnu/libc.so.6
"""

PSTORE = """<0>[ 1234.567890] Kernel panic - not syncing: Fatal exception in interrupt
<4>[ 1234.567900] CPU: 3 PID: 0 Comm: swapper/3 Not tainted 6.1.0-13-amd64
<4>[ 1234.567910] Call Trace:
<4>[ 1234.567920]  <IRQ>
<4>[ 1234.567930]  dump_stack_lvl+0x44/0x5c
<4>[ 1234.567940]  panic+0x118/0x2ed
<4>[ 1234.567950]  e1000_clean_rx_irq+0x3c1/0x3f0 [e1000]
"""

KDUMP = """[ 5000.100000] general protection fault, probably for non-canonical address 0xdead000000000100: 0000 [#1] SMP
[ 5000.100100] RIP: 0010:list_del_entry_valid+0x1a/0x90
[ 5000.100200] Call Trace:
[ 5000.100300]  <TASK>
[ 5000.100400]  nfs_inode_remove_request+0x3c/0x110 [nfs]
[ 5000.100500]  nfs_commit_release_pages+0x1d2/0x2c0 [nfs]
"""


def build_crash_root(root, t0):
    """Adds what a host keeps beside the journal, with mtimes in the window."""
    mtime = t0 // USEC + 50 * 60

    def put(rel, data, mode=0o644):
        p = os.path.join(root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        os.chmod(p, mode)
        os.utime(p, (mtime, mtime))
        return p

    put("var/crash/_usr_bin_tool.0.crash", APPORT, 0o640)
    put("sys/fs/pstore/dmesg-ramoops-0", PSTORE)
    put("var/crash/202611271055/vmcore-dmesg.txt", KDUMP)
    put("var/crash/202611271055/vmcore", b"ELF-core-stub")
    os.utime(os.path.join(root, "var/crash/202611271055"), (mtime, mtime))
    core = "var/lib/systemd/coredump/core.app-server.998.%s.5001.%d.zst" % (BOOT, t0 // USEC)
    put(core, b"\x28\xb5\x2f\xfd" + b"\0" * 4092, 0o640)
    put("var/lib/dpkg/info/app-server.list", "/.\n/usr\n/usr/bin\n/usr/bin/app-server\n"
        "/usr/share/doc/app-server\n")
    put("var/lib/dpkg/info/coreutils.list", "/.\n/usr/bin/ls\n")
    status = put("var/lib/dpkg/status.crash-fixture",
                 "Package: app-server\nStatus: install ok installed\nVersion: 2.4.1-1\n\n")
    target = os.path.join(root, "var/lib/dpkg/status")
    old = open(target).read() if os.path.exists(target) else ""
    with open(target, "w") as f:
        f.write(old.rstrip("\n") + ("\n\n" if old.strip() else "") + open(status).read())
    os.unlink(status)
