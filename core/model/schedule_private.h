/* What the schedule model (core/model/schedule*.c) and the firing engine
 * (core/control/schedule*.c) share. */
#ifndef ECSFS_SCHEDULE_PRIVATE_H
#define ECSFS_SCHEDULE_PRIVATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "ecsfs/cron.h"
#include "ecsfs/schedule.h"

#define ECSFS__SCHED_RETRIES_DEFAULT 185   /* RetryPolicy.MaximumRetryAttempts */
#define ECSFS__SCHED_AGE_DEFAULT     86400 /* RetryPolicy.MaximumEventAgeInSeconds */

/* A schedule's document, read for the engine. */
typedef struct ecsfs__sched_def {
	ecsfs_cron *expr;
	ecsfs_tz *tz;
	int64_t start_ms, end_ms; /* 0: none */
	bool enabled;
	int64_t window_min; /* FLEXIBLE's MaximumWindowInMinutes, 0 for OFF */
	int retries;	    /* MaximumRetryAttempts */
	int64_t max_age_ms; /* MaximumEventAgeInSeconds */
	bool delete_after;  /* ActionAfterCompletion DELETE */
	json_t *request;    /* the RunTask request of a fire, startedBy not yet set */
} ecsfs__sched_def;

/* One schedule in memory. */
typedef struct ecsfs__sched {
	struct ecsfs__sched *next;
	char cluster[256];
	char name[ECSFS_SCHEDULE_NAME_MAX + 1];
	int64_t created_ms;
	int64_t cursor_ms; /* due times up to here are recorded (or not to be fired) */
	int64_t next_ms;   /* the next due time after the cursor, -1 when none */
	int64_t wake_ms;   /* the earliest run_ms of its open fires, -1 when none */
	ecsfs__sched_def def;
	bool finished; /* no fire is left to come or to finish */
	bool stuck;    /* its deletion failed (a store fault): not tried again */
} ecsfs__sched;

struct ecsfs_schedules {
	uv_loop_t *loop;
	ecsfs_store *store;
	ecsfs_tasks *tasks;
	ecsfs_schedule_opts opts;
	uv_timer_t *timer; /* NULL with opts.manual; freed in its close callback */
	ecsfs__sched *list;
	ecsfs_schedules_change_cb change_cb;
	void *change_data;
	bool in_tick;
	uint64_t rng; /* FLEXIBLE delays: our own generator, not the process's random() */
};

/* Read a checked document into *def (ecsfs__sched_def_release() it).
 * 0, or -EINVAL + err for what only a second look finds. */
int ecsfs__sched_def_read(const char *name, const json_t *doc, ecsfs__sched_def *def,
			  ecsfs_err *err);
void ecsfs__sched_def_release(ecsfs__sched_def *def);
/* A StartDate or EndDate: an RFC 3339 string (no zone: UTC) or epoch
 * seconds. 0 and *ms, or -EINVAL. */
int ecsfs__sched_date(const json_t *v, int64_t *ms);

/* The clock and the unit of the engine. */
int64_t ecsfs__sched_now(const ecsfs_schedules *sc);
int64_t ecsfs__sched_minute(const ecsfs_schedules *sc);
/* The first due time of a schedule after `after_ms` within its dates, or -1. */
int64_t ecsfs__sched_next_due(const ecsfs_schedules *sc, const ecsfs__sched *e, int64_t after_ms);
ecsfs__sched *ecsfs__sched_find(ecsfs_schedules *sc, const char *cluster, const char *name);

/* Control: a schedule's document was put (new or changed) or went away. */
int ecsfs__sched_load(ecsfs_schedules *sc, const char *cluster, const char *name);
void ecsfs__sched_forget(ecsfs_schedules *sc, const char *cluster, const char *name);
void ecsfs__sched_changed(ecsfs_schedules *sc, const char *cluster, const char *name);
/* Arm the timer for the earliest thing to do. */
void ecsfs__sched_arm(ecsfs_schedules *sc);

/* Fires (schedule_fire.c): record what came due, run what is open. */
void ecsfs__sched_record_due(ecsfs_schedules *sc, ecsfs__sched *e, int64_t now);
void ecsfs__sched_run_open(ecsfs_schedules *sc, ecsfs__sched *e, int64_t now);
/* After a restart: fires left PENDING whose tasks did start become STARTED. */
void ecsfs__sched_settle(ecsfs_schedules *sc, ecsfs__sched *e);
/* startedBy of a fire: "schedule/<name>/<due ms>". */
void ecsfs__sched_started_by(const ecsfs__sched *e, int64_t due_ms, ecsfs_buf *out);

/* Rules (schedule_rule.c) for their targets (schedule_target.c): the row
 * of a rule, its target's schedule when it exists (with its cluster), the
 * rule's fields onto a schedule document, the rule for names and ids. */
int ecsfs__rule_get(ecsfs_schedules *sc, const char *name, int64_t *created, json_t **doc,
		    ecsfs_err *err);
int ecsfs__rule_save(ecsfs_schedules *sc, const char *name, int64_t created, const json_t *doc,
		     ecsfs_err *err);
json_t *ecsfs__rule_target(ecsfs_schedules *sc, const char *name, const json_t *rule,
			   char cluster[256]);
void ecsfs__rule_onto(const json_t *rule, json_t *doc);
int ecsfs__rule_id_rule(const char *s, const char *what, ecsfs_buf *why);

#endif
