/* The task model and the reconciler, driven through the fake runtime. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "ecsfs/cluster.h"
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
static char dir[] = "/tmp/ecsfs-test-task-XXXXXX";
static ecsfs_err err = ECSFS_ERR_INIT;

static void reg(const char *family, const char *doc)
{
	harness_register(s, family, doc);
}

/* Deliver everything the fake has, then let retries that are due run. */
static void settle(void)
{
	harness_settle_tasks(rt, tasks);
}

/* Run `text` in cluster prod; the first new id into id (33 bytes). */
static int run(const char *text, char *id, ecsfs_buf *why)
{
	ecsfs_buf ids = ECSFS_BUF_INIT;
	int r;

	ecsfs_buf_reset(why);
	r = ecsfs_tasks_run(tasks, "prod", text, strlen(text), &ids, why);
	if (r == 0 && id)
		snprintf(id, 33, "%s", ids.data);
	ecsfs_buf_release(&ids);
	return r;
}

/* task.json of a task of prod, pretty, into *out. */
static void describe(const char *id, ecsfs_buf *out)
{
	json_t *j = NULL;
	if (ecsfs_tasks_describe(tasks, "prod", id, &j) == 0)
		ecsfs_json_pretty(j, out);
	json_decref(j);
}

/* The value of "key: " in a task's (or container's) status, into out. */
static const char *field(const char *id, const char *container, const char *key, char *out,
			 size_t n)
{
	ecsfs_buf st = ECSFS_BUF_INIT;
	char pat[64];
	const char *p;

	out[0] = '\0';
	if (ecsfs_tasks_status(tasks, "prod", id, container, &st) == 0) {
		snprintf(pat, sizeof(pat), "%s: ", key);
		for (p = st.data; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
			if (strncmp(p, pat, strlen(pat)) == 0) {
				const char *e = strchr(p, '\n');
				size_t len =
				    e ? (size_t)(e - p) - strlen(pat) : strlen(p + strlen(pat));
				snprintf(out, n, "%.*s", (int)len, p + strlen(pat));
				break;
			}
		}
	}
	ecsfs_buf_release(&st);
	return out;
}

static const char *last(const char *id)
{
	static char b[64];
	return field(id, NULL, "last_status", b, sizeof(b));
}

static void open_tasks(void)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	int r = ecsfs_tasks_new(&loop, s, rt, dir, &tasks, &why);
	is_int(r, 0, "tasks open (%s)", why.data);
	ecsfs_buf_release(&why);
}

static int count_cb(void *data, const char *name)
{
	(*(int *)data)++;
	return 0;
}

/* ---- task networking on the fake engine ---- */

static json_t *task_json(const char *cluster, const char *id)
{
	json_t *j = NULL;
	ecsfs_tasks_describe(tasks, cluster, id, &j);
	return j;
}

/* Start `n` tasks of `family` in `cluster` answering to `alias` (may be
 * NULL); their ids into ids[]. */
static int start_in(const char *cluster, const char *family, int n, const char *alias,
		    char ids[][33])
{
	const char *const names[] = {alias, NULL};
	json_t *rq = json_pack("{s:s, s:i}", "taskDefinition", family, "count", n), *made = NULL;
	ecsfs_task_launch l = {.request = rq, .aliases = alias ? names : NULL};
	int r;

	ecsfs_err_reset(&err);
	r = ecsfs_tasks_start(tasks, cluster, &l, &made, &err);
	for (int i = 0; r == 0 && i < n; i++)
		snprintf(ids[i], 33, "%s", json_string_value(json_array_get(made, i)));
	json_decref(made);
	json_decref(rq);
	return r;
}

static const char *address_of(const char *id)
{
	static char b[64];
	return field(id, NULL, "address", b, sizeof(b));
}

/* A stop takes the alias away first; a restart keeps the addresses; an
 * engine restart stops the tasks whose containers died. */
