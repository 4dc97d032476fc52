/*
 * ecsfs — Application Auto Scaling over the API (X-Amz-Target
 * AnyScaleFrontendService.*) for ECS services: the operations parse,
 * merge into the one document core/model/scaling.c keeps (the file
 * spec/clusters/<c>/scaling/<service>.json shows it) and render the
 * describe shapes of botocore's application-autoscaling model.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "api_private.h"
#include "ecsfs/arn.h"
#include "ecsfs/scaling.h"
#include "ecsfs/util.h"

#define DIMENSION "ecs:service:DesiredCount"

/* Our errors in Application Auto Scaling's exception names. */
static int aas_error(ecsfs_err *err, int r)
{
	static const struct {
		ecsfs_err_kind kind;
		const char *type;
	} names[] = {
	    {ECSFS_E_INVALID_PARAMETER, "ValidationException"},
	    {ECSFS_E_CLUSTER_NOT_FOUND, "ValidationException"},
	    {ECSFS_E_RESOURCE_NOT_FOUND, "ObjectNotFoundException"},
	    {ECSFS_E_LIMIT_EXCEEDED, "LimitExceededException"},
	    {ECSFS_E_SERVER, "InternalServiceException"},
	};
	ecsfs_buf msg = ECSFS_BUF_INIT;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (err->kind == names[i].kind) {
			ecsfs_buf_add(&msg, err->msg.data, err->msg.len);
			ecsfs__api_fail(err, names[i].type, "%s", msg.data ? msg.data : "");
			ecsfs_buf_release(&msg);
			return r;
		}
	return r;
}

/* ServiceNamespace ecs, ResourceId service/<cluster>/<service>, the
 * dimension of a desiredCount. */
/* A string field, with ValidationException for a wrong or missing one. */
static int str_field(const json_t *in, const char *key, bool required, const char **v,
		     ecsfs_err *err)
{
	int r = ecsfs__api_str(in, key, required, v, err);
	return r < 0 ? aas_error(err, r) : r;
}

static int resource(const json_t *in, bool required, char cluster[256], char service[256],
		    ecsfs_err *err)
{
	const char *ns = NULL, *id = NULL, *dim = NULL;
	int r;

	if ((r = str_field(in, "ServiceNamespace", true, &ns, err)) < 0 ||
	    (r = str_field(in, "ResourceId", required, &id, err)) < 0 ||
	    (r = str_field(in, "ScalableDimension", required, &dim, err)) < 0)
		return r;
	if (strcmp(ns, "ecs") != 0)
		return ecsfs__api_fail(err, "ValidationException",
				       "ServiceNamespace: only ecs is served here, not %.40s", ns);
	if (dim && strcmp(dim, DIMENSION) != 0)
		return ecsfs__api_fail(err, "ValidationException",
				       "ScalableDimension: only " DIMENSION " is served here");
	cluster[0] = service[0] = '\0';
	if (id &&
	    (sscanf(id, "service/%255[^/]/%255s", cluster, service) != 2 || strchr(service, '/')))
		return ecsfs__api_fail(err, "ValidationException",
				       "ResourceId: '%.80s' is not service/<cluster>/<service>",
				       id);
	return 0;
}

static int load(const ecsfs_api_core *c, const char *cluster, const char *service, json_t **doc,
		ecsfs_err *err)
{
	if (ecsfs_scaling_get(c->store, cluster, service, doc) == 0)
		return 0;
	return ecsfs__api_fail(err, "ObjectNotFoundException",
			       "No scalable target registered for service namespace: ecs, "
			       "resource ID: service/%s/%s, scalable dimension: " DIMENSION,
			       cluster, service);
}

static int save(const ecsfs_api_core *c, const char *cluster, const char *service, json_t *doc,
		ecsfs_err *err)
{
	int r;

	if (!c->scaling)
		return ecsfs__api_fail(err, "InternalServiceException", "auto scaling is off");
	r = ecsfs_scaling_put(c->scaling, cluster, service, doc, NULL, err);
	return r < 0 ? aas_error(err, r) : 0;
}

