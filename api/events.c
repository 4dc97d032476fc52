/*
 * Amazon EventBridge rules (AWSEvents, JSON 1.1) that run ECS tasks on a
 * ScheduleExpression: PutRule, DescribeRule, ListRules, Enable/DisableRule,
 * DeleteRule, PutTargets, RemoveTargets, ListTargetsByRule. A rule's ECS
 * target is a schedule (core/model/schedule_rule.c says which); this file
 * only parses, calls and renders.
 */
#include <errno.h>
#include <string.h>

#include "api_private.h"
#include "ecsfs/schedule.h"

const ecsfs__api_errname ecsfs__events_errors[] = {
    {ECSFS_E_INVALID_PARAMETER, "ValidationException", 400},
    {ECSFS_E_CLIENT, "ValidationException", 400},
    {ECSFS_E_CLUSTER_NOT_FOUND, "ResourceNotFoundException", 400},
    {ECSFS_E_RESOURCE_NOT_FOUND, "ResourceNotFoundException", 400},
    {ECSFS_E_RESOURCE_IN_USE, "ConcurrentModificationException", 400},
    {ECSFS_E_LIMIT_EXCEEDED, "LimitExceededException", 400},
    {ECSFS_E_SERVER, "InternalException", 500},
    {ECSFS_E_NONE, "InternalException", 500},
    {.type = NULL},
};

static const ecsfs__api_paging paging = {"NextToken", "Limit"};

static int engine(const ecsfs_api_core *c, ecsfs_err *err)
{
	if (c->schedules)
		return 0;
	return ecsfs_err_set(err, ECSFS_E_SERVER, -EIO, "schedules are not available");
}

/* The request's EventBusName, when given, is the default bus. */
static int default_bus(const json_t *in, ecsfs_err *err)
{
	const char *bus = NULL;
	int r = ecsfs__api_str(in, "EventBusName", false, &bus, err);

	if (r < 0 || !bus || !strcmp(bus, "default") || strstr(bus, ":event-bus/default"))
		return r;
	return ecsfs_err_set(err, ECSFS_E_RESOURCE_NOT_FOUND, -ENOENT,
			     "Event bus %.200s does not exist.", bus);
}

/* The rule a request names in `key`, on the default bus. */
static int rule_name(const ecsfs_api_core *c, const json_t *in, const char *key, const char **name,
		     ecsfs_err *err)
{
	int r;

	if ((r = engine(c, err)) < 0 || (r = ecsfs__api_str(in, key, true, name, err)) < 0)
		return r;
	return default_bus(in, err);
}

static int put_rule(const ecsfs_api_core *c, const json_t *in, json_t **out, ecsfs_err *err)
{
	ecsfs_buf arn = ECSFS_BUF_INIT;
	int r;

	if ((r = engine(c, err)) < 0)
		return r;
	if ((r = ecsfs_rule_put(c->schedules, in, &arn, err)) == 0)
		*out = json_pack("{s:s}", "RuleArn", arn.data);
	ecsfs_buf_release(&arn);
	return r;
}

static int describe_rule(const ecsfs_api_core *c, const json_t *in, json_t **out, ecsfs_err *err)
{
	const char *name;
	int r = rule_name(c, in, "Name", &name, err);

	return r < 0 ? r : ecsfs_rule_describe(c->schedules, name, out, err);
}

static int list_rules(const ecsfs_api_core *c, const json_t *in, json_t **out, ecsfs_err *err)
{
	const char *prefix = NULL;
	int r;

	if ((r = engine(c, err)) < 0 ||
	    (r = ecsfs__api_str(in, "NamePrefix", false, &prefix, err)) < 0 ||
	    (r = default_bus(in, err)) < 0)
		return r;
	*out = json_object();
	return ecsfs__api_page_as(&paging, ecsfs_rule_list(c->schedules, prefix), in, 100, 100,
				  *out, "Rules", err);
}

static int set_state(const ecsfs_api_core *c, const json_t *in, bool enabled, ecsfs_err *err)
{
	const char *name;
	int r = rule_name(c, in, "Name", &name, err);

	return r < 0 ? r : ecsfs_rule_set_state(c->schedules, name, enabled, err);
}

static int enable_rule(const ecsfs_api_core *c, const json_t *in, json_t **out, ecsfs_err *err)
{
	(void)out;
	return set_state(c, in, true, err);
}

static int disable_rule(const ecsfs_api_core *c, const json_t *in, json_t **out, ecsfs_err *err)
{
	(void)out;
	return set_state(c, in, false, err);
}

static int delete_rule(const ecsfs_api_core *c, const json_t *in, json_t **out, ecsfs_err *err)
{
	const char *name;
	bool force = false;
	int r;

	(void)out;
	if ((r = rule_name(c, in, "Name", &name, err)) < 0 ||
	    (r = ecsfs__api_bool(in, "Force", &force, err)) < 0)
		return r;
	return ecsfs_rule_delete(c->schedules, name, err);
}

static json_t *entries(json_t *failed)
{
	return json_pack("{s:I, s:o}", "FailedEntryCount", (json_int_t)json_array_size(failed),
			 "FailedEntries", failed);
}

static int put_targets(const ecsfs_api_core *c, const json_t *in, json_t **out, ecsfs_err *err)
{
	const char *name;
	const json_t *targets = json_object_get(in, "Targets");
	json_t *failed = NULL;
	int r;

	if ((r = rule_name(c, in, "Rule", &name, err)) < 0)
		return r;
	if (!json_is_array(targets))
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "Targets: is required (a list)");
	r = ecsfs_rule_put_targets(c->schedules, name, targets, &failed, err);
	if (r == 0)
		*out = entries(failed);
	else
		json_decref(failed);
	return r;
}

static int remove_targets(const ecsfs_api_core *c, const json_t *in, json_t **out, ecsfs_err *err)
{
	const char *name;
	const json_t *ids = NULL;
	int r;

	if ((r = rule_name(c, in, "Rule", &name, err)) < 0 ||
	    (r = ecsfs__api_strs(in, "Ids", true, &ids, err)) < 0)
		return r;
	if ((r = ecsfs_rule_remove_targets(c->schedules, name, ids, err)) == 0)
		*out = entries(json_array());
	return r;
}

static int list_targets(const ecsfs_api_core *c, const json_t *in, json_t **out, ecsfs_err *err)
{
	const char *name;
	json_t *all;
	int r;

	if ((r = rule_name(c, in, "Rule", &name, err)) < 0 ||
	    (r = ecsfs_rule_targets(c->schedules, name, &all, err)) < 0)
		return r;
	*out = json_object();
	return ecsfs__api_page_as(&paging, all, in, 100, 100, *out, "Targets", err);
}

const ecsfs__api_op ecsfs__events_ops[] = {
    {"PutRule", put_rule},
    {"DescribeRule", describe_rule},
    {"ListRules", list_rules},
    {"EnableRule", enable_rule},
    {"DisableRule", disable_rule},
    {"DeleteRule", delete_rule},
    {"PutTargets", put_targets},
    {"RemoveTargets", remove_targets},
    {"ListTargetsByRule", list_targets},
    {NULL, NULL},
};
