/*
 * ecsfs — services: the history of their deployments, as
 * ListServiceDeployments and DescribeServiceDeployments show it. The
 * scheduler notes each deployment when it starts, is superseded, completes
 * or fails (ecsfs__service_history); the state keeps the newest
 * ECSFS__HISTORY_MAX. A deployment's ARN ends in the digits of its id
 * ("ecs-svc/0123..."), and so does the service revision it deploys.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/arn.h"
#include "ecsfs/util.h"
#include "model/service_private.h"

long long ecsfs__service_breaker_threshold(long long desired)
{
	long long t = (desired + 1) / 2;
	return t < 3 ? 3 : t > 200 ? 200 : t;
}

static json_t *history_of(json_t *state)
{
	json_t *h = json_object_get(state, "history");

	if (!json_is_array(h)) {
		h = json_array();
		json_object_set_new(state, "history", h);
	}
	return h;
}

static json_t *entry_for(json_t *hist, const char *id)
{
	json_t *e;
	size_t i;

	json_array_foreach(hist, i, e)
		if (strcmp(ecsfs__dstr(e, "id"), id) == 0)
			return e;
	return NULL;
}

/* A new entry: what it deploys, what it replaces, how it was configured. */
static json_t *new_entry(json_t *state, json_t *d)
{
	json_t *e = json_object(), *src = json_array(), *o;
	size_t i;

	json_array_foreach(json_object_get(state, "deployments"), i, o)
		if (o != d)
			json_array_append_new(
			    src, json_pack("{s:O, s:O, s:O}", "id", json_object_get(o, "id"),
					   "family", json_object_get(o, "family"), "revision",
					   json_object_get(o, "revision")));
	json_object_set(e, "id", json_object_get(d, "id"));
	json_object_set(e, "family", json_object_get(d, "family"));
	json_object_set(e, "revision", json_object_get(d, "revision"));
	json_object_set(e, "created", json_object_get(d, "created"));
	json_object_set_new(e, "rollback",
			    json_boolean(json_is_true(json_object_get(d, "rollback"))));
	json_object_set_new(e, "source", src);
	json_object_set_new(e, "desired", json_integer(ecsfs__service_target(state)));
	o = json_object_get(ecsfs__service_spec(state), "deploymentConfiguration");
	if (o)
		json_object_set(e, "config", o);
	return e;
}

void ecsfs__service_history(json_t *state, json_t *d)
{
	json_t *hist = history_of(state), *e = entry_for(hist, ecsfs__dstr(d, "id"));
	static const char *const copied[] = {"rollout",	   "reason", "updated",	       "failed",
					     "superseded", "stage",  "rollbackReason", NULL};

	if (!e) {
		json_array_insert_new(hist, 0, new_entry(state, d));
		e = json_array_get(hist, 0);
		while (json_array_size(hist) > ECSFS__HISTORY_MAX)
			json_array_remove(hist, json_array_size(hist) - 1);
	}
	for (size_t i = 0; copied[i]; i++)
		if (json_object_get(d, copied[i]))
			json_object_set(e, copied[i], json_object_get(d, copied[i]));
	if (!json_object_get(e, "finished") &&
	    (strcmp(ecsfs__dstr(e, "rollout"), "IN_PROGRESS") != 0 ||
	     json_object_get(e, "superseded")))
		json_object_set(e, "finished", json_object_get(d, "updated"));
}

/* ---- the shapes ---- */

static const char *digits(const char *id)
{
	const char *slash = strrchr(id, '/');
	return slash ? slash + 1 : id;
}

static json_t *dep_arn(const char *kind, const char *cluster, const char *name, const char *id)
{
	return ecsfs_arn_json("ecs", "%s/%s/%s/%s", kind, cluster, name, digits(id));
}

/* ECS's ServiceDeploymentStatus of an entry. A rollback here is a
 * deployment of its own, so a failed one is STOPPED. */
