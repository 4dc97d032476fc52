/*
 * The load-balancer controller: targets of target groups, registered by the
 * services, driven into HAProxy, and their states read back from it.
 *
 * Level-triggered like the reconciler: every change (a spec document, a
 * registration, a drain) marks the config dirty, and a look hands the whole
 * desired config to the driver, which does the least that gets there
 * (runtime API for servers, a hitless reload for the rest). Every second
 * the servers are read back: health becomes the targets' states, and a
 * draining target whose connections ended (or whose delay ran out) leaves.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/lb_private.h"
#include "ecsfs/loadbalancer.h"
#include "ecsfs/util.h"
#include "model/elb_private.h"

static const char *const state_names[] = {
    [ECSFS_TARGET_NONE] = "none",	  [ECSFS_TARGET_INITIAL] = "initial",
    [ECSFS_TARGET_HEALTHY] = "healthy",	  [ECSFS_TARGET_UNHEALTHY] = "unhealthy",
    [ECSFS_TARGET_DRAINING] = "draining", [ECSFS_TARGET_UNUSED] = "unused",
};

const char *ecsfs_target_state_name(ecsfs_target_state st)
{
	return (unsigned)st < sizeof(state_names) / sizeof(state_names[0]) ? state_names[st]
									   : "none";
}

static void target_free(ecsfs__target *t)
{
	if (!t)
		return;
	free(t->cluster);
	free(t->service);
	free(t);
}

ecsfs__target *ecsfs__lb_find(ecsfs_lb *lb, const char *group, const char *task)
{
	for (ecsfs__target *t = lb->targets; t; t = t->next)
		if (strcmp(t->group, group) == 0 && strcmp(t->task, task) == 0)
			return t;
	return NULL;
}

void ecsfs__lb_changed(ecsfs_lb *lb)
{
	if (lb->change_cb)
		lb->change_cb(lb->change_data);
}

static void look_soon(ecsfs_lb *lb);

/* ---- faults: told once each, kept for status ---- */

static void fault_set(ecsfs_lb *lb, int code, const char *msg)
{
	lb->fault.code = code;
	snprintf(lb->fault.msg, sizeof(lb->fault.msg), "%s", code ? msg : "");
	if (code == lb->reported.code && strcmp(lb->fault.msg, lb->reported.msg) == 0)
		return;
	lb->reported = lb->fault;
	if (code && code != -EADDRINUSE && lb->error_cb)
		lb->error_cb(lb->error_data, NULL, code, lb->fault.msg);
}

/* ---- states from HAProxy's view of a server ---- */

static void set_state(ecsfs__target *t, ecsfs_target_state st, const char *reason, const char *desc,
		      bool *changed)
{
	if (t->state != st || t->reason != reason)
		*changed = true;
	t->state = st;
	t->reason = reason;
	snprintf(t->desc, sizeof(t->desc), "%s", desc ? desc : "");
}

static void unhealthy(ecsfs__target *t, const ecsfs_hap_server_status *s, bool *changed)
{
	char desc[160];
	if (strcmp(s->check_status, "L7STS") == 0) {
		snprintf(desc, sizeof(desc), "Health checks failed with these codes: [%d]",
			 s->check_code);
		set_state(t, ECSFS_TARGET_UNHEALTHY, "Target.ResponseCodeMismatch", desc, changed);
	} else if (strstr(s->check_status, "TOUT")) {
		set_state(t, ECSFS_TARGET_UNHEALTHY, "Target.Timeout", "Request timed out",
			  changed);
	} else {
		snprintf(desc, sizeof(desc), "Health checks failed%s%s",
			 s->check_desc[0] ? ": " : "", s->check_desc);
		set_state(t, ECSFS_TARGET_UNHEALTHY, "Target.FailedHealthChecks", desc, changed);
	}
}

