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

#include "ecsfs/runtime.h"
#include "fake_runtime.h"
#include "ecsfs/util.h"

#define FAKE_API_VERSION "1.43"
/* Lines of output a container keeps for followers that come later. */
#define FAKE_LOG_LINES_MAX 10000
/* Where the fake engine starts picking host ports. */
#define FAKE_PORT_FIRST 32768

/* One thing to hand to the layer above, in order. */
enum work_kind {
	WORK_RESULT, /* a call's result */
	WORK_OPEN,   /* the event stream (re)opened: cb(NULL) */
	WORK_EVENT,  /* an event */
	WORK_LINE,   /* a line of output for a follower */
	WORK_END,    /* a follower's end */
};

struct work {
	enum work_kind kind;
	struct work *next;
	ecsfs_runtime_cb cb; /* WORK_RESULT */
	void *data;
	int err;
	json_t *json; /* the result (may be NULL), or the event */
	char *text;   /* errmsg, or the line */
	size_t len;
	unsigned gen;			 /* WORK_OPEN, WORK_EVENT: the subscription it belongs to */
	struct ecsfs_runtime_logs *logs; /* WORK_LINE, WORK_END */
	int stream;
	int64_t ts;
};

struct fake_line {
	int stream;
	int64_t ts;
	char *text;
};

struct fake_container {
	char id[65];
	char *name;
	json_t *config;	    /* the create body, as given */
	const char *status; /* "created", "running", "exited" */
	int exit_code;
	int64_t created, started, finished;
	char health[16]; /* "" without a health check */
	json_t *ports;	 /* NetworkSettings.Ports while running */
	struct fake_line *lines;
	size_t nlines;
	struct fake_container *next;
};

struct ecsfs_runtime_logs {
	struct fake_runtime *f;
	char id[65]; /* the container's, "" when it was never there */
	int64_t since;
	ecsfs_runtime_line_cb line;
	ecsfs_runtime_end_cb end;
	void *data;
	bool canceled;
	bool end_queued; /* its WORK_END is in the queue; it follows no more */
	int end_err;
	struct ecsfs_runtime_logs *prev, *next; /* followers not yet ended */
};

struct fake_runtime {
	ecsfs_runtime rt; /* first: ecsfs_runtime * converts to struct fake_runtime * */
	ecsfs_runtime_info info;
	struct work *head, *tail;
	struct fake_container *containers;
	json_t *images;	 /* normalized ref -> inspect object, of pulls and imports */
	json_t *volumes; /* name -> volume */
	ecsfs_runtime_event_cb watch_cb;
	void *watch_data;
	unsigned watch_gen;
	struct ecsfs_runtime_logs *followers;
	int64_t clock; /* the last timestamp handed out */
	int next_port;
	int flushing;
	bool closing;
	void (*done)(void *data);
	void *done_data;
};

static struct fake_runtime *to_fake(ecsfs_runtime *rt)
{
	return (struct fake_runtime *)rt;
}

/* ---- small helpers ------------------------------------------------------ */

/* Now, but never twice the same: lines and events keep their order. */
static int64_t fake_tick(struct fake_runtime *f)
{
	int64_t now = ecsfs_now_ns();

	if (now <= f->clock)
		now = f->clock + 1;
	f->clock = now;
	return now;
}

/* Go's RFC3339Nano, as the engine writes times: trailing zeros of the
 * fraction dropped; the zero time for "never". */
static void fake_time(int64_t ns, char out[40])
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

static void random_hex(char *out, size_t nhex)
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
static void fake_digest(const char *s, char out[72])
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
static void ref_normalize(const char *ref, ecsfs_buf *out)
{
	const char *slash = strrchr(ref, '/');

	ecsfs_buf_adds(out, ref);
	if (!strchr(ref, '@') && !strchr(slash ? slash : ref, ':'))
		ecsfs_buf_adds(out, ":latest");
}

static const char *or_str(const char *s, const char *otherwise)
{
	return s ? s : otherwise;
}

static bool image_present(const char *ref)
{
	return ref && !strstr(ref, "missing");
}

/* Docker's rule for container names: [a-zA-Z0-9][a-zA-Z0-9_.-]+. */
static bool name_valid(const char *s)
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

static const char *label_of(const struct fake_container *c, const char *key)
{
	return json_string_value(json_object_get(json_object_get(c->config, "Labels"), key));
}

