#!/bin/sh
# SPDX-License-Identifier: ISC
# The egress authorizer's own socket (issue 16.3): token-verify listens on
# loopback TCP for Apache's mod_authnz_fcgi, one connection at a time per
# worker.  Proven here against the real stack (Apache, token-verify
# under spawn-fcgi, Redis):
#   1. clients that connect and send nothing, or start a request and
#      stop, or drip it a byte at a time, lose their connection after
#      SANDGATE_FCGI_TIMEOUT_MS; a sandbox's request through Apache made
#      while more such sockets are open than there are workers still
#      passes, and each cut is logged (fcgi_timeout);
#   2. the control: with a deadline far away and one connection at a
#      time per worker (SANDGATE_FCGI_CONNS=1), the same sockets stop
#      every decision (the proxy answers no 200 while they are open);
#      with the default (token-verify holds 64 connections per process
#      and serves only whole requests) they stop none, even then;
#   3. deploy/firewall/sandgate-authorizer.nft: a process of another
#      user cannot connect to the authorizer at all, while Apache (the
#      web server's user) still gets its decisions;
#   4. a flood of refused requests (issue 16.4): the authorizer's log
#      stays within SANDGATE_LOG_RATE (under journald's default rate
#      limit), every line it did not print is counted in a
#      log_suppressed line, and the audit stream has every decision.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-stack.sh"
here=$(cd "$(dirname "$0")" && pwd)

sg_setup
SG_PROCS=2
export SANDGATE_FCGI_TIMEOUT_MS=800
export SANDGATE_LOG_RATE=20

stk_init
stk_start
stk_sessions
URL="http://127.0.0.1:$SG_TARGET_PORT/ok"
AUTH=$(stk_basic "$STK_A" "$STK_TOK_A")

# proxied [SECONDS]: the status of a sandbox's allowed request via Apache.
proxied()
{
	curl -s -o /dev/null -w '%{http_code}' --max-time "${1:-10}" \
	    --proxy "$STK_PROXY" --proxy-header "Proxy-Authorization: $AUTH" \
	    "$URL" || true
}

# hostile N SECONDS: N sockets to the authorizer of each kind (idle,
# stalled half-way through a request, dripping a byte every 0.2 s), held
# for SECONDS at most; FILE.ready once all are connected; writes "kind closed_after_ms" lines to $T/hostile.out
# when each is closed by the server (or "kind open" at the end).
cat > "$T/hostile.py" <<'PY'
import socket, sys, threading, time
port, n, hold, out = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
ready = threading.Semaphore(0)
BEGIN = bytes([1, 1, 0, 1, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0])
PARAMS100 = bytes([1, 4, 0, 1, 0, 100, 0, 0])
lock = threading.Lock()
lines = []
def one(kind):
    s = socket.create_connection(("127.0.0.1", port), timeout=hold)
    t0 = time.monotonic()
    if kind != "idle":
        s.sendall(BEGIN + PARAMS100)
    ready.release()
    s.settimeout(0.2)
    res = "open"
    while time.monotonic() - t0 < hold:
        try:
            if s.recv(1) == b"":
                res = "%d" % ((time.monotonic() - t0) * 1000)
                break
        except socket.timeout:
            pass
        except OSError:
            res = "%d" % ((time.monotonic() - t0) * 1000)
            break
        if kind == "drip":
            try:
                s.send(b"\x01")
            except OSError:
                res = "%d" % ((time.monotonic() - t0) * 1000)
                break
    with lock:
        lines.append("%s %s" % (kind, res))
ts = [threading.Thread(target=one, args=(k,)) for k in ("idle", "stall", "drip") for _ in range(n)]
for t in ts:
    t.start()
for t in ts:
    ready.acquire()
open(out + ".ready", "w").close()
for t in ts:
    t.join()
open(out, "w").write("\n".join(sorted(lines)) + "\n")
PY

hostile()
{
	rm -f "$T/hostile.out" "$T/hostile.out.ready"
	python3 "$T/hostile.py" "$SG_VERIFY_PORT" "$1" "$2" "$T/hostile.out" &
	HOSTILE_PID=$!
	sg_track_pid $HOSTILE_PID
	# Every socket connected (and the stalls sent) before we go on.
	sg_wait_file "$T/hostile.out.ready" 10
}

echo "# baseline"
sg_check "an allowed request passes" 200 "$(proxied)"

echo "# 1. a deadline of ${SANDGATE_FCGI_TIMEOUT_MS} ms, 3 x 3 hostile sockets, $SG_PROCS workers"
hostile 3 8
code=$(proxied 10)
sg_check "the sandbox's request passes while they are open" 200 "$code"
wait "$HOSTILE_PID"
sg_check "every hostile socket was closed by the server" 0 \
    "$(grep -c ' open$' "$T/hostile.out")"
# Each is cut one deadline after the worker took it; the last in the
# queue waits behind the others (9 sockets / 2 workers), so the bound is
# generous: a behaviour check, not a timing one.
sg_check "and within 8 s" 0 "$(awk '$2 != "open" && $2 > 8000' "$T/hostile.out" | wc -l | tr -d ' ')"
sg_check_match "the cuts are logged" '"event":"fcgi_timeout"' \
    "$(cat "$T/token-verify-egress.log")"
sg_check "the workers are the same processes" 1 \
    "$([ -n "$(sg_run_pids token-verify-egress)" ] && echo 1)"

