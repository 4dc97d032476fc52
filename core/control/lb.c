/*
 * The load-balancer controller: targets of target groups, registered by the
 * services, and their states.
 *
 * This first form keeps targets in memory and has no data plane: a target
 * is healthy as soon as the controller has looked at it, and a draining one
 * leaves at once (it has no connections). HAProxy comes behind it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/lb.h"
#include "ecsfs/targetgroup.h"

typedef struct target {
	struct target *next;
	char group[ECSFS_ELB_NAME_MAX + 1];
	char *cluster, *service;
	char task[64];
	char addr[64];
	int port;
	ecsfs_target_state state;
	int64_t since_ns;
} target;

struct ecsfs_lb {
	uv_loop_t *loop;
	ecsfs_store *store;
	char *state_dir;
	uv_timer_t timer;
	target *targets;
	void (*change_cb)(void *data);
	void *change_data;
};

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

static void target_free(target *t)
{
	if (!t)
		return;
	free(t->cluster);
	free(t->service);
	free(t);
}

static target **find(ecsfs_lb *lb, const char *group, const char *task)
{
	target **pp;
	for (pp = &lb->targets; *pp; pp = &(*pp)->next)
		if (strcmp((*pp)->group, group) == 0 && strcmp((*pp)->task, task) == 0)
			break;
	return pp;
}

static void changed(ecsfs_lb *lb)
{
	if (lb->change_cb)
		lb->change_cb(lb->change_data);
}

/* One look at every target: the states move on. */
static void on_timer(uv_timer_t *h)
{
	ecsfs_lb *lb = h->data;
	bool any = false;

	for (target **pp = &lb->targets; *pp;) {
		target *t = *pp;
		if (t->state == ECSFS_TARGET_DRAINING) {
			*pp = t->next;
			target_free(t);
			any = true;
			continue;
		}
		if (t->state == ECSFS_TARGET_INITIAL) {
			t->state = ECSFS_TARGET_HEALTHY;
			any = true;
		}
		pp = &t->next;
	}
	if (any)
		changed(lb);
}

static void look_soon(ecsfs_lb *lb)
{
	uv_timer_start(&lb->timer, on_timer, 0, 1000);
}

int ecsfs_lb_new(uv_loop_t *loop, ecsfs_store *store, const char *state_dir, ecsfs_lb **out)
{
	ecsfs_lb *lb = calloc(1, sizeof(*lb));
	if (!lb)
		return -ENOMEM;
	if (state_dir && !(lb->state_dir = strdup(state_dir))) {
		free(lb);
		return -ENOMEM;
	}
	lb->loop = loop;
	lb->store = store;
	uv_timer_init(loop, &lb->timer);
	lb->timer.data = lb;
	*out = lb;
	return 0;
}

static void timer_closed(uv_handle_t *h)
{
	ecsfs_lb *lb = h->data;
	while (lb->targets) {
		target *t = lb->targets;
		lb->targets = t->next;
		target_free(t);
	}
	free(lb->state_dir);
	free(lb);
}

void ecsfs_lb_free(ecsfs_lb *lb)
{
	if (!lb)
		return;
	uv_timer_stop(&lb->timer);
	uv_close((uv_handle_t *)&lb->timer, timer_closed);
}

void ecsfs_lb_kick(ecsfs_lb *lb)
{
	if (lb)
		look_soon(lb);
}

void ecsfs_lb_set_change_cb(ecsfs_lb *lb, void (*cb)(void *data), void *data)
{
	lb->change_cb = cb;
	lb->change_data = data;
}

/* The group's name, when `ref` names one that exists. */
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

int ecsfs_lb_register(ecsfs_lb *lb, const char *ref, const char *cluster, const char *service,
		      const char *task, const char *addr, int port, ecsfs_err *err)
{
	char name[ECSFS_ELB_NAME_MAX + 1];
	target *t, **pp;
	int r;

	if ((r = group_of(lb, ref, name, err)) < 0)
		return r;
	if (!addr || !*addr || strlen(addr) >= sizeof(t->addr) || port < 1 || port > 65535 ||
	    strlen(task) >= sizeof(t->task))
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "target %s:%d of task %s is not an address and port",
				     addr ? addr : "", port, task);
	pp = find(lb, name, task);
	if ((t = *pp)) {
		if (strcmp(t->addr, addr) == 0 && t->port == port &&
		    t->state != ECSFS_TARGET_DRAINING)
			return 0;
		*pp = t->next;
		target_free(t);
	}
	if (!(t = calloc(1, sizeof(*t))) || !(t->cluster = strdup(cluster ? cluster : "")) ||
	    !(t->service = strdup(service ? service : ""))) {
		target_free(t);
		return ecsfs_err_set(err, ECSFS_E_SERVER, -ENOMEM, "out of memory");
	}
	snprintf(t->group, sizeof(t->group), "%s", name);
	snprintf(t->task, sizeof(t->task), "%s", task);
	snprintf(t->addr, sizeof(t->addr), "%s", addr);
	t->port = port;
	t->state = ECSFS_TARGET_INITIAL;
	t->next = lb->targets;
	lb->targets = t;
	look_soon(lb);
	return 0;
}

int ecsfs_lb_deregister(ecsfs_lb *lb, const char *ref, const char *task, ecsfs_err *err)
{
	char name[ECSFS_ELB_NAME_MAX + 1];
	int r = ecsfs_targetgroup_ref_name(ref, name, err);
	if (r < 0)
		return r;
	target *t = *find(lb, name, task);
	if (t && t->state != ECSFS_TARGET_DRAINING) {
		t->state = ECSFS_TARGET_DRAINING;
		look_soon(lb);
	}
	return 0;
}

ecsfs_target_state ecsfs_lb_target_state(ecsfs_lb *lb, const char *ref, const char *task)
{
	char name[ECSFS_ELB_NAME_MAX + 1];
	if (!lb || ecsfs_targetgroup_ref_name(ref, name, NULL) < 0)
		return ECSFS_TARGET_NONE;
	target *t = *find(lb, name, task);
	return t ? t->state : ECSFS_TARGET_NONE;
}
