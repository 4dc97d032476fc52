/*
 * ecsfs — the Docker client's calls: containers, images, volumes, logs.
 *
 * Every call is one HTTP request under the negotiated API version's prefix
 * ("/v1.41/containers/create?name=..."). What its answer's status means is
 * decided here, once, by a table per kind of call: runtime.h's -errno
 * values, with the engine's own message beside them. Transport errors pass
 * through as the HTTP client gives them.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ecsfs/util.h"

#include "docker_private.h"

#define DOCKER_CALL_TIMEOUT_MS	 60000L
#define DOCKER_STOP_GRACE_S	 30 /* beyond the stop timeout */
#define DOCKER_STOP_TIMEOUT_MAX	 (24 * 3600)
#define DOCKER_PULL_TIMEOUT_MS	 (30L * 60 * 1000)
#define DOCKER_IMPORT_TIMEOUT_MS (5L * 60 * 1000)
/* A log line longer than this is delivered in pieces of this size. */
#define DOCKER_LOG_LINE_MAX (64u << 10)
/* The engine's largest log message: longer lines come in several. */
#define DOCKER_LOG_MESSAGE_MAX (16u << 10)
/* Longest timestamp prefix of a log line ("2026-11-21T19:50:27.123456789Z"
 * is 30 bytes; an offset instead of Z makes it 35). */
#define DOCKER_LOG_TS_MAX 40

/* ---- small helpers ------------------------------------------------------ */

void ecsfs__url_escape(ecsfs_buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			ecsfs_buf_addch(out, (char)c);
		} else {
			ecsfs_buf_addch(out, '%');
			ecsfs_buf_addch(out, hex[c >> 4]);
			ecsfs_buf_addch(out, hex[c & 15]);
		}
	}
}

void ecsfs__docker_prefix(struct docker *d, ecsfs_buf *out)
{
	ecsfs_buf_addf(out, "/v%s", d->api[0] ? d->api : ECSFS_DOCKER_API_MIN);
}

void ecsfs__jsonl_init(struct ecsfs__jsonl *j)
{
	ecsfs_buf_init(&j->line);
	j->skipping = false;
}

void ecsfs__jsonl_release(struct ecsfs__jsonl *j)
{
	ecsfs_buf_release(&j->line);
}

static int jsonl_line(struct ecsfs__jsonl *j, ecsfs__jsonl_fn fn, void *data)
{
	json_t *v = json_loadb(j->line.data, j->line.len, 0, NULL);
	int r = 0;

	ecsfs_buf_reset(&j->line);
	if (v) {
		r = fn(data, v);
		json_decref(v);
	}
	return r;
}

int ecsfs__jsonl_feed(struct ecsfs__jsonl *j, const char *p, size_t n, ecsfs__jsonl_fn fn,
		      void *data)
{
	int r;

	while (n) {
		const char *nl = memchr(p, '\n', n);
		size_t take = nl ? (size_t)(nl - p) : n;

		if (!j->skipping && take > ECSFS__DOCKER_JSONL_MAX - j->line.len) {
			j->skipping = true;
			ecsfs_buf_reset(&j->line);
		}
		if (!j->skipping)
			ecsfs_buf_add(&j->line, p, take);
		if (!nl)
			break;
		p += take + 1;
		n -= take + 1;
		if (j->skipping) {
			j->skipping = false;
			continue;
		}
		r = jsonl_line(j, fn, data);
		if (r < 0)
			return r;
	}
	return 0;
}

int ecsfs__jsonl_finish(struct ecsfs__jsonl *j, ecsfs__jsonl_fn fn, void *data)
{
	bool skipping = j->skipping;

	j->skipping = false;
	if (skipping || !j->line.len) {
		ecsfs_buf_reset(&j->line);
		return 0;
	}
	return jsonl_line(j, fn, data);
}

/*
 * Split an image reference into the engine's fromImage and tag: a ':'
 * after the last '/' starts a tag ("host:5000/name" has none), a digest
 * ("name@sha256:...") is the tag the engine wants, and no tag is "latest".
 * Returns 0, or -EINVAL for a reference that is none.
 */
