/*
 * ecsfs — services: the fields of deploymentConfiguration.strategy
 * (ROLLING, BLUE_GREEN, LINEAR, CANARY), their bake times, lifecycle hooks
 * and each load balancer's advancedConfiguration: their shapes, the rules
 * between them, and what they name in the store (listener rules of a load
 * balancer). The strategy engine (core/control/strategy*.c) reads them
 * through the accessors at the end.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ecsfs/loadbalancer.h"
#include "ecsfs/targetgroup.h"
#include "ecsfs/util.h"
#include "model/service_private.h"

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* ---- shapes ---- */

/* A percentage in tenths, to the nearest (no libm here). */
static long long tenths_of(double d)
{
	return (long long)(d * 10.0 + (d >= 0 ? 0.5 : -0.5));
}

/* A percentage in multiples of 0.1 within lo..hi tenths. */
static int percent_in(ecsfs_shape_ctx *c, const json_t *v, int lo, int hi)
{
	double d = json_number_value(v), off = d * 10.0 - (double)tenths_of(d);

	if (off > 1e-6 || off < -1e-6 || tenths_of(d) < lo || tenths_of(d) > hi)
		return ecsfs_shape_fail(c, "%g is not a multiple of 0.1 from %g to %g", d,
					lo / 10.0, hi / 10.0);
	return 0;
}

static int step_percent(ecsfs_shape_ctx *c, const json_t *v)
{
	return percent_in(c, v, 30, 1000);
}

static int canary_percent(ecsfs_shape_ctx *c, const json_t *v)
{
	return percent_in(c, v, 1, 1000);
}

/* "arn:aws:elasticloadbalancing:...:listener-rule/app/<lb>/<id>/<listener>/<rule>" */
static int rule_ref(ecsfs_shape_ctx *c, const json_t *v)
{
	char lb[ECSFS_ELB_NAME_MAX + 1];

	if (ecsfs__rule_lb_name(json_string_value(v), lb) < 0)
		return ecsfs_shape_fail(c,
					"'%s' is not a listener rule ARN (see the load "
					"balancer's rules.json)",
					ecsfs_shape_shown(c, json_string_value(v)));
	return 0;
}

static const ecsfs_field linear_fields[] = {
    {.name = "stepPercent", .type = ECSFS_JSON_NUMBER, .check = step_percent},
    ECSFS_INT("stepBakeTimeInMinutes", 0, 0, 1440),
};
const ecsfs_shape ecsfs__svc_linear_shape = ECSFS_SHAPE(linear_fields);

static const ecsfs_field canary_fields[] = {
    {.name = "canaryPercent", .type = ECSFS_JSON_NUMBER, .check = canary_percent},
    ECSFS_INT("canaryBakeTimeInMinutes", 0, 0, 1440),
};
const ecsfs_shape ecsfs__svc_canary_shape = ECSFS_SHAPE(canary_fields);

const char *const ecsfs__svc_stages[] = {"RECONCILE_SERVICE",
					 "PRE_SCALE_UP",
					 "POST_SCALE_UP",
					 "TEST_TRAFFIC_SHIFT",
					 "POST_TEST_TRAFFIC_SHIFT",
					 "PRODUCTION_TRAFFIC_SHIFT",
					 "POST_PRODUCTION_TRAFFIC_SHIFT",
					 NULL};

static const ecsfs_field hook_fields[] = {
    ECSFS_STR("hookTargetArn", ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY),
    ECSFS_STR("roleArn", ECSFS_F_KEPT),
    ECSFS_ARR("lifecycleStages", ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY,
	      ECSFS_ITEM(.type = ECSFS_JSON_STRING, .oneof = ecsfs__svc_stages), 0),
    {.name = "hookDetails", .type = ECSFS_JSON_ANY, .flags = ECSFS_F_KEPT},
};
const ecsfs_shape ecsfs__svc_hook_shape = ECSFS_SHAPE(hook_fields);

static const ecsfs_field advanced_fields[] = {
    ECSFS_STR("alternateTargetGroupArn", ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY),
    {.name = "productionListenerRule",
     .type = ECSFS_JSON_STRING,
     .flags = ECSFS_F_REQUIRED,
     .check = rule_ref},
    {.name = "testListenerRule", .type = ECSFS_JSON_STRING, .check = rule_ref},
    ECSFS_STR("roleArn", ECSFS_F_KEPT),
};
const ecsfs_shape ecsfs__svc_advanced_shape = ECSFS_SHAPE(advanced_fields);

