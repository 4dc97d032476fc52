/*
 * ecsfs — scalable targets: the document of spec/clusters/<c>/scaling/
 * <service>.json (RegisterScalableTarget + ScalingPolicies +
 * ScheduledActions), stored as a row and a spec file, read into the typed
 * form the autoscaler evaluates, and the activities' shape.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/cluster.h"
#include "ecsfs/loadbalancer.h"
#include "ecsfs/targetgroup.h"
#include "ecsfs/util.h"

#include "scaling_private.h"

void ecsfs_scaling_spec_dir(const char *cluster, ecsfs_buf *out)
{
	ecsfs_buf_addf(out, "%s/%s/scaling", ECSFS_SPEC_CLUSTERS, cluster);
}

void ecsfs__scaling_resource(const char *cluster, const char *service, ecsfs_buf *out)
{
	ecsfs_buf_addf(out, "service/%s/%s", cluster, service);
}

/* ---- reading ---- */

int ecsfs_scaling_get(ecsfs_store *s, const char *cluster, const char *service, json_t **doc)
{
	ecsfs_buf b = ECSFS_BUF_INIT;
	int r = ecsfs_store_scaling_get(s, cluster, service, NULL, &b);
	json_t *j = r == 0 ? json_loadb(b.data, b.len, 0, NULL) : NULL;

	ecsfs_buf_release(&b);
	if (r < 0)
		return r;
	if (!j)
		return -EIO;
	*doc = j;
	return 0;
}

int ecsfs_scaling_exists(ecsfs_store *s, const char *cluster, const char *service)
{
	return ecsfs_store_scaling_get(s, cluster, service, NULL, NULL);
}

int ecsfs_scaling_list(ecsfs_store *s, const char *cluster, ecsfs_store_name_cb cb, void *data)
{
	return ecsfs_store_scaling_list(s, cluster, cb, data);
}

int ecsfs_scaling_list_all(ecsfs_store *s, ecsfs_store_name_cb cb, void *data)
{
	return ecsfs_store_scaling_list_all(s, cb, data);
}

static int add_activity(void *data, const char *text, size_t len)
{
	json_t *a = json_loadb(text, len, 0, NULL);

	if (a)
		json_array_append_new(data, a);
	return 0;
}

int ecsfs_scaling_activities(ecsfs_store *s, const char *cluster, const char *service, json_t **out)
{
	json_t *list = json_array();
	int r = ecsfs_store_activity_list(s, cluster, service, add_activity, list);

	if (r < 0) {
		json_decref(list);
		return r;
	}
	*out = list;
	return 0;
}

/* ---- the typed form ---- */

static double num_or(const json_t *v, double otherwise)
{
	return json_is_number(v) ? json_number_value(v) : otherwise;
}

static const char *str_of(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key)) ?: "";
}

static void read_target_tracking(struct ecsfs__policy *p, const json_t *tt)
{
	const char *type =
	    str_of(json_object_get(tt, "PredefinedMetricSpecification"), "PredefinedMetricType");

	p->type = SCALING_TARGET_TRACKING;
	p->target = num_or(json_object_get(tt, "TargetValue"), 0);
	p->metric = strcmp(type, "ECSServiceAverageMemoryUtilization") == 0
			? ECSFS_FIG_MEM_UTILIZATION
			: ECSFS_FIG_CPU_UTILIZATION;
	p->alb = strcmp(type, "ALBRequestCountPerTarget") == 0;
	if (p->alb) {
		ecsfs_buf why = ECSFS_BUF_INIT;
		if (ecsfs__scaling_label(
			str_of(json_object_get(tt, "PredefinedMetricSpecification"),
			       "ResourceLabel"),
			p->lb, p->tg, &why) < 0)
			p->lb[0] = p->tg[0] = '\0';
		ecsfs_buf_release(&why);
	}
	p->out_cooldown_s =
	    (int64_t)num_or(json_object_get(tt, "ScaleOutCooldown"), ECSFS_SCALING_COOLDOWN);
	p->in_cooldown_s =
	    (int64_t)num_or(json_object_get(tt, "ScaleInCooldown"), ECSFS_SCALING_COOLDOWN);
	p->disable_in = json_is_true(json_object_get(tt, "DisableScaleIn"));
}

