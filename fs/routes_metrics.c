/*
 * Metrics: clusters/<c>/metrics, services/<s>/metrics, tasks/<id>/metrics
 * and their metrics.csv. An adapter: core/control/metrics*.c samples and
 * renders; here the paths are matched and the sampler started.
 */
#include <errno.h>

#include "ecsfs/metrics.h"
#include "fs.h"

void ecsfs__metrics_start(ecsfs__fs *fs, uv_loop_t *loop, int interval_s)
{
	if (ecsfs_metrics_new(loop, fs->store, fs->rt, fs->tasks, fs->services, interval_s,
			      &fs->metrics) < 0)
		ecsfs__log("metrics are not available: out of memory");
	else
		ecsfs__log("sampling metrics every %d s", interval_s);
}

void ecsfs__metrics_stop(ecsfs__fs *fs)
{
	ecsfs_metrics_free(fs->metrics);
	fs->metrics = NULL;
}

void ecsfs__metrics_dir(ecsfs__fs *fs, ecsfs__dirlist *out)
{
	static const char *const files[] = {"metrics", "metrics.csv"};

	if (fs->metrics)
		ecsfs__dirlist_add_files(out, files, 2);
}

static int cluster_exists(ecsfs__fs *fs, const ecsfs__match *m)
{
	return fs->metrics ? ecsfs__cluster_exists(fs, m) : -ENOENT;
}

static int service_exists(ecsfs__fs *fs, const ecsfs__match *m)
{
	return fs->metrics ? ecsfs_service_exists(fs->store, m->cap[0], m->cap[1]) : -ENOENT;
}

static int task_exists(ecsfs__fs *fs, const ecsfs__match *m)
{
	return fs->metrics && fs->tasks ? ecsfs_tasks_exists(fs->tasks, m->cap[0], m->cap[1], NULL)
					: -ENOENT;
}

static int cluster_text(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out)
{
	return ecsfs_metrics_text(fs->metrics, m->cap[0], NULL, NULL, out);
}

static int cluster_csv(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out)
{
	return ecsfs_metrics_csv(fs->metrics, m->cap[0], NULL, NULL, out);
}

static int service_text(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out)
{
	return ecsfs_metrics_text(fs->metrics, m->cap[0], m->cap[1], NULL, out);
}

static int service_csv(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out)
{
	return ecsfs_metrics_csv(fs->metrics, m->cap[0], m->cap[1], NULL, out);
}

static int task_text(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out)
{
	return ecsfs_metrics_text(fs->metrics, m->cap[0], NULL, m->cap[1], out);
}

static int task_csv(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out)
{
	return ecsfs_metrics_csv(fs->metrics, m->cap[0], NULL, m->cap[1], out);
}

#define METRICS_FILE(p, ex, rd)                                                             \
	{                                                                                   \
		.pattern = (p), .type = S_IFREG, .perm = 0444, .flags = ECSFS__R_GENERATED, \
		.exists = (ex), .read = (rd)                                                \
	}

const ecsfs__route ecsfs__routes_metrics[] = {
    METRICS_FILE("/clusters/*/metrics", cluster_exists, cluster_text),
    METRICS_FILE("/clusters/*/metrics.csv", cluster_exists, cluster_csv),
    METRICS_FILE("/clusters/*/services/*/metrics", service_exists, service_text),
    METRICS_FILE("/clusters/*/services/*/metrics.csv", service_exists, service_csv),
    METRICS_FILE("/clusters/*/tasks/*/metrics", task_exists, task_text),
    METRICS_FILE("/clusters/*/tasks/*/metrics.csv", task_exists, task_csv),
    {0},
};