static void observe(ecsfs_lb *lb, ecsfs__target *t, const ecsfs_hap_server_status *s, bool *changed)
{
	t->seen = true;
	t->scur = s->scur;
	t->requests = s->requests ? s->requests : s->stot;
	if (t->state == ECSFS_TARGET_DRAINING) {
		t->drain_seen = t->drain_seen || s->admin != ECSFS_HAP_READY;
		return;
	}
	if (!json_is_true(json_object_get(lb->used, t->group))) {
		set_state(t, ECSFS_TARGET_UNUSED, "Target.NotInUse",
			  "Target group is not configured to receive traffic from the load "
			  "balancer",
			  changed);
		return;
	}
	switch (s->health) {
	case ECSFS_HAP_HEALTH_NONE:
	case ECSFS_HAP_HEALTH_HEALTHY:
		set_state(t, ECSFS_TARGET_HEALTHY, NULL, NULL, changed);
		break;
	case ECSFS_HAP_HEALTH_INITIAL:
		set_state(t, ECSFS_TARGET_INITIAL, "Elb.InitialHealthChecking",
			  "Initial health checks in progress", changed);
		break;
	case ECSFS_HAP_HEALTH_UNHEALTHY: unhealthy(t, s, changed); break;
	}
}

/* A draining target leaves once HAProxy shows no connection to it (or at
 * its deadline). */
static bool drained(const ecsfs__target *t, int64_t now)
{
	return t->state == ECSFS_TARGET_DRAINING &&
	       (now >= t->drain_until_ns || (t->drain_seen && t->scur == 0));
}

static void sweep_drained(ecsfs_lb *lb, bool *changed)
{
	int64_t now = ecsfs_mono_ns();
	for (ecsfs__target **pp = &lb->targets; *pp;) {
		ecsfs__target *t = *pp;
		if (drained(t, now) || (!lb->hap && t->state == ECSFS_TARGET_DRAINING) ||
		    !json_object_get(lb->groups, t->group)) {
			*pp = t->next;
			target_free(t);
			*changed = lb->dirty = true;
			continue;
		}
		pp = &t->next;
	}
}

/* ---- reading servers back (and adopting them after a restart) ---- */

static ecsfs__target *adopt_one(ecsfs_lb *lb, const ecsfs_hap_server_status *s)
{
	char group[ECSFS_ELB_NAME_MAX + 1];
	size_t n = strnlen(s->backend, sizeof(s->backend));
	ecsfs__target *t;

	if (n < 4 || n - 3 > ECSFS_ELB_NAME_MAX || strncmp(s->backend, "tg-", 3) != 0 ||
	    strnlen(s->name, sizeof(s->name)) >= sizeof(t->task))
		return NULL;
	memcpy(group, s->backend + 3, n - 3);
	group[n - 3] = '\0';
	if ((t = ecsfs__lb_find(lb, group, s->name)))
		return t;
	if (ecsfs_targetgroup_exists(lb->store, group, NULL) < 0 || !(t = calloc(1, sizeof(*t))))
		return NULL;
	snprintf(t->group, sizeof(t->group), "%s", group);
	snprintf(t->task, sizeof(t->task), "%s", s->name);
	snprintf(t->addr, sizeof(t->addr), "%s", s->addr);
	t->port = s->port;
	t->cluster = strdup("");
	t->service = strdup("");
	t->registered_ns = ecsfs_now_ns();
	t->state = ECSFS_TARGET_INITIAL;
	t->reason = "Elb.RegistrationInProgress";
	if (s->admin != ECSFS_HAP_READY) {
		/* it was draining when the daemon stopped: the delay starts again */
		json_t *eff;
		int delay = 300;
		if (ecsfs__tg_load(lb->store, group, &eff, NULL) == 0) {
			delay = atoi(ecsfs__tg_attr(eff, "deregistration_delay.timeout_seconds"));
			json_decref(eff);
		}
		t->state = ECSFS_TARGET_DRAINING;
		t->reason = "Target.DeregistrationInProgress";
		t->drain_until_ns = ecsfs_mono_ns() + (int64_t)delay * 1000000000;
	}
	t->next = lb->targets;
	lb->targets = t;
	return t;
}

static void servers_cb(void *data, int err, const char *msg, const ecsfs_hap_server_status *v,
		       size_t n)
{
	ecsfs_lb *lb = data;
	bool changed = false;

	lb->reading = false;
	if (err == -ECANCELED || lb->closing)
		return;
	for (size_t i = 0; err == 0 && i < n; i++) {
		ecsfs__target *t = lb->adopting ? adopt_one(lb, &v[i]) : NULL;
		char group[ECSFS_ELB_NAME_MAX + 1];
		if (!t && strncmp(v[i].backend, "tg-", 3) == 0) {
			snprintf(group, sizeof(group), "%s", v[i].backend + 3);
			t = ecsfs__lb_find(lb, group, v[i].name);
		}
		if (t && strcmp(t->addr, v[i].addr) == 0 && t->port == v[i].port)
			observe(lb, t, &v[i], &changed);
	}
	if (lb->adopting && (err == 0 || err == -ESRCH || err == -ENOENT)) {
		lb->adopting = false;
		lb->adopted = true;
		lb->dirty = changed = true;
	}
	sweep_drained(lb, &changed);
	if (lb->dirty)
		look_soon(lb);
	if (changed)
		ecsfs__lb_changed(lb);
}

