#!/bin/sh
# SPDX-License-Identifier: ISC
# token-verify behind a real Apache forward proxy (mod_proxy,
# mod_proxy_connect, mod_authnz_fcgi in check_user_id mode, as
# docs/web-servers.md 1.1 with SG_ names), a target HTTP server on
# loopback that records what reaches it, and a real redis-server holding
# the sessions in the contract's format.  Covers: GET and CONNECT allowed;
# missing/bad/expired/other-container/revoked credentials -> 407 with
# Proxy-Authenticate; unlisted host, wrong port, private target and the
# docs/security.md 4.1 bypasses that loopback can express -> 403 (or a
# 400 from Apache itself) with nothing reaching the target; the target
# never sees Proxy-Authorization; no authorizer header leaks to the
# client; address binding (127.0.0.2 vs 127.0.0.1); report mode
# (SANDGATE_EGRESS_MODE=report: an unlisted target passes as would_deny,
# every credential failure is still a 407); Redis stopped mid-run -> 503,
# then recovery; key rotation (file change and SIGHUP) without a failed
# request.
#
# SG_EGRESS_AUTHZ=module (t-egress-module.sh): the same checks with the
# project's mod_sandgate_authz (kept FastCGI connections on unix sockets)
# in place of mod_authnz_fcgi.
. "$(dirname "$0")/lib.sh"

sg_setup
AUTHZ=${SG_EGRESS_AUTHZ:-fcgi}
SGAMOD=$SG_BUILD/deploy/apache/mod_sandgate_authz.so
if [ "$AUTHZ" = module ] && [ ! -f "$SGAMOD" ]; then
	echo "skip: $SGAMOD not built (no apxs at configure time)"
	exit 0
fi
VERIFY=$SG_BUILD/services/token-verify/token-verify
MINT=$SG_BUILD/services/token-verify/tv-mint
for b in "$VERIFY" "$MINT"; do
	[ -x "$b" ] || { echo "missing $b (build first)" >&2; exit 1; }
done

ISS=https://sandgate.test
ORG=3f2504e0-4f89-41d3-9a0c-0305e82c3301
USER_ID=user_1
CID=sandbox_AAAAAAAAAAAAAAAAAAAAAA
CID2=sandbox_BBBBBBBBBBBBBBBBBBBBBB
CID3=sandbox_CCCCCCCCCCCCCCCCCCCCCC
KEY1=$SG_DATA/test-key-1.pem
KEY2=$SG_DATA/test-key-2.pem

sg_start_redis
TPORT=$(sg_free_port)
TPORT2=$(sg_free_port)
VPORT1=$(sg_free_port)
VPORT2=$(sg_free_port)
PPORT1=$(sg_free_port)
PPORT2=$(sg_free_port)
VPORT3=$(sg_free_port)
PPORT3=$(sg_free_port)

# ---- target: records every request that reaches it -------------------
cat >"$T/target.py" <<'EOF'
import http.server, json, socket, sys, threading
log = sys.argv[1]
lock = threading.Lock()
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    def do_GET(self):
        rec = {"method": self.command, "path": self.path,
               "local": "%s:%d" % self.connection.getsockname()[:2],
               "headers": {k.lower(): v for k, v in self.headers.items()}}
        with lock, open(log, "a") as f:
            f.write(json.dumps(rec) + "\n")
        body = ("target-ok %s\n" % self.path).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_POST = do_GET
    def log_message(self, *a):
        pass
