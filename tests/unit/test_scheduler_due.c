/* Which services a change of a family's revisions makes the scheduler look
 * at: those whose state names the family, not every service (a GitOps
 * apply registers hundreds of families one after another). */
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
static char dir[] = "/tmp/ecsfs-test-scheduler-due-XXXXXX";
static ecsfs_err err = ECSFS_ERR_INIT;

#define WEB  "{\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"busybox\",\"memory\":64}]}"
#define WEB2 "{\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"busybox\",\"memory\":32}]}"

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

static void check_register(void)
{
	harness_register(s, "api", WEB2);
	is_int(looks_now(), 1, "a new revision of api looks at the service that follows api alone");
	harness_settle_services(&loop, rt, tasks, sv, 30);
	ok(probe_status_has(sv, "prod", "d", "PRIMARY api:2 COMPLETED, 1 running"),
	   "d rolled to api:2");
	harness_register(s, "web", WEB2);
	is_int(looks_now(), 2, "one of web looks at its two services");
	harness_settle_services(&loop, rt, tasks, sv, 30);
	ok(probe_status_has(sv, "prod", "a", "PRIMARY web:2 COMPLETED, 1 running"),
	   "a rolled to web:2");
	ok(probe_status_has(sv, "prod", "b", "PRIMARY web:2 COMPLETED, 1 running"),
	   "b rolled to web:2");
	harness_register(s, "other", WEB);
	is_int(looks_now(), 0, "a family no service names looks at none");
}

static void check_waiting_and_deregister(void)
{
	put("w", "{\"taskDefinition\":\"later\",\"desiredCount\":1}");
	harness_settle_services(&loop, rt, tasks, sv, 30);
	ok(probe_status_has(sv, "prod", "w", "state: waiting"), "w waits for its family");
	harness_register(s, "later", WEB);
	ok(looks_now() >= 1, "its family's registration looks at w");
	harness_settle_services(&loop, rt, tasks, sv, 30);
	ok(probe_status_has(sv, "prod", "w", "running_count: 1"), "w runs once it came");
	is_int(ecsfs_taskdef_deregister_family(s, "other", &err), 0, "other is deregistered");
	is_int(looks_now(), 0, "which no service names: no look");
	is_int(ecsfs_taskdef_deregister(s, "api", 1, NULL, &err), 0, "api:1 is deregistered");
	is_int(looks_now(), 1, "which d's state names: d is looked at");
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
	harness_register(s, "web", WEB);
	harness_register(s, "api", WEB);
	put("a", "{\"taskDefinition\":\"web\",\"desiredCount\":1}");
	put("b", "{\"taskDefinition\":\"web\",\"desiredCount\":1}");
	put("d", "{\"taskDefinition\":\"api\",\"desiredCount\":1}");
	harness_settle_services(&loop, rt, tasks, sv, 30);
	ok(probe_status_has(sv, "prod", "d", "running_count: 1"), "d runs its task");

	check_register();
	check_waiting_and_deregister();

	ecsfs_services_free(sv);
	uv_run(&loop, UV_RUN_NOWAIT);
	ecsfs_tasks_free(tasks);
	uv_close((uv_handle_t *)&keep, NULL);
	harness_close_fake(dir, &loop, s, rt);
	ecsfs_buf_release(&why);
	ecsfs_err_release(&err);
	return tap_done();
}
