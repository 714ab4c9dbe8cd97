# SPDX-License-Identifier: ISC
# The stack for the fault-injection and load tests (t-faults-*.sh,
# t-load.sh), built from run.sh's own functions (deploy/lib/, which
# lib.sh sources) and the deploy/ configs,
# on loopback only.  Source after lib.sh and sg_setup:
#
#   . "$(dirname "$0")/lib-stack.sh"
#   stk_init                  # run.sh's settings with free ports, dirs in $T
#   stk_start                 # keys, Redis, services, Apache, lighttpd, target
#   stk_sessions              # sandboxes A, B (live) and R (revoked) + tokens
#   stk_plan_egress FILE      # the mixed egress decisions (Apache)
#   stk_plan_api FILE         # the mixed API decisions (lighttpd)
#   stk_wrk_start NAME URL PLAN TOTAL THREADS SECONDS; stk_wrk_wait NAME
#   stk_judge NAME PLAN strict|fault
#   stk_rss FILE              # RSS of every process of the stack
#   stk_spawn_supervised, stk_workers, stk_wait_workers   # multiwatch
#   stk_create, stk_reap_check  # sandboxes through the API; zero leftovers
#   stk_dockerd_start, stk_dockerd_stop   # a Docker engine of the test's own
#
# What differs from run.sh, and why: the egress proxy listens on
# 127.0.0.1 (no Docker network: SG_GATEWAY_IP=127.0.0.1); the "internet"
# is a static lighttpd on 127.0.0.1 (fast enough for the load test) that
# also listens on 127.0.0.2, where anything that arrives is a leak; with
# STK_SUPERVISE="name ...", those services run under spawn-fcgi -n +
# multiwatch (a supervisor that restarts a dead worker) instead of
# spawn-fcgi -F.  Every process is stopped by the PID recorded in
# $SG_PIDDIR (run.sh's sg_run_stop) or in lib.sh.

STK_ORG=3f2504e0-4f89-41d3-9a0c-0305e82c3301
STK_USER=loaduser
STK_A=sandbox_AAAAAAAAAAAAAAAAAAAAAA
STK_B=sandbox_BBBBBBBBBBBBBBBBBBBBBB
STK_R=sandbox_RRRRRRRRRRRRRRRRRRRRRR
STK_X=sandbox_XXXXXXXXXXXXXXXXXXXXXX

# stk_init: run.sh's settings, every port free, everything under $T.
stk_init()
{
	SG_RUNDIR=$T/run
	SG_API_PORT=$(sg_free_port)
	SG_METRICS_PORT=$(sg_free_port)
	SG_PROXY_PORT=$(sg_free_port)
	SG_STRICT_PORT=$(sg_free_port)
	SG_VERIFY_PORT=$(sg_free_port)
	SG_VERIFY_STRICT_PORT=$(sg_free_port)
	SG_BROKER_PORT=$(sg_free_port)
	SG_PROBE_PORT=$(sg_free_port)
	SG_TARGET_PORT=$(sg_free_port)
	SG_TARGET_TLS_PORT=$(sg_free_port)
	SG_GATEWAY_IP=127.0.0.1
	# The "sandboxes" are loopback clients here (Apache's Require ip).
	SG_PROXY_CLIENTS=127.0.0.0/8
	# gVisor, as in production (SG_RUNTIME=runc only when a test asks).
	SG_RUNTIME=${SG_RUNTIME:-runsc}
	SG_ISSUER=sandgate-faults
	SG_PROCS=${SG_PROCS:-2}
	sg_run_config
	# Logs beside lib.sh's, so a failing test shows their tails.
	SG_LOGDIR=$T
	STK_MINT=$SG_BUILD/services/token-verify/tv-mint
	for _b in "$STK_MINT" "$SG_CLI"; do
		[ -x "$_b" ] || { echo "missing $_b (build first)" >&2; exit 1; }
	done
	for _s in $SG_SERVICES; do
		[ -x "$SG_BUILD/services/$_s/$_s" ] ||
		    { echo "missing $_s (build first)" >&2; exit 1; }
	done
	command -v wrk >/dev/null || { echo "wrk missing (Debian wrk)" >&2; exit 1; }
	stk_write_helpers
	sg_on_exit 'sg_run_stop'
}

