#!/bin/sh
# SPDX-License-Identifier: ISC
# Open tunnels do not outlive their token (issue 15): the whole stack of
# run.sh (as t-e2e.sh starts it: Redis, Docker, the sandbox network and
# its firewall, the services, Apache as egress proxy), real sandboxes, and
# a server on the host's loopback that streams slowly for 25 s.  From
# inside a sandbox, a download through a CONNECT tunnel of the egress
# proxy; then
#   1. DELETE while the engine hangs (a sandbox-destroy behind a proxy
#      that never answers): the sandbox keeps running, but its tunnel is
#      cut at once (the transfer stops well before the DELETE returns),
#      a new tunnel is refused (407), and the reaper removes it later;
#   2. expiry: a sandbox whose token expires a few seconds into the
#      download, `sandgate reap --loop 60` running: the tunnel is cut
#      within a second or two of expires_at, not at the next period.
# Bounds are generous (3 s); the measured values are printed.
. "$(dirname "$0")/lib.sh"

sg_setup
. "$SG_TOP/tests/integration/lib-docker.sh"
sg_ensure_dockerd

sg_own_stack tun 2
SG_IMAGE=sandgate-sandbox:e2e
SG_ISSUER=sandgate-tunnels
SLOW_PORT=$(sg_free_port)
export SG_CONNECT_PORTS="443 $SG_TARGET_TLS_PORT $SLOW_PORT"
# A /24 under 172.30.0.0/16, in t-e2e's range from another start.
sg_own_subnet 172.30 100 100 37
sg_run_config
: > "$T/containers"
sg_on_exit 'sg_run_stop'
sg_on_exit 'for c in $(cat "$T/containers"); do docker rm -f "$c"; done'

echo "# starting the stack in $SG_RUNDIR"
sg_run_start_stack
echo "# runtime $SG_RUNTIME"

# The slow server: for each connection, 1 KiB every 50 ms for 25 s;
# "open N T" and "end N T BYTES done|error" (wall clock) in its log.
cat > "$T/slow.py" <<'PY'
import socket, sys, threading, time
port, log = int(sys.argv[1]), sys.argv[2]
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(16)
lock = threading.Lock()
def note(s):
    with lock:
        with open(log, "a") as f:
            f.write(s + "\n")
def handle(c, i):
    sent, why = 0, "done"
    try:
        c.recv(65536)
        note("open %d %.3f" % (i, time.time()))
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream"
                  b"\r\nConnection: close\r\n\r\n")
        end = time.time() + 25
        while time.time() < end:
            c.sendall(b"x" * 1024)
            sent += 1024
            time.sleep(0.05)
    except OSError:
        why = "error"
    note("end %d %.3f %d %s" % (i, time.time(), sent, why))
    c.close()
i = 0
while True:
    c, _ = srv.accept()
    i += 1
    threading.Thread(target=handle, args=(c, i), daemon=True).start()
PY
: > "$T/slow.log"
python3 "$T/slow.py" "$SLOW_PORT" "$T/slow.log" 2>"$T/slow.err" &
sg_track_pid $!
sg_wait_tcp 127.0.0.1 "$SLOW_PORT"
# sg_wait_tcp's own probe is a connection too: count from after it.
sleep 0.5
BASE=$(grep -c '^open' "$T/slow.log" || true)

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# The N-th connection's "open"/"end" time in ms (waits up to $2 s).
slow_at()
{
	_w=$(( $3 * 10 ))
	while [ $_w -gt 0 ]; do
		_t=$(awk -v k="$1" -v n="$2" '$1 == k && $2 == n { printf "%.0f", $3 * 1000 }' "$T/slow.log")
		[ -z "$_t" ] || { echo "$_t"; return 0; }
		sleep 0.1
		_w=$((_w - 1))
	done
	echo ""
}

# stream ID PROXY TAG: a download through a CONNECT tunnel (curl
# --proxytunnel) from inside the sandbox, in the background; its end
# time goes to $T/TAG.done, curl's "bytes exit" to $T/TAG.out.
stream()
{
	( docker exec "$1" curl -s --noproxy '' --proxytunnel -x "$2" \
	    --max-time 40 -o /dev/null -w '%{size_download} %{http_connect} %{exitcode}' \
	    "http://localhost:$SLOW_PORT/" > "$T/$3.out" 2>/dev/null || true
	  now_ms > "$T/$3.done" ) &
}

