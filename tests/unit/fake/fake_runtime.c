/*
 * ecsfs — the fake runtime: an engine that is there (or not) because a
 * test says so, with containers, images and volumes in memory.
 *
 * It needs no loop. A call changes the state at once and queues its
 * result; so do the test controls with the events and log lines they
 * cause. Nothing is delivered before ecsfs_fake_runtime_flush(), which
 * hands out the queue in order (first queued, first delivered), including
 * whatever the callbacks queue meanwhile.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "fake_private.h"

/* ---- small helpers ------------------------------------------------------ */

/* Now, but never twice the same: lines and events keep their order. */
int64_t ecsfs__fake_tick(struct fake_runtime *f)
{
	int64_t now = ecsfs_now_ns();

	if (now <= f->clock)
		now = f->clock + 1;
	f->clock = now;
	return now;
}

/* Go's RFC3339Nano, as the engine writes times: trailing zeros of the
 * fraction dropped; the zero time for "never". */
void ecsfs__fake_time(int64_t ns, char out[40])
{
	time_t s = (time_t)(ns / 1000000000);
	long frac = (long)(ns % 1000000000);
	char digits[16];
	struct tm tm;
	int n;

	if (ns <= 0) {
		snprintf(out, 40, "0001-01-01T00:00:00Z");
		return;
	}
	gmtime_r(&s, &tm);
	n = snprintf(digits, sizeof(digits), ".%09ld", frac);
	while (n > 1 && digits[n - 1] == '0')
		digits[--n] = '\0';
	if (n == 1)
		digits[0] = '\0';
	snprintf(out, 40, "%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, digits);
}

void ecsfs__fake_random_hex(char *out, size_t nhex)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[32];
	size_t i;

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		for (i = 0; i < sizeof(b); i++)
			b[i] = (unsigned char)rand();
	for (i = 0; i < nhex && i < 2 * sizeof(b); i++)
		out[i] = hex[(b[i / 2] >> (i % 2 ? 0 : 4)) & 15];
	out[i] = '\0';
}

/* A stable fake digest of `s`: "sha256:" and 64 hex digits. */
void ecsfs__fake_digest(const char *s, char out[72])
{
	uint64_t h = 1469598103934665603ULL;
	int i, n = 7;

	memcpy(out, "sha256:", 7);
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	for (i = 0; i < 4; i++) {
		n += snprintf(out + n, (size_t)(72 - n), "%016llx", (unsigned long long)h);
		h = (h ^ (uint64_t)i) * 1099511628211ULL;
	}
}

/* "name" -> "name:latest"; tags and digests stay. */
void ecsfs__fake_ref_normalize(const char *ref, ecsfs_buf *out)
{
	const char *slash = strrchr(ref, '/');

	ecsfs_buf_adds(out, ref);
	if (!strchr(ref, '@') && !strchr(slash ? slash : ref, ':'))
		ecsfs_buf_adds(out, ":latest");
}

/* Docker's rule for container names: [a-zA-Z0-9][a-zA-Z0-9_.-]+. */
bool ecsfs__fake_name_valid(const char *s)
{
	const char *p;

	if (strlen(s) < 2 || strlen(s) > 255)
		return false;
	for (p = s; *p; p++) {
		bool alnum = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			     (*p >= '0' && *p <= '9');

		if (!alnum && (p == s || !strchr("_.-", *p)))
			return false;
	}
	return true;
}

const char *ecsfs__fake_label_of(const struct fake_container *c, const char *key)
{
	return json_string_value(json_object_get(json_object_get(c->config, "Labels"), key));
}

bool ecsfs__fake_has_label(const struct fake_container *c, const char *label)
{
	const char *eq = strchr(label, '=');
	json_t *labels = json_object_get(c->config, "Labels");
	json_t *v;

	if (!eq)
		return json_object_get(labels, label) != NULL;
	v = json_object_getn(labels, label, (size_t)(eq - label));
	return json_is_string(v) && strcmp(json_string_value(v), eq + 1) == 0;
}

