/*
 * ecsfs — the reconciler: makes each task's containers in the engine what
 * the task's state says they should be.
 *
 * It is level-triggered. ecsfs__reconcile() looks at one task as it is
 * now and issues the next idempotent calls (create, start, stop, remove);
 * when they have all answered it looks again. Engine events and the
 * answers of inspect only update what the task knows of its containers,
 * then ask for another look (reconciler_adopt.c). When the event stream
 * (re)opens, every managed container of this state directory is listed
 * and inspected, so nothing missed while the daemon or the engine was away
 * stays unseen.
 *
 * Every call in flight is an `op` on the subsystem's list. Freeing the
 * subsystem detaches them; their callbacks then only free themselves.
 *
 * The steps: reconciler_launch.c (volumes, the pause, containers, start
 * order), reconciler_images.c (the pause image, pulls), reconciler_stop.c
 * (stop, then remove), reconciler_logs.c (output capture).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/reconciler_private.h"
#include "ecsfs/instance.h"

struct op *ecsfs__rc_op_new(ecsfs_tasks *t, struct task *k, struct ctr *c)
{
	struct op *o = calloc(1, sizeof(*o));
	if (!o)
		abort();
	o->t = t;
	o->k = k;
	o->c = c;
	o->e = k ? k->eng : NULL;
	o->next = t->ops;
	if (t->ops)
		t->ops->prev = o;
	t->ops = o;
	if (k) {
		k->inflight++;
		o->counted = true;
	}
	return o;
}

void ecsfs__rc_op_unlink(struct op *o)
{
	if (!o->t)
		return;
	if (o->prev)
		o->prev->next = o->next;
	else
		o->t->ops = o->next;
	if (o->next)
		o->next->prev = o->prev;
	o->prev = o->next = NULL;
}

/* The call is over: free it, and look at its task again once nothing of
 * the task is in flight. */
void ecsfs__rc_op_done(struct op *o)
{
	struct task *k = o->k;

	ecsfs__rc_op_unlink(o);
	if (o->t && k) {
		if (o->counted)
			k->inflight--;
		if (k->inflight == 0)
			ecsfs__reconcile(k);
	}
	free(o->arg);
	free(o);
}

/* A call that could not even start: undo the op, remember to retry. */
void ecsfs__rc_op_failed(struct op *o)
{
	if (o->k && o->t)
		o->k->retry_at = ecsfs__rc_retry_at();
	ecsfs__rc_op_done(o);
}

/* Persist, and tell the fs layer. */
void ecsfs__rc_saved(struct task *k)
{
	/* a store fault leaves the memory state ahead of the disk; the next
	 * change writes it all again */
	ecsfs__task_persist(k);
	ecsfs__task_changed(k);
}

/* Persist with an event line about the change, both in one transaction:
 * a fault of either writes neither (the memory state stays ahead of the
 * disk, as in ecsfs__rc_saved); then tell the fs layer. */
void ecsfs__rc_saved_event(struct task *k, const char *fmt, ...)
{
	ecsfs_store *s = k->owner->store;
	ecsfs_buf msg = ECSFS_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	ecsfs_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	if (ecsfs_store_begin(s) == 0) {
		if (ecsfs__task_persist(k) < 0) {
			ecsfs_store_rollback(s);
		} else {
			ecsfs__task_event(k, "%s", msg.data);
			ecsfs_store_commit(s);
		}
	}
	ecsfs__task_changed(k);
	ecsfs_buf_release(&msg);
}

/* The task cannot go on: it will stop with this code and reason. */
void ecsfs__rc_fail(struct task *k, const char *code, const char *reason)
{
	if (!k->desired_running)
		return;
	k->desired_running = false;
	ecsfs__set_str(&k->stop_code, code);
	ecsfs__set_str(&k->stopped_reason, reason);
	ecsfs__rc_saved(k);
}

/* An engine call failed: a fault of the engine's reachability is retried
 * later; anything else ends the task with `prefix: message`. */
