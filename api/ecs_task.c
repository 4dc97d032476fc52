/*
 * ECS operations on tasks: RunTask, StopTask, DescribeTasks, ListTasks,
 * GetTaskProtection, UpdateTaskProtection. Each parses its request, calls
 * the task subsystem (include/ecsfs/task.h) and renders the answer; the
 * rules are core's, so `run` and `stop` in the tree give the same tasks.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "api_private.h"
#include "ecsfs/arn.h"
#include "ecsfs/cluster.h"
#include "ecsfs/instance.h"
#include "ecsfs/util.h"

#define DESCRIBE_MAX 100 /* tasks of one DescribeTasks (ECS's) */
#define PROTECT_MAX  10	 /* tasks of one UpdateTaskProtection (ECS's) */

static int no_engine(ecsfs_err *err)
{
	return ecsfs_err_set(err, ECSFS_E_SERVER, -EIO,
			     "no container engine is configured: tasks cannot run");
}

static int cluster_of(const ecsfs_api_core *c, const json_t *in, char cluster[256], ecsfs_err *err)
{
	int r = ecsfs__api_cluster(in, "cluster", cluster, err);

	if (r == 0)
		r = ecsfs_cluster_check(c->store, cluster, err);
	if (r == 0 && !c->tasks)
		r = no_engine(err);
	return r;
}

/* The task id a reference (an id or a task ARN) names, or NULL. */
static const char *task_id(const char *ref)
{
	const char *id = ecsfs__api_arn_id(ref, "task");
	return id && *id ? id : NULL;
}

/* describe-tasks' object of a task, timestamps as epoch seconds; with
 * tags false, without its tags (as ECS answers without include TAGS). */
static json_t *described(const ecsfs_api_core *c, const char *cluster, const char *id, bool tags)
{
	json_t *o = NULL;

	if (ecsfs_tasks_describe(c->tasks, cluster, id, &o) < 0)
		return NULL;
	if (!tags)
		json_object_del(o, "tags");
	ecsfs__api_epochs(o, NULL);
	return o;
}

static json_t *missing(const char *cluster, const char *ref)
{
	const char *id = task_id(ref);
	json_t *arn = id ? ecsfs_arn_json("ecs", "task/%s/%s", cluster, id) : json_string(ref);
	return json_pack("{s:o, s:s}", "arn", arn, "reason", "MISSING");
}

static int run_task(const ecsfs_api_core *c, const json_t *in, json_t **out, ecsfs_err *err)
{
	char cluster[256];
	json_t *req, *ids = NULL, *tasks, *id, *failures = NULL;
	ecsfs_task_launch l = {0};
	size_t i;
	int r;

	if ((r = cluster_of(c, in, cluster, err)) < 0)
		return r;
	req = json_deep_copy(in);
	json_object_del(req, "cluster");
	l.request = req;
	r = ecsfs_tasks_start_placed(c->tasks, cluster, &l, &ids, &failures, err);
	json_decref(req);
	if (r < 0)
		return r;
	tasks = json_array();
	json_array_foreach(ids, i, id) {
		json_t *o = described(c, cluster, json_string_value(id), true);
		if (o)
			json_array_append_new(tasks, o);
	}
	json_decref(ids);
	*out =
	    json_pack("{s:o, s:o}", "tasks", tasks, "failures", failures ? failures : json_array());
	return 0;
}

/* The cluster and task a request names: "task" an id or an ARN, whose
 * cluster stands for "cluster" when that is absent. */
static int task_ref(const ecsfs_api_core *c, const json_t *in, char cluster[256], const char **id,
		    ecsfs_err *err)
{
	const char *ref = NULL, *res;
	int r;

	if ((r = ecsfs__api_str(in, "task", true, &ref, err)) < 0)
		return r;
	if (!(*id = task_id(ref)))
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "task: %s is not a task id or ARN", ref);
	res = ecsfs_arn_resource(ref, "ecs");
	if (!json_object_get(in, "cluster") && res && strchr(res + 5, '/')) {
		snprintf(cluster, 256, "%.*s", (int)(strchr(res + 5, '/') - (res + 5)), res + 5);
		if ((r = ecsfs_cluster_check(c->store, cluster, err)) < 0)
			return r;
		return c->tasks ? 0 : no_engine(err);
	}
	return cluster_of(c, in, cluster, err);
}

static int stop_task(const ecsfs_api_core *c, const json_t *in, json_t **out, ecsfs_err *err)
{
	char cluster[256];
	const char *id = NULL, *reason = "";
	json_t *o;
	int r;

	if ((r = task_ref(c, in, cluster, &id, err)) < 0 ||
	    (r = ecsfs__api_str(in, "reason", false, &reason, err)) < 0)
		return r;
	r = ecsfs_tasks_stop(c->tasks, cluster, id, reason, strlen(reason), err);
	/* StopTask of a task already stopping answers with it, as ECS does */
	if (r < 0 && r != -EALREADY)
		return r;
	if (!(o = described(c, cluster, id, true)))
		return ecsfs_err_set(err, ECSFS_E_CLIENT, -ENOENT, "no task %s", id);
	*out = json_pack("{s:o}", "task", o);
	return 0;
}

