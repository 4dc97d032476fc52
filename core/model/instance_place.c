/*
 * ecsfs — where new tasks go: the instances of a cluster (local and the
 * registered ones) with what their tasks hold, as the candidates of
 * placement (core/control/placement*.c decides; this file only gathers
 * and records). It is the placer of the task subsystem.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/arn.h"
#include "ecsfs/placement.h"
#include "ecsfs/util.h"
#include "model/instance_private.h"
#include "model/task_private.h"

#define PORTS_MAX 64 /* fixed host ports counted per task */
/* what local offers before its engine's host is read: more than any task */
#define LOCAL_UNREAD ((int64_t)1 << 40)

/* What one call gathers; everything borrowed by the candidates lives here. */
typedef struct gather {
	ecsfs_place_instance *inst;
	struct ecsfs__inst **eng;
	size_t n;
	json_t *keep; /* strings and arrays the candidates point into */
} gather;

static const char *kept(gather *g, json_t *s)
{
	json_array_append_new(g->keep, s);
	return json_string_value(s);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p)
		abort();
	return p;
}

/* The tasks on the instance that are not STOPPED, with what they reserve,
 * and the host ports they hold. local's engine is every cluster's: what
 * their tasks reserve there counts, though only this cluster's are its
 * tasks here. */
static void add_tasks(ecsfs_instances *in, gather *g, ecsfs_place_instance *pi, const char *cluster,
		      bool local)
{
	ecsfs_tasks *t = in->tasks;
	ecsfs_place_task *pt = xcalloc(t ? t->n : 0, sizeof(*pt));
	uint16_t *ports = NULL, one[PORTS_MAX];
	size_t nt = 0, np = 0, cap = 0;

	for (size_t i = 0; t && i < t->n; i++) {
		const struct task *k = t->v[i];
		size_t nk = 0;
		char td[300];

		bool here = strcmp(k->cluster, cluster) == 0;

		if (k->last == T_STOPPED || (!here && !local) ||
		    strcmp(k->instance ? k->instance : ECSFS_INSTANCE_LOCAL, pi->name) != 0)
			continue;
		snprintf(td, sizeof(td), "%s:%lld", k->family, (long long)k->revision);
		pt[nt].id = k->id;
		pt[nt].group = k->group;
		pt[nt].family = k->family;
		pt[nt].taskdef = kept(g, json_string(td));
		pt[nt].protected_ = k->protected_ns > ecsfs_now_ns();
		if (ecsfs_place_size(k->taskdef, &pt[nt].cpu, &pt[nt].memory, one, PORTS_MAX, &nk) <
		    0)
			nk = 0;
		pi->cpu_remaining -= pt[nt].cpu;
		pi->mem_remaining -= pt[nt].memory;
		if (np + nk > cap) {
			cap = 2 * (np + nk);
			if (!(ports = realloc(ports, cap * sizeof(*ports))))
				abort();
		}
		if (nk)
			memcpy(ports + np, one, nk * sizeof(*one));
		np += nk;
		nt += here;
	}
	pi->tasks = pt;
	pi->ntasks = nt;
	pi->ports = ports;
	pi->nports = np;
}

static void add_attrs(ecsfs_instances *in, gather *g, ecsfs_place_instance *pi,
		      const struct ecsfs__inst *e, const char *cluster)
{
	json_t *attrs = ecsfs__inst_attributes(in, e, cluster), *a;
	ecsfs_place_attr *pa = xcalloc(json_array_size(attrs), sizeof(*pa));
	size_t i;

	json_array_append_new(g->keep, attrs);
	json_array_foreach(attrs, i, a) {
		pa[i].name = json_string_value(json_object_get(a, "name"));
		pa[i].value = json_string_value(json_object_get(a, "value"));
	}
	pi->attrs = pa;
	pi->nattrs = json_array_size(attrs);
}

