/*
 * The schedule document: EventBridge Scheduler's CreateSchedule input as
 * shape tables, the rules between its fields, and its reading into what
 * the engine needs (the expression, the zone, the dates, the RunTask
 * request of a fire).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/arn.h"
#include "ecsfs/placement.h"
#include "ecsfs/shape.h"
#include "ecsfs/util.h"
#include "model/schedule_private.h"

typedef struct names {
	const char *cluster, *name;
} names;

/* [0-9A-Za-z-_.]{1,64}: schedule and group names. */
static int sched_name_rule(const char *s, const char *what, ecsfs_buf *why)
{
	size_t n = strlen(s);

	if (n == 0 || n > ECSFS_SCHEDULE_NAME_MAX ||
	    strspn(s, "0123456789abcdefghijklmnopqrstuvwxyz"
		      "ABCDEFGHIJKLMNOPQRSTUVWXYZ-_.") != n) {
		ecsfs_buf_setf(why, "%s name '%.80s' must be 1 to 64 of 0-9 A-Z a-z - _ .", what,
			       s);
		return -EINVAL;
	}
	return 0;
}

int ecsfs__sched_date(const json_t *v, int64_t *ms)
{
	return ecsfs_json_time_ms(v, ECSFS_TIME_NO_ZONE, ms);
}

/* ---- hooks ---- */

static int date(ecsfs_shape_ctx *c, const json_t *v)
{
	int64_t ms;

	if (ecsfs__sched_date(v, &ms) < 0)
		return ecsfs_shape_fail(c, "must be a time such as \"2026-12-01T10:00:00Z\" (or "
					   "seconds since 1970), before 2200");
	return 0;
}

/* Target.Arn: this cluster's ARN (the file's directory names the cluster). */
static int target_arn(ecsfs_shape_ctx *c, const json_t *v)
{
	const names *n = c->user;
	ecsfs_buf want = ECSFS_BUF_INIT;
	int r = 0;

	ecsfs_arn(&want, "ecs", "cluster/%s", n->cluster);
	if (strcmp(json_string_value(v), want.data) != 0)
		r = ecsfs_shape_fail(c,
				     "'%s' is not this cluster's ARN (%s); leave it out or "
				     "write that",
				     ecsfs_shape_shown(c, json_string_value(v)), want.data);
	ecsfs_buf_release(&want);
	return r;
}

static int not_here(ecsfs_shape_ctx *c, const json_t *v)
{
	return ecsfs_shape_fail(c, "a schedule here runs ECS tasks of its cluster: only "
				   "EcsParameters is supported");
}

static const ecsfs_field env_fields[] = {ECSFS_STR("name", 0), ECSFS_STR("value", 0)};
static const ecsfs_shape env_shape = ECSFS_SHAPE(env_fields);
static const ecsfs_field typed_fields[] = {ECSFS_STR("value", ECSFS_F_REQUIRED),
					   ECSFS_STR("type", ECSFS_F_REQUIRED)};
static const ecsfs_shape typed_shape = ECSFS_SHAPE(typed_fields);
static const ecsfs_field container_override_fields[] = {
    ECSFS_STR("name", ECSFS_F_REQUIRED),
    ECSFS_STRS("command", 0),
    ECSFS_OBJS("environment", 0, env_shape, 0),
    ECSFS_OBJS("environmentFiles", 0, typed_shape, 0),
    ECSFS_INT("cpu", 0, 0, ECSFS_I32_MAX),
    ECSFS_INT("memory", 0, 0, ECSFS_I32_MAX),
    ECSFS_INT("memoryReservation", 0, 0, ECSFS_I32_MAX),
    ECSFS_OBJS("resourceRequirements", 0, typed_shape, 0),
};
static const ecsfs_shape container_override_shape = ECSFS_SHAPE(container_override_fields);
static const ecsfs_field storage_fields[] = {ECSFS_INT("sizeInGiB", ECSFS_F_REQUIRED, 20, 200)};
static const ecsfs_shape storage_shape = ECSFS_SHAPE(storage_fields);
/* RunTask's TaskOverride, what an ECS target's Input is */
static const ecsfs_field override_fields[] = {
    ECSFS_OBJS("containerOverrides", 0, container_override_shape, 0),
    ECSFS_STR("cpu", 0),
    ECSFS_STR("memory", 0),
    ECSFS_STR("taskRoleArn", 0),
    ECSFS_STR("executionRoleArn", 0),
    ECSFS_OBJ("ephemeralStorage", 0, storage_shape),
    ECSFS_ARR("inferenceAcceleratorOverrides", ECSFS_F_KEPT, NULL, 0),
};
static const ecsfs_shape override_shape = ECSFS_SHAPE(override_fields);

