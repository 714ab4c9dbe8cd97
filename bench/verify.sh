#!/bin/sh
# SPDX-License-Identifier: ISC
# token-verify throughput on loopback (issue 4, "Speed"), one run, bounded:
#
#  (a) nginx auth_request -> bench/trivial_authz (always 200): the ceiling
#  (b) nginx auth_request -> token-verify, one valid operator token
#      (warm: every request after the first is a cache hit)
#  (c) nginx auth_request -> token-verify, a different valid token per
#      request (cold: more distinct tokens than the caches hold, cycled,
#      so every request pays an ECDSA verification)
#  (d) Apache forward proxy, GET through it with no authorization
#  (e) the same proxy with token-verify (egress mode, session in Redis)
#      through mod_authnz_fcgi (TCP, a new connection per request)
#  (f) the same through mod_sandgate_authz (unix socket, kept
#      connections), when the build has it (deploy/apache); token-verify
#      holds up to 64 connections per process (SANDGATE_FCGI_CONNS)
#  (g) the same as f with SandgateAuthzVars Full: the module sends every
#      CGI variable (ap_add_common_vars, ap_add_cgi_vars), as
#      mod_authnz_fcgi does and the module did before Minimal, its
#      default (only what token-verify reads); same token-verify pool
#  (h) the same as f with SandgateDecisionCache 1024: the same request
#      again within what token-verify allows (SANDGATE_SESSION_CACHE_MS,
#      1000 here) is let through on the allow Apache kept; same pool
#  (i) h with a new URL on every request (a counter in the query): every
#      request misses the cache, so i is what the cache costs when it
#      never helps
#  d-i again at 1, 16 and 64 connections, interleaved (PCONNS),
#  each with the CPU it cost per request by process (Apache,
#  token-verify, Redis, nginx), read from /proc around the run
#
# Targets: b >= 0.8 a;  c >= 0.8 x (openssl speed ecdsap256 verify/s) x
# token-verify worker processes;  e >= 0.7 d.
#
#   bench/verify.sh                 (SG_BUILD=build dir, default repo root)
#   DURATION=8 WORKERS=2 CONNS=32 bench/verify.sh
#   FCONNS=8 bench/verify.sh        f's token-verify holds 8 connections
#
# Writes bench/results/verify.json and prints a table.  Not a test: the
# figures depend on the machine (nginx, wrk, Apache and the workers share
# its CPUs).
_build=${SG_BUILD:-}
. "$(dirname "$0")/../tests/integration/lib.sh"
# lib.sh finds the tree from its caller's path, two levels up; we are one.
SG_TOP=$(cd "$(dirname "$0")/.." && pwd)
SG_BUILD=${_build:-$SG_TOP}
SG_DATA=$SG_TOP/tests/data

NCPU=$(nproc)
DURATION=${DURATION:-8}
CONNS=${CONNS:-32}
THREADS=${THREADS:-2}
# Authorizer processes per pool: 2, as run.sh deploys them (SG_PROCS).
# A FastCGI worker spends most of a request waiting on its socket, so
# the pool is sized for concurrency, not for CPUs.
WORKERS=${WORKERS:-2}
NTOK=${NTOK:-40000}
[ "$DURATION" -le 60 ] || DURATION=60

sg_setup
VERIFY=$SG_BUILD/services/token-verify/token-verify
MINT=$SG_BUILD/services/token-verify/tv-mint
TRIVIAL=$SG_BUILD/bench/trivial_authz
for b in "$VERIFY" "$MINT" "$TRIVIAL" "$SG_BUILD/bench/verify_decide"; do
	[ -x "$b" ] || { echo "missing $b (build first)" >&2; exit 1; }
done
OUT=$SG_TOP/bench/results
mkdir -p "$OUT"

ISS=https://sandgate.bench
KEY=$SG_DATA/test-key-1.pem
ORG=3f2504e0-4f89-41d3-9a0c-0305e82c3301
CID=sandbox_BENCHAAAAAAAAAAAAAAAAA

