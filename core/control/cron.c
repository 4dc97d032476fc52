/* EventBridge Scheduler's schedule expressions: cron(), rate(), at() — the
 * parser (every field's grammar as a table) and next-fire computation in a
 * time zone. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ecsfs/cron.h"
#include "ecsfs/util.h"

enum { F_MIN, F_HOUR, F_DOM, F_MON, F_DOW, F_YEAR, F_COUNT };

#define YEARS (ECSFS_CRON_YEAR_MAX - ECSFS_CRON_YEAR_MIN + 1)

struct ecsfs_cron {
	ecsfs_cron_kind kind;
	/* cron(): a set of values per field, bit v for value v (F_DOW: 1-7) */
	uint64_t set[F_COUNT - 1];	/* minutes, hours, month days, months, weekdays */
	uint8_t years[(YEARS + 7) / 8]; /* bit y - ECSFS_CRON_YEAR_MIN */
	bool dom_any, dow_any;		/* the field is `?` */
	bool dom_last, dom_lastw;	/* L, LW */
	uint32_t dom_w;			/* nW: bit n */
	uint8_t dow_last;		/* nL: bit n (1-7) */
	uint8_t dow_nth[8];		/* n#k: bit k of [n] */
	int64_t rate_min;		/* rate(): minutes */
	int64_t at_local;		/* at(): local seconds */
};

/* What each field of cron() takes. */
typedef struct field_def {
	const char *name;
	int min, max;
	const char *const *names; /* names of min..max, or NULL */
	bool any_ok;		  /* `?` */
} field_def;

