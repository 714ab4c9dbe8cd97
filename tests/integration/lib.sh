# SPDX-License-Identifier: ISC
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
# bench/*.sh source this file too, from one level down.
[ -f "$SG_TOP/deploy/lib/all.sh" ] || SG_TOP=$(cd "$(dirname "$0")/.." && pwd)
SG_BUILD=${SG_BUILD:-$SG_TOP}
SG_SVC=$SG_BUILD/services
SG_CLI=$SG_BUILD/tools/sandgate/sandgate
SG_DATA=$SG_TOP/tests/data
# The scripts' library (processes, waits, redis, dockerd, the stack).
. "$SG_TOP/deploy/lib/all.sh"

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
	# shellcheck disable=SC2086
	sg_kill_wait 5 $_sg_pids
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

# sg_apache_head DIR [MODULE...]: the start of a stand-alone httpd.conf for
# a test's forward proxy, rooted in DIR and logging to $T: server settings
# and the modules every egress test needs (event MPM, authn/authz core and
# user, authnz_fcgi, proxy, proxy_http), plus mod_MODULE for each name.
sg_apache_head()
{
	_m=/usr/lib/apache2/modules
	cat <<EOF
ServerRoot $1
ServerName 127.0.0.1
PidFile $1/httpd.pid
Mutex file:$1 default
DefaultRuntimeDir $1
ErrorLog $T/apache-error.log
LogLevel warn
User www-data
Group www-data
EOF
	shift
	for _mod in mpm_event authn_core authz_core authz_user authnz_fcgi \
	    proxy proxy_http "$@"; do
		echo "LoadModule ${_mod}_module $_m/mod_$_mod.so"
	done
}

# A test PKI in DIR (P-256, 2 days; openssl's words in $T/openssl.log):
#   sg_pki_ca DIR NAME                 DIR/NAME.pem, DIR/NAME.key (self-signed)
#   sg_pki_leaf DIR NAME CN EXT [CA]   DIR/NAME.pem signed by DIR/CA (ca);
#                                      EXT the x509v3 lines (SANs, usage)
sg_pki_ca()
{
	mkdir -p "$1"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$1/$2.key" -out "$1/$2.pem" -days 2 -subj "/CN=$2" \
	    2>>"$T/openssl.log"
}
sg_pki_leaf()
{
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$1/$2.key" -out "$1/$2.csr" -subj "/CN=$3" \
	    2>>"$T/openssl.log"
	printf '%s\n' "$4" >"$1/$2.ext"
	openssl x509 -req -in "$1/$2.csr" -CA "$1/${5:-ca}.pem" \
	    -CAkey "$1/${5:-ca}.key" -CAcreateserial -days 2 \
	    -extfile "$1/$2.ext" -out "$1/$2.pem" 2>>"$T/openssl.log"
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
	# Ports already handed out in this test are skipped too: a port
	# chosen but not yet bound is free to the next call (seen in CI: the
	# API gateway and the test's target got the same port).
	SG_PORTS_FILE=${T:+$T/.ports} python3 -c '
import os, random, socket
try:
    low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
except (OSError, ValueError, IndexError):
    low = 32768
hi = max(low - 1, 20001)
given = os.environ.get("SG_PORTS_FILE") or ""
try:
    taken = set(int(x) for x in open(given).read().split()) if given else set()
except (OSError, ValueError):
    taken = set()
def keep(p):
    if given:
        with open(given, "a") as f:
            f.write("%d\n" % p)
    print(p)
for _ in range(200):
    p = random.randint(20000, hi)
    if p in taken:
        continue
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    keep(p)
    break
else:
    s = socket.socket(); s.bind(("127.0.0.1", 0)); keep(s.getsockname()[1]); s.close()
'
}

# Start redis-server on $T/redis.sock and 127.0.0.1:$REDIS_PORT.
# Sets REDIS_SOCK, REDIS_PORT, REDIS_PID.
sg_start_redis()
{
	REDIS_SOCK=$T/redis.sock
	REDIS_PORT=${REDIS_PORT:-$(sg_free_port)}
	_rc=0
	sg_redis_start "$REDIS_SOCK" 777 "$T" "$T/redis.log" "$REDIS_PORT" ||
	    _rc=$?
	REDIS_PID=$SG_REDIS_PID
	sg_track_pid $REDIS_PID
	return $_rc
}

sg_stop_redis()
{
	sg_kill_wait 5 "$REDIS_PID"
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
	sg_wait_tcp 127.0.0.1 "$2"
}

