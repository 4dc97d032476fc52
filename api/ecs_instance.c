/*
 * ECS operations on container instances and their attributes:
 * ListContainerInstances, DescribeContainerInstances,
 * UpdateContainerInstancesState, DeregisterContainerInstance, PutAttributes,
 * DeleteAttributes, ListAttributes. Each renders the rows the tree shows
 * (clusters/<c>/instances/<name>/instance.json is the same describe; a state
 * change is the write of its `state`; an attribute change rewrites
 * spec/clusters/<c>/instances/<name>.json): include/ecsfs/instance.h holds
 * the rules.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "api_private.h"
#include "ecsfs/arn.h"
#include "ecsfs/cluster.h"
#include "ecsfs/instance.h"
#include "ecsfs/util.h"

#define DESCRIBE_MAX 100 /* instances of one DescribeContainerInstances (ECS's) */
#define UPDATE_MAX   10	 /* of one UpdateContainerInstancesState (ECS's) */

/* DescribeContainerInstances' include values. */
#define INCLUDE_TAGS   1u
#define INCLUDE_HEALTH 2u

static int unavailable(ecsfs_err *err)
{
	return ecsfs_err_set(err, ECSFS_E_SERVER, -EIO, "container instances are not available");
}

/* The cluster a request names, which must exist. */
static int cluster_of(const ecsfs_api_core *c, const json_t *in, char cluster[256], ecsfs_err *err)
{
	int r = ecsfs__api_cluster(in, "cluster", cluster, err);

	if (r == 0)
		r = ecsfs_cluster_check(c->store, cluster, err);
	if (r == 0 && !c->instances)
		r = unavailable(err);
	return r;
}

/* ECS's names for what core calls ResourceNotFound (an attribute's target)
 * and LimitExceeded (too many attributes); the errno stays core's. */
static int attr_error(int r, ecsfs_err *err)
{
	ecsfs_err_kind kind = ecsfs_err_kind_of(err);
	const char *type = kind == ECSFS_E_RESOURCE_NOT_FOUND ? "TargetNotFoundException"
			   : kind == ECSFS_E_LIMIT_EXCEEDED   ? "AttributeLimitExceededException"
							      : NULL;
	ecsfs_buf msg = ECSFS_BUF_INIT;

	if (!type)
		return r;
	ecsfs_buf_add(&msg, err->msg.data, err->msg.len);
	ecsfs__api_fail(err, type, "%s", msg.data ? msg.data : "");
	ecsfs_buf_release(&msg);
	err->code = r;
	return r;
}

/* ECS's failure for a reference that names no instance of the cluster. */
static json_t *missing(const char *cluster, const char *ref)
{
	json_t *arn = ecsfs_arn_resource(ref, "ecs") || !ecsfs_instance_ref(cluster, ref)
			  ? json_string(ref)
			  : ecsfs_arn_json("ecs", "container-instance/%s/%s", cluster, ref);
	return json_pack("{s:o, s:s}", "arn", arn, "reason", "MISSING");
}

/* The health ECS shows with include CONTAINER_INSTANCE_HEALTH: the engine
 * answers (OK) or not (IMPAIRED), as agentConnected says. */
static json_t *health(const json_t *d)
{
	const char *s = json_is_true(json_object_get(d, "agentConnected")) ? "OK" : "IMPAIRED";
	double now = (double)ecsfs_now_ns() / 1e9;

	return json_pack("{s:s, s:[{s:s, s:s, s:f, s:f}]}", "overallStatus", s, "details", "type",
			 "CONTAINER_RUNTIME", "status", s, "lastUpdated", now, "lastStatusChange",
			 now);
}

/* describe-container-instances' object of one, or NULL. */
static json_t *described(const ecsfs_api_core *c, const char *cluster, const char *name,
			 unsigned include)
{
	json_t *o = NULL;

	if (ecsfs_instance_describe(c->instances, cluster, name, &o) < 0)
		return NULL;
	if (!(include & INCLUDE_TAGS))
		json_object_del(o, "tags");
	if (include & INCLUDE_HEALTH)
		json_object_set_new(o, "healthStatus", health(o));
	return o;
}

/* `refs` described into {"containerInstances", "failures"}. */
static json_t *describe_all(const ecsfs_api_core *c, const char *cluster, const json_t *refs,
			    unsigned include)
{
	json_t *found = json_array(), *failures = json_array(), *ref;
	size_t i;

	json_array_foreach(refs, i, ref) {
		const char *name = ecsfs_instance_ref(cluster, json_string_value(ref));
		json_t *o = name ? described(c, cluster, name, include) : NULL;
		if (o)
			json_array_append_new(found, o);
		else
			json_array_append_new(failures, missing(cluster, json_string_value(ref)));
	}
	return json_pack("{s:o, s:o}", "containerInstances", found, "failures", failures);
}

