/*
 * Unit tests of the fake runtime: every call of the runtime boundary, every
 * test control, the order of what flush() hands out, and closing with work
 * pending. The fake needs no loop: flush() is the only place anything is
 * delivered.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/buf.h"
#include "ecsfs/runtime.h"
#include "fake/fake_runtime.h"
#include "tap.h"

#define TASK_ID "0123456789abcdef0123456789abcdef"

/* ---- recording what comes back ----------------------------------------- */

struct res {
	int calls;
	int err;
	json_t *result; /* a copy */
	char errmsg[512];
};

static void on_res(void *data, int err, json_t *result, const char *errmsg)
{
	struct res *r = data;

	r->calls++;
	r->err = err;
	json_decref(r->result);
	r->result = result ? json_deep_copy(result) : NULL;
	snprintf(r->errmsg, sizeof(r->errmsg), "%s", errmsg ? errmsg : "(null)");
}

static void res_reset(struct res *r)
{
	json_decref(r->result);
	memset(r, 0, sizeof(*r));
}

/* Events as "Action id-prefix exitCode" lines; NULL as "(open)". */
struct events {
	ecsfs_buf log;
	int opens;
	int n;
};

static void on_event(void *data, json_t *ev)
{
	struct events *e = data;
	json_t *attrs;
	const char *code;

	e->n++;
	if (!ev) {
		e->opens++;
		ecsfs_buf_adds(&e->log, "(open)\n");
		return;
	}
	attrs = json_object_get(json_object_get(ev, "Actor"), "Attributes");
	code = json_string_value(json_object_get(attrs, "exitCode"));
	ecsfs_buf_addf(&e->log, "%s %.8s%s%s\n", json_string_value(json_object_get(ev, "Action")),
		       json_string_value(json_object_get(json_object_get(ev, "Actor"), "ID")),
		       code ? " " : "", code ? code : "");
}

struct follow {
	ecsfs_buf lines; /* "1 text\n" per line */
	int n;
	int64_t last_ts;
	bool ts_increasing;
	bool ended;
	int end_err;
	int ends;
};

static void on_line(void *data, int stream, int64_t ts, const char *line, size_t len)
{
	struct follow *f = data;

	if (f->n && ts <= f->last_ts)
		f->ts_increasing = false;
	f->last_ts = ts;
	f->n++;
	ecsfs_buf_addf(&f->lines, "%d %.*s\n", stream, (int)len, line);
}

static void on_end(void *data, int err)
{
	struct follow *f = data;

	f->ended = true;
	f->end_err = err;
	f->ends++;
}

static void follow_init(struct follow *f)
{
	memset(f, 0, sizeof(*f));
	ecsfs_buf_init(&f->lines);
	f->ts_increasing = true;
}

static void set_flag(void *arg)
{
	*(bool *)arg = true;
}

static bool is_hex64(const char *s)
{
	size_t i;

	if (!s || strlen(s) != 64)
		return false;
	for (i = 0; i < 64; i++)
		if (!strchr("0123456789abcdef", s[i]))
			return false;
	return true;
}

/* Is `s` RFC3339Nano: "2026-11-21T19:50:27.123456789Z" (fraction optional)? */
static bool is_rfc3339(const char *s)
{
	size_t n;

	if (!s || strlen(s) < 20)
		return false;
	n = strlen(s);
	return s[4] == '-' && s[10] == 'T' && s[n - 1] == 'Z' && (n == 20 || s[19] == '.');
}

static json_t *config_of(const char *image, const char *container, bool managed)
{
	json_t *c =
	    json_pack("{s:s, s:[s, s, s], s:{s:s, s:s, s:s}, s:{}}", "Image", image, "Cmd", "sh",
		      "-c", "true", "Labels", ECSFS_LABEL_TASK, TASK_ID, ECSFS_LABEL_CONTAINER,
		      container, ECSFS_LABEL_CLUSTER, "default", "HostConfig");

	if (managed)
		json_object_set_new(json_object_get(c, "Labels"), ECSFS_LABEL_MANAGED,
				    json_string("1"));
	return c;
}

/* Create a container and flush; returns its id in *id (64 + 1 bytes). */
static int create_one(ecsfs_runtime *rt, const char *name, json_t *config, char *id)
{
	struct res r = {0};
	int err;

	err = rt->ops->create(rt, name, config, on_res, &r);
	if (err == 0) {
		ecsfs_fake_runtime_flush(rt);
		err = r.calls == 1 ? r.err : -EPROTO;
		if (err == 0)
			snprintf(id, 65, "%s", json_string_value(json_object_get(r.result, "Id")));
	}
	res_reset(&r);
	return err;
}

