/* ecsfs — the load-balancer controller: targets of ELBv2 target groups, and
 * the load balancers in front of them, on HAProxy. */
#ifndef ECSFS_LB_H
#define ECSFS_LB_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "ecsfs/buf.h"
#include "ecsfs/error.h"
#include "ecsfs/store.h"

/*
 * The controller turns the spec documents (spec/targetgroups/<tg>.json,
 * spec/loadbalancers/<lb>.json, rows of the store) and the targets the
 * services register into HAProxy's configuration and runtime state: one
 * frontend per listener, one backend per target group, one server per
 * target. Targets live in HAProxy (and in memory here); after a restart of
 * the daemon they are read back from the running HAProxy, so nothing is
 * registered twice. It lives on one uv loop and never blocks.
 */
typedef struct ecsfs_lb ecsfs_lb;

/* A target's state, as ALB names them (describe-target-health). */
typedef enum {
	ECSFS_TARGET_NONE, /* not (or no longer) registered */
	ECSFS_TARGET_INITIAL,
	ECSFS_TARGET_HEALTHY,
	ECSFS_TARGET_UNHEALTHY,
	ECSFS_TARGET_DRAINING,
	ECSFS_TARGET_UNUSED,
} ecsfs_target_state;

/*
 * Start the controller on `loop`; HAProxy's files go under
 * `state_dir`/haproxy/ (NULL: no data plane, targets are kept in memory
 * only — unit tests). Nothing is started until a load balancer exists.
 * 0 and *out, or -ENOMEM.
 */
int ecsfs_lb_new(uv_loop_t *loop, ecsfs_store *store, const char *state_dir, ecsfs_lb **out);
/* Stop driving HAProxy (it keeps serving) and free everything; NULL is fine. */
void ecsfs_lb_free(ecsfs_lb *lb);
/* A spec document changed (or went away): look again soon. */
void ecsfs_lb_kick(ecsfs_lb *lb);

/* 0 when target group `ref` (bare name or ARN) exists, else -ENOENT (+ err);
 * -EINVAL when `ref` is neither a target group name nor its ARN. */
int ecsfs_lb_group_exists(ecsfs_lb *lb, const char *ref, ecsfs_err *err);
/*
 * Register target addr:port of task `task` in group `ref`, for
 * cluster/service (shown in `targets`). Idempotent: the same task again
 * changes nothing (a new address or port replaces the old target). It
 * starts `initial` (Elb.RegistrationInProgress) until its health checks
 * pass. -ENOENT unknown group, -EINVAL a bad address or port.
 */
int ecsfs_lb_register(ecsfs_lb *lb, const char *ref, const char *cluster, const char *service,
		      const char *task, const char *addr, int port, ecsfs_err *err);
/*
 * Start draining the task's target (idempotent); it leaves after the group's
 * deregistration_delay.timeout_seconds or as soon as its connections end.
 * -ENOENT unknown group; a task with no target there is 0.
 */
int ecsfs_lb_deregister(ecsfs_lb *lb, const char *ref, const char *task, ecsfs_err *err);
/* The task's target in group `ref`; NONE when it is not (or no longer) registered. */
ecsfs_target_state ecsfs_lb_target_state(ecsfs_lb *lb, const char *ref, const char *task);
/* Has the data plane been given every change made so far (nothing dirty,
 * no apply under way; a failed apply counts as given)? A deployment
 * strategy waits for it before it counts a traffic shift as done. */
bool ecsfs_lb_settled(ecsfs_lb *lb);
/* Told when a target's state changes (the scheduler looks again). */
void ecsfs_lb_set_change_cb(ecsfs_lb *lb, void (*cb)(void *data), void *data);

/*
 * Told when the data plane fails in a way nobody's write is waiting for:
 * HAProxy missing (-ENOENT) or refusing its config (-EIO), a listener whose
 * port another program took (-EADDRINUSE, `lb` names its load balancer;
 * NULL for the rest). Each distinct failure once; `status` keeps showing it.
 */
