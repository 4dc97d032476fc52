/* ecsfs — scheduled tasks: EventBridge Scheduler's schedules that run ECS
 * tasks on cron(), rate() and at() expressions. */
#ifndef ECSFS_SCHEDULE_H
#define ECSFS_SCHEDULE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "ecsfs/buf.h"
#include "ecsfs/error.h"
#include "ecsfs/service.h"
#include "ecsfs/store.h"
#include "ecsfs/task.h"

/*
 * A schedule is a CreateSchedule document (PascalCase, the cluster implied
 * by where it lives) and the record of its fires. The engine runs on the
 * daemon's loop: it records each fire durably before it starts the fire's
 * tasks through ecsfs_tasks_start(), with startedBy naming the fire, so a
 * daemon killed at any moment neither runs a fire twice nor loses one (a
 * fire recorded but not known to have started is looked up by its
 * startedBy among the cluster's tasks after a restart). Fires that came due
 * while the daemon was down run late while younger than the target's
 * RetryPolicy.MaximumEventAgeInSeconds, and are recorded as missed after.
 */
typedef struct ecsfs_schedules ecsfs_schedules;

#define ECSFS_SCHEDULE_JSON_MAX 65536 /* bytes of a schedule's file */
#define ECSFS_SCHEDULES_MAX	10000 /* schedules, all clusters */
#define ECSFS_SCHEDULE_HISTORY	100   /* fires kept per schedule (history) */
#define ECSFS_SCHEDULE_NAME_MAX 64

/* Told when a schedule appeared, changed or went away (for caches). */
typedef void (*ecsfs_schedules_change_cb)(void *data, const char *cluster, const char *name);

typedef struct ecsfs_schedule_opts {
	int64_t minute_ms; /* the length of a minute for rate() and windows (0: 60000) */
	/* the clock in ms since the epoch (NULL: the wall clock); for tests */
	int64_t (*now_ms)(void *data);
	void *now_data;
	/* the random delay of a FLEXIBLE window, 0..window_ms (NULL: random()) */
	int64_t (*delay_ms)(void *data, int64_t window_ms);
	bool manual; /* no timer: the caller calls ecsfs_schedules_tick() (tests) */
} ecsfs_schedule_opts;

/*
 * Load every schedule from the store, settle fires a previous run left
 * open, and start firing on `loop`. `tasks` starts the fires' tasks (NULL:
 * every fire fails, said in its history). 0 and *out, or -errno + why.
 */
int ecsfs_schedules_new(uv_loop_t *loop, ecsfs_store *store, ecsfs_tasks *tasks,
			const ecsfs_schedule_opts *opts, ecsfs_schedules **out, ecsfs_buf *why);
/* Stop firing and free everything (fires in flight stay recorded). */
void ecsfs_schedules_free(ecsfs_schedules *sc);
void ecsfs_schedules_set_change_cb(ecsfs_schedules *sc, ecsfs_schedules_change_cb cb, void *data);
/* Do what is due now (the timer calls it; tests with `manual` do). */
void ecsfs_schedules_tick(ecsfs_schedules *sc);
/* When the engine wants to be called next (ms since the epoch), or -1. */
int64_t ecsfs_schedules_next_wake(ecsfs_schedules *sc);

/*
 * Check a CreateSchedule document for schedule `name` of `cluster`: the
 * name (1-64 of [0-9A-Za-z-_.]), the fields with their types and ranges
 * (unknown ones refused), the expression (cron/rate/at grammar), the time
 * zone (the system's tzdata), StartDate before EndDate, Target.Arn naming
 * this cluster, Input an overrides document. InvalidParameter -EINVAL
 * naming the field.
 */
int ecsfs_schedule_check(const char *cluster, const char *name, const json_t *doc, ecsfs_err *err);

/*
 * Create or update a schedule. `file` holds the bytes its spec file keeps
 * (NULL: the document pretty, dated now). The same document again changes
 * nothing but the file. Errors: the check's, ClusterNotFound, LimitExceeded
 * (ECSFS_SCHEDULES_MAX), Server.
 */
int ecsfs_schedule_put(ecsfs_schedules *sc, const char *cluster, const char *name,
		       const json_t *doc, const ecsfs_spec_bytes *file, ecsfs_err *err);
/* Delete a schedule, its spec file and its history. ResourceNotFound -ENOENT. */
int ecsfs_schedule_delete(ecsfs_schedules *sc, const char *cluster, const char *name,
			  ecsfs_err *err);
/* 0 when the schedule exists, else -ENOENT. */
int ecsfs_schedule_exists(ecsfs_schedules *sc, const char *cluster, const char *name);
/* Names of a cluster's schedules, in order. */
int ecsfs_schedule_list(ecsfs_schedules *sc, const char *cluster, ecsfs_store_name_cb cb,
			void *data);
/* GetSchedule's output (caller decrefs). -ENOENT. */
int ecsfs_schedule_describe(ecsfs_schedules *sc, const char *cluster, const char *name,
			    json_t **out);
/* "key: value" lines: state, expression, zone, the next five fires, the last outcome. */
int ecsfs_schedule_status(ecsfs_schedules *sc, const char *cluster, const char *name,
			  ecsfs_buf *out);
