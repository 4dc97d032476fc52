/*
 * ecsfs — services: what the model (core/model/service*.c) and the
 * scheduler (core/control/scheduler.c, deployment.c) share.
 *
 * A service's state is one JSON document in the store (`services` table):
 *   spec         the canonical CreateService fields (no serviceName)
 *   status       ACTIVE or DRAINING
 *   deployments  newest (PRIMARY) first: id, family, revision, status,
 *                rollout, reason, created, updated
 *   completed    {family, revision} of the last COMPLETED deployment
 *   blocked      "family:revision" that failed and was rolled back from
 *   force        redeploys asked for; forceSeen: the last one deployed
 *   daemonDesired  a DAEMON's instances that take its task (the scheduler's count)
 * Its tasks are found by group ("service:<name>") and tell the rest.
 */
#ifndef ECSFS_SERVICE_PRIVATE_H
#define ECSFS_SERVICE_PRIVATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "ecsfs/cluster.h"
#include "ecsfs/error.h"
#include "ecsfs/service.h"
#include "ecsfs/shape.h"
#include "ecsfs/strmap.h"
#include "ecsfs/targetgroup.h"

#define ECSFS__SCHEDULER_CODE "ServiceSchedulerInitiated"
#define ECSFS__HEALTH_REASON  "Task failed container health checks"
#define ECSFS__ELB_REASON     "Task failed ELB health checks"

struct ecsfs_services {
	uv_loop_t *loop;
	ecsfs_store *store;
	ecsfs_tasks *tasks;
	ecsfs_lb *lb; /* NULL: no load balancing (targets are never registered) */
	uv_timer_t timer;
	ecsfs_services_change_cb on_change;
	void *on_change_data;
	bool busy;
	int64_t stable_ns;	/* how long a task runs before it counts as settled */
	int64_t gone_swept_ns;	/* when INACTIVE services were last looked at */
	struct ecsfs__due *due; /* which services to look at (control/scheduler_due.c) */
	long bake_minute_ms;	/* the minute of bake times (0: 60000, AWS's) */
	/* clusters known to have no DRAINING instance, forgotten when their
	 * instances change (control/daemon.c) */
	ecsfs_strmap calm;
};

/* How long a deleted service stays describable as INACTIVE. */
#define ECSFS__SERVICE_GONE_NS (3600ll * 1000000000ll)

/* ---- the stored state (model/service.c) ---- */

/* The state document of a service, or NULL (caller decrefs). */
json_t *ecsfs__service_load(ecsfs_store *s, const char *cluster, const char *name);
int ecsfs__service_save(ecsfs_store *s, const char *cluster, const char *name, json_t *state);
json_t *ecsfs__service_spec(json_t *state);
bool ecsfs__service_active(json_t *state);
/* desiredCount, 0 unless ACTIVE. */
long long ecsfs__service_desired(json_t *state);
bool ecsfs__service_is_daemon(json_t *state);
/* ECS's words for a desiredCount given to a DAEMON service. */
extern const char ecsfs__daemon_count_refused[];
/* The tasks it keeps: desiredCount, or for a DAEMON the instances that
 * take its task as the scheduler last counted them (1 before it has). */
long long ecsfs__service_target(json_t *state);
/* A deploymentConfiguration number, or `dflt`. */
long long ecsfs__service_conf_int(json_t *state, const char *key, long long dflt);
/* deploymentCircuitBreaker.<key> (enable, rollback). */
bool ecsfs__service_breaker(json_t *state, const char *key);
/* The PRIMARY deployment, or NULL. */
json_t *ecsfs__service_primary(json_t *state);
/* A string field of a deployment, "" when absent. */
const char *ecsfs__dstr(json_t *d, const char *key);
/* Tell the front ends a service changed (caches). */
void ecsfs__service_changed(ecsfs_services *sv, const char *cluster, const char *name);
/* Append a line to the service's events. */
void ecsfs__service_event(ecsfs_store *s, const char *cluster, const char *name, const char *fmt,
			  ...) __attribute__((format(printf, 4, 5)));

/* ---- what every operation checks (model/service.c) ---- */

/* The state of a service that takes changes (ACTIVE); NULL with *r and
 * err set otherwise (ClusterNotFound, ServiceNotFound, ServiceNotActive). */
json_t *ecsfs__service_load_active(ecsfs_store *s, const char *cluster, const char *name,
				   ecsfs_err *err, int *r);
/* A Server error naming the store's fault `r`: -ENOSPC for a full disk,
 * else -EIO. */
int ecsfs__service_store_fault(ecsfs_store *s, int r, const char *what, const char *name,
			       ecsfs_err *err);
/* loadBalancers of `spec` against the revision `ref` pins (a followed
 * family is checked when it deploys). */
int ecsfs__service_check_lb_fit(ecsfs_store *s, const json_t *spec, const char *ref,
				ecsfs_err *err);