static void test_awsvpc_leave(char ids[3][33])
{
	char ip[16];

	/* stop: the name leaves before any container stops */
	ecsfs_err_reset(&err);
	is_int(ecsfs_tasks_stop(tasks, "prod", ids[0], "", 0, &err), 0, "stop one");
	is_int(ecsfs_fake_runtime_resolve(rt, "ecsfs-prod", "api-svc", NULL), 2,
	       "at once it no longer answers to the alias");
	settle();
	is_str(last(ids[0]), "STOPPED", "it stops");
	ok(*address_of(ids[0]) != '\0', "a STOPPED task still shows its address");

	/* restart: addresses are read back, never assigned again */
	snprintf(ip, sizeof(ip), "%s", address_of(ids[2]));
	ecsfs_tasks_free(tasks);
	open_tasks();
	settle();
	is_str(address_of(ids[2]), ip, "after a restart the address is the same");
	is_int(ecsfs_fake_runtime_resolve(rt, "ecsfs-prod", "api-svc", NULL), 2,
	       "and the alias still resolves");
	/* the engine restarts: its containers died meanwhile; the tasks say so */
	ecsfs_fake_runtime_set_reachable(rt, false, "restarting");
	settle();
	ecsfs_fake_runtime_exit(rt, ecsfs_fake_runtime_find(rt, ids[1], "app"), 137);
	ecsfs_fake_runtime_exit(rt, ecsfs_fake_runtime_find(rt, ids[1], "~pause"), 137);
	ecsfs_fake_runtime_set_reachable(rt, true, NULL);
	settle();
	/* capture broke with the engine and retries after RETRY_NS: bounded polling */
	for (int64_t end = ecsfs_now_ns() + 10000000000ll;
	     strcmp(last(ids[1]), "STOPPED") != 0 && ecsfs_now_ns() < end;)
		if (usleep(20000) == 0)
			settle();
	is_str(last(ids[1]), "STOPPED",
	       "after an engine restart a task whose containers died is STOPPED");
	is_str(last(ids[2]), "RUNNING", "one whose containers live runs on");
	ecsfs_err_reset(&err);
	ecsfs_tasks_stop(tasks, "prod", ids[2], "", 0, &err);
	for (int64_t end = ecsfs_now_ns() + 10000000000ll;
	     strcmp(last(ids[2]), "STOPPED") != 0 && ecsfs_now_ns() < end;)
		if (usleep(20000) == 0)
			settle();
	is_int(ecsfs_fake_runtime_resolve(rt, "ecsfs-prod", "api-svc", NULL), 0, "all gone");
}

/* Six tasks stopped at once leave the network one at a time (Docker 20.10
 * deadlocks on concurrent disconnects), and all of them stop. */
static void test_awsvpc_stop_all(void)
{
	char ids[6][33];
	int stopped = 0;

	is_int(start_in("prod", "api", 6, "batch-svc", ids), 0, "six awsvpc tasks");
	settle();
	is_int(ecsfs_fake_runtime_resolve(rt, "ecsfs-prod", "batch-svc", NULL), 6,
	       "the alias resolves to the six");
	for (int i = 0; i < 6; i++) {
		ecsfs_err_reset(&err);
		ecsfs_tasks_stop(tasks, "prod", ids[i], "", 0, &err);
	}
	is_int(ecsfs_fake_runtime_resolve(rt, "ecsfs-prod", "batch-svc", NULL), 5,
	       "stopped together, one disconnect goes to the engine at first");
	settle();
	for (int i = 0; i < 6; i++)
		stopped += strcmp(last(ids[i]), "STOPPED") == 0;
	is_int(stopped, 6, "then each in turn: all six stop");
	is_int(ecsfs_fake_runtime_resolve(rt, "ecsfs-prod", "batch-svc", NULL), 0,
	       "and none answers to the alias");
}