static bool has_label(const struct fake_container *c, const char *label)
{
	const char *eq = strchr(label, '=');
	json_t *labels = json_object_get(c->config, "Labels");
	json_t *v;

	if (!eq)
		return json_object_get(labels, label) != NULL;
	v = json_object_getn(labels, label, (size_t)(eq - label));
	return json_is_string(v) && strcmp(json_string_value(v), eq + 1) == 0;
}

static bool has_healthcheck(const struct fake_container *c)
{
	json_t *test = json_object_get(json_object_get(c->config, "Healthcheck"), "Test");

	return json_array_size(test) > 0 &&
	       strcmp(or_str(json_string_value(json_array_get(test, 0)), ""), "NONE") != 0;
}

/* The container `id`: its full id, its name (with or without the leading
 * '/'), or a unique prefix of at least 12 digits of its id. */
static struct fake_container *fake_find(struct fake_runtime *f, const char *id)
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

static struct work *work_pop(struct fake_runtime *f)
{
	struct work *w = f->head;

	if (w) {
		f->head = w->next;
		if (!f->head)
			f->tail = NULL;
	}
	return w;
}

static void work_free(struct work *w)
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
__attribute__((format(printf, 6, 7))) static void queue_result(struct fake_runtime *f,
							       ecsfs_runtime_cb cb, void *data,
							       int err, json_t *result,
							       const char *fmt, ...)
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

static void queue_open(struct fake_runtime *f)
{
	if (f->watch_cb && f->info.reachable)
		work_new(f, WORK_OPEN)->gen = f->watch_gen;
}

/* The event `action` of container `c`, as the engine's /events has it;
 * exit_code < 0: none. Only managed containers have events. */
