/*
 * ecsfs — the Docker client's log streams: a container's stdout and stderr
 * followed line by line, with the engine's timestamps.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ecsfs/util.h"

#include "docker_private.h"

/* A log line longer than this is delivered in pieces of this size. */
#define DOCKER_LOG_LINE_MAX (64u << 10)
/* The engine's largest log message: longer lines come in several. */
#define DOCKER_LOG_MESSAGE_MAX (16u << 10)
/* Longest timestamp prefix of a log line ("2026-11-21T19:50:27.123456789Z"
 * is 30 bytes; an offset instead of Z makes it 35). */
#define DOCKER_LOG_TS_MAX 40

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

/* A message's RFC3339Nano timestamp into nanoseconds since the epoch. */
static bool parse_rfc3339(const char *s, size_t n, int64_t *out)
{
	return ecsfs_time_parse(s, n, 0, out) == 0;
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
	ecsfs_http_opts o = {.method = "GET", .timeout_ms = ECSFS__DOCKER_CALL_TIMEOUT_MS};
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
