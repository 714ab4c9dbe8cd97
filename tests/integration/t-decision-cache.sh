#!/bin/sh
# SPDX-License-Identifier: ISC
# mod_sandgate_authz's decision cache (SandgateDecisionCache, issue 21,
# docs/performance.md option (h)), through the shipped egress site
# rendered for a second Apache with the module, a token-verify of its
# own (SANDGATE_SESSION_CACHE_MS 1000, the default), the piped budget
# log and the real stack's Redis:
#   - the same request again is let through on the kept allow: fewer
#     decisions than requests, the rest marked in the access log, for
#     GET and CONNECT alike;
#   - every request is still accounted for: token-verify's decision
#     says how long it may be reused (reuse_ms), and the requests let
#     through on it reach the sandbox's audit trail as decision_reused
#     entries whose counts add up to them, and the metric
#     sandgate_decisions_total{reason="reused"};
#   - nothing else rides on a kept allow: another target, another client
#     address (the token is bound to 127.0.0.1), tampered credentials
#     are each decided, and refused;
#   - a sandbox with a request budget gets no reuse (each request is
#     counted: the 6th of 5 is refused);
#   - a revocation (the session deleted, as DELETE does first) is seen
#     within SANDGATE_SESSION_CACHE_MS, with slack for a loaded machine;
#   - the directive refuses what it does not understand.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-stack.sh"

sg_setup
SGAMOD=$SG_BUILD/deploy/apache/mod_sandgate_authz.so
if [ ! -f "$SGAMOD" ]; then
	echo "skip: $SGAMOD not built (no apxs at configure time)"
	exit 0
fi

stk_init
# The plain target's port too, for the CONNECT checks (section 3).
SG_CONNECT_PORTS="443 $SG_TARGET_TLS_PORT $SG_TARGET_PORT"
stk_start
stk_sessions
M=$T/apache-mod
mkdir -p "$M/sites"
cp "$SG_RUNDIR/apache/sites/00-budget-log.conf" "$M/sites/"
MPORT=$(sg_free_port)
stk_apache_mod "$MPORT"
P=http://127.0.0.1:$MPORT
TGT=127.0.0.1:$SG_TARGET_PORT
TVLOG=$T/token-verify-mod.log
ALOG=$SG_LOGDIR/egress-mod-access.log
# (in the proxy's <Proxy "*">; the broker's location has its own)
sg_check "the rendered site turns the cache on" 1 \
    "$(sed -n '/<Proxy "\*">/,/<\/Proxy>/p' "$M/sites/egress.conf" |
        grep -c 'SandgateDecisionCache 1024')"

# decisions ID: token-verify's decision lines for sandbox ID so far
decisions()
{
	grep -F '"event":"decision"' "$TVLOG" |
	    grep -cF "\"container_id\":\"$1\"" || true
}
# statuses ID TOKEN N URL [curl args]: N requests on one kept connection
# (one Apache process), their statuses one per line
statuses()
{
	_id=$1 _tok=$2 _n=$3 _url=$4
	shift 4
	_i=0
	while [ $_i -lt "$_n" ]; do
		set -- "$@" -o /dev/null "$_url"
		_i=$((_i + 1))
	done
	curl -s -w '%{http_code}\n' --max-time 30 --proxy "$P" \
	    --proxy-header "Proxy-Authorization: $(stk_basic "$_id" "$_tok")" \
	    "$@" || true
}
get()	# ID TOKEN URL [curl args]: one status
{
	_gid=$1 _gtok=$2 _gurl=$3
	shift 3
	statuses "$_gid" "$_gtok" 1 "$_gurl" "$@" | tail -n 1
}
# reused_log TAG: access log lines with TAG let through on a kept allow
reused_log()
{
	sleep 0.3	# Apache writes the line after the answer
	grep -F "$1" "$ALOG" | grep -c ' 1$' || true
}

echo "# 1. the same GET 30 times on one connection"
U1="http://$TGT/ok?dc-get-$$"
d0=$(decisions $STK_A)
sg_check "30 allowed" "30" \
    "$(statuses $STK_A "$STK_TOK_A" 30 "$U1" | grep -c '^200$')"
# split D0 TAG N MAX WHAT: sets DEC (decided since D0) and REU (reused,
# the access log's lines with TAG); checks that 1 to MAX were decided
# (an Apache process's first request, and one per bound after) and that
# the two add up to N
split()
{
	DEC=$(($(decisions $STK_A) - $1))
	REU=$(reused_log "$2")
	echo "# $5: $DEC decided, $REU on a kept allow"
	sg_check "$5: 1 to $4 of $3 decided" 1 \
	    "$([ "$DEC" -ge 1 ] && [ "$DEC" -le "$4" ] && echo 1)"
	sg_check "$5: decided + reused = $3" "$3" "$((DEC + REU))"
}
split "$d0" "dc-get-$$" 30 14 "GET"
r1=$REU
sg_check_match "the decision says how long it may be reused" \
    '"reuse_ms":[0-9]+' \
    "$(grep -F '"event":"decision"' "$TVLOG" | tail -n 1)"
sg_check "the access log names the sandbox on reused lines" "$r1" \
    "$(grep -F "dc-get-$$" "$ALOG" | grep ' 1$' | grep -cF "[$STK_A]" ||
    true)"

