/*
 * Services behind load balancers, on the fake runtime and a fake
 * load-balancer controller (this file's own test double of ecsfs/lb.h: the
 * test says which groups exist and moves targets between states): tasks
 * are registered once they run, count as healthy only with healthy
 * targets, are drained before they stop, and are replaced when a target
 * fails its health checks; deployment strategies move them between two
 * groups and put their split on a rule.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "ecsfs/cluster.h"
#include "ecsfs/lb.h"
#include "ecsfs/service.h"
#include "ecsfs/task.h"
#include "ecsfs/taskdef.h"
#include "fake/fake_runtime.h"
#include "fake_harness.h"
#include "service_probe.h"
#include "tap.h"

/* ---- the fake controller ---- */

#define FAKE_MAX 256

struct ecsfs_lb {
	char groups[8][33];
	int ngroups;
	struct fake_target {
		char group[33], task[33], addr[64];
		int port;
		ecsfs_target_state state;
		bool used;
	} t[FAKE_MAX];
	void (*cb)(void *);
	void *cb_data;
	int registers; /* calls that made a new target */
};

static struct ecsfs_lb fake;

/* The group a reference names: its bare name, or the name inside an ARN. */
static const char *group_name(const char *ref)
{
	const char *p = strstr(ref, ":targetgroup/");
	static char name[33];
	if (!p)
		return ref;
	snprintf(name, sizeof(name), "%.*s", (int)strcspn(p + 13, "/"), p + 13);
	return name;
}

static bool group_known(const char *ref)
{
	for (int i = 0; i < fake.ngroups; i++)
		if (strcmp(fake.groups[i], group_name(ref)) == 0)
			return true;
	return false;
}

static struct fake_target *find(const char *ref, const char *task)
{
	for (int i = 0; i < FAKE_MAX; i++)
		if (fake.t[i].used && strcmp(fake.t[i].group, group_name(ref)) == 0 &&
		    strcmp(fake.t[i].task, task) == 0)
			return &fake.t[i];
	return NULL;
}

int ecsfs_lb_group_exists(ecsfs_lb *lb, const char *ref, ecsfs_err *err)
{
	(void)lb;
	return group_known(ref) ? 0 : ecsfs_err_set(err, ECSFS_E_RESOURCE_NOT_FOUND, -ENOENT, "no");
}

int ecsfs_lb_register(ecsfs_lb *lb, const char *ref, const char *cluster, const char *service,
		      const char *task, const char *addr, int port, ecsfs_err *err)
{
	struct fake_target *t = find(ref, task);

	(void)lb, (void)cluster, (void)service;
	if (!group_known(ref))
		return ecsfs_err_set(err, ECSFS_E_RESOURCE_NOT_FOUND, -ENOENT, "no group");
	if (t && t->state != ECSFS_TARGET_DRAINING)
		return 0;
	for (int i = 0; !t && i < FAKE_MAX; i++)
		if (!fake.t[i].used)
			t = &fake.t[i];
	if (!t)
		return -ENOSPC;
	t->used = true;
	snprintf(t->group, sizeof(t->group), "%s", group_name(ref));
	snprintf(t->task, sizeof(t->task), "%s", task);
	snprintf(t->addr, sizeof(t->addr), "%s", addr);
	t->port = port;
	t->state = ECSFS_TARGET_INITIAL;
	fake.registers++;
	return 0;
}

int ecsfs_lb_deregister(ecsfs_lb *lb, const char *ref, const char *task, ecsfs_err *err)
{
	struct fake_target *t = find(ref, task);

	(void)lb;
	if (!group_known(ref))
		return ecsfs_err_set(err, ECSFS_E_RESOURCE_NOT_FOUND, -ENOENT, "no group");
	if (t)
		t->state = ECSFS_TARGET_DRAINING;
	return 0;
}

ecsfs_target_state ecsfs_lb_target_state(ecsfs_lb *lb, const char *ref, const char *task)
{
	struct fake_target *t = find(ref, task);
	(void)lb;
	return t ? t->state : ECSFS_TARGET_NONE;
}

