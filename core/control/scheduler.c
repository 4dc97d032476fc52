/*
 * ecsfs — the service scheduler: every second, and whenever a task or a
 * definition changes, one look at each service, in phases:
 *
 *   observe          the stored state, the service's tasks and their targets
 *   drain            stop tasks whose targets have drained; deregister the
 *                    targets of tasks that stopped on their own
 *   deploy           start a deployment when the definition moved
 *   circuit breaker  fail (and roll back) a rollout whose tasks keep failing
 *   replace          retire tasks that failed container health checks; say
 *                    which failed ELB health checks
 *   instances        where the tasks run: a DAEMON's count of instances, its
 *                    tasks on instances that no longer take one; tasks on
 *                    DRAINING instances to be replaced (daemon.c)
 *   scale in         stop the primary's extra tasks, newest-started first
 *   throttle         delay launches after repeated failures
 *   start            launch what the primary lacks, within maximumPercent
 *   retire unhealthy ELB-unhealthy tasks go once their replacement is healthy
 *   retire           stop older deployments' tasks and drained ones within
 *                    minimumHealthyPercent
 *   register         put running tasks in their service's target groups
 *   settle           complete the rollout, say when the service is steady
 *   finish           a DRAINING service with no task left goes away
 *   record           save the state if the look changed it
 *
 * Every stop goes through ecsfs__retire(): behind load balancers a task's
 * targets are deregistered and drain first (scheduler_lb.c), then it stops.
 * Level-triggered: each look starts from the store, the tasks and the
 * targets; what an earlier look began (a drain) is written in the state.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/scheduler_private.h"
#include "ecsfs/arn.h"
#include "ecsfs/cluster.h"
#include "ecsfs/tag.h"
#include "ecsfs/util.h"

#define MAX_START 10 /* tasks started per look (RunTask's count) */

/* ---- acting on tasks ---- */

void ecsfs__stop_now(ecsfs__look *k, ecsfs__svc_task **v, size_t n, const char *reason)
{
	ecsfs_buf ids = ECSFS_BUF_INIT, why = ECSFS_BUF_INIT;
	size_t done = 0;

	for (size_t i = 0; i < n; i++) {
		ecsfs_buf_reset(&why);
		if (ecsfs_tasks_stop_as(k->sv->tasks, k->cluster, v[i]->id, ECSFS__SCHEDULER_CODE,
					reason, strlen(reason), &why) == 0) {
			v[i]->live = false;
			ecsfs_buf_addf(&ids, " (task %s)", v[i]->id);
			done++;
		}
	}
	if (done)
		ecsfs__service_event(k->s, k->cluster, k->name, "has stopped %zu running tasks:%s.",
				     done, ids.data);
	k->acted = k->acted || n > 0;
	ecsfs_buf_release(&ids);
	ecsfs_buf_release(&why);
}

/* The service's fields its tasks are started with (what they show). */
static void launch_fields(const ecsfs__look *k, json_t *req)
{
	static const char *const keys[] = {
	    "launchType",	    "capacityProviderStrategy", "platformVersion",
	    "networkConfiguration", "enableExecuteCommand",	"enableECSManagedTags",
	    "placementConstraints", "placementStrategy",	NULL};
	json_t *spec = ecsfs__service_spec(k->state), *tags = NULL;
	const char *prop = json_string_value(json_object_get(spec, "propagateTags"));
	ecsfs_buf arn = ECSFS_BUF_INIT;

	for (size_t i = 0; keys[i]; i++)
		if (json_object_get(spec, keys[i]))
			json_object_set(req, keys[i], json_object_get(spec, keys[i]));
	if (prop && strcmp(prop, "TASK_DEFINITION") == 0)
		json_object_set_new(req, "propagateTags", json_string(prop));
	if (!prop || strcmp(prop, "SERVICE") != 0)
		return;
	ecsfs_arn(&arn, "ecs", "service/%s/%s", k->cluster, k->name);
	if (ecsfs_tags_get(k->s, arn.data, &tags) == 0 && json_array_size(tags))
		json_object_set(req, "tags", tags);
	json_decref(tags);
	ecsfs_buf_release(&arn);
}

