# SPDX-License-Identifier: ISC
# The stack as a whole: start what is not running, stop everything
# started, say what runs.

# Start every part that is not running yet (no install, no build, no demo).
sg_run_start_stack()
{
	sg_run_check_binaries
	sg_run_dirs
	sg_run_keys
	sg_run_redis
	sg_run_dockerd
	sg_run_image
	sg_run_runtime
	sg_run_env
	sg_run_network
	sg_run_firewall
	sg_run_target
	sg_run_services
	sg_run_apache
	sg_run_api_server
	sg_run_operator_token
}

sg_run_stop()
{
	sg_run_config
	[ -d "$SG_RUNDIR" ] || return 0
	# The demo sandbox through the API while it still runs (container
	# and session go together); directly through Docker otherwise.
	if [ -s "$SG_RUNDIR/demo.sandbox" ]; then
		_id=$(cat "$SG_RUNDIR/demo.sandbox")
		SG_OPTOKEN=$(cat "$SG_RUNDIR/operator.token" 2>/dev/null || true)
		if ! sg_run_api DELETE "/v1/sandboxes/$_id" 2>/dev/null |
		    tail -n 1 | grep -q '^204$'; then
			docker rm -f "$_id" >/dev/null 2>&1 || true
		fi
		rm -f "$SG_RUNDIR/demo.sandbox"
	fi
	for _s in api-lighttpd api-nginx apache secret-broker \
	    token-verify-strict token-verify-egress \
	    sandbox-destroy sandbox-create session-query token-verify-api \
	    token-issuer target target-tls redis; do
		sg_run_kill "$_s"
	done
	# Anything else started through sg_run_spawn (tests add their own,
	# e.g. token-verify-mod): every pidfile but the engine's, which
	# goes last, after the networks it serves.
	for _f in "$SG_PIDDIR"/*.pid; do
		[ -f "$_f" ] || continue
		_s=$(basename "$_f" .pid)
		[ "$_s" = dockerd ] || sg_run_kill "$_s"
	done
	if [ -s "$SG_RUNDIR/firewall.loaded" ]; then
		nft delete table inet "$(cat "$SG_RUNDIR/firewall.loaded")" 2>/dev/null || true
		nft delete table bridge "$(cat "$SG_RUNDIR/firewall.loaded")" 2>/dev/null || true
		nft delete table inet "$(cat "$SG_RUNDIR/firewall.loaded")_limits" 2>/dev/null || true
		rm -f "$SG_RUNDIR/firewall.loaded"
	fi
	if [ -s "$SG_RUNDIR/network.created" ]; then
		docker network rm "$(cat "$SG_RUNDIR/network.created")" >/dev/null 2>&1 ||
		    sg_run_say "network $(cat "$SG_RUNDIR/network.created") still in use: kept"
		rm -f "$SG_RUNDIR/network.created"
	fi
	sg_run_kill dockerd
	rm -f "$SG_SOCKDIR"/*.sock
}

sg_run_status()
{
	sg_run_config
	for _s in redis dockerd target target-tls token-issuer token-verify-api \
	    session-query sandbox-create sandbox-destroy token-verify-egress \
	    token-verify-strict secret-broker apache api-lighttpd api-nginx; do
		if sg_run_alive "$_s"; then
			printf '%-22s running (%s)\n' "$_s" "$(sg_run_pids "$_s")"
		elif [ -f "$SG_PIDDIR/$_s.pid" ]; then
			printf '%-22s DEAD\n' "$_s"
		fi
	done
	# The runtime chosen at start, and what the engine says now.
	if [ -s "$SG_RUNDIR/runtime" ]; then
		_rt=$(awk '$1 == "runtime" { print $2 }' "$SG_RUNDIR/runtime")
		_rp=$(awk '$1 == "platform" { print $2 }' "$SG_RUNDIR/runtime")
		if [ "$_rt" = runc ]; then
			_now="runc: no gVisor, shared host kernel"
		elif sg_gvisor_listed "$SG_DOCKER_SOCKET" "$_rt"; then
			_now="registered, platform $(sg_gvisor_platform "$SG_DOCKER_SOCKET" "$_rt")"
		else
			_now="NOT registered with the engine now"
		fi
		printf '%-22s %s (platform %s at start; %s)\n' "sandbox runtime" \
		    "$_rt" "$_rp" "$_now"
	fi
	[ -s "$SG_RUNDIR/demo.sandbox" ] &&
	    echo "demo sandbox           $(cat "$SG_RUNDIR/demo.sandbox")"
	return 0
}
