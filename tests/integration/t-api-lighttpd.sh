#!/bin/sh
# SPDX-License-Identifier: ISC
# token-issuer and session-query behind a real lighttpd API gateway with
# the real token-verify as its FastCGI authorizer (docs/web-servers.md
# 2.1), a real redis-server holding sessions written with redis-cli in
# the contract's format, and the services also driven directly with
# cgi-fcgi (spawn-fcgi, inherited fd 0).  Covers: the open JWKS and
# health routes; POST /v1/tokens (201, the token verified independently
# with PyJWT, never logged; 401/403/400/413/415); session reads by an
# operator and by the container's own token, the list, 404, hostile ids;
# backends reached without the authorizer answer 401 whatever headers
# the client forges; Redis killed mid-run (503 + Retry-After, then
# recovery without restarting anything); bad input changes nothing in
# Redis; SIGTERM stops a service cleanly.
. "$(dirname "$0")/lib.sh"

sg_setup
ISSUER=$SG_SVC/token-issuer/token-issuer
QUERY=$SG_SVC/session-query/session-query
VERIFY=$SG_SVC/token-verify/token-verify
for b in "$ISSUER" "$QUERY" "$VERIFY" "$SG_CLI"; do
	[ -x "$b" ] || { echo "missing $b (build first)" >&2; exit 1; }
done
# Debian's interpreter: it has python3-jwt (a pyenv python3 may not).
PY=/usr/bin/python3

ISS=https://sandgate.test
ORG=3f2504e0-4f89-41d3-9a0c-0305e82c3301
USER_ID=user_1
CID=sandbox_AAAAAAAAAAAAAAAAAAAAAA
CID2=sandbox_BBBBBBBBBBBBBBBBBBBBBB

sg_start_redis
export SANDGATE_ISSUER=$ISS
export SANDGATE_SIGNING_KEY=$SG_DATA/test-key-1.pem
export SANDGATE_VERIFY_KEYS=$SG_DATA/test-key-1.pub.pem
export SANDGATE_REDIS=unix:$REDIS_SOCK
export SANDGATE_REDIS_TIMEOUT_MS=300
export SANDGATE_SESSION_CACHE_MS=0
export SANDGATE_LOG_LEVEL=debug
unset SANDGATE_SOCKET

IPORT=$(sg_free_port)
QPORT=$(sg_free_port)
VPORT=$(sg_free_port)
LPORT=$(sg_free_port)
LPORT2=$(sg_free_port)
sg_spawn issuer "$IPORT" "$ISSUER"
sg_spawn query "$QPORT" "$QUERY"
sg_spawn verify "$VPORT" "$VERIFY"

mkdir -p "$T/docroot" "$T/errors"
cp "$SG_TOP/deploy/lighttpd/errors/404.html" "$T/errors/"
cat >"$T/lighttpd.conf" <<EOF
server.modules = ( "mod_access", "mod_fastcgi" )
server.document-root = "$T/docroot"
server.bind = "127.0.0.1"
server.port = $LPORT
server.errorlog = "$T/lighttpd-error.log"
server.max-request-size = 128
# deploy/'s catch-all: unknown routes get the API's JSON 404.
server.errorfile-prefix = "$T/errors/"
mimetype.assign = ( "/errors/404.html" => "application/json" )
var.authz = ( "host" => "127.0.0.1", "port" => $VPORT,
	"mode" => "authorizer", "check-local" => "disable" )
var.issuer = ( "host" => "127.0.0.1", "port" => $IPORT,
	"check-local" => "disable" )
var.query = ( "host" => "127.0.0.1", "port" => $QPORT,
	"check-local" => "disable" )
