/* Time zones from the system's tzdata: our own TZif reader (RFC 8536) and
 * the POSIX TZ rule of its footer. See ecsfs/cron.h for why not localtime. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ecsfs/cron.h"
#include "ecsfs/util.h"

#define ZONEINFO     "/usr/share/zoneinfo/"
#define TZIF_MAX     (1 << 20) /* bytes of a zone file we read */
#define TZIF_HEADER  44
#define DEFAULT_TIME 7200 /* a POSIX rule's change without /time: 02:00 */

/* One end of a POSIX daylight-saving rule: Jn, n or Mm.w.d, then /time. */
typedef struct rule_day {
	char form; /* 'J', 'N' (zero-based day), 'M' */
	int n, m, w, d;
	int32_t time; /* seconds after local midnight (may be negative or > 24 h) */
} rule_day;

struct ecsfs_tz {
	char name[ECSFS_TZ_NAME_MAX];
	size_t ntimes, ntypes;
	int64_t *times;
	uint8_t *idx;
	int32_t *offs;
	bool has_rule; /* the footer's rule holds after the last transition */
	bool rule_dst; /* ... and it has daylight saving */
	int32_t std_off, dst_off;
	rule_day start, end;
};

const char *ecsfs_tz_name(const ecsfs_tz *tz)
{
	return tz->name;
}

void ecsfs_tz_free(ecsfs_tz *tz)
{
	if (!tz)
		return;
	free(tz->times);
	free(tz->idx);
	free(tz->offs);
	free(tz);
}

