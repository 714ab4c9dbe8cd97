#!/bin/sh
# SPDX-License-Identifier: ISC
# Operations through the real stack (lib-stack.sh: run.sh's functions,
# Redis, the services under spawn-fcgi, Apache as egress proxy, lighttpd
# and nginx as API gateways), on loopback only:
#  - GET /metrics through the gateway: 401 without a token, 403 without
#    metrics:read, 200 Prometheus text with it;
#  - counters that move by exactly the decisions made through Apache,
#    summed over every token-verify process; latency histogram, cache and
#    Redis figures; no container id, user, token or host in any label;
#  - the audit trail: the same decisions in sandgate:audit and through
#    GET /v1/sessions/{id}/decisions (sessions:read, operators only),
#    never a token;
#  - key reloads (SIGHUP, a changed key file) and issued tokens counted;
#  - report mode counted and audited as would_deny;
#  - Redis stopped (SIGSTOP): egress decisions still answered within a
#    bounded time and logged on stderr; the trail catches up afterwards.
. "$(dirname "$0")/lib.sh"

sg_setup
. "$SG_TOP/tests/integration/lib-stack.sh"
stk_init
stk_start
stk_sessions

TGT=http://127.0.0.1:$SG_TARGET_PORT
OP_METRICS=$("$SG_CLI" token --sub prometheus --scope metrics:read --ttl 3600)

# api TOKEN PATH [BASE]: body in $T/body, status printed
api()
{
	curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' --max-time 10 \
	    ${1:+-H "Authorization: Bearer $1"} "${3:-$STK_API}$2" || true
}
# egress CID TOKEN URL [PROXY]: status of one request through Apache
egress()
{
	curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
	    -x "${4:-$STK_PROXY}" -H "Proxy-Authorization: $(stk_basic "$1" "$2")" \
	    "$3" || true
}
# metric SERIES: its value in a fresh scrape (0 when absent)
metric()
{
	api "$OP_METRICS" /metrics >/dev/null
	awk -v k="$1" '$1 == k { v = $2 } END { print v == "" ? 0 : v }' \
	    "$T/body"
}
# audit_count CID JQ-FILTER: the decisions in CID's trail matching the
# filter; a decision_repeated entry stands for its first line's decision
# and "count" more (identical denials are aggregated: docs/operations.md).
audit_count()
{
	api "$STK_OP" "/v1/sessions/$1/decisions?limit=1000" >/dev/null
	jq "[.decisions[] | select($2) |
	    if .event == \"decision_repeated\" then .count else 1 end] |
	    add // 0" "$T/body"
}

D='sandgate_decisions_total{mode="egress",decision='

# ---- GET /metrics: who may read it ------------------------------------------
sg_check "metrics: no token" 401 "$(api "" /metrics)"
sg_check "metrics: sessions:read only" 403 "$(api "$STK_OP_READ" /metrics)"
sg_check "metrics: container token" 403 "$(api "$STK_TOK_A" /metrics)"
sg_check "metrics: metrics:read" 200 "$(api "$OP_METRICS" /metrics)"
# The loopback scrape listener, as docs/operations.md has Prometheus use it
sg_check "metrics: the scrape port, no token" 200 \
    "$(api "" /metrics "http://127.0.0.1:$SG_METRICS_PORT")"
sg_check_match "metrics: the scrape port serves the same text" \
    'TYPE sandgate_decisions_total counter' "$(cat "$T/body")"
sg_check_match "metrics: Prometheus text 0.0.4" \
    '^Content-Type: text/plain; version=0.0.4' "$(tr -d '\r' < "$T/hdr" | grep -i '^content-type')"
sg_check_match "metrics: HELP and TYPE" '# TYPE sandgate_decisions_total counter' "$(cat "$T/body")"
sg_check "metrics: run.sh's operator token has metrics:read" 200 "$(api "$STK_OP" /metrics)"
sg_check "metrics: a POST is refused" 403 \
    "$(curl -s -o /dev/null -w '%{http_code}' --data '' -H "Authorization: Bearer $OP_METRICS" "$STK_API/metrics")"

