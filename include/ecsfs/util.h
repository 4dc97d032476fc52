/* ecsfs — small shared helpers: names, time, JSON parsing. */
#ifndef ECSFS_UTIL_H
#define ECSFS_UTIL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ecsfs/arn.h"
#include "ecsfs/buf.h"
#include "ecsfs/error.h"

/*
 * Check an ECS resource name (cluster, service, family): [A-Za-z0-9_-],
 * 1 to 255 characters. `what` names the kind in the message. Returns 0, or
 * -EINVAL with a sentence in *why.
 */
int ecsfs_name_check(const char *name, const char *what, ecsfs_buf *why);

/* Current wall-clock time in nanoseconds since the epoch: for what is
 * shown or stored as a date, never for a duration or a timeout. */
int64_t ecsfs_now_ns(void);
/* Nanoseconds of CLOCK_MONOTONIC: for durations and timeouts (a clock set
 * back or forward does not stretch or cut them). Not comparable across
 * boots, so never stored. */
int64_t ecsfs_mono_ns(void);

/* Format `ns` as "2026-11-21T19:50:27.123Z" into out (at least 32 bytes). */
void ecsfs_time_iso(int64_t ns, char out[32]);
/* Set o[key] to that text; nothing when ns is 0 (never happened). */
void ecsfs_json_set_time(json_t *o, const char *key, int64_t ns);

/* ecsfs_time_parse(): a time without a zone is taken as UTC (the caller
 * applies its own zone, as EventBridge's at() does). */
#define ECSFS_TIME_NO_ZONE 0x1u
/*
 * Parse an RFC 3339 time of `len` bytes, "2026-11-21T19:50:27Z", with an
 * optional fraction of up to 9 digits (more are dropped) and "Z" or
 * "+hh:mm"/"-hh:mm"; 't' and 'z' may be lowercase. Sets *ns (nanoseconds
 * since the epoch) and returns 0; -EINVAL for anything else (a 30th of
 * February too), -ERANGE outside 1677..2262.
 */
int ecsfs_time_parse(const char *s, size_t len, unsigned flags, int64_t *ns);
/*
 * A time of a document as milliseconds since the epoch: a number of seconds
 * (fractions kept) or an RFC 3339 string parsed with `flags`; from 1970 to
 * before 2200. 0, or -EINVAL (*ms untouched).
 */
int ecsfs_json_time_ms(const json_t *v, unsigned flags, int64_t *ms);
/* The `n` decimal digits at s as a number, or -1 (a field of a date or time). */
int ecsfs_time_digits(const char *s, int n);

/* The civil calendar (proleptic Gregorian, UTC), for times and schedules. */
int64_t ecsfs_civil_days(int y, int m, int d); /* days since 1970-01-01 */
void ecsfs_civil_from_days(int64_t days, int *y, int *m, int *d);
int ecsfs_civil_mdays(int y, int m); /* days in month m (1-12) of year y */
int ecsfs_civil_wday(int64_t days);  /* 0 = Sunday */

/*
 * Parse a JSON document of `len` bytes. Returns 0 and sets *out (caller
 * decrefs), or -EINVAL with "line L, column C: reason" in *why.
 * A document must be an object.
 */
int ecsfs_json_parse_object(const char *data, size_t len, json_t **out, ecsfs_buf *why);

/*
 * Could `data` still become valid JSON if more bytes were appended? False
 * when a syntax error stands before its end (a write() can fail early).
 */
bool ecsfs_json_prefix_ok(const char *data, size_t len);

/* Judges a whole, parsed document for the file `name`: 0 or -EINVAL + err. */
typedef int (*ecsfs_json_validate_fn)(const char *name, const json_t *doc, ecsfs_err *err);

/*
 * The check of a JSON definition file (`what` names it in messages): at
 * most `max` bytes, text without NULs. Whole (`partial` false): parse, then
 * validate. Partial (the write() of a plain append): a prefix that cannot
 * become JSON is refused; one that is already a complete object can only
 * grow by blanks, so it is validated now and the writer's own write() sees
 * the verdict; anything else waits for more bytes.
 */
int ecsfs_json_check_document(const char *what, const char *name, const char *data, size_t len,
			      size_t max, bool partial, ecsfs_json_validate_fn validate,
			      ecsfs_err *err);
/* The whole check, keeping the parsed document for the caller (*out, to
 * json_decref) when it passes: the apply that follows does not parse again. */
int ecsfs_json_load_document(const char *what, const char *name, const char *data, size_t len,
			     size_t max, ecsfs_json_validate_fn validate, json_t **out,
			     ecsfs_err *err);

/* Append the canonical form of `j` (sorted keys, compact) to `out`. */
void ecsfs_json_canonical(const json_t *j, ecsfs_buf *out);

/* Append `j` pretty-printed (2-space indent, key order kept) plus "\n". */
void ecsfs_json_pretty(const json_t *j, ecsfs_buf *out);

/* A short name for an errno value: "EINVAL", "ENOENT", ... */
const char *ecsfs_errno_name(int err);

#endif
