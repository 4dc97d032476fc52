/*
 * Fires: what came due is recorded (one transaction per pass) before
 * anything starts; open fires start their tasks through ecsfs_tasks_start()
 * with startedBy naming the fire, and before each attempt the cluster's
 * tasks are searched for that startedBy, so a fire whose tasks started
 * just before a crash is never started again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/cluster.h"
#include "ecsfs/util.h"
#include "model/schedule_private.h"

#define BACKOFF_STEPS 6 /* retries wait 1, 2, 4 ... 32 s, then 60 s (minutes scale it) */

void ecsfs__sched_started_by(const ecsfs__sched *e, int64_t due_ms, ecsfs_buf *out)
{
	ecsfs_buf_setf(out, "schedule/%s/%lld", e->name, (long long)due_ms);
}

/* xorshift64: enough to spread fires over a window */
static uint64_t next_random(ecsfs_schedules *sc)
{
	sc->rng ^= sc->rng << 13;
	sc->rng ^= sc->rng >> 7;
	sc->rng ^= sc->rng << 17;
	return sc->rng;
}

static void iso(int64_t ms, char out[32])
{
	ecsfs_time_iso(ms * 1000000, out);
}

/* ---- recording what came due ---- */

static void missed(ecsfs_fire_row *f, const ecsfs__sched *e, int64_t now, int64_t until)
{
	char u[32];

	f->state = ECSFS_FIRE_MISSED;
	f->actual_ms = now;
	ecsfs_buf_setf(&f->reason,
		       "came due while the daemon was not running, more than "
		       "MaximumEventAgeInSeconds (%lld) ago",
		       (long long)(e->def.max_age_ms / 1000));
	if (until > f->due_ms) {
		iso(until, u);
		ecsfs_buf_addf(&f->reason, "; so did every fire after it until %s", u);
	}
}

/* The next fire to record: *f from the schedule's next due time; when
 * fires were missed by the hundred, the ones between are skipped and said. */
static void next_fire(ecsfs_schedules *sc, const ecsfs__sched *e, int64_t due, int64_t now,
		      int nmissed, ecsfs_fire_row *f, int64_t *cursor)
{
	int64_t window = e->def.window_min * ecsfs__sched_minute(sc);

	ecsfs_buf_reset(&f->reason);
	ecsfs_buf_reset(&f->tasks);
	f->due_ms = due, f->attempts = 0, f->actual_ms = 0, f->state = ECSFS_FIRE_PENDING;
	f->run_ms = due;
	if (window > 0)
		f->run_ms += sc->opts.delay_ms
				 ? sc->opts.delay_ms(sc->opts.now_data, window)
				 : (int64_t)(next_random(sc) % (uint64_t)(window + 1));
	*cursor = due;
	if (now - due > e->def.max_age_ms) {
		/* past a history's worth, the rest of the old ones go in one line */
		if (nmissed + 1 >= ECSFS_SCHEDULE_HISTORY)
			*cursor = now - e->def.max_age_ms - 1;
		missed(f, e, now, *cursor);
	}
}

static void said_missed(ecsfs_schedules *sc, const ecsfs__sched *e, const ecsfs_fire_row *f)
{
	char d[32];

	iso(f->due_ms, d);
	ecsfs_cluster_event(sc->store, e->cluster, "(schedule %s) missed its fire of %s: %s.",
			    e->name, d, f->reason.data);
}

/* Record every due time up to now, in one transaction; the schedule's
 * cursor and next due time move only once it committed. */
void ecsfs__sched_record_due(ecsfs_schedules *sc, ecsfs__sched *e, int64_t now)
{
	int64_t cursor = e->cursor_ms, next = e->next_ms, wake = e->wake_ms;
	ecsfs_fire_row f;
	int n = 0, nmissed = 0, r;

	if (next < 0 || next > now || ecsfs_store_begin(sc->store) < 0)
		return;
	ecsfs_fire_row_init(&f);
	for (r = 0; r == 0 && next >= 0 && next <= now; n++) {
		next_fire(sc, e, next, now, nmissed, &f, &cursor);
		nmissed += f.state == ECSFS_FIRE_MISSED;
		if (f.state == ECSFS_FIRE_PENDING && (wake < 0 || f.run_ms < wake))
			wake = f.run_ms;
		if ((r = ecsfs_store_fire_put(sc->store, e->cluster, e->name, &f)) == 0 &&
		    f.state == ECSFS_FIRE_MISSED && nmissed <= 3)
			said_missed(sc, e, &f);
		next = ecsfs__sched_next_due(sc, e, cursor);
	}
	if (r == 0)
		r = ecsfs_store_schedule_set_cursor(sc->store, e->cluster, e->name, cursor);
	if (r == 0)
		r = ecsfs_store_fire_trim(sc->store, e->cluster, e->name, ECSFS_SCHEDULE_HISTORY);
	ecsfs_fire_row_release(&f);
	if (r < 0 || ecsfs_store_commit(sc->store) < 0) {
		if (r < 0)
			ecsfs_store_rollback(sc->store);
		return;
	}
	e->cursor_ms = cursor, e->next_ms = next, e->wake_ms = wake;
	e->finished = e->finished || n > 0;
}

