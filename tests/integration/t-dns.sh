#!/bin/sh
# SPDX-License-Identifier: ISC
# Issue 9: sandboxes resolve no names.  Sandboxes created through the API
# of a full stack (run.sh's functions: Redis, the services, the internal
# network and its firewall, Apache as egress proxy, lighttpd) try every
# way to a name server (getent, busybox nslookup, raw UDP and TCP queries
# to Docker's embedded resolver 127.0.0.11 and to the gateway address),
# and a DNS witness logs every query that arrives: zero from the
# sandboxes, while a control container with Docker's default settings
# (a sandbox as created before issue 9) is seen, and the proxy's own
# lookups of the allowed names are seen and answered.
#
# The whole test runs in a mount namespace of its own in which
# /etc/resolv.conf names only the witness, on a loopback address of its
# own: the Docker engine (a private one, started here), Apache and the
# services resolve through the witness and never through the machine's
# real resolver.  The witness plays the host's loopback resolver
# (systemd-resolved, dnsmasq), the case no firewall on the sandbox
# bridge sees: Docker contacts it from the host's network namespace.
# A second witness listens on the gateway address of the sandbox
# network.  Only loopback and the test's own Docker network are used.
if [ "${SG_DNS_NS:-}" != 1 ]; then
	[ "$(id -u)" -eq 0 ] || { echo "t-dns.sh needs root (unshare, dockerd, nft)" >&2; exit 1; }
	SG_DNS_NS=1 exec unshare --mount --propagation private sh "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

sg_setup
t0=$(date +%s)

ZONE=sgdns.test		# RFC 6761: .test never reaches the real DNS
W_ADDR=127.53.$(( ($$ / 250) % 250 + 1 )).$(( $$ % 250 + 1 ))
W_LOG=$T/witness.log
G_LOG=$T/witness-gw.log

# ----------------------------------------------------------- the witness
# Logs "proto source name qtype" for every query (UDP and TCP); answers A
# for names under ZONE with ADDR, NXDOMAIN for anything else.
cat > "$T/witness.py" <<'PY'
import socket, struct, sys, threading

log_path, zone, addr = sys.argv[1], sys.argv[2].lower().rstrip("."), sys.argv[3]
lock = threading.Lock()

def parse(q):
    if len(q) < 12:
        return None
    i, labels = 12, []
    while i < len(q) and q[i] != 0:
        n = q[i]
        if n > 63 or i + 1 + n > len(q):
            return None
        labels.append(q[i + 1:i + 1 + n].decode("ascii", "replace"))
        i += 1 + n
    if i + 5 > len(q):
        return None
    return ".".join(labels).lower(), struct.unpack("!H", q[i + 1:i + 3])[0], q[12:i + 5]

def answer(q):
    p = parse(q)
    if p is None:
        return None, "-", 0
    name, qtype, question = p
    inzone = name == zone or name.endswith("." + zone)
    flags = 0x8480 | (struct.unpack("!H", q[2:4])[0] & 0x0100)
    rr = b""
    if inzone and qtype == 1:
        rr = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 5, 4) + socket.inet_aton(addr)
    elif not inzone:
        flags |= 3
    hdr = q[:2] + struct.pack("!HHHHH", flags, 1, 1 if rr else 0, 0, 0)
    return hdr + question + rr, name, qtype

def note(proto, src, name, qtype):
    with lock, open(log_path, "a") as f:
        f.write("%s %s %s %s\n" % (proto, src, name, qtype))

def udp(s):
    while True:
        q, src = s.recvfrom(4096)
        r, name, qtype = answer(q)
        note("udp", src[0], name, qtype)
        if r:
            s.sendto(r, src)

def tcp_one(c, src):
    try:
        c.settimeout(5)
        n = struct.unpack("!H", c.recv(2))[0]
        q = b""
        while len(q) < n:
            d = c.recv(n - len(q))
            if not d:
                break
            q += d
        r, name, qtype = answer(q)
        note("tcp", src[0], name, qtype)
        if r:
            c.sendall(struct.pack("!H", len(r)) + r)
    except Exception:
        note("tcp", src[0], "-", 0)
    finally:
        c.close()

