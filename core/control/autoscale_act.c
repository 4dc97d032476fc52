/*
 * ecsfs — what the autoscaler does: desiredCount through
 * ecsfs_service_set_desired() (as a write to desired_count: the spec file
 * follows), an activity for each change with Application Auto Scaling's
 * words, scale-in held back by its cooldown, a deployment in progress or
 * protected tasks, and the scheduled actions that are due.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/arn.h"
#include "ecsfs/util.h"

#include "autoscale_private.h"

void ecsfs__scaling_alarm_name(const struct ecsfs__target *t, const struct ecsfs__policy *p,
			       bool high, ecsfs_buf *out)
{
	uint32_t h = 2166136261u; /* FNV-1a of the policy's name: a stable id */

	for (const char *c = p->name; *c; c++)
		h = (h ^ (unsigned char)*c) * 16777619u;
	if (p->type == SCALING_STEP) {
		ecsfs_buf_addf(out, "%s-alarm", p->name);
		return;
	}
	ecsfs_buf_addf(out, "TargetTracking-service/%s/%s-Alarm%s-%08x-%04x-4%03x-8%03x-%012x",
		       t->cluster, t->service, high ? "High" : "Low", h, h >> 16, h & 0xfff,
		       (h >> 8) & 0xfff, h);
}

json_t *ecsfs_scaling_policy_alarms(const char *cluster, const char *service, const json_t *policy)
{
	struct ecsfs__target t = {.cluster = (char *)cluster, .service = (char *)service};
	const char *type = json_string_value(json_object_get(policy, "PolicyType")) ?: "";
	struct ecsfs__policy p = {
	    .name = (char *)(json_string_value(json_object_get(policy, "PolicyName")) ?: ""),
	    .type = strcmp(type, "TargetTrackingScaling") == 0 ? SCALING_TARGET_TRACKING
							       : SCALING_STEP};
	json_t *list = json_array();

	for (int high = 1; high >= 0; high--) {
		ecsfs_buf name = ECSFS_BUF_INIT, arn = ECSFS_BUF_INIT;
		if (p.type == SCALING_STEP && !high)
			break;
		if (p.type == SCALING_STEP && !json_object_get(policy, "Alarm"))
			break;
		ecsfs__scaling_alarm_name(&t, &p, high, &name);
		ecsfs_arn(&arn, "cloudwatch", "alarm:%s", name.data);
		json_array_append_new(
		    list, json_pack("{s:s, s:s}", "AlarmName", name.data, "AlarmARN", arn.data));
		ecsfs_buf_release(&name);
		ecsfs_buf_release(&arn);
	}
	return list;
}

/* ---- activities ---- */

static void activity_doc(const char *cluster, const char *service, const char *description,
			 const char *cause, int64_t ns, ecsfs_buf *out)
{
	ecsfs_buf res = ECSFS_BUF_INIT, status = ECSFS_BUF_INIT;
	char when[32], id[40];
	json_t *o;

	ecsfs__scaling_resource(cluster, service, &res);
	ecsfs_time_iso(ns, when);
	snprintf(id, sizeof(id), "%08x-%04x-4%03x-8%03x-%012llx", (unsigned)(ns / 1000000000),
		 (unsigned)(ns >> 16) & 0xffff, (unsigned)(ns & 0xfff), (unsigned)(ns >> 4) & 0xfff,
		 (unsigned long long)ns & 0xffffffffffffull);
	/* "Setting desired count to 4." -> "Successfully set desired count to 4." */
	if (strncmp(description, "Setting ", 8) == 0)
		ecsfs_buf_addf(&status, "Successfully set %s", description + 8);
	else
		ecsfs_buf_adds(&status, description);
	ecsfs_buf_adds(&status, " Change successfully fulfilled by ecs.");
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ActivityId", id,
		      "ServiceNamespace", "ecs", "ResourceId", res.data, "ScalableDimension",
		      "ecs:service:DesiredCount", "Description", description, "Cause", cause,
		      "StartTime", when, "EndTime", when, "StatusCode", "Successful",
		      "StatusMessage", status.data);
	ecsfs_json_canonical(o, out);
	json_decref(o);
	ecsfs_buf_release(&res);
	ecsfs_buf_release(&status);
}

