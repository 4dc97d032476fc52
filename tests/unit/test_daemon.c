/* Services over several engines on the fake runtime: DAEMON services follow
 * their instances, draining replaces a service's tasks within its bounds,
 * and a lost engine that returns never takes a service past maximumPercent. */
#include "fake_harness.h"

#include <unistd.h>

#include "ecsfs/instance.h"
#include "service_probe.h"

static char dir[] = "/tmp/ecsfs-daemon-XXXXXX";
static uv_loop_t loop;
static ecsfs_store *s;
static ecsfs_runtime *rt;
static ecsfs_tasks *tasks;
static ecsfs_instances *in;
static ecsfs_services *sv;
static ecsfs_err err = ECSFS_ERR_INIT;

/* The engines the factory made, by the order they were asked for. */
static ecsfs_runtime *made[8];
static size_t nmade;

static int fake_engine(void *data, const char *endpoint, const char *ca, const char *cert,
		       const char *key, ecsfs_runtime **out, ecsfs_buf *why)
{
	(void)data, (void)endpoint, (void)ca, (void)cert, (void)key, (void)why;
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

static void pass(void);

/* Register instance `name` of `cluster` at a socket of its own. */
static void instance(const char *cluster, const char *name, const char *attrs)
{
	char text[512];
	json_t *j;

	snprintf(text, sizeof(text), "{\"endpoint\": \"unix:///run/%s-%s.sock\"%s}", cluster, name,
		 attrs);
	j = doc(text);
	ecsfs_err_reset(&err);
	if (ecsfs_instance_put(in, cluster, name, j, NULL, &err) < 0)
		printf("# instance %s: %s\n", name, err.msg.data);
	json_decref(j);
	for (int i = 0; i < 3; i++) /* its engine's host is read */
		pass();
}

static void service(const char *cluster, const char *name, const char *text)
{
	ecsfs_file_meta meta = {.kind = ECSFS_FILE_SPEC, .mode = 0644, .mtime_ns = 1};
	ecsfs_spec_bytes file = {.data = text, .len = strlen(text), .meta = &meta};
	json_t *j = doc(text);

	ecsfs_err_reset(&err);
	if (ecsfs_service_put(sv, cluster, name, j, &file, &err) < 0)
		printf("# service %s: %s\n", name, err.msg.data);
	json_decref(j);
}

static void set_state(const char *cluster, const char *name, const char *state)
{
	ecsfs_err_reset(&err);
	if (ecsfs_instance_set_state(in, cluster, name, state, &err) < 0)
		printf("# state %s: %s\n", name, err.msg.data);
}

/* One pass: the scheduler, the engines, the instances. */
static void pass(void)
{
	ecsfs_services_kick(sv);
	uv_run(&loop, UV_RUN_NOWAIT);
	ecsfs_fake_runtime_flush(rt);
	for (size_t i = 0; i < nmade; i++)
		ecsfs_fake_runtime_flush(made[i]);
	ecsfs_tasks_sweep(tasks);
	ecsfs_instances_sweep(in);
}

/* ---- what a service runs, and where ---- */

#define NAMES 5
typedef struct census {
	const char *cluster;
	const char *const *names; /* the cluster's instances, NULL-terminated */
	size_t live;		  /* desired RUNNING, not STOPPED */
	size_t running;		  /* ... and RUNNING */
	size_t on[NAMES];	  /* live tasks on each instance */
	size_t revision[NAMES];	  /* the revision of the last one seen there */
	char ids[64][33];
	size_t nids;
} census;

static int census_cb(void *data, const ecsfs_task_info *ti)
{
	census *c = data;
	json_t *d = NULL;
	const char *arn, *slash;

	if (!ti->desired_running || strcmp(ti->last_status, "STOPPED") == 0)
		return 0;
	c->live++;
	c->running += strcmp(ti->last_status, "RUNNING") == 0;
	if (c->nids < 64)
		snprintf(c->ids[c->nids++], 33, "%s", ti->id);
	if (ecsfs_tasks_describe(tasks, c->cluster, ti->id, &d) == 0 &&
	    (arn = json_string_value(json_object_get(d, "containerInstanceArn"))) &&
	    (slash = strrchr(arn, '/')))
		for (size_t i = 0; i < NAMES && c->names[i]; i++)
			if (strcmp(c->names[i], slash + 1) == 0) {
				c->on[i]++;
				c->revision[i] = (size_t)ti->revision;
			}
	json_decref(d);
	return 0;
}

static census count(const char *cluster, const char *const *names, const char *svc)
{
	census c = {.cluster = cluster, .names = names};
	char group[300];

	snprintf(group, sizeof(group), "service:%s", svc);
	ecsfs_tasks_foreach(tasks, cluster, group, census_cb, &c);
	return c;
}

/* Did every id of `before` stay live in `after`? */
static bool kept(const census *before, const census *after)
{
	for (size_t i = 0; i < before->nids; i++) {
		bool found = false;
		for (size_t j = 0; j < after->nids && !found; j++)
			found = strcmp(before->ids[i], after->ids[j]) == 0;
		if (!found)
			return false;
	}
	return true;
}

static long long desired_of(const char *cluster, const char *name)
{
	json_t *d = NULL;
	long long n = -1;

	if (ecsfs_service_describe(sv, cluster, name, &d, NULL) == 0)
		n = json_integer_value(json_object_get(d, "desiredCount"));
	json_decref(d);
	return n;
}

/* Passes until the service runs `want` tasks, all RUNNING, and the look is
 * steady (at most `max` passes); whether it got there. */
static bool settle_to(const char *cluster, const char *const *names, const char *svc, size_t want,
		      int max)
{
	for (int i = 0; i < max; i++) {
		census c;
		pass();
		c = count(cluster, names, svc);
		if (c.live == want && c.running == want && i > 3)
			return true;
	}
	return false;
}

/* With DEBUG_DAEMON set, print a service's status and events. */
static void show(const char *cluster, const char *name)
{
	ecsfs_buf st = ECSFS_BUF_INIT, stream = ECSFS_BUF_INIT, out = ECSFS_BUF_INIT;

	if (!getenv("DEBUG_DAEMON"))
		return;
	ecsfs_service_status(sv, cluster, name, &st);
	ecsfs_service_events_stream(cluster, name, &stream);
	ecsfs_store_journal_read(s, stream.data, 0, 1 << 22, &out);
	printf("%s\n%s\n", st.data, out.data);
	ecsfs_buf_release(&st);
	ecsfs_buf_release(&stream);
	ecsfs_buf_release(&out);
}

/* ---- DAEMON ---- */

static const char *const prod[] = {"local", "e1", "e2", "e3", NULL};

static void test_daemon(void)
{
	census a, b;
	json_t *bad;
	int64_t n = -1;

	instance("prod", "e1", ", \"attributes\": [{\"name\": \"rack\", \"value\": \"a\"}]");
	instance("prod", "e2", ", \"attributes\": [{\"name\": \"rack\", \"value\": \"b\"}]");
	service("prod", "mon", "{\"taskDefinition\": \"web\", \"schedulingStrategy\": \"DAEMON\"}");
	ok(settle_to("prod", prod, "mon", 3, 60), "a DAEMON on three instances runs 3 tasks");
	a = count("prod", prod, "mon");
	ok(a.on[0] == 1 && a.on[1] == 1 && a.on[2] == 1, "one on each of local, e1, e2");
	is_int(desired_of("prod", "mon"), 3, "desiredCount is the number of instances");
	ecsfs_service_get_desired(s, "prod", "mon", &n);
	is_int(n, 3, "and so is what desired_count reads");
	ecsfs_err_reset(&err);
	is_int(ecsfs_service_set_desired(sv, "prod", "mon", 5, &err), -EINVAL,
	       "a DAEMON takes no desiredCount");
	ok(strstr(err.msg.data, "desiredCount: The daemon scheduling strategy does not support a "
				"desired count for services") != NULL,
	   "in ECS's words: %s", err.msg.data);
	bad = doc("{\"taskDefinition\": \"web\", \"desiredCount\": 1, \"schedulingStrategy\": "
		  "\"DAEMON\"}");
	ecsfs_err_reset(&err);
	is_int(ecsfs_service_check("prod", "mon", bad, &err), -EINVAL, "nor does its spec file");
	json_decref(bad);
	is_int(ecsfs_service_check_desired_of(s, "prod", "mon", 5, &err), -EINVAL,
	       "the write-time check of desired_count refuses it too");
	{
		static const char *const refused[][2] = {
		    {"\"placementStrategy\": [{\"type\": \"spread\", \"field\": "
		     "\"instanceId\"}]",
		     "placementStrategy: the DAEMON scheduling strategy places one task on each"},
		    {"\"launchType\": \"FARGATE\"",
		     "launchType: Fargate tasks do not support the DAEMON"},
		    {"\"capacityProviderStrategy\": [{\"capacityProvider\": \"pool\"}, "
		     "{\"capacityProvider\": \"FARGATE_SPOT\"}]",
		     "capacityProviderStrategy[1].capacityProvider: Fargate tasks do not"},
		};
		for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
			char text[512];
			snprintf(text, sizeof(text),
				 "{\"taskDefinition\": \"web\", \"schedulingStrategy\": "
				 "\"DAEMON\", %s}",
				 refused[i][0]);
			bad = doc(text);
			ecsfs_err_reset(&err);
			is_int(ecsfs_service_check("prod", "mon", bad, &err), -EINVAL,
			       "a DAEMON refuses %.30s", refused[i][0]);
			ok(err.msg.data && strstr(err.msg.data, refused[i][1]), "... %s",
			   err.msg.data ? err.msg.data : "(none)");
			json_decref(bad);
		}
		bad = doc("{\"taskDefinition\": \"web\", \"schedulingStrategy\": \"DAEMON\", "
			  "\"placementStrategy\": [], \"launchType\": \"EC2\"}");
		ecsfs_err_reset(&err);
		is_int(ecsfs_service_check("prod", "mon", bad, &err), 0,
		       "an empty placementStrategy and launchType EC2 are taken");
		json_decref(bad);
	}
	is_int(desired_of("prod", "mon"), 3, "the refusal changed nothing");

	instance("prod", "e3", ", \"attributes\": [{\"name\": \"rack\", \"value\": \"a\"}]");
	ok(settle_to("prod", prod, "mon", 4, 60), "a fourth instance adds a task");
	b = count("prod", prod, "mon");
	ok(b.on[3] == 1, "on e3");
	ok(kept(&a, &b), "the other three did not move");
	is_int(desired_of("prod", "mon"), 4, "desiredCount follows");

	set_state("prod", "e2", "DRAINING");
	ok(settle_to("prod", prod, "mon", 3, 60), "draining e2 leaves 3 tasks");
	a = count("prod", prod, "mon");
	ok(a.on[2] == 0, "none on e2");
	ok(kept(&a, &b), "nothing else moved");
	is_int(desired_of("prod", "mon"), 3, "desiredCount counts ACTIVE instances");
	ok(probe_events_have(s, "prod", "mon", "has stopped 1 running tasks"),
	   "the events say the task stopped");

	set_state("prod", "e2", "ACTIVE");
	ok(settle_to("prod", prod, "mon", 4, 60), "back to ACTIVE, e2 gets its task again");
	b = count("prod", prod, "mon");
	ok(kept(&a, &b) && b.on[2] == 1, "the others stayed where they were");

	service("prod", "racka",
		"{\"taskDefinition\": \"web\", \"schedulingStrategy\": \"DAEMON\", "
		"\"placementConstraints\": [{\"type\": \"memberOf\", \"expression\": "
		"\"attribute:rack == a\"}]}");
	ok(settle_to("prod", prod, "racka", 2, 60), "memberOf limits a DAEMON: 2 tasks");
	a = count("prod", prod, "racka");
	ok(a.on[1] == 1 && a.on[3] == 1, "on e1 and e3, the instances of rack a");
	is_int(desired_of("prod", "racka"), 2, "its desiredCount is 2");

	service("prod", "nowhere",
		"{\"taskDefinition\": \"web\", \"desiredCount\": 1, \"placementConstraints\": "
		"[{\"type\": \"memberOf\", \"expression\": \"attribute:rack == z\"}]}");
	for (int i = 0; i < 10; i++)
		pass();
	ok(probe_events_have(s, "prod", "nowhere",
			     "(service nowhere) was unable to place a task because no container "
			     "instance met all of its requirements. The closest matching"),
	   "a task that fits nowhere: ECS's event, as placement words it");
	ok(!probe_events_have(s, "prod", "nowhere", "was unable to start tasks") &&
	       !probe_events_have(s, "prod", "nowhere", "section.."),
	   "with nothing before it or after it");
	ecsfs_service_set_desired(sv, "prod", "nowhere", 0, &err);
}

