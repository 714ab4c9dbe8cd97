#!/bin/sh
# SPDX-License-Identifier: ISC
# sandbox-create, sandbox-destroy and `sandgate reap` against the real
# Docker engine and a real Redis (issue 5): every setting in docker
# inspect, the session, the token; destroy and its idempotence; the
# failure paths (Docker socket missing, unknown image, runtime not
# registered, Redis down at the session write, a daemon that times out,
# inspect showing the hardening not applied, a create Warning, a missing
# network), each leaving zero containers and zero keys; the reaper; the
# per-user limit; hostile bodies; wrong scopes.  The services run under sg_spawn
# and are called with cgi-fcgi, the authorizer's facts passed as the
# FastCGI parameters SG_KIND, SG_SCOPE and SG_SUB.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-docker.sh"

sg_setup
sg_ensure_dockerd
sg_build_test_image
sg_test_network
sg_start_redis

RUN=$(basename "$T" | tr -dc 'A-Za-z0-9')
ORG=123e4567-e89b-12d3-a456-426614174000
CREATE=$SG_SVC/sandbox-create/sandbox-create
DESTROY=$SG_SVC/sandbox-destroy/sandbox-destroy
mkdir -p "$T/data"
sg_on_exit "sg_remove_sandboxes_of '$T/data'"
: > "$T/extra-containers"
sg_on_exit 'for c in $(cat "$T/extra-containers"); do "$SG_DOCKER" rm -f "$c"; done'

export SANDGATE_REDIS="unix:$REDIS_SOCK"
export SANDGATE_SIGNING_KEY="$SG_DATA/test-key-1.pem"
export SANDGATE_VERIFY_KEYS="$SG_DATA/test-key-1.pub.pem"
export SANDGATE_ISSUER=sandgate-test
# gVisor, as in production (the engine has it registered: lib-docker.sh);
# SG_RUNTIME=runc runs the same checks under runc.
export SANDGATE_RUNTIME=${SG_RUNTIME:-runsc}
export SANDGATE_IMAGE="$SG_TEST_IMAGE"
export SANDGATE_NETWORK="$SG_TEST_NET"
export SANDGATE_PROXY_URL=http://192.0.2.1:8443
export SANDGATE_DATA_ROOT="$T/data"
export SANDGATE_DOCKER_SOCKET="$SG_DOCKER_SOCK"
export SANDGATE_LOG_LEVEL=info

# spawn NAME PORT BINARY [VAR=VALUE]...: a service with extra settings.
spawn()
{
	_n=$1 _p=$2 _b=$3
	shift 3
	env "$@" SANDGATE_SOCKET="127.0.0.1:$_p" "$_b" 2>>"$T/$_n.log" &
	_pid=$!
	sg_track_pid $_pid
	eval "PID_$(echo "$_n" | tr -c 'A-Za-z0-9\n' _)=$_pid"
	sg_wait_tcp 127.0.0.1 "$_p"
}

C_PORT=$(sg_free_port)
D_PORT=$(sg_free_port)
V_PORT=$(sg_free_port)
spawn create "$C_PORT" "$CREATE"
spawn destroy "$D_PORT" "$DESTROY"
# token-verify in egress mode, no session cache (a destroyed sandbox's
# token must die at once), names not resolved (no DNS in tests).
spawn verify "$V_PORT" "$SG_SVC/token-verify/token-verify" \
    SANDGATE_SESSION_CACHE_MS=0 SANDGATE_EGRESS_DENY_PRIVATE=0

# egress ID TOKEN REMOTE_ADDR TARGET: token-verify's answer to a CONNECT
# through the egress proxy (RESPONDER role, as nginx auth_request).
egress()
{
	_cred=$(printf 'container_%s:jwt_%s' "$1" "$2" | base64 -w0)
	env -i PATH="$PATH" REQUEST_METHOD=CONNECT REQUEST_URI="$4" \
	    SERVER_PROTOCOL=HTTP/1.1 GATEWAY_INTERFACE=CGI/1.1 \
	    REMOTE_ADDR="$3" HTTP_PROXY_AUTHORIZATION="Basic $_cred" \
	    cgi-fcgi -bind -connect "127.0.0.1:$V_PORT" < /dev/null |
	    tr -d '\r' | sed -n 's/^Status: \([0-9]*\).*/\1/p' | head -n 1
}