static void read_step(struct ecsfs__policy *p, const json_t *st, const json_t *alarm)
{
	const json_t *steps = json_object_get(st, "StepAdjustments"), *e;
	const char *cmp = str_of(alarm, "ComparisonOperator");
	size_t i;

	p->type = SCALING_STEP;
	snprintf(p->adjust_type, sizeof(p->adjust_type), "%s", str_of(st, "AdjustmentType"));
	p->min_magnitude = (int64_t)num_or(json_object_get(st, "MinAdjustmentMagnitude"), 0);
	p->out_cooldown_s = p->in_cooldown_s =
	    (int64_t)num_or(json_object_get(st, "Cooldown"), ECSFS_SCALING_COOLDOWN);
	p->steps = calloc(json_array_size(steps) + 1, sizeof(*p->steps));
	json_array_foreach(steps, i, e) {
		p->steps[i].lo = num_or(json_object_get(e, "MetricIntervalLowerBound"), -INFINITY);
		p->steps[i].hi = num_or(json_object_get(e, "MetricIntervalUpperBound"), INFINITY);
		p->steps[i].adjust = json_integer_value(json_object_get(e, "ScalingAdjustment"));
	}
	p->nsteps = json_array_size(steps);
	p->metric = strcmp(str_of(alarm, "MetricName"), "MemoryUtilization") == 0
			? ECSFS_FIG_MEM_UTILIZATION
			: ECSFS_FIG_CPU_UTILIZATION;
	p->target = num_or(json_object_get(alarm, "Threshold"), 0);
	p->periods = (int)num_or(json_object_get(alarm, "EvaluationPeriods"), 1);
	p->cmp = !alarm ? 0 : strncmp(cmp, "Greater", 7) == 0 ? 1 : -1;
	p->or_equal = strstr(cmp, "OrEqual") != NULL;
}

static void read_policy(struct ecsfs__policy *p, const json_t *o)
{
	const char *type = str_of(o, "PolicyType");

	p->name = strdup(str_of(o, "PolicyName"));
	p->alarm = ALARM_INSUFFICIENT;
	p->last = NAN;
	if (strcmp(type, "TargetTrackingScaling") == 0)
		read_target_tracking(
		    p, json_object_get(o, "TargetTrackingScalingPolicyConfiguration"));
	else
		read_step(p, json_object_get(o, "StepScalingPolicyConfiguration"),
			  json_object_get(o, "Alarm"));
}

static int64_t int_or(const json_t *v, int64_t otherwise)
{
	return json_is_integer(v) ? json_integer_value(v) : otherwise;
}

static void read_action(struct ecsfs__action *a, const json_t *o, int64_t now_ms)
{
	const json_t *t = json_object_get(o, "ScalableTargetAction");
	ecsfs_err e = ECSFS_ERR_INIT;

	a->name = strdup(str_of(o, "ScheduledActionName"));
	a->schedule = strdup(str_of(o, "Schedule"));
	a->zone = strdup(json_object_get(o, "Timezone") ? str_of(o, "Timezone") : "UTC");
	if (ecsfs_cron_parse(a->schedule, &a->cron, &e) < 0)
		a->cron = NULL;
	if (ecsfs_tz_load(a->zone, &a->tz, &e) < 0)
		a->tz = ecsfs_tz_utc();
	ecsfs_err_release(&e);
	if (ecsfs__scaling_time(json_object_get(o, "StartTime"), &a->start_ms) < 0)
		a->start_ms = 0;
	if (ecsfs__scaling_time(json_object_get(o, "EndTime"), &a->end_ms) < 0)
		a->end_ms = 0;
	a->min = int_or(json_object_get(t, "MinCapacity"), -1);
	a->max = int_or(json_object_get(t, "MaxCapacity"), -1);
	a->created_ms = now_ms;
}

