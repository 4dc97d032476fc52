/* ecsfs — tasks: run, watch, log and stop them (the reconciler). */
#ifndef ECSFS_TASK_H
#define ECSFS_TASK_H

#include <stdbool.h>
#include <jansson.h>
#include <stdint.h>
#include <time.h>
#include <uv.h>

#include "ecsfs/buf.h"
#include "ecsfs/error.h"
#include "ecsfs/placement.h"
#include "ecsfs/runtime.h"
#include "ecsfs/store.h"

/*
 * The task subsystem owns every task of every cluster. A task is a row of
 * the store (its state as a JSON document) and, while it runs, containers
 * in the engine that carry its labels. The reconciler is level-triggered:
 * it compares what a task should be (desiredStatus) with what the engine
 * shows, and issues idempotent calls; engine events only tell it when to
 * look again. After a restart it re-adopts containers by their labels and
 * never creates a second one (engine names are unique per task container).
 *
 * Tasks live on the loop the runtime uses; nothing here blocks except
 * appending captured log lines to local files.
 */
typedef struct ecsfs_tasks ecsfs_tasks;

#define ECSFS_RUN_MAX_COUNT   10	   /* RunTask's own limit on count */
#define ECSFS_STARTED_BY_MAX  128	   /* characters of RunTask's startedBy */
#define ECSFS_TASKS_MAX	      10000	   /* tasks not yet STOPPED, all clusters */
#define ECSFS_TASKS_KEPT_MAX  10000	   /* STOPPED tasks kept for their retention */
#define ECSFS_TASK_RETENTION  3600	   /* seconds a STOPPED task stays visible */
#define ECSFS_RUN_MAX	      65536	   /* bytes of one write to `run` */
#define ECSFS_STOP_REASON_MAX 1024	   /* bytes of a reason written to `stop` */
#define ECSFS_TASK_LOG_MAX    (1ull << 30) /* bytes of one container's log file */

/* Told after a task appeared, changed state, or went away (for caches). */
typedef void (*ecsfs_tasks_change_cb)(void *data, const char *cluster, const char *id);

/* A batch of new tasks to place on container instances. */
typedef struct ecsfs_task_batch {
	const json_t *taskdef; /* their task definition, overrides applied */
	const char *family;
	int64_t revision;
	const char *group;     /* "service:web", "family:web" or RunTask's */
	const json_t *request; /* RunTask's fields: placementConstraints, placementStrategy,
				  capacityProviderStrategy, launchType */
	size_t count;
} ecsfs_task_batch;
/*
 * Where each task of a batch goes: where[i] the name of its instance and
 * provider[i] its capacity provider (NULL: none) (both borrowed, valid
 * until the next call into the placer), or where[i] NULL when it fits
 * nowhere, then `failures` (RunTask's, owned by the caller) and `why` (the
 * service event's sentence) say why. 0, or -EINVAL + err for a placement
 * document that is wrong.
 */
typedef int (*ecsfs_tasks_place_fn)(void *data, const char *cluster, const ecsfs_task_batch *b,
				    const char **where, const char **provider, json_t **failures,
				    ecsfs_buf *why, ecsfs_err *err);

/*
 * Load every task from the store and start reconciling them with `rt`.
 * Log files go under `state_dir`/logs/<task id>/. Returns 0 and *out, or
 * -errno with *why.
 */
int ecsfs_tasks_new(uv_loop_t *loop, ecsfs_store *store, ecsfs_runtime *rt, const char *state_dir,
		    ecsfs_tasks **out, ecsfs_buf *why);
void ecsfs_tasks_set_change_cb(ecsfs_tasks *t, ecsfs_tasks_change_cb cb, void *data);
/* The service scheduler's own listener, told of the same changes beside the
 * front end's (services set it themselves; NULL clears it). */
void ecsfs_tasks_set_scheduler_cb(ecsfs_tasks *t, ecsfs_tasks_change_cb cb, void *data);
/* Who places new tasks (the container instances; NULL: all on local). */
void ecsfs_tasks_set_placer(ecsfs_tasks *t, ecsfs_tasks_place_fn fn, void *data);
/*
 * The fleet: the container instances of a cluster as the service scheduler
 * sees them (DAEMON services, draining). The container instances lend
 * their placement candidates here (`src`, NULL: none, the scheduler then
 * knows only `local`) and say when a cluster's instances changed.
 */
