/* Schedules on the fake runtime with a clock the test moves: documents and
 * their refusals, rate/cron/at fires, DISABLED, retries, FLEXIBLE windows,
 * StartDate/EndDate, ActionAfterCompletion DELETE, and restarts at every
 * point of a fire (the engine and the store closed and opened again). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "ecsfs/cluster.h"
#include "ecsfs/schedule.h"
#include "ecsfs/task.h"
#include "ecsfs/taskdef.h"
#include "ecsfs/util.h"
#include "fake/fake_runtime.h"
#include "fake_harness.h"
#include "tap.h"
#include "tap_err.h"

static ecsfs_store *s;
static ecsfs_runtime *rt;
static ecsfs_tasks *tasks;
static ecsfs_schedules *sc;
static uv_loop_t loop;
static char dir[] = "/tmp/ecsfs-test-schedule-XXXXXX";
static ecsfs_err err = ECSFS_ERR_INIT;
static int64_t clock_ms;
static int64_t flex_delay = -1; /* the FLEXIBLE delay the engine gets (-1: half the window) */

#define MINUTE 60000ll
#define T0     1772841600000ll /* 2026-03-07T00:00:00Z */

static int64_t fake_now(void *data)
{
	return clock_ms;
}

static int64_t fake_delay(void *data, int64_t window)
{
	return flex_delay >= 0 ? flex_delay : window / 2;
}

static void reg(const char *family)
{
	static const char doc[] = "{\"containerDefinitions\":[{\"name\":\"app\",\"image\":"
				  "\"busybox\",\"memory\":64,\"command\":[\"sleep\",\"1\"]}]}";
	harness_register(s, family, doc);
}

static void engine_open(void)
{
	ecsfs_schedule_opts o = {.now_ms = fake_now, .delay_ms = fake_delay, .manual = true};
	ecsfs_buf why = ECSFS_BUF_INIT;
	is_int(ecsfs_schedules_new(&loop, s, tasks, &o, &sc, &why), 0, "engine opens (%s)",
	       why.data);
	ecsfs_buf_release(&why);
}

/* The daemon goes away (kill -9: nothing more is written) and comes back. */
static void restart(void)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	ecsfs_schedules_free(sc);
	ecsfs_tasks_free(tasks);
	ecsfs_store_close(s);
	is_int(ecsfs_store_open(dir, &s, &why), 0, "store opens again");
	is_int(ecsfs_tasks_new(&loop, s, rt, dir, &tasks, &why), 0, "tasks load again");
	ecsfs_buf_release(&why);
	engine_open();
}

static int put(const char *name, const char *text)
{
	json_t *d = json_loads(text, 0, NULL);
	int r;
	if (!d) {
		printf("Bail out! bad test JSON %s\n", text);
		exit(1);
	}
	ecsfs_err_reset(&err);
	r = ecsfs_schedule_put(sc, "prod", name, d, NULL, &err);
	json_decref(d);
	return r;
}

static void tick_at(int64_t ms)
{
	clock_ms = ms;
	ecsfs_schedules_tick(sc);
	ecsfs_fake_runtime_flush(rt);
}

/* Tasks of prod started by fires of schedule `name`. */
typedef struct count_ctx {
	const char *prefix;
	int n;
	ecsfs_buf last;
} count_ctx;

static int count_cb(void *data, const ecsfs_task_info *info)
{
	count_ctx *c = data;
	if (!strncmp(info->started_by, c->prefix, strlen(c->prefix))) {
		c->n++;
		ecsfs_buf_setf(&c->last, "%s", info->id);
	}
	return 0;
}

static int started(const char *name, ecsfs_buf *last_id)
{
	char prefix[128];
	count_ctx c = {prefix, 0, ECSFS_BUF_INIT};
	snprintf(prefix, sizeof(prefix), "schedule/%s/", name);
	ecsfs_tasks_foreach(tasks, "prod", NULL, count_cb, &c);
	if (last_id)
		ecsfs_buf_setf(last_id, "%s", c.last.data);
	ecsfs_buf_release(&c.last);
	return c.n;
}

static const char *history(const char *name)
{
	static ecsfs_buf h = ECSFS_BUF_INIT;
	ecsfs_buf_reset(&h);
	ecsfs_schedule_history(sc, "prod", name, &h);
	return h.data;
}

