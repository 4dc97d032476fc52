/* test_cron's brute-force half: glibc's localtime (TZ set in this single
 * threaded test) as the reference for our TZif reader, and an oracle that
 * steps minute by minute to the first matching one. Random expressions are
 * generated with their meaning, so the oracle never reads the parser's. */
#ifndef TEST_CRON_ORACLE_H
#define TEST_CRON_ORACLE_H

static const char *const zones[] = {
    "America/New_York", "Europe/London",     "Australia/Lord_Howe", "UTC",
    "Asia/Kathmandu",	"America/St_Johns",  "Europe/Dublin",	    "Pacific/Chatham",
    "America/Santiago", "Africa/Casablanca", "Asia/Tehran",	    "Australia/Sydney",
};
#define NZONES (sizeof(zones) / sizeof(zones[0]))

static uint64_t rng = 88172645463325252ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int rnd_in(int lo, int hi)
{
	return lo + (int)(rnd() % (uint64_t)(hi - lo + 1));
}

static void use_zone(const char *zone)
{
	char tz[80];
	snprintf(tz, sizeof(tz), ":%s", zone);
	setenv("TZ", tz, 1);
	tzset();
}

static long glibc_offset(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	localtime_r(&tt, &tm);
	return tm.tm_gmtoff;
}

static void test_tz_against_glibc(void)
{
	for (size_t z = 0; z < NZONES; z++) {
		ecsfs_tz *tz = NULL;
		int bad = 0, n = 0;
		int64_t first_bad = 0;
		works(ecsfs_tz_load(zones[z], &tz, &err), zones[z]);
		if (!tz)
			continue;
		use_zone(zones[z]);
		/* random instants 1970-2150, and every hour of 2026 and of 2099 */
		for (int i = 0; i < 20000; i++, n++) {
			int64_t t = (int64_t)(rnd() % 5680000000ull);
			if (ecsfs_tz_offset(tz, t) != glibc_offset(t) && !bad++)
				first_bad = t;
		}
		static const int64_t years[] = {1767225600, 4070908800}; /* 2026, 2099 */
		for (size_t y = 0; y < 2; y++)
			for (int64_t t = years[y]; t < years[y] + 366 * 86400; t += 1800, n++)
				if (ecsfs_tz_offset(tz, t) != glibc_offset(t) && !bad++)
					first_bad = t;
		is_int(bad, 0, "%s: %d offsets agree with glibc's", zones[z], n);
		if (bad)
			printf("#   first at %lld: ours %d glibc %ld\n", (long long)first_bad,
			       ecsfs_tz_offset(tz, first_bad), glibc_offset(first_bad));
		ecsfs_tz_free(tz);
	}
}

/* ---- random expressions with their meaning ---- */

#define NYEARS (ECSFS_CRON_YEAR_MAX - ECSFS_CRON_YEAR_MIN + 1)

typedef struct gen {
	ecsfs_buf text;
	bool set[5][64]; /* Minutes, Hours, Day-of-month, Month, Day-of-week (1 = Sunday) */
	bool years[NYEARS];
	bool dom_any, dow_any, dom_l, dom_lw, dom_w[32], dow_l[8], nth[8][6];
} gen;