void ecsfs_tasks_set_fleet(ecsfs_tasks *t, const ecsfs_place_source *src);
/* The candidates of `cluster`, `local` first, with the tasks on them that
 * are not STOPPED; borrowed until ecsfs_tasks_fleet_release(t, keep).
 * 0, -ENOENT without a fleet, or the source's -errno. */
int ecsfs_tasks_fleet(ecsfs_tasks *t, const char *cluster, const ecsfs_place_instance **v,
		      size_t *n, void **keep);
void ecsfs_tasks_fleet_release(ecsfs_tasks *t, void *keep);
/* Told when instances of `cluster` registered, changed state or
 * reachability, or went away (the service scheduler; NULL clears it). */
typedef void (*ecsfs_tasks_fleet_cb)(void *data, const char *cluster);
void ecsfs_tasks_set_fleet_cb(ecsfs_tasks *t, ecsfs_tasks_fleet_cb cb, void *data);
void ecsfs_tasks_fleet_changed(ecsfs_tasks *t, const char *cluster);
/* The static binary the pause image is imported from when the engine lacks
 * it (the build's ecsfs-pause). 0 or -ENOMEM. */
int ecsfs_tasks_set_pause_binary(ecsfs_tasks *t, const char *path);
/* The IPv4 pool (a.b.c.d/n, n 8..28) the clusters' networks take their
 * subnets from, a /24 each (or the whole pool when it is no larger);
 * unset: the engine's own address pools. 0, or -EINVAL + why. */
int ecsfs_tasks_set_task_subnet(ecsfs_tasks *t, const char *cidr, ecsfs_buf *why);
/* Would ecsfs_tasks_set_task_subnet() take `cidr`? (for the command line) */
int ecsfs_tasks_subnet_check(const char *cidr, ecsfs_buf *why);
/* Stop reconciling (containers keep running) and free everything. Calls
 * still in flight in the runtime are cut loose: close the runtime after. */
void ecsfs_tasks_free(ecsfs_tasks *t);
/* How many file descriptors tasks may hold in all (each captured container
 * 4, each task 1 more); 0, the default, takes RLIMIT_NOFILE less what the
 * rest of the daemon may hold. For tests and benches on the fake runtime,
 * whose containers hold none. */
void ecsfs_tasks_set_fd_budget(ecsfs_tasks *t, size_t fds);
/* Tell the reconciler the engine's reachability changed: look again. */
void ecsfs_tasks_runtime_changed(ecsfs_tasks *t);
/* Forget the (STOPPED) tasks of a cluster that was deleted, and remove its
 * network from the engine (retried while containers still hold it). */
void ecsfs_tasks_forget_cluster(ecsfs_tasks *t, const char *cluster);
/* Drop stopped tasks past their retention (called every second or so). */
void ecsfs_tasks_sweep(ecsfs_tasks *t);

/*
 * What starts tasks: a RunTask request (taskDefinition "family[:rev]" or a
 * task-definition ARN, count, startedBy, group, overrides, and RunTask's
 * fields that have no local meaning, kept out of the way) and the DNS
 * names the new tasks answer to on their cluster's network.
 */
typedef struct ecsfs_task_launch {
	const json_t *request;	    /* RunTask fields: taskDefinition ("family:rev"), count,
				       startedBy, group, overrides, tags, ... */
	const char *const *aliases; /* NULL-terminated DNS names the tasks answer to on the
				       cluster network (service name, serviceConnect dnsNames,
				       serviceRegistries names), or NULL */
} ecsfs_task_launch;

/*
 * Start `count` tasks of cluster `cluster`, durably (all or none); *ids
 * gets a JSON array of the new task ids (caller decrefs). Errors:
 * ClientException -ENOENT for a family or revision that is not registered,
 * ClientException -EINVAL for an INACTIVE revision, InvalidParameter
 * -EINVAL for a request with unknown fields, wrong types or values out of
 * range (the message names the field), LimitExceeded -EAGAIN when
 * ECSFS_TASKS_MAX tasks are not STOPPED yet or when the new tasks would
 * hold more file descriptors than RLIMIT_NOFILE leaves them (the message
 * says how many), Server for a store fault.
 */
int ecsfs_tasks_start(ecsfs_tasks *t, const char *cluster, const ecsfs_task_launch *l, json_t **ids,
		      ecsfs_err *err);
