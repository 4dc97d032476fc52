/* The service scheduler, on the task subsystem and the fake runtime. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "ecsfs/cluster.h"
#include "ecsfs/service.h"
#include "ecsfs/task.h"
#include "ecsfs/taskdef.h"
#include "ecsfs/util.h"
#include "fake/fake_runtime.h"
#include "fake_harness.h"
#include "service_probe.h"
#include "tap.h"

static ecsfs_store *s;
static ecsfs_runtime *rt;
static ecsfs_tasks *tasks;
static ecsfs_services *sv;
static uv_loop_t loop;
static char dir[] = "/tmp/ecsfs-test-service-XXXXXX";
static long long min_running_seen = 1 << 30;
static ecsfs_err err = ECSFS_ERR_INIT;
static int64_t desired = -1;
static char b[128];

static void never(uv_timer_t *t)
{
	(void)t;
}

static void reg(const char *family, const char *doc)
{
	harness_register(s, family, doc);
}

static long long stat_num(const char *name, const char *key)
{
	return probe_stat_num(sv, "prod", name, key);
}

static bool status_has(const char *name, const char *text)
{
	return probe_status_has(sv, "prod", name, text);
}

static bool events_have(const char *name, const char *text)
{
	return probe_events_have(s, "prod", name, text);
}

/* Let the scheduler and the engine go round until nothing moves, noting
 * the fewest RUNNING tasks of `watch` seen along the way. */
static void settle(const char *watch)
{
	for (int i = 0; i < 60; i++) {
		int n = harness_services_round(&loop, rt, tasks, sv);
		if (watch) {
			long long r = stat_num(watch, "running_count");
			if (r >= 0 && r < min_running_seen)
				min_running_seen = r;
		}
		if (n == 0 && i > 3)
			break;
	}
}

/* What a spec file's write does: the bytes parsed, then one operation. */
static int apply(const char *name, const char *text, ecsfs_err *e)
{
	ecsfs_file_meta meta = {.kind = ECSFS_FILE_SPEC, .mode = 0644, .mtime_ns = 1};
	ecsfs_spec_bytes file = {.data = text, .len = strlen(text), .meta = &meta};
	json_t *doc = json_loads(text, JSON_DECODE_ANY, NULL);
	int r;

	ecsfs_err_reset(e);
	r = ecsfs_service_put(sv, "prod", name, doc, &file, e);
	json_decref(doc);
	return r;
}

typedef struct ids {
	char v[64][33];
	int n;
} ids;

static ids l; /* the tasks a section looked at, for the next one */

static int ids_cb(void *data, const char *id)
{
	ids *into = data;
	if (into->n < 64)
		snprintf(into->v[into->n++], 33, "%s", id);
	return 0;
}

static void open_all(void)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	is_int(ecsfs_tasks_new(&loop, s, rt, dir, &tasks, &why), 0, "tasks open");
	is_int(ecsfs_services_new(&loop, s, tasks, &sv), 0, "services open");
	ecsfs_services_set_stable(sv, 0);
	ecsfs_buf_release(&why);
}

static void close_all(void)
{
	ecsfs_services_free(sv);
	uv_run(&loop, UV_RUN_NOWAIT); /* the timer's close callback */
	ecsfs_tasks_free(tasks);
}

static const char *task_of(const char *id, char *out, size_t n)
{
	ecsfs_buf st = ECSFS_BUF_INIT;
	const char *p;
	out[0] = '\0';
	if (ecsfs_tasks_status(tasks, "prod", id, NULL, &st) == 0 &&
	    (p = strstr(st.data, "task_definition: ")))
		snprintf(out, n, "%.*s", (int)strcspn(p + 17, "\n"), p + 17);
	ecsfs_buf_release(&st);
	return out;
}

/* Order independence: the family comes after the service */
static void check_order(void)
{
	is_int(apply("web", "{\"taskDefinition\":\"web\",\"desiredCount\":3}", &err), 0,
	       "service before its family (%s)", err.msg.data);
	settle(NULL);
	ok(status_has("web", "state: waiting"), "status says it waits");
	ok(events_have("web", "is waiting for task definition web"), "and so do events");
	is_int(stat_num("web", "running_count"), 0, "nothing runs");
	reg("web", "{\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"busybox\","
		   "\"memory\":64}]}");
	settle(NULL);
	is_int(stat_num("web", "running_count"), 3, "3 RUNNING once web:1 exists");
	ok(events_have("web", "has started 3 tasks: (task "), "started event");
	ok(events_have("web", "has reached a steady state."), "steady state event");
}

