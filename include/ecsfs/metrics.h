/* ecsfs — Container Insights metrics: tasks, services and clusters sampled
 * from the engine's stats. */
#ifndef ECSFS_METRICS_H
#define ECSFS_METRICS_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "ecsfs/buf.h"
#include "ecsfs/runtime.h"
#include "ecsfs/service.h"
#include "ecsfs/store.h"
#include "ecsfs/task.h"

/*
 * The sampler (core/control/metrics*.c) asks the runtime for one stats
 * sample of every container of every RUNNING task each interval, at most
 * ECSFS_METRICS_INFLIGHT calls at a time; a round that has not finished
 * when the next is due makes that one wait. From two samples of a
 * container it gets rates; a task's sample is the sum of its containers
 * (its network is its namespace's: the pause container's), a service's
 * the sum of its RUNNING tasks, a cluster's the sum of its tasks. Each
 * keeps a ring of ECSFS_METRICS_HISTORY samples (64 minutes at the
 * default interval) in memory: bounded, and gone with a restart.
 *
 * Figures are named as Container Insights names them (ecsfs_metric_fig).
 * A figure that cannot be known (no reservation, a first sample with no
 * rate yet) is missing: NaN inside, left out of every rendering.
 */
typedef struct ecsfs_metrics ecsfs_metrics;

#define ECSFS_METRICS_INTERVAL 10  /* default seconds between rounds */
#define ECSFS_METRICS_HISTORY  384 /* samples kept per task, service, cluster */
/* Stats calls in flight at once. The engine answers a one-shot call at its
 * stats collector's next tick (once a second), so calls go out together:
 * a round of N containers takes about N / ECSFS_METRICS_INFLIGHT seconds. */
#define ECSFS_METRICS_INFLIGHT	   256
#define ECSFS_METRICS_INTERVAL_MAX 3600

typedef enum ecsfs_metric_fig {
	ECSFS_FIG_CPU_UTILIZED,	   /* CPU units (1024 a vCPU) in use */
	ECSFS_FIG_CPU_RESERVED,	   /* CPU units reserved (task definition) */
	ECSFS_FIG_MEM_UTILIZED,	   /* MiB in use (cgroup v2: usage less inactive_file) */
	ECSFS_FIG_MEM_RESERVED,	   /* MiB reserved */
	ECSFS_FIG_NET_RX,	   /* bytes received a second */
	ECSFS_FIG_NET_TX,	   /* bytes sent a second */
	ECSFS_FIG_STORAGE_READ,	   /* bytes read a second */
	ECSFS_FIG_STORAGE_WRITE,   /* bytes written a second */
	ECSFS_FIG_CPU_UTILIZATION, /* percent of reserved CPU */
	ECSFS_FIG_MEM_UTILIZATION, /* percent of reserved memory */
	ECSFS_FIG_RUNNING,	   /* RunningTaskCount */
	ECSFS_FIG_PENDING,	   /* PendingTaskCount */
	ECSFS_FIG_DESIRED,	   /* DesiredTaskCount */
	ECSFS_FIG_DEPLOYMENTS,	   /* DeploymentCount */
	ECSFS_FIG_TASKS,	   /* TaskCount (cluster) */
	ECSFS_FIG_SERVICES,	   /* ServiceCount (cluster) */
	ECSFS_FIG_N,
} ecsfs_metric_fig;

/* The figure's Container Insights name ("CpuUtilized"). */
const char *ecsfs_metric_fig_name(ecsfs_metric_fig f);
/* The figure of a name, or -ENOENT. */
int ecsfs_metric_fig_of(const char *name);

/* One sample of a task, service or cluster. */
typedef struct ecsfs_metric_sample {
	int64_t ms;	       /* when it was taken, ms since the epoch */
	uint64_t round;	       /* the sampler's round that made it (1, 2, ...) */
	double v[ECSFS_FIG_N]; /* NaN: missing */
} ecsfs_metric_sample;

/* `interval_s` 1..ECSFS_METRICS_INTERVAL_MAX. Each task is sampled on its
 * own engine (ecsfs_tasks_runtime_of: `rt` is the daemon's, used only when
 * `tasks` is NULL, and then nothing is sampled; counts still are); a task
 * whose engine does not answer now is skipped for the round. 0 and *out,
 * or -EINVAL / -ENOMEM. */
int ecsfs_metrics_new(uv_loop_t *loop, ecsfs_store *store, ecsfs_runtime *rt, ecsfs_tasks *tasks,
		      ecsfs_services *services, int interval_s, ecsfs_metrics **out);
/* Stop sampling and free; calls still in flight finish first (their
 * results are dropped). NULL is ignored. */
void ecsfs_metrics_free(ecsfs_metrics *m);
int ecsfs_metrics_interval(const ecsfs_metrics *m);

/* Told on the loop after every round (the autoscaler's clock). */
typedef void (*ecsfs_metrics_round_cb)(void *data, uint64_t round);
void ecsfs_metrics_set_round_cb(ecsfs_metrics *m, ecsfs_metrics_round_cb cb, void *data);
/* Start a round now, unless one is under way (tests). 0 or -EBUSY. */
int ecsfs_metrics_sample_now(ecsfs_metrics *m);
/* Is a round under way (its stats calls not all answered)? */
bool ecsfs_metrics_busy(const ecsfs_metrics *m);

/* The newest sample of a service: 0, or -ENOENT when it has none yet. */
int ecsfs_metrics_service_latest(ecsfs_metrics *m, const char *cluster, const char *service,
				 ecsfs_metric_sample *out);

/*
 * The files: "key: value" lines (`service` and `task` NULL: the
 * cluster's; one of them: that service's or task's) with the newest
 * sample and the averages of the last 1, 5 and 15 minutes ("CpuUtilized:
 * 256.0", "CpuUtilized.1m: 240.2"), and the history as CSV (a header
 * row, one row per sample, oldest first). A cluster whose
 * containerInsights setting is disabled shows only ECS's basic figures
 * (CPUUtilization, MemoryUtilization). -ENOENT: nothing of that name.
 */
int ecsfs_metrics_text(ecsfs_metrics *m, const char *cluster, const char *service, const char *task,
		       ecsfs_buf *out);
int ecsfs_metrics_csv(ecsfs_metrics *m, const char *cluster, const char *service, const char *task,
		      ecsfs_buf *out);
/* Every newest sample as Prometheus text (exposition format 0.0.4),
 * labelled cluster, service, task, container, family. */
void ecsfs_metrics_prometheus(ecsfs_metrics *m, ecsfs_buf *out);
/* Bytes of history memory held now, and how many tasks hold it (bench). */
void ecsfs_metrics_memory(const ecsfs_metrics *m, size_t *bytes, size_t *tasks);

#endif
