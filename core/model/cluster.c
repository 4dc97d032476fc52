/* Clusters: the model behind clusters/<c>/ and spec/clusters/<c>/. */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "ecsfs/arn.h"
#include "ecsfs/cluster.h"
#include "ecsfs/service.h"
#include "ecsfs/shape.h"
#include "ecsfs/util.h"

void ecsfs_cluster_spec_dir(const char *name, ecsfs_buf *out)
{
	ecsfs_buf_addf(out, "%s/%s", ECSFS_SPEC_CLUSTERS, name);
}

void ecsfs_cluster_events_stream(const char *name, ecsfs_buf *out)
{
	ecsfs_buf_addf(out, "cluster/%s", name);
}

int ecsfs_cluster_event(ecsfs_store *s, const char *name, const char *fmt, ...)
{
	ecsfs_buf stream = ECSFS_BUF_INIT, line = ECSFS_BUF_INIT;
	char when[32];
	va_list ap;
	int r;

	ecsfs_cluster_events_stream(name, &stream);
	ecsfs_time_iso(ecsfs_now_ns(), when);
	ecsfs_buf_addf(&line, "%s ", when);
	va_start(ap, fmt);
	ecsfs_buf_vaddf(&line, fmt, ap);
	va_end(ap);
	r = ecsfs_store_journal_append(s, stream.data, line.data);
	ecsfs_buf_release(&stream);
	ecsfs_buf_release(&line);
	return r;
}

/* A fault of the store, with what was being done; the kind follows the
 * errno (-ENOSPC: LimitExceeded, else Server). */
static int store_fault(ecsfs_store *s, int r, const char *what, const char *name, ecsfs_err *err)
{
	return ecsfs_err_set(err, ECSFS_E_NONE, r, "cannot %s cluster %s: %s", what, name,
			     ecsfs_store_last_error(s));
}

static int not_found(const char *name, ecsfs_err *err)
{
	return ecsfs_err_set(err, ECSFS_E_CLUSTER_NOT_FOUND, -ENOENT, "cluster %s does not exist",
			     name);
}

int ecsfs_cluster_create(ecsfs_store *s, const char *name, ecsfs_err *err)
{
	int r;

	if ((r = ecsfs_name_check(name, "cluster", &err->msg)) < 0)
		return ecsfs_err_from(err, ECSFS_E_INVALID_PARAMETER, r);
	if ((r = ecsfs_store_begin(s)) < 0)
		return store_fault(s, r, "create", name, err);
	r = ecsfs_store_cluster_insert(s, name, ecsfs_now_ns());
	if (r == -EEXIST) {
		ecsfs_store_rollback(s);
		return ecsfs_err_set(err, ECSFS_E_RESOURCE_IN_USE, r, "cluster %s already exists",
				     name);
	}
	if (r < 0 || (r = ecsfs_cluster_event(s, name, "(cluster %s) was created.", name)) < 0) {
		ecsfs_store_rollback(s);
		return store_fault(s, r, "create", name, err);
	}
	if ((r = ecsfs_store_commit(s)) < 0)
		return store_fault(s, r, "create", name, err);
	return 0;
}

/* What keeps cluster `name` from being deleted: 0 when nothing does. */
static int in_use(ecsfs_store *s, const char *name, const char *dir, bool spec_only, ecsfs_err *err)
{
	uint64_t nfiles = 0, ntasks = 0, nservices = 0;
	int r;

	/* Files anywhere below the spec directory (services/, schedules/
	 * included) count; directory metadata rows do not. */
	if ((r = ecsfs_store_file_count_tree(s, dir, &nfiles)) < 0)
		return store_fault(s, r, "delete", name, err);
	if (spec_only && nfiles > 0)
		return ecsfs_err_set(err, ECSFS_E_RESOURCE_IN_USE, -ENOTEMPTY,
				     "cluster %s: spec directory is not empty (%llu file%s); "
				     "remove them first",
				     name, (unsigned long long)nfiles, nfiles == 1 ? "" : "s");
	if ((r = ecsfs_store_service_count(s, name, &nservices)) < 0)
		return store_fault(s, r, "delete", name, err);
	if (nservices > 0)
		return ecsfs_err_set(err, ECSFS_E_CLUSTER_CONTAINS_SERVICES, -EBUSY,
				     "cluster %s still has %llu service%s; delete them first", name,
				     (unsigned long long)nservices, nservices == 1 ? "" : "s");
	if ((r = ecsfs_store_task_count(s, name, true, &ntasks)) < 0)
		return store_fault(s, r, "delete", name, err);
	if (ntasks > 0)
		return ecsfs_err_set(
		    err, ECSFS_E_CLUSTER_CONTAINS_TASKS, -EBUSY,
		    "cluster %s still has %llu task%s that %s not STOPPED; stop them first", name,
		    (unsigned long long)ntasks, ntasks == 1 ? "" : "s", ntasks == 1 ? "is" : "are");
	return 0;
}