/* Does the request's `include` hold `what` ("TAGS")? */
static int includes(const json_t *in, const char *what, bool *yes, ecsfs_err *err)
{
	const json_t *inc = NULL, *v;
	size_t i;
	int r = ecsfs__api_strs(in, "include", false, &inc, err);

	*yes = false;
	json_array_foreach(inc, i, v)
		*yes = *yes || strcmp(json_string_value(v), what) == 0;
	return r;
}

static int describe_tasks(const ecsfs_api_core *c, const json_t *in, json_t **out, ecsfs_err *err)
{
	char cluster[256];
	const json_t *refs = NULL, *ref;
	json_t *tasks, *failures;
	bool tags;
	size_t i;
	int r;

	if ((r = cluster_of(c, in, cluster, err)) < 0 ||
	    (r = ecsfs__api_strs(in, "tasks", true, &refs, err)) < 0 ||
	    (r = includes(in, "TAGS", &tags, err)) < 0)
		return r;
	if (json_array_size(refs) > DESCRIBE_MAX)
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "tasks: at most %d at a time", DESCRIBE_MAX);
	tasks = json_array();
	failures = json_array();
	json_array_foreach(refs, i, ref) {
		const char *id = task_id(json_string_value(ref));
		json_t *o = id ? described(c, cluster, id, tags) : NULL;
		if (o)
			json_array_append_new(tasks, o);
		else
			json_array_append_new(failures, missing(cluster, json_string_value(ref)));
	}
	*out = json_pack("{s:o, s:o}", "tasks", tasks, "failures", failures);
	return 0;
}

/* ---- ListTasks ---- */

typedef struct list_filter {
	const char *cluster;
	const char *family, *group, *started_by, *desired, *launch_type, *instance;
	json_t *arns;
} list_filter;

static int list_cb(void *data, const ecsfs_task_info *t)
{
	list_filter *f = data;
	bool stopped_wanted = strcmp(f->desired, "STOPPED") == 0;

	/* ECS never sets a task's desiredStatus to PENDING */
	if (strcmp(f->desired, "PENDING") == 0)
		return 0;
	if (f->instance && strcmp(t->instance, f->instance) != 0)
		return 0;
	if (t->desired_running == stopped_wanted)
		return 0;
	if ((f->family && strcmp(t->family, f->family) != 0) ||
	    (f->group && strcmp(t->group, f->group) != 0) ||
	    (f->started_by && strcmp(t->started_by, f->started_by) != 0) ||
	    (f->launch_type && strcmp(t->launch_type, f->launch_type) != 0))
		return 0;
	json_array_append_new(f->arns, ecsfs_arn_json("ecs", "task/%s/%s", f->cluster, t->id));
	return 0;
}

static int list_filters(const json_t *in, list_filter *f, const char **service, ecsfs_err *err)
{
	static const char *const states[] = {"RUNNING", "PENDING", "STOPPED", NULL};
	int r;
	size_t i;

	f->desired = "RUNNING";
	if ((r = ecsfs__api_str(in, "family", false, &f->family, err)) < 0 ||
	    (r = ecsfs__api_str(in, "serviceName", false, service, err)) < 0 ||
	    (r = ecsfs__api_str(in, "startedBy", false, &f->started_by, err)) < 0 ||
	    (r = ecsfs__api_str(in, "desiredStatus", false, &f->desired, err)) < 0 ||
	    (r = ecsfs__api_str(in, "launchType", false, &f->launch_type, err)) < 0 ||
	    (r = ecsfs__api_str(in, "containerInstance", false, &f->instance, err)) < 0)
		return r;
	for (i = 0; states[i] && strcmp(states[i], f->desired) != 0; i++)
		;
	if (!states[i])
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "desiredStatus must be RUNNING, PENDING or STOPPED");
	return 0;
}

static int list_tasks(const ecsfs_api_core *c, const json_t *in, json_t **out, ecsfs_err *err)
{
	char cluster[256], group[300];
	const char *service = NULL;
	list_filter f = {0};
	int r;

	if ((r = cluster_of(c, in, cluster, err)) < 0 ||
	    (r = list_filters(in, &f, &service, err)) < 0)
		return r;
	if (service) {
		const char *name = ecsfs__api_arn_id(service, "service");
		if (!name || ecsfs_service_exists(c->store, cluster, name) < 0)
			return ecsfs_err_set(err, ECSFS_E_SERVICE_NOT_FOUND, -ENOENT,
					     "no service %s in cluster %s", service, cluster);
		snprintf(group, sizeof(group), "service:%s", name);
		f.group = group;
	}
	if (f.instance) {
		/* an id or an ARN; one that names no instance of the cluster
		 * matches no task, as in ECS */
		const char *name = ecsfs_instance_ref(cluster, f.instance);
		f.instance = name ? name : "";
	}
	f.cluster = cluster;
	f.arns = json_array();
	ecsfs_tasks_foreach(c->tasks, cluster, NULL, list_cb, &f);
	*out = json_object();
	if ((r = ecsfs__api_page(f.arns, in, 100, 100, *out, "taskArns", err)) < 0) {
		json_decref(*out);
		*out = NULL;
	}
	return r;
}

