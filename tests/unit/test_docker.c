/*
 * Unit tests of the runtime boundary: the fake runtime, the HTTP client and
 * the Docker runtime against a tiny HTTP server on a temporary unix socket,
 * a socket that does not exist, and the real engine when one answers
 * (required when ECSFS_REQUIRE_DOCKER=1).
 *
 * Nothing sleeps hoping: run_until() runs the loop until a condition holds
 * and gives up after a bound.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "ecsfs/buf.h"
#include "ecsfs/docker.h"
#include "ecsfs/http.h"
#include "ecsfs/launch.h"
#include "ecsfs/runtime.h"
#include "fake/fake_runtime.h"
#include "tap.h"

#define REAL_DOCKER_SOCK "/var/run/docker.sock"

static uv_loop_t loop;
static uv_timer_t poll_timer;
static char tmpdir[64];

/* ---- running the loop until something holds ---------------------------- */

struct watch {
	bool (*cond)(void *arg);
	void *arg;
	uint64_t deadline;
	bool met;
};

static void on_poll_timer(uv_timer_t *t)
{
	struct watch *w = t->data;

	if (w->cond(w->arg))
		w->met = true;
	if (w->met || uv_now(&loop) >= w->deadline) {
		uv_timer_stop(t);
		uv_stop(&loop);
	}
}

/* Run the loop until cond(arg) holds, at most bound_ms. Returns whether it held. */
static bool run_until(bool (*cond)(void *), void *arg, uint64_t bound_ms)
{
	struct watch w = {.cond = cond, .arg = arg};

	if (cond(arg))
		return true;
	uv_update_time(&loop);
	w.deadline = uv_now(&loop) + bound_ms;
	poll_timer.data = &w;
	uv_timer_start(&poll_timer, on_poll_timer, 10, 10);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_timer_stop(&poll_timer);
	return w.met;
}

static bool never(void *arg)
{
	return false;
}

static bool flag_set(void *arg)
{
	return *(bool *)arg;
}

static void set_flag(void *arg)
{
	*(bool *)arg = true;
}

/* ---- a tiny HTTP server standing in for dockerd ------------------------ */

struct server;
struct drip;

struct client {
	uv_pipe_t pipe;
	ecsfs_buf in;
	struct server *srv;
	struct drip *drip; /* a chunked answer being sent piece by piece */
	struct client *prev, *next;
};

struct server {
	uv_pipe_t pipe;
	char path[108];
	const char *api_version; /* what GET /version answers */
	int ping_status;	 /* what GET /_ping answers */
	int requests;
	int open_handles;
	struct client *clients;
	/* the targets of the last requests of a kind, to check what was asked */
	char events_target[1024];
	char logs_target[1024];
	char pull_target[1024];
	int events_requests;
};

struct write_req {
	uv_write_t req;
	ecsfs_buf data;
};

static void on_written(uv_write_t *req, int status)
{
	struct write_req *w = (struct write_req *)req;

	ecsfs_buf_release(&w->data);
	free(w);
}

/* Write `data` (taken over) to the client. */
static void client_write(struct client *c, ecsfs_buf *data)
{
	struct write_req *w = calloc(1, sizeof(*w));
	uv_buf_t b;

	if (!w)
		abort();
	w->data = *data;
	ecsfs_buf_init(data);
	b = uv_buf_init(w->data.data, (unsigned)w->data.len);
	if (uv_write(&w->req, (uv_stream_t *)&c->pipe, &b, 1, on_written) < 0) {
		ecsfs_buf_release(&w->data);
		free(w);
	}
}

static void client_send(struct client *c, int status, const char *type, const char *body)
{
	ecsfs_buf out = ECSFS_BUF_INIT;

	ecsfs_buf_addf(&out,
		       "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		       "Api-Version: 1.41\r\n\r\n%s",
		       status, status == 200 ? "OK" : "Error", type, strlen(body), body);
	client_write(c, &out);
}

/*
 * A 200 answer whose body goes out in chunks of `piece` bytes, one every
 * millisecond, so that the client sees frames, lines and JSON objects cut
 * anywhere. With keep_open, the answer stays unfinished once the body is
 * out, like /events, until server_end_streams() or the connection closes.
 */
struct drip {
	uv_timer_t timer;
	struct server *srv;
	struct client *c;
	ecsfs_buf body;
	size_t off, piece;
	bool keep_open;
	bool ended;
};

static void on_drip_closed(uv_handle_t *h)
{
	struct drip *d = h->data;
	struct server *srv = d->srv;

	ecsfs_buf_release(&d->body);
	free(d);
	srv->open_handles--;
}

static void drip_close(struct client *c)
{
	if (!c->drip)
		return;
	uv_close((uv_handle_t *)&c->drip->timer, on_drip_closed);
	c->drip = NULL;
}

static void drip_end(struct drip *d)
{
	ecsfs_buf out = ECSFS_BUF_INIT;

	if (d->ended)
		return;
	d->ended = true;
	uv_timer_stop(&d->timer);
	ecsfs_buf_adds(&out, "0\r\n\r\n");
	client_write(d->c, &out);
}

static void on_drip(uv_timer_t *t)
{
	struct drip *d = t->data;
	ecsfs_buf out = ECSFS_BUF_INIT;
	size_t n = d->body.len - d->off;

	if (n > d->piece)
		n = d->piece;
	if (n) {
		ecsfs_buf_addf(&out, "%zx\r\n", n);
		ecsfs_buf_add(&out, d->body.data + d->off, n);
		ecsfs_buf_adds(&out, "\r\n");
		d->off += n;
		client_write(d->c, &out);
	}
	if (d->off < d->body.len)
		return;
	if (d->keep_open)
		uv_timer_stop(t);
	else
		drip_end(d);
}

static void client_drip(struct client *c, const char *type, const ecsfs_buf *body, size_t piece,
			bool keep_open)
{
	struct drip *d = calloc(1, sizeof(*d));
	ecsfs_buf out = ECSFS_BUF_INIT;

	if (!d)
		abort();
	drip_close(c);
	ecsfs_buf_init(&d->body);
	ecsfs_buf_add(&d->body, body->data, body->len);
	d->c = c;
	d->srv = c->srv;
	d->piece = piece;
	d->keep_open = keep_open;
	uv_timer_init(&loop, &d->timer);
	d->timer.data = d;
	c->drip = d;
	c->srv->open_handles++;
	ecsfs_buf_addf(&out,
		       "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nTransfer-Encoding: chunked\r\n"
		       "Api-Version: 1.41\r\n\r\n",
		       type);
	client_write(c, &out);
	uv_timer_start(&d->timer, on_drip, 1, 1);
}

/* Finish every answer left open. */
static void server_end_streams(struct server *srv)
{
	struct client *c;

	for (c = srv->clients; c; c = c->next)
		if (c->drip && c->drip->off == c->drip->body.len)
			drip_end(c->drip);
}

/* One frame of the engine's multiplexed log stream. */
static void mux_frame(ecsfs_buf *out, int stream, const char *text)
{
	size_t n = strlen(text);
	unsigned char h[8] = {(unsigned char)stream,
			      0,
			      0,
			      0,
			      (unsigned char)(n >> 24),
			      (unsigned char)(n >> 16),
			      (unsigned char)(n >> 8),
			      (unsigned char)n};

	ecsfs_buf_add(out, h, sizeof(h));
	ecsfs_buf_add(out, text, n);
}

static void save_target(char *dst, size_t size, const char *head)
{
	const char *sp = strchr(head, ' ');

	snprintf(dst, size, "%.*s", sp ? (int)strcspn(sp + 1, " ") : 0, sp ? sp + 1 : "");
}

#define LOG_TS1 "2026-11-21T19:50:27.123456789Z"
#define LOG_TS2 "2026-11-21T19:50:27.9Z"