static void queue_event(struct fake_runtime *f, struct fake_container *c, const char *action,
			int exit_code)
{
	json_t *attrs, *labels, *v, *ev;
	const char *key, *image = json_string_value(json_object_get(c->config, "Image"));
	int64_t ns = fake_tick(f);
	char code[16];
	struct work *w;

	if (!f->watch_cb || !f->info.reachable || !has_label(c, ECSFS_LABEL_MANAGED "=1"))
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
static void queue_end(struct fake_runtime *f, struct ecsfs_runtime_logs *l, int err)
{
	if (l->end_queued)
		return;
	l->end_queued = true;
	l->end_err = err;
	follower_unlink(f, l);
	work_new(f, WORK_END)->logs = l;
}

static void queue_line(struct fake_runtime *f, struct ecsfs_runtime_logs *l,
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
static void end_followers(struct fake_runtime *f, struct fake_container *c, int err)
{
	struct ecsfs_runtime_logs *l, *next;

	for (l = f->followers; l; l = next) {
		next = l->next;
		if (!c || strcmp(l->id, c->id) == 0)
			queue_end(f, l, err);
	}
}

/* Hand out one piece of work; returns whether it reached anyone. */
static int work_deliver(struct fake_runtime *f, struct work *w)
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

/* ---- state -------------------------------------------------------------- */

static void container_free(struct fake_container *c)
{
	size_t i;

	for (i = 0; i < c->nlines; i++)
		free(c->lines[i].text);
	free(c->lines);
	json_decref(c->config);
	json_decref(c->ports);
	free(c->name);
	free(c);
}

static void container_unlink(struct fake_runtime *f, struct fake_container *c)
{
	struct fake_container **pp;

	for (pp = &f->containers; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			return;
		}
	}
}

/* NetworkSettings.Ports of a running container: its bindings, with the
 * host ports the engine would have picked where none was asked for. */
static json_t *container_ports(struct fake_runtime *f, struct fake_container *c)
{
	json_t *ports = json_object(), *hc = json_object_get(c->config, "HostConfig");
	json_t *bindings = json_object_get(hc, "PortBindings"), *v, *b, *list;
	const char *key, *hp;
	char port[16];
	size_t i;

	json_object_foreach(json_object_get(c->config, "ExposedPorts"), key, v) {
		json_object_set_new(ports, key, json_null());
	}
	json_object_foreach(bindings, key, v) {
		list = json_array();
		json_array_foreach(v, i, b) {
			hp = json_string_value(json_object_get(b, "HostPort"));
			if (!hp || !*hp || strcmp(hp, "0") == 0) {
				snprintf(port, sizeof(port), "%d", f->next_port++);
				hp = port;
			}
			json_array_append_new(
			    list, json_pack("{s:s, s:s}", "HostIp", "0.0.0.0", "HostPort", hp));
		}
		json_object_set_new(ports, key, list);
	}
	return ports;
}

/* The container stops running with `code`: "die", and its followers end. */
static void container_exit(struct fake_runtime *f, struct fake_container *c, int code)
{
	c->status = "exited";
	c->exit_code = code;
	c->finished = fake_tick(f);
	json_decref(c->ports);
	c->ports = NULL;
	queue_event(f, c, "die", code);
	end_followers(f, c, 0);
}

/* Gone, as after `docker rm -f`: killed if running, then destroyed. */
static void container_destroy(struct fake_runtime *f, struct fake_container *c)
{
	if (strcmp(c->status, "running") == 0)
		container_exit(f, c, 137);
	queue_event(f, c, "destroy", -1);
	end_followers(f, c, 0);
	container_unlink(f, c);
	container_free(c);
}

static json_t *container_inspect(struct fake_container *c)
{
	json_t *config = json_deep_copy(c->config), *hc, *state, *cmd;
	bool running = strcmp(c->status, "running") == 0;
	const char *image = json_string_value(json_object_get(c->config, "Image"));
	char created[40], started[40], finished[40], digest[72], name[300];
	json_t *j;

	hc = json_object_get(config, "HostConfig");
	hc = hc ? json_incref(hc) : json_object();
	json_object_del(config, "HostConfig");
	json_object_del(config, "NetworkingConfig");
	if (!json_is_object(json_object_get(config, "Labels")))
		json_object_set_new(config, "Labels", json_object());
	if (!json_object_get(config, "Tty"))
		json_object_set_new(config, "Tty", json_false());
	fake_time(c->created, created);
	fake_time(c->started, started);
	fake_time(c->finished, finished);
	fake_digest(or_str(image, ""), digest);
	snprintf(name, sizeof(name), "/%s", c->name);
	state = json_pack("{s:s, s:b, s:b, s:b, s:b, s:b, s:i, s:i, s:s, s:s, s:s}", "Status",
			  c->status, "Running", running, "Paused", 0, "Restarting", 0, "OOMKilled",
			  0, "Dead", 0, "Pid", running ? 4242 : 0, "ExitCode", c->exit_code,
			  "Error", "", "StartedAt", started, "FinishedAt", finished);
	if (state && c->health[0])
		json_object_set_new(
		    state, "Health",
		    json_pack("{s:s, s:i, s:[]}", "Status", c->health, "FailingStreak", 0, "Log"));
	cmd = json_object_get(config, "Cmd");
	j = json_pack("{s:s, s:s, s:s, s:[], s:s, s:s, s:o, s:i, s:o, s:o, s:{s:o}}", "Id", c->id,
		      "Created", created, "Path",
		      or_str(json_string_value(json_array_get(cmd, 0)), ""), "Args", "Name", name,
		      "Image", digest, "State", state, "RestartCount", 0, "HostConfig", hc,
		      "Config", config, "NetworkSettings", "Ports",
		      c->ports ? json_deep_copy(c->ports) : json_object());
	if (!j)
		abort();
	return j;
}

static json_t *container_summary(struct fake_container *c)
{
	const char *image = json_string_value(json_object_get(c->config, "Image"));
	json_t *labels = json_object_get(c->config, "Labels"), *j;
	char digest[72], name[300], status[64];

	fake_digest(or_str(image, ""), digest);
	snprintf(name, sizeof(name), "/%s", c->name);
	if (strcmp(c->status, "running") == 0)
		snprintf(status, sizeof(status), "Up");
	else if (strcmp(c->status, "exited") == 0)
		snprintf(status, sizeof(status), "Exited (%d)", c->exit_code);
	else
		snprintf(status, sizeof(status), "Created");
	j = json_pack("{s:s, s:[s], s:s, s:s, s:I, s:s, s:s, s:o, s:[], s:[]}", "Id", c->id,
		      "Names", name, "Image", or_str(image, ""), "ImageID", digest, "Created",
		      (json_int_t)(c->created / 1000000000), "State", c->status, "Status", status,
		      "Labels", json_is_object(labels) ? json_deep_copy(labels) : json_object(),
		      "Ports", "Mounts");
	if (!j)
		abort();
	return j;
}

/* Does a container (running or not) mount volume `name`? */
static bool volume_in_use(struct fake_runtime *f, const char *name)
{
	struct fake_container *c;
	json_t *hc, *v;
	const char *s;
	size_t i, n = strlen(name);

	for (c = f->containers; c; c = c->next) {
		hc = json_object_get(c->config, "HostConfig");
		json_array_foreach(json_object_get(hc, "Mounts"), i, v) {
			s = json_string_value(json_object_get(v, "Source"));
			if (s && strcmp(s, name) == 0 &&
			    strcmp(or_str(json_string_value(json_object_get(v, "Type")), "volume"),
				   "volume") == 0)
				return true;
		}
		json_array_foreach(json_object_get(hc, "Binds"), i, v) {
			s = json_string_value(v);
			if (s && strncmp(s, name, n) == 0 && s[n] == ':')
				return true;
		}
	}
	return false;
}

/* ---- the runtime's calls ------------------------------------------------ */

/* Calls on an engine that is not there fail as connecting to it would. */
static bool fake_refuse(struct fake_runtime *f, ecsfs_runtime_cb cb, void *data)
{
	if (f->info.reachable)
		return false;
	queue_result(f, cb, data, -ECONNREFUSED, NULL, "cannot connect to the fake engine: %s",
		     f->info.detail);
	return true;
}

static int fake_create(ecsfs_runtime *rt, const char *name, json_t *config, ecsfs_runtime_cb cb,
		       void *data)
{
	struct fake_runtime *f = to_fake(rt);
	const char *image = json_string_value(json_object_get(config, "Image"));
	struct fake_container *c, *other;
	char gen[16];

	if (!cb || !json_is_object(config) || !image)
		return -EINVAL;
	if (f->closing)
		return -ECANCELED;
	if (fake_refuse(f, cb, data))
		return 0;
	if (!name || !*name) {
		random_hex(gen + 5, 8);
		memcpy(gen, "fake_", 5);
		name = gen;
	}
	if (!name_valid(name)) {
		queue_result(f, cb, data, -EIO, NULL,
			     "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are "
			     "allowed",
			     name);
		return 0;
	}
	for (other = f->containers; other; other = other->next)
		if (strcmp(other->name, name) == 0)
			break;
	if (other) {
		queue_result(f, cb, data, -EEXIST, NULL,
			     "Conflict. The container name \"/%s\" is already in use by container "
			     "\"%s\". You have to remove (or rename) that container to be able to "
			     "reuse that name.",
			     name, other->id);
		return 0;
	}
	if (!image_present(image)) {
		queue_result(f, cb, data, -ENOENT, NULL, "No such image: %s", image);
		return 0;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->name = strdup(name);
	c->config = json_deep_copy(config);
	if (!c->name || !c->config) {
		container_free(c);
		return -ENOMEM;
	}
	random_hex(c->id, 64);
	c->status = "created";
	c->created = fake_tick(f);
	c->next = f->containers;
	f->containers = c;
	queue_event(f, c, "create", -1);
	queue_result(f, cb, data, 0, json_pack("{s:s, s:[]}", "Id", c->id, "Warnings"), NULL);
	return 0;
}

/*
 * The common start of a call on one container: 0 and *out, or 1 when the
 * call's result is already queued (an unreachable engine, no such
 * container), or a negative errno to return.
 */
static int fake_target(struct fake_runtime *f, const char *id, ecsfs_runtime_cb cb, void *data,
		       struct fake_container **out)
{
	if (!cb || !id || !*id)
		return -EINVAL;
	if (f->closing)
		return -ECANCELED;
	if (fake_refuse(f, cb, data))
		return 1;
	*out = fake_find(f, id);
	if (!*out) {
		queue_result(f, cb, data, -ENOENT, NULL, "No such container: %s", id);
		return 1;
	}
	return 0;
}

static int fake_start_container(ecsfs_runtime *rt, const char *id, ecsfs_runtime_cb cb, void *data)
{
	struct fake_runtime *f = to_fake(rt);
	struct fake_container *c;
	int r = fake_target(f, id, cb, data, &c);

	if (r)
		return r < 0 ? r : 0;
	if (strcmp(c->status, "running") != 0) {
		c->status = "running";
		c->exit_code = 0;
		c->started = fake_tick(f);
		snprintf(c->health, sizeof(c->health), "%s", has_healthcheck(c) ? "starting" : "");
		c->ports = container_ports(f, c);
		queue_event(f, c, "start", -1);
	}
	queue_result(f, cb, data, 0, NULL, NULL);
	return 0;
}

static int fake_stop(ecsfs_runtime *rt, const char *id, int timeout_s, ecsfs_runtime_cb cb,
		     void *data)
{
	struct fake_runtime *f = to_fake(rt);
	struct fake_container *c;
	int r;

	if (timeout_s < 0)
		return -EINVAL;
	r = fake_target(f, id, cb, data, &c);
	if (r)
		return r < 0 ? r : 0;
	if (strcmp(c->status, "running") == 0) {
		container_exit(f, c, 143); /* 128 + SIGTERM */
		queue_event(f, c, "stop", -1);
	}
	queue_result(f, cb, data, 0, NULL, NULL);
	return 0;
}

static int fake_remove(ecsfs_runtime *rt, const char *id, ecsfs_runtime_cb cb, void *data)
{
	struct fake_runtime *f = to_fake(rt);
	struct fake_container *c;
	int r = fake_target(f, id, cb, data, &c);

	if (r)
		return r < 0 ? r : 0;
	container_destroy(f, c);
	queue_result(f, cb, data, 0, NULL, NULL);
	return 0;
}

static int fake_inspect(ecsfs_runtime *rt, const char *id, ecsfs_runtime_cb cb, void *data)
{
	struct fake_runtime *f = to_fake(rt);
	struct fake_container *c;
	int r = fake_target(f, id, cb, data, &c);

	if (r)
		return r < 0 ? r : 0;
	queue_result(f, cb, data, 0, container_inspect(c), NULL);
	return 0;
}

/* A NULL or empty label lists every container. */
static int fake_list(ecsfs_runtime *rt, const char *label, ecsfs_runtime_cb cb, void *data)
{
	struct fake_runtime *f = to_fake(rt);
	struct fake_container *c;
	json_t *list;

	if (!cb)
		return -EINVAL;
	if (f->closing)
		return -ECANCELED;
	if (fake_refuse(f, cb, data))
		return 0;
	list = json_array();
	for (c = f->containers; c; c = c->next)
		if (!label || !*label || has_label(c, label))
			json_array_append_new(list, container_summary(c));
	queue_result(f, cb, data, 0, list, NULL);
	return 0;
}

/* The inspect object of a present image `ref`. */
static json_t *image_object(struct fake_runtime *f, const char *ref)
{
	ecsfs_buf norm = ECSFS_BUF_INIT;
	char digest[72];
	json_t *j;

	ref_normalize(ref, &norm);
	j = json_object_get(f->images, norm.data);
	if (j) {
		json_incref(j);
	} else {
		fake_digest(norm.data, digest);
		j = json_pack("{s:s, s:[s], s:{s:n}}", "Id", digest, "RepoTags", norm.data,
			      "Config", "Cmd");
	}
	ecsfs_buf_release(&norm);
	return j;
}

static int fake_image_inspect(ecsfs_runtime *rt, const char *ref, ecsfs_runtime_cb cb, void *data)
{
	struct fake_runtime *f = to_fake(rt);

	if (!cb || !ref || !*ref)
		return -EINVAL;
	if (f->closing)
		return -ECANCELED;
	if (fake_refuse(f, cb, data))
		return 0;
	if (!image_present(ref))
		queue_result(f, cb, data, -ENOENT, NULL, "No such image: %s", ref);
	else
		queue_result(f, cb, data, 0, image_object(f, ref), NULL);
	return 0;
}

static int fake_image_pull(ecsfs_runtime *rt, const char *ref, ecsfs_runtime_cb cb, void *data)
{
	struct fake_runtime *f = to_fake(rt);
	ecsfs_buf norm = ECSFS_BUF_INIT;
	const char *slash, *colon;

	if (!cb || !ref || !*ref)
		return -EINVAL;
	if (f->closing)
		return -ECANCELED;
	if (fake_refuse(f, cb, data))
		return 0;
	if (!image_present(ref)) {
		/* The engine's words when the registry has no such repository. */
		slash = strrchr(ref, '/');
		colon = strchr(slash ? slash : ref, ':');
		queue_result(f, cb, data, -ENOENT, NULL,
			     "pull access denied for %.*s, repository does not exist or may "
			     "require 'docker login': denied: requested access to the resource "
			     "is denied",
			     (int)(colon ? (size_t)(colon - ref) : strcspn(ref, "@")), ref);
		return 0;
	}
	ref_normalize(ref, &norm);
	queue_result(
	    f, cb, data, 0,
	    json_pack("{s:s+}", "status", "Status: Downloaded newer image for ", norm.data), NULL);
	ecsfs_buf_release(&norm);
	return 0;
}

static int fake_image_import(ecsfs_runtime *rt, const char *ref, const void *tar, size_t len,
			     const char *cmd_json, ecsfs_runtime_cb cb, void *data)
{
	struct fake_runtime *f = to_fake(rt);
	ecsfs_buf norm = ECSFS_BUF_INIT;
	json_t *cmd = NULL, *image;
	char digest[72];

	if (!cb || !ref || !*ref || strchr(ref, '@') || !tar || !len)
		return -EINVAL;
	if (cmd_json && *cmd_json) {
		cmd = json_loads(cmd_json, JSON_DECODE_ANY, NULL);
		if (!json_is_array(cmd)) {
			json_decref(cmd);
			return -EINVAL;
		}
	}
	if (f->closing) {
		json_decref(cmd);
		return -ECANCELED;
	}
	if (fake_refuse(f, cb, data)) {
		json_decref(cmd);
		return 0;
	}
	ref_normalize(ref, &norm);
	fake_digest(norm.data, digest);
	image = json_pack("{s:s, s:[s], s:{s:o}}", "Id", digest, "RepoTags", norm.data, "Config",
			  "Cmd", cmd ? cmd : json_null());
	json_object_set_new(f->images, norm.data, image);
	queue_result(f, cb, data, 0, json_pack("{s:s}", "status", digest), NULL);
	ecsfs_buf_release(&norm);
	return 0;
}

static int fake_volume_create(ecsfs_runtime *rt, json_t *body, ecsfs_runtime_cb cb, void *data)
{
	struct fake_runtime *f = to_fake(rt);
	const char *name = json_string_value(json_object_get(body, "Name"));
	json_t *labels = json_object_get(body, "Labels"),
	       *opts = json_object_get(body, "DriverOpts");
	json_t *vol;
	char gen[65], created[40], mount[400];

	if (!cb || !json_is_object(body))
		return -EINVAL;
	if (f->closing)
		return -ECANCELED;
	if (fake_refuse(f, cb, data))
		return 0;
	if (!name || !*name) {
		random_hex(gen, 64);
		name = gen;
	}
	vol = json_object_get(f->volumes, name);
	if (!vol) {
		fake_time(fake_tick(f), created);
		snprintf(mount, sizeof(mount), "/var/lib/docker/volumes/%s/_data", name);
		vol = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:s}", "Name", name, "Driver",
				or_str(json_string_value(json_object_get(body, "Driver")), "local"),
				"Mountpoint", mount, "CreatedAt", created, "Labels",
				json_is_object(labels) ? json_deep_copy(labels) : json_object(),
				"Options", opts ? json_deep_copy(opts) : json_null(), "Scope",
				"local");
		json_object_set_new(f->volumes, name, vol);
	}
	queue_result(f, cb, data, 0, json_deep_copy(vol), NULL);
	return 0;
}