static void test_awsvpc(void)
{
	char ids[3][33], addr[64], ip[16];
	int port = 0;
	json_t *net, *j, *cfg;
	const char *pause;

	reg("api",
	    "{\"networkMode\":\"awsvpc\",\"containerDefinitions\":[{\"name\":\"app\","
	    "\"image\":\"busybox\",\"memory\":64,\"portMappings\":[{\"containerPort\":8080}]}]}");
	is_int(start_in("prod", "api", 3, "api-svc", ids), 0, "three awsvpc tasks with one alias");
	settle();
	is_str(last(ids[0]), "RUNNING", "the first runs");
	is_str(last(ids[2]), "RUNNING", "the third runs");
	net = ecsfs_fake_runtime_network(rt, "ecsfs-prod");
	ok(net != NULL, "the cluster's network ecsfs-prod was made");
	is_str(json_string_value(json_object_get(json_object_get(net, "Labels"), "ecsfs.cluster")),
	       "prod", "labelled with its cluster");
	json_decref(net);
	{
		char a0[64], a1[64], a2[64];
		snprintf(a0, sizeof(a0), "%s", address_of(ids[0]));
		snprintf(a1, sizeof(a1), "%s", address_of(ids[1]));
		snprintf(a2, sizeof(a2), "%s", address_of(ids[2]));
		ok(*a0 && *a1 && *a2 && strcmp(a0, a1) && strcmp(a1, a2) && strcmp(a0, a2),
		   "three distinct addresses (%s %s %s)", a0, a1, a2);
	}
	pause = ecsfs_fake_runtime_find(rt, ids[0], "~pause");
	cfg = pause ? ecsfs_fake_runtime_config(rt, pause) : NULL;
	net = ecsfs_fake_runtime_network(rt, "ecsfs-prod");
	is_str(
	    json_string_value(json_object_get(json_object_get(cfg, "HostConfig"), "NetworkMode")),
	    json_string_value(json_object_get(net, "Id")),
	    "the pause is on the cluster's network (by its id)");
	json_decref(net);
	ok(!json_object_get(json_object_get(cfg, "HostConfig"), "PortBindings"),
	   "nothing published on the host");
	is_int(ecsfs_tasks_target(tasks, "prod", ids[1], "app", 8080, addr, &port), 0, "a target");
	snprintf(ip, sizeof(ip), "%s", address_of(ids[1]));
	ok(strcmp(addr, ip) == 0 && port == 8080,
	   "the task's own address and containerPort (%s:%d)", addr, port);
	j = task_json("prod", ids[1]);
	{
		json_t *at = json_array_get(json_object_get(j, "attachments"), 0), *d;
		size_t i;
		const char *got = NULL;
		is_str(json_string_value(json_object_get(at, "type")), "ElasticNetworkInterface",
		       "task.json: an ENI attachment");
		is_str(json_string_value(json_object_get(at, "status")), "ATTACHED", "ATTACHED");
		json_array_foreach(json_object_get(at, "details"), i, d)
			if (strcmp(json_string_value(json_object_get(d, "name")),
				   "privateIPv4Address") == 0)
				got = json_string_value(json_object_get(d, "value"));
		is_str(got, ip, "with privateIPv4Address");
		is_str(json_string_value(json_object_get(
			   json_array_get(
			       json_object_get(json_array_get(json_object_get(j, "containers"), 0),
					       "networkInterfaces"),
			       0),
			   "privateIpv4Address")),
		       ip, "containers[].networkInterfaces[].privateIpv4Address");
	}
	json_decref(j);
	is_int(ecsfs_fake_runtime_resolve(rt, "ecsfs-prod", "api-svc", NULL), 3,
	       "the alias resolves to the three");
	test_awsvpc_leave(ids);
}

static void test_bridge_and_clusters(void)
{
	char ids[1][33], addr[64];
	int port = 0;
	json_t *j, *nb;
	ecsfs_buf why = ECSFS_BUF_INIT;

	reg("br", "{\"networkMode\":\"bridge\",\"containerDefinitions\":[{\"name\":\"app\","
		  "\"image\":\"busybox\",\"memory\":64,\"portMappings\":[{\"containerPort\":80,"
		  "\"hostPort\":0}]}]}");
	is_int(start_in("prod", "br", 1, NULL, ids), 0, "a bridge task");
	settle();
	j = task_json("prod", ids[0]);
	nb = json_array_get(
	    json_object_get(json_array_get(json_object_get(j, "containers"), 0), "networkBindings"),
	    0);
	ok(json_integer_value(json_object_get(nb, "hostPort")) >= 32768,
	   "bridge, hostPort 0: the engine's pick in networkBindings");
	is_int(json_array_size(json_object_get(j, "attachments")), 0, "no ENI in bridge mode");
	is_int(ecsfs_tasks_target(tasks, "prod", ids[0], "app", 80, addr, &port), 0, "a target");
	ok(strcmp(addr, "127.0.0.1") == 0 &&
	       port == (int)json_integer_value(json_object_get(nb, "hostPort")),
	   "127.0.0.1 and the host port (%s:%d)", addr, port);
	json_decref(j);
	ecsfs_tasks_stop(tasks, "prod", ids[0], "", 0, &err);
	settle();

	/* a name another state directory's network holds: ours is named apart */
	ecsfs_err_reset(&err);
	is_int(ecsfs_cluster_create(s, "qa", &err), 0, "cluster qa");
	is_int(ecsfs_fake_runtime_add_network(rt, "ecsfs-qa", "ecsfs.instance", "someone-else"), 0,
	       "another state directory owns ecsfs-qa");
	reg("qa", "{\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"busybox\","
		  "\"memory\":64}]}");
	is_int(start_in("qa", "qa", 1, NULL, ids), 0, "a task in qa");
	settle();
	{
		ecsfs_buf st = ECSFS_BUF_INIT;
		ecsfs_tasks_status(tasks, "qa", ids[0], NULL, &st);
		ok(strstr(st.data, "last_status: RUNNING") != NULL, "it runs");
		ecsfs_buf_release(&st);
	}
	j = ecsfs_fake_runtime_network(rt, "ecsfs-qa");
	ok(j && !json_object_size(json_object_get(j, "Containers")),
	   "not on the other state directory's ecsfs-qa");
	json_decref(j);
	is_int(ecsfs_fake_runtime_networks(rt, "ecsfs.cluster=qa"), 1,
	       "but on a network of its own");
	ecsfs_tasks_stop(tasks, "qa", ids[0], "", 0, &err);
	settle();
	ecsfs_err_reset(&err);
	is_int(ecsfs_cluster_delete(s, "qa", false, &err), 0, "cluster qa deleted (%s)",
	       err.msg.data);
	ecsfs_tasks_forget_cluster(tasks, "qa");
	settle();
	is_int(ecsfs_fake_runtime_networks(rt, "ecsfs.cluster=qa"), 0,
	       "its network is removed with the cluster");
	j = ecsfs_fake_runtime_network(rt, "ecsfs-qa");
	ok(j != NULL, "the other state directory's network stays");
	json_decref(j);
	ecsfs_buf_release(&why);
}

