/*
 * Schedules as EventBridge Scheduler names them: by group and name, the
 * cluster given by the target's ARN. The rows are the ones the spec files
 * show (spec/clusters/<c>/schedules/<name>.json, the CreateSchedule input
 * without Name); a name is one schedule of its group across all clusters.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/arn.h"
#include "ecsfs/util.h"
#include "model/schedule_private.h"

#define GROUP_DEFAULT "default"

/* The group a stored document names ("default" when none). */
static const char *group_of(const json_t *doc)
{
	const char *g = json_string_value(json_object_get(doc, "GroupName"));
	return g ? g : GROUP_DEFAULT;
}

/* The stored document of a schedule (caller decrefs), or NULL. */
static json_t *stored(ecsfs_schedules *sc, const char *cluster, const char *name)
{
	ecsfs_schedule_row row = {.doc = ECSFS_BUF_INIT};
	json_t *doc = NULL;

	if (ecsfs_store_schedule_get(sc->store, cluster, name, &row) == 0)
		doc = json_loads(row.doc.data, 0, NULL);
	ecsfs_buf_release(&row.doc);
	return doc;
}

typedef struct locate_ctx {
	ecsfs_schedules *sc;
	const char *group, *name; /* group NULL: any */
	char first[256];
	ecsfs_buf clusters; /* "a, b" of every match */
	int found;
} locate_ctx;

static int locate_one(void *data, const char *cluster)
{
	locate_ctx *l = data;
	json_t *doc = stored(l->sc, cluster, l->name);

	if (!doc)
		return 0;
	if (!l->group || !strcmp(group_of(doc), l->group)) {
		if (l->found++ == 0)
			snprintf(l->first, sizeof(l->first), "%s", cluster);
		ecsfs_buf_addf(&l->clusters, "%s%s", l->clusters.len ? ", " : "", cluster);
	}
	json_decref(doc);
	return 0;
}

int ecsfs_schedule_locate(ecsfs_schedules *sc, const char *group, const char *name,
			  char cluster[256], ecsfs_err *err)
{
	locate_ctx l = {sc, group ? group : GROUP_DEFAULT, name, "", ECSFS_BUF_INIT, 0};
	int r = ecsfs_store_schedule_clusters(sc->store, name, locate_one, &l);

	if (r < 0)
		r = ecsfs_err_set(err, ECSFS_E_SERVER, r, "cannot read the schedules: %s",
				  ecsfs_store_last_error(sc->store));
	else if (l.found == 0)
		r = ecsfs_err_set(err, ECSFS_E_RESOURCE_NOT_FOUND, -ENOENT,
				  "Schedule %s does not exist.", name);
	else if (l.found > 1)
		r = ecsfs_err_set(err, ECSFS_E_RESOURCE_IN_USE, -EEXIST,
				  "schedule %s of group %s is in clusters %s: rename all but one "
				  "of their spec files",
				  name, l.group, l.clusters.data);
	else
		snprintf(cluster, 256, "%s", l.first);
	ecsfs_buf_release(&l.clusters);
	return r;
}

/* The cluster Target.Arn names: arn:aws:ecs:<region>:<account>:cluster/<name>. */
static int target_cluster(const json_t *in, char cluster[256], ecsfs_err *err)
{
	const char *arn = json_string_value(json_object_get(json_object_get(in, "Target"), "Arn"));
	const char *res = arn ? ecsfs_arn_resource(arn, "ecs") : NULL;

	if (!json_is_object(json_object_get(in, "Target")))
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "Target: is required (an object)");
	if (!arn)
		return ecsfs_err_set(
		    err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
		    "Target.Arn: is required: the ARN of the ECS cluster to run in");
	if (!res || strncmp(res, "cluster/", 8) != 0 || !res[8] || strlen(res + 8) > 255 ||
	    strchr(res + 8, '/'))
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "Target.Arn: '%.200s' is not an ECS cluster ARN "
				     "(arn:aws:ecs:<region>:<account>:cluster/<name>): schedules "
				     "here run ECS tasks only",
				     arn);
	snprintf(cluster, 256, "%s", res + 8);
	return 0;
}

typedef struct group_ctx {
	ecsfs_schedules *sc;
	json_t *names; /* a set: name -> true */
} group_ctx;

