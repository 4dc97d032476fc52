/*
 * EventBridge rules with a ScheduleExpression, "the classic ECS scheduled
 * task". A rule is a row of its own (the PutRule input: expression, state,
 * description); its ECS target, one per rule, is the schedule named after
 * the rule in the cluster the target's Arn names:
 * spec/clusters/<c>/schedules/<rule>.json, a CreateSchedule document the
 * engine fires like any other. The schedule's file is the truth about the
 * target and, while it exists, about the expression and the state; a rule
 * without it runs nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/arn.h"
#include "ecsfs/shape.h"
#include "ecsfs/util.h"
#include "model/schedule_private.h"

#define BUS "default"

/* [.\-_A-Za-z0-9]{1,64}: rule names and target ids. */
static int rule_name_rule(const char *s, const char *what, ecsfs_buf *why)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64 ||
	    strspn(s, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_.") != n) {
		ecsfs_buf_setf(why, "%s '%.80s' must be 1 to 64 of 0-9 A-Z a-z - _ .", what, s);
		return -EINVAL;
	}
	return 0;
}

static int rule_expression(ecsfs_shape_ctx *c, const json_t *v)
{
	if (!strncmp(json_string_value(v), "at(", 3))
		return ecsfs_shape_fail(c, "a rule runs on cron() or rate(); at() is EventBridge "
					   "Scheduler's");
	return ecsfs_cron_shape_expression(c, v);
}

static int no_pattern(ecsfs_shape_ctx *c, const json_t *v)
{
	(void)v;
	return ecsfs_shape_fail(c, "rules here run on a ScheduleExpression only: there are no "
				   "events to match");
}

static int default_bus(ecsfs_shape_ctx *c, const json_t *v)
{
	const char *s = json_string_value(v), *res = ecsfs_arn_resource(s, "events");

	if (!strcmp(s, BUS) || (res && !strcmp(res, "event-bus/" BUS)))
		return 0;
	return ecsfs_shape_fail(c, "Event bus %s does not exist: only the default bus is served",
				ecsfs_shape_shown(c, s));
}

static const char *const rule_states[] = {"ENABLED", "DISABLED", NULL};
static const ecsfs_field tag_fields[] = {ECSFS_STR("Key", ECSFS_F_REQUIRED),
					 ECSFS_STR("Value", ECSFS_F_REQUIRED)};
static const ecsfs_shape tag_shape = ECSFS_SHAPE(tag_fields);
static const ecsfs_field rule_fields[] = {
    {.name = "Name", .type = ECSFS_JSON_STRING, .rule = rule_name_rule, .what = "Name"},
    {.name = "ScheduleExpression",
     .type = ECSFS_JSON_STRING,
     .flags = ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY,
     .max = 256,
     .check = rule_expression},
    {.name = "EventPattern", .type = ECSFS_JSON_ANY, .check = no_pattern},
    ECSFS_STR_OF("State", 0, rule_states),
    {.name = "Description", .type = ECSFS_JSON_STRING, .max = 512},
    ECSFS_STR("RoleArn", ECSFS_F_KEPT),
    ECSFS_OBJS("Tags", ECSFS_F_KEPT, tag_shape, 50),
    {.name = "EventBusName", .type = ECSFS_JSON_STRING, .check = default_bus},
};
static const ecsfs_shape rule_shape = ECSFS_SHAPE(rule_fields);

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int not_found(const char *name, ecsfs_err *err)
{
	return ecsfs_err_set(err, ECSFS_E_RESOURCE_NOT_FOUND, -ENOENT,
			     "Rule %s does not exist on EventBus " BUS ".", name);
}

static int fault(ecsfs_schedules *sc, ecsfs_err *err)
{
	return ecsfs_err_set(err, ECSFS_E_SERVER, -EIO, "cannot keep the rule: %s",
			     ecsfs_store_last_error(sc->store));
}

/* A rule's row: its document (caller decrefs) and creation time. */
static int rule_get(ecsfs_schedules *sc, const char *name, int64_t *created, json_t **doc,
		    ecsfs_err *err)
{
	ecsfs_buf text = ECSFS_BUF_INIT;
	int r = ecsfs_store_rule_get(sc->store, name, created, &text);

	*doc = r == 0 ? json_loads(text.data, 0, NULL) : NULL;
	ecsfs_buf_release(&text);
	if (r == -ENOENT)
		return not_found(name, err);
	return r < 0 || !*doc ? fault(sc, err) : 0;
}

