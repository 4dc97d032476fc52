/*
 * Where every request is routed. The AWS JSON 1.1 protocol: X-Amz-Target
 * names the service and the operation, the body is a JSON object, the
 * answer is a JSON object or {"__type", "message"} with a 4xx/5xx status.
 * REST-JSON (EventBridge Scheduler): the method and path name the
 * operation, path segments, query parameters and the body fill its input,
 * errors are x-amzn-ErrorType with {"Message"} and the exception's status.
 * Both end in the same call of the operation.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "api_private.h"
#include "ecsfs/util.h"

#define MAX_DEPTH 64 /* deeper request bodies are refused before parsing */

struct target {
	const char *prefix;  /* X-Amz-Target before the '.' */
	const char *service; /* its short name, "ecs" */
	const ecsfs__api_op *const *tables;
	const ecsfs__api_errname *errors; /* NULL: ecsfs_err_kind_name()'s */
};

/* A REST-JSON service: its operations and their HTTP bindings. */
struct rest {
	const char *service;
	const ecsfs__api_op *ops;
	const ecsfs__api_route *routes;
	const ecsfs__api_errname *errors;
};

static const ecsfs__api_op *const ecs_tables[] = {
    ecsfs__ecs_cluster_ops,
    ecsfs__ecs_taskdef_ops,
    ecsfs__ecs_task_ops,
    ecsfs__ecs_service_ops,
    ecsfs__ecs_account_ops,
    ecsfs__ecs_tag_ops,
    ecsfs__ecs_instance_ops, /* container instances, attributes */
    NULL,
};
static const ecsfs__api_op *const logs_tables[] = {ecsfs__logs_ops, NULL};

static const struct target targets[] = {
    {"AmazonEC2ContainerServiceV20141113", "ecs", ecs_tables, NULL},
    {"Logs_20140328", "logs", logs_tables, NULL},
    {"AnyScaleFrontendService", "application-autoscaling",
     (const ecsfs__api_op *const[]){ecsfs__autoscaling_ops, NULL}, NULL},
    {"AWSEvents", "events", (const ecsfs__api_op *const[]){ecsfs__events_ops, NULL},
     ecsfs__events_errors},
};

static const struct rest rests[] = {
    {"scheduler", ecsfs__scheduler_ops, ecsfs__scheduler_routes, ecsfs__scheduler_errors},
};

void ecsfs__api_reply_init(ecsfs__api_reply *r)
{
	unsigned char b[16];
	memset(r, 0, sizeof(*r));
	ecsfs_buf_init(&r->body);
	r->op = "";
	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		memset(b, 0, sizeof(b));
	b[6] = (b[6] & 0x0f) | 0x40; /* a version 4 UUID */
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(r->request_id, sizeof(r->request_id),
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
		 b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
		 b[15]);
}

void ecsfs__api_reply_release(ecsfs__api_reply *r)
{
	ecsfs_buf_release(&r->body);
}

/* msg as a JSON string: bytes that are not UTF-8 (a client's raw target,
 * a body's text in jansson's message) become '?', never a missing message. */
static json_t *message_string(const char *msg)
{
	json_t *j = json_string(msg);
	char *copy;

	if (j)
		return j;
	copy = strdup(msg);
	if (!copy)
		return NULL;
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

static void render_error(ecsfs__api_reply *r, int status, const char *type, const char *msg)
{
	json_t *j = r->rest
			? json_pack("{s:o?}", "Message", message_string(msg))
			: json_pack("{s:s, s:o?}", "__type", type, "message", message_string(msg));
	ecsfs_buf_reset(&r->body);
	r->status = status;
	if (r->rest)
		snprintf(r->error_type, sizeof(r->error_type), "%s", type);
	if (j) {
		char *s = json_dumps(j, JSON_COMPACT);
		if (s)
			ecsfs_buf_adds(&r->body, s);
		free(s);
		json_decref(j);
	}
	if (!r->body.len)
		ecsfs_buf_adds(&r->body,
			       "{\"__type\":\"ServerException\",\"message\":\"out of memory\"}");
}

void ecsfs__api_error(ecsfs__api_reply *r, int status, const char *type, const char *fmt, ...)
{
	ecsfs_buf msg = ECSFS_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	ecsfs_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	render_error(r, status, type, msg.data ? msg.data : "");
	ecsfs_buf_release(&msg);
}

static const ecsfs__api_op *find_op(const char *target, const struct target **svc,
				    bool *known_service)
{
	const char *dot = strrchr(target, '.');
	size_t plen;
	*known_service = false;
	if (!dot)
		return NULL;
	plen = (size_t)(dot - target);
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		if (strlen(targets[i].prefix) != plen ||
		    strncmp(targets[i].prefix, target, plen) != 0)
			continue;
		*known_service = true;
		*svc = &targets[i];
		for (const ecsfs__api_op *const *t = targets[i].tables; *t; t++)
			for (const ecsfs__api_op *op = *t; op->name; op++)
				if (strcmp(op->name, dot + 1) == 0)
					return op;
	}
	return NULL;
}

/* Brackets nested deeper than MAX_DEPTH (outside strings): jansson would
 * recurse through them. */
