/*
 * ecsfs — services: the CreateService document (spec/clusters/<c>/
 * services/<s>.json) and the values the live controls take: what is a
 * valid definition, desiredCount or task-definition reference.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ecsfs/placement.h"
#include "ecsfs/shape.h"
#include "ecsfs/taskdef.h"
#include "ecsfs/util.h"
#include "model/service_private.h"

/* The file's names, for the hooks that compare fields with them. */
typedef struct names {
	const char *cluster, *name;
} names;

/* "family", "family:rev" or a task-definition ARN (0 = newest); the
 * callers say what is wrong in their own words. */
static int parse_ref(const char *ref, char family[256], int64_t *rev)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	int r = ecsfs_taskdef_parse_ref(ref, family, rev, &why);
	ecsfs_buf_release(&why);
	return r;
}

static int taskdef_ref(ecsfs_shape_ctx *c, const json_t *v)
{
	char family[256];
	int64_t rev;

	if (parse_ref(json_string_value(v), family, &rev) < 0)
		return ecsfs_shape_fail(c, "'%s' is not \"family\", \"family:revision\" or an ARN",
					ecsfs_shape_shown(c, json_string_value(v)));
	return 0;
}

/* Does a capacity provider strategy name a Fargate provider? Its index, or -1. */
static int fargate_item(const json_t *items)
{
	const json_t *item;
	size_t i;

	json_array_foreach(items, i, item) {
		const char *p = json_string_value(json_object_get(item, "capacityProvider"));
		if (p && (!strcmp(p, "FARGATE") || !strcmp(p, "FARGATE_SPOT")))
			return (int)i;
	}
	return -1;
}

/*
 * What a DAEMON service cannot take. Its count is its instances' (the
 * scheduler's): ECS refuses one given, in these words. It places one task
 * on each instance, so a placement strategy has nothing to choose; and
 * Fargate has no instances to put one on (ECS's documentation says both;
 * the messages are ours).
 */
static int daemon_rules(ecsfs_shape_ctx *c, const json_t *doc)
{
	const char *st = json_string_value(json_object_get(doc, "schedulingStrategy"));
	const char *lt = json_string_value(json_object_get(doc, "launchType"));
	int i;

	if (!st || strcmp(st, "DAEMON") != 0)
		return 0;
	if (json_object_get(doc, "desiredCount")) {
		ecsfs_shape_path(c, "desiredCount");
		return ecsfs_shape_fail(c, "%s", ecsfs__daemon_count_refused);
	}
	if (json_array_size(json_object_get(doc, "placementStrategy")) > 0) {
		ecsfs_shape_path(c, "placementStrategy");
		return ecsfs_shape_fail(c, "the DAEMON scheduling strategy places one task on each "
					   "container instance and takes no placement strategy");
	}
	if (lt && strcmp(lt, "FARGATE") == 0) {
		ecsfs_shape_path(c, "launchType");
		return ecsfs_shape_fail(c, "Fargate tasks do not support the DAEMON scheduling "
					   "strategy");
	}
	if ((i = fargate_item(json_object_get(doc, "capacityProviderStrategy"))) >= 0) {
		ecsfs_shape_path(c, "capacityProviderStrategy[%d].capacityProvider", i);
		return ecsfs_shape_fail(c, "Fargate tasks do not support the DAEMON scheduling "
					   "strategy");
	}
	return 0;
}

const char ecsfs__daemon_count_refused[] =
    "The daemon scheduling strategy does not support a desired count for services. Remove "
    "the desired count value and try again";

/* serviceName and cluster, when given, must be the file's. */
static int same_names(ecsfs_shape_ctx *c, const json_t *doc)
{
	const names *n = c->user;
	const char *sn = json_string_value(json_object_get(doc, "serviceName"));
	const char *cl = json_string_value(json_object_get(doc, "cluster"));
	const char *slash = cl ? strrchr(cl, '/') : NULL;

	if (sn && strcmp(sn, n->name) != 0) {
		ecsfs_shape_path(c, "serviceName");
		return ecsfs_shape_fail(c, "'%s' differs from the file name %s",
					ecsfs_shape_shown(c, sn), n->name);
	}
	if (cl && strcmp(slash ? slash + 1 : cl, n->cluster) != 0) {
		ecsfs_shape_path(c, "cluster");
		return ecsfs_shape_fail(c, "'%s' is not this directory's cluster %s",
					ecsfs_shape_shown(c, cl), n->cluster);
	}
	if (daemon_rules(c, doc) < 0 || ecsfs__svc_strategy_rules(c, doc) < 0)
		return -EINVAL;
	return ecsfs_place_check_request(doc, NULL, c->err);
}