/* ---- running open fires ---- */

typedef struct find_ctx {
	const char *started_by;
	json_t *ids;
} find_ctx;

static int find_cb(void *data, const ecsfs_task_info *info)
{
	find_ctx *c = data;

	if (!strcmp(info->started_by, c->started_by))
		json_array_append_new(c->ids, json_string(info->id));
	return 0;
}

/* The ids of the tasks a fire started, or NULL when it started none. */
static json_t *started_tasks(ecsfs_schedules *sc, const ecsfs__sched *e, int64_t due)
{
	ecsfs_buf by = ECSFS_BUF_INIT;
	find_ctx c = {NULL, json_array()};

	ecsfs__sched_started_by(e, due, &by);
	c.started_by = by.data;
	if (sc->tasks)
		ecsfs_tasks_foreach(sc->tasks, e->cluster, NULL, find_cb, &c);
	ecsfs_buf_release(&by);
	if (json_array_size(c.ids) == 0) {
		json_decref(c.ids);
		return NULL;
	}
	return c.ids;
}

static void said_started(ecsfs_schedules *sc, const ecsfs__sched *e, const ecsfs_fire_row *f)
{
	char d[32];
	json_t *ids = json_loads(f->tasks.data, 0, NULL);
	size_t n = json_array_size(ids);
	ecsfs_buf list = ECSFS_BUF_INIT;

	iso(f->due_ms, d);
	for (size_t i = 0; i < n; i++)
		ecsfs_buf_addf(&list, "%s%s", i ? ", " : "",
			       json_string_value(json_array_get(ids, i)));
	ecsfs_cluster_event(sc->store, e->cluster,
			    "(schedule %s) fired (%s): started %zu task%s: %s.", e->name, d, n,
			    n == 1 ? "" : "s", list.data);
	ecsfs_buf_release(&list);
	json_decref(ids);
}

static void set_started(ecsfs_fire_row *f, json_t *ids, int64_t now)
{
	char *text = json_dumps(ids, JSON_COMPACT);

	f->state = ECSFS_FIRE_STARTED;
	f->actual_ms = now;
	ecsfs_buf_setf(&f->tasks, "%s", text);
	ecsfs_buf_reset(&f->reason);
	free(text);
}

/* One attempt: 0 and *ids, or -errno with the reason in f->reason. */
static int attempt(ecsfs_schedules *sc, const ecsfs__sched *e, ecsfs_fire_row *f, json_t **ids)
{
	ecsfs_err err = ECSFS_ERR_INIT;
	ecsfs_buf by = ECSFS_BUF_INIT;
	json_t *rq = json_deep_copy(e->def.request);
	int r;

	ecsfs__sched_started_by(e, f->due_ms, &by);
	json_object_set_new(rq, "startedBy", json_string(by.data));
	ecsfs_task_launch l = {rq, NULL};
	if (!sc->tasks)
		r = ecsfs_err_set(&err, ECSFS_E_SERVER, -EIO, "no task runtime");
	else
		r = ecsfs_tasks_start(sc->tasks, e->cluster, &l, ids, &err);
	if (r < 0)
		ecsfs_buf_setf(&f->reason, "%s", err.msg.data);
	json_decref(rq);
	ecsfs_buf_release(&by);
	ecsfs_err_release(&err);
	return r;
}

static int64_t backoff(ecsfs_schedules *sc, int attempts)
{
	int64_t unit = ecsfs__sched_minute(sc) / 60; /* a second, scaled with the minute */

	if (unit < 1)
		unit = 1;
	return attempts > BACKOFF_STEPS ? 60 * unit : (1ll << (attempts - 1)) * unit;
}

static void said_failed(ecsfs_schedules *sc, const ecsfs__sched *e, const ecsfs_fire_row *f)
{
	char d[32];

	iso(f->due_ms, d);
	ecsfs_cluster_event(sc->store, e->cluster,
			    "(schedule %s) failed to start its tasks for the fire of %s after %d "
			    "attempt%s: %s",
			    e->name, d, f->attempts, f->attempts == 1 ? "" : "s", f->reason.data);
}