struct ecsfs__target *ecsfs__target_read(const char *cluster, const char *service,
					 const json_t *doc, int64_t now_ms)
{
	struct ecsfs__target *t = calloc(1, sizeof(*t));
	const json_t *pols = json_object_get(doc, "ScalingPolicies"),
		     *acts = json_object_get(doc, "ScheduledActions"),
		     *sus = json_object_get(doc, "SuspendedState"), *e;
	size_t i;

	if (!t)
		return NULL;
	t->cluster = strdup(cluster);
	t->service = strdup(service);
	t->min = int_or(json_object_get(doc, "MinCapacity"), 0);
	t->max = int_or(json_object_get(doc, "MaxCapacity"), 0);
	t->in_suspended = json_is_true(json_object_get(sus, "DynamicScalingInSuspended"));
	t->out_suspended = json_is_true(json_object_get(sus, "DynamicScalingOutSuspended"));
	t->sched_suspended = json_is_true(json_object_get(sus, "ScheduledScalingSuspended"));
	t->pols = calloc(json_array_size(pols) + 1, sizeof(*t->pols));
	t->acts = calloc(json_array_size(acts) + 1, sizeof(*t->acts));
	json_array_foreach(pols, i, e)
		read_policy(&t->pols[t->npols++], e);
	json_array_foreach(acts, i, e)
		read_action(&t->acts[t->nacts++], e, now_ms);
	return t;
}

void ecsfs__target_free(struct ecsfs__target *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->npols; i++) {
		free(t->pols[i].name);
		free(t->pols[i].steps);
		json_decref(t->pols[i].alb_prev);
	}
	for (size_t i = 0; i < t->nacts; i++) {
		free(t->acts[i].name);
		free(t->acts[i].schedule);
		free(t->acts[i].zone);
		ecsfs_cron_free(t->acts[i].cron);
		ecsfs_tz_free(t->acts[i].tz);
	}
	free(t->pols);
	free(t->acts);
	free(t->cluster);
	free(t->service);
	free(t);
}

/* ---- put and delete ---- */

static int put_spec_file(ecsfs_store *s, const char *cluster, const char *service,
			 const json_t *doc, const ecsfs_spec_bytes *file)
{
	ecsfs_buf dir = ECSFS_BUF_INIT;
	int r;

	ecsfs_scaling_spec_dir(cluster, &dir);
	r = ecsfs_spec_file_put(s, dir.data, service, doc, file);
	ecsfs_buf_release(&dir);
	return r;
}

static int store_put(ecsfs_store *s, const char *cluster, const char *service, const json_t *doc,
		     const ecsfs_spec_bytes *file)
{
	ecsfs_buf canon = ECSFS_BUF_INIT;
	int64_t created = ecsfs_now_ns();
	int r;

	ecsfs_json_canonical(doc, &canon);
	if ((r = ecsfs_store_begin(s)) < 0)
		goto out;
	ecsfs_store_scaling_get(s, cluster, service, &created, NULL);
	if ((r = ecsfs_store_scaling_put(s, cluster, service, created, canon.data)) < 0 ||
	    (r = put_spec_file(s, cluster, service, doc, file)) < 0) {
		ecsfs_store_rollback(s);
		goto out;
	}
	r = ecsfs_store_commit(s);
out:
	ecsfs_buf_release(&canon);
	return r;
}

static int check_room(ecsfs_store *s, const char *cluster, const char *service, ecsfs_err *err)
{
	uint64_t n = 0;

	if (ecsfs_scaling_exists(s, cluster, service) == 0)
		return 0;
	if (ecsfs_store_scaling_count(s, &n) == 0 && n >= ECSFS_SCALING_TARGETS_MAX)
		return ecsfs_err_set(err, ECSFS_E_LIMIT_EXCEEDED, -ENOSPC,
				     "at most %d scalable targets", ECSFS_SCALING_TARGETS_MAX);
	return 0;
}

/* Does load balancer `lb` forward to target group `tg` (a listener's or a rule's action)? */
static bool forwards(ecsfs_store *s, const char *lb, const char *tg)
{
	ecsfs_buf arn = ECSFS_BUF_INIT;
	json_t *l = NULL, *r = NULL;
	char *text = NULL, *more = NULL;
	bool yes;

	ecsfs_targetgroup_arn(tg, &arn);
	ecsfs_loadbalancer_listeners(s, lb, &l, NULL);
	ecsfs_loadbalancer_rules(s, lb, &r, NULL);
	text = l ? json_dumps(l, JSON_COMPACT) : NULL;
	more = r ? json_dumps(r, JSON_COMPACT) : NULL;
	yes = (text && strstr(text, arn.data)) || (more && strstr(more, arn.data));
	free(text);
	free(more);
	json_decref(l);
	json_decref(r);
	ecsfs_buf_release(&arn);
	return yes;
}

/*
 * ALBRequestCountPerTarget's ResourceLabel against what exists: when its
 * load balancer and target group both do, the one must forward to the
 * other. A label naming one that is not there yet is accepted and waits
 * (files apply in any order; the scaling view says what it waits for).
 */
