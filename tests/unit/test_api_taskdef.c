/*
 * ECS task-definition operations through the API's dispatcher on a store
 * in a temporary directory: AWS's shapes, pagination and exceptions; a
 * definition registered through the API is the revision the file front
 * end registers for the same document, and a bad one is refused with the
 * very message spec/taskdefs/<family>.json gets.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_harness.h"
#include "ecsfs/taskdef.h"
#include "tap_err.h"

static ecsfs_err err = ECSFS_ERR_INIT;

/* examples/gitops/taskdefs/<name>, as --cli-input-json file://… sends it. */
static char *example(const char *name)
{
	char path[512];
	FILE *f;
	char *data = NULL;
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/examples/gitops/taskdefs/%s", SOURCE_ROOT, name);
	if (!(f = fopen(path, "r"))) {
		printf("Bail out! cannot read %s\n", path);
		exit(1);
	}
	FILE *m = open_memstream(&data, &len);
	int ch;
	while ((ch = fgetc(f)) != EOF)
		fputc(ch, m);
	fclose(m);
	fclose(f);
	return data;
}

/* The same call with a body that has real double quotes. */
static json_t *ecs_raw(const char *op, const char *body)
{
	ecsfs__api_reply r;
	char target[128];
	json_t *j;

	snprintf(target, sizeof(target), "AmazonEC2ContainerServiceV20141113.%s", op);
	ecsfs__api_reply_init(&r);
	ecsfs__api_dispatch(&api, target, body, strlen(body), &r);
	api_status = r.status;
	j = json_loadb(r.body.data, r.body.len, 0, NULL);
	ecsfs__api_reply_release(&r);
	api_type[0] = api_message[0] = '\0';
	if (api_status != 200 && j) {
		snprintf(api_type, sizeof(api_type), "%s",
			 json_string_value(json_object_get(j, "__type")));
		snprintf(api_message, sizeof(api_message), "%s",
			 json_string_value(json_object_get(j, "message")));
		json_decref(j);
		j = NULL;
	}
	return j;
}

static void check_register(void)
{
	char *web = example("web.json");
	json_t *o = ecs_raw("RegisterTaskDefinition", web);
	ecsfs_buf spec = ECSFS_BUF_INIT;
	ecsfs_file_meta meta = {.kind = ECSFS_FILE_SPEC, .mode = 0644};
	int64_t rev = 0;

	ok(o != NULL, "register examples/gitops/taskdefs/web.json (%s)", api_message);
	is_str(at(o, "taskDefinition.taskDefinitionArn"),
	       "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1", "revision 1");
	is_str(at(o, "taskDefinition.status"), "ACTIVE", "ACTIVE");
	is_str(at(o, "tags.0.key"), "team", "its tags at the top");
	ok(json_is_real(node(o, "taskDefinition.registeredAt")) ||
	       json_is_integer(node(o, "taskDefinition.registeredAt")),
	   "registeredAt in epoch seconds");
	is_str(at(o, "taskDefinition.containerDefinitions.1.name"), "init", "the containers");
	json_decref(o);

	/* the file front end sees the same revision: the spec file reads back
	 * and registering its bytes again makes no new revision */
	ok(ecsfs_store_file_get(api.store, "/spec/taskdefs", "web.json", NULL, &spec) == 0,
	   "spec/taskdefs/web.json shows it");
	works(ecsfs_taskdef_register_file(api.store, "web", spec.data, spec.len, &meta, &rev, &err),
	      "the spec file's bytes register");
	is_int(rev, 1, "as the same revision");
	o = ecs_raw("RegisterTaskDefinition", web);
	is_str(at(o, "taskDefinition.taskDefinitionArn"),
	       "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1",
	       "the same document again: no new revision");
	json_decref(o);
	free(web);
	ecsfs_buf_release(&spec);

	o = ecs_ok("RegisterTaskDefinition",
		   "{'family': 'web', 'containerDefinitions': [{'name': 'app', 'image': 'busybox', "
		   "'memory': 32}]}");
	is_int(json_integer_value(node(o, "taskDefinition.revision")), 2, "a changed one: 2");
	is_int(json_array_size(json_object_get(o, "tags")), 0, "without tags");
	json_decref(o);
	char *worker = example("worker.json");
	json_decref(ecs_raw("RegisterTaskDefinition", worker));
	is_int(api_status, 200, "register worker.json");
	free(worker);
}

