#!/bin/sh
# SPDX-License-Identifier: ISC
# Build the sandgate "tools" sandbox image with no registry: a FROM-scratch
# image whose root file system is copied from the host's Debian packages
# (deploy/lib/deps.sh SG_TOOLS_PACKAGES): busybox, curl, wget, git,
# python3 with requests, aiohttp and pip, node with npm (and Debian's
# node-undici for fetch), a headless JDK 17, the shared libraries ldd
# names, CA certificates, and Go (the compiler, its tools, the standard
# library's sources and Debian's precompiled packages, about 410 MB; the
# image has no C compiler, so CGO_ENABLED=0, and a first build recompiles
# only the few packages that differ without cgo: 6 s here against 19 s
# with no precompiled packages).  Go's net/http honours the proxy
# variables by itself.  What each runtime needs
# to reach the proxy
# with no change to the code is in tools/ (node's preload, the Java
# agent) and in the image's environment (Dockerfile.tools); sandbox-create
# sets the proxy itself (docs/contract.md §6.1).
#
#   deploy/image/build-tools.sh [-t TAG] [-c CA.pem]...
#
# TAG defaults to sandgate-tools:latest.  -c adds a CA certificate to
# every trust store of the image (OpenSSL/GnuTLS bundle, Java cacerts).
# Allow the image with SANDGATE_IMAGES.  Prints the image id.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
tag=sandgate-tools:latest
cas=""
while getopts t:c: opt; do
	case $opt in
	t) tag=$OPTARG ;;
	c) cas="$cas $OPTARG" ;;
	*) echo "usage: $0 [-t tag] [-c ca.pem]..." >&2; exit 64 ;;
	esac
done

jdk=/usr/lib/jvm/java-17-openjdk-amd64
need()
{
	[ -e "$1" ] || { echo "$0: need $1 (Debian package $2)" >&2; exit 69; }
}
need /bin/busybox busybox-static
# Debian's own python3 (not one first on an operator's PATH).
py=$(readlink -f /usr/bin/python3 2>/dev/null || true)
need "$py" python3
for b in curl wget git node npm; do
	command -v $b >/dev/null 2>&1 || { echo "$0: need $b" >&2; exit 69; }
done
need /usr/lib/python3/dist-packages/requests python3-requests
need /usr/lib/python3/dist-packages/aiohttp python3-aiohttp
need /usr/lib/python3/dist-packages/pip python3-pip
need "$jdk/bin/java" default-jdk-headless
need "$jdk/bin/javac" default-jdk-headless
need /usr/share/nodejs/undici node-undici
command -v go >/dev/null 2>&1 || { echo "$0: need go (Debian package golang-go)" >&2; exit 69; }
goroot=$(go env GOROOT)
need "$goroot/bin/go" golang-go
for c in $cas; do
	need "$c" "(a CA file)"
done

ctx=$(mktemp -d /tmp/sg-tools.XXXXXX)
trap 'rm -rf "$ctx"' EXIT
root=$ctx/rootfs
mkdir -p "$root/bin" "$root/usr/bin" "$root/usr/local/bin" "$root/etc/ssl/certs/java" \
    "$root/tmp" "$root/mnt/uploads" "$root/mnt/outputs" "$root/mnt/skills" \
    "$root/home/sandbox" "$root/proc" "$root/sys" "$root/dev" \
    "$root/usr/lib/sandgate" "$root/usr/share/nodejs"
chmod 1777 "$root/tmp"

cp /bin/busybox "$root/bin/busybox"
for a in $(/bin/busybox --list); do
	case $a in busybox|wget) continue ;; esac
	[ -e "$root/bin/$a" ] || ln -s busybox "$root/bin/$a"
done

# tree SRC...: host paths copied to the same paths, symbolic links
# followed (Debian links the JDK's conf into /etc); a dangling link (an
# optional package not installed) is left out.
tree()
{
	tar -C / -chf - --exclude='__pycache__' --exclude='*/test' \
	    --exclude='*/jmods' --exclude='*/include' --exclude='*/man' \
	    --exclude='*/legal' --exclude='*/docs' --exclude='*/src.zip' \
	    --exclude='*/ct.sym' --exclude='*/demo' \
	    "$@" 2>/dev/null | tar -C "$root" -xf -
}
rel()
{
	for _p in "$@"; do
		printf '%s\n' "${_p#/}"
	done
}
tree $(rel "$(command -v curl)" "$(command -v wget)" "$(command -v git)" \
    /usr/lib/git-core /usr/share/git-core \
    "$py" /usr/lib/python3.11 \
    /usr/lib/python3/dist-packages \
    "$(readlink -f "$(command -v node)")" \
    "$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")" \
    /usr/share/nodejs/undici /usr/share/nodejs/busboy \
    /usr/share/nodejs/streamsearch "$jdk") || true