/* The rows of cluster `name`, in one transaction. */
static int drop_rows(ecsfs_store *s, const char *name, const char *dir)
{
	ecsfs_buf stream = ECSFS_BUF_INIT;
	int r;

	ecsfs_cluster_events_stream(name, &stream);
	if ((r = ecsfs_store_begin(s)) < 0)
		goto out;
	if ((r = ecsfs_store_cluster_delete(s, name)) < 0 ||
	    (r = ecsfs_store_task_delete_cluster(s, name)) < 0 ||
	    (r = ecsfs_store_file_delete_tree(s, dir)) < 0 ||
	    (r = ecsfs_store_journal_drop(s, stream.data)) < 0)
		goto rollback;
	/* the directory's own metadata row lives in its parent */
	r = ecsfs_store_file_delete(s, ECSFS_SPEC_CLUSTERS, name);
	if (r < 0 && r != -ENOENT)
		goto rollback;
	r = ecsfs_store_commit(s);
	goto out;
rollback:
	ecsfs_store_rollback(s);
out:
	ecsfs_buf_release(&stream);
	return r;
}

int ecsfs_cluster_delete(ecsfs_store *s, const char *name, bool spec_only, ecsfs_err *err)
{
	ecsfs_buf dir = ECSFS_BUF_INIT;
	int r;

	if (!ecsfs_store_cluster_exists(s, name))
		return not_found(name, err);
	ecsfs_cluster_spec_dir(name, &dir);
	if ((r = in_use(s, name, dir.data, spec_only, err)) == 0 &&
	    (r = drop_rows(s, name, dir.data)) < 0)
		store_fault(s, r, "delete", name, err);
	ecsfs_buf_release(&dir);
	return r;
}

/* ---- deleted once drained: what a repository dropped ---- */

static int drain_cb(void *data, const char *name)
{
	void **ctx = data;

	/* forced: the service drains and goes once its tasks have stopped */
	ecsfs_service_delete(ctx[0], ctx[1], name, true, NULL);
	return 0;
}

int ecsfs_cluster_retire(ecsfs_store *s, ecsfs_services *sv, const char *name, ecsfs_err *err)
{
	int r = ecsfs_cluster_delete(s, name, true, err);

	if (r != -EBUSY || !sv)
		return r;
	void *ctx[2] = {sv, (void *)name};
	ecsfs_service_list(s, name, drain_cb, ctx);
	if ((r = ecsfs_store_cluster_set_deleting(s, name, true)) < 0)
		return store_fault(s, r, "delete", name, err);
	ecsfs_cluster_event(s, name, "(cluster %s) is being deleted: its services drain first.",
			    name);
	ecsfs_err_reset(err);
	return 0;
}

bool ecsfs_cluster_retiring(ecsfs_store *s, const char *name)
{
	return ecsfs_store_cluster_deleting(s, name);
}

int ecsfs_cluster_keep(ecsfs_store *s, const char *name)
{
	if (!ecsfs_store_cluster_deleting(s, name))
		return -ENOENT;
	return ecsfs_store_cluster_set_deleting(s, name, false);
}

struct sweep {
	ecsfs_store *s;
	ecsfs_cluster_name_cb done;
	void *data;
};

