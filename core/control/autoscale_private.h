/*
 * ecsfs — what the autoscaler's files share: autoscale.c (targets in
 * memory, evaluation), autoscale_act.c (scaling, activities, scheduled
 * actions) and autoscale_view.c (the live `scaling` file). The state
 * itself is declared with the model's (model/scaling_private.h).
 */
#ifndef ECSFS_AUTOSCALE_PRIVATE_H
#define ECSFS_AUTOSCALE_PRIVATE_H

#include "model/scaling_private.h"

int64_t ecsfs__scaling_now(const ecsfs_scaling *a);
struct ecsfs__target *ecsfs__scaling_find(ecsfs_scaling *a, const char *cluster,
					  const char *service);
/* Scale out to `n` as policy `p` asks; in to `n`, unless something blocks
 * it (cooldown, a deployment in progress, protected tasks: t->blocked
 * says which). */
void ecsfs__scaling_out(ecsfs_scaling *a, struct ecsfs__target *t, struct ecsfs__policy *p,
			int64_t n);
void ecsfs__scaling_in(ecsfs_scaling *a, struct ecsfs__target *t, struct ecsfs__policy *p,
		       int64_t n, int64_t cooldown_s);
/* ALBRequestCountPerTarget's figure for policy p now (autoscale_alb.c):
 * NAN while it has no data (p->alb_why says why). */
double ecsfs__scaling_alb(ecsfs_scaling *a, const struct ecsfs__target *t, struct ecsfs__policy *p);
/* The name of the alarm that stands for a policy's high or low side. */
void ecsfs__scaling_alarm_name(const struct ecsfs__target *t, const struct ecsfs__policy *p,
			       bool high, ecsfs_buf *out);

#endif
