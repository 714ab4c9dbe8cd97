#!/bin/sh
# SPDX-License-Identifier: ISC
# Key rotation exactly as docs/deploy.md §3 writes it: `sandgate keys
# init|rotate|activate|retire` on a key directory laid out as the units
# read it, with a real token-issuer reloaded between the steps (SIGHUP,
# what `systemctl reload` sends).  Old tokens keep passing until the old
# key is retired; new ones carry the new kid; a signing key other users
# can read is refused.
. "$(dirname "$0")/lib.sh"
sg_setup

ISSUER=$SG_BUILD/services/token-issuer/token-issuer
DOC=$SG_TOP/docs/deploy.md
for f in "$SG_CLI" "$ISSUER"; do
	[ -x "$f" ] || { echo "missing $f (build it first)" >&2; exit 1; }
done
for v in $(env | sed -n 's/^\(SANDGATE_[A-Z_]*\)=.*/\1/p'); do
	unset "$v"
done

# st CMD...: run, stdout/stderr in $T/out and $T/err, print the status.
st()
{
	"$@" >"$T/out" 2>"$T/err" && echo 0 || echo $?
}
# ok TOKEN: does `sandgate verify --audience api` accept it?
ok()
{
	printf '%s\n' "$1" | "$SG_CLI" verify --audience api >/dev/null \
	    2>"$T/verr" && echo accepted || echo refused
}
# kid TOKEN: the kid in its header.
kid()
{
	printf '%s' "${1%%.*}" | tr '_-' '/+' | base64 -d 2>/dev/null |
	    jq -r .kid
}
mint()
{
	"$SG_CLI" token --sub rotation-test --scope sessions:read --ttl 600
}
fcgi()
{
	env -i PATH="$PATH" "$@" cgi-fcgi -bind -connect "$T/issuer.sock" \
	    </dev/null 2>/dev/null | tr -d '\r'
}
jwks_kids()
{
	fcgi REQUEST_METHOD=GET REQUEST_URI=/.well-known/jwks.json |
	    sed -n '/^{/p' | jq -r '[.keys[].kid] | sort | join(" ")'
}
reload()
{
	kill -HUP "$IPID"
	sleep 0.3
}

K=$T/keys
# The documented commands are the ones this test runs (on $K).
for step in init rotate activate retire; do
	sg_check "docs/deploy.md shows 'sandgate keys $step'" 1 \
	    "$(grep -c "^ *sandgate keys $step /etc/sandgate/keys\$" "$DOC")"
done
sg_check "rotate before init" 1 "$(st "$SG_CLI" keys rotate "$T")"
sg_check_match "rotate before init says so" 'keys init' "$(cat "$T/err")"

# --- first key
sg_check "keys init" 0 "$(st "$SG_CLI" keys init "$K")"
KID1=$(cat "$T/out")
sg_check_match "init prints the kid" '^[A-Za-z0-9_-]{43}$' "$KID1"
sg_check "signing.pem mode" 600 "$(stat -c %a "$K/signing.pem")"
sg_check "verify.jwks.json mode" 644 "$(stat -c %a "$K/verify.jwks.json")"
sg_check "published" "$KID1" "$(jq -r '[.keys[].kid] | join(" ")' \
    "$K/verify.jwks.json")"
sg_check "no private part published" 0 \
    "$(jq '[.keys[] | select(has("d"))] | length' "$K/verify.jwks.json")"
sg_check "init twice refused" 1 "$(st "$SG_CLI" keys init "$K")"

export SANDGATE_SIGNING_KEY=$K/signing.pem
export SANDGATE_VERIFY_KEYS=$K/verify.jwks.json
export SANDGATE_ISSUER=https://rotation.test
spawn-fcgi -n -s "$T/issuer.sock" -M 0600 -- "$ISSUER" 2>>"$T/issuer.log" &
IPID=$!
sg_track_pid $IPID
sg_wait_file "$T/issuer.sock"
sg_check "issuer serves the first key" "$KID1" "$(jwks_kids)"
OLD=$(mint)
sg_check "a token signed with the first key" "$KID1" "$(kid "$OLD")"
sg_check "it verifies" accepted "$(ok "$OLD")"

# --- step 1: stage
sg_check "keys rotate" 0 "$(st "$SG_CLI" keys rotate "$K")"
KID2=$(cat "$T/out")
sg_check_match "rotate prints the new kid" '^[A-Za-z0-9_-]{43}$' "$KID2"
[ "$KID1" != "$KID2" ] && d=yes || d=no
sg_check "a different key" yes "$d"
sg_check "next.pem mode" 600 "$(stat -c %a "$K/next.pem")"
sg_check "rotate twice refused" 1 "$(st "$SG_CLI" keys rotate "$K")"
sg_check "list" 0 "$(st "$SG_CLI" keys list "$K")"
sg_check "list: roles" "$(printf '%s signing\n%s next' "$KID1" "$KID2")" \
    "$(cat "$T/out")"
reload
sg_check "after reload the issuer publishes both" \
    "$(printf '%s\n%s\n' "$KID1" "$KID2" | sort | tr '\n' ' ' |
    sed 's/ $//')" "$(jwks_kids)"
sg_check "tokens are still signed with the first key" "$KID1" "$(kid "$(mint)")"