/* Run a one-container call and flush: its err; result kept in *r. */
#define CALL(r, op, ...)                                                       \
	(res_reset(r), rt->ops->op(rt, __VA_ARGS__, on_res, (r)) ||            \
			       (ecsfs_fake_runtime_flush(rt), (r)->calls != 1) \
			   ? -EPROTO                                           \
			   : (r)->err)

/* ---- the tests ---------------------------------------------------------- */

static void test_create(ecsfs_runtime *rt)
{
	json_t *cfg = config_of("busybox:1", "web", true);
	json_t *bad = json_pack("{s:i}", "Image", 3);
	struct res r = {0};
	char id[65] = "", id2[65];

	is_int(rt->ops->create(rt, "x", NULL, on_res, &r), -EINVAL, "create: a config is needed");
	is_int(rt->ops->create(rt, "x", bad, on_res, &r), -EINVAL, "create: Image is a string");
	is_int(rt->ops->create(rt, "x", cfg, NULL, NULL), -EINVAL, "create: a callback is needed");

	is_int(rt->ops->create(rt, "ecsfs-t-web", cfg, on_res, &r), 0, "create: started");
	is_int(r.calls, 0, "create: nothing before flush");
	is_int(ecsfs_fake_runtime_flush(rt), 1, "create: flush delivers one");
	is_int(r.calls, 1, "create: called back once");
	is_int(r.err, 0, "create: ok");
	ok(is_hex64(json_string_value(json_object_get(r.result, "Id"))), "create: a 64-hex Id");
	snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(r.result, "Id")));
	is_int(ecsfs_fake_runtime_flush(rt), 0, "create: nothing left");

	is_int(CALL(&r, create, "ecsfs-t-web", cfg), -EEXIST, "create: a taken name is -EEXIST");
	ok(strstr(r.errmsg, "is already in use by container") && strstr(r.errmsg, id),
	   "create: with the engine's message");
	printf("# %s\n", r.errmsg);
	is_int(CALL(&r, create, "bad name!", cfg), -EIO, "create: a bad name is refused");
	ok(strstr(r.errmsg, "Invalid container name") != NULL, "create: ... with its message");

	json_object_set_new(cfg, "Image", json_string("registry/missing-thing:2"));
	is_int(CALL(&r, create, "ecsfs-t-other", cfg), -ENOENT, "create: a missing image");
	is_str(r.errmsg, "No such image: registry/missing-thing:2", "create: ... says which");
	is_int(ecsfs_fake_runtime_count(rt, false), 1, "create: only one container made");

	json_object_set_new(cfg, "Image", json_string("busybox:1"));
	is_int(create_one(rt, NULL, cfg, id2), 0, "create: without a name");
	ok(strcmp(id, id2) != 0, "create: ids differ");
	is_int(CALL(&r, remove, id2), 0, "create: remove the nameless one");
	is_int(CALL(&r, remove, "ecsfs-t-web"), 0, "create: remove by name");
	is_int(ecsfs_fake_runtime_count(rt, false), 0, "create: none left");
	res_reset(&r);
	json_decref(cfg);
	json_decref(bad);
}

/* A started container, as inspect shows it. */
static void check_running(ecsfs_runtime *rt, const char *id, struct res *r)
{
	json_t *in, *state;
	const char *started;

	is_int(CALL(r, inspect, id), 0, "inspect by id");
	in = r->result;
	state = json_object_get(in, "State");
	is_str(json_string_value(json_object_get(state, "Status")), "running", "inspect: running");
	ok(json_is_true(json_object_get(state, "Running")), "inspect: Running");
	is_int(json_integer_value(json_object_get(state, "ExitCode")), 0, "inspect: ExitCode 0");
	started = json_string_value(json_object_get(state, "StartedAt"));
	ok(is_rfc3339(started) && strncmp(started, "0001", 4) != 0, "inspect: StartedAt %s",
	   started);
	is_str(json_string_value(json_object_get(json_object_get(state, "Health"), "Status")),
	       "starting", "inspect: health starting");
	is_str(
	    json_string_value(json_object_get(
		json_object_get(json_object_get(in, "Config"), "Labels"), ECSFS_LABEL_CONTAINER)),
	    "app", "inspect: Config.Labels");
	is_str(json_string_value(json_object_get(json_object_get(in, "Config"), "Image")),
	       "busybox:1", "inspect: Config.Image");
	ok(json_is_true(json_object_get(json_object_get(in, "Config"), "Tty")),
	   "inspect: Config.Tty");
	ok(json_is_object(json_object_get(in, "HostConfig")), "inspect: HostConfig");
	ok(json_object_get(json_object_get(in, "Config"), "HostConfig") == NULL,
	   "inspect: HostConfig is not inside Config");
	{
		json_t *ports = json_object_get(json_object_get(in, "NetworkSettings"), "Ports");
		const char *hp = json_string_value(json_object_get(
		    json_array_get(json_object_get(ports, "80/tcp"), 0), "HostPort"));

		ok(hp && atoi(hp) >= 32768, "inspect: a host port was picked (%s)",
		   hp ? hp : "none");
		ok(json_is_null(json_object_get(ports, "81/tcp")),
		   "inspect: an exposed port without binding is null");
	}
}