class V6(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6
for spec in sys.argv[2:]:
    host, port = spec.rsplit(":", 1)
    cls = V6 if ":" in host else http.server.ThreadingHTTPServer
    s = cls((host.strip("[]"), int(port)), H)
    threading.Thread(target=s.serve_forever, daemon=True).start()
threading.Event().wait()
EOF
: >"$T/target.log"
# The same ports on 127.0.0.2 and ::1 too: a request that leaks past the
# check to another loopback address is seen, not refused by the kernel.
python3 "$T/target.py" "$T/target.log" 127.0.0.1:$TPORT 127.0.0.1:$TPORT2 \
    127.0.0.2:$TPORT 127.0.0.2:$TPORT2 "[::1]:$TPORT" \
    2>>"$T/target.log.err" &
sg_track_pid $!
sg_wait_tcp 127.0.0.1 $TPORT
sg_wait_tcp 127.0.0.1 $TPORT2

hits() { wc -l <"$T/target.log" | tr -d ' '; }

# ---- keys, tokens, sessions ----------------------------------------------
mkdir -p "$T/keys"
"$MINT" jwks "$KEY1" >"$T/keys/verify.json"

# mint_c KEY CID HOSTS BINDING TTL [SHIFT] -> sets TOK JTI EXP
mint_c()
{
	set -- $("$MINT" container "$1" "$ISS" "$USER_ID" "$2" "$ORG" "$3" \
	    "$4" "$5" ${6:-})
	TOK=$1 JTI=$2 EXP=$3
}

# put_session CID JTI EXP HOSTS_JSON IP TOKEN: the contract's JSON
put_session()
{
	_now=$(date +%s)
	_sha=$(printf '%s' "$6" | sha256sum | cut -d' ' -f1)
	_json=$(printf '{"container_id":"%s","user_id":"%s","organization_uuid":"%s","jti":"%s","token_sha256":"%s","allowed_hosts":%s,"container_ip":"%s","docker_id":"","image":"sandgate-sandbox:latest","created_at":%s,"expires_at":%s}' \
	    "$1" "$USER_ID" "$ORG" "$2" "$_sha" "$4" "$5" "$_now" "$3")
	sg_redis SET "sandgate:session:$1" "$_json" EX $(($3 - _now)) >/dev/null
	sg_redis SADD "sandgate:user:$USER_ID" "$1" >/dev/null
}

proxyauth() { printf 'Basic %s' "$(printf 'container_%s:jwt_%s' "$1" "$2" | base64 -w0)"; }

HOSTS="127.0.0.1:$TPORT"
HOSTS_JSON="[\"127.0.0.1:$TPORT\"]"

mint_c "$KEY1" $CID "$HOSTS" false 3600
TOK_A=$TOK JTI_A=$JTI EXP_A=$EXP
put_session $CID "$JTI" "$EXP" "$HOSTS_JSON" 127.0.0.1 "$TOK_A"
# binding enforced, session address 127.0.0.1
mint_c "$KEY1" $CID2 "$HOSTS" true 3600
TOK_B=$TOK
put_session $CID2 "$JTI" "$EXP" "$HOSTS_JSON" 127.0.0.1 "$TOK_B"
# expired
mint_c "$KEY1" $CID3 "$HOSTS" false 3600 -7200
TOK_EXP=$TOK

# ---- token-verify x2 -----------------------------------------------------
# spawn_v NAME PORT: on 127.0.0.1:PORT, or (module) on $T/NAME.sock,
# which only the web server's user may open (0660, owner www-data).
spawn_v()
{
	if [ "$AUTHZ" = module ]; then
		sg_spawn_sock "$1" "$T/$1.sock" "$VERIFY"
		chown www-data:www-data "$T/$1.sock"
	else
		sg_spawn "$1" "$2" "$VERIFY"
	fi
}
export SANDGATE_ISSUER=$ISS
export SANDGATE_VERIFY_KEYS=$T/keys/verify.json
export SANDGATE_REDIS=unix:$REDIS_SOCK
export SANDGATE_REDIS_TIMEOUT_MS=300
export SANDGATE_EGRESS_PORTS=80,443
export SANDGATE_SESSION_CACHE_MS=0
export SANDGATE_EGRESS_DENY_PRIVATE=0
spawn_v verify1 $VPORT1
# the second one keeps the default private-target rule
export SANDGATE_EGRESS_DENY_PRIVATE=1
# 3 s of session cache: long enough that "still cached" holds on a busy
# machine, short enough to wait out
export SANDGATE_SESSION_CACHE_MS=3000
spawn_v verify2 $VPORT2
# the third one in report mode (the session checked on every request)
export SANDGATE_EGRESS_DENY_PRIVATE=0 SANDGATE_SESSION_CACHE_MS=0
export SANDGATE_EGRESS_MODE=report
spawn_v verify3 $VPORT3
unset SANDGATE_EGRESS_MODE

# ---- Apache --------------------------------------------------------------
# authz N: the vhost's authorizer line for token-verify N; the module
# sends the third (report mode) every CGI variable (SandgateAuthzVars
# Full), the others only what token-verify reads (the default), and
# keeps the allows token-verify lets it reuse (SandgateDecisionCache,
# as the shipped site does: the second token-verify, with its 3 s
# session cache, gives them)
authz()
{
	if [ "$AUTHZ" = module ]; then
		echo "SandgateAuthz unix:$T/verify$1.sock"
		echo "    SandgateDecisionCache 1024"
		[ "$1" = 3 ] && echo "    SandgateAuthzVars Full"
	else
		echo "AuthnzFcgiCheckAuthnProvider sg_egress$1 Authoritative On RequireBasicAuth Off UserExpr \"%{reqenv:SG_CONTAINER_ID}\""
	fi
}
A=$T/apache
mkdir -p "$A"
sg_apache_head "$A" proxy_connect >"$A/httpd.conf"
cat >>"$A/httpd.conf" <<EOF
$([ "$AUTHZ" = module ] && echo "LoadModule sandgate_authz_module $SGAMOD")
LogFormat "%h %u [%{SG_CONTAINER_ID}e] \"%r\" %>s" sg
CustomLog $T/apache-access.log sg
Listen 127.0.0.1:$PPORT1
Listen 127.0.0.1:$PPORT2
Listen 127.0.0.1:$PPORT3
AuthnzFcgiDefineProvider authn sg_egress1 fcgi://127.0.0.1:$VPORT1/
AuthnzFcgiDefineProvider authn sg_egress2 fcgi://127.0.0.1:$VPORT2/
AuthnzFcgiDefineProvider authn sg_egress3 fcgi://127.0.0.1:$VPORT3/

<VirtualHost 127.0.0.1:$PPORT1>
  ProxyRequests On
  ProxyVia Off
  AllowCONNECT 443 $TPORT $TPORT2
  <Proxy "*">
    AuthType SandgateToken
    AuthName sandgate
    $(authz 1)
    Require valid-user
    CGIPassAuth On
  </Proxy>
  <Location "/">
    Require all denied
  </Location>
</VirtualHost>

<VirtualHost 127.0.0.1:$PPORT2>
  ProxyRequests On
  ProxyVia Off
  AllowCONNECT 443 $TPORT $TPORT2
  <Proxy "*">
    AuthType SandgateToken
    AuthName sandgate
    $(authz 2)
    Require valid-user
    CGIPassAuth On
  </Proxy>
  <Location "/">
    Require all denied
  </Location>
</VirtualHost>

<VirtualHost 127.0.0.1:$PPORT3>
  ProxyRequests On
  ProxyVia Off
  AllowCONNECT 443 $TPORT $TPORT2
  <Proxy "*">
    AuthType SandgateToken
    AuthName sandgate
    $(authz 3)
    Require valid-user
    CGIPassAuth On
  </Proxy>
  <Location "/">
    Require all denied
  </Location>
</VirtualHost>
EOF
if [ "$AUTHZ" = module ]; then
	sed 's/SandgateAuthzVars Full/SandgateAuthzVars Everything/' \
	    "$A/httpd.conf" > "$A/bad-vars.conf"
	apache2 -t -f "$A/bad-vars.conf" > "$T/bad-vars.out" 2>&1 && rc=0 || rc=$?
	sg_check "module: SandgateAuthzVars Everything refused" 1 "$rc"
	sg_check_match "module: the refusal names the values" \
	    "SandgateAuthzVars: expected Minimal .* or Full" \
	    "$(cat "$T/bad-vars.out")"
fi
apache2 -f "$A/httpd.conf" -DFOREGROUND 2>>"$T/apache-error.log" &
APACHE_PID=$!
sg_track_pid $APACHE_PID
sg_wait_tcp 127.0.0.1 $PPORT1
sg_wait_tcp 127.0.0.1 $PPORT2
sg_wait_tcp 127.0.0.1 $PPORT3

P1=http://127.0.0.1:$PPORT1
P2=http://127.0.0.1:$PPORT2
P3=http://127.0.0.1:$PPORT3

# code ARGS...: HTTP status of a curl through the proxy; headers in $T/h
code()
{
	curl -s -o "$T/b" -D "$T/h" -w '%{http_code}' --max-time 10 "$@" ||
	    true
}
# cconnect ARGS...: status of the CONNECT answer
cconnect()
{
	curl -s -o "$T/b" -D "$T/h" -w '%{http_connect}' --max-time 10 -p \
	    "$@" || true
}
# raw PORT LINE [HEADER...]: send one request as given, print the status
raw()
{
	python3 - "$@" <<'EOF'
import socket, sys
port, line, hdrs = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
enc = lambda s: s.encode("utf-8", "surrogateescape")
req = enc(line) + b"\r\n" + b"".join(enc(h) + b"\r\n" for h in hdrs) + b"\r\n"
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall(req)
data = b""
try:
    while b"\r\n" not in data:
        d = s.recv(4096)
        if not d:
            break
        data += d
except socket.timeout:
    pass
parts = data.split(b" ")
print(parts[1].decode() if len(parts) > 1 else "000")
EOF
}
hdr() { tr -d '\r' <"$T/h" | grep -i "^$1:" | head -n 1 | cut -d' ' -f2-; }

PA_A=$(proxyauth $CID "$TOK_A")
U_A="container_$CID:jwt_$TOK_A"

# ---- allowed ---------------------------------------------------------------
n0=$(hits)
sg_check "GET allowed" 200 "$(code -x "$P1" -U "$U_A" "http://127.0.0.1:$TPORT/ok?q=1")"
sg_check "GET reached the target" "target-ok /ok?q=1" "$(cat "$T/b")"
sg_check "GET one hit" $((n0 + 1)) "$(hits)"
sg_check "target never sees Proxy-Authorization" "" \
    "$(grep -i 'proxy-authorization' "$T/target.log" || true)"
sg_check "no Variable- header leaks" "" "$(grep -i '^variable-\|^x-sg' "$T/h" || true)"
sg_check "no SG_ value leaks" "" "$(grep -i "$CID" "$T/h" || true)"
sg_check "CONNECT allowed" 200 "$(cconnect -x "$P1" -U "$U_A" "http://127.0.0.1:$TPORT/tunneled")"
sg_check "CONNECT tunnel works" "target-ok /tunneled" "$(cat "$T/b")"
sg_check "target never sees Proxy-Authorization (CONNECT)" "" \
    "$(grep -i 'proxy-authorization' "$T/target.log" || true)"
sg_check "access log names the container" 1 \
    "$(grep -c "\\[$CID\\] \"GET http://127.0.0.1:$TPORT/ok" "$T/apache-access.log" || true)"

