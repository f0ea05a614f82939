#!/bin/sh
# SPDX-License-Identifier: MIT
# `make bench`: every benchmark, each printing ratios against a reference run
# in the same process tree (tar czf, journalctl, sos clean), never bare
# timings alone. Not a timed test: it reports, it does not fail on a ratio.
#   usage: tests/bench/run.sh PATH/TO/collect PATH/TO/bench-redact
#   Sizes: BENCH_LOGS_MB (1024), BENCH_JOURNAL_ENTRIES (1000000), BENCH_REDACT_MB (100)
set -u
BIN=${1:?usage: run.sh COLLECT_BIN BENCH_REDACT_BIN}
REDACT=${2:?usage: run.sh COLLECT_BIN BENCH_REDACT_BIN}
DIR=$(dirname "$0")
status=0
for b in logs journal config; do
        echo "== bench-$b"
        sh "$DIR/bench-$b.sh" "$BIN" || status=1
done
echo "== bench-redact"
sh "$DIR/bench-redact.sh" "$BIN" "$REDACT" "${BENCH_REDACT_MB:-100}" || status=1
exit $status
