/* Time: the clock, ISO-8601 / RFC 3339 text out and in. */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "ecsfs/util.h"

int64_t ecsfs_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void ecsfs_time_iso(int64_t ns, char out[32])
{
	time_t s = (time_t)(ns / 1000000000);
	struct tm tm;
	char head[24];
	gmtime_r(&s, &tm);
	strftime(head, sizeof(head), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 32, "%.19s.%03uZ", head, (unsigned)((ns / 1000000) % 1000));
}

void ecsfs_json_set_time(json_t *o, const char *key, int64_t ns)
{
	char iso[32];

	if (!ns)
		return;
	ecsfs_time_iso(ns, iso);
	json_object_set_new(o, key, json_string(iso));
}

/* ---- parsing ---- */

/* `n` decimal digits at s, or -1. */
static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar. */
static int64_t days_since_epoch(int y, int m, int d)
{
	static const int before[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
	/* whole 400-year cycles keep the count of leap days exact */
	int64_t cycles = (y >= 0 ? y : y - 399) / 400, yc = y - cycles * 400;
	int64_t days =
	    cycles * 146097 + yc * 365 + (yc + 3) / 4 - (yc + 99) / 100 + (yc + 399) / 400;

	days += before[m - 1] + (m > 2 && leap(y)) + d - 1;
	return days - 719528; /* days from 0000-01-01 to 1970-01-01 */
}

/* "YYYY-MM-DDTHH:MM:SS" at s (19 bytes): seconds since the epoch. */
static int parse_civil(const char *s, int64_t *secs)
{
	static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
	int h = digits(s + 11, 2), mi = digits(s + 14, 2), sec = digits(s + 17, 2);

	if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' ||
	    s[16] != ':')
		return -EINVAL;
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && !leap(y)) || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 ||
	    sec > 60)
		return -EINVAL;
	*secs = days_since_epoch(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	return 0;
}

/* The zone at s[i..n): "Z", "+hh:mm", "-hh:mm" (or none, when allowed). */
static int parse_zone(const char *s, size_t i, size_t n, unsigned flags, int64_t *off)
{
	int hh, mm;

	*off = 0;
	if (i == n)
		return (flags & ECSFS_TIME_NO_ZONE) ? 0 : -EINVAL;
	if (i + 1 == n && (s[i] == 'Z' || s[i] == 'z'))
		return 0;
	if (i + 6 != n || (s[i] != '+' && s[i] != '-') || s[i + 3] != ':')
		return -EINVAL;
	hh = digits(s + i + 1, 2);
	mm = digits(s + i + 4, 2);
	if (hh < 0 || hh > 23 || mm < 0 || mm > 59)
		return -EINVAL;
	*off = (hh * 3600 + mm * 60) * (s[i] == '-' ? -1 : 1);
	return 0;
}

int ecsfs_time_parse(const char *s, size_t n, unsigned flags, int64_t *out)
{
	int64_t secs, frac = 0, off;
	size_t i = 19;
	int nd = 0, r;

	if (n < 19 || (r = parse_civil(s, &secs)) < 0)
		return -EINVAL;
	if (i < n && s[i] == '.') {
		/* digits past nanoseconds are dropped */
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, nd++)
			if (nd < 9)
				frac = frac * 10 + (s[i] - '0');
		if (nd == 0)
			return -EINVAL;
	}
	for (; nd < 9; nd++)
		frac *= 10;
	if ((r = parse_zone(s, i, n, flags, &off)) < 0)
		return r;
	secs -= off;
	/* int64 nanoseconds reach from 1677-09-21 to 2262-04-11 */
	if (secs <= -9223372036LL || secs >= 9223372036LL)
		return -ERANGE;
	*out = secs * 1000000000 + frac;
	return 0;
}