# ---- 407 -------------------------------------------------------------------
n0=$(hits)
sg_check "no credentials: 407" 407 "$(code -x "$P1" "http://127.0.0.1:$TPORT/x")"
sg_check "no credentials: challenge" 'Basic realm="sandgate"' "$(hdr Proxy-Authenticate)"
sg_check_match "no credentials: JSON body" '"error":"missing_credentials"' "$(cat "$T/b")"
sg_check "no credentials: CONNECT 407" 407 "$(cconnect -x "$P1" "http://127.0.0.1:$TPORT/x")"
sg_check "CONNECT challenge" 'Basic realm="sandgate"' "$(hdr Proxy-Authenticate)"
sg_check "bad token: 407" 407 "$(code -x "$P1" -U "container_$CID:jwt_good.fake" "http://127.0.0.1:$TPORT/x")"
sg_check "bad token: CONNECT 407" 407 "$(cconnect -x "$P1" -U "container_$CID:jwt_good.fake" "http://127.0.0.1:$TPORT/x")"
# one signature character changed (the first one: all six bits count)
SIG=${TOK_A##*.}
case $SIG in A*) C=B ;; *) C=A ;; esac
BADSIG=${TOK_A%.*}.$C${SIG#?}
sg_check "tampered signature: 407" 407 "$(code -x "$P1" -U "container_$CID:jwt_$BADSIG" "http://127.0.0.1:$TPORT/x")"
sg_check "expired token: 407" 407 "$(code -x "$P1" -U "container_$CID3:jwt_$TOK_EXP" "http://127.0.0.1:$TPORT/x")"
sg_check_match "expired token: reason" token_expired "$(cat "$T/b")"
sg_check "other container's name: 407" 407 "$(code -x "$P1" -U "container_$CID2:jwt_$TOK_A" "http://127.0.0.1:$TPORT/x")"
sg_check "not container_ user: 407" 407 "$(code -x "$P1" -U "$CID:jwt_$TOK_A" "http://127.0.0.1:$TPORT/x")"
sg_check "Basic with two spaces: 407" 407 \
    "$(code -x "$P1" -H "Proxy-Authorization: Basic  $(printf '%s' "$U_A" | base64 -w0)" "http://127.0.0.1:$TPORT/x")"
sg_check "Bearer to the proxy: 407" 407 \
    "$(code -x "$P1" -H "Proxy-Authorization: Bearer $TOK_A" "http://127.0.0.1:$TPORT/x")"
OPTOK=$("$MINT" operator "$KEY1" "$ISS" ops "sessions:read" 600 | cut -d' ' -f1)
sg_check "operator token: 407" 407 "$(code -x "$P1" -U "container_$CID:jwt_$OPTOK" "http://127.0.0.1:$TPORT/x")"
sg_check "nothing reached the target (407s)" "$n0" "$(hits)"

# revoked: the session is deleted (SESSION_CACHE_MS=0: at once)
mint_c "$KEY1" $CID3 "$HOSTS" false 3600
TOK_R=$TOK
put_session $CID3 "$JTI" "$EXP" "$HOSTS_JSON" 127.0.0.1 "$TOK_R"
sg_check "before revocation: 200" 200 "$(code -x "$P1" -U "container_$CID3:jwt_$TOK_R" "http://127.0.0.1:$TPORT/r")"
sg_redis DEL "sandgate:session:$CID3" >/dev/null
n0=$(hits)
sg_check "revoked: 407" 407 "$(code -x "$P1" -U "container_$CID3:jwt_$TOK_R" "http://127.0.0.1:$TPORT/r")"
sg_check_match "revoked: reason" session_revoked "$(cat "$T/b")"
# a new token for the same id makes the old one dead too
put_session $CID3 "$JTI" "$EXP" "$HOSTS_JSON" 127.0.0.1 "$TOK_R"
mint_c "$KEY1" $CID3 "$HOSTS" false 3600
put_session $CID3 "$JTI" "$EXP" "$HOSTS_JSON" 127.0.0.1 "$TOK"
sg_check "superseded jti: 407" 407 "$(code -x "$P1" -U "container_$CID3:jwt_$TOK_R" "http://127.0.0.1:$TPORT/r")"
sg_check "nothing reached the target (revoked)" "$n0" "$(hits)"
# with SESSION_CACHE_MS=3000 (verify2) the revocation lands within 3 s
# (verify2 denies loopback targets, so "credentials fine" shows as 403)
U_R="container_$CID3:jwt_$TOK"
sg_check "session cache: credentials pass" 403 "$(code -x "$P2" -U "$U_R" "http://127.0.0.1:$TPORT/c")"
sg_redis DEL "sandgate:session:$CID3" >/dev/null
sg_check "session cache: still cached" 403 "$(code -x "$P2" -U "$U_R" "http://127.0.0.1:$TPORT/c")"
sleep 3.2
sg_check "session cache: revoked within the window" 407 "$(code -x "$P2" -U "$U_R" "http://127.0.0.1:$TPORT/c")"

# ---- 403 -------------------------------------------------------------------
n0=$(hits)
sg_check "unlisted host: 403" 403 "$(code -x "$P1" -U "$U_A" "http://127.0.0.2:$TPORT/x")"
sg_check_match "unlisted host: reason" host_not_allowed "$(cat "$T/b")"
sg_check "unlisted host: no challenge" "" "$(hdr Proxy-Authenticate)"
sg_check "unlisted host CONNECT: 403" 403 "$(cconnect -x "$P1" -U "$U_A" "http://127.0.0.2:$TPORT/x")"
sg_check "wrong port: 403" 403 "$(code -x "$P1" -U "$U_A" "http://127.0.0.1:$TPORT2/x")"
sg_check "wrong port CONNECT: 403" 403 "$(cconnect -x "$P1" -U "$U_A" "http://127.0.0.1:$TPORT2/x")"
sg_check "Host header spoof: 403" 403 \
    "$(code -x "$P1" -U "$U_A" -H "Host: 127.0.0.1:$TPORT" "http://127.0.0.2:$TPORT/x")"
sg_check "private target (DENY_PRIVATE=1): 403" 403 \
    "$(code -x "$P2" -U "$U_A" "http://127.0.0.1:$TPORT/x")"
sg_check_match "private target: reason" private_target "$(cat "$T/b")"
sg_check "private target CONNECT: 403" 403 \
    "$(cconnect -x "$P2" -U "$U_A" "http://127.0.0.1:$TPORT/x")"
sg_check "nothing reached the target (403s)" "$n0" "$(hits)"

# docs/security.md 4.1 on loopback: the list holds 127.0.0.1:TPORT only.
# A 400 is Apache refusing the request line before asking token-verify;
# either way nothing may reach a target.
n0=$(hits)
T2=$TPORT
for target in \
    "http://127.0.0.2:$T2/" \
    "http://127.0.0.1:$T2@127.0.0.2:$T2/" \
    "http://127.0.0.1@127.0.0.2:$T2/" \
    "http://u:p@127.0.0.1:$T2/" \
    "http://127.0.0.2:$T2#@127.0.0.1:$T2/" \
    "http://127.0.0.2:$T2\\@127.0.0.1:$T2/" \
    "http://127.0.0.2%3a$T2%2f@127.0.0.1:$T2/" \
    "http://127.0.0.1:0$T2/" \
    "http://127.0.0.1:+$T2/" \
    "http://127.0.0.1:$((T2 + 65536))/" \
    "http://127.0.0.1:$T2:80/" \
    "http://127.0.0.1:/" \
    "http://[::1]:$T2/" \
    "http://[::ffff:127.0.0.1]:$T2/" \
    "http://[::ffff:7f00:1]:$T2/" \
    "http://2130706433:$T2/" \
    "http://0x7f000001:$T2/" \
    "http://0x7f.1:$T2/" \
    "http://0177.0.0.1:$T2/" \
    "http://127.1:$T2/" \
    "http://127.000.000.001:$T2/" \
    "http://0.0.0.0:$T2/" \
    "http://0:$T2/" \
    "http://127.0.0.1.:$T2/" \
    "http://localhost:$T2/" \
    "http://LOCALHOST:$T2/" \
    "ftp://127.0.0.1:$T2/" \
    "http://127.0.0.1:$T2" ; do
	st=$(raw $PPORT1 "GET $target HTTP/1.1" "Host: 127.0.0.1:$T2" \
	    "Proxy-Authorization: $PA_A" "Connection: close")
	case $target in
	"http://127.0.0.1:$T2")
		# no path: still the listed host and port, so allowed
		sg_check "absolute URI without path is the listed target" 200 "$st"
		n0=$((n0 + 1))
		continue ;;
	esac
	sg_check_match "bypass GET $target denied ($st)" '^(400|403)$' "$st"
