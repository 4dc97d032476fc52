/*
 * ecsfs — what the engine shows becomes what a task knows: inspect answers,
 * engine events, and the resync that lists every managed container of this
 * state directory, adopts what a crash left unrecorded and removes what
 * belongs to no task.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control/reconciler_private.h"

/* ---- what the engine shows ---- */

/* RFC 3339 time as Docker writes it; 0 for "0001-01-01T00:00:00Z"
 * (never) or anything before the epoch. */
static int64_t parse_time(const char *s)
{
	int64_t ns;

	if (!s || ecsfs_time_parse(s, strlen(s), 0, &ns) < 0 || ns < 0)
		return 0;
	return ns;
}

static const char *state_field(json_t *inspect, const char *key)
{
	return json_string_value(json_object_get(json_object_get(inspect, "State"), key));
}

/* Port bindings the engine chose, keyed "80/tcp". */
static json_t *read_bindings(json_t *inspect)
{
	json_t *ports = json_object_get(json_object_get(inspect, "NetworkSettings"), "Ports");
	json_t *out = json_object(), *list;
	const char *key;

	json_object_foreach(ports, key, list) {
		size_t i;
		json_t *b;

		json_array_foreach(list, i, b) {
			const char *ip = json_string_value(json_object_get(b, "HostIp"));
			const char *port = json_string_value(json_object_get(b, "HostPort"));
			if (!port || (ip && strchr(ip, ':')))
				continue; /* the IPv4 binding stands for both */
			json_object_set_new(out, key,
					    json_pack("{s:s,s:I}", "hostIp",
						      ip && *ip ? ip : "0.0.0.0", "hostPort",
						      (json_int_t)atoll(port)));
			break;
		}
	}
	return out;
}

static void observe_pause(struct task *k, json_t *inspect)
{
	bool running = json_is_true(json_object_get(json_object_get(inspect, "State"), "Running"));

	if (running)
		ecsfs__rc_network_observe(k, inspect); /* re-read, never re-assigned */
	if (running && !k->pause_running) {
		k->pause_running = true;
		json_decref(k->bindings);
		k->bindings = read_bindings(inspect);
		ecsfs__rc_saved(k);
	} else if (!running && k->pause_running) {
		k->pause_running = false;
		ecsfs__rc_saved(k);
		ecsfs__rc_fail(k, "EssentialContainerExited",
			       "The task's network namespace (its pause container) stopped");
	}
}

void ecsfs__rc_observe_gone(struct task *k, struct ctr *c)
{
	if (!c) {
		if (!k->pause_id)
			return;
		ecsfs__set_str(&k->pause_id, NULL);
		k->pause_running = false;
		ecsfs__rc_saved(k);
		if (k->last < T_STOPPING)
			ecsfs__rc_fail(
			    k, "EssentialContainerExited",
			    "The task's network namespace (its pause container) was removed "
			    "from the engine");
		return;
	}
	if (c->gone)
		return;
	c->gone = true;
	c->logs_done = true;
	if (c->state != C_STOPPED) {
		c->state = C_STOPPED;
		if (k->last < T_STOPPING || k->desired_running)
			ecsfs__set_str(&c->reason,
				       "The container was removed from the engine outside ecsfs");
	}
	ecsfs__rc_saved(k);
}

