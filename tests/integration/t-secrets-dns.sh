#!/bin/sh
# SPDX-License-Identifier: ISC
# The broker connects only to addresses it resolved and checked itself
# (docs/secrets.md, "The upstream's address"): libcurl is handed the
# addresses (CURLOPT_RESOLVE) and never asks the name again, so a name
# whose answer changes after the check (DNS rebinding) cannot carry the
# secret elsewhere.  The stack of t-secrets.sh, with sandgate's resolver
# pointed at dnsd.py (SANDGATE_DNS_SERVERS) and the system's left alone:
# the test's name exists only for sandgate's resolver, and dnsd.py
# answers it with 127.0.0.1 (the upstream) once, then 127.0.0.2 (nothing
# listens).  Without the pin libcurl's own lookup fails (502).
. "$(dirname "$0")/lib.sh"

PIN_HOST=pin.sgpin.test		# RFC 6761: .test never reaches the real DNS
DPORT=$(sg_free_port)
export SANDGATE_DNS_SERVERS=127.0.0.1:$DPORT
export SANDGATE_DNS_TIMEOUT_MS=2000
SG_SECRETS_SAN=$PIN_HOST
. "$(dirname "$0")/lib-secrets.sh"

python3 "$SG_TOP/tests/integration/dnsd.py" 127.0.0.1 "$DPORT" "$T/dns.log" \
    2>>"$T/dnsd.err" &
sg_track_pid $!
sg_wait_file "$T/dns.log.ready"
a_queries() { grep -c "^$PIN_HOST 1\$" "$T/dns.log" || true; }

CID3=sandbox_PPPPPPPPPPPPPPPPPPPPPP
H3=$PIN_HOST:$UPORT
mint_c $CID3 "$H3"
TOK_P=$TOK
put_session $CID3 "$JTI" "$EXP" "[\"$H3\"]" "$TOK_P"
printf '%s\n' "$SECRET" | "$SEAL" "$T/keys/secret.key" $CID3 PINNED "$H3" \
    Authorization 3600
sg_check "sealed for $H3" 0 $?

# get PATH -> the status; the answer in $T/body
get()
{
	curl -s -o "$T/body" -w '%{http_code}' --max-time 20 \
	    -H "Proxy-Authorization: $(basic $CID3 "$TOK_P")" \
	    "http://127.0.0.1:$PPORT/broker/PINNED$1" 2>>"$T/curl.err" ||
	    echo 000
}

sg_check "the system's resolver does not know $PIN_HOST" unknown \
    "$(if getent hosts "$PIN_HOST" >/dev/null; then echo known; else
        echo unknown; fi)"
n0=$(hits)
sg_check "broker call to a name only sandgate's resolver knows" 200 \
    "$(get /first)"
sg_check "... reached the upstream with the secret" "/first $SECRET" \
    "$(tail -n 1 "$T/upstream.log" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["path"], d["headers"].get("authorization"))')"
sg_check "... after one A query" 1 "$(a_queries)"
sg_check "a second call goes to the address checked, not the rebound one" \
    200 "$(get /second)"
sg_check "... and the name was not asked again (the resolver's TTL cache)" \
    1 "$(a_queries)"
sg_check "the upstream saw both" $((n0 + 2)) "$(hits)"
sg_check "localhost still resolves for the other secrets (/etc/hosts)" 200 \
    "$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 \
        -H "Proxy-Authorization: $(basic $CID "$TOK_A")" \
        "http://127.0.0.1:$PPORT/broker/EXAMPLE/x" || echo 000)"
sg_check "no log of the broker, token-verify or Apache holds the secret" 0 "$(secret_in_logs)"
sg_done