done
for auth in \
    "127.0.0.2:$T2" "127.0.0.1:0$T2" "127.0.0.1:+$T2" \
    "127.0.0.1:$((T2 + 65536))" "127.0.0.1:$T2:80" "127.0.0.1:" \
    "127.0.0.1" "[::1]:$T2" "[::ffff:127.0.0.1]:$T2" "2130706433:$T2" \
    "0x7f000001:$T2" "127.1:$T2" "0177.0.0.1:$T2" "0.0.0.0:$T2" \
    "localhost:$T2" "127.0.0.1@127.0.0.2:$T2" "u@127.0.0.1:$T2" \
    "127.0.0.1:$T2/x" "http://127.0.0.1:$T2" "127.0.0.1%3a$T2"; do
	st=$(raw $PPORT1 "CONNECT $auth HTTP/1.1" "Host: $auth" \
	    "Proxy-Authorization: $PA_A")
	sg_check_match "bypass CONNECT $auth denied ($st)" '^(400|403|405)$' "$st"
done
sg_check "nothing reached the target (bypasses)" "$n0" "$(hits)"

# ---- binding: REMOTE_ADDR must be the session's container address --------
U_B="container_$CID2:jwt_$TOK_B"
sg_check "binding: from 127.0.0.1" 200 "$(code -x "$P1" -U "$U_B" "http://127.0.0.1:$TPORT/b")"
n0=$(hits)
sg_check "binding: from 127.0.0.2" 407 \
    "$(code --interface 127.0.0.2 -x "$P1" -U "$U_B" "http://127.0.0.1:$TPORT/b")"