static int rule_save(ecsfs_schedules *sc, const char *name, int64_t created, const json_t *doc,
		     ecsfs_err *err)
{
	ecsfs_buf canon = ECSFS_BUF_INIT;
	int r;

	ecsfs_json_canonical(doc, &canon);
	r = ecsfs_store_rule_put(sc->store, name, created, canon.data);
	ecsfs_buf_release(&canon);
	return r < 0 ? fault(sc, err) : 0;
}

/* The rule's target schedule, when it has one that exists: its cluster
 * into cluster and its stored document (caller decrefs). */
static json_t *target_schedule(ecsfs_schedules *sc, const char *name, const json_t *rule,
			       char cluster[256])
{
	const char *c = str(json_object_get(rule, "Target"), "Cluster");
	ecsfs_schedule_row row = {.doc = ECSFS_BUF_INIT};
	json_t *doc = NULL;

	if (c && ecsfs_store_schedule_get(sc->store, c, name, &row) == 0) {
		doc = json_loads(row.doc.data, 0, NULL);
		snprintf(cluster, 256, "%s", c);
	}
	ecsfs_buf_release(&row.doc);
	return doc;
}

/* The rule's own fields onto its schedule's document. */
static void rule_onto(const json_t *rule, json_t *doc)
{
	static const char *const keys[] = {"ScheduleExpression", "State", "Description"};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (json_object_get(rule, keys[i]))
			json_object_set(doc, keys[i], json_object_get(rule, keys[i]));
		else
			json_object_del(doc, keys[i]);
}

/* A changed rule goes to its schedule first, so a refusal changes neither. */
static int rule_apply(ecsfs_schedules *sc, const char *name, int64_t created, json_t *rule,
		      ecsfs_err *err)
{
	char cluster[256];
	json_t *doc = target_schedule(sc, name, rule, cluster);
	int r = 0;

	if (doc) {
		rule_onto(rule, doc);
		r = ecsfs_schedule_put(sc, cluster, name, doc, NULL, err);
		json_decref(doc);
	}
	return r < 0 ? r : rule_save(sc, name, created, rule, err);
}

static int check_room(ecsfs_schedules *sc, const char *name, ecsfs_err *err)
{
	uint64_t n = 0;

	if (ecsfs_store_rule_get(sc->store, name, NULL, NULL) == 0)
		return 0;
	if (ecsfs_store_rule_count(sc->store, &n) == 0 && n >= ECSFS_SCHEDULES_MAX)
		return ecsfs_err_set(err, ECSFS_E_LIMIT_EXCEEDED, -ENOSPC,
				     "there are %d rules, the limit", ECSFS_SCHEDULES_MAX);
	return 0;
}

int ecsfs_rule_put(ecsfs_schedules *sc, const json_t *in, ecsfs_buf *arn, ecsfs_err *err)
{
	static const char *const kept[] = {"ScheduleExpression", "State", "Description", "RoleArn",
					   "Tags"};
	const char *name = str(in, "Name");
	int64_t created = ecsfs__sched_now(sc) * 1000000;
	json_t *old = NULL, *rule;
	ecsfs_err probe = ECSFS_ERR_INIT;
	int r;

	if (!name)
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL, "Name: is required");
	if ((r = ecsfs_shape_check(&rule_shape, in, NULL, err)) < 0 ||
	    (r = check_room(sc, name, err)) < 0)
		return r;
	rule = json_object();
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		if (json_object_get(in, kept[i]))
			json_object_set(rule, kept[i], json_object_get(in, kept[i]));
	if (!json_object_get(rule, "State"))
		json_object_set_new(rule, "State", json_string("ENABLED"));
	if (rule_get(sc, name, &created, &old, &probe) == 0 && json_object_get(old, "Target"))
		json_object_set(rule, "Target", json_object_get(old, "Target"));
	ecsfs_err_release(&probe);
	json_decref(old);
	r = rule_apply(sc, name, created, rule, err);
	json_decref(rule);
	if (r == 0 && arn)
		ecsfs_arn(arn, "events", "rule/%s", name);
	return r;
}

