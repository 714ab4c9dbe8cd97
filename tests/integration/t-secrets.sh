#!/bin/sh
# SPDX-License-Identifier: ISC
# Secrets the sandbox never sees (issue 18, docs/secrets.md), with real
# components: redis-server, Apache from deploy/apache/sandgate-egress.conf.in
# (the /broker/ location), token-verify for the plain egress path,
# secret-broker, and a TLS upstream on loopback with a test CA (openssl)
# that records the headers it gets and echoes them back.  Covers: the
# broker call arrives with the real secret, over verified TLS; the answer
# the sandbox sees holds no byte of it (an echoing upstream is masked);
# no credentials, a bad token, another sandbox's token, an unknown name,
# a host not in the token's allow-list, a revoked session -> refused with
# {error,message}; after DELETE it stops at once; an upstream whose
# certificate the CA did not sign -> 502, nothing sent; Redis holds only
# ciphertext (DUMP of every key and an RDB dump scanned); logs scanned.
# With SG_BROKER_MODULE=1 (t-secrets-module.sh) every check runs against
# the broker inside Apache instead (lib-secrets.sh).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-secrets.sh"

B=http://127.0.0.1:$PPORT/broker
# call NAME PATH AUTHHEADER [curl args] -> status in $T/code, body $T/body
call()
{
	_n=$1 _p=$2 _a=$3
	shift 3
	curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' --max-time 20 \
	    ${_a:+-H "$_a"} "$@" "$B/$_n$_p" >"$T/code" 2>>"$T/curl.err" ||
	    echo 000 >"$T/code"
	cat "$T/body" "$T/hdr" >>"$T/seen"
	cat "$T/code"
}
: >"$T/seen"
err_of() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["error"], "msg" if d.get("message") else "nomsg")' "$T/body" 2>/dev/null; }

echo "# the broker adds the secret; the sandbox never sees it"
sg_check "GET via broker (Proxy-Authorization)" 200 \
    "$(call EXAMPLE /v1/models?x=1 "Proxy-Authorization: $(basic $CID "$TOK_A")")"
last=$(tail -n 1 "$T/upstream.log")
sg_check "upstream got the real secret" "$SECRET" \
    "$(printf '%s' "$last" | python3 -c 'import json,sys; print(json.load(sys.stdin)["headers"].get("authorization"))')"
sg_check "upstream got the path and query" "/v1/models?x=1" \
    "$(printf '%s' "$last" | python3 -c 'import json,sys; print(json.load(sys.stdin)["path"])')"
sg_check "upstream saw no sandbox credentials" "None" \
    "$(printf '%s' "$last" | python3 -c 'import json,sys; print(json.load(sys.stdin)["headers"].get("proxy-authorization"))')"
sg_check "the echoed secret is masked in the answer" 0 \
    "$(grep -c -F -- "${SECRET#Bearer }" "$T/body")"
sg_check "POST with a body (Authorization: Basic, a base URL with userinfo)" 200 \
    "$(call EXAMPLE /v1/chat "Authorization: $(basic $CID "$TOK_A")" \
        -H 'Content-Type: application/json' --data '{"q":1}')"
sg_check "upstream got the body" '{"q":1}' \
    "$(tail -n 1 "$T/upstream.log" | python3 -c 'import json,sys; print(json.load(sys.stdin)["body"])')"
sg_check "upstream got the body's type" application/json \
    "$(tail -n 1 "$T/upstream.log" | python3 -c 'import json,sys; print(json.load(sys.stdin)["headers"]["content-type"])')"
sg_check "a sandbox's own Authorization is replaced, not added" "$SECRET" \
    "$(call EXAMPLE /x "Proxy-Authorization: $(basic $CID "$TOK_A")" \
        -H 'Authorization: Bearer placeholder' >/dev/null
       tail -n 1 "$T/upstream.log" | python3 -c 'import json,sys; print(json.load(sys.stdin)["headers"].get("authorization"))')"

sg_check "through the proxy settings (absolute-form, Proxy-Authorization)" 200 \
    "$(curl -s -o "$T/body" -w '%{http_code}' --max-time 10 \
        --proxy "http://127.0.0.1:$PPORT" --proxy-user "container_$CID:jwt_$TOK_A" \
        -H 'Authorization: Bearer sdk-placeholder' "$B/EXAMPLE/v1/sdk"; cat "$T/body" >>"$T/seen")"
sg_check "... arrived with the secret instead of the placeholder" "/v1/sdk $SECRET" \
    "$(tail -n 1 "$T/upstream.log" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["path"], d["headers"].get("authorization"))')"
sg_check "another path on the proxy's own address stays denied" 403 \
    "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
        --proxy "http://127.0.0.1:$PPORT" --proxy-user "container_$CID:jwt_$TOK_A" \
        "http://127.0.0.1:$PPORT/other")"