static const char *status(const char *name)
{
	static ecsfs_buf st = ECSFS_BUF_INIT;
	ecsfs_buf_reset(&st);
	ecsfs_schedule_status(sc, "prod", name, &st);
	return st.data;
}

static int lines(const char *text, const char *word)
{
	int n = 0;
	for (const char *p = text; (p = strstr(p, word)); p += strlen(word))
		n++;
	return n;
}

#define TARGET(td) "\"Target\":{\"EcsParameters\":{\"TaskDefinitionArn\":\"" td "\"}}"

static void refused(const char *text, const char *says)
{
	fails(put("bad", text), -EINVAL, ECSFS_E_INVALID_PARAMETER, says);
	ok(strstr(err.msg.data, says) != NULL, "says '%s' (%s)", says, err.msg.data);
}

static void test_documents(void)
{
	refused("{\"ScheduleExpression\":\"rate(5 minutes)\"," TARGET("job") ",\"Foo\":1}",
		"Foo: unknown field");
	refused("{\"ScheduleExpression\":\"cron(0 0 * * * *)\"," TARGET("job") "}",
		"ScheduleExpression: cron(0 0 * * * *): Day-of-month, Day-of-week: exactly one");
	refused("{\"ScheduleExpression\":\"rate(1 hours)\"," TARGET("job") "}",
		"ScheduleExpression: rate(1 hours): the unit for 1 is hour, not hours");
	refused("{\"ScheduleExpression\":\"rate(0 minutes)\"," TARGET("job") "}", "at least 1");
	refused("{\"ScheduleExpression\":\"cron(61 * * * ? *)\"," TARGET("job") "}",
		"Minutes: 61 is outside 0-59");
	refused("{\"ScheduleExpression\":\"cron(0 0 * * ? 2200)\"," TARGET("job") "}",
		"Year: 2200 is outside 1970-2199");
	refused("{\"ScheduleExpression\":\"rate(5 minutes)\",\"ScheduleExpressionTimezone\":"
		"\"Mars/Base\"," TARGET("job") "}",
		"ScheduleExpressionTimezone: Mars/Base is not a time zone");
	refused(
	    "{\"ScheduleExpression\":\"rate(5 minutes)\",\"StartDate\":\"2026-05-01T00:00:00Z\","
	    "\"EndDate\":\"2026-04-01T00:00:00Z\"," TARGET("job") "}",
	    "EndDate: must be after StartDate");
	refused("{\"ScheduleExpression\":\"rate(5 minutes)\",\"StartDate\":\"tomorrow\"," TARGET(
		    "job") "}",
		"StartDate: must be a time");
	refused("{\"ScheduleExpression\":\"rate(5 minutes)\",\"Target\":{\"EcsParameters\":{"
		"\"TaskDefinitionArn\":\"job\",\"TaskCount\":11}}}",
		"Target.EcsParameters.TaskCount: 11 is outside 1..10");
	refused("{\"ScheduleExpression\":\"rate(5 minutes)\",\"Target\":{\"EcsParameters\":{"
		"\"TaskDefinitionArn\":\"job\"},\"Input\":\"{\\\"foo\\\":1}\"}}",
		"Target.Input: not a RunTask overrides document: foo: unknown field");
	refused("{\"ScheduleExpression\":\"rate(5 minutes)\",\"Target\":{\"EcsParameters\":{"
		"\"TaskDefinitionArn\":\"job\"},\"Input\":\"[1\"}}",
		"Target.Input: not a RunTask overrides document");
	refused("{\"ScheduleExpression\":\"rate(5 minutes)\",\"Target\":{\"Arn\":"
		"\"arn:aws:ecs:us-east-1:000000000000:cluster/other\",\"EcsParameters\":{"
		"\"TaskDefinitionArn\":\"job\"}}}",
		"Target.Arn: 'arn:aws:ecs:us-east-1:000000000000:cluster/other' is not this "
		"cluster's ARN");
	refused("{\"ScheduleExpression\":\"rate(5 minutes)\",\"Target\":{\"SqsParameters\":{},"
		"\"EcsParameters\":{\"TaskDefinitionArn\":\"job\"}}}",
		"Target.SqsParameters: a schedule here runs ECS tasks");
	refused("{\"ScheduleExpression\":\"rate(5 minutes)\",\"Name\":\"other\"," TARGET("job") "}",
		"Name: 'other' is not this file's name bad");
	refused("{\"ScheduleExpression\":\"rate(5 minutes)\",\"FlexibleTimeWindow\":{\"Mode\":"
		"\"FLEXIBLE\"}," TARGET("job") "}",
		"FlexibleTimeWindow: Mode FLEXIBLE needs MaximumWindowInMinutes");
	refused("{\"ScheduleExpression\":\"rate(5 minutes)\",\"Target\":{\"EcsParameters\":{"
		"\"TaskDefinitionArn\":\"job\"},\"RetryPolicy\":{\"MaximumRetryAttempts\":186}}}",
		"Target.RetryPolicy.MaximumRetryAttempts: 186 is outside 0..185");
	refused("{\"ScheduleExpression\":\"rate(5 minutes)\",\"State\":\"ON\"," TARGET("job") "}",
		"State");
	refused("{\"ScheduleExpression\":\"rate(5 minutes)\"}", "Target");
	fails(put("a/b", "{\"ScheduleExpression\":\"rate(5 minutes)\"," TARGET("job") "}"), -EINVAL,
	      ECSFS_E_INVALID_PARAMETER, "a name with a slash");
	ok(ecsfs_schedule_exists(sc, "prod", "bad") == -ENOENT, "nothing refused was kept");
}