def tcp(s):
    while True:
        c, src = s.accept()
        threading.Thread(target=tcp_one, args=(c, src), daemon=True).start()

host, port = sys.argv[4].rsplit(":", 1)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind((host, int(port)))
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind((host, int(port)))
t.listen(16)
open(log_path, "a").close()
open(log_path + ".ready", "w").close()
threading.Thread(target=tcp, args=(t,), daemon=True).start()
udp(u)
PY

# witness LOG ADDR [NETNS_PID]: start one (in a container's network
# namespace when NETNS_PID is given); sets WPID.
witness()
{
	rm -f "$1.ready"
	if [ -n "${3:-}" ]; then
		nsenter -t "$3" -n python3 "$T/witness.py" "$1" "$ZONE" \
		    127.0.0.1 "$2:53" </dev/null >/dev/null 2>>"$T/witness.err" &
	else
		python3 "$T/witness.py" "$1" "$ZONE" 127.0.0.1 "$2:53" \
		    </dev/null >/dev/null 2>>"$T/witness.err" &
	fi
	WPID=$!
	sg_track_pid $WPID
	sg_wait_file "$1.ready"
}

# seen LOG PATTERN: how many logged queries match the ERE.
seen()
{
	grep -c -E -- "$2" "$1" 2>/dev/null || true
}

echo "# the witness on $W_ADDR:53 is this namespace's only name server"
witness "$W_LOG" "$W_ADDR"
printf 'nameserver %s\noptions timeout:1 attempts:1\n' "$W_ADDR" > "$T/resolv.conf"
mount --bind "$T/resolv.conf" /etc/resolv.conf
sg_check "/etc/resolv.conf here names only the witness" "nameserver $W_ADDR" \
    "$(grep '^nameserver' /etc/resolv.conf)"
sg_check "the host resolves through the witness" "127.0.0.1" \
    "$(getent hosts "host-probe.$ZONE" | awk '{ print $1 }')"
sg_check "the witness logged it" 1 "$(seen "$W_LOG" " host-probe\.$ZONE 1\$")"

# ------------------------------------------------------ a private engine
# Its own socket, data, exec root and pid file, no default bridge, no
# iptables of its own (the sandbox-net firewall below is the isolation):
# the system's engine and other tests are never touched.  Started in this
# namespace, it reads the witness from /etc/resolv.conf as its upstream.
D=$T/d
mkdir -p "$D/data" "$D/x"
# gVisor registered as runsc (deploy/gvisor/register), nothing else.
sg_gvisor_config "$D/daemon.json" "$D/none.json" || echo '{}' > "$D/daemon.json"
DOCKER_HOST=unix://$D/docker.sock
export DOCKER_HOST
SG_DOCKER_SOCKET=$D/docker.sock
# Stopped, what it left (its containerd, shims) and mounts under $T
# released, at exit.
sg_on_exit 'sg_dockerd_stop "${DOCKERD_PID:-}"; sg_dockerd_release "$D" "$T"'
sg_dockerd_start "$D/docker.sock" "$D/data" "$D/x" "$D/dockerd.pid" \
    "$T/dockerd.log" --config-file "$D/daemon.json" --bridge=none \
    --iptables=false --ip-masq=false --ip-forward=false || _rc=1
DOCKERD_PID=$SG_DOCKERD_PID
[ "${_rc:-0}" -eq 0 ] || exit 1

# ---------------------------------------------------------------- stack
sg_own_stack dns 1
# Sandboxes under gVisor, as in production (SG_RUNTIME=runc to compare).
export SG_RUNTIME=${SG_RUNTIME:-runsc} SG_DOCKER_SOCKET
# A /24 under 172.30.0.0/16 (t-e2e takes 100-199).
sg_own_subnet 172.30 200 50
sg_run_config

