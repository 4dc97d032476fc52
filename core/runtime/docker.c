/*
 * ecsfs — the Docker Engine API client: the real runtime.
 *
 * A probe is GET /_ping, then, when the engine was not known to be up,
 * GET /version to learn its version and negotiate the API version. One
 * probe runs at a time; the timer starts the next one when the last has
 * finished: every 5 s while the engine is up, after a backoff growing from
 * 1 s to 10 s while it is not.
 *
 * The container, image and volume calls and the log streams are in
 * docker_ops.c; the event stream lives here, as it follows the probes:
 * opened when the engine is found up, canceled when it is found down.
 */
#include "ecsfs/docker.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <time.h>

#include "ecsfs/buf.h"
#include "ecsfs/http.h"
#include "ecsfs/util.h"

#include "docker_private.h"

#define DOCKER_PING_INTERVAL_MS 5000
#define DOCKER_BACKOFF_MIN_MS	1000
#define DOCKER_BACKOFF_MAX_MS	10000
#define DOCKER_PROBE_TIMEOUT_MS 5000L
/* How much of an error answer's text goes into a detail. */
#define DOCKER_ERROR_TEXT_MAX 160
/* An event stream that ends sooner than this after opening is not reopened
 * before the next regular probe: an engine that refuses it at once must
 * not be asked again in a tight loop. */
#define DOCKER_EVENTS_QUICK_MS 1000

/*
 * The event stream: GET /events of managed containers, with no timeout,
 * open while the engine is reachable and someone watches.
 *
 * It asks for events `since` the moment it is opened, so the engine
 * replays whatever happens before it has actually subscribed us; the
 * subscriber hears cb(NULL) on the loop iteration after the request is
 * started (or before the first event, if that comes sooner), re-lists, and
 * nothing that happens after the re-list can be missed.
 */
struct docker_events {
	struct docker *d;
	ecsfs_http_req *req;
	struct ecsfs__jsonl lines;
	uint64_t opened_ms;
	bool stopped;	/* canceled on purpose: not to be reopened */
	bool announced; /* the subscriber has had its cb(NULL) */
};

static struct docker *to_docker(ecsfs_runtime *rt)
{
	return ecsfs__to_docker(rt);
}

