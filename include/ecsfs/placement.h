/*
 * ecsfs — task placement, as ECS does it: which container instance each
 * new task goes to, which tasks a scale-in stops first, and how a
 * capacity-provider strategy splits tasks between providers.
 *
 * Everything here is pure: it reads the candidates and the request the
 * caller describes and writes only its out parameters; it keeps no state,
 * does no I/O and never logs. The caller (the reconciler, the service
 * scheduler, RunTask) gathers the instances of a cluster with what runs on
 * them, asks, and then records the tasks where it was told.
 *
 * Order of a decision (ECS's): the capacity-provider split picks each
 * task's provider; then every instance of that provider that is ACTIVE
 * and connected is a candidate; resources (CPU, MEMORY, host PORTS) and
 * constraints (distinctInstance, memberOf) filter them; the strategies
 * (binpack, spread, random, in the order given) rank what is left. A batch
 * of N tasks is placed one by one, each placement reserving its resources
 * and counting as a task of its group before the next is placed.
 *
 * Errors are negative errno values with an ecsfs_err (kind
 * ECSFS_E_INVALID_PARAMETER for a bad document); a task that fits nowhere
 * is not an error but a failure in the answer.
 */
#ifndef ECSFS_PLACEMENT_H
#define ECSFS_PLACEMENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ecsfs/buf.h"
#include "ecsfs/error.h"
#include "ecsfs/shape.h"

/* ECS's limits on one request. */
#define ECSFS_PLACE_CONSTRAINTS_MAX 10 /* placementConstraints */
#define ECSFS_PLACE_STRATEGIES_MAX  5  /* placementStrategy */
#define ECSFS_PLACE_PROVIDERS_MAX   6  /* capacityProviderStrategy items */
#define ECSFS_PLACE_EXPRESSION_MAX  2000

/* The failure reasons RunTask's `failures` carry (ECS's words). */
#define ECSFS_PLACE_R_CPU      "RESOURCE:CPU"
#define ECSFS_PLACE_R_MEMORY   "RESOURCE:MEMORY"
#define ECSFS_PLACE_R_PORTS    "RESOURCE:PORTS"
#define ECSFS_PLACE_R_AGENT    "AGENT" /* the instance's engine is not connected */
#define ECSFS_PLACE_R_MEMBER   "MemberOf placement constraint unsatisfied."
#define ECSFS_PLACE_R_DISTINCT "DistinctInstance placement constraint unsatisfied."

/* An attribute of an instance, as PutAttributes sets it (value may be NULL). */
typedef struct ecsfs_place_attr {
	const char *name;
	const char *value;
} ecsfs_place_attr;

/* A task already on an instance (strings borrowed from the caller). */
typedef struct ecsfs_place_task {
	const char *id;	     /* the task id (choose_victims answers with it) */
	const char *group;   /* "service:web", "family:web" or RunTask's group */
	const char *family;  /* "web" */
	const char *taskdef; /* "web:4" */
	int64_t cpu, memory; /* what it reserves (ecsfs_place_size()) */
	bool protected_;     /* scale-in protection: never a victim */
} ecsfs_place_task;

/* Status of an instance (UpdateContainerInstancesState). */
typedef enum ecsfs_place_status {
	ECSFS_PLACE_ACTIVE = 0,
	ECSFS_PLACE_DRAINING,
} ecsfs_place_status;

/* One candidate container instance (everything borrowed from the caller). */
typedef struct ecsfs_place_instance {
	const char *name; /* "local", "e1": what ec2InstanceId / instanceId mean here */
	const char *arn;  /* its containerInstanceArn (failures name it); NULL: name */
	int64_t cpu_registered, mem_registered; /* CPU units (1024 a core), MiB */
	int64_t cpu_remaining, mem_remaining;	/* registered minus what its tasks reserve */
	const uint16_t *ports;			/* host ports in use (TCP and UDP alike) */
	size_t nports;
	const ecsfs_place_attr *attrs; /* ecs.availability-zone, ecs.instance-type, ... */
	size_t nattrs;
	ecsfs_place_status status;
	bool connected; /* agentConnected: false gets no task (reason AGENT) */
	/* the capacity providers it serves, NULL-terminated; NULL: none (only a
	 * request without a provider strategy may land here). `local` serves
	 * {"FARGATE", "FARGATE_SPOT", NULL}. */
	const char *const *providers;
	const ecsfs_place_task *tasks; /* the tasks on it that are not STOPPED */
	size_t ntasks;
	/* for expressions only: agentVersion (the engine's version, or NULL)
	 * and registeredAt (ms since the epoch) */
	const char *agent_version;
	int64_t registered_ms;
} ecsfs_place_instance;

