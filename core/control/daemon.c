/*
 * ecsfs — the instances under a service, as one phase of the scheduler's
 * look (ecsfs__fleet_split, after the live tasks are split by deployment):
 *
 *   DAEMON    one task on every ACTIVE instance that meets the service's
 *             memberOf constraints (and its task definition's): desired is
 *             that count, new instances get a task (start_missing places
 *             with distinctInstance), a task on an instance that no longer
 *             takes one stops; nothing else moves. On a DRAINING instance
 *             the daemon's task stops last, once no other service's task
 *             is left there (ECS stops daemon tasks after the others).
 *   REPLICA   tasks on a DRAINING instance: those not RUNNING yet stop at
 *             once; RUNNING ones go to old[] as `drained`, so start_missing
 *             starts their replacements within maximumPercent and
 *             retire_old stops them within minimumHealthyPercent.
 *
 * The instances come from the fleet (ecsfs_tasks_fleet(): the container
 * instances' placement candidates). Gathering them reads every task of
 * the cluster, so a REPLICA service's look asks only while its cluster
 * may have a DRAINING instance: clusters seen with none are remembered
 * until their instances change.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/scheduler_private.h"
#include "ecsfs/taskdef.h"

static char calm_mark; /* the value of a cluster in sv->calm */

typedef struct fleet {
	const ecsfs_place_instance *v;
	size_t n;
	void *keep;
	long *at; /* at[i]: the instance of k->l.v[i], -1: none known */
	char group[300];
} fleet;

static bool is_draining(const ecsfs_place_instance *in)
{
	return in->status == ECSFS_PLACE_DRAINING;
}

/* Where each of the service's tasks is: its id among the instances' tasks. */
static void locate(const ecsfs__look *k, fleet *f)
{
	ecsfs_strmap ids = ECSFS_STRMAP_INIT;

	f->at = calloc(k->l.n ? k->l.n : 1, sizeof(*f->at));
	if (!f->at)
		abort();
	for (size_t i = 0; i < k->l.n; i++) {
		f->at[i] = -1;
		ecsfs_strmap_put(&ids, k->l.v[i].id, &k->l.v[i]);
	}
	for (size_t i = 0; i < f->n; i++)
		for (size_t j = 0; j < f->v[i].ntasks; j++) {
			const ecsfs_place_task *pt = &f->v[i].tasks[j];
			ecsfs__svc_task *t;
			if (!pt->group || strcmp(pt->group, f->group) != 0)
				continue;
			if ((t = ecsfs_strmap_get(&ids, pt->id)))
				f->at[t - k->l.v] = (long)i;
		}
	ecsfs_strmap_release(&ids);
}

static long where(const ecsfs__look *k, const fleet *f, const ecsfs__svc_task *t)
{
	return f->at[t - k->l.v];
}

/* Take t out of v[0..*n). */
static void drop(ecsfs__svc_task **v, size_t *n, const ecsfs__svc_task *t)
{
	for (size_t i = 0; i < *n; i++)
		if (v[i] == t) {
			memmove(v + i, v + i + 1, (*n - i - 1) * sizeof(*v));
			(*n)--;
			return;
		}
}

/* Stop `t` now with `reason` and forget it in the look's lists. */
static void leave(ecsfs__look *k, ecsfs__svc_task *t, const char *reason)
{
	drop(k->prim, &k->nprim, t);
	drop(k->old, &k->nold, t);
	drop(k->sick, &k->nsick, t);
	ecsfs__retire(k, &t, 1, reason);
}

/* ---- DAEMON ---- */

/* The memberOf constraints a daemon's instance must meet: the service's
 * and its primary task definition's (distinctInstance is the daemon's
 * own rule). Parsed; *n how many. */