static int include_of(const json_t *in, unsigned *mask, ecsfs_err *err)
{
	const json_t *list = NULL, *v;
	size_t i;
	int r;

	*mask = 0;
	if ((r = ecsfs__api_strs(in, "include", false, &list, err)) < 0)
		return r;
	json_array_foreach(list, i, v) {
		const char *s = json_string_value(v);
		if (strcmp(s, "TAGS") == 0)
			*mask |= INCLUDE_TAGS;
		else if (strcmp(s, "CONTAINER_INSTANCE_HEALTH") == 0)
			*mask |= INCLUDE_HEALTH;
		else
			return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
					     "include[%zu]: '%.100s' is not TAGS or "
					     "CONTAINER_INSTANCE_HEALTH",
					     i, s);
	}
	return 0;
}

/* A list of 1..max references. */
static int refs_of(const json_t *in, const char *key, size_t max, const json_t **refs,
		   ecsfs_err *err)
{
	int r = ecsfs__api_strs(in, key, true, refs, err);

	if (r == 0 && (json_array_size(*refs) < 1 || json_array_size(*refs) > max))
		r = ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				  "%s: give 1 to %zu container instances", key, max);
	return r;
}

static int describe_container_instances(const ecsfs_api_core *c, const json_t *in, json_t **out,
					ecsfs_err *err)
{
	const json_t *refs = NULL;
	char cluster[256];
	unsigned include;
	int r;

	if ((r = cluster_of(c, in, cluster, err)) < 0 ||
	    (r = refs_of(in, "containerInstances", DESCRIBE_MAX, &refs, err)) < 0 ||
	    (r = include_of(in, &include, err)) < 0)
		return r;
	*out = describe_all(c, cluster, refs, include);
	return 0;
}

/* ListContainerInstances' status: one of the model's, of which only ACTIVE
 * and DRAINING are ever held here. */
static int status_of(const json_t *in, const char **status, ecsfs_err *err)
{
	static const char *const all[] = {
	    "ACTIVE", "DRAINING", "REGISTERING", "DEREGISTERING", "REGISTRATION_FAILED", NULL};
	int r = ecsfs__api_str(in, "status", false, status, err);

	if (r < 0 || !*status)
		return r;
	for (const char *const *s = all; *s; s++)
		if (strcmp(*s, *status) == 0)
			return 0;
	return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
			     "status: '%.100s' is not one of ACTIVE, DRAINING, REGISTERING, "
			     "DEREGISTERING, REGISTRATION_FAILED",
			     *status);
}

static int list_container_instances(const ecsfs_api_core *c, const json_t *in, json_t **out,
				    ecsfs_err *err)
{
	const char *filter = NULL, *status = NULL;
	json_t *names = NULL, *arns, *name, *o;
	ecsfs_cq *q = NULL;
	char cluster[256];
	size_t i;
	int r;

	if ((r = cluster_of(c, in, cluster, err)) < 0 ||
	    (r = ecsfs__api_str(in, "filter", false, &filter, err)) < 0 ||
	    (r = status_of(in, &status, err)) < 0)
		return r;
	if (filter && *filter && (r = ecsfs_cq_parse(filter, &q, err)) < 0) {
		ecsfs_buf msg = ECSFS_BUF_INIT;
		ecsfs_buf_add(&msg, err->msg.data, err->msg.len);
		ecsfs_err_reset(err);
		r = ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, r, "filter: %s",
				  msg.data ? msg.data : "");
		ecsfs_buf_release(&msg);
		return r;
	}
	r = ecsfs_instance_query(c->instances, cluster, q, status, &names, err);
	ecsfs_cq_free(q);
	if (r < 0)
		return r;
	arns = json_array();
	json_array_foreach(names, i, name)
		json_array_append_new(arns, ecsfs_arn_json("ecs", "container-instance/%s/%s",
							   cluster, json_string_value(name)));
	json_decref(names);
	o = json_object();
	if ((r = ecsfs__api_page(arns, in, 100, 100, o, "containerInstanceArns", err)) < 0) {
		json_decref(o);
		return r;
	}
	*out = o;
	return 0;
}

