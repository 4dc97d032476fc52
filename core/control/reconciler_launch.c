/*
 * ecsfs — bringing a task up: its volumes, its pause container, then each
 * container created and started in dependsOn order; RUNNING once every
 * essential container runs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/reconciler_private.h"

/* ---- the steps of a task ---- */

static int secret_lookup(void *data, const char *name, ecsfs_buf *value)
{
	ecsfs_tasks *t = data;
	return ecsfs_store_secret_get(t->store, name, value, NULL);
}

void ecsfs__rc_launch_ctx(struct task *k, ecsfs_launch_ctx *ctx, ecsfs_buf *arn)
{
	ecsfs_arn(arn, "ecs", "task/%s/%s", k->cluster, k->id);
	memset(ctx, 0, sizeof(*ctx));
	ctx->cluster = k->cluster;
	ctx->task_id = k->id;
	ctx->task_arn = arn->data;
	ctx->family = k->family;
	ctx->revision = k->revision;
	ctx->pause_id = k->pause_id;
	ctx->network = k->network;
	ctx->aliases = k->aliases;
	ctx->secret = secret_lookup;
	ctx->secret_data = k->owner;
}

/* Our own label on everything we make, so that two state directories on
 * one engine never touch each other's containers. */
static void add_instance_label(ecsfs_tasks *t, json_t *config)
{
	json_t *labels = json_object_get(config, "Labels");
	if (!json_is_object(labels)) {
		labels = json_object();
		json_object_set_new(config, "Labels", labels);
	}
	json_object_set_new(labels, INSTANCE_LABEL, json_string(t->instance));
}

static void on_created(void *data, int err, json_t *result, const char *errmsg);

/* create: the answer's Id, or the container of that name made before a crash */
static void adopt_by_name(struct op *o)
{
	struct task *k = o->k;
	ecsfs_buf name = ECSFS_BUF_INIT;

	ecsfs_launch_container_name(k->id, o->pause ? ECSFS_PAUSE_NAME : o->c->name, &name);
	free(o->arg);
	o->arg = ecsfs_buf_detach(&name, NULL);
	if (ops(k->eng)->inspect(k->eng->rt, o->arg, on_created, o) < 0)
		ecsfs__rc_op_failed(o);
}

static void on_created(void *data, int err, json_t *result, const char *errmsg)
{
	struct op *o = data;
	struct task *k = o->k;
	const char *id;

	if (!o->t || !k)
		goto done;
	if (err == -EEXIST && !o->arg) {
		adopt_by_name(o);
		return;
	}
	if (o->c)
		o->c->busy = false;
	if (err == -ENOENT && o->arg) {
		/* the name is taken by a create the engine has not finished (a
		 * daemon killed mid-create): look again in a moment */
		k->retry_at = ecsfs__rc_retry_at();
		goto done;
	}
	if (err == -ENOENT && !o->arg) {
		/* the image went away since we looked */
		k->images_done = false;
		if (o->pause) {
			k->eng->pause_image = PI_UNKNOWN;
			ecsfs__rc_network_lost(k); /* or the network went away */
		}
		goto done;
	}
	if (err) {
		ecsfs__rc_call_failed(k, err, "CannotCreateContainerError", errmsg);
		goto done;
	}
	id = json_string_value(json_object_get(result, "Id"));
	if (!id) {
		ecsfs__rc_call_failed(k, -EIO, "CannotCreateContainerError",
				      "the engine returned no Id");
		goto done;
	}
	if (o->pause) {
		ecsfs__set_str(&k->pause_id, id);
	} else {
		ecsfs__set_str(&o->c->runtime_id, id);
		if (o->c->state < C_CREATED)
			o->c->state = C_CREATED;
	}
	ecsfs__rc_saved(k);
	if (o->arg)
		ecsfs__rc_observe(k, o->pause ? NULL : o->c,
				  result); /* adopted: it may run already */
done:
	ecsfs__rc_op_done(o);
}

static void create(struct task *k, struct ctr *c, json_t *config)
{
	struct op *o = ecsfs__rc_op_new(k->owner, k, c);
	ecsfs_buf name = ECSFS_BUF_INIT;

	o->pause = c == NULL;
	if (c)
		c->busy = true;
	add_instance_label(k->owner, config);
	ecsfs_launch_container_name(k->id, c ? c->name : ECSFS_PAUSE_NAME, &name);
	if (ops(k->eng)->create(k->eng->rt, name.data, config, on_created, o) < 0) {
		if (c)
			c->busy = false;
		ecsfs__rc_op_failed(o);
	}
	ecsfs_buf_release(&name);
}

