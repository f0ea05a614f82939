#!/bin/sh
# SPDX-License-Identifier: MIT
# `make style`: what clang-format (with the committed .clang-format) would
# change, as a unified diff to review, then a count. Never rewrites a file.
#   tests/style-diff.sh            the tree: agent/ collectors/ include/ tests/unit/
#   tests/style-diff.sh REV        only the files changed since REV (committed or not)
# Exits 0, or with STYLE_CHECK=1 (`make check-style`, part of `make test`) 1 when
# any line would change: the tree is kept formatted (`clang-format -i FILE`).
set -eu
command -v clang-format >/dev/null 2>&1 || { echo "style: clang-format is not installed (make deps)"; exit 0; }

if [ $# -gt 0 ]; then
        files=$(git diff --name-only --diff-filter=d "$1" -- 'agent/*.[ch]' 'collectors/*.[ch]' \
                'include/*.h' 'tests/unit/*.c' | sort -u)
else
        files=$(ls agent/*.c agent/*/*.[ch] collectors/*/*.[ch] include/*.h tests/unit/*.c)
fi

lines=0 nfiles=0
for f in $files; do
        [ -f "$f" ] || continue
        d=$(clang-format --style=file "$f" | diff -u --label "a/$f" --label "b/$f" "$f" - || true)
        [ -n "$d" ] || continue
        printf '%s\n' "$d"
        n=$(printf '%s\n' "$d" | grep -c '^-[^-]' || true)
        lines=$((lines + n))
        nfiles=$((nfiles + 1))
done
echo "style: clang-format would change $lines lines in $nfiles files" >&2
if [ "${STYLE_CHECK:-}" = 1 ] && [ "$lines" -gt 0 ]; then
        echo "style: run 'clang-format -i' on the files above" >&2
        exit 1
fi
