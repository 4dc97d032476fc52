/*
 * ecsfs — task placement (placement.h): for each task of a batch, its
 * capacity provider, then the instances that can take it (ACTIVE, of that
 * provider, connected, with the CPU, memory and host ports it reserves,
 * meeting every constraint), then the one the strategies pick; the task's
 * reservation is taken there before the next task is placed. A task no
 * instance takes is reported as ECS does: RunTask's failures and the
 * service event naming the closest matching instance.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control/placement_private.h"

/* How far an instance got with a task: the checks in ECS's order. A
 * higher stage is a closer match. */
enum stage { ST_AGENT, ST_CPU, ST_MEMORY, ST_PORTS, ST_MEMBER, ST_DISTINCT, ST_OK };

static const char *const stage_reason[] = {
    [ST_AGENT] = ECSFS_PLACE_R_AGENT,	[ST_CPU] = ECSFS_PLACE_R_CPU,
    [ST_MEMORY] = ECSFS_PLACE_R_MEMORY, [ST_PORTS] = ECSFS_PLACE_R_PORTS,
    [ST_MEMBER] = ECSFS_PLACE_R_MEMBER, [ST_DISTINCT] = ECSFS_PLACE_R_DISTINCT,
};

/* The event's words for the closest match's problem. */
static const char *const stage_event[] = {
    [ST_AGENT] = "encountered error \"AGENT\"",
    [ST_CPU] = "has insufficient CPU units available",
    [ST_MEMORY] = "has insufficient memory available",
    [ST_PORTS] = "is already using a port required by your task",
    [ST_MEMBER] = "encountered error \"MemberOf placement constraint unsatisfied.\"",
    [ST_DISTINCT] = "encountered error \"DistinctInstance placement constraint unsatisfied.\"",
};

void ecsfs_place_out_init(ecsfs_place_out *o)
{
	memset(o, 0, sizeof(*o));
	ecsfs_buf_init(&o->why);
}

void ecsfs_place_out_release(ecsfs_place_out *o)
{
	free(o->where);
	free(o->provider);
	json_decref(o->failures);
	ecsfs_buf_release(&o->why);
	memset(o, 0, sizeof(*o));
}

/* ---- which instances a task may go to ---- */

static bool serves(const ecsfs_place_instance *in, const char *provider)
{
	for (const char *const *p = in->providers; p && *p; p++)
		if (strcmp(*p, provider) == 0)
			return true;
	return false;
}

/* An instance is a candidate at all: ACTIVE, of the task's provider (or,
 * without one, of FARGATE for the FARGATE launch type). */
static bool candidate(const pl_plan *p, size_t i, const char *provider)
{
	const ecsfs_place_instance *in = &p->inst[i];
	const char *lt = p->rq->launch_type;

	if (in->status != ECSFS_PLACE_ACTIVE)
		return false;
	if (provider)
		return serves(in, provider);
	return !(lt && strcmp(lt, "FARGATE") == 0) || serves(in, "FARGATE");
}

static bool port_taken(const pl_plan *p, size_t i)
{
	const ecsfs_place_instance *in = &p->inst[i];

	/* the tasks of one batch bind the same ports */
	if (p->rq->nports && p->cand[i].added)
		return true;
	for (size_t k = 0; k < p->rq->nports; k++)
		for (size_t j = 0; j < in->nports; j++)
			if (in->ports[j] == p->rq->ports[k])
				return true;
	return false;
}

static bool members(const pl_plan *p, size_t i)
{
	ecsfs__cq_view v = {
	    .in = &p->inst[i], .added_group = p->rq->group, .added = p->cand[i].added};

	for (size_t k = 0; k < p->nmember; k++)
		if (!ecsfs__cq_eval(p->member[k]->root, &v))
			return false;
	return true;
}

static enum stage check(const pl_plan *p, size_t i)
{
	const pl_cand *c = &p->cand[i];

