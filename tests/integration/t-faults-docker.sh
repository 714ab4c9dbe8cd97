#!/bin/sh
# SPDX-License-Identifier: ISC
# Docker faults (issue 7; docs/security.md 6.4): a Docker engine of this
# test's own (its own socket, data and exec roots; the system engine and
# other tests are never touched), the stack of run.sh on loopback using
# it, and
#   1. the engine stopped (SIGTERM), then crashed (SIGKILL), while three
#      clients keep creating sandboxes through the API gateway: every
#      answer is 201 or 503 (502 for a reply cut short), DELETE revokes
#      while it is down (202 "teardown":"pending", the session gone), the
#      reaper refuses to guess (exit 1, Redis left alone), and once the
#      engine is back `sandgate reap` removes the revoked container and
#      leaves only sandboxes
#      whose container and session both exist; then none is left;
#   2. a slow engine (a unix-socket proxy that delays every call): below
#      SANDGATE_DOCKER_TIMEOUT a create succeeds, above it the answer is
#      503 docker_timeout within the budget, the container the engine
#      made after sandgate gave up is reaped, and the reaper itself gives
#      up in time on a slow engine.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-docker.sh"
. "$(dirname "$0")/lib-stack.sh"

sg_setup
t0=$(date +%s)
NFAULT=0
NCREATE=0
[ "$(id -u)" -eq 0 ] || { echo "needs root: it starts its own dockerd" >&2; exit 1; }
command -v dockerd >/dev/null || { echo "dockerd missing (Debian docker.io)" >&2; exit 1; }

stk_dockerd_start
echo "# private dockerd on $STK_DOCKER_SOCK (pid $STK_DOCKERD_PID)"
SG_TEST_IMAGE=sandgate-test:faults
sg_build_test_image

SG_DOCKER_SOCKET=$STK_DOCKER_SOCK
export SANDGATE_DOCKER_TIMEOUT=10
stk_init
SG_IMAGE=$SG_TEST_IMAGE
stk_start
sg_on_exit "sg_remove_sandboxes_of '$SG_DATADIR'"
: > "$T/created"
: > "$T/creates"

sg_check "a create with the engine up" 201 "$(stk_create first dfirst;
    tail -n 1 "$T/creates" | cut -d' ' -f1)"

# --------------------------------------------- 1. engine stopped
# client K ROUND: up to 8 creates in a row (a pause after a failure),
# until $T/stop.ROUND exists.
client()
{
	_j=0
	while [ $_j -lt 8 ] && [ ! -e "$T/stop.$2" ]; do
		stk_create "$2.$1.$_j" "d$2c$1"
		tail -n 1 "$T/creates" | grep -q '^201 ' || sleep 0.3
		_j=$((_j + 1))
	done
}

for sig in TERM KILL; do
	echo "# 1. engine stopped with SIG$sig during creates"
	n0=$(wc -l < "$T/created")
	c0=$(wc -l < "$T/creates")
	pids=""
	for k in 1 2 3; do
		client $k $sig &
		pids="$pids $!"
	done
	# Stop it once creates are flowing.
	i=0
	while [ $i -lt 300 ] && [ $(( $(wc -l < "$T/created") - n0 )) -lt 2 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	stk_dockerd_stop $sig
	NFAULT=$((NFAULT + 1))
	echo "# engine down after $(( $(wc -l < "$T/created") - n0 )) creates"
	sleep 1
	# What a client sees while it is down: revocation first, so the
	# token is dead although the container cannot be removed.
	id=$(tail -n 1 "$T/created")
	st=$(curl -s -D "$T/h" -o "$T/b" -w '%{http_code}' --max-time 30 \
	    -X DELETE -H "Authorization: Bearer $STK_OP" "$STK_API/v1/sandboxes/$id")
	sg_check "SIG$sig: DELETE while down: 202" 202 "$st"
	sg_check "SIG$sig: DELETE while down: revoked, teardown pending" "true pending" \
	    "$(jq -r '"\(.revoked) \(.teardown)"' < "$T/b")"
	sg_check "SIG$sig: DELETE while down: the session is gone" "" \
	    "$(stk_session_ids | tr ' ' '\n' | grep -x "$id" || true)"
	# Destroyed: the reaper must remove its container, not keep it.
	grep -v -x "$id" "$T/created" > "$T/created.new" || true
	mv "$T/created.new" "$T/created"
	sess0=$(stk_session_ids)
	rc=0
	"$SG_CLI" reap > "$T/reap.out" 2> "$T/reap.err" || rc=$?
	sg_check "SIG$sig: reap while down exits 1" 1 "$rc"
	sg_check_match "SIG$sig: reap says why" 'cannot list containers' "$(cat "$T/reap.err")"
	sg_check "SIG$sig: reap while down removed no session" "$sess0" "$(stk_session_ids)"
	sleep 1
	stk_dockerd_start
	touch "$T/stop.$sig"
	wait $pids
	echo "# SIG$sig: answers $(tail -n "+$((c0 + 1))" "$T/creates" | cut -d' ' -f1,2 |
	    sed -E 's/ sandbox_[A-Za-z0-9_-]{22}$//' | sort | uniq -c | awk '{ printf "%s ", $0 }')"
	sg_check "SIG$sig: every answer 201 with an id, or 502/503 with an error code" "" \
	    "$(tail -n "+$((c0 + 1))" "$T/creates" |
	    grep -v -E '^(201 sandbox_[A-Za-z0-9_-]{22}|50[23] [a-z_]+)$' || true)"
	sg_check "SIG$sig: the outage was seen (503 docker_unavailable)" 1 \
	    "$(tail -n "+$((c0 + 1))" "$T/creates" | grep -c '^503 docker_unavailable' |
	    awk '{ print ($1 > 0) }')"
	sg_check "SIG$sig: creates work again" 201 "$(stk_create "after$sig" "dafter$sig";
	    tail -n 1 "$T/creates" | cut -d' ' -f1)"
	sg_check "SIG$sig: every sandbox-create and -destroy process lives (no crash)" 1 \
	    "$(sg_run_alive sandbox-create && sg_run_alive sandbox-destroy && echo 1)"
	stk_reap_check "SIG$sig"
	sg_check_match "SIG$sig: the reaper removed the revoked sandbox's container" \
	    "reaped $id orphan" "$(cat "$T/reap0.out")"
	: > "$T/created"
