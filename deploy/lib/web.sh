# SPDX-License-Identifier: ISC
# The web servers: Apache (the egress proxy) and the API gateway
# (lighttpd or nginx), from the deploy/ templates.  Needs proc.sh.

sg_run_apache()
{
	sg_run_alive apache && return 0
	sg_run_kill apache
	sg_run_fill "$SG_TOP/deploy/apache/httpd.conf.in" \
	    "$SG_RUNDIR/apache/httpd.conf"
	rm -f "$SG_RUNDIR"/apache/sites/*.conf
	# The byte counter of the budgets (docs/contract.md 7.2), with the
	# services' environment; the site logs into it when this is defined.
	_bl=$SG_BUILD/services/token-verify/sandgate-budget-log
	[ ! -x "$_bl" ] || printf 'Define SG_BUDGET_LOG "%s %s"\n' "$_bl" \
	    "$SG_RUNDIR/sandgate.env" > "$SG_RUNDIR/apache/sites/00-budget-log.conf"
	# The main proxy's /broker/ path (docs/secrets.md); the strict one
	# undefines it again, its sandboxes get no broker.
	printf 'Define SG_BROKER_ADDR 127.0.0.1:%s\n' "$SG_BROKER_PORT" \
	    >"$SG_RUNDIR/apache/sites/00-broker.conf"
	# The main proxy's loopback probe (docs/operations.md, section 1).
	[ -z "$SG_PROBE_PORT" ] || printf 'Define SG_PROBE_PORT %s\n' \
	    "$SG_PROBE_PORT" >"$SG_RUNDIR/apache/sites/00-probe.conf"
	sg_run_fill "$SG_TOP/deploy/apache/sandgate-egress.conf.in" \
	    "$SG_RUNDIR/apache/sites/egress.conf"
	sed -i -e "s|@NAME@|main|g" -e "s|@PORT_PROXY@|$SG_PROXY_PORT|g" \
	    -e "s|@VERIFY_ADDR@|127.0.0.1:$SG_VERIFY_PORT|g" \
	    "$SG_RUNDIR/apache/sites/egress.conf"
	sg_run_fill "$SG_TOP/deploy/apache/sandgate-egress.conf.in" \
	    "$SG_RUNDIR/apache/sites/strict.conf"
	sed -i -e "s|@NAME@|strict|g" -e "s|@PORT_PROXY@|$SG_STRICT_PORT|g" \
	    -e "s|@VERIFY_ADDR@|127.0.0.1:$SG_VERIFY_STRICT_PORT|g" \
	    "$SG_RUNDIR/apache/sites/strict.conf"
	sed -i -e '1i UnDefine SG_BROKER_ADDR' -e '1i UnDefine SG_PROBE_PORT' \
	    "$SG_RUNDIR/apache/sites/strict.conf"
	apache2 -t -f "$SG_RUNDIR/apache/httpd.conf" 2>"$SG_LOGDIR/apache-configtest.log" ||
	    sg_run_die "apache config: $(cat "$SG_LOGDIR/apache-configtest.log")"
	setsid apache2 -f "$SG_RUNDIR/apache/httpd.conf" -DFOREGROUND \
	    </dev/null >/dev/null 2>>"$SG_LOGDIR/apache-stderr.log" &
	echo $! > "$SG_PIDDIR/apache.pid"
	sg_run_record "apache"
	sg_wait_tcp "$SG_GATEWAY_IP" "$SG_PROXY_PORT" ||
	    sg_run_die "apache did not start (see $SG_LOGDIR/apache-error.log)"
}

sg_run_api_server()
{
	sg_run_alive "api-$SG_API_SERVER" && return 0
	sg_run_kill "api-$SG_API_SERVER"
	case $SG_API_SERVER in
	lighttpd)
		sg_run_fill "$SG_TOP/deploy/lighttpd/sandgate-api.conf.in" \
		    "$SG_RUNDIR/lighttpd/lighttpd.conf"
		sed -i "s|$SG_LOGDIR/lighttpd-|$SG_LOGDIR/www/lighttpd-|" \
		    "$SG_RUNDIR/lighttpd/lighttpd.conf"
		mkdir -p "$SG_RUNDIR/lighttpd/errors"
		cp "$SG_TOP/deploy/lighttpd/errors/404.html" \
		    "$SG_RUNDIR/lighttpd/errors/"
		lighttpd -tt -f "$SG_RUNDIR/lighttpd/lighttpd.conf" >/dev/null ||
		    sg_run_die "lighttpd config test failed"
		setsid lighttpd -D -f "$SG_RUNDIR/lighttpd/lighttpd.conf" \
		    </dev/null >/dev/null 2>>"$SG_LOGDIR/lighttpd-stderr.log" &
		;;
	nginx)
		sg_run_fill "$SG_TOP/deploy/nginx/sandgate-api.conf.in" \
		    "$SG_RUNDIR/nginx/nginx.conf"
		cp "$SG_TOP/deploy/nginx/sg_params" "$SG_TOP/deploy/nginx/sg_auth_params" \
		    "$SG_RUNDIR/nginx/"
		sed -i "s|$SG_LOGDIR/nginx-|$SG_LOGDIR/www/nginx-|" \
		    "$SG_RUNDIR/nginx/nginx.conf"
		nginx -q -t -p "$SG_RUNDIR/nginx" -c "$SG_RUNDIR/nginx/nginx.conf" ||
		    sg_run_die "nginx config test failed"
		setsid nginx -p "$SG_RUNDIR/nginx" -c "$SG_RUNDIR/nginx/nginx.conf" \
		    -g 'daemon off;' </dev/null >/dev/null \
		    2>>"$SG_LOGDIR/nginx-stderr.log" &
		;;
	*)
		sg_run_die "SG_API_SERVER must be lighttpd or nginx"
		;;
	esac
	echo $! > "$SG_PIDDIR/api-$SG_API_SERVER.pid"
	sg_run_record "api-$SG_API_SERVER"
	sg_wait_tcp "$SG_API_ADDR" "$SG_API_PORT" ||
	    sg_run_die "$SG_API_SERVER did not start"
}
