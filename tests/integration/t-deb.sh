#!/bin/sh
# SPDX-License-Identifier: ISC
# The Debian package (issue 20.3), as docs/deploy.md builds and installs it:
#  - `dpkg-buildpackage -us -uc -b` on a copy of the tree builds
#    sandgate_VERSION_ARCH.deb; lintian reports no error;
#  - the package holds the services under /usr/libexec/sandgate, the CLI,
#    the units; /etc/sandgate/sandgate.env and firewall.nft are conffiles;
#  - `dpkg -i` on this machine: the user sandgate exists, sandgate.env is
#    root:sandgate 0640, tmpfiles made /run/sandgate/metrics; the installed
#    units pass `systemd-analyze verify`;
#  - the stack from the package: the installed token-verify, started as
#    its unit would (user sandgate, the installed sandgate.env, the socket
#    on fd 0 by spawn-fcgi -n, SANDGATE_WORKERS=2), passes its
#    ExecStartPre (--check-config), says READY=1 and answers a FastCGI
#    request; the installed CLI checks the same configuration;
#  - `dpkg --purge` removes every file, and nothing the test started runs.
# systemd is not PID 1 here (containers, CI), so the units are verified,
# not started; the services are started the way the units start them.
# Needs root, debhelper, dpkg-dev, fakeroot, lintian (deploy/lib/deps.sh).
. "$(dirname "$0")/lib.sh"
sg_setup

[ "$(id -u)" -eq 0 ] || { echo "t-deb needs root (dpkg -i)" >&2; exit 1; }
for c in dpkg-buildpackage dh lintian fakeroot spawn-fcgi; do
	command -v "$c" >/dev/null 2>&1 ||
	    { echo "missing $c (deploy/lib/deps.sh)" >&2; exit 1; }
done
if dpkg-query -W -f='${Status}' sandgate 2>/dev/null | grep -q installed; then
	echo "a sandgate package is installed already; not touching it" >&2
	exit 1
fi

VERSION=$(sed -n '1s/^sandgate (\([^)]*\)).*/\1/p' "$SG_TOP/debian/changelog")
SRC=$T/src/sandgate-$VERSION
mkdir -p "$SRC"
# The tree as git has it (with changes not yet committed), no build output.
(cd "$SG_TOP" && git ls-files -z --cached --others --exclude-standard |
    tar --null -T - -cf -) | tar -x -C "$SRC"

