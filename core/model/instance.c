/*
 * ecsfs — container instances: the registered engines of each cluster
 * (their rows, spec files and runtimes), `local` (the daemon's own
 * engine), what each host registers (its /info), and whether it answers.
 * What they look like is instance_describe.c; the document's rules are
 * instance_shape.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/cluster.h"
#include "ecsfs/util.h"
#include "model/instance_private.h"

struct host_call {
	struct ecsfs__inst *e; /* NULL once the instance went away */
};

static char *xstrdup(const char *s)
{
	char *p = s ? strdup(s) : NULL;
	if (s && !p)
		abort();
	return p;
}

static void spec_dir(const char *cluster, ecsfs_buf *out)
{
	ecsfs_buf_setf(out, "/spec/clusters/%s/instances", cluster);
}

void ecsfs__inst_changed(ecsfs_instances *in, const char *cluster, const char *name)
{
	if (in->on_change)
		in->on_change(in->on_change_data, cluster, name);
	ecsfs_tasks_fleet_changed(in->tasks, cluster); /* services follow their instances */
}

/* Every cluster that has `e`: its own, or all of them for local. */
static int tell_cluster(void *data, const char *cluster)
{
	struct ecsfs__inst *e = data;
	ecsfs__inst_changed(e->owner, cluster, e->name);
	return 0;
}

static void tell(struct ecsfs__inst *e)
{
	if (e->cluster)
		ecsfs__inst_changed(e->owner, e->cluster, e->name);
	else
		ecsfs_store_cluster_list(e->owner->store, tell_cluster, e);
}

