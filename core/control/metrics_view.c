/*
 * ecsfs — metrics as the tree and Prometheus show them: `metrics` (key:
 * value lines, newest and 1/5/15-minute averages), `metrics.csv` (the
 * history) and the Prometheus text of every newest sample.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ecsfs/account.h"
#include "ecsfs/util.h"

#include "metrics_private.h"

static unsigned at_of(enum ment_kind k)
{
	return k == MENT_TASK ? FIG_AT_TASK : k == MENT_SERVICE ? FIG_AT_SERVICE : FIG_AT_CLUSTER;
}

/* The cluster's containerInsights value, else the account's (ECS's rule). */
bool ecsfs__metrics_insights(ecsfs_metrics *m, const char *cluster)
{
	ecsfs_cluster_row row;
	ecsfs_buf acct = ECSFS_BUF_INIT;
	const char *v = NULL;
	json_t *doc = NULL, *e;
	bool on;
	size_t i;

	ecsfs_cluster_row_init(&row);
	if (ecsfs_store_cluster_get(m->store, cluster, &row) == 0 && row.settings.len)
		doc = json_loadb(row.settings.data, row.settings.len, 0, NULL);
	json_array_foreach(json_object_get(doc, "settings"), i, e)
		if (strcmp(json_string_value(json_object_get(e, "name")) ?: "",
			   "containerInsights") == 0)
			v = json_string_value(json_object_get(e, "value"));
	if (!v && ecsfs_account_setting_value(m->store, "containerInsights", &acct) == 0)
		v = acct.data;
	on = v && (strcmp(v, "enabled") == 0 || strcmp(v, "enhanced") == 0);
	json_decref(doc);
	ecsfs_buf_release(&acct);
	ecsfs_cluster_row_release(&row);
	return on;
}

static bool shown(const struct ecsfs__ment *e, int f, bool insights)
{
	return (ecsfs__metric_figs[f].at & at_of(e->kind)) &&
	       (insights || ecsfs__metric_figs[f].basic);
}

static struct ecsfs__ment *lookup(ecsfs_metrics *m, const char *cluster, const char *service,
				  const char *task)
{
	if (task)
		return ecsfs__ment_find(m, MENT_TASK, cluster, NULL, task, false);
	if (service)
		return ecsfs__ment_find(m, MENT_SERVICE, cluster, service, NULL, false);
	return ecsfs__ment_find(m, MENT_CLUSTER, cluster, NULL, NULL, false);
}

static void add_num(ecsfs_buf *out, double v)
{
	if (v == (double)(long long)v && v < 1e15 && v > -1e15)
		ecsfs_buf_addf(out, "%lld", (long long)v);
	else
		ecsfs_buf_addf(out, "%.2f", v);
}

/* The mean of figure f over the samples of the last `window_ms`. */
static bool average(const struct ecsfs__ment *e, int f, int64_t window_ms, double *avg)
{
	ecsfs_metric_sample s, newest;
	double sum = 0;
	unsigned n = 0;

	if (!ecsfs__mring_get(&e->ring, 0, &newest))
		return false;
	for (uint32_t i = 0; ecsfs__mring_get(&e->ring, i, &s); i++) {
		if (s.ms <= newest.ms - window_ms)
			break;
		if (!isnan(s.v[f])) {
			sum += s.v[f];
			n++;
		}
	}
	if (n)
		*avg = sum / n;
	return n > 0;
}

static void text_figure(const struct ecsfs__ment *e, int f, const ecsfs_metric_sample *newest,
			ecsfs_buf *out)
{
	static const struct {
		const char *suffix;
		int64_t ms;
	} windows[] = {{"1m", 60000}, {"5m", 300000}, {"15m", 900000}};
	const char *name = ecsfs__metric_figs[f].name;
	double avg;

	if (!isnan(newest->v[f])) {
		ecsfs_buf_addf(out, "%s: ", name);
		add_num(out, newest->v[f]);
		ecsfs_buf_addch(out, '\n');
	}
	for (size_t w = 0; w < sizeof(windows) / sizeof(windows[0]); w++)
		if (average(e, f, windows[w].ms, &avg)) {
			ecsfs_buf_addf(out, "%s.%s: ", name, windows[w].suffix);
			add_num(out, avg);
			ecsfs_buf_addch(out, '\n');
		}
}

/* The task's containers, newest figures only. */
static void text_containers(const struct ecsfs__ment *t, ecsfs_buf *out)
{
	for (size_t i = 0; i < t->nctr; i++) {
		const struct ecsfs__mctr *c = &t->ctrs[i];
		double v[] = {c->cpu_units, c->mem_mib, c->rd_s, c->wr_s};
		static const int figs[] = {ECSFS_FIG_CPU_UTILIZED, ECSFS_FIG_MEM_UTILIZED,
					   ECSFS_FIG_STORAGE_READ, ECSFS_FIG_STORAGE_WRITE};
		if (c->pause || !c->have)
			continue;
		for (size_t k = 0; k < sizeof(figs) / sizeof(figs[0]); k++)
			if (!isnan(v[k])) {
				ecsfs_buf_addf(out, "containers.%s.%s: ", c->name,
					       ecsfs__metric_figs[figs[k]].name);
				add_num(out, v[k]);
				ecsfs_buf_addch(out, '\n');
			}
	}
}

