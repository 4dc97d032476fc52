/* Tags of ECS resources by ARN (see ecsfs/tag.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ecsfs/arn.h"
#include "ecsfs/cluster.h"
#include "ecsfs/service.h"
#include "ecsfs/shape.h"
#include "ecsfs/tag.h"
#include "ecsfs/taskdef.h"

/* ---- the list a request carries ---- */

int ecsfs_tags_check_reserved(ecsfs_shape_ctx *c, const json_t *doc)
{
	const json_t *t;
	size_t i;

	json_array_foreach(json_object_get(doc, "tags"), i, t) {
		const char *key = json_string_value(json_object_get(t, "key"));
		if (strncasecmp(key, "aws:", 4) == 0) {
			ecsfs_shape_path(c, "tags[%zu].key", i);
			return ecsfs_shape_fail(c, "'%s': the aws: prefix is reserved",
						ecsfs_shape_shown(c, key));
		}
	}
	return 0;
}

static const ecsfs_field list_fields[] = {
    ECSFS_ARR("tags", ECSFS_F_REQUIRED, &ecsfs_item_tag, ECSFS_TAGS_MAX),
};
static const ecsfs_shape list_shape = ECSFS_SHAPE_HOOK(list_fields, ecsfs_tags_check_reserved);

int ecsfs_tags_check(const json_t *tags, ecsfs_err *err)
{
	json_t *doc = json_pack("{s:O}", "tags", tags);
	int r = ecsfs_shape_check(&list_shape, doc, NULL, err);

	json_decref(doc);
	return r;
}

/* ---- what an ARN names ---- */

enum res_kind { RES_CLUSTER, RES_TASKDEF, RES_SERVICE, RES_TASK };

struct res {
	enum res_kind kind;
	char a[256]; /* cluster, or family */
	char b[256]; /* service name, task id */
	int64_t rev;
};

static int bad_arn(const char *arn, ecsfs_err *err)
{
	return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
			     "resourceArn: %.300s is not the ARN of an ECS cluster, task "
			     "definition, service or task",
			     arn);
}

/* "x/y" into two names of at most 255 bytes, neither empty. */
static bool split2(const char *p, char a[256], char b[256])
{
	const char *slash = strchr(p, '/');
	size_t na = slash ? (size_t)(slash - p) : 0;

	if (!slash || na == 0 || na > 255 || !slash[1] || strlen(slash + 1) > 255 ||
	    strchr(slash + 1, '/'))
		return false;
	memcpy(a, p, na);
	a[na] = '\0';
	snprintf(b, 256, "%s", slash + 1);
	return true;
}

static int parse_arn(const char *arn, struct res *r, ecsfs_err *err)
{
	const char *p = ecsfs_arn_resource(arn, "ecs");
	ecsfs_buf why = ECSFS_BUF_INIT;
	bool ok = false;

	memset(r, 0, sizeof(*r));
	if (!p)
		return bad_arn(arn, err);
	if (strncmp(p, "cluster/", 8) == 0) {
		r->kind = RES_CLUSTER;
		ok = p[8] && strlen(p + 8) < 256 && !strchr(p + 8, '/');
		if (ok)
			snprintf(r->a, sizeof(r->a), "%s", p + 8);
	} else if (strncmp(p, "task-definition/", 16) == 0) {
		r->kind = RES_TASKDEF;
		ok = ecsfs_taskdef_parse_ref(arn, r->a, &r->rev, &why) == 0 && r->rev > 0;
	} else if (strncmp(p, "service/", 8) == 0) {
		r->kind = RES_SERVICE;
		ok = split2(p + 8, r->a, r->b);
	} else if (strncmp(p, "task/", 5) == 0) {
		r->kind = RES_TASK;
		ok = split2(p + 5, r->a, r->b);
	}
	ecsfs_buf_release(&why);
	return ok ? 0 : bad_arn(arn, err);
}

int ecsfs_tags_resource_check(ecsfs_store *s, const char *arn, ecsfs_err *err)
{
	struct res res;
	bool found = false;
	int r;

	if ((r = parse_arn(arn, &res, err)) < 0)
		return r;
	switch (res.kind) {
	case RES_CLUSTER: found = ecsfs_store_cluster_exists(s, res.a); break;
	case RES_TASKDEF: found = ecsfs_taskdef_exists(s, res.a, res.rev, NULL) == 0; break;
	case RES_SERVICE: found = ecsfs_store_service_get(s, res.a, res.b, NULL) == 0; break;
	case RES_TASK: found = ecsfs_store_task_exists(s, res.a, res.b); break;
	}
	if (!found)
		return ecsfs_err_set(err, ECSFS_E_RESOURCE_NOT_FOUND, -ENOENT,
				     "The specified resource could not be found: %.300s", arn);
	return 0;
}

/* ---- reading and writing a resource's whole list ---- */

static int collect_cb(void *data, const char *key, const char *value)
{
	json_array_append_new(data, json_pack("{s:s, s:s}", "key", key, "value", value));
	return 0;
}

