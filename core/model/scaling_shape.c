/*
 * ecsfs — the scaling document's fields as shape tables:
 * RegisterScalableTarget's input, PutScalingPolicy's (target tracking and
 * step scaling) and PutScheduledAction's, with the rules between fields
 * as hooks.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "ecsfs/targetgroup.h"
#include "ecsfs/util.h"

#include "scaling_private.h"

int ecsfs__scaling_time(const json_t *v, int64_t *ms)
{
	return ecsfs_json_time_ms(v, 0, ms);
}

int ecsfs__scaling_label(const char *label, char lb[33], char tg[33], ecsfs_buf *why)
{
	char lb_id[17], tg_id[17], want[17], end;
	ecsfs_buf e = ECSFS_BUF_INIT;

	if (sscanf(label, "app/%32[^/]/%16[0-9a-f]/targetgroup/%32[^/]/%16[0-9a-f]%c", lb, lb_id,
		   tg, tg_id, &end) != 4) {
		ecsfs_buf_setf(why,
			       "'%.200s' is not app/<load-balancer>/<id>/targetgroup/"
			       "<target-group>/<id>",
			       label);
		return -EINVAL;
	}
	if (ecsfs_elb_name_rule(lb, "load balancer", &e) < 0 ||
	    ecsfs_elb_name_rule(tg, "target group", &e) < 0) {
		ecsfs_buf_setf(why, "%s", e.data);
		ecsfs_buf_release(&e);
		return -EINVAL;
	}
	ecsfs_elb_id("app", lb, want);
	if (strcmp(want, lb_id) != 0) {
		ecsfs_buf_setf(why, "the id of load balancer %s is %s, not %s", lb, want, lb_id);
		return -EINVAL;
	}
	ecsfs_elb_id("targetgroup", tg, want);
	if (strcmp(want, tg_id) != 0) {
		ecsfs_buf_setf(why, "the id of target group %s is %s, not %s", tg, want, tg_id);
		return -EINVAL;
	}
	return 0;
}

/* ---- hooks ---- */

static int resource_label(ecsfs_shape_ctx *c, const json_t *v)
{
	char lb[33], tg[33];
	ecsfs_buf why = ECSFS_BUF_INIT;
	int r = ecsfs__scaling_label(json_string_value(v), lb, tg, &why);

	if (r < 0)
		ecsfs_shape_fail(c, "%s", why.data);
	ecsfs_buf_release(&why);
	return r;
}

static int resource_id(ecsfs_shape_ctx *c, const json_t *v)
{
	const ecsfs__scaling_names *n = c->user;
	ecsfs_buf want = ECSFS_BUF_INIT;
	int r = 0;

	ecsfs__scaling_resource(n->cluster, n->service, &want);
	if (strcmp(json_string_value(v), want.data) != 0)
		r = ecsfs_shape_fail(c,
				     "'%s' is not this file's service (%s); leave it out or "
				     "write that",
				     ecsfs_shape_shown(c, json_string_value(v)), want.data);
	ecsfs_buf_release(&want);
	return r;
}

static int positive(ecsfs_shape_ctx *c, const json_t *v)
{
	if (!(json_number_value(v) > 0) || !isfinite(json_number_value(v)))
		return ecsfs_shape_fail(c, "%g must be above 0", json_number_value(v));
	return 0;
}

static int a_time(ecsfs_shape_ctx *c, const json_t *v)
{
	int64_t ms;

	if (ecsfs__scaling_time(v, &ms) < 0)
		return ecsfs_shape_fail(c, "must be a time such as \"2026-12-01T10:00:00Z\" (or "
					   "seconds since 1970), before 2200");
	return 0;
}

static int custom_metric(ecsfs_shape_ctx *c, const json_t *v)
{
	return ecsfs_shape_fail(c, "CloudWatch metrics are not available here; use "
				   "PredefinedMetricSpecification");
}

/* "MinCapacity: 5 is above MaxCapacity 2" */
static int min_max(ecsfs_shape_ctx *c, const json_t *o)
{
	const json_t *lo = json_object_get(o, "MinCapacity"),
		     *hi = json_object_get(o, "MaxCapacity");
	size_t mark;

	if (!lo || !hi || json_integer_value(lo) <= json_integer_value(hi))
		return 0;
	mark = ecsfs_shape_key(c, "MinCapacity");
	ecsfs_shape_fail(c, "%lld is above MaxCapacity %lld", (long long)json_integer_value(lo),
			 (long long)json_integer_value(hi));
	ecsfs_shape_pop(c, mark);
	return -EINVAL;
}

