/* ecsfs — tasks: run, watch, log and stop them (the reconciler). */
#ifndef ECSFS_TASK_H
#define ECSFS_TASK_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "ecsfs/buf.h"
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
#define ECSFS_TASKS_MAX	      2000	   /* tasks not yet STOPPED, all clusters */
#define ECSFS_TASKS_KEPT_MAX  10000	   /* STOPPED tasks kept for their retention */
#define ECSFS_TASK_RETENTION  3600	   /* seconds a STOPPED task stays visible */
#define ECSFS_RUN_MAX	      65536	   /* bytes of one write to `run` */
#define ECSFS_STOP_REASON_MAX 1024	   /* bytes of a reason written to `stop` */
#define ECSFS_TASK_LOG_MAX    (1ull << 30) /* bytes of one container's log file */

/* Told after a task appeared, changed state, or went away (for caches). */
typedef void (*ecsfs_tasks_change_cb)(void *data, const char *cluster, const char *id);

/*
 * Load every task from the store and start reconciling them with `rt`.
 * Log files go under `state_dir`/logs/<task id>/. Returns 0 and *out, or
 * -errno with *why.
 */
int ecsfs_tasks_new(uv_loop_t *loop, ecsfs_store *store, ecsfs_runtime *rt, const char *state_dir,
		    ecsfs_tasks **out, ecsfs_buf *why);
void ecsfs_tasks_set_change_cb(ecsfs_tasks *t, ecsfs_tasks_change_cb cb, void *data);
/* The static binary the pause image is imported from when the engine lacks
 * it (the build's ecsfs-pause). 0 or -ENOMEM. */
int ecsfs_tasks_set_pause_binary(ecsfs_tasks *t, const char *path);
/* Stop reconciling (containers keep running) and free everything. Calls
 * still in flight in the runtime are cut loose: close the runtime after. */
void ecsfs_tasks_free(ecsfs_tasks *t);
/* Tell the reconciler the engine's reachability changed: look again. */
void ecsfs_tasks_runtime_changed(ecsfs_tasks *t);
/* Forget the (STOPPED) tasks of a cluster that was deleted. */
void ecsfs_tasks_forget_cluster(ecsfs_tasks *t, const char *cluster);
/* Drop stopped tasks past their retention (called every second or so). */
void ecsfs_tasks_sweep(ecsfs_tasks *t);

/*
 * Check a write to clusters/<c>/run: "family[:revision] [count]" on one
 * line, or a RunTask JSON object. With `partial` only refuse what no more
 * bytes could cure. -EINVAL (bad text), -ENOENT (unknown family or
 * revision), with *why.
 */
int ecsfs_tasks_run_check(ecsfs_tasks *t, const char *cluster, const char *data, size_t len,
			  bool partial, ecsfs_buf *why);
/*
 * Start the tasks a `run` write asks for, durably; their ids (one per line)
 * are appended to *ids. Same errors as the check, plus -EAGAIN when the
 * task limit is reached.
 */
int ecsfs_tasks_run(ecsfs_tasks *t, const char *cluster, const char *data, size_t len,
		    ecsfs_buf *ids, ecsfs_buf *why);

/*
 * Stop a task, with `reason` as its stoppedReason ("Task stopped by user"
 * when empty). -ENOENT unknown task, -EALREADY when it is already stopping
 * or stopped, -EINVAL for a reason that is not text.
 */
int ecsfs_tasks_stop(ecsfs_tasks *t, const char *cluster, const char *id, const char *reason,
		     size_t len, ecsfs_buf *why);

/* Would a stop with this reason be taken? The errors of ecsfs_tasks_stop(),
 * without stopping anything (the write() of `stop` gives them early). */
int ecsfs_tasks_stop_check(ecsfs_tasks *t, const char *cluster, const char *id, const char *reason,
			   size_t len, ecsfs_buf *why);

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
} ecsfs_task_info;
typedef int (*ecsfs_tasks_info_cb)(void *data, const ecsfs_task_info *info);
/* Every task of a cluster (with `group`, only that group's), oldest first,
 * STOPPED ones included. */
int ecsfs_tasks_foreach(ecsfs_tasks *t, const char *cluster, const char *group,
			ecsfs_tasks_info_cb cb, void *data);

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

/* describe-tasks' task object, pretty JSON. */
int ecsfs_tasks_describe(ecsfs_tasks *t, const char *cluster, const char *id, ecsfs_buf *out);
/* "key: value" lines of a task, or (container not NULL) of one container. */
int ecsfs_tasks_status(ecsfs_tasks *t, const char *cluster, const char *id, const char *container,
		       ecsfs_buf *out);
/* The log file of a container (container NULL: the task's merged log). */
int ecsfs_tasks_log_path(ecsfs_tasks *t, const char *cluster, const char *id, const char *container,
			 ecsfs_buf *out);

#endif
