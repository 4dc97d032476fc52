/* Service auto scaling on the fake runtime with stats the test sets and a
 * clock it moves: target tracking (3 samples above, 15 below,
 * proportional, clamped, cooldowns, DisableScaleIn, several policies),
 * step scaling, scheduled actions, a deployment holding scale-in back,
 * registering clamps, bad documents. */
#include "ecsfs/scaling.h"
#include "metrics_harness.h"

static ecsfs_scaling *as;
static int64_t fake_ms = 1800000000000LL;
static int64_t lo_seen = 1 << 30, hi_seen = -1;

static int64_t fake_now(void)
{
	return fake_ms;
}

static struct {
	char id[33];
	double cpu_s;
} used[128];

/* Each task of `service` used `pct` % of its 256 CPU units over the last
 * second (and `mem` MiB); the clocks move one second; one round. */
static void second(const char *service, double pct, double mem)
{
	ids l = service_tasks(service);

	clock_ns += 1000000000LL;
	fake_ms += 1000;
	for (int i = 0; i < l.n; i++) {
		int k = 0;
		while (k < 127 && used[k].id[0] && strcmp(used[k].id, l.v[i]) != 0)
			k++;
		snprintf(used[k].id, sizeof(used[k].id), "%s", l.v[i]);
		used[k].cpu_s += pct / 100.0 * 0.25;
		set_stats(l.v[i], "app", used[k].cpu_s, mem, 0, 0, 0);
	}
	round_now();
	settle();
	int64_t d = -1;
	ecsfs_service_get_desired(s, "prod", service, &d);
	if (d < lo_seen)
		lo_seen = d;
	if (d > hi_seen)
		hi_seen = d;
}

static int64_t desired(const char *service)
{
	int64_t d = -1;
	ecsfs_service_get_desired(s, "prod", service, &d);
	return d;
}

static int put(const char *service, const char *text)
{
	ecsfs_file_meta meta = {.kind = ECSFS_FILE_SPEC, .mode = 0644, .mtime_ns = 1};
	ecsfs_spec_bytes file = {.data = text, .len = strlen(text), .meta = &meta};
	json_t *doc = json_loads(text, 0, NULL);
	int r;

	ecsfs_err_reset(&err);
	r = ecsfs_scaling_put(as, "prod", service, doc, &file, &err);
	json_decref(doc);
	return r;
}

static bool view_has(const char *service, const char *text)
{
	ecsfs_buf b = ECSFS_BUF_INIT;
	bool yes = ecsfs_scaling_view(as, "prod", service, &b) == 0 && strstr(b.data, text);
	if (!yes)
		printf("# view of %s:\n# %s\n", service, b.data ? b.data : "(none)");
	ecsfs_buf_release(&b);
	return yes;
}

static bool events_have(const char *service, const char *text)
{
	ecsfs_buf stream = ECSFS_BUF_INIT, b = ECSFS_BUF_INIT;
	bool yes;
	ecsfs_service_events_stream("prod", service, &stream);
	ecsfs_store_journal_read(s, stream.data, 0, 1 << 20, &b);
	yes = b.data && strstr(b.data, text);
	ecsfs_buf_release(&stream);
	ecsfs_buf_release(&b);
	return yes;
}

static void service(const char *name, const char *family, int count)
{
	json_t *doc = json_pack("{s:s, s:i}", "taskDefinition", family, "desiredCount", count);
	is_int(ecsfs_service_put(sv, "prod", name, doc, NULL, &err), 0, "service %s", name);
	json_decref(doc);
	settle();
}

#define TT(name, metric, target, extra)                                                 \
	"{\"PolicyName\": \"" name "\", \"PolicyType\": \"TargetTrackingScaling\", "    \
	"\"TargetTrackingScalingPolicyConfiguration\": {\"TargetValue\": " #target ", " \
	"\"PredefinedMetricSpecification\": {\"PredefinedMetricType\": "                \
	"\"ECSService" metric "\"}" extra "}}"

