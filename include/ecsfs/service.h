/* ecsfs — services: keep N tasks of a task definition running. */
#ifndef ECSFS_SERVICE_H
#define ECSFS_SERVICE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "ecsfs/buf.h"
#include "ecsfs/error.h"
#include "ecsfs/lb.h"
#include "ecsfs/store.h"
#include "ecsfs/task.h"

/*
 * A service is a row of the store: its definition (the CreateService fields
 * of spec/clusters/<c>/services/<s>.json, whose bytes are a `files` row) and
 * its deployments. The model (core/model/service*.c) holds the operations
 * below; the scheduler (core/control/scheduler.c, deployment.c) is
 * level-triggered: every look compares desiredCount and the primary
 * deployment with the service's tasks (group "service:<name>", startedBy the
 * deployment id) and starts or stops tasks within minimumHealthyPercent /
 * maximumPercent; everything it knows comes from the store and the task
 * subsystem, so a restart changes nothing.
 *
 * Operations report errors as ecsfs_err with ECS's kinds:
 * ClusterNotFoundException (-ENOENT), ServiceNotFoundException (-ENOENT),
 * ServiceNotActiveException (-ENOENT: the service is DRAINING),
 * InvalidParameterException (-EINVAL, a bad value or document; -EEXIST, a
 * name taken; -EBUSY, a delete above desiredCount 0), ClientException (a
 * task definition that is not registered, -ENOENT, or INACTIVE, -EINVAL),
 * LimitExceededException (-ENOSPC) and ServerException (-EIO, the store).
 */
typedef struct ecsfs_services ecsfs_services;

#define ECSFS_SERVICE_JSON_MAX	  65536
#define ECSFS_SERVICE_DESIRED_MAX 1000 /* desiredCount of one service */
#define ECSFS_SERVICES_MAX	  5000 /* services in one cluster (ECS's quota) */
#define ECSFS_SERVICE_LB_MAX	  5    /* loadBalancers of one service (ECS's) */
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
/*
 * Give the scheduler the load-balancer controller (NULL: none). From then
 * on the tasks of a service with `loadBalancers` are registered in its
 * target groups once their containers run, count as healthy only while
 * their targets are, are deregistered and drained before they are stopped,
 * and are replaced when a target fails its health checks. The scheduler
 * looks again whenever a target's state changes.
 */
void ecsfs_services_set_lb(ecsfs_services *sv, ecsfs_lb *lb);
/* Change ECSFS_SERVICE_STABLE_MS (unit tests, whose clock does not move). */
void ecsfs_services_set_stable(ecsfs_services *sv, int64_t ms);
/* Look at every service again soon (a revision appeared, targets changed). */
void ecsfs_services_kick(ecsfs_services *sv);
/* Look at one service again soon (its spec or one of its tasks changed). */
void ecsfs_services_touch(ecsfs_services *sv, const char *cluster, const char *name);
/* How many looks at a service the scheduler has taken (tests, benches). */
uint64_t ecsfs_services_looks(const ecsfs_services *sv);

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
 * Check a CreateService document for service `name` of `cluster`: the
 * name's rules, CreateService's fields with their types and ranges, a
 * serviceName and cluster that agree with the names. InvalidParameter
 * (-EINVAL) naming the field.
 */
int ecsfs_service_check(const char *cluster, const char *name, const json_t *doc, ecsfs_err *err);

/* The bytes a spec file keeps with its metadata (what a GitOps tool wrote). */
typedef struct ecsfs_spec_bytes {
	const char *data;
	size_t len;
	const ecsfs_file_meta *meta;
} ecsfs_spec_bytes;

/*
 * Keep the spec file `dir`/`name`.json of a document: the bytes and
 * metadata a GitOps tool wrote when `file` is given, else `doc` pretty and
 * dated now (0644). For spec documents whose file is the document itself
 * (schedules, scaling); -errno of the store.
 */
int ecsfs_spec_file_put(ecsfs_store *s, const char *dir, const char *name, const json_t *doc,
			const ecsfs_spec_bytes *file);

/*
 * Create or update the service from a CreateService document (serviceName,
 * cluster and clientToken are not kept). `file` gives the bytes its spec
 * file keeps; NULL writes the document pretty, dated now (a front end that
 * has no file). The same definition again changes nothing but the file.
 * A written spec revives a DRAINING service. Errors: the check's,
 * ClusterNotFound, LimitExceeded (ECSFS_SERVICES_MAX), Server.
 */
int ecsfs_service_put(ecsfs_services *sv, const char *cluster, const char *name, const json_t *doc,
		      const ecsfs_spec_bytes *file, ecsfs_err *err);
/*
 * CreateService as the API has it: like ecsfs_service_put() (the spec file
 * is rendered from the document), but the name must be free — an ACTIVE
 * service of that name is InvalidParameter -EEXIST ("not idempotent"), a
 * DRAINING one InvalidParameter -EBUSY — and taskDefinition must name an
 * ACTIVE revision now (ClientException -ENOENT / -EINVAL), where a GitOps
 * apply may name one that is on its way.
 */
int ecsfs_service_create_new(ecsfs_services *sv, const char *cluster, const char *name,
			     const json_t *doc, ecsfs_err *err);
/*
 * UpdateService: `changes` holds CreateService fields (desiredCount,
 * taskDefinition, deploymentConfiguration, networkConfiguration,
 * loadBalancers, ...; a JSON null removes one); the merged definition is
 * checked as a whole, stored, and its spec file rewritten with those
 * fields in one transaction. A new task definition, `force`
 * (forceNewDeployment) or a change of what the tasks are (network, load
 * balancers, placement) starts a deployment. Errors: the checks' (the
 * message names the field), ClusterNotFound, ServiceNotFound,
 * ServiceNotActive, ClientException for a task definition not registered.
 */
