/*
 * ecsfs — the service scheduler: what scheduler.c (one look at a service,
 * its phases) and deployment.c (deployments, the circuit breaker, steady
 * state) share.
 */
#ifndef ECSFS_SCHEDULER_PRIVATE_H
#define ECSFS_SCHEDULER_PRIVATE_H

#include "ecsfs/strmap.h"
#include "model/service_private.h"

/* ---- which services a pass looks at (scheduler_due.c) ---- */

/* Every service is looked at this often whatever changed (level-triggered
 * backstop); in between only those whose inputs changed or that are not
 * steady. */
#define ECSFS__FULL_PASS_NS (60ll * 1000000000ll)

/* sv->due: 0, or -1 on ENOMEM. */
int ecsfs__due_new(ecsfs_services *sv);
void ecsfs__due_free(ecsfs_services *sv);
/* Look at the service in the next pass. */
void ecsfs__due_mark(ecsfs_services *sv, const char *cluster, const char *name);
/* The scheduler's tick: services that are not steady are looked at this
 * often. */
#define ECSFS__TICK_NS 1000000000ll
/* Look at the service "<cluster>/<name>" on the next tick: it is not steady. */
void ecsfs__due_again(ecsfs_services *sv, const char *cn);
/* Count a look at "<cluster>/<name>" (ecsfs_services_looks); it is no
 * longer waiting for the tick. */
void ecsfs__due_looked(ecsfs_services *sv, const char *cn);
/* Look at every service in the next pass. */
void ecsfs__due_all(ecsfs_services *sv);
/* A revision of `family` came or went: look soon at the services that name
 * it (all of them when they cannot be found, or `family` is NULL). */
void ecsfs__due_family(ecsfs_services *sv, const char *family);
/* The services marked so far ("<cluster>/<name>" keys, caller releases),
 * leaving none marked; true when the pass is to look at every service
 * (asked for, or ECSFS__FULL_PASS_NS since the last one). */
bool ecsfs__due_take(ecsfs_services *sv, ecsfs_strmap *batch);

/* One look at one service: what it is, what its tasks are, what was done. */
typedef struct ecsfs__look {
	ecsfs_services *sv;
	ecsfs_store *s;
	const char *cluster, *name;
	json_t *state; /* the stored state, changed in place; saved if it differs */
	char *before;  /* ... from this */
	json_t *p;     /* the primary deployment (NULL: none yet) */
	ecsfs__svc_tasks l;
	ecsfs__svc_task **prim, **old; /* live tasks of the primary, of older deployments */
	ecsfs__svc_task **sick;	       /* live tasks whose targets failed health checks */
	size_t nprim, nold, nsick;
	long long started;	   /* tasks started this look */
	size_t nretiring;	   /* live tasks being drained before their stop */
	const char *group_missing; /* a target group it names that does not exist */
	long long desired;	   /* tasks the service should run */
	bool draining;		   /* being deleted */
	bool daemon;		   /* DAEMON with a fleet: one task on each instance */
	long long daemon_free;	   /* ... instances that take one now (no task of it) */
	bool acted;		   /* started or stopped something this look */
	int64_t now;
} ecsfs__look;

/* Start a deployment when one is due: the reference names another revision,
 * or a redeploy was asked for. A family with nothing ACTIVE waits (said
 * once in events). */
void ecsfs__deploy_if_due(ecsfs__look *k);
/* The circuit breaker: a rollout whose tasks keep failing is FAILED, and
 * with rollback the last COMPLETED deployment comes back. */
void ecsfs__trip_breaker(ecsfs__look *k);
/* Tasks that keep failing are relaunched after a growing pause. */
void ecsfs__throttle_failures(ecsfs__look *k);
/* May the primary start tasks now (not FAILED, not throttled)? */
bool ecsfs__may_launch(const ecsfs__look *k);
/* Drop deployments other than the primary that have no live task left. */
void ecsfs__prune_deployments(ecsfs__look *k);
/* A rollout whose tasks have all run a while is COMPLETED; a service with
 * nothing left to do is steady (said once in events). */
void ecsfs__settle(ecsfs__look *k);

/* ---- the instances under the service (daemon.c) ---- */