# The wrk script and the fallback supervisor, written into $T.
stk_write_helpers()
{
	STK_LUA=$T/stk-wrk.lua
	cat > "$STK_LUA" <<'EOF'
-- Mixed requests for wrk: the plan (a Lua file, $STK_PLAN) lists request
-- types; each thread cycles through them on ONE connection, so the
-- answer handed to response() is always that of the thread's last
-- request().  Counts "type status" (or "type badbody": a 2xx without
-- the type's mark); after $STK_PER_THREAD answers a thread stops and
-- says so in $STK_DONE; done() writes the totals to $STK_OUT.
local plan = dofile(os.getenv("STK_PLAN"))
local limit = tonumber(os.getenv("STK_PER_THREAD") or "0")
local reqs, n, cur = {}, 0, 0
local threads = {}
counts = {}

function setup(thread)
	thread:set("tid", #threads)
	table.insert(threads, thread)
end

function init(args)
	for i, t in ipairs(plan) do
		local b = nil
		if t.body ~= "" then b = t.body end
		reqs[i] = wrk.format(t.method, t.path, t.headers, b)
	end
	cur = (tid or 0) % #reqs
end

function request()
	cur = cur % #reqs + 1
	return reqs[cur]
end

function response(status, headers, body)
	local t = plan[cur]
	local key = t.name .. " " .. status
	if status >= 200 and status < 300 and t.mark ~= "" and
	    not string.find(body or "", t.mark, 1, true) then
		key = t.name .. " badbody"
	end
	counts[key] = (counts[key] or 0) + 1
	n = n + 1
	if limit > 0 and n == limit then
		local f = io.open(os.getenv("STK_DONE"), "a")
		f:write("done\n")
		f:close()
		wrk.thread:stop()
	end
end

function done(summary, latency, requests)
	local tot = {}
	for _, th in ipairs(threads) do
		for k, v in pairs(th:get("counts") or {}) do
			tot[k] = (tot[k] or 0) + v
		end
	end
	local f = io.open(os.getenv("STK_OUT"), "w")
	for k, v in pairs(tot) do
		f:write(k, " ", v, "\n")
	end
	for _, e in ipairs({"connect", "read", "write", "status", "timeout"}) do
		f:write("_errors ", e, " ", summary.errors[e], "\n")
	end
	f:write("_duration us ", summary.duration, "\n")
	f:write("_requests n ", summary.requests, "\n")
	f:write("_latency p50 ", latency:percentile(50), "\n")
	f:write("_latency p99 ", latency:percentile(99), "\n")
	f:write("_latency max ", latency.max, "\n")
	f:close()
end
EOF
	# Without multiwatch: N workers on the inherited socket (fd 0), each
	# started again 0.1 s after it dies, until TERM.
	# (An asynchronous command's stdin is /dev/null in sh: the socket is
	# kept on fd 3 and given back as fd 0 explicitly.)
	cat > "$T/stk-restart.sh" <<'EOF'
n=$1
shift
exec 3<&0
pids=""
trap 'kill $pids 2>/dev/null; exit 0' TERM INT
i=0
while [ $i -lt "$n" ]; do
	( c=""; trap 'kill $c 2>/dev/null; exit 0' TERM
	  while :; do "$@" 0<&3 3<&- & c=$!; wait $c; sleep 0.1; done ) &
	pids="$pids $!"
	i=$((i + 1))
done
wait
EOF
}

# stk_supervisor: sets STK_SUP_CMD, the command line that keeps SG_PROCS
# workers alive on an inherited socket, and STK_SUP, its name: multiwatch
# (Debian multiwatch, by the spawn-fcgi authors) if present, else a shell
# loop that does the same.  spawn-fcgi execs with execv: absolute paths.
stk_supervisor()
{
	if [ -z "${STK_SHLOOP:-}" ] && command -v multiwatch >/dev/null 2>&1; then
		STK_SUP=multiwatch
		STK_SUP_CMD="$(command -v multiwatch) -f $SG_PROCS -r ${STK_MW_RETRY:-3} -t 10000 --"
	else
		STK_SUP=sh-loop
		STK_SUP_CMD="/bin/sh $T/stk-restart.sh $SG_PROCS"
	fi
}

# stk_spawn_supervised NAME BINARY unix|tcp:PORT: like run.sh's
# sg_run_spawn, but the workers are restarted when they die.  The PID
# recorded is the supervisor's (TERM stops it and its workers).
stk_spawn_supervised()
{
	case $3 in
	unix)
		rm -f "$SG_SOCKDIR/$1.sock"
		_a="-s $SG_SOCKDIR/$1.sock -M 0660 -U $SG_WWW_USER -G $SG_WWW_GROUP"
		;;
	tcp:*)
		_a="-a 127.0.0.1 -p ${3#tcp:}"
		;;
	esac
	stk_supervisor
	# shellcheck disable=SC2086
	setsid spawn-fcgi $_a -n -- $STK_SUP_CMD \
	    /bin/sh -c 'exec "$0" 2>>"$1"' "$2" "$SG_LOGDIR/$1.log" \
	    </dev/null >/dev/null 2>>"$SG_LOGDIR/supervisor-$1.log" &
	echo $! > "$SG_PIDDIR/$1.pid"
}

