/*
 * ECS operations on services: Create/Update/Delete/Describe/ListServices,
 * ListServiceDeployments, DescribeServiceDeployments. They reach the
 * services of core (include/ecsfs/service.h) that the spec files reach, so
 * a service made here has its spec/clusters/<c>/services/<s>.json, and
 * one an rsync wrote is described here.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "api_private.h"
#include "ecsfs/arn.h"
#include "ecsfs/cluster.h"
#include "ecsfs/util.h"

#define DESCRIBE_MAX	 10 /* services of one DescribeServices (ECS's) */
#define DEPLOYMENTS_MAX	 20 /* ARNs of one DescribeServiceDeployments */
#define LIST_DEFAULT	 10
#define LIST_DEPLOY_DFLT 20

static int no_services(ecsfs_err *err)
{
	return ecsfs_err_set(err, ECSFS_E_SERVER, -EIO, "services are not available");
}

/*
 * The cluster and service a request names in `key`: a name or a service
 * ARN ("service/<cluster>/<name>"), whose cluster stands for "cluster"
 * when that is absent.
 */
static int service_ref(const ecsfs_api_core *c, const json_t *in, const char *key,
		       char cluster[256], char name[256], ecsfs_err *err)
{
	const char *ref = NULL, *res, *id;
	int r;

	if (!c->services)
		return no_services(err);
	if ((r = ecsfs__api_str(in, key, true, &ref, err)) < 0 ||
	    (r = ecsfs__api_cluster(in, "cluster", cluster, err)) < 0)
		return r;
	if (!(id = ecsfs__api_arn_id(ref, "service")) || !*id || strlen(id) > 255)
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "%s: %s is not a service name or ARN", key, ref);
	snprintf(name, 256, "%s", id);
	res = ecsfs_arn_resource(ref, "ecs");
	if (res && !json_object_get(in, "cluster") && strchr(res + 8, '/'))
		snprintf(cluster, 256, "%.*s", (int)(strchr(res + 8, '/') - (res + 8)), res + 8);
	return 0;
}

/* describe-services' object, epoch timestamps; tags only when asked for. */
static int described(const ecsfs_api_core *c, const char *cluster, const char *name, bool tags,
		     json_t **out, ecsfs_err *err)
{
	json_t *o = NULL;
	int r = ecsfs_service_describe(c->services, cluster, name, &o, err);

	if (r < 0)
		return r;
	if (!tags)
		json_object_del(o, "tags");
	ecsfs__api_epochs(o, NULL);
	*out = o;
	return 0;
}

static int answer(const ecsfs_api_core *c, const char *cluster, const char *name, json_t **out,
		  ecsfs_err *err)
{
	json_t *o = NULL;
	int r = described(c, cluster, name, true, &o, err);

	if (r == 0)
		*out = json_pack("{s:o}", "service", o);
	return r;
}

static int create_service(const ecsfs_api_core *c, const json_t *in, json_t **out, ecsfs_err *err)
{
	char cluster[256];
	const char *name = NULL;
	json_t *doc;
	int r;

	if (!c->services)
		return no_services(err);
	if ((r = ecsfs__api_str(in, "serviceName", true, &name, err)) < 0 ||
	    (r = ecsfs__api_cluster(in, "cluster", cluster, err)) < 0)
		return r;
	doc = json_deep_copy(in);
	json_object_del(doc, "cluster");
	r = ecsfs_service_create_new(c->services, cluster, name, doc, err);
	json_decref(doc);
	return r < 0 ? r : answer(c, cluster, name, out, err);
}

static int update_service(const ecsfs_api_core *c, const json_t *in, json_t **out, ecsfs_err *err)
{
	char cluster[256], name[256];
	bool force = false;
	json_t *changes;
	int r;

	if ((r = service_ref(c, in, "service", cluster, name, err)) < 0 ||
	    (r = ecsfs__api_bool(in, "forceNewDeployment", &force, err)) < 0)
		return r;
	changes = json_deep_copy(in);
	json_object_del(changes, "service");
	json_object_del(changes, "cluster");
	json_object_del(changes, "forceNewDeployment");
	r = ecsfs_service_update(c->services, cluster, name, changes, force, err);
	json_decref(changes);
	return r < 0 ? r : answer(c, cluster, name, out, err);
}