ecsfs_tz *ecsfs_tz_utc(void)
{
	ecsfs_tz *tz = calloc(1, sizeof(*tz));

	if (!tz)
		abort();
	strcpy(tz->name, "UTC");
	tz->has_rule = true;
	return tz;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* ---- the POSIX rule ---- */

/* The day (since the epoch) a rule end falls on in year y. */
static int64_t rule_date(const rule_day *r, int y)
{
	int64_t jan1 = ecsfs_civil_days(y, 1, 1);

	if (r->form == 'J')
		return jan1 + r->n - 1 + (ecsfs_civil_mdays(y, 2) == 29 && r->n >= 60);
	if (r->form == 'N')
		return jan1 + r->n;
	int64_t first = ecsfs_civil_days(y, r->m, 1);
	int day = 1 + (r->d - ecsfs_civil_wday(first) + 7) % 7 + (r->w - 1) * 7;
	while (day > ecsfs_civil_mdays(y, r->m))
		day -= 7;
	return first + day - 1;
}

static int32_t rule_offset(const ecsfs_tz *tz, int64_t t)
{
	if (!tz->rule_dst)
		return tz->std_off;
	int y, m, d;
	ecsfs_civil_from_days(floor_div(t + tz->std_off, 86400), &y, &m, &d);
	int64_t s = rule_date(&tz->start, y) * 86400 + tz->start.time - tz->std_off;
	int64_t e = rule_date(&tz->end, y) * 86400 + tz->end.time - tz->dst_off;
	bool dst = s < e ? (t >= s && t < e) : !(t >= e && t < s);
	return dst ? tz->dst_off : tz->std_off;
}

/* A number at *p (at most `max`), advancing; -1 when there is none. */
static long posix_num(const char **p, long max)
{
	long v = 0;
	const char *s = *p;

	if (*s < '0' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (*s++ - '0');
		if (v > max)
			return -1;
	}
	*p = s;
	return v;
}

/* [+-]hh[:mm[:ss]] as seconds; false when malformed. */
static bool posix_time(const char **p, long max_h, int32_t *out)
{
	int sign = 1;
	long h, m = 0, s = 0;

	if (**p == '+' || **p == '-')
		sign = *(*p)++ == '-' ? -1 : 1;
	if ((h = posix_num(p, max_h)) < 0)
		return false;
	if (**p == ':') {
		(*p)++;
		if ((m = posix_num(p, 59)) < 0)
			return false;
		if (**p == ':') {
			(*p)++;
			if ((s = posix_num(p, 59)) < 0)
				return false;
		}
	}
	*out = (int32_t)(sign * (h * 3600 + m * 60 + s));
	return true;
}

static bool posix_name(const char **p)
{
	const char *s = *p;

	if (*s == '<') {
		while (*s && *s != '>')
			s++;
		if (*s != '>')
			return false;
		*p = s + 1;
		return true;
	}
	while ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z'))
		s++;
	if (s - *p < 3)
		return false;
	*p = s;
	return true;
}

static bool posix_rule_day(const char **p, rule_day *r)
{
	long v;

	r->time = DEFAULT_TIME;
	if (**p == 'J') {
		(*p)++;
		r->form = 'J';
		if ((v = posix_num(p, 365)) < 1)
			return false;
		r->n = (int)v;
	} else if (**p == 'M') {
		(*p)++;
		r->form = 'M';
		long m = posix_num(p, 12), w = -1, d = -1;
		if (m >= 1 && **p == '.' && ((*p)++, (w = posix_num(p, 5)) >= 1) && **p == '.')
			(*p)++, d = posix_num(p, 6);
		if (m < 1 || w < 1 || d < 0)
			return false;
		r->m = (int)m, r->w = (int)w, r->d = (int)d;
	} else {
		r->form = 'N';
		if ((v = posix_num(p, 365)) < 0)
			return false;
		r->n = (int)v;
	}
	if (**p == '/') {
		(*p)++;
		return posix_time(p, 167, &r->time);
	}
	return true;
}

/* std offset [dst [offset] [,start,end]] (POSIX offsets are west-positive). */
static bool posix_parse(ecsfs_tz *tz, const char *s)
{
	int32_t off;

	if (!*s) /* no rule: the last transition's type holds */
		return true;
	if (!posix_name(&s) || !posix_time(&s, 24, &off))
		return false;
	tz->has_rule = true;
	tz->std_off = tz->dst_off = -off;
	if (!*s)
		return true;
	if (!posix_name(&s))
		return false;
	tz->rule_dst = true;
	tz->dst_off = tz->std_off + 3600;
	if (*s && *s != ',') {
		if (!posix_time(&s, 24, &off))
			return false;
		tz->dst_off = -off;
	}
	if (!*s) { /* POSIX leaves the dates to the implementation: the US rule */
		tz->start = (rule_day){'M', 0, 3, 2, 0, DEFAULT_TIME};
		tz->end = (rule_day){'M', 0, 11, 1, 0, DEFAULT_TIME};
		return true;
	}
	if (*s++ != ',' || !posix_rule_day(&s, &tz->start) || *s++ != ',' ||
	    !posix_rule_day(&s, &tz->end))
		return false;
	return *s == '\0';
}

/* ---- TZif ---- */

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

typedef struct tzif_counts {
	uint32_t isut, isstd, leap, time, type, chars;
} tzif_counts;

static bool tzif_header(const unsigned char *p, size_t len, tzif_counts *c)
{
	if (len < TZIF_HEADER || memcmp(p, "TZif", 4))
		return false;
	c->isut = be32(p + 20), c->isstd = be32(p + 24), c->leap = be32(p + 28);
	c->time = be32(p + 32), c->type = be32(p + 36), c->chars = be32(p + 40);
	return c->type >= 1 && c->type <= 256 && c->time <= TZIF_MAX && c->chars <= TZIF_MAX &&
	       c->leap <= TZIF_MAX && c->isut <= 256 && c->isstd <= 256;
}

static size_t tzif_block(const tzif_counts *c, size_t tsize)
{
	return c->time * tsize + c->time + c->type * 6 + c->chars + c->leap * (tsize + 4) +
	       c->isstd + c->isut;
}

/* The 64-bit block of a version 2+ file and its footer. */
static bool tzif_parse(ecsfs_tz *tz, const unsigned char *p, size_t len)
{
	tzif_counts c;

	if (!tzif_header(p, len, &c) || p[4] < '2' || c.leap > 0) /* right/ zones: not civil time */
		return false;
	size_t skip = TZIF_HEADER + tzif_block(&c, 4);
	if (skip > len || !tzif_header(p + skip, len - skip, &c))
		return false;
	const unsigned char *d = p + skip + TZIF_HEADER, *end = p + len;
	size_t block = tzif_block(&c, 8);
	if ((size_t)(end - d) < block + 2 || d[block] != '\n')
		return false;
	tz->ntimes = c.time, tz->ntypes = c.type;
	tz->times = calloc(c.time + 1, sizeof(*tz->times));
	tz->idx = calloc(c.time + 1, 1);
	tz->offs = calloc(c.type, sizeof(*tz->offs));
	if (!tz->times || !tz->idx || !tz->offs)
		abort();
	for (size_t i = 0; i < c.time; i++)
		tz->times[i] = be64(d + i * 8);
	for (size_t i = 0; i < c.time; i++)
		if ((tz->idx[i] = d[c.time * 8 + i]) >= c.type)
			return false;
	for (size_t i = 0; i < c.type; i++)
		tz->offs[i] = (int32_t)be32(d + c.time * 9 + i * 6);
	const unsigned char *foot = d + block + 1, *nl = memchr(foot, '\n', (size_t)(end - foot));
	if (!nl || nl - foot > 255)
		return false;
	char rule[256];
	memcpy(rule, foot, (size_t)(nl - foot));
	rule[nl - foot] = '\0';
	return posix_parse(tz, rule);
}

/* Names as tzdata spells them: letters, digits, "_+-" and "/" between parts. */
static bool tz_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= ECSFS_TZ_NAME_MAX || name[0] == '/' || strstr(name, "..") ||
	    strstr(name, "//") || name[n - 1] == '/')
		return false;
	for (const char *s = name; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || strchr("_+-/", *s)))
			return false;
	return name[0] != '-' && name[0] != '+';
}

