/* ecsfs — clusters: create, delete, settings (cluster.json), describe, status. */
#ifndef ECSFS_CLUSTER_H
#define ECSFS_CLUSTER_H

#include <jansson.h>
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
#define ECSFS_CLUSTERS_MAX     10000 /* clusters (ECS's quota per account and region) */

/* Append "/spec/clusters/<name>" to out. */
void ecsfs_cluster_spec_dir(const char *name, ecsfs_buf *out);
/* Append the journal stream name of a cluster's events to out. */
void ecsfs_cluster_events_stream(const char *name, ecsfs_buf *out);

typedef struct ecsfs_services ecsfs_services;

/* 0 when cluster `name` exists; else ClusterNotFound/-ENOENT naming it (what
 * every operation on something of a cluster answers first). */
int ecsfs_cluster_check(ecsfs_store *s, const char *name, ecsfs_err *err);

/*
 * CreateCluster: cluster `name`, durably, with a "created" event. Errors:
 * InvalidParameter/-EINVAL for a bad name; ResourceInUse/-EEXIST when it
 * exists (CreateCluster itself treats that as done).
 */
int ecsfs_cluster_create(ecsfs_store *s, const char *name, ecsfs_err *err);

/*
 * DeleteCluster: cluster `name` with its settings, events and every spec
 * file below its spec directory. ClusterNotFound/-ENOENT when unknown;
 * ClusterContainsServices/-EBUSY while services use it,
 * ClusterContainsTasks/-EBUSY while tasks not STOPPED do; with
 * `spec_only` (rmdir of the spec directory, which behaves like a real
 * rmdir) ResourceInUse/-ENOTEMPTY while that directory holds files.
 */
int ecsfs_cluster_delete(ecsfs_store *s, const char *name, bool spec_only, ecsfs_err *err);

/*
 * The spec tree's delete (a repository dropped the cluster): as
 * ecsfs_cluster_delete() with `spec_only`, but when services or tasks hold
 * the cluster, its services are deleted (they drain) and the cluster is
 * marked: the spec tree no longer shows it, and ecsfs_cluster_sweep()
 * deletes it once nothing holds it. `sv` NULL: no draining (-EBUSY).
 */
int ecsfs_cluster_retire(ecsfs_store *s, ecsfs_services *sv, const char *name, ecsfs_err *err);
/* Is cluster `name` marked by ecsfs_cluster_retire()? */
bool ecsfs_cluster_retiring(ecsfs_store *s, const char *name);
/* Unmark it (created again while it drained): 0, or -ENOENT when it was
 * not marked. */
int ecsfs_cluster_keep(ecsfs_store *s, const char *name);
/* Delete every marked cluster nothing holds any more; done(data, name)
 * for each one gone. */
typedef void (*ecsfs_cluster_name_cb)(void *data, const char *name);
void ecsfs_cluster_sweep(ecsfs_store *s, ecsfs_cluster_name_cb done, void *data);

/*
 * Validate the bytes of a cluster.json for cluster `name` (CreateCluster's
 * fields: clusterName, tags, settings, configuration, capacityProviders,
 * defaultCapacityProviderStrategy, serviceConnectDefaults). With `partial`
 * only reject what no more bytes could cure. InvalidParameter/-EINVAL with
 * the field named.
 */
int ecsfs_cluster_settings_check(const char *name, const char *data, size_t len, bool partial,
				 ecsfs_err *err);

/* Validate and store a cluster.json: its bytes and metadata as written,
 * and its canonical form as the cluster's settings; adds an event.
 * ClusterNotFound/-ENOENT, InvalidParameter/-EINVAL. */
int ecsfs_cluster_settings_apply(ecsfs_store *s, const char *name, const char *data, size_t len,
				 const ecsfs_file_meta *meta, ecsfs_err *err);

/* The same from a document (the API's settings calls): `doc` becomes the
 * settings, and spec/clusters/<name>/cluster.json shows it. */
int ecsfs_cluster_settings_put(ecsfs_store *s, const char *name, const json_t *doc, ecsfs_err *err);

/*
 * CreateCluster with its input: `doc` holds cluster.json's fields (what
 * ecsfs_cluster_settings_check() takes; clusterName may be there). The
 * cluster is made as mkdir makes it, and a `doc` with any field becomes
 * its cluster.json as ecsfs_cluster_settings_put() writes it; a cluster
 * that exists keeps its rows and takes the given fields. Nothing is made
 * when the document is refused (InvalidParameter/-EINVAL).
 */
int ecsfs_cluster_create_doc(ecsfs_store *s, const char *name, const json_t *doc, ecsfs_err *err);

/*
 * UpdateCluster, UpdateClusterSettings, PutClusterCapacityProviders: each
 * field of `changes` replaces the cluster's, except `settings`, whose
 * entries replace the settings of their name. The result is checked as a
 * cluster.json and rewrites it. ClusterNotFound/-ENOENT,
 * InvalidParameter/-EINVAL.
 */
