/* Task definitions: registration, revisions, deregistration, describe. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/cluster.h"
#include "ecsfs/arn.h"
#include "ecsfs/taskdef.h"
#include "ecsfs/util.h"

#define SPEC_TASKDEFS "/spec/taskdefs"

/* Fields of describe-task-definition's answer that are not part of the
 * input: accepted (so a describe output can be re-applied) and ignored. */
static const char *const response_only[] = {
    "taskDefinitionArn", "revision",	    "status",
    "registeredAt",	 "registeredBy",    "deregisteredAt",
    "deleteRequestedAt", "compatibilities", "requiresAttributes",
};

static void spec_name(const char *family, ecsfs_buf *out)
{
	ecsfs_buf_addf(out, "%s.json", family);
}

int ecsfs_taskdef_check(const char *family, const char *data, size_t len, bool partial,
			ecsfs_err *err)
{
	int r;

	if ((r = ecsfs_name_check(family, "family", &err->msg)) < 0)
		return ecsfs_err_from(err, ECSFS_E_INVALID_PARAMETER, r);
	return ecsfs_json_check_document("the task definition", family, data, len,
					 ECSFS_TASKDEF_MAX, partial, ecsfs_taskdef_check_doc, err);
}

/* The canonical form of an input: sorted keys, no response-only fields, no
 * family (the file name gives it). Equal forms register no new revision. */
static int canonical_of(const char *data, size_t len, ecsfs_buf *out, ecsfs_buf *why)
{
	json_t *doc;
	int r = ecsfs_json_parse_object(data, len, &doc, why);
	if (r < 0)
		return r;
	for (size_t i = 0; i < sizeof(response_only) / sizeof(response_only[0]); i++)
		json_object_del(doc, response_only[i]);
	json_object_del(doc, "family");
	ecsfs_json_canonical(doc, out);
	json_decref(doc);
	return 0;
}

int ecsfs_taskdef_register(ecsfs_store *s, const char *family, const char *data, size_t len,
			   const ecsfs_file_meta *meta, int64_t *revision, ecsfs_buf *why)
{
	ecsfs_buf canon = ECSFS_BUF_INIT, name = ECSFS_BUF_INIT;
	ecsfs_taskdef_row latest;
	ecsfs_file_meta m = *meta;
	int64_t rev = 0, last;
	uint64_t nfamilies;
	int r;

	ecsfs_taskdef_row_init(&latest);
	ecsfs_err err = ECSFS_ERR_INIT;
	r = ecsfs_taskdef_check(family, data, len, false, &err);
	if (r < 0)
		ecsfs_buf_setf(why, "%s", err.msg.data);
	ecsfs_err_release(&err);
	if (r < 0 || (r = canonical_of(data, len, &canon, why)) < 0)
		goto out;
	spec_name(family, &name);
	if ((r = ecsfs_store_begin(s)) < 0)
		goto fault;
	r = ecsfs_store_taskdef_get(s, family, 0, &latest);
	if (r < 0 && r != -ENOENT)
		goto rollback;
	if (r == 0 && strcmp(latest.canonical.data, canon.data) == 0) {
		rev = latest.revision; /* a re-apply: same definition, no new revision */
	} else {
		if ((r = ecsfs_store_taskdef_last_revision(s, family, &last)) < 0 ||
		    (r = ecsfs_store_taskdef_count_families(s, &nfamilies)) < 0)
			goto rollback;
		if (last == 0 && nfamilies >= ECSFS_TASKDEF_MAX_FAMILIES) {
			ecsfs_store_rollback(s);
			ecsfs_buf_setf(why, "the store holds %d families, the limit",
				       ECSFS_TASKDEF_MAX_FAMILIES);
			r = -ENOSPC;
			goto out;
		}
		if (last >= ECSFS_TASKDEF_MAX_REVISIONS) {
			ecsfs_store_rollback(s);
			ecsfs_buf_setf(why, "family %s has %d revisions, the limit", family,
				       ECSFS_TASKDEF_MAX_REVISIONS);
			r = -ENOSPC;
			goto out;
		}
		rev = last + 1;
		if ((r = ecsfs_store_taskdef_insert(s, family, rev, ecsfs_now_ns(), canon.data,
						    data, len)) < 0)
			goto rollback;
	}
	m.kind = ECSFS_FILE_SPEC;
	if ((r = ecsfs_store_file_put(s, SPEC_TASKDEFS, name.data, &m, data, len)) < 0)
		goto rollback;
	if ((r = ecsfs_store_commit(s)) < 0)
		goto fault;
	*revision = rev;
	r = 0;
	goto out;
rollback:
	ecsfs_store_rollback(s);
fault:
	ecsfs_buf_setf(why, "cannot register %s: %s", family, ecsfs_store_last_error(s));
out:
	ecsfs_taskdef_row_release(&latest);
	ecsfs_buf_release(&canon);
	ecsfs_buf_release(&name);
	return r;
}