/* A strategy's traffic split changed (nothing to hand to a data plane here). */
void ecsfs_lb_kick(ecsfs_lb *lb)
{
	(void)lb;
}

bool ecsfs_lb_settled(ecsfs_lb *lb)
{
	(void)lb;
	return true;
}

void ecsfs_lb_set_change_cb(ecsfs_lb *lb, void (*cb)(void *data), void *data)
{
	lb->cb = cb;
	lb->cb_data = data;
}

/* Targets of the group in `state`. */
static int count_in(const char *group, ecsfs_target_state state)
{
	int n = 0;
	for (int i = 0; i < FAKE_MAX; i++)
		n += fake.t[i].used && strcmp(fake.t[i].group, group) == 0 &&
		     fake.t[i].state == state;
	return n;
}

/* Move every target of the group in state `from` to `to` (NONE: gone). */
static void move_all(const char *group, ecsfs_target_state from, ecsfs_target_state to)
{
	for (int i = 0; i < FAKE_MAX; i++)
		if (fake.t[i].used && strcmp(fake.t[i].group, group) == 0 &&
		    fake.t[i].state == from) {
			fake.t[i].state = to;
			fake.t[i].used = to != ECSFS_TARGET_NONE;
		}
	if (fake.cb)
		fake.cb(fake.cb_data);
}

/* ---- the rest of the world ---- */

static ecsfs_store *s;
static ecsfs_runtime *rt;
static ecsfs_tasks *tasks;
static ecsfs_services *sv;
static uv_loop_t loop;
static ecsfs_err err = ECSFS_ERR_INIT;
static char dir[] = "/tmp/ecsfs-test-service-lb-XXXXXX";

static void never(uv_timer_t *t)
{
	(void)t;
}

static void reg(const char *family, const char *doc)
{
	harness_register(s, family, doc);
}

static int put(const char *name, const char *text)
{
	json_t *d = json_loads(text, 0, NULL);
	int r;
	ecsfs_err_reset(&err);
	r = d ? ecsfs_service_put(sv, "prod", name, d, NULL, &err) : -EINVAL;
	json_decref(d);
	return r;
}

static long long stat_num(const char *name, const char *key)
{
	return probe_stat_num(sv, "prod", name, key);
}

static bool status_has(const char *name, const char *text)
{
	return probe_status_has(sv, "prod", name, text);
}

static bool events_have(const char *name, const char *text)
{
	return probe_events_have(s, "prod", name, text);
}

static void settle(void)
{
	harness_settle_services(&loop, rt, tasks, sv, 60);
}

typedef struct ids {
	char v[64][33];
	int n;
} ids;

static int ids_cb(void *data, const char *id)
{
	ids *l = data;
	if (l->n < 64)
		snprintf(l->v[l->n++], 33, "%s", id);
	return 0;
}

static ids service_tasks(const char *name)
{
	ids l = {0};
	ecsfs_service_tasks(sv, "prod", name, ids_cb, &l);
	return l;
}

/* Is the task RUNNING (not asked to stop)? */
static bool task_running(const char *id)
{
	ecsfs_buf st = ECSFS_BUF_INIT;
	bool r = ecsfs_tasks_status(tasks, "prod", id, NULL, &st) == 0 &&
		 strstr(st.data, "last_status: RUNNING") &&
		 strstr(st.data, "desired_status: RUNNING");
	ecsfs_buf_release(&st);
	return r;
}

static void open_all(void)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	is_int(ecsfs_tasks_new(&loop, s, rt, dir, &tasks, &why), 0, "tasks open");
	is_int(ecsfs_services_new(&loop, s, tasks, &sv), 0, "services open");
	ecsfs_services_set_stable(sv, 0);
	ecsfs_services_set_lb(sv, &fake);
	ecsfs_buf_release(&why);
}

static void close_all(void)
{
	ecsfs_services_free(sv);
	uv_run(&loop, UV_RUN_NOWAIT);
	ecsfs_tasks_free(tasks);
}

#define WEB_LB                                                                             \
	"\"loadBalancers\":[{\"targetGroupArn\":\"arn:aws:elasticloadbalancing:us-east-1:" \
	"000000000000:targetgroup/tg-web/0123456789abcdef\",\"containerName\":\"app\","    \
	"\"containerPort\":8080}]"

