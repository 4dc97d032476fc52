/* ecsfs — container instances: the Docker engines a cluster runs its tasks on. */
#ifndef ECSFS_INSTANCE_H
#define ECSFS_INSTANCE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "ecsfs/buf.h"
#include "ecsfs/error.h"
#include "ecsfs/placement.h"
#include "ecsfs/runtime.h"
#include "ecsfs/service.h"
#include "ecsfs/store.h"
#include "ecsfs/task.h"

/*
 * Every cluster has the implicit instance `local`: the daemon's own
 * --docker engine, which serves the FARGATE and FARGATE_SPOT providers. A
 * file spec/clusters/<c>/instances/<name>.json registers another engine:
 *
 *   {"endpoint": "unix:///run/e1.sock" | "tcp://host:2376",
 *    "tls": {"ca": "/path", "cert": "/path", "key": "/path"},
 *    "attributes": [{"name": "rack", "value": "a"}],
 *    "capacityProvider": "spot-pool"}
 *
 * Each instance gets its own runtime (connection, event stream, pause
 * image, networks) from the engine factory; what it registers (CPU =
 * 1024 x the engine's NCPU, MEMORY = its MemTotal in MiB, PORTS) comes from
 * the engine's /info. An engine that stops answering makes its instance
 * agentConnected false; after `lost_after_s` its tasks stop with a reason
 * naming it, and services replace them elsewhere. Status ACTIVE or
 * DRAINING (UpdateContainerInstancesState, or a write to its `state`): a
 * DRAINING instance gets no new tasks.
 */
typedef struct ecsfs_instances ecsfs_instances;

#define ECSFS_INSTANCE_LOCAL	    "local"
#define ECSFS_INSTANCE_JSON_MAX	    65536 /* bytes of an instance's spec file */
#define ECSFS_INSTANCES_MAX	    100	  /* registered instances of one cluster */
#define ECSFS_INSTANCE_ATTRS_MAX    64	  /* attributes of one instance (user's) */
#define ECSFS_INSTANCE_LOST_AFTER_S 60	  /* default --instance-lost-after */

/* Make the runtime of an endpoint ("unix:///path", "tcp://host:port"; the
 * TLS paths may be NULL). 0 and *out (the instances subsystem closes it),
 * or -errno with a sentence in why. */
typedef int (*ecsfs_instance_engine_fn)(void *data, const char *endpoint, const char *ca,
					const char *cert, const char *key, ecsfs_runtime **out,
					ecsfs_buf *why);
/* Told when an instance appeared, changed or went away (for caches). */
typedef void (*ecsfs_instances_change_cb)(void *data, const char *cluster, const char *name);

typedef struct ecsfs_instances_opts {
	ecsfs_runtime *local;	    /* the daemon's own engine (borrowed); NULL: none */
	const char *local_endpoint; /* its endpoint, which no instance may register again */
	ecsfs_instance_engine_fn engine;
	void *engine_data;
	int lost_after_s; /* 0: ECSFS_INSTANCE_LOST_AFTER_S */
} ecsfs_instances_opts;

/*
 * Load the registered instances and make their runtimes (an endpoint that
 * cannot be used shows why in its status; nothing else waits for it).
 * `tasks` (may be NULL) is told of every engine, so it runs tasks there.
 * 0 and *out, or -errno + why.
 */
int ecsfs_instances_new(uv_loop_t *loop, ecsfs_store *store, ecsfs_tasks *tasks,
			const ecsfs_instances_opts *opts, ecsfs_instances **out, ecsfs_buf *why);
/* Take its engines from the tasks, close every runtime it made and free
 * everything (NULL is fine). Call before ecsfs_tasks_free(). */
void ecsfs_instances_free(ecsfs_instances *in);
void ecsfs_instances_set_change_cb(ecsfs_instances *in, ecsfs_instances_change_cb cb, void *data);
/* Once a second: read the hosts of engines that came up, notice lost ones. */
void ecsfs_instances_sweep(ecsfs_instances *in);
/* The daemon's own engine changed reachability (its on_change). */
void ecsfs_instances_local_changed(ecsfs_instances *in);

/* The rules of an instance document; InvalidParameter -EINVAL naming the
 * field (unknown fields, endpoint form, TLS files that are missing). */
int ecsfs_instance_check(const char *cluster, const char *name, const json_t *doc, ecsfs_err *err);
/*
 * Register or update instance `name` of `cluster` from its document;
 * `file` gives the bytes its spec file keeps (NULL: the document pretty).
 * Errors: the check's, ClusterNotFound, InvalidParameter -EINVAL for the
 * name `local` or an endpoint another instance has, LimitExceeded, Server.
 */
int ecsfs_instance_put(ecsfs_instances *in, const char *cluster, const char *name,
		       const json_t *doc, const ecsfs_spec_bytes *file, ecsfs_err *err);
/* Deregister it (its spec file goes too). ClientException -EBUSY while
 * tasks that are not STOPPED are on it; -ENOENT for none. */
int ecsfs_instance_delete(ecsfs_instances *in, const char *cluster, const char *name,
			  ecsfs_err *err);