struct ecsfs__inst *ecsfs__inst_find(ecsfs_instances *in, const char *cluster, const char *name)
{
	if (strcmp(name, ECSFS_INSTANCE_LOCAL) == 0)
		return &in->local;
	for (struct ecsfs__inst *e = in->list; e; e = e->next)
		if (strcmp(e->cluster, cluster) == 0 && strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

bool ecsfs__inst_connected(const struct ecsfs__inst *e)
{
	ecsfs_runtime_info info;

	if (!e->rt)
		return false;
	ecsfs_runtime_get_info(e->rt, &info);
	return info.reachable;
}

void ecsfs__inst_row(ecsfs_instances *in, const char *cluster, const char *name, char status[16],
		     json_t **attrs)
{
	ecsfs_instance_row row;

	ecsfs_instance_row_init(&row);
	snprintf(status, 16, "ACTIVE");
	if (attrs)
		*attrs = NULL;
	if (ecsfs_store_instance_get(in->store, cluster, name, &row) == 0) {
		snprintf(status, 16, "%s", row.status);
		if (attrs)
			*attrs = json_loadb(row.attrs.data, row.attrs.len, 0, NULL);
	}
	if (attrs && !json_is_array(*attrs)) {
		json_decref(*attrs);
		*attrs = json_array();
	}
	ecsfs_instance_row_release(&row);
}

/* ---- the host behind an engine ---- */

static void on_host(void *data, int err, json_t *result, const char *errmsg)
{
	struct host_call *h = data;
	struct ecsfs__inst *e = h->e;

	free(h);
	if (!e)
		return;
	e->pending = NULL;
	if (err) {
		snprintf(e->why, sizeof(e->why), "cannot read the engine's /info: %s", errmsg);
	} else {
		json_decref(e->host);
		e->host = json_incref(result);
		e->why[0] = '\0';
	}
	tell(e);
}

static void read_host(struct ecsfs__inst *e)
{
	struct host_call *h;

	if (e->pending || !e->rt || !e->rt->ops->host)
		return;
	h = calloc(1, sizeof(*h));
	if (!h)
		return;
	h->e = e;
	if (e->rt->ops->host(e->rt, on_host, h) < 0) {
		free(h);
		return;
	}
	e->pending = h;
}

/* Reachability as the runtime has it now, against what was seen last. */
static void look(struct ecsfs__inst *e)
{
	bool up = ecsfs__inst_connected(e);

	if (up == e->up) {
		if (up && !e->host)
			read_host(e);
		return;
	}
	e->up = up;
	ecsfs_tasks_engine_changed(e->owner->tasks, e->rt);
	if (up) {
		e->down_since_ns = e->down_since_mono = 0;
		e->lost = false;
		read_host(e); /* it may have changed while it was away */
	} else {
		e->down_since_ns = ecsfs_now_ns();
		e->down_since_mono = ecsfs_mono_ns();
	}
	tell(e);
}

static void on_engine_change(ecsfs_runtime *rt, void *data)
{
	look(data);
}

void ecsfs_instances_local_changed(ecsfs_instances *in)
{
	look(&in->local);
}

/* Down past lost_after: its tasks are STOPPED and placed elsewhere. The
 * daemon's own engine is never lost: its tasks wait for it, as they did
 * before there were other engines. */
static void maybe_lost(struct ecsfs__inst *e)
{
	ecsfs_instances *in = e->owner;
	ecsfs_buf reason = ECSFS_BUF_INIT;
	size_t n;

	if (!e->cluster || e->up || e->lost || !e->down_since_mono ||
	    ecsfs_mono_ns() - e->down_since_mono < (int64_t)in->o.lost_after_s * 1000000000ll)
		return;
	e->lost = true;
	ecsfs_buf_addf(&reason,
		       "Container instance %s was lost: its engine at %s did not answer for %d s",
		       e->name, e->endpoint, in->o.lost_after_s);
	n = ecsfs_tasks_engine_lost(in->tasks, e->cluster, e->name, reason.data);
	ecsfs_cluster_event(in->store, e->cluster,
			    "(container-instance %s) was lost: %zu %s stopped.", e->name, n,
			    n == 1 ? "task" : "tasks");
	ecsfs_buf_release(&reason);
	tell(e);
}

void ecsfs_instances_sweep(ecsfs_instances *in)
{
	look(&in->local);
	for (struct ecsfs__inst *e = in->list; e; e = e->next) {
		look(e);
		maybe_lost(e);
	}
}

/* ---- registered instances in memory ---- */

static void tls_paths(const json_t *doc, const char **ca, const char **cert, const char **key)
{
	json_t *tls = json_object_get(doc, "tls");

	*ca = json_string_value(json_object_get(tls, "ca"));
	*cert = json_string_value(json_object_get(tls, "cert"));
	*key = json_string_value(json_object_get(tls, "key"));
}

/* Its runtime, from the factory; an engine that cannot be made says why. */
static void engine_open(ecsfs_instances *in, struct ecsfs__inst *e)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	const char *ca, *cert, *key;
	int r;

	tls_paths(e->doc, &ca, &cert, &key);
	if (!in->o.engine) {
		snprintf(e->why, sizeof(e->why), "no engine client is configured");
		return;
	}
	r = in->o.engine(in->o.engine_data, e->endpoint, ca, cert, key, &e->rt, &why);
	if (r < 0) {
		snprintf(e->why, sizeof(e->why), "%s", why.len ? why.data : strerror(-r));
		e->rt = NULL;
	} else {
		e->owned = true;
		e->rt->on_change = on_engine_change;
		e->rt->on_change_data = e;
		ecsfs_runtime_start(e->rt);
	}
	ecsfs_buf_release(&why);
}

static void rt_closed(void *data)
{
	(void)data;
}

static void engine_close(struct ecsfs__inst *e)
{
	if (e->pending) {
		e->pending->e = NULL;
		e->pending = NULL;
	}
	if (e->rt && e->owned) {
		e->rt->on_change = NULL;
		ecsfs_runtime_close(e->rt, rt_closed, NULL);
	}
	e->rt = NULL;
}

static void inst_free(struct ecsfs__inst *e)
{
	engine_close(e);
	json_decref(e->doc);
	json_decref(e->host);
	free(e->cluster);
	free(e->name);
	free(e->endpoint);
	free(e);
}

static struct ecsfs__inst *inst_add(ecsfs_instances *in, const char *cluster, const char *name,
				    json_t *doc, int64_t registered_ns)
{
	struct ecsfs__inst *e = calloc(1, sizeof(*e));

	if (!e)
		abort();
	e->owner = in;
	e->cluster = xstrdup(cluster);
	e->name = xstrdup(name);
	e->doc = doc;
	e->endpoint = xstrdup(json_string_value(json_object_get(doc, "endpoint")));
	e->registered_ns = registered_ns;
	e->next = in->list;
	in->list = e;
	engine_open(in, e);
	if (e->rt && in->tasks)
		ecsfs_tasks_engine_add(in->tasks, cluster, name, e->endpoint, e->rt);
	look(e);
	return e;
}

static void inst_remove(ecsfs_instances *in, struct ecsfs__inst *gone)
{
	for (struct ecsfs__inst **pp = &in->list; *pp; pp = &(*pp)->next) {
		if (*pp == gone) {
			*pp = gone->next;
			if (in->tasks)
				ecsfs_tasks_engine_remove(in->tasks, gone->cluster, gone->name);
			inst_free(gone);
			return;
		}
	}
}

/* Load one row of the store ("cluster/name"). */
static int load_one(void *data, const char *pair)
{
	ecsfs_instances *in = data;
	const char *slash = strchr(pair, '/');
	ecsfs_instance_row row;
	char cluster[256];
	json_t *doc;

	if (!slash || (size_t)(slash - pair) >= sizeof(cluster))
		return 0;
	memcpy(cluster, pair, (size_t)(slash - pair));
	cluster[slash - pair] = '\0';
	ecsfs_instance_row_init(&row);
	if (ecsfs_store_instance_get(in->store, cluster, slash + 1, &row) == 0 && row.doc.len &&
	    (doc = json_loadb(row.doc.data, row.doc.len, 0, NULL)))
		inst_add(in, cluster, slash + 1, doc, row.registered_ns);
	ecsfs_instance_row_release(&row);
	return 0;
}

int ecsfs_instances_new(uv_loop_t *loop, ecsfs_store *store, ecsfs_tasks *tasks,
			const ecsfs_instances_opts *opts, ecsfs_instances **out, ecsfs_buf *why)
{
	ecsfs_instances *in = calloc(1, sizeof(*in));
	int r;

	if (!in)
		return -ENOMEM;
	in->loop = loop;
	in->store = store;
	in->tasks = tasks;
	in->o = *opts;
	in->local_endpoint = xstrdup(opts->local_endpoint ? opts->local_endpoint : "");
	in->o.local_endpoint = in->local_endpoint;
	if (in->o.lost_after_s <= 0)
		in->o.lost_after_s = ECSFS_INSTANCE_LOST_AFTER_S;
	in->local.owner = in;
	in->local.name = xstrdup(ECSFS_INSTANCE_LOCAL);
	in->local.endpoint = xstrdup(in->local_endpoint);
	in->local.rt = opts->local;
	if (!in->local.rt)
		snprintf(in->local.why, sizeof(in->local.why), "the daemon has no engine");
	if ((r = ecsfs_store_instance_list_all(store, load_one, in)) < 0) {
		ecsfs_buf_setf(why, "cannot load the container instances: %s",
			       ecsfs_store_last_error(store));
		ecsfs_instances_free(in);
		return r;
	}
	look(&in->local);
	ecsfs__instances_placer(in);
	*out = in;
	return 0;
}

void ecsfs_instances_free(ecsfs_instances *in)
{
	if (!in)
		return;
	if (in->tasks) {
		ecsfs_tasks_set_placer(in->tasks, NULL, NULL);
		ecsfs_tasks_set_fleet(in->tasks, NULL);
	}
	while (in->list)
		inst_remove(in, in->list);
	in->local.rt = NULL; /* the daemon's: closed by the daemon */
	if (in->local.pending)
		in->local.pending->e = NULL;
	json_decref(in->local.host);
	free(in->local.name);
	free(in->local.endpoint);
	free(in->local_endpoint);
	free(in);
}

void ecsfs_instances_set_change_cb(ecsfs_instances *in, ecsfs_instances_change_cb cb, void *data)
{
	in->on_change = cb;
	in->on_change_data = data;
}

/* ---- registering ---- */

static int store_fault(ecsfs_store *s, const char *what, ecsfs_err *err)
{
	return ecsfs_err_set(err, ECSFS_E_SERVER, -EIO, "cannot %s the container instance: %s",
			     what, ecsfs_store_last_error(s));
}

/* No two instances on one engine: it would run every task twice over. */
static int endpoint_free(ecsfs_instances *in, const char *cluster, const char *name,
			 const char *endpoint, ecsfs_err *err)
{
	if (*in->local_endpoint && ecsfs__endpoint_same(endpoint, in->local_endpoint))
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "endpoint: %s is the daemon's own engine (instance local)",
				     endpoint);
	for (struct ecsfs__inst *e = in->list; e; e = e->next) {
		bool spelled_so = strcmp(e->endpoint, endpoint) == 0;

		if (!ecsfs__endpoint_same(e->endpoint, endpoint) ||
		    (strcmp(e->cluster, cluster) == 0 && strcmp(e->name, name) == 0))
			continue;
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "endpoint: %s is instance %s of cluster %s already%s%s%s",
				     endpoint, e->name, e->cluster, spelled_so ? "" : " (as ",
				     spelled_so ? "" : e->endpoint, spelled_so ? "" : ")");
	}
	return 0;
}