static int group_one(void *data, const char *cluster, const char *name)
{
	group_ctx *g = data;
	json_t *doc = stored(g->sc, cluster, name);

	if (doc)
		json_object_set_new(g->names, group_of(doc), json_true());
	json_decref(doc);
	return 0;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *ecsfs_schedule_groups(ecsfs_schedules *sc)
{
	group_ctx g = {sc, json_object()};
	json_t *out = json_array(), *v;
	const char *k, **keys;
	size_t n = 0;

	json_object_set_new(g.names, GROUP_DEFAULT, json_true());
	ecsfs_store_schedule_list_all(sc->store, group_one, &g);
	if (!(keys = calloc(json_object_size(g.names), sizeof(*keys))))
		abort();
	json_object_foreach(g.names, k, v)
		keys[n++] = k;
	qsort(keys, n, sizeof(*keys), str_cmp);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(out, json_string(keys[i]));
	free(keys);
	json_decref(g.names);
	return out;
}

typedef struct group_find {
	ecsfs_schedules *sc;
	const char *group;
	bool found;
} group_find;

static int group_match(void *data, const char *cluster, const char *name)
{
	group_find *g = data;
	json_t *doc = stored(g->sc, cluster, name);

	g->found = doc && !strcmp(group_of(doc), g->group);
	json_decref(doc);
	return g->found; /* stop at the first */
}

int ecsfs_schedule_group_exists(ecsfs_schedules *sc, const char *group, ecsfs_err *err)
{
	group_find g = {sc, group, !strcmp(group, GROUP_DEFAULT)};

	if (!g.found)
		ecsfs_store_schedule_list_all(sc->store, group_match, &g);
	if (g.found)
		return 0;
	return ecsfs_err_set(err, ECSFS_E_RESOURCE_NOT_FOUND, -ENOENT,
			     "Schedule group %s does not exist.", group);
}

/* The request as the spec file keeps it: without what names it. */
static json_t *as_file(const json_t *in)
{
	json_t *doc = json_deep_copy(in);

	json_object_del(doc, "Name");
	json_object_del(doc, "ClientToken");
	return doc;
}

/* Where the request would put the schedule now: create needs the name free
 * in its group, update needs it there (and may move it across clusters). */
static int place(ecsfs_schedules *sc, const char *name, const char *group, bool create,
		 char old[256], ecsfs_err *err)
{
	ecsfs_err probe = ECSFS_ERR_INIT;
	int r = ecsfs_schedule_locate(sc, group, name, old, &probe);

	if (create && r != -ENOENT) {
		ecsfs_err_release(&probe);
		if (r < 0 && r != -EEXIST)
			return ecsfs_err_set(err, ECSFS_E_SERVER, r, "cannot read the schedules");
		return ecsfs_err_set(err, ECSFS_E_RESOURCE_IN_USE, -EEXIST,
				     "Schedule %s already exists.", name);
	}
	if (!create && r < 0) {
		ecsfs_buf_setf(&err->msg, "%s", probe.msg.data);
		err->code = probe.code, err->kind = probe.kind;
		ecsfs_err_release(&probe);
		return r;
	}
	ecsfs_err_release(&probe);
	if (create)
		old[0] = '\0';
	return create ? ecsfs_schedule_group_exists(sc, group, err) : 0;
}

int ecsfs_schedule_put_named(ecsfs_schedules *sc, const json_t *in, bool create, ecsfs_buf *arn,
			     ecsfs_err *err)
{
	const char *name = json_string_value(json_object_get(in, "Name"));
	char cluster[256], old[256];
	json_t *doc;
	int r;

	if (!name)
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL, "Name: is required");
	if ((r = target_cluster(in, cluster, err)) < 0 ||
	    (r = ecsfs_schedule_check(cluster, name, in, err)) < 0 ||
	    (r = place(sc, name, group_of(in), create, old, err)) < 0)
		return r;
	doc = as_file(in);
	r = ecsfs_schedule_put(sc, cluster, name, doc, NULL, err);
	json_decref(doc);
	if (r == 0 && old[0] && strcmp(old, cluster) != 0)
		r = ecsfs_schedule_delete(sc, old, name, err); /* moved to another cluster */
	if (r == 0 && arn)
		ecsfs_arn(arn, "scheduler", "schedule/%s/%s", group_of(in), name);
	return r;
}

/* A schedule ListSchedules may show: its name and cluster. */
typedef struct entry {
	char *name, *cluster;
} entry;

typedef struct summary_ctx {
	ecsfs_schedules *sc;
	const char *group, *prefix, *state;
	entry *v;
	size_t n, cap;
} summary_ctx;

/* The group and state filters need the document; the prefix does not. */
static bool wanted(summary_ctx *s, const char *cluster, const char *name)
{
	json_t *doc;
	const char *state;
	bool yes;

	if (s->prefix && strncmp(name, s->prefix, strlen(s->prefix)) != 0)
		return false;
	if (!s->group && !s->state)
		return true;
	if (!(doc = stored(s->sc, cluster, name)))
		return false;
	state = json_string_value(json_object_get(doc, "State"));
	yes = (!s->group || !strcmp(s->group, group_of(doc))) &&
	      (!s->state || !strcmp(s->state, state ? state : "ENABLED"));
	json_decref(doc);
	return yes;
}

static int summary_one(void *data, const char *cluster, const char *name)
{
	summary_ctx *s = data;

	if (!wanted(s, cluster, name))
		return 0;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		if (!(s->v = realloc(s->v, s->cap * sizeof(*s->v))))
			abort();
	}
	s->v[s->n++] = (entry){strdup(name), strdup(cluster)};
	return 0;
}

static int by_name(const void *a, const void *b)
{
	const entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->cluster, y->cluster);
}

/* ScheduleSummary from GetSchedule's shape. */
static json_t *summary(ecsfs_schedules *sc, const entry *e)
{
	static const char *const keys[] = {
	    "Arn", "CreationDate", "GroupName", "LastModificationDate", "Name", "State"};
	json_t *d, *o;

	if (ecsfs_schedule_describe(sc, e->cluster, e->name, &d) < 0)
		return NULL;
	o = json_object();
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		json_object_set(o, keys[i], json_object_get(d, keys[i]));
	json_object_set_new(
	    o, "Target",
	    json_pack("{s:O}", "Arn", json_object_get(json_object_get(d, "Target"), "Arn")));
	json_decref(d);
	return o;
}

json_t *ecsfs_schedule_summaries(ecsfs_schedules *sc, const char *group, const char *prefix,
				 const char *state, size_t from, size_t limit, size_t *total)
{
	summary_ctx s = {sc, group, prefix, state, NULL, 0, 0};
	json_t *out = json_array(), *o;

	ecsfs_store_schedule_list_all(sc->store, summary_one, &s);
	if (s.n)
		qsort(s.v, s.n, sizeof(*s.v), by_name);
	for (size_t i = from; i < s.n && i - from < limit; i++)
		if ((o = summary(sc, &s.v[i])))
			json_array_append_new(out, o);
	for (size_t i = 0; i < s.n; i++) {
		free(s.v[i].name);
		free(s.v[i].cluster);
	}
	free(s.v);
	*total = s.n;
	return out;
}
