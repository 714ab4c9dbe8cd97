#!/bin/sh
# SPDX-License-Identifier: ISC
# A per-sandbox request budget (issue 16.1), against the real stack
# (Apache, token-verify, session-query behind lighttpd, Redis): sandbox A
# with a budget of 5 requests gets 5 through and the 6th refused with 429
# budget_exhausted (a sentence naming the requests budget) and nothing
# reaching the target; sandbox B, without a budget, keeps passing; GET
# /v1/sessions/A shows the budget and what was used; the refusal is
# counted in sandgate_budget_exhausted_total{kind="requests"}; the
# counter key lives as long as the session.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-stack.sh"

sg_setup
SG_PROCS=2

stk_init
stk_start
stk_sessions
OK_URL="http://127.0.0.1:$SG_TARGET_PORT/ok"

# A's session as sandbox-create writes it for "budget":{"requests":5}
s=$(stk_redis GET "sandgate:session:$STK_A" | jq -c '. + {budget: {requests: 5}}')
stk_redis SET "sandgate:session:$STK_A" "$s" KEEPTTL >/dev/null
sleep 1.2	# past SANDGATE_SESSION_CACHE_MS

get()	# ID TOKEN: status, body in $T/body
{
	curl -s -o "$T/body" -w '%{http_code}' --max-time 10 \
	    --proxy "$STK_PROXY" \
	    --proxy-header "Proxy-Authorization: $(stk_basic "$1" "$2")" \
	    "$OK_URL" || true
}

echo "# 1. A: 5 allowed, then 429"
for i in 1 2 3 4 5; do
	sg_check "A: request $i of 5 allowed" 200 "$(get "$STK_A" "$STK_TOK_A")"
done
sg_check "A: request 6 refused" 429 "$(get "$STK_A" "$STK_TOK_A")"
sg_check "A: the code is budget_exhausted" budget_exhausted \
    "$(jq -r .error "$T/body" 2>/dev/null || cat "$T/body")"
sg_check "A: the sentence names the requests budget" 1 \
    "$(grep -c 'budget of requests' "$T/body")"
sg_check "A: still refused" 429 "$(get "$STK_A" "$STK_TOK_A")"

echo "# 2. B has no budget: it keeps passing"
for i in 1 2 3 4 5 6 7 8; do
	sg_check "B: request $i allowed" 200 "$(get "$STK_B" "$STK_TOK_B")"
done

echo "# 3. what A used, the counter key, the metric"
sg_check "GET /v1/sessions/A" 200 "$(curl -s -o "$T/sess" -w '%{http_code}' \
    --max-time 10 -H "Authorization: Bearer $STK_OP_READ" \
    "$STK_API/v1/sessions/$STK_A")"
sg_check "A's session shows its budget" 5 "$(jq .budget.requests "$T/sess")"
sg_check "A's session shows what it used" 5 "$(jq .budget_used.requests "$T/sess")"
sg_check "B's session has no budget" null "$(curl -s --max-time 10 \
    -H "Authorization: Bearer $STK_OP_READ" "$STK_API/v1/sessions/$STK_B" |
    jq -c .budget)"
sg_check "B is not counted" 0 "$(stk_redis EXISTS "sandgate:budget:$STK_B")"
ttl=$(stk_redis TTL "sandgate:budget:$STK_A")
sg_check "the counter expires with the session" 1 \
    "$([ "$ttl" -gt 3000 ] && echo 1)"
m=$(curl -s --max-time 10 -H "Authorization: Bearer $STK_OP" "$STK_API/metrics")
sg_check "sandgate_budget_exhausted_total{kind=requests}" 2 \
    "$(printf '%s\n' "$m" | sed -n 's/^sandgate_budget_exhausted_total{kind="requests"} \([0-9]*\)$/\1/p' |
    awk '{ n += $1 } END { print n + 0 }')"
sg_done