static const char *const g_months[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
				       "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
static const char *const g_days[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

static void gen_mark(gen *g, int f, int v)
{
	if (f == 5)
		g->years[v - ECSFS_CRON_YEAR_MIN] = true;
	else
		g->set[f][v] = true;
}

static void gen_value(gen *g, int f, int v)
{
	if (f == 3 && rnd() % 2)
		ecsfs_buf_adds(&g->text, g_months[v - 1]);
	else if (f == 4 && rnd() % 2)
		ecsfs_buf_adds(&g->text, g_days[v - 1]);
	else
		ecsfs_buf_addf(&g->text, "%d", v);
}

/* One plain item of field f (values lo..hi, picked from plo..phi): its text
 * and its values. */
static void gen_item(gen *g, int f, int lo, int hi, int plo, int phi)
{
	int size = hi - lo + 1, kind = rnd_in(0, 5), a = rnd_in(plo, phi), b = rnd_in(plo, phi);
	int step = rnd_in(1, size > 12 ? 20 : size);

	if (f == 5 && b < a) /* no wrapping years */
		b = a + rnd_in(0, 3) > hi ? hi : a + rnd_in(0, 3);
	if (kind == 0 || kind == 5) {
		ecsfs_buf_adds(&g->text, "*");
		a = lo, b = hi;
		if (kind == 5)
			ecsfs_buf_addf(&g->text, "/%d", step);
		else
			step = 1;
	} else if (kind == 1) {
		gen_value(g, f, a);
		b = a, step = 1;
	} else {
		gen_value(g, f, a);
		if (kind == 3) {
			b = hi;
		} else {
			ecsfs_buf_adds(&g->text, "-");
			gen_value(g, f, b);
		}
		if (kind != 2)
			ecsfs_buf_addf(&g->text, "/%d", step);
		else
			step = 1;
	}
	int span = ((b - a) % size + size) % size;
	for (int i = 0; i <= span; i += step)
		gen_mark(g, f, lo + (a - lo + i) % size);
}

static void gen_plain(gen *g, int f, int lo, int hi, int plo, int phi)
{
	int n = rnd_in(1, 3);
	for (int i = 0; i < n; i++) {
		if (i)
			ecsfs_buf_adds(&g->text, ",");
		gen_item(g, f, lo, hi, plo, phi);
	}
}

static void gen_dom(gen *g)
{
	int n = rnd_in(1, 3);
	for (int i = 0; i < n; i++) {
		int k = rnd_in(0, 5), v = rnd_in(1, 31);
		if (i)
			ecsfs_buf_adds(&g->text, ",");
		if (k == 0)
			ecsfs_buf_adds(&g->text, "L"), g->dom_l = true;
		else if (k == 1)
			ecsfs_buf_adds(&g->text, "LW"), g->dom_lw = true;
		else if (k == 2)
			ecsfs_buf_addf(&g->text, "%dW", v), g->dom_w[v] = true;
		else
			gen_item(g, 2, 1, 31, 1, 31);
	}
}

static void gen_dow(gen *g)
{
	int n = rnd_in(1, 2);
	for (int i = 0; i < n; i++) {
		int k = rnd_in(0, 4), v = rnd_in(1, 7), nth = rnd_in(1, 5);
		if (i)
			ecsfs_buf_adds(&g->text, ",");
		if (k == 0) {
			ecsfs_buf_adds(&g->text, "L");
			g->set[4][7] = true;
		} else if (k == 1) {
			gen_value(g, 4, v);
			ecsfs_buf_adds(&g->text, "L");
			g->dow_l[v] = true;
		} else if (k == 2) {
			gen_value(g, 4, v);
			ecsfs_buf_addf(&g->text, "#%d", nth);
			g->nth[v][nth] = true;
		} else {
			gen_item(g, 4, 1, 7, 1, 7);
		}
	}
}

static void gen_expr(gen *g)
{
	static const char *const minutes[] = {"0", "30", "*/30", "45", "*/15", "59"};
	memset(g, 0, sizeof(*g));
	ecsfs_buf_init(&g->text);
	ecsfs_buf_adds(&g->text, "cron(");
	if (rnd() % 2) { /* the minutes DST changes are about */
		const char *m = minutes[rnd() % 6];
		ecsfs_buf_adds(&g->text, m);
		for (int v = 0; v < 60; v++)
			g->set[0][v] = !strcmp(m, "0")	    ? v == 0
				       : !strcmp(m, "30")   ? v == 30
				       : !strcmp(m, "45")   ? v == 45
				       : !strcmp(m, "59")   ? v == 59
				       : !strcmp(m, "*/30") ? v % 30 == 0
							    : v % 15 == 0;
	} else {
		gen_plain(g, 0, 0, 59, 0, 59);
	}
	ecsfs_buf_adds(&g->text, " ");
	gen_plain(g, 1, 0, 23, 0, rnd() % 2 ? 4 : 23);
	ecsfs_buf_adds(&g->text, " ");
	g->dom_any = rnd() % 2, g->dow_any = !g->dom_any;
	if (g->dom_any)
		ecsfs_buf_adds(&g->text, "?");
	else
		gen_dom(g);
	ecsfs_buf_adds(&g->text, " ");
	if (rnd() % 3)
		ecsfs_buf_adds(&g->text, "*"), memset(g->set[3], 1, sizeof(g->set[3]));
	else
		gen_plain(g, 3, 1, 12, 1, 12);
	ecsfs_buf_adds(&g->text, " ");
	if (g->dow_any)
		ecsfs_buf_adds(&g->text, "?");
	else
		gen_dow(g);
	ecsfs_buf_adds(&g->text, " ");
	if (rnd() % 3)
		ecsfs_buf_adds(&g->text, "*"), memset(g->years, 1, sizeof(g->years));
	else
		gen_plain(g, 5, ECSFS_CRON_YEAR_MIN, ECSFS_CRON_YEAR_MAX, 2024, 2034);
	ecsfs_buf_adds(&g->text, ")");
}

/* ---- the oracle ---- */

static int o_mdays(int y, int m)
{
	static const int md[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return md[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100) || y % 400 == 0));
}

static bool o_day(const gen *g, int y, int m, int d, int wday)
{
	int md = o_mdays(y, m);
#define WD(e) (((wday) + (e) - (d) + 35) % 7)
	if (!g->dom_any) {
		if (g->set[2][d] || (g->dom_l && d == md))
			return true;
		int lw = md;
		while (WD(lw) == 0 || WD(lw) == 6)
			lw--;
		if (g->dom_lw && d == lw)
			return true;
		for (int n = 1; n <= md; n++) {
			int t = n;
			if (!g->dom_w[n])
				continue;
			if (WD(n) == 6)
				t = n == 1 ? 3 : n - 1;
			else if (WD(n) == 0)
				t = n == md ? n - 2 : n + 1;
			if (t == d)
				return true;
		}
		return false;
	}
	int v = wday + 1, later = 0, count = 0;
	for (int e = 1; e <= md; e++)
		if (WD(e) == wday)
			e <= d ? count++ : later++;
#undef WD
	return g->set[4][v] || (g->dow_l[v] && !later) || g->nth[v][count];
}

/* Is u the clock's second showing of its local time (fall back)? */
static bool o_repeat(int64_t u, long off)
{
	for (int d = 15; d <= 180; d += 15)
		if (glibc_offset(u - d * 60) == off + d * 60)
			return true;
	return false;
}

/* Advance u by r minutes when no change of offset lies between, else by one. */
static int64_t o_jump(int64_t u, long off, int r)
{
	return r > 1 && glibc_offset(u + r * 60) == off ? u + r * 60 : u + 60;
}

static int64_t o_next(const gen *g, int64_t after_ms, int64_t horizon)
{
	int64_t u = (after_ms >= 0 ? after_ms / 60000 : (after_ms - 59999) / 60000) * 60 + 60;

	while (u < horizon) {
		time_t tt = (time_t)u;
		struct tm tm;
		localtime_r(&tt, &tm);
		int y = tm.tm_year + 1900, m = tm.tm_mon + 1;
		bool day = y >= ECSFS_CRON_YEAR_MIN && y <= ECSFS_CRON_YEAR_MAX &&
			   g->years[y - ECSFS_CRON_YEAR_MIN] && g->set[3][m] &&
			   o_day(g, y, m, tm.tm_mday, tm.tm_wday);
		if (!day)
			u = o_jump(u, tm.tm_gmtoff, 1440 - tm.tm_hour * 60 - tm.tm_min);
		else if (!g->set[1][tm.tm_hour])
			u = o_jump(u, tm.tm_gmtoff, 60 - tm.tm_min);
		else if (!g->set[0][tm.tm_min] || o_repeat(u, tm.tm_gmtoff))
			u += 60;
		else
			return u;
	}
	return -1;
}

/* An instant shortly before a change of the zone's offset (or anywhere). */
static int64_t near_change(int64_t from)
{
	long off = glibc_offset(from);
	for (int64_t t = from; t < from + 400 * 86400; t += 3600)
		if (glibc_offset(t) != off)
			return t - rnd_in(0, 72) * 3600 - rnd_in(0, 59) * 60;
	return from;
}

static void oracle_case(const char *zone, const ecsfs_tz *tz, int *bad)
{
	gen g;
	ecsfs_cron *c = NULL;
	int64_t base = 1704067200 + (int64_t)(rnd() % (9ull * 365 * 86400)); /* 2024-2033 */
	int64_t after =
	    (rnd() % 2 ? near_change(base) : base) * 1000 + rnd_in(0, 1) * rnd_in(0, 59999);
	int64_t horizon = after / 1000 + 6 * 366 * 86400, next = 0;

	gen_expr(&g);
	ecsfs_err_reset(&err);
	if (ecsfs_cron_parse(g.text.data, &c, &err) < 0) {
		if (!(*bad)++)
			printf("#   %s refused: %s\n", g.text.data, err.msg.data);
		ecsfs_buf_release(&g.text);
		return;
	}
	ecsfs_cron_ctx ctx = {tz, 0, 60000};
	int r = ecsfs_cron_next(c, &ctx, after, &next);
	int64_t want = o_next(&g, after, horizon);
	bool same = want < 0 ? (r < 0 || next / 1000 >= horizon) : (r == 0 && next == want * 1000);
	if (!same && !(*bad)++) {
		char a[32], n[32], w[32];
		printf("#   %s in %s after %s: engine %s, oracle %s\n", g.text.data, zone,
		       ms_iso(after, a), r < 0 ? "none" : ms_iso(next, n),
		       want < 0 ? "none" : ms_iso(want * 1000, w));
	}
	ecsfs_cron_free(c);
	ecsfs_buf_release(&g.text);
}

static void test_oracle(void)
{
	for (size_t z = 0; z < NZONES; z++) {
		ecsfs_tz *tz = NULL;
		int bad = 0, n = 500;
		if (ecsfs_tz_load(zones[z], &tz, &err) < 0)
			continue;
		use_zone(zones[z]);
		for (int i = 0; i < n; i++)
			oracle_case(zones[z], tz, &bad);
		is_int(bad, 0, "%s: %d random expressions agree with the minute-stepping oracle",
		       zones[z], n);
		ecsfs_tz_free(tz);
	}
}

#endif