/* Rewrite the spec file with `changes` (key: value; null removes it). */
int ecsfs__service_rewrite_spec(ecsfs_store *s, const char *cluster, const char *name,
				const json_t *changes);

/* ---- updates (model/service_update.c) ---- */

/* Does going from spec a to spec b change what a deployment's tasks are
 * (network, load balancers, placement, capacity...)? Then, as in ECS, a new
 * deployment starts even with the same task definition. */
bool ecsfs__service_redeploys(const json_t *a, const json_t *b);

/* ---- deployments as ListServiceDeployments shows them
 * (model/service_deployments.c) ---- */

/* Note deployment `d` of the state (new, superseded, completed, failed) in
 * its history, newest first, at most ECSFS__HISTORY_MAX. */
#define ECSFS__HISTORY_MAX 20
void ecsfs__service_history(json_t *state, json_t *d);
/* The circuit breaker's threshold, ECS's: half the desired count, at
 * least 3, at most 200. */
long long ecsfs__service_breaker_threshold(long long desired);

/* ---- task-definition references (model/service_spec.c) ---- */

/* The task definition `ref` names now: 0, or -ENOENT (nothing ACTIVE). */
int ecsfs__service_resolve_ref(ecsfs_store *s, const char *ref, char family[256], int64_t *rev);
/* Do the containers and ports `loadBalancers` of `spec` names exist in
 * family:rev? 0, or InvalidParameter -EINVAL naming the entry. */
int ecsfs__service_check_lb_containers(ecsfs_store *s, const json_t *spec, const char *family,
				       int64_t rev, ecsfs_err *err);
/* May `spec` replace `old` (NULL: a new service)? A service that has a
 * taskDefinition keeps naming one (CreateService requires it, UpdateService
 * cannot remove it), unless its deploymentController is EXTERNAL; 0, or
 * InvalidParameter -EINVAL. */
int ecsfs__service_check_keeps_taskdef(const json_t *old, const json_t *spec, ecsfs_err *err);

/* ---- what the service's tasks are (model/service_describe.c) ---- */

typedef struct ecsfs__svc_task {
	char id[33];
	char started_by[ECSFS_STARTED_BY_MAX + 1];
	bool live;    /* desiredStatus RUNNING */
	bool running; /* lastStatus RUNNING */
	bool stopped; /* lastStatus STOPPED */
	bool healthy; /* counts toward minimumHealthyPercent */
	bool unhealthy;
	bool failed;	/* stopped for a reason that counts against the deployment */
	bool protected; /* scale-in protection: no scale-in or deployment stops it */
	int64_t created_ns, started_ns;
	/* the scheduler's: being drained before its stop; the target group
	 * whose health checks it failed (NULL: none) */
	bool retiring;
	const char *elb_unhealthy;
	bool drained; /* the scheduler's: on a DRAINING instance, to be replaced */
} ecsfs__svc_task;

typedef struct ecsfs__svc_tasks {
	ecsfs__svc_task *v;
	size_t n, alloc;
} ecsfs__svc_tasks;

/* The service's tasks, oldest first (empty without a task subsystem);
 * free l->v. */
void ecsfs__service_collect(ecsfs_services *sv, const char *cluster, const char *name,
			    ecsfs__svc_tasks *l);

/* ---- deployment strategies (model/service_strategy.c) ---- */

#define ECSFS__HOOKS_MAX 10 /* lifecycleHooks of one service */
extern const ecsfs_shape ecsfs__svc_linear_shape, ecsfs__svc_canary_shape;
extern const ecsfs_shape ecsfs__svc_hook_shape, ecsfs__svc_advanced_shape;
extern const char *const ecsfs__svc_strategies[], *const ecsfs__svc_stages[];
/* The rules between strategy, loadBalancers and advancedConfiguration (a
 * hook of the CreateService shape). */
int ecsfs__svc_strategy_rules(ecsfs_shape_ctx *c, const json_t *doc);
/* The listener rules advancedConfiguration names, against the load
 * balancers that exist: InvalidParameter -EINVAL naming the field. */
int ecsfs__service_check_strategy_store(ecsfs_store *s, const json_t *spec, ecsfs_err *err);
/* The load balancer a listener-rule ARN names: 0, or -EINVAL. */
int ecsfs__rule_lb_name(const char *arn, char lb[ECSFS_ELB_NAME_MAX + 1]);
/* deploymentConfiguration.strategy, "ROLLING" when absent. */
const char *ecsfs__service_strategy(json_t *state);
/* Its numbers with ECS's defaults; percentages in tenths. */
typedef struct ecsfs__strategy_conf {
	long long bake_min, step_bake_min, canary_bake_min;
	int step_tenths, canary_tenths;
} ecsfs__strategy_conf;
void ecsfs__service_strategy_conf(json_t *state, ecsfs__strategy_conf *out);

#endif
