/*
 * ecsfs — the reconciler: makes each task's containers in the engine what
 * the task's state says they should be.
 *
 * It is level-triggered. ecsfs__reconcile() looks at one task as it is
 * now and issues the next idempotent calls (create, start, stop, remove);
 * when they have all answered it looks again. Engine events and the
 * answers of inspect only update what the task knows of its containers,
 * then ask for another look. When the event stream (re)opens, every managed
 * container of this state directory is listed and inspected, so nothing
 * missed while the daemon or the engine was away stays unseen.
 *
 * Every call in flight is an `op` on the subsystem's list. Freeing the
 * subsystem detaches them; their callbacks then only free themselves.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "ecsfs/launch.h"
#include "ecsfs/util.h"
#include "model/task_private.h"

#define RETRY_NS       (2 * 1000000000ll)  /* after an engine error, look again this much later */
#define DRAIN_NS       (10 * 1000000000ll) /* longest wait for a stopped container's output */
#define INSTANCE_LABEL "ecsfs.instance"

enum pause_image_state { PI_UNKNOWN, PI_BUSY, PI_READY, PI_FAILED };

struct op {
	struct op *prev, *next;
	ecsfs_tasks *t; /* NULL once detached */
	struct task *k; /* NULL for the subsystem's own calls */
	struct ctr *c;	/* NULL when the call is about the task or the pause */
	bool pause;	/* the call is about the pause container */
	char *arg;	/* what the call needs next (an image, a name) */
	ecsfs_runtime_logs *logs;
	bool counted;	/* holds the task's next step back (all but log followers) */
	bool replaying; /* a log follower resumed from log_ts, not yet past it */
};

static ecsfs_runtime_ops const *ops(ecsfs_tasks *t)
{
	return t->rt->ops;
}

static struct op *op_new(ecsfs_tasks *t, struct task *k, struct ctr *c)
{
	struct op *o = calloc(1, sizeof(*o));
	if (!o)
		abort();
	o->t = t;
	o->k = k;
	o->c = c;
	o->next = t->ops;
	if (t->ops)
		t->ops->prev = o;
	t->ops = o;
	if (k) {
		k->inflight++;
		o->counted = true;
	}
	return o;
}

static void op_unlink(struct op *o)
{
	if (!o->t)
		return;
	if (o->prev)
		o->prev->next = o->next;
	else
		o->t->ops = o->next;
	if (o->next)
		o->next->prev = o->prev;
	o->prev = o->next = NULL;
}

/* The call is over: free it, and look at its task again once nothing of
 * the task is in flight. */
static void op_done(struct op *o)
{
	struct task *k = o->k;

	op_unlink(o);
	if (o->t && k) {
		if (o->counted)
			k->inflight--;
		if (k->inflight == 0)
			ecsfs__reconcile(k);
	}
	free(o->arg);
	free(o);
}

/* A call that could not even start: undo op_new, remember to retry. */
static void op_failed_to_start(struct op *o)
{
	if (o->k && o->t)
		o->k->retry_at = ecsfs_now_ns() + RETRY_NS;
	op_done(o);
}

void ecsfs__reconciler_detach(ecsfs_tasks *t)
{
	struct op *o = t->ops;

	while (o) {
		struct op *next = o->next;
		if (o->logs)
			ops(t)->logs_cancel(o->logs);
		o->t = NULL;
		o->k = NULL;
		o->c = NULL;
		o->prev = o->next = NULL;
		o = next;
	}
	t->ops = NULL;
}

static bool engine_up(ecsfs_tasks *t)
{
	ecsfs_runtime_info info;
	ecsfs_runtime_get_info(t->rt, &info);
	return info.reachable;
}

static void set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = s ? strdup(s) : NULL;
	if (s && !*dst)
		abort();
}

/* Persist, and tell the fs layer. */
static void task_saved(struct task *k)
{
	/* a store fault leaves the memory state ahead of the disk; the next
	 * change writes it all again */
	ecsfs__task_persist(k);
	ecsfs__task_changed(k);
}

/* The task cannot go on: it will stop with this code and reason. */
static void task_fail(struct task *k, const char *code, const char *reason)
{
	if (!k->desired_running)
		return;
	k->desired_running = false;
	set_str(&k->stop_code, code);
	set_str(&k->stopped_reason, reason);
	task_saved(k);
}

/* An engine call failed: a fault of the engine's reachability is retried
 * later; anything else ends the task with `prefix: message`. */
static void call_failed(struct task *k, int err, const char *prefix, const char *errmsg)
{
	ecsfs_buf reason = ECSFS_BUF_INIT;

	if (err == -ECANCELED || !engine_up(k->owner) || err == -ETIMEDOUT ||
	    err == -ECONNREFUSED) {
		k->retry_at = ecsfs_now_ns() + RETRY_NS;
		return;
	}
	ecsfs_buf_addf(&reason, "%s: %s", prefix, errmsg && *errmsg ? errmsg : strerror(-err));
	task_fail(k, "TaskFailedToStart", reason.data);
	ecsfs_buf_release(&reason);
}

/* ---- what the engine shows ---- */

/* RFC 3339 time as Docker writes it ("0001-01-01T00:00:00Z" when unset). */
static int64_t parse_time(const char *s)
{
	struct tm tm = {0};
	const char *p;
	int64_t ns = 0, scale = 100000000;

	if (!s || !(p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) || tm.tm_year < 70)
		return 0;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			ns += (*p - '0') * scale;
	return (int64_t)timegm(&tm) * 1000000000ll + ns;
}

static const char *state_field(json_t *inspect, const char *key)
{
	return json_string_value(json_object_get(json_object_get(inspect, "State"), key));
}

