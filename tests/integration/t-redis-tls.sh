#!/bin/sh
# SPDX-License-Identifier: ISC
# Redis over TLS the way docs/deploy.md section 6 says (hiredis 0.14 has
# none): redis-server with tls-port only (no plaintext port) and client
# certificates required, a test CA made here with openssl, and a local
# stunnel4 client in front that verifies the server's chain and name.
# token-verify behind Apache reaches its sessions through the tunnel
# (200; a revoked session 407); pointed straight at the TLS port it fails
# closed (503); with the tunnel stopped, 503; and a tunnel that trusts
# another CA does not get through either (503).
. "$(dirname "$0")/lib.sh"

sg_setup
VERIFY=$SG_BUILD/services/token-verify/token-verify
MINT=$SG_BUILD/services/token-verify/tv-mint
for b in "$VERIFY" "$MINT"; do
	[ -x "$b" ] || { echo "missing $b (build first)" >&2; exit 1; }
done
STUNNEL=$(command -v stunnel4 || command -v stunnel || true)
[ -n "$STUNNEL" ] || { echo "no stunnel4 (deploy/lib/deps.sh)" >&2; exit 1; }

ISS=https://sandgate.test
ORG=3f2504e0-4f89-41d3-9a0c-0305e82c3301
USER_ID=user_1
CID=sandbox_AAAAAAAAAAAAAAAAAAAAAA
CIDR=sandbox_RRRRRRRRRRRRRRRRRRRRRR
KEY1=$SG_DATA/test-key-1.pem
TLSPORT=$(sg_free_port)
LPORT=$(sg_free_port)
LPORT2=$(sg_free_port)
TPORT=$(sg_free_port)
VPORT=$(sg_free_port)
VPORT2=$(sg_free_port)
VPORT3=$(sg_free_port)
PPORT=$(sg_free_port)
PPORT2=$(sg_free_port)
PPORT3=$(sg_free_port)