# stk_workers NAME: the worker PIDs of a supervised service, sorted
# (children of the supervisor; with the shell loop, grandchildren).
stk_workers()
{
	_sp=$(sg_run_pids "$1" | tr -d ' ')
	[ -n "$_sp" ] || return 0
	for _c in $(ps -o pid= --ppid "$_sp" 2>/dev/null); do
		if [ "$(cat "/proc/$_c/comm" 2>/dev/null)" = sh ]; then
			ps -o pid= --ppid "$_c" 2>/dev/null
		else
			echo "$_c"
		fi
	done | tr -d ' ' | sort -n | tr '\n' ' ' | sed 's/ $//'
}

# stk_wait_workers NAME N [SECONDS]: until NAME has N live workers.
stk_wait_workers()
{
	_n=$(( ${3:-10} * 10 ))
	while [ $_n -gt 0 ]; do
		[ "$(stk_workers "$1" | wc -w)" -eq "$2" ] && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	return 1
}

# stk_target: a static lighttpd standing in for "a host on the internet":
# 127.0.0.1:$SG_TARGET_PORT serves "target-ok"; 127.0.0.2 on the same
# port serves "LEAK" (no allowed request ever goes there).
stk_target()
{
	mkdir -p "$T/target/ok" "$T/target/leak"
	printf 'target-ok\n' > "$T/target/ok/index.html"
	cp "$T/target/ok/index.html" "$T/target/ok/ok"
	printf 'LEAK\n' > "$T/target/leak/index.html"
	cp "$T/target/leak/index.html" "$T/target/leak/ok"
	cp "$T/target/leak/index.html" "$T/target/leak/x"
	cat > "$T/target/lighttpd.conf" <<EOF
server.modules = ( "mod_accesslog" )
server.document-root = "$T/target/ok"
server.bind = "127.0.0.1"
server.port = $SG_TARGET_PORT
server.errorlog = "$T/target-error.log"
index-file.names = ( "index.html" )
mimetype.assign = ( "" => "text/plain" )
server.max-keep-alive-requests = 10000
\$SERVER["socket"] == "127.0.0.2:$SG_TARGET_PORT" {
	server.document-root = "$T/target/leak"
	accesslog.filename = "$T/target-leak-access.log"
}
EOF
	: > "$T/target-leak-access.log"
	setsid lighttpd -D -f "$T/target/lighttpd.conf" </dev/null \
	    >/dev/null 2>>"$T/target-error.log" &
	echo $! > "$SG_PIDDIR/target.pid"
	sg_wait_tcp 127.0.0.1 "$SG_TARGET_PORT" &&
	    sg_wait_tcp 127.0.0.2 "$SG_TARGET_PORT"
}

# stk_leaks: requests that reached the 127.0.0.2 witness.
stk_leaks()
{
	wc -l < "$T/target-leak-access.log" | tr -d ' '
}

# stk_start: the stack as run.sh builds it, minus Docker's network and
# firewall (the sandbox side is not under test here).
stk_start()
{
	sg_run_dirs
	sg_run_keys
	sg_run_env
	export SANDGATE_REDIS_TIMEOUT_MS=${SANDGATE_REDIS_TIMEOUT_MS:-300}
	sg_run_redis
	stk_target
	# STK_PRELOAD: an LD_PRELOAD for the sandgate services only.
	[ -z "${STK_PRELOAD:-}" ] || export LD_PRELOAD="$STK_PRELOAD"
	for _s in ${STK_SUPERVISE:-}; do
		case $_s in
		token-verify-egress)
			stk_spawn_supervised "$_s" \
			    "$SG_BUILD/services/token-verify/token-verify" \
			    "tcp:$SG_VERIFY_PORT" ;;
		token-verify-api)
			stk_spawn_supervised "$_s" \
			    "$SG_BUILD/services/token-verify/token-verify" unix ;;
		*)
			stk_spawn_supervised "$_s" \
			    "$SG_BUILD/services/$_s/$_s" unix ;;
		esac
	done
	# The rest as run.sh does it; it also waits for every socket.
	sg_run_services
	unset LD_PRELOAD
	for _s in ${STK_SUPERVISE:-}; do
		stk_wait_workers "$_s" "$SG_PROCS" ||
		    { echo "$_s: workers did not start" >&2; exit 1; }
	done
	sg_run_apache
	sg_run_api_server
	sg_run_operator_token
	STK_OP=$SG_OPTOKEN
	STK_PROXY=http://127.0.0.1:$SG_PROXY_PORT
	STK_API=http://127.0.0.1:$SG_API_PORT
}

