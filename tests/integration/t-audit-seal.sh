#!/bin/sh
# SPDX-License-Identifier: ISC
# Issue 17: sandbox-destroy seals a sandbox's audit trail (lib/chain.h).
# The stack as run.sh starts it; a sandbox created and destroyed through
# the API; its trail (sandbox_created ... trail_sealed, final) verifies
# with `sandgate audit verify --final` against the JWKS, from Redis and
# from the export.  t-audit-chain.sh covers tampering and concurrency.
. "$(dirname "$0")/lib.sh"

sg_setup
. "$SG_TOP/tests/integration/lib-docker.sh"
sg_ensure_dockerd

sg_own_stack auditseal 1
# The trail, not the isolation, is under test here: runc is quicker.
export SG_RUNTIME=${SG_RUNTIME:-runc}
sg_own_subnet 172.30 245 5
sg_run_config
: > "$T/containers"
sg_on_exit 'sg_run_stop'
sg_on_exit 'for c in $(cat "$T/containers"); do docker rm -f "$c"; done'
sg_run_start_stack

out=$(sg_run_api POST /v1/sandboxes "{\"user_id\":\"auditseal\",\"organization_uuid\":\"00000000-0000-4000-8000-0000000c0517\",\"allowed_hosts\":[\"localhost:$SG_TARGET_PORT\"],\"duration_hours\":1}")
st=$(printf '%s\n' "$out" | tail -n 1)
sg_check "POST /v1/sandboxes" 201 "$st"
[ "$st" = 201 ] || { echo "$out"; exit 1; }
ID=$(printf '%s\n' "$out" | head -n 1 | jq -r .container_id)
echo "$ID" >> "$T/containers"
st=$(sg_run_api DELETE "/v1/sandboxes/$ID" | tail -n 1)
sg_check "DELETE /v1/sandboxes/{id}" 204 "$st"
sleep 0.5
rc=0
out=$("$SG_CLI" audit verify --final --keys "$SG_KEYS/jwks.json" "$ID") || rc=$?
echo "# $out"
sg_check "the destroyed sandbox's trail verifies, finally sealed" 0 "$rc"
sg_check "sealed by sandbox-destroy" "sandbox-destroy sandbox_destroyed 1" \
    "$(redis-cli -s "$SG_SOCKDIR/redis.sock" XREVRANGE "sandgate:audit:$ID" + - COUNT 1 |
    awk 'p == "service" { s = $0 } p == "reason" { r = $0 } p == "final" { f = $0 }
	{ p = $0 } END { print s, r, f }')"
sg_check "the trail keeps its TTL" 1 \
    "$(t=$(redis-cli -s "$SG_SOCKDIR/redis.sock" TTL "sandgate:audit:$ID"); [ "$t" -gt 0 ] && echo 1)"
sg_done
