#!/bin/sh
# SPDX-License-Identifier: ISC
# The Python reference next to token-verify (issue 8, "Benchmark report"):
# the same API decision, a container token reading its own session with
# X-Container-ID, answered by
#
#  p1  wrk -> gunicorn + Flask + PyJWT (bench/pyref/app.py), one token
#  p2  wrk -> gunicorn, a new token per request (PyJWT has no cache)
#  p3  wrk -> nginx auth_request -> gunicorn, one token
#  t1  wrk -> nginx auth_request -> token-verify, one token (warm cache),
#      with metrics (SANDGATE_METRICS_DIR) and the audit trail on
#  t2  wrk -> nginx auth_request -> token-verify, a new token per request
#      (cold: an ECDSA verification and a Redis session lookup each)
#  t3  t1 with metrics and the audit trail off: what operations cost
#
# gunicorn runs as many sync workers as token-verify has processes
# (WORKERS, 2 as run.sh deploys).  token-verify does more per request
# than the reference (route check, revocation lookup in Redis, a log
# line, metrics, an audit entry): see bench/pyref/app.py.
#
#   bench/python-ref.sh            (SG_BUILD=build dir, default repo root)
#   DURATION=8 WORKERS=2 CONNS=32 NTOK=20000 ROUNDS=3 bench/python-ref.sh
#
# Writes bench/results/python-ref.json and prints a table.  Needs the
# Debian packages python3-flask, python3-jwt and gunicorn, and wrk.
_build=${SG_BUILD:-}
. "$(dirname "$0")/../tests/integration/lib.sh"
SG_TOP=$(cd "$(dirname "$0")/.." && pwd)
SG_BUILD=${_build:-$SG_TOP}
SG_DATA=$SG_TOP/tests/data

DURATION=${DURATION:-8}
CONNS=${CONNS:-32}
THREADS=${THREADS:-2}
WORKERS=${WORKERS:-2}
NTOK=${NTOK:-20000}
ROUNDS=${ROUNDS:-3}
[ "$DURATION" -le 60 ] || DURATION=60
[ "$NTOK" -le 100000 ] || NTOK=100000
# Debian's interpreter, where python3-flask and python3-jwt live.
PY=/usr/bin/python3

sg_setup
VERIFY=$SG_BUILD/services/token-verify/token-verify
MINT=$SG_BUILD/services/token-verify/tv-mint
for b in "$VERIFY" "$MINT"; do
	[ -x "$b" ] || { echo "missing $b (build first)" >&2; exit 1; }
done
for c in wrk gunicorn nginx redis-cli; do
	command -v $c >/dev/null || { echo "missing $c" >&2; exit 1; }
done
"$PY" -c 'import flask, jwt, cryptography' 2>/dev/null ||
    { echo "missing python3-flask / python3-jwt" >&2; exit 1; }
OUT=$SG_TOP/bench/results
mkdir -p "$OUT"

ISS=https://sandgate.bench
KEY=$SG_DATA/test-key-1.pem
ORG=3f2504e0-4f89-41d3-9a0c-0305e82c3301
CID=sandbox_PYREFAAAAAAAAAAAAAAAAA

sg_start_redis
GPORT=$(sg_free_port)	# gunicorn
VPORT=$(sg_free_port)	# token-verify, operations on
VPORT2=$(sg_free_port)	# token-verify, operations off
NPORT=$(sg_free_port)	# nginx -> gunicorn
NPORT2=$(sg_free_port)	# nginx -> token-verify (on)
NPORT3=$(sg_free_port)	# nginx -> token-verify (off)

# ---- tokens and sessions -----------------------------------------------------
openssl pkey -in "$KEY" -pubout -out "$T/public.pem" 2>/dev/null
mkdir -p "$T/keys" "$T/metrics"
"$MINT" jwks "$KEY" >"$T/keys/verify.json"
set -- $("$MINT" container "$KEY" "$ISS" bench_user $CID "$ORG" \
    "127.0.0.1:443" true 3600)
TOK=$1
echo "$TOK $2 $3 $CID" >"$T/one.txt"
echo "minting $NTOK container tokens and their sessions ..."
"$MINT" container "$KEY" "$ISS" bench_user sandbox_PYREF "$ORG" \
    "127.0.0.1:443" true 3600 0 "$NTOK" >"$T/tokens.txt"
# SET sandgate:session:<cid> <the contract's JSON> EX <ttl>, as RESP
cat >"$T/sessions.py" <<'EOF'
import hashlib, json, sys, time
org = sys.argv[1]
now = int(time.time())
out = sys.stdout.buffer
def cmd(*a):
    out.write(b"*%d\r\n" % len(a))
    for x in a:
        x = x.encode()
        out.write(b"$%d\r\n%s\r\n" % (len(x), x))
