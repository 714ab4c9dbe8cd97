#!/bin/sh
# SPDX-License-Identifier: ISC
# The operator API of secrets (issue 18, docs/secrets.md), end to end
# with real components: lighttpd from deploy/lighttpd (token-verify as
# the authorizer, sandbox-create answering the secrets routes), the
# lib-secrets.sh stack (redis-server, Apache's /broker/ location,
# secret-broker, a TLS upstream with a test CA that records headers).
# Covers: PUT stores a secret the broker uses at once (the upstream gets
# the real value); PUT of the same name replaces it (200, new value
# upstream); GET lists names, hosts and base URLs and no byte of a value;
# DELETE stops the broker at once (403) and a second DELETE is 404;
# unknown sandbox 404; bad name, bad JSON, an extra field, a host outside
# the sandbox's allow-list -> 400 with Redis unchanged; a token without
# secrets:write -> 403 (with sessions:read for GET); a create whose
# secret host is not allowed -> 400 and nothing stored; Redis holds only
# ciphertext (DUMP of every key); no service log holds a byte of a value.
# A create with secrets against the real Docker engine (lib-docker.sh: a
# test image, an internal network): 201 with names and base URLs only,
# NAME_BASE_URL in the container's Env and no byte of the value in its
# inspect, the record sealed for the new id (the broker opens it); a
# second sandbox-create without Docker fails the create and leaves no
# secret behind.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-docker.sh"
. "$(dirname "$0")/lib-secrets.sh"
sg_ensure_dockerd
sg_build_test_image
sg_test_network
mkdir -p "$T/data"
sg_on_exit "sg_remove_sandboxes_of '$T/data'"

CREATE=$SG_BUILD/services/sandbox-create/sandbox-create
[ -x "$CREATE" ] || { echo "missing $CREATE (build first)" >&2; exit 1; }
# lib-secrets.sh sealed A's secrets with sb-seal: this test writes them
# through the API instead.
sg_redis DEL "sandgate:secrets:$CID" >/dev/null
SECRET2="Bearer sk-two-$(openssl rand -hex 20)"

op() { "$MINT" operator "$KEY1" "$ISS" ops "$1" 600 | cut -d' ' -f1; }
OP_W=$(op "secrets:write")
OP_R=$(op "sessions:read")
OP_C=$(op "sandboxes:create")
OP_NONE=$(op "sandboxes:update")

# ---- the API gateway, from deploy/'s config ------------------------------
S=$T/sock
W=$T/www
mkdir -p "$S" "$W/lighttpd/empty" "$W/lighttpd/errors" "$W/log" "$T/data"
chown -R www-data:www-data "$W"
export SANDGATE_SOCKET_MODE=0666
sg_spawn_sock verify-api "$S/token-verify-api.sock" "$VERIFY"
export SANDGATE_SIGNING_KEY=$KEY1 SANDGATE_PROXY_URL=http://127.0.0.1:$PPORT \
    SANDGATE_DATA_ROOT=$T/data SANDGATE_IMAGE=$SG_TEST_IMAGE \
    SANDGATE_NETWORK=$SG_TEST_NET SANDGATE_RUNTIME=${SG_RUNTIME:-runsc} \
    SANDGATE_SECRET_KEYS=$T/keys/secret.key
SANDGATE_DOCKER_SOCKET=$SG_DOCKER_SOCK \
    sg_spawn_sock create "$S/sandbox-create.sock" "$CREATE"
unset SANDGATE_SOCKET_MODE
# the same service without Docker (cgi-fcgi), for a create failing late
NPORT=$(sg_free_port)
SANDGATE_DOCKER_SOCKET=$T/no-docker.sock SANDGATE_DOCKER_TIMEOUT=2 \
    sg_spawn create-nodocker $NPORT "$CREATE"