void ecsfs__scaling_activity(ecsfs_scaling *a, const char *cluster, const char *service,
			     const char *description, const char *cause)
{
	static int64_t last_ns;
	ecsfs_buf doc = ECSFS_BUF_INIT, stream = ECSFS_BUF_INIT, line = ECSFS_BUF_INIT;
	int64_t ns = ecsfs__scaling_now(a) * 1000000;
	char when[32];

	/* activities are keyed by their start: two in one instant get apart */
	ns = ns > last_ns ? ns : last_ns + 1;
	last_ns = ns;
	activity_doc(cluster, service, description, cause, ns, &doc);
	ecsfs_store_activity_add(a->store, cluster, service, ns, doc.data,
				 ECSFS_SCALING_ACTIVITIES);
	if (ecsfs_service_exists(a->store, cluster, service) == 0) {
		ecsfs_service_events_stream(cluster, service, &stream);
		ecsfs_time_iso(ecsfs_now_ns(), when);
		ecsfs_buf_addf(&line, "%s (service %s) auto scaling: %s Cause: %s.", when, service,
			       description, cause);
		ecsfs_store_journal_append(a->store, stream.data, line.data);
	}
	ecsfs_buf_release(&doc);
	ecsfs_buf_release(&stream);
	ecsfs_buf_release(&line);
	if (a->change_cb)
		a->change_cb(a->change_data, cluster, service);
}

/* ---- desiredCount ---- */

static int set_desired(ecsfs_scaling *a, const char *cluster, const char *service, int64_t n,
		       const char *cause)
{
	ecsfs_err err = ECSFS_ERR_INIT;
	ecsfs_buf what = ECSFS_BUF_INIT;
	int r = a->services ? ecsfs_service_set_desired(a->services, cluster, service, n, &err)
			    : -ENOENT;

	if (r == 0) {
		ecsfs_buf_addf(&what, "Setting desired count to %lld.", (long long)n);
		ecsfs__scaling_activity(a, cluster, service, what.data, cause);
	}
	ecsfs_buf_release(&what);
	ecsfs_err_release(&err);
	return r;
}

int ecsfs__scaling_clamp(ecsfs_scaling *a, const char *cluster, const char *service, int64_t min,
			 int64_t max, const char *cause)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	int64_t desired, n;
	int r;

	if (ecsfs_service_get_desired(a->store, cluster, service, &desired) < 0)
		return 0; /* no service yet: it waits */
	n = desired < min ? min : desired > max ? max : desired;
	if (n == desired)
		return 0;
	if (cause)
		ecsfs_buf_adds(&why, cause);
	else
		ecsfs_buf_addf(&why, "%s capacity was set to %lld",
			       n == min ? "minimum" : "maximum", (long long)n);
	r = set_desired(a, cluster, service, n, why.data);
	ecsfs_buf_release(&why);
	return r;
}

static void policy_cause(const struct ecsfs__target *t, const struct ecsfs__policy *p, bool high,
			 ecsfs_buf *out)
{
	ecsfs_buf alarm = ECSFS_BUF_INIT;

	ecsfs__scaling_alarm_name(t, p, high, &alarm);
	ecsfs_buf_addf(out, "monitor alarm %s in state ALARM triggered policy %s", alarm.data,
		       p->name);
	ecsfs_buf_release(&alarm);
}

void ecsfs__scaling_out(ecsfs_scaling *a, struct ecsfs__target *t, struct ecsfs__policy *p,
			int64_t n)
{
	ecsfs_buf cause = ECSFS_BUF_INIT;
	int64_t now = ecsfs__scaling_now(a);

	policy_cause(t, p, true, &cause);
	t->last_out_ms = now;
	p->last_action_ms = now;
	t->blocked[0] = '\0';
	/* acting may reload t: nothing of it is used after */
	set_desired(a, t->cluster, t->service, n, cause.data);
	ecsfs_buf_release(&cause);
}

/* A deployment that is not done yet holds scale-in back (ECS's rule). */
static bool deploying(ecsfs_scaling *a, const struct ecsfs__target *t)
{
	json_t *d = NULL, *deps, *e;
	bool busy = false;
	size_t i;

	if (!a->services ||
	    ecsfs_service_describe(a->services, t->cluster, t->service, &d, NULL) < 0)
		return false;
	deps = json_object_get(d, "deployments");
	json_array_foreach(deps, i, e)
		busy |= strcmp(json_string_value(json_object_get(e, "rolloutState")) ?: "",
			       "IN_PROGRESS") == 0;
	busy |= json_array_size(deps) > 1;
	json_decref(d);
	return busy;
}

struct protected
{
	int64_t now_ns;
	int64_t n;
};

static int count_protected(void *data, const ecsfs_task_info *info)
{
	struct protected *p = data;

	if (strcmp(info->last_status, "STOPPED") != 0 && info->desired_running &&
	    info->protected_ns > p->now_ns)
		p->n++;
	return 0;
}

