#!/bin/sh
# SPDX-License-Identifier: ISC
# What the units' Type=notify and SANDGATE_WORKERS promise systemd
# (issue 20.4), without systemd: a datagram socket stands in for
# $NOTIFY_SOCKET and spawn-fcgi -n for the socket unit (the listening
# socket on fd 0, the service exec'd in its place, as StandardInput=socket
# does).  token-verify with SANDGATE_WORKERS=3:
#   1. READY=1 arrives after the socket serves: a FastCGI request
#      sent the moment it arrives is answered; three workers run under
#      the one main process;
#      with no Redis, /healthz and /readyz answer 503, /livez 200;
#   2. a worker that dies is replaced (new PID), the pool keeps running;
#   3. SIGHUP to the main process reloads the workers (keys_reloaded on
#      their next request) and stops none of them (multiwatch stopped its
#      whole pool on SIGHUP);
#   4. SIGTERM: STOPPING=1, exit 0, no worker left;
#   5. a bad key file found by the workers at start-up: exit 78, never
#      READY=1;
#   6. workers that keep dying within 10 s of their start: the main
#      process stops the pool and exits 70, so the unit fails
#      (multiwatch exits 0 after its crash-loop limit);
#   7. sandbox-destroy's /healthz: 503 without Docker or Redis, else 200.
. "$(dirname "$0")/lib.sh"
sg_setup

TV=$SG_SVC/token-verify/token-verify
for v in $(env | sed -n 's/^\(SANDGATE_[A-Z_]*\)=.*/\1/p'); do
	unset "$v"
done
"$SG_CLI" keygen "$T/keys" >/dev/null
export SANDGATE_VERIFY_KEYS="$T/keys/jwks.json"
export SANDGATE_REDIS="unix:$T/no-redis.sock"
export SANDGATE_WORKERS=3

# The stand-in for systemd's notification socket: one line per datagram
# in $T/notify.out, "MSG | answered=1" when a FastCGI request sent on
# READY=1 got its answer.
cat > "$T/notify.py" <<'PY'
import os, socket, sys
path, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
BEGIN = bytes([1, 1, 0, 1, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0])
def nv(k, v):
    return bytes([len(k), len(v)]) + k + v
def request():
    p = nv(b"REQUEST_METHOD", b"GET") + nv(b"REQUEST_URI", b"/")
    rec = bytes([1, 4, 0, 1, 0, len(p), 0, 0]) + p
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    s.sendall(BEGIN + rec + bytes([1, 4, 0, 1, 0, 0, 0, 0]) +
              bytes([1, 5, 0, 1, 0, 0, 0, 0]))
    got = s.recv(4096)
    s.close()
    return b"Status:" in got
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
with open(out + ".tmp", "w"):
    pass
os.rename(out + ".tmp", out)
with open(out, "a", buffering=1) as f:
    while True:
        m = s.recv(4096).decode().replace("\n", " ")
        extra = ""
        if "READY=1" in m:
            try:
                extra = " | answered=%d" % request()
            except OSError:
                extra = " | answered=0"
        f.write(m + extra + "\n")
PY

# One FastCGI request (GET URI, default /) to 127.0.0.1:PORT; exit 0 if
# answered; prints the status code.
cat > "$T/req.py" <<'PY'
import re, socket, sys
def nv(k, v):
    return bytes([len(k), len(v)]) + k + v
uri = (sys.argv[2] if len(sys.argv) > 2 else "/").encode()
p = nv(b"REQUEST_METHOD", b"GET") + nv(b"REQUEST_URI", uri)
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3)
s.sendall(bytes([1, 1, 0, 1, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]) +
          bytes([1, 4, 0, 1, 0, len(p), 0, 0]) + p +
          bytes([1, 4, 0, 1, 0, 0, 0, 0]) + bytes([1, 5, 0, 1, 0, 0, 0, 0]))
got = b""
while True:
    d = s.recv(4096)
    if not d:
        break
    got += d