LPORT=$(sg_free_port)
sed -e "s|@RUNDIR@|$W|g" -e "s|@LOGDIR@|$W/log|g" \
    -e "s|@SOCKDIR@|$S|g" -e "s|@API_ADDR@|127.0.0.1|g" \
    -e "s|@PORT_API@|$LPORT|g" -e "s|@PORT_METRICS@|$(sg_free_port)|g" -e "s|@WWW_USER@|www-data|g" \
    -e "s|@WWW_GROUP@|www-data|g" \
    "$SG_TOP/deploy/lighttpd/sandgate-api.conf.in" >"$W/lighttpd/lighttpd.conf"
cp "$SG_TOP/deploy/lighttpd/errors/404.html" "$W/lighttpd/errors/"
lighttpd -D -f "$W/lighttpd/lighttpd.conf" 2>>"$T/lighttpd.log" &
sg_track_pid $!
sg_wait_tcp 127.0.0.1 $LPORT
API=http://127.0.0.1:$LPORT

# api TOKEN METHOD PATH [BODY]: status; body in $T/a (also kept in $T/seen)
api()
{
	_t=$1 _m=$2 _p=$3
	shift 3
	curl -s -o "$T/a" -w '%{http_code}' --max-time 10 -X "$_m" \
	    -H "Authorization: Bearer $_t" ${1:+-H 'Content-Type: application/json'} \
	    ${1:+--data-binary "$1"} "$API$_p" 2>>"$T/curl.err" || echo 000
	cat "$T/a" >>"$T/seen"
}
code() { jq -r '.error // empty' <"$T/a" 2>/dev/null; }
B=http://127.0.0.1:$PPORT/broker
bcall()	# NAME: the sandbox A's call through the broker; status
{
	curl -s -o "$T/body" -w '%{http_code}' --max-time 20 \
	    -H "Proxy-Authorization: $(basic $CID "$TOK_A")" "$B/$1/v1/x" \
	    2>>"$T/curl.err" || echo 000
	cat "$T/body" >>"$T/seen"
}
upstream_auth() { tail -n 1 "$T/upstream.log" | jq -r '.headers.authorization'; }
body_of() { printf '{"host":"%s","header":"Authorization","value":"%s"}' "$1" "$2"; }
SP=/v1/sandboxes/$CID/secrets
: >"$T/seen"

echo "# PUT: stored, used by the broker at once"
sg_check "broker before any PUT -> 403" 403 "$(bcall EXAMPLE)"
sg_check "PUT new -> 201" 201 "$(api "$OP_W" PUT $SP/EXAMPLE "$(body_of "$H1" "$SECRET")")"
sg_check "PUT answer: name, host, base_url" "EXAMPLE $H1 http://127.0.0.1:$PPORT/broker/EXAMPLE" \
    "$(jq -r '"\(.name) \(.host) \(.base_url)"' <"$T/a")"
sg_check "broker right after PUT -> 200" 200 "$(bcall EXAMPLE)"
sg_check "upstream got the real secret" "$SECRET" "$(upstream_auth)"
sg_check "PUT same name -> 200 (replaced)" 200 \
    "$(api "$OP_W" PUT $SP/EXAMPLE "$(body_of "$H1" "$SECRET2")")"
sg_check "broker uses the new value at once" "200 $SECRET2" "$(bcall EXAMPLE) $(upstream_auth)"
sg_check "PUT a second name -> 201" 201 \
    "$(api "$OP_W" PUT $SP/SECOND_1 "$(body_of "localhost:$UPORT2" "$SECRET")")"

echo "# GET: names and hosts, never a value"
sg_check "GET -> 200" 200 "$(api "$OP_R" GET $SP)"
sg_check "GET lists both, sorted" "EXAMPLE $H1,SECOND_1 localhost:$UPORT2" \
    "$(jq -r '[.secrets[] | "\(.name) \(.host)"] | join(",")' <"$T/a")"
sg_check "GET fields are name, host, base_url only" '["base_url","host","name"]' \
    "$(jq -c '[.secrets[] | keys] | unique | .[0]' <"$T/a")"
