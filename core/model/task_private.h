/* ecsfs — tasks: what task.c (model) and reconciler.c (engine) share. */
#ifndef ECSFS_TASK_PRIVATE_H
#define ECSFS_TASK_PRIVATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ecsfs/logstream.h"
#include "ecsfs/strmap.h"
#include "ecsfs/task.h"

/* ECS's task states, in the order a task passes them. */
enum task_state {
	T_PROVISIONING,
	T_PENDING,
	T_ACTIVATING,
	T_RUNNING,
	T_DEACTIVATING,
	T_STOPPING,
	T_DEPROVISIONING,
	T_STOPPED,
};

enum ctr_state {
	C_PENDING, /* not created in the engine yet */
	C_CREATED,
	C_RUNNING,
	C_STOPPED,
};

struct task;

struct ctr {
	struct task *task;
	char *name;
	const json_t *def; /* borrowed from task->taskdef */
	bool essential;
	char *runtime_id; /* NULL until created */
	enum ctr_state state;
	bool has_exit;
	int exit_code;
	char health[12]; /* "UNKNOWN", "HEALTHY", "UNHEALTHY" */
	char *reason;
	int64_t started_ns, finished_ns;
	bool gone;	    /* removed from the engine */
	bool busy;	    /* an action on it is in flight */
	unsigned seen_mark; /* the last resync that found it in the engine */
	/* log capture */
	ecsfs_runtime_logs *follow;
	int64_t log_ts; /* engine time of the last line captured */
	bool logs_done; /* the engine has no more output for us */
	uint64_t log_bytes;
	int log_fd;
	int pos_fd;	    /* <name>.pos: the engine time of the last line written */
	ecsfs_logindex idx; /* <name>.idx: the time of each line (logstream.h) */
};

struct task {
	struct ecsfs_tasks *owner;
	char id[33];
	char *cluster;
	char *family;
	int64_t revision;
	json_t *taskdef;   /* registration input with overrides applied (owned) */
	json_t *overrides; /* as given to RunTask, or NULL */
	char *started_by;
	char *group;
	char *instance;	 /* the container instance it runs on (NULL: local) */
	struct eng *eng; /* its engine, once found (control/reconciler_engine.c) */
	json_t *kept;	 /* RunTask fields with no engine meaning (launchType, tags...), or NULL */
	int64_t protected_ns; /* scale-in protection until then (0: none) */
	bool desired_running;
	enum task_state last;
	int64_t created_ns, pull_started_ns, pull_stopped_ns, started_ns, stopping_ns, stopped_ns,
	    exec_stopped_ns;
	char *stop_code;
	char *stopped_reason;
	bool needs_pause;
	char *pause_id;
	bool pause_running;
	json_t *bindings;  /* networkBindings seen on the pause container */
	json_t *aliases;   /* DNS names on the cluster network (array), or NULL */
	char *address;	   /* the task's own IP on its network, NULL while unknown */
	char *network;	   /* awsvpc: the engine network its pause joined */
	char *eni;	   /* awsvpc: the pause's endpoint (ecsfs__task_eni), or NULL */
	bool detached;	   /* the pause has left the network (the task is stopping) */
	bool leave_queued; /* waits its turn to leave the network (reconciler_network.c) */
	bool volumes_done;
	bool images_done;
	bool removed; /* containers and volumes are gone from the engine */
	struct ctr *c;
	size_t nc;
	int64_t version;
	/* reconciler bookkeeping, not stored */
	unsigned inflight;
	size_t step_want, step_ok; /* calls of the current step, and how many succeeded */
	int remove_phase;	   /* 0: containers, 1: volumes */
	unsigned seen_mark, pause_seen_mark;
	int64_t drain_since; /* when only log followers were left to wait for */
	bool again;
	int64_t retry_at;
	int task_log_fd;
};

struct ecsfs_tasks {
	uv_loop_t *loop;
	ecsfs_store *store;
	ecsfs_runtime *rt;
	char *log_dir;
	char instance[33]; /* this state directory's label value */
	struct task **v;   /* in the order they were added (oldest first) */
	size_t n, alloc;
	ecsfs_strmap by_id;    /* id -> struct task * */
	ecsfs_strmap by_group; /* "<cluster>\n<group>" -> struct ecsfs__task_group * */
	ecsfs_strmap taskdefs; /* "<family>:<rev>" -> json_t * (one reference) */
	ecsfs_tasks_change_cb on_change;
	void *on_change_data;
	ecsfs_tasks_change_cb on_sched; /* the service scheduler */
	void *on_sched_data;
	bool closing;
	char *pause_path;	       /* the static binary the pause image is made from */
	struct op *ops;		       /* calls in flight (control/reconciler.c) */
	void (*drive)(struct task *k); /* the reconciler: look at k again */
	char *task_subnet; /* --task-subnet: the pool local's cluster networks take /24s from */
	/* the engines tasks run on, local first (control/reconciler_engine.c) */
	struct eng *engines;
	/* where new tasks go (the container instances' placement), or NULL: local */
	ecsfs_tasks_place_fn place;
	void *place_data;
	/* the container instances as the service scheduler sees them
	 * (control/daemon_fleet.c) */
	ecsfs_place_source fleet;
	bool has_fleet;
	ecsfs_tasks_fleet_cb on_fleet;
	void *on_fleet_data;
	size_t fd_budget; /* descriptors tasks may hold (0: from RLIMIT_NOFILE) */
};

/* o[key] = s, unless s is NULL. */
static inline void put_str(json_t *o, const char *key, const char *s)
{
	if (s)
		json_object_set_new(o, key, json_string(s));
}