/* Told first as a task is made (inside ecsfs_tasks_start()): the fire
 * that starts it must already be a row of the store, still PENDING. */
static int open_fires, tasks_made;

static int open_cb(void *data, const ecsfs_fire_row *f)
{
	open_fires++;
	return 0;
}

static void made_cb(void *data, const char *cluster, const char *id)
{
	if (tasks_made++) /* later calls: the task's own changes */
		return;
	ecsfs_store_fire_list(s, "prod", data, true, open_cb, NULL);
}

/* rate(): every N minutes from the creation; one fire per due time. */
static void test_rate(void)
{
	ecsfs_buf id = ECSFS_BUF_INIT;
	clock_ms = T0;
	works(put("every5", "{\"ScheduleExpression\":\"rate(5 minutes)\"," TARGET("job") "}"),
	      "rate(5 minutes)");
	ok(strstr(status("every5"), "next: 2026-03-07T00:05:00.000Z (2026-03-07T00:05:00+00:00)"),
	   "status: the next fire");
	tick_at(T0 + 4 * MINUTE);
	is_int(started("every5", NULL), 0, "nothing before its time");
	ecsfs_tasks_set_change_cb(tasks, made_cb, "every5");
	tick_at(T0 + 5 * MINUTE);
	ecsfs_tasks_set_change_cb(tasks, NULL, NULL);
	is_int(started("every5", &id), 1, "one task at 00:05");
	ok(tasks_made >= 1 && open_fires == 1,
	   "as its task was made, the fire was already recorded (and not yet started)");
	tick_at(T0 + 5 * MINUTE + 10);
	tick_at(T0 + 5 * MINUTE + 20);
	is_int(started("every5", NULL), 1, "ticks at the same time start nothing more");
	ok(strstr(history("every5"),
		  "2026-03-07T00:05:00.000Z 2026-03-07T00:05:00.000Z started ") != NULL,
	   "history: scheduled, actual, the task");
	ok(strstr(history("every5"), id.data) != NULL, "history names the task");
	tick_at(T0 + 11 * MINUTE);
	is_int(started("every5", NULL), 2, "the 00:10 fire ran (late by a minute)");
	is_int(lines(history("every5"), "\n"), 2, "two fires in history");
	ok(strstr(status("every5"), "last: 2026-03-07T00:10:00.000Z started") != NULL,
	   "status: the last outcome");
	works(put("every5", "{\"ScheduleExpression\":\"rate(5 minutes)\"," TARGET("job") "}"),
	      "the same document again");
	works(ecsfs_schedule_delete(sc, "prod", "every5", &err), "delete");
	ecsfs_buf_release(&id);
}

