/*
 * ecsfs — images: the pause image, made once per engine from the project's
 * own static binary, and every image of a task, present or pulled.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "control/reconciler_private.h"

/* ---- the pause image, made once per engine from our own binary ---- */

void ecsfs__rc_kick_all(struct eng *e)
{
	ecsfs_tasks *t = e->t;

	for (size_t i = 0; i < t->n; i++)
		if (t->v[i]->last != T_STOPPED && ecsfs__rc_eng(t->v[i]) == e)
			ecsfs__reconcile(t->v[i]);
}

/* a connect that failed or timed out is the engine's reachability, not the
 * image's: the import is tried again */
static bool unreachable(struct eng *e, int err)
{
	return err == -ECANCELED || err == -ECONNREFUSED || err == -ETIMEDOUT || !engine_up(e);
}

static void on_pause_imported(void *data, int err, json_t *result, const char *errmsg)
{
	struct op *o = data;
	struct eng *e = o->t ? o->e : NULL;

	if (e) {
		if (err == 0) {
			e->pause_image = PI_READY;
		} else {
			e->pause_image = unreachable(e, err) ? PI_UNKNOWN : PI_FAILED;
			snprintf(e->pause_error, sizeof(e->pause_error), "%s", errmsg);
		}
	}
	ecsfs__rc_op_done(o);
	if (e)
		ecsfs__rc_kick_all(e);
}

static int read_file(const char *path, ecsfs_buf *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char buf[65536];
	ssize_t n;

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		ecsfs_buf_add(out, buf, (size_t)n);
	close(fd);
	return n < 0 ? -EIO : 0;
}

static void import_pause(struct eng *e, struct op *o)
{
	ecsfs_tasks *t = e->t;
	ecsfs_buf bin = ECSFS_BUF_INIT, tar = ECSFS_BUF_INIT;
	int r = t->pause_path ? read_file(t->pause_path, &bin) : -ENOENT;

	if (r < 0) {
		e->pause_image = PI_FAILED;
		snprintf(e->pause_error, sizeof(e->pause_error),
			 "cannot read the pause binary %s: %s",
			 t->pause_path ? t->pause_path : "(none)", strerror(-r));
		ecsfs__rc_op_done(o);
		ecsfs__rc_kick_all(e);
		goto out;
	}
	ecsfs_tar_one_file("pause", bin.data, bin.len, 0755, &tar);
	if (ops(e)->image_import(e->rt, ECSFS_PAUSE_IMAGE, tar.data, tar.len, "[\"/pause\"]",
				 on_pause_imported, o) < 0) {
		e->pause_image = PI_UNKNOWN;
		ecsfs__rc_op_done(o);
	}
out:
	ecsfs_buf_release(&bin);
	ecsfs_buf_release(&tar);
}

static void on_pause_inspected(void *data, int err, json_t *result, const char *errmsg)
{
	struct op *o = data;
	struct eng *e = o->t ? o->e : NULL;

	if (!e) {
		ecsfs__rc_op_done(o);
		return;
	}
	if (err == -ENOENT) {
		import_pause(e, o);
		return;
	}
	e->pause_image = err == 0 ? PI_READY : PI_UNKNOWN;
	ecsfs__rc_op_done(o);
	ecsfs__rc_kick_all(e);
}

void ecsfs__rc_ensure_pause_image(struct eng *e)
{
	struct op *o;

	if (e->pause_image != PI_UNKNOWN)
		return;
	e->pause_image = PI_BUSY;
	o = ecsfs__rc_op_new(e->t, NULL, NULL);
	o->e = e;
	if (ops(e)->image_inspect(e->rt, ECSFS_PAUSE_IMAGE, on_pause_inspected, o) < 0) {
		e->pause_image = PI_UNKNOWN;
		ecsfs__rc_op_done(o);
	}
}

static void on_pulled(void *data, int err, json_t *result, const char *errmsg)
{
	struct op *o = data;

	if (o->t && o->k) {
		if (err == 0)
			o->k->step_ok++;
		else
			ecsfs__rc_call_failed(o->k, err, "CannotPullContainerError", errmsg);
	}
	ecsfs__rc_op_done(o);
}

static void on_image(void *data, int err, json_t *result, const char *errmsg)
{
	struct op *o = data;
	struct task *k = o->k;

	if (!o->t || !k)
		goto done;
	if (err == -ENOENT) {
		if (ops(k->eng)->image_pull(k->eng->rt, o->arg, on_pulled, o) < 0)
			ecsfs__rc_op_failed(o);
		return;
	}
	if (err)
		ecsfs__rc_call_failed(k, err, "CannotPullContainerError", errmsg);
	else
		k->step_ok++;
done:
	ecsfs__rc_op_done(o);
}

/* Every distinct image of the task, present or pulled. */
void ecsfs__rc_ensure_images(struct task *k)
{
	const char *seen[64];
	size_t n = 0;

	if (k->step_want && k->step_ok == k->step_want) {
		k->images_done = true;
		k->step_want = k->step_ok = 0;
		k->pull_stopped_ns = ecsfs_now_ns();
		ecsfs__rc_saved(k);
		ecsfs__reconcile(k);
		return;
	}
	if (!k->pull_started_ns)
		k->pull_started_ns = ecsfs_now_ns();
	for (size_t i = 0; i < k->nc; i++) {
		const char *img = json_string_value(json_object_get(k->c[i].def, "image"));
		bool dup = false;

		for (size_t j = 0; j < n; j++)
			dup = dup || strcmp(seen[j], img) == 0;
		if (!img || dup || n == sizeof(seen) / sizeof(seen[0]))
			continue;
		seen[n++] = img;
	}
	k->step_want = n;
	k->step_ok = 0;
	for (size_t i = 0; i < n; i++) {
		struct op *o = ecsfs__rc_op_new(k->owner, k, NULL);

		o->arg = strdup(seen[i]);
		if (!o->arg)
			abort();
		if (ops(k->eng)->image_inspect(k->eng->rt, seen[i], on_image, o) < 0)
			ecsfs__rc_op_failed(o);
	}
}

int ecsfs_tasks_set_pause_binary(ecsfs_tasks *t, const char *path)
{
	char *p = strdup(path);
	if (!p)
		return -ENOMEM;
	free(t->pause_path);
	t->pause_path = p;
	return 0;
}