/* A new revision replaces each instance's task; never two on one
 * instance, and with minimumHealthyPercent 50 at least half stay. */
static void test_daemon_deploy(void)
{
	bool one_each = true, half = true;
	census c;

	service("prod", "racka",
		"{\"taskDefinition\": \"web\", \"schedulingStrategy\": \"DAEMON\", "
		"\"deploymentConfiguration\": {\"minimumHealthyPercent\": 50}, "
		"\"placementConstraints\": [{\"type\": \"memberOf\", \"expression\": "
		"\"attribute:rack == a\"}]}");
	harness_register(s, "web",
			 "{\"containerDefinitions\": [{\"name\": \"app\", \"image\": \"busybox\", "
			 "\"memory\": 32}]}");
	for (int i = 0; i < 80; i++) {
		pass();
		c = count("prod", prod, "racka");
		for (size_t k = 0; k < NAMES; k++)
			one_each = one_each && c.on[k] <= 1;
		half = half && c.running >= 1;
		if (c.running == 2 && c.revision[1] == 2 && c.revision[3] == 2 && i > 3)
			break;
	}
	ok(c.revision[1] == 2 && c.revision[3] == 2 && c.running == 2,
	   "the DAEMON runs revision 2 on e1 and e3");
	ok(one_each, "never two of its tasks on one instance");
	ok(half, "minimumHealthyPercent 50: one of two stayed RUNNING at every pass");
	ok(settle_to("prod", prod, "mon", 4, 80), "mon rolled too, 4 tasks");
	c = count("prod", prod, "mon");
	ok(c.revision[0] == 2 && c.revision[2] == 2, "on revision 2");
	show("prod", "mon");
	show("prod", "racka");
}

