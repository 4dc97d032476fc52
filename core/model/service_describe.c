/*
 * ecsfs — services: what a service shows — its tasks as the scheduler
 * sees them, describe-services' shape, the status lines.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/arn.h"
#include "ecsfs/tag.h"
#include "ecsfs/taskdef.h"
#include "ecsfs/util.h"
#include "model/launch_default.h"
#include "model/service_private.h"

/* ---- the service's tasks ---- */

static bool stop_counts_as_failure(const ecsfs_task_info *in)
{
	static const size_t health_len = sizeof(ECSFS__HEALTH_REASON) - 1;
	static const size_t elb_len = sizeof(ECSFS__ELB_REASON) - 1;

	if (in->desired_running || !in->stop_code)
		return false;
	return strcmp(in->stop_code, "TaskFailedToStart") == 0 ||
	       strcmp(in->stop_code, "EssentialContainerExited") == 0 ||
	       (in->stopped_reason &&
		(strncmp(in->stopped_reason, ECSFS__HEALTH_REASON, health_len) == 0 ||
		 strncmp(in->stopped_reason, ECSFS__ELB_REASON, elb_len) == 0));
}

static int collect_cb(void *data, const ecsfs_task_info *in)
{
	ecsfs__svc_tasks *l = data;
	ecsfs__svc_task *t;

	if (l->n == l->alloc) {
		l->alloc = l->alloc ? 2 * l->alloc : 16;
		l->v = realloc(l->v, l->alloc * sizeof(*l->v));
		if (!l->v)
			abort();
	}
	t = &l->v[l->n++];
	memset(t, 0, sizeof(*t));
	snprintf(t->id, sizeof(t->id), "%s", in->id);
	snprintf(t->started_by, sizeof(t->started_by), "%s", in->started_by);
	t->live = in->desired_running;
	t->running = strcmp(in->last_status, "RUNNING") == 0;
	t->stopped = strcmp(in->last_status, "STOPPED") == 0;
	t->unhealthy = strcmp(in->health, "UNHEALTHY") == 0;
	t->healthy =
	    t->running && (in->has_health_check ? strcmp(in->health, "HEALTHY") == 0 : true);
	t->failed = stop_counts_as_failure(in);
	t->protected = in->protected_ns > ecsfs_now_ns();
	t->created_ns = in->created_ns;
	t->started_ns = in->started_ns;
	return 0;
}

void ecsfs__service_collect(ecsfs_services *sv, const char *cluster, const char *name,
			    ecsfs__svc_tasks *l)
{
	ecsfs_buf group = ECSFS_BUF_INIT;
	memset(l, 0, sizeof(*l));
	if (!sv->tasks)
		return;
	ecsfs_buf_addf(&group, "service:%s", name);
	ecsfs_tasks_foreach(sv->tasks, cluster, group.data, collect_cb, l);
	ecsfs_buf_release(&group);
}

int ecsfs_service_tasks(ecsfs_services *sv, const char *cluster, const char *name,
			ecsfs_service_name_cb cb, void *data)
{
	ecsfs__svc_tasks l;
	int r = 0;

	if (ecsfs_service_exists(sv->store, cluster, name) < 0)
		return -ENOENT;
	ecsfs__service_collect(sv, cluster, name, &l);
	for (size_t i = 0; i < l.n && r == 0; i++)
		if (!l.v[i].stopped)
			r = cb(data, l.v[i].id);
	free(l.v);
	return r < 0 ? r : 0;
}

typedef struct counts {
	long long running, pending;
} counts;

/* Live tasks of deployment `dep` (NULL: of all), RUNNING and not yet. */
static counts count_for(const ecsfs__svc_tasks *l, const char *dep)
{
	counts c = {0};
	for (size_t i = 0; i < l->n; i++) {
		const ecsfs__svc_task *t = &l->v[i];
		if (!t->live || (dep && strcmp(t->started_by, dep) != 0))
			continue;
		if (t->running)
			c.running++;
		else
			c.pending++;
	}
	return c;
}

/* ---- describe-services ---- */

static void set_td_arn(json_t *o, const char *key, const char *family, long long rev)
{
	json_object_set_new(o, key, ecsfs_arn_json("ecs", "task-definition/%s:%lld", family, rev));
}

static long long drev(json_t *d)
{
	return json_integer_value(json_object_get(d, "revision"));
}

static int event_cb(void *data, int64_t at_ns, const char *line)
{
	json_t *arr = data, *e;
	const char *msg = strchr(line, ' ');
	char iso[32], id[40];

	ecsfs_time_iso(at_ns, iso);
	snprintf(id, sizeof(id), "%016llx", (unsigned long long)at_ns);
	e = json_pack("{s:s, s:s, s:s}", "id", id, "createdAt", iso, "message",
		      msg ? msg + 1 : line);
	json_array_insert_new(arr, 0, e); /* newest first, as ECS lists them */
	return 0;
}

