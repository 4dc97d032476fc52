/*
 * ECS cluster, capacity-provider and tag operations through the API's
 * dispatcher on a store in a temporary directory: AWS's shapes and
 * exceptions, and the same rows as the file front end leaves for the same
 * intent (a cluster made by CreateCluster and one made by mkdir plus a
 * write of cluster.json describe alike and have the same spec file).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_harness.h"
#include "ecsfs/arn.h"
#include "ecsfs/cluster.h"
#include "ecsfs/util.h"
#include "tap_err.h"

static ecsfs_err err = ECSFS_ERR_INIT;

#define SEED_SETTINGS                                                                             \
	"'settings': [{'name': 'containerInsights', 'value': 'enabled'}],"                        \
	" 'capacityProviders': ['FARGATE', 'FARGATE_SPOT'],"                                      \
	" 'defaultCapacityProviderStrategy': [{'capacityProvider': 'FARGATE', 'weight': 1},"      \
	" {'capacityProvider': 'FARGATE_SPOT', 'weight': 4}], 'tags': [{'key': 'team', 'value': " \
	"'core'}]"

static void check_create(void)
{
	json_t *o = ecs_ok("CreateCluster", "{'clusterName': 'prod', " SEED_SETTINGS "}");

	is_str(at(o, "cluster.clusterName"), "prod", "the cluster");
	is_str(at(o, "cluster.clusterArn"), "arn:aws:ecs:us-east-1:000000000000:cluster/prod",
	       "its ARN");
	is_str(at(o, "cluster.status"), "ACTIVE", "ACTIVE");
	is_str(at(o, "cluster.settings.0.value"), "enabled", "its settings");
	is_str(at(o, "cluster.capacityProviders.1"), "FARGATE_SPOT", "its providers");
	is_int(json_integer_value(node(o, "cluster.defaultCapacityProviderStrategy.1.weight")), 4,
	       "its strategy");
	is_str(at(o, "cluster.tags.0.key"), "team", "its tags");
	ok(json_is_integer(node(o, "cluster.runningTasksCount")), "counts are numbers");
	json_decref(o);

	o = ecs_ok("CreateCluster", "{}");
	is_str(at(o, "cluster.clusterName"), "default", "no name: default");
	json_decref(o);
	o = ecs_ok("CreateCluster", "{'clusterName': 'prod'}");
	is_str(at(o, "cluster.settings.0.value"), "enabled", "again: the cluster as it was");
	json_decref(o);

	ecs_fails("CreateCluster", "{'clusterName': 'a b'}", "InvalidParameterException",
		  "a bad name");
	ecs_fails(
	    "CreateCluster",
	    "{'clusterName': 'x', 'settings': [{'name': 'containerInsights', 'value': 'on'}]}",
	    "InvalidParameterException", "a bad setting");
	ok(strncmp(api_message, "settings[0].value: ", 19) == 0, "names the field: %s",
	   api_message);
	ok(!ecsfs_store_cluster_exists(api.store, "x"), "and makes nothing");
	ecs_fails("CreateCluster", "{'clusterName': 'x', 'capacityProviders': ['local']}",
		  "InvalidParameterException", "a capacity provider that does not exist");
	ecs_fails("CreateCluster", "{'clusterName': 'x', 'tags': [{'key': 'aws:x', 'value': ''}]}",
		  "InvalidParameterException", "a reserved tag key");
	is_str(api_message, "tags[0].key: 'aws:x': the aws: prefix is reserved",
	       "the cluster.json message");
	ecs_fails("CreateCluster", "{'clusterName': 7}", "InvalidParameterException",
		  "a name of the wrong type");
	ecs_fails("CreateCluster", "{'clusterName': 'x', 'colour': 'blue'}",
		  "InvalidParameterException", "an unknown field");
}

/* The describe of `name` with its name and ARN taken out, as text. */
static char *described(const char *name)
{
	json_t *o = NULL;
	char *t;

	if (ecsfs_cluster_describe(api.store, name, NULL, NULL, &o, &err) < 0)
		return strdup("(none)");
	json_object_del(o, "clusterName");
	json_object_del(o, "clusterArn");
	t = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(o);
	return t;
}

