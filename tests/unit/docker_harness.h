/*
 * What test_docker.c and test_docker_engine.c share: a loop run until a
 * condition holds (bounded: nothing sleeps hoping), a runtime watched for
 * changes, and recorders of HTTP answers, runtime calls, events and log
 * lines. docker_server.h adds the test server that stands in for dockerd.
 */
#ifndef ECSFS_TEST_DOCKER_HARNESS_H
#define ECSFS_TEST_DOCKER_HARNESS_H

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

static inline void on_poll_timer(uv_timer_t *t)
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
static inline bool run_until(bool (*cond)(void *), void *arg, uint64_t bound_ms)
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

static inline bool never(void *arg)
{
	return false;
}

static inline bool flag_set(void *arg)
{
	return *(bool *)arg;
}

static inline void set_flag(void *arg)
{
	*(bool *)arg = true;
}

/* ---- watching a runtime ------------------------------------------------- */

struct rt_watch {
	int changes;
	ecsfs_runtime_info last;
	bool closed;
};

static inline void on_change(ecsfs_runtime *rt, void *data)
{
	struct rt_watch *w = data;

	w->changes++;
	ecsfs_runtime_get_info(rt, &w->last);
}

static inline bool is_up(void *arg)
{
	struct rt_watch *w = arg;

	return w->changes > 0 && w->last.reachable;
}

static inline bool is_down(void *arg)
{
	struct rt_watch *w = arg;

	return w->changes > 0 && !w->last.reachable;
}

/* Close `rt`, expecting its done callback within a bound. */
static inline void close_runtime(ecsfs_runtime *rt, const char *what)
{
	bool closed = false;

	ecsfs_runtime_close(rt, set_flag, &closed);
	ok(run_until(flag_set, &closed, 5000), "%s: close calls done", what);
}

static inline ecsfs_runtime *docker_on(const char *endpoint, struct rt_watch *w)
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

/* ---- the HTTP client on its own ---------------------------------------- */

struct result {
	bool done;
	int err;
	long status;
	ecsfs_buf body;
	ecsfs_buf chunks;
	char errmsg[256];
};

static inline void on_result(void *data, int err, long status, const ecsfs_buf *body,
			     const char *errmsg)
{
	struct result *res = data;

	res->done = true;
	res->err = err;
	res->status = status;
	ecsfs_buf_add(&res->body, body->data, body->len);
	snprintf(res->errmsg, sizeof(res->errmsg), "%s", errmsg ? errmsg : "(null)");
}

static inline int on_chunk(void *data, long status, const char *chunk, size_t len)
{
	struct result *res = data;

	ecsfs_buf_add(&res->chunks, chunk, len);
	return 0;
}

static inline bool result_done(void *arg)
{
	return ((struct result *)arg)->done;
}

static inline void result_release(struct result *res)
{
	ecsfs_buf_release(&res->body);
	ecsfs_buf_release(&res->chunks);
}

/* ---- runtime calls and streams, recorded -------------------------------- */

struct rres {
	bool done;
	int calls;
	int err;
	json_t *result; /* a copy */
	char errmsg[1024];
};

static inline void on_rres(void *data, int err, json_t *result, const char *errmsg)
{
	struct rres *r = data;

	r->done = true;
	r->calls++;
	r->err = err;
	json_decref(r->result);
	r->result = result ? json_deep_copy(result) : NULL;
	snprintf(r->errmsg, sizeof(r->errmsg), "%s", errmsg ? errmsg : "(null)");
}

static inline const char *nz(const char *s)
{
	return s ? s : "";
}

static inline bool rres_done(void *arg)
{
	return ((struct rres *)arg)->done;
}

static inline void rres_reset(struct rres *r)
{
	json_decref(r->result);
	memset(r, 0, sizeof(*r));
}

/* Wait for a started call: its err, -ETIMEDOUT when it does not come. */
static inline int rres_wait(struct rres *r, int started, uint64_t bound_ms)
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

static inline void on_rt_event(void *data, json_t *ev)
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

static inline bool ev_has(void *arg)
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

static inline int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline void on_rt_line(void *data, int stream, int64_t ts, const char *line, size_t len)
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
static inline void diag_lines(const char *text)
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

static inline void on_rt_end(void *data, int err)
{
	struct follower *f = data;

	f->ended = true;
	f->end_err = err;
	f->ends++;
}

static inline bool follower_ended(void *arg)
{
	return ((struct follower *)arg)->ended;
}

static inline void follower_reset(struct follower *f)
{
	ecsfs_buf_release(&f->text);
	memset(f, 0, sizeof(*f));
	ecsfs_buf_init(&f->text);
}

#define XS40 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
#define AS40 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

/* 2026-11-21T19:50:27Z in seconds since the epoch. */
static inline int64_t log_base_s(void)
{
	struct tm tm = {
	    .tm_year = 126, .tm_mon = 10, .tm_mday = 21, .tm_hour = 19, .tm_min = 50, .tm_sec = 27};

	return (int64_t)timegm(&tm);
}

/* ---- the start and the end of a test program ---------------------------- */

static bool watchdog_fired;

static inline void on_watchdog(uv_timer_t *t)
{
	watchdog_fired = true;
	uv_stop(&loop);
}

/* The loop and the temporary directory; 0, or 1 to exit with. */
static inline int harness_begin(void)
{
	/* The test server writes to connections the client may have dropped. */
	signal(SIGPIPE, SIG_IGN);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ecsfs-test-docker-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	uv_loop_init(&loop);
	uv_timer_init(&loop, &poll_timer);
	return 0;
}

/* Everything is closed: with the helper timer gone, uv_run must end. */
static inline int harness_end(void)
{
	uv_timer_t watchdog;

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

#endif
