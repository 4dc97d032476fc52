/*
 * ecsfs — deployments of a service: when one starts, when its rollout
 * fails (the circuit breaker) or completes, how failing launches are
 * throttled, and when the service is steady. The scheduler (scheduler.c)
 * calls these as phases of one look.
 */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "control/scheduler_private.h"
#include "ecsfs/util.h"

static long long drev(json_t *d)
{
	return json_integer_value(json_object_get(d, "revision"));
}

static bool rollout_is(json_t *d, const char *state)
{
	return d && strcmp(ecsfs__dstr(d, "rollout"), state) == 0;
}

static void new_deployment_id(char out[40])
{
	unsigned char raw[8];
	unsigned long long n = 0;

	if (getrandom(raw, sizeof(raw), 0) == (ssize_t)sizeof(raw))
		memcpy(&n, raw, sizeof(n));
	else
		n = (unsigned long long)ecsfs_now_ns();
	snprintf(out, 40, "ecs-svc/%019llu", n % 10000000000000000000ull);
}

/* A new PRIMARY deployment of family:rev; the old primary becomes ACTIVE. */
static void start_deployment(ecsfs__look *k, const char *family, int64_t rev, bool rollback)
{
	json_t *deps = json_object_get(k->state, "deployments"), *d;
	char id[40];

	if (k->p) {
		json_object_set_new(k->p, "status", json_string("ACTIVE"));
		json_object_set_new(k->p, "updated", json_integer(k->now));
	}
	new_deployment_id(id);
	if (k->p && rollout_is(k->p, "IN_PROGRESS")) {
		json_object_set_new(k->p, "superseded", json_string(id));
		ecsfs__service_history(k->state, k->p);
	}
	d = json_pack("{s:s, s:s, s:I, s:s, s:s, s:I, s:I, s:b}", "id", id, "family", family,
		      "revision", (json_int_t)rev, "status", "PRIMARY", "rollout", "IN_PROGRESS",
		      "created", (json_int_t)k->now, "updated", (json_int_t)k->now, "rollback",
		      rollback);
	json_array_insert_new(deps, 0, d);
	k->p = d;
	ecsfs__strategy_begin(k, d, rollback);
	ecsfs__service_history(k->state, d);
	json_object_set_new(k->state, "steady", json_false());
	json_object_del(k->state, "waiting");
	json_object_del(k->state, "streak");
	json_object_del(k->state, "launchAfter");
	if (!rollback)
		ecsfs__service_event(k->s, k->cluster, k->name,
				     "has begun deployment %s of task definition %s:%lld.", id,
				     family, (long long)rev);
}

/* Say once that the service waits for its family to be registered. */
static void wait_for_family(ecsfs__look *k, const char *ref)
{
	if (json_is_true(json_object_get(k->state, "waiting")) || k->desired <= 0)
		return;
	ecsfs__service_event(k->s, k->cluster, k->name,
			     "is waiting for task definition %s: it has no ACTIVE revision yet; "
			     "the service starts tasks once it is registered.",
			     ref);
	json_object_set_new(k->state, "waiting", json_true());
}

/* A revision whose containers and ports do not match the service's
 * loadBalancers is not deployed (said once per revision). */
static bool unfit(ecsfs__look *k, const char *family, int64_t rev, const char *key)
{
	ecsfs_err err = ECSFS_ERR_INIT;
	const char *said = json_string_value(json_object_get(k->state, "unfit"));
	bool bad = ecsfs__service_check_lb_containers(k->s, ecsfs__service_spec(k->state), family,
						      rev, &err) < 0;

	if (!bad)
		json_object_del(k->state, "unfit");
	else if (!said || strcmp(said, key) != 0) {
		ecsfs__service_event(k->s, k->cluster, k->name,
				     "cannot deploy task definition %s: %s.", key, err.msg.data);
		json_object_set_new(k->state, "unfit", json_string(key));
	}
	ecsfs_err_release(&err);
	return bad;
}

