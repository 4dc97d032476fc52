/* ecsfs — placement: what its files share (placement.c decides,
 * placement_rank.c ranks by strategy, placement_split.c splits between
 * capacity providers, placement_check.c checks the documents). */
#ifndef ECSFS_PLACEMENT_PRIVATE_H
#define ECSFS_PLACEMENT_PRIVATE_H

#include "ecsfs/placement.h"
#include "model/cq_private.h"

enum pl_kind { PL_BINPACK_CPU, PL_BINPACK_MEMORY, PL_SPREAD_INSTANCE, PL_SPREAD_ATTR, PL_RANDOM };

/* One strategy of the request, read. */
typedef struct pl_strategy {
	enum pl_kind kind;
	const char *attr; /* PL_SPREAD_ATTR: the attribute's name */
	/* PL_SPREAD_ATTR: bucket[i] is the value class of instance i (the
	 * instances with the same value share one); count[b] the tasks of the
	 * group in class b */
	size_t *bucket;
	size_t *count;
} pl_strategy;

/* The running state of one instance during a batch. */
typedef struct pl_cand {
	int64_t cpu, mem; /* what remains */
	size_t group_n;	  /* tasks of the request's group on it */
	size_t added;	  /* tasks this batch put on it */
} pl_cand;

/* A request, read once for the batch. */
typedef struct pl_plan {
	const ecsfs_place_instance *inst;
	size_t n;
	const ecsfs_place_request *rq;
	ecsfs_cq *member[2 * ECSFS_PLACE_CONSTRAINTS_MAX];
	size_t nmember;
	bool distinct;
	pl_strategy strat[ECSFS_PLACE_STRATEGIES_MAX];
	size_t nstrat;
	pl_cand *cand;
	size_t *scratch; /* n indices */
	uint64_t rng;
} pl_plan;

/* Read the strategies (ECS's default for a service without any) and
 * count the group's tasks per class. 0 or -EINVAL/-ENOMEM. */
int ecsfs__pl_strategies(pl_plan *p, const json_t *strategy, bool service, ecsfs_err *err);
void ecsfs__pl_strategies_release(pl_plan *p);
/* The instance the strategies pick among `ids[0..k)` (k >= 1). */
size_t ecsfs__pl_rank(pl_plan *p, size_t *ids, size_t k);
/* A task went to instance i: its group counts there from now on. */
void ecsfs__pl_count(pl_plan *p, size_t i);
/* A pseudo-random number of the plan's sequence. */
uint64_t ecsfs__pl_next(uint64_t *state);

/* "binpack" + "memory" ... as a strategy kind; -EINVAL when the pair is
 * not one ECS takes (why in *msg, static). */
int ecsfs__pl_strategy_kind(const char *type, const char *field, enum pl_kind *kind,
			    const char **msg);

#endif
