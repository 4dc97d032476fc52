/* What the live view shows of a schedule: its status (state, expression,
 * zone, the next five fires, the last outcome) and its history. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/util.h"
#include "model/schedule_private.h"

#define NEXT_SHOWN 5

static const char *const state_names[] = {
    [ECSFS_FIRE_PENDING] = "pending",
    [ECSFS_FIRE_STARTED] = "started",
    [ECSFS_FIRE_FAILED] = "failed",
    [ECSFS_FIRE_MISSED] = "missed",
};

/* "2026-12-01T10:00:00-05:00": a time on the schedule's own clock. */
static void local_time(const ecsfs_tz *tz, int64_t ms, ecsfs_buf *out)
{
	int64_t s = ms / 1000, off = ecsfs_tz_offset(tz, s), l = s + off;
	int64_t days = l >= 0 ? l / 86400 : (l - 86399) / 86400, sec = l - days * 86400;
	int y, m, d;

	ecsfs_civil_from_days(days, &y, &m, &d);
	ecsfs_buf_addf(out, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", y, m, d, (int)(sec / 3600),
		       (int)(sec / 60 % 60), (int)(sec % 60), off < 0 ? '-' : '+',
		       (int)(llabs(off) / 3600), (int)(llabs(off) / 60 % 60));
}

static void when(int64_t ms, ecsfs_buf *out)
{
	char t[32];

	ecsfs_time_iso(ms * 1000000, t);
	ecsfs_buf_adds(out, t);
}

/* The outcome of a fire, as history and status say it. */
static void outcome(const ecsfs_fire_row *f, ecsfs_buf *out)
{
	json_t *ids;

	ecsfs_buf_adds(out, state_names[f->state & 3]);
	if (f->state == ECSFS_FIRE_STARTED && (ids = json_loads(f->tasks.data, 0, NULL))) {
		for (size_t i = 0; i < json_array_size(ids); i++)
			ecsfs_buf_addf(out, " %s", json_string_value(json_array_get(ids, i)));
		json_decref(ids);
		return;
	}
	if (f->state == ECSFS_FIRE_PENDING && f->attempts)
		ecsfs_buf_addf(out, " (attempt %d failed: %s)", f->attempts, f->reason.data);
	else if (f->reason.len)
		ecsfs_buf_addf(out, ": %s", f->reason.data);
}

static int history_line(void *data, const ecsfs_fire_row *f)
{
	ecsfs_buf *out = data;

	when(f->due_ms, out);
	ecsfs_buf_addch(out, ' ');
	if (f->actual_ms)
		when(f->actual_ms, out);
	else
		ecsfs_buf_adds(out, "-");
	ecsfs_buf_addch(out, ' ');
	outcome(f, out);
	ecsfs_buf_addch(out, '\n');
	return 0;
}

int ecsfs_schedule_history(ecsfs_schedules *sc, const char *cluster, const char *name,
			   ecsfs_buf *out)
{
	if (!ecsfs__sched_find(sc, cluster, name))
		return -ENOENT;
	return ecsfs_store_fire_list(sc->store, cluster, name, false, history_line, out);
}

typedef struct last_ctx {
	ecsfs_buf line;
	int open;
} last_ctx;

static int last_cb(void *data, const ecsfs_fire_row *f)
{
	last_ctx *c = data;

	if (f->state == ECSFS_FIRE_PENDING) {
		c->open++;
		return 0;
	}
	ecsfs_buf_reset(&c->line);
	when(f->due_ms, &c->line);
	ecsfs_buf_addch(&c->line, ' ');
	outcome(f, &c->line);
	return 0;
}

static void next_lines(ecsfs_schedules *sc, const ecsfs__sched *e, ecsfs_buf *out)
{
	int64_t t = e->next_ms;

	if (!e->def.enabled) {
		ecsfs_buf_adds(out, "next: none (DISABLED)\n");
		return;
	}
	if (t < 0)
		ecsfs_buf_adds(out, "next: none\n");
	for (int i = 0; i < NEXT_SHOWN && t >= 0; i++) {
		ecsfs_buf_adds(out, "next: ");
		when(t, out);
		ecsfs_buf_adds(out, " (");
		local_time(e->def.tz, t, out);
		ecsfs_buf_adds(out, ")\n");
		t = ecsfs__sched_next_due(sc, e, t);
	}
}

static void date_line(const char *key, int64_t ms, ecsfs_buf *out)
{
	if (!ms)
		return;
	ecsfs_buf_addf(out, "%s: ", key);
	when(ms, out);
	ecsfs_buf_addch(out, '\n');
}

int ecsfs_schedule_status(ecsfs_schedules *sc, const char *cluster, const char *name,
			  ecsfs_buf *out)
{
	ecsfs__sched *e = ecsfs__sched_find(sc, cluster, name);
	last_ctx last = {ECSFS_BUF_INIT, 0};
	json_t *doc = NULL;

	if (!e || ecsfs_schedule_describe(sc, cluster, name, &doc) < 0)
		return -ENOENT;
	ecsfs_buf_addf(out, "state: %s\n", e->def.enabled ? "ENABLED" : "DISABLED");
	ecsfs_buf_addf(out, "expression: %s\n",
		       json_string_value(json_object_get(doc, "ScheduleExpression")));
	ecsfs_buf_addf(out, "time_zone: %s\n", ecsfs_tz_name(e->def.tz));
	date_line("start_date", e->def.start_ms, out);
	date_line("end_date", e->def.end_ms, out);
	if (e->def.window_min)
		ecsfs_buf_addf(out, "flexible_window: %lld minutes\n",
			       (long long)e->def.window_min);
	ecsfs_buf_addf(out, "task_definition: %s\n",
		       json_string_value(json_object_get(e->def.request, "taskDefinition")));
	ecsfs_buf_addf(out, "task_count: %lld\n",
		       (long long)json_integer_value(json_object_get(e->def.request, "count")));
	next_lines(sc, e, out);
	ecsfs_store_fire_list(sc->store, cluster, name, false, last_cb, &last);
	ecsfs_buf_addf(out, "last: %s\n", last.line.len ? last.line.data : "none");
	if (last.open)
		ecsfs_buf_addf(out, "waiting: %d fire%s\n", last.open, last.open == 1 ? "" : "s");
	ecsfs_buf_release(&last.line);
	json_decref(doc);
	return 0;
}