SG_SUB=ops
create()
{
	# create [PORT] BODY: sets R (raw), S (status), B (body)
	if [ $# -eq 2 ]; then _cp=$1; shift; else _cp=$C_PORT; fi
	R=$(SG_KIND=${KIND-operator} SG_SCOPE=${SCOPE-sandboxes:create} \
	    sg_fcgi "$_cp" POST /v1/sandboxes "$1")
	S=$(sg_status "$R")
	B=$(sg_body "$R")
}

destroy()
{
	R=$(SG_KIND=${KIND-operator} SG_SCOPE=${SCOPE-sandboxes:destroy} \
	    sg_fcgi "$D_PORT" DELETE "/v1/sandboxes/$1")
	S=$(sg_status "$R")
	B=$(sg_body "$R")
}

body()
{
	# body USER HOSTS_JSON [EXTRA]
	printf '{"user_id":"%s","organization_uuid":"%s","allowed_hosts":%s%s}' \
	    "$1" "$ORG" "$2" "${3:+,$3}"
}

# Session and user keys (the audit trail, sandgate:audit, records the
# failures on purpose: docs/operations.md).
# Every key but the audit trails: the shared stream, and a sandbox's own
# sandgate:audit:<id> (lib/audit.h), which outlives the sandbox on
# purpose and expires by itself -- trails() checks that it does.
keys()
{
	sg_redis --scan --pattern 'sandgate:*' | grep -v -E '^sandgate:audit(:|$)' |
	    sort | tr '\n' ' ' | sed 's/ $//'
}

# trails: the per-sandbox audit trails that would never expire.
trails()
{
	sg_redis --scan --pattern 'sandgate:audit:*' | while read -r _k; do
		_ttl=$(sg_redis TTL "$_k")
		[ "$_ttl" -gt 0 ] 2>/dev/null || echo "$_k"
	done | sort | tr '\n' ' ' | sed 's/ $//'
}

mine()
{
	sg_sandboxes_of "$T/data" | sort | tr '\n' ' ' | sed 's/ $//'
}

nothing_left()
{
	sg_check "$1: no container left" "" "$(mine)"
	sg_check "$1: no Redis key left" "" "$(keys)"
	sg_check "$1: every audit trail left expires" "" "$(trails)"
}

insp()
{
	"$SG_DOCKER" inspect -f "$2" "$1"
}

# ------------------------------------------------------------ create
echo "# create a sandbox with allowed hosts"
create "$(body alice '["github.com","*.PyPI.org"]' '"duration_hours":2')"
sg_check "create answers 201" 201 "$S"
ID=$(printf '%s' "$B" | jq -r .container_id)
TOKEN=$(printf '%s' "$B" | jq -r .token)
EXP=$(printf '%s' "$B" | jq -r .expires_at)
NOW=$(date +%s)
sg_check_match "container id format" '^sandbox_[A-Za-z0-9_-]{22}$' "$ID"
sg_check "status running" running "$(printf '%s' "$B" | jq -r .status)"
sg_check "allowed_hosts normalised" '["github.com","*.pypi.org"]' \
    "$(printf '%s' "$B" | jq -c .allowed_hosts)"
sg_check "expires in 2 hours" 1 \
    "$([ $((EXP - NOW)) -le 7200 ] && [ $((EXP - NOW)) -gt 7100 ] && echo 1)"
sg_check "the response names no host path" "" \
    "$(printf '%s' "$B" | grep -o "$T" || true)"

echo "# docker inspect shows every setting"
sg_check "name" "/$ID" "$(insp "$ID" '{{.Name}}')"
sg_check "running" true "$(insp "$ID" '{{.State.Running}}')"
sg_check "image" "$SG_TEST_IMAGE" "$(insp "$ID" '{{.Config.Image}}')"
sg_check "runtime" "$SANDGATE_RUNTIME" "$(insp "$ID" '{{.HostConfig.Runtime}}')"
sg_check "user" 65534:65534 "$(insp "$ID" '{{.Config.User}}')"
sg_check "CapDrop" "[ALL]" "$(insp "$ID" '{{.HostConfig.CapDrop}}')"
sg_check "CapAdd" "[CHOWN SETUID SETGID NET_BIND_SERVICE]" \
    "$(insp "$ID" '{{.HostConfig.CapAdd}}')"
sg_check "SecurityOpt" "[no-new-privileges:true]" \
    "$(insp "$ID" '{{.HostConfig.SecurityOpt}}')"
sg_check "ReadonlyRootfs" true "$(insp "$ID" '{{.HostConfig.ReadonlyRootfs}}')"
sg_check "Privileged" false "$(insp "$ID" '{{.HostConfig.Privileged}}')"
sg_check "tmpfs /tmp" "size=1G,mode=1777" \
    "$(insp "$ID" '{{index .HostConfig.Tmpfs "/tmp"}}')"
sg_check "Memory 4g" 4294967296 "$(insp "$ID" '{{.HostConfig.Memory}}')"
sg_check "MemorySwap = Memory (no swap)" 4294967296 \
    "$(insp "$ID" '{{.HostConfig.MemorySwap}}')"
sg_check "2 CPUs" 2000000000 "$(insp "$ID" '{{.HostConfig.NanoCpus}}')"
# 100 under runc; under runsc gVisor's own host tasks count too: 4096 (cfg.c)
case $SANDGATE_RUNTIME in runsc*) PIDS=4096 ;; *) PIDS=100 ;; esac
sg_check "pids $PIDS" "$PIDS" "$(insp "$ID" '{{.HostConfig.PidsLimit}}')"
sg_check "network: the egress network" "$SG_TEST_NET" \
    "$(insp "$ID" '{{.HostConfig.NetworkMode}}')"
sg_check "restart policy no" no "$(insp "$ID" '{{.HostConfig.RestartPolicy.Name}}')"
# Issue 9 (t-dns.sh shows what these do): no name server but its own.
sg_check "Dns: the sandbox's own loopback" '["127.0.0.1"]' \
    "$(insp "$ID" '{{json .HostConfig.Dns}}')"
sg_check "DnsSearch: none (not the host's)" '["."]' \
    "$(insp "$ID" '{{json .HostConfig.DnsSearch}}')"
sg_check "DnsOptions: set, not the host's" '["ndots:0","timeout:1","attempts:1"]' \
    "$(insp "$ID" '{{json .HostConfig.DnsOptions}}')"
sg_check "label container_id" "$ID" \
    "$(insp "$ID" '{{index .Config.Labels "sandgate.container_id"}}')"
sg_check "label user_id" alice \
    "$(insp "$ID" '{{index .Config.Labels "sandgate.user_id"}}')"
sg_check "label expires_at" "$EXP" \
    "$(insp "$ID" '{{index .Config.Labels "sandgate.expires_at"}}')"
sg_check "bind uploads read-only" "$T/data/users/alice/uploads:/mnt/uploads:ro" \
    "$(insp "$ID" '{{index .HostConfig.Binds 0}}')"
sg_check "bind outputs read-write" "$T/data/users/alice/outputs:/mnt/outputs:rw" \
    "$(insp "$ID" '{{index .HostConfig.Binds 1}}')"
sg_check "bind skills read-only" "$T/data/skills:/mnt/skills:ro" \
    "$(insp "$ID" '{{index .HostConfig.Binds 2}}')"
ENV=$(insp "$ID" '{{range .Config.Env}}{{println .}}{{end}}')
PROXY="http://container_$ID:jwt_$TOKEN@192.0.2.1:8443"
for v in HTTP_PROXY HTTPS_PROXY http_proxy https_proxy; do
	sg_check "env $v" "$v=$PROXY" "$(printf '%s\n' "$ENV" | grep "^$v=")"
done
sg_check "env CONTAINER_ID" "CONTAINER_ID=$ID" \
    "$(printf '%s\n' "$ENV" | grep '^CONTAINER_ID=')"
sg_check "env NO_PROXY" "NO_PROXY=localhost,127.0.0.1" \
    "$(printf '%s\n' "$ENV" | grep '^NO_PROXY=')"
IP=$(insp "$ID" "{{(index .NetworkSettings.Networks \"$SG_TEST_NET\").IPAddress}}")
sg_check_match "an address on the network" '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$' "$IP"

echo "# inside: nobody, read-only root, writable outputs, read-only uploads"
sg_check "uid inside" "65534" "$("$SG_DOCKER" exec "$ID" id -u)"
sg_check "outputs writable" 0 \
    "$("$SG_DOCKER" exec "$ID" sh -c 'touch /mnt/outputs/f; echo $?')"
sg_check "uploads read-only" 1 \
    "$("$SG_DOCKER" exec "$ID" sh -c 'touch /mnt/uploads/f 2>/dev/null; echo $?')"
sg_check "root read-only" 1 \
    "$("$SG_DOCKER" exec "$ID" sh -c 'touch /f 2>/dev/null; echo $?')"
sg_check "outputs dir root:65534 0770" "0:65534 770" \
    "$(stat -c '%u:%g %a' "$T/data/users/alice/outputs")"
sg_check "uploads dir root:65534 0750" "0:65534 750" \
    "$(stat -c '%u:%g %a' "$T/data/users/alice/uploads")"

echo "# the session in Redis matches, without the token"
SESS=$(sg_redis get "sandgate:session:$ID")
sg_check "session container_id" "$ID" "$(printf '%s' "$SESS" | jq -r .container_id)"
sg_check "session user_id" alice "$(printf '%s' "$SESS" | jq -r .user_id)"
sg_check "session org" "$ORG" "$(printf '%s' "$SESS" | jq -r .organization_uuid)"
sg_check "session token_sha256" \
    "$(printf '%s' "$TOKEN" | sha256sum | cut -d' ' -f1)" \
    "$(printf '%s' "$SESS" | jq -r .token_sha256)"