void ecsfs__deploy_if_due(ecsfs__look *k)
{
	json_t *spec = ecsfs__service_spec(k->state);
	const char *ref = json_string_value(json_object_get(spec, "taskDefinition"));
	json_int_t force = json_integer_value(json_object_get(k->state, "force"));
	json_int_t seen = json_integer_value(json_object_get(k->state, "forceSeen"));
	const char *blocked = json_string_value(json_object_get(k->state, "blocked"));
	char family[256], key[300];
	int64_t rev;

	if (!ref)
		return;
	if (ecsfs__service_resolve_ref(k->s, ref, family, &rev) < 0) {
		wait_for_family(k, ref);
		return;
	}
	snprintf(key, sizeof(key), "%s:%lld", family, (long long)rev);
	if (k->p && strcmp(ecsfs__dstr(k->p, "family"), family) == 0 && drev(k->p) == rev &&
	    force == seen)
		return;
	if (blocked && strcmp(blocked, key) == 0 && force == seen)
		return; /* rolled back from it: only a new revision or redeploy retries */
	if (unfit(k, family, rev, key))
		return;
	json_object_set_new(k->state, "forceSeen", json_integer(force));
	start_deployment(k, family, rev, false);
}

static void roll_back(ecsfs__look *k, json_t *done)
{
	char failed_id[64];

	snprintf(failed_id, sizeof(failed_id), "%s", ecsfs__dstr(k->p, "id"));
	start_deployment(k, ecsfs__dstr(done, "family"), drev(done), true);
	ecsfs__service_event(
	    k->s, k->cluster, k->name,
	    "deployment %s rolling back to task definition %s:%lld in deployment %s.", failed_id,
	    ecsfs__dstr(done, "family"), drev(done), ecsfs__dstr(k->p, "id"));
}

void ecsfs__trip_breaker(ecsfs__look *k)
{
	json_t *p = k->p, *done;
	long long failed = 0, threshold = ecsfs__service_breaker_threshold(k->desired);
	char blocked[300];

	if (!rollout_is(p, "IN_PROGRESS"))
		return;
	for (size_t i = 0; i < k->l.n; i++)
		failed +=
		    k->l.v[i].failed && strcmp(k->l.v[i].started_by, ecsfs__dstr(p, "id")) == 0;
	if (failed != json_integer_value(json_object_get(p, "failed"))) {
		json_object_set_new(p, "failed", json_integer(failed));
		ecsfs__service_history(k->state, p);
	}
	if (!ecsfs__service_breaker(k->state, "enable") || failed < threshold)
		return;
	json_object_set_new(p, "rollout", json_string("FAILED"));
	json_object_set_new(p, "reason", json_string("tasks failed to start"));
	json_object_set_new(p, "updated", json_integer(ecsfs_now_ns()));
	ecsfs__service_history(k->state, p);
	ecsfs__service_event(k->s, k->cluster, k->name,
			     "(deployment %s) deployment failed: tasks failed to start (%lld "
			     "failed, threshold %lld).",
			     ecsfs__dstr(p, "id"), failed, threshold);
	snprintf(blocked, sizeof(blocked), "%s:%lld", ecsfs__dstr(p, "family"), drev(p));
	json_object_set_new(k->state, "blocked", json_string(blocked));
	/* the old tasks of a strategy still serve: going back costs nothing */
	if (ecsfs__strategy_roll_back(k, "the circuit breaker tripped: tasks failed to start"))
		return;
	done = json_object_get(k->state, "completed");
	if (ecsfs__service_breaker(k->state, "rollback") && done)
		roll_back(k, done);
}

/*
 * From the third failure without a steady state between, the next launch
 * waits 1 s, doubling to 30 s, as ECS throttles a service that cannot start
 * its tasks.
 */
void ecsfs__throttle_failures(ecsfs__look *k)
{
	long long failed_now = 0,
		  seen = json_integer_value(json_object_get(k->state, "failedSeen"));
	long long streak = json_integer_value(json_object_get(k->state, "streak"));

	for (size_t i = 0; i < k->l.n; i++)
		failed_now += k->l.v[i].failed;
	if (failed_now > seen) {
		streak += failed_now - seen;
		json_object_set_new(k->state, "streak", json_integer(streak));
		if (streak >= 3) {
			long long backoff = streak - 3 >= 5 ? 30 : 1ll << (streak - 3);
			if (backoff > 30)
				backoff = 30;
			json_object_set_new(k->state, "launchAfter",
					    json_integer(k->now + backoff * 1000000000ll));
		}
	}
	if (failed_now != seen)
		json_object_set_new(k->state, "failedSeen", json_integer(failed_now));
}

