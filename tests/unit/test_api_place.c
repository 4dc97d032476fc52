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

/* engines' source: e1 serves FARGATE, e2 and e3 FARGATE_SPOT */
static const char *const od[] = {"FARGATE", NULL}, *const sp[] = {"FARGATE_SPOT", NULL};
static ecsfs_place_instance fleet[3] = {
    {.name = "e1", .arn = "arn:e1", .providers = od},
    {.name = "e2", .arn = "arn:e2", .providers = sp},
    {.name = "e3", .arn = "arn:e3", .providers = sp},
};
static int gets, releases;

static int fleet_get(void *ctx, const char *cluster, const ecsfs_place_instance **v, size_t *n,
		     void **hold)
{
	(void)ctx;
	(void)cluster;
	for (int i = 0; i < 3; i++) {
		fleet[i].connected = true;
		fleet[i].cpu_registered = fleet[i].cpu_remaining = 4096;
		fleet[i].mem_registered = fleet[i].mem_remaining = 4096;
	}
	*v = fleet;
	*n = 3;
	*hold = &gets;
	gets++;
	return 0;
}

static void fleet_release(void *ctx, void *hold)
{
	(void)ctx;
	releases += hold == &gets;
}

static void source(void)
{
	ecsfs_place_source src = {fleet_get, fleet_release, NULL};
	json_t *r, *t;
	size_t i, on[3] = {0, 0, 0};

	ecsfs_place_set_source(&src);
	r = call("RunTask", "{\"cluster\":\"prod\",\"taskDefinition\":\"half\",\"count\":6,"
			    "\"capacityProviderStrategy\":[{\"capacityProvider\":\"FARGATE\","
			    "\"base\":1,\"weight\":1},{\"capacityProvider\":\"FARGATE_SPOT\","
			    "\"weight\":4}]}");
	is_int(json_array_size(json_object_get(r, "tasks")), 6, "6 tasks over engines' instances");
	ok(gets == 1 && releases == 1, "the source is asked once and released");
	json_array_foreach(json_object_get(r, "tasks"), i, t) {
		const char *cp = str_at(t, "capacityProviderName");
		on[cp && strcmp(cp, "FARGATE") == 0 ? 0 : 1]++;
	}
	ok(on[0] == 2 && on[1] == 4,
	   "ECS's split of 6 (base 1 weight 1 / weight 4): FARGATE 2, FARGATE_SPOT 4 (%zu, %zu)",
	   on[0], on[1]);
	json_decref(r);

	fleet[0].status = ECSFS_PLACE_DRAINING;
	r = call("RunTask", "{\"cluster\":\"prod\",\"taskDefinition\":\"half\","
			    "\"capacityProviderStrategy\":[{\"capacityProvider\":\"FARGATE\","
			    "\"weight\":1}]}");
	is_int(json_array_size(json_object_get(r, "tasks")), 0, "FARGATE's only instance drains");
	is_str(reason_at(r, 0), "No Container Instances were found in your cluster.",
	       "... no candidate: ECS's reason");
	json_decref(r);
	fleet[0].status = ECSFS_PLACE_ACTIVE;
	ecsfs_place_set_source(NULL);
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
	source();
	harness_close(dir);
	ecsfs_err_release(&err);
	return tap_done();
}
