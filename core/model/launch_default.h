/* ecsfs — what tasks and services launch with when they name neither a
 * launchType nor a capacityProviderStrategy: the cluster's
 * defaultCapacityProviderStrategy, as ECS has it (core/model/launch_default.c). */
#ifndef ECSFS_LAUNCH_DEFAULT_H
#define ECSFS_LAUNCH_DEFAULT_H

#include <jansson.h>

#include "ecsfs/store.h"

/* The cluster's default capacity provider strategy (a new reference), or
 * NULL when it has none. */
json_t *ecsfs__cluster_default_strategy(ecsfs_store *s, const char *cluster);

#endif