static void read_servers(ecsfs_lb *lb)
{
	if (!lb->hap || lb->reading)
		return;
	lb->reading = true;
	if (ecsfs_haproxy_servers(lb->hap, NULL, servers_cb, lb) < 0) {
		lb->reading = false;
		if (lb->adopting) {
			lb->adopting = false;
			lb->adopted = lb->dirty = true;
		}
	}
}

/* ---- handing the config over ---- */

static void applied_cb(void *data, int err, const char *msg)
{
	ecsfs_lb *lb = data;
	lb->applying--;
	if (err == -ECANCELED || lb->closing)
		return;
	fault_set(lb, err, msg);
	ecsfs__lb_listener_faults(lb);
	ecsfs__lb_changed(lb);
}

static int start_driver(ecsfs_lb *lb)
{
	ecsfs_haproxy_opts o = {.state_dir = lb->state_dir};
	ecsfs_err e = ECSFS_ERR_INIT;
	int r = ecsfs_haproxy_new(lb->loop, &o, &lb->hap, &e);
	if (r < 0) {
		lb->hap = NULL;
		fault_set(lb, r, e.msg.len ? e.msg.data : strerror(-r));
	} else {
		lb->adopting = true;
		lb->adopted = false;
		read_servers(lb);
	}
	ecsfs_err_release(&e);
	return r;
}

static void apply(ecsfs_lb *lb)
{
	ecsfs_err e = ECSFS_ERR_INIT;
	ecsfs_hap_config *c = ecsfs__lb_build(lb, &e);

	if (!c) {
		fault_set(lb, e.code ? e.code : -EIO, e.msg.data);
		goto out;
	}
	if (!lb->state_dir || (lb->nlb == 0 && !lb->hap && !lb->stale)) {
		lb->dirty = false;
		ecsfs_hap_config_free(c); /* nothing to serve: no HAProxy needed */
		goto out;
	}
	if (lb->nlb == 0) {
		/* the last load balancer went: an empty config stops HAProxy */
		ecsfs_hap_config_free(c);
		c = ecsfs_hap_config_new();
	}
	if (!lb->hap && start_driver(lb) < 0) {
		ecsfs_hap_config_free(c);
		goto out;
	}
	if (!lb->adopted) {
		ecsfs_hap_config_free(c);
		lb->dirty = true; /* after the servers were read back */
		goto out;
	}
	lb->dirty = false;
	if (ecsfs_haproxy_apply(lb->hap, c, applied_cb, lb, &e) == 0)
		lb->applying++;
	else
		fault_set(lb, e.code ? e.code : -EIO, e.msg.data);
out:
	ecsfs_err_release(&e);
}

/* States of targets no HAProxy speaks for. */
static void states_without_data_plane(ecsfs_lb *lb, bool *changed)
{
	for (ecsfs__target *t = lb->targets; t; t = t->next) {
		if (t->state == ECSFS_TARGET_DRAINING)
			continue;
		if (!lb->state_dir)
			set_state(t, ECSFS_TARGET_HEALTHY, NULL, NULL, changed);
		else if (!json_is_true(json_object_get(lb->used, t->group)) || !lb->nlb)
			set_state(t, ECSFS_TARGET_UNUSED, "Target.NotInUse",
				  "Target group is not configured to receive traffic from the "
				  "load balancer",
				  changed);
		else if (!t->seen)
			set_state(t, ECSFS_TARGET_INITIAL, "Elb.RegistrationInProgress",
				  "Target registration is in progress", changed);
	}
}

static void on_timer(uv_timer_t *h)
{
	ecsfs_lb *lb = h->data;
	bool changed = false;

	if (lb->dirty)
		apply(lb);
	states_without_data_plane(lb, &changed);
	if (lb->hap && lb->adopted)
		read_servers(lb);
	else
		sweep_drained(lb, &changed);
	if (changed)
		ecsfs__lb_changed(lb);
}