echo "openssl speed ecdsap256 (3 s) ..."
OSSL=$(openssl speed -seconds 3 ecdsap256 2>/dev/null |
    awk '/ecdsa \(nistp256\)/ { print $NF }')

sg_start_redis
echo "in-process decision cost (verify_decide, CPU time) ..."
DECIDE=$("$SG_BUILD/bench/verify_decide" "$KEY" 20000 \
    "unix:$REDIS_SOCK" 2>/dev/null || echo '{}')
APORT=$(sg_free_port)	# trivial authorizer
VPORT=$(sg_free_port)	# token-verify (api, nginx)
EPORT=$(sg_free_port)	# token-verify (egress, Apache)
NPORT=$(sg_free_port)	# nginx: ceiling
NPORT2=$(sg_free_port)	# nginx: token-verify
TPORT=$(sg_free_port)	# nginx: static target of the proxy
PPORT=$(sg_free_port)	# Apache, no auth
PPORT2=$(sg_free_port)	# Apache, token-verify
PPORT3=$(sg_free_port)	# Apache, mod_sandgate_authz -> token-verify
PPORT4=$(sg_free_port)	# the same, SandgateAuthzVars Full
PPORT5=$(sg_free_port)	# the same, SandgateDecisionCache

mkdir -p "$T/keys"
"$MINT" jwks "$KEY" >"$T/keys/verify.json"
export SANDGATE_ISSUER=$ISS
export SANDGATE_VERIFY_KEYS=$T/keys/verify.json
export SANDGATE_REDIS=unix:$REDIS_SOCK
export SANDGATE_EGRESS_DENY_PRIVATE=0
unset SANDGATE_SOCKET

# spawn NAME PORT BINARY: WORKERS processes on one socket (spawn-fcgi).
# spawn-fcgi points the children's stderr at /dev/null; the decision log
# is part of the cost, so it goes to a file as in a deployment.
spawn()
{
	sg_spawn_procs "$1" "$2" "$3" "$WORKERS"
}
spawn trivial $APORT "$TRIVIAL"
# token-verify (egress) on a unix socket for mod_sandgate_authz (f):
# owned by the web server's user, mode 0600, as deployed.
SGAMOD=${SGAMOD:-$SG_BUILD/deploy/apache/mod_sandgate_authz.so}
ESOCK=$T/verify-egress.sock
if [ -f "$SGAMOD" ]; then
	# FCONNS: f's SANDGATE_FCGI_CONNS (default: token-verify's, 64)
	${FCONNS:+env SANDGATE_FCGI_CONNS=$FCONNS} spawn-fcgi -s "$ESOCK" \
	    -M 0600 -U www-data -G www-data -F "$WORKERS" \
	    -P "$T/verify-unix.pid" -- /bin/sh -c 'exec "$0" 2>>"$1"' \
	    "$VERIFY" "$T/verify-unix.log" >/dev/null
	for p in $(cat "$T/verify-unix.pid"); do
		sg_track_pid "$p"
	done
fi
spawn verify $VPORT "$VERIFY"
spawn verify-egress $EPORT "$VERIFY"

echo "minting $NTOK tokens ..."
OPTOK=$("$MINT" operator "$KEY" "$ISS" bench sessions:read 3600 | cut -d' ' -f1)
"$MINT" operator "$KEY" "$ISS" bench sessions:read 3600 0 "$NTOK" |
    cut -d' ' -f1 >"$T/tokens.txt"
set -- $("$MINT" container "$KEY" "$ISS" bench_user $CID "$ORG" \
    "127.0.0.1:$TPORT" false 3600)
