/* ecsfs — clusters/<c>/services/<s>/scaling: a target as its autoscaler
 * sees it now, "key: value" lines. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "ecsfs/util.h"

#include "autoscale_private.h"

static const char *const alarm_names[] = {
    [ALARM_INSUFFICIENT] = "INSUFFICIENT_DATA",
    [ALARM_OK] = "OK",
    [ALARM_HIGH] = "ALARM (high)",
    [ALARM_LOW] = "ALARM (low)",
};

static int64_t left_s(int64_t since_ms, int64_t cooldown_s, int64_t now)
{
	int64_t left = since_ms ? cooldown_s * 1000 - (now - since_ms) : 0;
	return left > 0 ? (left + 999) / 1000 : 0;
}

static void view_policy(const struct ecsfs__target *t, const struct ecsfs__policy *p, int64_t now,
			ecsfs_buf *out)
{
	const char *n = p->name;
	bool tt = p->type == SCALING_TARGET_TRACKING;

	ecsfs_buf_addf(out, "policy.%s.type: %s\n", n,
		       tt ? "TargetTrackingScaling" : "StepScaling");
	if (p->alb) {
		ecsfs_buf_addf(out, "policy.%s.metric: ALBRequestCountPerTarget\n", n);
		ecsfs_buf_addf(out, "policy.%s.target_group: %s\n", n, p->tg[0] ? p->tg : "-");
		if (p->alb_why[0])
			ecsfs_buf_addf(out, "policy.%s.no_data: %s\n", n, p->alb_why);
	} else {
		ecsfs_buf_addf(out, "policy.%s.metric: %s\n", n, ecsfs_metric_fig_name(p->metric));
	}
	if (!isnan(p->last))
		ecsfs_buf_addf(out, "policy.%s.value: %.2f\n", n, p->last);
	ecsfs_buf_addf(out, "policy.%s.%s: %g\n", n, tt ? "target" : "threshold", p->target);
	ecsfs_buf_addf(out, "policy.%s.alarm: %s\n", n, alarm_names[p->alarm]);
	if (tt) {
		ecsfs_buf_addf(out, "policy.%s.above: %d/%d\n", n,
			       p->above > ECSFS_SCALING_OUT_SAMPLES ? ECSFS_SCALING_OUT_SAMPLES
								    : p->above,
			       ECSFS_SCALING_OUT_SAMPLES);
		ecsfs_buf_addf(out, "policy.%s.below: %d/%d\n", n,
			       p->below > ECSFS_SCALING_IN_SAMPLES ? ECSFS_SCALING_IN_SAMPLES
								   : p->below,
			       ECSFS_SCALING_IN_SAMPLES);
		ecsfs_buf_addf(out, "policy.%s.scale_out_cooldown_left: %lld\n", n,
			       (long long)left_s(t->last_out_ms, p->out_cooldown_s, now));
		ecsfs_buf_addf(out, "policy.%s.scale_in_cooldown_left: %lld\n", n,
			       (long long)left_s(t->last_in_ms, p->in_cooldown_s, now));
		if (p->disable_in)
			ecsfs_buf_addf(out, "policy.%s.scale_in: disabled\n", n);
	} else {
		ecsfs_buf_addf(out, "policy.%s.breaching: %d/%d\n", n, p->above, p->periods);
		ecsfs_buf_addf(out, "policy.%s.cooldown_left: %lld\n", n,
			       (long long)left_s(p->last_action_ms, p->out_cooldown_s, now));
		if (!p->cmp)
			ecsfs_buf_addf(out, "policy.%s.waiting: no Alarm triggers it\n", n);
	}
}

static void view_action(const struct ecsfs__action *x, ecsfs_buf *out)
{
	char when[32];

	ecsfs_buf_addf(out, "scheduled.%s.schedule: %s %s\n", x->name, x->schedule, x->zone);
	if (x->next_ms) {
		ecsfs_time_iso(x->next_ms * 1000000, when);
		ecsfs_buf_addf(out, "scheduled.%s.next: %s\n", x->name, when);
	} else {
		ecsfs_buf_addf(out, "scheduled.%s.next: none\n", x->name);
	}
	if (x->min >= 0)
		ecsfs_buf_addf(out, "scheduled.%s.min_capacity: %lld\n", x->name,
			       (long long)x->min);
	if (x->max >= 0)
		ecsfs_buf_addf(out, "scheduled.%s.max_capacity: %lld\n", x->name,
			       (long long)x->max);
}

static int view_activity(void *data, const char *text, size_t len)
{
	ecsfs_buf *out = data;
	json_t *a = json_loadb(text, len, 0, NULL);

	ecsfs_buf_addf(out, "activity: %s %s Cause: %s\n",
		       json_string_value(json_object_get(a, "StartTime")) ?: "",
		       json_string_value(json_object_get(a, "Description")) ?: "",
		       json_string_value(json_object_get(a, "Cause")) ?: "");
	json_decref(a);
	return 0;
}

static void view_service(ecsfs_scaling *a, const struct ecsfs__target *t, ecsfs_buf *out)
{
	ecsfs_metric_sample s;
	int64_t desired;

	if (ecsfs_service_get_desired(a->store, t->cluster, t->service, &desired) < 0) {
		ecsfs_buf_addf(out, "waiting: service %s does not exist\n", t->service);
		return;
	}
	ecsfs_buf_addf(out, "desired_count: %lld\n", (long long)desired);
	if (a->metrics && ecsfs_metrics_service_latest(a->metrics, t->cluster, t->service, &s) == 0)
		ecsfs_buf_addf(out, "running_count: %.0f\n", s.v[ECSFS_FIG_RUNNING]);
}

int ecsfs_scaling_view(ecsfs_scaling *a, const char *cluster, const char *service, ecsfs_buf *out)
{
	struct ecsfs__target *t = ecsfs__scaling_find(a, cluster, service);
	int64_t now = ecsfs__scaling_now(a);
	ecsfs_buf res = ECSFS_BUF_INIT;

	if (!t)
		return -ENOENT;
	ecsfs__scaling_resource(cluster, service, &res);
	ecsfs_buf_addf(out, "resource: %s\nmin_capacity: %lld\nmax_capacity: %lld\n", res.data,
		       (long long)t->min, (long long)t->max);
	ecsfs_buf_release(&res);
	view_service(a, t, out);
	ecsfs_buf_addf(out, "suspended:%s%s%s\n", t->in_suspended ? " scale-in" : "",
		       t->out_suspended ? " scale-out" : "",
		       t->sched_suspended		       ? " scheduled"
		       : !t->in_suspended && !t->out_suspended ? " no"
							       : "");
	if (t->blocked[0])
		ecsfs_buf_addf(out, "scale_in_blocked: %s\n", t->blocked);
	for (size_t i = 0; i < t->npols; i++)
		view_policy(t, &t->pols[i], now, out);
	for (size_t i = 0; i < t->nacts; i++)
		view_action(&t->acts[i], out);
	return ecsfs_store_activity_list(a->store, cluster, service, view_activity, out);
}
