/* ecsfs — container instances: what instance*.c share. */
#ifndef ECSFS_INSTANCE_PRIVATE_H
#define ECSFS_INSTANCE_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include "ecsfs/instance.h"
#include "ecsfs/shape.h"

struct host_call;

/* One engine: the daemon's own (cluster NULL, `local` of every cluster)
 * or a registered instance of one cluster. */
struct ecsfs__inst {
	struct ecsfs__inst *next;
	ecsfs_instances *owner;
	char *cluster; /* NULL: local */
	char *name;
	char *endpoint;
	json_t *doc;	   /* the spec document (NULL: local) */
	ecsfs_runtime *rt; /* NULL when it could not be made (why says so) */
	bool owned;	   /* made here, closed here */
	char why[256];	   /* why it cannot be used, "" when it can */
	json_t *host;	   /* the engine's last /info, NULL until read */
	struct host_call *pending;
	bool up;		 /* reachable at the last look */
	int64_t down_since_ns;	 /* when it stopped answering (0: it answers) */
	int64_t down_since_mono; /* the same on the monotonic clock, for lost_after */
	bool lost;		 /* down past lost_after: its tasks were stopped */
	int64_t registered_ns;
};

struct ecsfs_instances {
	uv_loop_t *loop;
	ecsfs_store *store;
	ecsfs_tasks *tasks;
	ecsfs_instances_opts o;
	char *local_endpoint;
	struct ecsfs__inst local;
	struct ecsfs__inst *list; /* registered, any cluster */
	ecsfs_instances_change_cb on_change;
	void *on_change_data;
};

extern const ecsfs_shape ecsfs__instance_attr_shape;

/* The engine of instance `name` of `cluster`, or NULL. */
struct ecsfs__inst *ecsfs__inst_find(ecsfs_instances *in, const char *cluster, const char *name);
/* Is the engine connected (its runtime answers)? */
bool ecsfs__inst_connected(const struct ecsfs__inst *e);
/* Status (ACTIVE/DRAINING) and user attributes of (cluster, name): the
 * row's, else ACTIVE and none. `attrs` may be NULL. */
void ecsfs__inst_row(ecsfs_instances *in, const char *cluster, const char *name, char status[16],
		     json_t **attrs);
void ecsfs__inst_changed(ecsfs_instances *in, const char *cluster, const char *name);

/* instance_shape.c: do endpoints `a` and `b` name one engine? (one unix
 * socket under two paths, tcp:// hosts written differently) */
bool ecsfs__endpoint_same(const char *a, const char *b);

/* instance_describe.c */
/* The agent's own attributes (ecs.os-type, ecs.cpu-architecture,
 * ecs.availability-zone), then the document's, then PutAttributes' (new). */
json_t *ecsfs__inst_attributes(ecsfs_instances *in, const struct ecsfs__inst *e,
			       const char *cluster);
json_t *ecsfs__inst_describe(ecsfs_instances *in, const struct ecsfs__inst *e, const char *cluster);
void ecsfs__inst_status(ecsfs_instances *in, const struct ecsfs__inst *e, const char *cluster,
			ecsfs_buf *out);

/* instance_place.c: become the task subsystem's placer. */
void ecsfs__instances_placer(ecsfs_instances *in);
/* Append to `names` the instances of cluster whose status is `status`
 * (NULL: any) and that match `q` (NULL: all), as placement sees them. */
void ecsfs__inst_match(ecsfs_instances *in, const char *cluster, const ecsfs_cq *q,
		       const char *status, json_t *names);

#endif