int ecsfs_cluster_update(ecsfs_store *s, const char *name, const json_t *changes, ecsfs_err *err);

/*
 * The capacity providers the API lets a cluster name: FARGATE and
 * FARGATE_SPOT, and those `served` names (the providers registered
 * container instances serve, ecsfs_instance_providers(); may be NULL);
 * cluster.json keeps any name. `doc` has capacityProviders and/or
 * defaultCapacityProviderStrategy. InvalidParameter/-EINVAL.
 */
int ecsfs_cluster_check_providers(const json_t *doc, const json_t *served, ecsfs_err *err);
/* Is `name` a capacity provider that exists (FARGATE, FARGATE_SPOT, one of
 * `served`, which may be NULL)? */
bool ecsfs_capacity_provider_known(const char *name, const json_t *served);

/*
 * DescribeCapacityProviders: the shapes of the providers `refs` names
 * (names or ARNs; NULL: every one) appended to `found`, with an empty
 * `tags` when asked; unknown ones as {arn, reason: MISSING} to `failures`.
 * The providers that exist are as ecsfs_capacity_provider_known() has
 * them. InvalidParameter/-EINVAL for more than 100.
 */
int ecsfs_capacity_providers_describe(const json_t *refs, const json_t *served, bool tags,
				      json_t *found, json_t *failures, ecsfs_err *err);

/* The ARNs of every ACTIVE cluster, by name, into *arns (a new array). */
int ecsfs_cluster_arns(ecsfs_store *s, json_t **arns, ecsfs_err *err);

/* Remove cluster.json: the cluster goes back to default settings. */
int ecsfs_cluster_settings_clear(ecsfs_store *s, const char *name, ecsfs_err *err);

/* The tags of cluster `name` (those of its cluster.json) into *tags, a new
 * array. -ENOENT when there is no such cluster. */
int ecsfs_cluster_tags(ecsfs_store *s, const char *name, json_t **tags);
/* Make `tags` (checked by the caller: ecsfs_tags_check()) the cluster's
 * tags: cluster.json is rewritten with them, so the spec tree shows them.
 * ClusterNotFound/-ENOENT. */
int ecsfs_cluster_set_tags(ecsfs_store *s, const char *name, const json_t *tags, ecsfs_err *err);

/* What runs in a cluster, as its describe and status show it. */
typedef struct ecsfs_cluster_counts {
	unsigned running, pending, stopped, services;
} ecsfs_cluster_counts;

typedef struct ecsfs_tasks ecsfs_tasks;

/* What cluster `name` runs now and the engine's state, for describe and
 * status: tasks from `t` (NULL: none), services from the store; `rt` NULL
 * is the runtime "none". */
void ecsfs_cluster_gather(ecsfs_store *s, ecsfs_runtime *rt, ecsfs_tasks *t, const char *name,
			  ecsfs_runtime_info *info, ecsfs_cluster_counts *n);

/* What a describe shows beyond the cluster's name, counts and capacity
 * providers: DescribeClusters' `include` values, and INACTIVE for clusters
 * deleted within the hour (which ECS still describes). */
enum {
	ECSFS_CLUSTER_ATTACHMENTS = 1u << 0,
	ECSFS_CLUSTER_CONFIGURATIONS = 1u << 1,
	ECSFS_CLUSTER_SETTINGS = 1u << 2,
	ECSFS_CLUSTER_STATISTICS = 1u << 3,
	ECSFS_CLUSTER_TAGS = 1u << 4,
	ECSFS_CLUSTER_ALL = (1u << 5) - 1,
	ECSFS_CLUSTER_INACTIVE = 1u << 5,
};
/* How long a deleted cluster stays describable. */
#define ECSFS_CLUSTER_INACTIVE_NS (3600LL * 1000000000LL)

/* The describe-clusters shape of one cluster into *out (caller decrefs),
 * with what `include` asks for. `n` may be NULL (all 0).
 * ClusterNotFound/-ENOENT. */
int ecsfs_cluster_describe_some(ecsfs_store *s, const char *name, const ecsfs_runtime_info *rt,
				const ecsfs_cluster_counts *n, unsigned include, json_t **out,
				ecsfs_err *err);
/* The same with everything but INACTIVE ones (clusters/<c>/cluster.json). */
int ecsfs_cluster_describe(ecsfs_store *s, const char *name, const ecsfs_runtime_info *rt,
			   const ecsfs_cluster_counts *n, json_t **out, ecsfs_err *err);

/* "key: value" lines into out. */
int ecsfs_cluster_status(ecsfs_store *s, const char *name, const ecsfs_runtime_info *rt,
			 const ecsfs_cluster_counts *n, ecsfs_buf *out);

/* Append an event line (timestamp added) to the cluster's events. */
int ecsfs_cluster_event(ecsfs_store *s, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
