/*
 * The schedule engine: every schedule in memory with its next due time,
 * one timer on the loop armed for the earliest thing to do, and a tick
 * that records what came due and runs what is open (schedule_fire.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/cluster.h"
#include "ecsfs/util.h"
#include "model/schedule_private.h"

#define REARM_FAULT_MS 1000 /* after a store fault, look again this soon */

int64_t ecsfs__sched_now(const ecsfs_schedules *sc)
{
	if (sc->opts.now_ms)
		return sc->opts.now_ms(sc->opts.now_data);
	return ecsfs_now_ns() / 1000000;
}

int64_t ecsfs__sched_minute(const ecsfs_schedules *sc)
{
	return sc->opts.minute_ms > 0 ? sc->opts.minute_ms : 60000;
}

int64_t ecsfs__sched_next_due(const ecsfs_schedules *sc, const ecsfs__sched *e, int64_t after_ms)
{
	const ecsfs__sched_def *d = &e->def;
	ecsfs_cron_ctx ctx = {d->tz, d->start_ms ? d->start_ms : e->created_ms,
			      ecsfs__sched_minute(sc)};
	int64_t next;

	if (d->start_ms && after_ms < d->start_ms - 1)
		after_ms = d->start_ms - 1; /* the first fire is at or after StartDate */
	if (ecsfs_cron_next(d->expr, &ctx, after_ms, &next) < 0)
		return -1;
	return d->end_ms && next >= d->end_ms ? -1 : next;
}

ecsfs__sched *ecsfs__sched_find(ecsfs_schedules *sc, const char *cluster, const char *name)
{
	for (ecsfs__sched *e = sc->list; e; e = e->next)
		if (!strcmp(e->cluster, cluster) && !strcmp(e->name, name))
			return e;
	return NULL;
}

void ecsfs__sched_changed(ecsfs_schedules *sc, const char *cluster, const char *name)
{
	if (sc->change_cb)
		sc->change_cb(sc->change_data, cluster, name);
}

static void entry_free(ecsfs__sched *e)
{
	ecsfs__sched_def_release(&e->def);
	free(e);
}

void ecsfs__sched_forget(ecsfs_schedules *sc, const char *cluster, const char *name)
{
	for (ecsfs__sched **p = &sc->list; *p; p = &(*p)->next) {
		if (!strcmp((*p)->cluster, cluster) && !strcmp((*p)->name, name)) {
			ecsfs__sched *e = *p;
			*p = e->next;
			entry_free(e);
			break;
		}
	}
	ecsfs__sched_arm(sc);
}

/* The schedule's row into a new def; 0, or -errno (the row stays unread). */
static int read_row(ecsfs_schedules *sc, const char *cluster, const char *name,
		    ecsfs_schedule_row *row, ecsfs__sched_def *def)
{
	ecsfs_err err = ECSFS_ERR_INIT;
	json_t *doc;
	int r = ecsfs_store_schedule_get(sc->store, cluster, name, row);

	if (r == 0 && !(doc = json_loads(row->doc.data, 0, NULL)))
		r = -EIO;
	if (r == 0) {
		r = ecsfs__sched_def_read(name, doc, def, &err);
		json_decref(doc);
	}
	ecsfs_err_release(&err);
	return r;
}

int ecsfs__sched_load(ecsfs_schedules *sc, const char *cluster, const char *name)
{
	ecsfs_schedule_row row = {.doc = ECSFS_BUF_INIT};
	ecsfs__sched_def def;
	ecsfs__sched *e;
	int r = read_row(sc, cluster, name, &row, &def);

	ecsfs_buf_release(&row.doc);
	if (r < 0) {
		ecsfs__sched_forget(sc, cluster, name);
		return r;
	}
	if (!(e = ecsfs__sched_find(sc, cluster, name))) {
		if (!(e = calloc(1, sizeof(*e))))
			abort();
		snprintf(e->cluster, sizeof(e->cluster), "%s", cluster);
		snprintf(e->name, sizeof(e->name), "%s", name);
		e->next = sc->list;
		sc->list = e;
	}
	ecsfs__sched_def_release(&e->def);
	e->def = def;
	e->created_ms = row.created_ns / 1000000;
	e->cursor_ms = row.cursor_ms;
	e->next_ms = ecsfs__sched_next_due(sc, e, e->cursor_ms);
	ecsfs__sched_settle(sc, e);
	ecsfs__sched_arm(sc);
	return 0;
}

int64_t ecsfs_schedules_next_wake(ecsfs_schedules *sc)
{
	int64_t wake = -1;

	for (ecsfs__sched *e = sc->list; e; e = e->next) {
		int64_t w = e->def.enabled ? e->next_ms : -1;
		if (e->def.enabled && e->wake_ms >= 0 && (w < 0 || e->wake_ms < w))
			w = e->wake_ms;
		if (w >= 0 && (wake < 0 || w < wake))
			wake = w;
	}
	return wake;
}

static void on_timer(uv_timer_t *t)
{
	ecsfs_schedules_tick(t->data);
}

