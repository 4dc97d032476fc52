/* Clusters: cluster.json (CreateCluster's fields), settings and tags. */
#include <errno.h>
#include <string.h>

#include "ecsfs/arn.h"
#include "ecsfs/cluster.h"
#include "ecsfs/placement.h"
#include "ecsfs/shape.h"
#include "ecsfs/tag.h"
#include "ecsfs/util.h"
#include "model/cluster_private.h"

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
	/* and the rest of what placement takes: weights, duplicates, at most 6 */
	return ecsfs_place_check_providers(json_object_get(doc, "defaultCapacityProviderStrategy"),
					   NULL, NULL, "defaultCapacityProviderStrategy", c->err);
}

/* What ties the fields together: reserved tag keys, the strategy. */
static int check_rules(ecsfs_shape_ctx *c, const json_t *doc)
{
	int r = ecsfs_tags_check_reserved(c, doc);
	return r < 0 ? r : check_strategy(c, doc);
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
static const ecsfs_shape cluster_shape = ECSFS_SHAPE_HOOK(cluster_fields, check_rules);

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
		return ecsfs__cluster_not_found(name, err);
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
		return ecsfs__cluster_not_found(name, err);
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
		ecsfs__cluster_not_found(name, err);
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
	ecsfs__cluster_fault(s, r, "reset", name, err);
out:
	ecsfs_buf_release(&dir);
	return r;
}

/* ---- tags: a cluster's are part of its cluster.json ---- */

int ecsfs_cluster_tags(ecsfs_store *s, const char *name, json_t **tags)
{
	ecsfs_cluster_row row;
	json_t *doc, *t;
	int r;

	ecsfs_cluster_row_init(&row);
	if ((r = ecsfs_store_cluster_get(s, name, &row)) == 0) {
		doc = ecsfs__cluster_settings_doc(&row);
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
			ecsfs__cluster_not_found(name, err);
		else
			ecsfs__cluster_fault(s, r, "tag", name, err);
		goto out;
	}
	doc = ecsfs__cluster_settings_doc(&row);
	if (json_array_size(tags))
		json_object_set(doc, "tags", (json_t *)tags);
	else
		json_object_del(doc, "tags");
	/* no cluster.json appears for an untag of a cluster that had none */
	if (row.settings.len || json_object_size(doc))
		r = ecsfs_cluster_settings_put(s, name, doc, err);
	json_decref(doc);
out:
	ecsfs_cluster_row_release(&row);
	return r;
}

json_t *ecsfs__cluster_settings_doc(const ecsfs_cluster_row *row)
{
	json_t *doc = NULL;
	if (row->settings.len)
		doc = json_loadb(row->settings.data, row->settings.len, 0, NULL);
	return doc ? doc : json_object();
}

/* ---- the API's calls on a cluster's fields ---- */

int ecsfs_cluster_create_doc(ecsfs_store *s, const char *name, const json_t *doc, ecsfs_err *err)
{
	json_t *fields;
	int r;

	if ((r = ecsfs_name_check(name, "cluster", &err->msg)) < 0)
		return ecsfs_err_from(err, ECSFS_E_INVALID_PARAMETER, r);
	if ((r = check_document(name, doc, err)) < 0)
		return r;
	fields = json_deep_copy(doc);
	json_object_del(fields, "clusterName");
	if ((r = ecsfs_store_begin(s)) < 0) {
		ecsfs__cluster_fault(s, r, "create", name, err);
		goto out;
	}
	/* a cluster being deleted is kept after all, as mkdir keeps it */
	if (ecsfs_cluster_keep(s, name) < 0 && !ecsfs_store_cluster_exists(s, name))
		r = ecsfs_cluster_create(s, name, err);
	if (r == 0 && json_object_size(fields))
		r = ecsfs_cluster_settings_put(s, name, fields, err);
	if (r < 0)
		ecsfs_store_rollback(s);
	else if ((r = ecsfs_store_commit(s)) < 0)
		ecsfs__cluster_fault(s, r, "create", name, err);
out:
	json_decref(fields);
	return r;
}

/* UpdateClusterSettings' rule: a setting replaces the one of its name. */
static void merge_settings(json_t *doc, const json_t *given)
{
	json_t *have = json_object_get(doc, "settings"), *g, *h;
	size_t i, k;

	if (!json_is_array(have)) {
		json_object_set_new(doc, "settings", json_array());
		have = json_object_get(doc, "settings");
	}
	json_array_foreach(given, i, g) {
		const json_t *gname = json_object_get(g, "name");
		bool replaced = false;
		json_array_foreach(have, k, h) {
			if (!replaced && json_equal(json_object_get(h, "name"), gname)) {
				json_array_set(have, k, g);
				replaced = true;
			}
		}
		if (!replaced)
			json_array_append(have, g);
	}
}