create_sandbox()
{
	out=$(sg_run_api POST /v1/sandboxes "{\"user_id\":\"$1\",\"organization_uuid\":\"00000000-0000-4000-8000-00000000e2e0\",\"allowed_hosts\":[\"localhost:$SLOW_PORT\"],\"duration_hours\":1}")
	st=$(printf '%s\n' "$out" | tail -n 1)
	sg_check "POST /v1/sandboxes ($1)" 201 "$st"
	[ "$st" = 201 ] || { echo "$out"; exit 1; }
	SB_ID=$(printf '%s\n' "$out" | head -n 1 | jq -r .container_id)
	echo "$SB_ID" >> "$T/containers"
	SB_PROXY=$(docker exec "$SB_ID" sh -c 'echo "$HTTP_PROXY"')
}

# ------------------------------------------------- 1. DELETE, engine hung
echo "# 1. DELETE while the engine hangs"
cat > "$T/stall.py" <<'PY'
import socket, sys, threading, time
srv = socket.socket(socket.AF_UNIX)
srv.bind(sys.argv[1])
srv.listen(16)
def hang(c):
    time.sleep(600)
while True:
    c, _ = srv.accept()
    threading.Thread(target=hang, args=(c,), daemon=True).start()
PY
python3 "$T/stall.py" "$T/stall.sock" 2>"$T/stall.err" &
sg_track_pid $!
sg_wait_file "$T/stall.sock"
D_PORT=$(sg_free_port)
env SANDGATE_SOCKET="127.0.0.1:$D_PORT" SANDGATE_DOCKER_SOCKET="$T/stall.sock" \
    SANDGATE_DOCKER_TIMEOUT=5 "$SG_BUILD/services/sandbox-destroy/sandbox-destroy" \
    2>>"$T/destroy-stall.log" &
sg_track_pid $!
sg_wait_tcp 127.0.0.1 "$D_PORT"

create_sandbox tun-a
A_ID=$SB_ID A_PROXY=$SB_PROXY
stream "$A_ID" "$A_PROXY" a
NA=$((BASE + 1))
ta_open=$(slow_at open $NA 15)
sg_check_match "the download through the tunnel started" '^[0-9]+$' "$ta_open"
sleep 1
t_sent=$(now_ms)
R=$(SG_KIND=operator SG_SCOPE=sandboxes:destroy SG_SUB=test \
    sg_fcgi "$D_PORT" DELETE "/v1/sandboxes/$A_ID")
t_ret=$(now_ms)
sg_check "DELETE: 202 (revoked, teardown pending)" "202 true pending" \
    "$(sg_status "$R") $(sg_body "$R" | jq -r '"\(.revoked) \(.teardown)"')"
