/*
 * ecsfs — scale-in: which tasks of a group to stop first, following the
 * group's strategies as ECS does. spread (and the default) takes from
 * where the group is most numerous, by attribute class first and by
 * instance next, so what stays is balanced; binpack takes from the
 * instance with the most of the resource free, emptying the least packed
 * instances first; random by the seed. Each pick counts before the next.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control/placement_private.h"

/* Whether task t of instance i may still be chosen. */
static bool eligible(const pl_plan *p, size_t i, size_t t, const char *group, const bool *taken,
		     const size_t *first)
{
	const ecsfs_place_task *k = &p->inst[i].tasks[t];

	return !taken[first[i] + t] && !k->protected_ && k->group && strcmp(k->group, group) == 0;
}

/* The best instance to take from: the highest score by each strategy in
 * turn (most tasks, most free resource). */
static int64_t victim_score(const pl_plan *p, const pl_strategy *s, size_t i)
{
	switch (s->kind) {
	case PL_BINPACK_CPU: return p->cand[i].cpu;
	case PL_BINPACK_MEMORY: return p->cand[i].mem;
	case PL_SPREAD_INSTANCE: return (int64_t)p->cand[i].group_n;
	case PL_SPREAD_ATTR: return (int64_t)s->count[s->bucket[i]];
	case PL_RANDOM: break;
	}
	return 0;
}

static size_t pick_instance(pl_plan *p, size_t *ids, size_t k)
{
	for (size_t s = 0; s < p->nstrat && k > 1; s++) {
		int64_t best;
		size_t m = 0;

		if (p->strat[s].kind == PL_RANDOM)
			break;
		best = victim_score(p, &p->strat[s], ids[0]);
		for (size_t j = 1; j < k; j++)
			if (victim_score(p, &p->strat[s], ids[j]) > best)
				best = victim_score(p, &p->strat[s], ids[j]);
		for (size_t j = 0; j < k; j++)
			if (victim_score(p, &p->strat[s], ids[j]) == best)
				ids[m++] = ids[j];
		k = m;
	}
	return ids[k > 1 ? ecsfs__pl_next(&p->rng) % k : 0];
}

static void take(pl_plan *p, size_t i, size_t t)
{
	const ecsfs_place_task *k = &p->inst[i].tasks[t];

	p->cand[i].group_n--;
	p->cand[i].cpu += k->cpu;
	p->cand[i].mem += k->memory;
	for (size_t s = 0; s < p->nstrat; s++)
		if (p->strat[s].kind == PL_SPREAD_ATTR)
			p->strat[s].count[p->strat[s].bucket[i]]--;
}

/* One victim: the instance by the strategies, then its newest eligible
 * task (the last listed). Returns false when none is left. */
static bool choose_one(pl_plan *p, const char *group, bool *taken, const size_t *first,
		       const char **victim)
{
	size_t k = 0, i;
	long t;

	for (i = 0; i < p->n; i++)
		for (size_t j = 0; j < p->inst[i].ntasks; j++)
			if (eligible(p, i, j, group, taken, first)) {
				p->scratch[k++] = i;
				break;
			}
	if (k == 0)
		return false;
	i = pick_instance(p, p->scratch, k);
	for (t = (long)p->inst[i].ntasks - 1; t >= 0; t--)
		if (eligible(p, i, (size_t)t, group, taken, first))
			break;
	taken[first[i] + (size_t)t] = true;
	take(p, i, (size_t)t);
	*victim = p->inst[i].tasks[t].id;
	return true;
}

static int victims_init(pl_plan *p, const ecsfs_place_instance *inst, size_t n,
			const ecsfs_place_request *rq, size_t **first, bool **taken)
{
	size_t total = 0;

	memset(p, 0, sizeof(*p));
	p->inst = inst;
	p->n = n;
	p->rq = rq;
	p->rng = rq->seed;
	if (!(p->cand = calloc(n ? n : 1, sizeof(*p->cand))) ||
	    !(p->scratch = calloc(n ? n : 1, sizeof(*p->scratch))) ||
	    !(*first = calloc(n ? n : 1, sizeof(**first))))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		(*first)[i] = total;
		total += inst[i].ntasks;
		p->cand[i].cpu = inst[i].cpu_remaining;
		p->cand[i].mem = inst[i].mem_remaining;
		for (size_t t = 0; t < inst[i].ntasks; t++)
			p->cand[i].group_n += inst[i].tasks[t].group &&
					      strcmp(inst[i].tasks[t].group, rq->group) == 0;
	}
	return (*taken = calloc(total ? total : 1, sizeof(**taken))) ? 0 : -ENOMEM;
}

int ecsfs_place_choose_victims(const ecsfs_place_instance *inst, size_t n, const char *group,
			       const json_t *strategy, size_t count, uint64_t seed,
			       const char **victims, size_t *nvictims, ecsfs_err *err)
{
	ecsfs_place_request rq = {.group = group, .seed = seed, .service = true};
	size_t *first = NULL, k = 0;
	bool *taken = NULL;
	pl_plan p;
	int r;

	if (!group)
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL, "no task group");
	if ((r = ecsfs_place_check_strategy(strategy, "placementStrategy", err)) < 0)
		return r;
	if ((r = victims_init(&p, inst, n, &rq, &first, &taken)) == 0 &&
	    (r = ecsfs__pl_strategies(&p, strategy, true, err)) == 0)
		while (k < count && choose_one(&p, group, taken, first, &victims[k]))
			k++;
	if (r == 0)
		*nvictims = k;
	ecsfs__pl_strategies_release(&p);
	free(p.cand);
	free(p.scratch);
	free(first);
	free(taken);
	return r;
}
