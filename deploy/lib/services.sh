# SPDX-License-Identifier: ISC
# The FastCGI services under spawn-fcgi.  Needs proc.sh.

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
	sg_run_spawn secret-broker "$_b/secret-broker/secret-broker" \
	    "tcp:$SG_BROKER_PORT"
	for _s in token-issuer token-verify-api session-query sandbox-create \
	    sandbox-destroy; do
		sg_wait_file "$SG_SOCKDIR/$_s.sock" 15 ||
		    sg_run_die "$_s did not start (see $SG_LOGDIR/$_s.log)"
	done
	sg_wait_tcp 127.0.0.1 "$SG_VERIFY_PORT"
	sg_wait_tcp 127.0.0.1 "$SG_VERIFY_STRICT_PORT"
	sg_wait_tcp 127.0.0.1 "$SG_BROKER_PORT"
	sleep 0.3
	for _s in token-issuer token-verify-api session-query sandbox-create \
	    sandbox-destroy token-verify-egress token-verify-strict \
	    secret-broker; do
		sg_run_alive "$_s" ||
		    sg_run_die "$_s exited at start: $(tail -n 3 "$SG_LOGDIR/$_s.log" 2>/dev/null)"
	done
}