stk_redis()
{
	redis-cli -s "$SG_SOCKDIR/redis.sock" "$@"
}

# stk_mint CID HOSTS BINDING TTL [SHIFT]: a container token signed with
# the stack's key; sets TOK JTI EXP.
stk_mint()
{
	set -- $("$STK_MINT" container "$SG_KEYS/private-key.pem" "$SG_ISSUER" \
	    "$STK_USER" "$1" "$STK_ORG" "$2" "$3" "$4" ${5:-})
	TOK=$1 JTI=$2 EXP=$3
}

# stk_put_session CID JTI EXP HOSTS_JSON IP TOKEN: the contract's object.
stk_put_session()
{
	_now=$(date +%s)
	_sha=$(printf '%s' "$6" | sha256sum | cut -d' ' -f1)
	stk_redis SET "sandgate:session:$1" "$(printf '{"container_id":"%s","user_id":"%s","organization_uuid":"%s","jti":"%s","token_sha256":"%s","allowed_hosts":%s,"container_ip":"%s","docker_id":"","image":"sandgate-sandbox:latest","created_at":%s,"expires_at":%s}' \
	    "$1" "$STK_USER" "$STK_ORG" "$2" "$_sha" "$4" "$5" "$_now" "$3")" \
	    EX $(($3 - _now)) >/dev/null
	stk_redis SADD "sandgate:user:$STK_USER" "$1" >/dev/null
}

# stk_sessions: A and B live (binding to 127.0.0.1), R revoked (its
# session deleted before any request), an expired token, a tampered one,
# an operator without sessions:read.  (Re)writes the sessions.
stk_sessions()
{
	_h="127.0.0.1:$SG_TARGET_PORT"
	_hj="[\"$_h\"]"
	if [ -z "${STK_TOK_A:-}" ]; then
		stk_mint $STK_A "$_h" true 7200
		STK_TOK_A=$TOK STK_JTI_A=$JTI STK_EXP_A=$EXP
		stk_mint $STK_B "$_h" true 7200
		STK_TOK_B=$TOK STK_JTI_B=$JTI STK_EXP_B=$EXP
		stk_mint $STK_R "$_h" true 7200
		STK_TOK_R=$TOK STK_JTI_R=$JTI STK_EXP_R=$EXP
		stk_mint $STK_X "$_h" true 3600 -7200
		STK_TOK_X=$TOK
		_sig=${STK_TOK_A##*.}
		case $_sig in A*) _c=B ;; *) _c=A ;; esac
		STK_TOK_BAD=${STK_TOK_A%.*}.$_c${_sig#?}
		STK_OP_ISSUE=$("$SG_CLI" token --sub loader --scope tokens:issue \
		    --ttl 7200)
		STK_OP_READ=$("$SG_CLI" token --sub reader --scope sessions:read \
		    --ttl 7200)
	fi
	stk_put_session $STK_A "$STK_JTI_A" "$STK_EXP_A" "$_hj" 127.0.0.1 "$STK_TOK_A"
	stk_put_session $STK_B "$STK_JTI_B" "$STK_EXP_B" "$_hj" 127.0.0.1 "$STK_TOK_B"
	stk_put_session $STK_R "$STK_JTI_R" "$STK_EXP_R" "$_hj" 127.0.0.1 "$STK_TOK_R"
	stk_redis DEL "sandgate:session:$STK_R" >/dev/null
}

stk_basic()
{
	printf 'Basic %s' "$(printf 'container_%s:jwt_%s' "$1" "$2" | base64 -w0)"
}

# ---------------------------------------------------------------- plans
# A plan is a Lua file for stk-wrk.lua plus a list "NAME EXPECTED" for
# stk_judge.  stk_plan_add PLAN NAME EXPECTED MARK METHOD TARGET [HDR=VAL]...
# MARK: a string a 2xx body must contain ("" for none); "@body=TEXT"
# gives a request body.
stk_plan_begin()
{
	echo "return {" > "$1"
	: > "$1.expect"
}

stk_plan_add()
{
	_p=$1 _name=$2 _exp=$3 _mark=$4 _m=$5 _path=$6
	shift 6
	{
		printf '{ name = "%s", expect = %s, mark = [[%s]], method = "%s", path = [[%s]], headers = {' \
		    "$_name" "$_exp" "$_mark" "$_m" "$_path"
		_body=""
		for _h in "$@"; do
			case $_h in
			@body=*) _body=${_h#@body=} ;;
			*) printf ' ["%s"] = [[%s]],' "${_h%%=*}" "${_h#*=}" ;;
			esac
		done
		printf ' }, body = [[%s]] },\n' "$_body"
	} >> "$_p"
	echo "$_name $_exp" >> "$_p.expect"
}