static int ref_split(const char *ref, bool digest_ok, ecsfs_buf *name, ecsfs_buf *tag)
{
	const char *at, *end, *slash, *colon, *p;

	if (!ref || !*ref || strlen(ref) > 1024 || strpbrk(ref, " \t\r\n"))
		return -EINVAL;
	at = strchr(ref, '@');
	if (at && (!digest_ok || !at[1]))
		return -EINVAL;
	end = at ? at : ref + strlen(ref);
	slash = NULL;
	for (p = ref; p < end; p++)
		if (*p == '/')
			slash = p;
	colon = memchr(slash ? slash : ref, ':', (size_t)(end - (slash ? slash : ref)));
	if (colon && colon + 1 == end)
		return -EINVAL;
	if ((colon ? colon : end) == ref)
		return -EINVAL;
	ecsfs_buf_add(name, ref, (size_t)((colon ? colon : end) - ref));
	if (at)
		ecsfs_buf_adds(tag, at + 1);
	else if (colon)
		ecsfs_buf_add(tag, colon + 1, (size_t)(end - colon - 1));
	else
		ecsfs_buf_adds(tag, "latest");
	return 0;
}

/* ---- calls -------------------------------------------------------------- */

enum call_type {
	CALL_CREATE,
	CALL_START,
	CALL_STOP,
	CALL_REMOVE,
	CALL_INSPECT,
	CALL_LIST,
	CALL_IMAGE_INSPECT,
	CALL_PULL,
	CALL_IMPORT,
	CALL_VOLUME_CREATE,
	CALL_VOLUME_REMOVE,
};

/* What a call's answer means. Any status not 2xx (nor a 304 where it is
 * "done already") is an error: 404 -ENOENT, 409 `conflict`, else -EIO. */
static const struct call_kind {
	int conflict;	      /* the errno of a 409; 0: -EIO */
	bool not_modified_ok; /* a 304 means it was done already */
	bool json;	      /* a 2xx answer's body is the result */
	bool progress;	      /* a 200 answer streams JSON lines of progress */
} call_kinds[] = {
    [CALL_CREATE] = {.conflict = -EEXIST, .json = true},
    [CALL_START] = {.not_modified_ok = true},
    [CALL_STOP] = {.not_modified_ok = true},
    [CALL_REMOVE] = {0},
    [CALL_INSPECT] = {.json = true},
    [CALL_LIST] = {.json = true},
    [CALL_IMAGE_INSPECT] = {.json = true},
    [CALL_PULL] = {.progress = true},
    [CALL_IMPORT] = {.progress = true},
    [CALL_VOLUME_CREATE] = {.json = true},
    [CALL_VOLUME_REMOVE] = {.conflict = -EBUSY},
};

struct docker_call {
	const struct call_kind *kind;
	ecsfs_runtime_cb cb;
	void *data;
	ecsfs_buf what;		   /* "POST /v1.41/containers/create", for messages */
	struct ecsfs__jsonl lines; /* of a progress stream */
	json_t *last;		   /* its last value: the result */
	ecsfs_buf error;	   /* the first error it reported */
	bool failed;
};

static void call_free(struct docker_call *c)
{
	ecsfs_buf_release(&c->what);
	ecsfs__jsonl_release(&c->lines);
	ecsfs_buf_release(&c->error);
	json_decref(c->last);
	free(c);
}

/* A line of pull or import progress: {"status": ...}, or the failure the
 * engine can only report this way once it has answered 200. */
static int on_progress(void *data, json_t *v)
{
	struct docker_call *c = data;
	json_t *detail = json_object_get(v, "errorDetail"), *error = json_object_get(v, "error");
	const char *msg = json_string_value(json_object_get(detail, "message"));

	if (!msg)
		msg = json_string_value(error);
	if ((detail || error) && !c->failed) {
		c->failed = true;
		ecsfs_buf_addf(&c->error, "%.*s", ECSFS__DOCKER_MESSAGE_MAX,
			       msg && *msg ? msg : "the engine reported an error");
	}
	json_decref(c->last);
	c->last = json_incref(v);
	return 0;
}

static int on_progress_chunk(void *data, long status, const char *chunk, size_t len)
{
	struct docker_call *c = data;

	return ecsfs__jsonl_feed(&c->lines, chunk, len, on_progress, c);
}