static void add_one(ecsfs_instances *in, gather *g, struct ecsfs__inst *e, const char *cluster)
{
	ecsfs_place_instance *pi = &g->inst[g->n];
	const char *provider = json_string_value(json_object_get(e->doc, "capacityProvider"));
	ecsfs_buf arn = ECSFS_BUF_INIT;
	char status[16];

	g->eng[g->n++] = e;
	pi->name = e->name;
	ecsfs_arn(&arn, "ecs", "container-instance/%s/%s", cluster, e->name);
	pi->arn = kept(g, json_string(arn.data));
	ecsfs_buf_release(&arn);
	/* an engine whose host is not read yet registers nothing */
	pi->cpu_registered = 1024 * json_integer_value(json_object_get(e->host, "NCPU"));
	pi->mem_registered = json_integer_value(json_object_get(e->host, "MemTotal")) >> 20;
	pi->cpu_remaining = pi->cpu_registered;
	pi->mem_remaining = pi->mem_registered;
	ecsfs__inst_row(in, cluster, e->name, status, NULL);
	pi->status = strcmp(status, "DRAINING") == 0 ? ECSFS_PLACE_DRAINING : ECSFS_PLACE_ACTIVE;
	pi->connected = ecsfs__inst_connected(e) && e->host;
	if (!e->cluster && !e->host) {
		/* local before its engine's first answer (a daemon just started,
		 * an engine slow under load): a candidate of no known size, so a
		 * task run at once waits for the engine as a Fargate task would,
		 * rather than being refused for figures not read yet */
		pi->cpu_registered = pi->mem_registered = LOCAL_UNREAD;
		pi->cpu_remaining = pi->mem_remaining = LOCAL_UNREAD;
		pi->connected = true;
	}
	if (provider) {
		const char **p = xcalloc(2, sizeof(*p));
		p[0] = provider;
		pi->providers = p;
	}
	pi->registered_ms = e->registered_ns / 1000000;
	add_tasks(in, g, pi, cluster, !e->cluster);
	add_attrs(in, g, pi, e, cluster);
	if (pi->cpu_remaining < 0)
		pi->cpu_remaining = 0;
	if (pi->mem_remaining < 0)
		pi->mem_remaining = 0;
}

static bool served_by_one(const gather *g, const char *provider)
{
	for (size_t i = 1; i < g->n; i++)
		if (g->inst[i].providers && strcmp(g->inst[i].providers[0], provider) == 0)
			return true;
	return false;
}

/* local serves FARGATE and FARGATE_SPOT, and every provider of the
 * strategy that no registered instance serves (so a cluster of one engine
 * takes any strategy, as before there were instances). */
static void local_providers(gather *g, const json_t *strategy)
{
	size_t n = 0, i;
	const char **p = xcalloc(json_array_size(strategy) + 3, sizeof(*p));
	json_t *item;

	p[n++] = "FARGATE";
	p[n++] = "FARGATE_SPOT";
	json_array_foreach(strategy, i, item) {
		const char *name = json_string_value(json_object_get(item, "capacityProvider"));
		if (name && !served_by_one(g, name))
			p[n++] = name;
	}
	g->inst[0].providers = p;
}

static void gather_init(ecsfs_instances *in, gather *g, const char *cluster, const json_t *strategy)
{
	size_t n = 1;

	for (struct ecsfs__inst *e = in->list; e; e = e->next)
		n += strcmp(e->cluster, cluster) == 0;
	g->inst = xcalloc(n, sizeof(*g->inst));
	g->eng = xcalloc(n, sizeof(*g->eng));
	g->n = 0;
	g->keep = json_array();
	add_one(in, g, &in->local, cluster);
	for (struct ecsfs__inst *e = in->list; e; e = e->next)
		if (strcmp(e->cluster, cluster) == 0)
			add_one(in, g, e, cluster);
	local_providers(g, strategy);
}

static void gather_release(gather *g)
{
	for (size_t i = 0; i < g->n; i++) {
		free((void *)g->inst[i].tasks);
		free((void *)g->inst[i].ports);
		free((void *)g->inst[i].attrs);
		free((void *)g->inst[i].providers);
	}
	free(g->inst);
	free(g->eng);
	json_decref(g->keep);
}

/* The provider placement chose, as the request's own string (out's is
 * borrowed from data that goes with the call). */
static const char *provider_name(const ecsfs_task_batch *b, const char *chosen)
{
	json_t *item;
	size_t i;

	json_array_foreach(json_object_get(b->request, "capacityProviderStrategy"), i, item) {
		const char *name = json_string_value(json_object_get(item, "capacityProvider"));
		if (chosen && name && strcmp(name, chosen) == 0)
			return name;
	}
	return NULL;
}

/* The capacity provider a task was placed on: the first item of its kept
 * strategy (ecsfs__task_set_provider() puts the chosen one first). */
static const char *task_provider(const struct task *k)
{
	json_t *first = json_array_get(json_object_get(k->kept, "capacityProviderStrategy"), 0);
	return json_string_value(json_object_get(first, "capacityProvider"));
}

/* How many live tasks of the service each provider of its strategy holds
 * already, so that a service that grows goes on with ECS's split (the base
 * taken once, the weights over all its tasks) instead of starting it over
 * with every batch. */
static const size_t *provider_counts(ecsfs_instances *in, const char *cluster,
				     const ecsfs_task_batch *b, const json_t *strategy,
				     size_t have[ECSFS_PLACE_PROVIDERS_MAX])
{
	size_t n = json_array_size(strategy);
	ecsfs_tasks *t = in->tasks;

	if (n == 0 || n > ECSFS_PLACE_PROVIDERS_MAX || !b->group || !t)
		return NULL;
	memset(have, 0, ECSFS_PLACE_PROVIDERS_MAX * sizeof(*have));
	for (size_t i = 0; i < t->n; i++) {
		const struct task *k = t->v[i];
		const char *p;

		if (k->last == T_STOPPED || !k->desired_running || !k->group ||
		    strcmp(k->group, b->group) != 0 || strcmp(k->cluster, cluster) != 0 ||
		    !(p = task_provider(k)))
			continue;
		for (size_t j = 0; j < n; j++) {
			const char *name = json_string_value(
			    json_object_get(json_array_get(strategy, j), "capacityProvider"));
			if (name && strcmp(name, p) == 0) {
				have[j]++;
				break;
			}
		}
	}
	return have;
}

