#!/bin/sh
# SPDX-License-Identifier: ISC
# Run every integration test script (tests/integration/t-*.sh) in order;
# each starts the real servers it needs on loopback and cleans up after.
#
# One Docker engine serves the whole run: if none answers, dockerd is
# started here (it works on Debian 12 as root) and stopped by its PID at
# the end, so the Docker tests do not each pay for a daemon start.
#
#   tests/integration/run-all.sh [t-name ...]     (default: all)
#
# Prints "integration: N passed, N failed" at the end.
set -u
here=$(cd "$(dirname "$0")" && pwd)
pass=0
fail=0
failed=""
logdir=$(mktemp -d /tmp/sg-run-all.XXXXXX)
SG_TOP=$(cd "$here/../.." && pwd)
. "$SG_TOP/deploy/lib/all.sh"
SG_DOCKERD_PID=""

trap 'sg_dockerd_stop "$SG_DOCKERD_PID"; rm -rf "$logdir"' EXIT
trap 'exit 130' INT TERM

# (A running engine gets gVisor registered as runsc: sg_dockerd_ensure.)
if [ "$(id -u)" -eq 0 ] && command -v dockerd >/dev/null; then
	docker info >/dev/null 2>&1 ||
	    echo "starting dockerd for the integration run"
	sg_dockerd_ensure /var/run/docker.sock "$logdir/dockerd.log" || true
fi

if [ $# -gt 0 ]; then
	list=""
	for n in "$@"; do
		list="$list $here/${n%.sh}.sh"
	done
else
	list=$(ls "$here"/t-*.sh)
fi

for t in $list; do
	[ -e "$t" ] || { echo "no such test: $t"; fail=$((fail + 1)); continue; }
	name=$(basename "$t" .sh)
	echo "=== $name"
	start=$(date +%s)
	if sh "$t"; then
		pass=$((pass + 1))
		echo "--- PASS $name ($(( $(date +%s) - start )) s)"
	else
		fail=$((fail + 1))
		failed="$failed $name"
		echo "--- FAIL $name ($(( $(date +%s) - start )) s)"
	fi
done
[ -n "$failed" ] && echo "failed:$failed"
echo "integration: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