void ecsfs__rc_observe(struct task *k, struct ctr *c, json_t *inspect)
{
	const char *status = state_field(inspect, "Status");
	const char *health = json_string_value(json_object_get(
	    json_object_get(json_object_get(inspect, "State"), "Health"), "Status"));
	bool changed = false;

	if (!c) {
		observe_pause(k, inspect);
		return;
	}
	if (!status)
		return;
	if (strcmp(status, "created") == 0) {
		if (c->state < C_CREATED) {
			c->state = C_CREATED;
			changed = true;
		}
	} else if (strcmp(status, "running") == 0 || strcmp(status, "paused") == 0 ||
		   strcmp(status, "restarting") == 0) {
		if (c->state != C_RUNNING) {
			c->state = C_RUNNING;
			c->started_ns = parse_time(state_field(inspect, "StartedAt"));
			if (!c->started_ns)
				c->started_ns = ecsfs_now_ns();
			changed = true;
		}
	} else if (strcmp(status, "exited") == 0 || strcmp(status, "dead") == 0) {
		json_t *st = json_object_get(inspect, "State");
		const char *error = json_string_value(json_object_get(st, "Error"));
		bool started = parse_time(state_field(inspect, "StartedAt")) != 0;

		if (c->state != C_STOPPED) {
			c->state = C_STOPPED;
			if (started) {
				c->has_exit = true;
				c->exit_code =
				    (int)json_integer_value(json_object_get(st, "ExitCode"));
			}
			if (!c->started_ns)
				c->started_ns = parse_time(state_field(inspect, "StartedAt"));
			c->finished_ns = parse_time(state_field(inspect, "FinishedAt"));
			if (json_is_true(json_object_get(st, "OOMKilled")))
				ecsfs__set_str(
				    &c->reason,
				    "OutOfMemoryError: Container killed due to memory usage");
			else if (error && *error)
				ecsfs__set_str(&c->reason, error);
			changed = true;
		}
	}
	if (health) {
		const char *h = strcmp(health, "healthy") == 0	   ? "HEALTHY"
				: strcmp(health, "unhealthy") == 0 ? "UNHEALTHY"
								   : "UNKNOWN";
		if (strcmp(c->health, h) != 0) {
			snprintf(c->health, sizeof(c->health), "%s", h);
			changed = true;
		}
	}
	if (changed)
		ecsfs__rc_saved(k);
}

static void on_inspect(void *data, int err, json_t *result, const char *errmsg)
{
	struct op *o = data;

	if (o->t && o->k) {
		if (err == 0)
			ecsfs__rc_observe(o->k, o->pause ? NULL : o->c, result);
		else if (err == -ENOENT)
			ecsfs__rc_observe_gone(o->k, o->pause ? NULL : o->c);
	}
	ecsfs__rc_op_done(o);
}

void ecsfs__rc_inspect(struct task *k, struct ctr *c, const char *id)
{
	struct op *o = ecsfs__rc_op_new(k->owner, k, c);

	o->pause = c == NULL;
	if (ops(k->eng)->inspect(k->eng->rt, id, on_inspect, o) < 0)
		ecsfs__rc_op_failed(o);
}

/* ---- (re)sync with everything the engine holds for us ---- */

static const char *label_of(json_t *labels, const char *key)
{
	return json_string_value(json_object_get(labels, key));
}

static void on_orphan_removed(void *data, int err, json_t *result, const char *errmsg)
{
	ecsfs__rc_op_done(data);
}

static void remove_orphan(struct eng *e, const char *id)
{
	struct op *o = ecsfs__rc_op_new(e->t, NULL, NULL);

	o->e = e;
	if (ops(e)->remove(e->rt, id, on_orphan_removed, o) < 0)
		ecsfs__rc_op_done(o);
}

/* Match one listed container to its task, or remove it: also one of a
 * task that runs on another engine now (its engine was lost, the task
 * stopped and was replaced, and the engine came back). */
static void sync_one(struct eng *e, json_t *summary)
{
	ecsfs_tasks *t = e->t;
	json_t *labels = json_object_get(summary, "Labels");
	const char *id = json_string_value(json_object_get(summary, "Id"));
	const char *tid = label_of(labels, ECSFS_LABEL_TASK);
	const char *name = label_of(labels, ECSFS_LABEL_CONTAINER);
	struct task *k = tid ? ecsfs__task_find(t, tid) : NULL;
	struct ctr *c = NULL;
	char **slot;

	if (!id)
		return;
	if (!k || k->removed || !name || ecsfs__rc_eng(k) != e) {
		remove_orphan(e, id);
		return;
	}
	if (strcmp(name, ECSFS_PAUSE_NAME) == 0) {
		slot = &k->pause_id;
	} else {
		if (!(c = ecsfs__task_ctr(k, name))) {
			remove_orphan(e, id);
			return;
		}
		slot = &c->runtime_id;
	}
	if (!*slot) {
		ecsfs__set_str(slot, id); /* made just before a crash: adopt it */
		ecsfs__rc_saved(k);
	} else if (strcmp(*slot, id) != 0) {
		remove_orphan(e, id);
		return;
	}
	k->seen_mark = e->sync_mark;
	if (c)
		c->seen_mark = e->sync_mark;
	else
		k->pause_seen_mark = e->sync_mark;
	ecsfs__rc_inspect(k, c, id);
}