/* Port bindings the engine chose, keyed "80/tcp". */
static json_t *read_bindings(json_t *inspect)
{
	json_t *ports = json_object_get(json_object_get(inspect, "NetworkSettings"), "Ports");
	json_t *out = json_object(), *list;
	const char *key;

	json_object_foreach(ports, key, list) {
		size_t i;
		json_t *b;

		json_array_foreach(list, i, b) {
			const char *ip = json_string_value(json_object_get(b, "HostIp"));
			const char *port = json_string_value(json_object_get(b, "HostPort"));
			if (!port || (ip && strchr(ip, ':')))
				continue; /* the IPv4 binding stands for both */
			json_object_set_new(out, key,
					    json_pack("{s:s,s:I}", "hostIp",
						      ip && *ip ? ip : "0.0.0.0", "hostPort",
						      (json_int_t)atoll(port)));
			break;
		}
	}
	return out;
}

static void observe_pause(struct task *k, json_t *inspect)
{
	bool running = json_is_true(json_object_get(json_object_get(inspect, "State"), "Running"));

	if (running && !k->pause_running) {
		k->pause_running = true;
		json_decref(k->bindings);
		k->bindings = read_bindings(inspect);
		task_saved(k);
	} else if (!running && k->pause_running) {
		k->pause_running = false;
		task_saved(k);
		task_fail(k, "EssentialContainerExited",
			  "The task's network namespace (its pause container) stopped");
	}
}

static void observe_gone(struct task *k, struct ctr *c)
{
	if (!c) {
		if (!k->pause_id)
			return;
		set_str(&k->pause_id, NULL);
		k->pause_running = false;
		task_saved(k);
		if (k->last < T_STOPPING)
			task_fail(k, "EssentialContainerExited",
				  "The task's network namespace (its pause container) was removed "
				  "from the engine");
		return;
	}
	if (c->gone)
		return;
	c->gone = true;
	c->logs_done = true;
	if (c->state != C_STOPPED) {
		c->state = C_STOPPED;
		if (k->last < T_STOPPING || k->desired_running)
			set_str(&c->reason,
				"The container was removed from the engine outside ecsfs");
	}
	task_saved(k);
}

static void observe(struct task *k, struct ctr *c, json_t *inspect)
{
	const char *status = state_field(inspect, "Status");
	const char *health = json_string_value(json_object_get(
	    json_object_get(json_object_get(inspect, "State"), "Health"), "Status"));
	bool changed = false;

	if (!c) {
		observe_pause(k, inspect);
		return;
	}
	if (!status)
		return;
	if (strcmp(status, "created") == 0) {
		if (c->state < C_CREATED) {
			c->state = C_CREATED;
			changed = true;
		}
	} else if (strcmp(status, "running") == 0 || strcmp(status, "paused") == 0 ||
		   strcmp(status, "restarting") == 0) {
		if (c->state != C_RUNNING) {
			c->state = C_RUNNING;
			c->started_ns = parse_time(state_field(inspect, "StartedAt"));
			if (!c->started_ns)
				c->started_ns = ecsfs_now_ns();
			changed = true;
		}
	} else if (strcmp(status, "exited") == 0 || strcmp(status, "dead") == 0) {
		json_t *st = json_object_get(inspect, "State");
		const char *error = json_string_value(json_object_get(st, "Error"));
		bool started = parse_time(state_field(inspect, "StartedAt")) != 0;

		if (c->state != C_STOPPED) {
			c->state = C_STOPPED;
			if (started) {
				c->has_exit = true;
				c->exit_code =
				    (int)json_integer_value(json_object_get(st, "ExitCode"));
			}
			if (!c->started_ns)
				c->started_ns = parse_time(state_field(inspect, "StartedAt"));
			c->finished_ns = parse_time(state_field(inspect, "FinishedAt"));
			if (json_is_true(json_object_get(st, "OOMKilled")))
				set_str(&c->reason,
					"OutOfMemoryError: Container killed due to memory usage");
			else if (error && *error)
				set_str(&c->reason, error);
			changed = true;
		}
	}
	if (health) {
		const char *h = strcmp(health, "healthy") == 0	   ? "HEALTHY"
				: strcmp(health, "unhealthy") == 0 ? "UNHEALTHY"
								   : "UNKNOWN";
		if (strcmp(c->health, h) != 0) {
			snprintf(c->health, sizeof(c->health), "%s", h);
			changed = true;
		}
	}
	if (changed)
		task_saved(k);
}

static void on_inspect(void *data, int err, json_t *result, const char *errmsg)
{
	struct op *o = data;

	if (o->t && o->k) {
		if (err == 0)
			observe(o->k, o->pause ? NULL : o->c, result);
		else if (err == -ENOENT)
			observe_gone(o->k, o->pause ? NULL : o->c);
	}
	op_done(o);
}

static void inspect(struct task *k, struct ctr *c, const char *id)
{
	struct op *o = op_new(k->owner, k, c);

	o->pause = c == NULL;
	if (ops(k->owner)->inspect(k->owner->rt, id, on_inspect, o) < 0)
		op_failed_to_start(o);
}

/* ---- log capture ---- */

static int open_file(struct task *k, const char *container, const char *ext, int flags)
{
	ecsfs_buf path = ECSFS_BUF_INIT;
	int fd;

	ecsfs_buf_addf(&path, "%s/%s", k->owner->log_dir, k->id);
	if (mkdir(path.data, 0700) < 0 && errno != EEXIST) {
		ecsfs_buf_release(&path);
		return -1;
	}
	ecsfs_buf_addf(&path, "/%s.%s", container, ext);
	fd = open(path.data, flags | O_CLOEXEC, 0600);
	ecsfs_buf_release(&path);
	return fd;
}

static int open_log(struct task *k, const char *container)
{
	return open_file(k, container, "log", O_WRONLY | O_CREAT | O_APPEND);
}

/*
 * Where capture stands is kept beside the log, written with every line:
 * the state document is not written that often, and after a kill -9 the
 * next follower must start exactly past the last line on disk.
 */
