/* Container instances through the dispatcher: ListContainerInstances (with
 * a cluster query filter, status and pages), DescribeContainerInstances
 * (the describe instance.json shows, failures MISSING),
 * UpdateContainerInstancesState (the state file's row), PutAttributes /
 * DeleteAttributes / ListAttributes (a registered instance's spec file
 * changes, local's row), DeregisterContainerInstance, and the errors in
 * ECS's names. The engines are fake runtimes. */
#include "api_task_harness.h"
#include "ecsfs/instance.h"

static char dir[] = "/tmp/ecsfs-test-api-instance-XXXXXX";
static ecsfs_instances *insts;
static ecsfs_runtime *made[4];
static size_t nmade;

#define ARN(name) "arn:aws:ecs:us-east-1:000000000000:container-instance/prod/" name

static int fake_engine(void *data, const char *endpoint, const char *ca, const char *cert,
		       const char *key, ecsfs_runtime **out, ecsfs_buf *why)
{
	(void)data, (void)endpoint, (void)ca, (void)cert, (void)key, (void)why;
	if (nmade == sizeof(made) / sizeof(made[0]) || !(*out = ecsfs_fake_runtime_new()))
		return -ENOMEM;
	made[nmade++] = *out;
	return 0;
}

static void flush_all(void)
{
	for (int round = 0; round < 5; round++) {
		ecsfs_fake_runtime_flush(rt);
		for (size_t i = 0; i < nmade; i++)
			ecsfs_fake_runtime_flush(made[i]);
		ecsfs_instances_sweep(insts);
	}
}

static void put_instance(const char *name, const char *text)
{
	ecsfs_err err = ECSFS_ERR_INIT;
	json_t *j = json_loads(text, 0, NULL);

	is_int(ecsfs_instance_put(insts, "prod", name, j, NULL, &err), 0, "instance %s registers",
	       name);
	json_decref(j);
	ecsfs_err_release(&err);
}

/* The spec file of instance `name`, as the tree serves it ("" if none). */
static void spec_file(const char *name, ecsfs_buf *out)
{
	ecsfs_file_meta meta;
	char fname[64];

	ecsfs_buf_reset(out);
	snprintf(fname, sizeof(fname), "%s.json", name);
	if (ecsfs_store_file_get(s, "/spec/clusters/prod/instances", fname, &meta, out) < 0)
		ecsfs_buf_reset(out);
	ecsfs_buf_adds(out, "");
}

static size_t count(json_t *r, const char *key)
{
	return json_array_size(json_object_get(r, key));
}

static const char *nth(json_t *r, const char *key, size_t i)
{
	return json_string_value(json_array_get(json_object_get(r, key), i)) ?: "";
}

/* The error a call answered: its exception and message (one line). */
static void fails(const char *op, const char *body, const char *type, const char *words)
{
	json_t *r = call(op, body);
	const char *m = str_at(r, "message");

	is_int(last_status, 400, "%s refused with 400", op);
	is_str(type_of(r), type, "... as %s", type);
	ok(strstr(m, words) != NULL, "... saying '%s' (%s)", words, m);
	json_decref(r);
}