static int fake_volume_remove(ecsfs_runtime *rt, const char *name, ecsfs_runtime_cb cb, void *data)
{
	struct fake_runtime *f = to_fake(rt);

	if (!cb || !name || !*name)
		return -EINVAL;
	if (f->closing)
		return -ECANCELED;
	if (fake_refuse(f, cb, data))
		return 0;
	if (!json_object_get(f->volumes, name)) {
		queue_result(f, cb, data, -ENOENT, NULL, "get %s: no such volume", name);
	} else if (volume_in_use(f, name)) {
		queue_result(f, cb, data, -EBUSY, NULL, "remove %s: volume is in use", name);
	} else {
		json_object_del(f->volumes, name);
		queue_result(f, cb, data, 0, NULL, NULL);
	}
	return 0;
}

static void fake_watch(ecsfs_runtime *rt, ecsfs_runtime_event_cb cb, void *data)
{
	struct fake_runtime *f = to_fake(rt);

	if (f->closing)
		return;
	/* Events queued for the previous subscriber are not for this one. */
	f->watch_gen++;
	f->watch_cb = cb;
	f->watch_data = data;
	queue_open(f);
}

static ecsfs_runtime_logs *fake_logs(ecsfs_runtime *rt, const char *id, int64_t since_ns,
				     ecsfs_runtime_line_cb line, ecsfs_runtime_end_cb end,
				     void *data)
{
	struct fake_runtime *f = to_fake(rt);
	struct ecsfs_runtime_logs *l;
	struct fake_container *c;
	size_t i;

	if (!id || !*id || !line || !end || since_ns < 0 || f->closing)
		return NULL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->f = f;
	l->since = since_ns;
	l->line = line;
	l->end = end;
	l->data = data;
	l->next = f->followers;
	if (f->followers)
		f->followers->prev = l;
	f->followers = l;
	c = fake_find(f, id);
	if (!f->info.reachable) {
		queue_end(f, l, -ECONNREFUSED);
	} else if (!c) {
		queue_end(f, l, 0); /* gone: nothing to follow */
	} else {
		memcpy(l->id, c->id, sizeof(l->id));
		for (i = 0; i < c->nlines; i++)
			queue_line(f, l, &c->lines[i]);
		if (strcmp(c->status, "running") != 0)
			queue_end(f, l, 0);
	}
	return l;
}

