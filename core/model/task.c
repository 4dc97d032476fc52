/*
 * ecsfs — tasks: the model. What a `run` write asks for, a task's state and
 * how it is stored, and what task.json and status show. The engine side is
 * reconciler.c.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ecsfs/cluster.h"
#include "ecsfs/launch.h"
#include "ecsfs/taskdef.h"
#include "ecsfs/util.h"
#include "task_private.h"

static const char *const state_names[] = {
    [T_PROVISIONING] = "PROVISIONING",	   [T_PENDING] = "PENDING",
    [T_ACTIVATING] = "ACTIVATING",	   [T_RUNNING] = "RUNNING",
    [T_DEACTIVATING] = "DEACTIVATING",	   [T_STOPPING] = "STOPPING",
    [T_DEPROVISIONING] = "DEPROVISIONING", [T_STOPPED] = "STOPPED",
};

static const char *const ctr_state_names[] = {
    [C_PENDING] = "PENDING",
    [C_CREATED] = "PENDING",
    [C_RUNNING] = "RUNNING",
    [C_STOPPED] = "STOPPED",
};

const char *ecsfs__task_state_name(enum task_state s)
{
	return state_names[s];
}

static int state_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++)
		if (name && strcmp(name, state_names[i]) == 0)
			return (int)i;
	return -1;
}

char *ecsfs__xstrdup(const char *s)
{
	char *d = s ? strdup(s) : NULL;
	if (s && !d)
		abort();
	return d;
}

static void set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = ecsfs__xstrdup(s);
}

/* ---- lookup ---- */

struct task *ecsfs__task_find(ecsfs_tasks *t, const char *id)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i]->id, id) == 0)
			return t->v[i];
	return NULL;
}

struct task *ecsfs__task_find_in(ecsfs_tasks *t, const char *cluster, const char *id)
{
	struct task *k = ecsfs__task_find(t, id);
	return k && strcmp(k->cluster, cluster) == 0 ? k : NULL;
}

struct ctr *ecsfs__task_ctr(struct task *k, const char *name)
{
	for (size_t i = 0; i < k->nc; i++)
		if (strcmp(k->c[i].name, name) == 0)
			return &k->c[i];
	return NULL;
}

/* ---- a task's life in memory ---- */

void ecsfs__task_free(struct task *k)
{
	if (!k)
		return;
	ecsfs__task_close_logs(k);
	for (size_t i = 0; i < k->nc; i++) {
		free(k->c[i].name);
		free(k->c[i].runtime_id);
		free(k->c[i].reason);
	}
	free(k->c);
	json_decref(k->taskdef);
	json_decref(k->overrides);
	json_decref(k->bindings);
	json_decref(k->aliases);
	free(k->address);
	free(k->cluster);
	free(k->family);
	free(k->started_by);
	free(k->group);
	free(k->stop_code);
	free(k->stopped_reason);
	free(k->pause_id);
	free(k);
}

/* Containers of k->taskdef, in definition order. */
int ecsfs__task_make_containers(struct task *k)
{
	json_t *defs = json_object_get(k->taskdef, "containerDefinitions");
	size_t n = json_array_size(defs);

	if (n == 0)
		return -EINVAL;
	k->c = calloc(n, sizeof(*k->c));
	if (!k->c)
		abort();
	k->nc = n;
	for (size_t i = 0; i < n; i++) {
		json_t *d = json_array_get(defs, i);
		json_t *ess = json_object_get(d, "essential");
		struct ctr *c = &k->c[i];

		c->task = k;
		c->def = d;
		c->name = ecsfs__xstrdup(json_string_value(json_object_get(d, "name")));
		if (!c->name)
			return -EINVAL;
		c->essential = !json_is_false(ess);
		snprintf(c->health, sizeof(c->health), "UNKNOWN");
		c->log_fd = -1;
		c->pos_fd = -1;
	}
	return 0;
}

struct task *ecsfs__task_alloc(ecsfs_tasks *t)
{
	struct task *k = calloc(1, sizeof(*k));
	if (!k)
		abort();
	k->owner = t;
	k->task_log_fd = -1;
	return k;
}

void ecsfs__tasks_add(ecsfs_tasks *t, struct task *k)
{
	if (t->n == t->alloc) {
		t->alloc = t->alloc ? t->alloc * 2 : 64;
		t->v = realloc(t->v, t->alloc * sizeof(*t->v));
		if (!t->v)
			abort();
	}
	t->v[t->n++] = k;
}

static void tasks_remove_at(ecsfs_tasks *t, size_t i)
{
	memmove(&t->v[i], &t->v[i + 1], (t->n - i - 1) * sizeof(*t->v));
	t->n--;
}

/* ---- the stored form: a JSON document of everything above ---- */

static void put_ns(json_t *o, const char *key, int64_t ns)
{
	if (ns)
		json_object_set_new(o, key, json_integer(ns));
}

static void put_str(json_t *o, const char *key, const char *s)
{
	if (s)
		json_object_set_new(o, key, json_string(s));
}