static void list(void)
{
	json_t *r = call("ListContainerInstances", "{\"cluster\":\"prod\"}"), *page;

	is_int(count(r, "containerInstanceArns"), 3, "three instances");
	is_str(nth(r, "containerInstanceArns", 0), ARN("local"), "local first");
	is_str(nth(r, "containerInstanceArns", 1), ARN("e1"), "then by name");
	json_decref(r);

	r = call("ListContainerInstances",
		 "{\"cluster\":\"prod\",\"filter\":\"attribute:rack == a\"}");
	is_int(count(r, "containerInstanceArns"), 1, "the filter attribute:rack == a: one");
	is_str(nth(r, "containerInstanceArns", 0), ARN("e1"), "... e1");
	json_decref(r);

	r = call("ListContainerInstances",
		 "{\"cluster\":\"prod\",\"filter\":\"attribute:rack in [a, b] and not "
		 "ec2InstanceId == e2\"}");
	is_int(count(r, "containerInstanceArns"), 1, "in, and, not: e1 alone");
	json_decref(r);

	r = call("ListContainerInstances", "{\"cluster\":\"prod\",\"maxResults\":2}");
	is_int(count(r, "containerInstanceArns"), 2, "a page of 2");
	ok(json_is_string(json_object_get(r, "nextToken")), "with a nextToken");
	page = json_pack("{s:s, s:O}", "cluster", "prod", "nextToken",
			 json_object_get(r, "nextToken"));
	json_decref(r);
	{
		char *body = json_dumps(page, JSON_COMPACT);
		r = call("ListContainerInstances", body);
		free(body);
	}
	json_decref(page);
	is_int(count(r, "containerInstanceArns"), 1, "the next page: the last one");
	is_str(nth(r, "containerInstanceArns", 0), ARN("e2"), "... e2");
	ok(!json_object_get(r, "nextToken"), "and no token");
	json_decref(r);

	fails("ListContainerInstances", "{\"cluster\":\"prod\",\"filter\":\"attribute:rack ~ a\"}",
	      "InvalidParameterException", "filter: unknown operator at position 16");
	fails("ListContainerInstances", "{\"cluster\":\"prod\",\"status\":\"ASLEEP\"}",
	      "InvalidParameterException", "status: 'ASLEEP'");
	fails("ListContainerInstances", "{\"cluster\":\"ghost\"}", "ClusterNotFoundException",
	      "ghost");
	fails("ListContainerInstances", "{\"cluster\":\"prod\",\"maxResults\":101}",
	      "InvalidParameterException", "maxResults");
}

static void describe(void)
{
	json_t *r, *o, *file = NULL;

	r = call("DescribeContainerInstances",
		 "{\"cluster\":\"prod\",\"containerInstances\":[\"" ARN(
		     "e1") "\",\"local\","
			   "\"nope\",\"arn:aws:ecs:us-east-1:000000000000:task/prod/abc\"]}");
	is_int(count(r, "containerInstances"), 2, "an ARN and an id describe");
	is_int(count(r, "failures"), 2, "two failures");
	o = json_array_get(json_object_get(r, "failures"), 0);
	is_str(str_at(o, "arn"), ARN("nope"), "an unknown id: its ARN");
	is_str(str_at(o, "reason"), "MISSING", "... MISSING");
	is_str(str_at(json_array_get(json_object_get(r, "failures"), 1), "arn"),
	       "arn:aws:ecs:us-east-1:000000000000:task/prod/abc", "another kind's ARN: as given");
	o = json_array_get(json_object_get(r, "containerInstances"), 0);
	is_str(str_at(o, "containerInstanceArn"), ARN("e1"), "e1 first, as asked");
	ok(!json_object_get(o, "tags"), "no tags without include TAGS");
	ecsfs_instance_describe(insts, "prod", "e1", &file);
	json_object_del(file, "tags");
	ok(json_equal(o, file), "the same object as instance.json");
	json_decref(file);
	json_decref(r);

	r = call("DescribeContainerInstances",
		 "{\"containerInstances\":[\"e1\"],\"cluster\":\""
		 "prod\","
		 "\"include\":[\"TAGS\",\"CONTAINER_INSTANCE_HEALTH\"]}");
	o = json_array_get(json_object_get(r, "containerInstances"), 0);
	ok(json_is_array(json_object_get(o, "tags")), "include TAGS: tags");
	is_str(str_at(json_object_get(o, "healthStatus"), "overallStatus"), "OK",
	       "include CONTAINER_INSTANCE_HEALTH: OK while the engine answers");
	json_decref(r);

	fails("DescribeContainerInstances", "{\"cluster\":\"prod\"}", "InvalidParameterException",
	      "containerInstances is required");
	fails("DescribeContainerInstances",
	      "{\"cluster\":\"prod\",\"containerInstances\":[\"e1\"],\"include\":[\"X\"]}",
	      "InvalidParameterException", "include[0]");
	fails("DescribeContainerInstances",
	      "{\"cluster\":\"ghost\",\"containerInstances\":[\"e1\"]}", "ClusterNotFoundException",
	      "ghost");
}

