/* SPDX-License-Identifier: ISC */
/*
 * Chained, signed per-sandbox audit trails: see chain.h.  The writer
 * side (one entry through the Lua script) is audit.c's; here are the
 * canonical form, the check, the export and the seal.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "audit.h"
#include "chain.h"
#include "claims.h"
#include "compat.h"
#include "crypto.h"
#include "json.h"
#include "jwt.h"
#include "redis-private.h"

/*
 * The script hashes nothing (Redis 7's Lua has SHA-1 only, and SHA-256
 * in Lua costs about 50 us of the one Redis thread per block): it only
 * orders, which is what must happen inside Redis.  Each stream's last
 * entry is read once per call, however many entries the call appends
 * to it, and its expiry set once: a batch of n entries costs Redis one
 * script call, not n (docs/performance.md, option (g)).
 */
const char sg_chain_script[] =
"local st = {}\n"
"local function state(key)\n"
"  local s = st[key]\n"
"  if s ~= nil then return s end\n"
"  s = {seq = 0, prev = '" SG_CHAIN_ZERO "', closed = false, n = 0}\n"
"  local last = redis.call('XREVRANGE', key, '+', '-', 'COUNT', 1)\n"
"  if #last > 0 then\n"
"    local f, ev, fin = last[1][2], nil, nil\n"
"    for i = 1, #f, 2 do\n"
"      if f[i] == 'seq' then s.seq = tonumber(f[i + 1]) or 0\n"
"      elseif f[i] == 'digest' then s.prev = f[i + 1]\n"
"      elseif f[i] == 'event' then ev = f[i + 1]\n"
"      elseif f[i] == 'final' then fin = f[i + 1] end\n"
"    end\n"
"    s.closed = ev == '" SG_CHAIN_EVENT_SEAL "' and fin == '1'\n"
"  end\n"
"  st[key] = s\n"
"  return s\n"
"end\n"
"if ARGV[3] ~= '' and (state(KEYS[1]).closed or\n"
"    tonumber(ARGV[3]) ~= state(KEYS[1]).seq) then\n"
"  return state(KEYS[1]).closed and 0 or -1\n"
"end\n"
"local added, i = 0, 4\n"
"while i + 2 <= #ARGV do\n"
"  local key, d, n = KEYS[tonumber(ARGV[i])], ARGV[i + 1],\n"
"    tonumber(ARGV[i + 2]) or 0\n"
"  local f0 = i + 3\n"
"  i = f0 + 2 * n\n"
"  local s = key and state(key)\n"
"  if s and not s.closed and i - 1 <= #ARGV then\n"
"    local a = {'XADD', key, 'MAXLEN', '~', ARGV[1], '*',\n"
"      'seq', string.format('%d', s.seq + 1), 'prev', s.prev,\n"
"      'digest', d}\n"
"    for j = f0, i - 1 do a[#a + 1] = ARGV[j] end\n"
"    redis.call(unpack(a))\n"
"    s.seq, s.prev, s.n = s.seq + 1, d, s.n + 1\n"
"    added = added + 1\n"
"  end\n"
"end\n"
"for key, s in pairs(st) do\n"
"  if s.n > 0 then redis.call('EXPIRE', key, ARGV[2]) end\n"
"end\n"
"return added\n";

int
sg_chain_reserved(const char *name)
{
	return strcmp(name, "seq") == 0 || strcmp(name, "prev") == 0 ||
	    strcmp(name, "digest") == 0;
}

struct pair {
	const char	*name, *value;
};

static int
pair_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pair *)a)->name,
	    ((const struct pair *)b)->name);
}

enum sg_rc
sg_chain_digest(const char **names, const char **values, size_t n,
    char hex[SG_CHAIN_HEX], struct sg_err *err)
{
	struct pair	*p = NULL;
	char		*buf = NULL;
	size_t		 i, len = 0, off = 0, a, b;
	enum sg_rc	 rc = SG_OK;

	if (n > 4 * SG_AUDIT_MAX_FIELDS)
		return sg_err_set(err, SG_EINVAL, NULL, "too many fields");
	if ((p = calloc(n + 1, sizeof(*p))) == NULL)
		return sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
	for (i = 0; i < n; i++) {
		p[i].name = names[i];
		p[i].value = values[i];
		len += strlen(names[i]) + strlen(values[i]) + 2;
	}
	qsort(p, n, sizeof(*p), pair_cmp);
	if ((buf = malloc(len + 1)) == NULL) {
		rc = sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		a = strlen(p[i].name);
		b = strlen(p[i].value);
		memcpy(buf + off, p[i].name, a + 1);	/* with its NUL */
		off += a + 1;
		memcpy(buf + off, p[i].value, b + 1);
		off += b + 1;
	}
	sg_sha256_hex(buf, off, hex);
out:
	free(buf);
	free(p);
	return rc;
}