const char *const ecsfs__svc_strategies[] = {"ROLLING", "BLUE_GREEN", "LINEAR", "CANARY", NULL};

int ecsfs__rule_lb_name(const char *arn, char lb[ECSFS_ELB_NAME_MAX + 1])
{
	const char *p = arn ? strstr(arn, ":listener-rule/") : NULL, *slash;
	size_t n;

	if (!p || strncmp(arn, "arn:", 4) != 0)
		return -EINVAL;
	p += strlen(":listener-rule/");
	if (strncmp(p, "app/", 4) != 0 && strncmp(p, "net/", 4) != 0)
		return -EINVAL;
	p += 4;
	if (!(slash = strchr(p, '/')) || (n = (size_t)(slash - p)) == 0 || n > ECSFS_ELB_NAME_MAX)
		return -EINVAL;
	memcpy(lb, p, n);
	lb[n] = '\0';
	return 0;
}

/* ---- rules between the fields ---- */

int ecsfs__svc_strategy_rules(ecsfs_shape_ctx *c, const json_t *doc)
{
	const json_t *dc = json_object_get(doc, "deploymentConfiguration");
	const json_t *lbs = json_object_get(doc, "loadBalancers"), *lb;
	const char *strategy = str(dc, "strategy") ?: "ROLLING";
	const char *ctl = str(json_object_get(doc, "deploymentController"), "type");
	size_t i;

	json_array_foreach(lbs, i, lb) {
		const json_t *adv = json_object_get(lb, "advancedConfiguration");
		if (adv && ecsfs_targetgroup_same(str(lb, "targetGroupArn"),
						  str(adv, "alternateTargetGroupArn"))) {
			ecsfs_shape_path(c,
					 "loadBalancers[%zu].advancedConfiguration."
					 "alternateTargetGroupArn",
					 i);
			return ecsfs_shape_fail(c, "the same target group as targetGroupArn; "
						   "name another one for the new tasks");
		}
		if (adv && !str(lb, "targetGroupArn")) {
			ecsfs_shape_path(c, "loadBalancers[%zu].targetGroupArn", i);
			return ecsfs_shape_fail(c, "required with advancedConfiguration");
		}
	}
	if (strcmp(strategy, "ROLLING") == 0)
		return 0;
	ecsfs_shape_path(c, "deploymentConfiguration.strategy");
	if (ctl && strcmp(ctl, "ECS") != 0)
		return ecsfs_shape_fail(c, "%s needs deploymentController ECS, not %s", strategy,
					ecsfs_shape_shown(c, ctl));
	if (json_array_size(lbs) == 0)
		return ecsfs_shape_fail(c, "%s needs a load balancer: loadBalancers is empty",
					strategy);
	json_array_foreach(lbs, i, lb)
		if (!json_object_get(lb, "advancedConfiguration")) {
			ecsfs_shape_path(c, "loadBalancers[%zu].advancedConfiguration", i);
			return ecsfs_shape_fail(c,
						"required by strategy %s (alternateTargetGroupArn, "
						"productionListenerRule)",
						strategy);
		}
	return 0;
}

/* ---- what the rules name in the store ---- */

static bool forwards_to(const json_t *rule, const char *tg)
{
	json_t *a = json_array_get(json_object_get(rule, "Actions"), 0), *t;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(a, "ForwardConfig"), "TargetGroups"), i,
			   t)
		if (ecsfs_targetgroup_same(str(t, "TargetGroupArn"), tg))
			return true;
	return false;
}

/* A rule of an existing load balancer must be one of its rules and forward
 * to the service's target groups; one of a load balancer not there yet is
 * taken (a GitOps apply writes clusters/ before loadbalancers/) and waited
 * for when it deploys. */
static int check_rule(ecsfs_store *s, const json_t *lb, size_t i, const char *key, ecsfs_err *err)
{
	const json_t *adv = json_object_get(lb, "advancedConfiguration");
	const char *arn = str(adv, key), *tg = str(lb, "targetGroupArn");
	const char *alt = str(adv, "alternateTargetGroupArn");
	char name[ECSFS_ELB_NAME_MAX + 1];
	json_t *rules = NULL, *rule, *found = NULL;
	size_t j;
	int r = 0;

	if (!arn || ecsfs__rule_lb_name(arn, name) < 0 ||
	    ecsfs_loadbalancer_rules(s, name, &rules, NULL) < 0)
		return 0;
	json_array_foreach(json_object_get(rules, "Rules"), j, rule)
		if (strcmp(str(rule, "RuleArn"), arn) == 0)
			found = rule;
	if (!found)
		r = ecsfs_err_set(
		    err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
		    "loadBalancers[%zu].advancedConfiguration.%s: %s is not a rule of "
		    "load balancer %s (see its rules.json)",
		    i, key, arn, name);
	else if (!forwards_to(found, tg) && !forwards_to(found, alt))
		r = ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				  "loadBalancers[%zu].advancedConfiguration.%s: the rule forwards "
				  "to neither %s nor %s",
				  i, key, tg, alt);
	json_decref(rules);
	return r;
}

