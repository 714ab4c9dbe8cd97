#!/bin/sh
# SPDX-License-Identifier: ISC
# The operator CLI end to end: keygen (files and modes, no silent
# overwrite), jwk, token, verify (exit codes 0/1/2, audience, container
# binding, egress targets with and without the private-address rule).
# Container tokens come from the library through tv-mint.
. "$(dirname "$0")/lib.sh"
sg_setup

MINT=$SG_BUILD/services/token-verify/tv-mint
ORG=3f2504e0-4f89-41d3-9a0c-0305e82c3301
for f in "$SG_CLI" "$MINT"; do
	[ -x "$f" ] || { echo "missing $f (build it first)" >&2; exit 1; }
done
# Only what each test sets.
for v in $(env | sed -n 's/^\(SANDGATE_[A-Z_]*\)=.*/\1/p'); do
	unset "$v"
done

# rc CMD...: run, keep stdout/stderr in $T/out and $T/err, print the status.
rc()
{
	"$@" >"$T/out" 2>"$T/err" && echo 0 || echo $?
}

# vrc TOKEN [ARGS]: sandgate verify with TOKEN and a newline on stdin.
vrc()
{
	_t=$1
	shift
	printf '%s\n' "$_t" | "$SG_CLI" verify "$@" >"$T/out" 2>"$T/err" &&
	    echo 0 || echo $?
}

mode()
{
	stat -c %a "$1"
}

# --- top level
sg_check "version" 0 "$(rc "$SG_CLI" --version)"
sg_check_match "version text" '^sandgate cli [0-9]+\.[0-9]+' "$(cat "$T/out")"
sg_check "help" 0 "$(rc "$SG_CLI" --help)"
sg_check "no command" 2 "$(rc "$SG_CLI")"
sg_check "unknown command" 2 "$(rc "$SG_CLI" frobnicate)"
# Pins: `sandgate reap --help` was the one command whose --help did not
# behave like the others (exit 0, the usage on stdout).
for c in keygen keys jwk token verify reap doctor; do
	sg_check "$c --help" 0 "$(rc "$SG_CLI" "$c" --help)"
	sg_check_match "$c --help text" "usage: sandgate $c" "$(cat "$T/out")"
	sg_check "$c --help: nothing on stderr" "" "$(cat "$T/err")"
	sg_check "$c bad option" 2 "$(rc "$SG_CLI" "$c" --no-such-option)"
	sg_check_match "$c bad option: usage on stderr" "usage: sandgate $c" \
	    "$(cat "$T/err")"
done
sg_check "reap -h" 0 "$(rc "$SG_CLI" reap -h)"
sg_check "reap --dry-run --help" 0 "$(rc "$SG_CLI" reap --dry-run --help)"

# --- keygen
K=$T/keys
sg_check "keygen" 0 "$(rc "$SG_CLI" keygen "$K")"
KID=$(cat "$T/out")
sg_check_match "keygen prints the kid" '^[A-Za-z0-9_-]{43}$' "$KID"
sg_check "private key mode" 600 "$(mode "$K/private-key.pem")"
sg_check "public key mode" 644 "$(mode "$K/public-key.pem")"
sg_check "jwks mode" 644 "$(mode "$K/jwks.json")"
sg_check "new directory mode" 700 "$(mode "$K")"
sg_check_match "private key PEM" 'BEGIN (EC )?PRIVATE KEY' "$(cat "$K/private-key.pem")"
sg_check_match "public key PEM" 'BEGIN PUBLIC KEY' "$(cat "$K/public-key.pem")"
sg_check "private key is P-256" "ASN1 OID: prime256v1" \
    "$(openssl pkey -in "$K/private-key.pem" -text_pub -noout 2>/dev/null |
    grep 'ASN1 OID')"
sg_check "jwks kid" "$KID" "$(jq -r '.keys[0].kid' "$K/jwks.json")"
sg_check "jwks has no private part" null "$(jq -r '.keys[0].d' "$K/jwks.json")"
sg_check "no temporary files left" 3 "$(ls -A "$K" | wc -l)"
before=$(sha256sum <"$K/private-key.pem")
sg_check "keygen refuses to overwrite" 1 "$(rc "$SG_CLI" keygen "$K")"
sg_check_match "keygen says why" 'exists' "$(cat "$T/err")"
sg_check "private key unchanged" "$before" "$(sha256sum <"$K/private-key.pem")"
sg_check "no temporary files after refusal" 3 "$(ls -A "$K" | wc -l)"
K2=$T/keys2
sg_check "keygen second dir" 0 "$(rc "$SG_CLI" keygen "$K2")"
sg_check "keygen --force" 0 "$(rc "$SG_CLI" keygen --force "$K2")"
KID2=$(cat "$T/out")
sg_check "forced key is new" 1 "$([ "$KID2" != "$KID" ] && echo 1 || echo 0)"
sg_check "forced private key mode" 600 "$(mode "$K2/private-key.pem")"
sg_check "forced jwks kid" "$KID2" "$(jq -r '.keys[0].kid' "$K2/jwks.json")"
sg_check "keygen without DIR" 2 "$(rc "$SG_CLI" keygen)"
sg_check "keygen two DIRs" 2 "$(rc "$SG_CLI" keygen "$T/a" "$T/b")"
: >"$T/file"
sg_check "keygen into a file" 1 "$(rc "$SG_CLI" keygen "$T/file")"

