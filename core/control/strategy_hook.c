/*
 * ecsfs — lifecycle hooks of a strategy deployment
 * (deploymentConfiguration.lifecycleHooks). A hook whose hookTargetArn
 * names a task definition runs it as a standalone task of the service's
 * cluster at each stage it lists, with the stage, the service and the
 * deployment in its containers' environment; exit 0 of every container is
 * SUCCEEDED, anything else FAILED, which rolls the deployment back. Other
 * targets (Lambda functions) have no local meaning: they are kept, shown
 * and skipped.
 *
 * Each run is written in the deployment's strategy object ("hooks":
 * {stage: [{target, task, status, reason}]}); its task is started with
 * startedBy "hook/<deployment digits>/<stage>/<index>", so after a restart
 * an already started task is found again instead of started twice.
 */
#include <stdio.h>
#include <string.h>

#include "control/scheduler_private.h"
#include "ecsfs/arn.h"
#include "ecsfs/taskdef.h"

static const char *sstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static bool lists(const json_t *hook, const char *stage)
{
	json_t *s;
	size_t i;

	json_array_foreach(json_object_get(hook, "lifecycleStages"), i, s)
		if (strcmp(json_string_value(s) ?: "", stage) == 0)
			return true;
	return false;
}

static const char *digits(const char *id)
{
	const char *slash = strrchr(id, '/');
	return slash ? slash + 1 : id;
}

typedef struct found {
	const char *by;
	char id[33];
} found;

static int find_cb(void *data, const ecsfs_task_info *t)
{
	found *f = data;
	if (strcmp(t->started_by, f->by) == 0)
		snprintf(f->id, sizeof(f->id), "%s", t->id);
	return 0;
}

/* The environment every container of the hook's task gets. */
static json_t *env_of(const ecsfs__look *k, const char *stage)
{
	json_t *svc = ecsfs_arn_json("ecs", "service/%s/%s", k->cluster, k->name);
	json_t *dep = ecsfs_arn_json("ecs", "service-deployment/%s/%s/%s", k->cluster, k->name,
				     digits(ecsfs__dstr(k->p, "id")));

	return json_pack("[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}, {s:s, s:o}, {s:s, s:o}]", "name",
			 "ECS_LIFECYCLE_STAGE", "value", stage, "name", "ECS_CLUSTER", "value",
			 k->cluster, "name", "ECS_SERVICE", "value", k->name, "name",
			 "ECS_SERVICE_ARN", "value", svc, "name", "ECS_SERVICE_DEPLOYMENT_ARN",
			 "value", dep);
}

static json_t *hook_request(const ecsfs__look *k, const char *family, int64_t rev,
			    const char *stage, const char *by)
{
	json_t *td = NULL, *ctr, *over = json_array();
	char ref[300], group[300];
	size_t i;

	if (ecsfs_taskdef_describe(k->s, family, rev, &td, NULL) == 0)
		json_array_foreach(json_object_get(td, "containerDefinitions"), i, ctr)
			json_array_append_new(over, json_pack("{s:O, s:o}", "name",
							      json_object_get(ctr, "name"),
							      "environment", env_of(k, stage)));
	json_decref(td);
	snprintf(ref, sizeof(ref), "%s:%lld", family, (long long)rev);
	snprintf(group, sizeof(group), "hook:%s", k->name);
	return json_pack("{s:s, s:i, s:s, s:s, s:{s:o}}", "taskDefinition", ref, "count", 1,
			 "startedBy", by, "group", group, "overrides", "containerOverrides", over);
}

/* Start hook `hook` (the i-th) for `stage`, or find the task it started. */
static json_t *start_hook(ecsfs__look *k, const json_t *hook, size_t i, const char *stage)
{
	const char *target = sstr(hook, "hookTargetArn");
	ecsfs_err err = ECSFS_ERR_INIT;
	ecsfs_buf why = ECSFS_BUF_INIT;
	char family[256], by[128], group[300];
	json_t *run = json_pack("{s:s}", "target", target), *req, *ids = NULL;
	found f = {.by = by};
	int64_t rev;

	if (ecsfs_taskdef_parse_ref(target, family, &rev, &why) < 0) {
		json_object_set_new(run, "status", json_string("SKIPPED"));
		json_object_set_new(run, "reason", json_string("no local meaning"));
		ecsfs_buf_release(&why);
		return run;
	}
	ecsfs_buf_release(&why);
	if (ecsfs__service_resolve_ref(k->s, target, family, &rev) < 0) {
		json_object_set_new(run, "status", json_string("FAILED"));
		json_object_set_new(run, "reason",
				    json_sprintf("task definition %s is not registered", target));
		return run;
	}
	snprintf(by, sizeof(by), "hook/%s/%.60s/%zu", digits(ecsfs__dstr(k->p, "id")), stage, i);
	snprintf(group, sizeof(group), "hook:%s", k->name);
	ecsfs_tasks_foreach(k->sv->tasks, k->cluster, group, find_cb, &f);
	if (!f.id[0]) {
		ecsfs_task_launch l = {.request = req = hook_request(k, family, rev, stage, by)};
		if (ecsfs_tasks_start(k->sv->tasks, k->cluster, &l, &ids, &err) == 0)
			snprintf(f.id, sizeof(f.id), "%s",
				 json_string_value(json_array_get(ids, 0)) ?: "");
		json_decref(req);
		json_decref(ids);
	}
	json_object_set_new(run, "status", json_string(f.id[0] ? "IN_PROGRESS" : "FAILED"));
	if (f.id[0])
		json_object_set_new(run, "task", json_string(f.id));
	else
		json_object_set_new(run, "reason", json_string(err.msg.data));
	ecsfs_err_release(&err);
	return run;
}

