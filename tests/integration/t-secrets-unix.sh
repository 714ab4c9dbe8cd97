#!/bin/sh
# SPDX-License-Identifier: ISC
# The broker on a unix socket (docs/secrets.md, "A unix socket"): with
# "Define SG_BROKER_SOCKET <path>" the egress site hands /broker/ to the
# socket (mod_proxy_fcgi's unix:<path>|fcgi://localhost/) instead of
# SG_BROKER_ADDR's TCP port.  The stack of t-secrets.sh with two broker
# processes on one unix socket (spawn-fcgi -s) and nothing on the TCP
# port: a broker call, a streamed answer, a cut one and a refusal all
# take that path.
. "$(dirname "$0")/lib.sh"
SG_BROKER_UNIX=1
SG_BROKER_PROCS=2
. "$(dirname "$0")/lib-secrets.sh"

B=http://127.0.0.1:$PPORT/broker
# get NAME PATH CID TOKEN -> the status; the answer in $T/body
get()
{
	curl -s -o "$T/body" -w '%{http_code}' --max-time 20 \
	    -H "Proxy-Authorization: $(basic "$3" "$4")" "$B/$1$2" \
	    2>>"$T/curl.err" || echo 000
}

sg_check "the broker listens on a unix socket" 1 \
    "$([ -S "$T/broker.sock" ] && echo 1)"
sg_check "... and nothing on SG_BROKER_ADDR's port" refused \
    "$(if python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 2)' \
        $BPORT 2>/dev/null; then echo open; else echo refused; fi)"
n0=$(hits)
sg_check "GET via the broker's unix socket" 200 "$(get EXAMPLE /unix $CID "$TOK_A")"
sg_check "... reached the upstream with the secret" "/unix $SECRET" \
    "$(tail -n 1 "$T/upstream.log" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["path"], d["headers"].get("authorization"))')"
sg_check "... the echoed secret masked in the answer" 0 \
    "$(grep -c -F -- "${SECRET#Bearer }" "$T/body")"
sg_check "a streamed answer (split in two pieces) is whole and masked" "200 /split 0" \
    "$(get EXAMPLE /split $CID "$TOK_A") $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["path"])' "$T/body") $(grep -c -F -- "${SECRET#Bearer }" "$T/body")"
rc=0
curl -s -o "$T/body" --max-time 20 -H "Proxy-Authorization: $(basic $CID "$TOK_A")" \
    "$B/EXAMPLE/die" 2>>"$T/curl.err" || rc=$?
sg_check "upstream dies mid-body -> the client's transfer fails" 1 \
    "$([ "$rc" -ne 0 ] && [ "$(wc -c <"$T/body")" -lt 200000 ] && echo 1)"
sg_check "another sandbox's token -> 403 secret_not_found" \
    "403 secret_not_found" \
    "$(get EXAMPLE /b $CID2 "$TOK_B") $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["error"])' "$T/body")"
sg_check "the upstream saw A's three calls only" $((n0 + 3)) "$(hits)"
sg_check "no log holds the secret" 0 "$(secret_in_logs)"
sg_done