static int sweep_cb(void *data, const char *name)
{
	struct sweep *w = data;
	ecsfs_err err = ECSFS_ERR_INIT;
	int r = ecsfs_cluster_delete(w->s, name, false, &err);

	ecsfs_err_release(&err);
	if (r == 0 || r == -ENOENT)
		w->done(w->data, name);
	return 0;
}

void ecsfs_cluster_sweep(ecsfs_store *s, ecsfs_cluster_name_cb done, void *data)
{
	struct sweep w = {s, done, data};

	ecsfs_store_cluster_list_deleting(s, sweep_cb, &w);
}

/* ---- cluster.json: CreateCluster's fields ---- */

static const char *const setting_names[] = {"containerInsights", NULL};
static const char *const insights_values[] = {"enabled", "disabled", "enhanced", NULL};

static const ecsfs_field setting_fields[] = {
    ECSFS_STR_OF("name", ECSFS_F_REQUIRED, setting_names),
    ECSFS_STR_OF("value", ECSFS_F_REQUIRED, insights_values),
};
static const ecsfs_shape setting_shape = ECSFS_SHAPE(setting_fields);

static const ecsfs_field strategy_fields[] = {
    ECSFS_STR("capacityProvider", ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY),
    ECSFS_INT("weight", 0, 0, 1000),
    ECSFS_INT("base", 0, 0, 100000),
};
static const ecsfs_shape strategy_shape = ECSFS_SHAPE(strategy_fields);

static const ecsfs_field connect_fields[] = {
    ECSFS_STR("namespace", ECSFS_F_REQUIRED),
};
static const ecsfs_shape connect_shape = ECSFS_SHAPE(connect_fields);

/* clusterName, when given, is the directory's name (the context's user). */
static int check_cluster_name(ecsfs_shape_ctx *c, const json_t *v)
{
	const char *name = c->user;

	if (strcmp(json_string_value(v), name) == 0)
		return 0;
	return ecsfs_shape_fail(c, "'%s' does not match the directory name '%s'",
				ecsfs_shape_shown(c, json_string_value(v)), name);
}

/* ECS requires the strategy's providers to be associated with the
 * cluster, except Fargate's own, which every cluster may use; and only one
 * of them may have a base. */
static int check_strategy(ecsfs_shape_ctx *c, const json_t *doc)
{
	const json_t *providers = json_object_get(doc, "capacityProviders"), *t, *p;
	size_t i, k;
	int nbase = 0;

	json_array_foreach(json_object_get(doc, "defaultCapacityProviderStrategy"), i, t) {
		const char *name = json_string_value(json_object_get(t, "capacityProvider"));
		bool known = !strcmp(name, "FARGATE") || !strcmp(name, "FARGATE_SPOT");

		json_array_foreach(providers, k, p)
			known = known || !strcmp(json_string_value(p), name);
		if (!known) {
			ecsfs_shape_path(c, "defaultCapacityProviderStrategy[%zu].capacityProvider",
					 i);
			return ecsfs_shape_fail(c, "'%s' is not in capacityProviders",
						ecsfs_shape_shown(c, name));
		}
		if (json_integer_value(json_object_get(t, "base")) > 0 && ++nbase > 1) {
			ecsfs_shape_path(c, "defaultCapacityProviderStrategy[%zu].base", i);
			return ecsfs_shape_fail(c, "only one provider may have a base");
		}
	}
	return 0;
}

static const ecsfs_field cluster_fields[] = {
    {"clusterName", ECSFS_JSON_STRING, 0, .check = check_cluster_name},
    ECSFS_ARR("tags", 0, &ecsfs_item_tag, 50),
    ECSFS_OBJS("settings", 0, setting_shape, 0),
    {"configuration", ECSFS_JSON_OBJECT, ECSFS_F_KEPT, .shape = NULL},
    ECSFS_ARR("capacityProviders", 0,
	      ECSFS_ITEM(.type = ECSFS_JSON_STRING, .flags = ECSFS_F_NONEMPTY), 0),
    ECSFS_OBJS("defaultCapacityProviderStrategy", 0, strategy_shape, 0),
    {"serviceConnectDefaults", ECSFS_JSON_OBJECT, ECSFS_F_KEPT, .shape = &connect_shape},
};
static const ecsfs_shape cluster_shape = ECSFS_SHAPE_HOOK(cluster_fields, check_strategy);

