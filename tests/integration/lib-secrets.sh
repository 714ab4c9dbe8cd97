# SPDX-License-Identifier: ISC
# The stack of t-secrets.sh and bench/secrets.sh (sourced after lib.sh):
# redis-server, a TLS upstream with a test CA that records and echoes
# headers, two sandboxes' tokens and sessions (A holds the secrets),
# token-verify, secret-broker and Apache from deploy/apache.  Sets SECRET,
# CID CID2 TOK_A TOK_B, H1, PPORT, P (the PKI directory), A (Apache's).
# SG_BROKER_MODULE=1: the broker inside Apache (mod_sandgate_authz's
# SandgateBroker, docs/secrets.md "Inside Apache"): secret-broker on a
# unix socket as /broker/'s authorizer, token-verify on one too (the
# module's SandgateAuthz for the proxy), Define SG_BROKER_MODULE.
# SG_SECRETS_APACHE_EXTRA: more lines for Apache's config, before the site.
sg_setup
VERIFY=$SG_BUILD/services/token-verify/token-verify
MINT=$SG_BUILD/services/token-verify/tv-mint
BROKER=$SG_BUILD/services/secret-broker/secret-broker
SEAL=$SG_BUILD/services/secret-broker/sb-seal
SGAMOD=
if [ -n "${SG_BROKER_MODULE:-}" ]; then
	SGAMOD=$SG_BUILD/deploy/apache/mod_sandgate_authz.so
	SG_BROKER_UNIX=1
fi
for b in "$VERIFY" "$MINT" "$BROKER" "$SEAL" $SGAMOD; do
	[ -x "$b" ] || { echo "missing $b (build first)" >&2; exit 1; }
done

ISS=https://sandgate.test
ORG=3f2504e0-4f89-41d3-9a0c-0305e82c3301
USER_ID=user_1
CID=sandbox_AAAAAAAAAAAAAAAAAAAAAA
CID2=sandbox_BBBBBBBBBBBBBBBBBBBBBB
KEY1=$SG_DATA/test-key-1.pem
# The secret: long and unlike anything else in the test's output.
SECRET="Bearer sk-live-$(openssl rand -hex 20)"

sg_start_redis
UPORT=$(sg_free_port)
UPORT2=$(sg_free_port)
VPORT=$(sg_free_port)
BPORT=$(sg_free_port)
PPORT=$(sg_free_port)

# ---- a test CA and the upstream's certificates ---------------------------
P=$T/pki
mkdir -p "$P"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -days 2 -subj /CN=sandgate-test-ca -keyout "$P/ca.key" -out "$P/ca.pem" \
    2>/dev/null
# cert NAME CA: a server certificate for localhost (and SG_SECRETS_SAN, a
# further DNS name, when set), signed by CA
cert()
{
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -subj "/CN=localhost" -keyout "$P/$1.key" -out "$P/$1.csr" 2>/dev/null
	printf 'subjectAltName=DNS:localhost%s\n' \
	    "${SG_SECRETS_SAN:+,DNS:$SG_SECRETS_SAN}" >"$P/ext"
	openssl x509 -req -in "$P/$1.csr" -CA "$P/$2.pem" -CAkey "$P/$2.key" \
	    -CAcreateserial -days 2 -extfile "$P/ext" -out "$P/$1.pem" 2>/dev/null
}
cert up ca
# a second CA nobody trusts: its upstream must be refused
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -days 2 -subj /CN=rogue-ca -keyout "$P/rogue.key" -out "$P/rogue.pem" \
    2>/dev/null
cert bad rogue