/* Replacement */
static void check_replacement(void)
{
	memset(&l, 0, sizeof(l));
	ecsfs_service_tasks(sv, "prod", "web", ids_cb, &l);
	is_int(l.n, 3, "3 task links");
	ecsfs_fake_runtime_exit(rt, ecsfs_fake_runtime_find(rt, l.v[0], "app"), 1);
	settle(NULL);
	is_int(stat_num("web", "running_count"), 3, "a task that exits is replaced");
	ecsfs_fake_runtime_destroy(rt, ecsfs_fake_runtime_find(rt, l.v[1], "app"));
	settle(NULL);
	is_int(stat_num("web", "running_count"), 3, "one removed behind its back too");
}

/* Scale out and in: newest-started first */
static void check_scale(void)
{
	is_int(ecsfs_service_set_desired(sv, "prod", "web", 5, &err), 0, "scale to 5");
	settle(NULL);
	is_int(stat_num("web", "running_count"), 5, "5 RUNNING");
	memset(&l, 0, sizeof(l));
	ecsfs_service_tasks(sv, "prod", "web", ids_cb, &l); /* oldest first */
	is_int(ecsfs_service_set_desired(sv, "prod", "web", 2, &err), 0, "scale to 2");
	settle(NULL);
	is_int(stat_num("web", "running_count"), 2, "2 RUNNING");
	{
		ids left = {0};
		ecsfs_service_tasks(sv, "prod", "web", ids_cb, &left);
		ok(left.n == 2 && strcmp(left.v[0], l.v[0]) == 0 && strcmp(left.v[1], l.v[1]) == 0,
		   "the two oldest are kept");
	}
	ok(events_have("web", "is scaling in to 2: stopping 3 tasks, newest-started first."),
	   "scale-in event");
	ecsfs_service_get_desired(s, "prod", "web", &desired);
	is_int(desired, 2, "desired_count reads back");
	{
		ecsfs_buf spec = ECSFS_BUF_INIT;
		ecsfs_store_file_get(s, "/spec/clusters/prod/services", "web.json", NULL, &spec);
		ok(strstr(spec.data, "\"desiredCount\": 2") != NULL,
		   "the spec file is rewritten with the new value");
		ecsfs_buf_release(&spec);
	}
}

/* Bad values change nothing */
static void check_bad_values(void)
{
	const int64_t bad[] = {-1, 1001, 100000000000, INT64_MAX, INT64_MIN};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		is_int(ecsfs_service_set_desired(sv, "prod", "web", bad[i], &err), -EINVAL,
		       "bad desired_count #%zu is EINVAL", i);
		is_int(ecsfs_err_kind_of(&err), ECSFS_E_INVALID_PARAMETER, "an InvalidParameter");
	}
	is_int(ecsfs_service_check_desired(12, &err), 0, "12 is fine");
	is_int(ecsfs_service_check_desired(1000, &err), 0, "1000 is the limit");
	is_int(ecsfs_service_check_taskdef(s, "nosuch", &err), -ENOENT,
	       "task_definition of an unknown family: ENOENT");
	is_int(ecsfs_service_check_taskdef(s, "web:7", &err), -ENOENT,
	       "of an unknown revision: ENOENT");
	const char *badspec[] = {"{\"desiredCount\":\"3\"}",
				 "{\"desiredCount\":-1}",
				 "{\"taskDefinition\":5}",
				 "{\"deploymentConfiguration\":{\"maximumPercent\":\"x\"}}",
				 "{\"desiredCaunt\":1}",
				 "{\"serviceName\":\"other\"}",
				 "[1]"};
	for (size_t i = 0; i < sizeof(badspec) / sizeof(badspec[0]); i++)
		is_int(apply("web", badspec[i], &err), -EINVAL, "spec %s is EINVAL: %s", badspec[i],
		       err.msg.data);
	settle(NULL);
	is_int(stat_num("web", "running_count"), 2, "still 2 RUNNING after the refusals");
}

/* Rolling deployment within 100/200 */
static void check_rollout(void)
{
	is_int(ecsfs_service_set_desired(sv, "prod", "web", 4, &err), 0, "scale to 4");
	settle(NULL);
	reg("web", "{\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"busybox\","
		   "\"memory\":96}]}");
	min_running_seen = 1 << 30;
	settle("web");
	is_int(stat_num("web", "running_count"), 4, "4 RUNNING after the rollout");
	ok(min_running_seen >= 4, "never fewer than 4 RUNNING during it (saw %lld)",
	   min_running_seen);
	memset(&l, 0, sizeof(l));
	ecsfs_service_tasks(sv, "prod", "web", ids_cb, &l);
	{
		int on2 = 0;
		for (int i = 0; i < l.n; i++)
			on2 += strcmp(task_of(l.v[i], b, sizeof(b)), "web:2") == 0;
		is_int(on2, 4, "every task runs web:2");
	}
	ok(status_has("web", "PRIMARY web:2 COMPLETED"), "the deployment COMPLETED");
	ok(!status_has("web", "ACTIVE web:1"), "the old one is gone");
}

