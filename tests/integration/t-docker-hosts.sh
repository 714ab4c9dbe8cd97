#!/bin/sh
# SPDX-License-Identifier: ISC
# Several Docker engines (SANDGATE_DOCKER_HOSTS; docs/scaling.md): two
# dockerd of this test's own on one machine (separate sockets, data and
# exec roots), engine "a" on a unix socket and engine "b" on TCP with TLS
# and client certificates (a test CA, as Docker's own --tlsverify), the
# stack of run.sh on loopback using both, and
#   1. placement by free capacity: creates alternate a, b, a...; the
#      session records the engine and the container is on that engine;
#   2. engine b frozen (SIGSTOP: it stops answering): creates go to a,
#      /healthz says one engine is down, a DELETE of a b sandbox revokes
#      (202 pending), the reaper says b is unavailable and keeps its
#      sandboxes' sessions (reported, not lost); thawed, the reaper
#      removes the revoked container and creates reach b again;
#   3. SANDGATE_DOCKER_HOST_LIMIT: every engine at its limit is 503
#      engines_full;
#   4. TLS: a CA that did not sign b's certificate, or no client
#      certificate, is refused (no plain HTTP is ever tried);
#   5. everything destroyed through the API, on the right engine.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-docker.sh"
. "$(dirname "$0")/lib-stack.sh"

sg_setup
[ "$(id -u)" -eq 0 ] || { echo "needs root: it starts its own dockerd" >&2; exit 1; }
command -v dockerd >/dev/null || { echo "dockerd missing (Debian docker.io)" >&2; exit 1; }

# ---- engine a: lib-stack.sh's private engine ------------------------------
stk_dockerd_start
DA=$STK_DOCKER_SOCK
echo "# engine a on $DA (pid $STK_DOCKERD_PID)"
SG_TEST_IMAGE=sandgate-test:hosts
sg_build_test_image

