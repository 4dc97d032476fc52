/*
 * ecsfs — tasks: the model. What a `run` write asks for, a task's state and
 * how it is stored, and what task.json and status show. The engine side is
 * control/reconciler*.c, which the model reaches only through t->drive.
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

#include "ecsfs/arn.h"
#include "ecsfs/cluster.h"
#include "ecsfs/launch.h"
#include "ecsfs/tag.h"
#include "ecsfs/taskdef.h"
#include "ecsfs/util.h"
#include "task_private.h"

static const char *const state_names[] = {
    [T_PROVISIONING] = "PROVISIONING",	   [T_PENDING] = "PENDING",
    [T_ACTIVATING] = "ACTIVATING",	   [T_RUNNING] = "RUNNING",
    [T_DEACTIVATING] = "DEACTIVATING",	   [T_STOPPING] = "STOPPING",
    [T_DEPROVISIONING] = "DEPROVISIONING", [T_STOPPED] = "STOPPED",
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

void ecsfs__set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = ecsfs__xstrdup(s);
}

/* ---- lookup ---- */

struct task *ecsfs__task_find(ecsfs_tasks *t, const char *id)
{
	return ecsfs_strmap_get(&t->by_id, id);
}

/* The tasks of one group of one cluster, in the order of t->v. */
struct ecsfs__task_group {
	struct task **v;
	size_t n, alloc;
};

static void group_key(const char *cluster, const char *group, ecsfs_buf *out)
{
	ecsfs_buf_addf(out, "%s\n%s", cluster, group ? group : "");
}

struct task *const *ecsfs__tasks_of_group(ecsfs_tasks *t, const char *cluster, const char *group,
					  size_t *n)
{
	ecsfs_buf key = ECSFS_BUF_INIT;
	struct ecsfs__task_group *g;

	group_key(cluster, group, &key);
	g = ecsfs_strmap_get(&t->by_group, key.data);
	ecsfs_buf_release(&key);
	*n = g ? g->n : 0;
	return g ? g->v : NULL;
}

static void group_add(ecsfs_tasks *t, struct task *k)
{
	ecsfs_buf key = ECSFS_BUF_INIT;
	struct ecsfs__task_group *g;

	group_key(k->cluster, k->group, &key);
	if (!(g = ecsfs_strmap_get(&t->by_group, key.data))) {
		if (!(g = calloc(1, sizeof(*g))))
			abort();
		ecsfs_strmap_put(&t->by_group, key.data, g);
	}
	if (g->n == g->alloc) {
		g->alloc = g->alloc ? 2 * g->alloc : 4;
		if (!(g->v = realloc(g->v, g->alloc * sizeof(*g->v))))
			abort();
	}
	g->v[g->n++] = k;
	ecsfs_buf_release(&key);
}

static void group_remove(ecsfs_tasks *t, struct task *k)
{
	ecsfs_buf key = ECSFS_BUF_INIT;
	struct ecsfs__task_group *g;
	size_t i = 0;

	group_key(k->cluster, k->group, &key);
	g = ecsfs_strmap_get(&t->by_group, key.data);
	while (g && i < g->n && g->v[i] != k)
		i++;
	if (g && i < g->n) {
		memmove(&g->v[i], &g->v[i + 1], (g->n - i - 1) * sizeof(*g->v));
		if (--g->n == 0) {
			ecsfs_strmap_del(&t->by_group, key.data);
			free(g->v);
			free(g);
		}
	}
	ecsfs_buf_release(&key);
}

struct task *ecsfs__task_find_in(ecsfs_tasks *t, const char *cluster, const char *id)
{
	struct task *k = ecsfs__task_find(t, id);
	return k && strcmp(k->cluster, cluster) == 0 ? k : NULL;
}

const char *ecsfs_tasks_group(ecsfs_tasks *t, const char *cluster, const char *id)
{
	struct task *k = ecsfs__task_find_in(t, cluster, id);
	return k ? k->group : NULL;
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
	json_decref(k->kept);
	json_decref(k->bindings);
	json_decref(k->aliases);
	free(k->eni);
	free(k->address);
	free(k->network);
	free(k->cluster);
	free(k->family);
	free(k->started_by);
	free(k->instance);
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
		ecsfs_logindex_init(&c->idx);
	}
	return 0;
}