static void save_pos(struct ctr *c)
{
	if (c->pos_fd < 0)
		c->pos_fd = open_file(c->task, c->name, "pos", O_RDWR | O_CREAT);
	if (c->pos_fd >= 0 && pwrite(c->pos_fd, &c->log_ts, sizeof(c->log_ts), 0) < 0) {
		/* a full disk: the next follower may repeat some lines */
	}
}

static int64_t load_pos(struct ctr *c)
{
	int64_t ts = 0;
	int fd = open_file(c->task, c->name, "pos", O_RDONLY);
	if (fd >= 0) {
		if (pread(fd, &ts, sizeof(ts), 0) != (ssize_t)sizeof(ts))
			ts = 0;
		close(fd);
	}
	return ts;
}

static void on_log_line(void *data, int stream, int64_t ts_ns, const char *line, size_t len)
{
	struct op *o = data;
	struct ctr *c = o->c;
	struct task *k = o->k;
	struct iovec iov[4];
	static const char nl = '\n', bar[] = " | ";

	if (!o->t || !c)
		return;
	/* after a restart the engine repeats what came before its `since`;
	 * pieces of one long line share a timestamp, so only the replay is
	 * compared */
	if (o->replaying) {
		if (ts_ns && ts_ns <= c->log_ts)
			return;
		o->replaying = false;
	}
	if (ts_ns)
		c->log_ts = ts_ns;
	if (c->log_bytes + len + 1 > ECSFS_TASK_LOG_MAX)
		return;
	if (c->log_fd < 0)
		c->log_fd = open_log(k, c->name);
	if (k->task_log_fd < 0)
		k->task_log_fd = open_log(k, "~task");
	iov[0].iov_base = (void *)line;
	iov[0].iov_len = len;
	iov[1].iov_base = (void *)&nl;
	iov[1].iov_len = 1;
	if (c->log_fd >= 0 && writev(c->log_fd, iov, 2) == (ssize_t)(len + 1))
		c->log_bytes += len + 1;
	if (ts_ns)
		save_pos(c);
	iov[0].iov_base = c->name;
	iov[0].iov_len = strlen(c->name);
	iov[1].iov_base = (void *)bar;
	iov[1].iov_len = 3;
	iov[2].iov_base = (void *)line;
	iov[2].iov_len = len;
	iov[3].iov_base = (void *)&nl;
	iov[3].iov_len = 1;
	if (k->task_log_fd >= 0 && writev(k->task_log_fd, iov, 4) < 0) {
		/* a full disk loses merged lines; the container's own file has them */
	}
}

static void on_log_end(void *data, int err)
{
	struct op *o = data;
	struct ctr *c = o->c;

	if (o->t && c) {
		c->follow = NULL;
		o->logs = NULL;
		if (err == 0 || err == -ENOENT)
			c->logs_done = true;
		else if (err != -ECANCELED)
			o->k->retry_at = ecsfs_now_ns() + RETRY_NS;
		ecsfs__task_persist(o->k); /* keeps log_ts for the next follower */
	}
	op_done(o);
}

/* Follow the output of every container that has some to give. */
static void ensure_logs(struct task *k)
{
	for (size_t i = 0; i < k->nc; i++) {
		struct ctr *c = &k->c[i];
		struct op *o;

		if (!c->runtime_id || c->gone || c->follow || c->logs_done ||
		    (c->state != C_RUNNING && c->state != C_STOPPED))
			continue;
		o = op_new(k->owner, k, c);
		/* a follower does not hold the task's next step back */
		k->inflight--;
		o->counted = false;
		int64_t pos = load_pos(c);
		struct stat st;
		if (pos > c->log_ts)
			c->log_ts = pos;
		if (c->log_fd < 0)
			c->log_fd = open_log(k, c->name);
		if (c->log_fd >= 0 && fstat(c->log_fd, &st) == 0)
			c->log_bytes = (uint64_t)st.st_size;
		o->replaying = c->log_ts != 0;
		o->logs = ops(k->owner)->logs(k->owner->rt, c->runtime_id, c->log_ts, on_log_line,
					      on_log_end, o);
		if (!o->logs) {
			k->retry_at = ecsfs_now_ns() + RETRY_NS;
			op_unlink(o);
			free(o);
			continue;
		}
		c->follow = o->logs;
	}
}

void ecsfs__task_close_logs(struct task *k)
{
	for (size_t i = 0; i < k->nc; i++) {
		if (k->c[i].log_fd >= 0)
			close(k->c[i].log_fd);
		if (k->c[i].pos_fd >= 0)
			close(k->c[i].pos_fd);
		k->c[i].log_fd = -1;
		k->c[i].pos_fd = -1;
	}
	if (k->task_log_fd >= 0)
		close(k->task_log_fd);
	k->task_log_fd = -1;
}

/* ---- the pause image, made once per engine from our own binary ---- */

static void kick_all(ecsfs_tasks *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i]->last != T_STOPPED)
			ecsfs__reconcile(t->v[i]);
}

static void on_pause_imported(void *data, int err, json_t *result, const char *errmsg)
{
	struct op *o = data;
	ecsfs_tasks *t = o->t;

	if (t) {
		if (err == 0) {
			t->pause_image = PI_READY;
		} else {
			t->pause_image =
			    err == -ECANCELED || !engine_up(t) ? PI_UNKNOWN : PI_FAILED;
			snprintf(t->pause_error, sizeof(t->pause_error), "%s", errmsg);
		}
	}
	op_done(o);
	if (t)
		kick_all(t);
}

static int read_file(const char *path, ecsfs_buf *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char buf[65536];
	ssize_t n;

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		ecsfs_buf_add(out, buf, (size_t)n);
	close(fd);
	return n < 0 ? -EIO : 0;
}