static void fake_logs_cancel(ecsfs_runtime_logs *l)
{
	if (!l || l->canceled)
		return;
	l->canceled = true;
	/* While closing, close itself ends every follower. */
	if (l->f->closing)
		return;
	if (l->end_queued)
		l->end_err = -ECANCELED;
	else
		queue_end(l->f, l, -ECANCELED);
}

static int fake_start(ecsfs_runtime *rt)
{
	return 0;
}

static void fake_info(ecsfs_runtime *rt, ecsfs_runtime_info *out)
{
	*out = to_fake(rt)->info;
}

static void fake_free(struct fake_runtime *f)
{
	void (*done)(void *) = f->done;
	void *data = f->done_data;
	struct fake_container *c;

	while ((c = f->containers)) {
		f->containers = c->next;
		container_free(c);
	}
	json_decref(f->images);
	json_decref(f->volumes);
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
	while ((w = work_pop(f))) {
		if (w->kind == WORK_RESULT) {
			w->cb(w->data, -ECANCELED, NULL, "the fake runtime is closing");
		} else if (w->kind == WORK_END) {
			end = w->logs->end;
			edata = w->logs->data;
			free(w->logs);
			end(edata, -ECANCELED);
		}
		work_free(w);
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
		fake_free(f);
}

static const ecsfs_runtime_ops fake_ops = {
    .start = fake_start,
    .info = fake_info,
    .close = fake_close,
    .create = fake_create,
    .start_container = fake_start_container,
    .stop = fake_stop,
    .remove = fake_remove,
    .inspect = fake_inspect,
    .list = fake_list,
    .image_inspect = fake_image_inspect,
    .image_pull = fake_image_pull,
    .image_import = fake_image_import,
    .volume_create = fake_volume_create,
    .volume_remove = fake_volume_remove,
    .watch = fake_watch,
    .logs = fake_logs,
    .logs_cancel = fake_logs_cancel,
};

static void fake_set(struct fake_runtime *f, bool reachable, const char *detail)
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
	if (!f->images || !f->volumes) {
		json_decref(f->images);
		json_decref(f->volumes);
		free(f);
		return NULL;
	}
	f->rt.ops = &fake_ops;
	f->next_port = FAKE_PORT_FIRST;
	snprintf(f->info.name, sizeof(f->info.name), "fake");
	snprintf(f->info.endpoint, sizeof(f->info.endpoint), "fake://");
	fake_set(f, true, NULL);
	f->info.since = (int64_t)time(NULL);
	return &f->rt;
}

