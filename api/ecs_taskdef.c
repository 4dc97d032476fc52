/*
 * ECS operations on task definitions: parse, call core
 * (include/ecsfs/taskdef.h), render. RegisterTaskDefinition goes through
 * the same registration as spec/taskdefs/<family>.json, with the same
 * checks and messages; ECS calls a refused definition a ClientException.
 */
#include <errno.h>
#include <string.h>

#include "api_private.h"
#include "ecsfs/arn.h"
#include "ecsfs/tag.h"
#include "ecsfs/taskdef.h"

/* A taskDefinition reference ("family", "family:3", an ARN). */
static int reference(const json_t *in, char family[256], int64_t *rev, bool need_rev,
		     ecsfs_err *err)
{
	const char *ref = NULL;
	int r;

	if ((r = ecsfs__api_str(in, "taskDefinition", true, &ref, err)) < 0)
		return r;
	if ((r = ecsfs_taskdef_parse_ref(ref, family, rev, &err->msg)) < 0)
		return ecsfs_err_from(err, ECSFS_E_INVALID_PARAMETER, r);
	if (need_rev && *rev == 0)
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "taskDefinition: '%.300s' names no revision (family:revision)",
				     ref);
	return 0;
}

/* {"taskDefinition": td} (stolen), with "tags" of its ARN when asked. */
static int answer(const ecsfs_api_core *c, json_t *td, bool tags, json_t **out, ecsfs_err *err)
{
	json_t *o = json_object(), *t = NULL;
	int r;

	ecsfs__api_epochs(td, NULL);
	if (tags) {
		const char *arn = json_string_value(json_object_get(td, "taskDefinitionArn"));
		if ((r = ecsfs_tags_get(c->store, arn, &t)) < 0) {
			json_decref(td);
			json_decref(o);
			return ecsfs_err_set(err, ECSFS_E_SERVER, r, "cannot read the tags of %s",
					     arn);
		}
		json_object_set_new(o, "tags", t);
	}
	json_object_set_new(o, "taskDefinition", td);
	*out = o;
	return 0;
}

static int register_task_definition(const ecsfs_api_core *c, const json_t *in, json_t **out,
				    ecsfs_err *err)
{
	const char *family = NULL;
	json_t *td = NULL;
	int r;

	/* everything else is checked by core, as for the file */
	if ((r = ecsfs__api_str(in, "family", true, &family, err)) < 0)
		return r;
	r = ecsfs_taskdef_register(c->store, family, in, &td, err);
	if (r == -EINVAL && ecsfs_err_kind_of(err) == ECSFS_E_INVALID_PARAMETER)
		err->kind = ECSFS_E_CLIENT; /* ECS's name for a refused definition */
	if (r < 0)
		return r;
	return answer(c, td, true, out, err);
}

static int deregister_task_definition(const ecsfs_api_core *c, const json_t *in, json_t **out,
				      ecsfs_err *err)
{
	char family[256];
	int64_t rev;
	json_t *td = NULL;
	int r;

	if ((r = reference(in, family, &rev, true, err)) < 0 ||
	    (r = ecsfs_taskdef_deregister(c->store, family, rev, &td, err)) < 0)
		return r;
	return answer(c, td, false, out, err);
}

static int describe_task_definition(const ecsfs_api_core *c, const json_t *in, json_t **out,
				    ecsfs_err *err)
{
	const json_t *inc = NULL, *v;
	char family[256];
	bool tags = false;
	int64_t rev;
	json_t *td = NULL;
	size_t i;
	int r;

	if ((r = reference(in, family, &rev, false, err)) < 0 ||
	    (r = ecsfs__api_strs(in, "include", false, &inc, err)) < 0)
		return r;
	json_array_foreach(inc, i, v) {
		if (strcmp(json_string_value(v), "TAGS") != 0)
			return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
					     "include[%zu]: '%.100s' is not TAGS", i,
					     json_string_value(v));
		tags = true;
	}
	if ((r = ecsfs_taskdef_describe(c->store, family, rev, &td, err)) < 0)
		return r;
	return answer(c, td, tags, out, err);
}

/* A request's enumeration field: the index of its value in `names`
 * (NULL-ended), `dflt` when absent. */
static int enum_of(const json_t *in, const char *key, const char *const *names, int dflt, int *v,
		   ecsfs_err *err)
{
	const char *s = NULL;
	int r;

	*v = dflt;
	if ((r = ecsfs__api_str(in, key, false, &s, err)) < 0 || !s)
		return r;
	for (int i = 0; names[i]; i++)
		if (strcmp(names[i], s) == 0) {
			*v = i;
			return 0;
		}
	return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
			     "%s: '%.100s' is not a value ECS knows", key, s);
}

