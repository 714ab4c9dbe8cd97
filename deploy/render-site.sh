#!/bin/sh
# SPDX-License-Identifier: ISC
# Render the snippets for Debian's packaged servers (docs/deploy.md,
# "Debian's packaged servers") from the templates beside this script
# (deploy/ in the tree, /usr/share/sandgate installed):
#
#   render-site.sh lighttpd OUT      conf-available/50-sandgate.conf
#   render-site.sh lighttpd-tls OUT  conf-available/51-sandgate-tls.conf
#   render-site.sh nginx OUT         sites-available/sandgate
#   render-site.sh apache-site OUT   the egress site (sandgate-egress.conf)
#   render-site.sh apache-instance OUT  conf-available/sandgate.conf of
#                                    the apache2@sandgate instance
#   render-site.sh redis OUT         /etc/redis/sandgate.conf
#
# The lighttpd and nginx snippets take their routes from the stand-alone
# templates (sandgate-api.conf.in, between the "routes"/"locations"
# marks), so both ways of running the API serve the same routes.  The
# settings come from the environment; the defaults are Debian's and the
# units' (deploy/systemd):
#
#   SG_API_ADDR 127.0.0.1, SG_API_PORT 9443, SG_METRICS_PORT 9180,
#   SG_SOCKDIR /run/sandgate, SG_LOGDIR /var/log/<server>,
#   SG_NGINX_DIR /etc/nginx/sandgate (sg_params, sg_auth_params),
#   SG_TLS_CERT /etc/sandgate/tls/api.crt, SG_TLS_KEY /etc/sandgate/tls/api.key,
#   SG_NAME main, SG_PROXY_ADDR 172.30.99.1, SG_PROXY_PORT 8443,
#   SG_VERIFY_ADDR 127.0.0.1:9101, SG_VERIFY_SOCKET /run/sandgate/token-verify-egress.sock,
#   SG_CONNECT_PORTS 443, SG_SANDBOX_SUBNET 172.30.99.0/24,
#   SG_PROBE_PORT 9190,
#   SG_BUDGET_LOG "/usr/libexec/sandgate/sandgate-budget-log /etc/sandgate/sandgate.env",
#   SG_REDIS_SOCKET /run/redis/redis-server.sock, SG_REDIS_MAXMEMORY 256mb,
#   SG_REDIS_PASSWORD_FILE (required for redis: the ACL user's password,
#   stored as its SHA-256 only).
#
# Exits 64 on a usage error, 1 when a template or a setting is missing;
# a placeholder left unfilled is an error, never written out.
set -eu

dir=$(cd "$(dirname "$0")" && pwd)

die()
{
	echo "render-site.sh: $*" >&2
	exit 1
}

[ $# -eq 2 ] || {
	echo "usage: render-site.sh lighttpd|lighttpd-tls|nginx|apache-site|apache-instance|redis OUT" >&2
	exit 64
}
kind=$1
out=$2

: "${SG_API_ADDR:=127.0.0.1}" "${SG_API_PORT:=9443}" "${SG_METRICS_PORT:=9180}"
: "${SG_SOCKDIR:=/run/sandgate}" "${SG_NGINX_DIR:=/etc/nginx/sandgate}"
: "${SG_TLS_CERT:=/etc/sandgate/tls/api.crt}" "${SG_TLS_KEY:=/etc/sandgate/tls/api.key}"
: "${SG_NAME:=main}" "${SG_PROXY_ADDR:=172.30.99.1}" "${SG_PROXY_PORT:=8443}"
: "${SG_VERIFY_ADDR:=127.0.0.1:9101}"
: "${SG_VERIFY_SOCKET:=/run/sandgate/token-verify-egress.sock}"
: "${SG_CONNECT_PORTS:=443}" "${SG_SANDBOX_SUBNET:=172.30.99.0/24}"
: "${SG_PROBE_PORT:=9190}"
: "${SG_BUDGET_LOG:=/usr/libexec/sandgate/sandgate-budget-log /etc/sandgate/sandgate.env}"
: "${SG_REDIS_SOCKET:=/run/redis/redis-server.sock}" "${SG_REDIS_MAXMEMORY:=256mb}"

# between FILE BEGIN END: the lines strictly between the two marks.
between()
{
	[ -f "$1" ] || die "missing $1"
	awk -v b="$2" -v e="$3" '
	index($0, e) { on = 0 }
	on { print }
	index($0, b) { on = 1; while ($0 !~ /\)$/ && (getline) > 0) ; }
	' "$1"
}