cat >"$T/upstream.py" <<'PY'
import http.server, json, ssl, sys, threading
log = sys.argv[1]
lock = threading.Lock()
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # one write per answer, no Nagle: bench/secrets.sh measures the
    # paths, not delayed ACKs
    disable_nagle_algorithm = True
    wbufsize = 65536
    def do_GET(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode() if n else ""
        rec = {"method": self.command, "path": self.path,
               "port": self.server.server_address[1], "body": body,
               "headers": {k.lower(): v for k, v in self.headers.items()}}
        with lock, open(log, "a") as f:
            f.write(json.dumps(rec) + "\n")
        # Echo everything back, as some APIs' debug endpoints do.
        out = json.dumps(rec).encode()
        if self.path.startswith("/die"):
            # dies mid-body: announces 200000 bytes, sends 5000
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "200000")
            self.end_headers()
            self.wfile.write(b"x" * 5000)
            self.wfile.flush()
            self.close_connection = True
            return
        if self.path.startswith("/big"):
            # 1 MiB (bench/secrets.sh: a large answer, streamed)
            out = b"y" * (1 << 20)
        if self.path.startswith("/split"):
            # the echoed secret split across two writes 0.2 s apart
            i = out.find(b"sk-live-") + 12
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out[:i])
            self.wfile.flush()
            threading.Event().wait(0.2)
            self.wfile.write(out[i:])
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
    do_POST = do_GET
    def log_message(self, *a):
        pass
for spec in sys.argv[2:]:
    port, cert, key = spec.split(",")
    s = http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), H)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    s.socket = ctx.wrap_socket(s.socket, server_side=True)
    threading.Thread(target=s.serve_forever, daemon=True).start()
threading.Event().wait()
PY
: >"$T/upstream.log"
python3 "$T/upstream.py" "$T/upstream.log" \
    "$UPORT,$P/up.pem,$P/up.key" "$UPORT2,$P/bad.pem,$P/bad.key" \
    2>>"$T/upstream.err" &
sg_track_pid $!
sg_wait_tcp 127.0.0.1 $UPORT
sg_wait_tcp 127.0.0.1 $UPORT2
hits() { wc -l <"$T/upstream.log" | tr -d ' '; }

# ---- tokens and sessions (the contract's JSON) ---------------------------
mkdir -p "$T/keys"
"$MINT" jwks "$KEY1" >"$T/keys/verify.json"
mint_c()	# CID HOSTS -> TOK JTI EXP
{
	set -- $("$MINT" container "$KEY1" "$ISS" "$USER_ID" "$1" "$ORG" \
	    "$2" false 3600)
	TOK=$1 JTI=$2 EXP=$3
}
put_session()	# CID JTI EXP HOSTS_JSON TOKEN
{
	_now=$(date +%s)
	_sha=$(printf '%s' "$5" | sha256sum | cut -d' ' -f1)
	sg_redis SET "sandgate:session:$1" "$(printf '{"container_id":"%s","user_id":"%s","organization_uuid":"%s","jti":"%s","token_sha256":"%s","allowed_hosts":%s,"container_ip":"127.0.0.1","docker_id":"","image":"sandgate-sandbox:latest","created_at":%s,"expires_at":%s}' \
	    "$1" "$USER_ID" "$ORG" "$2" "$_sha" "$4" "$_now" "$3")" \
	    EX $(($3 - _now)) >/dev/null
}
basic() { printf 'Basic %s' "$(printf 'container_%s:jwt_%s' "$1" "$2" | base64 -w0)"; }

H1="localhost:$UPORT"
mint_c $CID "$H1,localhost:$UPORT2"
TOK_A=$TOK
put_session $CID "$JTI" "$EXP" "[\"$H1\",\"localhost:$UPORT2\"]" "$TOK_A"
# B is allowed the same host but holds no secret of its own
mint_c $CID2 "$H1"
TOK_B=$TOK
put_session $CID2 "$JTI" "$EXP" "[\"$H1\"]" "$TOK_B"

# ---- the sealed secrets --------------------------------------------------
openssl rand -hex 32 >"$T/keys/secret.key"
chmod 600 "$T/keys/secret.key"
export SANDGATE_REDIS=unix:$REDIS_SOCK
printf '%s\n' "$SECRET" | "$SEAL" "$T/keys/secret.key" $CID EXAMPLE "$H1" \
    Authorization 3600
sg_check "sealed and stored" 0 $?
printf '%s\n' "$SECRET" | "$SEAL" "$T/keys/secret.key" $CID ROGUE \
    "localhost:$UPORT2" Authorization 3600
# OTHER's host is not in A's allow-list
printf '%s\n' "$SECRET" | "$SEAL" "$T/keys/secret.key" $CID OTHER \
    "localhost:1" Authorization 3600

