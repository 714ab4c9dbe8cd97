#!/bin/sh
# SPDX-License-Identifier: ISC
# Two gateway nodes sharing one Redis (docs/scaling.md): node A is the
# stack of lib-stack.sh (Redis, the five services, Apache, lighttpd), node
# B a second complete set of services, Apache and lighttpd on ports and in
# a run directory of its own, with the same signing keys and A's Redis.
# Pinned: a sandbox's session written once is served by both proxies;
# destroyed through B's API it is refused at A's proxy within
# SANDGATE_SESSION_CACHE_MS; the audit trail is one (both nodes' decisions
# in the one stream), the metrics are per node; and `sandgate reap` run on
# both nodes at the same moment against one Docker engine tears every
# expired sandbox down exactly once (tools/sandgate/reap.c's lock in Redis,
# lib/lock.c).  The reaper half needs Docker: run under the Docker lock.
. "$(dirname "$0")/lib.sh"

sg_setup
. "$SG_TOP/tests/integration/lib-stack.sh"
. "$SG_TOP/tests/integration/lib-docker.sh"
SG_RUNTIME=runc
CACHE_MS=1000
export SANDGATE_SESSION_CACHE_MS=$CACHE_MS
stk_init
stk_start
A_RUNDIR=$SG_RUNDIR A_SOCKDIR=$SG_SOCKDIR A_KEYS=$SG_KEYS A_DATA=$SG_DATADIR
A_PROXY=$STK_PROXY A_API=$STK_API A_OP=$STK_OP
sg_on_exit "SG_RUNDIR=$A_RUNDIR; sg_run_stop"