static json_t *task_to_state(const struct task *k)
{
	json_t *o = json_object(), *cs = json_array();

	json_object_set_new(o, "family", json_string(k->family));
	json_object_set_new(o, "revision", json_integer(k->revision));
	json_object_set(o, "taskdef", k->taskdef);
	if (k->overrides)
		json_object_set(o, "overrides", k->overrides);
	put_str(o, "startedBy", k->started_by);
	put_str(o, "group", k->group);
	json_object_set_new(o, "desired", json_string(k->desired_running ? "RUNNING" : "STOPPED"));
	json_object_set_new(o, "last", json_string(state_names[k->last]));
	put_ns(o, "created", k->created_ns);
	put_ns(o, "pullStarted", k->pull_started_ns);
	put_ns(o, "pullStopped", k->pull_stopped_ns);
	put_ns(o, "started", k->started_ns);
	put_ns(o, "stopping", k->stopping_ns);
	put_ns(o, "stopped", k->stopped_ns);
	put_ns(o, "execStopped", k->exec_stopped_ns);
	put_str(o, "stopCode", k->stop_code);
	put_str(o, "stoppedReason", k->stopped_reason);
	put_str(o, "pauseId", k->pause_id);
	json_object_set_new(o, "pauseRunning", json_boolean(k->pause_running));
	if (k->bindings)
		json_object_set(o, "bindings", k->bindings);
	if (k->aliases)
		json_object_set(o, "aliases", k->aliases);
	put_str(o, "address", k->address);
	json_object_set_new(o, "volumesDone", json_boolean(k->volumes_done));
	json_object_set_new(o, "imagesDone", json_boolean(k->images_done));
	json_object_set_new(o, "removed", json_boolean(k->removed));
	json_object_set_new(o, "version", json_integer(k->version));
	for (size_t i = 0; i < k->nc; i++) {
		const struct ctr *c = &k->c[i];
		json_t *j = json_object();

		json_object_set_new(j, "name", json_string(c->name));
		put_str(j, "runtimeId", c->runtime_id);
		json_object_set_new(j, "state", json_integer(c->state));
		if (c->has_exit)
			json_object_set_new(j, "exitCode", json_integer(c->exit_code));
		json_object_set_new(j, "health", json_string(c->health));
		put_str(j, "reason", c->reason);
		put_ns(j, "started", c->started_ns);
		put_ns(j, "finished", c->finished_ns);
		json_object_set_new(j, "gone", json_boolean(c->gone));
		put_ns(j, "logTs", c->log_ts);
		json_object_set_new(j, "logsDone", json_boolean(c->logs_done));
		json_object_set_new(j, "logBytes", json_integer((json_int_t)c->log_bytes));
		json_array_append_new(cs, j);
	}
	json_object_set_new(o, "containers", cs);
	return o;
}

static int64_t get_ns(const json_t *o, const char *key)
{
	return (int64_t)json_integer_value(json_object_get(o, key));
}

static const char *get_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Rebuild a task from its stored state; NULL when the row is unusable. */
static struct task *task_from_state(ecsfs_tasks *t, const char *id, const char *cluster,
				    const char *text)
{
	json_t *o = json_loads(text, 0, NULL), *cs;
	struct task *k;
	int last;

	if (!o)
		return NULL;
	k = ecsfs__task_alloc(t);
	snprintf(k->id, sizeof(k->id), "%s", id);
	k->cluster = ecsfs__xstrdup(cluster);
	k->family = ecsfs__xstrdup(get_str(o, "family"));
	k->revision = get_ns(o, "revision");
	k->taskdef = json_incref(json_object_get(o, "taskdef"));
	k->overrides = json_incref(json_object_get(o, "overrides"));
	k->started_by = ecsfs__xstrdup(get_str(o, "startedBy"));
	k->group = ecsfs__xstrdup(get_str(o, "group"));
	k->desired_running =
	    strcmp(get_str(o, "desired") ? get_str(o, "desired") : "", "RUNNING") == 0;
	last = state_from_name(get_str(o, "last"));
	k->created_ns = get_ns(o, "created");
	k->pull_started_ns = get_ns(o, "pullStarted");
	k->pull_stopped_ns = get_ns(o, "pullStopped");
	k->started_ns = get_ns(o, "started");
	k->stopping_ns = get_ns(o, "stopping");
	k->stopped_ns = get_ns(o, "stopped");
	k->exec_stopped_ns = get_ns(o, "execStopped");
	k->stop_code = ecsfs__xstrdup(get_str(o, "stopCode"));
	k->stopped_reason = ecsfs__xstrdup(get_str(o, "stoppedReason"));
	k->pause_id = ecsfs__xstrdup(get_str(o, "pauseId"));
	k->pause_running = json_is_true(json_object_get(o, "pauseRunning"));
	k->bindings = json_incref(json_object_get(o, "bindings"));
	k->aliases = json_incref(json_object_get(o, "aliases"));
	k->address = ecsfs__xstrdup(get_str(o, "address"));
	k->volumes_done = json_is_true(json_object_get(o, "volumesDone"));
	k->images_done = json_is_true(json_object_get(o, "imagesDone"));
	k->removed = json_is_true(json_object_get(o, "removed"));
	k->version = get_ns(o, "version");
	k->needs_pause = k->taskdef && ecsfs_launch_needs_pause(k->taskdef);
	if (last < 0 || !k->family || !json_is_object(k->taskdef) ||
	    ecsfs__task_make_containers(k) < 0)
		goto bad;
	k->last = (enum task_state)last;
	cs = json_object_get(o, "containers");
	for (size_t i = 0; i < json_array_size(cs); i++) {
		json_t *j = json_array_get(cs, i);
		struct ctr *c = ecsfs__task_ctr(k, get_str(j, "name") ? get_str(j, "name") : "");
		json_int_t st = json_integer_value(json_object_get(j, "state"));

		if (!c)
			continue;
		c->runtime_id = ecsfs__xstrdup(get_str(j, "runtimeId"));
		c->state = st >= C_PENDING && st <= C_STOPPED ? (enum ctr_state)st : C_PENDING;
		c->has_exit = json_is_integer(json_object_get(j, "exitCode"));
		c->exit_code = (int)get_ns(j, "exitCode");
		if (get_str(j, "health"))
			snprintf(c->health, sizeof(c->health), "%s", get_str(j, "health"));
		c->reason = ecsfs__xstrdup(get_str(j, "reason"));
		c->started_ns = get_ns(j, "started");
		c->finished_ns = get_ns(j, "finished");
		c->gone = json_is_true(json_object_get(j, "gone"));
		c->log_ts = get_ns(j, "logTs");
		c->logs_done = json_is_true(json_object_get(j, "logsDone"));
		c->log_bytes = (uint64_t)get_ns(j, "logBytes");
	}
	json_decref(o);
	return k;
bad:
	json_decref(o);
	ecsfs__task_free(k);
	return NULL;
}