/* The API and the file refuse a bad definition with one message. */
static void check_same_message(const char *doc, const char *what)
{
	char *body = strdup(doc);
	for (char *p = body; *p; p++)
		if (*p == '\'')
			*p = '"';
	ecsfs_err_reset(&err);
	int r = ecsfs_taskdef_check("bad", body, strlen(body), false, &err);
	json_decref(ecs_raw("RegisterTaskDefinition", body));
	is_int(r, -EINVAL, "%s: the file is refused", what);
	is_str(api_type, "ClientException", "%s: ClientException", what);
	is_str(api_message, err.msg.data, "%s: the message the file gets", what);
	free(body);
}

static void check_refused(void)
{
	check_same_message("{'family': 'bad', 'containerDefinitions': [{'name': 'a', 'image': 'x', "
			   "'memory': 128, 'memoryReservation': 256}]}",
			   "memory below memoryReservation");
	ok(strstr(api_message, "containerDefinitions[0].memory") != NULL, "names the field: %s",
	   api_message);
	check_same_message("{'family': 'bad', 'containerDefinitions': [{'name': 'a', 'image': 'x', "
			   "'memory': 64, 'essential': false}]}",
			   "no essential container");
	check_same_message("{'family': 'bad', 'requiresCompatibilities': ['FARGATE'], "
			   "'networkMode': 'awsvpc', 'cpu': '256', 'memory': '4096', "
			   "'containerDefinitions': [{'name': 'a', 'image': 'x'}]}",
			   "a Fargate pair that does not exist");
	check_same_message(
	    "{'family': 'bad', 'containerDefinitions': [{'name': 'a', "
	    "'image': 'x', 'memory': 64, 'portMappings': [{'containerPort': 70000}]}]}",
	    "a port out of range");
	check_same_message("{'family': 'bad', 'containerDefinitions': [{'name': 'a', 'image': 'x', "
			   "'memory': 64}], 'tags': [{'key': 'aws:team', 'value': 'x'}]}",
			   "a reserved tag key");
	ecs_fails("RegisterTaskDefinition", "{'containerDefinitions': []}",
		  "InvalidParameterException", "no family");
	ecs_fails("DescribeTaskDefinition", "{'taskDefinition': 'bad'}", "ClientException",
		  "nothing was registered");
}

static void check_describe_list(void)
{
	json_t *o = ecs_ok("DescribeTaskDefinition", "{'taskDefinition': 'web'}");
	is_int(json_integer_value(node(o, "taskDefinition.revision")), 2, "a family: the newest");
	ok(!json_object_get(o, "tags"), "no tags unless asked");
	json_decref(o);
	o = ecs_ok("DescribeTaskDefinition",
		   "{'taskDefinition': 'arn:aws:ecs:us-east-1:000000000000:task-definition/web:1', "
		   "'include': ['TAGS']}");
	is_str(at(o, "tags.0.value"), "web", "include TAGS");
	json_decref(o);
	ecs_fails("DescribeTaskDefinition", "{'taskDefinition': 'web', 'include': ['ALL']}",
		  "InvalidParameterException", "include other than TAGS");

	o = ecs_ok("ListTaskDefinitions", "{}");
	is_int(json_array_size(json_object_get(o, "taskDefinitionArns")), 3, "three ACTIVE");
	is_str(at(o, "taskDefinitionArns.0"),
	       "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1", "by family, revision");
	json_decref(o);
	o = ecs_ok("ListTaskDefinitions",
		   "{'familyPrefix': 'we', 'sort': 'DESC', 'maxResults': 1}");
	is_str(at(o, "taskDefinitionArns.0"),
	       "arn:aws:ecs:us-east-1:000000000000:task-definition/web:2", "DESC, prefix, a page");
	ok(at(o, "nextToken") != NULL, "a token for the rest");
	json_decref(o);
	ecs_fails("ListTaskDefinitions", "{'sort': 'UP'}", "InvalidParameterException",
		  "a bad sort");
	ecs_fails("ListTaskDefinitions", "{'status': 'GONE'}", "InvalidParameterException",
		  "a bad status");
	ecs_fails("ListTaskDefinitions", "{'maxResults': 101}", "InvalidParameterException",
		  "maxResults over 100");

	o = ecs_ok("ListTaskDefinitionFamilies", "{}");
	is_int(json_array_size(json_object_get(o, "families")), 2, "two families");
	is_str(at(o, "families.1"), "worker", "by name");
	json_decref(o);
	o = ecs_ok("ListTaskDefinitionFamilies", "{'familyPrefix': 'wo', 'status': 'ACTIVE'}");
	is_int(json_array_size(json_object_get(o, "families")), 1, "by prefix");
	json_decref(o);
}

