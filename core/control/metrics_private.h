/*
 * ecsfs — what the metrics files share: metrics.c (the sampler's rounds),
 * metrics_figures.c (the figures' table, the ring of samples, one
 * container's stats into figures) and metrics_view.c (files and
 * Prometheus text).
 */
#ifndef ECSFS_METRICS_PRIVATE_H
#define ECSFS_METRICS_PRIVATE_H

#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#include "ecsfs/metrics.h"

enum ment_kind { MENT_CLUSTER, MENT_SERVICE, MENT_TASK };

/* Where a figure is shown. */
#define FIG_AT_TASK    0x1u
#define FIG_AT_SERVICE 0x2u
#define FIG_AT_CLUSTER 0x4u

struct ecsfs__metric_fig {
	const char *name; /* Container Insights' */
	const char *prom; /* Prometheus metric name */
	const char *help; /* its HELP line */
	unsigned at;	  /* FIG_AT_* */
	bool basic;	  /* shown without Container Insights */
	bool container;	  /* also per container (Prometheus, the task's file) */
};
extern const struct ecsfs__metric_fig ecsfs__metric_figs[ECSFS_FIG_N];

/* A sample as the ring keeps it: floats, NaN for missing. */
struct ecsfs__mslot {
	int64_t ms;
	float v[ECSFS_FIG_N];
};

/* The newest `cap` samples, oldest overwritten; grows to cap as it fills. */
struct ecsfs__mring {
	struct ecsfs__mslot *s;
	uint32_t alloc, head, n; /* head: index of the next write */
};

void ecsfs__mring_push(struct ecsfs__mring *r, const ecsfs_metric_sample *s);
/* The i-th newest (0: newest) into *out; false past the end. */
bool ecsfs__mring_get(const struct ecsfs__mring *r, uint32_t i, ecsfs_metric_sample *out);
void ecsfs__mring_release(struct ecsfs__mring *r);

/* One container's counters, and its rates from the last two samples. */
struct ecsfs__mctr {
	char *name; /* the ECS container name; "~pause" for the namespace's owner */
	char *rid;  /* the engine's id (or name) to ask */
	bool pause; /* counts for the network only */
	bool have;  /* the counters below hold a sample */
	bool fresh; /* answered in this round */
	int64_t at_ns;
	uint64_t cpu_ns, rx, tx, rd, wr;
	double mem_mib;
	bool has_net;
	double cpu_units, rx_s, tx_s, rd_s, wr_s; /* NaN until two samples */
};

/* Read one stats answer into the container's counters and rates. */
void ecsfs__mctr_update(struct ecsfs__mctr *c, const json_t *stats, int64_t now_ns);

struct ecsfs__ment {
	enum ment_kind kind;
	char *cluster, *service, *task, *family; /* service: "" when none */
	struct ecsfs__mring ring;
	uint64_t seen; /* the last round it was seen in */
	struct ecsfs__ment *next;
	/* tasks */
	bool insights; /* its cluster's containerInsights, as of the last round */
	bool running, described;
	double cpu_res, mem_res; /* NaN: none */
	struct ecsfs__mctr *ctrs;
	size_t nctr;
	/* services and clusters: this round's counts */
	unsigned n_running, n_pending, n_tasks, n_services;
	int64_t desired, deployments;
};

struct ecsfs_metrics {
	uv_loop_t *loop;
	ecsfs_store *store;
	ecsfs_runtime *rt;
	ecsfs_tasks *tasks;
	ecsfs_services *services;
	int interval_s;
	uv_timer_t timer;
	bool timer_open;
	struct ecsfs__ment *ents;
	uint64_t round;
	bool busy;    /* a round's calls are out */
	bool closing; /* freed by the owner: the last answer frees it */
	/* this round's calls: (task, container) pairs still to ask */
	struct job *jobs;
	size_t njobs, next_job, inflight;
	ecsfs_metrics_round_cb round_cb;
	void *round_data;
};

/* Find (or, with create, make) an entity; NULL on ENOMEM or not found. */
struct ecsfs__ment *ecsfs__ment_find(ecsfs_metrics *m, enum ment_kind kind, const char *cluster,
				     const char *service, const char *task, bool create);
/* Does the cluster show every figure (containerInsights enabled)? */
bool ecsfs__metrics_insights(ecsfs_metrics *m, const char *cluster);
/* A task's sample of this round from its containers. */
void ecsfs__metrics_task_sample(const struct ecsfs__ment *t, int64_t ms, ecsfs_metric_sample *s);
/* Add a task's sample into a service's or cluster's. */
void ecsfs__metrics_add(ecsfs_metric_sample *sum, const ecsfs_metric_sample *s);
/* Add only the used/reserved pairs a task has both of. */
void ecsfs__metrics_add_known(ecsfs_metric_sample *sum, const ecsfs_metric_sample *s);
/* Fill the utilisation percentages from the sums. */
void ecsfs__metrics_percent(ecsfs_metric_sample *s);
void ecsfs__metric_sample_clear(ecsfs_metric_sample *s, int64_t ms, uint64_t round);

#endif