sg_check_match "binding: reason" binding_mismatch "$(cat "$T/b")"
sg_check "binding: CONNECT from 127.0.0.2" 407 \
    "$(cconnect --interface 127.0.0.2 -x "$P1" -U "$U_B" "http://127.0.0.1:$TPORT/b")"
sg_check "binding off: from 127.0.0.2" 200 \
    "$(code --interface 127.0.0.2 -x "$P1" -U "$U_A" "http://127.0.0.1:$TPORT/b")"
sg_check "nothing reached the target (binding)" "$((n0 + 1))" "$(hits)"

# ---- report mode: tighter allow-lists rolled out without breaking ----------
# SANDGATE_EGRESS_MODE=report lets a target that allowed_hosts does not
# list through and logs would_deny with the reason; it never relaxes the
# credentials: a bad, expired, revoked or foreign token is still a 407.
CID4=sandbox_DDDDDDDDDDDDDDDDDDDDDD
mint_c "$KEY1" $CID4 "$HOSTS" true 3600
TOK_D=$TOK JTI_D=$JTI EXP_D=$EXP
put_session $CID4 "$JTI_D" "$EXP_D" "$HOSTS_JSON" 127.0.0.1 "$TOK_D"
U_D="container_$CID4:jwt_$TOK_D"
sg_check "report: listed host" 200 "$(code -x "$P3" -U "$U_D" "http://127.0.0.1:$TPORT/r1")"
n0=$(hits)
sg_check "report: unlisted host passes" 200 \
    "$(code -x "$P3" -U "$U_D" "http://127.0.0.2:$TPORT/r2")"