static void import_pause(ecsfs_tasks *t, struct op *o)
{
	ecsfs_buf bin = ECSFS_BUF_INIT, tar = ECSFS_BUF_INIT;
	int r = t->pause_path ? read_file(t->pause_path, &bin) : -ENOENT;

	if (r < 0) {
		t->pause_image = PI_FAILED;
		snprintf(t->pause_error, sizeof(t->pause_error),
			 "cannot read the pause binary %s: %s",
			 t->pause_path ? t->pause_path : "(none)", strerror(-r));
		op_done(o);
		kick_all(t);
		goto out;
	}
	ecsfs_tar_one_file("pause", bin.data, bin.len, 0755, &tar);
	if (ops(t)->image_import(t->rt, ECSFS_PAUSE_IMAGE, tar.data, tar.len, "[\"/pause\"]",
				 on_pause_imported, o) < 0) {
		t->pause_image = PI_UNKNOWN;
		op_done(o);
	}
out:
	ecsfs_buf_release(&bin);
	ecsfs_buf_release(&tar);
}

static void on_pause_inspected(void *data, int err, json_t *result, const char *errmsg)
{
	struct op *o = data;
	ecsfs_tasks *t = o->t;

	if (!t) {
		op_done(o);
		return;
	}
	if (err == -ENOENT) {
		import_pause(t, o);
		return;
	}
	t->pause_image = err == 0 ? PI_READY : PI_UNKNOWN;
	op_done(o);
	kick_all(t);
}

static void ensure_pause_image(ecsfs_tasks *t)
{
	struct op *o;

	if (t->pause_image != PI_UNKNOWN)
		return;
	t->pause_image = PI_BUSY;
	o = op_new(t, NULL, NULL);
	if (ops(t)->image_inspect(t->rt, ECSFS_PAUSE_IMAGE, on_pause_inspected, o) < 0) {
		t->pause_image = PI_UNKNOWN;
		op_done(o);
	}
}

/* ---- the steps of a task ---- */

static int secret_lookup(void *data, const char *name, ecsfs_buf *value)
{
	ecsfs_tasks *t = data;
	return ecsfs_store_secret_get(t->store, name, value, NULL);
}

static void launch_ctx(struct task *k, ecsfs_launch_ctx *ctx, ecsfs_buf *arn)
{
	ecsfs_buf_addf(arn, "arn:aws:ecs:%s:%s:task/%s/%s", ECSFS_REGION, ECSFS_ACCOUNT, k->cluster,
		       k->id);
	memset(ctx, 0, sizeof(*ctx));
	ctx->cluster = k->cluster;
	ctx->task_id = k->id;
	ctx->task_arn = arn->data;
	ctx->family = k->family;
	ctx->revision = k->revision;
	ctx->pause_id = k->pause_id;
	ctx->secret = secret_lookup;
	ctx->secret_data = k->owner;
}

/* Our own label on everything we make, so that two state directories on
 * one engine never touch each other's containers. */
static void add_instance_label(ecsfs_tasks *t, json_t *config)
{
	json_t *labels = json_object_get(config, "Labels");
	if (!json_is_object(labels)) {
		labels = json_object();
		json_object_set_new(config, "Labels", labels);
	}
	json_object_set_new(labels, INSTANCE_LABEL, json_string(t->instance));
}

static void on_created(void *data, int err, json_t *result, const char *errmsg);

/* create: the answer's Id, or the container of that name made before a crash */
static void adopt_by_name(struct op *o)
{
	struct task *k = o->k;
	ecsfs_buf name = ECSFS_BUF_INIT;

	ecsfs_launch_container_name(k->id, o->pause ? ECSFS_PAUSE_NAME : o->c->name, &name);
	free(o->arg);
	o->arg = ecsfs_buf_detach(&name, NULL);
	if (ops(k->owner)->inspect(k->owner->rt, o->arg, on_created, o) < 0)
		op_failed_to_start(o);
}

static void on_created(void *data, int err, json_t *result, const char *errmsg)
{
	struct op *o = data;
	struct task *k = o->k;
	const char *id;

	if (!o->t || !k)
		goto done;
	if (err == -EEXIST && !o->arg) {
		adopt_by_name(o);
		return;
	}
	if (o->c)
		o->c->busy = false;
	if (err == -ENOENT && o->arg) {
		/* the name is taken by a create the engine has not finished (a
		 * daemon killed mid-create): look again in a moment */
		k->retry_at = ecsfs_now_ns() + RETRY_NS;
		goto done;
	}
	if (err == -ENOENT && !o->arg) {
		/* the image went away since we looked */
		k->images_done = false;
		if (o->pause)
			k->owner->pause_image = PI_UNKNOWN;
		goto done;
	}
	if (err) {
		call_failed(k, err, "CannotCreateContainerError", errmsg);
		goto done;
	}
	id = json_string_value(json_object_get(result, "Id"));
	if (!id) {
		call_failed(k, -EIO, "CannotCreateContainerError", "the engine returned no Id");
		goto done;
	}
	if (o->pause) {
		set_str(&k->pause_id, id);
	} else {
		set_str(&o->c->runtime_id, id);
		if (o->c->state < C_CREATED)
			o->c->state = C_CREATED;
	}
	task_saved(k);
	if (o->arg)
		observe(k, o->pause ? NULL : o->c, result); /* adopted: it may run already */
done:
	op_done(o);
}

static void create(struct task *k, struct ctr *c, json_t *config)
{
	struct op *o = op_new(k->owner, k, c);
	ecsfs_buf name = ECSFS_BUF_INIT;

	o->pause = c == NULL;
	if (c)
		c->busy = true;
	add_instance_label(k->owner, config);
	ecsfs_launch_container_name(k->id, c ? c->name : ECSFS_PAUSE_NAME, &name);
	if (ops(k->owner)->create(k->owner->rt, name.data, config, on_created, o) < 0) {
		if (c)
			c->busy = false;
		op_failed_to_start(o);
	}
	ecsfs_buf_release(&name);
}