/* 0 when cluster has an instance `name` (`local` for every cluster), -ENOENT. */
int ecsfs_instance_exists(ecsfs_instances *in, const char *cluster, const char *name);
/* The instances of a cluster, `local` first, then by name. */
int ecsfs_instance_list(ecsfs_instances *in, const char *cluster, ecsfs_store_name_cb cb,
			void *data);
/* describe-container-instances' shape of one (caller decrefs). -ENOENT. */
int ecsfs_instance_describe(ecsfs_instances *in, const char *cluster, const char *name,
			    json_t **out);
/* "key: value" lines: endpoint, connected, why not, status, resources, tasks. */
int ecsfs_instance_status(ecsfs_instances *in, const char *cluster, const char *name,
			  ecsfs_buf *out);
/* "ACTIVE\n" or "DRAINING\n". */
int ecsfs_instance_state(ecsfs_instances *in, const char *cluster, const char *name,
			 ecsfs_buf *out);
/* Is `text` ("DRAINING", "ACTIVE", blanks around) a state? InvalidParameter. */
int ecsfs_instance_state_check(const char *text, size_t len, ecsfs_err *err);
/* UpdateContainerInstancesState: ACTIVE or DRAINING, durably. */
int ecsfs_instance_set_state(ecsfs_instances *in, const char *cluster, const char *name,
			     const char *status, ecsfs_err *err);

/* ---- the ECS API's calls (core/model/instance_attrs.c) ---- */

/* The instance a reference names in `cluster`: an id ("e1") or a
 * container-instance ARN (of that cluster, or of the old form without
 * one); a pointer into ref, or NULL when it is neither. */
const char *ecsfs_instance_ref(const char *cluster, const char *ref);
/*
 * ListContainerInstances: the names of the instances of `cluster` (local
 * first, then by name) whose status is `status` (NULL: any) and that
 * match `q` (NULL: all), as a new array in *names. ClusterNotFound.
 */
int ecsfs_instance_query(ecsfs_instances *in, const char *cluster, const ecsfs_cq *q,
			 const char *status, json_t **names, ecsfs_err *err);
/*
 * PutAttributes / DeleteAttributes: `req` is the request ({"attributes":
 * [{"name", "value", "targetType", "targetId"}], "cluster"}). Custom
 * attributes only: a registered instance's are its spec document's
 * `attributes` (the change is an ecsfs_instance_put() of the new document,
 * so its spec file shows it); local's are kept in its row. Every item is
 * checked before anything changes. Errors: ClusterNotFound;
 * InvalidParameter -EINVAL (the attribute rules, more than 10 items, an
 * ecs.* name: those are the agent's); ResourceNotFound -ENOENT for a
 * target that is no instance of the cluster (ECS's
 * TargetNotFoundException); LimitExceeded -ENOSPC past
 * ECSFS_INSTANCE_ATTRS_MAX; Server. Deleting an attribute an instance
 * does not have is no error.
 */
int ecsfs_instance_attrs_put(ecsfs_instances *in, const char *cluster, const json_t *req,
			     ecsfs_err *err);
int ecsfs_instance_attrs_delete(ecsfs_instances *in, const char *cluster, const json_t *req,
				ecsfs_err *err);
/*
 * ListAttributes of target type container-instance: every attribute (the
 * agent's and the custom ones) of every instance of `cluster`, as
 * [{"name", "value", "targetType", "targetId": ARN}], only those named
 * `name` (NULL: any) and, with a name, of value `value` (NULL: any).
 * ClusterNotFound; InvalidParameter for a value without a name.
 */
int ecsfs_instance_attrs_list(ecsfs_instances *in, const char *cluster, const char *name,
			      const char *value, json_t **out, ecsfs_err *err);

/* The capacity providers registered instances (of any cluster) name, each
 * once, by name: a new array. */
json_t *ecsfs_instance_providers(ecsfs_instances *in);

/* ---- the reconciler's engines (core/control/reconciler_engine.c) ---- */

/* Run the tasks of instance `name` of `cluster` on `rt` (borrowed until
 * ecsfs_tasks_engine_remove()) at `endpoint` (its published ports are on
 * the host of tcp://host:port, else on this host). 0, -EEXIST, -EINVAL
 * for local. */
int ecsfs_tasks_engine_add(ecsfs_tasks *t, const char *cluster, const char *name,
			   const char *endpoint, ecsfs_runtime *rt);
/* Forget that engine; calls still in flight on it are cut loose (close the
 * runtime after). */
void ecsfs_tasks_engine_remove(ecsfs_tasks *t, const char *cluster, const char *name);
/* The reachability of runtime `rt` changed (the daemon's, or an instance's). */
void ecsfs_tasks_engine_changed(ecsfs_tasks *t, ecsfs_runtime *rt);
/* The instance is lost: each of its tasks that is not STOPPED is STOPPED
 * now with `reason`, without a call to its engine; containers it left there
 * are removed if the engine answers again. How many tasks. */
size_t ecsfs_tasks_engine_lost(ecsfs_tasks *t, const char *cluster, const char *name,
			       const char *reason);
/* The runtime task `id` runs on, or NULL. */
ecsfs_runtime *ecsfs_tasks_runtime_of(ecsfs_tasks *t, const char *id);

#endif