sg_check "session holds no token" "" "$(printf '%s' "$SESS" | grep -o "$TOKEN" || true)"
sg_check "session allowed_hosts" '["github.com","*.pypi.org"]' \
    "$(printf '%s' "$SESS" | jq -c .allowed_hosts)"
sg_check "session container_ip" "$IP" "$(printf '%s' "$SESS" | jq -r .container_ip)"
sg_check "session docker_id" "$(insp "$ID" '{{.Id}}')" \
    "$(printf '%s' "$SESS" | jq -r .docker_id)"
sg_check "session image" "$SG_TEST_IMAGE" "$(printf '%s' "$SESS" | jq -r .image)"
sg_check "session expires_at" "$EXP" "$(printf '%s' "$SESS" | jq -r .expires_at)"
ttl=$(sg_redis ttl "sandgate:session:$ID")
sg_check "session TTL in (0, exp - now]" 1 \
    "$([ "$ttl" -gt 0 ] && [ "$ttl" -le $((EXP - NOW + 1)) ] && echo 1)"
sg_check "user index" "$ID" "$(sg_redis smembers sandgate:user:alice)"

echo "# the token verifies and names this container"
printf '%s' "$TOKEN" > "$T/token"
rc=0
CLAIMS=$("$SG_CLI" verify --audience egress --container-id "$ID" \
    < "$T/token" 2>"$T/verify.err") || rc=$?
sg_check "sandgate verify accepts it" 0 "$rc"
sg_check "claim container_id" "$ID" "$(printf '%s' "$CLAIMS" | jq -r .container_id)"
sg_check "claim sub" alice "$(printf '%s' "$CLAIMS" | jq -r .sub)"
sg_check "claim allowed_hosts" "github.com,*.pypi.org" \
    "$(printf '%s' "$CLAIMS" | jq -r .allowed_hosts)"
sg_check "claim binding" true "$(printf '%s' "$CLAIMS" | jq -r .enforce_container_binding)"
sg_check "claim jti = session jti" "$(printf '%s' "$SESS" | jq -r .jti)" \
    "$(printf '%s' "$CLAIMS" | jq -r .jti)"
sg_check "claim exp = expires_at" "$EXP" "$(printf '%s' "$CLAIMS" | jq -r .exp)"
rc=0
"$SG_CLI" verify --audience egress --container-id sandbox_other \
    < "$T/token" >/dev/null 2>&1 || rc=$?
sg_check "the token names no other container" 1 "$rc"
sg_check "no token in the service log" "" "$(grep -o "$TOKEN" "$T/create.log" || true)"

sg_check "token-verify lets it reach an allowed host" 200 \
    "$(egress "$ID" "$TOKEN" "$IP" github.com:443)"
sg_check "token-verify refuses a host not allowed" 403 \
    "$(egress "$ID" "$TOKEN" "$IP" example.com:443)"
sg_check "token-verify refuses it from another address" 407 \
    "$(egress "$ID" "$TOKEN" 192.0.2.77 github.com:443)"

echo "# a sandbox without hosts has no network"
create "$(body alice '[]')"
sg_check "create (no hosts) answers 201" 201 "$S"
ID2=$(printf '%s' "$B" | jq -r .container_id)
sg_check "network none" none "$(insp "$ID2" '{{.HostConfig.NetworkMode}}')"
sg_check "no address recorded" "" \
    "$(sg_redis get "sandgate:session:$ID2" | jq -r .container_ip)"

# ----------------------------------------------------------- destroy
echo "# destroy"
destroy "$ID"
sg_check "destroy answers 204" 204 "$S"
sg_check "the container is gone" "" "$("$SG_DOCKER" ps -aq --filter "name=^$ID\$")"
sg_check "the session is gone" 0 "$(sg_redis exists "sandgate:session:$ID")"
sg_check "the index entry is gone" 0 "$(sg_redis sismember sandgate:user:alice "$ID")"
sg_check "token-verify refuses the token at once" 407 \
    "$(egress "$ID" "$TOKEN" "$IP" github.com:443)"
destroy "$ID"
sg_check "destroy again answers 404" 404 "$S"
sg_check "404 has the error shape" not_found "$(printf '%s' "$B" | jq -r .error)"

echo "# destroy when the container is already gone but the session is not"
"$SG_DOCKER" rm -f "$ID2" >/dev/null
destroy "$ID2"
sg_check "destroy answers 204" 204 "$S"
sg_check "the session is gone" 0 "$(sg_redis exists "sandgate:session:$ID2")"

echo "# destroy with Docker down: revoked at once (202), the container left to the reaper"
# Issue 15: revocation first.  The session goes before Docker is asked,
# so the token is dead even when the engine cannot answer.
create "$(body alice '["github.com"]')"
ID3=$(printf '%s' "$B" | jq -r .container_id)
TOKEN3=$(printf '%s' "$B" | jq -r .token)
IP3=$(insp "$ID3" "{{(index .NetworkSettings.Networks \"$SG_TEST_NET\").IPAddress}}")
sg_check "its token works before the destroy" 200 \
    "$(egress "$ID3" "$TOKEN3" "$IP3" github.com:443)"
DD_PORT=$(sg_free_port)
spawn destroy-nosock "$DD_PORT" "$DESTROY" \
    SANDGATE_DOCKER_SOCKET="$T/no-docker.sock"
R=$(SG_KIND=operator SG_SCOPE=sandboxes:destroy \
    sg_fcgi "$DD_PORT" DELETE "/v1/sandboxes/$ID3")
sg_check "202" 202 "$(sg_status "$R")"
sg_check "revoked, teardown pending, and why" "true pending docker_unavailable $ID3" \
    "$(sg_body "$R" | jq -r '"\(.revoked) \(.teardown) \(.reason) \(.container_id)"')"
sg_check "the session is gone" 0 "$(sg_redis exists "sandgate:session:$ID3")"
sg_check "the index entry is gone" 0 "$(sg_redis sismember sandgate:user:alice "$ID3")"
sg_check "token-verify refuses the token" 407 \
    "$(egress "$ID3" "$TOKEN3" "$IP3" github.com:443)"
sg_check "the container still runs" true "$(insp "$ID3" '{{.State.Running}}')"
sg_check_match "the log says revoked, teardown pending" \
    '"event":"sandbox_destroy_failed".*"revoked":"yes","teardown":"pending"' \
    "$(grep sandbox_destroy_failed "$T/destroy-nosock.log")"
R=$(SG_KIND=operator SG_SCOPE=sandboxes:destroy \
    sg_fcgi "$DD_PORT" DELETE "/v1/sandboxes/$ID3")
sg_check "again with Docker still down: 503 (nothing left to revoke)" 503 \
    "$(sg_status "$R")"
sg_check "Retry-After" 1 "$(printf '%s\n' "$R" | grep -c '^Retry-After:')"
destroy "$ID3"
sg_check "with Docker back a repeat finishes the job" 204 "$S"
sg_check "the container is gone" "" "$("$SG_DOCKER" ps -aq --filter "name=^$ID3\$")"