stk_plan_end()
{
	echo "}" >> "$1"
}

# The egress mix (through Apache, absolute-URI GET, as a sandbox's
# HTTP_PROXY sends it).
stk_plan_egress()
{
	_t=127.0.0.1:$SG_TARGET_PORT
	stk_plan_begin "$1"
	stk_plan_add "$1" e_allowed 200 target-ok GET "http://$_t/ok" \
	    "Proxy-Authorization=$(stk_basic $STK_A "$STK_TOK_A")"
	stk_plan_add "$1" e_allowed_b 200 target-ok GET "http://$_t/" \
	    "Proxy-Authorization=$(stk_basic $STK_B "$STK_TOK_B")"
	stk_plan_add "$1" e_unlisted_host 403 "" GET \
	    "http://127.0.0.2:$SG_TARGET_PORT/x" \
	    "Proxy-Authorization=$(stk_basic $STK_A "$STK_TOK_A")"
	stk_plan_add "$1" e_unlisted_port 403 "" GET \
	    "http://127.0.0.1:$SG_TARGET_TLS_PORT/x" \
	    "Proxy-Authorization=$(stk_basic $STK_A "$STK_TOK_A")"
	stk_plan_add "$1" e_bad_token 407 "" GET "http://$_t/ok" \
	    "Proxy-Authorization=$(stk_basic $STK_A "$STK_TOK_BAD")"
	stk_plan_add "$1" e_revoked 407 "" GET "http://$_t/ok" \
	    "Proxy-Authorization=$(stk_basic $STK_R "$STK_TOK_R")"
	stk_plan_add "$1" e_wrong_container 407 "" GET "http://$_t/ok" \
	    "Proxy-Authorization=$(stk_basic $STK_B "$STK_TOK_A")"
	stk_plan_add "$1" e_expired 407 "" GET "http://$_t/ok" \
	    "Proxy-Authorization=$(stk_basic $STK_X "$STK_TOK_X")"
	stk_plan_add "$1" e_no_credentials 407 "" GET "http://$_t/ok"
	stk_plan_end "$1"
}

# The API mix (through lighttpd: token-verify authorizer, then
# session-query).
stk_plan_api()
{
	stk_plan_begin "$1"
	stk_plan_add "$1" a_operator_get 200 "\"$STK_A\"" GET \
	    "/v1/sessions/$STK_A" "Authorization=Bearer $STK_OP"
	stk_plan_add "$1" a_operator_list 200 "\"$STK_B\"" GET \
	    "/v1/sessions?user_id=$STK_USER" "Authorization=Bearer $STK_OP"
	stk_plan_add "$1" a_container_own 200 "\"$STK_A\"" GET \
	    "/v1/sessions/$STK_A" "Authorization=Bearer $STK_TOK_A" \
	    "X-Container-ID=$STK_A"
	stk_plan_add "$1" a_container_other 403 "" GET "/v1/sessions/$STK_B" \
	    "Authorization=Bearer $STK_TOK_A" "X-Container-ID=$STK_A"
	stk_plan_add "$1" a_wrong_container_header 403 "" GET \
	    "/v1/sessions/$STK_A" "Authorization=Bearer $STK_TOK_A" \
	    "X-Container-ID=$STK_B"
	stk_plan_add "$1" a_container_list 403 "" GET \
	    "/v1/sessions?user_id=$STK_USER" "Authorization=Bearer $STK_TOK_A" \
	    "X-Container-ID=$STK_A"
	stk_plan_add "$1" a_revoked 401 "" GET "/v1/sessions/$STK_R" \
	    "Authorization=Bearer $STK_TOK_R" "X-Container-ID=$STK_R"
	stk_plan_add "$1" a_operator_wrong_scope 403 "" GET \
	    "/v1/sessions/$STK_A" "Authorization=Bearer $STK_OP_ISSUE"
	stk_plan_add "$1" a_no_token 401 "" GET "/v1/sessions/$STK_A"
	stk_plan_add "$1" a_jwks 200 '"keys"' GET "/.well-known/jwks.json"
	_tb="{\"container_id\":\"$STK_B\",\"user_id\":\"$STK_USER\",\"organization_uuid\":\"$STK_ORG\",\"allowed_hosts\":[\"github.com\"]}"
	stk_plan_add "$1" a_issue_token 201 '"token"' POST /v1/tokens \
	    "Authorization=Bearer $STK_OP_ISSUE" \
	    "Content-Type=application/json" "@body=$_tb"
	stk_plan_add "$1" a_issue_no_scope 403 "" POST /v1/tokens \
	    "Authorization=Bearer $STK_OP_READ" \
	    "Content-Type=application/json" "@body=$_tb"
	stk_plan_add "$1" a_bad_token 401 "" GET "/v1/sessions/$STK_A" \
	    "Authorization=Bearer $STK_TOK_BAD"
	stk_plan_end "$1"
}