static bool too_deep(const char *s, size_t len)
{
	int depth = 0;
	bool in_str = false;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		if (in_str) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_str = false;
		} else if (ch == '"') {
			in_str = true;
		} else if (ch == '{' || ch == '[') {
			if (++depth > MAX_DEPTH)
				return true;
		} else if (ch == '}' || ch == ']') {
			depth--;
		}
	}
	return false;
}

static void render_result(ecsfs__api_reply *r, json_t *out)
{
	char *s = json_dumps(out, JSON_COMPACT);
	r->status = 200;
	ecsfs_buf_reset(&r->body);
	ecsfs_buf_adds(&r->body, s ? s : "{}");
	free(s);
}

static bool is_read(const char *op)
{
	static const char *const reads[] = {"Describe", "List", "Get", "Filter"};
	for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++)
		if (strncmp(op, reads[i], strlen(reads[i])) == 0)
			return true;
	return false;
}

/* The exception of a failed call and its status: the one the operation
 * named, else the service's for the kind, else ECS's. */
static const char *exception(const ecsfs__api_errname *errors, ecsfs_err_kind kind, int *status)
{
	const char *type = ecsfs__api_fail_type();
	bool server = kind == ECSFS_E_SERVER || kind == ECSFS_E_NONE;

	*status = server ? 500 : 400;
	for (const ecsfs__api_errname *e = errors; e && e->type; e++)
		if (e->kind == kind && (!type || !strcmp(type, e->type))) {
			*status = e->status;
			return type ? type : e->type;
		}
	return type ? type : ecsfs_err_kind_name(kind);
}

static void call(const ecsfs_api_core *c, const char *service, const ecsfs__api_errname *errors,
		 const ecsfs__api_op *op, json_t *in, ecsfs__api_reply *r)
{
	ecsfs_err err = ECSFS_ERR_INIT;
	json_t *out = NULL;
	int rc = op->fn(c, in, &out, &err);

	if (rc < 0) {
		ecsfs_err_kind kind = ecsfs_err_kind_of(&err);
		int status;
		const char *type = exception(errors, kind, &status);
		if (!err.msg.len)
			ecsfs_buf_adds(&err.msg, strerror(-rc));
		render_error(r, status, type, err.msg.data);
		if ((kind == ECSFS_E_SERVER || kind == ECSFS_E_NONE) && c->log)
			c->log("api: %s: %s", op->name, err.msg.data);
		if (c->refused && !is_read(op->name)) {
			char name[128];
			snprintf(name, sizeof(name), "%s.%s", service, op->name);
			c->refused(c->refused_data, name, type, rc, err.msg.data);
		}
	} else {
		if (!out)
			out = json_object();
		if (c->changed && !is_read(op->name)) {
			char name[128];
			snprintf(name, sizeof(name), "%s.%s", service, op->name);
			c->changed(c->changed_data, name, in, out);
		}
		render_result(r, out);
	}
	json_decref(out);
	ecsfs_err_release(&err);
}

/* The request's JSON object (an empty body is {}), or NULL with the
 * SerializationException rendered. */
static json_t *parse_body(const char *body, size_t len, ecsfs__api_reply *r)
{
	json_error_t jerr;
	json_t *in;

	if (len == 0) {
		body = "{}";
		len = 2;
	}
	if (too_deep(body, len)) {
		ecsfs__api_error(r, 400, "SerializationException",
				 "the body nests deeper than %d levels", MAX_DEPTH);
		return NULL;
	}
	in = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!in) {
		ecsfs__api_error(r, 400, "SerializationException", "the body is not JSON: %s",
				 jerr.text);
		return NULL;
	}
	if (!json_is_object(in)) {
		json_decref(in);
		ecsfs__api_error(r, 400, "SerializationException",
				 "the body must be a JSON object");
		return NULL;
	}
	return in;
}

void ecsfs__api_dispatch(const ecsfs_api_core *c, const char *target, const char *body, size_t len,
			 ecsfs__api_reply *r)
{
	const struct target *svc = NULL;
	bool known = false;
	const ecsfs__api_op *op;
	json_t *in;

	if (!target || !*target) {
		ecsfs__api_error(r, 400, "UnknownOperationException",
				 "the request has no X-Amz-Target header");
		return;
	}
	op = find_op(target, &svc, &known);
	if (!op) {
		ecsfs__api_error(r, 400, "UnknownOperationException",
				 known ? "unknown operation %s" : "unknown service in target %s",
				 target);
		return;
	}
	r->op = op->name;
	if (!(in = parse_body(body, len, r)))
		return;
	call(c, svc->service, svc->errors, op, in, r);
	json_decref(in);
}

/* ---- REST-JSON ---- */

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* The percent-decoded s[0..n) as a new JSON string; NULL when it is not
 * well encoded, holds a NUL or is not UTF-8. */