static const char *const month_names[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
					  "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
static const char *const day_names[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

static const field_def fields[F_COUNT] = {
    [F_MIN] = {"Minutes", 0, 59, NULL, false},
    [F_HOUR] = {"Hours", 0, 23, NULL, false},
    [F_DOM] = {"Day-of-month", 1, 31, NULL, true},
    [F_MON] = {"Month", 1, 12, month_names, false},
    [F_DOW] = {"Day-of-week", 1, 7, day_names, true},
    [F_YEAR] = {"Year", ECSFS_CRON_YEAR_MIN, ECSFS_CRON_YEAR_MAX, NULL, false},
};

void ecsfs_cron_free(ecsfs_cron *c)
{
	free(c);
}

ecsfs_cron_kind ecsfs_cron_kind_of(const ecsfs_cron *c)
{
	return c->kind;
}

int64_t ecsfs_cron_rate_minutes(const ecsfs_cron *c)
{
	return c->rate_min;
}

static void add_value(ecsfs_cron *c, int f, int v)
{
	if (f == F_YEAR)
		c->years[(v - ECSFS_CRON_YEAR_MIN) / 8] |=
		    (uint8_t)(1u << ((v - ECSFS_CRON_YEAR_MIN) % 8));
	else
		c->set[f] |= 1ull << v;
}

static bool has_year(const ecsfs_cron *c, int y)
{
	if (y < ECSFS_CRON_YEAR_MIN || y > ECSFS_CRON_YEAR_MAX)
		return false;
	return c->years[(y - ECSFS_CRON_YEAR_MIN) / 8] >> ((y - ECSFS_CRON_YEAR_MIN) % 8) & 1;
}

/* ---- parsing one field ---- */

typedef struct field_ctx {
	const char *expr; /* the whole expression, for messages */
	const field_def *def;
	ecsfs_err *err;
} field_ctx;

__attribute__((format(printf, 2, 3))) static int field_fail(const field_ctx *x, const char *fmt,
							    ...)
{
	ecsfs_buf m = ECSFS_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	ecsfs_buf_vaddf(&m, fmt, ap);
	va_end(ap);
	ecsfs_err_set(x->err, ECSFS_E_INVALID_PARAMETER, -EINVAL, "%s: %s: %s", x->expr,
		      x->def->name, m.data);
	ecsfs_buf_release(&m);
	return -EINVAL;
}

/* A value of the field (a number or, where the field has them, a name) of
 * `len` bytes at s: 0 and *v, or -EINVAL said. */
static int field_value(const field_ctx *x, const char *s, size_t len, int *v)
{
	const field_def *d = x->def;
	long n = 0;

	if (len == 0)
		return field_fail(x, "a value is missing");
	if (d->names && len == 3 && !(s[0] >= '0' && s[0] <= '9')) {
		for (int i = 0; i <= d->max - d->min; i++)
			if (!strncasecmp(s, d->names[i], 3)) {
				*v = d->min + i;
				return 0;
			}
	}
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return field_fail(x, "%.*s is not a value of this field", (int)len, s);
		if ((n = n * 10 + (s[i] - '0')) > 100000)
			break;
	}
	if (n < d->min || n > d->max)
		return field_fail(x, "%.*s is outside %d-%d", (int)len, s, d->min, d->max);
	*v = (int)n;
	return 0;
}

/* `a`, `a-b` (wrapping past max when b < a), `*`; then an optional `/step`. */
static int field_range(const field_ctx *x, ecsfs_cron *c, int f, const char *s, size_t len)
{
	const field_def *d = x->def;
	const char *slash = memchr(s, '/', len), *dash;
	size_t head = slash ? (size_t)(slash - s) : len;
	int a = d->min, b = d->max, step = 1, r;

	if (head == 1 && s[0] == '*')
		;
	else if ((dash = memchr(s, '-', head))) {
		if ((r = field_value(x, s, (size_t)(dash - s), &a)) < 0 ||
		    (r = field_value(x, dash + 1, head - (size_t)(dash - s) - 1, &b)) < 0)
			return r;
	} else {
		if ((r = field_value(x, s, head, &a)) < 0)
			return r;
		b = slash ? d->max : a;
	}
	if (slash) {
		size_t sl = len - head - 1;
		long n = 0;
		for (size_t i = 0; i < sl && n >= 0 && n <= 100000; i++)
			n = (slash[1 + i] >= '0' && slash[1 + i] <= '9')
				? n * 10 + slash[1 + i] - '0'
				: -1;
		if (sl == 0 || n < 1 || n > d->max - d->min + 1)
			return field_fail(x, "the step in %.*s must be a whole number 1-%d",
					  (int)len, s, d->max - d->min + 1);
		step = (int)n;
	}
	int size = d->max - d->min + 1, span = ((b - a) % size + size) % size;
	for (int i = 0; i <= span; i += step)
		add_value(c, f, d->min + (a - d->min + i) % size);
	return 0;
}

/* Day-of-month's L, LW and nW; Day-of-week's L, nL and n#k. 1 when `s`
 * was one of them, 0 when it is a plain item, -EINVAL. */
static int field_special(const field_ctx *x, ecsfs_cron *c, int f, const char *s, size_t len)
{
	int v, k, r;
	const char *hash;

	if (len == 1 && (s[0] == 'L' || s[0] == 'l')) {
		if (f == F_DOM)
			c->dom_last = true;
		else
			c->set[F_DOW] |= 1ull << 7; /* Saturday, the week's last day */
		return f == F_DOM || f == F_DOW;
	}
	if (f == F_DOM && len == 2 && !strncasecmp(s, "LW", 2))
		return c->dom_lastw = true;
	char last = len > 1 ? s[len - 1] : 0;
	if (f == F_DOM && (last == 'W' || last == 'w')) {
		if ((r = field_value(x, s, len - 1, &v)) < 0)
			return r;
		c->dom_w |= 1u << v;
		return 1;
	}
	if (f == F_DOW && (last == 'L' || last == 'l')) {
		if ((r = field_value(x, s, len - 1, &v)) < 0)
			return r;
		c->dow_last |= (uint8_t)(1u << v);
		return 1;
	}
	if (f == F_DOW && (hash = memchr(s, '#', len))) {
		if ((r = field_value(x, s, (size_t)(hash - s), &v)) < 0)
			return r;
		if (len - (size_t)(hash - s) != 2 || hash[1] < '1' || hash[1] > '5')
			return field_fail(x, "%.*s: the number after # must be 1-5", (int)len, s);
		k = hash[1] - '0';
		c->dow_nth[v] |= (uint8_t)(1u << k);
		return 1;
	}
	if (memchr(s, '#', len))
		return field_fail(x, "%.*s: # is not allowed in this field", (int)len, s);
	bool number = len > 1;
	for (size_t i = 0; i + 1 < len; i++)
		number = number && s[i] >= '0' && s[i] <= '9';
	if (number && strchr("LlWw", last))
		return field_fail(x, "%.*s: %c is not allowed in this field", (int)len, s, last);
	return 0;
}

static int parse_field(const field_ctx *x, ecsfs_cron *c, int f, const char *s, size_t len)
{
	if (len == 1 && s[0] == '?') {
		if (!x->def->any_ok)
			return field_fail(x, "? is allowed only in Day-of-month and Day-of-week");
		if (f == F_DOM)
			c->dom_any = true;
		else
			c->dow_any = true;
		return 0;
	}
	while (len > 0) {
		const char *comma = memchr(s, ',', len);
		size_t n = comma ? (size_t)(comma - s) : len;
		int r;
		if (n == 0)
			return field_fail(x, "an item of the list is empty");
		if (memchr(s, '?', n))
			return field_fail(x, "? must stand alone");
		if ((r = field_special(x, c, f, s, n)) < 0)
			return r;
		if (r == 0 && (r = field_range(x, c, f, s, n)) < 0)
			return r;
		len -= comma ? n + 1 : n;
		s += comma ? n + 1 : n;
		if (comma && len == 0)
			return field_fail(x, "an item of the list is empty");
	}
	return 0;
}

/* ---- the three forms ---- */

static int parse_cron(const char *expr, const char *body, size_t len, ecsfs_cron *c, ecsfs_err *err)
{
	const char *p = body, *end = body + len;
	int f = 0, r;

	while (p < end) {
		while (p < end && *p == ' ')
			p++;
		if (p == end)
			break;
		const char *q = p;
		while (q < end && *q != ' ')
			q++;
		if (f == F_COUNT)
			return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
					     "%s: cron() takes six fields (Minutes Hours "
					     "Day-of-month Month Day-of-week Year), not more",
					     expr);
		field_ctx x = {expr, &fields[f], err};
		if ((r = parse_field(&x, c, f, p, (size_t)(q - p))) < 0)
			return r;
		f++;
		p = q;
	}
	if (f < F_COUNT)
		return ecsfs_err_set(
		    err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
		    "%s: cron() takes six fields (Minutes Hours Day-of-month Month "
		    "Day-of-week Year); %s is missing",
		    expr, fields[f].name);
	if (c->dom_any == c->dow_any)
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "%s: Day-of-month, Day-of-week: exactly one of them must be ?",
				     expr);
	return 0;
}