int ecsfs__service_check_strategy_store(ecsfs_store *s, const json_t *spec, ecsfs_err *err)
{
	const json_t *lb;
	size_t i;
	int r;

	json_array_foreach(json_object_get(spec, "loadBalancers"), i, lb)
		if ((r = check_rule(s, lb, i, "productionListenerRule", err)) < 0 ||
		    (r = check_rule(s, lb, i, "testListenerRule", err)) < 0)
			return r;
	return 0;
}

/* ---- accessors for the engine ---- */

const char *ecsfs__service_strategy(json_t *state)
{
	json_t *dc = json_object_get(ecsfs__service_spec(state), "deploymentConfiguration");
	return str(dc, "strategy") ?: "ROLLING";
}

static long long int_or(const json_t *o, const char *key, long long dflt)
{
	json_t *v = json_object_get(o, key);
	return json_is_integer(v) ? (long long)json_integer_value(v) : dflt;
}

static double num_or(const json_t *o, const char *key, double dflt)
{
	json_t *v = json_object_get(o, key);
	return json_is_number(v) ? json_number_value(v) : dflt;
}

void ecsfs__service_strategy_conf(json_t *state, ecsfs__strategy_conf *out)
{
	json_t *dc = json_object_get(ecsfs__service_spec(state), "deploymentConfiguration");
	json_t *lin = json_object_get(dc, "linearConfiguration");
	json_t *can = json_object_get(dc, "canaryConfiguration");

	/* ECS's defaults: bake 0 here (ECS documents none for the deployment's
	 * own), a linear step of 10 % every 6 minutes, a canary of 5 % for 10 */
	out->bake_min = int_or(dc, "bakeTimeInMinutes", 0);
	out->step_tenths = (int)tenths_of(num_or(lin, "stepPercent", 10.0));
	out->step_bake_min = int_or(lin, "stepBakeTimeInMinutes", 6);
	out->canary_tenths = (int)tenths_of(num_or(can, "canaryPercent", 5.0));
	out->canary_bake_min = int_or(can, "canaryBakeTimeInMinutes", 10);
}

/* ---- the live controls ---- */

void ecsfs_services_set_bake_minute(ecsfs_services *sv, long ms)
{
	sv->bake_minute_ms = ms;
}

/* Can the primary go back: a strategy under way, or a rolling deployment
 * with another revision completed before it? */
static bool may_roll_back(json_t *state, json_t *p)
{
	json_t *st = json_object_get(p, "strategy"), *done = json_object_get(state, "completed");

	if (!p || strcmp(ecsfs__dstr(p, "rollout"), "IN_PROGRESS") != 0)
		return false;
	if (st)
		return !json_object_get(st, "rolledBack") &&
		       !json_is_true(json_object_get(st, "done"));
	return done && (strcmp(ecsfs__dstr(done, "family"), ecsfs__dstr(p, "family")) != 0 ||
			json_integer_value(json_object_get(done, "revision")) !=
			    json_integer_value(json_object_get(p, "revision")));
}

int ecsfs_service_rollback(ecsfs_services *sv, const char *cluster, const char *name,
			   ecsfs_err *err)
{
	int r;
	json_t *state = ecsfs__service_load_active(sv->store, cluster, name, err, &r), *p;

	if (!state)
		return r;
	p = ecsfs__service_primary(state);
	if (!may_roll_back(state, p))
		r = ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				  "rollback: service %s has no deployment in progress to roll back",
				  name);
	else {
		json_object_set(state, "rollbackAsked", json_object_get(p, "id"));
		if ((r = ecsfs__service_save(sv->store, cluster, name, state)) < 0)
			r = ecsfs__service_store_fault(sv->store, r, "roll back", name, err);
		else {
			ecsfs__service_event(sv->store, cluster, name,
					     "(deployment %s) a rollback was asked for.",
					     ecsfs__dstr(p, "id"));
			ecsfs__service_changed(sv, cluster, name);
			ecsfs_services_touch(sv, cluster, name);
		}
	}
	json_decref(state);
	return r;
}