sg_check "report: unlisted host reached the target" "target-ok /r2" "$(cat "$T/b")"
sg_check "report: unlisted port passes" 200 \
    "$(code -x "$P3" -U "$U_D" "http://127.0.0.1:$TPORT2/r3")"
sg_check "report: unlisted CONNECT passes" 200 \
    "$(cconnect -x "$P3" -U "$U_D" "http://127.0.0.2:$TPORT/r4")"
sg_check "report: three reached the target" "$((n0 + 3))" "$(hits)"
sg_check_match "report: would_deny logged with the reason and target" \
    '"decision":"would_deny","reason":"host_not_allowed","status":200,"container_id":"'$CID4'".*"target":"127.0.0.2:'$TPORT'"' \
    "$(grep would_deny "$T/verify3.log" | head -n 1)"
sg_check "report: one would_deny line per passed request" 3 \
    "$(grep -c '"decision":"would_deny"' "$T/verify3.log")"
sg_check "enforce mode is unchanged on the other proxy" 403 \
    "$(code -x "$P1" -U "$U_A" "http://127.0.0.2:$TPORT/r5")"
n0=$(hits)
sg_check "report: no credentials" 407 "$(code -x "$P3" "http://127.0.0.2:$TPORT/r6")"
case $TOK_D in *A) BAD_D=${TOK_D%?}B ;; *) BAD_D=${TOK_D%?}A ;; esac
sg_check "report: bad token" 407 \
    "$(code -x "$P3" -U "container_$CID4:jwt_$BAD_D" "http://127.0.0.2:$TPORT/r7")"