echo "# destroy never touches a container sandgate did not make"
VICTIM=sgtest-victim-$RUN
echo "$VICTIM" >> "$T/extra-containers"
"$SG_DOCKER" run -d --name "$VICTIM" --network none "$SG_TEST_IMAGE" >/dev/null
destroy "$VICTIM"
sg_check "an unlabelled container of that name: 404" 404 "$S"
sg_check "and it still runs" true "$(insp "$VICTIM" '{{.State.Running}}')"
SHORT=$(insp "$VICTIM" '{{.Id}}' | cut -c1-12)
destroy "$SHORT"
sg_check "an id prefix of it: 404" 404 "$S"
sg_check "and it still runs" true "$(insp "$VICTIM" '{{.State.Running}}')"

echo "# wrong callers"
KIND=; destroy sandbox_AAAAAAAAAAAAAAAAAAAAAA
sg_check "destroy without a token: 401" 401 "$S"
KIND=container; destroy sandbox_AAAAAAAAAAAAAAAAAAAAAA
sg_check "destroy with a container token: 403" 403 "$S"
unset KIND; SCOPE=sandboxes:create; destroy sandbox_AAAAAAAAAAAAAAAAAAAAAA
sg_check "destroy with the wrong scope: 403" 403 "$S"
SCOPE="tokens:issue sessions:read"; create "$(body alice '[]')"
sg_check "create with the wrong scope: 403" 403 "$S"
unset SCOPE; KIND=container; create "$(body alice '[]')"
sg_check "create with a container token: 403" 403 "$S"
KIND=; create "$(body alice '[]')"
sg_check "create without a token: 401" 401 "$S"
unset KIND
destroy 'a.b'
sg_check "destroy of a bad id: 400" 400 "$S"

echo "# hostile bodies"
create "$(body ../../etc '[]')"
sg_check "path traversal in user_id: 400" 400 "$S"
create "$(body 'a/b' '[]')"
sg_check "slash in user_id: 400" 400 "$S"
create "$(body alice '["github.com"]' '"image":"busybox:latest"')"
sg_check "image not allowed: 400" 400 "$S"
create "$(body alice '[]' '"privileged":true')"
sg_check "unknown field: 400" 400 "$S"
create "$(body alice '[]' '"duration_hours":1000')"
sg_check "duration over the maximum: 400" 400 "$S"
python3 -c '
import json, sys
print(json.dumps({"user_id": "alice", "organization_uuid": sys.argv[1],
    "allowed_hosts": ["h%d.example.com" % i for i in range(10000)]}))' \
    "$ORG" > "$T/many.json"
R=$(SG_KIND=operator SG_SCOPE=sandboxes:create \
    sg_fcgi_file "$C_PORT" POST /v1/sandboxes "$T/many.json")
S=$(sg_status "$R")
sg_check_match "10,000 hosts: 400 or 413" '^(400|413)$' "$S"
python3 -c '
import json, sys
print(json.dumps({"user_id": "alice", "organization_uuid": sys.argv[1],
    "allowed_hosts": ["h%d.example.com" % i for i in range(257)]}))' \
    "$ORG" > "$T/257.json"
R=$(SG_KIND=operator SG_SCOPE=sandboxes:create \
    sg_fcgi_file "$C_PORT" POST /v1/sandboxes "$T/257.json")
sg_check "257 hosts: 400" 400 "$(sg_status "$R")"
head -c 1048576 /dev/zero | tr '\0' ' ' > "$T/huge.json"
R=$(SG_KIND=operator SG_SCOPE=sandboxes:create \
    sg_fcgi_file "$C_PORT" POST /v1/sandboxes "$T/huge.json")
sg_check "1 MiB body: 413" 413 "$(sg_status "$R")"
SG_CTYPE=text/plain
R=$(SG_KIND=operator SG_SCOPE=sandboxes:create \
    sg_fcgi "$C_PORT" POST /v1/sandboxes "$(body alice '[]')")
unset SG_CTYPE
sg_check "text/plain: 415" 415 "$(sg_status "$R")"
nothing_left "after the hostile bodies"
sg_check "no directory for a refused user" "alice" "$(ls "$T/data/users")"

# ------------------------------------------------------- user limit
echo "# per-user limit"
L_PORT=$(sg_free_port)
spawn create-limit "$L_PORT" "$CREATE" SANDGATE_MAX_SANDBOXES_PER_USER=2
create "$L_PORT" "$(body bob '[]')"
sg_check "bob 1: 201" 201 "$S"
create "$L_PORT" "$(body bob '[]')"
sg_check "bob 2: 201" 201 "$S"
create "$L_PORT" "$(body bob '[]')"
sg_check "bob 3: 429" 429 "$S"
sg_check "429 code" too_many_sandboxes "$(printf '%s' "$B" | jq -r .error)"
create "$L_PORT" "$(body carol '[]')"
sg_check "carol 1: 201" 201 "$S"
sg_check "bob has two" 2 "$(sg_redis scard sandgate:user:bob)"
for id in $(mine); do
	destroy "$id"
	sg_check "destroy $id" 204 "$S"
done
create "$L_PORT" "$(body bob '[]')"
sg_check "bob again after destroying: 201" 201 "$S"
destroy "$(printf '%s' "$B" | jq -r .container_id)"
nothing_left "after the limit test"

# Pins: the limit was a count, then the session write seconds later, so
# concurrent creates for one user (several workers) all passed it.
echo "# per-user limit under concurrent creates (4 workers, limit 2)"
RACE=""
for w in 1 2 3 4; do
	p=$(sg_free_port)
	spawn "create-race$w" "$p" "$CREATE" SANDGATE_MAX_SANDBOXES_PER_USER=2
	RACE="$RACE $p"
done
n=0
RPIDS=""
for p in $RACE $RACE; do
	n=$((n + 1))
	( create "$p" "$(body zed '[]')"; printf '%s %s\n' "$S" \
	    "$(printf '%s' "$B" | jq -r '.container_id // .error')" \
	    > "$T/race.$n" ) &
	RPIDS="$RPIDS $!"
done
for p in $RPIDS; do
	wait "$p" || true
done
sg_check "8 answers" 8 "$(cat "$T"/race.* | wc -l | tr -d ' ')"
sg_check "exactly 2 created" 2 "$(cat "$T"/race.* | grep -c '^201 ')"
sg_check "the others: 429" 6 "$(cat "$T"/race.* | grep -c '^429 too_many_sandboxes$')"
sg_check "zed has two" 2 "$(sg_redis scard sandgate:user:zed)"
sg_check "no reservation left" 0 "$(sg_redis exists sandgate:reserve:zed)"
for id in $(grep '^201 ' "$T"/race.* | cut -d' ' -f2); do
	destroy "$id"
	sg_check "destroy $id" 204 "$S"
done
nothing_left "after the concurrent creates"