/* The result of a successful status: 0 and *out (may stay NULL), or -EIO. */
static int call_result(struct docker_call *c, long status, const ecsfs_buf *body, json_t **out,
		       ecsfs_buf *msg)
{
	json_error_t jerr;

	if (c->kind->progress) {
		ecsfs__jsonl_finish(&c->lines, on_progress, c);
		if (c->failed) {
			ecsfs_buf_add(msg, c->error.data, c->error.len);
			return -EIO;
		}
		*out = json_incref(c->last);
		return 0;
	}
	if (!c->kind->json || status == 304)
		return 0;
	*out = json_loadb(body->data, body->len, 0, &jerr);
	if (!*out) {
		ecsfs_buf_addf(msg, "%s: the engine's answer is not JSON: %s", c->what.data,
			       jerr.text);
		return -EIO;
	}
	return 0;
}

/* An answer with an error status: its -errno, and its message in *msg. */
static int call_status_error(struct docker_call *c, long status, const ecsfs_buf *body,
			     ecsfs_buf *msg)
{
	json_t *j = json_loadb(body->data, body->len, 0, NULL);
	const char *m = json_string_value(json_object_get(j, "message"));

	if (m && *m) {
		ecsfs_buf_addf(msg, "%.*s", ECSFS__DOCKER_MESSAGE_MAX, m);
	} else {
		ecsfs_buf_addf(msg, "%s: the engine answered HTTP %ld", c->what.data, status);
		if (body->len) {
			ecsfs_buf_adds(msg, ": ");
			ecsfs__docker_error_text(body, 160, msg);
		}
	}
	json_decref(j);
	if (status == 404)
		return -ENOENT;
	if (status == 409 && c->kind->conflict)
		return c->kind->conflict;
	return -EIO;
}

static void on_call_done(void *data, int err, long status, const ecsfs_buf *body,
			 const char *errmsg)
{
	struct docker_call *c = data;
	ecsfs_buf msg = ECSFS_BUF_INIT;
	json_t *result = NULL;
	int r = err;

	if (err)
		ecsfs_buf_adds(&msg, errmsg);
	else if ((status >= 200 && status < 300) || (status == 304 && c->kind->not_modified_ok))
		r = call_result(c, status, body, &result, &msg);
	else
		r = call_status_error(c, status, body, &msg);
	c->cb(c->data, r, r ? NULL : result, r ? msg.data : "");
	json_decref(result);
	ecsfs_buf_release(&msg);
	call_free(c);
}

struct call_req {
	enum call_type type;
	const char *method;
	const char *path;
	const char *body; /* NULL: none */
	size_t body_len;
	const char *content_type;
	long timeout_ms;
};

static int call_start(struct docker *d, const struct call_req *q, ecsfs_runtime_cb cb, void *data)
{
	const struct call_kind *kind = &call_kinds[q->type];
	ecsfs_http_opts o = {
	    .method = q->method,
	    .path = q->path,
	    .body = q->body,
	    .body_len = q->body ? q->body_len : 0,
	    .content_type = q->content_type,
	    .timeout_ms = q->timeout_ms,
	    .on_chunk = kind->progress ? on_progress_chunk : NULL,
	};
	struct docker_call *c;
	int r;

	if (d->closing)
		return -ECANCELED;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->kind = kind;
	c->cb = cb;
	c->data = data;
	ecsfs_buf_init(&c->what);
	ecsfs_buf_init(&c->error);
	ecsfs__jsonl_init(&c->lines);
	ecsfs_buf_addf(&c->what, "%s %.*s", q->method, (int)strcspn(q->path, "?"), q->path);
	r = ecsfs_http_start(d->http, &o, on_call_done, c, NULL);
	if (r < 0)
		call_free(c);
	return r;
}

/* The usual shape: a method on `prefix` + `what` + escaped `id` + `tail`. */
static int call_on(ecsfs_runtime *rt, enum call_type type, const char *method, const char *what,
		   const char *id, const char *tail, long timeout_ms, ecsfs_runtime_cb cb,
		   void *data)
{
	struct docker *d = ecsfs__to_docker(rt);
	ecsfs_buf path = ECSFS_BUF_INIT;
	struct call_req q = {.type = type, .method = method, .timeout_ms = timeout_ms};
	int r;

	if (!cb || !id || !*id)
		return -EINVAL;
	ecsfs__docker_prefix(d, &path);
	ecsfs_buf_adds(&path, what);
	ecsfs__url_escape(&path, id);
	ecsfs_buf_adds(&path, tail);
	q.path = path.data;
	r = call_start(d, &q, cb, data);
	ecsfs_buf_release(&path);
	return r;
}

