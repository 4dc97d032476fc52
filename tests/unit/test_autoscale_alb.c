/* ALBRequestCountPerTarget on the fake runtime with request counts the
 * test sets and a clock it moves: the figure (requests per minute per
 * healthy target over the last interval), new and vanished targets,
 * INSUFFICIENT_DATA without healthy targets, scale-out on it, and the
 * ResourceLabel's checks against the load balancers and target groups
 * that exist. */
#include "ecsfs/loadbalancer.h"
#include "ecsfs/scaling.h"
#include "ecsfs/targetgroup.h"
#include "metrics_harness.h"

static ecsfs_scaling *as;
static int64_t fake_ms = 1800000000000LL;
static const ecsfs_file_meta meta = {.kind = ECSFS_FILE_SPEC, .mode = 0644, .mtime_ns = 1};

/* The counts the "load balancer" shows: per task, and who is healthy. */
static struct {
	char id[33];
	long long requests;
	bool unhealthy;
} seen[64];
static int nseen, reads;
static bool none_healthy;

static int64_t fake_now(void)
{
	return fake_ms;
}

static int fake_counts(void *src, const char *group, const char *cluster, const char *service,
		       ecsfs_lb_count_cb cb, void *data)
{
	(void)src;
	reads++;
	if (strcmp(group, "tgweb") != 0 || strcmp(cluster, "prod") != 0)
		return 0;
	for (int i = 0; i < nseen; i++)
		cb(data, seen[i].id,
		   seen[i].unhealthy || none_healthy ? ECSFS_TARGET_UNHEALTHY
						     : ECSFS_TARGET_HEALTHY,
		   seen[i].requests);
	return 0;
}

/* One second: each of the service's tasks gets `per_task` more requests. */
static void second(const char *service, long long per_task)
{
	ids l = service_tasks(service);

	clock_ns += 1000000000LL;
	fake_ms += 1000;
	for (int i = 0; i < l.n; i++) {
		int k = 0;
		while (k < nseen && strcmp(seen[k].id, l.v[i]) != 0)
			k++;
		if (k == nseen && nseen < 64)
			snprintf(seen[nseen++].id, 33, "%s", l.v[i]);
		seen[k].requests += per_task;
		set_stats(l.v[i], "app", (double)fake_ms / 1e5, 10, 0, 0, 0);
	}
	round_now();
	settle();
}

static int64_t desired(const char *service)
{
	int64_t d = -1;
	ecsfs_service_get_desired(s, "prod", service, &d);
	return d;
}

static char label[160];

static int put_policy(const char *lbl, int target, int max)
{
	char doc[1024];
	json_t *j;
	int r;

	snprintf(doc, sizeof(doc),
		 "{\"MinCapacity\": 1, \"MaxCapacity\": %d, \"ScalingPolicies\": [{\"PolicyName\": "
		 "\"alb\", \"PolicyType\": \"TargetTrackingScaling\", "
		 "\"TargetTrackingScalingPolicyConfiguration\": {\"TargetValue\": %d, "
		 "\"ScaleOutCooldown\": 0, \"PredefinedMetricSpecification\": "
		 "{\"PredefinedMetricType\": \"ALBRequestCountPerTarget\", \"ResourceLabel\": "
		 "\"%s\"}}}]}",
		 max, target, lbl);
	j = json_loads(doc, 0, NULL);
	ecsfs_err_reset(&err);
	r = ecsfs_scaling_put(as, "prod", "web", j, NULL, &err);
	json_decref(j);
	return r;
}

static const char *view(void)
{
	static ecsfs_buf b = ECSFS_BUF_INIT;
	ecsfs_buf_reset(&b);
	ecsfs_scaling_view(as, "prod", "web", &b);
	return b.data ? b.data : "";
}

static int tg_put(const char *name, const char *doc)
{
	return ecsfs_targetgroup_apply(s, name, doc, strlen(doc), &meta, &err);
}

static int lb_put(const char *name, const char *doc)
{
	return ecsfs_loadbalancer_apply(s, name, doc, strlen(doc), &meta, &err);
}

static void make_label(char *out, size_t n, const char *lb, const char *tg)
{
	char a[17], b[17];
	ecsfs_elb_id("app", lb, a);
	ecsfs_elb_id("targetgroup", tg, b);
	snprintf(out, n, "app/%s/%s/targetgroup/%s/%s", lb, a, tg, b);
}