int ecsfs_rule_set_state(ecsfs_schedules *sc, const char *name, bool enabled, ecsfs_err *err)
{
	int64_t created;
	json_t *rule;
	int r = rule_get(sc, name, &created, &rule, err);

	if (r < 0)
		return r;
	json_object_set_new(rule, "State", json_string(enabled ? "ENABLED" : "DISABLED"));
	r = rule_apply(sc, name, created, rule, err);
	json_decref(rule);
	return r;
}

/* DescribeRule's shape: the schedule's expression and state win while it exists. */
static json_t *rule_describe(ecsfs_schedules *sc, const char *name, const json_t *rule)
{
	char cluster[256];
	json_t *doc = target_schedule(sc, name, rule, cluster);
	const json_t *from = doc ? doc : rule;
	const char *state = str(from, "State");
	json_t *o = json_pack("{s:s, s:o, s:O, s:s, s:s, s:s}", "Name", name, "Arn",
			      ecsfs_arn_json("events", "rule/%s", name), "ScheduleExpression",
			      json_object_get(from, "ScheduleExpression"), "State",
			      state ? state : "ENABLED", "EventBusName", BUS, "CreatedBy",
			      ecsfs_arn_account());

	if (json_object_get(rule, "Description"))
		json_object_set(o, "Description", json_object_get(rule, "Description"));
	if (json_object_get(rule, "RoleArn"))
		json_object_set(o, "RoleArn", json_object_get(rule, "RoleArn"));
	json_decref(doc);
	return o;
}

int ecsfs_rule_describe(ecsfs_schedules *sc, const char *name, json_t **out, ecsfs_err *err)
{
	json_t *rule;
	int r = rule_get(sc, name, NULL, &rule, err);

	if (r < 0)
		return r;
	*out = rule_describe(sc, name, rule);
	json_decref(rule);
	return 0;
}

typedef struct list_ctx {
	ecsfs_schedules *sc;
	const char *prefix;
	json_t *out;
} list_ctx;

static int list_one(void *data, const char *name)
{
	list_ctx *l = data;
	ecsfs_err err = ECSFS_ERR_INIT;
	json_t *o;

	if ((!l->prefix || !strncmp(name, l->prefix, strlen(l->prefix))) &&
	    ecsfs_rule_describe(l->sc, name, &o, &err) == 0)
		json_array_append_new(l->out, o);
	ecsfs_err_release(&err);
	return 0;
}

json_t *ecsfs_rule_list(ecsfs_schedules *sc, const char *prefix)
{
	list_ctx l = {sc, prefix, json_array()};

	ecsfs_store_rule_list(sc->store, list_one, &l);
	return l.out;
}

int ecsfs_rule_delete(ecsfs_schedules *sc, const char *name, ecsfs_err *err)
{
	char cluster[256];
	json_t *rule, *doc;
	int r = rule_get(sc, name, NULL, &rule, err);

	if (r < 0)
		return r;
	doc = target_schedule(sc, name, rule, cluster);
	json_decref(rule);
	json_decref(doc);
	if (doc)
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EBUSY,
				     "Rule can't be deleted since it has targets.");
	return ecsfs_store_rule_delete(sc->store, name) < 0 ? fault(sc, err) : 0;
}

/* ---- targets (schedule_target.c) ---- */

int ecsfs__rule_get(ecsfs_schedules *sc, const char *name, int64_t *created, json_t **doc,
		    ecsfs_err *err)
{
	return rule_get(sc, name, created, doc, err);
}

int ecsfs__rule_save(ecsfs_schedules *sc, const char *name, int64_t created, const json_t *doc,
		     ecsfs_err *err)
{
	return rule_save(sc, name, created, doc, err);
}

json_t *ecsfs__rule_target(ecsfs_schedules *sc, const char *name, const json_t *rule,
			   char cluster[256])
{
	return target_schedule(sc, name, rule, cluster);
}

void ecsfs__rule_onto(const json_t *rule, json_t *doc)
{
	rule_onto(rule, doc);
}

int ecsfs__rule_id_rule(const char *s, const char *what, ecsfs_buf *why)
{
	return rule_name_rule(s, what, why);
}