/* The engine's API routes the tests below use; 1 when `head` was one. */
static int client_answer_api(struct client *c, const char *head)
{
	struct server *srv = c->srv;
	ecsfs_buf body = ECSFS_BUF_INIT;
	ecsfs_buf longline = ECSFS_BUF_INIT;
	size_t i, n;

#define ROUTE(s) (strncmp(head, (s), strlen(s)) == 0)
	if (ROUTE("GET /v1.41/containers/demux/json ") ||
	    ROUTE("GET /v1.41/containers/long/json ") ||
	    ROUTE("GET /v1.41/containers/hang/json ")) {
		client_send(c, 200, "application/json",
			    "{\"Id\":\"x\",\"Config\":{\"Tty\":false}}");
	} else if (ROUTE("GET /v1.41/containers/tty/json ") ||
		   ROUTE("GET /v1.41/containers/ttylong/json ")) {
		client_send(c, 200, "application/json", "{\"Id\":\"x\",\"Config\":{\"Tty\":true}}");
	} else if (ROUTE("GET /v1.41/containers/teapot/json ")) {
		client_send(c, 500, "text/plain", "kaput");
	} else if (ROUTE("GET /v1.41/containers/demux/logs?")) {
		save_target(srv->logs_target, sizeof(srv->logs_target), head);
		mux_frame(&body, 1, LOG_TS1 " hello\n2026-11-21T19:50:27.2Z wor");
		mux_frame(&body, 2, "2026-11-21T19:50:28Z oops\n");
		mux_frame(&body, 1, "ld\n");
		mux_frame(&body, 1, "");
		mux_frame(&body, 2, "2026-11-21T20:50:28+01:00 offset\n");
		mux_frame(&body, 2, "no timestamp\n");
		mux_frame(&body, 1, "2026-11-21T19:50:29.000000001Z partial");
		client_drip(c, "application/vnd.docker.raw-stream", &body, 3, false);
	} else if (ROUTE("GET /v1.41/containers/long/logs?")) {
		/* as the engine sends a 70000-byte line: messages of 16 KiB */
		for (i = 0; i < 70000; i += 16384) {
			ecsfs_buf_reset(&longline);
			ecsfs_buf_adds(&longline, i ? LOG_TS2 " " : LOG_TS1 " ");
			n = 70000 - i < 16384 ? 70000 - i : 16384;
			ecsfs_buf_setlen(&longline, longline.len + n);
			memset(longline.data + longline.len - n, 'x', n);
			if (i + n == 70000)
				ecsfs_buf_adds(&longline, "\n");
			mux_frame(&body, 1, longline.data);
		}
		mux_frame(&body, 2, LOG_TS2 " short\n");
		client_drip(c, "application/vnd.docker.raw-stream", &body, 4096, false);
	} else if (ROUTE("GET /v1.41/containers/ttylong/logs?")) {
		ecsfs_buf_adds(&body, LOG_TS1 " ");
		ecsfs_buf_setlen(&body, body.len + 16384);
		memset(body.data + body.len - 16384, 'a', 16384);
		ecsfs_buf_adds(&body, LOG_TS2 " bbbb\r\n" LOG_TS2 " next\r\n");
		client_drip(c, "application/vnd.docker.raw-stream", &body, 1000, false);
	} else if (ROUTE("GET /v1.41/containers/tty/logs?")) {
		save_target(srv->logs_target, sizeof(srv->logs_target), head);
		ecsfs_buf_adds(&body, "2026-11-21T19:50:27Z a\r\n2026-11-21T19:50:27.5Z b\r\n");
		client_drip(c, "application/vnd.docker.raw-stream", &body, 3, false);
	} else if (ROUTE("GET /v1.41/containers/hang/logs?")) {
		client_drip(c, "application/vnd.docker.raw-stream", &body, 3, true);
	} else if (ROUTE("GET /v1.41/events?")) {
		srv->events_requests++;
		save_target(srv->events_target, sizeof(srv->events_target), head);
		ecsfs_buf_adds(&body, "{\"Type\":\"container\",\"Action\":\"start\","
				      "\"Actor\":{\"ID\":\"abc\",\"Attributes\":{}}}\n"
				      "{\"Type\":\"container\",\"Action\":\"die\","
				      "\"Actor\":{\"ID\":\"abc\",\"Attributes\":"
				      "{\"exitCode\":\"3\"}}}\n");
		client_drip(c, "application/json", &body, 5, true);
	} else if (ROUTE("POST /v1.41/images/create?fromImage=")) {
		save_target(srv->pull_target, sizeof(srv->pull_target), head);
		ecsfs_buf_adds(&body, "{\"status\":\"Pulling from x\"}\r\n");
		if (strstr(head, "busted"))
			ecsfs_buf_adds(&body, "{\"errorDetail\":{\"message\":\"manifest unknown\"},"
					      "\"error\":\"manifest unknown\"}\r\n");
		else
			ecsfs_buf_adds(&body, "{\"status\":\"Downloaded\"}\r\n");
		client_drip(c, "application/json", &body, 7, false);
	} else {
		ecsfs_buf_release(&body);
		return 0;
	}
#undef ROUTE
	ecsfs_buf_release(&body);
	ecsfs_buf_release(&longline);
	return 1;
}

/* Answer one request whose head is `head` ("GET /_ping HTTP/1.1\r\n..."). */
static void client_answer(struct client *c, const char *head, const ecsfs_buf *in)
{
	struct server *srv = c->srv;
	ecsfs_buf body = ECSFS_BUF_INIT;
	const char *ct;

	srv->requests++;
	if (client_answer_api(c, head)) {
		/* answered */
	} else if (strncmp(head, "GET /_ping ", 11) == 0) {
		if (srv->ping_status == 200)
			client_send(c, 200, "text/plain", "OK");
		else
			client_send(c, srv->ping_status, "application/json",
				    "{\"message\":\"engine is sulking\"}");
	} else if (strncmp(head, "GET /version ", 13) == 0) {
		ecsfs_buf_addf(&body,
			       "{\"Version\":\"99.0-fake\",\"ApiVersion\":\"%s\","
			       "\"MinAPIVersion\":\"1.12\",\"Os\":\"linux\"}",
			       srv->api_version);
		client_send(c, 200, "application/json", body.data);
	} else if (strncmp(head, "GET /hang ", 10) == 0) {
		/* never answers */
	} else if (strstr(head, " /echo ")) {
		/* method, content type and body, for checking what was sent */
		ct = strcasestr(head, "\r\nContent-Type: ");
		ecsfs_buf_addf(&body, "%.*s|%.*s|%s", (int)strcspn(head, " "), head,
			       ct ? (int)strcspn(ct + 16, "\r") : 0, ct ? ct + 16 : "", in->data);
		client_send(c, 200, "text/plain", body.data);
	} else if (strncmp(head, "GET /stream ", 12) == 0) {
		client_send(c, 200, "text/plain", "line 1\nline 2\n");
	} else {
		client_send(c, 404, "application/json", "{\"message\":\"page not found\"}");
	}
	ecsfs_buf_release(&body);
}

static void on_handle_closed(uv_handle_t *h)
{
	struct server *srv = h->data;

	srv->open_handles--;
}

static void on_client_closed(uv_handle_t *h)
{
	struct client *c = h->data;

	c->srv->open_handles--;
	ecsfs_buf_release(&c->in);
	free(c);
}

static void client_close(struct client *c)
{
	struct server *srv = c->srv;

	if (c->prev)
		c->prev->next = c->next;
	else
		srv->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	drip_close(c);
	uv_close((uv_handle_t *)&c->pipe, on_client_closed);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct client *c = h->data;

	ecsfs_buf_grow(&c->in, suggested);
	*buf = uv_buf_init(c->in.data + c->in.len, (unsigned)suggested);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct client *c = s->data;
	char *end;

	if (nread < 0) {
		client_close(c);
		return;
	}
	/* on_alloc grew the buffer: the bytes are already in place. */
	c->in.len += (size_t)nread;
	c->in.data[c->in.len] = '\0';
	/* Possibly several requests on one connection. */
	while ((end = strstr(c->in.data, "\r\n\r\n"))) {
		size_t head = (size_t)(end + 4 - c->in.data), body_len = 0;
		const char *cl = strcasestr(c->in.data, "\r\nContent-Length:");
		ecsfs_buf body = ECSFS_BUF_INIT;

		if (cl && cl < end)
			body_len = strtoul(cl + 17, NULL, 10);
		if (c->in.len < head + body_len)
			return;
		ecsfs_buf_add(&body, c->in.data + head, body_len);
		*end = '\0';
		client_answer(c, c->in.data, &body);
		ecsfs_buf_release(&body);
		memmove(c->in.data, c->in.data + head + body_len, c->in.len - head - body_len);
		ecsfs_buf_setlen(&c->in, c->in.len - head - body_len);
	}
}

static void on_connection(uv_stream_t *s, int status)
{
	struct server *srv = s->data;
	struct client *c;

	if (status < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (!c)
		abort();
	ecsfs_buf_init(&c->in);
	c->srv = srv;
	uv_pipe_init(&loop, &c->pipe, 0);
	c->pipe.data = c;
	srv->open_handles++;
	c->next = srv->clients;
	if (srv->clients)
		srv->clients->prev = c;
	srv->clients = c;
	if (uv_accept(s, (uv_stream_t *)&c->pipe) < 0 ||
	    uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read) < 0)
		client_close(c);
}

static int server_listen(struct server *srv)
{
	int r;

	unlink(srv->path);
	uv_pipe_init(&loop, &srv->pipe, 0);
	srv->pipe.data = srv;
	srv->open_handles++;
	r = uv_pipe_bind(&srv->pipe, srv->path);
	if (r == 0)
		r = uv_listen((uv_stream_t *)&srv->pipe, 16, on_connection);
	if (r < 0)
		uv_close((uv_handle_t *)&srv->pipe, on_handle_closed);
	return r;
}

static bool server_closed(void *arg)
{
	return ((struct server *)arg)->open_handles == 0;
}

/* Stop listening, drop every connection, remove the socket file. */
static void server_stop(struct server *srv)
{
	uv_close((uv_handle_t *)&srv->pipe, on_handle_closed);
	while (srv->clients)
		client_close(srv->clients);
	unlink(srv->path);
	run_until(server_closed, srv, 2000);
}

/* ---- watching a runtime ------------------------------------------------- */

struct rt_watch {
	int changes;
	ecsfs_runtime_info last;
	bool closed;
};

static void on_change(ecsfs_runtime *rt, void *data)
{
	struct rt_watch *w = data;

	w->changes++;
	ecsfs_runtime_get_info(rt, &w->last);
}

static bool is_up(void *arg)
{
	struct rt_watch *w = arg;

	return w->changes > 0 && w->last.reachable;
}

static bool is_down(void *arg)
{
	struct rt_watch *w = arg;

	return w->changes > 0 && !w->last.reachable;
}

/* Close `rt`, expecting its done callback within a bound. */
static void close_runtime(ecsfs_runtime *rt, const char *what)
{
	bool closed = false;

	ecsfs_runtime_close(rt, set_flag, &closed);
	ok(run_until(flag_set, &closed, 5000), "%s: close calls done", what);
}