static void check_same_rows(void)
{
	ecsfs_buf via_api = ECSFS_BUF_INIT, via_files = ECSFS_BUF_INIT, ev = ECSFS_BUF_INIT;
	ecsfs_file_meta meta = {.kind = ECSFS_FILE_SPEC, .mode = 0644};
	uint64_t n_api = 0, n_files = 0;
	int64_t mt;

	/* the files: mkdir spec/clusters/files, then cluster.json written with
	 * the bytes the API wrote for prod */
	ok(ecsfs_store_file_get(api.store, "/spec/clusters/prod", "cluster.json", NULL, &via_api) ==
	       0,
	   "CreateCluster wrote spec/clusters/prod/cluster.json");
	works(ecsfs_cluster_create(api.store, "files", &err), "mkdir");
	works(ecsfs_cluster_settings_apply(api.store, "files", via_api.data, via_api.len, &meta,
					   &err),
	      "write cluster.json");
	ecsfs_store_file_get(api.store, "/spec/clusters/files", "cluster.json", NULL, &via_files);
	ok(via_api.len == via_files.len && !memcmp(via_api.data, via_files.data, via_api.len),
	   "the same spec file");
	char *a = described("prod"), *f = described("files");
	is_str(a, f, "the same describe");
	free(a);
	free(f);
	ecsfs_store_journal_stat(api.store, "cluster/prod", &n_api, &mt);
	ecsfs_store_journal_stat(api.store, "cluster/files", &n_files, &mt);
	/* two events, "was created." and "settings were applied.", each naming
	 * its cluster */
	ok(n_api > 0 && n_api + 2 * (strlen("files") - strlen("prod")) == n_files,
	   "the same events (%llu, %llu bytes: the names differ)", (unsigned long long)n_api,
	   (unsigned long long)n_files);
	ecsfs_buf_release(&via_api);
	ecsfs_buf_release(&via_files);
	ecsfs_buf_release(&ev);
}

static void check_describe(void)
{
	json_t *o =
	    ecs_ok("DescribeClusters", "{'clusters': ['prod', "
				       "'arn:aws:ecs:us-east-1:000000000000:cluster/files', "
				       "'nope']}");

	is_int(json_array_size(json_object_get(o, "clusters")), 2, "two clusters");
	is_str(at(o, "clusters.1.clusterName"), "files", "by ARN too");
	ok(!node(o, "clusters.0.settings") && !node(o, "clusters.0.tags") &&
	       !node(o, "clusters.0.statistics"),
	   "no settings, tags, statistics unless asked");
	is_str(at(o, "clusters.0.capacityProviders.0"), "FARGATE", "capacity providers always");
	is_str(at(o, "failures.0.arn"), "arn:aws:ecs:us-east-1:000000000000:cluster/nope",
	       "a failure for the missing one");
	is_str(at(o, "failures.0.reason"), "MISSING", "MISSING");
	json_decref(o);
	o = ecs_ok("DescribeClusters",
		   "{'clusters': ['prod'], 'include': ['SETTINGS', 'TAGS', 'STATISTICS']}");
	is_str(at(o, "clusters.0.settings.0.name"), "containerInsights", "SETTINGS");
	is_str(at(o, "clusters.0.tags.0.value"), "core", "TAGS");
	is_str(at(o, "clusters.0.statistics.0.name"), "runningEC2TasksCount", "STATISTICS");
	json_decref(o);
	o = ecs_ok("DescribeClusters", "{}");
	is_str(at(o, "clusters.0.clusterName"), "default", "no list: default");
	json_decref(o);
	ecs_fails("DescribeClusters", "{'include': ['EVERYTHING']}", "InvalidParameterException",
		  "an include value ECS does not have");
	ecs_fails("DescribeClusters", "{'clusters': 'prod'}", "InvalidParameterException",
		  "clusters not a list");
}

