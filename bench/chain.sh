#!/bin/sh
# SPDX-License-Identifier: ISC
# bench/chain.sh: what chaining the per-sandbox audit trail (lib/chain.h)
# adds per decision, next to today's decision cost.
#   - the decision: verify_decide's "handle" (token-verify's whole warm
#     decision with its response and log line, CPU time per decision);
#   - the audit entry before and after chaining: bench/chain_cost old|new
#     (this process's CPU per entry), and Redis's CPU per entry for each
#     (INFO cpu around the run); "new" one entry per push (a worker that
#     serves one request per wake-up) and eight per push (a batch, as a
#     loaded worker sends them: lib/audit.h, Batches).
# Prints a table and writes bench/results/chain.json.
#   SG_BUILD=<build dir> N=20000 bench/chain.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
SG_BUILD=${SG_BUILD:-$(cd "$here/.." && pwd)}
N=${N:-20000}
KEY=$here/../tests/data/test-key-1.pem
dir=$(mktemp -d /tmp/sg-chain.XXXXXX)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
redis-server --port 0 --unixsocket "$dir/r.sock" --save '' \
    --appendonly no --daemonize no >"$dir/redis.log" 2>&1 &
pid=$!
for _ in $(seq 50); do
	[ -S "$dir/r.sock" ] && break
	sleep 0.1
done
url="unix:$dir/r.sock"
rcpu()
{
	redis-cli -s "$dir/r.sock" INFO cpu | tr -d '\r' | awk -F: '
	    /^used_cpu_(user|sys):/ { t += $2 } END { printf "%.6f", t }'
}
run()
{
	redis-cli -s "$dir/r.sock" FLUSHALL >/dev/null
	_a=$(rcpu)
	_o=$("$SG_BUILD/bench/chain_cost" "$url" "$1" "$N" "${2:-1}")
	_b=$(rcpu)
	_c=$(printf '%s' "$_o" | sed 's/.*"cpu_ns_per_entry":\([0-9.]*\).*/\1/')
	_r=$(awk -v a="$_a" -v b="$_b" -v n="$N" 'BEGIN { printf "%.0f", (b - a) * 1e9 / n }')
	echo "$_c $_r"
}
set -- $(run old); old_c=$1 old_r=$2
set -- $(run new); new_c=$1 new_r=$2
# a worker that finds 8 requests waiting per wake-up: one batch of 8
set -- $(run new 8); b8_c=$1 b8_r=$2
# the decision: verify_decide reports decisions per CPU second
dec=$("$SG_BUILD/bench/verify_decide" "$KEY" 20000 "$url" 2>/dev/null)
handle=$(printf '%s' "$dec" | sed 's/.*"handle_warm_per_s":\([0-9.]*\).*/\1/')
dec_ns=$(awk -v h="$handle" 'BEGIN { printf "%.0f", 1e9 / h }')
awk -v oc="$old_c" -v nc="$new_c" -v or="$old_r" -v nr="$new_r" -v d="$dec_ns" \
    -v bc="$b8_c" -v br="$b8_r" 'BEGIN {
	printf "%-44s %10s\n", "per decision (CPU ns)", "ns"
	printf "%-44s %10.0f\n", "decision (verify_decide handle)", d
	printf "%-44s %10.0f\n", "audit entry, before chaining (client)", oc
	printf "%-44s %10.0f\n", "audit entry, chained (client)", nc
	printf "%-44s %10.0f\n", "Redis, before chaining", or
	printf "%-44s %10.0f\n", "Redis, chained", nr
	printf "%-44s %10.0f\n", "audit entry, chained, 8 per batch (client)", bc
	printf "%-44s %10.0f\n", "Redis, chained, 8 per batch", br
	printf "client: chaining adds %.0f ns = %.1f %% of a decision\n", nc - oc, (nc - oc) * 100 / d
	printf "Redis: chaining adds %.0f ns per decision (%.1f %% of a decision)\n", nr - or, (nr - or) * 100 / d
	printf "decision + audit entry (client + Redis): %.0f ns before, %.0f ns chained: ratio %.3f\n", d + oc + or, d + nc + nr, (d + nc + nr) / (d + oc + or)
	printf "batches of 8 against 1: client %.3f, Redis %.3f\n", bc / nc, br / nr
	printf "decision + audit entry, 8 per batch: %.0f ns: ratio %.3f to before chaining\n", d + bc + br, (d + bc + br) / (d + oc + or)
}'
mkdir -p "$here/results"
printf '{"decision_ns":%s,"old_client_ns":%s,"new_client_ns":%s,"old_redis_ns":%s,"new_redis_ns":%s,"batch8_client_ns":%s,"batch8_redis_ns":%s}\n' \
    "$dec_ns" "$old_c" "$new_c" "$old_r" "$new_r" "$b8_c" "$b8_r" >"$here/results/chain.json"