/* Try one open fire whose time has come, and record what happened. */
static void run_fire(ecsfs_schedules *sc, const ecsfs__sched *e, ecsfs_fire_row *f, int64_t now)
{
	json_t *ids = started_tasks(sc, e, f->due_ms);

	if (!ids && now - f->due_ms > e->def.max_age_ms) {
		f->state = f->attempts ? ECSFS_FIRE_FAILED : ECSFS_FIRE_MISSED;
		f->actual_ms = now;
		ecsfs_buf_addf(&f->reason, "%sit is older than MaximumEventAgeInSeconds (%lld)",
			       f->reason.len ? "; " : "", (long long)(e->def.max_age_ms / 1000));
	} else if (ids || attempt(sc, e, f, &ids) == 0) {
		set_started(f, ids, now);
	} else if (++f->attempts > e->def.retries) {
		f->state = ECSFS_FIRE_FAILED;
		f->actual_ms = now;
	} else {
		f->run_ms = now + backoff(sc, f->attempts);
	}
	json_decref(ids);
	if (ecsfs_store_fire_put(sc->store, e->cluster, e->name, f) < 0)
		return;
	if (f->state != ECSFS_FIRE_PENDING)
		ecsfs_store_fire_trim(sc->store, e->cluster, e->name, ECSFS_SCHEDULE_HISTORY);
	if (f->state == ECSFS_FIRE_STARTED)
		said_started(sc, e, f);
	else if (f->state == ECSFS_FIRE_FAILED)
		said_failed(sc, e, f);
	else if (f->state == ECSFS_FIRE_MISSED)
		said_missed(sc, e, f);
}

typedef struct open_list {
	ecsfs_fire_row *rows;
	size_t n;
} open_list;

static int collect(void *data, const ecsfs_fire_row *f)
{
	open_list *l = data;

	if (!(l->rows = realloc(l->rows, (l->n + 1) * sizeof(*l->rows))))
		abort();
	ecsfs_fire_row *c = &l->rows[l->n++];
	*c = (ecsfs_fire_row){f->due_ms,   f->run_ms,	   f->actual_ms,  f->state,
			      f->attempts, ECSFS_BUF_INIT, ECSFS_BUF_INIT};
	ecsfs_buf_add(&c->tasks, f->tasks.data, f->tasks.len);
	ecsfs_buf_add(&c->reason, f->reason.data, f->reason.len);
	return 0;
}

static void open_release(open_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		ecsfs_fire_row_release(&l->rows[i]);
	free(l->rows);
}

/* Run the open fires whose time has come (now < 0: none, only look), and
 * note when the next one is. */
static void open_pass(ecsfs_schedules *sc, ecsfs__sched *e, int64_t now, bool settle)
{
	open_list l = {NULL, 0};

	e->wake_ms = -1;
	if (ecsfs_store_fire_list(sc->store, e->cluster, e->name, true, collect, &l) < 0) {
		e->wake_ms = now; /* look again soon */
		open_release(&l);
		return;
	}
	for (size_t i = 0; i < l.n; i++) {
		ecsfs_fire_row *f = &l.rows[i];
		json_t *ids;
		if (settle && (ids = started_tasks(sc, e, f->due_ms))) {
			set_started(f, ids, f->run_ms);
			json_decref(ids);
			ecsfs_store_fire_put(sc->store, e->cluster, e->name, f);
		} else if (!settle && f->run_ms <= now) {
			run_fire(sc, e, f, now);
		}
		if (f->state == ECSFS_FIRE_PENDING && (e->wake_ms < 0 || f->run_ms < e->wake_ms))
			e->wake_ms = f->run_ms;
	}
	e->finished = e->finished || l.n > 0;
	open_release(&l);
}

void ecsfs__sched_run_open(ecsfs_schedules *sc, ecsfs__sched *e, int64_t now)
{
	if (e->wake_ms >= 0 && e->wake_ms <= now)
		open_pass(sc, e, now, false);
}

static int any_fire(void *data, const ecsfs_fire_row *f)
{
	*(bool *)data = true;
	return 1;
}

void ecsfs__sched_settle(ecsfs_schedules *sc, ecsfs__sched *e)
{
	bool fired = false;

	open_pass(sc, e, -1, true);
	ecsfs_store_fire_list(sc->store, e->cluster, e->name, false, any_fire, &fired);
	e->finished = fired;
}