static void on_started(void *data, int err, json_t *result, const char *errmsg)
{
	struct op *o = data;
	struct task *k = o->k;

	if (!o->t || !k)
		goto done;
	if (o->c)
		o->c->busy = false;
	if (err == -ENOENT) {
		observe_gone(k, o->pause ? NULL : o->c);
	} else if (err) {
		call_failed(k, err, "CannotStartContainerError", errmsg);
	} else {
		/* what it looks like now: ports, state (it may have exited already) */
		inspect(k, o->pause ? NULL : o->c, o->pause ? k->pause_id : o->c->runtime_id);
	}
done:
	op_done(o);
}

static void start(struct task *k, struct ctr *c)
{
	struct op *o = op_new(k->owner, k, c);

	o->pause = c == NULL;
	if (c)
		c->busy = true;
	if (ops(k->owner)->start_container(k->owner->rt, c ? c->runtime_id : k->pause_id,
					   on_started, o) < 0) {
		if (c)
			c->busy = false;
		op_failed_to_start(o);
	}
}

static void on_volume(void *data, int err, json_t *result, const char *errmsg)
{
	struct op *o = data;

	if (o->t && o->k) {
		if (err)
			call_failed(o->k, err, "ResourceInitializationError: cannot create volume",
				    errmsg);
		else
			o->k->step_ok++;
	}
	op_done(o);
}

static void provision(struct task *k)
{
	ecsfs_tasks *t = k->owner;
	ecsfs_launch_ctx ctx;
	ecsfs_buf arn = ECSFS_BUF_INIT, why = ECSFS_BUF_INIT;
	json_t *list = NULL, *config = NULL;
	int r;

	launch_ctx(k, &ctx, &arn);
	if (!k->volumes_done) {
		if ((r = ecsfs_launch_volumes(k->taskdef, &ctx, &list, &why)) < 0) {
			task_fail(k, "TaskFailedToStart", why.data);
			goto out;
		}
		if (k->step_want == json_array_size(list) && k->step_ok == k->step_want) {
			k->volumes_done = true;
			k->step_want = k->step_ok = 0;
			task_saved(k);
			ecsfs__reconcile(k);
			goto out;
		}
		k->step_want = json_array_size(list);
		k->step_ok = 0;
		if (k->step_want == 0) {
			k->volumes_done = true;
			ecsfs__reconcile(k);
			goto out;
		}
		for (size_t i = 0; i < json_array_size(list); i++) {
			json_t *v = json_array_get(list, i);
			struct op *o = op_new(t, k, NULL);

			add_instance_label(t, v);
			if (ops(t)->volume_create(t->rt, v, on_volume, o) < 0)
				op_failed_to_start(o);
		}
		goto out;
	}
	if (k->needs_pause && !k->pause_id) {
		if (t->pause_image == PI_FAILED) {
			ecsfs_buf_setf(
			    &why, "ResourceInitializationError: cannot load the pause image: %s",
			    t->pause_error);
			task_fail(k, "TaskFailedToStart", why.data);
			goto out;
		}
		if (t->pause_image != PI_READY) {
			ensure_pause_image(t);
			goto out;
		}
		if ((r = ecsfs_launch_pause(k->taskdef, &ctx, &config, &why)) < 0) {
			task_fail(k, "TaskFailedToStart", why.data);
			goto out;
		}
		create(k, NULL, config);
		goto out;
	}
	if (k->needs_pause && !k->pause_running) {
		start(k, NULL);
		goto out;
	}
	k->last = T_PENDING;
	k->pull_started_ns = 0;
	task_saved(k);
	ecsfs__reconcile(k);
out:
	json_decref(list);
	json_decref(config);
	ecsfs_buf_release(&arn);
	ecsfs_buf_release(&why);
}

static void on_pulled(void *data, int err, json_t *result, const char *errmsg)
{
	struct op *o = data;

	if (o->t && o->k) {
		if (err == 0)
			o->k->step_ok++;
		else
			call_failed(o->k, err, "CannotPullContainerError", errmsg);
	}
	op_done(o);
}

static void on_image(void *data, int err, json_t *result, const char *errmsg)
{
	struct op *o = data;
	struct task *k = o->k;

	if (!o->t || !k)
		goto done;
	if (err == -ENOENT) {
		if (ops(k->owner)->image_pull(k->owner->rt, o->arg, on_pulled, o) < 0)
			op_failed_to_start(o);
		return;
	}
	if (err)
		call_failed(k, err, "CannotPullContainerError", errmsg);
	else
		k->step_ok++;
done:
	op_done(o);
}

/* Every distinct image of the task, present or pulled. */
static void ensure_images(struct task *k)
{
	const char *seen[64];
	size_t n = 0;

	if (k->step_want && k->step_ok == k->step_want) {
		k->images_done = true;
		k->step_want = k->step_ok = 0;
		k->pull_stopped_ns = ecsfs_now_ns();
		task_saved(k);
		ecsfs__reconcile(k);
		return;
	}
	if (!k->pull_started_ns)
		k->pull_started_ns = ecsfs_now_ns();
	for (size_t i = 0; i < k->nc; i++) {
		const char *img = json_string_value(json_object_get(k->c[i].def, "image"));
		bool dup = false;

		for (size_t j = 0; j < n; j++)
			dup = dup || strcmp(seen[j], img) == 0;
		if (!img || dup || n == sizeof(seen) / sizeof(seen[0]))
			continue;
		seen[n++] = img;
	}
	k->step_want = n;
	k->step_ok = 0;
	for (size_t i = 0; i < n; i++) {
		struct op *o = op_new(k->owner, k, NULL);

		o->arg = strdup(seen[i]);
		if (!o->arg)
			abort();
		if (ops(k->owner)->image_inspect(k->owner->rt, seen[i], on_image, o) < 0)
			op_failed_to_start(o);
	}
}

