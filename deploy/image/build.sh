#!/bin/sh
# SPDX-License-Identifier: ISC
# Build the sandgate sandbox image with no registry: a FROM-scratch image
# whose root file system is copied from the host (busybox-static, curl and
# the shared libraries ldd names, CA certificates).
#
#   deploy/image/build.sh [-t TAG] [-x /path/to/extra/binary]...
#
# TAG defaults to $SANDGATE_IMAGE or sandgate-sandbox:latest.  -x adds a
# host binary (and its libraries) under /usr/local/bin.  DOCKER_HOST is
# honoured through the docker CLI.  Prints the image id.  Needs the
# Debian packages busybox-static and curl.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
tag=${SANDGATE_IMAGE:-sandgate-sandbox:latest}
extra=""
while getopts t:x: opt; do
	case $opt in
	t) tag=$OPTARG ;;
	x) extra="$extra $OPTARG" ;;
	*) echo "usage: $0 [-t tag] [-x binary]..." >&2; exit 64 ;;
	esac
done

busybox=$(command -v busybox || true)
[ -n "$busybox" ] || busybox=/bin/busybox
if ! "$busybox" --list >/dev/null 2>&1 || ldd "$busybox" >/dev/null 2>&1; then
	echo "$0: need a static busybox (Debian package busybox-static)" >&2
	exit 69
fi
curl=$(command -v curl) || { echo "$0: need curl" >&2; exit 69; }

ctx=$(mktemp -d /tmp/sg-image.XXXXXX)
trap 'rm -rf "$ctx"' EXIT
root=$ctx/rootfs
mkdir -p "$root/bin" "$root/usr/bin" "$root/usr/local/bin" "$root/etc/ssl/certs" \
    "$root/tmp" "$root/mnt/uploads" "$root/mnt/outputs" "$root/mnt/skills" \
    "$root/home/sandbox" "$root/proc" "$root/sys" "$root/dev"
chmod 1777 "$root/tmp"

# busybox and one symlink per applet (sh, ls, cat, ...).
cp "$busybox" "$root/bin/busybox"
for a in $("$busybox" --list); do
	case $a in busybox) continue ;; esac
	[ -e "$root/bin/$a" ] || ln -s busybox "$root/bin/$a"
done

# copy_bin SRC DESTDIR: a dynamic binary plus every library ldd lists,
# each at the same absolute path (so the ELF interpreter path still holds).
copy_bin()
{
	cp "$1" "$2/"
	ldd "$1" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }' |
	    while read -r lib; do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}
copy_bin "$curl" "$root/usr/bin"
for x in $extra; do
	copy_bin "$x" "$root/usr/local/bin"
done

if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
	cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
fi
cat > "$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
sandbox:x:1000:1000:sandbox:/home/sandbox:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat > "$root/etc/group" <<'EOF'
root:x:0:
sandbox:x:1000:
nogroup:x:65534:
EOF
# Names resolve from files only: a sandbox hands host names to the proxy
# and never needs DNS (the proxy resolves, after the token check).
echo 'hosts: files' > "$root/etc/nsswitch.conf"
chown -R 1000:1000 "$root/home/sandbox"

cp "$here/Dockerfile" "$ctx/Dockerfile"
# The legacy builder is all Debian's docker.io 20.10 has without buildx.
DOCKER_BUILDKIT=0 docker build -q -t "$tag" "$ctx" 2>/dev/null
