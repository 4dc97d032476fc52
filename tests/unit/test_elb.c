/* ELBv2 documents: target groups and load balancers, their checks, rows and describe shapes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/loadbalancer.h"
#include "ecsfs/targetgroup.h"
#include "ecsfs/util.h"
#include "tap.h"

static ecsfs_store *s;
static ecsfs_err err = ECSFS_ERR_INIT;
static const ecsfs_file_meta meta = {.kind = ECSFS_FILE_SPEC, .mode = 0644, .mtime_ns = 1};

static int tg(const char *name, const char *doc)
{
	ecsfs_err_reset(&err);
	return ecsfs_targetgroup_apply(s, name, doc, strlen(doc), &meta, &err);
}

static int lb(const char *name, const char *doc)
{
	ecsfs_err_reset(&err);
	return ecsfs_loadbalancer_apply(s, name, doc, strlen(doc), &meta, &err);
}

/* The call fails with `code` and a message holding `text`. */
#define refused(call, code, text, ...)                                                           \
	do {                                                                                     \
		int r_ = (call);                                                                 \
		ok(r_ == (code) && strstr(err.msg.data, text), __VA_ARGS__);                     \
		printf("#   %s\n", err.msg.data);                                                \
		if (r_ != (code) || !strstr(err.msg.data, text))                                 \
			printf("#   got %d '%s', want %d '%s'\n", r_, err.msg.data, code, text); \
	} while (0)

static void test_targetgroups(void)
{
	json_t *d;

	is_int(tg("web", "{\"Protocol\":\"HTTP\",\"Port\":8080}"), 0, "a minimal target group");
	is_int(ecsfs_targetgroup_describe(s, "web", &d, &err), 0, "describe it");
	is_str(json_string_value(json_object_get(d, "HealthCheckPath")), "/", "path default /");
	is_int(json_integer_value(json_object_get(d, "HealthCheckIntervalSeconds")), 30,
	       "interval default 30");
	is_int(json_integer_value(json_object_get(d, "HealthyThresholdCount")), 5,
	       "healthy threshold default 5");
	is_str(json_string_value(json_object_get(json_object_get(d, "Matcher"), "HttpCode")), "200",
	       "matcher default 200");
	is_str(json_string_value(json_object_get(d, "TargetType")), "instance",
	       "target type default instance");
	ok(strncmp(json_string_value(json_object_get(d, "TargetGroupArn")),
		   "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/", 68) == 0,
	   "the ARN: %s", json_string_value(json_object_get(d, "TargetGroupArn")));
	json_decref(d);

	refused(tg("web", "{\"Protocol\":\"HTTP\",\"Port\":8080,\"Prot\":1}"), -EINVAL, "Prot",
		"an unknown field");
	refused(tg("web", "{\"Protocol\":\"HTTP\",\"Port\":70000}"), -EINVAL, "Port",
		"a port out of range");
	refused(tg("web", "{\"Protocol\":\"HTTPS\",\"Port\":80}"), -EINVAL, "Protocol",
		"HTTPS is not supported");
	refused(tg("web", "{\"Protocol\":\"HTTP\",\"Port\":80,\"Name\":\"other\"}"), -EINVAL,
		"must equal", "a Name that is not the file's");
	is_int(tg("web", "{\"Protocol\":\"HTTP\",\"Port\":80,\"Name\":\"web\"}"), 0,
	       "a Name that is the file's");
	refused(tg("web", "{\"Protocol\":\"HTTP\",\"Port\":80,\"HealthCheckIntervalSeconds\":4}"),
		-EINVAL, "HealthCheckIntervalSeconds", "interval below 5");
	refused(tg("web", "{\"Protocol\":\"HTTP\",\"Port\":80,\"HealthCheckIntervalSeconds\":5,"
			  "\"HealthCheckTimeoutSeconds\":5}"),
		-EINVAL, "smaller than", "timeout not below the interval");
	is_int(tg("fast", "{\"Protocol\":\"HTTP\",\"Port\":80,\"HealthCheckIntervalSeconds\":5}"),
	       0, "interval 5 alone: the default timeout fits below it");
	refused(tg("web", "{\"Protocol\":\"HTTP\",\"Port\":80,\"Matcher\":{\"HttpCode\":\"600\"}}"),
		-EINVAL, "Matcher.HttpCode", "a matcher out of range");
	is_int(tg("web", "{\"Protocol\":\"HTTP\",\"Port\":80,\"Matcher\":{\"HttpCode\":"
			 "\"200-299,301\"}}"),
	       0, "a matcher range and list");
	refused(tg("web", "{\"Protocol\":\"HTTP\",\"Port\":80,\"HealthCheckProtocol\":\"TCP\"}"),
		-EINVAL, "TCP health checks", "TCP checks of an HTTP group");
	refused(tg("web", "{\"Protocol\":\"HTTP\",\"Port\":80,\"Attributes\":[{\"Key\":"
			  "\"deregistration_delay.timeout_seconds\",\"Value\":\"5000\"}]}"),
		-EINVAL, "0 to 3600", "a deregistration delay out of range");
	refused(tg("web", "{\"Protocol\":\"HTTP\",\"Port\":80,\"Attributes\":[{\"Key\":"
			  "\"deregistration_delay.timeout\",\"Value\":\"5\"}]}"),
		-EINVAL, "did you mean deregistration_delay.timeout_seconds",
		"an unknown attribute");
	refused(tg("web", "{\"Protocol\":\"HTTP\",\"Port\":80,\"Attributes\":[{\"Key\":"
			  "\"slow_start.duration_seconds\",\"Value\":\"10\"}]}"),
		-EINVAL, "30 to 900", "a slow start of 10 s");
	is_int(tg("web", "{\"Protocol\":\"HTTP\",\"Port\":80,\"Attributes\":[{\"Key\":"
			 "\"deregistration_delay.timeout_seconds\",\"Value\":\"5\"}]}"),
	       0, "a deregistration delay of 5 s");
	refused(tg("bad_name", "{\"Protocol\":\"HTTP\",\"Port\":80}"), -EINVAL,
		"letters, digits and hyphens", "a name with an underscore");
	is_int(tg("api", "{\"Protocol\":\"TCP\",\"Port\":9000}"), 0, "a TCP group");
	ecsfs_err_reset(&err);
	is_int(ecsfs_targetgroup_check("web", "{\"Protocol\":", 12, true, &err), 0,
	       "a prefix of a document is fine while written");
	is_int(ecsfs_targetgroup_check("web", "{\"Protocol\"]", 12, true, &err), -EINVAL,
	       "a syntax error is not");
}

