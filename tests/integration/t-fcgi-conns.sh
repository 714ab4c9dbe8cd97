#!/bin/sh
# SPDX-License-Identifier: ISC
# Several FastCGI connections per token-verify process (issue 21,
# SANDGATE_FCGI_CONNS): one worker, real token-verify and Redis, a
# FastCGI client of the test's own on the unix socket:
#   1. kept connections (FCGI_KEEP_CONN) taking turns all stay open and
#      are all answered (one request at a time per process used to close
#      an idle kept one whenever another client connected);
#   2. a request stalled half-way and one dripped a byte at a time hold
#      no worker: a whole request on another connection is answered while
#      both are still open; each is then cut by its read deadline
#      (fcgi_timeout), and so is a new connection that sends nothing;
#      a kept connection left idle longer than the deadline is not;
#   3. a full set: the connection served longest ago is closed when
#      another client connects, and the others still answer; a new
#      connection is never closed for a newcomer (eight clients sending
#      at once to four places are all answered);
#   4. the control, SANDGATE_FCGI_CONNS=1 (one at a time): the second
#      client closes the first one's idle kept connection, and a stalled
#      request holds the worker until its deadline.
. "$(dirname "$0")/lib.sh"

sg_setup
sg_start_redis
"$SG_BUILD/services/token-verify/tv-mint" jwks "$SG_DATA/test-key-1.pem" \
    >"$T/jwks.json"
export SANDGATE_ISSUER=https://sandgate.test
export SANDGATE_VERIFY_KEYS=$T/jwks.json
export SANDGATE_REDIS=unix:$REDIS_SOCK
export SANDGATE_FCGI_TIMEOUT_MS=1500
unset SANDGATE_FCGI_CONNS SANDGATE_WORKERS

cat >"$T/client.py" <<'PY'
import socket, struct, sys, time
path, step = sys.argv[1], sys.argv[2]

def rec(t, body, rid=1):
    return struct.pack(">BBHHBB", 1, t, rid, len(body), 0, 0) + body

def nv(k, v):
    k, v = k.encode(), v.encode()
    return bytes([len(k), len(v)]) + k + v

PARAMS = b"".join(nv(k, v) for k, v in (("REQUEST_METHOD", "GET"),
    ("REQUEST_URI", "/livez"), ("SCRIPT_NAME", "/livez"),
    ("SERVER_PROTOCOL", "HTTP/1.1")))
REQ = (rec(1, bytes([0, 1, 1, 0, 0, 0, 0, 0])) + rec(4, PARAMS) +
    rec(4, b"") + rec(5, b""))

def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    return s

def ask(s):
    """One request on s: its status, or "closed" (EOF or reset)."""
    try:
        s.sendall(REQ)
    except OSError:
        return "closed"
    return answer(s)

def answer(s):
    """The status of the answer to the request sent on s, or "closed"."""
    try:
        buf = b""
        while True:
            h = s.recv(8)
            if len(h) < 8:
                return "closed"
            t, _, clen, plen = struct.unpack(">BBHHBB", h)[1:5]
            body = b""
            while len(body) < clen + plen:
                c = s.recv(clen + plen - len(body))
                if not c:
                    return "closed"
                body += c
            if t == 6:
                buf += body[:clen]
            elif t == 3:
                line = buf.split(b"\r\n", 1)[0].decode()
                return line.split()[1] if line.startswith("Status:") else "200"
    except OSError:
        return "closed"

def is_open(s):
    """Still open: the server neither closed nor reset it."""
    s.setblocking(False)
    try:
        return "closed" if s.recv(1) == b"" else "data"
    except BlockingIOError:
        return "open"
    except OSError:
        return "closed"
    finally:
        s.settimeout(5)

def closed_within(s, secs):
    s.settimeout(secs)
    try:
        return "closed" if s.recv(1) == b"" else "data"
    except socket.timeout:
        return "open"
    except OSError:
        return "closed"

out = []
if step == "turns":
    cs = [conn() for _ in range(4)]
    for rnd in range(3):
        for i, s in enumerate(cs):
            out.append("turn%d.%d %s" % (rnd, i, ask(s)))