/* "1.41" and the like: digits, a dot, digits. */
static bool api_valid(const char *s)
{
	const char *p = s;

	if (*p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p++ != '.' || *p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9')
		p++;
	return *p == '\0' && p - s < 16;
}

static void api_parse(const char *s, unsigned long *major, unsigned long *minor)
{
	char *end;

	*major = strtoul(s, &end, 10);
	*minor = *end == '.' ? strtoul(end + 1, NULL, 10) : 0;
}

int ecsfs_docker_api_cmp(const char *a, const char *b)
{
	unsigned long amaj, amin, bmaj, bmin;

	api_parse(a, &amaj, &amin);
	api_parse(b, &bmaj, &bmin);
	if (amaj != bmaj)
		return amaj < bmaj ? -1 : 1;
	if (amin != bmin)
		return amin < bmin ? -1 : 1;
	return 0;
}

static void on_timer(uv_timer_t *t);

static void docker_schedule(struct docker *d, uint64_t ms)
{
	uv_timer_start(&d->timer, on_timer, ms, 0);
}

static void docker_notify(struct docker *d)
{
	if (d->rt.on_change)
		d->rt.on_change(&d->rt, d->rt.on_change_data);
}

/* Probe at once, unless a probe is already on its way. */
static void docker_probe_soon(struct docker *d)
{
	if (d->started && !d->probing && !d->closing)
		docker_schedule(d, 0);
}

/* ---- the event stream --------------------------------------------------- */

static bool events_live(struct docker_events *ev)
{
	struct docker *d = ev->d;

	return !ev->stopped && !d->closing && d->events == ev && d->watch_cb;
}

/* The subscriber's cb(NULL), once per stream, before any of its events. */
static void events_announce(struct docker_events *ev)
{
	struct docker *d = ev->d;

	if (ev->announced || !events_live(ev))
		return;
	ev->announced = true;
	d->watch_cb(d->watch_data, NULL);
}

static void on_announce(uv_timer_t *t)
{
	struct docker *d = t->data;

	if (d->events)
		events_announce(d->events);
}

static int on_event(void *data, json_t *event)
{
	struct docker_events *ev = data;
	struct docker *d = ev->d;

	events_announce(ev);
	/* Either callback may have closed the runtime or changed the subscriber. */
	if (!events_live(ev))
		return -ECANCELED;
	if (json_is_object(event))
		d->watch_cb(d->watch_data, event);
	return 0;
}

static int on_events_chunk(void *data, long status, const char *chunk, size_t len)
{
	struct docker_events *ev = data;

	if (!events_live(ev))
		return -ECANCELED;
	return ecsfs__jsonl_feed(&ev->lines, chunk, len, on_event, ev) < 0 ? -ECANCELED : 0;
}

static void on_events_done(void *data, int err, long status, const ecsfs_buf *body,
			   const char *errmsg)
{
	struct docker_events *ev = data;
	struct docker *d = ev->d;
	bool broke = !ev->stopped && !d->closing && d->events == ev;
	uint64_t lived = uv_now(d->timer.loop) - ev->opened_ms;

	if (d->events == ev)
		d->events = NULL;
	ecsfs__jsonl_release(&ev->lines);
	free(ev);
	/* A stream that ends is news about the engine: ask it now, and let the
	 * probe reopen the stream when the engine is still there. */
	if (broke && lived >= DOCKER_EVENTS_QUICK_MS)
		docker_probe_soon(d);
}

/* Open the event stream. Returns 0 or -errno (the next probe retries). */
static int events_open(struct docker *d)
{
	ecsfs_buf path = ECSFS_BUF_INIT;
	ecsfs_http_opts o = {.method = "GET", .on_chunk = on_events_chunk};
	struct docker_events *ev;
	int64_t now = ecsfs_now_ns();
	int r;

	ev = calloc(1, sizeof(*ev));
	if (!ev)
		return -ENOMEM;
	ev->d = d;
	ecsfs__jsonl_init(&ev->lines);
	ecsfs__docker_prefix(d, &path);
	ecsfs_buf_addf(&path, "/events?since=%lld.%09lld&filters=", (long long)(now / 1000000000),
		       (long long)(now % 1000000000));
	ecsfs__url_escape(&path,
			  "{\"type\":[\"container\"],\"label\":[\"" ECSFS_LABEL_MANAGED "=1\"]}");
	o.path = path.data;
	r = ecsfs_http_start(d->http, &o, on_events_done, ev, &ev->req);
	ecsfs_buf_release(&path);
	if (r < 0) {
		ecsfs__jsonl_release(&ev->lines);
		free(ev);
		return r;
	}
	ev->opened_ms = uv_now(d->timer.loop);
	d->events = ev;
	uv_timer_start(&d->announce, on_announce, 0, 0);
	return 0;
}

/* Stop the event stream, if open, for good: it is not reopened by itself. */
static void events_stop(struct docker *d)
{
	struct docker_events *ev = d->events;

	if (!ev)
		return;
	ev->stopped = true;
	d->events = NULL;
	ecsfs_http_cancel(ev->req);
}

/* Open the stream when someone watches, the engine is up and none is open. */
static void events_ensure(struct docker *d)
{
	if (d->watch_cb && !d->events && d->info.reachable && !d->closing)
		(void)events_open(d);
}

static void docker_watch(ecsfs_runtime *rt, ecsfs_runtime_event_cb cb, void *data)
{
	struct docker *d = to_docker(rt);

	if (d->closing)
		return;
	/* A new subscriber gets a stream of its own, and its own cb(NULL). */
	events_stop(d);
	d->watch_cb = cb;
	d->watch_data = data;
	events_ensure(d);
}

/* ---- probing ------------------------------------------------------------ */

/* The engine is up, at `version` speaking API `api`. */
static void docker_up(struct docker *d, const char *version, const char *api)
{
	ecsfs_runtime_info *in = &d->info;
	bool changed =
	    !in->reachable || strcmp(in->version, version) || strcmp(in->api_version, api);

	if (!in->reachable)
		in->since = (int64_t)time(NULL);
	in->reachable = true;
	snprintf(in->version, sizeof(in->version), "%s", version);
	snprintf(in->api_version, sizeof(in->api_version), "%s", api);
	snprintf(d->api, sizeof(d->api), "%s", api);
	in->detail[0] = '\0';
	d->backoff_ms = DOCKER_BACKOFF_MIN_MS;
	docker_schedule(d, DOCKER_PING_INTERVAL_MS);
	events_ensure(d);
	/* Last: the callback may close the runtime. */
	if (changed)
		docker_notify(d);
}

/* The engine cannot be used, for the reason the format says; retry later. */
__attribute__((format(printf, 2, 3))) static void docker_down(struct docker *d, const char *fmt,
							      ...)
{
	ecsfs_runtime_info *in = &d->info;
	char detail[sizeof(in->detail)];
	bool changed;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	changed = in->reachable || strcmp(in->detail, detail);
	if (in->reachable) {
		in->since = (int64_t)time(NULL);
		d->backoff_ms = DOCKER_BACKOFF_MIN_MS;
	}
	in->reachable = false;
	in->version[0] = '\0';
	in->api_version[0] = '\0';
	memcpy(in->detail, detail, sizeof(detail));
	/* A stream still open would only go silent: reopen it once back up. */
	events_stop(d);
	docker_schedule(d, d->backoff_ms);
	d->backoff_ms *= 2;
	if (d->backoff_ms > DOCKER_BACKOFF_MAX_MS)
		d->backoff_ms = DOCKER_BACKOFF_MAX_MS;
	if (changed)
		docker_notify(d);
}

/* The start of both probe replies: false when the daemon is closing or the
 * reply has marked Docker down (a transport error, or not HTTP 200). */
static bool probe_answered(struct docker *d, const char *what, int err, long status,
			   const ecsfs_buf *body, const char *errmsg)
{
	ecsfs_buf text = ECSFS_BUF_INIT;

	if (d->closing)
		return false;
	d->probing = false;
	if (err) {
		docker_down(d, "%s", errmsg);
		return false;
	}
	if (status == 200)
		return true;
	ecsfs__docker_error_text(body, DOCKER_ERROR_TEXT_MAX, &text);
	docker_down(d, "%s answered HTTP %ld: %s", what, status, text.data);
	ecsfs_buf_release(&text);
	return false;
}

static void on_version(void *data, int err, long status, const ecsfs_buf *body, const char *errmsg)
{
	struct docker *d = data;
	const char *version, *api;
	json_error_t jerr;
	json_t *j;

	if (!probe_answered(d, "GET /version", err, status, body, errmsg))
		return;
	j = json_loadb(body->data, body->len, 0, &jerr);
	if (!j) {
		docker_down(d, "GET /version: invalid JSON at line %d, column %d: %s", jerr.line,
			    jerr.column, jerr.text);
		return;
	}
	version = json_string_value(json_object_get(j, "Version"));
	api = json_string_value(json_object_get(j, "ApiVersion"));
	if (!api || !api_valid(api))
		docker_down(d, "GET /version: no valid ApiVersion in the answer");
	else if (ecsfs_docker_api_cmp(api, ECSFS_DOCKER_API_MIN) < 0)
		docker_down(d, "Docker Engine API %s at %s is too old: ecsfs needs %s or newer",
			    api, d->info.endpoint, ECSFS_DOCKER_API_MIN);
	else if (ecsfs_docker_api_cmp(api, ECSFS_DOCKER_API_MAX) > 0)
		docker_up(d, version ? version : "", ECSFS_DOCKER_API_MAX);
	else
		docker_up(d, version ? version : "", api);
	json_decref(j);
}

static void on_ping(void *data, int err, long status, const ecsfs_buf *body, const char *errmsg)
{
	struct docker *d = data;
	char ebuf[128];
	int r;

	if (!probe_answered(d, "GET /_ping", err, status, body, errmsg))
		return;
	if (d->info.reachable) {
		docker_schedule(d, DOCKER_PING_INTERVAL_MS);
		events_ensure(d);
		return;
	}
	r = ecsfs_http_request(d->http, "GET", "/version", NULL, 0, DOCKER_PROBE_TIMEOUT_MS,
			       on_version, d);
	if (r == 0)
		d->probing = true;
	else
		docker_down(d, "cannot send GET /version: %s", strerror_r(-r, ebuf, sizeof(ebuf)));
}

static int docker_probe(struct docker *d)
{
	int r = ecsfs_http_request(d->http, "GET", "/_ping", NULL, 0, DOCKER_PROBE_TIMEOUT_MS,
				   on_ping, d);

	if (r == 0)
		d->probing = true;
	return r;
}

static void on_timer(uv_timer_t *t)
{
	struct docker *d = t->data;
	char ebuf[128];
	int r = docker_probe(d);

	if (r < 0)
		docker_down(d, "cannot send GET /_ping: %s", strerror_r(-r, ebuf, sizeof(ebuf)));
}

/* Returns 0, -EALREADY when started before, -ECANCELED once closing, -ENOMEM. */
static int docker_start(ecsfs_runtime *rt)
{
	struct docker *d = to_docker(rt);
	int r;

	if (d->closing)
		return -ECANCELED;
	if (d->started)
		return -EALREADY;
	r = docker_probe(d);
	if (r < 0)
		return r;
	d->started = true;
	return 0;
}

static void docker_info(ecsfs_runtime *rt, ecsfs_runtime_info *out)
{
	*out = to_docker(rt)->info;
}

static void docker_maybe_free(struct docker *d)
{
	void (*done)(void *) = d->done;
	void *data = d->done_data;

	if (d->open_timers || d->http)
		return;
	free(d);
	if (done)
		done(data);
}

static void on_timer_closed(uv_handle_t *h)
{
	struct docker *d = h->data;

	d->open_timers--;
	docker_maybe_free(d);
}

static void on_http_closed(void *data)
{
	struct docker *d = data;

	d->http = NULL;
	docker_maybe_free(d);
}

static void docker_close(ecsfs_runtime *rt, void (*done)(void *data), void *data)
{
	struct docker *d = to_docker(rt);

	d->closing = true;
	d->done = done;
	d->done_data = data;
	uv_close((uv_handle_t *)&d->timer, on_timer_closed);
	uv_close((uv_handle_t *)&d->announce, on_timer_closed);
	/* In-flight probes, calls and streams get -ECANCELED before
	 * `on_http_closed`, while d lives. */
	ecsfs_http_close(d->http, on_http_closed, d);
}

static const ecsfs_runtime_ops docker_ops = {
    .start = docker_start,
    .info = docker_info,
    .close = docker_close,
    .create = ecsfs__docker_create,
    .start_container = ecsfs__docker_start_container,
    .stop = ecsfs__docker_stop,
    .remove = ecsfs__docker_remove,
    .inspect = ecsfs__docker_inspect,
    .list = ecsfs__docker_list,
    .image_inspect = ecsfs__docker_image_inspect,
    .image_pull = ecsfs__docker_image_pull,
    .image_import = ecsfs__docker_image_import,
    .volume_create = ecsfs__docker_volume_create,
    .volume_remove = ecsfs__docker_volume_remove,
    .network_create = ecsfs__docker_network_create,
    .network_inspect = ecsfs__docker_network_inspect,
    .network_remove = ecsfs__docker_network_remove,
    .network_list = ecsfs__docker_network_list,
    .network_disconnect = ecsfs__docker_network_disconnect,
    .stats = ecsfs__docker_stats,
    .host = ecsfs__docker_host,
    .watch = docker_watch,
    .logs = ecsfs__docker_logs,
    .logs_cancel = ecsfs__docker_logs_cancel,
};

/* The socket path of "unix:///path" or "/path", or NULL. */
static const char *endpoint_socket_path(const char *endpoint)
{
	const char *path = endpoint;

	if (strncmp(endpoint, "unix://", 7) == 0)
		path = endpoint + 7;
	if (path[0] != '/' || strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return NULL;
	return path;
}

/* The host and port of "tcp://host:port" ("[v6]:port" keeps its brackets). */
static bool endpoint_tcp(const char *endpoint, char host[256], int *port)
{
	const char *h = endpoint + 6, *colon;
	char *end;
	long p;

	if (strncmp(endpoint, "tcp://", 6) != 0 || !(colon = strrchr(h, ':')) || colon == h ||
	    (size_t)(colon - h) >= 256)
		return false;
	p = strtol(colon + 1, &end, 10);
	if (end == colon + 1 || *end || p < 1 || p > 65535)
		return false;
	memcpy(host, h, (size_t)(colon - h));
	host[colon - h] = '\0';
	*port = (int)p;
	return true;
}

/* The HTTP client of an endpoint; -EINVAL for one it cannot use. */
static int endpoint_http(uv_loop_t *loop, const char *endpoint, const ecsfs_http_tls *tls,
			 ecsfs_http **out)
{
	const char *path = endpoint_socket_path(endpoint);
	char host[256];
	int port;

	if (path)
		return tls ? -EINVAL : ecsfs_http_new(loop, path, out);
	if (!endpoint_tcp(endpoint, host, &port))
		return -EINVAL;
	return ecsfs_http_new_tcp(loop, host, port, tls, out);
}

int ecsfs_docker_new_tls(uv_loop_t *loop, const char *endpoint, const ecsfs_http_tls *tls,
			 ecsfs_runtime **out)
{
	struct docker *d;
	int r;

	if (!loop || !endpoint || strlen(endpoint) >= sizeof(d->info.endpoint))
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	r = endpoint_http(loop, endpoint, tls, &d->http);
	if (r < 0) {
		free(d);
		return r;
	}
	uv_timer_init(loop, &d->timer);
	uv_timer_init(loop, &d->announce);
	d->timer.data = d;
	d->announce.data = d;
	d->open_timers = 2;
	d->rt.ops = &docker_ops;
	d->backoff_ms = DOCKER_BACKOFF_MIN_MS;
	snprintf(d->info.name, sizeof(d->info.name), "docker");
	snprintf(d->info.endpoint, sizeof(d->info.endpoint), "%s", endpoint);
	snprintf(d->info.detail, sizeof(d->info.detail), "not probed yet");
	d->info.since = (int64_t)time(NULL);
	*out = &d->rt;
	return 0;
}

int ecsfs_docker_new(uv_loop_t *loop, const char *endpoint, ecsfs_runtime **out)
{
	return ecsfs_docker_new_tls(loop, endpoint, NULL, out);
}
