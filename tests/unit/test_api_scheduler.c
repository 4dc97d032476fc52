/*
 * EventBridge Scheduler's REST-JSON operations and EventBridge rules through the dispatcher, on
 * the fake runtime with a clock the test moves: the HTTP bindings (path,
 * query, body), the exceptions with their statuses, the spec file the
 * same rows show, bad input leaving the previous schedule, and an
 * API-made schedule firing its tasks on the engine.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "api_harness.h"
#include "ecsfs/cluster.h"
#include "ecsfs/schedule.h"
#include "ecsfs/task.h"
#include "ecsfs/util.h"
#include "fake/fake_runtime.h"
#include "fake_harness.h"
#include "tap_err.h"

static ecsfs_store *s;
static ecsfs_runtime *rt;
static ecsfs_tasks *tasks;
static ecsfs_schedules *sc;
static uv_loop_t loop;
static char dir[] = "/tmp/ecsfs-test-api-scheduler-XXXXXX";
static int64_t clock_ms = 1772841600000ll; /* 2026-03-07T00:00:00Z */
static char refused_op[128];
static int refusals;

#define CLUSTER_ARN "arn:aws:ecs:us-east-1:000000000000:cluster/prod"
#define MINUTE	    60000ll

static int64_t fake_now(void *data)
{
	(void)data;
	return clock_ms;
}

static void on_refused(void *data, const char *op, const char *type, int code, const char *msg)
{
	(void)data, (void)type, (void)code, (void)msg;
	snprintf(refused_op, sizeof(refused_op), "%s", op);
	refusals++;
}

/* A REST call (' stands for "): the reply parsed (caller decrefs), or
 * NULL with api_status, api_type (x-amzn-ErrorType) and api_message set. */
static json_t *rest(const char *method, const char *target, const char *body)
{
	char *b = strdup(body ? body : "");
	ecsfs__api_reply r;
	json_t *j;

	for (char *p = b; *p; p++)
		if (*p == '\'')
			*p = '"';
	ecsfs__api_reply_init(&r);
	ecsfs__api_dispatch_rest(&api, method, target, b, strlen(b), &r);
	free(b);
	api_status = r.status;
	snprintf(api_type, sizeof(api_type), "%s", r.error_type);
	j = json_loadb(r.body.data ? r.body.data : "", r.body.len, 0, NULL);
	ecsfs__api_reply_release(&r);
	api_message[0] = '\0';
	if (api_status == 200)
		return j;
	snprintf(api_message, sizeof(api_message), "%s",
		 j ? json_string_value(json_object_get(j, "Message")) : "(no JSON)");
	json_decref(j);
	return NULL;
}

static json_t *rest_ok(const char *method, const char *target, const char *body)
{
	json_t *j = rest(method, target, body);
	ok(j != NULL, "%s %s works", method, target);
	if (!j) {
		printf("#   %d %s: %s\n", api_status, api_type, api_message);
		j = json_object();
	}
	return j;
}

#define rest_fails(method, target, body, status, type, what)                    \
	do {                                                                    \
		json_t *j_ = rest(method, target, body);                        \
		is_int(api_status, status, "%s: status", what);                 \
		is_str(api_type, type, "%s: %s (%s)", what, type, api_message); \
		json_decref(j_);                                                \
	} while (0)

#define NIGHTLY                                                                                \
	"{'ScheduleExpression': 'rate(5 minutes)', 'FlexibleTimeWindow': {'Mode': 'OFF'}, "    \
	"'Target': {'Arn': '" CLUSTER_ARN "', 'RoleArn': 'arn:aws:iam::000000000000:role/r', " \
	"'EcsParameters': {'TaskDefinitionArn': 'job', 'TaskCount': 2}}}"

/* The spec file of schedule `name` of prod, parsed (caller decrefs). */
static json_t *spec_file(const char *name)
{
	ecsfs_buf data = ECSFS_BUF_INIT;
	char fname[128];
	json_t *j = NULL;

	snprintf(fname, sizeof(fname), "%s.json", name);
	if (ecsfs_store_file_get(s, "/spec/clusters/prod/schedules", fname, NULL, &data) == 0)
		j = json_loadb(data.data, data.len, 0, NULL);
	ecsfs_buf_release(&data);
	return j;
}

