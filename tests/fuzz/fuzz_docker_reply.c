/* SPDX-License-Identifier: ISC */
/*
 * The Docker client's answer handling (lib/docker.c) end to end: libcurl
 * talks HTTP/1.1 over a unix socket to a fake daemon (fakesrv.c) that
 * answers with the fuzzed bytes.  docker.h exposes no pure parser of
 * answers, so this is the way in: the status classification, the body
 * cap, the JSON parse, set_daemon_err's cleaning of "message", and each
 * call's own reading (Id and Warnings of create, Runtimes of /info).
 *
 * Input: one byte choosing the call, then the raw HTTP answer.  Checked:
 * the documented codes only (docker.h), a create Id that is a valid name
 * and fits, warnings an array, and an error message that is safe to log
 * (printable ASCII only).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "docker.h"
#include "json.h"
#include "fakesrv.h"
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_srv_start(FZ_HTTP);
	return 0;
}

static void
check_err(enum sg_rc rc, const struct sg_err *err)
{
	size_t	 i;

	if (rc == SG_OK)
		return;
	FZ_ASSERT(rc == SG_EUNAVAIL || rc == SG_ETIMEOUT || rc == SG_ENOENT ||
	    rc == SG_ECONFLICT || rc == SG_EINVAL || rc == SG_EUPSTREAM ||
	    rc == SG_ENOMEM, "rc %d (%s)", (int)rc, err->msg);
	FZ_ASSERT(err->rc == rc, "err->rc %d != rc %d", (int)err->rc, (int)rc);
	for (i = 0; err->msg[i] != '\0'; i++)
		FZ_ASSERT((unsigned char)err->msg[i] >= 0x20 &&
		    (unsigned char)err->msg[i] < 0x7f,
		    "byte 0x%02x in an error message",
		    (unsigned char)err->msg[i]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct sg_docker	*dk = NULL;
	struct sg_err		 err;
	cJSON			*cfg = NULL, *out = NULL, *warn = NULL;
	char			 id[SG_DOCKER_ID_MAX + 1];
	const uint8_t		*chunk;
	size_t			 len;
	long			 status = 0;
	enum sg_rc		 rc;

	if (n < 1 || n > 2 * SG_DOCKER_MAX_BODY)
		return 0;
	chunk = d + 1;
	len = n - 1;
	fz_srv_script(&chunk, &len, 1);
	sg_err_clear(&err);
	if (sg_docker_new(fz_srv_path(), 5, &dk, &err) != SG_OK)
		FZ_FAIL("sg_docker_new: %s", err.msg);
	memset(id, 'x', sizeof(id));
	switch (d[0] % 11) {
	case 0:
		rc = sg_docker_ping(dk, &err);
		break;
	case 1:
		rc = sg_docker_runtime_check(dk, "runsc", &err);
		break;
	case 2:
		rc = sg_docker_image_inspect(dk, "sandgate-sandbox:latest",
		    &out, &err);
		break;
	case 3:
		cfg = cJSON_CreateObject();
		sg_json_add_str(cfg, "Image", "sandgate-sandbox:latest");
		rc = sg_docker_container_create(dk, "sandbox_x", cfg, id,
		    sizeof(id), &warn, &err);
		if (rc == SG_OK) {
			FZ_ASSERT(memchr(id, '\0', sizeof(id)) != NULL &&
			    sg_docker_name_valid(id), "create Id");
			FZ_ASSERT(warn == NULL || (cJSON_IsArray(warn) &&
			    cJSON_GetArraySize(warn) > 0), "warnings");
		}
		break;
	case 4:
		rc = sg_docker_container_start(dk, "sandbox_x", &err);
		break;
	case 5:
		rc = sg_docker_container_inspect(dk, "sandbox_x", &out, &err);
		if (rc == SG_OK)
			FZ_ASSERT(out != NULL, "inspect without an answer");
		break;
	case 6:
		rc = sg_docker_container_stop(dk, "sandbox_x", 0, &err);
		break;
	case 7:
		rc = sg_docker_container_remove(dk, "sandbox_x", 1, 1, &err);
		break;
	case 8:
		rc = sg_docker_container_list(dk, "sandgate.container_id", &out,
		    &err);
		break;
	case 9:
		rc = sg_docker_network_connect(dk, "sandgate-egress",
		    "sandbox_x", &err);
		break;
	default:
		rc = sg_docker_call(dk, "GET", "/version", NULL, 0, &status,
		    &out, &err);
		if (rc == SG_OK)
			FZ_ASSERT((status >= 200 && status < 300) ||
			    status == 304, "status %ld is SG_OK", status);
		break;
	}
	check_err(rc, &err);
	if (rc != SG_OK)
		FZ_ASSERT(out == NULL && warn == NULL, "output on error");
	cJSON_Delete(warn);
	cJSON_Delete(out);
	cJSON_Delete(cfg);
	sg_docker_free(dk);
	return 0;
}
