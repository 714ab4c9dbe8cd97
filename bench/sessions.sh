#!/bin/sh
# SPDX-License-Identifier: ISC
# What token-verify's session cache costs in memory (issue 21): one
# egress worker (token-verify on a unix socket, as mod_sandgate_authz
# reaches it), Apache as the forward proxy, Redis holding N sessions,
# each with its own container token (tv-mint).  One GET through the proxy
# per sandbox, each a full decision: ES256 verification, the session
# lookup, the address binding, the target; the worker then holds the
# token and the session in its cache (services/token-verify/cache.h:
# one entry per token, SG_TCACHE_DEFAULT = 4096 of them at most, the
# least recently used of a set evicted).  The worker's VmRSS is read before (after one
# decision) and after; its own /healthz says how many entries it holds.
#
#   bench/sessions.sh [N]        N sandboxes, default 10000 (100..100000)
#
# Writes bench/results/sessions.json and prints one line.  Needs apache2,
# redis-server, spawn-fcgi, python3; SG_BUILD points at the build tree.
_build=${SG_BUILD:-}
N=${1:-10000}
. "$(dirname "$0")/../tests/integration/lib.sh"
SG_TOP=$(cd "$(dirname "$0")/.." && pwd)
SG_BUILD=${_build:-$SG_TOP}
SG_DATA=$SG_TOP/tests/data
[ "$N" -ge 100 ] 2>/dev/null && [ "$N" -le 100000 ] ||
    { echo "N must be 100..100000" >&2; exit 64; }

sg_setup
VERIFY=$SG_BUILD/services/token-verify/token-verify
MINT=$SG_BUILD/services/token-verify/tv-mint
SGAMOD=$SG_BUILD/deploy/apache/mod_sandgate_authz.so
for b in "$VERIFY" "$MINT" "$SGAMOD"; do
	[ -e "$b" ] || { echo "missing $b (build first)" >&2; exit 1; }
done
OUT=$SG_TOP/bench/results
mkdir -p "$OUT"
ISS=https://sandgate.bench
KEY=$SG_DATA/test-key-1.pem
ORG=3f2504e0-4f89-41d3-9a0c-0305e82c3301

sg_start_redis
TPORT=$(sg_free_port)	# the target: a plain HTTP server
PPORT=$(sg_free_port)	# Apache, mod_sandgate_authz
mkdir -p "$T/keys"
"$MINT" jwks "$KEY" >"$T/keys/verify.json"
export SANDGATE_ISSUER=$ISS
export SANDGATE_VERIFY_KEYS=$T/keys/verify.json
export SANDGATE_REDIS=unix:$REDIS_SOCK
export SANDGATE_EGRESS_DENY_PRIVATE=0
# the longest the cache keeps a session, so none lapses during the run
export SANDGATE_SESSION_CACHE_MS=60000
unset SANDGATE_SOCKET

echo "minting $N container tokens and their sessions ..."
"$MINT" container "$KEY" "$ISS" bench_user sandbox_SESS "$ORG" \
    "127.0.0.1:$TPORT" false 3600 0 "$N" >"$T/tokens.txt"
cat >"$T/sessions.py" <<'PY'
import hashlib, json, sys, time
org, port = sys.argv[1], sys.argv[2]
now = int(time.time())
out = sys.stdout.buffer
def cmd(*a):
    out.write(b"*%d\r\n" % len(a))
    for x in a:
        x = x.encode()
        out.write(b"$%d\r\n%s\r\n" % (len(x), x))
for line in sys.stdin:
    tok, jti, exp, cid = line.split()
    s = {"container_id": cid, "user_id": "bench_user",
         "organization_uuid": org, "jti": jti,
         "token_sha256": hashlib.sha256(tok.encode()).hexdigest(),
         "allowed_hosts": ["127.0.0.1:" + port], "container_ip": "127.0.0.1",
         "docker_id": "", "image": "sandgate-sandbox:latest",
         "created_at": now, "expires_at": int(exp)}
    cmd("SET", "sandgate:session:" + cid,
        json.dumps(s, separators=(",", ":")), "EX", str(int(exp) - now))
PY
python3 "$T/sessions.py" "$ORG" "$TPORT" <"$T/tokens.txt" >"$T/sessions.resp"
redis-cli -s "$REDIS_SOCK" --pipe <"$T/sessions.resp" >/dev/null

# the target
mkdir -p "$T/www"
printf 'ok\n' >"$T/www/ok.txt"
python3 -m http.server -b 127.0.0.1 -d "$T/www" "$TPORT" \
    >"$T/target.log" 2>&1 &
sg_track_pid $!
sg_wait_tcp 127.0.0.1 "$TPORT"

# one token-verify egress worker
ESOCK=$T/verify.sock
spawn-fcgi -s "$ESOCK" -M 0600 -U www-data -G www-data -F 1 \
    -P "$T/verify.pid" -- /bin/sh -c 'exec "$0" 2>>"$1"' "$VERIFY" \
    "$T/verify.log" >/dev/null
VPID=$(cat "$T/verify.pid")
sg_track_pid "$VPID"

A=$T/apache
mkdir -p "$A"
sg_apache_head "$A" >"$A/httpd.conf"
cat >>"$A/httpd.conf" <<EOF
LoadModule sandgate_authz_module $SGAMOD
Listen 127.0.0.1:$PPORT
<VirtualHost 127.0.0.1:$PPORT>
  ProxyRequests On
  ProxyVia Off
  <Proxy "*">
    AuthType SandgateToken
    AuthName sandgate
    SandgateAuthz unix:$ESOCK
    Require valid-user
  </Proxy>