/* Is a dependency of `c` met (1), to be waited for (0), or never to be met
 * (-1, with the reason in *why)? */
static int dependency(struct task *k, struct ctr *c, ecsfs_buf *why)
{
	json_t *deps = json_object_get(c->def, "dependsOn"), *d;
	size_t i;
	int verdict = 1;

	json_array_foreach(deps, i, d) {
		const char *name = json_string_value(json_object_get(d, "containerName"));
		const char *cond = json_string_value(json_object_get(d, "condition"));
		struct ctr *dc = name ? ecsfs__task_ctr(k, name) : NULL;

		if (!dc || !cond)
			continue;
		if (strcmp(cond, "START") == 0) {
			if (dc->state == C_STOPPED && !dc->started_ns) {
				ecsfs_buf_setf(why, "%s never started", name);
				return -1;
			}
			if (dc->state < C_RUNNING)
				verdict = 0;
		} else if (strcmp(cond, "COMPLETE") == 0) {
			if (dc->state != C_STOPPED)
				verdict = 0;
		} else if (strcmp(cond, "SUCCESS") == 0) {
			if (dc->state == C_STOPPED && (!dc->has_exit || dc->exit_code != 0)) {
				if (dc->has_exit)
					ecsfs_buf_setf(why, "%s exited with code %d, not 0", name,
						       dc->exit_code);
				else
					ecsfs_buf_setf(why, "%s stopped without an exit code",
						       name);
				return -1;
			}
			if (dc->state != C_STOPPED)
				verdict = 0;
		} else if (strcmp(cond, "HEALTHY") == 0) {
			if (strcmp(dc->health, "HEALTHY") == 0)
				continue;
			if (dc->state == C_STOPPED || strcmp(dc->health, "UNHEALTHY") == 0) {
				ecsfs_buf_setf(why, "%s is %s, not HEALTHY", name,
					       dc->state == C_STOPPED ? "STOPPED" : "UNHEALTHY");
				return -1;
			}
			verdict = 0;
		}
	}
	return verdict;
}

/* Sources of volumesFrom exist in the engine before the container is made. */
static bool sources_created(struct task *k, struct ctr *c)
{
	json_t *vf = json_object_get(c->def, "volumesFrom"), *v;
	size_t i;

	json_array_foreach(vf, i, v) {
		const char *src = json_string_value(json_object_get(v, "sourceContainer"));
		struct ctr *sc = src ? ecsfs__task_ctr(k, src) : NULL;
		if (sc && !sc->runtime_id)
			return false;
	}
	return true;
}

static void launch(struct task *k)
{
	ecsfs_launch_ctx ctx;
	ecsfs_buf arn = ECSFS_BUF_INIT, why = ECSFS_BUF_INIT, reason = ECSFS_BUF_INIT;
	bool all_created = true, essentials_up = true;

	if (!k->images_done) {
		ensure_images(k);
		goto out;
	}
	launch_ctx(k, &ctx, &arn);
	for (size_t i = 0; i < k->nc; i++) {
		struct ctr *c = &k->c[i];
		json_t *config = NULL;
		int r;

		if (c->runtime_id || c->state != C_PENDING)
			continue;
		all_created = false;
		if (c->busy || !sources_created(k, c))
			continue;
		ecsfs_buf_reset(&why);
		if ((r = ecsfs_launch_container(k->taskdef, c->def, &ctx, &config, &why)) < 0) {
			task_fail(k, "TaskFailedToStart", why.data);
			goto out;
		}
		create(k, c, config);
		json_decref(config);
	}
	if (!all_created)
		goto out;
	if (k->last == T_PENDING) {
		k->last = T_ACTIVATING;
		task_saved(k);
	}
	for (size_t i = 0; i < k->nc; i++) {
		struct ctr *c = &k->c[i];
		int d;

		if (c->state != C_CREATED || c->busy)
			continue;
		ecsfs_buf_reset(&why);
		d = dependency(k, c, &why);
		if (d < 0) {
			ecsfs_buf_reset(&reason);
			ecsfs_buf_addf(&reason, "Dependency of container %s can never be met: %s",
				       c->name, why.data);
			if (c->essential) {
				task_fail(k, "TaskFailedToStart", reason.data);
				goto out;
			}
			c->state = C_STOPPED;
			set_str(&c->reason, reason.data);
			task_saved(k);
		} else if (d > 0) {
			start(k, c);
		}
	}
	for (size_t i = 0; i < k->nc; i++)
		if (k->c[i].essential && k->c[i].state != C_RUNNING)
			essentials_up = false;
	if (essentials_up && k->last < T_RUNNING) {
		k->last = T_RUNNING;
		k->started_ns = ecsfs_now_ns();
		task_saved(k);
		ecsfs__task_event(k, "is RUNNING.");
	}
out:
	ecsfs_buf_release(&arn);
	ecsfs_buf_release(&why);
	ecsfs_buf_release(&reason);
}

/* ---- stopping ---- */

static void on_stopped(void *data, int err, json_t *result, const char *errmsg)
{
	struct op *o = data;

	if (o->t && o->k) {
		if (o->c)
			o->c->busy = false;
		if (err == -ENOENT)
			observe_gone(o->k, o->c);
		else if (err)
			call_failed(o->k, err, "stop", errmsg);
		else
			inspect(o->k, o->c, o->c->runtime_id);
	}
	op_done(o);
}

static void on_removed(void *data, int err, json_t *result, const char *errmsg)
{
	struct op *o = data;

	if (o->t && o->k) {
		if (err == 0 || err == -ENOENT)
			o->k->step_ok++;
		else
			o->k->retry_at = ecsfs_now_ns() + RETRY_NS;
	}
	op_done(o);
}