/* A DAEMON's tasks go one to an instance: to those that have none of its
 * tasks (the service's own constraints still apply). */
static void daemon_constraint(json_t *req)
{
	json_t *list = json_object_get(req, "placementConstraints");

	list = list ? json_deep_copy(list) : json_array();
	json_array_append_new(list, json_pack("{s:s}", "type", "distinctInstance"));
	json_object_set_new(req, "placementConstraints", list);
}

/* The RunTask request of n tasks of the primary deployment. */
static json_t *run_request(const ecsfs__look *k, long long n)
{
	char td[300], group[300];
	json_t *req;

	snprintf(td, sizeof(td), "%s:%lld", ecsfs__dstr(k->p, "family"),
		 (long long)json_integer_value(json_object_get(k->p, "revision")));
	snprintf(group, sizeof(group), "service:%s", k->name);
	req = json_pack("{s:s, s:I, s:s, s:s}", "taskDefinition", td, "count", (json_int_t)n,
			"startedBy", ecsfs__dstr(k->p, "id"), "group", group);
	launch_fields(k, req);
	if (k->daemon)
		daemon_constraint(req);
	return req;
}

#define MAX_ALIASES 64

/*
 * The names the service's tasks answer to on the cluster network: the
 * service's own, serviceConnect's client aliases, the service registries'
 * (the last field of the registry ARN). Borrowed from the state; at most
 * MAX_ALIASES - 1, NULL-terminated.
 */
static void aliases_of(const ecsfs__look *k, const char *out[MAX_ALIASES])
{
	json_t *spec = ecsfs__service_spec(k->state), *svc, *alias, *reg;
	json_t *connect = json_object_get(spec, "serviceConnectConfiguration");
	size_t n = 0, i, j;

	/* a service name may be 255 characters; a DNS label only 63 */
	if (strlen(k->name) <= 63)
		out[n++] = k->name;
	json_array_foreach(json_object_get(connect, "services"), i, svc)
		json_array_foreach(json_object_get(svc, "clientAliases"), j, alias)
			if (json_string_value(json_object_get(alias, "dnsName")) &&
			    n < MAX_ALIASES - 1)
				out[n++] = json_string_value(json_object_get(alias, "dnsName"));
	json_array_foreach(json_object_get(spec, "serviceRegistries"), i, reg) {
		const char *arn = json_string_value(json_object_get(reg, "registryArn"));
		const char *slash = arn ? strrchr(arn, '/') : NULL;
		if (arn && n < MAX_ALIASES - 1)
			out[n++] = slash && slash[1] ? slash + 1 : arn;
	}
	out[n] = NULL;
}

/* Start the tasks of `req`; *ids gets their ids. */
static int launch(const ecsfs__look *k, const json_t *req, json_t **ids, ecsfs_err *err)
{
	const char *aliases[MAX_ALIASES];
	ecsfs_task_launch l = {.request = req, .aliases = aliases};

	aliases_of(k, aliases);
	return ecsfs_tasks_start(k->sv->tasks, k->cluster, &l, ids, err);
}

#define PLACE_FAILED "was unable to place a task"

/* Say a failure to start tasks once, until it changes or goes away. */
static void launch_failed(ecsfs__look *k, const char *why)
{
	const char *said = json_string_value(json_object_get(k->state, "lastError"));

	if (said && strcmp(said, why) == 0)
		return;
	/* placement's words are ECS's event already */
	if (strncmp(why, PLACE_FAILED, sizeof(PLACE_FAILED) - 1) == 0)
		ecsfs__service_event(k->s, k->cluster, k->name, "%s", why);
	else
		ecsfs__service_event(k->s, k->cluster, k->name, "was unable to start tasks: %s.",
				     why);
	json_object_set_new(k->state, "lastError", json_string(why));
}

