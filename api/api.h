/*
 * ecsfs — front end 2: the AWS APIs over HTTP on loopback (DESIGN §4, §6).
 *
 * The daemon's main starts one listener on its libuv loop with the handles of
 * core it already holds; the API reaches core through include/ecsfs/ only,
 * as fs/ does, so the same intent by either front end leaves the same rows.
 */
#ifndef ECSFS_API_H
#define ECSFS_API_H

#include <stdbool.h>
#include <uv.h>

#include "ecsfs/buf.h"
#include "ecsfs/lb.h"
#include "ecsfs/runtime.h"
#include "ecsfs/service.h"
#include "ecsfs/store.h"
#include "ecsfs/task.h"

/* The handles of core the operations use; owned by the daemon, which frees
 * the API before any of them. */
typedef struct ecsfs_api_core {
	uv_loop_t *loop;
	ecsfs_store *store;
	ecsfs_runtime *rt;	  /* NULL when no engine endpoint could be used */
	ecsfs_tasks *tasks;	  /* NULL without a runtime */
	ecsfs_services *services; /* NULL in tests that need none */
	ecsfs_lb *lb;
	struct ecsfs_metrics *metrics;	   /* GET /metrics; NULL: none */
	struct ecsfs_scaling *scaling;	   /* Application Auto Scaling; NULL: none */
	struct ecsfs_schedules *schedules; /* EventBridge Scheduler and rules; NULL: none */
	struct ecsfs_instances *instances; /* container instances; NULL: none */
	const char *state_dir;		   /* STATE: credentials, logs/ */
	/* The daemon's log (a line, no newline); NULL: stderr. */
	void (*log)(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
	/* Told of every refused change (an operation that is not a Describe,
	 * List, Get or Filter): "ecs.CreateService", the exception name, the
	 * errno the files give for it, the message; so /ecs/errors shows the
	 * refusals of both front ends. May be NULL. */
	void (*refused)(void *data, const char *op, const char *type, int code, const char *msg);
	void *refused_data;
	/* Told of every operation that changed something (not a Describe, List,
	 * Get or Filter), once it succeeded: "ecs.CreateCluster", its request
	 * and its result; so the file tree drops what the kernel cached of the
	 * objects it names (fs/fuse_cache.c). May be NULL. */
	void (*changed)(void *data, const char *op, const json_t *request, const json_t *result);
	void *changed_data;
} ecsfs_api_core;

#define ECSFS_API_DEFAULT_LISTEN "127.0.0.1:4566"

typedef struct ecsfs_api_config {
	const char *listen; /* "ADDR:PORT" */
	bool auth;	    /* verify SigV4 against STATE/credentials */
} ecsfs_api_config;

typedef struct ecsfs_api ecsfs_api;

/*
 * Listen on cfg->listen and serve requests on core->loop. With cfg->auth,
 * STATE/credentials is read, or made (0600, profile `ecsfs`) on first start.
 * 0, or -errno and a sentence in *why (nothing left open).
 */
int ecsfs_api_start(const ecsfs_api_core *core, const ecsfs_api_config *cfg, ecsfs_api **out,
		    ecsfs_buf *why);
/* Stop listening, drop open connections, free. NULL is ignored. */
void ecsfs_api_free(ecsfs_api *api);

#endif
