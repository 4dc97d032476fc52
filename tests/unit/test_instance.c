/* Container instances on the fake runtime: documents, engines, views, state. */
#include "fake_harness.h"

#include <unistd.h>

#include "ecsfs/instance.h"
#include "ecsfs/metrics.h"

static char dir[] = "/tmp/ecsfs-instance-XXXXXX";
static uv_loop_t loop;
static ecsfs_store *s;
static ecsfs_runtime *rt;
static ecsfs_tasks *tasks;
static ecsfs_instances *in;
static ecsfs_err err = ECSFS_ERR_INIT;

/* The engines the factory made, by the order they were asked for. */
static ecsfs_runtime *made[8];
static size_t nmade;
/* The TLS files the factory was given last. */
static char made_tls[3][256];

static int fake_engine(void *data, const char *endpoint, const char *ca, const char *cert,
		       const char *key, ecsfs_runtime **out, ecsfs_buf *why)
{
	(void)data;
	snprintf(made_tls[0], 256, "%s", ca ? ca : "");
	snprintf(made_tls[1], 256, "%s", cert ? cert : "");
	snprintf(made_tls[2], 256, "%s", key ? key : "");
	if (strstr(endpoint, "refused")) {
		ecsfs_buf_setf(why, "%s: refused by the test", endpoint);
		return -ENOTSUP;
	}
	if (nmade == sizeof(made) / sizeof(made[0]) || !(*out = ecsfs_fake_runtime_new()))
		return -ENOMEM;
	made[nmade++] = *out;
	return 0;
}

static json_t *doc(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);
	if (!j)
		abort();
	return j;
}

static int put(const char *name, const char *text)
{
	json_t *j = doc(text);
	int r;

	ecsfs_err_release(&err);
	r = ecsfs_instance_put(in, "prod", name, j, NULL, &err);
	json_decref(j);
	return r;
}

static void open_instances(void)
{
	ecsfs_instances_opts o = {.local = rt,
				  .local_endpoint = "unix:///var/run/docker.sock",
				  .engine = fake_engine,
				  .lost_after_s = 1};
	ecsfs_buf why = ECSFS_BUF_INIT;

	is_int(ecsfs_instances_new(&loop, s, tasks, &o, &in, &why), 0, "instances open");
	ecsfs_buf_release(&why);
}

static void flush_all(void)
{
	for (int round = 0; round < 5; round++) {
		ecsfs_fake_runtime_flush(rt);
		for (size_t i = 0; i < nmade; i++)
			ecsfs_fake_runtime_flush(made[i]);
		ecsfs_instances_sweep(in);
	}
}

static int names_cb(void *data, const char *name)
{
	ecsfs_buf_addf(data, "%s ", name);
	return 0;
}

static int64_t resource(json_t *d, const char *which, const char *name)
{
	size_t i;
	json_t *r;

	json_array_foreach(json_object_get(d, which), i, r)
		if (strcmp(json_string_value(json_object_get(r, "name")), name) == 0)
			return json_integer_value(json_object_get(r, "integerValue"));
	return -1;
}

static const char *attr(json_t *d, const char *name)
{
	size_t i;
	json_t *a;

	json_array_foreach(json_object_get(d, "attributes"), i, a)
		if (strcmp(json_string_value(json_object_get(a, "name")), name) == 0)
			return json_string_value(json_object_get(a, "value"));
	return NULL;
}

static void test_documents(void)
{
	is_int(put("e1", "{\"endpoint\": \"unix:///run/e1.sock\", \"attributes\": [{\"name\": "
			 "\"rack\", \"value\": \"a\"}], \"capacityProvider\": \"pool\"}"),
	       0, "an instance registers");
	is_int(put("e2", "{\"endpoint\": \"unix:///run/e1.sock\"}"), -EINVAL,
	       "a duplicate endpoint is refused");
	ok(strstr(err.msg.data, "endpoint: unix:///run/e1.sock is instance e1"), "it names which");
	is_int(put("e2", "{\"endpoint\": \"unix:///var/run/docker.sock\"}"), -EINVAL,
	       "the daemon's own endpoint is refused");
	is_int(put("e2", "{\"endpoint\": \"unix:///run/e2.sock\", \"colour\": 1}"), -EINVAL,
	       "an unknown field is refused");
	is_str(err.msg.data, "colour: unknown field", "naming it");
	is_int(put("e2", "{\"endpoint\": \"tcp://h:2376\", \"tls\": {\"ca\": \"/nonexistent/ca\", "
			 "\"cert\": \"/etc/hostname\", \"key\": \"/etc/hostname\"}}"),
	       -EINVAL, "a missing TLS file is refused");
	ok(strstr(err.msg.data, "tls.ca: /nonexistent/ca"), "naming the field: %s", err.msg.data);
	is_int(put("e2", "{\"endpoint\": \"http://h:1\"}"), -EINVAL,
	       "an endpoint of no known form");
	is_int(put("local", "{\"endpoint\": \"unix:///run/x.sock\"}"), -EINVAL,
	       "the name local is the daemon's");
	is_int(put("e2", "{\"endpoint\": \"unix:///run/refused.sock\"}"), 0,
	       "an engine that cannot be made still registers");
}