static ecsfs_runtime *docker_on(const char *endpoint, struct rt_watch *w)
{
	ecsfs_runtime *rt = NULL;
	int r = ecsfs_docker_new(&loop, endpoint, &rt);

	is_int(r, 0, "docker_new(%s)", endpoint);
	if (r < 0)
		return NULL;
	memset(w, 0, sizeof(*w));
	rt->on_change = on_change;
	rt->on_change_data = w;
	is_int(ecsfs_runtime_start(rt), 0, "start(%s)", endpoint);
	return rt;
}

/* ---- the tests ---------------------------------------------------------- */

static void test_api_cmp(void)
{
	ok(ecsfs_docker_api_cmp("1.41", "1.41") == 0, "api_cmp: equal");
	ok(ecsfs_docker_api_cmp("1.40", "1.41") < 0, "api_cmp: lower minor");
	ok(ecsfs_docker_api_cmp("1.43", "1.41") > 0, "api_cmp: higher minor");
	ok(ecsfs_docker_api_cmp("1.9", "1.10") < 0, "api_cmp: minors compare as numbers");
	ok(ecsfs_docker_api_cmp("2.0", "1.99") > 0, "api_cmp: major first");
	ok(ecsfs_docker_api_cmp("1", "1.0") == 0, "api_cmp: a missing minor is 0");
	ok(ecsfs_docker_api_cmp(ECSFS_DOCKER_API_MIN, ECSFS_DOCKER_API_MAX) < 0,
	   "api_cmp: MIN below MAX");
}

static void test_fake_runtime(void)
{
	ecsfs_runtime *rt = ecsfs_fake_runtime_new();
	struct rt_watch w = {0};
	ecsfs_runtime_info in;
	bool closed = false;

	ok(rt != NULL, "fake: new");
	if (!rt)
		return;
	rt->on_change = on_change;
	rt->on_change_data = &w;
	is_int(ecsfs_runtime_start(rt), 0, "fake: start");
	ecsfs_runtime_get_info(rt, &in);
	ok(in.reachable, "fake: reachable at first");
	is_str(in.name, "fake", "fake: name");
	is_str(in.endpoint, "fake://", "fake: endpoint");
	is_str(in.version, "fake", "fake: version");
	is_str(in.api_version, "1.43", "fake: api_version");
	is_str(in.detail, "", "fake: no detail while reachable");

	ecsfs_fake_runtime_set_reachable(rt, false, "pulled the plug");
	is_int(w.changes, 1, "fake: set_reachable(false) calls on_change");
	ok(!w.last.reachable, "fake: now unreachable");
	is_str(w.last.detail, "pulled the plug", "fake: detail");
	is_str(w.last.api_version, "", "fake: no api_version while unreachable");

	ecsfs_fake_runtime_set_reachable(rt, true, NULL);
	is_int(w.changes, 2, "fake: set_reachable(true) calls on_change");
	ok(w.last.reachable, "fake: reachable again");
	is_str(w.last.api_version, "1.43", "fake: api_version again");
	is_str(w.last.detail, "", "fake: detail cleared");

	ecsfs_runtime_close(rt, set_flag, &closed);
	ok(closed, "fake: close calls done at once");
}

static void test_endpoints(void)
{
	static const char *const bad[] = {
	    "tcp://127.0.0.1:2375", "relative.sock", "unix://relative.sock", "", "unix://",
	    "ssh://host",
	};
	ecsfs_runtime *sentinel = (ecsfs_runtime *)&loop, *rt;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rt = sentinel;
		is_int(ecsfs_docker_new(&loop, bad[i], &rt), -EINVAL, "endpoint '%s' refused",
		       bad[i]);
		ok(rt == sentinel, "endpoint '%s': *out untouched", bad[i]);
	}
}

static void test_missing_socket(void)
{
	char path[128], endpoint[160];
	struct rt_watch w;
	ecsfs_runtime *rt;
	ecsfs_runtime_info in;

	snprintf(path, sizeof(path), "%s/missing.sock", tmpdir);
	snprintf(endpoint, sizeof(endpoint), "unix://%s", path);
	rt = docker_on(endpoint, &w);
	if (!rt)
		return;
	ecsfs_runtime_get_info(rt, &in);
	ok(!in.reachable, "missing socket: unreachable before any answer");
	is_str(in.name, "docker", "missing socket: name");
	is_str(in.endpoint, endpoint, "missing socket: endpoint as given");
	ok(run_until(is_down, &w, 5000), "missing socket: on_change says unreachable");
	ok(strstr(w.last.detail, path) != NULL, "missing socket: detail names the path");
	ok(strstr(w.last.detail, "No such file") != NULL, "missing socket: detail says why");
	printf("# detail: %s\n", w.last.detail);
	ok(w.last.since > 0, "missing socket: since is set");

	/* A retry comes after 1 s; across it, nothing changes. */
	run_until(never, NULL, 1500);
	ecsfs_runtime_get_info(rt, &in);
	ok(!in.reachable, "missing socket: stays unreachable across a retry");
	is_int(w.changes, 1, "missing socket: the same failure is not reported again");
	close_runtime(rt, "missing socket");
}

static void server_setup(struct server *srv, const char *api)
{
	memset(srv, 0, sizeof(*srv));
	snprintf(srv->path, sizeof(srv->path), "%s/docker.sock", tmpdir);
	srv->api_version = api;
	srv->ping_status = 200;
}

/* A runtime against the fake server answering ApiVersion `api`. */
static void test_negotiation(const char *api, const char *want)
{
	struct server srv;
	struct rt_watch w;
	ecsfs_runtime *rt;

	server_setup(&srv, api);
	is_int(server_listen(&srv), 0, "server %s: listening", api);
	rt = docker_on(srv.path, &w);
	if (rt) {
		if (want) {
			ok(run_until(is_up, &w, 5000), "server %s: reachable", api);
			is_str(w.last.api_version, want, "server %s: negotiated %s", api, want);
			is_str(w.last.version, "99.0-fake", "server %s: engine version", api);
			is_str(w.last.detail, "", "server %s: no detail", api);
		} else {
			ok(run_until(is_down, &w, 5000), "server %s: unreachable", api);
			ok(strstr(w.last.detail, api) && strstr(w.last.detail, "too old"),
			   "server %s: detail says the API is too old", api);
			printf("# detail: %s\n", w.last.detail);
			is_str(w.last.api_version, "", "server %s: no api_version", api);
		}
		close_runtime(rt, "negotiation");
	}
	server_stop(&srv);
}

static void test_ping_error(void)
{
	struct server srv;
	struct rt_watch w;
	ecsfs_runtime *rt;

	server_setup(&srv, "1.41");
	srv.ping_status = 500;
	is_int(server_listen(&srv), 0, "ping 500: listening");
	rt = docker_on(srv.path, &w);
	if (rt) {
		ok(run_until(is_down, &w, 5000), "ping 500: unreachable");
		ok(strstr(w.last.detail, "500") && strstr(w.last.detail, "engine is sulking"),
		   "ping 500: detail has the status and the engine's message");
		printf("# detail: %s\n", w.last.detail);
		close_runtime(rt, "ping 500");
	}
	server_stop(&srv);
}

/* The engine goes away while up, and comes back. */
static void test_engine_restart(void)
{
	struct server srv;
	struct rt_watch w;
	ecsfs_runtime *rt;
	int before;

	server_setup(&srv, "1.41");
	is_int(server_listen(&srv), 0, "restart: listening");
	rt = docker_on(srv.path, &w);
	if (!rt) {
		server_stop(&srv);
		return;
	}
	ok(run_until(is_up, &w, 5000), "restart: reachable");
	before = srv.requests;
	server_stop(&srv);
	ok(run_until(is_down, &w, 8000), "restart: a failed ping makes it unreachable");
	ok(before == 2, "restart: /_ping and /version only before the engine went away");
	ok(strstr(w.last.detail, srv.path) != NULL, "restart: detail names the socket");
	printf("# detail: %s\n", w.last.detail);
	is_int(server_listen(&srv), 0, "restart: listening again");
	ok(run_until(is_up, &w, 5000), "restart: reachable again after a retry");
	is_str(w.last.api_version, "1.41", "restart: negotiated again");
	close_runtime(rt, "restart");
	server_stop(&srv);
}

/* ---- the HTTP client on its own ---------------------------------------- */

struct result {
	bool done;
	int err;
	long status;
	ecsfs_buf body;
	ecsfs_buf chunks;
	char errmsg[256];
};

static void on_result(void *data, int err, long status, const ecsfs_buf *body, const char *errmsg)
{
	struct result *res = data;

	res->done = true;
	res->err = err;
	res->status = status;
	ecsfs_buf_add(&res->body, body->data, body->len);
	snprintf(res->errmsg, sizeof(res->errmsg), "%s", errmsg ? errmsg : "(null)");
}

static int on_chunk(void *data, long status, const char *chunk, size_t len)
{
	struct result *res = data;

	ecsfs_buf_add(&res->chunks, chunk, len);
	return 0;
}

static bool result_done(void *arg)
{
	return ((struct result *)arg)->done;
}

static void result_release(struct result *res)
{
	ecsfs_buf_release(&res->body);
	ecsfs_buf_release(&res->chunks);
}

