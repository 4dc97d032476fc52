/*
 * ecsfs — RunTask's placement: the request's placement fields checked, and
 * its tasks placed over the cluster's candidates, as many as fit; the
 * others become RunTask's `failures` (RESOURCE:CPU, RESOURCE:MEMORY, ...).
 * The candidates are engines' (ecsfs_place_set_source()), or the implicit
 * instance `local`: the daemon's engine, whose CPU and memory are shared by
 * the live tasks of every cluster.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "ecsfs/arn.h"
#include "ecsfs/placement.h"
#include "ecsfs/util.h"
#include "model/task_place.h"
#include "task_private.h"

static ecsfs_place_source source;
static bool have_source;
static int64_t local_cpu, local_mem; /* CPU units, MiB; 0: unknown */

void ecsfs_place_set_source(const ecsfs_place_source *src)
{
	have_source = src != NULL;
	if (src)
		source = *src;
}

void ecsfs_place_set_local(int64_t ncpu, int64_t mem_bytes)
{
	local_cpu = ncpu > 0 ? ncpu * 1024 : 0;
	local_mem = mem_bytes > 0 ? mem_bytes / (1024 * 1024) : 0;
}

/* ---- the checks ---- */

/* The cluster's capacityProviders (a new reference), or NULL. */
static json_t *cluster_providers(ecsfs_store *s, const char *cluster)
{
	ecsfs_cluster_row row;
	json_t *doc = NULL, *cps;

	ecsfs_cluster_row_init(&row);
	if (ecsfs_store_cluster_get(s, cluster, &row) == 0 && row.settings.len)
		doc = json_loadb(row.settings.data, row.settings.len, 0, NULL);
	cps = json_incref(json_object_get(doc, "capacityProviders"));
	json_decref(doc);
	ecsfs_cluster_row_release(&row);
	return cps;
}

int ecsfs__task_check_placement(ecsfs_store *s, const char *cluster, const json_t *rq,
				ecsfs_err *err)
{
	json_t *cps = cluster_providers(s, cluster), *p;
	const char **known = calloc(json_array_size(cps) + 1, sizeof(*known));
	size_t i;
	int r;

	if (!known) {
		json_decref(cps);
		return ecsfs_err_set(err, ECSFS_E_SERVER, -ENOMEM, "out of memory");
	}
	json_array_foreach(cps, i, p)
		known[i] = json_string_value(p) ? json_string_value(p) : "";
	r = ecsfs_place_check_request(rq, known, err);
	free(known);
	json_decref(cps);
	return r;
}

/* ---- the implicit instance `local` ---- */

typedef struct local_view {
	ecsfs_place_instance in;
	ecsfs_place_task *tasks;
	uint16_t *ports;
	size_t nports, cap;
	ecsfs_place_attr attrs[3];
	const char *providers[ECSFS_PLACE_PROVIDERS_MAX + 3];
	struct utsname un;
	ecsfs_buf arn;
} local_view;

static void add_ports(local_view *lv, const uint16_t *p, size_t n)
{
	if (n == 0)
		return;
	if (lv->nports + n > lv->cap) {
		size_t cap = 2 * (lv->nports + n);
		uint16_t *np = realloc(lv->ports, cap * sizeof(*np));
		if (!np)
			return; /* the ports of this task are not known to be taken */
		lv->ports = np;
		lv->cap = cap;
	}
	memcpy(lv->ports + lv->nports, p, n * sizeof(*p));
	lv->nports += n;
}

/* What the live tasks reserve (every cluster's: one engine), and this
 * cluster's tasks as the tasks on `local`. */
static void local_tasks(ecsfs_tasks *t, const char *cluster, local_view *lv)
{
	int64_t cpu_used = 0, mem_used = 0;

	lv->tasks = calloc(t->n ? t->n : 1, sizeof(*lv->tasks));
	for (size_t i = 0; i < t->n; i++) {
		const struct task *k = t->v[i];
		int64_t cpu = 0, mem = 0;
		uint16_t ports[64];
		size_t np = 0;

		if (k->last == T_STOPPED)
			continue;
		ecsfs_place_size(k->taskdef, &cpu, &mem, ports, 64, &np);
		cpu_used += cpu;
		mem_used += mem;
		add_ports(lv, ports, np);
		if (lv->tasks && strcmp(k->cluster, cluster) == 0)
			lv->tasks[lv->in.ntasks++] = (ecsfs_place_task){.id = k->id,
									.group = k->group,
									.family = k->family,
									.cpu = cpu,
									.memory = mem};
	}
	/* unknown resources are never short */
	lv->in.cpu_registered = local_cpu ? local_cpu : INT32_MAX;
	lv->in.mem_registered = local_mem ? local_mem : INT32_MAX;
	lv->in.cpu_remaining = lv->in.cpu_registered - cpu_used;
	lv->in.mem_remaining = lv->in.mem_registered - mem_used;
}

