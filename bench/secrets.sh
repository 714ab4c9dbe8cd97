#!/bin/sh
# SPDX-License-Identifier: ISC
# The secrets broker (issue 18, docs/secrets.md) against the plain egress
# proxy, in one run, on the stack of tests/integration/lib-secrets.sh: N
# GETs to the same TLS upstream, one at a time on one keep-alive
# connection each way:
#   broker  GET http://<proxy>/broker/EXAMPLE/x (Proxy-Authorization);
#           the broker decides, opens the secret and calls the upstream
#           over its own kept TLS connection
#   plain   one CONNECT tunnel through the proxy, TLS to the upstream
#           inside it, GET /x with the header set by the client
# then the same with a new connection per request (the plain path pays
# CONNECT, the decision and a TLS handshake every time).  Reports
# requests/s and p50/p99 of each and the ratios (goal >= 0.8x).
# Two more rows bound what any broker behind mod_proxy_fcgi can reach,
# one at a time on kept connections:
#   floor   the same broker path on a second Apache whose /broker/ goes
#           to bench/trivial_authz (a FastCGI responder that answers at
#           once): Apache and the FastCGI hop, nothing decided or sent
#   direct  GET /x straight to the upstream over TLS, no proxy: the
#           upstream's own time, which the broker pays on top of floor
# and one bounds a broker inside Apache (docs/secrets.md):
#   ceiling a third Apache whose /broker/EXAMPLE/ is its own reverse
#           proxy (mod_proxy_http, mod_ssl verifying the test CA, a kept
#           TLS connection upstream) with the header set by the site:
#           nothing decided, nothing opened
# and the broker inside Apache itself, in every row the broker has:
#   module  a fourth Apache with mod_sandgate_authz's SandgateBroker
#           (Define SG_BROKER_MODULE): secret-broker on a unix socket
#           decides as the location's authorizer (its allow kept for the
#           session-cache bound), the module calls the upstream
#
#   bench/secrets.sh           SG_BUILD=<build dir>, N=300 (requests),
#                              SG_BROKER_PROCS=4 (the broker's processes,
#                              as sandgate-secret-broker.service runs),
#                              SG_BROKER_UNIX=1 (Apache reaches the broker
#                              on a unix socket, Define SG_BROKER_SOCKET),
#                              SG_SESSION_CACHE_MS=0 (the tests' bound;
#                              the services' default is 1000)
#
# Writes bench/results/secrets.json.  Not a test: the figures depend on
# the machine.
. "$(dirname "$0")/../tests/integration/lib.sh"
SG_BROKER_PROCS=${SG_BROKER_PROCS:-4}
. "$SG_TOP/tests/integration/lib-secrets.sh"
N=${N:-300}
[ "$N" -le 5000 ] 2>/dev/null || N=5000
mkdir -p "$SG_TOP/bench/results"

# floor: a second Apache, the same site, /broker/ on trivial_authz
TRIVIAL=$SG_BUILD/bench/trivial_authz
[ -x "$TRIVIAL" ] || { echo "missing $TRIVIAL (make)" >&2; exit 1; }
TPORT=$(sg_free_port)
FPORT=$(sg_free_port)
sg_spawn_procs trivial $TPORT "$TRIVIAL" "$SG_BROKER_PROCS"
secrets_apache "$T/apache-floor" floor $FPORT $TPORT 443 || exit 1

# module: the broker inside Apache, its authorizer a second broker pool
MODSO=$SG_BUILD/deploy/apache/mod_sandgate_authz.so
[ -f "$MODSO" ] || { echo "missing $MODSO (apxs: apache2-dev)" >&2; exit 1; }
SANDGATE_SOCKET_MODE=0666 sg_spawn_sock verify-sock "$T/verify.sock" "$VERIFY"
SANDGATE_SECRET_KEYS=$T/keys/secret.key SANDGATE_BROKER_CA_FILE=$P/ca.pem \
    sg_spawn_procs broker-authz "$T/broker-authz.sock" "$BROKER" \
    "$SG_BROKER_PROCS"
MPORT=$(sg_free_port)
SGAMOD=$MODSO
secrets_apache "$T/apache-mod" mod $MPORT $BPORT "443 $UPORT" \
    "Define SG_BROKER_SOCKET $T/broker-authz.sock
Define SG_BROKER_MODULE
Define SG_BROKER_CA $P/ca.pem" || exit 1
SGAMOD=

# ceiling: Apache's own reverse proxy, the header from the site
CPORT=$(sg_free_port)
C=$T/apache-ceil
mkdir -p "$C"
{
	sg_apache_head "$C" ssl headers
	cat <<EOF
Listen 127.0.0.1:$CPORT
KeepAlive On
MaxKeepAliveRequests 0
<VirtualHost 127.0.0.1:$CPORT>
	SSLProxyEngine on
	SSLProxyVerify require
	SSLProxyCheckPeerName on
	SSLProxyCACertificateFile $P/ca.pem
	RequestHeader set Authorization "Bearer x"
	ProxyAddHeaders Off
	ProxyPass "/broker/EXAMPLE/" "https://$H1/"
</VirtualHost>
EOF
} >"$C/httpd.conf"
apache2 -f "$C/httpd.conf" -DFOREGROUND </dev/null >/dev/null \
    2>>"$T/ceil-stderr.log" &
