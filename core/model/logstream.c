/*
 * Log groups and streams: which group and stream each container of each
 * task writes to (awslogs' names, see include/ecsfs/logstream.h), and
 * DescribeLogGroups / DescribeLogStreams over them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ecsfs/arn.h"
#include "ecsfs/cluster.h"
#include "ecsfs/taskdef.h"
#include "model/logstream_private.h"

#define DEFAULT_PREFIX "ecs"

/* ---- the catalog ---- */

struct tinfo {
	char id[33];
	char *cluster, *family;
	int64_t revision, created_ns, started_ns;
};

struct tlist {
	ecsfs_tasks *t;
	struct tinfo *v;
	size_t n, cap;
	const char *cluster;
};

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		abort();
	return q;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s ? s : "");
	if (!d)
		abort();
	return d;
}

static int add_task(void *data, const ecsfs_task_info *in)
{
	struct tlist *l = data;
	struct tinfo *ti;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	ti = &l->v[l->n++];
	snprintf(ti->id, sizeof(ti->id), "%s", in->id);
	ti->cluster = xstrdup(l->cluster);
	ti->family = xstrdup(in->family);
	ti->revision = in->revision;
	ti->created_ns = in->created_ns;
	ti->started_ns = in->started_ns;
	return 0;
}

static int add_cluster(void *data, const char *name)
{
	struct tlist *l = data;
	l->cluster = name;
	return ecsfs_tasks_foreach(l->t, name, NULL, add_task, l);
}

struct names {
	char **v;
	size_t n;
};

static int add_name(void *data, const char *name)
{
	struct names *ns = data;
	ns->v = xrealloc(ns->v, (ns->n + 1) * sizeof(*ns->v));
	ns->v[ns->n++] = xstrdup(name);
	return 0;
}

static void names_release(struct names *ns)
{
	for (size_t i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
	ns->v = NULL;
	ns->n = 0;
}

/* The awslogs options of container `name` in a describe-task-definition
 * object, or NULL when it does not use awslogs. */
static const json_t *awslogs_options(const json_t *td, const char *name)
{
	size_t i;
	json_t *d;

	json_array_foreach(json_object_get(td, "containerDefinitions"), i, d) {
		const json_t *lc = json_object_get(d, "logConfiguration");
		const char *driver = json_string_value(json_object_get(lc, "logDriver"));
		const char *n = json_string_value(json_object_get(d, "name"));
		if (!n || strcmp(n, name) != 0)
			continue;
		if (!driver || strcmp(driver, "awslogs") != 0)
			return NULL;
		return json_object_get(lc, "options");
	}
	return NULL;
}

const char *ecsfs__lgroup_of(const json_t *td, const char *family, const char *container,
			     ecsfs_buf *group)
{
	const json_t *opt = awslogs_options(td, container);
	const char *g = json_string_value(json_object_get(opt, "awslogs-group"));

	if (!g || !*g) {
		ecsfs_buf_addf(group, "/ecs/%s", family);
		return DEFAULT_PREFIX;
	}
	ecsfs_buf_adds(group, g);
	return json_string_value(json_object_get(opt, "awslogs-stream-prefix"));
}

/* The engine id of a container, which names its stream when awslogs has
 * no prefix ("" while it was never created). */
static void runtime_id(ecsfs_tasks *t, const struct tinfo *ti, const char *name, ecsfs_buf *out)
{
	json_t *doc = NULL, *c;
	size_t i;

	if (ecsfs_tasks_describe(t, ti->cluster, ti->id, &doc) < 0)
		return;
	json_array_foreach(json_object_get(doc, "containers"), i, c) {
		const char *rid = json_string_value(json_object_get(c, "runtimeId"));
		if (rid && strcmp(json_string_value(json_object_get(c, "name")), name) == 0)
			ecsfs_buf_adds(out, rid);
	}
	json_decref(doc);
}

/* Where container `name` of task `ti` writes: group and stream names. */
static void stream_names(ecsfs_tasks *t, const struct tinfo *ti, const json_t *td, const char *name,
			 ecsfs_buf *group, ecsfs_buf *stream)
{
	const char *p = ecsfs__lgroup_of(td, ti->family, name, group);

	if (p && *p)
		ecsfs_buf_addf(stream, "%s/%s/%s", p, name, ti->id);
	else
		runtime_id(t, ti, name, stream);
	if (!stream->len) /* never created: named as with the default prefix */
		ecsfs_buf_addf(stream, "%s/%s/%s", DEFAULT_PREFIX, name, ti->id);
}

static void add_stream(struct lcatalog *c, const char *group, const char *name, ecsfs_buf *path,
		       const struct tinfo *ti)
{
	struct lstream *st;

	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->v = xrealloc(c->v, c->cap * sizeof(*c->v));
	}
	st = &c->v[c->n++];
	st->group = xstrdup(group);
	st->name = xstrdup(name);
	st->path = ecsfs_buf_detach(path, NULL);
	st->created_ms = ti->created_ns / 1000000;
	st->dflt_ms = (ti->started_ns ? ti->started_ns : ti->created_ns) / 1000000;
}