CTOK=$1
NOW=$(date +%s)
sg_redis SET "sandgate:session:$CID" "$(printf '{"container_id":"%s","user_id":"bench_user","organization_uuid":"%s","jti":"%s","token_sha256":"%s","allowed_hosts":["127.0.0.1:%s"],"container_ip":"127.0.0.1","docker_id":"","image":"sandgate-sandbox:latest","created_at":%s,"expires_at":%s}' \
    $CID "$ORG" "$2" "$(printf '%s' "$CTOK" | sha256sum | cut -d' ' -f1)" \
    $TPORT $NOW "$3")" EX 3600 >/dev/null

# ---- nginx ------------------------------------------------------------------
N=$T/nginx
mkdir -p "$N/tmp" "$N/www"
printf 'ok\n' >"$N/www/ok.txt"
# 64 MB for the bytes/s inside a CONNECT tunnel
head -c 67108864 /dev/zero >"$N/www/big.bin"
chown -R www-data:www-data "$N/tmp"
chmod -R a+rX "$N/www"
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
	upstream trivial { server 127.0.0.1:$APORT; keepalive 32; }
	upstream verify  { server 127.0.0.1:$VPORT; keepalive 32; }
	server {
		listen 127.0.0.1:$NPORT;
		root $N/www;
		location /v1/ {
			auth_request /_auth;
			auth_request_set \$sg_sub \$upstream_http_x_sg_sub;
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
			fastcgi_pass trivial;
		}
	}
	server {
		listen 127.0.0.1:$NPORT2;
		root $N/www;
		location /v1/ {
			auth_request /_auth;
			auth_request_set \$sg_sub \$upstream_http_x_sg_sub;
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
			fastcgi_pass verify;
		}
		location = /healthz/token-verify {
			fastcgi_param REQUEST_URI \$request_uri;
			fastcgi_param REQUEST_METHOD \$request_method;
			fastcgi_param SCRIPT_NAME \$fastcgi_script_name;
			fastcgi_pass verify;
		}
	}
	server {
		listen 127.0.0.1:$TPORT;
		root $N/www;
		location = /big.bin { }
		location / { try_files /ok.txt =404; }
	}
}
EOF
nginx -c "$N/nginx.conf" -p "$N" -g 'daemon off;' 2>>"$T/nginx.log" &
sg_track_pid $!
sg_wait_tcp 127.0.0.1 $NPORT
sg_wait_tcp 127.0.0.1 $NPORT2
sg_wait_tcp 127.0.0.1 $TPORT

# ---- Apache: the same forward proxy without and with token-verify ---------
A=$T/apache
mkdir -p "$A"
sg_apache_head "$A" proxy_connect >"$A/httpd.conf"
cat >>"$A/httpd.conf" <<EOF
Listen 127.0.0.1:$PPORT
Listen 127.0.0.1:$PPORT2
AuthnzFcgiDefineProvider authn sg_egress fcgi://127.0.0.1:$EPORT/
<VirtualHost 127.0.0.1:$PPORT>
  ProxyRequests On
  ProxyVia Off
  AllowCONNECT $TPORT
  <Proxy "*">
    Require all granted
  </Proxy>
</VirtualHost>
<VirtualHost 127.0.0.1:$PPORT2>
  ProxyRequests On
  ProxyVia Off
  AllowCONNECT $TPORT
  <Proxy "*">
    AuthType SandgateToken
    AuthName sandgate
    AuthnzFcgiCheckAuthnProvider sg_egress Authoritative On RequireBasicAuth Off UserExpr "%{reqenv:SG_CONTAINER_ID}"
    Require valid-user
    CGIPassAuth On
  </Proxy>