static void check_register(void)
{
	service("web", "burn", 1);
	is_int(put("web", "{\"MinCapacity\": 2, \"MaxCapacity\": 4, \"ScalingPolicies\": [" TT(
			      "cpu70", "AverageCPUUtilization", 70,
			      ", \"ScaleOutCooldown\": 0, \"ScaleInCooldown\": 30") "]}"),
	       0, "register a target with a policy (%s)", err.msg.data);
	is_int(desired("web"), 2, "registering with MinCapacity 2 raises desiredCount to 2");
	ok(events_have("web", "Setting desired count to 2. Cause: minimum capacity was set to 2"),
	   "and says so in events");
	{
		json_t *acts = NULL;
		ecsfs_scaling_activities(s, "prod", "web", &acts);
		is_str(json_string_value(json_object_get(json_array_get(acts, 0), "StatusMessage")),
		       "Successfully set desired count to 2. Change successfully fulfilled by ecs.",
		       "an activity with AWS's status message");
		json_decref(acts);
	}
	settle();
}

static void check_out_and_in(void)
{
	second("web", 400, 50); /* a first sample: no rate yet */
	second("web", 400, 50);
	second("web", 400, 50);
	is_int(desired("web"), 2, "two samples above the target: nothing yet");
	ok(view_has("web", "policy.cpu70.above: 2/3"), "the view counts them");
	second("web", 400, 50);
	is_int(desired("web"), 4, "the third: ceil(2 x 400 / 70) = 12, clamped to MaxCapacity 4");
	ok(events_have("web", "Setting desired count to 4. Cause: monitor alarm "
			      "TargetTracking-service/prod/web-AlarmHigh-"),
	   "the activity's words in events");
	ok(events_have("web", "in state ALARM triggered policy cpu70"), "naming the policy");
	{
		ecsfs_buf spec = ECSFS_BUF_INIT;
		ecsfs_store_file_get(s, "/spec/clusters/prod/services", "web.json", NULL, &spec);
		ok(strstr(spec.data, "\"desiredCount\": 4") != NULL,
		   "the service's spec file shows it, as a write to desired_count does");
		ecsfs_buf_release(&spec);
	}
	for (int i = 0; i < 5; i++)
		second("web", 400, 50);
	is_int(desired("web"), 4, "never above MaxCapacity");
	for (int i = 0; i < 14; i++)
		second("web", 10, 50);
	is_int(desired("web"), 4, "14 samples below 90 %% of the target: nothing yet");
	second("web", 10, 50);
	is_int(desired("web"), 2, "the 15th: ceil(4 x 10 / 70) = 1, clamped to MinCapacity 2");
	for (int i = 0; i < 20; i++)
		second("web", 10, 50);
	is_int(desired("web"), 2, "never below MinCapacity");
	ok(lo_seen >= 1 && hi_seen <= 4, "desiredCount stayed within [1, 4] (%lld..%lld)",
	   (long long)lo_seen, (long long)hi_seen);
}

static void check_cooldown(void)
{
	is_int(put("web", "{\"MinCapacity\": 1, \"MaxCapacity\": 4, \"ScalingPolicies\": [" TT(
			      "cpu70", "AverageCPUUtilization", 70,
			      ", \"ScaleOutCooldown\": 0, \"ScaleInCooldown\": 30") "]}"),
	       0, "MinCapacity 1 now");
	second("web", 10, 50);
	is_int(desired("web"), 2, "the last scale-in was under 30 s ago: held back");
	ok(view_has("web", "scale_in_blocked: scale-in cooldown"), "the view says why");
	fake_ms += 30000;
	second("web", 10, 50);
	is_int(desired("web"), 1, "after the cooldown it scales in to 1");
}

static void check_several(void)
{
	is_int(
	    put("web",
		"{\"MinCapacity\": 1, \"MaxCapacity\": 6, \"ScalingPolicies\": [" TT(
		    "cpu70", "AverageCPUUtilization", 70,
		    ", \"ScaleOutCooldown\": 0, \"ScaleInCooldown\": 0") ", " TT("mem50",
										 "AverageMemoryUtil"
										 "ization",
										 50,
										 ", "
										 "\"ScaleInCooldown"
										 "\": 0") "]}"),
	    0, "two policies (%s)", err.msg.data);
	for (int i = 0; i < 3; i++)
		second("web", 10, 400); /* memory 400 of 512 MiB: 78 % */
	is_int(desired("web"), 2, "CPU low but memory high: scale-out wins (ceil(1 x 78 / 50))");
	for (int i = 0; i < 16; i++)
		second("web", 10, 100); /* 19.5 %: low for both */
	is_int(desired("web"), 1, "both low: scale-in");
	service("web", "burn", 2);
	for (int i = 0; i < 20; i++)
		second("web", 10, 240); /* 47 %: not below 90 % of 50 */
	is_int(desired("web"), 2, "CPU low, memory in between: scale-in needs both");
}