# The deploy image plus getent, resolving through DNS as most images do
# (the deploy image itself has "hosts: files" and never asks DNS through
# glibc): the Docker settings are tested on their own.
sg_run_image()
{
	"$SG_TOP/deploy/image/build.sh" -t "$SG_IMAGE-base" \
	    -x "$(command -v getent)" >/dev/null ||
	    sg_run_die "sandbox image build failed"
	mkdir -p "$T/image"
	printf 'hosts: files dns\n' > "$T/image/nsswitch.conf"
	printf 'FROM %s\nCOPY nsswitch.conf /etc/nsswitch.conf\n' \
	    "$SG_IMAGE-base" > "$T/image/Dockerfile"
	DOCKER_BUILDKIT=0 docker build -q -t "$SG_IMAGE" "$T/image" \
	    >/dev/null 2>"$T/image/build.log" ||
	    sg_run_die "test image build failed: $(cat "$T/image/build.log")"
}

: > "$T/containers"
sg_on_exit 'sg_run_stop'
sg_on_exit 'for c in $(cat "$T/containers"); do docker rm -f "$c"; done'

echo "# starting the stack (run.sh functions) in $SG_RUNDIR"
sg_run_start_stack
G=$SG_GATEWAY_IP
sg_check "the sandbox-net firewall is loaded" 0 \
    "$(nft list table inet "$SG_FW_TABLE" >/dev/null 2>&1 && echo 0 || echo 1)"

echo "# a second witness on the gateway address $G:53"
witness "$G_LOG" "$G"
sg_check "it answers the host" "127.0.0.1" \
    "$(busybox nslookup "gw-probe.$ZONE" "$G" 2>/dev/null |
    awk '/^Address/ { a = $NF } END { print a }')"
sg_check "it logged that" 1 "$(seen "$G_LOG" " gw-probe\.$ZONE 1\$")"

# inside ID CMD: a shell command inside a container; prints its output
# and its exit status on one line.
inside()
{
	_rc=0
	_o=$(docker exec "$1" sh -c "$2" 2>/dev/null) || _rc=$?
	echo "$_o $_rc"
}

# atleast N COUNT: 1 when COUNT >= N.
atleast()
{
	[ "${2:-0}" -ge "$1" ] && echo 1 || echo 0
}

# tcpq NAME: a DNS query for NAME (A), framed for TCP (RFC 1035 4.2.2),
# as octal escapes for printf in the sandbox's busybox sh.
tcpq()
{
	python3 -c '
import struct, sys
q = struct.pack("!6H", 0x1234, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(l)]) + l.encode() for l in sys.argv[1].split("."))
q += b"\0" + struct.pack("!HH", 1, 1)
print("".join("\\%03o" % b for b in struct.pack("!H", len(q)) + q))' "$1"
}

# dx ID CMD...: docker exec, bounded from the host as well (20 s): the
# `timeout` inside bounds the command, but an exec whose process waits
# on a dropped packet must not hang the test whatever the runtime does.
dx()
{
	timeout -k 2 20 docker exec "$@"
}

# lookups ID PREFIX: every way a program in container ID could reach a
# name server, each for its own name PREFIX-<way>.ZONE.  Prints, per
# way, what it got back: 0 when nothing resolved.
lookups()
{
	_id=$1 _p=$2
	echo "getent $(dx "$_id" getent hosts "$_p-getent.$ZONE" 2>/dev/null |
	    awk '{ print $1 }' | grep -c . || true)"
	echo "nslookup $(dx "$_id" timeout 8 nslookup "$_p-nslookup.$ZONE" 2>/dev/null |
	    grep -c '^Address: 127\.0\.0\.1' || true)"
	echo "udp-127.0.0.11 $(dx "$_id" timeout 8 nslookup "$_p-udp11.$ZONE" 127.0.0.11 2>/dev/null |
	    grep -c '^Address: 127\.0\.0\.1' || true)"
	echo "udp-gateway $(dx "$_id" timeout 8 nslookup "$_p-udpgw.$ZONE" "$G" 2>/dev/null |
	    grep -c '^Address: 127\.0\.0\.1' || true)"
	echo "tcp-127.0.0.11 $(dx "$_id" sh -c "(printf '$(tcpq "$_p-tcp11.$ZONE")'; sleep 2) |
	    timeout 4 nc 127.0.0.11 53 | wc -c" 2>/dev/null || echo 0)"
	echo "tcp-gateway $(dx "$_id" sh -c "(printf '$(tcpq "$_p-tcpgw.$ZONE")'; sleep 2) |
	    timeout 4 nc $G 53 | wc -c" 2>/dev/null || echo 0)"
}