</VirtualHost>
EOF
# modvhost PORT [DIRECTIVE]: a vhost of the module on ESOCK
modvhost()
{
	cat <<EOF
Listen 127.0.0.1:$1
<VirtualHost 127.0.0.1:$1>
  ProxyRequests On
  ProxyVia Off
  AllowCONNECT $TPORT
  <Proxy "*">
    AuthType SandgateToken
    AuthName sandgate
    SandgateAuthz unix:$ESOCK
    ${2:-}
    Require valid-user
  </Proxy>
</VirtualHost>
EOF
}
if [ -f "$SGAMOD" ]; then
	{
		echo "LoadModule sandgate_authz_module $SGAMOD"
		modvhost $PPORT3
		modvhost $PPORT4 "SandgateAuthzVars Full"
		modvhost $PPORT5 "SandgateDecisionCache 1024"
	} >>"$A/httpd.conf"
fi
apache2 -f "$A/httpd.conf" -DFOREGROUND 2>>"$T/apache-error.log" &
sg_track_pid $!
sg_wait_tcp 127.0.0.1 $PPORT
sg_wait_tcp 127.0.0.1 $PPORT2

# ---- wrk scripts ------------------------------------------------------------
cat >"$T/one.lua" <<EOF
wrk.headers["Authorization"] = "Bearer $OPTOK"
EOF
cat >"$T/rotate.lua" <<EOF
local toks = {}
for line in io.lines("$T/tokens.txt") do toks[#toks + 1] = line end
local n, i = #toks, 0
function setup(thread)
	-- threads start far apart in the list
	thread:set("start", math.random(n))
end
function init(args)
	i = start
end
function request()
	i = i % n + 1
	return wrk.format("GET", nil, { ["Authorization"] = "Bearer " .. toks[i] })
end
EOF
PA="Basic $(printf 'container_%s:jwt_%s' $CID "$CTOK" | base64 -w0)"
cat >"$T/proxy.lua" <<EOF
wrk.path = "http://127.0.0.1:$TPORT/ok.txt"
wrk.headers["Host"] = "127.0.0.1:$TPORT"
EOF
cat >"$T/proxy-auth.lua" <<EOF
wrk.path = "http://127.0.0.1:$TPORT/ok.txt"
wrk.headers["Host"] = "127.0.0.1:$TPORT"
wrk.headers["Proxy-Authorization"] = "$PA"
EOF
# i: a URL never asked before on every request (per thread, a counter)
cat >"$T/proxy-auth-new.lua" <<EOF
local n = 0
function setup(thread)
	thread:set("tag", tostring(math.random(1000000000)))
end
function request()
	n = n + 1
	return wrk.format("GET", "http://127.0.0.1:$TPORT/ok.txt?" .. tag ..
	    "-" .. n, { ["Host"] = "127.0.0.1:$TPORT",
	    ["Proxy-Authorization"] = "$PA" })
end
EOF

# sanity: each setup answers 200 before it is measured
chk()
{
	c=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@" || true)
	[ "$c" = 200 ] || { echo "setup check failed ($c): $*" >&2; exit 1; }
}
chk "http://127.0.0.1:$NPORT/v1/sessions/$CID"
chk -H "Authorization: Bearer $OPTOK" "http://127.0.0.1:$NPORT2/v1/sessions/$CID"
chk -H "Authorization: Bearer $(head -n 1 "$T/tokens.txt")" \
    "http://127.0.0.1:$NPORT2/v1/sessions/$CID"
chk -x "http://127.0.0.1:$PPORT" "http://127.0.0.1:$TPORT/ok.txt"
chk -x "http://127.0.0.1:$PPORT2" -H "Proxy-Authorization: $PA" \
    "http://127.0.0.1:$TPORT/ok.txt"
if [ -f "$SGAMOD" ]; then
	sg_wait_tcp 127.0.0.1 $PPORT3
	chk -x "http://127.0.0.1:$PPORT3" -H "Proxy-Authorization: $PA" \
	    "http://127.0.0.1:$TPORT/ok.txt"
	sg_wait_tcp 127.0.0.1 $PPORT4
	chk -x "http://127.0.0.1:$PPORT4" -H "Proxy-Authorization: $PA" \
	    "http://127.0.0.1:$TPORT/ok.txt"
	sg_wait_tcp 127.0.0.1 $PPORT5
	chk -x "http://127.0.0.1:$PPORT5" -H "Proxy-Authorization: $PA" \
	    "http://127.0.0.1:$TPORT/ok.txt"
	c=$(curl -s -o /dev/null -w '%{http_code}' -x "http://127.0.0.1:$PPORT5" \
	    -H "Proxy-Authorization: Basic eDp5" "http://127.0.0.1:$TPORT/ok.txt")
	[ "$c" = 407 ] || { echo "the decision cache does not deny ($c)" >&2; exit 1; }
	c=$(curl -s -o /dev/null -w '%{http_code}' -x "http://127.0.0.1:$PPORT3" \
	    "http://127.0.0.1:$TPORT/ok.txt")
	[ "$c" = 407 ] || { echo "mod_sandgate_authz does not deny ($c)" >&2; exit 1; }
fi
c=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer x.y.z" \
    "http://127.0.0.1:$NPORT2/v1/sessions/$CID")
[ "$c" = 401 ] || { echo "token-verify does not deny ($c)" >&2; exit 1; }

# CPU time by process name (clock ticks, user + system, every process
# on the machine) into a JSON file: cpu FILE.  run takes one before and
# one after wrk, so the report can say where a request's CPU went
# (Apache, token-verify, Redis, nginx); wrk itself exits in between and
# is not counted.  Only a quiet machine gives a clean split.
cat >"$T/cpu.py" <<'PY'
import glob, json, sys
t = {}
for f in glob.glob("/proc/[0-9]*/stat"):
    try:
        s = open(f).read()
    except OSError:
        continue
    comm = s[s.index("(") + 1:s.rindex(")")]
    v = s[s.rindex(")") + 2:].split()
    t[comm] = t.get(comm, 0) + int(v[11]) + int(v[12])
json.dump(t, open(sys.argv[1], "w"))
PY
cpu() { python3 "$T/cpu.py" "$1" 2>/dev/null || echo '{}' >"$1"; }

# run NAME URL [wrk args]: requests/s into $T/NAME.rps, the rest in .txt
run()
{
	_name=$1 _url=$2
	shift 2
	echo "wrk $_name ($DURATION s) ..."
	cpu "$T/$_name.cpu0"
	wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency "$@" "$_url" \
	    >"$T/$_name.txt" 2>&1
	cpu "$T/$_name.cpu1"
	awk '/^[ 0-9]+ requests in/ { print $1 }' "$T/$_name.txt" >"$T/$_name.n"
	awk '/^Requests\/sec:/ { print $2 }' "$T/$_name.txt" >"$T/$_name.rps"
	_bad=$(awk '/Non-2xx or 3xx/ { print $NF }' "$T/$_name.txt")
	echo "${_bad:-0}" >"$T/$_name.bad"
	awk '$1 == "50%" { print $2 }' "$T/$_name.txt" >"$T/$_name.p50"
	awk '$1 == "99%" { print $2 }' "$T/$_name.txt" >"$T/$_name.p99"
}
U=/v1/sessions/$CID
# short warm-ups so no run starts cold by accident (except c, on purpose
# cold: its tokens are never seen before they are measured... except by
# the one sanity request above)
wrk -t1 -c4 -d1s "http://127.0.0.1:$NPORT$U" >/dev/null 2>&1
wrk -t1 -c4 -d1s -s "$T/one.lua" "http://127.0.0.1:$NPORT2$U" >/dev/null 2>&1
run a "http://127.0.0.1:$NPORT$U"
run b "http://127.0.0.1:$NPORT2$U" -s "$T/one.lua"
run c "http://127.0.0.1:$NPORT2$U" -s "$T/rotate.lua"
STATS=$(curl -s --max-time 5 "http://127.0.0.1:$NPORT2/healthz/token-verify" || true)
wrk -t1 -c4 -d1s -s "$T/proxy.lua" "http://127.0.0.1:$PPORT/" >/dev/null 2>&1
wrk -t1 -c4 -d1s -s "$T/proxy-auth.lua" "http://127.0.0.1:$PPORT2/" >/dev/null 2>&1
run d "http://127.0.0.1:$PPORT/" -s "$T/proxy.lua"
run e "http://127.0.0.1:$PPORT2/" -s "$T/proxy-auth.lua"
# The proxy side by side at 1, 16 and 64 connections, interleaved (d, e,
# f at one concurrency, then the next) so that a neighbour's load on a
# shared machine falls on all three alike.
PCONNS=${PCONNS:-1 16 64}
_c0=$CONNS _t0=$THREADS
for n in $PCONNS; do
	CONNS=$n
	THREADS=$([ "$n" -lt 2 ] && echo 1 || echo "$_t0")
	run "d$n" "http://127.0.0.1:$PPORT/" -s "$T/proxy.lua"
	run "e$n" "http://127.0.0.1:$PPORT2/" -s "$T/proxy-auth.lua"
	if [ -f "$SGAMOD" ]; then
		run "f$n" "http://127.0.0.1:$PPORT3/" -s "$T/proxy-auth.lua"
		run "g$n" "http://127.0.0.1:$PPORT4/" -s "$T/proxy-auth.lua"
		run "h$n" "http://127.0.0.1:$PPORT5/" -s "$T/proxy-auth.lua"
		run "i$n" "http://127.0.0.1:$PPORT5/" -s \
		    "$T/proxy-auth-new.lua"
	fi
done
CONNS=$_c0 THREADS=$_t0
# CONNECT: new tunnels per second (16 clients, each opening and closing
# tunnels) and bytes/s inside one open tunnel, d, e, f, g interleaved.
for k in d e f g h; do
	case $k in
	d) _p=$PPORT _a="" ;;
	e) _p=$PPORT2 _a=$PA ;;
	f) [ -f "$SGAMOD" ] || continue
	   _p=$PPORT3 _a=$PA ;;
	g) [ -f "$SGAMOD" ] || continue
	   _p=$PPORT4 _a=$PA ;;
	h) [ -f "$SGAMOD" ] || continue
	   _p=$PPORT5 _a=$PA ;;
	esac
	echo "connect $k ($DURATION s) ..."
	python3 "$SG_TOP/bench/connect.py" "$_p" "$TPORT" "$DURATION" 16 \
	    "$_a" /big.bin >"$T/conn-$k.json" 2>>"$T/connect.log" ||
	    echo '{}' >"$T/conn-$k.json"
