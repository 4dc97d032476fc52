/*
 * The service scheduler at scale, on the fake runtime: SERVICES services of
 * TASKS/SERVICES tasks each (1,000 and 10,000 by default) brought to a
 * steady state, then timed:
 *
 *   full pass        every service looked at (ecsfs_services_kick)
 *   idle tick        the 1 s timer with nothing changed (CPU of the loop)
 *   one task stops   the pass a single task's change causes
 *   task lookup      ecsfs_tasks_exists() by id, per call
 *
 * and the process's RSS with all the tasks in the store. The state
 * directory goes under $TMPDIR (default /dev/shm: the figures are the
 * scheduler's, not the disk's fsync). Prints figures; asserts nothing.
 *
 * Then a fresh process (this program again, --load) opens the same state
 * as a restarted daemon would, with an engine that answers nothing yet,
 * takes one full pass and prints its RSS: the memory of the tasks and
 * services themselves, without the fake engine's containers.
 *
 * usage: bench_scheduler [SERVICES [TASKS]]
 *        bench_scheduler --load DIR     (the restart's figures alone)
 *
 * BENCH_KEEP_STATE=1 keeps the state directory (for --load, massif...).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "ecsfs/cluster.h"
#include "ecsfs/service.h"
#include "ecsfs/task.h"
#include "ecsfs/taskdef.h"
#include "ecsfs/util.h"
#include "fake/fake_runtime.h"

static ecsfs_store *s;
static ecsfs_runtime *rt;
static ecsfs_tasks *tasks;
static ecsfs_services *sv;
static uv_loop_t loop;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double cpu_ms(void)
{
	struct rusage u;
	getrusage(RUSAGE_SELF, &u);
	return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 +
	       (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

/* VmRSS or VmHWM of this process, in MiB. */
static double vm_mib(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	double kib = 0;

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, key, strlen(key)) == 0)
			kib = atof(line + strlen(key) + 1);
	if (f)
		fclose(f);
	return kib / 1024;
}

static void never(uv_timer_t *t)
{
	(void)t;
}

static void register_web(void)
{
	static const char doc[] = "{\"containerDefinitions\":[{\"name\":\"app\",\"image\":"
				  "\"busybox\",\"memory\":16}]}";
	ecsfs_file_meta meta = {.kind = ECSFS_FILE_SPEC, .mode = 0644, .mtime_ns = 1};
	ecsfs_err err = ECSFS_ERR_INIT;
	int64_t rev;

	if (ecsfs_taskdef_register_file(s, "web", doc, strlen(doc), &meta, &rev, &err) < 0) {
		fprintf(stderr, "register: %s\n", err.msg.data);
		exit(1);
	}
	ecsfs_err_release(&err);
}

static void put_service(int i, long long desired)
{
	ecsfs_file_meta meta = {.kind = ECSFS_FILE_SPEC, .mode = 0644, .mtime_ns = 1};
	ecsfs_err err = ECSFS_ERR_INIT;
	char name[32], text[128];
	json_t *doc;

	snprintf(name, sizeof(name), "svc%04d", i);
	snprintf(text, sizeof(text), "{\"taskDefinition\":\"web\",\"desiredCount\":%lld}", desired);
	ecsfs_spec_bytes file = {.data = text, .len = strlen(text), .meta = &meta};
	doc = json_loads(text, 0, NULL);
	if (ecsfs_service_put(sv, "prod", name, doc, &file, &err) < 0) {
		fprintf(stderr, "service %s: %s\n", name, err.msg.data);
		exit(1);
	}
	json_decref(doc);
	ecsfs_err_release(&err);
}

static int count_cb(void *data, const ecsfs_task_info *in)
{
	size_t *n = data;
	*n += strcmp(in->last_status, "RUNNING") == 0;
	return 0;
}

static size_t running(void)
{
	size_t n = 0;
	ecsfs_tasks_foreach(tasks, "prod", NULL, count_cb, &n);
	return n;
}