static int input(ecsfs_shape_ctx *c, const json_t *v)
{
	const char *s = json_string_value(v);
	ecsfs_err e = ECSFS_ERR_INIT;
	json_t *doc = NULL;
	int r = ecsfs_err_from(&e, ECSFS_E_INVALID_PARAMETER,
			       ecsfs_json_parse_object(s, strlen(s), &doc, &e.msg));

	if (r == 0)
		r = ecsfs_shape_check(&override_shape, doc, NULL, &e);
	if (r < 0)
		ecsfs_shape_fail(c, "not a RunTask overrides document: %s", e.msg.data);
	json_decref(doc);
	ecsfs_err_release(&e);
	return r;
}

static int window(ecsfs_shape_ctx *c, const json_t *v)
{
	bool flexible = !strcmp(json_string_value(json_object_get(v, "Mode")), "FLEXIBLE");

	if (flexible && !json_object_get(v, "MaximumWindowInMinutes"))
		return ecsfs_shape_fail(c, "Mode FLEXIBLE needs MaximumWindowInMinutes");
	if (!flexible && json_object_get(v, "MaximumWindowInMinutes"))
		return ecsfs_shape_fail(c, "MaximumWindowInMinutes is for Mode FLEXIBLE only");
	return 0;
}

/* The rules between top-level fields: names agree, dates in order. */
static int whole(ecsfs_shape_ctx *c, const json_t *doc)
{
	const names *n = c->user;
	const char *name = json_string_value(json_object_get(doc, "Name"));
	const json_t *start = json_object_get(doc, "StartDate"),
		     *end = json_object_get(doc, "EndDate");
	int64_t s = 0, e = 0;

	if (name && strcmp(name, n->name) != 0) {
		ecsfs_shape_path(c, "Name");
		return ecsfs_shape_fail(c, "'%s' is not this file's name %s",
					ecsfs_shape_shown(c, name), n->name);
	}
	if (start && end && ecsfs__sched_date(start, &s) == 0 && ecsfs__sched_date(end, &e) == 0 &&
	    e <= s) {
		ecsfs_shape_path(c, "EndDate");
		return ecsfs_shape_fail(c, "must be after StartDate");
	}
	return 0;
}

/* ---- the tables ---- */

static const char *const launch_types[] = {"EC2", "FARGATE", "EXTERNAL", NULL};
static const char *const on_off[] = {"ENABLED", "DISABLED", NULL};
static const char *const modes[] = {"OFF", "FLEXIBLE", NULL};
static const char *const after[] = {"NONE", "DELETE", NULL};
static const char *const propagate[] = {"TASK_DEFINITION", NULL};
static const char *const constraint_types[] = {"distinctInstance", "memberOf", NULL};
static const char *const strategy_types[] = {"random", "spread", "binpack", NULL};

