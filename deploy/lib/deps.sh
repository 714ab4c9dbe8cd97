# Install and build: the Debian 12 packages sandgate needs to build, test
# and run (only what is missing is installed), and the build itself.
SG_DEB_PACKAGES="build-essential autoconf automake libtool pkg-config
 libfcgi-dev libfcgi-bin libssl-dev libcjson-dev libhiredis-dev
 libcurl4-openssl-dev libpsl-dev publicsuffix libc-ares-dev check redis-server docker.io
 lighttpd apache2
 nginx-light spawn-fcgi curl openssl python3 python3-jwt python3-cryptography
 wrk jq iproute2 procps valgrind busybox-static nftables
 clang libclang-rt-14-dev multiwatch
 python3-flask gunicorn gnuplot-nox llvm-14"

sg_install_deps()
{
	missing=""
	for p in $SG_DEB_PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		    grep -q "install ok installed" || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "installing:$missing"
	if [ "$(id -u)" -ne 0 ]; then
		echo "missing packages and not root: $missing" >&2
		return 1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	# Installing servers must not start them (there may be no systemd).
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends $missing
	rm -f /usr/sbin/policy-rc.d
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
