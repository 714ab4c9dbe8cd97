#!/bin/sh
# Run every integration test script (tests/integration/t-*.sh) in order;
# each starts the real servers it needs on loopback and cleans up after.
# Prints "N passed, N failed" at the end.
set -u
here=$(cd "$(dirname "$0")" && pwd)
pass=0
fail=0
failed=""
for t in "$here"/t-*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .sh)
	echo "=== $name"
	if sh "$t"; then
		pass=$((pass + 1))
		echo "--- PASS $name"
	else
		fail=$((fail + 1))
		failed="$failed $name"
		echo "--- FAIL $name"
	fi
done
[ -n "$failed" ] && echo "failed:$failed"
echo "integration: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
