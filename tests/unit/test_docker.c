/*
 * Unit tests of the runtime boundary: the fake runtime, the HTTP client and
 * the Docker runtime against a tiny HTTP server on a temporary unix socket,
 * a socket that does not exist, and the real engine when one answers.
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
#include <unistd.h>
#include <uv.h>

#include "ecsfs/buf.h"
#include "ecsfs/docker.h"
#include "ecsfs/http.h"
#include "ecsfs/runtime.h"
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

struct client {
	uv_pipe_t pipe;
	ecsfs_buf in;
	struct server *srv;
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

static void client_send(struct client *c, int status, const char *type, const char *body)
{
	struct write_req *w = calloc(1, sizeof(*w));
	uv_buf_t b;

	if (!w)
		abort();
	ecsfs_buf_init(&w->data);
	ecsfs_buf_addf(&w->data,
		       "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		       "Api-Version: 1.41\r\n\r\n%s",
		       status, status == 200 ? "OK" : "Error", type, strlen(body), body);
	b = uv_buf_init(w->data.data, (unsigned)w->data.len);
	if (uv_write(&w->req, (uv_stream_t *)&c->pipe, &b, 1, on_written) < 0) {
		ecsfs_buf_release(&w->data);
		free(w);
	}
}

/* Answer one request whose head is `head` ("GET /_ping HTTP/1.1\r\n..."). */
static void client_answer(struct client *c, const char *head, const ecsfs_buf *in)
{
	struct server *srv = c->srv;
	ecsfs_buf body = ECSFS_BUF_INIT;
	const char *ct;

	srv->requests++;
	if (strncmp(head, "GET /_ping ", 11) == 0) {
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

static void test_real_engine(void)
{
	struct rt_watch w;
	ecsfs_runtime *rt;

	if (!real_engine_answers()) {
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
	close_runtime(rt, "real engine");
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
