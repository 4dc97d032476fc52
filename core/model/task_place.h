/* ecsfs — where RunTask's tasks go (core/model/task_place.c): the checks
 * of a request's placement fields and the placement of its tasks. */
#ifndef ECSFS_TASK_PLACE_H
#define ECSFS_TASK_PLACE_H

#include <jansson.h>

#include "ecsfs/error.h"
#include "ecsfs/store.h"
#include "ecsfs/task.h"

/* placementConstraints, placementStrategy, capacityProviderStrategy and
 * launchType of a RunTask request, the providers checked against the
 * cluster's. 0 or InvalidParameter -EINVAL. */
int ecsfs__task_check_placement(ecsfs_store *s, const char *cluster, const json_t *rq,
				ecsfs_err *err);

/*
 * Place *count tasks of `doc` (the task definition, overrides applied) for
 * request `rq` over the cluster's candidates (ecsfs_place_set_source()'s,
 * else the implicit instance `local`). *count becomes how many fit;
 * *failures gets RunTask's failures for the others (a new array, maybe
 * empty). `group` is the tasks' group (NULL: "family:<family>"), `kept`
 * the request's kept fields (capacityProviderStrategy with the cluster's
 * default). *providers gets the capacity provider of each task placed, in
 * order (a new array of strings, null without a strategy). 0 or -EINVAL.
 */
int ecsfs__task_place(ecsfs_tasks *t, const char *cluster, const json_t *rq, const json_t *kept,
		      const json_t *doc, const char *group, const char *family, long *count,
		      json_t **failures, json_t **providers, ecsfs_err *err);

struct task;
/* Task k runs on capacity provider `name` (NULL: leave it): its kept
 * capacityProviderStrategy gets that provider's item first, which is the
 * capacityProviderName describe-tasks shows. */
void ecsfs__task_set_provider(struct task *k, const char *name);

#endif
