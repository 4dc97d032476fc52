/* ecsfs — EventBridge Scheduler's schedule expressions (cron, rate, at) and
 * the time zones they are computed in. */
#ifndef ECSFS_CRON_H
#define ECSFS_CRON_H

#include <stdbool.h>
#include <stdint.h>

#include "ecsfs/error.h"
#include "ecsfs/shape.h"

/*
 * A time zone read from the system's tzdata (/usr/share/zoneinfo, TZif
 * version 2 or later, with the POSIX rule of its footer for times past the
 * last transition). The reader is our own and never touches the process's
 * TZ or localtime(): the daemon has several threads, and setenv("TZ")
 * beside another thread's getenv() is a race glibc does not guard.
 * Times are seconds since the epoch; offsets seconds east of UTC.
 */
typedef struct ecsfs_tz ecsfs_tz;

/* bytes of an IANA name (ScheduleExpressionTimezone's own limit is 50) */
#define ECSFS_TZ_NAME_MAX 64

/*
 * Load zone `name` ("America/New_York", "UTC", "Etc/GMT+5"). 0 and *out
 * (ecsfs_tz_free() it); InvalidParameter -EINVAL for a name that is not a
 * zone of the system's tzdata, or a file that is not TZif.
 */
int ecsfs_tz_load(const char *name, ecsfs_tz **out, ecsfs_err *err);
/* UTC, without any file. */
ecsfs_tz *ecsfs_tz_utc(void);
void ecsfs_tz_free(ecsfs_tz *tz);
const char *ecsfs_tz_name(const ecsfs_tz *tz);
/* The offset in effect at instant `t`. */
int32_t ecsfs_tz_offset(const ecsfs_tz *tz, int64_t t);
/*
 * The instant local wall time `local` (seconds since 1970-01-01T00:00 of
 * the zone's clock) stands for: 0 and *t; when the clock shows it twice
 * (fall back), the first. -ENOENT when the clock skips it (spring forward).
 */
int ecsfs_tz_resolve(const ecsfs_tz *tz, int64_t local, int64_t *t);

/*
 * A parsed ScheduleExpression:
 *   cron(Minutes Hours Day-of-month Month Day-of-week Year)
 *     fields take `,` lists, `a-b` ranges (wrapping: FRI-MON, 22-2),
 *     `*`, `x/n` and `a-b/n` steps; Day-of-month also `?`, `L`, `LW`, `nW`;
 *     Day-of-week also `?`, `L` (Saturday), `nL` (the last weekday n of
 *     the month), `n#k` (its k-th, 1..5); months JAN-DEC, weekdays SUN-SAT
 *     or 1-7 with 1 = Sunday; years 1970-2199; exactly one of
 *     Day-of-month and Day-of-week is `?`.
 *   rate(N unit) with unit minute|hour|day for N = 1 and minutes|hours|days
 *     above; fires every N units from an anchor (StartDate or creation).
 *   at(yyyy-mm-ddThh:mm:ss) once, in the schedule's time zone.
 */
typedef struct ecsfs_cron ecsfs_cron;

typedef enum ecsfs_cron_kind {
	ECSFS_CRON_CRON,
	ECSFS_CRON_RATE,
	ECSFS_CRON_AT,
} ecsfs_cron_kind;

#define ECSFS_CRON_YEAR_MIN 1970
#define ECSFS_CRON_YEAR_MAX 2199
#define ECSFS_CRON_EXPR_MAX 256 /* ScheduleExpression's limit */

/*
 * Parse `expr`. 0 and *out (ecsfs_cron_free() it); InvalidParameter -EINVAL
 * with a message naming the field and the reason ("cron(61 * * * ? *):
 * Minutes: 61 is outside 0-59").
 */
int ecsfs_cron_parse(const char *expr, ecsfs_cron **out, ecsfs_err *err);
void ecsfs_cron_free(ecsfs_cron *c);
ecsfs_cron_kind ecsfs_cron_kind_of(const ecsfs_cron *c);
/* rate(): the period in units of a minute (1 minute = 1, 1 day = 1440). */
int64_t ecsfs_cron_rate_minutes(const ecsfs_cron *c);

/* What a next fire is computed against. */
typedef struct ecsfs_cron_ctx {
	const ecsfs_tz *tz; /* cron() and at(): the zone of their clock */
	int64_t anchor_ms;  /* rate(): the first fire (StartDate, or the schedule's creation) */
	int64_t minute_ms;  /* rate(): the length of a minute (60000; shorter in tests) */
} ecsfs_cron_ctx;

/*
 * The first fire strictly after `after_ms` (milliseconds since the epoch):
 * 0 and *next_ms, or -ENOENT when there is none (an at() in the past, a
 * cron() whose years are over, a local time the clock always skips).
 */
int ecsfs_cron_next(const ecsfs_cron *c, const ecsfs_cron_ctx *ctx, int64_t after_ms,
		    int64_t *next_ms);

/* Shape-checker hooks of a field that holds an expression (parsed with
 * ecsfs_cron_parse) or an IANA zone name (ecsfs_tz_load): the parser's
 * message names the reason. For schedules, scaling actions and the like. */
int ecsfs_cron_shape_expression(ecsfs_shape_ctx *c, const json_t *v);
int ecsfs_cron_shape_zone(ecsfs_shape_ctx *c, const json_t *v);

/* The civil calendar (ecsfs_civil_days & co.) is in ecsfs/util.h. */

#endif
