# SPDX-License-Identifier: ISC
# The demonstration: a stand-in for "a host on the internet", the API
# with the operator token, a demo sandbox and what it shows, the summary.

# The stand-in for "a host on the internet": HTTP and HTTPS on loopback,
# and the same HTTP server on the gateway address, where a sandbox could
# reach it directly if the firewall let it.
sg_run_target()
{
	sg_run_alive target && sg_run_alive target-tls && return 0
	sg_run_kill target
	sg_run_kill target-tls
	_tls=$SG_RUNDIR/tls
	if [ ! -s "$_tls/cert.pem" ]; then
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		    -nodes -subj /CN=localhost -addext subjectAltName=DNS:localhost \
		    -days 30 -keyout "$_tls/key.pem" -out "$_tls/cert.pem" \
		    2>/dev/null || sg_run_die "openssl req failed"
	fi
	# Readable from inside a sandbox (uid 65534) through /mnt/skills.
	mkdir -p "$SG_DATADIR/skills"
	chgrp 65534 "$SG_DATADIR/skills"
	chmod 750 "$SG_DATADIR/skills"
	cp "$_tls/cert.pem" "$SG_DATADIR/skills/demo-ca.pem"
	chmod 644 "$SG_DATADIR/skills/demo-ca.pem"
	setsid python3 "$SG_TOP/deploy/demo/target.py" --name http \
	    "127.0.0.1:$SG_TARGET_PORT" "[::1]:$SG_TARGET_PORT" \
	    "$SG_GATEWAY_IP:$SG_TARGET_PORT" </dev/null >/dev/null \
	    2>>"$SG_LOGDIR/target.log" &
	echo $! > "$SG_PIDDIR/target.pid"
	sg_run_record "target"
	setsid python3 "$SG_TOP/deploy/demo/target.py" --name https \
	    --tls "$_tls/cert.pem" "$_tls/key.pem" \
	    "127.0.0.1:$SG_TARGET_TLS_PORT" "[::1]:$SG_TARGET_TLS_PORT" \
	    </dev/null >/dev/null 2>>"$SG_LOGDIR/target.log" &
	echo $! > "$SG_PIDDIR/target-tls.pid"
	sg_run_record "target-tls"
	sg_wait_tcp 127.0.0.1 "$SG_TARGET_PORT" &&
	    sg_wait_tcp 127.0.0.1 "$SG_TARGET_TLS_PORT" ||
	    sg_run_die "demo target did not start (see $SG_LOGDIR/target.log)"
}

