/*
 * Defects found in review (issue 17), each kept from coming back: a stop
 * that is not recorded leaves the task as it was (desiredStatus, stopCode
 * and stoppedReason); a forgotten task's row is deleted once; a service's
 * view of its tasks keeps the 128 characters of startedBy RunTask allows;
 * the store's name lists survive strdup failing. And two of its limits:
 * descriptors per task, the errors journal's rate. Faults come from the
 * store's own file (a trigger made through a second connection) and from
 * a strdup this program puts in front of libc's.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "ecsfs/secret.h"
#include "fake_harness.h"
#include "model/service_private.h"

static ecsfs_store *s;
static ecsfs_runtime *rt;
static ecsfs_tasks *tasks;
static ecsfs_services *sv;
static uv_loop_t loop;
static char dir[] = "/tmp/ecsfs-test-review-XXXXXX";
static ecsfs_err err = ECSFS_ERR_INIT;
static int strdup_fails; /* the next calls of strdup that fail */

/* Every strdup of this program (libc's is behind it) fails while asked. */
char *strdup(const char *p)
{
	size_t n = strlen(p) + 1;
	char *d;

	if (strdup_fails > 0) {
		strdup_fails--;
		return NULL;
	}
	if ((d = malloc(n)))
		memcpy(d, p, n);
	return d;
}

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

static long long sql_int(const char *text)
{
	char path[128];
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;

	snprintf(path, sizeof(path), "%s/state.db", dir);
	if (sqlite3_open(path, &db) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, text, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return v;
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

static bool describe_has(const char *id, const char *key)
{
	json_t *j = NULL;
	bool has = ecsfs_tasks_describe(tasks, "prod", id, &j) == 0 && json_object_get(j, key);
	json_decref(j);
	return has;
}

static const char *desired_of(const char *id, char out[16])
{
	json_t *j = NULL;
	out[0] = '\0';
	if (ecsfs_tasks_describe(tasks, "prod", id, &j) == 0)
		snprintf(out, 16, "%s",
			 json_string_value(json_object_get(j, "desiredStatus")) ?: "");
	json_decref(j);
	return out;
}

static void check_stop_not_recorded(void)
{
	char id[33] = "", d[16];

	is_int(run("web", id), 0, "a task runs");
	harness_settle_tasks(rt, tasks);
	sql("CREATE TRIGGER no_write BEFORE INSERT ON tasks BEGIN SELECT RAISE(ABORT, 'disk "
	    "says no'); END");
	ok(ecsfs_tasks_stop(tasks, "prod", id, "bye", 3, &err) < 0,
	   "a stop the store refuses fails");
	is_str(desired_of(id, d), "RUNNING", "desiredStatus is RUNNING again");
	ok(!describe_has(id, "stopCode"), "no stopCode is left behind");
	ok(!describe_has(id, "stoppedReason"), "no stoppedReason either");
	sql("DROP TRIGGER no_write");
	is_int(ecsfs_tasks_stop(tasks, "prod", id, "bye", 3, &err), 0, "then the stop is recorded");
	ok(describe_has(id, "stoppedReason"), "with its reason");
	harness_settle_tasks(rt, tasks);
}

static void check_forget_deletes_once(void)
{
	ecsfs_buf why = ECSFS_BUF_INIT;

	/* every task is STOPPED now; make them all very old */
	ecsfs_services_free(sv);
	uv_run(&loop, UV_RUN_NOWAIT);
	ecsfs_tasks_free(tasks);
	sql("CREATE TABLE deletes (n INTEGER); INSERT INTO deletes VALUES (0);"
	    "CREATE TRIGGER count_deletes AFTER DELETE ON tasks BEGIN "
	    "UPDATE deletes SET n = n + 1; END;"
	    "UPDATE tasks SET state = json_set(state, '$.stopped', 1), stopped_ns = 1");
	long long rows = sql_int("SELECT count(*) FROM tasks");
	is_int(ecsfs_tasks_new(&loop, s, rt, dir, &tasks, &why), 0, "tasks open again");
	is_int(ecsfs_services_new(&loop, s, tasks, &sv), 0, "services open again");
	ecsfs_tasks_sweep(tasks);
	ok(rows > 0 && sql_int("SELECT count(*) FROM tasks") == 0, "expired tasks are forgotten");
	is_int(sql_int("SELECT n FROM deletes"), rows, "each row deleted once (%lld)", rows);
	sql("DROP TRIGGER count_deletes; DROP TABLE deletes");
	ecsfs_buf_release(&why);
}

static void check_started_by_128(void)
{
	char by[129], req[300], id[33];
	ecsfs__svc_tasks l;

	memset(by, 'b', 128);
	by[128] = '\0';
	snprintf(req, sizeof(req),
		 "{\"taskDefinition\":\"web\",\"group\":\"service:api\",\"startedBy\":\"%s\"}", by);
	is_int(run(req, id), 0, "RunTask takes a startedBy of 128 characters");
	ecsfs__service_collect(sv, "prod", "api", &l);
	ok(l.n == 1 && strcmp(l.v[0].started_by, by) == 0, "the service's view keeps all 128");
	free(l.v);
}

/* Limits: tasks that would hold more descriptors than are left are refused
 * with a reason, and a service says so in its events. */
static void check_fd_budget(void)
{
	ecsfs_buf ids = ECSFS_BUF_INIT, why = ECSFS_BUF_INIT;
	char id[33];

	ecsfs_tasks_set_fd_budget(tasks, 2 * 5 + 5); /* the api task and two more */
	is_int(run("web 2", id), 0, "two more one-container tasks fit (5 descriptors each)");
	is_int(ecsfs_tasks_run(tasks, "prod", "web", 3, &ids, &why), -EAGAIN,
	       "a fourth is refused (EAGAIN)");
	ok(strstr(why.data, "would hold 5 more file descriptors"), "saying why: %s", why.data);
	is_int(ecsfs_tasks_stop(tasks, "prod", id, "room", 4, &err), 0, "one stops");
	harness_settle_tasks(rt, tasks);
	is_int(run("web", NULL), 0, "then one fits again");
	ecsfs_tasks_set_fd_budget(tasks, 0);
	ecsfs_buf_release(&ids);
	ecsfs_buf_release(&why);
}

static uint64_t errors_size(void)
{
	uint64_t size = 0;
	int64_t mtime;
	ecsfs_store_journal_stat(s, "errors", &size, &mtime);
	return size;
}

static void check_errors_rate(void)
{
	static const char a[] = "{\"time\":\"t\",\"path\":\"/x\",\"errno\":\"EINVAL\","
				"\"message\":\"no\"}";
	static const char b[] = "{\"time\":\"t\",\"path\":\"/y\",\"errno\":\"EINVAL\","
				"\"message\":\"no\"}";
	ecsfs_buf all = ECSFS_BUF_INIT;
	uint64_t before = errors_size();
	int bad = 0, lines = 0;

	for (int i = 0; i < 1000; i++)
		bad += ecsfs_store_error_append(s, a) < 0;
	is_int(bad, 0, "1,000 identical refusals in a row are taken");
	is_int(ecsfs_store_error_append(s, b), 0, "then another one");
	ecsfs_store_journal_read(s, "errors", before, 1 << 20, &all);
	for (size_t i = 0; i < all.len; i++)
		lines += all.data[i] == '\n';
	/* a second's burst is written (a slow disk may see more than one second) */
	ok(lines >= ECSFS_ERRORS_BURST + 2 && lines < 500, "far fewer lines than refusals (%d)",
	   lines);
	ok(strstr(all.data, "\"repeated\":"), "a summary counts those not written");
	ok(strstr(all.data, "\"path\":\"/y\""), "the other refusal is written");
	ecsfs_buf_release(&all);
}

/* Caps: clusters (ECS's 10,000) and secrets, with LimitExceeded ENOSPC. */
static void check_caps(void)
{
	char sql_text[300];

	snprintf(sql_text, sizeof(sql_text),
		 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d) "
		 "INSERT INTO clusters (name, created_ns) SELECT 'c' || i, 1 FROM n",
		 ECSFS_CLUSTERS_MAX);
	sql(sql_text);
	ecsfs_err_reset(&err);
	is_int(ecsfs_cluster_create(s, "onemore", &err), -ENOSPC, "cluster 10,001 is refused");
	is_int(err.kind, ECSFS_E_LIMIT_EXCEEDED, "as LimitExceeded");
	ok(strstr(err.msg.data, "the limit is 10000"), "saying so: %s", err.msg.data);
	sql("DELETE FROM clusters WHERE name GLOB 'c[0-9]*'");
	snprintf(sql_text, sizeof(sql_text),
		 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d) "
		 "INSERT INTO secrets (name, value, updated_ns) SELECT 's' || i, 'v', 1 FROM n",
		 ECSFS_SECRETS_MAX);
	sql(sql_text);
	is_int(ecsfs_secret_put(s, "another", "x", 1, &err), -ENOSPC, "a new secret past the cap");
	is_int(ecsfs_secret_put(s, "s1", "y", 1, &err), 0, "replacing one still works");
	sql("DELETE FROM secrets");
}

