#!/bin/sh
# SPDX-License-Identifier: ISC
# Interoperability with PyJWT (Debian's python3-jwt), the library the
# original Python design used: tokens from `sandgate token` and from the
# library verify in PyJWT (and its JWK loader reads our jwks.json), and
# tokens PyJWT signs with the original design's claim set (no aud, flags
# as "true"/"false" strings) verify with `sandgate verify` exactly when
# SANDGATE_ACCEPT_NO_AUD=1.  Tokens minted by the original AuthService
# itself (tests/interop/original_authservice.py: no sub, aud, nbf or kid)
# pass compatibility mode in the CLI and through real Apache +
# token-verify (egress) + Redis (lib-stack.sh), are counted in
# sandgate_compat_tokens_total and logged as compat_token_accepted; every
# other rule (signature, alg, times, jti, strict JSON, hosts, lifetime)
# still refuses them; without the mode they are refused.
. "$(dirname "$0")/lib.sh"
sg_setup

# Debian's interpreter: a python3 earlier on PATH may lack jwt.
PY=/usr/bin/python3
MINT=$SG_BUILD/services/token-verify/tv-mint
ORG=3f2504e0-4f89-41d3-9a0c-0305e82c3301
ISS=https://sandgate.test
for f in "$SG_CLI" "$MINT" "$PY"; do
	[ -x "$f" ] || { echo "missing $f" >&2; exit 1; }
done
"$PY" -c 'import jwt, cryptography' || {
	echo "$PY lacks jwt/cryptography (python3-jwt, python3-cryptography)" >&2
	exit 1
}
for v in $(env | sed -n 's/^\(SANDGATE_[A-Z_]*\)=.*/\1/p'); do
	unset "$v"
done

rc()
{
	"$@" >"$T/out" 2>"$T/err" && echo 0 || echo $?
}

vrc()
{
	_t=$1
	shift
	printf '%s\n' "$_t" | "$SG_CLI" verify "$@" >"$T/out" 2>"$T/err" &&
	    echo 0 || echo $?
}

K=$T/keys
"$SG_CLI" keygen "$K" >"$T/kid"
KID=$(cat "$T/kid")
export SANDGATE_SIGNING_KEY="$K/private-key.pem"
export SANDGATE_VERIFY_KEYS="$K/jwks.json"
export SANDGATE_ISSUER="$ISS"

# PyJWT side: decode TOKEN with the PEM key or the JWKS and print facts.
cat >"$T/pydecode.py" <<'EOF'
import json, sys
import jwt

mode, keyfile, aud, iss, tok = sys.argv[1:6]
if mode == "pem":
    key = open(keyfile).read()
else:
    jwks = json.load(open(keyfile))
    key = jwt.PyJWK(jwks["keys"][0]).key
hdr = jwt.get_unverified_header(tok)
claims = jwt.decode(tok, key, algorithms=["ES256"], audience=aud,
                    issuer=iss, options={"require": ["exp", "iat", "jti"]})
print(json.dumps({"header": hdr, "claims": claims}, sort_keys=True))
EOF

# PyJWT side: sign CLAIMS (JSON) with the private key, optional header.
cat >"$T/pysign.py" <<'EOF'
import json, sys
import jwt

keyfile, claims = sys.argv[1:3]
headers = json.loads(sys.argv[3]) if len(sys.argv) > 3 else None
key = open(keyfile).read()
print(jwt.encode(json.loads(claims), key, algorithm="ES256",
                 headers=headers))
EOF

# The original claims plus a sub, hand-made so that single members can
# be changed; the exact original payload is orig() below.
pyclaims()
{
	"$PY" - "$@" <<'EOF'
import json, sys, time, uuid
now = int(time.time())
c = {
    "iss": "https://sandgate.test",
    "sub": "user-42",
    "iat": now,
    "exp": now + 3600,
    "jti": str(uuid.uuid4()),
    "container_id": "sandbox_py42",
    "organization_uuid": str(uuid.uuid4()),
    "allowed_hosts": "github.com,pypi.org",
    "enforce_container_binding": "true",
    "use_egress_gateway": "true",
    "enforce_centralized_egress": "true",
    "is_hipaa_regulated": "false",
    "is_pci_compliant": "false",
}
for kv in sys.argv[1:]:
    k, v = kv.split("=", 1)
    if v == "-":
        c.pop(k, None)
    else:
        c[k] = json.loads(v)
print(json.dumps(c))
EOF
}