static int stop_timeout(const struct ctr *c)
{
	json_t *v = json_object_get(c->def, "stopTimeout");
	return json_is_integer(v) ? (int)json_integer_value(v) : ECSFS_STOP_TIMEOUT_S;
}

/* Remove the containers (then the volumes) of a task that has stopped. */
static void deprovision(struct task *k)
{
	ecsfs_tasks *t = k->owner;
	ecsfs_launch_ctx ctx;
	ecsfs_buf arn = ECSFS_BUF_INIT, why = ECSFS_BUF_INIT;
	json_t *list = NULL;
	size_t n = 0;

	if (k->step_want && k->step_ok >= k->step_want) {
		k->step_want = k->step_ok = 0;
		if (k->remove_phase == 0) {
			k->remove_phase = 1; /* containers are gone: now the volumes */
		} else {
			k->removed = true;
		}
	}
	if (k->removed) {
		k->last = T_STOPPED;
		k->exec_stopped_ns = k->stopped_ns = ecsfs_now_ns();
		ecsfs__task_close_logs(k);
		task_saved(k);
		ecsfs__task_event(k, "stopped: %s.", k->stopped_reason ? k->stopped_reason : "");
		goto out;
	}
	if (k->last < T_DEPROVISIONING) {
		k->last = T_DEPROVISIONING;
		task_saved(k);
	}
	if (k->remove_phase == 0) {
		for (size_t i = 0; i <= k->nc; i++) {
			const char *id = i < k->nc ? k->c[i].runtime_id : k->pause_id;
			struct op *o;

			if (!id || (i < k->nc && k->c[i].gone))
				continue;
			o = op_new(t, k, NULL);
			n++;
			if (ops(t)->remove(t->rt, id, on_removed, o) < 0) {
				n--;
				op_failed_to_start(o);
			}
		}
	} else {
		launch_ctx(k, &ctx, &arn);
		if (ecsfs_launch_volumes(k->taskdef, &ctx, &list, &why) == 0) {
			for (size_t i = 0; i < json_array_size(list); i++) {
				json_t *v = json_array_get(list, i);
				const char *vname = json_string_value(json_object_get(v, "Name"));
				struct op *o;

				/* shared volumes (no task label) outlive their tasks */
				if (!vname || !json_object_get(json_object_get(v, "Labels"),
							       ECSFS_LABEL_TASK))
					continue;
				o = op_new(t, k, NULL);
				n++;
				if (ops(t)->volume_remove(t->rt, vname, on_removed, o) < 0) {
					n--;
					op_failed_to_start(o);
				}
			}
		}
	}
	k->step_want = n;
	k->step_ok = 0;
	if (n == 0) {
		/* nothing to wait for in this phase: go on at once */
		k->step_want = 1;
		k->step_ok = 1;
		ecsfs__reconcile(k);
	}
out:
	json_decref(list);
	ecsfs_buf_release(&arn);
	ecsfs_buf_release(&why);
}

static void drive_stop(struct task *k)
{
	ecsfs_tasks *t = k->owner;
	bool waiting = false;

	if (k->last < T_STOPPING) {
		k->last = T_STOPPING;
		k->stopping_ns = ecsfs_now_ns();
		k->step_want = k->step_ok = 0;
		task_saved(k);
	}
	if (k->last == T_STOPPING) {
		for (size_t i = 0; i < k->nc; i++) {
			struct ctr *c = &k->c[i];
			struct op *o;

			if (c->state != C_RUNNING || c->gone || !c->runtime_id)
				continue;
			waiting = true;
			if (c->busy)
				continue;
			c->busy = true;
			o = op_new(t, k, c);
			if (ops(t)->stop(t->rt, c->runtime_id, stop_timeout(c), on_stopped, o) <
			    0) {
				c->busy = false;
				op_failed_to_start(o);
			}
		}
		if (waiting)
			return;
		/* output still on its way to the log files; a stream that does
		 * not end soon after its container is cut */
		for (size_t i = 0; i < k->nc; i++)
			waiting = waiting || k->c[i].follow;
		if (waiting) {
			int64_t now = ecsfs_now_ns();
			if (!k->drain_since)
				k->drain_since = now;
			if (now - k->drain_since < DRAIN_NS) {
				k->retry_at = now + 1000000000ll;
				return;
			}
			for (struct op *o = t->ops; o; o = o->next)
				if (o->k == k && o->logs) {
					o->c->logs_done = true;
					ops(t)->logs_cancel(o->logs);
				}
			return;
		}
		k->step_want = k->step_ok = 0;
		k->remove_phase = 0;
	}
	deprovision(k);
}

/* An essential container that has stopped ends the task. */
static void check_essentials(struct task *k)
{
	for (size_t i = 0; i < k->nc; i++) {
		struct ctr *c = &k->c[i];
		if (c->essential && c->state == C_STOPPED) {
			task_fail(k, "EssentialContainerExited",
				  "Essential container in task exited");
			return;
		}
	}
}

void ecsfs__reconcile(struct task *k)
{
	ecsfs_tasks *t = k->owner;

	if (t->closing || k->last == T_STOPPED)
		return;
	if (k->inflight) {
		k->again = true;
		return;
	}
	k->again = false;
	if (!t->reachable || t->syncing || (k->retry_at && k->retry_at > ecsfs_now_ns()))
		return;
	k->retry_at = 0;
	ensure_logs(k);
	if (k->desired_running)
		check_essentials(k);
	if (!k->desired_running) {
		drive_stop(k);
		return;
	}
	if (k->last == T_PROVISIONING)
		provision(k);
	else
		launch(k);
	/* the step just found the task cannot go on, and waits for nothing */
	if (!k->desired_running && !k->inflight)
		drive_stop(k);
}

/* ---- (re)sync with everything the engine holds for us ---- */

static void resync(ecsfs_tasks *t);

static const char *label_of(json_t *labels, const char *key)
{
	return json_string_value(json_object_get(labels, key));
}

