#!/bin/sh
# SPDX-License-Identifier: ISC
# Chained, signed audit trails (issue 17, lib/chain.h), against the real
# stack (Apache, four token-verify workers, session-query behind
# lighttpd, Redis):
#   1. 200 allowed requests of sandbox A, 16 at a time, so that several
#      workers append to A's trail at once: it is one chain (seq 1..N,
#      each prev the digest before it) and verifies (unsealed tail ok);
#   2. sealed on demand, then finally: it verifies; a decision after
#      the final seal is not appended;
#   3. the export through the gateway (?export=1, sessions:read only)
#      verifies from the file; a tampered, a removed, a reordered, an
#      appended-after-seal and a re-chained record are each detected
#      (exit 1, the first bad record named); a record added to Redis
#      behind the script's back is detected too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-stack.sh"
here=$(cd "$(dirname "$0")" && pwd)

sg_setup
SG_PROCS=4

stk_init
stk_start
stk_sessions
OK_URL="http://127.0.0.1:$SG_TARGET_PORT/ok"
JWKS=$SG_KEYS/jwks.json
[ -f "$JWKS" ] || JWKS=$SG_KEYS/public-key.pem
audit()
{
	"$SG_CLI" audit "$@" --keys "$JWKS"
}

echo "# 1. concurrent appends from $SG_PROCS workers"
basic=$(stk_basic "$STK_A" "$STK_TOK_A")
seq 200 | xargs -P 16 -I{} curl -s -o /dev/null -w '%{http_code}\n' \
    --max-time 10 --proxy "$STK_PROXY" \
    --proxy-header "Proxy-Authorization: $basic" "$OK_URL?{}" >"$T/codes"
sg_check "200 allowed requests" 200 "$(grep -c '^200$' "$T/codes")"
# A worker's last batch goes out at most SG_AUDIT_BATCH_US (1 ms) after
# its push was put off, by the wait's own timeout: well before the idle
# tick (500 ms) would take it.  0.3 s leaves room for a loaded machine.
t0=$(date +%s%N)
for _ in $(seq 100); do
	n=$(stk_redis XLEN "sandgate:audit:$STK_A")
	[ "$n" = 200 ] && break
	[ $(( $(date +%s%N) - t0 )) -lt 300000000 ] || break
	sleep 0.01
done
sg_check "A's trail holds them all within 0.3 s, no request after" 200 "$n"
sg_check "seq is 1..200 in stream order" 1 \
    "$(stk_redis XRANGE "sandgate:audit:$STK_A" - + | awk '
	prev == "seq" { if ($0 != ++want) bad = 1 } { prev = $0 }
	END { print (bad || want != 200) ? 0 : 1 }')"
rc=0; out=$(audit verify --unsealed-ok "$STK_A") || rc=$?
echo "# $out"
sg_check "the unsealed chain verifies" 0 "$rc"
rc=0; out=$(audit verify "$STK_A") || rc=$?
echo "# $out"
sg_check "an unsealed trail is not ok without --unsealed-ok" 1 "$rc"

echo "# 2. seals"
sg_check "seal on demand" 0 "$("$SG_CLI" audit seal "$STK_A" >/dev/null; echo $?)"
curl -s -o /dev/null --max-time 10 --proxy "$STK_PROXY" \
    --proxy-header "Proxy-Authorization: $basic" "$OK_URL?after-seal"
sleep 1
rc=0; out=$(audit verify --unsealed-ok "$STK_A") || rc=$?
echo "# $out"
sg_check "records after an on-demand seal chain on" 0 "$rc"
sg_check "final seal" 0 "$("$SG_CLI" audit seal --final "$STK_A" >/dev/null; echo $?)"
rc=0; out=$(audit verify --final "$STK_A") || rc=$?
echo "# $out"
sg_check "the sealed trail verifies" 0 "$rc"
n=$(stk_redis XLEN "sandgate:audit:$STK_A")
curl -s -o /dev/null --max-time 10 --proxy "$STK_PROXY" \
    --proxy-header "Proxy-Authorization: $basic" "$OK_URL?after-final"
sleep 1
sg_check "nothing is appended after the final seal" "$n" \
    "$(stk_redis XLEN "sandgate:audit:$STK_A")"

echo "# 3. the export and what it detects"
code=$(curl -s -o "$T/trail.jsonl" -D "$T/hdr" -w '%{http_code}' --max-time 10 \
    -H "Authorization: Bearer $STK_OP_READ" \
    "$STK_API/v1/sessions/$STK_A/decisions?export=1")
sg_check "export: 200" 200 "$code"
sg_check "export: JSON lines" 1 \
    "$(grep -ci '^content-type: application/x-ndjson' "$T/hdr")"
sg_check "export: every record" "$n" "$(wc -l <"$T/trail.jsonl")"
sg_check "export needs sessions:read" 403 "$(curl -s -o /dev/null -w '%{http_code}' \
    --max-time 10 -H "Authorization: Bearer $STK_OP_ISSUE" \
    "$STK_API/v1/sessions/$STK_A/decisions?export=1")"
sg_check "export=2 is refused" 400 "$(curl -s -o /dev/null -w '%{http_code}' \
    --max-time 10 -H "Authorization: Bearer $STK_OP_READ" \
    "$STK_API/v1/sessions/$STK_A/decisions?export=2")"
sg_check "the digests follow the documented canonical form" "mismatch 0" \
    "$(python3 "$here/audit-chain.py" check "$T/trail.jsonl" - 1)"
rc=0; out=$(audit verify --final --file "$T/trail.jsonl" "$STK_A") || rc=$?
echo "# $out"
sg_check "the exported file verifies" 0 "$rc"
for m in tamper remove reorder rechain; do
	python3 "$here/audit-chain.py" $m "$T/trail.jsonl" "$T/$m.jsonl" 50
	rc=0; out=$(audit verify --file "$T/$m.jsonl" "$STK_A") || rc=$?
	echo "# $m: $out"
	sg_check "$m detected" 1 "$rc"
	case $m in
	# only the first seal after the change can tell
	rechain) want="record $(grep -n trail_sealed "$T/trail.jsonl" |
	    head -1 | cut -d: -f1) .*seal's head" ;;
	*) want="record 50 " ;;
	esac
	sg_check "$m: the first bad record named" 1 \
	    "$(printf '%s' "$out" | grep -c "$want")"
done
python3 "$here/audit-chain.py" append "$T/trail.jsonl" "$T/append.jsonl" 10
rc=0; out=$(audit verify --file "$T/append.jsonl" "$STK_A") || rc=$?
echo "# append: $out"
sg_check "a record appended after the seal detected" 1 "$rc"
sg_check "append: named" 1 "$(printf '%s' "$out" | grep -c "record $((n + 1)) .*after the final seal")"
stk_redis XADD "sandgate:audit:$STK_A" '*' seq $((n + 1)) prev x digest y \
    event decision container_id "$STK_A" >/dev/null
rc=0; out=$(audit verify "$STK_A") || rc=$?
echo "# redis append: $out"
sg_check "a record added in Redis after the seal detected" 1 "$rc"
sg_check "audit verify: usage is 78" 78 \
    "$("$SG_CLI" audit verify >/dev/null 2>&1 || echo $?)"

sg_done
