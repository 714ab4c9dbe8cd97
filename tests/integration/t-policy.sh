#!/bin/sh
# SPDX-License-Identifier: ISC
# The narrow-only policy overlay, timed grants and readable denials
# (docs/contract.md §10) through the real stack of lib-stack.sh: the
# lighttpd API gateway (token-verify authorizer, then session-query),
# the Apache egress proxy with token-verify (SANDGATE_SESSION_CACHE_MS
# 1000), redis-server, a lighttpd target on loopback.  Covers: a session
# written without a policy (older format) still works; PATCH narrows and
# takes effect within the cache bound; GET vs POST on an allowed host; a
# path outside the prefix (and a dot segment); CONNECT allowed by method
# and refused for another host with the reason in the 403 before the
# tunnel; widening refused (host outside the token, a port the token
# pins, a later expiry, an unknown field) with Redis unchanged; scopes;
# a grant that opens a host and expires on its own; an overlay expiry;
# DELETE back to the token; the policy in GET /v1/sessions/{id} and the
# audit trail with the operator's sub; reason bodies and headers for
# host_not_allowed, method/path_not_allowed, policy_expired,
# session_revoked, token_expired, private_target, bad_target (no raw
# bytes reflected).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-stack.sh"

sg_setup
stk_init
# CONNECT straight to the target's port (AllowCONNECT).
SG_CONNECT_PORTS="443 $SG_TARGET_TLS_PORT $SG_TARGET_PORT"
export SANDGATE_SESSION_CACHE_MS=1000
stk_start
# The bound after which every worker has re-read the session.
BOUND=1.2

TP=$SG_TARGET_PORT
A=127.0.0.1:$TP
L=localhost:$TP
stk_mint $STK_A "$A,$L,*.a.cdn.test" true 7200
TOK=$TOK TEXP=$EXP
stk_put_session $STK_A "$JTI" "$EXP" "[\"$A\",\"$L\",\"*.a.cdn.test\"]" \
    127.0.0.1 "$TOK"
PA=$(stk_basic $STK_A "$TOK")
OPU=$("$SG_CLI" token --sub alice --scope "sandboxes:update sessions:read" \
    --ttl 3600)
OPR=$("$SG_CLI" token --sub reader --scope sessions:read --ttl 3600)

