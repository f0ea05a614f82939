#!/bin/sh
# SPDX-License-Identifier: MIT
# Redaction benchmark (`make bench` runs it): on generated realistic logs,
#  1. redaction throughput of the default rules on one core (bench-redact),
#     target >= 200 MB/s, and with --mask;
#  2. a whole collection of those logs with redaction on versus off (every
#     rule disabled by a policy drop-in), target ratio >= 0.8;
#  3. `sos clean` on the same logs, if sos is installed (Debian: sosreport):
#     the ratio of its time to ours.
# Usage: bench-redact.sh COLLECT-BIN [BENCH-REDACT-BIN] [MEGABYTES]
# BENCH-REDACT-BIN defaults to build/tests/bench-redact (built from
# tests/bench/bench-redact.c); MEGABYTES defaults to 200.
set -eu

COLLECT=${1:?usage: bench-redact.sh COLLECT-BIN [BENCH-REDACT-BIN] [MEGABYTES]}
BENCH=${2:-build/tests/bench-redact}
MB=${3:-200}
SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/bench-redact.XXXXXX)
trap 'rm -rf "$WORK"' EXIT INT TERM

cpu() { # prints user+sys CPU seconds of the command
        /usr/bin/python3 - "$@" <<'EOF'
import os, subprocess, sys
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
u = os.times()
print("%.3f %d" % (u.children_user + u.children_system, r.returncode))
EOF
}

ratio() { /usr/bin/python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print('%.2f' % (a / b if b > 0 else 0))" "$1" "$2"; }

echo "== generating ${MB} MB of logs"
mkdir -p "$WORK/root/var/log" "$WORK/root/etc"
/usr/bin/python3 "$SRCDIR/tests/bench/gen-redact-logs.py" "$WORK/logs" "$MB"
cp "$WORK/logs/syslog" "$WORK/root/var/log/syslog"
mkdir -p "$WORK/root/var/log/nginx"
cp "$WORK/logs/access.log" "$WORK/root/var/log/nginx/access.log"

echo "== 1. redaction throughput (one core, default rules)"
if [ -x "$BENCH" ]; then
        "$BENCH" "$WORK/logs/syslog" "$WORK/logs/access.log" | tee "$WORK/t1"
        RATE=$(sed -n 's/^redact_mb_s //p' "$WORK/t1")
        echo "redaction MB/s: $RATE (target >= 200)"
        "$BENCH" --mask "$WORK/logs/syslog" "$WORK/logs/access.log" | sed -n 's/^redact_mb_s /with --mask MB\/s: /p'
else
        echo "skipped: $BENCH not built (cc tests/bench/bench-redact.c with libcollect.a)"
fi

echo "== 2. bundle with redaction on versus off"
mkdir -p "$WORK/off" "$WORK/out-on" "$WORK/out-off"
NAMES=$(sed -n 's/^    - name: \([a-z0-9-]*\)$/\1/p' "$SRCDIR/policies/redaction.yaml" | paste -sd, -)
printf 'redaction:\n  disable: [%s]\n' "$NAMES" > "$WORK/off/zz-redaction-off.yaml"
COMMON="--root $WORK/root --since 3000d --state-dir $WORK/state --spool-dir $WORK/spool --yes"
set -- $(cpu "$COLLECT" $COMMON --output "$WORK/out-on")
ON=$1; RC_ON=$2
set -- $(cpu "$COLLECT" $COMMON --policy-dir "$WORK/off" --output "$WORK/out-off")
OFF=$1; RC_OFF=$2
echo "collect CPU seconds: redaction on $ON (exit $RC_ON), off $OFF (exit $RC_OFF)"
echo "ratio throughput on/off: $(ratio "$OFF" "$ON") (target >= 0.8)"
ls -l "$WORK"/out-on/*.tar.gz "$WORK"/out-off/*.tar.gz 2>/dev/null | awk '{print $5, $NF}' || true

echo "== 3. sos clean on the same logs"
if command -v sos >/dev/null 2>&1; then
        # sos clean takes seconds per MB: it gets the first SOS_MB MB of the same syslog,
        # and the rates are compared. sos clean masks addresses and names, like --mask.
        SOS_MB=${SOS_MB:-10}
        mkdir -p "$WORK/sos/data/var/log" "$WORK/sos/data/sos_logs" "$WORK/sos/tmp" "$WORK/out-mask"
        head -c "$((SOS_MB * 1048576))" "$WORK/logs/syslog" > "$WORK/sos/data/var/log/syslog"
        set -- $(cpu timeout 3600 sos clean --batch --tmp-dir "$WORK/sos/tmp" "$WORK/sos/data")
        SOS=$1
        set -- $(cpu "$COLLECT" $COMMON --mask --output "$WORK/out-mask")
        MASK=$1
        rate() { /usr/bin/python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) / max(float(sys.argv[2]), 1e-3)))" "$1" "$2"; }
        SOS_RATE=$(rate "$SOS_MB" "$SOS")
        ON_RATE=$(rate "$MB" "$ON")
        MASK_RATE=$(rate "$MB" "$MASK")
        echo "sos clean: $SOS_RATE MB/s of CPU ($SOS_MB MB in $SOS s, exit $2)"
        echo "collect (redaction): $ON_RATE MB/s; collect --mask: $MASK_RATE MB/s"
        echo "ratio collect / sos clean: $(ratio "$ON_RATE" "$SOS_RATE"); with --mask: $(ratio "$MASK_RATE" "$SOS_RATE")"
else
        echo "skipped: sos not installed (apt-get install sosreport)"
fi