int ecsfs__docker_create(ecsfs_runtime *rt, const char *name, json_t *config, ecsfs_runtime_cb cb,
			 void *data)
{
	struct docker *d = ecsfs__to_docker(rt);
	ecsfs_buf path = ECSFS_BUF_INIT;
	struct call_req q = {
	    .type = CALL_CREATE, .method = "POST", .timeout_ms = DOCKER_CALL_TIMEOUT_MS};
	char *body;
	int r;

	if (!cb || !json_is_object(config))
		return -EINVAL;
	body = json_dumps(config, JSON_COMPACT);
	if (!body)
		return -ENOMEM;
	ecsfs__docker_prefix(d, &path);
	ecsfs_buf_adds(&path, "/containers/create");
	if (name && *name) {
		ecsfs_buf_adds(&path, "?name=");
		ecsfs__url_escape(&path, name);
	}
	q.path = path.data;
	q.body = body;
	q.body_len = strlen(body);
	r = call_start(d, &q, cb, data);
	ecsfs_buf_release(&path);
	free(body);
	return r;
}

int ecsfs__docker_start_container(ecsfs_runtime *rt, const char *id, ecsfs_runtime_cb cb,
				  void *data)
{
	return call_on(rt, CALL_START, "POST", "/containers/", id, "/start", DOCKER_CALL_TIMEOUT_MS,
		       cb, data);
}

int ecsfs__docker_stop(ecsfs_runtime *rt, const char *id, int timeout_s, ecsfs_runtime_cb cb,
		       void *data)
{
	char tail[32];

	if (timeout_s < 0 || timeout_s > DOCKER_STOP_TIMEOUT_MAX)
		return -EINVAL;
	snprintf(tail, sizeof(tail), "/stop?t=%d", timeout_s);
	/* The engine answers once the container is down: after up to t s. */
	return call_on(rt, CALL_STOP, "POST", "/containers/", id, tail,
		       (timeout_s + DOCKER_STOP_GRACE_S) * 1000L, cb, data);
}

int ecsfs__docker_remove(ecsfs_runtime *rt, const char *id, ecsfs_runtime_cb cb, void *data)
{
	return call_on(rt, CALL_REMOVE, "DELETE", "/containers/", id, "?force=1&v=1",
		       DOCKER_CALL_TIMEOUT_MS, cb, data);
}

int ecsfs__docker_inspect(ecsfs_runtime *rt, const char *id, ecsfs_runtime_cb cb, void *data)
{
	return call_on(rt, CALL_INSPECT, "GET", "/containers/", id, "/json", DOCKER_CALL_TIMEOUT_MS,
		       cb, data);
}

/* A NULL or empty label lists every container. */
int ecsfs__docker_list(ecsfs_runtime *rt, const char *label, ecsfs_runtime_cb cb, void *data)
{
	struct docker *d = ecsfs__to_docker(rt);
	ecsfs_buf path = ECSFS_BUF_INIT;
	struct call_req q = {
	    .type = CALL_LIST, .method = "GET", .timeout_ms = DOCKER_CALL_TIMEOUT_MS};
	json_t *filters = NULL;
	char *text = NULL;
	int r;

	if (!cb)
		return -EINVAL;
	if (label && *label) {
		filters = json_pack("{s:[s]}", "label", label);
		text = filters ? json_dumps(filters, JSON_COMPACT) : NULL;
		json_decref(filters);
		if (!text)
			return -ENOMEM;
	}
	ecsfs__docker_prefix(d, &path);
	ecsfs_buf_adds(&path, "/containers/json?all=1");
	if (text) {
		ecsfs_buf_adds(&path, "&filters=");
		ecsfs__url_escape(&path, text);
	}
	q.path = path.data;
	r = call_start(d, &q, cb, data);
	ecsfs_buf_release(&path);
	free(text);
	return r;
}

int ecsfs__docker_image_inspect(ecsfs_runtime *rt, const char *ref, ecsfs_runtime_cb cb, void *data)
{
	return call_on(rt, CALL_IMAGE_INSPECT, "GET", "/images/", ref, "/json",
		       DOCKER_CALL_TIMEOUT_MS, cb, data);
}

