#!/bin/sh
# SPDX-License-Identifier: ISC
# One sandbox cannot take the proxy's workers from the others (issue
# 16.1), against the real stack (Apache, token-verify, Redis) on
# loopback, sandbox A bound to 127.0.0.2 and B to 127.0.0.3:
#   1. control, no limit: A opens 450 requests to an upstream that never
#      answers; each holds one of Apache's 400 workers, and B's request
#      gets no answer at all;
#   2. deploy/firewall/sandgate-proxy-limits.nft (SANDGATE_MAX_TUNNELS=32)
#      loaded for lo: A's connections beyond 32 are reset at once, B's
#      request passes while A holds its 32, and A can connect again once
#      its own are closed;
#   3. the same site with mod_sandgate_authz and SandgateMaxTunnels 32
#      (Define SG_MAX_TUNNELS): A's requests beyond 32 get 429
#      tunnels_exhausted in the body an agent can read, CONNECT too, B
#      passes, the refusals are counted in sandgate_proxy_refused_total
#      (through sandgate-budget-log), and A's count goes back to 0 once
#      its own are closed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-stack.sh"

sg_setup
command -v nft >/dev/null || { echo "nft missing (Debian nftables)" >&2; exit 1; }
SG_PROCS=2
MAX=32
stk_init
stk_start
SLOW=$(sg_free_port)
# The upstream that accepts and never answers; stopping it closes what
# it holds, which frees the Apache workers waiting on it.
slow_start()
{
	rm -f "$T/slow.ready"
	python3 "$SG_TOP/tests/integration/slow-upstream.py" "$SLOW" "$T/slow.ready" &
	SLOW_PID=$!
	sg_track_pid $SLOW_PID
	sg_wait_file "$T/slow.ready"
}
# release: A's holder and the upstream gone, the upstream back
release()
{
	kill "$HOLD" "$SLOW_PID" 2>/dev/null || true
	wait "$HOLD" "$SLOW_PID" 2>/dev/null || true
	sleep 1
	slow_start
}
slow_start
CA=sandbox_TENANTAAAAAAAAAAAAAAAAA
CB=sandbox_TENANTBBBBBBBBBBBBBBBBB
stk_mint $CA "127.0.0.1:$SLOW" true 3600
TA=$TOK
stk_put_session $CA "$JTI" "$EXP" "[\"127.0.0.1:$SLOW\"]" 127.0.0.2 "$TOK"
stk_mint $CB "127.0.0.1:$SG_TARGET_PORT" true 3600
TB=$TOK
stk_put_session $CB "$JTI" "$EXP" "[\"127.0.0.1:$SG_TARGET_PORT\"]" 127.0.0.3 "$TOK"

# hold N: A opens N requests to the slow upstream and keeps them open
# (at most 60 s); "$T/hold.out" says how many were opened and how many
# the proxy refused, once all were tried.
cat > "$T/hold.py" <<'PY'
import socket, sys, time
port, cred, slow, n, out = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
req = ("GET http://127.0.0.1:%d/ HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
       "Proxy-Authorization: Basic %s\r\n\r\n" % (slow, slow, cred)).encode()
socks, refused, r429 = [], 0, 0
for i in range(n):
    s = socket.socket()
    s.bind(("127.0.0.2", 0))
    s.settimeout(5)
    try:
        s.connect(("127.0.0.1", port))
        s.sendall(req)
        socks.append(s)
    except OSError:
        refused += 1
        s.close()
# A reset after connect shows up as a read that fails or ends; an
# answer is a refusal by the proxy (429, counted apart).  Until nothing
# changed for 1 s (each was decided), 20 s at most.
for s in socks:
    s.setblocking(False)
quiet, t0 = 0, time.time()
while quiet < 2 and time.time() - t0 < 20:
    time.sleep(0.5)
    before = len(socks)
    for s in list(socks):
        try:
            got = s.recv(64)
            if got == b"":
                socks.remove(s); refused += 1
            elif got.startswith(b"HTTP/1.1 429 "):
                socks.remove(s); r429 += 1
        except BlockingIOError:
            pass
        except OSError:
            socks.remove(s); refused += 1
    quiet = quiet + 1 if len(socks) == before else 0
open(out, "w").write("%d %d %d\n" % (len(socks), refused, r429))
time.sleep(60)
PY
hold()
{
	rm -f "$T/hold.out"
	python3 "$T/hold.py" "${HOLD_PORT:-$SG_PROXY_PORT}" \
	    "$(printf 'container_%s:jwt_%s' $CA "$TA" | base64 -w0)" "$SLOW" "$1" \
	    "$T/hold.out" &
	HOLD=$!
	sg_track_pid $HOLD
	sg_wait_file "$T/hold.out" 60
}
# b: status of B's allowed request, 5 s at most
b()
{
	curl -s -o /dev/null -w '%{http_code}' --max-time 5 --interface 127.0.0.3 \
	    --proxy "${B_PROXY:-$STK_PROXY}" --proxy-header "Proxy-Authorization: $(stk_basic $CB "$TB")" \
	    "http://127.0.0.1:$SG_TARGET_PORT/ok" || true
}

echo "# 1. control: no limit"
sg_check "B alone passes" 200 "$(b)"
hold 450
echo "# A: $(cat "$T/hold.out") (open, refused)"
sleep 1
sg_check "while A holds 450, B gets no answer" 000 "$(b)"
release
sg_check "A gone: B passes again" 200 "$(b)"