static void check_list(void)
{
	json_t *o = ecs_ok("ListClusters", "{}");
	is_int(json_array_size(json_object_get(o, "clusterArns")), 3, "three clusters");
	is_str(at(o, "clusterArns.0"), "arn:aws:ecs:us-east-1:000000000000:cluster/default",
	       "by name");
	ok(!json_object_get(o, "nextToken"), "one page");
	json_decref(o);
	o = ecs_ok("ListClusters", "{'maxResults': 2}");
	is_int(json_array_size(json_object_get(o, "clusterArns")), 2, "a page of two");
	const char *tok = at(o, "nextToken");
	ok(tok != NULL, "and a token");
	char body[256];
	snprintf(body, sizeof(body), "{'maxResults': 2, 'nextToken': '%s'}", tok ? tok : "");
	json_t *p = ecs_ok("ListClusters", body);
	is_str(at(p, "clusterArns.0"), "arn:aws:ecs:us-east-1:000000000000:cluster/prod",
	       "the next page");
	ok(!json_object_get(p, "nextToken"), "the last");
	json_decref(p);
	json_decref(o);
	ecs_fails("ListClusters", "{'maxResults': 101}", "InvalidParameterException",
		  "maxResults over 100");
	ecs_fails("ListClusters", "{'maxResults': 0}", "InvalidParameterException", "maxResults 0");
}

static void check_update(void)
{
	json_t *o = ecs_ok("UpdateClusterSettings",
			   "{'cluster': 'prod', 'settings': [{'name': 'containerInsights', "
			   "'value': 'disabled'}]}");
	is_str(at(o, "cluster.settings.0.value"), "disabled", "UpdateClusterSettings");
	is_int(json_array_size(node(o, "cluster.settings")), 1, "replaces the one of its name");
	json_decref(o);
	o = ecs_ok("UpdateCluster",
		   "{'cluster': 'prod', 'configuration': {'executeCommandConfiguration': "
		   "{'logging': 'DEFAULT'}}}");
	is_str(at(o, "cluster.configuration.executeCommandConfiguration.logging"), "DEFAULT",
	       "UpdateCluster's configuration");
	is_str(at(o, "cluster.tags.0.key"), "team", "the rest kept");
	json_decref(o);
	ecs_fails("UpdateCluster", "{'cluster': 'nope', 'settings': []}",
		  "ClusterNotFoundException", "an unknown cluster");
	ecs_fails("UpdateClusterSettings", "{'cluster': 'prod'}", "InvalidParameterException",
		  "settings are required");

	o = ecs_ok(
	    "PutClusterCapacityProviders",
	    "{'cluster': 'prod', 'capacityProviders': ['FARGATE'], "
	    "'defaultCapacityProviderStrategy': [{'capacityProvider': 'FARGATE', 'base': 1}]}");
	is_int(json_array_size(node(o, "cluster.capacityProviders")), 1, "providers replaced");
	json_decref(o);
	ecs_fails("PutClusterCapacityProviders",
		  "{'cluster': 'prod', 'capacityProviders': ['FARGATE'], "
		  "'defaultCapacityProviderStrategy': [{'capacityProvider': 'FARGATE_SPOT'}]}",
		  "InvalidParameterException", "a strategy member not in the list");
	ecs_fails("PutClusterCapacityProviders",
		  "{'cluster': 'prod', 'capacityProviders': ['mine'], "
		  "'defaultCapacityProviderStrategy': []}",
		  "InvalidParameterException", "a provider that does not exist");
	ecs_fails("PutClusterCapacityProviders", "{'cluster': 'prod', 'capacityProviders': []}",
		  "InvalidParameterException", "the strategy is required");
	ecs_fails("PutClusterCapacityProviders",
		  "{'cluster': 'nope', 'capacityProviders': [], "
		  "'defaultCapacityProviderStrategy': []}",
		  "ClusterNotFoundException", "an unknown cluster");
}

