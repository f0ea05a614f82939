#!/bin/sh
# SPDX-License-Identifier: MIT
# `make bench`: every benchmark, each printing ratios against a reference run
# in the same process tree, never bare timings alone. Not a timed test: it
# reports (one RESULT line per benchmark, ratio and target), it does not fail
# the build on a ratio.
#   usage: tests/bench/run.sh PATH/TO/collect PATH/TO/bench-redact
#   Sizes: BENCH_LOGS_MB (500), BENCH_SMALL_FILES (20000), BENCH_JOURNAL_ENTRIES
#   (1000000; journal and journal-rich), BENCH_REDACT_MB (150), BENCH_CONFIG_FILES (10000); BENCH_RUNS (5);
#   BENCH_DIR (/var/tmp/collect-bench) keeps generated inputs between runs.
set -u
BIN=${1:?usage: run.sh COLLECT_BIN BENCH_REDACT_BIN}
REDACT=${2:?usage: run.sh COLLECT_BIN BENCH_REDACT_BIN}
DIR=$(dirname "$0")
status=0
/usr/bin/python3 "$DIR/bench.py" "$BIN" ${BENCH_ONLY:-} || status=1
if [ -z "${BENCH_ONLY:-}" ]; then
        echo "== bench config"
        sh "$DIR/bench-config.sh" "$BIN" "${BENCH_CONFIG_FILES:-10000}" || status=1
        echo "== redaction alone, one core (bench-redact)"
        mkdir -p "${BENCH_DIR:-/var/tmp/collect-bench}"
        W=$(mktemp -d "${BENCH_DIR:-/var/tmp/collect-bench}/redact-one.XXXXXX")
        /usr/bin/python3 "$DIR/gen-redact-logs.py" "$W" "${BENCH_REDACT_MB:-150}" >/dev/null &&
                "$REDACT" "$W/syslog" "$W/access.log" || status=1
        rm -rf "$W"
fi
exit $status