sg_check "report: expired token" 407 \
    "$(code -x "$P3" -U "container_$CID3:jwt_$TOK_EXP" "http://127.0.0.2:$TPORT/r8")"
sg_check "report: another container's credentials" 407 \
    "$(code -x "$P3" -U "container_$CID:jwt_$TOK_D" "http://127.0.0.2:$TPORT/r9")"
sg_check "report: binding mismatch" 407 \
    "$(code --interface 127.0.0.2 -x "$P3" -U "$U_D" "http://127.0.0.2:$TPORT/ra")"
sg_redis DEL "sandgate:session:$CID4" >/dev/null
sg_check "report: revoked token" 407 "$(code -x "$P3" -U "$U_D" "http://127.0.0.2:$TPORT/rb")"
sg_check_match "report: revoked reason" session_revoked "$(cat "$T/b")"
sg_check "report: listed host, revoked token" 407 \
    "$(code -x "$P3" -U "$U_D" "http://127.0.0.1:$TPORT/rc")"
sg_check "report: nothing reached the target (credentials)" "$n0" "$(hits)"
sg_check_match "report: mode announced at start" '"event":"start","mode":"report"' \
    "$(head -n 10 "$T/verify3.log")"

# ---- Redis stopped mid-run: 503 (fail closed), then recovery -------------
sg_stop_redis
n0=$(hits)
sg_check "Redis down: 503" 503 "$(code -x "$P1" -U "$U_A" "http://127.0.0.1:$TPORT/d")"
sg_check_match "Redis down: reason" session_store_unavailable "$(cat "$T/b")"
sg_check "Redis down: CONNECT 503" 503 "$(cconnect -x "$P1" -U "$U_A" "http://127.0.0.1:$TPORT/d")"
sg_check "Redis down: bad credentials still 407" 407 \
    "$(code -x "$P1" -U "container_$CID:jwt_good.fake" "http://127.0.0.1:$TPORT/d")"
sg_check "nothing reached the target (Redis down)" "$n0" "$(hits)"
sg_start_redis
# Redis came back empty (no persistence): the orchestrator writes again
put_session $CID "$JTI_A" "$EXP_A" "$HOSTS_JSON" 127.0.0.1 "$TOK_A"
sg_check "Redis back: 200" 200 "$(code -x "$P1" -U "$U_A" "http://127.0.0.1:$TPORT/d")"

# ---- key rotation mid-run without a failed request -----------------------
mint_c "$KEY2" $CID3 "$HOSTS" false 3600
TOK_K2=$TOK
put_session $CID3 "$JTI" "$EXP" "$HOSTS_JSON" 127.0.0.1 "$TOK_K2"
U_K2="container_$CID3:jwt_$TOK_K2"
sg_check "key 2 not yet trusted: 407" 407 "$(code -x "$P1" -U "$U_K2" "http://127.0.0.1:$TPORT/k")"
# a steady load with the key-1 token while the keys change under it
: >"$T/rot.codes"
(
	i=0
	while [ $i -lt 400 ] && [ ! -e "$T/rot.stop" ]; do
		curl -s -o /dev/null -w '%{http_code}\n' --max-time 5 \
		    -x "$P1" -U "$U_A" "http://127.0.0.1:$TPORT/load" \
		    >>"$T/rot.codes" || echo fail >>"$T/rot.codes"
		i=$((i + 1))
	done
) &
LOAD=$!
sleep 0.5
# 1. the file changes (new kid added): picked up within about a second
"$MINT" jwks "$KEY1" "$KEY2" >"$T/keys/verify.json.new"
mv "$T/keys/verify.json.new" "$T/keys/verify.json"
i=0
st=407
while [ $i -lt 60 ] && [ "$st" != 200 ]; do
	sleep 0.1
	st=$(code -x "$P1" -U "$U_K2" "http://127.0.0.1:$TPORT/k")
	i=$((i + 1))