/* One line per fire, oldest first: scheduled time, actual time, outcome. */
int ecsfs_schedule_history(ecsfs_schedules *sc, const char *cluster, const char *name,
			   ecsfs_buf *out);
/* The directory of a cluster's schedule files: "/spec/clusters/<c>/schedules". */
void ecsfs_schedule_spec_dir(const char *cluster, ecsfs_buf *out);

/* ---- EventBridge Scheduler's names (core/model/schedule_named.c) ----
 * The Scheduler API names a schedule by its group (the document's
 * GroupName, "default" when none) and its name, not by its cluster: the
 * cluster is the one its Target.Arn names. A name is one schedule of its
 * group across every cluster. */

/* The cluster of schedule `name` of `group` (NULL: default) into cluster.
 * ResourceNotFound -ENOENT; ResourceInUse -EEXIST when spec files of
 * several clusters hold it (the message names them). */
int ecsfs_schedule_locate(ecsfs_schedules *sc, const char *group, const char *name,
			  char cluster[256], ecsfs_err *err);
/*
 * CreateSchedule (`create`) or UpdateSchedule: `in` is the request, with
 * Name; Target.Arn (required) names the cluster, the spec file keeps `in`
 * without Name and ClientToken. Create: ResourceInUse -EEXIST when the name
 * is taken in its group, ResourceNotFound for a group no schedule names
 * (there is no CreateScheduleGroup: "default" and the groups files name
 * exist). Update: ResourceNotFound when absent; a Target.Arn of another
 * cluster moves the schedule there. The check's errors otherwise, with the
 * previous schedule unchanged. The schedule's ARN is appended to arn (may
 * be NULL).
 */
int ecsfs_schedule_put_named(ecsfs_schedules *sc, const json_t *in, bool create, ecsfs_buf *arn,
			     ecsfs_err *err);
/* ListSchedules' ScheduleSummary list, by name: of `group` (NULL: all),
 * names starting with `prefix` and State `state` (NULL: any); the page of
 * at most `limit` from position `from`, and in *total how many match (only
 * the page is described, so a page costs what it shows). */
json_t *ecsfs_schedule_summaries(ecsfs_schedules *sc, const char *group, const char *prefix,
				 const char *state, size_t from, size_t limit, size_t *total);
/* The groups that exist, sorted: "default" and every GroupName a schedule names. */
json_t *ecsfs_schedule_groups(ecsfs_schedules *sc);
/* 0 when the group exists, else ResourceNotFound -ENOENT. */
int ecsfs_schedule_group_exists(ecsfs_schedules *sc, const char *group, ecsfs_err *err);

/* ---- EventBridge rules (core/model/schedule_rule.c, schedule_target.c) ----
 * Rules of the default event bus that run on a ScheduleExpression (cron()
 * or rate(); EventPattern is refused: there are no events to match). A
 * rule is a row of its own; its ECS target, one per rule, is the schedule
 * named after the rule in the cluster the target's Arn names
 * (spec/clusters/<c>/schedules/<rule>.json), which the engine fires. While
 * that schedule exists its file is the truth about the target, the
 * expression and the state; a rule without it runs nothing. Errors are
 * InvalidParameter -EINVAL naming the field, ResourceNotFound -ENOENT
 * ("Rule R does not exist on EventBus default."), the schedules' errors. */

/* PutRule: `in` with Name; a rule with a target updates its schedule. */
int ecsfs_rule_put(ecsfs_schedules *sc, const json_t *in, ecsfs_buf *arn, ecsfs_err *err);
/* EnableRule / DisableRule. */
int ecsfs_rule_set_state(ecsfs_schedules *sc, const char *name, bool enabled, ecsfs_err *err);
/* DescribeRule's output (caller decrefs). */
int ecsfs_rule_describe(ecsfs_schedules *sc, const char *name, json_t **out, ecsfs_err *err);
/* ListRules' Rules, by name, of names starting with prefix (NULL: all). */
json_t *ecsfs_rule_list(ecsfs_schedules *sc, const char *prefix);
/* DeleteRule: refused (-EBUSY, "Rule can't be deleted since it has targets.")
 * while its target's schedule exists. */
int ecsfs_rule_delete(ecsfs_schedules *sc, const char *name, ecsfs_err *err);
/*
 * PutTargets: every target is checked first (a bad one fails the call
 * naming Targets[i].field, nothing changed); then each ECS target becomes
 * the rule's schedule, and what cannot be (a target without EcsParameters,
 * which would run nothing; a second ECS target; a schedule of that name
 * that is not the rule's) is an entry of *failed (PutTargets'
 * FailedEntries; caller decrefs).
 */
int ecsfs_rule_put_targets(ecsfs_schedules *sc, const char *name, const json_t *targets,
			   json_t **failed, ecsfs_err *err);
/* RemoveTargets: the rule's target among `ids` (strings) goes with its schedule. */
int ecsfs_rule_remove_targets(ecsfs_schedules *sc, const char *name, const json_t *ids,
			      ecsfs_err *err);
/* ListTargetsByRule's Targets (caller decrefs), from the schedule's file. */
int ecsfs_rule_targets(ecsfs_schedules *sc, const char *name, json_t **out, ecsfs_err *err);

#endif