int ecsfs__docker_image_pull(ecsfs_runtime *rt, const char *ref, ecsfs_runtime_cb cb, void *data)
{
	struct docker *d = ecsfs__to_docker(rt);
	ecsfs_buf path = ECSFS_BUF_INIT, name = ECSFS_BUF_INIT, tag = ECSFS_BUF_INIT;
	struct call_req q = {
	    .type = CALL_PULL, .method = "POST", .timeout_ms = DOCKER_PULL_TIMEOUT_MS};
	int r;

	if (!cb)
		return -EINVAL;
	r = ref_split(ref, true, &name, &tag);
	if (r < 0)
		goto out;
	ecsfs__docker_prefix(d, &path);
	ecsfs_buf_adds(&path, "/images/create?fromImage=");
	ecsfs__url_escape(&path, name.data);
	ecsfs_buf_adds(&path, "&tag=");
	ecsfs__url_escape(&path, tag.data);
	q.path = path.data;
	r = call_start(d, &q, cb, data);
out:
	ecsfs_buf_release(&path);
	ecsfs_buf_release(&name);
	ecsfs_buf_release(&tag);
	return r;
}

int ecsfs__docker_image_import(ecsfs_runtime *rt, const char *ref, const void *tar, size_t len,
			       const char *cmd_json, ecsfs_runtime_cb cb, void *data)
{
	struct docker *d = ecsfs__to_docker(rt);
	ecsfs_buf path = ECSFS_BUF_INIT, name = ECSFS_BUF_INIT, tag = ECSFS_BUF_INIT;
	ecsfs_buf change = ECSFS_BUF_INIT;
	struct call_req q = {.type = CALL_IMPORT,
			     .method = "POST",
			     .body = tar,
			     .body_len = len,
			     .content_type = "application/x-tar",
			     .timeout_ms = DOCKER_IMPORT_TIMEOUT_MS};
	int r;

	if (!cb || !tar || !len || (cmd_json && strpbrk(cmd_json, "\r\n")))
		return -EINVAL;
	r = ref_split(ref, false, &name, &tag);
	if (r < 0)
		goto out;
	ecsfs__docker_prefix(d, &path);
	ecsfs_buf_adds(&path, "/images/create?fromSrc=-&repo=");
	ecsfs__url_escape(&path, name.data);
	ecsfs_buf_adds(&path, "&tag=");
	ecsfs__url_escape(&path, tag.data);
	if (cmd_json && *cmd_json) {
		ecsfs_buf_addf(&change, "CMD %s", cmd_json);
		ecsfs_buf_adds(&path, "&changes=");
		ecsfs__url_escape(&path, change.data);
	}
	q.path = path.data;
	r = call_start(d, &q, cb, data);
out:
	ecsfs_buf_release(&path);
	ecsfs_buf_release(&name);
	ecsfs_buf_release(&tag);
	ecsfs_buf_release(&change);
	return r;
}

int ecsfs__docker_volume_create(ecsfs_runtime *rt, json_t *body, ecsfs_runtime_cb cb, void *data)
{
	struct docker *d = ecsfs__to_docker(rt);
	ecsfs_buf path = ECSFS_BUF_INIT;
	struct call_req q = {
	    .type = CALL_VOLUME_CREATE, .method = "POST", .timeout_ms = DOCKER_CALL_TIMEOUT_MS};
	char *text;
	int r;

	if (!cb || !json_is_object(body))
		return -EINVAL;
	text = json_dumps(body, JSON_COMPACT);
	if (!text)
		return -ENOMEM;
	ecsfs__docker_prefix(d, &path);
	ecsfs_buf_adds(&path, "/volumes/create");
	q.path = path.data;
	q.body = text;
	q.body_len = strlen(text);
	r = call_start(d, &q, cb, data);
	ecsfs_buf_release(&path);
	free(text);
	return r;
}

int ecsfs__docker_volume_remove(ecsfs_runtime *rt, const char *name, ecsfs_runtime_cb cb,
				void *data)
{
	return call_on(rt, CALL_VOLUME_REMOVE, "DELETE", "/volumes/", name, "",
		       DOCKER_CALL_TIMEOUT_MS, cb, data);
}

/* ---- log streams -------------------------------------------------------- */

/*
 * GET /containers/{id}/logs?follow=1&timestamps=1, after an inspect that
 * says whether the container has a TTY. Without one, the engine
 * multiplexes stdout and stderr in frames (a byte naming the stream, three
 * zero bytes, a big-endian 32-bit length, the bytes); with one, the body
 * is the terminal's raw output, all of it stdout. Frames and lines are
 * cut anywhere by the transport: every piece of state below survives
 * between chunks.
 *
 * The engine stores output as messages of at most 16 KiB, so a longer line
 * is several messages, and with timestamps=1 each message, not each line,
 * starts with an RFC3339Nano timestamp and a space: "ts1 <16 KiB>ts2
 * <rest>\n". A frame holds one message; a terminal's stream has no frames,
 * so there the next message is expected after 16 KiB without a '\n'. Each
 * message's timestamp is stripped; a line has the time of its first.
 */

