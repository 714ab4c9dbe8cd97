#!/bin/sh
# SPDX-License-Identifier: ISC
# Issue 14: sandboxes really run under gVisor.  The stack as run.sh
# starts it (its engine with deploy/gvisor's runsc registered), a sandbox
# created through the API (sandbox-create), and what only gVisor gives:
#   - docker inspect: HostConfig.Runtime is runsc, and the engine runs it
#     through the sandgate wrapper with a platform;
#   - the kernel the sandbox talks to is gVisor's (/proc/version inside
#     is gVisor's fixed one, not the host's), and its processes are not
#     host processes (the host sees the runsc sandbox, not the sandbox's
#     shell);
#   - the address recorded in the session (Redis) is the address the
#     proxy sees for a request from that sandbox (gVisor's own network
#     stack speaks with the container's address: the token binding holds)
#     and token-verify allows it.
# What egress a sandbox gets (GET, CONNECT, 403s, no direct route, no
# way to another sandbox) is proven under runsc by t-e2e.sh, and that
# no name resolves by t-dns.sh: not repeated here.  With SG_RUNTIME=runc
# this test fails, as it must.
. "$(dirname "$0")/lib.sh"

sg_setup
t0=$(date +%s)
. "$SG_TOP/tests/integration/lib-docker.sh"
sg_ensure_dockerd

sg_own_stack gvisor 1
export SG_RUNTIME=${SG_RUNTIME:-runsc}
# A /24 under 172.30.0.0/16 (t-e2e takes 100-199, t-dns 200-249).
sg_own_subnet 172.30 250 5
sg_run_config
: > "$T/containers"
sg_on_exit 'sg_run_stop'
sg_on_exit 'for c in $(cat "$T/containers"); do docker rm -f "$c"; done'

echo "# the stack (run.sh functions), runtime $SG_RUNTIME"
sg_run_start_stack
sg_check "run.sh recorded the runtime" "runtime $SG_RUNTIME" \
    "$(head -n 1 "$SG_RUNDIR/runtime")"
rt=$(docker info --format '{{json .Runtimes}}')
sg_check_match "the engine runs runsc through the sandgate wrapper" '/sandgate-runsc$' \
    "$(printf '%s' "$rt" | jq -r '.runsc.path // empty')"
sg_check_match "with a platform" '^--platform=(ptrace|kvm)$' \
    "$(printf '%s' "$rt" | jq -r '.runsc.runtimeArgs // [] | .[]')"

echo "# a sandbox through the API"
out=$(sg_run_api POST /v1/sandboxes "{\"user_id\":\"gvisor\",\"organization_uuid\":\"00000000-0000-4000-8000-0000000c0514\",\"allowed_hosts\":[\"localhost:$SG_TARGET_PORT\"],\"duration_hours\":1}")
st=$(printf '%s\n' "$out" | tail -n 1)
sg_check "POST /v1/sandboxes" 201 "$st"
[ "$st" = 201 ] || { echo "$out"; exit 1; }
ID=$(printf '%s\n' "$out" | head -n 1 | jq -r .container_id)
echo "$ID" >> "$T/containers"
sg_check "docker inspect: HostConfig.Runtime" runsc \
    "$(docker inspect -f '{{.HostConfig.Runtime}}' "$ID")"

echo "# the kernel inside is gVisor's"
inner=$(docker exec "$ID" cat /proc/version)
outer=$(cat /proc/version)
echo "#   inside: $inner"
echo "#   host:   $outer"
sg_check_match "/proc/version inside is gVisor's" \
    '^Linux version 4\.4\.0 #1 SMP Sun Jan 10 15:06:54 PST 2016' "$inner"
sg_check "it is not the host's" 1 "$([ "$inner" != "$outer" ] && echo 1 || echo 0)"
# A process in the sandbox is a task of gVisor's kernel: the host has no
# process with its command line, only the runsc sandbox that hosts it.
mark=sggv$$mark
docker exec -d "$ID" sh -c "sleep 300; : $mark"
sleep 1
sg_check "the sandbox sees its own process" 1 \
    "$(docker exec "$ID" ps -o args 2>/dev/null | grep -c "$mark" || true)"
host=0
for _c in /proc/[0-9]*/cmdline; do
	case $(tr '\0' ' ' 2>/dev/null < "$_c") in
	*"$mark"*) host=$((host + 1)) ;;
	esac
done
sg_check "the host has no such process" 0 "$host"
sg_check_match "the container's process on the host is the runsc sandbox" '^runsc-sandbox ' \
    "$(tr '\0' ' ' < "/proc/$(docker inspect -f '{{.State.Pid}}' "$ID")/cmdline")"

echo "# the address in the session is the one the proxy sees"
ip=$(docker inspect -f \
    "{{(index .NetworkSettings.Networks \"$SG_NETWORK\").IPAddress}}" "$ID")
sess_ip=$(redis-cli -s "$SG_SOCKDIR/redis.sock" GET "sandgate:session:$ID" |
    jq -r .container_ip)
sg_check "the session (Redis) records the container's address" "$ip" "$sess_ip"
body=$(docker exec "$ID" curl -sS --max-time 10 --noproxy '' \
    "http://localhost:$SG_TARGET_PORT/gvisor-$$" 2>&1)
sg_check_match "an allowed GET through the proxy" \
    "^sandgate demo target http: you reached /gvisor-$$" "$body"
seen=$(awk -v p="/gvisor-$$" 'index($0, p) { print $1 }' \
    "$SG_LOGDIR/egress-main-access.log" | sort -u)
sg_check "the proxy (Apache's %a) saw the request from that address" "$sess_ip" "$seen"
sg_check_match "token-verify allowed it (address binding: REMOTE_ADDR = session)" \
    '"decision":"allow"' \
    "$(grep -F "$ID" "$SG_LOGDIR/token-verify-egress.log" | tail -n 1)"

echo "# processes inside count against gVisor's limit, not the host's 100"
# Under the ptrace platform every process inside costs gVisor host tasks
# that stay after it ends: with the contract's host pids limit of 100 the
# sandbox dies after about a dozen processes.  run.sh's stack gives
# runsc a higher host bound (deploy/lib/config.sh); a sandbox must live
# through fifty processes and twenty execs.
sg_check "SANDGATE_PIDS_LIMIT of the stack under $SG_RUNTIME" "${SG_RUNSC_PIDS_LIMIT:-4096}" \
    "$(docker inspect -f '{{.HostConfig.PidsLimit}}' "$ID")"
docker exec "$ID" sh -c 'i=0; while [ $i -lt 50 ]; do sleep 1 & i=$((i + 1)); done; wait' \
    >/dev/null 2>&1 || true
i=0
while [ $i -lt 20 ]; do
	docker exec "$ID" true >/dev/null 2>&1 || break
	i=$((i + 1))
done
sg_check "twenty execs after fifty processes" 20 "$i"
sg_check "the sandbox still runs" true "$(docker inspect -f '{{.State.Running}}' "$ID")"

sg_check "DELETE the sandbox" 204 "$(sg_run_api DELETE "/v1/sandboxes/$ID" | tail -n 1)"
echo "# t-gvisor took $(( $(date +%s) - t0 )) s"
sg_done