static void test_http(void)
{
	struct server srv;
	ecsfs_http *http = NULL;
	struct result a = {0}, b = {0}, c = {0}, d = {0};
	ecsfs_http_opts o = {.method = "GET", .path = "/stream", .on_chunk = on_chunk};
	ecsfs_http_req *req = NULL;
	bool closed = false;

	server_setup(&srv, "1.41");
	is_int(server_listen(&srv), 0, "http: listening");
	is_int(ecsfs_http_new(&loop, srv.path, &http), 0, "http: new");
	if (!http) {
		server_stop(&srv);
		return;
	}
	is_int(ecsfs_http_request(http, "GET", "no-slash", NULL, 0, 0, on_result, &a), -EINVAL,
	       "http: a path must start with '/'");
	is_int(ecsfs_http_request(http, "get", "/_ping", NULL, 0, 0, on_result, &a), -EINVAL,
	       "http: a method is upper case");

	is_int(ecsfs_http_request(http, "GET", "/nope", NULL, 0, 2000, on_result, &a), 0,
	       "http: GET /nope sent");
	ok(!a.done, "http: never calls back from within the request");
	ok(run_until(result_done, &a, 5000), "http: GET /nope answered");
	is_int(a.err, 0, "http: a 404 is not an error");
	is_int(a.status, 404, "http: status 404");
	is_str(a.body.data, "{\"message\":\"page not found\"}", "http: body of the 404");
	is_str(a.errmsg, "", "http: no message without an error");

	is_int(ecsfs_http_start(http, &o, on_result, &b, NULL), 0, "http: stream sent");
	ok(run_until(result_done, &b, 5000), "http: stream done");
	is_int(b.err, 0, "http: stream ok");
	is_str(b.chunks.data, "line 1\nline 2\n", "http: stream came through the chunk callback");
	is_int((long long)b.body.len, 0, "http: a streamed body is not collected");

	is_int(ecsfs_http_request(http, "GET", "/hang", NULL, 0, 200, on_result, &c), 0,
	       "http: GET /hang sent");
	ok(run_until(result_done, &c, 5000), "http: GET /hang gave up");
	is_int(c.err, -ETIMEDOUT, "http: timeout is -ETIMEDOUT");
	printf("# errmsg: %s\n", c.errmsg);

	o.path = "/hang";
	o.on_chunk = NULL;
	is_int(ecsfs_http_start(http, &o, on_result, &d, &req), 0, "http: GET /hang sent again");
	ecsfs_http_cancel(req);
	ok(!d.done, "http: cancel does not call back at once");
	ok(run_until(result_done, &d, 5000), "http: canceled request called back");
	is_int(d.err, -ECANCELED, "http: canceled is -ECANCELED");

	result_release(&d);
	memset(&d, 0, sizeof(d));
	is_int(ecsfs_http_request(http, "GET", "/hang", NULL, 0, 0, on_result, &d), 0,
	       "http: GET /hang sent a third time");
	run_until(never, NULL, 100);
	ecsfs_http_close(http, set_flag, &closed);
	is_int(ecsfs_http_request(http, "GET", "/_ping", NULL, 0, 0, on_result, &a), -ECANCELED,
	       "http: no new request once closing");
	ok(run_until(flag_set, &closed, 5000), "http: close calls done");
	ok(d.done && d.err == -ECANCELED, "http: close cancels an in-flight request");

	result_release(&a);
	result_release(&b);
	result_release(&c);
	result_release(&d);
	server_stop(&srv);
}

/* Chunk callbacks run inside libcurl; what they start or stop is deferred. */
struct nested {
	ecsfs_http *http;
	struct result outer, inner;
	int started;
	bool close_instead;
	bool closed;
};

static int on_chunk_nested(void *data, long status, const char *chunk, size_t len)
{
	struct nested *n = data;

	ecsfs_buf_add(&n->outer.chunks, chunk, len);
	if (n->close_instead)
		ecsfs_http_close(n->http, set_flag, &n->closed);
	else
		n->started = ecsfs_http_request(n->http, "GET", "/_ping", NULL, 0, 2000, on_result,
						&n->inner);
	return n->close_instead ? 0 : -EPIPE;
}

static void on_nested_result(void *data, int err, long status, const ecsfs_buf *body,
			     const char *errmsg)
{
	struct nested *n = data;

	on_result(&n->outer, err, status, body, errmsg);
}