# ---- counters move by exactly the decisions made --------------------------
a0=$(metric "${D}\"allow\",reason=\"ok\"}")
h0=$(metric "${D}\"deny\",reason=\"host_not_allowed\"}")
r0=$(metric "${D}\"deny\",reason=\"session_revoked\"}")
n0=$(metric 'sandgate_decision_duration_seconds_count{mode="egress"}')
c0=$(metric 'sandgate_token_cache_lookups_total{result="hit"}')
ok=0
i=0
while [ $i -lt 20 ]; do
	[ "$(egress $STK_A "$STK_TOK_A" "$TGT/ok")" = 200 ] && ok=$((ok + 1))
	i=$((i + 1))
done
sg_check "20 allowed through Apache" 20 "$ok"
i=0
while [ $i -lt 5 ]; do
	egress $STK_A "$STK_TOK_A" "http://localhost:$SG_TARGET_PORT/x" >> "$T/deny.codes"
	echo >> "$T/deny.codes"
	i=$((i + 1))
done
sg_check "5 unlisted hosts denied" 5 "$(grep -c '^403$' "$T/deny.codes")"
i=0
while [ $i -lt 3 ]; do
	egress $STK_R "$STK_TOK_R" "$TGT/ok" >> "$T/rev.codes"
	echo >> "$T/rev.codes"
	i=$((i + 1))
done
sg_check "3 revoked tokens refused" 3 "$(grep -c '^407$' "$T/rev.codes")"
sg_check "allow counter +20" 20 "$(( $(metric "${D}\"allow\",reason=\"ok\"}") - a0 ))"
sg_check "host_not_allowed counter +5" 5 \
    "$(( $(metric "${D}\"deny\",reason=\"host_not_allowed\"}") - h0 ))"
sg_check "session_revoked counter +3" 3 \
    "$(( $(metric "${D}\"deny\",reason=\"session_revoked\"}") - r0 ))"
sg_check "latency histogram +28" 28 \
    "$(( $(metric 'sandgate_decision_duration_seconds_count{mode="egress"}') - n0 ))"
c1=$(metric 'sandgate_token_cache_lookups_total{result="hit"}')
sg_check_match "token cache hits counted (+$((c1 - c0)))" '^(1[5-9]|[2-9][0-9])$' "$((c1 - c0))"
metric x >/dev/null
body=$(cat "$T/body")
sg_check_match "histogram +Inf bucket" \
    'sandgate_decision_duration_seconds_bucket\{mode="egress",le="\+Inf"\} [0-9]+' "$body"
sg_check_match "Redis calls of token-verify counted" \
    'sandgate_redis_calls_total\{service="token-verify"\} [1-9]' "$body"
sg_check_match "Redis latency histogram" \
    'sandgate_redis_call_duration_seconds_count\{service="token-verify"\} [1-9]' "$body"
sg_check_match "audit entries sent" \
    'sandgate_audit_entries_total\{service="token-verify",result="sent"\} [1-9]' "$body"
sg_check "live sessions from Redis (A and B)" 2 "$(metric sandgate_live_sessions)"
sg_check_match "several processes add up" '^([4-9]|[1-9][0-9])$' \
    "$(metric sandgate_metrics_processes)"
ver=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$SG_BUILD/config.h")
sg_check "the release as sandgate_build_info" \
    "sandgate_build_info{version=\"$ver\"} 1" \
    "$(grep '^sandgate_build_info' "$T/body")"
sg_check_match "process_start_time_seconds: the scraped process's start" \
    '^process_start_time_seconds 1[0-9]{9}$' \
    "$(grep '^process_start_time_seconds' "$T/body")"
sg_check "process_start_time_seconds: not in the future" 1 \
    "$(awk -v now="$(date +%s)" '/^process_start_time_seconds/ \
    { print ($2 <= now && $2 > now - 86400) ? 1 : 0 }' "$T/body")"
# every service's log (not its supervisor's) opens with its release
nlogs=0 nover=""
for f in "$SG_LOGDIR"/token-*.log "$SG_LOGDIR"/session-*.log \
    "$SG_LOGDIR"/sandbox-*.log; do
	[ -f "$f" ] || continue
	nlogs=$((nlogs + 1))
	grep -q "\"event\":\"version\",\"version\":\"$ver\"" "$f" ||
	    nover="$nover ${f##*/}"