static const char *web_def(int memory)
{
	static char b[512];
	snprintf(
	    b, sizeof(b),
	    "{\"networkMode\":\"host\",\"containerDefinitions\":[{\"name\":\"app\","
	    "\"image\":\"busybox\",\"memory\":%d,\"portMappings\":[{\"containerPort\":8080}]}]}",
	    memory);
	return b;
}

static void check_waiting_and_registering(void)
{
	reg("web", web_def(64));
	is_int(put("web", "{\"taskDefinition\":\"web\",\"desiredCount\":2," WEB_LB "}"), 0,
	       "a service naming a target group that does not exist (%s)", err.msg.data);
	settle();
	ok(status_has("web", "state: waiting for target group"), "status says it waits");
	ok(events_have("web", "is waiting for target group"), "and so do events");
	is_int(stat_num("web", "running_count"), 0, "nothing starts");
	snprintf(fake.groups[fake.ngroups++], 33, "tg-web");
	settle();
	is_int(stat_num("web", "running_count"), 2, "2 RUNNING once the group exists");
	is_int(count_in("tg-web", ECSFS_TARGET_INITIAL), 2, "both registered, initial");
	ok(fake.t[0].port == 8080 && strcmp(fake.t[0].addr, "127.0.0.1") == 0,
	   "at the task's address (host mode: 127.0.0.1:8080)");
	ok(events_have("web",
		       "registered 2 targets in (target-group "
		       "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/tg-web/"),
	   "events say so, with the group's ARN");
	ok(!status_has("web", "state: steady"), "not steady while the targets are initial");
	move_all("tg-web", ECSFS_TARGET_INITIAL, ECSFS_TARGET_HEALTHY);
	settle();
	ok(status_has("web", "state: steady"), "steady once they are healthy");
	int before = fake.registers;
	settle();
	is_int(fake.registers, before, "looking again registers nothing twice");
}

static void check_rollout(void)
{
	ids old = service_tasks("web"), now;
	int old_running = 0;

	reg("web", web_def(96));
	settle();
	now = service_tasks("web");
	is_int(now.n, 4, "web:2 starts 2 tasks beside the 2 old ones");
	is_int(count_in("tg-web", ECSFS_TARGET_INITIAL), 2, "the new ones are registered");
	for (int i = 0; i < old.n; i++)
		old_running += task_running(old.v[i]);
	is_int(old_running, 2, "the old ones keep running while the new targets are initial");
	move_all("tg-web", ECSFS_TARGET_INITIAL, ECSFS_TARGET_HEALTHY);
	settle();
	is_int(count_in("tg-web", ECSFS_TARGET_DRAINING), 2, "then the old targets drain");
	old_running = 0;
	for (int i = 0; i < old.n; i++)
		old_running += task_running(old.v[i]);
	is_int(old_running, 2, "and their tasks still run while they drain");
	ok(events_have("web", "has begun draining connections on 2 tasks."), "draining event");
	move_all("tg-web", ECSFS_TARGET_DRAINING, ECSFS_TARGET_NONE);
	settle();
	old_running = 0;
	for (int i = 0; i < old.n; i++)
		old_running += task_running(old.v[i]);
	is_int(old_running, 0, "once drained they are stopped");
	ok(events_have("web", "deregistered 2 targets in (target-group "), "deregistered event");
	ok(status_has("web", "PRIMARY web:2 COMPLETED"), "the deployment COMPLETED");
	is_int(count_in("tg-web", ECSFS_TARGET_HEALTHY), 2, "2 healthy targets left");
}

