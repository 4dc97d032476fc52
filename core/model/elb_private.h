/* Shared inside core between the ELBv2 model (targetgroup.c, loadbalancer*.c)
 * and the load-balancer controller (control/lb*.c). */
#ifndef ECSFS_MODEL_ELB_PRIVATE_H
#define ECSFS_MODEL_ELB_PRIVATE_H

#include <jansson.h>
#include <stdint.h>

#include "ecsfs/error.h"
#include "ecsfs/loadbalancer.h"
#include "ecsfs/shape.h"
#include "ecsfs/store.h"
#include "ecsfs/targetgroup.h"

/* An ELBv2 tag {Key, Value}, as both kinds take them. */
extern const ecsfs_field ecsfs__elb_tag;

/* Store a spec file's bytes and the document in effect in one transaction. */
int ecsfs__elb_put(ecsfs_store *s, const char *kind, const char *dir, const char *name,
		   const char *data, size_t len, const ecsfs_file_meta *meta, const json_t *doc,
		   ecsfs_err *err);
/* The stored document of kind/name (*doc: caller decrefs); created_ns may be NULL. */
int ecsfs__elb_load(ecsfs_store *s, const char *kind, const char *name, json_t **doc,
		    int64_t *created_ns, ecsfs_err *err);
/* -ENOSPC when a new `name` of `kind` would pass `max`. */
int ecsfs__elb_room(ecsfs_store *s, const char *kind, const char *name, size_t max, ecsfs_err *err);

/* Set o[key] to v unless o has key already; takes v's reference either way. */
void ecsfs__elb_set_default(json_t *o, const char *key, json_t *v);

/*
 * A target group's document in effect: every field ELBv2 defaults filled in
 * (HealthCheck*, Matcher, TargetType, ...), `Name` set, and `Attributes`
 * holding every attribute that applies with its value or default.
 */
json_t *ecsfs__tg_effective(const char *name, const json_t *doc);
int ecsfs__tg_load(ecsfs_store *s, const char *name, json_t **eff, ecsfs_err *err);
/* The value of attribute `key` of an effective document, or NULL. */
const char *ecsfs__tg_attr(const json_t *eff, const char *key);

/*
 * A load balancer's document in effect: Type, Scheme, IpAddressType set;
 * each listener with its Protocol, its Rules in ascending Priority; each
 * condition as {Field, Values[, HttpHeaderName]}; each forward action with
 * ForwardConfig.TargetGroups [{TargetGroupArn (the reference as written),
 * Weight}].
 */
int ecsfs__lb_load(ecsfs_store *s, const char *name, json_t **eff, int64_t *created_ns,
		   ecsfs_err *err);
/* The ARNs of the load balancers with a listener that forwards to group `tg`. */
json_t *ecsfs__lb_arns_using(ecsfs_store *s, const char *tg);
/* Call cb with the target group name of every forward of `action` (effective form). */
void ecsfs__lb_action_groups(const json_t *action,
			     void (*cb)(void *data, const char *tg, int weight), void *data);

#endif