static void test_views(void)
{
	ecsfs_buf b = ECSFS_BUF_INIT;
	json_t *d = NULL;

	flush_all();
	ecsfs_instance_list(in, "prod", names_cb, &b);
	is_str(b.data, "local e1 e2 ", "local first, then by name");
	is_int(ecsfs_instance_describe(in, "prod", "e1", &d), 0, "e1 describes");
	is_int(resource(d, "registeredResources", "CPU"), 2048, "CPU is 1024 x NCPU");
	is_int(resource(d, "registeredResources", "MEMORY"), 4096, "MEMORY is MemTotal in MiB");
	is_str(attr(d, "ecs.availability-zone"), "local", "the zone defaults to local");
	is_str(attr(d, "rack"), "a", "the document's attributes are there");
	is_str(json_string_value(json_object_get(d, "capacityProviderName")), "pool",
	       "its capacity provider");
	ok(json_is_true(json_object_get(d, "agentConnected")), "connected");
	json_decref(d);
	ecsfs_fake_runtime_set_reachable(made[0], false, "the test pulled the plug");
	flush_all();
	is_int(ecsfs_instance_describe(in, "prod", "e1", &d), 0, "e1 describes while away");
	ok(json_is_false(json_object_get(d, "agentConnected")), "not connected");
	is_str(json_string_value(json_object_get(d, "statusReason")), "the test pulled the plug",
	       "instance.json says why: the engine client's words");
	json_decref(d);
	ecsfs_buf_reset(&b);
	ecsfs_instance_status(in, "prod", "e2", &b);
	ok(strstr(b.data, "why: unix:///run/refused.sock: refused by the test"),
	   "an engine that cannot be made says why in its status");
	ecsfs_fake_runtime_set_reachable(made[0], true, NULL);
	ecsfs_buf_release(&b);
}

static void test_state(void)
{
	ecsfs_buf b = ECSFS_BUF_INIT;

	is_int(ecsfs_instance_set_state(in, "prod", "local", "DRAINING", &err), 0, "local drains");
	ecsfs_instance_state(in, "prod", "local", &b);
	is_str(b.data, "DRAINING\n", "its state says so");
	is_int(ecsfs_instance_set_state(in, "prod", "e1", "ASLEEP", &err), -EINVAL,
	       "a state of no such name");
	is_int(ecsfs_instance_set_state(in, "prod", "nope", "ACTIVE", &err), -ENOENT,
	       "an instance of no such name");
	is_int(ecsfs_instance_set_state(in, "prod", "local", "ACTIVE\n", &err), 0, "active again");
	ecsfs_buf_release(&b);
}

static void settle(void)
{
	for (int i = 0; i < 30; i++) {
		int n = ecsfs_fake_runtime_flush(rt);
		for (size_t j = 0; j < nmade; j++)
			n += ecsfs_fake_runtime_flush(made[j]);
		ecsfs_tasks_sweep(tasks);
		ecsfs_instances_sweep(in);
		if (n == 0 && i > 2)
			break;
	}
}

/* Start `count` tasks of web with `extra` RunTask fields; their ids. */
static json_t *run(int count, const char *extra)
{
	char text[512];
	json_t *rq, *ids = NULL;
	ecsfs_task_launch l = {0};

	snprintf(text, sizeof(text), "{\"taskDefinition\": \"web\", \"count\": %d%s}", count,
		 extra);
	rq = doc(text);
	l.request = rq;
	ecsfs_err_release(&err);
	if (ecsfs_tasks_start(tasks, "prod", &l, &ids, &err) < 0)
		printf("# start: %s\n", err.msg.data);
	json_decref(rq);
	return ids;
}

static const char *field(const char *id, const char *key, char out[256])
{
	json_t *d = NULL;

	out[0] = '\0';
	if (ecsfs_tasks_describe(tasks, "prod", id, &d) == 0)
		snprintf(out, 256, "%s", json_string_value(json_object_get(d, key)) ?: "");
	json_decref(d);
	return out;
}