static int predefined(ecsfs_shape_ctx *c, const json_t *o)
{
	const char *type = json_string_value(json_object_get(o, "PredefinedMetricType"));

	if (type && strcmp(type, "ALBRequestCountPerTarget") == 0 &&
	    !json_object_get(o, "ResourceLabel"))
		return ecsfs_shape_fail(c, "ALBRequestCountPerTarget needs a ResourceLabel "
					   "naming the load balancer and target group");
	return 0;
}

static int target_tracking(ecsfs_shape_ctx *c, const json_t *o)
{
	if (!json_object_get(o, "PredefinedMetricSpecification"))
		return ecsfs_shape_fail(c, "PredefinedMetricSpecification is required");
	return 0;
}

/* PolicyType (StepScaling when left out, as the API has it) and its
 * configuration go together. */
static int policy(ecsfs_shape_ctx *c, const json_t *o)
{
	const char *type = json_string_value(json_object_get(o, "PolicyType"));
	bool tt = type && strcmp(type, "TargetTrackingScaling") == 0;
	const char *want = tt ? "TargetTrackingScalingPolicyConfiguration"
			      : "StepScalingPolicyConfiguration",
		   *other = tt ? "StepScalingPolicyConfiguration"
			       : "TargetTrackingScalingPolicyConfiguration";

	if (json_object_get(o, other))
		return ecsfs_shape_fail(c, "%s does not go with PolicyType %s", other,
					tt ? "TargetTrackingScaling" : "StepScaling");
	if (!json_object_get(o, want))
		return ecsfs_shape_fail(c, "PolicyType %s needs %s",
					tt ? "TargetTrackingScaling" : "StepScaling", want);
	return 0;
}

static int action(ecsfs_shape_ctx *c, const json_t *o)
{
	const json_t *start = json_object_get(o, "StartTime"), *end = json_object_get(o, "EndTime");
	int64_t s = 0, e = 0;

	if (!json_object_get(o, "ScalableTargetAction"))
		return ecsfs_shape_fail(c, "ScalableTargetAction is required");
	if (start && end && ecsfs__scaling_time(start, &s) == 0 &&
	    ecsfs__scaling_time(end, &e) == 0 && e <= s) {
		size_t mark = ecsfs_shape_key(c, "EndTime");
		ecsfs_shape_fail(c, "must be after StartTime");
		ecsfs_shape_pop(c, mark);
		return -EINVAL;
	}
	return 0;
}

/* Names of policies (or actions) are unique in a document. */
static int unique(ecsfs_shape_ctx *c, const json_t *arr, const char *key)
{
	size_t i, j;
	json_t *a, *b;

	json_array_foreach(arr, i, a)
		for (j = 0; j < i; j++) {
			b = json_array_get(arr, j);
			const char *x = json_string_value(json_object_get(a, key)),
				   *y = json_string_value(json_object_get(b, key));
			if (x && y && strcmp(x, y) == 0) {
				ecsfs_shape_path(c, "%s[%zu].%s",
						 strcmp(key, "PolicyName") == 0
						     ? "ScalingPolicies"
						     : "ScheduledActions",
						 i, key);
				return ecsfs_shape_fail(c, "'%s' is used twice",
							ecsfs_shape_shown(c, x));
			}
		}
	return 0;
}

static int whole(ecsfs_shape_ctx *c, const json_t *o)
{
	int r;

	if ((r = min_max(c, o)) < 0 ||
	    (r = unique(c, json_object_get(o, "ScalingPolicies"), "PolicyName")) < 0)
		return r;
	if (!json_object_get(o, "MinCapacity") || !json_object_get(o, "MaxCapacity"))
		return ecsfs_shape_fail(c, "MinCapacity and MaxCapacity are required");
	return unique(c, json_object_get(o, "ScheduledActions"), "ScheduledActionName");
}

/* ---- the tables ---- */

static const char *const namespaces[] = {"ecs", NULL};
static const char *const dimensions[] = {"ecs:service:DesiredCount", NULL};
static const char *const policy_types[] = {"TargetTrackingScaling", "StepScaling", NULL};
static const char *const metric_types[] = {"ECSServiceAverageCPUUtilization",
					   "ECSServiceAverageMemoryUtilization",
					   "ALBRequestCountPerTarget", NULL};
