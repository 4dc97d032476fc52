/* What the unit tests on the fake runtime share: a state directory with a
 * store, cluster prod and a fake runtime; task definitions registered as
 * their spec files are; and rounds of the engine (and of the service
 * scheduler) until nothing moves. The tests keep their handles in their
 * own statics and pass them in. */
#ifndef ECSFS_TEST_FAKE_HARNESS_H
#define ECSFS_TEST_FAKE_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "ecsfs/cluster.h"
#include "ecsfs/service.h"
#include "ecsfs/task.h"
#include "ecsfs/taskdef.h"
#include "ecsfs/util.h"
#include "fake/fake_runtime.h"
#include "tap.h"

#ifndef HARNESS
#define HARNESS static __attribute__((unused))
#endif

/* Make the state directory from the template `dir` (exit 1 when it cannot
 * be made), start `loop`, open the store in it with cluster prod, and make
 * the fake runtime. */
HARNESS void harness_open_fake(char *dir, uv_loop_t *loop, ecsfs_store **s, ecsfs_runtime **rt)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	ecsfs_err err = ECSFS_ERR_INIT;

	if (!mkdtemp(dir))
		exit(1);
	uv_loop_init(loop);
	is_int(ecsfs_store_open(dir, s, &why), 0, "store opens");
	is_int(ecsfs_cluster_create(*s, "prod", &err), 0, "cluster");
	*rt = ecsfs_fake_runtime_new();
	ecsfs_buf_release(&why);
	ecsfs_err_release(&err);
}

/* The end of harness_open_fake(), once the test freed its subsystems (and
 * closed its own handles): the runtime, the store, the loop, the directory. */
HARNESS void harness_close_fake(char *dir, uv_loop_t *loop, ecsfs_store *s, ecsfs_runtime *rt)
{
	ecsfs_runtime_close(rt, NULL, NULL);
	ecsfs_store_close(s);
	uv_run(loop, UV_RUN_NOWAIT);
	uv_loop_close(loop);
	tap_rmtree(dir);
}

/* Register `doc` as the next revision of `family`, as a write of its spec
 * file does; a refusal is printed, and the checks that need it fail. */
HARNESS void harness_register(ecsfs_store *s, const char *family, const char *doc)
{
	ecsfs_file_meta meta = {.kind = ECSFS_FILE_SPEC, .mode = 0644, .mtime_ns = 1};
	ecsfs_err why = ECSFS_ERR_INIT;
	int64_t rev;

	if (ecsfs_taskdef_register_file(s, family, doc, strlen(doc), &meta, &rev, &why) < 0)
		printf("# register %s: %s\n", family, why.msg.data);
	ecsfs_err_release(&why);
}

/* Deliver everything the fake has, then let retries that are due run,
 * until a round delivers nothing (50 rounds at the most). */
HARNESS void harness_settle_tasks(ecsfs_runtime *rt, ecsfs_tasks *tasks)
{
	for (int i = 0; i < 50; i++) {
		int n = ecsfs_fake_runtime_flush(rt);
		ecsfs_tasks_sweep(tasks);
		n += ecsfs_fake_runtime_flush(rt);
		if (n == 0)
			break;
	}
}

/* One round of the service scheduler and the engine: the scheduler kicked,
 * what is due on the loop run, the fake's events delivered, due retries
 * run. How many events were delivered. */
HARNESS int harness_services_round(uv_loop_t *loop, ecsfs_runtime *rt, ecsfs_tasks *tasks,
				   ecsfs_services *sv)
{
	int n;

	ecsfs_services_kick(sv);
	uv_run(loop, UV_RUN_NOWAIT);
	n = ecsfs_fake_runtime_flush(rt);
	ecsfs_tasks_sweep(tasks);
	return n;
}

/* Rounds until one delivers nothing: four at the least, `rounds` at the
 * most. */
HARNESS void harness_settle_services(uv_loop_t *loop, ecsfs_runtime *rt, ecsfs_tasks *tasks,
				     ecsfs_services *sv, int rounds)
{
	for (int i = 0; i < rounds; i++)
		if (harness_services_round(loop, rt, tasks, sv) == 0 && i > 3)
			break;
}

#endif
