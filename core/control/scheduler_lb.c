/*
 * ecsfs — the scheduler's load-balancing phases: a service's tasks are
 * registered in the target groups of its `loadBalancers` once their
 * containers run, count as healthy only while their targets are, and are
 * deregistered and drained before they are stopped (scale-in, rollout,
 * delete, replacement).
 *
 * A task being drained is written down in the service's state ("retiring":
 * {task id: {reason, draining}}), so the stop that follows the drain
 * survives a restart of the daemon; every look deregisters it again
 * (idempotent) and stops it once no target of it is left.
 */
#include <stdio.h>
#include <string.h>

#include "control/scheduler_private.h"
#include "ecsfs/targetgroup.h"

#define LB_MAX ECSFS_SERVICE_LB_MAX

static json_t *lbs_of(const ecsfs__look *k)
{
	return json_object_get(ecsfs__service_spec(k->state), "loadBalancers");
}

/* Is this service behind load balancers the scheduler can drive? */
static bool balanced(const ecsfs__look *k)
{
	return k->sv->lb && json_array_size(lbs_of(k)) > 0;
}

static const char *lb_ref(const ecsfs__look *k, size_t i)
{
	return json_string_value(json_object_get(json_array_get(lbs_of(k), i), "targetGroupArn"));
}

static size_t lb_count(const ecsfs__look *k)
{
	size_t n = json_array_size(lbs_of(k));
	return n > LB_MAX ? LB_MAX : n;
}

/* The group of load balancer i a task is in: its deployment's (a
 * strategy's new tasks are in the group that does not serve production). */
static const char *task_ref(const ecsfs__look *k, size_t i, const ecsfs__svc_task *t)
{
	return ecsfs__strategy_group(k, i, t->started_by);
}

static ecsfs_target_state target_of(const ecsfs__look *k, size_t i, const ecsfs__svc_task *t)
{
	return ecsfs_lb_target_state(k->sv->lb, task_ref(k, i, t), t->id);
}

/* "(target-group arn:aws:elasticloadbalancing:...)" as events name it. */
static void group_arn(const char *ref, ecsfs_buf *out)
{
	char name[ECSFS_ELB_NAME_MAX + 1];

	if (ecsfs_targetgroup_ref_name(ref, name, NULL) == 0)
		ecsfs_targetgroup_arn(name, out);
	else
		ecsfs_buf_adds(out, ref);
}

/* "(service web) <verb> N targets in (target-group ...)." per group. */
static void say_targets(ecsfs__look *k, const char *verb, const size_t count[LB_MAX])
{
	for (size_t i = 0; i < lb_count(k); i++) {
		ecsfs_buf arn = ECSFS_BUF_INIT;
		if (!count[i])
			continue;
		group_arn(lb_ref(k, i), &arn);
		ecsfs__service_event(k->s, k->cluster, k->name,
				     "%s %zu targets in (target-group %s).", verb, count[i],
				     arn.data);
		ecsfs_buf_release(&arn);
	}
}

static ecsfs__svc_task *task_by_id(ecsfs__look *k, const char *id)
{
	for (size_t i = 0; i < k->l.n; i++)
		if (strcmp(k->l.v[i].id, id) == 0)
			return &k->l.v[i];
	return NULL;
}

static json_t *retiring_of(ecsfs__look *k)
{
	json_t *r = json_object_get(k->state, "retiring");
	if (!r) {
		r = json_object();
		json_object_set_new(k->state, "retiring", r);
	}
	return r;
}

/* ---- observe ---- */

/* Say once that a target group the service names does not exist yet. */
static void check_groups(ecsfs__look *k)
{
	const char *said = json_string_value(json_object_get(k->state, "waitingGroup"));
	ecsfs_err err = ECSFS_ERR_INIT;

	for (size_t i = 0; i < lb_count(k) && !k->group_missing; i++) {
		json_t *adv =
		    json_object_get(json_array_get(lbs_of(k), i), "advancedConfiguration");
		const char *alt =
		    json_string_value(json_object_get(adv, "alternateTargetGroupArn"));
		if (ecsfs_lb_group_exists(k->sv->lb, lb_ref(k, i), &err) < 0)
			k->group_missing = lb_ref(k, i);
		else if (alt && ecsfs_lb_group_exists(k->sv->lb, alt, &err) < 0)
			k->group_missing = alt;
	}
	ecsfs_err_release(&err);
	if (!k->group_missing) {
		json_object_del(k->state, "waitingGroup");
		return;
	}
	if (said && strcmp(said, k->group_missing) == 0)
		return;
	ecsfs__service_event(k->s, k->cluster, k->name,
			     "is waiting for target group %s: it does not exist yet; the service "
			     "starts tasks once it is created.",
			     k->group_missing);
	json_object_set_new(k->state, "waitingGroup", json_string(k->group_missing));
}

