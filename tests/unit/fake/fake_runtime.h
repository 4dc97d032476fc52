/* ecsfs — the fake runtime, for unit tests of everything above the runtime
 * boundary (tests only; the daemon never links it). */
#ifndef ECSFS_FAKE_RUNTIME_H
#define ECSFS_FAKE_RUNTIME_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "ecsfs/runtime.h"

/*
 * The fake runtime, for unit tests of everything above the runtime
 * boundary: reachable (or not, as the test sets), with containers, images
 * and volumes that live in memory. Calls complete only when the test calls
 * ecsfs_fake_runtime_flush(): never from within the call, as the contract
 * says, and in an order a test controls. Returns NULL on ENOMEM.
 *
 * Every image is present unless its reference contains "missing"; pulling
 * such an image fails as a registry that cannot be reached would.
 */
ecsfs_runtime *ecsfs_fake_runtime_new(void);
void ecsfs_fake_runtime_set_reachable(ecsfs_runtime *rt, bool reachable, const char *detail);
/* Deliver pending callbacks and events, including those that delivering
 * them starts, until none is left. Returns how many were delivered. */
int ecsfs_fake_runtime_flush(ecsfs_runtime *rt);
/* The container `id` (or name) exits with `code` (a "die" event follows). */
int ecsfs_fake_runtime_exit(ecsfs_runtime *rt, const char *id, int code);
/* Set a running container's health: "healthy", "unhealthy", "starting". */
int ecsfs_fake_runtime_set_health(ecsfs_runtime *rt, const char *id, const char *status);
/* Remove a container behind the subscriber's back ("destroy" event). */
int ecsfs_fake_runtime_destroy(ecsfs_runtime *rt, const char *id);
/* The engine is removing container `id` (or name) itself, as dockerd does
 * for another client's removal or one its restart cut short: from now on
 * every removal of it answers -EINPROGRESS (dockerd's 409 "removal of
 * container ... is already in progress") until ecsfs_fake_runtime_destroy()
 * ends it. 0 or -ENOENT. */
int ecsfs_fake_runtime_set_removing(ecsfs_runtime *rt, const char *id);
/* The id of the container whose labels name `task` and `container`, or NULL. */
const char *ecsfs_fake_runtime_find(ecsfs_runtime *rt, const char *task, const char *container);
/* The create config of container `id` (borrowed), or NULL. */
json_t *ecsfs_fake_runtime_config(ecsfs_runtime *rt, const char *id);
/* How many containers exist; with running_only, how many run. */
size_t ecsfs_fake_runtime_count(ecsfs_runtime *rt, bool running_only);
/* Print a line of output on a running container's stdout (stream 1) or
 * stderr (2), for log followers. */
int ecsfs_fake_runtime_output(ecsfs_runtime *rt, const char *id, int stream, const char *line);

/* What the stats call answers for container `id` (or name) from now on
 * (borrowed, copied): an engine stats object. Without one a container
 * reports zero counters. 0 or -ENOENT. */
int ecsfs_fake_runtime_set_stats(ecsfs_runtime *rt, const char *id, const json_t *stats);

/* What the host call answers from now on (borrowed, copied): an engine
 * /info object. Without one: 2 CPUs, 4 GiB, linux/x86_64. */
void ecsfs_fake_runtime_set_host(ecsfs_runtime *rt, const json_t *info);

/* Make a network as something else would (labels: one key and value). 0,
 * -EEXIST or -ENOMEM. */
int ecsfs_fake_runtime_add_network(ecsfs_runtime *rt, const char *name, const char *key,
				   const char *value);
/* How many networks carry `label` ("key" or "key=value"). */
size_t ecsfs_fake_runtime_networks(ecsfs_runtime *rt, const char *label);
/* A network's inspect object (caller decrefs), or NULL when there is none. */
json_t *ecsfs_fake_runtime_network(ecsfs_runtime *rt, const char *network);
/* How many running containers on `network` answer to `name` (their
 * container name or an alias), as the engine's DNS would; the first one's
 * address into `first` (may be NULL). */
size_t ecsfs_fake_runtime_resolve(ecsfs_runtime *rt, const char *network, const char *name,
				  char first[16]);

#endif
