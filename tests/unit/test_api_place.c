/* RunTask through the dispatcher places its tasks: over the implicit
 * instance `local` with the engine's resources, as many as fit, and
 * failures in ECS's words (RESOURCE:MEMORY, RESOURCE:CPU) for the rest;
 * bad placement documents are InvalidParameterException. */
#include "api_task_harness.h"
#include "ecsfs/placement.h"

static char dir[] = "/tmp/ecsfs-test-api-place-XXXXXX";

static const char *reason_at(json_t *r, size_t i)
{
	return str_at(json_array_get(json_object_get(r, "failures"), i), "reason");
}

static void resources(void)
{
	json_t *r;

	/* the engine: 1 CPU and 1 GiB */
	ecsfs_place_set_local(1, 1024LL * 1024 * 1024);
	r = call("RunTask", "{\"cluster\":\"prod\",\"taskDefinition\":\"big\"}");
	is_int(last_status, 200, "RunTask of a task larger than the engine answers 200");
	is_int(json_array_size(json_object_get(r, "tasks")), 0, "no task");
	is_str(reason_at(r, 0), "RESOURCE:MEMORY", "failures: RESOURCE:MEMORY");
	is_str(str_at(json_array_get(json_object_get(r, "failures"), 0), "arn"),
	       "arn:aws:ecs:us-east-1:000000000000:container-instance/prod/local",
	       "... on the container instance local");
	json_decref(r);

	r = call("RunTask", "{\"cluster\":\"prod\",\"taskDefinition\":\"half\",\"count\":3}");
	is_int(json_array_size(json_object_get(r, "tasks")), 2, "2 of 3 tasks of 400 MiB fit");
	is_str(reason_at(r, 0), "RESOURCE:MEMORY", "the third: RESOURCE:MEMORY");
	json_decref(r);

	r = call("RunTask", "{\"cluster\":\"prod\",\"taskDefinition\":\"cpu\"}");
	is_str(reason_at(r, 0), "RESOURCE:CPU", "2048 CPU units on 1 CPU: RESOURCE:CPU");
	json_decref(r);

	/* the two running tasks of 400 MiB count, in every cluster */
	r = call("RunTask", "{\"cluster\":\"other\",\"taskDefinition\":\"half\"}");
	is_str(reason_at(r, 0), "RESOURCE:MEMORY", "another cluster's task does not fit either");
	json_decref(r);

	/* unknown resources are never short */
	ecsfs_place_set_local(0, 0);
	r = call("RunTask", "{\"cluster\":\"prod\",\"taskDefinition\":\"big\"}");
	is_int(json_array_size(json_object_get(r, "tasks")), 1, "resources unknown: it starts");
	is_int(json_array_size(json_object_get(r, "failures")), 0, "no failures");
	json_decref(r);
}

static void constraints(void)
{
	json_t *r =
	    call("RunTask", "{\"cluster\":\"prod\",\"taskDefinition\":\"half\","
			    "\"placementConstraints\":[{\"type\":\"memberOf\","
			    "\"expression\":\"attribute:ecs.availability-zone == local\"}]}");
	is_int(json_array_size(json_object_get(r, "tasks")), 1, "memberOf the zone local: placed");
	json_decref(r);

	r = call("RunTask", "{\"cluster\":\"prod\",\"taskDefinition\":\"half\","
			    "\"placementConstraints\":[{\"type\":\"memberOf\","
			    "\"expression\":\"attribute:stack == prod\"}]}");
	is_str(reason_at(r, 0), "MemberOf placement constraint unsatisfied.",
	       "memberOf nothing: MemberOf placement constraint unsatisfied.");
	json_decref(r);

	r = call("RunTask", "{\"cluster\":\"prod\",\"taskDefinition\":\"half\",\"count\":2,"
			    "\"group\":\"solo\",\"placementConstraints\":"
			    "[{\"type\":\"distinctInstance\"}]}");
	is_int(json_array_size(json_object_get(r, "tasks")), 1, "distinctInstance on one instance");
	is_str(reason_at(r, 0), "DistinctInstance placement constraint unsatisfied.", "the other");
	json_decref(r);
}

static void bad_documents(void)
{
	static const struct {
		const char *body, *msg;
	} bad[] = {
	    {"{\"cluster\":\"prod\",\"taskDefinition\":\"half\",\"placementConstraints\":"
	     "[{\"type\":\"memberOf\",\"expression\":\"attribute:x ~ y\"}]}",
	     "placementConstraints[0].expression: unknown operator at position 13"},
	    {"{\"cluster\":\"prod\",\"taskDefinition\":\"half\",\"placementStrategy\":"
	     "[{\"type\":\"binpack\",\"field\":\"disk\"}]}",
	     "placementStrategy[0].field: binpack takes the field cpu or memory"},
	    {"{\"cluster\":\"prod\",\"taskDefinition\":\"half\",\"launchType\":\"EC2\","
	     "\"capacityProviderStrategy\":[{\"capacityProvider\":\"FARGATE\",\"weight\":1}]}",
	     "capacityProviderStrategy: specifying both a launch type"},
	    {"{\"cluster\":\"prod\",\"taskDefinition\":\"half\",\"capacityProviderStrategy\":"
	     "[{\"capacityProvider\":\"mine\",\"weight\":1}]}",
	     "'mine' is not associated with the cluster"},
	    {"{\"cluster\":\"prod\",\"taskDefinition\":\"half\",\"capacityProviderStrategy\":"
	     "[{\"capacityProvider\":\"FARGATE\",\"base\":1},{\"capacityProvider\":\"FARGATE_"
	     "SPOT\","
	     "\"base\":1,\"weight\":1}]}",
	     "only one capacity provider in a strategy can have a base"},
	    {"{\"cluster\":\"prod\",\"taskDefinition\":\"half\",\"capacityProviderStrategy\":"
	     "[{\"capacityProvider\":\"FARGATE\"},{\"capacityProvider\":\"FARGATE_SPOT\"}]}",
	     "at least one capacity provider must have a weight greater than 0"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *r = call("RunTask", bad[i].body);
		const char *m = str_at(r, "message");
		is_int(last_status, 400, "refused with 400");
		is_str(type_of(r), "InvalidParameterException", "InvalidParameterException");
		ok(m && strstr(m, bad[i].msg), "%s", m ? m : "(no message)");
		json_decref(r);
	}
}

int main(void)
{
	ecsfs_err err = ECSFS_ERR_INIT;

	harness_open(dir);
	is_int(ecsfs_cluster_create(s, "other", &err), 0, "cluster other");
	reg("big", "{\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"busybox\","
		   "\"memory\":2048}]}");
	reg("half", "{\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"busybox\","
		    "\"memory\":400}]}");
	reg("cpu", "{\"cpu\":\"2 vCPU\",\"memory\":\"64\",\"containerDefinitions\":[{\"name\":"
		   "\"a\",\"image\":\"busybox\"}]}");
	resources();
	constraints();
	bad_documents();
	harness_close(dir);
	ecsfs_err_release(&err);
	return tap_done();
}
