# Shared helpers for integration tests.  Source it from a t-*.sh script:
#
#   . "$(dirname "$0")/lib.sh"
#   sg_setup            # temp dir in $T, cleanup on exit
#   sg_start_redis      # redis-server on $T/redis.sock and a TCP port
#
# Everything listens on loopback or unix sockets under $T.  Processes are
# stopped by the PIDs recorded here, never by name.
set -eu

SG_TOP=$(cd "$(dirname "$0")/../.." && pwd)
SG_BUILD=${SG_BUILD:-$SG_TOP}
SG_SVC=$SG_BUILD/services
SG_CLI=$SG_BUILD/tools/sandgate/sandgate
SG_DATA=$SG_TOP/tests/data

_sg_pids=""
_sg_cleanups=""
_sg_pass=0
_sg_fail=0

sg_setup()
{
	T=$(mktemp -d /tmp/sgtest.XXXXXX)
	chmod 755 "$T"
	trap sg_cleanup EXIT
	trap 'exit 130' INT TERM
}

# sg_on_exit "command": run at cleanup, last registered first.
sg_on_exit()
{
	_sg_cleanups="$1
$_sg_cleanups"
}

sg_track_pid()
{
	_sg_pids="$1 $_sg_pids"
}

sg_cleanup()
{
	rc=$?
	set +e
	printf '%s\n' "$_sg_cleanups" | while IFS= read -r c; do
		[ -n "$c" ] && eval "$c" >/dev/null 2>&1
	done
	for p in $_sg_pids; do
		kill "$p" 2>/dev/null
	done
	for p in $_sg_pids; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -9 "$p" 2>/dev/null
	done
	if [ $rc -ne 0 ] && [ -n "${T:-}" ]; then
		for f in "$T"/*.log; do
			[ -f "$f" ] || continue
			echo "----- $f (last 30 lines)"
			tail -n 30 "$f"
		done
	fi
	[ -n "${T:-}" ] && rm -rf "$T"
	exit $rc
}

# A free TCP port on 127.0.0.1 (best effort: bind, read, close).
#
# Chosen below the kernel's ephemeral range (ip_local_port_range), not by
# binding port 0: a port handed out from that range can be taken again at
# any moment as the local port of some outgoing connection (to Redis, to
# a worker) before our server binds it -- seen as a CI flake ("Address
# already in use" from Apache).  Random in 20000..(low-1), tried until one
# binds; SO_REUSEADDR off so a port in TIME_WAIT counts as taken.
sg_free_port()
{
	python3 -c '
import random, socket
try:
    low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
except (OSError, ValueError, IndexError):
    low = 32768
hi = max(low - 1, 20001)
for _ in range(200):
    p = random.randint(20000, hi)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    print(p)
    break
else:
    s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
'
}

# sg_wait_port PORT [SECONDS]: wait until 127.0.0.1:PORT accepts.
# (POSIX sh has no /dev/tcp: dash is Debian's sh.)
sg_wait_port()
{
	python3 - "$1" "${2:-10}" <<'PY' || { echo "port $1 did not open" >&2; return 1; }
import socket, sys, time
port, limit = int(sys.argv[1]), float(sys.argv[2])
end = time.monotonic() + limit
while time.monotonic() < end:
    try:
        socket.create_connection(("127.0.0.1", port), 0.5).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
PY
}

# sg_wait_file PATH [SECONDS]
sg_wait_file()
{
	_n=$(( ${2:-10} * 10 ))
	while [ $_n -gt 0 ]; do
		[ -e "$1" ] && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	echo "$1 did not appear" >&2
	return 1
}

# Start redis-server on $T/redis.sock and 127.0.0.1:$REDIS_PORT.
# Sets REDIS_SOCK, REDIS_PORT, REDIS_PID.
sg_start_redis()
{
	REDIS_SOCK=$T/redis.sock
	REDIS_PORT=${REDIS_PORT:-$(sg_free_port)}
	redis-server --port "$REDIS_PORT" --bind 127.0.0.1 \
	    --unixsocket "$REDIS_SOCK" --unixsocketperm 777 \
	    --save '' --appendonly no --daemonize no \
	    --dir "$T" --logfile "$T/redis.log" &
	REDIS_PID=$!
	sg_track_pid $REDIS_PID
	sg_wait_file "$REDIS_SOCK"
	sg_wait_port "$REDIS_PORT"
}

sg_stop_redis()
{
	kill "$REDIS_PID" 2>/dev/null
	wait "$REDIS_PID" 2>/dev/null || true
}

sg_redis()
{
	redis-cli -s "$REDIS_SOCK" "$@"
}

# sg_spawn NAME PORT BINARY: a FastCGI service on 127.0.0.1:PORT with the
# current environment; its stderr goes to $T/NAME.log.
sg_spawn()
{
	SANDGATE_SOCKET="127.0.0.1:$2" "$3" 2>>"$T/$1.log" &
	_pid=$!
	sg_track_pid $_pid
	eval "PID_$(echo "$1" | tr -c 'A-Za-z0-9\n' _)=$_pid"
	sg_wait_port "$2"
}

# Assertions.  sg_check NAME EXPECTED ACTUAL
sg_check()
{
	if [ "$2" = "$3" ]; then
		_sg_pass=$((_sg_pass + 1))
		echo "ok   - $1"
	else
		_sg_fail=$((_sg_fail + 1))
		echo "FAIL - $1: expected '$2', got '$3'"
	fi
}

# sg_check_match NAME ERE ACTUAL
sg_check_match()
{
	if printf '%s' "$3" | grep -Eq -- "$2"; then
		_sg_pass=$((_sg_pass + 1))
		echo "ok   - $1"
	else
		_sg_fail=$((_sg_fail + 1))
		echo "FAIL - $1: '$3' does not match /$2/"
	fi
}

# Print the summary and fail the script if anything failed.
sg_done()
{
	echo "$_sg_pass passed, $_sg_fail failed"
	[ $_sg_fail -eq 0 ] && [ $_sg_pass -gt 0 ]
}