/* ---- draining a REPLICA service's instance ---- */

static const char *const rep[] = {"local", "r1", NULL};

/* Drain r1 under a service of 4 with these bounds; check them at every
 * pass. */
static void drain_with(const char *name, int min, int max)
{
	char text[512];
	size_t lo = (size_t)(4 * min + 99) / 100, hi = (size_t)(4 * max) / 100;
	bool within = true, started_first = false;
	census c, before;
	int i;

	snprintf(text, sizeof(text),
		 "{\"taskDefinition\": \"web\", \"desiredCount\": 4, "
		 "\"deploymentConfiguration\": {\"minimumHealthyPercent\": %d, "
		 "\"maximumPercent\": %d}, \"placementStrategy\": [{\"type\": \"spread\", "
		 "\"field\": \"instanceId\"}]}",
		 min, max);
	set_state("rep", "r1", "ACTIVE");
	service("rep", name, text);
	ok(settle_to("rep", rep, name, 4, 60), "%s runs 4", name);
	before = count("rep", rep, name);
	is_int(before.on[1], 2, "%s: two of them on r1", name);
	set_state("rep", "r1", "DRAINING");
	for (i = 0; i < 100; i++) {
		pass();
		c = count("rep", rep, name);
		within = within && c.live <= hi && c.running >= lo;
		started_first = started_first || c.live > 4;
		if (c.on[1] == 0 && c.running == 4 && i > 3)
			break;
	}
	ok(within, "%s: min %d%% / max %d%% held at every pass", name, min, max);
	show("rep", name);
	is_int(c.on[1], 0, "%s: the drained instance has no task of it", name);
	is_int(c.on[0], 4, "%s: the 4 run on local", name);
	if (max > 100)
		ok(started_first, "%s: replacements started before the drained stopped", name);
	ok(probe_events_have(s, "rep", name,
			     "is replacing its tasks on draining container instances: r1"),
	   "%s: the events say why", name);
	set_state("rep", "r1", "ACTIVE");
	for (i = 0; i < 10; i++)
		pass();
	c = count("rep", rep, name);
	is_int(c.on[1], 0, "%s: back to ACTIVE, nothing moves back", name);
	ecsfs_err_reset(&err);
	ecsfs_service_set_desired(sv, "rep", name, 0, &err);
	settle_to("rep", rep, name, 0, 60);
}