# fill TEMPLATE MARK BLOCKFILE: the template with the line MARK replaced
# by BLOCKFILE's lines and every placeholder filled.
fill()
{
	[ -f "$1" ] || die "missing $1"
	sed -e '/^# Placeholders:/d' -e "/^$2\$/{r $3" -e 'd;}' "$1" | sed \
	    -e "s|@RUNDIR@/nginx/|$SG_NGINX_DIR/|g" \
	    -e "s|@API_ADDR@|$SG_API_ADDR|g" \
	    -e "s|@PORT_API@|$SG_API_PORT|g" \
	    -e "s|@PORT_METRICS@|$SG_METRICS_PORT|g" \
	    -e "s|@SOCKDIR@|$SG_SOCKDIR|g" \
	    -e "s|@LOGDIR@|$SG_LOGDIR|g" \
	    -e "s|@NGINX_DIR@|$SG_NGINX_DIR|g" \
	    -e "s|@TLS_CERT@|$SG_TLS_CERT|g" \
	    -e "s|@TLS_KEY@|$SG_TLS_KEY|g" \
	    -e "s|@NAME@|$SG_NAME|g" \
	    -e "s|@PROXY_ADDR@|$SG_PROXY_ADDR|g" \
	    -e "s|@PORT_PROXY@|$SG_PROXY_PORT|g" \
	    -e "s|@VERIFY_ADDR@|$SG_VERIFY_ADDR|g" \
	    -e "s|@VERIFY_SOCKET@|$SG_VERIFY_SOCKET|g" \
	    -e "s|@CONNECT_PORTS@|$SG_CONNECT_PORTS|g" \
	    -e "s|@SANDBOX_SUBNET@|$SG_SANDBOX_SUBNET|g" \
	    -e "s|@PORT_PROBE@|$SG_PROBE_PORT|g" \
	    -e "s|@BUDGET_LOG@|$SG_BUDGET_LOG|g" \
	    -e "s|@REDIS_SOCKET@|$SG_REDIS_SOCKET|g" \
	    -e "s|@REDIS_MAXMEMORY@|$SG_REDIS_MAXMEMORY|g" \
	    -e "s|@REDIS_PASSWORD_SHA256@|${pwsha:-}|g"
}

tmp=$(mktemp)
trap 'rm -f "$tmp" "$tmp.out"' EXIT
: > "$tmp"
pwsha=""
case $kind in
lighttpd)
	: "${SG_LOGDIR:=/var/log/lighttpd}"
	# The routes, one level in (inside the socket conditional).
	between "$dir/lighttpd/sandgate-api.conf.in" "# ---- routes: begin" \
	    "# ---- routes: end" | sed 's/^./	&/' > "$tmp"
	fill "$dir/lighttpd/50-sandgate.conf.in" @ROUTES@ "$tmp" > "$tmp.out"
	;;
lighttpd-tls)
	: "${SG_LOGDIR:=/var/log/lighttpd}"
	fill "$dir/lighttpd/51-sandgate-tls.conf.in" @NONE@ "$tmp" > "$tmp.out"
	;;
nginx)
	: "${SG_LOGDIR:=/var/log/nginx}"
	# The locations, one level out (a site is in the http context).
	between "$dir/nginx/sandgate-api.conf.in" "# ---- locations: begin" \
	    "# ---- locations: end" | sed 's/^	//' > "$tmp"
	fill "$dir/nginx/sandgate-site.conf.in" @LOCATIONS@ "$tmp" > "$tmp.out"
	;;
apache-site)
	: "${SG_LOGDIR:=/var/log/apache2-sandgate}"
	fill "$dir/apache/sandgate-egress.conf.in" @NONE@ "$tmp" > "$tmp.out"
	;;
apache-instance)
	: "${SG_LOGDIR:=/var/log/apache2-sandgate}"
	fill "$dir/apache/sandgate-instance.conf.in" @NONE@ "$tmp" > "$tmp.out"
	;;
redis)
	: "${SG_LOGDIR:=/var/log/redis}"
	[ -n "${SG_REDIS_PASSWORD_FILE:-}" ] && [ -r "$SG_REDIS_PASSWORD_FILE" ] ||
	    die "SG_REDIS_PASSWORD_FILE: set it to the ACL user's password file"
	pwsha=$(tr -d '\n' < "$SG_REDIS_PASSWORD_FILE" | sha256sum | cut -d' ' -f1)
	fill "$dir/redis/sandgate-redis.conf.in" @NONE@ "$tmp" > "$tmp.out"
	;;
*)
	echo "render-site.sh: unknown kind $kind" >&2
	exit 64
	;;
esac
# Comments may name the placeholders; a directive may not keep one.
if grep -v '^[[:space:]]*#' "$tmp.out" | grep -q '@[A-Z_]*@'; then
	die "$kind: unfilled: $(grep -v '^[[:space:]]*#' "$tmp.out" |
	    grep -o '@[A-Z_]*@' | sort -u | tr '\n' ' ')"
fi
cat "$tmp.out" > "$out"
