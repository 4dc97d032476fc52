/*
 * ecsfs — deployment strategies through the load balancer: BLUE_GREEN,
 * CANARY and LINEAR (deploymentConfiguration.strategy), phases of the
 * scheduler's look (scheduler.c calls them; the hooks are in
 * strategy_hook.c).
 *
 * A strategy deployment starts its tasks at full count in the target group
 * that does not serve production now (the alternate one, or the service's
 * own after a swap) while the old tasks keep theirs; then walks ECS's
 * lifecycle stages: PRE_SCALE_UP, SCALE_UP (the new tasks healthy),
 * POST_SCALE_UP, TEST_TRAFFIC_SHIFT (the test rule to the new tasks),
 * POST_TEST_TRAFFIC_SHIFT, PRODUCTION_TRAFFIC_SHIFT (all at once, a canary
 * share then the rest, or linear steps, each step baked), POST_PRODUCTION_
 * TRAFFIC_SHIFT, BAKE_TIME, CLEAN_UP (the old tasks drain and stop, the
 * target groups swap roles). Everything is in the deployment's "strategy"
 * object of the service's state, so a restart resumes the same stage with
 * the same split.
 *
 * The split itself is a row of the store per listener rule (lb_traffic),
 * which the load-balancer controller puts on top of the rule of the spec:
 * a weighted forward to the two groups, applied to HAProxy by a hitless
 * reload and shown in rules.json. Every look derives the rows from the
 * state and writes those that differ (level-triggered), so a crash between
 * the two writes heals at the next look.
 *
 * Rollback (new tasks failing health checks, the circuit breaker, a failed
 * hook, a write to the service's `rollback`) puts every request back on
 * the old tasks at once, makes their deployment PRIMARY again and retires
 * the new ones.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/scheduler_private.h"
#include "ecsfs/targetgroup.h"
#include "ecsfs/util.h"

static const char *const stages[] = {"PRE_SCALE_UP",
				     "SCALE_UP",
				     "POST_SCALE_UP",
				     "TEST_TRAFFIC_SHIFT",
				     "POST_TEST_TRAFFIC_SHIFT",
				     "PRODUCTION_TRAFFIC_SHIFT",
				     "POST_PRODUCTION_TRAFFIC_SHIFT",
				     "BAKE_TIME",
				     "CLEAN_UP",
				     NULL};

static const char *sstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static json_t *lbs_of(const ecsfs__look *k)
{
	return json_object_get(ecsfs__service_spec(k->state), "loadBalancers");
}

static json_t *adv_of(const ecsfs__look *k, size_t i)
{
	return json_object_get(json_array_get(lbs_of(k), i), "advancedConfiguration");
}

/* The group that serves production for load balancer i now (the groups
 * swap roles only while it has an alternate). */
static const char *prod_group(const ecsfs__look *k, size_t i)
{
	const char *swapped =
	    json_string_value(json_array_get(json_object_get(k->state, "productionGroups"), i));
	return swapped && adv_of(k, i) ? swapped
				       : sstr(json_array_get(lbs_of(k), i), "targetGroupArn");
}

/* The other group of load balancer i. */
static const char *other_group(const ecsfs__look *k, size_t i, const char *g)
{
	const char *own = sstr(json_array_get(lbs_of(k), i), "targetGroupArn");
	const char *alt = sstr(adv_of(k, i), "alternateTargetGroupArn");
	return ecsfs_targetgroup_same(g, own) ? alt : own;
}

static json_t *strategy_of(json_t *d)
{
	return json_object_get(d, "strategy");
}

/* A strategy deployment that has not finished its clean-up nor rolled back. */
static json_t *in_progress(const ecsfs__look *k)
{
	json_t *st = strategy_of(k->p);

	if (!st || json_object_get(st, "rolledBack") || json_is_true(json_object_get(st, "done")))
		return NULL;
	return st;
}

static int64_t minute_ns(const ecsfs__look *k)
{
	return (k->sv->bake_minute_ms ? k->sv->bake_minute_ms : 60000) * 1000000ll;
}

/* ---- what the scheduler asks ---- */