static void on_orphan_removed(void *data, int err, json_t *result, const char *errmsg)
{
	op_done(data);
}

static void remove_orphan(ecsfs_tasks *t, const char *id)
{
	struct op *o = op_new(t, NULL, NULL);
	if (ops(t)->remove(t->rt, id, on_orphan_removed, o) < 0)
		op_done(o);
}

/* Match one listed container to its task, or remove it. */
static void sync_one(ecsfs_tasks *t, json_t *summary)
{
	json_t *labels = json_object_get(summary, "Labels");
	const char *id = json_string_value(json_object_get(summary, "Id"));
	const char *tid = label_of(labels, ECSFS_LABEL_TASK);
	const char *name = label_of(labels, ECSFS_LABEL_CONTAINER);
	struct task *k = tid ? ecsfs__task_find(t, tid) : NULL;
	struct ctr *c = NULL;
	char **slot;

	if (!id)
		return;
	if (!k || k->removed || !name) {
		remove_orphan(t, id);
		return;
	}
	if (strcmp(name, ECSFS_PAUSE_NAME) == 0) {
		slot = &k->pause_id;
	} else {
		if (!(c = ecsfs__task_ctr(k, name))) {
			remove_orphan(t, id);
			return;
		}
		slot = &c->runtime_id;
	}
	if (!*slot) {
		set_str(slot, id); /* made just before a crash: adopt it */
		task_saved(k);
	} else if (strcmp(*slot, id) != 0) {
		remove_orphan(t, id);
		return;
	}
	k->seen_mark = t->sync_mark;
	if (c)
		c->seen_mark = t->sync_mark;
	else
		k->pause_seen_mark = t->sync_mark;
	inspect(k, c, id);
}

static void on_list(void *data, int err, json_t *result, const char *errmsg)
{
	struct op *o = data;
	ecsfs_tasks *t = o->t;
	size_t i;
	json_t *s;

	op_done(o);
	if (!t)
		return;
	t->syncing = false;
	if (err) {
		t->sync_retry_at = ecsfs_now_ns() + RETRY_NS;
		return;
	}
	t->sync_mark++;
	json_array_foreach(result, i, s)
		sync_one(t, s);
	/* what we knew of that the engine no longer has */
	for (size_t n = 0; n < t->n; n++) {
		struct task *k = t->v[n];

		if (k->last == T_STOPPED)
			continue;
		for (size_t j = 0; j < k->nc; j++) {
			struct ctr *c = &k->c[j];
			if (c->runtime_id && !c->gone && c->seen_mark != t->sync_mark)
				observe_gone(k, c);
		}
		if (k->pause_id && k->pause_seen_mark != t->sync_mark)
			observe_gone(k, NULL);
	}
	if (t->sync_again) {
		t->sync_again = false;
		resync(t);
		return;
	}
	kick_all(t);
}

static void resync(ecsfs_tasks *t)
{
	ecsfs_buf label = ECSFS_BUF_INIT;
	struct op *o;

	if (t->closing)
		return;
	if (t->syncing) {
		t->sync_again = true;
		return;
	}
	t->syncing = true;
	t->sync_retry_at = 0;
	o = op_new(t, NULL, NULL);
	ecsfs_buf_addf(&label, "%s=%s", INSTANCE_LABEL, t->instance);
	if (ops(t)->list(t->rt, label.data, on_list, o) < 0) {
		t->syncing = false;
		t->sync_retry_at = ecsfs_now_ns() + RETRY_NS;
		op_done(o);
	}
	ecsfs_buf_release(&label);
}

static void on_event(void *data, json_t *ev)
{
	ecsfs_tasks *t = data;
	json_t *actor, *attrs;
	const char *action, *tid, *name, *id;
	struct task *k;
	struct ctr *c = NULL;

	if (!ev) {
		resync(t);
		return;
	}
	actor = json_object_get(ev, "Actor");
	attrs = json_object_get(actor, "Attributes");
	action = json_string_value(json_object_get(ev, "Action"));
	id = json_string_value(json_object_get(actor, "ID"));
	if (!action || !id || !label_of(attrs, INSTANCE_LABEL) ||
	    strcmp(label_of(attrs, INSTANCE_LABEL), t->instance) != 0)
		return;
	tid = label_of(attrs, ECSFS_LABEL_TASK);
	name = label_of(attrs, ECSFS_LABEL_CONTAINER);
	if (!tid || !name || !(k = ecsfs__task_find(t, tid)) || k->last == T_STOPPED)
		return;
	if (strcmp(name, ECSFS_PAUSE_NAME) != 0 && !(c = ecsfs__task_ctr(k, name)))
		return;
	if (strcmp(action, "destroy") == 0) {
		const char *mine = c ? c->runtime_id : k->pause_id;
		if (mine && strcmp(mine, id) == 0)
			observe_gone(k, c);
		ecsfs__reconcile(k);
		return;
	}
	if (strcmp(action, "start") && strcmp(action, "die") && strcmp(action, "oom") &&
	    strcmp(action, "restart") && strcmp(action, "pause") && strcmp(action, "unpause") &&
	    strncmp(action, "health_status", 13))
		return;
	inspect(k, c, id);
}

void ecsfs__reconciler_start(ecsfs_tasks *t)
{
	t->reachable = engine_up(t);
	ops(t)->watch(t->rt, on_event, t);
}

void ecsfs_tasks_runtime_changed(ecsfs_tasks *t)
{
	bool up = engine_up(t);

	if (up == t->reachable)
		return;
	t->reachable = up;
	if (!up) {
		/* followers break with the engine; they restart after the resync */
		return;
	}
	/* the event stream reopens and asks for a resync; a failed list retries */
}

void ecsfs__reconciler_tick(ecsfs_tasks *t)
{
	if (t->sync_retry_at && t->sync_retry_at <= ecsfs_now_ns() && t->reachable)
		resync(t);
}