done
sg_check_match "service logs found ($nlogs)" '^[1-9]' "$nlogs"
sg_check "every service logs its release at start" "" "$nover"
# labels: never an id, a user, a token or a host
sg_check "no container id in the metrics" 0 "$(grep -c "$STK_A\|$STK_R" "$T/body" || true)"
sg_check "no user in the metrics" 0 "$(grep -c "$STK_USER" "$T/body" || true)"
sg_check "no host in the metrics" 0 "$(grep -c 'localhost\|127\.0\.0\.1' "$T/body" || true)"
sg_check "no token in the metrics" 0 "$(grep -c "${STK_TOK_A##*.}" "$T/body" || true)"
sg_check "every sample line well formed" "" \
    "$(grep -v '^#' "$T/body" | grep -Ev '^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [0-9.e+-]+$' || true)"

# ---- the audit trail ---------------------------------------------------------
# A run of identical denials is written as its count within the repeat
# window (1 s) plus the workers' idle tick (0.5 s).
sleep 1.7
sg_check "decisions: operator with sessions:read" 200 \
    "$(api "$STK_OP" "/v1/sessions/$STK_A/decisions?limit=1000")"
sg_check "decisions: A's 20 allows" 20 \
    "$(audit_count $STK_A '.decision == "allow" and .mode == "egress"')"
sg_check "decisions: A's 5 denials, with the target" 5 \
    "$(audit_count $STK_A ".reason == \"host_not_allowed\" and .target == \"localhost:$SG_TARGET_PORT\"")"
sg_check "decisions: nothing of another container" 0 \
    "$(audit_count $STK_A ".container_id != \"$STK_A\"")"
sg_check "decisions: R's 3 refusals" 3 \
    "$(audit_count $STK_R '.reason == "session_revoked" and .status == 407')"
sg_check "decisions: newest first" true \
    "$(jq '[.decisions[].id] as $i | $i == ($i | sort | reverse)' "$T/body")"
sg_check "decisions: limit" 2 \
    "$(api "$STK_OP" "/v1/sessions/$STK_A/decisions?limit=2" >/dev/null; jq '.decisions | length' "$T/body")"
sg_check "decisions: no token" 401 "$(api "" "/v1/sessions/$STK_A/decisions")"
sg_check "decisions: metrics:read only" 403 "$(api "$OP_METRICS" "/v1/sessions/$STK_A/decisions")"
sg_check "decisions: the container itself" 403 \
    "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $STK_TOK_A" \
    -H "X-Container-ID: $STK_A" "$STK_API/v1/sessions/$STK_A/decisions")"
sg_check "decisions: bad limit" 400 "$(api "$STK_OP" "/v1/sessions/$STK_A/decisions?limit=0")"
sg_check_match "stream written and capped (XLEN)" '^[1-9][0-9]*$' "$(stk_redis XLEN sandgate:audit)"
sg_check "no token in the stream" 0 \
    "$(stk_redis XRANGE sandgate:audit - + | grep -c "${STK_TOK_A##*.}" || true)"
sg_check_match "API decisions audited too" '^[1-9]' \
    "$(stk_redis XREVRANGE sandgate:audit + - COUNT 50 | grep -cx api || true)"

# ---- key reloads and issued tokens ------------------------------------------
TI='sandgate_tokens_issued_total{service='
KR='sandgate_key_reload_total{service='
o0=$(metric "${TI}\"sandgate-token\",kind=\"operator\"}")
"$SG_CLI" token --sub counted --scope sessions:read --ttl 60 >/dev/null
sg_check "tokens issued: sandgate token counted (operator)" 1 \
    "$(( $(metric "${TI}\"sandgate-token\",kind=\"operator\"}") - o0 ))"