json_t *ecsfs__task_intern(ecsfs_tasks *t, const char *family, int64_t rev, json_t *td)
{
	ecsfs_buf key = ECSFS_BUF_INIT;
	json_t *have;

	if (!td || !family)
		return td;
	ecsfs_buf_addf(&key, "%s:%lld", family, (long long)rev);
	if (!(have = ecsfs_strmap_get(&t->taskdefs, key.data))) {
		ecsfs_strmap_put(&t->taskdefs, key.data, json_incref(td));
	} else if (have != td && json_equal(have, td)) {
		json_decref(td);
		td = json_incref(have);
	}
	ecsfs_buf_release(&key);
	return td;
}

json_t *ecsfs__task_eni(const struct task *k)
{
	return k->eni ? json_loads(k->eni, 0, NULL) : NULL;
}

void ecsfs__task_set_eni(struct task *k, json_t *eni)
{
	free(k->eni);
	k->eni = eni ? json_dumps(eni, JSON_COMPACT) : NULL;
	if (eni && !k->eni)
		abort();
	json_decref(eni);
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
	ecsfs_strmap_put(&t->by_id, k->id, k);
	group_add(t, k);
}

static void tasks_remove_at(ecsfs_tasks *t, size_t i)
{
	struct task *k = t->v[i];

	/* a task loaded twice (two rows of one id) must not drop the other */
	if (ecsfs_strmap_get(&t->by_id, k->id) == k)
		ecsfs_strmap_del(&t->by_id, k->id);
	group_remove(t, k);
	memmove(&t->v[i], &t->v[i + 1], (t->n - i - 1) * sizeof(*t->v));
	t->n--;
}

/* ---- the stored form: a JSON document of everything above ---- */

const struct ecsfs__task_time ecsfs__task_times[ECSFS__TASK_TIMES] = {
    {offsetof(struct task, created_ns), "created", "createdAt"},
    {offsetof(struct task, pull_started_ns), "pullStarted", "pullStartedAt"},
    {offsetof(struct task, pull_stopped_ns), "pullStopped", "pullStoppedAt"},
    {offsetof(struct task, started_ns), "started", "startedAt"},
    {offsetof(struct task, stopping_ns), "stopping", "stoppingAt"},
    {offsetof(struct task, exec_stopped_ns), "execStopped", "executionStoppedAt"},
    {offsetof(struct task, stopped_ns), "stopped", "stoppedAt"},
};