static long long start_tasks(ecsfs__look *k, long long n)
{
	ecsfs_err err = ECSFS_ERR_INIT;
	ecsfs_buf list = ECSFS_BUF_INIT;
	json_t *req = run_request(k, n > MAX_START ? MAX_START : n), *ids = NULL, *id;
	long long started;
	size_t i;

	if (launch(k, req, &ids, &err) < 0) {
		launch_failed(k, err.msg.data);
	} else {
		json_object_del(k->state, "lastError");
		json_array_foreach(ids, i, id)
			ecsfs_buf_addf(&list, " (task %s)", json_string_value(id));
		ecsfs__service_event(k->s, k->cluster, k->name, "has started %zu tasks:%s.",
				     json_array_size(ids), list.data);
		k->acted = k->acted || json_array_size(ids) > 0;
	}
	started = (long long)json_array_size(ids);
	json_decref(req);
	json_decref(ids);
	ecsfs_err_release(&err);
	ecsfs_buf_release(&list);
	return started;
}

/* ---- the phases ---- */

static bool observe(ecsfs_services *sv, const char *cluster, const char *name, ecsfs__look *k)
{
	memset(k, 0, sizeof(*k));
	k->sv = sv;
	k->s = sv->store;
	k->cluster = cluster;
	k->name = name;
	if (!(k->state = ecsfs__service_load(k->s, cluster, name)))
		return false;
	k->before = json_dumps(k->state, JSON_COMPACT | JSON_SORT_KEYS);
	k->draining =
	    strcmp(json_string_value(json_object_get(k->state, "status")) ?: "", "DRAINING") == 0;
	k->desired = ecsfs__service_target(k->state);
	k->now = ecsfs_now_ns(); /* compared with the tasks' stored dates: wall clock */
	k->p = ecsfs__service_primary(k->state);
	ecsfs__service_collect(sv, cluster, name, &k->l);
	return true;
}

/* A task whose health check fails is replaced, after the grace period. */
static void replace_unhealthy(ecsfs__look *k)
{
	json_t *g = json_object_get(ecsfs__service_spec(k->state), "healthCheckGracePeriodSeconds");
	int64_t grace = json_integer_value(g) * 1000000000ll;

	for (size_t i = 0; i < k->l.n; i++) {
		ecsfs__svc_task *t = &k->l.v[i];
		if (!t->live || t->retiring)
			continue;
		if (t->running && t->unhealthy && k->now - t->started_ns >= grace) {
			ecsfs__service_event(k->s, k->cluster, k->name,
					     "(task %s) failed container health checks.", t->id);
			ecsfs__retire(k, &t, 1, ECSFS__HEALTH_REASON);
		}
	}
}

/* The live tasks: the primary deployment's, the older ones', and those
 * whose targets failed their health checks (replaced before they go). */
static void split_by_deployment(ecsfs__look *k)
{
	k->prim = calloc(k->l.n + 1, sizeof(*k->prim));
	k->old = calloc(k->l.n + 1, sizeof(*k->old));
	k->sick = calloc(k->l.n + 1, sizeof(*k->sick));
	if (!k->prim || !k->old || !k->sick)
		abort();
	for (size_t i = 0; i < k->l.n; i++) {
		ecsfs__svc_task *t = &k->l.v[i];
		if (!t->live || t->retiring)
			continue;
		if (t->elb_unhealthy)
			k->sick[k->nsick++] = t;
		else if (k->p && strcmp(t->started_by, ecsfs__dstr(k->p, "id")) == 0)
			k->prim[k->nprim++] = t;
		else
			k->old[k->nold++] = t;
	}
}

/* Scale in stops unprotected tasks first (a DRAINING service stops them
 * all), newest-started first. */