/* --task-subnet: each cluster's network takes a /24 of the pool */
static void test_task_subnet(void)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	char ids[1][33], b[256];
	json_t *j;

	is_int(ecsfs_tasks_set_task_subnet(tasks, "10.9.0.0/33", &why), -EINVAL, "a bad pool");
	is_int(ecsfs_tasks_set_task_subnet(tasks, "10.9.0.0/24", &why), 0, "a pool of one /24");
	ecsfs_cluster_create(s, "sub1", &err);
	ecsfs_cluster_create(s, "sub2", &err);
	is_int(start_in("sub1", "qa", 1, NULL, ids), 0, "a task in sub1");
	settle();
	j = ecsfs_fake_runtime_network(rt, "ecsfs-sub1");
	is_str(json_string_value(json_object_get(
		   json_array_get(json_object_get(json_object_get(j, "IPAM"), "Config"), 0),
		   "Subnet")),
	       "10.9.0.0/24", "its network has the pool's subnet");
	json_decref(j);
	{
		ecsfs_buf st = ECSFS_BUF_INIT;
		ecsfs_tasks_status(tasks, "sub1", ids[0], NULL, &st);
		ok(strstr(st.data, "address: 10.9.0.") != NULL, "and the task an address in it");
		if (!strstr(st.data, "address: 10.9.0."))
			printf("# %s\n", st.data);
		ecsfs_buf_release(&st);
	}
	ecsfs_tasks_stop(tasks, "sub1", ids[0], "", 0, &err);
	is_int(start_in("sub2", "qa", 1, NULL, ids), 0, "a task in sub2");
	settle();
	{
		ecsfs_buf st = ECSFS_BUF_INIT;
		ecsfs_tasks_status(tasks, "sub2", ids[0], NULL, &st);
		ok(strstr(st.data, "last_status: STOPPED") &&
		       strstr(st.data, "ResourceInitializationError"),
		   "no /24 is left for sub2: the task fails, saying why");
		ecsfs_buf_release(&st);
	}
	(void)b;
	ecsfs_buf_release(&why);
}

static void families(void)
{
	reg("web", "{\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"busybox\","
		   "\"memory\":64,\"environment\":[{\"name\":\"A\",\"value\":\"1\"}]}]}");
	reg("web", "{\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"busybox\","
		   "\"memory\":128}]}");
	ecsfs_taskdef_deregister(s, "web", 1, NULL, NULL);
	reg("bad", "{\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"missing:1\","
		   "\"memory\":64}]}");
	reg("sec", "{\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"busybox\","
		   "\"memory\":64,\"secrets\":[{\"name\":\"PW\",\"valueFrom\":"
		   "\"arn:aws:secretsmanager:local:000000000000:secret:db-pw\"}]}]}");
	reg("dep", "{\"containerDefinitions\":["
		   "{\"name\":\"init\",\"image\":\"busybox\",\"memory\":64,\"essential\":false},"
		   "{\"name\":\"app\",\"image\":\"busybox\",\"memory\":64,"
		   "\"dependsOn\":[{\"containerName\":\"init\",\"condition\":\"SUCCESS\"}]}]}");
	reg("side",
	    "{\"containerDefinitions\":["
	    "{\"name\":\"app\",\"image\":\"busybox\",\"memory\":64},"
	    "{\"name\":\"helper\",\"image\":\"busybox\",\"memory\":64,\"essential\":false}]}");
}

