# SPDX-License-Identifier: MIT
"""The crash collector through the real binary: a journal with two crash
signatures of one executable (and their repeats), an unsymbolised crash, a unit
crash loop, an OOM kill, a kernel BUG and a forged coredump entry; a root with
an apport file, a pstore record, a stored core and dpkg's lists. The bundle is
read back with tarfile."""

import json
import os

from conftest import open_bundle, run_collect
import crash_fixtures

WINDOW = ["--since", "2026-11-27T00:00:00Z", "--until", "2026-11-28T00:00:00Z"]


def collect(root, dirs, jdir, *extra):
    r = run_collect(["--root", str(root), "--journal-dir", str(jdir), "--output",
                     str(dirs["out"]), "--state-dir", str(dirs["state"]), "--spool-dir",
                     str(dirs["spool"]), "--policy-dir", str(dirs["policy"]), "--config",
                     str(dirs["config"]), "--json"] + WINDOW + list(extra))
    assert r.rc == 0, r
    members, _ = open_bundle(r.json["bundle"]["path"])
    return r, members


def plant(root, tmp_path):
    jdir = tmp_path / "journal"
    facts = crash_fixtures.build_crash_journal(str(jdir))
    crash_fixtures.build_crash_root(str(root), facts["t0"])
    return jdir, facts


def problem(crashes, title):
    hits = [p for p in crashes["problems"] if p["title"] == title]
    assert len(hits) == 1, [p["title"] for p in crashes["problems"]]
    return hits[0]


def test_crashes_and_problems(root, dirs, tmp_path):
    jdir, facts = plant(root, tmp_path)
    r, members = collect(root, dirs, jdir)
    assert [c for c in r.json["collectors"] if c["name"] == "crash"][0]["status"] == "ok"
    crashes = json.loads(members["crash/crashes.json"])
    cores = [c for c in crashes["crashes"] if c["source"] == "systemd-coredump"]
    # the forged entry (another program's _COMM) is not a crash
    assert sorted(c["pid"] for c in cores) == [5001, 5002, 5003, 6001, 6002, 7001]
    first = [c for c in cores if c["pid"] == 5001][0]
    assert first["uid"] == 998 and first["unit"] == "app.service"
    assert first["signal"] == "SIGSEGV" and first["exe"] == "/usr/bin/app-server"
    assert first["package"] == "app-server" and first["version"] == "2.4.1-1"
    assert first["core"] == {"present": True, "size": 4096, "path": facts["core"]}
    assert [f["function"] for f in first["frames"][:2]] == ["segment_store_read",
                                                           "store_get.constprop.0"]
    assert first["frames"][0] == {"function": "segment_store_read", "module": "app-server",
                                  "offset": 0x4a10}
    # the command line is there, its secret is not
    assert "--listen 0.0.0.0:8080" in first["cmdline"]
    for data in members.values():
        assert crash_fixtures.SECRET.encode() not in data

    # two signatures of one executable: two problems, each with its repeats
    segv = problem(crashes, "SIGSEGV in segment_store_read")
    abrt = problem(crashes, "SIGABRT in index_rebuild")
    assert segv["count"] == 3 and abrt["count"] == 2
    assert segv["signature"] != abrt["signature"]
    assert segv["keys"] == ["segment_store_read", "store_get", "handle_request", "worker_main"]
    assert abrt["keys"] == ["index_rebuild", "maintenance_loop"]   # raise/abort/assert skipped
    assert segv["summary"] == "app-server: SIGSEGV in segment_store_read, 3 crashes in 12 minutes"
    assert segv["first"] == "2026-11-27T10:00:00Z" and segv["last"] == "2026-11-27T10:12:00Z"
    assert {c["problem"] for c in cores if c["signal"] == "SIGSEGV" and c["pid"] < 6000} == \
        {crashes["problems"].index(segv)}
    # without symbols: module offsets
    legacy = problem(crashes, "SIGSEGV at legacyd+0x1a2b")
    assert legacy["kind"] == "address" and legacy["count"] == 1
    # the kernel's BUG with its call trace, apport's file, the pstore panic record
    bug = problem(crashes, "BUG: kernel NULL pointer dereference in ext4_readdir")
    assert bug["keys"][:2] == ["ext4_readdir", "iterate_dir"]
    tool = problem(crashes, "SIGSEGV in parse_config")
    assert tool["package"] == "tool" and tool["version"] == "1.2-3"
    panic = [p for p in crashes["problems"] if p["title"].startswith("Kernel panic")]
    assert len(panic) == 1 and panic[0]["keys"][0] == "e1000_clean_rx_irq"
    assert "crash/pstore/dmesg-ramoops-0" in members
    kdump = [p for p in crashes["problems"] if p["title"].startswith("general protection")]
    assert len(kdump) == 1 and kdump[0]["keys"][:2] == ["list_del_entry_valid",
                                                        "nfs_inode_remove_request"]
    assert [c["source"] for c in crashes["crashes"] if c["source"] == "kdump"] == ["kdump"]
    assert len(crashes["problems"]) == 7

    # a readable report per problem
    report = members[segv["report"]].decode()
    assert report.startswith(segv["summary"])
    assert "package: app-server 2.4.1-1" in report and "pid 5003" in report
    assert "segment_store_read (app-server + 0x4a10)" in report
    # no core unless the policy allows it
    assert not [m for m in members if m.startswith("crash/cores/")]

    # errors are not the crashes' text: no "dumped core" group, no stack frames
    errors = members["errors/errors.txt"].decode()
    assert "dumped core" not in errors and "segment_store_read" not in errors

    # findings per problem, not per executable
    manifest = json.loads(members["manifest.json"])
    found = [f for f in manifest["findings"] if f["kind"] == "crash"]
    details = sorted(f["detail"] for f in found)
    assert segv["summary"] in details and abrt["summary"] in details
    assert [f["count"] for f in found if f["detail"] == segv["summary"]] == [3]