/* "web 90% web-green 10%" of a split's target groups. */
static void split_line(const json_t *tgs, ecsfs_buf *out)
{
	json_int_t sum = 0;
	json_t *t;
	size_t i;

	json_array_foreach(tgs, i, t)
		sum += json_integer_value(json_object_get(t, "Weight"));
	json_array_foreach(tgs, i, t) {
		json_int_t w = json_integer_value(json_object_get(t, "Weight"));
		long long tenths = sum ? (long long)(w * 1000 / sum) : 0;
		char name[ECSFS_ELB_NAME_MAX + 1];
		const char *ref = str(t, "TargetGroupArn");
		if (ecsfs_targetgroup_ref_name(ref, name, NULL) < 0)
			snprintf(name, sizeof(name), "%s", ref ?: "?");
		ecsfs_buf_addf(out, "%s%s %lld", i ? " " : "", name, tenths / 10);
		if (tenths % 10)
			ecsfs_buf_addf(out, ".%lld", tenths % 10);
		ecsfs_buf_addch(out, '%');
	}
}

static void traffic_lines(json_t *state, ecsfs_buf *out)
{
	json_t *traffic = json_object_get(state, "traffic"), *lb;
	size_t i;

	json_array_foreach(json_object_get(ecsfs__service_spec(state), "loadBalancers"), i, lb) {
		json_t *adv = json_object_get(lb, "advancedConfiguration");
		const char *prod = str(adv, "productionListenerRule"),
			   *test = str(adv, "testListenerRule");
		if (prod && json_object_get(traffic, prod)) {
			ecsfs_buf_adds(out, "production: ");
			split_line(json_object_get(traffic, prod), out);
			ecsfs_buf_addch(out, '\n');
		}
		if (test && json_object_get(traffic, test)) {
			ecsfs_buf_adds(out, "test: ");
			split_line(json_object_get(traffic, test), out);
			ecsfs_buf_addch(out, '\n');
		}
	}
}

static void hook_lines(json_t *st, ecsfs_buf *out)
{
	json_t *runs, *run;
	const char *stage;
	size_t i;

	json_object_foreach(json_object_get(st, "hooks"), stage, runs)
		json_array_foreach(runs, i, run)
			ecsfs_buf_addf(out, "hook: %s %s %s%s%s\n", stage, str(run, "target"),
				       str(run, "status"), str(run, "task") ? " task " : "",
				       str(run, "task") ?: "");
}

int ecsfs_service_deployment_text(ecsfs_services *sv, const char *cluster, const char *name,
				  ecsfs_buf *out)
{
	json_t *state = ecsfs__service_load(sv->store, cluster, name), *p, *st, *until;
	int64_t now = ecsfs_now_ns();

	if (!state)
		return -ENOENT;
	p = ecsfs__service_primary(state);
	st = json_object_get(p, "strategy");
	until = json_object_get(st, "until");
	ecsfs_buf_addf(out, "deployment: %s\n", p ? ecsfs__dstr(p, "id") : "-");
	if (p)
		ecsfs_buf_addf(out, "task_definition: %s:%lld\n", ecsfs__dstr(p, "family"),
			       (long long)json_integer_value(json_object_get(p, "revision")));
	ecsfs_buf_addf(out, "strategy: %s\n", ecsfs__service_strategy(state));
	ecsfs_buf_addf(out, "rollout: %s\n", p ? ecsfs__dstr(p, "rollout") : "-");
	ecsfs_buf_addf(out, "stage: %s\n",
		       json_is_true(json_object_get(st, "done")) ? "CLEAN_UP"
		       : st					 ? str(st, "stage")
								 : "-");
	traffic_lines(state, out);
	if (until && !json_object_get(st, "rolledBack") &&
	    !json_is_true(json_object_get(st, "done")))
		ecsfs_buf_addf(
		    out, "bake_left_s: %lld\n",
		    (long long)(json_integer_value(until) > now
				    ? (json_integer_value(until) - now + 999999999) / 1000000000
				    : 0));
	hook_lines(st, out);
	if (p && json_object_get(p, "reason"))
		ecsfs_buf_addf(out, "reason: %s\n", ecsfs__dstr(p, "reason"));
	json_decref(state);
	return 0;
}
