#!/bin/sh
# SPDX-License-Identifier: ISC
# token-verify as the API gateway's authorizer, in front of the real
# token-issuer and session-query, behind both gateways of DESIGN.md:
# lighttpd (docs/web-servers.md 2.1: authorizer and responder on the
# same route, FCGI_ROLE=AUTHORIZER, Variable-SG_*) and nginx auth_request
# (3.1: RESPONDER, X-SG-* turned into SG_* by auth_request_set; the auth
# location drops the body; every protected location hands off to a
# backend).  Covers operator scopes, container tokens for their own
# session with X-Container-ID, binding, 401/403 bodies and challenges,
# the SG_* facts reaching the backends (session-query's 200 for a
# container token needs SG_KIND and SG_CONTAINER_ID), and no X-SG-* or
# Variable-* leak to clients.
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
VPORT=$(sg_free_port)
IPORT=$(sg_free_port)
QPORT=$(sg_free_port)
LPORT=$(sg_free_port)
NPORT=$(sg_free_port)

mkdir -p "$T/keys"
"$MINT" jwks "$KEY1" >"$T/keys/verify.json"

export SANDGATE_ISSUER=$ISS
export SANDGATE_SIGNING_KEY=$KEY1
export SANDGATE_VERIFY_KEYS=$T/keys/verify.json
export SANDGATE_REDIS=unix:$REDIS_SOCK
export SANDGATE_REDIS_TIMEOUT_MS=300
export SANDGATE_SESSION_CACHE_MS=0
sg_spawn verify $VPORT "$VERIFY"
sg_spawn issuer $IPORT "$ISSUER"
sg_spawn query $QPORT "$QUERY"

# ---- tokens and sessions -------------------------------------------------
op() { "$MINT" operator "$KEY1" "$ISS" ops "$1" 600 | cut -d' ' -f1; }
OP_ALL=$(op "tokens:issue sandboxes:create sandboxes:destroy sessions:read metrics:read")
OP_ISSUE=$(op tokens:issue)
OP_READ=$(op sessions:read)
OP_CREATE=$(op sandboxes:create)

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

# ---- lighttpd: authorizer + responder per route --------------------------
L=$T/lighttpd
mkdir -p "$L/empty"
chown -R www-data:www-data "$L"
cat >"$L/lighttpd.conf" <<EOF
server.modules = ( "mod_fastcgi" )
server.document-root = "$L/empty"
server.bind = "127.0.0.1"
server.port = $LPORT
server.username = "www-data"
server.groupname = "www-data"
server.errorlog = "$L/error.log"
var.sg_authz = ( "host" => "127.0.0.1", "port" => $VPORT,
	"mode" => "authorizer", "check-local" => "disable" )
var.sg_issuer = ( "host" => "127.0.0.1", "port" => $IPORT,
	"check-local" => "disable" )
var.sg_query = ( "host" => "127.0.0.1", "port" => $QPORT,
	"check-local" => "disable" )
\$HTTP["url"] == "/.well-known/jwks.json" {
	fastcgi.server = ( "/" => ( "issuer" => var.sg_issuer ) )
}
else \$HTTP["url"] == "/v1/tokens" {
	fastcgi.server = ( "/" => ( "verify" => var.sg_authz,
		"issuer" => var.sg_issuer ) )
}
else \$HTTP["url"] =~ "^/v1/sandboxes" {
	# no sandbox service here: session-query answers 404 once past
	fastcgi.server = ( "/" => ( "verify" => var.sg_authz,
		"query" => var.sg_query ) )
}
else \$HTTP["url"] =~ "^/v1/sessions(/[A-Za-z0-9_-]{1,128})?\$" {
	fastcgi.server = ( "/" => ( "verify" => var.sg_authz,
		"query" => var.sg_query ) )
}
else \$HTTP["url"] == "/healthz/token-verify" {
	fastcgi.server = ( "/" => ( "h" => ( "host" => "127.0.0.1",
		"port" => $VPORT, "check-local" => "disable" ) ) )
}
EOF
lighttpd -D -f "$L/lighttpd.conf" 2>>"$T/lighttpd.log" &
sg_track_pid $!
sg_wait_tcp 127.0.0.1 $LPORT

