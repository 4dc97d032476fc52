/*
 * ecsfs — ALBRequestCountPerTarget: the requests a service's targets in
 * one target group (the policy's ResourceLabel) had since the previous
 * evaluation, as a rate per minute, over the targets that are healthy now.
 * AWS's RequestCountPerTarget is the group's RequestCount summed over a
 * minute over its healthy targets; evaluated each sampling interval here,
 * the same rate is taken over the interval, so --metrics-interval 1 reacts
 * within seconds and the default within the policy's samples.
 */
#include <math.h>
#include <string.h>

#include "ecsfs/loadbalancer.h"
#include "ecsfs/targetgroup.h"

#include "autoscale_private.h"

struct counts {
	json_t *now; /* {task: requests} */
	int healthy;
};

static void count_one(void *data, const char *task, ecsfs_target_state st, long long requests)
{
	struct counts *c = data;

	json_object_set_new(c->now, task, json_integer(requests));
	c->healthy += st == ECSFS_TARGET_HEALTHY;
}

/* Requests since the previous read: a target new since then counts whole
 * (it was added within the interval), one whose counter went back (HAProxy
 * reloaded it) from zero; targets that left count no more. */
static double delta(const json_t *prev, const json_t *now)
{
	const char *task;
	json_t *v;
	double sum = 0;

	json_object_foreach((json_t *)now, task, v) {
		json_int_t was = json_integer_value(json_object_get(prev, task));
		json_int_t is = json_integer_value(v);
		sum += (double)(is >= was ? is - was : is);
	}
	return sum;
}

/* Why the label's load balancer or target group cannot give counts yet, or NULL. */
static const char *missing(ecsfs_scaling *a, const struct ecsfs__policy *p, char *buf, size_t len)
{
	if (!p->lb[0])
		return "the ResourceLabel names no load balancer";
	if (ecsfs_loadbalancer_exists(a->store, p->lb, NULL) < 0)
		snprintf(buf, len, "waiting for load balancer %s", p->lb);
	else if (ecsfs_targetgroup_exists(a->store, p->tg, NULL) < 0)
		snprintf(buf, len, "waiting for target group %s", p->tg);
	else if (!a->counts)
		snprintf(buf, len, "no request counts here (no load-balancer controller)");
	else
		return NULL;
	return buf;
}

double ecsfs__scaling_alb(ecsfs_scaling *a, const struct ecsfs__target *t, struct ecsfs__policy *p)
{
	struct counts c = {json_object(), 0};
	int64_t now = ecsfs__scaling_now(a);
	const char *why = missing(a, p, p->alb_why, sizeof(p->alb_why));
	double v = NAN;

	if (why || a->counts(a->counts_src, p->tg, t->cluster, t->service, count_one, &c) < 0) {
		if (why != p->alb_why)
			snprintf(p->alb_why, sizeof(p->alb_why), "%s", why ? why : "no counts");
		json_decref(c.now);
		json_decref(p->alb_prev);
		p->alb_prev = NULL;
		return NAN;
	}
	p->alb_why[0] = '\0';
	if (!c.healthy)
		snprintf(p->alb_why, sizeof(p->alb_why), "no healthy target in %s", p->tg);
	else if (p->alb_prev && now > p->alb_at_ms)
		v = delta(p->alb_prev, c.now) * 60000.0 / (double)(now - p->alb_at_ms) / c.healthy;
	json_decref(p->alb_prev);
	p->alb_prev = c.now;
	p->alb_at_ms = now;
	return v;
}

static int lb_counts(void *src, const char *group, const char *cluster, const char *service,
		     ecsfs_lb_count_cb cb, void *data)
{
	return ecsfs_lb_group_counts(src, group, cluster, service, cb, data);
}

void ecsfs_scaling_set_counts(ecsfs_scaling *a, ecsfs_scaling_counts_fn fn, void *src)
{
	a->counts = fn;
	a->counts_src = src;
}

void ecsfs_scaling_set_lb(ecsfs_scaling *a, ecsfs_lb *lb)
{
	ecsfs_scaling_set_counts(a, lb ? lb_counts : NULL, lb);
}