static int name_cb(void *data, const char *name)
{
	(*(int *)data)++;
	return 0;
}

static void check_strdup_fails(void)
{
	int n = 0;

	is_int(ecsfs_cluster_create(s, "more", &err), 0, "a second cluster");
	strdup_fails = 1;
	int r = ecsfs_store_cluster_list(s, name_cb, &n);
	strdup_fails = 0;
	is_int(r, -ENOMEM, "a list whose strdup fails says ENOMEM (no crash)");
	n = 0;
	is_int(ecsfs_store_cluster_list(s, name_cb, &n), 0, "and lists again once memory is back");
	is_int(n, 2, "both clusters");
}

int main(void)
{
	ecsfs_buf why = ECSFS_BUF_INIT;

	harness_open_fake(dir, &loop, &s, &rt);
	is_int(ecsfs_tasks_new(&loop, s, rt, dir, &tasks, &why), 0, "tasks open");
	is_int(ecsfs_services_new(&loop, s, tasks, &sv), 0, "services open");
	harness_register(s, "web",
			 "{\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"busybox\","
			 "\"memory\":64}]}");

	check_stop_not_recorded();
	check_forget_deletes_once();
	check_started_by_128();
	check_strdup_fails();
	check_fd_budget();
	check_errors_rate();
	check_caps();

	ecsfs_services_free(sv);
	uv_run(&loop, UV_RUN_NOWAIT);
	ecsfs_tasks_free(tasks);
	harness_close_fake(dir, &loop, s, rt);
	ecsfs_buf_release(&why);
	ecsfs_err_release(&err);
	return tap_done();
}
