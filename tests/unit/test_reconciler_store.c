/*
 * The reconciler against what the engine and the store do to it (issue
 * 17): a container the engine is removing already (dockerd's 409 "removal
 * of container ... is already in progress", or a 404 once it is gone) is
 * no task failure, and the task is STOPPED once the engine's removal is
 * over; a task's change and its event line are one transaction, so a
 * store that refuses the line keeps the change off the disk too. Faults
 * come from the fake runtime and from a trigger made on the state file
 * through a second connection.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "fake_harness.h"

static ecsfs_store *s;
static ecsfs_runtime *rt;
static ecsfs_tasks *tasks;
static uv_loop_t loop;
static char dir[] = "/tmp/ecsfs-test-reconciler-store-XXXXXX";
static ecsfs_err err = ECSFS_ERR_INIT;

/* SQL on the state file through a connection of its own. */
static void sql(const char *text)
{
	char path[128];
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/state.db", dir);
	if (sqlite3_open(path, &db) != SQLITE_OK || sqlite3_exec(db, text, 0, 0, 0) != SQLITE_OK)
		printf("# sql: %s\n", sqlite3_errmsg(db));
	sqlite3_close(db);
}

/* The task's row as the disk has it: its "last" state ("" without one). */
static const char *stored_last(const char *id, char out[32])
{
	char path[128];
	sqlite3 *db;
	sqlite3_stmt *st;

	out[0] = '\0';
	snprintf(path, sizeof(path), "%s/state.db", dir);
	if (sqlite3_open(path, &db) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT json_extract(state, '$.last') FROM tasks WHERE id = ?1",
			       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
			snprintf(out, 32, "%s", (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return out;
}

static int run(const char *text, char *id)
{
	ecsfs_buf ids = ECSFS_BUF_INIT, why = ECSFS_BUF_INIT;
	int r = ecsfs_tasks_run(tasks, "prod", text, strlen(text), &ids, &why);

	if (r < 0)
		printf("# run: %s\n", why.data);
	if (r == 0 && id)
		snprintf(id, 33, "%.32s", ids.data);
	ecsfs_buf_release(&ids);
	ecsfs_buf_release(&why);
	return r;
}

/* A field of the task's describe shape ("" without it). */
static const char *task_str(const char *id, const char *key, char *out, size_t n)
{
	json_t *j = NULL;

	out[0] = '\0';
	if (ecsfs_tasks_describe(tasks, "prod", id, &j) == 0)
		snprintf(out, n, "%s", json_string_value(json_object_get(j, key)) ?: "");
	json_decref(j);
	return out;
}

static const char *last(const char *id)
{
	static char b[32];
	return task_str(id, "lastStatus", b, sizeof(b));
}

/* How many lines of cluster prod's events hold `text`. */
static int events_with(const char *text)
{
	ecsfs_buf all = ECSFS_BUF_INIT;
	int n = 0;

	if (ecsfs_store_journal_read(s, "cluster/prod", 0, 1 << 20, &all) == 0)
		for (const char *p = all.data; p && (p = strstr(p, text)); p += strlen(text))
			n++;
	ecsfs_buf_release(&all);
	return n;
}

/* Settle, and again for `ms` of the monotonic clock (the reconciler's
 * retries come due meanwhile). */
static void settle_for(int ms)
{
	int64_t end = ecsfs_mono_ns() + (int64_t)ms * 1000000;

	harness_settle_tasks(rt, tasks);
	while (ecsfs_mono_ns() < end)
		if (usleep(20000) == 0)
			harness_settle_tasks(rt, tasks);
}

/* The engine removes a task's container itself while the task stops. */
static void check_removal_in_progress(void)
{
	char id[33] = "", line[128], code[64], reason[128];
	const char *app;

	is_int(run("web", id), 0, "a task runs");
	harness_settle_tasks(rt, tasks);
	is_str(last(id), "RUNNING", "it is RUNNING");
	app = ecsfs_fake_runtime_find(rt, id, "app");
	ok(app != NULL, "its container is in the engine");
	is_int(ecsfs_fake_runtime_set_removing(rt, app), 0,
	       "the engine is removing that container already");
	ecsfs_err_reset(&err);
	is_int(ecsfs_tasks_stop(tasks, "prod", id, "", 0, &err), 0, "the task is stopped");
	/* past one retry (2 s): every removal it asks for meets the 409 */
	settle_for(2500);
	is_str(last(id), "DEPROVISIONING", "while the engine removes, the task waits");
	is_str(task_str(id, "stopCode", code, sizeof(code)), "UserInitiated",
	       "its stopCode is still the stop's, no failure");
	is_str(task_str(id, "stoppedReason", reason, sizeof(reason)), "Task stopped by user",
	       "and so is its stoppedReason");
	is_int(ecsfs_fake_runtime_destroy(rt, app), 0, "the engine's removal is over");
	/* the destroy event, not the next retry (2 s away), brings the look */
	harness_settle_tasks(rt, tasks);
	is_str(last(id), "STOPPED", "at its destroy event the task is STOPPED");
	is_str(task_str(id, "stoppedReason", reason, sizeof(reason)), "Task stopped by user",
	       "with the stop's reason");
	snprintf(line, sizeof(line), "(task %s) stopped: Task stopped by user.", id);
	is_int(events_with(line), 1, "one event line says so");
	is_int((int)ecsfs_fake_runtime_count(rt, false), 0, "nothing of it is left in the engine");
}

/* The container goes while the task stops: the engine answers 404 to what
 * the reconciler asks next (inspect, removal); that is done, not failed. */
static void check_removal_gone(void)
{
	char id[33] = "", reason[128];
	const char *app;

	is_int(run("web", id), 0, "another task runs");
	harness_settle_tasks(rt, tasks);
	app = ecsfs_fake_runtime_find(rt, id, "app");
	ecsfs_err_reset(&err);
	is_int(ecsfs_tasks_stop(tasks, "prod", id, "bye", 3, &err), 0, "it is stopped");
	is_str(last(id), "STOPPING", "it is STOPPING");
	is_int(app ? ecsfs_fake_runtime_destroy(rt, app) : -ENOENT, 0,
	       "the engine takes its container away meanwhile");
	harness_settle_tasks(rt, tasks);
	is_str(last(id), "STOPPED", "a container already gone counts as removed");
	is_str(task_str(id, "stoppedReason", reason, sizeof(reason)), "bye",
	       "the task keeps the stop's reason");
}

/* A store that refuses the event line refuses the change with it. */
static void check_event_same_transaction(void)
{
	char id[33] = "", st[32], line[128];

	sql("CREATE TRIGGER no_running BEFORE INSERT ON journal "
	    "WHEN CAST(NEW.line AS TEXT) LIKE '%is RUNNING.%' "
	    "BEGIN SELECT RAISE(ABORT, 'disk says no'); END");
	is_int(run("web", id), 0, "a task runs while the store refuses its RUNNING line");
	harness_settle_tasks(rt, tasks);
	is_str(last(id), "RUNNING", "in memory it is RUNNING");
	snprintf(line, sizeof(line), "(task %s) is RUNNING.", id);
	is_int(events_with(line), 0, "no event line was written");
	ok(strcmp(stored_last(id, st), "RUNNING") != 0,
	   "and the disk does not say RUNNING either (it says %s)", st);
	sql("DROP TRIGGER no_running");
	ecsfs_err_reset(&err);
	is_int(ecsfs_tasks_stop(tasks, "prod", id, "", 0, &err), 0, "the next change is recorded");
	harness_settle_tasks(rt, tasks);
	is_str(stored_last(id, st), "STOPPED", "the disk has all of it again");
	snprintf(line, sizeof(line), "(task %s) stopped: Task stopped by user.", id);
	is_int(events_with(line), 1, "with its event line");
}

int main(void)
{
	ecsfs_buf why = ECSFS_BUF_INIT;

	harness_open_fake(dir, &loop, &s, &rt);
	is_int(ecsfs_tasks_new(&loop, s, rt, dir, &tasks, &why), 0, "tasks open");
	harness_register(s, "web",
			 "{\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"busybox\","
			 "\"memory\":64}]}");

	check_removal_in_progress();
	check_removal_gone();
	check_event_same_transaction();

	ecsfs_tasks_free(tasks);
	harness_close_fake(dir, &loop, s, rt);
	ecsfs_buf_release(&why);
	ecsfs_err_release(&err);
	return tap_done();
}