done
# RSS of the egress workers (kB each) after the runs (f's and g's).
RSS=$(for f in "$T/verify-unix.pid"; do
	for p in $(cat "$f" 2>/dev/null); do
		awk '/^VmRSS/ { print $2 }' "/proc/$p/status"
	done
done | tr '\n' ' ')

LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
python3 - "$T" "$OUT/verify.json" "$OSSL" "$WORKERS" "$NCPU" "$DURATION" \
    "$CONNS" "$THREADS" "$NTOK" "$DECIDE" "$LOAD" "$PCONNS" "$RSS" \
    "$(getconf CLK_TCK)" <<'EOF'
import json, os, sys, time
t, out, ossl, workers, ncpu, dur, conns, threads, ntok = sys.argv[1:10]
decide = json.loads(sys.argv[10] or "{}")
load = sys.argv[11]
pconns = sys.argv[12].split()
rss = [int(x) for x in sys.argv[13].split()]
def f(name, ext):
    try:
        return open("%s/%s.%s" % (t, name, ext)).read().strip()
    except OSError:
        return ""
runs = {}
desc = {
    "a": "nginx auth_request -> trivial FastCGI authorizer (ceiling)",
    "b": "nginx auth_request -> token-verify, one token (warm cache)",
    "c": "nginx auth_request -> token-verify, a new token per request (cold)",
    "d": "Apache forward proxy GET, no authorization",
    "e": "Apache forward proxy GET through token-verify (egress)",
}
for k in "abcde":
    rps = f(k, "rps")
    runs[k] = {"what": desc[k], "rps": float(rps) if rps else 0.0,
               "non_2xx": int(f(k, "bad") or 0),
               "p50": f(k, "p50"), "p99": f(k, "p99")}