\$SERVER["socket"] == "127.0.0.1:$LPORT" {
	\$HTTP["url"] == "/.well-known/jwks.json" {
		fastcgi.server = ( "/" => ( "issuer" => var.issuer ) )
	}
	else \$HTTP["url"] == "/v1/tokens" {
		fastcgi.server = ( "/" => ( "authz" => var.authz,
			"issuer" => var.issuer ) )
	}
	else \$HTTP["url"] =~ "^/v1/sessions" {
		fastcgi.server = ( "/" => ( "authz" => var.authz,
			"query" => var.query ) )
	}
	else \$HTTP["url"] == "/healthz/token-issuer" {
		fastcgi.server = ( "/" => ( "issuer" => var.issuer ) )
	}
	else \$HTTP["url"] == "/healthz/session-query" {
		fastcgi.server = ( "/" => ( "query" => var.query ) )
	}
}
# A misconfigured gateway without the authorizer: the backends must
# refuse on their own.
\$SERVER["socket"] == "127.0.0.1:$LPORT2" {
	\$HTTP["url"] == "/v1/tokens" {
		fastcgi.server = ( "/" => ( "issuer" => var.issuer ) )
	}
	else \$HTTP["url"] =~ "^/v1/sessions" {
		fastcgi.server = ( "/" => ( "query" => var.query ) )
	}
}
EOF
lighttpd -tt -f "$T/lighttpd.conf" >"$T/lighttpd-check.log" 2>&1 || {
	cat "$T/lighttpd-check.log" >&2
	exit 1
}
lighttpd -D -f "$T/lighttpd.conf" >>"$T/lighttpd.log" 2>&1 &
sg_track_pid $!
sg_wait_tcp 127.0.0.1 "$LPORT"
sg_wait_tcp 127.0.0.1 "$LPORT2"
API=http://127.0.0.1:$LPORT
RAW=http://127.0.0.1:$LPORT2

# req METHOD URL [curl args]: status in $ST, body in $T/body, headers
# in $T/hdrs.
req()
{
	_m=$1
	_u=$2
	shift 2
	ST=$(curl -sS -o "$T/body" -D "$T/hdrs" -w '%{http_code}' \
	    --max-time 10 -X "$_m" "$@" "$_u") || ST=000
}
body() { cat "$T/body"; }
jf() { jq -r "$1" <"$T/body" 2>/dev/null; }
hdr() { tr -d '\r' <"$T/hdrs" | grep -i "^$1:" | head -n 1 | cut -d' ' -f2-; }

optoken()
{
	SANDGATE_TOKEN_TTL=3600 "$SG_CLI" token --sub "$1" --scope "$2"
}
OP_ISSUE=$(optoken ops-issue "tokens:issue")
OP_READ=$(optoken ops-read "sessions:read")
OP_OTHER=$(optoken ops-other "sandboxes:create sandboxes:destroy")
[ -n "$OP_ISSUE" ] && [ -n "$OP_READ" ] && [ -n "$OP_OTHER" ] || {
	echo "cannot mint operator tokens" >&2
	exit 1
}

# ---- open routes --------------------------------------------------------
req GET "$API/.well-known/jwks.json"
sg_check "jwks 200" 200 "$ST"
sg_check "jwks one key" 1 "$(jf '.keys | length')"
sg_check "jwks public only" "null" "$(jf '.keys[0].d')"
sg_check "jwks kty" "EC" "$(jf '.keys[0].kty')"
sg_check "jwks cache" "public, max-age=300" "$(hdr Cache-Control)"
sg_check "jwks content type" "application/json" "$(hdr Content-Type)"
req POST "$API/.well-known/jwks.json" -H 'Content-Type: application/json' \
    --data '{}'
sg_check "jwks POST 405" 405 "$ST"
sg_check "jwks POST Allow" "GET, HEAD" "$(hdr Allow)"
req GET "$API/healthz/token-issuer"
sg_check "issuer healthz" "200 ok" "$ST $(jf .status)"
req GET "$API/healthz/session-query"
sg_check "query healthz" "200 ok ok" "$ST $(jf .status) $(jf .redis)"

# Routes the gateway does not know: the API's JSON 404, not lighttpd's
# HTML page.
for u in /nope /v1/nope /v1/sandboxes/x/y/z /v2/ /healthz/nope; do
	req GET "$API$u"
	sg_check "unknown $u 404" 404 "$ST"
	sg_check "unknown $u JSON" application/json "$(hdr Content-Type)"
	sg_check "unknown $u not_found" not_found "$(jf .error)"
done
req DELETE "$API/v1/nope" -H "Authorization: Bearer $OP_ISSUE"
sg_check "unknown DELETE 404 not_found" "404 not_found" "$ST $(jf .error)"

# ---- POST /v1/tokens ------------------------------------------------------
TOKBODY='{"container_id":"'$CID'","user_id":"'$USER_ID'","organization_uuid":"'$ORG'","allowed_hosts":["github.com","*.example.com:8443"],"duration_hours":2}'
req POST "$API/v1/tokens" -H 'Content-Type: application/json' \
    --data "$TOKBODY"
sg_check "issue without token 401" 401 "$ST"
sg_check_match "issue without token challenge" "^Bearer" \
    "$(hdr WWW-Authenticate)"
