/*
 * ecsfs — the autoscaler: after each round of the metrics sampler it
 * evaluates every target's policies against its service's newest sample
 * (target tracking as Application Auto Scaling documents it, step
 * scaling on the policy's own alarm) and scales out when any policy asks,
 * in only when every target-tracking policy agrees; each second it runs
 * the scheduled actions that are due (autoscale_act.c does the acting).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/util.h"

#include "autoscale_private.h"

int64_t ecsfs__scaling_now(const ecsfs_scaling *a)
{
	return a->now_ms ? a->now_ms() : ecsfs_now_ns() / 1000000;
}

struct ecsfs__target *ecsfs__scaling_find(ecsfs_scaling *a, const char *cluster,
					  const char *service)
{
	for (struct ecsfs__target *t = a->targets; t; t = t->next)
		if (strcmp(t->cluster, cluster) == 0 && strcmp(t->service, service) == 0)
			return t;
	return NULL;
}

/* ---- the targets in memory, in step with the store ---- */

static void next_fire(struct ecsfs__action *x, int64_t after_ms)
{
	ecsfs_cron_ctx ctx = {.tz = x->tz,
			      .anchor_ms = x->start_ms ? x->start_ms : x->created_ms,
			      .minute_ms = 60000};

	if (!x->cron || ecsfs_cron_next(x->cron, &ctx, after_ms, &x->next_ms) < 0)
		x->next_ms = 0;
}

/* What a policy or action of the same name learnt stays across an edit. */
static void carry_over(struct ecsfs__target *t, const struct ecsfs__target *old, int64_t now)
{
	for (size_t i = 0; i < t->nacts; i++)
		next_fire(&t->acts[i], now);
	if (!old)
		return;
	t->last_out_ms = old->last_out_ms;
	t->last_in_ms = old->last_in_ms;
	t->last_round = old->last_round;
	t->service_seen = old->service_seen;
	for (size_t i = 0; i < t->npols; i++)
		for (size_t j = 0; j < old->npols; j++) {
			struct ecsfs__policy *p = &t->pols[i];
			const struct ecsfs__policy *o = &old->pols[j];
			if (strcmp(p->name, o->name) != 0 || p->type != o->type)
				continue;
			p->above = o->above;
			p->below = o->below;
			p->nwindow = o->nwindow;
			memcpy(p->window, o->window, sizeof(p->window));
			p->last = o->last;
			p->alarm = o->alarm;
			p->last_action_ms = o->last_action_ms;
			if (p->alb && !strcmp(p->tg, o->tg)) {
				p->alb_prev = json_incref(o->alb_prev);
				p->alb_at_ms = o->alb_at_ms;
			}
		}
	for (size_t i = 0; i < t->nacts; i++)
		for (size_t j = 0; j < old->nacts; j++)
			if (strcmp(t->acts[i].name, old->acts[j].name) == 0 &&
			    strcmp(t->acts[i].schedule, old->acts[j].schedule) == 0) {
				t->acts[i].created_ms = old->acts[j].created_ms;
				t->acts[i].next_ms = old->acts[j].next_ms;
			}
}

void ecsfs__scaling_reload(ecsfs_scaling *a, const char *cluster, const char *service)
{
	struct ecsfs__target **p = &a->targets, *old = NULL, *t = NULL;
	json_t *doc = NULL;

	for (; *p; p = &(*p)->next)
		if (strcmp((*p)->cluster, cluster) == 0 && strcmp((*p)->service, service) == 0) {
			old = *p;
			*p = old->next;
			break;
		}
	if (ecsfs_scaling_get(a->store, cluster, service, &doc) == 0 &&
	    (t = ecsfs__target_read(cluster, service, doc, ecsfs__scaling_now(a)))) {
		carry_over(t, old, ecsfs__scaling_now(a));
		t->next = a->targets;
		a->targets = t;
	}
	json_decref(doc);
	ecsfs__target_free(old);
	if (a->change_cb)
		a->change_cb(a->change_data, cluster, service);
}

static int load_one(void *data, const char *both)
{
	ecsfs_scaling *a = data;
	const char *slash = strchr(both, '/');
	char cluster[256];

	if (!slash || (size_t)(slash - both) >= sizeof(cluster))
		return 0;
	memcpy(cluster, both, (size_t)(slash - both));
	cluster[slash - both] = '\0';
	ecsfs__scaling_reload(a, cluster, slash + 1);
	return 0;
}

/* ---- one policy's view of one sample ---- */

static double mean_of(const struct ecsfs__policy *p, int n)
{
	double sum = 0;
	int k = n < p->nwindow ? n : p->nwindow;

	for (int i = 0; i < k; i++)
		sum += p->window[i];
	return k ? sum / k : NAN;
}