/* The digest of an entry's fields (reserved names left out). */
static enum sg_rc
entry_digest(const cJSON *fields, char hex[SG_CHAIN_HEX], struct sg_err *err)
{
	const char	*names[4 * SG_AUDIT_MAX_FIELDS];
	const char	*values[4 * SG_AUDIT_MAX_FIELDS];
	const cJSON	*f;
	size_t		 n = 0;

	cJSON_ArrayForEach(f, fields) {
		if (!cJSON_IsString(f) || f->string == NULL)
			return sg_err_set(err, SG_EINVAL, NULL,
			    "field is not a string");
		if (sg_chain_reserved(f->string))
			continue;
		if (n == sizeof(names) / sizeof(names[0]))
			return sg_err_set(err, SG_EINVAL, NULL,
			    "too many fields");
		names[n] = f->string;
		values[n++] = f->valuestring;
	}
	return sg_chain_digest(names, values, n, hex, err);
}

static int
unhex32(const char *hex, uint8_t out[32])
{
	unsigned int	 v;
	size_t		 i;

	if (hex == NULL || strlen(hex) != 64)
		return 0;
	for (i = 0; i < 32; i++) {
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return 0;
		out[i] = (uint8_t)v;
	}
	return 1;
}

/* head = SHA-256(head || digest), both raw (chain.h). */
static void
head_step(uint8_t head[32], const char *digest_hex)
{
	uint8_t	 m[64];

	memcpy(m, head, 32);
	(void)unhex32(digest_hex, m + 32);
	sg_sha256(m, sizeof(m), head);
}

static void
to_hex(const uint8_t b[32], char hex[SG_CHAIN_HEX])
{
	size_t	 i;

	for (i = 0; i < 32; i++)
		(void)snprintf(hex + 2 * i, 3, "%02x", b[i]);
}

enum sg_rc
sg_chain_head(const cJSON *entries, size_t n, char hex[SG_CHAIN_HEX],
    struct sg_err *err)
{
	uint8_t		 head[32] = { 0 };
	char		 d[SG_CHAIN_HEX];
	const cJSON	*e;
	size_t		 i = 0;
	enum sg_rc	 rc;

	cJSON_ArrayForEach(e, entries) {
		if (i++ == n)
			break;
		if ((rc = entry_digest(sg_json_get(e, "fields"), d, err)) !=
		    SG_OK)
			return rc;
		head_step(head, d);
	}
	to_hex(head, hex);
	return SG_OK;
}

static enum sg_rc
bad(struct sg_chain_result *res, const cJSON *e, size_t i, const char *what,
    struct sg_err *err)
{
	const char	*id = sg_json_str(e, "id");

	(void)strlcpy(res->bad_id, id != NULL ? id : "", sizeof(res->bad_id));
	res->bad_index = i;
	(void)snprintf(res->what, sizeof(res->what),
	    "broken at record %zu (id %s): %s", i, res->bad_id, what);
	return sg_err_set(err, SG_EAUTH, "audit_chain_broken", "%s",
	    res->what);
}

