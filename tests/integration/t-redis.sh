#!/bin/sh
# SPDX-License-Identifier: ISC
# The Redis session format as a contract with other tools (docs/contract.md
# §7): what lib/session.c writes, read back with redis-cli and
# Python's json module; what another tool (Python, redis-cli) writes, read
# by lib/session.c; and a server restarted from its RDB file, which
# answers -LOADING for a while (docs/security.md 6.3).  Kill/restart,
# SIGSTOP, READONLY and AUTH are covered by tests/unit/check_session.
. "$(dirname "$0")/lib.sh"

DRV=$SG_BUILD/tests/unit/sgtest_session
[ -x "$DRV" ] || { echo "missing $DRV (run make)" >&2; exit 1; }

sg_setup
sg_start_redis
U=unix:$REDIS_SOCK
TCP=redis://127.0.0.1:$REDIS_PORT

drv()
{
	"$DRV" "$@" 2>>"$T/driver.log"
}

# jq EXPR: print the Python expression EXPR, o being the JSON on stdin.
jq()
{
	python3 -c "import json, sys; o = json.load(sys.stdin); print($1)"
}

# words: the lines on stdin, sorted, on one line.
words()
{
	sort | tr '\n' ' ' | sed 's/ $//'
}

CONTRACT=allowed_hosts,container_id,container_ip,created_at,docker_id
CONTRACT=$CONTRACT,expires_at,image,jti,organization_uuid,token_sha256,user_id
KEYS='",".join(sorted(o))'

# ---- what we write, as another tool reads it

sg_check "put over unix" OK "$(drv "$U" put sandbox_wire1 alice-1 3600)"
sg_check_match "TTL is expires_at - now" '^(3599|3600)$' \
    "$(sg_redis TTL sandgate:session:sandbox_wire1)"
sg_check "put over tcp" OK "$(drv "$TCP" put sandbox_wire2 alice-1 3600)"
raw=$(sg_redis GET sandgate:session:sandbox_wire1) || true
sg_check "stored members are the contract's" "$CONTRACT" \
    "$(printf '%s' "$raw" | jq "$KEYS")"
sg_check "types as the contract says" \
    "str str str str str str str str list int int" \
    "$(printf '%s' "$raw" | jq '" ".join(type(o[n]).__name__ for n in
    ("container_id", "user_id", "organization_uuid", "jti", "token_sha256",
    "container_ip", "docker_id", "image", "allowed_hosts", "created_at",
    "expires_at"))')"
sg_check "allowed_hosts is an array of strings" \
    '["api.github.com", "*.pypi.org:443"]' \
    "$(printf '%s' "$raw" | jq 'json.dumps(o["allowed_hosts"])')"
sg_check "expires_at - created_at" 3600 \
    "$(printf '%s' "$raw" | jq 'o["expires_at"] - o["created_at"]')"
sg_check "user index is a set" set "$(sg_redis TYPE sandgate:user:alice-1)"
sg_check "user index members" "sandbox_wire1 sandbox_wire2" \
    "$(sg_redis SMEMBERS sandgate:user:alice-1 | words)"
sg_check "user index has no TTL" -1 "$(sg_redis TTL sandgate:user:alice-1)"
sg_check "only our keys" "sandgate:session:sandbox_wire1 \
sandgate:session:sandbox_wire2 sandgate:user:alice-1" \
    "$(sg_redis --scan | words)"

# ---- what another tool writes, as we read it