static void test_drain(void)
{
	json_t *ids = NULL, *rq, *d = NULL;
	ecsfs_task_launch l = {0};
	char st[64] = "";

	is_int(ecsfs_cluster_create(s, "rep", &err), 0, "cluster rep");
	instance("rep", "r1", "");
	drain_with("up", 100, 150);
	drain_with("down", 50, 100);

	/* a standalone task on a draining instance is left alone */
	rq = doc("{\"taskDefinition\": \"web\", \"count\": 1, \"group\": \"solo\", "
		 "\"placementConstraints\": [{\"type\": \"memberOf\", \"expression\": "
		 "\"ec2InstanceId == r1\"}]}");
	l.request = rq;
	ecsfs_err_reset(&err);
	if (ecsfs_tasks_start(tasks, "rep", &l, &ids, &err) < 0)
		printf("# run: %s\n", err.msg.data);
	for (int i = 0; i < 10; i++)
		pass();
	set_state("rep", "r1", "DRAINING");
	for (int i = 0; i < 10; i++)
		pass();
	if (ecsfs_tasks_describe(tasks, "rep", json_string_value(json_array_get(ids, 0)), &d) == 0)
		snprintf(st, sizeof(st), "%s", json_string_value(json_object_get(d, "lastStatus")));
	is_str(st, "RUNNING", "a standalone task on a DRAINING instance keeps running");
	json_decref(d);
	json_decref(ids);
	json_decref(rq);
}