m = re.search(rb"Status: (\d+)", got)
e = re.search(rb'"error":"([a-z_]+)"', got)
print((m.group(1).decode() if m else "none") +
      (" " + e.group(1).decode() if e and len(sys.argv) > 3 else ""))
sys.exit(0 if m else 1)
PY

# listener NAME PORT: the notification socket $T/NAME.sock.
listener()
{
	python3 "$T/notify.py" "$T/$1.sock" "$2" "$T/$1.out" &
	sg_track_pid $!
	sg_wait_file "$T/$1.out"
}

# start NAME PORT: token-verify as its unit would run it; $MAIN its PID.
start()
{
	NOTIFY_SOCKET=$T/$1.sock spawn-fcgi -n -a 127.0.0.1 -p "$2" -- \
	    /bin/sh -c 'exec "$0" 2>>"$1"' "$TV" "$T/$1.log" \
	    </dev/null >/dev/null 2>>"$T/spawn-fcgi.log" &
	MAIN=$!
	sg_track_pid $MAIN
}

workers()
{
	ps -o pid= --ppid "$MAIN" | tr -d ' ' | sort -n | tr '\n' ' ' |
	    sed 's/ $//'
}

# wait_workers N: until the main process has N children (10 s).
wait_workers()
{
	_n=0
	while [ "$(workers | wc -w)" -ne "$1" ] && [ $_n -lt 100 ]; do
		sleep 0.1
		_n=$((_n + 1))
	done
}

# wait_line FILE ERE: until a line of FILE matches (10 s).
wait_line()
{
	_n=0
	while ! grep -Eq -- "$2" "$1" 2>/dev/null && [ $_n -lt 100 ]; do
		sleep 0.1
		_n=$((_n + 1))
	done
}

# exit_status PID: $ST, its exit status once it stopped (20 s), or
# "running" (in this shell: only it can wait for its child).
exit_status()
{
	_n=0
	while sg_run_running "$1" && [ $_n -lt 200 ]; do
		sleep 0.1
		_n=$((_n + 1))
	done
	if sg_run_running "$1"; then
		ST=running
	else
		ST=0
		wait "$1" || ST=$?
	fi
}

# ---- 1. readiness ------------------------------------------------------------
P=$(sg_free_port)
listener a "$P"
start a "$P"
wait_line "$T/a.out" 'READY=1'
sg_check "READY=1, and a request sent on it answered" "READY=1 | answered=1" \
    "$(grep READY "$T/a.out" | sort -u)"
wait_workers 3
sg_check "three workers under the main process" 3 "$(workers | wc -w)"
sg_check_match "the pool logged" '"event":"pool_start","workers":"3"' \
    "$(cat "$T/a.log")"

# Readiness over HTTP (issue 20.8): Redis is not there (SANDGATE_REDIS
# names no socket), so the node cannot decide: /healthz and /readyz 503,
# /livez 200.
sg_check "Redis down: /healthz 503" 503 "$(python3 "$T/req.py" "$P" /healthz)"
sg_check "Redis down: /readyz 503" 503 "$(python3 "$T/req.py" "$P" /readyz)"
sg_check "Redis down: /livez 200" 200 "$(python3 "$T/req.py" "$P" /livez)"

# ---- 2. a dead worker is replaced -----------------------------------------------
before=$(workers)
victim=${before%% *}
kill -9 "$victim"
n=0
while [ "$(workers)" = "$before" ] || [ "$(workers | wc -w)" -ne 3 ]; do
	[ $n -lt 100 ] || break
	sleep 0.1
	n=$((n + 1))
done
after=$(workers)
sg_check "replaced: three workers again" 3 "$(printf '%s\n' $after | wc -l)"
sg_check "replaced: the dead one is gone" "" \
    "$(printf '%s\n' $after | grep -x "$victim" || true)"
sg_check "replaced: the main process runs" 1 \
    "$(sg_run_running "$MAIN" && echo 1 || echo 0)"

