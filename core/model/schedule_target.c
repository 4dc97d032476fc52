/*
 * The targets of EventBridge rules: an ECS target (EcsParameters, its Arn
 * the cluster's) becomes the schedule named after its rule in that cluster
 * (schedule_rule.c says why); one ECS target per rule; a target of another
 * kind would run nothing here and is refused as a failed entry that says so.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/arn.h"
#include "ecsfs/util.h"
#include "model/schedule_private.h"

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* EventBridge's Tags [{"Key", "Value"}] as Scheduler's [{"Key": "Value"}], and back. */
static json_t *tags_to_scheduler(const json_t *tags)
{
	json_t *out = json_array(), *t;
	size_t i;

	json_array_foreach(tags, i, t)
		json_array_append_new(out, json_pack("{s:O}", str(t, "Key") ? str(t, "Key") : "",
						     json_object_get(t, "Value")));
	return out;
}

static json_t *tags_to_events(const json_t *tags)
{
	json_t *out = json_array(), *t, *v;
	const char *k;
	size_t i;

	json_array_foreach(tags, i, t)
		json_object_foreach(t, k, v)
			json_array_append_new(out, json_pack("{s:s, s:O}", "Key", k, "Value", v));
	return out;
}

/* The CreateSchedule document of a rule's ECS target. */
static json_t *schedule_doc(const json_t *rule, const json_t *t)
{
	static const char *const kept[] = {"Arn", "RoleArn", "Input", "RetryPolicy",
					   "DeadLetterConfig"};
	json_t *doc = json_pack("{s:{s:s}}", "FlexibleTimeWindow", "Mode", "OFF");
	json_t *target = json_object(), *ecs = json_deep_copy(json_object_get(t, "EcsParameters"));

	ecsfs__rule_onto(rule, doc);
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		if (json_object_get(t, kept[i]))
			json_object_set(target, kept[i], json_object_get(t, kept[i]));
	if (json_is_array(json_object_get(ecs, "Tags")))
		json_object_set_new(ecs, "Tags", tags_to_scheduler(json_object_get(ecs, "Tags")));
	json_object_set_new(target, "EcsParameters", ecs);
	json_object_set_new(doc, "Target", target);
	return doc;
}

/* A checker's "Target.X: ..." as "Targets[i].X: ...". */
static int target_fail(ecsfs_err *err, size_t i, int r)
{
	ecsfs_buf msg = ECSFS_BUF_INIT;
	const char *m = err->msg.data ? err->msg.data : "";

	ecsfs_buf_addf(&msg, "Targets[%zu]%s%s", i, !strncmp(m, "Target.", 7) ? "." : ": ",
		       !strncmp(m, "Target.", 7) ? m + 7 : m);
	ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, r, "%s", msg.data);
	ecsfs_buf_release(&msg);
	return r;
}

/* Target i as a schedule of cluster (NULL doc: not an ECS target). */
static int read_target(const json_t *rule, const char *name, const json_t *t, size_t i,
		       char cluster[256], json_t **doc, ecsfs_err *err)
{
	const char *res = ecsfs_arn_resource(str(t, "Arn") ? str(t, "Arn") : "", "ecs");
	ecsfs_buf why = ECSFS_BUF_INIT;
	int r;

	*doc = NULL;
	if (!json_is_object(t) || !str(t, "Id") || !str(t, "Arn"))
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "Targets[%zu]: needs an Id and an Arn", i);
	if ((r = ecsfs__rule_id_rule(str(t, "Id"), "Id", &why)) < 0) {
		ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, r, "Targets[%zu].%s", i, why.data);
		ecsfs_buf_release(&why);
		return r;
	}
	if (!json_object_get(t, "EcsParameters"))
		return 0;
	if (json_object_get(t, "InputPath") || json_object_get(t, "InputTransformer"))
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "Targets[%zu]: a scheduled rule has no event to take a path "
				     "of or to transform: give the overrides as Input",
				     i);
	if (!res || strncmp(res, "cluster/", 8) != 0 || !res[8] || strlen(res + 8) > 255)
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "Targets[%zu].Arn: an ECS target's Arn is its cluster's ARN, "
				     "not '%.200s'",
				     i, str(t, "Arn"));
	snprintf(cluster, 256, "%s", res + 8);
	*doc = schedule_doc(rule, t);
	if ((r = ecsfs_schedule_check(cluster, name, *doc, err)) < 0) {
		json_decref(*doc);
		*doc = NULL;
		return target_fail(err, i, r);
	}
	return 0;
}

static void failed(json_t *list, const char *id, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void failed(json_t *list, const char *id, const char *code, const char *fmt, ...)
{
	ecsfs_buf msg = ECSFS_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	ecsfs_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "TargetId", id, "ErrorCode", code,
					      "ErrorMessage", msg.data));
	ecsfs_buf_release(&msg);
}