# --- jwk
sg_check "jwk of the public key" 0 "$(rc "$SG_CLI" jwk "$K/public-key.pem")"
sg_check "jwk kid" "$KID" "$(jq -r .kid "$T/out")"
sg_check "jwk kty/crv/alg/use" "EC P-256 ES256 sig" \
    "$(jq -r '"\(.kty) \(.crv) \(.alg) \(.use)"' "$T/out")"
sg_check "jwk equals jwks.json" "$(jq -cS '.keys[0]' "$K/jwks.json")" \
    "$(jq -cS . "$T/out")"
sg_check "jwk of the private key" 0 "$(rc "$SG_CLI" jwk "$K/private-key.pem")"
sg_check "private jwk has no d" null "$(jq -r .d "$T/out")"
sg_check "jwk of an RSA key" 1 "$(rc "$SG_CLI" jwk "$SG_DATA/test-key-rsa.pem")"
sg_check "jwk of a P-384 key" 1 "$(rc "$SG_CLI" jwk "$SG_DATA/test-key-p384.pem")"
sg_check "jwk of a missing file" 1 "$(rc "$SG_CLI" jwk "$T/nope.pem")"
sg_check "jwk without a file" 2 "$(rc "$SG_CLI" jwk)"

# --- token
export SANDGATE_SIGNING_KEY="$K/private-key.pem"
export SANDGATE_VERIFY_KEYS="$K/jwks.json"
export SANDGATE_ISSUER="https://sandgate.test"
sg_check "token" 0 "$(rc "$SG_CLI" token --sub alice \
    --scope "tokens:issue sessions:read")"
OP=$(cat "$T/out")
sg_check_match "token is a compact JWS" \
    '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{86}$' "$OP"
sg_check "token --ttl" 0 "$(rc "$SG_CLI" token --sub alice --scope \
    sessions:read --ttl 60)"
OP60=$(cat "$T/out")
sg_check "token unknown scope" 2 "$(rc "$SG_CLI" token --sub alice \
    --scope admin)"
sg_check "token double space in scope" 2 "$(rc "$SG_CLI" token --sub alice \
    --scope "tokens:issue  sessions:read")"
sg_check "token without --sub" 2 "$(rc "$SG_CLI" token --scope tokens:issue)"
sg_check "token without --scope" 2 "$(rc "$SG_CLI" token --sub alice)"
sg_check "token bad sub" 2 "$(rc "$SG_CLI" token --sub "$(printf 'a\nb')" \
    --scope tokens:issue)"
sg_check "token --ttl 0" 2 "$(rc "$SG_CLI" token --sub a --scope \
    tokens:issue --ttl 0)"
sg_check "token --ttl over max" 2 "$(rc "$SG_CLI" token --sub a --scope \
    tokens:issue --ttl 86401)"
sg_check "token --ttl junk" 2 "$(rc "$SG_CLI" token --sub a --scope \
    tokens:issue --ttl 10x)"
sg_check "token without key" 2 "$(SANDGATE_SIGNING_KEY= rc "$SG_CLI" token \
    --sub a --scope tokens:issue)"
sg_check "token with a public key" 1 "$(SANDGATE_SIGNING_KEY=$K/public-key.pem \
    rc "$SG_CLI" token --sub a --scope tokens:issue)"
sg_check "token bad config" 2 "$(SANDGATE_LEEWAY=soon rc "$SG_CLI" token \
    --sub a --scope tokens:issue)"
sg_check_match "bad config names the variable" 'SANDGATE_LEEWAY' \
    "$(cat "$T/err")"

# --- verify: operator tokens
sg_check "verify operator token" 0 "$(vrc "$OP")"
sg_check "verify prints claims" "alice sandgate-api tokens:issue sessions:read" \
    "$(jq -r '"\(.sub) \(.aud) \(.scope)"' "$T/out")"
