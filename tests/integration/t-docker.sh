#!/bin/sh
# SPDX-License-Identifier: ISC
# The Docker engine facts that lib/docker.c and sandbox-create rely on,
# checked against the real daemon over its unix socket: API v1.41 paths,
# the status codes the client classifies (404, 409, 304), what /info says
# about runtimes (gVisor's runsc registered through our wrapper), that
# create answers the settings sandbox-create asks for with no Warnings on
# this host, and that the test image runs a long-lived process as nobody
# under gVisor with every hardening setting and stops at once on SIGTERM.
# (t-gvisor.sh proves the same of a sandbox made by sandbox-create.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-docker.sh"

sg_setup
sg_ensure_dockerd
sg_build_test_image
sg_test_network

RUN=$(basename "$T" | tr -dc 'A-Za-z0-9')
NAME=sgtest-docker-$RUN
sg_on_exit "\"$SG_DOCKER\" rm -f '$NAME' '$NAME-2'"

api()
{
	# api METHOD PATH [BODY]: prints "STATUS BODY" on one line.
	curl -sS --unix-socket "$SG_DOCKER_SOCK" -X "$1" \
	    -H 'Content-Type: application/json' ${3:+--data "$3"} \
	    -w ' %{http_code}' "http://localhost/v1.41$2" | tr -d '\n'
}

code()
{
	printf '%s' "$1" | awk '{ print $NF }'
}

echo "# the daemon speaks API v1.41"
r=$(api GET /version)
sg_check "GET /v1.41/version" 200 "$(code "$r")"
sg_check_match "the daemon accepts 1.41" '"MinAPIVersion":"1\.[0-3][0-9]"' "$r"
r=$(api GET /_ping)
sg_check "GET /_ping" "OK 200" "$r"

# The runtime of the hardened container below: gVisor unless the run
# asks for runc (SG_RUNTIME=runc), which then skips the gVisor facts.
RT=${SG_RUNTIME:-runsc}
echo "# runtimes: runc and gVisor's runsc (through deploy/gvisor/sandgate-runsc)"
r=$(api GET /info)
sg_check_match "/info lists runc" '"Runtimes":\{[^}]*"runc"' "$r"
if [ "$RT" = runsc ]; then
	ri=$(printf '%s' "$r" | sed 's/ [0-9]*$//')
	sg_check_match "/info lists runsc, run through the sandgate wrapper" \
	    '/sandgate-runsc$' "$(printf '%s' "$ri" | jq -r '.Runtimes.runsc.path // empty')"
	sg_check_match "runsc has a platform (ptrace or kvm)" '^--platform=(ptrace|kvm)$' \
	    "$(printf '%s' "$ri" | jq -r '.Runtimes.runsc.runtimeArgs // [] | .[]')"
fi

echo "# status codes the client classifies"
r=$(api GET /containers/sgtest-no-such-$RUN/json)
sg_check "inspect of a missing container is 404" 404 "$(code "$r")"
sg_check_match "404 carries a message" '"message":"No such container' "$r"
r=$(api GET /images/sgtest-no-such-image:$RUN/json)
sg_check "inspect of a missing image is 404" 404 "$(code "$r")"
r=$(api DELETE "/containers/sgtest-no-such-$RUN?force=true&v=true")
sg_check "remove of a missing container is 404" 404 "$(code "$r")"

# The settings sandbox-create sends, minus the binds.
cfg=$(jq -cn --arg img "$SG_TEST_IMAGE" --arg id "$NAME" --arg net "$SG_TEST_NET" \
    --arg rt "$RT" '{
	Image: $img, User: "65534:65534", StopTimeout: 5,
	Env: ["CONTAINER_ID=" + $id, "NO_PROXY=localhost,127.0.0.1"],
	Labels: {"sandgate.test": $id},
	HostConfig: {
		Runtime: $rt, CapDrop: ["ALL"],
		CapAdd: ["CHOWN", "SETUID", "SETGID", "NET_BIND_SERVICE"],
		SecurityOpt: ["no-new-privileges:true"], ReadonlyRootfs: true,
		Privileged: false, Memory: 4294967296, MemorySwap: 4294967296,
		NanoCpus: 2000000000, PidsLimit: 100, NetworkMode: $net,
		IpcMode: "private", Tmpfs: {"/tmp": "size=1G,mode=1777"},
		RestartPolicy: {Name: "no"}}}')
r=$(api POST "/containers/create?name=$NAME" "$cfg")
sg_check "create with every sandbox setting" 201 "$(code "$r")"
sg_check "create gives no Warnings on this host" "0" \
    "$(printf '%s' "$r" | sed 's/ [0-9]*$//' | jq '.Warnings | length')"
r=$(api POST "/containers/create?name=$NAME" "$cfg")
sg_check "create with a name in use is 409" 409 "$(code "$r")"
r=$(api POST "/containers/$NAME/start")
sg_check "start" 204 "$(code "$r")"
r=$(api POST "/containers/$NAME/start")
sg_check "start of a running container is 304" 304 "$(code "$r")"

