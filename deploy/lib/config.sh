# SPDX-License-Identifier: ISC
# Settings: every SG_* variable of the stack (environment overrides),
# messages, the run directory, the services' environment and the
# @PLACEHOLDERS@ of deploy/ filled in.

sg_run_config()
{
	SG_TOP=${SG_TOP:-$(cd "$(dirname "$0")" && pwd)}
	SG_BUILD=${SG_BUILD:-$SG_TOP}
	SG_RUNDIR=${SG_RUNDIR:-$SG_TOP/run}
	SG_PROCS=${SG_PROCS:-2}
	SG_API_SERVER=${SG_API_SERVER:-lighttpd}
	SG_API_ADDR=${SG_API_ADDR:-127.0.0.1}
	SG_API_PORT=${SG_API_PORT:-8080}
	# The gateway's loopback scrape listener: /metrics without a token.
	SG_METRICS_PORT=${SG_METRICS_PORT:-9180}
	SG_PROXY_PORT=${SG_PROXY_PORT:-8443}
	# A second proxy with SANDGATE_EGRESS_DENY_PRIVATE=1, to show the
	# default rule that the loopback demo target makes us turn off.
	SG_STRICT_PORT=${SG_STRICT_PORT:-8444}
	SG_VERIFY_PORT=${SG_VERIFY_PORT:-9101}
	SG_VERIFY_STRICT_PORT=${SG_VERIFY_STRICT_PORT:-9102}
	# secret-broker, the main proxy's /broker/ path (docs/secrets.md)
	SG_BROKER_PORT=${SG_BROKER_PORT:-9103}
	# The main proxy's loopback probe, GET /readyz (docs/operations.md);
	# set to "" for none.
	SG_PROBE_PORT=${SG_PROBE_PORT-9190}
	SG_SUBNET=${SG_SUBNET:-172.30.99.0/24}
	_net=${SG_SUBNET%/*}
	SG_GATEWAY_IP=${SG_GATEWAY_IP:-${_net%.*}.1}
	# Who may use the egress proxy (Apache's Require ip): the sandboxes.
	SG_PROXY_CLIENTS=${SG_PROXY_CLIENTS:-$SG_SUBNET}
	SG_NETWORK=${SG_NETWORK:-sandgate-egress}
	SG_BRIDGE=${SG_BRIDGE:-sg-egress0}
	SG_FW_TABLE=${SG_FW_TABLE:-sandgate_run}
	# open connections per sandbox to the proxy (deploy/firewall/sandgate-proxy-limits.nft.in)
	SG_MAX_TUNNELS=${SANDGATE_MAX_TUNNELS:-${SG_MAX_TUNNELS:-32}}
	case $SG_MAX_TUNNELS in
	''|*[!0-9]*|0) sg_run_die "SANDGATE_MAX_TUNNELS: a number of connections, at least 1" ;;
	esac
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

# sg_run_fill TEMPLATE OUT: the @PLACEHOLDERS@ of deploy/ filled in.
sg_run_fill()
{
	sed -e "s|@RUNDIR@|$SG_RUNDIR|g" \
	    -e "s|@LOGDIR@|$SG_LOGDIR|g" \
	    -e "s|@SOCKDIR@|$SG_SOCKDIR|g" \
	    -e "s|@API_ADDR@|$SG_API_ADDR|g" \
	    -e "s|@PORT_API@|$SG_API_PORT|g" \
	    -e "s|@PORT_METRICS@|$SG_METRICS_PORT|g" \
	    -e "s|@WWW_USER@|$SG_WWW_USER|g" \
	    -e "s|@WWW_GROUP@|$SG_WWW_GROUP|g" \
	    -e "s|@PROXY_ADDR@|$SG_GATEWAY_IP|g" \
	    -e "s|@GATEWAY_IP@|$SG_GATEWAY_IP|g" \
	    -e "s|@SANDBOX_SUBNET@|$SG_PROXY_CLIENTS|g" \
	    -e "s|@CONNECT_PORTS@|$SG_CONNECT_PORTS|g" \
	    -e "s|@BRIDGE@|$SG_BRIDGE|g" \
	    -e "s|@TABLE@|$SG_FW_TABLE|g" \
	    "$1" > "$2"
}

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

sg_run_env()
{
	export SANDGATE_ISSUER="$SG_ISSUER"
	export SANDGATE_SIGNING_KEY="$SG_KEYS/private-key.pem"
	export SANDGATE_VERIFY_KEYS="$SG_KEYS/public-key.pem"
	export SANDGATE_OPERATOR_KEYS="$SG_KEYS/operator.jwks.json"
	# The sealed secrets' key: the broker opens, the API seals.
	export SANDGATE_SECRET_KEYS="$SG_KEYS/secret.key"
	# Only the CLI reads this one (sandgate token); no service signs with
	# it.  A production host keeps it out of sandgate.env.
	export SANDGATE_OPERATOR_SIGNING_KEY="$SG_KEYS/operator.pem"
	export SANDGATE_REDIS="unix:$SG_SOCKDIR/redis.sock"
	# Several engines (docs/scaling.md): SG_DOCKER_HOSTS replaces the
	# socket, which the services refuse alongside it.
	if [ -n "${SG_DOCKER_HOSTS:-}" ]; then
		export SANDGATE_DOCKER_HOSTS="$SG_DOCKER_HOSTS"
		unset SANDGATE_DOCKER_SOCKET
	else
		export SANDGATE_DOCKER_SOCKET="$SG_DOCKER_SOCKET"
	fi
	export SANDGATE_RUNTIME="$SG_RUNTIME"
	export SANDGATE_IMAGE="$SG_IMAGE"
	export SANDGATE_NETWORK="$SG_NETWORK"
	export SANDGATE_PROXY_URL="$SG_PROXY_URL"
	export SANDGATE_DATA_ROOT="$SG_DATADIR"
	export SANDGATE_LOG_LEVEL="${SANDGATE_LOG_LEVEL:-info}"
	# Metrics (GET /metrics) and the audit trail (docs/operations.md).
	export SANDGATE_METRICS_DIR="$SG_RUNDIR/metrics"
	export SANDGATE_METRICS_PORT="$SG_METRICS_PORT"
	export SANDGATE_AUDIT_MAXLEN="${SANDGATE_AUDIT_MAXLEN:-100000}"
	# The demo target listens on loopback, which the private-address
	# rule refuses (as it should in production); off for this stack.
	export SANDGATE_EGRESS_DENY_PRIVATE=0
	# gVisor's ptrace platform counts its own host tasks against the
	# container's pids cgroup (the Sentry's threads, and a stub process
	# with threads for every address space, kept after the process ends):
	# measured with Debian's runsc, an idle sandbox holds 49, fifty short
	# processes inside take it to about 600, and at the limit the Sentry
	# cannot make a thread and the whole sandbox dies.  The contract's
	# 100 would kill a sandbox after a dozen processes, so under gVisor
	# the host limit only bounds gVisor's own tasks (docs/deploy.md,
	# section 5).  runc keeps 100.  An operator's setting wins.
	if [ "$SG_RUNTIME" != runc ] && [ -z "${SANDGATE_PIDS_LIMIT:-}" ]; then
		export SANDGATE_PIDS_LIMIT="${SG_RUNSC_PIDS_LIMIT:-4096}"
	fi
	unset SANDGATE_SOCKET
	env | grep '^SANDGATE_' | sort > "$SG_RUNDIR/sandgate.env"
}