static void check_disable_in(void)
{
	is_int(put("web",
		   "{\"MinCapacity\": 1, \"MaxCapacity\": 4, \"ScalingPolicies\": [" TT(
		       "cpu70", "AverageCPUUtilization", 70, ", \"DisableScaleIn\": true") "]}"),
	       0, "DisableScaleIn");
	for (int i = 0; i < 20; i++)
		second("web", 5, 50);
	is_int(desired("web"), 2, "DisableScaleIn: no scale-in");
	ok(view_has("web", "policy.cpu70.scale_in: disabled"), "the view says so");
}

static void check_deployment(void)
{
	is_int(
	    put("web", "{\"MinCapacity\": 1, \"MaxCapacity\": 4, \"ScalingPolicies\": [" TT(
			   "cpu70", "AverageCPUUtilization", 70, ", \"ScaleInCooldown\": 0") "]}"),
	    0, "scale-in enabled again");
	reg("burn",
	    "{\"cpu\":\"256\",\"memory\":\"512\",\"containerDefinitions\":[{\"name\":\"app\","
	    "\"image\":\"missing/image\"}]}");
	settle();
	for (int i = 0; i < 20; i++)
		second("web", 5, 50);
	is_int(desired("web"), 2, "a deployment in progress holds scale-in back");
	ok(view_has("web", "scale_in_blocked: a deployment is in progress"), "the view says why");
	reg("burn",
	    "{\"cpu\":\"256\",\"memory\":\"512\",\"containerDefinitions\":[{\"name\":\"app\","
	    "\"image\":\"busybox\",\"command\":[\"true\"]}]}");
	settle();
	for (int i = 0; i < 20; i++)
		second("web", 5, 50);
	is_int(desired("web"), 1, "once it is done, scale-in goes ahead");
}

static void check_step(void)
{
	service("step", "burn", 1);
	is_int(put("step", "{\"MinCapacity\": 1, \"MaxCapacity\": 5, \"ScalingPolicies\": [{"
			   "\"PolicyName\": \"up\", \"PolicyType\": \"StepScaling\", "
			   "\"StepScalingPolicyConfiguration\": {\"AdjustmentType\": "
			   "\"ChangeInCapacity\", \"Cooldown\": 0, \"StepAdjustments\": ["
			   "{\"MetricIntervalLowerBound\": 0, \"MetricIntervalUpperBound\": 100, "
			   "\"ScalingAdjustment\": 1}, {\"MetricIntervalLowerBound\": 100, "
			   "\"ScalingAdjustment\": 2}]}, \"Alarm\": {\"MetricName\": "
			   "\"CPUUtilization\", \"ComparisonOperator\": \"GreaterThanThreshold\", "
			   "\"Threshold\": 80, \"EvaluationPeriods\": 2}}]}"),
	       0, "a step policy with its alarm (%s)", err.msg.data);
	second("step", 120, 50);
	second("step", 120, 50);
	is_int(desired("step"), 1, "one sample above 80: the alarm waits for two");
	second("step", 120, 50);
	is_int(desired("step"), 2, "two: +1 (120 is 40 above the threshold)");
	second("step", 300, 50);
	is_int(desired("step"), 4, "300 (220 above): +2");
	second("step", 300, 50);
	is_int(desired("step"), 5, "clamped to MaxCapacity 5");
}

