/* What test_metrics.c and test_autoscale.c share: a store, the fake
 * runtime with a stats call a test can count, tasks, services and the
 * sampler on one loop, and stats the test sets per task. */
#ifndef ECSFS_METRICS_HARNESS_H
#define ECSFS_METRICS_HARNESS_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "ecsfs/cluster.h"
#include "ecsfs/metrics.h"
#include "ecsfs/service.h"
#include "ecsfs/task.h"
#include "ecsfs/taskdef.h"
#include "ecsfs/util.h"
#include "fake/fake_runtime.h"
#include "tap.h"

static ecsfs_store *s;
static ecsfs_runtime *rt;
static ecsfs_tasks *tasks;
static ecsfs_services *sv;
static ecsfs_metrics *mx;
static uv_loop_t loop;
static uv_timer_t keep;
static ecsfs_err err = ECSFS_ERR_INIT;
static char dir[] = "/tmp/ecsfs-test-metrics-XXXXXX";
static int64_t clock_ns = 1800000000000000000LL; /* the engine's "read" times */

/* The stats call, counted: how many are out now, and the most at once. */
static ecsfs_runtime_ops counted_ops;
static const ecsfs_runtime_ops *fake_ops;
static int out_now, out_max;

struct counted {
	ecsfs_runtime_cb cb;
	void *data;
};

static void counted_done(void *data, int e, json_t *result, const char *msg)
{
	struct counted *c = data;
	out_now--;
	c->cb(c->data, e, result, msg);
	free(c);
}

static int counted_stats(ecsfs_runtime *r, const char *id, ecsfs_runtime_cb cb, void *data)
{
	struct counted *c = malloc(sizeof(*c));
	int e;
	c->cb = cb;
	c->data = data;
	if ((e = fake_ops->stats(r, id, counted_done, c)) < 0) {
		free(c);
		return e;
	}
	if (++out_now > out_max)
		out_max = out_now;
	return 0;
}

static void never(uv_timer_t *t)
{
	(void)t;
}

static void reg(const char *family, const char *doc)
{
	ecsfs_file_meta meta = {.kind = ECSFS_FILE_SPEC, .mode = 0644, .mtime_ns = 1};
	ecsfs_err why = ECSFS_ERR_INIT;
	int64_t rev;
	if (ecsfs_taskdef_register_file(s, family, doc, strlen(doc), &meta, &rev, &why) < 0)
		printf("# register %s: %s\n", family, why.msg.data);
	ecsfs_err_release(&why);
}

static void settle(void)
{
	for (int i = 0; i < 60; i++) {
		ecsfs_services_kick(sv);
		uv_run(&loop, UV_RUN_NOWAIT);
		int n = ecsfs_fake_runtime_flush(rt);
		ecsfs_tasks_sweep(tasks);
		if (n == 0 && i > 3)
			break;
	}
}

/* One round of the sampler, answered. */
static void round_now(void)
{
	ecsfs_metrics_sample_now(mx);
	for (int i = 0; i < 100 && ecsfs_metrics_busy(mx); i++)
		ecsfs_fake_runtime_flush(rt);
}

static void insights(const char *cluster, const char *value)
{
	json_t *doc =
	    json_pack("{s:[{s:s, s:s}]}", "settings", "name", "containerInsights", "value", value);
	ecsfs_cluster_settings_put(s, cluster, doc, &err);
	json_decref(doc);
}

/* What the engine reports for a task's container `name` (its pause gets
 * the network counters): counters as totals, at the harness's clock. */
