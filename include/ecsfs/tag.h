/*
 * ecsfs — tags of ECS resources, by ARN: clusters, task-definition
 * revisions, services and tasks (TagResource, UntagResource,
 * ListTagsForResource, and the `tags` of the calls that create them).
 *
 * A cluster's tags are part of its cluster.json (CreateCluster's input, the
 * spec file), so the spec tree shows them; every other resource's tags are
 * rows of the store's `tags` table, dropped with the resource. ECS's limits:
 * at most 50 tags per resource, a key of 1 to 128 characters, a value of 0
 * to 256, and keys starting with "aws:" (any case) are reserved.
 */
#ifndef ECSFS_TAG_H
#define ECSFS_TAG_H

#include <jansson.h>

#include "ecsfs/error.h"
#include "ecsfs/shape.h"
#include "ecsfs/store.h"

#define ECSFS_TAGS_MAX 50

/*
 * Check a tag list as a request carries it: an array of {"key", "value"}
 * objects within ECS's limits. InvalidParameter/-EINVAL naming the element
 * ("tags[2].key: ...").
 */
int ecsfs_tags_check(const json_t *tags, ecsfs_err *err);

/* A shape hook for documents with a `tags` member (its elements checked
 * already): keys that start with "aws:" (any case) are ECS's own. */
int ecsfs_tags_check_reserved(ecsfs_shape_ctx *c, const json_t *doc);

/*
 * Does `arn` name a resource that takes tags, and does it exist? 0;
 * InvalidParameter/-EINVAL for an ARN that is not one of an ECS cluster,
 * task definition, service or task; ResourceNotFound/-ENOENT when it names
 * nothing.
 */
int ecsfs_tags_resource_check(ecsfs_store *s, const char *arn, ecsfs_err *err);

/*
 * The tags of `arn` into *tags: a new array of {"key", "value"} in the
 * order they were first put (empty when it has none). 0 or -EIO.
 */
int ecsfs_tags_get(ecsfs_store *s, const char *arn, json_t **tags);

/*
 * TagResource: add `tags` to `arn`, replacing the value of keys it has.
 * The resource's existence is the caller's (ecsfs_tags_resource_check()).
 * InvalidParameter/-EINVAL for a bad list or more than 50 tags in all.
 */
int ecsfs_tags_put(ecsfs_store *s, const char *arn, const json_t *tags, ecsfs_err *err);

/* UntagResource: drop the tags of `arn` whose keys are in `keys` (an array
 * of strings; absent keys are ignored). InvalidParameter/-EINVAL. */
int ecsfs_tags_remove(ecsfs_store *s, const char *arn, const json_t *keys, ecsfs_err *err);

/* Drop every tag of `arn` (its resource is gone). 0 or -EIO. */
int ecsfs_tags_drop(ecsfs_store *s, const char *arn);

#endif
