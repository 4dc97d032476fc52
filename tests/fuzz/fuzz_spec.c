/*
 * libFuzzer targets for the files users write: each build of this file
 * (-DFUZZ_KIND=n, see meson.build and README.md) is one parser, reached the
 * way a write reaches it, through the route table's check of its path
 * (fs/routes_*.c) or the core call the route makes:
 *
 *   service       spec/clusters/c/services/web.json   (CreateService)
 *   cluster       spec/clusters/c/cluster.json        (CreateCluster)
 *   schedule      spec/clusters/c/schedules/s.json    (CreateSchedule)
 *   scaling       spec/clusters/c/scaling/web.json    (RegisterScalableTarget + policies)
 *   targetgroup   spec/targetgroups/tg.json           (CreateTargetGroup)
 *   loadbalancer  spec/loadbalancers/lb.json          (CreateLoadBalancer, on the store)
 *   runtask       clusters/c/run                      (a "family[:rev] [count]" line or RunTask)
 *   lines         clusters/c/services/web/desired_count and task_definition
 *                 (the first byte picks which)
 *   instance      spec/clusters/c/instances/i.json    (a Docker engine as a container instance)
 *
 * Checked for every input (DESIGN §3's early and late validation):
 *   - the whole text gives 0 or one of the kind's errnos, with a message
 *     (non-empty, no NUL) on an error and none on success;
 *   - the same answer twice;
 *   - what the whole check accepts, the partial check (a write() of a plain
 *     append) accepts too, and so does it every prefix of it: a valid
 *     document written by `echo` or `cp` is never refused half-way;
 *   - what the partial check refuses, the whole check refuses;
 *   - nothing leaks.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ecsfs/loadbalancer.h"
#include "ecsfs/task.h"
#include "fs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define KIND_SERVICE	  1
#define KIND_CLUSTER	  2
#define KIND_SCHEDULE	  3
#define KIND_SCALING	  4
#define KIND_TARGETGROUP  5
#define KIND_LOADBALANCER 6
#define KIND_RUNTASK	  7
#define KIND_LINES	  8
#define KIND_INSTANCE	  9

#ifndef FUZZ_KIND
#error "build with -DFUZZ_KIND=n (1..9, see the list above)"
#endif

#define STATE_TMPL "/tmp/ecsfs-fuzz-spec.XXXXXX"
#define PREFIXES   64 /* prefixes of a long accepted text checked, evenly spaced */

static char state_dir[] = STATE_TMPL;
static uv_loop_t loop;
static ecsfs__fs fs;

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "invariant broken: %s\nmessage: %s\n", what, msg ? msg : "(none)");
	abort();
}

static void teardown(void)
{
	char cmd[128];
	ecsfs_services_free(fs.services);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	ecsfs_store_close(fs.store);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", state_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", state_dir);
}

/* One empty store for the run (checks only read it); the services'
 * subsystem on a loop that never runs. */
static void setup(void)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	if (fs.store)
		return;
	if (!mkdtemp(state_dir) || ecsfs_store_open(state_dir, &fs.store, &why) < 0)
		die("a store to run on", why.data);
	uv_loop_init(&loop);
	if (ecsfs_services_new(&loop, fs.store, NULL, &fs.services) < 0)
		die("the services' subsystem", NULL);
	ecsfs_buf_release(&why);
	atexit(teardown);
}

/* The route check of `path`, as a write to it is checked. */
static int route_check(const char *path, const char *d, size_t n, bool partial, ecsfs_err *err)
{
	ecsfs__match m;
	int r;

	ecsfs__match_init(&m);
	if (ecsfs__route_match(path, &m) < 0 || !m.route->check)
		die("the path has a checked route", path);
	r = m.route->check(&fs, &m, d, n, partial, err);
	ecsfs__match_release(&m);
	return r;
}

