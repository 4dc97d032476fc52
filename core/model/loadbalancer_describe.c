/* ELBv2 load balancers: ARNs and the describe shapes (describe-load-balancers,
 * describe-listeners, describe-rules). */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "ecsfs/arn.h"
#include "ecsfs/loadbalancer.h"
#include "ecsfs/util.h"
#include "model/elb_private.h"

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static bool is_network(const json_t *eff)
{
	return strcmp(str(eff, "Type"), "network") == 0;
}

/* "app/web/0123456789abcdef" */
static void lb_part(const char *name, bool network, ecsfs_buf *out)
{
	char id[17];
	ecsfs_elb_id(network ? "net" : "app", name, id);
	ecsfs_buf_addf(out, "%s/%s/%s", network ? "net" : "app", name, id);
}

static void listener_id(const char *lb, int port, char id[17])
{
	char key[64];
	snprintf(key, sizeof(key), "%s:%d", lb, port);
	ecsfs_elb_id("listener", key, id);
}

void ecsfs_loadbalancer_arn(const char *name, bool network, ecsfs_buf *out)
{
	ecsfs_buf part = ECSFS_BUF_INIT;
	lb_part(name, network, &part);
	ecsfs_arn(out, "elasticloadbalancing", "loadbalancer/%s", part.data);
	ecsfs_buf_release(&part);
}

void ecsfs_listener_arn(const char *lb, bool network, int port, ecsfs_buf *out)
{
	ecsfs_buf part = ECSFS_BUF_INIT;
	char id[17];
	lb_part(lb, network, &part);
	listener_id(lb, port, id);
	ecsfs_arn(out, "elasticloadbalancing", "listener/%s/%s", part.data, id);
	ecsfs_buf_release(&part);
}

void ecsfs_rule_arn(const char *lb, bool network, int port, int priority, ecsfs_buf *out)
{
	ecsfs_buf part = ECSFS_BUF_INIT;
	char lid[17], rid[17], key[80];
	lb_part(lb, network, &part);
	listener_id(lb, port, lid);
	if (priority > 0)
		snprintf(key, sizeof(key), "%s:%d:%d", lb, port, priority);
	else
		snprintf(key, sizeof(key), "%s:%d:default", lb, port);
	ecsfs_elb_id("rule", key, rid);
	ecsfs_arn(out, "elasticloadbalancing", "listener-rule/%s/%s/%s", part.data, lid, rid);
	ecsfs_buf_release(&part);
}

/* ---- load balancers ---- */

int ecsfs_loadbalancer_describe(ecsfs_store *s, const char *name, json_t **out, ecsfs_err *err)
{
	ecsfs_buf arn = ECSFS_BUF_INIT;
	char when[32], host[256] = "localhost";
	int64_t created = 0;
	json_t *eff, *d;
	int r = ecsfs__lb_load(s, name, &eff, &created, err);

	if (r < 0)
		return r;
	ecsfs_loadbalancer_arn(name, is_network(eff), &arn);
	ecsfs_time_iso(created, when);
	/* there is no DNS here: an internal load balancer is reached on this
	 * machine's loopback, an internet-facing one at its host name */
	if (strcmp(str(eff, "Scheme"), "internet-facing") == 0 && gethostname(host, sizeof(host)))
		snprintf(host, sizeof(host), "localhost");
	d = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s}, s:s, s:[], s:s}", "LoadBalancerArn",
		      arn.data, "DNSName", host, "CreatedTime", when, "LoadBalancerName", name,
		      "Scheme", str(eff, "Scheme"), "State", "Code", "active", "Type",
		      str(eff, "Type"), "AvailabilityZones", "IpAddressType",
		      str(eff, "IpAddressType"));
	if (json_object_get(eff, "SecurityGroups"))
		json_object_set(d, "SecurityGroups", json_object_get(eff, "SecurityGroups"));
	json_decref(eff);
	ecsfs_buf_release(&arn);
	*out = d;
	return 0;
}

/* ---- actions and conditions as describe writes them ---- */

static json_t *tg_arn_of(const char *ref)
{
	char name[ECSFS_ELB_NAME_MAX + 1];
	ecsfs_buf arn = ECSFS_BUF_INIT;
	json_t *j;
	if (ecsfs_targetgroup_ref_name(ref, name, NULL) < 0)
		return json_string(ref);
	ecsfs_targetgroup_arn(name, &arn);
	j = json_string(arn.data);
	ecsfs_buf_release(&arn);
	return j;
}

static json_t *action_describe(const json_t *a)
{
	json_t *d = json_deep_copy(a), *tgs, *t;
	size_t i;

	if (strcmp(str(a, "Type"), "forward") != 0)
		return d;
	tgs = json_object_get(json_object_get(d, "ForwardConfig"), "TargetGroups");
	json_array_foreach(tgs, i, t)
		json_object_set_new(t, "TargetGroupArn", tg_arn_of(str(t, "TargetGroupArn")));
	if (json_array_size(tgs) == 1)
		json_object_set(d, "TargetGroupArn",
				json_object_get(json_array_get(tgs, 0), "TargetGroupArn"));
	return d;
}

static json_t *actions_describe(const json_t *list)
{
	json_t *out = json_array(), *a;
	size_t i;
	json_array_foreach(list, i, a)
		json_array_append_new(out, action_describe(a));
	return out;
}

