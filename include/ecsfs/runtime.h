/* ecsfs — the container runtime boundary. */
#ifndef ECSFS_RUNTIME_H
#define ECSFS_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

/*
 * A runtime runs containers for the reconciler. It is a table of functions
 * (like redis's ConnectionType or sqlite's vfs): the Docker Engine client is
 * the real implementation (docker.h), a fake one (tests/unit/fake/) drives unit tests.
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

/*
 * The result of one container or image call, on the loop thread, exactly
 * once, never from within the call that started it.
 *
 * `err` is 0 or a negative errno; `result` (borrowed, may be NULL) is the
 * engine's JSON answer where the call has one; `errmsg` is a sentence for
 * a person when err != 0 (the engine's own message where it sent one),
 * "" otherwise. Errors every call may give: -ECONNREFUSED/-ENOENT (no
 * engine at the socket), -ETIMEDOUT, -ECANCELED (the runtime closed),
 * -ENOMEM, -EIO (the engine answered with an unexpected status: errmsg
 * holds its message).
 */
typedef void (*ecsfs_runtime_cb)(void *data, int err, json_t *result, const char *errmsg);

/*
 * An event about a container that carries the label ECSFS_LABEL_MANAGED,
 * as the engine's /events stream sent it (borrowed): "Type", "Action"
 * ("create", "start", "die", "stop", "destroy", "health_status: healthy",
 * "oom", ...), "Actor": {"ID", "Attributes": {labels..., "exitCode"}}.
 * Called with NULL each time the stream (re)starts: events may have been
 * missed, so the subscriber should look at everything again.
 */
typedef void (*ecsfs_runtime_event_cb)(void *data, json_t *event);

/* A container's output as it arrives, one line at a time (without its
 * '\n'; a last line without one is delivered when the stream ends).
 * `stream` is 1 for stdout, 2 for stderr; `ts_ns` the engine's timestamp of
 * the line (nanoseconds since the epoch). */
typedef void (*ecsfs_runtime_line_cb)(void *data, int stream, int64_t ts_ns, const char *line,
				      size_t len);
/* The log stream ended: 0 when the container stopped (or was gone), else a
 * negative errno (-ECANCELED after ecsfs_runtime_logs_cancel()). Called
 * exactly once; the handle is invalid afterwards. */
typedef void (*ecsfs_runtime_end_cb)(void *data, int err);
typedef struct ecsfs_runtime_logs ecsfs_runtime_logs;

/* Labels on every container ecsfs makes (values are plain strings). */
#define ECSFS_LABEL_MANAGED   "ecsfs.managed"	/* "1" */
#define ECSFS_LABEL_TASK      "ecsfs.task"	/* task id, 32 hex */
#define ECSFS_LABEL_CLUSTER   "ecsfs.cluster"	/* cluster name */
#define ECSFS_LABEL_CONTAINER "ecsfs.container" /* container name; "~pause" for the pause */