static json_t *quoted(const char *text)
{
	char *b = strdup(text);
	json_t *j;
	for (char *p = b; *p; p++)
		if (*p == '\'')
			*p = '"';
	j = json_loads(b, 0, NULL);
	free(b);
	return j;
}

static void test_create_get(void)
{
	json_t *o = rest_ok("POST", "/schedules/nightly", NIGHTLY), *want, *file;

	is_str(at(o, "ScheduleArn"),
	       "arn:aws:scheduler:us-east-1:000000000000:schedule/default/nightly",
	       "the schedule's ARN");
	json_decref(o);
	want = quoted(NIGHTLY);
	file = spec_file("nightly");
	ok(file && json_equal(file, want), "the spec file is the request without Name");
	json_decref(file);
	json_decref(want);
	is_int(ecsfs_schedule_exists(sc, "prod", "nightly"), 0, "the engine has it");

	o = rest_ok("GET", "/schedules/nightly?groupName=default", NULL);
	is_str(at(o, "Name"), "nightly", "GetSchedule: its name");
	is_str(at(o, "GroupName"), "default", "its group");
	is_str(at(o, "State"), "ENABLED", "ENABLED by default");
	is_str(at(o, "Target.Arn"), CLUSTER_ARN, "its target");
	is_int(json_integer_value(node(o, "Target.EcsParameters.TaskCount")), 2, "its count");
	ok(json_is_number(node(o, "CreationDate")), "dates are epoch seconds");
	ok(json_number_value(node(o, "CreationDate")) == clock_ms / 1000, "created now");
	json_decref(o);

	rest_fails("POST", "/schedules/nightly", NIGHTLY, 409, "ConflictException",
		   "the same name again");
	rest_fails("GET", "/schedules/nope", NULL, 404, "ResourceNotFoundException",
		   "a schedule that does not exist");
	is_str(api_message, "Schedule nope does not exist.", "AWS's message");
	rest_fails("GET", "/schedules/nightly?groupName=other", NULL, 404,
		   "ResourceNotFoundException", "the name in another group");
}

static void test_bad_input(void)
{
	json_t *o;

	refusals = 0;
	rest_fails("POST", "/schedules/big",
		   "{'ScheduleExpression': 'rate(1 hours)', 'FlexibleTimeWindow': {'Mode': 'OFF'}, "
		   "'Target': {'Arn': '" CLUSTER_ARN "', 'EcsParameters': {'TaskDefinitionArn': "
		   "'job'}}}",
		   400, "ValidationException", "rate(1 hours)");
	ok(strstr(api_message, "ScheduleExpression") != NULL, "names the field: %s", api_message);
	is_str(refused_op, "scheduler.CreateSchedule", "the refusal goes to /ecs/errors");
	rest_fails(
	    "PUT", "/schedules/nightly",
	    "{'ScheduleExpression': 'rate(1 minute)', 'FlexibleTimeWindow': {'Mode': 'OFF'}, "
	    "'Target': {'Arn': '" CLUSTER_ARN "', 'EcsParameters': {'TaskDefinitionArn': "
	    "'job', 'TaskCount': 11}}}",
	    400, "ValidationException", "TaskCount 11");
	ok(strstr(api_message, "Target.EcsParameters.TaskCount") != NULL, "names the field: %s",
	   api_message);
	is_str(refused_op, "scheduler.UpdateSchedule", "named by its operation");
	o = rest_ok("GET", "/schedules/nightly", NULL);
	is_str(at(o, "ScheduleExpression"), "rate(5 minutes)", "the schedule is unchanged");
	json_decref(o);
	rest_fails(
	    "POST", "/schedules/x",
	    "{'ScheduleExpression': 'rate(1 minute)', 'FlexibleTimeWindow': {'Mode': 'OFF'}, "
	    "'Target': {'Arn': 'arn:aws:lambda:us-east-1:000000000000:function:f', "
	    "'EcsParameters': {'TaskDefinitionArn': 'job'}}}",
	    400, "ValidationException", "a target that is not a cluster");
	ok(strstr(api_message, "Target.Arn") != NULL, "names the field: %s", api_message);
	rest_fails(
	    "POST", "/schedules/x",
	    "{'ScheduleExpression': 'rate(1 minute)', 'FlexibleTimeWindow': {'Mode': 'OFF'}, "
	    "'Target': {'Arn': 'arn:aws:ecs:us-east-1:000000000000:cluster/nope', "
	    "'EcsParameters': {'TaskDefinitionArn': 'job'}}}",
	    404, "ResourceNotFoundException", "a cluster that does not exist");
	rest_fails("POST", "/schedules/x",
		   "{'ScheduleExpression': 'rate(1 minute)', 'Colour': 1, 'Target': {'Arn': "
		   "'" CLUSTER_ARN "', 'EcsParameters': {'TaskDefinitionArn': 'job'}}}",
		   400, "ValidationException", "an unknown field");
	rest_fails("POST", "/schedules/x", "{", 400, "SerializationException", "not JSON");
	rest_fails("PUT", "/schedules/nope", NIGHTLY, 404, "ResourceNotFoundException",
		   "an update of nothing");
	rest_fails("POST", "/schedules/x", NIGHTLY "x", 400, "SerializationException",
		   "trailing bytes");
	ok(ecsfs_schedule_exists(sc, "prod", "x") < 0 &&
	       ecsfs_schedule_exists(sc, "prod", "big") < 0,
	   "nothing was made");
	ok(refusals >= 6, "every refusal was told (%d)", refusals);
}