const char *ecsfs__strategy_group(const ecsfs__look *k, size_t i, const char *started_by)
{
	json_t *d;
	size_t j;

	/* a task stays in the group it was registered in */
	json_array_foreach(json_object_get(k->state, "deployments"), j, d) {
		const char *g;
		if (strcmp(ecsfs__dstr(d, "id"), started_by) != 0)
			continue;
		g = json_string_value(json_array_get(json_object_get(d, "groups"), i));
		if (g)
			return g;
		break;
	}
	return prod_group(k, i);
}

bool ecsfs__strategy_holds(const ecsfs__look *k)
{
	return in_progress(k) != NULL && !k->draining;
}

bool ecsfs__strategy_may_launch(const ecsfs__look *k)
{
	json_t *st = in_progress(k);
	return !st || strcmp(sstr(st, "stage") ?: "", "PRE_SCALE_UP") != 0;
}

/* ---- starting one ---- */

/* The groups the tasks of a deployment are registered in: production's
 * now, or the others for a strategy's new tasks. */
static json_t *groups_now(const ecsfs__look *k, bool other)
{
	json_t *groups = json_array(), *lb;
	size_t i;

	json_array_foreach(lbs_of(k), i, lb) {
		const char *g = prod_group(k, i);
		if (other && adv_of(k, i))
			g = other_group(k, i, g);
		json_array_append_new(groups, g ? json_string(g) : json_null());
	}
	return groups;
}

void ecsfs__strategy_begin(ecsfs__look *k, json_t *d, bool rollback)
{
	const char *kind = ecsfs__service_strategy(k->state);
	json_t *o;
	bool old_live = false;
	size_t i;

	if (!k->sv->lb || !adv_of(k, 0))
		return;
	/* the deployments before keep the groups their tasks are in */
	json_array_foreach(json_object_get(k->state, "deployments"), i, o)
		if (o != d && !json_object_get(o, "groups"))
			json_object_set_new(o, "groups", groups_now(k, false));
	for (i = 0; i < k->l.n; i++)
		old_live = old_live || (k->l.v[i].live && !k->l.v[i].retiring);
	/* the first deployment has nothing to shift traffic from */
	if (strcmp(kind, "ROLLING") == 0 || !old_live || rollback) {
		json_object_set_new(d, "groups", groups_now(k, false));
		return;
	}
	json_object_set_new(d, "groups", groups_now(k, true));
	json_object_set_new(d, "strategy",
			    json_pack("{s:s, s:s, s:I, s:i}", "kind", kind, "stage", "PRE_SCALE_UP",
				      "stageAt", (json_int_t)k->now, "percent", 0));
	json_object_set_new(d, "stage", json_string("PRE_SCALE_UP"));
	ecsfs__service_event(k->s, k->cluster, k->name,
			     "(deployment %s) %s deployment: the new tasks start in (target-group "
			     "%s) while production stays on (target-group %s).",
			     ecsfs__dstr(d, "id"), kind,
			     json_string_value(json_array_get(json_object_get(d, "groups"), 0)),
			     prod_group(k, 0));
}

/* ---- the split on the rules ---- */

/* The weights of [old, new] for a share of `tenths` per mille of new. */
static json_t *forward(const char *old, const char *new_, int tenths)
{
	int wo = 1000 - tenths, wn = tenths;

	if (tenths % 10 == 0) {
		wo /= 10;
		wn /= 10;
	}
	return json_pack("[{s:s, s:i}, {s:s, s:i}]", "TargetGroupArn", old, "Weight",
			 wo > 999 ? 999 : wo, "TargetGroupArn", new_, "Weight",
			 wn > 999 ? 999 : wn);
}