/* After a deregistration: the spec file shows the newest ACTIVE revision's
 * bytes, or goes away with the last one. */
static int refresh_spec_file(ecsfs_store *s, const char *family)
{
	ecsfs_buf name = ECSFS_BUF_INIT;
	ecsfs_taskdef_row row;
	ecsfs_file_meta meta;
	int r;

	ecsfs_taskdef_row_init(&row);
	spec_name(family, &name);
	r = ecsfs_store_taskdef_get(s, family, 0, &row);
	if (r == -ENOENT) {
		r = ecsfs_store_file_delete(s, SPEC_TASKDEFS, name.data);
		r = r == -ENOENT ? 0 : r;
	} else if (r == 0) {
		if (ecsfs_store_file_get(s, SPEC_TASKDEFS, name.data, &meta, NULL) < 0) {
			memset(&meta, 0, sizeof(meta));
			meta.mode = 0644;
		}
		meta.kind = ECSFS_FILE_SPEC;
		meta.mtime_ns = ecsfs_now_ns();
		r = ecsfs_store_file_put(s, SPEC_TASKDEFS, name.data, &meta, row.source.data,
					 row.source.len);
	}
	ecsfs_taskdef_row_release(&row);
	ecsfs_buf_release(&name);
	return r;
}

/* Make `revision` (0: every ACTIVE one) INACTIVE and refresh the spec file. */
static int deactivate(ecsfs_store *s, const char *family, int64_t revision, ecsfs_buf *why)
{
	int r;

	if ((r = ecsfs_store_begin(s)) < 0)
		goto fault;
	r = ecsfs_store_taskdef_deactivate(s, family, revision, ecsfs_now_ns());
	if (r == -ENOENT && revision) {
		ecsfs_store_rollback(s);
		ecsfs_buf_setf(why, "%s:%lld is not an ACTIVE revision", family,
			       (long long)revision);
		return r;
	}
	if ((r < 0 && r != -ENOENT) || (r = refresh_spec_file(s, family)) < 0) {
		ecsfs_store_rollback(s);
		goto fault;
	}
	if ((r = ecsfs_store_commit(s)) < 0)
		goto fault;
	return 0;
fault:
	ecsfs_buf_setf(why, "cannot deregister %s: %s", family, ecsfs_store_last_error(s));
	return r;
}

int ecsfs_taskdef_deregister(ecsfs_store *s, const char *family, int64_t revision, ecsfs_buf *why)
{
	if (revision <= 0) {
		ecsfs_buf_setf(why, "%s:%lld: revisions start at 1", family, (long long)revision);
		return -EINVAL;
	}
	return deactivate(s, family, revision, why);
}

int ecsfs_taskdef_deregister_family(ecsfs_store *s, const char *family, ecsfs_buf *why)
{
	return deactivate(s, family, 0, why);
}

int ecsfs_taskdef_latest(ecsfs_store *s, const char *family, int64_t *revision)
{
	ecsfs_taskdef_row row;
	int r;
	ecsfs_taskdef_row_init(&row);
	if ((r = ecsfs_store_taskdef_get(s, family, 0, &row)) == 0)
		*revision = row.revision;
	ecsfs_taskdef_row_release(&row);
	return r;
}

int ecsfs_taskdef_exists(ecsfs_store *s, const char *family, int64_t revision, bool *active)
{
	ecsfs_taskdef_row row;
	int r;
	ecsfs_taskdef_row_init(&row);
	if ((r = ecsfs_store_taskdef_get(s, family, revision, &row)) == 0 && active)
		*active = row.active;
	ecsfs_taskdef_row_release(&row);
	return r;
}

static void set_default(json_t *obj, const char *key, json_t *value)
{
	if (!json_object_get(obj, key))
		json_object_set_new(obj, key, value);
	else
		json_decref(value);
}

/* ECS shows container defaults it filled in; so do we. */
static json_t *describe_containers(json_t *defs)
{
	json_t *out = json_array(), *c;
	size_t i;
	json_array_foreach(defs, i, c) {
		json_t *copy = json_deep_copy(c);
		if (!json_is_object(copy)) {
			json_array_append_new(out, copy);
			continue;
		}
		set_default(copy, "essential", json_true());
		set_default(copy, "portMappings", json_array());
		set_default(copy, "environment", json_array());
		set_default(copy, "mountPoints", json_array());
		set_default(copy, "volumesFrom", json_array());
		json_t *pm;
		size_t k;
		json_array_foreach(json_object_get(copy, "portMappings"), k, pm)
			if (json_is_object(pm))
				set_default(pm, "protocol", json_string("tcp"));
		json_array_append_new(out, copy);
	}
	return out;
}

