#!/bin/sh
# SPDX-License-Identifier: ISC
# Name resolution in token-verify (issue 16.2): with a private-target
# check every allowed name is resolved before it is allowed, and a
# blocking getaddrinfo with the resolver's retries held a worker for
# ten seconds and more per slow name, so a few requests for slow names
# stopped every tenant's decisions.  Here, in a mount namespace of its
# own whose /etc/resolv.conf names only a local DNS server that never
# answers "slow*" names (timeout:5 attempts:2, the usual defaults):
#   1. four requests for four slow names at once, on a pool of two
#      strict workers (SANDGATE_DNS_TIMEOUT_MS=500): each is refused
#      (403 dns_timeout) within about the deadline, and a quiet
#      tenant's request made meanwhile is answered within a few hundred
#      milliseconds of the deadline, not behind ten-second lookups;
#   2. answers are cached: a slow name asked again, and a fast name
#      asked again, cost no new query at the server;
#   3. the control: with a long deadline (6 s) the same four names keep
#      the quiet request waiting for seconds (as getaddrinfo did, for
#      longer: the old code fails part 1).
if [ -z "${SG_DNSD_NS:-}" ]; then
	[ "$(id -u)" -eq 0 ] || { echo "t-dns-deadline.sh needs root (unshare)" >&2; exit 1; }
	SG_DNSD_NS=1 exec unshare --mount --propagation private sh "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-stack.sh"

sg_setup
SG_PROCS=2
export SANDGATE_DNS_TIMEOUT_MS=500

# The name server (dnsd.py): "slow*" names never answered; "fast*" A
# 10.9.8.7 (a private address: the strict check refuses it at once, so no
# request leaves the machine); everything else NXDOMAIN.  Logs "name type".
DNS_ADDR=127.53.$(( $$ % 200 + 20 )).$(( $$ % 250 + 2 ))
python3 "$SG_TOP/tests/integration/dnsd.py" "$DNS_ADDR" 53 "$T/dns.log" \
    2>>"$T/dnsd.err" &
sg_track_pid $!
sg_wait_file "$T/dns.log.ready"
printf 'nameserver %s\noptions timeout:5 attempts:2\n' "$DNS_ADDR" > "$T/resolv.conf"
mount --bind "$T/resolv.conf" /etc/resolv.conf
sg_check "this namespace resolves through the test's server" "10.9.8.7" \
    "$(getent ahostsv4 fast-probe.sgslow.test | awk 'NR == 1 { print $1 }')"

stk_init
stk_start
CID=sandbox_DNSDNSDNSDNSDNSDNSDNSDNS
stk_mint $CID "*.sgslow.test" true 3600
stk_put_session $CID "$JTI" "$EXP" '["*.sgslow.test"]' 127.0.0.1 "$TOK"
AUTH=$(stk_basic $CID "$TOK")
STRICT=http://127.0.0.1:$SG_STRICT_PORT

# ask NAME: "status seconds" of a GET for http://NAME/ via the strict proxy
ask()
{
	curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 40 \
	    --proxy "$STRICT" --proxy-header "Proxy-Authorization: $AUTH" \
	    "http://$1/" || true
}
queries() { grep -c "^$1 " "$T/dns.log" || true; }

# storm TAG: four slow names at once in the background; then a quiet
# request; prints the quiet one's "status seconds"; the four's answers in
# $T/storm-TAG.N.
storm()
{
	for n in 1 2 3 4; do
		ask "slow$n-$1.sgslow.test" > "$T/storm-$1.$n" &
		sg_track_pid $!
	done
	sleep 0.2
	ask "fast-quiet-$1.sgslow.test"
	wait
}

echo "# 1. four slow names at once, the deadline 500 ms"
sg_check "baseline: a fast private name is refused at once" 403 \
    "$(ask fast-base.sgslow.test | cut -d' ' -f1)"
set -- $(storm a)
echo "# the quiet request: $1 in $2 s"
sg_check "the quiet tenant is answered" 403 "$1"
sg_check "within 2.5 s (not behind 10 s lookups)" 1 \
    "$(awk -v t="$2" 'BEGIN { print (t < 2.5) ? 1 : 0 }')"
for n in 1 2 3 4; do
	set -- $(cat "$T/storm-a.$n")
	sg_check "slow name $n: refused" 403 "$1"
	sg_check "slow name $n: within 2.5 s ($2 s)" 1 \
	    "$(awk -v t="$2" 'BEGIN { print (t < 2.5) ? 1 : 0 }')"
done
sg_check_match "logged as dns_timeout" '"reason":"dns_timeout"' \
    "$(cat "$T/token-verify-strict.log")"

echo "# 2. the cache"
q0=$(queries slow1-a.sgslow.test)
for i in 1 2 3 4; do ask slow1-a.sgslow.test >/dev/null; done
# Each worker has its own cache: at most one more lookup, by the other.
sg_check "a slow name asked 4 times again: at most one more lookup (cached failure)" 1 \
    "$([ "$(queries slow1-a.sgslow.test)" -le $((q0 * SG_PROCS)) ] && echo 1)"
for i in 1 2 3 4 5 6; do ask fast-base.sgslow.test >/dev/null; done
sg_check "a fast name asked 7 times: at most one A query per worker" 1 \
    "$(awk '$1 == "fast-base.sgslow.test" && $2 == 1' "$T/dns.log" | wc -l |
    awk -v w="$SG_PROCS" '{ print ($1 <= w) ? 1 : 0 }')"

echo "# 3. control: a deadline of 6 s"
sg_run_kill token-verify-strict
SANDGATE_DNS_TIMEOUT_MS=6000 SANDGATE_EGRESS_DENY_PRIVATE=1 sg_run_spawn \
    token-verify-strict "$SG_BUILD/services/token-verify/token-verify" \
    "tcp:$SG_VERIFY_STRICT_PORT"
sg_wait_tcp 127.0.0.1 "$SG_VERIFY_STRICT_PORT"
set -- $(storm b)
echo "# the quiet request: $1 in $2 s"
sg_check "the quiet tenant waits behind the slow lookups (> 4 s)" 1 \
    "$(awk -v t="$2" 'BEGIN { print (t > 4) ? 1 : 0 }')"

sg_done