int ecsfs__task_persist(struct task *k)
{
	json_t *o;
	char *text;
	int r;

	k->version++;
	o = task_to_state(k);
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!text)
		abort();
	r = ecsfs_store_task_put(k->owner->store, k->id, k->cluster, k->created_ns,
				 k->last == T_STOPPED ? (k->stopped_ns ? k->stopped_ns : 1) : 0,
				 text);
	free(text);
	return r;
}

void ecsfs__task_changed(struct task *k)
{
	if (k->owner->on_change)
		k->owner->on_change(k->owner->on_change_data, k->cluster, k->id);
}

void ecsfs__task_event(struct task *k, const char *fmt, ...)
{
	ecsfs_buf line = ECSFS_BUF_INIT;
	va_list ap;
	char *msg = NULL;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	ecsfs_buf_addf(&line, "(task %s) %s", k->id, msg ? msg : "");
	ecsfs_cluster_event(k->owner->store, k->cluster, "%s", line.data);
	free(msg);
	ecsfs_buf_release(&line);
}

/* ---- the subsystem ---- */

static int load_cb(void *data, const char *id, const char *cluster, const char *state)
{
	ecsfs_tasks *t = data;
	struct task *k = task_from_state(t, id, cluster, state);

	/* a row this build cannot read stays in the store, untouched */
	if (k)
		ecsfs__tasks_add(t, k);
	return 0;
}

static int instance_id(ecsfs_store *s, char out[33], ecsfs_buf *why)
{
	ecsfs_buf v = ECSFS_BUF_INIT;
	unsigned char raw[16];
	int r = ecsfs_store_meta_get(s, "instance", &v);

	if (r == 0 && v.len == 32) {
		memcpy(out, v.data, 33);
		ecsfs_buf_release(&v);
		return 0;
	}
	ecsfs_buf_release(&v);
	if (r < 0 && r != -ENOENT)
		goto fault;
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return -EIO;
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	if ((r = ecsfs_store_meta_put(s, "instance", out)) < 0)
		goto fault;
	return 0;
fault:
	ecsfs_buf_setf(why, "cannot read the state's instance id: %s", ecsfs_store_last_error(s));
	return r;
}

int ecsfs_tasks_new(uv_loop_t *loop, ecsfs_store *store, ecsfs_runtime *rt, const char *state_dir,
		    ecsfs_tasks **out, ecsfs_buf *why)
{
	ecsfs_tasks *t = calloc(1, sizeof(*t));
	ecsfs_buf dir = ECSFS_BUF_INIT;
	int r;

	if (!t)
		return -ENOMEM;
	t->loop = loop;
	t->store = store;
	t->rt = rt;
	ecsfs_buf_addf(&dir, "%s/logs", state_dir);
	if (mkdir(dir.data, 0700) < 0 && errno != EEXIST) {
		r = -errno;
		ecsfs_buf_setf(why, "cannot create %s: %s", dir.data, strerror(errno));
		goto fail;
	}
	t->log_dir = ecsfs_buf_detach(&dir, NULL);
	if ((r = instance_id(store, t->instance, why)) < 0)
		goto fail;
	if ((r = ecsfs_store_task_load(store, load_cb, t)) < 0) {
		ecsfs_buf_setf(why, "cannot load tasks: %s", ecsfs_store_last_error(store));
		goto fail;
	}
	ecsfs__reconciler_start(t);
	*out = t;
	return 0;
fail:
	ecsfs_buf_release(&dir);
	ecsfs_tasks_free(t);
	return r;
}

