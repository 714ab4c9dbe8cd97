# SPDX-License-Identifier: ISC
# Keys: the signing key pair and the operator token of the stack.

# Signing key and its public half.  An existing key is kept.
sg_run_keys()
{
	# private-key.pem (0600), public-key.pem, jwks.json; kept if present.
	[ -s "$SG_KEYS/private-key.pem" ] ||
	    "$SG_CLI" keygen "$SG_KEYS" >/dev/null ||
	    sg_run_die "sandgate keygen failed"
	# Operator tokens have their own key, which no service holds:
	# operator.pem (0600) and operator.jwks.json (docs/deploy.md §3).
	[ -s "$SG_KEYS/operator.pem" ] ||
	    "$SG_CLI" keys --operator init "$SG_KEYS" >/dev/null ||
	    sg_run_die "sandgate keys --operator init failed"
	# The secrets' AES-256-GCM key, 64 hex digits, mode 0600 (see docs/secrets.md).
	[ -s "$SG_KEYS/secret.key" ] ||
	    (umask 077 && openssl rand -hex 32 >"$SG_KEYS/secret.key") ||
	    sg_run_die "openssl rand (the secrets' key) failed"
}

# An operator token for the management API, kept in the run directory.
sg_run_operator_token()
{
	"$SG_CLI" token --sub "${SG_OPERATOR:-operator}" \
	    --scope "tokens:issue sandboxes:create sandboxes:destroy sessions:read metrics:read sandboxes:update secrets:write" \
	    --ttl 14400 > "$SG_RUNDIR/operator.token.tmp" ||
	    sg_run_die "sandgate token failed"
	chmod 600 "$SG_RUNDIR/operator.token.tmp"
	mv "$SG_RUNDIR/operator.token.tmp" "$SG_RUNDIR/operator.token"
	SG_OPTOKEN=$(cat "$SG_RUNDIR/operator.token")
}