sg_check "GET of a sandbox without secrets -> []" "200 0" \
    "$(api "$OP_R" GET /v1/sandboxes/$CID2/secrets) $(jq '.secrets | length' <"$T/a")"

echo "# refusals"
sg_check "PUT without secrets:write -> 403" 403 \
    "$(api "$OP_NONE" PUT $SP/EXAMPLE "$(body_of "$H1" "$SECRET")")"
sg_check "PUT with sessions:read only -> 403" 403 \
    "$(api "$OP_R" PUT $SP/EXAMPLE "$(body_of "$H1" "$SECRET")")"
sg_check "DELETE without secrets:write -> 403" 403 "$(api "$OP_NONE" DELETE $SP/EXAMPLE)"
sg_check "GET without sessions:read -> 403" 403 "$(api "$OP_W" GET $SP)"
sg_check "PUT unknown sandbox -> 404" "404 not_found" \
    "$(api "$OP_W" PUT /v1/sandboxes/sandbox_NOPE/secrets/EXAMPLE "$(body_of "$H1" v)") $(code)"
sg_check "GET unknown sandbox -> 404" 404 "$(api "$OP_R" GET /v1/sandboxes/sandbox_NOPE/secrets)"
sg_check "PUT bad name -> 400" "400 bad_secret" \
    "$(api "$OP_W" PUT $SP/lower "$(body_of "$H1" v)") $(code)"
sg_check "PUT bad JSON -> 400" 400 "$(api "$OP_W" PUT $SP/EXAMPLE '{"host":')"
sg_check "PUT extra field -> 400" "400 bad_secret" \
    "$(api "$OP_W" PUT $SP/EXAMPLE "{\"host\":\"$H1\",\"header\":\"A\",\"value\":\"v\",\"name\":\"EXAMPLE\"}") $(code)"
sg_check "PUT host not in the allow-list -> 400" "400 secret_host_not_allowed" \
    "$(api "$OP_W" PUT $SP/EVIL "$(body_of evil.example.com "$SECRET")") $(code)"
sg_check "... with a sentence" 1 "$(jq -r '.message' <"$T/a" | grep -c allowed_hosts)"
sg_check "POST on a secret -> 403 unknown_route (the authorizer's table)" \
    "403 unknown_route" "$(api "$OP_W" POST $SP/EXAMPLE "$(body_of "$H1" v)") $(code)"
sg_check "refused PUTs changed nothing" "EXAMPLE SECOND_1" \
    "$(sg_redis HKEYS "sandgate:secrets:$CID" | sort | tr '\n' ' ' | sed 's/ $//')"
sg_check "the value stayed the replaced one" "200 $SECRET2" "$(bcall EXAMPLE) $(upstream_auth)"

echo "# create: a secret's host must be allowed; nothing left half-way"
CB='{"user_id":"user_1","organization_uuid":"'$ORG'","allowed_hosts":["'$H1'"],"secrets":[{"name":"EXAMPLE","host":"%s","header":"Authorization","value":"'$SECRET'"}]}'
n0=$(sg_redis --scan --pattern 'sandgate:secrets:*' | wc -l)
sg_check "create with a secret host not allowed -> 400" "400 secret_host_not_allowed" \
    "$(api "$OP_C" POST /v1/sandboxes "$(printf "$CB" evil.example.com)") $(code)"
R=$(SG_KIND=operator SG_SCOPE=sandboxes:create SG_SUB=ops \
    sg_fcgi $NPORT POST /v1/sandboxes "$(printf "$CB" "$H1")")
sg_body "$R" >>"$T/seen"
sg_check "create with secrets, Docker down -> 503" 503 "$(sg_status "$R")"
sg_check "... and no secret stored" "$n0" \
    "$(sg_redis --scan --pattern 'sandgate:secrets:*' | wc -l)"