/* ---- the test's controls ------------------------------------------------ */

/*
 * Make the fake engine reachable or not; `detail` (may be NULL) says why
 * not. Calls rt->on_change every time, even when nothing changed, so a
 * test can use it to make the layer above look again.
 *
 * Going away breaks the event stream (events not yet delivered are lost)
 * and ends every log follower with -EIO; coming back reopens the stream
 * (the subscriber gets cb(NULL)).
 */
void ecsfs_fake_runtime_set_reachable(ecsfs_runtime *rt, bool reachable, const char *detail)
{
	struct fake_runtime *f = to_fake(rt);
	bool was = f->info.reachable;

	if (f->closing)
		return;
	fake_set(f, reachable, detail);
	if (was && !reachable) {
		f->watch_gen++;
		end_followers(f, NULL, -EIO);
	} else if (!was && reachable) {
		queue_open(f);
	}
	if (rt->on_change)
		rt->on_change(rt, rt->on_change_data);
}

int ecsfs_fake_runtime_flush(ecsfs_runtime *rt)
{
	struct fake_runtime *f = to_fake(rt);
	struct work *w;
	int n = 0;

	if (f->closing)
		return 0;
	f->flushing++;
	while (!f->closing && (w = work_pop(f))) {
		n += work_deliver(f, w);
		work_free(w);
	}
	if (--f->flushing == 0 && f->closing)
		fake_free(f);
	return n;
}