done
sg_check "new kid accepted after the file changed" 200 "$st"
# 2. SIGHUP: reload at once
"$MINT" jwks "$KEY2" "$KEY1" >"$T/keys/verify.json.new"
mv "$T/keys/verify.json.new" "$T/keys/verify.json"
kill -HUP "$PID_verify1"
sleep 0.5
touch "$T/rot.stop"
wait $LOAD 2>/dev/null || true
sg_check_match "load ran during rotation" '^[0-9]+$' "$(wc -l <"$T/rot.codes" | tr -d ' ')"
sg_check "no failed request during rotation" "" "$(grep -v '^200$' "$T/rot.codes" | sort | uniq -c || true)"
sg_check "token-verify still the same process" 0 "$(kill -0 "$PID_verify1"; echo $?)"
# 3. key 1 removed and SIGHUP: its tokens are refused on the next request
"$MINT" jwks "$KEY2" >"$T/keys/verify.json.new"
mv "$T/keys/verify.json.new" "$T/keys/verify.json"
kill -HUP "$PID_verify1"
sleep 0.2
sg_check "removed kid refused" 407 "$(code -x "$P1" -U "$U_A" "http://127.0.0.1:$TPORT/k")"
sg_check_match "removed kid: reason" unknown_kid "$(cat "$T/b")"
sg_check "remaining kid accepted" 200 "$(code -x "$P1" -U "$U_K2" "http://127.0.0.1:$TPORT/k")"
# 4. a broken key file: the old set stays in use
printf 'garbage\n' >"$T/keys/verify.json"
kill -HUP "$PID_verify1"
sleep 0.2
sg_check "broken key file: old keys kept" 200 "$(code -x "$P1" -U "$U_K2" "http://127.0.0.1:$TPORT/k")"
sg_check_match "broken key file: logged" keys_reload_failed "$(cat "$T/verify1.log")"

# ---- logs: one decision line per request, never the token ----------------
SIG_A=${TOK_A##*.}
sg_check "token never logged" 0 "$(grep -c -- "$SIG_A" "$T/verify1.log" || true)"
sg_check_match "decision lines logged" '"decision":"allow".*"latency_us"' \
    "$(grep '"decision"' "$T/verify1.log" | head -n 1)"

# ---- attribution: only a verified token names the record (security 4.5) --
# The audit stream (what GET /v1/sessions/{id}/decisions reads) holds
# fields as name/value pairs; count CID3's records under either name.
trail()
{
	redis-cli -s "$REDIS_SOCK" --raw XRANGE sandgate:audit - + |
	    grep -A1 -x "$1" | grep -c -x "$2" || true
}
n_own=$(trail container_id "$CID3")
sg_check "forged name, garbage token: 407" 407 \
    "$(code -x "$P1" -U "container_$CID3:jwt_eyJhbGciOiJFUzI1NiJ9.e30.AAAA" "http://127.0.0.1:$TPORT/f")"
sleep 0.2
sg_check "nothing written to the named container's trail" "$n_own" \
    "$(trail container_id "$CID3")"
sg_check_match "the name is kept as a claim" '^[1-9]' \
    "$(trail claimed_container_id "$CID3")"
sg_check_match "and logged as one" "\"claimed_container_id\":\"$CID3\"" \
    "$(grep '"reason":"bad_signature"' "$T/verify1.log" | tail -n 1)"

# ---- authorizer down: fail closed (Apache 500) ---------------------------
kill "$PID_verify2"
wait "$PID_verify2" 2>/dev/null || true
n0=$(hits)
sg_check_match "authorizer down: denied" '^5[0-9][0-9]$' \
    "$(code -x "$P2" -U "$U_A" "http://127.0.0.1:$TPORT/z")"
sg_check "authorizer down: nothing reached the target" "$n0" "$(hits)"

sg_done