static void set_stats(const char *task, const char *name, double cpu_s, double mem_mib,
		      long long rx, long long tx, long long rd)
{
	char when[32];
	const char *id = ecsfs_fake_runtime_find(rt, task, name),
		   *pause = ecsfs_fake_runtime_find(rt, task, "~pause");
	json_t *st;

	ecsfs_time_iso(clock_ns, when);
	st = json_pack("{s:s, s:{s:{s:I}}, s:{s:I, s:{s:I}}, s:{s:[{s:s, s:I}, {s:s, s:I}]}}",
		       "read", when, "cpu_stats", "cpu_usage", "total_usage",
		       (json_int_t)(cpu_s * 1e9), "memory_stats", "usage",
		       (json_int_t)((mem_mib + 16) * 1048576), "stats", "inactive_file",
		       (json_int_t)16 * 1048576, "blkio_stats", "io_service_bytes_recursive", "op",
		       "read", "value", (json_int_t)rd, "op", "write", "value", (json_int_t)0);
	if (id)
		ecsfs_fake_runtime_set_stats(rt, id, st);
	json_decref(st);
	if (pause) {
		st = json_pack("{s:s, s:{s:{s:I}}, s:{}, s:{s:{s:I, s:I}}}", "read", when,
			       "cpu_stats", "cpu_usage", "total_usage", (json_int_t)0,
			       "memory_stats", "networks", "eth0", "rx_bytes", (json_int_t)rx,
			       "tx_bytes", (json_int_t)tx);
		ecsfs_fake_runtime_set_stats(rt, pause, st);
		json_decref(st);
	}
}

typedef struct ids {
	char v[64][33];
	int n;
} ids;

static int ids_cb(void *data, const char *id)
{
	ids *into = data;
	if (into->n < 64)
		snprintf(into->v[into->n++], 33, "%s", id);
	return 0;
}

static ids service_tasks(const char *name)
{
	ids l = {0};
	ecsfs_service_tasks(sv, "prod", name, ids_cb, &l);
	return l;
}

/* The value of "key: " in a metrics file, or -1. */
__attribute__((unused)) static double text_value(const char *service, const char *task,
						 const char *key)
{
	ecsfs_buf t = ECSFS_BUF_INIT, k = ECSFS_BUF_INIT;
	const char *p;
	double v = -1;

	ecsfs_metrics_text(mx, "prod", service, task, &t);
	ecsfs_buf_addf(&k, "\n%s: ", key);
	if (t.data && (p = strstr(t.data, k.data)))
		v = strtod(p + k.len, NULL);
	ecsfs_buf_release(&t);
	ecsfs_buf_release(&k);
	return v;
}

static void harness_open(int interval_s)
{
	ecsfs_buf why = ECSFS_BUF_INIT;

	if (!mkdtemp(dir))
		exit(1);
	uv_loop_init(&loop);
	uv_timer_init(&loop, &keep);
	uv_timer_start(&keep, never, 1000000000, 0);
	is_int(ecsfs_store_open(dir, &s, &why), 0, "store opens");
	is_int(ecsfs_cluster_create(s, "prod", &err), 0, "cluster");
	rt = ecsfs_fake_runtime_new();
	fake_ops = rt->ops;
	counted_ops = *rt->ops;
	counted_ops.stats = counted_stats;
	rt->ops = &counted_ops;
	is_int(ecsfs_tasks_new(&loop, s, rt, dir, &tasks, &why), 0, "tasks open");
	is_int(ecsfs_services_new(&loop, s, tasks, &sv), 0, "services open");
	ecsfs_services_set_stable(sv, 0);
	is_int(ecsfs_metrics_new(&loop, s, rt, tasks, sv, interval_s, &mx), 0, "sampler opens");
	ecsfs_buf_release(&why);
}

static void harness_close(void)
{
	ecsfs_metrics_free(mx);
	ecsfs_services_free(sv);
	uv_run(&loop, UV_RUN_NOWAIT);
	ecsfs_tasks_free(tasks);
	rt->ops = fake_ops;
	ecsfs_runtime_close(rt, NULL, NULL);
	ecsfs_store_close(s);
	uv_close((uv_handle_t *)&keep, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	tap_rmtree(dir);
	ecsfs_err_release(&err);
}

#endif