s0=$(metric "${TI}\"token-issuer\",kind=\"sandbox\"}")
r0=$(metric "${KR}\"token-issuer\",result=\"ok\"}")
TB="{\"container_id\":\"$STK_B\",\"user_id\":\"$STK_USER\",\"organization_uuid\":\"$STK_ORG\",\"allowed_hosts\":[\"github.com\"]}"
# issue: POST /v1/tokens through the gateway, status printed
issue()
{
	curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
	    -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
	    --data "$TB" "$STK_API/v1/tokens" || true
}
sg_check "tokens issued: POST /v1/tokens" 201 "$(issue "$STK_OP_ISSUE")"
sg_check "tokens issued: a refused POST" 403 "$(issue "$STK_OP_READ")"
sg_check "tokens issued: token-issuer counts the 201 alone" 1 \
    "$(( $(metric "${TI}\"token-issuer\",kind=\"sandbox\"}") - s0 ))"
# SIGHUP (systemctl reload): each process reloads at its next request
nti=0
for p in $(sg_run_pids token-issuer); do
	kill -HUP "$p"
	nti=$((nti + 1))
done
i=0
while [ $i -lt 40 ]; do
	issue "$STK_OP_ISSUE" >/dev/null
	[ $(( $(metric "${KR}\"token-issuer\",result=\"ok\"}") - r0 )) -ge $nti ] &&
	    break
	i=$((i + 1))
done
sg_check "key reloads: each token-issuer process counted once ($nti)" $nti \
    "$(( $(metric "${KR}\"token-issuer\",result=\"ok\"}") - r0 ))"
# a broken verification key file: counted as failed, the old keys stay
VK=$SANDGATE_VERIFY_KEYS
cp "$VK" "$T/verify-keys.orig"
f0=$(metric "${KR}\"token-verify\",result=\"failed\"}")
v0=$(metric "${KR}\"token-verify\",result=\"ok\"}")
printf -- '-----BEGIN PUBLIC KEY-----\ngarbage\n' > "$VK"
i=0
while [ $i -lt 30 ]; do
	sleep 0.2
	egress $STK_A "$STK_TOK_A" "$TGT/ok" > "$T/broken.code"
	[ $(( $(metric "${KR}\"token-verify\",result=\"failed\"}") - f0 )) -ge 1 ] &&
	    break
	i=$((i + 1))
done
sg_check_match "key reloads: a broken key file counted as failed" '^[1-9]' \
    "$(( $(metric "${KR}\"token-verify\",result=\"failed\"}") - f0 ))"
sg_check "key reloads: the old keys still decide" 200 \
    "$(egress $STK_A "$STK_TOK_A" "$TGT/ok")"
cp "$T/verify-keys.orig" "$VK"
i=0
while [ $i -lt 30 ]; do
	sleep 0.2
	egress $STK_A "$STK_TOK_A" "$TGT/ok" >/dev/null
	[ $(( $(metric "${KR}\"token-verify\",result=\"ok\"}") - v0 )) -ge 1 ] &&
	    break
	i=$((i + 1))
done
sg_check_match "key reloads: the mended file counted as ok" '^[1-9]' \
    "$(( $(metric "${KR}\"token-verify\",result=\"ok\"}") - v0 ))"
metric x >/dev/null
sg_check_match "key reloads: HELP and TYPE" \
    '# TYPE sandgate_key_reload_total counter' "$(cat "$T/body")"

# ---- report mode: counted and audited as would_deny ------------------------
# The strict proxy's authorizer again, in report mode (loopback target:
# the private-address rule off, as for the main proxy).
sg_run_kill token-verify-strict
export SANDGATE_EGRESS_MODE=report SANDGATE_EGRESS_DENY_PRIVATE=0
sg_run_spawn token-verify-strict "$SG_BUILD/services/token-verify/token-verify" \
    "tcp:$SG_VERIFY_STRICT_PORT"
unset SANDGATE_EGRESS_MODE
sg_wait_tcp 127.0.0.1 "$SG_VERIFY_STRICT_PORT"
STRICT=http://127.0.0.1:$SG_STRICT_PORT
w0=$(metric "${D}\"would_deny\",reason=\"host_not_allowed\"}")
sg_check "report: unlisted host passes" 200 \
    "$(egress $STK_B "$STK_TOK_B" "http://127.0.0.2:$SG_TARGET_PORT/ok" "$STRICT")"
sg_check "report: revoked still refused" 407 \
    "$(egress $STK_R "$STK_TOK_R" "http://127.0.0.2:$SG_TARGET_PORT/ok" "$STRICT")"