# --------------------------------------------------------------- control
echo "# control: a container with Docker's default DNS (a sandbox before issue 9)"
CTL=sgtest-dns-ctl-$$
echo "$CTL" >> "$T/containers"
# Under runc, whatever runtime the sandboxes use: the control shows the
# witness sees a query that goes through Docker's embedded resolver
# (under gVisor 127.0.0.11 does not even answer: Docker's resolver
# listens in the container's network namespace of the host kernel, which
# gVisor's own network stack, with its own loopback, never reaches).
docker run -d --name "$CTL" --runtime runc --network "$SG_NETWORK" --read-only \
    --cap-drop ALL --user 65534:65534 "$SG_IMAGE" >/dev/null
CTL_IP=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$SG_NETWORK\").IPAddress}}" "$CTL")
lookups "$CTL" ctl > "$T/ctl.out"
sg_check "the control still runs after its lookups" true \
    "$(docker inspect -f '{{.State.Running}}' "$CTL")"
sed 's/^/#   control /' "$T/ctl.out"
sg_check "control: getent resolves through the embedded resolver" "getent 1" \
    "$(grep '^getent ' "$T/ctl.out")"
sg_check "control: nslookup too" "nslookup 1" "$(grep '^nslookup ' "$T/ctl.out")"
sg_check_match "control: a raw TCP query to 127.0.0.11 is answered" \
    '^tcp-127\.0\.0\.11 [1-9][0-9]*$' "$(grep '^tcp-127' "$T/ctl.out")"
for way in getent nslookup udp11 tcp11; do
	sg_check "control: the witness got ctl-$way" 1 \
	    "$(atleast 1 "$(seen "$W_LOG" " ctl-$way\.$ZONE 1\$")")"
done
sg_check "control: from the host's network namespace, past the bridge firewall" \
    "127.0.0.1" "$(grep " ctl-getent\.$ZONE " "$W_LOG" | awk '{ print $2 }' | sort -u)"
sg_check "control: the firewall stops its queries to the gateway" 0 \
    "$(seen "$G_LOG" ' ctl-')"

# ------------------------------------------------------------- sandboxes
ORG=00000000-0000-4000-8000-0000000d0500
out=$(sg_run_api POST /v1/sandboxes "{\"user_id\":\"dns-a\",\"organization_uuid\":\"$ORG\",\"allowed_hosts\":[\"target.$ZONE:$SG_TARGET_PORT\",\"target.$ZONE:$SG_TARGET_TLS_PORT\",\"*.ok.$ZONE:$SG_TARGET_PORT\"],\"duration_hours\":1}")
sg_check "POST /v1/sandboxes" 201 "$(printf '%s\n' "$out" | tail -n 1)"
A=$(printf '%s\n' "$out" | head -n 1 | jq -r .container_id)
echo "$A" >> "$T/containers"
A_PROXY=$(docker exec "$A" sh -c 'echo "$HTTP_PROXY"')

echo "# sandbox $A: the settings"
sg_check "Dns" '["127.0.0.1"]' "$(docker inspect -f '{{json .HostConfig.Dns}}' "$A")"
sg_check "DnsSearch" '["."]' "$(docker inspect -f '{{json .HostConfig.DnsSearch}}' "$A")"
sg_check "DnsOptions" '["ndots:0","timeout:1","attempts:1"]' \
    "$(docker inspect -f '{{json .HostConfig.DnsOptions}}' "$A")"
sg_check "its resolv.conf: the embedded resolver, no search domain" \
    "nameserver 127.0.0.11|options ndots:0 timeout:1 attempts:1" \
    "$(docker exec "$A" cat /etc/resolv.conf | grep -v '^#' | grep . | paste -sd '|')"