static void state(void)
{
	ecsfs_buf b = ECSFS_BUF_INIT;
	json_t *r, *o;

	r = call("UpdateContainerInstancesState",
		 "{\"cluster\":\"prod\",\"containerInstances\":[\"" ARN(
		     "e1") "\",\"gone\"],"
			   "\"status\":\"DRAINING\"}");
	is_int(last_status, 200, "UpdateContainerInstancesState answers");
	o = json_array_get(json_object_get(r, "containerInstances"), 0);
	is_str(str_at(o, "status"), "DRAINING", "e1 is DRAINING");
	is_str(str_at(json_array_get(json_object_get(r, "failures"), 0), "reason"), "MISSING",
	       "the unknown one is a failure");
	json_decref(r);
	ecsfs_instance_state(insts, "prod", "e1", &b);
	is_str(b.data, "DRAINING\n", "its state file says DRAINING");

	r = call("ListContainerInstances", "{\"cluster\":\"prod\",\"status\":\"DRAINING\"}");
	is_int(count(r, "containerInstanceArns"), 1, "status DRAINING lists one");
	is_str(nth(r, "containerInstanceArns", 0), ARN("e1"), "... e1");
	json_decref(r);
	r = call("ListContainerInstances", "{\"cluster\":\"prod\",\"status\":\"ACTIVE\"}");
	is_int(count(r, "containerInstanceArns"), 2, "status ACTIVE the other two");
	json_decref(r);

	/* the file's write and the call are one thing: back through the file */
	ecsfs_err err = ECSFS_ERR_INIT;
	is_int(ecsfs_instance_set_state(insts, "prod", "e1", "ACTIVE\n", &err), 0,
	       "ACTIVE written to the state file");
	r = call("DescribeContainerInstances",
		 "{\"cluster\":\"prod\",\"containerInstances\":[\"e1\"]}");
	is_str(str_at(json_array_get(json_object_get(r, "containerInstances"), 0), "status"),
	       "ACTIVE", "the API describes it ACTIVE");
	json_decref(r);
	ecsfs_err_release(&err);

	fails("UpdateContainerInstancesState",
	      "{\"cluster\":\"prod\",\"containerInstances\":[\"e1\"],\"status\":\"REGISTERING\"}",
	      "InvalidParameterException", "ACTIVE or DRAINING");
	fails("UpdateContainerInstancesState",
	      "{\"cluster\":\"prod\",\"containerInstances\":[\"e1\"]}", "InvalidParameterException",
	      "status is required");
	fails("UpdateContainerInstancesState",
	      "{\"cluster\":\"prod\",\"containerInstances\":[],\"status\":\"ACTIVE\"}",
	      "InvalidParameterException", "1 to 10");
	ecsfs_buf_reset(&b);
	ecsfs_instance_state(insts, "prod", "e1", &b);
	is_str(b.data, "ACTIVE\n", "refusals change nothing");
	ecsfs_buf_release(&b);
}

static const char *attr_value(const char *inst, const char *name)
{
	static char v[128];
	json_t *d = NULL, *a;
	size_t i;

	v[0] = '\0';
	if (ecsfs_instance_describe(insts, "prod", inst, &d) < 0)
		return "(none)";
	snprintf(v, sizeof(v), "(none)");
	json_array_foreach(json_object_get(d, "attributes"), i, a)
		if (strcmp(str_at(a, "name"), name) == 0)
			snprintf(v, sizeof(v), "%s", str_at(a, "value"));
	json_decref(d);
	return v;
}