/* ---- a lost engine, and its return ---- */

static const char *const lost[] = {"local", "l1", NULL};

static void test_lost(void)
{
	bool within = true;
	census c;
	int i;

	is_int(ecsfs_cluster_create(s, "lost", &err), 0, "cluster lost");
	instance("lost", "l1", "");
	service("lost", "svc",
		"{\"taskDefinition\": \"web\", \"desiredCount\": 4, "
		"\"deploymentConfiguration\": {\"minimumHealthyPercent\": 50, "
		"\"maximumPercent\": 100}, \"placementStrategy\": [{\"type\": \"spread\", "
		"\"field\": \"instanceId\"}]}");
	ok(settle_to("lost", lost, "svc", 4, 60), "svc runs 4");
	c = count("lost", lost, "svc");
	is_int(c.on[1], 2, "two on l1");
	ecsfs_fake_runtime_set_reachable(made[nmade - 1], false, "gone");
	/* lost after one second: bounded polling, the clock decides */
	for (i = 0; i < 200; i++) {
		pass();
		c = count("lost", lost, "svc");
		within = within && c.live <= 4;
		if (c.on[1] == 0 && c.running == 4)
			break;
		usleep(20000);
	}
	ok(c.on[1] == 0 && c.on[0] == 4, "l1 lost: its tasks are replaced on local");
	ecsfs_fake_runtime_set_reachable(made[nmade - 1], true, NULL);
	for (i = 0; i < 100; i++) {
		pass();
		c = count("lost", lost, "svc");
		within = within && c.live <= 4;
		if (ecsfs_fake_runtime_count(made[nmade - 1], false) == 0 && i > 5)
			break;
	}
	ok(within, "never more than maximumPercent (4) live, lost or back");
	is_int(ecsfs_fake_runtime_count(made[nmade - 1], false), 0,
	       "back again, l1's stale containers are removed");
	c = count("lost", lost, "svc");
	ok(c.live == 4 && c.on[0] == 4, "the service still runs 4, on local");
}

/* A DAEMON's instance lost and back: its task is STOPPED with the instance,
 * and a new one starts there when it answers; the engine never runs two of
 * its tasks (one task: its container and the pause). */
