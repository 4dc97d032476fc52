/*
 * ecsfs — the Docker Engine API client: the real runtime.
 *
 * A probe is GET /_ping, then, when the engine was not known to be up,
 * GET /version to learn its version and negotiate the API version. One
 * probe runs at a time; the timer starts the next one when the last has
 * finished: every 5 s while the engine is up, after a backoff growing from
 * 1 s to 10 s while it is not.
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

#define DOCKER_PING_INTERVAL_MS 5000
#define DOCKER_BACKOFF_MIN_MS	1000
#define DOCKER_BACKOFF_MAX_MS	10000
#define DOCKER_PROBE_TIMEOUT_MS 5000L
/* How much of an error answer's text goes into a detail. */
#define DOCKER_ERROR_TEXT_MAX 160

struct docker {
	ecsfs_runtime rt; /* first: ecsfs_runtime * converts to struct docker * */
	ecsfs_http *http;
	uv_timer_t timer;
	ecsfs_runtime_info info;
	uint64_t backoff_ms;
	bool started;
	bool closing;
	bool timer_closed;
	void (*done)(void *data);
	void *done_data;
};

static struct docker *to_docker(ecsfs_runtime *rt)
{
	return (struct docker *)rt;
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

/*
 * Append what an error answer says: Docker's {"message": "..."}, else the
 * start of the body on one line.
 */
static void docker_error_text(const ecsfs_buf *body, ecsfs_buf *out)
{
	json_t *j = json_loadb(body->data, body->len, 0, NULL);
	const char *msg = json_string_value(json_object_get(j, "message"));
	size_t i;

	if (msg) {
		ecsfs_buf_addf(out, "%.*s", DOCKER_ERROR_TEXT_MAX, msg);
	} else {
		for (i = 0; i < body->len && i < DOCKER_ERROR_TEXT_MAX; i++) {
			unsigned char c = (unsigned char)body->data[i];

			ecsfs_buf_addch(out, c < ' ' || c == 0x7f ? ' ' : (char)c);
		}
	}
	json_decref(j);
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
	in->detail[0] = '\0';
	d->backoff_ms = DOCKER_BACKOFF_MIN_MS;
	docker_schedule(d, DOCKER_PING_INTERVAL_MS);
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
	docker_schedule(d, d->backoff_ms);
	d->backoff_ms *= 2;
	if (d->backoff_ms > DOCKER_BACKOFF_MAX_MS)
		d->backoff_ms = DOCKER_BACKOFF_MAX_MS;
	if (changed)
		docker_notify(d);
}

static void on_version(void *data, int err, long status, const ecsfs_buf *body, const char *errmsg)
{
	struct docker *d = data;
	const char *version, *api;
	json_error_t jerr;
	json_t *j;

	if (d->closing)
		return;
	if (err) {
		docker_down(d, "%s", errmsg);
		return;
	}
	if (status != 200) {
		ecsfs_buf text = ECSFS_BUF_INIT;

		docker_error_text(body, &text);
		docker_down(d, "GET /version answered HTTP %ld: %s", status, text.data);
		ecsfs_buf_release(&text);
		return;
	}
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

	if (d->closing)
		return;
	if (err) {
		docker_down(d, "%s", errmsg);
		return;
	}
	if (status != 200) {
		ecsfs_buf text = ECSFS_BUF_INIT;

		docker_error_text(body, &text);
		docker_down(d, "GET /_ping answered HTTP %ld: %s", status, text.data);
		ecsfs_buf_release(&text);
		return;
	}
	if (d->info.reachable) {
		docker_schedule(d, DOCKER_PING_INTERVAL_MS);
		return;
	}
	r = ecsfs_http_request(d->http, "GET", "/version", NULL, 0, DOCKER_PROBE_TIMEOUT_MS,
			       on_version, d);
	if (r < 0)
		docker_down(d, "cannot send GET /version: %s", strerror_r(-r, ebuf, sizeof(ebuf)));
}

static int docker_probe(struct docker *d)
{
	return ecsfs_http_request(d->http, "GET", "/_ping", NULL, 0, DOCKER_PROBE_TIMEOUT_MS,
				  on_ping, d);
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

	if (!d->timer_closed || d->http)
		return;
	free(d);
	if (done)
		done(data);
}

static void on_timer_closed(uv_handle_t *h)
{
	struct docker *d = h->data;

	d->timer_closed = true;
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
	/* In-flight probes get -ECANCELED before `on_http_closed`, while d lives. */
	ecsfs_http_close(d->http, on_http_closed, d);
}

static const ecsfs_runtime_ops docker_ops = {
    .start = docker_start,
    .info = docker_info,
    .close = docker_close,
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

int ecsfs_docker_new(uv_loop_t *loop, const char *endpoint, ecsfs_runtime **out)
{
	struct docker *d;
	const char *path;
	int r;

	if (!loop || !endpoint)
		return -EINVAL;
	path = endpoint_socket_path(endpoint);
	if (!path || strlen(endpoint) >= sizeof(d->info.endpoint))
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	r = ecsfs_http_new(loop, path, &d->http);
	if (r < 0) {
		free(d);
		return r;
	}
	uv_timer_init(loop, &d->timer);
	d->timer.data = d;
	d->rt.ops = &docker_ops;
	d->backoff_ms = DOCKER_BACKOFF_MIN_MS;
	snprintf(d->info.name, sizeof(d->info.name), "docker");
	snprintf(d->info.endpoint, sizeof(d->info.endpoint), "%s", endpoint);
	snprintf(d->info.detail, sizeof(d->info.detail), "not probed yet");
	d->info.since = (int64_t)time(NULL);
	*out = &d->rt;
	return 0;
}
