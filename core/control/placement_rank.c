/*
 * ecsfs — placement strategies: binpack (the least of cpu or memory left
 * afterwards), spread (the fewest tasks of the group per instance or per
 * value of an attribute), random. Each strategy keeps the candidates that
 * score best and hands the ties to the next one; ties left at the end are
 * broken at random (the request's seed). ECS's default for a service:
 * spread by attribute:ecs.availability-zone, then by instanceId.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "control/placement_private.h"

uint64_t ecsfs__pl_next(uint64_t *state)
{
	/* splitmix64: small, and the same seed gives the same sequence */
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int ecsfs__pl_strategy_kind(const char *type, const char *field, enum pl_kind *kind,
			    const char **msg)
{
	if (type && strcmp(type, "random") == 0) {
		*kind = PL_RANDOM;
		return 0;
	}
	if (type && strcmp(type, "binpack") == 0) {
		if (field && strcasecmp(field, "cpu") == 0)
			*kind = PL_BINPACK_CPU;
		else if (field && strcasecmp(field, "memory") == 0)
			*kind = PL_BINPACK_MEMORY;
		else
			return *msg = "binpack takes the field cpu or memory", -EINVAL;
		return 0;
	}
	if (type && strcmp(type, "spread") == 0) {
		if (field && (strcmp(field, "instanceId") == 0 || strcmp(field, "host") == 0))
			*kind = PL_SPREAD_INSTANCE;
		else if (field && strncmp(field, "attribute:", 10) == 0 && field[10])
			*kind = PL_SPREAD_ATTR;
		else
			return *msg = "spread takes the field instanceId, host or "
				      "attribute:<name>",
			       -EINVAL;
		return 0;
	}
	*msg = "type must be random, spread or binpack";
	return -EINVAL;
}

static const char *attr_value(const ecsfs_place_instance *in, const char *name)
{
	for (size_t i = 0; i < in->nattrs; i++)
		if (in->attrs[i].name && strcmp(in->attrs[i].name, name) == 0)
			return in->attrs[i].value ? in->attrs[i].value : "";
	return NULL;
}

/* Classes of instances by the value of `s->attr` (no value: a class of
 * its own), and the group's tasks in each. */
static int classify(pl_plan *p, pl_strategy *s)
{
	if (!(s->bucket = calloc(p->n ? p->n : 1, sizeof(*s->bucket))) ||
	    !(s->count = calloc(p->n ? p->n : 1, sizeof(*s->count))))
		return -ENOMEM;
	for (size_t i = 0; i < p->n; i++) {
		const char *v = attr_value(&p->inst[i], s->attr);
		size_t b = i;

		for (size_t j = 0; j < i; j++) {
			const char *w = attr_value(&p->inst[j], s->attr);
			if ((v == NULL && w == NULL) || (v && w && strcmp(v, w) == 0)) {
				b = s->bucket[j];
				break;
			}
		}
		s->bucket[i] = b;
		s->count[b] += p->cand[i].group_n;
	}
	return 0;
}

static int add_strategy(pl_plan *p, const char *type, const char *field, ecsfs_err *err)
{
	pl_strategy *s = &p->strat[p->nstrat];
	const char *msg = NULL;

	if (p->nstrat == ECSFS_PLACE_STRATEGIES_MAX)
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "placementStrategy: at most %d strategies",
				     ECSFS_PLACE_STRATEGIES_MAX);
	memset(s, 0, sizeof(*s));
	if (ecsfs__pl_strategy_kind(type, field, &s->kind, &msg) < 0)
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "placementStrategy[%zu]: %s", p->nstrat, msg);
	p->nstrat++;
	if (s->kind != PL_SPREAD_ATTR)
		return 0;
	s->attr = field + 10;
	return classify(p, s);
}

int ecsfs__pl_strategies(pl_plan *p, const json_t *strategy, bool service, ecsfs_err *err)
{
	const json_t *e;
	size_t i;
	int r;

	p->nstrat = 0;
	if (!strategy && service) {
		if ((r = add_strategy(p, "spread", "attribute:ecs.availability-zone", err)) < 0)
			return r;
		return add_strategy(p, "spread", "instanceId", err);
	}
	json_array_foreach(strategy, i, e) {
		r = add_strategy(p, json_string_value(json_object_get(e, "type")),
				 json_string_value(json_object_get(e, "field")), err);
		if (r < 0)
			return r;
	}
	return 0;
}

void ecsfs__pl_strategies_release(pl_plan *p)
{
	for (size_t i = 0; i < p->nstrat; i++) {
		free(p->strat[i].bucket);
		free(p->strat[i].count);
	}
	p->nstrat = 0;
}

static int64_t score(pl_plan *p, const pl_strategy *s, size_t i)
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

/* Keep the candidates with the lowest score; returns how many. */
static size_t keep_best(pl_plan *p, const pl_strategy *s, size_t *ids, size_t k)
{
	int64_t best = score(p, s, ids[0]);
	size_t m = 0;

	for (size_t j = 1; j < k; j++) {
		int64_t v = score(p, s, ids[j]);
		if (v < best)
			best = v;
	}
	for (size_t j = 0; j < k; j++)
		if (score(p, s, ids[j]) == best)
			ids[m++] = ids[j];
	return m;
}

size_t ecsfs__pl_rank(pl_plan *p, size_t *ids, size_t k)
{
	for (size_t s = 0; s < p->nstrat && k > 1; s++) {
		if (p->strat[s].kind == PL_RANDOM)
			break;
		k = keep_best(p, &p->strat[s], ids, k);
	}
	return ids[k > 1 ? ecsfs__pl_next(&p->rng) % k : 0];
}

void ecsfs__pl_count(pl_plan *p, size_t i)
{
	p->cand[i].group_n++;
	for (size_t s = 0; s < p->nstrat; s++)
		if (p->strat[s].kind == PL_SPREAD_ATTR)
			p->strat[s].count[p->strat[s].bucket[i]]++;
}