static json_t *cond_describe(const json_t *c)
{
	const char *field = str(c, "Field");
	json_t *values = json_object_get(c, "Values");
	json_t *d = json_pack("{s:s}", "Field", field);

	if (strcmp(field, "http-header") == 0) {
		json_object_set_new(d, "HttpHeaderConfig",
				    json_pack("{s:s, s:O}", "HttpHeaderName",
					      str(c, "HttpHeaderName"), "Values", values));
		return d;
	}
	json_object_set(d, "Values", values);
	json_object_set_new(
	    d, strcmp(field, "path-pattern") == 0 ? "PathPatternConfig" : "HostHeaderConfig",
	    json_pack("{s:O}", "Values", values));
	return d;
}

/* ---- listeners and rules ---- */

int ecsfs_loadbalancer_listeners(ecsfs_store *s, const char *name, json_t **out, ecsfs_err *err)
{
	ecsfs_buf arn = ECSFS_BUF_INIT, larn = ECSFS_BUF_INIT;
	json_t *eff, *list = json_array(), *l;
	size_t i;
	int r = ecsfs__lb_load(s, name, &eff, NULL, err);

	if (r < 0) {
		json_decref(list);
		return r;
	}
	ecsfs_loadbalancer_arn(name, is_network(eff), &arn);
	json_array_foreach(json_object_get(eff, "Listeners"), i, l) {
		int port = (int)json_integer_value(json_object_get(l, "Port"));
		ecsfs_buf_reset(&larn);
		ecsfs_listener_arn(name, is_network(eff), port, &larn);
		json_array_append_new(
		    list, json_pack("{s:s, s:s, s:i, s:s, s:o}", "ListenerArn", larn.data,
				    "LoadBalancerArn", arn.data, "Port", port, "Protocol",
				    str(l, "Protocol"), "DefaultActions",
				    actions_describe(json_object_get(l, "DefaultActions"))));
	}
	json_decref(eff);
	ecsfs_buf_release(&arn);
	ecsfs_buf_release(&larn);
	*out = json_pack("{s:o}", "Listeners", list);
	return 0;
}

static json_t *rule_describe(const char *lb, bool net, int port, const json_t *rule)
{
	ecsfs_buf arn = ECSFS_BUF_INIT;
	json_t *conds = json_array(), *c, *d;
	int prio = (int)json_integer_value(json_object_get(rule, "Priority"));
	char p[16];
	size_t i;

	snprintf(p, sizeof(p), "%d", prio);
	ecsfs_rule_arn(lb, net, port, prio, &arn);
	json_array_foreach(json_object_get(rule, "Conditions"), i, c)
		json_array_append_new(conds, cond_describe(c));
	d = json_pack("{s:s, s:s, s:o, s:o, s:b}", "RuleArn", arn.data, "Priority", p, "Conditions",
		      conds, "Actions", actions_describe(json_object_get(rule, "Actions")),
		      "IsDefault", 0);
	ecsfs_buf_release(&arn);
	return d;
}

int ecsfs_loadbalancer_rules(ecsfs_store *s, const char *name, json_t **out, ecsfs_err *err)
{
	ecsfs_buf arn = ECSFS_BUF_INIT;
	json_t *eff, *list = json_array(), *l, *rule;
	size_t i, j;
	int r = ecsfs__lb_load(s, name, &eff, NULL, err);

	if (r < 0) {
		json_decref(list);
		return r;
	}
	json_array_foreach(json_object_get(eff, "Listeners"), i, l) {
		int port = (int)json_integer_value(json_object_get(l, "Port"));
		json_array_foreach(json_object_get(l, "Rules"), j, rule)
			json_array_append_new(list,
					      rule_describe(name, is_network(eff), port, rule));
		ecsfs_buf_reset(&arn);
		ecsfs_rule_arn(name, is_network(eff), port, 0, &arn);
		json_array_append_new(
		    list, json_pack("{s:s, s:s, s:[], s:o, s:b}", "RuleArn", arn.data, "Priority",
				    "default", "Conditions", "Actions",
				    actions_describe(json_object_get(l, "DefaultActions")),
				    "IsDefault", 1));
	}
	json_decref(eff);
	ecsfs_buf_release(&arn);
	*out = json_pack("{s:o}", "Rules", list);
	return 0;
}

/* ---- who uses a target group ---- */

typedef struct using
{
	ecsfs_store *s;
	const char *tg;
	bool found;
	json_t *arns;
}
using;

static void match_cb(void *data, const char *tg, int weight)
{
	using *u = data;
	if (strcmp(tg, u->tg) == 0)
		u->found = true;
}

static int using_cb(void *data, const char *name)
{
	using *u = data;
	json_t *eff, *l, *rule;
	size_t i, j;

	if (ecsfs__lb_load(u->s, name, &eff, NULL, NULL) < 0)
		return 0;
	u->found = false;
	json_array_foreach(json_object_get(eff, "Listeners"), i, l) {
		ecsfs__lb_action_groups(json_array_get(json_object_get(l, "DefaultActions"), 0),
					match_cb, u);
		json_array_foreach(json_object_get(l, "Rules"), j, rule)
			ecsfs__lb_action_groups(json_array_get(json_object_get(rule, "Actions"), 0),
						match_cb, u);
	}
	if (u->found) {
		ecsfs_buf arn = ECSFS_BUF_INIT;
		ecsfs_loadbalancer_arn(name, is_network(eff), &arn);
		json_array_append_new(u->arns, json_string(arn.data));
		ecsfs_buf_release(&arn);
	}
	json_decref(eff);
	return 0;
}

json_t *ecsfs__lb_arns_using(ecsfs_store *s, const char *tg)
{
	using u = {.s = s, .tg = tg, .arns = json_array()};
	ecsfs_store_elb_list(s, "loadbalancer", using_cb, &u);
	return u.arns;
}
