#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The layer gate (`make check-layers`): the include graph of agent/ and
collectors/, measured from the code.

Nodes are the .c files of agent/ and collectors/. A .c file depends on the
headers it includes; a header stands for its implementation, the .c file of
the same name (`ticket/spool.h` is `agent/ticket/spool.c`; a `-agent` or
`-internal` suffix names the same module: `pipeline/sink-agent.h` is
`agent/pipeline/sink.c`). The contract headers in include/ resolve to the
agent file that implements them (`sink.h` is `agent/pipeline/sink.c`), so a
collector that calls the sink depends on the sink. A header without an
implementation (macros, types only) passes its own includes on.

Reported, and failing beyond the limits:
  - circles between files (strongly connected components), except those
    inside one collector folder: limit 0;
  - layers: the number of files on the longest include path, circles counted
    as one file: limit 11;
  - upward dependencies: an include from a folder to a folder above it in
    FOLDER_ORDER (README "Hacking" lists the same order): limit 10.

`--verbose` lists every upward edge and the longest path.
"""

import os
import re
import sys

MAX_LAYERS = 11
MAX_UPWARD = 10

# The order the code follows, lowest first: a folder may include its own
# folder and the folders before it. All collectors/<name>/ folders share one
# rank; include/ is not a folder of its own here, its headers resolve to
# their implementation. Collectors sit above agent/pipeline/ because the sink
# they write to (include/sink.h) is implemented there; the pipeline reaches
# the collectors only through the registry's table of descriptors, a link
# and not an include.
FOLDER_ORDER = [
    "agent/basic",
    "agent/policy",
    "agent/redact",
    "agent/analysis",
    "agent/ticket",
    "agent/pipeline",
    "collectors",
    "agent/monitor",
    "agent/cli",
    "agent",  # main.c
]

INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
SUFFIXES = ("-agent", "-internal")


def folder_of(path):
    parts = path.split("/")
    if parts[0] == "collectors":
        return "collectors"
    return "/".join(parts[:-1])


def rank(path):
    return FOLDER_ORDER.index(folder_of(path))


def includes_of(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return INCLUDE_RE.findall(text)


def locate(src, name):
    """The file `#include "name"` in src finds: its own folder, then -Iinclude, then -Iagent."""
    for base in (os.path.dirname(src), "include", "agent"):
        cand = os.path.normpath(os.path.join(base, name))
        if os.path.isfile(cand):
            return cand
    return None


def implementation(header, sources):
    """The .c file that implements header, or None for a header-only file."""
    d, base = os.path.split(header)
    stem = base[:-2]
    for suffix in SUFFIXES:
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
    if d == "include":
        cands = [s for s in sources if s.startswith("agent/") and os.path.basename(s) == stem + ".c"]
        if len(cands) > 1:
            sys.exit(f"check-layers: {header} has more than one implementation: {cands}")
        return cands[0] if cands else None
    cand = os.path.join(d, stem + ".c")
    return cand if cand in sources else None


def build_graph(sources):
    graph = {s: set() for s in sources}
    unresolved = set()

    def deps_of_header(header, seen):
        impl = implementation(header, sources)
        if impl:
            return {impl}
        out = set()
        for name in includes_of(header):
            h = locate(header, name)
            if h is None:
                unresolved.add((header, name))
            elif h not in seen:
                seen.add(h)
                out |= deps_of_header(h, seen) if h.endswith(".h") else {h}
        return out

    for src in sources:
        for name in includes_of(src):
            h = locate(src, name)
            if h is None:
                unresolved.add((src, name))
                continue
            for dep in deps_of_header(h, {h}) if h.endswith(".h") else {h}:
                if dep != src:
                    graph[src].add(dep)
    return graph, unresolved


def tarjan(graph):
    index, low, onstack, stack, sccs = {}, {}, set(), [], []
    counter = [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        onstack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in onstack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                onstack.discard(w)
                comp.append(w)
                if w == v:
                    break
            sccs.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sccs


def longest_path(graph, sccs):
    comp_of = {v: i for i, c in enumerate(sccs) for v in c}
    cgraph = {i: set() for i in range(len(sccs))}
    for v, ws in graph.items():
        for w in ws:
            if comp_of[v] != comp_of[w]:
                cgraph[comp_of[v]].add(comp_of[w])
    depth, nxt = {}, {}

    def d(i):
        if i not in depth:
            best, arg = 0, None
            for j in cgraph[i]:
                if d(j) > best:
                    best, arg = d(j), j
            depth[i], nxt[i] = best + 1, arg
        return depth[i]

    start = max(range(len(sccs)), key=lambda i: (d(i), sccs[i][0]))
    path, i = [], start
    while i is not None:
        path.append(sccs[i][0] if len(sccs[i]) == 1 else "{" + ", ".join(sccs[i]) + "}")
        i = nxt[i]
    return depth[start], path


def main(argv):
    verbose = "--verbose" in argv or "-v" in argv
    sources = set()
    for top in ("agent", "collectors"):
        for root, _, files in os.walk(top):
            sources |= {os.path.join(root, f) for f in files if f.endswith(".c")}
    for s in sorted(sources):
        if folder_of(s) not in FOLDER_ORDER:
            sys.exit(f"check-layers: {s}: folder {folder_of(s)} is not in FOLDER_ORDER")

    graph, unresolved = build_graph(sources)
    sccs = tarjan(graph)
    circles = [c for c in sccs if len(c) > 1
               and not (len({os.path.dirname(v) for v in c}) == 1 and c[0].startswith("collectors/"))]
    layers, path = longest_path(graph, sccs)
    upward = sorted((v, w) for v, ws in graph.items() for w in ws if rank(w) > rank(v))

    bad = 0
    for v, name in sorted(unresolved):
        print(f"{v}: #include \"{name}\" not found in its folder, include/ or agent/")
        bad += 1
    for c in circles:
        print(f"circle of {len(c)} files (each reaches the others): " + ", ".join(c))
    if circles:
        bad += 1
    print(f"check-layers: {len(sources)} files, {sum(map(len, graph.values()))} dependencies, "
          f"{len(circles)} circles (limit 0), {layers} layers (limit {MAX_LAYERS}), "
          f"{len(upward)} upward dependencies (limit {MAX_UPWARD})")
    print("  folder order: " + " < ".join(FOLDER_ORDER))
    if layers > MAX_LAYERS or verbose:
        print("  longest path: " + " -> ".join(path))
    if len(upward) > MAX_UPWARD or verbose:
        for v, w in upward:
            print(f"  upward: {v} -> {w}  ({folder_of(v)} < {folder_of(w)})")
    if layers > MAX_LAYERS:
        bad += 1
    if len(upward) > MAX_UPWARD:
        bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    os.chdir(os.environ.get("COLLECT_SRCDIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")))
    sys.exit(main(sys.argv[1:]))
