/*
 * ecsfs — the engines the reconciler drives: the daemon's own (`local`,
 * shared by every cluster) and one per registered container instance,
 * each with its own event stream, resync, pause image and networks. A
 * task runs on the engine of its instance; an instance lost for good
 * takes its tasks with it (STOPPED, naming it), and what they left on the
 * engine is removed if it ever answers again (its resync finds containers
 * of tasks that are STOPPED or run elsewhere now).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/reconciler_private.h"
#include "ecsfs/instance.h"

static char *xstrdup(const char *s)
{
	char *p = s ? strdup(s) : NULL;
	if (s && !p)
		abort();
	return p;
}

static bool is_local(const char *name)
{
	return !name || strcmp(name, ECSFS_INSTANCE_LOCAL) == 0;
}

static struct eng *find(ecsfs_tasks *t, const char *cluster, const char *name)
{
	if (is_local(name))
		return t->engines; /* local is always first */
	for (struct eng *e = t->engines ? t->engines->next : NULL; e; e = e->next)
		if (strcmp(e->cluster, cluster) == 0 && strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

struct eng *ecsfs__rc_eng(struct task *k)
{
	if (!k->eng)
		k->eng = find(k->owner, k->cluster, k->instance);
	return k->eng;
}

struct eng *ecsfs__rc_engine_new(ecsfs_tasks *t, const char *cluster, const char *name,
				 ecsfs_runtime *rt)
{
	struct eng *e = calloc(1, sizeof(*e)), **tail;

	if (!e)
		abort();
	e->t = t;
	e->cluster = xstrdup(cluster);
	e->name = xstrdup(name);
	e->rt = rt;
	e->reachable = engine_up(e);
	/* local first, the others after it */
	for (tail = &t->engines; *tail; tail = &(*tail)->next)
		;
	*tail = e;
	ops(e)->watch(e->rt, ecsfs__rc_on_event, e);
	return e;
}

static void engine_free(struct eng *e)
{
	ecsfs__rc_networks_free(e);
	free(e->cluster);
	free(e->name);
	free(e);
}

void ecsfs__rc_engines_free(ecsfs_tasks *t)
{
	while (t->engines) {
		struct eng *e = t->engines;
		t->engines = e->next;
		engine_free(e);
	}
}

/* 127.0.0.1 for a unix:// endpoint (this host), the host of tcp://host:port;
 * an IPv6 one without its brackets (tcp://[::1]:2376 is ::1), as addresses
 * are given to HAProxy and in networkBindings. */
static void host_of(const char *endpoint, char out[64])
{
	const char *h = endpoint && strncmp(endpoint, "tcp://", 6) == 0 ? endpoint + 6 : NULL;
	const char *colon = h ? strrchr(h, ':') : NULL;

	if (h && *h == '[' && colon && colon > h + 1 && colon[-1] == ']')
		h++, colon--;
	if (!colon || colon == h || (size_t)(colon - h) >= 64)
		snprintf(out, 64, "127.0.0.1");
	else
		snprintf(out, 64, "%.*s", (int)(colon - h), h);
}

const char *ecsfs__task_host_address(struct task *k)
{
	struct eng *e = ecsfs__rc_eng(k);
	return e && e->address[0] ? e->address : "127.0.0.1";
}

int ecsfs_tasks_engine_add(ecsfs_tasks *t, const char *cluster, const char *name,
			   const char *endpoint, ecsfs_runtime *rt)
{
	struct eng *e;

	if (!t || is_local(name) || !cluster || !rt)
		return -EINVAL;
	if (find(t, cluster, name))
		return -EEXIST;
	e = ecsfs__rc_engine_new(t, cluster, name, rt);
	host_of(endpoint, e->address);
	/* tasks recorded on it before it was known (a restart) */
	ecsfs__rc_kick_all(e);
	return 0;
}

void ecsfs_tasks_engine_remove(ecsfs_tasks *t, const char *cluster, const char *name)
{
	struct eng *e = t && !is_local(name) ? find(t, cluster, name) : NULL, **pp;

	if (!e)
		return;
	ops(e)->watch(e->rt, NULL, NULL);
	/* its calls in flight answer to nobody now */
	for (struct op *o = t->ops; o;) {
		struct op *next = o->next;
		if (o->e == e) {
			if (o->logs)
				ops(e)->logs_cancel(o->logs);
			if (o->k && o->counted)
				o->k->inflight--;
			ecsfs__rc_op_unlink(o);
			o->t = NULL;
			o->k = NULL;
			o->c = NULL;
			o->e = NULL;
		}
		o = next;
	}
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i]->eng == e)
			t->v[i]->eng = NULL;
	for (pp = &t->engines; *pp != e; pp = &(*pp)->next)
		;
	*pp = e->next;
	engine_free(e);
}

void ecsfs_tasks_engine_changed(ecsfs_tasks *t, ecsfs_runtime *rt)
{
	if (!t)
		return;
	/* going down: followers break with the engine and restart after the
	 * resync; coming up: the event stream reopens and asks for a resync (a
	 * failed list retries) */
	for (struct eng *e = t->engines; e; e = e->next) {
		if (e->rt != rt)
			continue;
		e->reachable = engine_up(e);
		/* an engine that comes back may take the pause image it refused */
		if (e->reachable && e->pause_image == PI_FAILED)
			e->pause_image = PI_UNKNOWN;
	}
}

/* The task is given up with its engine: STOPPED now, without a word to
 * the engine (which does not answer). */
static void abandon(struct task *k, const char *reason)
{
	int64_t now = ecsfs_now_ns();

	k->desired_running = false;
	if (!k->stop_code)
		ecsfs__set_str(&k->stop_code, "TerminationNotice");
	ecsfs__set_str(&k->stopped_reason, reason);
	for (size_t i = 0; i < k->nc; i++) {
		struct ctr *c = &k->c[i];
		if (c->state != C_STOPPED) {
			c->state = C_STOPPED;
			ecsfs__set_str(&c->reason, reason);
		}
		c->logs_done = true;
	}
	k->pause_running = false;
	k->removed = true; /* for this daemon; a resync removes what is left */
	if (!k->stopping_ns)
		k->stopping_ns = now;
	k->last = T_STOPPED;
	k->exec_stopped_ns = k->stopped_ns = now;
	ecsfs__task_close_logs(k);
	ecsfs__rc_saved_event(k, "stopped: %s.", reason);
}

size_t ecsfs_tasks_engine_lost(ecsfs_tasks *t, const char *cluster, const char *name,
			       const char *reason)
{
	size_t n = 0;

	if (!t)
		return 0;
	for (size_t i = 0; i < t->n; i++) {
		struct task *k = t->v[i];
		const char *inst = k->instance ? k->instance : ECSFS_INSTANCE_LOCAL;

		if (k->last == T_STOPPED || strcmp(k->cluster, cluster) != 0 ||
		    strcmp(inst, name) != 0)
			continue;
		abandon(k, reason);
		n++;
	}
	return n;
}

ecsfs_runtime *ecsfs_tasks_runtime_of(ecsfs_tasks *t, const char *id)
{
	struct task *k = t ? ecsfs__task_find(t, id) : NULL;
	struct eng *e = k ? ecsfs__rc_eng(k) : NULL;

	return e ? e->rt : NULL;
}

void ecsfs_tasks_set_placer(ecsfs_tasks *t, ecsfs_tasks_place_fn fn, void *data)
{
	t->place = fn;
	t->place_data = data;
}