# px METHOD URL [curl args]: through the proxy; status, body in $T/b,
# headers in $T/h.
px()
{
	_m=$1 _u=$2
	shift 2
	curl -s --path-as-is -o "$T/b" -D "$T/h" -w '%{http_code}' \
	    -x "$STK_PROXY" -H "Proxy-Authorization: $PA" -X "$_m" "$@" "$_u"
}
# hdr NAME: a header of the last px (value, CR stripped).
hdr()
{
	tr -d '\r' <"$T/h" | sed -n "s/^$1: //Ip" | head -1
}
# api TOKEN METHOD PATH [BODY]: status, body in $T/a.
api()
{
	if [ $# -ge 4 ]; then
		curl -s -o "$T/a" -w '%{http_code}' -X "$2" \
		    -H "Authorization: Bearer $1" \
		    -H 'Content-Type: application/json' --data "$4" "$STK_API$3"
	else
		curl -s -o "$T/a" -w '%{http_code}' -X "$2" \
		    -H "Authorization: Bearer $1" "$STK_API$3"
	fi
}
# raw TEXT: bytes sent to the proxy as they are; the answer in $T/r.
raw()
{
	python3 - "$SG_PROXY_PORT" "$1" >"$T/r" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
s.sendall(sys.argv[2].encode().replace(b"\\r\\n", b"\r\n"))
s.settimeout(5)
out = b""
try:
    while True:
        d = s.recv(4096)
        if not d:
            break
        out += d
        h, _, b = out.partition(b"\r\n\r\n")
        if b"Content-Length:" in h:
            n = int(h.split(b"Content-Length:")[1].split(b"\r\n")[0])
            if len(b) >= n:
                break
except socket.timeout:
    pass
sys.stdout.write(out.decode("latin-1").replace("\r", ""))
EOF
}
policy_rev()
{
	stk_redis GET "sandgate:session:$STK_A" | jq -r '.policy.rev // 0'
}
P=/v1/sandboxes/$STK_A/policy
G=/v1/sandboxes/$STK_A/grants

# ---- the token alone (a session without "policy") ---------------------
sg_check "no overlay: GET 127.0.0.1" 200 "$(px GET "http://$A/ok")"
sg_check "no overlay: GET localhost" 200 "$(px GET "http://$L/ok")"
sg_check "no overlay: POST 127.0.0.1 passes the proxy" "" \
    "$(px POST "http://$A/ok" --data x >/dev/null; hdr X-Sandgate-Reason)"
sg_check "GET policy: no overlay" 200 "$(api "$OPR" GET $P)"
sg_check "GET policy: overlay null" null "$(jq -c .overlay "$T/a")"

# ---- widening refused, Redis unchanged ---------------------------------
before=$(stk_redis GET "sandgate:session:$STK_A")
w()
{
	sg_check "widen $1: 400" 400 "$(api "$OPU" PATCH $P "$2")"
	sg_check "widen $1: code" "$3" "$(jq -r .error "$T/a")"
	sg_check_match "widen $1: sentence" '[a-z] .*[a-z]' \
	    "$(jq -r .message "$T/a")"
}
w "other host" "{\"hosts\":[\"127.0.0.2:$TP\"]}" host_not_in_token
w "unpinned port" '{"hosts":["127.0.0.1"]}' host_not_in_token
w "wildcard's apex" '{"hosts":["a.cdn.test"]}' host_not_in_token
w "wider wildcard" '{"hosts":["*.cdn.test"]}' host_not_in_token
w "lookalike" '{"hosts":["xa.cdn.test"]}' host_not_in_token
w "later expiry" "{\"hosts\":[],\"expires_at\":$((TEXP + 60))}" \
    expiry_after_token
w "unknown field" '{"hosts":[],"allow_all":true}' unknown_field
w "bad method" "{\"hosts\":[{\"host\":\"$A\",\"methods\":[\"TRACE\"]}]}" \
    bad_method
sg_check "widening: session unchanged" "$before" \
    "$(stk_redis GET "sandgate:session:$STK_A")"
sg_check "PATCH without sandboxes:update" 403 \
    "$(api "$OPR" PATCH $P '{"hosts":[]}')"
sg_check "PATCH with the container's token" 403 \
    "$(api "$TOK" PATCH $P '{"hosts":[]}')"
sg_check "PATCH unknown sandbox" 404 \
    "$(api "$OPU" PATCH /v1/sandboxes/sandbox_NOPE/policy '{"hosts":[]}')"

# ---- narrowing, within the cache bound ----------------------------------
OV="{\"hosts\":[{\"host\":\"$A\",\"methods\":[\"GET\"],\"paths\":[\"/ok\"]},"\
"{\"host\":\"$A\",\"methods\":[\"CONNECT\"]}]}"
sg_check "PATCH narrows: 200" 200 "$(api "$OPU" PATCH $P "$OV")"
sg_check "PATCH: effective overlay" "$A" "$(jq -r '.overlay.hosts[0].host' "$T/a")"
sg_check "PATCH: set_by" alice "$(jq -r '.overlay.set_by' "$T/a")"
sleep $BOUND
for i in 1 2 3 4; do
	sg_check "narrowed host $i: 403" 403 "$(px GET "http://$L/ok")"
done
sg_check "narrowed: X-Sandgate-Reason" host_not_allowed "$(hdr X-Sandgate-Reason)"
sg_check "narrowed: X-Sandgate-Target" "$L" "$(hdr X-Sandgate-Target)"
sg_check "narrowed: body" "host_not_allowed $L" \
    "$(jq -r '.error + " " + .target' "$T/b")"
sg_check_match "narrowed: message" 'not in the allowed hosts' \
    "$(jq -r .message "$T/b")"
sg_check "narrowed: no token in the answer" 0 \
    "$(grep -c -F "${TOK%%.*}" "$T/b" "$T/h" | awk -F: '{s+=$2} END {print s}')"
sg_check "GET in prefix: 200" 200 "$(px GET "http://$A/ok")"
sg_check_match "GET in prefix: target answered" target-ok "$(cat "$T/b")"
sg_check "POST on the allowed host: 403" 403 "$(px POST "http://$A/ok" --data x)"
sg_check "POST: reason" method_not_allowed "$(hdr X-Sandgate-Reason)"
sg_check "POST: body" method_not_allowed "$(jq -r .error "$T/b")"
sg_check "path outside the prefix: 403" 403 "$(px GET "http://$A/index.html")"
sg_check "path outside: reason" path_not_allowed "$(hdr X-Sandgate-Reason)"
sg_check "dot segment: 403" 403 "$(px GET "http://$A/ok/../index.html")"
sg_check "dot segment: reason" path_not_allowed "$(hdr X-Sandgate-Reason)"
sg_check "CONNECT allowed host: tunnel" 200 \
    "$(curl -s -o "$T/b" -w '%{http_code}' -p -x "$STK_PROXY" \
    -H "Proxy-Authorization: $PA" --proxy-header "Proxy-Authorization: $PA" \
    "http://$A/ok")"
raw "CONNECT $L HTTP/1.1\r\nHost: $L\r\nProxy-Authorization: $PA\r\n\r\n"
sg_check_match "CONNECT other host: 403 before the tunnel" '^HTTP/1.1 403' \
    "$(head -1 "$T/r")"
sg_check_match "CONNECT: X-Sandgate-Reason" '^X-Sandgate-Reason: host_not_allowed$' \
    "$(grep -i '^X-Sandgate-Reason' "$T/r")"
sg_check_match "CONNECT: body" "\"target\":\"$L\"" "$(tail -1 "$T/r")"
sg_check "GET /v1/sessions/{id} shows the policy" "alice 1" \
    "$(api "$OPR" GET /v1/sessions/$STK_A >/dev/null;
    jq -r '.policy.set_by + " " + (.policy.rev|tostring)' "$T/a")"
