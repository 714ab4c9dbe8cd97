#!/bin/sh
# SPDX-License-Identifier: ISC
# Issue 15, isolation round two, on the whole stack as run.sh starts it
# (Redis, the services, the internal sandbox network and its firewall,
# Apache as egress proxy, lighttpd), with sandboxes created through the
# API:
#
#   1. one sandbox cannot reach another by any address family (IPv4,
#      IPv6 link-local), so it cannot relay through a sandbox with a
#      wider allow-list: IPv6 is off inside sandboxes, and the firewall
#      drops bridged traffic between them (shown with two containers
#      that have IPv6 on);
#   2. only the sandbox network reaches the proxy: a container on another
#      Docker network is dropped by the firewall, and a client outside
#      the sandbox subnet gets 403 from Apache before the authorizer runs;
#   3. an allowed name that resolves to an address of the proxy host
#      itself (not loopback, not private: one on a dummy interface the
#      test adds) is refused by token-verify (local_target) and, when a
#      check lets it by, by the proxy-host firewall (fib daddr local);
#   6. spoofed X-Forwarded-For / X-Real-IP / Forwarded change nothing:
#      the binding uses the TCP peer, the logs and the audit show it, and
#      the egress site refuses to load next to mod_remoteip.
#
# Names resolve through an /etc/hosts of the test's own: the script runs
# in a private mount namespace where it is bind-mounted (token-verify
# and Apache are started there; Docker is not affected).  Only loopback,
# the test's Docker networks and its dummy interface are contacted.
if [ "${SG_ISO_NS:-}" != 1 ]; then
	[ "$(id -u)" -eq 0 ] || { echo "t-isolation.sh needs root (unshare, nft, ip)" >&2; exit 1; }
	SG_ISO_NS=1 exec unshare --mount --propagation private sh "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

sg_setup
t0=$(date +%s)
. "$SG_TOP/tests/integration/lib-docker.sh"
sg_ensure_dockerd

sg_own_stack iso 1
HOSTSVC_PORT=$(sg_free_port)
# A /24 under 172.29.0.0/16.
sg_own_subnet 172.29 100 100
# CONNECT to the host service's port must pass Apache's AllowCONNECT,
# so that the refusal seen is token-verify's or the firewall's.
export SG_CONNECT_PORTS="443 $SG_TARGET_TLS_PORT $HOSTSVC_PORT"
sg_run_config

: > "$T/containers"
sg_on_exit 'sg_run_stop'
sg_on_exit 'for c in $(cat "$T/containers"); do docker rm -f "$c"; done'

# --------------------------------------------- a host-local public address
# 192.31.196.0/24 is AS112 (RFC 7535): public, so no private-address rule
# refuses it, and nothing this host needs lives there.  Put on a dummy
# interface of the test's own, it is an address "of this host" as a
# public address on eth0 would be.  A "host service" listens on it only.
# A dummy interface where the kernel has them, else the loopback device
# (an address there is just as local, and no less public).
LOCAL_IF=sgiso$(($$ % 100000))
LOCAL_ADDR=192.31.196.$((200 + $$ % 50))
ZONE=sgiso.test		# RFC 6761
if ip link add "$LOCAL_IF" type dummy 2>/dev/null; then
	sg_on_exit "ip link del '$LOCAL_IF'"
	ip link set "$LOCAL_IF" up
else
	LOCAL_IF=lo
fi
ip addr add "$LOCAL_ADDR/32" dev "$LOCAL_IF"
sg_on_exit "ip addr del '$LOCAL_ADDR/32' dev '$LOCAL_IF'"
mkdir -p "$T/hostsvc"
printf 'HOST-SERVICE\n' > "$T/hostsvc/index.html"
python3 -m http.server --bind "$LOCAL_ADDR" --directory "$T/hostsvc" \
    "$HOSTSVC_PORT" </dev/null >/dev/null 2>>"$T/hostsvc.log" &