/* The running container `id`, or NULL with *err set. */
static struct fake_container *control_target(struct fake_runtime *f, const char *id, int *err)
{
	struct fake_container *c = f->closing ? NULL : fake_find(f, id);

	*err = f->closing ? -ECANCELED : -ENOENT;
	if (c && strcmp(c->status, "running") != 0) {
		*err = -EINVAL;
		c = NULL;
	}
	return c;
}

/* Returns 0, -ENOENT (no such container), -EINVAL (it does not run). */
int ecsfs_fake_runtime_exit(ecsfs_runtime *rt, const char *id, int code)
{
	struct fake_runtime *f = to_fake(rt);
	int err;
	struct fake_container *c = control_target(f, id, &err);

	if (!c)
		return err;
	container_exit(f, c, code);
	return 0;
}

/* Returns 0, -ENOENT, -EINVAL (it does not run, or an unknown status). A
 * change of status is a "health_status: <status>" event. */
int ecsfs_fake_runtime_set_health(ecsfs_runtime *rt, const char *id, const char *status)
{
	struct fake_runtime *f = to_fake(rt);
	int err;
	struct fake_container *c = control_target(f, id, &err);
	char action[64];

	if (!c)
		return err;
	if (!status || (strcmp(status, "healthy") && strcmp(status, "unhealthy") &&
			strcmp(status, "starting")))
		return -EINVAL;
	if (strcmp(c->health, status) == 0)
		return 0;
	snprintf(c->health, sizeof(c->health), "%s", status);
	snprintf(action, sizeof(action), "health_status: %s", status);
	queue_event(f, c, action, -1);
	return 0;
}

