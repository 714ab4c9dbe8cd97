#!/bin/sh
# SPDX-License-Identifier: ISC
# Sandbox creation latency: POST /v1/sandboxes end to end through the
# sandbox-create FastCGI service (validation, per-user count in Redis,
# token, container create + start + inspect, session write) against
# `docker run -d` from the Docker CLI with the same image, settings and
# runtime (gVisor's runsc; SG_RUNTIME=runc to compare), in one run on
# the same engine, interleaved so that both see the same conditions.
# Then create -> first allowed request: on the stack as run.sh starts it
# (lighttpd, the services, Apache as egress proxy, the internal network
# and its firewall), from POST /v1/sandboxes to the first answer a
# program in the new sandbox gets through the proxy for an allowed host.
# Every sandbox and container is removed after its sample (not timed).
# Prints a table and writes bench/results/create.json.
#
#   bench/create.sh [N]        N samples per side, default 30 (min 20)
#
# Needs what tests/integration/t-sandbox.sh needs (root, docker.io,
# redis-server, libfcgi-bin); SG_BUILD points at the build tree.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
N=${1:-30}
[ "$N" -ge 20 ] 2>/dev/null || { echo "N must be >= 20" >&2; exit 64; }
[ "$N" -le 500 ] || { echo "N must be <= 500" >&2; exit 64; }

# lib.sh finds the tree from $0; point it at ours.
. "$top/tests/integration/lib.sh"
SG_TOP=$top
SG_BUILD=${SG_BUILD:-$SG_TOP}
SG_SVC=$SG_BUILD/services
SG_DATA=$SG_TOP/tests/data
. "$top/tests/integration/lib-docker.sh"

sg_setup
sg_ensure_dockerd
sg_build_test_image
sg_test_network
sg_start_redis
mkdir -p "$T/data/users/cli/uploads" "$T/data/users/cli/outputs" \
    "$T/data/skills"
sg_on_exit "sg_remove_sandboxes_of '$T/data'"

export SANDGATE_REDIS="unix:$REDIS_SOCK"
export SANDGATE_SIGNING_KEY="$SG_DATA/test-key-1.pem"
export SANDGATE_ISSUER=sandgate-bench
RT=${SG_RUNTIME:-runsc}
export SANDGATE_RUNTIME="$RT"
export SANDGATE_IMAGE="$SG_TEST_IMAGE"
export SANDGATE_NETWORK="$SG_TEST_NET"
export SANDGATE_PROXY_URL=http://192.0.2.1:8443
export SANDGATE_DATA_ROOT="$T/data"
export SANDGATE_DOCKER_SOCKET="$SG_DOCKER_SOCK"
export SANDGATE_MAX_SANDBOXES_PER_USER=1000
export SANDGATE_LOG_LEVEL=info
C_PORT=$(sg_free_port)
D_PORT=$(sg_free_port)
sg_spawn create "$C_PORT" "$SG_SVC/sandbox-create/sandbox-create"
sg_spawn destroy "$D_PORT" "$SG_SVC/sandbox-destroy/sandbox-destroy"
SG_SUB=bench
export SG_SUB

BODY='{"user_id":"bench","organization_uuid":"123e4567-e89b-12d3-a456-426614174000","allowed_hosts":["github.com"]}'
now_us()
{
	# GNU date: nanoseconds; microseconds are plenty here.
	echo $(( $(date +%s%N) / 1000 ))
}

one_sandgate()
{
	t0=$(now_us)
	r=$(SG_KIND=operator SG_SCOPE=sandboxes:create \
	    sg_fcgi "$C_PORT" POST /v1/sandboxes "$BODY")
	t1=$(now_us)
	if [ "$(sg_status "$r")" != 201 ]; then
		# Counted, not timed: a loaded host may make Docker time out.
		echo "create failed: $(printf '%s' "$r" | head -n 1) $(sg_body "$r")" >&2
		echo x >> "$T/sandgate.err"
		return 0
	fi
	echo $((t1 - t0)) >> "$T/sandgate.us"
	id=$(sg_body "$r" | jq -r .container_id)
	r=$(SG_KIND=operator SG_SCOPE=sandboxes:destroy \
	    sg_fcgi "$D_PORT" DELETE "/v1/sandboxes/$id")
	[ "$(sg_status "$r")" = 204 ] || "$SG_DOCKER" rm -f "$id" >/dev/null 2>&1 ||
	    true
}