static void check_tags(void)
{
	json_t *o;
	ecsfs_buf data = ECSFS_BUF_INIT;

	json_decref(ecs_ok("TagResource",
			   "{'resourceArn': 'arn:aws:ecs:us-east-1:000000000000:cluster/prod', "
			   "'tags': [{'key': 'env', 'value': 'prod'}]}"));
	o = ecs_ok("ListTagsForResource",
		   "{'resourceArn': 'arn:aws:ecs:us-east-1:000000000000:cluster/prod'}");
	is_int(json_array_size(json_object_get(o, "tags")), 2, "two tags");
	is_str(at(o, "tags.1.key"), "env", "the new one last");
	json_decref(o);
	ecsfs_store_file_get(api.store, "/spec/clusters/prod", "cluster.json", NULL, &data);
	ok(data.data && strstr(data.data, "\"env\""), "cluster.json shows it");
	json_decref(ecs_ok("UntagResource",
			   "{'resourceArn': 'arn:aws:ecs:us-east-1:000000000000:cluster/prod', "
			   "'tagKeys': ['team']}"));
	o = ecs_ok("ListTagsForResource",
		   "{'resourceArn': 'arn:aws:ecs:us-east-1:000000000000:cluster/prod'}");
	is_str(at(o, "tags.0.key"), "env", "one left");
	json_decref(o);
	ecs_fails("ListTagsForResource",
		  "{'resourceArn': 'arn:aws:ecs:us-east-1:000000000000:cluster/nope'}",
		  "ResourceNotFoundException", "an unknown cluster's ARN");
	ecs_fails("TagResource", "{'resourceArn': 'prod', 'tags': []}", "InvalidParameterException",
		  "not an ARN");
	ecs_fails("TagResource",
		  "{'resourceArn': 'arn:aws:ecs:us-east-1:000000000000:cluster/prod', "
		  "'tags': [{'key': 'aws:x', 'value': 'v'}]}",
		  "InvalidParameterException", "a reserved key");
	ecs_fails("UntagResource",
		  "{'resourceArn': 'arn:aws:ecs:us-east-1:000000000000:cluster/prod'}",
		  "InvalidParameterException", "tagKeys are required");
	ecsfs_buf_release(&data);
}

static void check_delete(void)
{
	json_t *o;

	ecsfs_cluster_create(api.store, "busy", &err);
	ecsfs_store_service_put(api.store, "busy", "web", "{}");
	ecs_fails("DeleteCluster", "{'cluster': 'busy'}", "ClusterContainsServicesException",
		  "a cluster with a service");
	ecs_fails("DeleteCluster", "{'cluster': 'nope'}", "ClusterNotFoundException",
		  "an unknown cluster");
	ecs_fails("DeleteCluster", "{}", "InvalidParameterException", "cluster is required");
	o = ecs_ok("DeleteCluster", "{'cluster': 'files'}");
	is_str(at(o, "cluster.status"), "INACTIVE", "the deleted cluster is INACTIVE");
	is_str(at(o, "cluster.settings.0.value"), "enabled", "with its settings");
	json_decref(o);
	o = ecs_ok("DescribeClusters", "{'clusters': ['files']}");
	is_str(at(o, "clusters.0.status"), "INACTIVE", "and describes so");
	is_int(json_array_size(json_object_get(o, "failures")), 0, "not a failure");
	json_decref(o);
	ok(!ecsfs_store_cluster_exists(api.store, "files"), "the files do not show it");
	o = ecs_ok("CreateCluster", "{'clusterName': 'files'}");
	is_str(at(o, "cluster.status"), "ACTIVE", "made again: ACTIVE");
	is_int(json_array_size(node(o, "cluster.capacityProviders")), 0, "with nothing of before");
	json_decref(o);
}

static void check_capacity_providers(void)
{
	json_t *o = ecs_ok("DescribeCapacityProviders", "{}");

	is_int(json_array_size(json_object_get(o, "capacityProviders")), 2, "two providers");
	is_str(at(o, "capacityProviders.0.name"), "FARGATE", "FARGATE");
	is_str(at(o, "capacityProviders.1.status"), "ACTIVE", "ACTIVE");
	ok(!node(o, "capacityProviders.0.autoScalingGroupProvider"), "no auto-scaling group");
	json_decref(o);
	o = ecs_ok("DescribeCapacityProviders",
		   "{'capacityProviders': ['FARGATE_SPOT', 'mine'], 'include': ['TAGS']}");
	is_str(at(o, "capacityProviders.0.name"), "FARGATE_SPOT", "by name");
	ok(json_is_array(node(o, "capacityProviders.0.tags")), "TAGS");
	is_str(at(o, "failures.0.arn"), "mine", "a failure for an unknown one");
	json_decref(o);
	o = ecs_ok("DescribeCapacityProviders", "{'maxResults': 1}");
	ok(at(o, "nextToken") != NULL, "pages");
	json_decref(o);
	ecs_fails("DescribeCapacityProviders", "{'maxResults': 11}", "InvalidParameterException",
		  "maxResults over 10");
}

#define USER "arn:aws:iam::000000000000:user/dev"

