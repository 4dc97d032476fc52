/*
 * ecsfs — what the launch files share (launch.c, launch_pause.c,
 * launch_container.c, launch_env.c, launch_volumes.c, launch_overrides.c):
 * the state of one call and the typed reading of a task definition, each
 * field checked as it is read and named in the message when it is wrong.
 */
#ifndef ECSFS_LAUNCH_PRIVATE_H
#define ECSFS_LAUNCH_PRIVATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/buf.h"
#include "ecsfs/launch.h"
#include "ecsfs/runtime.h"

#define MIB (1024LL * 1024)

enum net { NET_AWSVPC, NET_BRIDGE, NET_NONE, NET_HOST };

/* What one call knows: the task, the container at hand, where to write an
 * error, and the path of the field being read (for messages). */
struct lc {
	const json_t *taskdef;
	const ecsfs_launch_ctx *ctx;
	ecsfs_buf *why;
	ecsfs_buf at;
	enum net net;
	const char *pid_mode, *ipc_mode; /* NULL when unset */
	const char *name;		 /* the container's name */
};

static inline json_t *must(json_t *j)
{
	if (!j)
		abort(); /* out of memory: as ecsfs_buf does */
	return j;
}

/* Set a member whose key is ours or came from a parsed document (so it is
 * valid UTF-8): only a failed allocation can make it fail. */
static inline void set(json_t *obj, const char *key, json_t *val)
{
	if (json_object_set_new(obj, key, must(val)) < 0)
		abort();
}

static inline void push(json_t *arr, json_t *val)
{
	if (json_array_append_new(arr, must(val)) < 0)
		abort();
}

static inline bool is(const char *s, const char *want)
{
	return s && strcmp(s, want) == 0;
}

static inline const char *nz(const char *s)
{
	return s ? s : "";
}

/* ---- paths and errors (launch.c) ---- */

/* Push ".key" or "[i]" onto the path; the mark given back pops it. */
size_t ecsfs__lc_at_key(struct lc *l, const char *key);
size_t ecsfs__lc_at_index(struct lc *l, size_t i);
void ecsfs__lc_at_pop(struct lc *l, size_t mark);
/* "<path>: <message>" into *why; returns -EINVAL. */
int ecsfs__lc_fail(struct lc *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- typed reading (launch.c): -EINVAL + why for a wrong type ---- */

enum jt { J_STR, J_INT, J_BOOL, J_ARR, J_OBJ };

/* Check that `v` (at the current path) is of type `t`; strings must not
 * hold NUL bytes (they end up in C strings and the engine's argv). */
int ecsfs__lc_check_type(struct lc *l, const json_t *v, enum jt t);
/* obj[key] into *out, NULL when absent. */
int ecsfs__lc_get(struct lc *l, const json_t *obj, const char *key, enum jt t, const json_t **out);
int ecsfs__lc_get_str(struct lc *l, const json_t *obj, const char *key, const char **out);
/* An integer field within lo..hi; *present says whether it was there. */
int ecsfs__lc_get_int(struct lc *l, const json_t *obj, const char *key, long long lo, long long hi,
		      long long *out, bool *present);
int ecsfs__lc_get_bool(struct lc *l, const json_t *obj, const char *key, bool *out);
/* A copy of an array of strings, NULL when absent. */
int ecsfs__lc_get_strings(struct lc *l, const json_t *obj, const char *key, json_t **out);
/* A copy of an object whose values are strings (labels, options). */
int ecsfs__lc_get_string_map(struct lc *l, const json_t *obj, const char *key, json_t **out);
/* Element i of an array of objects, at path "<key>[i]" (left pushed). */
int ecsfs__lc_element(struct lc *l, const json_t *arr, size_t i, const json_t **out);

/* ---- the task (launch.c) ---- */

/* Read the task-level fields (networkMode, pidMode, ipcMode). Release
 * l->at after, whatever it returns. */
int ecsfs__lc_init(struct lc *l, const json_t *taskdef, const ecsfs_launch_ctx *ctx,
		   ecsfs_buf *why);
/* Set l->at to "containerDefinitions[i]" (i == -1: look for it) and read
 * the container's name. */
int ecsfs__lc_enter_container(struct lc *l, const json_t *c, size_t i);
/* Labels every container of the task has; `name` is the container's. */
json_t *ecsfs__launch_task_labels(const ecsfs_launch_ctx *ctx, const char *name,
				  const char *ecs_name);
/* The engine's own log driver, bounded. */
json_t *ecsfs__launch_log_config(void);
/* The systemControls of container `c` that belong to the pause (`pause`
 * true) or to the container itself, added to `sysctls`. */
int ecsfs__launch_add_sysctls(struct lc *l, const json_t *c, bool pause, json_t *sysctls);

/* ---- launch_pause.c ---- */

/* Hostname, dnsServers, dnsSearchDomains and extraHosts of container `c`
 * into the config of the namespace's owner (the first one that sets each
 * wins). */
int ecsfs__launch_network_identity(struct lc *l, const json_t *c, json_t *config, json_t *hc);

/* ---- launch_env.c ---- */

/* The container's Env: environmentFiles, environment, then secrets. */
int ecsfs__launch_step_env(struct lc *l, const json_t *c, json_t *config, json_t *hc);

#endif