static json_t *decoded(const char *s, size_t n)
{
	ecsfs_buf b = ECSFS_BUF_INIT;
	json_t *j = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		char ch = s[i];
		if (ch == '%') {
			int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
			int lo = hi >= 0 ? hexval(s[i + 2]) : -1;
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				break;
			ch = (char)(hi * 16 + lo);
			i += 2;
		}
		ecsfs_buf_add(&b, &ch, 1);
	}
	if (i == n)
		j = json_stringn(b.data ? b.data : "", b.len);
	ecsfs_buf_release(&b);
	return j;
}

/* Does `path` (no query) match a route's pattern? Fills in[member] with
 * the decoded {Member} segments when in is given. */
static bool path_matches(const char *pattern, const char *path, json_t *in)
{
	while (*pattern == '/' && *path == '/') {
		const char *pe = strchrnul(pattern + 1, '/'), *se = strchrnul(path + 1, '/');
		size_t pn = (size_t)(pe - pattern - 1), sn = (size_t)(se - path - 1);
		if (pn > 2 && pattern[1] == '{' && pattern[pn] == '}') {
			json_t *v = sn ? decoded(path + 1, sn) : NULL;
			char member[64];
			if (!v)
				return false;
			snprintf(member, sizeof(member), "%.*s", (int)pn - 2, pattern + 2);
			if (in)
				json_object_set_new(in, member, v);
			else
				json_decref(v);
		} else if (pn != sn || strncmp(pattern + 1, path + 1, pn) != 0) {
			return false;
		}
		pattern = pe, path = se;
	}
	return !*pattern && !*path;
}

bool ecsfs__api_rest_serves(const char *path)
{
	for (size_t i = 0; i < sizeof(rests) / sizeof(rests[0]); i++)
		for (const ecsfs__api_route *rt = rests[i].routes; rt->method; rt++)
			if (path_matches(rt->path, path, NULL))
				return true;
	return false;
}

/* One query parameter into in, as its route declares it; unknown ones are
 * left alone, as AWS does. false with the error rendered. */
static bool take_param(const ecsfs__api_route *rt, const char *p, size_t n, json_t *in,
		       ecsfs__api_reply *r)
{
	const char *eq = memchr(p, '=', n);
	size_t kn = eq ? (size_t)(eq - p) : n;

	for (const ecsfs__api_param *q = rt->query; q->name; q++) {
		json_t *v;
		if (strlen(q->name) != kn || strncmp(q->name, p, kn) != 0)
			continue;
		if (!(v = decoded(eq ? eq + 1 : p + n, eq ? n - kn - 1 : 0))) {
			ecsfs__api_error(r, 400, "ValidationException",
					 "query parameter %s is not well encoded", q->name);
			return false;
		}
		if (q->integer) {
			char *end;
			long long x = strtoll(json_string_value(v), &end, 10);
			bool good = json_string_length(v) && !*end;
			json_decref(v);
			if (!good) {
				ecsfs__api_error(r, 400, "ValidationException",
						 "%s: must be an integer", q->member);
				return false;
			}
			v = json_integer(x);
		}
		json_object_set_new(in, q->member, v);
	}
	return true;
}

static bool take_query(const ecsfs__api_route *rt, const char *q, json_t *in, ecsfs__api_reply *r)
{
	while (q && *q) {
		const char *end = strchrnul(q, '&');
		if (end > q && !take_param(rt, q, (size_t)(end - q), in, r))
			return false;
		q = *end ? end + 1 : NULL;
	}
	return true;
}

static const ecsfs__api_op *rest_op(const struct rest *svc, const char *name)
{
	for (const ecsfs__api_op *op = svc->ops; op->name; op++)
		if (!strcmp(op->name, name))
			return op;
	return NULL;
}

/* The route of method + path, its service in *svc; NULL when none. */
static const ecsfs__api_route *find_route(const char *method, const char *path,
					  const struct rest **svc)
{
	for (size_t i = 0; i < sizeof(rests) / sizeof(rests[0]); i++)
		for (const ecsfs__api_route *rt = rests[i].routes; rt->method; rt++)
			if (!strcmp(rt->method, method) && path_matches(rt->path, path, NULL)) {
				*svc = &rests[i];
				return rt;
			}
	return NULL;
}

void ecsfs__api_dispatch_rest(const ecsfs_api_core *c, const char *method, const char *target,
			      const char *body, size_t len, ecsfs__api_reply *r)
{
	const char *qm = strchr(target, '?');
	char *path = strndup(target, qm ? (size_t)(qm - target) : strlen(target));
	const struct rest *svc = NULL;
	const ecsfs__api_route *rt = path ? find_route(method, path, &svc) : NULL;
	const ecsfs__api_op *op = rt ? rest_op(svc, rt->op) : NULL;
	bool has_body = !strcmp(method, "POST") || !strcmp(method, "PUT");
	json_t *in = NULL;

	r->rest = true;
	if (!op) {
		ecsfs__api_error(r, 404, "UnknownOperationException", "no operation answers %s %s",
				 method, path ? path : "");
		free(path);
		return;
	}
	r->op = op->name;
	if ((in = has_body ? parse_body(body, len, r) : json_object()) &&
	    path_matches(rt->path, path, in) && take_query(rt, qm ? qm + 1 : NULL, in, r))
		call(c, svc->service, svc->errors, op, in, r);
	json_decref(in);
	free(path);
}
