/*
 * The AWS JSON 1.1 dispatcher and the request helpers, without HTTP:
 * unknown targets, bodies that are not a JSON object or nest too deep,
 * fields of the wrong type, cluster and ARN references, pages, epochs.
 */
#include <errno.h>
#include <stdlib.h>

#include "api_private.h"
#include "ecsfs/arn.h"
#include "tap.h"

#define ECS "AmazonEC2ContainerServiceV20141113."

static ecsfs_api_core core; /* a store of its own; no engine, no services */
static int refusals_seen, log_lines;
static char last_refused[128];

static void on_refused(void *data, const char *op, const char *type, int code, const char *msg)
{
	(void)data;
	(void)code;
	(void)msg;
	refusals_seen++;
	snprintf(last_refused, sizeof(last_refused), "%s %s", op, type);
}

static void on_log(const char *fmt, ...)
{
	(void)fmt;
	log_lines++;
}

/* The reply's __type and message, parsed back. */
static void reply_is(const ecsfs__api_reply *r, int status, const char *type, const char *what)
{
	json_t *j = json_loadb(r->body.data, r->body.len, 0, NULL);
	const char *t = json_string_value(json_object_get(j, "__type"));
	const char *m = json_string_value(json_object_get(j, "message"));

	is_int(r->status, status, "%s: HTTP %d", what, status);
	is_str(t, type, "%s: %s", what, type);
	ok(m && *m, "%s: with a message: %s", what, m ? m : "(none)");
	json_decref(j);
}

static void dispatch(const char *target, const char *body, size_t len, int status, const char *type,
		     const char *what)
{
	ecsfs__api_reply r;
	ecsfs__api_reply_init(&r);
	ecsfs__api_dispatch(&core, target, body, len, &r);
	reply_is(&r, status, type, what);
	ecsfs__api_reply_release(&r);
}

/* Any operation some file exports, to reach the body checks; NULL while none. */
static const char *some_op(void)
{
	static const ecsfs__api_op *const tables[] = {
	    ecsfs__ecs_cluster_ops, ecsfs__ecs_taskdef_ops, ecsfs__ecs_task_ops,
	    ecsfs__ecs_service_ops, ecsfs__ecs_account_ops, ecsfs__ecs_tag_ops,
	};
	static char target[128];
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		if (tables[i][0].name) {
			snprintf(target, sizeof(target), ECS "%s", tables[i][0].name);
			return target;
		}
	return NULL;
}

static void targets(void)
{
	ecsfs__api_reply r;

	dispatch(NULL, "{}", 2, 400, "UnknownOperationException", "no X-Amz-Target");
	dispatch("", "{}", 2, 400, "UnknownOperationException", "an empty X-Amz-Target");
	dispatch(ECS "NoSuchOperation", "{}", 2, 400, "UnknownOperationException",
		 "an unknown operation");
	dispatch("NoSuchService_20200101.ListClusters", "{}", 2, 400, "UnknownOperationException",
		 "an unknown service");
	dispatch("ListClusters", "{}", 2, 400, "UnknownOperationException", "no service prefix");
	dispatch(ECS, "{}", 2, 400, "UnknownOperationException", "an empty operation name");
	dispatch("Logs_20140328.NoSuchOperation", "{}", 2, 400, "UnknownOperationException",
		 "an unknown Logs operation");

	ecsfs__api_reply_init(&r);
	ecsfs__api_dispatch(&core, ECS "NoSuchOperation", "{}", 2, &r);
	ok(strstr(r.body.data, "NoSuchOperation") != NULL, "the message names the operation");
	is_int(strlen(r.request_id), 36, "a request id: %s", r.request_id);
	ok(r.request_id[14] == '4', "... a version 4 UUID");
	ecsfs__api_reply_release(&r);
}