void ecsfs__deploy_roll_back(ecsfs__look *k, const char *reason)
{
	json_t *done = json_object_get(k->state, "completed"), *p = k->p;
	char blocked[300];

	if (!rollout_is(p, "IN_PROGRESS") || !done ||
	    (strcmp(ecsfs__dstr(done, "family"), ecsfs__dstr(p, "family")) == 0 &&
	     drev(done) == drev(p)))
		return;
	json_object_set_new(p, "rollout", json_string("FAILED"));
	json_object_set_new(p, "reason", json_sprintf("Rolled back: %s.", reason));
	json_object_set_new(p, "rollbackReason", json_string(reason));
	json_object_set_new(p, "updated", json_integer(k->now));
	ecsfs__service_history(k->state, p);
	snprintf(blocked, sizeof(blocked), "%s:%lld", ecsfs__dstr(p, "family"), drev(p));
	json_object_set_new(k->state, "blocked", json_string(blocked));
	roll_back(k, done);
}

bool ecsfs__may_launch(const ecsfs__look *k)
{
	return k->p && !rollout_is(k->p, "FAILED") && ecsfs__strategy_may_launch(k) &&
	       k->now >= json_integer_value(json_object_get(k->state, "launchAfter"));
}

void ecsfs__prune_deployments(ecsfs__look *k)
{
	json_t *deps = json_object_get(k->state, "deployments");

	for (size_t i = json_array_size(deps); i-- > 1;) {
		const char *id = ecsfs__dstr(json_array_get(deps, i), "id");
		bool used = false;
		for (size_t j = 0; j < k->l.n; j++)
			used = used || (k->l.v[j].live && strcmp(k->l.v[j].started_by, id) == 0);
		if (!used)
			json_array_remove(deps, i);
	}
}

/* The primary has desiredCount healthy tasks that have run a while (one
 * that exits at once must not complete its deployment), and no old task is
 * left. */
static bool settled(const ecsfs__look *k)
{
	size_t prim_healthy = 0, old_live = 0;

	for (size_t i = 0; i < k->nprim; i++)
		prim_healthy += k->prim[i]->healthy && k->prim[i]->live &&
				k->now - k->prim[i]->started_ns >= k->sv->stable_ns;
	for (size_t i = 0; i < k->nold; i++)
		old_live += k->old[i]->live;
	return old_live == 0 && k->nretiring == 0 && k->nsick == 0 &&
	       (long long)k->nprim == k->desired && (long long)prim_healthy == k->desired &&
	       (k->p || k->desired == 0);
}

static void complete(ecsfs__look *k)
{
	json_t *p = k->p;

	json_object_set_new(p, "rollout", json_string("COMPLETED"));
	json_object_set_new(p, "reason", json_string("ECS deployment completed successfully."));
	json_object_set_new(p, "updated", json_integer(k->now));
	ecsfs__service_history(k->state, p);
	json_object_set_new(k->state, "completed",
			    json_pack("{s:s, s:O}", "family", ecsfs__dstr(p, "family"), "revision",
				      json_object_get(p, "revision")));
	ecsfs__service_event(k->s, k->cluster, k->name, "(deployment %s) deployment completed.",
			     ecsfs__dstr(p, "id"));
}

void ecsfs__settle(ecsfs__look *k)
{
	bool steady = settled(k);

	if (steady && rollout_is(k->p, "IN_PROGRESS"))
		complete(k);
	if (k->acted)
		steady = false; /* look again once what was started or stopped settles */
	if (steady) {
		json_object_del(k->state, "streak");
		json_object_del(k->state, "launchAfter");
	}
	if (steady && !json_is_true(json_object_get(k->state, "steady"))) {
		json_object_set_new(k->state, "steady", json_true());
		if (!k->draining)
			ecsfs__service_event(k->s, k->cluster, k->name,
					     "has reached a steady state.");
	} else if (!steady) {
		json_object_set_new(k->state, "steady", json_false());
	}
}