/* The line being gathered from one stream. */
struct logs_line {
	ecsfs_buf text; /* the line so far; while in_ts, a timestamp at ts_at */
	int64_t ts;	/* the line's time, once `started` */
	size_t ts_at;	/* where the message's timestamp starts in text */
	size_t msg_len; /* bytes of the current message after its timestamp */
	bool started;	/* the line's first timestamp has been read */
	bool in_body;	/* past the current message's timestamp */
};

struct ecsfs_runtime_logs {
	struct docker *d;
	ecsfs_runtime_line_cb line;
	ecsfs_runtime_end_cb end;
	void *data;
	ecsfs_buf id;
	int64_t since_ns;
	ecsfs_http_req *req; /* in flight: the inspect, then the logs */
	bool tty;
	bool canceled;
	unsigned char hdr[8]; /* a frame header being gathered */
	size_t hdr_len;
	size_t frame_left; /* bytes of the current frame still to come */
	int frame_stream;
	struct logs_line out[2]; /* stdout, stderr */
};

static int digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* "2026-11-21T19:50:27.123456789Z" (or "+01:00" for Z, fewer digits of
 * fraction or none) into nanoseconds since the epoch. */
static bool parse_rfc3339(const char *s, size_t n, int64_t *out)
{
	struct tm tm = {0};
	int64_t frac = 0, off = 0;
	int nd = 0, hh, mm;
	size_t i = 19;
	time_t t;

	if (n < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
	    s[13] != ':' || s[16] != ':')
		return false;
	tm.tm_year = digits(s, 4) - 1900;
	tm.tm_mon = digits(s + 5, 2) - 1;
	tm.tm_mday = digits(s + 8, 2);
	tm.tm_hour = digits(s + 11, 2);
	tm.tm_min = digits(s + 14, 2);
	tm.tm_sec = digits(s + 17, 2);
	if (tm.tm_year < -1899 || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour < 0 || tm.tm_hour > 23 || tm.tm_min < 0 ||
	    tm.tm_min > 59 || tm.tm_sec < 0 || tm.tm_sec > 60)
		return false;
	if (s[i] == '.') {
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			if (nd < 9) {
				frac = frac * 10 + (s[i] - '0');
				nd++;
			}
		if (nd == 0)
			return false;
	}
	for (; nd < 9; nd++)
		frac *= 10;
	if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i + 6 == n && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
		hh = digits(s + i + 1, 2);
		mm = digits(s + i + 4, 2);
		if (hh < 0 || mm < 0)
			return false;
		off = (hh * 3600 + mm * 60) * (s[i] == '-' ? -1 : 1);
		i += 6;
	} else {
		return false;
	}
	if (i != n)
		return false;
	t = timegm(&tm);
	*out = ((int64_t)t - off) * 1000000000 + frac;
	return true;
}

/* A message's timestamp, once its space (or the end of the line, or too
 * many bytes) has come: stripped, and the line's time if it is the first.
 * Text that is no timestamp stays; a line without any has the time it
 * arrived. */
static void logs_take_ts(struct logs_line *ln, bool whole)
{
	const char *p = ln->text.data + ln->ts_at;
	size_t n = ln->text.len - ln->ts_at;
	int64_t ts = 0;
	bool found = (n && p[n - 1] == ' ' && parse_rfc3339(p, n - 1, &ts)) ||
		     (whole && parse_rfc3339(p, n, &ts));

	if (found)
		ecsfs_buf_setlen(&ln->text, ln->ts_at);
	if (!ln->started) {
		ln->ts = found ? ts : ecsfs_now_ns();
		ln->started = true;
	}
	ln->msg_len = ln->text.len - ln->ts_at;
	ln->in_body = true;
}

/* Another message of the same line begins: its timestamp comes next. */
static void logs_next_message(struct logs_line *ln)
{
	if (!ln->in_body)
		return;
	ln->in_body = false;
	ln->ts_at = ln->text.len;
}

/* Deliver what `stream` has gathered: a whole line, or its first
 * DOCKER_LOG_LINE_MAX bytes. */