static int room(ecsfs_instances *in, const char *cluster, ecsfs_err *err)
{
	size_t n = 0;

	for (struct ecsfs__inst *e = in->list; e; e = e->next)
		n += strcmp(e->cluster, cluster) == 0;
	if (n >= ECSFS_INSTANCES_MAX)
		return ecsfs_err_set(err, ECSFS_E_LIMIT_EXCEEDED, -ENOSPC,
				     "cluster %s has %d container instances, the limit", cluster,
				     ECSFS_INSTANCES_MAX);
	return 0;
}

/* Write the row and the spec file in one transaction. */
static int put_rows(ecsfs_instances *in, const char *cluster, const char *name, const json_t *doc,
		    const ecsfs_spec_bytes *file, ecsfs_instance_row *row)
{
	ecsfs_buf dir = ECSFS_BUF_INIT;
	int r;

	spec_dir(cluster, &dir);
	if ((r = ecsfs_store_begin(in->store)) == 0) {
		if ((r = ecsfs_store_instance_put(in->store, cluster, name, row)) < 0 ||
		    (r = ecsfs_spec_file_put(in->store, dir.data, name, doc, file)) < 0)
			ecsfs_store_rollback(in->store);
		else
			r = ecsfs_store_commit(in->store);
	}
	ecsfs_buf_release(&dir);
	return r;
}

