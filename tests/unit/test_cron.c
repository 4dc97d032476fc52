/* Schedule expressions: the parser's accepts and refusals, hand-picked next
 * fires (L, W, #, leap years, DST in three zones), our TZif reader against
 * glibc's, and thousands of random expressions against a brute-force
 * oracle that steps minute by minute through glibc's localtime. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ecsfs/cron.h"
#include "ecsfs/util.h"
#include "tap_err.h"

static ecsfs_err err;

static int64_t iso_ms(const char *s)
{
	int64_t ns = 0;
	if (ecsfs_time_parse(s, strlen(s), 0, &ns) < 0)
		printf("# bad time in the test: %s\n", s);
	return ns / 1000000;
}

static const char *ms_iso(int64_t ms, char out[32])
{
	ecsfs_time_iso(ms * 1000000, out);
	return out;
}

/* Next fire of `expr` in zone `zone` after `after`: its ISO text, or "none". */
static const char *next_of(const char *expr, const char *zone, const char *after, char out[64])
{
	ecsfs_cron *c = NULL;
	ecsfs_tz *tz = NULL;
	int64_t next;

	ecsfs_err_reset(&err);
	if (ecsfs_cron_parse(expr, &c, &err) < 0 || ecsfs_tz_load(zone, &tz, &err) < 0) {
		snprintf(out, 64, "error: %s", err.msg.data);
		ecsfs_cron_free(c);
		return out;
	}
	ecsfs_cron_ctx ctx = {tz, iso_ms("2026-01-01T00:00:00Z"), 60000};
	if (ecsfs_cron_next(c, &ctx, iso_ms(after), &next) < 0)
		strcpy(out, "none");
	else
		ms_iso(next, out);
	ecsfs_cron_free(c);
	ecsfs_tz_free(tz);
	return out;
}

static void next_is(const char *expr, const char *zone, const char *after, const char *want)
{
	char got[64];
	is_str(next_of(expr, zone, after, got), want, "%s in %s after %s", expr, zone, after);
}

/* ---- the parser ---- */

static void refused(const char *expr, const char *says)
{
	ecsfs_cron *c = NULL;
	fails(ecsfs_cron_parse(expr, &c, &err), -EINVAL, ECSFS_E_INVALID_PARAMETER, expr);
	ok(strstr(err.msg.data, says) != NULL, "%s: says '%s' (%s)", expr, says, err.msg.data);
	ecsfs_cron_free(c);
}

static void accepted(const char *expr)
{
	ecsfs_cron *c = NULL;
	works(ecsfs_cron_parse(expr, &c, &err), expr);
	ecsfs_cron_free(c);
}