sg_check "report: would_deny counted" 1 \
    "$(( $(metric "${D}\"would_deny\",reason=\"host_not_allowed\"}") - w0 ))"
sg_check "report: would_deny audited" 1 \
    "$(audit_count $STK_B ".decision == \"would_deny\" and .target == \"127.0.0.2:$SG_TARGET_PORT\"")"

# ---- nginx as the gateway: the same routes -----------------------------------
NGX_PORT=$(sg_free_port)
(SG_API_SERVER=nginx SG_API_PORT=$NGX_PORT SG_METRICS_PORT=$(sg_free_port)
    sg_run_api_server)
NGX=http://127.0.0.1:$NGX_PORT
sg_check "nginx: metrics without a token" 401 "$(api "" /metrics "$NGX")"
sg_check "nginx: metrics with sessions:read only" 403 "$(api "$STK_OP_READ" /metrics "$NGX")"
sg_check "nginx: metrics with metrics:read" 200 "$(api "$OP_METRICS" /metrics "$NGX")"
sg_check_match "nginx: Prometheus text" 'sandgate_decisions_total\{' "$(cat "$T/body")"
sg_check_match "nginx: content type kept" '^Content-Type: text/plain; version=0.0.4' \
    "$(tr -d '\r' < "$T/hdr" | grep -i '^content-type')"
sg_check "nginx: decisions" 200 "$(api "$STK_OP" "/v1/sessions/$STK_A/decisions" "$NGX")"
sg_check "nginx: decisions without sessions:read" 403 \
    "$(api "$OP_METRICS" "/v1/sessions/$STK_A/decisions" "$NGX")"

# ---- Redis stopped: decisions answered in bounded time, logged on stderr ----
# Regression: an audit write that waited for Redis would hang every
# decision while Redis is paused; it must never wait (the session lookup
# is bounded by SANDGATE_REDIS_TIMEOUT_MS=300, the session cache answers
# for tokens seen within SANDGATE_SESSION_CACHE_MS).
REDIS_PID=$(cut -d' ' -f1 "$SG_PIDDIR/redis.pid")
LOG=$SG_LOGDIR/token-verify-egress.log
l0=$(grep -c '"event":"decision"' "$LOG")
kill -STOP "$REDIS_PID"
sg_on_exit "kill -CONT $REDIS_PID"
t0=$(date +%s%N)
i=0
while [ $i -lt 10 ]; do
	curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --max-time 5 \
	    -x "$STK_PROXY" -H "Proxy-Authorization: $(stk_basic $STK_A "$STK_TOK_A")" \
	    "$TGT/ok" >> "$T/stopped.codes" || echo "000 5" >> "$T/stopped.codes"
	i=$((i + 1))
done
t1=$(date +%s%N)
kill -CONT "$REDIS_PID"
sg_check "Redis stopped: every decision answered (200 cached or 503)" 10 \
    "$(grep -Ec '^(200|503) ' "$T/stopped.codes")"
sg_check "Redis stopped: no decision took a second" 0 \
    "$(awk '$2 >= 1.0' "$T/stopped.codes" | wc -l | tr -d ' ')"
sg_check_match "Redis stopped: 10 requests within 10 s ($(( (t1 - t0) / 1000000 )) ms)" '^[0-9]$' \
    "$(( (t1 - t0) / 1000000000 ))"
sg_check "Redis stopped: every decision logged on stderr" 10 \
    "$(( $(grep -c '"event":"decision"' "$LOG") - l0 ))"
# Redis again: the trail catches up (what the sockets held) and goes on
a1=$(audit_count $STK_A '.decision == "allow"')
sg_check "after Redis resumed" 200 "$(egress $STK_A "$STK_TOK_A" "$TGT/ok")"
i=0
while [ $i -lt 50 ]; do
	a2=$(audit_count $STK_A '.decision == "allow"')
	[ "$a2" -gt "$a1" ] && break
	sleep 0.1
	i=$((i + 1))
done
sg_check_match "audit trail written again after Redis resumed" '^[1-9]' "$((a2 - a1))"

sg_done