/* Only attributes or the provider differ: the engine, its connection and
 * the tasks on it stay as they are (PutAttributes, an edit of them). */
static bool same_engine(const json_t *a, const json_t *b)
{
	const json_t *ta = json_object_get(a, "tls"), *tb = json_object_get(b, "tls");

	return json_equal(json_object_get(a, "endpoint"), json_object_get(b, "endpoint")) &&
	       ((!ta && !tb) || (ta && tb && json_equal(ta, tb)));
}

int ecsfs_instance_put(ecsfs_instances *in, const char *cluster, const char *name,
		       const json_t *doc, const ecsfs_spec_bytes *file, ecsfs_err *err)
{
	struct ecsfs__inst *e = ecsfs__inst_find(in, cluster, name);
	const char *ep = json_string_value(json_object_get(doc, "endpoint"));
	ecsfs_instance_row row;
	bool same, existed;
	int r;

	if ((r = ecsfs_cluster_check(in->store, cluster, err)) < 0 ||
	    (r = ecsfs_instance_check(cluster, name, doc, err)) < 0 ||
	    (r = endpoint_free(in, cluster, name, ep, err)) < 0 ||
	    (!e && (r = room(in, cluster, err)) < 0))
		return r;
	ecsfs_instance_row_init(&row);
	if (ecsfs_store_instance_get(in->store, cluster, name, &row) < 0) {
		row.registered_ns = ecsfs_now_ns();
		snprintf(row.status, sizeof(row.status), "ACTIVE");
	}
	ecsfs_buf_reset(&row.doc);
	ecsfs_json_canonical(doc, &row.doc);
	r = put_rows(in, cluster, name, doc, file, &row);
	if (r < 0) {
		ecsfs_instance_row_release(&row);
		return store_fault(in->store, "register", err);
	}
	existed = e != NULL;
	same = e && json_equal(e->doc, (json_t *)doc);
	if (!same && e && same_engine(e->doc, doc)) {
		json_decref(e->doc);
		e->doc = json_deep_copy(doc);
	} else if (!same) {
		if (e)
			inst_remove(in, e);
		inst_add(in, cluster, name, json_deep_copy(doc), row.registered_ns);
	}
	if (!same)
		ecsfs_cluster_event(in->store, cluster, "(container-instance %s) was %s.", name,
				    existed ? "updated" : "registered");
	ecsfs_instance_row_release(&row);
	ecsfs__inst_changed(in, cluster, name);
	return 0;
}

