/* test_schedule's second half: retries, windows, dates, and restarts. */
#ifndef TEST_SCHEDULE_MORE_H
#define TEST_SCHEDULE_MORE_H

/* A family that is not registered yet: retried with backoff until it is. */
static void test_retry(void)
{
	clock_ms = T0;
	works(put("later", "{\"ScheduleExpression\":\"rate(1 hour)\",\"Target\":{\"EcsParameters\":"
			   "{\"TaskDefinitionArn\":\"nojob\"},\"RetryPolicy\":{"
			   "\"MaximumRetryAttempts\":3}}}"),
	      "a schedule of a family not registered yet");
	tick_at(T0 + 60 * MINUTE);
	ok(strstr(history("later"), " - pending (attempt 1 failed: taskDefinition: family nojob") !=
	       NULL,
	   "attempt 1 failed, the fire waits");
	tick_at(T0 + 60 * MINUTE + 500);
	ok(strstr(history("later"), "attempt 1 failed") != NULL, "not before its backoff");
	tick_at(T0 + 60 * MINUTE + 1000);
	ok(strstr(history("later"), "attempt 2 failed") != NULL, "second attempt after 1 s");
	reg("nojob");
	tick_at(T0 + 60 * MINUTE + 3000);
	is_int(started("later", NULL), 1, "once the family exists, the fire runs");
	ok(strstr(history("later"), " started ") != NULL, "history: started");
	clock_ms = T0;
	works(put("never", "{\"ScheduleExpression\":\"rate(1 hour)\",\"Target\":{\"EcsParameters\":"
			   "{\"TaskDefinitionArn\":\"ghost\"},\"RetryPolicy\":{"
			   "\"MaximumRetryAttempts\":0}}}"),
	      "no retries");
	tick_at(T0 + 120 * MINUTE + 3000);
	ok(strstr(history("never"), " failed: taskDefinition: family ghost") != NULL,
	   "with no retries the fire fails at once");
	ok(strstr(status("never"), "last: 2026-03-07T02:00:00.000Z failed") != NULL,
	   "status: the last outcome failed");
	works(ecsfs_schedule_delete(sc, "prod", "later", &err), "delete");
	works(ecsfs_schedule_delete(sc, "prod", "never", &err), "delete");
}

static void test_flexible_and_dates(void)
{
	clock_ms = T0;
	flex_delay = 7 * MINUTE;
	works(put("flex",
		  "{\"ScheduleExpression\":\"rate(1 hour)\",\"FlexibleTimeWindow\":{"
		  "\"Mode\":\"FLEXIBLE\",\"MaximumWindowInMinutes\":15}," TARGET("job") "}"),
	      "FLEXIBLE 15 minutes");
	tick_at(T0 + 60 * MINUTE);
	is_int(started("flex", NULL), 0, "recorded at 01:00, not started");
	ok(strstr(status("flex"), "waiting: 1 fire") != NULL, "status: one fire waits");
	restart(); /* the delay is the recorded one, not a new pick */
	flex_delay = 1;
	tick_at(T0 + 66 * MINUTE);
	is_int(started("flex", NULL), 0, "not at 01:06");
	tick_at(T0 + 67 * MINUTE);
	is_int(started("flex", NULL), 1, "at 01:07, 7 minutes into its window");
	works(ecsfs_schedule_delete(sc, "prod", "flex", &err), "delete");
	flex_delay = -1;

	clock_ms = T0;
	works(put("dated", "{\"ScheduleExpression\":\"rate(1 minute)\","
			   "\"StartDate\":\"2026-03-07T00:10:00Z\",\"EndDate\":1772842320," TARGET(
			       "job") "}"),
	      "StartDate 00:10, EndDate 00:12 (epoch seconds)");
	ok(strstr(status("dated"), "next: 2026-03-07T00:10:00.000Z") != NULL,
	   "the first fire is StartDate");
	for (int m = 1; m <= 15; m++)
		tick_at(T0 + m * MINUTE);
	is_int(started("dated", NULL), 2, "fires at 00:10 and 00:11, none from EndDate on");
	works(ecsfs_schedule_delete(sc, "prod", "dated", &err), "delete");
}

