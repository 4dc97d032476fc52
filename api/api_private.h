/* ecsfs API front end: declarations shared inside api/ (prefix ecsfs__api). */
#ifndef ECSFS_API_PRIVATE_H
#define ECSFS_API_PRIVATE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "api.h"
#include "ecsfs/buf.h"
#include "ecsfs/error.h"

/*
 * One operation of an AWS service: `in` is the request's JSON object; on
 * success *out is the response object (a new reference; NULL means `{}`).
 * On failure, a negative errno with err's kind and message set: the
 * dispatcher renders the kind's exception name (ecsfs_err_kind_name()) or,
 * when the kind has no ECS name, `api_type` below.
 */
typedef int (*ecsfs__api_fn)(const ecsfs_api_core *c, const json_t *in, json_t **out,
			     ecsfs_err *err);

typedef struct ecsfs__api_op {
	const char *name; /* "CreateCluster" */
	ecsfs__api_fn fn;
} ecsfs__api_op;

/* Each file's operations, a table ended by {NULL, NULL}. */
extern const ecsfs__api_op ecsfs__ecs_cluster_ops[];
extern const ecsfs__api_op ecsfs__ecs_taskdef_ops[];
extern const ecsfs__api_op ecsfs__ecs_task_ops[];
extern const ecsfs__api_op ecsfs__ecs_service_ops[];
extern const ecsfs__api_op ecsfs__ecs_account_ops[];
extern const ecsfs__api_op ecsfs__ecs_tag_ops[];
extern const ecsfs__api_op ecsfs__ecs_instance_ops[]; /* ecs_instance.c */
extern const ecsfs__api_op ecsfs__logs_ops[];
extern const ecsfs__api_op ecsfs__autoscaling_ops[]; /* autoscaling.c */
extern const ecsfs__api_op ecsfs__scheduler_ops[];   /* scheduler.c */
extern const ecsfs__api_op ecsfs__events_ops[];	     /* events.c */

/* A service's exception for a kind of ecsfs_err, with the HTTP status the
 * REST protocols carry it in; a table ended by {.type = NULL}. A kind not
 * listed keeps ecsfs_err_kind_name()'s name. */
typedef struct ecsfs__api_errname {
	ecsfs_err_kind kind;
	const char *type; /* "ValidationException" */
	int status;	  /* 400 */
} ecsfs__api_errname;
extern const ecsfs__api_errname ecsfs__scheduler_errors[];
extern const ecsfs__api_errname ecsfs__events_errors[];

/* A query parameter of a REST-JSON operation and the input member it fills. */
typedef struct ecsfs__api_param {
	const char *name;   /* "groupName" */
	const char *member; /* "GroupName" */
	bool integer;	    /* the member is a number: "10" -> 10 */
} ecsfs__api_param;

/*
 * A REST-JSON operation's HTTP binding, as the service's model has it: the
 * method, the path (literal segments and {Member} ones, each filling that
 * member from the decoded segment), the query parameters; the body, when
 * the method has one, is the JSON object of the other members. A table
 * ended by {NULL}.
 */
typedef struct ecsfs__api_route {
	const char *method; /* "POST" */
	const char *path;   /* "/schedules/{Name}" */
	const char *op;	    /* the operation in the service's table */
	ecsfs__api_param query[6];
} ecsfs__api_route;
extern const ecsfs__api_route ecsfs__scheduler_routes[];

/* An exception name for the dispatcher when an ecsfs_err kind is not the
 * one to show: set with ecsfs__api_fail(). */
typedef struct ecsfs__api_reply {
	int status;	     /* HTTP status */
	ecsfs_buf body;	     /* JSON */
	const char *op;	     /* the operation's name, for the log ("" unknown) */
	char request_id[40]; /* x-amzn-RequestId */
	bool rest;	     /* REST-JSON: application/json, errors as below */
	char error_type[96]; /* REST-JSON's x-amzn-ErrorType ("" on success) */
} ecsfs__api_reply;

void ecsfs__api_reply_init(ecsfs__api_reply *r);
void ecsfs__api_reply_release(ecsfs__api_reply *r);

/*
 * Serve one AWS JSON 1.1 request: `target` is the X-Amz-Target header
 * ("AmazonEC2ContainerServiceV20141113.ListClusters", "Logs_20140328.GetLogEvents"),
 * `body` its bytes (any content: not JSON is SerializationException). Fills
 * r: 200 and the result, 400 and {"__type", "message"} for a client's
 * error, 500 for ServerException. Never fails itself.
 */