static void want_rules(ecsfs__look *k, json_t *want)
{
	json_t *st = in_progress(k);
	int prod = st ? (int)json_integer_value(json_object_get(st, "percent")) : 0;
	int test = 0;
	bool live = false;

	if (st) {
		const char *stage = sstr(st, "stage");
		for (size_t i = 0; stages[i] && strcmp(stages[i], stage) != 0; i++)
			if (strcmp(stages[i], "TEST_TRAFFIC_SHIFT") == 0)
				test = 1000;
		if (strcmp(stage, "TEST_TRAFFIC_SHIFT") == 0)
			test = 1000;
	}
	for (size_t i = 0; i < k->l.n; i++)
		live = live || k->l.v[i].live;
	for (size_t i = 0; i < json_array_size(lbs_of(k)); i++) {
		json_t *adv = adv_of(k, i);
		const char *blue = prod_group(k, i), *green = other_group(k, i, blue);
		/* a service being deleted keeps its split until its tasks are gone */
		if (!adv || (k->draining && !live))
			continue;
		json_object_set_new(want, sstr(adv, "productionListenerRule"),
				    forward(blue, green, prod));
		if (sstr(adv, "testListenerRule"))
			json_object_set_new(want, sstr(adv, "testListenerRule"),
					    forward(blue, green, test));
	}
}

/* Write the rows that differ from what the state says was written. */
void ecsfs__strategy_traffic(ecsfs__look *k)
{
	json_t *want = json_object(), *had = json_object_get(k->state, "traffic"), *v;
	char owner[600];
	const char *rule;
	bool changed = false;

	if (!k->sv->lb) {
		json_decref(want);
		return;
	}
	snprintf(owner, sizeof(owner), "%s/%s", k->cluster, k->name);
	want_rules(k, want);
	json_object_foreach(want, rule, v) {
		char *text;
		if (json_equal(v, json_object_get(had, rule)))
			continue;
		text = json_dumps(v, JSON_COMPACT);
		changed = ecsfs_store_traffic_put(k->s, rule, owner, text) == 0 || changed;
		free(text);
	}
	json_object_foreach(had, rule, v)
		if (!json_object_get(want, rule))
			changed = ecsfs_store_traffic_put(k->s, rule, owner, NULL) == 0 || changed;
	if (json_object_size(want))
		json_object_set_new(k->state, "traffic", want);
	else {
		json_object_del(k->state, "traffic");
		json_decref(want);
	}
	if (changed)
		ecsfs_lb_kick(k->sv->lb);
}

/* ---- rollback ---- */

/* The deployment whose tasks serve production (the newest other one that
 * still has live tasks). */
static size_t old_index(ecsfs__look *k)
{
	json_t *deps = json_object_get(k->state, "deployments");

	for (size_t i = 1; i < json_array_size(deps); i++) {
		const char *id = ecsfs__dstr(json_array_get(deps, i), "id");
		for (size_t j = 0; j < k->l.n; j++)
			if (k->l.v[j].live && strcmp(k->l.v[j].started_by, id) == 0)
				return i;
	}
	return 0;
}

bool ecsfs__strategy_roll_back(ecsfs__look *k, const char *reason)
{
	json_t *st = in_progress(k), *deps = json_object_get(k->state, "deployments"), *p = k->p,
	       *old;
	size_t oi;
	char blocked[300];

	if (!st || !(oi = old_index(k)))
		return false;
	old = json_incref(json_array_get(deps, oi));
	json_array_remove(deps, oi);
	json_array_insert_new(deps, 0, old);
	json_object_set_new(old, "status", json_string("PRIMARY"));
	json_object_set_new(old, "updated", json_integer(k->now));
	json_object_set_new(p, "status", json_string("ACTIVE"));
	json_object_set_new(p, "rollout", json_string("FAILED"));
	json_object_set_new(p, "reason", json_sprintf("Rolled back: %s.", reason));
	json_object_set_new(p, "updated", json_integer(k->now));
	json_object_set_new(st, "rolledBack", json_string(reason));
	json_object_set(p, "stage", json_object_get(st, "stage"));
	json_object_set_new(p, "rollbackReason", json_string(reason));
	ecsfs__service_history(k->state, p);
	snprintf(blocked, sizeof(blocked), "%s:%lld", ecsfs__dstr(p, "family"),
		 (long long)json_integer_value(json_object_get(p, "revision")));
	json_object_set_new(k->state, "blocked", json_string(blocked));
	json_object_del(k->state, "rollbackAsked");
	k->p = old;
	ecsfs__service_event(k->s, k->cluster, k->name,
			     "(deployment %s) rolled back at %s: %s; all production traffic is "
			     "back on the tasks of deployment %s.",
			     ecsfs__dstr(p, "id"), sstr(st, "stage"), reason,
			     ecsfs__dstr(old, "id"));
	ecsfs__strategy_traffic(k);
	k->acted = true;
	return true;
}