/* A stopped container, as inspect shows it. */
static void check_stopped(ecsfs_runtime *rt, const char *id, struct res *r)
{
	json_t *state;

	is_int(CALL(r, stop, id, 10), 0, "stop");
	is_int(CALL(r, stop, id, 10), 0, "stop: again is not an error");
	is_int(rt->ops->stop(rt, id, -1, on_res, r), -EINVAL, "stop: a negative timeout");
	is_int(ecsfs_fake_runtime_count(rt, true), 1, "count: one running");
	is_int(CALL(r, inspect, id), 0, "inspect after stop");
	state = json_object_get(r->result, "State");
	is_str(json_string_value(json_object_get(state, "Status")), "exited", "inspect: exited");
	is_int(json_integer_value(json_object_get(state, "ExitCode")), 143,
	       "inspect: ExitCode 143 (SIGTERM)");
	ok(is_rfc3339(json_string_value(json_object_get(state, "FinishedAt"))),
	   "inspect: FinishedAt");
	ok(json_object_size(
	       json_object_get(json_object_get(r->result, "NetworkSettings"), "Ports")) == 0,
	   "inspect: no ports once stopped");
	is_int(ecsfs_fake_runtime_set_health(rt, id, "healthy"), -EINVAL,
	       "set_health: not running");
}

