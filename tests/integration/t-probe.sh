#!/bin/sh
# SPDX-License-Identifier: ISC
# The egress proxy's probe for monitoring (issue 20, item 8;
# docs/operations.md section 1): run.sh's stack (lib-stack.sh: the
# rendered deploy/apache/sandgate-egress.conf.in, with Define
# SG_PROBE_PORT), no sandbox needed, loopback only:
#  - GET and HEAD /readyz and /livez on 127.0.0.1:$SG_PROBE_PORT answer
#    with the answer of the token-verify the proxy's authorizer asks;
#  - Redis stopped: /readyz 503 (redis unavailable), /livez still 200;
#    Redis back: 200; token-verify stopped: 503 from Apache; back: 200;
#  - bound to 127.0.0.1 alone (nothing on 127.0.0.2 or the wildcard);
#  - only those two paths and methods in origin form, and never a proxy:
#    absolute-form requests and CONNECT to the witness on 127.0.0.2 reach
#    nothing, and token-verify makes no decision for any of them;
#  - the proxy port itself does not serve the probe paths, and the strict
#    proxy (UnDefine SG_PROBE_PORT) has no probe;
#  - with mod_sandgate_authz loaded (when built), the same site's probe
#    asks token-verify on the authorizer's unix socket: 200, 503 without
#    Redis or token-verify.
. "$(dirname "$0")/lib.sh"

sg_setup
. "$SG_TOP/tests/integration/lib-stack.sh"
stk_init
stk_start
stk_sessions

PROBE=http://127.0.0.1:$SG_PROBE_PORT
TGT=http://127.0.0.1:$SG_TARGET_PORT
# at BASE PATH [CURL-ARGS...]: status of one request, body in $T/body
at()
{
	_b=$1
	_p=$2
	shift 2
	curl -s -o "$T/body" -w '%{http_code}' --max-time 10 "$@" "$_b$_p" ||
	    true
}
# get PATH [CURL-ARGS...]: the same to the main proxy's probe
get()
{
	at "$PROBE" "$@"
}
# state: token-verify's status and its Redis, from the last body
state()
{
	jq -r '"\(.status) \(.service) redis=\(.redis)"' "$T/body" 2>/dev/null ||
	    echo "not json: $(head -c 200 "$T/body")"
}
egress()
{
	curl -s -o /dev/null -w '%{http_code}' --max-time 10 -x "$STK_PROXY" \
	    -H "Proxy-Authorization: $(stk_basic "$1" "$2")" "$3" || true
}
# until_code N PATH CODE: GET PATH until it answers CODE (N tries, 0.2 s)
until_code()
{
	_n=$1
	while [ "$_n" -gt 0 ]; do
		[ "$(get "$2")" = "$3" ] && return 0
		sleep 0.2
		_n=$((_n - 1))
	done
	return 1
}

# ---- the probe answers ------------------------------------------------------
sg_check "readyz: 200" 200 "$(get /readyz)"
sg_check "readyz: token-verify's own answer" "ok token-verify redis=ok" \
    "$(state)"
sg_check "readyz: JSON" "application/json" \
    "$(curl -s -o /dev/null -w '%{content_type}' "$PROBE/readyz" | cut -d';' -f1)"
sg_check "livez: 200" 200 "$(get /livez)"
sg_check "HEAD readyz: 200" 200 "$(get /readyz -I)"
sg_check "egress decisions unchanged beside it" 200 \
    "$(egress $STK_A "$STK_TOK_A" "$TGT/ok")"
sg_check_match "the probe is logged" '^[1-9]' \
    "$(grep -c '"GET /readyz HTTP/1.1" 200' "$SG_LOGDIR/egress-main-probe.log")"

# ---- only loopback --------------------------------------------------------
sg_check "listening on 127.0.0.1 alone" "127.0.0.1:$SG_PROBE_PORT" \
    "$(ss -ltnH "sport = :$SG_PROBE_PORT" | awk '{ print $4 }' | sort -u |
    tr '\n' ' ' | sed 's/ $//')"
sg_check "nothing on 127.0.0.2" 000 \
    "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
    "http://127.0.0.2:$SG_PROBE_PORT/readyz" || true)"
sg_check "the proxy port does not serve /readyz" 403 \
    "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
    "$STK_PROXY/readyz" || true)"
sg_check "one probe, the main proxy's (strict.conf UnDefines it)" \
    "sandgate-probe-main" \
    "$(apache2 -t -D DUMP_VHOSTS -f "$SG_RUNDIR/apache/httpd.conf" 2>&1 |
    grep -o 'sandgate-probe-[a-z]*' | sort -u | tr '\n' ' ' | sed 's/ $//')"

