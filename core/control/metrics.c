/*
 * ecsfs — the metrics sampler: a round every interval asks the engine of
 * each RUNNING task (the daemon's own or its container instance's) for one
 * stats sample of each of its containers, a bounded
 * number at a time, then folds them into task, service and cluster
 * samples (metrics_figures.c) kept in rings, and tells the autoscaler.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/instance.h"
#include "ecsfs/launch.h"
#include "ecsfs/util.h"

#include "metrics_private.h"

struct job {
	ecsfs_metrics *m;
	struct ecsfs__ment *task;
	size_t ctr;
};

static void round_finish(ecsfs_metrics *m);

/* ---- entities ---- */

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void ctrs_free(struct ecsfs__ment *e)
{
	for (size_t i = 0; i < e->nctr; i++) {
		free(e->ctrs[i].name);
		free(e->ctrs[i].rid);
	}
	free(e->ctrs);
	e->ctrs = NULL;
	e->nctr = 0;
}

static void ment_free(struct ecsfs__ment *e)
{
	ctrs_free(e);
	ecsfs__mring_release(&e->ring);
	free(e->cluster);
	free(e->service);
	free(e->task);
	free(e->family);
	free(e);
}

struct ecsfs__ment *ecsfs__ment_find(ecsfs_metrics *m, enum ment_kind kind, const char *cluster,
				     const char *service, const char *task, bool create)
{
	struct ecsfs__ment *e;

	for (e = m->ents; e; e = e->next)
		if (e->kind == kind && strcmp(e->cluster, cluster) == 0 &&
		    (kind != MENT_SERVICE || same(e->service, service)) &&
		    (kind != MENT_TASK || same(e->task, task)))
			return e;
	if (!create || !(e = calloc(1, sizeof(*e))))
		return NULL;
	e->kind = kind;
	e->cluster = strdup(cluster);
	e->service = strdup(service ? service : "");
	e->task = dup_or_null(task);
	e->family = strdup("");
	e->cpu_res = e->mem_res = NAN;
	e->next = m->ents;
	m->ents = e;
	return e;
}

/* Entities of tasks, services and clusters that no round saw: gone. */
static void prune(ecsfs_metrics *m)
{
	struct ecsfs__ment **p = &m->ents, *e;

	while ((e = *p)) {
		if (e->seen != m->round) {
			*p = e->next;
			ment_free(e);
		} else {
			p = &e->next;
		}
	}
}

/* ---- what a task reserves, from its describe shape ---- */

/* "256", "0.25 vCPU" (CPU units); "512", "1 GB" (MiB). NaN when none. */
static double units(const json_t *v, const char *big_unit, double big)
{
	const char *s = json_string_value(v);
	char *end;
	double d;

	if (json_is_number(v))
		return json_number_value(v);
	if (!s || !*s)
		return NAN;
	d = strtod(s, &end);
	while (isspace((unsigned char)*end))
		end++;
	if (*end && strncasecmp(end, big_unit, strlen(big_unit)) == 0)
		d *= big;
	return d;
}

/* Task level first (ECS's rule), else the sum of its containers'. */
static void reservations(struct ecsfs__ment *t, const json_t *task)
{
	const json_t *cs = json_object_get(task, "containers"), *c;
	double cpu = units(json_object_get(task, "cpu"), "vcpu", 1024),
	       mem = units(json_object_get(task, "memory"), "gb", 1024), sc = 0, sm = 0;
	size_t i;

	json_array_foreach(cs, i, c) {
		double cc = units(json_object_get(c, "cpu"), "vcpu", 1024),
		       mr = units(json_object_get(c, "memoryReservation"), "gb", 1024),
		       mh = units(json_object_get(c, "memory"), "gb", 1024);
		sc += isnan(cc) ? 0 : cc;
		sm += !isnan(mr) ? mr : isnan(mh) ? 0 : mh;
	}
	t->cpu_res = !isnan(cpu) && cpu > 0 ? cpu : sc > 0 ? sc : NAN;
	t->mem_res = !isnan(mem) && mem > 0 ? mem : sm > 0 ? sm : NAN;
}