static void test_lifecycle(ecsfs_runtime *rt)
{
	json_t *cfg = config_of("busybox:1", "app", true), *in, *state;
	json_t *plain = config_of("busybox:1", "plain", false);
	struct events ev = {ECSFS_BUF_INIT, 0, 0};
	struct res r = {0};
	char id[65] = "", pid[65] = "", want[512];

	json_object_set_new(cfg, "Healthcheck", json_pack("{s:[s,s]}", "Test", "CMD", "true"));
	json_object_set_new(cfg, "ExposedPorts", json_pack("{s:{}, s:{}}", "80/tcp", "81/tcp"));
	json_object_set_new(json_object_get(cfg, "HostConfig"), "PortBindings",
			    json_pack("{s:[{s:s}]}", "80/tcp", "HostPort", ""));
	json_object_set_new(cfg, "Tty", json_true());

	rt->ops->watch(rt, on_event, &ev);
	is_int(ev.n, 0, "watch: nothing before flush");
	is_int(ecsfs_fake_runtime_flush(rt), 1, "watch: flush delivers the open");
	is_str(ev.log.data, "(open)\n", "watch: cb(NULL) first");

	is_int(create_one(rt, "ecsfs-t-app", cfg, id), 0, "lifecycle: created");
	is_int(create_one(rt, "ecsfs-t-plain", plain, pid), 0, "lifecycle: unmanaged created");
	is_int(CALL(&r, inspect, "ecsfs-t-app"), 0, "inspect by name");
	in = r.result;
	is_str(json_string_value(json_object_get(in, "Id")), id, "inspect: Id");
	is_str(json_string_value(json_object_get(in, "Name")), "/ecsfs-t-app", "inspect: Name");
	state = json_object_get(in, "State");
	is_str(json_string_value(json_object_get(state, "Status")), "created",
	       "inspect: created at first");
	ok(json_is_false(json_object_get(state, "Running")), "inspect: not running");
	is_str(json_string_value(json_object_get(state, "StartedAt")), "0001-01-01T00:00:00Z",
	       "inspect: never started");
	ok(json_object_get(state, "Health") == NULL, "inspect: no health before start");

	is_int(CALL(&r, start_container, id), 0, "start");
	is_int(CALL(&r, start_container, id), 0, "start: again is not an error");
	is_int(CALL(&r, start_container, pid), 0, "start the unmanaged one");
	check_running(rt, id, &r);

	is_int(ecsfs_fake_runtime_set_health(rt, id, "healthy"), 0, "set_health");
	is_int(ecsfs_fake_runtime_set_health(rt, id, "healthy"), 0, "set_health: same again");
	is_int(ecsfs_fake_runtime_set_health(rt, id, "great"), -EINVAL,
	       "set_health: unknown status");
	is_int(ecsfs_fake_runtime_set_health(rt, "nosuch", "healthy"), -ENOENT,
	       "set_health: unknown container");
	is_int(ecsfs_fake_runtime_count(rt, false), 2, "count: two");
	is_int(ecsfs_fake_runtime_count(rt, true), 2, "count: two running");

	check_stopped(rt, id, &r);

	is_int(CALL(&r, start_container, id), 0, "start again");
	is_int(ecsfs_fake_runtime_exit(rt, id, 3), 0, "exit(3)");
	is_int(ecsfs_fake_runtime_exit(rt, id, 3), -EINVAL, "exit: not running");
	is_int(ecsfs_fake_runtime_exit(rt, "nosuch", 3), -ENOENT, "exit: unknown");
	is_int(CALL(&r, start_container, id), 0, "start once more");
	is_int(ecsfs_fake_runtime_destroy(rt, id), 0, "destroy while running");
	is_int(ecsfs_fake_runtime_destroy(rt, id), -ENOENT, "destroy: gone");
	is_int(CALL(&r, remove, pid), 0, "remove the unmanaged one, running");
	is_int(CALL(&r, remove, pid), -ENOENT, "remove: gone");
	ok(strstr(r.errmsg, "No such container") != NULL, "remove: message");
	is_int(CALL(&r, inspect, id), -ENOENT, "inspect: gone");
	is_int(CALL(&r, start_container, id), -ENOENT, "start: gone");
	is_int(CALL(&r, stop, id, 1), -ENOENT, "stop: gone");

	ecsfs_fake_runtime_flush(rt);
	snprintf(want, sizeof(want),
		 "(open)\ncreate %.8s\nstart %.8s\nhealth_status: healthy %.8s\n"
		 "die %.8s 143\nstop %.8s\nstart %.8s\ndie %.8s 3\nstart %.8s\n"
		 "die %.8s 137\ndestroy %.8s\n",
		 id, id, id, id, id, id, id, id, id, id);
	is_str(ev.log.data, want, "events: in order, only of the managed container");

	rt->ops->watch(rt, NULL, NULL);
	is_int(create_one(rt, "ecsfs-t-quiet", cfg, id), 0, "unwatched: create");
	is_int(ev.n, 11, "unwatched: no events");
	is_int(CALL(&r, remove, id), 0, "unwatched: remove");
	res_reset(&r);
	ecsfs_buf_release(&ev.log);
	json_decref(cfg);
	json_decref(plain);
}