/* The engine is gone while a fire comes due, or in the middle of one. */
static void test_restarts(void)
{
	clock_ms = T0;
	works(put("nightly", "{\"ScheduleExpression\":\"rate(10 minutes)\",\"Target\":{"
			     "\"EcsParameters\":{\"TaskDefinitionArn\":\"job\"},\"RetryPolicy\":{"
			     "\"MaximumEventAgeInSeconds\":300}}}"),
	      "rate(10 minutes), events kept 5 minutes");
	ecsfs_schedules_free(sc); /* down from 00:00 to 00:13 */
	clock_ms = T0 + 13 * MINUTE;
	engine_open();
	tick_at(T0 + 13 * MINUTE);
	is_int(started("nightly", NULL), 1, "the 00:10 fire runs late, once");
	ok(strstr(history("nightly"),
		  "2026-03-07T00:10:00.000Z 2026-03-07T00:13:00.000Z started") != NULL,
	   "history: scheduled 00:10, ran 00:13");
	ecsfs_schedules_free(sc); /* down from 00:13 to 00:43 */
	clock_ms = T0 + 43 * MINUTE;
	engine_open();
	tick_at(T0 + 43 * MINUTE);
	is_int(started("nightly", NULL), 2, "00:20 and 00:30 missed, 00:40 ran late");
	is_int(lines(history("nightly"), " missed: came due while the daemon was not running"), 2,
	       "two missed fires in history");

	/* killed after the fire was recorded, before its tasks started */
	ecsfs_fire_row f;
	ecsfs_fire_row_init(&f);
	f.due_ms = f.run_ms = T0 + 50 * MINUTE;
	is_int(ecsfs_store_fire_put(s, "prod", "nightly", &f), 0, "a fire recorded, not started");
	ecsfs_store_schedule_set_cursor(s, "prod", "nightly", T0 + 50 * MINUTE);
	restart();
	tick_at(T0 + 51 * MINUTE);
	is_int(started("nightly", NULL), 3, "it starts once after the restart");
	tick_at(T0 + 52 * MINUTE);
	is_int(started("nightly", NULL), 3, "and only once");

	/* killed after its tasks started, before the fire said so */
	f.due_ms = f.run_ms = T0 + 60 * MINUTE;
	is_int(ecsfs_store_fire_put(s, "prod", "nightly", &f), 0, "a fire recorded");
	ecsfs_store_schedule_set_cursor(s, "prod", "nightly", T0 + 60 * MINUTE);
	json_t *rq = json_pack("{s:s, s:s, s:s}", "taskDefinition", "job", "startedBy",
			       "schedule/nightly/1772845200000", "group", "schedule:nightly");
	ecsfs_task_launch l = {rq, NULL};
	json_t *ids = NULL;
	works(ecsfs_tasks_start(tasks, "prod", &l, &ids, &err), "its tasks started");
	restart();
	ok(strstr(history("nightly"),
		  "2026-03-07T01:00:00.000Z 2026-03-07T01:00:00.000Z started ") != NULL,
	   "after the restart the fire is known to have started");
	ok(strstr(history("nightly"), json_string_value(json_array_get(ids, 0))) != NULL,
	   "with the task that started");
	tick_at(T0 + 61 * MINUTE);
	is_int(started("nightly", NULL), 4, "no second start");
	json_decref(rq);
	json_decref(ids);
	ecsfs_fire_row_release(&f);
	works(ecsfs_schedule_delete(sc, "prod", "nightly", &err), "delete");
}

/* A day away with rate(1 minute): a history's worth of lines, not 1,440. */
static void test_long_outage(void)
{
	clock_ms = T0;
	works(put("minutely", "{\"ScheduleExpression\":\"rate(1 minute)\",\"Target\":{"
			      "\"EcsParameters\":{\"TaskDefinitionArn\":\"job\"},\"RetryPolicy\":{"
			      "\"MaximumEventAgeInSeconds\":60}}}"),
	      "rate(1 minute)");
	ecsfs_schedules_free(sc);
	clock_ms = T0 + 1440 * MINUTE + 30000;
	engine_open();
	tick_at(clock_ms);
	is_int(started("minutely", NULL), 1, "only the young fire runs");
	int n = lines(history("minutely"), "\n");
	ok(n >= 2 && n <= ECSFS_SCHEDULE_HISTORY, "history holds %d lines", n);
	ok(strstr(history("minutely"), "so did every fire after it until") != NULL,
	   "the rest are said in one line");
	works(ecsfs_schedule_delete(sc, "prod", "minutely", &err), "delete");
}