static void on_list(void *data, int err, json_t *result, const char *errmsg)
{
	struct op *o = data;
	ecsfs_tasks *t = o->t;
	struct eng *e = o->e;
	size_t i;
	json_t *s;

	ecsfs__rc_op_done(o);
	if (!t || !e)
		return;
	e->syncing = false;
	if (err) {
		e->sync_retry_at = ecsfs__rc_retry_at();
		return;
	}
	e->sync_mark++;
	json_array_foreach(result, i, s)
		sync_one(e, s);
	/* what we knew of that the engine no longer has */
	for (size_t n = 0; n < t->n; n++) {
		struct task *k = t->v[n];

		if (k->last == T_STOPPED || ecsfs__rc_eng(k) != e)
			continue;
		for (size_t j = 0; j < k->nc; j++) {
			struct ctr *c = &k->c[j];
			if (c->runtime_id && !c->gone && c->seen_mark != e->sync_mark)
				ecsfs__rc_observe_gone(k, c);
		}
		if (k->pause_id && k->pause_seen_mark != e->sync_mark)
			ecsfs__rc_observe_gone(k, NULL);
	}
	if (e->sync_again) {
		e->sync_again = false;
		ecsfs__rc_resync(e);
		return;
	}
	ecsfs__rc_networks_sweep(e);
	ecsfs__rc_kick_all(e);
}

void ecsfs__rc_resync(struct eng *e)
{
	ecsfs_tasks *t = e->t;
	ecsfs_buf label = ECSFS_BUF_INIT;
	struct op *o;

	if (t->closing)
		return;
	if (e->syncing) {
		e->sync_again = true;
		return;
	}
	e->syncing = true;
	e->sync_retry_at = 0;
	o = ecsfs__rc_op_new(t, NULL, NULL);
	o->e = e;
	ecsfs_buf_addf(&label, "%s=%s", INSTANCE_LABEL, t->instance);
	if (ops(e)->list(e->rt, label.data, on_list, o) < 0) {
		e->syncing = false;
		e->sync_retry_at = ecsfs__rc_retry_at();
		ecsfs__rc_op_done(o);
	}
	ecsfs_buf_release(&label);
}

void ecsfs__rc_on_event(void *data, json_t *ev)
{
	struct eng *e = data;
	ecsfs_tasks *t = e->t;
	json_t *actor, *attrs;
	const char *action, *tid, *name, *id;
	struct task *k;
	struct ctr *c = NULL;

	if (!ev) {
		ecsfs__rc_resync(e);
		return;
	}
	actor = json_object_get(ev, "Actor");
	attrs = json_object_get(actor, "Attributes");
	action = json_string_value(json_object_get(ev, "Action"));
	id = json_string_value(json_object_get(actor, "ID"));
	if (!action || !id || !label_of(attrs, INSTANCE_LABEL) ||
	    strcmp(label_of(attrs, INSTANCE_LABEL), t->instance) != 0)
		return;
	tid = label_of(attrs, ECSFS_LABEL_TASK);
	name = label_of(attrs, ECSFS_LABEL_CONTAINER);
	if (!tid || !name || !(k = ecsfs__task_find(t, tid)) || k->last == T_STOPPED ||
	    ecsfs__rc_eng(k) != e)
		return;
	if (strcmp(name, ECSFS_PAUSE_NAME) != 0 && !(c = ecsfs__task_ctr(k, name)))
		return;
	if (strcmp(action, "destroy") == 0) {
		const char *mine = c ? c->runtime_id : k->pause_id;
		if (mine && strcmp(mine, id) == 0) {
			ecsfs__rc_observe_gone(k, c);
			/* a removal it waited for is over: no need to wait for the retry */
			if (k->last == T_DEPROVISIONING)
				k->retry_at = 0;
		}
		ecsfs__reconcile(k);
		return;
	}
	if (strcmp(action, "start") && strcmp(action, "die") && strcmp(action, "oom") &&
	    strcmp(action, "restart") && strcmp(action, "pause") && strcmp(action, "unpause") &&
	    strncmp(action, "health_status", 13))
		return;
	ecsfs__rc_inspect(k, c, id);
}