static size_t on_instance(json_t *ids, const char *name)
{
	size_t i, n = 0;
	json_t *id;
	char buf[256];

	json_array_foreach(ids, i, id) {
		const char *arn = field(json_string_value(id), "containerInstanceArn", buf);
		const char *slash = strrchr(arn, '/');
		n += slash && strcmp(slash + 1, name) == 0;
	}
	return n;
}

/* The sampler asks the engine of the task (e1's, not the daemon's) for its
 * containers' stats. */
static void test_metrics(const char *id)
{
	json_t *st = json_pack("{s:s, s:{s:{s:I}}, s:{s:I}}", "read", "2026-12-02T06:00:00Z",
			       "cpu_stats", "cpu_usage", "total_usage", (json_int_t)1000000,
			       "memory_stats", "usage", (json_int_t)(42 << 20));
	const char *rid = ecsfs_fake_runtime_find(made[0], id, "app");
	ecsfs_buf b = ECSFS_BUF_INIT;
	ecsfs_metrics *mx = NULL;

	ok(rid && ecsfs_fake_runtime_find(rt, id, "app") == NULL,
	   "the task's container is on e1's engine only");
	is_int(ecsfs_fake_runtime_set_stats(made[0], rid ? rid : "", st), 0, "e1 has its stats");
	json_decref(st);
	is_int(ecsfs_metrics_new(NULL, s, rt, tasks, NULL, 1, &mx), 0, "a sampler");
	ecsfs_metrics_sample_now(mx);
	for (int i = 0; i < 100 && ecsfs_metrics_busy(mx); i++)
		settle();
	ok(!ecsfs_metrics_busy(mx), "its round ends");
	ecsfs_metrics_text(mx, "prod", NULL, id, &b);
	/* 42 MiB of the container's 64 (insights are off: the basic figure) */
	ok(strstr(b.data, "MemoryUtilization: 65.62\n") != NULL,
	   "the task's figures are e1's: MemoryUtilization 65.62 %%");
	ecsfs_metrics_free(mx);
	ecsfs_buf_release(&b);
}

/* Tasks go to both engines; a lost one's tasks stop naming it, and what
 * they left there is removed when it answers again. */
static void test_tasks(void)
{
	json_t *ids, *id;
	char buf[256];
	size_t i;
	bool named = true;

	harness_register(s, "web",
			 "{\"containerDefinitions\": [{\"name\": \"app\", \"image\": \"busybox\", "
			 "\"memory\": 64}]}");
	settle();
	ids = run(4, ", \"placementStrategy\": [{\"type\": \"spread\", \"field\": "
		     "\"instanceId\"}]");
	settle();
	is_int(json_array_size(ids), 4, "four tasks start");
	is_int(on_instance(ids, "local"), 2, "two on local");
	is_int(on_instance(ids, "e1"), 2, "two on e1 (e2 has no engine)");
	is_int(ecsfs_fake_runtime_count(rt, true), 4, "local runs two tasks (with pauses)");
	is_int(ecsfs_fake_runtime_count(made[0], true), 4, "e1 runs two tasks (with pauses)");
	json_array_foreach(ids, i, id)
		ok(strcmp(field(json_string_value(id), "lastStatus", buf), "RUNNING") == 0,
		   "task %zu RUNNING", i);
	ecsfs_fake_runtime_set_reachable(made[0], false, "gone");
	settle();
	for (int w = 0; w < 100 && on_instance(ids, "e1") &&
			strcmp(field(json_string_value(json_array_get(ids, 2)), "lastStatus", buf),
			       "STOPPED") != 0;
	     w++) {
		usleep(50000);
		settle();
	}
	json_array_foreach(ids, i, id) {
		const char *arn = field(json_string_value(id), "containerInstanceArn", buf);
		char st[256], why[256];
		if (!strstr(arn, "/e1"))
			continue;
		field(json_string_value(id), "lastStatus", st);
		field(json_string_value(id), "stoppedReason", why);
		named = named && strcmp(st, "STOPPED") == 0 && strstr(why, "e1 was lost");
	}
	ok(named, "the lost instance's tasks are STOPPED, the reason names it");
	is_int(ecsfs_fake_runtime_count(rt, true), 4, "local's go on");
	ecsfs_fake_runtime_set_reachable(made[0], true, NULL);
	settle();
	is_int(ecsfs_fake_runtime_count(made[0], false), 0,
	       "back again, e1's stale containers are removed");
	json_decref(ids);
	ids = run(2, ", \"placementConstraints\": [{\"type\": \"memberOf\", \"expression\": "
		     "\"attribute:rack == a\"}]");
	settle();
	is_int(on_instance(ids, "e1"), 2, "memberOf places on e1 only");
	test_metrics(json_string_value(json_array_get(ids, 0)));
	ecsfs_instance_set_state(in, "prod", "e1", "DRAINING", &err);
	json_decref(ids);
	ids = run(1, "");
	is_int(on_instance(ids, "local"), 1, "a DRAINING instance gets no new task");
	is_int(ecsfs_instance_delete(in, "prod", "e1", &err), -EBUSY,
	       "an instance with tasks cannot deregister");
	ecsfs_instance_set_state(in, "prod", "e1", "ACTIVE", &err);
	json_decref(ids);
}