static int read_zone(const char *name, unsigned char **data, size_t *len)
{
	char path[sizeof(ZONEINFO) + ECSFS_TZ_NAME_MAX];
	struct stat st;
	size_t n = 0;

	strcpy(path, ZONEINFO);
	strcat(path, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > TZIF_MAX) {
		close(fd);
		return -EINVAL;
	}
	unsigned char *buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		abort();
	while (n < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	*data = buf, *len = n;
	return 0;
}

int ecsfs_tz_load(const char *name, ecsfs_tz **out, ecsfs_err *err)
{
	unsigned char *data = NULL;
	size_t len = 0;

	if (!tz_name_ok(name))
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "%s is not a time zone name", name);
	if (read_zone(name, &data, &len) < 0)
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "%s is not a time zone of this system's tzdata", name);
	ecsfs_tz *tz = calloc(1, sizeof(*tz));
	if (!tz)
		abort();
	strcpy(tz->name, name);
	bool ok = tzif_parse(tz, data, len);
	free(data);
	if (!ok) {
		ecsfs_tz_free(tz);
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "%s is not a time zone (not a TZif file)", name);
	}
	*out = tz;
	return 0;
}

int32_t ecsfs_tz_offset(const ecsfs_tz *tz, int64_t t)
{
	if (tz->ntimes == 0)
		return tz->has_rule || !tz->ntypes ? rule_offset(tz, t) : tz->offs[0];
	if (t < tz->times[0])
		return tz->offs[0];
	if (t >= tz->times[tz->ntimes - 1] && tz->has_rule)
		return rule_offset(tz, t);
	size_t lo = 0, hi = tz->ntimes; /* the last transition at or before t */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (tz->times[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return tz->offs[tz->idx[lo]];
}

/*
 * An instant u shows `local` when u + offset(u) == local. The offsets that
 * can be in effect near it are those a day either side (zones change at most
 * once in two days); of the candidates that hold, the earliest wins.
 */
int ecsfs_tz_resolve(const ecsfs_tz *tz, int64_t local, int64_t *t)
{
	int32_t cand[3] = {ecsfs_tz_offset(tz, local - 86400), ecsfs_tz_offset(tz, local),
			   ecsfs_tz_offset(tz, local + 86400)};
	bool found = false;
	int64_t best = 0;

	for (int i = 0; i < 3; i++) {
		int64_t u = local - cand[i];
		if (ecsfs_tz_offset(tz, u) == cand[i] && (!found || u < best))
			best = u, found = true;
	}
	if (!found)
		return -ENOENT;
	*t = best;
	return 0;
}