static int count_cb(void *data, const ecsfs_task_info *info)
{
	*(int *)data += !strncmp(info->started_by, "schedule/nightly/", 17);
	return 0;
}

static int count_etl(void *data, const ecsfs_task_info *info)
{
	*(int *)data += !strncmp(info->started_by, "schedule/etl/", 13);
	return 0;
}

static void test_update_fire(void)
{
	json_t *o, *file;
	int n = 0;

	o = rest_ok("PUT", "/schedules/nightly",
		    "{'ScheduleExpression': 'rate(1 minute)', 'FlexibleTimeWindow': {'Mode': "
		    "'OFF'}, 'Description': 'every minute', 'Target': {'Arn': '" CLUSTER_ARN
		    "', 'EcsParameters': {'TaskDefinitionArn': 'job', 'TaskCount': 1}}}");
	json_decref(o);
	file = spec_file("nightly");
	is_str(json_string_value(json_object_get(file, "ScheduleExpression")), "rate(1 minute)",
	       "the spec file follows the update");
	json_decref(file);
	clock_ms += MINUTE + 1000;
	ecsfs_schedules_tick(sc);
	ecsfs_fake_runtime_flush(rt);
	ecsfs_tasks_foreach(tasks, "prod", NULL, count_cb, &n);
	is_int(n, 1, "the API-made schedule fires one task on the engine");
}