/* `td`: the task's revision in describe shape, NULL when it is gone. */
static void add_task_streams(ecsfs_tasks *t, const struct tinfo *ti, const json_t *td,
			     const char *want, struct lcatalog *c)
{
	struct names ns = {0};
	ecsfs_buf g = ECSFS_BUF_INIT, st = ECSFS_BUF_INIT, path = ECSFS_BUF_INIT;

	ecsfs_tasks_containers(t, ti->cluster, ti->id, add_name, &ns);
	for (size_t i = 0; i < ns.n; i++) {
		ecsfs_buf_reset(&g);
		ecsfs_buf_reset(&st);
		ecsfs_buf_reset(&path);
		stream_names(t, ti, td, ns.v[i], &g, &st);
		if (want && strcmp(want, g.data) != 0)
			continue;
		if (ecsfs_tasks_log_path(t, ti->cluster, ti->id, ns.v[i], &path) < 0)
			continue;
		add_stream(c, g.data, st.data, &path, ti);
	}
	names_release(&ns);
	ecsfs_buf_release(&g);
	ecsfs_buf_release(&st);
	ecsfs_buf_release(&path);
}

static int cmp_stream(const void *a, const void *b)
{
	const struct lstream *x = a, *y = b;
	int r = strcmp(x->group, y->group);
	return r ? r : strcmp(x->name, y->name);
}

static int cmp_revision(const void *a, const void *b)
{
	const struct tinfo *x = a, *y = b;
	int r = strcmp(x->family, y->family);
	return r ? r : (x->revision > y->revision) - (x->revision < y->revision);
}

/* Every task's streams, reading each revision once (tasks in revision order). */
static void add_all_streams(ecsfs_tasks *t, ecsfs_store *s, struct tlist *l, const char *want,
			    struct lcatalog *c)
{
	json_t *td = NULL;
	ecsfs_err e = ECSFS_ERR_INIT;

	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), cmp_revision);
	for (size_t i = 0; i < l->n; i++) {
		if (i == 0 || cmp_revision(&l->v[i - 1], &l->v[i]) != 0) {
			json_decref(td);
			td = NULL;
			ecsfs_err_reset(&e);
			if (ecsfs_taskdef_describe(s, l->v[i].family, l->v[i].revision, &td, &e) <
			    0)
				td = NULL; /* a deleted revision: the default names */
		}
		add_task_streams(t, &l->v[i], td, want, c);
	}
	json_decref(td);
	ecsfs_err_release(&e);
}

static void tlist_release(struct tlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].cluster);
		free(l->v[i].family);
	}
	free(l->v);
}

int ecsfs__lcat_build(ecsfs_tasks *t, ecsfs_store *s, const char *group, struct lcatalog *out,
		      ecsfs_err *err)
{
	struct tlist l = {.t = t};
	int r;

	memset(out, 0, sizeof(*out));
	if (!t)
		return 0;
	if ((r = ecsfs_store_cluster_list(s, add_cluster, &l)) < 0) {
		tlist_release(&l);
		return ecsfs_err_set(err, ECSFS_E_SERVER, r, "cannot list clusters: %s",
				     ecsfs_store_last_error(s));
	}
	add_all_streams(t, s, &l, group, out);
	tlist_release(&l);
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp_stream);
	return 0;
}

void ecsfs__lcat_release(struct lcatalog *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].group);
		free(c->v[i].name);
		free(c->v[i].path);
	}
	free(c->v);
	memset(c, 0, sizeof(*c));
}

const struct lstream *ecsfs__lcat_find(const struct lcatalog *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i].name, name) == 0)
			return &c->v[i];
	return NULL;
}

/* ---- describe ---- */

static json_t *group_json(const char *name, int64_t created_ms, uint64_t bytes)
{
	json_t *g = json_object();
	json_object_set_new(g, "logGroupName", json_string(name));
	json_object_set_new(g, "creationTime", json_integer(created_ms));
	json_object_set_new(g, "metricFilterCount", json_integer(0));
	json_object_set_new(g, "arn", ecsfs_arn_json("logs", "log-group:%s:*", name));
	json_object_set_new(g, "storedBytes", json_integer((json_int_t)bytes));
	return g;
}