# ---------------------------------------------------- failure paths
echo "# Docker socket missing"
F_PORT=$(sg_free_port)
spawn create-nosock "$F_PORT" "$CREATE" SANDGATE_DOCKER_SOCKET="$T/no-docker.sock"
create "$F_PORT" "$(body dave '["github.com"]')"
sg_check "503" 503 "$S"
sg_check "docker_unavailable" docker_unavailable "$(printf '%s' "$B" | jq -r .error)"
sg_check "Retry-After" 1 "$(printf '%s\n' "$R" | grep -c '^Retry-After:')"
nothing_left "socket missing"

echo "# unknown image (never pulled)"
F_PORT=$(sg_free_port)
spawn create-noimage "$F_PORT" "$CREATE" \
    SANDGATE_IMAGE="sandgate-test:absent-$RUN"
create "$F_PORT" "$(body dave '["github.com"]')"
sg_check "503" 503 "$S"
sg_check "image_unavailable" image_unavailable "$(printf '%s' "$B" | jq -r .error)"
sg_check "nothing pulled" "" \
    "$("$SG_DOCKER" images -q "sandgate-test:absent-$RUN")"
nothing_left "unknown image"

echo "# runtime not registered with the engine"
F_PORT=$(sg_free_port)
spawn create-runsc "$F_PORT" "$CREATE" SANDGATE_RUNTIME=sandgate-absent-runtime
create "$F_PORT" "$(body dave '["github.com"]')"
sg_check "503" 503 "$S"
sg_check "runtime_unavailable" runtime_unavailable "$(printf '%s' "$B" | jq -r .error)"
sg_check_match "the message names SANDGATE_RUNTIME" 'SANDGATE_RUNTIME' \
    "$(printf '%s' "$B" | jq -r .message)"
nothing_left "runtime not registered"

# kill_on_create SIGNAL PID USER: once Docker reports a container create
# for USER, send SIGNAL to PID.  Uses --since so a late subscription
# still sees the event.
kill_on_create()
{
	rm -f "$T/ev" "$T/killed"
	mkfifo "$T/ev"
	"$SG_DOCKER" events --since "$(date +%s)" --filter type=container \
	    --filter event=create --filter "label=sandgate.user_id=$3" \
	    --format '{{.Actor.Attributes.name}}' > "$T/ev" &
	EV_PID=$!
	sg_track_pid $EV_PID
	( read -r n < "$T/ev"; kill "-$1" "$2"; echo "$n" > "$T/killed" ) &
	KILLER=$!
	sg_track_pid $KILLER
}

# kill_done: stop watching; KILLED is the container id seen, or "".
kill_done()
{
	_n=50
	while [ ! -s "$T/killed" ] && [ $_n -gt 0 ]; do
		sleep 0.1
		_n=$((_n - 1))
	done
	kill "$EV_PID" 2>/dev/null || true
	wait "$KILLER" 2>/dev/null || true
	wait "$EV_PID" 2>/dev/null || true
	KILLED=$(cat "$T/killed" 2>/dev/null || true)
}

echo "# Redis down at the session write"
kill_on_create KILL "$REDIS_PID" "erin$RUN"
create "$(body "erin$RUN" '["github.com"]')"
kill_done
sg_check_match "Redis was killed after the container was made" '^sandbox_' "$KILLED"
sg_check "503" 503 "$S"
sg_check_match "a Redis error" '^redis_' "$(printf '%s' "$B" | jq -r .error)"
sg_check "the container was removed" "" "$(mine)"
wait "$REDIS_PID" 2>/dev/null || true
rm -f "$REDIS_SOCK"
sg_start_redis
nothing_left "Redis down"

# A fault-injecting proxy in front of the real engine: MODE "hang" never
# answers /start (a daemon that times out), "tamper" turns ReadonlyRootfs
# off in the inspect answer (hardening not applied), "warn" adds a
# Warning to the create answer, "nodns" drops the DNS settings from the
# create request (a daemon that ignores them), "runtime" swaps runsc and
# runc in HostConfig.Runtime of the inspect answer (a daemon that ran the
# sandbox under another runtime; issue 14, at the end).  Everything else passes
# through, so the containers are real and the undo has real work to do.
cat > "$T/fault.py" <<'PY'
import json, re, socket, sys, threading, time
listen, upstream, mode = sys.argv[1], sys.argv[2], sys.argv[3]
srv = socket.socket(socket.AF_UNIX)
srv.bind(listen)
srv.listen(16)
def read_request(c):
    data = b""
    while b"\r\n\r\n" not in data:
        d = c.recv(65536)
        if not d:
            return None, None
        data += d
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    n = 0
    for l in lines[1:]:
        k, _, v = l.partition(b":")
        if k.strip().lower() == b"content-length":
            n = int(v)
    while len(rest) < n:
        d = c.recv(65536)
        if not d:
            break
        rest += d
    return lines, rest
def handle(c):
    lines, body = read_request(c)
    if lines is None:
        return
    line = lines[0].decode()
    if mode == "hang" and "/start" in line:
        time.sleep(600)
        return
    if mode == "stall":
        time.sleep(600)
        return
    hdrs = [l for l in lines[1:] if not l.lower().startswith(b"connection:")]
    if mode == "nodns" and "/containers/create" in line:
        j = json.loads(body)
        for k in ("Dns", "DnsSearch", "DnsOptions"):
            j["HostConfig"].pop(k, None)
        body = json.dumps(j).encode()
        hdrs = [l for l in hdrs if not l.lower().startswith(b"content-length:")]
        hdrs.append(b"Content-Length: %d" % len(body))
    u = socket.socket(socket.AF_UNIX)
    u.connect(upstream)
    u.sendall(b"\r\n".join([lines[0]] + hdrs + [b"Connection: close"]) +
        b"\r\n\r\n" + body)
    ans = b""
    while True:
        d = u.recv(65536)
        if not d:
            break
        ans += d
    u.close()
    head, _, rbody = ans.partition(b"\r\n\r\n")
    if b"transfer-encoding: chunked" in head.lower():
        plain = b""
        while True:
            size, _, rbody = rbody.partition(b"\r\n")
            n = int(size.split(b";")[0], 16)
            if n == 0:
                break
            plain += rbody[:n]
            rbody = rbody[n + 2:]
        rbody = plain
    new = None
    if mode == "tamper" and re.match(r"GET /v[0-9.]+/containers/[^/]+/json", line):
        j = json.loads(rbody)
        j["HostConfig"]["ReadonlyRootfs"] = False
        new = json.dumps(j).encode()
    if mode == "runtime" and re.match(r"GET /v[0-9.]+/containers/[^/]+/json", line):
        j = json.loads(rbody)
        hc = j["HostConfig"]
        hc["Runtime"] = "runc" if hc.get("Runtime") == "runsc" else "runsc"
        new = json.dumps(j).encode()
    if mode == "warn" and "/containers/create" in line and b" 201 " in head.split(b"\r\n")[0]:
        j = json.loads(rbody)
        j["Warnings"] = ["Your kernel does not support memory limit capabilities"]
        new = json.dumps(j).encode()
    if new is None:
        new = rbody
    hl = [l for l in head.split(b"\r\n") if not l.lower().startswith(
        (b"content-length:", b"transfer-encoding:"))]
    hl.append(b"Content-Length: %d" % len(new))
    c.sendall(b"\r\n".join(hl) + b"\r\n\r\n" + new)
    c.close()
