/*
 * The events of log streams: GetLogEvents (one stream, forward and
 * backward tokens) and FilterLogEvents (a group's streams interleaved by
 * time, resumable by the key of the last event given).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/logstream_private.h"

/* What one FilterLogEvents call reads of the logs, and the least it reads
 * and keeps of each stream. */
#define SCAN_BYTES (16u << 20)
#define SCAN_MIN   (64u << 10)
#define KEEP_MIN   16384u

static int bad_token(ecsfs_err *err)
{
	return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
			     "The specified nextToken is invalid.");
}

static json_t *token(char dir, uint64_t pos)
{
	char b[32];
	snprintf(b, sizeof(b), "%c/%020" PRIu64, dir, pos);
	return json_string(b);
}

/* "f/<offset>" or "b/<offset>" within a log of `size` bytes. */
static int parse_token(const char *tok, uint64_t size, char *dir, uint64_t *pos)
{
	char *end;
	unsigned long long v;

	if ((tok[0] != 'f' && tok[0] != 'b') || tok[1] != '/' || tok[2] < '0' || tok[2] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(tok + 2, &end, 10);
	if (*end || errno || v > size)
		return -EINVAL;
	*dir = tok[0];
	*pos = v;
	return 0;
}

static json_t *out_event(const struct lline *l)
{
	json_t *e = json_object();
	json_object_set_new(e, "timestamp", json_integer(l->ts_ms));
	json_object_set_new(e, "message", ecsfs__lmessage(l->msg, l->len));
	json_object_set_new(e, "ingestionTime", json_integer(l->ingest_ms));
	return e;
}

/* Lines [from, to) as events, at most `limit` and about a response's
 * bytes; the offsets of the first and past the last one given. */
static json_t *events_between(const struct lreader *r, uint64_t from, uint64_t to, int64_t limit,
			      uint64_t *first, uint64_t *last_end)
{
	struct lwalk w;
	struct lline l;
	json_t *events = json_array();
	size_t bytes = 0;

	ecsfs__lwalk_init(&w, r, from);
	while ((int64_t)json_array_size(events) < limit && ecsfs__lwalk_next(&w, &l) == 1 &&
	       l.off < to) {
		if (json_array_size(events) && bytes + l.len + 26 > ECSFS_LOGS_MAX_BYTES)
			break;
		if (!json_array_size(events))
			*first = l.off;
		bytes += l.len + 26;
		*last_end = l.end;
		json_array_append_new(events, out_event(&l));
	}
	ecsfs__lwalk_release(&w);
	return events;
}

static int get_events(const struct lreader *r, const ecsfs_logs_get *q, json_t **out,
		      ecsfs_err *err)
{
	int64_t limit = q->limit > 0 ? q->limit : ECSFS_LOGS_MAX_EVENTS;
	uint64_t lo = q->has_start ? ecsfs__lread_seek(r, q->start_ms) : 0;
	uint64_t hi = q->has_end ? ecsfs__lread_seek(r, q->end_ms) : r->size;
	uint64_t pos = 0, from, to, first = 0, last_end = 0;
	char dir = q->from_head ? 'f' : 'b';
	json_t *events;

	if (q->token && parse_token(q->token, r->size, &dir, &pos) < 0)
		return bad_token(err);
	if (hi < lo)
		hi = lo;
	if (dir == 'f') {
		from = q->token && pos > lo ? pos : lo;
		to = hi;
	} else {
		to = q->token && pos < hi ? pos : hi;
		from = ecsfs__lread_back(r, to, lo < to ? lo : to, limit, ECSFS_LOGS_MAX_BYTES);
	}
	events = events_between(r, from, to, limit, &first, &last_end);
	*out = json_object();
	if (json_array_size(events)) {
		json_object_set_new(*out, "nextForwardToken", token('f', last_end));
		json_object_set_new(*out, "nextBackwardToken", token('b', first));
	} else { /* the end in this direction: the same token again */
		uint64_t at = q->token ? pos : dir == 'f' ? from : to;
		json_object_set_new(*out, "nextForwardToken", token('f', at));
		json_object_set_new(*out, "nextBackwardToken", token('b', at));
	}
	json_object_set_new(*out, "events", events);
	return 0;
}

int ecsfs_logstream_get(ecsfs_tasks *t, ecsfs_store *s, const ecsfs_logs_get *q, json_t **out,
			ecsfs_err *err)
{
	struct lcatalog c;
	const struct lstream *st = NULL;
	struct lreader r;
	int rc = ecsfs__lcat_build(t, s, q->group, &c, err);

	if (rc < 0)
		return rc;
	if (!c.n && (rc = ecsfs__lgroup_missing(s, q->group, err)) < 0)
		; /* no such group */
	else if (!(st = ecsfs__lcat_find(&c, q->stream)))
		rc = ecsfs_err_set(err, ECSFS_E_RESOURCE_NOT_FOUND, -ENOENT,
				   "The specified log stream does not exist.");
	if (rc == 0) {
		ecsfs__lread_open(&r, st);
		rc = get_events(&r, q, out, err);
		ecsfs__lread_close(&r);
	}
	ecsfs__lcat_release(&c);
	return rc;
}

/* ---- FilterLogEvents ---- */

/* Events are ordered by (time, stream, offset); a token is the key of the
 * last event given (or of the last line searched), so a next call resumes
 * exactly past it whatever streams appeared in between. */
struct fkey {
	int64_t ts;
	const char *stream;
	uint64_t off;
};

struct fevent {
	struct fkey k;
	size_t sidx; /* the stream's index in the selection */
	int64_t ingest_ms;
	json_t *msg;
};

struct fsel {
	const struct lstream **v; /* the streams searched, by name */
	size_t n;
	bool *cut;	     /* not searched to the end */
	struct fkey *cut_at; /* ... and the key up to which it was */
	struct fevent *ev;   /* what was gathered */
	size_t nev, cap;
	struct fkey resume; /* from the token */
	bool has_resume;
	char *resume_name;
};

static int cmp_key(const struct fkey *a, const struct fkey *b)
{
	int r;
	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	if ((r = strcmp(a->stream, b->stream)) != 0)
		return r;
	return a->off < b->off ? -1 : a->off > b->off;
}

static json_t *key_token(const struct fkey *k)
{
	ecsfs_buf b = ECSFS_BUF_INIT;
	json_t *j;
	ecsfs_buf_addf(&b, "%" PRId64 "/%" PRIu64 "/", k->ts, k->off);
	for (const unsigned char *p = (const unsigned char *)k->stream; *p; p++)
		ecsfs_buf_addf(&b, "%02x", *p);
	j = json_string(b.data);
	ecsfs_buf_release(&b);
	return j;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int parse_key(const char *tok, struct fsel *sel)
{
	long long ts;
	unsigned long long off;
	int n = 0;
	const char *hex;
	size_t len;

	if (sscanf(tok, "%lld/%llu/%n", &ts, &off, &n) != 2 || n == 0)
		return -EINVAL;
	hex = tok + n;
	len = strlen(hex);
	if (len == 0 || len % 2)
		return -EINVAL;
	sel->resume_name = calloc(1, len / 2 + 1);
	if (!sel->resume_name)
		abort();
	for (size_t i = 0; i < len / 2; i++) {
		int h = hexval(hex[2 * i]), l = hexval(hex[2 * i + 1]);
		if (h < 0 || l < 0 || (h == 0 && l == 0))
			return -EINVAL;
		sel->resume_name[i] = (char)(h * 16 + l);
	}
	sel->resume.ts = ts;
	sel->resume.off = off;
	sel->resume.stream = sel->resume_name;
	sel->has_resume = true;
	return 0;
}

static bool named(const json_t *names, const char *name)
{
	size_t i;
	json_t *n;
	json_array_foreach(names, i, n) {
		if (strcmp(json_string_value(n), name) == 0)
			return true;
	}
	return false;
}

static void select_streams(const struct lcatalog *c, const ecsfs_logs_filter *q, struct fsel *sel)
{
	sel->v = calloc(c->n ? c->n : 1, sizeof(*sel->v));
	sel->cut = calloc(c->n ? c->n : 1, sizeof(*sel->cut));
	sel->cut_at = calloc(c->n ? c->n : 1, sizeof(*sel->cut_at));
	if (!sel->v || !sel->cut || !sel->cut_at)
		abort();
	for (size_t i = 0; i < c->n; i++) {
		const char *name = c->v[i].name;
		if (q->names && !named(q->names, name))
			continue;
		if (q->prefix && strncmp(name, q->prefix, strlen(q->prefix)) != 0)
			continue;
		sel->v[sel->n++] = &c->v[i];
	}
}

static void fsel_release(struct fsel *sel)
{
	for (size_t i = 0; i < sel->nev; i++)
		json_decref(sel->ev[i].msg);
	free(sel->ev);
	free(sel->v);
	free(sel->cut);
	free(sel->cut_at);
	free(sel->resume_name);
}

static void gather(struct fsel *sel, size_t si, const struct lline *l)
{
	struct fevent *e;
	if (sel->nev == sel->cap) {
		sel->cap = sel->cap ? sel->cap * 2 : 64;
		sel->ev = realloc(sel->ev, sel->cap * sizeof(*sel->ev));
		if (!sel->ev)
			abort();
	}
	e = &sel->ev[sel->nev++];
	e->k.ts = l->ts_ms;
	e->k.stream = sel->v[si]->name;
	e->k.off = l->off;
	e->sidx = si;
	e->ingest_ms = l->ingest_ms;
	e->msg = ecsfs__lmessage(l->msg, l->len);
}

/* What one call may read and keep of each stream. */
struct fbudget {
	int64_t limit;
	size_t keep_bytes, scan_bytes;
};

/* Search stream si from the resume key on: its matching events join
 * sel->ev; a stream left before its end is marked cut, with the key of the
 * last line looked at. */
static void search_stream(struct fsel *sel, size_t si, const ecsfs_logs_filter *q,
			  const struct lfilter *f, const struct fbudget *b)
{
	struct lreader r;
	struct lwalk w;
	struct lline l;
	int64_t lo = q->has_start ? q->start_ms : INT64_MIN, n = 0;
	size_t kept = 0, scanned = 0;

	if (sel->has_resume && sel->resume.ts > lo)
		lo = sel->resume.ts;
	ecsfs__lread_open(&r, sel->v[si]);
	ecsfs__lwalk_init(&w, &r, lo == INT64_MIN ? 0 : ecsfs__lread_seek(&r, lo));
	while (ecsfs__lwalk_next(&w, &l) == 1) {
		struct fkey k = {l.ts_ms, sel->v[si]->name, l.off};
		if (q->has_end && l.ts_ms > q->end_ms)
			break;
		if ((sel->has_resume && cmp_key(&k, &sel->resume) <= 0) || l.ts_ms < lo)
			continue;
		scanned += l.len + 1;
		if (ecsfs__lfilter_match(f, l.msg, l.len)) {
			gather(sel, si, &l);
			kept += l.len + 26;
			n++;
		}
		if (n >= b->limit || kept >= b->keep_bytes || scanned >= b->scan_bytes) {
			sel->cut[si] = true;
			sel->cut_at[si] = k;
			break;
		}
	}
	ecsfs__lwalk_release(&w);
	ecsfs__lread_close(&r);
}

static int cmp_fevent(const void *a, const void *b)
{
	return cmp_key(&((const struct fevent *)a)->k, &((const struct fevent *)b)->k);
}

static uint64_t fnv1a(const char *a, const char *b)
{
	uint64_t h = 1469598103934665603ull;
	for (const char *p = a; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	h = (h ^ '\n') * 1099511628211ull;
	for (const char *p = b; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	return h;
}

static json_t *filtered_event(const char *group, const struct fevent *e)
{
	json_t *j = json_object();
	char id[48];
	snprintf(id, sizeof(id), "%020" PRIu64 "%020" PRIu64, fnv1a(group, e->k.stream), e->k.off);
	json_object_set_new(j, "logStreamName", json_string(e->k.stream));
	json_object_set_new(j, "timestamp", json_integer(e->k.ts));
	json_object_set_new(j, "message", json_incref(e->msg));
	json_object_set_new(j, "ingestionTime", json_integer(e->ingest_ms));
	json_object_set_new(j, "eventId", json_string(id));
	return j;
}

/* The lowest key at which a stream was left, or NULL when none was. */
static const struct fkey *lowest_cut(const struct fsel *sel)
{
	const struct fkey *min = NULL;
	for (size_t i = 0; i < sel->n; i++)
		if (sel->cut[i] && (!min || cmp_key(&sel->cut_at[i], min) < 0))
			min = &sel->cut_at[i];
	return min;
}

/* The gathered events up to the lowest cut, within the limits. */
static void render_filtered(const struct fsel *sel, const ecsfs_logs_filter *q, int64_t limit,
			    json_t *out)
{
	const struct fkey *cut = lowest_cut(sel), *last = NULL;
	json_t *events = json_array(), *searched = json_array();
	size_t bytes = 0;
	bool more = false;

	for (size_t i = 0; i < sel->nev; i++) {
		const struct fevent *e = &sel->ev[i];
		if (cut && cmp_key(&e->k, cut) > 0)
			break;
		if ((int64_t)json_array_size(events) == limit ||
		    (last && bytes + json_string_length(e->msg) + 26 > ECSFS_LOGS_MAX_BYTES)) {
			more = true;
			break;
		}
		bytes += json_string_length(e->msg) + 26;
		json_array_append_new(events, filtered_event(q->group, e));
		last = &e->k;
	}
	for (size_t i = 0; i < sel->n; i++)
		json_array_append_new(searched,
				      json_pack("{s:s, s:b}", "logStreamName", sel->v[i]->name,
						"searchedCompletely", !sel->cut[i]));
	json_object_set_new(out, "events", events);
	json_object_set_new(out, "searchedLogStreams", searched);
	if (more)
		json_object_set_new(out, "nextToken", key_token(last));
	else if (cut) /* every event up to it was given */
		json_object_set_new(out, "nextToken", key_token(cut));
}

static int filter_catalog(const struct lcatalog *c, const ecsfs_logs_filter *q,
			  const struct lfilter *f, json_t **out, ecsfs_err *err)
{
	struct fsel sel = {0};
	struct fbudget b;

	if (q->token && parse_key(q->token, &sel) < 0) {
		fsel_release(&sel);
		return bad_token(err);
	}
	select_streams(c, q, &sel);
	b.limit = q->limit > 0 ? q->limit : ECSFS_LOGS_MAX_EVENTS;
	/* each stream may keep a share of a response and read a share of
	 * SCAN_BYTES (the loop waits while it is read), never less than a
	 * little of each: every call moves on */
	b.keep_bytes = sel.n ? ECSFS_LOGS_MAX_BYTES / sel.n : ECSFS_LOGS_MAX_BYTES;
	if (b.keep_bytes < KEEP_MIN)
		b.keep_bytes = KEEP_MIN;
	b.scan_bytes = sel.n ? SCAN_BYTES / sel.n : SCAN_BYTES;
	if (b.scan_bytes < SCAN_MIN)
		b.scan_bytes = SCAN_MIN;
	for (size_t i = 0; i < sel.n; i++)
		search_stream(&sel, i, q, f, &b);
	if (sel.nev)
		qsort(sel.ev, sel.nev, sizeof(*sel.ev), cmp_fevent);
	*out = json_object();
	render_filtered(&sel, q, b.limit, *out);
	fsel_release(&sel);
	return 0;
}

int ecsfs_logstream_filter(ecsfs_tasks *t, ecsfs_store *s, const ecsfs_logs_filter *q, json_t **out,
			   ecsfs_err *err)
{
	struct lcatalog c;
	struct lfilter *f = NULL;
	int rc;

	if (q->names && q->prefix)
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "logStreamNames and logStreamNamePrefix cannot both be given");
	if ((rc = ecsfs__lfilter_parse(q->pattern, &f, err)) < 0)
		return rc;
	if ((rc = ecsfs__lcat_build(t, s, q->group, &c, err)) < 0) {
		ecsfs__lfilter_free(f);
		return rc;
	}
	/* a group no task writes to yet has no event */
	rc = c.n ? 0 : ecsfs__lgroup_missing(s, q->group, err);
	if (rc == 0)
		rc = filter_catalog(&c, q, f, out, err);
	ecsfs__lcat_release(&c);
	ecsfs__lfilter_free(f);
	return rc;
}
