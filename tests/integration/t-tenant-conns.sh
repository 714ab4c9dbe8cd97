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
socks, refused = [], 0
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
time.sleep(0.5)
# A reset after connect shows up as a read that fails or ends.
for s in list(socks):
    s.setblocking(False)
    try:
        if s.recv(1) == b"":
            socks.remove(s); refused += 1
    except BlockingIOError:
        pass
    except OSError:
        socks.remove(s); refused += 1
open(out, "w").write("%d %d\n" % (len(socks), refused))
time.sleep(60)
PY
hold()
{
	rm -f "$T/hold.out"
	python3 "$T/hold.py" "$SG_PROXY_PORT" \
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
	    --proxy "$STK_PROXY" --proxy-header "Proxy-Authorization: $(stk_basic $CB "$TB")" \
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

sg_done
