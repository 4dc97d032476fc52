/*
 * Placement decision time: INSTANCES instances (100 by default) in three
 * zones, already running TASKS tasks (1,000) of ten services, and then
 *
 *   batch     one call placing 1,000 new tasks of a service (each decision
 *             reserving before the next), per strategy set
 *   single    1,000 calls placing one task each, as a scheduler pass that
 *             places tasks one at a time does (every call reads the
 *             candidates again)
 *   victims   a scale-in choosing 100 of a service's tasks
 *   split     the capacity-provider split of 1,000 tasks
 *
 * Pure computation (placement.h has no I/O): no engine, no store. Prints
 * figures; asserts only that everything was placed.
 *
 * usage: bench_placement [INSTANCES [TASKS]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ecsfs/placement.h"

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static const char *const providers[] = {"FARGATE", "FARGATE_SPOT", NULL};
static const char *const groups[] = {"service:s0", "service:s1", "service:s2", "service:s3",
				     "service:s4", "service:s5", "service:s6", "service:s7",
				     "service:s8", "service:s9"};
static const char *const zones[] = {"az-a", "az-b", "az-c"};

typedef struct fleet {
	ecsfs_place_instance *in;
	ecsfs_place_attr *attrs;
	ecsfs_place_task *tasks;
	char (*names)[24];
	char (*ids)[24];
	size_t n, ntasks;
} fleet;

static void fleet_make(fleet *f, size_t n, size_t ntasks)
{
	f->n = n;
	f->ntasks = ntasks;
	f->in = calloc(n, sizeof(*f->in));
	f->attrs = calloc(2 * n, sizeof(*f->attrs));
	f->tasks = calloc(ntasks, sizeof(*f->tasks));
	f->names = calloc(n, sizeof(*f->names));
	f->ids = calloc(ntasks, sizeof(*f->ids));
	for (size_t t = 0; t < ntasks; t++) {
		snprintf(f->ids[t], sizeof(f->ids[t]), "t%zu", t);
		f->tasks[t] = (ecsfs_place_task){
		    .id = f->ids[t], .group = groups[t % 10], .cpu = 128, .memory = 256};
	}
	for (size_t i = 0; i < n; i++) {
		size_t first = i * ntasks / n, last = (i + 1) * ntasks / n;

		snprintf(f->names[i], sizeof(f->names[i]), "i-%04zu", i);
		f->attrs[2 * i] = (ecsfs_place_attr){"ecs.availability-zone", zones[i % 3]};
		f->attrs[2 * i + 1] = (ecsfs_place_attr){"stack", i % 2 ? "prod" : "dev"};
		f->in[i] = (ecsfs_place_instance){
		    .name = f->names[i],
		    .cpu_registered = 16 * 1024,
		    .mem_registered = 65536,
		    .cpu_remaining = 16 * 1024 - 128 * (int64_t)(last - first),
		    .mem_remaining = 65536 - 256 * (int64_t)(last - first),
		    .attrs = &f->attrs[2 * i],
		    .nattrs = 2,
		    .connected = true,
		    .providers = providers,
		    .tasks = &f->tasks[first],
		    .ntasks = last - first,
		};
	}
}

static void fleet_free(fleet *f)
{
	free(f->in);
	free(f->attrs);
	free(f->tasks);
	free(f->names);
	free(f->ids);
}

static void batch(const fleet *f, const char *what, const char *strategy, const char *constraints)
{
	json_t *st = strategy ? json_loads(strategy, 0, NULL) : NULL;
	json_t *pc = constraints ? json_loads(constraints, 0, NULL) : NULL;
	ecsfs_place_request rq = {.cpu = 64,
				  .memory = 128,
				  .group = "service:s0",
				  .count = 1000,
				  .strategy = st,
				  .constraints = pc,
				  .service = true,
				  .seed = 42};
	ecsfs_err err = ECSFS_ERR_INIT;
	ecsfs_place_out o;
	double t0, t1;

	ecsfs_place_out_init(&o);
	t0 = now_us();
	int r = ecsfs_place(f->in, f->n, &rq, &o, &err);
	t1 = now_us();
	printf("batch %-40s %8.0f us for 1000 tasks = %6.2f us per decision (placed %zu%s)\n", what,
	       t1 - t0, (t1 - t0) / 1000, o.placed, r < 0 ? ", ERROR" : "");
	if (r < 0 || o.placed != 1000)
		exit(1);
	ecsfs_place_out_release(&o);
	ecsfs_err_release(&err);
	json_decref(st);
	json_decref(pc);
}

static void singles(const fleet *f)
{
	ecsfs_place_request rq = {
	    .cpu = 64, .memory = 128, .group = "service:s1", .count = 1, .service = true};
	ecsfs_err err = ECSFS_ERR_INIT;
	double t0 = now_us(), t1;

	for (int k = 0; k < 1000; k++) {
		ecsfs_place_out o;
		rq.seed = (uint64_t)k;
		ecsfs_place_out_init(&o);
		if (ecsfs_place(f->in, f->n, &rq, &o, &err) < 0 || o.placed != 1)
			exit(1);
		ecsfs_place_out_release(&o);
	}
	t1 = now_us();
	printf("single (default spread), 1000 calls of 1 task %11.0f us = %6.2f us per call\n",
	       t1 - t0, (t1 - t0) / 1000);
	ecsfs_err_release(&err);
}

static void victims(const fleet *f)
{
	const char *v[100];
	size_t nv = 0;
	ecsfs_err err = ECSFS_ERR_INIT;
	double t0 = now_us(), t1;

	if (ecsfs_place_choose_victims(f->in, f->n, "service:s2", NULL, 100, 1, v, &nv, &err) < 0)
		exit(1);
	t1 = now_us();
	printf(
	    "victims: 100 of service:s2 (default spread) %13.0f us = %6.2f us per victim (%zu)\n",
	    t1 - t0, (t1 - t0) / 100, nv);
	ecsfs_err_release(&err);
}

static void split(void)
{
	json_t *cps = json_loads("[{\"capacityProvider\": \"FARGATE\", \"base\": 1, \"weight\": 1},"
				 " {\"capacityProvider\": \"FARGATE_SPOT\", \"weight\": 4}]",
				 0, NULL);
	size_t out[1000];
	ecsfs_err err = ECSFS_ERR_INIT;
	double t0 = now_us(), t1;

	ecsfs_place_split(cps, NULL, 1000, out, &err);
	t1 = now_us();
	printf("split: 1000 tasks over FARGATE 1+1 / FARGATE_SPOT 4 %8.0f us\n", t1 - t0);
	json_decref(cps);
	ecsfs_err_release(&err);
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 100;
	size_t t = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000;
	fleet f;

	fleet_make(&f, n, t);
	printf("%zu instances, %zu tasks running on them\n", n, t);
	batch(&f, "(default: spread zone, spread instance)", NULL, NULL);
	batch(&f, "binpack memory", "[{\"type\": \"binpack\", \"field\": \"memory\"}]", NULL);
	batch(&f, "random", "[{\"type\": \"random\"}]", NULL);
	batch(&f, "spread zone + binpack cpu, memberOf",
	      "[{\"type\": \"spread\", \"field\": \"attribute:ecs.availability-zone\"},"
	      " {\"type\": \"binpack\", \"field\": \"cpu\"}]",
	      "[{\"type\": \"memberOf\", \"expression\": \"attribute:stack == prod or "
	      "not(task:group == service:s9)\"}]");
	singles(&f);
	victims(&f);
	split();
	fleet_free(&f);
	return 0;
}