void ecsfs_tasks_set_change_cb(ecsfs_tasks *t, ecsfs_tasks_change_cb cb, void *data)
{
	t->on_change = cb;
	t->on_change_data = data;
}

void ecsfs_tasks_free(ecsfs_tasks *t)
{
	if (!t)
		return;
	t->closing = true;
	if (t->rt) {
		t->rt->ops->watch(t->rt, NULL, NULL);
		ecsfs__reconciler_detach(t);
	}
	for (size_t i = 0; i < t->n; i++)
		ecsfs__task_free(t->v[i]);
	free(t->v);
	free(t->log_dir);
	free(t->pause_path);
	free(t);
}

static void remove_log_dir(ecsfs_tasks *t, const char *id)
{
	ecsfs_buf p = ECSFS_BUF_INIT;
	ecsfs_buf_addf(&p, "%s/%s", t->log_dir, id);
	/* a task's directory holds only flat files */
	int dfd = open(p.data, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		DIR *d = fdopendir(dfd);
		struct dirent *e;
		while (d && (e = readdir(d)))
			if (e->d_name[0] != '.')
				unlinkat(dfd, e->d_name, 0);
		if (d)
			closedir(d);
		else
			close(dfd);
		rmdir(p.data);
	}
	ecsfs_buf_release(&p);
}

int ecsfs_tasks_set_pause_binary(ecsfs_tasks *t, const char *path)
{
	char *p = strdup(path);
	if (!p)
		return -ENOMEM;
	free(t->pause_path);
	t->pause_path = p;
	return 0;
}

void ecsfs_tasks_sweep(ecsfs_tasks *t)
{
	int64_t now = ecsfs_now_ns();
	size_t stopped = 0;

	ecsfs__reconciler_tick(t);
	for (size_t i = 0; i < t->n; i++)
		stopped += t->v[i]->last == T_STOPPED;
	for (size_t i = 0; i < t->n;) {
		struct task *k = t->v[i];
		bool old = k->stopped_ns &&
			   now - k->stopped_ns > (int64_t)ECSFS_TASK_RETENTION * 1000000000ll;

		if (k->last == T_STOPPED && !k->inflight &&
		    (old || stopped > ECSFS_TASKS_KEPT_MAX)) {
			if (ecsfs_store_task_delete(t->store, k->id) < 0 &&
			    ecsfs_store_task_delete(t->store, k->id) != -ENOENT) {
				i++;
				continue;
			}
			remove_log_dir(t, k->id);
			tasks_remove_at(t, i);
			stopped--;
			char cluster[256], id[33];
			snprintf(cluster, sizeof(cluster), "%s", k->cluster);
			memcpy(id, k->id, sizeof(id));
			ecsfs__task_free(k);
			if (t->on_change)
				t->on_change(t->on_change_data, cluster, id);
			continue;
		}
		if (k->retry_at && k->retry_at <= now) {
			k->retry_at = 0;
			ecsfs__reconcile(k);
		}
		i++;
	}
}

void ecsfs_tasks_forget_cluster(ecsfs_tasks *t, const char *cluster)
{
	for (size_t i = 0; i < t->n;) {
		struct task *k = t->v[i];
		if (strcmp(k->cluster, cluster) == 0 && k->last == T_STOPPED && !k->inflight) {
			remove_log_dir(t, k->id);
			tasks_remove_at(t, i);
			ecsfs__task_free(k);
			continue;
		}
		i++;
	}
}

/* ---- stop ---- */

int ecsfs_tasks_stop_check(ecsfs_tasks *t, const char *cluster, const char *id, const char *reason,
			   size_t len, ecsfs_err *err)
{
	struct task *k = ecsfs__task_find_in(t, cluster, id);

	if (!k)
		return ecsfs_err_set(err, ECSFS_E_CLIENT, -ENOENT, "no task %s in cluster %s", id,
				     cluster);
	if (!k->desired_running)
		return ecsfs_err_set(err, ECSFS_E_CLIENT, -EALREADY, "task %s is already %s (%s)",
				     id, k->last == T_STOPPED ? "STOPPED" : "stopping",
				     k->stopped_reason ? k->stopped_reason : "no reason");
	if (len > ECSFS_STOP_REASON_MAX || memchr(reason, '\0', len))
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "stop: a reason is at most %d bytes of text",
				     ECSFS_STOP_REASON_MAX);
	return 0;
}

/* The stoppedReason a written reason gives: one line, trailing newlines
 * and blanks dropped, inner newlines as spaces. */
static void reason_line(const char *reason, size_t len, ecsfs_buf *out)
{
	while (len && strchr(" \t\r\n", reason[len - 1]))
		len--;
	for (size_t i = 0; i < len; i++)
		ecsfs_buf_addch(out, reason[i] == '\n' || reason[i] == '\r' ? ' ' : reason[i]);
}