/* The stop reasons of tasks that leave an instance. */
#define ECSFS__DRAIN_REASON "Container instance is draining"
#define ECSFS__UNFIT_REASON "Container instance no longer meets the placement constraints"

/* Where the look's live tasks run. A DAEMON: desired becomes the number of
 * instances that take its task, and its tasks on instances that no longer
 * do (DRAINING, constraints) stop. Other services: tasks on DRAINING
 * instances that are not RUNNING yet stop, RUNNING ones are `drained`,
 * moved to old[] to be replaced within minimumHealthyPercent and
 * maximumPercent. Nothing without container instances. */
void ecsfs__fleet_split(ecsfs__look *k);
/* The service scheduler hears of changed instances (ecsfs_services_new). */
void ecsfs__fleet_listen(ecsfs_services *sv, bool on);

/* Stop tasks now (scheduler.c), or drain them first when the service is
 * behind load balancers (scheduler_lb.c decides). */
void ecsfs__stop_now(ecsfs__look *k, ecsfs__svc_task **v, size_t n, const char *reason);
void ecsfs__retire(ecsfs__look *k, ecsfs__svc_task **v, size_t n, const char *reason);

/* ---- load balancing (scheduler_lb.c); nothing without a controller or
 * without loadBalancers in the spec ---- */

/* Which tasks are being drained, which targets are healthy (a task counts
 * as healthy only while every target of it is), whether every target
 * group exists (a missing one is said once in events; launches wait). */
void ecsfs__lb_observe(ecsfs__look *k);
/* Tasks whose targets have drained are stopped. */
void ecsfs__lb_finish_draining(ecsfs__look *k);
/* Targets of tasks that stopped on their own are deregistered. */
void ecsfs__lb_forget_stopped(ecsfs__look *k);
/* Say once per task that its target failed the group's health checks. */
void ecsfs__lb_report_unhealthy(ecsfs__look *k);
/* Such tasks are retired once their replacement is healthy, or at once
 * when no replacement is coming (ECS starts it first when maximumPercent
 * leaves room). */
void ecsfs__lb_retire_unhealthy(ecsfs__look *k);
/* Tasks whose containers run are registered in every target group. */
void ecsfs__lb_register(ecsfs__look *k);

/* ---- deployment strategies (strategy.c, strategy_hook.c) ---- */

/* A new deployment `d` (the primary now): with BLUE_GREEN, CANARY or
 * LINEAR and old tasks to shift traffic from, it gets its strategy state
 * and the target groups its tasks go to; the deployments before keep
 * theirs. Nothing for a service without advancedConfiguration. */
void ecsfs__strategy_begin(ecsfs__look *k, json_t *d, bool rollback);
/* The target group of load balancer i that tasks of deployment
 * `started_by` are registered in. */
const char *ecsfs__strategy_group(const ecsfs__look *k, size_t i, const char *started_by);
/* A strategy deployment is under way: the old tasks stay (retire_old waits)
 * and the new ones start at full count, past maximumPercent. */
bool ecsfs__strategy_holds(const ecsfs__look *k);
/* False while the PRE_SCALE_UP hooks run. */
bool ecsfs__strategy_may_launch(const ecsfs__look *k);
/* Walk the primary's stages, roll back when asked or failing, and write
 * the traffic split the state stands for. */
void ecsfs__strategy_advance(ecsfs__look *k);
/* Write the split rows that differ from the state's (and kick the LB). */
void ecsfs__strategy_traffic(ecsfs__look *k);
/* Roll a strategy deployment back (`reason` for events and
 * rolloutStateReason); false when the primary is none. */
bool ecsfs__strategy_roll_back(ecsfs__look *k, const char *reason);
/* The hooks of `stage` of strategy state `st`: 0 all done (or none),
 * 1 still running, -1 one failed (why says which). */
int ecsfs__strategy_hooks(ecsfs__look *k, json_t *st, const char *stage, ecsfs_buf *why);
/* A rolling deployment in progress rolled back to the last COMPLETED one
 * (deployment.c). */
void ecsfs__deploy_roll_back(ecsfs__look *k, const char *reason);

#endif
