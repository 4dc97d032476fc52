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
/* Told when a target's state changes (the scheduler looks again). */
void ecsfs_lb_set_change_cb(ecsfs_lb *lb, void (*cb)(void *data), void *data);

/* "initial", "healthy", ... as describe-target-health writes them. */
const char *ecsfs_target_state_name(ecsfs_target_state st);

#endif
