/* What test_launch.c and test_launch_pause.c share: a launch context, a
 * secret resolver, and helpers that build bodies and walk into them. */
#ifndef ECSFS_TEST_LAUNCH_HARNESS_H
#define ECSFS_TEST_LAUNCH_HARNESS_H

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ecsfs/launch.h"
#include "ecsfs/runtime.h"
#include "tap.h"

#define TASK  "0123456789abcdef0123456789abcdef"
#define PAUSE "feedfacefeedfacefeedfacefeedface"
#define MIB   (1024LL * 1024)

__attribute__((unused)) static const char *const secret_db = "s3cr3t-db-value";
__attribute__((unused)) static const char *const secret_api = "tok-api-9876";

static inline int resolve(void *data, const char *name, ecsfs_buf *value)
{
	(*(int *)data)++;
	if (strcmp(name, "db-password") == 0)
		ecsfs_buf_adds(value, secret_db);
	else if (strcmp(name, "api") == 0)
		ecsfs_buf_adds(value, secret_api);
	else if (strcmp(name, "broken") == 0)
		return -EIO;
	else
		return -ENOENT;
	return 0;
}

static int resolved;

static ecsfs_launch_ctx ctx = {
    .cluster = "default",
    .task_id = TASK,
    .task_arn = "arn:aws:ecs:local:000000000000:task/default/" TASK,
    .family = "web",
    .revision = 7,
    .pause_id = PAUSE,
    .network = "ecsfs-default",
    .secret = resolve,
    .secret_data = &resolved,
};

static json_t *parse(const char *s)
{
	json_error_t err;
	json_t *j = json_loads(s, 0, &err);

	if (!j) {
		printf("# bad test JSON: %s: %s\n", err.text, s);
		abort();
	}
	return j;
}

/* Walk into `j` along keys; "[n]" is an array index. NULL-terminated. */
static json_t *at(json_t *j, ...)
{
	va_list ap;
	const char *k;

	va_start(ap, j);
	while (j && (k = va_arg(ap, const char *)) != NULL)
		j = k[0] == '[' ? json_array_get(j, strtoul(k + 1, NULL, 10))
				: json_object_get(j, k);
	va_end(ap);
	return j;
}

static const char *s_at(json_t *j, const char *a, const char *b, const char *c)
{
	return json_string_value(at(j, a, b, c, NULL));
}

static inline long long i_at(json_t *j, const char *a, const char *b)
{
	json_t *v = at(j, a, b, NULL);
	return v ? json_integer_value(v) : -999;
}

/* Build container `name` of the task definition `td`. */
static inline int build(const char *td, const char *name, const ecsfs_launch_ctx *c, json_t **out,
			ecsfs_buf *why)
{
	json_t *doc = parse(td), *defs = json_object_get(doc, "containerDefinitions"), *e;
	size_t i;
	int r = -999;

	*out = NULL;
	ecsfs_buf_reset(why);
	json_array_foreach(defs, i, e) {
		if (strcmp(json_string_value(json_object_get(e, "name")), name) == 0)
			r = ecsfs_launch_container(doc, e, c, out, why);
	}
	json_decref(doc);
	return r;
}

static inline int build_pause(const char *td, const ecsfs_launch_ctx *c, json_t **out,
			      ecsfs_buf *why)
{
	json_t *doc = parse(td);
	int r;

	*out = NULL;
	ecsfs_buf_reset(why);
	r = ecsfs_launch_pause(doc, c, out, why);
	json_decref(doc);
	return r;
}

/* Does the array hold the string `s`? */
static inline int has(json_t *arr, const char *s)
{
	json_t *e;
	size_t i;

	json_array_foreach(arr, i, e) {
		if (json_is_string(e) && strcmp(json_string_value(e), s) == 0)
			return 1;
	}
	return 0;
}

static inline int needs(const char *td)
{
	json_t *doc = parse(td);
	int r = ecsfs_launch_needs_pause(doc);
	json_decref(doc);
	return r;
}

__attribute__((unused)) static const char *basic =
    "{\"networkMode\":\"awsvpc\",\"cpu\":\"1024\",\"memory\":\"2048\","
    "\"containerDefinitions\":[{\"name\":\"web\",\"image\":\"nginx:1.25\","
    "\"cpu\":512,\"memory\":256,\"memoryReservation\":128,"
    "\"command\":[\"nginx\",\"-g\",\"daemon off;\"],\"entryPoint\":[\"/docker-entrypoint.sh\"],"
    "\"workingDirectory\":\"/srv\",\"user\":\"101:101\",\"stopTimeout\":12,"
    "\"portMappings\":[{\"containerPort\":80}],\"dnsServers\":[\"10.0.0.2\"],"
    "\"dockerLabels\":{\"team\":\"a\",\"ecsfs.task\":\"spoofed\"},"
    "\"interactive\":true,\"pseudoTerminal\":true,\"privileged\":true,"
    "\"readonlyRootFilesystem\":true,\"essential\":true,"
    "\"logConfiguration\":{\"logDriver\":\"awslogs\",\"options\":{\"awslogs-group\":\"g\"}},"
    "\"dockerSecurityOptions\":[\"no-new-privileges\",\"credentialspec:file://x.json\"]},"
    "{\"name\":\"side\",\"image\":\"busybox\",\"memoryReservation\":64}]}";

#endif