/* ---- RegisterScalableTarget, DeregisterScalableTarget ---- */

static void merge_field(json_t *doc, const json_t *in, const char *key)
{
	json_t *v = json_object_get(in, key);

	if (!v || json_is_null(v))
		return;
	if (json_is_object(v) && json_is_object(json_object_get(doc, key)))
		json_object_update(json_object_get(doc, key), v);
	else
		json_object_set(doc, key, v);
}

static int register_target(const ecsfs_api_core *c, const json_t *in, json_t **out, ecsfs_err *err)
{
	static const char *const keys[] = {"MinCapacity", "MaxCapacity", "RoleARN",
					   "SuspendedState", "Tags"};
	char cluster[256], service[256];
	json_t *doc = NULL;
	int r;

	if ((r = resource(in, true, cluster, service, err)) < 0)
		return r;
	if (ecsfs_scaling_get(c->store, cluster, service, &doc) < 0) {
		if (!json_object_get(in, "MinCapacity") || !json_object_get(in, "MaxCapacity"))
			return ecsfs__api_fail(err, "ValidationException",
					       "MinCapacity and MaxCapacity are required to "
					       "register a new scalable target");
		doc = json_object();
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		merge_field(doc, in, keys[i]);
	r = save(c, cluster, service, doc, err);
	json_decref(doc);
	/* botocore's model of this API has no ScalableTargetARN yet: {} */
	*out = NULL;
	return r;
}

static int deregister_target(const ecsfs_api_core *c, const json_t *in, json_t **out,
			     ecsfs_err *err)
{
	char cluster[256], service[256];
	int r;

	if ((r = resource(in, true, cluster, service, err)) < 0)
		return r;
	if (!c->scaling)
		return ecsfs__api_fail(err, "InternalServiceException", "auto scaling is off");
	if ((r = ecsfs_scaling_delete(c->scaling, cluster, service, err)) < 0)
		return aas_error(err, r);
	*out = NULL;
	return 0;
}

/* ---- the describes ---- */

struct each {
	const ecsfs_api_core *c;
	const json_t *in;
	const json_t *ids; /* ResourceIds, or NULL: all */
	json_t *list;
	int (*add)(struct each *e, const char *cluster, const char *service, json_t *doc);
};

static int each_target(void *data, const char *both)
{
	struct each *e = data;
	const char *slash = strchr(both, '/');
	char cluster[256], res[600];
	json_t *doc = NULL, *id;
	bool wanted = !e->ids || !json_array_size(e->ids);
	size_t i;

	if (!slash || (size_t)(slash - both) >= sizeof(cluster))
		return 0;
	snprintf(cluster, sizeof(cluster), "%.*s", (int)(slash - both), both);
	snprintf(res, sizeof(res), "service/%s", both);
	json_array_foreach(e->ids, i, id)
		wanted |= strcmp(json_string_value(id) ?: "", res) == 0;
	if (wanted && ecsfs_scaling_get(e->c->store, cluster, slash + 1, &doc) == 0)
		e->add(e, cluster, slash + 1, doc);
	json_decref(doc);
	return 0;
}

static double created_s(const ecsfs_api_core *c, const char *cluster, const char *service)
{
	int64_t ns = 0;
	ecsfs_store_scaling_get(c->store, cluster, service, &ns, NULL);
	return (double)ns / 1e9;
}

static json_t *identity(const char *cluster, const char *service)
{
	char res[600];

	snprintf(res, sizeof(res), "service/%s/%s", cluster, service);
	return json_pack("{s:s, s:s, s:s}", "ServiceNamespace", "ecs", "ResourceId", res,
			 "ScalableDimension", DIMENSION);
}

static int add_target(struct each *e, const char *cluster, const char *service, json_t *doc)
{
	json_t *t = identity(cluster, service);
	ecsfs_buf arn = ECSFS_BUF_INIT;
	json_t *sus = json_object_get(doc, "SuspendedState");

	json_object_set(t, "MinCapacity", json_object_get(doc, "MinCapacity"));
	json_object_set(t, "MaxCapacity", json_object_get(doc, "MaxCapacity"));
	ecsfs_arn(&arn, "iam",
		  "role/aws-service-role/ecs.application-autoscaling.amazonaws.com/"
		  "AWSServiceRoleForApplicationAutoScaling_ECSService");
	json_object_set_new(t, "RoleARN",
			    json_object_get(doc, "RoleARN")
				? json_incref(json_object_get(doc, "RoleARN"))
				: json_string(arn.data));
	json_object_set_new(t, "CreationTime", json_real(created_s(e->c, cluster, service)));
	json_object_set_new(
	    t, "SuspendedState",
	    json_pack("{s:b, s:b, s:b}", "DynamicScalingInSuspended",
		      json_is_true(json_object_get(sus, "DynamicScalingInSuspended")),
		      "DynamicScalingOutSuspended",
		      json_is_true(json_object_get(sus, "DynamicScalingOutSuspended")),
		      "ScheduledScalingSuspended",
		      json_is_true(json_object_get(sus, "ScheduledScalingSuspended"))));
	ecsfs_buf_release(&arn);
	json_array_append_new(e->list, t);
	return 0;
}

static int describe_each(const ecsfs_api_core *c, const json_t *in, const char *ids_key,
			 int (*add)(struct each *, const char *, const char *, json_t *),
			 const char *list_key, json_t **out, ecsfs_err *err)
{
	char cluster[256], service[256];
	const json_t *ids = NULL;
	json_t *one = NULL;
	struct each e = {.c = c, .in = in, .add = add};
	int r;

	if ((r = resource(in, false, cluster, service, err)) < 0)
		return r;
	if (ids_key && (r = ecsfs__api_strs(in, ids_key, false, &ids, err)) < 0)
		return aas_error(err, r);
	if (!ids_key && service[0]) {
		char res[600];
		snprintf(res, sizeof(res), "service/%s/%s", cluster, service);
		ids = one = json_pack("[s]", res);
	}
	e.ids = ids;
	e.list = json_array();
	ecsfs_scaling_list_all(c->store, each_target, &e);
	json_decref(one);
	*out = json_pack("{s:o}", list_key, e.list);
	return 0;
}

static int describe_targets(const ecsfs_api_core *c, const json_t *in, json_t **out, ecsfs_err *err)
{
	return describe_each(c, in, "ResourceIds", add_target, "ScalableTargets", out, err);
}

/* ---- policies ---- */

static void policy_arn(const char *cluster, const char *service, const char *kind, const char *name,
		       ecsfs_buf *out)
{
	uint32_t h = 2166136261u;

	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	ecsfs_arn(out, "autoscaling",
		  "%s:%08x-%04x-4%03x-8%03x-%012x:resource/ecs/service/%s/%s:%sName/%s", kind, h,
		  h >> 16, h & 0xfff, (h >> 4) & 0xfff, h, cluster, service,
		  strcmp(kind, "scalingPolicy") == 0 ? "policy" : "scheduledAction", name);
}

/* Replace the element of `arr` whose `key` is `name`, or append. */
static void upsert(json_t *arr, const char *key, const char *name, json_t *item)
{
	size_t i;
	json_t *e;

	json_array_foreach(arr, i, e)
		if (strcmp(json_string_value(json_object_get(e, key)) ?: "", name) == 0) {
			json_array_set_new(arr, i, item);
			return;
		}
	json_array_append_new(arr, item);
}

/* The request without the target's identity: what the file keeps. */
static json_t *bare(const json_t *in)
{
	json_t *o = json_deep_copy(in);

	json_object_del(o, "ServiceNamespace");
	json_object_del(o, "ResourceId");
	json_object_del(o, "ScalableDimension");
	return o;
}

static json_t *list_of(json_t *doc, const char *key)
{
	json_t *arr = json_object_get(doc, key);

	if (!json_is_array(arr)) {
		arr = json_array();
		json_object_set_new(doc, key, arr);
	}
	return arr;
}

static int put_policy(const ecsfs_api_core *c, const json_t *in, json_t **out, ecsfs_err *err)
{
	char cluster[256], service[256];
	const char *name = NULL;
	ecsfs_buf arn = ECSFS_BUF_INIT;
	json_t *doc = NULL;
	int r;

	if ((r = resource(in, true, cluster, service, err)) < 0 ||
	    (r = str_field(in, "PolicyName", true, &name, err)) < 0 ||
	    (r = load(c, cluster, service, &doc, err)) < 0)
		return r;
	upsert(list_of(doc, "ScalingPolicies"), "PolicyName", name, bare(in));
	r = save(c, cluster, service, doc, err);
	json_decref(doc);
	if (r < 0)
		return r;
	policy_arn(cluster, service, "scalingPolicy", name, &arn);
	*out = json_pack("{s:s, s:o}", "PolicyARN", arn.data, "Alarms",
			 ecsfs_scaling_policy_alarms(cluster, service, in));
	ecsfs_buf_release(&arn);
	return 0;
}

static int add_policies(struct each *e, const char *cluster, const char *service, json_t *doc)
{
	const json_t *names = json_object_get(e->in, "PolicyNames"), *n;
	size_t i, j;
	json_t *p;

	json_array_foreach(json_object_get(doc, "ScalingPolicies"), i, p) {
		const char *name = json_string_value(json_object_get(p, "PolicyName")) ?: "";
		bool wanted = !json_array_size(names);
		ecsfs_buf arn = ECSFS_BUF_INIT;
		json_t *o;
		json_array_foreach(names, j, n)
			wanted |= strcmp(json_string_value(n) ?: "", name) == 0;
		if (!wanted)
			continue;
		o = identity(cluster, service);
		json_object_update(o, p);
		json_object_del(o, "Alarm");
		if (!json_object_get(o, "PolicyType"))
			json_object_set_new(o, "PolicyType", json_string("StepScaling"));
		policy_arn(cluster, service, "scalingPolicy", name, &arn);
		json_object_set_new(o, "PolicyARN", json_string(arn.data));
		json_object_set_new(o, "Alarms", ecsfs_scaling_policy_alarms(cluster, service, p));
		json_object_set_new(o, "CreationTime",
				    json_real(created_s(e->c, cluster, service)));
		json_array_append_new(e->list, o);
		ecsfs_buf_release(&arn);
	}
	return 0;
}

static int describe_policies(const ecsfs_api_core *c, const json_t *in, json_t **out,
			     ecsfs_err *err)
{
	return describe_each(c, in, NULL, add_policies, "ScalingPolicies", out, err);
}

/* Remove the element named `name` from doc[key]: 0, or -ENOENT. */
static int remove_named(json_t *doc, const char *key, const char *field, const char *name)
{
	json_t *arr = json_object_get(doc, key), *e;
	size_t i;

	json_array_foreach(arr, i, e)
		if (strcmp(json_string_value(json_object_get(e, field)) ?: "", name) == 0) {
			json_array_remove(arr, i);
			return 0;
		}
	return -ENOENT;
}

static int delete_named(const ecsfs_api_core *c, const json_t *in, const char *key,
			const char *field, const char *what, ecsfs_err *err)
{
	char cluster[256], service[256];
	const char *name = NULL;
	json_t *doc = NULL;
	int r;

	if ((r = resource(in, true, cluster, service, err)) < 0 ||
	    (r = str_field(in, field, true, &name, err)) < 0 ||
	    (r = load(c, cluster, service, &doc, err)) < 0)
		return r;
	if (remove_named(doc, key, field, name) < 0)
		r = ecsfs__api_fail(err, "ObjectNotFoundException",
				    "No %s found for service namespace: ecs, resource ID: "
				    "service/%s/%s, scalable dimension: " DIMENSION ", %s name: %s",
				    what, cluster, service, what, name);
	else
		r = save(c, cluster, service, doc, err);
	json_decref(doc);
	return r;
}

static int delete_policy(const ecsfs_api_core *c, const json_t *in, json_t **out, ecsfs_err *err)
{
	*out = NULL;
	return delete_named(c, in, "ScalingPolicies", "PolicyName", "scaling policy", err);
}

/* ---- scheduled actions ---- */

static int put_action(const ecsfs_api_core *c, const json_t *in, json_t **out, ecsfs_err *err)
{
	char cluster[256], service[256];
	const char *name = NULL;
	json_t *doc = NULL;
	int r;

	if ((r = resource(in, true, cluster, service, err)) < 0 ||
	    (r = str_field(in, "ScheduledActionName", true, &name, err)) < 0 ||
	    (r = load(c, cluster, service, &doc, err)) < 0)
		return r;
	upsert(list_of(doc, "ScheduledActions"), "ScheduledActionName", name, bare(in));
	r = save(c, cluster, service, doc, err);
	json_decref(doc);
	*out = NULL;
	return r;
}

static int add_actions(struct each *e, const char *cluster, const char *service, json_t *doc)
{
	const json_t *names = json_object_get(e->in, "ScheduledActionNames"), *n;
	size_t i, j;
	json_t *a;

	json_array_foreach(json_object_get(doc, "ScheduledActions"), i, a) {
		const char *name =
		    json_string_value(json_object_get(a, "ScheduledActionName")) ?: "";
		bool wanted = !json_array_size(names);
		ecsfs_buf arn = ECSFS_BUF_INIT;
		json_t *o;
		json_array_foreach(names, j, n)
			wanted |= strcmp(json_string_value(n) ?: "", name) == 0;
		if (!wanted)
			continue;
		o = identity(cluster, service);
		json_object_update(o, a);
		policy_arn(cluster, service, "scheduledAction", name, &arn);
		json_object_set_new(o, "ScheduledActionARN", json_string(arn.data));
		json_object_set_new(o, "CreationTime",
				    json_real(created_s(e->c, cluster, service)));
		json_array_append_new(e->list, o);
		ecsfs_buf_release(&arn);
	}
	return 0;
}

static int describe_actions(const ecsfs_api_core *c, const json_t *in, json_t **out, ecsfs_err *err)
{
	return describe_each(c, in, NULL, add_actions, "ScheduledActions", out, err);
}

static int delete_action(const ecsfs_api_core *c, const json_t *in, json_t **out, ecsfs_err *err)
{
	*out = NULL;
	return delete_named(c, in, "ScheduledActions", "ScheduledActionName", "scheduled action",
			    err);
}

/* ---- activities ---- */

/* StartTime and EndTime as the protocol sends times: seconds since 1970. */
static void epochs(json_t *a)
{
	static const char *const keys[] = {"StartTime", "EndTime"};
	int64_t ns;

	for (size_t i = 0; i < 2; i++) {
		const char *s = json_string_value(json_object_get(a, keys[i]));
		if (s && ecsfs_time_parse(s, strlen(s), 0, &ns) == 0)
			json_object_set_new(a, keys[i], json_real((double)ns / 1e9));
	}
}

static int add_activities(struct each *e, const char *cluster, const char *service, json_t *doc)
{
	json_t *list = NULL, *a;
	size_t i;

	(void)doc;
	if (ecsfs_scaling_activities(e->c->store, cluster, service, &list) < 0)
		return 0;
	json_array_foreach(list, i, a) {
		epochs(a);
		json_array_append(e->list, a);
	}
	json_decref(list);
	return 0;
}

static int describe_activities(const ecsfs_api_core *c, const json_t *in, json_t **out,
			       ecsfs_err *err)
{
	return describe_each(c, in, NULL, add_activities, "ScalingActivities", out, err);
}

const ecsfs__api_op ecsfs__autoscaling_ops[] = {
    {"RegisterScalableTarget", register_target},
    {"DeregisterScalableTarget", deregister_target},
    {"DescribeScalableTargets", describe_targets},
    {"PutScalingPolicy", put_policy},
    {"DescribeScalingPolicies", describe_policies},
    {"DeleteScalingPolicy", delete_policy},
    {"DescribeScalingActivities", describe_activities},
    {"PutScheduledAction", put_action},
    {"DescribeScheduledActions", describe_actions},
    {"DeleteScheduledAction", delete_action},
    {NULL, NULL},
};