int ecsfs_cluster_update(ecsfs_store *s, const char *name, const json_t *changes, ecsfs_err *err)
{
	ecsfs_cluster_row row;
	const char *key;
	json_t *doc, *v;
	int r;

	ecsfs_cluster_row_init(&row);
	if ((r = ecsfs_store_cluster_get(s, name, &row)) < 0) {
		if (r == -ENOENT)
			ecsfs__cluster_not_found(name, err);
		else
			ecsfs__cluster_fault(s, r, "update", name, err);
		goto out;
	}
	doc = ecsfs__cluster_settings_doc(&row);
	json_object_foreach((json_t *)changes, key, v) {
		if (!strcmp(key, "settings") && json_is_array(v))
			merge_settings(doc, v);
		else
			json_object_set(doc, key, v);
	}
	r = ecsfs_cluster_settings_put(s, name, doc, err);
	json_decref(doc);
out:
	ecsfs_cluster_row_release(&row);
	return r;
}

bool ecsfs_capacity_provider_known(const char *name, const json_t *served)
{
	const json_t *p;
	size_t i;

	if (!strcmp(name, "FARGATE") || !strcmp(name, "FARGATE_SPOT"))
		return true;
	json_array_foreach(served, i, p) {
		if (!strcmp(json_string_value(p), name))
			return true;
	}
	return false;
}

int ecsfs_cluster_check_providers(const json_t *doc, const json_t *served, ecsfs_err *err)
{
	const json_t *p, *t;
	size_t i, k;

	json_array_foreach(json_object_get(doc, "capacityProviders"), i, p) {
		if (json_is_string(p) &&
		    !ecsfs_capacity_provider_known(json_string_value(p), served))
			return ecsfs_err_set(
			    err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
			    "capacityProviders[%zu]: the capacity provider '%.200s' "
			    "does not exist; use FARGATE, FARGATE_SPOT or one a container "
			    "instance names",
			    i, json_string_value(p));
	}
	json_array_foreach(json_object_get(doc, "defaultCapacityProviderStrategy"), i, t) {
		const char *name = json_string_value(json_object_get(t, "capacityProvider"));
		bool listed = false;
		json_array_foreach(json_object_get(doc, "capacityProviders"), k, p)
			listed = listed ||
				 (json_is_string(p) && name && !strcmp(json_string_value(p), name));
		if (name && !listed)
			return ecsfs_err_set(
			    err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
			    "defaultCapacityProviderStrategy[%zu].capacityProvider: "
			    "'%.200s' is not one of the cluster's capacityProviders",
			    i, name);
	}
	return 0;
}

static int arn_cb(void *data, const char *name)
{
	json_array_append_new(data, ecsfs_arn_json("ecs", "cluster/%s", name));
	return 0;
}

int ecsfs_cluster_arns(ecsfs_store *s, json_t **arns, ecsfs_err *err)
{
	json_t *a = json_array();
	int r = ecsfs_store_cluster_list(s, arn_cb, a);

	if (r < 0) {
		json_decref(a);
		return ecsfs__cluster_fault(s, r, "list", "clusters", err);
	}
	*arns = a;
	return 0;
}

/* ---- capacity providers: FARGATE, FARGATE_SPOT and those container
 * instances name, always ACTIVE ---- */

static json_t *provider_shape(const char *name, bool tags)
{
	json_t *j = json_pack("{s:o, s:s, s:s}", "capacityProviderArn",
			      ecsfs_arn_json("ecs", "capacity-provider/%s", name), "name", name,
			      "status", "ACTIVE");
	if (tags)
		json_object_set_new(j, "tags", json_array());
	return j;
}

int ecsfs_capacity_providers_describe(const json_t *refs, const json_t *served, bool tags,
				      json_t *found, json_t *failures, ecsfs_err *err)
{
	static const char *const all[] = {"FARGATE", "FARGATE_SPOT"};
	const json_t *ref;
	size_t i;

	if (!refs) {
		for (i = 0; i < 2; i++)
			json_array_append_new(found, provider_shape(all[i], tags));
		json_array_foreach(served, i, ref) {
			if (!ecsfs_capacity_provider_known(json_string_value(ref), NULL))
				json_array_append_new(found,
						      provider_shape(json_string_value(ref), tags));
		}
		return 0;
	}
	if (json_array_size(refs) > 100)
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "capacityProviders: at most 100 per call");
	json_array_foreach(refs, i, ref) {
		const char *s = json_string_value(ref), *res = ecsfs_arn_resource(s, "ecs");
		const char *name = s;
		if (res)
			name = strncmp(res, "capacity-provider/", 18) == 0 ? res + 18 : "";
		if (ecsfs_capacity_provider_known(name, served))
			json_array_append_new(found, provider_shape(name, tags));
		else
			json_array_append_new(
			    failures, json_pack("{s:s, s:s}", "arn", s, "reason", "MISSING"));
	}
	return 0;
}