ossl = float(ossl or 0)
w = int(workers)
ratio = lambda x, y: round(x / y, 3) if y else 0.0
res = {
    "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    "cpus": int(ncpu), "verify_workers": w, "duration_s": int(dur),
    "connections": int(conns), "wrk_threads": int(threads),
    "cold_tokens": int(ntok),
    "openssl_ecdsap256_verify_per_s": ossl,
    "runs": runs,
    "b_over_a": ratio(runs["b"]["rps"], runs["a"]["rps"]),
    "c_over_ecdsa_x_workers": ratio(runs["c"]["rps"], ossl * w),
    "e_over_d": ratio(runs["e"]["rps"], runs["d"]["rps"]),
    "c_over_a": ratio(runs["c"]["rps"], runs["a"]["rps"]),
    "in_process": decide,
    "in_process_cold_over_ecdsa": ratio(decide.get("decide_cold_per_s", 0), ossl),
    "loadavg_after": load,
}
def ms(v):
    # wrk prints 1.23ms, 456.00us, 1.02s
    for suf, k in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if v.endswith(suf):
            try:
                return float(v[:-len(suf)]) * k
            except ValueError:
                return None
    return None
tck = int(sys.argv[14] or 100)
CPU_OF = ("apache2", "token-verify", "redis-server", "nginx")
def cpu_us(name):
    # CPU microseconds per request by process name, over one wrk run
    try:
        a = json.load(open("%s/%s.cpu0" % (t, name)))
        b = json.load(open("%s/%s.cpu1" % (t, name)))
        n = int(f(name, "n") or 0)
    except (OSError, ValueError):
        return None
    if n <= 0:
        return None
    return {k: round((b.get(k, 0) - a.get(k, 0)) * 1e6 / tck / n, 1)
            for k in CPU_OF}