static void check_scheduled(void)
{
	char when[32], doc[512];
	int64_t at = fake_ms + 3600000;

	ecsfs_time_iso(at * 1000000, when);
	snprintf(doc, sizeof(doc),
		 "{\"MinCapacity\": 1, \"MaxCapacity\": 5, \"ScheduledActions\": [{"
		 "\"ScheduledActionName\": \"rush\", \"Schedule\": \"at(%.19s)\", "
		 "\"ScalableTargetAction\": {\"MinCapacity\": 5, \"MaxCapacity\": 8}}]}",
		 when);
	is_int(put("step", doc), 0, "a scheduled action (%s)", err.msg.data);
	ok(view_has("step", "scheduled.rush.next: "), "the view shows its next run");
	ecsfs_scaling_tick(as, fake_ms + 1000);
	is_int(desired("step"), 5, "not due yet: nothing");
	ecsfs_scaling_tick(as, at);
	ok(view_has("step", "min_capacity: 5\nmax_capacity: 8\n"), "due: capacities 5..8");
	is_int(desired("step"), 5, "desiredCount within them");
	ok(events_have("step", "Setting min capacity to 5 and max capacity to 8 Cause: scheduled "
			       "action name rush was triggered"),
	   "the activity of the action");
	ok(view_has("step", "scheduled.rush.next: none"), "an at() runs once");
}

static void bad(const char *doc, const char *want, const char *what)
{
	int64_t before = desired("web");
	is_int(put("web", doc), -EINVAL, "%s: EINVAL", what);
	ok(strstr(err.msg.data, want) != NULL, "  the message names it: %s", err.msg.data);
	is_int(desired("web"), before, "  the service keeps its count");
}

static void check_bad(void)
{
	bad("{\"MinCapacity\": 5, \"MaxCapacity\": 2}", "MinCapacity: 5 is above MaxCapacity 2",
	    "min above max");
	bad("{\"MinCapacity\": 1, \"MaxCapacity\": 2, \"ScalingPolicies\": [" TT(
		"x", "AverageDiskUtilization", 70, "") "]}",
	    "PredefinedMetricType", "an unknown metric type");
	bad("{\"MinCapacity\": 1, \"MaxCapacity\": 2, \"ScalingPolicies\": [" TT(
		"x", "AverageCPUUtilization", 0, "") "]}",
	    "TargetValue: 0 must be above 0", "TargetValue 0");
	bad("{\"MinCapacity\": 1, \"MaxCapacity\": 2, \"ScalingPolicies\": [" TT(
		"x", "AverageCPUUtilization", 50, ", \"ScaleInCooldown\": -5") "]}",
	    "ScaleInCooldown", "a negative cooldown");
	bad("{\"MinCapacity\": 1, \"MaxCapacity\": 2, \"MaxCapacty\": 3}", "MaxCapacty",
	    "an unknown field");
	bad("{\"MinCapacity\": 1}", "MaxCapacity", "no MaxCapacity");
	bad("{\"MinCapacity\": 1, \"MaxCapacity\": 2, \"ResourceId\": \"service/prod/other\"}",
	    "ResourceId", "another service's ResourceId");
	bad("{\"MinCapacity\": 1, \"MaxCapacity\": 2, \"ScheduledActions\": [{"
	    "\"ScheduledActionName\": \"a\", \"Schedule\": \"cron(61 * * * ? *)\", "
	    "\"ScalableTargetAction\": {\"MinCapacity\": 1}}]}",
	    "Schedule", "a bad schedule");
}

static void check_waiting(void)
{
	is_int(put("later", "{\"MinCapacity\": 1, \"MaxCapacity\": 3}"), 0,
	       "a target for a service that does not exist yet is kept");
	ok(view_has("later", "waiting: service later does not exist"), "its view says it waits");
	service("later", "burn", 0);
	second("later", 10, 50);
	is_int(desired("later"), 1,
	       "once the service comes, desiredCount is brought to MinCapacity");
}

int main(void)
{
	harness_open(3600);
	insights("prod", "enabled");
	reg("burn",
	    "{\"cpu\":\"256\",\"memory\":\"512\",\"containerDefinitions\":[{\"name\":\"app\","
	    "\"image\":\"busybox\"}]}");
	is_int(ecsfs_scaling_new(&loop, s, sv, tasks, mx, &as), 0, "autoscaler opens");
	ecsfs_scaling_set_clock(as, fake_now);
	check_register();
	check_out_and_in();
	check_cooldown();
	check_several();
	check_disable_in();
	check_deployment();
	check_step();
	check_scheduled();
	check_bad();
	check_waiting();
	ecsfs_scaling_free(as);
	harness_close();
	return tap_done();
}
