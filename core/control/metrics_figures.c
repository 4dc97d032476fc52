/*
 * ecsfs — the figures of Container Insights as a table, the ring of
 * samples, and one container's engine stats read into counters and rates.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/util.h"

#include "metrics_private.h"

#define AT_TSC (FIG_AT_TASK | FIG_AT_SERVICE | FIG_AT_CLUSTER)
#define AT_SC  (FIG_AT_SERVICE | FIG_AT_CLUSTER)

const struct ecsfs__metric_fig ecsfs__metric_figs[ECSFS_FIG_N] = {
    [ECSFS_FIG_CPU_UTILIZED] = {"CpuUtilized", "ecs_cpu_utilized_units",
				"CPU units (1024 a vCPU) in use", AT_TSC, false, true},
    [ECSFS_FIG_CPU_RESERVED] = {"CpuReserved", "ecs_cpu_reserved_units",
				"CPU units reserved by the task definition", AT_TSC, false, false},
    [ECSFS_FIG_MEM_UTILIZED] = {"MemoryUtilized", "ecs_memory_utilized_mebibytes",
				"memory in use (MiB, less inactive file cache)", AT_TSC, false,
				true},
    [ECSFS_FIG_MEM_RESERVED] = {"MemoryReserved", "ecs_memory_reserved_mebibytes",
				"memory reserved by the task definition (MiB)", AT_TSC, false,
				false},
    [ECSFS_FIG_NET_RX] = {"NetworkRxBytes", "ecs_network_rx_bytes_per_second",
			  "bytes received a second", AT_TSC, false, false},
    [ECSFS_FIG_NET_TX] = {"NetworkTxBytes", "ecs_network_tx_bytes_per_second",
			  "bytes sent a second", AT_TSC, false, false},
    [ECSFS_FIG_STORAGE_READ] = {"StorageReadBytes", "ecs_storage_read_bytes_per_second",
				"bytes read from storage a second", AT_TSC, false, true},
    [ECSFS_FIG_STORAGE_WRITE] = {"StorageWriteBytes", "ecs_storage_write_bytes_per_second",
				 "bytes written to storage a second", AT_TSC, false, true},
    [ECSFS_FIG_CPU_UTILIZATION] = {"CPUUtilization", "ecs_cpu_utilization_percent",
				   "CPU in use, percent of reserved", AT_TSC, true, false},
    [ECSFS_FIG_MEM_UTILIZATION] = {"MemoryUtilization", "ecs_memory_utilization_percent",
				   "memory in use, percent of reserved", AT_TSC, true, false},
    [ECSFS_FIG_RUNNING] = {"RunningTaskCount", "ecs_running_tasks", "tasks RUNNING", AT_SC, false,
			   false},
    [ECSFS_FIG_PENDING] = {"PendingTaskCount", "ecs_pending_tasks", "tasks on their way to RUNNING",
			   AT_SC, false, false},
    [ECSFS_FIG_DESIRED] = {"DesiredTaskCount", "ecs_desired_tasks", "the service's desiredCount",
			   FIG_AT_SERVICE, false, false},
    [ECSFS_FIG_DEPLOYMENTS] = {"DeploymentCount", "ecs_deployments", "deployments of the service",
			       FIG_AT_SERVICE, false, false},
    [ECSFS_FIG_TASKS] = {"TaskCount", "ecs_tasks", "tasks of the cluster that are RUNNING",
			 FIG_AT_CLUSTER, false, false},
    [ECSFS_FIG_SERVICES] = {"ServiceCount", "ecs_services", "services of the cluster",
			    FIG_AT_CLUSTER, false, false},
};

const char *ecsfs_metric_fig_name(ecsfs_metric_fig f)
{
	return f < ECSFS_FIG_N ? ecsfs__metric_figs[f].name : "";
}

int ecsfs_metric_fig_of(const char *name)
{
	for (int f = 0; f < ECSFS_FIG_N; f++)
		if (strcmp(ecsfs__metric_figs[f].name, name) == 0)
			return f;
	return -ENOENT;
}

/* ---- the ring ---- */

void ecsfs__mring_push(struct ecsfs__mring *r, const ecsfs_metric_sample *s)
{
	struct ecsfs__mslot *slot;

	if (r->n == r->alloc && r->alloc < ECSFS_METRICS_HISTORY) {
		/* grow while it fills; a full ring never moves again */
		uint32_t alloc = r->alloc ? r->alloc * 2 : 16;
		if (alloc > ECSFS_METRICS_HISTORY)
			alloc = ECSFS_METRICS_HISTORY;
		slot = realloc(r->s, alloc * sizeof(*slot));
		if (!slot)
			return; /* the sample is dropped; the ring stays as it was */
		r->s = slot;
		r->alloc = alloc;
		r->head = r->n; /* not yet wrapped: the next slot is the end */
	}
	slot = &r->s[r->head];
	slot->ms = s->ms;
	for (int f = 0; f < ECSFS_FIG_N; f++)
		slot->v[f] = (float)s->v[f];
	r->head = (r->head + 1) % r->alloc;
	if (r->n < r->alloc)
		r->n++;
}