static void attributes(void)
{
	ecsfs_buf b = ECSFS_BUF_INIT;
	size_t engines = nmade;
	json_t *r;

	r = call("PutAttributes",
		 "{\"cluster\":\"prod\",\"attributes\":[{\"name\":\"stack\",\"value\":\"prod\","
		 "\"targetId\":\"" ARN(
		     "e1") "\"},{\"name\":\"stack\",\"value\":\"blue\","
			   "\"targetType\":\"container-instance\",\"targetId\":\"local\"}]}");
	is_int(last_status, 200, "PutAttributes on e1 and local");
	is_int(count(r, "attributes"), 2, "it answers with the attributes");
	json_decref(r);
	spec_file("e1", &b);
	ok(strstr(b.data, "\"stack\"") && strstr(b.data, "\"prod\"") && strstr(b.data, "\"rack\""),
	   "e1's spec file has the new attribute and keeps its own");
	is_str(attr_value("e1", "stack"), "prod", "instance.json shows it");
	is_str(attr_value("local", "stack"), "blue", "local's too (kept in its row)");
	is_int((long long)nmade, (long long)engines, "no engine was made again for it");
	r = call("DescribeContainerInstances",
		 "{\"cluster\":\"prod\",\"containerInstances\":[\"e1\"]}");
	ok(json_is_true(json_object_get(json_array_get(json_object_get(r, "containerInstances"), 0),
					"agentConnected")),
	   "e1 is still connected");
	json_decref(r);

	/* placement sees an attribute the API put */
	r = call("RunTask", "{\"cluster\":\"prod\",\"taskDefinition\":\"web\","
			    "\"placementConstraints\":[{\"type\":\"memberOf\","
			    "\"expression\":\"attribute:stack == blue\"}]}");
	is_int(count(r, "tasks"), 1, "memberOf attribute:stack == blue places a task");
	ok(strstr(str_at(json_array_get(json_object_get(r, "tasks"), 0), "containerInstanceArn"),
		  "/prod/local") != NULL,
	   "... on local, the one that has it");
	json_decref(r);
	r = call("ListContainerInstances",
		 "{\"cluster\":\"prod\",\"filter\":\"attribute:stack exists\"}");
	is_int(count(r, "containerInstanceArns"), 2, "the filter attribute:stack exists: two");
	json_decref(r);

	r = call("ListAttributes", "{\"cluster\":\"prod\",\"targetType\":\"container-instance\","
				   "\"attributeName\":\"stack\"}");
	is_int(count(r, "attributes"), 2, "ListAttributes by name: two");
	is_str(str_at(json_array_get(json_object_get(r, "attributes"), 0), "targetId"),
	       ARN("local"), "... naming their instance by ARN");
	json_decref(r);
	r = call("ListAttributes", "{\"cluster\":\"prod\",\"targetType\":\"container-instance\","
				   "\"attributeName\":\"stack\",\"attributeValue\":\"prod\"}");
	is_int(count(r, "attributes"), 1, "by name and value: one");
	json_decref(r);
	r = call("ListAttributes", "{\"cluster\":\"prod\",\"targetType\":\"container-instance\","
				   "\"attributeName\":\"ecs.os-type\",\"maxResults\":2}");
	is_int(count(r, "attributes"), 2, "the agent's own are listed too, in pages");
	ok(json_is_string(json_object_get(r, "nextToken")), "... with a nextToken");
	json_decref(r);

	r = call("DeleteAttributes", "{\"cluster\":\"prod\",\"attributes\":[{\"name\":\"stack\","
				     "\"targetId\":\"e1\"}]}");
	is_int(last_status, 200, "DeleteAttributes on e1");
	json_decref(r);
	spec_file("e1", &b);
	ok(!strstr(b.data, "stack") && strstr(b.data, "\"rack\""),
	   "e1's spec file lost it and kept the rest");
	is_str(attr_value("e1", "stack"), "(none)", "instance.json too");
	r = call("DeleteAttributes", "{\"cluster\":\"prod\",\"attributes\":[{\"name\":\"stack\","
				     "\"targetId\":\"e1\"}]}");
	is_int(last_status, 200, "deleting what is not there is no error");
	json_decref(r);

	/* a write of the spec file is seen by ListAttributes */
	put_instance("e2", "{\"endpoint\": \"unix:///run/e2.sock\", \"attributes\": "
			   "[{\"name\": \"rack\", \"value\": \"c\"}]}");
	r = call("ListAttributes", "{\"cluster\":\"prod\",\"targetType\":\"container-instance\","
				   "\"attributeName\":\"rack\",\"attributeValue\":\"c\"}");
	is_int(count(r, "attributes"), 1, "the file's attribute is listed");
	is_int((long long)nmade, (long long)engines,
	       "an attribute edit of the file keeps the engine");
	json_decref(r);

	spec_file("e1", &b);
	{
		char *before = strdup(b.data);
		fails("PutAttributes",
		      "{\"cluster\":\"prod\",\"attributes\":[{\"name\":\"ok\",\"targetId\":\"e1\"},"
		      "{\"name\":\"ecs.os-type\",\"value\":\"windows\",\"targetId\":\"e1\"}]}",
		      "InvalidParameterException", "attributes[1].name: 'ecs.os-type'");
		spec_file("e1", &b);
		is_str(b.data, before, "a refused call changes no attribute");
		free(before);
	}
	fails("DeleteAttributes",
	      "{\"cluster\":\"prod\",\"attributes\":[{\"name\":\"ecs.availability-zone\","
	      "\"targetId\":\"e1\"}]}",
	      "InvalidParameterException", "cannot be set or deleted");
	fails("PutAttributes",
	      "{\"cluster\":\"prod\",\"attributes\":[{\"name\":\"x\",\"targetId\":\"e9\"}]}",
	      "TargetNotFoundException", "no container instance e9");
	fails("PutAttributes",
	      "{\"cluster\":\"prod\",\"attributes\":[{\"name\":\"x\",\"targetId\":\"" ARN(
		  "e1") "\",\"targetType\":\"task\"}]}",
	      "InvalidParameterException", "targetType");
	fails("PutAttributes", "{\"cluster\":\"prod\",\"attributes\":[{\"name\":\"x\"}]}",
	      "InvalidParameterException", "targetId");
	fails("PutAttributes",
	      "{\"cluster\":\"prod\",\"attributes\":[{\"name\":\"b a d\",\"targetId\":\"e1\"}]}",
	      "InvalidParameterException", "attributes[0].name");
	fails("PutAttributes", "{\"cluster\":\"prod\"}", "InvalidParameterException", "attributes");
	fails("PutAttributes",
	      "{\"cluster\":\"ghost\",\"attributes\":[{\"name\":\"x\",\"targetId\":\"e1\"}]}",
	      "ClusterNotFoundException", "ghost");
	fails("ListAttributes", "{\"cluster\":\"prod\"}", "InvalidParameterException",
	      "targetType is required");
	fails("ListAttributes", "{\"cluster\":\"prod\",\"targetType\":\"task\"}",
	      "InvalidParameterException", "container-instance");
	fails(
	    "ListAttributes",
	    "{\"cluster\":\"prod\",\"targetType\":\"container-instance\",\"attributeValue\":\"a\"}",
	    "InvalidParameterException", "attributeName");

	/* the limit: 64 custom attributes (the document's) */
	for (int k = 0; k < 7; k++) {
		ecsfs_buf body = ECSFS_BUF_INIT;
		ecsfs_buf_adds(&body, "{\"cluster\":\"prod\",\"attributes\":[");
		for (int i = 0; i < 10; i++)
			ecsfs_buf_addf(&body, "%s{\"name\":\"a%d\",\"targetId\":\"local\"}",
				       i ? "," : "", k * 10 + i);
		ecsfs_buf_adds(&body, "]}");
		r = call("PutAttributes", body.data);
		if (k < 6)
			is_int(last_status, 200, "10 more attributes on local (%d)", (k + 1) * 10);
		else
			is_str(type_of(r), "AttributeLimitExceededException",
			       "past 64: AttributeLimitExceededException");
		json_decref(r);
		ecsfs_buf_release(&body);
	}
	is_str(attr_value("local", "a60"), "(none)", "... and none of that call's were put");
	ecsfs_buf_release(&b);
}