# The same settings sandbox-create sends, including a 1 KiB token-sized
# proxy URL in four variables, so the request bodies are comparable.
TOKLIKE=$(head -c 600 /dev/zero | tr '\0' 'x')
PROXY="http://container_x:jwt_$TOKLIKE@192.0.2.1:8443"
one_cli()
{
	_cli=$1 _out=$2 _i=$3
	name=sgbench-cli-$(basename "$T" | tr -dc 'A-Za-z0-9')-$_i
	t0=$(now_us)
	"$_cli" run -d --name "$name" --runtime "$RT" --user 65534:65534 \
	    --cap-drop ALL --cap-add CHOWN --cap-add SETUID --cap-add SETGID \
	    --cap-add NET_BIND_SERVICE --security-opt no-new-privileges:true \
	    --read-only --tmpfs /tmp:size=1G,mode=1777 --memory 4g \
	    --memory-swap 4g --cpus 2 --pids-limit 100 --ipc private \
	    --stop-timeout 5 --restart no \
	    -v "$T/data/users/cli/uploads:/mnt/uploads:ro" \
	    -v "$T/data/users/cli/outputs:/mnt/outputs:rw" \
	    -v "$T/data/skills:/mnt/skills:ro" \
	    --network "$SG_TEST_NET" \
	    --label "sandgate.container_id=$name" --label sandgate.user_id=cli \
	    --label sandgate.expires_at=4102444800 \
	    -e "CONTAINER_ID=$name" -e "HTTP_PROXY=$PROXY" \
	    -e "HTTPS_PROXY=$PROXY" -e "http_proxy=$PROXY" \
	    -e "https_proxy=$PROXY" -e NO_PROXY=localhost,127.0.0.1 \
	    "$SG_TEST_IMAGE" >/dev/null 2>"$T/cli.err.last" || {
		echo "docker run failed: $(cat "$T/cli.err.last")" >&2
		echo x >> "$_out.err"
		"$_cli" rm -f "$name" >/dev/null 2>&1 || true
		return 0
	}
	t1=$(now_us)
	echo $((t1 - t0)) >> "$_out"
	"$_cli" rm -f "$name" >/dev/null
}

CLI=$(command -v docker)
CLI_VER=$("$CLI" version -f '{{.Client.Version}}' 2>/dev/null || echo "?")
DEB_CLI=""
if [ -x /usr/bin/docker ] && [ "$(readlink -f /usr/bin/docker)" != "$(readlink -f "$CLI")" ]; then
	DEB_CLI=/usr/bin/docker
	DEB_VER=$("$DEB_CLI" version -f '{{.Client.Version}}' 2>/dev/null || echo "?")
fi
ENGINE=$("$CLI" version -f '{{.Server.Version}}' 2>/dev/null || echo "?")

# Warm-up (caches, first connection, the runtime check): not counted.
: > "$T/sandgate.us"
: > "$T/cli.us"
: > "$T/debcli.us"
one_sandgate
one_cli "$CLI" "$T/cli.us" w
[ -z "$DEB_CLI" ] || one_cli "$DEB_CLI" "$T/debcli.us" w2
rm -f "$T/sandgate.err" "$T/cli.us.err" "$T/debcli.us.err"
: > "$T/sandgate.us"
: > "$T/cli.us"
: > "$T/debcli.us"

i=0
while [ $i -lt "$N" ]; do
	one_sandgate
	one_cli "$CLI" "$T/cli.us" "$i"
	[ -z "$DEB_CLI" ] || one_cli "$DEB_CLI" "$T/debcli.us" "d$i"
	i=$((i + 1))
done

# ------------------------------------------- create -> first request
# run.sh's stack (deploy/lib) with this run's own directory, ports,
# network, bridge and firewall table.
SG_RUNDIR=$T/run
for _v in SG_API_PORT SG_PROXY_PORT SG_STRICT_PORT SG_VERIFY_PORT \
    SG_VERIFY_STRICT_PORT SG_TARGET_PORT SG_TARGET_TLS_PORT; do
	eval "$_v=\$(sg_free_port)"
done
SG_NETWORK=sgbench-$$
SG_BRIDGE=sgbn$(($$ % 1000000))
SG_FW_TABLE=sgbench_$$
SG_IMAGE=sandgate-sandbox:bench
SG_ISSUER=sandgate-bench
SG_PROCS=2
SG_WWW_USER=nobody
SG_WWW_GROUP=nogroup
SG_RUNTIME=$RT
used="$(ip -4 route show | awk '{ print $1 }') $("$SG_DOCKER" network inspect \
    $("$SG_DOCKER" network ls -q) -f '{{range .IPAM.Config}}{{.Subnet}} {{end}}')"