/* ECS's form of a networkConfiguration (assignPublicIp defaults to
 * DISABLED), or NULL for none: never an empty one. */
static json_t *network_configuration(const json_t *spec)
{
	json_t *nc = json_object_get(spec, "networkConfiguration");
	json_t *vpc = json_object_get(nc, "awsvpcConfiguration"), *out;

	if (!json_is_object(vpc) || json_object_size(vpc) == 0)
		return NULL;
	out = json_pack("{s:O}", "awsvpcConfiguration", vpc);
	vpc = json_object_get(out, "awsvpcConfiguration");
	vpc = json_deep_copy(vpc);
	if (!json_object_get(vpc, "assignPublicIp"))
		json_object_set_new(vpc, "assignPublicIp", json_string("DISABLED"));
	json_object_set_new(out, "awsvpcConfiguration", vpc);
	return out;
}

/*
 * launchType (the spec's, EC2 without one) or the capacityProviderStrategy,
 * the platform of a FARGATE service, and its networkConfiguration: what
 * the service and each of its deployments show.
 */
static void describe_launch(json_t *o, const json_t *spec)
{
	const char *lt = json_string_value(json_object_get(spec, "launchType"));
	const char *pv = json_string_value(json_object_get(spec, "platformVersion"));
	json_t *cps = json_object_get(spec, "capacityProviderStrategy");
	json_t *nc = network_configuration(spec);
	bool fargate;

	if (json_array_size(cps) && !lt)
		json_object_set(o, "capacityProviderStrategy", cps);
	else
		json_object_set_new(o, "launchType", json_string(lt ? lt : "EC2"));
	fargate =
	    (lt && strcmp(lt, "FARGATE") == 0) ||
	    (!lt && json_array_size(cps) &&
	     strncmp(json_string_value(json_object_get(json_array_get(cps, 0), "capacityProvider"))
			 ?: "",
		     "FARGATE", 7) == 0);
	if (fargate) {
		json_object_set_new(o, "platformVersion", json_string(pv ? pv : "LATEST"));
		json_object_set_new(o, "platformFamily", json_string("Linux"));
	}
	if (nc)
		json_object_set_new(o, "networkConfiguration", nc);
}

static json_t *describe_deployment(json_t *state, json_t *d, size_t i, const ecsfs__svc_tasks *l)
{
	json_t *j = json_object();
	counts c = count_for(l, ecsfs__dstr(d, "id"));

	json_object_set(j, "id", json_object_get(d, "id"));
	json_object_set(j, "status", json_object_get(d, "status"));
	set_td_arn(j, "taskDefinition", ecsfs__dstr(d, "family"), drev(d));
	json_object_set_new(j, "desiredCount",
			    json_integer(i == 0 ? ecsfs__service_target(state) : 0));
	json_object_set_new(j, "pendingCount", json_integer(c.pending));
	json_object_set_new(j, "runningCount", json_integer(c.running));
	json_object_set_new(j, "failedTasks",
			    json_integer(json_integer_value(json_object_get(d, "failed"))));
	ecsfs_json_set_time(j, "createdAt", json_integer_value(json_object_get(d, "created")));
	ecsfs_json_set_time(j, "updatedAt", json_integer_value(json_object_get(d, "updated")));
	describe_launch(j, ecsfs__service_spec(state));
	json_object_set(j, "rolloutState", json_object_get(d, "rollout"));
	if (json_object_get(d, "reason"))
		json_object_set(j, "rolloutStateReason", json_object_get(d, "reason"));
	return j;
}

static void describe_identity(json_t *o, const char *cluster, const char *name)
{
	json_object_set_new(o, "serviceArn", ecsfs_arn_json("ecs", "service/%s/%s", cluster, name));
	json_object_set_new(o, "serviceName", json_string(name));
	json_object_set_new(o, "clusterArn", ecsfs_arn_json("ecs", "cluster/%s", cluster));
}

static void describe_counts(json_t *o, json_t *state, const ecsfs__svc_tasks *l)
{
	json_t *p = ecsfs__service_primary(state), *spec = ecsfs__service_spec(state);
	counts all = count_for(l, NULL);

	json_object_set(o, "status", json_object_get(state, "status"));
	json_object_set_new(o, "desiredCount", json_integer(ecsfs__service_target(state)));
	json_object_set_new(o, "runningCount", json_integer(all.running));
	json_object_set_new(o, "pendingCount", json_integer(all.pending));
	describe_launch(o, spec);
	if (p)
		set_td_arn(o, "taskDefinition", ecsfs__dstr(p, "family"), drev(p));
	else if (json_object_get(spec, "taskDefinition"))
		json_object_set(o, "taskDefinition", json_object_get(spec, "taskDefinition"));
}