static int cmp_scale_in(const void *a, const void *b)
{
	const ecsfs__svc_task *x = *(ecsfs__svc_task *const *)a, *y = *(ecsfs__svc_task *const *)b;
	int64_t xs = x->started_ns ? x->started_ns : x->created_ns;
	int64_t ys = y->started_ns ? y->started_ns : y->created_ns;

	if (x->protected != y->protected)
		return x->protected ? 1 : -1;
	return xs < ys ? 1 : xs > ys ? -1 : strcmp(y->id, x->id);
}

/* Say once how many tasks protection keeps from a scale-in (0: none). */
static void note_protected(ecsfs__look *k, size_t held)
{
	json_int_t said = json_integer_value(json_object_get(k->state, "protectedHeld"));

	if ((json_int_t)held == said)
		return;
	if (held)
		ecsfs__service_event(k->s, k->cluster, k->name,
				     "cannot scale in further: %zu task%s protected from scale-in.",
				     held, held == 1 ? " is" : "s are");
	if (held)
		json_object_set_new(k->state, "protectedHeld", json_integer((json_int_t)held));
	else
		json_object_del(k->state, "protectedHeld");
}

static void scale_in(ecsfs__look *k)
{
	size_t extra, n = 0;

	if (k->daemon)
		return; /* a DAEMON leaves an instance only when the instance goes (daemon.c) */
	if ((long long)k->nprim <= k->desired) {
		note_protected(k, 0);
		return;
	}
	extra = k->nprim - (size_t)k->desired;
	qsort(k->prim, k->nprim, sizeof(*k->prim), cmp_scale_in);
	while (n < extra && (k->draining || !k->prim[n]->protected))
		n++;
	note_protected(k, extra - n);
	if (n == 0)
		return;
	ecsfs__service_event(k->s, k->cluster, k->name,
			     "is scaling in to %lld: stopping %zu task%s, newest-started first.",
			     k->desired, n, n == 1 ? "" : "s");
	ecsfs__retire(k, k->prim, n, k->draining ? "Service is being deleted" : "Scaling in");
	memmove(k->prim, k->prim + n, (k->nprim - n) * sizeof(*k->prim));
	k->nprim -= n;
}

/* maximumPercent of desiredCount, never below desiredCount. */
static long long max_total(const ecsfs__look *k)
{
	long long max = k->desired * ecsfs__service_conf_int(k->state, "maximumPercent", 200) / 100;
	return k->desired > 0 && max < k->desired ? k->desired : max;
}

/* Launch what the primary lacks, as far as maximumPercent leaves room. */
static void start_missing(ecsfs__look *k)
{
	long long live = (long long)(k->nprim + k->nold + k->nretiring + k->nsick);
	long long want = k->desired - (long long)k->nprim, room = max_total(k) - live;

	/* a DAEMON starts one on each instance that has none; maximumPercent
	 * is not used (its old task on an instance stops first) */
	if (k->daemon)
		want = room = k->daemon_free;
	if (want <= 0 || !ecsfs__may_launch(k) || k->group_missing)
		return;
	if (want > room && !ecsfs__strategy_holds(k)) /* strategies start the new at full count */
		want = room;
	if (want > 0)
		k->started = start_tasks(k, want);
}

/* Retire old[0..n): the drained ones, then those of older deployments. */
static void retire_first(ecsfs__look *k, size_t n)
{
	size_t drained = 0;

	for (size_t i = 0; i < n; i++)
		if (k->old[i]->drained) {
			ecsfs__svc_task *t = k->old[i];
			k->old[i] = k->old[drained];
			k->old[drained++] = t;
		}
	if (drained)
		ecsfs__retire(k, k->old, drained, ECSFS__DRAIN_REASON);
	if (n > drained)
		ecsfs__retire(k, k->old + drained, n - drained,
			      k->draining ? "Service is being deleted"
					  : "Replaced by a new deployment");
}

/* Stop older deployments' tasks, and tasks drained from their instances,
 * as far as minimumHealthyPercent allows (ECS's default: 100, 0 for a
 * DAEMON, whose instance has room for one task). */
