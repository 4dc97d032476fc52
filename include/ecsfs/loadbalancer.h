/* ecsfs — ELBv2 load balancers: the documents of spec/loadbalancers/<lb>.json. */
#ifndef ECSFS_LOADBALANCER_H
#define ECSFS_LOADBALANCER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "ecsfs/buf.h"
#include "ecsfs/error.h"
#include "ecsfs/store.h"

/*
 * A load balancer is CreateLoadBalancer's input (Type application|network,
 * Scheme internal — the default here, listening on 127.0.0.1 — or
 * internet-facing, on every address) plus `Listeners`: CreateListener's
 * input without LoadBalancerArn, each with `Rules`: CreateRule's input
 * without ListenerArn. Stored like a target group (ecsfs/targetgroup.h).
 *
 * A forward may name a target group that does not exist yet (rsync applies
 * loadbalancers/ before targetgroups/): it answers 503 and the load
 * balancer's status says so until the group appears.
 *
 * Errors: -EINVAL with the field's path (unknown fields, ranges, a priority
 * used twice, an action that names no target group, a listener protocol
 * that does not fit its target group's), -EADDRINUSE (a listener port
 * another load balancer has), -ENOENT, -ENOSPC, -EIO.
 */
#define ECSFS_SPEC_LOADBALANCERS "/spec/loadbalancers"
#define ECSFS_LB_LISTENERS_MAX	 50  /* per load balancer (ELBv2's quota) */
#define ECSFS_LB_RULES_MAX	 100 /* per listener, besides the default */

int ecsfs_loadbalancer_check(const char *name, const char *data, size_t len, bool partial,
			     ecsfs_err *err);
/* The same, and once the document is whole, against the other load
 * balancers and the target groups in effect (what apply checks). */
int ecsfs_loadbalancer_check_store(ecsfs_store *s, const char *name, const char *data, size_t len,
				   bool partial, ecsfs_err *err);
/* Check (also against the other load balancers and the target groups), then
 * store the bytes and the document in effect. */
int ecsfs_loadbalancer_apply(ecsfs_store *s, const char *name, const char *data, size_t len,
			     const ecsfs_file_meta *meta, ecsfs_err *err);
int ecsfs_loadbalancer_delete(ecsfs_store *s, const char *name, ecsfs_err *err);
int ecsfs_loadbalancer_exists(ecsfs_store *s, const char *name, ecsfs_err *err);
int ecsfs_loadbalancer_list(ecsfs_store *s, ecsfs_store_name_cb cb, void *data);

/* The listener ports of a document (checked or in effect), for the caller's
 * own checks; *ports is malloc'ed (caller frees). */
int ecsfs_loadbalancer_ports(const json_t *doc, int **ports, size_t *n);

/* "127.0.0.1" (internal) or "0.0.0.0" (internet-facing). */
const char *ecsfs_loadbalancer_bind_addr(const json_t *doc);

/* ARNs: loadbalancer/app|net/<name>/<id>, and its listeners and rules. */
void ecsfs_loadbalancer_arn(const char *name, bool network, ecsfs_buf *out);
void ecsfs_listener_arn(const char *lb, bool network, int port, ecsfs_buf *out);
/* priority 0: the listener's default rule */
void ecsfs_rule_arn(const char *lb, bool network, int port, int priority, ecsfs_buf *out);

/* describe-load-balancers' element (State.Code "active"; the controller
 * tells otherwise), describe-listeners' {"Listeners": [...]}, and
 * describe-rules' {"Rules": [...]} of every listener. Caller decrefs. */
int ecsfs_loadbalancer_describe(ecsfs_store *s, const char *name, json_t **out, ecsfs_err *err);
int ecsfs_loadbalancer_listeners(ecsfs_store *s, const char *name, json_t **out, ecsfs_err *err);
int ecsfs_loadbalancer_rules(ecsfs_store *s, const char *name, json_t **out, ecsfs_err *err);

#endif