while True:
    c, _ = srv.accept()
    threading.Thread(target=handle, args=(c,), daemon=True).start()
PY

# fault MODE: start the proxy on $T/fault-MODE.sock and a sandbox-create
# behind it on $F_PORT.
fault()
{
	python3 "$T/fault.py" "$T/fault-$1.sock" "$SG_DOCKER_SOCK" "$1" \
	    2>"$T/fault-$1.log" &
	sg_track_pid $!
	sg_wait_file "$T/fault-$1.sock"
	F_PORT=$(sg_free_port)
	_to=30
	[ "$1" != hang ] || _to=2
	spawn "create-$1" "$F_PORT" "$CREATE" \
	    SANDGATE_DOCKER_SOCKET="$T/fault-$1.sock" \
	    SANDGATE_DOCKER_TIMEOUT=$_to
}

echo "# a daemon that times out (never answers /start)"
fault hang
t0=$(date +%s)
create "$F_PORT" "$(body frank '["github.com"]')"
t1=$(date +%s)
sg_check "503" 503 "$S"
sg_check "docker_timeout" docker_timeout "$(printf '%s' "$B" | jq -r .error)"
sg_check "answered within the timeout budget" 1 \
    "$([ $((t1 - t0)) -le 15 ] && echo 1)"
sg_check_match "the container had been created" '"step":"start"' \
    "$(grep sandbox_create_failed "$T/create-hang.log")"
nothing_left "daemon timeout"

echo "# destroy while the engine hangs: the token dies within the cache bound"
# Issue 15: revocation first.  A token-verify with the default session
# cache (1000 ms) has just vouched for the token; DELETE goes to a
# sandbox-destroy whose engine never answers.  The token must be refused
# within SANDGATE_SESSION_CACHE_MS of the DELETE, while the DELETE still
# waits on Docker; the reaper later removes the container.
create "$(body hank '["github.com"]')"
IDH=$(printf '%s' "$B" | jq -r .container_id)
TOKH=$(printf '%s' "$B" | jq -r .token)
IPH=$(insp "$IDH" "{{(index .NetworkSettings.Networks \"$SG_TEST_NET\").IPAddress}}")
fault stall
DH_PORT=$(sg_free_port)
spawn destroy-stall "$DH_PORT" "$DESTROY" \
    SANDGATE_DOCKER_SOCKET="$T/fault-stall.sock" SANDGATE_DOCKER_TIMEOUT=3
V1_PORT=$V_PORT
V_PORT=$(sg_free_port)
spawn verify-cached "$V_PORT" "$SG_SVC/token-verify/token-verify" \
    SANDGATE_SESSION_CACHE_MS=1000 SANDGATE_EGRESS_DENY_PRIVATE=0
sg_check "the cached verifier allows the token" 200 \
    "$(egress "$IDH" "$TOKH" "$IPH" github.com:443)"
t0=$(date +%s%N)
( R=$(SG_KIND=operator SG_SCOPE=sandboxes:destroy \
    sg_fcgi "$DH_PORT" DELETE "/v1/sandboxes/$IDH")
  date +%s%N > "$T/stall.done"
  printf '%s\n' "$R" > "$T/stall.resp" ) &
DPID=$!
i=0
st=$(egress "$IDH" "$TOKH" "$IPH" github.com:443)
while [ "$st" = 200 ] && [ $i -lt 200 ]; do
	sleep 0.02
	st=$(egress "$IDH" "$TOKH" "$IPH" github.com:443)
	i=$((i + 1))
done
t1=$(date +%s%N)
sg_check "the token is refused" 407 "$st"
sg_check "refused before the DELETE returned (Docker still hanging)" "" \
    "$(cat "$T/stall.done" 2>/dev/null || true)"
deny_ms=$(( (t1 - t0) / 1000000 ))
echo "# refused $deny_ms ms after the DELETE was sent (session cache 1000 ms)"
sg_check "refused within the cache bound plus 1 s" 1 \
    "$([ "$deny_ms" -le 2000 ] && echo 1)"
wait "$DPID"
R=$(cat "$T/stall.resp")
sg_check "DELETE: 202" 202 "$(sg_status "$R")"
sg_check "revoked, teardown pending: docker_timeout" "true pending docker_timeout" \
    "$(sg_body "$R" | jq -r '"\(.revoked) \(.teardown) \(.reason)"')"
sg_check "the container still runs" true "$(insp "$IDH" '{{.State.Running}}')"
out=$("$SG_CLI" reap 2>"$T/reap.err") || true
sg_check_match "the reaper removes the revoked sandbox" "reaped $IDH orphan" "$out"
sg_check "its container is gone" "" "$("$SG_DOCKER" ps -aq --filter "name=^$IDH\$")"
# events ID: the sandbox events of ID in the audit trail, oldest first
events()
{
	sg_redis --raw xrange sandgate:audit - + | awk -v id="$1" '
	    /^[0-9]+-[0-9]+$/ { if (c == id && e ~ /^sandbox_/) print e; c = ""; e = ""; next }
	    k == "event" { e = $0 } k == "container_id" { c = $0 } { k = $0 }
	    END { if (c == id && e ~ /^sandbox_/) print e }' | tr '\n' ' ' | sed 's/ $//'
}
sg_check "the audit trail: created, revoked, teardown pending, reaped" \
    "sandbox_created sandbox_revoked sandbox_destroy_failed sandbox_reaped" \
    "$(events "$IDH")"
V_PORT=$V1_PORT

echo "# inspect shows the hardening did not take effect"
fault tamper
create "$F_PORT" "$(body frank '["github.com"]')"
sg_check "502" 502 "$S"
sg_check "hardening_not_applied" hardening_not_applied \
    "$(printf '%s' "$B" | jq -r .error)"
nothing_left "inspect mismatch"

# Issue 9: without HostConfig.Dns the embedded resolver would forward the
# sandbox's queries to the daemon's own name servers.
echo "# the daemon ignores the DNS settings"
fault nodns
create "$F_PORT" "$(body frank '["github.com"]')"
sg_check "502" 502 "$S"
sg_check "hardening_not_applied" hardening_not_applied \
    "$(printf '%s' "$B" | jq -r .error)"
sg_check_match "the log names Dns" '"detail":"docker did not apply Dns"' \
    "$(grep sandbox_create_failed "$T/create-nodns.log")"
nothing_left "DNS settings ignored"

echo "# Docker warns about a limit at create"
fault warn
create "$F_PORT" "$(body frank '[]')"
sg_check "502" 502 "$S"
sg_check "docker_warning" docker_warning "$(printf '%s' "$B" | jq -r .error)"
nothing_left "create warning"