/* How many tasks that are not STOPPED run on instance `name` of `cluster`. */
static size_t live_tasks(ecsfs_instances *in, const char *cluster, const char *name)
{
	json_t *d = NULL;
	size_t n = 0;

	if (ecsfs_instance_describe(in, cluster, name, &d) == 0)
		n = (size_t)(json_integer_value(json_object_get(d, "runningTasksCount")) +
			     json_integer_value(json_object_get(d, "pendingTasksCount")));
	json_decref(d);
	return n;
}

int ecsfs_instance_delete(ecsfs_instances *in, const char *cluster, const char *name,
			  ecsfs_err *err)
{
	struct ecsfs__inst *e =
	    strcmp(name, ECSFS_INSTANCE_LOCAL) ? ecsfs__inst_find(in, cluster, name) : NULL;
	ecsfs_buf dir = ECSFS_BUF_INIT, fname = ECSFS_BUF_INIT;
	int r;

	if (!e)
		return ecsfs_err_set(err, ECSFS_E_CLIENT, -ENOENT,
				     "no container instance %s in cluster %s", name, cluster);
	if (live_tasks(in, cluster, name) && !e->lost)
		return ecsfs_err_set(err, ECSFS_E_CLIENT, -EBUSY,
				     "container instance %s has tasks: drain it first (write "
				     "DRAINING to its state)",
				     name);
	spec_dir(cluster, &dir);
	ecsfs_buf_addf(&fname, "%s.json", name);
	if ((r = ecsfs_store_begin(in->store)) == 0) {
		if ((r = ecsfs_store_instance_delete(in->store, cluster, name)) < 0 ||
		    ((r = ecsfs_store_file_delete(in->store, dir.data, fname.data)) < 0 &&
		     r != -ENOENT))
			ecsfs_store_rollback(in->store);
		else
			r = ecsfs_store_commit(in->store);
	}
	ecsfs_buf_release(&dir);
	ecsfs_buf_release(&fname);
	if (r < 0)
		return store_fault(in->store, "deregister", err);
	inst_remove(in, e);
	ecsfs_cluster_event(in->store, cluster, "(container-instance %s) was deregistered.", name);
	ecsfs__inst_changed(in, cluster, name);
	return 0;
}