static int update_container_instances_state(const ecsfs_api_core *c, const json_t *in, json_t **out,
					    ecsfs_err *err)
{
	const json_t *refs = NULL, *ref;
	const char *status = NULL;
	char cluster[256];
	size_t i;
	int r;

	if ((r = cluster_of(c, in, cluster, err)) < 0 ||
	    (r = refs_of(in, "containerInstances", UPDATE_MAX, &refs, err)) < 0 ||
	    (r = ecsfs__api_str(in, "status", true, &status, err)) < 0)
		return r;
	if (strcmp(status, "ACTIVE") != 0 && strcmp(status, "DRAINING") != 0)
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "status: a container instance can be set ACTIVE or "
				     "DRAINING, not '%.100s'",
				     status);
	json_array_foreach(refs, i, ref) {
		const char *name = ecsfs_instance_ref(cluster, json_string_value(ref));
		if (!name || ecsfs_instance_exists(c->instances, cluster, name) < 0)
			continue; /* a failure below */
		if ((r = ecsfs_instance_set_state(c->instances, cluster, name, status, err)) < 0)
			return r;
	}
	*out = describe_all(c, cluster, refs, 0);
	return 0;
}

/* Deregister: the spec file goes. ECS's force lets an instance with tasks
 * go, orphaning them; here a deregistered engine's tasks would be left
 * unwatched on it, so force is refused while tasks run (drain first). */
static int deregister_container_instance(const ecsfs_api_core *c, const json_t *in, json_t **out,
					 ecsfs_err *err)
{
	const char *ref = NULL, *name;
	char cluster[256];
	bool force = false;
	json_t *o;
	int r;

	if ((r = cluster_of(c, in, cluster, err)) < 0 ||
	    (r = ecsfs__api_str(in, "containerInstance", true, &ref, err)) < 0 ||
	    (r = ecsfs__api_bool(in, "force", &force, err)) < 0)
		return r;
	name = ecsfs_instance_ref(cluster, ref);
	if (!name || !(o = described(c, cluster, name, 0)))
		return ecsfs_err_set(err, ECSFS_E_CLIENT, -ENOENT,
				     "containerInstance: no container instance %.300s in cluster "
				     "%s",
				     ref, cluster);
	if ((r = ecsfs_instance_delete(c->instances, cluster, name, err)) < 0) {
		json_decref(o);
		return r;
	}
	json_object_set_new(o, "status", json_string("INACTIVE"));
	*out = json_pack("{s:o}", "containerInstance", o);
	return 0;
}

/* ---- attributes ---- */

static int put_attributes(const ecsfs_api_core *c, const json_t *in, json_t **out, ecsfs_err *err)
{
	char cluster[256];
	int r;

	if ((r = cluster_of(c, in, cluster, err)) < 0)
		return r;
	if ((r = ecsfs_instance_attrs_put(c->instances, cluster, in, err)) < 0)
		return attr_error(r, err);
	*out = json_pack("{s:O}", "attributes", json_object_get(in, "attributes"));
	return 0;
}

static int delete_attributes(const ecsfs_api_core *c, const json_t *in, json_t **out,
			     ecsfs_err *err)
{
	char cluster[256];
	int r;

	if ((r = cluster_of(c, in, cluster, err)) < 0)
		return r;
	if ((r = ecsfs_instance_attrs_delete(c->instances, cluster, in, err)) < 0)
		return attr_error(r, err);
	*out = json_pack("{s:O}", "attributes", json_object_get(in, "attributes"));
	return 0;
}

static int list_attributes(const ecsfs_api_core *c, const json_t *in, json_t **out, ecsfs_err *err)
{
	const char *type = NULL, *name = NULL, *value = NULL;
	char cluster[256];
	json_t *all, *o;
	int r;

	if ((r = cluster_of(c, in, cluster, err)) < 0 ||
	    (r = ecsfs__api_str(in, "targetType", true, &type, err)) < 0 ||
	    (r = ecsfs__api_str(in, "attributeName", false, &name, err)) < 0 ||
	    (r = ecsfs__api_str(in, "attributeValue", false, &value, err)) < 0)
		return r;
	if (strcmp(type, "container-instance") != 0)
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "targetType: the only target type is container-instance");
	if ((r = ecsfs_instance_attrs_list(c->instances, cluster, name, value, &all, err)) < 0)
		return r;
	o = json_object();
	if ((r = ecsfs__api_page(all, in, 100, 100, o, "attributes", err)) < 0) {
		json_decref(o);
		return r;
	}
	*out = o;
	return 0;
}

const ecsfs__api_op ecsfs__ecs_instance_ops[] = {
    {"ListContainerInstances", list_container_instances},
    {"DescribeContainerInstances", describe_container_instances},
    {"UpdateContainerInstancesState", update_container_instances_state},
    {"DeregisterContainerInstance", deregister_container_instance},
    {"PutAttributes", put_attributes},
    {"DeleteAttributes", delete_attributes},
    {"ListAttributes", list_attributes},
    {NULL, NULL},
};
