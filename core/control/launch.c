/*
 * What a task definition means to the engine: the reading every part of
 * it shares. The document has been validated at registration, but it may
 * come from an older store or through overrides, so every field is read
 * with its type checked: a wrong one is -EINVAL and a message that names
 * the field ("containerDefinitions[1].memory: must be an integer"), never
 * a crash. launch_pause.c builds the pause container, launch_container.c
 * (with launch_env.c) a container of the task, launch_volumes.c its
 * volumes, launch_overrides.c applies RunTask overrides.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/launch_private.h"
#include "ecsfs/taskdef.h"
#include "ecsfs/util.h"

/* The engine keeps each container's output for ecsfs to follow; ecsfs
 * writes what it captures to its own log files, so the engine's copy only
 * has to bridge a daemon restart, and must not grow without bound. */
#define ENGINE_LOG_MAX_SIZE "10m"
#define ENGINE_LOG_MAX_FILE "3"

/* ---- paths and errors ---- */

size_t ecsfs__lc_at_key(struct lc *l, const char *key)
{
	size_t mark = l->at.len;

	if (mark)
		ecsfs_buf_addch(&l->at, '.');
	ecsfs_buf_adds(&l->at, key);
	return mark;
}

size_t ecsfs__lc_at_index(struct lc *l, size_t i)
{
	size_t mark = l->at.len;

	ecsfs_buf_addf(&l->at, "[%zu]", i);
	return mark;
}

void ecsfs__lc_at_pop(struct lc *l, size_t mark)
{
	ecsfs_buf_setlen(&l->at, mark);
}

