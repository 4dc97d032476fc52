/* The load-balancer controller's state, shared by control/lb*.c. */
#ifndef ECSFS_CONTROL_LB_PRIVATE_H
#define ECSFS_CONTROL_LB_PRIVATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "ecsfs/haproxy.h"
#include "ecsfs/lb.h"
#include "ecsfs/targetgroup.h"

#define ECSFS__LB_TICK_MS 1000 /* how often HAProxy's servers are read */

/* One registered target: a task's address and port in a target group. */
typedef struct ecsfs__target {
	struct ecsfs__target *next;
	char group[ECSFS_ELB_NAME_MAX + 1];
	char task[65];
	char addr[64];
	int port;
	char *cluster, *service; /* "" after a restart until the service registers again */
	ecsfs_target_state state;
	const char *reason; /* ALB's reason code, NULL for healthy */
	char desc[160];	    /* ALB's description beside the reason */
	int64_t registered_ns;
	int64_t drain_until_ns;	  /* draining: when it leaves at the latest (monotonic) */
	bool drain_seen;	  /* HAProxy has shown it draining */
	bool seen;		  /* HAProxy has shown it at all */
	long long scur, requests; /* from the last read of HAProxy */
} ecsfs__target;

/* What went wrong with HAProxy last, for status and /ecs/errors. */
typedef struct ecsfs__lb_fault {
	int code;
	char msg[512];
} ecsfs__lb_fault;

struct ecsfs_lb {
	uv_loop_t *loop;
	ecsfs_store *store;
	char *state_dir;
	uv_timer_t timer;
	ecsfs_haproxy *hap; /* NULL until the first load balancer exists */
	bool adopting;	    /* HAProxy's servers are being read back */
	bool adopted;	    /* ... and were (or there was nothing to read) */
	bool dirty;	    /* the config must be handed to HAProxy again */
	bool reading;	    /* a read of the servers is under way */
	unsigned applying;  /* applies whose callback has not run */
	bool closing;
	bool stale; /* an HAProxy may run from before with nothing to serve */
	ecsfs__target *targets;
	json_t *used;		  /* {group: true} for the groups a listener forwards to */
	json_t *frontends;	  /* {frontend name: [lb, port]} of the last config */
	json_t *groups;		  /* {group: "HTTP"|"TCP"} in effect at the last build */
	json_t *fe_faults;	  /* {frontend name: "reason"} last told per listener */
	ecsfs__lb_fault fault;	  /* the last apply's failure (code 0: none) */
	ecsfs__lb_fault reported; /* the last one told to the error callback */
	unsigned nlb;		  /* load balancers in effect at the last build */
	void (*change_cb)(void *data);
	void *change_data;
	ecsfs_lb_error_cb error_cb;
	void *error_data;
};

/* lb_config.c: the HAProxy config the documents and targets ask for; fills
 * lb->used, lb->frontends and lb->nlb. NULL with err on a store fault. */
ecsfs_hap_config *ecsfs__lb_build(ecsfs_lb *lb, ecsfs_err *err);
/* "lb-<lb>-<port>", "tg-<group>" */
void ecsfs__lb_frontend_name(const char *lb, int port, ecsfs_buf *out);
void ecsfs__lb_backend_name(const char *group, ecsfs_buf *out);

/* lb_view.c: after an apply, tell listeners that could not listen */
void ecsfs__lb_listener_faults(ecsfs_lb *lb);

/* lb.c */
ecsfs__target *ecsfs__lb_find(ecsfs_lb *lb, const char *group, const char *task);
void ecsfs__lb_changed(ecsfs_lb *lb);

/* lb_traffic.c: the split a deployment strategy put on rule `rule_arn`,
 * as an effective forward action (caller decrefs), or NULL; and the same
 * applied to describe-rules' {"Rules": [...]} in place. */
json_t *ecsfs__lb_traffic_action(ecsfs_store *s, const char *rule_arn);
void ecsfs__lb_traffic_describe(ecsfs_store *s, json_t *rules);

#endif