static void check_account(void)
{
	json_t *o = ecs_ok("ListAccountSettings", "{'effectiveSettings': true}");
	const json_t *list = json_object_get(o, "settings"), *v;
	size_t i;
	bool insights_off = false, long_arns = false;

	is_int(json_array_size(list), 10, "ten settings in effect");
	json_array_foreach(list, i, v) {
		insights_off |= !strcmp(at(v, "name"), "containerInsights") &&
				!strcmp(at(v, "value"), "disabled");
		long_arns |= !strcmp(at(v, "name"), "taskLongArnFormat") &&
			     !strcmp(at(v, "value"), "enabled");
	}
	ok(insights_off && long_arns, "ECS's defaults");
	is_str(at(o, "settings.0.principalArn"), "arn:aws:iam::000000000000:root",
	       "the root user's");
	json_decref(o);
	o = ecs_ok("ListAccountSettings", "{}");
	is_int(json_array_size(json_object_get(o, "settings")), 0, "none set");
	json_decref(o);

	o = ecs_ok("PutAccountSettingDefault", "{'name': 'containerInsights', 'value': 'enabled'}");
	is_str(at(o, "setting.value"), "enabled", "PutAccountSettingDefault");
	json_decref(o);
	o = ecs_ok("DescribeClusters", "{'clusters': ['default'], 'include': ['SETTINGS']}");
	is_str(at(o, "clusters.0.settings.0.value"), "enabled",
	       "a cluster that does not say follows the account");
	json_decref(o);
	o = ecs_ok("PutAccountSetting",
		   "{'name': 'awsvpcTrunking', 'value': 'enabled', 'principalArn': '" USER "'}");
	is_str(at(o, "setting.principalArn"), USER, "PutAccountSetting for a user");
	json_decref(o);
	o = ecs_ok("ListAccountSettings", "{'principalArn': '" USER "', 'effectiveSettings': true, "
					  "'name': 'containerInsights'}");
	is_str(at(o, "settings.0.value"), "enabled", "the user has the account's");
	json_decref(o);
	o = ecs_ok("ListAccountSettings", "{'principalArn': '" USER "'}");
	is_int(json_array_size(json_object_get(o, "settings")), 1, "and its own");
	is_str(at(o, "settings.0.name"), "awsvpcTrunking", "awsvpcTrunking");
	json_decref(o);
	o = ecs_ok("ListAccountSettings", "{'effectiveSettings': true, 'maxResults': 3}");
	is_int(json_array_size(json_object_get(o, "settings")), 3, "a page of three");
	ok(at(o, "nextToken") != NULL, "with a token");
	json_decref(o);
	o = ecs_ok("DeleteAccountSetting", "{'name': 'containerInsights'}");
	is_str(at(o, "setting.value"), "disabled", "deleted: ECS's default again");
	json_decref(o);

	ecs_fails("PutAccountSetting", "{'name': 'fastMode', 'value': 'enabled'}",
		  "InvalidParameterException", "a name ECS does not have");
	ecs_fails("PutAccountSetting", "{'name': 'containerInsights', 'value': 'on'}",
		  "InvalidParameterException", "a value it does not take");
	ecs_fails("PutAccountSetting", "{'name': 'containerInsights'}", "InvalidParameterException",
		  "value is required");
	ecs_fails("PutAccountSetting",
		  "{'name': 'containerInsights', 'value': 'enabled', 'principalArn': 'bob'}",
		  "InvalidParameterException", "a principal that is not an IAM ARN");
	ecs_fails("ListAccountSettings", "{'maxResults': 11}", "InvalidParameterException",
		  "maxResults over 10");
	ecs_fails("ListAccountSettings", "{'value': 'enabled'}", "InvalidParameterException",
		  "a value without a name");
}

int main(void)
{
	char dir[] = "/tmp/ecsfs-test-api-cluster-XXXXXX";
	ecsfs_buf why = ECSFS_BUF_INIT;

	if (!mkdtemp(dir))
		return 1;
	is_int(ecsfs_store_open(dir, &api.store, &why), 0, "store opens");
	api.state_dir = dir;

	check_create();
	check_same_rows();
	check_describe();
	check_list();
	check_update();
	check_tags();
	check_delete();
	check_capacity_providers();
	check_account();

	ecsfs_store_close(api.store);
	ecsfs_buf_release(&why);
	ecsfs_err_release(&err);
	tap_rmtree(dir);
	return tap_done();
}