static void test_http_more(void)
{
	struct server srv;
	ecsfs_http *http = NULL, *refused = NULL;
	struct result a = {0}, b = {0}, c = {0}, e = {0};
	struct nested n = {0};
	ecsfs_http_opts o = {.method = "GET", .path = "/stream", .on_chunk = on_chunk_nested};
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char path[sizeof(sa.sun_path)];
	bool closed = false;
	int fd;

	server_setup(&srv, "1.41");
	is_int(server_listen(&srv), 0, "http+: listening");
	is_int(ecsfs_http_new(&loop, srv.path, &http), 0, "http+: new");
	if (!http) {
		server_stop(&srv);
		return;
	}
	is_int(ecsfs_http_request(http, "POST", "/echo", "{\"a\":1}", 7, 2000, on_result, &a), 0,
	       "http+: POST with a body sent");
	is_int(ecsfs_http_request(http, "POST", "/echo", NULL, 0, 2000, on_result, &b), 0,
	       "http+: POST without a body sent");
	is_int(ecsfs_http_request(http, "DELETE", "/echo", NULL, 0, 2000, on_result, &c), 0,
	       "http+: DELETE sent");
	ok(run_until(result_done, &a, 5000) && run_until(result_done, &b, 5000) &&
	       run_until(result_done, &c, 5000),
	   "http+: three requests answered");
	is_str(a.body.data, "POST|application/json|{\"a\":1}", "http+: POST sent its JSON body");
	is_str(b.body.data, "POST||", "http+: an empty POST has no content type");
	is_str(c.body.data, "DELETE||", "http+: DELETE sent as DELETE");

	/* a chunk callback starts a request and stops its own with -EPIPE */
	n.http = http;
	is_int(ecsfs_http_start(http, &o, on_nested_result, &n, NULL), 0, "http+: stream sent");
	ok(run_until(result_done, &n.outer, 5000), "http+: stream stopped");
	is_int(n.outer.err, -EPIPE, "http+: the chunk callback's error ends the request");
	is_int(n.started, 0, "http+: a chunk callback may start a request");
	ok(run_until(result_done, &n.inner, 5000), "http+: that request is answered");
	is_int(n.inner.status, 200, "http+: with 200");

	/* a chunk callback closes the client */
	result_release(&n.outer);
	result_release(&n.inner);
	memset(&n, 0, sizeof(n));
	n.http = http;
	n.close_instead = true;
	is_int(ecsfs_http_start(http, &o, on_nested_result, &n, NULL), 0,
	       "http+: stream sent again");
	ok(run_until(flag_set, &n.closed, 5000), "http+: closed from a chunk callback");
	ok(n.outer.done, "http+: the stream was called back before done");
	result_release(&n.outer);
	result_release(&n.inner);
	server_stop(&srv);

	/* a socket file nobody listens on */
	snprintf(path, sizeof(path), "%s/refused.sock", tmpdir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ok(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0,
	   "http+: a bound socket that does not listen");
	is_int(ecsfs_http_new(&loop, path, &refused), 0, "http+: new on it");
	if (refused) {
		is_int(ecsfs_http_request(refused, "GET", "/_ping", NULL, 0, 2000, on_result, &e),
		       0, "http+: GET /_ping sent");
		ok(run_until(result_done, &e, 5000), "http+: refused request called back");
		is_int(e.err, -ECONNREFUSED, "http+: -ECONNREFUSED");
		ok(strstr(e.errmsg, path) && strstr(e.errmsg, "refused"),
		   "http+: message names the socket and says refused");
		printf("# errmsg: %s\n", e.errmsg);
		ecsfs_http_close(refused, set_flag, &closed);
		ok(run_until(flag_set, &closed, 5000), "http+: close calls done");
	}
	if (fd >= 0)
		close(fd);
	unlink(path);
	result_release(&a);
	result_release(&b);
	result_release(&c);
	result_release(&e);
}

/* Closing at awkward moments: with a probe in flight, from on_change. */
static void on_change_close(ecsfs_runtime *rt, void *data)
{
	struct rt_watch *w = data;

	w->changes++;
	ecsfs_runtime_get_info(rt, &w->last);
	ecsfs_runtime_close(rt, set_flag, &w->closed);
}

static void test_close_early(void)
{
	struct server srv;
	struct rt_watch w, w2;
	ecsfs_runtime *rt;
	char endpoint[160];

	server_setup(&srv, "1.41");
	is_int(server_listen(&srv), 0, "close early: listening");
	rt = docker_on(srv.path, &w);
	if (rt) {
		is_int(ecsfs_runtime_start(rt), -EALREADY, "close early: a second start");
		close_runtime(rt, "close early: with a probe in flight");
		is_int(w.changes, 0, "close early: no on_change after close");
	}
	rt = docker_on(srv.path, &w2);
	if (rt) {
		rt->on_change = on_change_close;
		ok(run_until(flag_set, &w2.closed, 5000), "close early: closed from on_change");
		ok(w2.last.reachable, "close early: ... which said reachable");
	}
	server_stop(&srv);

	snprintf(endpoint, sizeof(endpoint), "unix://%s/missing.sock", tmpdir);
	rt = docker_on(endpoint, &w);
	if (rt) {
		rt->on_change = on_change_close;
		ok(run_until(flag_set, &w.closed, 5000),
		   "close early: closed from on_change when unreachable");
		is_int(w.changes, 1, "close early: once");
	}
}

/* ---- runtime calls and streams, recorded -------------------------------- */

struct rres {
	bool done;
	int calls;
	int err;
	json_t *result; /* a copy */
	char errmsg[1024];
};

static void on_rres(void *data, int err, json_t *result, const char *errmsg)
{
	struct rres *r = data;

	r->done = true;
	r->calls++;
	r->err = err;
	json_decref(r->result);
	r->result = result ? json_deep_copy(result) : NULL;
	snprintf(r->errmsg, sizeof(r->errmsg), "%s", errmsg ? errmsg : "(null)");
}

static const char *nz(const char *s)
{
	return s ? s : "";
}

static bool rres_done(void *arg)
{
	return ((struct rres *)arg)->done;
}

static void rres_reset(struct rres *r)
{
	json_decref(r->result);
	memset(r, 0, sizeof(*r));
}

/* Wait for a started call: its err, -ETIMEDOUT when it does not come. */
static int rres_wait(struct rres *r, int started, uint64_t bound_ms)
{
	if (started < 0)
		return started;
	if (r->done)
		return -EPROTO; /* called back from within the call */
	return run_until(rres_done, r, bound_ms) ? r->err : -ETIMEDOUT;
}

/* Make call `op` on `rt` and wait for its result in *r (30 s at most). */
#define RCALL(r, op, ...) \
	(rres_reset(r), rres_wait((r), rt->ops->op(rt, __VA_ARGS__, on_rres, (r)), 30000))

/* Events as "Action id-prefix exitCode" lines; NULL as "(open)". */
struct evlog {
	ecsfs_buf log;
	int opens;
	int n;
};

static void on_rt_event(void *data, json_t *ev)
{
	struct evlog *e = data;
	json_t *actor = json_object_get(ev, "Actor");
	const char *code =
	    json_string_value(json_object_get(json_object_get(actor, "Attributes"), "exitCode"));

	e->n++;
	if (!ev) {
		e->opens++;
		ecsfs_buf_adds(&e->log, "(open)\n");
		return;
	}
	ecsfs_buf_addf(&e->log, "%s %.12s%s%s\n", json_string_value(json_object_get(ev, "Action")),
		       json_string_value(json_object_get(actor, "ID")), code ? " " : "",
		       code ? code : "");
}

struct evwait {
	struct evlog *e;
	int opens;
	const char *text;
};

static bool ev_has(void *arg)
{
	struct evwait *w = arg;

	return w->e->opens >= w->opens && (!w->text || strstr(w->e->log.data, w->text));
}

/* A log follower: "stream ts len text" lines, ts "now" when it is the
 * moment of arrival (a line without timestamp), text cut at 40 bytes. */
struct follower {
	ecsfs_buf text;
	int n;
	int64_t first_ts, last_ts;
	bool ended;
	int end_err;
	int ends;
	bool ts_in_text; /* a timestamp was left inside a line */
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void on_rt_line(void *data, int stream, int64_t ts, const char *line, size_t len)
{
	struct follower *f = data;
	int64_t d = now_ns() - ts;

	if (memmem(line, len, "2026-11-21T", 11))
		f->ts_in_text = true;
	if (!f->n)
		f->first_ts = ts;
	f->last_ts = ts;
	f->n++;
	if (d > -60000000000LL && d < 60000000000LL)
		ecsfs_buf_addf(&f->text, "%d now %zu %.*s\n", stream, len, len > 40 ? 40 : (int)len,
			       line);
	else
		ecsfs_buf_addf(&f->text, "%d %lld %zu %.*s\n", stream, (long long)ts, len,
			       len > 40 ? 40 : (int)len, line);
}

/* Print text as TAP comments, a "# " before each line. */
static void diag_lines(const char *text)
{
	bool start = true;

	for (; *text; text++) {
		if (start)
			fputs("# ", stdout);
		putchar(*text);
		start = *text == '\n';
	}
	if (!start)
		putchar('\n');
}

static void on_rt_end(void *data, int err)
{
	struct follower *f = data;

	f->ended = true;
	f->end_err = err;
	f->ends++;
}

static bool follower_ended(void *arg)
{
	return ((struct follower *)arg)->ended;
}

static void follower_reset(struct follower *f)
{
	ecsfs_buf_release(&f->text);
	memset(f, 0, sizeof(*f));
	ecsfs_buf_init(&f->text);
}

#define XS40 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
#define AS40 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

/* 2026-11-21T19:50:27Z in seconds since the epoch. */
static int64_t log_base_s(void)
{
	struct tm tm = {
	    .tm_year = 126, .tm_mon = 10, .tm_mday = 21, .tm_hour = 19, .tm_min = 50, .tm_sec = 27};

	return (int64_t)timegm(&tm);
}

/* ---- the Docker runtime's calls against the test server ---------------- */

static void test_server_logs(ecsfs_runtime *rt, struct server *srv)
{
	int64_t b = log_base_s() * 1000000000;
	struct follower f = {0};
	ecsfs_runtime_logs *l;
	ecsfs_buf want = ECSFS_BUF_INIT;
	char since[64];

	follower_reset(&f);
	l = rt->ops->logs(rt, "demux", b + 5, on_rt_line, on_rt_end, &f);
	ok(l != NULL, "logs: demux started");
	ok(!f.ended, "logs: nothing from within the call");
	ok(run_until(follower_ended, &f, 5000), "logs: demux ended");
	is_int(f.end_err, 0, "logs: end(0) at the end of the stream");
	is_int(f.ends, 1, "logs: end once");
	ecsfs_buf_addf(&want,
		       "1 %lld 5 hello\n2 %lld 4 oops\n1 %lld 5 world\n2 %lld 6 offset\n"
		       "2 now 12 no timestamp\n1 %lld 7 partial\n",
		       (long long)(b + 123456789), (long long)(b + 1000000000),
		       (long long)(b + 200000000), (long long)(b + 1000000000),
		       (long long)(b + 2000000001));
	is_str(f.text.data, want.data, "logs: frames and lines cut anywhere, timestamps parsed");
	snprintf(since, sizeof(since), "&since=%lld.000000005", (long long)(b / 1000000000));
	ok(strstr(srv->logs_target, "/v1.41/containers/demux/logs?follow=1&stdout=1&stderr=1&"
				    "timestamps=1") &&
	       strstr(srv->logs_target, since),
	   "logs: asked with follow, timestamps and since");
	printf("# %s\n", srv->logs_target);

	follower_reset(&f);
	ok(rt->ops->logs(rt, "tty", 0, on_rt_line, on_rt_end, &f) != NULL, "logs: tty started");
	ok(run_until(follower_ended, &f, 5000) && f.end_err == 0, "logs: tty ended");
	ecsfs_buf_reset(&want);
	ecsfs_buf_addf(&want, "1 %lld 1 a\n1 %lld 1 b\n", (long long)b, (long long)(b + 500000000));
	is_str(f.text.data, want.data, "logs: a TTY's raw stream, without its \\r");
	ok(!strstr(srv->logs_target, "since="), "logs: no since from the start");

	follower_reset(&f);
	ok(rt->ops->logs(rt, "long", 0, on_rt_line, on_rt_end, &f) != NULL, "logs: long started");
	ok(run_until(follower_ended, &f, 5000) && f.end_err == 0, "logs: long ended");
	ecsfs_buf_reset(&want);
	ecsfs_buf_addf(&want, "1 %lld 65536 %.40s\n1 %lld 4464 %.40s\n2 %lld 5 short\n",
		       (long long)(b + 123456789), XS40, (long long)(b + 123456789), XS40,
		       (long long)(b + 900000000));
	is_str(f.text.data, want.data,
	       "logs: a line of 16 KiB messages joined, cut at 64 KiB, with its first time");
	ok(!f.ts_in_text, "logs: no message's timestamp is left inside the line");

	follower_reset(&f);
	ok(rt->ops->logs(rt, "ttylong", 0, on_rt_line, on_rt_end, &f) != NULL,
	   "logs: ttylong started");
	ok(run_until(follower_ended, &f, 5000) && f.end_err == 0, "logs: ttylong ended");
	ecsfs_buf_reset(&want);
	ecsfs_buf_addf(&want, "1 %lld 16388 %.40s\n1 %lld 4 next\n", (long long)(b + 123456789),
		       AS40, (long long)(b + 900000000));
	is_str(f.text.data, want.data, "logs: a TTY's 16 KiB messages joined too");
	ok(!f.ts_in_text, "logs: ... without the timestamp between them");

	follower_reset(&f);
	ok(rt->ops->logs(rt, "gone", 0, on_rt_line, on_rt_end, &f) != NULL, "logs: gone started");
	ok(run_until(follower_ended, &f, 5000), "logs: gone ended");
	is_int(f.end_err, 0, "logs: a container that is not there ends with 0");
	follower_reset(&f);
	ok(rt->ops->logs(rt, "teapot", 0, on_rt_line, on_rt_end, &f) != NULL,
	   "logs: teapot started");
	ok(run_until(follower_ended, &f, 5000), "logs: teapot ended");
	is_int(f.end_err, -EIO, "logs: an engine error ends with -EIO");

	follower_reset(&f);
	l = rt->ops->logs(rt, "hang", 0, on_rt_line, on_rt_end, &f);
	ok(l != NULL, "logs: hang started");
	run_until(never, NULL, 100);
	ok(!f.ended, "logs: hang goes on");
	rt->ops->logs_cancel(l);
	ok(!f.ended, "logs_cancel: end does not come from within");
	ok(run_until(follower_ended, &f, 5000), "logs_cancel: ended");
	is_int(f.end_err, -ECANCELED, "logs_cancel: -ECANCELED");
	is_int(f.ends, 1, "logs_cancel: once");
	ok(rt->ops->logs(rt, "", 0, on_rt_line, on_rt_end, &f) == NULL, "logs: an id is needed");
	follower_reset(&f);
	ecsfs_buf_release(&f.text);
	ecsfs_buf_release(&want);
}

static void test_server_calls(ecsfs_runtime *rt, struct server *srv)
{
	struct rres r = {0};

	is_int(RCALL(&r, inspect, "teapot"), -EIO, "call: HTTP 500 is -EIO");
	is_str(r.errmsg, "GET /v1.41/containers/teapot/json: the engine answered HTTP 500: kaput",
	       "call: a message without JSON says the status and the text");
	is_int(RCALL(&r, inspect, "nosuch"), -ENOENT, "call: HTTP 404 is -ENOENT");
	is_str(r.errmsg, "page not found", "call: with the engine's message");
	is_int(RCALL(&r, image_pull, "busted:1"), -EIO, "pull: an error inside the stream");
	is_str(r.errmsg, "manifest unknown", "pull: its message");
	is_int(RCALL(&r, image_pull, "example.com:5000/team/app@sha256:abc"), 0, "pull: digest");
	is_str(srv->pull_target,
	       "/v1.41/images/create?fromImage=example.com%3A5000%2Fteam%2Fapp&tag=sha256%3Aabc",
	       "pull: a digest is the tag");
	is_str(json_string_value(json_object_get(r.result, "status")), "Downloaded",
	       "pull: the last progress line is the result");
	is_int(RCALL(&r, image_pull, "example.com:5000/app"), 0, "pull: registry with a port");
	is_str(srv->pull_target,
	       "/v1.41/images/create?fromImage=example.com%3A5000%2Fapp&tag=latest",
	       "pull: a port is not a tag; the tag is latest");
	is_int(RCALL(&r, image_pull, "team/app:1.2"), 0, "pull: name:tag");
	is_str(srv->pull_target, "/v1.41/images/create?fromImage=team%2Fapp&tag=1.2",
	       "pull: split at the last colon");
	is_int(RCALL(&r, image_pull, "app:"), -EINVAL, "pull: an empty tag");
	is_int(RCALL(&r, image_pull, ""), -EINVAL, "pull: an empty ref");
	is_int(RCALL(&r, stop, "x", -1), -EINVAL, "stop: a negative timeout");
	is_int(RCALL(&r, create, "x", NULL), -EINVAL, "create: a config is needed");
	is_int(RCALL(&r, image_import, "x@sha256:ab", "t", 1, NULL), -EINVAL, "import: no digest");
	rres_reset(&r);
}

static void test_server_watch(ecsfs_runtime *rt, struct server *srv, struct rt_watch *w)
{
	struct evlog e = {ECSFS_BUF_INIT, 0, 0};
	struct evwait ew = {.e = &e, .opens = 1, .text = "die abc 3\n"};

	rt->ops->watch(rt, on_rt_event, &e);
	is_int(e.n, 0, "watch: nothing from within the call");
	ok(run_until(ev_has, &ew, 5000), "watch: events came");
	is_str(e.log.data, "(open)\nstart abc\ndie abc 3\n",
	       "watch: cb(NULL) first, then the events, cut anywhere");
	ok(strstr(srv->events_target, "/v1.41/events?since=") &&
	       strstr(srv->events_target, "&filters=%7B%22type%22%3A%5B%22container%22%5D%2C%22"
					  "label%22%3A%5B%22ecsfs.managed%3D1%22%5D%7D"),
	   "watch: since now, filters encoded");
	printf("# %s\n", srv->events_target);

	/* The engine ends the stream while staying up: reopened at once. */
	run_until(never, NULL, 1100);
	server_end_streams(srv);
	ew.opens = 2;
	ew.text = NULL;
	ok(run_until(ev_has, &ew, 3000), "watch: an ended stream is reopened");
	is_int(srv->events_requests, 2, "watch: a second /events");

	/* The engine goes away and comes back: reopened once it is up. */
	server_stop(srv);
	ok(run_until(is_down, w, 8000), "watch: engine down");
	is_int(server_listen(srv), 0, "watch: listening again");
	ok(run_until(is_up, w, 5000), "watch: engine up again");
	ew.opens = 3;
	ok(run_until(ev_has, &ew, 3000), "watch: reopened after the engine came back");
	is_int(e.opens, 3, "watch: one cb(NULL) per opening");

	/* A new subscriber has its own stream and cb(NULL). */
	rt->ops->watch(rt, on_rt_event, &e);
	ew.opens = 4;
	ok(run_until(ev_has, &ew, 3000), "watch: replaced: cb(NULL) again");
	rt->ops->watch(rt, NULL, NULL);
	run_until(never, NULL, 50);
	is_int(e.opens, 4, "watch: unsubscribed: no more");
	ecsfs_buf_release(&e.log);
}

/* Closing with a watch, a log stream and a call in flight. */
static void test_server_close(ecsfs_runtime *rt)
{
	struct evlog e = {ECSFS_BUF_INIT, 0, 0};
	struct evwait ew = {.e = &e, .opens = 1};
	struct follower f = {0};
	struct rres r = {0};
	bool closed = false;

	follower_reset(&f);
	rt->ops->watch(rt, on_rt_event, &e);
	ok(run_until(ev_has, &ew, 3000), "close: watching");
	ok(rt->ops->logs(rt, "hang", 0, on_rt_line, on_rt_end, &f) != NULL, "close: following");
	run_until(never, NULL, 50);
	is_int(rt->ops->inspect(rt, "teapot", on_rres, &r), 0, "close: a call in flight");
	ecsfs_runtime_close(rt, set_flag, &closed);
	ok(!f.ended && !r.done, "close: nothing from within close");
	ok(run_until(flag_set, &closed, 5000), "close: done");
	ok(f.ended && f.end_err == -ECANCELED, "close: the follower ended with -ECANCELED");
	ok(r.done && r.err == -ECANCELED, "close: the call got -ECANCELED");
	rres_reset(&r);
	follower_reset(&f);
	ecsfs_buf_release(&f.text);
	ecsfs_buf_release(&e.log);
}

static void test_server_api(void)
{
	struct server srv;
	struct rt_watch w;
	ecsfs_runtime *rt;

	server_setup(&srv, "1.41");
	is_int(server_listen(&srv), 0, "api: listening");
	rt = docker_on(srv.path, &w);
	if (rt) {
		ok(run_until(is_up, &w, 5000), "api: reachable");
		test_server_logs(rt, &srv);
		test_server_calls(rt, &srv);
		test_server_watch(rt, &srv, &w);
		test_server_close(rt);
	}
	server_stop(&srv);
}

/* ---- the real engine, when there is one --------------------------------- */

static bool real_engine_answers(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool up;

	if (fd < 0)
		return false;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", REAL_DOCKER_SOCK);
	up = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return up;
}

/* What the real-engine test makes, named with the pid and labelled
 * ecsfs.test=<pid>, so that a crash leaves junk one can find. */
struct real {
	char pid[16];
	char image[64], absent[64];
	char name_a[64], name_b[64], name_t[64];
	char volume[64];
	char id_a[65], id_b[65], id_t[65];
};

/* A request the runtime has no call for (removing an image), or cleanup
 * that must happen whatever the runtime did. */
static void raw_request(const char *method, const char *path)
{
	ecsfs_http *http = NULL;
	struct result r = {0};
	bool closed = false;

	if (ecsfs_http_new(&loop, REAL_DOCKER_SOCK, &http) < 0)
		return;
	if (ecsfs_http_request(http, method, path, NULL, 0, 30000, on_result, &r) == 0)
		run_until(result_done, &r, 35000);
	ecsfs_http_close(http, set_flag, &closed);
	run_until(flag_set, &closed, 5000);
	result_release(&r);
}

static void real_cleanup(const struct real *x)
{
	const char *names[] = {x->name_a, x->name_b, x->name_t};
	char path[256];
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "/v1.41/containers/%s?force=1&v=1", names[i]);
		raw_request("DELETE", path);
	}
	snprintf(path, sizeof(path), "/v1.41/volumes/%s", x->volume);
	raw_request("DELETE", path);
	snprintf(path, sizeof(path), "/v1.41/images/%s?force=1", x->image);
	raw_request("DELETE", path);
}

