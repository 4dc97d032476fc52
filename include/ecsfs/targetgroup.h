/* ecsfs — ELBv2 target groups: the documents of spec/targetgroups/<tg>.json. */
#ifndef ECSFS_TARGETGROUP_H
#define ECSFS_TARGETGROUP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "ecsfs/buf.h"
#include "ecsfs/error.h"
#include "ecsfs/store.h"

/*
 * A target group is CreateTargetGroup's input (PascalCase, as ELBv2 writes
 * it) plus `Attributes: [{Key, Value}]`, named by its file. Its bytes are a
 * `files` row of the spec tree; the document in effect is a row of the
 * store's elb table, so a removed file keeps its meaning through the grace
 * period (an editor's rename-and-rewrite is an update).
 *
 * Errors: -EINVAL (InvalidParameter) with the field's path, -ENOENT
 * (ResourceNotFound), -ENOSPC (LimitExceeded), -EIO (the store).
 */
#define ECSFS_SPEC_TARGETGROUPS "/spec/targetgroups"
#define ECSFS_ELB_NAME_MAX	32     /* ELBv2's limit on target group and load balancer names */
#define ECSFS_ELB_JSON_MAX	262144 /* bytes of one document */
#define ECSFS_TARGETGROUPS_MAX	1000
#define ECSFS_LOADBALANCERS_MAX 100

/*
 * Check an ELBv2 name (`what`: "target group", "load balancer"): 1 to 32
 * letters, digits and hyphens, not starting or ending with a hyphen.
 * 0 or -EINVAL + err. The _rule form fits ecsfs_field.rule.
 */
int ecsfs_elb_name_check(const char *name, const char *what, ecsfs_err *err);
int ecsfs_elb_name_rule(const char *name, const char *what, ecsfs_buf *why);

/* The 16 hex digits of an ELBv2 ARN's last part, derived from `kind`
 * ("targetgroup", "app", "net", ...) and the name, so a repository can
 * write it. */
void ecsfs_elb_id(const char *kind, const char *name, char out[17]);

/* Append arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>. */
void ecsfs_targetgroup_arn(const char *name, ecsfs_buf *out);

/*
 * The name a target group reference stands for: the bare name, or the name
 * inside its ARN (this daemon's region and account, and the id the name
 * gives). 0 and out filled, or -EINVAL + err.
 */
int ecsfs_targetgroup_ref_name(const char *ref, char out[ECSFS_ELB_NAME_MAX + 1], ecsfs_err *err);

/* Do two target group references (names or ARNs) name the same group? A
 * reference that is neither is compared as text; NULL matches nothing. */
bool ecsfs_targetgroup_same(const char *a, const char *b);

/* Check the bytes of spec/targetgroups/<name>.json (partial: a plain
 * append so far; only refuse what no more bytes could cure). */
int ecsfs_targetgroup_check(const char *name, const char *data, size_t len, bool partial,
			    ecsfs_err *err);
/* Check, then store the bytes (with meta) and the document in effect. */
int ecsfs_targetgroup_apply(ecsfs_store *s, const char *name, const char *data, size_t len,
			    const ecsfs_file_meta *meta, ecsfs_err *err);
/* Delete the target group (its file, if still there, and its row). */
int ecsfs_targetgroup_delete(ecsfs_store *s, const char *name, ecsfs_err *err);
/* 0 when target group `name` is in effect, else -ENOENT + err. */
int ecsfs_targetgroup_exists(ecsfs_store *s, const char *name, ecsfs_err *err);
/* Names of the target groups in effect, in order. */
int ecsfs_targetgroup_list(ecsfs_store *s, ecsfs_store_name_cb cb, void *data);
/* describe-target-groups' element for `name` (*out: caller decrefs). */
int ecsfs_targetgroup_describe(ecsfs_store *s, const char *name, json_t **out, ecsfs_err *err);

#endif
