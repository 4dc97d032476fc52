/*
 * ecsfs — what the reconciler's files share: the calls in flight (`op`),
 * and each file's entry points. The reconciler drives the tasks of
 * model/task*.c; the model reaches it only through ecsfs_tasks.drive.
 */
#ifndef ECSFS_RECONCILER_PRIVATE_H
#define ECSFS_RECONCILER_PRIVATE_H

#include <stdbool.h>

#include "ecsfs/launch.h"
#include "ecsfs/runtime.h"
#include "ecsfs/util.h"
#include "model/task_private.h"

#define RETRY_NS       (2 * 1000000000ll)  /* after an engine error, look again this much later */
#define DRAIN_NS       (10 * 1000000000ll) /* longest wait for a stopped container's output */
#define INSTANCE_LABEL "ecsfs.instance"

/*
 * The reconciler's timers (retry_at, sync_retry_at, net_sweep_at,
 * drain_since) live in memory only and are on the monotonic clock: a wall
 * clock set back would hold a retry for as long, one set forward would cut
 * a drain short. Dates shown to users (startedAt, stoppedAt) stay on the
 * wall clock.
 */
static inline int64_t ecsfs__rc_retry_at(void)
{
	return ecsfs_mono_ns() + RETRY_NS;
}

enum pause_image_state { PI_UNKNOWN, PI_BUSY, PI_READY, PI_FAILED };

/*
 * One engine tasks run on: the daemon's own (cluster NULL: the instance
 * `local` of every cluster) or a registered container instance's. Each has
 * its own event stream, resync, pause image and cluster networks.
 */
struct eng {
	struct eng *next;
	ecsfs_tasks *t;
	char *cluster; /* NULL: local */
	char *name;
	ecsfs_runtime *rt; /* borrowed: the daemon's, or the instances subsystem's */
	char address[64];  /* where its published ports are reached from here */
	bool reachable;
	int pause_image; /* enum pause_image_state */
	char pause_error[256];
	struct cnet *nets; /* the clusters' networks on it (reconciler_network.c) */
	bool net_sweeping, net_sweep_again;
	unsigned net_leaving; /* network disconnects in flight (one at a time) */
	int64_t net_sweep_at; /* when to look for networks of deleted clusters again */
	bool syncing, sync_again;
	unsigned sync_mark;
	int64_t sync_retry_at;
};

struct op {
	struct op *prev, *next;
	ecsfs_tasks *t; /* NULL once detached */
	struct eng *e;	/* the engine it went to */
	struct task *k; /* NULL for the subsystem's own calls */
	struct ctr *c;	/* NULL when the call is about the task or the pause */
	bool pause;	/* the call is about the pause container */
	char *arg;	/* what the call needs next (an image, a name) */
	ecsfs_runtime_logs *logs;
	struct cnet *net; /* a call about a cluster's network */
	bool counted;	  /* holds the task's next step back (all but log followers) */
	bool replaying;	  /* a log follower resumed from log_ts, not yet past it */
};

static inline ecsfs_runtime_ops const *ops(const struct eng *e)
{
	return e->rt->ops;
}

static inline bool engine_up(const struct eng *e)
{
	ecsfs_runtime_info info;
	ecsfs_runtime_get_info(e->rt, &info);
	return info.reachable;
}

/* A cluster's network (awsvpc tasks): found or made on first need, removed
 * with the cluster. */
enum cnet_state { CNET_UNKNOWN, CNET_BUSY, CNET_READY };
struct cnet {
	struct cnet *next;
	char *cluster;
	char *name; /* the engine's network, once READY */
	char *id;   /* its engine id: what tasks use */
	enum cnet_state state;
	int attempt;	    /* which name it tries: 0 "ecsfs-<cluster>", then with our id */
	unsigned subnet;    /* --task-subnet: which /24 of the pool it asks for */
	char error[256];    /* why the last try failed, "" when it did not */
	bool dropping;	    /* the cluster is gone: remove the network */
	int64_t drop_retry; /* when to try the removal again */
};

/* ---- reconciler.c ---- */

/* A call about task `k` (NULL: the subsystem's own) and container `c`
 * (NULL: the task or its pause); it holds the task's next look back until
 * ecsfs__rc_op_done(). */
struct op *ecsfs__rc_op_new(ecsfs_tasks *t, struct task *k, struct ctr *c);
/* Take it off the list of calls in flight (it stays allocated). */
void ecsfs__rc_op_unlink(struct op *o);
/* The call is over: free it, and look at its task again once nothing of
 * the task is in flight. */
