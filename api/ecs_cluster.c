/*
 * ECS operations on clusters and capacity providers: parse the request,
 * call core (include/ecsfs/cluster.h), render AWS's shapes. CreateCluster
 * leaves the rows that mkdir of spec/clusters/<c> and a write of its
 * cluster.json leave.
 */
#include <errno.h>
#include <string.h>

#include "api_private.h"
#include "ecsfs/arn.h"
#include "ecsfs/cluster.h"
#include "ecsfs/instance.h"

/* The providers registered container instances serve (a new array). */
static json_t *served(const ecsfs_api_core *c)
{
	return c->instances ? ecsfs_instance_providers(c->instances) : json_array();
}

/* A request's capacityProviders and defaultCapacityProviderStrategy name
 * providers that exist. */
static int check_providers(const ecsfs_api_core *c, const json_t *in, ecsfs_err *err)
{
	json_t *known = served(c);
	int r = ecsfs_cluster_check_providers(in, known, err);

	json_decref(known);
	return r;
}

/* DescribeClusters' include values, in ECS's order. */
static const struct {
	const char *name;
	unsigned bit;
} cluster_fields[] = {
    {"ATTACHMENTS", ECSFS_CLUSTER_ATTACHMENTS},
    {"CONFIGURATIONS", ECSFS_CLUSTER_CONFIGURATIONS},
    {"SETTINGS", ECSFS_CLUSTER_SETTINGS},
    {"STATISTICS", ECSFS_CLUSTER_STATISTICS},
    {"TAGS", ECSFS_CLUSTER_TAGS},
};

static int include_of(const json_t *in, unsigned *mask, ecsfs_err *err)
{
	const json_t *list = NULL, *v;
	size_t i;
	int r;

	*mask = 0;
	if ((r = ecsfs__api_strs(in, "include", false, &list, err)) < 0 || !list)
		return r;
	json_array_foreach(list, i, v) {
		size_t k, n = sizeof(cluster_fields) / sizeof(cluster_fields[0]);
		for (k = 0; k < n && strcmp(cluster_fields[k].name, json_string_value(v)); k++)
			;
		if (k == n)
			return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
					     "include[%zu]: '%.100s' is not one of ATTACHMENTS, "
					     "CONFIGURATIONS, SETTINGS, STATISTICS, TAGS",
					     i, json_string_value(v));
		*mask |= cluster_fields[k].bit;
	}
	return 0;
}

/* The describe shape of cluster `name` as the JSON protocol carries it. */
static int describe(const ecsfs_api_core *c, const char *name, unsigned include, json_t **out,
		    ecsfs_err *err)
{
	ecsfs_runtime_info info;
	ecsfs_cluster_counts n;
	int r;

	ecsfs_cluster_gather(c->store, c->rt, c->tasks, name, &info, &n);
	if ((r = ecsfs_cluster_describe_some(c->store, name, &info, &n, include, out, err)) == 0)
		ecsfs__api_epochs(*out, NULL);
	return r;
}

/* {"cluster": <describe>} with everything, as ECS answers a change. */
static int answer(const ecsfs_api_core *c, const char *name, unsigned extra, json_t **out,
		  ecsfs_err *err)
{
	json_t *j;
	int r = describe(c, name, ECSFS_CLUSTER_ALL | extra, &j, err);

	if (r == 0)
		*out = json_pack("{s:o}", "cluster", j);
	return r;
}

static int create_cluster(const ecsfs_api_core *c, const json_t *in, json_t **out, ecsfs_err *err)
{
	const char *name = "default";
	json_t *doc;
	int r;

	if ((r = ecsfs__api_str(in, "clusterName", false, &name, err)) < 0 ||
	    (r = check_providers(c, in, err)) < 0)
		return r;
	doc = json_deep_copy(in);
	json_object_del(doc, "clusterName");
	r = ecsfs_cluster_create_doc(c->store, name, doc, err);
	json_decref(doc);
	return r < 0 ? r : answer(c, name, 0, out, err);
}

static int delete_cluster(const ecsfs_api_core *c, const json_t *in, json_t **out, ecsfs_err *err)
{
	char name[256];
	int r;

	if ((r = ecsfs__api_str(in, "cluster", true, &(const char *){NULL}, err)) < 0 ||
	    (r = ecsfs__api_cluster(in, "cluster", name, err)) < 0 ||
	    (r = ecsfs_cluster_delete(c->store, name, false, err)) < 0)
		return r;
	return answer(c, name, ECSFS_CLUSTER_INACTIVE, out, err);
}

/* One entry of DescribeClusters' `clusters`: its describe, or a failure. */
static int describe_one(const ecsfs_api_core *c, const json_t *ref, unsigned include,
			json_t *clusters, json_t *failures, ecsfs_err *err)
{
	json_t *req = json_pack("{s:O}", "cluster", ref), *j;
	char name[256];
	int r = ecsfs__api_cluster(req, "cluster", name, err);

	json_decref(req);
	if (r < 0)
		return r;
	r = describe(c, name, include | ECSFS_CLUSTER_INACTIVE, &j, err);
	if (r == -ENOENT) {
		ecsfs_err_reset(err);
		json_array_append_new(failures, json_pack("{s:o, s:s}", "arn",
							  ecsfs_arn_json("ecs", "cluster/%s", name),
							  "reason", "MISSING"));
		return 0;
	}
	if (r == 0)
		json_array_append_new(clusters, j);
	return r;
}