static void check_scale_in_and_health(void)
{
	ids before;

	is_int(ecsfs_service_set_desired(sv, "prod", "web", 1, &err), 0, "scale in to 1");
	settle();
	is_int(count_in("tg-web", ECSFS_TARGET_DRAINING), 1, "one target drains");
	is_int(stat_num("web", "running_count"), 2, "both tasks still run meanwhile");
	move_all("tg-web", ECSFS_TARGET_DRAINING, ECSFS_TARGET_NONE);
	settle();
	is_int(stat_num("web", "running_count"), 1, "then one is stopped");
	ok(status_has("web", "state: steady"), "steady at 1");

	before = service_tasks("web");
	move_all("tg-web", ECSFS_TARGET_HEALTHY, ECSFS_TARGET_UNHEALTHY);
	settle();
	ok(events_have("web", "(task "), "an event for the task");
	ok(events_have("web", "failed ELB health checks in (target-group arn:aws:"
			      "elasticloadbalancing:us-east-1:000000000000:targetgroup/tg-web/"),
	   "failed ELB health checks, naming the group");
	ok(task_running(before.v[0]), "it keeps running while a replacement starts");
	is_int(count_in("tg-web", ECSFS_TARGET_INITIAL), 1, "the replacement is registered");
	is_int(count_in("tg-web", ECSFS_TARGET_DRAINING), 0, "nothing drains yet");
	move_all("tg-web", ECSFS_TARGET_INITIAL, ECSFS_TARGET_HEALTHY);
	settle();
	is_int(count_in("tg-web", ECSFS_TARGET_DRAINING), 1,
	       "once the replacement is healthy the unhealthy target drains");
	ok(task_running(before.v[0]), "its task runs until it has drained");
	move_all("tg-web", ECSFS_TARGET_DRAINING, ECSFS_TARGET_NONE);
	settle();
	ok(!task_running(before.v[0]), "then it is stopped");
	ids after = service_tasks("web");
	ok(after.n == 1 && before.n == 1 && strcmp(after.v[0], before.v[0]) != 0,
	   "the task is replaced by a new one");
	is_int(count_in("tg-web", ECSFS_TARGET_HEALTHY), 1, "whose target is healthy");

	is_int(put("web", "{\"taskDefinition\":\"web\",\"desiredCount\":1,"
			  "\"healthCheckGracePeriodSeconds\":3600," WEB_LB "}"),
	       0, "a grace period of an hour");
	settle();
	before = service_tasks("web");
	move_all("tg-web", ECSFS_TARGET_HEALTHY, ECSFS_TARGET_UNHEALTHY);
	settle();
	after = service_tasks("web");
	ok(after.n == 1 && strcmp(after.v[0], before.v[0]) == 0 && task_running(after.v[0]),
	   "an unhealthy target within the grace period is not replaced");
	move_all("tg-web", ECSFS_TARGET_UNHEALTHY, ECSFS_TARGET_HEALTHY);
	settle();

	is_int(put("web", "{\"taskDefinition\":\"web\",\"desiredCount\":1,"
			  "\"deploymentConfiguration\":{\"maximumPercent\":100,"
			  "\"minimumHealthyPercent\":0}," WEB_LB "}"),
	       0, "maximumPercent 100: no room for a replacement beside it");
	settle();
	before = service_tasks("web");
	move_all("tg-web", ECSFS_TARGET_HEALTHY, ECSFS_TARGET_UNHEALTHY);
	settle();
	is_int(count_in("tg-web", ECSFS_TARGET_DRAINING), 1,
	       "so the unhealthy target drains at once");
	move_all("tg-web", ECSFS_TARGET_DRAINING, ECSFS_TARGET_NONE);
	settle();
	move_all("tg-web", ECSFS_TARGET_INITIAL, ECSFS_TARGET_HEALTHY);
	settle();
	after = service_tasks("web");
	ok(after.n == 1 && strcmp(after.v[0], before.v[0]) != 0, "then a new task takes its place");
	is_int(count_in("tg-web", ECSFS_TARGET_HEALTHY), 1, "with a healthy target");
}