static void test_overrides_and_describe(void)
{
	ecsfs_buf id = ECSFS_BUF_INIT;
	json_t *o = NULL, *task = NULL;
	clock_ms = T0;
	works(put("etl",
		  "{\"ScheduleExpression\":\"rate(1 minute)\",\"Description\":\"nightly "
		  "ETL\",\"Target\":{\"EcsParameters\":{\"TaskDefinitionArn\":\"job\","
		  "\"TaskCount\":2,\"Group\":\"etl\"},\"Input\":\"{\\\"containerOverrides\\\":"
		  "[{\\\"name\\\":\\\"app\\\",\\\"command\\\":[\\\"echo\\\",\\\"hi\\\"]}]}\"}}"),
	      "TaskCount 2, a group, overrides in Input");
	tick_at(T0 + MINUTE);
	is_int(started("etl", &id), 2, "two tasks");
	ecsfs_tasks_describe(tasks, "prod", id.data, &task);
	char *text = json_dumps(task, JSON_COMPACT);
	ok(text && strstr(text, "\"group\":\"etl\""), "the group is Group");
	ok(text && strstr(text, "\"command\":[\"echo\",\"hi\"]"), "the override reached the task");
	free(text);
	works(ecsfs_schedule_describe(sc, "prod", "etl", &o), "GetSchedule");
	is_str(json_string_value(json_object_get(o, "Arn")),
	       "arn:aws:scheduler:us-east-1:000000000000:schedule/default/etl", "Arn");
	is_str(json_string_value(json_object_get(o, "State")), "ENABLED", "State defaults");
	is_str(json_string_value(json_object_get(json_object_get(o, "Target"), "Arn")),
	       "arn:aws:ecs:us-east-1:000000000000:cluster/prod", "Target.Arn is the cluster");
	ok(json_object_get(o, "CreationDate") != NULL, "CreationDate");
	json_t *again = json_deep_copy(o);
	ecsfs_err_reset(&err);
	works(ecsfs_schedule_put(sc, "prod", "etl", again, NULL, &err),
	      "GetSchedule's output applies again");
	json_decref(again);
	json_decref(o);
	json_decref(task);
	works(ecsfs_schedule_delete(sc, "prod", "etl", &err), "delete");
	fails(ecsfs_schedule_delete(sc, "prod", "etl", &err), -ENOENT, ECSFS_E_RESOURCE_NOT_FOUND,
	      "delete again");
	ecsfs_buf_release(&id);
}

/* A cluster deleted with its spec tree (as DeleteCluster may) takes its
 * schedules along before they fire into nothing. */
static void test_orphan(void)
{
	json_t *d =
	    json_loads("{\"ScheduleExpression\":\"rate(1 minute)\"," TARGET("job") "}", 0, NULL);
	clock_ms = T0;
	works(ecsfs_cluster_create(s, "tmp", &err), "a second cluster");
	works(ecsfs_schedule_put(sc, "tmp", "x", d, NULL, &err), "a schedule in it");
	is_int(ecsfs_store_cluster_delete(s, "tmp"), 0, "the cluster goes behind its back");
	tick_at(T0 + 2 * MINUTE);
	is_int(ecsfs_schedule_exists(sc, "tmp", "x"), -ENOENT,
	       "its schedule goes at its next fire");
	is_int(ecsfs_store_schedule_get(s, "tmp", "x", NULL), -ENOENT, "with its rows");
	json_decref(d);
}

static void test_more(void)
{
	test_orphan();
	test_retry();
	test_flexible_and_dates();
	test_restarts();
	test_long_outage();
	test_overrides_and_describe();
}

#endif