</VirtualHost>
EOF
apache2 -f "$A/httpd.conf" -DFOREGROUND 2>>"$T/apache-error.log" &
sg_track_pid $!
sg_wait_tcp 127.0.0.1 "$PPORT"

# drive: one GET through the proxy per token (first FIRST tokens only);
# prints the count of 200s.  health: the worker's /healthz (FastCGI).
cat >"$T/drive.py" <<'PY'
import base64, http.client, socket, struct, sys, threading
mode = sys.argv[1]
if mode == "health":
    def rec(t, body):
        return struct.pack(">BBHHBB", 1, t, 1, len(body), 0, 0) + body
    def nv(k, v):
        return bytes([len(k), len(v)]) + k.encode() + v.encode()
    p = b"".join(nv(k, v) for k, v in (("REQUEST_METHOD", "GET"),
        ("REQUEST_URI", "/healthz"), ("SCRIPT_NAME", "/healthz")))
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(sys.argv[2])
    s.sendall(rec(1, bytes([0, 1, 0, 0, 0, 0, 0, 0])) + rec(4, p) +
        rec(4, b"") + rec(5, b""))
    data = b""
    while True:
        c = s.recv(65536)
        if not c:
            break
        data += c
    out, i = b"", 0
    while i + 8 <= len(data):
        t, _, clen, plen = struct.unpack(">BBHHBB", data[i:i + 8])[1:5]
        if t == 6:
            out += data[i + 8:i + 8 + clen]
        i += 8 + clen + plen
    print(out.split(b"\r\n\r\n", 1)[-1].decode())
    sys.exit(0)
pport, tport, first = int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
toks = [l.split() for l in open(sys.argv[5])][:first]
ok = [0] * 4
def run(k):
    c = http.client.HTTPConnection("127.0.0.1", pport, timeout=10)
    for tok, _, _, cid in toks[k::4]:
        pa = base64.b64encode(("container_%s:jwt_%s" % (cid, tok)).encode())
        c.request("GET", "http://127.0.0.1:%s/ok.txt" % tport,
                  headers={"Proxy-Authorization": "Basic " + pa.decode()})
        r = c.getresponse()
        r.read()
        ok[k] += r.status == 200
ts = [threading.Thread(target=run, args=(k,)) for k in range(4)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(sum(ok))
PY
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$VPID/status"; }

echo "one decision, then the worker's RSS ..."
ONE=$(timeout 30 python3 "$T/drive.py" drive "$PPORT" "$TPORT" 1 "$T/tokens.txt")
[ "$ONE" = 1 ] || { echo "setup check failed: the first GET was not 200" >&2; exit 1; }
RSS0=$(rss)
H0=$(python3 "$T/drive.py" health "$ESOCK")
echo "$N decisions, one per sandbox ..."
t0=$(date +%s)
OKN=$(timeout 300 python3 "$T/drive.py" drive "$PPORT" "$TPORT" "$N" "$T/tokens.txt")
secs=$(( $(date +%s) - t0 ))
RSS1=$(rss)
H1=$(python3 "$T/drive.py" health "$ESOCK")
# the same sandboxes again: what the cache holds is all it keeps
OKN2=$(timeout 300 python3 "$T/drive.py" drive "$PPORT" "$TPORT" "$N" "$T/tokens.txt")
RSS2=$(rss)
H2=$(python3 "$T/drive.py" health "$ESOCK")

python3 - "$OUT/sessions.json" "$N" "$OKN" "$OKN2" "$RSS0" "$RSS1" "$RSS2" \
    "$H0" "$H1" "$H2" "$secs" <<'PY'
import json, sys, time
out, n, ok, ok2, r0, r1, r2 = sys.argv[1], *map(int, sys.argv[2:8])
h0, h1, h2 = (json.loads(x) for x in sys.argv[8:11])
ents = h1.get("cache_entries", 0) - h0.get("cache_entries", 0)
per = (r1 - r0) * 1024.0 / ents if ents > 0 else 0.0
res = {
    "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    "sandboxes": n, "decisions_200": ok, "again_200": ok2,
    "seconds": int(sys.argv[11]),
    "rss_kb_after_one": r0, "rss_kb_after_n": r1, "rss_kb_after_2n": r2,
    "cache_entries_after_one": h0.get("cache_entries"),
    "cache_entries_after_n": h1.get("cache_entries"),
    "cache_entries_after_2n": h2.get("cache_entries"),
    "bytes_per_cached_session": round(per),
    "rss_mb_per_10k_cached_sessions": round(per * 10000 / 1048576, 1),
    "health_after_n": h1,
}
json.dump(res, open(out, "w"), indent=2)
print("sessions: %d sandboxes, %d/%d decisions 200 (%d s); one worker's RSS "
      "%d kB after one, %d kB after %d (%d kB after the same again); "
      "cache entries %s -> %s (%s); %.0f bytes per cached session, "
      "%.1f MB per 10k" % (n, ok, n, res["seconds"], r0, r1, n, r2,
      h0.get("cache_entries"), h1.get("cache_entries"),
      h2.get("cache_entries"), per, per * 10000 / 1048576))
print("results: %s" % out)
PY
