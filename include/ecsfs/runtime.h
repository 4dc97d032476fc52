/* ecsfs — the container runtime boundary. */
#ifndef ECSFS_RUNTIME_H
#define ECSFS_RUNTIME_H

#include <stdbool.h>
#include <stdint.h>

/*
 * A runtime runs containers for the reconciler. It is a table of functions
 * (like redis's ConnectionType or sqlite's vfs): the Docker Engine client is
 * the real implementation (docker.h), a fake one drives unit tests.
 *
 * Every runtime is driven by the daemon's single libuv loop: no function
 * blocks, results arrive through callbacks on the loop thread.
 */
typedef struct ecsfs_runtime ecsfs_runtime;

/* What the runtime knows of the engine behind it, for status files and logs. */
typedef struct ecsfs_runtime_info {
	bool reachable;	      /* the engine answered its last probe */
	char name[32];	      /* "docker", "fake" */
	char endpoint[256];   /* "unix:///var/run/docker.sock" */
	char version[64];     /* engine version, "" while unknown */
	char api_version[16]; /* negotiated API version, "" while unknown */
	char detail[256];     /* why it is unreachable, "" when reachable */
	int64_t since;	      /* unix seconds of the last change of `reachable` */
} ecsfs_runtime_info;

/* Called on the loop thread whenever ecsfs_runtime_info changes. */
typedef void (*ecsfs_runtime_change_cb)(ecsfs_runtime *rt, void *data);

typedef struct ecsfs_runtime_ops {
	/* Begin probing the engine; later probes are the runtime's own business
	 * (retry with backoff while unreachable, periodic checks while up).
	 * Returns 0 or -errno. */
	int (*start)(ecsfs_runtime *rt);
	/* Copy the current state into *out. Never fails. */
	void (*info)(ecsfs_runtime *rt, ecsfs_runtime_info *out);
	/* Stop all work and release the runtime. `done` (may be NULL) is called
	 * on the loop thread once every handle is closed and memory is freed. */
	void (*close)(ecsfs_runtime *rt, void (*done)(void *data), void *data);
} ecsfs_runtime_ops;

/* The part of every runtime that callers may touch. Implementations embed
 * it as their first member. */
struct ecsfs_runtime {
	const ecsfs_runtime_ops *ops;
	ecsfs_runtime_change_cb on_change;
	void *on_change_data;
};

static inline int ecsfs_runtime_start(ecsfs_runtime *rt)
{
	return rt->ops->start(rt);
}

static inline void ecsfs_runtime_get_info(ecsfs_runtime *rt, ecsfs_runtime_info *out)
{
	rt->ops->info(rt, out);
}

static inline void ecsfs_runtime_close(ecsfs_runtime *rt, void (*done)(void *), void *data)
{
	rt->ops->close(rt, done, data);
}

/*
 * The fake runtime: always reachable (or not, as the test sets), for unit
 * tests of everything above the runtime boundary. Returns NULL on ENOMEM.
 */
ecsfs_runtime *ecsfs_fake_runtime_new(void);
void ecsfs_fake_runtime_set_reachable(ecsfs_runtime *rt, bool reachable, const char *detail);

#endif