echo "# create with secrets against Docker"
sg_check "create with secrets -> 201" 201 \
    "$(api "$OP_C" POST /v1/sandboxes "$(printf "$CB" "$H1")")"
NEW=$(jq -r .container_id <"$T/a")
NEWTOK=$(jq -r .token <"$T/a")
sg_check "answer: names, hosts, base URLs" \
    "[{\"name\":\"EXAMPLE\",\"host\":\"$H1\",\"base_url\":\"http://127.0.0.1:$PPORT/broker/EXAMPLE\"}]" \
    "$(jq -c .secrets <"$T/a")"
"$SG_DOCKER" inspect "$NEW" >"$T/inspect.json" 2>>"$T/docker.err"
sg_check "the sandbox's env has EXAMPLE_BASE_URL" 1 \
    "$(jq -r '.[0].Config.Env[]' <"$T/inspect.json" |
       grep -c -x "EXAMPLE_BASE_URL=http://127.0.0.1:$PPORT/broker/EXAMPLE")"
sg_check "no byte of the value in the container's inspect" 0 \
    "$(grep -c -a -F -- "${SECRET#Bearer }" "$T/inspect.json")"
sg_check "no byte of the value in its environment, as it sees it" 0 \
    "$("$SG_DOCKER" exec "$NEW" cat /proc/1/environ 2>/dev/null | tr '\0' '\n' |
       grep -c -a -F -- "${SECRET#Bearer }")"
sg_check "the record is in the new sandbox's hash" EXAMPLE \
    "$(sg_redis HKEYS "sandgate:secrets:$NEW")"
sg_check "... with the session's TTL" 1 \
    "$([ "$(sg_redis TTL "sandgate:secrets:$NEW")" -gt 3000 ] && echo 1)"
# The new sandbox's token is bound to its address on the test network;
# the test calls from loopback, so the session's address is moved there
# (the broker's decision is token-verify's, t-secrets covers binding).
sg_redis SET "sandgate:session:$NEW" \
    "$(sg_redis GET "sandgate:session:$NEW" | jq -c '.container_ip = "127.0.0.1"')" \
    KEEPTTL >/dev/null
sg_check "the broker opens the create's record for the new sandbox" "200 $SECRET" \
    "$(curl -s -o "$T/body" -w '%{http_code}' --max-time 20 \
        -H "Proxy-Authorization: $(basic "$NEW" "$NEWTOK")" "$B/EXAMPLE/v1/new" \
        2>>"$T/curl.err"; cat "$T/body" >>"$T/seen") $(upstream_auth)"
"$SG_DOCKER" rm -f "$NEW" >/dev/null 2>&1

echo "# create failing after its secrets are written: the undo deletes them"
# An ACL user that may do everything but SET: the secrets (EVAL, HSET)
# are written, then the session (MULTI/SET) is refused.
sg_redis ACL SETUSER latefail on '>pw-late-1' '~*' '&*' '+@all' '-set' >/dev/null
LPORT2=$(sg_free_port)
SANDGATE_DOCKER_SOCKET=$SG_DOCKER_SOCK SANDGATE_REDIS_USER=latefail \
    SANDGATE_REDIS_PASSWORD=pw-late-1 sg_spawn create-late $LPORT2 "$CREATE"
n0=$(sg_redis --scan --pattern 'sandgate:secrets:*' | wc -l)
R=$(SG_KIND=operator SG_SCOPE=sandboxes:create SG_SUB=ops \
    sg_fcgi $LPORT2 POST /v1/sandboxes "$(printf "$CB" "$H1")")
sg_body "$R" >>"$T/seen"
sg_check "session write refused -> 5xx" 1 "$(case $(sg_status "$R") in 5*) echo 1 ;; esac)"
sg_check "... failed at the session step, after the secrets" 1 \
    "$(grep -c '"sandbox_create_failed".*"step":"session"' "$T/create-late.log")"