static int place(void *data, const char *cluster, const ecsfs_task_batch *b, const char **where,
		 const char **provider, json_t **failures, ecsfs_buf *why, ecsfs_err *err)
{
	ecsfs_instances *in = data;
	uint16_t ports[PORTS_MAX];
	size_t have[ECSFS_PLACE_PROVIDERS_MAX];
	ecsfs_place_request rq = {0};
	ecsfs_place_out out;
	char td[300];
	gather g;
	int r;

	snprintf(td, sizeof(td), "%s:%lld", b->family, (long long)b->revision);
	if (ecsfs_place_size(b->taskdef, &rq.cpu, &rq.memory, ports, PORTS_MAX, &rq.nports) < 0)
		rq.cpu = rq.memory = rq.nports = 0;
	rq.ports = ports;
	rq.group = b->group;
	rq.family = b->family;
	rq.taskdef = td;
	rq.constraints = json_object_get(b->request, "placementConstraints");
	rq.taskdef_constraints = json_object_get(b->taskdef, "placementConstraints");
	rq.strategy = json_object_get(b->request, "placementStrategy");
	rq.providers = json_object_get(b->request, "capacityProviderStrategy");
	rq.launch_type = json_string_value(json_object_get(b->request, "launchType"));
	rq.service = b->group && strncmp(b->group, "service:", 8) == 0;
	rq.count = b->count;
	if (rq.service)
		rq.provider_counts = provider_counts(in, cluster, b, rq.providers, have);
	rq.seed = (uint64_t)ecsfs_now_ns();
	gather_init(in, &g, cluster, rq.providers);
	ecsfs_place_out_init(&out);
	r = ecsfs_place(g.inst, g.n, &rq, &out, err);
	for (size_t i = 0; r == 0 && i < b->count; i++) {
		where[i] = out.where[i] >= 0 ? g.eng[out.where[i]]->name : NULL;
		provider[i] = out.provider ? provider_name(b, out.provider[i]) : NULL;
	}
	if (r == 0 && out.placed < b->count) {
		*failures = json_incref(out.failures);
		ecsfs_buf_add(why, out.why.data, out.why.len);
	}
	ecsfs_place_out_release(&out);
	gather_release(&g);
	return r;
}

/* The same candidates lent to the service scheduler (DAEMON services,
 * draining): the gather itself is what it keeps. */
static int fleet_get(void *ctx, const char *cluster, const ecsfs_place_instance **v, size_t *n,
		     void **keep)
{
	gather *g = xcalloc(1, sizeof(*g));

	gather_init(ctx, g, cluster, NULL);
	*v = g->inst;
	*n = g->n;
	*keep = g;
	return 0;
}

static void fleet_release(void *ctx, void *keep)
{
	(void)ctx;
	gather_release(keep);
	free(keep);
}

void ecsfs__instances_placer(ecsfs_instances *in)
{
	ecsfs_place_source fleet = {fleet_get, fleet_release, in};

	if (!in->tasks)
		return;
	ecsfs_tasks_set_placer(in->tasks, place, in);
	ecsfs_tasks_set_fleet(in->tasks, &fleet);
}

int ecsfs__tasks_place(ecsfs_tasks *t, const char *cluster, const ecsfs_task_batch *b,
		       const char **where, const char **provider, json_t **failures, ecsfs_buf *why,
		       ecsfs_err *err)
{
	if (!t->place) {
		for (size_t i = 0; i < b->count; i++) {
			where[i] = ECSFS_INSTANCE_LOCAL;
			provider[i] = NULL;
		}
		return 0;
	}
	return t->place(t->place_data, cluster, b, where, provider, failures, why, err);
}

/* ---- ListContainerInstances' filter: the same view as placement's ---- */

void ecsfs__inst_match(ecsfs_instances *in, const char *cluster, const ecsfs_cq *q,
		       const char *status, json_t *names)
{
	gather g;

	gather_init(in, &g, cluster, NULL);
	for (size_t i = 0; i < g.n; i++) {
		bool draining = g.inst[i].status == ECSFS_PLACE_DRAINING;
		if ((status && strcmp(status, draining ? "DRAINING" : "ACTIVE") != 0) ||
		    (q && !ecsfs_cq_match(q, &g.inst[i])))
			continue;
		json_array_append_new(names, json_string(g.inst[i].name));
	}
	gather_release(&g);
}