# The original AuthService (tests/interop/original_authservice.py).
ORIG=$SG_TOP/tests/interop/original_authservice.py
ORIG_CLAIMS=iss,iat,exp,jti,container_id,organization_uuid,allowed_hosts,enforce_container_binding,use_egress_gateway,enforce_centralized_egress,is_hipaa_regulated,is_pci_compliant
ORIG_CASES="expired future-iat wrong-key bad-signature alg-none alg-hs256
    bad-host long-lifetime duplicate-key no-jti other-issuer bool-flag"
orig()
{
	"$PY" "$ORIG" --key "${ORIG_KEY:-$K/private-key.pem}" \
	    --issuer "${ORIG_ISS:-$ISS}" --container-id "${ORIG_CID:-sandbox_py42}" \
	    --organization-uuid "$ORG" \
	    --allowed-hosts "${ORIG_HOSTS:-github.com,pypi.org}" "$@"
}

# orig_reason CASE: the error code sandgate gives for it.
orig_reason()
{
	case $1 in
	expired) echo token_expired ;;
	future-iat) echo token_not_yet_valid ;;
	wrong-key|bad-signature) echo bad_signature ;;
	alg-none) echo 'malformed_token|unsupported_alg' ;;
	alg-hs256) echo unsupported_alg ;;
	bad-host|bool-flag) echo bad_claim ;;
	long-lifetime) echo lifetime_too_long ;;
	duplicate-key) echo bad_payload ;;
	no-jti) echo missing_claim ;;
	other-issuer) echo bad_issuer ;;
	esac
}

b64d()
{
	printf '%s' "$1" | tr '_-' '/+' | awk '{ n = length($0) % 4
	    printf "%s%s", $0, (n == 2 ? "==" : n == 3 ? "=" : "") }' | base64 -d
}

pysign()
{
	"$PY" "$T/pysign.py" "$K/private-key.pem" "$@"
}

# --- sandgate -> PyJWT
OP=$("$SG_CLI" token --sub alice --scope "tokens:issue sessions:read")
sg_check "PyJWT verifies sandgate token (PEM)" 0 \
    "$(rc "$PY" "$T/pydecode.py" pem "$K/public-key.pem" sandgate-api "$ISS" "$OP")"
sg_check "PyJWT sees sub and scope" "alice tokens:issue sessions:read" \
    "$(jq -r '"\(.claims.sub) \(.claims.scope)"' "$T/out")"
sg_check "PyJWT sees our header" "ES256 JWT $KID" \
    "$(jq -r '"\(.header.alg) \(.header.typ) \(.header.kid)"' "$T/out")"
sg_check "PyJWT verifies with our jwks.json" 0 \
    "$(rc "$PY" "$T/pydecode.py" jwks "$K/jwks.json" sandgate-api "$ISS" "$OP")"
sg_check "PyJWT enforces our audience" 1 \
    "$(rc "$PY" "$T/pydecode.py" pem "$K/public-key.pem" sandgate-egress "$ISS" "$OP")"

CT=$("$MINT" container "$K/private-key.pem" "$ISS" user_1 sandbox_lib "$ORG" \
    "github.com,*.pypi.org,api.example.com:8443" false 600 | cut -d' ' -f1)
sg_check "PyJWT verifies a library container token" 0 \
    "$(rc "$PY" "$T/pydecode.py" pem "$K/public-key.pem" sandgate-egress "$ISS" "$CT")"