static json_t *real_config(const struct real *x, const char *container, json_t *cmd)
{
	return json_pack("{s:s, s:o, s:{s:s, s:s, s:s, s:s, s:s}, s:{s:[{s:s, s:s, s:s}]}}",
			 "Image", x->image, "Cmd", cmd, "Labels", ECSFS_LABEL_MANAGED, "1",
			 ECSFS_LABEL_TASK, x->pid, ECSFS_LABEL_CONTAINER, container,
			 ECSFS_LABEL_CLUSTER, "ecsfs-test", "ecsfs.test", x->pid, "HostConfig",
			 "Mounts", "Type", "volume", "Source", x->volume, "Target", "/data");
}

static bool read_file(const char *path, ecsfs_buf *out)
{
	FILE *fp = fopen(path, "rb");
	char chunk[65536];
	size_t n;

	if (!fp)
		return false;
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		ecsfs_buf_add(out, chunk, n);
	fclose(fp);
	return true;
}

static void real_images(ecsfs_runtime *rt, const struct real *x, const ecsfs_buf *tar)
{
	struct rres r = {0};
	const char *cmd;

	is_int(
	    RCALL(&r, image_import, x->image, tar->data, tar->len, "[\"/bin/busybox\",\"true\"]"),
	    0, "real: image_import");
	if (r.err)
		printf("# %s\n", r.errmsg);
	ok(strncmp(nz(json_string_value(json_object_get(r.result, "status"))), "sha256:", 7) == 0,
	   "real: import answers with the image id");
	is_int(RCALL(&r, image_inspect, x->image), 0, "real: image_inspect");
	cmd = json_string_value(
	    json_array_get(json_object_get(json_object_get(r.result, "Config"), "Cmd"), 0));
	is_str(cmd, "/bin/busybox", "real: the imported image has its command");
	is_int(RCALL(&r, image_inspect, x->absent), -ENOENT,
	       "real: image_inspect of an absent one");
	ok(strstr(r.errmsg, "No such image") != NULL, "real: ... with the engine's message");
	is_int(RCALL(&r, image_pull, "nosuchimage-ecsfs:1"), r.err ? r.err : -1,
	       "real: a pull that cannot succeed fails");
	ok(r.err == -EIO || r.err == -ENOENT, "real: pull fails with -EIO or -ENOENT (%d)", r.err);
	ok(r.errmsg[0] && !strstr(r.errmsg, "the engine answered HTTP"),
	   "real: pull: the engine's own message");
	printf("# pull: %s\n", r.errmsg);
	rres_reset(&r);
}