static void remember(struct ecsfs__policy *p, double v)
{
	memmove(p->window + 1, p->window, (SCALING_WINDOW - 1) * sizeof(p->window[0]));
	p->window[0] = v;
	if (p->nwindow < SCALING_WINDOW)
		p->nwindow++;
}

/* No data: no action, and the consecutive counts start again (an alarm
 * with missing datapoints is INSUFFICIENT_DATA). */
static void observe(struct ecsfs__policy *p, double v)
{
	bool breach;

	p->last = v;
	if (isnan(v)) {
		p->above = p->below = p->nwindow = 0;
		p->alarm = ALARM_INSUFFICIENT;
		return;
	}
	remember(p, v);
	if (p->type == SCALING_STEP) {
		breach = p->cmp && (p->cmp > 0 ? v > p->target || (p->or_equal && v == p->target)
					       : v < p->target || (p->or_equal && v == p->target));
		p->above = breach ? p->above + 1 : 0;
		p->alarm = !p->cmp		    ? ALARM_INSUFFICIENT
			   : p->above >= p->periods ? (p->cmp > 0 ? ALARM_HIGH : ALARM_LOW)
						    : ALARM_OK;
		return;
	}
	/* target tracking: its high alarm is above the target, its low one
	 * below 90 % of it (AWS's) */
	p->above = v > p->target ? p->above + 1 : 0;
	p->below = v < p->target * 0.9 ? p->below + 1 : 0;
	p->alarm = p->above >= ECSFS_SCALING_OUT_SAMPLES  ? ALARM_HIGH
		   : p->below >= ECSFS_SCALING_IN_SAMPLES ? ALARM_LOW
							  : ALARM_OK;
}

static int64_t clamp(const struct ecsfs__target *t, int64_t n)
{
	return n < t->min ? t->min : n > t->max ? t->max : n;
}

/* Whole numbers up and toward zero, without libm. */
static int64_t round_up(double d)
{
	int64_t i = (int64_t)d;
	return (double)i < d ? i + 1 : i;
}

/* Proportional, rounded up (conservative both ways): the capacity that
 * would bring the metric to the target. -1: no proposal. */
static int64_t tracking_wants(const struct ecsfs__policy *p, double running)
{
	int n = p->alarm == ALARM_HIGH ? ECSFS_SCALING_OUT_SAMPLES : ECSFS_SCALING_IN_SAMPLES;

	if ((p->alarm != ALARM_HIGH && p->alarm != ALARM_LOW) || !(running > 0) ||
	    (p->alarm == ALARM_LOW && p->disable_in))
		return -1;
	return round_up(running * mean_of(p, n) / p->target - 1e-9);
}

/* Application Auto Scaling's rounding of a percentage change. */
static int64_t percent_change(int64_t desired, int64_t pct, int64_t min_magnitude)
{
	double d = (double)desired * (double)pct / 100.0;
	int64_t c = d > 1 ? (int64_t)d : d > 0 ? 1 : d < -1 ? (int64_t)d : d < 0 ? -1 : 0;

	if (c > 0 && c < min_magnitude)
		c = min_magnitude;
	if (c < 0 && -c < min_magnitude)
		c = -min_magnitude;
	return c;
}

static int64_t step_wants(const struct ecsfs__policy *p, int64_t desired, int64_t now)
{
	double delta = p->last - p->target;

	if ((p->alarm != ALARM_HIGH && p->alarm != ALARM_LOW) ||
	    (p->last_action_ms && now - p->last_action_ms < p->out_cooldown_s * 1000))
		return -1;
	for (size_t i = 0; i < p->nsteps; i++) {
		const struct ecsfs__step *s = &p->steps[i];
		if (!(delta >= s->lo && delta < s->hi) && !(s->hi == INFINITY && delta >= s->lo))
			continue;
		if (strcmp(p->adjust_type, "ExactCapacity") == 0)
			return s->adjust;
		if (strcmp(p->adjust_type, "PercentChangeInCapacity") == 0)
			return desired + percent_change(desired, s->adjust, p->min_magnitude);
		return desired + s->adjust;
	}
	return -1;
}

/* ---- a target's decision ---- */

struct decision {
	int64_t out, in; /* the largest proposals above / below desired; -1: none */
	struct ecsfs__policy *out_by, *in_by;
	bool all_in;	       /* every target-tracking policy proposes a scale-in */
	int64_t in_cooldown_s; /* the longest of theirs */
	bool step_in;	       /* the scale-in comes from a step policy */
};

static void propose(struct decision *d, struct ecsfs__policy *p, int64_t want, int64_t desired)
{
	if (want > desired && want > d->out) {
		d->out = want;
		d->out_by = p;
	} else if (want >= 0 && want < desired && want > d->in) {
		d->in = want;
		d->in_by = p;
		d->step_in = p->type == SCALING_STEP;
	}
}