static int add_ctr(struct ecsfs__ment *t, const char *name, const char *rid, bool pause)
{
	struct ecsfs__mctr *c = realloc(t->ctrs, (t->nctr + 1) * sizeof(*c));

	if (!c)
		return -ENOMEM;
	t->ctrs = c;
	c = &t->ctrs[t->nctr++];
	memset(c, 0, sizeof(*c));
	c->name = strdup(name);
	c->rid = strdup(rid);
	c->pause = pause;
	return 0;
}

/* "arn:...:task-definition/web:3" -> "web" */
static char *family_of(const char *arn)
{
	const char *slash = arn ? strrchr(arn, '/') : NULL, *colon;

	if (!slash)
		return strdup("");
	colon = strrchr(slash, ':');
	return strndup(slash + 1, colon ? (size_t)(colon - slash - 1) : strlen(slash + 1));
}

/* The task's containers, service, family and reservations, once it runs
 * with an engine id for every container. */
static void describe_task(ecsfs_metrics *m, struct ecsfs__ment *t)
{
	json_t *d = NULL, *cs, *c;
	const char *group, *arn;
	ecsfs_buf pause = ECSFS_BUF_INIT;
	size_t i;

	if (ecsfs_tasks_describe(m->tasks, t->cluster, t->task, &d) < 0)
		return;
	ctrs_free(t);
	cs = json_object_get(d, "containers");
	t->described = true;
	json_array_foreach(cs, i, c) {
		const char *rid = json_string_value(json_object_get(c, "runtimeId")),
			   *name = json_string_value(json_object_get(c, "name"));
		if (!rid || !*rid || !name)
			t->described = false; /* not created yet: ask again next round */
		else
			add_ctr(t, name, rid, false);
	}
	ecsfs_launch_container_name(t->task, ECSFS_PAUSE_NAME, &pause);
	add_ctr(t, ECSFS_PAUSE_NAME, pause.data, true);
	group = json_string_value(json_object_get(d, "group"));
	free(t->service);
	t->service = strdup(group && strncmp(group, "service:", 8) == 0 ? group + 8 : "");
	arn = json_string_value(json_object_get(d, "taskDefinitionArn"));
	free(t->family);
	t->family = family_of(arn);
	reservations(t, d);
	ecsfs_buf_release(&pause);
	json_decref(d);
}

/* ---- a round ---- */

static bool is_pending(const char *st)
{
	return strcmp(st, "PROVISIONING") == 0 || strcmp(st, "PENDING") == 0 ||
	       strcmp(st, "ACTIVATING") == 0;
}

struct visit {
	ecsfs_metrics *m;
	struct ecsfs__ment *cluster;
	ecsfs_buf running; /* ids of RUNNING tasks, NUL-separated */
};

static int visit_task(void *data, const ecsfs_task_info *info)
{
	struct visit *v = data;
	struct ecsfs__ment *t =
	    ecsfs__ment_find(v->m, MENT_TASK, v->cluster->cluster, NULL, info->id, true);

	if (!t)
		return 0;
	t->seen = v->m->round;
	t->running = strcmp(info->last_status, "RUNNING") == 0;
	if (t->running)
		ecsfs_buf_add(&v->running, info->id, strlen(info->id) + 1);
	return 0;
}

static int queue_jobs(ecsfs_metrics *m, struct ecsfs__ment *t)
{
	struct job *j;

	if (!t->described)
		describe_task(m, t);
	j = realloc(m->jobs, (m->njobs + t->nctr) * sizeof(*j));
	if (!j)
		return -ENOMEM;
	m->jobs = j;
	for (size_t i = 0; i < t->nctr; i++) {
		t->ctrs[i].fresh = false;
		m->jobs[m->njobs++] = (struct job){.m = m, .task = t, .ctr = i};
	}
	return 0;
}

static int visit_service(void *data, const char *name)
{
	struct visit *v = data;
	struct ecsfs__ment *s =
	    ecsfs__ment_find(v->m, MENT_SERVICE, v->cluster->cluster, name, NULL, true);

	if (s)
		s->seen = v->m->round;
	return 0;
}