/* bad input: refused before anything starts */
static void test_bad_input(void)
{
	ecsfs_buf why = ECSFS_BUF_INIT;

	is_int(run("nosuch", NULL, &why), -ENOENT, "unknown family: ENOENT");
	ok(strstr(why.data, "nosuch") != NULL, "the message names it: %s", why.data);
	is_int(run("web:9", NULL, &why), -ENOENT, "unknown revision: ENOENT");
	is_int(run("web:1", NULL, &why), -EINVAL, "INACTIVE revision: EINVAL");
	ok(strstr(why.data, "INACTIVE") != NULL, "says INACTIVE: %s", why.data);
	is_int(run("web 0", NULL, &why), -EINVAL, "count 0");
	is_int(run("web 11", NULL, &why), -EINVAL, "count 11");
	is_int(run("web 10000", NULL, &why), -EINVAL, "count 10000");
	is_int(run("web 1 2", NULL, &why), -EINVAL, "three words");
	is_int(run("web x", NULL, &why), -EINVAL, "count not a number");
	is_int(run("", NULL, &why), -EINVAL, "empty");
	is_int(run("!!", NULL, &why), -EINVAL, "junk");
	is_int(run("web\nweb\n", NULL, &why), -EINVAL, "two lines");
	is_int(run("{\"taskDefinition\":\"web\",\"cont\":1}", NULL, &why), -EINVAL,
	       "unknown RunTask field");
	is_int(run("{\"taskDefinition\":\"web\",\"count\":\"2\"}", NULL, &why), -EINVAL,
	       "count of a wrong type");
	is_int(run("{\"taskDefinition\":7}", NULL, &why), -EINVAL,
	       "taskDefinition of a wrong type");
	is_int(run("{\"taskDefinition\":\"web\",\"overrides\":{\"containerOverrides\":"
		   "[{\"name\":\"nope\"}]}}",
		   NULL, &why),
	       -EINVAL, "override of an unknown container");
	is_int(ecsfs_tasks_run_check(tasks, "prod", "web", 3, true, &err), 0,
	       "an unfinished line waits");
	is_int(ecsfs_tasks_run_check(tasks, "prod", "nosuch\n", 7, true, &err), -ENOENT,
	       "a finished line is judged at write()");
	is_int(ecsfs_tasks_run_check(tasks, "prod", "{\"task", 6, true, &err), 0,
	       "an unfinished object waits");
	is_int(ecsfs_tasks_run_check(tasks, "prod", "{]", 2, true, &err), -EINVAL,
	       "broken JSON fails at once");
	is_int(ecsfs_fake_runtime_count(rt, false), 0, "no container was made");
	ecsfs_buf_release(&why);
}

/* the typed start: a json_t request, ids as an array, error kinds */
/* A start of request `rq` (stolen) that must fail with `code` and `kind`. */
static void start_fails(json_t *rq, int code, const char *kind, const char *what)
{
	ecsfs_task_launch l = {.request = rq};
	json_t *ids = NULL;

	ecsfs_err_reset(&err);
	is_int(ecsfs_tasks_start(tasks, "prod", &l, &ids, &err), code, "start: %s", what);
	is_str(ecsfs_err_kind_name(ecsfs_err_kind_of(&err)), kind, "%s is a %s (%s)", what, kind,
	       err.msg.data);
	json_decref(ids);
	json_decref(rq);
}

static void test_start_errors(void)
{
	json_t *rq;
	ecsfs_task_launch l = {0};

	start_fails(json_pack("{s:s}", "taskDefinition", "nosuch"), -ENOENT, "ClientException",
		    "an unknown family");
	start_fails(json_pack("{s:s}", "taskDefinition", "web:1"), -EINVAL, "ClientException",
		    "an INACTIVE revision");
	start_fails(json_pack("{s:s, s:i}", "taskDefinition", "web", "count", 11), -EINVAL,
		    "InvalidParameterException", "a count out of range");
	ok(strstr(err.msg.data, "count") != NULL, "naming count: %s", err.msg.data);
	rq = json_pack("{s:s, s:s}", "taskDefinition", "web", "cluster", "other");
	l.request = rq;
	ecsfs_err_reset(&err);
	is_int(ecsfs_tasks_start_check(tasks, "prod", &l, &err), -EINVAL,
	       "start: another cluster's name");
	json_decref(rq);
}