static void check_labels(void)
{
	char other[160];

	is_int(put_policy("app/front/targetgroup/tgweb", 100, 6), -EINVAL,
	       "a label of another form");
	ok(strstr(err.msg.data, "ResourceLabel: 'app/front/targetgroup/tgweb' is not app/") != NULL,
	   "names the field: %s", err.msg.data);
	is_int(put_policy("app/front/0000000000000000/targetgroup/tgweb/0000000000000000", 100, 6),
	       -EINVAL, "ids that are not the names'");
	ok(strstr(err.msg.data, "the id of load balancer front is") != NULL, "says so: %s",
	   err.msg.data);
	make_label(other, sizeof(other), "other", "tgweb");
	is_int(put_policy(other, 100, 6), -EINVAL, "a load balancer that does not forward to it");
	ok(strstr(err.msg.data, "PredefinedMetricSpecification.ResourceLabel: load balancer other "
				"does not forward to target group tgweb") != NULL,
	   "names the field: %s", err.msg.data);
	is_int(desired("web"), 2, "refusals leave the service's count");
	make_label(other, sizeof(other), "later", "tgweb");
	is_int(put_policy(other, 100, 6), 0, "a load balancer that is not there yet: accepted");
	second("web", 5);
	second("web", 5);
	ok(strstr(view(), "policy.alb.no_data: waiting for load balancer later") != NULL,
	   "the view says what it waits for");
	ok(strstr(view(), "policy.alb.alarm: INSUFFICIENT_DATA") != NULL, "no data meanwhile");
}

static void check_figure(void)
{
	is_int(put_policy(label, 100, 6), 0, "the policy on front's tgweb (%s)", err.msg.data);
	second("web", 5); /* a first read: no rate yet */
	ok(strstr(view(), "policy.alb.alarm: INSUFFICIENT_DATA") != NULL, "one read: no data");
	second("web", 5);
	ok(strstr(view(), "policy.alb.value: 300.00") != NULL,
	   "5 requests a second to each of 2 targets: 300 a minute per target");
	seen[0].unhealthy = true;
	second("web", 5);
	ok(strstr(view(), "policy.alb.value: 600.00") != NULL,
	   "one target unhealthy: the 10 a second over the one healthy, 600");
	is_int(desired("web"), 2, "two samples above the target: nothing yet");
	second("web", 5);
	is_int(desired("web"), 6, "the third: ceil(2 x 500 / 100) = 10, clamped to MaxCapacity 6");
	seen[0].unhealthy = false;
}

static void check_no_healthy(void)
{
	none_healthy = true;
	second("web", 5);
	ok(strstr(view(), "policy.alb.no_data: no healthy target in tgweb") != NULL,
	   "no healthy target: says so");
	ok(strstr(view(), "policy.alb.alarm: INSUFFICIENT_DATA") != NULL, "and has no data");
	none_healthy = false;
	for (int i = 0; i < nseen; i++)
		seen[i].requests = 0; /* HAProxy reloaded: its counters from zero */
	second("web", 7);
	second("web", 7);
	ok(strstr(view(), "policy.alb.value: 420.00") != NULL,
	   "counters that went back count from zero: 7 a second, 420 a minute");
	ok(reads > 0, "the counts came from the source (%d reads)", reads);
}

int main(void)
{
	harness_open(3600);
	insights("prod", "enabled");
	reg("web", "{\"cpu\":\"256\",\"memory\":\"512\",\"containerDefinitions\":[{\"name\":"
		   "\"app\",\"image\":\"busybox\"}]}");
	{
		json_t *doc = json_pack("{s:s, s:i}", "taskDefinition", "web", "desiredCount", 2);
		is_int(ecsfs_service_put(sv, "prod", "web", doc, NULL, &err), 0, "service web");
		json_decref(doc);
		settle();
	}
	is_int(tg_put("tgweb", "{\"Protocol\":\"HTTP\",\"Port\":8080}"), 0, "target group tgweb");
	is_int(lb_put("front", "{\"Listeners\":[{\"Port\":18001,\"DefaultActions\":[{"
			       "\"Type\":\"forward\",\"TargetGroupArn\":\"tgweb\"}]}]}"),
	       0, "load balancer front forwarding to it (%s)", err.msg.data);
	is_int(lb_put("other", "{\"Listeners\":[{\"Port\":18002,\"DefaultActions\":[{"
			       "\"Type\":\"fixed-response\",\"FixedResponseConfig\":{"
			       "\"StatusCode\":\"200\"}}]}]}"),
	       0, "load balancer other that does not (%s)", err.msg.data);
	make_label(label, sizeof(label), "front", "tgweb");
	is_int(ecsfs_scaling_new(&loop, s, sv, tasks, mx, &as), 0, "autoscaler opens");
	ecsfs_scaling_set_clock(as, fake_now);
	ecsfs_scaling_set_counts(as, fake_counts, NULL);
	settle();
	check_labels();
	check_figure();
	check_no_healthy();
	ecsfs_scaling_free(as);
	harness_close();
	return tap_done();
}
