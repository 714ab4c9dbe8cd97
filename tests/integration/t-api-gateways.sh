#!/bin/sh
# SPDX-License-Identifier: ISC
# token-verify as the API gateway's authorizer, in front of the real
# token-issuer and session-query, behind both gateways as deploy/
# configures them (the configs rendered from deploy/lighttpd and
# deploy/nginx, the services on unix sockets):
# lighttpd (docs/web-servers.md 2.1: authorizer and responder on the
# same route, FCGI_ROLE=AUTHORIZER, Variable-SG_*) and nginx auth_request
# (3.1: RESPONDER, X-SG-* turned into SG_* by auth_request_set; the auth
# location drops the body; every protected location hands off to a
# backend).  Covers operator scopes, container tokens for their own
# session with X-Container-ID, binding, 401/403 bodies and challenges,
# the SG_* facts reaching the backends (session-query's 200 for a
# container token needs SG_KIND and SG_CONTAINER_ID), and no X-SG-* or
# Variable-* leak to clients; every unknown route answers the API's JSON
# 404 through both.
. "$(dirname "$0")/lib.sh"

sg_setup
VERIFY=$SG_BUILD/services/token-verify/token-verify
MINT=$SG_BUILD/services/token-verify/tv-mint
ISSUER=$SG_BUILD/services/token-issuer/token-issuer
QUERY=$SG_BUILD/services/session-query/session-query
for b in "$VERIFY" "$MINT" "$ISSUER" "$QUERY"; do
	[ -x "$b" ] || { echo "missing $b (build first)" >&2; exit 1; }
done

ISS=https://sandgate.test
ORG=3f2504e0-4f89-41d3-9a0c-0305e82c3301
USER_ID=user_1
CID=sandbox_AAAAAAAAAAAAAAAAAAAAAA
CID2=sandbox_BBBBBBBBBBBBBBBBBBBBBB
KEY1=$SG_DATA/test-key-1.pem

sg_start_redis
LPORT=$(sg_free_port)
NPORT=$(sg_free_port)
# The loopback scrape listeners: session-query opens /metrics without a
# token on nginx's (SANDGATE_METRICS_PORT), not on lighttpd's.
LMPORT=$(sg_free_port)
NMPORT=$(sg_free_port)
export SANDGATE_METRICS_PORT=$NMPORT
export SANDGATE_METRICS_DIR=$T/metrics
mkdir -p "$T/metrics"

mkdir -p "$T/keys"
"$MINT" jwks "$KEY1" >"$T/keys/verify.json"

export SANDGATE_ISSUER=$ISS
export SANDGATE_SIGNING_KEY=$KEY1
export SANDGATE_VERIFY_KEYS=$T/keys/verify.json
export SANDGATE_REDIS=unix:$REDIS_SOCK
export SANDGATE_REDIS_TIMEOUT_MS=300
export SANDGATE_SESSION_CACHE_MS=0

# ---- tokens and sessions -------------------------------------------------
op() { "$MINT" operator "$KEY1" "$ISS" ops "$1" 600 | cut -d' ' -f1; }
OP_ALL=$(op "tokens:issue sandboxes:create sandboxes:destroy sessions:read metrics:read")
OP_ISSUE=$(op tokens:issue)
OP_READ=$(op sessions:read)
OP_CREATE=$(op sandboxes:create)
OP_UPDATE=$(op "sandboxes:update sessions:read")
OP_SECRETS=$(op "secrets:write")
OP_METRICS=$(op metrics:read)

put_session()
{
	_now=$(date +%s)
	_sha=$(printf '%s' "$4" | sha256sum | cut -d' ' -f1)
	sg_redis SET "sandgate:session:$1" "$(printf '{"container_id":"%s","user_id":"%s","organization_uuid":"%s","jti":"%s","token_sha256":"%s","allowed_hosts":["github.com"],"container_ip":"172.30.0.5","docker_id":"","image":"sandgate-sandbox:latest","created_at":%s,"expires_at":%s}' \
	    "$1" "$USER_ID" "$ORG" "$2" "$_sha" "$_now" "$3")" \
	    EX $(($3 - _now)) >/dev/null
	sg_redis SADD "sandgate:user:$USER_ID" "$1" >/dev/null
}
# container token with binding, and one without
set -- $("$MINT" container "$KEY1" "$ISS" "$USER_ID" $CID "$ORG" github.com true 3600)
CT=$1
put_session $CID "$2" "$3" "$CT"
set -- $("$MINT" container "$KEY1" "$ISS" "$USER_ID" $CID2 "$ORG" github.com false 3600)
CT2=$1
put_session $CID2 "$2" "$3" "$CT2"