static void bodies(void)
{
	const char *op = some_op();
	char *deep;
	size_t n = 5000;

	if (!op) {
		printf("# no operation is exported yet: body checks skipped\n");
		return;
	}
	printf("# body checks through %s\n", op);
	dispatch(op, "{\"bad json", 10, 400, "SerializationException", "JSON cut short");
	dispatch(op, "not json at all", 15, 400, "SerializationException", "not JSON");
	dispatch(op, "[1,2]", 5, 400, "SerializationException", "an array, not an object");
	dispatch(op, "\"text\"", 6, 400, "SerializationException", "a string, not an object");
	dispatch(op, "{\"a\":1,\"a\":2}", 13, 400, "SerializationException", "a duplicate key");
	dispatch(op, "{\"a\":\"\xff\"}", 8, 400, "SerializationException", "invalid UTF-8");
	dispatch(op, "{\"a\":1}\0{", 9, 400, "SerializationException",
		 "a NUL byte after the object");
	deep = malloc(2 * n + 1);
	for (size_t i = 0; i < n; i++) {
		deep[i] = '[';
		deep[2 * n - 1 - i] = ']';
	}
	deep[0] = '{';
	deep[2 * n - 1] = '}';
	dispatch(op, deep, 2 * n, 400, "SerializationException", "5,000 levels of nesting");
	for (size_t i = 0; i < n; i++)
		deep[i] = '{';
	dispatch(op, deep, n, 400, "SerializationException", "5,000 open braces, never closed");
	free(deep);
}

/* Operations reached through the dispatcher: types checked by the helpers,
 * a refused change told to the errors hook, a read not, a fault as 500. */
static void through_operations(void)
{
	ecsfs__api_reply r;

	dispatch(ECS "ListClusters", "{\"maxResults\":\"5\"}", strlen("{\"maxResults\":\"5\"}"),
		 400, "InvalidParameterException", "ListClusters with maxResults as a string");
	is_int(refusals_seen, 0, "... a read is not a refused change");
	dispatch(ECS "CreateCluster", "{\"clusterName\":5}", strlen("{\"clusterName\":5}"), 400,
		 "InvalidParameterException", "CreateCluster with a number as clusterName");
	is_int(refusals_seen, 1, "... a refused change is told to the errors hook");
	is_str(last_refused, "ecs.CreateCluster InvalidParameterException", "... with its name");
	dispatch(ECS "DescribeClusters", "{\"clusters\":[1]}", strlen("{\"clusters\":[1]}"), 400,
		 "InvalidParameterException", "DescribeClusters with a number in clusters");
	ecsfs__api_reply_init(&r);
	ecsfs__api_dispatch(&core, ECS "ListClusters", "", 0, &r);
	is_int(r.status, 200, "ListClusters with an empty body (as {}): 200");
	is_str(r.body.data, "{\"clusterArns\":[]}", "... no clusters yet");
	ecsfs__api_reply_release(&r);
	dispatch(ECS "DescribeServices", "{\"services\":[\"web\"]}",
		 strlen("{\"services\":[\"web\"]}"), 500, "ServerException",
		 "DescribeServices without the services' subsystem");
	is_int(log_lines, 1, "... a ServerException is a line in the daemon's log");
}