static void daemon_rules(const ecsfs__look *k, ecsfs_cq **q, size_t max, size_t *n)
{
	json_t *lists[2] = {json_object_get(ecsfs__service_spec(k->state), "placementConstraints"),
			    NULL};
	json_t *td = NULL, *c;
	size_t i;

	*n = 0;
	if (k->p && ecsfs_taskdef_describe(k->s, ecsfs__dstr(k->p, "family"),
					   json_integer_value(json_object_get(k->p, "revision")),
					   &td, NULL) == 0)
		lists[1] = json_object_get(td, "placementConstraints");
	for (int l = 0; l < 2; l++)
		json_array_foreach(lists[l], i, c) {
			const char *expr = json_string_value(json_object_get(c, "expression"));
			const char *type = json_string_value(json_object_get(c, "type"));
			if (!expr || !type || strcmp(type, "memberOf") != 0 || *n == max ||
			    ecsfs_cq_parse(expr, &q[*n], NULL) < 0)
				continue; /* the checks refused these when they were written */
			(*n)++;
		}
	json_decref(td);
}

/* Does instance i take a task of the daemon? ACTIVE and every rule met. */
static bool takes(const fleet *f, size_t i, ecsfs_cq *const *q, size_t nq)
{
	if (f->v[i].status != ECSFS_PLACE_ACTIVE)
		return false;
	for (size_t r = 0; r < nq; r++)
		if (!ecsfs_cq_match(q[r], &f->v[i]))
			return false;
	return true;
}

/* Has instance i a task of the group (not STOPPED)? */
static bool holds(const fleet *f, size_t i)
{
	for (size_t j = 0; j < f->v[i].ntasks; j++) {
		const char *g = f->v[i].tasks[j].group;
		if (g && strcmp(g, f->group) == 0)
			return true;
	}
	return false;
}

/* Has instance i a task of a service that is no DAEMON (those leave a
 * draining instance before the daemons do)? */
static bool replicas_left(const ecsfs__look *k, const fleet *f, size_t i)
{
	for (size_t j = 0; j < f->v[i].ntasks; j++) {
		const char *g = f->v[i].tasks[j].group;
		json_t *state;
		bool replica;
		if (!g || strncmp(g, "service:", 8) != 0 || strcmp(g, f->group) == 0 ||
		    !(state = ecsfs__service_load(k->s, k->cluster, g + 8)))
			continue;
		replica = !ecsfs__service_is_daemon(state);
		json_decref(state);
		if (replica)
			return true;
	}
	return false;
}

/* A task of the daemon on an instance that does not take one stops; on a
 * DRAINING one it waits for the other services' tasks to leave first. */
static void daemon_leave(ecsfs__look *k, const fleet *f, const bool *ok)
{
	ecsfs__svc_task **all[] = {k->prim, k->old, k->sick};
	size_t ns[] = {k->nprim, k->nold, k->nsick}, n = 0;
	ecsfs__svc_task **go = calloc(k->l.n + 1, sizeof(*go));

	if (!go)
		abort();
	for (int a = 0; a < 3; a++)
		for (size_t j = 0; j < ns[a]; j++) {
			long i = where(k, f, all[a][j]);
			if (i < 0 || ok[i]) /* i < 0: not on an engine yet */
				continue;
			if (is_draining(&f->v[i]) && replicas_left(k, f, (size_t)i))
				continue;
			go[n++] = all[a][j];
		}
	for (size_t j = 0; j < n; j++) {
		long i = where(k, f, go[j]);
		leave(k, go[j], is_draining(&f->v[i]) ? ECSFS__DRAIN_REASON : ECSFS__UNFIT_REASON);
	}
	free(go);
}

static void daemon_split(ecsfs__look *k, const fleet *f)
{
	ecsfs_cq *q[2 * ECSFS_PLACE_CONSTRAINTS_MAX];
	bool *ok = calloc(f->n ? f->n : 1, sizeof(*ok));
	long long want = 0, free_now = 0;
	size_t nq;

	if (!ok)
		abort();
	daemon_rules(k, q, sizeof(q) / sizeof(q[0]), &nq);
	/* an instance whose engine does not answer (not read yet, or lost)
	 * still counts, as ECS counts it: its task waits for the engine */
	for (size_t i = 0; i < f->n; i++) {
		ok[i] = takes(f, i, q, nq);
		want += ok[i];
		free_now += ok[i] && f->v[i].connected && !holds(f, i);
	}
	for (size_t r = 0; r < nq; r++)
		ecsfs_cq_free(q[r]);
	if (json_integer_value(json_object_get(k->state, "daemonDesired")) != want ||
	    !json_object_get(k->state, "daemonDesired"))
		json_object_set_new(k->state, "daemonDesired", json_integer(want));
	k->desired = want;
	k->daemon = true;
	k->daemon_free = free_now;
	daemon_leave(k, f, ok);
	free(ok);
}

