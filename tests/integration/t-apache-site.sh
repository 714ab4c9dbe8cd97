#!/bin/sh
# SPDX-License-Identifier: ISC
# Issue 15, item 7: deploy/apache/sandgate-egress.conf.in installed as a
# site of Debian's packaged apache2 behaves as under run.sh's stand-alone
# httpd.conf: the access log uses the sg_egress format (not the literal
# word), ServerTokens Prod holds, and the vhost's own RequestReadTimeout
# applies even where the server-wide one is laxer.
#
# The real /etc/apache2 is never touched: it is copied into $T/apache2,
# whose envvars puts the run, lock and log directories under $T,
# whose ports.conf listens nowhere, and whose default site is disabled.
# The site is enabled a2ensite-style by a symlink, the modules a2enmod-
# style; apache2ctl -t checks it with APACHE_CONFDIR pointing at the copy
# (apache2ctl then passes -d $T/apache2).  Everything is on 127.0.0.1.
. "$(dirname "$0")/lib.sh"

sg_setup

[ -d /etc/apache2/mods-available ] && command -v apache2ctl >/dev/null ||
    { echo "Debian's apache2 is not installed" >&2; exit 1; }

C=$T/apache2
cp -a /etc/apache2 "$C"
mkdir -p "$T/run" "$T/lock" "$T/log"
cat >> "$C/envvars" <<EOF
# t-apache-site.sh: everything under the test's directory.
export APACHE_RUN_USER=nobody
export APACHE_RUN_GROUP=nogroup
export APACHE_PID_FILE=$T/run/apache2.pid
export APACHE_RUN_DIR=$T/run
export APACHE_LOCK_DIR=$T/lock
export APACHE_LOG_DIR=$T/log
EOF
# Debian's apache2 with its own modules: one another package added to
# the machine's mods-enabled (a third-party .so) is not ours to test.
for _l in "$C"/mods-enabled/*.load; do
	_so=$(awk '$1 == "LoadModule" { print $3; exit }' "$_l")
	[ -n "$_so" ] || continue
	case $_so in /*) ;; *) _so=/usr/lib/apache2/$_so ;; esac
	if ! dpkg -S "$_so" 2>/dev/null | grep -q '^apache2-bin:'; then
		echo "# leaving out ${_l##*/} ($_so is not apache2-bin's)"
		rm -f "$_l" "${_l%.load}.conf"
	fi
done
# Our site's own Listen is the only one.
echo '# t-apache-site.sh: no Listen of its own' > "$C/ports.conf"
rm -f "$C"/sites-enabled/*
# An operator's laxer server-wide setting: the vhost must override it.
echo 'RequestReadTimeout header=60 body=60' > "$C/mods-available/reqtimeout.conf"
for _m in reqtimeout proxy proxy_http proxy_connect authnz_fcgi authn_core \
    authz_core authz_user; do
	for _f in load conf; do
		[ -e "$C/mods-available/$_m.$_f" ] || continue
		ln -sf "../mods-available/$_m.$_f" "$C/mods-enabled/$_m.$_f"
	done
done

PORT=$(sg_free_port)
VPORT=$(sg_free_port)
sed -e "s|@NAME@|site|g" -e "s|@PROXY_ADDR@|127.0.0.1|g" \
    -e "s|@PORT_PROXY@|$PORT|g" -e "s|@VERIFY_ADDR@|127.0.0.1:$VPORT|g" \
    -e "s|@CONNECT_PORTS@|443|g" -e "s|@LOGDIR@|$T/log|g" \
    -e "s|@SANDBOX_SUBNET@|127.0.0.0/8|g" \
    "$SG_TOP/deploy/apache/sandgate-egress.conf.in" \
    > "$C/sites-available/sandgate-egress.conf"
ln -s ../sites-available/sandgate-egress.conf "$C/sites-enabled/sandgate-egress.conf"

echo "# Debian layout in $C"
out=$(APACHE_CONFDIR=$C apache2ctl -t 2>&1) && rc=0 || rc=$?
sg_check "apache2ctl -t on the copy (APACHE_CONFDIR)" 0 "$rc"
[ "$rc" -eq 0 ] || { echo "$out"; sg_done; exit 1; }
sg_check "the real /etc/apache2 is unchanged (no sandgate site)" "" \
    "$(ls /etc/apache2/sites-enabled | grep sandgate || true)"

# apache2 itself (not apache2ctl start, which would go through systemd),
# with the copy's envvars, as apache2ctl runs it.
( unset HOME; APACHE_CONFDIR=$C; export APACHE_CONFDIR; . "$C/envvars";
  exec apache2 -d "$C" -DFOREGROUND ) </dev/null >/dev/null \
    2>>"$T/apache-stderr.log" &
sg_track_pid $!
sg_wait_tcp 127.0.0.1 "$PORT" || { cat "$T/log/error.log" 2>/dev/null; exit 1; }

echo "# an origin-form request (denied: nothing to serve)"
hdr=$(curl -s -D - -o /dev/null --max-time 10 "http://127.0.0.1:$PORT/" | tr -d '\r')
sg_check "GET / on the proxy port" 403 \
    "$(printf '%s\n' "$hdr" | sed -n 's/^HTTP\/[0-9.]* \([0-9]*\).*/\1/p')"
sg_check "ServerTokens Prod (Debian's default is OS)" "Server: Apache" \
    "$(printf '%s\n' "$hdr" | grep -i '^server:')"
sleep 0.5
line=$(tail -n 1 "$T/log/egress-site-access.log" 2>/dev/null || true)
sg_check_match "access log line in the sg_egress format" \
    '^127\.0\.0\.1 - \[-\] "GET / HTTP/1\.1" 403 [0-9]+ [0-9]+ -$' "$line"

echo "# a client that sends half a header and stalls"
# header=20-40,MinRate=500: closed with 408 after ~20 s; the server-wide
# header=60 would keep it 60 s.
took=$(python3 - "$PORT" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
s.settimeout(50)
t0 = time.time()
try:
    while s.recv(4096):
        pass
except socket.timeout:
    pass
print(int(time.time() - t0))
PY
)
sg_check_match "closed by the vhost's RequestReadTimeout (18-30 s)" \
    '^(1[89]|2[0-9]|30)$' "$took"
sleep 0.5
sg_check_match "the 408 is logged" '" 408 [0-9]+ [0-9]+ -$' \
    "$(tail -n 1 "$T/log/egress-site-access.log")"

sg_done
