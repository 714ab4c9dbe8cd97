#!/bin/sh
# SPDX-License-Identifier: ISC
# sandgate doctor (issue 20.5) against the real things it checks: a
# redis-server of the test's own (with a password), the Docker engine
# with gVisor registered, an internal network and one that is not, an nft
# table of the test's own, and key files of good and bad modes.  Each
# fault gives its FAIL (or WARN) line and the exit status of the worst:
# 0 all ok, 1 a warning, 2 a failure.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-docker.sh"
sg_setup
[ -x "$SG_CLI" ] || { echo "missing $SG_CLI (build it first)" >&2; exit 1; }
command -v nft >/dev/null || { echo "nft missing (Debian nftables)" >&2; exit 1; }
for v in $(env | sed -n 's/^\(SANDGATE_[A-Z_]*\)=.*/\1/p'); do
	unset "$v"
done

sg_ensure_dockerd
sg_test_network
sg_start_redis
PW=sg-$(openssl rand -hex 12)
redis-cli -s "$REDIS_SOCK" CONFIG SET requirepass "$PW" >/dev/null
"$SG_CLI" keygen "$T/keys" >/dev/null 2>&1 ||
    { echo "sandgate keygen failed" >&2; exit 1; }
KEY=$T/keys/private-key.pem
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/secret.key"
chmod 600 "$T/secret.key"
# A table whose name says sandgate, as the rendered firewall's do.
TABLE=sandgate_doctor_$$
nft add table inet "$TABLE"
sg_on_exit "nft delete table inet '$TABLE' 2>/dev/null"

export SANDGATE_REDIS="unix:$REDIS_SOCK"
export SANDGATE_REDIS_PASSWORD="$PW"
export SANDGATE_DOCKER_SOCKET=$SG_DOCKER_SOCK
export SANDGATE_RUNTIME=${SG_RUNTIME:-runsc}
export SANDGATE_NETWORK=$SG_TEST_NET
export SANDGATE_SIGNING_KEY=$KEY
export SANDGATE_SECRET_KEYS=$T/secret.key

# doc: run doctor; $T/out holds its lines; prints the exit status
doc()
{
	"$SG_CLI" doctor >"$T/out" 2>"$T/err" && echo 0 || echo $?
}
line()	# NAME: the first word (ok/WARN/FAIL) of NAME's lines, joined
{
	grep -E "^(ok  |WARN|FAIL) $1:" "$T/out" | cut -c1-4 | tr -d ' ' | sort -u | tr '\n' ' ' | sed 's/ $//'
}

st=$(doc)
cat "$T/out" | sed 's/^/# /'
sg_check "all good: exit 0" 0 "$st"
sg_check "all good: no WARN or FAIL line" "" "$(grep -E '^(WARN|FAIL)' "$T/out" || true)"
sg_check "one line per check: config, keys, redis, docker, firewall" \
    "config signing key secret keys redis docker firewall" \
    "$(sed -E 's/^(ok  |WARN|FAIL) ([a-z ]+):.*/\2/' "$T/out" | uniq | tr '\n' ' ' | sed 's/ $//')"
sg_check "--help" 0 "$("$SG_CLI" doctor --help >/dev/null 2>&1 && echo 0 || echo $?)"
sg_check "an operand is a usage error" 2 "$("$SG_CLI" doctor extra >/dev/null 2>&1 && echo 0 || echo $?)"

chmod 644 "$KEY"
sg_check "a signing key others can read: exit 2" 2 "$(doc)"
sg_check_match "... FAIL names the mode and the fix" '^FAIL signing key: .*mode 0644.*chmod 600' "$(cat "$T/out")"
chmod 600 "$KEY"
chmod 640 "$T/secret.key"
sg_check "a secret key its group can read: exit 2" 2 "$(doc)"
sg_check "... FAIL secret keys" FAIL "$(line 'secret keys')"
chmod 600 "$T/secret.key"

SANDGATE_REDIS_PASSWORD=wrong-$PW
sg_check "a wrong Redis password: exit 2" 2 "$(doc)"
sg_check "... FAIL redis" FAIL "$(line redis)"
SANDGATE_REDIS_PASSWORD=$PW

SANDGATE_RUNTIME=sandgate-no-such-runtime
sg_check "a runtime the engine lacks: exit 2" 2 "$(doc)"
sg_check_match "... FAIL docker names it" '^FAIL docker: runtime "sandgate-no-such-runtime" not registered' "$(cat "$T/out")"
SANDGATE_RUNTIME=runc
sg_check "runc (not gVisor): a warning, exit 1" 1 "$(doc)"
sg_check_match "... WARN says why" '^WARN docker: runtime "runc" registered \(not gVisor' "$(cat "$T/out")"
SANDGATE_RUNTIME=${SG_RUNTIME:-runsc}

EXT=$SG_TEST_NET-ext
"$SG_DOCKER" network create "$EXT" >/dev/null
sg_on_exit "\"$SG_DOCKER\" network rm '$EXT' >/dev/null 2>&1"
SANDGATE_NETWORK=$EXT
sg_check "a sandbox network that is not internal: exit 2" 2 "$(doc)"
sg_check_match "... FAIL says so" "^FAIL docker: network \"$EXT\" is not internal" "$(cat "$T/out")"
SANDGATE_NETWORK=$SG_TEST_NET-missing
sg_check "a missing network: exit 2" 2 "$(doc)"
SANDGATE_NETWORK=$SG_TEST_NET

nft delete table inet "$TABLE"
sg_check "no sandgate nft table: exit 2" 2 "$(doc)"
sg_check "... FAIL firewall" FAIL "$(line firewall)"
nft add table inet "$TABLE"

SANDGATE_DOCKER_SOCKET=$T/no-docker.sock
sg_check "no Docker engine: exit 2" 2 "$(doc)"
sg_check "... FAIL docker" FAIL "$(line docker)"
SANDGATE_DOCKER_SOCKET=$SG_DOCKER_SOCK

export SANDGATE_CPUS=lots
sg_check "a bad configuration: exit 2, FAIL config" "2 FAIL" "$(doc) $(line config)"
unset SANDGATE_CPUS
sg_check "all good again: exit 0" 0 "$(doc)"
sg_done
