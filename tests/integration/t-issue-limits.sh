#!/bin/sh
# SPDX-License-Identifier: ISC
# What must be refused when a token is issued, not when it is used
# (issue 16): a token too large for the egress proxy, and a wildcard on a
# public suffix.
#
# Size: a sandbox sends its token as one header line,
# "Proxy-Authorization: Basic base64(container_<id>:jwt_<token>)", and
# Apache refuses a line over LimitRequestFieldSize (8190,
# deploy/apache/httpd.conf.in) with a 400 before token-verify sees it.
# On run.sh's stack (lib-stack.sh):
#   1. Apache passes a line of exactly SG_TOKEN_CRED_MAX (8190) bytes to
#      the authorizer (407) and refuses a longer one itself (400), so the
#      limit sandgate counts against is never above Apache's;
#   2. POST /v1/tokens issues the largest token whose line is within the
#      limit (8187 bytes: 27 + a multiple of 4), and that token passes
#      through real Apache + token-verify + Redis to the target (200);
#      one more host byte is a 400 token_too_large naming the length and
#      the limit, and so is a token far over (which Apache would refuse);
#   3. POST /v1/sandboxes with such hosts is the same 400, before Docker
#      is asked (the stack's Docker socket does not exist) and with no
#      slot or session left in Redis.
# Public suffixes (Debian's publicsuffix list through libpsl):
#   4. POST /v1/tokens and POST /v1/sandboxes refuse "*.github.io" and
#      "*.co.uk" with 400 bad_allowed_hosts naming the pattern, and issue
#      "*.example.co.uk" and the exact host "github.io";
#   5. a token with "*.co.uk" signed with the stack's own key anyway
#      (PyJWT, as an issuer that does not check would) is refused by
#      token-verify behind real Apache with 407, while its twin with
#      "*.example.co.uk" passes (200).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-stack.sh"

sg_setup
# No Docker at all: sandbox-create must refuse before it would need it.
SG_DOCKER_SOCKET=$T/no-docker.sock
stk_init
stk_start
MAX=8190
TGT=127.0.0.1:$SG_TARGET_PORT
USER_ID=sizeuser

# body.py TOTAL CID: a /v1/tokens body whose allowed_hosts join to TOTAL
# bytes: the target first, then distinct names, no label over 60 bytes.
cat >"$T/body.py" <<'EOF'
import json, sys
total, cid, user, org, first = sys.argv[1:6]
total = int(total)
hosts = [first]
rest = total - len(first) - 1 - 39
each, extra = divmod(rest, 40)
for i in range(40):
    n = each + (1 if i < extra else 0)
    fill = "".join("." if k % 61 == 60 and k < n - 5 else "a"
                   for k in range(4, n - 4))
    hosts.append("h%02d-%s.com" % (i, fill))
assert len(",".join(hosts)) == total
print(json.dumps({"container_id": cid, "user_id": user,
                  "organization_uuid": org, "allowed_hosts": hosts}))
EOF

# issue TOTAL: POST /v1/tokens; the status, the body in $T/issue.json.
issue()
{
	python3 "$T/body.py" "$1" "$STK_A" "$USER_ID" "$STK_ORG" "$TGT" \
	    >"$T/issue.req"
	curl -s -o "$T/issue.json" -w '%{http_code}' \
	    -H "Authorization: Bearer $STK_OP" \
	    -H 'Content-Type: application/json' --data @"$T/issue.req" \
	    "$STK_API/v1/tokens"
}

# line TOKEN: the length of the header line the sandbox sends.
line_len()
{
	printf 'Proxy-Authorization: %s' "$(stk_basic "$STK_A" "$1")" |
	    wc -c | tr -d ' '
}

# proxy_code HEADER_VALUE: a GET to the target through Apache.
proxy_code()
{
	curl -s -o "$T/proxy.out" -w '%{http_code}' --max-time 20 \
	    -x "$STK_PROXY" -H "Proxy-Authorization: $1" "http://$TGT/ok"
}

# ---- 1. Apache's own limit -------------------------------------------
pad=$(head -c $((MAX - 27)) /dev/zero | tr '\0' A)
sg_check "Apache passes a $MAX-byte line to the authorizer (407)" 407 \
    "$(proxy_code "Basic $pad")"
sg_check "Apache refuses a $((MAX + 2))-byte line itself (400)" 400 \
    "$(proxy_code "Basic ${pad}AA")"

# ---- 2. /v1/tokens at the limit --------------------------------------
# The largest hosts length that is still issued (binary search).
lo=600 hi=8000
sg_check "small token issued" 201 "$(issue $lo)"
sg_check "far over: 400" 400 "$(issue $hi)"
sg_check "far over: token_too_large" token_too_large \
    "$(jq -r .error "$T/issue.json")"
while [ $((hi - lo)) -gt 1 ]; do
	mid=$(((lo + hi) / 2))
	if [ "$(issue $mid)" = 201 ]; then lo=$mid; else hi=$mid; fi
done
sg_check "last 201 before the limit" 201 "$(issue $lo)"
TOK=$(jq -r .token "$T/issue.json")
JTI=$(jq -r .jti "$T/issue.json")
EXP=$(jq -r .expires_at "$T/issue.json")
sg_check "its line is the longest within $MAX" 8187 "$(line_len "$TOK")"
sg_check "one host byte more: 400" 400 "$(issue $hi)"
sg_check "one host byte more: token_too_large" token_too_large \
    "$(jq -r .error "$T/issue.json")"