static void test_list_find(ecsfs_runtime *rt)
{
	json_t *a = config_of("busybox:1", "a", true), *b = config_of("busybox:1", "b", true);
	struct res r = {0};
	char ida[65], idb[65];
	json_t *cfg;

	json_object_set_new(json_object_get(b, "Labels"), ECSFS_LABEL_TASK, json_string("other"));
	is_int(create_one(rt, "ecsfs-t-a", a, ida), 0, "list: a");
	is_int(create_one(rt, "ecsfs-t-b", b, idb), 0, "list: b");
	is_int(CALL(&r, start_container, ida), 0, "list: a runs");
	is_int(CALL(&r, list, ECSFS_LABEL_MANAGED), 0, "list by key");
	is_int(json_array_size(r.result), 2, "list: both");
	is_int(CALL(&r, list, ECSFS_LABEL_TASK "=" TASK_ID), 0, "list by key=value");
	is_int(json_array_size(r.result), 1, "list: one");
	is_str(json_string_value(json_object_get(json_array_get(r.result, 0), "Id")), ida,
	       "list: a");
	is_str(json_string_value(json_object_get(json_array_get(r.result, 0), "State")), "running",
	       "list: State");
	is_str(json_string_value(
		   json_array_get(json_object_get(json_array_get(r.result, 0), "Names"), 0)),
	       "/ecsfs-t-a", "list: Names");
	is_int(CALL(&r, list, "no.such.label"), 0, "list by an absent label");
	is_int(json_array_size(r.result), 0, "list: none");

	is_str(ecsfs_fake_runtime_find(rt, TASK_ID, "a"), ida, "find: a");
	is_str(ecsfs_fake_runtime_find(rt, "other", "b"), idb, "find: b");
	ok(ecsfs_fake_runtime_find(rt, TASK_ID, "b") == NULL, "find: no such pair");
	cfg = ecsfs_fake_runtime_config(rt, ida);
	ok(cfg && json_equal(cfg, a), "config: the create body");
	ok(ecsfs_fake_runtime_config(rt, "ecsfs-t-b") != NULL, "config: by name");
	ok(ecsfs_fake_runtime_config(rt, "nosuch") == NULL, "config: unknown");
	{
		char prefix[13];

		snprintf(prefix, sizeof(prefix), "%.12s", ida);
		is_int(CALL(&r, inspect, prefix), 0, "inspect by a 12-digit prefix");
	}
	is_int(CALL(&r, remove, ida), 0, "list: remove a");
	is_int(CALL(&r, remove, idb), 0, "list: remove b");
	res_reset(&r);
	json_decref(a);
	json_decref(b);
}

static void test_images(ecsfs_runtime *rt)
{
	struct res r = {0};
	static const char tar[512] = "not really a tar";

	is_int(CALL(&r, image_inspect, "busybox"), 0, "image_inspect: present");
	is_str(json_string_value(json_array_get(json_object_get(r.result, "RepoTags"), 0)),
	       "busybox:latest", "image_inspect: RepoTags");
	is_int(CALL(&r, image_inspect, "missing:1"), -ENOENT, "image_inspect: missing");
	is_int(CALL(&r, image_pull, "busybox:1.36"), 0, "image_pull: ok");
	is_int(CALL(&r, image_pull, "example.com:5000/team/missing-app:3"), -ENOENT,
	       "image_pull: missing");
	is_str(r.errmsg,
	       "pull access denied for example.com:5000/team/missing-app, repository does not "
	       "exist or may require 'docker login': denied: requested access to the resource "
	       "is denied",
	       "image_pull: the engine's message");
	is_int(rt->ops->image_pull(rt, "", on_res, &r), -EINVAL, "image_pull: empty ref");

	res_reset(&r);
	is_int(rt->ops->image_import(rt, "ecsfs-pause:t", tar, sizeof(tar), "[\"/pause\"]", on_res,
				     &r),
	       0, "image_import: started");
	ecsfs_fake_runtime_flush(rt);
	is_int(r.err, 0, "image_import: ok");
	ok(strncmp(json_string_value(json_object_get(r.result, "status")), "sha256:", 7) == 0,
	   "image_import: status is the image id");
	is_int(CALL(&r, image_inspect, "ecsfs-pause:t"), 0, "image_import: inspect");
	is_str(json_string_value(
		   json_array_get(json_object_get(json_object_get(r.result, "Config"), "Cmd"), 0)),
	       "/pause", "image_import: the command");
	is_int(rt->ops->image_import(rt, "x@sha256:ab", tar, sizeof(tar), NULL, on_res, &r),
	       -EINVAL, "image_import: no digest");
	is_int(rt->ops->image_import(rt, "x:1", tar, sizeof(tar), "not json", on_res, &r), -EINVAL,
	       "image_import: a bad command");
	is_int(rt->ops->image_import(rt, "x:1", NULL, 0, NULL, on_res, &r), -EINVAL,
	       "image_import: no tar");
	res_reset(&r);
}