/* A: output on both streams, exits 0. */
static void real_container_a(ecsfs_runtime *rt, struct real *x, struct evlog *e)
{
	json_t *cfg = real_config(x, "a",
				  json_pack("[s,s,s,s]", "/bin/busybox", "sh", "-c",
					    "echo out; echo err >&2; /bin/busybox sleep 1; "
					    "echo late"));
	struct evwait ew = {.e = e, .opens = 1};
	struct follower f = {0};
	struct rres r = {0};
	char want[128];
	int64_t t0;
	json_t *state, *labels;

	follower_reset(&f);
	is_int(RCALL(&r, create, x->name_a, cfg), 0, "real: create A");
	snprintf(x->id_a, sizeof(x->id_a), "%s",
		 nz(json_string_value(json_object_get(r.result, "Id"))));
	ok(strlen(x->id_a) == 64, "real: A has an id");
	is_int(RCALL(&r, create, x->name_a, cfg), -EEXIST, "real: create: a taken name");
	ok(strstr(r.errmsg, "already in use") != NULL, "real: ... with the engine's message");
	printf("# %s\n", r.errmsg);
	json_object_set_new(cfg, "Image", json_string(x->absent));
	is_int(RCALL(&r, create, x->name_b, cfg), -ENOENT, "real: create: an absent image");
	printf("# %s\n", r.errmsg);

	t0 = now_ns();
	is_int(RCALL(&r, start_container, x->id_a), 0, "real: start A");
	ok(rt->ops->logs(rt, x->id_a, 0, on_rt_line, on_rt_end, &f) != NULL, "real: follow A");
	ok(run_until(follower_ended, &f, 20000), "real: A's logs end when it stops");
	is_int(f.end_err, 0, "real: ... with 0");
	diag_lines(f.text.data);
	ok(strstr(f.text.data, "1 now 3 out\n") && strstr(f.text.data, "2 now 3 err\n"),
	   "real: stdout and stderr apart");
	ok(f.n == 3 && strstr(f.text.data, "1 now 4 late\n") &&
	       strcmp(f.text.data + f.text.len - 13, "1 now 4 late\n") == 0,
	   "real: late comes last");
	ok(f.first_ts >= t0 - 5000000000LL && f.last_ts <= now_ns() + 5000000000LL,
	   "real: timestamps are the engine's, now");
	ok(f.last_ts - f.first_ts >= 900000000LL, "real: a second between out and late");

	snprintf(want, sizeof(want), "start %.12s\n", x->id_a);
	ew.text = want;
	ok(run_until(ev_has, &ew, 10000), "real: watch saw A start");
	snprintf(want, sizeof(want), "die %.12s 0\n", x->id_a);
	ok(run_until(ev_has, &ew, 10000), "real: watch saw A die with 0");

	is_int(RCALL(&r, inspect, x->name_a), 0, "real: inspect A by name");
	state = json_object_get(r.result, "State");
	is_str(json_string_value(json_object_get(state, "Status")), "exited", "real: A exited");
	is_int(json_integer_value(json_object_get(state, "ExitCode")), 0, "real: ExitCode 0");
	labels = json_object_get(json_object_get(r.result, "Config"), "Labels");
	is_str(json_string_value(json_object_get(labels, ECSFS_LABEL_MANAGED)), "1",
	       "real: A's labels");
	is_str(json_string_value(json_object_get(r.result, "Id")), x->id_a, "real: A's Id");
	snprintf(want, sizeof(want), "ecsfs.test=%s", x->pid);
	is_int(RCALL(&r, list, want), 0, "real: list by label");
	is_int(json_array_size(r.result), 1, "real: one container has it");
	is_str(json_string_value(json_object_get(json_array_get(r.result, 0), "Id")), x->id_a,
	       "real: ... A");
	is_int(RCALL(&r, volume_remove, x->volume), -EBUSY, "real: volume_remove: in use");
	printf("# %s\n", r.errmsg);
	rres_reset(&r);
	follower_reset(&f);
	ecsfs_buf_release(&f.text);
	json_decref(cfg);
}

/* A shell line that prints a line of 40000 bytes, which the engine stores
 * as three messages (16 KiB at most each). */
#define LONG_LINE                                                                           \
	"i=0; s=''; while [ $i -lt 2000 ]; do s=\"${s}abcdefghijklmnopqrst\"; i=$((i+1)); " \
	"done; echo \"$s\""
#define LONG_SHOWN "40000 abcdefghijklmnopqrstabcdefghijklmnopqrst"

static bool follower_has_line(void *arg)
{
	return ((struct follower *)arg)->n > 0;
}

/* B: prints a long line, then runs until stopped; ignores SIGTERM (it is
 * pid 1), so dies of SIGKILL. */
static void real_container_b(ecsfs_runtime *rt, struct real *x, struct evlog *e)
{
	json_t *cfg = real_config(x, "b",
				  json_pack("[s,s,s,s]", "/bin/busybox", "sh", "-c",
					    LONG_LINE "; exec /bin/busybox sleep 60"));
	struct evwait ew = {.e = e, .opens = 1};
	struct follower f = {0};
	struct rres r = {0};
	ecsfs_runtime_logs *l;
	uint64_t t0;
	char want[128];

	follower_reset(&f);
	is_int(RCALL(&r, create, x->name_b, cfg), 0, "real: create B");
	snprintf(x->id_b, sizeof(x->id_b), "%s",
		 nz(json_string_value(json_object_get(r.result, "Id"))));
	is_int(RCALL(&r, start_container, x->id_b), 0, "real: start B");
	is_int(RCALL(&r, start_container, x->id_b), 0, "real: start B again (304)");
	l = rt->ops->logs(rt, x->id_b, 0, on_rt_line, on_rt_end, &f);
	ok(l != NULL, "real: follow B");
	ok(run_until(follower_has_line, &f, 10000), "real: B printed");
	is_str(f.text.data, "1 now " LONG_SHOWN "\n", "real: a 40000-byte line, whole");
	ok(!f.ts_in_text, "real: ... without the engine's timestamps inside");
	run_until(never, NULL, 200);
	ok(!f.ended, "real: B's logs go on");
	rt->ops->logs_cancel(l);
	ok(!f.ended, "real: logs_cancel: not from within");
	ok(run_until(follower_ended, &f, 5000) && f.end_err == -ECANCELED,
	   "real: logs_cancel: end(-ECANCELED)");

	uv_update_time(&loop);
	t0 = uv_now(&loop);
	is_int(RCALL(&r, stop, x->id_b, 1), 0, "real: stop B with a 1 s timeout");
	uv_update_time(&loop);
	ok(uv_now(&loop) - t0 >= 900, "real: stop waited for the timeout (%llu ms)",
	   (unsigned long long)(uv_now(&loop) - t0));
	is_int(RCALL(&r, stop, x->id_b, 1), 0, "real: stop B again (304)");
	is_int(RCALL(&r, inspect, x->id_b), 0, "real: inspect B");
	is_int(json_integer_value(json_object_get(json_object_get(r.result, "State"), "ExitCode")),
	       137, "real: B was killed");
	snprintf(want, sizeof(want), "die %.12s 137\n", x->id_b);
	ew.text = want;
	ok(run_until(ev_has, &ew, 10000), "real: watch saw B die with 137");
	snprintf(want, sizeof(want), "stop %.12s\n", x->id_b);
	ok(run_until(ev_has, &ew, 10000), "real: watch saw B stop");
	rres_reset(&r);
	ecsfs_buf_release(&f.text);
	json_decref(cfg);
}

/* T: a TTY; its output is raw, all of it stdout. */
static void real_container_t(ecsfs_runtime *rt, struct real *x)
{
	json_t *cfg = real_config(
	    x, "t",
	    json_pack("[s,s,s,s]", "/bin/busybox", "sh", "-c", LONG_LINE "; echo 'tty line'"));
	struct follower f = {0};
	struct rres r = {0};

	follower_reset(&f);
	json_object_set_new(cfg, "Tty", json_true());
	is_int(RCALL(&r, create, x->name_t, cfg), 0, "real: create T (tty)");
	snprintf(x->id_t, sizeof(x->id_t), "%s",
		 nz(json_string_value(json_object_get(r.result, "Id"))));
	is_int(RCALL(&r, start_container, x->id_t), 0, "real: start T");
	ok(rt->ops->logs(rt, x->id_t, 0, on_rt_line, on_rt_end, &f) != NULL, "real: follow T");
	ok(run_until(follower_ended, &f, 20000) && f.end_err == 0, "real: T's logs end");
	is_str(f.text.data, "1 now " LONG_SHOWN "\n1 now 8 tty line\n",
	       "real: a TTY's lines, without \\r");
	ok(!f.ts_in_text, "real: ... without the engine's timestamps inside");
	rres_reset(&r);
	ecsfs_buf_release(&f.text);
	json_decref(cfg);
}