static void test_list(void)
{
	json_t *o, *d = quoted("{'ScheduleExpression': 'cron(0 6 * * ? *)', 'State': 'DISABLED', "
			       "'Target': {'EcsParameters': {'TaskDefinitionArn': 'job'}}}");
	ecsfs_err err = ECSFS_ERR_INIT;

	is_int(ecsfs_schedule_put(sc, "prod", "morning", d, NULL, &err), 0,
	       "a schedule made as a file");
	json_decref(d);
	ecsfs_err_release(&err);
	o = rest_ok("GET", "/schedules", NULL);
	is_int((int)json_array_size(json_object_get(o, "Schedules")), 2, "ListSchedules: both");
	is_str(at(o, "Schedules.0.Name"), "morning", "by name: the file's");
	is_str(at(o, "Schedules.0.Target.Arn"), CLUSTER_ARN, "its target is its cluster");
	is_str(at(o, "Schedules.1.Name"), "nightly", "then the API's");
	json_decref(o);
	o = rest_ok("GET", "/schedules?State=DISABLED", NULL);
	is_int((int)json_array_size(json_object_get(o, "Schedules")), 1, "State filters");
	json_decref(o);
	o = rest_ok("GET", "/schedules?NamePrefix=nig&ScheduleGroup=default", NULL);
	is_str(at(o, "Schedules.0.Name"), "nightly", "NamePrefix filters");
	json_decref(o);
	o = rest_ok("GET", "/schedules?MaxResults=1", NULL);
	is_str(at(o, "NextToken"), "1", "MaxResults pages");
	json_decref(o);
	o = rest_ok("GET", "/schedules?MaxResults=1&NextToken=1", NULL);
	is_str(at(o, "Schedules.0.Name"), "nightly", "NextToken goes on");
	ok(!json_object_get(o, "NextToken"), "to the end");
	json_decref(o);
	rest_fails("GET", "/schedules?MaxResults=x", NULL, 400, "ValidationException",
		   "MaxResults that is not a number");
	rest_fails("GET", "/schedules?State=ON", NULL, 400, "ValidationException", "a bad State");
	rest_fails("GET", "/schedules?NextToken=99", NULL, 400, "ValidationException",
		   "a NextToken past the end");
	o = rest_ok("GET", "/schedules?State=DISABLED&MaxResults=1", NULL);
	ok(!json_object_get(o, "NextToken"), "a filtered list pages over what matches");
	json_decref(o);
	rest_fails("GET", "/schedules?ScheduleGroup=nope", NULL, 404, "ResourceNotFoundException",
		   "a group that does not exist");
	o = rest_ok("GET", "/schedule-groups", NULL);
	is_str(at(o, "ScheduleGroups.0.Name"), "default", "the default group");
	json_decref(o);
	o = rest_ok("GET", "/schedule-groups/default", NULL);
	is_str(at(o, "State"), "ACTIVE", "GetScheduleGroup");
	json_decref(o);
	rest_fails("GET", "/schedule-groups/nope", NULL, 404, "ResourceNotFoundException",
		   "GetScheduleGroup of nothing");
	rest_fails("GET", "/nothing", NULL, 404, "UnknownOperationException", "an unknown path");
	rest_fails("PATCH", "/schedules/nightly", NULL, 404, "UnknownOperationException",
		   "an unknown method");
	ok(ecsfs__api_rest_serves("/schedules/x") && !ecsfs__api_rest_serves("/"),
	   "the listener knows the REST paths");
}

static void test_delete(void)
{
	json_t *o = rest_ok("DELETE", "/schedules/nightly?groupName=default&clientToken=t", NULL);
	json_t *file = spec_file("nightly");

	json_decref(o);
	ok(!file, "the spec file went with it");
	json_decref(file);
	rest_fails("GET", "/schedules/nightly", NULL, 404, "ResourceNotFoundException", "deleted");
	rest_fails("DELETE", "/schedules/nightly", NULL, 404, "ResourceNotFoundException",
		   "deleted twice");
	o = rest_ok("DELETE", "/schedules/morning", NULL);
	json_decref(o);
	rest_fails("GET", "/schedules/a%zz", NULL, 404, "UnknownOperationException",
		   "a path that is not well encoded");
}

/* ---- EventBridge rules (AWSEvents, JSON 1.1) ---- */

static json_t *events(const char *op, const char *body)
{
	char target[128], *b = strdup(body);
	ecsfs__api_reply r;
	json_t *j;

	for (char *p = b; *p; p++)
		if (*p == '\'')
			*p = '"';
	snprintf(target, sizeof(target), "AWSEvents.%s", op);
	ecsfs__api_reply_init(&r);
	ecsfs__api_dispatch(&api, target, b, strlen(b), &r);
	free(b);
	api_status = r.status;
	j = json_loadb(r.body.data ? r.body.data : "", r.body.len, 0, NULL);
	ecsfs__api_reply_release(&r);
	api_type[0] = api_message[0] = '\0';
	if (api_status == 200)
		return j;
	snprintf(api_type, sizeof(api_type), "%s",
		 j ? json_string_value(json_object_get(j, "__type")) : "(no JSON)");
	snprintf(api_message, sizeof(api_message), "%s",
		 j ? json_string_value(json_object_get(j, "message")) : "");
	json_decref(j);
	return NULL;
}

static json_t *events_ok(const char *op, const char *body)
{
	json_t *j = events(op, body);
	ok(j != NULL, "%s works", op);
	if (!j) {
		printf("#   %s: %s\n", api_type, api_message);
		j = json_object();
	}
	return j;
}