static const char *const adjustment_types[] = {"ChangeInCapacity", "PercentChangeInCapacity",
					       "ExactCapacity", NULL};
static const char *const aggregations[] = {"Average", "Minimum", "Maximum", NULL};
static const char *const alarm_metrics[] = {"CPUUtilization", "MemoryUtilization", NULL};
static const char *const comparisons[] = {"GreaterThanOrEqualToThreshold", "GreaterThanThreshold",
					  "LessThanThreshold", "LessThanOrEqualToThreshold", NULL};

#define RESOURCE_FIELDS                                                              \
	ECSFS_STR_OF("ServiceNamespace", 0, namespaces),                             \
	    {.name = "ResourceId", .type = ECSFS_JSON_STRING, .check = resource_id}, \
	    ECSFS_STR_OF("ScalableDimension", 0, dimensions)
#define COOLDOWN(n) ECSFS_INT(n, 0, 0, ECSFS_I32_MAX)

static const ecsfs_field suspended_fields[] = {
    ECSFS_BOOL("DynamicScalingInSuspended", 0),
    ECSFS_BOOL("DynamicScalingOutSuspended", 0),
    ECSFS_BOOL("ScheduledScalingSuspended", 0),
};
static const ecsfs_shape suspended_shape = ECSFS_SHAPE(suspended_fields);

static const ecsfs_field predefined_fields[] = {
    ECSFS_STR_OF("PredefinedMetricType", ECSFS_F_REQUIRED, metric_types),
    {.name = "ResourceLabel",
     .type = ECSFS_JSON_STRING,
     .flags = ECSFS_F_NONEMPTY,
     .max = 1023,
     .check = resource_label},
};
static const ecsfs_shape predefined_shape = ECSFS_SHAPE_HOOK(predefined_fields, predefined);
static const ecsfs_field tt_fields[] = {
    {.name = "TargetValue",
     .type = ECSFS_JSON_NUMBER,
     .flags = ECSFS_F_REQUIRED,
     .check = positive},
    ECSFS_OBJ("PredefinedMetricSpecification", 0, predefined_shape),
    {.name = "CustomizedMetricSpecification", .type = ECSFS_JSON_OBJECT, .check = custom_metric},
    COOLDOWN("ScaleOutCooldown"),
    COOLDOWN("ScaleInCooldown"),
    ECSFS_BOOL("DisableScaleIn", 0),
};
static const ecsfs_shape tt_shape = ECSFS_SHAPE_HOOK(tt_fields, target_tracking);

static const ecsfs_field step_adj_fields[] = {
    {.name = "MetricIntervalLowerBound", .type = ECSFS_JSON_NUMBER},
    {.name = "MetricIntervalUpperBound", .type = ECSFS_JSON_NUMBER},
    ECSFS_INT("ScalingAdjustment", ECSFS_F_REQUIRED, -1000000, 1000000),
};
static const ecsfs_shape step_adj_shape = ECSFS_SHAPE(step_adj_fields);
static const ecsfs_field step_fields[] = {
    ECSFS_STR_OF("AdjustmentType", ECSFS_F_REQUIRED, adjustment_types),
    {.name = "StepAdjustments",
     .type = ECSFS_JSON_ARRAY,
     .flags = ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY,
     .of = ECSFS_ITEM(.type = ECSFS_JSON_OBJECT, .shape = &step_adj_shape),
     .max = 20},
    ECSFS_INT("MinAdjustmentMagnitude", 0, 0, 1000000),
    COOLDOWN("Cooldown"),
    ECSFS_STR_OF("MetricAggregationType", ECSFS_F_KEPT, aggregations),
};
static const ecsfs_shape step_shape = ECSFS_SHAPE(step_fields);
/* What would be the CloudWatch alarm of a step policy (PutMetricAlarm's
 * fields): here the policy's own, since there is no CloudWatch. */