static void describe_deployments(json_t *o, json_t *state, const ecsfs__svc_tasks *l)
{
	json_t *deps = json_array(), *d, *dc;
	size_t i;

	dc = json_pack("{s:{s:b, s:b}, s:I, s:I}", "deploymentCircuitBreaker", "enable",
		       ecsfs__service_breaker(state, "enable"), "rollback",
		       ecsfs__service_breaker(state, "rollback"), "maximumPercent",
		       (json_int_t)ecsfs__service_conf_int(state, "maximumPercent", 200),
		       "minimumHealthyPercent",
		       (json_int_t)ecsfs__service_conf_int(state, "minimumHealthyPercent", 100));
	json_object_set_new(o, "deploymentConfiguration", dc);
	json_array_foreach(json_object_get(state, "deployments"), i, d)
		json_array_append_new(deps, describe_deployment(state, d, i, l));
	json_object_set_new(o, "deployments", deps);
}

static void describe_events(json_t *o, ecsfs_store *s, const char *cluster, const char *name)
{
	ecsfs_buf stream = ECSFS_BUF_INIT;
	json_t *events = json_array();

	ecsfs_service_events_stream(cluster, name, &stream);
	ecsfs_store_journal_tail(s, stream.data, 20, event_cb, events);
	json_object_set_new(o, "events", events);
	ecsfs_buf_release(&stream);
}

static void describe_settings(json_t *o, json_t *state)
{
	json_t *spec = ecsfs__service_spec(state);
	static const char *const kept[] = {"loadBalancers",
					   "serviceRegistries",
					   "placementConstraints",
					   "placementStrategy",
					   "platformVersion",
					   "serviceConnectConfiguration",
					   NULL};

	ecsfs_json_set_time(o, "createdAt", json_integer_value(json_object_get(state, "created")));
	json_object_set_new(o, "schedulingStrategy",
			    json_string(ecsfs__service_is_daemon(state) ? "DAEMON" : "REPLICA"));
	json_object_set_new(o, "healthCheckGracePeriodSeconds",
			    json_integer(json_integer_value(
				json_object_get(spec, "healthCheckGracePeriodSeconds"))));
	json_object_set_new(o, "deploymentController", json_pack("{s:s}", "type", "ECS"));
	json_object_set_new(
	    o, "propagateTags",
	    json_string(json_string_value(json_object_get(spec, "propagateTags")) ?: "NONE"));
	json_object_set_new(
	    o, "enableECSManagedTags",
	    json_boolean(json_is_true(json_object_get(spec, "enableECSManagedTags"))));
	json_object_set_new(
	    o, "enableExecuteCommand",
	    json_boolean(json_is_true(json_object_get(spec, "enableExecuteCommand"))));
	for (size_t k = 0; kept[k]; k++)
		if (json_object_get(spec, kept[k]))
			json_object_set(o, kept[k], json_object_get(spec, kept[k]));
	if (!json_object_get(o, "loadBalancers"))
		json_object_set_new(o, "loadBalancers", json_array());
}

/* The service's tags (its definition's and TagResource's). */
static void describe_tags(json_t *o, ecsfs_store *s, const char *cluster, const char *name)
{
	ecsfs_buf arn = ECSFS_BUF_INIT;
	json_t *tags = NULL;

	ecsfs_arn(&arn, "ecs", "service/%s/%s", cluster, name);
	if (ecsfs_tags_get(s, arn.data, &tags) < 0)
		tags = json_array();
	json_object_set_new(o, "tags", tags);
	ecsfs_buf_release(&arn);
}

/* A definition with neither launchType nor capacityProviderStrategy runs
 * on the cluster's default strategy: shown so (in the loaded copy only). */
static void default_strategy(ecsfs_store *s, const char *cluster, json_t *spec)
{
	json_t *cps;

	if (json_object_get(spec, "launchType") ||
	    json_object_get(spec, "capacityProviderStrategy"))
		return;
	if ((cps = ecsfs__cluster_default_strategy(s, cluster)))
		json_object_set_new(spec, "capacityProviderStrategy", cps);
}

/* A service deleted within the hour: as it was described then, INACTIVE. */
static int describe_gone(ecsfs_store *s, const char *cluster, const char *name, json_t **out,
			 ecsfs_err *err)
{
	ecsfs_buf doc = ECSFS_BUF_INIT;
	json_t *o = NULL;

	if (ecsfs_store_service_gone_get(s, cluster, name, &doc) == 0)
		o = json_loadb(doc.data, doc.len, 0, NULL);
	ecsfs_buf_release(&doc);
	if (!json_is_object(o)) {
		json_decref(o);
		return ecsfs_err_set(err, ECSFS_E_SERVICE_NOT_FOUND, -ENOENT,
				     "no service %s in cluster %s", name, cluster);
	}
	*out = o;
	return 0;
}