# --- step 2: activate
sg_check "keys activate" 0 "$(st "$SG_CLI" keys activate "$K")"
sg_check "activate prints the new kid" "$KID2" "$(cat "$T/out")"
[ -e "$K/next.pem" ] && gone=no || gone=yes
sg_check "next.pem is now signing.pem" yes "$gone"
sg_check "signing.pem mode kept" 600 "$(stat -c %a "$K/signing.pem")"
sg_check "activate again refused" 1 "$(st "$SG_CLI" keys activate "$K")"
reload
sg_check "issuer signs with the new key" "$KID2" "$(fcgi REQUEST_METHOD=GET \
    REQUEST_URI=/healthz | sed -n 's/.*"kid":"\([^"]*\)".*/\1/p')"
NEW=$(mint)
sg_check "new tokens carry the new kid" "$KID2" "$(kid "$NEW")"
sg_check "new token verifies" accepted "$(ok "$NEW")"
sg_check "old token still verifies (overlap)" accepted "$(ok "$OLD")"

# --- step 3: retire, only after the old tokens' lifetime
sg_check "retire too early refused" 1 "$(st "$SG_CLI" keys retire "$K")"
sg_check_match "retire says until when" 'SANDGATE_TOKEN_MAX_TTL' \
    "$(cat "$T/err")"
sg_check "nothing removed" 2 "$(jq '.keys | length' "$K/verify.jwks.json")"
# The wait: signing.pem's mtime is the activation time (max TTL 86400 +
# leeway 30 before now).
touch -d "@$(( $(date +%s) - 86400 - 31 ))" "$K/signing.pem"
sg_check "keys retire" 0 "$(st "$SG_CLI" keys retire "$K")"
sg_check "retire prints the removed kid" "$KID1" "$(cat "$T/out")"
sg_check "only the new key is published" "$KID2" \
    "$(jq -r '[.keys[].kid] | join(" ")' "$K/verify.jwks.json")"
reload
sg_check "issuer publishes the new key only" "$KID2" "$(jwks_kids)"
sg_check "old token refused after retire" refused "$(ok "$OLD")"
sg_check "new token still verifies" accepted "$(ok "$NEW")"

# --- a compromised key: rotate, activate and retire at once
"$SG_CLI" keys rotate "$K" >/dev/null
"$SG_CLI" keys activate "$K" >"$T/kid3"
sg_check "retire --force at once" 0 "$(st "$SG_CLI" keys retire --force "$K")"
sg_check "the compromised key's tokens die" refused "$(ok "$NEW")"
sg_check "list after --force" "$(cat "$T/kid3") signing" \
    "$("$SG_CLI" keys list "$K")"

# --- modes: a signing key others can read is refused everywhere
chmod 644 "$K/signing.pem"
sg_check "token: world-readable key refused" 1 "$(st mint)"
sg_check_match "the reason names the mode" 'mode 0644' "$(cat "$T/err")"
sg_check "issuer --check-config refuses it" 78 \
    "$(st "$ISSUER" --check-config)"
sg_check_match "issuer names the variable" 'SANDGATE_SIGNING_KEY' \
    "$(cat "$T/err")"
chmod 640 "$K/signing.pem"
sg_check "group-readable (0640) accepted" 0 "$(st mint)"
chmod 620 "$K/signing.pem"
sg_check "group-writable refused" 1 "$(st mint)"
chmod 600 "$K/signing.pem"
sg_check "keys list refuses nothing at 0600" 0 "$(st "$SG_CLI" keys list "$K")"

# --- operator tokens under their own key (SANDGATE_OPERATOR_KEYS), which
# no service holds: the sandbox key then mints no operator token
sg_check "keys --operator init" 0 "$(st "$SG_CLI" keys --operator init "$K")"
OPKID=$(cat "$T/out")
sg_check "operator.pem mode" 600 "$(stat -c %a "$K/operator.pem")"
sg_check "operator.jwks.json has the operator key only" "$OPKID" \
    "$(jq -r '[.keys[].kid] | join(" ")' "$K/operator.jwks.json")"
sg_check "sandbox set untouched" "$(cat "$T/kid3")" \
    "$(jq -r '[.keys[].kid] | join(" ")' "$K/verify.jwks.json")"
# before: a token signed with the sandbox key is an operator token
LEGACY=$(mint)
export SANDGATE_OPERATOR_KEYS=$K/operator.jwks.json
sg_check "with operator keys, the sandbox key's operator token" refused \
    "$(ok "$LEGACY")"
sg_check_match "refused as wrong_key" 'wrong_key' "$(cat "$T/verr")"
export SANDGATE_OPERATOR_SIGNING_KEY=$K/operator.pem
OPTOK=$(mint)
sg_check "the CLI signs with the operator key" "$OPKID" "$(kid "$OPTOK")"
sg_check "and the verifier accepts it" accepted "$(ok "$OPTOK")"
sg_check "rotate the operator key" 0 \
    "$(st "$SG_CLI" keys rotate --operator "$K")"
sg_check "operator-next.pem staged" 600 "$(stat -c %a "$K/operator-next.pem")"
sg_check "activate it" 0 "$(st "$SG_CLI" keys --operator activate "$K")"
OPKID2=$(cat "$T/out")
sg_check "new operator kid" "$OPKID2" "$(kid "$(mint)")"
sg_check "old operator token still accepted" accepted "$(ok "$OPTOK")"
# a key in both sets is refused
cp "$K/verify.jwks.json" "$T/both.jwks.json"
sg_check "one key in both sets refused" 2 "$(SANDGATE_OPERATOR_KEYS=$T/both.jwks.json \
    st "$SG_CLI" verify --audience api </dev/null)"
sg_check_match "says they need their own" 'need their own' "$(cat "$T/err")"
unset SANDGATE_OPERATOR_KEYS SANDGATE_OPERATOR_SIGNING_KEY

sg_check "keys without DIR" 2 "$(st "$SG_CLI" keys rotate)"
sg_check "keys unknown verb" 2 "$(st "$SG_CLI" keys frobnicate "$K")"
sg_check "--force only for retire" 2 "$(st "$SG_CLI" keys rotate --force "$K")"
sg_done