static int parse_rate(const char *expr, const char *body, size_t len, ecsfs_cron *c, ecsfs_err *err)
{
	static const struct {
		const char *one, *many;
		int64_t minutes;
	} units[] = {{"minute", "minutes", 1}, {"hour", "hours", 60}, {"day", "days", 1440}};
	size_t i = 0;
	int64_t n = 0;

	while (i < len && body[i] >= '0' && body[i] <= '9' && n <= 1000000000)
		n = n * 10 + (body[i++] - '0');
	if (i == 0 || i >= len || body[i] != ' ' || n > 1000000000)
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "%s: rate() takes a whole number and a unit, "
				     "rate(5 minutes)",
				     expr);
	const char *unit = body + i + 1;
	size_t ulen = len - i - 1;
	if (n == 0)
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "%s: the value must be at least 1", expr);
	for (size_t u = 0; u < 3; u++) {
		const char *want = n == 1 ? units[u].one : units[u].many;
		const char *other = n == 1 ? units[u].many : units[u].one;
		if (strlen(want) == ulen && !memcmp(unit, want, ulen)) {
			c->rate_min = n * units[u].minutes;
			return 0;
		}
		if (strlen(other) == ulen && !memcmp(unit, other, ulen))
			return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
					     "%s: the unit for %lld is %s, not %s", expr,
					     (long long)n, want, other);
	}
	return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
			     "%s: the unit must be minute(s), hour(s) or day(s)", expr);
}