	if (!p->inst[i].connected)
		return ST_AGENT;
	if (p->rq->cpu > c->cpu)
		return ST_CPU;
	if (p->rq->memory > c->mem)
		return ST_MEMORY;
	if (port_taken(p, i))
		return ST_PORTS;
	if (!members(p, i))
		return ST_MEMBER;
	if (p->distinct && c->group_n > 0)
		return ST_DISTINCT;
	return ST_OK;
}

/* ---- what a task that fits nowhere says ---- */

static const char *arn_of(const ecsfs_place_instance *in)
{
	return in->arn ? in->arn : in->name;
}

static void report(pl_plan *p, const char *provider, ecsfs_place_out *o)
{
	long closest = -1;
	enum stage best = ST_AGENT;

	o->failures = json_array();
	for (size_t i = 0; i < p->n; i++) {
		enum stage st;
		if (!candidate(p, i, provider))
			continue;
		st = check(p, i);
		json_array_append_new(o->failures,
				      json_pack("{s:s, s:s}", "arn", arn_of(&p->inst[i]), "reason",
						stage_reason[st]));
		if (closest < 0 || st > best) {
			closest = (long)i;
			best = st;
		}
	}
	ecsfs_buf_addf(&o->why, "was unable to place a task because no container instance met "
				"all of its requirements.");
	if (closest < 0) {
		json_array_append_new(
		    o->failures, json_pack("{s:s}", "reason",
					   "No Container Instances were found in your cluster."));
		ecsfs_buf_addf(&o->why,
			       " Reason: No Container Instances were found in your "
			       "cluster%s%s.",
			       provider ? " for capacity provider " : "", provider ? provider : "");
		return;
	}
	ecsfs_buf_addf(&o->why,
		       " The closest matching (container-instance %s) %s. For more "
		       "information, see the Troubleshooting section.",
		       p->inst[closest].name, stage_event[best]);
}

/* ---- the batch ---- */

static int read_constraints(pl_plan *p, const json_t *list, ecsfs_err *err)
{
	const json_t *e;
	size_t i;
	int r;

	json_array_foreach(list, i, e) {
		const char *type = json_string_value(json_object_get(e, "type"));
		const char *expr = json_string_value(json_object_get(e, "expression"));

		if (type && strcmp(type, "distinctInstance") == 0) {
			p->distinct = true;
			continue;
		}
		if (!expr || p->nmember == sizeof(p->member) / sizeof(p->member[0]))
			continue; /* the checks refuse these; the rest still apply */
		if ((r = ecsfs_cq_parse(expr, &p->member[p->nmember], err)) < 0)
			return r;
		p->nmember++;
	}
	return 0;
}

static void count_group(pl_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		const ecsfs_place_instance *in = &p->inst[i];

		p->cand[i].cpu = in->cpu_remaining;
		p->cand[i].mem = in->mem_remaining;
		for (size_t t = 0; t < in->ntasks; t++)
			if (p->rq->group && in->tasks[t].group &&
			    strcmp(in->tasks[t].group, p->rq->group) == 0)
				p->cand[i].group_n++;
	}
}

static int plan_init(pl_plan *p, const ecsfs_place_instance *inst, size_t n,
		     const ecsfs_place_request *rq, ecsfs_err *err)
{
	int r;

	memset(p, 0, sizeof(*p));
	p->inst = inst;
	p->n = n;
	p->rq = rq;
	p->rng = rq->seed;
	if (!(p->cand = calloc(n ? n : 1, sizeof(*p->cand))) ||
	    !(p->scratch = calloc(n ? n : 1, sizeof(*p->scratch))))
		return -ENOMEM;
	count_group(p);
	if ((r = ecsfs_place_check_constraints(rq->constraints, "placementConstraints", err)) < 0 ||
	    (r = ecsfs_place_check_constraints(rq->taskdef_constraints, "placementConstraints",
					       err)) < 0 ||
	    (r = ecsfs_place_check_strategy(rq->strategy, "placementStrategy", err)) < 0 ||
	    (r = read_constraints(p, rq->constraints, err)) < 0 ||
	    (r = read_constraints(p, rq->taskdef_constraints, err)) < 0)
		return r;
	return ecsfs__pl_strategies(p, rq->strategy, rq->service, err);
}