sg_check "container claims as PyJWT sees them" \
    'sandbox_lib|github.com,*.pypi.org,api.example.com:8443|false|true|true|false|false' \
    "$(jq -r '.claims | [.container_id, .allowed_hosts,
    .enforce_container_binding, .use_egress_gateway,
    .enforce_centralized_egress, .is_hipaa_regulated, .is_pci_compliant] |
    join("|")' "$T/out")"
sg_check "flags are strings" "string" \
    "$(jq -r '[.claims | .enforce_container_binding, .use_egress_gateway,
    .enforce_centralized_egress, .is_hipaa_regulated, .is_pci_compliant |
    type] | unique | join(",")' "$T/out")"
sg_check "nbf equals iat" true "$(jq -r '.claims.nbf == .claims.iat' "$T/out")"
sg_check "integer times" "number number number" \
    "$(jq -r '.claims | "\(.iat|type) \(.exp|type) \(.nbf|type)"' "$T/out")"

# --- PyJWT -> sandgate: the original design's tokens have no aud.
PYT=$(pysign "$(pyclaims)")
sg_check "Python token without ACCEPT_NO_AUD" 1 "$(vrc "$PYT")"
sg_check_match "refused for its audience" 'bad_audience' "$(cat "$T/err")"
sg_check "Python token with ACCEPT_NO_AUD=1" 0 \
    "$(SANDGATE_ACCEPT_NO_AUD=1 vrc "$PYT")"
sg_check "Python token claims" "sandbox_py42 github.com,pypi.org" \
    "$(jq -r '"\(.container_id) \(.allowed_hosts)"' "$T/out")"
sg_check "Python token as egress" 0 \
    "$(SANDGATE_ACCEPT_NO_AUD=1 vrc "$PYT" --audience egress \
    --container-id sandbox_py42)"
sg_check "Python token is never an operator token" 1 \
    "$(SANDGATE_ACCEPT_NO_AUD=1 vrc "$PYT" --audience api)"
sg_check "Python token reaches its hosts" 0 \
    "$(SANDGATE_ACCEPT_NO_AUD=1 SANDGATE_EGRESS_DENY_PRIVATE=0 vrc "$PYT" \
    --target pypi.org:443)"
sg_check "Python token other hosts" 1 \
    "$(SANDGATE_ACCEPT_NO_AUD=1 SANDGATE_EGRESS_DENY_PRIVATE=0 vrc "$PYT" \
    --target evil.com:443)"
PYK=$(pysign "$(pyclaims)" "{\"kid\":\"$KID\"}")
sg_check "Python token with our kid" 0 "$(SANDGATE_ACCEPT_NO_AUD=1 vrc "$PYK")"
# Exactly the original payload (no sub, aud, nbf; no kid), minted by
# the original AuthService.generate_container_token (tests/interop/).
PYNS=$(orig)
sg_check "original token: header as PyJWT writes it" '{"alg":"ES256","typ":"JWT"}' \
    "$(b64d "${PYNS%%.*}")"
sg_check "original token: its claims" "$ORIG_CLAIMS" \
    "$(b64d "$(echo "$PYNS" | cut -d. -f2)" | jq -c -r 'keys_unsorted | join(",")')"
sg_check "original payload (no sub) without ACCEPT_NO_AUD" 1 "$(vrc "$PYNS")"
sg_check_match "refused for its audience" 'bad_audience' "$(cat "$T/err")"
sg_check "original payload with ACCEPT_NO_AUD=0" 1 \
    "$(SANDGATE_ACCEPT_NO_AUD=0 vrc "$PYNS")"
sg_check "original payload (no sub) with ACCEPT_NO_AUD=1" 0 \
    "$(SANDGATE_ACCEPT_NO_AUD=1 vrc "$PYNS" --audience egress \
    --container-id sandbox_py42)"
sg_check "no sub is never made up" "null" "$(jq -r '.sub' "$T/out")"
sg_check "the CLI says compatibility mode let it in" 1 \
    "$(grep -c 'note: accepted in compatibility mode only' "$T/err")"