static const char *const lb_ok =
    "{\"Listeners\":[{\"Port\":18080,\"DefaultActions\":[{\"Type\":\"forward\","
    "\"TargetGroupArn\":\"web\"}],\"Rules\":[{\"Priority\":20,\"Conditions\":[{\"Field\":"
    "\"path-pattern\",\"Values\":[\"/api/*\"]}],\"Actions\":[{\"Type\":\"fixed-response\","
    "\"FixedResponseConfig\":{\"StatusCode\":\"404\",\"MessageBody\":\"no\"}}]},"
    "{\"Priority\":10,\"Conditions\":[{\"Field\":\"host-header\",\"HostHeaderConfig\":"
    "{\"Values\":[\"*.example.com\"]}}],\"Actions\":[{\"Type\":\"forward\","
    "\"ForwardConfig\":{\"TargetGroups\":[{\"TargetGroupArn\":\"web\",\"Weight\":3},"
    "{\"TargetGroupArn\":\"later\"}]}}]}]}]}";

static void test_loadbalancers(void)
{
	json_t *d;

	is_int(lb("front", lb_ok), 0, "a load balancer with rules");
	is_int(ecsfs_loadbalancer_describe(s, "front", &d, &err), 0, "describe it");
	is_str(json_string_value(json_object_get(d, "Scheme")), "internal",
	       "internal is the default here");
	is_str(json_string_value(json_object_get(d, "Type")), "application", "application");
	ok(strstr(json_string_value(json_object_get(d, "LoadBalancerArn")),
		  ":loadbalancer/app/front/"),
	   "the ARN names app/front");
	json_decref(d);
	is_int(ecsfs_loadbalancer_rules(s, "front", &d, &err), 0, "its rules");
	json_t *rules = json_object_get(d, "Rules");
	is_int(json_array_size(rules), 3, "two rules and the default");
	is_str(json_string_value(json_object_get(json_array_get(rules, 0), "Priority")), "10",
	       "in priority order");
	ok(strstr(json_string_value(json_object_get(json_array_get(rules, 0), "RuleArn")),
		  ":listener-rule/app/front/"),
	   "rules have ARNs");
	json_decref(d);
	is_int(ecsfs_targetgroup_describe(s, "web", &d, &err), 0, "the group it forwards to");
	is_int(json_array_size(json_object_get(d, "LoadBalancerArns")), 1,
	       "names the load balancer");
	json_decref(d);

	refused(lb("b2", "{\"Listeners\":[{\"Port\":18080,\"DefaultActions\":[{\"Type\":"
			 "\"forward\",\"TargetGroupArn\":\"web\"}]}]}"),
		-EADDRINUSE, "already a listener of load balancer front",
		"a port another load balancer has");
	refused(lb("b2", "{\"Listeners\":[{\"Port\":80,\"DefaultActions\":[{\"Type\":"
			 "\"forward\"}]}]}"),
		-EINVAL, "names no target group", "a forward to nothing");
	refused(lb("b2",
		   "{\"Listeners\":[{\"Port\":80,\"DefaultActions\":[{\"Type\":\"forward\","
		   "\"TargetGroupArn\":\"web\"}],\"Rules\":[{\"Priority\":1,\"Conditions\":"
		   "[{\"Field\":\"path-pattern\",\"Values\":[\"/a\"]}],\"Actions\":[{\"Type\":"
		   "\"forward\",\"TargetGroupArn\":\"web\"}]},{\"Priority\":1,\"Conditions\":"
		   "[{\"Field\":\"path-pattern\",\"Values\":[\"/b\"]}],\"Actions\":[{\"Type\":"
		   "\"forward\",\"TargetGroupArn\":\"web\"}]}]}]}"),
		-EINVAL, "Listeners[0].Rules[1].Priority: 1 is also the priority of Rules[0]",
		"a priority used twice");
	refused(lb("b2", "{\"Listeners\":[{\"Port\":0,\"DefaultActions\":[{\"Type\":\"forward\","
			 "\"TargetGroupArn\":\"web\"}]}]}"),
		-EINVAL, "Listeners[0].Port", "port 0");
	refused(lb("b2", "{\"Listners\":[]}"), -EINVAL, "Listeners", "a typo, with a hint");
	refused(lb("b2", "{\"Listeners\":[{\"Port\":81,\"DefaultActions\":[{\"Type\":\"forward\","
			 "\"TargetGroupArn\":\"api\"}]}]}"),
		-EINVAL, "target group api is TCP", "an HTTP listener to a TCP group");
	refused(lb("b2",
		   "{\"Type\":\"network\",\"Listeners\":[{\"Port\":81,\"Protocol\":\"HTTP\","
		   "\"DefaultActions\":[{\"Type\":\"forward\",\"TargetGroupArn\":\"api\"}]}]}"),
		-EINVAL, "listeners are TCP", "a network load balancer with an HTTP listener");
	is_int(lb("b2", "{\"Type\":\"network\",\"Scheme\":\"internet-facing\",\"Listeners\":"
			"[{\"Port\":81,\"DefaultActions\":[{\"Type\":\"forward\","
			"\"TargetGroupArn\":\"api\"}]}]}"),
	       0, "a network load balancer");
	refused(lb("b3", "{\"Listeners\":[{\"Port\":82,\"DefaultActions\":[{\"Type\":\"redirect\","
			 "\"RedirectConfig\":{\"StatusCode\":\"HTTP_307\"}}]}]}"),
		-EINVAL, "StatusCode", "a redirect code ELBv2 does not have");
	refused(lb("b3",
		   "{\"Listeners\":[{\"Port\":82,\"DefaultActions\":[{\"Type\":"
		   "\"fixed-response\",\"FixedResponseConfig\":{\"StatusCode\":\"302\"}}]}]}"),
		-EINVAL, "2XX, 4XX or 5XX", "a fixed response of 302");
	refused(lb("b3", "{\"Listeners\":[{\"Port\":82,\"DefaultActions\":[{\"Type\":\"forward\","
			 "\"TargetGroupArn\":\"arn:aws:elasticloadbalancing:us-east-1:"
			 "000000000000:targetgroup/web/0000000000000000\"}]}]}"),
		-EINVAL, "the id of target group web is", "an ARN with a wrong id");
	is_int(ecsfs_loadbalancer_delete(s, "b2", &err), 0, "delete");
	is_int(ecsfs_loadbalancer_exists(s, "b2", &err), -ENOENT, "gone");
}

int main(void)
{
	char dir[] = "/tmp/ecsfs-test-elb-XXXXXX";
	ecsfs_buf why = ECSFS_BUF_INIT;
	if (!mkdtemp(dir) || ecsfs_store_open(dir, &s, &why) < 0) {
		printf("Bail out! %s\n", why.data);
		return 1;
	}
	test_targetgroups();
	test_loadbalancers();
	ecsfs_store_close(s);
	ecsfs_buf_release(&why);
	ecsfs_err_release(&err);
	tap_rmtree(dir);
	return tap_done();
}
