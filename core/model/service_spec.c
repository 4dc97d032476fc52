/*
 * ecsfs — services: the CreateService document (spec/clusters/<c>/
 * services/<s>.json) and the values the live controls take: what is a
 * valid definition, desiredCount or task-definition reference.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ecsfs/taskdef.h"
#include "ecsfs/util.h"
#include "model/service_private.h"

typedef int (*field_check)(const char *key, const json_t *v, ecsfs_buf *why);

static int want_int(const char *key, const json_t *v, long long lo, long long hi, ecsfs_buf *why)
{
	if (!json_is_integer(v)) {
		ecsfs_buf_setf(why, "%s: must be a whole number", key);
		return -EINVAL;
	}
	if (json_integer_value(v) < lo || json_integer_value(v) > hi) {
		ecsfs_buf_setf(why, "%s: %lld is out of range %lld..%lld", key,
			       (long long)json_integer_value(v), lo, hi);
		return -EINVAL;
	}
	return 0;
}

static int f_desired(const char *key, const json_t *v, ecsfs_buf *why)
{
	return want_int(key, v, 0, ECSFS_SERVICE_DESIRED_MAX, why);
}

static int f_grace(const char *key, const json_t *v, ecsfs_buf *why)
{
	return want_int(key, v, 0, 2147483647, why);
}

static int f_string(const char *key, const json_t *v, ecsfs_buf *why)
{
	if (!json_is_string(v)) {
		ecsfs_buf_setf(why, "%s: must be a string", key);
		return -EINVAL;
	}
	return 0;
}

static int f_bool(const char *key, const json_t *v, ecsfs_buf *why)
{
	if (!json_is_boolean(v)) {
		ecsfs_buf_setf(why, "%s: must be true or false", key);
		return -EINVAL;
	}
	return 0;
}

static int f_array(const char *key, const json_t *v, ecsfs_buf *why)
{
	if (!json_is_array(v)) {
		ecsfs_buf_setf(why, "%s: must be an array", key);
		return -EINVAL;
	}
	return 0;
}

static int f_object(const char *key, const json_t *v, ecsfs_buf *why)
{
	if (!json_is_object(v)) {
		ecsfs_buf_setf(why, "%s: must be an object", key);
		return -EINVAL;
	}
	return 0;
}

/* "family", "family:rev" or a task-definition ARN (0 = newest); the
 * callers say what is wrong in their own words. */
static int parse_ref(const char *ref, char family[256], int64_t *rev)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	int r = ecsfs_taskdef_parse_ref(ref, family, rev, &why);
	ecsfs_buf_release(&why);
	return r;
}

static int f_taskdef(const char *key, const json_t *v, ecsfs_buf *why)
{
	char family[256];
	int64_t rev;

	if (f_string(key, v, why) < 0)
		return -EINVAL;
	if (parse_ref(json_string_value(v), family, &rev) < 0) {
		ecsfs_buf_setf(why, "%s: '%s' is not \"family\", \"family:revision\" or an ARN",
			       key, json_string_value(v));
		return -EINVAL;
	}
	return 0;
}

static int f_strategy(const char *key, const json_t *v, ecsfs_buf *why)
{
	const char *s = json_string_value(v);
	if (!s || (strcmp(s, "REPLICA") && strcmp(s, "DAEMON"))) {
		ecsfs_buf_setf(why, "%s: must be REPLICA or DAEMON", key);
		return -EINVAL;
	}
	return 0;
}

static int f_propagate(const char *key, const json_t *v, ecsfs_buf *why)
{
	const char *s = json_string_value(v);
	if (!s || (strcmp(s, "TASK_DEFINITION") && strcmp(s, "SERVICE") && strcmp(s, "NONE"))) {
		ecsfs_buf_setf(why, "%s: must be TASK_DEFINITION, SERVICE or NONE", key);
		return -EINVAL;
	}
	return 0;
}

static int f_breaker(const char *key, const json_t *v, ecsfs_buf *why)
{
	const char *k;
	json_t *x;

	if (f_object(key, v, why) < 0)
		return -EINVAL;
	json_object_foreach((json_t *)v, k, x) {
		if (strcmp(k, "enable") && strcmp(k, "rollback")) {
			ecsfs_buf_setf(why, "%s.%s: not a field of it", key, k);
			return -EINVAL;
		}
		if (!json_is_boolean(x)) {
			ecsfs_buf_setf(why, "%s.%s: must be true or false", key, k);
			return -EINVAL;
		}
	}
	return 0;
}

