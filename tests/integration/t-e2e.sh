#!/bin/sh
# SPDX-License-Identifier: ISC
# End to end: the whole stack as run.sh starts it (Redis, Docker, the
# internal sandbox network and its firewall, the five services under
# spawn-fcgi, Apache as egress proxy, lighttpd as API gateway), exercised
# from inside real sandbox containers created through the API.
#
# Only loopback and the Docker network this test creates are contacted:
# the "internet" host is deploy/demo/target.py on 127.0.0.1 (and, as a
# witness for direct connections, on the test network's gateway address).
. "$(dirname "$0")/lib.sh"

sg_setup

t0=$(date +%s)

# The engine first: lib-docker.sh stops a dockerd it started last of all,
# so it must be registered before anything that needs it.
. "$SG_TOP/tests/integration/lib-docker.sh"
sg_ensure_dockerd

# ---------------------------------------------------------------- settings
# Our own run directory, ports, network, bridge and firewall table, so the
# test never touches ./run/ or a stack started by ./run.sh.
sg_own_stack e2e 2
SG_API2_PORT=$(sg_free_port)
UNLISTED_PORT=$(sg_free_port)
# A /24 under 172.30.0.0/16: 100-199 here.
sg_own_subnet 172.30 100 100
sg_run_config

# Containers this test starts outside the API, removed at exit.
: > "$T/containers"
sg_on_exit 'sg_run_stop'
sg_on_exit 'for c in $(cat "$T/containers"); do docker rm -f "$c"; done'

# ----------------------------------------------------------- static checks
echo "# deploy files: syntax"
sg_check "run.sh parses" 0 "$(sh -n "$SG_TOP/run.sh" >/dev/null 2>&1 && echo 0 || echo $?)"
for _f in "$SG_TOP"/deploy/lib/*.sh; do
	sg_check "deploy/lib/${_f##*/} parses" 0 "$(sh -n "$_f" >/dev/null 2>&1 && echo 0 || echo $?)"
done
sg_check "deploy/image/build.sh parses" 0 \
    "$(sh -n "$SG_TOP/deploy/image/build.sh" >/dev/null 2>&1 && echo 0 || echo $?)"

mkdir -p "$T/static"
sed -e "s/@TABLE@/sgtest_static_$$/g; s/@BRIDGE@/sgx0/; s/@GATEWAY_IP@/172.30.1.1/; s/@PROXY_PORTS@/{ 8443 }/" \
    "$SG_TOP/deploy/firewall/sandgate-sandbox-net.nft.in" > "$T/static/net.nft"
sed -e "s/@TABLE@/sgtest_static_$$/g; s/@PROXY_USER@/www-data/; s/@VERIFY_PORTS@/{ 9101 }/; s/@RESOLVERS4@/{ 127.0.0.53 }/; s/@RESOLVERS6@/{ ::1 }/" \
    "$SG_TOP/deploy/firewall/sandgate-proxy.nft.in" > "$T/static/proxy.nft"
sg_check "nft -c sandbox-net rules" 0 "$(nft -c -f "$T/static/net.nft" >/dev/null 2>&1 && echo 0 || echo $?)"
sg_check "nft -c proxy rules" 0 "$(nft -c -f "$T/static/proxy.nft" >/dev/null 2>&1 && echo 0 || echo $?)"