sg_check_match "the sentence names the length and the limit" \
    "would be 8191 bytes, 1 over Apache's LimitRequestFieldSize 8190" \
    "$(jq -r .message "$T/issue.json")"

# The 8187-byte token works end to end: Apache, token-verify, Redis.
jq -c .allowed_hosts "$T/issue.req" >"$T/hosts.json"
STK_USER=$USER_ID stk_put_session "$STK_A" "$JTI" "$EXP" \
    "$(cat "$T/hosts.json")" 127.0.0.1 "$TOK"
sg_check "the 8187-byte credential passes Apache to the target" 200 \
    "$(proxy_code "$(stk_basic "$STK_A" "$TOK")")"
sg_check "the target answered" target-ok "$(cat "$T/proxy.out")"

# ---- 3. /v1/sandboxes refuses before Docker --------------------------
python3 "$T/body.py" "$hi" "$STK_A" sizecreate "$STK_ORG" "$TGT" |
    jq -c 'del(.container_id)' >"$T/create.req"
code=$(curl -s -o "$T/create.json" -w '%{http_code}' --max-time 30 \
    -H "Authorization: Bearer $STK_OP" -H 'Content-Type: application/json' \
    --data @"$T/create.req" "$STK_API/v1/sandboxes")
sg_check "create over the limit: 400 (old: 201 or 502)" 400 "$code"
sg_check "create over the limit: token_too_large" token_too_large \
    "$(jq -r .error "$T/create.json")"
sg_check "no slot or session left for the user" "" \
    "$(stk_redis --scan --pattern "sandgate:*sizecreate*")"

# ---- 4. public-suffix wildcards at issue -------------------------------
# issue_hosts JSON_ARRAY [PATH]: POST a token (or a sandbox) with these
# hosts; the status, the body in $T/issue.json.
issue_hosts()
{
	_b=$(jq -nc --arg o "$STK_ORG" --argjson h "$1" \
	    '{user_id: "sizecreate", organization_uuid: $o, allowed_hosts: $h}')
	[ "${2:-/v1/tokens}" != /v1/tokens ] ||
	    _b=$(printf '%s' "$_b" | jq -c --arg c "$STK_B" --arg u "$USER_ID" \
	    '.container_id = $c | .user_id = $u')
	curl -s -o "$T/issue.json" -w '%{http_code}' --max-time 30 \
	    -H "Authorization: Bearer $STK_OP" \
	    -H 'Content-Type: application/json' --data "$_b" \
	    "$STK_API${2:-/v1/tokens}"
}
for h in '*.github.io' '*.co.uk'; do
	st=$(issue_hosts "[\"github.com\",\"$h\"]")
	sg_check "tokens: $h refused" "400 bad_allowed_hosts" \
	    "$st $(jq -r .error "$T/issue.json")"
	sg_check_match "tokens: the sentence names $h" \
	    "\\$h is a wildcard on a public suffix" \
	    "$(jq -r .message "$T/issue.json")"
	st=$(issue_hosts "[\"$h\"]" /v1/sandboxes)
	sg_check "sandboxes: $h refused" "400 bad_allowed_hosts" \
	    "$st $(jq -r .error "$T/issue.json")"
done
sg_check "tokens: *.example.co.uk and github.io issued" 201 \
    "$(issue_hosts '["*.example.co.uk","github.io"]')"
sg_check "still nothing in Redis for the create user" "" \
    "$(stk_redis --scan --pattern "sandgate:*sizecreate*")"

# ---- 5. and at verify, behind Apache -----------------------------------
# A token signed with the stack's key by PyJWT, as an issuer that does not
# check would sign it.
KID=$(jq -r .kid "$T/issue.json")
cat >"$T/sign.py" <<'EOF'
import sys, time, jwt
key, iss, kid, cid, user, org, hosts, jti = sys.argv[1:9]
now = int(time.time())
claims = {"iss": iss, "sub": user, "aud": "sandgate-egress", "iat": now,
          "nbf": now, "exp": now + 3600, "jti": jti, "container_id": cid,
          "organization_uuid": org, "allowed_hosts": hosts,
          "enforce_container_binding": "true",
          "use_egress_gateway": "true", "enforce_centralized_egress": "true",
          "is_hipaa_regulated": "false", "is_pci_compliant": "false"}
print(jwt.encode(claims, open(key).read(), algorithm="ES256",
                 headers={"kid": kid, "typ": "JWT"}))
EOF
# egress_with HOSTS JTI: sign, record the session, GET the target.
egress_with()
{
	_t=$(/usr/bin/python3 "$T/sign.py" "$SG_KEYS/private-key.pem" \
	    "$SG_ISSUER" "$KID" "$STK_B" "$USER_ID" "$STK_ORG" "$1" "$2")
	STK_USER=$USER_ID stk_put_session "$STK_B" "$2" \
	    "$(($(date +%s) + 3600))" "[\"$TGT\"]" 127.0.0.1 "$_t"
	proxy_code "$(stk_basic "$STK_B" "$_t")"
}
sg_check "egress: a signed *.co.uk token is a bad credential (407)" 407 \
    "$(egress_with "$TGT,*.co.uk" jti_c12_bad)"
sg_check "egress: its *.example.co.uk twin passes (200)" 200 \
    "$(egress_with "$TGT,*.example.co.uk" jti_c12_good)"
sg_check "the twin reached the target" target-ok "$(cat "$T/proxy.out")"

sg_done