/* Returns 0 or -ENOENT. A running container dies (137) first. */
int ecsfs_fake_runtime_destroy(ecsfs_runtime *rt, const char *id)
{
	struct fake_runtime *f = to_fake(rt);
	struct fake_container *c = f->closing ? NULL : fake_find(f, id);

	if (!c)
		return f->closing ? -ECANCELED : -ENOENT;
	container_destroy(f, c);
	return 0;
}

const char *ecsfs_fake_runtime_find(ecsfs_runtime *rt, const char *task, const char *container)
{
	struct fake_container *c;
	const char *t, *n;

	if (!task || !container)
		return NULL;
	for (c = to_fake(rt)->containers; c; c = c->next) {
		t = label_of(c, ECSFS_LABEL_TASK);
		n = label_of(c, ECSFS_LABEL_CONTAINER);
		if (t && n && strcmp(t, task) == 0 && strcmp(n, container) == 0)
			return c->id;
	}
	return NULL;
}

json_t *ecsfs_fake_runtime_config(ecsfs_runtime *rt, const char *id)
{
	struct fake_container *c = fake_find(to_fake(rt), id);

	return c ? c->config : NULL;
}

size_t ecsfs_fake_runtime_count(ecsfs_runtime *rt, bool running_only)
{
	struct fake_container *c;
	size_t n = 0;

	for (c = to_fake(rt)->containers; c; c = c->next)
		if (!running_only || strcmp(c->status, "running") == 0)
			n++;
	return n;
}

/* Returns 0, -ENOENT, -EINVAL (it does not run, a bad stream or line). A
 * container keeps its last FAKE_LOG_LINES_MAX lines for later followers. */
int ecsfs_fake_runtime_output(ecsfs_runtime *rt, const char *id, int stream, const char *line)
{
	struct fake_runtime *f = to_fake(rt);
	struct ecsfs_runtime_logs *l;
	struct fake_line *ln, *grown;
	int err;
	struct fake_container *c = control_target(f, id, &err);

	if (!c)
		return err;
	if ((stream != 1 && stream != 2) || !line)
		return -EINVAL;
	if (c->nlines == FAKE_LOG_LINES_MAX) {
		free(c->lines[0].text);
		memmove(c->lines, c->lines + 1, (c->nlines - 1) * sizeof(*c->lines));
		c->nlines--;
	} else {
		grown = realloc(c->lines, (c->nlines + 1) * sizeof(*c->lines));
		if (!grown)
			return -ENOMEM;
		c->lines = grown;
	}
	ln = &c->lines[c->nlines];
	ln->text = strdup(line);
	if (!ln->text)
		return -ENOMEM;
	ln->stream = stream;
	ln->ts = fake_tick(f);
	c->nlines++;
	for (l = f->followers; l; l = l->next)
		if (strcmp(l->id, c->id) == 0)
			queue_line(f, l, ln);
	return 0;
}
