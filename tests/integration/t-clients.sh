#!/bin/sh
# SPDX-License-Identifier: ISC
# Issue 23: every common client works from inside a sandbox of the
# "tools" image (deploy/image/build-tools.sh), under gVisor, with no
# proxy code of its own: what sandbox-create sets (HTTP(S)_PROXY and
# lower case, NO_PROXY/no_proxy, npm_config_*proxy, JAVA_TOOL_OPTIONS)
# and what the image sets (node's preload, the Java agent) suffice.
# Upstream: a local HTTP+HTTPS server (test CA built into the image's
# trust stores) named by the host's name, which the proxy resolves.
# For each client:
#   - an allowed request over HTTPS (and plain HTTP) succeeds;
#   - a denied host: the proxy answers 403 and the client fails;
#   - the token removed (proxy URL without credentials: 407; no proxy
#     variables at all: no route): the client fails, nothing gets out;
# and pip installs a package from a local index, npm one from a local
# registry, git clones a repository, all over HTTPS.  The known limits
# (aiohttp without trust_env, Java's HttpClient without an
# authenticator) are asserted as documented, not skipped.
. "$(dirname "$0")/lib.sh"

sg_setup
t0=$(date +%s)
. "$SG_TOP/tests/integration/lib-docker.sh"
sg_ensure_dockerd
for b in /usr/bin/python3 go javac node npm git wget; do
	command -v $b >/dev/null 2>&1 || { echo "need $b (deploy/lib/deps.sh SG_TOOLS_PACKAGES)"; exit 1; }
done

# The upstream's name: the host's own, which the proxy host resolves
# (not "localhost" nor a loopback literal: sandboxes and Go and Java
# never proxy those, by NO_PROXY and by their own rules).
NAME=$(hostname)
ADDR=$(getent ahostsv4 "$NAME" | awk 'NR == 1 { print $1 }')
[ -n "$ADDR" ] || { echo "the host name $NAME does not resolve"; exit 1; }
HPORT=$(sg_free_port)
TPORT=$(sg_free_port)

sg_own_stack clients 1
export SG_RUNTIME=${SG_RUNTIME:-runsc}
# A /24 under 172.30.0.0/16 (t-e2e 100-199, t-dns 200-249, t-gvisor 250-254).
sg_own_subnet 172.30 90 10
export SG_CONNECT_PORTS="443 $SG_TARGET_TLS_PORT $TPORT"
TOOLS=sandgate-tools:clients-$$
export SANDGATE_IMAGES=$TOOLS
sg_run_config
: > "$T/containers"
sg_on_exit 'sg_run_stop'
sg_on_exit 'for c in $(cat "$T/containers"); do docker rm -f "$c"; done'

echo "# the test CA, the upstream's content"
W=$T/www
mkdir -p "$W/simple/sgdemo" "$W/files" "$T/ca"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj /CN=sandgate-clients-ca -days 2 -keyout "$T/ca/ca.key" \
    -out "$T/ca/ca.pem" -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj "/CN=$NAME" -keyout "$T/ca/key.pem" -out "$T/ca/req.pem" 2>/dev/null
printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n' "$NAME" > "$T/ca/ext"
openssl x509 -req -in "$T/ca/req.pem" -CA "$T/ca/ca.pem" -CAkey "$T/ca/ca.key" \
    -CAcreateserial -days 2 -extfile "$T/ca/ext" -out "$T/ca/cert.pem" 2>/dev/null
# pip: a "simple" index (PEP 503) with one wheel.
/usr/bin/python3 - "$W/files/sgdemo-1.0-py3-none-any.whl" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("sgdemo/__init__.py", "WHO = 'sgdemo from the local index'\n")
    z.writestr("sgdemo-1.0.dist-info/METADATA",
               "Metadata-Version: 2.1\nName: sgdemo\nVersion: 1.0\n")
    z.writestr("sgdemo-1.0.dist-info/WHEEL",
               "Wheel-Version: 1.0\nGenerator: t-clients\n"
               "Root-Is-Purelib: true\nTag: py3-none-any\n")
    z.writestr("sgdemo-1.0.dist-info/RECORD", "")
PY
printf '<html><body><a href="/files/sgdemo-1.0-py3-none-any.whl">sgdemo-1.0-py3-none-any.whl</a></body></html>\n' \
    > "$W/simple/sgdemo/index.html"