bool ecsfs__fake_has_healthcheck(const struct fake_container *c)
{
	json_t *test = json_object_get(json_object_get(c->config, "Healthcheck"), "Test");

	return json_array_size(test) > 0 &&
	       strcmp(or_str(json_string_value(json_array_get(test, 0)), ""), "NONE") != 0;
}

/* The container `id`: its full id, its name (with or without the leading
 * '/'), or a unique prefix of at least 12 digits of its id. */
struct fake_container *ecsfs__fake_find(struct fake_runtime *f, const char *id)
{
	struct fake_container *c, *found = NULL;
	size_t n;

	if (!id || !*id)
		return NULL;
	if (*id == '/')
		id++;
	n = strlen(id);
	for (c = f->containers; c; c = c->next)
		if (strcmp(c->id, id) == 0 || strcmp(c->name, id) == 0)
			return c;
	if (n < 12)
		return NULL;
	for (c = f->containers; c; c = c->next) {
		if (strncmp(c->id, id, n) == 0) {
			if (found)
				return NULL;
			found = c;
		}
	}
	return found;
}

/* ---- the queue ---------------------------------------------------------- */

static struct work *work_new(struct fake_runtime *f, enum work_kind kind)
{
	struct work *w = calloc(1, sizeof(*w));

	if (!w)
		abort(); /* as ecsfs_buf does: a test cannot go on without memory */
	w->kind = kind;
	if (f->tail)
		f->tail->next = w;
	else
		f->head = w;
	f->tail = w;
	return w;
}

struct work *ecsfs__fake_work_pop(struct fake_runtime *f)
{
	struct work *w = f->head;

	if (w) {
		f->head = w->next;
		if (!f->head)
			f->tail = NULL;
	}
	return w;
}

void ecsfs__fake_work_free(struct work *w)
{
	json_decref(w->json);
	free(w->text);
	free(w);
}

static char *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (!p)
		abort();
	return p;
}

/* Queue a call's result: `result` is stolen; `fmt` says what went wrong. */
void ecsfs__fake_queue_result(struct fake_runtime *f, ecsfs_runtime_cb cb, void *data, int err,
			      json_t *result, const char *fmt, ...)
{
	struct work *w = work_new(f, WORK_RESULT);
	ecsfs_buf msg = ECSFS_BUF_INIT;
	va_list ap;

	w->cb = cb;
	w->data = data;
	w->err = err;
	w->json = result;
	if (fmt) {
		va_start(ap, fmt);
		ecsfs_buf_vaddf(&msg, fmt, ap);
		va_end(ap);
	}
	w->text = xstrndup(msg.data, msg.len);
	ecsfs_buf_release(&msg);
}

void ecsfs__fake_queue_open(struct fake_runtime *f)
{
	if (f->watch_cb && f->info.reachable)
		work_new(f, WORK_OPEN)->gen = f->watch_gen;
}

/* The event `action` of container `c`, as the engine's /events has it;
 * exit_code < 0: none. Only managed containers have events. */
void ecsfs__fake_queue_event(struct fake_runtime *f, struct fake_container *c, const char *action,
			     int exit_code)
{
	json_t *attrs, *labels, *v, *ev;
	const char *key, *image = json_string_value(json_object_get(c->config, "Image"));
	int64_t ns = ecsfs__fake_tick(f);
	char code[16];
	struct work *w;

	if (!f->watch_cb || !f->info.reachable ||
	    !ecsfs__fake_has_label(c, ECSFS_LABEL_MANAGED "=1"))
		return;
	attrs = json_object();
	labels = json_object_get(c->config, "Labels");
	json_object_foreach(labels, key, v) {
		if (json_is_string(v))
			json_object_set(attrs, key, v);
	}
	json_object_set_new(attrs, "image", json_string(or_str(image, "")));
	json_object_set_new(attrs, "name", json_string(c->name));
	if (exit_code >= 0) {
		snprintf(code, sizeof(code), "%d", exit_code);
		json_object_set_new(attrs, "exitCode", json_string(code));
	}
	ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:o}, s:s, s:I, s:I}", "status", action,
		       "id", c->id, "from", or_str(image, ""), "Type", "container", "Action",
		       action, "Actor", "ID", c->id, "Attributes", attrs, "scope", "local", "time",
		       (json_int_t)(ns / 1000000000), "timeNano", (json_int_t)ns);
	if (!ev)
		abort();
	w = work_new(f, WORK_EVENT);
	w->json = ev;
	w->gen = f->watch_gen;
}