void ecsfs__sched_arm(ecsfs_schedules *sc)
{
	int64_t wake, now;

	if (!sc->timer || sc->in_tick)
		return;
	wake = ecsfs_schedules_next_wake(sc);
	if (wake < 0) {
		uv_timer_stop(sc->timer);
		return;
	}
	now = ecsfs__sched_now(sc);
	uv_timer_start(sc->timer, on_timer, wake > now ? (uint64_t)(wake - now) : 0, 0);
}

/* A schedule whose ActionAfterCompletion is DELETE goes once nothing is
 * left to come: no due time ahead and no open fire. */
static bool completed(const ecsfs__sched *e)
{
	return e->def.delete_after && e->next_ms < 0 && e->wake_ms < 0 && e->finished;
}

/* A schedule whose cluster went without it (a delete that took the spec
 * tree along) goes too, before it fires into nothing. */
static bool orphaned(ecsfs_schedules *sc, const ecsfs__sched *e)
{
	return !ecsfs_store_cluster_exists(sc->store, e->cluster);
}

static ecsfs__sched *first_completed(ecsfs_schedules *sc)
{
	for (ecsfs__sched *e = sc->list; e; e = e->next)
		if (!e->stuck && (completed(e) || orphaned(sc, e)))
			return e;
	return NULL;
}

/* Delete a completed schedule (which frees e). */
static void complete(ecsfs_schedules *sc, ecsfs__sched *e)
{
	char cluster[256], name[ECSFS_SCHEDULE_NAME_MAX + 1];
	ecsfs_err err = ECSFS_ERR_INIT;

	snprintf(cluster, sizeof(cluster), "%s", e->cluster);
	snprintf(name, sizeof(name), "%s", e->name);
	if (orphaned(sc, e)) {
		if (ecsfs_store_schedule_delete(sc->store, cluster, name) == 0)
			ecsfs__sched_forget(sc, cluster, name);
		else
			e->stuck = true; /* the store refused: keep it, without looping */
		ecsfs_err_release(&err);
		return;
	}
	ecsfs_cluster_event(sc->store, cluster,
			    "(schedule %s) completed; ActionAfterCompletion DELETE.", name);
	if (ecsfs_schedule_delete(sc, cluster, name, &err) < 0)
		e->stuck = true; /* the store refused: keep it rather than spin */
	ecsfs_err_release(&err);
}

void ecsfs_schedules_tick(ecsfs_schedules *sc)
{
	int64_t now = ecsfs__sched_now(sc);
	ecsfs__sched *done;

	sc->in_tick = true;
	for (ecsfs__sched *e = sc->list; e; e = e->next) {
		if (!e->def.enabled || orphaned(sc, e))
			continue;
		ecsfs__sched_record_due(sc, e, now);
		ecsfs__sched_run_open(sc, e, now);
	}
	/* deletions change the list: one at a time, from the top again */
	while ((done = first_completed(sc)))
		complete(sc, done);
	sc->in_tick = false;
	ecsfs__sched_arm(sc);
	if (sc->timer && ecsfs_schedules_next_wake(sc) >= 0 &&
	    ecsfs_schedules_next_wake(sc) <= now) /* a store fault left work behind */
		uv_timer_start(sc->timer, on_timer, REARM_FAULT_MS, 0);
}

static int load_one(void *data, const char *cluster, const char *name)
{
	ecsfs__sched_load(data, cluster, name);
	return 0;
}

int ecsfs_schedules_new(uv_loop_t *loop, ecsfs_store *store, ecsfs_tasks *tasks,
			const ecsfs_schedule_opts *opts, ecsfs_schedules **out, ecsfs_buf *why)
{
	ecsfs_schedules *sc = calloc(1, sizeof(*sc));
	int r;

	if (!sc)
		abort();
	sc->loop = loop, sc->store = store, sc->tasks = tasks;
	sc->rng = (uint64_t)ecsfs_now_ns() | 1;
	if (opts)
		sc->opts = *opts;
	if (!sc->opts.manual) {
		if (!(sc->timer = calloc(1, sizeof(*sc->timer))))
			abort();
		uv_timer_init(loop, sc->timer);
		sc->timer->data = sc;
	}
	if ((r = ecsfs_store_schedule_list_all(store, load_one, sc)) < 0) {
		ecsfs_buf_setf(why, "cannot load schedules: %s", ecsfs_store_last_error(store));
		ecsfs_schedules_free(sc);
		return r;
	}
	*out = sc;
	ecsfs__sched_arm(sc);
	return 0;
}

static void timer_closed(uv_handle_t *h)
{
	free(h);
}

void ecsfs_schedules_free(ecsfs_schedules *sc)
{
	if (!sc)
		return;
	while (sc->list) {
		ecsfs__sched *e = sc->list;
		sc->list = e->next;
		entry_free(e);
	}
	if (sc->timer) {
		uv_timer_stop(sc->timer);
		uv_close((uv_handle_t *)sc->timer, timer_closed);
	}
	free(sc);
}

void ecsfs_schedules_set_change_cb(ecsfs_schedules *sc, ecsfs_schedules_change_cb cb, void *data)
{
	sc->change_cb = cb;
	sc->change_data = data;
}