static void logs_emit(struct ecsfs_runtime_logs *l, int stream, bool whole)
{
	struct logs_line *ln = &l->out[stream - 1];
	size_t n, shown;

	if (!ln->in_body)
		logs_take_ts(ln, whole);
	n = ln->text.len;
	if (!whole && n > DOCKER_LOG_LINE_MAX)
		n = DOCKER_LOG_LINE_MAX;
	shown = n;
	/* A terminal ends its lines with "\r\n". */
	if (whole && l->tty && shown && ln->text.data[shown - 1] == '\r')
		shown--;
	if (!l->canceled)
		l->line(l->data, stream, ln->ts, ln->text.data, shown);
	memmove(ln->text.data, ln->text.data + n, ln->text.len - n);
	ecsfs_buf_setlen(&ln->text, ln->text.len - n);
	if (whole) {
		ln->started = false;
		ln->in_body = false;
		ln->ts_at = 0;
		ln->msg_len = 0;
	}
}

/* Bytes of `stream` with no '\n' among them. */
static void logs_add(struct ecsfs_runtime_logs *l, int stream, const char *p, size_t n)
{
	struct logs_line *ln = &l->out[stream - 1];
	const char *sp;
	size_t take;

	while (n && !l->canceled) {
		if (!ln->in_body) {
			take = ln->ts_at + DOCKER_LOG_TS_MAX - ln->text.len;
			if (take > n)
				take = n;
			sp = memchr(p, ' ', take);
			if (sp)
				take = (size_t)(sp - p) + 1;
			ecsfs_buf_add(&ln->text, p, take);
			if (sp || ln->text.len - ln->ts_at >= DOCKER_LOG_TS_MAX)
				logs_take_ts(ln, false);
		} else if (ln->text.len >= DOCKER_LOG_LINE_MAX) {
			logs_emit(l, stream, false);
			continue;
		} else {
			take = DOCKER_LOG_LINE_MAX - ln->text.len;
			if (take > n)
				take = n;
			if (l->tty && take > DOCKER_LOG_MESSAGE_MAX - ln->msg_len)
				take = DOCKER_LOG_MESSAGE_MAX - ln->msg_len;
			ecsfs_buf_add(&ln->text, p, take);
			ln->msg_len += take;
			if (l->tty && ln->msg_len >= DOCKER_LOG_MESSAGE_MAX)
				logs_next_message(ln);
		}
		p += take;
		n -= take;
	}
}

static void logs_feed(struct ecsfs_runtime_logs *l, int stream, const char *p, size_t n)
{
	while (n && !l->canceled) {
		const char *nl = memchr(p, '\n', n);
		size_t take = nl ? (size_t)(nl - p) : n;

		logs_add(l, stream, p, take);
		if (nl) {
			logs_emit(l, stream, true);
			take++;
		}
		p += take;
		n -= take;
	}
}

static int on_logs_chunk(void *data, long status, const char *p, size_t n)
{
	struct ecsfs_runtime_logs *l = data;
	size_t take;

	if (l->tty) {
		logs_feed(l, 1, p, n);
		return l->canceled ? -ECANCELED : 0;
	}
	while (n && !l->canceled) {
		if (l->frame_left == 0) {
			take = sizeof(l->hdr) - l->hdr_len;
			if (take > n)
				take = n;
			memcpy(l->hdr + l->hdr_len, p, take);
			l->hdr_len += take;
			p += take;
			n -= take;
			if (l->hdr_len < sizeof(l->hdr))
				break;
			l->hdr_len = 0;
			/* 0 stdin, 1 stdout, 2 stderr, 3 the engine's own error. */
			if (l->hdr[0] > 3 || l->hdr[1] || l->hdr[2] || l->hdr[3])
				return -EIO;
			l->frame_stream = l->hdr[0] >= 2 ? 2 : 1;
			l->frame_left = (size_t)l->hdr[4] << 24 | (size_t)l->hdr[5] << 16 |
					(size_t)l->hdr[6] << 8 | l->hdr[7];
			logs_next_message(&l->out[l->frame_stream - 1]);
		} else {
			take = l->frame_left < n ? l->frame_left : n;
			logs_feed(l, l->frame_stream, p, take);
			l->frame_left -= take;
			p += take;
			n -= take;
		}
	}
	return l->canceled ? -ECANCELED : 0;
}