static void look_soon(ecsfs_lb *lb)
{
	if (!lb->closing)
		uv_timer_start(&lb->timer, on_timer, 0, ECSFS__LB_TICK_MS);
}

/* ---- lifecycle ---- */

static int count_cb(void *data, const char *name)
{
	(*(unsigned *)data)++;
	return 0;
}

int ecsfs_lb_new(uv_loop_t *loop, ecsfs_store *store, const char *state_dir, ecsfs_lb **out)
{
	ecsfs_lb *lb = calloc(1, sizeof(*lb));
	unsigned n = 0;

	if (!lb)
		return -ENOMEM;
	if (state_dir && !(lb->state_dir = strdup(state_dir))) {
		free(lb);
		return -ENOMEM;
	}
	lb->loop = loop;
	lb->store = store;
	lb->used = json_object();
	lb->frontends = json_object();
	lb->groups = json_object();
	lb->fe_faults = json_object();
	/* without a state directory there is no data plane (unit tests) */
	lb->adopted = true;
	uv_timer_init(loop, &lb->timer);
	lb->timer.data = lb;
	/* load balancers in effect: HAProxy is adopted (or started) at once */
	ecsfs_loadbalancer_list(store, count_cb, &n);
	if (state_dir && n)
		lb->adopted = false;
	/* an HAProxy left running with no load balancer (the daemon died
	 * before it could stop it) is adopted, then stopped */
	if (state_dir && !n) {
		ecsfs_buf pid = ECSFS_BUF_INIT;
		ecsfs_buf_addf(&pid, "%s/haproxy/haproxy.pid", state_dir);
		lb->stale = access(pid.data, F_OK) == 0;
		ecsfs_buf_release(&pid);
	}
	lb->dirty = true;
	uv_timer_start(&lb->timer, on_timer, 0, ECSFS__LB_TICK_MS);
	*out = lb;
	return 0;
}

static void free_all(ecsfs_lb *lb)
{
	while (lb->targets) {
		ecsfs__target *t = lb->targets;
		lb->targets = t->next;
		target_free(t);
	}
	json_decref(lb->used);
	json_decref(lb->frontends);
	json_decref(lb->groups);
	json_decref(lb->fe_faults);
	free(lb->state_dir);
	free(lb);
}

static void driver_closed(void *data)
{
	free_all(data);
}

static void timer_closed(uv_handle_t *h)
{
	ecsfs_lb *lb = h->data;
	if (lb->hap)
		ecsfs_haproxy_close(lb->hap, driver_closed, lb);
	else
		free_all(lb);
}

void ecsfs_lb_free(ecsfs_lb *lb)
{
	if (!lb)
		return;
	lb->closing = true;
	uv_timer_stop(&lb->timer);
	uv_close((uv_handle_t *)&lb->timer, timer_closed);
}

void ecsfs_lb_kick(ecsfs_lb *lb)
{
	if (!lb)
		return;
	lb->dirty = true;
	look_soon(lb);
}

bool ecsfs_lb_settled(ecsfs_lb *lb)
{
	return !lb || (!lb->dirty && lb->applying == 0);
}

void ecsfs_lb_set_change_cb(ecsfs_lb *lb, void (*cb)(void *data), void *data)
{
	lb->change_cb = cb;
	lb->change_data = data;
}

void ecsfs_lb_set_error_cb(ecsfs_lb *lb, ecsfs_lb_error_cb cb, void *data)
{
	lb->error_cb = cb;
	lb->error_data = data;
}

/* ---- targets (interface of the services) ---- */

/* The group's name, when `ref` names one in effect. */
static int group_of(ecsfs_lb *lb, const char *ref, char name[ECSFS_ELB_NAME_MAX + 1],
		    ecsfs_err *err)
{
	int r = ecsfs_targetgroup_ref_name(ref, name, err);
	if (r == 0)
		r = ecsfs_targetgroup_exists(lb->store, name, err);
	return r;
}

int ecsfs_lb_group_exists(ecsfs_lb *lb, const char *ref, ecsfs_err *err)
{
	char name[ECSFS_ELB_NAME_MAX + 1];
	return group_of(lb, ref, name, err);
}

static bool server_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64 || strncmp(s, "_fo_", 4) == 0)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("_.:-", *s)))
			return false;
	return true;
}