static void test_typed_start(void)
{
	json_t *ids = NULL, *rq;
	ecsfs_task_launch l = {0};
	const char *const names[] = {"web-svc", "web.prod.local", NULL};
	const char *const badname[] = {"no spaces", NULL};
	char id[33], b[256], addr[64];
	int port = 0;

	rq = json_pack("{s:s, s:i, s:s, s:s}", "taskDefinition", "web", "count", 2, "startedBy",
		       "typed", "group", "g1");
	l.request = rq;
	l.aliases = badname;
	ecsfs_err_reset(&err);
	is_int(ecsfs_tasks_start(tasks, "prod", &l, &ids, &err), -EINVAL,
	       "an alias that is no DNS name");
	l.aliases = names;
	ecsfs_err_reset(&err);
	is_int(ecsfs_tasks_start(tasks, "prod", &l, &ids, &err), 0, "start 2 (%s)", err.msg.data);
	is_int(json_array_size(ids), 2, "two ids in the array");
	ok(json_is_string(json_array_get(ids, 0)) &&
	       strlen(json_string_value(json_array_get(ids, 0))) == 32,
	   "each a 32-hex id");
	settle();
	snprintf(id, sizeof(id), "%s", json_string_value(json_array_get(ids, 0)));
	is_str(last(id), "RUNNING", "a typed start runs");
	is_str(field(id, NULL, "started_by", b, sizeof(b)), "typed", "with its startedBy");
	is_int(ecsfs_tasks_target(tasks, "prod", id, "app", 9999, addr, &port), -ENOENT,
	       "target: a port the container does not map");
	is_int(ecsfs_tasks_target(tasks, "prod", id, "nope", 80, addr, &port), -ENOENT,
	       "target: an unknown container");
	for (size_t i = 0; i < json_array_size(ids); i++) {
		ecsfs_err_reset(&err);
		ecsfs_tasks_stop(tasks, "prod", json_string_value(json_array_get(ids, i)), "", 0,
				 &err);
	}
	ecsfs_err_reset(&err);
	is_int(ecsfs_tasks_stop(tasks, "prod", id, "", 0, &err), -EALREADY, "stopping twice");
	is_str(ecsfs_err_kind_name(ecsfs_err_kind_of(&err)), "ClientException",
	       "is a ClientException");
	settle();
	json_decref(ids);
	json_decref(rq);
}

/* the text of a run write becomes a request */
static void test_run_request(void)
{
	json_t *rq = NULL;
	ecsfs_err_reset(&err);
	is_int(ecsfs_tasks_run_request("web:2 3\n", 8, false, &rq, &err), 0,
	       "a run line becomes a request");
	is_str(json_string_value(json_object_get(rq, "taskDefinition")), "web:2", "taskDefinition");
	is_int(json_integer_value(json_object_get(rq, "count")), 3, "count");
	json_decref(rq);
	rq = NULL;
	is_int(ecsfs_tasks_run_request("web", 3, true, &rq, &err), 0, "unfinished: waits");
	ok(rq == NULL, "no request yet");
}

/* one task, RUNNING, then its essential container exits */
static void test_one_task(void)
{
	ecsfs_buf why = ECSFS_BUF_INIT, out = ECSFS_BUF_INIT;
	char id[33], b[256];
	const char *ctr;
	json_t *cfg;

	is_int(run("web", id, &why), 0, "run web");
	is_int(strlen(id), 32, "a 32-hex id");
	settle();
	is_str(last(id), "RUNNING", "task RUNNING");
	is_int(ecsfs_fake_runtime_count(rt, true), 2, "pause + app run");
	ctr = ecsfs_fake_runtime_find(rt, id, "app");
	ok(ctr != NULL, "the app container carries the task's labels");
	cfg = ctr ? ecsfs_fake_runtime_config(rt, ctr) : NULL;
	ok(cfg && json_integer_value(
		      json_object_get(json_object_get(cfg, "HostConfig"), "Memory")) == 128ll << 20,
	   "memory 128 of web:2 applied");
	ecsfs_buf_reset(&out);
	describe(id, &out);
	ok(ctr && strstr(out.data, ctr), "task.json shows the runtimeId");
	ok(strstr(
	       out.data,
	       "\"taskDefinitionArn\": \"arn:aws:ecs:local:000000000000:task-definition/web:2\""),
	   "task.json names web:2");
	ecsfs_fake_runtime_output(rt, ctr, 1, "hello out");
	ecsfs_fake_runtime_output(rt, ctr, 2, "hello err");
	settle();
	ecsfs_buf_reset(&out);
	ecsfs_tasks_log_path(tasks, "prod", id, "app", &out);
	{
		FILE *f = fopen(out.data, "r");
		char line[128] = "";
		size_t n = f ? fread(line, 1, sizeof(line) - 1, f) : 0;
		line[n] = '\0';
		if (f)
			fclose(f);
		is_str(line, "hello out\nhello err\n", "the container's log file");
	}
	{
		uint64_t size = 0;
		struct timespec mt;
		ecsfs_buf_reset(&out);
		is_int(ecsfs_tasks_log_stat(tasks, "prod", id, "app", &size, &mt), 0, "log stat");
		is_int(size, 20, "its size");
		is_int(ecsfs_tasks_log_read(tasks, "prod", id, "app", 6, 100, &out), 0, "log read");
		is_str(out.data, "out\nhello err\n", "from an offset");
		is_int(ecsfs_tasks_log_read(tasks, "prod", id, "nope", 0, 1, &out), -ENOENT,
		       "an unknown container's log");
	}
	ecsfs_fake_runtime_exit(rt, ctr, 3);
	settle();
	is_str(last(id), "STOPPED", "essential exit stops the task");
	is_str(field(id, NULL, "stop_code", b, sizeof(b)), "EssentialContainerExited", "stopCode");
	is_str(field(id, NULL, "stopped_reason", b, sizeof(b)),
	       "Essential container in task exited", "stoppedReason");
	is_str(field(id, "app", "exit_code", b, sizeof(b)), "3", "exit code 3");
	is_int(ecsfs_fake_runtime_count(rt, false), 0, "every container removed");
	ecsfs_buf_release(&why);
	ecsfs_buf_release(&out);
}