static void test_reload(void)
{
	ecsfs_buf b = ECSFS_BUF_INIT;

	ecsfs_instances_free(in);
	nmade = 0;
	open_instances();
	ecsfs_instance_list(in, "prod", names_cb, &b);
	is_str(b.data, "local e1 e2 ", "a restart loads them again");
	is_int(ecsfs_instance_delete(in, "prod", "e2", &err), 0, "e2 deregisters");
	is_int(ecsfs_instance_exists(in, "prod", "e2"), -ENOENT, "it is gone");
	is_int(ecsfs_instance_delete(in, "prod", "local", &err), -ENOENT, "local cannot go");
	ecsfs_buf_release(&b);
}

/* Write `text` to dir/name; its path in out. */
static const char *file(const char *name, const char *text, char out[256])
{
	FILE *f;

	snprintf(out, 256, "%s/%s", dir, name);
	if (!(f = fopen(out, "w")))
		abort();
	fputs(text, f);
	fclose(f);
	return out;
}

static int put_tls(const char *name, const char *endpoint, const char *ca, const char *cert,
		   const char *key)
{
	char text[1024];

	snprintf(text, sizeof(text),
		 "{\"endpoint\": \"%s\", \"tls\": {\"ca\": \"%s\", \"cert\": \"%s\", "
		 "\"key\": \"%s\"}, \"attributes\": [{\"name\": \"site\", \"value\": \"%s\"}]}",
		 endpoint, ca, cert, key, name);
	return put(name, text);
}

/* The stored document of prod/name, canonical, "" when none. */
static void stored(const char *name, ecsfs_buf *out)
{
	ecsfs_instance_row row;

	ecsfs_instance_row_init(&row);
	ecsfs_buf_reset(out);
	if (ecsfs_store_instance_get(s, "prod", name, &row) == 0)
		ecsfs_buf_add(out, row.doc.data, row.doc.len);
	ecsfs_instance_row_release(&row);
}

/* tcp:// with TLS files: what is checked at the write, what the engine
 * factory is given, what is refused and that a refusal keeps the old. */