static void test_volumes(ecsfs_runtime *rt)
{
	json_t *body = json_pack("{s:s, s:{s:s}}", "Name", "ecsfs-t-vol", "Labels", "k", "v");
	json_t *cfg = config_of("busybox:1", "v", true);
	struct res r = {0};
	char id[65];

	is_int(CALL(&r, volume_create, body), 0, "volume_create");
	is_str(json_string_value(json_object_get(r.result, "Name")), "ecsfs-t-vol",
	       "volume_create: Name");
	is_str(json_string_value(json_object_get(json_object_get(r.result, "Labels"), "k")), "v",
	       "volume_create: Labels");
	is_int(CALL(&r, volume_create, body), 0, "volume_create: again is not an error");
	is_int(CALL(&r, volume_remove, "nosuch"), -ENOENT, "volume_remove: absent");
	json_object_set_new(json_object_get(cfg, "HostConfig"), "Mounts",
			    json_pack("[{s:s, s:s, s:s}]", "Type", "volume", "Source",
				      "ecsfs-t-vol", "Target", "/data"));
	is_int(create_one(rt, "ecsfs-t-v", cfg, id), 0, "volume: a container mounts it");
	is_int(CALL(&r, volume_remove, "ecsfs-t-vol"), -EBUSY, "volume_remove: in use");
	is_int(CALL(&r, remove, id), 0, "volume: remove the container");
	is_int(CALL(&r, volume_remove, "ecsfs-t-vol"), 0, "volume_remove");
	is_int(CALL(&r, volume_remove, "ecsfs-t-vol"), -ENOENT, "volume_remove: gone");
	is_int(rt->ops->volume_create(rt, NULL, on_res, &r), -EINVAL, "volume_create: no body");
	res_reset(&r);
	json_decref(body);
	json_decref(cfg);
}

/* An end already queued turns into -ECANCELED when canceled. */
static void logs_cancel_queued(ecsfs_runtime *rt, const char *id)
{
	struct follow e;
	struct res r = {0};
	ecsfs_runtime_logs *la;

	follow_init(&e);
	is_int(CALL(&r, start_container, id), 0, "logs: start again");
	la = rt->ops->logs(rt, id, INT64_MAX, on_line, on_end, &e);
	is_int(ecsfs_fake_runtime_exit(rt, id, 0), 0, "logs: exit queues the end");
	rt->ops->logs_cancel(la);
	ecsfs_fake_runtime_flush(rt);
	ok(e.ended && e.end_err == -ECANCELED && e.ends == 1,
	   "logs: canceled before its end was delivered: -ECANCELED, once");
	res_reset(&r);
	ecsfs_buf_release(&e.lines);
}

static void test_logs(ecsfs_runtime *rt)
{
	json_t *cfg = config_of("busybox:1", "log", true);
	struct follow a, b, c, d, e;
	ecsfs_runtime_logs *la, *lb, *lc, *ld;
	struct res r = {0};
	char id[65];
	int64_t mid;

	follow_init(&a);
	follow_init(&b);
	follow_init(&c);
	follow_init(&d);
	follow_init(&e);
	is_int(create_one(rt, "ecsfs-t-log", cfg, id), 0, "logs: created");
	is_int(ecsfs_fake_runtime_output(rt, id, 1, "early"), -EINVAL, "output: not running");
	is_int(CALL(&r, start_container, id), 0, "logs: started");
	is_int(ecsfs_fake_runtime_output(rt, id, 1, "one"), 0, "output: one");
	is_int(ecsfs_fake_runtime_output(rt, id, 2, "two"), 0, "output: two");
	is_int(ecsfs_fake_runtime_output(rt, id, 3, "x"), -EINVAL, "output: bad stream");
	is_int(ecsfs_fake_runtime_output(rt, "nosuch", 1, "x"), -ENOENT, "output: unknown");

	ok(rt->ops->logs(rt, NULL, 0, on_line, on_end, &a) == NULL, "logs: an id is needed");
	la = rt->ops->logs(rt, id, 0, on_line, on_end, &a);
	ok(la != NULL, "logs: following from the start");
	is_int(a.n, 0, "logs: nothing before flush");
	ecsfs_fake_runtime_flush(rt);
	is_str(a.lines.data, "1 one\n2 two\n", "logs: the history, with streams");
	mid = a.last_ts + 1;
	is_int(ecsfs_fake_runtime_output(rt, id, 1, "three"), 0, "output: three");
	lb = rt->ops->logs(rt, id, mid, on_line, on_end, &b);
	ok(lb != NULL, "logs: following from a time");
	lc = rt->ops->logs(rt, id, 0, on_line, on_end, &c);
	is_int(ecsfs_fake_runtime_output(rt, id, 2, "four"), 0, "output: four");
	ecsfs_fake_runtime_flush(rt);
	is_str(a.lines.data, "1 one\n2 two\n1 three\n2 four\n", "logs: new lines follow");
	ok(a.ts_increasing, "logs: timestamps increase");
	is_str(b.lines.data, "1 three\n2 four\n", "logs: since skips older lines");

	rt->ops->logs_cancel(lc);
	rt->ops->logs_cancel(lc);
	ok(!c.ended, "logs_cancel: end does not come at once");
	is_int(ecsfs_fake_runtime_output(rt, id, 1, "five"), 0, "output: five");
	ecsfs_fake_runtime_flush(rt);
	ok(c.ended && c.end_err == -ECANCELED, "logs_cancel: end(-ECANCELED) at flush");
	is_int(c.ends, 1, "logs_cancel: end once");
	ok(strstr(c.lines.data, "five") == NULL, "logs_cancel: no line after it");

	is_int(CALL(&r, stop, id, 5), 0, "logs: stop");
	ok(a.ended && a.end_err == 0 && b.ended && b.end_err == 0,
	   "logs: followers end(0) when the container stops");
	is_int(a.ends, 1, "logs: end once");

	ld = rt->ops->logs(rt, id, 0, on_line, on_end, &d);
	ecsfs_fake_runtime_flush(rt);
	is_str(d.lines.data, "1 one\n2 two\n1 three\n2 four\n1 five\n",
	       "logs: a stopped container's lines, then the end");
	ok(d.ended && d.end_err == 0, "logs: ... end(0)");
	ok(ld != NULL, "logs: had a handle");
	ok(rt->ops->logs(rt, "nosuch", 0, on_line, on_end, &e) != NULL,
	   "logs: an unknown container has a handle");
	ecsfs_fake_runtime_flush(rt);
	ok(e.ended && e.end_err == 0 && e.n == 0, "logs: ... that ends at once with 0");

	ecsfs_buf_release(&e.lines);
	logs_cancel_queued(rt, id);
	is_int(CALL(&r, remove, id), 0, "logs: remove");
	(void)lb;
	res_reset(&r);
	ecsfs_buf_release(&a.lines);
	ecsfs_buf_release(&b.lines);
	ecsfs_buf_release(&c.lines);
	ecsfs_buf_release(&d.lines);
	json_decref(cfg);
}