proxy = {}
for n in pconns:
    row = {}
    for k in "defghi":
        rps = f(k + n, "rps")
        if not rps:
            continue
        row[k] = {"rps": float(rps), "non_2xx": int(f(k + n, "bad") or 0),
                  "p50": f(k + n, "p50"), "p99": f(k + n, "p99")}
        c = cpu_us(k + n)
        if c:
            row[k]["cpu_us_per_request"] = c
    for k in "efghi":
        if k in row and "d" in row:
            row[k + "_over_d"] = ratio(row[k]["rps"], row["d"]["rps"])
            for q in ("p50", "p99"):
                a, b = ms(row[k][q]), ms(row["d"][q])
                if a is not None and b is not None:
                    row[k + "_added_" + q + "_ms"] = round(a - b, 3)
    proxy[n] = row
res["proxy_by_connections"] = proxy
res["proxy_what"] = {
    "d": "Apache forward proxy, no authorization",
    "e": "mod_authnz_fcgi -> token-verify (TCP, a connection per request)",
    "f": "mod_sandgate_authz -> token-verify (unix socket, kept connections)",
    "g": "the same as f with SandgateAuthzVars Full (every CGI variable)",
    "h": "the same as f with SandgateDecisionCache 1024 (the same request)",
    "i": "h with a new URL per request (every request a cache miss)",
}
res["egress_worker_rss_kb"] = rss
conn = {}
for k in "defgh":
    try:
        conn[k] = json.load(open("%s/conn-%s.json" % (t, k)))
    except (OSError, ValueError):
        pass