static const char *status_of(json_t *e)
{
	const char *rollout = ecsfs__dstr(e, "rollout");
	bool rollback = json_is_true(json_object_get(e, "rollback"));

	if (strcmp(rollout, "COMPLETED") == 0)
		return rollback ? "ROLLBACK_SUCCESSFUL" : "SUCCESSFUL";
	/* a strategy's rollback puts traffic back on tasks that still run */
	if (json_object_get(e, "rollbackReason"))
		return "ROLLBACK_SUCCESSFUL";
	if (strcmp(rollout, "FAILED") == 0 || json_object_get(e, "superseded"))
		return "STOPPED";
	return rollback ? "ROLLBACK_IN_PROGRESS" : "IN_PROGRESS";
}

static void status_reason(json_t *o, json_t *e)
{
	const char *by = json_string_value(json_object_get(e, "superseded"));

	if (by && strcmp(ecsfs__dstr(e, "rollout"), "IN_PROGRESS") == 0)
		json_object_set_new(o, "statusReason",
				    json_sprintf("superseded by deployment %s", by));
	else if (json_object_get(e, "reason"))
		json_object_set(o, "statusReason", json_object_get(e, "reason"));
}

static void set_ns(json_t *o, const char *key, json_t *e, const char *from)
{
	int64_t ns = json_integer_value(json_object_get(e, from));
	if (ns)
		ecsfs_json_set_time(o, key, ns);
}

static json_t *brief(const char *cluster, const char *name, json_t *e)
{
	json_t *o = json_object();
	const char *id = ecsfs__dstr(e, "id");

	json_object_set_new(o, "serviceDeploymentArn",
			    dep_arn("service-deployment", cluster, name, id));
	json_object_set_new(o, "serviceArn", ecsfs_arn_json("ecs", "service/%s/%s", cluster, name));
	json_object_set_new(o, "clusterArn", ecsfs_arn_json("ecs", "cluster/%s", cluster));
	set_ns(o, "createdAt", e, "created");
	set_ns(o, "startedAt", e, "created");
	set_ns(o, "finishedAt", e, "finished");
	json_object_set_new(o, "targetServiceRevisionArn",
			    dep_arn("service-revision", cluster, name, id));
	json_object_set_new(o, "status", json_string(status_of(e)));
	status_reason(o, e);
	return o;
}

/* The service's history, or NULL with err set. */
static json_t *load_history(ecsfs_services *sv, const char *cluster, const char *name,
			    ecsfs_err *err, int *r)
{
	json_t *state, *hist;

	if ((*r = ecsfs_cluster_check(sv->store, cluster, err)) < 0)
		return NULL;
	if (!(state = ecsfs__service_load(sv->store, cluster, name))) {
		*r = ecsfs_err_set(err, ECSFS_E_SERVICE_NOT_FOUND, -ENOENT,
				   "no service %s in cluster %s", name, cluster);
		return NULL;
	}
	hist = json_incref(history_of(state));
	json_decref(state);
	return hist;
}

int ecsfs_service_deployments(ecsfs_services *sv, const char *cluster, const char *name,
			      json_t **out, ecsfs_err *err)
{
	int r;
	json_t *hist = load_history(sv, cluster, name, err, &r), *list, *e;
	size_t i;

	if (!hist)
		return r;
	list = json_array();
	json_array_foreach(hist, i, e)
		json_array_append_new(list, brief(cluster, name, e));
	json_decref(hist);
	*out = list;
	return 0;
}

/* A revision's task counts: requested, and the live tasks of deployment id. */
static json_t *revision(const char *cluster, const char *name, const char *id, long long requested,
			const ecsfs__svc_tasks *l)
{
	long long running = 0, pending = 0;

	for (size_t i = 0; i < l->n; i++) {
		if (!l->v[i].live || strcmp(l->v[i].started_by, id) != 0)
			continue;
		running += l->v[i].running;
		pending += !l->v[i].running;
	}
	return json_pack("{s:o, s:I, s:I, s:I}", "arn",
			 dep_arn("service-revision", cluster, name, id), "requestedTaskCount",
			 (json_int_t)requested, "runningTaskCount", (json_int_t)running,
			 "pendingTaskCount", (json_int_t)pending);
}