req POST "$API/v1/tokens" -H "Authorization: Bearer $OP_OTHER" \
    -H 'Content-Type: application/json' --data "$TOKBODY"
sg_check "issue without scope 403" 403 "$ST"
req POST "$API/v1/tokens" -H "Authorization: Bearer $OP_ISSUE" \
    -H 'Content-Type: application/json' --data "$TOKBODY"
sg_check "issue 201" 201 "$ST"
sg_check "issue no-store" "no-store" "$(hdr Cache-Control)"
TOKEN=$(jf .token)
JTI=$(jf .jti)
EXP=$(jf .expires_at)
sg_check "issue kid" "$(curl -sS "$API/.well-known/jwks.json" |
    jq -r '.keys[0].kid')" "$(jf .kid)"
# The token, checked by another implementation (PyJWT) with the PEM.
CLAIMS=$($PY - "$TOKEN" "$SG_DATA/test-key-1.pub.pem" "$ISS" <<'EOF'
import jwt, sys, json
tok, pem, iss = sys.argv[1], open(sys.argv[2]).read(), sys.argv[3]
c = jwt.decode(tok, pem, algorithms=["ES256"], audience="sandgate-egress",
               issuer=iss)
print(json.dumps(c, sort_keys=True))
EOF
) || CLAIMS="{}"
sg_check "pyjwt sub" "$USER_ID" "$(printf '%s' "$CLAIMS" | jq -r .sub)"
sg_check "pyjwt container_id" "$CID" \
    "$(printf '%s' "$CLAIMS" | jq -r .container_id)"
sg_check "pyjwt hosts" "github.com,*.example.com:8443" \
    "$(printf '%s' "$CLAIMS" | jq -r .allowed_hosts)"
sg_check "pyjwt binding" "true" \
    "$(printf '%s' "$CLAIMS" | jq -r .enforce_container_binding)"
sg_check "pyjwt jti" "$JTI" "$(printf '%s' "$CLAIMS" | jq -r .jti)"
sg_check "pyjwt lifetime 2h" 7200 \
    "$(printf '%s' "$CLAIMS" | jq -r '.exp - .iat')"
sg_check "expires_at is exp" "$EXP" "$(printf '%s' "$CLAIMS" | jq -r .exp)"
# Issued, logged by jti, never by value.
sg_check_match "issuance logged" "\"event\":\"token_issued\".*\"jti\":\"$JTI\"" \
    "$(cat "$T/issuer.log")"
