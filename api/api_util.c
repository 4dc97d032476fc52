/* Helpers the operations share: typed fields, cluster and ARN references,
 * pagination, timestamps as the JSON protocol carries them. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_private.h"
#include "ecsfs/arn.h"
#include "ecsfs/util.h"

static _Thread_local const char *fail_type;
static _Thread_local char fail_type_buf[96];

int ecsfs__api_fail(ecsfs_err *err, const char *type, const char *fmt, ...)
{
	va_list ap;
	snprintf(fail_type_buf, sizeof(fail_type_buf), "%s", type);
	fail_type = fail_type_buf;
	if (err) {
		ecsfs_buf_reset(&err->msg);
		va_start(ap, fmt);
		ecsfs_buf_vaddf(&err->msg, fmt, ap);
		va_end(ap);
		err->code = -EINVAL;
		err->kind = ECSFS_E_INVALID_PARAMETER;
	}
	return -EINVAL;
}

const char *ecsfs__api_fail_type(void)
{
	const char *t = fail_type;
	fail_type = NULL;
	return t;
}

static int wrong_type(ecsfs_err *err, const char *key, const char *what)
{
	return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL, "%s must be %s", key, what);
}

static const json_t *field(const json_t *in, const char *key, bool required, ecsfs_err *err,
			   int *rc)
{
	const json_t *v = json_object_get(in, key);
	*rc = 0;
	if (!v || json_is_null(v)) {
		if (required)
			*rc = ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
					    "%s is required", key);
		return NULL;
	}
	return v;
}

int ecsfs__api_str(const json_t *in, const char *key, bool required, const char **v, ecsfs_err *err)
{
	int rc;
	const json_t *j = field(in, key, required, err, &rc);
	if (!j)
		return rc;
	if (!json_is_string(j))
		return wrong_type(err, key, "a string");
	*v = json_string_value(j);
	return 0;
}

int ecsfs__api_int(const json_t *in, const char *key, bool required, int64_t *v, ecsfs_err *err)
{
	int rc;
	const json_t *j = field(in, key, required, err, &rc);
	if (!j)
		return rc;
	if (!json_is_integer(j))
		return wrong_type(err, key, "an integer");
	*v = json_integer_value(j);
	return 0;
}

int ecsfs__api_bool(const json_t *in, const char *key, bool *v, ecsfs_err *err)
{
	int rc;
	const json_t *j = field(in, key, false, err, &rc);
	if (!j)
		return rc;
	if (!json_is_boolean(j))
		return wrong_type(err, key, "a boolean");
	*v = json_is_true(j);
	return 0;
}

int ecsfs__api_strs(const json_t *in, const char *key, bool required, const json_t **v,
		    ecsfs_err *err)
{
	int rc;
	size_t i;
	json_t *e;
	const json_t *j = field(in, key, required, err, &rc);
	if (!j)
		return rc;
	if (!json_is_array(j))
		return wrong_type(err, key, "a list of strings");
	json_array_foreach(j, i, e) {
		if (!json_is_string(e))
			return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
					     "%s[%zu] must be a string", key, i);
	}
	*v = j;
	return 0;
}

int ecsfs__api_cluster(const json_t *in, const char *key, char out[256], ecsfs_err *err)
{
	const char *ref = "default", *res;
	int rc = ecsfs__api_str(in, key, false, &ref, err);
	if (rc < 0)
		return rc;
	res = ecsfs_arn_resource(ref, "ecs");
	if (res) {
		if (strncmp(res, "cluster/", 8) != 0)
			return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
					     "%s: %s is not a cluster ARN", key, ref);
		ref = res + 8;
	}
	if (!*ref || strlen(ref) > 255)
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "%s: a cluster name has 1 to 255 characters", key);
	snprintf(out, 256, "%s", ref);
	return 0;
}

const char *ecsfs__api_arn_id(const char *ref, const char *kind)
{
	const char *res = ecsfs_arn_resource(ref, "ecs");
	size_t n = strlen(kind);
	if (!res)
		return ref;
	if (strncmp(res, kind, n) != 0 || res[n] != '/')
		return NULL;
	const char *slash = strrchr(res, '/');
	return slash + 1;
}

int ecsfs__api_page(json_t *all, const json_t *in, int64_t dflt, int64_t max, json_t *out,
		    const char *key, ecsfs_err *err)
{
	static const ecsfs__api_paging camel = {"nextToken", "maxResults"};
	return ecsfs__api_page_as(&camel, all, in, dflt, max, out, key, err);
}

int ecsfs__api_page_range(const ecsfs__api_paging *names, const json_t *in, int64_t dflt,
			  int64_t max, size_t *from, size_t *limit, ecsfs_err *err)
{
	const char *token = NULL;
	int64_t n = dflt;
	int rc;

	*from = 0;
	if ((rc = ecsfs__api_str(in, names->token, false, &token, err)) < 0 ||
	    (rc = ecsfs__api_int(in, names->limit, false, &n, err)) < 0)
		return rc;
	if (n < 1 || n > max)
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "%s must be between 1 and %lld", names->limit, (long long)max);
	if (token) {
		char *end;
		unsigned long long v = strtoull(token, &end, 10);
		if (*token < '0' || *token > '9' || *end || v > SIZE_MAX / 2)
			return ecsfs__api_bad_token(names, err);
		*from = (size_t)v;
	}
	*limit = (size_t)n;
	return 0;
}

int ecsfs__api_bad_token(const ecsfs__api_paging *names, ecsfs_err *err)
{
	return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
			     "%s is not a token this service gave", names->token);
}

void ecsfs__api_page_next(const ecsfs__api_paging *names, size_t to, size_t total, json_t *out)
{
	char t[32];

	if (to >= total)
		return;
	snprintf(t, sizeof(t), "%zu", to);
	json_object_set_new(out, names->token, json_string(t));
}

int ecsfs__api_page_as(const ecsfs__api_paging *names, json_t *all, const json_t *in, int64_t dflt,
		       int64_t max, json_t *out, const char *key, ecsfs_err *err)
{
	size_t from, limit, n = json_array_size(all);
	int rc = ecsfs__api_page_range(names, in, dflt, max, &from, &limit, err);

	if (rc == 0 && from > n)
		rc = ecsfs__api_bad_token(names, err);
	if (rc == 0) {
		json_t *page = json_array();
		size_t to = from + limit < n ? from + limit : n;
		for (size_t i = from; i < to; i++)
			json_array_append(page, json_array_get(all, i));
		json_object_set_new(out, key, page);
		ecsfs__api_page_next(names, to, n, out);
	}
	json_decref(all);
	return rc;
}

static bool listed(const char *key, const char *const *extra)
{
	size_t n = strlen(key);
	if (n > 2 && strcmp(key + n - 2, "At") == 0)
		return true;
	for (; extra && *extra; extra++)
		if (strcmp(*extra, key) == 0)
			return true;
	return false;
}

void ecsfs__api_epochs(json_t *doc, const char *const *extra)
{
	const char *key;
	json_t *v;
	size_t i;

	if (json_is_array(doc)) {
		json_array_foreach(doc, i, v)
			ecsfs__api_epochs(v, extra);
		return;
	}
	if (!json_is_object(doc))
		return;
	json_object_foreach(doc, key, v) {
		int64_t ns;
		if (json_is_string(v) && listed(key, extra) &&
		    ecsfs_time_parse(json_string_value(v), json_string_length(v), 0, &ns) == 0)
			json_object_set_new(doc, key, json_real((double)ns / 1e9));
		else
			ecsfs__api_epochs(v, extra);
	}
}