/* A seal entry at position i: its JWS over the i - 1 entries before. */
static int
seal_ok(const cJSON *f, const char *cid, const struct sg_keyset *keys,
    size_t i, const uint8_t head[32], int *final, char *why, size_t wsz)
{
	const char	*jws = sg_json_str(f, "jws"), *h;
	const cJSON	*seq, *fin;
	cJSON		*claims = NULL;
	char		 hex[SG_CHAIN_HEX];
	struct sg_err	 e;
	int		 ok = 0;

	sg_err_clear(&e);
	if (jws == NULL) {
		(void)snprintf(why, wsz, "seal has no jws");
		return 0;
	}
	if (keys == NULL || sg_jwt_verify(keys, jws, strlen(jws), &claims,
	    NULL, &e) != SG_OK) {
		(void)snprintf(why, wsz, "seal signature: %s",
		    e.code[0] != '\0' ? e.code : "no keys");
		return 0;
	}
	to_hex(head, hex);
	seq = cJSON_GetObjectItemCaseSensitive(claims, "audit_seq");
	fin = cJSON_GetObjectItemCaseSensitive(claims, "final");
	h = sg_json_str(claims, "audit_head");
	if (sg_json_str(claims, "sub") == NULL ||
	    strcmp(sg_json_str(claims, "sub"), cid) != 0)
		(void)snprintf(why, wsz, "seal is for another sandbox");
	else if (!cJSON_IsNumber(seq) || seq->valuedouble != (double)(i - 1))
		(void)snprintf(why, wsz, "seal covers another number of "
		    "records");
	else if (h == NULL || strcmp(h, hex) != 0)
		(void)snprintf(why, wsz, "seal's head does not match the "
		    "records before it");
	else if (!cJSON_IsBool(fin) || (cJSON_IsTrue(fin) !=
	    (sg_json_str(f, "final") != NULL &&
	    strcmp(sg_json_str(f, "final"), "1") == 0)))
		(void)snprintf(why, wsz, "seal's final flag altered");
	else {
		*final = cJSON_IsTrue(fin);
		ok = 1;
	}
	cJSON_Delete(claims);
	return ok;
}

enum sg_rc
sg_chain_verify(const cJSON *entries, const char *cid,
    const struct sg_keyset *keys, int flags, struct sg_chain_result *res,
    struct sg_err *err)
{
	uint8_t		 head[32] = { 0 };
	char		 d[SG_CHAIN_HEX], prev[SG_CHAIN_HEX] = SG_CHAIN_ZERO;
	char		 want[24], why[160];
	const cJSON	*e, *f;
	const char	*s, *ev;
	size_t		 i = 0;
	int		 final = 0;
	enum sg_rc	 rc;

	memset(res, 0, sizeof(*res));
	if (!cJSON_IsArray(entries) || cid == NULL)
		return sg_err_set(err, SG_EINVAL, NULL, "no trail");
	if (flags & SG_CHAIN_NO_CHECK) {
		res->records = (size_t)cJSON_GetArraySize(entries);
		(void)snprintf(res->what, sizeof(res->what),
		    "ok: %zu records (not checked)", res->records);
		return SG_OK;
	}
	cJSON_ArrayForEach(e, entries) {
		i++;
		f = sg_json_get(e, "fields");
		if (final)
			return bad(res, e, i, "record after the final seal",
			    err);
		if ((rc = entry_digest(f, d, err)) != SG_OK)
			return rc == SG_EINVAL ? bad(res, e, i,
			    "not a record", err) : rc;
		(void)snprintf(want, sizeof(want), "%zu", i);
		if ((s = sg_json_str(f, "seq")) == NULL || strcmp(s, want) != 0)
			return bad(res, e, i, i == 1 ? "the trail does not "
			    "start at seq 1 (records before it are missing)" :
			    "seq out of order (a record removed or moved)",
			    err);
		if ((s = sg_json_str(f, "prev")) == NULL || strcmp(s, prev) != 0)
			return bad(res, e, i, "prev is not the digest of the "
			    "record before it", err);
		if ((s = sg_json_str(f, "digest")) == NULL || strcmp(s, d) != 0)
			return bad(res, e, i, "digest does not match the "
			    "record's content (record altered)", err);
		if ((ev = sg_json_str(f, "event")) != NULL &&
		    strcmp(ev, SG_CHAIN_EVENT_SEAL) == 0) {
			if (!seal_ok(f, cid, keys, i, head, &final, why,
			    sizeof(why)))
				return bad(res, e, i, why, err);
			res->sealed = 1;
			res->final = final;
			res->sealed_seq = i;
		} else if ((s = sg_json_str(f, "container_id")) == NULL ||
		    strcmp(s, cid) != 0)
			return bad(res, e, i, "record of another sandbox", err);
		head_step(head, d);
		(void)strlcpy(prev, d, sizeof(prev));
	}
	res->records = i;
	if (i == 0) {
		(void)snprintf(res->what, sizeof(res->what), "no records");
		return sg_err_set(err, SG_ENOENT, "no_trail", "%s",
		    res->what);
	}
	if (!(flags & SG_CHAIN_UNSEALED_OK) && res->sealed_seq != i)
		return bad(res, cJSON_GetArrayItem(entries, (int)i - 1), i,
		    res->sealed ? "records after the last seal are not "
		    "signed" : "the trail is not sealed", err);
	if ((flags & SG_CHAIN_WANT_FINAL) && !res->final)
		return bad(res, cJSON_GetArrayItem(entries, (int)i - 1), i,
		    "the trail does not end in a final seal", err);
	to_hex(head, d);
	if (res->sealed)
		(void)snprintf(res->what, sizeof(res->what), "ok: %zu records, "
		    "chain intact, signed through record %zu%s, head %.16s",
		    i, res->sealed_seq, res->final ? " (final seal)" : "", d);
	else
		(void)snprintf(res->what, sizeof(res->what), "ok: %zu records, "
		    "chain intact, not sealed, head %.16s", i, d);
	return SG_OK;
}

