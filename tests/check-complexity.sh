#!/bin/sh
# SPDX-License-Identifier: MIT
# The complexity gate (`make check-complexity`): Debian's pmccabe over agent/ and
# collectors/; a function longer than 120 lines or with a cyclomatic complexity
# over 40 fails, unless tests/complexity-allow.txt names it (file and function,
# never a line number, so the list cannot drift silently: an entry that no
# longer matches an offender is reported as stale and fails too).
set -eu
MAX_LINES=${MAX_LINES:-120}
MAX_CCN=${MAX_CCN:-40}
ALLOW=${ALLOW:-tests/complexity-allow.txt}

command -v pmccabe >/dev/null 2>&1 || { echo "check-complexity: pmccabe is not installed (make deps)"; exit 1; }

# pmccabe: modified-ccn traditional-ccn statements first-line lines file(line): function
pmccabe agent/*.c agent/*/*.c collectors/*/*.c 2>/dev/null | awk -v maxl="$MAX_LINES" -v maxc="$MAX_CCN" -v allowfile="$ALLOW" '
BEGIN {
        while ((getline line < allowfile) > 0) {
                sub(/#.*/, "", line)
                n = split(line, f, " ")
                if (n >= 2) { allowed[f[1] " " f[2]] = 1; seen[f[1] " " f[2]] = 0 }
        }
}
{
        file = $6; sub(/\(.*/, "", file)
        fn = $7
        if ($2 <= maxc && $5 <= maxl)
                next
        key = file " " fn
        if (key in allowed) { seen[key] = 1; next }
        printf "%s:%d: %s: %d lines, cyclomatic complexity %d (limits %d, %d): split it\n", file, $4, fn, $5, $2, maxl, maxc
        bad++
}
END {
        for (k in seen)
                if (!seen[k]) { printf "%s: stale entry \"%s\" (no longer over the limits): remove it\n", allowfile, k; bad++ }
        if (bad) exit 1
}'