sg_check "... no secret left" "$n0" "$(sg_redis --scan --pattern 'sandgate:secrets:*' | wc -l)"
sg_check "... no container left" "" "$(sg_sandboxes_of "$T/data")"

echo "# ... and when the undo's session delete fails too"
# DEL refused everywhere but on the secrets' keys (a Redis 7 selector):
# the undo cannot delete the session key, and still deletes the secrets.
sg_redis ACL SETUSER nodel on '>pw-late-2' '~*' '&*' '+@all' '-set' '-del' \
    '(~sandgate:secrets:* +del)' >/dev/null
LPORT3=$(sg_free_port)
SANDGATE_DOCKER_SOCKET=$SG_DOCKER_SOCK SANDGATE_REDIS_USER=nodel \
    SANDGATE_REDIS_PASSWORD=pw-late-2 sg_spawn create-nodel $LPORT3 "$CREATE"
R=$(SG_KIND=operator SG_SCOPE=sandboxes:create SG_SUB=ops \
    sg_fcgi $LPORT3 POST /v1/sandboxes "$(printf "$CB" "$H1")")
sg_body "$R" >>"$T/seen"
sg_check "session write and delete refused -> 5xx" 1 \
    "$(case $(sg_status "$R") in 5*) echo 1 ;; esac)"
sg_check "... the undo's session delete failed" 1 \
    "$([ "$(grep -c 'NOPERM' "$T/create-nodel.log")" -ge 1 ] && echo 1)"
sg_check "... still no secret left" "$n0" \
    "$(sg_redis --scan --pattern 'sandgate:secrets:*' | wc -l)"
sg_check "... no container left" "" "$(sg_sandboxes_of "$T/data")"

echo "# Redis holds only ciphertext"
sg_redis --scan >"$T/keys.txt"
: >"$T/dump.txt"
while read -r k; do
	sg_redis --no-raw DUMP "$k" >>"$T/dump.txt"
	sg_redis --no-raw HGETALL "$k" >>"$T/dump.txt" 2>/dev/null
done <"$T/keys.txt"
for v in "$SECRET" "$SECRET2"; do
	sg_check "no value in DUMP/HGETALL of every key" 0 \
	    "$(grep -c -a -F -- "${v#Bearer }" "$T/dump.txt")"
done
sg_check "the hash has the session's TTL" 1 \
    "$([ "$(sg_redis TTL "sandgate:secrets:$CID")" -gt 3000 ] && echo 1)"

echo "# DELETE stops it at once"
sg_check "DELETE -> 200" 200 "$(api "$OP_W" DELETE $SP/EXAMPLE)"
sg_check "broker right after DELETE -> 403 secret_not_found" "403 secret_not_found" \
    "$(bcall EXAMPLE) $(jq -r .error <"$T/body")"
sg_check "DELETE again -> 404" "404 secret_not_found" "$(api "$OP_W" DELETE $SP/EXAMPLE) $(code)"
sg_check "GET lists the one left" "SECOND_1" \
    "$(api "$OP_R" GET $SP >/dev/null; jq -r '[.secrets[].name] | join(",")' <"$T/a")"

echo "# no byte of a value in any answer or any log"
for v in "$SECRET" "$SECRET2"; do
	sg_check "answers" 0 "$(grep -c -a -F -- "${v#Bearer }" "$T/seen")"
	for f in "$T/create.log" "$T/create-nodocker.log" "$T/create-late.log" \
	    "$T/create-nodel.log" \
	    "$T/verify-api.log" "$T/broker.log" \
	    "$T/verify.log" "$T/lighttpd.log" "$W"/log/*.log \
	    "$T/apache-error.log" "$A"/log/*.log; do
		[ -e "$f" ] || continue
		sg_check "log ${f##*/}" 0 "$(grep -c -a -F -- "${v#Bearer }" "$f")"
	done
done
sg_check "create log names the secret" 1 \
    "$([ "$(grep -c 'secret_put' "$T/create.log")" -gt 0 ] && echo 1)"

sg_done
