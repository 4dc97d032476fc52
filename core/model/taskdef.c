/* Task definitions: registration, revisions, deregistration, listing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/arn.h"
#include "ecsfs/taskdef.h"
#include "ecsfs/util.h"
#include "model/taskdef_private.h"

#define SPEC_TASKDEFS "/spec/taskdefs"

static void spec_name(const char *family, ecsfs_buf *out)
{
	ecsfs_buf_addf(out, "%s.json", family);
}

static int fault(ecsfs_store *s, int r, const char *what, const char *family, ecsfs_err *err)
{
	return ecsfs_err_set(err, ECSFS_E_NONE, r, "cannot %s %s: %s", what, family,
			     ecsfs_store_last_error(s));
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

/* ---- registration ---- */

/* The canonical form of an input: sorted keys, no response-only fields, no
 * family (the file name gives it). Equal forms register no new revision. */
static void canonical_of(const json_t *doc, ecsfs_buf *out)
{
	json_t *copy = json_deep_copy(doc), *v;
	const char *key;
	void *tmp;

	json_object_foreach_safe(copy, tmp, key, v)
	{
		if (!strcmp(key, "family") || ecsfs__taskdef_response_only(key))
			json_object_del(copy, key);
	}
	ecsfs_json_canonical(copy, out);
	json_decref(copy);
}

/* The revision a new registration of `family` gets, within the limits. */
static int next_revision(ecsfs_store *s, const char *family, int64_t *rev, ecsfs_err *err)
{
	uint64_t nfamilies;
	int64_t last;
	int r;

	if ((r = ecsfs_store_taskdef_last_revision(s, family, &last)) < 0 ||
	    (r = ecsfs_store_taskdef_count_families(s, &nfamilies)) < 0)
		return fault(s, r, "register", family, err);
	if (last == 0 && nfamilies >= ECSFS_TASKDEF_MAX_FAMILIES)
		return ecsfs_err_set(err, ECSFS_E_LIMIT_EXCEEDED, -ENOSPC,
				     "the store holds %d families, the limit",
				     ECSFS_TASKDEF_MAX_FAMILIES);
	if (last >= ECSFS_TASKDEF_MAX_REVISIONS)
		return ecsfs_err_set(err, ECSFS_E_LIMIT_EXCEEDED, -ENOSPC,
				     "family %s has %d revisions, the limit", family,
				     ECSFS_TASKDEF_MAX_REVISIONS);
	*rev = last + 1;
	return 0;
}

/* What one registration stores. */
struct reg {
	const char *family;
	const char *data; /* the spec file's bytes */
	size_t len;
	const ecsfs_file_meta *meta;
	bool keep_file; /* leave an existing spec file alone when nothing changed */
};

/* Under the transaction: the revision that stands for the input, new or
 * the newest ACTIVE one when its canonical form is the same. */
static int put_revision(ecsfs_store *s, const struct reg *g, const char *canon, int64_t *rev,
			bool *same, ecsfs_err *err)
{
	ecsfs_taskdef_row latest;
	int r;

	ecsfs_taskdef_row_init(&latest);
	r = ecsfs_store_taskdef_get(s, g->family, 0, &latest);
	*same = r == 0 && strcmp(latest.canonical.data, canon) == 0;
	if (*same) {
		*rev = latest.revision; /* a re-apply: same definition, no new revision */
	} else if (r < 0 && r != -ENOENT) {
		fault(s, r, "register", g->family, err);
	} else if ((r = next_revision(s, g->family, rev, err)) == 0 &&
		   (r = ecsfs_store_taskdef_insert(s, g->family, *rev, ecsfs_now_ns(), canon,
						   g->data, g->len)) < 0) {
		fault(s, r, "register", g->family, err);
	}
	ecsfs_taskdef_row_release(&latest);
	return r;
}

/* A new revision's `tags` are the tags of its ARN (ListTagsForResource,
 * DescribeTaskDefinition's include TAGS). */
static int put_tags(ecsfs_store *s, const char *family, int64_t rev, const json_t *doc)
{
	ecsfs_buf arn = ECSFS_BUF_INIT;
	const json_t *t;
	size_t i;
	int r = 0;

	ecsfs_arn(&arn, "ecs", "task-definition/%s:%lld", family, (long long)rev);
	json_array_foreach(json_object_get(doc, "tags"), i, t) {
		const char *value = json_string_value(json_object_get(t, "value"));
		if (r == 0)
			r = ecsfs_store_tag_put(s, arn.data,
						json_string_value(json_object_get(t, "key")),
						value ? value : "");
	}
	ecsfs_buf_release(&arn);
	return r;
}

static int store_revision(ecsfs_store *s, const struct reg *g, const json_t *doc, int64_t *rev,
			  ecsfs_err *err)
{
	ecsfs_buf canon = ECSFS_BUF_INIT, name = ECSFS_BUF_INIT;
	ecsfs_file_meta m = *g->meta;
	bool same;
	int r;

	canonical_of(doc, &canon);
	spec_name(g->family, &name);
	m.kind = ECSFS_FILE_SPEC;
	if ((r = ecsfs_store_begin(s)) < 0) {
		fault(s, r, "register", g->family, err);
		goto out;
	}
	if ((r = put_revision(s, g, canon.data, rev, &same, err)) < 0)
		goto rollback;
	if (!same && (r = put_tags(s, g->family, *rev, doc)) < 0) {
		fault(s, r, "register", g->family, err);
		goto rollback;
	}
	if (!(same && g->keep_file &&
	      ecsfs_store_file_get(s, SPEC_TASKDEFS, name.data, NULL, NULL) == 0) &&
	    (r = ecsfs_store_file_put(s, SPEC_TASKDEFS, name.data, &m, g->data, g->len)) < 0) {
		fault(s, r, "register", g->family, err);
		goto rollback;
	}
	if ((r = ecsfs_store_commit(s)) < 0)
		fault(s, r, "register", g->family, err);
	goto out;
rollback:
	ecsfs_store_rollback(s);
out:
	ecsfs_buf_release(&canon);
	ecsfs_buf_release(&name);
	return r;
}

