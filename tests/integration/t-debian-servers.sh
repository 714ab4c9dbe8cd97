#!/bin/sh
# SPDX-License-Identifier: ISC
# Issue 20, item 10: the snippets for Debian's packaged servers
# (docs/deploy.md, "Debian's packaged servers"), rendered by
# deploy/render-site.sh and checked by the servers' own tools, each on a
# copy of the package's configuration under $T (the real /etc is never
# touched; everything listens on 127.0.0.1):
#  - lighttpd: 50-sandgate.conf in conf-available, enabled by Debian's
#    lighty-enable-mod (pointed at the copy), its dependencies with it;
#    lighttpd -tt; then running: the routes answer on sandgate's socket
#    only, the packaged document root is not served there, and the
#    packaged site does not route the API;
#  - lighttpd with 51-sandgate-tls.conf (lighttpd-mod-openssl): TLS on
#    the API with the rendered certificate, TLS 1.1 and plain HTTP refused;
#  - nginx: the site in sites-available, TLS on the API; nginx -t; then
#    running: TLS with the rendered certificate, the JSON 404, the
#    metrics listener;
#  - apache2@sandgate: an /etc/apache2-sandgate copy set up as
#    README.multiple-instances says, with the real a2enmod/a2ensite/
#    a2enconf on it; apache2ctl -t with the instance's environment; the
#    envvars give the instance its own run and log directories; then
#    running: the probe's listener from the instance's Defines;
#  - Redis: the snippet included from Debian's redis.conf; a real
#    redis-server started from it: noeviction, appendonly, the socket's
#    mode, the ACL user doing what lib/session.c does (sgtest_session)
#    and refused the rest.
. "$(dirname "$0")/lib.sh"

sg_setup
R=$SG_TOP/deploy/render-site.sh
for c in lighttpd nginx apache2ctl redis-server openssl; do
	command -v "$c" >/dev/null || { echo "missing $c" >&2; exit 1; }
done
[ -d /etc/lighttpd/conf-available ] && [ -d /etc/nginx/sites-available ] &&
    [ -d /etc/apache2/mods-available ] && [ -f /etc/redis/redis.conf ] ||
    { echo "Debian's lighttpd, nginx, apache2 and redis-server are needed" >&2; exit 1; }
mkdir -p "$T/log" "$T/sock" "$T/run"
export SG_LOGDIR=$T/log SG_SOCKDIR=$T/sock
# code URL [CURL-ARGS...]: the status of one request
code()
{
	_u=$1
	shift
	curl -s -o "$T/body" -w '%{http_code}' --max-time 10 "$@" "$_u" || true
}