static void retire_old(ecsfs__look *k)
{
	long long min_healthy =
	    (k->desired *
		 ecsfs__service_conf_int(k->state, "minimumHealthyPercent", k->daemon ? 0 : 100) +
	     99) /
	    100;
	long long healthy = 0;
	size_t n = 0;

	for (size_t i = 0; i < k->nprim; i++)
		healthy += k->prim[i]->healthy;
	for (size_t i = 0; i < k->nold; i++)
		healthy += k->old[i]->healthy;
	/* those that go are moved to the front of old[] */
	for (size_t i = 0; i < k->nold; i++) {
		ecsfs__svc_task *t = k->old[i];
		/* a protected task outlives its deployment until protection ends
		 * (not its instance's draining) */
		if (t->protected && !k->draining && !t->drained)
			continue;
		if (t->healthy) {
			if (healthy - 1 < min_healthy && !k->draining && k->desired > 0)
				continue;
			healthy--;
		}
		k->old[i] = k->old[n];
		k->old[n++] = t;
	}
	if (n)
		retire_first(k, n);
}

/* What describe-services shows of the service once it is gone: INACTIVE. */
static char *inactive_doc(ecsfs__look *k)
{
	json_t *o = NULL;
	char *text;

	if (ecsfs_service_describe(k->sv, k->cluster, k->name, &o, NULL) < 0)
		return NULL;
	json_object_set_new(o, "status", json_string("INACTIVE"));
	json_object_set_new(o, "desiredCount", json_integer(0));
	json_object_set_new(o, "runningCount", json_integer(0));
	json_object_set_new(o, "pendingCount", json_integer(0));
	json_object_set_new(o, "deployments", json_array());
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}

/* The row goes and what describe shows of it stays, in one transaction. */
static void forget_service(ecsfs__look *k)
{
	char *doc = inactive_doc(k);
	ecsfs_buf arn = ECSFS_BUF_INIT;

	ecsfs_arn(&arn, "ecs", "service/%s/%s", k->cluster, k->name);
	if (ecsfs_store_begin(k->s) == 0) {
		ecsfs_store_service_delete(k->s, k->cluster, k->name);
		ecsfs_tags_drop(k->s, arn.data);
		if (doc)
			ecsfs_store_service_gone_put(k->s, k->cluster, k->name, k->now, doc);
		ecsfs_store_commit(k->s);
	}
	ecsfs_buf_release(&arn);
	free(doc);
}

/* A DRAINING service whose tasks have all stopped is deleted. */
static bool finish_delete(ecsfs__look *k)
{
	ecsfs_buf stream = ECSFS_BUF_INIT;

	if (!k->draining || k->nprim + k->nold + k->nretiring + k->nsick > 0)
		return false;
	for (size_t i = 0; i < k->l.n; i++)
		if (!k->l.v[i].stopped)
			return false;
	forget_service(k);
	ecsfs_service_events_stream(k->cluster, k->name, &stream);
	ecsfs_store_journal_drop(k->s, stream.data);
	ecsfs_buf_release(&stream);
	ecsfs_cluster_event(k->s, k->cluster, "(service %s) was deleted.", k->name);
	ecsfs__service_changed(k->sv, k->cluster, k->name);
	return true;
}

/* Save the state if the look changed it; whether it did. */
static bool record(ecsfs__look *k)
{
	char *after = json_dumps(k->state, JSON_COMPACT | JSON_SORT_KEYS);
	bool changed = !after || !k->before || strcmp(after, k->before) != 0;

	if (after && k->before && changed) {
		ecsfs__service_save(k->s, k->cluster, k->name, k->state);
		ecsfs__service_changed(k->sv, k->cluster, k->name);
	}
	free(after);
	return changed;
}

/* Nothing for the clock to change: the look did nothing, changed nothing,
 * and the service is steady (no rollout, drain, grace, throttle or stable
 * time running). Such a service waits for a change of its inputs. */