sg_track_pid $!
sg_wait_tcp "$LOCAL_ADDR" "$HOSTSVC_PORT"
cp /etc/hosts "$T/hosts"
printf '%s local-target.%s\n' "$LOCAL_ADDR" "$ZONE" >> "$T/hosts"
mount --bind "$T/hosts" /etc/hosts
sg_check "local-target.$ZONE resolves to the host's own $LOCAL_ADDR" "$LOCAL_ADDR" \
    "$(getent ahostsv4 "local-target.$ZONE" | awk 'NR == 1 { print $1 }')"

echo "# starting the stack in $SG_RUNDIR"
sg_run_start_stack
echo "# runtime $SG_RUNTIME"

ORG=00000000-0000-4000-8000-00000000150a
# create_sandbox USER HOSTS_JSON: sets SB_ID SB_IP SB_PROXY.
create_sandbox()
{
	out=$(sg_run_api POST /v1/sandboxes "{\"user_id\":\"$1\",\"organization_uuid\":\"$ORG\",\"allowed_hosts\":$2,\"duration_hours\":1}")
	st=$(printf '%s\n' "$out" | tail -n 1)
	sg_check "POST /v1/sandboxes ($1)" 201 "$st"
	[ "$st" = 201 ] || { echo "$out"; exit 1; }
	SB_ID=$(printf '%s\n' "$out" | head -n 1 | jq -r .container_id)
	echo "$SB_ID" >> "$T/containers"
	SB_IP=$(docker inspect -f \
	    "{{(index .NetworkSettings.Networks \"$SG_NETWORK\").IPAddress}}" "$SB_ID")
	SB_PROXY=$(docker exec "$SB_ID" sh -c 'echo "$HTTP_PROXY"')
}

# in_curl ID ARGS...: curl inside a container: "code connect exit".
in_curl()
{
	_id=$1
	shift
	_rc=0
	docker exec "$_id" curl -s --max-time 10 --noproxy '' -o /dev/null \
	    -w '%{http_code} %{http_connect}' "$@" 2>/dev/null || _rc=$?
	echo " $_rc"
}

# ll6 MAC: the EUI-64 link-local address of an interface (RFC 4291 2.5.1).
ll6()
{
	python3 -c '
import sys
b = [int(x, 16) for x in sys.argv[1].split(":")]
b[0] ^= 2
e = b[:3] + [0xff, 0xfe] + b[3:]
print("fe80::" + ":".join("%x" % (e[i] << 8 | e[i + 1]) for i in range(0, 8, 2)))' "$1"
}

# A sandbox with a wide allow-list (the target's HTTP port, the host-local
# name and address) and one with a narrow one (127.0.0.1 only).
create_sandbox iso-wide "[\"localhost:$SG_TARGET_PORT\",\"local-target.$ZONE:$HOSTSVC_PORT\",\"$LOCAL_ADDR:$HOSTSVC_PORT\"]"
A_ID=$SB_ID A_IP=$SB_IP A_PROXY=$SB_PROXY
create_sandbox iso-narrow "[\"127.0.0.1:$SG_TARGET_PORT\"]"
B_ID=$SB_ID B_IP=$SB_IP B_PROXY=$SB_PROXY

echo "# 1. sandbox to sandbox: no address family gets through"
for _id in "$A_ID" "$B_ID"; do
	sg_check "inspect: IPv6 off in $_id" "1 1" \
	    "$(docker inspect -f '{{index .HostConfig.Sysctls "net.ipv6.conf.all.disable_ipv6"}} {{index .HostConfig.Sysctls "net.ipv6.conf.default.disable_ipv6"}}' "$_id")"
done
if [ "$SG_RUNTIME" = runc ]; then
	sg_check "A's kernel has IPv6 off" 1 \
	    "$(docker exec "$A_ID" cat /proc/sys/net/ipv6/conf/all/disable_ipv6)"
	sg_check "A has no IPv6 address at all (not even ::1, fe80::)" 0 \
	    "$(docker exec "$A_ID" cat /proc/net/if_inet6 | wc -l | tr -d ' ')"