ln -sf "$py" "$root/usr/bin/python3"
ln -sf python3 "$root/usr/bin/python"
[ -e "$root/usr/bin/node" ] || ln -s "$(readlink -f "$(command -v node)")" "$root/usr/bin/node"
npmcli=$(readlink -f "$(command -v npm)")
rm -f "$root/usr/bin/npm"
ln -s "$npmcli" "$root/usr/bin/npm"
# Go: GOROOT (src through Debian's link into /usr/share) at the same
# path as on the host, without the tests.
tar -C / -chf - --exclude='testdata' --exclude='*_test.go' \
    "${goroot#/}/bin" "${goroot#/}/pkg" "${goroot#/}/src" \
    "${goroot#/}/VERSION" 2>/dev/null | tar -C "$root" -xf -
for b in go gofmt; do
	ln -sf "$goroot/bin/$b" "$root/usr/bin/$b"
done
[ -x "$root$goroot/bin/go" ] && [ -e "$root$goroot/src/net/http/client.go" ] ||
    { echo "$0: the Go copy is incomplete" >&2; exit 70; }
# Scripts start with #!/usr/bin/env (npm).
ln -sf /bin/busybox "$root/usr/bin/env"
for b in java javac jar keytool; do
	ln -sf "$jdk/bin/$b" "$root/usr/bin/$b"
done
"$root$jdk/bin/java" -version >/dev/null 2>&1 ||
    { echo "$0: the JDK copy does not run" >&2; exit 70; }

# Every library any copied ELF file needs, at its own path.
find "$root" -type f \( -perm -u+x -o -name '*.so*' \) | while read -r f; do
	head -c 4 "$f" 2>/dev/null | grep -q 'ELF' || continue
	# A static program (busybox, Go's tools) makes ldd exit 1: under
	# set -e that would end the loop and leave the rest unlisted.
	ldd "$f" 2>/dev/null || :
done | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }' |
    sort -u | while read -r lib; do
	[ -e "$root$lib" ] && continue
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
# The JVM finds libjvm through its own layout, not ldd.
find "$root$jdk/lib" -name '*.so' | while read -r f; do
	LD_LIBRARY_PATH=$jdk/lib:$jdk/lib/server ldd "$f" 2>/dev/null || :
done | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }' |
    sort -u | while read -r lib; do
	[ -e "$root$lib" ] && continue
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done

# Trust: the bundle (OpenSSL, GnuTLS, Python, Go, git, Node through
# NODE_EXTRA_CA_CERTS) and Java's cacerts, with the -c CAs added.
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
cp -L "$jdk/lib/security/cacerts" "$root/etc/ssl/certs/java/cacerts"
rm -f "$root$jdk/lib/security/cacerts"
ln -s /etc/ssl/certs/java/cacerts "$root$jdk/lib/security/cacerts"
chmod 644 "$root/etc/ssl/certs/java/cacerts"
i=0
for c in $cas; do
	cat "$c" >> "$root/etc/ssl/certs/ca-certificates.crt"
	i=$((i + 1))
	"$jdk/bin/keytool" -importcert -noprompt -alias "sandgate-extra-$i" \
	    -file "$c" -keystore "$root/etc/ssl/certs/java/cacerts" \
	    -storepass changeit >/dev/null
done

# The proxy glue: node's preload, the Java agent.
cp "$here/tools/sandgate-proxy.js" "$root/usr/lib/sandgate/"
mkdir -p "$ctx/jagent"
"$jdk/bin/javac" -d "$ctx/jagent" --release 11 "$here/tools/SandgateProxyAuth.java"
printf 'Premain-Class: SandgateProxyAuth\n' > "$ctx/jagent/MANIFEST.MF"
"$jdk/bin/jar" cfm "$root/usr/lib/sandgate/sandgate-proxy-auth.jar" \
    "$ctx/jagent/MANIFEST.MF" -C "$ctx/jagent" SandgateProxyAuth.class

cat > "$root/etc/passwd" <<'PW'
root:x:0:0:root:/root:/bin/sh
sandbox:x:1000:1000:sandbox:/home/sandbox:/bin/sh
nobody:x:65534:65534:nobody:/tmp:/bin/false
PW
cat > "$root/etc/group" <<'GR'
root:x:0:
sandbox:x:1000:
nogroup:x:65534:
GR
echo 'hosts: files' > "$root/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n' > "$root/etc/hosts"
chown -R 1000:1000 "$root/home/sandbox"

cp "$here/Dockerfile.tools" "$ctx/Dockerfile"
DOCKER_BUILDKIT=0 docker build -q -t "$tag" "$ctx" 2>/dev/null