# ---- engine b: another private engine, on TLS -----------------------------
C=$T/pki
mkdir -p "$C"
sg_pki_ca "$C" ca
sg_pki_ca "$C" otherca
sg_pki_leaf "$C" server 127.0.0.1 "subjectAltName=IP:127.0.0.1
extendedKeyUsage=serverAuth"
sg_pki_leaf "$C" client sandgate "extendedKeyUsage=clientAuth"
sg_pki_leaf "$C" rogue sandgate "extendedKeyUsage=clientAuth" otherca
# SANDGATE_DOCKER_CERT_PATH/<engine>/{ca,cert,key}.pem
CERTS=$T/certs
mkdir -p "$CERTS/b" "$CERTS/wrongca" "$CERTS/roguecert"
cp "$C/ca.pem" "$CERTS/b/ca.pem"
cp "$C/client.pem" "$CERTS/b/cert.pem"
cp "$C/client.key" "$CERTS/b/key.pem"
cp "$C/otherca.pem" "$CERTS/wrongca/ca.pem"
cp "$C/client.pem" "$CERTS/wrongca/cert.pem"
cp "$C/client.key" "$CERTS/wrongca/key.pem"
cp "$C/ca.pem" "$CERTS/roguecert/ca.pem"
cp "$C/rogue.pem" "$CERTS/roguecert/cert.pem"
cp "$C/rogue.key" "$CERTS/roguecert/key.pem"
chmod 600 "$CERTS"/*/key.pem

DB_DIR=$T/d2
DB=$DB_DIR/docker.sock
BPORT=$(sg_free_port)
mkdir -p "$DB_DIR/data" "$DB_DIR/x"
cp "$STK_D/daemon.json" "$DB_DIR/daemon.json"
dockerd_b()
{
	sg_dockerd_start "$DB" "$DB_DIR/data" "$DB_DIR/x" "$DB_DIR/dockerd.pid" \
	    "$T/dockerd-b.log" --config-file "$DB_DIR/daemon.json" \
	    --host "tcp://127.0.0.1:$BPORT" --tlsverify \
	    --tlscacert "$C/ca.pem" --tlscert "$C/server.pem" \
	    --tlskey "$C/server.key" --bridge=none --iptables=false \
	    --ip-masq=false --ip-forward=false
	DB_PID=$SG_DOCKERD_PID
}
dockerd_b || exit 1
# At exit, thawed first (a stopped dockerd cannot take its TERM).
sg_on_exit 'kill -CONT "$DB_PID" 2>/dev/null; sg_dockerd_stop "$DB_PID" TERM 60; sg_dockerd_release "$DB_DIR" "$T"'
echo "# engine b on tcp://127.0.0.1:$BPORT with TLS (pid $DB_PID)"
docker -H "unix://$DA" save "$SG_TEST_IMAGE" | docker -H "unix://$DB" load -q >/dev/null
sg_check "engine b has the image" 0 \
    "$(docker -H "unix://$DB" image inspect "$SG_TEST_IMAGE" >/dev/null 2>&1; echo $?)"
sg_check "engine b speaks TLS with our client certificate (docker --tlsverify)" 0 \
    "$(docker --tlsverify --tlscacert "$C/ca.pem" --tlscert "$C/client.pem" \
    --tlskey "$C/client.key" -H "tcp://127.0.0.1:$BPORT" version >/dev/null 2>&1; echo $?)"

# ---- the stack on both ---------------------------------------------------
SG_DOCKER_SOCKET=$DA
# b's sandboxes are told another proxy address (on another machine: that
# machine's Apache on its own sandbox bridge).
SG_DOCKER_HOSTS="a=unix://$DA,b=tcp://127.0.0.1:$BPORT;proxy=http://127.0.0.2:8443"
export SANDGATE_DOCKER_CERT_PATH=$CERTS
export SANDGATE_DOCKER_TIMEOUT=3
stk_init
# The sandbox network on each engine (what /healthz looks for), on
# subnets of this test's own; removed before the engines stop.
sg_own_subnet 172.28 10 40
docker -H "unix://$DA" network create --internal --subnet "$SG_SUBNET" \
    "$SG_NETWORK" >/dev/null
sg_own_subnet 172.28 60 40
docker -H "unix://$DB" network create --internal --subnet "$SG_SUBNET" \
    "$SG_NETWORK" >/dev/null
sg_on_exit 'kill -CONT "$DB_PID" 2>/dev/null; for s in "$DA" "$DB"; do docker -H "unix://$s" network rm "$SG_NETWORK" >/dev/null 2>&1; done'
SG_IMAGE=$SG_TEST_IMAGE
stk_start
sg_on_exit "sg_remove_sandboxes_of '$SG_DATADIR'"
: > "$T/created"
: > "$T/creates"

# on ENGINE-SOCKET: the sandgate container ids on that engine, sorted.
on()
{
	docker -H "unix://$1" ps -a --filter label=sandgate.container_id \
	    --format '{{.Label "sandgate.container_id"}}' | sort | tr '\n' ' '
}
engine_of()	# CID: the engine its session names
{
	stk_redis GET "sandgate:session:$1" | jq -r '.engine // "none"'
}
last()
{
	tail -n 1 "$T/creates" | cut -d' ' -f"$1"
}

# ---- 1. placement ---------------------------------------------------------
echo "# 1. placement by free capacity"
for i in 1 2 3 4; do
	stk_create "p$i" "huser$i"
	sg_check "create $i: 201" 201 "$(last 1)"
done
S1=$(sed -n 1p "$T/created"); S2=$(sed -n 2p "$T/created")
S3=$(sed -n 3p "$T/created"); S4=$(sed -n 4p "$T/created")
sg_check "the sessions name the engines a, b, a, b" "a b a b" \
    "$(engine_of "$S1") $(engine_of "$S2") $(engine_of "$S3") $(engine_of "$S4")"
sg_check "engine a holds sandboxes 1 and 3" "$(printf '%s\n' "$S1" "$S3" | sort | tr '\n' ' ')" "$(on "$DA")"
sg_check "engine b holds sandboxes 2 and 4" "$(printf '%s\n' "$S2" "$S4" | sort | tr '\n' ' ')" "$(on "$DB")"
sg_check "the API shows the engine (GET /v1/sessions/ID)" b \
    "$(curl -s -H "Authorization: Bearer $STK_OP" "$STK_API/v1/sessions/$S2" | jq -r .engine)"
H=$(curl -s "$STK_API/healthz/sandbox-create")
sg_check "/healthz: two engines up" "ok 2" "$(echo "$H" | jq -r '"\(.status) \(.engines_up)"')"
sg_check "/healthz: each engine's count" "a 2 b 2" \
    "$(echo "$H" | jq -r '[.engines[] | "\(.engine) \(.sandboxes)"] | join(" ")')"
envof()	# SOCKET CID: the container's HTTP_PROXY, without the token
{
	docker -H "unix://$1" inspect -f '{{range .Config.Env}}{{println .}}{{end}}' \
	    "$(docker -H "unix://$1" ps -q --filter "label=sandgate.container_id=$2")" |
	    sed -n 's/^HTTP_PROXY=http:\/\/container_[^@]*@//p'
}
sg_check "a sandbox on a is told SANDGATE_PROXY_URL" "127.0.0.1:$SG_PROXY_PORT" "$(envof "$DA" "$S1")"
sg_check "a sandbox on b is told b's proxy=" "127.0.0.2:8443" "$(envof "$DB" "$S2")"
# Its runtime is gVisor there too.
sg_check "a sandbox on b runs under runsc" runsc \
    "$(docker -H "unix://$DB" inspect -f '{{.HostConfig.Runtime}}' "$(docker -H "unix://$DB" ps -q --filter "label=sandgate.container_id=$S2")")"

# ---- 2. engine b stops answering ----------------------------------------
echo "# 2. engine b frozen"
kill -STOP "$DB_PID"
t1=$(date +%s)
stk_create f1 huser5
sg_check "b frozen: a create still succeeds" 201 "$(last 1)"
F1=$(last 2)
echo "# first create with b frozen took $(( $(date +%s) - t1 )) s (timeout 3 s)"
stk_create f2 huser6
F2=$(last 2)
sg_check "b frozen: the next one too" 201 "$(last 1)"
sg_check "b frozen: both went to a" "a a" "$(engine_of "$F1") $(engine_of "$F2")"
sg_check_match "b frozen: sandbox-create said b is down" '"event":"docker_engine_down","engine":"b"' \
    "$(cat "$SG_LOGDIR"/sandbox-create*.log 2>/dev/null)"
H=$(curl -s --max-time 20 "$STK_API/healthz/sandbox-create")
sg_check "/healthz with b frozen: still ok, one engine up, a warning" "ok 1 engine_down" \
    "$(echo "$H" | jq -r '"\(.status) \(.engines_up) \(.warning)"')"
st=$(curl -s -o "$T/del.b" -w '%{http_code}' --max-time 30 -X DELETE \
    -H "Authorization: Bearer $STK_OP" "$STK_API/v1/sandboxes/$S2")
sg_check "DELETE of a b sandbox while b is frozen: 202" 202 "$st"
sg_check "... revoked, teardown pending" "true pending" \
    "$(jq -r '"\(.revoked) \(.teardown)"' < "$T/del.b")"
sg_check "... its session is gone" "" "$(stk_redis GET "sandgate:session:$S2")"
rc=0
"$SG_CLI" reap > "$T/reap.out" 2> "$T/reap.err" || rc=$?
sg_check "reap with b frozen exits 1" 1 "$rc"
sg_check_match "reap reports b" 'engine b unavailable: its sandboxes are kept' "$(cat "$T/reap.out")"
sg_check "reap kept the session of b's other sandbox (not lost)" b "$(engine_of "$S4")"
sg_check_match "reap did engine a all the same" 'engine a: kept 4' "$(cat "$T/reap.out")"
kill -CONT "$DB_PID"
rc=0
"$SG_CLI" reap > "$T/reap2.out" 2> "$T/reap2.err" || rc=$?
sg_check "reap with b thawed exits 0" 0 "$rc"
sg_check_match "reap removed the revoked b container" "reaped $S2 orphan" "$(cat "$T/reap2.out")"
sg_check "engine b holds sandbox 4 only" "$S4 " "$(on "$DB")"
# The workers left b out for SG_ENGINE_DOWN_US (10 s): after it, b again.
sleep 11
stk_create back huser7
B1=$(last 2)
sg_check "b thawed: a create goes to b again (it has the fewest)" "201 b" "$(last 1) $(engine_of "$B1")"

# ---- 3. the per-engine limit ---------------------------------------------
echo "# 3. SANDGATE_DOCKER_HOST_LIMIT"
LPORT=$(sg_free_port)
SANDGATE_DOCKER_HOST_LIMIT=2 \
    sg_spawn create-limit "$LPORT" "$SG_BUILD/services/sandbox-create/sandbox-create"
R=$(SG_KIND=operator SG_SCOPE=sandboxes:create SG_SUB=ops sg_fcgi "$LPORT" \
    POST /v1/sandboxes "{\"user_id\":\"huser8\",\"organization_uuid\":\"$STK_SB_ORG\",\"allowed_hosts\":[]}")
sg_check "every engine at its limit (a 4, b 2; limit 2): 503" 503 "$(sg_status "$R")"
sg_check "... engines_full" engines_full "$(sg_body "$R" | jq -r .error)"
sg_check_match "... the sentence names the limit" 'limit of 2 sandboxes' "$(sg_body "$R" | jq -r .message)"

# ---- 4. TLS is checked ---------------------------------------------------
echo "# 4. TLS"
# One engine and no limit: no placement list, the first call (the
# runtime check) meets the handshake and the create fails with its code.
for bad in wrongca roguecert; do
	P2=$(sg_free_port)
	SANDGATE_DOCKER_HOSTS="$bad=tcp://127.0.0.1:$BPORT" \
	    sg_spawn "create-$bad" "$P2" "$SG_BUILD/services/sandbox-create/sandbox-create"
	R=$(SG_KIND=operator SG_SCOPE=sandboxes:create SG_SUB=ops sg_fcgi "$P2" \
	    POST /v1/sandboxes "{\"user_id\":\"huser9\",\"organization_uuid\":\"$STK_SB_ORG\",\"allowed_hosts\":[]}")
	echo "# $bad: $(sg_status "$R") $(sg_body "$R" | jq -r .error)"
	[ "$bad" != wrongca ] || R0=$R
	sg_check_match "$bad: refused with a 502 or 503" '^50[23]$' "$(sg_status "$R")"
	sg_check_match "$bad: the code says TLS or a closed connection" \
	    '^(docker_tls_failed|docker_unavailable)$' "$(sg_body "$R" | jq -r .error)"
done
sg_check "a CA that did not sign b's certificate: docker_tls_failed" \
    docker_tls_failed "$(sg_body "$R0" | jq -r .error)"
sg_check "no sandbox was made by the refused ones: b still holds 2" 2 \
    "$(echo $(on "$DB") | wc -w)"

# ---- 5. everything destroyed through the API -----------------------------
echo "# 5. teardown"
for id in $(cat "$T/created"); do
	[ "$id" = "$S2" ] && continue
	sg_check "DELETE $id ($(engine_of "$id"))" 204 "$(curl -s -o /dev/null \
	    -w '%{http_code}' --max-time 60 -X DELETE \
	    -H "Authorization: Bearer $STK_OP" "$STK_API/v1/sandboxes/$id")"
done
sg_check "no container left on a" "" "$(on "$DA")"
sg_check "no container left on b" "" "$(on "$DB")"
sg_check "no session left" "" "$(stk_session_ids)"
sg_done