# ----------------------------------------------------------------- load
# stk_wrk_start NAME URL PLAN TOTAL THREADS SECONDS: wrk in the
# background, one connection per thread (so each response belongs to the
# thread's last request), at most TOTAL responses and SECONDS.
stk_wrk_start()
{
	rm -f "$T/$1.done" "$T/$1.res"
	: > "$T/$1.done"
	STK_PLAN=$3 STK_OUT=$T/$1.res STK_DONE=$T/$1.done \
	    STK_PER_THREAD=$(( ($4 + $5 - 1) / $5 )) \
	    wrk -t "$5" -c "$5" -d "${6}s" --timeout 10s -s "$STK_LUA" "$2" \
	    > "$T/$1.wrk" 2>&1 &
	eval "STK_WRK_$1=$!"
	eval "STK_WRK_T_$1=$5"
	sg_track_pid $!
}

# stk_wrk_stop NAME: end it now (wrk reports on SIGINT).
stk_wrk_stop()
{
	eval "_p=\$STK_WRK_$1"
	kill -INT "$_p" 2>/dev/null || true
	wait "$_p" 2>/dev/null || true
}

# stk_wrk_wait NAME: until every thread has its count (wrk itself stops at
# its -d limit), then the report.
stk_wrk_wait()
{
	eval "_p=\$STK_WRK_$1 _th=\$STK_WRK_T_$1"
	while kill -0 "$_p" 2>/dev/null &&
	    [ "$(wc -l < "$T/$1.done")" -lt "$_th" ]; do
		sleep 0.2
	done
	stk_wrk_stop "$1"
	[ -s "$T/$1.res" ] || { echo "wrk $1 reported nothing:" >&2;
	    cat "$T/$1.wrk" >&2; }
}

# stk_judge NAME PLAN strict|fault [EXTRA_OK]: compare every counted
# answer with its type's expected status.  strict: anything else is a
# wrong decision.  fault: a 5xx (a dependency down: deny) and the codes in
# EXTRA_OK are tolerated, but a 2xx where a denial is due, or a 2xx
# without the right body, never is.  Prints a table; sets STK_N,
# STK_WRONG, STK_WRONG_ALLOW, STK_5XX, STK_SOCKERR.
stk_judge()
{
	awk -v mode="$3" -v extra=" ${4:-} " -v name="$1" '
	FNR == NR { exp_[$1] = $2; order[++k] = $1; next }
	$1 ~ /^_/ { meta[$1 " " $2] = $3; next }
	{
		t = $1; st = $2; n = $3
		cnt[t] += n; total += n
		detail[t] = detail[t] " " st "x" n
		if (st == "badbody") { wrong += n; wallow += n; next }
		st += 0
		if (st >= 500) five += n
		if (st == exp_[t]) next
		if (st >= 200 && st < 300) { wrong += n; wallow += n; next }
		if (mode == "fault" && (st >= 500 || index(extra, " " st " ")))
			next
		wrong += n
	}
	END {
		for (i = 1; i <= k; i++)
			printf "#   %-26s expect %s:%s\n", order[i], exp_[order[i]], detail[order[i]]
		se = meta["_errors connect"] + meta["_errors read"] + meta["_errors write"] + meta["_errors timeout"]
		printf "#   %s: %d answers in %.1f s (%.0f/s), latency p50 %.1f ms p99 %.1f ms max %.1f ms, socket errors %d\n", name, total, meta["_duration us"] / 1e6, total / (meta["_duration us"] / 1e6 + 1e-9), meta["_latency p50"] / 1000, meta["_latency p99"] / 1000, meta["_latency max"] / 1000, se
		printf "STK_N=%d STK_WRONG=%d STK_WRONG_ALLOW=%d STK_5XX=%d STK_SOCKERR=%d\n", total, wrong, wallow, five, se > "/dev/stderr"
	}' "$2.expect" "$T/$1.res" 2> "$T/$1.judge"
	eval "$(cat "$T/$1.judge")"
}