static const char *const strategies[] = {"REPLICA", "DAEMON", NULL};
static const char *const propagate[] = {"TASK_DEFINITION", "SERVICE", "NONE", NULL};

static const ecsfs_field breaker_fields[] = {
    ECSFS_BOOL("enable", 0),
    ECSFS_BOOL("rollback", 0),
};
static const ecsfs_shape breaker_shape = ECSFS_SHAPE(breaker_fields);

static const ecsfs_field deployment_fields[] = {
    ECSFS_INT("maximumPercent", 0, 100, 400),
    ECSFS_INT("minimumHealthyPercent", 0, 0, 100),
    ECSFS_OBJ("deploymentCircuitBreaker", 0, breaker_shape),
    {.name = "alarms", .type = ECSFS_JSON_OBJECT, .flags = ECSFS_F_KEPT},
    ECSFS_STR_OF("strategy", 0, ecsfs__svc_strategies),
    ECSFS_INT("bakeTimeInMinutes", 0, 0, 1440),
    ECSFS_OBJ("linearConfiguration", 0, ecsfs__svc_linear_shape),
    ECSFS_OBJ("canaryConfiguration", 0, ecsfs__svc_canary_shape),
    ECSFS_OBJS("lifecycleHooks", 0, ecsfs__svc_hook_shape, ECSFS__HOOKS_MAX),
};
static const ecsfs_shape deployment_shape = ECSFS_SHAPE(deployment_fields);

static const ecsfs_field lb_fields[] = {
    ECSFS_STR("targetGroupArn", 0),
    ECSFS_STR("loadBalancerName", ECSFS_F_KEPT),
    ECSFS_STR("containerName", ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY),
    ECSFS_INT("containerPort", ECSFS_F_REQUIRED, 1, 65535),
    ECSFS_OBJ("advancedConfiguration", 0, ecsfs__svc_advanced_shape),
};
static const ecsfs_shape lb_shape = ECSFS_SHAPE(lb_fields);

static const ecsfs_field registry_fields[] = {
    ECSFS_STR("registryArn", ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY),
    ECSFS_INT("port", ECSFS_F_KEPT, 1, 65535),
    ECSFS_STR("containerName", ECSFS_F_KEPT),
    ECSFS_INT("containerPort", ECSFS_F_KEPT, 1, 65535),
};
static const ecsfs_shape registry_shape = ECSFS_SHAPE(registry_fields);

static const ecsfs_field alias_fields[] = {
    ECSFS_INT("port", ECSFS_F_REQUIRED, 1, 65535),
    {.name = "dnsName", .type = ECSFS_JSON_STRING, .flags = ECSFS_F_NONEMPTY, .max = 253},
};
static const ecsfs_shape alias_shape = ECSFS_SHAPE(alias_fields);

static const ecsfs_field connect_service_fields[] = {
    ECSFS_STR("portName", ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY),
    ECSFS_STR("discoveryName", ECSFS_F_KEPT),
    ECSFS_ARR("clientAliases", 0, ECSFS_ITEM(.type = ECSFS_JSON_OBJECT, .shape = &alias_shape), 0),
    ECSFS_INT("ingressPortOverride", ECSFS_F_KEPT, 1, 65535),
    {.name = "timeout", .type = ECSFS_JSON_OBJECT, .flags = ECSFS_F_KEPT},
    {.name = "tls", .type = ECSFS_JSON_OBJECT, .flags = ECSFS_F_KEPT},
};
static const ecsfs_shape connect_service_shape = ECSFS_SHAPE(connect_service_fields);

static const ecsfs_field connect_fields[] = {
    ECSFS_BOOL("enabled", ECSFS_F_REQUIRED),
    ECSFS_STR("namespace", ECSFS_F_KEPT),
    ECSFS_ARR("services", 0, ECSFS_ITEM(.type = ECSFS_JSON_OBJECT, .shape = &connect_service_shape),
	      0),
    {.name = "logConfiguration", .type = ECSFS_JSON_OBJECT, .flags = ECSFS_F_KEPT},
};
static const ecsfs_shape connect_shape = ECSFS_SHAPE(connect_fields);

/* CreateService's input without cluster's meaning (it must be the
 * directory's): what spec/clusters/<c>/services/<s>.json holds. */