elif step == "slow":
    a = conn()
    out.append("a.first %s" % ask(a))
    stall = conn()
    stall.sendall(REQ[:30])
    drip = conn()
    drip.sendall(REQ[:9])
    idle = conn()
    time.sleep(0.3)
    b = conn()
    out.append("b.while_slow %s" % ask(b))
    out.append("a.while_slow %s" % ask(a))
    out.append("stall.after_answers %s" % is_open(stall))
    out.append("drip.after_answers %s" % is_open(drip))
    t0 = time.monotonic()
    for k in range(9, 20):
        try:
            drip.send(REQ[k:k + 1])
        except OSError:
            break
        time.sleep(0.2)
    out.append("drip.cut %s" % closed_within(drip, 4))
    out.append("stall.cut %s" % closed_within(stall, 4))
    out.append("idle.cut %s" % closed_within(idle, 4))
    out.append("a.kept_idle %s" % is_open(a))
    out.append("a.after_idle %s" % ask(a))
elif step == "full":
    cs = [conn() for _ in range(4)]
    for i, s in enumerate(cs):
        out.append("full.%d %s" % (i, ask(s)))
    e = conn()
    out.append("full.new %s" % ask(e))
    out.append("full.oldest %s" % closed_within(cs[0], 3))
    for i in (1, 2, 3):
        out.append("full.again.%d %s" % (i, ask(cs[i])))
elif step == "burst":
    # twice as many clients as places, each request sent at once
    cs = [conn() for _ in range(8)]
    for s in cs:
        try:
            s.sendall(REQ)
        except OSError:
            pass	# closed: counted as not answered below
    for i, s in enumerate(cs):
        out.append("burst.%d %s" % (i, answer(s)))
print("\n".join(out))
PY

# verify CONNS: one token-verify worker on $T/v.sock.
verify()
{
	[ -n "${VPID:-}" ] && { sg_kill_wait 5 "$VPID"; wait "$VPID" 2>/dev/null || true; }
	rm -f "$T/v.sock"
	SANDGATE_FCGI_CONNS=$1 SANDGATE_SOCKET=$T/v.sock \
	    "$SG_BUILD/services/token-verify/token-verify" 2>>"$T/verify.log" &
	VPID=$!
	sg_track_pid $VPID
	sg_wait_file "$T/v.sock"
}
# step NAME: the client's lines for one step, into $T/NAME.out.
step()
{
	timeout 60 python3 "$T/client.py" "$T/v.sock" "$1" >"$T/$1.out"
}
val() { awk -v k="$2" '$1 == k { print $2 }' "$T/$1.out"; }

echo "# 1. four kept connections taking turns, one worker (the default set)"
verify 64
step turns
sg_check "every turn on every connection is answered" 12 \
    "$(grep -c ' 200$' "$T/turns.out")"

echo "# 2. slow clients hold no worker; the read deadline still cuts them"
: >"$T/verify.log"
step slow
sg_check "a new client is answered while a stalled and a dripping request wait" 200 "$(val slow b.while_slow)"
sg_check "and a kept connection too" 200 "$(val slow a.while_slow)"
sg_check "the stalled request is still open then" open "$(val slow stall.after_answers)"
sg_check "the dripping one too" open "$(val slow drip.after_answers)"
sg_check "the dripping request is cut by its deadline" closed "$(val slow drip.cut)"
sg_check "the stalled one too" closed "$(val slow stall.cut)"
sg_check "a new connection that sends nothing too" closed "$(val slow idle.cut)"
sg_check "a kept connection idle past the deadline stays open" open "$(val slow a.kept_idle)"
sg_check "and is answered" 200 "$(val slow a.after_idle)"
sg_check "the cuts are logged" 3 "$(grep -c '"event":"fcgi_timeout"' "$T/verify.log")"

echo "# 3. a full set (SANDGATE_FCGI_CONNS=4): the oldest goes"
verify 4
step full
sg_check "four kept connections answered" 4 "$(grep -c '^full\.[0-3] 200$' "$T/full.out")"
sg_check "a fifth client is answered" 200 "$(val full full.new)"
sg_check "the connection served longest ago is closed" closed "$(val full full.oldest)"
sg_check "the other three still answer" 3 "$(grep -c '^full\.again\.[1-3] 200$' "$T/full.out")"
step burst
sg_check "eight new clients at once, four places: none of their requests is lost" 8 \
    "$(grep -c '^burst\.[0-7] 200$' "$T/burst.out")"

echo "# 4. control: SANDGATE_FCGI_CONNS=1, one connection at a time"
verify 1
step turns
sg_check "each new turn finds the others' connection closed" 1 \
    "$([ "$(grep -c ' closed$' "$T/turns.out")" -gt 0 ] && echo 1)"
step slow
sg_check "a stalled request holds the worker: the new client waits for its cut" \
    closed "$(val slow stall.after_answers)"

sg_done