static int parse_at(const char *expr, const char *s, size_t len, ecsfs_cron *c, ecsfs_err *err)
{
	int y = -1, mo = -1, d = -1, h = -1, mi = -1, sec = -1;

	if (len == 19 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' &&
	    s[16] == ':') {
		y = ecsfs_time_digits(s, 4), mo = ecsfs_time_digits(s + 5, 2);
		d = ecsfs_time_digits(s + 8, 2), h = ecsfs_time_digits(s + 11, 2);
		mi = ecsfs_time_digits(s + 14, 2), sec = ecsfs_time_digits(s + 17, 2);
	}
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
	    sec < 0 || sec > 59 || d > ecsfs_civil_mdays(y, mo))
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "%s: at() takes a date and time yyyy-mm-ddThh:mm:ss", expr);
	if (y < ECSFS_CRON_YEAR_MIN || y > ECSFS_CRON_YEAR_MAX)
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "%s: the year %d is outside %d-%d", expr, y,
				     ECSFS_CRON_YEAR_MIN, ECSFS_CRON_YEAR_MAX);
	c->at_local = ecsfs_civil_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	return 0;
}

int ecsfs_cron_parse(const char *expr, ecsfs_cron **out, ecsfs_err *err)
{
	static const struct {
		const char *open;
		ecsfs_cron_kind kind;
		int (*parse)(const char *, const char *, size_t, ecsfs_cron *, ecsfs_err *);
	} forms[] = {{"cron(", ECSFS_CRON_CRON, parse_cron},
		     {"rate(", ECSFS_CRON_RATE, parse_rate},
		     {"at(", ECSFS_CRON_AT, parse_at}};
	size_t len = strlen(expr);

	if (len > ECSFS_CRON_EXPR_MAX)
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "the expression is longer than %d bytes", ECSFS_CRON_EXPR_MAX);
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		size_t ol = strlen(forms[i].open);
		if (len < ol || memcmp(expr, forms[i].open, ol))
			continue;
		if (expr[len - 1] != ')')
			return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
					     "%s: the expression must end with )", expr);
		ecsfs_cron *c = calloc(1, sizeof(*c));
		if (!c)
			abort();
		c->kind = forms[i].kind;
		int r = forms[i].parse(expr, expr + ol, len - ol - 1, c, err);
		if (r < 0) {
			free(c);
			return r;
		}
		*out = c;
		return 0;
	}
	return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
			     "%s: an expression is cron(...), rate(...) or at(...)", expr);
}

/* ---- next fire ---- */

/* Day-of-month's items on day d of y-m (whose weekday of the 1st is w1). */
static bool dom_match(const ecsfs_cron *c, int y, int m, int d, int wday)
{
	int last = ecsfs_civil_mdays(y, m);

	if (c->set[F_DOM] >> d & 1)
		return true;
	if (c->dom_last && d == last)
		return true;
	if (c->dom_lastw) {
		int lw = last, lwd = (wday + last - d) % 7;
		lw -= lwd == 6 ? 1 : lwd == 0 ? 2 : 0;
		if (d == lw)
			return true;
	}
	if (!c->dom_w || wday == 0 || wday == 6) /* nW days are weekdays */
		return false;
	/* the weekday nearest to day n, in the month: n itself, or n's
	 * neighbour when n falls on a weekend */
	for (int n = d - 2; n <= d + 2; n++) {
		if (n < 1 || n > last || !(c->dom_w >> n & 1))
			continue;
		int wn = ((wday + n - d) % 7 + 7) % 7, near = n;
		if (wn == 6)
			near = n == 1 ? 3 : n - 1;
		else if (wn == 0)
			near = n == last ? n - 2 : n + 1;
		if (near == d)
			return true;
	}
	return false;
}

static bool dow_match(const ecsfs_cron *c, int y, int m, int d, int wday)
{
	int v = wday + 1; /* 1 = Sunday */

	if (c->set[F_DOW] >> v & 1)
		return true;
	if ((c->dow_last >> v & 1) && d + 7 > ecsfs_civil_mdays(y, m))
		return true;
	return c->dow_nth[v] >> ((d - 1) / 7 + 1) & 1;
}

static bool day_match(const ecsfs_cron *c, int y, int m, int d, int wday)
{
	return c->dom_any ? dow_match(c, y, m, d, wday) : dom_match(c, y, m, d, wday);
}

/* The first matching minute of local day `day` whose instant is after
 * `after` (seconds). */