/* stop with a reason; twice is EALREADY */
static void test_stop_reason(void)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	char id[33], b[256];

	is_int(run("web", id, &why), 0, "run web again");
	settle();
	is_int(ecsfs_tasks_stop(tasks, "prod", id, "maintenance\n", 12, &err), 0, "stop");
	is_int(ecsfs_tasks_stop(tasks, "prod", id, "again", 5, &err), -EALREADY,
	       "a second stop is EALREADY");
	settle();
	is_str(last(id), "STOPPED", "stopped");
	is_str(field(id, NULL, "stopped_reason", b, sizeof(b)), "maintenance",
	       "the reason written");
	is_str(field(id, NULL, "stop_code", b, sizeof(b)), "UserInitiated", "UserInitiated");
	is_str(field(id, "app", "exit_code", b, sizeof(b)), "143", "SIGTERM's exit code");
	is_int(ecsfs_tasks_stop(tasks, "prod", id, "", 0, &err), -EALREADY,
	       "stopping a STOPPED task is EALREADY");
	is_int(ecsfs_tasks_stop(tasks, "prod", "0123", "", 0, &err), -ENOENT, "unknown task");
	ecsfs_buf_release(&why);
}

/* a missing image */
static void test_missing_image(void)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	char id[33], b[256];

	is_int(run("bad", id, &why), 0, "run a task whose image is missing");
	settle();
	is_str(last(id), "STOPPED", "it stops");
	field(id, NULL, "stopped_reason", b, sizeof(b));
	ok(strncmp(b, "CannotPullContainerError: ", 26) == 0, "CannotPullContainerError: %s", b);
	is_int(ecsfs_fake_runtime_count(rt, false), 0, "no container leaked");
	ecsfs_buf_release(&why);
}

/* secrets */
static void test_secrets(void)
{
	ecsfs_buf why = ECSFS_BUF_INIT, out = ECSFS_BUF_INIT;
	char id[33], b[256];
	const char *ctr;
	json_t *cfg;

	is_int(run("sec", id, &why), 0, "run with a missing secret");
	settle();
	is_str(last(id), "STOPPED", "it stops");
	field(id, NULL, "stopped_reason", b, sizeof(b));
	ok(strstr(b, "ResourceInitializationError") && strstr(b, "db-pw"),
	   "ResourceInitializationError naming the secret: %s", b);
	ecsfs_store_secret_put(s, "db-pw", "s3cr3t", 6);
	is_int(run("sec", id, &why), 0, "run with the secret");
	settle();
	is_str(last(id), "RUNNING", "RUNNING");
	ctr = ecsfs_fake_runtime_find(rt, id, "app");
	cfg = ctr ? ecsfs_fake_runtime_config(rt, ctr) : NULL;
	{
		char *env = json_dumps(json_object_get(cfg, "Env"), 0);
		char *labels = json_dumps(json_object_get(cfg, "Labels"), 0);
		ok(env && strstr(env, "PW=s3cr3t"), "the value is in the environment");
		ok(labels && !strstr(labels, "s3cr3t"), "and not in the labels");
		free(env);
		free(labels);
	}
	ecsfs_buf_reset(&out);
	describe(id, &out);
	ok(!strstr(out.data, "s3cr3t"), "nor in task.json");
	ecsfs_tasks_stop(tasks, "prod", id, "", 0, &err);
	settle();
	ecsfs_buf_release(&why);
	ecsfs_buf_release(&out);
}