int ecsfs_service_describe(ecsfs_services *sv, const char *cluster, const char *name, json_t **out,
			   ecsfs_err *err)
{
	json_t *state, *o;
	ecsfs__svc_tasks l;
	int r;

	if ((r = ecsfs_cluster_check(sv->store, cluster, err)) < 0)
		return r;
	if (!(state = ecsfs__service_load(sv->store, cluster, name)))
		return describe_gone(sv->store, cluster, name, out, err);
	ecsfs__service_collect(sv, cluster, name, &l);
	default_strategy(sv->store, cluster, ecsfs__service_spec(state));
	o = json_object();
	describe_identity(o, cluster, name);
	describe_counts(o, state, &l);
	describe_deployments(o, state, &l);
	describe_events(o, sv->store, cluster, name);
	describe_settings(o, state);
	describe_tags(o, sv->store, cluster, name);
	json_decref(state);
	free(l.v);
	*out = o;
	return 0;
}

/* ---- status ---- */

/* What the service is doing, in one line ("state: ..."). */
static void status_state(ecsfs_store *s, json_t *state, ecsfs_buf *out)
{
	const char *ref =
	    json_string_value(json_object_get(ecsfs__service_spec(state), "taskDefinition"));
	const char *waiting_group = json_string_value(json_object_get(state, "waitingGroup"));
	const char *unfit = json_string_value(json_object_get(state, "unfit"));
	char family[256];
	int64_t rev;

	if (!ref) {
		ecsfs_buf_addf(out, "state: no task definition; write one to task_definition\n");
	} else if (ecsfs__service_resolve_ref(s, ref, family, &rev) < 0) {
		if (rev > 0 && ecsfs_taskdef_exists(s, family, rev, NULL) == 0)
			ecsfs_buf_addf(out,
				       "state: task definition %s is INACTIVE (deregistered): "
				       "running tasks go on, no new one starts\n",
				       ref);
		else
			ecsfs_buf_addf(
			    out, "state: waiting for task definition %s to be registered\n", ref);
	} else if (waiting_group) {
		ecsfs_buf_addf(out, "state: waiting for target group %s to be created\n",
			       waiting_group);
	} else if (unfit) {
		ecsfs_buf_addf(out,
			       "state: task definition %s lacks a container or port its "
			       "loadBalancers name (see events)\n",
			       unfit);
	} else {
		ecsfs_buf_addf(out, json_is_true(json_object_get(state, "steady"))
					? "state: steady\n"
					: "state: converging\n");
	}
}

int ecsfs_service_status(ecsfs_services *sv, const char *cluster, const char *name, ecsfs_buf *out)
{
	json_t *state = ecsfs__service_load(sv->store, cluster, name), *d;
	const char *ref;
	ecsfs__svc_tasks l;
	counts all;
	size_t i;

	if (!state)
		return -ENOENT;
	ecsfs__service_collect(sv, cluster, name, &l);
	all = count_for(&l, NULL);
	ref = json_string_value(json_object_get(ecsfs__service_spec(state), "taskDefinition"));
	ecsfs_buf_addf(out, "service: %s\n", name);
	ecsfs_buf_addf(out, "cluster: %s\n", cluster);
	ecsfs_buf_addf(out, "status: %s\n", json_string_value(json_object_get(state, "status")));
	ecsfs_buf_addf(out, "task_definition: %s\n", ref ? ref : "(none)");
	ecsfs_buf_addf(out, "desired_count: %lld\n", ecsfs__service_target(state));
	ecsfs_buf_addf(out, "running_count: %lld\n", all.running);
	ecsfs_buf_addf(out, "pending_count: %lld\n", all.pending);
	status_state(sv->store, state, out);
	if (json_object_get(state, "lastError"))
		ecsfs_buf_addf(out, "last_error: %s\n",
			       json_string_value(json_object_get(state, "lastError")));
	json_array_foreach(json_object_get(state, "deployments"), i, d) {
		counts c = count_for(&l, ecsfs__dstr(d, "id"));
		ecsfs_buf_addf(out, "deployment %s: %s %s:%lld %s, %lld running, %lld pending\n",
			       ecsfs__dstr(d, "id"), ecsfs__dstr(d, "status"),
			       ecsfs__dstr(d, "family"), drev(d), ecsfs__dstr(d, "rollout"),
			       c.running, c.pending);
	}
	json_decref(state);
	free(l.v);
	return 0;
}
