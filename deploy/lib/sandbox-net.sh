# SPDX-License-Identifier: ISC
# The sandbox side of the engine: the runtime (gVisor; runc only when
# asked for), the sandbox image, the internal network and its firewall.

# The runtime sandboxes run under: gVisor's runsc (the contract's
# default), or runc only when SG_RUNTIME or SANDGATE_RUNTIME says runc.
# Asked for runsc, the engine must list it (sg_dockerd_ensure registers
# it) and start a container with it here; otherwise we stop with the
# reason: no silent fallback to a runtime that shares the host kernel.
# Sets SG_RUNTIME and SG_RUNTIME_PLATFORM; both go to $SG_RUNDIR/runtime
# for `run.sh status`.
sg_run_runtime()
{
	SG_RUNTIME=${SG_RUNTIME:-${SANDGATE_RUNTIME:-runsc}}
	SG_RUNTIME_PLATFORM=""
	_rs=$SG_DOCKER_SOCKET
	if [ "$SG_RUNTIME" = runc ]; then
		sg_run_say "WARNING: runtime runc asked for: sandboxes share the host kernel (no gVisor; see docs/deploy.md)"
	else
		sg_gvisor_listed "$_rs" "$SG_RUNTIME" ||
		    sg_run_die "the Docker engine on $_rs has no runtime $SG_RUNTIME (register it: deploy/gvisor/register, docs/deploy.md; or SG_RUNTIME=runc to run without gVisor)"
		SG_RUNTIME_PLATFORM=$(sg_gvisor_platform "$_rs" "$SG_RUNTIME")
		if ! _err=$(docker -H "unix://$_rs" run --rm --runtime "$SG_RUNTIME" \
		    --network none "$SG_IMAGE" true 2>&1); then
			sg_run_die "runtime $SG_RUNTIME (platform $SG_RUNTIME_PLATFORM) cannot start a container here: $_err"
		fi
	fi
	printf 'runtime %s\nplatform %s\n' "$SG_RUNTIME" \
	    "${SG_RUNTIME_PLATFORM:--}" > "$SG_RUNDIR/runtime"
}

sg_run_image()
{
	SANDGATE_IMAGE=$SG_IMAGE "$SG_TOP/deploy/image/build.sh" \
	    -t "$SG_IMAGE" >/dev/null || sg_run_die "sandbox image build failed"
}

# The internal network: no route out; the host answers on the gateway
# address, where only the proxy port is open (deploy/firewall).
sg_run_network()
{
	if docker network inspect "$SG_NETWORK" >/dev/null 2>&1; then
		_have=$(docker network inspect -f \
		    '{{range .IPAM.Config}}{{.Subnet}}{{end}} {{.Internal}}' \
		    "$SG_NETWORK")
		[ "$_have" = "$SG_SUBNET true" ] ||
		    sg_run_die "network $SG_NETWORK exists with '$_have', expected '$SG_SUBNET true'"
		return 0
	fi
	docker network create --internal --subnet "$SG_SUBNET" \
	    --gateway "$SG_GATEWAY_IP" \
	    -o com.docker.network.bridge.name="$SG_BRIDGE" \
	    -o com.docker.network.bridge.enable_icc=false \
	    -o com.docker.network.bridge.enable_ip_masquerade=false \
	    --label sandgate.run="$SG_RUNDIR" \
	    "$SG_NETWORK" >/dev/null || sg_run_die "cannot create network $SG_NETWORK"
	echo "$SG_NETWORK" > "$SG_RUNDIR/network.created"
}

sg_run_firewall()
{
	if ! command -v nft >/dev/null 2>&1; then
		sg_run_say "WARNING: nft missing: sandboxes can reach every host service on $SG_GATEWAY_IP"
		return 0
	fi
	sg_run_fill "$SG_TOP/deploy/firewall/sandgate-sandbox-net.nft.in" \
	    "$SG_RUNDIR/sandbox-net.nft"
	sed -i "s|@PROXY_PORTS@|{ $SG_PROXY_PORT, $SG_STRICT_PORT }|" \
	    "$SG_RUNDIR/sandbox-net.nft"
	# The forward chain sees bridged IPv4 and IPv6 (sandbox to sandbox)
	# only through br_netfilter.
	for _f in /proc/sys/net/bridge/bridge-nf-call-iptables \
	    /proc/sys/net/bridge/bridge-nf-call-ip6tables; do
		if [ -w "$_f" ]; then
			echo 1 > "$_f" || sg_run_die "cannot set $_f"
		else
			sg_run_say "WARNING: $_f missing (no br_netfilter): bridged traffic between sandboxes is not seen by the inet rules"
		fi
	done
	nft -f "$SG_RUNDIR/sandbox-net.nft" || sg_run_die "nft rules failed"
	echo "$SG_FW_TABLE" > "$SG_RUNDIR/firewall.loaded"
	# At most SG_MAX_TUNNELS open connections per sandbox to the proxy.
	sg_run_fill "$SG_TOP/deploy/firewall/sandgate-proxy-limits.nft.in" \
	    "$SG_RUNDIR/proxy-limits.nft"
	sed -i -e "s|@PROXY_PORTS@|{ $SG_PROXY_PORT, $SG_STRICT_PORT }|" \
	    -e "s|@IFACE@|$SG_BRIDGE|" -e "s|@MAX_CONNS@|$SG_MAX_TUNNELS|" \
	    -e "s|$SG_FW_TABLE|${SG_FW_TABLE}_limits|g" \
	    "$SG_RUNDIR/proxy-limits.nft"
	nft -f "$SG_RUNDIR/proxy-limits.nft" || sg_run_die "nft limit rules failed"
	sg_run_fill "$SG_TOP/deploy/firewall/sandgate-sandbox-bridge.nft.in" \
	    "$SG_RUNDIR/sandbox-bridge.nft"
	SG_FW_BRIDGE=0
	if nft -c -f "$SG_RUNDIR/sandbox-bridge.nft" 2>/dev/null; then
		nft -f "$SG_RUNDIR/sandbox-bridge.nft" ||
		    sg_run_die "nft bridge rules failed"
		SG_FW_BRIDGE=1
	else
		sg_run_say "note: the kernel has no bridge meta matching (CONFIG_NFT_BRIDGE_META): sandbox-to-sandbox frames are dropped for IPv4 and IPv6 only (br_netfilter), not for other ethertypes"
	fi
}
