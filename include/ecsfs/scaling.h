/* ecsfs — service auto scaling (Application Auto Scaling for ECS): a
 * scalable target with its policies and scheduled actions, and the
 * autoscaler that acts on them. */
#ifndef ECSFS_SCALING_H
#define ECSFS_SCALING_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "ecsfs/buf.h"
#include "ecsfs/error.h"
#include "ecsfs/lb.h"
#include "ecsfs/metrics.h"
#include "ecsfs/service.h"
#include "ecsfs/store.h"
#include "ecsfs/task.h"

/*
 * spec/clusters/<c>/scaling/<service>.json is RegisterScalableTarget's
 * input (MinCapacity, MaxCapacity, SuspendedState, RoleARN, Tags; the
 * ServiceNamespace "ecs", ResourceId "service/<c>/<service>" and
 * ScalableDimension "ecs:service:DesiredCount" may be left out) plus
 * `ScalingPolicies` (PutScalingPolicy inputs) and `ScheduledActions`
 * (PutScheduledAction inputs). The model (core/model/scaling*.c) checks
 * and stores it; the autoscaler (core/control/autoscale*.c) evaluates the
 * policies after each round of the metrics sampler and the scheduled
 * actions each second, and scales through ecsfs_service_set_desired(), as
 * a write to desired_count does.
 *
 * Errors: ValidationException (kind ECSFS_E_INVALID_PARAMETER, -EINVAL)
 * naming the field; ObjectNotFoundException (-ENOENT) for a target or
 * policy that is not there; LimitExceededException (-ENOSPC); Server
 * (-EIO) for the store.
 */
typedef struct ecsfs_scaling ecsfs_scaling;

#define ECSFS_SCALING_JSON_MAX	   65536
#define ECSFS_SCALING_POLICIES_MAX 50  /* policies of one target */
#define ECSFS_SCALING_ACTIONS_MAX  200 /* scheduled actions of one target (AWS's) */
#define ECSFS_SCALING_TARGETS_MAX  1000
#define ECSFS_SCALING_ACTIVITIES   100 /* activities kept per target */
#define ECSFS_SCALING_OUT_SAMPLES  3   /* samples above the target to scale out */
#define ECSFS_SCALING_IN_SAMPLES   15  /* samples below 90 % of it to scale in */
#define ECSFS_SCALING_COOLDOWN	   300 /* ECS's default cooldowns, seconds */

/* Append "/spec/clusters/<c>/scaling" to out. */
void ecsfs_scaling_spec_dir(const char *cluster, ecsfs_buf *out);

/* Check a document for service `service` of `cluster`: -EINVAL naming the
 * field ("MinCapacity: 5 is above MaxCapacity 2"). */
int ecsfs_scaling_check(const char *cluster, const char *service, const json_t *doc,
			ecsfs_err *err);

typedef void (*ecsfs_scaling_change_cb)(void *data, const char *cluster, const char *service);

/* The autoscaler. `metrics` may be NULL (nothing is evaluated but
 * scheduled actions). */
int ecsfs_scaling_new(uv_loop_t *loop, ecsfs_store *store, ecsfs_services *services,
		      ecsfs_tasks *tasks, ecsfs_metrics *metrics, ecsfs_scaling **out);
void ecsfs_scaling_free(ecsfs_scaling *a);
/* Told when a target, its spec file or its service's desiredCount changed. */
void ecsfs_scaling_set_change_cb(ecsfs_scaling *a, ecsfs_scaling_change_cb cb, void *data);
/* Evaluate the policies against the newest samples now (tests; the
 * sampler's rounds do it in the daemon). */
void ecsfs_scaling_evaluate(ecsfs_scaling *a);
/* Run the scheduled actions due at `now_ms` (tests; a 1 s timer in the
 * daemon). */
void ecsfs_scaling_tick(ecsfs_scaling *a, int64_t now_ms);
/* The clock the autoscaler's cooldowns read (tests); NULL: the real one. */
void ecsfs_scaling_set_clock(ecsfs_scaling *a, int64_t (*now_ms)(void));

/*
 * ALBRequestCountPerTarget's source: the requests counted to each target of
 * a service in a target group (ResourceLabel's), as ecsfs_lb_group_counts()
 * gives them. The daemon sets its load-balancer controller; tests set a
 * source of their own. Without one the metric has no data. The figure is
 * the requests since the previous evaluation, as a rate per minute, over
 * the targets that are healthy now (AWS's RequestCountPerTarget: the
 * group's RequestCount in a minute over its healthy targets).
 */
typedef int (*ecsfs_scaling_counts_fn)(void *src, const char *group, const char *cluster,
				       const char *service, ecsfs_lb_count_cb cb, void *data);
void ecsfs_scaling_set_counts(ecsfs_scaling *a, ecsfs_scaling_counts_fn fn, void *src);
/* The same with the controller's counts. */
void ecsfs_scaling_set_lb(ecsfs_scaling *a, ecsfs_lb *lb);

/*
 * Put the whole document (the spec file's bytes in `file`, or NULL to
 * write it pretty): stored durably, desiredCount clamped into [Min, Max]
 * at once when the service exists (an activity says so). A target of a
 * service that does not exist yet is kept and waits (its view says so).
 */
int ecsfs_scaling_put(ecsfs_scaling *a, const char *cluster, const char *service, const json_t *doc,
		      const ecsfs_spec_bytes *file, ecsfs_err *err);
/* Deregister: the target, its policies and actions go; the service keeps
 * its count. ObjectNotFound when there is none. */
int ecsfs_scaling_delete(ecsfs_scaling *a, const char *cluster, const char *service,
			 ecsfs_err *err);
/* The stored document (caller decrefs). -ENOENT when none. */
int ecsfs_scaling_get(ecsfs_store *s, const char *cluster, const char *service, json_t **doc);
/* 0 when the service has a target, -ENOENT otherwise. */
int ecsfs_scaling_exists(ecsfs_store *s, const char *cluster, const char *service);
int ecsfs_scaling_list(ecsfs_store *s, const char *cluster, ecsfs_store_name_cb cb, void *data);
/* Every target: "cluster/service" pairs (for the API's describes). */
int ecsfs_scaling_list_all(ecsfs_store *s, ecsfs_store_name_cb cb, void *data);

/* The CloudWatch alarms that would stand for `policy` (a PutScalingPolicy
 * object): [{AlarmName, AlarmARN}], the names the activities' causes use
 * (caller decrefs). */
json_t *ecsfs_scaling_policy_alarms(const char *cluster, const char *service, const json_t *policy);

/* clusters/<c>/services/<s>/scaling: the target, each policy's metric,
 * alarm state and cooldown left, the scheduled actions' next runs, the
 * last activities. -ENOENT when the service has no target. */
int ecsfs_scaling_view(ecsfs_scaling *a, const char *cluster, const char *service, ecsfs_buf *out);
/* The activities of a target, newest first, in DescribeScalingActivities'
 * shape (a JSON array, caller decrefs). */
int ecsfs_scaling_activities(ecsfs_store *s, const char *cluster, const char *service,
			     json_t **out);

#endif
