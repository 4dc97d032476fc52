/*
 * ecsfs — container instances as the ECS API names and changes them:
 * references (an id or a container-instance ARN), which instances match a
 * cluster query (ListContainerInstances), and their custom attributes
 * (PutAttributes, DeleteAttributes, ListAttributes).
 *
 * A registered instance's custom attributes are its spec document's
 * `attributes`: a change goes through ecsfs_instance_put() with the new
 * document, so spec/clusters/<c>/instances/<name>.json shows it, exactly as
 * if the file had been written. `local` has no spec file (the name is the
 * daemon's own engine): its custom attributes are kept in its row of the
 * store, where instance.json and placement read them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/arn.h"
#include "ecsfs/cluster.h"
#include "ecsfs/util.h"
#include "model/instance_private.h"

#define ATTRS_PER_CALL 10 /* attributes of one PutAttributes / DeleteAttributes (ECS's) */

const char *ecsfs_instance_ref(const char *cluster, const char *ref)
{
	const char *res = ecsfs_arn_resource(ref, "ecs");
	size_t n = strlen(cluster);

	if (!res)
		return *ref && !strchr(ref, '/') ? ref : NULL;
	if (strncmp(res, "container-instance/", 19) != 0)
		return NULL;
	res += 19;
	if (strncmp(res, cluster, n) == 0 && res[n] == '/')
		res += n + 1;
	return *res && !strchr(res, '/') ? res : NULL;
}

static int by_name(const void *a, const void *b)
{
	const char *x = json_string_value(*(json_t *const *)a);
	const char *y = json_string_value(*(json_t *const *)b);
	bool lx = strcmp(x, ECSFS_INSTANCE_LOCAL) == 0, ly = strcmp(y, ECSFS_INSTANCE_LOCAL) == 0;

	return lx || ly ? (int)ly - (int)lx : strcmp(x, y);
}

int ecsfs_instance_query(ecsfs_instances *in, const char *cluster, const ecsfs_cq *q,
			 const char *status, json_t **names, ecsfs_err *err)
{
	json_t *all = json_array(), **v;
	size_t n;
	int r;

	if ((r = ecsfs_cluster_check(in->store, cluster, err)) < 0) {
		json_decref(all);
		return r;
	}
	ecsfs__inst_match(in, cluster, q, status, all);
	/* local first, then by name, as the tree lists them */
	n = json_array_size(all);
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		abort();
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(all, i));
	qsort(v, n, sizeof(*v), by_name);
	json_array_clear(all);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(all, v[i]);
	free(v);
	*names = all;
	return 0;
}

/* ---- custom attributes ---- */

static const ecsfs_field request_fields[] = {
    ECSFS_OBJS("attributes", ECSFS_F_REQUIRED, ecsfs__instance_attr_shape, ATTRS_PER_CALL),
    ECSFS_IGNORE("cluster"),
};
static const ecsfs_shape request_shape = ECSFS_SHAPE(request_fields);

/* One instance an attribute call changes, with its custom attributes. */
typedef struct target {
	const char *name; /* borrowed from the request */
	json_t *attrs;	  /* the custom attributes it will have */
} target;

typedef struct change {
	target v[ATTRS_PER_CALL];
	size_t n;
} change;

static void change_release(change *c)
{
	for (size_t i = 0; i < c->n; i++)
		json_decref(c->v[i].attrs);
}

/* The custom attributes instance `name` has now (a new array). */
static json_t *custom_attrs(ecsfs_instances *in, const char *cluster, const char *name)
{
	struct ecsfs__inst *e = ecsfs__inst_find(in, cluster, name);
	json_t *a;
	char status[16];

	if (e && e->cluster) {
		a = json_object_get(e->doc, "attributes");
		return a ? json_deep_copy(a) : json_array();
	}
	ecsfs__inst_row(in, cluster, name, status, &a);
	return a;
}

static target *target_of(ecsfs_instances *in, change *c, const char *cluster, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i].name, name) == 0)
			return &c->v[i];
	c->v[c->n].name = name;
	c->v[c->n].attrs = custom_attrs(in, cluster, name);
	return &c->v[c->n++];
}

/* Where attribute `name` is in `attrs`, or -1. */
static long attr_index(const json_t *attrs, const char *name)
{
	size_t i;
	json_t *a;

	json_array_foreach(attrs, i, a) {
		if (strcmp(json_string_value(json_object_get(a, "name")), name) == 0)
			return (long)i;
	}
	return -1;
}