echo "# streamed answers"
sg_check "an echoed secret split across two pieces is masked" "200 0" \
    "$(call EXAMPLE /split "Proxy-Authorization: $(basic $CID "$TOK_A")") \
$(grep -c -F -- "${SECRET#Bearer }" "$T/body")"
sg_check "... and the answer is whole (valid JSON)" /split \
    "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["path"])' "$T/body")"
# /split's upstream pauses 0.2 s between its two pieces: the broker
# queues what it has and writes it out before it waits, so the status
# and the first piece reach the client that long before the end (an
# answer held until it is whole would put them together).
sg_check "... and streamed: the first byte came >= 0.1 s before the last" 1 \
    "$(curl -s -o /dev/null -w '%{time_starttransfer} %{time_total}' \
        --max-time 20 -H "Proxy-Authorization: $(basic $CID "$TOK_A")" \
        "$B/EXAMPLE/split" | awk '{ print ($2 - $1 >= 0.1) ? 1 : 0 }')"
# The upstream dies after 5000 of its 200000 bytes: the status went out,
# so the broker cuts the request and Apache drops the connection; the
# client must see a failed transfer, never a short answer taken as whole.
rc=0
curl -s -o "$T/body" --max-time 20 -H "Proxy-Authorization: $(basic $CID "$TOK_A")" \
    "$B/EXAMPLE/die" 2>>"$T/curl.err" || rc=$?
cat "$T/body" >>"$T/seen"
sg_check "upstream dies mid-body -> the client's transfer fails" 1 \
    "$([ "$rc" -ne 0 ] && [ "$(wc -c <"$T/body")" -lt 200000 ] && echo 1)"
if [ -n "$SGAMOD" ]; then
	sg_check "... and the module says so in Apache's log" 1 \
	    "$([ "$(grep -c 'broker answer for secret EXAMPLE cut' "$T/apache-error.log")" -gt 0 ] && echo 1)"
else
	sg_check "... and the broker says so in its log" 1 \
	    "$([ "$(grep -c 'broker_cut' "$T/broker.log")" -gt 0 ] && echo 1)"
fi
sg_check "the next call on the same broker works" 200 \
    "$(call EXAMPLE /after "Proxy-Authorization: $(basic $CID "$TOK_A")")"
echo "# two sequential calls (one kept upstream connection) both carry it"
h0=$(hits)
call EXAMPLE /seq1 "Proxy-Authorization: $(basic $CID "$TOK_A")" >/dev/null
call EXAMPLE /seq2 "Proxy-Authorization: $(basic $CID "$TOK_A")" >/dev/null
sg_check "both arrived with the secret" "/seq1 $SECRET|/seq2 $SECRET|" \
    "$(tail -n 2 "$T/upstream.log" | python3 -c 'import json,sys
for l in sys.stdin: d=json.loads(l); print(d["path"], d["headers"].get("authorization"), end="|")')"
sg_check "... two upstream hits" $((h0 + 2)) "$(hits)"

echo "# refusals"
n0=$(hits)
sg_check "no credentials -> 401" 401 "$(call EXAMPLE /x "")"
sg_check "401 body {error,message}" "bad_credentials msg" "$(err_of)"
sg_check "bad token, a name the sandbox lacks -> 401 (no probing names)" 401 \
    "$(call NOPE /x "Proxy-Authorization: $(basic $CID "$TOK_B")")"
sg_check "bad token -> 401" 401 \
    "$(call EXAMPLE /x "Proxy-Authorization: $(basic $CID "$TOK_B")")"
sg_check "another sandbox's token -> 403 (it has no such secret)" 403 \
    "$(call EXAMPLE /x "Proxy-Authorization: $(basic $CID2 "$TOK_B")")"
sg_check "403 body {error,message}" "secret_not_found msg" "$(err_of)"
sg_check "unknown name -> 403" 403 \
    "$(call NOPE /x "Proxy-Authorization: $(basic $CID "$TOK_A")")"
sg_check "secret host not in the allow-list -> 403" 403 \
    "$(call OTHER /x "Proxy-Authorization: $(basic $CID "$TOK_A")")"
sg_check "untrusted upstream certificate -> 502" 502 \
    "$(call ROGUE /x "Proxy-Authorization: $(basic $CID "$TOK_A")")"
head -c 70000 /dev/zero | tr '\0' 'a' >"$T/big.body"
sg_check "a body over 64 KiB -> 413 payload_too_large" "413 payload_too_large msg" \
    "$(call EXAMPLE /big-post "Proxy-Authorization: $(basic $CID "$TOK_A")" \
        -H 'Content-Type: text/plain' --data-binary @"$T/big.body") $(err_of)"
sg_check "a path that is not /broker/NAME/... -> 404" 404 \
    "$(call 'a%2Fb' /x "Proxy-Authorization: $(basic $CID "$TOK_A")")"
sg_check "nothing of these reached the upstream" "$n0" "$(hits)"

echo "# a ciphertext moved to another sandbox does not open"
sg_redis HSET "sandgate:secrets:$CID2" EXAMPLE \
    "$(sg_redis HGET "sandgate:secrets:$CID" EXAMPLE)" >/dev/null
sg_check "copied record -> 403 secret_unreadable" "403 secret_unreadable msg" \
    "$(call EXAMPLE /x "Proxy-Authorization: $(basic $CID2 "$TOK_B")") $(err_of)"
sg_redis DEL "sandgate:secrets:$CID2" >/dev/null
sg_check "nothing reached the upstream" "$n0" "$(hits)"

echo "# the plain egress proxy still works beside it"
sg_check "GET through the proxy (CONNECT, same upstream)" 200 \
    "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 --cacert "$P/ca.pem" \
        --proxy "http://127.0.0.1:$PPORT" --proxy-user "container_$CID:jwt_$TOK_A" \
        "https://$H1/plain")"