# ---- a test CA, the server's and the client's certificates -----------------
C=$T/tls
mkdir -p "$C"
sg_pki_ca "$C" ca
sg_pki_ca "$C" otherca
sg_pki_leaf "$C" server redis.sandgate.test "subjectAltName=DNS:redis.sandgate.test"
sg_pki_leaf "$C" client sandgate-client "subjectAltName=DNS:sandgate-client"
chmod 600 "$C"/*.key

# ---- redis-server: TLS only, client certificates required ------------------
mkdir -p "$T/redis"
setsid redis-server --port 0 --tls-port "$TLSPORT" --bind 127.0.0.1 \
    --tls-cert-file "$C/server.pem" --tls-key-file "$C/server.key" \
    --tls-ca-cert-file "$C/ca.pem" --tls-auth-clients yes \
    --save '' --appendonly no --daemonize no --dir "$T/redis" \
    --logfile "$T/redis.log" </dev/null >/dev/null 2>&1 &
sg_track_pid $!
sg_wait_tcp 127.0.0.1 "$TLSPORT"
rcli()
{
	redis-cli --tls --cacert "$C/ca.pem" --cert "$C/client.pem" \
	    --key "$C/client.key" --sni redis.sandgate.test -h 127.0.0.1 \
	    -p "$TLSPORT" "$@"
}
sg_check "redis answers over TLS" PONG "$(rcli PING)"
sg_check "no plaintext answer on the TLS port" "" \
    "$(redis-cli -h 127.0.0.1 -p "$TLSPORT" PING 2>/dev/null | grep PONG || true)"

# ---- stunnel4 clients: the one of docs/deploy.md, and one trusting another CA
# tunnel NAME ACCEPT CAFILE
tunnel()
{
	cat >"$T/$1.conf" <<EOF
foreground = yes
pid =
output = $T/$1.log
[redis]
client = yes
accept = 127.0.0.1:$2
connect = 127.0.0.1:$TLSPORT
sni = redis.sandgate.test
CAfile = $3
verifyChain = yes
checkHost = redis.sandgate.test
sslVersionMin = TLSv1.2
cert = $C/client.pem
key = $C/client.key
EOF
	setsid "$STUNNEL" "$T/$1.conf" </dev/null >/dev/null 2>&1 &
	eval "PID_$1=$!"
	sg_track_pid $!
	sg_wait_tcp 127.0.0.1 "$2"
}
tunnel stunnel $LPORT "$C/ca.pem"
tunnel stunnel_bad $LPORT2 "$C/otherca.pem"
sg_check "redis through the tunnel (plain redis-cli)" PONG \
    "$(redis-cli -h 127.0.0.1 -p $LPORT PING)"

# ---- sessions, token-verify x3, Apache --------------------------------------
python3 "$SG_TOP/deploy/demo/target.py" 127.0.0.1:$TPORT \
    2>>"$T/target.log" &
sg_track_pid $!
sg_wait_tcp 127.0.0.1 $TPORT
mkdir -p "$T/keys"
"$MINT" jwks "$KEY1" >"$T/keys/verify.json"
HOSTS="127.0.0.1:$TPORT"
put_session()
{
	_now=$(date +%s)
	_sha=$(printf '%s' "$4" | sha256sum | cut -d' ' -f1)
	rcli SET "sandgate:session:$1" "$(printf '{"container_id":"%s","user_id":"%s","organization_uuid":"%s","jti":"%s","token_sha256":"%s","allowed_hosts":["%s"],"container_ip":"127.0.0.1","docker_id":"","image":"sandgate-sandbox:latest","created_at":%s,"expires_at":%s}' \
	    "$1" "$USER_ID" "$ORG" "$2" "$_sha" "$HOSTS" "$_now" "$3")" \
	    EX $(($3 - _now)) >/dev/null
}
mint() { set -- $("$MINT" container "$KEY1" "$ISS" "$USER_ID" "$1" "$ORG" "$HOSTS" false 3600); TOK=$1 JTI=$2 EXP=$3; }
mint $CID
TOK_A=$TOK
put_session $CID "$JTI" "$EXP" "$TOK_A"
mint $CIDR
TOK_R=$TOK

export SANDGATE_ISSUER=$ISS
export SANDGATE_VERIFY_KEYS=$T/keys/verify.json
export SANDGATE_REDIS_TIMEOUT_MS=300
export SANDGATE_EGRESS_PORTS=80,443
export SANDGATE_SESSION_CACHE_MS=0
export SANDGATE_EGRESS_DENY_PRIVATE=0
SANDGATE_REDIS=redis://127.0.0.1:$LPORT/0 sg_spawn verify $VPORT "$VERIFY"
SANDGATE_REDIS=redis://127.0.0.1:$TLSPORT/0 sg_spawn verify_direct $VPORT2 "$VERIFY"
SANDGATE_REDIS=redis://127.0.0.1:$LPORT2/0 sg_spawn verify_badca $VPORT3 "$VERIFY"

A=$T/apache
mkdir -p "$A"
sg_apache_head "$A" >"$A/httpd.conf"
for v in "$PPORT $VPORT" "$PPORT2 $VPORT2" "$PPORT3 $VPORT3"; do
	set -- $v
	cat >>"$A/httpd.conf" <<EOF
Listen 127.0.0.1:$1
AuthnzFcgiDefineProvider authn sg_$1 fcgi://127.0.0.1:$2/
<VirtualHost 127.0.0.1:$1>
  ProxyRequests On
  ProxyVia Off
  <Proxy "*">
    AuthType SandgateToken
    AuthName sandgate
    AuthnzFcgiCheckAuthnProvider sg_$1 Authoritative On RequireBasicAuth Off UserExpr "%{reqenv:SG_CONTAINER_ID}"
    Require valid-user
    CGIPassAuth On
  </Proxy>
  <Location "/">
    Require all denied
  </Location>
</VirtualHost>
EOF
done
apache2 -f "$A/httpd.conf" -DFOREGROUND 2>>"$T/apache-error.log" &
sg_track_pid $!
for p in $PPORT $PPORT2 $PPORT3; do sg_wait_tcp 127.0.0.1 $p; done
code() { curl -s -o "$T/b" -w '%{http_code}' --max-time 10 "$@" || true; }
U_A="container_$CID:jwt_$TOK_A"

sg_check "through the tunnel: live session" 200 \
    "$(code -x http://127.0.0.1:$PPORT -U "$U_A" "http://$HOSTS/a")"
sg_check "through the tunnel: no session" 407 \
    "$(code -x http://127.0.0.1:$PPORT -U "container_$CIDR:jwt_$TOK_R" "http://$HOSTS/r")"
sg_check "straight at the TLS port: fails closed" 503 \
    "$(code -x http://127.0.0.1:$PPORT2 -U "$U_A" "http://$HOSTS/d")"
sg_check "a tunnel trusting another CA: fails closed" 503 \
    "$(code -x http://127.0.0.1:$PPORT3 -U "$U_A" "http://$HOSTS/c")"
sg_check_match "that tunnel refused the server's certificate" 'certificate verify failed|CERTIFICATE_VERIFY_FAILED|verify' \
    "$(cat "$T/stunnel_bad.log")"
sg_kill_wait 5 "$PID_stunnel"
sg_check "tunnel stopped: fails closed" 503 \
    "$(code -x http://127.0.0.1:$PPORT -U "$U_A" "http://$HOSTS/s")"
tunnel stunnel $LPORT "$C/ca.pem"
sg_check "tunnel back: allowed again, no restart" 200 \
    "$(code -x http://127.0.0.1:$PPORT -U "$U_A" "http://$HOSTS/b")"

sg_done