/* dependsOn SUCCESS, met and never met */
static void test_depends(char id[33])
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	char id2[33], b[256];

	is_int(run("dep", id, &why), 0, "run dep");
	settle();
	is_str(field(id, "app", "last_status", b, sizeof(b)), "PENDING", "app waits for init");
	ecsfs_fake_runtime_exit(rt, ecsfs_fake_runtime_find(rt, id, "init"), 0);
	settle();
	is_str(field(id, "app", "last_status", b, sizeof(b)), "RUNNING",
	       "init exited 0: app starts");
	is_str(last(id), "RUNNING", "the task is RUNNING");
	is_int(run("dep", id2, &why), 0, "run dep again");
	settle();
	ecsfs_fake_runtime_exit(rt, ecsfs_fake_runtime_find(rt, id2, "init"), 1);
	settle();
	is_str(last(id2), "STOPPED", "init exited 1: the task stops");
	field(id2, NULL, "stopped_reason", b, sizeof(b));
	ok(strstr(b, "can never be met") && strstr(b, "init"), "the reason names it: %s", b);
	ecsfs_buf_release(&why);
}

/* a non-essential exit does not stop the task */
static void test_non_essential(char id2[33])
{
	ecsfs_buf why = ECSFS_BUF_INIT;

	is_int(run("side", id2, &why), 0, "run side");
	settle();
	ecsfs_fake_runtime_exit(rt, ecsfs_fake_runtime_find(rt, id2, "helper"), 0);
	settle();
	is_str(last(id2), "RUNNING", "still RUNNING after a non-essential exit");
	ecsfs_buf_release(&why);
}

/* restart: re-adopt, never duplicate */
static void test_restart(const char *id, const char *id2)
{
	ecsfs_buf out = ECSFS_BUF_INIT;
	char b[256];

	{
		size_t before = ecsfs_fake_runtime_count(rt, false);
		const char *app = ecsfs_fake_runtime_find(rt, id, "app");
		char keep[80];
		snprintf(keep, sizeof(keep), "%s", app ? app : "");
		ecsfs_tasks_free(tasks);
		open_tasks();
		settle();
		is_str(last(id), "RUNNING", "after a restart the task is RUNNING");
		is_int(ecsfs_fake_runtime_count(rt, false), before, "no container was added");
		ecsfs_buf_reset(&out);
		describe(id, &out);
		ok(strstr(out.data, keep) != NULL, "same runtimeId");
		/* behind its back */
		ecsfs_fake_runtime_destroy(rt, keep);
		settle();
		is_str(last(id), "STOPPED", "a container removed outside stops its task");
		field(id, "app", "reason", b, sizeof(b));
		ok(strstr(b, "removed") != NULL, "with a reason: %s", b);
	}
	ecsfs_tasks_stop(tasks, "prod", id2, "", 0, &err);
	settle();
	ecsfs_buf_release(&out);
}

/* many tasks */
static void test_many(void)
{
	ecsfs_buf why = ECSFS_BUF_INIT;

	for (int i = 0; i < 30; i++)
		run("web 10", NULL, &why);
	settle();
	{
		unsigned pending, running, stopped;
		ecsfs_tasks_counts(tasks, "prod", &pending, &running, &stopped);
		is_int(running, 300, "300 tasks RUNNING");
		is_int(pending, 0, "none pending");
		is_int(ecsfs_fake_runtime_count(rt, true), 600, "600 containers (pause + app)");
		int n = 0;
		ecsfs_tasks_list(tasks, "prod", count_cb, &n);
		ok(n >= 300, "listed");
	}
	ecsfs_buf_release(&why);
}

int main(void)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	char id[33], id2[33];

	/* the ARNs below were written for region "local" */
	ecsfs_arn_configure("local", NULL, NULL);
	harness_open_fake(dir, &loop, &s, &rt);
	open_tasks();
	families();
	test_bad_input();
	test_start_errors();
	test_typed_start();
	test_run_request();
	test_one_task();
	test_stop_reason();
	test_missing_image();
	test_secrets();
	test_depends(id);
	test_non_essential(id2);
	test_restart(id, id2);
	test_many();

	test_awsvpc();
	test_awsvpc_stop_all();
	test_bridge_and_clusters();
	test_task_subnet();

	ecsfs_tasks_free(tasks);
	harness_close_fake(dir, &loop, s, rt);
	ecsfs_buf_release(&why);
	ecsfs_err_release(&err);
	return tap_done();
}