void ecsfs__rc_call_failed(struct task *k, int err, const char *prefix, const char *errmsg)
{
	ecsfs_buf reason = ECSFS_BUF_INIT;

	if (err == -ECANCELED || !k->eng || !engine_up(k->eng) || err == -ETIMEDOUT ||
	    err == -ECONNREFUSED) {
		k->retry_at = ecsfs__rc_retry_at();
		return;
	}
	ecsfs_buf_addf(&reason, "%s: %s", prefix, errmsg && *errmsg ? errmsg : strerror(-err));
	ecsfs__rc_fail(k, "TaskFailedToStart", reason.data);
	ecsfs_buf_release(&reason);
}

/* An essential container that has stopped ends the task. */
static void check_essentials(struct task *k)
{
	for (size_t i = 0; i < k->nc; i++) {
		struct ctr *c = &k->c[i];
		if (c->essential && c->state == C_STOPPED) {
			ecsfs__rc_fail(k, "EssentialContainerExited",
				       "Essential container in task exited");
			return;
		}
	}
}

void ecsfs__reconcile(struct task *k)
{
	ecsfs_tasks *t = k->owner;
	struct eng *e;

	if (t->closing || k->last == T_STOPPED)
		return;
	if (k->inflight) {
		k->again = true;
		return;
	}
	k->again = false;
	/* a task whose instance has no engine waits for one (or for the
	 * instance's loss to stop it) */
	e = ecsfs__rc_eng(k);
	if (!e || !e->reachable || e->syncing || (k->retry_at && k->retry_at > ecsfs_mono_ns()))
		return;
	k->retry_at = 0;
	ecsfs__rc_ensure_logs(k);
	if (k->desired_running)
		check_essentials(k);
	if (!k->desired_running) {
		ecsfs__rc_drive_stop(k);
		return;
	}
	if (k->last == T_PROVISIONING)
		ecsfs__rc_provision(k);
	else
		ecsfs__rc_launch(k);
	/* the step just found the task cannot go on, and waits for nothing */
	if (!k->desired_running && !k->inflight)
		ecsfs__rc_drive_stop(k);
}

/* ---- the subsystem ---- */

int ecsfs_tasks_new(uv_loop_t *loop, ecsfs_store *store, ecsfs_runtime *rt, const char *state_dir,
		    ecsfs_tasks **out, ecsfs_buf *why)
{
	ecsfs_tasks *t = calloc(1, sizeof(*t));
	int r;

	if (!t)
		return -ENOMEM;
	t->loop = loop;
	t->store = store;
	t->rt = rt;
	t->drive = ecsfs__reconcile;
	if ((r = ecsfs__tasks_open(t, state_dir, why)) < 0) {
		ecsfs_tasks_free(t);
		return r;
	}
	ecsfs__rc_engine_new(t, NULL, "local", rt);
	*out = t;
	return 0;
}

void ecsfs_tasks_free(ecsfs_tasks *t)
{
	struct op *o;

	if (!t)
		return;
	t->closing = true;
	for (struct eng *e = t->engines; e; e = e->next)
		ops(e)->watch(e->rt, NULL, NULL);
	/* cut every call in flight loose: its callback only frees it */
	for (o = t->ops; o;) {
		struct op *next = o->next;
		if (o->logs && o->e)
			ops(o->e)->logs_cancel(o->logs);
		o->t = NULL;
		o->k = NULL;
		o->c = NULL;
		o->e = NULL;
		o->prev = o->next = NULL;
		o = next;
	}
	t->ops = NULL;
	ecsfs__tasks_release(t);
	ecsfs__rc_engines_free(t);
	free(t->pause_path);
	free(t->task_subnet);
	free(t);
}

void ecsfs_tasks_runtime_changed(ecsfs_tasks *t)
{
	if (t->engines)
		ecsfs_tasks_engine_changed(t, t->engines->rt);
}

void ecsfs_tasks_sweep(ecsfs_tasks *t)
{
	int64_t now = ecsfs_mono_ns();

	for (struct eng *e = t->engines; e; e = e->next) {
		if (e->sync_retry_at && e->sync_retry_at <= now && e->reachable)
			ecsfs__rc_resync(e);
		ecsfs__rc_networks_tick(e);
	}
	ecsfs__tasks_expire(t);
	for (size_t i = 0; i < t->n; i++) {
		struct task *k = t->v[i];
		if (k->retry_at && k->retry_at <= now) {
			k->retry_at = 0;
			ecsfs__reconcile(k);
		}
	}
}