def test_cores_by_policy(root, dirs, tmp_path):
    jdir, facts = plant(root, tmp_path)
    (dirs["policy"] / "cores.yaml").write_text("crash: {include_cores: true, "
                                                "max_core_size: 1M}\n")
    _, members = collect(root, dirs, jdir)
    core = "crash/cores/" + os.path.basename(facts["core"])
    assert core in members and len(members[core]) == 4096
    (dirs["policy"] / "cores.yaml").write_text("crash: {include_cores: true, "
                                                "max_core_size: 1K}\n")
    _, members = collect(root, dirs, jdir)
    assert core not in members


def test_nothing_outside_the_window(root, dirs, tmp_path):
    jdir, _ = plant(root, tmp_path)
    r = run_collect(["--root", str(root), "--journal-dir", str(jdir), "--output",
                     str(dirs["out"]), "--state-dir", str(dirs["state"]), "--spool-dir",
                     str(dirs["spool"]), "--config", str(dirs["config"]), "--json",
                     "--since", "2026-11-25T00:00:00Z", "--until", "2026-11-26T00:00:00Z"])
    assert r.rc == 0, r
    members, _ = open_bundle(r.json["bundle"]["path"])
    crashes = json.loads(members["crash/crashes.json"])
    assert crashes["crashes"] == [] and crashes["problems"] == []


CXX_POP = "_ZNK4demo5Queue3popERKSt6vectorIiSaIiEE"
CXX_TERMINATE = [("__pthread_kill_implementation", "libc.so.6", 0x969fc),
                 ("raise", "libc.so.6", 0x42476), ("abort", "libc.so.6", 0x287f3),
                 ("_ZN9__gnu_cxx27__verbose_terminate_handlerEv", "libstdc++.so.6", 0xa20aa),
                 ("_ZSt9terminatev", "libstdc++.so.6", 0xad0fc)]


def cxx_journal(jdir, t0):
    """Two crashes of one C++ bug: one build prints the const member, another (a rebuild)
    a clone of it with another parameter type; and a crash in another method."""
    m = 60 * crash_fixtures.USEC
    stacks = [
        CXX_TERMINATE + [(CXX_POP, "cxx-svc", 0x32c7),
                         ("_ZN4demo6workerEPv@@DEMO_1.0", "cxx-svc", 0x3400),
                         ("start_thread", "libc.so.6", 0x94ac3)],
        CXX_TERMINATE + [("_ZN4demo5Queue3popERKSt6vectorIlSaIlEE.constprop.0", "cxx-svc",
                          0x3300),
                         ("_ZN4demo6workerEPv", "cxx-svc", 0x3480),
                         ("start_thread", "libc.so.6", 0x94ac3)],
        [("_ZN4demo5Queue4pushEOi", "cxx-svc", 0x3900),
         ("_ZN4demo6workerEPv", "cxx-svc", 0x3400)],
    ]
    entries = [(t0 + i * m, crash_fixtures.coredump(
        t0 + i * m, 8001 + i, "/usr/bin/cxx-svc", "cxx.service",
        "SIGABRT" if i < 2 else "SIGSEGV", 6 if i < 2 else 11, st))
        for i, st in enumerate(stacks)]
    crash_fixtures.write_journal(str(jdir), entries, name="cxx.journal")