static const ecsfs_field service_fields[] = {
    ECSFS_STR("serviceName", 0),
    ECSFS_STR("cluster", 0),
    {.name = "taskDefinition", .type = ECSFS_JSON_STRING, .check = taskdef_ref},
    ECSFS_INT("desiredCount", 0, 0, ECSFS_SERVICE_DESIRED_MAX),
    ECSFS_OBJ("deploymentConfiguration", 0, deployment_shape),
    ECSFS_INT("healthCheckGracePeriodSeconds", 0, 0, ECSFS_I32_MAX),
    ECSFS_STR_OF("schedulingStrategy", 0, strategies),
    ECSFS_STR_OF("propagateTags", ECSFS_F_KEPT, propagate),
    ECSFS_ARR("tags", ECSFS_F_KEPT, &ecsfs_item_tag, 50),
    ECSFS_ARR("loadBalancers", 0, ECSFS_ITEM(.type = ECSFS_JSON_OBJECT, .shape = &lb_shape),
	      ECSFS_SERVICE_LB_MAX),
    ECSFS_ARR("serviceRegistries", 0,
	      ECSFS_ITEM(.type = ECSFS_JSON_OBJECT, .shape = &registry_shape), 1),
    {.name = "networkConfiguration", .type = ECSFS_JSON_OBJECT, .flags = ECSFS_F_KEPT},
    ECSFS_STR("launchType", ECSFS_F_KEPT),
    ECSFS_ARR("capacityProviderStrategy", ECSFS_F_KEPT, NULL, 0),
    ECSFS_STR("platformVersion", ECSFS_F_KEPT),
    ECSFS_ARR("placementConstraints", ECSFS_F_KEPT, NULL, 0),
    ECSFS_ARR("placementStrategy", ECSFS_F_KEPT, NULL, 0),
    {.name = "deploymentController", .type = ECSFS_JSON_OBJECT, .flags = ECSFS_F_KEPT},
    ECSFS_BOOL("enableECSManagedTags", ECSFS_F_KEPT),
    ECSFS_BOOL("enableExecuteCommand", ECSFS_F_KEPT),
    ECSFS_STR("role", ECSFS_F_KEPT),
    ECSFS_STR("clientToken", 0),
    ECSFS_OBJ("serviceConnectConfiguration", 0, connect_shape),
    ECSFS_ARR("volumeConfigurations", ECSFS_F_KEPT, NULL, 0),
    ECSFS_STR("availabilityZoneRebalancing", ECSFS_F_KEPT),
    ECSFS_ARR("vpcLatticeConfigurations", ECSFS_F_KEPT, NULL, 0),
};
static const ecsfs_shape service_shape = ECSFS_SHAPE_HOOK(service_fields, same_names);

int ecsfs_service_check(const char *cluster, const char *name, const json_t *doc, ecsfs_err *err)
{
	ecsfs_err local = ECSFS_ERR_INIT;
	ecsfs_buf why = ECSFS_BUF_INIT;
	names n = {cluster, name};
	int r;

	if (!err)
		err = &local;
	if ((r = ecsfs_name_check(name, "service", &why)) < 0)
		ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, r, "%s", why.data);
	else
		r = ecsfs_shape_check(&service_shape, doc, &n, err);
	ecsfs_buf_release(&why);
	ecsfs_err_release(&local);
	return r;
}

/* ---- the values of the live controls ---- */

int ecsfs_service_check_desired(int64_t count, ecsfs_err *err)
{
	if (count < 0 || count > ECSFS_SERVICE_DESIRED_MAX)
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "desiredCount: %lld is out of range; the limit is 0 to %d",
				     (long long)count, ECSFS_SERVICE_DESIRED_MAX);
	return 0;
}

int ecsfs_service_check_taskdef(ecsfs_store *s, const char *ref, ecsfs_err *err)
{
	char family[256];
	int64_t rev;
	bool active = false;

	if (!ref || !*ref || strchr(ref, '\n') || parse_ref(ref, family, &rev) < 0)
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "taskDefinition: '%.80s' is not \"family\" or "
				     "\"family:revision\"",
				     ref ? ref : "");
	if (rev == 0 && ecsfs_taskdef_latest(s, family, &rev) < 0)
		return ecsfs_err_set(err, ECSFS_E_CLIENT, -ENOENT,
				     "taskDefinition: family %s has no ACTIVE revision", family);
	if (ecsfs_taskdef_exists(s, family, rev, &active) < 0)
		return ecsfs_err_set(err, ECSFS_E_CLIENT, -ENOENT,
				     "taskDefinition: %s:%lld is not registered", family,
				     (long long)rev);
	if (!active)
		return ecsfs_err_set(err, ECSFS_E_CLIENT, -EINVAL,
				     "taskDefinition: %s:%lld is INACTIVE (deregistered)", family,
				     (long long)rev);
	return 0;
}