static int stop_task(ecsfs_tasks *t, const char *cluster, const char *id, const char *code,
		     const char *reason, size_t len, ecsfs_err *err)
{
	struct task *k = ecsfs__task_find_in(t, cluster, id);
	ecsfs_buf text = ECSFS_BUF_INIT;
	int r;

	if ((r = ecsfs_tasks_stop_check(t, cluster, id, reason, len, err)) < 0)
		return r;
	reason_line(reason, len, &text);
	k->desired_running = false;
	set_str(&k->stop_code, code);
	set_str(&k->stopped_reason, text.len ? text.data : "Task stopped by user");
	ecsfs_buf_release(&text);
	if ((r = ecsfs__task_persist(k)) < 0) {
		k->desired_running = true;
		return ecsfs_err_set(err, ECSFS_E_SERVER, r, "cannot record the stop: %s",
				     ecsfs_store_last_error(t->store));
	}
	ecsfs__task_event(k, "stop requested: %s", k->stopped_reason);
	ecsfs__task_changed(k);
	ecsfs__reconcile(k);
	return 0;
}

int ecsfs_tasks_stop(ecsfs_tasks *t, const char *cluster, const char *id, const char *reason,
		     size_t len, ecsfs_err *err)
{
	return stop_task(t, cluster, id, "UserInitiated", reason, len, err);
}

int ecsfs_tasks_stop_as(ecsfs_tasks *t, const char *cluster, const char *id, const char *code,
			const char *reason, size_t len, ecsfs_buf *why)
{
	ecsfs_err err = ECSFS_ERR_INIT;
	int r = stop_task(t, cluster, id, code, reason, len, &err);

	if (r < 0)
		ecsfs_buf_setf(why, "%s", err.msg.data);
	ecsfs_err_release(&err);
	return r;
}

/* ---- reading ---- */

static const char *task_health(const struct task *k);

int ecsfs_tasks_foreach(ecsfs_tasks *t, const char *cluster, const char *group,
			ecsfs_tasks_info_cb cb, void *data)
{
	for (size_t i = 0; i < t->n; i++) {
		struct task *k = t->v[i];
		ecsfs_task_info in = {0};
		int r;

		if (strcmp(k->cluster, cluster) != 0 ||
		    (group && (!k->group || strcmp(k->group, group) != 0)))
			continue;
		in.id = k->id;
		in.started_by = k->started_by ? k->started_by : "";
		in.family = k->family;
		in.revision = k->revision;
		in.last_status = state_names[k->last];
		in.desired_running = k->desired_running;
		in.health = task_health(k);
		for (size_t j = 0; j < k->nc; j++)
			in.has_health_check =
			    in.has_health_check ||
			    (k->c[j].essential && json_object_get(k->c[j].def, "healthCheck"));
		in.created_ns = k->created_ns;
		in.started_ns = k->started_ns;
		in.stopped_ns = k->stopped_ns;
		in.stop_code = k->stop_code;
		in.stopped_reason = k->stopped_reason;
		in.address = k->address ? k->address : "";
		if ((r = cb(data, &in)) != 0)
			return r < 0 ? r : 0;
	}
	return 0;
}

int ecsfs_tasks_list(ecsfs_tasks *t, const char *cluster, ecsfs_tasks_name_cb cb, void *data)
{
	for (size_t i = 0; i < t->n; i++) {
		int r;
		if (strcmp(t->v[i]->cluster, cluster) == 0 && (r = cb(data, t->v[i]->id)) != 0)
			return r < 0 ? r : 0;
	}
	return 0;
}

int ecsfs_tasks_exists(ecsfs_tasks *t, const char *cluster, const char *id, const char *container)
{
	struct task *k = ecsfs__task_find_in(t, cluster, id);
	if (!k)
		return -ENOENT;
	return !container || ecsfs__task_ctr(k, container) ? 0 : -ENOENT;
}

int ecsfs_tasks_containers(ecsfs_tasks *t, const char *cluster, const char *id,
			   ecsfs_tasks_name_cb cb, void *data)
{
	struct task *k = ecsfs__task_find_in(t, cluster, id);
	if (!k)
		return -ENOENT;
	for (size_t i = 0; i < k->nc; i++) {
		int r = cb(data, k->c[i].name);
		if (r)
			return r < 0 ? r : 0;
	}
	return 0;
}

void ecsfs_tasks_counts(ecsfs_tasks *t, const char *cluster, unsigned *pending, unsigned *running,
			unsigned *stopped)
{
	*pending = *running = *stopped = 0;
	for (size_t i = 0; i < t->n; i++) {
		struct task *k = t->v[i];
		if (strcmp(k->cluster, cluster) != 0)
			continue;
		if (k->last == T_STOPPED)
			(*stopped)++;
		else if (k->last == T_RUNNING)
			(*running)++;
		else if (k->last < T_RUNNING)
			(*pending)++;
	}
}