echo "# sandbox $A: every way to a name server"
fw0=$(nft list chain inet "$SG_FW_TABLE" input | sed -n "s/.*iifname \"$SG_BRIDGE\" counter packets \([0-9]*\).*drop.*/\1/p")
lookups "$A" sb > "$T/sb.out"
sed 's/^/#   sandbox /' "$T/sb.out"
# A dead sandbox resolves nothing either: it must still run.
sg_check "the sandbox still runs after its lookups" true \
    "$(docker inspect -f '{{.State.Running}}' "$A")"
for way in getent nslookup udp-127.0.0.11 udp-gateway tcp-127.0.0.11 tcp-gateway; do
	sg_check "sandbox: $way resolves nothing" "$way 0" "$(grep "^$way " "$T/sb.out")"
done
sg_check "sandbox: not even an allowed name" " 2" \
    "$(inside "$A" "getent hosts target.$ZONE")"
fw1=$(nft list chain inet "$SG_FW_TABLE" input | sed -n "s/.*iifname \"$SG_BRIDGE\" counter packets \([0-9]*\).*drop.*/\1/p")
sg_check "the firewall dropped its packets to the gateway" 1 \
    "$(atleast $((${fw0:-0} + 1)) "${fw1:-0}")"
sg_check "the witness saw no query from the sandbox" 0 "$(seen "$W_LOG" ' sb-')"
sg_check "the gateway witness saw none" 0 "$(seen "$G_LOG" ' sb-')"

echo "# where the embedded resolver sends the sandbox's queries: its own loopback"
# A third witness in the sandbox's own network namespace, on 127.0.0.1:53
# (where HostConfig.Dns points): the query Docker forwards lands there,
# and nowhere else.  (While it runs, the test is the sandbox's name
# server: the sandbox only ever talks to itself.)
N_LOG=$T/witness-netns.log
witness "$N_LOG" 127.0.0.1 "$(docker inspect -f '{{.State.Pid}}' "$A")"
N_PID=$WPID
if [ "$SG_RUNTIME" = runc ]; then
	sg_check "the sandbox's query reaches its own loopback" "127.0.0.1 0" \
	    "$(inside "$A" "getent hosts sb-own.$ZONE | awk '{ print \$1 }'")"
	sg_check_match "the netns witness logged it" " sb-own\.$ZONE 1" "$(cat "$N_LOG")"
else
	# gVisor: the query stops at 127.0.0.11 of gVisor's own network
	# stack, where nothing listens; not even the sandbox's namespace on
	# the host (where Docker's resolver is) sees it.
	sg_check "under $SG_RUNTIME the query resolves nothing" " 2" \
	    "$(inside "$A" "getent hosts sb-own.$ZONE")"
	sg_check "... and never reaches the namespace's loopback" 0 \
	    "$(seen "$N_LOG" ' sb-own')"
fi
kill "$N_PID"
sg_check "the host's witness did not" 0 "$(seen "$W_LOG" ' sb-own')"

echo "# reverse lookups stay inside Docker"
ptr=$(docker exec "$A" timeout 8 nslookup "$CTL_IP" 2>/dev/null | grep 'name =' || true)
echo "# note: Docker names other containers on the network (PTR $CTL_IP: ${ptr:-nothing})"
docker exec "$A" timeout 8 nslookup 192.0.2.77 >/dev/null 2>&1 || true
rev=$(echo "$CTL_IP" | awk -F. '{ print $4 "\\." $3 "\\." $2 "\\." $1 }')
# (Apache's own reverse lookups of its addresses at start are the host's.)
sg_check "no PTR query from the sandbox reached the witnesses" 0 \
    "$(cat "$W_LOG" "$G_LOG" | grep -c -E " ($rev|77\.2\.0\.192)\.in-addr\.arpa " || true)"

echo "# the proxy resolves, and only what the token and the allow-list let by"
before=$(seen "$W_LOG" " target\.$ZONE ")
body=$(docker exec "$A" curl -sS --max-time 10 --noproxy '' \
    "http://target.$ZONE:$SG_TARGET_PORT/hello" 2>&1)
sg_check_match "GET http://target.$ZONE through the proxy" \
    '^sandgate demo target http: you reached /hello' "$body"
body=$(docker exec "$A" curl -sS --max-time 10 --noproxy '' -k \
    "https://target.$ZONE:$SG_TARGET_TLS_PORT/tls" 2>&1)