static int target_new(const char *group, const char *cluster, const char *service, const char *task,
		      const char *addr, int port, ecsfs__target **out)
{
	ecsfs__target *t = calloc(1, sizeof(*t));
	if (!t || !(t->cluster = strdup(cluster ? cluster : "")) ||
	    !(t->service = strdup(service ? service : ""))) {
		target_free(t);
		return -ENOMEM;
	}
	snprintf(t->group, sizeof(t->group), "%s", group);
	snprintf(t->task, sizeof(t->task), "%s", task);
	snprintf(t->addr, sizeof(t->addr), "%s", addr);
	t->port = port;
	t->state = ECSFS_TARGET_INITIAL;
	t->reason = "Elb.RegistrationInProgress";
	snprintf(t->desc, sizeof(t->desc), "Target registration is in progress");
	t->registered_ns = ecsfs_now_ns();
	*out = t;
	return 0;
}

/* The same target again (a service's look after a restart): only the
 * cluster and service it is shown for may be new. */
static int refresh(ecsfs__target *t, const char *cluster, const char *service)
{
	char *c = strdup(cluster ? cluster : ""), *s = strdup(service ? service : "");
	if (!c || !s) {
		free(c);
		free(s);
		return -ENOMEM;
	}
	free(t->cluster);
	free(t->service);
	t->cluster = c;
	t->service = s;
	return 0;
}

int ecsfs_lb_register(ecsfs_lb *lb, const char *ref, const char *cluster, const char *service,
		      const char *task, const char *addr, int port, ecsfs_err *err)
{
	char name[ECSFS_ELB_NAME_MAX + 1];
	ecsfs__target *t;
	int r;

	if ((r = group_of(lb, ref, name, err)) < 0)
		return r;
	if (!addr || !*addr || strlen(addr) >= sizeof(t->addr) || port < 1 || port > 65535 ||
	    !server_name_ok(task))
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "target %s:%d of task %s is not an address, port and task id",
				     addr ? addr : "", port, task);
	t = ecsfs__lb_find(lb, name, task);
	if (t && strcmp(t->addr, addr) == 0 && t->port == port &&
	    t->state != ECSFS_TARGET_DRAINING) {
		if (refresh(t, cluster, service) < 0)
			return ecsfs_err_set(err, ECSFS_E_SERVER, -ENOMEM, "out of memory");
		return 0;
	}
	if (t) {
		/* a new address, or registered again while draining: a new target */
		for (ecsfs__target **pp = &lb->targets; *pp; pp = &(*pp)->next)
			if (*pp == t) {
				*pp = t->next;
				break;
			}
		target_free(t);
	}
	if (target_new(name, cluster, service, task, addr, port, &t) < 0)
		return ecsfs_err_set(err, ECSFS_E_SERVER, -ENOMEM, "out of memory");
	t->next = lb->targets;
	lb->targets = t;
	ecsfs_lb_kick(lb);
	return 0;
}

int ecsfs_lb_deregister(ecsfs_lb *lb, const char *ref, const char *task, ecsfs_err *err)
{
	char name[ECSFS_ELB_NAME_MAX + 1];
	ecsfs__target *t;
	json_t *eff;
	int delay = 300, r;

	if ((r = group_of(lb, ref, name, err)) < 0)
		return r;
	t = ecsfs__lb_find(lb, name, task);
	if (!t || t->state == ECSFS_TARGET_DRAINING)
		return 0;
	if (ecsfs__tg_load(lb->store, name, &eff, NULL) == 0) {
		delay = atoi(ecsfs__tg_attr(eff, "deregistration_delay.timeout_seconds"));
		json_decref(eff);
	}
	t->state = ECSFS_TARGET_DRAINING;
	t->reason = "Target.DeregistrationInProgress";
	snprintf(t->desc, sizeof(t->desc), "Target deregistration is in progress");
	t->drain_until_ns = ecsfs_mono_ns() + (int64_t)delay * 1000000000;
	t->drain_seen = false;
	ecsfs_lb_kick(lb);
	return 0;
}

ecsfs_target_state ecsfs_lb_target_state(ecsfs_lb *lb, const char *ref, const char *task)
{
	char name[ECSFS_ELB_NAME_MAX + 1];
	if (!lb || ecsfs_targetgroup_ref_name(ref, name, NULL) < 0)
		return ECSFS_TARGET_NONE;
	ecsfs__target *t = ecsfs__lb_find(lb, name, task);
	return t ? t->state : ECSFS_TARGET_NONE;
}
