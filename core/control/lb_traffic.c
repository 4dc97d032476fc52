/*
 * The load-balancer controller: traffic splits that deployment strategies
 * (core/control/strategy.c) put on listener rules. A split is a row of the
 * store keyed by the rule's ARN; it replaces the rule's action by a
 * weighted forward, both in what HAProxy is given and in the live
 * rules.json (as describe-rules shows a rule ECS has modified). The spec
 * file of the load balancer keeps what its user wrote.
 */
#include <string.h>

#include "control/lb_private.h"
#include "ecsfs/loadbalancer.h"
#include "model/elb_private.h"

json_t *ecsfs__lb_traffic_action(ecsfs_store *s, const char *rule_arn)
{
	ecsfs_buf fwd = ECSFS_BUF_INIT;
	json_t *tgs = NULL;

	if (ecsfs_store_traffic_get(s, rule_arn, &fwd) == 0)
		tgs = json_loads(fwd.data, 0, NULL);
	ecsfs_buf_release(&fwd);
	if (!json_is_array(tgs)) {
		json_decref(tgs);
		return NULL;
	}
	return json_pack("{s:s, s:{s:o}}", "Type", "forward", "ForwardConfig", "TargetGroups", tgs);
}

/* The describe form: target groups by their ARNs. */
static json_t *described(json_t *action)
{
	json_t *tgs = json_object_get(json_object_get(action, "ForwardConfig"), "TargetGroups"), *t;
	size_t i;

	json_array_foreach(tgs, i, t) {
		char name[ECSFS_ELB_NAME_MAX + 1];
		ecsfs_buf arn = ECSFS_BUF_INIT;
		const char *ref = json_string_value(json_object_get(t, "TargetGroupArn"));
		if (ecsfs_targetgroup_ref_name(ref, name, NULL) < 0)
			continue;
		ecsfs_targetgroup_arn(name, &arn);
		json_object_set_new(t, "TargetGroupArn", json_string(arn.data));
		ecsfs_buf_release(&arn);
	}
	return action;
}

void ecsfs__lb_traffic_describe(ecsfs_store *s, json_t *rules)
{
	json_t *rule, *action;
	size_t i;

	json_array_foreach(json_object_get(rules, "Rules"), i, rule) {
		const char *arn = json_string_value(json_object_get(rule, "RuleArn"));
		if (arn && (action = ecsfs__lb_traffic_action(s, arn)))
			json_object_set_new(rule, "Actions", json_pack("[o]", described(action)));
	}
}