/* What one task asks for. */
typedef struct ecsfs_place_request {
	int64_t cpu, memory;   /* per task (ecsfs_place_size()) */
	const uint16_t *ports; /* the fixed host ports one task binds (0s left out) */
	size_t nports;
	const char *group; /* its task group: "service:web", "family:web" */
	const char *family;
	const char *taskdef;
	/* arrays as the documents hold them, or NULL (borrowed): RunTask's or
	 * the service's placementConstraints, plus the task definition's
	 * (taskdef_constraints, memberOf only) */
	const json_t *constraints;
	const json_t *taskdef_constraints;
	const json_t *strategy;	 /* placementStrategy; NULL and service: ECS's default */
	const json_t *providers; /* capacityProviderStrategy, or NULL */
	const char *launch_type; /* "EC2", "FARGATE", "EXTERNAL" or NULL */
	bool service;		 /* a service's task: the default strategy applies */
	size_t count;		 /* how many tasks (1..ECSFS_RUN_MAX_COUNT-ish) */
	/* for a batch that adds to a service: how many tasks it has on each
	 * provider already (same order as `providers`), or NULL */
	const size_t *provider_counts;
	uint64_t seed; /* the random strategy's seed (the same seed: the same choice) */
} ecsfs_place_request;

/* The answer for a batch. Caller-owned: ecsfs_place_out_init() /
 * ecsfs_place_out_release(). */
typedef struct ecsfs_place_out {
	size_t n;	       /* == request count */
	long *where;	       /* where[i]: index of the chosen instance, -1: not placed */
	const char **provider; /* provider[i]: its capacity provider (borrowed), or NULL */
	size_t placed;	       /* how many where[i] >= 0 */
	/* RunTask's failures for the tasks not placed: [{"arn": instance arn,
	 * "reason": "RESOURCE:MEMORY"}, ...] one per instance that refused the
	 * first unplaced task (or [{"reason": "..."}] when no instance is a
	 * candidate at all); NULL when every task was placed. Owned. */
	json_t *failures;
	/* the service event's sentence for the first unplaced task: "was unable
	 * to place a task because no container instance met all of its
	 * requirements. The closest matching (container-instance e2) has
	 * insufficient memory available. ..." (without "(service web) "). */
	ecsfs_buf why;
} ecsfs_place_out;

void ecsfs_place_out_init(ecsfs_place_out *o);
void ecsfs_place_out_release(ecsfs_place_out *o);

/*
 * The CPU units and MiB a task of `taskdef` (registration document,
 * overrides applied) reserves: the task-level cpu/memory when set (strings
 * such as "1024", "1 vCPU", "2 GB" or integers), else the sum over its
 * containers of cpu, and of memory (the hard limit) else memoryReservation.
 * Also the fixed host ports it binds (hostPort, or containerPort in host
 * network mode), into `ports` (up to `max`; *nports the count).
 * Returns 0, or -EINVAL for a document it cannot read.
 */
int ecsfs_place_size(const json_t *taskdef, int64_t *cpu, int64_t *memory, uint16_t *ports,
		     size_t max, size_t *nports);

/*
 * Check a placementConstraints array (`what` names it in messages, e.g.
 * "placementConstraints") and a placementStrategy array: ECS's limits and
 * field/type combinations; memberOf expressions are parsed (a malformed
 * one gives its position). 0 or -EINVAL with the message in err.
 */
int ecsfs_place_check_constraints(const json_t *constraints, const char *what, ecsfs_err *err);
int ecsfs_place_check_strategy(const json_t *strategy, const char *what, ecsfs_err *err);
/* The same checks as shape hooks, for a document's own field table:
 * {.name = "placementConstraints", .type = ECSFS_JSON_ARRAY,
 *  .check = ecsfs_place_constraints_hook}. */
int ecsfs_place_constraints_hook(ecsfs_shape_ctx *c, const json_t *val);
int ecsfs_place_strategy_hook(ecsfs_shape_ctx *c, const json_t *val);
/* The rules of one constraint / one strategy object, as a shape's own
 * hook (ECSFS_SHAPE_HOOK(fields, ecsfs_place_constraint_rules)) for a
 * document that describes the fields itself (schedules). */
int ecsfs_place_constraint_rules(ecsfs_shape_ctx *c, const json_t *obj);
int ecsfs_place_strategy_rules(ecsfs_shape_ctx *c, const json_t *obj);
/*
 * The placement fields of a CreateService / UpdateService / RunTask
 * document at once: placementConstraints, placementStrategy, and
 * capacityProviderStrategy with launchType (see below). 0 or -EINVAL.
 */