static void check_deregister_delete(void)
{
	json_t *o = ecs_ok("DeregisterTaskDefinition", "{'taskDefinition': 'web:1'}");
	is_str(at(o, "taskDefinition.status"), "INACTIVE", "deregistered: INACTIVE");
	ok(node(o, "taskDefinition.deregisteredAt") != NULL, "with deregisteredAt");
	json_decref(o);
	ecs_fails("DeregisterTaskDefinition", "{'taskDefinition': 'web:1'}", "ClientException",
		  "again");
	ecs_fails("DeregisterTaskDefinition", "{'taskDefinition': 'web'}",
		  "InvalidParameterException", "no revision");
	ecs_fails("DeregisterTaskDefinition", "{'taskDefinition': 'web:9'}", "ClientException",
		  "a revision never registered");
	o = ecs_ok("ListTaskDefinitions", "{'status': 'INACTIVE'}");
	is_str(at(o, "taskDefinitionArns.0"),
	       "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1", "INACTIVE ones");
	json_decref(o);
	json_decref(ecs_ok("DeregisterTaskDefinition", "{'taskDefinition': 'worker:1'}"));
	o = ecs_ok("ListTaskDefinitionFamilies", "{'status': 'INACTIVE'}");
	is_str(at(o, "families.0"), "worker", "a family with no ACTIVE revision");
	is_int(json_array_size(json_object_get(o, "families")), 1, "only that one");
	json_decref(o);

	o = ecs_ok("DeleteTaskDefinitions", "{'taskDefinitions': ['web:1', 'web:2', 'web:7']}");
	is_str(at(o, "taskDefinitions.0.status"), "DELETE_IN_PROGRESS", "INACTIVE: deleted");
	is_int(json_array_size(json_object_get(o, "taskDefinitions")), 1, "only that one");
	is_str(at(o, "failures.0.arn"), "web:2", "a failure for the ACTIVE one");
	is_str(at(o, "failures.0.reason"), "ACTIVE", "ACTIVE");
	is_str(at(o, "failures.1.reason"), "MISSING", "and for one never registered");
	json_decref(o);
	o = ecs_ok("ListTaskDefinitions", "{'status': 'DELETE_IN_PROGRESS'}");
	is_int(json_array_size(json_object_get(o, "taskDefinitionArns")), 1, "listed so");
	json_decref(o);
	json_t *td = NULL;
	works(ecsfs_taskdef_describe(api.store, "web", 1, &td, &err), "the file still reads");
	is_str(at(td, "status"), "DELETE_IN_PROGRESS", "as DELETE_IN_PROGRESS");
	json_decref(td);
	ecs_fails("DeleteTaskDefinitions", "{'taskDefinitions': []}", "InvalidParameterException",
		  "none");
}

static void check_tags(void)
{
	const char *arn = "arn:aws:ecs:us-east-1:000000000000:task-definition/web:2";
	char body[512];

	snprintf(body, sizeof(body), "{'resourceArn': '%s', 'tags': [{'key': 'a', 'value': 'b'}]}",
		 arn);
	json_decref(ecs_ok("TagResource", body));
	snprintf(body, sizeof(body), "{'taskDefinition': 'web:2', 'include': ['TAGS']}");
	json_t *o = ecs_ok("DescribeTaskDefinition", body);
	is_str(at(o, "tags.0.key"), "a", "a revision's tags");
	json_decref(o);
	ecs_fails("ListTagsForResource",
		  "{'resourceArn': 'arn:aws:ecs:us-east-1:000000000000:task-definition/web:99'}",
		  "ResourceNotFoundException", "a revision never registered");
}

int main(void)
{
	char dir[] = "/tmp/ecsfs-test-api-taskdef-XXXXXX";
	ecsfs_buf why = ECSFS_BUF_INIT;

	if (!mkdtemp(dir))
		return 1;
	is_int(ecsfs_store_open(dir, &api.store, &why), 0, "store opens");
	api.state_dir = dir;

	check_register();
	check_refused();
	check_describe_list();
	check_deregister_delete();
	check_tags();

	ecsfs_store_close(api.store);
	ecsfs_buf_release(&why);
	ecsfs_err_release(&err);
	tap_rmtree(dir);
	return tap_done();
}
