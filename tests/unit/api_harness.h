/*
 * The API's operations driven through ecsfs__api_dispatch() on a store in
 * a temporary directory, as the HTTP listener drives them: a target, a
 * body, and the status and JSON that come back. For test_api_*.c.
 */
#ifndef ECSFS_API_HARNESS_H
#define ECSFS_API_HARNESS_H

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "api_private.h"
#include "tap.h"

static ecsfs_api_core api;
static int api_status;	       /* of the last call */
static char api_type[128];     /* its __type, "" on success */
static char api_message[1024]; /* its message */

/* Call ECS operation `op` with `body` (' stands for "): the reply, parsed
 * (caller decrefs), or NULL with api_type and api_message set. */
static json_t *ecs(const char *op, const char *body)
{
	char target[128], *b = strdup(body);
	ecsfs__api_reply r;
	json_t *j;

	for (char *p = b; *p; p++)
		if (*p == '\'')
			*p = '"';
	snprintf(target, sizeof(target), "AmazonEC2ContainerServiceV20141113.%s", op);
	ecsfs__api_reply_init(&r);
	ecsfs__api_dispatch(&api, target, b, strlen(b), &r);
	free(b);
	api_status = r.status;
	j = json_loadb(r.body.data ? r.body.data : "", r.body.len, 0, NULL);
	ecsfs__api_reply_release(&r);
	api_type[0] = api_message[0] = '\0';
	if (api_status == 200)
		return j;
	snprintf(api_type, sizeof(api_type), "%s",
		 j ? json_string_value(json_object_get(j, "__type")) : "(no JSON)");
	snprintf(api_message, sizeof(api_message), "%s",
		 j ? json_string_value(json_object_get(j, "message")) : "");
	json_decref(j);
	return NULL;
}

/* The call works: its reply (caller decrefs; {} when it failed). */
static json_t *ecs_ok(const char *op, const char *body)
{
	json_t *j = ecs(op, body);
	ok(j != NULL, "%s works", op);
	if (!j) {
		printf("#   %s: %s\n", api_type, api_message);
		j = json_object();
	}
	return j;
}

/* The call fails with this exception. */
#define ecs_fails(op, body, type, what)                                                         \
	do {                                                                                    \
		json_t *j_ = ecs(op, body);                                                     \
		is_int(api_status, strcmp(type, "ServerException") ? 400 : 500, "%s: %s", what, \
		       "status");                                                               \
		is_str(api_type, type, "%s: %s (%s)", what, type, api_message);                 \
		json_decref(j_);                                                                \
	} while (0)

/* The member at a path ("cluster.settings.0.value": a number is an index). */
static const json_t *node(const json_t *j, const char *path)
{
	char buf[256], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k && j; k = strtok_r(NULL, ".", &save))
		j = (*k >= '0' && *k <= '9') ? json_array_get(j, (size_t)atoi(k))
					     : json_object_get(j, k);
	return j;
}

static const char *at(const json_t *j, const char *path)
{
	return json_string_value(node(j, path));
}

#endif