fi
# A relays for anyone who reaches it: its port 8000 serves what A fetched
# with its own credentials from a target that B's allow-list does not
# allow (busybox httpd; the file stands for a live relay).
docker exec "$A_ID" sh -c "mkdir -p /tmp/www && curl -s --max-time 10 \
    --noproxy '' -x \"\$HTTP_PROXY\" http://localhost:$SG_TARGET_PORT/relayed \
    > /tmp/www/index.html"
docker exec -d "$A_ID" httpd -f -p 8000 -h /tmp/www
sleep 1
sg_check_match "the relay works from inside A (positive control)" \
    "you reached /relayed" \
    "$(docker exec "$A_ID" curl -s --max-time 10 --noproxy '*' http://127.0.0.1:8000/ 2>&1)"
sg_check "B itself may not reach that target" "403 000 0" \
    "$(in_curl "$B_ID" "http://localhost:$SG_TARGET_PORT/")"
A_MAC=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$SG_NETWORK\").MacAddress}}" "$A_ID")
[ -n "$A_MAC" ] || A_MAC=$(docker exec "$A_ID" cat /sys/class/net/eth0/address 2>/dev/null || true)
sg_check_match "A's MAC address is known ($A_MAC)" '^([0-9a-f]{2}:){5}[0-9a-f]{2}$' "$A_MAC"
A_LL=$(ll6 "${A_MAC:-02:00:00:00:00:00}")
out=$(docker exec "$B_ID" curl -s --noproxy '*' --connect-timeout 3 \
    "http://$A_IP:8000/" 2>&1 || echo "exit $?")
sg_check "B -> A's relay over IPv4 fails" "exit 28" "$out"
out=$(docker exec "$B_ID" curl -s -g --noproxy '*' --connect-timeout 3 \
    "http://[$A_LL%eth0]:8000/" 2>&1 || echo "exit $?")
sg_check_match "B -> A's relay over IPv6 link-local ($A_LL) fails" \
    "^exit (7|28|45)\$" "$out"

# The firewall alone: two containers on the sandbox network with IPv6
# ON (started directly, runc: what a sandbox would be without the
# sysctl), P listening, Q connecting to P's link-local address.
P=sgtest-iso-p-$$
Q=sgtest-iso-q-$$
echo "$P $Q" >> "$T/containers"
for _c in "$P" "$Q"; do
	docker run -d --name "$_c" --runtime runc --network "$SG_NETWORK" \
	    --sysctl net.ipv6.conf.all.disable_ipv6=0 \
	    --sysctl net.ipv6.conf.default.disable_ipv6=0 \
	    --cap-drop ALL --user 65534:65534 "$SG_IMAGE" \
	    sh -c 'mkdir -p /tmp/w && echo PEER > /tmp/w/index.html &&
	    exec httpd -f -p 8000 -h /tmp/w' >/dev/null
done
sleep 2
P_LL=$(docker exec "$P" cat /proc/net/if_inet6 | awk '$6 == "eth0" && $1 ~ /^fe80/ { print $1 }' |
    sed 's/\(....\)/\1:/g; s/:$//')
P_IP=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$SG_NETWORK\").IPAddress}}" "$P")
sg_check_match "P (IPv6 on) has a link-local address" '^fe80:' "$P_LL"
sg_check "P serves on its own link-local address (control)" PEER \
    "$(docker exec "$P" curl -s -g --noproxy '*' --max-time 5 "http://[$P_LL%eth0]:8000/" 2>&1)"
out=$(docker exec "$Q" curl -s -g --noproxy '*' --connect-timeout 3 \
    "http://[$P_LL%eth0]:8000/" 2>&1 || echo "exit $?")
sg_check "Q -> P over IPv6 link-local: dropped on the bridge" "exit 28" "$out"
out=$(docker exec "$Q" curl -s --noproxy '*' --connect-timeout 3 \
    "http://$P_IP:8000/" 2>&1 || echo "exit $?")
sg_check "Q -> P over IPv4: dropped" "exit 28" "$out"
sg_check_match "the firewall's bridge-to-bridge rule counted them" \
    'iifname "[^"]*" oifname "[^"]*" counter packets [1-9]' \
    "$(nft list chain inet "$SG_FW_TABLE" forward | grep -v '!=')"
docker rm -f "$P" "$Q" >/dev/null