# ---- build -------------------------------------------------------------------
rc=0
(cd "$SRC" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" \
    dpkg-buildpackage -us -uc -b >"$T/build.log" 2>&1) || rc=$?
sg_check "dpkg-buildpackage -us -uc -b" 0 "$rc"
DEB=$(ls "$T"/src/sandgate_"$VERSION"_*.deb 2>/dev/null | head -n 1)
[ -n "$DEB" ] || { tail -n 40 "$T/build.log"; sg_done; exit 1; }

lintian "$DEB" >"$T/lintian.log" 2>&1 || true
sg_check "lintian: no errors" "" "$(grep '^E:' "$T/lintian.log" || true)"
grep '^W:' "$T/lintian.log" | sed 's/^/note: lintian /' || true

dpkg-deb -c "$DEB" | awk '{print $6}' | sed 's|^\.||' >"$T/files"
missing=""
for f in /usr/libexec/sandgate/token-issuer /usr/libexec/sandgate/token-verify \
    /usr/libexec/sandgate/session-query /usr/libexec/sandgate/sandbox-create \
    /usr/libexec/sandgate/sandbox-destroy /usr/bin/sandgate \
    /lib/systemd/system/sandgate.target \
    /lib/systemd/system/sandgate-token-verify-egress.service \
    /lib/systemd/system/sandgate-token-verify-egress.socket \
    /lib/systemd/system/sandgate-firewall.service \
    /usr/lib/sysusers.d/sandgate.conf /usr/lib/tmpfiles.d/sandgate.conf \
    /etc/sandgate/sandgate.env /etc/sandgate/firewall.nft \
    /usr/share/man/man1/sandgate.1.gz; do
	grep -qx "$f" "$T/files" || missing="$missing $f"
done
sg_check "the package holds services, CLI, units, configuration" "" "$missing"
mkdir "$T/ctl"
dpkg-deb -e "$DEB" "$T/ctl"
sg_check "conffiles" "/etc/sandgate/firewall.nft /etc/sandgate/sandgate.env" \
    "$(sort "$T/ctl/conffiles" | tr '\n' ' ' | sed 's/ $//')"
sg_check_match "Depends from shlibs" 'libfcgi0ldbl.*libhiredis|libhiredis.*libfcgi0ldbl' \
    "$(dpkg-deb -f "$DEB" Depends)"
sg_check_match "servers recommended" 'redis-server.*docker.io.*apache2' \
    "$(dpkg-deb -f "$DEB" Recommends)"

# ---- install -----------------------------------------------------------------
had_user=0
getent passwd sandgate >/dev/null && had_user=1
# (run last registered first: the purge, then the user it made)
[ $had_user = 1 ] ||
    sg_on_exit "getent passwd sandgate && userdel sandgate; getent group sandgate && groupdel sandgate"
sg_on_exit "dpkg --purge sandgate"
rc=0
dpkg -i "$DEB" >"$T/dpkg.log" 2>&1 || rc=$?
sg_check "dpkg -i" 0 "$rc"
sg_check "installed" "install ok installed" \
    "$(dpkg-query -W -f='${Status}' sandgate 2>/dev/null)"
sg_check "postinst made the user" 1 \
    "$(getent passwd sandgate >/dev/null && echo 1 || echo 0)"
if getent group redis >/dev/null; then
	sg_check "postinst: sandgate in group redis (Redis's unix socket)" 1 \
	    "$(id -nG sandgate | tr ' ' '\n' | grep -cx redis)"
fi
sg_check "sandgate.env root:sandgate 0640" "root:sandgate 640" \
    "$(stat -c '%U:%G %a' /etc/sandgate/sandgate.env)"
sg_check "tmpfiles made the metrics directory" "sandgate 700" \
    "$(stat -c '%U %a' /run/sandgate/metrics 2>/dev/null)"
sg_check "nothing started, nothing enabled" "" \
    "$(ls /etc/systemd/system/*/sandgate* 2>/dev/null || true)"
sg_check "sandgate --version" "sandgate cli $VERSION" "$(sandgate --version)"
sg_check "token-verify --version" "sandgate token-verify $VERSION" \
    "$(/usr/libexec/sandgate/token-verify --version)"
if command -v systemd-analyze >/dev/null 2>&1; then
	rc=0
	systemd-analyze verify /lib/systemd/system/sandgate*.service \
	    /lib/systemd/system/sandgate*.socket \
	    /lib/systemd/system/sandgate.target >"$T/verify.log" 2>&1 || rc=$?
	sg_check "systemd-analyze verify on the installed units" "0 " \
	    "$rc $(grep -v 'redis-server.service\|docker.service' "$T/verify.log" |
	    tr '\n' ' ')"
fi