#define events_fails(op, body, type, what)                                                      \
	do {                                                                                    \
		json_t *j_ = events(op, body);                                                  \
		is_int(api_status, strcmp(type, "InternalException") ? 400 : 500, "%s: status", \
		       what);                                                                   \
		is_str(api_type, type, "%s: %s (%s)", what, type, api_message);                 \
		json_decref(j_);                                                                \
	} while (0)

#define ECS_TARGET(id, count)                                                                    \
	"{'Rule': 'etl', 'Targets': [{'Id': '" id "', 'Arn': '" CLUSTER_ARN "', "                \
	"'RoleArn': 'arn:aws:iam::000000000000:role/ev', 'Input': "                              \
	"'{\\'containerOverrides\\': [{\\'name\\': \\'app\\', \\'command\\': [\\'true\\']}]}', " \
	"'EcsParameters': {'TaskDefinitionArn': 'job', 'TaskCount': " count ", "                 \
	"'LaunchType': 'FARGATE', 'Tags': [{'Key': 'team', 'Value': 'etl'}]}}]}"

static const char *sched_expr(const char *name)
{
	static char buf[128];
	json_t *f = spec_file(name);
	snprintf(buf, sizeof(buf), "%s",
		 f ? json_string_value(json_object_get(f, "ScheduleExpression")) : "(none)");
	json_decref(f);
	return buf;
}

static void test_rule_targets(void)
{
	json_t *o;

	o = events_ok("ListTargetsByRule", "{'Rule': 'etl'}");
	is_int((int)json_array_size(json_object_get(o, "Targets")), 0, "a new rule: no targets");
	json_decref(o);
	o = events_ok("PutTargets", "{'Rule': 'etl', 'Targets': [{'Id': 'fn', 'Arn': "
				    "'arn:aws:lambda:us-east-1:000000000000:function:f'}]}");
	is_int((int)json_integer_value(json_object_get(o, "FailedEntryCount")), 1,
	       "a target that is not ECS fails");
	ok(strstr(at(o, "FailedEntries.0.ErrorMessage"), "would run nothing") != NULL,
	   "and says it would run nothing: %s", at(o, "FailedEntries.0.ErrorMessage"));
	json_decref(o);
	o = events_ok("PutTargets", ECS_TARGET("t1", "1"));
	is_int((int)json_integer_value(json_object_get(o, "FailedEntryCount")), 0,
	       "an ECS target is taken");
	json_decref(o);
	is_int(ecsfs_schedule_exists(sc, "prod", "etl"), 0, "it is schedule etl of prod");
	is_str(sched_expr("etl"), "cron(0 6 * * ? *)", "with the rule's expression in its file");
	o = events_ok("PutTargets", ECS_TARGET("t2", "1"));
	is_str(at(o, "FailedEntries.0.ErrorCode"), "LimitExceededException",
	       "a second ECS target fails");
	json_decref(o);
	events_fails("PutTargets", ECS_TARGET("t1", "11"), "ValidationException", "TaskCount 11");
	ok(strstr(api_message, "Targets[0].EcsParameters.TaskCount") != NULL, "names the field: %s",
	   api_message);
	is_str(refused_op, "events.PutTargets", "the refusal goes to /ecs/errors");
	o = events_ok("ListTargetsByRule", "{'Rule': 'etl'}");
	is_str(at(o, "Targets.0.Id"), "t1", "ListTargetsByRule: the target");
	is_str(at(o, "Targets.0.Arn"), CLUSTER_ARN, "its cluster");
	is_int((int)json_integer_value(node(o, "Targets.0.EcsParameters.TaskCount")), 1,
	       "unchanged by the refusal");
	is_str(at(o, "Targets.0.EcsParameters.Tags.0.Key"), "team", "tags in EventBridge's shape");
	json_decref(o);
}