static const ecsfs_field cp_fields[] = {
    ECSFS_STR("capacityProvider", ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY),
    ECSFS_INT("base", 0, 0, 100000),
    ECSFS_INT("weight", 0, 0, 1000),
};
static const ecsfs_shape cp_shape = ECSFS_SHAPE(cp_fields);
static const ecsfs_field awsvpc_fields[] = {
    ECSFS_ARR("Subnets", ECSFS_F_REQUIRED, &ecsfs_item_string, 16),
    ECSFS_ARR("SecurityGroups", 0, &ecsfs_item_string, 5),
    ECSFS_STR_OF("AssignPublicIp", 0, on_off),
};
static const ecsfs_shape awsvpc_shape = ECSFS_SHAPE(awsvpc_fields);
static const ecsfs_field net_fields[] = {ECSFS_OBJ("awsvpcConfiguration", 0, awsvpc_shape)};
static const ecsfs_shape net_shape = ECSFS_SHAPE(net_fields);
static const ecsfs_field pc_fields[] = {
    {.name = "expression", .type = ECSFS_JSON_STRING, .max = 2000},
    ECSFS_STR_OF("type", 0, constraint_types),
};
static const ecsfs_shape pc_shape = ECSFS_SHAPE_HOOK(pc_fields, ecsfs_place_constraint_rules);
static const ecsfs_field ps_fields[] = {
    {.name = "field", .type = ECSFS_JSON_STRING, .max = 255},
    ECSFS_STR_OF("type", 0, strategy_types),
};
static const ecsfs_shape ps_shape = ECSFS_SHAPE_HOOK(ps_fields, ecsfs_place_strategy_rules);

static const ecsfs_field ecs_fields[] = {
    {.name = "TaskDefinitionArn",
     .type = ECSFS_JSON_STRING,
     .flags = ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY,
     .max = 1600},
    ECSFS_INT("TaskCount", 0, 1, ECSFS_RUN_MAX_COUNT),
    ECSFS_STR_OF("LaunchType", ECSFS_F_KEPT, launch_types),
    ECSFS_OBJS("CapacityProviderStrategy", ECSFS_F_KEPT, cp_shape, 6),
    ECSFS_OBJ("NetworkConfiguration", ECSFS_F_KEPT, net_shape),
    {.name = "Group", .type = ECSFS_JSON_STRING, .flags = ECSFS_F_NONEMPTY, .max = 255},
    ECSFS_ARR("Tags", ECSFS_F_KEPT, ECSFS_ITEM(.type = ECSFS_JSON_MAP, .of = &ecsfs_item_string),
	      50),
    ECSFS_STR_OF("PropagateTags", ECSFS_F_KEPT, propagate),
    {.name = "ReferenceId", .type = ECSFS_JSON_STRING, .flags = ECSFS_F_KEPT, .max = 1024},
    ECSFS_OBJS("PlacementConstraints", ECSFS_F_KEPT, pc_shape, 10),
    ECSFS_OBJS("PlacementStrategy", ECSFS_F_KEPT, ps_shape, 5),
    ECSFS_STR("PlatformVersion", ECSFS_F_KEPT),
    ECSFS_BOOL("EnableECSManagedTags", ECSFS_F_KEPT),
    ECSFS_BOOL("EnableExecuteCommand", ECSFS_F_KEPT),
};
static const ecsfs_shape ecs_shape = ECSFS_SHAPE(ecs_fields);
static const ecsfs_field retry_fields[] = {
    ECSFS_INT("MaximumEventAgeInSeconds", 0, 60, 86400),
    ECSFS_INT("MaximumRetryAttempts", 0, 0, 185),
};
static const ecsfs_shape retry_shape = ECSFS_SHAPE(retry_fields);
static const ecsfs_field dlq_fields[] = {ECSFS_STR("Arn", ECSFS_F_KEPT)};
static const ecsfs_shape dlq_shape = ECSFS_SHAPE(dlq_fields);

static const ecsfs_field target_fields[] = {
    {.name = "Arn", .type = ECSFS_JSON_STRING, .check = target_arn},
    ECSFS_STR("RoleArn", ECSFS_F_KEPT),
    ECSFS_OBJ("EcsParameters", ECSFS_F_REQUIRED, ecs_shape),
    {.name = "Input", .type = ECSFS_JSON_STRING, .check = input},
    ECSFS_OBJ("RetryPolicy", 0, retry_shape),
    ECSFS_OBJ("DeadLetterConfig", ECSFS_F_KEPT, dlq_shape),
    {.name = "SqsParameters", .type = ECSFS_JSON_ANY, .check = not_here},
    {.name = "KinesisParameters", .type = ECSFS_JSON_ANY, .check = not_here},
    {.name = "EventBridgeParameters", .type = ECSFS_JSON_ANY, .check = not_here},
    {.name = "SageMakerPipelineParameters", .type = ECSFS_JSON_ANY, .check = not_here},
};
static const ecsfs_shape target_shape = ECSFS_SHAPE(target_fields);
static const ecsfs_field window_fields[] = {
    ECSFS_STR_OF("Mode", ECSFS_F_REQUIRED, modes),
    ECSFS_INT("MaximumWindowInMinutes", 0, 1, 1440),
};
static const ecsfs_shape window_shape = ECSFS_SHAPE_HOOK(window_fields, window);

