#!/bin/sh
# SPDX-License-Identifier: ISC
# Audit trails that a flood cannot forge or flush (issue 16.4), against
# the real stack (Apache, token-verify, session-query behind lighttpd,
# Redis), with the shared stream capped small (SANDGATE_AUDIT_MAXLEN=200)
# so that a flood rolls it over:
#   1. sandbox A makes a few allowed requests; sandbox B (a valid token)
#      floods 1500 requests to a host it may not reach, and a third
#      party floods 1500 with A's name and no valid token;
#   2. A's trail (GET /v1/sessions/A/decisions) still holds exactly A's
#      allowed requests: nothing of the forged flood, nothing evicted;
#   3. B's trail holds its denials aggregated: a few entries whose
#      decision_repeated counts add up to the flood; the forged name
#      made no trail of its own; per-sandbox trails expire.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-stack.sh"
here=$(cd "$(dirname "$0")" && pwd)

sg_setup
SG_PROCS=2
export SANDGATE_AUDIT_MAXLEN=200

stk_init
stk_start
stk_sessions
OK_URL="http://127.0.0.1:$SG_TARGET_PORT/ok"
BAD_URL="http://127.0.0.1:$((SG_TARGET_PORT + 1))/"

api()
{
	curl -s -o "$T/body" -w '%{http_code}' --max-time 10 \
	    -H "Authorization: Bearer $STK_OP_READ" "$STK_API$1" || true
}
# fetch ID: ID's trail into $T/body; count JQ-FILTER: entries matching
fetch()
{
	sg_check "trail of $1 readable" 200 "$(api "/v1/sessions/$1/decisions?limit=1000")"
}
count()
{
	jq "[.decisions[] | select($1)] | length" "$T/body"
}


echo "# 1. A's allowed requests, then two floods"
for i in 1 2 3; do
	sg_check "A: allowed request $i" 200 "$(curl -s -o /dev/null -w '%{http_code}' \
	    --max-time 10 --proxy "$STK_PROXY" \
	    --proxy-header "Proxy-Authorization: $(stk_basic "$STK_A" "$STK_TOK_A")" \
	    "$OK_URL")"
done
sg_check "B floods a host it may not reach: all 403" "403=1500" \
    "$(python3 "$here/proxy-flood.py" "$SG_PROXY_PORT" "container_$STK_B:jwt_$STK_TOK_B" "$BAD_URL" 1500)"
sg_check "a forged flood in A's name: all 407" "407=1500" \
    "$(python3 "$here/proxy-flood.py" "$SG_PROXY_PORT" \
    "container_$STK_A:jwt_eyJhbGciOiJFUzI1NiJ9.e30.AAAA" "$OK_URL" 1500)"
# Each worker writes its open repeat count with its next entry, or when
# it stops: stop them, so that every count is in.
sg_run_kill token-verify-egress
sleep 0.3

echo "# 2. A's trail"
sg_check "the shared stream was rolled over" 1 \
    "$([ "$(stk_redis XLEN sandgate:audit)" -lt 1000 ] && echo 1)"
fetch "$STK_A"
sg_check "A's trail: its 3 allowed requests" 3 \
    "$(count '.event == "decision" and .decision == "allow"')"
sg_check "A's trail: nothing of the forged flood" 0 \
    "$(count '.decision == "deny"')"
sg_check "A's trail: complete" true "$(jq .complete "$T/body")"

echo "# 3. B's trail: the flood, aggregated"
fetch "$STK_B"
n_b=$(count '.decision == "deny"')
sum_b=$(jq '[.decisions[] | select(.decision == "deny") |
    if .event == "decision_repeated" then .count else 1 end] | add' "$T/body")
echo "# B's 1500 denials: $n_b entries"
sg_check "B's denials add up to the flood" 1500 "$sum_b"
sg_check "in a few entries (at most 2 a second per worker)" 1 \
    "$([ "$n_b" -le 60 ] && echo 1)"
sg_check "the forged name made no trail of its own" 0 \
    "$(stk_redis EXISTS "sandgate:audit:sandbox_FFFFFFFFFFFFFFFFFFFFFF")"
ttl=$(stk_redis TTL "sandgate:audit:$STK_A")
sg_check "A's trail expires (TTL $ttl s, at most 7 days)" 1 \
    "$([ "$ttl" -gt 0 ] && [ "$ttl" -le 604800 ] && echo 1)"

sg_done
