/* Time: the clock, ISO-8601 / RFC 3339 text out and in. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ecsfs/util.h"

int64_t ecsfs_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t ecsfs_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
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

int ecsfs_time_digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* ---- the calendar ---- */

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int ecsfs_civil_mdays(int y, int m)
{
	static const int md[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return md[m - 1] + (m == 2 && leap(y));
}

/* After Howard Hinnant's days_from_civil: eras of 400 years. */
int64_t ecsfs_civil_days(int y, int m, int d)
{
	int64_t yy = y - (m <= 2);
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void ecsfs_civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

int ecsfs_civil_wday(int64_t days)
{
	int64_t w = (days + 4) % 7; /* 1970-01-01 was a Thursday */
	return (int)(w < 0 ? w + 7 : w);
}

/* "YYYY-MM-DDTHH:MM:SS" at s (19 bytes): seconds since the epoch. */
static int parse_civil(const char *s, int64_t *secs)
{
	int y = ecsfs_time_digits(s, 4), mo = ecsfs_time_digits(s + 5, 2);
	int d = ecsfs_time_digits(s + 8, 2), h = ecsfs_time_digits(s + 11, 2);
	int mi = ecsfs_time_digits(s + 14, 2), sec = ecsfs_time_digits(s + 17, 2);

	if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' ||
	    s[16] != ':')
		return -EINVAL;
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > ecsfs_civil_mdays(y, mo) || h < 0 ||
	    h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60)
		return -EINVAL;
	*secs = ecsfs_civil_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
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
	hh = ecsfs_time_digits(s + i + 1, 2);
	mm = ecsfs_time_digits(s + i + 4, 2);
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

int ecsfs_json_time_ms(const json_t *v, unsigned flags, int64_t *ms)
{
	const char *s = json_string_value(v);
	int64_t ns;

	if (json_is_number(v)) {
		double d = json_number_value(v);
		if (d < 0 || d > 7258118400.0) /* 2200-01-01 */
			return -EINVAL;
		*ms = (int64_t)(d * 1000);
		return 0;
	}
	if (!s || ecsfs_time_parse(s, strlen(s), flags, &ns) < 0 || ns < 0)
		return -EINVAL;
	*ms = ns / 1000000;
	return 0;
}
