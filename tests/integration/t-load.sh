#!/bin/sh
# SPDX-License-Identifier: ISC
# Bounded load (issue 7, "Load and leaks"): 100,000 mixed decisions on
# loopback, half through Apache as the egress proxy (allowed, unlisted
# host, unlisted port, bad signature, revoked, another container's name,
# expired, no credentials) and half through lighttpd as the API gateway
# (operator read and list, a container's own session, another's, a
# forged X-Container-ID, no token, bad token, wrong scope, revoked, the
# JWKS, a token issued and one refused for lack of scope), both
# at once, with wrk and a Lua script that checks every answer against its
# request type.  Zero wrong decisions, zero 5xx, zero socket errors, no
# request at the witness that only a leak can reach, and the RSS of every
# sandgate process flat between the end of a warm-up and the end of the
# run (growth at most 2 MiB or 20 %).  The stack is run.sh's (its
# functions, deploy/ configs, spawn-fcgi -F 2 per service).
#
#   STK_LOAD_TOTAL=100000  decisions (split evenly between the servers)
#   STK_LOAD_SECONDS=240   hard time limit of each wrk run
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-stack.sh"

sg_setup
t0=$(date +%s)
TOTAL=${STK_LOAD_TOTAL:-100000}
LIMIT=${STK_LOAD_SECONDS:-240}
WARM=${STK_LOAD_WARM:-4000}
TH=4

stk_init
stk_start
stk_sessions
stk_plan_egress "$T/egress.plan"
stk_plan_api "$T/api.plan"

# One of each by curl first: the plans' expectations hold at all.
sg_check "curl: allowed egress" 200 "$(curl -s -m 10 -o /dev/null -w '%{http_code}' \
    -x "$STK_PROXY" -U "container_$STK_A:jwt_$STK_TOK_A" \
    "http://127.0.0.1:$SG_TARGET_PORT/ok")"
sg_check "curl: operator reads a session" 200 "$(curl -s -m 10 -o /dev/null \
    -w '%{http_code}' -H "Authorization: Bearer $STK_OP" \
    "$STK_API/v1/sessions/$STK_A")"

echo "# warm-up: $WARM decisions per server"
stk_wrk_start warm_e "$STK_PROXY" "$T/egress.plan" "$WARM" $TH 60
stk_wrk_start warm_a "$STK_API" "$T/api.plan" "$WARM" $TH 60
stk_wrk_wait warm_e
stk_wrk_wait warm_a
stk_judge warm_e "$T/egress.plan" strict
sg_check "warm-up egress: no wrong decision" 0 "$STK_WRONG"
stk_judge warm_a "$T/api.plan" strict
sg_check "warm-up API: no wrong decision" 0 "$STK_WRONG"
stk_rss "$T/rss.warm"

echo "# load: $TOTAL decisions, both servers at once"
HALF=$((TOTAL / 2))
tl=$(date +%s)
stk_wrk_start load_e "$STK_PROXY" "$T/egress.plan" "$HALF" $TH "$LIMIT"
stk_wrk_start load_a "$STK_API" "$T/api.plan" "$HALF" $TH "$LIMIT"
stk_wrk_wait load_e
stk_wrk_wait load_a
tl=$(( $(date +%s) - tl ))
stk_rss "$T/rss.end"

n_all=0
wrong_all=0
for w in load_e:egress load_a:api; do
	stk_judge "${w%%:*}" "$T/${w#*:}.plan" strict
	sg_check "${w#*:}: all $HALF answered" 1 "$([ "$STK_N" -ge "$HALF" ] && echo 1)"
	sg_check "${w#*:}: zero wrong decisions" 0 "$STK_WRONG"
	sg_check "${w#*:}: zero allows that should be denials" 0 "$STK_WRONG_ALLOW"
	sg_check "${w#*:}: zero 5xx" 0 "$STK_5XX"
	sg_check "${w#*:}: zero socket errors" 0 "$STK_SOCKERR"
	n_all=$((n_all + STK_N))
	wrong_all=$((wrong_all + STK_WRONG))
done
sg_check "nothing reached the leak witness" 0 "$(stk_leaks)"
echo "# load: $n_all decisions in $tl s, wrong decisions: $wrong_all"

echo "# RSS (kB) after warm-up -> after load"
# Same PIDs (nothing restarted), sandgate services within the bound;
# Apache, lighttpd and Redis are reported.
awk '
FNR == NR { w[$2] = $4; name[$2] = $1; comm[$2] = $3; next }
{
	d = $4 - w[$2]
	printf "#   %-22s %-16s pid %-7s %7s -> %7s (%+d)\n", $1, $3, $2, w[$2], $4, d
}' "$T/rss.warm" "$T/rss.end"
svc_re='^(token-verify|token-issuer|session-query|sandbox-create|sandbox-destroy)$'
sg_check "the same sandgate processes before and after" \
    "$(awk -v re="$svc_re" '$3 ~ re { print $2 }' "$T/rss.warm" | sort | tr '\n' ' ')" \
    "$(awk -v re="$svc_re" '$3 ~ re { print $2 }' "$T/rss.end" | sort | tr '\n' ' ')"
grown=$(awk -v re="$svc_re" '
FNR == NR { w[$2] = $4; next }
$3 ~ re && ($2 in w) {
	d = $4 - w[$2]
	if (d > 2048 && d > w[$2] * 0.20)
		printf "%s/%s %d->%d ", $3, $2, w[$2], $4
}' "$T/rss.warm" "$T/rss.end")
sg_check "RSS of every sandgate process flat (<= 2 MiB or 20 %)" "" "$grown"
sg_check "sandgate processes sampled" 1 \
    "$([ "$(awk -v re="$svc_re" '$3 ~ re' "$T/rss.end" | wc -l)" -ge 10 ] && echo 1)"

echo "# t-load took $(( $(date +%s) - t0 )) s"
sg_done