static void plan_release(pl_plan *p)
{
	for (size_t k = 0; k < p->nmember; k++)
		ecsfs_cq_free(p->member[k]);
	ecsfs__pl_strategies_release(p);
	free(p->cand);
	free(p->scratch);
}

/* Place one task; -1 when no instance takes it. */
static long place_one(pl_plan *p, const char *provider)
{
	size_t k = 0, i;

	for (i = 0; i < p->n; i++)
		if (candidate(p, i, provider) && check(p, i) == ST_OK)
			p->scratch[k++] = i;
	if (k == 0)
		return -1;
	i = ecsfs__pl_rank(p, p->scratch, k);
	p->cand[i].cpu -= p->rq->cpu;
	p->cand[i].mem -= p->rq->memory;
	p->cand[i].added++;
	ecsfs__pl_count(p, i);
	return (long)i;
}

/* Each task's provider (NULL without a strategy). */
static int providers_of(const ecsfs_place_request *rq, ecsfs_place_out *o, ecsfs_err *err)
{
	size_t *idx;
	int r;

	if (!rq->providers || json_array_size(rq->providers) == 0)
		return 0;
	if ((r = ecsfs_place_check_providers(rq->providers, rq->launch_type, NULL,
					     "capacityProviderStrategy", err)) < 0)
		return r;
	if (!(idx = calloc(rq->count ? rq->count : 1, sizeof(*idx))))
		return -ENOMEM;
	r = ecsfs_place_split(rq->providers, rq->provider_counts, rq->count, idx, err);
	for (size_t k = 0; r == 0 && k < rq->count; k++)
		o->provider[k] = json_string_value(
		    json_object_get(json_array_get(rq->providers, idx[k]), "capacityProvider"));
	free(idx);
	return r;
}

int ecsfs_place(const ecsfs_place_instance *inst, size_t n, const ecsfs_place_request *rq,
		ecsfs_place_out *out, ecsfs_err *err)
{
	pl_plan p;
	int r;

	out->n = rq->count;
	out->placed = 0;
	if (!(out->where = calloc(rq->count ? rq->count : 1, sizeof(*out->where))) ||
	    !(out->provider = calloc(rq->count ? rq->count : 1, sizeof(*out->provider))))
		return -ENOMEM;
	if ((r = plan_init(&p, inst, n, rq, err)) < 0 || (r = providers_of(rq, out, err)) < 0)
		goto done;
	for (size_t k = 0; k < rq->count; k++) {
		out->where[k] = place_one(&p, out->provider[k]);
		if (out->where[k] >= 0)
			out->placed++;
		else if (!out->failures)
			report(&p, out->provider[k], out);
	}
done:
	plan_release(&p);
	return r;
}

int ecsfs_place_failures_err(const json_t *failures, ecsfs_err *err)
{
	ecsfs_buf m = ECSFS_BUF_INIT;
	const json_t *f;
	size_t i;
	int r;

	json_array_foreach(failures, i, f) {
		const char *arn = json_string_value(json_object_get(f, "arn"));
		const char *slash = arn ? strrchr(arn, '/') : NULL;

		if (i == 8) {
			ecsfs_buf_addf(&m, "; ...");
			break;
		}
		ecsfs_buf_addf(&m, "%s%s%s%s", i ? "; " : "", arn ? (slash ? slash + 1 : arn) : "",
			       arn ? ": " : "", json_string_value(json_object_get(f, "reason")));
	}
	r = ecsfs_err_set(err, ECSFS_E_CLIENT, -ENOSPC,
			  "run: no container instance met all of the task's requirements (%s)",
			  m.data ? m.data : "");
	ecsfs_buf_release(&m);
	return r;
}