/* ---- the stages ---- */

static void enter(ecsfs__look *k, json_t *st, const char *stage)
{
	json_object_set_new(st, "stage", json_string(stage));
	json_object_set_new(st, "stageAt", json_integer(k->now));
	json_object_del(st, "until");
	json_object_set(k->p, "stage", json_object_get(st, "stage"));
	ecsfs__service_history(k->state, k->p);
	ecsfs__service_event(k->s, k->cluster, k->name, "(deployment %s) lifecycle stage %s.",
			     ecsfs__dstr(k->p, "id"), stage);
}

static const char *next_stage(const char *stage)
{
	for (size_t i = 0; stages[i]; i++)
		if (strcmp(stages[i], stage) == 0)
			return stages[i + 1];
	return NULL;
}

/* Every task of the new deployment at full count and healthy. */
static bool scaled_up(const ecsfs__look *k)
{
	size_t healthy = 0;

	for (size_t i = 0; i < k->nprim; i++)
		healthy += k->prim[i]->healthy && k->prim[i]->running;
	return (long long)healthy >= k->desired && k->desired > 0;
}

/* A new task that failed its health checks once traffic may reach it. */
static const char *sick_task(const ecsfs__look *k)
{
	const char *id = ecsfs__dstr(k->p, "id");

	for (size_t i = 0; i < k->l.n; i++) {
		const ecsfs__svc_task *t = &k->l.v[i];
		if (strcmp(t->started_by, id) == 0 && t->live && (t->unhealthy || t->elb_unhealthy))
			return t->id;
	}
	return NULL;
}

static void shift_to(ecsfs__look *k, json_t *st, int tenths, long long bake_min)
{
	json_object_set_new(st, "percent", json_integer(tenths));
	if (tenths < 1000)
		json_object_set_new(st, "until", json_integer(k->now + bake_min * minute_ns(k)));
	else
		json_object_del(st, "until");
	ecsfs__service_event(k->s, k->cluster, k->name,
			     "(deployment %s) %d.%d%% of production traffic goes to the new tasks.",
			     ecsfs__dstr(k->p, "id"), tenths / 10, tenths % 10);
}

/* PRODUCTION_TRAFFIC_SHIFT: true once all of it is on the new tasks. */
static bool shift_production(ecsfs__look *k, json_t *st)
{
	ecsfs__strategy_conf c;
	const char *kind = sstr(st, "kind");
	int now = (int)json_integer_value(json_object_get(st, "percent"));
	json_t *until = json_object_get(st, "until");

	if (now >= 1000)
		return true;
	if (until && k->now < json_integer_value(until))
		return false;
	ecsfs__service_strategy_conf(k->state, &c);
	if (strcmp(kind, "CANARY") == 0)
		shift_to(k, st, now == 0 ? c.canary_tenths : 1000, c.canary_bake_min);
	else if (strcmp(kind, "LINEAR") == 0)
		shift_to(k, st, now + c.step_tenths > 1000 ? 1000 : now + c.step_tenths,
			 c.step_bake_min);
	else
		shift_to(k, st, 1000, 0);
	return false;
}

static bool baked(ecsfs__look *k, json_t *st)
{
	ecsfs__strategy_conf c;
	json_t *until = json_object_get(st, "until");

	if (!until) {
		ecsfs__service_strategy_conf(k->state, &c);
		json_object_set_new(st, "until", json_integer(k->now + c.bake_min * minute_ns(k)));
		return c.bake_min == 0;
	}
	return k->now >= json_integer_value(until);
}