# ---- the gateways, from deploy/'s own configs ----------------------------
# The services on unix sockets under $S, named as deploy/ expects.  No
# sandbox services here (no Docker): session-query stands in on their
# sockets and answers 404 once past the authorizer.
S=$T/sock
W=$T/www
mkdir -p "$S" "$W/lighttpd/empty" "$W/lighttpd/errors" "$W/nginx/tmp" "$W/log"
chown -R www-data:www-data "$W"
export SANDGATE_SOCKET_MODE=0666
sg_spawn_sock verify "$S/token-verify-api.sock" "$VERIFY"
sg_spawn_sock issuer "$S/token-issuer.sock" "$ISSUER"
sg_spawn_sock query "$S/session-query.sock" "$QUERY"
unset SANDGATE_SOCKET_MODE
ln -s session-query.sock "$S/sandbox-create.sock"
ln -s session-query.sock "$S/sandbox-destroy.sock"

# gw_fill TEMPLATE OUT PORT: deploy/'s placeholders, as run.sh fills them.
gw_fill()
{
	sed -e "s|@RUNDIR@|$W|g" -e "s|@LOGDIR@|$W/log|g" \
	    -e "s|@SOCKDIR@|$S|g" -e "s|@API_ADDR@|127.0.0.1|g" \
	    -e "s|@PORT_API@|$3|g" -e "s|@PORT_METRICS@|${4:-$(sg_free_port)}|g" -e "s|@WWW_USER@|www-data|g" \
	    -e "s|@WWW_GROUP@|www-data|g" "$1" >"$2"
}

# lighttpd: authorizer + responder per route.
gw_fill "$SG_TOP/deploy/lighttpd/sandgate-api.conf.in" \
    "$W/lighttpd/lighttpd.conf" "$LPORT" "$LMPORT"
cp "$SG_TOP/deploy/lighttpd/errors/404.html" "$W/lighttpd/errors/"
lighttpd -tt -f "$W/lighttpd/lighttpd.conf" >>"$T/lighttpd.log" 2>&1
lighttpd -D -f "$W/lighttpd/lighttpd.conf" 2>>"$T/lighttpd.log" &
sg_track_pid $!
sg_wait_tcp 127.0.0.1 $LPORT

# nginx: auth_request.
gw_fill "$SG_TOP/deploy/nginx/sandgate-api.conf.in" "$W/nginx/nginx.conf" \
    "$NPORT" "$NMPORT"
cp "$SG_TOP/deploy/nginx/sg_params" "$SG_TOP/deploy/nginx/sg_auth_params" \
    "$W/nginx/"
nginx -q -t -p "$W/nginx" -c "$W/nginx/nginx.conf" 2>>"$T/nginx.log"
nginx -p "$W/nginx" -c "$W/nginx/nginx.conf" -g 'daemon off;' \
    2>>"$T/nginx.log" &
sg_track_pid $!
sg_wait_tcp 127.0.0.1 $NPORT

# req METHOD URL [curl args...]: status; headers in $T/h, body in $T/b
req()
{
	_m=$1 _u=$2
	shift 2
	curl -s -o "$T/b" -D "$T/h" -w '%{http_code}' --max-time 10 \
	    -X "$_m" "$@" "$_u" || true
}
hdr() { tr -d '\r' <"$T/h" | grep -i "^$1:" | head -n 1 | cut -d' ' -f2-; }
noleak() { tr -d '\r' <"$T/h" | grep -ci '^x-sg-\|^variable-' || true; }
BODY_TOKEN='{"container_id":"sandbox_DDDDDDDDDDDDDDDDDDDDDD","user_id":"user_2","organization_uuid":"'$ORG'","allowed_hosts":["github.com"]}'