done
NCREATE=$(wc -l < "$T/creates")

# --------------------------------------------------- 2. slow engine
echo "# 2. a slow engine (a proxy that delays every call)"
cat > "$T/slow.py" <<'PY'
# A unix-socket proxy in front of the engine that waits (the delay is
# read from a file at each request) before it forwards a request.
import socket, sys, threading, time
listen, upstream, delayf = sys.argv[1], sys.argv[2], sys.argv[3]
srv = socket.socket(socket.AF_UNIX)
srv.bind(listen)
srv.listen(64)
def handle(c):
    try:
        data = b""
        while b"\r\n\r\n" not in data:
            d = c.recv(65536)
            if not d:
                return
            data += d
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        n = 0
        for l in lines[1:]:
            k, _, v = l.partition(b":")
            if k.strip().lower() == b"content-length":
                n = int(v)
        while len(rest) < n:
            d = c.recv(65536)
            if not d:
                break
            rest += d
        time.sleep(float(open(delayf).read()))
        hdrs = [l for l in lines[1:] if not l.lower().startswith(b"connection:")]
        u = socket.socket(socket.AF_UNIX)
        u.connect(upstream)
        u.sendall(b"\r\n".join([lines[0]] + hdrs + [b"Connection: close"]) +
            b"\r\n\r\n" + rest)
        while True:
            d = u.recv(65536)
            if not d:
                break
            c.sendall(d)
        u.close()
    except OSError:
        pass
    finally:
        c.close()
while True:
    c, _ = srv.accept()
    threading.Thread(target=handle, args=(c,), daemon=True).start()
PY
echo 0.3 > "$T/slow.delay"
python3 "$T/slow.py" "$T/slow.sock" "$STK_DOCKER_SOCK" "$T/slow.delay" \
    2>"$T/slow.log" &
sg_track_pid $!
sg_wait_file "$T/slow.sock"
SPORT=$(sg_free_port)
SANDGATE_DOCKER_SOCKET=$T/slow.sock SANDGATE_DOCKER_TIMEOUT=2 \
    sg_spawn create-slow "$SPORT" "$SG_BUILD/services/sandbox-create/sandbox-create"
# slow_create USER: one create straight to the slow instance (as the
# gateway would call it); sets S (status), E (error), SECS.
slow_create()
{
	_t=$(python3 -c 'import time; print(time.monotonic())')
	R=$(SG_KIND=operator SG_SCOPE=sandboxes:create SG_SUB=ops \
	    sg_fcgi "$SPORT" POST /v1/sandboxes \
	    "{\"user_id\":\"$1\",\"organization_uuid\":\"$STK_SB_ORG\",\"allowed_hosts\":[]}")
	SECS=$(python3 -c "import time; print('%.2f' % (time.monotonic() - $_t))")
	S=$(sg_status "$R")
	E=$(sg_body "$R" | jq -r '.error // .container_id' 2>/dev/null || true)
}
slow_create dslow1
echo "# 0.3 s per call, timeout 2 s: $S $E in $SECS s"
sg_check "slow but within the timeout: 201" 201 "$S"
[ "$S" = 201 ] && echo "$E" >> "$T/created"
echo 3 > "$T/slow.delay"
slow_create dslow2
echo "# 3 s per call, timeout 2 s: $S $E in $SECS s"
sg_check "slower than the timeout: 503" 503 "$S"
sg_check "slower than the timeout: docker_timeout" docker_timeout "$E"
sg_check "answered within the budget (< 10 s)" 1 \
    "$(awk -v s="$SECS" 'BEGIN { print (s < 10) }')"
NFAULT=$((NFAULT + 2))
# The engine still makes the container it was asked for, after sandgate
# gave up: an orphan, which the reaper (on the real socket) removes.
i=0
while [ $i -lt 100 ] && [ -z "$("$SG_DOCKER" ps -aq --filter label=sandgate.user_id=dslow2)" ]; do
	sleep 0.1
	i=$((i + 1))
done
sg_check "the engine made the late container" 1 \
    "$("$SG_DOCKER" ps -aq --filter label=sandgate.user_id=dslow2 | wc -l | tr -d ' ')"
# The reaper on the slow engine gives up in time and removes nothing.
tr0=$(date +%s)
rc=0
SANDGATE_DOCKER_SOCKET=$T/slow.sock SANDGATE_DOCKER_TIMEOUT=1 \
    "$SG_CLI" reap > "$T/reap.out" 2> "$T/reap.err" || rc=$?
sg_check "reap on a slow engine exits 1" 1 "$rc"
sg_check "reap on a slow engine gives up within 5 s" 1 \
    "$([ $(( $(date +%s) - tr0 )) -le 5 ] && echo 1)"
sg_check "reap on a slow engine removed nothing" 1 \
    "$("$SG_DOCKER" ps -aq --filter label=sandgate.user_id=dslow2 | wc -l | tr -d ' ')"
stk_reap_check "slow engine"
NCREATE=$((NCREATE + 2))

echo "# t-faults-docker: $NCREATE creates checked, $NFAULT faults injected, took $(( $(date +%s) - t0 )) s"
sg_done
