/* The metrics sampler on the fake runtime: figures from engine stats,
 * sums per service and cluster, the files, Prometheus text, bounds. */
#include "metrics_harness.h"

static ids web;

static void set_all(double cpu_s, double mem, long long rx, long long rd)
{
	for (int i = 0; i < web.n; i++)
		set_stats(web.v[i], "app", cpu_s, mem, rx, rx / 2, rd);
}

/* Two samples 2 s apart: rates from the engine's own times */
static void check_figures(void)
{
	reg("web",
	    "{\"cpu\":\"256\",\"memory\":\"512\",\"containerDefinitions\":[{\"name\":\"app\","
	    "\"image\":\"busybox\"}]}");
	json_t *doc = json_pack("{s:s, s:i}", "taskDefinition", "web", "desiredCount", 2);
	is_int(ecsfs_service_put(sv, "prod", "web", doc, NULL, &err), 0, "service web (%s)",
	       err.msg.data);
	json_decref(doc);
	settle();
	web = service_tasks("web");
	is_int(web.n, 2, "2 tasks run");
	insights("prod", "enabled");
	set_all(10, 80, 1000, 4096);
	round_now();
	ok(text_value(NULL, web.v[0], "CpuUtilized") < 0, "no CPU rate from one sample");
	is_int((long long)text_value(NULL, web.v[0], "MemoryUtilized"), 80,
	       "memory: usage less inactive_file");
	clock_ns += 2000000000LL;
	set_all(10.5, 100, 3000, 4096 + 2048);
	round_now();
	is_int((long long)text_value(NULL, web.v[0], "CpuUtilized"), 256,
	       "0.5 s of CPU in 2 s is 256 units");
	is_int((long long)text_value(NULL, web.v[0], "CpuReserved"), 256, "task cpu reserved");
	is_int((long long)text_value(NULL, web.v[0], "CPUUtilization"), 100, "100 %% of reserved");
	is_int((long long)text_value(NULL, web.v[0], "MemoryReserved"), 512, "task memory");
	is_int((long long)text_value(NULL, web.v[0], "MemoryUtilization"), 19,
	       "100 of 512 MiB is 19.5 %%");
	is_int((long long)text_value(NULL, web.v[0], "NetworkRxBytes"), 1000,
	       "2000 bytes in 2 s, from the pause's namespace");
	is_int((long long)text_value(NULL, web.v[0], "NetworkTxBytes"), 500, "tx too");
	is_int((long long)text_value(NULL, web.v[0], "StorageReadBytes"), 1024, "reads a second");
	is_int((long long)text_value(NULL, web.v[0], "containers.app.CpuUtilized"), 256,
	       "per container");
	is_int((long long)text_value(NULL, web.v[0], "MemoryUtilized.1m"), 90, "1-minute average");
}

static void check_sums(void)
{
	is_int((long long)text_value("web", NULL, "CpuUtilized"), 512, "service: sum of tasks");
	is_int((long long)text_value("web", NULL, "CPUUtilization"), 100, "service: 512 of 512");
	is_int((long long)text_value("web", NULL, "RunningTaskCount"), 2, "RunningTaskCount");
	is_int((long long)text_value("web", NULL, "DesiredTaskCount"), 2, "DesiredTaskCount");
	is_int((long long)text_value("web", NULL, "DeploymentCount"), 1, "DeploymentCount");
	is_int((long long)text_value(NULL, NULL, "ServiceCount"), 1, "cluster ServiceCount");
	is_int((long long)text_value(NULL, NULL, "TaskCount"), 2, "cluster TaskCount");
	is_int((long long)text_value(NULL, NULL, "MemoryUtilized"), 200, "cluster memory");
}

static void check_renderings(void)
{
	ecsfs_buf b = ECSFS_BUF_INIT, want = ECSFS_BUF_INIT;
	size_t rows = 0;

	ecsfs_metrics_csv(mx, "prod", "web", NULL, &b);
	for (size_t i = 0; i < b.len; i++)
		rows += b.data[i] == '\n';
	is_int(rows, 3, "csv: header and 2 rows");
	ok(strncmp(b.data, "time,CpuUtilized,CpuReserved,", 29) == 0, "csv header");
	ecsfs_buf_reset(&b);
	ecsfs_metrics_prometheus(mx, &b);
	ecsfs_buf_addf(&want,
		       "ecs_cpu_utilized_units{cluster=\"prod\",service=\"web\",task=\"%s\","
		       "container=\"app\",family=\"web\"} 256\n",
		       web.v[0]);
	ok(strstr(b.data, want.data) != NULL, "prometheus: a container's series");
	ok(strstr(b.data, "# TYPE ecs_cpu_utilization_percent gauge\n") != NULL, "TYPE lines");
	ok(strstr(b.data, "ecs_running_tasks{cluster=\"prod\",service=\"web\"} 2\n") != NULL,
	   "a service's count");
	insights("prod", "disabled");
	ecsfs_buf_reset(&b);
	ecsfs_metrics_text(mx, "prod", "web", NULL, &b);
	ok(strstr(b.data, "\nCPUUtilization: 100\n") && !strstr(b.data, "CpuUtilized"),
	   "insights disabled: only the basic figures");
	insights("prod", "enabled");
	ecsfs_buf_release(&b);
	ecsfs_buf_release(&want);
}

/* The ring keeps ECSFS_METRICS_HISTORY samples; calls stay bounded */
static void check_bounds(void)
{
	ecsfs_buf b = ECSFS_BUF_INIT;
	size_t bytes, n;

	is_int(ecsfs_service_set_desired(sv, "prod", "web", 20, &err), 0, "20 tasks");
	settle();
	web = service_tasks("web");
	out_max = 0;
	for (int i = 0; i < ECSFS_METRICS_HISTORY + 20; i++) {
		clock_ns += 1000000000LL;
		set_all(20 + i, 50, 0, 0);
		round_now();
	}
	ok(out_max > 1 && out_max <= ECSFS_METRICS_INFLIGHT, "at most %d calls out (%d)",
	   ECSFS_METRICS_INFLIGHT, out_max);
	is_int((long long)text_value("web", NULL, "RunningTaskCount"), 20, "20 counted");
	is_int((long long)text_value(NULL, web.v[0], "samples"), ECSFS_METRICS_HISTORY,
	       "history is a ring of %d", ECSFS_METRICS_HISTORY);
	ecsfs_metrics_memory(mx, &bytes, &n);
	ok(n == 20 && bytes / n < 40000, "memory per task bounded (%zu bytes)", bytes / n);
	ecsfs_metrics_sample_now(mx);
	is_int(ecsfs_metrics_sample_now(mx), -EBUSY, "one round at a time");
	ecsfs_fake_runtime_flush(rt);
	is_int(ecsfs_service_set_desired(sv, "prod", "web", 0, &err), 0, "scale to 0");
	settle();
	for (int i = 0; i < 2; i++)
		round_now();
	is_int((long long)text_value("web", NULL, "RunningTaskCount"), 0, "none running");
	ok(text_value("web", NULL, "CpuUtilized") < 0, "no CPU figure without tasks");
	ecsfs_buf_release(&b);
}

int main(void)
{
	harness_open(3600);
	check_figures();
	check_sums();
	check_renderings();
	check_bounds();
	harness_close();
	return tap_done();
}