for k in "efgh":
    if k in conn and conn.get("d", {}).get("tunnels_per_s"):
        conn[k + "_tunnels_over_d"] = ratio(conn[k].get("tunnels_per_s", 0),
                                            conn["d"]["tunnels_per_s"])
        conn[k + "_bytes_over_d"] = ratio(conn[k].get("tunnel_bytes_per_s", 0),
                                          conn["d"].get("tunnel_bytes_per_s", 0))
res["connect"] = conn
res["targets"] = {
    "b_over_a >= 0.8": res["b_over_a"] >= 0.8,
    "c >= 0.8 x ecdsa x workers": res["c_over_ecdsa_x_workers"] >= 0.8,
    "e_over_d >= 0.7": res["e_over_d"] >= 0.7,
}
json.dump(res, open(out, "w"), indent=2)
print()
print("%-4s %-68s %10s %8s %8s %6s" % ("run", "what", "req/s", "p50", "p99", "non2xx"))
for k in "abcde":
    r = runs[k]
    print("%-4s %-68s %10.0f %8s %8s %6d" % (k, r["what"], r["rps"], r["p50"], r["p99"], r["non_2xx"]))
print()
print("openssl ecdsap256 verify/s (1 core): %.0f; token-verify workers: %d; CPUs: %s" % (ossl, w, ncpu))
print("b/a = %.3f (target >= 0.8)   %s" % (res["b_over_a"], "met" if res["targets"]["b_over_a >= 0.8"] else "NOT met"))
print("c/(ecdsa x workers) = %.3f (target >= 0.8)   %s" % (res["c_over_ecdsa_x_workers"], "met" if res["targets"]["c >= 0.8 x ecdsa x workers"] else "NOT met"))
print("e/d = %.3f (target >= 0.7)   %s" % (res["e_over_d"], "met" if res["targets"]["e_over_d >= 0.7"] else "NOT met"))
print("c/a = %.3f (c can never pass the ceiling a on this machine)" % res["c_over_a"])
if decide:
    print("in process, per CPU-second: es256 %(es256_per_s)d, sg_token_verify %(jwt_per_s)d, "
          "cold decision %(decide_cold_per_s)d, warm decision %(decide_warm_per_s)d, "
          "warm handle+log %(handle_warm_per_s)d" % decide)
    print("in-process cold decision / openssl verify = %.3f (target >= 0.8)" % res["in_process_cold_over_ecdsa"])
print()
print("proxy GET by connections: req/s (ratio to d), added p50/p99 ms")
for n in pconns:
    row = proxy[n]
    cells = []
    for k in "defghi":
        if k in row:
            c = "%s %.0f" % (k, row[k]["rps"])
            if k != "d":
                c += " (%.2fx, +%s/+%s ms, %d non-2xx)" % (row.get(k + "_over_d", 0),
                    row.get(k + "_added_p50_ms"), row.get(k + "_added_p99_ms"),
                    row[k]["non_2xx"])
            cells.append(c)
    print("  %3s conns: %s" % (n, "   ".join(cells)))
    for k in "defghi":
        if k in row and row[k].get("cpu_us_per_request"):
            print("            %s CPU us/request: %s" % (k, ", ".join(
                "%s %.1f" % (p, row[k]["cpu_us_per_request"][p]) for p in CPU_OF)))
for k in "defgh":
    if k in conn:
        c = conn[k]
        print("CONNECT %s: %s tunnels/s (%s failed), %.0f MB/s inside one%s" % (k,
            c.get("tunnels_per_s"), c.get("failed"), c.get("tunnel_bytes_per_s", 0) / 1e6,
            "" if k == "d" else "  (%.2fx, %.2fx of d)" % (conn.get(k + "_tunnels_over_d", 0),
                                                       conn.get(k + "_bytes_over_d", 0))))
print("egress worker RSS (kB): %s" % (" ".join(str(x) for x in rss) or "n/a"))
print("load average after the runs: %s" % load)
print("results: %s" % out)
EOF
echo "token-verify (one worker's view after c): $STATS"