/* A task's health: UNHEALTHY when an essential container with a health
 * check is, HEALTHY when all of those are, else UNKNOWN. */
static const char *task_health(const struct task *k)
{
	bool any = false, all = true;

	for (size_t i = 0; i < k->nc; i++) {
		const struct ctr *c = &k->c[i];
		if (!c->essential || !json_object_get(c->def, "healthCheck"))
			continue;
		any = true;
		if (strcmp(c->health, "UNHEALTHY") == 0)
			return "UNHEALTHY";
		if (strcmp(c->health, "HEALTHY") != 0)
			all = false;
	}
	return any && all ? "HEALTHY" : "UNKNOWN";
}

static void task_arn(const struct task *k, ecsfs_buf *out)
{
	ecsfs_buf_addf(out, "arn:aws:ecs:%s:%s:task/%s/%s", ECSFS_REGION, ECSFS_ACCOUNT, k->cluster,
		       k->id);
}

static json_t *num_string(const json_t *v)
{
	if (json_is_string(v))
		return json_string(json_string_value(v));
	if (json_is_integer(v)) {
		char b[32];
		snprintf(b, sizeof(b), "%lld", (long long)json_integer_value(v));
		return json_string(b);
	}
	return NULL;
}

static json_t *container_bindings(const struct task *k, const struct ctr *c)
{
	json_t *out = json_array(), *pm = json_object_get(c->def, "portMappings");
	size_t i;
	json_t *m;

	json_array_foreach(pm, i, m) {
		json_int_t port = json_integer_value(json_object_get(m, "containerPort"));
		const char *proto = json_string_value(json_object_get(m, "protocol"));
		char key[32];
		json_t *b;

		snprintf(key, sizeof(key), "%lld/%s", (long long)port, proto ? proto : "tcp");
		b = json_object_get(k->bindings, key);
		if (!k->needs_pause && k->last >= T_RUNNING && k->last < T_STOPPED) {
			/* host mode: the container binds the host's port itself */
			json_int_t hp = json_integer_value(json_object_get(m, "hostPort"));
			json_t *nb =
			    json_pack("{s:s, s:I, s:I, s:s}", "bindIP", "0.0.0.0", "containerPort",
				      (json_int_t)port, "hostPort", hp ? hp : (json_int_t)port,
				      "protocol", proto ? proto : "tcp");
			json_array_append_new(out, nb);
			continue;
		}
		if (!json_is_object(b))
			continue;
		json_t *nb = json_object();
		json_object_set_new(
		    nb, "bindIP",
		    json_string(json_string_value(json_object_get(b, "hostIp")) ?: "0.0.0.0"));
		json_object_set_new(nb, "containerPort", json_integer(port));
		json_object_set(nb, "hostPort", json_object_get(b, "hostPort"));
		json_object_set_new(nb, "protocol", json_string(proto ? proto : "tcp"));
		json_array_append_new(out, nb);
	}
	return out;
}

/* The portMapping of container `c` for container port `port`, or NULL. */
static const json_t *port_mapping(const struct ctr *c, int port)
{
	const json_t *pm = json_object_get(c->def, "portMappings"), *m;
	size_t i;

	json_array_foreach(pm, i, m)
		if (json_integer_value(json_object_get(m, "containerPort")) == port)
			return m;
	return NULL;
}

int ecsfs_tasks_target(ecsfs_tasks *t, const char *cluster, const char *id, const char *container,
		       int container_port, char addr[64], int *port)
{
	struct task *k = ecsfs__task_find_in(t, cluster, id);
	struct ctr *c = k ? ecsfs__task_ctr(k, container) : NULL;
	const json_t *m = c ? port_mapping(c, container_port) : NULL;
	const char *proto;
	json_int_t hp;
	char key[32];

	if (!m)
		return -ENOENT;
	if (k->last != T_RUNNING || !k->desired_running)
		return -EAGAIN;
	if (k->address) { /* the task's own address: its ports are its own */
		snprintf(addr, 64, "%s", k->address);
		*port = container_port;
		return 0;
	}
	hp = json_integer_value(json_object_get(m, "hostPort"));
	if (k->needs_pause) {
		proto = json_string_value(json_object_get(m, "protocol"));
		snprintf(key, sizeof(key), "%d/%s", container_port, proto ? proto : "tcp");
		hp = json_integer_value(
		    json_object_get(json_object_get(k->bindings, key), "hostPort"));
		if (hp <= 0)
			return -EAGAIN;
	}
	snprintf(addr, 64, "127.0.0.1");
	*port = hp > 0 ? (int)hp : container_port;
	return 0;
}