if command -v systemd-analyze >/dev/null 2>&1; then
	# Without a running systemd, verify still parses every directive;
	# the binaries are not installed here, so only that complaint is
	# expected.
	out=$(cd "$SG_TOP/deploy/systemd" && systemd-analyze verify --man=no \
	    ./*.service ./*.socket ./*.timer ./*.target 2>&1 |
	    grep -v 'is not executable: No such file or directory' || true)
	sg_check "systemd-analyze verify units" "" "$out"
else
	echo "# systemd-analyze missing: units not verified"
fi

# nginx alternative: the config must load (it is also run below).
mkdir -p "$SG_RUNDIR/nginx/tmp" "$SG_RUNDIR/log/www"
sg_run_fill "$SG_TOP/deploy/nginx/sandgate-api.conf.in" "$T/static/nginx.conf"
cp "$SG_TOP/deploy/nginx/sg_params" "$SG_TOP/deploy/nginx/sg_auth_params" "$SG_RUNDIR/nginx/"
sg_check "nginx -t" 0 "$(nginx -q -t -p "$SG_RUNDIR/nginx" -c "$T/static/nginx.conf" >/dev/null 2>&1 && echo 0 || echo $?)"

# --------------------------------------------------------------- the stack
# The sandboxes run under gVisor (runsc), run.sh's default.  No second
# pass under runc: the egress path is the same host bridge, firewall and
# proxy for both runtimes, so it would prove nothing new; what does differ
# (Docker's embedded resolver) is t-dns.sh's, and the runc opt-out itself
# is checked by running a test with SG_RUNTIME=runc.
echo "# starting the stack (run.sh functions) in $SG_RUNDIR"
ts=$(date +%s)
sg_run_start_stack
echo "# stack up in $(( $(date +%s) - ts )) s; runtime $SG_RUNTIME"
sg_check "API gateway answers JWKS" 200 \
    "$(curl -s -o /dev/null -w '%{http_code}' "$SG_API_URL/.well-known/jwks.json")"
sg_check "API without a token" 401 \
    "$(curl -s -o /dev/null -w '%{http_code}' "$SG_API_URL/v1/sessions?user_id=e2e")"
# Issue 14: sandbox-create's health check, open through the gateway.
sg_check "healthz/sandbox-create: Docker, runtime $SG_RUNTIME, network" \
    "ok $SG_RUNTIME true true" \
    "$(curl -s "$SG_API_URL/healthz/sandbox-create" | jq -r '"\(.status) \(.runtime) \(.runtime_registered) \(.network_exists)"')"

# create_sandbox USER: POST /v1/sandboxes allowed to reach the target's
# two ports; sets SB_ID, SB_IP, SB_PROXY.
create_sandbox()
{
	out=$(sg_run_api POST /v1/sandboxes "{\"user_id\":\"$1\",\"organization_uuid\":\"00000000-0000-4000-8000-00000000e2e0\",\"allowed_hosts\":[\"localhost:$SG_TARGET_PORT\",\"localhost:$SG_TARGET_TLS_PORT\"],\"duration_hours\":1}")
	st=$(printf '%s\n' "$out" | tail -n 1)
	sg_check "POST /v1/sandboxes ($1)" 201 "$st"
	[ "$st" = 201 ] || { echo "$out"; exit 1; }
	SB_ID=$(printf '%s\n' "$out" | head -n 1 | jq -r .container_id)
	echo "$SB_ID" >> "$T/containers"
	SB_IP=$(docker inspect -f \
	    "{{(index .NetworkSettings.Networks \"$SG_NETWORK\").IPAddress}}" "$SB_ID")
	SB_PROXY=$(docker exec "$SB_ID" sh -c 'echo "$HTTP_PROXY"')
	SB_TOKEN=$(printf '%s\n' "$out" | head -n 1 | jq -r .token)
}

# in ID ARGS...: curl inside a container, printing "code connect exit".
# The sandbox's NO_PROXY names localhost (its own loopback): --noproxy ''
# sends requests for the host's loopback target to the proxy anyway.
in_curl()
{
	_id=$1
	shift
	_rc=0
	docker exec "$_id" curl -s --max-time 10 --noproxy '' -o /dev/null \
	    -w '%{http_code} %{http_connect}' "$@" 2>/dev/null || _rc=$?
	echo " $_rc"
}

# rc CMD...: the command's output, then its exit status (set -e is on).
rc()
{
	_rc=0
	"$@" 2>/dev/null || _rc=$?
	echo " $_rc"
}

create_sandbox e2e-a
A_ID=$SB_ID A_IP=$SB_IP A_PROXY=$SB_PROXY A_TOKEN=$SB_TOKEN
sg_check_match "sandbox A on the test network" \
    "^$(printf '%s' "${SG_SUBNET%.0/24}" | sed 's/\./\\./g')\." "$A_IP"
sg_check_match "A's proxy URL carries its id and token" \
    "^http://container_${A_ID}:jwt_[A-Za-z0-9_.-]+@$SG_GATEWAY_IP:$SG_PROXY_PORT\$" "$A_PROXY"
sg_check "A runs under $SG_RUNTIME" "$SG_RUNTIME" \
    "$(docker inspect -f '{{.HostConfig.Runtime}}' "$A_ID")"

echo "# from inside sandbox A ($A_ID, $A_IP)"
body=$(docker exec "$A_ID" curl -sS --max-time 10 --noproxy '' \
    "http://localhost:$SG_TARGET_PORT/hello" 2>&1)
sg_check_match "allowed host over GET" "^sandgate demo target http: you reached /hello" "$body"
body=$(docker exec "$A_ID" curl -sS --max-time 10 --noproxy '' \
    --cacert /mnt/skills/demo-ca.pem "https://localhost:$SG_TARGET_TLS_PORT/tls" 2>&1)
sg_check_match "allowed host over CONNECT (TLS end to end)" \
    "^sandgate demo target https: you reached /tls" "$body"
hdrs=$(docker exec "$A_ID" curl -sS --max-time 10 --noproxy '' \
    "http://localhost:$SG_TARGET_PORT/headers" 2>&1)
sg_check "target sees no Proxy-Authorization" "" \
    "$(printf '%s\n' "$hdrs" | grep -i '^proxy-authorization' || true)"
sg_check "target never sees the token" "" \
    "$(printf '%s\n' "$hdrs" | grep -F "$A_TOKEN" || true)"
sg_check "target sees no Via/X-Forwarded" "" \
    "$(printf '%s\n' "$hdrs" | grep -i -E '^(via|x-forwarded-[a-z]+):' || true)"

sg_check "unlisted host (127.0.0.1, same server) over GET" "403 000 0" \
    "$(in_curl "$A_ID" "http://127.0.0.1:$SG_TARGET_PORT/")"
sg_check "unlisted host over CONNECT" "000 403 56" \
    "$(in_curl "$A_ID" --cacert /mnt/skills/demo-ca.pem "https://127.0.0.1:$SG_TARGET_TLS_PORT/")"
sg_check "allowed host, unlisted port, GET" "403 000 0" \
    "$(in_curl "$A_ID" "http://localhost:$UNLISTED_PORT/")"
sg_check "allowed host, unlisted port 443, CONNECT" "000 403 56" \
    "$(in_curl "$A_ID" "https://localhost:443/")"
sg_check "private address refused with DENY_PRIVATE=1 (GET)" "403 000 0" \
    "$(in_curl "$A_ID" -x "${A_PROXY%:$SG_PROXY_PORT}:$SG_STRICT_PORT" "http://localhost:$SG_TARGET_PORT/")"
sg_check "private address refused with DENY_PRIVATE=1 (CONNECT)" "000 403 56" \
    "$(in_curl "$A_ID" -x "${A_PROXY%:$SG_PROXY_PORT}:$SG_STRICT_PORT" --cacert /mnt/skills/demo-ca.pem "https://localhost:$SG_TARGET_TLS_PORT/")"
sg_check "no credentials -> 407" "407 000 0" \
    "$(in_curl "$A_ID" -x "http://$SG_GATEWAY_IP:$SG_PROXY_PORT" "http://localhost:$SG_TARGET_PORT/")"
sg_check_match "407 carries a Basic proxy challenge" '[Pp]roxy-[Aa]uthenticate: Basic realm=' \
    "$(docker exec "$A_ID" curl -s -i --max-time 10 --noproxy '' -x "http://$SG_GATEWAY_IP:$SG_PROXY_PORT" "http://localhost:$SG_TARGET_PORT/" 2>&1)"
# Another signature: the last character swapped for another canonical one
# (A and Q differ in the two data bits it carries, RFC 4648 5).
last=${A_TOKEN#"${A_TOKEN%?}"}
[ "$last" = A ] && swap=Q || swap=A
sg_check "a forged token -> 407" "407 000 0" \
    "$(in_curl "$A_ID" -x "http://container_$A_ID:jwt_${A_TOKEN%?}$swap@$SG_GATEWAY_IP:$SG_PROXY_PORT" "http://localhost:$SG_TARGET_PORT/")"

echo "# no other route out of sandbox A"
# The target also listens on the gateway address: reachable in principle,
# so a success here is a real hole (the sandbox-net firewall must stop it).
sg_check "direct connection to the target on the gateway fails" "000 000 28" \
    "$(rc docker exec "$A_ID" curl -s --noproxy '*' --connect-timeout 2 -o /dev/null \
    -w '%{http_code} %{http_connect}' "http://$SG_GATEWAY_IP:$SG_TARGET_PORT/")"
sg_check "the sandbox's own loopback has no target" "000 000 7" \
    "$(rc docker exec "$A_ID" curl -s --noproxy '*' --connect-timeout 2 -o /dev/null \
    -w '%{http_code} %{http_connect}' "http://localhost:$SG_TARGET_PORT/")"
sg_check "origin-form request to the proxy port itself is refused" "403" \
    "$(docker exec "$A_ID" curl -s --noproxy '*' --max-time 5 -o /dev/null \
    -w '%{http_code}' "http://$SG_GATEWAY_IP:$SG_PROXY_PORT/" 2>/dev/null)"

echo "# sandbox B cannot use A's token (address binding)"
create_sandbox e2e-b
B_ID=$SB_ID B_PROXY=$SB_PROXY
sg_check "B with its own token" "200 000 0" \
    "$(in_curl "$B_ID" "http://localhost:$SG_TARGET_PORT/")"
sg_check "B with A's token (GET)" "407 000 0" \
    "$(in_curl "$B_ID" -x "$A_PROXY" "http://localhost:$SG_TARGET_PORT/")"
sg_check "B with A's token (CONNECT)" "000 407 56" \
    "$(in_curl "$B_ID" -x "$A_PROXY" --cacert /mnt/skills/demo-ca.pem "https://localhost:$SG_TARGET_TLS_PORT/")"
sg_check "sandboxes cannot reach each other" " 28" \
    "$(rc docker exec "$B_ID" curl -s --noproxy '*' --connect-timeout 2 -o /dev/null "http://$A_IP:80/")"

echo "# API through lighttpd with the container token"
sg_check "A's token reads A's session" 200 \
    "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $A_TOKEN" \
    -H "X-Container-ID: $A_ID" "$SG_API_URL/v1/sessions/$A_ID")"
sg_check "A's token cannot read B's session" 403 \
    "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $A_TOKEN" \
    -H "X-Container-ID: $A_ID" "$SG_API_URL/v1/sessions/$B_ID")"
sg_check "A's token cannot create sandboxes" 403 \
    "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $A_TOKEN" \
    -H 'Content-Type: application/json' -d '{}' "$SG_API_URL/v1/sandboxes")"
sess=$(sg_run_api GET "/v1/sessions/$A_ID" | head -n 1)
sg_check "session records A's address" "$A_IP" "$(printf '%s' "$sess" | jq -r .container_ip)"
sg_check "session never holds the token" "" "$(printf '%s' "$sess" | grep -F "$A_TOKEN" || true)"

echo "# after DELETE, A's token is dead even from A's own address"
sg_check "DELETE /v1/sandboxes/A" 204 "$(sg_run_api DELETE "/v1/sandboxes/$A_ID" | tail -n 1)"
sg_check "A's container is gone" "" "$(docker ps -aq --filter "name=^$A_ID\$")"
sg_check "A's session is gone" 404 "$(sg_run_api GET "/v1/sessions/$A_ID" | tail -n 1)"
# Another container takes over A's address, so address binding alone
# would let the request through: only the deleted session stops it.
# token-verify may reuse a positive session lookup for up to
# SANDGATE_SESSION_CACHE_MS (default 1000 ms; never a negative one), so a
# revoked token can live that long: wait it out, then expect 407.
sleep 1.2
helper=sgtest-e2e-helper-$$
echo "$helper" >> "$T/containers"
sg_check "A's token from another container at A's address (GET)" "407 000 0" \
    "$(rc docker run --rm --name "$helper" --network "$SG_NETWORK" --ip "$A_IP" \
    --runtime "$SG_RUNTIME" --read-only --cap-drop ALL --user 65534:65534 "$SG_IMAGE" \
    curl -s --max-time 10 -x "$A_PROXY" -o /dev/null -w '%{http_code} %{http_connect}' \
    "http://localhost:$SG_TARGET_PORT/")"
sg_check "A's token from another container at A's address (CONNECT)" "000 407 56" \
    "$(rc docker run --rm --name "$helper" --network "$SG_NETWORK" --ip "$A_IP" \
    --runtime "$SG_RUNTIME" --read-only --cap-drop ALL --user 65534:65534 -v "$SG_DATADIR/skills:/mnt/skills:ro" "$SG_IMAGE" \
    curl -s --max-time 10 -x "$A_PROXY" --cacert /mnt/skills/demo-ca.pem -o /dev/null \
    -w '%{http_code} %{http_connect}' "https://localhost:$SG_TARGET_TLS_PORT/")"
sg_check "B still works" "200 000 0" "$(in_curl "$B_ID" "http://localhost:$SG_TARGET_PORT/")"

echo "# proxy-host firewall: the backstop when a check lets a private target by"
# The main proxy runs with DENY_PRIVATE=0, so token-verify allows B's
# request to the loopback target, as it would after a DNS rebinding.  With
# deploy/firewall/sandgate-proxy.nft loaded for the proxy's user, Apache
# can still reach token-verify but no longer the loopback target: Apache
# answers 503 (connect failed), where a firewall-less proxy answers 200.
sed -e "s/@TABLE@/sgtest_proxy_$$/g; s/@PROXY_USER@/$SG_WWW_USER/; s/@VERIFY_PORTS@/{ $SG_VERIFY_PORT, $SG_VERIFY_STRICT_PORT }/; s/@RESOLVERS4@/{ 127.0.0.53 }/; s/@RESOLVERS6@/{ ::1 }/" \
    "$SG_TOP/deploy/firewall/sandgate-proxy.nft.in" > "$T/proxy.nft"
sg_on_exit "nft delete table inet sgtest_proxy_$$"
sg_check "proxy rules load" 0 "$(nft -f "$T/proxy.nft" >/dev/null 2>&1 && echo 0 || echo $?)"
sg_check "allowed loopback target now refused by the kernel" "503 000 0" \
    "$(in_curl "$B_ID" "http://localhost:$SG_TARGET_PORT/")"
sg_check "CONNECT to it too" "000 503 56" \
    "$(in_curl "$B_ID" --cacert /mnt/skills/demo-ca.pem "https://localhost:$SG_TARGET_TLS_PORT/")"
sg_check_match "the rules counted the attempts" 'counter packets [1-9]' \
    "$(nft list table inet "sgtest_proxy_$$")"
nft delete table inet "sgtest_proxy_$$"
sg_check "without them B reaches the target again" "200 000 0" \
    "$(in_curl "$B_ID" "http://localhost:$SG_TARGET_PORT/")"

echo "# the nginx gateway alternative, on the same services"
LIGHTTPD_PORT=$SG_API_PORT
LIGHTTPD_METRICS_PORT=$SG_METRICS_PORT
SG_API_SERVER=nginx
SG_API_PORT=$SG_API2_PORT
SG_METRICS_PORT=$(sg_free_port)
sg_run_config
sg_run_api_server
sg_check "nginx: JWKS" 200 \
    "$(curl -s -o /dev/null -w '%{http_code}' "$SG_API_URL/.well-known/jwks.json")"
sg_check "nginx: no token" 401 \
    "$(curl -s -o /dev/null -w '%{http_code}' "$SG_API_URL/v1/sessions/$B_ID")"
sg_check "nginx: healthz/sandbox-create" "200 $SG_RUNTIME" \
    "$(curl -s -o /dev/null -w '%{http_code}' "$SG_API_URL/healthz/sandbox-create") $(curl -s "$SG_API_URL/healthz/sandbox-create" | jq -r .runtime)"
out=$(curl -s -i "$SG_API_URL/v1/sessions/$B_ID" | tr -d '\r')
sg_check_match "nginx: 401 keeps the Bearer challenge" '^WWW-Authenticate: Bearer' "$out"
sg_check "nginx: 401 body is the API's JSON" unauthorized \
    "$(printf '%s\n' "$out" | tail -n 1 | jq -r .error)"
# Regression: fastcgi_params' CONTENT_LENGTH reached the auth subrequest,
# token-verify waited for a body that never came, and every POST was 500.
out=$(sg_run_api POST /v1/sandboxes "{\"user_id\":\"e2e-c\",\"organization_uuid\":\"00000000-0000-4000-8000-00000000e2e0\",\"allowed_hosts\":[]}")
sg_check "nginx: POST /v1/sandboxes (the body reaches the service, not the verifier)" 201 \
    "$(printf '%s\n' "$out" | tail -n 1)"
C_ID=$(printf '%s\n' "$out" | head -n 1 | jq -r .container_id)
echo "$C_ID" >> "$T/containers"
sg_check "nginx: a sandbox without allowed_hosts has no network" none \
    "$(docker inspect -f '{{.HostConfig.NetworkMode}}' "$C_ID")"
sg_check "nginx: DELETE it" 204 "$(sg_run_api DELETE "/v1/sandboxes/$C_ID" | tail -n 1)"
sg_check "nginx: operator reads B's session" 200 "$(sg_run_api GET "/v1/sessions/$B_ID" | tail -n 1)"
sg_check "nginx: container token on another session" 403 \
    "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $A_TOKEN" \
    -H "X-Container-ID: $A_ID" "$SG_API_URL/v1/sessions/$B_ID")"
sg_check "nginx: unknown route" 404 "$(curl -s -o /dev/null -w '%{http_code}' "$SG_API_URL/v1/other")"
sg_check "nginx: DELETE B" 204 "$(sg_run_api DELETE "/v1/sandboxes/$B_ID" | tail -n 1)"
SG_API_SERVER=lighttpd
SG_API_PORT=$LIGHTTPD_PORT
SG_METRICS_PORT=$LIGHTTPD_METRICS_PORT
sg_run_config

echo "# operations: metrics and the audit trail of the sandboxes (docs/operations.md)"
out=$(sg_run_api GET /metrics)
sg_check "GET /metrics with the operator token" 200 "$(printf '%s\n' "$out" | tail -n 1)"
sg_check_match "metrics: sandboxes created (A, B, C) under $SG_RUNTIME" \
    "^sandgate_sandboxes_created_total\\{runtime=\"$SG_RUNTIME\"\\} [3-9]" "$out"
sg_check_match "metrics: their tokens counted as issued by sandbox-create" \
    '^sandgate_tokens_issued_total\{service="sandbox-create",kind="sandbox"\} [3-9]' "$out"
sg_check_match "metrics: sandboxes destroyed (A, C, B)" '^sandgate_sandboxes_destroyed_total [3-9]' "$out"
sg_check_match "metrics: Docker calls of sandbox-create" \
    '^sandgate_docker_calls_total\{service="sandbox-create"\} [1-9]' "$out"
sg_check_match "metrics: egress decisions" \
    '^sandgate_decisions_total\{mode="egress",decision="allow",reason="ok"\} [1-9]' "$out"
sg_check_match "metrics: live sessions gauge" '^sandgate_live_sessions [0-9]' "$out"
sg_check "metrics: no sandbox id or user in a label" "" \
    "$(printf '%s\n' "$out" | grep -F -e "$A_ID" -e "$B_ID" -e e2e- || true)"
out=$(sg_run_api GET "/v1/sessions/$A_ID/decisions?limit=1000" | head -n 1)
sg_check "audit: A's creation" 1 \
    "$(printf '%s' "$out" | jq '[.decisions[] | select(.event == "sandbox_created")] | length')"
sg_check "audit: A's destruction" 1 \
    "$(printf '%s' "$out" | jq '[.decisions[] | select(.event == "sandbox_destroyed")] | length')"
sg_check_match "audit: A's egress decisions" '^[1-9]' \
    "$(printf '%s' "$out" | jq '[.decisions[] | select(.event == "decision" and .mode == "egress" and .decision == "allow")] | length')"
sg_check_match "audit: A's token refused after DELETE" '^[1-9]' \
    "$(printf '%s' "$out" | jq '[.decisions[] | select(.status == 407)] | length')"
sg_check "audit: never a token" "" "$(printf '%s' "$out" | grep -F "$A_TOKEN" || true)"

echo "# logs"
sg_check "no token in any log" "" \
    "$(grep -r -l -F -e "$A_TOKEN" -e "$SG_OPTOKEN" "$SG_LOGDIR" 2>/dev/null || true)"
sg_check_match "egress decisions are logged as JSON" '"decision"' \
    "$(cat "$SG_LOGDIR/token-verify-egress.log")"

echo "# e2e took $(( $(date +%s) - t0 )) s"
sg_done