void ecsfs__api_dispatch(const ecsfs_api_core *c, const char *target, const char *body, size_t len,
			 ecsfs__api_reply *r);

/*
 * Serve one REST-JSON request (EventBridge Scheduler): `method`, `target`
 * the raw request target ("/schedules/nightly?groupName=default"), `body`
 * its bytes. Fills r: the operation's status and JSON, or the exception's
 * status with x-amzn-ErrorType (r->error_type) and {"Message"}.
 */
void ecsfs__api_dispatch_rest(const ecsfs_api_core *c, const char *method, const char *target,
			      const char *body, size_t len, ecsfs__api_reply *r);
/* A REST-JSON service answers requests for this path (no query). */
bool ecsfs__api_rest_serves(const char *path);

/* Render an error the caller found before dispatching (a bad signature, a
 * body too large): status, exception name, message. */
void ecsfs__api_error(ecsfs__api_reply *r, int status, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- helpers for operations (api_util.c) ---- */

/*
 * Fail with an exception that is not one of ecsfs_err's kinds
 * ("UnsupportedFeatureException", "TargetNotFoundException"...): the name is
 * kept in a thread-local slot the dispatcher reads. Returns -EINVAL.
 */
int ecsfs__api_fail(ecsfs_err *err, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const char *ecsfs__api_fail_type(void); /* and clears it */

/*
 * Typed reads of request fields. Absent (or JSON null) leaves *v as it was
 * and returns 0; a value of the wrong type is InvalidParameterException
 * naming the field; required fields that are absent are too.
 */
int ecsfs__api_str(const json_t *in, const char *key, bool required, const char **v,
		   ecsfs_err *err);
int ecsfs__api_int(const json_t *in, const char *key, bool required, int64_t *v, ecsfs_err *err);
int ecsfs__api_bool(const json_t *in, const char *key, bool *v, ecsfs_err *err);
/* An array of strings (each element checked); *v borrowed. */
int ecsfs__api_strs(const json_t *in, const char *key, bool required, const json_t **v,
		    ecsfs_err *err);

/*
 * The cluster a request names in `key` ("cluster"): a name or an ECS
 * cluster ARN; absent is "default", as ECS has it. The name goes to out.
 */
int ecsfs__api_cluster(const json_t *in, const char *key, char out[256], ecsfs_err *err);

/*
 * The last part of an ECS ARN of `kind` ("task", "service", "container-instance"),
 * or `ref` itself when it is not an ARN: "arn:…:task/prod/abc" and "abc" both
 * give "abc". NULL when ref is an ARN of another kind.
 */
const char *ecsfs__api_arn_id(const char *ref, const char *kind);

/*
 * Pagination: `all` is every item in order (stolen). Applies the request's
 * nextToken (an opaque position) and maxResults (1..max, default dflt) and
 * sets out[key] to the page and out["nextToken"] when more remain.
 */
int ecsfs__api_page(json_t *all, const json_t *in, int64_t dflt, int64_t max, json_t *out,
		    const char *key, ecsfs_err *err);

/* The same with the service's own names of the two members (Scheduler's
 * "NextToken" and "MaxResults", EventBridge's "NextToken" and "Limit"). */
typedef struct ecsfs__api_paging {
	const char *token, *limit;
} ecsfs__api_paging;
int ecsfs__api_page_as(const ecsfs__api_paging *names, json_t *all, const json_t *in, int64_t dflt,
		       int64_t max, json_t *out, const char *key, ecsfs_err *err);
/* For a list that cuts its own page: the request's position and size (the
 * token's range is the caller's to check, ecsfs__api_bad_token()), then
 * the token of the next page when `to` is short of `total`. */
int ecsfs__api_page_range(const ecsfs__api_paging *names, const json_t *in, int64_t dflt,
			  int64_t max, size_t *from, size_t *limit, ecsfs_err *err);
int ecsfs__api_bad_token(const ecsfs__api_paging *names, ecsfs_err *err);
void ecsfs__api_page_next(const ecsfs__api_paging *names, size_t to, size_t total, json_t *out);

/*
 * Describe shapes of core carry RFC 3339 strings; the JSON protocol carries
 * epoch seconds. Rewrites, in the whole tree, every string member whose key
 * ends in "At" (createdAt, stoppedAt, ...) or is listed in extra (NULL-ended,
 * may be NULL) and parses as a time.
 */
void ecsfs__api_epochs(json_t *doc, const char *const *extra);

#endif