int ecsfs_tasks_describe(ecsfs_tasks *t, const char *cluster, const char *id, ecsfs_buf *out)
{
	struct task *k = ecsfs__task_find_in(t, cluster, id);
	ecsfs_buf arn = ECSFS_BUF_INIT, s = ECSFS_BUF_INIT;
	json_t *o, *cs, *v;

	if (!k)
		return -ENOENT;
	o = json_object();
	cs = json_array();
	task_arn(k, &arn);
	json_object_set_new(o, "taskArn", json_string(arn.data));
	ecsfs_buf_addf(&s, "arn:aws:ecs:%s:%s:cluster/%s", ECSFS_REGION, ECSFS_ACCOUNT, k->cluster);
	json_object_set_new(o, "clusterArn", json_string(s.data));
	ecsfs_buf_reset(&s);
	ecsfs_buf_addf(&s, "arn:aws:ecs:%s:%s:task-definition/%s:%lld", ECSFS_REGION, ECSFS_ACCOUNT,
		       k->family, (long long)k->revision);
	json_object_set_new(o, "taskDefinitionArn", json_string(s.data));
	json_object_set_new(o, "lastStatus", json_string(state_names[k->last]));
	json_object_set_new(o, "desiredStatus",
			    json_string(k->desired_running ? "RUNNING" : "STOPPED"));
	json_object_set_new(o, "healthStatus", json_string(task_health(k)));
	json_object_set_new(o, "launchType", json_string("EC2"));
	json_object_set_new(o, "availabilityZone", json_string(ECSFS_REGION));
	json_object_set_new(
	    o, "connectivity",
	    json_string(k->pause_running || !k->needs_pause ? "CONNECTED" : "DISCONNECTED"));
	if ((v = num_string(json_object_get(k->taskdef, "cpu"))))
		json_object_set_new(o, "cpu", v);
	if ((v = num_string(json_object_get(k->taskdef, "memory"))))
		json_object_set_new(o, "memory", v);
	ecsfs_json_set_time(o, "createdAt", k->created_ns);
	ecsfs_json_set_time(o, "pullStartedAt", k->pull_started_ns);
	ecsfs_json_set_time(o, "pullStoppedAt", k->pull_stopped_ns);
	ecsfs_json_set_time(o, "startedAt", k->started_ns);
	ecsfs_json_set_time(o, "stoppingAt", k->stopping_ns);
	ecsfs_json_set_time(o, "executionStoppedAt", k->exec_stopped_ns);
	ecsfs_json_set_time(o, "stoppedAt", k->stopped_ns);
	put_str(o, "stopCode", k->stop_code);
	put_str(o, "stoppedReason", k->stopped_reason);
	put_str(o, "startedBy", k->started_by);
	put_str(o, "group", k->group);
	json_object_set_new(o, "enableExecuteCommand", json_false());
	json_object_set_new(o, "version", json_integer(k->version));
	if (k->overrides)
		json_object_set(o, "overrides", k->overrides);
	else
		json_object_set_new(o, "overrides", json_pack("{s:[]}", "containerOverrides"));
	json_object_set_new(o, "tags", json_array());
	for (size_t i = 0; i < k->nc; i++) {
		struct ctr *c = &k->c[i];
		json_t *j = json_object();

		ecsfs_buf_reset(&s);
		ecsfs_buf_addf(&s, "arn:aws:ecs:%s:%s:container/%s/%s/%s", ECSFS_REGION,
			       ECSFS_ACCOUNT, k->cluster, k->id, c->name);
		json_object_set_new(j, "containerArn", json_string(s.data));
		json_object_set_new(j, "taskArn", json_string(arn.data));
		json_object_set_new(j, "name", json_string(c->name));
		json_object_set(j, "image", json_object_get(c->def, "image"));
		put_str(j, "runtimeId", c->runtime_id);
		json_object_set_new(j, "lastStatus", json_string(ctr_state_names[c->state]));
		if (c->has_exit)
			json_object_set_new(j, "exitCode", json_integer(c->exit_code));
		put_str(j, "reason", c->reason);
		json_object_set_new(j, "healthStatus", json_string(c->health));
		json_object_set_new(j, "essential", json_boolean(c->essential));
		json_object_set_new(j, "networkBindings", container_bindings(k, c));
		json_object_set_new(j, "networkInterfaces", json_array());
		if ((v = num_string(json_object_get(c->def, "cpu"))))
			json_object_set_new(j, "cpu", v);
		else
			json_object_set_new(j, "cpu", json_string("0"));
		if ((v = num_string(json_object_get(c->def, "memory"))))
			json_object_set_new(j, "memory", v);
		if ((v = num_string(json_object_get(c->def, "memoryReservation"))))
			json_object_set_new(j, "memoryReservation", v);
		json_array_append_new(cs, j);
	}
	json_object_set_new(o, "containers", cs);
	ecsfs_json_pretty(o, out);
	json_decref(o);
	ecsfs_buf_release(&arn);
	ecsfs_buf_release(&s);
	return 0;
}

static void line_time(ecsfs_buf *out, const char *key, int64_t ns)
{
	char iso[32];
	if (!ns)
		return;
	ecsfs_time_iso(ns, iso);
	ecsfs_buf_addf(out, "%s: %s\n", key, iso);
}