sg_check "original payload reaches its hosts" 0 \
    "$(SANDGATE_ACCEPT_NO_AUD=1 SANDGATE_EGRESS_DENY_PRIVATE=0 vrc "$PYNS" \
    --target pypi.org:443)"
sg_check "original payload, other hosts" 1 \
    "$(SANDGATE_ACCEPT_NO_AUD=1 SANDGATE_EGRESS_DENY_PRIVATE=0 vrc "$PYNS" \
    --target evil.com:443)"
sg_check "no compat note for a token with aud" "" \
    "$(SANDGATE_ACCEPT_NO_AUD=1 vrc "$CT" >/dev/null; cat "$T/err")"
sg_check "original payload with aud still needs sub" 1 \
    "$(SANDGATE_ACCEPT_NO_AUD=1 vrc "$(orig --claim aud='"sandgate-egress"')")"
sg_check_match "missing sub reason" 'missing_claim' "$(cat "$T/err")"
sg_check "original payload, wrong aud" 1 "$(SANDGATE_ACCEPT_NO_AUD=1 vrc \
    "$(orig --claim aud='"other"')")"
sg_check "original payload, lifetime over a lower max" 1 \
    "$(SANDGATE_ACCEPT_NO_AUD=1 SANDGATE_TOKEN_MAX_TTL=600 vrc "$PYNS")"
# Every other rule still holds in compatibility mode: one token per rule.
for c in $ORIG_CASES; do
	sg_check "original payload, $c: refused" 1 \
	    "$(SANDGATE_ACCEPT_NO_AUD=1 vrc "$(orig --case "$c")")"
	sg_check_match "original payload, $c: reason" "$(orig_reason "$c")" \
	    "$(cat "$T/err")"
done
PYA=$(pysign "$(pyclaims aud='"sandgate-egress"')")
sg_check "Python token with aud" 0 "$(vrc "$PYA")"
PYAA=$(pysign "$(pyclaims aud='["sandgate-egress"]')")
sg_check "Python token with aud array" 0 "$(vrc "$PYAA")"