static void typed_fields(void)
{
	ecsfs_err err = ECSFS_ERR_INIT;
	json_t *in = json_loads("{\"s\":\"x\",\"i\":5,\"b\":true,\"l\":[\"a\",\"b\"],\"n\":null,"
				"\"bad_l\":[\"a\",3],\"f\":1.5}",
				0, NULL);
	const char *s = "unchanged";
	int64_t i = -1;
	bool b = false;
	const json_t *l = NULL;

	is_int(ecsfs__api_str(in, "s", true, &s, &err), 0, "a string");
	is_str(s, "x", "... read");
	is_int(ecsfs__api_int(in, "i", true, &i, &err), 0, "an integer");
	is_int(i, 5, "... read");
	is_int(ecsfs__api_bool(in, "b", &b, &err), 0, "a boolean");
	ok(b, "... read");
	is_int(ecsfs__api_strs(in, "l", true, &l, &err), 0, "a list of strings");
	is_int(json_array_size(l), 2, "... read");

	s = "kept";
	is_int(ecsfs__api_str(in, "n", false, &s, &err), 0, "null is absent");
	is_str(s, "kept", "... the value is left as it was");
	is_int(ecsfs__api_str(in, "missing", false, &s, &err), 0, "absent and optional");
	is_int(ecsfs__api_str(in, "missing", true, &s, &err), -EINVAL, "absent and required");
	ok(strstr(err.msg.data, "missing") != NULL, "... names the field: %s", err.msg.data);

	static const struct {
		const char *key, *as;
	} wrong[] = {{"i", "str"},  {"s", "int"},  {"f", "int"},      {"s", "bool"},
		     {"i", "bool"}, {"s", "strs"}, {"bad_l", "strs"}, {"l", "str"}};
	for (size_t k = 0; k < sizeof(wrong) / sizeof(wrong[0]); k++) {
		int r = -1;
		ecsfs_err_reset(&err);
		if (strcmp(wrong[k].as, "str") == 0)
			r = ecsfs__api_str(in, wrong[k].key, true, &s, &err);
		else if (strcmp(wrong[k].as, "int") == 0)
			r = ecsfs__api_int(in, wrong[k].key, true, &i, &err);
		else if (strcmp(wrong[k].as, "bool") == 0)
			r = ecsfs__api_bool(in, wrong[k].key, &b, &err);
		else
			r = ecsfs__api_strs(in, wrong[k].key, true, &l, &err);
		is_int(r, -EINVAL, "%s read as %s: refused", wrong[k].key, wrong[k].as);
		is_str(ecsfs_err_kind_name(ecsfs_err_kind_of(&err)), "InvalidParameterException",
		       "... InvalidParameterException");
		ok(strncmp(err.msg.data, wrong[k].key, strlen(wrong[k].key)) == 0,
		   "... the message starts with the field: %s", err.msg.data);
	}
	ecsfs_err_release(&err);
	json_decref(in);
}

static void references(void)
{
	ecsfs_err err = ECSFS_ERR_INIT;
	char name[256];
	json_t *in;

	in = json_object();
	is_int(ecsfs__api_cluster(in, "cluster", name, &err), 0, "no cluster");
	is_str(name, "default", "... is default");
	json_object_set_new(in, "cluster", json_string("prod"));
	ecsfs__api_cluster(in, "cluster", name, &err);
	is_str(name, "prod", "a cluster name");
	json_object_set_new(in, "cluster",
			    json_string("arn:aws:ecs:us-east-1:000000000000:cluster/prod"));
	is_int(ecsfs__api_cluster(in, "cluster", name, &err), 0, "a cluster ARN");
	is_str(name, "prod", "... gives its name");
	json_object_set_new(in, "cluster",
			    json_string("arn:aws:ecs:us-east-1:000000000000:service/prod/web"));
	is_int(ecsfs__api_cluster(in, "cluster", name, &err), -EINVAL, "a service ARN as cluster");
	json_object_set_new(in, "cluster", json_string(""));
	is_int(ecsfs__api_cluster(in, "cluster", name, &err), -EINVAL, "an empty cluster name");
	json_object_set_new(in, "cluster", json_integer(3));
	is_int(ecsfs__api_cluster(in, "cluster", name, &err), -EINVAL, "a number as cluster");
	json_decref(in);

	is_str(ecsfs__api_arn_id("arn:aws:ecs:us-east-1:000000000000:task/prod/abc", "task"), "abc",
	       "a task ARN gives its id");
	is_str(ecsfs__api_arn_id("abc", "task"), "abc", "an id is itself");
	ok(ecsfs__api_arn_id("arn:aws:ecs:us-east-1:000000000000:service/prod/web", "task") == NULL,
	   "an ARN of another kind is NULL");
	ecsfs_err_release(&err);
}