static const ecsfs_field schedule_fields[] = {
    {.name = "Name", .type = ECSFS_JSON_STRING, .rule = sched_name_rule, .what = "schedule"},
    {.name = "GroupName", .type = ECSFS_JSON_STRING, .rule = sched_name_rule, .what = "group"},
    {.name = "ScheduleExpression",
     .type = ECSFS_JSON_STRING,
     .flags = ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY,
     .check = ecsfs_cron_shape_expression},
    {.name = "ScheduleExpressionTimezone",
     .type = ECSFS_JSON_STRING,
     .flags = ECSFS_F_NONEMPTY,
     .max = 50,
     .check = ecsfs_cron_shape_zone},
    {.name = "StartDate", .type = ECSFS_JSON_STRING | ECSFS_JSON_NUMBER, .check = date},
    {.name = "EndDate", .type = ECSFS_JSON_STRING | ECSFS_JSON_NUMBER, .check = date},
    ECSFS_STR_OF("State", 0, on_off),
    {.name = "Description", .type = ECSFS_JSON_STRING, .max = 512},
    ECSFS_OBJ("FlexibleTimeWindow", 0, window_shape),
    ECSFS_OBJ("Target", ECSFS_F_REQUIRED, target_shape),
    ECSFS_STR_OF("ActionAfterCompletion", 0, after),
    ECSFS_STR("KmsKeyArn", ECSFS_F_KEPT),
    ECSFS_STR("ClientToken", ECSFS_F_KEPT),
    ECSFS_IGNORE("Arn"),
    ECSFS_IGNORE("CreationDate"),
    ECSFS_IGNORE("LastModificationDate"),
};
static const ecsfs_shape schedule_shape = ECSFS_SHAPE_HOOK(schedule_fields, whole);

int ecsfs_schedule_check(const char *cluster, const char *name, const json_t *doc, ecsfs_err *err)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	names n = {cluster, name};
	int r = sched_name_rule(name, "schedule", &why);

	if (r < 0)
		ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, r, "%s", why.data);
	ecsfs_buf_release(&why);
	if (r < 0)
		return r;
	return ecsfs_shape_check(&schedule_shape, doc, &n, err);
}