enum sg_rc
sg_chain_parse_lines(const char *buf, size_t len, cJSON **out,
    struct sg_err *err)
{
	const char	*p = buf, *end = buf + len, *nl;
	cJSON		*arr, *o;
	size_t		 n = 0;

	*out = NULL;
	if ((arr = cJSON_CreateArray()) == NULL)
		return sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		n++;
		if (nl == p) {
			p = nl + 1;
			continue;
		}
		if (n > SG_CHAIN_READ_MAX || (o = sg_json_parse_object(p,
		    (size_t)(nl - p), err)) == NULL) {
			cJSON_Delete(arr);
			if (n > SG_CHAIN_READ_MAX)
				return sg_err_set(err, SG_ETOOBIG, NULL,
				    "more than %d lines", SG_CHAIN_READ_MAX);
			return sg_err_set(err, SG_EINVAL, "bad_export",
			    "line %zu is not a JSON object", n);
		}
		if (!cJSON_IsObject(sg_json_get(o, "fields"))) {
			cJSON_Delete(o);
			cJSON_Delete(arr);
			return sg_err_set(err, SG_EINVAL, "bad_export",
			    "line %zu has no \"fields\" object", n);
		}
		cJSON_AddItemToArray(arr, o);
		p = nl + 1;
	}
	*out = arr;
	return SG_OK;
}

char *
sg_chain_export(const cJSON *entries, size_t *lenp)
{
	const cJSON	*e;
	char		*buf = NULL, *s, *nb;
	size_t		 len = 0, cap = 0, n;

	cJSON_ArrayForEach(e, entries) {
		if ((s = cJSON_PrintUnformatted(e)) == NULL)
			goto fail;
		n = strlen(s);
		if (len + n + 2 > cap) {
			cap = (len + n + 2) * 2;
			if ((nb = realloc(buf, cap)) == NULL) {
				free(s);
				goto fail;
			}
			buf = nb;
		}
		memcpy(buf + len, s, n);
		len += n;
		buf[len++] = '\n';
		free(s);
	}
	if (buf == NULL && (buf = malloc(1)) == NULL)
		return NULL;
	buf[len] = '\0';
	*lenp = len;
	return buf;
fail:
	free(buf);
	return NULL;
}

/* One try at the seal: -1 raced, 0 done (or already final), else rc. */
static enum sg_rc
seal_once(struct sg_redis *r, const struct sg_key *key, const char *cid,
    const char *service, const char *reason, int final, int *raced,
    struct sg_err *err)
{
	cJSON		*trail = NULL, *claims = NULL;
	const cJSON	*last;
	char		 head[SG_CHAIN_HEX], d[SG_CHAIN_HEX], ts[32], nseq[24];
	char		 skey[sizeof(SG_AUDIT_SANDBOX_PREFIX) + SG_ID_MAX];
	char		 smax[24], ttl[24], *jws = NULL;
	const char	*names[9], *values[9], *argv[7 + 3 + 18];
	const char	*ev, *fin;
	redisReply	*rep = NULL;
	size_t		 n, i;
	int		 argc = 0;
	enum sg_rc	 rc;
	time_t		 now = time(NULL);
	struct tm	 tm;