static int64_t protected_tasks(ecsfs_scaling *a, const struct ecsfs__target *t)
{
	struct protected p = {.now_ns = ecsfs_now_ns()};
	ecsfs_buf group = ECSFS_BUF_INIT;

	ecsfs_buf_addf(&group, "service:%s", t->service);
	if (a->tasks)
		ecsfs_tasks_foreach(a->tasks, t->cluster, group.data, count_protected, &p);
	ecsfs_buf_release(&group);
	return p.n;
}

void ecsfs__scaling_in(ecsfs_scaling *a, struct ecsfs__target *t, struct ecsfs__policy *p,
		       int64_t n, int64_t cooldown_s)
{
	ecsfs_buf cause = ECSFS_BUF_INIT;
	int64_t now = ecsfs__scaling_now(a), desired, floor_n;

	if (t->last_in_ms && now - t->last_in_ms < cooldown_s * 1000) {
		snprintf(t->blocked, sizeof(t->blocked), "scale-in cooldown (%llds left)",
			 (long long)((cooldown_s * 1000 - (now - t->last_in_ms) + 999) / 1000));
		return;
	}
	if (deploying(a, t)) {
		snprintf(t->blocked, sizeof(t->blocked), "a deployment is in progress");
		return;
	}
	floor_n = protected_tasks(a, t);
	if (n < floor_n &&
	    ecsfs_service_get_desired(a->store, t->cluster, t->service, &desired) == 0 &&
	    (n = floor_n) >= desired) {
		snprintf(t->blocked, sizeof(t->blocked), "%lld tasks are protected from scale-in",
			 (long long)floor_n);
		return;
	}
	t->blocked[0] = '\0';
	t->last_in_ms = now;
	p->last_action_ms = now;
	policy_cause(t, p, p->type == SCALING_STEP, &cause);
	set_desired(a, t->cluster, t->service, n, cause.data);
	ecsfs_buf_release(&cause);
}

/* ---- scheduled actions ---- */

/* Apply one due action: the target's new capacities into its document
 * (its spec file is rewritten, as desired_count's is), then desiredCount
 * into them. */
static void run_action(ecsfs_scaling *a, struct ecsfs__target *t, struct ecsfs__action *x)
{
	ecsfs_buf what = ECSFS_BUF_INIT, cause = ECSFS_BUF_INIT;
	ecsfs_err err = ECSFS_ERR_INIT;
	char *cluster = strdup(t->cluster), *service = strdup(t->service);
	json_t *doc = NULL;

	if (ecsfs_scaling_get(a->store, cluster, service, &doc) == 0) {
		if (x->min >= 0)
			json_object_set_new(doc, "MinCapacity", json_integer(x->min));
		if (x->max >= 0)
			json_object_set_new(doc, "MaxCapacity", json_integer(x->max));
		ecsfs_buf_addf(&what, "Setting min capacity to %lld and max capacity to %lld",
			       (long long)json_integer_value(json_object_get(doc, "MinCapacity")),
			       (long long)json_integer_value(json_object_get(doc, "MaxCapacity")));
		ecsfs_buf_addf(&cause, "scheduled action name %s was triggered", x->name);
		/* t is replaced by the put: x is not used after it */
		if (ecsfs_scaling_check(cluster, service, doc, &err) == 0) {
			ecsfs__scaling_activity(a, cluster, service, what.data, cause.data);
			ecsfs_scaling_put(a, cluster, service, doc, NULL, &err);
		}
	}
	json_decref(doc);
	free(cluster);
	free(service);
	ecsfs_buf_release(&what);
	ecsfs_buf_release(&cause);
	ecsfs_err_release(&err);
}

static struct ecsfs__action *due(ecsfs_scaling *a, int64_t now_ms, struct ecsfs__target **owner)
{
	for (struct ecsfs__target *t = a->targets; t; t = t->next)
		for (size_t i = 0; i < t->nacts; i++)
			if (t->acts[i].next_ms && t->acts[i].next_ms <= now_ms) {
				*owner = t;
				return &t->acts[i];
			}
	return NULL;
}

void ecsfs_scaling_tick(ecsfs_scaling *a, int64_t now_ms)
{
	struct ecsfs__target *t;
	struct ecsfs__action *x;

	for (int guard = 0; guard < 1000 && (x = due(a, now_ms, &t)); guard++) {
		ecsfs_cron_ctx ctx = {.tz = x->tz,
				      .anchor_ms = x->start_ms ? x->start_ms : x->created_ms,
				      .minute_ms = 60000};
		bool in_window =
		    (!x->start_ms || now_ms >= x->start_ms) && (!x->end_ms || now_ms <= x->end_ms);
		/* the next fire first: the put below carries it over */
		if (!x->cron || ecsfs_cron_next(x->cron, &ctx, now_ms, &x->next_ms) < 0)
			x->next_ms = 0;
		if (in_window && !t->sched_suspended)
			run_action(a, t, x);
	}
}
