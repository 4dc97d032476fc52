/*
 * ecsfs — taking a task down: stop its running containers (SIGTERM,
 * stopTimeout, SIGKILL), let their output reach the log files, then remove
 * the containers and the task's volumes; STOPPED once all are gone.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/reconciler_private.h"

/* ---- stopping ---- */

static void on_stopped(void *data, int err, json_t *result, const char *errmsg)
{
	struct op *o = data;

	if (o->t && o->k) {
		if (o->c)
			o->c->busy = false;
		if (err == -ENOENT)
			ecsfs__rc_observe_gone(o->k, o->c);
		else if (err)
			ecsfs__rc_call_failed(o->k, err, "stop", errmsg);
		else
			ecsfs__rc_inspect(o->k, o->c, o->c->runtime_id);
	}
	ecsfs__rc_op_done(o);
}

static void on_removed(void *data, int err, json_t *result, const char *errmsg)
{
	struct op *o = data;

	if (o->t && o->k) {
		/* -EINPROGRESS: the engine removes it already (a call of ours that
		 * timed out, a resync's, one an engine restart cut short); that is
		 * no failure: its destroy event brings the next look at once
		 * (ecsfs__rc_on_event), the retry is the backstop */
		if (err == 0 || err == -ENOENT)
			o->k->step_ok++;
		else
			o->k->retry_at = ecsfs__rc_retry_at();
	}
	ecsfs__rc_op_done(o);
}

static int stop_timeout(const struct ctr *c)
{
	json_t *v = json_object_get(c->def, "stopTimeout");
	return json_is_integer(v) ? (int)json_integer_value(v) : ECSFS_STOP_TIMEOUT_S;
}

/* Remove the containers (then the volumes) of a task that has stopped. */
static void deprovision(struct task *k)
{
	ecsfs_tasks *t = k->owner;
	ecsfs_launch_ctx ctx;
	ecsfs_buf arn = ECSFS_BUF_INIT, why = ECSFS_BUF_INIT;
	json_t *list = NULL;
	size_t n = 0;

	if (k->step_want && k->step_ok >= k->step_want) {
		k->step_want = k->step_ok = 0;
		if (k->remove_phase == 0) {
			k->remove_phase = 1; /* containers are gone: now the volumes */
		} else {
			k->removed = true;
		}
	}
	if (k->removed) {
		k->last = T_STOPPED;
		k->exec_stopped_ns = k->stopped_ns = ecsfs_now_ns();
		ecsfs__task_close_logs(k);
		ecsfs__rc_saved_event(k, "stopped: %s.",
				      k->stopped_reason ? k->stopped_reason : "");
		goto out;
	}
	if (k->last < T_DEPROVISIONING) {
		k->last = T_DEPROVISIONING;
		ecsfs__rc_saved(k);
	}
	if (k->remove_phase == 0) {
		for (size_t i = 0; i <= k->nc; i++) {
			const char *id = i < k->nc ? k->c[i].runtime_id : k->pause_id;
			struct op *o;

			if (!id || (i < k->nc && k->c[i].gone))
				continue;
			o = ecsfs__rc_op_new(t, k, NULL);
			n++;
			if (ops(k->eng)->remove(k->eng->rt, id, on_removed, o) < 0) {
				n--;
				ecsfs__rc_op_failed(o);
			}
		}
	} else {
		ecsfs__rc_launch_ctx(k, &ctx, &arn);
		if (ecsfs_launch_volumes(k->taskdef, &ctx, &list, &why) == 0) {
			for (size_t i = 0; i < json_array_size(list); i++) {
				json_t *v = json_array_get(list, i);
				const char *vname = json_string_value(json_object_get(v, "Name"));
				struct op *o;

				/* shared volumes (no task label) outlive their tasks */
				if (!vname || !json_object_get(json_object_get(v, "Labels"),
							       ECSFS_LABEL_TASK))
					continue;
				o = ecsfs__rc_op_new(t, k, NULL);
				n++;
				if (ops(k->eng)->volume_remove(k->eng->rt, vname, on_removed, o) <
				    0) {
					n--;
					ecsfs__rc_op_failed(o);
				}
			}
		}
	}
	k->step_want = n;
	k->step_ok = 0;
	if (n == 0) {
		/* nothing to wait for in this phase: go on at once */
		k->step_want = 1;
		k->step_ok = 1;
		ecsfs__reconcile(k);
	}
out:
	json_decref(list);
	ecsfs_buf_release(&arn);
	ecsfs_buf_release(&why);
}

void ecsfs__rc_drive_stop(struct task *k)
{
	ecsfs_tasks *t = k->owner;
	bool waiting = false;

	if (k->last < T_STOPPING) {
		k->last = T_STOPPING;
		k->stopping_ns = ecsfs_now_ns();
		k->step_want = k->step_ok = 0;
		ecsfs__rc_saved(k);
	}
	if (k->last == T_STOPPING) {
		/* its names leave the cluster's DNS before anything stops */
		if (ecsfs__rc_network_leave(k))
			return;
		for (size_t i = 0; i < k->nc; i++) {
			struct ctr *c = &k->c[i];
			struct op *o;

			if (c->state != C_RUNNING || c->gone || !c->runtime_id)
				continue;
			waiting = true;
			if (c->busy)
				continue;
			c->busy = true;
			o = ecsfs__rc_op_new(t, k, c);
			if (ops(k->eng)->stop(k->eng->rt, c->runtime_id, stop_timeout(c),
					      on_stopped, o) < 0) {
				c->busy = false;
				ecsfs__rc_op_failed(o);
			}
		}
		if (waiting)
			return;
		/* output still on its way to the log files; a stream that does
		 * not end soon after its container is cut */
		for (size_t i = 0; i < k->nc; i++)
			waiting = waiting || k->c[i].follow;
		if (waiting) {
			int64_t now = ecsfs_mono_ns();
			if (!k->drain_since)
				k->drain_since = now;
			if (now - k->drain_since < DRAIN_NS) {
				k->retry_at = now + 1000000000ll;
				return;
			}
			for (struct op *o = t->ops; o; o = o->next)
				if (o->k == k && o->logs) {
					o->c->logs_done = true;
					ops(k->eng)->logs_cancel(o->logs);
				}
			return;
		}
		k->step_want = k->step_ok = 0;
		k->remove_phase = 0;
	}
	deprovision(k);
}