sleep 0.3
sg_check_match "audit: policy_changed with the operator's sub" 'alice' \
    "$(stk_redis XREVRANGE "sandgate:audit:$STK_A" + - COUNT 20 | \
    grep -A20 -x policy_changed | tr '\n' ' ')"

# ---- a grant, expiring on its own ---------------------------------------
sg_check "grant outside the token: 400" 400 \
    "$(api "$OPU" POST $G "{\"host\":\"127.0.0.2:$TP\",\"minutes\":1}")"
sg_check "grant outside: code" host_not_in_token "$(jq -r .error "$T/a")"
sg_check "grant 0 minutes: 400" 400 \
    "$(api "$OPU" POST $G "{\"host\":\"$L\",\"minutes\":0}")"
sg_check "grant unknown field: 400" 400 \
    "$(api "$OPU" POST $G "{\"host\":\"$L\",\"minutes\":1,\"x\":1}")"
sg_check "grant: 201" 201 "$(api "$OPU" POST $G "{\"host\":\"$L\",\"minutes\":1}")"
GEXP=$(jq -r '.overlay.grants[0].expires_at' "$T/a")
sg_check_match "grant: expiry shown" '^[0-9]+$' "$GEXP"
sg_check "GET policy shows the grant" "$L alice" \
    "$(api "$OPR" GET $P >/dev/null;
    jq -r '.overlay.grants[0].host + " " + .overlay.grants[0].by' "$T/a")"
sleep $BOUND
sg_check "granted host: POST passes" "" \
    "$(px POST "http://$L/ok" --data x >/dev/null; hdr X-Sandgate-Reason)"
sg_check "granted host: GET 200" 200 "$(px GET "http://$L/ok")"

# ---- session revoked, token expired, private target, bad target --------
stk_mint $STK_B "$A" true 7200
TB=$TOK
sg_check "revoked: 407" 407 \
    "$(curl -s -o "$T/b" -D "$T/h" -w '%{http_code}' -x "$STK_PROXY" \
    -H "Proxy-Authorization: $(stk_basic $STK_B "$TB")" "http://$A/ok")"