# ---- 3. SIGHUP reloads, stops nothing -------------------------------------------
before=$(workers)
kill -HUP "$MAIN"
wait_line "$T/a.log" '"event":"pool_reload"'
sleep 0.3
for i in 1 2 3 4 5 6; do
	python3 "$T/req.py" "$P" >/dev/null 2>&1 || true
done
sg_check "SIGHUP: the same workers" "$before" "$(workers)"
sg_check "SIGHUP: the main process runs" 1 \
    "$(sg_run_running "$MAIN" && echo 1 || echo 0)"
sg_check_match "SIGHUP: a worker reloaded its keys" '"event":"keys_reloaded"' \
    "$(cat "$T/a.log")"

# ---- 4. SIGTERM -------------------------------------------------------------------
old=$(workers)
kill -TERM "$MAIN"
exit_status "$MAIN"
sg_check "SIGTERM: exit 0" 0 "$ST"
sg_check "SIGTERM: no worker left" "" \
    "$(for w in $old; do sg_run_running "$w" && echo "$w"; done)"
wait_line "$T/a.out" 'STOPPING=1'
sg_check_match "SIGTERM: STOPPING=1" 'STOPPING=1' "$(cat "$T/a.out")"

# ---- 5. a start-up fault in the workers --------------------------------------------
P=$(sg_free_port)
listener b "$P"
SANDGATE_VERIFY_KEYS=$T/keys/missing.json start b "$P"
exit_status "$MAIN"
sg_check "bad key file: exit 78" 78 "$ST"
sg_check "bad key file: never READY=1" "" "$(grep READY "$T/b.out" || true)"
sg_check_match "bad key file: said why" '"event":"pool_config"' \
    "$(cat "$T/b.log")"

# ---- 6. a crash loop fails the service --------------------------------------------
P=$(sg_free_port)
listener c "$P"
start c "$P"
wait_line "$T/c.out" 'READY=1'
for round in 1 2 3 4; do
	wait_workers 3
	sg_run_running "$MAIN" || break
	# shellcheck disable=SC2046
	kill -9 $(workers) 2>/dev/null || true
	sleep 0.3
done
exit_status "$MAIN"
sg_check "crash loop: exit 70" 70 "$ST"
sg_check_match "crash loop: logged" '"event":"pool_crash_loop"' \
    "$(cat "$T/c.log")"
sg_check_match "crash loop: STATUS for systemctl status" \
    'STATUS=worker pool crash loop' "$(cat "$T/c.out")"

# ---- 7. sandbox-destroy's /healthz (issue 20.8) ------------------------------------
# Docker's /_ping and Redis's PING only: nothing is created.
export SANDGATE_WORKERS=1
P=$(sg_free_port)
SANDGATE_DOCKER_SOCKET=$T/no-docker.sock sg_spawn destroy-a "$P" \
    "$SG_SVC/sandbox-destroy/sandbox-destroy"
sg_check "destroy /healthz, no Docker: 503" "503 docker_unavailable" \
    "$(python3 "$T/req.py" "$P" /healthz/sandbox-destroy e)"
if [ -S /var/run/docker.sock ] && docker info >/dev/null 2>&1; then
	P=$(sg_free_port)
	sg_spawn destroy-b "$P" "$SG_SVC/sandbox-destroy/sandbox-destroy"
	sg_check "destroy /healthz, no Redis: 503" "503 redis_unavailable" \
	    "$(python3 "$T/req.py" "$P" /healthz e)"
	sg_start_redis
	P=$(sg_free_port)
	SANDGATE_REDIS=unix:$REDIS_SOCK sg_spawn destroy-c "$P" \
	    "$SG_SVC/sandbox-destroy/sandbox-destroy"
	sg_check "destroy /healthz, both up: 200" 200 \
	    "$(python3 "$T/req.py" "$P" /healthz)"
else
	echo "note: no dockerd answers; sandbox-destroy's healthy case not run"
fi

sg_done