def test_cxx_frames_demangled(root, dirs, tmp_path):
    jdir = tmp_path / "journal"
    cxx_journal(jdir, crash_fixtures.at(2, 9, 0, 0))
    r, members = collect(root, dirs, jdir)
    crashes = json.loads(members["crash/crashes.json"])
    first = [c for c in crashes["crashes"] if c["pid"] == 8001][0]
    # for people: demangled with parameters; systemd's symbol kept beside it
    frame = [f for f in first["frames"] if f.get("symbol") == CXX_POP][0]
    assert frame["function"] == \
        "demo::Queue::pop(std::vector<int, std::allocator<int> > const&) const"
    assert [f["function"] for f in first["frames"]][3:5] == \
        ["__gnu_cxx::__verbose_terminate_handler()", "std::terminate()"]
    # the same bug in two builds is one problem: names without parameters, the
    # terminate machinery skipped like abort's
    pop = problem(crashes, "SIGABRT in demo::Queue::pop")
    assert pop["count"] == 2
    assert pop["keys"] == ["demo::Queue::pop", "demo::worker"]
    push = problem(crashes, "SIGSEGV in demo::Queue::push")
    assert push["signature"] != pop["signature"]
    report = members[pop["report"]].decode()
    # the stack of the latest crash, demangled
    assert "demo::Queue::pop(std::vector<long, std::allocator<long> > const&) " \
           "[clone .constprop.0] (cxx-svc + 0x3300)" in report
    assert "demo::worker(void*) (cxx-svc + 0x3480)" in report
    assert "_ZN" not in report


def test_kernel_lines_handed_on(tmp_path):
    """The crash collector takes the kernel's lines the journal collector's
    first pass kept (it read them all) instead of reading them again, with the
    same crashes and problems as when it reads them itself (the journal
    collector off), also when the first pass is read in two parts and a
    kernel BUG's trace crosses from the first into the second."""
    from journal_fixtures import at, kernel_msg, unit_msg, write_journal
    entries = [(at(2, 10) + k * 60 * 1000000, unit_msg("a.service", 6, "tick %d" % k))
               for k in range(121)]                     # 10:00 .. 12:00: the middle is 11:00
    entries.append((at(2, 10, 30), crash_fixtures.coredump(
        at(2, 10, 30), 4242, "/usr/bin/app-server", "app.service", "SIGSEGV", 11,
        crash_fixtures.SEGV_STACK)))
    oops = ["BUG: kernel NULL pointer dereference, address: 0000000000000008",
            "Oops: 0000 [#1] PREEMPT SMP NOPTI", "RIP: 0010:ext4_readdir+0x2a/0x60 [ext4]",
            "Call Trace:", " <TASK>", " iterate_dir+0x1b/0x180",
            " __x64_sys_getdents64+0x84/0x120", " do_syscall_64+0x5b/0x80", " </TASK>"]
    t = at(2, 11) - 2 * 1000000                          # the trace crosses 11:00
    for i, line in enumerate(oops):
        entries.append((t + i * 500000, kernel_msg(1 if i == 0 else 4, line)))
    for k in range(40):                                  # kernel chatter on both sides
        entries.append((at(2, 10, 5) + k * 150 * 1000000, kernel_msg(6, "eth0: up %d" % k)))
    entries.append((at(2, 11, 40), kernel_msg(0, "Kernel panic - not syncing: Fatal exception")))
    entries.sort(key=lambda e: e[0])
    jdir = tmp_path / "journal"
    write_journal(str(jdir), entries)
    results = {}
    for name, policy in (("here", "journal: {enabled: false}\n"),
                         ("kept", "journal: {parallel: no}\n"),
                         ("two", "journal: {parallel_min: 0}\n")):
        d = {}
        for sub in ("out", "state", "spool", "policy"):
            d[sub] = tmp_path / name / sub
            d[sub].mkdir(parents=True)
        d["config"] = tmp_path / name / "collect.yaml"
        d["config"].write_text("# no portal\n")
        (d["policy"] / "zz.yaml").write_text(policy)
        root = tmp_path / name / "root"
        root.mkdir()
        r, members = collect(root, d, jdir, "-vv")
        crashes = json.loads(members["crash/crashes.json"])
        results[name] = (r.err, {k: crashes[k] for k in ("crashes", "problems")})
    assert "the kernel's messages read here" in results["here"][0]
    assert "the kernel's messages as the journal collector kept them" in results["kept"][0]
    assert "the kernel's messages as the journal collector kept them" in results["two"][0]
    if not os.environ.get("COLLECT_SANITIZED"):  # see test_journal_units_read_in_two_parts
        assert "0 batches by a second reader" not in results["two"][0]
    here = results["here"][1]
    titles = sorted(p["title"] for p in here["problems"])
    assert len(titles) == 3, titles
    bug = problem(here, "BUG: kernel NULL pointer dereference in ext4_readdir")
    assert bug["keys"][:3] == ["ext4_readdir", "iterate_dir", "__x64_sys_getdents64"], bug
    assert results["kept"][1] == here
    assert results["two"][1] == here
