/* Clusters: the describe-clusters shape and the status lines. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ecsfs/account.h"
#include "ecsfs/arn.h"
#include "ecsfs/cluster.h"
#include "ecsfs/task.h"
#include "ecsfs/util.h"
#include "model/cluster_private.h"

static json_t *array_or_empty(json_t *doc, const char *key)
{
	json_t *v = json_object_get(doc, key);
	return v ? json_incref(v) : json_array();
}

/* ECS's statistics: everything here runs on the one container instance,
 * which ECS would count as EC2. */
static json_t *statistics(const ecsfs_cluster_counts *n)
{
	const struct {
		const char *name;
		unsigned value;
	} st[] = {
	    {"runningEC2TasksCount", n->running},   {"runningFargateTasksCount", 0},
	    {"pendingEC2TasksCount", n->pending},   {"pendingFargateTasksCount", 0},
	    {"activeEC2ServiceCount", n->services}, {"activeFargateServiceCount", 0},
	    {"drainingEC2ServiceCount", 0},	    {"drainingFargateServiceCount", 0},
	};
	json_t *a = json_array();
	char v[16];

	for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++) {
		snprintf(v, sizeof(v), "%u", st[i].value);
		json_array_append_new(a, json_pack("{s:s, s:s}", "name", st[i].name, "value", v));
	}
	return a;
}

static void set_kept(json_t *j, json_t *doc, const char *key)
{
	json_t *v = json_object_get(doc, key);
	if (v)
		json_object_set(j, key, v);
}

/* The shape of a cluster whose settings are `doc`. */
static json_t *shape(const char *name, bool active, json_t *doc, const ecsfs_runtime_info *rt,
		     const ecsfs_cluster_counts *n, unsigned include, const char *insights)
{
	json_t *j = json_object(), *settings;

	json_object_set_new(j, "clusterArn", ecsfs_arn_json("ecs", "cluster/%s", name));
	json_object_set_new(j, "clusterName", json_string(name));
	json_object_set_new(j, "status", json_string(active ? "ACTIVE" : "INACTIVE"));
	json_object_set_new(j, "registeredContainerInstancesCount",
			    json_integer(active && rt && rt->reachable ? 1 : 0));
	json_object_set_new(j, "runningTasksCount", json_integer(n->running));
	json_object_set_new(j, "pendingTasksCount", json_integer(n->pending));
	json_object_set_new(j, "activeServicesCount", json_integer(n->services));
	if (include & ECSFS_CLUSTER_STATISTICS)
		json_object_set_new(j, "statistics", statistics(n));
	if (include & ECSFS_CLUSTER_TAGS)
		json_object_set_new(j, "tags", array_or_empty(doc, "tags"));
	settings = json_object_get(doc, "settings");
	if (!(include & ECSFS_CLUSTER_SETTINGS))
		;
	else if (settings)
		json_object_set(j, "settings", settings);
	else
		json_object_set_new(
		    j, "settings",
		    json_pack("[{s:s, s:s}]", "name", "containerInsights", "value", insights));
	json_object_set_new(j, "capacityProviders", array_or_empty(doc, "capacityProviders"));
	json_object_set_new(j, "defaultCapacityProviderStrategy",
			    array_or_empty(doc, "defaultCapacityProviderStrategy"));
	if (include & ECSFS_CLUSTER_CONFIGURATIONS)
		set_kept(j, doc, "configuration");
	set_kept(j, doc, "serviceConnectDefaults");
	if (include & ECSFS_CLUSTER_ATTACHMENTS)
		json_object_set_new(j, "attachments", json_array());
	json_object_set_new(j, "attachmentsStatus", json_string("UPDATE_COMPLETE"));
	return j;
}

/* A cluster deleted within the hour, as ECS shows it: INACTIVE. */
static int describe_deleted(ecsfs_store *s, const char *name, unsigned include,
			    const char *insights, json_t **out)
{
	static const ecsfs_cluster_counts none;
	ecsfs_buf settings = ECSFS_BUF_INIT;
	int64_t at;
	json_t *doc = NULL;
	int r = ecsfs_store_cluster_deleted_get(s, name, &at, &settings);

	if (r == 0 && at < ecsfs_now_ns() - ECSFS_CLUSTER_INACTIVE_NS)
		r = -ENOENT;
	if (r == 0) {
		if (settings.len)
			doc = json_loadb(settings.data, settings.len, 0, NULL);
		if (!doc)
			doc = json_object();
		*out = shape(name, false, doc, NULL, &none, include, insights);
		json_decref(doc);
	}
	ecsfs_buf_release(&settings);
	return r;
}

