#!/bin/sh
# SPDX-License-Identifier: ISC
# The broker inside Apache (docs/secrets.md, "Inside Apache";
# deploy/apache/sga_broker.c).  First every check of t-secrets.sh,
# t-secrets-dns.sh and t-secrets-api.sh again with SG_BROKER_MODULE=1, so
# that mod_sandgate_authz's SandgateBroker makes the upstream call and
# secret-broker only decides, as the location's authorizer (each runs its
# own stack; the first to fail fails this test).  Then what only the
# module does, on a stack of its own with a session cache of 1000 ms (the
# services' default): the allow, secret and all, is reused without
# asking secret-broker again; a DELETE of the secret or the session's
# end is seen within that bound, and nothing reaches the upstream after;
# the secret's value and header never enter the request's environment
# (a mod_headers probe of %{SG_BROKER_VALUE}e sees none, of
# %{SG_CONTAINER_ID}e the sandbox's id), nor any log.  And the hand-off
# rule: secret-broker answers as an authorizer (the secret in its answer)
# only on a unix socket; on a TCP port it refuses (403 handoff_refused,
# nothing of the secret), asked by fcgi-authz.py as the module would.
here=$(dirname "$0")
export SG_BROKER_MODULE=1
for t in t-secrets t-secrets-dns t-secrets-api; do
	echo "# --- $t through the module"
	SG_BROKER_MODULE=1 sh "$here/$t.sh" ||
	    { echo "# $t failed through the module"; exit 1; }
done

echo "# --- the module's own"
. "$here/lib.sh"
SG_SESSION_CACHE_MS=1000
SG_SECRETS_APACHE_EXTRA="LoadModule headers_module /usr/lib/apache2/modules/mod_headers.so
Header always set X-Sg-Env-Probe \"c=%{SG_CONTAINER_ID}e v=%{SG_BROKER_VALUE}e h=%{SG_BROKER_HEADER}e r=%{SG_BROKER_RESOLVE}e\"
Header always set X-Sg-Env-Target \"t=%{SG_TARGET}e reused=%{SG_REUSED}e\""
. "$here/lib-secrets.sh"

B=http://127.0.0.1:$PPORT/broker
# get PATH -> the status; the answer's headers in $T/hdr
get()
{
	curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' --max-time 20 \
	    -H "Proxy-Authorization: $(basic $CID "$TOK_A")" "$B/EXAMPLE$1" \
	    2>>"$T/curl.err" || echo 000
}
asks() { grep -c '"event":"broker_authorize"' "$T/broker.log" || true; }
now_ms() { date +%s%3N; }

sg_check "a call through the module" 200 "$(get /one)"
sg_check "... arrived with the secret" "/one $SECRET" \
    "$(tail -n 1 "$T/upstream.log" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["path"], d["headers"].get("authorization"))')"
sg_check "the environment has the sandbox, not the secret" \
    "c=$CID v=(null) h=(null) r=(null)" \
    "$(tr -d '\r' <"$T/hdr" | sed -n 's/^X-Sg-Env-Probe: //p')"
a0=$(asks)
h0=$(hits)
# Six calls on one kept connection (one Apache process, one cache): one
# question, or two if the first allow's bound ran out on the way.
sg_check "six calls on one connection" "200 200 200 200 200 200 " \
    "$(curl -s --max-time 20 -H "Proxy-Authorization: $(basic $CID "$TOK_A")" \
        -w '%{http_code} ' $(for i in 1 2 3 4 5 6; do
            printf -- '-o /dev/null %s ' "$B/EXAMPLE/again"; done))"
sg_check "... all reached the upstream" $((h0 + 6)) "$(hits)"
sg_check "... on the kept allow: secret-broker asked once or twice" 1 \
    "$(n=$(( $(asks) - a0 )); [ $n -ge 1 ] && [ $n -le 2 ] && echo 1)"