/* Scheduler passes and engine rounds until `want` tasks run. */
static double bring_up(size_t want, int *passes)
{
	double t0 = now_ms();

	for (*passes = 0; *passes < 10000 && running() < want; (*passes)++) {
		ecsfs_services_kick(sv);
		uv_run(&loop, UV_RUN_NOWAIT);
		for (int i = 0; i < 50 && ecsfs_fake_runtime_flush(rt) > 0; i++)
			ecsfs_tasks_sweep(tasks);
	}
	return now_ms() - t0;
}

/* CPU, not wall time: the machine these run on is shared and loaded. */
static double full_pass(void)
{
	double c0 = cpu_ms();
	ecsfs_services_kick(sv);
	uv_run(&loop, UV_RUN_NOWAIT);
	return cpu_ms() - c0;
}

/* The CPU one uv_run(UV_RUN_ONCE) takes: the loop waits for the
 * scheduler's next 1 s tick (the keep-alive timer is further away). */
static double idle_tick(void)
{
	double c0 = cpu_ms();
	uv_run(&loop, UV_RUN_ONCE);
	return cpu_ms() - c0;
}

static int live_cb(void *data, const ecsfs_task_info *in)
{
	if (!in->desired_running || strcmp(in->last_status, "RUNNING") != 0)
		return 0;
	snprintf(data, 33, "%s", in->id);
	return 1;
}

/* Stop one task as a user would; the pass its change causes, timed. */
static double one_task_stops(void)
{
	ecsfs_err err = ECSFS_ERR_INIT;
	char id[33] = "";
	double t0;

	ecsfs_tasks_foreach(tasks, "prod", NULL, live_cb, id);
	if (ecsfs_tasks_stop(tasks, "prod", id, "bench", 5, &err) < 0)
		fprintf(stderr, "stop: %s\n", err.msg.data);
	ecsfs_err_release(&err);
	t0 = cpu_ms();
	uv_run(&loop, UV_RUN_NOWAIT);
	t0 = cpu_ms() - t0;
	/* the stop completes and its replacement starts before the next one */
	for (int i = 0; i < 50 && ecsfs_fake_runtime_flush(rt) > 0; i++)
		ecsfs_tasks_sweep(tasks);
	full_pass();
	for (int i = 0; i < 50 && ecsfs_fake_runtime_flush(rt) > 0; i++)
		ecsfs_tasks_sweep(tasks);
	return t0;
}

typedef struct ids {
	char (*v)[33];
	size_t n, alloc;
} ids;

static int ids_cb(void *data, const char *id)
{
	ids *l = data;
	if (l->n == l->alloc) {
		l->alloc = l->alloc ? 2 * l->alloc : 1024;
		l->v = realloc(l->v, l->alloc * sizeof(*l->v));
		if (!l->v)
			abort();
	}
	snprintf(l->v[l->n++], 33, "%s", id);
	return 0;
}

static double lookup_us(void)
{
	ids l = {0};
	double t0;
	size_t hits = 0;

	ecsfs_tasks_list(tasks, "prod", ids_cb, &l);
	t0 = now_ms();
	for (int r = 0; r < 10; r++)
		for (size_t i = 0; i < l.n; i++)
			hits += ecsfs_tasks_exists(tasks, "prod", l.v[(i * 7919) % l.n], NULL) == 0;
	t0 = (now_ms() - t0) * 1000 / (10.0 * (double)(l.n ? l.n : 1));
	free(l.v);
	return hits ? t0 : -1;
}

static int open_all(const char *dir)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	int r;

	uv_loop_init(&loop);
	rt = ecsfs_fake_runtime_new();
	if ((r = ecsfs_store_open(dir, &s, &why)) == 0 &&
	    (r = ecsfs_tasks_new(&loop, s, rt, dir, &tasks, &why)) == 0 &&
	    (r = ecsfs_services_new(&loop, s, tasks, &sv)) == 0) {
		ecsfs_services_set_stable(sv, 0);
		/* the fake's containers hold no descriptors */
		ecsfs_tasks_set_fd_budget(tasks, (size_t)1 << 40);
	} else {
		fprintf(stderr, "open %s: %s\n", dir, why.data);
	}
	ecsfs_buf_release(&why);
	return r;
}