/* The document of cluster `name`, parsed: 0 or InvalidParameter. */
static int check_document(const char *name, const json_t *doc, ecsfs_err *err)
{
	return ecsfs_shape_check(&cluster_shape, doc, (void *)name, err);
}

int ecsfs_cluster_settings_check(const char *name, const char *data, size_t len, bool partial,
				 ecsfs_err *err)
{
	return ecsfs_json_check_document("cluster.json", name, data, len, ECSFS_CLUSTER_JSON_MAX,
					 partial, check_document, err);
}

/* Make `doc` the settings of cluster `name`, with `data` as the bytes of
 * its spec file, in one transaction; an event unless nothing changed. */
static int store_settings(ecsfs_store *s, const char *name, json_t *doc, const char *data,
			  size_t len, const ecsfs_file_meta *meta, ecsfs_err *err)
{
	ecsfs_buf canon = ECSFS_BUF_INIT, dir = ECSFS_BUF_INIT, old = ECSFS_BUF_INIT;
	ecsfs_file_meta m = *meta;
	int r;

	json_object_del(doc, "clusterName");
	ecsfs_json_canonical(doc, &canon);
	ecsfs_cluster_spec_dir(name, &dir);
	m.kind = ECSFS_FILE_SPEC;
	bool had = ecsfs_store_file_get(s, dir.data, "cluster.json", NULL, &old) == 0;
	bool same = had && old.len == len && memcmp(old.data, data, len) == 0;
	if ((r = ecsfs_store_begin(s)) < 0)
		goto fault;
	if ((r = ecsfs_store_file_put(s, dir.data, "cluster.json", &m, data, len)) < 0 ||
	    (r = ecsfs_store_cluster_set_settings(s, name, canon.data)) < 0 ||
	    (!same && (r = ecsfs_cluster_event(s, name, "(cluster %s) settings were %s.", name,
					       had ? "updated" : "applied")) < 0)) {
		ecsfs_store_rollback(s);
		goto fault;
	}
	if ((r = ecsfs_store_commit(s)) == 0)
		goto out;
fault:
	ecsfs_err_set(err, ECSFS_E_NONE, r, "cannot store cluster.json of %s: %s", name,
		      ecsfs_store_last_error(s));
out:
	ecsfs_buf_release(&canon);
	ecsfs_buf_release(&dir);
	ecsfs_buf_release(&old);
	return r;
}

int ecsfs_cluster_settings_apply(ecsfs_store *s, const char *name, const char *data, size_t len,
				 const ecsfs_file_meta *meta, ecsfs_err *err)
{
	json_t *doc = NULL;
	int r;

	if (!ecsfs_store_cluster_exists(s, name))
		return not_found(name, err);
	if ((r = ecsfs_cluster_settings_check(name, data, len, false, err)) < 0)
		return r;
	if ((r = ecsfs_json_parse_object(data, len, &doc, &err->msg)) < 0)
		return ecsfs_err_from(err, ECSFS_E_INVALID_PARAMETER, r);
	r = store_settings(s, name, doc, data, len, meta, err);
	json_decref(doc);
	return r;
}

int ecsfs_cluster_settings_put(ecsfs_store *s, const char *name, const json_t *doc, ecsfs_err *err)
{
	ecsfs_file_meta meta = {.kind = ECSFS_FILE_SPEC, .mode = 0644, .mtime_ns = ecsfs_now_ns()};
	ecsfs_buf text = ECSFS_BUF_INIT;
	json_t *copy;
	int r;

	if (!ecsfs_store_cluster_exists(s, name))
		return not_found(name, err);
	if ((r = check_document(name, doc, err)) < 0)
		return r;
	/* the spec file shows what was put, so diff -r sees it */
	copy = json_deep_copy(doc);
	ecsfs_json_pretty(copy, &text);
	r = store_settings(s, name, copy, text.data, text.len, &meta, err);
	json_decref(copy);
	ecsfs_buf_release(&text);
	return r;
}