# sg_spawn_procs NAME PORT|SOCKET BINARY N: N processes of BINARY on one
# socket (spawn-fcgi, as a deployment's pool): 127.0.0.1:PORT, or the unix
# socket SOCKET (a path, mode 0666); each one's stderr appended to
# $T/NAME.log, every pid tracked.
sg_spawn_procs()
{
	case $2 in
	/*)	_at="-s $2 -M 0666" ;;	# $T's paths hold no blanks
	*)	_at="-a 127.0.0.1 -p $2" ;;
	esac
	spawn-fcgi $_at -F "$4" -P "$T/$1.pid" \
	    -- /bin/sh -c 'exec "$0" 2>>"$1"' "$3" "$T/$1.log" >/dev/null
	case $2 in
	/*)	sg_wait_file "$2" ;;
	*)	sg_wait_tcp 127.0.0.1 "$2" ;;
	esac
	for _p in $(cat "$T/$1.pid"); do
		sg_track_pid "$_p"
	done
}

# sg_spawn_sock NAME SOCKET BINARY: the same on the unix socket SOCKET
# (SANDGATE_SOCKET_MODE from the environment).
sg_spawn_sock()
{
	SANDGATE_SOCKET="$2" "$3" 2>>"$T/$1.log" &
	_pid=$!
	sg_track_pid $_pid
	eval "PID_$(echo "$1" | tr -c 'A-Za-z0-9\n' _)=$_pid"
	sg_wait_file "$2"
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

# sg_own_stack TAG PROCS: the settings of a Docker-backed stack of the
# test's own, so that it never touches ./run/ or a stack of ./run.sh:
# its run directory, free ports, network, bridge and firewall table named
# after TAG, image sandgate-sandbox:TAG, issuer sandgate-TAG, PROCS
# workers per service, the web servers as nobody (so the proxy-host
# firewall, keyed on the proxy's user, touches no other Apache here).
# Exported for sg_run_config; change any of them after the call.
sg_own_stack()
{
	SG_RUNDIR=$T/run
	SG_API_PORT=$(sg_free_port)
	SG_METRICS_PORT=$(sg_free_port)
	SG_PROXY_PORT=$(sg_free_port)
	SG_STRICT_PORT=$(sg_free_port)
	SG_VERIFY_PORT=$(sg_free_port)
	SG_VERIFY_STRICT_PORT=$(sg_free_port)
	SG_BROKER_PORT=$(sg_free_port)
	SG_PROBE_PORT=$(sg_free_port)
	SG_TARGET_PORT=$(sg_free_port)
	SG_TARGET_TLS_PORT=$(sg_free_port)
	SG_NETWORK=sgtest-$1-$$
	# An interface name has at most 15 bytes (IFNAMSIZ - 1): sg, seven of
	# the name, six of the PID.
	SG_BRIDGE=sg$(printf %.7s "$1")$(($$ % 1000000))
	SG_FW_TABLE=sgtest_$1_$$
	SG_IMAGE=sandgate-sandbox:$1
	SG_ISSUER=sandgate-$1
	SG_PROCS=$2
	SG_WWW_USER=nobody
	SG_WWW_GROUP=nogroup
	export SG_RUNDIR SG_API_PORT SG_METRICS_PORT SG_PROXY_PORT SG_STRICT_PORT \
	    SG_VERIFY_PORT SG_VERIFY_STRICT_PORT SG_BROKER_PORT SG_PROBE_PORT \
	    SG_TARGET_PORT \
	    SG_TARGET_TLS_PORT SG_NETWORK SG_BRIDGE SG_FW_TABLE SG_IMAGE \
	    SG_ISSUER SG_PROCS SG_WWW_USER SG_WWW_GROUP
}

# sg_own_subnet A.B LOW COUNT [SEED]: SG_SUBNET=A.B.N.0/24 with N in
# LOW..LOW+COUNT-1 that no route and no network of the engine uses
# (tests take ranges of their own, so that they can run side by side).
sg_own_subnet()
{
	_used="$(ip -4 route show | awk '{ print $1 }') $( (docker network \
	    inspect $(docker network ls -q) -f \
	    '{{range .IPAM.Config}}{{.Subnet}} {{end}}') 2>/dev/null || true)"
	[ $(($2 + $3)) -le 256 ] || { echo "sg_own_subnet: $2 + $3 passes 255"; exit 1; }
	_re=$(printf '%s' "$1" | sed 's/\./\\./g')
	_n=$(($2 + ($$ + ${4:-0}) % $3))
	_i=0
	while printf '%s\n' $_used | grep -q "^$_re\.$_n\."; do
		_n=$(($2 + (_n - $2 + 1) % $3))
		_i=$((_i + 1))
		[ $_i -lt "$3" ] || { echo "no free $1.x.0/24"; exit 1; }
	done
	SG_SUBNET=$1.$_n.0/24
	export SG_SUBNET
}
