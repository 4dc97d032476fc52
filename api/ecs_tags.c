/*
 * TagResource, UntagResource, ListTagsForResource for clusters, task
 * definitions, services and tasks: parse, call core (include/ecsfs/tag.h),
 * render.
 */
#include "api_private.h"
#include "ecsfs/tag.h"

/* The resourceArn of a request, which must name a resource that exists. */
static int resource(const ecsfs_api_core *c, const json_t *in, const char **arn, ecsfs_err *err)
{
	int r;

	if ((r = ecsfs__api_str(in, "resourceArn", true, arn, err)) < 0)
		return r;
	return ecsfs_tags_resource_check(c->store, *arn, err);
}

static int tag_resource(const ecsfs_api_core *c, const json_t *in, json_t **out, ecsfs_err *err)
{
	const char *arn = NULL;
	const json_t *tags = json_object_get(in, "tags");
	int r;

	if ((r = resource(c, in, &arn, err)) < 0)
		return r;
	if (!tags)
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL, "tags is required");
	return ecsfs_tags_put(c->store, arn, tags, err);
}

static int untag_resource(const ecsfs_api_core *c, const json_t *in, json_t **out, ecsfs_err *err)
{
	const char *arn = NULL;
	const json_t *keys = NULL;
	int r;

	if ((r = ecsfs__api_strs(in, "tagKeys", true, &keys, err)) < 0 ||
	    (r = resource(c, in, &arn, err)) < 0)
		return r;
	return ecsfs_tags_remove(c->store, arn, keys, err);
}

static int list_tags_for_resource(const ecsfs_api_core *c, const json_t *in, json_t **out,
				  ecsfs_err *err)
{
	const char *arn = NULL;
	json_t *tags;
	int r;

	if ((r = resource(c, in, &arn, err)) < 0)
		return r;
	if ((r = ecsfs_tags_get(c->store, arn, &tags)) < 0)
		return ecsfs_err_set(err, ECSFS_E_SERVER, r, "cannot read the tags of %.300s", arn);
	*out = json_pack("{s:o}", "tags", tags);
	return 0;
}

const ecsfs__api_op ecsfs__ecs_tag_ops[] = {
    {"TagResource", tag_resource},
    {"UntagResource", untag_resource},
    {"ListTagsForResource", list_tags_for_resource},
    {NULL, NULL},
};