# ---- nginx: auth_request -------------------------------------------------
N=$T/nginx
mkdir -p "$N/tmp"
chown -R www-data:www-data "$N/tmp"
cat >"$N/nginx.conf" <<EOF
user www-data;
worker_processes 1;
pid $N/nginx.pid;
error_log $T/nginx.log warn;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $N/tmp/body;
	proxy_temp_path $N/tmp/proxy;
	fastcgi_temp_path $N/tmp/fastcgi;
	uwsgi_temp_path $N/tmp/uwsgi;
	scgi_temp_path $N/tmp/scgi;
	underscores_in_headers off;
	ignore_invalid_headers on;
	server {
		listen 127.0.0.1:$NPORT;
		default_type application/json;
		auth_request_set \$sg_sub          \$upstream_http_x_sg_sub;
		auth_request_set \$sg_scope        \$upstream_http_x_sg_scope;
		auth_request_set \$sg_container_id \$upstream_http_x_sg_container_id;
		auth_request_set \$sg_kind         \$upstream_http_x_sg_kind;
		# Not "include fastcgi_params" + an empty CONTENT_LENGTH: nginx
		# would send CONTENT_LENGTH twice (13 and ""), and sg_serve
		# refuses a request whose parameter is given twice (400,
		# which auth_request turns into 500 on every POST).
		location = /_sg_auth {
			internal;
			fastcgi_pass_request_body off;
			fastcgi_param CONTENT_LENGTH "";
			fastcgi_param CONTENT_TYPE "";
			fastcgi_param REQUEST_URI \$request_uri;
			fastcgi_param REQUEST_METHOD \$request_method;
			fastcgi_param QUERY_STRING \$query_string;
			fastcgi_param SCRIPT_NAME \$fastcgi_script_name;
			fastcgi_param DOCUMENT_URI \$document_uri;
			fastcgi_param SERVER_PROTOCOL \$server_protocol;
			fastcgi_param REMOTE_ADDR \$remote_addr;
			fastcgi_param REMOTE_PORT \$remote_port;
			fastcgi_pass 127.0.0.1:$VPORT;
		}
		location = /v1/tokens {
			auth_request /_sg_auth;
			include /etc/nginx/fastcgi_params;
			fastcgi_param SG_SUB \$sg_sub;
			fastcgi_param SG_SCOPE \$sg_scope;
			fastcgi_param SG_CONTAINER_ID \$sg_container_id;
			fastcgi_param SG_KIND \$sg_kind;
			fastcgi_pass 127.0.0.1:$IPORT;
		}
		location ~ "^/v1/(sessions|sandboxes)" {
			auth_request /_sg_auth;
			include /etc/nginx/fastcgi_params;
			fastcgi_param SG_SUB \$sg_sub;
			fastcgi_param SG_SCOPE \$sg_scope;
			fastcgi_param SG_CONTAINER_ID \$sg_container_id;
			fastcgi_param SG_KIND \$sg_kind;
			fastcgi_pass 127.0.0.1:$QPORT;
		}
		location = /healthz/token-verify {
			include /etc/nginx/fastcgi_params;
			fastcgi_pass 127.0.0.1:$VPORT;
		}
		location / {
			return 404;
		}
	}
}
EOF
nginx -c "$N/nginx.conf" -p "$N" -g 'daemon off;' 2>>"$T/nginx.log" &
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
# authorizer down: fail closed
kill "$PID_verify"
wait "$PID_verify" 2>/dev/null || true
sg_check_match "lighttpd: authorizer down -> 5xx" '^5' \
    "$(req GET "http://127.0.0.1:$LPORT/v1/sessions/$CID2" -H "Authorization: Bearer $OP_READ")"
sg_check_match "nginx: authorizer down -> 5xx" '^5' \
    "$(req GET "http://127.0.0.1:$NPORT/v1/sessions/$CID2" -H "Authorization: Bearer $OP_READ")"
sg_check "token never logged" 0 "$(grep -c -- "${CT##*.}" "$T/verify.log" || true)"

sg_done