static void test_tls(void)
{
	char ca[256], cert[256], key[256], txt[256], sock[256], sub[256], link[300];
	ecsfs_buf before = ECSFS_BUF_INIT, after = ECSFS_BUF_INIT;

	file("ca.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", ca);
	file("cert.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", cert);
	file("key.pem", "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n", key);
	file("plain.txt", "not a certificate\n", txt);
	is_int(put_tls("t1", "tcp://10.0.0.9:2376", ca, cert, key), 0, "tcp:// with TLS registers");
	ok(strcmp(made_tls[0], ca) == 0 && strcmp(made_tls[1], cert) == 0 &&
	       strcmp(made_tls[2], key) == 0,
	   "the engine is made with its CA, certificate and key");
	is_int(put("t2", "{\"endpoint\": \"tcp://10.0.0.10:2375\"}"), 0,
	       "tcp:// without TLS registers");
	is_str(made_tls[0], "", "and its engine has no TLS files");

	stored("t1", &before);
	is_int(put_tls("t1", "tcp://10.0.0.9:2376", ca, cert, "/nonexistent/key.pem"), -EINVAL,
	       "a missing key file is refused");
	ok(strstr(err.msg.data, "tls.key: /nonexistent/key.pem: No such file"),
	   "naming tls.key: %s", err.msg.data);
	stored("t1", &after);
	ok(before.len && strcmp(before.data, after.data) == 0, "the document before stays");
	is_int(put_tls("t1", "tcp://10.0.0.9:2376", dir, cert, key), -EINVAL,
	       "a directory as the CA is refused");
	ok(strstr(err.msg.data, "tls.ca: ") && strstr(err.msg.data, "is not a regular file"),
	   "naming tls.ca: %s", err.msg.data);
	is_int(put_tls("t1", "tcp://10.0.0.9:2376", ca, txt, key), -EINVAL,
	       "a certificate that is no PEM file is refused");
	ok(strstr(err.msg.data, "tls.cert: ") && strstr(err.msg.data, "no PEM block"),
	   "naming tls.cert: %s", err.msg.data);
	is_int(put_tls("t1", "tcp://10.0.0.9:2376", "ca.pem", cert, key), -EINVAL,
	       "a relative path is refused");
	ecsfs_buf_setf(&after, "{\"endpoint\": \"tcp://10.0.0.9:2376\", \"tls\": {\"ca\": \"%s\"}}",
		       ca);
	is_int(put("t1", after.data), -EINVAL, "tls without a certificate and key is refused");
	ok(strstr(err.msg.data, "tls.cert"), "naming what is missing: %s", err.msg.data);
	is_int(put_tls("t3", "unix:///run/t3.sock", ca, cert, key), -EINVAL,
	       "tls with a unix socket is refused");
	ok(strstr(err.msg.data, "tls: only a tcp:// endpoint uses TLS"), "saying so: %s",
	   err.msg.data);
	stored("t1", &after);
	ok(strcmp(before.data, after.data) == 0, "after every refusal, the document is the same");

	static const char *const bad[] = {"tcp://h",	   "tcp://:2376", "tcp://h:0",
					  "tcp://h:65536", "tcp://h:1/x", "tcp://u@h:1",
					  "tcp://h:x",	   "https://h:1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[128];
		snprintf(text, sizeof(text), "{\"endpoint\": \"%s\"}", bad[i]);
		is_int(put("t3", text), -EINVAL, "a malformed endpoint %s is refused", bad[i]);
		ok(strncmp(err.msg.data, "endpoint: ", 10) == 0, "naming the field: %s",
		   err.msg.data);
	}

	is_int(put("t3", "{\"endpoint\": \"tcp://localhost:2375\"}"), 0,
	       "tcp://localhost registers");
	is_int(put("t4", "{\"endpoint\": \"tcp://127.0.0.1:2375\"}"), -EINVAL,
	       "the same engine as 127.0.0.1 is a duplicate");
	ok(strstr(err.msg.data, "is instance t3 of cluster prod already (as tcp://localhost:2375)"),
	   "naming the instance and how it spelled it: %s", err.msg.data);
	is_int(put("t4", "{\"endpoint\": \"tcp://127.0.0.1:2376\"}"), 0,
	       "another port of that host is another engine");
	is_int(put("t5", "{\"endpoint\": \"tcp://[0:0::1]:2375\"}"), 0, "an IPv6 host registers");
	is_int(put("t6", "{\"endpoint\": \"tcp://[::1]:2375\"}"), -EINVAL,
	       "the same IPv6 address written another way is a duplicate");
	file("engine.sock", "", sock);
	snprintf(sub, sizeof(sub), "%s/via", dir);
	snprintf(link, sizeof(link), "unix://%s/via/engine.sock", dir);
	if (symlink(dir, sub) < 0)
		abort();
	ecsfs_buf_setf(&after, "{\"endpoint\": \"unix://%s\"}", sock);
	is_int(put("t6", after.data), 0, "a unix socket registers");
	ecsfs_buf_setf(&after, "{\"endpoint\": \"%s\"}", link);
	is_int(put("t7", after.data), -EINVAL,
	       "the same socket through a symlinked directory is refused");
	ok(strstr(err.msg.data, "is instance t6"), "naming it: %s", err.msg.data);
	unlink(sub);
	unlink(sock);

	static const char *const gone[] = {"t1", "t2", "t3", "t4", "t5", "t6"};
	for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++)
		is_int(ecsfs_instance_delete(in, "prod", gone[i], &err), 0, "%s deregisters",
		       gone[i]);
	ecsfs_buf_release(&before);
	ecsfs_buf_release(&after);
}

int main(void)
{
	ecsfs_buf why = ECSFS_BUF_INIT;

	harness_open_fake(dir, &loop, &s, &rt);
	is_int(ecsfs_tasks_new(&loop, s, rt, dir, &tasks, &why), 0, "tasks");
	open_instances();
	test_documents();
	test_views();
	test_state();
	test_tasks();
	test_reload();
	test_tls();
	ecsfs_instances_free(in); /* closes (frees) the engines it made */
	ecsfs_tasks_free(tasks);
	harness_close_fake(dir, &loop, s, rt);
	ecsfs_buf_release(&why);
	ecsfs_err_release(&err);
	return tap_done();
}