static void real_removals(ecsfs_runtime *rt, struct real *x, struct evlog *e)
{
	struct evwait ew = {.e = e, .opens = 1};
	struct follower f = {0};
	struct rres r = {0};
	char want[128];

	follower_reset(&f);
	is_int(RCALL(&r, remove, x->id_a), 0, "real: remove A");
	is_int(RCALL(&r, remove, x->id_b), 0, "real: remove B");
	is_int(RCALL(&r, remove, x->id_t), 0, "real: remove T");
	is_int(RCALL(&r, remove, x->id_a), -ENOENT, "real: remove A again: -ENOENT");
	printf("# %s\n", r.errmsg);
	is_int(RCALL(&r, inspect, x->id_a), -ENOENT, "real: inspect a removed one");
	is_int(RCALL(&r, start_container, x->id_a), -ENOENT, "real: start a removed one");
	is_int(RCALL(&r, stop, x->id_a, 1), -ENOENT, "real: stop a removed one");
	ok(rt->ops->logs(rt, x->id_a, 0, on_rt_line, on_rt_end, &f) != NULL,
	   "real: follow a removed one");
	ok(run_until(follower_ended, &f, 5000) && f.end_err == 0, "real: ... ends with 0");
	snprintf(want, sizeof(want), "destroy %.12s\n", x->id_a);
	ew.text = want;
	ok(run_until(ev_has, &ew, 10000), "real: watch saw A destroyed");
	is_int(RCALL(&r, volume_remove, x->volume), 0, "real: volume_remove");
	is_int(RCALL(&r, volume_remove, x->volume), -ENOENT, "real: volume_remove again: -ENOENT");
	rres_reset(&r);
	ecsfs_buf_release(&f.text);
}

/* Networks: create, a name taken, inspect, list by label, disconnect of a
 * container that is not on it, remove, and a removal of one that is gone. */
static void real_network(ecsfs_runtime *rt, struct real *x)
{
	struct rres r = {0};
	char name[64], label[64];
	json_t *body;

	snprintf(name, sizeof(name), "ecsfs-test-%s-net", x->pid);
	snprintf(label, sizeof(label), "ecsfs.test=%s", x->pid);
	body = json_pack("{s:s, s:b, s:s, s:{s:s}}", "Name", name, "CheckDuplicate", 1, "Driver",
			 "bridge", "Labels", "ecsfs.test", x->pid);
	is_int(RCALL(&r, network_create, body), 0, "real: network_create (%s)", r.errmsg);
	ok(json_string_value(json_object_get(r.result, "Id")) != NULL, "real: the network's Id");
	is_int(RCALL(&r, network_create, body), -EEXIST, "real: a network name taken is -EEXIST");
	json_decref(body);
	is_int(RCALL(&r, network_inspect, name), 0, "real: network_inspect");
	ok(json_string_value(json_object_get(
	       json_array_get(json_object_get(json_object_get(r.result, "IPAM"), "Config"), 0),
	       "Subnet")) != NULL,
	   "real: the engine gave it a subnet");
	is_int(RCALL(&r, network_list, label), 0, "real: network_list by label");
	is_int(json_array_size(r.result), 1, "real: it lists that one");
	is_int(RCALL(&r, network_disconnect, name, "ecsfs-test-no-such-container"), -ENOENT,
	       "real: disconnect of no such container is -ENOENT");
	is_int(RCALL(&r, network_remove, name), 0, "real: network_remove");
	is_int(RCALL(&r, network_remove, name), -ENOENT, "real: again: -ENOENT");
	is_int(RCALL(&r, network_inspect, name), -ENOENT, "real: inspect of it: -ENOENT");
	rres_reset(&r);
}

static void real_calls(ecsfs_runtime *rt, struct real *x)
{
	ecsfs_buf bin = ECSFS_BUF_INIT, tar = ECSFS_BUF_INIT;
	struct evlog e = {ECSFS_BUF_INIT, 0, 0};
	struct evwait ew = {.e = &e, .opens = 1};
	json_t *vol;
	struct rres r = {0};

	if (!read_file("/bin/busybox", &bin)) {
		ok(1, "# skip no /bin/busybox to make an image of");
		return;
	}
	ecsfs_tar_one_file("bin/busybox", bin.data, bin.len, 0755, &tar);
	ecsfs_buf_release(&bin);
	real_images(rt, x, &tar);
	ecsfs_buf_release(&tar);

	rt->ops->watch(rt, on_rt_event, &e);
	ok(run_until(ev_has, &ew, 5000), "real: watching");
	vol = json_pack("{s:s, s:{s:s}}", "Name", x->volume, "Labels", "ecsfs.test", x->pid);
	is_int(RCALL(&r, volume_create, vol), 0, "real: volume_create");
	is_str(json_string_value(json_object_get(r.result, "Name")), x->volume,
	       "real: the volume's name");
	is_int(RCALL(&r, volume_create, vol), 0, "real: volume_create again is not an error");
	json_decref(vol);

	real_network(rt, x);
	real_container_a(rt, x, &e);
	real_container_b(rt, x, &e);
	real_container_t(rt, x);
	real_removals(rt, x, &e);
	rt->ops->watch(rt, NULL, NULL);
	is_int(e.opens, 1, "real: the event stream stayed open throughout");
	rres_reset(&r);
	ecsfs_buf_release(&e.log);
}

static void test_real_engine(void)
{
	const char *require = getenv("ECSFS_REQUIRE_DOCKER");
	struct real x;
	struct rt_watch w;
	ecsfs_runtime *rt;

	memset(&x, 0, sizeof(x));
	if (!real_engine_answers()) {
		if (require && strcmp(require, "1") == 0)
			ok(0, "a Docker engine answers at %s (ECSFS_REQUIRE_DOCKER=1)",
			   REAL_DOCKER_SOCK);
		else
			ok(1, "# skip no Docker engine answers at %s", REAL_DOCKER_SOCK);
		return;
	}
	rt = docker_on("unix://" REAL_DOCKER_SOCK, &w);
	if (!rt)
		return;
	ok(run_until(is_up, &w, 10000), "real engine: reachable");
	printf("# engine %s, API %s\n", w.last.version, w.last.api_version);
	ok(w.last.version[0] != '\0', "real engine: has a version");
	ok(ecsfs_docker_api_cmp(w.last.api_version, ECSFS_DOCKER_API_MIN) >= 0 &&
	       ecsfs_docker_api_cmp(w.last.api_version, ECSFS_DOCKER_API_MAX) <= 0,
	   "real engine: API %s within [%s, %s]", w.last.api_version, ECSFS_DOCKER_API_MIN,
	   ECSFS_DOCKER_API_MAX);

	snprintf(x.pid, sizeof(x.pid), "%ld", (long)getpid());
	snprintf(x.image, sizeof(x.image), "ecsfs-test-%s:1", x.pid);
	snprintf(x.absent, sizeof(x.absent), "ecsfs-test-%s:absent", x.pid);
	snprintf(x.name_a, sizeof(x.name_a), "ecsfs-test-%s-a", x.pid);
	snprintf(x.name_b, sizeof(x.name_b), "ecsfs-test-%s-b", x.pid);
	snprintf(x.name_t, sizeof(x.name_t), "ecsfs-test-%s-t", x.pid);
	snprintf(x.volume, sizeof(x.volume), "ecsfs-test-%s-vol", x.pid);
	if (w.last.reachable)
		real_calls(rt, &x);
	close_runtime(rt, "real engine");
	real_cleanup(&x);
}

/* ---- and the loop must end ---------------------------------------------- */

static bool watchdog_fired;

static void on_watchdog(uv_timer_t *t)
{
	watchdog_fired = true;
	uv_stop(&loop);
}

int main(void)
{
	uv_timer_t watchdog;

	/* The test server writes to connections the client may have dropped. */
	signal(SIGPIPE, SIG_IGN);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ecsfs-test-docker-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	uv_loop_init(&loop);
	uv_timer_init(&loop, &poll_timer);

	test_api_cmp();
	test_fake_runtime();
	test_endpoints();
	test_http();
	test_http_more();
	test_close_early();
	test_missing_socket();
	test_negotiation("1.41", "1.41");
	test_negotiation("1.45", ECSFS_DOCKER_API_MAX);
	test_negotiation("1.40", "1.40");
	test_negotiation("1.30", NULL);
	test_ping_error();
	test_engine_restart();
	test_server_api();
	test_real_engine();

	/* Everything is closed: with the helper timer gone, uv_run must end. */
	uv_close((uv_handle_t *)&poll_timer, NULL);
	uv_timer_init(&loop, &watchdog);
	uv_unref((uv_handle_t *)&watchdog);
	uv_timer_start(&watchdog, on_watchdog, 5000, 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	ok(!watchdog_fired, "uv_run returns once everything is closed");
	uv_close((uv_handle_t *)&watchdog, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	is_int(uv_loop_close(&loop), 0, "no handle left open");
	rmdir(tmpdir);
	return tap_done();
}