echo "# the sandbox network does not exist"
F_PORT=$(sg_free_port)
spawn create-nonet "$F_PORT" "$CREATE" SANDGATE_NETWORK="sgtest-absent-$RUN"
create "$F_PORT" "$(body frank '["github.com"]')"
sg_check "503" 503 "$S"
sg_check "network_unavailable" network_unavailable \
    "$(printf '%s' "$B" | jq -r .error)"
nothing_left "network missing"

# ------------------------------------------------------------ reaper
echo "# the reaper: an expired sandbox and an orphan in one pass"
create "$(body gina '[]')"
LIVE=$(printf '%s' "$B" | jq -r .container_id)
sg_check "a live sandbox: 201" 201 "$S"

# Expired: its label says so while its session still exists.
EXPIRED=sandbox_expired$RUN
mkdir -p "$T/data/users/gina/uploads" "$T/data/users/gina/outputs"
"$SG_DOCKER" run -d --name "$EXPIRED" --network none \
    --label "sandgate.container_id=$EXPIRED" --label sandgate.user_id=gina \
    --label "sandgate.expires_at=$(($(date +%s) - 10))" \
    -v "$T/data/users/gina/uploads:/mnt/uploads:ro" \
    "$SG_TEST_IMAGE" >/dev/null
sg_redis set "sandgate:session:$EXPIRED" \
    "{\"container_id\":\"$EXPIRED\",\"user_id\":\"gina\"}" EX 600 >/dev/null
sg_redis sadd sandgate:user:gina "$EXPIRED" >/dev/null

# Orphan: sandbox-create killed between the container and the session.
kill_on_create KILL "$PID_create" "henry$RUN"
create "$(body "henry$RUN" '[]')"
kill_done
sg_check_match "sandbox-create was killed part-way" '^sandbox_' "$KILLED"
ORPHAN=$KILLED
if [ "$(sg_redis exists "sandgate:session:$ORPHAN")" = 1 ]; then
	# Lost the race: the session was written first; make it an orphan.
	echo "# (the kill came late: removing the session by hand)"
	sg_redis del "sandgate:session:$ORPHAN" >/dev/null
fi
if [ -z "$(sg_redis zscore "sandgate:reserve:henry$RUN" "$ORPHAN")" ]; then
	# So late that the create had also dropped its reservation: put back
	# what a create still running holds (a deadline 10 minutes ahead).
	echo "# (the kill came after the unreserve: reserving by hand)"
	sg_redis zadd "sandgate:reserve:henry$RUN" \
	    "$(($(date +%s) * 1000 + 600000))" "$ORPHAN" >/dev/null
fi
sg_check "the orphan's container exists" 1 \
    "$("$SG_DOCKER" ps -aq --filter "name=^$ORPHAN\$" | wc -l | tr -d ' ')"
C_PORT=$(sg_free_port)
spawn create2 "$C_PORT" "$CREATE"

# A container of another data root (another deployment or test run).
FOREIGN=sandbox_foreign$RUN
echo "$FOREIGN" >> "$T/extra-containers"
mkdir -p "$T/other/users/x/uploads"
"$SG_DOCKER" run -d --name "$FOREIGN" --network none \
    --label "sandgate.container_id=$FOREIGN" --label sandgate.user_id=x \
    --label sandgate.expires_at=1 \
    -v "$T/other/users/x/uploads:/mnt/uploads:ro" "$SG_TEST_IMAGE" >/dev/null

rc=0
out=$("$SG_CLI" reap --dry-run 2>"$T/reap.err") || rc=$?
sg_check "reap --dry-run exits 0" 0 "$rc"
sg_check_match "dry run: would reap the expired one" "would reap $EXPIRED expired" "$out"
# The killed create's reservation is still live: to the reaper that is a
# create in progress, not an orphan, until the reservation runs out.
sg_check_match "dry run: skips the reserved orphan" "skip $ORPHAN: create in progress" "$out"
sg_check "dry run removed nothing" 3 \
    "$(sg_sandboxes_of "$T/data" | wc -l | tr -d ' ')"

rc=0
out=$("$SG_CLI" reap 2>"$T/reap.err") || rc=$?
sg_check "reap exits 0" 0 "$rc"
echo "$out" | sed 's/^/#   /'
sg_check_match "reaped the expired one" "reaped $EXPIRED expired" "$out"
# Regression: the reaper destroyed a sandbox whose create was still in
# progress (no session yet, its id reserved): it must skip it instead.
sg_check_match "skipped the orphan while its reservation is live" \
    "skip $ORPHAN: create in progress" "$out"
sg_check "did not reap the reserved orphan" "" \
    "$(printf '%s\n' "$out" | grep "reaped $ORPHAN" || true)"
sg_check "the reserved orphan's container still exists" 1 \
    "$("$SG_DOCKER" ps -aq --filter "name=^$ORPHAN\$" | wc -l | tr -d ' ')"
# The reservation's deadline passes (simulated): now it is an orphan.
sg_redis zrem "sandgate:reserve:henry$RUN" "$ORPHAN" >/dev/null
rc=0
out=$("$SG_CLI" reap 2>"$T/reap.err") || rc=$?
sg_check "reap after the reservation exits 0" 0 "$rc"
echo "$out" | sed 's/^/#   /'
sg_check_match "reaped the orphan" "reaped $ORPHAN orphan" "$out"
# The killed create held a slot of henry's limit (lib/session.h, reserve)
# until its deadline: the reaper gives it back with the orphan.
sg_check "the orphan's reservation is gone" 0 \
    "$(sg_redis exists "sandgate:reserve:henry$RUN")"
sg_check "only the live sandbox is left" "$LIVE" "$(mine)"
sg_check "the expired one's session is gone" 0 \
    "$(sg_redis exists "sandgate:session:$EXPIRED")"
sg_check "gina's index holds only the live one" "$LIVE" \
    "$(sg_redis smembers sandgate:user:gina)"
sg_check "another data root is left alone" true \
    "$(insp "$FOREIGN" '{{.State.Running}}')"
out=$("$SG_CLI" reap 2>"$T/reap.err") || true
sg_check "a second pass reaps nothing" "" "$(printf '%s\n' "$out" | grep reaped || true)"

echo "# reap prunes index entries whose session is gone"
sg_redis sadd sandgate:user:ivan sandbox_gone1 sandbox_gone2 >/dev/null
out=$("$SG_CLI" reap 2>"$T/reap.err") || true
sg_check_match "pruned" "pruned 2 index entries" "$out"
sg_check "ivan's index is gone" 0 "$(sg_redis exists sandgate:user:ivan)"

echo "# reap --loop stops on SIGTERM"
"$SG_CLI" reap --loop 30 > "$T/loop.out" 2>&1 &
LOOP=$!
sg_track_pid $LOOP
sleep 1
kill -TERM "$LOOP"
t0=$(date +%s)
rc=0
wait "$LOOP" || rc=$?
t1=$(date +%s)
sg_check "loop exits 0 on SIGTERM" 0 "$rc"
sg_check "loop exits at once" 1 "$([ $((t1 - t0)) -le 3 ] && echo 1)"
rc=0
"$SG_CLI" reap --loop 0 >/dev/null 2>&1 || rc=$?
sg_check "--loop 0 is a usage error" 2 "$rc"

