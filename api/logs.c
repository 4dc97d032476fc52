/*
 * CloudWatch Logs (Logs_20140328) over the captured container logs:
 * DescribeLogGroups, DescribeLogStreams, GetLogEvents, FilterLogEvents.
 * Requests are parsed here; what the groups, streams and events are is
 * core's (include/ecsfs/logstream.h). Times are epoch milliseconds, as
 * Logs has them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_private.h"
#include "ecsfs/arn.h"
#include "ecsfs/logstream.h"

#define DESCRIBE_LIMIT 50 /* DescribeLimit: 1..50, default 50 */

static int invalid(ecsfs_err *err, const char *fmt, const char *what)
{
	return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL, fmt, what);
}

/* An integer field within [min, max]; absent leaves *v. */
static int int_in(const json_t *in, const char *key, int64_t min, int64_t max, int64_t *v,
		  ecsfs_err *err)
{
	int64_t x = *v;
	int rc = ecsfs__api_int(in, key, false, &x, err);
	if (rc < 0)
		return rc;
	if (json_object_get(in, key) && !json_is_null(json_object_get(in, key)) &&
	    (x < min || x > max))
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "%s must be between %lld and %lld", key, (long long)min,
				     (long long)max);
	*v = x;
	return 0;
}

/*
 * The group a request names: logGroupName, or logGroupIdentifier (a name
 * or a log-group ARN, with or without its ":*"); one of them, not both.
 * The name goes to out.
 */
static int group_of(const json_t *in, ecsfs_buf *out, ecsfs_err *err)
{
	const char *name = NULL, *ident = NULL, *res;
	int rc;

	if ((rc = ecsfs__api_str(in, "logGroupName", false, &name, err)) < 0 ||
	    (rc = ecsfs__api_str(in, "logGroupIdentifier", false, &ident, err)) < 0)
		return rc;
	if (name && ident)
		return invalid(err, "%s",
			       "logGroupName and logGroupIdentifier cannot both be given");
	if (!name && !ident)
		return invalid(err, "%s", "logGroupName is required");
	if (ident && (res = ecsfs_arn_resource(ident, "logs")) != NULL) {
		size_t n;
		if (strncmp(res, "log-group:", 10) != 0)
			return invalid(err, "logGroupIdentifier: %s is not a log group ARN", ident);
		name = res + 10;
		n = strlen(name);
		ecsfs_buf_add(out, name, n >= 2 && strcmp(name + n - 2, ":*") == 0 ? n - 2 : n);
	} else {
		ecsfs_buf_adds(out, name ? name : ident);
	}
	if (out->len < 1 || out->len > 512)
		return invalid(err, "%s", "a log group name has 1 to 512 characters");
	return 0;
}

/* Pages of a describe: nextToken is the position of the next item. */
static int page(json_t *all, const json_t *in, const char *key, json_t **out, ecsfs_err *err)
{
	const char *tok = NULL;
	int64_t limit = DESCRIBE_LIMIT;
	size_t from = 0, n = json_array_size(all), to;
	json_t *items;
	int rc;

	if ((rc = ecsfs__api_str(in, "nextToken", false, &tok, err)) < 0 ||
	    (rc = int_in(in, "limit", 1, DESCRIBE_LIMIT, &limit, err)) < 0)
		goto fail;
	if (tok) {
		char *end;
		unsigned long long v = strtoull(tok, &end, 10);
		if (*tok < '0' || *tok > '9' || *end || v > n) {
			rc = invalid(err, "%s", "The specified nextToken is invalid.");
			goto fail;
		}
		from = (size_t)v;
	}
	to = from + (size_t)limit < n ? from + (size_t)limit : n;
	items = json_array();
	for (size_t i = from; i < to; i++)
		json_array_append(items, json_array_get(all, i));
	*out = json_object();
	json_object_set_new(*out, key, items);
	if (to < n) {
		char t[32];
		snprintf(t, sizeof(t), "%zu", to);
		json_object_set_new(*out, "nextToken", json_string(t));
	}
	rc = 0;
fail:
	json_decref(all);
	return rc;
}

static int describe_log_groups(const ecsfs_api_core *c, const json_t *in, json_t **out,
			       ecsfs_err *err)
{
	const char *prefix = NULL, *pattern = NULL;
	json_t *all;
	int rc;

	if ((rc = ecsfs__api_str(in, "logGroupNamePrefix", false, &prefix, err)) < 0 ||
	    (rc = ecsfs__api_str(in, "logGroupNamePattern", false, &pattern, err)) < 0)
		return rc;
	if (prefix && pattern)
		return invalid(err, "%s",
			       "logGroupNamePrefix and logGroupNamePattern cannot both be given");
	if ((rc = ecsfs_logstream_groups(c->tasks, c->store, prefix, pattern, &all, err)) < 0)
		return rc;
	return page(all, in, "logGroups", out, err);
}

