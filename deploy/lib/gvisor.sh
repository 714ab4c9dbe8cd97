# SPDX-License-Identifier: ISC
# gVisor (runsc) as a Docker runtime: the wrapper (deploy/gvisor/
# sandgate-runsc, why it exists is in its header) installed where every
# engine finds it, registered under the name "runsc" with an engine we
# start (a generated --config-file) or one that runs (a merge into its
# daemon.json and a reload), and the facts `docker info` gives about it.
# Needs config.sh (messages) only for the callers' sg_run_say.

SG_RUNSC=${SANDGATE_RUNSC:-/usr/bin/runsc}
# A fixed path, not the source tree's: the engine keeps the path it was
# given, and a checkout (or a worktree) can move or go away while the
# engine runs.  Not root: the source tree's copy.
SG_RUNSC_DIR=${SG_RUNSC_DIR:-/usr/local/libexec/sandgate}

# sg_gvisor_wrapper: install the wrapper (when root and it differs) and
# print the path to register.
sg_gvisor_wrapper()
{
	_gw=$SG_TOP/deploy/gvisor/sandgate-runsc
	if [ "$(id -u)" -ne 0 ]; then
		echo "$_gw"
		return 0
	fi
	if ! cmp -s "$_gw" "$SG_RUNSC_DIR/sandgate-runsc"; then
		mkdir -p "$SG_RUNSC_DIR"
		# Copy then rename: an engine starting a container at this
		# moment sees the old file or the new one, never half of it.
		cp "$_gw" "$SG_RUNSC_DIR/.sandgate-runsc.$$"
		chmod 755 "$SG_RUNSC_DIR/.sandgate-runsc.$$"
		mv -f "$SG_RUNSC_DIR/.sandgate-runsc.$$" "$SG_RUNSC_DIR/sandgate-runsc"
	fi
	echo "$SG_RUNSC_DIR/sandgate-runsc"
}

# sg_gvisor_register ARGS...: deploy/gvisor/register with our wrapper and
# SG_RUNSC_PLATFORM (default auto: KVM if it works, else ptrace).
sg_gvisor_register()
{
	"$SG_TOP/deploy/gvisor/register" -w "$(sg_gvisor_wrapper)" \
	    -r "$SG_RUNSC" -p "${SG_RUNSC_PLATFORM:-auto}" "$@"
}

# sg_gvisor_config OUT [BASE]: the configuration for an engine we start:
# BASE (default /etc/docker/daemon.json, the operator's, if present; it
# is read, never written) with the runsc entry merged in, written to OUT.
# Fails (and leaves no OUT) when runsc is not installed.
sg_gvisor_config()
{
	[ -x "$SG_RUNSC" ] || {
		echo "gVisor is not installed (no $SG_RUNSC; Debian package runsc)" >&2
		return 1
	}
	if sg_gvisor_register -s -c "${2:-/etc/docker/daemon.json}" > "$1.tmp"; then
		echo >> "$1.tmp"
		mv -f "$1.tmp" "$1"
		return 0
	fi
	rm -f "$1.tmp"
	return 1
}

# sg_gvisor_runtimes SOCKET: the engine's runtimes as `docker info` gives
# them (JSON), empty if it does not answer.
sg_gvisor_runtimes()
{
	docker -H "unix://$1" info --format '{{json .Runtimes}}' 2>/dev/null || true
}

# sg_gvisor_listed SOCKET [NAME]: the engine lists runtime NAME (runsc).
sg_gvisor_listed()
{
	sg_gvisor_runtimes "$1" |
	    jq -e --arg n "${2:-runsc}" 'has($n)' >/dev/null 2>&1
}

# sg_gvisor_platform SOCKET [NAME]: the --platform the engine passes to
# runtime NAME ("default" when none is given, empty when not listed).
sg_gvisor_platform()
{
	sg_gvisor_runtimes "$1" | jq -r --arg n "${2:-runsc}" '
	    .[$n] // empty | [(.runtimeArgs // [])[] |
	    select(startswith("--platform=")) | ltrimstr("--platform=")] |
	    if length > 0 then .[0] else "default" end' 2>/dev/null || true
}

# sg_dockerd_config_file PID: the configuration file dockerd PID reads
# (its --config-file, else the default /etc/docker/daemon.json).
sg_dockerd_config_file()
{
	tr '\0' '\n' < "/proc/$1/cmdline" 2>/dev/null | awk '
	    f { print; found = 1; exit }
	    /^--config-file=/ { sub(/^--config-file=/, ""); print; found = 1; exit }
	    $0 == "--config-file" { f = 1 }
	    END { if (!found) print "/etc/docker/daemon.json" }'
}

# sg_gvisor_ensure SOCKET PIDFILE: a running engine lists runsc, or it is
# merged into the configuration file that engine reads (the operator's
# other keys kept; deploy/gvisor/register) and the engine reloads it
# (SIGHUP: containers keep running).  Fails with a message on stderr
# when runsc is not installed, we are not root, or the reload did not
# bring the runtime.
sg_gvisor_ensure()
{
	sg_gvisor_listed "$1" && return 0
	[ -x "$SG_RUNSC" ] || {
		echo "gVisor is not installed (no $SG_RUNSC; Debian package runsc)" >&2
		return 1
	}
	[ "$(id -u)" -eq 0 ] || {
		echo "the Docker engine on $1 has no runtime runsc and we are not root (see docs/deploy.md, gVisor)" >&2
		return 1
	}
	_gp=$(cat "$2" 2>/dev/null || true)
	case $_gp in
	""|*[!0-9]*)
		echo "no dockerd PID in $2: cannot register runsc with the engine on $1" >&2
		return 1 ;;
	esac
	_gc=$(sg_dockerd_config_file "$_gp")
	sg_gvisor_register -c "$_gc" >/dev/null || return 1
	kill -HUP "$_gp" || return 1
	_gn=100
	while [ $_gn -gt 0 ]; do
		sg_gvisor_listed "$1" && return 0
		sleep 0.1
		_gn=$((_gn - 1))
	done
	echo "dockerd $_gp reloaded $_gc but does not list runsc (an entry of the operator's with another name? see its log)" >&2
	return 1
}