static int delete_service(const ecsfs_api_core *c, const json_t *in, json_t **out, ecsfs_err *err)
{
	char cluster[256], name[256];
	bool force = false;
	int r;

	if ((r = service_ref(c, in, "service", cluster, name, err)) < 0 ||
	    (r = ecsfs__api_bool(in, "force", &force, err)) < 0 ||
	    (r = ecsfs_service_delete(c->services, cluster, name, force, err)) < 0)
		return r;
	return answer(c, cluster, name, out, err);
}

static int wants_tags(const json_t *in, bool *yes, ecsfs_err *err)
{
	const json_t *inc = NULL, *v;
	size_t i;
	int r = ecsfs__api_strs(in, "include", false, &inc, err);

	*yes = false;
	json_array_foreach(inc, i, v)
		*yes = *yes || strcmp(json_string_value(v), "TAGS") == 0;
	return r;
}

static json_t *missing(const char *cluster, const char *ref)
{
	const char *id = ecsfs__api_arn_id(ref, "service");
	json_t *arn =
	    id && *id ? ecsfs_arn_json("ecs", "service/%s/%s", cluster, id) : json_string(ref);
	return json_pack("{s:o, s:s}", "arn", arn, "reason", "MISSING");
}

static int describe_services(const ecsfs_api_core *c, const json_t *in, json_t **out,
			     ecsfs_err *err)
{
	char cluster[256];
	const json_t *refs = NULL, *ref;
	json_t *list, *failures;
	bool tags;
	size_t i;
	int r;

	if (!c->services)
		return no_services(err);
	if ((r = ecsfs__api_cluster(in, "cluster", cluster, err)) < 0 ||
	    (r = ecsfs__api_strs(in, "services", true, &refs, err)) < 0 ||
	    (r = wants_tags(in, &tags, err)) < 0)
		return r;
	if (json_array_size(refs) > DESCRIBE_MAX)
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "services: at most %d at a time", DESCRIBE_MAX);
	if ((r = ecsfs_cluster_check(c->store, cluster, err)) < 0)
		return r;
	list = json_array();
	failures = json_array();
	json_array_foreach(refs, i, ref) {
		const char *name = ecsfs__api_arn_id(json_string_value(ref), "service");
		ecsfs_err e = ECSFS_ERR_INIT;
		json_t *o = NULL;
		if (name && *name && described(c, cluster, name, tags, &o, &e) == 0)
			json_array_append_new(list, o);
		else
			json_array_append_new(failures, missing(cluster, json_string_value(ref)));
		ecsfs_err_release(&e);
	}
	*out = json_pack("{s:o, s:o}", "services", list, "failures", failures);
	return 0;
}

/* ---- ListServices ---- */

typedef struct list_ctx {
	const ecsfs_api_core *c;
	const char *cluster, *launch_type, *strategy;
	json_t *arns;
} list_ctx;

static bool field_is(json_t *o, const char *key, const char *want)
{
	const char *v = json_string_value(json_object_get(o, key));
	return !want || (v && strcmp(v, want) == 0);
}

static int list_cb(void *data, const char *name)
{
	list_ctx *x = data;
	json_t *o = NULL;

	if (ecsfs_service_describe(x->c->services, x->cluster, name, &o, NULL) < 0)
		return 0;
	if (field_is(o, "launchType", x->launch_type) &&
	    field_is(o, "schedulingStrategy", x->strategy))
		json_array_append(x->arns, json_object_get(o, "serviceArn"));
	json_decref(o);
	return 0;
}

static int list_services(const ecsfs_api_core *c, const json_t *in, json_t **out, ecsfs_err *err)
{
	char cluster[256];
	list_ctx x = {.c = c, .cluster = cluster};
	int r;

	if (!c->services)
		return no_services(err);
	if ((r = ecsfs__api_cluster(in, "cluster", cluster, err)) < 0 ||
	    (r = ecsfs__api_str(in, "launchType", false, &x.launch_type, err)) < 0 ||
	    (r = ecsfs__api_str(in, "schedulingStrategy", false, &x.strategy, err)) < 0)
		return r;
	if ((r = ecsfs_cluster_check(c->store, cluster, err)) < 0)
		return r;
	x.arns = json_array();
	ecsfs_service_list(c->store, cluster, list_cb, &x);
	*out = json_object();
	if ((r = ecsfs__api_page(x.arns, in, LIST_DEFAULT, 100, *out, "serviceArns", err)) < 0) {
		json_decref(*out);
		*out = NULL;
	}
	return r;
}

