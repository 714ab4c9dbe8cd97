#!/bin/sh
# SPDX-License-Identifier: ISC
# Destroy-to-deny (issue 15): how long a destroyed sandbox's token keeps
# working at the egress proxy.  The stack of run.sh on loopback
# (tests/integration/lib-stack.sh: Redis, the services, Apache as egress
# proxy, lighttpd as API gateway), N sandboxes as sessions bound to
# 127.0.0.1 (the proxy's view of a sandbox; no container is needed to
# measure the revocation, and sandbox-destroy finds none: 204).  For each:
# a few requests through the proxy so that every token-verify worker may
# hold a positive session lookup (the worst case of
# SANDGATE_SESSION_CACHE_MS), then DELETE /v1/sandboxes/{id} through the
# API gateway, then requests through the proxy back to back until the
# first 407/403.  Reported: the time from the DELETE's answer to that
# first refusal (p50/p99/max), and from the DELETE being sent.
#
#   bench/destroy.sh [N]        N sandboxes, default 20 (10..200)
#   SANDGATE_SESSION_CACHE_MS=0 bench/destroy.sh
#
# Goal: p99 from the answer under SANDGATE_SESSION_CACHE_MS + 100 ms.
# Writes bench/results/destroy.json and prints one line for README.
# Needs what t-load.sh needs (wrk, apache2, lighttpd, redis-server,
# spawn-fcgi); SG_BUILD points at the build tree.
set -eu
_build=${SG_BUILD:-}
here=$(cd "$(dirname "$0")" && pwd)
N=${1:-20}
[ "$N" -ge 10 ] 2>/dev/null && [ "$N" -le 200 ] ||
    { echo "N must be 10..200" >&2; exit 64; }
. "$here/../tests/integration/lib.sh"
SG_TOP=$(cd "$here/.." && pwd)
SG_BUILD=${_build:-$SG_TOP}
SG_SVC=$SG_BUILD/services
SG_CLI=$SG_BUILD/tools/sandgate/sandgate
. "$SG_TOP/tests/integration/lib-stack.sh"

CACHE_MS=${SANDGATE_SESSION_CACHE_MS:-1000}
export SANDGATE_SESSION_CACHE_MS=$CACHE_MS
sg_setup
stk_init
stk_start

H="127.0.0.1:$SG_TARGET_PORT"
: > "$T/sandboxes"
i=0
while [ $i -lt "$N" ]; do
	cid=$(printf 'sandbox_DESTROYBENCH%02dAAAAAAAAAAAAAAAAAAAAAAA' "$i" | cut -c1-30)
	stk_mint "$cid" "$H" true 3600
	stk_put_session "$cid" "$JTI" "$EXP" "[\"$H\"]" 127.0.0.1 "$TOK"
	printf '%s %s\n' "$cid" "$TOK" >> "$T/sandboxes"
	i=$((i + 1))
done

mkdir -p "$here/results"
python3 - "$T/sandboxes" "$SG_PROXY_PORT" "$SG_API_PORT" "$SG_TARGET_PORT" \
    "$STK_OP" "$CACHE_MS" "$SG_PROCS" > "$here/results/destroy.json" <<'PY'
import base64, http.client, json, sys, time
sbx, pport, aport, tport, op, cache_ms, procs = sys.argv[1:8]
cache_ms = int(cache_ms)

def through_proxy(cid, tok):
    # A new connection each time, as a sandbox's client would open one.
    c = http.client.HTTPConnection("127.0.0.1", int(pport), timeout=10)
    cred = base64.b64encode(("container_%s:jwt_%s" % (cid, tok)).encode())
    c.request("GET", "http://127.0.0.1:%s/" % tport,
              headers={"Proxy-Authorization": "Basic " + cred.decode()})
    st = c.getresponse().status
    c.close()
    return st

def delete(cid):
    c = http.client.HTTPConnection("127.0.0.1", int(aport), timeout=60)
    c.request("DELETE", "/v1/sandboxes/" + cid,
              headers={"Authorization": "Bearer " + op})
    st = c.getresponse().status
    c.close()
    return st

def pct(v, p):
    v = sorted(v)
    return round(v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))], 1)

after_ret, after_send, dels, polls, bad = [], [], [], [], []
for line in open(sbx):
    cid, tok = line.split()
    # Warm every worker's cache (a new connection may land on any).
    for _ in range(4 * int(procs)):
        if through_proxy(cid, tok) != 200:
            bad.append(cid + ": not allowed before the DELETE")
    t0 = time.monotonic()
    st = delete(cid)
    t1 = time.monotonic()
    if st not in (202, 204):    # 202: no Docker here; revoked anyway
        bad.append("%s: DELETE %d" % (cid, st))
        continue
    n = 0
    while True:
        st = through_proxy(cid, tok)
        n += 1
        if st in (403, 407):
            break
        if st != 200 or time.monotonic() - t1 > 10 + cache_ms / 1000.0:
            bad.append("%s: %d after the DELETE" % (cid, st))
            break
    t2 = time.monotonic()
    after_ret.append((t2 - t1) * 1000)
    after_send.append((t2 - t0) * 1000)
    dels.append((t1 - t0) * 1000)
    polls.append(n)

def stats(v):
    return {"p50_ms": pct(v, 50), "p99_ms": pct(v, 99),
            "max_ms": round(max(v), 1)} if v else {}

goal = cache_ms + 100
res = {
    "name": "destroy", "sandboxes": len(after_ret), "errors": bad,
    "session_cache_ms": cache_ms, "token_verify_workers": int(procs),
    "deny_after_delete_answer": stats(after_ret),
    "deny_after_delete_sent": stats(after_send),
    "delete": stats(dels),
    "requests_until_deny_max": max(polls) if polls else 0,
    "goal_p99_ms": goal,
    "goal_met": bool(after_ret) and not bad and pct(after_ret, 99) < goal,
}
json.dump(res, sys.stdout, indent=2)
sys.stdout.write("\n")
PY
r=$here/results/destroy.json
jq -r '"Destroy-to-deny (\(.sandboxes) sandboxes, SANDGATE_SESSION_CACHE_MS=\(.session_cache_ms), \(.token_verify_workers) token-verify workers): first 407 at the proxy p50/p99/max \(.deny_after_delete_answer.p50_ms)/\(.deny_after_delete_answer.p99_ms)/\(.deny_after_delete_answer.max_ms) ms after the DELETE answered (\(.deny_after_delete_sent.p50_ms)/\(.deny_after_delete_sent.p99_ms) ms after it was sent; DELETE itself p50 \(.delete.p50_ms) ms); goal p99 < \(.goal_p99_ms) ms: \(if .goal_met then "met" else "NOT met" end)"' "$r"
[ "$(jq -r '.errors | length' "$r")" = 0 ] ||
    { echo "errors:"; jq -r '.errors[]' "$r"; exit 1; }
exit 0