sg_check "lifetime = TOKEN_TTL" 14400 "$(jq -r '.exp - .iat' "$T/out")"
sg_check "verify --ttl token" 0 "$(vrc "$OP60")"
sg_check "--ttl lifetime" 60 "$(jq -r '.exp - .iat' "$T/out")"
sg_check "verify --audience api" 0 "$(vrc "$OP" --audience api)"
sg_check "verify --audience sandgate-api" 0 "$(vrc "$OP" --audience sandgate-api)"
sg_check "operator token as egress" 1 "$(vrc "$OP" --audience egress)"
sg_check_match "reason on stderr" 'bad_audience' "$(cat "$T/err")"
sg_check "nothing on stdout when refused" "" "$(cat "$T/out")"
sg_check "operator token with --container-id" 1 \
    "$(vrc "$OP" --container-id sandbox_x)"
sg_check "operator token with --target" 1 "$(vrc "$OP" --target github.com:443)"
sg_check "bad --audience" 2 "$(vrc "$OP" --audience sandbox)"
sg_check "bad --container-id" 2 "$(vrc "$OP" --container-id 'a b')"
sg_check "extra argument" 2 "$(vrc "$OP" extra)"
sg_check "verify with the PEM key" 0 "$(SANDGATE_VERIFY_KEYS=$K/public-key.pem \
    vrc "$OP")"
sg_check "verify falls back to the signing key" 0 "$(SANDGATE_VERIFY_KEYS= \
    vrc "$OP")"
sg_check "verify without any key" 2 "$(SANDGATE_VERIFY_KEYS= \
    SANDGATE_SIGNING_KEY= vrc "$OP")"
sg_check "verify with another key" 1 "$(SANDGATE_VERIFY_KEYS=$K2/jwks.json \
    vrc "$OP")"
sg_check "verify with a missing key file" 2 \
    "$(SANDGATE_VERIFY_KEYS=$T/nope.json vrc "$OP")"
sg_check "verify bad config" 2 "$(SANDGATE_ACCEPT_NO_AUD=yes vrc "$OP")"
sg_check "verify other issuer" 1 "$(SANDGATE_ISSUER=https://other.test vrc "$OP")"
sg_check_match "issuer reason" 'bad_issuer' "$(cat "$T/err")"
sg_check "max lifetime below the token's" 1 \
    "$(SANDGATE_TOKEN_MAX_TTL=3600 vrc "$OP")"
sg_check_match "lifetime reason" 'lifetime_too_long' "$(cat "$T/err")"

# Input handling: one trailing newline only.
sg_check "token without newline" 0 \
    "$(printf '%s' "$OP" | rc "$SG_CLI" verify)"
sg_check "token with CRLF" 0 "$(printf '%s\r\n' "$OP" | rc "$SG_CLI" verify)"
sg_check "token with two newlines" 1 \
    "$(printf '%s\n\n' "$OP" | rc "$SG_CLI" verify)"
sg_check "token with a leading space" 1 \
    "$(printf ' %s\n' "$OP" | rc "$SG_CLI" verify)"
sg_check "empty stdin" 1 "$(rc "$SG_CLI" verify </dev/null)"
sg_check "garbage" 1 "$(echo 'not.a.token' | rc "$SG_CLI" verify)"
sg_check "huge input" 1 "$(head -c 100000 /dev/zero | tr '\0' A |
    rc "$SG_CLI" verify)"
# A flipped payload character breaks the signature.
h=${OP%%.*}
rest=${OP#*.}
p=${rest%%.*}
s=${rest#*.}
case $p in
A*) p2="B${p#A}" ;;
*) p2="A${p#?}" ;;
esac
sg_check "tampered payload" 1 "$(vrc "$h.$p2.$s")"
sg_check "token twice" 1 "$(vrc "$OP $OP")"

# Expiry, with no leeway.
sg_check "short token" 0 "$(rc "$SG_CLI" token --sub a --scope tokens:issue \
    --ttl 1)"
OP1=$(cat "$T/out")
sleep 2
sg_check "expired token" 1 "$(SANDGATE_LEEWAY=0 vrc "$OP1")"
sg_check_match "expiry reason" 'token_expired' "$(cat "$T/err")"
sg_check "expired token within the leeway" 0 "$(SANDGATE_LEEWAY=30 vrc "$OP1")"

# --- verify: container tokens (minted by the library)
mint()
{
	"$MINT" container "$K/private-key.pem" "$SANDGATE_ISSUER" user_1 \
	    "$1" "$ORG" "$2" true 600 | cut -d' ' -f1
}
CT=$(mint sandbox_one "github.com,*.example.org,8.8.8.8,10.1.2.3,127.0.0.1,169.254.169.254,[::1],api.test.example:8443")
sg_check_match "minted a container token" '^[A-Za-z0-9_.-]+$' "$CT"
sg_check "container token" 0 "$(vrc "$CT")"
sg_check "container claims" "sandbox_one true false" \
    "$(jq -r '"\(.container_id) \(.enforce_container_binding) \(.is_pci_compliant)"' \
    "$T/out")"