int ecsfs__service_resolve_ref(ecsfs_store *s, const char *ref, char family[256], int64_t *rev)
{
	bool active = false;

	*rev = 0;
	if (!ref || parse_ref(ref, family, rev) < 0)
		return -ENOENT;
	if (*rev == 0)
		return ecsfs_taskdef_latest(s, family, rev);
	if (ecsfs_taskdef_exists(s, family, *rev, &active) < 0 || !active)
		return -ENOENT;
	return 0;
}

int ecsfs__service_check_keeps_taskdef(const json_t *old, const json_t *spec, ecsfs_err *err)
{
	const char *had = json_string_value(json_object_get(old, "taskDefinition"));
	const json_t *ctl = json_object_get(json_object_get(spec, "deploymentController"), "type");

	if (!had || json_object_get(spec, "taskDefinition") ||
	    (json_is_string(ctl) && strcmp(json_string_value(ctl), "EXTERNAL") == 0))
		return 0;
	return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
			     "taskDefinition: required; the service runs %.300s (CreateService "
			     "needs one, UpdateService cannot remove it)",
			     had);
}

/* ---- load balancers against the task definition ---- */

static bool maps_port(const json_t *ctr, json_int_t port)
{
	json_t *pm;
	size_t i;

	json_array_foreach(json_object_get(ctr, "portMappings"), i, pm)
		if (json_integer_value(json_object_get(pm, "containerPort")) == port)
			return true;
	return false;
}

static const json_t *container_named(const json_t *td, const char *name)
{
	json_t *c;
	size_t i;

	json_array_foreach(json_object_get(td, "containerDefinitions"), i, c)
		if (strcmp(json_string_value(json_object_get(c, "name")) ?: "", name) == 0)
			return c;
	return NULL;
}

static int check_lb_entries(const json_t *lbs, const json_t *td, const char *family, int64_t rev,
			    ecsfs_err *err)
{
	json_t *lb;
	size_t i;

	json_array_foreach(lbs, i, lb) {
		const char *name = json_string_value(json_object_get(lb, "containerName")) ?: "";
		json_int_t port = json_integer_value(json_object_get(lb, "containerPort"));
		const json_t *c = container_named(td, name);

		if (!c)
			return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
					     "loadBalancers[%zu].containerName: %s:%lld has no "
					     "container '%s'",
					     i, family, (long long)rev, name);
		if (!maps_port(c, port))
			return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
					     "loadBalancers[%zu].containerPort: container '%s' of "
					     "%s:%lld maps no containerPort %lld",
					     i, name, family, (long long)rev, (long long)port);
	}
	return 0;
}

int ecsfs__service_check_lb_containers(ecsfs_store *s, const json_t *spec, const char *family,
				       int64_t rev, ecsfs_err *err)
{
	const json_t *lbs = json_object_get(spec, "loadBalancers");
	ecsfs_taskdef_row row;
	json_t *td = NULL;
	int r = 0;

	if (json_array_size(lbs) == 0)
		return 0;
	ecsfs_taskdef_row_init(&row);
	/* a revision that cannot be read is not this check's to refuse */
	if (ecsfs_store_taskdef_get(s, family, rev, &row) == 0 &&
	    (td = json_loads(row.canonical.data, 0, NULL)))
		r = check_lb_entries(lbs, td, family, rev, err);
	json_decref(td);
	ecsfs_taskdef_row_release(&row);
	return r;
}

int ecsfs_spec_file_put(ecsfs_store *s, const char *dir, const char *name, const json_t *doc,
			const ecsfs_spec_bytes *file)
{
	ecsfs_file_meta meta = {.kind = ECSFS_FILE_SPEC, .mode = 0644, .mtime_ns = ecsfs_now_ns()};
	ecsfs_buf fname = ECSFS_BUF_INIT, text = ECSFS_BUF_INIT;
	int r;

	ecsfs_buf_addf(&fname, "%s.json", name);
	if (file) {
		meta = *file->meta;
		meta.kind = ECSFS_FILE_SPEC;
		r = ecsfs_store_file_put(s, dir, fname.data, &meta, file->data, file->len);
	} else {
		ecsfs_json_pretty(doc, &text);
		r = ecsfs_store_file_put(s, dir, fname.data, &meta, text.data, text.len);
	}
	ecsfs_buf_release(&fname);
	ecsfs_buf_release(&text);
	return r;
}