static void on_started(void *data, int err, json_t *result, const char *errmsg)
{
	struct op *o = data;
	struct task *k = o->k;

	if (!o->t || !k)
		goto done;
	if (o->c)
		o->c->busy = false;
	if (err == -ENOENT) {
		ecsfs__rc_observe_gone(k, o->pause ? NULL : o->c);
	} else if (err) {
		ecsfs__rc_call_failed(k, err, "CannotStartContainerError", errmsg);
	} else {
		/* what it looks like now: ports, state (it may have exited already) */
		ecsfs__rc_inspect(k, o->pause ? NULL : o->c,
				  o->pause ? k->pause_id : o->c->runtime_id);
	}
done:
	ecsfs__rc_op_done(o);
}

static void start(struct task *k, struct ctr *c)
{
	struct op *o = ecsfs__rc_op_new(k->owner, k, c);

	o->pause = c == NULL;
	if (c)
		c->busy = true;
	if (ops(k->eng)->start_container(k->eng->rt, c ? c->runtime_id : k->pause_id, on_started,
					 o) < 0) {
		if (c)
			c->busy = false;
		ecsfs__rc_op_failed(o);
	}
}

static void on_volume(void *data, int err, json_t *result, const char *errmsg)
{
	struct op *o = data;

	if (o->t && o->k) {
		if (err)
			ecsfs__rc_call_failed(
			    o->k, err, "ResourceInitializationError: cannot create volume", errmsg);
		else
			o->k->step_ok++;
	}
	ecsfs__rc_op_done(o);
}

/* The task's volumes (those without a host path), made in the engine. */
static void provision_volumes(struct task *k, const ecsfs_launch_ctx *ctx)
{
	ecsfs_tasks *t = k->owner;
	ecsfs_buf why = ECSFS_BUF_INIT;
	json_t *list = NULL;

	if (ecsfs_launch_volumes(k->taskdef, ctx, &list, &why) < 0) {
		ecsfs__rc_fail(k, "TaskFailedToStart", why.data);
		goto out;
	}
	if (k->step_want == json_array_size(list) && k->step_ok == k->step_want) {
		k->volumes_done = true;
		k->step_want = k->step_ok = 0;
		ecsfs__rc_saved(k);
		ecsfs__reconcile(k);
		goto out;
	}
	k->step_want = json_array_size(list);
	k->step_ok = 0;
	if (k->step_want == 0) {
		k->volumes_done = true;
		ecsfs__reconcile(k);
		goto out;
	}
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *v = json_array_get(list, i);
		struct op *o = ecsfs__rc_op_new(t, k, NULL);

		add_instance_label(t, v);
		if (ops(k->eng)->volume_create(k->eng->rt, v, on_volume, o) < 0)
			ecsfs__rc_op_failed(o);
	}
out:
	json_decref(list);
	ecsfs_buf_release(&why);
}

/* The pause container, once its image (and, awsvpc, the cluster's
 * network) is there. */
static void provision_pause(struct task *k, ecsfs_launch_ctx *ctx)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	json_t *config = NULL;
	const char *net;

	if (k->eng->pause_image == PI_FAILED) {
		ecsfs_buf_setf(&why, "ResourceInitializationError: cannot load the pause image: %s",
			       k->eng->pause_error);
		ecsfs__rc_fail(k, "TaskFailedToStart", why.data);
		goto out;
	}
	if (k->eng->pause_image != PI_READY) {
		ecsfs__rc_ensure_pause_image(k->eng);
		goto out;
	}
	if (ecsfs_launch_own_address(k->taskdef)) {
		if (!(net = ecsfs__rc_network(k)))
			goto out; /* looked at again once it is there */
		ecsfs__set_str(&k->network, net);
		ctx->network = k->network;
	}
	if (ecsfs_launch_pause(k->taskdef, ctx, &config, &why) < 0) {
		ecsfs__rc_fail(k, "TaskFailedToStart", why.data);
		goto out;
	}
	create(k, NULL, config);
out:
	json_decref(config);
	ecsfs_buf_release(&why);
}

void ecsfs__rc_provision(struct task *k)
{
	ecsfs_launch_ctx ctx;
	ecsfs_buf arn = ECSFS_BUF_INIT;

	ecsfs__rc_launch_ctx(k, &ctx, &arn);
	if (!k->volumes_done) {
		provision_volumes(k, &ctx);
	} else if (k->needs_pause && !k->pause_id) {
		provision_pause(k, &ctx);
	} else if (k->needs_pause && !k->pause_running) {
		start(k, NULL);
	} else {
		k->last = T_PENDING;
		k->pull_started_ns = 0;
		ecsfs__rc_saved(k);
		ecsfs__reconcile(k);
	}
	ecsfs_buf_release(&arn);
}

/* Is a dependency of `c` met (1), to be waited for (0), or never to be met
 * (-1, with the reason in *why)? */