/* ---- scale-in protection ---- */

static json_t *protected_task(const char *cluster, const char *id, int64_t until_ns)
{
	json_t *o =
	    json_pack("{s:o, s:b}", "taskArn", ecsfs_arn_json("ecs", "task/%s/%s", cluster, id),
		      "protectionEnabled", until_ns != 0);
	if (until_ns)
		json_object_set_new(o, "expirationDate", json_real((double)until_ns / 1e9));
	return o;
}

/* A task protection cannot be read or set on: MISSING, or TASK_NOT_VALID
 * (not a service's task, or stopping). */
static json_t *protect_failure(const char *cluster, const char *ref, const ecsfs_err *e)
{
	json_t *f = missing(cluster, ref);

	if (e->code != -ENOENT) {
		json_object_set_new(f, "reason", json_string("TASK_NOT_VALID"));
		json_object_set_new(f, "detail", json_string(e->msg.data ? e->msg.data : ""));
	}
	return f;
}

typedef struct protect_req {
	bool set, enabled;
	int64_t minutes;
} protect_req;

static void protect_one(const ecsfs_api_core *c, const char *cluster, const char *ref,
			const protect_req *q, json_t *done, json_t *failures)
{
	ecsfs_err e = ECSFS_ERR_INIT;
	const char *id = task_id(ref);
	int64_t until = 0;
	int r;

	if (!id)
		r = ecsfs_err_set(&e, ECSFS_E_CLIENT, -ENOENT, "no such task");
	else if (q->set)
		r = ecsfs_tasks_protect(c->tasks, cluster, id, q->enabled, q->minutes, &until, &e);
	else
		r = ecsfs_tasks_protection(c->tasks, cluster, id, &until, &e);
	if (r == 0)
		json_array_append_new(done, protected_task(cluster, id, until));
	else
		json_array_append_new(failures, protect_failure(cluster, ref, &e));
	ecsfs_err_release(&e);
}

/* Without a list: the tasks protection is for, a service's that run. */
static int service_task_ids(void *data, const ecsfs_task_info *t)
{
	if (t->desired_running && strncmp(t->group, "service:", 8) == 0)
		json_array_append_new(data, json_string(t->id));
	return 0;
}

static int protection(const ecsfs_api_core *c, const json_t *in, const protect_req *q, json_t **out,
		      ecsfs_err *err)
{
	char cluster[256];
	const json_t *refs = NULL, *ref;
	json_t *all = NULL, *done, *failures;
	size_t i;
	int r;

	if (!json_object_get(in, "cluster"))
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "cluster is required");
	if ((r = cluster_of(c, in, cluster, err)) < 0 ||
	    (r = ecsfs__api_strs(in, "tasks", q->set, &refs, err)) < 0)
		return r;
	if (json_array_size(refs) > (q->set ? PROTECT_MAX : DESCRIBE_MAX))
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "tasks: at most %d at a time",
				     q->set ? PROTECT_MAX : DESCRIBE_MAX);
	if (!refs) {
		all = json_array();
		ecsfs_tasks_foreach(c->tasks, cluster, NULL, service_task_ids, all);
		refs = all;
	}
	done = json_array();
	failures = json_array();
	json_array_foreach(refs, i, ref)
		protect_one(c, cluster, json_string_value(ref), q, done, failures);
	json_decref(all);
	*out = json_pack("{s:o, s:o}", "protectedTasks", done, "failures", failures);
	return 0;
}

static int get_task_protection(const ecsfs_api_core *c, const json_t *in, json_t **out,
			       ecsfs_err *err)
{
	protect_req q = {.set = false};
	return protection(c, in, &q, out, err);
}

static int update_task_protection(const ecsfs_api_core *c, const json_t *in, json_t **out,
				  ecsfs_err *err)
{
	protect_req q = {.set = true, .minutes = ECSFS_PROTECT_DEFAULT_MIN};
	int r;

	if (!json_object_get(in, "protectionEnabled"))
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "protectionEnabled is required");
	if ((r = ecsfs__api_bool(in, "protectionEnabled", &q.enabled, err)) < 0 ||
	    (r = ecsfs__api_int(in, "expiresInMinutes", false, &q.minutes, err)) < 0)
		return r;
	if ((r = ecsfs_tasks_protect_check(q.enabled, q.minutes, err)) < 0)
		return r;
	return protection(c, in, &q, out, err);
}

const ecsfs__api_op ecsfs__ecs_task_ops[] = {
    {"RunTask", run_task},
    {"StopTask", stop_task},
    {"DescribeTasks", describe_tasks},
    {"ListTasks", list_tasks},
    {"GetTaskProtection", get_task_protection},
    {"UpdateTaskProtection", update_task_protection},
    {NULL, NULL},
};