int ecsfs_cluster_describe_some(ecsfs_store *s, const char *name, const ecsfs_runtime_info *rt,
				const ecsfs_cluster_counts *n, unsigned include, json_t **out,
				ecsfs_err *err)
{
	static const ecsfs_cluster_counts none;
	ecsfs_buf insights = ECSFS_BUF_INIT;
	ecsfs_cluster_row row;
	json_t *doc;
	int r;

	/* a cluster that does not say follows the account's setting */
	if (ecsfs_account_setting_value(s, "containerInsights", &insights) < 0)
		ecsfs_buf_setf(&insights, "disabled");
	ecsfs_cluster_row_init(&row);
	r = ecsfs_store_cluster_get(s, name, &row);
	if (r == -ENOENT && (include & ECSFS_CLUSTER_INACTIVE))
		r = describe_deleted(s, name, include, insights.data, out);
	else if (r == 0) {
		doc = ecsfs__cluster_settings_doc(&row);
		*out = shape(name, true, doc, rt, n ? n : &none, include, insights.data);
		json_decref(doc);
	}
	if (r == -ENOENT)
		ecsfs__cluster_not_found(name, err);
	else if (r < 0)
		ecsfs__cluster_fault(s, r, "describe", name, err);
	ecsfs_cluster_row_release(&row);
	ecsfs_buf_release(&insights);
	return r;
}

int ecsfs_cluster_describe(ecsfs_store *s, const char *name, const ecsfs_runtime_info *rt,
			   const ecsfs_cluster_counts *n, json_t **out, ecsfs_err *err)
{
	return ecsfs_cluster_describe_some(s, name, rt, n, ECSFS_CLUSTER_ALL, out, err);
}

void ecsfs_cluster_gather(ecsfs_store *s, ecsfs_runtime *rt, ecsfs_tasks *t, const char *name,
			  ecsfs_runtime_info *info, ecsfs_cluster_counts *n)
{
	uint64_t services = 0;

	memset(info, 0, sizeof(*info));
	if (rt)
		ecsfs_runtime_get_info(rt, info);
	else
		snprintf(info->name, sizeof(info->name), "none");
	memset(n, 0, sizeof(*n));
	if (t)
		ecsfs_tasks_counts(t, name, &n->pending, &n->running, &n->stopped);
	if (ecsfs_store_service_count(s, name, &services) == 0)
		n->services = (unsigned)services;
}

int ecsfs_cluster_status(ecsfs_store *s, const char *name, const ecsfs_runtime_info *rt,
			 const ecsfs_cluster_counts *n, ecsfs_buf *out)
{
	static const ecsfs_cluster_counts none;
	ecsfs_cluster_row row;
	char created[32];
	int r;

	ecsfs_cluster_row_init(&row);
	if ((r = ecsfs_store_cluster_get(s, name, &row)) < 0)
		goto out;
	ecsfs_time_iso(row.created_ns, created);
	ecsfs_buf_addf(out, "name: %s\n", name);
	ecsfs_buf_adds(out, "arn: ");
	ecsfs_arn(out, "ecs", "cluster/%s\n", name);
	ecsfs_buf_addf(out, "status: ACTIVE\n");
	ecsfs_buf_addf(out, "created: %s\n", created);
	ecsfs_buf_addf(out, "settings: %s\n", row.settings.len ? "cluster.json" : "defaults");
	if (!n)
		n = &none;
	ecsfs_buf_addf(out,
		       "services: %u\nrunning_tasks: %u\npending_tasks: %u\nstopped_tasks: %u\n",
		       n->services, n->running, n->pending, n->stopped);
	if (!rt) {
		ecsfs_buf_addf(out, "runtime: none\n");
	} else if (rt->reachable) {
		ecsfs_buf_addf(out, "runtime: %s reachable\n", rt->name);
		ecsfs_buf_addf(out, "runtime_endpoint: %s\n", rt->endpoint);
		ecsfs_buf_addf(out, "runtime_version: %s\n", rt->version);
		ecsfs_buf_addf(out, "runtime_api_version: %s\n", rt->api_version);
	} else {
		ecsfs_buf_addf(out, "runtime: %s unreachable\n", rt->name);
		ecsfs_buf_addf(out, "runtime_endpoint: %s\n", rt->endpoint);
		ecsfs_buf_addf(out, "runtime_detail: %s\n", rt->detail[0] ? rt->detail : "-");
	}
	if (rt && rt->since) {
		char since[32];
		ecsfs_time_iso(rt->since * 1000000000, since);
		ecsfs_buf_addf(out, "runtime_since: %s\n", since);
	}
out:
	ecsfs_cluster_row_release(&row);
	return r;
}
