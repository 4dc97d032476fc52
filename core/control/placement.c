/*
 * ecsfs — task placement (placement.h). A first cut: every task goes to
 * the first ACTIVE, connected instance; the real filters and strategies
 * follow.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/placement.h"

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

int ecsfs_place_size(const json_t *taskdef, int64_t *cpu, int64_t *memory, uint16_t *ports,
		     size_t max, size_t *nports)
{
	(void)taskdef;
	(void)ports;
	(void)max;
	*cpu = 0;
	*memory = 0;
	*nports = 0;
	return 0;
}

int ecsfs_place_check_constraints(const json_t *constraints, const char *what, ecsfs_err *err)
{
	(void)constraints;
	(void)what;
	(void)err;
	return 0;
}

int ecsfs_place_check_strategy(const json_t *strategy, const char *what, ecsfs_err *err)
{
	(void)strategy;
	(void)what;
	(void)err;
	return 0;
}

int ecsfs_place_check_providers(const json_t *strategy, const char *launch_type,
				const char *const *known, const char *what, ecsfs_err *err)
{
	(void)strategy;
	(void)launch_type;
	(void)known;
	(void)what;
	(void)err;
	return 0;
}

int ecsfs_place_split(const json_t *strategy, const size_t *have, size_t count, size_t *out,
		      ecsfs_err *err)
{
	(void)strategy;
	(void)have;
	(void)err;
	for (size_t i = 0; i < count; i++)
		out[i] = 0;
	return 0;
}

int ecsfs_place(const ecsfs_place_instance *inst, size_t n, const ecsfs_place_request *rq,
		ecsfs_place_out *out, ecsfs_err *err)
{
	long first = -1;

	(void)err;
	for (size_t i = 0; i < n && first < 0; i++)
		if (inst[i].status == ECSFS_PLACE_ACTIVE && inst[i].connected)
			first = (long)i;
	out->n = rq->count;
	out->where = calloc(rq->count ? rq->count : 1, sizeof(*out->where));
	out->provider = calloc(rq->count ? rq->count : 1, sizeof(*out->provider));
	if (!out->where || !out->provider)
		return -ENOMEM;
	for (size_t k = 0; k < rq->count; k++)
		out->where[k] = first;
	out->placed = first >= 0 ? rq->count : 0;
	if (first < 0 && rq->count) {
		out->failures = json_pack("[{s:s}]", "reason",
					  "No Container Instances were found in "
					  "your cluster.");
		ecsfs_buf_addf(&out->why, "was unable to place a task because no container "
					  "instance met all of its requirements. Reason: No "
					  "Container Instances were found in your cluster.");
	}
	return 0;
}

int ecsfs_place_choose_victims(const ecsfs_place_instance *inst, size_t n, const char *group,
			       const json_t *strategy, size_t count, uint64_t seed,
			       const char **victims, size_t *nvictims, ecsfs_err *err)
{
	size_t k = 0;

	(void)strategy;
	(void)seed;
	(void)err;
	for (size_t i = 0; i < n; i++)
		for (size_t t = 0; t < inst[i].ntasks && k < count; t++)
			if (!inst[i].tasks[t].protected_ && inst[i].tasks[t].group &&
			    strcmp(inst[i].tasks[t].group, group) == 0)
				victims[k++] = inst[i].tasks[t].id;
	*nvictims = k;
	return 0;
}

struct ecsfs_cq {
	int unused;
};

int ecsfs_cq_parse(const char *expr, ecsfs_cq **q, ecsfs_err *err)
{
	(void)expr;
	(void)err;
	*q = calloc(1, sizeof(**q));
	return *q ? 0 : -ENOMEM;
}

void ecsfs_cq_free(ecsfs_cq *q)
{
	free(q);
}

bool ecsfs_cq_match(const ecsfs_cq *q, const ecsfs_place_instance *in)
{
	(void)q;
	(void)in;
	return true;
}