echo "# 2. at most $MAX connections per sandbox"
TABLE=sg_limits_$$
sed -e "s/@TABLE@/$TABLE/g" -e "s/@IFACE@/lo/" -e "s/@MAX_CONNS@/$MAX/" \
    -e "s/@PROXY_PORTS@/{ $SG_PROXY_PORT }/" \
    "$SG_TOP/deploy/firewall/sandgate-proxy-limits.nft.in" > "$T/limits.nft"
sg_check "the rules load" 0 "$(nft -f "$T/limits.nft" >/dev/null 2>&1 && echo 0 || echo 1)"
sg_on_exit "nft delete table inet $TABLE"
hold 450
set -- $(cat "$T/hold.out")
echo "# A: $1 open, $2 refused"
sg_check "A holds at most $MAX" 1 "$([ "$1" -le $MAX ] && [ "$1" -ge $((MAX - 2)) ] && echo 1)"
sg_check "the rest of A's were refused" 1 "$([ "$2" -ge $((450 - MAX)) ] && echo 1)"
sg_check "while A holds its $MAX, B passes" 200 "$(b)"
sg_check_match "the rule counted A's refusals" 'counter packets [1-9]' \
    "$(nft list table inet "$TABLE")"
release
hold 5
set -- $(cat "$T/hold.out")
sg_check "A's own closed: A connects again" "5 0" "$1 $2"
kill "$HOLD" 2>/dev/null || true
wait "$HOLD" 2>/dev/null || true

echo "# 3. mod_sandgate_authz: at most $MAX open per sandbox, then 429"
[ -f "$SG_BUILD/deploy/apache/mod_sandgate_authz.so" ] ||
    { echo "missing mod_sandgate_authz.so (apache2-dev, apxs)" >&2; exit 1; }
# The stack's site with the module, the cap, and the byte counter (which
# also counts the module's refusals).
M=$T/apache-mod
mkdir -p "$M/sites"
echo "Define SG_MAX_TUNNELS $MAX" > "$M/sites/00-limits.conf"
cp "$SG_RUNDIR/apache/sites/00-budget-log.conf" "$M/sites/"
MPORT=$(sg_free_port)
stk_apache_mod "$MPORT"
# (in the proxy's <Proxy "*">; the broker's location has its own)
sg_check "the rendered site sets the cap" 1 \
    "$(sed -n '/<Proxy "\*">/,/<\/Proxy>/p' "$M/sites/egress.conf" |
        grep -c 'SandgateMaxTunnels \${SG_MAX_TUNNELS}')"
B_PROXY=http://127.0.0.1:$MPORT
HOLD_PORT=$MPORT
# refused_total: sandgate_proxy_refused_total{reason="tunnels_exhausted"}
refused_total()
{
	curl -s --max-time 10 -H "Authorization: Bearer $STK_OP" "$STK_API/metrics" |
	    sed -n 's/^sandgate_proxy_refused_total{reason="tunnels_exhausted"} \([0-9]*\)$/\1/p'
}
m0=$(refused_total)
sg_check "module: B alone passes" 200 "$(b)"
hold 450
set -- $(cat "$T/hold.out")
echo "# A: $1 open, $2 reset, $3 answered 429"
sg_check "module: A holds exactly $MAX" $MAX "$1"
sg_check "module: nothing reset" 0 "$2"
sg_check "module: the other $((450 - MAX)) got 429" $((450 - MAX)) "$3"
sg_check "module: while A holds its $MAX, B passes" 200 "$(b)"
# A's next request and CONNECT: the refusal an agent can read
ca=$(curl -s -o "$T/429.body" -D "$T/429.h" -w '%{http_code}' --max-time 5 \
    --interface 127.0.0.2 --proxy "$B_PROXY" \
    --proxy-header "Proxy-Authorization: $(stk_basic $CA "$TA")" \
    "http://127.0.0.1:$SLOW/" || true)
sg_check "module: A's next request: 429" 429 "$ca"
sg_check "module: X-Sandgate-Reason" 1 \
    "$(grep -ci '^X-Sandgate-Reason: tunnels_exhausted' "$T/429.h")"
sg_check "module: Retry-After" 1 "$(grep -ci '^Retry-After: 1' "$T/429.h")"
sg_check "module: the body names the reason and the limit" \
    '{"error":"tunnels_exhausted","message":"the sandbox already has 32 requests and tunnels open through the proxy, its limit; retry when one has closed"}' \
    "$(cat "$T/429.body")"
cc=$(curl -s -o /dev/null -w '%{http_connect}' --max-time 5 -p \
    --interface 127.0.0.2 --proxy "$B_PROXY" \
    --proxy-header "Proxy-Authorization: $(stk_basic $CA "$TA")" \
    "http://127.0.0.1:$SLOW/" || true)
sg_check "module: A's CONNECT: 429" 429 "$cc"
# The counter flushes every 100 ms; Apache writes the log as each ends.
n=0
until [ "$(( $(refused_total) - ${m0:-0} ))" -ge $((450 - MAX + 2)) ] || [ $n -ge 50 ]; do
	sleep 0.2; n=$((n + 1))
done
sg_check "module: counted in sandgate_proxy_refused_total" $((450 - MAX + 2)) \
    "$(( $(refused_total) - ${m0:-0} ))"
release
hold 5
set -- $(cat "$T/hold.out")
sg_check "module: A's own closed: A gets 5 again" "5 0 0" "$1 $2 $3"
kill "$HOLD" 2>/dev/null || true
wait "$HOLD" 2>/dev/null || true

sg_done