/* The instance attributes[i] names, with the rules an item of either call
 * follows: the target type, a target that exists, no ecs.* name. */
static int item_target(ecsfs_instances *in, const char *cluster, const json_t *item, size_t i,
		       const char **name, ecsfs_err *err)
{
	const char *type = json_string_value(json_object_get(item, "targetType"));
	const char *id = json_string_value(json_object_get(item, "targetId"));
	const char *attr = json_string_value(json_object_get(item, "name"));

	if (json_object_get(item, "targetType") && (!type || strcmp(type, "container-instance")))
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "attributes[%zu].targetType: the only target type is "
				     "container-instance",
				     i);
	if (!id)
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "attributes[%zu].targetId: a container instance's id or ARN "
				     "is required",
				     i);
	if (strncmp(attr, "ecs.", 4) == 0)
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "attributes[%zu].name: '%.128s' is one of ECS's own "
				     "attributes: it cannot be set or deleted",
				     i, attr);
	*name = ecsfs_instance_ref(cluster, id);
	if (!*name || ecsfs_instance_exists(in, cluster, *name) < 0)
		return ecsfs_err_set(err, ECSFS_E_RESOURCE_NOT_FOUND, -ENOENT,
				     "attributes[%zu].targetId: no container instance %.300s in "
				     "cluster %s",
				     i, id, cluster);
	return 0;
}

/* What each target's custom attributes become; nothing is changed yet. */
static int plan(ecsfs_instances *in, const char *cluster, const json_t *req, bool put, change *c,
		ecsfs_err *err)
{
	const json_t *attrs = json_object_get(req, "attributes"), *item;
	size_t i;
	int r;

	if ((r = ecsfs_cluster_check(in->store, cluster, err)) < 0 ||
	    (r = ecsfs_shape_check(&request_shape, req, NULL, err)) < 0)
		return r;
	json_array_foreach(attrs, i, item) {
		const char *name = json_string_value(json_object_get(item, "name")), *inst = NULL;
		target *t;
		long at;

		if ((r = item_target(in, cluster, item, i, &inst, err)) < 0)
			return r;
		t = target_of(in, c, cluster, inst);
		at = attr_index(t->attrs, name);
		if (at >= 0)
			json_array_remove(t->attrs, (size_t)at);
		if (!put)
			continue;
		json_array_insert_new(t->attrs, at >= 0 ? (size_t)at : json_array_size(t->attrs),
				      json_object_get(item, "value")
					  ? json_pack("{s:s, s:O}", "name", name, "value",
						      json_object_get(item, "value"))
					  : json_pack("{s:s}", "name", name));
		if (json_array_size(t->attrs) > ECSFS_INSTANCE_ATTRS_MAX)
			return ecsfs_err_set(err, ECSFS_E_LIMIT_EXCEEDED, -ENOSPC,
					     "container instance %s would have more than %d custom "
					     "attributes",
					     inst, ECSFS_INSTANCE_ATTRS_MAX);
	}
	return 0;
}

/* local's attributes: its row (made on first use, ACTIVE, as a state write
 * makes it). */
static int local_put(ecsfs_instances *in, const char *cluster, const json_t *attrs, ecsfs_err *err)
{
	ecsfs_instance_row row;
	int r;

	ecsfs_instance_row_init(&row);
	snprintf(row.status, sizeof(row.status), "ACTIVE");
	if (ecsfs_store_instance_get(in->store, cluster, ECSFS_INSTANCE_LOCAL, &row) < 0)
		row.registered_ns = ecsfs_now_ns();
	ecsfs_buf_reset(&row.attrs);
	ecsfs_json_canonical(attrs, &row.attrs);
	r = ecsfs_store_instance_put(in->store, cluster, ECSFS_INSTANCE_LOCAL, &row);
	ecsfs_instance_row_release(&row);
	if (r < 0)
		return ecsfs_err_set(err, ECSFS_E_SERVER, -EIO,
				     "cannot update the container instance: %s",
				     ecsfs_store_last_error(in->store));
	ecsfs_cluster_event(in->store, cluster, "(container-instance %s) was updated.",
			    ECSFS_INSTANCE_LOCAL);
	ecsfs__inst_changed(in, cluster, ECSFS_INSTANCE_LOCAL);
	return 0;
}