/* The provider an instance names exists: DescribeCapacityProviders shows
 * it, a cluster may name it, and RunTask places its tasks there. */
static void providers(void)
{
	json_t *r = call("DescribeCapacityProviders", "{}"), *t;

	is_int(count(r, "capacityProviders"), 3, "FARGATE, FARGATE_SPOT and e1's pool");
	is_str(str_at(json_array_get(json_object_get(r, "capacityProviders"), 2), "name"), "pool",
	       "... pool");
	json_decref(r);
	r = call("DescribeCapacityProviders", "{\"capacityProviders\":[\"pool\",\"nope\"]}");
	is_int(count(r, "capacityProviders"), 1, "pool by name");
	is_str(str_at(json_array_get(json_object_get(r, "failures"), 0), "arn"), "nope",
	       "an unknown one is a failure");
	json_decref(r);
	r = call("PutClusterCapacityProviders",
		 "{\"cluster\":\"prod\",\"capacityProviders\":[\"FARGATE\",\"pool\"],"
		 "\"defaultCapacityProviderStrategy\":[]}");
	is_int(last_status, 200, "a cluster may name pool");
	json_decref(r);
	r = call("RunTask", "{\"cluster\":\"prod\",\"taskDefinition\":\"web\","
			    "\"capacityProviderStrategy\":[{\"capacityProvider\":\"pool\","
			    "\"weight\":1}]}");
	t = json_array_get(json_object_get(r, "tasks"), 0);
	is_str(str_at(t, "containerInstanceArn"), ARN("e1"), "RunTask on pool: on e1");
	is_str(str_at(t, "capacityProviderName"), "pool", "... capacityProviderName pool");
	{
		char *arn = strdup(str_at(t, "taskArn"));
		json_t *l =
		    call("ListTasks", "{\"cluster\":\"prod\",\"containerInstance\":\"e1\"}");
		is_int(count(l, "taskArns"), 1, "ListTasks of containerInstance e1: one task");
		is_str(nth(l, "taskArns", 0), arn, "... the one RunTask put there");
		json_decref(l);
		l = call("ListTasks",
			 "{\"cluster\":\"prod\",\"containerInstance\":\"" ARN("e1") "\"}");
		is_str(nth(l, "taskArns", 0), arn, "the same by the instance's ARN");
		json_decref(l);
		l = call("ListTasks", "{\"cluster\":\"prod\",\"containerInstance\":\"local\"}");
		is_int(count(l, "taskArns"), 0, "none on local");
		json_decref(l);
		l = call("ListTasks", "{\"cluster\":\"prod\",\"containerInstance\":\"nope\"}");
		is_int(count(l, "taskArns"), 0, "none on an instance that does not exist");
		json_decref(l);
		free(arn);
	}
	json_decref(r);
	fails("PutClusterCapacityProviders",
	      "{\"cluster\":\"prod\",\"capacityProviders\":[\"other\"],"
	      "\"defaultCapacityProviderStrategy\":[]}",
	      "InvalidParameterException", "'other' does not exist");
}