echo "# the test image under the hardening, runtime $RT"
sg_check "inspect shows runtime $RT" "$RT" \
    "$("$SG_DOCKER" inspect -f '{{.HostConfig.Runtime}}' "$NAME")"
if [ "$RT" = runsc ]; then
	# gVisor's own kernel answers, not the host's (runc shows the host's).
	gv=$("$SG_DOCKER" exec "$NAME" cat /proc/version)
	sg_check_match "the container's kernel is gVisor's" '^Linux version [0-9.]+ #1 SMP Sun Jan 10 15:06:54 PST 2016' "$gv"
	sg_check "and not the host's" 1 \
	    "$([ "$gv" != "$(cat /proc/version)" ] && echo 1 || echo 0)"
fi
sg_check "runs as nobody" "65534:65534" \
    "$("$SG_DOCKER" exec "$NAME" sh -c 'echo $(id -u):$(id -g)')"
sg_check "root file system is read-only" 1 \
    "$("$SG_DOCKER" exec "$NAME" sh -c 'touch /x 2>/dev/null; echo $?')"
sg_check "/tmp is a writable tmpfs" 0 \
    "$("$SG_DOCKER" exec "$NAME" sh -c 'touch /tmp/x; echo $?')"
sg_check "no capabilities left for nobody" "0000000000000000" \
    "$("$SG_DOCKER" exec "$NAME" sh -c "awk '/^CapEff/ { print \$2 }' /proc/self/status")"
PID=$("$SG_DOCKER" inspect -f '{{.State.Pid}}' "$NAME")
if [ "$RT" = runsc ]; then
	# gVisor's /proc/self/status has no NoNewPrivs line: the flag is
	# checked where gVisor takes it from, the OCI spec Docker hands the
	# runtime (the bundle named on the sandbox process's command line).
	bundle=$(tr '\0' '\n' < "/proc/$PID/cmdline" | sed -n 's/^--bundle=//p')
	sg_check "no_new_privs is set (in the spec runsc runs)" true \
	    "$(jq -r .process.noNewPrivileges "$bundle/config.json")"
else
	sg_check "no_new_privs is set" 1 \
	    "$("$SG_DOCKER" exec "$NAME" sh -c "awk '/^NoNewPrivs/ { print \$2 }' /proc/self/status")"
fi
# cg PID CONTROLLER V1-FILE V2-FILE: a limit of the cgroup PID is in, as
# the host's kernel enforces it.  Read on the host: under gVisor the
# container's /sys/fs/cgroup is gVisor's own, and what bounds the sandbox
# is the host cgroup its processes (sentry, gofer) run in.
cg()
{
	_p=$(awk -F: -v c="$2" '$2 == c { print $3 }' "/proc/$1/cgroup")
	if [ -n "$_p" ]; then
		cat "/sys/fs/cgroup/$2$_p/$3"
	else
		cat "/sys/fs/cgroup$(awk -F: '$1 == "0" { print $3 }' "/proc/$1/cgroup")/$4"
	fi
}
sg_check "the pids limit holds" 100 "$(cg "$PID" pids pids.max pids.max)"
sg_check "the memory limit holds" 4294967296 \
    "$(cg "$PID" memory memory.limit_in_bytes memory.max)"
sg_check_match "the container's processes are in that cgroup" "$NAME|$("$SG_DOCKER" inspect -f '{{.Id}}' "$NAME")" \
    "$(cat "/proc/$PID/cgroup")"
# Docker 20.10 still gives an internal network a default route; its
# iptables rules drop what leaves it.  Not probed: no traffic off-host.
sg_check "the sandbox network is internal" true \
    "$("$SG_DOCKER" network inspect -f '{{.Internal}}' "$SG_TEST_NET")"

echo "# stop: PID 1 leaves on SIGTERM, well inside the 5 s grace"
t0=$(date +%s)
r=$(api POST "/containers/$NAME/stop?t=5")
t1=$(date +%s)
sg_check "stop" 204 "$(code "$r")"
sg_check "stop took under 4 s" 1 "$([ $((t1 - t0)) -lt 4 ] && echo 1 || echo 0)"
r=$(api POST "/containers/$NAME/stop?t=5")
sg_check "stop of a stopped container is 304" 304 "$(code "$r")"
r=$(api DELETE "/containers/$NAME?force=true&v=true")
sg_check "remove" 204 "$(code "$r")"
sg_check "it is gone" "" "$("$SG_DOCKER" ps -aq --filter "name=^$NAME\$")"

echo "# list by label with a URL-encoded filter"
"$SG_DOCKER" run -d --name "$NAME-2" --label "sandgate.test=$NAME-2" \
    --network none "$SG_TEST_IMAGE" >/dev/null
f=$(printf '{"label":["sandgate.test=%s"]}' "$NAME-2" | jq -sRr @uri)
r=$(api GET "/containers/json?all=1&filters=$f")
sg_check "list by label" 200 "$(code "$r")"
sg_check "exactly our container" "/$NAME-2" \
    "$(printf '%s' "$r" | sed 's/ [0-9]*$//' | jq -r '.[].Names[0]')"
"$SG_DOCKER" rm -f "$NAME-2" >/dev/null

sg_done