/* RunTask's start: ecsfs_tasks_start() of as many of the tasks as the
 * cluster's instances take (placement.h); *failures gets RunTask's
 * failures for the others (a new array, empty when all were placed). */
int ecsfs_tasks_start_placed(ecsfs_tasks *t, const char *cluster, const ecsfs_task_launch *l,
			     json_t **ids, json_t **failures, ecsfs_err *err);
/* The errors ecsfs_tasks_start() would give, without starting anything
 * (the task limit is not looked at). */
int ecsfs_tasks_start_check(ecsfs_tasks *t, const char *cluster, const ecsfs_task_launch *l,
			    ecsfs_err *err);

/*
 * The request a write to clusters/<c>/run stands for: one line
 * "family[:revision] [count]" or a RunTask JSON object, at most
 * ECSFS_RUN_MAX bytes. 0 and *request (caller decrefs); InvalidParameter
 * -EINVAL for text that is neither. With `partial` (the writes so far of
 * a plain append) only what no more bytes could cure is refused: while
 * the line or the object is unfinished it returns 0 with *request NULL.
 */
int ecsfs_tasks_run_request(const char *data, size_t len, bool partial, json_t **request,
			    ecsfs_err *err);

/* The check of a write to `run`: ecsfs_tasks_run_request(), then (once
 * the request is whole) ecsfs_tasks_start_check(). */
int ecsfs_tasks_run_check(ecsfs_tasks *t, const char *cluster, const char *data, size_t len,
			  bool partial, ecsfs_err *err);

/*
 * Start what a `run` write asks for (ecsfs_tasks_run_request() then
 * ecsfs_tasks_start()); the ids, one a line, are appended to *ids.
 * Kept for callers that still hold text; new code builds the request.
 */
int ecsfs_tasks_run(ecsfs_tasks *t, const char *cluster, const char *data, size_t len,
		    ecsfs_buf *ids, ecsfs_buf *why);

/*
 * Stop a task, with `reason` as its stoppedReason ("Task stopped by user"
 * when empty). ClientException -ENOENT unknown task, ClientException
 * -EALREADY when it is already stopping or stopped, InvalidParameter
 * -EINVAL for a reason that is not text.
 */
int ecsfs_tasks_stop(ecsfs_tasks *t, const char *cluster, const char *id, const char *reason,
		     size_t len, ecsfs_err *err);

/* Would a stop with this reason be taken? The errors of ecsfs_tasks_stop(),
 * without stopping anything (the write() of `stop` gives them early). */
int ecsfs_tasks_stop_check(ecsfs_tasks *t, const char *cluster, const char *id, const char *reason,
			   size_t len, ecsfs_err *err);

/* Stop a task on behalf of a scheduler: `code` is its stopCode
 * ("ServiceSchedulerInitiated"). Same errors as ecsfs_tasks_stop(). */
int ecsfs_tasks_stop_as(ecsfs_tasks *t, const char *cluster, const char *id, const char *code,
			const char *reason, size_t len, ecsfs_buf *why);

/* What a scheduler needs to know of one task. Strings are valid during the
 * callback only. */
typedef struct ecsfs_task_info {
	const char *id;
	const char *started_by; /* "" when none */
	const char *family;
	int64_t revision;
	const char *last_status; /* "PROVISIONING" ... "STOPPED" */
	bool desired_running;
	const char *health;    /* the task's: HEALTHY, UNHEALTHY, UNKNOWN */
	bool has_health_check; /* an essential container has one */
	int64_t created_ns, started_ns, stopped_ns;
	const char *stop_code;	    /* NULL while running */
	const char *stopped_reason; /* NULL while running */
	const char *address;	    /* the task's own IP (awsvpc), "" when none (yet) */
	const char *group;	    /* "service:web", "family:web", or RunTask's group */
	const char *launch_type;    /* what describe-tasks shows: EC2, FARGATE, EXTERNAL */
	const char *instance;	    /* the container instance it runs on ("local", "e1") */
	int64_t protected_ns;	    /* scale-in protection until then; 0 or past: none */
} ecsfs_task_info;
typedef int (*ecsfs_tasks_info_cb)(void *data, const ecsfs_task_info *info);
/* Every task of a cluster (with `group`, only that group's, found through
 * an index), oldest first, STOPPED ones included. `cb` only reads: it must
 * not start or forget tasks. */
int ecsfs_tasks_foreach(ecsfs_tasks *t, const char *cluster, const char *group,
			ecsfs_tasks_info_cb cb, void *data);
