#!/bin/sh
# SPDX-License-Identifier: MIT
# Log-file bundling against `tar czf` of the same files, and peak memory for a
# small and a large tree. Prints ratios (higher is better for throughput;
# the memory difference must stay under 2 MiB).
#   usage: tests/bench/bench-logs.sh PATH/TO/collect
#   BENCH_LOGS_MB (default 1024), BENCH_LOGS_SMALL_MB (default 10),
#   BENCH_DIR (default /var/tmp/collect-bench; generated trees are reused)
set -eu
BIN=$(readlink -f "${1:?usage: bench-logs.sh COLLECT_BIN}")
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BIG=${BENCH_LOGS_MB:-1024}
SMALL=${BENCH_LOGS_SMALL_MB:-10}
DIR=${BENCH_DIR:-/var/tmp/collect-bench}
mkdir -p "$DIR"
WORK=$(mktemp -d "$DIR/logs-run.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

tree() { # MB -> root directory
        root="$DIR/logs-$1M"
        if [ ! -f "$root/.done" ]; then
                rm -rf "$root"
                /usr/bin/python3 "$SRC/tests/bench/gen-logs.py" "$root" "$1"
                touch "$root/.done"
        fi
        echo "$root"
}

# Only the logs collector, every byte in the window and within budget.
mkdir -p "$WORK/policy" "$WORK/state" "$WORK/out" "$WORK/none"
cat > "$WORK/policy/bench.yaml" <<YAML
collectors: [logs]
budgets: {total: 64G, per_collector: 64G, per_file: 64G, collector_timeout: 3600s}
YAML
: > "$WORK/collect.yaml"

run_collect() { # root -> prints "seconds maxrss_kb"
        rm -rf "$WORK/out"/*
        /usr/bin/time -f "%e %M" -o "$WORK/time" "$BIN" --config "$WORK/collect.yaml" \
                --policy-dir "$WORK/policy" --root "$1" --journal-dir "$WORK/none" \
                --state-dir "$WORK/state" --spool-dir "$WORK/state" --output "$WORK/out" \
                --since 2026-11-20T00:00:00Z --until 2026-11-28T00:00:00Z -q >/dev/null 2>"$WORK/err" ||
                { echo "collect failed:" >&2; cat "$WORK/err" >&2; exit 1; }
        cat "$WORK/time"
}

big=$(tree "$BIG")
small=$(tree "$SMALL")
bytes=$(du -sb "$big/var/log" | cut -f1)

/usr/bin/time -f "%e" -o "$WORK/tar-time" tar czf "$WORK/tar.tar.gz" -C "$big" var/log
tar_s=$(cat "$WORK/tar-time")
set -- $(run_collect "$big")
big_s=$1 big_rss=$2
set -- $(run_collect "$small")
small_rss=$2

awk -v b="$bytes" -v t="$tar_s" -v c="$big_s" -v br="$big_rss" -v sr="$small_rss" \
        -v bm="$BIG" -v sm="$SMALL" 'BEGIN {
        printf "logs: %d MiB on disk: tar czf %.2fs, collect %.2fs\n", b / 1048576, t, c
        printf "logs: throughput ratio collect/tar = %.2f (target >= 0.80)\n", (c > 0 ? t / c : 0)
        printf "logs: peak RSS %d MiB tree %.1f MiB, %d MiB tree %.1f MiB, difference %.2f MiB (target < 2)\n",
                sm, sr / 1024, bm, br / 1024, (br - sr) / 1024
}'