/* ---- draining, for the other services ---- */

/* Say once which draining instances the service's tasks leave. */
static void say_drained(ecsfs__look *k, const fleet *f, const bool *from)
{
	const char *said = json_string_value(json_object_get(k->state, "drainedFrom"));
	ecsfs_buf names = ECSFS_BUF_INIT;

	for (size_t i = 0; i < f->n; i++)
		if (from[i])
			ecsfs_buf_addf(&names, "%s%s", names.len ? ", " : "", f->v[i].name);
	if (names.len && (!said || strcmp(said, names.data) != 0)) {
		ecsfs__service_event(k->s, k->cluster, k->name,
				     "is replacing its tasks on draining container instances: %s.",
				     names.data);
		json_object_set_new(k->state, "drainedFrom", json_string(names.data));
	} else if (!names.len && said) {
		json_object_del(k->state, "drainedFrom");
	}
	ecsfs_buf_release(&names);
}

static void drain_split(ecsfs__look *k, const fleet *f)
{
	ecsfs__svc_task **go = calloc(k->l.n + 1, sizeof(*go));
	bool *from = calloc(f->n ? f->n : 1, sizeof(*from));
	size_t n = 0;

	if (!go || !from)
		abort();
	for (size_t j = 0; j < k->nprim + k->nold; j++) {
		ecsfs__svc_task *t = j < k->nprim ? k->prim[j] : k->old[j - k->nprim];
		long i = where(k, f, t);
		if (i < 0 || !is_draining(&f->v[i]))
			continue;
		from[i] = true;
		if (!t->running)
			go[n++] = t; /* ECS stops what is not RUNNING at once */
		else
			t->drained = true;
	}
	for (size_t j = 0; j < n; j++)
		leave(k, go[j], ECSFS__DRAIN_REASON);
	/* the drained RUNNING tasks of the primary are replaced as an older
	 * deployment's are */
	for (size_t j = 0; j < k->nprim;) {
		ecsfs__svc_task *t = k->prim[j];
		if (!t->drained) {
			j++;
			continue;
		}
		drop(k->prim, &k->nprim, t);
		k->old[k->nold++] = t;
	}
	say_drained(k, f, from);
	free(go);
	free(from);
}

/* ---- the phase ---- */

static bool any_draining(const fleet *f)
{
	for (size_t i = 0; i < f->n; i++)
		if (is_draining(&f->v[i]))
			return true;
	return false;
}

void ecsfs__fleet_split(ecsfs__look *k)
{
	ecsfs_services *sv = k->sv;
	bool daemon = ecsfs__service_is_daemon(k->state) && !k->draining;
	fleet f = {0};

	if (!daemon && (k->draining || ecsfs_strmap_get(&sv->calm, k->cluster))) {
		json_object_del(k->state, "drainedFrom"); /* said again at the next drain */
		return;
	}
	if (ecsfs_tasks_fleet(sv->tasks, k->cluster, &f.v, &f.n, &f.keep) < 0)
		return;
	if (!any_draining(&f))
		ecsfs_strmap_put(&sv->calm, k->cluster, &calm_mark);
	snprintf(f.group, sizeof(f.group), "service:%s", k->name);
	locate(k, &f);
	if (daemon)
		daemon_split(k, &f);
	else if (any_draining(&f))
		drain_split(k, &f);
	else
		json_object_del(k->state, "drainedFrom");
	free(f.at);
	ecsfs_tasks_fleet_release(sv->tasks, f.keep);
}

/* Instances changed: the cluster may drain now, and every service looks
 * again (DAEMONs follow their instances; few such changes happen). */
static void fleet_changed(void *data, const char *cluster)
{
	ecsfs_services *sv = data;

	ecsfs_strmap_del(&sv->calm, cluster);
	ecsfs_services_kick(sv);
}

void ecsfs__fleet_listen(ecsfs_services *sv, bool on)
{
	if (!sv->tasks)
		return;
	ecsfs_tasks_set_fleet_cb(sv->tasks, on ? fleet_changed : NULL, on ? sv : NULL);
	if (!on)
		ecsfs_strmap_release(&sv->calm);
}