static void pages(void)
{
	ecsfs_err err = ECSFS_ERR_INIT;
	json_t *all = json_array(), *in, *out;
	const char *token;

	for (int k = 0; k < 5; k++)
		json_array_append_new(all, json_integer(k));
	in = json_pack("{s:i}", "maxResults", 2);
	out = json_object();
	json_incref(all);
	is_int(ecsfs__api_page(all, in, 100, 100, out, "items", &err), 0, "a first page");
	is_int(json_array_size(json_object_get(out, "items")), 2, "... of 2");
	token = json_string_value(json_object_get(out, "nextToken"));
	ok(token != NULL, "... and a nextToken");
	json_object_set_new(in, "nextToken", json_string(token));
	json_decref(out);
	out = json_object();
	json_object_set_new(in, "maxResults", json_integer(10));
	json_incref(all);
	is_int(ecsfs__api_page(all, in, 100, 100, out, "items", &err), 0, "the next page");
	is_int(json_array_size(json_object_get(out, "items")), 3, "... the other 3");
	ok(!json_object_get(out, "nextToken"), "... and no nextToken");
	json_decref(out);

	static const char *const bad[] = {"{\"maxResults\":0}",	    "{\"maxResults\":101}",
					  "{\"maxResults\":\"2\"}", "{\"nextToken\":\"x\"}",
					  "{\"nextToken\":\"99\"}", "{\"nextToken\":5}"};
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		json_t *b = json_loads(bad[k], 0, NULL);
		out = json_object();
		json_incref(all);
		is_int(ecsfs__api_page(all, b, 100, 100, out, "items", &err), -EINVAL,
		       "a page of %s: refused", bad[k]);
		json_decref(out);
		json_decref(b);
	}
	json_decref(in);
	json_decref(all);
	ecsfs_err_release(&err);
}

static void epochs(void)
{
	json_t *doc = json_loads("{\"createdAt\":\"2026-12-01T22:00:00.500Z\",\"name\":\"x\","
				 "\"tasks\":[{\"stoppedAt\":\"2026-12-01T22:00:01Z\"}],"
				 "\"lastSeen\":\"2026-12-01T22:00:02Z\",\"notAt\":\"soon\"}",
				 0, NULL);
	static const char *const extra[] = {"lastSeen", NULL};

	ecsfs__api_epochs(doc, extra);
	ok(json_is_real(json_object_get(doc, "createdAt")), "createdAt becomes a number");
	ok(json_real_value(json_object_get(doc, "createdAt")) == 1796162400.5,
	   "... epoch seconds with the fraction");
	ok(json_is_real(
	       json_object_get(json_array_get(json_object_get(doc, "tasks"), 0), "stoppedAt")),
	   "inside arrays too");
	ok(json_is_real(json_object_get(doc, "lastSeen")), "a key from the extra list");
	is_str(json_string_value(json_object_get(doc, "notAt")), "soon",
	       "a string that is not a time is left");
	is_str(json_string_value(json_object_get(doc, "name")), "x", "other strings are left");
	json_decref(doc);
}

static void errors(void)
{
	ecsfs__api_reply r;
	ecsfs_err err = ECSFS_ERR_INIT;

	ecsfs__api_reply_init(&r);
	ecsfs__api_error(&r, 403, "InvalidSignatureException", "quote \" and tab \t%d", 1);
	reply_is(&r, 403, "InvalidSignatureException", "an error with a quote and a tab");
	ecsfs__api_reply_release(&r);

	is_int(ecsfs__api_fail(&err, "UnsupportedFeatureException", "no %s", "way"), -EINVAL,
	       "api_fail is -EINVAL");
	is_str(ecsfs__api_fail_type(), "UnsupportedFeatureException", "... keeps its name");
	ok(ecsfs__api_fail_type() == NULL, "... once");
	ecsfs_err_release(&err);
}

int main(void)
{
	char dir[] = "/tmp/test-api-dispatch.XXXXXX";
	ecsfs_buf why = ECSFS_BUF_INIT;

	if (!mkdtemp(dir) || ecsfs_store_open(dir, &core.store, &why) < 0) {
		printf("Bail out! no store: %s\n", why.data ? why.data : "");
		return 1;
	}
	core.state_dir = dir;
	core.refused = on_refused;
	core.log = on_log;
	targets();
	bodies();
	through_operations();
	typed_fields();
	references();
	pages();
	epochs();
	errors();
	ecsfs_store_close(core.store);
	ecsfs_buf_release(&why);
	tap_rmtree(dir);
	return tap_done();
}