typedef void (*ecsfs_lb_error_cb)(void *data, const char *lb, int code, const char *msg);
void ecsfs_lb_set_error_cb(ecsfs_lb *lb, ecsfs_lb_error_cb cb, void *data);

/* ---- the documents, through the controller (it looks again after each) ---- */

/* spec/targetgroups/<name>.json: see ecsfs/targetgroup.h. */
int ecsfs_lb_targetgroup_apply(ecsfs_lb *lb, const char *name, const char *data, size_t len,
			       const ecsfs_file_meta *meta, ecsfs_err *err);
int ecsfs_lb_targetgroup_delete(ecsfs_lb *lb, const char *name, ecsfs_err *err);
/*
 * spec/loadbalancers/<name>.json: see ecsfs/loadbalancer.h. Besides the
 * document's own checks, a listener port that another program holds on the
 * address it would bind is -EADDRINUSE (nothing changes; the listeners
 * already served keep serving).
 */
int ecsfs_lb_loadbalancer_check(ecsfs_lb *lb, const char *name, const char *data, size_t len,
				bool partial, ecsfs_err *err);
int ecsfs_lb_loadbalancer_apply(ecsfs_lb *lb, const char *name, const char *data, size_t len,
				const ecsfs_file_meta *meta, ecsfs_err *err);
int ecsfs_lb_loadbalancer_delete(ecsfs_lb *lb, const char *name, ecsfs_err *err);

/* ---- the live files ---- */

/* targetgroups/<tg>/targets: "ADDRESS:PORT STATE REASON task <id>" lines
 * ("-" for no reason), in registration order. -ENOENT unknown group. */
int ecsfs_lb_targets(ecsfs_lb *lb, const char *group, ecsfs_buf *out);
/* targets.json: describe-target-health's {"TargetHealthDescriptions": [...]}. */
int ecsfs_lb_targets_json(ecsfs_lb *lb, const char *group, ecsfs_buf *out);
/* stats: "ADDRESS:PORT requests N connections N task <id>" lines, as
 * HAProxy counted at its last read. */
int ecsfs_lb_stats(ecsfs_lb *lb, const char *group, ecsfs_buf *out);
/*
 * For ALBRequestCountPerTarget: each target of group `group` that
 * cluster/service registered, with its state and the requests HAProxy has
 * counted to it since it was added (sessions in TCP mode), as of its last
 * read (each second). 0 (a group without such targets calls nothing).
 */
typedef void (*ecsfs_lb_count_cb)(void *data, const char *task, ecsfs_target_state st,
				  long long requests);
int ecsfs_lb_group_counts(ecsfs_lb *lb, const char *group, const char *cluster, const char *service,
			  ecsfs_lb_count_cb cb, void *data);
/* targetgroup.json: describe-target-groups' element, pretty. */
int ecsfs_lb_targetgroup_json(ecsfs_lb *lb, const char *group, ecsfs_buf *out);
/* loadbalancers/<lb>/status: "key: value" lines, one per listener with
 * where it listens or why it does not; the data plane's state. */
int ecsfs_lb_status(ecsfs_lb *lb, const char *name, ecsfs_buf *out);
/* loadbalancer.json (describe-load-balancers' element, State from the data
 * plane), listeners.json and rules.json (describe-listeners / -rules). */
int ecsfs_lb_loadbalancer_json(ecsfs_lb *lb, const char *name, ecsfs_buf *out);
int ecsfs_lb_listeners_json(ecsfs_lb *lb, const char *name, ecsfs_buf *out);
int ecsfs_lb_rules_json(ecsfs_lb *lb, const char *name, ecsfs_buf *out);

/* "initial", "healthy", ... as describe-target-health writes them. */
const char *ecsfs_target_state_name(ecsfs_target_state st);

#endif
