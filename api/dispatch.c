/*
 * The AWS JSON 1.1 protocol: X-Amz-Target names the service and the
 * operation, the body is a JSON object, the answer is a JSON object or
 * {"__type", "message"} with a 4xx/5xx status.
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
};

static const ecsfs__api_op *const ecs_tables[] = {
    ecsfs__ecs_cluster_ops,
    ecsfs__ecs_taskdef_ops,
    ecsfs__ecs_task_ops,
    ecsfs__ecs_service_ops,
    ecsfs__ecs_account_ops,
    ecsfs__ecs_tag_ops,
    NULL,
};
static const ecsfs__api_op *const logs_tables[] = {ecsfs__logs_ops, NULL};

static const struct target targets[] = {
    {"AmazonEC2ContainerServiceV20141113", "ecs", ecs_tables},
    {"Logs_20140328", "logs", logs_tables},
    {"AnyScaleFrontendService", "application-autoscaling",
     (const ecsfs__api_op *const[]){ecsfs__autoscaling_ops, NULL}},
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
	json_t *j = json_pack("{s:s, s:o?}", "__type", type, "message", message_string(msg));
	ecsfs_buf_reset(&r->body);
	r->status = status;
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

static const ecsfs__api_op *find_op(const char *target, const char **service, bool *known_service)
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
		*service = targets[i].service;
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

static void call(const ecsfs_api_core *c, const char *service, const ecsfs__api_op *op, json_t *in,
		 ecsfs__api_reply *r)
{
	ecsfs_err err = ECSFS_ERR_INIT;
	json_t *out = NULL;
	int rc = op->fn(c, in, &out, &err);
	const char *type = ecsfs__api_fail_type();

	if (rc < 0) {
		ecsfs_err_kind kind = ecsfs_err_kind_of(&err);
		if (!type)
			type = ecsfs_err_kind_name(kind);
		if (!err.msg.len)
			ecsfs_buf_adds(&err.msg, strerror(-rc));
		render_error(r, kind == ECSFS_E_SERVER || kind == ECSFS_E_NONE ? 500 : 400, type,
			     err.msg.data);
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
		render_result(r, out);
	}
	json_decref(out);
	ecsfs_err_release(&err);
}

void ecsfs__api_dispatch(const ecsfs_api_core *c, const char *target, const char *body, size_t len,
			 ecsfs__api_reply *r)
{
	const char *service = "";
	bool known = false;
	const ecsfs__api_op *op;
	json_error_t jerr;
	json_t *in;

	if (!target || !*target) {
		ecsfs__api_error(r, 400, "UnknownOperationException",
				 "the request has no X-Amz-Target header");
		return;
	}
	op = find_op(target, &service, &known);
	if (!op) {
		ecsfs__api_error(r, 400, "UnknownOperationException",
				 known ? "unknown operation %s" : "unknown service in target %s",
				 target);
		return;
	}
	r->op = op->name;
	if (len == 0) {
		body = "{}";
		len = 2;
	}
	if (too_deep(body, len)) {
		ecsfs__api_error(r, 400, "SerializationException",
				 "the body nests deeper than %d levels", MAX_DEPTH);
		return;
	}
	in = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!in) {
		ecsfs__api_error(r, 400, "SerializationException", "the body is not JSON: %s",
				 jerr.text);
		return;
	}
	if (!json_is_object(in)) {
		json_decref(in);
		ecsfs__api_error(r, 400, "SerializationException",
				 "the body must be a JSON object");
		return;
	}
	call(c, service, op, in, r);
	json_decref(in);
}