static void test_rules(void)
{
	json_t *o =
	    events_ok("PutRule", "{'Name': 'etl', 'ScheduleExpression': 'cron(0 6 * * ? *)'}");
	int n = 0;

	is_str(at(o, "RuleArn"), "arn:aws:events:us-east-1:000000000000:rule/etl", "PutRule");
	json_decref(o);
	events_fails("PutRule", "{'Name': 'etl', 'ScheduleExpression': 'rate(1 hours)'}",
		     "ValidationException", "rate(1 hours)");
	ok(strncmp(api_message, "ScheduleExpression", 18) == 0, "names the field: %s", api_message);
	is_str(refused_op, "events.PutRule", "named by its operation");
	events_fails("PutRule", "{'Name': 'x', 'EventPattern': '{}'}", "ValidationException",
		     "an event pattern");
	events_fails("PutRule", "{'Name': 'x', 'ScheduleExpression': 'at(2030-01-01T00:00:00)'}",
		     "ValidationException", "at()");
	events_fails("DescribeRule", "{'Name': 'nope'}", "ResourceNotFoundException",
		     "a rule that does not exist");
	test_rule_targets();
	o = events_ok("DescribeRule", "{'Name': 'etl'}");
	is_str(at(o, "ScheduleExpression"), "cron(0 6 * * ? *)", "DescribeRule: unchanged");
	json_decref(o);
	json_decref(
	    events_ok("PutRule", "{'Name': 'etl', 'ScheduleExpression': 'rate(1 minute)'}"));
	is_str(sched_expr("etl"), "rate(1 minute)", "a changed rule changes its schedule");
	clock_ms += MINUTE + 1000;
	ecsfs_schedules_tick(sc);
	ecsfs_fake_runtime_flush(rt);
	ecsfs_tasks_foreach(tasks, "prod", NULL, count_etl, &n);
	is_int(n, 1, "the rule's target runs a task");
	json_decref(events_ok("DisableRule", "{'Name': 'etl'}"));
	o = events_ok("ListRules", "{'NamePrefix': 'e'}");
	is_str(at(o, "Rules.0.State"), "DISABLED", "ListRules: DisableRule took");
	json_decref(o);
	o = spec_file("etl");
	is_str(json_string_value(json_object_get(o, "State")), "DISABLED", "so did its schedule");
	json_decref(o);
	events_fails("DeleteRule", "{'Name': 'etl'}", "ValidationException", "a rule with targets");
	json_decref(events_ok("RemoveTargets", "{'Rule': 'etl', 'Ids': ['t1']}"));
	ok(ecsfs_schedule_exists(sc, "prod", "etl") < 0 && !spec_file("etl"),
	   "RemoveTargets takes the schedule and its file");
	json_decref(events_ok("DeleteRule", "{'Name': 'etl'}"));
	events_fails("DescribeRule", "{'Name': 'etl'}", "ResourceNotFoundException", "deleted");
	events_fails("ListRules", "{'EventBusName': 'other'}", "ResourceNotFoundException",
		     "another bus");
}

int main(void)
{
	ecsfs_schedule_opts o = {.now_ms = fake_now, .manual = true};
	ecsfs_buf why = ECSFS_BUF_INIT;
	ecsfs_err err = ECSFS_ERR_INIT;

	harness_open_fake(dir, &loop, &s, &rt);
	is_int(ecsfs_tasks_new(&loop, s, rt, dir, &tasks, &why), 0, "tasks");
	harness_register(s, "job",
			 "{\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"busybox\","
			 "\"memory\":64}]}");
	ecsfs_cluster_create(s, "prod", &err); /* the harness may have made it */
	is_int(ecsfs_schedules_new(&loop, s, tasks, &o, &sc, &why), 0, "schedules");
	api = (ecsfs_api_core){.loop = &loop,
			       .store = s,
			       .rt = rt,
			       .tasks = tasks,
			       .schedules = sc,
			       .state_dir = dir,
			       .refused = on_refused};
	json_decref(ecs_ok("DescribeClusters", "{'clusters': ['prod']}"));
	test_create_get();
	test_bad_input();
	test_update_fire();
	test_list();
	test_delete();
	test_rules();
	ecsfs_schedules_free(sc);
	ecsfs_tasks_free(tasks);
	harness_close_fake(dir, &loop, s, rt);
	ecsfs_buf_release(&why);
	ecsfs_err_release(&err);
	return tap_done();
}