static void deregister(void)
{
	json_t *r;

	r = call("DeregisterContainerInstance",
		 "{\"cluster\":\"prod\",\"containerInstance\":\"" ARN("e2") "\"}");
	is_int(last_status, 200, "DeregisterContainerInstance of e2");
	is_str(str_at(json_object_get(r, "containerInstance"), "status"), "INACTIVE",
	       "it answers INACTIVE");
	json_decref(r);
	ok(ecsfs_instance_exists(insts, "prod", "e2") == -ENOENT, "e2 is gone");
	{
		ecsfs_buf b = ECSFS_BUF_INIT;
		spec_file("e2", &b);
		is_str(b.data, "", "and its spec file");
		ecsfs_buf_release(&b);
	}
	fails("DeregisterContainerInstance", "{\"cluster\":\"prod\",\"containerInstance\":\"e2\"}",
	      "ClientException", "no container instance e2");
	fails("DeregisterContainerInstance",
	      "{\"cluster\":\"prod\",\"containerInstance\":\"local\"}", "ClientException", "local");
}

int main(void)
{
	ecsfs_instances_opts o = {.local = NULL,
				  .local_endpoint = "unix:///var/run/docker.sock",
				  .engine = fake_engine,
				  .lost_after_s = 60};
	ecsfs_buf why = ECSFS_BUF_INIT;

	harness_open(dir);
	o.local = rt;
	is_int(ecsfs_instances_new(&loop, s, tasks, &o, &insts, &why), 0, "instances open");
	core.instances = insts;
	reg("web", "{\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"busybox\","
		   "\"memory\":64}]}");
	put_instance("e1",
		     "{\"endpoint\": \"unix:///run/e1.sock\", \"attributes\": "
		     "[{\"name\": \"rack\", \"value\": \"a\"}], \"capacityProvider\": \"pool\"}");
	put_instance("e2", "{\"endpoint\": \"unix:///run/e2.sock\", \"attributes\": "
			   "[{\"name\": \"rack\", \"value\": \"b\"}]}");
	flush_all();
	list();
	providers();
	describe();
	state();
	attributes();
	deregister();
	settle();
	ecsfs_instances_free(insts);
	uv_run(&loop, UV_RUN_NOWAIT);
	harness_close(dir);
	ecsfs_buf_release(&why);
	return tap_done();
}
