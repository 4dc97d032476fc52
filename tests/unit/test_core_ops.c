/*
 * The core operations of clusters, task definitions and secrets, driven
 * with typed input as a front end drives them: typed output, and on
 * failure the errno and the ECS error kind. No mount, no runtime.
 *
 * To add cases: a check_<kind>() function below, called from main(); the
 * fails() macro states a failure's errno and kind in one line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "ecsfs/arn.h"
#include "ecsfs/cluster.h"
#include "ecsfs/error.h"
#include "ecsfs/secret.h"
#include "ecsfs/service.h"
#include "ecsfs/taskdef.h"
#include "tap.h"
#include "tap_err.h"

static ecsfs_store *s;
static ecsfs_services *sv;
static ecsfs_err err = ECSFS_ERR_INIT;

/* Documents are written with ' for " to keep them readable here. */
static json_t *doc(const char *text)
{
	char *t = strdup(text);
	json_t *j;

	for (char *p = t; *p; p++)
		if (*p == '\'')
			*p = '"';
	j = json_loads(t, 0, NULL);
	free(t);
	if (!j) {
		printf("Bail out! bad test JSON %s\n", text);
		exit(1);
	}
	return j;
}

static const char *field(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* ---- clusters ---- */

static void check_cluster_settings(void)
{
	json_t *d, *o = NULL;

	d = doc("{'settings': [{'name': 'containerInsights', 'value': 'enabled'}],"
		" 'tags': [{'key': 'team', 'value': 'core'}]}");
	works(ecsfs_cluster_settings_put(s, "prod", d, &err), "settings from a document");
	json_decref(d);
	works(ecsfs_cluster_describe(s, "prod", NULL, NULL, &o, &err), "describe");
	is_str(field(json_array_get(json_object_get(o, "settings"), 0), "value"), "enabled",
	       "describe shows the settings");
	is_str(field(json_array_get(json_object_get(o, "tags"), 0), "key"), "team", "and the tags");
	json_decref(o);
	ecsfs_file_meta meta;
	ok(ecsfs_store_file_get(s, "/spec/clusters/prod", "cluster.json", &meta, NULL) == 0 &&
	       meta.kind == ECSFS_FILE_SPEC,
	   "the spec file shows them");

	d = doc("{'settings': [{'name': 'containerInsights', 'value': 'on'}]}");
	fails(ecsfs_cluster_settings_put(s, "prod", d, &err), -EINVAL, ECSFS_E_INVALID_PARAMETER,
	      "a bad setting");
	ok(strncmp(err.msg.data, "settings[0].value: ", 19) == 0, "names the field: %s",
	   err.msg.data);
	fails(ecsfs_cluster_settings_put(s, "nope", d, &err), -ENOENT, ECSFS_E_CLUSTER_NOT_FOUND,
	      "settings of no cluster");
	json_decref(d);
	works(ecsfs_cluster_settings_clear(s, "prod", &err), "settings back to defaults");
	fails(ecsfs_cluster_settings_clear(s, "nope", &err), -ENOENT, ECSFS_E_CLUSTER_NOT_FOUND,
	      "clear of no cluster");
}

static void check_clusters(void)
{
	json_t *o = NULL;

	works(ecsfs_cluster_create(s, "prod", &err), "create");
	fails(ecsfs_cluster_create(s, "prod", &err), -EEXIST, ECSFS_E_RESOURCE_IN_USE,
	      "create of a taken name");
	fails(ecsfs_cluster_create(s, "a b", &err), -EINVAL, ECSFS_E_INVALID_PARAMETER,
	      "create with a bad name");
	works(ecsfs_cluster_describe(s, "prod", NULL, NULL, &o, &err), "describe");
	is_str(field(o, "clusterArn"), "arn:aws:ecs:us-east-1:000000000000:cluster/prod",
	       "describe: the ARN in the default region and account");
	is_str(field(o, "status"), "ACTIVE", "describe: ACTIVE");
	json_decref(o);
	fails(ecsfs_cluster_describe(s, "nope", NULL, NULL, &o, &err), -ENOENT,
	      ECSFS_E_CLUSTER_NOT_FOUND, "describe of no cluster");
	check_cluster_settings();
	fails(ecsfs_cluster_delete(s, "nope", false, &err), -ENOENT, ECSFS_E_CLUSTER_NOT_FOUND,
	      "delete of no cluster");

	works(ecsfs_cluster_create(s, "busy", &err), "a cluster with a service");
	works(ecsfs_service_create(sv, "busy", "web", &err), "its service");
	fails(ecsfs_cluster_delete(s, "busy", false, &err), -EBUSY,
	      ECSFS_E_CLUSTER_CONTAINS_SERVICES, "delete while it has a service");
	fails(ecsfs_cluster_delete(s, "busy", true, &err), -ENOTEMPTY, ECSFS_E_RESOURCE_IN_USE,
	      "the spec tree's delete while a spec file remains");
	works(ecsfs_cluster_delete(s, "prod", false, &err), "delete");
	ok(!ecsfs_store_cluster_exists(s, "prod"), "gone");
}

static void count_swept(void *data, const char *name)
{
	(*(int *)data)++;
}

/* A repository dropped a cluster with its service: it drains, then goes. */
static void check_retire(void)
{
	int swept = 0;

	works(ecsfs_cluster_create(s, "edge", &err), "a cluster to retire");
	works(ecsfs_service_create(sv, "edge", "web", &err), "its service");
	/* the repository's files went first (rsync --delete) */
	ecsfs_store_file_delete_tree(s, "/spec/clusters/edge");
	works(ecsfs_cluster_retire(s, sv, "edge", &err), "retire: accepted");
	ok(ecsfs_cluster_retiring(s, "edge"), "marked");
	ok(ecsfs_store_cluster_exists(s, "edge"), "kept while its service drains");
	json_t *o = NULL;
	works(ecsfs_service_describe(sv, "edge", "web", &o, &err), "its service");
	is_str(field(o, "status"), "DRAINING", "drains");
	json_decref(o);
	ecsfs_cluster_sweep(s, count_swept, &swept);
	is_int(swept, 0, "the sweep waits while the service is there");
	/* without a task subsystem the scheduler does not finish the delete;
	 * its last step is to drop the service's row */
	ecsfs_store_service_delete(s, "edge", "web");
	ecsfs_cluster_sweep(s, count_swept, &swept);
	ok(!ecsfs_store_cluster_exists(s, "edge"), "the sweep deletes it");
	is_int(swept, 1, "and says so");

	works(ecsfs_cluster_create(s, "back", &err), "another");
	works(ecsfs_service_create(sv, "back", "web", &err), "with a service");
	ecsfs_store_file_delete_tree(s, "/spec/clusters/back");
	works(ecsfs_cluster_retire(s, sv, "back", &err), "retired");
	is_int(ecsfs_cluster_keep(s, "back"), 0, "created again while it drained: kept");
	ok(!ecsfs_cluster_retiring(s, "back"), "no longer marked");
	is_int(ecsfs_cluster_keep(s, "back"), -ENOENT, "keep of an unmarked cluster");
	ecsfs_store_service_delete(s, "back", "web");
	works(ecsfs_cluster_delete(s, "back", false, &err), "deleted for good");
}

/* ---- task definitions ---- */

static void check_taskdefs(void)
{
	json_t *d, *o = NULL, *arns = NULL;

	d = doc("{'family': 'web', 'containerDefinitions': [{'name': 'app', 'image': 'busybox',"
		" 'memory': 64}]}");
	works(ecsfs_taskdef_register(s, "web", d, &o, &err), "register");
	is_str(field(o, "taskDefinitionArn"),
	       "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1",
	       "register gives the describe shape");
	is_str(field(o, "status"), "ACTIVE", "ACTIVE");
	json_decref(o);
	works(ecsfs_taskdef_register(s, "web", d, &o, &err), "the same again");
	is_int(json_integer_value(json_object_get(o, "revision")), 1, "makes no new revision");
	json_decref(o);
	json_object_set_new(json_array_get(json_object_get(d, "containerDefinitions"), 0), "memory",
			    json_integer(128));
	works(ecsfs_taskdef_register(s, "web", d, NULL, &err), "a changed one");
	json_decref(d);

	d = doc("{'containerDefinitions': [{'name': 'app', 'image': 'x', 'memory': 4}]}");
	fails(ecsfs_taskdef_register(s, "web", d, NULL, &err), -EINVAL, ECSFS_E_INVALID_PARAMETER,
	      "an invalid document");
	is_str(err.msg.data,
	       "containerDefinitions[0].memory: 4 MiB is below Docker's minimum of 6 MiB",
	       "names the field");
	fails(ecsfs_taskdef_register(s, "a b", d, NULL, &err), -EINVAL, ECSFS_E_INVALID_PARAMETER,
	      "a bad family name");
	json_decref(d);

	works(ecsfs_taskdef_list(s, NULL, &arns, &err), "list");
	is_int(json_array_size(arns), 2, "two ACTIVE revisions");
	json_decref(arns);
	works(ecsfs_taskdef_deregister(s, "web", 1, &o, &err), "deregister web:1");
	is_str(field(o, "status"), "INACTIVE", "gives it INACTIVE");
	json_decref(o);
	fails(ecsfs_taskdef_deregister(s, "web", 1, NULL, &err), -EINVAL, ECSFS_E_CLIENT,
	      "deregister of an INACTIVE revision");
	fails(ecsfs_taskdef_deregister(s, "web", 7, NULL, &err), -ENOENT, ECSFS_E_CLIENT,
	      "deregister of no revision");
	fails(ecsfs_taskdef_deregister(s, "web", 0, NULL, &err), -EINVAL, ECSFS_E_INVALID_PARAMETER,
	      "deregister of revision 0");
	works(ecsfs_taskdef_describe(s, "web", 1, &o, &err), "an INACTIVE revision");
	ok(field(o, "deregisteredAt") != NULL, "describes with deregisteredAt");
	json_decref(o);
	fails(ecsfs_taskdef_describe(s, "nope", 0, &o, &err), -ENOENT, ECSFS_E_CLIENT,
	      "describe of no family");
	works(ecsfs_taskdef_list(s, "we", &arns, &err), "list by prefix");
	is_str(json_string_value(json_array_get(arns, 0)),
	       "arn:aws:ecs:us-east-1:000000000000:task-definition/web:2", "web:2 is left");
	is_int(json_array_size(arns), 1, "alone");
	json_decref(arns);
	works(ecsfs_taskdef_deregister_family(s, "web", &err), "deregister the family");
	works(ecsfs_taskdef_list(s, NULL, &arns, &err), "list");
	is_int(json_array_size(arns), 0, "none ACTIVE");
	json_decref(arns);
}

/* ---- secrets ---- */

static void check_secrets(void)
{
	ecsfs_buf v = ECSFS_BUF_INIT;
	char *big = calloc(1, ECSFS_SECRET_MAX + 1);

	works(ecsfs_secret_put(s, "db-password", "hunter2", 7, &err), "put");
	ecsfs_store_secret_get(s, "db-password", &v, NULL);
	is_str(v.data, "hunter2", "stored");
	fails(ecsfs_secret_put(s, "db password", "x", 1, &err), -EINVAL, ECSFS_E_INVALID_PARAMETER,
	      "a bad name");
	fails(ecsfs_secret_put(s, "big", big, ECSFS_SECRET_MAX + 1, &err), -EINVAL,
	      ECSFS_E_INVALID_PARAMETER, "a value over the limit");
	fails(ecsfs_secret_check("x", ECSFS_SECRET_MAX + 1, &err), -EINVAL,
	      ECSFS_E_INVALID_PARAMETER, "the same, checked before it is written");
	works(ecsfs_secret_delete(s, "db-password", &err), "delete");
	fails(ecsfs_secret_delete(s, "db-password", &err), -ENOENT, ECSFS_E_RESOURCE_NOT_FOUND,
	      "delete of no secret");
	free(big);
	ecsfs_buf_release(&v);
}

int main(void)
{
	char dir[] = "/tmp/ecsfs-test-core-ops-XXXXXX";
	ecsfs_buf why = ECSFS_BUF_INIT;
	uv_loop_t loop;

	if (!mkdtemp(dir))
		return 1;
	uv_loop_init(&loop);
	is_int(ecsfs_store_open(dir, &s, &why), 0, "store opens");
	/* no task subsystem: services start nothing */
	is_int(ecsfs_services_new(&loop, s, NULL, &sv), 0, "services open");

	check_clusters();
	check_retire();
	check_taskdefs();
	check_secrets();

	ecsfs_services_free(sv);
	uv_run(&loop, UV_RUN_NOWAIT);
	uv_loop_close(&loop);
	ecsfs_store_close(s);
	ecsfs_buf_release(&why);
	ecsfs_err_release(&err);
	tap_rmtree(dir);
	return tap_done();
}