/* The group of task `id` of `cluster` ("service:<name>", "family:<f>"),
 * borrowed until the task is forgotten; NULL when there is no such task. */
const char *ecsfs_tasks_group(ecsfs_tasks *t, const char *cluster, const char *id);

/*
 * Scale-in protection (UpdateTaskProtection): a protected task of a service
 * is never stopped by a scale-in or a deployment until `minutes` (1 to
 * ECSFS_PROTECT_MAX_MIN; 0 means ECSFS_PROTECT_DEFAULT_MIN) have passed or
 * the protection is removed. Stored with the task. *until_ns gets the
 * expiry (0 when removed); may be NULL. Errors: ClientException -ENOENT
 * unknown task, ClientException -EINVAL a task of no service (ECS's
 * TASK_NOT_VALID) or one that is stopping, InvalidParameter -EINVAL for
 * minutes out of range, Server for a store fault.
 */
#define ECSFS_PROTECT_DEFAULT_MIN 120
#define ECSFS_PROTECT_MAX_MIN	  2880
int ecsfs_tasks_protect(ecsfs_tasks *t, const char *cluster, const char *id, bool enabled,
			int64_t minutes, int64_t *until_ns, ecsfs_err *err);
/* Would `minutes` be taken? InvalidParameter -EINVAL out of range. */
int ecsfs_tasks_protect_check(bool enabled, int64_t minutes, ecsfs_err *err);
/* The protection of a task now: *until_ns its expiry, 0 when unprotected
 * (or expired). Same errors as ecsfs_tasks_protect(), without the stop. */
int ecsfs_tasks_protection(ecsfs_tasks *t, const char *cluster, const char *id, int64_t *until_ns,
			   ecsfs_err *err);

/*
 * Where container port `container_port` of container `container` of a task
 * is reached: awsvpc, the task's own IP and containerPort; bridge and
 * host, "127.0.0.1" and the host port. 0 and addr/port; -ENOENT for an
 * unknown task, container or port, -EAGAIN while it is not known yet (the
 * task is not running, or no longer).
 */
int ecsfs_tasks_target(ecsfs_tasks *t, const char *cluster, const char *id, const char *container,
		       int container_port, char addr[64], int *port);

/* Task ids of a cluster, oldest first. */
typedef int (*ecsfs_tasks_name_cb)(void *data, const char *name);
int ecsfs_tasks_list(ecsfs_tasks *t, const char *cluster, ecsfs_tasks_name_cb cb, void *data);
/* Does the task exist in the cluster (0 or -ENOENT)? With `container`, does
 * it have that container? */
int ecsfs_tasks_exists(ecsfs_tasks *t, const char *cluster, const char *id, const char *container);
/* Container names of a task, in definition order. */
int ecsfs_tasks_containers(ecsfs_tasks *t, const char *cluster, const char *id,
			   ecsfs_tasks_name_cb cb, void *data);
/* Tasks of a cluster by lastStatus, for the cluster's status and describe. */
void ecsfs_tasks_counts(ecsfs_tasks *t, const char *cluster, unsigned *pending, unsigned *running,
			unsigned *stopped);

/* describe-tasks' task object (caller decrefs). -ENOENT unknown task. */
int ecsfs_tasks_describe(ecsfs_tasks *t, const char *cluster, const char *id, json_t **out);
/* "key: value" lines of a task, or (container not NULL) of one container. */
int ecsfs_tasks_status(ecsfs_tasks *t, const char *cluster, const char *id, const char *container,
		       ecsfs_buf *out);
/* The log file of a container (container NULL: the task's merged log). */
int ecsfs_tasks_log_path(ecsfs_tasks *t, const char *cluster, const char *id, const char *container,
			 ecsfs_buf *out);
/* Size and mtime of a captured log (0 and the epoch while nothing was
 * written). -ENOENT unknown task or container. */
int ecsfs_tasks_log_stat(ecsfs_tasks *t, const char *cluster, const char *id, const char *container,
			 uint64_t *size, struct timespec *mtime);
/* Append up to `len` bytes of a captured log from offset `off` to *out
 * (nothing past its end). -ENOENT unknown task or container, another
 * -errno when the file cannot be read. */
int ecsfs_tasks_log_read(ecsfs_tasks *t, const char *cluster, const char *id, const char *container,
			 uint64_t off, size_t len, ecsfs_buf *out);

#endif
