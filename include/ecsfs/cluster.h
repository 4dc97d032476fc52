/* ecsfs — clusters: create, delete, settings (cluster.json), describe, status. */
#ifndef ECSFS_CLUSTER_H
#define ECSFS_CLUSTER_H

#include <stdbool.h>

#include "ecsfs/buf.h"
#include "ecsfs/error.h"
#include "ecsfs/runtime.h"
#include "ecsfs/store.h"

/* Where spec-tree files live in the store's `files` table. */
#define ECSFS_SPEC_DIR	    "/spec"
#define ECSFS_SPEC_CLUSTERS "/spec/clusters"
/* Largest cluster.json accepted. */
#define ECSFS_CLUSTER_JSON_MAX 65536

/* Append "/spec/clusters/<name>" to out. */
void ecsfs_cluster_spec_dir(const char *name, ecsfs_buf *out);
/* Append the journal stream name of a cluster's events to out. */
void ecsfs_cluster_events_stream(const char *name, ecsfs_buf *out);

/*
 * Create cluster `name`, durably, with a "created" event. Returns 0,
 * -EINVAL for a bad name, -EEXIST when it exists; *why says why.
 */
int ecsfs_cluster_create(ecsfs_store *s, const char *name, ecsfs_buf *why);

/*
 * Delete cluster `name` with its settings, events and every spec file
 * below its spec directory. -ENOENT when unknown; -EBUSY while services or
 * tasks use it; -ENOTEMPTY when `spec_only` and its spec directory still
 * holds files (rmdir of the spec directory behaves like a real rmdir).
 */
int ecsfs_cluster_delete(ecsfs_store *s, const char *name, bool spec_only, ecsfs_buf *why);

/*
 * Validate a cluster.json document for cluster `name` (CreateCluster's
 * fields: clusterName, tags, settings, configuration, capacityProviders,
 * defaultCapacityProviderStrategy, serviceConnectDefaults). With `partial`
 * only reject what no more bytes could cure. -EINVAL with the field named.
 */
int ecsfs_cluster_settings_check(const char *name, const char *data, size_t len, bool partial,
				 ecsfs_err *err);

/* Validate and store a cluster.json: its bytes and metadata as written, and
 * its canonical form as the cluster's settings; adds an event. */
int ecsfs_cluster_settings_apply(ecsfs_store *s, const char *name, const char *data, size_t len,
				 const ecsfs_file_meta *meta, ecsfs_buf *why);

/* Remove cluster.json: the cluster goes back to default settings. */
int ecsfs_cluster_settings_clear(ecsfs_store *s, const char *name, ecsfs_buf *why);

/* What runs in a cluster, as its describe and status show it. */
typedef struct ecsfs_cluster_counts {
	unsigned running, pending, stopped, services;
} ecsfs_cluster_counts;

/* describe-clusters shape, pretty JSON, into out. `n` may be NULL (all 0). */
int ecsfs_cluster_describe(ecsfs_store *s, const char *name, const ecsfs_runtime_info *rt,
			   const ecsfs_cluster_counts *n, ecsfs_buf *out);

/* "key: value" lines into out. */
int ecsfs_cluster_status(ecsfs_store *s, const char *name, const ecsfs_runtime_info *rt,
			 const ecsfs_cluster_counts *n, ecsfs_buf *out);

/* Append an event line (timestamp added) to the cluster's events. */
int ecsfs_cluster_event(ecsfs_store *s, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