for gw in lighttpd nginx; do
	case $gw in
	lighttpd) G=http://127.0.0.1:$LPORT ;;
	nginx) G=http://127.0.0.1:$NPORT ;;
	esac

	# -- operator scopes
	sg_check "$gw: tokens:issue -> 201" 201 \
	    "$(req POST "$G/v1/tokens" -H "Authorization: Bearer $OP_ISSUE" \
	    -H 'Content-Type: application/json' --data "$BODY_TOKEN")"
	sg_check_match "$gw: token issued" '"token":"ey' "$(cat "$T/b")"
	sg_check "$gw: no X-SG/Variable leak on 201" 0 "$(noleak)"
	sg_check "$gw: sessions:read cannot issue" 403 \
	    "$(req POST "$G/v1/tokens" -H "Authorization: Bearer $OP_READ" \
	    -H 'Content-Type: application/json' --data "$BODY_TOKEN")"
	sg_check "$gw: operator reads a session" 200 \
	    "$(req GET "$G/v1/sessions/$CID" -H "Authorization: Bearer $OP_READ")"
	sg_check_match "$gw: session JSON" "\"container_id\":\"$CID\"" "$(cat "$T/b")"
	sg_check "$gw: no X-SG/Variable leak on 200" 0 "$(noleak)"
	sg_check "$gw: operator lists sessions" 200 \
	    "$(req GET "$G/v1/sessions?user_id=$USER_ID" -H "Authorization: Bearer $OP_READ")"
	sg_check_match "$gw: list JSON" '"sessions":\[' "$(cat "$T/b")"
	sg_check "$gw: tokens:issue cannot read sessions" 403 \
	    "$(req GET "$G/v1/sessions/$CID" -H "Authorization: Bearer $OP_ISSUE")"
	sg_check "$gw: sandboxes:create passes to the backend" 404 \
	    "$(req POST "$G/v1/sandboxes" -H "Authorization: Bearer $OP_CREATE" --data '')"
	sg_check "$gw: sandboxes:destroy refused to sandboxes:create" 403 \
	    "$(req DELETE "$G/v1/sandboxes/$CID" -H "Authorization: Bearer $OP_CREATE")"
	sg_check "$gw: all scopes delete passes to the backend" 404 \
	    "$(req DELETE "$G/v1/sandboxes/$CID" -H "Authorization: Bearer $OP_ALL")"
	# -- the policy overlay (session-query; docs/contract.md §10)
	sg_check "$gw: policy PATCH needs sandboxes:update" 403 \
	    "$(req PATCH "$G/v1/sandboxes/$CID/policy" -H "Authorization: Bearer $OP_ALL" \
	    -H 'Content-Type: application/json' --data '{"hosts":[]}')"
	sg_check "$gw: policy PATCH narrows" 200 \
	    "$(req PATCH "$G/v1/sandboxes/$CID/policy" -H "Authorization: Bearer $OP_UPDATE" \
	    -H 'Content-Type: application/json' --data '{"hosts":["github.com"]}')"
	sg_check_match "$gw: policy PATCH answer" '"overlay":\{"hosts":\[\{"host":"github.com"\}\]' \
	    "$(cat "$T/b")"
	sg_check "$gw: policy PATCH widening refused" 400 \
	    "$(req PATCH "$G/v1/sandboxes/$CID/policy" -H "Authorization: Bearer $OP_UPDATE" \
	    -H 'Content-Type: application/json' --data '{"hosts":["evil.com"]}')"
	sg_check_match "$gw: widening code" '"error":"host_not_in_token"' "$(cat "$T/b")"
	sg_check "$gw: grant" 201 \
	    "$(req POST "$G/v1/sandboxes/$CID/grants" -H "Authorization: Bearer $OP_UPDATE" \
	    -H 'Content-Type: application/json' --data '{"host":"github.com","minutes":5}')"
	sg_check "$gw: policy GET" 200 \
	    "$(req GET "$G/v1/sandboxes/$CID/policy" -H "Authorization: Bearer $OP_READ")"
	sg_check_match "$gw: policy GET shows the grant" '"grants":\[\{"host":"github.com"' \
	    "$(cat "$T/b")"
	sg_check "$gw: policy DELETE" 200 \
	    "$(req DELETE "$G/v1/sandboxes/$CID/policy" -H "Authorization: Bearer $OP_UPDATE")"
	sg_check_match "$gw: policy DELETE answer" '"overlay":null' "$(cat "$T/b")"
	# -- the secrets routes (sandbox-create; docs/secrets.md): routed
	# through the authorizer (401/403 there), then to the backend
	sg_check "$gw: secrets PUT needs secrets:write" 403 \
	    "$(req PUT "$G/v1/sandboxes/$CID/secrets/EXAMPLE" -H "Authorization: Bearer $OP_ALL" \
	    -H 'Content-Type: application/json' --data '{}')"
	sg_check "$gw: secrets PUT passes to the backend" 404 \
	    "$(req PUT "$G/v1/sandboxes/$CID/secrets/EXAMPLE" -H "Authorization: Bearer $OP_SECRETS" \
	    -H 'Content-Type: application/json' --data '{}')"
	sg_check "$gw: secrets DELETE without a token -> 401" 401 \
	    "$(req DELETE "$G/v1/sandboxes/$CID/secrets/EXAMPLE")"
	sg_check "$gw: secrets GET needs sessions:read" 403 \
	    "$(req GET "$G/v1/sandboxes/$CID/secrets" -H "Authorization: Bearer $OP_SECRETS")"
	sg_check "$gw: secrets GET passes to the backend" 404 \
	    "$(req GET "$G/v1/sandboxes/$CID/secrets" -H "Authorization: Bearer $OP_READ")"

	# -- 401
	sg_check "$gw: no token -> 401" 401 "$(req GET "$G/v1/sessions/$CID")"
	sg_check "$gw: 401 challenge" 'Bearer error="invalid_token"' "$(hdr WWW-Authenticate)"
	sg_check "$gw: bad token -> 401" 401 \
	    "$(req GET "$G/v1/sessions/$CID" -H 'Authorization: Bearer good.fake.jwt')"
	sg_check "$gw: bad token challenge" 'Bearer error="invalid_token"' "$(hdr WWW-Authenticate)"
	sg_check "$gw: lowercase scheme" 200 \
	    "$(req GET "$G/v1/sessions/$CID" -H "Authorization: bearer $OP_READ")"
	sg_check "$gw: two spaces -> 401" 401 \
	    "$(req GET "$G/v1/sessions/$CID" -H "Authorization: Bearer  $OP_READ")"
	sg_check "$gw: two tokens -> 401" 401 \
	    "$(req GET "$G/v1/sessions/$CID" -H "Authorization: Bearer $OP_READ, Bearer $OP_READ")"
	sg_check "$gw: token in the query too -> 401" 401 \
	    "$(req GET "$G/v1/sessions/$CID?access_token=$OP_READ" -H "Authorization: Bearer $OP_READ")"
	sg_check "$gw: Proxy-Authorization too -> 401" 401 \
	    "$(req GET "$G/v1/sessions/$CID" -H "Authorization: Bearer $OP_READ" -H "Proxy-Authorization: Bearer $OP_READ")"

	# -- container tokens
	sg_check "$gw: container reads its own session" 200 \
	    "$(req GET "$G/v1/sessions/$CID" -H "Authorization: Bearer $CT" -H "X-Container-ID: $CID")"
	sg_check_match "$gw: SG_* reached session-query" "\"container_id\":\"$CID\"" "$(cat "$T/b")"
	sg_check "$gw: no X-SG/Variable leak (container)" 0 "$(noleak)"
	sg_check "$gw: container reads another session" 403 \
	    "$(req GET "$G/v1/sessions/$CID2" -H "Authorization: Bearer $CT" -H "X-Container-ID: $CID")"
	sg_check "$gw: binding: X-Container-ID missing" 403 \
	    "$(req GET "$G/v1/sessions/$CID" -H "Authorization: Bearer $CT")"
	sg_check "$gw: X1: victim's id" 403 \
	    "$(req GET "$G/v1/sessions/$CID" -H "Authorization: Bearer $CT" -H "X-Container-ID: $CID2")"
	sg_check "$gw: X2: joined duplicate" 403 \
	    "$(req GET "$G/v1/sessions/$CID" -H "Authorization: Bearer $CT" -H "X-Container-ID: $CID, $CID")"
	sg_check "$gw: X5: trailing garbage" 403 \
	    "$(req GET "$G/v1/sessions/$CID" -H "Authorization: Bearer $CT" -H "X-Container-ID: $CID x")"
	sg_check "$gw: container cannot list" 403 \
	    "$(req GET "$G/v1/sessions?user_id=$USER_ID" -H "Authorization: Bearer $CT" -H "X-Container-ID: $CID")"
	sg_check "$gw: container cannot issue" 403 \
	    "$(req POST "$G/v1/tokens" -H "Authorization: Bearer $CT" -H "X-Container-ID: $CID" \
	    -H 'Content-Type: application/json' --data "$BODY_TOKEN")"
	sg_check "$gw: no binding: header optional" 200 \
	    "$(req GET "$G/v1/sessions/$CID2" -H "Authorization: Bearer $CT2")"
	sg_check "$gw: no binding: a wrong header still refused" 403 \
	    "$(req GET "$G/v1/sessions/$CID2" -H "Authorization: Bearer $CT2" -H "X-Container-ID: $CID")"

	# -- health of the pool, routed directly
	sg_check "$gw: token-verify health" 200 "$(req GET "$G/healthz/token-verify")"
	sg_check_match "$gw: health JSON" '"service":"token-verify"' "$(cat "$T/b")"

	# -- routes the gateway does not know: the API's JSON 404, never
	# the web server's HTML page, with or without a token
	for u in /nope /v1/nope /v1/sandboxes/x/y/z /v2/ /healthz/nope \
	    /v1/sessions/x/y/z /v1/tokensx; do
		sg_check "$gw: GET $u -> 404" 404 "$(req GET "$G$u")"
		sg_check "$gw: GET $u JSON" application/json "$(hdr Content-Type)"
		sg_check "$gw: GET $u not_found" not_found \
		    "$(jq -r .error <"$T/b" 2>/dev/null)"
	done
	sg_check "$gw: POST /nope -> 404" 404 \
	    "$(req POST "$G/nope" -H "Authorization: Bearer $OP_ALL" --data '{}')"
	sg_check "$gw: POST /nope not_found" not_found \
	    "$(jq -r .error <"$T/b" 2>/dev/null)"
	sg_check "$gw: DELETE /v1/sandboxes/x/y -> 404 JSON" "404 not_found" \
	    "$(req DELETE "$G/v1/sandboxes/x/y" -H "Authorization: Bearer $OP_ALL") $(jq -r .error <"$T/b" 2>/dev/null)"
