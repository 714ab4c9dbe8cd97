# SPDX-License-Identifier: ISC
# Docker helpers for integration tests.  Source after lib.sh and sg_setup:
#
#   . "$(dirname "$0")/lib-docker.sh"
#   sg_ensure_dockerd        # use the running engine, or start one
#   sg_build_test_image      # sandgate-test:latest from host binaries
#   sg_test_network          # an internal network for this run: $SG_TEST_NET
#
# The engine is the system one (/var/run/docker.sock, /var/lib/docker) so
# that run.sh and every test share it.  A dockerd this script started is
# stopped by its PID at exit; one that was already running is left alone.
# Everything a test makes (containers, networks, the image if it built
# it) is removed at exit by name or label.  No registry is ever used.

SG_DOCKER=${SG_DOCKER:-docker}
SG_DOCKER_SOCK=${SG_DOCKER_SOCK:-/var/run/docker.sock}
SG_TEST_IMAGE=${SG_TEST_IMAGE:-sandgate-test:latest}
_sg_dockerd_pid=""
_sg_image_ours=0

# sg_ensure_dockerd: make sure an engine answers through $SG_DOCKER (a
# private one of lib-stack.sh's, or the system's on $SG_DOCKER_SOCK,
# started here when none answers and then stopped at exit), the system
# one with gVisor registered as runsc (sg_dockerd_ensure).
sg_ensure_dockerd()
{
	if [ "$SG_DOCKER" != docker ] || [ "$SG_DOCKER_SOCK" != /var/run/docker.sock ]; then
		"$SG_DOCKER" info >/dev/null 2>&1 && return 0
	fi
	sg_dockerd_ensure "$SG_DOCKER_SOCK" "$T/dockerd.log" || return 1
	[ -n "$SG_DOCKERD_PID" ] || return 0
	_sg_dockerd_pid=$SG_DOCKERD_PID
	# Stopped last: registered before anything that needs the engine.
	sg_on_exit 'sg_dockerd_stop "$_sg_dockerd_pid"'
}

# _sg_copy_bin SRC ROOT: a binary plus every library ldd names, at the
# same absolute paths (so the ELF interpreter path still holds).
_sg_copy_bin()
{
	mkdir -p "$2$(dirname "$1")"
	cp -L "$1" "$2$1"
	ldd "$1" 2>/dev/null |
	    awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }' |
	    while read -r _lib; do
		mkdir -p "$2$(dirname "$_lib")"
		cp -L "$_lib" "$2$_lib"
	done
}

# sg_build_test_image [TAG]: a FROM-scratch image with a static busybox
# (or dash and coreutils' sleep), curl and getent with their libraries.
# PID 1 exits on SIGTERM so that a stop does not wait for the kill grace.
# Built only when missing; removed at exit only if built here.
sg_build_test_image()
{
	_tag=${1:-$SG_TEST_IMAGE}
	if "$SG_DOCKER" image inspect "$_tag" >/dev/null 2>&1; then
		return 0
	fi
	_root=$T/image-rootfs
	mkdir -p "$_root/bin" "$_root/usr/bin" "$_root/tmp" "$_root/etc" \
	    "$_root/mnt/uploads" "$_root/mnt/outputs" "$_root/mnt/skills" \
	    "$_root/proc" "$_root/sys" "$_root/dev"
	chmod 1777 "$_root/tmp"
	_bb=${SG_BUSYBOX-$(command -v busybox || true)}
	if [ -n "$_bb" ] && [ -x "$_bb" ] && ! ldd "$_bb" >/dev/null 2>&1; then
		cp "$_bb" "$_root/bin/busybox"
		for _a in $("$_bb" --list); do
			[ -e "$_root/bin/$_a" ] || ln -s busybox "$_root/bin/$_a"
		done
	else
		# No busybox-static: dash as /bin/sh and a few coreutils.
		_sg_copy_bin /bin/dash "$_root"
		ln -sf dash "$_root/bin/sh"
		for _b in sleep cat ls id; do
			_sg_copy_bin "$(command -v $_b)" "$_root"
		done
	fi
	for _b in curl getent; do
		_p=$(command -v $_b) || continue
		rm -f "$_root$_p"
		_sg_copy_bin "$_p" "$_root"
	done
	printf 'root:x:0:0::/:/bin/sh\nnobody:x:65534:65534::/tmp:/bin/sh\n' \
	    > "$_root/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' > "$_root/etc/group"
	# docker import needs no builder and no registry.
	tar -C "$_root" -cf - . | "$SG_DOCKER" import \
	    -c 'ENV PATH=/usr/bin:/bin' \
	    -c 'CMD ["/bin/sh", "-c", "trap \"exit 0\" TERM INT; while :; do sleep 3600 & wait $!; done"]' \
	    - "$_tag" >/dev/null
	_sg_image_ours=1
	sg_on_exit "\"$SG_DOCKER\" rmi -f '$_tag'"
	rm -rf "$_root"
}