# npm: a static registry, the package document and its tarball.
mkdir -p "$T/npm/package"
printf '{"name":"sgdemo-npm","version":"1.0.0","main":"index.js"}\n' > "$T/npm/package/package.json"
printf 'module.exports = "sgdemo-npm from the local registry";\n' > "$T/npm/package/index.js"
tar -C "$T/npm" -czf "$W/files/sgdemo-npm-1.0.0.tgz" package
sha1=$(sha1sum "$W/files/sgdemo-npm-1.0.0.tgz" | awk '{ print $1 }')
i512=sha512-$(openssl dgst -sha512 -binary "$W/files/sgdemo-npm-1.0.0.tgz" | base64 -w0)
cat > "$W/sgdemo-npm" <<JSON
{"name":"sgdemo-npm","dist-tags":{"latest":"1.0.0"},"versions":{"1.0.0":{"name":"sgdemo-npm","version":"1.0.0","main":"index.js","dist":{"tarball":"https://$NAME:$TPORT/files/sgdemo-npm-1.0.0.tgz","shasum":"$sha1","integrity":"$i512"}}}}
JSON
# git: a "dumb" HTTP repository.
git init -q -b main "$T/src"
echo "sgdemo-git" > "$T/src/README"
git -C "$T/src" add README
git -C "$T/src" -c user.name=t -c user.email=t@t commit -qm first
git clone -q --bare "$T/src" "$W/repo.git"
git -C "$W/repo.git" update-server-info
chmod -R a+rX "$W"

setsid /usr/bin/python3 "$SG_TOP/tests/integration/clients/server.py" "$W" "$T/upstream.log" \
    "$ADDR" "$HPORT" "$TPORT" "$T/ca/cert.pem" "$T/ca/key.pem" \
    </dev/null >/dev/null 2>"$T/server.err" &
sg_track_pid $!
sg_wait_tcp "$ADDR" "$TPORT" || { cat "$T/server.err"; exit 1; }
: > "$T/upstream.log"

echo "# the tools image (test CA in its trust stores) and the test clients"
b0=$(date +%s)
sh "$SG_TOP/deploy/image/build-tools.sh" -t "$TOOLS" -c "$T/ca/ca.pem" >/dev/null ||
    { echo "tools image build failed"; exit 1; }
sg_on_exit "docker rmi -f '$TOOLS' >/dev/null"
echo "# tools image built in $(( $(date +%s) - b0 )) s"
sg_run_start_stack
SK=$SG_DATADIR/skills
mkdir -p "$SK"
"${JAVAC:-javac}" -d "$SK" "$SG_TOP/tests/integration/clients/JClient.java"
cp "$SG_TOP/tests/integration/clients/goget.go" "$SK/"
chmod -R a+rX "$SK"
chgrp 65534 "$SK" 2>/dev/null || true