done

# lighttpd passes token-verify's own answers through
G=http://127.0.0.1:$LPORT
req GET "$G/v1/sessions/$CID" >/dev/null
sg_check_match "lighttpd: 401 body from token-verify" '"error":"missing_token"' "$(cat "$T/b")"
req POST "$G/v1/tokens" -H "Authorization: Bearer $OP_READ" --data '' >/dev/null
sg_check_match "lighttpd: 403 body from token-verify" '"error":"insufficient_scope"' "$(cat "$T/b")"
sg_check "lighttpd: 403 scope challenge" 'Bearer error="insufficient_scope", scope="tokens:issue"' \
    "$(hdr WWW-Authenticate)"
# two X-Container-ID lines: lighttpd joins them into "a, b"
sg_check "lighttpd: X2: two header lines" 403 \
    "$(req GET "$G/v1/sessions/$CID" -H "Authorization: Bearer $CT" -H "X-Container-ID: $CID" -H "X-Container-ID: $CID")"
# X3: underscore name refused by nginx (ignore_invalid_headers)
G=http://127.0.0.1:$NPORT
sg_check "nginx: X3: underscore header ignored" 403 \
    "$(req GET "$G/v1/sessions/$CID" -H "Authorization: Bearer $CT" -H "X_Container_ID: $CID")"