echo "# 2. control: a deadline of 600 s, one connection at a time, the same sockets"
sg_run_kill token-verify-egress
SANDGATE_FCGI_TIMEOUT_MS=600000 SANDGATE_FCGI_CONNS=1 sg_run_spawn \
    token-verify-egress "$SG_BUILD/services/token-verify/token-verify" \
    "tcp:$SG_VERIFY_PORT"
sg_wait_tcp 127.0.0.1 "$SG_VERIFY_PORT"
sg_check "an allowed request passes again" 200 "$(proxied)"
hostile 2 6
code=$(proxied 3)
sg_check "no decision while every worker is held" 1 \
    "$([ "$code" != 200 ] && echo 1)"
kill "$HOSTILE_PID" 2>/dev/null || true
wait "$HOSTILE_PID" 2>/dev/null || true
sg_run_kill token-verify-egress
echo "# 2b. the same deadline and sockets, several connections per worker (default)"
SANDGATE_FCGI_TIMEOUT_MS=600000 sg_run_spawn token-verify-egress \
    "$SG_BUILD/services/token-verify/token-verify" "tcp:$SG_VERIFY_PORT"
sg_wait_tcp 127.0.0.1 "$SG_VERIFY_PORT"
hostile 2 6
sg_check "the sandbox's request passes while they are open" 200 "$(proxied 3)"
kill "$HOSTILE_PID" 2>/dev/null || true
wait "$HOSTILE_PID" 2>/dev/null || true
sg_run_kill token-verify-egress
sg_run_spawn token-verify-egress \
    "$SG_BUILD/services/token-verify/token-verify" "tcp:$SG_VERIFY_PORT"
sg_wait_tcp 127.0.0.1 "$SG_VERIFY_PORT"

echo "# 3. the firewall: only the web server's user reaches the authorizer"
if ! command -v nft >/dev/null || ! command -v setpriv >/dev/null; then
	echo "nft and setpriv are needed (Debian nftables, util-linux)" >&2
	exit 1
fi
TABLE=sg_authz_$$
# as_nobody: can a process of user nobody open a connection to the port?
# (/usr/bin/python3: a python3 found on root's PATH may live where
# nobody cannot read.)
as_nobody()
{
	setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -c '
import socket, sys
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3)
    s.close()
    print("connected")
except OSError as e:
    print("refused")
' "$SG_VERIFY_PORT"
}
sg_check "without the rules, any user connects" connected "$(as_nobody)"
sed -e "s/@TABLE@/$TABLE/g" -e "s/@PROXY_USER@/$SG_WWW_USER/g" \
    -e "s/@VERIFY_PORTS@/{ $SG_VERIFY_PORT, $SG_VERIFY_STRICT_PORT }/g" \
    "$SG_TOP/deploy/firewall/sandgate-authorizer.nft.in" > "$T/authz.nft"
sg_check "the rules load" 0 "$(nft -f "$T/authz.nft" >/dev/null 2>&1 && echo 0 || echo 1)"
sg_on_exit "nft delete table inet $TABLE"
sg_check "with them, user nobody is refused" refused "$(as_nobody)"
sg_check "and Apache still gets its decisions" 200 "$(proxied)"
nft delete table inet "$TABLE"
sg_check "rules removed: nobody connects again" connected "$(as_nobody)"

echo "# 4. a flood of refused requests: the log is sampled and counted"
LOG=$T/token-verify-egress.log
# audit_decisions: the decisions in the audit stream, a decision_repeated
# entry counting for its "count" (identical denials are aggregated).
audit_decisions()
{
	stk_redis -2 --json XRANGE sandgate:audit - + | jq '[.[] | .[1] |
	    [recurse(.[2:]; length > 0) | {(.[0]): .[1]}] | add |
	    select(.event == "decision" or .event == "decision_repeated") |
	    if .event == "decision_repeated" then (.count | tonumber) else 1 end] |
	    add // 0'
}
n_audit0=$(audit_decisions)
n_dec0=$(grep -c '"event":"decision"' "$LOG" || true)
n_sup0=$(grep '"event":"log_suppressed"' "$LOG" | jq -s 'map(.dropped) | add // 0')
t0=$(date +%s)
sg_check "1500 refused requests in a forged name" "407=1500" \
    "$(python3 "$here/proxy-flood.py" "$SG_PROXY_PORT" \
    "container_sandbox_FFFFFFFFFFFFFFFFFFFFFF:jwt_eyJhbGciOiJFUzI1NiJ9.e30.AAAA" \
    "http://127.0.0.1:$SG_TARGET_PORT/ok" 1500)"
secs=$(( $(date +%s) - t0 + 1 ))
sleep 1.2
sg_check "after the flood, an allowed request passes" 200 "$(proxied)"
# Each worker prints its count before its next line, or when it stops.
sg_run_kill token-verify-egress
n_audit=$(( $(audit_decisions) - n_audit0 ))
n_dec=$(( $(grep -c '"event":"decision"' "$LOG") - n_dec0 ))
n_sup=$(( $(grep '"event":"log_suppressed"' "$LOG" | jq -s 'map(.dropped) | add // 0') - n_sup0 ))
echo "# $n_audit decisions in $secs s: $n_dec printed, $n_sup counted as dropped"
sg_check "the audit stream has every decision (1500 refused + 1)" 1501 "$n_audit"
sg_check "printed + dropped = every decision" "$n_audit" "$((n_dec + n_sup))"
# Each process prints at most a burst (40) plus 20 lines a second.
max=$((SG_PROCS * (40 + 20 * (secs + 2))))
sg_check "the log stayed within the rate ($n_dec <= $max)" 1 \
    "$([ "$n_dec" -le "$max" ] && echo 1)"

sg_done
