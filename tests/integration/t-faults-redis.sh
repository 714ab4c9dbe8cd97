#!/bin/sh
# SPDX-License-Identifier: ISC
# Redis faults under load (issue 7; docs/security.md 6.3): the stack of
# run.sh on loopback, wrk sending the mixed egress decisions through
# Apache and the mixed API decisions through lighttpd while
#   1. Redis is killed (SIGKILL) and started again from its last save:
#      every answer is the right decision or a 5xx, never an allow where
#      a denial is due; the services recover by themselves (same PIDs);
#   2. Redis is paused (SIGSTOP) for 3 s, ten times its command timeout
#      (SANDGATE_REDIS_TIMEOUT_MS=300): answers stay bounded in time and
#      are 503 (or, for the egress check, a session cached < 1 s ago);
# and after each, a strict run has zero wrong decisions and zero 5xx.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-stack.sh"

sg_setup
t0=$(date +%s)
TH=4
export SANDGATE_REDIS_TIMEOUT_MS=300

stk_init
stk_start
stk_sessions
stk_plan_egress "$T/egress.plan"
stk_plan_api "$T/api.plan"
REDIS_PID=$(sg_run_pids redis)
sg_on_exit 'kill -CONT $(sg_run_pids redis)'

svc_pids()
{
	for s in token-verify-egress token-verify-api session-query token-issuer; do
		sg_run_pids "$s"
	done | tr -s ' \n' ' '
}
PIDS0=$(svc_pids)

# strict NAME N: N decisions per server with Redis up: all correct.
strict()
{
	stk_wrk_start "$1_e" "$STK_PROXY" "$T/egress.plan" "$2" $TH 60
	stk_wrk_start "$1_a" "$STK_API" "$T/api.plan" "$2" $TH 60
	stk_wrk_wait "$1_e"
	stk_wrk_wait "$1_a"
	for w in e:egress a:api; do
		stk_judge "$1_${w%%:*}" "$T/${w#*:}.plan" strict
		sg_check "$1 ${w#*:}: zero wrong decisions" 0 "$STK_WRONG"
		sg_check "$1 ${w#*:}: zero 5xx" 0 "$STK_5XX"
		NCHECK=$((NCHECK + STK_N))
	done
}
NCHECK=0
NFAULT=0

# code URL ARGS...: "status seconds" of one curl
code()
{
	_u=$1
	shift
	curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 10 \
	    "$@" "$_u" || true
}
allowed() { code "http://127.0.0.1:$SG_TARGET_PORT/ok" -x "$STK_PROXY" \
    -U "container_$STK_A:jwt_$STK_TOK_A"; }
opget() { code "$STK_API/v1/sessions/$STK_A" \
    -H "Authorization: Bearer $STK_OP"; }

strict before 3000

# ------------------------------------------------------------- SIGKILL
echo "# Redis killed under load, then started again from its last save"
stk_redis SAVE >/dev/null
stk_wrk_start kill_e "$STK_PROXY" "$T/egress.plan" 1000000 $TH 60
stk_wrk_start kill_a "$STK_API" "$T/api.plan" 1000000 $TH 60
sleep 2
kill -KILL "$REDIS_PID"
NFAULT=$((NFAULT + 1))
tk=$(date +%s)
sleep 1.5
# While it is down: egress 503 (fail closed), API 503 with Retry-After.
sg_check_match "Redis down: allowed egress is 503" '^503 ' "$(allowed)"
st=$(curl -s -D "$T/h" -o "$T/b" -w '%{http_code}' --max-time 10 \
    -H "Authorization: Bearer $STK_OP" "$STK_API/v1/sessions/$STK_A")
sg_check "Redis down: session read is 503" 503 "$st"
sg_check_match "Redis down: Retry-After" '^[Rr]etry-[Aa]fter: [0-9]+' \
    "$(tr -d '\r' < "$T/h" | grep -i '^retry-after:' || true)"
sg_check "Redis down: a bad token is still 407" 407 "$(code \
    "http://127.0.0.1:$SG_TARGET_PORT/ok" -x "$STK_PROXY" \
    -U "container_$STK_A:jwt_$STK_TOK_BAD" | cut -d' ' -f1)"