if grep -qF "$(printf '%s' "$TOKEN" | cut -d. -f3)" "$T"/*.log; then
	sg_check "token never logged" absent present
else
	sg_check "token never logged" absent absent
fi

# Bad bodies through the gateway.
issue() {
	req POST "$API/v1/tokens" -H "Authorization: Bearer $OP_ISSUE" "$@"
}
issue -H 'Content-Type: application/json' --data '{"container_id":'
sg_check "malformed json" "400 bad_json" "$ST $(jf .error)"
issue -H 'Content-Type: text/plain' --data "$TOKBODY"
sg_check "wrong content type" "415 unsupported_media_type" "$ST $(jf .error)"
issue -H 'Content-Type: application/json' \
    --data '{"container_id":"'$CID'","user_id":"u","organization_uuid":"'$ORG'","allowed_hosts":[],"admin":true}'
sg_check "unknown field" "400 unknown_field" "$ST $(jf .error)"
issue -H 'Content-Type: application/json' \
    --data '{"container_id":"'$CID'","user_id":"u","organization_uuid":"'$ORG'","allowed_hosts":"github.com"}'
sg_check "hosts not an array" "400 invalid_field" "$ST $(jf .error)"
issue -H 'Content-Type: application/json' \
    --data '{"container_id":"a\r\nX-Injected: 1","user_id":"u","organization_uuid":"'$ORG'","allowed_hosts":[]}'
sg_check "CRLF in container_id" "400 invalid_field" "$ST $(jf .error)"
issue -H 'Content-Type: application/json' \
    --data '{"container_id":"'$CID'","user_id":"u","organization_uuid":"'$ORG'","allowed_hosts":["*"]}'
sg_check "wildcard host" "400 invalid_field" "$ST $(jf .error)"
head -c 70000 /dev/zero | tr '\0' ' ' >"$T/big.json"
issue -H 'Content-Type: application/json' --data-binary "@$T/big.json"
sg_check "body over 64 KiB" "413 payload_too_large" "$ST $(jf .error)"
req GET "$API/v1/tokens" -H "Authorization: Bearer $OP_ISSUE"
sg_check_match "GET /v1/tokens refused" "^40[35]$" "$ST"

# ---- sessions ---------------------------------------------------------
NOW=$(date +%s)
SHA=$(printf '%s' "$TOKEN" | sha256sum | cut -d' ' -f1)
SESSION=$(jq -cn --arg cid "$CID" --arg user "$USER_ID" --arg org "$ORG" \
    --arg jti "$JTI" --arg sha "$SHA" --argjson now "$NOW" \
    --argjson exp "$EXP" '{container_id:$cid, user_id:$user,
    organization_uuid:$org, jti:$jti, token_sha256:$sha,
    allowed_hosts:["github.com","*.example.com:8443"],
    container_ip:"172.30.0.5", docker_id:"", image:"sandgate-sandbox:latest",
    created_at:$now, expires_at:$exp}')
put_session()
{
	sg_redis SET "sandgate:session:$CID" "$SESSION" EX 3600 >/dev/null
	sg_redis SADD "sandgate:user:$USER_ID" "$CID" >/dev/null
}
put_session

req GET "$API/v1/sessions/$CID" -H "Authorization: Bearer $OP_READ"
sg_check "operator reads session" 200 "$ST"
sg_check "session as written" "$(printf '%s' "$SESSION" | jq -S -c .)" \
    "$(jq -S -c . <"$T/body")"
sg_check "no token in session" "null" "$(jf .token)"
req GET "$API/v1/sessions/$CID2" -H "Authorization: Bearer $OP_READ"
sg_check "unknown session 404" "404 not_found" "$ST $(jf .error)"
req GET "$API/v1/sessions?user_id=$USER_ID" -H "Authorization: Bearer $OP_READ"
sg_check "list" "200 1 $CID" "$ST $(jf '.sessions | length') $(jf '.sessions[0].container_id')"
req GET "$API/v1/sessions" -H "Authorization: Bearer $OP_READ"
sg_check "list without user_id" "400 missing_parameter" "$ST $(jf .error)"
req GET "$API/v1/sessions/$CID" -H "Authorization: Bearer $OP_ISSUE"
sg_check "operator without sessions:read" 403 "$ST"
req GET "$API/v1/sessions/$CID" -H "Authorization: Bearer $TOKEN" \
    -H "X-Container-ID: $CID"
sg_check "container reads its own session" "200 $CID" "$ST $(jf .container_id)"
req GET "$API/v1/sessions/$CID2" -H "Authorization: Bearer $TOKEN" \
    -H "X-Container-ID: $CID"
sg_check "container reads another session" 403 "$ST"
req GET "$API/v1/sessions?user_id=$USER_ID" -H "Authorization: Bearer $TOKEN" \
    -H "X-Container-ID: $CID"
sg_check "container lists" 403 "$ST"

# Bad input changes nothing in Redis.
DIGEST=$(sg_redis DEBUG DIGEST)
for p in "/v1/sessions/a.b" "/v1/sessions/%2e%2e" "/v1/sessions/$CID%0d%0aFLUSHALL" \
    "/v1/sessions?user_id=%2A" "/v1/sessions?user_id=a&user_id=b" \
    "/v1/sessions?user_id=$USER_ID%0d%0aFLUSHALL" "/v1/sessions/*" \
    "/v1/sessions?user_id=$(head -c 200 /dev/zero | tr '\0' a)"; do
	req GET "$API$p" -H "Authorization: Bearer $OP_READ"
	sg_check_match "bad input $p" "^4[0-9][0-9]$" "$ST"
	req DELETE "$API$p" -H "Authorization: Bearer $OP_READ"
done
sg_check "redis unchanged by bad input" "$DIGEST" "$(sg_redis DEBUG DIGEST)"

# ---- backends without the authorizer ----------------------------------
req POST "$RAW/v1/tokens" -H 'Content-Type: application/json' \
    -H 'SG-Kind: operator' -H 'SG-Scope: tokens:issue' \
    -H 'X-SG-Kind: operator' -H "Authorization: Bearer $OP_ISSUE" \
    --data "$TOKBODY"
sg_check "issuer without authorizer" "401 invalid_token" "$ST $(jf .error)"
req GET "$RAW/v1/sessions/$CID" -H 'SG-Kind: operator' \
    -H 'SG-Scope: sessions:read' -H "Authorization: Bearer $OP_READ"
sg_check "query without authorizer" "401 invalid_token" "$ST $(jf .error)"
req GET "$RAW/v1/sessions?user_id=$USER_ID" -H 'SG_KIND: operator'
sg_check "list without authorizer" 401 "$ST"

# ---- Redis down mid-run, then back ------------------------------------
sg_stop_redis
req GET "$API/v1/sessions/$CID" -H "Authorization: Bearer $OP_READ"
sg_check "redis down: 503" "503 redis_unavailable" "$ST $(jf .error)"
sg_check_match "redis down: Retry-After" "^[0-9]+$" "$(hdr Retry-After)"
req GET "$API/v1/sessions?user_id=$USER_ID" -H "Authorization: Bearer $OP_READ"
sg_check "redis down: list 503" 503 "$ST"
sg_check "redis down: no sessions member" "null" "$(jf .sessions)"
req GET "$API/healthz/session-query"
sg_check "redis down: healthz" "503 down" "$ST $(jf .redis)"
req GET "$API/healthz/token-issuer"
sg_check "redis down: issuer still fine" 200 "$ST"
kill -0 "$PID_query" 2>/dev/null && alive=yes || alive=no
sg_check "query survived" yes "$alive"
sg_start_redis
put_session
req GET "$API/v1/sessions/$CID" -H "Authorization: Bearer $OP_READ"
sg_check "redis back: 200 without restart" "200 $CID" "$ST $(jf .container_id)"
req GET "$API/healthz/session-query"
sg_check "redis back: healthz" 200 "$ST"

# ---- direct FastCGI: spawn-fcgi (fd 0) and cgi-fcgi -------------------
# cgi-fcgi hands its own environment to the app as the params.
fcgi()
{
	env -i PATH="$PATH" "$@" cgi-fcgi -bind -connect "$T/issuer.sock" \
	    2>/dev/null | tr -d '\r'
}
spawn-fcgi -n -s "$T/issuer.sock" -M 0600 -- "$ISSUER" \
    2>>"$T/issuer-fd0.log" &
FD0=$!
sg_track_pid $FD0
sg_wait_file "$T/issuer.sock"
OUT=$(fcgi REQUEST_METHOD=GET REQUEST_URI=/healthz </dev/null)
sg_check "fd 0: healthz" "Status: 200 OK" "$(printf '%s\n' "$OUT" | head -n 1)"
OUT=$(printf '%s' "$TOKBODY" | fcgi REQUEST_METHOD=POST REQUEST_URI=/v1/tokens \
    CONTENT_TYPE=application/json CONTENT_LENGTH=${#TOKBODY} \
    SG_KIND=operator SG_SUB=direct SG_SCOPE=tokens:issue)
sg_check "fd 0: direct issue" "Status: 201 Created" \
    "$(printf '%s\n' "$OUT" | head -n 1)"
OUT=$(fcgi REQUEST_METHOD=POST REQUEST_URI=/v1/tokens CONTENT_LENGTH=70000 \
    CONTENT_TYPE=application/json SG_KIND=operator SG_SCOPE=tokens:issue \
    </dev/null)
sg_check "fd 0: 413 without reading" "Status: 413 Content Too Large" \
    "$(printf '%s\n' "$OUT" | head -n 1)"
# docs/security.md X9: a 10 MB body is refused at once, and costs nothing.
T0=$(date +%s)
OUT=$(head -c 10485760 /dev/zero | fcgi REQUEST_METHOD=POST \
    REQUEST_URI=/v1/tokens CONTENT_LENGTH=10485760 \
    CONTENT_TYPE=application/json SG_KIND=operator SG_SCOPE=tokens:issue)
sg_check "fd 0: 10 MB body 413" "Status: 413 Content Too Large" \
    "$(printf '%s\n' "$OUT" | head -n 1)"
sg_check_match "fd 0: 10 MB body refused fast" "^[0-4]$" \
    "$(( $(date +%s) - T0 ))"
OUT=$(fcgi REQUEST_METHOD=GET REQUEST_URI=/healthz </dev/null)
sg_check "fd 0: alive after 10 MB" "Status: 200 OK" \
    "$(printf '%s\n' "$OUT" | head -n 1)"
OUT=$(fcgi REQUEST_METHOD=POST REQUEST_URI=/v1/tokens CONTENT_LENGTH=+5 \
    CONTENT_TYPE=application/json SG_KIND=operator SG_SCOPE=tokens:issue \
    </dev/null)
sg_check "fd 0: strict CONTENT_LENGTH" "Status: 400 Bad Request" \
    "$(printf '%s\n' "$OUT" | head -n 1)"
OUT=$(fcgi REQUEST_METHOD=GET "REQUEST_URI=/v1/%2e%2e/healthz" </dev/null)
sg_check "fd 0: hostile path" "Status: 400 Bad Request" \
    "$(printf '%s\n' "$OUT" | head -n 1)"
kill -TERM "$FD0"
rc=0
wait "$FD0" || rc=$?
sg_check "fd 0: SIGTERM exits 0" 0 "$rc"

# Key rotation: SIGHUP reloads the signing key; a bad file keeps the old.
cp "$SG_DATA/test-key-1.pem" "$T/sign.pem"
SANDGATE_SIGNING_KEY=$T/sign.pem spawn-fcgi -n -s "$T/issuer.sock" -M 0600 \
    -- "$ISSUER" 2>>"$T/issuer-hup.log" &
HUPPID=$!
sg_track_pid $HUPPID
sg_wait_file "$T/issuer.sock"
kidof() { fcgi REQUEST_METHOD=GET REQUEST_URI=/healthz </dev/null |
    sed -n 's/.*"kid":"\([^"]*\)".*/\1/p'; }