/* "<path>: <message>" into *why; returns -EINVAL. */
int ecsfs__lc_fail(struct lc *l, const char *fmt, ...)
{
	va_list ap;

	ecsfs_buf_reset(l->why);
	if (l->at.len)
		ecsfs_buf_addf(l->why, "%s: ", l->at.data);
	va_start(ap, fmt);
	ecsfs_buf_vaddf(l->why, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* ---- typed reading ---- */

static bool jt_is(const json_t *v, enum jt t)
{
	switch (t) {
	case J_STR: return json_is_string(v);
	case J_INT: return json_is_integer(v);
	case J_BOOL: return json_is_boolean(v);
	case J_ARR: return json_is_array(v);
	case J_OBJ: return json_is_object(v);
	}
	return false;
}

/* Check that `v` (at the current path) is of type `t`; strings must not
 * hold NUL bytes (they end up in C strings and the engine's argv). */
int ecsfs__lc_check_type(struct lc *l, const json_t *v, enum jt t)
{
	static const char *const what[] = {[J_STR] = "a string",
					   [J_INT] = "an integer",
					   [J_BOOL] = "a boolean",
					   [J_ARR] = "an array",
					   [J_OBJ] = "an object"};

	if (!jt_is(v, t))
		return ecsfs__lc_fail(l, "must be %s", what[t]);
	if (t == J_STR && strlen(json_string_value(v)) != json_string_length(v))
		return ecsfs__lc_fail(l, "must not contain NUL bytes");
	return 0;
}

/* obj[key] into *out, NULL when absent; -EINVAL when of another type. */
int ecsfs__lc_get(struct lc *l, const json_t *obj, const char *key, enum jt t, const json_t **out)
{
	const json_t *v = json_object_get(obj, key);
	size_t mark;
	int r;

	if (v) {
		mark = ecsfs__lc_at_key(l, key);
		if ((r = ecsfs__lc_check_type(l, v, t)) < 0)
			return r;
		ecsfs__lc_at_pop(l, mark);
	}
	*out = v;
	return 0;
}

int ecsfs__lc_get_str(struct lc *l, const json_t *obj, const char *key, const char **out)
{
	const json_t *v;
	int r = ecsfs__lc_get(l, obj, key, J_STR, &v);

	*out = r < 0 ? NULL : json_string_value(v);
	return r;
}

/* An integer field within lo..hi; *set says whether it was there. */
int ecsfs__lc_get_int(struct lc *l, const json_t *obj, const char *key, long long lo, long long hi,
		      long long *out, bool *present)
{
	const json_t *v;
	int r;

	*present = false;
	if ((r = ecsfs__lc_get(l, obj, key, J_INT, &v)) < 0 || !v)
		return r;
	*out = json_integer_value(v);
	if (*out < lo || *out > hi) {
		ecsfs__lc_at_key(l, key);
		return ecsfs__lc_fail(l, "%lld is outside %lld..%lld", *out, lo, hi);
	}
	*present = true;
	return 0;
}

int ecsfs__lc_get_bool(struct lc *l, const json_t *obj, const char *key, bool *out)
{
	const json_t *v;
	int r = ecsfs__lc_get(l, obj, key, J_BOOL, &v);

	*out = r == 0 && json_is_true(v);
	return r;
}

/* A copy of an array of strings, NULL when absent. */
int ecsfs__lc_get_strings(struct lc *l, const json_t *obj, const char *key, json_t **out)
{
	const json_t *arr, *e;
	size_t i, mark;
	int r;

	*out = NULL;
	if ((r = ecsfs__lc_get(l, obj, key, J_ARR, &arr)) < 0 || !arr)
		return r;
	mark = ecsfs__lc_at_key(l, key);
	json_array_foreach(arr, i, e) {
		size_t m = ecsfs__lc_at_index(l, i);
		if ((r = ecsfs__lc_check_type(l, e, J_STR)) < 0)
			return r;
		ecsfs__lc_at_pop(l, m);
	}
	ecsfs__lc_at_pop(l, mark);
	*out = must(json_deep_copy(arr));
	return 0;
}

/* A copy of an object whose values are strings (labels, options). */
int ecsfs__lc_get_string_map(struct lc *l, const json_t *obj, const char *key, json_t **out)
{
	const json_t *map;
	const char *k;
	json_t *v;
	size_t mark;
	int r;

	*out = NULL;
	if ((r = ecsfs__lc_get(l, obj, key, J_OBJ, &map)) < 0 || !map)
		return r;
	mark = ecsfs__lc_at_key(l, key);
	/* jansson's iteration takes a non-const object; nothing here writes */
	json_object_foreach((json_t *)map, k, v) {
		size_t m = ecsfs__lc_at_key(l, k);
		if ((r = ecsfs__lc_check_type(l, v, J_STR)) < 0)
			return r;
		ecsfs__lc_at_pop(l, m);
	}
	ecsfs__lc_at_pop(l, mark);
	*out = must(json_deep_copy(map));
	return 0;
}

/* Element i of an array of objects, at path "<key>[i]" (left pushed). */
int ecsfs__lc_element(struct lc *l, const json_t *arr, size_t i, const json_t **out)
{
	*out = json_array_get(arr, i);
	ecsfs__lc_at_index(l, i);
	return ecsfs__lc_check_type(l, *out, J_OBJ);
}

/* ---- the task ---- */

static int parse_net(const json_t *taskdef, enum net *out)
{
	const json_t *v = json_object_get(taskdef, "networkMode");
	static const char *const names[] = {[NET_AWSVPC] = "awsvpc",
					    [NET_BRIDGE] = "bridge",
					    [NET_NONE] = "none",
					    [NET_HOST] = "host"};

	if (!v) {
		/* unset: like awsvpc, every container of the task shares one
		 * namespace (DESIGN §2) */
		*out = NET_AWSVPC;
		return 0;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (json_is_string(v) && strcmp(json_string_value(v), names[i]) == 0) {
			*out = (enum net)i;
			return 0;
		}
	}
	return -EINVAL;
}

int ecsfs__lc_init(struct lc *l, const json_t *taskdef, const ecsfs_launch_ctx *ctx, ecsfs_buf *why)
{
	const json_t *v;
	int r;

	memset(l, 0, sizeof(*l));
	l->taskdef = taskdef;
	l->ctx = ctx;
	l->why = why;
	ecsfs_buf_init(&l->at);
	if (!json_is_object(taskdef))
		return ecsfs__lc_fail(l, "a task definition must be a JSON object");
	if (parse_net(taskdef, &l->net) < 0) {
		ecsfs__lc_at_key(l, "networkMode");
		return ecsfs__lc_fail(l, "must be awsvpc, bridge, host or none");
	}
	if ((r = ecsfs__lc_get_str(l, taskdef, "pidMode", &l->pid_mode)) < 0 ||
	    (r = ecsfs__lc_get_str(l, taskdef, "ipcMode", &l->ipc_mode)) < 0)
		return r;
	if (l->pid_mode && strcmp(l->pid_mode, "task") != 0 && strcmp(l->pid_mode, "host") != 0) {
		ecsfs__lc_at_key(l, "pidMode");
		return ecsfs__lc_fail(l, "must be host or task");
	}
	if (l->ipc_mode && strcmp(l->ipc_mode, "task") != 0 && strcmp(l->ipc_mode, "host") != 0 &&
	    strcmp(l->ipc_mode, "none") != 0) {
		ecsfs__lc_at_key(l, "ipcMode");
		return ecsfs__lc_fail(l, "must be host, task or none");
	}
	if ((r = ecsfs__lc_get(l, taskdef, "containerDefinitions", J_ARR, &v)) < 0)
		return r;
	return ecsfs__lc_get(l, taskdef, "volumes", J_ARR, &v);
}

int ecsfs_launch_own_address(const json_t *taskdef)
{
	enum net net;

	return parse_net(taskdef, &net) == 0 && net == NET_AWSVPC;
}

int ecsfs_launch_needs_pause(const json_t *taskdef)
{
	enum net net;

	if (parse_net(taskdef, &net) < 0 || net != NET_HOST)
		return 1;
	/* host networking, but pid or ipc namespaces the task's containers
	 * share still need an owner */
	return is(json_string_value(json_object_get(taskdef, "pidMode")), "task") ||
	       is(json_string_value(json_object_get(taskdef, "ipcMode")), "task");
}

void ecsfs_launch_container_name(const char *task_id, const char *container, ecsfs_buf *out)
{
	/* '.' cannot be part of an ECS container name, so the pause's name
	 * never meets a container that is called "pause" */
	if (strcmp(container, ECSFS_PAUSE_NAME) == 0)
		ecsfs_buf_addf(out, "ecsfs-%s.pause", task_id);
	else
		ecsfs_buf_addf(out, "ecsfs-%s-%s", task_id, container);
}

/* Labels every container of the task has; `name` is the container's. */
json_t *ecsfs__launch_task_labels(const ecsfs_launch_ctx *ctx, const char *name,
				  const char *ecs_name)
{
	json_t *labels = must(json_object());
	char rev[24];

	snprintf(rev, sizeof(rev), "%lld", (long long)ctx->revision);
	set(labels, ECSFS_LABEL_MANAGED, json_string("1"));
	set(labels, ECSFS_LABEL_TASK, json_string(nz(ctx->task_id)));
	set(labels, ECSFS_LABEL_CLUSTER, json_string(nz(ctx->cluster)));
	set(labels, ECSFS_LABEL_CONTAINER, json_string(name));
	set(labels, "com.amazonaws.ecs.task-arn", json_string(nz(ctx->task_arn)));
	set(labels, "com.amazonaws.ecs.cluster", json_string(nz(ctx->cluster)));
	set(labels, "com.amazonaws.ecs.container-name", json_string(ecs_name));
	set(labels, "com.amazonaws.ecs.task-definition-family", json_string(nz(ctx->family)));
	set(labels, "com.amazonaws.ecs.task-definition-version", json_string(rev));
	return labels;
}

json_t *ecsfs__launch_log_config(void)
{
	return json_pack("{s:s, s:{s:s, s:s}}", "Type", "json-file", "Config", "max-size",
			 ENGINE_LOG_MAX_SIZE, "max-file", ENGINE_LOG_MAX_FILE);
}

/* ---- system controls: which namespace owns a sysctl ---- */

enum sysctl_ns { NS_NET, NS_IPC, NS_OTHER };

static enum sysctl_ns sysctl_ns(const char *key)
{
	static const char *const ipc[] = {"kernel.msgmax", "kernel.msgmnb",	    "kernel.msgmni",
					  "kernel.sem",	   "kernel.shmall",	    "kernel.shmmax",
					  "kernel.shmmni", "kernel.shm_rmid_forced"};

	if (strncmp(key, "net.", 4) == 0)
		return NS_NET;
	if (strncmp(key, "fs.mqueue.", 10) == 0)
		return NS_IPC;
	for (size_t i = 0; i < sizeof(ipc) / sizeof(ipc[0]); i++)
		if (strcmp(key, ipc[i]) == 0)
			return NS_IPC;
	return NS_OTHER;
}

/*
 * The systemControls of container `c` that belong to the pause (`pause`
 * true: the network namespace, and the IPC one when the task shares it)
 * or to the container itself, added to `sysctls`. A sysctl of a namespace
 * the host owns cannot be set.
 */
int ecsfs__launch_add_sysctls(struct lc *l, const json_t *c, bool pause, json_t *sysctls)
{
	const json_t *list, *sc;
	size_t i, mark;
	int r;

	if ((r = ecsfs__lc_get(l, c, "systemControls", J_ARR, &list)) < 0 || !list)
		return r;
	mark = ecsfs__lc_at_key(l, "systemControls");
	for (i = 0; i < json_array_size(list); i++) {
		const char *key, *value;
		size_t m = l->at.len;
		if ((r = ecsfs__lc_element(l, list, i, &sc)) < 0 ||
		    (r = ecsfs__lc_get_str(l, sc, "namespace", &key)) < 0 ||
		    (r = ecsfs__lc_get_str(l, sc, "value", &value)) < 0)
			return r;
		if (!key || !value)
			return ecsfs__lc_fail(l, "needs namespace and value");
		enum sysctl_ns ns = sysctl_ns(key);
		if (ns == NS_NET && l->net == NET_HOST)
			return ecsfs__lc_fail(
			    l,
			    "%s belongs to the host's network namespace in host network "
			    "mode and cannot be set",
			    key);
		if (ns == NS_IPC && is(l->ipc_mode, "host"))
			return ecsfs__lc_fail(
			    l,
			    "%s belongs to the host's IPC namespace with ipcMode host "
			    "and cannot be set",
			    key);
		bool on_pause = ns == NS_NET || (ns == NS_IPC && is(l->ipc_mode, "task"));
		if (on_pause == pause)
			set(sysctls, key, json_string(value)); /* the last one wins, as in ECS */
		ecsfs__lc_at_pop(l, m);
	}
	ecsfs__lc_at_pop(l, mark);
	return 0;
}

/* Set l->at to "containerDefinitions[i]" (just "container" when `c` is
 * not one of the task's own objects; i == -1: look for it) and read the
 * container's name. */
int ecsfs__lc_enter_container(struct lc *l, const json_t *c, size_t i)
{
	const json_t *defs = json_object_get(l->taskdef, "containerDefinitions");
	size_t k;
	int r;

	ecsfs_buf_reset(&l->at);
	if (i == (size_t)-1) {
		for (k = 0; k < json_array_size(defs); k++)
			if (json_array_get(defs, k) == c)
				i = k;
	}
	if (i != (size_t)-1)
		ecsfs_buf_addf(&l->at, "containerDefinitions[%zu]", i);
	else
		ecsfs_buf_adds(&l->at, "container");
	if ((r = ecsfs__lc_check_type(l, c, J_OBJ)) < 0 ||
	    (r = ecsfs__lc_get_str(l, c, "name", &l->name)) < 0)
		return r;
	if (!l->name || !*l->name) {
		ecsfs__lc_at_key(l, "name");
		return ecsfs__lc_fail(l, "missing; it is required");
	}
	return 0;
}
