/*
 * ecsfs — services: CreateService and UpdateService as the API has them.
 * Both end in the same rows as the files' writes: the definition in the
 * services table and the spec file that shows it (rendered, or rewritten
 * with the fields that changed), in one transaction.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ecsfs/util.h"
#include "model/service_private.h"

/* Fields whose change makes other tasks (ECS starts a deployment for them). */
static const char *const redeploy_keys[] = {
    "networkConfiguration", "loadBalancers",
    "serviceRegistries",    "serviceConnectConfiguration",
    "placementConstraints", "placementStrategy",
    "platformVersion",	    "capacityProviderStrategy",
    "launchType",	    "enableExecuteCommand",
    "volumeConfigurations", NULL,
};

bool ecsfs__service_redeploys(const json_t *a, const json_t *b)
{
	for (size_t i = 0; redeploy_keys[i]; i++) {
		const json_t *x = json_object_get(a, redeploy_keys[i]);
		const json_t *y = json_object_get(b, redeploy_keys[i]);
		if ((x || y) && !(x && y && json_equal((json_t *)x, (json_t *)y)))
			return true;
	}
	return false;
}

/* What UpdateService may change (its own members that are CreateService's);
 * the rest of a definition is fixed once the service exists. */
static const char *const updatable[] = {
    "desiredCount",
    "taskDefinition",
    "capacityProviderStrategy",
    "deploymentConfiguration",
    "networkConfiguration",
    "placementConstraints",
    "placementStrategy",
    "platformVersion",
    "healthCheckGracePeriodSeconds",
    "enableExecuteCommand",
    "enableECSManagedTags",
    "loadBalancers",
    "propagateTags",
    "serviceRegistries",
    "serviceConnectConfiguration",
    "volumeConfigurations",
    "availabilityZoneRebalancing",
    "vpcLatticeConfigurations",
    NULL,
};

static int check_updatable(const json_t *changes, ecsfs_err *err)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)changes, key, v) {
		size_t i;
		for (i = 0; updatable[i] && strcmp(updatable[i], key) != 0; i++)
			;
		if (!updatable[i])
			return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
					     "%s: UpdateService does not change it", key);
	}
	return 0;
}

/* The definition `spec` with `changes` applied (a new reference). */
static json_t *merged(json_t *spec, const json_t *changes)
{
	json_t *m = json_deep_copy(spec), *v;
	const char *key;

	json_object_foreach((json_t *)changes, key, v) {
		if (json_is_null(v))
			json_object_del(m, key);
		else
			json_object_set(m, key, v);
	}
	return m;
}

/* Is the merged definition one to keep? The shape, then what it names. */
static int check_merged(ecsfs_store *s, const char *cluster, const char *name, json_t *spec,
			const json_t *changes, ecsfs_err *err)
{
	const char *ref = json_string_value(json_object_get(changes, "taskDefinition"));
	int r;

	if ((r = check_updatable(changes, err)) < 0 ||
	    (r = ecsfs_service_check(cluster, name, spec, err)) < 0)
		return r;
	if (ref && (r = ecsfs_service_check_taskdef(s, ref, err)) < 0)
		return r;
	return ecsfs__service_check_lb_fit(
	    s, spec, json_string_value(json_object_get(spec, "taskDefinition")), err);
}

static void bump_force(json_t *state)
{
	json_object_set_new(state, "force",
			    json_integer(json_integer_value(json_object_get(state, "force")) + 1));
}

static int store_update(ecsfs_store *s, const char *cluster, const char *name, json_t *state,
			const json_t *changes)
{
	int r;

	if ((r = ecsfs_store_begin(s)) < 0)
		return r;
	if ((r = ecsfs__service_save(s, cluster, name, state)) < 0 ||
	    (r = ecsfs__service_rewrite_spec(s, cluster, name, changes)) < 0) {
		ecsfs_store_rollback(s);
		return r;
	}
	return ecsfs_store_commit(s);
}

int ecsfs_service_update(ecsfs_services *sv, const char *cluster, const char *name,
			 const json_t *changes, bool force, ecsfs_err *err)
{
	ecsfs_store *s = sv->store;
	json_t *state, *spec;
	int r;

	if (!json_is_object(changes))
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "an update is an object of fields");
	if (!(state = ecsfs__service_load_active(s, cluster, name, err, &r)))
		return r;
	spec = merged(ecsfs__service_spec(state), changes);
	if ((r = check_merged(s, cluster, name, spec, changes, err)) < 0 ||
	    (r = ecsfs__service_check_keeps_taskdef(ecsfs__service_spec(state), spec, err)) < 0)
		goto out;
	if (force || ecsfs__service_redeploys(ecsfs__service_spec(state), spec))
		bump_force(state);
	/* a new task definition, or a forced one, may be tried even if it failed */
	if (force || json_object_get(changes, "taskDefinition"))
		json_object_del(state, "blocked");
	json_object_set(state, "spec", spec);
	if ((r = store_update(s, cluster, name, state, changes)) < 0) {
		r = ecsfs__service_store_fault(s, r, "update", name, err);
		goto out;
	}
	ecsfs__service_changed(sv, cluster, name);
	ecsfs_services_touch(sv, cluster, name);
out:
	json_decref(spec);
	json_decref(state);
	return r;
}

/* The name must be free: not ACTIVE, not still DRAINING. */
static int name_free(ecsfs_store *s, const char *cluster, const char *name, ecsfs_err *err)
{
	json_t *state = ecsfs__service_load(s, cluster, name);
	int r = 0;

	if (state && ecsfs__service_active(state))
		r = ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EEXIST,
				  "Creation of service was not idempotent: service %s exists",
				  name);
	else if (state)
		r = ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EBUSY,
				  "Unable to Start a service that is still Draining: %s", name);
	json_decref(state);
	return r;
}

int ecsfs_service_create_new(ecsfs_services *sv, const char *cluster, const char *name,
			     const json_t *doc, ecsfs_err *err)
{
	const char *ref = json_string_value(json_object_get(doc, "taskDefinition"));
	const json_t *ctl = json_object_get(json_object_get(doc, "deploymentController"), "type");
	int r;

	if ((r = ecsfs_cluster_check(sv->store, cluster, err)) < 0 ||
	    (r = ecsfs_service_check(cluster, name, doc, err)) < 0 ||
	    (r = name_free(sv->store, cluster, name, err)) < 0)
		return r;
	/* an EXTERNAL controller deploys task sets of its own */
	if (!ref && !(json_is_string(ctl) && strcmp(json_string_value(ctl), "EXTERNAL") == 0))
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "taskDefinition is required");
	if (ref && (r = ecsfs_service_check_taskdef(sv->store, ref, err)) < 0)
		return r;
	return ecsfs_service_put(sv, cluster, name, doc, NULL, err);
}