KID1=$(kidof)
KID2=$("$SG_CLI" jwk "$SG_DATA/test-key-2.pem" 2>/dev/null | jq -r .kid)
cp "$SG_DATA/test-key-2.pem" "$T/sign.pem"
kill -HUP "$HUPPID"
sleep 0.2
sg_check "SIGHUP: new signing key" "$KID2" "$(kidof)"
OUT=$(fcgi REQUEST_METHOD=GET REQUEST_URI=/.well-known/jwks.json </dev/null |
    sed -n '/^{/p')
sg_check "SIGHUP: JWKS has old and new" 2 \
    "$(printf '%s' "$OUT" | jq '.keys | length')"
printf 'not a key\n' >"$T/sign.pem"
kill -HUP "$HUPPID"
sleep 0.2
sg_check "SIGHUP: bad key file keeps the old key" "$KID2" "$(kidof)"
sg_check_match "SIGHUP: reload failure logged" "keys_reload_failed" \
    "$(cat "$T/issuer-hup.log")"
[ "$KID1" != "$KID2" ] && sg_check "rotation changed kid" yes yes
kill -TERM "$HUPPID"
wait "$HUPPID" 2>/dev/null || true

# SANDGATE_SOCKET on a unix path: mode 0660, removed on SIGTERM.
SANDGATE_SOCKET=unix:$T/query.sock "$QUERY" 2>>"$T/query-unix.log" &
QU=$!
sg_track_pid $QU
sg_wait_file "$T/query.sock"
sg_check "unix socket mode" 660 "$(stat -c %a "$T/query.sock")"
kill -HUP "$QU"
sleep 0.2
kill -0 "$QU" 2>/dev/null && alive=yes || alive=no
sg_check "SIGHUP does not stop" yes "$alive"
kill -TERM "$QU"
rc=0
wait "$QU" || rc=$?
sg_check "unix: SIGTERM exits 0" 0 "$rc"
[ -e "$T/query.sock" ] && gone=no || gone=yes
sg_check "unix: socket removed" yes "$gone"

# Configuration errors stop the service at once, naming the variable.
rc=0
SANDGATE_SIGNING_KEY= "$ISSUER" </dev/null 2>"$T/cfg.err" || rc=$?
sg_check "missing signing key: EX_CONFIG" 78 "$rc"
sg_check_match "missing signing key: named" SANDGATE_SIGNING_KEY \
    "$(cat "$T/cfg.err")"
rc=0
SANDGATE_REDIS=http://x "$QUERY" </dev/null 2>"$T/cfg.err" || rc=$?
sg_check "bad redis url: EX_CONFIG" 78 "$rc"
sg_check_match "bad redis url: named" SANDGATE_REDIS "$(cat "$T/cfg.err")"

# Every log line is one JSON object.
bad=0
for f in "$T/issuer.log" "$T/query.log"; do
	while IFS= read -r line; do
		printf '%s' "$line" | jq -e . >/dev/null 2>&1 || bad=$((bad + 1))
	done <"$f"
done
sg_check "logs are JSON lines" 0 "$bad"

sg_done