static void follower_unlink(struct fake_runtime *f, struct ecsfs_runtime_logs *l)
{
	if (l->prev)
		l->prev->next = l->next;
	else
		f->followers = l->next;
	if (l->next)
		l->next->prev = l->prev;
	l->prev = l->next = NULL;
}

/* The follower's end, after whatever it was already sent. */
void ecsfs__fake_queue_end(struct fake_runtime *f, struct ecsfs_runtime_logs *l, int err)
{
	if (l->end_queued)
		return;
	l->end_queued = true;
	l->end_err = err;
	follower_unlink(f, l);
	work_new(f, WORK_END)->logs = l;
}

void ecsfs__fake_queue_line(struct fake_runtime *f, struct ecsfs_runtime_logs *l,
			    const struct fake_line *ln)
{
	struct work *w;

	if (ln->ts < l->since)
		return;
	w = work_new(f, WORK_LINE);
	w->logs = l;
	w->stream = ln->stream;
	w->ts = ln->ts;
	w->len = strlen(ln->text);
	w->text = xstrndup(ln->text, w->len);
}

/* Every follower of `c` ends with `err`; every follower at all when NULL. */
void ecsfs__fake_end_followers(struct fake_runtime *f, struct fake_container *c, int err)
{
	struct ecsfs_runtime_logs *l, *next;

	for (l = f->followers; l; l = next) {
		next = l->next;
		if (!c || strcmp(l->id, c->id) == 0)
			ecsfs__fake_queue_end(f, l, err);
	}
}

/* Hand out one piece of work; returns whether it reached anyone. */
int ecsfs__fake_work_deliver(struct fake_runtime *f, struct work *w)
{
	struct ecsfs_runtime_logs *l = w->logs;
	bool live = f->watch_cb && f->info.reachable && w->gen == f->watch_gen;
	ecsfs_runtime_end_cb end;
	void *data;
	int err;

	switch (w->kind) {
	case WORK_RESULT:
		w->cb(w->data, w->err, w->err ? NULL : w->json, w->err ? w->text : "");
		return 1;
	case WORK_OPEN:
	case WORK_EVENT:
		if (!live)
			return 0;
		f->watch_cb(f->watch_data, w->kind == WORK_OPEN ? NULL : w->json);
		return 1;
	case WORK_LINE:
		if (l->canceled)
			return 0;
		l->line(l->data, w->stream, w->ts, w->text, w->len);
		return 1;
	case WORK_END:
		end = l->end;
		data = l->data;
		err = l->end_err;
		free(l);
		end(data, err);
		return 1;
	}
	return 0;
}

static int fake_start(ecsfs_runtime *rt)
{
	return 0;
}

static void fake_info(ecsfs_runtime *rt, ecsfs_runtime_info *out)
{
	*out = to_fake(rt)->info;
}

void ecsfs__fake_free(struct fake_runtime *f)
{
	void (*done)(void *) = f->done;
	void *data = f->done_data;
	struct fake_container *c;

	while ((c = f->containers)) {
		f->containers = c->next;
		ecsfs__fake_container_free(c);
	}
	json_decref(f->images);
	json_decref(f->volumes);
	json_decref(f->stats);
	json_decref(f->host);
	ecsfs__fake_networks_free(f);
	free(f);
	if (done)
		done(data);
}