int ecsfs_cluster_settings_clear(ecsfs_store *s, const char *name, ecsfs_err *err)
{
	ecsfs_buf dir = ECSFS_BUF_INIT;
	int r;

	ecsfs_cluster_spec_dir(name, &dir);
	if ((r = ecsfs_store_begin(s)) < 0)
		goto fault;
	/* the file may be gone already (a removal that waited out its grace) */
	r = ecsfs_store_file_delete(s, dir.data, "cluster.json");
	if (r < 0 && r != -ENOENT) {
		ecsfs_store_rollback(s);
		goto fault;
	}
	r = ecsfs_store_cluster_set_settings(s, name, NULL);
	if (r == -ENOENT) {
		ecsfs_store_rollback(s);
		not_found(name, err);
		goto out;
	}
	if (r < 0 || (r = ecsfs_cluster_event(
			  s, name, "(cluster %s) settings were reset to defaults.", name)) < 0) {
		ecsfs_store_rollback(s);
		goto fault;
	}
	if ((r = ecsfs_store_commit(s)) == 0)
		goto out;
fault:
	store_fault(s, r, "reset", name, err);
out:
	ecsfs_buf_release(&dir);
	return r;
}

/* ---- tags: a cluster's are part of its cluster.json ---- */

static json_t *settings_doc(const ecsfs_cluster_row *row);

int ecsfs_cluster_tags(ecsfs_store *s, const char *name, json_t **tags)
{
	ecsfs_cluster_row row;
	json_t *doc, *t;
	int r;

	ecsfs_cluster_row_init(&row);
	if ((r = ecsfs_store_cluster_get(s, name, &row)) == 0) {
		doc = settings_doc(&row);
		t = json_object_get(doc, "tags");
		*tags = t ? json_incref(t) : json_array();
		json_decref(doc);
	}
	ecsfs_cluster_row_release(&row);
	return r;
}

int ecsfs_cluster_set_tags(ecsfs_store *s, const char *name, const json_t *tags, ecsfs_err *err)
{
	ecsfs_cluster_row row;
	json_t *doc;
	int r;

	ecsfs_cluster_row_init(&row);
	if ((r = ecsfs_store_cluster_get(s, name, &row)) < 0) {
		if (r == -ENOENT)
			not_found(name, err);
		else
			store_fault(s, r, "tag", name, err);
		goto out;
	}
	doc = settings_doc(&row);
	if (json_array_size(tags))
		json_object_set(doc, "tags", (json_t *)tags);
	else
		json_object_del(doc, "tags");
	r = ecsfs_cluster_settings_put(s, name, doc, err);
	json_decref(doc);
out:
	ecsfs_cluster_row_release(&row);
	return r;
}

/* ---- describe and status ---- */

static json_t *settings_doc(const ecsfs_cluster_row *row)
{
	json_t *doc = NULL;
	if (row->settings.len)
		doc = json_loadb(row->settings.data, row->settings.len, 0, NULL);
	return doc ? doc : json_object();
}

static json_t *array_or_empty(json_t *doc, const char *key)
{
	json_t *v = json_object_get(doc, key);
	return v ? json_incref(v) : json_array();
}