bool ecsfs__mring_get(const struct ecsfs__mring *r, uint32_t i, ecsfs_metric_sample *out)
{
	const struct ecsfs__mslot *slot;

	if (i >= r->n)
		return false;
	slot = &r->s[(r->head + r->alloc - 1 - i) % r->alloc];
	out->ms = slot->ms;
	out->round = 0;
	for (int f = 0; f < ECSFS_FIG_N; f++)
		out->v[f] = slot->v[f];
	return true;
}

void ecsfs__mring_release(struct ecsfs__mring *r)
{
	free(r->s);
	memset(r, 0, sizeof(*r));
}

/* ---- one container's stats ---- */

static uint64_t num_at(const json_t *o, const char *a, const char *b, const char *c)
{
	const json_t *v = json_object_get(o, a);
	if (b)
		v = json_object_get(v, b);
	if (c)
		v = json_object_get(v, c);
	return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v)
							       : 0;
}

/* cgroup v2 names it inactive_file, v1 total_inactive_file. */
static double memory_mib(const json_t *mem)
{
	const json_t *st = json_object_get(mem, "stats");
	uint64_t usage = num_at(mem, "usage", NULL, NULL),
		 inactive = json_object_get(st, "inactive_file")
				? num_at(st, "inactive_file", NULL, NULL)
				: num_at(st, "total_inactive_file", NULL, NULL);

	if (inactive < usage)
		usage -= inactive;
	return (double)usage / (1024.0 * 1024.0);
}

static void sum_networks(const json_t *nets, uint64_t *rx, uint64_t *tx)
{
	const char *k;
	json_t *v;

	*rx = *tx = 0;
	json_object_foreach((json_t *)nets, k, v) {
		*rx += num_at(v, "rx_bytes", NULL, NULL);
		*tx += num_at(v, "tx_bytes", NULL, NULL);
	}
}

/* io_service_bytes_recursive: [{"op": "read"|"Read", "value": n}, ...] */
static void sum_blkio(const json_t *blkio, uint64_t *rd, uint64_t *wr)
{
	const json_t *list = json_object_get(blkio, "io_service_bytes_recursive");
	size_t i;
	json_t *e;

	*rd = *wr = 0;
	json_array_foreach(list, i, e) {
		const char *op = json_string_value(json_object_get(e, "op"));
		uint64_t v = num_at(e, "value", NULL, NULL);
		if (op && strcasecmp(op, "read") == 0)
			*rd += v;
		else if (op && strcasecmp(op, "write") == 0)
			*wr += v;
	}
}

/* A counter's rate a second; NaN without a previous sample, and 0 when
 * it went back (the container restarted). */
static double rate(uint64_t now, uint64_t before, double dt_s)
{
	return now < before ? 0 : (double)(now - before) / dt_s;
}

/* The engine's own time of the sample, else ours. */
static int64_t read_time(const json_t *stats, int64_t now_ns)
{
	const char *read = json_string_value(json_object_get(stats, "read"));
	int64_t ns;

	if (read && ecsfs_time_parse(read, strlen(read), 0, &ns) == 0 && ns > 0)
		return ns;
	return now_ns;
}

void ecsfs__mctr_update(struct ecsfs__mctr *c, const json_t *stats, int64_t now_ns)
{
	int64_t at = read_time(stats, now_ns);
	uint64_t cpu = num_at(stats, "cpu_stats", "cpu_usage", "total_usage"), rx, tx, rd, wr;
	const json_t *nets = json_object_get(stats, "networks");
	double dt = c->have ? (double)(at - c->at_ns) / 1e9 : 0;

	sum_networks(nets, &rx, &tx);
	sum_blkio(json_object_get(stats, "blkio_stats"), &rd, &wr);
	c->has_net = json_object_size(nets) > 0;
	c->mem_mib = memory_mib(json_object_get(stats, "memory_stats"));
	if (dt > 0) {
		c->cpu_units = rate(cpu, c->cpu_ns, dt) / 1e9 * 1024.0;
		c->rx_s = rate(rx, c->rx, dt);
		c->tx_s = rate(tx, c->tx, dt);
		c->rd_s = rate(rd, c->rd, dt);
		c->wr_s = rate(wr, c->wr, dt);
	} else if (!c->have) {
		c->cpu_units = c->rx_s = c->tx_s = c->rd_s = c->wr_s = NAN;
	}
	if (dt > 0 || !c->have) {
		c->at_ns = at;
		c->cpu_ns = cpu;
		c->rx = rx;
		c->tx = tx;
		c->rd = rd;
		c->wr = wr;
	}
	c->have = true;
	c->fresh = true;
}