# A Python writer: its own member order, ", " separators, an extra member
# we must ignore, an uppercase UUID, no hosts, no container address.
py=$(python3 -c '
import json, time
now = int(time.time())
print(json.dumps({
    "expires_at": now + 600, "created_at": now, "image": "python:3.12-slim",
    "docker_id": "", "container_ip": "", "allowed_hosts": [],
    "token_sha256": "ab" * 32, "jti": "0f8fad5b-d9cb-469f-a165-70867728950e",
    "organization_uuid": "123E4567-E89B-12D3-A456-426614174000",
    "user_id": "bob", "container_id": "sandbox_py1", "note": "from python"}))')
printf '%s' "$py" | sg_redis -x SET sandgate:session:sandbox_py1 >/dev/null
sg_redis EXPIRE sandgate:session:sandbox_py1 600 >/dev/null
sg_redis SADD sandgate:user:bob sandbox_py1 >/dev/null
got=$(drv "$U" get sandbox_py1) || true
sg_check "foreign session read" "$CONTRACT" \
    "$(printf '%s' "$got" | jq "$KEYS")"
sg_check "foreign session values kept" same "$(python3 -c '
import json, sys
a = json.loads(sys.argv[1]); b = json.loads(sys.argv[2]); del a["note"]
print("same" if a == b else "differ: %r %r" % (a, b))' "$py" "$got")"
sg_check "foreign session listed" 1 \
    "$(drv "$U" list bob | jq 'len(o["sessions"])')"
sg_check "foreign session counted" 1 "$(drv "$TCP" count bob)"

# A plausible writer bug: expires_at as a string.  Refused, no crash.
printf '%s' "$py" | python3 -c '
import json, sys
o = json.load(sys.stdin); o["expires_at"] = str(o["expires_at"])
o["container_id"] = "sandbox_py2"; print(json.dumps(o))' |
    sg_redis -x SET sandgate:session:sandbox_py2 >/dev/null
sg_check "bad foreign session refused" "ERR bad_session" \
    "$(drv "$U" get sandbox_py2)"
# Not even a string value: a set under a session key.
sg_redis SADD sandgate:session:sandbox_py3 x >/dev/null
sg_check "wrong type refused" "ERR redis_error" "$(drv "$U" get sandbox_py3)"
sg_check "and the next call is fine" OK "$(drv "$U" ping)"

# Eviction or expiry behind our back: the index entry is dropped.
sg_redis DEL sandgate:session:sandbox_py1 >/dev/null
sg_check "gone session not counted" 0 "$(drv "$U" count bob)"
sg_check "gone session removed from the index" 0 \
    "$(sg_redis EXISTS sandgate:user:bob)"

# del as sandbox-destroy does it (user unknown): both keys go.
sg_check "del" OK "$(drv "$U" del sandbox_wire1)"
sg_check "session key deleted" 0 \
    "$(sg_redis EXISTS sandgate:session:sandbox_wire1)"
sg_check "index entry deleted" 0 \
    "$(sg_redis SISMEMBER sandgate:user:alice-1 sandbox_wire1)"
sg_check "del again" "ERR session_not_found" "$(drv "$U" del sandbox_wire1)"

# prune, as the reaper runs it, over index sets written by someone else.
sg_redis SADD sandgate:user:carol sandbox_gone1 sandbox_gone2 >/dev/null
sg_redis SADD sandgate:user:alice-1 sandbox_gone3 >/dev/null
sg_check "prune" 3 "$(drv "$U" prune)"
sg_check "empty index deleted" 0 "$(sg_redis EXISTS sandgate:user:carol)"
sg_check "live entry kept" 1 \
    "$(sg_redis SISMEMBER sandgate:user:alice-1 sandbox_wire2)"

# ---- a restart from disk: -LOADING, then the data

# Regression: LOADING is "unavailable, retry", not a bad reply, and the
# same sg_redis object recovers once the dataset is loaded.
R2=$T/r2
R2U=unix:$R2/redis.sock
mkdir "$R2"
r2_start()
{
	redis-server --port 0 --unixsocket "$R2/redis.sock" \
	    --unixsocketperm 700 --dir "$R2" --dbfilename dump.rdb \
	    --save '' --appendonly no --daemonize no \
	    --logfile "$R2/redis.log" --key-load-delay "$1" \
	    --loading-process-events-interval-bytes 1024 &
	R2_PID=$!
	sg_track_pid $R2_PID
	sg_wait_file "$R2/redis.sock"
}
r2_wait()
{
	_n=50
	while [ $_n -gt 0 ]; do
		redis-cli -s "$R2/redis.sock" PING >/dev/null 2>&1 && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	echo "redis on $R2 does not answer" >&2
	return 1
}
r2_start 0
r2_wait
sg_check "put before restart" OK "$(drv "$R2U" put sandbox_ld dora 3600)"
# 20000 filler keys at 100 us each: about two seconds of loading.
redis-cli -s "$R2/redis.sock" EVAL \
    "for i=1,20000 do redis.call('SET','filler:'..i,'x') end" 0 >/dev/null
redis-cli -s "$R2/redis.sock" SAVE >/dev/null
kill -9 "$R2_PID"
wait "$R2_PID" 2>/dev/null || true
# The dead server's socket file stays; the new one must not be confused
# with it.
rm -f "$R2/redis.sock"
r2_start 100
sg_check "get while loading" "ERR redis_loading" \
    "$(drv "$R2U" get sandbox_ld)"
sg_check "the same client recovers after loading" "redis_loading ok" \
    "$(SANDGATE_REDIS_TIMEOUT_MS=1000 drv "$R2U" wait-get sandbox_ld 100 100)"
sg_check "the session survived the restart" sandbox_ld \
    "$(drv "$R2U" get sandbox_ld | jq 'o["container_id"]')"

sg_done
