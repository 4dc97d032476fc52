/* ecsfs — services: keep N tasks of a task definition running. */
#ifndef ECSFS_SERVICE_H
#define ECSFS_SERVICE_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "ecsfs/buf.h"
#include "ecsfs/store.h"
#include "ecsfs/task.h"

/*
 * A service is a row of the store: its definition (the CreateService fields
 * of spec/clusters/<c>/services/<s>.json, whose bytes are a `files` row) and
 * its deployments. The scheduler is level-triggered: every look compares
 * desiredCount and the primary deployment with the service's tasks (group
 * "service:<name>", startedBy the deployment id) and starts or stops tasks
 * within minimumHealthyPercent / maximumPercent; everything it knows comes
 * from the store and the task subsystem, so a restart changes nothing.
 */
typedef struct ecsfs_services ecsfs_services;

#define ECSFS_SERVICE_JSON_MAX	  65536
#define ECSFS_SERVICE_DESIRED_MAX 1000 /* desiredCount of one service */
#define ECSFS_SERVICES_MAX	  1000 /* services in one cluster */
/* A deployment is COMPLETED (and a service steady) once its tasks have been
 * RUNNING, and HEALTHY where they have a health check, this long. */
#define ECSFS_SERVICE_STABLE_MS 5000

/* Told when a service appeared, changed or went away (for caches). */
typedef void (*ecsfs_services_change_cb)(void *data, const char *cluster, const char *service);

/* `tasks` may be NULL (no runtime): services exist but start nothing. */
int ecsfs_services_new(uv_loop_t *loop, ecsfs_store *store, ecsfs_tasks *tasks,
		       ecsfs_services **out);
void ecsfs_services_set_change_cb(ecsfs_services *sv, ecsfs_services_change_cb cb, void *data);
void ecsfs_services_free(ecsfs_services *sv);
/* Change ECSFS_SERVICE_STABLE_MS (unit tests, whose clock does not move). */
void ecsfs_services_set_stable(ecsfs_services *sv, int64_t ms);
/* Look at every service again soon (tasks changed, a revision appeared). */
void ecsfs_services_kick(ecsfs_services *sv);

/* Append "/spec/clusters/<c>/services" to out. */
void ecsfs_service_spec_dir(const char *cluster, ecsfs_buf *out);
/* The journal stream of a service's events. */
void ecsfs_service_events_stream(const char *cluster, const char *name, ecsfs_buf *out);

/* 0 when the service exists (ACTIVE or DRAINING), -ENOENT otherwise. */
int ecsfs_service_exists(ecsfs_store *s, const char *cluster, const char *name);
typedef int (*ecsfs_service_name_cb)(void *data, const char *name);
int ecsfs_service_list(ecsfs_store *s, const char *cluster, ecsfs_service_name_cb cb, void *data);
/* Services of a cluster (ACTIVE and DRAINING). */
int ecsfs_service_count(ecsfs_store *s, const char *cluster, uint64_t *n);

/*
 * Check the bytes of spec/clusters/<c>/services/<name>.json: CreateService's
 * fields with their types and ranges. With `partial`, only refuse what no
 * more bytes could cure. -EINVAL + why naming the field.
 */
int ecsfs_service_spec_check(const char *cluster, const char *name, const char *data, size_t len,
			     bool partial, ecsfs_buf *why);
/* Create or update the service from a spec file; keeps its bytes and meta. */
int ecsfs_service_spec_apply(ecsfs_services *sv, const char *cluster, const char *name,
			     const char *data, size_t len, const ecsfs_file_meta *meta,
			     ecsfs_buf *why);
/* mkdir clusters/<c>/services/<name>: desiredCount 0, no task definition. */
int ecsfs_service_create(ecsfs_services *sv, const char *cluster, const char *name, ecsfs_buf *why);
/*
 * Delete: the service goes DRAINING (its tasks stop), then away. Without
 * `force` (rmdir), -EBUSY while desiredCount is above 0. The spec file goes
 * at once.
 */
int ecsfs_service_delete(ecsfs_services *sv, const char *cluster, const char *name, bool force,
			 ecsfs_buf *why);

/* The live value files: "3\n" and "web\n" / "web:4\n". */
int ecsfs_service_read_desired(ecsfs_store *s, const char *cluster, const char *name,
			       ecsfs_buf *out);
int ecsfs_service_read_taskdef(ecsfs_store *s, const char *cluster, const char *name,
			       ecsfs_buf *out);
/* Checks of writes to them (partial: a plain append so far). */
int ecsfs_service_desired_check(const char *data, size_t len, bool partial, ecsfs_buf *why);
int ecsfs_service_taskdef_check(ecsfs_store *s, const char *data, size_t len, bool partial,
				ecsfs_buf *why);
/* Apply them: the service changes and its spec file is rewritten. */
int ecsfs_service_set_desired(ecsfs_services *sv, const char *cluster, const char *name,
			      const char *data, size_t len, ecsfs_buf *why);
int ecsfs_service_set_taskdef(ecsfs_services *sv, const char *cluster, const char *name,
			      const char *data, size_t len, ecsfs_buf *why);
/* Force a new deployment of the same task definition. */
int ecsfs_service_redeploy(ecsfs_services *sv, const char *cluster, const char *name,
			   ecsfs_buf *why);

/* describe-services shape, pretty JSON. */
int ecsfs_service_describe(ecsfs_services *sv, const char *cluster, const char *name,
			   ecsfs_buf *out);
/* "key: value" lines. */
int ecsfs_service_status(ecsfs_services *sv, const char *cluster, const char *name, ecsfs_buf *out);
/* Ids of the service's tasks that are not STOPPED. */
int ecsfs_service_tasks(ecsfs_services *sv, const char *cluster, const char *name,
			ecsfs_service_name_cb cb, void *data);

#endif