/* A callback that makes another call: flush goes on until nothing is left. */
struct chain {
	ecsfs_runtime *rt;
	struct res inner;
	int depth;
};

static void on_chain(void *data, int err, json_t *result, const char *errmsg)
{
	struct chain *c = data;

	if (++c->depth < 3)
		c->rt->ops->list(c->rt, NULL, on_chain, c);
	else
		c->rt->ops->image_inspect(c->rt, "busybox", on_res, &c->inner);
}

static void test_flush_chain(ecsfs_runtime *rt)
{
	struct chain c = {.rt = rt};

	is_int(rt->ops->list(rt, NULL, on_chain, &c), 0, "chain: started");
	is_int(ecsfs_fake_runtime_flush(rt), 4, "chain: flush delivers what callbacks start");
	is_int(c.inner.calls, 1, "chain: the last one too");
	res_reset(&c.inner);
}

static void test_unreachable(ecsfs_runtime *rt)
{
	json_t *cfg = config_of("busybox:1", "u", true);
	struct events ev = {ECSFS_BUF_INIT, 0, 0};
	struct follow f;
	struct res r = {0};
	char id[65];

	follow_init(&f);
	rt->ops->watch(rt, on_event, &ev);
	is_int(create_one(rt, "ecsfs-t-u", cfg, id), 0, "unreachable: a container");
	is_int(CALL(&r, start_container, id), 0, "unreachable: started");
	ok(rt->ops->logs(rt, id, 0, on_line, on_end, &f) != NULL, "unreachable: followed");
	ecsfs_fake_runtime_flush(rt);
	is_int(ev.opens, 1, "unreachable: watching");

	ecsfs_fake_runtime_set_reachable(rt, false, "engine on holiday");
	is_int(CALL(&r, inspect, id), -ECONNREFUSED, "unreachable: calls are refused");
	ok(strstr(r.errmsg, "engine on holiday") != NULL, "unreachable: message says why");
	is_int(CALL(&r, list, NULL), -ECONNREFUSED, "unreachable: list too");
	ok(f.ended && f.end_err == -EIO, "unreachable: followers end with -EIO");
	is_int(ecsfs_fake_runtime_exit(rt, id, 1), 0, "unreachable: a container dies unseen");
	ecsfs_fake_runtime_flush(rt);
	is_int(ev.n, 3, "unreachable: no events while away");

	ecsfs_fake_runtime_set_reachable(rt, true, NULL);
	ecsfs_fake_runtime_flush(rt);
	is_int(ev.opens, 2, "unreachable: back: the stream reopens with cb(NULL)");
	is_int(CALL(&r, remove, id), 0, "unreachable: back: remove");
	rt->ops->watch(rt, NULL, NULL);
	ecsfs_fake_runtime_flush(rt);
	res_reset(&r);
	ecsfs_buf_release(&ev.log);
	ecsfs_buf_release(&f.lines);
	json_decref(cfg);
}

