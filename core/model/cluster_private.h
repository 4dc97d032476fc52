/* Clusters, inside core/model: what cluster.c (lifecycle),
 * cluster_settings.c (cluster.json, tags) and cluster_describe.c share. */
#ifndef ECSFS_MODEL_CLUSTER_PRIVATE_H
#define ECSFS_MODEL_CLUSTER_PRIVATE_H

#include <jansson.h>

#include "ecsfs/cluster.h"

/* A fault of the store, with what was being done; the kind follows the
 * errno (-ENOSPC: LimitExceeded, else Server). */
int ecsfs__cluster_fault(ecsfs_store *s, int r, const char *what, const char *name, ecsfs_err *err);
/* ClusterNotFound/-ENOENT. */
int ecsfs__cluster_not_found(const char *name, ecsfs_err *err);
/* The settings document of a row (its cluster.json's canonical form), a
 * new object; {} when it has none. */
json_t *ecsfs__cluster_settings_doc(const ecsfs_cluster_row *row);

#endif