int ecsfs_instance_exists(ecsfs_instances *in, const char *cluster, const char *name)
{
	if (!ecsfs_store_cluster_exists(in->store, cluster))
		return -ENOENT;
	return ecsfs__inst_find(in, cluster, name) ? 0 : -ENOENT;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int ecsfs_instance_list(ecsfs_instances *in, const char *cluster, ecsfs_store_name_cb cb,
			void *data)
{
	const char *names[ECSFS_INSTANCES_MAX + 1];
	size_t n = 0;
	int r;

	if ((r = cb(data, ECSFS_INSTANCE_LOCAL)) != 0)
		return r < 0 ? r : 0;
	for (struct ecsfs__inst *e = in->list; e && n < ECSFS_INSTANCES_MAX + 1; e = e->next)
		if (strcmp(e->cluster, cluster) == 0)
			names[n++] = e->name;
	qsort(names, n, sizeof(names[0]), by_name);
	for (size_t i = 0; i < n; i++)
		if ((r = cb(data, names[i])) != 0)
			return r < 0 ? r : 0;
	return 0;
}

/* ---- state ---- */

int ecsfs_instance_state(ecsfs_instances *in, const char *cluster, const char *name, ecsfs_buf *out)
{
	char status[16];

	if (ecsfs_instance_exists(in, cluster, name) < 0)
		return -ENOENT;
	ecsfs__inst_row(in, cluster, name, status, NULL);
	ecsfs_buf_addf(out, "%s\n", status);
	return 0;
}

int ecsfs_instance_set_state(ecsfs_instances *in, const char *cluster, const char *name,
			     const char *status, ecsfs_err *err)
{
	ecsfs_instance_row row;
	char was[16];
	int r;

	if ((r = ecsfs_instance_state_check(status, strlen(status), err)) < 0)
		return r;
	if (ecsfs_instance_exists(in, cluster, name) < 0)
		return ecsfs_err_set(err, ECSFS_E_CLIENT, -ENOENT,
				     "no container instance %s in cluster %s", name, cluster);
	ecsfs_instance_row_init(&row);
	snprintf(row.status, sizeof(row.status), "ACTIVE");
	if (ecsfs_store_instance_get(in->store, cluster, name, &row) < 0)
		row.registered_ns = ecsfs_now_ns(); /* local: its first row */
	snprintf(was, sizeof(was), "%s", row.status);
	snprintf(row.status, sizeof(row.status), "%s",
		 strstr(status, "DRAINING") ? "DRAINING" : "ACTIVE");
	r = ecsfs_store_instance_put(in->store, cluster, name, &row);
	if (r == 0 && strcmp(was, row.status) != 0)
		ecsfs_cluster_event(in->store, cluster, "(container-instance %s) is %s.", name,
				    row.status);
	ecsfs_instance_row_release(&row);
	if (r < 0)
		return store_fault(in->store, "update", err);
	ecsfs__inst_changed(in, cluster, name);
	return 0;
}

/* ---- views ---- */

int ecsfs_instance_describe(ecsfs_instances *in, const char *cluster, const char *name,
			    json_t **out)
{
	struct ecsfs__inst *e;

	if (ecsfs_instance_exists(in, cluster, name) < 0 ||
	    !(e = ecsfs__inst_find(in, cluster, name)))
		return -ENOENT;
	*out = ecsfs__inst_describe(in, e, cluster);
	return 0;
}

int ecsfs_instance_status(ecsfs_instances *in, const char *cluster, const char *name,
			  ecsfs_buf *out)
{
	struct ecsfs__inst *e;

	if (ecsfs_instance_exists(in, cluster, name) < 0 ||
	    !(e = ecsfs__inst_find(in, cluster, name)))
		return -ENOENT;
	ecsfs__inst_status(in, e, cluster, out);
	return 0;
}