int ecsfs_taskdef_register_file(ecsfs_store *s, const char *family, const char *data, size_t len,
				const ecsfs_file_meta *meta, int64_t *revision, ecsfs_err *err)
{
	struct reg g = {family, data, len, meta, false};
	json_t *doc;
	int64_t rev;
	int r;

	if ((r = ecsfs_name_check(family, "family", &err->msg)) < 0)
		return ecsfs_err_from(err, ECSFS_E_INVALID_PARAMETER, r);
	if ((r = ecsfs_json_load_document("the task definition", family, data, len,
					  ECSFS_TASKDEF_MAX, ecsfs_taskdef_check_doc, &doc, err)) <
	    0)
		return r;
	if ((r = store_revision(s, &g, doc, &rev, err)) == 0)
		*revision = rev;
	json_decref(doc);
	return r;
}

int ecsfs_taskdef_register(ecsfs_store *s, const char *family, const json_t *doc, json_t **out,
			   ecsfs_err *err)
{
	ecsfs_file_meta meta = {.kind = ECSFS_FILE_SPEC, .mode = 0644, .mtime_ns = ecsfs_now_ns()};
	ecsfs_buf text = ECSFS_BUF_INIT;
	int64_t rev;
	int r;

	if ((r = ecsfs_name_check(family, "family", &err->msg)) < 0)
		return ecsfs_err_from(err, ECSFS_E_INVALID_PARAMETER, r);
	if ((r = ecsfs_taskdef_check_doc(family, doc, err)) < 0)
		return r;
	/* the spec file shows the document, so diff -r sees what was registered */
	ecsfs_json_pretty(doc, &text);
	struct reg g = {family, text.data, text.len, &meta, true};
	if (text.len > ECSFS_TASKDEF_MAX)
		r = ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				  "the task definition is %zu bytes; the limit is %d", text.len,
				  ECSFS_TASKDEF_MAX);
	else if ((r = store_revision(s, &g, doc, &rev, err)) == 0 && out)
		r = ecsfs_taskdef_describe(s, family, rev, out, err);
	ecsfs_buf_release(&text);
	return r;
}

/* ---- deregistration ---- */

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
static int deactivate(ecsfs_store *s, const char *family, int64_t revision, ecsfs_err *err)
{
	int r;

	if ((r = ecsfs_store_begin(s)) < 0)
		return fault(s, r, "deregister", family, err);
	r = ecsfs_store_taskdef_deactivate(s, family, revision, ecsfs_now_ns());
	if ((r < 0 && r != -ENOENT) || (r = refresh_spec_file(s, family)) < 0) {
		ecsfs_store_rollback(s);
		return fault(s, r, "deregister", family, err);
	}
	if ((r = ecsfs_store_commit(s)) < 0)
		return fault(s, r, "deregister", family, err);
	return 0;
}

int ecsfs_taskdef_deregister(ecsfs_store *s, const char *family, int64_t revision, json_t **out,
			     ecsfs_err *err)
{
	bool active = false;
	int r;

	if (revision <= 0)
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "%s:%lld: revisions start at 1", family, (long long)revision);
	r = ecsfs_taskdef_exists(s, family, revision, &active);
	if (r == -ENOENT)
		return ecsfs_err_set(err, ECSFS_E_CLIENT, r, "%s:%lld is not a registered revision",
				     family, (long long)revision);
	if (r < 0)
		return fault(s, r, "deregister", family, err);
	if (!active)
		return ecsfs_err_set(err, ECSFS_E_CLIENT, -EINVAL, "%s:%lld is already INACTIVE",
				     family, (long long)revision);
	if ((r = deactivate(s, family, revision, err)) == 0 && out)
		r = ecsfs_taskdef_describe(s, family, revision, out, err);
	return r;
}

int ecsfs_taskdef_deregister_family(ecsfs_store *s, const char *family, ecsfs_err *err)
{
	return deactivate(s, family, 0, err);
}

/* ---- what is registered ---- */

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

struct list {
	ecsfs_store *s;
	const char *prefix;
	const char *family; /* of the revisions being listed */
	json_t *arns;
};

static int list_rev_cb(void *data, int64_t rev)
{
	struct list *l = data;

	json_array_append_new(
	    l->arns, ecsfs_arn_json("ecs", "task-definition/%s:%lld", l->family, (long long)rev));
	return 0;
}

static int list_family_cb(void *data, const char *family)
{
	struct list *l = data;

	if (l->prefix && strncmp(family, l->prefix, strlen(l->prefix)) != 0)
		return 0;
	l->family = family;
	return ecsfs_store_taskdef_revisions(l->s, family, list_rev_cb, l);
}

int ecsfs_taskdef_list(ecsfs_store *s, const char *prefix, json_t **arns, ecsfs_err *err)
{
	struct list l = {s, prefix, NULL, json_array()};
	int r = ecsfs_store_taskdef_families(s, list_family_cb, &l);

	if (r < 0) {
		json_decref(l.arns);
		return fault(s, r, "list", "task definitions", err);
	}
	*arns = l.arns;
	return 0;
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