static int deployment_field(const char *path, const char *k, const json_t *x, ecsfs_buf *why)
{
	if (strcmp(k, "maximumPercent") == 0)
		return want_int(path, x, 100, 400, why);
	if (strcmp(k, "minimumHealthyPercent") == 0)
		return want_int(path, x, 0, 100, why);
	if (strcmp(k, "deploymentCircuitBreaker") == 0)
		return f_breaker(path, x, why);
	if (strcmp(k, "alarms") == 0 || strcmp(k, "strategy") == 0 ||
	    strcmp(k, "bakeTimeInMinutes") == 0 || strcmp(k, "lifecycleHooks") == 0)
		return 0; /* kept, no local meaning */
	ecsfs_buf_setf(why, "%s: not a field of deploymentConfiguration", path);
	return -EINVAL;
}

static int f_deployment(const char *key, const json_t *v, ecsfs_buf *why)
{
	const char *k;
	json_t *x;

	if (f_object(key, v, why) < 0)
		return -EINVAL;
	json_object_foreach((json_t *)v, k, x) {
		ecsfs_buf path = ECSFS_BUF_INIT;
		int r;

		ecsfs_buf_addf(&path, "%s.%s", key, k);
		r = deployment_field(path.data, k, x, why);
		ecsfs_buf_release(&path);
		if (r)
			return r;
	}
	return 0;
}

static const struct {
	const char *key;
	field_check check;
} fields[] = {
    {"serviceName", f_string},
    {"cluster", f_string},
    {"taskDefinition", f_taskdef},
    {"desiredCount", f_desired},
    {"deploymentConfiguration", f_deployment},
    {"healthCheckGracePeriodSeconds", f_grace},
    {"schedulingStrategy", f_strategy},
    {"propagateTags", f_propagate},
    {"tags", f_array},
    {"loadBalancers", f_array},
    {"serviceRegistries", f_array},
    {"networkConfiguration", f_object},
    {"launchType", f_string},
    {"capacityProviderStrategy", f_array},
    {"platformVersion", f_string},
    {"placementConstraints", f_array},
    {"placementStrategy", f_array},
    {"deploymentController", f_object},
    {"enableECSManagedTags", f_bool},
    {"enableExecuteCommand", f_bool},
    {"role", f_string},
    {"clientToken", f_string},
    {"serviceConnectConfiguration", f_object},
    {"volumeConfigurations", f_array},
    {"availabilityZoneRebalancing", f_string},
    {"vpcLatticeConfigurations", f_array},
};

static int check_fields(const json_t *doc, ecsfs_buf *why)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)doc, key, v) {
		size_t i;
		int r;

		for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			if (strcmp(fields[i].key, key) == 0)
				break;
		if (i == sizeof(fields) / sizeof(fields[0])) {
			ecsfs_buf_setf(why, "%s: not a CreateService field", key);
			return -EINVAL;
		}
		if ((r = fields[i].check(key, v, why)) < 0)
			return r;
	}
	return 0;
}

/* serviceName and cluster, when given, must be the file's. */
static int check_names(const char *cluster, const char *name, const json_t *doc, ecsfs_buf *why)
{
	json_t *v = json_object_get(doc, "serviceName");

	if (v && strcmp(json_string_value(v), name) != 0) {
		ecsfs_buf_setf(why, "serviceName: '%s' differs from the file name %s",
			       json_string_value(v), name);
		return -EINVAL;
	}
	v = json_object_get(doc, "cluster");
	if (v) {
		const char *c = json_string_value(v), *slash = strrchr(c, '/');
		if (strcmp(slash ? slash + 1 : c, cluster) != 0) {
			ecsfs_buf_setf(why, "cluster: '%s' is not this directory's cluster %s", c,
				       cluster);
			return -EINVAL;
		}
	}
	return 0;
}

static int validate(const char *cluster, const char *name, const json_t *doc, ecsfs_buf *why)
{
	int r;

	if ((r = ecsfs_name_check(name, "service", why)) < 0)
		return r;
	if (!json_is_object(doc)) {
		ecsfs_buf_setf(why, "a service definition must be a JSON object");
		return -EINVAL;
	}
	if ((r = check_fields(doc, why)) < 0)
		return r;
	return check_names(cluster, name, doc, why);
}

int ecsfs_service_check(const char *cluster, const char *name, const json_t *doc, ecsfs_err *err)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	int r = validate(cluster, name, doc, &why);

	if (r < 0)
		ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, r, "%s", why.data);
	ecsfs_buf_release(&why);
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
