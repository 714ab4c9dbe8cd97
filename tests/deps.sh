# Debian 12 packages sandgate needs to build, test and run.  Sourced by
# test.sh and run.sh; installs only what is missing.
SG_DEB_PACKAGES="build-essential autoconf automake libtool pkg-config
 libfcgi-dev libfcgi-bin libssl-dev libcjson-dev libhiredis-dev
 libcurl4-openssl-dev check redis-server docker.io lighttpd apache2
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