# A call let through on a kept allow has its target and SG_REUSED=1 in
# the environment, for the access log and sandgate-budget-log's trail
# entries (decision_reused), as the proxy's do.
sg_check "a reused allow: the target and SG_REUSED for the logs" \
    "t=$H1 reused=1" \
    "$(curl -s -D - --max-time 20 -H "Proxy-Authorization: $(basic $CID "$TOK_A")" \
        -o /dev/null "$B/EXAMPLE/again" -o /dev/null "$B/EXAMPLE/again" |
        tr -d '\r' | sed -n 's/^X-Sg-Env-Target: //p' | tail -n 1)"

# poll WANT: 25 calls of /poll over about 2.5 s; prints how long after
# the first one the last answer that was not WANT came (0: none), then
# how many of the last five were WANT.  Each call is a new connection,
# so both of Apache's processes (each its own cache) are asked.
poll()
{
	_t0=$(now_ms)
	_last=0
	_tail=""
	_i=0
	while [ $_i -lt 25 ]; do
		_c=$(get /poll)
		[ "$_c" = "$1" ] || _last=$(( $(now_ms) - _t0 ))
		[ $_i -ge 20 ] && [ "$_c" = "$1" ] && _tail="$_tail."
		sleep 0.1
		_i=$((_i + 1))
	done
	echo "$_last ${#_tail}"
}
sg_check "calls just before the DELETE (kept: /poll)" "200 200 200" \
    "$(get /poll) $(get /poll) $(get /poll)"
"$SEAL" -d $CID EXAMPLE
set -- $(poll 403)
echo "# last allowed ${1} ms after the DELETE (bound: SANDGATE_SESSION_CACHE_MS 1000)"
sg_check "DELETE seen within the bound (+ 1 s margin), refused from then on" \
    "1 5" "$([ "$1" -le 2000 ] && echo 1) $2"
h0=$(hits)
sg_check "... refused again" 403 "$(get /poll)"
sg_check "... nothing reached the upstream after" "$h0" "$(hits)"
printf '%s\n' "$SECRET" | "$SEAL" "$T/keys/secret.key" $CID EXAMPLE "$H1" \
    Authorization 3600
sg_check "stored again -> 200 (kept: /poll)" "200 200 200" \
    "$(get /poll) $(get /poll) $(get /poll)"
SESSION_A=$(sg_redis GET "sandgate:session:$CID")
sg_redis DEL "sandgate:session:$CID" >/dev/null
set -- $(poll 401)
echo "# last allowed ${1} ms after the session's end"
sg_check "the session's end seen within the bound (+ 1 s margin)" "1 5" \
    "$([ "$1" -le 2000 ] && echo 1) $2"
sg_redis SET "sandgate:session:$CID" "$SESSION_A" EX 3600 >/dev/null

echo "# the hand-off: only on a unix socket"
FA="python3 $here/fcgi-authz.py"
CRED=$(basic $CID "$TOK_A")
sg_check "on its unix socket: 200 with the secret (the module's way)" \
    "Status: 200 OK|value|" \
    "$($FA "unix:$T/broker.sock" /broker/EXAMPLE/x "$CRED" | tr '\n' '|')"
TCPB=$(sg_free_port)
SANDGATE_SECRET_KEYS=$T/keys/secret.key SANDGATE_BROKER_CA_FILE=$P/ca.pem \
    sg_spawn broker-tcp $TCPB "$BROKER"
sg_check "on a TCP port: 403 handoff_refused, nothing of the secret" \
    "Status: 403 Forbidden|handoff_refused|" \
    "$($FA "127.0.0.1:$TCPB" /broker/EXAMPLE/x "$CRED" --secret "${SECRET#Bearer }" | tr '\n' '|')"
sg_check "no log holds the secret" 0 "$(secret_in_logs)"
sg_check "nor the TCP broker's" 0 \
    "$(grep -c -a -F -- "${SECRET#Bearer }" "$T/broker-tcp.log" || true)"
sg_done