static void ctr_status(const struct ctr *c, ecsfs_buf *out)
{
	ecsfs_buf_addf(out, "name: %s\n", c->name);
	ecsfs_buf_addf(out, "image: %s\n", json_string_value(json_object_get(c->def, "image")));
	ecsfs_buf_addf(out, "essential: %s\n", c->essential ? "true" : "false");
	ecsfs_buf_addf(out, "last_status: %s\n", ctr_state_names[c->state]);
	ecsfs_buf_addf(out, "health: %s\n", c->health);
	if (c->has_exit)
		ecsfs_buf_addf(out, "exit_code: %d\n", c->exit_code);
	if (c->reason)
		ecsfs_buf_addf(out, "reason: %s\n", c->reason);
	if (c->runtime_id)
		ecsfs_buf_addf(out, "runtime_id: %s\n", c->runtime_id);
	line_time(out, "started_at", c->started_ns);
	line_time(out, "finished_at", c->finished_ns);
	ecsfs_buf_addf(out, "log_bytes: %llu\n", (unsigned long long)c->log_bytes);
}

int ecsfs_tasks_status(ecsfs_tasks *t, const char *cluster, const char *id, const char *container,
		       ecsfs_buf *out)
{
	struct task *k = ecsfs__task_find_in(t, cluster, id);
	struct ctr *c;

	if (!k)
		return -ENOENT;
	if (container) {
		if (!(c = ecsfs__task_ctr(k, container)))
			return -ENOENT;
		ctr_status(c, out);
		return 0;
	}
	ecsfs_buf_addf(out, "task: %s\n", k->id);
	ecsfs_buf_addf(out, "cluster: %s\n", k->cluster);
	ecsfs_buf_addf(out, "task_definition: %s:%lld\n", k->family, (long long)k->revision);
	ecsfs_buf_addf(out, "desired_status: %s\n", k->desired_running ? "RUNNING" : "STOPPED");
	ecsfs_buf_addf(out, "last_status: %s\n", state_names[k->last]);
	ecsfs_buf_addf(out, "health: %s\n", task_health(k));
	if (k->started_by)
		ecsfs_buf_addf(out, "started_by: %s\n", k->started_by);
	line_time(out, "created_at", k->created_ns);
	line_time(out, "started_at", k->started_ns);
	line_time(out, "stopping_at", k->stopping_ns);
	line_time(out, "stopped_at", k->stopped_ns);
	if (k->stop_code)
		ecsfs_buf_addf(out, "stop_code: %s\n", k->stop_code);
	if (k->stopped_reason)
		ecsfs_buf_addf(out, "stopped_reason: %s\n", k->stopped_reason);
	for (size_t i = 0; i < k->nc; i++) {
		c = &k->c[i];
		ecsfs_buf_addf(out, "container %s: %s", c->name, ctr_state_names[c->state]);
		if (c->has_exit)
			ecsfs_buf_addf(out, ", exit code %d", c->exit_code);
		if (strcmp(c->health, "UNKNOWN") != 0)
			ecsfs_buf_addf(out, ", %s", c->health);
		ecsfs_buf_addch(out, '\n');
	}
	return 0;
}

int ecsfs_tasks_log_stat(ecsfs_tasks *t, const char *cluster, const char *id, const char *container,
			 uint64_t *size, struct timespec *mtime)
{
	ecsfs_buf path = ECSFS_BUF_INIT;
	struct stat st;
	int r = ecsfs_tasks_log_path(t, cluster, id, container, &path);

	if (r == 0) {
		*size = 0;
		memset(mtime, 0, sizeof(*mtime));
		if (stat(path.data, &st) == 0) {
			*size = (uint64_t)st.st_size;
			*mtime = st.st_mtim;
		}
	}
	ecsfs_buf_release(&path);
	return r;
}

int ecsfs_tasks_log_read(ecsfs_tasks *t, const char *cluster, const char *id, const char *container,
			 uint64_t off, size_t len, ecsfs_buf *out)
{
	ecsfs_buf path = ECSFS_BUF_INIT;
	int r = ecsfs_tasks_log_path(t, cluster, id, container, &path), fd;
	ssize_t n;
	char *tmp;

	if (r < 0)
		goto out;
	fd = open(path.data, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = errno == ENOENT ? 0 : -errno; /* nothing written yet */
		goto out;
	}
	tmp = malloc(len ? len : 1);
	if (!tmp)
		abort();
	n = pread(fd, tmp, len, (off_t)off);
	if (n < 0)
		r = -errno;
	else
		ecsfs_buf_add(out, tmp, (size_t)n);
	free(tmp);
	close(fd);
out:
	ecsfs_buf_release(&path);
	return r;
}

int ecsfs_tasks_log_path(ecsfs_tasks *t, const char *cluster, const char *id, const char *container,
			 ecsfs_buf *out)
{
	struct task *k = ecsfs__task_find_in(t, cluster, id);

	if (!k || (container && !ecsfs__task_ctr(k, container)))
		return -ENOENT;
	if (container)
		ecsfs_buf_addf(out, "%s/%s/%s.log", t->log_dir, id, container);
	else
		ecsfs_buf_addf(out, "%s/%s/~task.log", t->log_dir, id); /* '~' is in no name */
	return 0;
}
