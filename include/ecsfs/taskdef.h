/* ecsfs — task definitions: validation, registration, revisions. */
#ifndef ECSFS_TASKDEF_H
#define ECSFS_TASKDEF_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "ecsfs/buf.h"
#include "ecsfs/error.h"
#include "ecsfs/store.h"

/* ECS's own limit on a RegisterTaskDefinition document. */
#define ECSFS_TASKDEF_MAX 65536
/* Revisions kept per family, and families per store. */
#define ECSFS_TASKDEF_MAX_REVISIONS 1000000
#define ECSFS_TASKDEF_MAX_FAMILIES  100000

/*
 * Validate a parsed RegisterTaskDefinition document registered under
 * `family` (the file name; a "family" field, if present, must match it).
 * Every ECS rule with a local meaning is checked: field names and types,
 * container names, at least one essential container, unique names, image,
 * memory / memoryReservation, Fargate cpu/memory pairs and awsvpc,
 * portMappings ranges and protocols, healthCheck ranges, dependsOn targets,
 * conditions and cycles, volumes referenced by mountPoints. Returns 0, or
 * -EINVAL with one sentence in *why that starts with the field's path,
 * e.g. "containerDefinitions[1].memory: 128 is below memoryReservation 256".
 * The fields are in core/model/taskdef_shape.c, the rules between them in
 * taskdef_rules.c (the task) and taskdef_container.c (each container).
 */
int ecsfs_taskdef_validate(const char *family, const json_t *doc, ecsfs_buf *why);
/* The same, with the error as InvalidParameter in *err. */
int ecsfs_taskdef_check_doc(const char *family, const json_t *doc, ecsfs_err *err);

/*
 * Check the bytes of spec/taskdefs/<family>.json: the family name, the size
 * limit, JSON, then ecsfs_taskdef_validate(). With `partial`, only reject
 * what no more bytes could cure (the write() of a plain append).
 */
int ecsfs_taskdef_check(const char *family, const char *data, size_t len, bool partial,
			ecsfs_err *err);

/*
 * RegisterTaskDefinition: validate `doc` and register revision N+1 of
 * `family`, unless its canonical JSON equals the newest ACTIVE revision's
 * (a re-apply registers nothing). spec/taskdefs/<family>.json shows the
 * document. *out (when not NULL) gets the describe shape of the revision
 * that now stands for it (caller decrefs). Durable when it returns.
 * InvalidParameter/-EINVAL (with the field's path), LimitExceeded/-ENOSPC.
 */
int ecsfs_taskdef_register(ecsfs_store *s, const char *family, const json_t *doc, json_t **out,
			   ecsfs_err *err);

/*
 * The same from the bytes of spec/taskdefs/<family>.json, which are kept
 * as the spec file with their metadata (also when no revision is made).
 * *revision gets the revision that now stands for them.
 */
int ecsfs_taskdef_register_file(ecsfs_store *s, const char *family, const char *data, size_t len,
				const ecsfs_file_meta *meta, int64_t *revision, ecsfs_err *err);

/*
 * DeregisterTaskDefinition: ACTIVE -> INACTIVE; the revision stays
 * readable, new tasks cannot start from it. *out (when not NULL) gets its
 * describe shape. Client/-ENOENT when it was never registered, Client/-EINVAL
 * when it is already INACTIVE, InvalidParameter/-EINVAL for revision < 1.
 */
int ecsfs_taskdef_deregister(ecsfs_store *s, const char *family, int64_t revision, json_t **out,
			     ecsfs_err *err);

/* Deregister every ACTIVE revision of `family` and drop its spec file. */
int ecsfs_taskdef_deregister_family(ecsfs_store *s, const char *family, ecsfs_err *err);

/* DescribeTaskDefinition: the taskDefinition object of `family`:`revision`
 * (0: the newest ACTIVE one) into *out (caller decrefs). Client/-ENOENT. */
int ecsfs_taskdef_describe(ecsfs_store *s, const char *family, int64_t revision, json_t **out,
			   ecsfs_err *err);

/* ListTaskDefinitions: the ARNs of every ACTIVE revision (of families that
 * start with `prefix`, when not NULL), by family and revision, into *arns. */
int ecsfs_taskdef_list(ecsfs_store *s, const char *prefix, json_t **arns, ecsfs_err *err);

/*
 * ListTaskDefinitions: the ARNs of the revisions of `status`
 * (ECSFS_TD_ACTIVE, _INACTIVE, _DELETE_IN_PROGRESS) of families that start
 * with `prefix` (NULL: all), by family and revision, or the reverse with
 * `desc`, into *arns (a new array).
 */
int ecsfs_taskdef_list_status(ecsfs_store *s, const char *prefix, int status, bool desc,
			      json_t **arns, ecsfs_err *err);

/* ListTaskDefinitionFamilies: families that start with `prefix`; `active`
 * 1: those with an ACTIVE revision, 0: those with none, -1: all. */
int ecsfs_taskdef_families(ecsfs_store *s, const char *prefix, int active, json_t **names,
			   ecsfs_err *err);

/*
 * DeleteTaskDefinitions, one revision: an INACTIVE one becomes
 * DELETE_IN_PROGRESS (it stays readable; nothing can start from it). *out
 * gets its describe shape. Client/-ENOENT when it was never registered,
 * Client/-EBUSY while it is ACTIVE, InvalidParameter/-EINVAL without a
 * revision.
 */
int ecsfs_taskdef_delete(ecsfs_store *s, const char *family, int64_t revision, json_t **out,
			 ecsfs_err *err);

/* Newest ACTIVE revision, -ENOENT when the family has none. */
int ecsfs_taskdef_latest(ecsfs_store *s, const char *family, int64_t *revision);

/* Is `revision` of `family` registered (ACTIVE or INACTIVE)? Its status into
 * *active when not NULL. */
int ecsfs_taskdef_exists(ecsfs_store *s, const char *family, int64_t revision, bool *active);

/*
 * Parse a task definition reference as RunTask and CreateService take it:
 * "family", "family:revision" or a task-definition ARN. Fills family and
 * *revision (0: the newest ACTIVE one). 0, or -EINVAL with a sentence that
 * starts "taskDefinition: " in *why.
 */
int ecsfs_taskdef_parse_ref(const char *ref, char family[256], int64_t *revision, ecsfs_buf *why);

/*
 * A task-level cpu or memory value: an integer, or a string of one
 * ("1024"), or a number and `unit` worth 1024 ("1 vCPU" with unit "vcpu",
 * "2 GB" with "gb"). 0 and *out (CPU units, MiB), or -EINVAL.
 */
int ecsfs_taskdef_parse_size(const json_t *val, const char *unit, long long *out);

#endif