static uint64_t log_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

static bool group_wanted(const char *name, const char *prefix, const char *pattern)
{
	if (prefix && strncmp(name, prefix, strlen(prefix)) != 0)
		return false;
	return !pattern || strstr(name, pattern);
}

int ecsfs_logstream_groups(ecsfs_tasks *t, ecsfs_store *s, const char *prefix, const char *pattern,
			   json_t **out, ecsfs_err *err)
{
	struct lcatalog c;
	struct lgroups g = {0};
	json_t *all;
	int r = ecsfs__lcat_build(t, s, NULL, &c, err);

	if (r < 0)
		return r;
	for (size_t i = 0; i < c.n; i++)
		ecsfs__lgroups_add(&g, c.v[i].group, c.v[i].created_ms, log_size(c.v[i].path));
	ecsfs__lcat_release(&c);
	ecsfs__lgroups_from_taskdefs(s, &g);
	ecsfs__lgroups_fold(&g);
	all = json_array();
	for (size_t i = 0; i < g.n; i++)
		if (group_wanted(g.v[i].name, prefix, pattern))
			json_array_append_new(
			    all, group_json(g.v[i].name, g.v[i].created_ms, g.v[i].bytes));
	ecsfs__lgroups_release(&g);
	*out = all;
	return 0;
}

int ecsfs__lgroup_missing(ecsfs_store *s, const char *group, ecsfs_err *err)
{
	struct lgroups g = {0};
	bool known;

	ecsfs__lgroups_from_taskdefs(s, &g);
	known = ecsfs__lgroups_has(&g, group);
	ecsfs__lgroups_release(&g);
	if (known)
		return 0;
	return ecsfs_err_set(err, ECSFS_E_RESOURCE_NOT_FOUND, -ENOENT,
			     "The specified log group does not exist.");
}

/* lastEventTimestamp, kept beside each stream's object while sorting */
struct srow {
	json_t *j;
	int64_t last_ms;
	const char *name;
};

static json_t *stream_json(const struct lstream *st, int64_t *last_out)
{
	json_t *j = json_object();
	struct lreader r;
	int64_t first, last;

	ecsfs__lread_open(&r, st);
	json_object_set_new(j, "logStreamName", json_string(st->name));
	json_object_set_new(j, "creationTime", json_integer(st->created_ms));
	*last_out = 0;
	if (ecsfs__lread_span(&r, &first, &last)) {
		json_object_set_new(j, "firstEventTimestamp", json_integer(first));
		json_object_set_new(j, "lastEventTimestamp", json_integer(last));
		json_object_set_new(j, "lastIngestionTime", json_integer(r.mtime_ms));
		*last_out = last;
	}
	json_object_set_new(
	    j, "arn", ecsfs_arn_json("logs", "log-group:%s:log-stream:%s", st->group, st->name));
	json_object_set_new(j, "storedBytes", json_integer((json_int_t)r.size));
	ecsfs__lread_close(&r);
	return j;
}

static int cmp_srow(const void *a, const void *b, void *descending)
{
	const struct srow *x = a, *y = b;
	int r = x->last_ms < y->last_ms ? -1 : x->last_ms > y->last_ms;
	if (!r)
		r = strcmp(x->name, y->name);
	return *(bool *)descending ? -r : r;
}

int ecsfs_logstream_streams(ecsfs_tasks *t, ecsfs_store *s, const char *group, const char *prefix,
			    bool by_time, bool descending, json_t **out, ecsfs_err *err)
{
	struct lcatalog c;
	struct srow *rows;
	size_t n = 0;
	json_t *all;
	int r = ecsfs__lcat_build(t, s, group, &c, err);

	if (r < 0)
		return r;
	if (!c.n && (r = ecsfs__lgroup_missing(s, group, err)) < 0) {
		ecsfs__lcat_release(&c);
		return r;
	}
	rows = xrealloc(NULL, c.n * sizeof(*rows));
	for (size_t i = 0; i < c.n; i++) {
		if (prefix && strncmp(c.v[i].name, prefix, strlen(prefix)) != 0)
			continue;
		rows[n].j = stream_json(&c.v[i], &rows[n].last_ms);
		rows[n].name = c.v[i].name;
		if (!by_time)
			rows[n].last_ms = 0;
		n++;
	}
	qsort_r(rows, n, sizeof(*rows), cmp_srow, &descending);
	all = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(all, rows[i].j);
	free(rows);
	ecsfs__lcat_release(&c);
	*out = all;
	return 0;
}