n=$((250 + $$ % 5))
i=0
while printf '%s\n' $used | grep -q "^172\.30\.$n\."; do
	n=$((250 + (n - 249) % 5))
	i=$((i + 1))
	[ $i -lt 5 ] || { echo "no free 172.30.x.0/24" >&2; exit 1; }
done
SG_SUBNET=172.30.$n.0/24
export SG_RUNDIR SG_API_PORT SG_PROXY_PORT SG_STRICT_PORT SG_VERIFY_PORT \
    SG_VERIFY_STRICT_PORT SG_TARGET_PORT SG_TARGET_TLS_PORT SG_NETWORK \
    SG_BRIDGE SG_FW_TABLE SG_IMAGE SG_ISSUER SG_PROCS SG_SUBNET \
    SG_WWW_USER SG_WWW_GROUP SG_RUNTIME
unset SG_CLI
sg_run_config
sg_on_exit 'sg_run_stop'
echo "# create -> first request: starting the stack (runtime $RT)" >&2
sg_run_start_stack > "$T/stack.log" 2>&1 || {
	tail -n 20 "$T/stack.log" >&2
	exit 1
}
FBODY="{\"user_id\":\"bench-first\",\"organization_uuid\":\"123e4567-e89b-12d3-a456-426614174000\",\"allowed_hosts\":[\"localhost:$SG_TARGET_PORT\"]}"

# one_first: POST through lighttpd, then `docker exec curl` (as an agent
# runs its commands) of an allowed URL through the sandbox's HTTP_PROXY,
# again every 20 ms until it is answered 200 (at most 20 s); the time of
# the POST alone goes to post.us.
one_first()
{
	t0=$(now_us)
	out=$(sg_run_api POST /v1/sandboxes "$FBODY" 2>/dev/null) || out=""
	t1=$(now_us)
	if [ "$(printf '%s\n' "$out" | tail -n 1)" != 201 ]; then
		echo "first: create failed: $(printf '%s\n' "$out" | head -n 1)" >&2
		echo x >> "$T/first.err"
		return 0
	fi
	id=$(printf '%s\n' "$out" | head -n 1 | jq -r .container_id)
	k=0
	until [ "$("$SG_DOCKER" exec "$id" curl -s -o /dev/null -w '%{http_code}' \
	    --max-time 5 --noproxy '' "http://localhost:$SG_TARGET_PORT/first" \
	    2>/dev/null)" = 200 ]; do
		k=$((k + 1))
		if [ $k -ge 1000 ] || [ $(( $(now_us) - t0 )) -gt 20000000 ]; then
			echo "first: no answer from $id in 20 s" >&2
			echo x >> "$T/first.err"
			sg_run_api DELETE "/v1/sandboxes/$id" >/dev/null 2>&1 || true
			return 0
		fi
		sleep 0.02
	done
	t2=$(now_us)
	echo $((t1 - t0)) >> "$T/post.us"
	echo $((t2 - t0)) >> "$T/first.us"
	echo "$k" >> "$T/first.retries"
	sg_run_api DELETE "/v1/sandboxes/$id" >/dev/null 2>&1 || true
}
: > "$T/post.us"
: > "$T/first.us"
one_first
rm -f "$T/first.err"
: > "$T/post.us"
: > "$T/first.us"
: > "$T/first.retries"
i=0
while [ $i -lt "$N" ]; do
	one_first
	i=$((i + 1))
done

mkdir -p "$here/results"
python3 - "$T" "$N" "$CLI_VER" "${DEB_VER:-}" "$ENGINE" "$RT" \
    "${SG_RUNTIME_PLATFORM:-}" \
    > "$here/results/create.json" <<'PY'
import json, platform, sys, time
t, n, cli_ver, deb_ver, engine, runtime, platform_ = sys.argv[1:8]
def load(name):
    try:
        return [int(x) for x in open(f"{t}/{name}.us") if x.strip()]
    except FileNotFoundError:
        return []