# ---- lighttpd: conf-available + lighty-enable-mod ------------------------------
echo "# lighttpd"
L=$T/lighttpd
cp -a /etc/lighttpd "$L"
rm -f "$L"/conf-enabled/*
LPORT=$(sg_free_port)
LAPI=$(sg_free_port)
LMET=$(sg_free_port)
sed -i -e "s|/etc/lighttpd/|$L/|g" \
    -e "s|^server.port .*|server.port = $LPORT|" \
    -e "s|^server.bind .*||" \
    -e "s|^server.errorlog .*|server.errorlog = \"$T/log/lighttpd-error.log\"|" \
    -e "s|^server.pid-file .*|server.pid-file = \"$T/run/lighttpd.pid\"|" \
    -e "s|^server.upload-dirs .*|server.upload-dirs = ( \"$T/run\" )|" \
    -e '/use-ipv6.pl/d' -e '/^server.username/d' -e '/^server.groupname/d' \
    "$L/lighttpd.conf"
echo "server.bind = \"127.0.0.1\"" >> "$L/lighttpd.conf"
SG_API_PORT=$LAPI SG_METRICS_PORT=$LMET sh "$R" lighttpd \
    "$L/conf-available/50-sandgate.conf"
sg_check "lighttpd: rendered, no placeholder left" 0 \
    "$(grep -v '^[[:space:]]*#' "$L/conf-available/50-sandgate.conf" | grep -c '@[A-Z_]*@' || true)"
# Debian's lighty-enable-mod, its configuration directory the copy's.
sed "s|^my \$confdir = \"/etc/lighttpd/\";|my \$confdir = \"$L/\";|" \
    /usr/sbin/lighty-enable-mod > "$T/lighty-enable-mod"
grep -q "confdir = \"$L/\"" "$T/lighty-enable-mod" ||
    { echo "lighty-enable-mod: no confdir line to point at the copy" >&2; exit 1; }
perl "$T/lighty-enable-mod" sandgate > "$T/lighty.out" 2>&1 && rc=0 || rc=$?
sg_check "lighty-enable-mod sandgate" 0 "$rc"
sg_check "lighty-enable-mod: its dependencies too" \
    "10-accesslog.conf 10-fastcgi.conf 50-sandgate.conf" \
    "$(ls "$L/conf-enabled" | tr '\n' ' ' | sed 's/ $//')"
out=$(lighttpd -tt -f "$L/lighttpd.conf" 2>&1) && rc=0 || rc=$?
sg_check "lighttpd -tt on the packaged config with the module" 0 "$rc"
[ "$rc" -eq 0 ] || echo "$out"
sg_check "lighttpd -tt: no warning" "" "$(printf '%s' "$out" | grep -i 'warn\|deprecated' || true)"
[ -f /usr/lib/lighttpd/mod_openssl.so ] ||
    { echo "lighttpd-mod-openssl missing (tests/deps.sh installs it)" >&2; exit 1; }
setsid lighttpd -D -f "$L/lighttpd.conf" </dev/null >/dev/null \
    2>>"$T/log/lighttpd-stderr.log" &
LPID=$!
sg_track_pid $LPID
sg_wait_tcp 127.0.0.1 "$LAPI" && sg_wait_tcp 127.0.0.1 "$LMET" ||
    { cat "$T/log/lighttpd-error.log"; exit 1; }
# No backend runs: a route that reaches its FastCGI socket answers 503.
sg_check "lighttpd: a route reaches its backend (none runs: 503)" 503 \
    "$(code "http://127.0.0.1:$LAPI/healthz/token-issuer")"
sg_check "lighttpd: a protected route asks the authorizer first (503)" 503 \
    "$(code "http://127.0.0.1:$LAPI/v1/sessions")"
sg_check "lighttpd: an unknown URL on the API socket is denied" 403 \
    "$(code "http://127.0.0.1:$LAPI/index.html")"
sg_check "lighttpd: no static file of the packaged root there" 403 \
    "$(code "http://127.0.0.1:$LAPI/index.lighttpd.html")"
sg_check "lighttpd: the packaged site does not route the API" 404 \
    "$(code "http://127.0.0.1:$LPORT/healthz/token-issuer")"
sg_check "lighttpd: metrics listener: /metrics to session-query (503)" 503 \
    "$(code "http://127.0.0.1:$LMET/metrics")"
sg_check "lighttpd: metrics listener: nothing else" 403 \
    "$(code "http://127.0.0.1:$LMET/v1/sessions")"

# ---- lighttpd: TLS on the API (51-sandgate-tls.conf, lighttpd-mod-openssl) ---
kill "$LPID"
wait "$LPID" 2>/dev/null || true
mkdir -p "$T/ltls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$T/ltls/api.key" -out "$T/ltls/api.crt" 2>/dev/null
SG_API_PORT=$LAPI SG_TLS_CERT=$T/ltls/api.crt SG_TLS_KEY=$T/ltls/api.key \
    sh "$R" lighttpd-tls "$L/conf-available/51-sandgate-tls.conf"
perl "$T/lighty-enable-mod" sandgate-tls > "$T/lighty-tls.out" 2>&1 && rc=0 || rc=$?
sg_check "lighty-enable-mod sandgate-tls" 0 "$rc"
out=$(lighttpd -tt -f "$L/lighttpd.conf" 2>&1) && rc=0 || rc=$?
sg_check "lighttpd -tt with the TLS snippet" 0 "$rc"
[ "$rc" -eq 0 ] || echo "$out"
setsid lighttpd -D -f "$L/lighttpd.conf" </dev/null >/dev/null \
    2>>"$T/log/lighttpd-stderr.log" &
LPID=$!
sg_track_pid $LPID
sg_wait_tcp 127.0.0.1 "$LAPI" ||
    { cat "$T/log/lighttpd-error.log"; exit 1; }
sg_check "lighttpd TLS: the API over TLS with the rendered certificate (403 off-route)" 403 \
    "$(code "https://127.0.0.1:$LAPI/index.html" --cacert "$T/ltls/api.crt")"
sg_check "lighttpd TLS: a route reaches its backend (none runs: 503)" 503 \
    "$(code "https://127.0.0.1:$LAPI/healthz/token-issuer" --cacert "$T/ltls/api.crt")"
sg_check "lighttpd TLS: TLS 1.1 refused" 000 \
    "$(code "https://127.0.0.1:$LAPI/index.html" --cacert "$T/ltls/api.crt" --tls-max 1.1)"
sg_check_match "lighttpd TLS: plain HTTP on the API port gets no API answer" '^(000|400)$' \
    "$(code "http://127.0.0.1:$LAPI/healthz/token-issuer")"
sg_check "lighttpd TLS: the metrics listener stays plain, on loopback" 503 \
    "$(code "http://127.0.0.1:$LMET/metrics")"

# ---- nginx: sites-available, TLS on the API -----------------------------------
echo "# nginx"
N=$T/nginx
cp -a /etc/nginx "$N"
rm -f "$N"/sites-enabled/*
NAPI=$(sg_free_port)
NMET=$(sg_free_port)
mkdir -p "$N/sandgate" "$T/tls"
cp "$SG_TOP/deploy/nginx/sg_params" "$SG_TOP/deploy/nginx/sg_auth_params" \
    "$N/sandgate/"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -days 2 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$T/tls/api.key" -out "$T/tls/api.crt" 2>/dev/null
sed -i -e "s|/etc/nginx/|$N/|g" -e "s|^pid .*|pid $T/run/nginx.pid;|" \
    -e "s|/var/log/nginx/|$T/log/nginx-|g" -e "s|^user .*|user nobody nogroup;|" \
    "$N/nginx.conf"
SG_API_PORT=$NAPI SG_METRICS_PORT=$NMET SG_NGINX_DIR=$N/sandgate \
    SG_TLS_CERT=$T/tls/api.crt SG_TLS_KEY=$T/tls/api.key \
    sh "$R" nginx "$N/sites-available/sandgate"
ln -s ../sites-available/sandgate "$N/sites-enabled/sandgate"
out=$(nginx -t -c "$N/nginx.conf" -g "error_log $T/log/nginx-t.log;" 2>&1) &&
    rc=0 || rc=$?
sg_check "nginx -t on the packaged config with the site" 0 "$rc"
[ "$rc" -eq 0 ] || echo "$out"
setsid nginx -c "$N/nginx.conf" -g 'daemon off;' </dev/null \
    >/dev/null 2>>"$T/log/nginx-stderr.log" &
sg_track_pid $!
sg_wait_tcp 127.0.0.1 "$NAPI" && sg_wait_tcp 127.0.0.1 "$NMET" ||
    { cat "$T/log/nginx-stderr.log" "$T/log/nginx-error.log" 2>/dev/null; exit 1; }
sg_check "nginx: TLS with the rendered certificate, JSON 404" "404 not_found" \
    "$(code "https://127.0.0.1:$NAPI/nope" --cacert "$T/tls/api.crt") $(jq -r .error "$T/body" 2>/dev/null)"
sg_check "nginx: TLS 1.1 refused" 000 \
    "$(code "https://127.0.0.1:$NAPI/nope" --cacert "$T/tls/api.crt" --tls-max 1.1)"
sg_check "nginx: plain HTTP on the API port refused" 400 \
    "$(code "http://127.0.0.1:$NAPI/nope")"
sg_check "nginx: a protected route asks the authorizer first (none: 500, denied)" 500 \
    "$(code "https://127.0.0.1:$NAPI/v1/sessions" --cacert "$T/tls/api.crt")"
sg_check "nginx: metrics listener: /metrics to session-query (none: 502)" 502 \
    "$(code "http://127.0.0.1:$NMET/metrics")"
sg_check "nginx: metrics listener: nothing else" 404 \
    "$(code "http://127.0.0.1:$NMET/v1/sessions")"

# ---- apache2@sandgate ----------------------------------------------------------
echo "# apache2@sandgate"
sg_check "the instance unit reads /etc/apache2-<name>" 1 \
    "$(grep -c '^Environment=APACHE_CONFDIR=/etc/apache2-%i' /lib/systemd/system/apache2@.service)"
sg_check "envvars: apache2-sandgate runs and logs apart" \
    "/var/run/apache2-sandgate /var/log/apache2-sandgate" \
    "$(env -i APACHE_CONFDIR=/etc/apache2-sandgate sh -c \
    '. /etc/apache2/envvars; echo "$APACHE_RUN_DIR $APACHE_LOG_DIR"')"
C=$T/apache2-sandgate
cp -a /etc/apache2 "$C"
mkdir -p "$T/state" "$T/alog" "$T/alock"
cat >> "$C/envvars" <<EOF
# t-debian-servers.sh: the instance's directories under the test's.
export APACHE_RUN_USER=nobody
export APACHE_RUN_GROUP=nogroup
export APACHE_PID_FILE=$T/run/apache2-sandgate.pid
export APACHE_RUN_DIR=$T/run
export APACHE_LOCK_DIR=$T/alock
export APACHE_LOG_DIR=$T/alog
EOF
# Only apache2-bin's own modules (as t-apache-site.sh).
for l in "$C"/mods-enabled/*.load; do
	so=$(awk '$1 == "LoadModule" { print $3; exit }' "$l")
	[ -n "$so" ] || continue
	case $so in /*) ;; *) so=/usr/lib/apache2/$so ;; esac
	dpkg -S "$so" 2>/dev/null | grep -q '^apache2-bin:' ||
	    rm -f "$l" "${l%.load}.conf"
done
echo '# the site Listens itself' > "$C/ports.conf"
A() { APACHE_CONFDIR=$C APACHE_STATE_DIRECTORY=$T/state "$@"; }
APORT=$(sg_free_port)
APROBE=$(sg_free_port)
AVERIFY=$(sg_free_port)
SG_PROXY_ADDR=127.0.0.1 SG_PROXY_PORT=$APORT SG_SANDBOX_SUBNET=127.0.0.0/8 \
    SG_VERIFY_ADDR=127.0.0.1:$AVERIFY SG_LOGDIR=$T/alog \
    sh "$R" apache-site "$C/sites-available/sandgate-egress.conf"
SG_PROBE_PORT=$APROBE SG_BUDGET_LOG="/bin/cat" \
    sh "$R" apache-instance "$C/conf-available/sandgate.conf"
rc=0
A a2dissite -q 000-default >/dev/null || rc=1
A a2enmod -q proxy proxy_http proxy_connect proxy_fcgi authnz_fcgi reqtimeout \
    >/dev/null || rc=1
A a2enconf -q sandgate >/dev/null || rc=1
A a2ensite -q sandgate-egress >/dev/null || rc=1
sg_check "a2enmod, a2enconf, a2ensite on the instance's directory" 0 "$rc"
out=$(A apache2ctl -t 2>&1) && rc=0 || rc=$?
sg_check "apache2ctl -t (APACHE_CONFDIR: the instance)" 0 "$rc"
[ "$rc" -eq 0 ] || echo "$out"
sg_check "the instance's vhosts: the proxy and its probe" \
    "sandgate-egress-main sandgate-probe-main" \
    "$(A apache2ctl -t -D DUMP_VHOSTS 2>&1 | grep -o 'sandgate-[a-z]*-main' |
    sort -u | tr '\n' ' ' | sed 's/ $//')"
( unset HOME; APACHE_CONFDIR=$C; export APACHE_CONFDIR; . "$C/envvars";
  exec apache2 -d "$C" -DFOREGROUND ) </dev/null >/dev/null \
    2>>"$T/apache-stderr.log" &
sg_track_pid $!
sg_wait_tcp 127.0.0.1 "$APROBE" ||
    { cat "$T/alog/error.log" "$T/apache-stderr.log" 2>/dev/null; exit 1; }
sg_check "apache2@sandgate: the probe answers (no token-verify: 503)" 503 \
    "$(code "http://127.0.0.1:$APROBE/readyz")"
sg_check "apache2@sandgate: the proxy port denies origin-form" 403 \
    "$(code "http://127.0.0.1:$APORT/")"

# ---- Redis -----------------------------------------------------------------------
echo "# redis"
RD=$T/redis
mkdir -p "$RD/data"
printf 'sg-%s\n' "$(openssl rand -hex 16)" > "$T/redis.pw"
chmod 600 "$T/redis.pw"
SG_REDIS_SOCKET=$RD/redis.sock SG_REDIS_MAXMEMORY=64mb \
    SG_REDIS_PASSWORD_FILE=$T/redis.pw sh "$R" redis "$RD/sandgate.conf"
sg_check "redis: the password is not in the snippet" 0 \
    "$(grep -c "$(cat "$T/redis.pw")" "$RD/sandgate.conf" || true)"
# Debian's redis.conf, its files under $T, then the include, as documented.
RPORT=$(sg_free_port)
sed -e "s|^dir .*|dir $RD/data|" -e "s|^logfile .*|logfile $RD/redis.log|" \
    -e "s|^pidfile .*|pidfile $RD/redis.pid|" -e "s|^port .*|port $RPORT|" \
    -e "s|^daemonize .*|daemonize no|" -e "s|^supervised .*|supervised no|" \
    -e "s|^bind .*|bind 127.0.0.1|" /etc/redis/redis.conf > "$RD/redis.conf"
echo "include $RD/sandgate.conf" >> "$RD/redis.conf"
redis-server "$RD/redis.conf" >/dev/null 2>>"$RD/stderr.log" &
RPID=$!
sg_track_pid $RPID
i=0
while [ ! -S "$RD/redis.sock" ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
sg_check "redis-server starts from redis.conf + the snippet" 1 \
    "$([ -S "$RD/redis.sock" ] && echo 1 || { cat "$RD/redis.log" "$RD/stderr.log" >&2; echo 0; })"
adm() { redis-cli -s "$RD/redis.sock" "$@" 2>&1; }
sg_check "redis: socket mode 770" 770 "$(stat -c %a "$RD/redis.sock")"
sg_check "redis: maxmemory-policy" noeviction "$(adm CONFIG GET maxmemory-policy | tail -n 1)"
sg_check "redis: appendonly" yes "$(adm CONFIG GET appendonly | tail -n 1)"
sg_check "redis: maxmemory" 67108864 "$(adm CONFIG GET maxmemory | tail -n 1)"
svc() { redis-cli -s "$RD/redis.sock" --user sandgate --pass "$(cat "$T/redis.pw")" \
    --no-auth-warning "$@" 2>&1; }
sg_check "redis: the ACL user logs in" PONG "$(svc PING)"
sg_check_match "redis: refused outside sandgate's keys" 'NOPERM' "$(svc SET other:x 1)"
sg_check_match "redis: FLUSHALL refused" 'NOPERM' "$(svc FLUSHALL)"
sg_check_match "redis: KEYS refused" 'NOPERM' "$(svc KEYS '*')"
sg_check_match "redis: CONFIG refused" 'NOPERM' "$(svc CONFIG GET dir)"
sg_check_match "redis: ROLE allowed (Sentinel checks)" '^master' "$(svc ROLE | head -n 1)"
# lib/session.c's own calls, as the services make them (SANDGATE_REDIS_*).
DRV=$SG_BUILD/tests/unit/sgtest_session
U=unix:$RD/redis.sock
drv()
{
	SANDGATE_REDIS_USER=sandgate SANDGATE_REDIS_PASSWORD_FILE=$T/redis.pw \
	    "$DRV" "$U" "$@" 2>>"$T/driver.log"
}
sg_check "redis: session put as the ACL user" OK \
    "$(drv put sandbox_AAAAAAAAAAAAAAAAAAAAAA u1 600)"
sg_check_match "redis: session get" '"container_id":"sandbox_AAAAAAAAAAAAAAAAAAAAAA"' \
    "$(drv get sandbox_AAAAAAAAAAAAAAAAAAAAAA)"
sg_check "redis: count (a script)" 1 "$(drv count u1)"
sg_check_match "redis: list" 'sandbox_AAAAAAAAAAAAAAAAAAAAAA' "$(drv list u1)"
sg_check_match "redis: prune (SCAN)" '^[0-9]+$' "$(drv prune)"
sg_check "redis: del" OK "$(drv del sandbox_AAAAAAAAAAAAAAAAAAAAAA u1)"
sg_check "redis: XADD to the audit stream" 1 \
    "$(svc XADD sandgate:audit '*' e x >/dev/null; adm XLEN sandgate:audit)"

sg_done
