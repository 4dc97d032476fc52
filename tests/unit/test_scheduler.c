/* The scheduler at scale: which services a pass looks at (only those whose
 * inputs changed, or that are not steady; all of them when kicked), on the
 * fake runtime. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "fake_harness.h"
#include "service_probe.h"

static ecsfs_store *s;
static ecsfs_runtime *rt;
static ecsfs_tasks *tasks;
static ecsfs_services *sv;
static uv_loop_t loop;
static char dir[] = "/tmp/ecsfs-test-scheduler-XXXXXX";
static ecsfs_err err = ECSFS_ERR_INIT;

static void never(uv_timer_t *t)
{
	(void)t;
}

static void put(const char *name, const char *text)
{
	ecsfs_file_meta meta = {.kind = ECSFS_FILE_SPEC, .mode = 0644, .mtime_ns = 1};
	ecsfs_spec_bytes file = {.data = text, .len = strlen(text), .meta = &meta};
	json_t *doc = json_loads(text, 0, NULL);

	ecsfs_err_reset(&err);
	if (ecsfs_service_put(sv, "prod", name, doc, &file, &err) < 0)
		printf("# put %s: %s\n", name, err.msg.data);
	json_decref(doc);
}

/* Looks taken by what is due on the loop now (and the engine's answers). */
static uint64_t looks_now(void)
{
	uint64_t before = ecsfs_services_looks(sv);
	uv_run(&loop, UV_RUN_NOWAIT);
	harness_settle_tasks(rt, tasks);
	return ecsfs_services_looks(sv) - before;
}

/* Looks taken by the scheduler's own next tick (the loop waits for it: the
 * keep-alive timer is much further away). */
static uint64_t looks_on_tick(void)
{
	uint64_t before = ecsfs_services_looks(sv);
	uv_run(&loop, UV_RUN_ONCE);
	return ecsfs_services_looks(sv) - before;
}

static int live_cb(void *data, const ecsfs_task_info *in)
{
	if (!in->desired_running || strcmp(in->group, "service:a") != 0)
		return 0;
	snprintf(data, 33, "%s", in->id);
	return 1;
}

static void check_steady_not_looked_at(void)
{
	harness_settle_services(&loop, rt, tasks, sv, 30);
	ok(probe_status_has(sv, "prod", "a", "running_count: 1"), "a runs its task");
	ok(probe_events_have(s, "prod", "c", "has reached a steady state"), "c is steady");
	is_int(looks_on_tick(), 0, "a tick looks at no steady service");
	is_int(looks_on_tick(), 0, "nor the next one");
}

static void check_touched(void)
{
	char id[33] = "";

	ecsfs_tasks_foreach(tasks, "prod", NULL, live_cb, id);
	is_int(ecsfs_tasks_stop(tasks, "prod", id, "go", 2, &err), 0, "a task of a stops");
	ok(looks_now() == 1, "the pass its change causes looks at a alone");
	harness_settle_services(&loop, rt, tasks, sv, 30);
	ok(probe_status_has(sv, "prod", "a", "running_count: 1"), "a replaced it");
	is_int(looks_on_tick(), 0, "then a is quiet again");
	is_int(ecsfs_service_set_desired(sv, "prod", "b", 2, &err), 0, "b scales to 2");
	is_int(looks_now(), 1, "the write looks at b alone");
	harness_settle_services(&loop, rt, tasks, sv, 30);
	ok(probe_status_has(sv, "prod", "b", "running_count: 2"), "b runs 2");
}

static void check_kick_and_waiting(void)
{
	ecsfs_services_kick(sv);
	is_int(looks_now(), 3, "a kick looks at every service");
	put("w", "{\"taskDefinition\":\"nope\",\"desiredCount\":1}");
	is_int(looks_now(), 1, "a new service is looked at");
	ok(probe_status_has(sv, "prod", "w", "state: waiting"), "w waits for its family");
	is_int(looks_on_tick(), 1, "a service that is not steady is looked at on each tick");
	is_int(ecsfs_service_set_desired(sv, "prod", "b", 3, &err), 0, "b scales to 3");
	is_int(looks_now(), 1,
	       "the pass b's change causes looks at b alone: w, not steady, waits for the tick");
	ok(looks_on_tick() >= 1 && probe_status_has(sv, "prod", "w", "state: waiting"),
	   "the tick looks at w again");
}

int main(void)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	uv_timer_t keep;

	harness_open_fake(dir, &loop, &s, &rt);
	uv_timer_init(&loop, &keep);
	uv_timer_start(&keep, never, 1000000000, 0);
	is_int(ecsfs_tasks_new(&loop, s, rt, dir, &tasks, &why), 0, "tasks open");
	is_int(ecsfs_services_new(&loop, s, tasks, &sv), 0, "services open");
	ecsfs_services_set_stable(sv, 0);
	harness_register(s, "web",
			 "{\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"busybox\","
			 "\"memory\":64}]}");
	put("a", "{\"taskDefinition\":\"web\",\"desiredCount\":1}");
	put("b", "{\"taskDefinition\":\"web\",\"desiredCount\":1}");
	put("c", "{\"taskDefinition\":\"web\",\"desiredCount\":0}");

	check_steady_not_looked_at();
	check_touched();
	check_kick_and_waiting();

	ecsfs_services_free(sv);
	uv_run(&loop, UV_RUN_NOWAIT);
	ecsfs_tasks_free(tasks);
	uv_close((uv_handle_t *)&keep, NULL);
	harness_close_fake(dir, &loop, s, rt);
	ecsfs_buf_release(&why);
	ecsfs_err_release(&err);
	return tap_done();
}