# the auth subrequest never sees the body (X9): a 100 kB POST is decided
head -c 100000 /dev/zero | tr '\0' a >"$T/big"
sg_check "nginx: body not sent to the authorizer" 403 \
    "$(req POST "$G/v1/tokens" -H "Authorization: Bearer $OP_READ" --data-binary @"$T/big")"

# revocation reaches the API too
sg_redis DEL "sandgate:session:$CID" >/dev/null
for G in http://127.0.0.1:$LPORT http://127.0.0.1:$NPORT; do
	sg_check "revoked container token -> 401 ($G)" 401 \
	    "$(req GET "$G/v1/sessions/$CID" -H "Authorization: Bearer $CT" -H "X-Container-ID: $CID")"
done
# an operator token revoked one by one (sandgate token revoke): refused on
# both gateways (SANDGATE_SESSION_CACHE_MS=0 here: at once), while the
# same operator's other tokens keep working
OP_READ2=$(op sessions:read)
for G in http://127.0.0.1:$LPORT http://127.0.0.1:$NPORT; do
	sg_check "before revoke: operator token works ($G)" 200 \
	    "$(req GET "$G/v1/sessions/$CID2" -H "Authorization: Bearer $OP_READ")"
done
printf '%s\n' "$OP_READ" | "$SG_CLI" token revoke >"$T/revoke.out" \
    2>"$T/revoke.err" && rc=0 || rc=$?
