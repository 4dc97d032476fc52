/* ecsfs — errors of core operations: a kind (the AWS exception it is), the
 * -errno the file tree gives for it, and a sentence for a person. */
#ifndef ECSFS_ERROR_H
#define ECSFS_ERROR_H

#include "ecsfs/buf.h"

/*
 * What went wrong, as the ECS API names it. Front ends render a kind their
 * own way: fs/ returns the errno beside it (DESIGN §3's map), api/ the
 * exception name (ecsfs_err_kind_name()). ECSFS_E_NONE on an error means
 * "not said": the kind follows from the errno (ecsfs_err_kind()).
 */
typedef enum ecsfs_err_kind {
	ECSFS_E_NONE = 0,
	ECSFS_E_INVALID_PARAMETER,	   /* a bad value or document */
	ECSFS_E_CLIENT,			   /* a reference that names nothing, a wrong state */
	ECSFS_E_CLUSTER_NOT_FOUND,	   /* no such cluster */
	ECSFS_E_SERVICE_NOT_FOUND,	   /* no such service */
	ECSFS_E_SERVICE_NOT_ACTIVE,	   /* the service is DRAINING or INACTIVE */
	ECSFS_E_RESOURCE_IN_USE,	   /* the name is taken, or the thing is busy */
	ECSFS_E_CLUSTER_CONTAINS_SERVICES, /* delete of a cluster with services */
	ECSFS_E_CLUSTER_CONTAINS_TASKS,	   /* delete of a cluster with tasks */
	ECSFS_E_LIMIT_EXCEEDED,		   /* a limit on a resource was hit */
	ECSFS_E_RESOURCE_NOT_FOUND,	   /* a target group, load balancer, schedule... */
	ECSFS_E_ACCESS_DENIED,		   /* the wrong kind of access */
	ECSFS_E_SERVER,			   /* an internal fault (the log has the cause) */
	ECSFS_E_KINDS
} ecsfs_err_kind;

/*
 * The error of one call. Caller-owned: ecsfs_err_init() before the call,
 * ecsfs_err_release() after. A callee that fails sets code (negative errno),
 * may set kind, and appends its reason to msg; on success it leaves all
 * three as they were.
 */
typedef struct ecsfs_err {
	ecsfs_buf msg;
	ecsfs_err_kind kind;
	int code;
} ecsfs_err;

#define ECSFS_ERR_INIT                          \
	{                                       \
		ECSFS_BUF_INIT, ECSFS_E_NONE, 0 \
	}

void ecsfs_err_init(ecsfs_err *e);
void ecsfs_err_release(ecsfs_err *e);
/* Back to "no error" (the buffer is kept for reuse). */
void ecsfs_err_reset(ecsfs_err *e);

/*
 * Record an error: `code` is a negative errno, `kind` what it is; the
 * formatted reason replaces any earlier one. Returns `code`, so a callee
 * can `return ecsfs_err_set(err, ECSFS_E_CLUSTER_NOT_FOUND, -ENOENT, ...)`.
 * `e` may be NULL (the caller does not want the reason).
 */
int ecsfs_err_set(ecsfs_err *e, ecsfs_err_kind kind, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * Record the outcome `code` of a call that only gave an errno and a reason
 * in e->msg (the older, ecsfs_buf-only interfaces): a negative code becomes
 * e->code with `kind` (ECSFS_E_NONE: the one the errno implies). Returns
 * `code` unchanged, so `return ecsfs_err_from(err, KIND, f(..., &err->msg));`.
 */
int ecsfs_err_from(ecsfs_err *e, ecsfs_err_kind kind, int code);

/* The kind of an error: its own, or the one its errno implies. */
ecsfs_err_kind ecsfs_err_kind_of(const ecsfs_err *e);
/* The kind an errno implies (EINVAL: InvalidParameter, ENOENT: Client, ...). */
ecsfs_err_kind ecsfs_err_kind_for(int code);
/* The AWS exception name of a kind: "ClusterNotFoundException", ... */
const char *ecsfs_err_kind_name(ecsfs_err_kind kind);

#endif