int ecsfs_cluster_describe(ecsfs_store *s, const char *name, const ecsfs_runtime_info *rt,
			   const ecsfs_cluster_counts *n, json_t **out, ecsfs_err *err)
{
	static const ecsfs_cluster_counts none;
	ecsfs_cluster_row row;
	json_t *doc, *j, *settings;
	int r;

	ecsfs_cluster_row_init(&row);
	if ((r = ecsfs_store_cluster_get(s, name, &row)) < 0) {
		if (r == -ENOENT)
			not_found(name, err);
		else
			store_fault(s, r, "describe", name, err);
		goto out;
	}
	doc = settings_doc(&row);
	j = json_object();
	json_object_set_new(j, "clusterArn", ecsfs_arn_json("ecs", "cluster/%s", name));
	json_object_set_new(j, "clusterName", json_string(name));
	json_object_set_new(j, "status", json_string("ACTIVE"));
	json_object_set_new(j, "registeredContainerInstancesCount",
			    json_integer(rt && rt->reachable ? 1 : 0));
	if (!n)
		n = &none;
	json_object_set_new(j, "runningTasksCount", json_integer(n->running));
	json_object_set_new(j, "pendingTasksCount", json_integer(n->pending));
	json_object_set_new(j, "activeServicesCount", json_integer(n->services));
	json_object_set_new(j, "statistics", json_array());
	json_object_set_new(j, "tags", array_or_empty(doc, "tags"));
	settings = json_object_get(doc, "settings");
	if (settings)
		json_object_set(j, "settings", settings);
	else
		json_object_set_new(
		    j, "settings",
		    json_pack("[{s:s, s:s}]", "name", "containerInsights", "value", "disabled"));
	json_object_set_new(j, "capacityProviders", array_or_empty(doc, "capacityProviders"));
	json_object_set_new(j, "defaultCapacityProviderStrategy",
			    array_or_empty(doc, "defaultCapacityProviderStrategy"));
	if ((settings = json_object_get(doc, "configuration")))
		json_object_set(j, "configuration", settings);
	if ((settings = json_object_get(doc, "serviceConnectDefaults")))
		json_object_set(j, "serviceConnectDefaults", settings);
	json_object_set_new(j, "attachments", json_array());
	json_object_set_new(j, "attachmentsStatus", json_string("UPDATE_COMPLETE"));
	*out = j;
	json_decref(doc);
out:
	ecsfs_cluster_row_release(&row);
	return r;
}

int ecsfs_cluster_status(ecsfs_store *s, const char *name, const ecsfs_runtime_info *rt,
			 const ecsfs_cluster_counts *n, ecsfs_buf *out)
{
	static const ecsfs_cluster_counts none;
	ecsfs_cluster_row row;
	char created[32];
	int r;

	ecsfs_cluster_row_init(&row);
	if ((r = ecsfs_store_cluster_get(s, name, &row)) < 0)
		goto out;
	ecsfs_time_iso(row.created_ns, created);
	ecsfs_buf_addf(out, "name: %s\n", name);
	ecsfs_buf_adds(out, "arn: ");
	ecsfs_arn(out, "ecs", "cluster/%s\n", name);
	ecsfs_buf_addf(out, "status: ACTIVE\n");
	ecsfs_buf_addf(out, "created: %s\n", created);
	ecsfs_buf_addf(out, "settings: %s\n", row.settings.len ? "cluster.json" : "defaults");
	if (!n)
		n = &none;
	ecsfs_buf_addf(out,
		       "services: %u\nrunning_tasks: %u\npending_tasks: %u\nstopped_tasks: %u\n",
		       n->services, n->running, n->pending, n->stopped);
	if (!rt) {
		ecsfs_buf_addf(out, "runtime: none\n");
	} else if (rt->reachable) {
		ecsfs_buf_addf(out, "runtime: %s reachable\n", rt->name);
		ecsfs_buf_addf(out, "runtime_endpoint: %s\n", rt->endpoint);
		ecsfs_buf_addf(out, "runtime_version: %s\n", rt->version);
		ecsfs_buf_addf(out, "runtime_api_version: %s\n", rt->api_version);
	} else {
		ecsfs_buf_addf(out, "runtime: %s unreachable\n", rt->name);
		ecsfs_buf_addf(out, "runtime_endpoint: %s\n", rt->endpoint);
		ecsfs_buf_addf(out, "runtime_detail: %s\n", rt->detail[0] ? rt->detail : "-");
	}
	if (rt && rt->since) {
		char since[32];
		ecsfs_time_iso(rt->since * 1000000000, since);
		ecsfs_buf_addf(out, "runtime_since: %s\n", since);
	}
out:
	ecsfs_cluster_row_release(&row);
	return r;
}