out=$(sg_run_api POST /v1/sandboxes "{\"user_id\":\"clients\",\"organization_uuid\":\"00000000-0000-4000-8000-0000000c0023\",\"allowed_hosts\":[\"$NAME:$HPORT\",\"$NAME:$TPORT\"],\"image\":\"$TOOLS\",\"duration_hours\":1}")
st=$(printf '%s\n' "$out" | tail -n 1)
sg_check "POST /v1/sandboxes (image $TOOLS)" 201 "$st"
[ "$st" = 201 ] || { echo "$out"; exit 1; }
ID=$(printf '%s\n' "$out" | head -n 1 | jq -r .container_id)
echo "$ID" >> "$T/containers"
sg_check "runtime" "$SG_RUNTIME" "$(docker inspect -f '{{.HostConfig.Runtime}}' "$ID")"
ENV=$(docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$ID")
jto=$(printf '%s\n' "$ENV" | sed -n 's/^JAVA_TOOL_OPTIONS=//p')
sg_check_match "JAVA_TOOL_OPTIONS: the proxy and Basic tunnelling" \
    '-Dhttps.proxyHost=[^ ]+ -Dhttps.proxyPort=[0-9]+ .*-Djdk.http.auth.tunneling.disabledSchemes= ' "$jto"
sg_check "JAVA_TOOL_OPTIONS holds no credentials" 0 \
    "$(printf '%s' "$jto" | grep -c 'jwt_\|container_' || true)"
PX=$(printf '%s\n' "$ENV" | sed -n 's/^HTTPS_PROXY=//p')
BARE=http://${PX##*@}
ALOG=$SG_LOGDIR/egress-main-access.log

echo "# Go: the image's toolchain builds the Go client inside the sandbox"
rc=0
o=$(docker exec "$ID" sh -c 'cd /tmp && GO111MODULE=off go build -o /mnt/outputs/goget /mnt/skills/goget.go && go version' 2>&1) || rc=$?
sg_check_match "go build inside the sandbox (CGO_ENABLED=0, no C compiler)" \
    '^0 go version go1' "$rc $o"

# The clients: each a shell command with the URL as $1, run as the
# sandbox's user with its environment.
cl_curl='curl -fsS --max-time 30 "$1"'
cl_wget='/usr/bin/wget -q -O- -T 30 -t 1 "$1"'
cl_urllib='python3 -c "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=30).read().decode())" "$1"'
cl_requests='python3 -c "import sys, requests; r = requests.get(sys.argv[1], timeout=30); r.raise_for_status(); print(r.text)" "$1"'
cl_aiohttp='python3 -c "
import asyncio, sys, aiohttp
async def m():
    async with aiohttp.ClientSession(trust_env=True) as s:
        async with s.get(sys.argv[1], timeout=aiohttp.ClientTimeout(total=30)) as r:
            r.raise_for_status(); print(await r.text())
asyncio.run(m())" "$1"'
cl_nodefetch='node -e "fetch(process.argv[1]).then(async (r) => { console.log(\"status\", r.status, await r.text()); process.exit(r.ok ? 0 : 1); }).catch((e) => { console.log(\"error\", String(e.cause || e)); process.exit(1); })" "$1"'
cl_nodehttps='node -e "const u = new URL(process.argv[1]); require(u.protocol.slice(0, -1)).get(u, (r) => { let b = \"\"; r.on(\"data\", (d) => b += d); r.on(\"end\", () => { console.log(\"status\", r.statusCode, b); process.exit(r.statusCode < 400 ? 0 : 1); }); }).on(\"error\", (e) => { console.log(\"error\", e.message); process.exit(1); })" "$1"'
cl_javaurl='java -cp /mnt/skills JClient urlconn "$1"'
cl_javahc='java -cp /mnt/skills JClient httpclient-auth "$1"'
cl_go='/mnt/outputs/goget "$1"'
CLIENTS="curl wget urllib requests aiohttp nodefetch nodehttps javaurl javahc go"

# run CLIENT URL [ENV-PREFIX]: rc in $rc, output in $o.
run()
{
	eval "_c=\$cl_$1"
	rc=0
	o=$(docker exec "$ID" sh -c "${3:-} $_c" sh "$2" 2>&1) || rc=$?
}
hits() { grep -c "$1" "$T/upstream.log" || true; }

echo "# allowed: HTTPS (CONNECT) and plain HTTP (absolute form) through the proxy"
for c in $CLIENTS; do
	for s in https http; do
		p=$TPORT; [ $s = http ] && p=$HPORT
		run $c "$s://$NAME:$p/hello/$c-$s"
		sg_check_match "$c $s: allowed request" \
		    "sandgate clients target: /hello/$c-$s" "$rc $o"
		[ $rc = 0 ] || echo "#   rc $rc: $(printf '%s' "$o" | tail -n 3)"
	done
done

echo "# denied host: the proxy says 403, the client fails"
for c in $CLIENTS; do
	run $c "https://denied-$c.invalid:$TPORT/hello/denied"
	sg_check "$c: denied host fails" 1 "$([ $rc != 0 ] && echo 1 || echo 0)"
	sg_check_match "$c: the proxy answered 403 to it" ' 403 ' \
	    "$(grep "denied-$c.invalid" "$ALOG" | tail -n 1)"
	# (A client that waits for the 407 challenge asks twice: 407, 403.)
	sg_check "$c: the proxy let none of its asks through" 0 \
	    "$(grep "denied-$c.invalid" "$ALOG" | grep -vc ' 40[37] ' || true)"
done

echo "# token removed: nothing gets out"
NOCRED="HTTP_PROXY=$BARE HTTPS_PROXY=$BARE http_proxy=$BARE https_proxy=$BARE npm_config_proxy=$BARE npm_config_https_proxy=$BARE"
NOPROXY="unset HTTP_PROXY HTTPS_PROXY http_proxy https_proxy npm_config_proxy npm_config_https_proxy;"
for c in $CLIENTS; do
	run $c "https://$NAME:$TPORT/hello/nocred-$c" "export $NOCRED;"
	sg_check "$c: proxy without the token fails" 1 "$([ $rc != 0 ] && echo 1 || echo 0)"
	run $c "https://$NAME:$TPORT/hello/noproxy-$c" "$NOPROXY"
	sg_check "$c: no proxy variables fails (no route)" 1 "$([ $rc != 0 ] && echo 1 || echo 0)"
	sg_check "$c: the upstream saw neither" 0 \
	    "$(( $(hits "nocred-$c") + $(hits "noproxy-$c") ))"
done
sg_check_match "the proxy answered 407 to a request without the token" ' 407 ' \
    "$(grep -v 'container_' "$ALOG" | grep "$NAME:$TPORT" | tail -n 1)"

echo "# known limits, as documented"
# aiohttp reads the proxy variables only with trust_env=True.
eval "_c=\$cl_aiohttp"
rc=0
o=$(docker exec "$ID" sh -c "$(printf '%s' "$_c" | sed 's/trust_env=True/trust_env=False/')" sh \
    "https://$NAME:$TPORT/hello/aio-default" 2>&1) || rc=$?
sg_check "aiohttp without trust_env: fails (tries a direct route)" 1 \
    "$([ $rc != 0 ] && echo 1 || echo 0)"
# Java's HttpClient asks no default Authenticator: without
# .authenticator(Authenticator.getDefault()) the tunnel gets 407.
rc=0
o=$(docker exec "$ID" java -cp /mnt/skills JClient httpclient \
    "https://$NAME:$TPORT/hello/hc-default" 2>&1) || rc=$?
sg_check_match "Java HttpClient without an authenticator: 407" '407' "$rc $o"
sg_check "neither reached the upstream" 0 \
    "$(( $(hits aio-default) + $(hits hc-default) ))"

echo "# the image's glue is what makes node and Java work"
run nodefetch "https://$NAME:$TPORT/hello/no-preload" "unset NODE_OPTIONS;"
sg_check "node fetch without the preload fails" 1 "$([ $rc != 0 ] && echo 1 || echo 0)"
run javaurl "https://$NAME:$TPORT/hello/no-agent" "unset JDK_JAVA_OPTIONS;"
sg_check_match "Java without the agent: 407" '407' "$rc $o"
sg_check "neither reached the upstream" 0 \
    "$(( $(hits no-preload) + $(hits no-agent) ))"
run javaurl "https://$NAME:$TPORT/hello/java-stderr"
sg_check_match "the JVM prints its option variables" 'Picked up JAVA_TOOL_OPTIONS' "$o"
sg_check "and they hold no token" 0 "$(printf '%s' "$o" | grep -c 'jwt_' || true)"

echo "# pip, npm, git over HTTPS"
rc=0
o=$(docker exec "$ID" sh -c "cd /tmp && python3 -m pip install -q --target /tmp/pyt \
    --index-url https://$NAME:$TPORT/simple/ sgdemo && PYTHONPATH=/tmp/pyt python3 -c 'import sgdemo; print(sgdemo.WHO)'" 2>&1) || rc=$?
sg_check_match "pip install from the local index" 'sgdemo from the local index' "$rc $o"
rc=0
o=$(docker exec "$ID" sh -c "mkdir -p /tmp/npmt && cd /tmp/npmt && npm install --no-save \
    --registry https://$NAME:$TPORT/ sgdemo-npm >/tmp/npm.out 2>&1; r=\$?; node -p 'require(\"sgdemo-npm\")' || cat /tmp/npm.out; exit \$r" 2>&1) || rc=$?
sg_check_match "npm install from the local registry" '^0 .*sgdemo-npm from the local registry' "$rc $(printf '%s' "$o" | tr '\n' ' ')"
rc=0
o=$(docker exec "$ID" sh -c "cd /tmp && git clone -q https://$NAME:$TPORT/repo.git g && cat g/README" 2>&1) || rc=$?
sg_check_match "git clone over HTTPS" '^0 sgdemo-git' "$rc $o"
sg_check_match "the proxy logged them as the sandbox's" "\\[$ID\\] \"CONNECT $NAME:$TPORT" \
    "$(tail -n 5 "$ALOG")"

sg_check "DELETE the sandbox" 204 "$(sg_run_api DELETE "/v1/sandboxes/$ID" | tail -n 1)"
echo "# t-clients took $(( $(date +%s) - t0 )) s"
sg_done
