/* The ECS task operations through the dispatcher, on the fake runtime:
 * RunTask, DescribeTasks, ListTasks, StopTask, Get/UpdateTaskProtection,
 * with AWS's shapes, defaults and errors, and the same tasks the tree shows. */
#include "api_task_harness.h"

static char dir[] = "/tmp/ecsfs-test-api-task-XXXXXX";
static char id1[33], id2[33];

static const char *task_id_of(json_t *task)
{
	const char *arn = str_at(task, "taskArn"), *slash = strrchr(arn, '/');
	return slash ? slash + 1 : arn;
}

static void run_task(void)
{
	json_t *r =
	    call("RunTask",
		 "{\"cluster\":\"prod\",\"taskDefinition\":\"web\",\"count\":2,"
		 "\"startedBy\":\"me\",\"launchType\":\"FARGATE\",\"enableExecuteCommand\":true,"
		 "\"networkConfiguration\":{\"awsvpcConfiguration\":{\"subnets\":[\"subnet-1\"]}},"
		 "\"tags\":[{\"key\":\"team\",\"value\":\"a\"}],\"propagateTags\":\"NONE\"}");
	json_t *made = json_object_get(r, "tasks"), *t = json_array_get(made, 0);

	is_int(last_status, 200, "RunTask answers 200");
	is_int(json_array_size(made), 2, "two tasks");
	is_int(json_array_size(json_object_get(r, "failures")), 0, "no failures");
	is_str(str_at(t, "lastStatus"), "PROVISIONING", "a new task is PROVISIONING");
	is_str(str_at(t, "desiredStatus"), "RUNNING", "desired RUNNING");
	is_str(str_at(t, "launchType"), "FARGATE", "launchType kept");
	is_str(str_at(t, "platformVersion"), "1.4.0", "a FARGATE task shows its platform");
	ok(json_is_true(json_object_get(t, "enableExecuteCommand")), "enableExecuteCommand kept");
	is_str(str_at(t, "startedBy"), "me", "startedBy");
	ok(json_is_number(json_object_get(t, "createdAt")), "createdAt is epoch seconds");
	is_str(str_at(json_array_get(json_object_get(t, "tags"), 0), "key"), "team", "its tags");
	ok(strncmp(str_at(t, "taskArn"), "arn:aws:ecs:us-east-1:000000000000:task/prod/", 45) == 0,
	   "an ECS task ARN");
	snprintf(id1, sizeof(id1), "%s", task_id_of(t));
	snprintf(id2, sizeof(id2), "%s", task_id_of(json_array_get(made, 1)));
	json_decref(r);
}