/* The page of `all` (stolen) the request asks for, under `key`. */
static int page(json_t *all, const json_t *in, const char *key, json_t **out, ecsfs_err *err)
{
	json_t *o = json_object();
	int r = ecsfs__api_page(all, in, 100, 100, o, key, err);

	if (r < 0) {
		json_decref(o);
		return r;
	}
	*out = o;
	return 0;
}

static int list_task_definitions(const ecsfs_api_core *c, const json_t *in, json_t **out,
				 ecsfs_err *err)
{
	/* in the order of enum ecsfs_taskdef_status */
	static const char *const statuses[] = {"ACTIVE", "INACTIVE", "DELETE_IN_PROGRESS", NULL};
	static const char *const sorts[] = {"ASC", "DESC", NULL};
	const char *prefix = NULL;
	int status, sort, r;
	json_t *arns;

	if ((r = ecsfs__api_str(in, "familyPrefix", false, &prefix, err)) < 0 ||
	    (r = enum_of(in, "status", statuses, ECSFS_TD_ACTIVE, &status, err)) < 0 ||
	    (r = enum_of(in, "sort", sorts, 0, &sort, err)) < 0 ||
	    (r = ecsfs_taskdef_list_status(c->store, prefix, status, sort == 1, &arns, err)) < 0)
		return r;
	return page(arns, in, "taskDefinitionArns", out, err);
}

static int list_task_definition_families(const ecsfs_api_core *c, const json_t *in, json_t **out,
					 ecsfs_err *err)
{
	static const char *const statuses[] = {"INACTIVE", "ACTIVE", "ALL", NULL};
	const char *prefix = NULL;
	int status, r;
	json_t *names;

	if ((r = ecsfs__api_str(in, "familyPrefix", false, &prefix, err)) < 0 ||
	    (r = enum_of(in, "status", statuses, 2, &status, err)) < 0 ||
	    (r = ecsfs_taskdef_families(c->store, prefix, status == 2 ? -1 : status, &names, err)) <
		0)
		return r;
	return page(names, in, "families", out, err);
}

/* One entry of DeleteTaskDefinitions: its describe, or a failure. */
static int delete_one(const ecsfs_api_core *c, const json_t *ref, json_t *done, json_t *failures,
		      ecsfs_err *err)
{
	json_t *req = json_pack("{s:O}", "taskDefinition", ref), *td = NULL;
	char family[256];
	int64_t rev;
	int r = reference(req, family, &rev, true, err);

	json_decref(req);
	if (r == 0)
		r = ecsfs_taskdef_delete(c->store, family, rev, &td, err);
	if (r == 0) {
		ecsfs__api_epochs(td, NULL);
		json_array_append_new(done, td);
	} else if (ecsfs_err_kind_of(err) != ECSFS_E_SERVER) {
		json_array_append_new(failures, json_pack("{s:O, s:s, s:s}", "arn", ref, "reason",
							  r == -EBUSY ? "ACTIVE" : "MISSING",
							  "detail", err->msg.data));
		ecsfs_err_reset(err);
		r = 0;
	}
	return r;
}

static int delete_task_definitions(const ecsfs_api_core *c, const json_t *in, json_t **out,
				   ecsfs_err *err)
{
	const json_t *refs = NULL, *ref;
	json_t *done = json_array(), *failures = json_array();
	size_t i;
	int r;

	if ((r = ecsfs__api_strs(in, "taskDefinitions", true, &refs, err)) < 0)
		goto out;
	if (json_array_size(refs) < 1 || json_array_size(refs) > 10) {
		r = ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				  "taskDefinitions: 1 to 10 per call");
		goto out;
	}
	json_array_foreach(refs, i, ref) {
		if ((r = delete_one(c, ref, done, failures, err)) < 0)
			goto out;
	}
	*out = json_pack("{s:O, s:O}", "taskDefinitions", done, "failures", failures);
out:
	json_decref(done);
	json_decref(failures);
	return r;
}

const ecsfs__api_op ecsfs__ecs_taskdef_ops[] = {
    {"RegisterTaskDefinition", register_task_definition},
    {"DeregisterTaskDefinition", deregister_task_definition},
    {"DescribeTaskDefinition", describe_task_definition},
    {"ListTaskDefinitions", list_task_definitions},
    {"ListTaskDefinitionFamilies", list_task_definition_families},
    {"DeleteTaskDefinitions", delete_task_definitions},
    {NULL, NULL},
};