echo "# node B: its own services, Apache and lighttpd; A's Redis and keys"
SG_RUNDIR=$T/runb
SG_API_PORT=$(sg_free_port)
SG_METRICS_PORT=$(sg_free_port)
SG_BROKER_PORT=$(sg_free_port)
SG_PROBE_PORT=$(sg_free_port)
SG_PROXY_PORT=$(sg_free_port)
SG_STRICT_PORT=$(sg_free_port)
SG_VERIFY_PORT=$(sg_free_port)
SG_VERIFY_STRICT_PORT=$(sg_free_port)
sg_run_config
SG_LOGDIR=$T/b
mkdir -p "$SG_LOGDIR"
sg_on_exit "SG_RUNDIR=$SG_RUNDIR; sg_run_stop"
sg_run_dirs
cp -p "$A_KEYS"/* "$SG_KEYS"/
sg_run_env
export SANDGATE_REDIS="unix:$A_SOCKDIR/redis.sock"
sg_run_services
sg_run_apache
sg_run_api_server
sg_run_operator_token
B_PROXY=http://127.0.0.1:$SG_PROXY_PORT
B_API=http://127.0.0.1:$SG_API_PORT
B_OP=$SG_OPTOKEN B_RUNDIR=$SG_RUNDIR
sg_check "node B has no Redis of its own" "" "$(ls "$SG_SOCKDIR" | grep redis || true)"

# ---- the proxy half: one session, both nodes -------------------------------
# egress allows in a node's own metrics (GET /metrics of its API)
metric() {
	curl -s --max-time 10 -H "Authorization: Bearer $2" "$1/metrics" |
	    grep '^sandgate_decisions_total{mode="egress",decision="allow"' |
	    awk '{ s += $NF } END { print s + 0 }'
}
ma0=$(metric "$A_API" "$A_OP")
mb0=$(metric "$B_API" "$B_OP")
HOSTS="127.0.0.1:$SG_TARGET_PORT"
stk_mint $STK_A "$HOSTS" false 3600
TOK_A=$TOK
SG_SOCKDIR=$A_SOCKDIR stk_put_session $STK_A "$JTI" "$EXP" "[\"$HOSTS\"]" 127.0.0.1 "$TOK_A"
U_A="container_$STK_A:jwt_$TOK_A"
code() { curl -s -o "$T/body" -w '%{http_code}' --max-time 10 "$@" || true; }
sg_check "node A's proxy serves the sandbox" 200 "$(code -x "$A_PROXY" -U "$U_A" "http://$HOSTS/")"
sg_check "node B's proxy serves it too" 200 "$(code -x "$B_PROXY" -U "$U_A" "http://$HOSTS/")"
# within the cache window on A (so the revocation below is a real test)
sg_check "node A again (cached now)" 200 "$(code -x "$A_PROXY" -U "$U_A" "http://$HOSTS/")"

# destroyed through B's API: 204, or 202 (revoked, teardown pending) when
# no Docker engine answers
st=$(curl -s -o "$T/del" -w '%{http_code}' --max-time 30 -X DELETE \
    -H "Authorization: Bearer $B_OP" "$B_API/v1/sandboxes/$STK_A")
sg_check_match "DELETE through node B" '^20[24]$' "$st"
# poll a proxy until it refuses the sandbox (407) or 3 s pass; sets st,
# dt (ms since t0) and cached (allows still served from a worker's cache:
# each node runs several token-verify workers, each with its own cache, so
# any one of them may answer 200 until its entry is SANDGATE_SESSION_CACHE_MS
# old)
refused() {
	i=0
	st=200
	cached=0
	while [ $i -lt 60 ]; do
		st=$(code -x "$1" -U "$U_A" "http://$HOSTS/")
		[ "$st" = 407 ] && break
		[ "$st" = 200 ] && cached=$((cached + 1))
		sleep 0.05
		i=$((i + 1))
	done
	dt=$(( $(date +%s%3N) - t0 ))
}
t0=$(date +%s%3N)
refused "$A_PROXY"
cached_a=$cached
echo "# node A refused the destroyed sandbox ${dt} ms after B's DELETE (cache $CACHE_MS ms)"
sg_check "node A refuses it" 407 "$st"
sg_check "within the cache bound (+ 500 ms)" 1 "$([ $dt -le $((CACHE_MS + 500)) ] && echo 1 || echo 0)"
refused "$B_PROXY"
cached_b=$cached
echo "# node B refused it ${dt} ms after its own DELETE"
sg_check "node B refuses it" 407 "$st"
sg_check "node B within the cache bound (+ 500 ms)" 1 "$([ $dt -le $((CACHE_MS + 500)) ] && echo 1 || echo 0)"

# ---- one trail, metrics per node -------------------------------------------
sleep 0.3
n=$(redis-cli -s "$A_SOCKDIR/redis.sock" --raw XRANGE sandgate:audit - + |
    grep -A1 -x container_id | grep -c -x "$STK_A" || true)
sg_check_match "both nodes' decisions in the one trail (>= 6)" '^([6-9]|[1-9][0-9]+)$' "$n"
ma=$(( $(metric "$A_API" "$A_OP") - ma0 ))
mb=$(( $(metric "$B_API" "$B_OP") - mb0 ))
echo "# egress allows counted since the start of this part: node A $ma, node B $mb"
sg_check "node A counts its own allows (2 + $cached_a cached)" $((2 + cached_a)) "$ma"
sg_check "node B counts its own allows (1 + $cached_b cached)" $((1 + cached_b)) "$mb"

# ---- the reaper on both nodes at once --------------------------------------
echo "# the reaper half (Docker)"
sg_ensure_dockerd
sg_build_test_image
N=6
: >"$T/reap.cids"
sg_on_exit 'for c in $(cat "$T/reap.cids"); do docker rm -f "$c"; done'
past=$(( $(date +%s) - 60 ))
i=0
while [ $i -lt $N ]; do
	cid=$(printf 'sandbox_TWONODES%06dxxxxxx' $i)
	mkdir -p "$A_DATA/$cid"
	docker run -d --runtime runc --name "$cid" --network none \
	    --label "sandgate.container_id=$cid" --label "sandgate.user_id=$STK_USER" \
	    --label "sandgate.expires_at=$past" \
	    -v "$A_DATA/$cid:/work" "$SG_TEST_IMAGE" >/dev/null
	echo "$cid" >>"$T/reap.cids"
	i=$((i + 1))
done
sg_check "expired sandboxes running" $N \
    "$(docker ps -q --filter label=sandgate.container_id --filter name=sandbox_TWONODES | wc -l)"
# both nodes' reapers, the same configuration but for their run
# directories (SANDGATE_DATA_ROOT is the deployment's, shared)
reap_on()
{
	SANDGATE_REDIS="unix:$A_SOCKDIR/redis.sock" SANDGATE_DATA_ROOT=$A_DATA \
	    SANDGATE_METRICS_DIR="$1/metrics" "$SG_CLI" reap >"$2" 2>"$2.err" ||
	    echo "exit $?" >>"$2.err"
}
reap_on "$A_RUNDIR" "$T/reap-a.out" &
ra=$!
reap_on "$B_RUNDIR" "$T/reap-b.out" &
rb=$!
wait $ra $rb
cat "$T/reap-a.out" "$T/reap-b.out" | sed 's/^/#   /'
sg_check "every expired sandbox reaped once" "$N" \
    "$(cat "$T/reap-a.out" "$T/reap-b.out" | grep -c '^reaped sandbox_TWONODES' || true)"
sg_check "none reaped twice" "" \
    "$(cat "$T/reap-a.out" "$T/reap-b.out" | grep '^reaped ' | sort | uniq -d)"
sg_check "no container left" 0 \
    "$(docker ps -aq --filter name=sandbox_TWONODES | wc -l)"
sg_check "no lock left" "" "$(redis-cli -s "$A_SOCKDIR/redis.sock" --raw KEYS 'sandgate:lock:*')"
# without the lock both tear the same sandboxes down at once: Docker's
# 409 "removal already in progress", a failed pass, exit 1
sg_check "no failed teardown" "" "$(cat "$T/reap-a.out" "$T/reap-b.out" | grep '^failed ' || true)"
sg_check "no reaper error, both exit 0" "" "$(cat "$T/reap-a.out.err" "$T/reap-b.out.err")"

sg_done
