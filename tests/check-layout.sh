#!/bin/sh
# SPDX-License-Identifier: ISC
# House limits on the C sources of lib/, services/ and tools/: no function
# longer than MAX_FN lines (120) and no lib/ file longer than MAX_FILE
# lines (900).  Functions are found by the KNF layout: the name starts a
# line ("name(" after the line holding the type) and the body ends at the
# first "}" in column 0.  Counted from the name line to the closing brace.
#
# Prints "file:line: name N lines" / "file: N lines" for each offender and
# exits 1 if there is any; -l lists every function's length instead
# (longest first).
# Usage: sh tests/check-layout.sh [-l]   (from anywhere inside the checkout)

MAX_FN=${MAX_FN:-120}
MAX_FILE=${MAX_FILE:-900}

top=$(git rev-parse --show-toplevel 2>/dev/null) || {
	echo "check-layout: not inside a git checkout" >&2
	exit 2
}
cd "$top" || exit 2

files=$(git ls-files 'lib/*.c' 'services/*.c' 'tools/*.c')

lengths()
{
	# shellcheck disable=SC2086
	awk '
	FNR == 1 { name = "" }
	/^[A-Za-z_][A-Za-z0-9_]*\(/ && !/;[ \t]*$/ && name == "" {
		name = $0
		sub(/\(.*/, "", name)
		start = FNR
		next
	}
	/^}/ && name != "" {
		printf "%d %s:%d: %s\n", FNR - start + 1, FILENAME, start, name
		name = ""
	}
	' $files
}

if [ "${1:-}" = -l ]; then
	lengths | sort -rn
	exit 0
fi

bad=0
out=$(lengths | awk -v max="$MAX_FN" '$1 > max { print $2 " " $3 " " $1 " lines" }')
if [ -n "$out" ]; then
	printf '%s\n' "$out"
	bad=1
fi
# shellcheck disable=SC2046
out=$(wc -l $(git ls-files 'lib/*.c' 'lib/*.h') | awk -v max="$MAX_FILE" \
    '$2 != "total" && $1 > max { print $2 ": " $1 " lines" }')
if [ -n "$out" ]; then
	printf '%s\n' "$out"
	bad=1
fi
exit $bad
