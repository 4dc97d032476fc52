/* What the API tests of tasks and services share: a store, the fake
 * runtime, the task and service subsystems, and calls through
 * ecsfs__api_dispatch() as the HTTP listener makes them. */
#ifndef ECSFS_TEST_API_TASK_HARNESS_H
#define ECSFS_TEST_API_TASK_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "api_private.h"
#include "ecsfs/cluster.h"
#include "ecsfs/service.h"
#include "ecsfs/task.h"
#include "ecsfs/taskdef.h"
#include "ecsfs/util.h"
#include "fake/fake_runtime.h"
#include "fake_harness.h"
#include "tap.h"

static ecsfs_store *s;
static ecsfs_runtime *rt;
static ecsfs_tasks *tasks;
static ecsfs_services *sv;
static uv_loop_t loop;
static uv_timer_t keep;
static ecsfs_api_core core;
static int last_status;

HARNESS void harness_never(uv_timer_t *t)
{
	(void)t;
}

HARNESS void harness_open(char *dir)
{
	ecsfs_buf why = ECSFS_BUF_INIT;

	harness_open_fake(dir, &loop, &s, &rt);
	/* the scheduler's timer does not keep a loop alive; this one does */
	uv_timer_init(&loop, &keep);
	uv_timer_start(&keep, harness_never, 1000000000, 0);
	is_int(ecsfs_tasks_new(&loop, s, rt, dir, &tasks, &why), 0, "tasks open");
	is_int(ecsfs_services_new(&loop, s, tasks, &sv), 0, "services open");
	ecsfs_services_set_stable(sv, 0);
	core = (ecsfs_api_core){
	    .loop = &loop, .store = s, .rt = rt, .tasks = tasks, .services = sv, .state_dir = dir};
	ecsfs_buf_release(&why);
}

/* The daemon restarts: the subsystems go and come back on the same store. */
HARNESS void harness_restart(char *dir)
{
	ecsfs_buf why = ECSFS_BUF_INIT;

	ecsfs_services_free(sv);
	uv_run(&loop, UV_RUN_NOWAIT);
	ecsfs_tasks_free(tasks);
	is_int(ecsfs_tasks_new(&loop, s, rt, dir, &tasks, &why), 0, "tasks open again");
	is_int(ecsfs_services_new(&loop, s, tasks, &sv), 0, "services open again");
	ecsfs_services_set_stable(sv, 0);
	core.tasks = tasks;
	core.services = sv;
	ecsfs_buf_release(&why);
}

HARNESS void harness_close(char *dir)
{
	ecsfs_services_free(sv);
	uv_run(&loop, UV_RUN_NOWAIT);
	ecsfs_tasks_free(tasks);
	uv_close((uv_handle_t *)&keep, NULL);
	harness_close_fake(dir, &loop, s, rt);
}

/* Let the scheduler and the engine go round until nothing moves. */
HARNESS void settle(void)
{
	harness_settle_services(&loop, rt, tasks, sv, 80);
}

/* One ECS request: the reply's object (caller decrefs); its status in
 * last_status. */
HARNESS json_t *call(const char *op, const char *body)
{
	char target[128];
	ecsfs__api_reply r;
	json_t *j;

	snprintf(target, sizeof(target), "AmazonEC2ContainerServiceV20141113.%s", op);
	ecsfs__api_reply_init(&r);
	ecsfs__api_dispatch(&core, target, body, strlen(body), &r);
	last_status = r.status;
	j = json_loadb(r.body.data ? r.body.data : "", r.body.len, 0, NULL);
	if (!j) {
		printf("# %s: a reply that is not JSON: %s\n", op, r.body.data);
		j = json_object();
	}
	if (r.status != 200)
		printf("# %s: %d %s\n", op, r.status, r.body.data);
	ecsfs__api_reply_release(&r);
	return j;
}

/* The exception a failed call gave ("" when it did not fail). */
HARNESS const char *type_of(json_t *reply)
{
	return json_string_value(json_object_get(reply, "__type")) ?: "";
}

HARNESS const char *str_at(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key)) ?: "";
}

HARNESS long long int_at(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

HARNESS void reg(const char *family, const char *doc)
{
	harness_register(s, family, doc);
}

#endif