static void decide(ecsfs_scaling *a, struct ecsfs__target *t, const ecsfs_metric_sample *s,
		   int64_t desired, struct decision *d)
{
	double running = s->v[ECSFS_FIG_RUNNING];
	int64_t now = ecsfs__scaling_now(a);
	bool any_tracking = false;

	*d = (struct decision){.out = -1, .in = -1, .all_in = true};
	for (size_t i = 0; i < t->npols; i++) {
		struct ecsfs__policy *p = &t->pols[i];
		int64_t want;
		observe(p, p->alb ? ecsfs__scaling_alb(a, t, p) : s->v[p->metric]);
		if (p->type == SCALING_STEP) {
			want = step_wants(p, desired, now);
			propose(d, p, want < 0 ? -1 : clamp(t, want), desired);
			continue;
		}
		any_tracking = true;
		want = tracking_wants(p, running);
		if (want >= 0)
			want = clamp(t, want);
		if (!(want >= 0 && want < desired))
			d->all_in = false;
		if (p->in_cooldown_s > d->in_cooldown_s)
			d->in_cooldown_s = p->in_cooldown_s;
		propose(d, p, want, desired);
	}
	if (any_tracking && !d->all_in && d->in_by && !d->step_in)
		d->in = -1; /* scale-in needs every target-tracking policy */
}

static void evaluate_target(ecsfs_scaling *a, struct ecsfs__target *t)
{
	ecsfs_metric_sample s;
	struct decision d;
	int64_t desired;

	if (ecsfs_service_get_desired(a->store, t->cluster, t->service, &desired) < 0)
		return;
	if (!t->service_seen) {
		/* a service that came after its target: into [min, max] once */
		t->service_seen = true;
		if (ecsfs__scaling_clamp(a, t->cluster, t->service, t->min, t->max, NULL) == 0 &&
		    ecsfs_service_get_desired(a->store, t->cluster, t->service, &desired) < 0)
			return;
	}
	if (ecsfs_metrics_service_latest(a->metrics, t->cluster, t->service, &s) < 0 ||
	    s.round == t->last_round)
		return;
	t->last_round = s.round;
	decide(a, t, &s, desired, &d);
	if (d.out > desired && !t->out_suspended)
		ecsfs__scaling_out(a, t, d.out_by, d.out);
	else if (d.in >= 0 && d.in < desired && !t->in_suspended)
		ecsfs__scaling_in(a, t, d.in_by, d.in, d.in_cooldown_s);
}

void ecsfs_scaling_evaluate(ecsfs_scaling *a)
{
	/* acting may reload (and so replace) a target: look it up each time */
	for (struct ecsfs__target *t = a->targets; t; t = t->next)
		t->evaluated = false;
	for (;;) {
		struct ecsfs__target *t = a->targets;
		while (t && t->evaluated)
			t = t->next;
		if (!t || !a->metrics)
			return;
		t->evaluated = true;
		evaluate_target(a, t);
	}
}

static void on_round(void *data, uint64_t round)
{
	(void)round;
	ecsfs_scaling_evaluate(data);
}

static void on_timer(uv_timer_t *h)
{
	ecsfs_scaling *a = h->data;
	ecsfs_scaling_tick(a, ecsfs__scaling_now(a));
}

/* ---- life ---- */

int ecsfs_scaling_new(uv_loop_t *loop, ecsfs_store *store, ecsfs_services *services,
		      ecsfs_tasks *tasks, ecsfs_metrics *metrics, ecsfs_scaling **out)
{
	ecsfs_scaling *a = calloc(1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	a->loop = loop;
	a->store = store;
	a->services = services;
	a->tasks = tasks;
	a->metrics = metrics;
	ecsfs_store_scaling_list_all(store, load_one, a);
	if (metrics)
		ecsfs_metrics_set_round_cb(metrics, on_round, a);
	if (loop) {
		uv_timer_init(loop, &a->timer);
		a->timer.data = a;
		a->timer_open = true;
		uv_timer_start(&a->timer, on_timer, 1000, 1000);
	}
	*out = a;
	return 0;
}

void ecsfs_scaling_set_change_cb(ecsfs_scaling *a, ecsfs_scaling_change_cb cb, void *data)
{
	a->change_cb = cb;
	a->change_data = data;
}

void ecsfs_scaling_set_clock(ecsfs_scaling *a, int64_t (*now_ms)(void))
{
	a->now_ms = now_ms;
}

static void on_closed(uv_handle_t *h)
{
	free(h->data);
}

void ecsfs_scaling_free(ecsfs_scaling *a)
{
	struct ecsfs__target *t;

	if (!a)
		return;
	if (a->metrics)
		ecsfs_metrics_set_round_cb(a->metrics, NULL, NULL);
	while ((t = a->targets)) {
		a->targets = t->next;
		ecsfs__target_free(t);
	}
	if (a->timer_open)
		uv_close((uv_handle_t *)&a->timer, on_closed);
	else
		free(a);
}
