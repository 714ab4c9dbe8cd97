#!/bin/sh
# sandgate, the whole stack on one machine, with one command (as root, on
# Debian 12):
#
#   ./run.sh          install what is missing, build, start everything, and
#                     show from inside a demo sandbox that egress works
#   ./run.sh stop     stop everything run.sh started, remove the demo sandbox
#   ./run.sh status   what runs, where it listens
#
# Everything lives under ./run/ (keys, sockets, logs, PIDs).  Running it
# twice is safe: what already runs is kept.  Settings (environment):
#
#   SG_PROCS=2             FastCGI processes per service
#   SG_API_SERVER=lighttpd the API gateway: lighttpd or nginx
#   SG_API_PORT=8080       API gateway on 127.0.0.1
#   SG_PROXY_PORT=8443     egress proxy on the sandbox network's gateway
#   SG_SUBNET=172.30.99.0/24, SG_NETWORK=sandgate-egress,
#   SG_BRIDGE=sg-egress0   the internal Docker network for sandboxes
#   SG_RUNDIR=./run        state directory
#   SG_NO_BUILD=1          use the binaries already built (in SG_BUILD)
#
# The functions below are also used by tests/integration/t-e2e.sh, which
# sources this file with SG_RUN_LIB=1 and its own directory and ports.

# ---------------------------------------------------------------- settings