	*raced = 0;
	if ((rc = sg_audit_trail(r, cid, SG_CHAIN_READ_MAX, &trail, err)) !=
	    SG_OK)
		return rc;
	if ((n = (size_t)cJSON_GetArraySize(trail)) == 0) {
		rc = sg_err_set(err, SG_ENOENT, "no_trail", "no trail");
		goto out;
	}
	last = sg_json_get(cJSON_GetArrayItem(trail, (int)n - 1), "fields");
	ev = sg_json_str(last, "event");
	fin = sg_json_str(last, "final");
	if (ev != NULL && strcmp(ev, SG_CHAIN_EVENT_SEAL) == 0 &&
	    fin != NULL && strcmp(fin, "1") == 0)
		goto out;		/* already closed */
	if ((rc = sg_chain_head(trail, n, head, err)) != SG_OK)
		goto out;
	if ((claims = cJSON_CreateObject()) == NULL ||
	    sg_json_add_str(claims, "iss", "sandgate") == -1 ||
	    sg_json_add_str(claims, "sub", cid) == -1 ||
	    sg_json_add_int(claims, "audit_seq", (int64_t)n) == -1 ||
	    sg_json_add_str(claims, "audit_head", head) == -1 ||
	    cJSON_AddBoolToObject(claims, "final", final) == NULL ||
	    sg_json_add_int(claims, "iat", (int64_t)now) == -1) {
		rc = sg_err_set(err, SG_ENOMEM, NULL, "out of memory");
		goto out;
	}
	if ((rc = sg_jwt_sign(key, claims, &jws, err)) != SG_OK)
		goto out;
	(void)gmtime_r(&now, &tm);
	(void)strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	(void)snprintf(nseq, sizeof(nseq), "%zu", n);
	names[0] = "ts";		values[0] = ts;
	names[1] = "service";		values[1] = service;
	names[2] = "level";		values[2] = "info";
	names[3] = "event";		values[3] = SG_CHAIN_EVENT_SEAL;
	names[4] = "container_id";	values[4] = cid;
	names[5] = "reason";		values[5] = reason;
	names[6] = "final";		values[6] = final ? "1" : "0";
	names[7] = "kid";		values[7] = sg_key_kid(key);
	names[8] = "jws";		values[8] = jws;
	if ((rc = sg_chain_digest(names, values, 9, d, err)) != SG_OK)
		goto out;
	(void)snprintf(skey, sizeof(skey), "%s%s", SG_AUDIT_SANDBOX_PREFIX,
	    cid);
	(void)snprintf(smax, sizeof(smax), "%d", SG_AUDIT_SANDBOX_MAXLEN);
	(void)snprintf(ttl, sizeof(ttl), "%d", SG_AUDIT_SANDBOX_TTL);
	argv[argc++] = "EVAL";
	argv[argc++] = sg_chain_script;
	argv[argc++] = "1";
	argv[argc++] = skey;
	argv[argc++] = smax;
	argv[argc++] = ttl;
	argv[argc++] = nseq;
	argv[argc++] = "1";
	argv[argc++] = d;
	argv[argc++] = "9";
	for (i = 0; i < 9; i++) {
		argv[argc++] = names[i];
		argv[argc++] = values[i];
	}
	if ((rc = sg_redis_run1(r, argc, argv, &rep, err)) != SG_OK)
		goto out;
	if (rep->type != REDIS_REPLY_INTEGER) {
		rc = sg_redis_unexpected(r, "EVAL", err);
		goto out;
	}
	*raced = rep->integer == -1;
out:
	freeReplyObject(rep);
	free(jws);
	cJSON_Delete(claims);
	cJSON_Delete(trail);
	return rc;
}

enum sg_rc
sg_chain_seal(struct sg_redis *r, const struct sg_key *key, const char *cid,
    const char *service, const char *reason, int final, struct sg_err *err)
{
	int		 i, raced;
	enum sg_rc	 rc;

	if (r == NULL || key == NULL || !sg_key_is_private(key) ||
	    cid == NULL || !sg_id_valid(cid))
		return sg_err_set(err, SG_EINVAL, NULL, "bad seal request");
	/* Writers racing the seal each win at most once per try. */
	for (i = 0; i < SG_CHAIN_SEAL_TRIES; i++) {
		if ((rc = seal_once(r, key, cid, service, reason, final,
		    &raced, err)) != SG_OK || !raced)
			return rc;
	}
	return sg_err_set(err, SG_EUNAVAIL, "seal_raced",
	    "the trail kept growing during %d tries", SG_CHAIN_SEAL_TRIES);
}