# ------------------------------------------------------------------ RSS
# stk_apache_mod PORT: a second Apache from the stack's httpd.conf with
# mod_sandgate_authz loaded, the egress site rendered for it on
# 127.0.0.1:PORT, and a token-verify of its own (token-verify-mod) on a
# unix socket.  Its directory is $STK_MOD (made here): write Defines into
# $STK_MOD/sites/00-*.conf before calling.  Logs: $T/apache-mod-*.log.
stk_apache_mod()
{
	STK_MOD_SO=$SG_BUILD/deploy/apache/mod_sandgate_authz.so
	STK_MOD=$T/apache-mod
	mkdir -p "$STK_MOD/sites"
	sed -e "s|$SG_RUNDIR/apache|$STK_MOD|g" \
	    -e "s|^ErrorLog .*|ErrorLog $T/apache-mod-error.log|" \
	    -e "s|^#LoadModule sandgate_authz_module .*|LoadModule sandgate_authz_module $STK_MOD_SO|" \
	    "$SG_RUNDIR/apache/httpd.conf" > "$STK_MOD/httpd.conf"
	sg_run_fill "$SG_TOP/deploy/apache/sandgate-egress.conf.in" \
	    "$STK_MOD/sites/egress.conf"
	sed -i -e "s|@NAME@|mod|g" -e "s|@PORT_PROXY@|$1|g" \
	    -e "s|@VERIFY_ADDR@|127.0.0.1:1|g" \
	    -e "s|@VERIFY_SOCKET@|$SG_SOCKDIR/token-verify-mod.sock|g" \
	    "$STK_MOD/sites/egress.conf"
	SANDGATE_EGRESS_DENY_PRIVATE=0 sg_run_spawn token-verify-mod \
	    "$SG_BUILD/services/token-verify/token-verify" unix
	setsid apache2 -f "$STK_MOD/httpd.conf" -DFOREGROUND </dev/null \
	    >/dev/null 2>>"$T/apache-mod-stderr.log" &
	sg_track_pid $!
	sg_wait_tcp 127.0.0.1 "$1" || { cat "$T/apache-mod-error.log" \
	    "$T/apache-mod-stderr.log"; exit 1; }
}