# sg_run_api METHOD PATH [JSON]: curl the API gateway with the operator
# token; prints the body, then a last line with the HTTP status.
sg_run_api()
{
	if [ $# -ge 3 ]; then
		curl -sS -m 60 -X "$1" -H "Authorization: Bearer $SG_OPTOKEN" \
		    -H 'Content-Type: application/json' --data-binary "$3" \
		    -w '\n%{http_code}\n' "$SG_API_URL$2"
	else
		curl -sS -m 60 -X "$1" -H "Authorization: Bearer $SG_OPTOKEN" \
		    -w '\n%{http_code}\n' "$SG_API_URL$2"
	fi
}


# sg_run_in ID CMD: a shell command inside the sandbox (as its user, with
# its environment: HTTP_PROXY & co. carry the token).
sg_run_in()
{
	docker exec "$1" sh -c "$2"
}

sg_run_demo_sandbox()
{
	if [ -s "$SG_RUNDIR/demo.sandbox" ]; then
		SG_DEMO_ID=$(cat "$SG_RUNDIR/demo.sandbox")
		if sg_run_api GET "/v1/sessions/$SG_DEMO_ID" | tail -n 1 |
		    grep -q '^200$' &&
		    [ "$(docker inspect -f '{{.State.Running}}' "$SG_DEMO_ID" 2>/dev/null)" = true ]; then
			return 0
		fi
		sg_run_api DELETE "/v1/sandboxes/$SG_DEMO_ID" >/dev/null 2>&1 || true
		rm -f "$SG_RUNDIR/demo.sandbox"
	fi
	_out=$(sg_run_api POST /v1/sandboxes "{\"user_id\":\"demo\",\"organization_uuid\":\"00000000-0000-4000-8000-000000000001\",\"allowed_hosts\":[\"localhost:$SG_TARGET_PORT\",\"localhost:$SG_TARGET_TLS_PORT\"],\"duration_hours\":4}")
	_st=$(printf '%s\n' "$_out" | tail -n 1)
	[ "$_st" = 201 ] || sg_run_die "POST /v1/sandboxes answered $_st: $(printf '%s\n' "$_out" | head -n 1)"
	SG_DEMO_ID=$(printf '%s\n' "$_out" | head -n 1 | jq -r .container_id)
	echo "$SG_DEMO_ID" > "$SG_RUNDIR/demo.sandbox"
}

sg_run_demo()
{
	sg_run_demo_sandbox
	_id=$SG_DEMO_ID
	_c="curl -sS --max-time 10 --noproxy ''"
	echo
	echo "== Demo sandbox $_id"
	echo "   (user demo; allowed_hosts localhost:$SG_TARGET_PORT, localhost:$SG_TARGET_TLS_PORT;"
	echo "    runtime $SG_RUNTIME; its HTTP_PROXY is http://container_<id>:jwt_<token>@$SG_GATEWAY_IP:$SG_PROXY_PORT)"
	echo "   The sandbox's NO_PROXY names localhost (its own loopback); --noproxy ''"
	echo "   sends these requests for the *host's* loopback demo target to the proxy."
	echo
	echo "-- 1. allowed host, plain HTTP through the proxy:"
	echo "   \$ curl http://localhost:$SG_TARGET_PORT/hello"
	sg_run_in "$_id" "$_c -w '   -> HTTP %{http_code}\n' http://localhost:$SG_TARGET_PORT/hello" || true
	echo "-- 2. allowed host, HTTPS through a CONNECT tunnel:"
	echo "   \$ curl --cacert /mnt/skills/demo-ca.pem https://localhost:$SG_TARGET_TLS_PORT/secure"
	sg_run_in "$_id" "$_c --cacert /mnt/skills/demo-ca.pem -w '   -> HTTP %{http_code}\n' https://localhost:$SG_TARGET_TLS_PORT/secure" || true
	echo "-- 3. a host that is not allowed (same server, by address) is refused:"
	echo "   \$ curl http://127.0.0.1:$SG_TARGET_PORT/"
	sg_run_in "$_id" "$_c -o /dev/null -w '   -> HTTP %{http_code} (refused by the proxy)\n' http://127.0.0.1:$SG_TARGET_PORT/" || true
	echo "-- 4. an allowed host on another port is refused:"
	echo "   \$ curl https://localhost:443/"
	sg_run_in "$_id" "$_c -o /dev/null -w '   -> CONNECT answered %{http_connect} (refused by the proxy)\n' https://localhost:443/ 2>/dev/null" || true
	echo "-- 5. private-address rule: OFF on :$SG_PROXY_PORT for this demo, because the demo"
	echo "   target is on loopback; it is ON by default (SANDGATE_EGRESS_DENY_PRIVATE=1), as"
	echo "   on the second proxy :$SG_STRICT_PORT, which refuses the same allowed request:"
	sg_run_in "$_id" "$_c -x \"\${HTTP_PROXY%:$SG_PROXY_PORT}:$SG_STRICT_PORT\" -o /dev/null -w '   -> HTTP %{http_code} (loopback target refused)\n' http://localhost:$SG_TARGET_PORT/hello" || true
	echo "-- 6. no other way out: the same target listens on the gateway address"
	echo "   $SG_GATEWAY_IP:$SG_TARGET_PORT too, but a direct connection fails:"
	echo "   \$ curl --noproxy '*' http://$SG_GATEWAY_IP:$SG_TARGET_PORT/"
	if sg_run_in "$_id" "curl -sS --noproxy '*' --connect-timeout 2 -o /dev/null http://$SG_GATEWAY_IP:$SG_TARGET_PORT/" 2>/dev/null; then
		echo "   -> CONNECTED: the firewall rules are missing!"
	else
		echo "   -> no connection (only the proxy port is open to sandboxes)"
	fi
	echo "-- 7. no name server answers inside (only the proxy resolves names):"
	echo "   \$ nslookup example.com"
	if sg_run_in "$_id" "timeout 8 nslookup example.com" >/dev/null 2>&1; then
		echo "   -> RESOLVED: the sandbox reaches a name server!"
	else
		echo "   -> nothing resolves (tests/integration/t-dns.sh proves no query leaves)"
	fi
	echo "-- 8. the session, as GET /v1/sessions/$_id returns it:"
	sg_run_api GET "/v1/sessions/$_id" | head -n 1 | jq . | sed 's/^/   /'
}

sg_run_summary()
{
	cat <<EOF

== sandgate is running (state in $SG_RUNDIR)
   API gateway ($SG_API_SERVER)   $SG_API_URL
   egress proxy (Apache)   $SG_PROXY_URL   (sandbox network $SG_NETWORK, $SG_SUBNET)
   strict proxy (Apache)   http://$SG_GATEWAY_IP:$SG_STRICT_PORT   (private addresses refused)
   egress probe (Apache)   ${SG_PROBE_PORT:+http://127.0.0.1:$SG_PROBE_PORT/readyz}${SG_PROBE_PORT:-off}
   token-verify (egress)   127.0.0.1:$SG_VERIFY_PORT, 127.0.0.1:$SG_VERIFY_STRICT_PORT
   services (FastCGI)      $SG_SOCKDIR/*.sock, $SG_PROCS processes each
   redis                   $SG_SOCKDIR/redis.sock
   demo target             http://localhost:$SG_TARGET_PORT  https://localhost:$SG_TARGET_TLS_PORT
   sandbox runtime         $SG_RUNTIME${SG_RUNTIME_PLATFORM:+ (gVisor, platform $SG_RUNTIME_PLATFORM)}
   logs                    $SG_LOGDIR

   Try the API (operator token in $SG_RUNDIR/operator.token):
     TOKEN=\$(cat $SG_RUNDIR/operator.token)
     curl -s $SG_API_URL/.well-known/jwks.json
     curl -s -H "Authorization: Bearer \$TOKEN" '$SG_API_URL/v1/sessions?user_id=demo'
     curl -s -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' \\
       -d '{"user_id":"alice","organization_uuid":"00000000-0000-4000-8000-000000000002","allowed_hosts":["localhost:$SG_TARGET_PORT"]}' \\
       $SG_API_URL/v1/sandboxes
     curl -s -X DELETE -H "Authorization: Bearer \$TOKEN" $SG_API_URL/v1/sandboxes/<container_id>
     curl -s -H "Authorization: Bearer \$TOKEN" $SG_API_URL/metrics
     curl -s -H "Authorization: Bearer \$TOKEN" $SG_API_URL/v1/sessions/<container_id>/decisions
     docker exec -it <container_id> sh     # then: curl --noproxy '' http://localhost:$SG_TARGET_PORT/

   Reap sandboxes whose token expired (production: sandgate-reap.timer):
     env \$(cat $SG_RUNDIR/sandgate.env) $SG_CLI reap --dry-run

   Stop everything: ./run.sh stop
EOF
}