static bool quiet(const ecsfs__look *k, bool changed)
{
	return !changed && !k->acted && !k->draining &&
	       json_is_true(json_object_get(k->state, "steady"));
}

static void look_release(ecsfs__look *k)
{
	free(k->before);
	free(k->prim);
	free(k->old);
	free(k->sick);
	free(k->l.v);
	json_decref(k->state);
}

/* One look at one service; whether it needs another look on the next tick
 * even if nothing changes. */
static bool look_at(ecsfs_services *sv, const char *cluster, const char *name)
{
	ecsfs__look k;
	bool again;

	if (!observe(sv, cluster, name, &k))
		return false;
	if (sv->tasks) {
		ecsfs__lb_observe(&k);
		ecsfs__lb_finish_draining(&k);
		ecsfs__lb_forget_stopped(&k);
		ecsfs__deploy_if_due(&k);
		ecsfs__trip_breaker(&k);
		replace_unhealthy(&k);
		ecsfs__lb_report_unhealthy(&k);
		split_by_deployment(&k);
		ecsfs__fleet_split(&k);
		scale_in(&k);
		ecsfs__throttle_failures(&k);
		start_missing(&k);
		ecsfs__lb_retire_unhealthy(&k);
		if (!ecsfs__strategy_holds(&k)) /* a strategy keeps the old tasks to its clean-up */
			retire_old(&k);
		ecsfs__lb_register(&k);
		ecsfs__strategy_advance(&k);
		ecsfs__prune_deployments(&k);
		ecsfs__settle(&k);
		if (finish_delete(&k)) {
			look_release(&k);
			return false;
		}
	}
	again = !quiet(&k, record(&k)) && sv->tasks;
	look_release(&k);
	return again;
}

/*
 * A look is one transaction: the state it saves, the tasks it starts and
 * stops and the event lines that say so are durable together, with one
 * sync instead of one per line. A commit that fails loses the look's
 * writes, not its effects in memory: tasks write their whole row at their
 * next change, and the service is looked at again on the next tick.
 */
static bool schedule(ecsfs_services *sv, const char *cluster, const char *name)
{
	bool tx = ecsfs_store_begin(sv->store) == 0;
	bool again = look_at(sv, cluster, name);

	if (tx && ecsfs_store_commit(sv->store) < 0)
		again = true;
	return again;
}

/* ---- when to look ---- */

/* Look at the service "<cluster>/<name>"; one that is not steady is
 * looked at again on the next tick. */
static int schedule_cb(void *data, const char *cn)
{
	ecsfs_services *sv = data;
	char cluster[256];
	const char *slash = strchr(cn, '/');

	if (!slash || (size_t)(slash - cn) >= sizeof(cluster))
		return 0;
	memcpy(cluster, cn, (size_t)(slash - cn));
	cluster[slash - cn] = '\0';
	ecsfs__due_looked(sv, cn);
	if (schedule(sv, cluster, slash + 1))
		ecsfs__due_again(sv, cn);
	return 0;
}

/* The services of `batch`, in no order (each look is on its own). */
static void schedule_batch(ecsfs_services *sv, const ecsfs_strmap *batch)
{
	size_t pos = 0;
	const char *key;
	void *unused;

	while (ecsfs_strmap_next(batch, &pos, &key, &unused))
		schedule_cb(sv, key);
}

/* Deleted services stay describable (INACTIVE) for an hour; looked at
 * once a minute, so an idle daemon does not write every second. */
static void forget_inactive(ecsfs_services *sv)
{
	/* the cadence is a duration (monotonic); the expiry compares stored
	 * dates (wall clock) */
	int64_t mono = ecsfs_mono_ns();

	if (sv->gone_swept_ns && mono - sv->gone_swept_ns < 60 * 1000000000ll)
		return;
	sv->gone_swept_ns = mono;
	ecsfs_store_service_gone_expire(sv->store, ecsfs_now_ns() - ECSFS__SERVICE_GONE_NS);
}