sg_check "--audience egress" 0 "$(vrc "$CT" --audience egress)"
sg_check "container token as api" 1 "$(vrc "$CT" --audience api)"
sg_check "binding: same id" 0 "$(vrc "$CT" --container-id sandbox_one)"
sg_check "binding: other id" 1 "$(vrc "$CT" --container-id sandbox_two)"
sg_check_match "binding reason" 'container_mismatch' "$(cat "$T/err")"
sg_check "binding: prefix" 1 "$(vrc "$CT" --container-id sandbox_on)"
sg_check "binding: longer" 1 "$(vrc "$CT" --container-id sandbox_one1)"
sg_check "binding: case" 1 "$(vrc "$CT" --container-id SANDBOX_ONE)"

# Targets, without the private-address rule (no DNS needed).
export SANDGATE_EGRESS_DENY_PRIVATE=0
sg_check "target allowed" 0 "$(vrc "$CT" --target github.com:443)"
sg_check "target port 80" 0 "$(vrc "$CT" --target github.com:80)"
sg_check "target uppercase, trailing dot" 0 "$(vrc "$CT" --target GitHub.COM.:443)"
sg_check "target wildcard" 0 "$(vrc "$CT" --target a.b.example.org:443)"
sg_check "target wildcard apex" 1 "$(vrc "$CT" --target example.org:443)"
sg_check "target other port" 1 "$(vrc "$CT" --target github.com:22)"
sg_check_match "target reason" 'target_not_allowed' "$(cat "$T/err")"
sg_check "target explicit port" 0 "$(vrc "$CT" --target api.test.example:8443)"
sg_check "target explicit port only" 1 "$(vrc "$CT" --target api.test.example:443)"
sg_check "target not listed" 1 "$(vrc "$CT" --target evil.com:443)"
sg_check "target suffix" 1 "$(vrc "$CT" --target evilgithub.com:443)"
sg_check "target userinfo" 1 "$(vrc "$CT" --target github.com@evil.com:443)"
sg_check_match "userinfo reason" 'bad_target' "$(cat "$T/err")"
sg_check "target without port" 1 "$(vrc "$CT" --target github.com)"
sg_check "target 127.1" 1 "$(vrc "$CT" --target 127.1:443)"
sg_check "loopback listed, rule off" 0 "$(vrc "$CT" --target 127.0.0.1:443)"
sg_check "private listed, rule off" 0 "$(vrc "$CT" --target 10.1.2.3:443)"
sg_check "IPv6 loopback listed, rule off" 0 "$(vrc "$CT" --target '[::1]:443')"
sg_check "egress ports from config" 1 \
    "$(SANDGATE_EGRESS_PORTS=8080 vrc "$CT" --target github.com:443)"
sg_check "egress ports from config (allowed)" 0 \
    "$(SANDGATE_EGRESS_PORTS=8080 vrc "$CT" --target github.com:8080)"
sg_check "binding and target together" 0 \
    "$(vrc "$CT" --container-id sandbox_one --target github.com:443 \
    --audience egress)"

# The private-address rule (the default): listed or not, private is denied.
export SANDGATE_EGRESS_DENY_PRIVATE=1
sg_check "loopback listed, rule on" 1 "$(vrc "$CT" --target 127.0.0.1:443)"
sg_check_match "private reason" 'private_target' "$(cat "$T/err")"
sg_check "private listed, rule on" 1 "$(vrc "$CT" --target 10.1.2.3:443)"
sg_check "metadata listed, rule on" 1 "$(vrc "$CT" --target 169.254.169.254:80)"
sg_check "IPv6 loopback listed, rule on" 1 "$(vrc "$CT" --target '[::1]:443')"
sg_check "public IP listed, rule on" 0 "$(vrc "$CT" --target 8.8.8.8:443)"
sg_check "public IP not listed" 1 "$(vrc "$CT" --target 8.8.4.4:443)"
unset SANDGATE_EGRESS_DENY_PRIVATE
sg_check "rule on by default" 1 "$(vrc "$CT" --target 127.0.0.1:443)"

# A sandbox with no hosts reaches nothing.
CT0=$(mint sandbox_none "")
sg_check "no-hosts token" 0 "$(vrc "$CT0")"
sg_check "no-hosts allowed_hosts" '""' "$(jq -c .allowed_hosts "$T/out")"
sg_check "no-hosts target" 1 "$(SANDGATE_EGRESS_DENY_PRIVATE=0 vrc "$CT0" \
    --target github.com:443)"

sg_done