static int check_labels(ecsfs_store *s, const json_t *doc, ecsfs_err *err)
{
	const json_t *pols = json_object_get(doc, "ScalingPolicies"), *p;
	size_t i;

	json_array_foreach(pols, i, p) {
		const json_t *spec =
		    json_object_get(json_object_get(p, "TargetTrackingScalingPolicyConfiguration"),
				    "PredefinedMetricSpecification");
		const char *label = str_of(spec, "ResourceLabel");
		char lb[33], tg[33];
		ecsfs_buf why = ECSFS_BUF_INIT;
		int r = ecsfs__scaling_label(label, lb, tg, &why);
		ecsfs_buf_release(&why);
		if (r < 0 ||
		    strcmp(str_of(spec, "PredefinedMetricType"), "ALBRequestCountPerTarget"))
			continue;
		if (ecsfs_loadbalancer_exists(s, lb, NULL) == 0 &&
		    ecsfs_targetgroup_exists(s, tg, NULL) == 0 && !forwards(s, lb, tg))
			return ecsfs_err_set(
			    err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
			    "ScalingPolicies[%zu].TargetTrackingScalingPolicyConfiguration."
			    "PredefinedMetricSpecification.ResourceLabel: load balancer %s does "
			    "not "
			    "forward to target group %s",
			    i, lb, tg);
	}
	return 0;
}

int ecsfs_scaling_put(ecsfs_scaling *a, const char *cluster, const char *service, const json_t *doc,
		      const ecsfs_spec_bytes *file, ecsfs_err *err)
{
	bool existed = ecsfs_scaling_exists(a->store, cluster, service) == 0;
	int r;

	if (!ecsfs_store_cluster_exists(a->store, cluster))
		return ecsfs_err_set(err, ECSFS_E_CLUSTER_NOT_FOUND, -ENOENT,
				     "cluster %s does not exist", cluster);
	if ((r = ecsfs_scaling_check(cluster, service, doc, err)) < 0 ||
	    (r = check_labels(a->store, doc, err)) < 0 ||
	    (r = check_room(a->store, cluster, service, err)) < 0)
		return r;
	if ((r = store_put(a->store, cluster, service, doc, file)) < 0)
		return ecsfs_err_set(err, ECSFS_E_SERVER, r == -ENOSPC ? -ENOSPC : -EIO,
				     "the store failed: %s", ecsfs_store_last_error(a->store));
	if (!existed && ecsfs_service_exists(a->store, cluster, service) < 0)
		ecsfs_cluster_event(a->store, cluster,
				    "(scalable target service/%s/%s) is waiting for service %s to "
				    "be created.",
				    cluster, service, service);
	ecsfs__scaling_reload(a, cluster, service);
	ecsfs__scaling_clamp(a, cluster, service,
			     json_integer_value(json_object_get(doc, "MinCapacity")),
			     json_integer_value(json_object_get(doc, "MaxCapacity")), NULL);
	return 0;
}

int ecsfs_scaling_delete(ecsfs_scaling *a, const char *cluster, const char *service, ecsfs_err *err)
{
	ecsfs_buf dir = ECSFS_BUF_INIT, name = ECSFS_BUF_INIT;
	int r;

	if ((r = ecsfs_store_begin(a->store)) < 0)
		return ecsfs_err_set(err, ECSFS_E_SERVER, -EIO, "the store failed");
	ecsfs_scaling_spec_dir(cluster, &dir);
	ecsfs_buf_addf(&name, "%s.json", service);
	ecsfs_store_file_delete(a->store, dir.data, name.data);
	ecsfs_buf_release(&dir);
	ecsfs_buf_release(&name);
	if ((r = ecsfs_store_scaling_delete(a->store, cluster, service)) < 0) {
		ecsfs_store_rollback(a->store);
		if (r == -ENOENT)
			return ecsfs_err_set(err, ECSFS_E_RESOURCE_NOT_FOUND, -ENOENT,
					     "no scalable target for service/%s/%s", cluster,
					     service);
		return ecsfs_err_set(err, ECSFS_E_SERVER, -EIO, "the store failed");
	}
	if ((r = ecsfs_store_commit(a->store)) < 0)
		return ecsfs_err_set(err, ECSFS_E_SERVER, -EIO, "the store failed");
	ecsfs__scaling_reload(a, cluster, service);
	return 0;
}