/* A registered instance's: its document with the new attributes, put as a
 * write of its spec file would put it. */
static int registered_put(ecsfs_instances *in, const char *cluster, struct ecsfs__inst *e,
			  json_t *attrs, ecsfs_err *err)
{
	json_t *doc = json_deep_copy(e->doc);
	int r;

	if (json_array_size(attrs))
		json_object_set(doc, "attributes", attrs);
	else
		json_object_del(doc, "attributes");
	r = ecsfs_instance_put(in, cluster, e->name, doc, NULL, err);
	json_decref(doc);
	return r;
}

static int apply(ecsfs_instances *in, const char *cluster, const json_t *req, bool put,
		 ecsfs_err *err)
{
	change c = {.n = 0};
	int r = plan(in, cluster, req, put, &c, err);

	for (size_t i = 0; r == 0 && i < c.n; i++) {
		struct ecsfs__inst *e = ecsfs__inst_find(in, cluster, c.v[i].name);
		if (e && e->cluster)
			r = registered_put(in, cluster, e, c.v[i].attrs, err);
		else
			r = local_put(in, cluster, c.v[i].attrs, err);
	}
	change_release(&c);
	return r;
}

int ecsfs_instance_attrs_put(ecsfs_instances *in, const char *cluster, const json_t *req,
			     ecsfs_err *err)
{
	return apply(in, cluster, req, true, err);
}

int ecsfs_instance_attrs_delete(ecsfs_instances *in, const char *cluster, const json_t *req,
				ecsfs_err *err)
{
	return apply(in, cluster, req, false, err);
}

typedef struct list_ctx {
	ecsfs_instances *in;
	const char *cluster, *name, *value;
	json_t *out;
} list_ctx;

static int list_one(void *data, const char *inst)
{
	list_ctx *l = data;
	struct ecsfs__inst *e = ecsfs__inst_find(l->in, l->cluster, inst);
	json_t *attrs, *a;
	size_t i;

	if (!e)
		return 0;
	attrs = ecsfs__inst_attributes(l->in, e, l->cluster);
	json_array_foreach(attrs, i, a) {
		const char *name = json_string_value(json_object_get(a, "name"));
		const char *value = json_string_value(json_object_get(a, "value"));
		json_t *o;

		if ((l->name && strcmp(name, l->name) != 0) ||
		    (l->value && (!value || strcmp(value, l->value) != 0)))
			continue;
		o = json_pack("{s:s, s:s, s:o}", "name", name, "targetType", "container-instance",
			      "targetId",
			      ecsfs_arn_json("ecs", "container-instance/%s/%s", l->cluster, inst));
		if (value)
			json_object_set_new(o, "value", json_string(value));
		json_array_append_new(l->out, o);
	}
	json_decref(attrs);
	return 0;
}

int ecsfs_instance_attrs_list(ecsfs_instances *in, const char *cluster, const char *name,
			      const char *value, json_t **out, ecsfs_err *err)
{
	list_ctx l = {in, cluster, name, value, NULL};
	int r;

	if ((r = ecsfs_cluster_check(in->store, cluster, err)) < 0)
		return r;
	if (value && !name)
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "attributeValue: give attributeName with it");
	l.out = json_array();
	ecsfs_instance_list(in, cluster, list_one, &l);
	*out = l.out;
	return 0;
}

/* ---- the capacity providers instances serve ---- */

static int by_string(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
		      json_string_value(*(json_t *const *)b));
}

json_t *ecsfs_instance_providers(ecsfs_instances *in)
{
	json_t *seen = json_object(), *out = json_array(), *v, **all;
	const char *name;
	size_t n = 0;

	for (struct ecsfs__inst *e = in->list; e; e = e->next) {
		const char *p = json_string_value(json_object_get(e->doc, "capacityProvider"));
		if (p)
			json_object_set_new(seen, p, json_true());
	}
	all = calloc(json_object_size(seen) + 1, sizeof(*all));
	if (!all)
		abort();
	json_object_foreach(seen, name, v)
		all[n++] = json_string(name);
	qsort(all, n, sizeof(*all), by_string);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(out, all[i]);
	free(all);
	json_decref(seen);
	return out;
}