def pct(v, p):
    v = sorted(v)
    # nearest-rank percentile
    k = max(1, -(-len(v) * p // 100))
    return v[k - 1]
def stats(v):
    return {"n": len(v), "p50_ms": round(pct(v, 50) / 1000, 1),
            "p95_ms": round(pct(v, 95) / 1000, 1),
            "min_ms": round(min(v) / 1000, 1),
            "max_ms": round(max(v) / 1000, 1),
            "mean_ms": round(sum(v) / len(v) / 1000, 1)}
out = {"benchmark": "create",
       "what": "POST /v1/sandboxes through sandbox-create vs docker run -d, "
               "same image and settings, interleaved",
       "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
       "host": platform.node(), "engine": engine,
       "runtime": runtime, "samples_per_side": int(n),
       "sandgate": stats(load("sandgate")),
       "docker_cli": dict(stats(load("cli")), client=cli_ver)}
# Per-step medians from sandbox-create's own log (the last N creates).
steps = {}
try:
    ev = [json.loads(l) for l in open(f"{t}/create.log")
          if '"sandbox_created"' in l][-int(n):]
    for k in ("latency_us", "prepare_us", "docker_create_us",
              "docker_start_us", "inspect_session_us"):
        v = [int(e[k]) for e in ev if k in e]
        if v:
            steps[k.replace("_us", "_p50_ms")] = round(pct(v, 50) / 1000, 1)
except FileNotFoundError:
    pass
if steps:
    out["sandgate_service_steps"] = steps
deb = load("debcli")
if deb:
    out["docker_cli_debian"] = dict(stats(deb), client=deb_ver)
# Paired by iteration (the samples are interleaved): the median of
# sandgate - CLI is less sensitive to load from elsewhere on the host.
sg, cl = load("sandgate"), load("cli")
d = sorted(a - b for a, b in zip(sg, cl))
out["paired_diff_p50_ms"] = round(d[len(d) // 2] / 1000, 1)
def errors(name):
    try:
        return sum(1 for _ in open(f"{t}/{name}"))
    except FileNotFoundError:
        return 0
out["sandgate"]["errors"] = errors("sandgate.err")
out["docker_cli"]["errors"] = errors("cli.us.err")
if platform_:
    out["runtime_platform"] = platform_
first, post = load("first"), load("post")
if first:
    out["first_request"] = dict(stats(first), errors=errors("first.err"),
        what="POST /v1/sandboxes through lighttpd until a docker exec curl "
             "in the sandbox gets 200 through the egress proxy")
    out["first_request_post"] = stats(post)
    out["first_request_p50_under_500ms"] = out["first_request"]["p50_ms"] < 500
out["sandgate_not_slower_than_cli"] = (
    out["sandgate"]["p50_ms"] <= out["docker_cli"]["p50_ms"] and
    out["sandgate"]["p95_ms"] <= out["docker_cli"]["p95_ms"])
print(json.dumps(out, indent=2))
PY

python3 - "$here/results/create.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
rows = [("sandgate POST /v1/sandboxes", r["sandgate"])]
rows.append(("docker run -d (CLI %s)" % r["docker_cli"]["client"], r["docker_cli"]))
if "docker_cli_debian" in r:
    rows.append(("docker run -d (CLI %s)" % r["docker_cli_debian"]["client"],
                 r["docker_cli_debian"]))
print("create latency, engine %s, %s%s, %d samples each (failures: "
      "sandgate %d, CLI %d)" % (r["engine"], r["runtime"],
      (" (" + r["runtime_platform"] + ")") if "runtime_platform" in r else "",
      r["samples_per_side"],
      r["sandgate"]["errors"], r["docker_cli"]["errors"]))
print("%-36s %8s %8s %8s %8s" % ("", "p50 ms", "p95 ms", "min ms", "max ms"))
for name, s in rows:
    print("%-36s %8.1f %8.1f %8.1f %8.1f" %
          (name, s["p50_ms"], s["p95_ms"], s["min_ms"], s["max_ms"]))
st = r.get("sandgate_service_steps")
if st:
    print("inside sandbox-create (p50 ms): total %.1f; checks, limit and "
          "token %.1f, docker create %.1f, docker start %.1f, inspect and "
          "session %.1f" %
          (st.get("latency_p50_ms", 0), st.get("prepare_p50_ms", 0),
           st.get("docker_create_p50_ms", 0),
           st.get("docker_start_p50_ms", 0),
           st.get("inspect_session_p50_ms", 0)))
print("median of paired differences (sandgate - CLI): %+.1f ms" %
      r["paired_diff_p50_ms"])
print("sandgate no slower than the CLI (p50 and p95):",
      "yes" if r["sandgate_not_slower_than_cli"] else "NO",
      "(ratio of p50s %.2fx, p95s %.2fx)" % (
      r["sandgate"]["p50_ms"] / r["docker_cli"]["p50_ms"],
      r["sandgate"]["p95_ms"] / r["docker_cli"]["p95_ms"]))
f = r.get("first_request")
if f:
    print("create -> first allowed request through the proxy: p50 %.1f ms, "
          "p95 %.1f ms (POST alone p50 %.1f ms; failures %d); p50 < 500 ms: %s"
          % (f["p50_ms"], f["p95_ms"], r["first_request_post"]["p50_ms"],
             f["errors"], "yes" if r["first_request_p50_under_500ms"] else "NO"))
PY