sg_run_config()
{
	SG_TOP=${SG_TOP:-$(cd "$(dirname "$0")" && pwd)}
	SG_BUILD=${SG_BUILD:-$SG_TOP}
	SG_RUNDIR=${SG_RUNDIR:-$SG_TOP/run}
	SG_PROCS=${SG_PROCS:-2}
	SG_API_SERVER=${SG_API_SERVER:-lighttpd}
	SG_API_ADDR=${SG_API_ADDR:-127.0.0.1}
	SG_API_PORT=${SG_API_PORT:-8080}
	SG_PROXY_PORT=${SG_PROXY_PORT:-8443}
	# A second proxy with SANDGATE_EGRESS_DENY_PRIVATE=1, to show the
	# default rule that the loopback demo target makes us turn off.
	SG_STRICT_PORT=${SG_STRICT_PORT:-8444}
	SG_VERIFY_PORT=${SG_VERIFY_PORT:-9101}
	SG_VERIFY_STRICT_PORT=${SG_VERIFY_STRICT_PORT:-9102}
	SG_SUBNET=${SG_SUBNET:-172.30.99.0/24}
	_net=${SG_SUBNET%/*}
	SG_GATEWAY_IP=${SG_GATEWAY_IP:-${_net%.*}.1}
	SG_NETWORK=${SG_NETWORK:-sandgate-egress}
	SG_BRIDGE=${SG_BRIDGE:-sg-egress0}
	SG_FW_TABLE=${SG_FW_TABLE:-sandgate_run}
	SG_IMAGE=${SG_IMAGE:-sandgate-sandbox:latest}
	SG_ISSUER=${SG_ISSUER:-sandgate-local}
	SG_TARGET_PORT=${SG_TARGET_PORT:-8090}
	SG_TARGET_TLS_PORT=${SG_TARGET_TLS_PORT:-8091}
	SG_CONNECT_PORTS=${SG_CONNECT_PORTS:-443 $SG_TARGET_TLS_PORT}
	SG_WWW_USER=${SG_WWW_USER:-www-data}
	SG_WWW_GROUP=${SG_WWW_GROUP:-www-data}
	SG_DOCKER_SOCKET=${SG_DOCKER_SOCKET:-/var/run/docker.sock}
	SG_CLI=${SG_CLI:-$SG_BUILD/tools/sandgate/sandgate}
	SG_SERVICES="token-issuer token-verify session-query sandbox-create sandbox-destroy"

	SG_KEYS=$SG_RUNDIR/keys
	SG_SOCKDIR=$SG_RUNDIR/sock
	SG_PIDDIR=$SG_RUNDIR/pids
	SG_LOGDIR=$SG_RUNDIR/log
	SG_DATADIR=$SG_RUNDIR/data
	SG_API_URL=http://$SG_API_ADDR:$SG_API_PORT
	SG_PROXY_URL=http://$SG_GATEWAY_IP:$SG_PROXY_PORT
}

sg_run_say()
{
	printf '%s\n' "run.sh: $*"
}

sg_run_die()
{
	printf '%s\n' "run.sh: error: $*" >&2
	exit 1
}

# ------------------------------------------------------------ process table

# PIDs live in $SG_PIDDIR/NAME.pid as "PID STARTTIME" lines; nothing is
# ever stopped by name.  The start time (/proc/PID/stat field 22) guards
# against a PID reused after a reboot or a crash: such a PID is not ours.
sg_run_starttime()
{
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20
}

# sg_run_record NAME: add start times to the bare PIDs in NAME.pid.
sg_run_record()
{
	_f=$SG_PIDDIR/$1.pid
	[ -f "$_f" ] || return 0
	: > "$_f.tmp"
	for _q in $(cut -d' ' -f1 "$_f"); do
		echo "$_q $(sg_run_starttime "$_q")" >> "$_f.tmp"
	done
	mv "$_f.tmp" "$_f"
}

# The recorded PIDs of NAME that are still the processes we started.
sg_run_pids()
{
	[ -f "$SG_PIDDIR/$1.pid" ] || return 0
	while read -r _q _st || [ -n "${_q:-}" ]; do
		[ -n "$_q" ] || continue
		if [ -z "$_st" ] || [ "$(sg_run_starttime "$_q")" = "$_st" ]; then
			printf '%s ' "$_q"
		fi
	done < "$SG_PIDDIR/$1.pid"
	return 0
}

# sg_run_running PID: it exists and is not a zombie (an orphan waits for
# init to reap it, which may take a while in a container).
sg_run_running()
{
	kill -0 "$1" 2>/dev/null || return 1
	case $(ps -o stat= -p "$1" 2>/dev/null) in
	Z*|"") return 1 ;;
	esac
	return 0
}

# sg_run_alive NAME: every recorded PID of NAME runs.
sg_run_alive()
{
	[ -f "$SG_PIDDIR/$1.pid" ] || return 1
	_p=$(sg_run_pids "$1")
	[ -n "$_p" ] || return 1
	[ "$(echo $_p | wc -w)" -eq "$(grep -c . "$SG_PIDDIR/$1.pid")" ] || return 1
	for _q in $_p; do
		sg_run_running "$_q" || return 1
	done
	return 0
}

# sg_run_kill NAME: TERM the recorded PIDs, wait up to 5 s, then KILL.
sg_run_kill()
{
	_p=$(sg_run_pids "$1")
	rm -f "$SG_PIDDIR/$1.pid"
	[ -n "$_p" ] || return 0
	for _q in $_p; do
		kill "$_q" 2>/dev/null || true
	done
	_n=50
	for _q in $_p; do
		while sg_run_running "$_q" && [ $_n -gt 0 ]; do
			sleep 0.1
			_n=$((_n - 1))
		done
		kill -9 "$_q" 2>/dev/null || true
	done
	return 0
}

# sg_run_wait_tcp ADDR PORT [SECONDS]
sg_run_wait_tcp()
{
	python3 - "$1" "$2" "${3:-15}" <<'EOF' || return 1
import socket, sys, time
addr, port, limit = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
end = time.time() + limit
while time.time() < end:
    try:
        socket.create_connection((addr, port), timeout=0.5).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.stderr.write("nothing listens on %s:%d\n" % (addr, port))
sys.exit(1)
EOF
}

# sg_run_wait_sock PATH [SECONDS]
sg_run_wait_sock()
{
	_n=$(( ${2:-15} * 10 ))
	while [ $_n -gt 0 ]; do
		[ -S "$1" ] && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	echo "no socket $1" >&2
	return 1
}

# sg_run_fill TEMPLATE OUT: the @PLACEHOLDERS@ of deploy/ filled in.
sg_run_fill()
{
	sed -e "s|@RUNDIR@|$SG_RUNDIR|g" \
	    -e "s|@LOGDIR@|$SG_LOGDIR|g" \
	    -e "s|@SOCKDIR@|$SG_SOCKDIR|g" \
	    -e "s|@API_ADDR@|$SG_API_ADDR|g" \
	    -e "s|@PORT_API@|$SG_API_PORT|g" \
	    -e "s|@WWW_USER@|$SG_WWW_USER|g" \
	    -e "s|@WWW_GROUP@|$SG_WWW_GROUP|g" \
	    -e "s|@PROXY_ADDR@|$SG_GATEWAY_IP|g" \
	    -e "s|@GATEWAY_IP@|$SG_GATEWAY_IP|g" \
	    -e "s|@CONNECT_PORTS@|$SG_CONNECT_PORTS|g" \
	    -e "s|@BRIDGE@|$SG_BRIDGE|g" \
	    -e "s|@TABLE@|$SG_FW_TABLE|g" \
	    "$1" > "$2"
}

# ------------------------------------------------------------ install/build

sg_run_deps()
{
	. "$SG_TOP/tests/deps.sh"
	sg_install_deps
	# Not (yet) in tests/deps.sh: busybox-static builds the sandbox image,
	# nftables loads the sandbox-network firewall.
	_missing=""
	for _pkg in busybox-static nftables; do
		dpkg-query -W -f='${Status}' "$_pkg" 2>/dev/null |
		    grep -q "install ok installed" || _missing="$_missing $_pkg"
	done
	if [ -n "$_missing" ]; then
		sg_run_say "installing$_missing"
		DEBIAN_FRONTEND=noninteractive apt-get update -qq
		# shellcheck disable=SC2086
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		    --no-install-recommends $_missing >/dev/null
	fi
}

sg_run_build()
{
	mkdir -p "$SG_RUNDIR"
	_log=$SG_RUNDIR/build.log
	sg_run_say "building in $SG_BUILD (log: $_log)"
	if ! (
		set -e
		cd "$SG_TOP"
		if [ ! -x configure ] || [ configure.ac -nt configure ] ||
		    [ Makefile.am -nt configure ]; then
			./autogen.sh
		fi
		mkdir -p "$SG_BUILD"
		cd "$SG_BUILD"
		if [ ! -f Makefile ] || [ "$SG_TOP/configure" -nt Makefile ]; then
			"$SG_TOP/configure" -q
		fi
		make -j"$(nproc)"
	) > "$_log" 2>&1; then
		tail -n 30 "$_log" >&2
		sg_run_die "build failed (see $_log)"
	fi
}

sg_run_check_binaries()
{
	for _s in $SG_SERVICES; do
		[ -x "$SG_BUILD/services/$_s/$_s" ] ||
		    sg_run_die "not built: $SG_BUILD/services/$_s/$_s"
	done
	[ -x "$SG_CLI" ] || sg_run_die "not built: $SG_CLI"
}

# ------------------------------------------------------------------- parts

sg_run_dirs()
{
	mkdir -p "$SG_RUNDIR" "$SG_KEYS" "$SG_SOCKDIR" "$SG_PIDDIR" \
	    "$SG_LOGDIR" "$SG_DATADIR" "$SG_RUNDIR/apache/sites" \
	    "$SG_RUNDIR/lighttpd/empty" "$SG_RUNDIR/nginx/tmp" \
	    "$SG_RUNDIR/redis" "$SG_RUNDIR/tls" "$SG_LOGDIR/www" \
	    "$SG_RUNDIR/metrics"
	chmod 755 "$SG_RUNDIR"
	# The metrics file every service process adds to (docs/operations.md).
	chmod 700 "$SG_KEYS" "$SG_RUNDIR/redis" "$SG_RUNDIR/metrics"
	# The web servers (www-data) connect to the service sockets and
	# write their own logs after dropping privileges.
	chgrp "$SG_WWW_GROUP" "$SG_SOCKDIR"
	chmod 750 "$SG_SOCKDIR"
	chown "$SG_WWW_USER:$SG_WWW_GROUP" "$SG_LOGDIR/www"
}

# Signing key and its public half.  An existing key is kept.
sg_run_keys()
{
	# private-key.pem (0600), public-key.pem, jwks.json; kept if present.
	[ -s "$SG_KEYS/private-key.pem" ] && return 0
	"$SG_CLI" keygen "$SG_KEYS" >/dev/null || sg_run_die "sandgate keygen failed"
}

sg_run_env()
{
	export SANDGATE_ISSUER="$SG_ISSUER"
	export SANDGATE_SIGNING_KEY="$SG_KEYS/private-key.pem"
	export SANDGATE_VERIFY_KEYS="$SG_KEYS/public-key.pem"
	export SANDGATE_REDIS="unix:$SG_SOCKDIR/redis.sock"
	export SANDGATE_DOCKER_SOCKET="$SG_DOCKER_SOCKET"
	export SANDGATE_RUNTIME="$SG_RUNTIME"
	export SANDGATE_IMAGE="$SG_IMAGE"
	export SANDGATE_NETWORK="$SG_NETWORK"
	export SANDGATE_PROXY_URL="$SG_PROXY_URL"
	export SANDGATE_DATA_ROOT="$SG_DATADIR"
	export SANDGATE_LOG_LEVEL="${SANDGATE_LOG_LEVEL:-info}"
	# Metrics (GET /metrics) and the audit trail (docs/operations.md).
	export SANDGATE_METRICS_DIR="$SG_RUNDIR/metrics"
	export SANDGATE_AUDIT_MAXLEN="${SANDGATE_AUDIT_MAXLEN:-100000}"
	# The demo target listens on loopback, which the private-address
	# rule refuses (as it should in production); off for this stack.
	export SANDGATE_EGRESS_DENY_PRIVATE=0
	unset SANDGATE_SOCKET
	env | grep '^SANDGATE_' | sort > "$SG_RUNDIR/sandgate.env"
}

sg_run_redis()
{
	sg_run_alive redis && return 0
	rm -f "$SG_SOCKDIR/redis.sock"
	setsid redis-server --port 0 --unixsocket "$SG_SOCKDIR/redis.sock" \
	    --unixsocketperm 700 --save '' --appendonly no \
	    --daemonize no --dir "$SG_RUNDIR/redis" \
	    --logfile "$SG_LOGDIR/redis.log" </dev/null >/dev/null 2>&1 &
	echo $! > "$SG_PIDDIR/redis.pid"
	sg_run_record "redis"
	sg_run_wait_sock "$SG_SOCKDIR/redis.sock" ||
	    sg_run_die "redis did not start (see $SG_LOGDIR/redis.log)"
}

sg_run_docker_ok()
{
	docker -H "unix://$SG_DOCKER_SOCKET" info >/dev/null 2>&1
}

# Use the running Docker daemon, or start one (and remember its PID).
sg_run_dockerd()
{
	if sg_run_docker_ok; then
		return 0
	fi
	if [ "$SG_DOCKER_SOCKET" != /var/run/docker.sock ]; then
		sg_run_die "no Docker daemon answers on $SG_DOCKER_SOCKET"
	fi
	# One may be starting right now (a test, another run.sh).
	if [ -s /var/run/docker.pid ] &&
	    kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
		_n=300
		while ! sg_run_docker_ok; do
			_n=$((_n - 1))
			[ $_n -gt 0 ] || sg_run_die "a dockerd runs but does not answer"
			sleep 0.1
		done
		return 0
	fi
	sg_run_say "starting dockerd (none was running)"
	_rt=""
	if command -v runsc >/dev/null 2>&1; then
		_rt="--add-runtime runsc=$(command -v runsc)"
	fi
	# shellcheck disable=SC2086
	setsid dockerd $_rt </dev/null > "$SG_LOGDIR/dockerd.log" 2>&1 &
	echo $! > "$SG_PIDDIR/dockerd.pid"
	sg_run_record "dockerd"
	_n=300
	while ! sg_run_docker_ok; do
		_n=$((_n - 1))
		[ $_n -gt 0 ] || sg_run_die "dockerd did not start (see $SG_LOGDIR/dockerd.log)"
		sleep 0.1
	done
}

# gVisor if the daemon has it and it works here, else runc, said aloud.
sg_run_runtime()
{
	if [ -n "${SG_RUNTIME:-}" ]; then
		return 0
	fi
	SG_RUNTIME=runc
	if docker info --format '{{json .Runtimes}}' 2>/dev/null |
	    grep -q '"runsc"'; then
		if docker run --rm --runtime runsc --network none \
		    "$SG_IMAGE" true >/dev/null 2>&1; then
			SG_RUNTIME=runsc
			return 0
		fi
		SG_RUNTIME_NOTE="gVisor (runsc) is registered but cannot start a container on this machine"
	else
		SG_RUNTIME_NOTE="gVisor (runsc) is not installed in the Docker daemon"
	fi
	sg_run_say "WARNING: $SG_RUNTIME_NOTE: sandboxes run under runc"
	sg_run_say "         (shared host kernel; see docs/deploy.md, gVisor)"
}

sg_run_image()
{
	SANDGATE_IMAGE=$SG_IMAGE "$SG_TOP/deploy/image/build.sh" \
	    -t "$SG_IMAGE" >/dev/null || sg_run_die "sandbox image build failed"
}

# The internal network: no route out; the host answers on the gateway
# address, where only the proxy port is open (deploy/firewall).
sg_run_network()
{
	if docker network inspect "$SG_NETWORK" >/dev/null 2>&1; then
		_have=$(docker network inspect -f \
		    '{{range .IPAM.Config}}{{.Subnet}}{{end}} {{.Internal}}' \
		    "$SG_NETWORK")
		[ "$_have" = "$SG_SUBNET true" ] ||
		    sg_run_die "network $SG_NETWORK exists with '$_have', expected '$SG_SUBNET true'"
		return 0
	fi
	docker network create --internal --subnet "$SG_SUBNET" \
	    --gateway "$SG_GATEWAY_IP" \
	    -o com.docker.network.bridge.name="$SG_BRIDGE" \
	    -o com.docker.network.bridge.enable_icc=false \
	    -o com.docker.network.bridge.enable_ip_masquerade=false \
	    --label sandgate.run="$SG_RUNDIR" \
	    "$SG_NETWORK" >/dev/null || sg_run_die "cannot create network $SG_NETWORK"
	echo "$SG_NETWORK" > "$SG_RUNDIR/network.created"
}

sg_run_firewall()
{
	if ! command -v nft >/dev/null 2>&1; then
		sg_run_say "WARNING: nft missing: sandboxes can reach every host service on $SG_GATEWAY_IP"
		return 0
	fi
	sg_run_fill "$SG_TOP/deploy/firewall/sandgate-sandbox-net.nft.in" \
	    "$SG_RUNDIR/sandbox-net.nft"
	sed -i "s|@PROXY_PORTS@|{ $SG_PROXY_PORT, $SG_STRICT_PORT }|" \
	    "$SG_RUNDIR/sandbox-net.nft"
	nft -f "$SG_RUNDIR/sandbox-net.nft" || sg_run_die "nft rules failed"
	echo "$SG_FW_TABLE" > "$SG_RUNDIR/firewall.loaded"
}

# The stand-in for "a host on the internet": HTTP and HTTPS on loopback,
# and the same HTTP server on the gateway address, where a sandbox could
# reach it directly if the firewall let it.
sg_run_target()
{
	sg_run_alive target && sg_run_alive target-tls && return 0
	sg_run_kill target
	sg_run_kill target-tls
	_tls=$SG_RUNDIR/tls
	if [ ! -s "$_tls/cert.pem" ]; then
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		    -nodes -subj /CN=localhost -addext subjectAltName=DNS:localhost \
		    -days 30 -keyout "$_tls/key.pem" -out "$_tls/cert.pem" \
		    2>/dev/null || sg_run_die "openssl req failed"
	fi
	# Readable from inside a sandbox (uid 65534) through /mnt/skills.
	mkdir -p "$SG_DATADIR/skills"
	chgrp 65534 "$SG_DATADIR/skills"
	chmod 750 "$SG_DATADIR/skills"
	cp "$_tls/cert.pem" "$SG_DATADIR/skills/demo-ca.pem"
	chmod 644 "$SG_DATADIR/skills/demo-ca.pem"
	setsid python3 "$SG_TOP/deploy/demo/target.py" --name http \
	    "127.0.0.1:$SG_TARGET_PORT" "[::1]:$SG_TARGET_PORT" \
	    "$SG_GATEWAY_IP:$SG_TARGET_PORT" </dev/null >/dev/null \
	    2>>"$SG_LOGDIR/target.log" &
	echo $! > "$SG_PIDDIR/target.pid"
	sg_run_record "target"
	setsid python3 "$SG_TOP/deploy/demo/target.py" --name https \
	    --tls "$_tls/cert.pem" "$_tls/key.pem" \
	    "127.0.0.1:$SG_TARGET_TLS_PORT" "[::1]:$SG_TARGET_TLS_PORT" \
	    </dev/null >/dev/null 2>>"$SG_LOGDIR/target.log" &
	echo $! > "$SG_PIDDIR/target-tls.pid"
	sg_run_record "target-tls"
	sg_run_wait_tcp 127.0.0.1 "$SG_TARGET_PORT" &&
	    sg_run_wait_tcp 127.0.0.1 "$SG_TARGET_TLS_PORT" ||
	    sg_run_die "demo target did not start (see $SG_LOGDIR/target.log)"
}

# sg_run_spawn NAME BINARY unix|tcp:PORT: SG_PROCS processes on one socket.
# spawn-fcgi sends the children's stderr to /dev/null; a small sh keeps it.
sg_run_spawn()
{
	sg_run_alive "$1" && return 0
	sg_run_kill "$1"
	case $3 in
	unix)
		rm -f "$SG_SOCKDIR/$1.sock"
		set -- "$1" "$2" -s "$SG_SOCKDIR/$1.sock" -M 0660 \
		    -U "$SG_WWW_USER" -G "$SG_WWW_GROUP"
		;;
	tcp:*)
		set -- "$1" "$2" -a 127.0.0.1 -p "${3#tcp:}"
		;;
	esac
	_name=$1
	_bin=$2
	shift 2
	spawn-fcgi "$@" -F "$SG_PROCS" -P "$SG_PIDDIR/$_name.pid" -- \
	    /bin/sh -c 'exec "$0" 2>>"$1"' "$_bin" "$SG_LOGDIR/$_name.log" \
	    </dev/null >/dev/null 2>>"$SG_LOGDIR/spawn-fcgi.log" ||
	    sg_run_die "spawn-fcgi $_name failed (see $SG_LOGDIR/spawn-fcgi.log)"
	sg_run_record "$_name"
}

sg_run_services()
{
	_b=$SG_BUILD/services
	sg_run_spawn token-issuer "$_b/token-issuer/token-issuer" unix
	sg_run_spawn token-verify-api "$_b/token-verify/token-verify" unix
	sg_run_spawn session-query "$_b/session-query/session-query" unix
	sg_run_spawn sandbox-create "$_b/sandbox-create/sandbox-create" unix
	sg_run_spawn sandbox-destroy "$_b/sandbox-destroy/sandbox-destroy" unix
	# Egress authorizers: TCP on loopback, mod_authnz_fcgi has no unix
	# sockets.  The strict one keeps the production default.
	sg_run_spawn token-verify-egress "$_b/token-verify/token-verify" \
	    "tcp:$SG_VERIFY_PORT"
	SANDGATE_EGRESS_DENY_PRIVATE=1 sg_run_spawn token-verify-strict \
	    "$_b/token-verify/token-verify" "tcp:$SG_VERIFY_STRICT_PORT"
	for _s in token-issuer token-verify-api session-query sandbox-create \
	    sandbox-destroy; do
		sg_run_wait_sock "$SG_SOCKDIR/$_s.sock" ||
		    sg_run_die "$_s did not start (see $SG_LOGDIR/$_s.log)"
	done
	sg_run_wait_tcp 127.0.0.1 "$SG_VERIFY_PORT"
	sg_run_wait_tcp 127.0.0.1 "$SG_VERIFY_STRICT_PORT"
	sleep 0.3
	for _s in token-issuer token-verify-api session-query sandbox-create \
	    sandbox-destroy token-verify-egress token-verify-strict; do
		sg_run_alive "$_s" ||
		    sg_run_die "$_s exited at start: $(tail -n 3 "$SG_LOGDIR/$_s.log" 2>/dev/null)"
	done
}

sg_run_apache()
{
	sg_run_alive apache && return 0
	sg_run_kill apache
	sg_run_fill "$SG_TOP/deploy/apache/httpd.conf.in" \
	    "$SG_RUNDIR/apache/httpd.conf"
	rm -f "$SG_RUNDIR"/apache/sites/*.conf
	sg_run_fill "$SG_TOP/deploy/apache/sandgate-egress.conf.in" \
	    "$SG_RUNDIR/apache/sites/egress.conf"
	sed -i -e "s|@NAME@|main|g" -e "s|@PORT_PROXY@|$SG_PROXY_PORT|g" \
	    -e "s|@VERIFY_ADDR@|127.0.0.1:$SG_VERIFY_PORT|g" \
	    "$SG_RUNDIR/apache/sites/egress.conf"
	sg_run_fill "$SG_TOP/deploy/apache/sandgate-egress.conf.in" \
	    "$SG_RUNDIR/apache/sites/strict.conf"
	sed -i -e "s|@NAME@|strict|g" -e "s|@PORT_PROXY@|$SG_STRICT_PORT|g" \
	    -e "s|@VERIFY_ADDR@|127.0.0.1:$SG_VERIFY_STRICT_PORT|g" \
	    "$SG_RUNDIR/apache/sites/strict.conf"
	apache2 -t -f "$SG_RUNDIR/apache/httpd.conf" 2>"$SG_LOGDIR/apache-configtest.log" ||
	    sg_run_die "apache config: $(cat "$SG_LOGDIR/apache-configtest.log")"
	setsid apache2 -f "$SG_RUNDIR/apache/httpd.conf" -DFOREGROUND \
	    </dev/null >/dev/null 2>>"$SG_LOGDIR/apache-stderr.log" &
	echo $! > "$SG_PIDDIR/apache.pid"
	sg_run_record "apache"
	sg_run_wait_tcp "$SG_GATEWAY_IP" "$SG_PROXY_PORT" ||
	    sg_run_die "apache did not start (see $SG_LOGDIR/apache-error.log)"
}

sg_run_api_server()
{
	sg_run_alive "api-$SG_API_SERVER" && return 0
	sg_run_kill "api-$SG_API_SERVER"
	case $SG_API_SERVER in
	lighttpd)
		sg_run_fill "$SG_TOP/deploy/lighttpd/sandgate-api.conf.in" \
		    "$SG_RUNDIR/lighttpd/lighttpd.conf"
		sed -i "s|$SG_LOGDIR/lighttpd-|$SG_LOGDIR/www/lighttpd-|" \
		    "$SG_RUNDIR/lighttpd/lighttpd.conf"
		lighttpd -tt -f "$SG_RUNDIR/lighttpd/lighttpd.conf" >/dev/null ||
		    sg_run_die "lighttpd config test failed"
		setsid lighttpd -D -f "$SG_RUNDIR/lighttpd/lighttpd.conf" \
		    </dev/null >/dev/null 2>>"$SG_LOGDIR/lighttpd-stderr.log" &
		;;
	nginx)
		sg_run_fill "$SG_TOP/deploy/nginx/sandgate-api.conf.in" \
		    "$SG_RUNDIR/nginx/nginx.conf"
		cp "$SG_TOP/deploy/nginx/sg_params" "$SG_TOP/deploy/nginx/sg_auth_params" \
		    "$SG_RUNDIR/nginx/"
		sed -i "s|$SG_LOGDIR/nginx-|$SG_LOGDIR/www/nginx-|" \
		    "$SG_RUNDIR/nginx/nginx.conf"
		nginx -q -t -p "$SG_RUNDIR/nginx" -c "$SG_RUNDIR/nginx/nginx.conf" ||
		    sg_run_die "nginx config test failed"
		setsid nginx -p "$SG_RUNDIR/nginx" -c "$SG_RUNDIR/nginx/nginx.conf" \
		    -g 'daemon off;' </dev/null >/dev/null \
		    2>>"$SG_LOGDIR/nginx-stderr.log" &
		;;
	*)
		sg_run_die "SG_API_SERVER must be lighttpd or nginx"
		;;
	esac
	echo $! > "$SG_PIDDIR/api-$SG_API_SERVER.pid"
	sg_run_record "api-$SG_API_SERVER"
	sg_run_wait_tcp "$SG_API_ADDR" "$SG_API_PORT" ||
	    sg_run_die "$SG_API_SERVER did not start"
}

# An operator token for the management API, kept in the run directory.
sg_run_operator_token()
{
	"$SG_CLI" token --sub "${SG_OPERATOR:-operator}" \
	    --scope "tokens:issue sandboxes:create sandboxes:destroy sessions:read metrics:read" \
	    --ttl 14400 > "$SG_RUNDIR/operator.token.tmp" ||
	    sg_run_die "sandgate token failed"
	chmod 600 "$SG_RUNDIR/operator.token.tmp"
	mv "$SG_RUNDIR/operator.token.tmp" "$SG_RUNDIR/operator.token"
	SG_OPTOKEN=$(cat "$SG_RUNDIR/operator.token")
}

# sg_run_api METHOD PATH [JSON]: curl the API gateway with the operator
# token; prints the body, then a last line with the HTTP status.
sg_run_api()
{
	if [ $# -ge 3 ]; then
		curl -sS -m 60 -X "$1" -H "Authorization: Bearer $SG_OPTOKEN" \
		    -H 'Content-Type: application/json' --data-binary "$3" \
		    -w '\n%{http_code}\n' "$SG_API_URL$2"
	else
		curl -sS -m 60 -X "$1" -H "Authorization: Bearer $SG_OPTOKEN" \
		    -w '\n%{http_code}\n' "$SG_API_URL$2"
	fi
}

# Start every part that is not running yet (no install, no build, no demo).
sg_run_start_stack()
{
	sg_run_check_binaries
	sg_run_dirs
	sg_run_keys
	sg_run_redis
	sg_run_dockerd
	sg_run_image
	sg_run_runtime
	sg_run_env
	sg_run_network
	sg_run_firewall
	sg_run_target
	sg_run_services
	sg_run_apache
	sg_run_api_server
	sg_run_operator_token
}

sg_run_stop()
{
	sg_run_config
	[ -d "$SG_RUNDIR" ] || return 0
	# The demo sandbox through the API while it still runs (container
	# and session go together); directly through Docker otherwise.
	if [ -s "$SG_RUNDIR/demo.sandbox" ]; then
		_id=$(cat "$SG_RUNDIR/demo.sandbox")
		SG_OPTOKEN=$(cat "$SG_RUNDIR/operator.token" 2>/dev/null || true)
		if ! sg_run_api DELETE "/v1/sandboxes/$_id" 2>/dev/null |
		    tail -n 1 | grep -q '^204$'; then
			docker rm -f "$_id" >/dev/null 2>&1 || true
		fi
		rm -f "$SG_RUNDIR/demo.sandbox"
	fi
	for _s in api-lighttpd api-nginx apache token-verify-strict token-verify-egress \
	    sandbox-destroy sandbox-create session-query token-verify-api \
	    token-issuer target target-tls redis; do
		sg_run_kill "$_s"
	done
	if [ -s "$SG_RUNDIR/firewall.loaded" ]; then
		nft delete table inet "$(cat "$SG_RUNDIR/firewall.loaded")" 2>/dev/null || true
		rm -f "$SG_RUNDIR/firewall.loaded"
	fi
	if [ -s "$SG_RUNDIR/network.created" ]; then
		docker network rm "$(cat "$SG_RUNDIR/network.created")" >/dev/null 2>&1 ||
		    sg_run_say "network $(cat "$SG_RUNDIR/network.created") still in use: kept"
		rm -f "$SG_RUNDIR/network.created"
	fi
	sg_run_kill dockerd
	rm -f "$SG_SOCKDIR"/*.sock
}

# ----------------------------------------------------------- demonstration

# sg_run_in ID CMD: a shell command inside the sandbox (as its user, with
# its environment: HTTP_PROXY & co. carry the token).
sg_run_in()
{
	docker exec "$1" sh -c "$2"
}

sg_run_demo_sandbox()
{
	if [ -s "$SG_RUNDIR/demo.sandbox" ]; then
		SG_DEMO_ID=$(cat "$SG_RUNDIR/demo.sandbox")
		if sg_run_api GET "/v1/sessions/$SG_DEMO_ID" | tail -n 1 |
		    grep -q '^200$' &&
		    [ "$(docker inspect -f '{{.State.Running}}' "$SG_DEMO_ID" 2>/dev/null)" = true ]; then
			return 0
		fi
		sg_run_api DELETE "/v1/sandboxes/$SG_DEMO_ID" >/dev/null 2>&1 || true
		rm -f "$SG_RUNDIR/demo.sandbox"
	fi
	_out=$(sg_run_api POST /v1/sandboxes "{\"user_id\":\"demo\",\"organization_uuid\":\"00000000-0000-4000-8000-000000000001\",\"allowed_hosts\":[\"localhost:$SG_TARGET_PORT\",\"localhost:$SG_TARGET_TLS_PORT\"],\"duration_hours\":4}")
	_st=$(printf '%s\n' "$_out" | tail -n 1)
	[ "$_st" = 201 ] || sg_run_die "POST /v1/sandboxes answered $_st: $(printf '%s\n' "$_out" | head -n 1)"
	SG_DEMO_ID=$(printf '%s\n' "$_out" | head -n 1 | jq -r .container_id)
	echo "$SG_DEMO_ID" > "$SG_RUNDIR/demo.sandbox"
}

sg_run_demo()
{
	sg_run_demo_sandbox
	_id=$SG_DEMO_ID
	_c="curl -sS --max-time 10 --noproxy ''"
	echo
	echo "== Demo sandbox $_id"
	echo "   (user demo; allowed_hosts localhost:$SG_TARGET_PORT, localhost:$SG_TARGET_TLS_PORT;"
	echo "    runtime $SG_RUNTIME; its HTTP_PROXY is http://container_<id>:jwt_<token>@$SG_GATEWAY_IP:$SG_PROXY_PORT)"
	echo "   The sandbox's NO_PROXY names localhost (its own loopback); --noproxy ''"
	echo "   sends these requests for the *host's* loopback demo target to the proxy."
	echo
	echo "-- 1. allowed host, plain HTTP through the proxy:"
	echo "   \$ curl http://localhost:$SG_TARGET_PORT/hello"
	sg_run_in "$_id" "$_c -w '   -> HTTP %{http_code}\n' http://localhost:$SG_TARGET_PORT/hello" || true
	echo "-- 2. allowed host, HTTPS through a CONNECT tunnel:"
	echo "   \$ curl --cacert /mnt/skills/demo-ca.pem https://localhost:$SG_TARGET_TLS_PORT/secure"
	sg_run_in "$_id" "$_c --cacert /mnt/skills/demo-ca.pem -w '   -> HTTP %{http_code}\n' https://localhost:$SG_TARGET_TLS_PORT/secure" || true
	echo "-- 3. a host that is not allowed (same server, by address) is refused:"
	echo "   \$ curl http://127.0.0.1:$SG_TARGET_PORT/"
	sg_run_in "$_id" "$_c -o /dev/null -w '   -> HTTP %{http_code} (refused by the proxy)\n' http://127.0.0.1:$SG_TARGET_PORT/" || true
	echo "-- 4. an allowed host on another port is refused:"
	echo "   \$ curl https://localhost:443/"
	sg_run_in "$_id" "$_c -o /dev/null -w '   -> CONNECT answered %{http_connect} (refused by the proxy)\n' https://localhost:443/ 2>/dev/null" || true
	echo "-- 5. private-address rule: OFF on :$SG_PROXY_PORT for this demo, because the demo"
	echo "   target is on loopback; it is ON by default (SANDGATE_EGRESS_DENY_PRIVATE=1), as"
	echo "   on the second proxy :$SG_STRICT_PORT, which refuses the same allowed request:"
	sg_run_in "$_id" "$_c -x \"\${HTTP_PROXY%:$SG_PROXY_PORT}:$SG_STRICT_PORT\" -o /dev/null -w '   -> HTTP %{http_code} (loopback target refused)\n' http://localhost:$SG_TARGET_PORT/hello" || true
	echo "-- 6. no other way out: the same target listens on the gateway address"
	echo "   $SG_GATEWAY_IP:$SG_TARGET_PORT too, but a direct connection fails:"
	echo "   \$ curl --noproxy '*' http://$SG_GATEWAY_IP:$SG_TARGET_PORT/"
	if sg_run_in "$_id" "curl -sS --noproxy '*' --connect-timeout 2 -o /dev/null http://$SG_GATEWAY_IP:$SG_TARGET_PORT/" 2>/dev/null; then
		echo "   -> CONNECTED: the firewall rules are missing!"
	else
		echo "   -> no connection (only the proxy port is open to sandboxes)"
	fi
	echo "-- 7. no name server answers inside (only the proxy resolves names):"
	echo "   \$ nslookup example.com"
	if sg_run_in "$_id" "timeout 8 nslookup example.com" >/dev/null 2>&1; then
		echo "   -> RESOLVED: the sandbox reaches a name server!"
	else
		echo "   -> nothing resolves (tests/integration/t-dns.sh proves no query leaves)"
	fi
	echo "-- 8. the session, as GET /v1/sessions/$_id returns it:"
	sg_run_api GET "/v1/sessions/$_id" | head -n 1 | jq . | sed 's/^/   /'
}

sg_run_summary()
{
	cat <<EOF

== sandgate is running (state in $SG_RUNDIR)
   API gateway ($SG_API_SERVER)   $SG_API_URL
   egress proxy (Apache)   $SG_PROXY_URL   (sandbox network $SG_NETWORK, $SG_SUBNET)
   strict proxy (Apache)   http://$SG_GATEWAY_IP:$SG_STRICT_PORT   (private addresses refused)
   token-verify (egress)   127.0.0.1:$SG_VERIFY_PORT, 127.0.0.1:$SG_VERIFY_STRICT_PORT
   services (FastCGI)      $SG_SOCKDIR/*.sock, $SG_PROCS processes each
   redis                   $SG_SOCKDIR/redis.sock
   demo target             http://localhost:$SG_TARGET_PORT  https://localhost:$SG_TARGET_TLS_PORT
   sandbox runtime         $SG_RUNTIME
   logs                    $SG_LOGDIR

   Try the API (operator token in $SG_RUNDIR/operator.token):
     TOKEN=\$(cat $SG_RUNDIR/operator.token)
     curl -s $SG_API_URL/.well-known/jwks.json
     curl -s -H "Authorization: Bearer \$TOKEN" '$SG_API_URL/v1/sessions?user_id=demo'
     curl -s -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' \\
       -d '{"user_id":"alice","organization_uuid":"00000000-0000-4000-8000-000000000002","allowed_hosts":["localhost:$SG_TARGET_PORT"]}' \\
       $SG_API_URL/v1/sandboxes
     curl -s -X DELETE -H "Authorization: Bearer \$TOKEN" $SG_API_URL/v1/sandboxes/<container_id>
     curl -s -H "Authorization: Bearer \$TOKEN" $SG_API_URL/metrics
     curl -s -H "Authorization: Bearer \$TOKEN" $SG_API_URL/v1/sessions/<container_id>/decisions
     docker exec -it <container_id> sh     # then: curl --noproxy '' http://localhost:$SG_TARGET_PORT/

   Reap sandboxes whose token expired (production: sandgate-reap.timer):
     env \$(cat $SG_RUNDIR/sandgate.env) $SG_CLI reap --dry-run

   Stop everything: ./run.sh stop
EOF
}

sg_run_status()
{
	sg_run_config
	for _s in redis dockerd target target-tls token-issuer token-verify-api \
	    session-query sandbox-create sandbox-destroy token-verify-egress \
	    token-verify-strict apache api-lighttpd api-nginx; do
		if sg_run_alive "$_s"; then
			printf '%-22s running (%s)\n' "$_s" "$(sg_run_pids "$_s")"
		elif [ -f "$SG_PIDDIR/$_s.pid" ]; then
			printf '%-22s DEAD\n' "$_s"
		fi
	done
	[ -s "$SG_RUNDIR/demo.sandbox" ] &&
	    echo "demo sandbox           $(cat "$SG_RUNDIR/demo.sandbox")"
	return 0
}

sg_run_main()
{
	set -eu
	sg_run_config
	case ${1:-start} in
	start)
		[ "$(id -u)" -eq 0 ] || sg_run_die "run as root (Docker, nftables, Apache as www-data)"
		_t0=$(date +%s)
		sg_run_deps
		[ "${SG_NO_BUILD:-0}" = 1 ] || sg_run_build
		sg_run_start_stack
		sg_run_demo
		sg_run_summary
		sg_run_say "ready in $(( $(date +%s) - _t0 )) s"
		;;
	stop)
		sg_run_stop
		sg_run_say "stopped"
		;;
	status)
		sg_run_status
		;;
	*)
		echo "usage: $0 [start|stop|status]" >&2
		exit 64
		;;
	esac
}

[ "${SG_RUN_LIB:-0}" = 1 ] || sg_run_main "$@"
