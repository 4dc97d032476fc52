/*
 * CloudWatch Logs through the API's dispatcher (Logs_20140328.*), over
 * tasks of the fake runtime: the capture's own lines (engine times), and
 * lines with chosen times written into a task's log and index as the
 * capture writes them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "api_private.h"
#include "ecsfs/arn.h"
#include "ecsfs/cluster.h"
#include "ecsfs/logstream.h"
#include "ecsfs/task.h"
#include "ecsfs/taskdef.h"
#include "ecsfs/util.h"
#include "fake/fake_runtime.h"
#include "fake_harness.h"
#include "tap.h"

static ecsfs_store *s;
static ecsfs_runtime *rt;
static ecsfs_tasks *tasks;
static uv_loop_t loop;
static char dir[] = "/tmp/ecsfs-test-api-logs-XXXXXX";
static ecsfs_api_core core;
static char id_a[33], id_b[33], id_c[33];
static char shop_a[128], shop_b[128];

static void reg(const char *family, const char *doc)
{
	harness_register(s, family, doc);
}

static void settle(void)
{
	harness_settle_tasks(rt, tasks);
}

static void run(const char *family, char id[33])
{
	ecsfs_buf ids = ECSFS_BUF_INIT, why = ECSFS_BUF_INIT;
	int r = ecsfs_tasks_run(tasks, "prod", family, strlen(family), &ids, &why);
	is_int(r, 0, "run %s (%s)", family, why.data);
	snprintf(id, 33, "%s", ids.data ? ids.data : "");
	ecsfs_buf_release(&ids);
	ecsfs_buf_release(&why);
}

/* One call through the dispatcher: its status, and its body parsed. */
static int call(const char *op, json_t **out, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int call(const char *op, json_t **out, const char *fmt, ...)
{
	ecsfs__api_reply r;
	ecsfs_buf body = ECSFS_BUF_INIT, target = ECSFS_BUF_INIT;
	va_list ap;
	int status;

	va_start(ap, fmt);
	ecsfs_buf_vaddf(&body, fmt, ap);
	va_end(ap);
	ecsfs_buf_addf(&target, "Logs_20140328.%s", op);
	ecsfs__api_reply_init(&r);
	ecsfs__api_dispatch(&core, target.data, body.data, body.len, &r);
	status = r.status;
	*out = json_loadb(r.body.data, r.body.len, 0, NULL);
	if (status != 200)
		printf("# %s -> %d %s\n", op, status, r.body.data);
	ecsfs__api_reply_release(&r);
	ecsfs_buf_release(&body);
	ecsfs_buf_release(&target);
	return status;
}

static const char *type_of(const json_t *j)
{
	return json_string_value(json_object_get(j, "__type"));
}

static const char *str_at(const json_t *arr, size_t i, const char *key)
{
	return json_string_value(json_object_get(json_array_get(arr, i), key));
}

static long long int_at(const json_t *arr, size_t i, const char *key)
{
	return json_integer_value(json_object_get(json_array_get(arr, i), key));
}

/* The messages of an events array joined by ",". */
static const char *messages(const json_t *events)
{
	static char b[4096];
	size_t i, n = 0;
	json_t *e;
	b[0] = '\0';
	json_array_foreach(events, i, e) {
		n += (size_t)snprintf(b + n, sizeof(b) - n, "%s%s", i ? "," : "",
				      json_string_value(json_object_get(e, "message")));
		if (n >= sizeof(b))
			break;
	}
	return b;
}

/* Append `line` to a container's captured log at engine time `ms`, as the
 * capture does (the log, then its index). */
static void fabricate(const char *id, const char *container, int64_t ms, const char *line)
{
	static ecsfs_logindex x;
	static char last[64];
	ecsfs_buf path = ECSFS_BUF_INIT, logs = ECSFS_BUF_INIT;
	char key[64];
	int fd;
	off_t off;

	snprintf(key, sizeof(key), "%s/%s", id, container);
	if (strcmp(key, last) != 0) {
		ecsfs_logindex_release(&x);
		ecsfs_logindex_init(&x);
		snprintf(last, sizeof(last), "%s", key);
	}
	ecsfs_tasks_log_path(tasks, "prod", id, container, &path);
	fd = open(path.data, O_WRONLY | O_CREAT | O_APPEND, 0600);
	off = lseek(fd, 0, SEEK_END);
	if (write(fd, line, strlen(line)) < 0 || write(fd, "\n", 1) < 0)
		printf("# cannot write %s\n", path.data);
	close(fd);
	ecsfs_buf_addf(&logs, "%s/logs", dir);
	ecsfs_logindex_note(&x, logs.data, id, container, (uint64_t)off, ms * 1000000);
	if (ms == 0) /* the end of the fabrication */
		ecsfs_logindex_release(&x);
	ecsfs_buf_release(&path);
	ecsfs_buf_release(&logs);
}

static void setup_tasks(void)
{
	char line[64];
	const char *ctr;

	reg("web", "{\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"busybox\","
		   "\"memory\":64,\"logConfiguration\":{\"logDriver\":\"awslogs\",\"options\":"
		   "{\"awslogs-group\":\"/aws/ecs/shop\",\"awslogs-stream-prefix\":\"shop\","
		   "\"awslogs-region\":\"us-east-1\"}}},"
		   "{\"name\":\"side\",\"image\":\"busybox\",\"memory\":64,\"essential\":false},"
		   "{\"name\":\"bare\",\"image\":\"busybox\",\"memory\":64,\"essential\":false,"
		   "\"logConfiguration\":{\"logDriver\":\"awslogs\",\"options\":"
		   "{\"awslogs-group\":\"/aws/ecs/shop\"}}}]}");
	reg("quiet",
	    "{\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"busybox\","
	    "\"memory\":64,\"logConfiguration\":{\"logDriver\":\"awslogs\",\"options\":"
	    "{\"awslogs-group\":\"/aws/ecs/shop\",\"awslogs-stream-prefix\":\"shop\"}}}]}");
	run("web", id_a);
	run("quiet", id_b);
	run("quiet", id_c);
	settle();
	ctr = ecsfs_fake_runtime_find(rt, id_a, "app");
	ecsfs_fake_runtime_output(rt, ctr, 1, "hello from a");
	ecsfs_fake_runtime_output(rt, ctr, 2, "ERROR in a");
	ecsfs_fake_runtime_output(rt, ecsfs_fake_runtime_find(rt, id_a, "side"), 1, "side says hi");
	settle();
	/* task b's lines at 1, 2, ... 10 s after the epoch; 7 is an error */
	for (int i = 1; i <= 10; i++) {
		snprintf(line, sizeof(line), i == 7 ? "line %d ERROR disk full" : "line %d", i);
		fabricate(id_b, "app", i * 1000, line);
	}
	fabricate(id_b, "app", 0, "bad \xff utf-8"); /* no time: now */
	snprintf(shop_a, sizeof(shop_a), "shop/app/%s", id_a);
	snprintf(shop_b, sizeof(shop_b), "shop/app/%s", id_b);
}

static void test_groups(void)
{
	json_t *o;
	json_t *g;

	is_int(call("DescribeLogGroups", &o, "{}"), 200, "DescribeLogGroups");
	g = json_object_get(o, "logGroups");
	is_int(json_array_size(g), 2, "two groups");
	is_str(str_at(g, 0, "logGroupName"), "/aws/ecs/shop", "awslogs-group, sorted first");
	is_str(str_at(g, 1, "logGroupName"), "/ecs/web", "the default group of family web");
	is_str(str_at(g, 0, "arn"), "arn:aws:logs:local:000000000000:log-group:/aws/ecs/shop:*",
	       "its ARN");
	ok(int_at(g, 0, "creationTime") > 1600000000000ll, "creationTime in epoch ms");
	ok(int_at(g, 0, "storedBytes") > 0, "storedBytes");
	json_decref(o);
	is_int(call("DescribeLogGroups", &o, "{\"logGroupNamePrefix\":\"/ecs\"}"), 200, "prefix");
	is_int(json_array_size(json_object_get(o, "logGroups")), 1, "one group by prefix");
	json_decref(o);
	is_int(call("DescribeLogGroups", &o, "{\"logGroupNamePattern\":\"shop\"}"), 200, "pattern");
	is_str(str_at(json_object_get(o, "logGroups"), 0, "logGroupName"), "/aws/ecs/shop",
	       "by substring");
	json_decref(o);
	is_int(call("DescribeLogGroups", &o, "{\"limit\":1}"), 200, "limit 1");
	is_str(json_string_value(json_object_get(o, "nextToken")), "1", "a nextToken");
	json_decref(o);
	is_int(call("DescribeLogGroups", &o, "{\"limit\":1,\"nextToken\":\"1\"}"), 200, "page 2");
	is_str(str_at(json_object_get(o, "logGroups"), 0, "logGroupName"), "/ecs/web",
	       "the second group");
	ok(!json_object_get(o, "nextToken"), "no more");
	json_decref(o);
	is_int(call("DescribeLogGroups", &o, "{\"limit\":51}"), 400, "limit 51");
	is_str(type_of(o), "InvalidParameterException", "is InvalidParameterException");
	json_decref(o);
	is_int(call("DescribeLogGroups", &o,
		    "{\"logGroupNamePrefix\":\"a\",\"logGroupNamePattern\":\"b\"}"),
	       400, "prefix and pattern");
	json_decref(o);
}

static void test_streams(void)
{
	json_t *o, *st;
	char rid[128];

	is_int(call("DescribeLogStreams", &o, "{\"logGroupName\":\"/aws/ecs/shop\"}"), 200,
	       "DescribeLogStreams");
	st = json_object_get(o, "logStreams");
	is_int(json_array_size(st), 4, "app and bare of a, app of b and c");
	snprintf(rid, sizeof(rid), "%s", ecsfs_fake_runtime_find(rt, id_a, "bare"));
	for (size_t i = 0; i < json_array_size(st); i++)
		if (strcmp(str_at(st, i, "logStreamName"), rid) == 0)
			snprintf(rid, sizeof(rid), "found");
	is_str(rid, "found", "awslogs without a prefix: the container's engine id");
	for (size_t i = 0; i < json_array_size(st); i++) {
		if (strcmp(str_at(st, i, "logStreamName"), shop_b) != 0)
			continue;
		is_int(int_at(st, i, "firstEventTimestamp"), 1000, "b: first event at 1 s");
		ok(int_at(st, i, "lastEventTimestamp") > 1600000000000ll, "b: the last one now");
		ok(int_at(st, i, "lastIngestionTime") > 1600000000000ll, "lastIngestionTime");
		ok(int_at(st, i, "storedBytes") > 70, "storedBytes: the log's size");
		ok(strstr(str_at(st, i, "arn"), ":log-group:/aws/ecs/shop:log-stream:shop/app/"),
		   "its ARN");
	}
	json_decref(o);
	is_int(call("DescribeLogStreams", &o,
		    "{\"logGroupName\":\"/aws/ecs/shop\",\"orderBy\":\"LastEventTime\","
		    "\"descending\":true,\"limit\":3}"),
	       200, "by LastEventTime, descending");
	st = json_object_get(o, "logStreams");
	ok(int_at(st, 0, "lastEventTimestamp") >= int_at(st, 1, "lastEventTimestamp") &&
	       int_at(st, 1, "lastEventTimestamp") > 1600000000000ll,
	   "the streams that wrote last first");
	ok(!json_object_get(json_array_get(st, 2), "lastEventTimestamp"),
	   "then those that did not");
	ok(json_object_get(o, "nextToken") != NULL, "one more");
	json_decref(o);
	is_int(
	    call("DescribeLogStreams", &o,
		 "{\"logGroupIdentifier\":\"arn:aws:logs:local:000000000000:log-group:/ecs/web:*\","
		 "\"logStreamNamePrefix\":\"ecs/side/\"}"),
	    200, "by ARN and prefix");
	is_str(str_at(json_object_get(o, "logStreams"), 0, "logStreamName"),
	       (snprintf(rid, sizeof(rid), "ecs/side/%s", id_a), rid), "ecs/<container>/<task>");
	json_decref(o);
	is_int(call("DescribeLogStreams", &o,
		    "{\"logGroupName\":\"/aws/ecs/shop\",\"orderBy\":\"LastEventTime\","
		    "\"logStreamNamePrefix\":\"shop\"}"),
	       400, "LastEventTime with a prefix");
	json_decref(o);
	is_int(call("DescribeLogStreams", &o, "{\"logGroupName\":\"/nope\"}"), 400,
	       "unknown group");
	is_str(type_of(o), "ResourceNotFoundException", "is ResourceNotFoundException");
	json_decref(o);
	is_int(call("DescribeLogStreams", &o, "{}"), 400, "no group");
	is_str(type_of(o), "InvalidParameterException", "is InvalidParameterException");
	json_decref(o);
}

/* GetLogEvents of b's stream with extra request fields. */
static int get(json_t **o, const char *extra)
{
	return call("GetLogEvents", o,
		    "{\"logGroupName\":\"/aws/ecs/shop\",\"logStreamName\":\"%s\"%s%s}", shop_b,
		    *extra ? "," : "", extra);
}

static char *tok(const json_t *o, const char *key)
{
	return strdup(json_string_value(json_object_get(o, key)));
}

static void test_get_pages(void)
{
	json_t *o;
	char *fwd, *back, extra[256];

	is_int(get(&o, "\"limit\":3,\"endTime\":11000"), 200, "the newest 3 before 11 s");
	is_str(messages(json_object_get(o, "events")), "line 8,line 9,line 10", "oldest first");
	is_int(int_at(json_object_get(o, "events"), 0, "timestamp"), 8000, "in epoch ms");
	back = tok(o, "nextBackwardToken");
	json_decref(o);
	snprintf(extra, sizeof(extra), "\"limit\":3,\"nextToken\":\"%s\"", back);
	is_int(get(&o, extra), 200, "the backward token");
	is_str(messages(json_object_get(o, "events")), "line 5,line 6,line 7 ERROR disk full",
	       "the three before");
	json_decref(o);
	free(back);
	is_int(get(&o, "\"limit\":3,\"startFromHead\":true"), 200, "from the head");
	is_str(messages(json_object_get(o, "events")), "line 1,line 2,line 3", "the oldest 3");
	fwd = tok(o, "nextForwardToken");
	json_decref(o);
	snprintf(extra, sizeof(extra), "\"nextToken\":\"%s\",\"startFromHead\":true", fwd);
	free(fwd);
	is_int(get(&o, extra), 200, "the forward token");
	is_str(messages(json_object_get(o, "events")),
	       "line 4,line 5,line 6,line 7 ERROR disk full,line 8,line 9,line 10,bad \xef\xbf\xbd "
	       "utf-8",
	       "the rest, invalid UTF-8 as U+FFFD");
	fwd = tok(o, "nextForwardToken");
	json_decref(o);
	snprintf(extra, sizeof(extra), "\"nextToken\":\"%s\",\"startFromHead\":true", fwd);
	is_int(get(&o, extra), 200, "at the end");
	is_int(json_array_size(json_object_get(o, "events")), 0, "no event");
	is_str(json_string_value(json_object_get(o, "nextForwardToken")), fwd,
	       "the same forward token back");
	json_decref(o);
	fabricate(id_b, "app", 0, "one more");
	is_int(get(&o, extra), 200, "the same token after a new line");
	is_str(messages(json_object_get(o, "events")), "one more", "gives the new line");
	json_decref(o);
	free(fwd);
}

static void test_get_range(void)
{
	json_t *o;
	int64_t now = ecsfs_now_ns() / 1000000;
	char extra[128];

	is_int(get(&o, "\"startTime\":3000,\"endTime\":6000"), 200, "a time range");
	is_str(messages(json_object_get(o, "events")), "line 3,line 4,line 5",
	       "start included, end excluded");
	json_decref(o);
	snprintf(extra, sizeof(extra), "\"startTime\":%lld", (long long)now - 60000);
	is_int(get(&o, extra), 200, "the last minute");
	is_int(json_array_size(json_object_get(o, "events")), 2, "the two lines of now");
	ok(int_at(json_object_get(o, "events"), 0, "ingestionTime") >= now - 60000,
	   "ingestionTime");
	json_decref(o);
	is_int(get(&o, "\"nextToken\":\"x/12\""), 400, "a token of nothing");
	is_str(type_of(o), "InvalidParameterException", "is InvalidParameterException");
	json_decref(o);
	is_int(get(&o, "\"nextToken\":\"f/99999999\""), 400, "a token past the end");
	json_decref(o);
	is_int(get(&o, "\"limit\":0"), 400, "limit 0");
	json_decref(o);
	is_int(call("GetLogEvents", &o,
		    "{\"logGroupName\":\"/aws/ecs/shop\",\"logStreamName\":\"shop/app/nope\"}"),
	       400, "an unknown stream");
	is_str(type_of(o), "ResourceNotFoundException", "is ResourceNotFoundException");
	json_decref(o);
}

/* The capture's own lines carry the engine's times. */
static void test_capture_times(int64_t before_ms)
{
	json_t *o, *ev;
	int64_t now = ecsfs_now_ns() / 1000000;

	is_int(call("GetLogEvents", &o,
		    "{\"logGroupName\":\"/aws/ecs/shop\",\"logStreamName\":\"%s\"}", shop_a),
	       200, "a's stream");
	ev = json_object_get(o, "events");
	is_str(messages(ev), "hello from a,ERROR in a", "stdout and stderr lines");
	ok(int_at(ev, 0, "timestamp") >= before_ms && int_at(ev, 1, "timestamp") <= now,
	   "engine times of now (%lld in %lld..%lld)", int_at(ev, 0, "timestamp"),
	   (long long)before_ms, (long long)now);
	ok(int_at(ev, 0, "timestamp") <= int_at(ev, 1, "timestamp"), "in order");
	json_decref(o);
}

static int filter(json_t **o, const char *extra)
{
	return call("FilterLogEvents", o, "{\"logGroupName\":\"/aws/ecs/shop\"%s%s}",
		    *extra ? "," : "", extra);
}

static void test_filter_patterns(void)
{
	json_t *o;

	is_int(filter(&o, "\"endTime\":10000"), 200, "FilterLogEvents, up to 10 s");
	is_str(messages(json_object_get(o, "events")),
	       "line 1,line 2,line 3,line 4,line 5,line 6,line 7 ERROR disk full,line 8,line 9,"
	       "line 10",
	       "end included");
	is_int(json_array_size(json_object_get(o, "searchedLogStreams")), 4,
	       "searchedLogStreams: every stream");
	ok(!json_object_get(o, "nextToken"), "no nextToken");
	ok(strlen(str_at(json_object_get(o, "events"), 0, "eventId")) >= 40, "eventIds");
	is_str(str_at(json_object_get(o, "events"), 0, "logStreamName"), shop_b, "logStreamName");
	json_decref(o);
	is_int(filter(&o, "\"filterPattern\":\"ERROR\""), 200, "a term");
	is_str(messages(json_object_get(o, "events")), "line 7 ERROR disk full,ERROR in a",
	       "both streams, by time");
	json_decref(o);
	is_int(filter(&o, "\"filterPattern\":\"\\\"disk full\\\"\""), 200, "a phrase");
	is_str(messages(json_object_get(o, "events")), "line 7 ERROR disk full", "the phrase");
	json_decref(o);
	is_int(filter(&o, "\"filterPattern\":\"ERROR -disk\""), 200, "a term without another");
	is_str(messages(json_object_get(o, "events")), "ERROR in a", "-term");
	json_decref(o);
	is_int(filter(&o, "\"filterPattern\":\"?hello ?more\""), 200, "?terms");
	is_str(messages(json_object_get(o, "events")), "hello from a,one more", "either");
	json_decref(o);
	is_int(filter(&o, "\"filterPattern\":\"line 1\",\"endTime\":10000"), 200, "two terms");
	is_str(messages(json_object_get(o, "events")), "line 1,line 10", "both must appear");
	json_decref(o);
	is_int(filter(&o, "\"filterPattern\":\"{ $.level = 1 }\""), 400, "a JSON pattern");
	is_str(type_of(o), "InvalidParameterException", "is InvalidParameterException");
	json_decref(o);
	is_int(filter(&o, "\"filterPattern\":\"\\\"open\""), 400, "an open quote");
	json_decref(o);
}

static void test_filter_select(void)
{
	json_t *o;
	char extra[256];

	snprintf(extra, sizeof(extra), "\"logStreamNames\":[\"%s\"]", shop_a);
	is_int(filter(&o, extra), 200, "logStreamNames");
	is_str(messages(json_object_get(o, "events")), "hello from a,ERROR in a", "a's only");
	is_int(json_array_size(json_object_get(o, "searchedLogStreams")), 1, "one searched");
	json_decref(o);
	is_int(filter(&o, "\"logStreamNamePrefix\":\"shop/app/\",\"startTime\":9000,"
			  "\"endTime\":10000"),
	       200, "a prefix and a range");
	is_str(messages(json_object_get(o, "events")), "line 9,line 10", "start and end included");
	json_decref(o);
	snprintf(extra, sizeof(extra), "\"logStreamNames\":[\"%s\"],\"logStreamNamePrefix\":\"s\"",
		 shop_a);
	is_int(filter(&o, extra), 400, "names and a prefix");
	json_decref(o);
	is_int(call("FilterLogEvents", &o, "{\"logGroupName\":\"/none\"}"), 400, "unknown group");
	is_str(type_of(o), "ResourceNotFoundException", "is ResourceNotFoundException");
	json_decref(o);
	is_int(filter(&o, "\"nextToken\":\"garbage\""), 400, "a bad token");
	json_decref(o);
}

/* Pages of 3 give every event once, in the order of one call. */
static void test_filter_pages(void)
{
	json_t *o, *all;
	char *next = NULL, extra[1200], joined[4096] = "";
	int pages = 0;

	is_int(filter(&all, ""), 200, "everything at once");
	do {
		snprintf(extra, sizeof(extra), "\"limit\":3%s%s%s", next ? ",\"nextToken\":\"" : "",
			 next ? next : "", next ? "\"" : "");
		free(next);
		next = NULL;
		if (filter(&o, extra) != 200)
			break;
		if (json_array_size(json_object_get(o, "events")))
			snprintf(joined + strlen(joined), sizeof(joined) - strlen(joined), "%s%s",
				 *joined ? "," : "", messages(json_object_get(o, "events")));
		if (json_object_get(o, "nextToken"))
			next = tok(o, "nextToken");
		json_decref(o);
	} while (next && ++pages < 20);
	is_str(joined, messages(json_object_get(all, "events")), "pages join to the whole");
	ok(pages >= 4, "in %d pages", pages + 1);
	json_decref(all);
}

/* A search that stops before the end of a stream (what one call reads is
 * bounded) says where to go on, and every page moves on. */
static void test_filter_budget(void)
{
	ecsfs_buf big = ECSFS_BUF_INIT;
	json_t *o;
	char *next = NULL, extra[1200];
	int pages = 0, found = 0;

	/* 5 MiB of filler in c's stream at 20 s, then a needle at 21 s */
	for (int i = 0; i < 80000; i++)
		ecsfs_buf_addf(&big,
			       "%sfiller %06d ................................................",
			       i ? "\n" : "", i);
	fabricate(id_c, "app", 20000, big.data);
	fabricate(id_c, "app", 21000, "the needle");
	fabricate(id_c, "app", 0, "end of c");
	ecsfs_buf_release(&big);
	do {
		snprintf(extra, sizeof(extra), "\"filterPattern\":\"needle\"%s%s%s",
			 next ? ",\"nextToken\":\"" : "", next ? next : "", next ? "\"" : "");
		free(next);
		next = NULL;
		if (filter(&o, extra) != 200)
			break;
		found += (int)json_array_size(json_object_get(o, "events"));
		if (json_object_get(o, "nextToken"))
			next = tok(o, "nextToken");
		json_decref(o);
	} while (next && ++pages < 50);
	is_int(found, 1, "the needle past 5 MiB of filler is found once");
	ok(pages >= 1 && pages < 50, "after %d pages with a nextToken", pages);
}

/* A group named by a task definition is there before its first task. */
static void test_group_before_tasks(void)
{
	json_t *o;

	reg("later", "{\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"busybox\","
		     "\"memory\":64,\"logConfiguration\":{\"logDriver\":\"awslogs\",\"options\":"
		     "{\"awslogs-group\":\"/ecs/later\",\"awslogs-stream-prefix\":\"l\"}}}]}");
	is_int(call("DescribeLogGroups", &o, "{\"logGroupNamePrefix\":\"/ecs/later\"}"), 200,
	       "DescribeLogGroups");
	is_int(json_array_size(json_object_get(o, "logGroups")), 1,
	       "a registered family's group, before any task");
	ok(int_at(json_object_get(o, "logGroups"), 0, "creationTime") > 1600000000000ll,
	   "created when the revision was registered");
	json_decref(o);
	is_int(call("DescribeLogStreams", &o, "{\"logGroupName\":\"/ecs/later\"}"), 200,
	       "its streams");
	is_int(json_array_size(json_object_get(o, "logStreams")), 0, "none yet");
	json_decref(o);
	is_int(call("FilterLogEvents", &o, "{\"logGroupName\":\"/ecs/later\"}"), 200,
	       "FilterLogEvents on it (what logs tail --follow polls)");
	is_int(json_array_size(json_object_get(o, "events")), 0, "no event");
	ok(!json_object_get(o, "nextToken"), "no nextToken");
	json_decref(o);
	is_int(
	    call("GetLogEvents", &o, "{\"logGroupName\":\"/ecs/later\",\"logStreamName\":\"l\"}"),
	    400, "GetLogEvents of a stream not there yet");
	is_str(type_of(o), "ResourceNotFoundException", "is ResourceNotFoundException");
	json_decref(o);
}

int main(void)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	ecsfs_err err = ECSFS_ERR_INIT;
	int64_t before;

	ecsfs_arn_configure("local", NULL, NULL);
	harness_open_fake(dir, &loop, &s, &rt);
	is_int(ecsfs_tasks_new(&loop, s, rt, dir, &tasks, &why), 0, "tasks");
	core =
	    (ecsfs_api_core){.loop = &loop, .store = s, .rt = rt, .tasks = tasks, .state_dir = dir};
	before = ecsfs_now_ns() / 1000000;
	setup_tasks();
	test_groups();
	test_streams();
	test_get_pages();
	test_get_range();
	test_capture_times(before);
	test_filter_patterns();
	test_filter_select();
	test_filter_pages();
	test_filter_budget();
	test_group_before_tasks();

	ecsfs_tasks_free(tasks);
	harness_close_fake(dir, &loop, s, rt);
	ecsfs_buf_release(&why);
	ecsfs_err_release(&err);
	return tap_done();
}