static void describe_breaker(json_t *o, json_t *e)
{
	json_t *conf = json_object_get(e, "config");
	json_t *cb = json_object_get(conf, "deploymentCircuitBreaker");
	long long desired = json_integer_value(json_object_get(e, "desired"));
	const char *st = !json_is_true(json_object_get(cb, "enable"))	    ? "DISABLED"
			 : strcmp(ecsfs__dstr(e, "rollout"), "FAILED") == 0 ? "TRIGGERED"
			 : strcmp(ecsfs__dstr(e, "rollout"), "IN_PROGRESS") == 0
			     ? "MONITORING"
			     : "MONITORING_COMPLETE";

	json_object_set_new(o, "deploymentCircuitBreaker",
			    json_pack("{s:s, s:I, s:I}", "status", st, "failureCount",
				      json_integer_value(json_object_get(e, "failed")), "threshold",
				      (json_int_t)ecsfs__service_breaker_threshold(desired)));
	json_object_set_new(o, "deploymentConfiguration",
			    conf ? json_deep_copy(conf) : json_object());
}

static json_t *full(const char *cluster, const char *name, json_t *e, const ecsfs__svc_tasks *l)
{
	json_t *o = brief(cluster, name, e), *src = json_array(), *s;
	long long desired = json_integer_value(json_object_get(e, "desired"));
	size_t i;

	json_object_del(o, "targetServiceRevisionArn");
	set_ns(o, "updatedAt", e, "updated");
	if (strcmp(status_of(e), "STOPPED") == 0)
		set_ns(o, "stoppedAt", e, "finished");
	json_array_foreach(json_object_get(e, "source"), i, s)
		json_array_append_new(src, revision(cluster, name, ecsfs__dstr(s, "id"), 0, l));
	json_object_set_new(o, "sourceServiceRevisions", src);
	json_object_set_new(o, "targetServiceRevision",
			    revision(cluster, name, ecsfs__dstr(e, "id"), desired, l));
	describe_breaker(o, e);
	if (json_object_get(e, "stage"))
		json_object_set(o, "lifecycleStage", json_object_get(e, "stage"));
	if (json_object_get(e, "rollbackReason")) {
		json_t *rb =
		    json_pack("{s:O, s:o}", "reason", json_object_get(e, "rollbackReason"),
			      "serviceRevisionArn",
			      dep_arn("service-revision", cluster, name, ecsfs__dstr(e, "id")));
		set_ns(rb, "startedAt", e, "finished");
		json_object_set_new(o, "rollback", rb);
	} else if (json_is_true(json_object_get(e, "rollback"))) {
		json_t *rb = json_pack(
		    "{s:s, s:o}", "reason", "circuit breaker rolled back", "serviceRevisionArn",
		    dep_arn("service-revision", cluster, name, ecsfs__dstr(e, "id")));
		set_ns(rb, "startedAt", e, "created");
		json_object_set_new(o, "rollback", rb);
	}
	return o;
}

int ecsfs_service_deployment(ecsfs_services *sv, const char *cluster, const char *name,
			     const char *id, json_t **out, ecsfs_err *err)
{
	int r;
	json_t *hist = load_history(sv, cluster, name, err, &r), *e;
	ecsfs__svc_tasks l;
	size_t i;

	if (!hist)
		return r;
	json_array_foreach(hist, i, e) {
		if (strcmp(digits(ecsfs__dstr(e, "id")), digits(id)) != 0)
			continue;
		ecsfs__service_collect(sv, cluster, name, &l);
		*out = full(cluster, name, e, &l);
		free(l.v);
		json_decref(hist);
		return 0;
	}
	json_decref(hist);
	return ecsfs_err_set(err, ECSFS_E_CLIENT, -ENOENT, "no deployment %s of service %s", id,
			     name);
}