/* Everything pending gets -ECANCELED; events and lines are dropped. */
static void fake_close(ecsfs_runtime *rt, void (*done)(void *data), void *data)
{
	struct fake_runtime *f = to_fake(rt);
	struct ecsfs_runtime_logs *l;
	ecsfs_runtime_end_cb end;
	void *edata;
	struct work *w;

	if (f->closing)
		return;
	f->closing = true;
	f->done = done;
	f->done_data = data;
	while ((w = ecsfs__fake_work_pop(f))) {
		if (w->kind == WORK_RESULT) {
			w->cb(w->data, -ECANCELED, NULL, "the fake runtime is closing");
		} else if (w->kind == WORK_END) {
			end = w->logs->end;
			edata = w->logs->data;
			free(w->logs);
			end(edata, -ECANCELED);
		}
		ecsfs__fake_work_free(w);
	}
	while ((l = f->followers)) {
		follower_unlink(f, l);
		end = l->end;
		edata = l->data;
		free(l);
		end(edata, -ECANCELED);
	}
	/* Closed from a callback of flush(): flush frees when it unwinds. */
	if (!f->flushing)
		ecsfs__fake_free(f);
}

static const ecsfs_runtime_ops fake_ops = {
    .start = fake_start,
    .info = fake_info,
    .close = fake_close,
    .create = ecsfs__fake_create,
    .start_container = ecsfs__fake_start_container,
    .stop = ecsfs__fake_stop,
    .remove = ecsfs__fake_remove,
    .inspect = ecsfs__fake_inspect,
    .list = ecsfs__fake_list,
    .image_inspect = ecsfs__fake_image_inspect,
    .image_pull = ecsfs__fake_image_pull,
    .image_import = ecsfs__fake_image_import,
    .volume_create = ecsfs__fake_volume_create,
    .volume_remove = ecsfs__fake_volume_remove,
    .network_create = ecsfs__fake_network_create,
    .network_inspect = ecsfs__fake_network_inspect,
    .network_remove = ecsfs__fake_network_remove,
    .network_list = ecsfs__fake_network_list,
    .network_disconnect = ecsfs__fake_network_disconnect,
    .stats = ecsfs__fake_stats,
    .host = ecsfs__fake_host,
    .watch = ecsfs__fake_watch,
    .logs = ecsfs__fake_logs,
    .logs_cancel = ecsfs__fake_logs_cancel,
};

void ecsfs__fake_set(struct fake_runtime *f, bool reachable, const char *detail)
{
	ecsfs_runtime_info *in = &f->info;

	if (in->reachable != reachable)
		in->since = (int64_t)time(NULL);
	in->reachable = reachable;
	snprintf(in->version, sizeof(in->version), "%s", reachable ? "fake" : "");
	snprintf(in->api_version, sizeof(in->api_version), "%s", reachable ? FAKE_API_VERSION : "");
	if (reachable)
		in->detail[0] = '\0';
	else
		snprintf(in->detail, sizeof(in->detail), "%s",
			 detail && *detail ? detail : "unreachable");
}

ecsfs_runtime *ecsfs_fake_runtime_new(void)
{
	struct fake_runtime *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->images = json_object();
	f->volumes = json_object();
	if (!f->images || !f->volumes || ecsfs__fake_networks_init(f) < 0) {
		ecsfs__fake_networks_free(f);
		json_decref(f->images);
		json_decref(f->volumes);
		free(f);
		return NULL;
	}
	f->rt.ops = &fake_ops;
	f->next_port = FAKE_PORT_FIRST;
	snprintf(f->info.name, sizeof(f->info.name), "fake");
	snprintf(f->info.endpoint, sizeof(f->info.endpoint), "fake://");
	ecsfs__fake_set(f, true, NULL);
	f->info.since = (int64_t)time(NULL);
	return &f->rt;
}