static void check_standalone_and_fit(void)
{
	json_t *req = json_pack("{s:s}", "taskDefinition", "web"), *ids_json = NULL;
	ecsfs_task_launch l = {.request = req};
	int before = fake.registers;

	is_int(ecsfs_tasks_start(tasks, "prod", &l, &ids_json, &err), 0, "a standalone task");
	settle();
	is_int(fake.registers, before, "is never registered");
	json_decref(req);
	json_decref(ids_json);

	is_int(put("bad", "{\"taskDefinition\":\"web:2\",\"desiredCount\":1,"
			  "\"loadBalancers\":[{\"targetGroupArn\":\"tg-web\",\"containerName\":"
			  "\"nope\",\"containerPort\":8080}]}"),
	       -EINVAL, "a container the pinned revision lacks: EINVAL");
	is_int(ecsfs_err_kind_of(&err), ECSFS_E_INVALID_PARAMETER, "InvalidParameter");
	ok(strstr(err.msg.data, "loadBalancers[0].containerName") != NULL, "naming it (%s)",
	   err.msg.data);
	is_int(put("bad", "{\"taskDefinition\":\"web:2\",\"desiredCount\":1,"
			  "\"loadBalancers\":[{\"targetGroupArn\":\"tg-web\",\"containerName\":"
			  "\"app\",\"containerPort\":9999}]}"),
	       -EINVAL, "a port it does not map: EINVAL");
	is_int(put("bad", "{\"taskDefinition\":\"web\",\"desiredCount\":1,"
			  "\"loadBalancers\":[{\"targetGroupArn\":\"tg-web\",\"containerName\":"
			  "\"nope\",\"containerPort\":8080}]}"),
	       0, "following the family, it waits for a revision that fits");
	settle();
	is_int(stat_num("bad", "running_count"), 0, "nothing starts");
	ok(events_have("bad", "cannot deploy task definition web:2: loadBalancers[0]"),
	   "events say why");
	ok(status_has("bad", "lacks a container or port"), "and status");
	is_int(ecsfs_service_delete(sv, "prod", "bad", true, &err), 0, "delete it");
	settle();
}

static void check_restart_and_delete(void)
{
	ids l;
	int running = 0;

	is_int(ecsfs_service_delete(sv, "prod", "web", true, &err), 0, "delete --force");
	settle();
	is_int(count_in("tg-web", ECSFS_TARGET_DRAINING), 1, "its target drains first");
	l = service_tasks("web");
	is_int(l.n, 1, "its task is still there");
	ok(l.n == 1 && task_running(l.v[0]), "and runs");
	close_all();
	open_all();
	settle();
	ok(l.n == 1 && task_running(l.v[0]), "after a restart it still drains, still running");
	move_all("tg-web", ECSFS_TARGET_DRAINING, ECSFS_TARGET_NONE);
	settle();
	for (int i = 0; i < l.n; i++)
		running += task_running(l.v[i]);
	is_int(running, 0, "drained, it is stopped");
	is_int(ecsfs_service_exists(s, "prod", "web"), -ENOENT, "and the service is gone");
}

/* ---- deployment strategies: the split, the stages, a rollback ---- */

#define RULE                                                                           \
	"arn:aws:elasticloadbalancing:us-east-1:000000000000:listener-rule/app/front/" \
	"0123456789abcdef/0123456789abcdef/0123456789abcdef"

static int put_strategy(const char *conf)
{
	char doc[1024];
	snprintf(doc, sizeof(doc),
		 "{\"taskDefinition\":\"sg\",\"desiredCount\":2,\"deploymentConfiguration\":{%s},"
		 "\"loadBalancers\":[{\"targetGroupArn\":\"blue\",\"containerName\":\"app\","
		 "\"containerPort\":8080,\"advancedConfiguration\":{\"alternateTargetGroupArn\":"
		 "\"green\",\"productionListenerRule\":\"" RULE "\"}}]}",
		 conf);
	return put("sg", doc);
}

/* Does the split on the rule hold `text`? */
static bool split_has(const char *text)
{
	ecsfs_buf b = ECSFS_BUF_INIT;
	bool r = ecsfs_store_traffic_get(s, RULE, &b) == 0 && strstr(b.data, text);
	ecsfs_buf_release(&b);
	return r;
}

static bool deployment_has(const char *text)
{
	ecsfs_buf b = ECSFS_BUF_INIT;
	bool r = ecsfs_service_deployment_text(sv, "prod", "sg", &b) == 0 && strstr(b.data, text);
	ecsfs_buf_release(&b);
	return r;
}

