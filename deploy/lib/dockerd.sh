# SPDX-License-Identifier: ISC
# The Docker engine: one starter for every dockerd we run (the system
# engine when none answers, or a private one of a test's own), one stop.
# Needs proc.sh.

# sg_docker_up SOCKET: an engine answers on SOCKET.
sg_docker_up()
{
	docker -H "unix://$1" info >/dev/null 2>&1
}

# sg_dockerd_start SOCKET DATA_ROOT EXEC_ROOT PIDFILE LOG [DOCKERD-ARG...]:
# start dockerd with these settings ("" leaves one at dockerd's default;
# a private engine gives all four, and --config-file, --bridge=none and
# the like as extra arguments), its output appended to LOG, and wait
# until it answers (at most 60 s).  Sets SG_DOCKERD_PID.  In a session
# of its own, so a terminal's ^C reaches it only through our stop.
sg_dockerd_start()
{
	_ds=$1 _dd=$2 _dx=$3 _dp=$4 _dl=$5
	shift 5
	[ -z "$_dd" ] || set -- --data-root "$_dd" "$@"
	[ -z "$_dx" ] || set -- --exec-root "$_dx" "$@"
	[ -z "$_dp" ] || set -- --pidfile "$_dp" "$@"
	setsid dockerd --host "unix://$_ds" "$@" </dev/null >>"$_dl" 2>&1 &
	SG_DOCKERD_PID=$!
	_dn=600
	while [ $_dn -gt 0 ]; do
		sg_docker_up "$_ds" && return 0
		sg_run_running "$SG_DOCKERD_PID" || break
		sleep 0.1
		_dn=$((_dn - 1))
	done
	echo "dockerd did not come up on $_ds (see $_dl):" >&2
	tail -n 20 "$_dl" >&2
	return 1
}

# sg_dockerd_stop PID [SIGNAL] [SECONDS]: TERM (as an operator would;
# KILL: a crash), wait until it is gone (30 s), KILL, reap.
sg_dockerd_stop()
{
	[ -n "$1" ] || return 0
	sg_kill_wait "-${2:-TERM}" "${3:-30}" "$1"
	wait "$1" 2>/dev/null || true
}

# sg_dockerd_ensure SOCKET LOG [DOCKERD-ARG...]: use the engine that
# answers on SOCKET, or wait for the system one that is starting (a test,
# run.sh), or start one (as root).  SG_DOCKERD_PID is the PID of the one
# started here, empty when it was already running.  The system engine
# gets gVisor registered as the runtime "runsc" (gvisor.sh): one we
# start reads a configuration generated beside LOG (the operator's
# /etc/docker/daemon.json merged in, never written); a running one has
# the entry merged into the file it reads and reloads.  Not having runsc
# is said on stderr, not fatal here: sg_run_runtime (and a create) fail
# when a sandbox asks for it.
sg_dockerd_ensure()
{
	SG_DOCKERD_PID=""
	_es=$1 _el=$2
	shift 2
	if sg_docker_up "$_es"; then
		[ "$_es" != /var/run/docker.sock ] ||
		    sg_gvisor_ensure "$_es" /var/run/docker.pid || true
		return 0
	fi
	if [ "$_es" = /var/run/docker.sock ] && [ -s /var/run/docker.pid ] &&
	    kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
		_en=600
		while [ $_en -gt 0 ]; do
			if sg_docker_up "$_es"; then
				sg_gvisor_ensure "$_es" /var/run/docker.pid || true
				return 0
			fi
			sleep 0.1
			_en=$((_en - 1))
		done
		echo "a dockerd runs but does not answer on $_es" >&2
		return 1
	fi
	if [ "$(id -u)" -ne 0 ]; then
		echo "no Docker engine and not root: cannot start dockerd" >&2
		return 1
	fi
	command -v dockerd >/dev/null || {
		echo "dockerd missing (Debian package docker.io)" >&2
		return 1
	}
	if [ "$_es" = /var/run/docker.sock ]; then
		_ej=${_el%.log}.json
		if sg_gvisor_config "$_ej"; then
			set -- --config-file "$_ej" "$@"
		fi
	fi
	sg_dockerd_start "$_es" "" "" "" "$_el" "$@"
}

# sg_dockerd_release DIR MOUNTS: after a private engine under DIR was
# stopped (or killed): what it started and may have left behind (its
# containerd, shims that wait for a containerd that is gone), found by
# command lines naming DIR/, and every mount left under MOUNTS/.
sg_dockerd_release()
{
	_left=""
	for _c in /proc/[0-9]*/cmdline; do
		case $(tr '\0' ' ' < "$_c" 2>/dev/null) in
		*containerd*"$1/"*)
			_rp=${_c#/proc/}
			_left="$_left ${_rp%/cmdline}" ;;
		esac
	done
	# shellcheck disable=SC2086
	sg_kill_wait 1 $_left
	awk -v t="$2/" 'index($2, t) == 1 { print $2 }' /proc/mounts |
	    sort -r | while read -r _m; do umount -l "$_m"; done
}

# The stack's engine: the one that answers on $SG_DOCKER_SOCKET, or the
# system engine started here (its PID recorded as "dockerd", so that
# sg_run_stop stops it), with gVisor's runsc registered (sg_dockerd_ensure;
# sg_run_runtime checks it works).
sg_run_dockerd()
{
	if sg_docker_up "$SG_DOCKER_SOCKET" &&
	    [ "$SG_DOCKER_SOCKET" != /var/run/docker.sock ]; then
		return 0
	fi
	if [ "$SG_DOCKER_SOCKET" != /var/run/docker.sock ]; then
		sg_run_die "no Docker daemon answers on $SG_DOCKER_SOCKET"
	fi
	if ! sg_docker_up "$SG_DOCKER_SOCKET" &&
	    ! { [ -s /var/run/docker.pid ] &&
	    kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; }; then
		sg_run_say "starting dockerd (none was running)"
	fi
	_rc=0
	sg_dockerd_ensure "$SG_DOCKER_SOCKET" "$SG_LOGDIR/dockerd.log" || _rc=1
	if [ -n "$SG_DOCKERD_PID" ]; then
		echo "$SG_DOCKERD_PID" > "$SG_PIDDIR/dockerd.pid"
		sg_run_record dockerd
	fi
	[ $_rc -eq 0 ] || sg_run_die "no Docker daemon (see $SG_LOGDIR/dockerd.log)"
}