static int describe_clusters(const ecsfs_api_core *c, const json_t *in, json_t **out,
			     ecsfs_err *err)
{
	const json_t *refs = NULL, *ref;
	json_t *dflt = json_pack("[s]", "default"), *clusters = json_array(),
	       *failures = json_array();
	unsigned include;
	size_t i;
	int r;

	if ((r = ecsfs__api_strs(in, "clusters", false, &refs, err)) < 0 ||
	    (r = include_of(in, &include, err)) < 0)
		goto out;
	if (!refs)
		refs = dflt;
	if (json_array_size(refs) > 100) {
		r = ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				  "clusters: at most 100 clusters per call");
		goto out;
	}
	json_array_foreach(refs, i, ref) {
		if ((r = describe_one(c, ref, include, clusters, failures, err)) < 0)
			goto out;
	}
	*out = json_pack("{s:O, s:O}", "clusters", clusters, "failures", failures);
out:
	json_decref(dflt);
	json_decref(clusters);
	json_decref(failures);
	return r;
}

static int list_clusters(const ecsfs_api_core *c, const json_t *in, json_t **out, ecsfs_err *err)
{
	json_t *arns, *o;
	int r;

	if ((r = ecsfs_cluster_arns(c->store, &arns, err)) < 0)
		return r;
	o = json_object();
	if ((r = ecsfs__api_page(arns, in, 100, 100, o, "clusterArns", err)) < 0) {
		json_decref(o);
		return r;
	}
	*out = o;
	return 0;
}

/* The fields of `in` named in `keys` (NULL-ended) applied to the cluster
 * `in` names; `required` ones must be there. */
static int update(const ecsfs_api_core *c, const json_t *in, const char *const *keys,
		  const char *const *required, bool providers, json_t **out, ecsfs_err *err)
{
	json_t *changes;
	char name[256];
	int r;

	if ((r = ecsfs__api_str(in, "cluster", true, &(const char *){NULL}, err)) < 0 ||
	    (r = ecsfs__api_cluster(in, "cluster", name, err)) < 0)
		return r;
	for (; required && *required; required++)
		if (!json_object_get(in, *required))
			return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
					     "%s is required", *required);
	if (providers && (r = check_providers(c, in, err)) < 0)
		return r;
	changes = json_object();
	for (; *keys; keys++)
		if (json_object_get(in, *keys))
			json_object_set(changes, *keys, json_object_get(in, *keys));
	r = ecsfs_cluster_update(c->store, name, changes, err);
	json_decref(changes);
	return r < 0 ? r : answer(c, name, 0, out, err);
}

static int update_cluster(const ecsfs_api_core *c, const json_t *in, json_t **out, ecsfs_err *err)
{
	static const char *const keys[] = {"settings", "configuration", "serviceConnectDefaults",
					   NULL};
	return update(c, in, keys, NULL, false, out, err);
}

static int update_cluster_settings(const ecsfs_api_core *c, const json_t *in, json_t **out,
				   ecsfs_err *err)
{
	static const char *const keys[] = {"settings", NULL};
	return update(c, in, keys, keys, false, out, err);
}

static int put_cluster_capacity_providers(const ecsfs_api_core *c, const json_t *in, json_t **out,
					  ecsfs_err *err)
{
	static const char *const keys[] = {"capacityProviders", "defaultCapacityProviderStrategy",
					   NULL};
	return update(c, in, keys, keys, true, out, err);
}

/* ---- capacity providers: FARGATE and FARGATE_SPOT ---- */

static int describe_capacity_providers(const ecsfs_api_core *c, const json_t *in, json_t **out,
				       ecsfs_err *err)
{
	const json_t *refs = NULL, *ref, *inc = NULL;
	json_t *all = json_array(), *failures = json_array(), *o, *known = NULL;
	bool tags = false;
	size_t i;
	int r;

	if ((r = ecsfs__api_strs(in, "capacityProviders", false, &refs, err)) < 0 ||
	    (r = ecsfs__api_strs(in, "include", false, &inc, err)) < 0)
		goto fail;
	json_array_foreach(inc, i, ref) {
		if (strcmp(json_string_value(ref), "TAGS") != 0) {
			r = ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
					  "include[%zu]: '%.100s' is not TAGS", i,
					  json_string_value(ref));
			goto fail;
		}
		tags = true;
	}
	known = served(c);
	r = ecsfs_capacity_providers_describe(refs, known, tags, all, failures, err);
	json_decref(known);
	if (r < 0)
		goto fail;
	o = json_pack("{s:o}", "failures", failures);
	if ((r = ecsfs__api_page(all, in, 10, 10, o, "capacityProviders", err)) < 0) {
		json_decref(o);
		return r;
	}
	*out = o;
	return 0;
fail:
	json_decref(all);
	json_decref(failures);
	return r;
}

const ecsfs__api_op ecsfs__ecs_cluster_ops[] = {
    {"CreateCluster", create_cluster},
    {"DeleteCluster", delete_cluster},
    {"DescribeClusters", describe_clusters},
    {"ListClusters", list_clusters},
    {"UpdateCluster", update_cluster},
    {"UpdateClusterSettings", update_cluster_settings},
    {"PutClusterCapacityProviders", put_cluster_capacity_providers},
    {"DescribeCapacityProviders", describe_capacity_providers},
    {NULL, NULL},
};