/* A cluster ARN's cluster name, or NULL: its tags live in cluster.json. */
static const char *cluster_of(const char *arn, struct res *res)
{
	if (parse_arn(arn, res, NULL) == 0 && res->kind == RES_CLUSTER)
		return res->a;
	return NULL;
}

int ecsfs_tags_get(ecsfs_store *s, const char *arn, json_t **tags)
{
	struct res res;
	const char *cluster = cluster_of(arn, &res);
	json_t *all;
	int r;

	if (cluster) {
		r = ecsfs_cluster_tags(s, cluster, tags);
		if (r == -ENOENT)
			*tags = json_array();
		return r == -ENOENT ? 0 : r;
	}
	all = json_array();
	if ((r = ecsfs_store_tag_list(s, arn, collect_cb, all)) < 0) {
		json_decref(all);
		return r;
	}
	*tags = all;
	return 0;
}

/* Make `tags` (checked) the whole list of `arn`. */
static int set_all(ecsfs_store *s, const char *arn, const json_t *tags, ecsfs_err *err)
{
	struct res res;
	const char *cluster = cluster_of(arn, &res);
	const json_t *t;
	size_t i;
	int r;

	if (cluster)
		return ecsfs_cluster_set_tags(s, cluster, tags, err);
	if ((r = ecsfs_store_begin(s)) < 0)
		goto fault;
	r = ecsfs_store_tag_drop(s, arn);
	json_array_foreach(tags, i, t) {
		const char *value = json_string_value(json_object_get(t, "value"));
		if (r == 0)
			r = ecsfs_store_tag_put(s, arn,
						json_string_value(json_object_get(t, "key")),
						value ? value : "");
	}
	if (r < 0) {
		ecsfs_store_rollback(s);
		goto fault;
	}
	if ((r = ecsfs_store_commit(s)) == 0)
		return 0;
fault:
	return ecsfs_err_set(err, ECSFS_E_NONE, r, "cannot store the tags of %.300s: %s", arn,
			     ecsfs_store_last_error(s));
}

static json_t *find_key(json_t *tags, const char *key)
{
	json_t *t;
	size_t i;

	json_array_foreach(tags, i, t)
		if (strcmp(json_string_value(json_object_get(t, "key")), key) == 0)
			return t;
	return NULL;
}

int ecsfs_tags_put(ecsfs_store *s, const char *arn, const json_t *tags, ecsfs_err *err)
{
	json_t *all = NULL, *t, *had;
	size_t i;
	int r;

	if ((r = ecsfs_tags_check(tags, err)) < 0)
		return r;
	if ((r = ecsfs_tags_get(s, arn, &all)) < 0)
		return ecsfs_err_set(err, ECSFS_E_NONE, r, "cannot read the tags of %.300s: %s",
				     arn, ecsfs_store_last_error(s));
	json_array_foreach(tags, i, t) {
		const json_t *value = json_object_get(t, "value");
		json_t *v = value ? json_incref((json_t *)value) : json_string("");
		if ((had = find_key(all, json_string_value(json_object_get(t, "key")))))
			json_object_set_new(had, "value", v);
		else
			json_array_append_new(
			    all,
			    json_pack("{s:O, s:o}", "key", json_object_get(t, "key"), "value", v));
	}
	if (json_array_size(all) > ECSFS_TAGS_MAX)
		r = ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				  "tags: %.300s would have %zu tags; the limit is %d", arn,
				  json_array_size(all), ECSFS_TAGS_MAX);
	else
		r = set_all(s, arn, all, err);
	json_decref(all);
	return r;
}

int ecsfs_tags_remove(ecsfs_store *s, const char *arn, const json_t *keys, ecsfs_err *err)
{
	json_t *all = NULL, *k;
	size_t i;
	int r;

	if (!json_is_array(keys))
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "tagKeys must be a list of strings");
	json_array_foreach(keys, i, k) {
		if (!json_is_string(k))
			return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
					     "tagKeys[%zu] must be a string", i);
	}
	if ((r = ecsfs_tags_get(s, arn, &all)) < 0)
		return ecsfs_err_set(err, ECSFS_E_NONE, r, "cannot read the tags of %.300s: %s",
				     arn, ecsfs_store_last_error(s));
	json_t *kept = json_array(), *t;
	json_array_foreach(all, i, t) {
		const char *key = json_string_value(json_object_get(t, "key"));
		bool drop = false;
		size_t n;
		json_array_foreach(keys, n, k)
			drop = drop || strcmp(json_string_value(k), key) == 0;
		if (!drop)
			json_array_append(kept, t);
	}
	r = json_array_size(kept) == json_array_size(all) ? 0 : set_all(s, arn, kept, err);
	json_decref(kept);
	json_decref(all);
	return r;
}

int ecsfs_tags_drop(ecsfs_store *s, const char *arn)
{
	struct res res;

	if (cluster_of(arn, &res))
		return 0; /* they went with the cluster's cluster.json */
	return ecsfs_store_tag_drop(s, arn);
}
