# SPDX-License-Identifier: ISC
# Processes: start records, the PID table, one stop (signal, bounded
# wait, SIGKILL) and the waits for a port or a file.  Nothing is ever
# stopped by name: only PIDs we started, recorded when we started them.
#
# PIDs live in $SG_PIDDIR/NAME.pid as "PID STARTTIME" lines.  The start
# time (/proc/PID/stat field 22) guards against a PID reused after a
# reboot or a crash: such a PID is not ours.

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
# init to reap it, which may take a while in a container; a child of
# ours waits for our `wait`).
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

# sg_kill_wait [-SIGNAL] SECONDS PID...: send SIGNAL (TERM) to each PID,
# wait until none runs, at most SECONDS in all, then SIGKILL what is
# left.  A caller that is the parent still reaps its child with `wait`.
sg_kill_wait()
{
	_ksig=TERM
	case $1 in
	-*) _ksig=${1#-}; shift ;;
	esac
	_kn=$(($1 * 10))
	shift
	[ $# -gt 0 ] || return 0
	for _kq in "$@"; do
		kill "-$_ksig" "$_kq" 2>/dev/null || true
	done
	for _kq in "$@"; do
		while sg_run_running "$_kq" && [ $_kn -gt 0 ]; do
			sleep 0.1
			_kn=$((_kn - 1))
		done
		kill -9 "$_kq" 2>/dev/null || true
	done
	return 0
}

# sg_run_kill NAME: stop the recorded PIDs of NAME (5 s, then KILL).
sg_run_kill()
{
	_p=$(sg_run_pids "$1")
	rm -f "$SG_PIDDIR/$1.pid"
	# shellcheck disable=SC2086
	sg_kill_wait 5 $_p
}

# sg_wait_tcp ADDR PORT [SECONDS]: until ADDR:PORT accepts (15 s).
# (POSIX sh has no /dev/tcp: dash is Debian's sh.)
sg_wait_tcp()
{
	python3 - "$1" "$2" "${3:-15}" <<'PY' || return 1
import socket, sys, time
addr, port, limit = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
end = time.monotonic() + limit
while time.monotonic() < end:
    try:
        socket.create_connection((addr, port), timeout=0.5).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.stderr.write("nothing listens on %s:%d\n" % (addr, port))
sys.exit(1)
PY
}

# sg_wait_file PATH [SECONDS]: until PATH (a file, a socket) exists (10 s).
sg_wait_file()
{
	_wn=$(( ${2:-10} * 10 ))
	while [ $_wn -gt 0 ]; do
		[ -e "$1" ] && return 0
		sleep 0.1
		_wn=$((_wn - 1))
	done
	echo "$1 did not appear" >&2
	return 1
}