/* Healthy only while every target is (UNUSED: no load balancer sends it
 * traffic, nothing to wait for); a target that failed its health checks
 * after the grace period is noted for replacement. */
static void observe_targets(ecsfs__look *k, ecsfs__svc_task *t, int64_t grace)
{
	for (size_t i = 0; i < lb_count(k); i++) {
		ecsfs_target_state st = target_of(k, i, t);
		if (st != ECSFS_TARGET_HEALTHY && st != ECSFS_TARGET_UNUSED)
			t->healthy = false;
		if (st == ECSFS_TARGET_UNHEALTHY && k->now - t->started_ns >= grace &&
		    !t->elb_unhealthy)
			t->elb_unhealthy = task_ref(k, i, t);
	}
}

void ecsfs__lb_observe(ecsfs__look *k)
{
	json_t *g = json_object_get(ecsfs__service_spec(k->state), "healthCheckGracePeriodSeconds");
	json_t *retiring = json_object_get(k->state, "retiring");
	int64_t grace = json_integer_value(g) * 1000000000ll;

	for (size_t i = 0; i < k->l.n; i++) {
		ecsfs__svc_task *t = &k->l.v[i];
		t->retiring = t->live && json_object_get(retiring, t->id) != NULL;
		k->nretiring += t->retiring;
		if (t->retiring)
			t->healthy = false;
	}
	if (!balanced(k)) {
		json_object_del(k->state, "waitingGroup");
		return;
	}
	check_groups(k);
	for (size_t i = 0; i < k->l.n; i++)
		if (k->l.v[i].live && !k->l.v[i].retiring)
			observe_targets(k, &k->l.v[i], grace);
}

/* ---- drain, then stop ---- */

/* Deregister the task from every group; true once no target of it is left. */
static bool drain(ecsfs__look *k, ecsfs__svc_task *t)
{
	ecsfs_err err = ECSFS_ERR_INIT;
	bool gone = true;

	for (size_t i = 0; i < lb_count(k); i++) {
		ecsfs_lb_deregister(k->sv->lb, task_ref(k, i, t), t->id, &err);
		gone = gone && target_of(k, i, t) == ECSFS_TARGET_NONE;
	}
	ecsfs_err_release(&err);
	return gone;
}

/* Stop a drained task with the reason it was retired for. */
static void stop_drained(ecsfs__look *k, ecsfs__svc_task *t, json_t *entry, size_t dereg[LB_MAX])
{
	if (json_is_true(json_object_get(entry, "draining")))
		for (size_t i = 0; i < lb_count(k); i++)
			dereg[i]++;
	ecsfs__stop_now(k, &t, 1, json_string_value(json_object_get(entry, "reason")) ?: "");
	if (t->retiring)
		k->nretiring--;
	t->retiring = false;
}

void ecsfs__lb_finish_draining(ecsfs__look *k)
{
	json_t *retiring = json_object_get(k->state, "retiring"), *entry;
	size_t dereg[LB_MAX] = {0};
	const char *id;
	void *tmp;

	json_object_foreach_safe(retiring, tmp, id, entry)
	{
		ecsfs__svc_task *t = task_by_id(k, id);
		if (!t || !t->live) {
			json_object_del(retiring, id); /* stopped some other way */
			continue;
		}
		if (!k->sv->lb || drain(k, t)) {
			stop_drained(k, t, entry, dereg);
			json_object_del(retiring, id);
		}
	}
	if (k->sv->lb && lbs_of(k))
		say_targets(k, "deregistered", dereg);
	if (retiring && json_object_size(retiring) == 0)
		json_object_del(k->state, "retiring");
}

void ecsfs__retire(ecsfs__look *k, ecsfs__svc_task **v, size_t n, const char *reason)
{
	json_t *retiring;
	size_t draining = 0;

	if (!balanced(k)) {
		ecsfs__stop_now(k, v, n, reason);
		return;
	}
	retiring = retiring_of(k);
	for (size_t i = 0; i < n; i++) {
		ecsfs__svc_task *t = v[i];
		bool gone = drain(k, t);
		if (gone) {
			ecsfs__stop_now(k, &t, 1, reason); /* never registered: nothing to drain */
			continue;
		}
		json_object_set_new(retiring, t->id,
				    json_pack("{s:s, s:b}", "reason", reason, "draining", 1));
		t->retiring = true;
		t->healthy = false;
		k->nretiring++;
		draining++;
	}
	if (json_object_size(retiring) == 0)
		json_object_del(k->state, "retiring");
	if (draining)
		ecsfs__service_event(k->s, k->cluster, k->name,
				     "has begun draining connections on %zu tasks.", draining);
	k->acted = k->acted || n > 0;
}