static bool day_next(const ecsfs_cron *c, const ecsfs_tz *tz, int64_t day, int64_t from_local,
		     int64_t after, int64_t *out)
{
	for (int h = 0; h < 24; h++) {
		if (!(c->set[F_HOUR] >> h & 1))
			continue;
		for (int mi = 0; mi < 60; mi++) {
			int64_t local = day * 86400 + h * 3600 + mi * 60, u;
			if (!(c->set[F_MIN] >> mi & 1) || local <= from_local)
				continue;
			if (ecsfs_tz_resolve(tz, local, &u) == 0 && u > after) {
				*out = u;
				return true;
			}
		}
	}
	return false;
}

/*
 * Local days from the one `after` falls on, skipping whole years and months
 * that do not match. Instants of local times are increasing in the local
 * time (the first of a repeated one counts), so the first match found is
 * the next fire, and local times up to after's own cannot be after it.
 */
static int cron_next(const ecsfs_cron *c, const ecsfs_tz *tz, int64_t after, int64_t *next)
{
	int64_t from_local = after + ecsfs_tz_offset(tz, after);
	int64_t day = from_local >= 0 ? from_local / 86400 : (from_local - 86399) / 86400;
	int64_t end = ecsfs_civil_days(ECSFS_CRON_YEAR_MAX + 1, 1, 1);
	int y, m, d;

	while (day < end) {
		ecsfs_civil_from_days(day, &y, &m, &d);
		if (!has_year(c, y)) {
			day = ecsfs_civil_days(y + 1, 1, 1);
			continue;
		}
		if (!(c->set[F_MON] >> m & 1)) {
			day =
			    m == 12 ? ecsfs_civil_days(y + 1, 1, 1) : ecsfs_civil_days(y, m + 1, 1);
			continue;
		}
		if (day_match(c, y, m, d, ecsfs_civil_wday(day)) &&
		    day_next(c, tz, day, from_local, after, next))
			return 0;
		day++;
	}
	return -ENOENT;
}

int ecsfs_cron_next(const ecsfs_cron *c, const ecsfs_cron_ctx *ctx, int64_t after_ms,
		    int64_t *next_ms)
{
	int64_t t;
	/* fires fall on whole seconds: after `after_ms` means after its second */
	int64_t after = after_ms >= 0 ? after_ms / 1000 : (after_ms - 999) / 1000;

	switch (c->kind) {
	case ECSFS_CRON_RATE: {
		int64_t period = c->rate_min * ctx->minute_ms;
		if (after_ms < ctx->anchor_ms) {
			*next_ms = ctx->anchor_ms;
			return 0;
		}
		*next_ms = ctx->anchor_ms + ((after_ms - ctx->anchor_ms) / period + 1) * period;
		return 0;
	}
	case ECSFS_CRON_AT:
		if (ecsfs_tz_resolve(ctx->tz, c->at_local, &t) < 0 || t * 1000 <= after_ms)
			return -ENOENT;
		*next_ms = t * 1000;
		return 0;
	case ECSFS_CRON_CRON:
		if (cron_next(c, ctx->tz, after, &t) < 0)
			return -ENOENT;
		*next_ms = t * 1000;
		return 0;
	}
	return -ENOENT;
}

/* ---- shape-checker hooks, for every document that holds an expression ---- */

int ecsfs_cron_shape_expression(ecsfs_shape_ctx *c, const json_t *v)
{
	ecsfs_cron *cron = NULL;
	ecsfs_err e = ECSFS_ERR_INIT;
	int r = ecsfs_cron_parse(json_string_value(v), &cron, &e);

	if (r < 0)
		ecsfs_shape_fail(c, "%s", e.msg.data);
	ecsfs_cron_free(cron);
	ecsfs_err_release(&e);
	return r;
}

int ecsfs_cron_shape_zone(ecsfs_shape_ctx *c, const json_t *v)
{
	ecsfs_tz *tz = NULL;
	ecsfs_err e = ECSFS_ERR_INIT;
	int r = ecsfs_tz_load(json_string_value(v), &tz, &e);

	if (r < 0)
		ecsfs_shape_fail(c, "%s", e.msg.data);
	ecsfs_tz_free(tz);
	ecsfs_err_release(&e);
	return r;
}