/* task.c */
char *ecsfs__xstrdup(const char *s); /* NULL stays NULL; aborts on ENOMEM */
struct task *ecsfs__task_alloc(ecsfs_tasks *t);
/* The task definition a task runs, shared: takes `td` (a reference) and
 * gives back a reference to an equal document other tasks of family:rev
 * already hold, or `td` itself. Tasks never change their taskdef, so ten
 * thousand tasks of one revision hold one copy, not ten thousand. */
json_t *ecsfs__task_intern(ecsfs_tasks *t, const char *family, int64_t rev, json_t *td);
/* What the engine says of the task's endpoint (awsvpc: the pause's), a new
 * reference, or NULL while it has none. Kept as compact JSON text: parsed,
 * its six fields cost 1.2 KB a task, most of a restarted daemon's memory. */
json_t *ecsfs__task_eni(const struct task *k);
/* The task's endpoint is now `eni` (taken; NULL: none). */
void ecsfs__task_set_eni(struct task *k, json_t *eni);
/* Containers of k->taskdef, in definition order: 0 or -EINVAL. */
int ecsfs__task_make_containers(struct task *k);
void ecsfs__task_free(struct task *k);
void ecsfs__tasks_add(ecsfs_tasks *t, struct task *k);
/* The task `id`, or NULL: O(1) (t->by_id). */
struct task *ecsfs__task_find(ecsfs_tasks *t, const char *id);
/* The tasks of `group` in `cluster`, oldest first, as t->v has them
 * (borrowed; valid until a task is added or removed); *n of them. */
struct task *const *ecsfs__tasks_of_group(ecsfs_tasks *t, const char *cluster, const char *group,
					  size_t *n);
/* The task `id` when it belongs to `cluster`, else NULL. */
struct task *ecsfs__task_find_in(ecsfs_tasks *t, const char *cluster, const char *id);
struct ctr *ecsfs__task_ctr(struct task *k, const char *name);
/* Write the task's state to the store (and bump its version). */
int ecsfs__task_persist(struct task *k);
/* Tell the fs layer something about this task changed. */
void ecsfs__task_changed(struct task *k);
void ecsfs__task_event(struct task *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *ecsfs__task_state_name(enum task_state s);

/* The reconciler looks at the task again (t->drive; nothing without one). */
void ecsfs__task_drive(struct task *k);
/* A task's containers are all done with: close the log files capture holds. */
void ecsfs__task_close_logs(struct task *k);
/* Replace *dst with a copy of s (NULL: none). */
void ecsfs__set_str(char **dst, const char *s);

/* The subsystem's model: make STATE/logs, read the instance id, load every
 * task (0, or -errno + why); release frees every task (not t itself). */
int ecsfs__tasks_open(ecsfs_tasks *t, const char *state_dir, ecsfs_buf *why);
void ecsfs__tasks_release(ecsfs_tasks *t);
/* Forget STOPPED tasks past their retention, or beyond ECSFS_TASKS_KEPT_MAX. */
void ecsfs__tasks_expire(ecsfs_tasks *t);
/* Forget the STOPPED tasks of a cluster (rows, logs, memory). */
void ecsfs__tasks_forget(ecsfs_tasks *t, const char *cluster);

/* ---- file descriptors (task_limits.c) ---- */

/* What one captured container holds: its log, position and index files and
 * the engine connection that follows its output. */
#define ECSFS_TASK_FDS_PER_CONTAINER 4
/* What the rest of the daemon may hold: the store, FUSE, the engine's and
 * HAProxy's connections (512), the API's connections (4,096 at most). */
#define ECSFS_FDS_RESERVED (512 + 4096)
/* Descriptors a task of `containers` containers may hold. */
size_t ecsfs__task_fds(size_t containers);
/* May `count` more tasks of `containers` containers start? 0, or
 * LimitExceeded -EAGAIN saying how many descriptors they would take of how
 * many are left. */
int ecsfs__tasks_fd_check(ecsfs_tasks *t, size_t containers, long count, ecsfs_err *err);

/* Where each of a batch of new tasks goes (instance_place.c: the placer
 * the instances set, else local): as ecsfs_tasks_place_fn. */
int ecsfs__tasks_place(ecsfs_tasks *t, const char *cluster, const ecsfs_task_batch *b,
		       const char **where, const char **provider, json_t **failures, ecsfs_buf *why,
		       ecsfs_err *err);

/* The address of the host the task runs on, for its published ports:
 * 127.0.0.1 for a unix:// engine, the host of a tcp:// one
 * (control/reconciler_engine.c). */
const char *ecsfs__task_host_address(struct task *k);

/* The launch type a task shows: its RunTask launchType, FARGATE for a
 * FARGATE capacity provider, else EC2 (task_describe.c). */
const char *ecsfs__task_launch_type(const struct task *k);

/* The timestamps of a task: where each is in struct task, its key in the
 * saved document and in DescribeTasks, in the order DescribeTasks has them. */
struct ecsfs__task_time {
	size_t off; /* offsetof(struct task, <name>_ns) */
	const char *saved, *described;
};
#define ECSFS__TASK_TIMES 7
extern const struct ecsfs__task_time ecsfs__task_times[ECSFS__TASK_TIMES];
static inline int64_t *ecsfs__task_time_at(struct task *k, size_t i)
{
	return (int64_t *)((char *)k + ecsfs__task_times[i].off);
}
static inline int64_t ecsfs__task_time(const struct task *k, size_t i)
{
	return *(const int64_t *)((const char *)k + ecsfs__task_times[i].off);
}

#endif