static void test_parse_refusals(void)
{
	refused("cron(61 * * * ? *)", "Minutes: 61 is outside 0-59");
	refused("cron(0 24 * * ? *)", "Hours: 24 is outside 0-23");
	refused("cron(0 0 32 * ? *)", "Day-of-month: 32 is outside 1-31");
	refused("cron(0 0 0 * ? *)", "Day-of-month: 0 is outside 1-31");
	refused("cron(0 0 * 13 ? *)", "Month: 13 is outside 1-12");
	refused("cron(0 0 ? * 8 *)", "Day-of-week: 8 is outside 1-7");
	refused("cron(0 0 ? * 0 *)", "Day-of-week: 0 is outside 1-7");
	refused("cron(0 0 * * ? 2200)", "Year: 2200 is outside 1970-2199");
	refused("cron(0 0 * * ? 1969)", "Year: 1969 is outside");
	refused("cron(0 0 * * * *)", "exactly one of them must be ?");
	refused("cron(0 0 ? * ? *)", "exactly one of them must be ?");
	refused("cron(0 0 5 * MON *)", "exactly one of them must be ?");
	refused("cron(0 0 * * ?)", "Year is missing");
	refused("cron(0 0 * *)", "Day-of-week is missing");
	refused("cron()", "Minutes is missing");
	refused("cron(0 0 * * ? * *)", "not more");
	refused("cron(? 0 * * ? *)", "Minutes: ? is allowed only");
	refused("cron(0 0 ? FOO * *)", "Month: FOO is not a value");
	refused("cron(0 0 ? * FUN *)", "Day-of-week: FUN is not a value");
	refused("cron(0 0 ? MON * *)", "Month: MON is not a value");
	refused("cron(*/0 * * * ? *)", "Minutes: the step in */0 must be");
	refused("cron(*/61 * * * ? *)", "step");
	refused("cron(0/x * * * ? *)", "step");
	refused("cron(0/ * * * ? *)", "step");
	refused("cron(*/00000000000000000000000000000005-10 * * * ? *)", "step"); /* fuzzer's */
	refused("cron(*/99999999999999999999 * * * ? *)", "step");
	refused("cron(0,,5 0 * * ? *)", "Minutes: an item of the list is empty");
	refused("cron(0, 0 * * ? *)", "Minutes: an item of the list is empty");
	refused("cron(,0 0 * * ? *)", "empty");
	refused("cron(0 0 5L * ? *)", "Day-of-month: 5L: L is not allowed");
	refused("cron(0 0 ? * 3W *)", "Day-of-week: 3W: W is not allowed");
	refused("cron(0 0 L * ? *)x", "must end with )");
	refused("cron(0L 0 * * ? *)", "Minutes: 0L: L is not allowed");
	refused("cron(0 0 ? 5W * *)", "Month: 5W: W is not allowed");
	refused("cron(0 0 ? * 2#6 *)", "the number after # must be 1-5");
	refused("cron(0 0 ? * 2#0 *)", "the number after # must be 1-5");
	refused("cron(0 0 ? * 2#12 *)", "the number after # must be 1-5");
	refused("cron(0 0 ? * 9#1 *)", "Day-of-week: 9 is outside 1-7");
	refused("cron(0 0 1#2 * ? *)", "Day-of-month: 1#2: # is not allowed");
	refused("cron(0 0 32W * ? *)", "Day-of-month: 32 is outside 1-31");
	refused("cron(0 0 1,? * ? *)", "? must stand alone");
	refused("cron(0 0 * * ? *", "must end with )");
	refused("cron(1-x 0 * * ? *)", "Minutes: x is not a value");
	refused("cron(-5 0 * * ? *)", "a value is missing");
	refused("cron(5- 0 * * ? *)", "a value is missing");
	refused("cron(0 0 * * ? 2026-2200)", "Year: 2200 is outside");
	refused("rate(1 hours)", "the unit for 1 is hour, not hours");
	refused("rate(1 minutes)", "the unit for 1 is minute, not minutes");
	refused("rate(1 days)", "the unit for 1 is day, not days");
	refused("rate(5 minute)", "the unit for 5 is minutes, not minute");
	refused("rate(2 hour)", "the unit for 2 is hours, not hour");
	refused("rate(0 minutes)", "at least 1");
	refused("rate(5 weeks)", "the unit must be minute(s), hour(s) or day(s)");
	refused("rate(5 Minutes)", "the unit must be");
	refused("rate(-5 minutes)", "takes a whole number and a unit");
	refused("rate(minutes)", "takes a whole number and a unit");
	refused("rate(5)", "takes a whole number and a unit");
	refused("rate(99999999999 minutes)", "takes a whole number");
	refused("at(2026-02-30T00:00:00)", "at() takes a date and time");
	refused("at(2027-02-29T00:00:00)", "at() takes a date and time");
	refused("at(2026-01-01 00:00:00)", "at() takes a date and time");
	refused("at(2026-01-01T24:00:00)", "at() takes");
	refused("at(2026-01-01T00:00:00Z)", "at() takes");
	refused("at(2200-01-01T00:00:00)", "the year 2200 is outside");
	refused("at()", "at() takes");
	refused("weekly", "an expression is cron(...), rate(...) or at(...)");
	refused("", "an expression is");
	refused("CRON(0 0 * * ? *)", "an expression is");
	char big[400];
	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	refused(big, "longer than 256 bytes");
}