int ecsfs_place_check_request(const json_t *doc, const char *const *known, ecsfs_err *err);
/*
 * Check a capacityProviderStrategy against a launchType (both given:
 * EINVAL), `known` (the cluster's providers, NULL-terminated; FARGATE and
 * FARGATE_SPOT are always known; NULL: don't check names), two bases, all
 * weights 0, weight/base ranges. 0 or -EINVAL.
 */
int ecsfs_place_check_providers(const json_t *strategy, const char *launch_type,
				const char *const *known, const char *what, ecsfs_err *err);

/*
 * The provider of each of `count` new tasks under `strategy`
 * (capacityProviderStrategy, checked), given `have[i]` tasks already on
 * strategy item i (NULL: none): base first on its provider, the rest in
 * proportion to weight, weight 0 none. out[k] is the index of the item
 * task k goes to. 0 or -EINVAL (all weights 0 and the base met).
 */
int ecsfs_place_split(const json_t *strategy, const size_t *have, size_t count, size_t *out,
		      ecsfs_err *err);

/*
 * RunTask's failures as one error for a front end that has no `failures`
 * (a write to `run` none of whose tasks fit): ClientException -ENOSPC,
 * "run: no container instance met all of the task's requirements (local:
 * RESOURCE:MEMORY)". Returns -ENOSPC.
 */
int ecsfs_place_failures_err(const json_t *failures, ecsfs_err *err);

/*
 * Place rq->count tasks over `inst[0..n)`. Returns 0 with `out` filled
 * (some tasks may be unplaced: out->placed < count, with failures/why), or
 * -EINVAL for a bad request document (constraints, strategy, providers),
 * -ENOMEM. Deterministic for a given seed.
 */
int ecsfs_place(const ecsfs_place_instance *inst, size_t n, const ecsfs_place_request *rq,
		ecsfs_place_out *out, ecsfs_err *err);

/*
 * Scale-in: which `count` of the tasks of group `group` on `inst[0..n)` to
 * stop first, by `strategy` (the service's placementStrategy, NULL: ECS's
 * default spread by availability zone then instance). spread stops where
 * the group has the most tasks (keeps balance), binpack where the most
 * of the resource would remain afterwards... (ECS: stops tasks so as to
 * leave the most idle capacity), random by `seed`. Protected tasks are
 * never chosen. `victims` gets up to `count` task ids (borrowed from
 * inst[].tasks); *nvictims how many. 0 or -EINVAL.
 */
int ecsfs_place_choose_victims(const ecsfs_place_instance *inst, size_t n, const char *group,
			       const json_t *strategy, size_t count, uint64_t seed,
			       const char **victims, size_t *nvictims, ecsfs_err *err);

/*
 * Where RunTask finds a cluster's candidates. engines registers a source
 * once at start; `get` gives the instances of `cluster` with the tasks on
 * them (borrowed until `release(ctx, keep)`), 0 or -errno. Without a
 * source RunTask places over the implicit instance `local`, with the
 * resources ecsfs_place_set_local() gave (CPUs and bytes of memory, as the
 * engine's /info says NCPU and MemTotal; 0: unknown, never short) less
 * what the live tasks reserve; `local` then serves every provider.
 * Not thread-safe: call from the loop's thread, before tasks run.
 */
typedef struct ecsfs_place_source {
	int (*get)(void *ctx, const char *cluster, const ecsfs_place_instance **v, size_t *n,
		   void **keep);
	void (*release)(void *ctx, void *keep);
	void *ctx;
} ecsfs_place_source;
void ecsfs_place_set_source(const ecsfs_place_source *src); /* NULL: back to `local` */
void ecsfs_place_set_local(int64_t ncpu, int64_t mem_bytes);

/*
 * The cluster query language (memberOf expressions, ListContainerInstances
 * filters): parse `expr`; 0 and *q (free with ecsfs_cq_free), or -EINVAL
 * with "<reason> at position N" (N 1-based, in bytes) in err, for the
 * caller to put behind its field's path. -ENOMEM.
 */
typedef struct ecsfs_cq ecsfs_cq;
int ecsfs_cq_parse(const char *expr, ecsfs_cq **q, ecsfs_err *err);
void ecsfs_cq_free(ecsfs_cq *q);
/* Whether instance `in` matches `q` ("task:group == x" holds when a task
 * of group x is on it). */
bool ecsfs_cq_match(const ecsfs_cq *q, const ecsfs_place_instance *in);

#endif
