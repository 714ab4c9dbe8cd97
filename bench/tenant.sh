#!/bin/sh
# SPDX-License-Identifier: ISC
# A quiet sandbox next to a hostile one (issue 16), one run, bounded:
# the quiet sandbox B (bound to 127.0.0.3) makes N requests through the
# egress proxy, one at a time on one keep-alive connection, first with
# the proxy idle, then while sandbox A (127.0.0.2) holds 450 requests to
# an upstream that never answers (as many as it may: the per-sandbox
# limit of deploy/firewall/sandgate-proxy-limits.nft, 32, is loaded) and
# floods refused requests from four connections.  Reports B's p50 and
# p99 latency for both, side by side, and their ratio (goal: within 2x).
# AUTHZ=module: the same through a second Apache with mod_sandgate_authz
# and SandgateMaxTunnels 32 instead of the nft rule (A's requests over
# its 32 get 429 instead of a reset).
# HOSTILE_CPUS=C: A's client runs in a cgroup (v1 cpu controller) with a
# CFS quota of C CPUs, as a sandbox started with SANDGATE_CPUS=C would;
# unset, it may take every CPU of the machine, the proxy's included.
#
#   bench/tenant.sh            SG_BUILD=<build dir>, N=2000 (requests)
#   AUTHZ=module HOSTILE_CPUS=1 bench/tenant.sh
#
# Writes bench/results/tenant.json (tenant-module.json; -cpusC with
# HOSTILE_CPUS).  Not a test: the figures depend on
# the machine (Apache, token-verify, Redis and the clients share its CPUs).
. "$(dirname "$0")/../tests/integration/lib.sh"
. "$SG_TOP/tests/integration/lib-stack.sh"
N=${N:-2000}
[ "$N" -le 5000 ] 2>/dev/null || N=5000
sg_setup
SG_PROCS=${WORKERS:-2}
stk_init
stk_start
SLOW=$(sg_free_port)
python3 "$SG_TOP/tests/integration/slow-upstream.py" "$SLOW" "$T/slow.ready" &
sg_track_pid $!
sg_wait_file "$T/slow.ready"
CA=sandbox_TENANTAAAAAAAAAAAAAAAAA
CB=sandbox_TENANTBBBBBBBBBBBBBBBBB
stk_mint $CA "127.0.0.1:$SLOW" true 3600
TA=$TOK
stk_put_session $CA "$JTI" "$EXP" "[\"127.0.0.1:$SLOW\"]" 127.0.0.2 "$TOK"
stk_mint $CB "127.0.0.1:$SG_TARGET_PORT" true 3600
TB=$TOK
stk_put_session $CB "$JTI" "$EXP" "[\"127.0.0.1:$SG_TARGET_PORT\"]" 127.0.0.3 "$TOK"
PORT=$SG_PROXY_PORT
NAME=tenant
if [ "${AUTHZ:-fcgi}" = module ]; then
	NAME=tenant-module
	mkdir -p "$T/apache-mod/sites"
	echo "Define SG_MAX_TUNNELS 32" > "$T/apache-mod/sites/00-limits.conf"
	PORT=$(sg_free_port)
	stk_apache_mod "$PORT"
else
	TABLE=sg_bench_limits_$$
	sed -e "s/@TABLE@/$TABLE/g" -e "s/@IFACE@/lo/" -e "s/@MAX_CONNS@/32/" \
	    -e "s/@PROXY_PORTS@/{ $SG_PROXY_PORT }/" \
	    "$SG_TOP/deploy/firewall/sandgate-proxy-limits.nft.in" > "$T/limits.nft"
	nft -f "$T/limits.nft" || { echo "nft rules failed" >&2; exit 1; }
	sg_on_exit "nft delete table inet $TABLE"
fi
cred() { printf 'container_%s:jwt_%s' "$1" "$2" | base64 -w0; }

# quiet OUT: N requests of B, one at a time, latencies (ms) to OUT
cat > "$T/quiet.py" <<'PY'
import socket, sys, time
port, cred, target, n, out = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
req = ("GET http://127.0.0.1:%d/ok HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
       "Proxy-Authorization: Basic %s\r\n\r\n" % (target, target, cred)).encode()
lat, s, bad, end = [], None, 0, time.monotonic() + 120
while len(lat) + bad < n and time.monotonic() < end:
    if s is None:
        s = socket.socket(); s.bind(("127.0.0.3", 0)); s.settimeout(10)
        s.connect(("127.0.0.1", port)); f = s.makefile("rb")
    t0 = time.monotonic()
    try:
        s.sendall(req)
        line = f.readline()
        length, close = 0, False
        while True:
            h = f.readline()
            if h in (b"\r\n", b""):
                break
            k, _, v = h.decode().partition(":")
            if k.lower() == "content-length": length = int(v)
            if k.lower() == "connection" and "close" in v.lower(): close = True
        f.read(length)
        if b" 200 " in line: lat.append((time.monotonic() - t0) * 1000)
        else: bad += 1
        if close: s.close(); s = None
    except OSError:
        bad += 1; s = None