void ecsfs__rc_op_done(struct op *o);
/* A call that could not even start: done, and retry the task later. */
void ecsfs__rc_op_failed(struct op *o);
/* Persist the task, and tell the fs layer. */
void ecsfs__rc_saved(struct task *k);
/* The same, with an event line about the change in the same transaction. */
void ecsfs__rc_saved_event(struct task *k, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The task cannot go on: it will stop with this code and reason. */
void ecsfs__rc_fail(struct task *k, const char *code, const char *reason);
/* An engine call failed: a fault of the engine's reachability is retried
 * later; anything else ends the task with `prefix: message`. */
void ecsfs__rc_call_failed(struct task *k, int err, const char *prefix, const char *errmsg);
/* Look again at every task not STOPPED on engine e. */
void ecsfs__rc_kick_all(struct eng *e);
void ecsfs__reconcile(struct task *k);

/* ---- reconciler_adopt.c ---- */

/* What an inspect of container `c` (NULL: the pause) says. */
void ecsfs__rc_observe(struct task *k, struct ctr *c, json_t *inspect);
/* Container `c` (NULL: the pause) is no longer in the engine. */
void ecsfs__rc_observe_gone(struct task *k, struct ctr *c);
/* Inspect engine container `id`, then observe what it shows. */
void ecsfs__rc_inspect(struct task *k, struct ctr *c, const char *id);
/* List every container of this state directory on e and match them to tasks. */
void ecsfs__rc_resync(struct eng *e);
/* The runtime's event callback, data the engine (NULL: the stream (re)opened). */
void ecsfs__rc_on_event(void *data, json_t *ev);

/* ---- reconciler_logs.c ---- */

/* Follow the output of every container of `k` that has some to give. */
void ecsfs__rc_ensure_logs(struct task *k);

/* ---- reconciler_images.c ---- */

void ecsfs__rc_ensure_pause_image(struct eng *e);
/* Every distinct image of the task, present or pulled. */
void ecsfs__rc_ensure_images(struct task *k);

/* ---- reconciler_launch.c ---- */

/* What launch.c needs to know of a task; the ARN is written to *arn. */
void ecsfs__rc_launch_ctx(struct task *k, ecsfs_launch_ctx *ctx, ecsfs_buf *arn);
/* PROVISIONING: volumes, then the pause container. */
void ecsfs__rc_provision(struct task *k);
/* PENDING and on: images, containers created, then started in order. */
void ecsfs__rc_launch(struct task *k);

/* ---- reconciler_network.c ---- */

/* The engine network the task's pause joins (awsvpc): its id once the
 * cluster's network is there; NULL while it is being found or made (the
 * task is looked at again then), or when that failed (the task fails). */
const char *ecsfs__rc_network(struct task *k);
/* The task's network is no longer there (a create met no such network). */
void ecsfs__rc_network_lost(struct task *k);
/* Read what the engine says of the pause's endpoint on k->network. */
void ecsfs__rc_network_observe(struct task *k, json_t *inspect);
/* Take the pause off its network, so the task leaves the cluster's DNS at
 * once: returns true while that is under way (the caller waits). */
bool ecsfs__rc_network_leave(struct task *k);
/* Remove networks of clusters that are gone (after a resync, and retries). */
void ecsfs__rc_networks_sweep(struct eng *e);
void ecsfs__rc_networks_tick(struct eng *e);
void ecsfs__rc_networks_free(struct eng *e);
/* A cluster went away: its networks on e go too. */
void ecsfs__rc_networks_forget(struct eng *e, const char *cluster);

/* ---- reconciler_engine.c ---- */

/* The engine of task k (found by its instance, then kept), or NULL when
 * its instance has none (not registered, or gone). */
struct eng *ecsfs__rc_eng(struct task *k);
/* Make the engine of the daemon's own runtime (local). */
struct eng *ecsfs__rc_engine_new(ecsfs_tasks *t, const char *cluster, const char *name,
				 ecsfs_runtime *rt);
/* Cut every call of engine e loose (NULL: of all) and free e (all). */
void ecsfs__rc_engines_free(ecsfs_tasks *t);

/* ---- reconciler_stop.c ---- */

/* desiredStatus STOPPED: stop, drain the output, remove, STOPPED. */
void ecsfs__rc_drive_stop(struct task *k);

#endif