# sg_test_network: an internal (no route out) bridge network for this run,
# removed at exit.  Sets SG_TEST_NET.
sg_test_network()
{
	SG_TEST_NET=sgtest-$(basename "$T" | tr -dc 'A-Za-z0-9')
	"$SG_DOCKER" network create --internal "$SG_TEST_NET" >/dev/null
	sg_on_exit "\"$SG_DOCKER\" network rm '$SG_TEST_NET'"
}

# sg_sandboxes_of DATA_ROOT: ids (container names) of sandgate containers
# whose binds lie under DATA_ROOT, that is, the ones this run made.
sg_sandboxes_of()
{
	"$SG_DOCKER" ps -aq --filter label=sandgate.container_id |
	    while read -r _c; do
		"$SG_DOCKER" inspect -f \
		    '{{index .Config.Labels "sandgate.container_id"}} {{range .HostConfig.Binds}}{{.}} {{end}}' \
		    "$_c" 2>/dev/null
	done | awk -v root="$1/" '
	    { for (i = 2; i <= NF; i++) if (index($i, root) == 1) { print $1; break } }'
}

# sg_remove_sandboxes_of DATA_ROOT: force-remove them (cleanup).
sg_remove_sandboxes_of()
{
	for _c in $(sg_sandboxes_of "$1"); do
		"$SG_DOCKER" rm -f "$_c" >/dev/null 2>&1
	done
}

# sg_fcgi PORT METHOD URI [BODY]: one FastCGI request through cgi-fcgi
# with the authorizer's facts as parameters ($SG_KIND, $SG_SCOPE,
# $SG_SUB when set).  Prints the raw response (Status line first).
sg_fcgi()
{
	_body=${4:-}
	printf '%s' "$_body" |
	    env -i PATH="$PATH" REQUEST_METHOD="$2" REQUEST_URI="$3" \
	    SCRIPT_NAME="$3" SERVER_PROTOCOL=HTTP/1.1 GATEWAY_INTERFACE=CGI/1.1 \
	    SERVER_NAME=localhost SERVER_PORT=8080 REMOTE_ADDR=127.0.0.1 \
	    CONTENT_TYPE="${SG_CTYPE:-application/json}" \
	    CONTENT_LENGTH="$(printf '%s' "$_body" | wc -c)" \
	    SG_KIND="${SG_KIND-}" SG_SCOPE="${SG_SCOPE-}" SG_SUB="${SG_SUB-}" \
	    cgi-fcgi -bind -connect "127.0.0.1:$1" | tr -d '\r'
}

# The status code and the body of a response printed by sg_fcgi.
sg_status()
{
	printf '%s\n' "$1" | sed -n 's/^Status: \([0-9][0-9][0-9]\).*/\1/p' |
	    head -n 1
}

sg_body()
{
	printf '%s\n' "$1" | sed '1,/^$/d'
}

# sg_fcgi_file PORT METHOD URI FILE: the same with the body from a file
# (bodies too big for an argument).
sg_fcgi_file()
{
	env -i PATH="$PATH" REQUEST_METHOD="$2" REQUEST_URI="$3" \
	    SCRIPT_NAME="$3" SERVER_PROTOCOL=HTTP/1.1 GATEWAY_INTERFACE=CGI/1.1 \
	    SERVER_NAME=localhost SERVER_PORT=8080 REMOTE_ADDR=127.0.0.1 \
	    CONTENT_TYPE="${SG_CTYPE:-application/json}" \
	    CONTENT_LENGTH="$(wc -c < "$4" | tr -d ' ')" \
	    SG_KIND="${SG_KIND-}" SG_SCOPE="${SG_SCOPE-}" SG_SUB="${SG_SUB-}" \
	    cgi-fcgi -bind -connect "127.0.0.1:$1" < "$4" | tr -d '\r'
}