void ecsfs__lb_forget_stopped(ecsfs__look *k)
{
	size_t dereg[LB_MAX] = {0};
	ecsfs_err err = ECSFS_ERR_INIT;

	if (!balanced(k))
		return;
	for (size_t i = 0; i < k->l.n; i++) {
		ecsfs__svc_task *t = &k->l.v[i];
		if (t->live)
			continue;
		for (size_t j = 0; j < lb_count(k); j++) {
			ecsfs_target_state st = target_of(k, j, t);
			if (st == ECSFS_TARGET_NONE || st == ECSFS_TARGET_DRAINING)
				continue;
			if (ecsfs_lb_deregister(k->sv->lb, task_ref(k, j, t), t->id, &err) == 0)
				dereg[j]++;
		}
	}
	ecsfs_err_release(&err);
	say_targets(k, "deregistered", dereg);
}

/* ---- targets that fail their health checks ---- */

void ecsfs__lb_report_unhealthy(ecsfs__look *k)
{
	json_t *said = json_object_get(k->state, "elbFailed"), *fresh = json_object();

	for (size_t i = 0; i < k->l.n; i++) {
		ecsfs__svc_task *t = &k->l.v[i];
		ecsfs_buf arn = ECSFS_BUF_INIT;
		if (!t->live || t->retiring || !t->elb_unhealthy)
			continue;
		json_object_set_new(fresh, t->id, json_true());
		if (json_object_get(said, t->id))
			continue;
		group_arn(t->elb_unhealthy, &arn);
		ecsfs__service_event(k->s, k->cluster, k->name,
				     "(task %s) failed ELB health checks in (target-group %s).",
				     t->id, arn.data);
		ecsfs_buf_release(&arn);
	}
	if (json_object_size(fresh))
		json_object_set_new(k->state, "elbFailed", fresh);
	else {
		json_object_del(k->state, "elbFailed");
		json_decref(fresh);
	}
}

void ecsfs__lb_retire_unhealthy(ecsfs__look *k)
{
	long long healthy = 0;

	if (!k->nsick)
		return;
	for (size_t i = 0; i < k->nprim; i++)
		healthy += k->prim[i]->healthy;
	/* a replacement is on its way and not healthy yet: keep serving */
	if (!k->draining && k->desired > 0 && healthy < k->desired &&
	    (long long)k->nprim + k->started >= k->desired)
		return;
	for (size_t i = 0; i < k->nsick; i++) {
		ecsfs_buf arn = ECSFS_BUF_INIT, reason = ECSFS_BUF_INIT;
		group_arn(k->sick[i]->elb_unhealthy, &arn);
		ecsfs_buf_addf(&reason, "%s in (target-group %s)", ECSFS__ELB_REASON, arn.data);
		ecsfs__retire(k, &k->sick[i], 1, reason.data);
		ecsfs_buf_release(&arn);
		ecsfs_buf_release(&reason);
	}
}

/* ---- register ---- */

/* Register task t in group i if its container port has an address; true
 * when it was not registered before. */
static bool register_one(ecsfs__look *k, ecsfs__svc_task *t, size_t i)
{
	json_t *lb = json_array_get(lbs_of(k), i);
	const char *ctr = json_string_value(json_object_get(lb, "containerName"));
	int cport = (int)json_integer_value(json_object_get(lb, "containerPort")), port;
	ecsfs_target_state st = target_of(k, i, t);
	ecsfs_err err = ECSFS_ERR_INIT;
	char addr[64];
	int r = -1;

	/* a draining target is on its way out; registering it would undo that */
	if (st != ECSFS_TARGET_DRAINING &&
	    ecsfs_tasks_target(k->sv->tasks, k->cluster, t->id, ctr, cport, addr, &port) == 0)
		r = ecsfs_lb_register(k->sv->lb, task_ref(k, i, t), k->cluster, k->name, t->id,
				      addr, port, &err);
	ecsfs_err_release(&err);
	return r == 0 && st == ECSFS_TARGET_NONE;
}

void ecsfs__lb_register(ecsfs__look *k)
{
	size_t reg[LB_MAX] = {0};

	if (!balanced(k) || k->group_missing)
		return;
	for (size_t i = 0; i < k->l.n; i++) {
		ecsfs__svc_task *t = &k->l.v[i];
		if (!t->live || !t->running || t->retiring)
			continue;
		for (size_t j = 0; j < lb_count(k); j++)
			reg[j] += register_one(k, t, j);
	}
	say_targets(k, "registered", reg);
}

/* ---- the controller ---- */

static void lb_changed(void *data)
{
	ecsfs_services_kick(data);
}

void ecsfs_services_set_lb(ecsfs_services *sv, ecsfs_lb *lb)
{
	if (sv->lb)
		ecsfs_lb_set_change_cb(sv->lb, NULL, NULL);
	sv->lb = lb;
	if (lb)
		ecsfs_lb_set_change_cb(lb, lb_changed, sv);
	ecsfs_services_kick(sv);
}
