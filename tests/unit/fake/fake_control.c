/*
 * ecsfs — the fake runtime's controls: what a test makes the engine do
 * (exits, health, removals behind the subscriber's back, output).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "fake_private.h"

/* ---- the test's controls ------------------------------------------------ */

/*
 * Make the fake engine reachable or not; `detail` (may be NULL) says why
 * not. Calls rt->on_change every time, even when nothing changed, so a
 * test can use it to make the layer above look again.
 *
 * Going away breaks the event stream (events not yet delivered are lost)
 * and ends every log follower with -EIO; coming back reopens the stream
 * (the subscriber gets cb(NULL)).
 */
void ecsfs_fake_runtime_set_reachable(ecsfs_runtime *rt, bool reachable, const char *detail)
{
	struct fake_runtime *f = to_fake(rt);
	bool was = f->info.reachable;

	if (f->closing)
		return;
	ecsfs__fake_set(f, reachable, detail);
	if (was && !reachable) {
		f->watch_gen++;
		ecsfs__fake_end_followers(f, NULL, -EIO);
	} else if (!was && reachable) {
		ecsfs__fake_queue_open(f);
	}
	if (rt->on_change)
		rt->on_change(rt, rt->on_change_data);
}

int ecsfs_fake_runtime_flush(ecsfs_runtime *rt)
{
	struct fake_runtime *f = to_fake(rt);
	struct work *w;
	int n = 0;

	if (f->closing)
		return 0;
	f->flushing++;
	while (!f->closing && (w = ecsfs__fake_work_pop(f))) {
		n += ecsfs__fake_work_deliver(f, w);
		ecsfs__fake_work_free(w);
	}
	if (--f->flushing == 0 && f->closing)
		ecsfs__fake_free(f);
	return n;
}

/* The running container `id`, or NULL with *err set. */
static struct fake_container *control_target(struct fake_runtime *f, const char *id, int *err)
{
	struct fake_container *c = f->closing ? NULL : ecsfs__fake_find(f, id);

	*err = f->closing ? -ECANCELED : -ENOENT;
	if (c && strcmp(c->status, "running") != 0) {
		*err = -EINVAL;
		c = NULL;
	}
	return c;
}

/* Returns 0, -ENOENT (no such container), -EINVAL (it does not run). */
int ecsfs_fake_runtime_exit(ecsfs_runtime *rt, const char *id, int code)
{
	struct fake_runtime *f = to_fake(rt);
	int err;
	struct fake_container *c = control_target(f, id, &err);

	if (!c)
		return err;
	ecsfs__fake_container_exit(f, c, code);
	return 0;
}

/* Returns 0, -ENOENT, -EINVAL (it does not run, or an unknown status). A
 * change of status is a "health_status: <status>" event. */
int ecsfs_fake_runtime_set_health(ecsfs_runtime *rt, const char *id, const char *status)
{
	struct fake_runtime *f = to_fake(rt);
	int err;
	struct fake_container *c = control_target(f, id, &err);
	char action[64];

	if (!c)
		return err;
	if (!status || (strcmp(status, "healthy") && strcmp(status, "unhealthy") &&
			strcmp(status, "starting")))
		return -EINVAL;
	if (strcmp(c->health, status) == 0)
		return 0;
	snprintf(c->health, sizeof(c->health), "%s", status);
	snprintf(action, sizeof(action), "health_status: %s", status);
	ecsfs__fake_queue_event(f, c, action, -1);
	return 0;
}

/* Returns 0 or -ENOENT. A running container dies (137) first. */
int ecsfs_fake_runtime_destroy(ecsfs_runtime *rt, const char *id)
{
	struct fake_runtime *f = to_fake(rt);
	struct fake_container *c = f->closing ? NULL : ecsfs__fake_find(f, id);

	if (!c)
		return f->closing ? -ECANCELED : -ENOENT;
	ecsfs__fake_container_destroy(f, c);
	return 0;
}

int ecsfs_fake_runtime_set_removing(ecsfs_runtime *rt, const char *id)
{
	struct fake_runtime *f = to_fake(rt);
	struct fake_container *c = f->closing ? NULL : ecsfs__fake_find(f, id);

	if (!c)
		return f->closing ? -ECANCELED : -ENOENT;
	c->removing = true;
	return 0;
}

const char *ecsfs_fake_runtime_find(ecsfs_runtime *rt, const char *task, const char *container)
{
	struct fake_container *c;
	const char *t, *n;

	if (!task || !container)
		return NULL;
	for (c = to_fake(rt)->containers; c; c = c->next) {
		t = ecsfs__fake_label_of(c, ECSFS_LABEL_TASK);
		n = ecsfs__fake_label_of(c, ECSFS_LABEL_CONTAINER);
		if (t && n && strcmp(t, task) == 0 && strcmp(n, container) == 0)
			return c->id;
	}
	return NULL;
}

json_t *ecsfs_fake_runtime_config(ecsfs_runtime *rt, const char *id)
{
	struct fake_container *c = ecsfs__fake_find(to_fake(rt), id);

	return c ? c->config : NULL;
}

size_t ecsfs_fake_runtime_count(ecsfs_runtime *rt, bool running_only)
{
	struct fake_container *c;
	size_t n = 0;

	for (c = to_fake(rt)->containers; c; c = c->next)
		if (!running_only || strcmp(c->status, "running") == 0)
			n++;
	return n;
}

/* Returns 0, -ENOENT, -EINVAL (it does not run, a bad stream or line). A
 * container keeps its last FAKE_LOG_LINES_MAX lines for later followers. */
int ecsfs_fake_runtime_output(ecsfs_runtime *rt, const char *id, int stream, const char *line)
{
	struct fake_runtime *f = to_fake(rt);
	struct ecsfs_runtime_logs *l;
	struct fake_line *ln, *grown;
	int err;
	struct fake_container *c = control_target(f, id, &err);

	if (!c)
		return err;
	if ((stream != 1 && stream != 2) || !line)
		return -EINVAL;
	if (c->nlines == FAKE_LOG_LINES_MAX) {
		free(c->lines[0].text);
		memmove(c->lines, c->lines + 1, (c->nlines - 1) * sizeof(*c->lines));
		c->nlines--;
	} else {
		grown = realloc(c->lines, (c->nlines + 1) * sizeof(*c->lines));
		if (!grown)
			return -ENOMEM;
		c->lines = grown;
	}
	ln = &c->lines[c->nlines];
	ln->text = strdup(line);
	if (!ln->text)
		return -ENOMEM;
	ln->stream = stream;
	ln->ts = ecsfs__fake_tick(f);
	c->nlines++;
	for (l = f->followers; l; l = l->next)
		if (strcmp(l->id, c->id) == 0)
			ecsfs__fake_queue_line(f, l, ln);
	return 0;
}
