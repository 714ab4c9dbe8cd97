#!/bin/sh
# SPDX-License-Identifier: ISC
# A per-sandbox bytes budget (issue 16.1), against the real stack
# (Apache with its piped log into sandgate-budget-log, token-verify,
# Redis): sandbox A with "budget":{"bytes":10000} downloads 8000 bytes
# (allowed), 8000 more (allowed: it crosses the budget, the request
# that crosses completes), and the next request is refused with 429
# budget_exhausted, X-Sandgate-Reason and a sentence naming the bytes
# budget, counted in sandgate_budget_exhausted_total{kind="bytes"}; a
# CONNECT tunnel's bytes are counted when it closes; with Redis hung
# (SIGSTOP) the counter keeps reading its pipe (200,000 lines, more
# than a pipe holds, go through it in seconds: it drops and counts,
# never blocks Apache) and the proxy answers as token-verify decides
# (503); once Redis answers again bytes are counted again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-stack.sh"

sg_setup
SG_PROCS=2

stk_init
# CONNECT to the plain-HTTP target, for the tunnel.
SG_CONNECT_PORTS="$SG_TARGET_PORT"
stk_start
stk_sessions
BL=$SG_BUILD/services/token-verify/sandgate-budget-log
sg_check "Apache logs into the byte counter" 1 \
    "$(grep -c 'SG_BUDGET_LOG' "$SG_RUNDIR/apache/sites/00-budget-log.conf")"
head -c 8000 /dev/zero | tr '\0' x > "$T/target/ok/big"
BIG="http://127.0.0.1:$SG_TARGET_PORT/big"

budget()	# ID JSON: the session as sandbox-create writes it
{
	_s=$(stk_redis GET "sandgate:session:$1" | jq -c ". + {budget: $2}")
	stk_redis SET "sandgate:session:$1" "$_s" KEEPTTL >/dev/null
}
budget "$STK_A" '{"bytes": 10000}'
budget "$STK_B" '{"bytes": 1000000}'
sleep 1.2	# past SANDGATE_SESSION_CACHE_MS

get()	# ID TOKEN [curl args]: status, body in $T/body, headers in $T/hdr
{
	_id=$1 _tok=$2
	shift 2
	curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' --max-time 10 \
	    --proxy "$STK_PROXY" \
	    --proxy-header "Proxy-Authorization: $(stk_basic "$_id" "$_tok")" \
	    "$@" "$BIG" || true
}
bytes()	# ID: the byte counter
{
	_b=$(stk_redis HGET "sandgate:budget:$1" bytes)
	echo "${_b:-0}"
}
wait_bytes()	# ID MIN: until the counter reaches MIN (at most 5 s)
{
	_i=0
	while [ "$(bytes "$1")" -lt "$2" ] && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	bytes "$1"
}

echo "# 1. A: 8000 allowed, 8000 more allowed (crosses 10000), then 429"
sg_check "A: first 8000 bytes" 200 "$(get "$STK_A" "$STK_TOK_A")"
sg_check "A: the body came" 8000 "$(wc -c < "$T/body")"
b1=$(wait_bytes "$STK_A" 8000)
sg_check "A: counted (body and headers, in and out: 8000 < n < 10000)" 1 \
    "$([ "$b1" -gt 8000 ] && [ "$b1" -lt 10000 ] && echo 1)"
echo "# counted after the first download: $b1 bytes"
sg_check "A: next 8000 bytes (crosses the budget)" 200 \
    "$(get "$STK_A" "$STK_TOK_A")"
b2=$(wait_bytes "$STK_A" 16000)
sg_check "A: counted past the budget" 1 "$([ "$b2" -ge 16000 ] && echo 1)"
sg_check "A: then refused" 429 "$(get "$STK_A" "$STK_TOK_A")"
sg_check "A: the code is budget_exhausted" budget_exhausted \
    "$(jq -r .error "$T/body" 2>/dev/null || cat "$T/body")"
sg_check "A: X-Sandgate-Reason" 1 \
    "$(grep -ci '^X-Sandgate-Reason: budget_exhausted' "$T/hdr")"
sg_check "A: the sentence names the bytes budget" 1 \
    "$(grep -c 'budget of bytes' "$T/body")"
sg_check "A: a refusal costs no bytes" "$b2" "$(sleep 0.3; bytes "$STK_A")"
sg_check "A: still refused" 429 "$(get "$STK_A" "$STK_TOK_A")"
m=$(curl -s --max-time 10 -H "Authorization: Bearer $STK_OP" "$STK_API/metrics")
sg_check "sandgate_budget_exhausted_total{kind=bytes}" 2 \
    "$(printf '%s\n' "$m" | sed -n 's/^sandgate_budget_exhausted_total{kind="bytes"} \([0-9]*\)$/\1/p' |
    awk '{ n += $1 } END { print n + 0 }')"
sg_check "sandgate_budget_bytes_total{result=counted}" "$b2" \
    "$(printf '%s\n' "$m" | sed -n 's/^sandgate_budget_bytes_total{result="counted"} \([0-9]*\)$/\1/p' |
    awk '{ n += $1 } END { print n + 0 }')"

echo "# 2. B: a CONNECT tunnel's bytes are counted"
sg_check "B: a download through a tunnel" 200 \
    "$(get "$STK_B" "$STK_TOK_B" --proxytunnel)"
sg_check "B: the body came" 8000 "$(wc -c < "$T/body")"
tb=$(wait_bytes "$STK_B" 8000)
echo "# counted for the tunnel: $tb bytes"
sg_check "B: the tunnel's bytes counted" 1 "$([ "$tb" -ge 8000 ] && echo 1)"

echo "# 3. Redis hung: the counter never blocks its pipe"
rpid=$(cut -d" " -f1 "$SG_PIDDIR/redis.pid")
kill -STOP "$rpid"
sg_on_exit "kill -CONT $rpid 2>/dev/null"
t0=$(date +%s%3N)
# (for R, without a budget: an add that timed out is still run once
# Redis resumes, and would count against B)
awk -v id="$STK_R" 'BEGIN { for (i = 0; i < 200000; i++) print id, 100, 100 }' |
    timeout 30 "$BL" "$SG_RUNDIR/sandgate.env" 2>"$T/bl.err" && rc=0 || rc=$?
t1=$(date +%s%3N)
echo "# 200000 lines (about $((200000 * 40 / 1024)) KiB) read in $((t1 - t0)) ms with Redis hung"
sg_check "the counter read them all and ended (no timeout)" 0 "$rc"
sg_check "within 10 s" 1 "$([ $((t1 - t0)) -lt 10000 ] && echo 1)"
sg_check "it says Redis failed" 1 "$(grep -c 'dropping bytes' "$T/bl.err")"
code=$(get "$STK_B" "$STK_TOK_B")
t2=$(date +%s%3N)
sg_check "the proxy answers as token-verify decides (503)" 503 "$code"
sg_check "and does not hang" 1 "$([ $((t2 - t1)) -lt 5000 ] && echo 1)"
kill -CONT "$rpid"
sleep 1.5	# past the counter's back-off
before=$(bytes "$STK_B")
sg_check "B: allowed again" 200 "$(get "$STK_B" "$STK_TOK_B")"
after=$(wait_bytes "$STK_B" $((before + 8000)))
sg_check "B: counted again once Redis answers" 1 \
    "$([ "$after" -ge $((before + 8000)) ] && echo 1)"
sg_done