# ---- token-verify, secret-broker, Apache ---------------------------------
export SANDGATE_ISSUER=$ISS
export SANDGATE_VERIFY_KEYS=$T/keys/verify.json
export SANDGATE_REDIS_TIMEOUT_MS=500
export SANDGATE_EGRESS_PORTS=443,$UPORT,$UPORT2
export SANDGATE_SESSION_CACHE_MS=${SG_SESSION_CACHE_MS:-0}	# bench: SG_SESSION_CACHE_MS
export SANDGATE_EGRESS_DENY_PRIVATE=0
sg_spawn verify $VPORT "$VERIFY"
[ -z "$SGAMOD" ] ||
    SANDGATE_SOCKET_MODE=0666 sg_spawn_sock verify-sock "$T/verify.sock" "$VERIFY"
# SG_BROKER_PROCS: the broker's processes (1; the systemd unit runs 4);
# SG_BROKER_UNIX set: on a unix socket (Define SG_BROKER_SOCKET)
BADDR=$BPORT
[ -n "${SG_BROKER_UNIX:-}" ] && BADDR=$T/broker.sock
SANDGATE_SECRET_KEYS=$T/keys/secret.key SANDGATE_BROKER_CA_FILE=$P/ca.pem \
    sg_spawn_procs broker "$BADDR" "$BROKER" "${SG_BROKER_PROCS:-1}"

# secrets_apache DIR NAME PORT BROKER_PORT CONNECT_PORTS [DEFINES]: an
# Apache in DIR serving deploy/apache's egress site as NAME on PORT, with
# /broker/ on 127.0.0.1:BROKER_PORT and DEFINES (lines) before the site;
# its stderr in $T/NAME-stderr.log.
secrets_apache()
{
	mkdir -p "$1/log"
	sg_apache_head "$1" authz_host proxy_connect proxy_fcgi reqtimeout \
	    >"$1/httpd.conf"
	[ -z "$SGAMOD" ] ||
	    printf 'LoadModule sandgate_authz_module %s\n' "$SGAMOD" \
	    >>"$1/httpd.conf"
	printf 'Define SG_BROKER_ADDR 127.0.0.1:%s\n%s\nInclude %s\n' \
	    "$4" "${6:-}" "$1/egress.conf" >>"$1/httpd.conf"
	sed -e "s|@NAME@|$2|g" -e "s|@PROXY_ADDR@|127.0.0.1|g" \
	    -e "s|@PORT_PROXY@|$3|g" -e "s|@VERIFY_ADDR@|127.0.0.1:$VPORT|g" \
	    -e "s|@CONNECT_PORTS@|$5|g" -e "s|@LOGDIR@|$1/log|g" \
	    -e "s|@SANDBOX_SUBNET@|127.0.0.0/8|g" \
	    -e "s|@VERIFY_SOCKET@|$T/verify.sock|g" \
	    "$SG_TOP/deploy/apache/sandgate-egress.conf.in" >"$1/egress.conf"
	apache2 -t -f "$1/httpd.conf" 2>"$T/$2-t.log" || return 1
	apache2 -f "$1/httpd.conf" -DFOREGROUND </dev/null >/dev/null \
	    2>>"$T/$2-stderr.log" &
	sg_track_pid $!
	sg_wait_tcp 127.0.0.1 "$3" || {
		cat "$T/$2-stderr.log" "$T/apache-error.log" 2>/dev/null
		return 1
	}
}

# secret_in_logs: how many lines of the broker's, token-verify's and
# Apache's logs hold the secret (0 is what a test expects)
secret_in_logs()
{
	cat "$T/broker.log" "$T/verify.log" "$T/apache-error.log" \
	    "$A"/log/*.log "$T/verify-sock.log" 2>/dev/null |
	    grep -c -a -F -- "${SECRET#Bearer }"
}

A=$T/apache
secrets_apache "$A" t $PPORT $BPORT "443 $UPORT $UPORT2" \
    "${SG_BROKER_UNIX:+Define SG_BROKER_SOCKET $T/broker.sock}
${SGAMOD:+Define SG_BROKER_MODULE
Define SG_BROKER_CA $P/ca.pem}
${SG_SECRETS_APACHE_EXTRA:-}"
sg_check "apache with the broker location" 0 $?