i=0
while [ ! -s "$T/a.done" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
ta_done=$(cat "$T/a.done" 2>/dev/null || echo "")
echo "# DELETE took $((t_ret - t_sent)) ms; the client's transfer stopped $((ta_done - t_sent)) ms after the DELETE was sent ($((ta_done - t_ret)) ms after it returned); curl: $(cat "$T/a.out" 2>/dev/null) (bytes, CONNECT status, exit)"
sg_check "the client's transfer stopped within 3 s of the DELETE" 1 \
    "$([ -n "$ta_done" ] && [ $((ta_done - t_sent)) -le 3000 ] && echo 1)"
sg_check "it was cut (an error, well short of the 25 s stream)" 1 \
    "$(awk '{ print ($1 < 250000 && $3 != 0) }' "$T/a.out")"
sleep 1
echo "# the proxy's upstream half of that tunnel, seen from the server 1 s later: $(ss -Htn "( sport = :$SLOW_PORT )" | awk '{ print $1 }' | sort | uniq -c | tr -s ' \n' ' ')"
sg_check "the sandbox itself still runs (Docker hangs)" true \
    "$(docker inspect -f '{{.State.Running}}' "$A_ID")"
sg_check_match "sandbox-destroy logged the cut" '"event":"tunnels_cut"' \
    "$(cat "$T/destroy-stall.log")"
# The DELETE took longer than SANDGATE_SESSION_CACHE_MS: no worker
# vouches for the token any more.
sg_check "a new tunnel from the sandbox: 407" "000 407" \
    "$(docker exec "$A_ID" curl -s --noproxy '' --proxytunnel -x "$A_PROXY" \
    --max-time 10 -o /dev/null -w '%{http_code} %{http_connect}' \
    "http://localhost:$SLOW_PORT/" 2>/dev/null || true)"
sleep 0.5
sg_check "the server saw no new connection" "$NA" \
    "$(grep -c '^open' "$T/slow.log")"
out=$("$SG_CLI" reap 2>"$T/reap.err") || true
sg_check_match "the reaper removes the revoked sandbox" "reaped $A_ID orphan" "$out"
sg_check "its container is gone" "" "$(docker ps -aq --filter "name=^$A_ID\$")"

# ------------------------------------------------------------- 2. expiry
echo "# 2. a token that expires during the download"
# A sandbox as sandbox-create makes one (labels, a bind under the data
# root, the sandbox network, a session, a token) but expiring in 8 s:
# the API counts duration in hours.
X_ID=sandbox_TUNNELEXPIRY$(printf '%06d' $(($$ % 1000000)))AAAA
echo "$X_ID" >> "$T/containers"
EXP=$(( $(date +%s) + 8 ))
docker run -d --name "$X_ID" --network "$SG_NETWORK" --runtime "$SG_RUNTIME" \
    --read-only --cap-drop ALL --user 65534:65534 \
    --label "sandgate.container_id=$X_ID" --label sandgate.user_id=tun-x \
    --label "sandgate.expires_at=$EXP" \
    -v "$SG_DATADIR/skills:/mnt/skills:ro" "$SG_IMAGE" >/dev/null
X_IP=$(docker inspect -f \
    "{{(index .NetworkSettings.Networks \"$SG_NETWORK\").IPAddress}}" "$X_ID")
set -- $("$SG_BUILD/services/token-verify/tv-mint" container \
    "$SG_KEYS/private-key.pem" "$SG_ISSUER" tun-x "$X_ID" \
    00000000-0000-4000-8000-00000000e2e0 "localhost:$SLOW_PORT" true \
    $((EXP - $(date +%s))))
X_TOK=$1 X_JTI=$2
now=$(date +%s)
redis-cli -s "$SG_SOCKDIR/redis.sock" SET "sandgate:session:$X_ID" \
    "$(printf '{"container_id":"%s","user_id":"tun-x","organization_uuid":"00000000-0000-4000-8000-00000000e2e0","jti":"%s","token_sha256":"%s","allowed_hosts":["localhost:%s"],"container_ip":"%s","docker_id":"","image":"%s","created_at":%s,"expires_at":%s}' \
    "$X_ID" "$X_JTI" "$(printf '%s' "$X_TOK" | sha256sum | cut -d' ' -f1)" \
    "$SLOW_PORT" "$X_IP" "$SG_IMAGE" "$now" "$EXP")" EX $((EXP - now)) >/dev/null
X_PROXY="http://container_$X_ID:jwt_$X_TOK@$SG_GATEWAY_IP:$SG_PROXY_PORT"
"$SG_CLI" reap --loop 60 > "$T/loop.out" 2> "$T/loop.err" &
LOOP_PID=$!
sg_track_pid $LOOP_PID
stream "$X_ID" "$X_PROXY" x
tx_open=$(slow_at open $((NA + 1)) 15)
sg_check_match "the download through the tunnel started" '^[0-9]+$' "$tx_open"
sg_check "it started before the expiry" 1 "$([ "$tx_open" -lt $((EXP * 1000)) ] && echo 1)"
i=0
while [ ! -s "$T/x.done" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
tx_done=$(cat "$T/x.done" 2>/dev/null || echo "")
echo "# token expired at $EXP s; the client's transfer stopped $((tx_done - EXP * 1000)) ms after; curl: $(cat "$T/x.out" 2>/dev/null) (bytes, CONNECT status, exit)"
sg_check "the transfer stopped within 3 s of the expiry" 1 \
    "$([ -n "$tx_done" ] && [ $((tx_done - EXP * 1000)) -le 3000 ] && echo 1)"
sg_check "it was cut (an error, well short of the 25 s stream)" 1 \
    "$(awk '{ print ($1 < 250000 && $3 != 0) }' "$T/x.out")"
i=0
while ! grep -q "reaped $X_ID expired" "$T/loop.out" && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
sg_check_match "reap --loop woke at the expiry" "reaped $X_ID expired" "$(cat "$T/loop.out")"
kill "$LOOP_PID" 2>/dev/null || true
wait "$LOOP_PID" 2>/dev/null || true

sg_done