/* ---- reading a checked document ---- */

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int64_t num(const json_t *o, const char *key, int64_t dflt)
{
	const json_t *v = json_object_get(o, key);
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

/* PascalCase keys of nested objects to RunTask's camelCase (Subnets -> subnets). */
static json_t *camel(const json_t *v)
{
	const char *key;
	json_t *val, *out;

	if (json_is_array(v)) {
		out = json_array();
		for (size_t i = 0; i < json_array_size(v); i++)
			json_array_append_new(out, camel(json_array_get(v, i)));
		return out;
	}
	if (!json_is_object(v))
		return json_deep_copy(v);
	out = json_object();
	json_object_foreach((json_t *)v, key, val) {
		char k[256];
		snprintf(k, sizeof(k), "%s", key);
		if (k[0] >= 'A' && k[0] <= 'Z')
			k[0] = (char)(k[0] - 'A' + 'a');
		json_object_set_new(out, k, camel(val));
	}
	return out;
}

/* Scheduler's Tags are [{"k": "v"}]; RunTask's [{"key": "k", "value": "v"}]. */
static json_t *run_tags(const json_t *tags)
{
	json_t *out = json_array(), *v;
	const char *k;

	for (size_t i = 0; i < json_array_size(tags); i++)
		json_object_foreach(json_array_get(tags, i), k, v)
			json_array_append_new(out, json_pack("{s:s, s:O}", "key", k, "value", v));
	return out;
}

/* The RunTask request of a fire: EcsParameters in RunTask's names, Input as
 * its overrides, the group naming the schedule unless one is given. */
static json_t *run_request(const char *name, const json_t *target)
{
	static const char *const kept[][2] = {
	    {"LaunchType", "launchType"},
	    {"CapacityProviderStrategy", "capacityProviderStrategy"},
	    {"NetworkConfiguration", "networkConfiguration"},
	    {"PlacementConstraints", "placementConstraints"},
	    {"PlacementStrategy", "placementStrategy"},
	    {"PlatformVersion", "platformVersion"},
	    {"PropagateTags", "propagateTags"},
	    {"ReferenceId", "referenceId"},
	    {"EnableECSManagedTags", "enableECSManagedTags"},
	    {"EnableExecuteCommand", "enableExecuteCommand"},
	};
	const json_t *ecs = json_object_get(target, "EcsParameters"), *v;
	const char *in = str(target, "Input"), *group = str(ecs, "Group");
	ecsfs_buf g = ECSFS_BUF_INIT;
	json_t *rq = json_object();

	json_object_set_new(rq, "taskDefinition", json_string(str(ecs, "TaskDefinitionArn")));
	json_object_set_new(rq, "count", json_integer(num(ecs, "TaskCount", 1)));
	ecsfs_buf_addf(&g, "schedule:%s", name);
	json_object_set_new(rq, "group", json_string(group ? group : g.data));
	ecsfs_buf_release(&g);
	if ((v = json_object_get(ecs, "Tags")))
		json_object_set_new(rq, "tags", run_tags(v));
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		if ((v = json_object_get(ecs, kept[i][0])))
			json_object_set_new(rq, kept[i][1], camel(v));
	if (in)
		json_object_set_new(rq, "overrides", json_loads(in, 0, NULL));
	return rq;
}

int ecsfs__sched_def_read(const char *name, const json_t *doc, ecsfs__sched_def *def,
			  ecsfs_err *err)
{
	const json_t *target = json_object_get(doc, "Target"), *v;
	const json_t *retry = json_object_get(target, "RetryPolicy");
	const char *zone = str(doc, "ScheduleExpressionTimezone");
	int r;

	memset(def, 0, sizeof(*def));
	if ((r = ecsfs_cron_parse(str(doc, "ScheduleExpression"), &def->expr, err)) < 0)
		return r;
	if (zone && (r = ecsfs_tz_load(zone, &def->tz, err)) < 0) {
		ecsfs__sched_def_release(def);
		return r;
	}
	if (!def->tz)
		def->tz = ecsfs_tz_utc();
	if ((v = json_object_get(doc, "StartDate")))
		ecsfs__sched_date(v, &def->start_ms);
	if ((v = json_object_get(doc, "EndDate")))
		ecsfs__sched_date(v, &def->end_ms);
	def->enabled = !str(doc, "State") || !strcmp(str(doc, "State"), "ENABLED");
	def->window_min =
	    num(json_object_get(doc, "FlexibleTimeWindow"), "MaximumWindowInMinutes", 0);
	def->retries = (int)num(retry, "MaximumRetryAttempts", ECSFS__SCHED_RETRIES_DEFAULT);
	def->max_age_ms = num(retry, "MaximumEventAgeInSeconds", ECSFS__SCHED_AGE_DEFAULT) * 1000;
	def->delete_after = str(doc, "ActionAfterCompletion") &&
			    !strcmp(str(doc, "ActionAfterCompletion"), "DELETE");
	def->request = run_request(name, target);
	return 0;
}

void ecsfs__sched_def_release(ecsfs__sched_def *def)
{
	ecsfs_cron_free(def->expr);
	ecsfs_tz_free(def->tz);
	json_decref(def->request);
	memset(def, 0, sizeof(*def));
}