sleep 1.5
sg_run_redis
REDIS_PID=$(sg_run_pids redis)
tr0=$(python3 -c 'import time; print(time.monotonic())')
# Recovery without restarting anything: poll until allowed again.
i=0
while [ $i -lt 100 ] && ! allowed | grep -q '^200 '; do
	sleep 0.1
	i=$((i + 1))
done
rec=$(python3 -c "import time; print('%.1f' % (time.monotonic() - $tr0))")
sg_check "allowed again after the restart" 200 "$(allowed | cut -d' ' -f1)"
sg_check "session read again after the restart" 200 "$(opget | cut -d' ' -f1)"
echo "# recovered ${rec} s after Redis came back (down $(( $(date +%s) - tk )) s)"
sleep 2
stk_wrk_stop kill_e
stk_wrk_stop kill_a
for w in e:egress a:api; do
	stk_judge "kill_${w%%:*}" "$T/${w#*:}.plan" fault
	sg_check "killed ${w#*:}: zero allows that should be denials" 0 "$STK_WRONG_ALLOW"
	sg_check "killed ${w#*:}: every answer right or 5xx" 0 "$STK_WRONG"
	sg_check "killed ${w#*:}: the outage was seen (5xx)" 1 \
	    "$([ "$STK_5XX" -gt 0 ] && echo 1)"
	NCHECK=$((NCHECK + STK_N))
done
sg_check "nothing reached the leak witness" 0 "$(stk_leaks)"
sg_check "no sandgate service was restarted" "$PIDS0" "$(svc_pids)"
strict after_kill 3000

# ------------------------------------------------------------- SIGSTOP
echo "# Redis paused for 3 s (command timeout 300 ms) under load"
stk_wrk_start stop_e "$STK_PROXY" "$T/egress.plan" 1000000 $TH 60
stk_wrk_start stop_a "$STK_API" "$T/api.plan" 1000000 $TH 60
sleep 1
kill -STOP "$REDIS_PID"
NFAULT=$((NFAULT + 1))
: > "$T/probes"
i=0
tp=$(date +%s)
while [ $i -lt 12 ] && [ $(( $(date +%s) - tp )) -lt 3 ]; do
	echo "egress $(allowed)" >> "$T/probes"
	echo "api $(opget)" >> "$T/probes"
	i=$((i + 1))
done
kill -CONT "$REDIS_PID"
sleep 2
stk_wrk_stop stop_e
stk_wrk_stop stop_a
sed 's/^/#   probe /' "$T/probes"
sg_check "paused: egress probes 200 (cached) or 503" "" \
    "$(awk '$1 == "egress" && $2 != 200 && $2 != 503' "$T/probes")"
sg_check "paused: API probes 503" "" "$(awk '$1 == "api" && $2 != 503' "$T/probes")"
sg_check "paused: some egress answers 503" 1 \
    "$(awk '$1 == "egress" && $2 == 503 { n++ } END { print (n > 0) }' "$T/probes")"
maxt=$(awk '$3 > m { m = $3 } END { printf "%.3f", m }' "$T/probes")
echo "# slowest probe while paused: $maxt s"
sg_check "paused: every probe answered within 2 s" 1 \
    "$(awk -v m="$maxt" 'BEGIN { print (m < 2.0) }')"
for w in e:egress a:api; do
	stk_judge "stop_${w%%:*}" "$T/${w#*:}.plan" fault
	sg_check "paused ${w#*:}: zero allows that should be denials" 0 "$STK_WRONG_ALLOW"
	sg_check "paused ${w#*:}: every answer right or 5xx" 0 "$STK_WRONG"
	sg_check "paused ${w#*:}: no request timed out in wrk (10 s)" 0 "$STK_SOCKERR"
	NCHECK=$((NCHECK + STK_N))
done
sg_check "no sandgate service was restarted" "$PIDS0" "$(svc_pids)"
strict after_stop 3000
sg_check "nothing reached the leak witness" 0 "$(stk_leaks)"

echo "# t-faults-redis: $NCHECK decisions checked, $NFAULT faults injected, took $(( $(date +%s) - t0 )) s"
sg_done