static const char *kind_path(const uint8_t **data, size_t *size)
{
	switch (FUZZ_KIND) {
	case KIND_SERVICE: return "/spec/clusters/c/services/web.json";
	case KIND_CLUSTER: return "/spec/clusters/c/cluster.json";
	case KIND_SCHEDULE: return "/spec/clusters/c/schedules/s.json";
	case KIND_SCALING: return "/spec/clusters/c/scaling/web.json";
	case KIND_TARGETGROUP: return "/spec/targetgroups/tg.json";
	case KIND_INSTANCE: return "/spec/clusters/c/instances/i.json";
	case KIND_LINES:
		if (*size == 0)
			return NULL;
		(*size)--;
		return *(*data)++ & 1 ? "/clusters/c/services/web/task_definition"
				      : "/clusters/c/services/web/desired_count";
	default: return "";
	}
}

static int check(const char *path, const char *d, size_t n, bool partial, ecsfs_err *err)
{
	json_t *rq = NULL;
	int r;

	switch (FUZZ_KIND) {
	case KIND_LOADBALANCER:
		/* the controller's check adds a probe of the listener ports, which
		 * binds sockets: the store's check is the parser's */
		return ecsfs_loadbalancer_check_store(fs.store, "lb", d, n, partial, err);
	case KIND_RUNTASK:
		r = ecsfs_tasks_run_request(d, n, partial, &rq, err);
		if (r == 0 && !partial && !json_is_object(rq))
			die("a whole request is an object", err->msg.data);
		json_decref(rq);
		return r;
	default: return route_check(path, d, n, partial, err);
	}
}

/* The errnos a check may give: a bad document, or a name the empty store
 * does not hold (a family for task_definition, a target group for a load
 * balancer). */
static bool allowed(int r)
{
	bool refs = FUZZ_KIND == KIND_LINES || FUZZ_KIND == KIND_LOADBALANCER;
	return r == 0 || r == -EINVAL || (refs && r == -ENOENT);
}

static void check_message(int r, const ecsfs_err *err)
{
	if (r == 0 && err->msg.len)
		die("no message on success", err->msg.data);
	if (r < 0 && (!err->msg.len || strlen(err->msg.data) != err->msg.len))
		die("a message (no NUL bytes) on failure", err->msg.data);
}

/* Every prefix of an accepted text passes the partial check. */
static void check_prefixes(const char *path, const char *d, size_t n)
{
	size_t step = n <= 4 * PREFIXES ? 1 : n / PREFIXES;
	ecsfs_err err = ECSFS_ERR_INIT;

	for (size_t k = 0; k <= n; k += step) {
		ecsfs_err_reset(&err);
		if (check(path, d, k, true, &err) < 0)
			die("a prefix of an accepted text passes the partial check", err.msg.data);
	}
	ecsfs_err_release(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ecsfs_err whole = ECSFS_ERR_INIT, again = ECSFS_ERR_INIT, part = ECSFS_ERR_INIT;
	const char *path, *d;
	int r, r2, rp;

	setup();
	if (!(path = kind_path(&data, &size)))
		return 0;
	d = (const char *)data;
	r = check(path, d, size, false, &whole);
	if (!allowed(r))
		die("0 or the kind's errno", whole.msg.data);
	check_message(r, &whole);
	if (getenv("FUZZ_SPEC_VERBOSE")) /* what a seed gets, to write seeds */
		fprintf(stderr, "%d %s\n", r, whole.msg.data);
	r2 = check(path, d, size, false, &again);
	if (r2 != r || strcmp(whole.msg.data, again.msg.data) != 0)
		die("the same answer twice", again.msg.data);
	rp = check(path, d, size, true, &part);
	if (rp < 0 && r == 0)
		die("what the partial check refuses, the whole check refuses", part.msg.data);
	if (r == 0)
		check_prefixes(path, d, size);
	ecsfs_err_release(&whole);
	ecsfs_err_release(&again);
	ecsfs_err_release(&part);
	return 0;
}