int ecsfs_service_update(ecsfs_services *sv, const char *cluster, const char *name,
			 const json_t *changes, bool force, ecsfs_err *err);
/* mkdir clusters/<c>/services/<name>: desiredCount 0, no task definition;
 * -EEXIST when the name is taken. */
int ecsfs_service_create(ecsfs_services *sv, const char *cluster, const char *name, ecsfs_err *err);
/*
 * Delete: the service goes DRAINING (its tasks stop), then away. Without
 * `force` (rmdir), -EBUSY while desiredCount is above 0. The spec file goes
 * at once. ServiceNotFound when there is none.
 */
int ecsfs_service_delete(ecsfs_services *sv, const char *cluster, const char *name, bool force,
			 ecsfs_err *err);

/* Would desiredCount `count` be taken (0 to ECSFS_SERVICE_DESIRED_MAX)? */
int ecsfs_service_check_desired(int64_t count, ecsfs_err *err);
/* The same for service `name` of `cluster`: a DAEMON service takes none
 * (InvalidParameter, ECS's words), so `echo 3 > desired_count` is refused
 * at its write(), which the shell reports. */
int ecsfs_service_check_desired_of(ecsfs_store *s, const char *cluster, const char *name,
				   int64_t count, ecsfs_err *err);
/* Would the task-definition reference be taken: parseable, registered,
 * ACTIVE (InvalidParameter, or ClientException -ENOENT / -EINVAL)? */
int ecsfs_service_check_taskdef(ecsfs_store *s, const char *ref, ecsfs_err *err);
/* Scale the service, or point it at another task definition ("web"
 * follows the family, "web:4" pins a revision): the service changes, its
 * spec file is rewritten with the new value and the scheduler looks again.
 * Errors: the checks', ClusterNotFound, ServiceNotFound, ServiceNotActive. */
int ecsfs_service_set_desired(ecsfs_services *sv, const char *cluster, const char *name,
			      int64_t count, ecsfs_err *err);
int ecsfs_service_set_taskdef(ecsfs_services *sv, const char *cluster, const char *name,
			      const char *ref, ecsfs_err *err);
/* Force a new deployment of the same task definition. */
int ecsfs_service_redeploy(ecsfs_services *sv, const char *cluster, const char *name,
			   ecsfs_err *err);

/* The service's desiredCount and taskDefinition as written (ref: "" when
 * it has none). -ENOENT when there is no such service. */
int ecsfs_service_get_desired(ecsfs_store *s, const char *cluster, const char *name,
			      int64_t *count);
int ecsfs_service_get_taskdef(ecsfs_store *s, const char *cluster, const char *name,
			      ecsfs_buf *ref);

/* describe-services' service object, with deployments and events; *out is
 * the caller's (decref). A service deleted within the hour is described as
 * it was, status INACTIVE. ClusterNotFound, ServiceNotFound. */
int ecsfs_service_describe(ecsfs_services *sv, const char *cluster, const char *name, json_t **out,
			   ecsfs_err *err);
/*
 * The service's deployments, newest first, in ListServiceDeployments'
 * ServiceDeploymentBrief shape (serviceDeploymentArn, status: PENDING,
 * IN_PROGRESS, SUCCESSFUL, STOPPED, ROLLBACK_IN_PROGRESS,
 * ROLLBACK_SUCCESSFUL, createdAt, startedAt, finishedAt...); *out an array
 * (decref). ClusterNotFound, ServiceNotFound.
 */
int ecsfs_service_deployments(ecsfs_services *sv, const char *cluster, const char *name,
			      json_t **out, ecsfs_err *err);
/* One of them in DescribeServiceDeployments' ServiceDeployment shape, by
 * the last field of its ARN. ClusterNotFound, ServiceNotFound,
 * ClientException -ENOENT for an unknown deployment. */
int ecsfs_service_deployment(ecsfs_services *sv, const char *cluster, const char *name,
			     const char *id, json_t **out, ecsfs_err *err);

/* "key: value" lines. */
int ecsfs_service_status(ecsfs_services *sv, const char *cluster, const char *name, ecsfs_buf *out);
/* Ids of the service's tasks that are not STOPPED. */
int ecsfs_service_tasks(ecsfs_services *sv, const char *cluster, const char *name,
			ecsfs_service_name_cb cb, void *data);

/* ---- deployment strategies (BLUE_GREEN, CANARY, LINEAR) ---- */

/* The length of a minute of bake times in ms (tests shorten it; 0 or
 * unset: 60000). */
void ecsfs_services_set_bake_minute(ecsfs_services *sv, long ms);
/*
 * A write to clusters/<c>/services/<s>/rollback: the deployment in progress
 * goes back. A strategy deployment puts all traffic back on the old tasks
 * at once and stops the new ones; a rolling one rolls back to the last
 * COMPLETED revision. InvalidParameter -EINVAL when nothing is in progress
 * to go back from; ClusterNotFound, ServiceNotFound, ServiceNotActive.
 */
int ecsfs_service_rollback(ecsfs_services *sv, const char *cluster, const char *name,
			   ecsfs_err *err);
/* clusters/<c>/services/<s>/deployment: "key: value" lines of the primary
 * deployment: strategy, lifecycle stage, the traffic split on each rule
 * now, the time left in the bake, the hooks. -ENOENT: no such service. */
int ecsfs_service_deployment_text(ecsfs_services *sv, const char *cluster, const char *name,
				  ecsfs_buf *out);

#endif