# stk_rss FILE: "name pid comm rss_kB" for every process the stack runs
# and their children (a supervisor's workers, Apache's children).
stk_rss()
{
	: > "$1"
	for _f in "$SG_PIDDIR"/*.pid; do
		_name=$(basename "$_f" .pid)
		for _p in $(sg_run_pids "$_name"); do
			for _q in $_p $(ps -o pid= --ppid "$_p" 2>/dev/null); do
				_r=$(awk '/^VmRSS/ { print $2 }' "/proc/$_q/status" \
				    2>/dev/null)
				[ -n "$_r" ] || continue
				echo "$_name $_q $(cat "/proc/$_q/comm") $_r" >> "$1"
			done
		done
	done
}

# ------------------------------------------------------------ sandboxes
# (These need lib-docker.sh for sg_sandboxes_of.)
STK_SB_ORG=00000000-0000-4000-8000-00000000fa17
: "${STK_MAXT:=60}"

# stk_create TAG USER: POST /v1/sandboxes (no hosts: network none)
# through the API gateway, at most $STK_MAXT s; appends "status
# id-or-error" to $T/creates and a 201's id to $T/created.
stk_create()
{
	_st=$(curl -s -o "$T/cr.$1.body" -w '%{http_code}' --max-time "$STK_MAXT" \
	    -H "Authorization: Bearer $STK_OP" -H 'Content-Type: application/json' \
	    --data "{\"user_id\":\"$2\",\"organization_uuid\":\"$STK_SB_ORG\",\"allowed_hosts\":[]}" \
	    "$STK_API/v1/sandboxes" 2>/dev/null) || true
	[ -n "$_st" ] || _st=000
	# One JSON object with container_id (201) or error, else "odd" (the
	# body is kept in $T/odd.log, shown if the test fails).
	_what=$(jq -e -r 'if type == "object" then (.container_id // .error)
	    else empty end' < "$T/cr.$1.body" 2>/dev/null) || _what=""
	case $_what in
	""|*[!A-Za-z0-9_-]*)
		_what=odd
		{ echo "$_st:"; head -c 300 "$T/cr.$1.body"; echo; } >> "$T/odd.log"
		;;
	esac
	printf '%s %s\n' "$_st" "$_what" >> "$T/creates"
	[ "$_st" != 201 ] || printf '%s\n' "$_what" >> "$T/created"
	rm -f "$T/cr.$1.body"
}

# The ids of this stack's sandbox containers, and of its sessions (the
# fixed A/B/R of stk_sessions left out).
stk_containers()
{
	sg_sandboxes_of "$SG_DATADIR" | sort | tr '\n' ' '
}

stk_session_ids()
{
	stk_redis --scan --pattern 'sandgate:session:*' |
	    sed 's/^sandgate:session://' |
	    grep -v -E "^($STK_A|$STK_B|$STK_R)\$" | sort | tr '\n' ' '
}

# stk_reap_check LABEL: `sandgate reap` with the stack's settings, then:
# every container has its session and every session its container, every
# 201 is among them; DELETE each through the API; nothing left.
stk_reap_check()
{
	echo "# $1: before the reaper: $(stk_containers | wc -w) containers, $(stk_session_ids | wc -w) sessions, $(sort -u "$T/created" 2>/dev/null | wc -l) answered 201"
	# A killed create leaves its reservation (lib/session.h, reserve)
	# until its deadline: the reaper skips its container as a create in
	# progress.  Drop those reservations, as the deadline passing would,
	# and the pass below must remove the orphans.
	_rc=0
	"$SG_CLI" reap > "$T/reap0.out" 2> "$T/reap0.err" || _rc=$?
	sed 's/^/#   reap (first): /' "$T/reap0.out" "$T/reap0.err"
	sg_check "$1: first reap exits 0" 0 "$_rc"
	for _i in $(sed -n 's/^skip \([^:]*\): create in progress$/\1/p' \
	    "$T/reap0.out"); do
		for _k in $(stk_redis --scan --pattern 'sandgate:reserve:*'); do
			stk_redis zrem "$_k" "$_i" >/dev/null
		done
	done
	_rc=0
	"$SG_CLI" reap > "$T/reap.out" 2> "$T/reap.err" || _rc=$?
	sed 's/^/#   reap: /' "$T/reap.out" "$T/reap.err"
	sg_check "$1: reap exits 0" 0 "$_rc"
	_c=$(stk_containers)
	_s=$(stk_session_ids)
	sg_check "$1: after the reaper every container has its session and every session its container" \
	    "$_c" "$_s"
	sg_check "$1: every sandbox answered 201 is among them" "" \
	    "$(for _i in $(cat "$T/created" 2>/dev/null); do
		echo "$_s" | grep -q -w -- "$_i" || echo "$_i"; done)"
	for _i in $_s; do
		sg_check "$1: DELETE $_i" 204 "$(curl -s -o /dev/null \
		    -w '%{http_code}' --max-time 60 -X DELETE \
		    -H "Authorization: Bearer $STK_OP" "$STK_API/v1/sandboxes/$_i")"
	done
	sg_check "$1: no container left" "" "$(stk_containers)"
	sg_check "$1: no session left" "" "$(stk_session_ids)"
	sg_check "$1: no user index left" "" \
	    "$(stk_redis --scan --pattern 'sandgate:user:*' | grep -v "^sandgate:user:$STK_USER\$" || true)"
}

# --------------------------------------------------- a private dockerd
# stk_dockerd_start: a Docker engine of this test's own (socket, data,
# exec root, pid file under $T/d; no bridge, no iptables; gVisor
# registered as runsc when installed), so that it
# can be stopped without touching the system's engine or other tests.
# Sets STK_DOCKER_SOCK and SG_DOCKER (a docker CLI wrapper for it, used
# by lib-docker.sh).  Stopped, and its mounts released, at exit.
stk_dockerd_start()
{
	STK_D=$T/d
	STK_DOCKER_SOCK=$STK_D/docker.sock
	mkdir -p "$STK_D/data" "$STK_D/x"
	if [ ! -e "$STK_D/daemon.json" ]; then
		# gVisor registered as "runsc" (deploy/gvisor/register), on
		# nothing of the host's configuration (a file that is not there).
		sg_gvisor_config "$STK_D/daemon.json" "$STK_D/none.json" ||
		    echo '{}' > "$STK_D/daemon.json"
		printf '#!/bin/sh\nexec docker -H unix://%s "$@"\n' \
		    "$STK_DOCKER_SOCK" > "$STK_D/docker"
		chmod +x "$STK_D/docker"
		# Runs last (registered first): after the containers are gone.
		sg_on_exit 'stk_dockerd_stop TERM; stk_dockerd_release'
	fi
	SG_DOCKER=$STK_D/docker
	_rc=0
	sg_dockerd_start "$STK_DOCKER_SOCK" "$STK_D/data" "$STK_D/x" \
	    "$STK_D/dockerd.pid" "$T/dockerd.log" \
	    --config-file "$STK_D/daemon.json" --bridge=none --iptables=false \
	    --ip-masq=false --ip-forward=false || _rc=$?
	STK_DOCKERD_PID=$SG_DOCKERD_PID
	return $_rc
}

# stk_dockerd_stop SIGNAL: stop it (TERM: as an operator would; KILL: a
# crash) and wait until it is gone (at most 60 s).
stk_dockerd_stop()
{
	sg_dockerd_stop "${STK_DOCKERD_PID:-}" "$1" 60
	STK_DOCKERD_PID=""
}

# At exit: what our dockerd may have left behind, and mounts under $T.
stk_dockerd_release()
{
	sg_dockerd_release "$STK_D" "$T"
}