# ---- only what it is for, and never a proxy ---------------------------------
d0=$(grep -c '"event":"decision"' "$SG_LOGDIR/token-verify-egress.log")
sg_check "GET /: 403" 403 "$(get /)"
sg_check "GET /healthz: 403 (only readyz and livez)" 403 "$(get /healthz)"
sg_check "GET /readyz/x: 403" 403 "$(get /readyz/x)"
sg_check "GET /metrics: 403" 403 "$(get /metrics)"
sg_check "POST /readyz: 403" 403 "$(get /readyz --data '')"
sg_check "absolute-form GET to the witness: 403" 403 \
    "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -x "$PROBE" \
    "http://127.0.0.2:$SG_TARGET_PORT/ok" || true)"
# (it would reach token-verify as an egress request to decide)
sg_check "absolute-form GET .../readyz: 403 (origin form only)" 403 \
    "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -x "$PROBE" \
    "http://127.0.0.2:$SG_TARGET_PORT/readyz" || true)"
sg_check "GET /readyz?x: 403" 403 "$(get '/readyz?x')"
sg_check "no decision made for any of these" 0 \
    "$(( $(grep -c '"event":"decision"' "$SG_LOGDIR/token-verify-egress.log") - d0 ))"
c=$(curl -s -o /dev/null -w '%{http_connect}' --max-time 10 -p -x "$PROBE" \
    "http://127.0.0.2:$SG_TARGET_PORT/ok" || true)
sg_check_match "CONNECT refused ($c)" '^(403|405)$' "$c"
sg_check "nothing reached the witness" 0 "$(stk_leaks)"

# ---- the same site with mod_sandgate_authz: token-verify's unix socket -------
# A second Apache from the stack's httpd.conf with the module loaded, the
# site rendered for it, and a token-verify of its own on a unix socket.
MPROBE=""
if [ -f "$SG_BUILD/deploy/apache/mod_sandgate_authz.so" ]; then
	M=$T/apache-mod
	mkdir -p "$M/sites"
	MPROBE_PORT=$(sg_free_port)
	echo "Define SG_PROBE_PORT $MPROBE_PORT" > "$M/sites/00-probe.conf"
	stk_apache_mod "$(sg_free_port)"
	sg_wait_tcp 127.0.0.1 "$MPROBE_PORT" ||
	    { cat "$T/apache-mod-error.log" "$T/apache-mod-stderr.log"; exit 1; }
	MPROBE=http://127.0.0.1:$MPROBE_PORT
	sg_check "module: loaded" 1 \
	    "$(apache2 -t -D DUMP_MODULES -f "$M/httpd.conf" 2>&1 |
	    grep -c 'sandgate_authz_module')"
	sg_check "module: readyz 200" 200 "$(at "$MPROBE" /readyz)"
	sg_check "module: token-verify's answer" "ok token-verify redis=ok" \
	    "$(state)"
	sg_check "module: absolute-form GET: 403" 403 \
	    "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -x "$MPROBE" \
	    "http://127.0.0.2:$SG_TARGET_PORT/readyz" || true)"
else
	echo "# no mod_sandgate_authz.so (no apxs at configure time): the module's probe untested"
fi

# ---- Redis stopped: 503, and back --------------------------------------------
REDIS_PID=$(cut -d' ' -f1 "$SG_PIDDIR/redis.pid")
kill -STOP "$REDIS_PID"
sg_on_exit "kill -CONT $REDIS_PID"
[ -z "$MPROBE" ] || sg_check "module: Redis stopped: readyz 503" 503 \
    "$(at "$MPROBE" /readyz)"
sg_check "Redis stopped: readyz 503" 503 "$(get /readyz)"
sg_check "Redis stopped: says why" "unavailable token-verify redis=unavailable" \
    "$(state)"
sg_check "Redis stopped: livez still 200" 200 "$(get /livez)"
kill -CONT "$REDIS_PID"
until_code 25 /readyz 200
sg_check "Redis back: readyz 200" 200 "$(get /readyz)"

# ---- token-verify stopped: Apache answers 503 --------------------------------
sg_run_kill token-verify-egress
sg_check "token-verify stopped: readyz 503" 503 "$(get /readyz)"
sg_check "token-verify stopped: livez 503" 503 "$(get /livez)"
SANDGATE_EGRESS_DENY_PRIVATE=0 sg_run_spawn token-verify-egress \
    "$SG_BUILD/services/token-verify/token-verify" "tcp:$SG_VERIFY_PORT"
sg_wait_tcp 127.0.0.1 "$SG_VERIFY_PORT"
until_code 25 /readyz 200
sg_check "token-verify back: readyz 200" 200 "$(get /readyz)"
if [ -n "$MPROBE" ]; then
	sg_check "module: Redis back: readyz 200" 200 "$(at "$MPROBE" /readyz)"
	sg_run_kill token-verify-mod
	sg_check "module: token-verify stopped: readyz 503" 503 \
	    "$(at "$MPROBE" /readyz)"
fi
sg_check "nothing reached the witness, still" 0 "$(stk_leaks)"

sg_done