static void close_all(void)
{
	ecsfs_services_free(sv);
	uv_run(&loop, UV_RUN_NOWAIT);
	ecsfs_tasks_free(tasks);
	ecsfs_runtime_close(rt, NULL, NULL);
	ecsfs_store_close(s);
	uv_run(&loop, UV_RUN_NOWAIT);
	uv_loop_close(&loop);
}

/* A restarted daemon's memory: the state loaded, one full pass. */
static int load_only(const char *dir)
{
	uv_timer_t keep;

	if (open_all(dir) < 0)
		return 1;
	uv_timer_init(&loop, &keep);
	uv_timer_start(&keep, never, 1000000000, 0);
	double pass = full_pass();
	printf("restart: one full pass %.2f ms (CPU); RSS %.1f MiB with %zu RUNNING tasks in the "
	       "store\n",
	       pass, vm_mib("VmRSS:"), running());
	uv_close((uv_handle_t *)&keep, NULL);
	close_all();
	return 0;
}

/* This program again, on the same state, in a process of its own. */
static void measure_restart(char *self, const char *dir)
{
	pid_t pid = fork();

	if (pid == 0) {
		execl("/proc/self/exe", self, "--load", dir, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--load") == 0)
		return load_only(argv[2]);

	int nsvc = argc > 1 ? atoi(argv[1]) : 1000, ntask = argc > 2 ? atoi(argv[2]) : 10000;
	long long per = nsvc > 0 ? ntask / nsvc : 0;
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/dev/shm";
	char dir[512];
	ecsfs_err err = ECSFS_ERR_INIT;
	uv_timer_t keep;
	int passes;

	snprintf(dir, sizeof(dir), "%s/ecsfs-bench-scheduler-XXXXXX", tmp);
	if (nsvc <= 0 || per <= 0 || !mkdtemp(dir))
		return 1;
	if (open_all(dir) < 0 || ecsfs_cluster_create(s, "prod", &err) < 0)
		return 1;
	uv_timer_init(&loop, &keep);
	uv_timer_start(&keep, never, 1000000000, 0);
	register_web();
	double t0 = now_ms();
	for (int i = 0; i < nsvc; i++)
		put_service(i, per);
	double create = now_ms() - t0;
	double up = bring_up((size_t)(nsvc * per), &passes);
	for (int i = 0; i < 5; i++)
		full_pass(); /* steady state said, deployments completed */
	printf("services                     %d x %lld tasks (%zu RUNNING)\n", nsvc, per,
	       running());
	printf("create services              %8.1f ms\n", create);
	printf("bring up                     %8.1f ms (%d passes)\n", up, passes);
	double full = 0, tick = 0, one = 0;
	for (int i = 0; i < 5; i++)
		full += full_pass();
	printf("full pass (CPU)               %8.2f ms\n", full / 5);
	for (int i = 0; i < 3; i++)
		tick += idle_tick();
	printf("idle tick (CPU)              %8.2f ms\n", tick / 3);
	for (int i = 0; i < 5; i++)
		one += one_task_stops();
	printf("pass after one task stops    %8.2f ms (CPU)\n", one / 5);
	printf("task lookup by id            %8.3f us\n", lookup_us());
	printf("RSS                          %8.1f MiB (peak %.1f MiB)\n", vm_mib("VmRSS:"),
	       vm_mib("VmHWM:"));
	uv_close((uv_handle_t *)&keep, NULL);
	close_all();
	fflush(stdout);
	measure_restart(argv[0], dir);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (getenv("BENCH_KEEP_STATE"))
		printf("state kept in %s (bench_scheduler --load %s)\n", dir, dir);
	else if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	ecsfs_err_release(&err);
	return 0;
}
