/* ecsfs — ELBv2 target groups: the documents of spec/targetgroups/<tg>.json. */
#ifndef ECSFS_TARGETGROUP_H
#define ECSFS_TARGETGROUP_H

#include <stdbool.h>
#include <stddef.h>

#include "ecsfs/buf.h"
#include "ecsfs/error.h"
#include "ecsfs/store.h"

#define ECSFS_SPEC_TARGETGROUPS "/spec/targetgroups"
#define ECSFS_ELB_NAME_MAX	32 /* ELBv2's limit on target group and load balancer names */

/*
 * Check an ELBv2 name (`what`: "target group", "load balancer"): 1 to 32
 * letters, digits and hyphens, not starting or ending with a hyphen.
 * 0 or -EINVAL + err.
 */
int ecsfs_elb_name_check(const char *name, const char *what, ecsfs_err *err);

/*
 * The name a target group reference stands for: the bare name, or the name
 * inside arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>
 * (whose id must be the one the name gives). 0 and out filled, or -EINVAL.
 */
int ecsfs_targetgroup_ref_name(const char *ref, char out[ECSFS_ELB_NAME_MAX + 1], ecsfs_err *err);

/* 0 when a spec document of target group `name` exists, else -ENOENT + err. */
int ecsfs_targetgroup_exists(ecsfs_store *s, const char *name, ecsfs_err *err);

/* The 16 hex digits of an ELBv2 ARN's last part, derived from `kind`
 * ("targetgroup", "app", "net") and the name, so a repository can write it. */
void ecsfs_elb_id(const char *kind, const char *name, char out[17]);

#endif