sg_check "sandgate token revoke" 0 "$rc"
JTI=$(cut -d' ' -f1 "$T/revoke.out")
sg_check_match "revoke prints jti and until" '^[A-Za-z0-9_-]+ [0-9]+$' \
    "$(cat "$T/revoke.out")"
TTL=$(sg_redis TTL "sandgate:revoked:$JTI")
sg_check_match "the entry dies with the token (600 s + leeway)" \
    '^6[0-3][0-9]$' "$TTL"
for G in http://127.0.0.1:$LPORT http://127.0.0.1:$NPORT; do
	sg_check "revoked operator token -> 401 ($G)" 401 \
	    "$(req GET "$G/v1/sessions/$CID2" -H "Authorization: Bearer $OP_READ")"
	sg_check "the other token still works ($G)" 200 \
	    "$(req GET "$G/v1/sessions/$CID2" -H "Authorization: Bearer $OP_READ2")"
done
sg_check_match "decision logged as token_revoked" '"reason":"token_revoked"' \
    "$(cat "$T/verify.log")"
printf '%s\n' "$CT2" | "$SG_CLI" token revoke >/dev/null 2>"$T/revoke.err" &&
    rc=0 || rc=$?
sg_check "a container token is not revoked this way" 1 "$rc"
sg_check "--jti alone" 0 "$("$SG_CLI" token revoke --jti "$(printf '%s' \
    "$OP_ALL" | cut -d. -f2 | tr '_-' '/+' | base64 -d 2>/dev/null |
    jq -r .jti)" >/dev/null 2>&1 && echo 0 || echo $?)"
sg_check "revoked by jti -> 401" 401 \
    "$(req GET "http://127.0.0.1:$LPORT/v1/sessions/$CID2" -H "Authorization: Bearer $OP_ALL")"
sg_check "--jti bad" 2 "$("$SG_CLI" token revoke --jti 'a b' >/dev/null \
    2>&1 && echo 0 || echo $?)"
# ---- /metrics on the loopback scrape listener (docs/operations.md) ------
sg_check "nginx scrape port: /metrics without a token" 200 \
    "$(req GET "http://127.0.0.1:$NMPORT/metrics")"
sg_check_match "... Prometheus text" 'TYPE sandgate_build_info gauge' "$(cat "$T/b")"
sg_check "nginx scrape port: another path" 404 \
    "$(req GET "http://127.0.0.1:$NMPORT/v1/sessions/$CID2" -H "Authorization: Bearer $OP_READ")"
sg_check "nginx scrape port: POST /metrics" 405 \
    "$(req POST "http://127.0.0.1:$NMPORT/metrics")"
sg_check "lighttpd scrape port (not SANDGATE_METRICS_PORT): a token needed" 401 \
    "$(req GET "http://127.0.0.1:$LMPORT/metrics")"
sg_check "lighttpd scrape port: another path denied before any backend" 403 \
    "$(req GET "http://127.0.0.1:$LMPORT/v1/sessions/$CID2" -H "Authorization: Bearer $OP_READ")"
sg_check "lighttpd scrape port: jwks denied too" 403 \
    "$(req GET "http://127.0.0.1:$LMPORT/.well-known/jwks.json")"
for G in http://127.0.0.1:$LPORT http://127.0.0.1:$NPORT; do
	sg_check "API port: /metrics without a token ($G)" 401 "$(req GET "$G/metrics")"
	sg_check "API port: /metrics with metrics:read ($G)" 200 \
	    "$(req GET "$G/metrics" -H "Authorization: Bearer $OP_METRICS")"
done

# Redis down: operator decisions fail closed too (503 from the authorizer)
sg_stop_redis
sg_check_match "Redis down: operator token refused (lighttpd)" '^5' \
    "$(req GET "http://127.0.0.1:$LPORT/v1/sessions/$CID2" -H "Authorization: Bearer $OP_READ2")"

# authorizer down: fail closed
kill "$PID_verify"
wait "$PID_verify" 2>/dev/null || true
sg_check_match "lighttpd: authorizer down -> 5xx" '^5' \
    "$(req GET "http://127.0.0.1:$LPORT/v1/sessions/$CID2" -H "Authorization: Bearer $OP_READ")"
sg_check_match "nginx: authorizer down -> 5xx" '^5' \
    "$(req GET "http://127.0.0.1:$NPORT/v1/sessions/$CID2" -H "Authorization: Bearer $OP_READ")"
sg_check "token never logged" 0 "$(grep -c -- "${CT##*.}" "$T/verify.log" || true)"

sg_done