# What the original design's tokens must not get away with.
sg_check "Python token, other issuer" 1 "$(SANDGATE_ACCEPT_NO_AUD=1 vrc \
    "$(pysign "$(pyclaims iss='"https://evil.test"')")")"
sg_check "Python token, boolean flag" 1 "$(SANDGATE_ACCEPT_NO_AUD=1 vrc \
    "$(pysign "$(pyclaims enforce_container_binding=false)")")"
sg_check_match "boolean flag reason" 'bad_claim' "$(cat "$T/err")"
sg_check "Python token, \"True\" flag" 1 "$(SANDGATE_ACCEPT_NO_AUD=1 vrc \
    "$(pysign "$(pyclaims use_egress_gateway='"True"')")")"
sg_check "Python token, no exp" 1 "$(SANDGATE_ACCEPT_NO_AUD=1 vrc \
    "$(pysign "$(pyclaims exp=-)")")"
sg_check "Python token, fractional exp" 1 "$(SANDGATE_ACCEPT_NO_AUD=1 vrc \
    "$(pysign "$(pyclaims exp=1799999999.5)")")"
sg_check "Python token, string exp" 1 "$(SANDGATE_ACCEPT_NO_AUD=1 vrc \
    "$(pysign "$(pyclaims exp='"1799999999"')")")"
sg_check "Python token, expired" 1 "$(SANDGATE_ACCEPT_NO_AUD=1 vrc \
    "$(pysign "$(pyclaims iat=1000000000 exp=1000000600)")")"
sg_check "Python token, hosts with a space" 1 "$(SANDGATE_ACCEPT_NO_AUD=1 vrc \
    "$(pysign "$(pyclaims allowed_hosts='"github.com, pypi.org"')")")"
sg_check "Python token, wildcard over a TLD" 1 "$(SANDGATE_ACCEPT_NO_AUD=1 vrc \
    "$(pysign "$(pyclaims allowed_hosts='"*.com"')")")"
sg_check "Python token, hosts as a list" 1 "$(SANDGATE_ACCEPT_NO_AUD=1 vrc \
    "$(pysign "$(pyclaims allowed_hosts='["github.com"]')")")"
sg_check "Python token, bad organization_uuid" 1 "$(SANDGATE_ACCEPT_NO_AUD=1 vrc \
    "$(pysign "$(pyclaims organization_uuid='"org\r\nX: y"')")")"

# Algorithm confusion: HS256 keyed with our public key text (A4).
HS=$("$PY" - "$K/public-key.pem" <<'EOF'
import base64, hashlib, hmac, json, sys, time
def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
key = open(sys.argv[1], "rb").read()
now = int(time.time())
h = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
p = b64(json.dumps({"iss": "https://sandgate.test", "sub": "alice",
    "aud": "sandgate-api", "iat": now, "exp": now + 600, "jti": "x",
    "scope": "tokens:issue"}).encode())
s = b64(hmac.new(key, (h + "." + p).encode(), hashlib.sha256).digest())
print(h + "." + p + "." + s)
EOF
)
sg_check "HS256 with the public key" 1 "$(vrc "$HS")"
sg_check_match "HS256 reason" 'unsupported_alg|bad_header' "$(cat "$T/err")"

# --- The original tokens through the real egress path: Apache
# (mod_authnz_fcgi) -> token-verify (egress mode) -> Redis session ->
# the loopback target, with the stack of lib-stack.sh (run.sh's own
# functions and deploy/ configs).  Compatibility mode on for the stack's
# services, then token-verify-egress restarted without it.
. "$SG_TOP/tests/integration/lib-stack.sh"
export SANDGATE_ACCEPT_NO_AUD=1
stk_init
stk_start
# These cases read the stack's key and issuer.
ORIG_KEY=$SG_KEYS/private-key.pem ORIG_ISS=$SG_ISSUER
OCID=sandbox_PPPPPPPPPPPPPPPPPPPPPP
OHOST=127.0.0.1:$SG_TARGET_PORT
ORIG_CID=$OCID ORIG_HOSTS=$OHOST

# egress CID TOKEN URL: the status of one request through Apache.
egress()
{
	curl -s -o "$T/ebody" -D "$T/ehdr" -w '%{http_code}' --max-time 10 \
	    -x "$STK_PROXY" -H "Proxy-Authorization: $(stk_basic "$1" "$2")" \
	    "$3" || true
}
# compat_metric: sandgate_compat_tokens_total{service="token-verify"}
compat_metric()
{
	curl -s --max-time 10 -H "Authorization: Bearer $STK_OP" \
	    "$STK_API/metrics" > "$T/metrics" || true
	awk '$1 == "sandgate_compat_tokens_total{service=\"token-verify\"}" {
	    v = $2 } END { print v == "" ? 0 : v }' "$T/metrics"
}

set -- $(orig --facts)
OTOK=$1 OJTI=$2 OEXP=$3
# The session the original platform would have written for it.
stk_put_session $OCID "$OJTI" "$OEXP" "[\"$OHOST\"]" 127.0.0.1 "$OTOK"
m0=$(compat_metric)
sg_check "egress, compat mode: original token, allowed host" 200 \
    "$(egress $OCID "$OTOK" "http://$OHOST/ok")"
sg_check "egress, compat mode: the target answered" target-ok "$(cat "$T/ebody")"
sg_check "egress, compat mode: original token, other host" 403 \
    "$(egress $OCID "$OTOK" "http://127.0.0.2:$SG_TARGET_PORT/x")"
sg_check "egress, compat mode: nothing reached the other host" 0 "$(stk_leaks)"
sg_check "egress, compat mode: another container's name" 407 \
    "$(egress $STK_A "$OTOK" "http://$OHOST/ok")"