# ---- the stack from the package -------------------------------------------------
# Keys as the unit reads them: root-owned, readable by group sandgate.
sandgate keygen "$T/keys" >/dev/null
sandgate keygen "$T/opkeys" >/dev/null
for k in keys opkeys; do
	chgrp -R sandgate "$T/$k"
	chmod 750 "$T/$k"
	chmod 640 "$T/$k"/*
done
P=$(sg_free_port)
cat > "$T/notify.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
import os
os.chmod(sys.argv[1], 0o666)
open(sys.argv[2] + ".up", "w").close()
with open(sys.argv[2], "a", buffering=1) as f:
    while True:
        f.write(s.recv(4096).decode().replace("\n", " ") + "\n")
PY
python3 "$T/notify.py" "$T/notify.sock" "$T/notify.out" &
sg_track_pid $!
sg_wait_file "$T/notify.out.up"
# as the unit: EnvironmentFile=/etc/sandgate/sandgate.env, then this
# test's own settings (what token-verify-egress.env would hold).
cat > "$T/own.env" <<EOF
SANDGATE_VERIFY_KEYS=$T/keys/jwks.json
SANDGATE_OPERATOR_KEYS=$T/opkeys/jwks.json
SANDGATE_REDIS=unix:$T/no-redis.sock
SANDGATE_WORKERS=2
EOF
# unit_env CMD...: CMD as user sandgate with the units' environment.
unit_env()
{
	# shellcheck disable=SC2046
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	    $(grep -h '^SANDGATE_' /etc/sandgate/sandgate.env "$T/own.env") \
	    setpriv --reuid=sandgate --regid=sandgate --init-groups "$@"
}
rc=0
unit_env /usr/libexec/sandgate/token-verify --check-config >"$T/check.out" 2>&1 ||
    rc=$?
sg_check "ExecStartPre: token-verify --check-config as sandgate" \
    "0 token-verify: configuration ok" "$rc $(cat "$T/check.out")"
rc=0
unit_env /usr/bin/sandgate --check-config >"$T/check.out" 2>&1 || rc=$?
sg_check "ExecStartPre: sandgate --check-config as sandgate" 0 "$rc"
# the journal's stand-in, writable by the service's user
: > "$T/tv.log"
chown sandgate "$T/tv.log"
# Not through unit_env: $! must be the service's own PID (env, setpriv,
# spawn-fcgi -n and sh each exec the next).
# shellcheck disable=SC2046
env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin NOTIFY_SOCKET="$T/notify.sock" \
    $(grep -h '^SANDGATE_' /etc/sandgate/sandgate.env "$T/own.env") \
    setpriv --reuid=sandgate --regid=sandgate --init-groups \
    spawn-fcgi -n -a 127.0.0.1 -p "$P" -- \
    /bin/sh -c 'exec "$0" 2>>"$1"' /usr/libexec/sandgate/token-verify \
    "$T/tv.log" </dev/null >/dev/null 2>>"$T/spawn-fcgi.log" &
MAIN=$!
sg_track_pid $MAIN
n=0
while ! grep -q READY=1 "$T/notify.out" && [ $n -lt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
sg_check_match "installed token-verify: READY=1" 'READY=1' "$(cat "$T/notify.out")"
sg_check "installed token-verify: runs as sandgate" sandgate \
    "$(ps -o user= -p "$MAIN" | tr -d ' ')"
sg_check "installed token-verify: two workers" 2 \
    "$(ps -o pid= --ppid "$MAIN" | wc -l)"
resp=$(env -i PATH="$PATH" REQUEST_METHOD=GET REQUEST_URI=/ SCRIPT_NAME=/ \
    SERVER_PROTOCOL=HTTP/1.1 GATEWAY_INTERFACE=CGI/1.1 REMOTE_ADDR=127.0.0.1 \
    cgi-fcgi -bind -connect "127.0.0.1:$P" 2>/dev/null | tr -d '\r' || true)
sg_check_match "installed token-verify answers (401 without a token)" \
    '^Status: 401' "$resp"
workers=$(ps -o pid= --ppid "$MAIN" | tr -d ' ')
kill -TERM "$MAIN" 2>/dev/null || true
rc=0
wait "$MAIN" || rc=$?
sg_check "installed token-verify: SIGTERM, exit 0" 0 "$rc"
sg_check "nothing left running" "" \
    "$(for w in $workers; do sg_run_running "$w" && echo "$w"; done)"

# ---- purge ---------------------------------------------------------------------
rc=0
dpkg --purge sandgate >>"$T/dpkg.log" 2>&1 || rc=$?
sg_check "dpkg --purge" 0 "$rc"
left=""
for f in /usr/libexec/sandgate /usr/bin/sandgate /etc/sandgate /run/sandgate \
    /var/lib/sandgate /lib/systemd/system/sandgate.target \
    /usr/share/sandgate /usr/share/doc/sandgate; do
	[ -e "$f" ] && left="$left $f"
done
sg_check "purge leaves nothing" "" "$left"

sg_done