open(out, "w").write("%d\n%s\n" % (bad, "\n".join("%.3f" % x for x in lat)))
PY
quiet()
{
	python3 "$T/quiet.py" "$PORT" "$(cred $CB "$TB")" \
	    "$SG_TARGET_PORT" "$N" "$1"
}
# the hostile side: 450 held requests, and a flood of refused ones
cat > "$T/hostile.py" <<'PY'
import socket, sys, threading, time
port, cred, slow, secs = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
held = []
req = ("GET http://127.0.0.1:%d/ HTTP/1.1\r\nHost: x\r\nProxy-Authorization: Basic %s\r\n\r\n" % (slow, cred)).encode()
for i in range(int(sys.argv[5])):
    if len(held) == 28:		# the last four of its 32 for the flood
        break
    s = socket.socket(); s.bind(("127.0.0.2", 0)); s.settimeout(2)
    try:
        s.connect(("127.0.0.1", port)); s.sendall(req); held.append(s)
    except OSError:
        s.close()
deny = ("GET http://127.0.0.9:1/ HTTP/1.1\r\nHost: x\r\nProxy-Authorization: Basic %s\r\n\r\n" % cred).encode()
end = time.monotonic() + secs
def flood():
    s = None
    while time.monotonic() < end:
        try:
            if s is None:
                s = socket.socket(); s.bind(("127.0.0.2", 0)); s.settimeout(5)
                s.connect(("127.0.0.1", port))
            s.sendall(deny); s.recv(65536)
        except OSError:
            s = None; time.sleep(0.01)
ts = [threading.Thread(target=flood) for _ in range(4)]
for t in ts: t.start()
for t in ts: t.join()
PY

quiet "$T/idle.ms"
python3 "$T/hostile.py" "$PORT" "$(cred $CA "$TA")" "$SLOW" 100 450 &
HPID=$!
sg_track_pid $HPID
if [ -n "${HOSTILE_CPUS:-}" ]; then
	CG=/sys/fs/cgroup/cpu/sg-bench-$$
	Q=$(python3 -c 'import sys; q = int(float(sys.argv[1]) * 100000); print(q if 1000 <= q <= 6400000 else "")' "$HOSTILE_CPUS")
	[ -n "$Q" ] && mkdir "$CG" || { echo "HOSTILE_CPUS: cannot make $CG" >&2; exit 1; }
	sg_on_exit "rmdir $CG"
	echo 100000 > "$CG/cpu.cfs_period_us"
	echo "$Q" > "$CG/cpu.cfs_quota_us"
	echo "$HPID" > "$CG/cgroup.procs"
	NAME=$NAME-cpus$HOSTILE_CPUS
fi
sleep 3
quiet "$T/hostile.ms"
kill "$HPID" 2>/dev/null || true
wait "$HPID" 2>/dev/null || true
mkdir -p "$SG_TOP/bench/results"
python3 - "$T/idle.ms" "$T/hostile.ms" "$SG_TOP/bench/results/$NAME.json" "$N" "$SG_PROCS" "$NAME" "${HOSTILE_CPUS:-}" <<'PY'
import json, sys
def load(p):
    lines = open(p).read().split()
    bad, lat = int(lines[0]), sorted(float(x) for x in lines[1:])
    q = lambda f: lat[min(len(lat) - 1, int(f * len(lat)))] if lat else None
    return {"ok": len(lat), "failed": bad, "p50_ms": q(0.5), "p99_ms": q(0.99)}
idle, hostile = load(sys.argv[1]), load(sys.argv[2])
r = {"name": sys.argv[6], "hostile_cpus": sys.argv[7] or None, "requests": int(sys.argv[4]), "workers": int(sys.argv[5]),
     "idle": idle, "hostile": hostile,
     "ratio_p50": hostile["p50_ms"] / idle["p50_ms"] if idle["p50_ms"] and hostile["p50_ms"] else None,
     "ratio_p99": hostile["p99_ms"] / idle["p99_ms"] if idle["p99_ms"] and hostile["p99_ms"] else None}
json.dump(r, open(sys.argv[3], "w"), indent=1)
print("%s: quiet sandbox B, %d requests:" % (r["name"], r["requests"]))
for k in ("idle", "hostile"):
    v = r[k]
    print("  %-8s ok %4d failed %3d  p50 %7.2f ms  p99 %7.2f ms" % (k, v["ok"], v["failed"], v["p50_ms"] or 0, v["p99_ms"] or 0))
print("  hostile / idle: p50 %.2fx, p99 %.2fx (goal <= 2x)" % (r["ratio_p50"] or 0, r["ratio_p99"] or 0))
PY
