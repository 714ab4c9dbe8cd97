#!/bin/sh
# SPDX-License-Identifier: ISC
# What one decision costs Redis, and what one sandbox holds in it, for the
# capacity arithmetic of docs/scaling.md: the stack of
# tests/integration/lib-stack.sh (no Docker), N egress decisions through
# Apache + token-verify for one live sandbox, `INFO commandstats` before
# and after (calls per command per decision), then MEMORY USAGE of the
# session, the user index and the sandbox's audit stream.  Two passes:
# SANDGATE_SESSION_CACHE_MS=0 (every decision reads the session) and the
# default cache.  Not a test: prints a table.
#
#   SG_BUILD=/path/to/build bench/redis-cost.sh [N]
_build=${SG_BUILD:-}
. "$(dirname "$0")/../tests/integration/lib.sh"
SG_TOP=$(cd "$(dirname "$0")/.." && pwd)
SG_BUILD=${_build:-$SG_TOP}
SG_CLI=$SG_BUILD/tools/sandgate/sandgate
SG_DATA=$SG_TOP/tests/data
N=${1:-500}

sg_setup
. "$SG_TOP/tests/integration/lib-stack.sh"
SG_RUNTIME=runc

# stats: "command calls" lines of INFO commandstats
stats()
{
	stk_redis INFO commandstats | tr -d '\r' |
	    sed -n 's/^cmdstat_\([^:]*\):calls=\([0-9]*\),.*/\1 \2/p' | sort
}

# pass CACHE_MS
pass()
{
	export SANDGATE_SESSION_CACHE_MS=$1
	stk_init
	stk_start
	stk_sessions
	_u="container_$STK_A:jwt_$STK_TOK_A"
	_url="http://127.0.0.1:$SG_TARGET_PORT/"
	# warm up (connections, caches), then measure
	curl -s -o /dev/null -x "$STK_PROXY" -U "$_u" "$_url"
	sleep 0.3
	stats >"$T/before"
	_i=0
	while [ $_i -lt "$N" ]; do
		printf 'url = "%s"\noutput = "/dev/null"\n' "$_url"
		_i=$((_i + 1))
	done >"$T/urls"
	curl -s -w '%{http_code}\n' -x "$STK_PROXY" -U "$_u" \
	    -K "$T/urls" | sort | uniq -c >"$T/codes"
	sleep 0.5
	stats >"$T/after"
	echo "## SANDGATE_SESSION_CACHE_MS=$1, $N decisions ($(tr -s ' ' <"$T/codes" | tr '\n' ';'))"
	echo "| command | calls | per decision |"
	echo "|---|---:|---:|"
	join -a 2 -e 0 -o 0,1.2,2.2 "$T/before" "$T/after" |
	    awk -v n="$N" '{ d = $3 - $2; if (d > 0) { printf "| %s | %d | %.3f |\n", $1, d, d / n; t += d } }
	        END { printf "| all | %d | %.3f |\n", t, t / n }'
	echo
	echo "| key | bytes (MEMORY USAGE) |"
	echo "|---|---:|"
	for _k in "sandgate:session:$STK_A" "sandgate:user:$STK_USER" \
	    "sandgate:audit:$STK_A"; do
		echo "| $_k | $(stk_redis MEMORY USAGE "$_k" SAMPLES 0) |"
	done
	echo "| (entries in sandgate:audit:$STK_A) | $(stk_redis XLEN "sandgate:audit:$STK_A") |"
	echo "| used_memory | $(stk_redis INFO memory | tr -d '\r' | sed -n 's/^used_memory://p') |"
	echo
	sg_run_stop
	SG_RUNDIR="" STK_TOK_A=""
}

pass 0
pass 1000
