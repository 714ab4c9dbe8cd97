# SPDX-License-Identifier: ISC
# Install and build: the Debian 12 packages sandgate needs to build, test
# and run (only what is missing is installed), and the build itself.
SG_DEB_PACKAGES="build-essential autoconf automake libtool pkg-config
 libfcgi-dev libfcgi-bin libssl-dev libcjson-dev libhiredis-dev
 libcurl4-openssl-dev libpsl-dev publicsuffix libc-ares-dev check redis-server redis-sentinel stunnel4 docker.io
 lighttpd lighttpd-mod-openssl apache2 apache2-dev
 nginx-light spawn-fcgi curl openssl python3 python3-jwt python3-cryptography
 wrk jq iproute2 procps valgrind busybox-static nftables
 clang libclang-rt-14-dev multiwatch
 python3-flask gunicorn gnuplot-nox llvm-14
 debhelper dpkg-dev devscripts fakeroot lintian man-db systemd runsc"

# The tools sandbox image (deploy/image/build-tools.sh) and t-clients:
# installed only where that test runs (about 15 s and 600 MB here).
SG_TOOLS_PACKAGES="python3-requests python3-aiohttp python3-pip nodejs npm
 node-undici default-jdk-headless golang-go git wget openssl busybox-static"

# sg_deb_installed PACKAGE: dpkg has it installed.
sg_deb_installed()
{
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null |
	    grep -q "install ok installed"
}

# sg_deb_skip PACKAGE: the host already has its own build of what PACKAGE
# provides; installing Debian's would replace it (docker.io conflicts with
# docker-ce and moby-engine; nginx-light with nginx-full/-core/-extras).
# The tests need the command, not this package.
sg_deb_skip()
{
	case $1 in
	docker.io)
		command -v dockerd >/dev/null 2>&1 && return 0
		for _o in docker-ce moby-engine; do
			sg_deb_installed "$_o" && return 0
		done ;;
	# A node from elsewhere (NodeSource) ships its own npm; Debian's
	# npm would conflict with it.
	nodejs)
		command -v node >/dev/null 2>&1 && return 0 ;;
	npm)
		command -v npm >/dev/null 2>&1 && return 0 ;;
	nginx-light)
		command -v nginx >/dev/null 2>&1 && return 0
		for _o in nginx nginx-full nginx-core nginx-extras; do
			sg_deb_installed "$_o" && return 0
		done ;;
	esac
	return 1
}

# sg_install_deps [PACKAGES]: SG_DEB_PACKAGES unless given.
sg_install_deps()
{
	missing=""
	for p in ${1:-$SG_DEB_PACKAGES}; do
		sg_deb_installed "$p" && continue
		sg_deb_skip "$p" && continue
		missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "installing:$missing"
	if [ "$(id -u)" -ne 0 ]; then
		echo "missing packages and not root: $missing" >&2
		return 1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	# Installing servers must not start them (there may be no systemd).
	# A policy-rc.d the host already has is set aside and put back.
	_prc=/usr/sbin/policy-rc.d
	_saved=""
	if [ -e "$_prc" ] || [ -L "$_prc" ]; then
		_saved=$_prc.sg-saved.$$
		mv "$_prc" "$_saved"
	fi
	printf '#!/bin/sh\nexit 101\n' > "$_prc"
	chmod +x "$_prc"
	_rc=0
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends $missing || _rc=$?
	if [ -n "$_saved" ]; then
		mv -f "$_saved" "$_prc"
	else
		rm -f "$_prc"
	fi
	# redis-sentinel is here for its binary (tests run their own
	# sentinels on ports they pick); its Debian unit would otherwise
	# come up at the next boot on 26379, watching a master on 6379.
	case " $missing " in
	*" redis-sentinel "*) sg_deb_no_boot redis-sentinel ;;
	esac
	return $_rc
}

# sg_deb_no_boot SERVICE: not started at boot (systemd and sysv links),
# also without a running systemd; the package stays installed.
sg_deb_no_boot()
{
	# Either may refuse (deb-systemd-helper outside dpkg says so and
	# exits 1): under set -e an && list ending in it would end the caller.
	if command -v deb-systemd-helper >/dev/null 2>&1; then
		deb-systemd-helper disable "$1.service" >/dev/null 2>&1 || :
	fi
	if command -v systemctl >/dev/null 2>&1; then
		systemctl disable "$1.service" >/dev/null 2>&1 || :
	fi
	if command -v update-rc.d >/dev/null 2>&1; then
		update-rc.d "$1" disable >/dev/null 2>&1 || :
	fi
	return 0
}

# sg_build TOP BUILD RECONFIGURE [CONFIGURE-FLAG...]: autogen.sh in TOP
# when configure is missing or older than its inputs, configure in BUILD
# when there is no Makefile, it is older than configure, or RECONFIGURE
# is 1, then make.  Output on stdout/stderr.
sg_build()
{
	(
		set -e
		_top=$1 _bld=$2 _re=$3
		shift 3
		cd "$_top"
		if [ ! -x configure ] || [ configure.ac -nt configure ] ||
		    [ Makefile.am -nt configure ]; then
			./autogen.sh
		fi
		mkdir -p "$_bld"
		cd "$_bld"
		if [ ! -f Makefile ] || [ "$_top/configure" -nt Makefile ] ||
		    [ "$_re" = 1 ]; then
			"$_top/configure" "$@"
		fi
		make -j"$(nproc)"
	)
}

# run.sh's build: quiet, its log in the run directory.
sg_run_build()
{
	mkdir -p "$SG_RUNDIR"
	_log=$SG_RUNDIR/build.log
	sg_run_say "building in $SG_BUILD (log: $_log)"
	if ! sg_build "$SG_TOP" "$SG_BUILD" 0 -q > "$_log" 2>&1; then
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
