/*
 * Task definitions, inside core/model: what the checks of a
 * RegisterTaskDefinition document share. taskdef_shape.c holds the field
 * tables (pass one: names, types, required fields, enumerations, ranges),
 * taskdef_rules.c what ties the task's fields together, and
 * taskdef_container.c what ties a container's fields to each other and to
 * the task (pass two, which may trust the types pass one checked).
 */
#ifndef ECSFS_MODEL_TASKDEF_PRIVATE_H
#define ECSFS_MODEL_TASKDEF_PRIVATE_H

#include <jansson.h>
#include <stdbool.h>
#include <string.h>

#include "ecsfs/shape.h"

/* ECS's limit on containers in one task definition. */
#define ECSFS__TD_MAX_CONTAINERS 10
/* Docker refuses a memory limit below this (MiB). */
#define ECSFS__DOCKER_MIN_MEMORY 6

/* The fields of RegisterTaskDefinition, for ecsfs_shape_check(). */
extern const ecsfs_shape ecsfs__taskdef_shape;
/* A field of describe-task-definition's answer that is not input: accepted
 * (so a describe output can be applied again) and left out of the stored
 * definition's meaning. */
bool ecsfs__taskdef_response_only(const char *key);

struct ecsfs__td_container {
	const json_t *def;
	const char *name;
	bool essential;
	bool healthy; /* has a healthCheck that can report HEALTHY */
};

/* The state of pass two. */
struct ecsfs__td_check {
	ecsfs_shape_ctx *sc;   /* the path and the error */
	const char *mode;      /* networkMode, "bridge" when absent */
	bool mode_unset;       /* absent: tasks run on the cluster network as in awsvpc */
	bool fargate;	       /* requiresCompatibilities has FARGATE */
	long long task_cpu;    /* CPU units, -1 when absent */
	long long task_mem;    /* MiB, -1 when absent */
	const json_t *volumes; /* task volumes, or NULL */
	struct ecsfs__td_container c[ECSFS__TD_MAX_CONTAINERS];
	size_t n;
};

/* Container i's own rules (ports, health check, dependsOn, links,
 * mounts, ulimits, environment, memory against the task). */
int ecsfs__td_check_container(struct ecsfs__td_check *v, size_t i);

/* Readers of fields whose types pass one checked. */
static inline const char *ecsfs__td_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static inline long long ecsfs__td_int(const json_t *obj, const char *key, long long dflt)
{
	const json_t *val = json_object_get(obj, key);
	return val ? json_integer_value(val) : dflt;
}

static inline bool ecsfs__td_bool(const json_t *obj, const char *key, bool dflt)
{
	const json_t *val = json_object_get(obj, key);
	return val ? json_is_true(val) : dflt;
}

/* The index of the container named `name`, or -1. */
static inline int ecsfs__td_find(const struct ecsfs__td_check *v, const char *name)
{
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->c[i].name, name) == 0)
			return (int)i;
	return -1;
}

#endif