sg_check_match "CONNECT target.$ZONE through the proxy" \
    '^sandgate demo target https: you reached /tls' "$body"
after=$(seen "$W_LOG" " target\.$ZONE ")
sg_check "the proxy's lookups reached the witness (host side)" 1 \
    "$(atleast $((before + 1)) "$after")"
sg_check "... from the host, not from a sandbox address" "127.0.0.1" \
    "$(grep " target\.$ZONE " "$W_LOG" | awk '{ print $2 }' | sort -u)"
sg_check "a wildcard name resolves too" 200 \
    "$(docker exec "$A" curl -s --max-time 10 --noproxy '' -o /dev/null \
    -w '%{http_code}' "http://a.ok.$ZONE:$SG_TARGET_PORT/" 2>/dev/null)"
sg_check "a name not on the list: 403" 403 \
    "$(docker exec "$A" curl -s --max-time 10 --noproxy '' -o /dev/null \
    -w '%{http_code}' "http://not-listed.$ZONE:$SG_TARGET_PORT/" 2>/dev/null)"
sg_check "... and never resolved" 0 "$(seen "$W_LOG" " not-listed\.$ZONE ")"
sg_check "an allowed name without credentials: 407" 407 \
    "$(docker exec "$A" curl -s --max-time 10 --noproxy '' -o /dev/null \
    -x "http://$G:$SG_PROXY_PORT" -w '%{http_code}' \
    "http://b.ok.$ZONE:$SG_TARGET_PORT/" 2>/dev/null)"
sg_check "... and never resolved" 0 "$(seen "$W_LOG" " b\.ok\.$ZONE ")"
sg_check "strict proxy: the verifier resolves (on the host) and refuses loopback" 403 \
    "$(docker exec "$A" curl -s --max-time 10 --noproxy '' -o /dev/null \
    -x "${A_PROXY%:$SG_PROXY_PORT}:$SG_STRICT_PORT" -w '%{http_code}' \
    "http://c.ok.$ZONE:$SG_TARGET_PORT/" 2>/dev/null)"
sg_check "... its lookup reached the witness" 1 \
    "$(atleast 1 "$(seen "$W_LOG" " c\.ok\.$ZONE ")")"

echo "# a sandbox without allowed hosts (network none)"
out=$(sg_run_api POST /v1/sandboxes "{\"user_id\":\"dns-b\",\"organization_uuid\":\"$ORG\",\"allowed_hosts\":[]}")
sg_check "POST /v1/sandboxes" 201 "$(printf '%s\n' "$out" | tail -n 1)"
B=$(printf '%s\n' "$out" | head -n 1 | jq -r .container_id)
echo "$B" >> "$T/containers"
sg_check "Dns" '["127.0.0.1"]' "$(docker inspect -f '{{json .HostConfig.Dns}}' "$B")"
sg_check "its resolv.conf: its own loopback only" \
    "nameserver 127.0.0.1|options ndots:0 timeout:1 attempts:1" \
    "$(docker exec "$B" cat /etc/resolv.conf | grep -v '^#' | grep . | paste -sd '|')"
sg_check "getent resolves nothing" " 2" "$(inside "$B" "getent hosts none-getent.$ZONE")"
sg_check "nslookup neither" 0 \
    "$(docker exec "$B" timeout 8 nslookup "none-nslookup.$ZONE" 2>/dev/null |
    grep -c '^Address: 127\.0\.0\.1' || true)"
sg_check "the witnesses saw nothing" 0 \
    "$(cat "$W_LOG" "$G_LOG" | grep -c ' none-' || true)"

echo "# witness totals: $(wc -l < "$W_LOG") queries on $W_ADDR" \
    "($(seen "$W_LOG" ' ctl-') control, $(seen "$W_LOG" " (target|[a-z]+\.ok)\.$ZONE ") proxy," \
    "$(seen "$W_LOG" ' (sb|none)-') sandbox), $(wc -l < "$G_LOG") on $G" \
    "($(seen "$G_LOG" ' (sb|none)-') sandbox)"
echo "# t-dns took $(( $(date +%s) - t0 )) s"
sg_done