static void run_errors(void)
{
	static const struct {
		const char *body, *type;
	} bad[] = {
	    {"{\"cluster\":\"nope\",\"taskDefinition\":\"web\"}", "ClusterNotFoundException"},
	    {"{\"taskDefinition\":\"web\"}", "ClusterNotFoundException"}, /* "default" */
	    {"{\"cluster\":\"prod\",\"taskDefinition\":\"nosuch\"}", "ClientException"},
	    {"{\"cluster\":\"prod\",\"taskDefinition\":\"web\",\"count\":11}",
	     "InvalidParameterException"},
	    {"{\"cluster\":\"prod\"}", "InvalidParameterException"},
	    {"{\"cluster\":\"prod\",\"taskDefinition\":\"web\",\"count\":\"2\"}",
	     "InvalidParameterException"},
	    {"{\"cluster\":\"prod\",\"taskDefinition\":\"web\",\"launchType\":\"MOON\"}",
	     "InvalidParameterException"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *r = call("RunTask", bad[i].body);
		is_int(last_status, 400, "%s: 400", bad[i].body);
		is_str(type_of(r), bad[i].type, "%s: %s", bad[i].body, bad[i].type);
		json_decref(r);
	}
}

static void describe(void)
{
	char body[512];
	json_t *r, *t, *file = NULL;

	settle();
	snprintf(body, sizeof(body),
		 "{\"cluster\":\"prod\",\"tasks\":[\"%s\","
		 "\"arn:aws:ecs:us-east-1:000000000000:task/prod/%s\",\"0123\"]}",
		 id1, id2);
	r = call("DescribeTasks", body);
	is_int(json_array_size(json_object_get(r, "tasks")), 2, "both described, by id and ARN");
	t = json_array_get(json_object_get(r, "tasks"), 0);
	is_str(str_at(t, "lastStatus"), "RUNNING", "RUNNING once the engine ran it");
	ok(!json_object_get(t, "tags"), "no tags without include TAGS");
	is_str(str_at(json_array_get(json_object_get(r, "failures"), 0), "reason"), "MISSING",
	       "an unknown task is a MISSING failure");
	is_str(str_at(json_array_get(json_object_get(r, "failures"), 0), "arn"),
	       "arn:aws:ecs:us-east-1:000000000000:task/prod/0123", "named by its ARN");
	/* task.json of the tree is the same object, with RFC 3339 times */
	ecsfs_tasks_describe(tasks, "prod", id1, &file);
	ecsfs__api_epochs(file, NULL);
	json_object_del(file, "tags");
	ok(json_equal(file, t), "DescribeTasks shows what task.json shows");
	json_decref(file);
	json_decref(r);
	snprintf(body, sizeof(body),
		 "{\"cluster\":\"prod\",\"tasks\":[\"%s\"],\"include\":[\"TAGS\"]}", id1);
	r = call("DescribeTasks", body);
	t = json_array_get(json_object_get(r, "tasks"), 0);
	is_int(json_array_size(json_object_get(t, "tags")), 1, "include TAGS gives the tags");
	json_decref(r);
	r = call("DescribeTasks", "{\"cluster\":\"nope\",\"tasks\":[\"x\"]}");
	is_str(type_of(r), "ClusterNotFoundException", "an unknown cluster");
	json_decref(r);
}

static size_t listed(const char *body)
{
	json_t *r = call("ListTasks", body);
	size_t n = json_array_size(json_object_get(r, "taskArns"));
	json_decref(r);
	return n;
}

static void list(void)
{
	json_t *r, *r2;
	char body[256];

	is_int(listed("{\"cluster\":\"prod\"}"), 2, "ListTasks: RUNNING by default");
	is_int(listed("{\"cluster\":\"prod\",\"startedBy\":\"me\"}"), 2, "startedBy");
	is_int(listed("{\"cluster\":\"prod\",\"startedBy\":\"you\"}"), 0, "another startedBy");
	is_int(listed("{\"cluster\":\"prod\",\"family\":\"web\"}"), 2, "family");
	is_int(listed("{\"cluster\":\"prod\",\"family\":\"api\"}"), 0, "another family");
	is_int(listed("{\"cluster\":\"prod\",\"desiredStatus\":\"STOPPED\"}"), 0, "none STOPPED");
	is_int(listed("{\"cluster\":\"prod\",\"desiredStatus\":\"PENDING\"}"), 0, "none PENDING");
	is_int(listed("{\"cluster\":\"prod\",\"launchType\":\"FARGATE\"}"), 2, "launchType");
	is_int(listed("{\"cluster\":\"prod\",\"launchType\":\"EC2\"}"), 0, "another launchType");
	r = call("ListTasks", "{\"cluster\":\"prod\",\"maxResults\":1}");
	is_int(json_array_size(json_object_get(r, "taskArns")), 1, "maxResults 1: one");
	ok(json_is_string(json_object_get(r, "nextToken")), "and a nextToken");
	snprintf(body, sizeof(body), "{\"cluster\":\"prod\",\"maxResults\":1,\"nextToken\":\"%s\"}",
		 str_at(r, "nextToken"));
	r2 = call("ListTasks", body);
	is_int(json_array_size(json_object_get(r2, "taskArns")), 1, "the next page: the other");
	ok(!json_object_get(r2, "nextToken"), "and no more");
	ok(!json_equal(json_object_get(r, "taskArns"), json_object_get(r2, "taskArns")),
	   "pages differ");
	json_decref(r);
	json_decref(r2);
	r = call("ListTasks", "{\"cluster\":\"prod\",\"serviceName\":\"nope\"}");
	is_str(type_of(r), "ServiceNotFoundException", "serviceName of no service");
	json_decref(r);
	r = call("ListTasks", "{\"cluster\":\"prod\",\"desiredStatus\":\"GONE\"}");
	is_str(type_of(r), "InvalidParameterException", "a desiredStatus ECS lacks");
	json_decref(r);
}

static void stop(void)
{
	char body[256];
	json_t *r, *t;

	snprintf(body, sizeof(body),
		 "{\"cluster\":\"prod\",\"task\":\"%s\",\"reason\":\"deploying v2\"}", id1);
	r = call("StopTask", body);
	t = json_object_get(r, "task");
	is_int(last_status, 200, "StopTask");
	is_str(str_at(t, "desiredStatus"), "STOPPED", "desired STOPPED at once");
	is_str(str_at(t, "stoppedReason"), "deploying v2", "with the reason");
	is_str(str_at(t, "stopCode"), "UserInitiated", "UserInitiated");
	json_decref(r);
	settle();
	/* the task's ARN alone names its cluster */
	snprintf(body, sizeof(body),
		 "{\"task\":\"arn:aws:ecs:us-east-1:000000000000:task/prod/%s\"}", id1);
	r = call("StopTask", body);
	is_int(last_status, 200, "StopTask of a STOPPED task answers with it, as ECS does");
	is_str(str_at(json_object_get(r, "task"), "lastStatus"), "STOPPED", "STOPPED");
	json_decref(r);
	is_int(listed("{\"cluster\":\"prod\",\"desiredStatus\":\"STOPPED\"}"), 1, "one STOPPED");
	is_int(listed("{\"cluster\":\"prod\"}"), 1, "one RUNNING");
	r = call("StopTask", "{\"cluster\":\"prod\",\"task\":\"0123\"}");
	is_str(type_of(r), "ClientException", "an unknown task");
	json_decref(r);
}

static void protection(void)
{
	char body[256];
	json_t *r;

	snprintf(body, sizeof(body), "{\"cluster\":\"prod\",\"tasks\":[\"%s\"]}", id2);
	r = call("GetTaskProtection", body);
	is_str(str_at(json_array_get(json_object_get(r, "failures"), 0), "reason"),
	       "TASK_NOT_VALID", "a standalone task takes no protection");
	json_decref(r);
	snprintf(body, sizeof(body),
		 "{\"cluster\":\"prod\",\"tasks\":[\"%s\"],\"protectionEnabled\":true}", id2);
	r = call("UpdateTaskProtection", body);
	is_int(json_array_size(json_object_get(r, "failures")), 1, "nor can it be set");
	json_decref(r);
	r = call("UpdateTaskProtection", "{\"cluster\":\"prod\",\"tasks\":[\"x\"]}");
	is_str(type_of(r), "InvalidParameterException", "protectionEnabled is required");
	json_decref(r);
}

/* A cluster whose default capacity provider strategy is FARGATE runs a
 * task that names no launch type there, as ECS does. */
static void default_strategy(void)
{
	ecsfs_err err = ECSFS_ERR_INIT;
	json_t *doc = json_loads("{\"capacityProviders\":[\"FARGATE\"],"
				 "\"defaultCapacityProviderStrategy\":[{\"capacityProvider\":"
				 "\"FARGATE\",\"weight\":1}]}",
				 0, NULL);
	json_t *r, *t;

	is_int(ecsfs_cluster_create(s, "cp", &err), 0, "cluster cp");
	is_int(ecsfs_cluster_settings_put(s, "cp", doc, &err), 0, "with FARGATE as its default");
	r = call("RunTask", "{\"cluster\":\"cp\",\"taskDefinition\":\"web\"}");
	t = json_array_get(json_object_get(r, "tasks"), 0);
	is_str(str_at(t, "launchType"), "FARGATE", "a task naming no launch type runs on FARGATE");
	is_str(str_at(t, "capacityProviderName"), "FARGATE", "its capacityProviderName");
	json_decref(r);
	r = call("RunTask", "{\"cluster\":\"cp\",\"taskDefinition\":\"web\","
			    "\"launchType\":\"EC2\"}");
	t = json_array_get(json_object_get(r, "tasks"), 0);
	is_str(str_at(t, "launchType"), "EC2", "one naming EC2 runs on EC2");
	ok(!json_object_get(t, "capacityProviderName"), "without a capacity provider");
	json_decref(r);
	json_decref(doc);
	ecsfs_err_release(&err);
}

int main(void)
{
	harness_open(dir);
	reg("web", "{\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"busybox\","
		   "\"memory\":64}]}");
	run_task();
	run_errors();
	describe();
	list();
	stop();
	protection();
	default_strategy();
	harness_close(dir);
	return tap_done();
}