int ecsfs_metrics_text(ecsfs_metrics *m, const char *cluster, const char *service, const char *task,
		       ecsfs_buf *out)
{
	struct ecsfs__ment *e = lookup(m, cluster, service, task);
	bool insights = ecsfs__metrics_insights(m, cluster);
	ecsfs_metric_sample newest;
	char when[32];

	ecsfs_buf_addf(out, "interval: %d\n", m->interval_s);
	ecsfs_buf_addf(out, "container_insights: %s\n", insights ? "enabled" : "disabled");
	if (!service && !task) {
		/* what the sampler holds, for every cluster (the daemon's cost) */
		size_t bytes, tasks;
		ecsfs_metrics_memory(m, &bytes, &tasks);
		ecsfs_buf_addf(out, "history_bytes: %zu\nhistory_tasks: %zu\n", bytes, tasks);
	}
	if (!e || !ecsfs__mring_get(&e->ring, 0, &newest)) {
		ecsfs_buf_adds(out, "samples: 0\n");
		return 0;
	}
	ecsfs_time_iso(newest.ms * 1000000, when);
	ecsfs_buf_addf(out, "samples: %u\ntime: %s\n", e->ring.n, when);
	for (int f = 0; f < ECSFS_FIG_N; f++)
		if (shown(e, f, insights))
			text_figure(e, f, &newest, out);
	if (e->kind == MENT_TASK && insights)
		text_containers(e, out);
	return 0;
}

int ecsfs_metrics_csv(ecsfs_metrics *m, const char *cluster, const char *service, const char *task,
		      ecsfs_buf *out)
{
	struct ecsfs__ment *e = lookup(m, cluster, service, task);
	bool insights = ecsfs__metrics_insights(m, cluster);
	ecsfs_metric_sample s;
	char when[32];

	ecsfs_buf_adds(out, "time");
	for (int f = 0; f < ECSFS_FIG_N; f++)
		if (e ? shown(e, f, insights) : ecsfs__metric_figs[f].basic)
			ecsfs_buf_addf(out, ",%s", ecsfs__metric_figs[f].name);
	ecsfs_buf_addch(out, '\n');
	for (uint32_t i = e ? e->ring.n : 0; i-- > 0;) {
		ecsfs__mring_get(&e->ring, i, &s);
		ecsfs_time_iso(s.ms * 1000000, when);
		ecsfs_buf_adds(out, when);
		for (int f = 0; f < ECSFS_FIG_N; f++) {
			if (!shown(e, f, insights))
				continue;
			ecsfs_buf_addch(out, ',');
			if (!isnan(s.v[f]))
				add_num(out, s.v[f]);
		}
		ecsfs_buf_addch(out, '\n');
	}
	return 0;
}

/* ---- Prometheus ---- */

/* A label value with \, " and newline escaped as the format wants. */
static void label(ecsfs_buf *out, const char *key, const char *v, bool *first)
{
	if (!v || !*v)
		return;
	ecsfs_buf_addf(out, "%s%s=\"", *first ? "" : ",", key);
	*first = false;
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			ecsfs_buf_addch(out, '\\');
		if (*v == '\n')
			ecsfs_buf_adds(out, "\\n");
		else
			ecsfs_buf_addch(out, *v);
	}
	ecsfs_buf_addch(out, '"');
}

static void series(ecsfs_buf *out, const char *prom, const struct ecsfs__ment *e,
		   const char *container, double v)
{
	bool first = true;

	ecsfs_buf_addf(out, "%s{", prom);
	label(out, "cluster", e->cluster, &first);
	label(out, "service", e->service, &first);
	label(out, "task", e->task, &first);
	label(out, "container", container, &first);
	if (e->kind == MENT_TASK)
		label(out, "family", e->family, &first);
	ecsfs_buf_adds(out, "} ");
	add_num(out, v);
	ecsfs_buf_addch(out, '\n');
}

static double ctr_value(const struct ecsfs__mctr *c, int f)
{
	switch (f) {
	case ECSFS_FIG_CPU_UTILIZED: return c->cpu_units;
	case ECSFS_FIG_MEM_UTILIZED: return c->mem_mib;
	case ECSFS_FIG_STORAGE_READ: return c->rd_s;
	case ECSFS_FIG_STORAGE_WRITE: return c->wr_s;
	default: return NAN;
	}
}

static void prom_figure(ecsfs_metrics *m, int f, ecsfs_buf *out)
{
	const struct ecsfs__metric_fig *fig = &ecsfs__metric_figs[f];
	ecsfs_metric_sample s;

	ecsfs_buf_addf(out, "# HELP %s %s (Container Insights %s)\n# TYPE %s gauge\n", fig->prom,
		       fig->help, fig->name, fig->prom);
	for (const struct ecsfs__ment *e = m->ents; e; e = e->next) {
		bool insights = e->insights;
		if (!shown(e, f, insights) || !ecsfs__mring_get(&e->ring, 0, &s) ||
		    (e->kind == MENT_TASK && !e->running))
			continue;
		if (!isnan(s.v[f]))
			series(out, fig->prom, e, NULL, s.v[f]);
		for (size_t i = 0; fig->container && insights && i < e->nctr; i++) {
			double v = ctr_value(&e->ctrs[i], f);
			if (!e->ctrs[i].pause && !isnan(v))
				series(out, fig->prom, e, e->ctrs[i].name, v);
		}
	}
}

void ecsfs_metrics_prometheus(ecsfs_metrics *m, ecsfs_buf *out)
{
	for (int f = 0; f < ECSFS_FIG_N; f++)
		prom_figure(m, f, out);
}