static int visit_cluster(void *data, const char *name)
{
	ecsfs_metrics *m = data;
	struct visit v = {.m = m, .running = ECSFS_BUF_INIT};

	if (!(v.cluster = ecsfs__ment_find(m, MENT_CLUSTER, name, NULL, NULL, true)))
		return 0;
	v.cluster->seen = m->round;
	ecsfs_service_list(m->store, name, visit_service, &v);
	if (m->tasks)
		ecsfs_tasks_foreach(m->tasks, name, NULL, visit_task, &v);
	for (size_t off = 0; off < v.running.len; off += strlen(v.running.data + off) + 1) {
		struct ecsfs__ment *t =
		    ecsfs__ment_find(m, MENT_TASK, name, NULL, v.running.data + off, false);
		if (t)
			queue_jobs(m, t);
	}
	ecsfs_buf_release(&v.running);
	return 0;
}

static void on_stats(void *data, int err, json_t *result, const char *errmsg);

/* The engine task `t` runs on (the daemon's, or its container instance's),
 * when it answers now: an engine away would hold calls until they time
 * out, and every other engine's samples would wait behind them. */
static ecsfs_runtime *engine_of(ecsfs_metrics *m, const struct ecsfs__ment *t)
{
	ecsfs_runtime *rt = m->tasks ? ecsfs_tasks_runtime_of(m->tasks, t->task) : m->rt;
	ecsfs_runtime_info info;

	if (!rt || !rt->ops->stats)
		return NULL;
	ecsfs_runtime_get_info(rt, &info);
	return info.reachable ? rt : NULL;
}

/* Start calls until ECSFS_METRICS_INFLIGHT are out or none is left. */
static void dispatch(ecsfs_metrics *m)
{
	while (!m->closing && m->inflight < ECSFS_METRICS_INFLIGHT && m->next_job < m->njobs) {
		struct job *j = &m->jobs[m->next_job++];
		ecsfs_runtime *rt = engine_of(m, j->task);
		struct job *copy = rt ? malloc(sizeof(*copy)) : NULL;
		if (!copy)
			continue;
		*copy = *j;
		if (rt->ops->stats(rt, j->task->ctrs[j->ctr].rid, on_stats, copy) < 0) {
			free(copy);
			continue;
		}
		m->inflight++;
	}
	if (!m->closing && m->inflight == 0 && m->next_job >= m->njobs)
		round_finish(m);
}

static void on_stats(void *data, int err, json_t *result, const char *errmsg)
{
	struct job *j = data;
	ecsfs_metrics *m = j->m;

	m->inflight--;
	if (m->closing) {
		free(j);
		if (m->inflight == 0 && !m->timer_open)
			free(m);
		return;
	}
	if (err == 0 && result)
		ecsfs__mctr_update(&j->task->ctrs[j->ctr], result, ecsfs_now_ns());
	free(j);
	dispatch(m);
}

int ecsfs_metrics_sample_now(ecsfs_metrics *m)
{
	if (m->busy)
		return -EBUSY;
	m->busy = true;
	m->round++;
	m->njobs = m->next_job = 0;
	ecsfs_store_cluster_list(m->store, visit_cluster, m);
	dispatch(m);
	return 0;
}

/* ---- folding a round into samples ---- */

static void count_deployments(ecsfs_metrics *m, struct ecsfs__ment *s)
{
	json_t *d = NULL;

	s->deployments = 0;
	s->desired = 0;
	if (ecsfs_service_get_desired(m->store, s->cluster, s->service, &s->desired) < 0)
		s->desired = 0;
	if (m->services &&
	    ecsfs_service_describe(m->services, s->cluster, s->service, &d, NULL) == 0)
		s->deployments = (int64_t)json_array_size(json_object_get(d, "deployments"));
	json_decref(d);
}

struct counts {
	ecsfs_metrics *m;
	const char *cluster;
};