sg_track_pid $!
sg_wait_tcp 127.0.0.1 "$CPORT" || { cat "$T/ceil-stderr.log"; exit 1; }

python3 - "$N" "$PPORT" "$H1" "$P/ca.pem" "$(basic $CID "$TOK_A")" \
    "$SG_TOP/bench/results/secrets.json" "$FPORT" "$CPORT" "$MPORT" <<'PY'
import http.client, json, socket, ssl, sys, time
n, pport, h1, ca, cred, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
fport, cport, mport = int(sys.argv[7]), int(sys.argv[8]), int(sys.argv[9])
uhost, uport = h1.rsplit(":", 1)

def run(conn, hdrs, path):
    lat = []
    for i in range(n + 10):
        t0 = time.perf_counter()
        conn.request("GET", path, headers=hdrs)
        r = conn.getresponse()
        r.read()
        if r.status != 200:
            raise SystemExit("status %d" % r.status)
        if i >= 10:
            lat.append(time.perf_counter() - t0)
    lat.sort()
    return {"rps": len(lat) / sum(lat), "p50_ms": 1000 * lat[len(lat) // 2],
            "p99_ms": 1000 * lat[int(len(lat) * 0.99) - 1]}

b = http.client.HTTPConnection("127.0.0.1", pport, timeout=30)
broker = run(b, {"Proxy-Authorization": cred}, "/broker/EXAMPLE/x")
ctx = ssl.create_default_context(cafile=ca)
p = http.client.HTTPSConnection(uhost, int(uport), context=ctx, timeout=30)
p.set_tunnel(h1, headers={"Proxy-Authorization": cred})
p.host, p.port = "127.0.0.1", pport
plain = run(p, {"Authorization": "Bearer x"}, "/x")
floor = run(http.client.HTTPConnection("127.0.0.1", fport, timeout=30),
            {"Proxy-Authorization": cred}, "/broker/EXAMPLE/x")
direct = run(http.client.HTTPSConnection(uhost, int(uport), context=ctx,
             timeout=30), {"Authorization": "Bearer x"}, "/x")
ceiling = run(http.client.HTTPConnection("127.0.0.1", cport, timeout=30),
              {}, "/broker/EXAMPLE/x")
mk_module = lambda: http.client.HTTPConnection("127.0.0.1", mport, timeout=30)
module = run(mk_module(), {"Proxy-Authorization": cred}, "/broker/EXAMPLE/x")
# A new connection per request: the plain path pays CONNECT, the
# decision and a TLS handshake each time, the broker a connection to
# Apache and the decision (its TLS connection upstream is kept).
def fresh(mk, hdrs, path):
    lat = []
    for i in range(n // 2 + 5):
        t0 = time.perf_counter()
        c = mk()
        c.request("GET", path, headers=hdrs)
        r = c.getresponse()
        r.read()
        c.close()
        if r.status != 200:
            raise SystemExit("status %d" % r.status)
        if i >= 5:
            lat.append(time.perf_counter() - t0)
    lat.sort()
    return {"rps": len(lat) / sum(lat), "p50_ms": 1000 * lat[len(lat) // 2],
            "p99_ms": 1000 * lat[int(len(lat) * 0.99) - 1]}
def mk_plain():
    c = http.client.HTTPSConnection(uhost, int(uport), context=ctx, timeout=30)
    c.set_tunnel(h1, headers={"Proxy-Authorization": cred})
    c.host, c.port = "127.0.0.1", pport
    return c
broker_f = fresh(lambda: http.client.HTTPConnection("127.0.0.1", pport, timeout=30),
                 {"Proxy-Authorization": cred}, "/broker/EXAMPLE/x")
plain_f = fresh(mk_plain, {"Authorization": "Bearer x"}, "/x")
module_f = fresh(mk_module, {"Proxy-Authorization": cred}, "/broker/EXAMPLE/x")
res = {"n": n, "keepalive": {"broker": broker, "plain": plain,
       "ratio": broker["rps"] / plain["rps"], "floor": floor,
       "direct": direct, "ceiling": ceiling, "module": module,
       "module_ratio": module["rps"] / plain["rps"]},
       "fresh": {"broker": broker_f, "plain": plain_f,
       "ratio": broker_f["rps"] / plain_f["rps"], "module": module_f,
       "module_ratio": module_f["rps"] / plain_f["rps"]}}
# Concurrency: C clients, each on its own kept connection, n requests
# in all; requests/s over the wall time.
import threading
def conc(mk, hdrs, path, c):
    per = max(n // c, 5)
    conns = [mk() for _ in range(c)]
    for k in conns:          # open and warm each connection first
        k.request("GET", path, headers=hdrs); k.getresponse().read()
    bad = []
    def work(k):
        for _ in range(per):
            k.request("GET", path, headers=hdrs)
            r = k.getresponse(); r.read()
            if r.status != 200:
                bad.append(r.status)
    ts = [threading.Thread(target=work, args=(k,)) for k in conns]
    t0 = time.perf_counter()
    for t in ts: t.start()
    for t in ts: t.join()
    dt = time.perf_counter() - t0
    for k in conns: k.close()
    if bad:
        raise SystemExit("status %d" % bad[0])
    return {"rps": per * c / dt}
mk_broker = lambda: http.client.HTTPConnection("127.0.0.1", pport, timeout=30)
for c in (1, 4, 8):
    bb = conc(mk_broker, {"Proxy-Authorization": cred}, "/broker/EXAMPLE/x", c)
    pp = conc(mk_plain, {"Authorization": "Bearer x"}, "/x", c)
    cc = conc(lambda: http.client.HTTPConnection("127.0.0.1", cport,
              timeout=30), {}, "/broker/EXAMPLE/x", c)
    mm = conc(mk_module, {"Proxy-Authorization": cred}, "/broker/EXAMPLE/x", c)
    res["c%d" % c] = {"broker": bb, "plain": pp, "ceiling": cc, "module": mm,
                      "ratio": bb["rps"] / pp["rps"],
                      "module_ratio": mm["rps"] / pp["rps"]}
# A 1 MiB answer, one at a time on kept connections: MiB/s.
nb = max(n // 10, 10)
def big(conn, hdrs, path):
    t0 = time.perf_counter()
    for _ in range(nb):
        conn.request("GET", path, headers=hdrs)
        r = conn.getresponse(); d = r.read()
        if r.status != 200 or len(d) != 1 << 20:
            raise SystemExit("big: status %d, %d bytes" % (r.status, len(d)))
    return {"mib_s": nb / (time.perf_counter() - t0)}
k = mk_broker(); bb = big(k, {"Proxy-Authorization": cred}, "/broker/EXAMPLE/big"); k.close()
k = mk_plain(); pp = big(k, {"Authorization": "Bearer x"}, "/big"); k.close()
k = mk_module(); mm = big(k, {"Proxy-Authorization": cred}, "/broker/EXAMPLE/big"); k.close()
res["big_1mib"] = {"broker": bb, "plain": pp, "module": mm,
                   "ratio": bb["mib_s"] / pp["mib_s"],
                   "module_ratio": mm["mib_s"] / pp["mib_s"]}
json.dump(res, open(out, "w"), indent=1)
print("%-18s %10s %9s %9s" % ("path", "req/s", "p50 ms", "p99 ms"))
for m in ("keepalive", "fresh"):
    for k in ("broker", "module", "plain"):
        v = res[m][k]
        print("%-18s %10.0f %9.2f %9.2f" % (m + " " + k, v["rps"], v["p50_ms"], v["p99_ms"]))
    print("%s broker/plain throughput: %.2fx; module/plain %.2fx (goal >= 0.8x)" % (m, res[m]["ratio"], res[m]["module_ratio"]))
    if m == "keepalive":
        for k in ("floor", "direct", "ceiling"):
            v = res[m][k]
            print("%-18s %10.0f %9.2f %9.2f" % (m + " " + k, v["rps"], v["p50_ms"], v["p99_ms"]))
        f, d = res[m]["floor"]["p50_ms"], res[m]["direct"]["p50_ms"]
        print("floor + direct p50 %.2f ms: a broker behind mod_proxy_fcgi reaches about %.2fx of plain at best (p50)" % (f + d, res[m]["plain"]["p50_ms"] / (f + d)))
        print("ceiling (Apache's own reverse proxy, header from the site): %.2fx of plain (req/s)" % (res[m]["ceiling"]["rps"] / res[m]["plain"]["rps"]))
for c in (1, 4, 8):
    v = res["c%d" % c]
    print("concurrency %d: broker %.0f req/s, module %.0f, plain %.0f; broker %.2fx, module %.2fx; ceiling %.2fx" % (c, v["broker"]["rps"], v["module"]["rps"], v["plain"]["rps"], v["ratio"], v["module_ratio"], v["ceiling"]["rps"] / v["plain"]["rps"]))
v = res["big_1mib"]
print("1 MiB answers: broker %.1f MiB/s, module %.1f, plain %.1f; broker %.2fx, module %.2fx" % (v["broker"]["mib_s"], v["module"]["mib_s"], v["plain"]["mib_s"], v["ratio"], v["module_ratio"]))
PY
rc=$?
# How often the module asked secret-broker: the rest were let through on
# a kept allow (SandgateDecisionCache, for the session-cache bound).
echo "module: secret-broker logged $(grep -c '"event":"broker_authorize"' \
    "$T/broker-authz.log") answers to it for all of the module's requests" \
    "above (its log is rate-limited: exact when small)"
sg_done >/dev/null 2>&1
exit $rc