static void logs_end(struct ecsfs_runtime_logs *l, int err)
{
	ecsfs_runtime_end_cb end = l->end;
	void *data = l->data;

	ecsfs_buf_release(&l->id);
	ecsfs_buf_release(&l->out[0].text);
	ecsfs_buf_release(&l->out[1].text);
	free(l);
	end(data, err);
}

static void on_logs_done(void *data, int err, long status, const ecsfs_buf *body,
			 const char *errmsg)
{
	struct ecsfs_runtime_logs *l = data;
	int i;

	l->req = NULL;
	if (l->canceled || err == -ECANCELED) {
		logs_end(l, -ECANCELED);
		return;
	}
	for (i = 1; i <= 2; i++)
		if (l->out[i - 1].text.len)
			logs_emit(l, i, true);
	if (l->canceled)
		err = -ECANCELED;
	else if (!err && status != 404 && (status < 200 || status >= 300))
		err = -EIO;
	logs_end(l, err);
}

static void on_logs_inspect(void *data, int err, long status, const ecsfs_buf *body,
			    const char *errmsg)
{
	struct ecsfs_runtime_logs *l = data;
	ecsfs_http_opts o = {.method = "GET", .on_chunk = on_logs_chunk};
	ecsfs_buf path = ECSFS_BUF_INIT;
	json_t *j;
	int r;

	l->req = NULL;
	if (l->canceled || err) {
		logs_end(l, l->canceled ? -ECANCELED : err);
		return;
	}
	if (status == 404) {
		logs_end(l, 0); /* gone: nothing more will come */
		return;
	}
	j = status == 200 ? json_loadb(body->data, body->len, 0, NULL) : NULL;
	if (!j) {
		logs_end(l, -EIO);
		return;
	}
	l->tty = json_is_true(json_object_get(json_object_get(j, "Config"), "Tty"));
	json_decref(j);
	ecsfs__docker_prefix(l->d, &path);
	ecsfs_buf_adds(&path, "/containers/");
	ecsfs__url_escape(&path, l->id.data);
	ecsfs_buf_adds(&path, "/logs?follow=1&stdout=1&stderr=1&timestamps=1");
	if (l->since_ns > 0)
		ecsfs_buf_addf(&path, "&since=%lld.%09lld", (long long)(l->since_ns / 1000000000),
			       (long long)(l->since_ns % 1000000000));
	o.path = path.data;
	r = ecsfs_http_start(l->d->http, &o, on_logs_done, l, &l->req);
	ecsfs_buf_release(&path);
	if (r < 0)
		logs_end(l, r);
}

ecsfs_runtime_logs *ecsfs__docker_logs(ecsfs_runtime *rt, const char *id, int64_t since_ns,
				       ecsfs_runtime_line_cb line, ecsfs_runtime_end_cb end,
				       void *data)
{
	struct docker *d = ecsfs__to_docker(rt);
	ecsfs_http_opts o = {.method = "GET", .timeout_ms = DOCKER_CALL_TIMEOUT_MS};
	struct ecsfs_runtime_logs *l;
	ecsfs_buf path = ECSFS_BUF_INIT;
	int r;

	if (!id || !*id || !line || !end || since_ns < 0 || d->closing)
		return NULL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->d = d;
	l->line = line;
	l->end = end;
	l->data = data;
	l->since_ns = since_ns;
	ecsfs_buf_init(&l->id);
	ecsfs_buf_init(&l->out[0].text);
	ecsfs_buf_init(&l->out[1].text);
	ecsfs_buf_adds(&l->id, id);
	ecsfs__docker_prefix(d, &path);
	ecsfs_buf_adds(&path, "/containers/");
	ecsfs__url_escape(&path, id);
	ecsfs_buf_adds(&path, "/json");
	o.path = path.data;
	r = ecsfs_http_start(d->http, &o, on_logs_inspect, l, &l->req);
	ecsfs_buf_release(&path);
	if (r < 0) {
		ecsfs_buf_release(&l->id);
		free(l);
		return NULL;
	}
	return l;
}

/*
 * The request in flight is canceled; its callback, which ends the stream
 * with -ECANCELED, runs after this returns (on a later loop iteration,
 * unless this is called from a line callback: then once that returns).
 */
void ecsfs__docker_logs_cancel(ecsfs_runtime_logs *l)
{
	if (!l || l->canceled)
		return;
	l->canceled = true;
	if (l->req)
		ecsfs_http_cancel(l->req);
}