/* cron() in New York across the change to summer time. */
static void test_cron_zone(void)
{
	clock_ms = T0;
	works(put("six", "{\"ScheduleExpression\":\"cron(30 2 * * ? *)\","
			 "\"ScheduleExpressionTimezone\":\"America/New_York\"," TARGET("job") "}"),
	      "cron in New York");
	const char *st = status("six");
	ok(strstr(st, "time_zone: America/New_York\n") != NULL, "status: the zone");
	ok(strstr(st, "next: 2026-03-07T07:30:00.000Z (2026-03-07T02:30:00-05:00)\n"
		      "next: 2026-03-09T06:30:00.000Z (2026-03-09T02:30:00-04:00)\n") != NULL,
	   "status: 02:30 of 8 March does not exist, so no fire that day");
	is_int(lines(st, "next: "), 5, "five next fires");
	tick_at(T0 + 8 * 60 * MINUTE);
	tick_at(T0 + 60 * 60 * MINUTE);
	is_int(started("six", NULL), 2, "7 and 9 March fired, 8 March did not");
	works(ecsfs_schedule_delete(sc, "prod", "six", &err), "delete");
}

/* at() with ActionAfterCompletion DELETE: one fire, then the schedule and its file go. */
static void test_at_delete(void)
{
	ecsfs_buf data = ECSFS_BUF_INIT;
	clock_ms = T0;
	works(put("once", "{\"ScheduleExpression\":\"at(2026-03-07T00:10:00)\","
			  "\"ActionAfterCompletion\":\"DELETE\"," TARGET("job") "}"),
	      "at() with DELETE");
	is_int(ecsfs_store_file_get(s, "/spec/clusters/prod/schedules", "once.json", NULL, &data),
	       0, "its spec file");
	tick_at(T0 + 10 * MINUTE);
	is_int(started("once", NULL), 1, "it fired once");
	is_int(ecsfs_schedule_exists(sc, "prod", "once"), -ENOENT, "and was deleted");
	is_int(ecsfs_store_file_get(s, "/spec/clusters/prod/schedules", "once.json", NULL, NULL),
	       -ENOENT, "with its file");
	tick_at(T0 + 20 * MINUTE);
	is_int(started("once", NULL), 1, "never again");
	works(put("keep", "{\"ScheduleExpression\":\"at(2026-03-07T00:30:00)\"," TARGET("job") "}"),
	      "at() with NONE");
	tick_at(T0 + 31 * MINUTE);
	is_int(started("keep", NULL), 1, "it fired");
	is_int(ecsfs_schedule_exists(sc, "prod", "keep"), 0, "and stays");
	ok(strstr(status("keep"), "next: none\n") != NULL, "nothing comes next");
	works(ecsfs_schedule_delete(sc, "prod", "keep", &err), "delete");
	ecsfs_buf_release(&data);
}

static void test_disabled(void)
{
	clock_ms = T0;
	works(
	    put("off", "{\"ScheduleExpression\":\"rate(1 minute)\",\"State\":\"DISABLED\"," TARGET(
			   "job") "}"),
	    "DISABLED");
	tick_at(T0 + 10 * MINUTE);
	is_int(started("off", NULL), 0, "DISABLED runs nothing");
	ok(strstr(status("off"), "state: DISABLED\n") != NULL, "status says DISABLED");
	works(put("off", "{\"ScheduleExpression\":\"rate(1 minute)\",\"State\":\"ENABLED\"," TARGET(
			     "job") "}"),
	      "enabled");
	tick_at(T0 + 11 * MINUTE);
	is_int(started("off", NULL), 1, "from now on, without the fires it did not run");
	works(ecsfs_schedule_delete(sc, "prod", "off", &err), "delete");
}

#include "test_schedule_more.h"

int main(void)
{
	ecsfs_buf why = ECSFS_BUF_INIT;

	harness_open_fake(dir, &loop, &s, &rt);
	is_int(ecsfs_tasks_new(&loop, s, rt, dir, &tasks, &why), 0, "tasks");
	reg("job");
	engine_open();
	test_documents();
	test_rate();
	test_cron_zone();
	test_at_delete();
	test_disabled();
	test_more();
	ecsfs_schedules_free(sc);
	ecsfs_tasks_free(tasks);
	harness_close_fake(dir, &loop, s, rt);
	ecsfs_buf_release(&why);
	ecsfs_err_release(&err);
	return tap_done();
}