# Counted per request whose token passed on compatibility mode, whatever
# the decision after it: three here (a token still in use is what the
# operator must see before turning the mode off).
sg_check "metrics: each compat acceptance counted" $((m0 + 3)) "$(compat_metric)"
# Logged once per full verification: once per worker process that saw it
# (each has its own token cache), so 1 or 2 times with SG_PROCS=2.
sg_check_match "log: compat_token_accepted with its jti and container_id" '^[12]$' \
    "$(grep '"event":"compat_token_accepted"' "$SG_LOGDIR/token-verify-egress.log" |
    grep -F "\"jti\":\"$OJTI\"" | grep -c -F "\"container_id\":\"$OCID\"")"
sg_check "logs: no token material" "" \
    "$(cat "$SG_LOGDIR"/*.log | grep -o -F -e "$(echo "$OTOK" | cut -d. -f2)" \
    -e "${OTOK##*.}" | head -n 1)"

# Revoked: the session deleted, the token dies at once (no cache: the
# verifier looks the session up on every request after its TTL).
sg_check "egress, compat mode: no session" 407 "$(sleep 1.1;
    stk_redis DEL "sandgate:session:$OCID" >/dev/null
    egress $OCID "$OTOK" "http://$OHOST/ok")"
sg_check_match "no session: Proxy-Authenticate" 'Proxy-Authenticate: Basic realm="sandgate"' \
    "$(tr -d '\r' < "$T/ehdr")"
stk_put_session $OCID "$OJTI" "$OEXP" "[\"$OHOST\"]" 127.0.0.1 "$OTOK"

# Every other rule still holds: each broken token refused (407), none
# counted as a compatibility acceptance.
m1=$(compat_metric)
for c in $ORIG_CASES; do
	set -- $(orig --case "$c" --facts)
	stk_put_session $OCID "$2" "$3" "[\"$OHOST\"]" 127.0.0.1 "$1"
	sg_check "egress, compat mode, $c: refused" 407 \
	    "$(egress $OCID "$1" "http://$OHOST/ok")"
done
sg_check "metrics: refused tokens are not counted" "$m1" "$(compat_metric)"
stk_put_session $OCID "$OJTI" "$OEXP" "[\"$OHOST\"]" 127.0.0.1 "$OTOK"
sg_check "egress, compat mode: the original token again" 200 \
    "$(egress $OCID "$OTOK" "http://$OHOST/ok")"

# Compatibility mode turned off (the procedure of docs/operations.md:
# unset the variable, restart token-verify).
sg_run_kill token-verify-egress
(unset SANDGATE_ACCEPT_NO_AUD
sg_run_spawn token-verify-egress "$SG_BUILD/services/token-verify/token-verify" \
    "tcp:$SG_VERIFY_PORT")
sg_wait_tcp 127.0.0.1 "$SG_VERIFY_PORT"
m2=$(compat_metric)
sg_check "egress, compat mode off: original token refused" 407 \
    "$(egress $OCID "$OTOK" "http://$OHOST/ok")"
sg_check_match "compat mode off: Proxy-Authenticate" 'Proxy-Authenticate: Basic realm="sandgate"' \
    "$(tr -d '\r' < "$T/ehdr")"
sg_check "egress, compat mode off: other host refused too" 407 \
    "$(egress $OCID "$OTOK" "http://127.0.0.2:$SG_TARGET_PORT/x")"
# The token did not verify: the container is only the name it gave
# (claimed_container_id, docs/security.md 4.5).
sg_check "compat mode off: both decisions logged as bad_audience" 2 \
    "$(grep '"reason":"bad_audience"' "$SG_LOGDIR/token-verify-egress.log" |
    grep -c -F "\"claimed_container_id\":\"$OCID\"")"
sg_check "metrics: nothing counted with compat mode off" "$m2" "$(compat_metric)"
stk_sessions
sg_check "egress, compat mode off: a sandgate token still passes" 200 \
    "$(egress $STK_A "$STK_TOK_A" "http://$OHOST/ok")"
sg_check "nothing reached the other host" 0 "$(stk_leaks)"

sg_done