static void check_blue_green(void)
{
	snprintf(fake.groups[fake.ngroups++], 33, "blue");
	snprintf(fake.groups[fake.ngroups++], 33, "green");
	reg("sg", web_def(64));
	is_int(put_strategy("\"strategy\":\"BLUE_GREEN\",\"bakeTimeInMinutes\":0"), 0,
	       "a BLUE_GREEN service (%s)", err.msg.data);
	settle();
	is_int(count_in("blue", ECSFS_TARGET_INITIAL), 2, "the first deployment goes to blue");
	move_all("blue", ECSFS_TARGET_INITIAL, ECSFS_TARGET_HEALTHY);
	settle();
	ok(split_has("{\"TargetGroupArn\":\"blue\",\"Weight\":100}"),
	   "the production rule forwards all to blue");
	reg("sg", web_def(96));
	settle();
	is_int(count_in("green", ECSFS_TARGET_INITIAL), 2, "sg:2 starts 2 tasks in green");
	is_int(count_in("blue", ECSFS_TARGET_HEALTHY), 2, "blue keeps its 2");
	ok(deployment_has("stage: SCALE_UP"), "stage SCALE_UP while they are initial");
	move_all("green", ECSFS_TARGET_INITIAL, ECSFS_TARGET_HEALTHY);
	settle();
	ok(split_has("{\"TargetGroupArn\":\"green\",\"Weight\":100}"), "then all to green");
	is_int(count_in("blue", ECSFS_TARGET_DRAINING), 2, "after the bake blue drains");
	move_all("blue", ECSFS_TARGET_DRAINING, ECSFS_TARGET_NONE);
	settle();
	ok(status_has("sg", "PRIMARY sg:2 COMPLETED"), "the deployment COMPLETED");
	ok(events_have("sg", "lifecycle stage POST_PRODUCTION_TRAFFIC_SHIFT"),
	   "events name stages");
}

/* DescribeServiceDeployments of the rolled-back deployment (the newest). */
static void check_described_rollback(void)
{
	json_t *list = NULL, *d = NULL;
	const char *arn;

	is_int(ecsfs_service_deployments(sv, "prod", "sg", &list, &err), 0, "its deployments");
	is_str(json_string_value(json_object_get(json_array_get(list, 0), "status")),
	       "ROLLBACK_SUCCESSFUL", "the canary's is ROLLBACK_SUCCESSFUL");
	arn = json_string_value(json_object_get(json_array_get(list, 0), "serviceDeploymentArn"));
	is_int(
	    ecsfs_service_deployment(sv, "prod", "sg", arn ? strrchr(arn, '/') + 1 : "", &d, &err),
	    0, "described");
	is_str(json_string_value(json_object_get(d, "lifecycleStage")), "PRODUCTION_TRAFFIC_SHIFT",
	       "with the stage it was rolled back at");
	is_str(json_string_value(json_object_get(json_object_get(d, "rollback"), "reason")),
	       "a rollback was asked for", "and why");
	json_decref(list);
	json_decref(d);
}

/* A new task failing its health checks during the canary rolls it back. */
static void check_unhealthy_rollback(void)
{
	reg("sg", web_def(160));
	settle();
	move_all("blue", ECSFS_TARGET_INITIAL, ECSFS_TARGET_HEALTHY);
	settle();
	ok(deployment_has("production: green 90% blue 10%"), "sg:4 gets its canary share");
	move_all("blue", ECSFS_TARGET_HEALTHY, ECSFS_TARGET_UNHEALTHY);
	settle();
	ok(split_has("{\"TargetGroupArn\":\"green\",\"Weight\":100}"),
	   "a new target failing its health checks: all back on green");
	ok(events_have("sg", "failed its health checks; all production traffic is back"),
	   "events say why");
	move_all("blue", ECSFS_TARGET_DRAINING, ECSFS_TARGET_NONE);
	move_all("blue", ECSFS_TARGET_UNHEALTHY, ECSFS_TARGET_NONE);
	settle();
	ok(status_has("sg", "PRIMARY sg:2"), "sg:2 is PRIMARY again");
}

/* A deployment superseded during its shift: its tasks leave the group the
 * new one starts in, the production ones stay. */