static void test_close_pending(void)
{
	ecsfs_runtime *rt = ecsfs_fake_runtime_new();
	json_t *cfg = config_of("busybox:1", "c", true);
	struct events ev = {ECSFS_BUF_INIT, 0, 0};
	struct res a = {0}, b = {0};
	struct follow f, g;
	bool closed = false;
	char id[65];

	follow_init(&f);
	follow_init(&g);
	rt->ops->watch(rt, on_event, &ev);
	is_int(create_one(rt, "ecsfs-t-c", cfg, id), 0, "close: a container");
	is_int(rt->ops->start_container(rt, id, on_res, &a), 0, "close: start pending");
	is_int(rt->ops->inspect(rt, id, on_res, &b), 0, "close: inspect pending");
	ok(rt->ops->logs(rt, id, 0, on_line, on_end, &f) != NULL, "close: a follower");
	ok(rt->ops->logs(rt, "nosuch", 0, on_line, on_end, &g) != NULL,
	   "close: a follower whose end is queued");
	ecsfs_runtime_close(rt, set_flag, &closed);
	ok(closed, "close: done at once");
	ok(a.calls == 1 && a.err == -ECANCELED, "close: pending start gets -ECANCELED");
	ok(b.calls == 1 && b.err == -ECANCELED && !b.result, "close: pending inspect too");
	ok(f.ends == 1 && f.end_err == -ECANCELED, "close: followers end(-ECANCELED)");
	ok(g.ends == 1 && g.end_err == -ECANCELED, "close: queued ends too");
	is_int(ev.n, 2, "close: pending events are dropped");
	res_reset(&a);
	res_reset(&b);
	ecsfs_buf_release(&ev.log);
	ecsfs_buf_release(&f.lines);
	ecsfs_buf_release(&g.lines);
	json_decref(cfg);
}

/* Closing from a callback that flush() is delivering. */
struct closer {
	ecsfs_runtime *rt;
	bool closed;
	struct res later;
	int refused;
};

static void on_close_inside(void *data, int err, json_t *result, const char *errmsg)
{
	struct closer *c = data;

	ecsfs_runtime_close(c->rt, set_flag, &c->closed);
	c->refused = c->rt->ops->list(c->rt, NULL, on_res, &c->later);
}

static void test_close_in_flush(void)
{
	ecsfs_runtime *rt = ecsfs_fake_runtime_new();
	struct closer c = {.rt = rt};
	struct res after = {0};

	is_int(rt->ops->list(rt, NULL, on_close_inside, &c), 0, "close in flush: list");
	is_int(rt->ops->list(rt, NULL, on_res, &after), 0, "close in flush: another");
	ecsfs_fake_runtime_flush(rt);
	ok(c.closed, "close in flush: done once flush unwinds");
	is_int(c.refused, -ECANCELED, "close in flush: no call once closing");
	ok(after.calls == 1 && after.err == -ECANCELED, "close in flush: the next gets -ECANCELED");
	res_reset(&after);
}

int main(void)
{
	ecsfs_runtime *rt = ecsfs_fake_runtime_new();
	ecsfs_runtime_info in;
	bool closed = false;

	ok(rt != NULL, "new");
	if (!rt)
		return tap_done();
	is_int(ecsfs_runtime_start(rt), 0, "start");
	ecsfs_runtime_get_info(rt, &in);
	ok(in.reachable, "reachable");
	is_str(in.name, "fake", "name");

	test_create(rt);
	test_lifecycle(rt);
	test_list_find(rt);
	test_images(rt);
	test_volumes(rt);
	test_logs(rt);
	test_flush_chain(rt);
	test_unreachable(rt);
	is_int(ecsfs_fake_runtime_count(rt, false), 0, "no container left");
	is_int(ecsfs_fake_runtime_flush(rt), 0, "nothing left to deliver");
	ecsfs_runtime_close(rt, set_flag, &closed);
	ok(closed, "close");

	test_close_pending();
	test_close_in_flush();
	return tap_done();
}