/* The new groups serve production from now on; the old tasks may go. */
static void clean_up(ecsfs__look *k, json_t *st)
{
	json_t *prod = json_array(), *groups = json_object_get(k->p, "groups");

	for (size_t i = 0; i < json_array_size(lbs_of(k)); i++) {
		json_t *g = json_array_get(groups, i);
		json_array_append_new(prod, json_is_string(g) ? json_incref(g)
							      : json_string(prod_group(k, i)));
	}
	json_object_set_new(k->state, "productionGroups", prod);
	json_object_set_new(st, "done", json_true());
	json_object_set_new(st, "percent", json_integer(0));
	ecsfs__service_event(k->s, k->cluster, k->name,
			     "(deployment %s) the old tasks drain and stop; (target-group %s) "
			     "serves production.",
			     ecsfs__dstr(k->p, "id"), prod_group(k, 0));
}

/* Is the stage's own work done (hooks aside)? */
static bool stage_done(ecsfs__look *k, json_t *st, const char *stage)
{
	if (strcmp(stage, "SCALE_UP") == 0)
		return scaled_up(k);
	if (strcmp(stage, "PRODUCTION_TRAFFIC_SHIFT") == 0)
		return shift_production(k, st);
	if (strcmp(stage, "BAKE_TIME") == 0)
		return baked(k, st);
	return true;
}

static bool asked_back(const ecsfs__look *k)
{
	const char *asked = sstr(k->state, "rollbackAsked");
	return asked && strcmp(asked, ecsfs__dstr(k->p, "id")) == 0;
}

static json_t *deployment_of(const ecsfs__look *k, const char *id)
{
	json_t *d;
	size_t i;

	json_array_foreach(json_object_get(k->state, "deployments"), i, d)
		if (strcmp(ecsfs__dstr(d, "id"), id) == 0)
			return d;
	return NULL;
}

/* Tasks of a deployment this one superseded in the same groups would take
 * its test and production traffic: they go now (the production ones stay
 * to the clean-up). */
static void retire_superseded(ecsfs__look *k)
{
	json_t *mine = json_object_get(k->p, "groups"), *d;
	ecsfs__svc_task **v = calloc(k->nold + 1, sizeof(*v));
	size_t n = 0;

	if (!v)
		abort();
	for (size_t i = 0; i < k->nold; i++) {
		ecsfs__svc_task *t = k->old[i];
		d = deployment_of(k, t->started_by);
		if (t->live && !t->retiring && d && json_equal(json_object_get(d, "groups"), mine))
			v[n++] = t;
	}
	if (n)
		ecsfs__retire(k, v, n, "Replaced by a new deployment");
	free(v);
}

/* One stage of the primary's strategy per look (or several that have
 * nothing to wait for). */
static void advance(ecsfs__look *k, json_t *st)
{
	ecsfs_buf why = ECSFS_BUF_INIT;

	retire_superseded(k);

	for (int n = 0; n < 12 && in_progress(k); n++) {
		const char *stage = sstr(st, "stage") ?: "PRE_SCALE_UP", *sick;
		int h;
		/* a shift counts once HAProxy has it */
		ecsfs__strategy_traffic(k);
		if (!ecsfs_lb_settled(k->sv->lb) && !asked_back(k))
			break;
		if (asked_back(k)) {
			ecsfs__strategy_roll_back(k, "a rollback was asked for");
			break;
		}
		if (strcmp(stage, "SCALE_UP") != 0 && strcmp(stage, "PRE_SCALE_UP") != 0 &&
		    (sick = sick_task(k))) {
			ecsfs_buf_setf(&why, "new task %s failed its health checks", sick);
			ecsfs__strategy_roll_back(k, why.data);
			break;
		}
		if (!stage_done(k, st, stage))
			break;
		ecsfs_buf_reset(&why);
		if ((h = ecsfs__strategy_hooks(k, st, stage, &why)) < 0) {
			ecsfs__strategy_roll_back(k, why.data);
			break;
		}
		if (h > 0)
			break;
		if (strcmp(stage, "CLEAN_UP") == 0) {
			clean_up(k, st);
			break;
		}
		enter(k, st, next_stage(stage));
	}
	ecsfs_buf_release(&why);
}

void ecsfs__strategy_advance(ecsfs__look *k)
{
	json_t *st = in_progress(k);

	if (st && !k->draining)
		advance(k, st);
	else if (asked_back(k))
		ecsfs__deploy_roll_back(k, "a rollback was asked for");
	json_object_del(k->state, "rollbackAsked");
	ecsfs__strategy_traffic(k);
}