static int describe_log_streams(const ecsfs_api_core *c, const json_t *in, json_t **out,
				ecsfs_err *err)
{
	ecsfs_buf group = ECSFS_BUF_INIT;
	const char *prefix = NULL, *order = "LogStreamName";
	bool desc = false;
	json_t *all;
	int rc;

	if ((rc = group_of(in, &group, err)) < 0 ||
	    (rc = ecsfs__api_str(in, "logStreamNamePrefix", false, &prefix, err)) < 0 ||
	    (rc = ecsfs__api_str(in, "orderBy", false, &order, err)) < 0 ||
	    (rc = ecsfs__api_bool(in, "descending", &desc, err)) < 0)
		goto done;
	if (strcmp(order, "LogStreamName") != 0 && strcmp(order, "LastEventTime") != 0) {
		rc = invalid(err, "orderBy: %s is not LogStreamName or LastEventTime", order);
		goto done;
	}
	if (prefix && strcmp(order, "LastEventTime") == 0) {
		rc =
		    invalid(err, "%s", "Cannot order by LastEventTime with a logStreamNamePrefix.");
		goto done;
	}
	rc = ecsfs_logstream_streams(c->tasks, c->store, group.data, prefix,
				     strcmp(order, "LastEventTime") == 0, desc, &all, err);
	if (rc == 0)
		rc = page(all, in, "logStreams", out, err);
done:
	ecsfs_buf_release(&group);
	return rc;
}

/* startTime and endTime (epoch ms, not negative); has_* when given. */
static int times(const json_t *in, bool *has_start, int64_t *start, bool *has_end, int64_t *end,
		 ecsfs_err *err)
{
	int rc;
	if ((rc = int_in(in, "startTime", 0, INT64_MAX, start, err)) < 0 ||
	    (rc = int_in(in, "endTime", 0, INT64_MAX, end, err)) < 0)
		return rc;
	*has_start = json_is_integer(json_object_get(in, "startTime"));
	*has_end = json_is_integer(json_object_get(in, "endTime"));
	return 0;
}

static int get_log_events(const ecsfs_api_core *c, const json_t *in, json_t **out, ecsfs_err *err)
{
	ecsfs_buf group = ECSFS_BUF_INIT;
	ecsfs_logs_get q = {0};
	int rc;

	if ((rc = group_of(in, &group, err)) < 0 ||
	    (rc = ecsfs__api_str(in, "logStreamName", true, &q.stream, err)) < 0 ||
	    (rc = times(in, &q.has_start, &q.start_ms, &q.has_end, &q.end_ms, err)) < 0 ||
	    (rc = ecsfs__api_str(in, "nextToken", false, &q.token, err)) < 0 ||
	    (rc = int_in(in, "limit", 1, ECSFS_LOGS_MAX_EVENTS, &q.limit, err)) < 0 ||
	    (rc = ecsfs__api_bool(in, "startFromHead", &q.from_head, err)) < 0)
		goto done;
	q.group = group.data;
	rc = ecsfs_logstream_get(c->tasks, c->store, &q, out, err);
done:
	ecsfs_buf_release(&group);
	return rc;
}

static int filter_log_events(const ecsfs_api_core *c, const json_t *in, json_t **out,
			     ecsfs_err *err)
{
	ecsfs_buf group = ECSFS_BUF_INIT;
	ecsfs_logs_filter q = {0};
	bool interleaved = true;
	int rc;

	if ((rc = group_of(in, &group, err)) < 0 ||
	    (rc = ecsfs__api_strs(in, "logStreamNames", false, &q.names, err)) < 0 ||
	    (rc = ecsfs__api_str(in, "logStreamNamePrefix", false, &q.prefix, err)) < 0 ||
	    (rc = times(in, &q.has_start, &q.start_ms, &q.has_end, &q.end_ms, err)) < 0 ||
	    (rc = ecsfs__api_str(in, "filterPattern", false, &q.pattern, err)) < 0 ||
	    (rc = ecsfs__api_str(in, "nextToken", false, &q.token, err)) < 0 ||
	    (rc = int_in(in, "limit", 1, ECSFS_LOGS_MAX_EVENTS, &q.limit, err)) < 0 ||
	    (rc = ecsfs__api_bool(in, "interleaved", &interleaved, err)) < 0)
		goto done;
	if (q.names && (json_array_size(q.names) < 1 || json_array_size(q.names) > 100)) {
		rc = invalid(err, "%s", "logStreamNames holds 1 to 100 names");
		goto done;
	}
	if (q.pattern && strlen(q.pattern) > 1024) {
		rc = invalid(err, "%s", "filterPattern has at most 1024 characters");
		goto done;
	}
	q.group = group.data;
	/* events always come interleaved by time; `interleaved` is taken as AWS does now */
	rc = ecsfs_logstream_filter(c->tasks, c->store, &q, out, err);
done:
	ecsfs_buf_release(&group);
	return rc;
}

const ecsfs__api_op ecsfs__logs_ops[] = {
    {"DescribeLogGroups", describe_log_groups},
    {"DescribeLogStreams", describe_log_streams},
    {"GetLogEvents", get_log_events},
    {"FilterLogEvents", filter_log_events},
    {NULL, NULL},
};