/* ---- service deployments ---- */

/* Does a brief pass the request's status and createdAt filters? */
static bool deployment_wanted(json_t *d, const json_t *statuses, const json_t *created)
{
	double at = json_number_value(json_object_get(d, "createdAt"));
	json_t *before = json_object_get(created, "before"),
	       *after = json_object_get(created, "after");
	const char *st = json_string_value(json_object_get(d, "status"));
	bool status_ok = json_array_size(statuses) == 0;
	json_t *v;
	size_t i;

	json_array_foreach((json_t *)statuses, i, v)
		status_ok = status_ok || strcmp(json_string_value(v), st) == 0;
	if (json_is_number(before) && at >= json_number_value(before))
		return false;
	if (json_is_number(after) && at <= json_number_value(after))
		return false;
	return status_ok;
}

static int list_service_deployments(const ecsfs_api_core *c, const json_t *in, json_t **out,
				    ecsfs_err *err)
{
	char cluster[256], name[256];
	const json_t *statuses = NULL, *created = json_object_get(in, "createdAt");
	json_t *all = NULL, *kept, *d;
	size_t i;
	int r;

	if ((r = service_ref(c, in, "service", cluster, name, err)) < 0 ||
	    (r = ecsfs__api_strs(in, "status", false, &statuses, err)) < 0 ||
	    (r = ecsfs_service_deployments(c->services, cluster, name, &all, err)) < 0)
		return r;
	ecsfs__api_epochs(all, NULL);
	kept = json_array();
	json_array_foreach(all, i, d)
		if (deployment_wanted(d, statuses, created))
			json_array_append(kept, d);
	json_decref(all);
	*out = json_object();
	if ((r = ecsfs__api_page(kept, in, LIST_DEPLOY_DFLT, 100, *out, "serviceDeployments",
				 err)) < 0) {
		json_decref(*out);
		*out = NULL;
	}
	return r;
}

/* "…:service-deployment/<cluster>/<service>/<id>" into its parts. */
static bool deployment_arn(const char *arn, char cluster[256], char name[256], const char **id)
{
	const char *res = ecsfs_arn_resource(arn, "ecs"), *a, *b;

	if (!res || strncmp(res, "service-deployment/", 19) != 0)
		return false;
	a = res + 19;
	if (!(b = strchr(a, '/')) || b - a > 255 || !strchr(b + 1, '/'))
		return false;
	snprintf(cluster, 256, "%.*s", (int)(b - a), a);
	a = b + 1;
	b = strchr(a, '/');
	if (b - a > 255)
		return false;
	snprintf(name, 256, "%.*s", (int)(b - a), a);
	*id = b + 1;
	return **id != '\0';
}

static int describe_service_deployments(const ecsfs_api_core *c, const json_t *in, json_t **out,
					ecsfs_err *err)
{
	const json_t *arns = NULL, *a;
	json_t *list, *failures;
	size_t i;
	int r;

	if (!c->services)
		return no_services(err);
	if ((r = ecsfs__api_strs(in, "serviceDeploymentArns", true, &arns, err)) < 0)
		return r;
	if (json_array_size(arns) > DEPLOYMENTS_MAX)
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "serviceDeploymentArns: at most %d at a time",
				     DEPLOYMENTS_MAX);
	list = json_array();
	failures = json_array();
	json_array_foreach(arns, i, a) {
		char cluster[256], name[256];
		const char *id;
		json_t *o = NULL;
		if (deployment_arn(json_string_value(a), cluster, name, &id) &&
		    ecsfs_service_deployment(c->services, cluster, name, id, &o, NULL) == 0) {
			ecsfs__api_epochs(o, NULL);
			json_array_append_new(list, o);
		} else {
			json_array_append_new(
			    failures, json_pack("{s:O, s:s}", "arn", a, "reason", "MISSING"));
		}
	}
	*out = json_pack("{s:o, s:o}", "serviceDeployments", list, "failures", failures);
	return 0;
}

const ecsfs__api_op ecsfs__ecs_service_ops[] = {
    {"CreateService", create_service},
    {"UpdateService", update_service},
    {"DeleteService", delete_service},
    {"DescribeServices", describe_services},
    {"ListServices", list_services},
    {"ListServiceDeployments", list_service_deployments},
    {"DescribeServiceDeployments", describe_service_deployments},
    {NULL, NULL},
};