static bool has_string(json_t *array, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(array, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	return false;
}

int ecsfs_taskdef_describe(ecsfs_store *s, const char *family, int64_t revision, ecsfs_buf *out)
{
	ecsfs_taskdef_row row;
	ecsfs_buf why = ECSFS_BUF_INIT;
	json_t *in = NULL, *j, *compat;
	char when[32];
	const char *key;
	json_t *v;
	int r;

	ecsfs_taskdef_row_init(&row);
	if ((r = ecsfs_store_taskdef_get(s, family, revision, &row)) < 0)
		goto out;
	if ((r = ecsfs_json_parse_object(row.source.data, row.source.len, &in, &why)) < 0) {
		r = -EIO; /* it was valid when registered */
		goto out;
	}
	j = json_object();
	json_object_set_new(
	    j, "taskDefinitionArn",
	    ecsfs_arn_json("ecs", "task-definition/%s:%lld", family, (long long)row.revision));
	json_object_set_new(j, "family", json_string(family));
	json_object_set_new(j, "revision", json_integer(row.revision));
	json_object_set_new(j, "status", json_string(row.active ? "ACTIVE" : "INACTIVE"));
	json_object_set_new(j, "containerDefinitions",
			    describe_containers(json_object_get(in, "containerDefinitions")));
	/* every other input field, kept as given (roles, tags, subnets, ...) */
	json_object_foreach(in, key, v) {
		bool skip = !strcmp(key, "family") || !strcmp(key, "containerDefinitions");
		for (size_t i = 0; i < sizeof(response_only) / sizeof(response_only[0]); i++)
			skip = skip || !strcmp(key, response_only[i]);
		if (!skip)
			json_object_set(j, key, v);
	}
	set_default(j, "networkMode", json_string("bridge"));
	set_default(j, "volumes", json_array());
	set_default(j, "placementConstraints", json_array());
	set_default(j, "requiresAttributes", json_array());
	compat = json_pack("[s]", "EC2");
	const char *mode = json_string_value(json_object_get(j, "networkMode"));
	if (has_string(json_object_get(in, "requiresCompatibilities"), "FARGATE") ||
	    (mode && !strcmp(mode, "awsvpc") && json_object_get(in, "cpu") &&
	     json_object_get(in, "memory")))
		json_array_append_new(compat, json_string("FARGATE"));
	json_object_set_new(j, "compatibilities", compat);
	ecsfs_time_iso(row.registered_ns, when);
	json_object_set_new(j, "registeredAt", json_string(when));
	ecsfs_buf_reset(&why);
	ecsfs_arn_global(&why, "iam", "root");
	json_object_set_new(j, "registeredBy", json_string(why.data));
	if (!row.active) {
		ecsfs_time_iso(row.deregistered_ns, when);
		json_object_set_new(j, "deregisteredAt", json_string(when));
	}
	ecsfs_json_pretty(j, out);
	json_decref(j);
	json_decref(in);
out:
	ecsfs_taskdef_row_release(&row);
	ecsfs_buf_release(&why);
	return r;
}

int ecsfs_taskdef_parse_ref(const char *ref, char family[256], int64_t *revision, ecsfs_buf *why)
{
	static const char prefix[] = "task-definition/";
	const char *p = ref, *colon;
	size_t flen;

	if (strncmp(p, "arn:", 4) == 0) {
		p = ecsfs_arn_resource(ref, "ecs");
		if (!p || strncmp(p, prefix, sizeof(prefix) - 1) != 0) {
			ecsfs_buf_setf(why, "taskDefinition: %s is not a task definition ARN", ref);
			return -EINVAL;
		}
		p += sizeof(prefix) - 1;
	}
	colon = strchr(p, ':');
	flen = colon ? (size_t)(colon - p) : strlen(p);
	if (flen == 0 || flen >= 256) {
		ecsfs_buf_setf(why, "taskDefinition: '%s' does not name a family", ref);
		return -EINVAL;
	}
	memcpy(family, p, flen);
	family[flen] = '\0';
	if (ecsfs_name_check(family, "family", why) < 0)
		return -EINVAL;
	*revision = 0;
	if (colon) {
		char *end;
		long long rev;

		errno = 0;
		rev = strtoll(colon + 1, &end, 10);
		if (!colon[1] || *end || errno || rev < 1 || colon[1] == '+' || colon[1] == ' ') {
			ecsfs_buf_setf(why,
				       "taskDefinition: revision '%s' is not a number from 1 up",
				       colon + 1);
			return -EINVAL;
		}
		*revision = rev;
	}
	return 0;
}
