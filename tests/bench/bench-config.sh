#!/bin/sh
# SPDX-License-Identifier: MIT
# Benchmark of configuration snapshots on a generated 10,000-file tree:
#  - a snapshot in which nothing changed vs the first snapshot (target <= 0.10);
#  - the first snapshot vs `tar czf` of the same files (time and size).
# Usage: sh tests/bench/bench-config.sh path/to/collect [files]
set -eu

COLLECT=${1:?usage: bench-config.sh path/to/collect [files]}
NFILES=${2:-10000}
RUNS=${BENCH_RUNS:-5}
case $COLLECT in /*) ;; *) COLLECT=$(pwd)/$COLLECT ;; esac

W=$(mktemp -d /tmp/bench-config.XXXXXX)
trap 'rm -rf "$W"' EXIT INT TERM
mkdir -p "$W/root/etc" "$W/policies"

# A deterministic tree of config-like text files, 100 directories, 60 B..12 KB.
/usr/bin/python3 - "$W/root/etc" "$NFILES" <<'PY'
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(1234)
words = ["listen", "server_name", "root", "include", "timeout", "user", "group", "port",
         "enabled", "true", "false", "/var/lib/app", "127.0.0.1", "# comment", "max_size",
         "workers", "log_level", "info", "debug", "path", "ssl", "on", "off"]
for i in range(n):
    d = os.path.join(root, "app%02d" % (i % 100), "conf.d" if i % 3 else "")
    os.makedirs(d, exist_ok=True)
    lines = []
    for _ in range(rnd.choice([2, 5, 10, 20, 40, 80, 200])):
        lines.append(" ".join(rnd.choice(words) for _ in range(rnd.randint(1, 6))))
    with open(os.path.join(d, "file%05d.conf" % i), "w") as f:
        f.write("\n".join(lines) + "\n")
PY
sleep 1 # let the files age past the snapshot's "racily clean" window

ms() { # run a command, print its wall time in ms
        t0=$(date +%s%N)
        "$@" >/dev/null 2>"$W/err" || { cat "$W/err" >&2; exit 1; }
        t1=$(date +%s%N)
        echo $(( (t1 - t0) / 1000000 ))
}
min() { sort -n | head -1; }

first_all=""; second_all=""; tar_all=""
for r in $(seq "$RUNS"); do
        rm -rf "$W/state"; mkdir -p "$W/state"
        sync
        first_all="$first_all $(ms "$COLLECT" snapshot -q --root "$W/root" --state-dir "$W/state" --policy-dir "$W/policies")"
        second_all="$second_all $(ms "$COLLECT" snapshot -q --root "$W/root" --state-dir "$W/state" --policy-dir "$W/policies")"
        tar_all="$tar_all $(ms tar czf "$W/etc.tar.gz" -C "$W/root" etc)"
done
first=$(echo $first_all | tr ' ' '\n' | min)
second=$(echo $second_all | tr ' ' '\n' | min)
tarms=$(echo $tar_all | tr ' ' '\n' | min)
store=$(du -sb "$W/state/snapshots" | cut -f1)
tgz=$(stat -c %s "$W/etc.tar.gz")
files=$(find "$W/root/etc" -type f | wc -l)
nidx=$(ls "$W/state/snapshots" | grep -c '\.idx$' || true)

echo "config snapshot benchmark: $files files, best of $RUNS runs"
echo "  first snapshot:            ${first} ms   (runs:$first_all)"
echo "  unchanged snapshot:        ${second} ms   (runs:$second_all)"
echo "  tar czf of the same files: ${tarms} ms   (runs:$tar_all)"
awk -v a="$second" -v b="$first" -v c="$tarms" -v s="$store" -v t="$tgz" 'BEGIN {
        r = b ? a / b : 0
        printf "  ratio unchanged/first:     %.3f (target <= 0.100) %s\n", r, r <= 0.1 ? "PASS" : "FAIL"
        printf "  ratio first/tar czf:       %.2f (time)\n", c ? b / c : 0
        printf "  ratio store/tar.gz size:   %.2f (%d bytes for %d snapshots vs %d bytes)\n", t ? s / t : 0, s, 2, t
}'
[ "$nidx" -ge 2 ] || { echo "expected 2 snapshots, found $nidx" >&2; exit 1; }