static const ecsfs_field alarm_fields[] = {
    ECSFS_STR_OF("MetricName", ECSFS_F_REQUIRED, alarm_metrics),
    ECSFS_STR_OF("ComparisonOperator", ECSFS_F_REQUIRED, comparisons),
    {.name = "Threshold", .type = ECSFS_JSON_NUMBER, .flags = ECSFS_F_REQUIRED},
    ECSFS_INT("EvaluationPeriods", 0, 1, 100),
};
static const ecsfs_shape alarm_shape = ECSFS_SHAPE(alarm_fields);

static const ecsfs_field policy_fields[] = {
    {.name = "PolicyName",
     .type = ECSFS_JSON_STRING,
     .flags = ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY,
     .max = 256},
    RESOURCE_FIELDS,
    ECSFS_STR_OF("PolicyType", 0, policy_types),
    ECSFS_OBJ("TargetTrackingScalingPolicyConfiguration", 0, tt_shape),
    ECSFS_OBJ("StepScalingPolicyConfiguration", 0, step_shape),
    ECSFS_OBJ("Alarm", 0, alarm_shape),
    ECSFS_IGNORE("PolicyARN"),
    ECSFS_IGNORE("CreationTime"),
    ECSFS_IGNORE("Alarms"),
};
const ecsfs_shape ecsfs__policy_shape = ECSFS_SHAPE_HOOK(policy_fields, policy);

static const ecsfs_field target_action_fields[] = {
    ECSFS_INT("MinCapacity", 0, 0, ECSFS_SERVICE_DESIRED_MAX),
    ECSFS_INT("MaxCapacity", 0, 0, ECSFS_SERVICE_DESIRED_MAX),
};
static const ecsfs_shape target_action_shape = ECSFS_SHAPE_HOOK(target_action_fields, min_max);
static const ecsfs_field action_fields[] = {
    {.name = "ScheduledActionName",
     .type = ECSFS_JSON_STRING,
     .flags = ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY,
     .max = 256},
    RESOURCE_FIELDS,
    {.name = "Schedule",
     .type = ECSFS_JSON_STRING,
     .flags = ECSFS_F_REQUIRED,
     .max = 1600,
     .check = ecsfs_cron_shape_expression},
    {.name = "Timezone", .type = ECSFS_JSON_STRING, .max = 1600, .check = ecsfs_cron_shape_zone},
    {.name = "StartTime", .type = ECSFS_JSON_STRING | ECSFS_JSON_NUMBER, .check = a_time},
    {.name = "EndTime", .type = ECSFS_JSON_STRING | ECSFS_JSON_NUMBER, .check = a_time},
    ECSFS_OBJ("ScalableTargetAction", 0, target_action_shape),
    ECSFS_IGNORE("ScheduledActionARN"),
    ECSFS_IGNORE("CreationTime"),
};
const ecsfs_shape ecsfs__action_shape = ECSFS_SHAPE_HOOK(action_fields, action);

static const ecsfs_field scaling_fields[] = {
    RESOURCE_FIELDS,
    ECSFS_INT("MinCapacity", 0, 0, ECSFS_SERVICE_DESIRED_MAX),
    ECSFS_INT("MaxCapacity", 0, 0, ECSFS_SERVICE_DESIRED_MAX),
    ECSFS_STR("RoleARN", ECSFS_F_KEPT),
    ECSFS_OBJ("SuspendedState", 0, suspended_shape),
    ECSFS_MAP("Tags", ECSFS_F_KEPT, &ecsfs_item_string),
    ECSFS_OBJS("ScalingPolicies", 0, ecsfs__policy_shape, ECSFS_SCALING_POLICIES_MAX),
    ECSFS_OBJS("ScheduledActions", 0, ecsfs__action_shape, ECSFS_SCALING_ACTIONS_MAX),
    ECSFS_IGNORE("ScalableTargetARN"),
    ECSFS_IGNORE("CreationTime"),
};
const ecsfs_shape ecsfs__scaling_shape = ECSFS_SHAPE_HOOK(scaling_fields, whole);

int ecsfs_scaling_check(const char *cluster, const char *service, const json_t *doc, ecsfs_err *err)
{
	ecsfs__scaling_names n = {cluster, service};
	ecsfs_buf why = ECSFS_BUF_INIT;
	int r;

	if ((r = ecsfs_name_check(service, "service", &why)) < 0)
		ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, r, "%s", why.data);
	ecsfs_buf_release(&why);
	if (r < 0)
		return r;
	return ecsfs_shape_check(&ecsfs__scaling_shape, doc, &n, err);
}