/* A hook's task that stopped: SUCCEEDED when every container exited 0. */
static void observe_run(ecsfs__look *k, json_t *run)
{
	json_t *t = NULL, *c;
	size_t i;
	long long bad = 0;
	bool failed = false;

	if (ecsfs_tasks_describe(k->sv->tasks, k->cluster, sstr(run, "task"), &t) < 0) {
		json_object_set_new(run, "status", json_string("FAILED"));
		json_object_set_new(run, "reason", json_string("its task is gone"));
		return;
	}
	if (strcmp(sstr(t, "lastStatus") ?: "", "STOPPED") == 0) {
		json_array_foreach(json_object_get(t, "containers"), i, c) {
			json_t *code = json_object_get(c, "exitCode");
			if (!json_is_integer(code) || json_integer_value(code) != 0) {
				failed = true;
				bad = json_is_integer(code) ? json_integer_value(code) : -1;
			}
		}
		json_object_set_new(run, "status", json_string(failed ? "FAILED" : "SUCCEEDED"));
		if (failed)
			json_object_set_new(run, "reason", json_sprintf("exit %lld", bad));
	}
	json_decref(t);
}

/* Say a hook's end in events. */
static void say(ecsfs__look *k, const char *stage, json_t *run)
{
	const char *task = sstr(run, "task"), *reason = sstr(run, "reason");

	ecsfs__service_event(
	    k->s, k->cluster, k->name, "(deployment %s) lifecycle hook %s at %s: %s%s%s%s%s%s.",
	    ecsfs__dstr(k->p, "id"), sstr(run, "target"), stage, sstr(run, "status"),
	    task ? " (task " : "", task ?: "", task ? ")" : "", reason ? ", " : "", reason ?: "");
	json_object_set_new(run, "said", json_true());
}

static json_t *runs_of(json_t *st, const char *stage)
{
	json_t *hooks = json_object_get(st, "hooks");

	if (!hooks) {
		hooks = json_object();
		json_object_set_new(st, "hooks", hooks);
	}
	return json_object_get(hooks, stage);
}

int ecsfs__strategy_hooks(ecsfs__look *k, json_t *st, const char *stage, ecsfs_buf *why)
{
	json_t *hooks = json_object_get(
	    json_object_get(ecsfs__service_spec(k->state), "deploymentConfiguration"),
	    "lifecycleHooks");
	json_t *runs = runs_of(st, stage), *hook, *run;
	size_t i;
	int pending = 0;

	if (!runs) {
		runs = json_array();
		json_array_foreach(hooks, i, hook)
			if (lists(hook, stage) && k->sv->tasks)
				json_array_append_new(runs, start_hook(k, hook, i, stage));
		if (json_array_size(runs) == 0) {
			json_decref(runs);
			return 0;
		}
		json_object_set_new(json_object_get(st, "hooks"), stage, runs);
		k->acted = true;
	}
	json_array_foreach(runs, i, run) {
		if (strcmp(sstr(run, "status"), "IN_PROGRESS") == 0)
			observe_run(k, run);
		if (strcmp(sstr(run, "status"), "IN_PROGRESS") != 0 &&
		    !json_object_get(run, "said"))
			say(k, stage, run);
		if (strcmp(sstr(run, "status"), "IN_PROGRESS") == 0)
			pending++;
		else if (strcmp(sstr(run, "status"), "FAILED") == 0 && !why->len)
			ecsfs_buf_addf(why, "lifecycle hook %s failed at %s (%s)",
				       sstr(run, "target"), stage, sstr(run, "reason") ?: "");
	}
	if (why->len)
		return -1;
	return pending > 0;
}