static void local_make(ecsfs_tasks *t, const char *cluster, const json_t *strategy, local_view *lv)
{
	const json_t *item;
	size_t i, np = 0;

	memset(lv, 0, sizeof(*lv));
	ecsfs_buf_init(&lv->arn);
	ecsfs_arn(&lv->arn, "ecs", "container-instance/%s/local", cluster);
	if (uname(&lv->un) != 0)
		strcpy(lv->un.machine, "x86_64");
	lv->attrs[0] = (ecsfs_place_attr){"ecs.availability-zone", "local"};
	lv->attrs[1] = (ecsfs_place_attr){"ecs.os-type", "linux"};
	lv->attrs[2] = (ecsfs_place_attr){"ecs.cpu-architecture", lv->un.machine};
	lv->providers[np++] = "FARGATE";
	lv->providers[np++] = "FARGATE_SPOT";
	json_array_foreach(strategy, i, item)
		if (np < ECSFS_PLACE_PROVIDERS_MAX + 2)
			lv->providers[np++] =
			    json_string_value(json_object_get(item, "capacityProvider"));
	lv->in = (ecsfs_place_instance){.name = "local",
					.arn = lv->arn.data,
					.attrs = lv->attrs,
					.nattrs = 3,
					.connected = true,
					.providers = lv->providers};
	local_tasks(t, cluster, lv);
	lv->in.tasks = lv->tasks;
	lv->in.ports = lv->ports;
	lv->in.nports = lv->nports;
}

static void local_release(local_view *lv)
{
	free(lv->tasks);
	free(lv->ports);
	ecsfs_buf_release(&lv->arn);
}

/* ---- placing ---- */

static const char *opt_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

typedef struct place_outs {
	long *count;
	json_t **failures, **providers;
} place_outs;

static int place_over(const ecsfs_place_instance *v, size_t n, const ecsfs_place_request *rq,
		      const place_outs *po, ecsfs_err *err)
{
	ecsfs_place_out o;
	int r;

	ecsfs_place_out_init(&o);
	r = ecsfs_place(v, n, rq, &o, err);
	if (r == 0) {
		*po->count = (long)o.placed;
		*po->failures = o.failures ? json_incref(o.failures) : json_array();
		*po->providers = json_array();
		for (size_t k = 0; k < o.n; k++)
			if (o.where[k] >= 0)
				json_array_append_new(*po->providers,
						      o.provider[k] ? json_string(o.provider[k])
								    : json_null());
	}
	ecsfs_place_out_release(&o);
	return r;
}

static bool is_provider(const json_t *item, const char *name)
{
	const char *p = json_string_value(json_object_get(item, "capacityProvider"));
	return p && strcmp(p, name) == 0;
}

void ecsfs__task_set_provider(struct task *k, const char *name)
{
	json_t *cps = json_object_get(k->kept, "capacityProviderStrategy"), *kept, *order, *e;
	size_t i;

	if (!name || json_array_size(cps) < 2)
		return;
	kept = json_deep_copy(k->kept);
	order = json_array();
	json_array_foreach(cps, i, e)
		if (is_provider(e, name))
			json_array_append(order, e);
	json_array_foreach(cps, i, e)
		if (!is_provider(e, name))
			json_array_append(order, e);
	json_object_set_new(kept, "capacityProviderStrategy", order);
	json_decref(k->kept);
	k->kept = kept;
}

static int place_task(ecsfs_tasks *t, const char *cluster, const json_t *rq, const json_t *kept,
		      const json_t *doc, const char *group, const place_outs *po, ecsfs_err *err)
{
	const json_t *cps = json_object_get(kept, "capacityProviderStrategy");
	uint16_t ports[64];
	long *count = po->count;
	ecsfs_place_request pr = {.group = group,
				  .constraints = json_object_get(rq, "placementConstraints"),
				  .taskdef_constraints =
				      json_object_get(doc, "placementConstraints"),
				  .strategy = json_object_get(rq, "placementStrategy"),
				  .providers = cps,
				  .launch_type = opt_str(rq, "launchType"),
				  .ports = ports,
				  .count = (size_t)*count,
				  .seed = (uint64_t)ecsfs_now_ns()};
	const ecsfs_place_instance *v;
	void *keep = NULL;
	size_t n;
	int r;

	if (ecsfs_place_size(doc, &pr.cpu, &pr.memory, ports, 64, &pr.nports) < 0)
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "taskDefinition: its cpu or memory cannot be read");
	if (have_source) {
		if ((r = source.get(source.ctx, cluster, &v, &n, &keep)) < 0)
			return ecsfs_err_set(err, ECSFS_E_SERVER, r,
					     "the cluster's container instances cannot be read");
		r = place_over(v, n, &pr, po, err);
		source.release(source.ctx, keep);
		return r;
	}
	local_view lv;
	local_make(t, cluster, cps, &lv);
	r = place_over(&lv.in, 1, &pr, po, err);
	local_release(&lv);
	return r;
}

int ecsfs__task_place(ecsfs_tasks *t, const char *cluster, const json_t *rq, const json_t *kept,
		      const json_t *doc, const char *group, const char *family, long *count,
		      json_t **failures, json_t **providers, ecsfs_err *err)
{
	place_outs po = {count, failures, providers};
	ecsfs_buf fam = ECSFS_BUF_INIT;
	int r;

	if (!group)
		ecsfs_buf_addf(&fam, "family:%s", family);
	r = place_task(t, cluster, rq, kept, doc, group ? group : fam.data, &po, err);
	ecsfs_buf_release(&fam);
	return r;
}