static void on_timer(uv_timer_t *t)
{
	ecsfs_services *sv = t->data;

	ecsfs_strmap batch;

	if (sv->busy)
		return;
	sv->busy = true;
	/* what the looks mark goes to the next pass */
	if (ecsfs__due_take(sv, &batch))
		ecsfs_store_service_list_all(sv->store, schedule_cb, sv);
	else
		schedule_batch(sv, &batch);
	ecsfs_strmap_release(&batch);
	forget_inactive(sv);
	sv->busy = false;
}

void ecsfs_services_kick(ecsfs_services *sv)
{
	if (!sv)
		return;
	ecsfs__due_all(sv);
	if (!sv->busy)
		uv_timer_start(&sv->timer, on_timer, 0, ECSFS__TICK_NS / 1000000);
}

void ecsfs_services_touch(ecsfs_services *sv, const char *cluster, const char *name)
{
	if (!sv)
		return;
	ecsfs__due_mark(sv, cluster, name);
	if (!sv->busy)
		uv_timer_start(&sv->timer, on_timer, 0, ECSFS__TICK_NS / 1000000);
}

/* A task changed: its service (if it has one) looks again soon. A task
 * already forgotten was STOPPED: no service waits for it. */
static void task_changed(void *data, const char *cluster, const char *id)
{
	ecsfs_services *sv = data;
	const char *group = ecsfs_tasks_group(sv->tasks, cluster, id);

	if (group && strncmp(group, "service:", 8) == 0)
		ecsfs_services_touch(sv, cluster, group + 8);
}

static void taskdefs_changed(void *data, const char *family)
{
	ecsfs__due_family(data, family);
}

int ecsfs_services_new(uv_loop_t *loop, ecsfs_store *store, ecsfs_tasks *tasks,
		       ecsfs_services **out)
{
	ecsfs_services *sv = calloc(1, sizeof(*sv));

	if (!sv)
		return -ENOMEM;
	sv->loop = loop;
	sv->store = store;
	sv->tasks = tasks;
	sv->stable_ns = ECSFS_SERVICE_STABLE_MS * 1000000ll;
	if (ecsfs__due_new(sv) < 0) {
		free(sv);
		return -ENOMEM;
	}
	uv_timer_init(loop, &sv->timer);
	sv->timer.data = sv;
	uv_timer_start(&sv->timer, on_timer, ECSFS__TICK_NS / 1000000, ECSFS__TICK_NS / 1000000);
	uv_unref((uv_handle_t *)&sv->timer);
	if (tasks)
		ecsfs_tasks_set_scheduler_cb(tasks, task_changed, sv);
	ecsfs__fleet_listen(sv, true);
	ecsfs_store_watch_taskdefs(store, taskdefs_changed, sv);
	*out = sv;
	return 0;
}

void ecsfs_services_set_stable(ecsfs_services *sv, int64_t ms)
{
	sv->stable_ns = ms * 1000000ll;
}

void ecsfs_services_set_change_cb(ecsfs_services *sv, ecsfs_services_change_cb cb, void *data)
{
	sv->on_change = cb;
	sv->on_change_data = data;
}

static void timer_closed(uv_handle_t *h)
{
	ecsfs_services *sv = h->data;

	ecsfs__due_free(sv);
	free(sv);
}

void ecsfs_services_free(ecsfs_services *sv)
{
	if (!sv)
		return;
	if (sv->lb)
		ecsfs_lb_set_change_cb(sv->lb, NULL, NULL);
	if (sv->tasks)
		ecsfs_tasks_set_scheduler_cb(sv->tasks, NULL, NULL);
	ecsfs__fleet_listen(sv, false);
	ecsfs_store_watch_taskdefs(sv->store, NULL, NULL);
	uv_timer_stop(&sv->timer);
	uv_close((uv_handle_t *)&sv->timer, timer_closed);
}