static int count_task(void *data, const ecsfs_task_info *info)
{
	struct counts *c = data;
	struct ecsfs__ment *t =
			       ecsfs__ment_find(c->m, MENT_TASK, c->cluster, NULL, info->id, false),
			   *cl =
			       ecsfs__ment_find(c->m, MENT_CLUSTER, c->cluster, NULL, NULL, false),
			   *s = NULL;
	bool running = strcmp(info->last_status, "RUNNING") == 0,
	     pending = is_pending(info->last_status);

	/* a task not described yet (not RUNNING so far) counts for its
	 * cluster only */
	if (t && t->service[0])
		s = ecsfs__ment_find(c->m, MENT_SERVICE, c->cluster, t->service, NULL, false);
	if (cl) {
		cl->n_running += running;
		cl->n_pending += pending;
		cl->n_tasks += running;
	}
	if (s) {
		s->n_running += running;
		s->n_pending += pending;
	}
	return 0;
}

static void fold_counts(ecsfs_metrics *m)
{
	for (struct ecsfs__ment *e = m->ents; e; e = e->next) {
		if (e->kind == MENT_CLUSTER)
			e->insights = ecsfs__metrics_insights(m, e->cluster);
		e->n_running = e->n_pending = e->n_tasks = e->n_services = 0;
	}
	for (struct ecsfs__ment *e = m->ents; e; e = e->next) {
		struct ecsfs__ment *cl =
		    ecsfs__ment_find(m, MENT_CLUSTER, e->cluster, NULL, NULL, false);
		e->insights = cl && cl->insights;
	}
	for (struct ecsfs__ment *e = m->ents; e; e = e->next) {
		struct counts c = {.m = m, .cluster = e->cluster};
		if (e->kind == MENT_CLUSTER && m->tasks)
			ecsfs_tasks_foreach(m->tasks, e->cluster, NULL, count_task, &c);
		if (e->kind == MENT_SERVICE) {
			struct ecsfs__ment *cl =
			    ecsfs__ment_find(m, MENT_CLUSTER, e->cluster, NULL, NULL, false);
			if (cl)
				cl->n_services++;
			count_deployments(m, e);
		}
	}
}

static void fold_tasks(ecsfs_metrics *m, int64_t ms)
{
	for (struct ecsfs__ment *e = m->ents; e; e = e->next) {
		ecsfs_metric_sample s;
		if (e->kind != MENT_TASK || !e->running)
			continue;
		ecsfs__metric_sample_clear(&s, ms, m->round);
		ecsfs__metrics_task_sample(e, ms, &s);
		ecsfs__mring_push(&e->ring, &s);
	}
}

/* Services and clusters: the sums of their tasks' samples of this round. */
/* The sums of a service's or cluster's RUNNING tasks of this round. The
 * percentages are of the tasks that have both figures: a task with no rate
 * yet does not dilute its service's. */
static void sum_tasks(ecsfs_metrics *m, const struct ecsfs__ment *e, int64_t ms,
		      ecsfs_metric_sample *s)
{
	ecsfs_metric_sample ts, known;

	ecsfs__metric_sample_clear(s, ms, m->round);
	ecsfs__metric_sample_clear(&known, ms, m->round);
	for (struct ecsfs__ment *t = m->ents; t; t = t->next)
		if (t->kind == MENT_TASK && t->running && strcmp(t->cluster, e->cluster) == 0 &&
		    (e->kind == MENT_CLUSTER || strcmp(t->service, e->service) == 0) &&
		    ecsfs__mring_get(&t->ring, 0, &ts) && ts.ms == ms) {
			ecsfs__metrics_add(s, &ts);
			ecsfs__metrics_add_known(&known, &ts);
		}
	ecsfs__metrics_percent(&known);
	s->v[ECSFS_FIG_CPU_UTILIZATION] = known.v[ECSFS_FIG_CPU_UTILIZATION];
	s->v[ECSFS_FIG_MEM_UTILIZATION] = known.v[ECSFS_FIG_MEM_UTILIZATION];
}