sg_check "revoked: reason" session_revoked "$(hdr X-Sandgate-Reason)"
sg_check "revoked: body target" "$A" "$(jq -r .target "$T/b")"
stk_mint $STK_X "$A" true 3600 -7200
sg_check "expired: 407" 407 \
    "$(curl -s -o "$T/b" -D "$T/h" -w '%{http_code}' -x "$STK_PROXY" \
    -H "Proxy-Authorization: $(stk_basic $STK_X "$TOK")" "http://$A/ok")"
sg_check "expired: reason" token_expired "$(hdr X-Sandgate-Reason)"
sg_check "expired: body" token_expired "$(jq -r .error "$T/b")"
sg_check "private target (strict proxy): 403" 403 \
    "$(curl -s -o "$T/b" -D "$T/h" -w '%{http_code}' \
    -x "http://127.0.0.1:$SG_STRICT_PORT" -H "Proxy-Authorization: $PA" \
    "http://$A/ok")"
sg_check_match "private target: reason" '^(private_target|local_target)$' \
    "$(hdr X-Sandgate-Reason)"
sg_check "private target: header = body" "$(hdr X-Sandgate-Reason)" \
    "$(jq -r .error "$T/b")"
raw "CONNECT ev%3Cil.example:80 HTTP/1.1\r\nHost: x\r\nProxy-Authorization: $PA\r\n\r\n"
sg_check_match "bad target: 4xx" '^HTTP/1.1 4' "$(head -1 "$T/r")"
sg_check "bad target: raw bytes never reflected" 0 \
    "$(grep -c -i 'ev%3Cil\|ev<il\|X-Sandgate-Target' "$T/r")"

# ---- overlay expiry ------------------------------------------------------
NOW=$(date +%s)
sg_check "PATCH with expiry: 200" 200 \
    "$(api "$OPU" PATCH $P "{\"hosts\":[\"$A\"],\"expires_at\":$((NOW + 3))}")"
sg_check "PATCH replaced the grants' rev" 3 "$(policy_rev)"
sleep $BOUND
sg_check "before the overlay's expiry: 200" 200 "$(px GET "http://$A/ok")"
while [ "$(date +%s)" -lt $((NOW + 3)) ]; do sleep 0.2; done
sleep $BOUND
sg_check "after the overlay's expiry: 403" 403 "$(px GET "http://$A/ok")"
sg_check "after expiry: reason" policy_expired "$(hdr X-Sandgate-Reason)"
sg_check "GET policy: expired" true \
    "$(api "$OPR" GET $P >/dev/null; jq -r .expired "$T/a")"

# ---- the grant, expiring on its own (same overlay, no expiry) ----------
sg_check "DELETE (grants too): 200" 200 "$(api "$OPU" DELETE $P)"
sg_check "PATCH again: 200" 200 "$(api "$OPU" PATCH $P "$OV")"
sg_check "grant again: 201" 201 "$(api "$OPU" POST $G "{\"host\":\"$L\",\"minutes\":1}")"
GEXP=$(jq -r '.overlay.grants[0].expires_at' "$T/a")
sleep $BOUND
sg_check "granted: 200" 200 "$(px GET "http://$L/ok")"
while [ "$(date +%s)" -lt "$GEXP" ]; do sleep 1; done
sleep $BOUND
sg_check "grant expired: 403" 403 "$(px GET "http://$L/ok")"
sg_check "grant expired: reason" host_not_allowed "$(hdr X-Sandgate-Reason)"
sg_check "grant expired: not shown" 0 \
    "$(api "$OPR" GET $P >/dev/null; jq '.overlay.grants | length' "$T/a")"

# ---- DELETE: the token alone again --------------------------------------
sg_check "DELETE policy: 200" 200 "$(api "$OPU" DELETE $P)"
sg_check "DELETE: overlay null" null "$(jq -c .overlay "$T/a")"
sleep $BOUND
sg_check "after DELETE: localhost 200" 200 "$(px GET "http://$L/ok")"
sg_check "after DELETE: POST passes" "" \
    "$(px POST "http://$A/ok" --data x >/dev/null; hdr X-Sandgate-Reason)"
sg_check "DELETE: no policy in the session" null \
    "$(stk_redis GET "sandgate:session:$STK_A" | jq -c .policy)"
sg_check "no leak reached 127.0.0.2" 0 "$(stk_leaks)"

sg_done