typedef struct ecsfs_runtime_ops {
	/* Begin probing the engine; later probes are the runtime's own business
	 * (retry with backoff while unreachable, periodic checks while up).
	 * Returns 0 or -errno. */
	int (*start)(ecsfs_runtime *rt);
	/* Copy the current state into *out. Never fails. */
	void (*info)(ecsfs_runtime *rt, ecsfs_runtime_info *out);
	/* Stop all work and release the runtime. `done` (may be NULL) is called
	 * on the loop thread once every handle is closed and memory is freed.
	 * Calls still pending get -ECANCELED first. */
	void (*close)(ecsfs_runtime *rt, void (*done)(void *data), void *data);

	/*
	 * Container and image calls. Each returns 0 when the call was started
	 * (cb will be called) or a negative errno when it could not be (cb is
	 * never called): -EINVAL for a bad argument, -ECANCELED once closing,
	 * -ENOMEM.
	 */

	/* Create a container named `name` from `config`, the engine's create
	 * body (Docker's ContainerConfig with "HostConfig"; borrowed). result:
	 * {"Id": "..."}. -EEXIST: the name is taken (errmsg has the engine's
	 * text); -ENOENT: the image is not present. */
	int (*create)(ecsfs_runtime *rt, const char *name, json_t *config, ecsfs_runtime_cb cb,
		      void *data);
	/* Start a created container; starting a running one is not an error.
	 * -ENOENT: no such container. */
	int (*start_container)(ecsfs_runtime *rt, const char *id, ecsfs_runtime_cb cb, void *data);
	/* Send SIGTERM (or the image's stop signal), wait `timeout_s`, then
	 * SIGKILL; cb runs once the container has stopped. Stopping a stopped
	 * container is not an error. -ENOENT: no such container. */
	int (*stop)(ecsfs_runtime *rt, const char *id, int timeout_s, ecsfs_runtime_cb cb,
		    void *data);
	/* Remove a container, running or not, with its anonymous volumes.
	 * -ENOENT: it was not there (callers usually treat that as done);
	 * -EINPROGRESS: the engine is removing it already (its "destroy"
	 * event follows once that is over). */
	int (*remove)(ecsfs_runtime *rt, const char *id, ecsfs_runtime_cb cb, void *data);
	/* result: the engine's inspect object of a container (id or name).
	 * -ENOENT: no such container. */
	int (*inspect)(ecsfs_runtime *rt, const char *id, ecsfs_runtime_cb cb, void *data);
	/* result: array of summaries (as GET /containers/json?all=1) of every
	 * container, running or not, that has the label `label` ("key" or
	 * "key=value"). */
	int (*list)(ecsfs_runtime *rt, const char *label, ecsfs_runtime_cb cb, void *data);
	/* result: the engine's inspect object of an image. -ENOENT: absent. */
	int (*image_inspect)(ecsfs_runtime *rt, const char *ref, ecsfs_runtime_cb cb, void *data);
	/* Pull `ref` ("name", "name:tag", "registry/name@sha256:..."); a
	 * reference without tag pulls ":latest". cb runs when the pull is over;
	 * a failure the engine reports inside its progress stream is an error
	 * (-EIO, errmsg = the engine's message). */
	int (*image_pull)(ecsfs_runtime *rt, const char *ref, ecsfs_runtime_cb cb, void *data);
	/* Make image `ref` ("name:tag") from a tar of a root filesystem (`tar`,
	 * `len` bytes, copied), with `cmd` (may be NULL) as its command, e.g.
	 * "[\"/pause\"]". */
	int (*image_import)(ecsfs_runtime *rt, const char *ref, const void *tar, size_t len,
			    const char *cmd_json, ecsfs_runtime_cb cb, void *data);
	/* Create a named volume (`body`: the engine's VolumeCreateRequest,
	 * borrowed); an existing one of that name is not an error. result: the
	 * volume. */
	int (*volume_create)(ecsfs_runtime *rt, json_t *body, ecsfs_runtime_cb cb, void *data);
	/* Remove a named volume. -ENOENT: it was not there; -EBUSY: in use. */
	int (*volume_remove)(ecsfs_runtime *rt, const char *name, ecsfs_runtime_cb cb, void *data);
	/*
	 * Networks, for tasks with their own address (awsvpc): one bridge
	 * network per cluster, which the runtime's engine gives a subnet and
	 * whose embedded DNS answers the aliases of its containers.
	 */
	/* Create a network (`body`: the engine's NetworkCreateRequest, borrowed:
	 * Name, Driver, Labels, IPAM). result: {"Id": "..."}. -EEXIST: a
	 * network of that name exists; -EIO with the engine's words when no
	 * subnet is left in its pools. */
	int (*network_create)(ecsfs_runtime *rt, json_t *body, ecsfs_runtime_cb cb, void *data);
	/* result: the engine's inspect object of a network (id or name): Name,
	 * Id, Labels, IPAM.Config[].Subnet/Gateway, Containers. -ENOENT: none. */
	int (*network_inspect)(ecsfs_runtime *rt, const char *name, ecsfs_runtime_cb cb,
			       void *data);
	/* Remove a network. -ENOENT: it was not there; -EBUSY: running
	 * containers are still attached. */
	int (*network_remove)(ecsfs_runtime *rt, const char *name, ecsfs_runtime_cb cb, void *data);
	/* result: array of inspect objects of every network that has the label
	 * `label` ("key" or "key=value"). */
	int (*network_list)(ecsfs_runtime *rt, const char *label, ecsfs_runtime_cb cb, void *data);
	/* Take container `id` off network `name` at once (its address and
	 * aliases leave the network's DNS; the container keeps running).
	 * -ENOENT: no such network or container; -EIO: it was not attached. */
	int (*network_disconnect)(ecsfs_runtime *rt, const char *name, const char *id,
				  ecsfs_runtime_cb cb, void *data);
	/* One sample of a container's resource use (id or name): result is
	 * the engine's stats object (Docker's one-shot ContainerStatsResponse:
	 * "read", cpu_stats.cpu_usage.total_usage in ns, memory_stats.usage and
	 * .stats, networks.<if>.rx_bytes/tx_bytes, blkio_stats), whose
	 * counters only grow while it runs. -ENOENT: no such container. */
	int (*stats)(ecsfs_runtime *rt, const char *id, ecsfs_runtime_cb cb, void *data);
	/* What the engine says of its host (Docker's GET /info): at least
	 * "NCPU", "MemTotal" (bytes), "OSType", "Architecture", "Name",
	 * "ServerVersion". What a container instance registers. */
	int (*host)(ecsfs_runtime *rt, ecsfs_runtime_cb cb, void *data);
	/* Subscribe to events of managed containers (one subscriber; a second
	 * call replaces the first; NULL unsubscribes). The runtime keeps the
	 * event stream open while the engine is reachable and reopens it when
	 * it breaks, calling cb(data, NULL) each time it (re)opens. */
	void (*watch)(ecsfs_runtime *rt, ecsfs_runtime_event_cb cb, void *data);
	/* Follow a container's stdout and stderr from `since_ns` (0: from the
	 * start) until it stops. Returns a handle for logs_cancel(), or NULL
	 * when it could not start (then end is never called). */
	ecsfs_runtime_logs *(*logs)(ecsfs_runtime *rt, const char *id, int64_t since_ns,
				    ecsfs_runtime_line_cb line, ecsfs_runtime_end_cb end,
				    void *data);
	/* Stop following: end gets -ECANCELED on a later loop iteration. */
	void (*logs_cancel)(ecsfs_runtime_logs *l);
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

#endif