for line in sys.stdin:
    if not line.strip():
        continue
    tok, jti, exp, cid = line.split()
    s = {"container_id": cid, "user_id": "bench_user",
         "organization_uuid": org, "jti": jti,
         "token_sha256": hashlib.sha256(tok.encode()).hexdigest(),
         "allowed_hosts": ["127.0.0.1:443"], "container_ip": "127.0.0.1",
         "docker_id": "", "image": "sandgate-sandbox:latest",
         "created_at": now, "expires_at": int(exp)}
    cmd("SET", "sandgate:session:" + cid,
        json.dumps(s, separators=(",", ":")), "EX", str(int(exp) - now))
EOF
cat "$T/one.txt" "$T/tokens.txt" | "$PY" "$T/sessions.py" "$ORG" \
    >"$T/sessions.resp"
redis-cli -s "$REDIS_SOCK" --pipe <"$T/sessions.resp" >/dev/null

# ---- the reference: gunicorn + Flask + PyJWT ---------------------------------
PYREF_PUBLIC_KEY=$T/public.pem PYREF_ISSUER=$ISS \
    gunicorn --workers "$WORKERS" --bind "127.0.0.1:$GPORT" \
    --chdir "$SG_TOP/bench/pyref" --pid "$T/gunicorn.pid" app:app \
    >>"$T/gunicorn.log" 2>&1 &
sg_track_pid $!
sg_wait_tcp 127.0.0.1 $GPORT 20

# ---- token-verify, two pools (operations on / off) ---------------------------
export SANDGATE_ISSUER=$ISS
export SANDGATE_VERIFY_KEYS=$T/keys/verify.json
export SANDGATE_REDIS=unix:$REDIS_SOCK
unset SANDGATE_SOCKET
spawn() { sg_spawn_procs "$1" "$2" "$VERIFY" "$WORKERS"; }
SANDGATE_METRICS_DIR=$T/metrics SANDGATE_AUDIT_MAXLEN=100000 \
    spawn verify-ops "$VPORT"
SANDGATE_METRICS_DIR= SANDGATE_AUDIT_MAXLEN=0 spawn verify-noops "$VPORT2"

# ---- nginx -----------------------------------------------------------------------
N=$T/nginx
mkdir -p "$N/tmp" "$N/www"
printf 'ok\n' >"$N/www/ok.txt"
chown -R www-data:www-data "$N/tmp"
chmod -R a+rX "$N/www"
fcgi_auth()
{
	cat <<EOF
		location /v1/ {
			auth_request /_auth;
			try_files /ok.txt =404;
		}
		location = /_auth {
			internal;
			fastcgi_pass_request_body off;
			fastcgi_keep_conn on;
			fastcgi_param CONTENT_LENGTH "";
			fastcgi_param REQUEST_URI \$request_uri;
			fastcgi_param REQUEST_METHOD \$request_method;
			fastcgi_param SCRIPT_NAME \$fastcgi_script_name;
			fastcgi_param HTTP_AUTHORIZATION \$http_authorization;
			fastcgi_param HTTP_X_CONTAINER_ID \$http_x_container_id;
			fastcgi_pass $1;
		}
EOF
}
cat >"$N/nginx.conf" <<EOF
user www-data;
worker_processes 1;
pid $N/nginx.pid;
error_log $T/nginx.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $N/tmp/body;
	proxy_temp_path $N/tmp/proxy;
	fastcgi_temp_path $N/tmp/fastcgi;
	uwsgi_temp_path $N/tmp/uwsgi;
	scgi_temp_path $N/tmp/scgi;
	upstream verify_ops   { server 127.0.0.1:$VPORT; keepalive 32; }
	upstream verify_noops { server 127.0.0.1:$VPORT2; keepalive 32; }
	server {
		listen 127.0.0.1:$NPORT;
		root $N/www;
		location /v1/ {
			auth_request /_auth;
			try_files /ok.txt =404;
		}
		location = /_auth {
			internal;
			proxy_pass_request_body off;
			proxy_set_header Content-Length "";
			proxy_pass http://127.0.0.1:$GPORT\$request_uri;
		}
	}
	server {
		listen 127.0.0.1:$NPORT2;
		root $N/www;
$(fcgi_auth verify_ops)
	}
	server {
		listen 127.0.0.1:$NPORT3;
		root $N/www;
$(fcgi_auth verify_noops)
	}
}
EOF
nginx -c "$N/nginx.conf" -p "$N" -g 'daemon off;' 2>>"$T/nginx.log" &
sg_track_pid $!
sg_wait_tcp 127.0.0.1 $NPORT
sg_wait_tcp 127.0.0.1 $NPORT2
sg_wait_tcp 127.0.0.1 $NPORT3