static void check_superseded(void)
{
	reg("sg", web_def(192));
	settle();
	is_int(count_in("blue", ECSFS_TARGET_INITIAL), 2, "sg:5 starts in blue");
	reg("sg", web_def(224));
	settle();
	is_int(count_in("blue", ECSFS_TARGET_DRAINING), 2, "sg:6 supersedes it: its targets drain");
	is_int(count_in("blue", ECSFS_TARGET_INITIAL), 2, "and sg:6's are registered in blue");
	is_int(count_in("green", ECSFS_TARGET_HEALTHY), 2, "production's stay in green");
	move_all("blue", ECSFS_TARGET_DRAINING, ECSFS_TARGET_NONE);
	is_int(ecsfs_service_rollback(sv, "prod", "sg", &err), 0, "roll sg:6 back");
	settle();
	move_all("blue", ECSFS_TARGET_DRAINING, ECSFS_TARGET_NONE);
	settle();
	ok(status_has("sg", "PRIMARY sg:2"), "sg:2 is PRIMARY again");
}

static void check_canary_rollback(void)
{
	is_int(put_strategy("\"strategy\":\"CANARY\",\"canaryConfiguration\":{\"canaryPercent\":"
			    "10,\"canaryBakeTimeInMinutes\":600}"),
	       0, "CANARY 10 %% for 600 minutes");
	is_int(ecsfs_service_rollback(sv, "prod", "sg", &err), -EINVAL,
	       "rollback with nothing in progress: EINVAL");
	reg("sg", web_def(128));
	settle();
	is_int(count_in("blue", ECSFS_TARGET_INITIAL), 2, "the groups swapped: sg:3 is in blue");
	move_all("blue", ECSFS_TARGET_INITIAL, ECSFS_TARGET_HEALTHY);
	settle();
	ok(deployment_has("production: green 90% blue 10%"), "the canary has 10 %%");
	ok(deployment_has("bake_left_s: "), "and a bake to wait");
	is_int(
	    put_strategy("\"strategy\":\"LINEAR\",\"linearConfiguration\":{\"stepPercent\":101}"),
	    -EINVAL, "stepPercent 101: EINVAL");
	ok(strstr(err.msg.data, "linearConfiguration.stepPercent") != NULL, "naming it (%s)",
	   err.msg.data);
	ok(deployment_has("production: green 90% blue 10%"), "the canary carries on");
	is_int(ecsfs_service_rollback(sv, "prod", "sg", &err), 0, "a rollback is asked for");
	settle();
	ok(split_has("{\"TargetGroupArn\":\"green\",\"Weight\":100}"), "all back on green");
	is_int(count_in("blue", ECSFS_TARGET_DRAINING), 2, "the canary's targets drain");
	ok(status_has("sg", "PRIMARY sg:2"), "sg:2 is PRIMARY again");
	ok(events_have("sg", "rolled back at PRODUCTION_TRAFFIC_SHIFT"), "events say so");
	move_all("blue", ECSFS_TARGET_DRAINING, ECSFS_TARGET_NONE);
	settle();
	check_described_rollback();
	check_unhealthy_rollback();
	check_superseded();
	is_int(ecsfs_service_delete(sv, "prod", "sg", true, &err), 0, "delete it");
	settle();
	move_all("green", ECSFS_TARGET_DRAINING, ECSFS_TARGET_NONE);
	settle();
	ok(!split_has("Weight"), "its split goes with it");
}

int main(void)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	uv_timer_t keep;

	harness_open_fake(dir, &loop, &s, &rt);
	uv_timer_init(&loop, &keep);
	uv_timer_start(&keep, never, 1000000000, 0);
	open_all();

	check_waiting_and_registering();
	check_rollout();
	check_scale_in_and_health();
	check_standalone_and_fit();
	check_restart_and_delete();
	check_blue_green();
	check_canary_rollback();

	close_all();
	uv_close((uv_handle_t *)&keep, NULL);
	harness_close_fake(dir, &loop, s, rt);
	ecsfs_buf_release(&why);
	ecsfs_err_release(&err);
	return tap_done();
}
