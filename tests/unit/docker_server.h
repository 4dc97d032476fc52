/* The tiny HTTP server test_docker.c drives the Docker runtime against:
 * scripted answers on a temporary unix socket (or, with `tcp` set, on an
 * ephemeral port of 127.0.0.1), sent whole or dripped. */
#ifndef ECSFS_TEST_DOCKER_SERVER_H
#define ECSFS_TEST_DOCKER_SERVER_H

#include <arpa/inet.h>

#include "docker_harness.h"

/* ---- a tiny HTTP server standing in for dockerd ------------------------ */

struct server;
struct drip;

struct client {
	union { /* a uv_stream_t either way */
		uv_pipe_t pipe;
		uv_tcp_t tcp;
	};
	ecsfs_buf in;
	struct server *srv;
	struct drip *drip; /* a chunked answer being sent piece by piece */
	struct client *prev, *next;
};

struct server {
	union {
		uv_pipe_t pipe;
		uv_tcp_t tcp_handle;
	};
	char path[108];
	bool tcp;		 /* listen on 127.0.0.1 instead of `path` */
	int port;		 /* the port it listens on, once it does */
	bool garbage;		 /* answer every request with bytes that are not HTTP */
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

static inline void on_written(uv_write_t *req, int status)
{
	struct write_req *w = (struct write_req *)req;

	ecsfs_buf_release(&w->data);
	free(w);
}

/* Write `data` (taken over) to the client. */
static inline void client_write(struct client *c, ecsfs_buf *data)
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

static inline void client_send(struct client *c, int status, const char *type, const char *body)
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

static inline void on_drip_closed(uv_handle_t *h)
{
	struct drip *d = h->data;
	struct server *srv = d->srv;

	ecsfs_buf_release(&d->body);
	free(d);
	srv->open_handles--;
}

static inline void drip_close(struct client *c)
{
	if (!c->drip)
		return;
	uv_close((uv_handle_t *)&c->drip->timer, on_drip_closed);
	c->drip = NULL;
}

static inline void drip_end(struct drip *d)
{
	ecsfs_buf out = ECSFS_BUF_INIT;

	if (d->ended)
		return;
	d->ended = true;
	uv_timer_stop(&d->timer);
	ecsfs_buf_adds(&out, "0\r\n\r\n");
	client_write(d->c, &out);
}

static inline void on_drip(uv_timer_t *t)
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

static inline void client_drip(struct client *c, const char *type, const ecsfs_buf *body,
			       size_t piece, bool keep_open)
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
static inline void server_end_streams(struct server *srv)
{
	struct client *c;

	for (c = srv->clients; c; c = c->next)
		if (c->drip && c->drip->off == c->drip->body.len)
			drip_end(c->drip);
}

/* One frame of the engine's multiplexed log stream. */
static inline void mux_frame(ecsfs_buf *out, int stream, const char *text)
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

static inline void save_target(char *dst, size_t size, const char *head)
{
	const char *sp = strchr(head, ' ');

	snprintf(dst, size, "%.*s", sp ? (int)strcspn(sp + 1, " ") : 0, sp ? sp + 1 : "");
}

#define LOG_TS1 "2026-11-21T19:50:27.123456789Z"
#define LOG_TS2 "2026-11-21T19:50:27.9Z"

/* The engine's API routes the tests below use; 1 when `head` was one. */
/* Log streams of lines longer than the engine's 16 KiB messages. */
static inline int client_answer_long(struct client *c, const char *head)
{
	ecsfs_buf body = ECSFS_BUF_INIT;
	ecsfs_buf longline = ECSFS_BUF_INIT;
	size_t i, n;

#define ROUTE(s) (strncmp(head, (s), strlen(s)) == 0)
	if (ROUTE("GET /v1.41/containers/long/logs?")) {
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
	} else {
		return 0;
	}
#undef ROUTE
	ecsfs_buf_release(&body);
	ecsfs_buf_release(&longline);
	return 1;
}

static inline int client_answer_api(struct client *c, const char *head)
{
	struct server *srv = c->srv;
	ecsfs_buf body = ECSFS_BUF_INIT;

#define ROUTE(s) (strncmp(head, (s), strlen(s)) == 0)
	if (client_answer_long(c, head)) {
		/* answered */
	} else if (ROUTE("GET /v1.41/containers/demux/json ") ||
		   ROUTE("GET /v1.41/containers/long/json ") ||
		   ROUTE("GET /v1.41/containers/hang/json ")) {
		client_send(c, 200, "application/json",
			    "{\"Id\":\"x\",\"Config\":{\"Tty\":false}}");
	} else if (ROUTE("GET /v1.41/containers/tty/json ") ||
		   ROUTE("GET /v1.41/containers/ttylong/json ")) {
		client_send(c, 200, "application/json", "{\"Id\":\"x\",\"Config\":{\"Tty\":true}}");
	} else if (ROUTE("DELETE /v1.41/containers/removing?")) {
		/* what dockerd 20.10 answers a DELETE while another one runs */
		client_send(c, 409, "application/json",
			    "{\"message\":\"removal of container removing is already in "
			    "progress\"}");
	} else if (ROUTE("DELETE /v1.41/containers/removed?")) {
		client_send(c, 404, "application/json",
			    "{\"message\":\"No such container: removed\"}");
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
	return 1;
}

/* Answer one request whose head is `head` ("GET /_ping HTTP/1.1\r\n..."). */
static inline void client_answer(struct client *c, const char *head, const ecsfs_buf *in)
{
	struct server *srv = c->srv;
	ecsfs_buf body = ECSFS_BUF_INIT;
	const char *ct;

	srv->requests++;
	if (srv->garbage) {
		ecsfs_buf_adds(&body, "\x16\x03\x01 this is not HTTP\r\n\r\n");
		client_write(c, &body);
	} else if (client_answer_api(c, head)) {
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

static inline void on_handle_closed(uv_handle_t *h)
{
	struct server *srv = h->data;

	srv->open_handles--;
}

static inline void on_client_closed(uv_handle_t *h)
{
	struct client *c = h->data;

	c->srv->open_handles--;
	ecsfs_buf_release(&c->in);
	free(c);
}

static inline void client_close(struct client *c)
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

static inline void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct client *c = h->data;

	ecsfs_buf_grow(&c->in, suggested);
	*buf = uv_buf_init(c->in.data + c->in.len, (unsigned)suggested);
}

static inline void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
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

static inline void on_connection(uv_stream_t *s, int status)
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
	if (srv->tcp)
		uv_tcp_init(&loop, &c->tcp);
	else
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

static inline int server_bind_tcp(struct server *srv)
{
	struct sockaddr_storage ss;
	struct sockaddr_in sin;
	int n = sizeof(ss), r;

	uv_tcp_init(&loop, &srv->tcp_handle);
	uv_ip4_addr("127.0.0.1", srv->port, &sin);
	r = uv_tcp_bind(&srv->tcp_handle, (const struct sockaddr *)&sin, 0);
	if (r == 0)
		r = uv_tcp_getsockname(&srv->tcp_handle, (struct sockaddr *)&ss, &n);
	if (r == 0)
		srv->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return r;
}

static inline int server_listen(struct server *srv)
{
	int r;

	srv->open_handles++;
	if (srv->tcp) {
		r = server_bind_tcp(srv);
	} else {
		unlink(srv->path);
		uv_pipe_init(&loop, &srv->pipe, 0);
		r = uv_pipe_bind(&srv->pipe, srv->path);
	}
	srv->pipe.data = srv;
	if (r == 0)
		r = uv_listen((uv_stream_t *)&srv->pipe, 16, on_connection);
	if (r < 0)
		uv_close((uv_handle_t *)&srv->pipe, on_handle_closed);
	return r;
}

static inline bool server_closed(void *arg)
{
	return ((struct server *)arg)->open_handles == 0;
}

/* Stop listening, drop every connection, remove the socket file. */
static inline void server_stop(struct server *srv)
{
	uv_close((uv_handle_t *)&srv->pipe, on_handle_closed);
	while (srv->clients)
		client_close(srv->clients);
	if (!srv->tcp)
		unlink(srv->path);
	run_until(server_closed, srv, 2000);
}

#endif