static void fold_sums(ecsfs_metrics *m, int64_t ms)
{
	for (struct ecsfs__ment *e = m->ents; e; e = e->next) {
		ecsfs_metric_sample s;
		if (e->kind == MENT_TASK)
			continue;
		sum_tasks(m, e, ms, &s);
		s.v[ECSFS_FIG_RUNNING] = e->n_running;
		s.v[ECSFS_FIG_PENDING] = e->n_pending;
		if (e->kind == MENT_SERVICE) {
			s.v[ECSFS_FIG_DESIRED] = (double)e->desired;
			s.v[ECSFS_FIG_DEPLOYMENTS] = (double)e->deployments;
		} else {
			s.v[ECSFS_FIG_TASKS] = e->n_tasks;
			s.v[ECSFS_FIG_SERVICES] = e->n_services;
		}
		ecsfs__mring_push(&e->ring, &s);
	}
}

static void round_finish(ecsfs_metrics *m)
{
	int64_t ms = ecsfs_now_ns() / 1000000;

	prune(m);
	fold_counts(m);
	fold_tasks(m, ms);
	fold_sums(m, ms);
	m->busy = false;
	if (m->round_cb)
		m->round_cb(m->round_data, m->round);
}

/* ---- life ---- */

static void on_timer(uv_timer_t *t)
{
	ecsfs_metrics_sample_now(t->data);
}

int ecsfs_metrics_new(uv_loop_t *loop, ecsfs_store *store, ecsfs_runtime *rt, ecsfs_tasks *tasks,
		      ecsfs_services *services, int interval_s, ecsfs_metrics **out)
{
	ecsfs_metrics *m;
	uint64_t ms = (uint64_t)interval_s * 1000;

	if (interval_s < 1 || interval_s > ECSFS_METRICS_INTERVAL_MAX)
		return -EINVAL;
	if (!(m = calloc(1, sizeof(*m))))
		return -ENOMEM;
	m->loop = loop;
	m->store = store;
	m->rt = rt;
	m->tasks = tasks;
	m->services = services;
	m->interval_s = interval_s;
	if (loop) {
		uv_timer_init(loop, &m->timer);
		m->timer.data = m;
		m->timer_open = true;
		uv_timer_start(&m->timer, on_timer, ms, ms);
	}
	*out = m;
	return 0;
}

int ecsfs_metrics_interval(const ecsfs_metrics *m)
{
	return m->interval_s;
}

void ecsfs_metrics_set_round_cb(ecsfs_metrics *m, ecsfs_metrics_round_cb cb, void *data)
{
	m->round_cb = cb;
	m->round_data = data;
}

bool ecsfs_metrics_busy(const ecsfs_metrics *m)
{
	return m->busy;
}

static void on_timer_closed(uv_handle_t *h)
{
	ecsfs_metrics *m = h->data;

	m->timer_open = false;
	if (m->inflight == 0)
		free(m);
}

void ecsfs_metrics_free(ecsfs_metrics *m)
{
	struct ecsfs__ment *e;

	if (!m)
		return;
	m->closing = true;
	while ((e = m->ents)) {
		m->ents = e->next;
		ment_free(e);
	}
	free(m->jobs);
	m->jobs = NULL;
	/* the answers still out find it closing; the last one frees it */
	if (m->timer_open)
		uv_close((uv_handle_t *)&m->timer, on_timer_closed);
	else if (m->inflight == 0)
		free(m);
}

int ecsfs_metrics_service_latest(ecsfs_metrics *m, const char *cluster, const char *service,
				 ecsfs_metric_sample *out)
{
	struct ecsfs__ment *s = ecsfs__ment_find(m, MENT_SERVICE, cluster, service, NULL, false);

	if (!s || !ecsfs__mring_get(&s->ring, 0, out))
		return -ENOENT;
	out->round = s->seen;
	return 0;
}

void ecsfs_metrics_memory(const ecsfs_metrics *m, size_t *bytes, size_t *tasks)
{
	*bytes = *tasks = 0;
	for (const struct ecsfs__ment *e = m->ents; e; e = e->next) {
		*bytes += sizeof(*e) + e->ring.alloc * sizeof(struct ecsfs__mslot) +
			  e->nctr * sizeof(struct ecsfs__mctr);
		*tasks += e->kind == MENT_TASK;
	}
}