static void test_daemon_lost(void)
{
	size_t most = 0, n;
	census c;
	int i;

	service("lost", "svc", "{\"taskDefinition\": \"web\", \"desiredCount\": 0}");
	service("lost", "dmn", "{\"taskDefinition\": \"web\", \"schedulingStrategy\": \"DAEMON\"}");
	ok(settle_to("lost", lost, "dmn", 2, 60), "a DAEMON on local and l1");
	ecsfs_fake_runtime_set_reachable(made[nmade - 1], false, "gone");
	for (i = 0; i < 200; i++) {
		pass();
		c = count("lost", lost, "dmn");
		if (c.on[1] == 0)
			break;
		usleep(20000);
	}
	is_int(c.on[1], 0, "l1 lost: its task is STOPPED");
	is_int(desired_of("lost", "dmn"), 2, "l1 still counts: desiredCount 2");
	ecsfs_fake_runtime_set_reachable(made[nmade - 1], true, NULL);
	for (i = 0; i < 100; i++) {
		pass();
		n = ecsfs_fake_runtime_count(made[nmade - 1], true);
		most = n > most ? n : most;
		c = count("lost", lost, "dmn");
		if (c.on[1] == 1 && c.running == 2 && i > 5)
			break;
	}
	ok(c.on[1] == 1 && c.running == 2, "back, l1 gets its task again");
	ok(most <= 2, "l1 never ran more than one task of it (%zu containers at most)", most);
}

static void never(uv_timer_t *t)
{
	(void)t;
}

static int on_h6(void *data, const ecsfs_task_info *t)
{
	if (t->desired_running && strcmp(t->instance, "h6") == 0)
		snprintf(data, 33, "%s", t->id);
	return 0;
}

/* An engine at an IPv6 address: its tasks' targets are that address
 * without the brackets of the endpoint (HAProxy takes the port after the
 * last colon). */
static void test_ipv6_host(void)
{
	char id[33] = "", addr[64] = "";
	json_t *j = doc("{\"endpoint\": \"tcp://[::1]:2376\"}");
	int port = 0, i;

	is_int(ecsfs_cluster_create(s, "v6", &err), 0, "cluster v6");
	ecsfs_err_reset(&err);
	is_int(ecsfs_instance_put(in, "v6", "h6", j, NULL, &err), 0, "tcp://[::1]:2376 registers");
	json_decref(j);
	harness_register(s, "pub",
			 "{\"containerDefinitions\": [{\"name\": \"app\", \"image\": \"busybox\", "
			 "\"memory\": 64, \"portMappings\": [{\"containerPort\": 80, "
			 "\"hostPort\": 8081}]}], \"networkMode\": \"bridge\"}");
	service("v6", "edge", "{\"taskDefinition\": \"pub\", \"schedulingStrategy\": \"DAEMON\"}");
	for (i = 0; i < 100 && !*id; i++) {
		pass();
		ecsfs_tasks_foreach(tasks, "v6", NULL, on_h6, id);
	}
	ok(*id, "the DAEMON's task on h6");
	for (i = 0; i < 100; i++) {
		pass();
		if (ecsfs_tasks_target(tasks, "v6", id, "app", 80, addr, &port) == 0)
			break;
	}
	ok(strcmp(addr, "::1") == 0 && port == 8081, "its target is ::1 port 8081 (%s %d)", addr,
	   port);
}

int main(void)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	uv_timer_t keep; /* the scheduler's timer does not keep the loop alive */
	ecsfs_instances_opts o = {.local = rt,
				  .local_endpoint = "unix:///var/run/docker.sock",
				  .engine = fake_engine,
				  .lost_after_s = 1};

	harness_open_fake(dir, &loop, &s, &rt);
	uv_timer_init(&loop, &keep);
	uv_timer_start(&keep, never, 1000000000, 0);
	o.local = rt;
	is_int(ecsfs_tasks_new(&loop, s, rt, dir, &tasks, &why), 0, "tasks");
	is_int(ecsfs_services_new(&loop, s, tasks, &sv), 0, "services");
	ecsfs_services_set_stable(sv, 0);
	is_int(ecsfs_instances_new(&loop, s, tasks, &o, &in, &why), 0, "instances");
	harness_register(s, "web",
			 "{\"containerDefinitions\": [{\"name\": \"app\", \"image\": \"busybox\", "
			 "\"memory\": 64}]}");
	test_daemon();
	test_daemon_deploy();
	test_drain();
	test_lost();
	test_daemon_lost();
	test_ipv6_host();
	ecsfs_services_free(sv);
	ecsfs_instances_free(in);
	ecsfs_tasks_free(tasks);
	uv_close((uv_handle_t *)&keep, NULL);
	harness_close_fake(dir, &loop, s, rt);
	ecsfs_buf_release(&why);
	ecsfs_err_release(&err);
	return tap_done();
}