static int dependency(struct task *k, struct ctr *c, ecsfs_buf *why)
{
	json_t *deps = json_object_get(c->def, "dependsOn"), *d;
	size_t i;
	int verdict = 1;

	json_array_foreach(deps, i, d) {
		const char *name = json_string_value(json_object_get(d, "containerName"));
		const char *cond = json_string_value(json_object_get(d, "condition"));
		struct ctr *dc = name ? ecsfs__task_ctr(k, name) : NULL;

		if (!dc || !cond)
			continue;
		if (strcmp(cond, "START") == 0) {
			if (dc->state == C_STOPPED && !dc->started_ns) {
				ecsfs_buf_setf(why, "%s never started", name);
				return -1;
			}
			if (dc->state < C_RUNNING)
				verdict = 0;
		} else if (strcmp(cond, "COMPLETE") == 0) {
			if (dc->state != C_STOPPED)
				verdict = 0;
		} else if (strcmp(cond, "SUCCESS") == 0) {
			if (dc->state == C_STOPPED && (!dc->has_exit || dc->exit_code != 0)) {
				if (dc->has_exit)
					ecsfs_buf_setf(why, "%s exited with code %d, not 0", name,
						       dc->exit_code);
				else
					ecsfs_buf_setf(why, "%s stopped without an exit code",
						       name);
				return -1;
			}
			if (dc->state != C_STOPPED)
				verdict = 0;
		} else if (strcmp(cond, "HEALTHY") == 0) {
			if (strcmp(dc->health, "HEALTHY") == 0)
				continue;
			if (dc->state == C_STOPPED || strcmp(dc->health, "UNHEALTHY") == 0) {
				ecsfs_buf_setf(why, "%s is %s, not HEALTHY", name,
					       dc->state == C_STOPPED ? "STOPPED" : "UNHEALTHY");
				return -1;
			}
			verdict = 0;
		}
	}
	return verdict;
}

/* Sources of volumesFrom exist in the engine before the container is made. */
static bool sources_created(struct task *k, struct ctr *c)
{
	json_t *vf = json_object_get(c->def, "volumesFrom"), *v;
	size_t i;

	json_array_foreach(vf, i, v) {
		const char *src = json_string_value(json_object_get(v, "sourceContainer"));
		struct ctr *sc = src ? ecsfs__task_ctr(k, src) : NULL;
		if (sc && !sc->runtime_id)
			return false;
	}
	return true;
}

void ecsfs__rc_launch(struct task *k)
{
	ecsfs_launch_ctx ctx;
	ecsfs_buf arn = ECSFS_BUF_INIT, why = ECSFS_BUF_INIT, reason = ECSFS_BUF_INIT;
	bool all_created = true, essentials_up = true;

	if (!k->images_done) {
		ecsfs__rc_ensure_images(k);
		goto out;
	}
	ecsfs__rc_launch_ctx(k, &ctx, &arn);
	for (size_t i = 0; i < k->nc; i++) {
		struct ctr *c = &k->c[i];
		json_t *config = NULL;
		int r;

		if (c->runtime_id || c->state != C_PENDING)
			continue;
		all_created = false;
		if (c->busy || !sources_created(k, c))
			continue;
		ecsfs_buf_reset(&why);
		if ((r = ecsfs_launch_container(k->taskdef, c->def, &ctx, &config, &why)) < 0) {
			ecsfs__rc_fail(k, "TaskFailedToStart", why.data);
			goto out;
		}
		create(k, c, config);
		json_decref(config);
	}
	if (!all_created)
		goto out;
	if (k->last == T_PENDING) {
		k->last = T_ACTIVATING;
		ecsfs__rc_saved(k);
	}
	for (size_t i = 0; i < k->nc; i++) {
		struct ctr *c = &k->c[i];
		int d;

		if (c->state != C_CREATED || c->busy)
			continue;
		ecsfs_buf_reset(&why);
		d = dependency(k, c, &why);
		if (d < 0) {
			ecsfs_buf_reset(&reason);
			ecsfs_buf_addf(&reason, "Dependency of container %s can never be met: %s",
				       c->name, why.data);
			if (c->essential) {
				ecsfs__rc_fail(k, "TaskFailedToStart", reason.data);
				goto out;
			}
			c->state = C_STOPPED;
			ecsfs__set_str(&c->reason, reason.data);
			ecsfs__rc_saved(k);
		} else if (d > 0) {
			start(k, c);
		}
	}
	for (size_t i = 0; i < k->nc; i++)
		if (k->c[i].essential && k->c[i].state != C_RUNNING)
			essentials_up = false;
	if (essentials_up && k->last < T_RUNNING) {
		k->last = T_RUNNING;
		k->started_ns = ecsfs_now_ns();
		ecsfs__rc_saved_event(k, "is RUNNING.");
	}
out:
	ecsfs_buf_release(&arn);
	ecsfs_buf_release(&why);
	ecsfs_buf_release(&reason);
}