echo "# Redis holds only ciphertext"
sg_redis --scan >"$T/keys.txt"
: >"$T/dump.txt"
while read -r k; do
	sg_redis --no-raw DUMP "$k" >>"$T/dump.txt"
	sg_redis TYPE "$k" | grep -q hash && sg_redis HGETALL "$k" >>"$T/dump.txt"
done <"$T/keys.txt"
sg_redis --rdb "$T/dump.rdb" >/dev/null 2>&1
sg_check "a secrets hash exists" 1 "$(grep -c "^sandgate:secrets:$CID\$" "$T/keys.txt")"
for f in "$T/dump.txt" "$T/dump.rdb" "$REDIS_SOCK.none"; do
	[ -e "$f" ] || continue
	sg_check "no secret in ${f##*/}" 0 "$(grep -c -a -F -- "${SECRET#Bearer }" "$f")"
done
sg_check "the secrets hash has the session's TTL" 1 \
    "$([ "$(sg_redis TTL "sandgate:secrets:$CID")" -gt 3000 ] && echo 1)"

echo "# DELETE stops it at once; a revoked session stops it too"
sg_check "a call just before (the upstream connection kept)" 200 \
    "$(call EXAMPLE /x "Proxy-Authorization: $(basic $CID "$TOK_A")")"
"$SEAL" -d $CID EXAMPLE
h0=$(hits)
sg_check "after delete -> 403" 403 \
    "$(call EXAMPLE /x "Proxy-Authorization: $(basic $CID "$TOK_A")")"
sg_check "... nothing reached the upstream over the kept connection" "$h0" "$(hits)"
printf '%s\n' "$SECRET" | "$SEAL" "$T/keys/secret.key" $CID EXAMPLE "$H1" \
    Authorization 3600
sg_check "stored again -> 200" 200 \
    "$(call EXAMPLE /x "Proxy-Authorization: $(basic $CID "$TOK_A")")"
sg_redis DEL "sandgate:session:$CID" >/dev/null
sg_check "session gone -> refused" 401 \
    "$(call EXAMPLE /x "Proxy-Authorization: $(basic $CID "$TOK_A")")"

echo "# no byte of the secret in anything the sandbox saw, or in any log"
sg_check "responses and headers" 0 "$(grep -c -a -F -- "${SECRET#Bearer }" "$T/seen")"
for f in "$T/broker.log" "$T/verify.log" "$T/apache-error.log" \
    "$A"/log/*.log ${SGAMOD:+"$T/verify-sock.log"}; do
	sg_check "log ${f##*/}" 0 "$(grep -c -a -F -- "${SECRET#Bearer }" "$f")"
done
sg_check "no AH01630 (a refused PATH_TRANSLATED sub-request) per broker call" 0 \
    "$(grep -c 'AH01630.*/html/[A-Z]' "$T/apache-error.log" || true)"
sg_check "broker log names the secret" 1 \
    "$([ "$(grep -c 'EXAMPLE' "$T/broker.log")" -gt 0 ] && echo 1)"
# Which path made the calls: secret-broker logs "broker" for a call it
# made itself, "broker_authorize" for one it only decided for the module.
if [ -n "$SGAMOD" ]; then
	sg_check "the module made every call (the broker only decided)" "0 1" \
	    "$(grep -c '"event":"broker",' "$T/broker.log") $([ "$(grep -c '"event":"broker_authorize"' "$T/broker.log")" -gt 5 ] && echo 1)"
else
	sg_check "the broker made the calls itself" "1 0" \
	    "$([ "$(grep -c '"event":"broker",' "$T/broker.log")" -gt 5 ] && echo 1) $(grep -c '"event":"broker_authorize"' "$T/broker.log")"
fi

sg_done