# ---- wrk scripts ---------------------------------------------------------------
cat >"$T/one.lua" <<EOF
wrk.path = "/v1/sessions/$CID"
wrk.headers["Authorization"] = "Bearer $TOK"
wrk.headers["X-Container-ID"] = "$CID"
EOF
cat >"$T/rotate.lua" <<EOF
local toks, cids = {}, {}
for line in io.lines("$T/tokens.txt") do
	local t, _, _, c = line:match("(%S+) (%S+) (%S+) (%S+)")
	toks[#toks + 1] = t
	cids[#cids + 1] = c
end
local n, i = #toks, 0
function setup(thread)
	thread:set("start", math.random(n))
end
function init(args)
	i = start
end
function request()
	i = i % n + 1
	return wrk.format("GET", "/v1/sessions/" .. cids[i], {
	    ["Authorization"] = "Bearer " .. toks[i],
	    ["X-Container-ID"] = cids[i] })
end
EOF

# ---- sanity: the same answers from both ------------------------------------------
st()
{
	curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@" || true
}
want()
{
	[ "$1" = "$2" ] || { echo "setup check failed: $3: $2, want $1" >&2; exit 1; }
}
U=/v1/sessions/$CID
G=http://127.0.0.1:$GPORT
for base in "http://127.0.0.1:$NPORT2" "http://127.0.0.1:$NPORT3"; do
	want 200 "$(st -H "Authorization: Bearer $TOK" -H "X-Container-ID: $CID" "$base$U")" "token-verify allow"
	want 401 "$(st -H "Authorization: Bearer x.y.z" -H "X-Container-ID: $CID" "$base$U")" "token-verify bad token"
	want 403 "$(st -H "Authorization: Bearer $TOK" -H "X-Container-ID: sandbox_other" "$base$U")" "token-verify binding"
done
want 204 "$(st -H "Authorization: Bearer $TOK" -H "X-Container-ID: $CID" "$G$U")" "reference allow"
want 401 "$(st -H "Authorization: Bearer x.y.z" -H "X-Container-ID: $CID" "$G$U")" "reference bad token"
want 401 "$(st -H "X-Container-ID: $CID" "$G$U")" "reference no token"
want 403 "$(st -H "Authorization: Bearer $TOK" -H "X-Container-ID: sandbox_other" "$G$U")" "reference binding"
want 200 "$(st -H "Authorization: Bearer $TOK" -H "X-Container-ID: $CID" "http://127.0.0.1:$NPORT$U")" "nginx -> reference"
set -- $(sed -n 1p "$T/tokens.txt")
want 200 "$(st -H "Authorization: Bearer $1" -H "X-Container-ID: $4" "http://127.0.0.1:$NPORT2/v1/sessions/$4")" "token-verify cold token"
want 204 "$(st -H "Authorization: Bearer $1" -H "X-Container-ID: $4" "$G/v1/sessions/$4")" "reference cold token"

# ---- runs -----------------------------------------------------------------------------
run()
{
	_name=$1 _url=$2
	shift 2
	echo "wrk $_name ($DURATION s) ..."
	wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency "$@" "$_url" \
	    >"$T/$_name.txt" 2>&1
}
warm()
{
	wrk -t1 -c4 -d1s "$@" >/dev/null 2>&1 || true
}
warm -s "$T/one.lua" "$G/"
run p1 "$G/" -s "$T/one.lua"
run p2 "$G/" -s "$T/rotate.lua"
warm -s "$T/one.lua" "http://127.0.0.1:$NPORT/"
run p3 "http://127.0.0.1:$NPORT/" -s "$T/one.lua"
warm -s "$T/one.lua" "http://127.0.0.1:$NPORT2/"
warm -s "$T/one.lua" "http://127.0.0.1:$NPORT3/"
# t1 and t3 alternate, ROUNDS times each, and the median is kept: on a
# shared machine a single pair is within the noise of each other.
r=1
while [ $r -le "$ROUNDS" ]; do
	run "t1_$r" "http://127.0.0.1:$NPORT2/" -s "$T/one.lua"
	run "t3_$r" "http://127.0.0.1:$NPORT3/" -s "$T/one.lua"
	r=$((r + 1))
done
run t2 "http://127.0.0.1:$NPORT2/" -s "$T/rotate.lua"
AUDIT_LEN=$(sg_redis XLEN sandgate:audit)

LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
VERS=$("$PY" -c 'import flask, jwt, cryptography, platform; print("python %s, flask %s, pyjwt %s, cryptography %s" % (platform.python_version(), flask.__version__, jwt.__version__, cryptography.__version__))')
GVER=$(gunicorn --version 2>&1 | head -n 1)
python3 - "$T" "$OUT/python-ref.json" "$WORKERS" "$DURATION" "$CONNS" \
    "$THREADS" "$NTOK" "$LOAD" "$VERS" "$GVER" "$AUDIT_LEN" "$ROUNDS" <<'EOF'
import json, re, sys, time
t, out, workers, dur, conns, threads, ntok, load, vers, gver, alen, rounds = sys.argv[1:13]
desc = {
    "p1": "Python reference: gunicorn + Flask + PyJWT, one token",
    "p2": "Python reference: gunicorn + Flask + PyJWT, a new token per request",
    "p3": "nginx auth_request -> Python reference, one token",
    "t1": "nginx auth_request -> token-verify, one token (warm), metrics + audit on",
    "t2": "nginx auth_request -> token-verify, a new token per request (cold)",
    "t3": "nginx auth_request -> token-verify, one token (warm), metrics + audit off",
}
def ms(v):
    m = re.match(r"([0-9.]+)(us|ms|s)$", v or "")
    if not m:
        return None
    x = float(m.group(1))
    return round({"us": x / 1000, "ms": x, "s": x * 1000}[m.group(2)], 3)
def parse(k):
    txt = open("%s/%s.txt" % (t, k)).read()
    rps = re.search(r"^Requests/sec:\s+([0-9.]+)", txt, re.M)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", txt)
    err = re.search(r"Socket errors:.*", txt)
    p50 = re.search(r"^\s+50%\s+(\S+)", txt, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", txt, re.M)
    return {"what": desc[k[:2]], "rps": float(rps.group(1)) if rps else 0.0,
            "non_2xx": int(bad.group(1)) if bad else 0,
            "socket_errors": err.group(0) if err else "",
            "p50_ms": ms(p50.group(1) if p50 else ""),
            "p99_ms": ms(p99.group(1) if p99 else "")}
runs = {}
for k in desc:
    if k in ("t1", "t3"):
        rs = sorted((parse("%s_%d" % (k, i)) for i in range(1, int(rounds) + 1)),
                    key=lambda r: r["rps"])
        runs[k] = dict(rs[len(rs) // 2])
        runs[k]["rounds_rps"] = [r["rps"] for r in rs]
        runs[k]["what"] += " (median of %d)" % len(rs)
    else:
        runs[k] = parse(k)
ratio = lambda a, b: round(a / b, 3) if b else 0.0
res = {
    "benchmark": "python-ref",
    "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    "workers_each": int(workers), "duration_s": int(dur),
    "connections": int(conns), "wrk_threads": int(threads),
    "cold_tokens": int(ntok), "reference": vers, "gunicorn": gver,
    "gunicorn_worker_class": "sync",
    "runs": runs,
    "warm_tv_over_python_direct": ratio(runs["t1"]["rps"], runs["p1"]["rps"]),
    "warm_tv_over_python_nginx": ratio(runs["t1"]["rps"], runs["p3"]["rps"]),
    "cold_tv_over_python_direct": ratio(runs["t2"]["rps"], runs["p2"]["rps"]),
    "ops_on_over_off": ratio(runs["t1"]["rps"], runs["t3"]["rps"]),
    "audit_entries_written": int(alen or 0),
    "loadavg_after": load,
}
json.dump(res, open(out, "w"), indent=2)
print()
print("%-4s %-76s %9s %9s %9s %6s" % ("run", "what", "req/s", "p50 ms", "p99 ms", "non2xx"))
for k, r in runs.items():
    print("%-4s %-76s %9.0f %9s %9s %6d" % (k, r["what"], r["rps"], r["p50_ms"], r["p99_ms"], r["non_2xx"]))
print()
print("token-verify warm / Python direct = %.2f; / Python behind nginx = %.2f; cold / cold = %.2f"
      % (res["warm_tv_over_python_direct"], res["warm_tv_over_python_nginx"], res["cold_tv_over_python_direct"]))
print("metrics + audit on / off = %.3f (%d audit entries written)" % (res["ops_on_over_off"], res["audit_entries_written"]))
print("%s; %s; load average after: %s" % (vers, gver, load))
print("results: %s" % out)
EOF