static void put_ns(json_t *o, const char *key, int64_t ns)
{
	if (ns)
		json_object_set_new(o, key, json_integer(ns));
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
	put_str(o, "instance", k->instance);
	if (k->kept)
		json_object_set(o, "kept", k->kept);
	put_ns(o, "protectedUntil", k->protected_ns);
	json_object_set_new(o, "desired", json_string(k->desired_running ? "RUNNING" : "STOPPED"));
	json_object_set_new(o, "last", json_string(state_names[k->last]));
	for (size_t i = 0; i < ECSFS__TASK_TIMES; i++)
		put_ns(o, ecsfs__task_times[i].saved, ecsfs__task_time(k, i));
	put_str(o, "stopCode", k->stop_code);
	put_str(o, "stoppedReason", k->stopped_reason);
	put_str(o, "pauseId", k->pause_id);
	json_object_set_new(o, "pauseRunning", json_boolean(k->pause_running));
	if (k->bindings)
		json_object_set(o, "bindings", k->bindings);
	if (k->aliases)
		json_object_set(o, "aliases", k->aliases);
	put_str(o, "address", k->address);
	put_str(o, "network", k->network);
	if (k->eni)
		json_object_set_new(o, "eni", ecsfs__task_eni(k));
	json_object_set_new(o, "detached", json_boolean(k->detached));
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
	k->taskdef = ecsfs__task_intern(t, k->family, k->revision,
					json_incref(json_object_get(o, "taskdef")));
	k->overrides = json_incref(json_object_get(o, "overrides"));
	k->started_by = ecsfs__xstrdup(get_str(o, "startedBy"));
	k->group = ecsfs__xstrdup(get_str(o, "group"));
	k->instance = ecsfs__xstrdup(get_str(o, "instance"));
	k->kept = json_incref(json_object_get(o, "kept"));
	k->protected_ns = get_ns(o, "protectedUntil");
	k->desired_running =
	    strcmp(get_str(o, "desired") ? get_str(o, "desired") : "", "RUNNING") == 0;
	last = state_from_name(get_str(o, "last"));
	for (size_t i = 0; i < ECSFS__TASK_TIMES; i++)
		*ecsfs__task_time_at(k, i) = get_ns(o, ecsfs__task_times[i].saved);
	k->stop_code = ecsfs__xstrdup(get_str(o, "stopCode"));
	k->stopped_reason = ecsfs__xstrdup(get_str(o, "stoppedReason"));
	k->pause_id = ecsfs__xstrdup(get_str(o, "pauseId"));
	k->pause_running = json_is_true(json_object_get(o, "pauseRunning"));
	k->bindings = json_incref(json_object_get(o, "bindings"));
	k->aliases = json_incref(json_object_get(o, "aliases"));
	k->address = ecsfs__xstrdup(get_str(o, "address"));
	k->network = ecsfs__xstrdup(get_str(o, "network"));
	ecsfs__task_set_eni(k, json_incref(json_object_get(o, "eni")));
	k->detached = json_is_true(json_object_get(o, "detached"));
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

/* Tell the front end (caches) and the scheduler (a service may want to
 * replace the task) that a task changed. */
static void tell_change(ecsfs_tasks *t, const char *cluster, const char *id)
{
	if (t->on_change)
		t->on_change(t->on_change_data, cluster, id);
	if (t->on_sched)
		t->on_sched(t->on_sched_data, cluster, id);
}

void ecsfs__task_changed(struct task *k)
{
	tell_change(k->owner, k->cluster, k->id);
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

int ecsfs__tasks_open(ecsfs_tasks *t, const char *state_dir, ecsfs_buf *why)
{
	ecsfs_buf dir = ECSFS_BUF_INIT;
	int r;

	ecsfs_buf_addf(&dir, "%s/logs", state_dir);
	if (mkdir(dir.data, 0700) < 0 && errno != EEXIST) {
		r = -errno;
		ecsfs_buf_setf(why, "cannot create %s: %s", dir.data, strerror(errno));
		ecsfs_buf_release(&dir);
		return r;
	}
	t->log_dir = ecsfs_buf_detach(&dir, NULL);
	if ((r = instance_id(t->store, t->instance, why)) < 0)
		return r;
	if ((r = ecsfs_store_task_load(t->store, load_cb, t)) < 0) {
		ecsfs_buf_setf(why, "cannot load tasks: %s", ecsfs_store_last_error(t->store));
		return r;
	}
	return 0;
}

void ecsfs_tasks_set_change_cb(ecsfs_tasks *t, ecsfs_tasks_change_cb cb, void *data)
{
	t->on_change = cb;
	t->on_change_data = data;
}

void ecsfs_tasks_set_scheduler_cb(ecsfs_tasks *t, ecsfs_tasks_change_cb cb, void *data)
{
	t->on_sched = cb;
	t->on_sched_data = data;
}

void ecsfs__tasks_release(ecsfs_tasks *t)
{
	size_t pos = 0;
	const char *key;
	void *g;

	while (ecsfs_strmap_next(&t->by_group, &pos, &key, &g)) {
		free(((struct ecsfs__task_group *)g)->v);
		free(g);
	}
	ecsfs_strmap_release(&t->by_group);
	ecsfs_strmap_release(&t->by_id);
	pos = 0;
	while (ecsfs_strmap_next(&t->taskdefs, &pos, &key, &g))
		json_decref(g);
	ecsfs_strmap_release(&t->taskdefs);
	for (size_t i = 0; i < t->n; i++)
		ecsfs__task_free(t->v[i]);
	free(t->v);
	free(t->log_dir);
	t->v = NULL;
	t->n = t->alloc = 0;
	t->log_dir = NULL;
}

void ecsfs__task_drive(struct task *k)
{
	if (k->owner->drive)
		k->owner->drive(k);
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
		ecsfs_logindex_release(&k->c[i].idx);
	}
	if (k->task_log_fd >= 0)
		close(k->task_log_fd);
	k->task_log_fd = -1;
}

static void drop_tags(const struct task *k)
{
	ecsfs_buf arn = ECSFS_BUF_INIT;
	ecsfs_arn(&arn, "ecs", "task/%s/%s", k->cluster, k->id);
	ecsfs_tags_drop(k->owner->store, arn.data);
	ecsfs_buf_release(&arn);
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

/* Forget task i (STOPPED, nothing in flight): its row, its logs, its memory. */
static int task_forget(ecsfs_tasks *t, size_t i)
{
	struct task *k = t->v[i];
	char cluster[256], id[33];
	int r = ecsfs_store_task_delete(t->store, k->id);

	if (r < 0 && r != -ENOENT)
		return r;
	drop_tags(k);
	remove_log_dir(t, k->id);
	tasks_remove_at(t, i);
	snprintf(cluster, sizeof(cluster), "%s", k->cluster);
	memcpy(id, k->id, sizeof(id));
	ecsfs__task_free(k);
	tell_change(t, cluster, id);
	return 0;
}

void ecsfs__tasks_expire(ecsfs_tasks *t)
{
	int64_t now = ecsfs_now_ns();
	size_t stopped = 0;

	for (size_t i = 0; i < t->n; i++)
		stopped += t->v[i]->last == T_STOPPED;
	for (size_t i = 0; i < t->n;) {
		struct task *k = t->v[i];
		bool old = k->stopped_ns &&
			   now - k->stopped_ns > (int64_t)ECSFS_TASK_RETENTION * 1000000000ll;

		if (k->last == T_STOPPED && !k->inflight &&
		    (old || stopped > ECSFS_TASKS_KEPT_MAX) && task_forget(t, i) == 0) {
			stopped--;
			continue;
		}
		i++;
	}
}

void ecsfs__tasks_forget(ecsfs_tasks *t, const char *cluster)
{
	for (size_t i = 0; i < t->n;) {
		struct task *k = t->v[i];
		if (strcmp(k->cluster, cluster) == 0 && k->last == T_STOPPED && !k->inflight) {
			drop_tags(k);
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

/* Record the stop and its event line in one transaction: both or neither. */
static int record_stop(struct task *k)
{
	int r;

	if ((r = ecsfs_store_begin(k->owner->store)) < 0)
		return r;
	if ((r = ecsfs__task_persist(k)) < 0) {
		ecsfs_store_rollback(k->owner->store);
		return r;
	}
	ecsfs__task_event(k, "stop requested: %s", k->stopped_reason);
	return ecsfs_store_commit(k->owner->store);
}

static int stop_task(ecsfs_tasks *t, const char *cluster, const char *id, const char *code,
		     const char *reason, size_t len, ecsfs_err *err)
{
	struct task *k = ecsfs__task_find_in(t, cluster, id);
	ecsfs_buf text = ECSFS_BUF_INIT;
	char *old_code, *old_reason;
	int r;

	if ((r = ecsfs_tasks_stop_check(t, cluster, id, reason, len, err)) < 0)
		return r;
	reason_line(reason, len, &text);
	/* a stop that is not recorded leaves the task as it was, all of it */
	old_code = k->stop_code;
	old_reason = k->stopped_reason;
	k->desired_running = false;
	k->stop_code = ecsfs__xstrdup(code);
	k->stopped_reason = ecsfs__xstrdup(text.len ? text.data : "Task stopped by user");
	ecsfs_buf_release(&text);
	if ((r = record_stop(k)) < 0) {
		k->desired_running = true;
		free(k->stop_code);
		free(k->stopped_reason);
		k->stop_code = old_code;
		k->stopped_reason = old_reason;
		k->version--;
		return ecsfs_err_set(err, ECSFS_E_SERVER, r, "cannot record the stop: %s",
				     ecsfs_store_last_error(t->store));
	}
	free(old_code);
	free(old_reason);
	ecsfs__task_changed(k);
	ecsfs__task_drive(k);
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