echo "# 2. only the sandbox network reaches the proxy"
OTHER=sgtest-iso-other-$$
docker network create "$OTHER" >/dev/null
sg_on_exit "docker network rm '$OTHER'"
O=sgtest-iso-o-$$
echo "$O" >> "$T/containers"
_rc=0
out=$(docker run --rm --name "$O" --runtime runc --network "$OTHER" \
    --cap-drop ALL --user 65534:65534 "$SG_IMAGE" \
    curl -s --noproxy '' --connect-timeout 3 -o /dev/null -w '%{http_code}' \
    -x "http://$SG_GATEWAY_IP:$SG_PROXY_PORT" "http://localhost:$SG_TARGET_PORT/" \
    2>/dev/null) || _rc=$?
sg_check "a container on another Docker network: dropped (not even a 407)" \
    "000 28" "$out $_rc"
n0=$(grep -c '"decision"' "$SG_LOGDIR/token-verify-egress.log" || true)
sg_check "a client outside the sandbox subnet (127.0.0.1 -> gateway): 403 from Apache" 403 \
    "$(curl -s --interface 127.0.0.1 --noproxy '' --max-time 5 -o /dev/null -w '%{http_code}' \
    -x "http://$SG_GATEWAY_IP:$SG_PROXY_PORT" "http://localhost:$SG_TARGET_PORT/")"
sg_check "... with a token-shaped credential too" 403 \
    "$(curl -s --interface 127.0.0.1 --noproxy '' --max-time 5 -o /dev/null -w '%{http_code}' \
    -x "$A_PROXY" "http://localhost:$SG_TARGET_PORT/")"
sleep 0.5
sg_check "the authorizer never saw them (no decision, nothing in the audit)" "$n0" \
    "$(grep -c '"decision"' "$SG_LOGDIR/token-verify-egress.log" || true)"
sg_check "the sandbox still reaches the proxy" "200 000 0" \
    "$(in_curl "$A_ID" "http://localhost:$SG_TARGET_PORT/")"

echo "# 3. a name that resolves to an address of this host"
STRICT_A=${A_PROXY%:$SG_PROXY_PORT}:$SG_STRICT_PORT
sg_check "DENY_PRIVATE=1: allowed name -> host-local $LOCAL_ADDR refused" "403 000 0" \
    "$(in_curl "$A_ID" -x "$STRICT_A" "http://local-target.$ZONE:$HOSTSVC_PORT/")"
sg_check "DENY_PRIVATE=1: the address itself refused" "403 000 0" \
    "$(in_curl "$A_ID" -x "$STRICT_A" "http://$LOCAL_ADDR:$HOSTSVC_PORT/")"
sg_check "DENY_PRIVATE=1: over CONNECT too" "000 403 56" \
    "$(in_curl "$A_ID" -x "$STRICT_A" "https://local-target.$ZONE:$HOSTSVC_PORT/")"
sg_check_match "token-verify says why: local_target" '"reason":"local_target"' \
    "$(cat "$SG_LOGDIR/token-verify-strict.log")"
sg_check "DENY_PRIVATE=0 proxy, no proxy firewall: reaches the host service (the hole)" \
    "200 000 0" "$(in_curl "$A_ID" "http://local-target.$ZONE:$HOSTSVC_PORT/")"
RES4=$(awk '/^nameserver/ && $2 ~ /^[0-9.]+$/ { printf "%s%s", s, $2; s = ", " }' /etc/resolv.conf)
sed -e "s/@TABLE@/sgtest_isop_$$/g; s/@PROXY_USER@/$SG_WWW_USER/; s/@VERIFY_PORTS@/{ $SG_VERIFY_PORT, $SG_VERIFY_STRICT_PORT }/; s/@RESOLVERS4@/{ ${RES4:-127.0.0.53} }/; s/@RESOLVERS6@/{ ::1 }/" \
    "$SG_TOP/deploy/firewall/sandgate-proxy.nft.in" > "$T/proxy.nft"
