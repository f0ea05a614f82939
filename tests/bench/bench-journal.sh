#!/bin/sh
# SPDX-License-Identifier: MIT
# Reading a one-day window out of a journal of BENCH_JOURNAL_ENTRIES entries
# (default one million, over two days), against
# `journalctl --directory … --since … --until … -o short-iso > /dev/null` on the
# same files. Prints the ratio journalctl time / collect time (target >= 1).
#   usage: tests/bench/bench-journal.sh PATH/TO/collect
#   BENCH_DIR (default /var/tmp/collect-bench; the generated journal is reused)
set -eu
BIN=$(readlink -f "${1:?usage: bench-journal.sh COLLECT_BIN}")
SRC=$(cd "$(dirname "$0")/../.." && pwd)
N=${BENCH_JOURNAL_ENTRIES:-1000000}
DIR=${BENCH_DIR:-/var/tmp/collect-bench}
mkdir -p "$DIR"
J="$DIR/journal-$N"
if [ ! -f "$J/.done" ]; then
        rm -rf "$J"
        /usr/bin/python3 "$SRC/tests/integration/journal_fixtures.py" --bulk "$N" "$J" >/dev/null
        touch "$J/.done"
fi
WORK=$(mktemp -d "$DIR/journal-run.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/policy" "$WORK/state" "$WORK/out" "$WORK/root"
cat > "$WORK/policy/bench.yaml" <<YAML
collectors: [journal]
budgets: {total: 64G, per_collector: 64G, per_file: 64G, collector_timeout: 3600s}
YAML
: > "$WORK/collect.yaml"
SINCE=2026-11-27T00:00:00Z
UNTIL=2026-11-28T00:00:00Z

/usr/bin/time -f "%e" -o "$WORK/jt" journalctl --directory="$J" --since "2026-11-27 00:00:00 UTC" \
        --until "2026-11-28 00:00:00 UTC" -o short-iso --no-pager >/dev/null
/usr/bin/time -f "%e %M" -o "$WORK/ct" "$BIN" --config "$WORK/collect.yaml" --policy-dir "$WORK/policy" \
        --root "$WORK/root" --journal-dir "$J" --state-dir "$WORK/state" --spool-dir "$WORK/state" \
        --output "$WORK/out" --since "$SINCE" --until "$UNTIL" --json -q >"$WORK/result.json" \
        2>"$WORK/err" || { cat "$WORK/err" >&2; exit 1; }
kept=$(/usr/bin/python3 -c "import json,sys; r=json.load(open(sys.argv[1])); \
print(sum(c.get('bytes', 0) for c in r['collectors'] if c['name'] == 'journal'))" "$WORK/result.json")
set -- $(cat "$WORK/ct")
awk -v j="$(cat "$WORK/jt")" -v c="$1" -v rss="$2" -v n="$N" -v k="$kept" 'BEGIN {
        printf "journal: %d entries, one-day window: journalctl -o short-iso %.2fs, collect %.2fs (%.1f MiB kept, peak RSS %.1f MiB)\n",
                n, j, c, k / 1048576, rss / 1024
        printf "journal: speed ratio journalctl/collect = %.2f (target >= 1.00)\n", (c > 0 ? j / c : 0)
}'
