#!/bin/sh
# SPDX-License-Identifier: ISC
# Interoperability with PyJWT (Debian's python3-jwt), the library the
# original Python design used: tokens from `sandgate token` and from the
# library verify in PyJWT (and its JWK loader reads our jwks.json), and
# tokens PyJWT signs with the original design's claim set (no aud, flags
# as "true"/"false" strings) verify with `sandgate verify` exactly when
# SANDGATE_ACCEPT_NO_AUD=1.
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

# The original Python design's claims: no aud, flags as strings.
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
# Exactly the original payload: no sub (nor aud, nor nbf).
PYNS=$(pysign "$(pyclaims sub=-)")
sg_check "original payload (no sub) without ACCEPT_NO_AUD" 1 "$(vrc "$PYNS")"
sg_check "original payload (no sub) with ACCEPT_NO_AUD=1" 0 \
    "$(SANDGATE_ACCEPT_NO_AUD=1 vrc "$PYNS" --audience egress \
    --container-id sandbox_py42)"
sg_check "no sub is never made up" "null" "$(jq -r '.sub' "$T/out")"
sg_check "original payload with aud still needs sub" 1 \
    "$(SANDGATE_ACCEPT_NO_AUD=1 vrc \
    "$(pysign "$(pyclaims sub=- aud='"sandgate-egress"')")")"
sg_check_match "missing sub reason" 'missing_claim' "$(cat "$T/err")"
sg_check "original payload, wrong aud" 1 "$(SANDGATE_ACCEPT_NO_AUD=1 vrc \
    "$(pysign "$(pyclaims sub=- aud='"other"')")")"
sg_check "original payload, no jti" 1 "$(SANDGATE_ACCEPT_NO_AUD=1 vrc \
    "$(pysign "$(pyclaims sub=- jti=-)")")"
sg_check "original payload, lifetime over max" 1 \
    "$(SANDGATE_ACCEPT_NO_AUD=1 SANDGATE_TOKEN_MAX_TTL=600 vrc "$PYNS")"
sg_check "original payload, bad signature" 1 "$(SANDGATE_ACCEPT_NO_AUD=1 vrc \
    "$("$PY" -c 'import sys; t = sys.argv[1]; i = len(t) - 20
print(t[:i] + ("A" if t[i] != "A" else "B") + t[i + 1:])' "$PYNS")")"
sg_check_match "bad signature reason" 'bad_signature' "$(cat "$T/err")"
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

sg_done