sg_on_exit "nft delete table inet sgtest_isop_$$"
sg_check "proxy rules load" 0 "$(nft -f "$T/proxy.nft" >/dev/null 2>&1 && echo 0 || echo $?)"
sg_check "with the proxy firewall: refused by the kernel (503)" "503 000 0" \
    "$(in_curl "$A_ID" "http://local-target.$ZONE:$HOSTSVC_PORT/")"
sg_check "CONNECT too" "000 503 56" \
    "$(in_curl "$A_ID" "https://local-target.$ZONE:$HOSTSVC_PORT/")"
sg_check_match "the fib rule counted them" 'fib daddr type local counter packets [1-9]' \
    "$(nft list table inet "sgtest_isop_$$")"
nft delete table inet "sgtest_isop_$$"

echo "# 6. forged client identity headers change nothing"
FWD="-H X-Forwarded-For:$A_IP -H X-Real-IP:$A_IP -H Forwarded:for=$A_IP -H X-Client-IP:$A_IP"
# shellcheck disable=SC2086
sg_check "B with A's credentials claiming A's address: still refused (binding)" "407 000 0" \
    "$(in_curl "$B_ID" -x "$A_PROXY" $FWD "http://localhost:$SG_TARGET_PORT/")"
# shellcheck disable=SC2086
sg_check "over CONNECT (--proxy-header)" "000 407 56" \
    "$(in_curl "$B_ID" -x "$A_PROXY" --proxy-header "X-Forwarded-For: $A_IP" \
    --proxy-header "Forwarded: for=$A_IP" --proxy-header "X-Real-IP: $A_IP" \
    "https://localhost:$SG_TARGET_TLS_PORT/")"
# shellcheck disable=SC2086
sg_check "B with its own credentials and forged headers: allowed as B" "200 000 0" \
    "$(in_curl "$B_ID" $FWD "http://127.0.0.1:$SG_TARGET_PORT/forged")"
sleep 0.5
sg_check_match "Apache's log shows B's real address" \
    "^$B_IP $B_ID \\[$B_ID\\] \"GET http://127\\.0\\.0\\.1:$SG_TARGET_PORT/forged " \
    "$(grep -F "/forged" "$SG_LOGDIR/egress-main-access.log" | tail -n 1)"
line=$(grep -F "\"container_id\":\"$B_ID\"" "$SG_LOGDIR/token-verify-egress.log" |
    grep -F '"decision":"allow"' | tail -n 1)
sg_check "the decision log records B's real address" "$B_IP" \
    "$(printf '%s' "$line" | jq -r .client)"
sg_check "the refused attempt records B's address, not A's" "$B_IP" \
    "$(grep -F '"reason":"binding_mismatch"' "$SG_LOGDIR/token-verify-egress.log" |
    tail -n 1 | jq -r .client)"
out=$(sg_run_api GET "/v1/sessions/$B_ID/decisions?limit=100" | head -n 1)
sg_check "the audit trail has B's decisions from B's address only" "$B_IP" \
    "$(printf '%s' "$out" | jq -r '[.decisions[] | select(.event == "decision") | .client] | unique | join(",")')"
sg_check "no mod_remoteip in the running proxy" "" \
    "$(apache2 -M -f "$SG_RUNDIR/apache/httpd.conf" 2>/dev/null | grep -i remoteip || true)"
# An operator who enables mod_remoteip (RemoteIPHeader X-Forwarded-For)
# next to the egress site: the site refuses to load.
sed "s|^LoadModule reqtimeout_module.*|&\nLoadModule remoteip_module /usr/lib/apache2/modules/mod_remoteip.so\nRemoteIPHeader X-Forwarded-For\nRemoteIPInternalProxy 172.16.0.0/12|" \
    "$SG_RUNDIR/apache/httpd.conf" > "$T/httpd-remoteip.conf"
out=$(apache2 -t -f "$T/httpd-remoteip.conf" 2>&1) && rc=0 || rc=$?
sg_check_match "with mod_remoteip the egress site refuses to load" \
    "^1 .*mod_remoteip is loaded" "$rc $(printf '%s' "$out" | tr '\n' ' ')"

echo "# isolation took $(( $(date +%s) - t0 )) s"
sg_done