/* ---- samples of tasks, and their sums ---- */

void ecsfs__metric_sample_clear(ecsfs_metric_sample *s, int64_t ms, uint64_t round)
{
	s->ms = ms;
	s->round = round;
	for (int f = 0; f < ECSFS_FIG_N; f++)
		s->v[f] = NAN;
}

/* NaN + x = x: a sum of what is known. */
static void add_to(double *sum, double v)
{
	if (!isnan(v))
		*sum = isnan(*sum) ? v : *sum + v;
}

void ecsfs__metrics_task_sample(const struct ecsfs__ment *t, int64_t ms, ecsfs_metric_sample *s)
{
	bool pause_net = false;

	for (size_t i = 0; i < t->nctr; i++)
		pause_net |= t->ctrs[i].pause && t->ctrs[i].fresh && t->ctrs[i].has_net;
	for (size_t i = 0; i < t->nctr; i++) {
		const struct ecsfs__mctr *c = &t->ctrs[i];
		/* containers that share the pause's namespace have no counters of
		 * their own: the namespace's are the pause's */
		bool net = pause_net ? c->pause : c->has_net;
		if (!c->fresh)
			continue;
		if (net) {
			add_to(&s->v[ECSFS_FIG_NET_RX], c->rx_s);
			add_to(&s->v[ECSFS_FIG_NET_TX], c->tx_s);
		}
		if (c->pause)
			continue;
		add_to(&s->v[ECSFS_FIG_CPU_UTILIZED], c->cpu_units);
		add_to(&s->v[ECSFS_FIG_MEM_UTILIZED], c->mem_mib);
		add_to(&s->v[ECSFS_FIG_STORAGE_READ], c->rd_s);
		add_to(&s->v[ECSFS_FIG_STORAGE_WRITE], c->wr_s);
	}
	s->v[ECSFS_FIG_CPU_RESERVED] = t->cpu_res;
	s->v[ECSFS_FIG_MEM_RESERVED] = t->mem_res;
	s->ms = ms;
	ecsfs__metrics_percent(s);
}

void ecsfs__metrics_add(ecsfs_metric_sample *sum, const ecsfs_metric_sample *s)
{
	static const ecsfs_metric_fig summed[] = {
	    ECSFS_FIG_CPU_UTILIZED, ECSFS_FIG_CPU_RESERVED,  ECSFS_FIG_MEM_UTILIZED,
	    ECSFS_FIG_MEM_RESERVED, ECSFS_FIG_NET_RX,	     ECSFS_FIG_NET_TX,
	    ECSFS_FIG_STORAGE_READ, ECSFS_FIG_STORAGE_WRITE,
	};
	for (size_t i = 0; i < sizeof(summed) / sizeof(summed[0]); i++)
		add_to(&sum->v[summed[i]], s->v[summed[i]]);
}

void ecsfs__metrics_add_known(ecsfs_metric_sample *sum, const ecsfs_metric_sample *s)
{
	static const ecsfs_metric_fig pairs[][2] = {
	    {ECSFS_FIG_CPU_UTILIZED, ECSFS_FIG_CPU_RESERVED},
	    {ECSFS_FIG_MEM_UTILIZED, ECSFS_FIG_MEM_RESERVED},
	};
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		if (!isnan(s->v[pairs[i][0]]) && s->v[pairs[i][1]] > 0) {
			add_to(&sum->v[pairs[i][0]], s->v[pairs[i][0]]);
			add_to(&sum->v[pairs[i][1]], s->v[pairs[i][1]]);
		}
}

void ecsfs__metrics_percent(ecsfs_metric_sample *s)
{
	double cu = s->v[ECSFS_FIG_CPU_UTILIZED], cr = s->v[ECSFS_FIG_CPU_RESERVED],
	       mu = s->v[ECSFS_FIG_MEM_UTILIZED], mr = s->v[ECSFS_FIG_MEM_RESERVED];

	s->v[ECSFS_FIG_CPU_UTILIZATION] = !isnan(cu) && cr > 0 ? cu / cr * 100.0 : NAN;
	s->v[ECSFS_FIG_MEM_UTILIZATION] = !isnan(mu) && mr > 0 ? mu / mr * 100.0 : NAN;
}
