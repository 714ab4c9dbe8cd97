# SPDX-License-Identifier: ISC
# Redis: one starter for every redis-server we run (the stack's, on a
# unix socket only; a test's, also on a loopback TCP port).  Needs proc.sh.

# sg_redis_start SOCKET PERM DIR LOGFILE [TCPPORT]: a redis-server without
# persistence on SOCKET (mode PERM) and, given a port, 127.0.0.1:TCPPORT;
# waits until it accepts.  Sets SG_REDIS_PID.
sg_redis_start()
{
	rm -f "$1"
	setsid redis-server --port "${5:-0}" --bind 127.0.0.1 \
	    --unixsocket "$1" --unixsocketperm "$2" \
	    --save '' --appendonly no --daemonize no \
	    --dir "$3" --logfile "$4" </dev/null >/dev/null 2>&1 &
	SG_REDIS_PID=$!
	sg_wait_file "$1" 15 || return 1
	[ -z "${5:-}" ] || sg_wait_tcp 127.0.0.1 "$5"
}

sg_run_redis()
{
	sg_run_alive redis && return 0
	_rc=0
	sg_redis_start "$SG_SOCKDIR/redis.sock" 700 "$SG_RUNDIR/redis" \
	    "$SG_LOGDIR/redis.log" || _rc=1
	echo "$SG_REDIS_PID" > "$SG_PIDDIR/redis.pid"
	sg_run_record redis
	[ $_rc -eq 0 ] || sg_run_die "redis did not start (see $SG_LOGDIR/redis.log)"
}