/* Redeploy */
static void check_redeploy(void)
{
	is_int(ecsfs_service_redeploy(sv, "prod", "web", &err), 0, "redeploy");
	settle(NULL);
	{
		ids now = {0};
		int same = 0;
		ecsfs_service_tasks(sv, "prod", "web", ids_cb, &now);
		for (int i = 0; i < now.n; i++)
			for (int j = 0; j < l.n; j++)
				same += strcmp(now.v[i], l.v[j]) == 0;
		is_int(now.n, 4, "4 tasks after the redeploy");
		is_int(same, 0, "all of them new");
	}
}

/* Circuit breaker with rollback */
static void check_breaker(void)
{
	is_int(apply("web",
		     "{\"taskDefinition\":\"web\",\"desiredCount\":4,\"deploymentConfiguration\":"
		     "{\"deploymentCircuitBreaker\":{\"enable\":true,\"rollback\":true}}}",
		     &err),
	       0, "enable the circuit breaker");
	settle(NULL);
	reg("web", "{\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"missing:1\","
		   "\"memory\":96}]}");
	settle(NULL);
	ok(events_have("web", "deployment failed: tasks failed to start"), "the deployment FAILED");
	ok(events_have("web", "rolling back to task definition web:2"), "and rolls back to web:2");
	is_int(stat_num("web", "running_count"), 4, "4 RUNNING again");
	memset(&l, 0, sizeof(l));
	ecsfs_service_tasks(sv, "prod", "web", ids_cb, &l);
	{
		int on2 = 0;
		for (int i = 0; i < l.n; i++)
			on2 += strcmp(task_of(l.v[i], b, sizeof(b)), "web:2") == 0;
		is_int(on2, 4, "on web:2");
	}
	settle(NULL);
	is_int(stat_num("web", "pending_count"), 0, "nothing pending: web:3 is not retried");
}

/* Restart: nothing duplicated */
static void check_restart(void)
{
	{
		size_t before = ecsfs_fake_runtime_count(rt, false);
		close_all();
		open_all();
		settle(NULL);
		is_int(ecsfs_fake_runtime_count(rt, false), before,
		       "same containers after a restart");
		is_int(stat_num("web", "running_count"), 4, "4 RUNNING");
	}
}

/* Delete: EBUSY while it runs, DRAINING, then gone */
static void check_delete(void)
{
	is_int(ecsfs_service_delete(sv, "prod", "web", false, &err), -EBUSY,
	       "rmdir with desiredCount 4: EBUSY");
	is_int(ecsfs_cluster_delete(s, "prod", false, &err), -EBUSY, "the cluster is busy too");
	is_int(ecsfs_service_delete(sv, "prod", "web", true, &err), 0, "delete --force");
	ok(status_has("web", "status: DRAINING"), "DRAINING");
	settle(NULL);
	is_int(ecsfs_service_exists(s, "prod", "web"), -ENOENT, "gone once its tasks stopped");
	is_int(ecsfs_fake_runtime_count(rt, false), 0, "no container left");
}

/* Mkdir: desiredCount 0, no task definition */
static void check_mkdir(void)
{
	is_int(ecsfs_service_create(sv, "prod", "api", &err), 0, "mkdir creates");
	is_int(ecsfs_service_create(sv, "prod", "api", &err), -EEXIST, "twice: EEXIST");
	ok(status_has("api", "state: no task definition"), "it has no task definition");
	is_int(ecsfs_service_set_taskdef(sv, "prod", "api", "web:2", &err), 0,
	       "task_definition web:2");
	is_int(ecsfs_service_set_desired(sv, "prod", "api", 300, &err), 0, "desired 300");
	settle(NULL);
	is_int(stat_num("api", "running_count"), 300, "300 RUNNING");
	is_int(ecsfs_service_set_desired(sv, "prod", "api", 0, &err), 0, "desired 0");
	settle(NULL);
	is_int(stat_num("api", "running_count"), 0, "0 RUNNING");
	is_int(ecsfs_service_exists(s, "prod", "api"), 0, "desiredCount 0 keeps the service");
	is_int(ecsfs_service_delete(sv, "prod", "api", false, &err), 0, "rmdir at 0");
}

int main(void)
{
	ecsfs_buf why = ECSFS_BUF_INIT;

	harness_open_fake(dir, &loop, &s, &rt);
	/* the scheduler's timer does not keep a loop alive; this one does, so
	 * uv_run(UV_RUN_NOWAIT) runs what is due */
	uv_timer_t keep;
	uv_timer_init(&loop, &keep);
	uv_timer_start(&keep, never, 1000000000, 0);
	open_all();

	check_order();
	check_replacement();
	check_scale();
	check_bad_values();
	check_rollout();
	check_redeploy();
	check_breaker();
	check_restart();
	check_delete();
	check_mkdir();

	close_all();
	uv_close((uv_handle_t *)&keep, NULL);
	harness_close_fake(dir, &loop, s, rt);
	ecsfs_buf_release(&why);
	ecsfs_err_release(&err);
	return tap_done();
}