# Pins: a service's first request after a Redis restart failed with 503
# on its stale connection.  The destroy service's Redis connection
# predates the restart above ("Redis down at the session write"): it must
# reconnect and succeed at once (lib/session.c retries once on EOF/EPIPE).
destroy "$LIVE"
sg_check "destroy the live one, first try after the Redis restart" 204 "$S"
nothing_left "at the end"

# ------------------------------------------------- issue 14: runtimes
# Self-contained: every service here is started with its own settings.

# health PORT [PATH]: GET PATH (default /healthz) with no caller at all,
# as the gateways send it; sets R, S, B.
health()
{
	R=$(SG_KIND= SG_SCOPE= SG_SUB= sg_fcgi "$1" GET "${2:-/healthz}")
	S=$(sg_status "$R")
	B=$(sg_body "$R")
}
jb() { printf '%s' "$B" | jq -r "$1"; }

echo "# /healthz of sandbox-create: Docker, the runtime and the network"
health "$C_PORT"
sg_check "healthz: 200" 200 "$S"
sg_check "healthz: status, runtime, docker" \
    "ok $SANDGATE_RUNTIME ok true $SG_TEST_NET true" \
    "$(jb '"\(.status) \(.runtime) \(.docker) \(.runtime_registered) \(.network) \(.network_exists)"')"
health "$C_PORT" /healthz/sandbox-create
sg_check "healthz/sandbox-create (the gateways' path): 200" 200 "$S"
R=$(SG_KIND= sg_fcgi "$C_PORT" POST /healthz '{}')
sg_check "healthz: POST is 405" 405 "$(sg_status "$R")"

F_PORT=$(sg_free_port)
spawn create-nort "$F_PORT" "$CREATE" SANDGATE_RUNTIME="nosuchruntime$RUN"
health "$F_PORT"
sg_check "runtime not registered: 503" 503 "$S"
sg_check "runtime not registered: runtime_unavailable" \
    "runtime_unavailable nosuchruntime$RUN false ok" \
    "$(jb '"\(.error) \(.runtime) \(.runtime_registered) \(.docker)"')"
sg_check_match "the message names SANDGATE_RUNTIME" SANDGATE_RUNTIME "$(jb .message)"
sg_check "with Retry-After" 1 "$(printf '%s\n' "$R" | grep -c '^Retry-After:')"
create "$F_PORT" "$(body kim '[]')"
sg_check "and its creates: 503 runtime_unavailable" "503 runtime_unavailable" \
    "$S $(jb .error)"

F_PORT=$(sg_free_port)
spawn create-nonet2 "$F_PORT" "$CREATE" SANDGATE_NETWORK="sgtest-absent-$RUN"
health "$F_PORT"
sg_check "network missing: 503 network_unavailable" \
    "503 network_unavailable false" "$S $(jb .error) $(jb .network_exists)"

F_PORT=$(sg_free_port)
spawn create-nosock2 "$F_PORT" "$CREATE" SANDGATE_DOCKER_SOCKET="$T/no-docker.sock"
health "$F_PORT"
sg_check "Docker away: 503 docker_unavailable" "503 docker_unavailable down" \
    "$S $(jb .error) $(jb .docker)"
sg_check "Docker away: no daemon text in the answer" "" \
    "$(printf '%s' "$B" | grep -o "$T" || true)"

echo "# runc only when asked for, and then it shows"
F_PORT=$(sg_free_port)
spawn create-runc "$F_PORT" "$CREATE" SANDGATE_RUNTIME=runc
W=$(grep '"event":"runtime_not_gvisor"' "$T/create-runc.log" || true)
sg_check "runc: one runtime_not_gvisor line at start" 1 \
    "$(printf '%s\n' "$W" | grep -c runtime_not_gvisor)"
sg_check "runc: a warning naming the runtime, with a sentence" "warn runc 1" \
    "$(printf '%s' "$W" | jq -r '"\(.level) \(.runtime) \(.message | length > 20 | if . then 1 else 0 end)"')"
health "$F_PORT"
sg_check "runc: healthz says runtime runc and warns" "200 runc runtime_not_gvisor" \
    "$S $(jb .runtime) $(jb .warning)"
F_PORT=$(sg_free_port)
spawn create-gvisor "$F_PORT" "$CREATE" SANDGATE_RUNTIME=runsc
sg_check "runsc: no such warning" "" \
    "$(grep runtime_not_gvisor "$T/create-gvisor.log" || true)"
sg_check "runsc: no warning in healthz either" null \
    "$(health "$F_PORT"; jb .warning)"
sg_check "the created line names the runtime (the metric's label)" \
    "$SANDGATE_RUNTIME" \
    "$(grep '"event":"sandbox_created"' "$T/create.log" | head -n 1 | jq -r .runtime)"

# audit_events ID: the events of the audit trail for container ID.
audit_events()
{
	sg_redis xrange sandgate:audit - + | awk -v id="$1" '
	    /^[0-9]+-[0-9]+$/ { if (c == id) print ev; ev = ""; c = ""; k = ""; next }
	    k == "" { k = $0; next }
	    { if (k == "event") ev = $0; if (k == "container_id") c = $0; k = "" }
	    END { if (c == id) print ev }' | sort | tr '\n' ' ' | sed 's/ $//'
}

echo "# inspect shows another runtime than the configured one"
fault runtime
RU=rita$RUN
create "$F_PORT" "$(body "$RU" '["github.com"]')"
sg_check "runtime mismatch: 502 runtime_mismatch" "502 runtime_mismatch" \
    "$S $(jb .error)"
FAILED=$(grep '"event":"sandbox_create_failed"' "$T/create-runtime.log" |
    tail -n 1)
FID=$(printf '%s' "$FAILED" | jq -r .container_id)
sg_check_match "the log says which runtime ran it" \
    "\"detail\":\"the container runs under runtime [a-z]+, not $SANDGATE_RUNTIME\"" \
    "$FAILED"
sg_check_match "the container had been made and started" '"step":"inspect"' "$FAILED"
nothing_left "runtime mismatch"
sg_check "runtime mismatch: no session for it" 0 \
    "$(sg_redis exists "sandgate:session:$FID")"
sg_check "runtime mismatch: no reservation left" 0 \
    "$(sg_redis exists "sandgate:reserve:$RU")"
sg_check "runtime mismatch: no container of that name" "" \
    "$("$SG_DOCKER" ps -aq --filter "name=^$FID\$")"
_n=20
while [ -z "$(audit_events "$FID")" ] && [ $_n -gt 0 ]; do
	sleep 0.1
	_n=$((_n - 1))
done
sg_check "runtime mismatch: the audit has the failure, no creation" \
    sandbox_create_failed "$(audit_events "$FID")"
sg_check "runtime mismatch: nothing written for the user" "" \
    "$(find "$T/data/users/$RU" -mindepth 2 2>/dev/null || true)"

sg_done