echo "# 2. the audit trail and the metric account for every request"
# the budget log writes every 100 ms
sleep 0.5
# reused_in_trail ID TARGET: the sum of the decision_reused counts
# (of well-formed entries)
reused_in_trail()
{
	stk_redis XRANGE "sandgate:audit:$1" - + | python3 -c '
import re, sys
lines = sys.stdin.read().split("\n")
want, total, i, cur = sys.argv[1], 0, 0, {}
def done(e):
    global total
    # written as every other line: service, level and an RFC 3339 ts
    if e.get("event") == "decision_reused" and e.get("target") == want \
            and e.get("service") == "budget-log" \
            and e.get("level") == "info" \
            and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z",
                             e.get("ts", "")):
        total += int(e.get("count", "0"))
while i < len(lines):
    if re.fullmatch(r"\d+-\d+", lines[i]):
        done(cur)
        cur = {}
        i += 1
        continue
    if i + 1 < len(lines):
        cur[lines[i]] = lines[i + 1]
    i += 2
done(cur)
print(total)' "$2"
}
# reused_metric: sandgate_decisions_total{...,reason="reused"}
reused_metric()
{
	curl -s --max-time 10 -H "Authorization: Bearer $STK_OP" \
	    "$STK_API/metrics" | sed -n \
	    's/^sandgate_decisions_total{mode="egress",decision="allow",reason="reused"} \([0-9]*\)$/\1/p' |
	    awk '{ n += $1 } END { print n + 0 }'
}
sg_check "the sandbox's trail has the reused requests" "$r1" \
    "$(reused_in_trail $STK_A "$TGT")"
sg_check "sandgate_decisions_total{reason=reused}" "$r1" "$(reused_metric)"

echo "# 3. CONNECT: the same tunnel target, 10 new tunnels"
n=0
d0=$(decisions $STK_A)
for i in 1 2 3 4 5 6 7 8 9 10; do
	c=$(curl -s -o /dev/null -w '%{http_connect} %{http_code}' \
	    --max-time 10 -p --proxy "$P" --proxy-header \
	    "Proxy-Authorization: $(stk_basic $STK_A "$STK_TOK_A")" \
	    "http://$TGT/ok" || true)
	[ "$c" = "200 200" ] && n=$((n + 1))
done
sg_check "10 tunnels opened, each answered" 10 "$n"
split "$d0" "\"CONNECT $TGT " 10 7 "CONNECT"

echo "# 4. nothing else rides on a kept allow"
U4="http://$TGT/ok?dc-other-$$"
sg_check "primed" 200 "$(get $STK_A "$STK_TOK_A" "$U4")"
sg_check "another target right after: 403" 403 \
    "$(get $STK_A "$STK_TOK_A" "http://127.0.0.9:$SG_TARGET_PORT/ok?dc-other-$$")"
sg_check "another client address: 407 (the token is bound)" 407 \
    "$(get $STK_A "$STK_TOK_A" "$U4" --interface 127.0.0.2)"
sg_check_match "token-verify refused it as binding_mismatch" \
    '"reason":"binding_mismatch"' \
    "$(grep -F '"event":"decision"' "$TVLOG" | grep -F '"client":"127.0.0.2"' |
    tail -n 1)"
sg_check "tampered credentials: 407" 407 \
    "$(get $STK_A "$STK_TOK_BAD" "$U4")"
sg_check "the token still passes" 200 "$(get $STK_A "$STK_TOK_A" "$U4")"

echo "# 5. a request budget: no reuse, every request counted"
s=$(stk_redis GET "sandgate:session:$STK_B" |
    jq -c '. + {budget: {requests: 5}}')
stk_redis SET "sandgate:session:$STK_B" "$s" KEEPTTL >/dev/null
sleep 1.2	# past SANDGATE_SESSION_CACHE_MS
U5="http://$TGT/ok?dc-budget-$$"
d0=$(decisions $STK_B)
sg_check "5 of 6 on one connection, the 6th refused" "200 200 200 200 200 429" \
    "$(statuses $STK_B "$STK_TOK_B" 6 "$U5" | tr '\n' ' ' | sed 's/ $//')"
sg_check "each was decided" 6 "$(($(decisions $STK_B) - d0))"

echo "# 6. a revocation is seen within SANDGATE_SESSION_CACHE_MS"
# 80 requests on one kept connection (the Apache process that keeps the
# allow), 20 a second; the session is deleted 0.5 s in.
U6="http://$TGT/ok?dc-revoke-$$"
statuses $STK_A "$STK_TOK_A" 80 "$U6" --rate 20/s >"$T/revoke.out" &
RPID=$!
sleep 0.5
stk_redis DEL "sandgate:session:$STK_A" >/dev/null
wait $RPID || true
seq=$(tr '\n' ' ' <"$T/revoke.out")
ok=$(grep -c '^200$' "$T/revoke.out" || true)
echo "# $ok allowed before the refusals"
sg_check_match "allowed, then refused, nothing else" '^(200 )+(407 )+$' "$seq"
# 0.5 s before the delete + 1 s of bound + 1.5 s of slack, at 20/s
sg_check "refused within the bound (at most 60 allowed)" 1 \
    "$([ "$ok" -le 60 ] && echo 1)"

echo "# 7. the directive"
sed 's/SandgateDecisionCache 1024/SandgateDecisionCache lots/' \
    "$M/sites/egress.conf" >"$T/bad-cache.conf"
sed "s|IncludeOptional .*sites/\\*.conf|Include $T/bad-cache.conf|" \
    "$M/httpd.conf" >"$T/bad-httpd.conf"
rc=0
apache2 -t -f "$T/bad-httpd.conf" >"$T/bad-cache.out" 2>&1 || rc=$?
sg_check "SandgateDecisionCache lots refused" 1 "$([ $rc -ne 0 ] && echo 1)"
sg_check_match "the refusal says what it takes" \
    "SandgateDecisionCache: expected Off or the entries" \
    "$(cat "$T/bad-cache.out")"
sg_done