/* Why this ECS target cannot be the rule's, or NULL. */
static bool refused(ecsfs_schedules *sc, const char *name, json_t *rule, const char *id,
		    const char *cluster, json_t *fails)
{
	const json_t *cur = json_object_get(rule, "Target");
	char at[256];
	json_t *doc = ecsfs__rule_target(sc, name, rule, at);
	bool mine = cur && !strcmp(str(cur, "Cluster"), cluster);

	json_decref(doc);
	if (doc && strcmp(str(cur, "Id"), id) != 0) {
		failed(fails, id, "LimitExceededException",
		       "rule %s runs ECS target %s already (schedule %s of cluster %s): one ECS "
		       "target per rule here; remove that one first",
		       name, str(cur, "Id"), name, at);
		return true;
	}
	if (!mine && ecsfs_store_schedule_get(sc->store, cluster, name, NULL) == 0) {
		failed(fails, id, "ConcurrentModificationException",
		       "schedule %s of cluster %s exists and is not this rule's target", name,
		       cluster);
		return true;
	}
	return false;
}

/* Make target t the rule's: its schedule, then the rule's row. */
static int adopt(ecsfs_schedules *sc, const char *name, int64_t created, json_t *rule,
		 const char *id, const char *cluster, const json_t *doc, ecsfs_err *err)
{
	char old[256];
	json_t *prev = ecsfs__rule_target(sc, name, rule, old);
	int r = ecsfs_schedule_put(sc, cluster, name, doc, NULL, err);

	if (r == 0 && prev && strcmp(old, cluster) != 0)
		r = ecsfs_schedule_delete(sc, old, name, err);
	json_decref(prev);
	if (r < 0)
		return r;
	json_object_set_new(rule, "Target", json_pack("{s:s, s:s}", "Id", id, "Cluster", cluster));
	return ecsfs__rule_save(sc, name, created, rule, err);
}

static int apply_targets(ecsfs_schedules *sc, const char *name, int64_t created, json_t *rule,
			 const json_t *targets, json_t **docs, const char (*clusters)[256],
			 json_t *fails, ecsfs_err *err)
{
	size_t i;
	json_t *t;
	int r;

	json_array_foreach(targets, i, t) {
		const char *id = str(t, "Id");
		if (!docs[i])
			failed(fails, id, "ValidationException",
			       "target %s has no EcsParameters: ecsfs runs ECS tasks only, so it "
			       "would run nothing",
			       id);
		else if (!refused(sc, name, rule, id, clusters[i], fails) &&
			 (r = adopt(sc, name, created, rule, id, clusters[i], docs[i], err)) < 0)
			return r;
	}
	return 0;
}

int ecsfs_rule_put_targets(ecsfs_schedules *sc, const char *name, const json_t *targets,
			   json_t **fails, ecsfs_err *err)
{
	size_t n = json_array_size(targets);
	json_t **docs = calloc(n ? n : 1, sizeof(*docs)), *rule;
	char(*clusters)[256] = calloc(n ? n : 1, sizeof(*clusters));
	int64_t created;
	int r = ecsfs__rule_get(sc, name, &created, &rule, err);

	if (!docs || !clusters)
		abort();
	if (r == 0 && (n == 0 || n > 10))
		r = ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				  "Targets: 1 to 10 targets, not %zu", n);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = read_target(rule, name, json_array_get(targets, i), i, clusters[i], &docs[i],
				err);
	*fails = json_array();
	if (r == 0)
		r = apply_targets(sc, name, created, rule, targets, docs, clusters, *fails, err);
	for (size_t i = 0; i < n; i++)
		json_decref(docs[i]);
	free(docs);
	free(clusters);
	json_decref(rule);
	return r;
}

int ecsfs_rule_remove_targets(ecsfs_schedules *sc, const char *name, const json_t *ids,
			      ecsfs_err *err)
{
	char cluster[256];
	int64_t created;
	json_t *rule, *doc, *v;
	const char *cur;
	size_t i;
	int r = ecsfs__rule_get(sc, name, &created, &rule, err);

	if (r < 0)
		return r;
	cur = str(json_object_get(rule, "Target"), "Id");
	json_array_foreach(ids, i, v) {
		if (!cur || strcmp(json_string_value(v), cur) != 0)
			continue; /* AWS too lets ids that are not there go */
		if ((doc = ecsfs__rule_target(sc, name, rule, cluster)))
			r = ecsfs_schedule_delete(sc, cluster, name, err);
		json_decref(doc);
		if (r == 0) {
			json_object_del(rule, "Target");
			r = ecsfs__rule_save(sc, name, created, rule, err);
		}
		break;
	}
	json_decref(rule);
	return r;
}

int ecsfs_rule_targets(ecsfs_schedules *sc, const char *name, json_t **out, ecsfs_err *err)
{
	char cluster[256];
	json_t *rule, *doc, *t, *target;
	int r = ecsfs__rule_get(sc, name, NULL, &rule, err);

	if (r < 0)
		return r;
	*out = json_array();
	if ((doc = ecsfs__rule_target(sc, name, rule, cluster))) {
		target = json_object_get(doc, "Target");
		t = json_deep_copy(target);
		json_object_set_new(t, "Id",
				    json_string(str(json_object_get(rule, "Target"), "Id")));
		json_object_set_new(t, "Arn", ecsfs_arn_json("ecs", "cluster/%s", cluster));
		if (json_is_array(json_object_get(json_object_get(t, "EcsParameters"), "Tags")))
			json_object_set_new(json_object_get(t, "EcsParameters"), "Tags",
					    tags_to_events(json_object_get(
						json_object_get(t, "EcsParameters"), "Tags")));
		json_array_append_new(*out, t);
	}
	json_decref(doc);
	json_decref(rule);
	return 0;
}