static void test_parse_accepts(void)
{
	static const char *const good[] = {
	    "cron(0 10 * * ? *)",
	    "cron(15 12 * * ? *)",
	    "cron(0 18 ? * MON-FRI *)",
	    "cron(0 8 1 * ? *)",
	    "cron(0/15 * * * ? *)",
	    "cron(0/10 * ? * MON-FRI *)",
	    "cron(0/5 8-17 ? * MON-FRI *)",
	    "cron(0 9 ? * 2#1 *)",
	    "cron(0 0 L * ? *)",
	    "cron(0 0 LW * ? *)",
	    "cron(0 0 15W * ? *)",
	    "cron(0 0 ? * 6L *)",
	    "cron(0 0 ? * L *)",
	    "cron(0 0 ? * FRI#3 *)",
	    "cron(0 0 ? * friL *)",
	    "cron(0 0 ? jan-mar sun *)",
	    "cron(0 22-2 * * ? *)",
	    "cron(0 0 ? * FRI-MON *)",
	    "cron(0 0 1,15,L * ? 2026-2030)",
	    "cron(*/7 */5 */3 */2 ? */9)",
	    "cron(0 0 * * ? 2199)",
	    "cron(0  0  *  *  ?  *)",
	    "rate(1 minute)",
	    "rate(5 minutes)",
	    "rate(1 hour)",
	    "rate(12 hours)",
	    "rate(1 day)",
	    "rate(30 days)",
	    "at(2026-12-31T23:59:59)",
	    "at(1970-01-01T00:00:00)",
	    "at(2028-02-29T12:00:00)",
	    "cron(5-10/2,30 0 * * ? *)",
	    "cron(0 0 ? * 1,7 *)",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		accepted(good[i]);
}

/* ---- hand-picked next fires ---- */

static void test_next_basic(void)
{
	next_is("cron(0 10 * * ? *)", "UTC", "2026-05-01T09:00:00Z", "2026-05-01T10:00:00.000Z");
	next_is("cron(0 10 * * ? *)", "UTC", "2026-05-01T10:00:00Z", "2026-05-02T10:00:00.000Z");
	next_is("cron(0 10 * * ? *)", "UTC", "2026-05-01T09:59:59.999Z",
		"2026-05-01T10:00:00.000Z");
	next_is("cron(0/15 * * * ? *)", "UTC", "2026-05-01T09:07:00Z", "2026-05-01T09:15:00.000Z");
	next_is("cron(5/20 * * * ? *)", "UTC", "2026-05-01T09:46:00Z", "2026-05-01T10:05:00.000Z");
	next_is("cron(10-30/10 * * * ? *)", "UTC", "2026-05-01T09:31:00Z",
		"2026-05-01T10:10:00.000Z");
	next_is("cron(0 22-2 * * ? *)", "UTC", "2026-05-01T03:00:00Z", "2026-05-01T22:00:00.000Z");
	next_is("cron(0 22-2 * * ? *)", "UTC", "2026-05-01T23:30:00Z", "2026-05-02T00:00:00.000Z");
	next_is("cron(0 18 ? * MON-FRI *)", "UTC", "2026-05-01T19:00:00Z",
		"2026-05-04T18:00:00.000Z"); /* Friday evening -> Monday */
	next_is("cron(0 0 ? * FRI-MON *)", "UTC", "2026-05-05T00:00:00Z",
		"2026-05-08T00:00:00.000Z"); /* Tuesday -> Friday */
	next_is("cron(0 0 ? * 1,7 *)", "UTC", "2026-05-04T00:00:00Z", "2026-05-09T00:00:00.000Z");
	next_is("cron(0 0 1 JAN ? *)", "UTC", "2026-05-04T00:00:00Z", "2027-01-01T00:00:00.000Z");
	next_is("cron(0 0 * * ? 2025)", "UTC", "2026-05-04T00:00:00Z", "none");
	next_is("cron(0 0 * * ? 2030)", "UTC", "2026-05-04T00:00:00Z", "2030-01-01T00:00:00.000Z");
	next_is("cron(0 0 1 1 ? 2199)", "UTC", "2199-01-01T00:00:00Z", "none");
	next_is("cron(59 23 31 12 ? 2199)", "UTC", "2199-06-01T00:00:00Z",
		"2199-12-31T23:59:00.000Z");
	next_is("cron(0 12 * * ? *)", "Asia/Kathmandu", "2026-05-01T00:00:00Z",
		"2026-05-01T06:15:00.000Z");
	next_is("cron(0 9 * * ? *)", "Asia/Tokyo", "2026-05-01T00:00:00Z",
		"2026-05-02T00:00:00.000Z");
	next_is("cron(0 0 * * ? *)", "Etc/GMT+5", "2026-05-01T00:00:00Z",
		"2026-05-01T05:00:00.000Z");
}

static void test_next_days(void)
{
	next_is("cron(0 12 L * ? *)", "UTC", "2024-02-01T00:00:00Z", "2024-02-29T12:00:00.000Z");
	next_is("cron(0 12 L * ? *)", "UTC", "2023-02-01T00:00:00Z", "2023-02-28T12:00:00.000Z");
	next_is("cron(0 12 L * ? *)", "UTC", "2026-04-30T12:00:00Z", "2026-05-31T12:00:00.000Z");
	next_is("cron(0 0 LW * ? *)", "UTC", "2026-08-01T00:00:00Z", "2026-08-31T00:00:00.000Z");
	next_is("cron(0 0 LW * ? *)", "UTC", "2026-01-01T00:00:00Z", "2026-01-30T00:00:00.000Z");
	next_is("cron(0 0 LW * ? *)", "UTC", "2026-05-01T00:00:00Z", "2026-05-29T00:00:00.000Z");
	next_is("cron(0 0 15W * ? *)", "UTC", "2026-08-01T00:00:00Z", "2026-08-14T00:00:00.000Z");
	next_is("cron(0 0 15W * ? *)", "UTC", "2026-11-01T00:00:00Z", "2026-11-16T00:00:00.000Z");
	next_is("cron(0 0 15W * ? *)", "UTC", "2026-12-01T00:00:00Z", "2026-12-15T00:00:00.000Z");
	next_is("cron(0 0 1W * ? *)", "UTC", "2026-07-31T00:00:00Z", "2026-08-03T00:00:00.000Z");
	next_is("cron(0 0 1W * ? *)", "UTC", "2026-02-01T00:00:00Z", "2026-02-02T00:00:00.000Z");
	next_is("cron(0 0 31W * ? *)", "UTC", "2026-01-01T00:00:00Z", "2026-01-30T00:00:00.000Z");
	next_is("cron(0 0 31W * ? *)", "UTC", "2026-05-01T00:00:00Z", "2026-05-29T00:00:00.000Z");
	next_is("cron(0 0 31W * ? *)", "UTC", "2026-04-01T00:00:00Z", "2026-05-29T00:00:00.000Z");
	next_is("cron(0 0 30W 2 ? *)", "UTC", "2026-01-01T00:00:00Z", "none");
	next_is("cron(0 0 ? * 6#3 *)", "UTC", "2026-01-01T00:00:00Z", "2026-01-16T00:00:00.000Z");
	next_is("cron(0 0 ? * 2#5 *)", "UTC", "2026-01-01T00:00:00Z", "2026-03-30T00:00:00.000Z");
	next_is("cron(0 0 ? * 2#1 *)", "UTC", "2026-01-01T00:00:00Z", "2026-01-05T00:00:00.000Z");
	next_is("cron(0 0 ? * 6L *)", "UTC", "2026-01-01T00:00:00Z", "2026-01-30T00:00:00.000Z");
	next_is("cron(0 0 ? * 1L *)", "UTC", "2026-02-01T00:00:00Z", "2026-02-22T00:00:00.000Z");
	next_is("cron(0 0 ? * L *)", "UTC", "2026-01-01T00:00:00Z", "2026-01-03T00:00:00.000Z");
	next_is("cron(0 0 29 2 ? *)", "UTC", "2025-01-01T00:00:00Z", "2028-02-29T00:00:00.000Z");
	next_is("cron(0 0 29 2 ? 2100)", "UTC", "2025-01-01T00:00:00Z", "none");
	next_is("cron(0 0 29 2 ? 2096-2104)", "UTC", "2096-03-01T00:00:00Z",
		"2104-02-29T00:00:00.000Z");
	next_is("cron(0 0 29 2 ? *)", "UTC", "2096-03-01T00:00:00Z", "2104-02-29T00:00:00.000Z");
	next_is("cron(0 0 29 2 ? *)", "UTC", "2197-03-01T00:00:00Z", "none");
	next_is("cron(0 0 31 * ? *)", "UTC", "2026-04-01T00:00:00Z", "2026-05-31T00:00:00.000Z");
	next_is("cron(0 0 31 2 ? *)", "UTC", "2026-04-01T00:00:00Z", "none");
	next_is("cron(0 0 1,15,L * ? *)", "UTC", "2026-02-16T00:00:00Z",
		"2026-02-28T00:00:00.000Z");
}

static void test_next_dst(void)
{
	/* New York 2026: 02:00 EST -> 03:00 EDT on 8 March, 02:00 EDT -> 01:00 EST on 1 November */
	next_is("cron(30 2 * * ? *)", "America/New_York", "2026-03-07T12:00:00Z",
		"2026-03-09T06:30:00.000Z");
	next_is("cron(0 3 * * ? *)", "America/New_York", "2026-03-07T12:00:00Z",
		"2026-03-08T07:00:00.000Z");
	next_is("cron(59 1 * * ? *)", "America/New_York", "2026-03-07T12:00:00Z",
		"2026-03-08T06:59:00.000Z");
	next_is("cron(30 1 * * ? *)", "America/New_York", "2026-11-01T00:00:00Z",
		"2026-11-01T05:30:00.000Z");
	next_is("cron(30 1 * * ? *)", "America/New_York", "2026-11-01T05:30:00Z",
		"2026-11-02T06:30:00.000Z");
	next_is("cron(*/30 * * * ? *)", "America/New_York", "2026-11-01T05:45:00Z",
		"2026-11-01T07:00:00.000Z");
	next_is("cron(0 * * * ? *)", "America/New_York", "2026-11-01T05:00:00Z",
		"2026-11-01T07:00:00.000Z");
	next_is("cron(0 * * * ? *)", "America/New_York", "2026-03-08T06:00:00Z",
		"2026-03-08T07:00:00.000Z");
	next_is("cron(0 12 * * ? *)", "America/New_York", "2026-11-01T00:00:00Z",
		"2026-11-01T17:00:00.000Z");
	next_is("at(2026-03-08T02:30:00)", "America/New_York", "2026-01-01T00:00:00Z", "none");
	next_is("at(2026-11-01T01:30:00)", "America/New_York", "2026-01-01T00:00:00Z",
		"2026-11-01T05:30:00.000Z");
	next_is("at(2026-12-01T10:00:00)", "America/New_York", "2026-01-01T00:00:00Z",
		"2026-12-01T15:00:00.000Z");
	next_is("at(2026-12-01T10:00:00)", "America/New_York", "2026-12-01T15:00:00Z", "none");
	/* London 2026: 01:00 GMT -> 02:00 BST on 29 March, 02:00 BST -> 01:00 GMT on 25 October */
	next_is("cron(30 1 * * ? *)", "Europe/London", "2026-03-28T12:00:00Z",
		"2026-03-30T00:30:00.000Z");
	next_is("cron(30 1 * * ? *)", "Europe/London", "2026-10-25T00:00:00Z",
		"2026-10-25T00:30:00.000Z");
	next_is("cron(30 1 * * ? *)", "Europe/London", "2026-10-25T00:30:00Z",
		"2026-10-26T01:30:00.000Z");
	next_is("cron(0 2 * * ? *)", "Europe/London", "2026-10-25T00:30:00Z",
		"2026-10-25T02:00:00.000Z");
	next_is("cron(0 9 ? * MON *)", "Europe/London", "2026-03-28T00:00:00Z",
		"2026-03-30T08:00:00.000Z");
	/* Lord Howe 2026: +10:30 -> +11 at 02:00 on 4 October, +11 -> +10:30 at 02:00 on 5 April */
	next_is("cron(15 2 * * ? *)", "Australia/Lord_Howe", "2026-10-03T00:00:00Z",
		"2026-10-04T15:15:00.000Z");
	next_is("cron(45 2 * * ? *)", "Australia/Lord_Howe", "2026-10-03T00:00:00Z",
		"2026-10-03T15:45:00.000Z");
	next_is("cron(45 1 * * ? *)", "Australia/Lord_Howe", "2026-04-04T12:00:00Z",
		"2026-04-04T14:45:00.000Z");
	next_is("cron(45 1 * * ? *)", "Australia/Lord_Howe", "2026-04-04T14:45:00Z",
		"2026-04-05T15:15:00.000Z");
	next_is("cron(0/10 1 * * ? *)", "Australia/Lord_Howe", "2026-04-04T14:55:00Z",
		"2026-04-05T14:30:00.000Z");
	/* Beyond the table: 2150 comes from the footer's POSIX rule */
	next_is("cron(30 2 * * ? *)", "America/New_York", "2150-03-07T12:00:00Z",
		"2150-03-09T06:30:00.000Z");
}

static void test_rate(void)
{
	ecsfs_cron *c = NULL;
	int64_t next = 0, a = iso_ms("2026-05-01T10:00:00Z");
	ecsfs_tz *utc = ecsfs_tz_utc();
	ecsfs_cron_ctx ctx = {utc, a, 60000};

	works(ecsfs_cron_parse("rate(5 minutes)", &c, &err), "rate(5 minutes)");
	is_int(ecsfs_cron_kind_of(c), ECSFS_CRON_RATE, "a rate");
	is_int(ecsfs_cron_rate_minutes(c), 5, "5 minutes");
	is_int(ecsfs_cron_next(c, &ctx, a - 1, &next), 0, "before the anchor");
	is_int(next, a, "the anchor is the first fire");
	ecsfs_cron_next(c, &ctx, a, &next);
	is_int(next, a + 300000, "then every 5 minutes");
	ecsfs_cron_next(c, &ctx, a + 299999, &next);
	is_int(next, a + 300000, "not before");
	ecsfs_cron_next(c, &ctx, a + 300000, &next);
	is_int(next, a + 600000, "strictly after");
	ctx.minute_ms = 100;
	ecsfs_cron_next(c, &ctx, a + 1, &next);
	is_int(next, a + 500, "a shortened minute");
	ecsfs_cron_free(c);
	works(ecsfs_cron_parse("rate(2 days)", &c, &err), "rate(2 days)");
	is_int(ecsfs_cron_rate_minutes(c), 2880, "2 days");
	ecsfs_cron_free(c);
	works(ecsfs_cron_parse("rate(1 hour)", &c, &err), "rate(1 hour)");
	is_int(ecsfs_cron_rate_minutes(c), 60, "1 hour");
	ecsfs_cron_free(c);
	ecsfs_tz_free(utc);
}

static void test_tz_names(void)
{
	ecsfs_tz *tz = NULL;
	fails(ecsfs_tz_load("Mars/Olympus_Mons", &tz, &err), -EINVAL, ECSFS_E_INVALID_PARAMETER,
	      "an unknown zone");
	ok(strstr(err.msg.data, "Mars/Olympus_Mons is not a time zone") != NULL, "%s",
	   err.msg.data);
	fails(ecsfs_tz_load("../../etc/passwd", &tz, &err), -EINVAL, ECSFS_E_INVALID_PARAMETER,
	      "a path is no zone");
	fails(ecsfs_tz_load("/etc/passwd", &tz, &err), -EINVAL, ECSFS_E_INVALID_PARAMETER,
	      "an absolute path is no zone");
	fails(ecsfs_tz_load("", &tz, &err), -EINVAL, ECSFS_E_INVALID_PARAMETER, "empty");
	fails(ecsfs_tz_load("America", &tz, &err), -EINVAL, ECSFS_E_INVALID_PARAMETER,
	      "a directory is no zone");
	fails(ecsfs_tz_load("zone.tab", &tz, &err), -EINVAL, ECSFS_E_INVALID_PARAMETER,
	      "a table is no zone");
	if (access("/usr/share/zoneinfo/right/UTC", R_OK) == 0)
		fails(ecsfs_tz_load("right/UTC", &tz, &err), -EINVAL, ECSFS_E_INVALID_PARAMETER,
		      "a zone that counts leap seconds is refused");
	works(ecsfs_tz_load("UTC", &tz, &err), "UTC");
	is_int(ecsfs_tz_offset(tz, 1700000000), 0, "UTC is +0");
	ecsfs_tz_free(tz);
	works(ecsfs_tz_load("Europe/Dublin", &tz, &err), "Dublin (negative DST in its rule)");
	is_str(ecsfs_tz_name(tz), "Europe/Dublin", "the name");
	ecsfs_tz_free(tz);
}

#include "test_cron_oracle.h"

int main(void)
{
	ecsfs_err_init(&err);
	test_parse_refusals();
	test_parse_accepts();
	test_next_basic();
	test_next_days();
	test_next_dst();
	test_rate();
	test_tz_names();
	test_tz_against_glibc();
	test_oracle();
	ecsfs_err_release(&err);
	return tap_done();
}
