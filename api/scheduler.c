/*
 * Amazon EventBridge Scheduler (REST-JSON, signing name "scheduler"):
 * CreateSchedule, GetSchedule, UpdateSchedule, DeleteSchedule,
 * ListSchedules, and the one group that always exists. A schedule runs ECS
 * tasks in the cluster its Target.Arn names; the rows are the ones
 * spec/clusters/<c>/schedules/<name>.json shows (core/model/schedule*.c).
 */
#include <errno.h>
#include <string.h>

#include "api_private.h"
#include "ecsfs/arn.h"
#include "ecsfs/schedule.h"

/* The HTTP bindings of botocore's scheduler/2021-06-30 model. */
#define Q(n, m)                        \
	{                              \
		.name = n, .member = m \
	}
#define QN(n, m)                                        \
	{                                               \
		.name = n, .member = m, .integer = true \
	}
#define QEND                 \
	{                    \
		.name = NULL \
	}
#define ROUTE(method_, path_, op_, ...)                                               \
	{                                                                             \
		.method = method_, .path = path_, .op = op_, .query = { __VA_ARGS__ } \
	}

const ecsfs__api_route ecsfs__scheduler_routes[] = {
    ROUTE("POST", "/schedules/{Name}", "CreateSchedule", QEND),
    ROUTE("PUT", "/schedules/{Name}", "UpdateSchedule", QEND),
    ROUTE("GET", "/schedules/{Name}", "GetSchedule", Q("groupName", "GroupName"), QEND),
    ROUTE("DELETE", "/schedules/{Name}", "DeleteSchedule", Q("groupName", "GroupName"),
	  Q("clientToken", "ClientToken"), QEND),
    ROUTE("GET", "/schedules", "ListSchedules", Q("ScheduleGroup", "GroupName"),
	  Q("NamePrefix", "NamePrefix"), Q("State", "State"), QN("MaxResults", "MaxResults"),
	  Q("NextToken", "NextToken"), QEND),
    ROUTE("GET", "/schedule-groups", "ListScheduleGroups", Q("NamePrefix", "NamePrefix"),
	  QN("MaxResults", "MaxResults"), Q("NextToken", "NextToken"), QEND),
    ROUTE("GET", "/schedule-groups/{Name}", "GetScheduleGroup", QEND),
    {.method = NULL},
};

const ecsfs__api_errname ecsfs__scheduler_errors[] = {
    {ECSFS_E_INVALID_PARAMETER, "ValidationException", 400},
    {ECSFS_E_CLIENT, "ValidationException", 400},
    {ECSFS_E_CLUSTER_NOT_FOUND, "ResourceNotFoundException", 404},
    {ECSFS_E_RESOURCE_NOT_FOUND, "ResourceNotFoundException", 404},
    {ECSFS_E_RESOURCE_IN_USE, "ConflictException", 409},
    {ECSFS_E_LIMIT_EXCEEDED, "ServiceQuotaExceededException", 402},
    {ECSFS_E_ACCESS_DENIED, "AccessDeniedException", 403},
    {ECSFS_E_SERVER, "InternalServerException", 500},
    {ECSFS_E_NONE, "InternalServerException", 500},
    {.type = NULL},
};

static const ecsfs__api_paging paging = {"NextToken", "MaxResults"};
static const char *const dates[] = {"CreationDate", "LastModificationDate", "StartDate", "EndDate",
				    NULL};

static int engine(const ecsfs_api_core *c, ecsfs_err *err)
{
	if (c->schedules)
		return 0;
	return ecsfs_err_set(err, ECSFS_E_SERVER, -EIO, "schedules are not available");
}

static int put(const ecsfs_api_core *c, const json_t *in, bool create, json_t **out, ecsfs_err *err)
{
	ecsfs_buf arn = ECSFS_BUF_INIT;
	int r;

	if ((r = engine(c, err)) < 0)
		return r;
	if ((r = ecsfs_schedule_put_named(c->schedules, in, create, &arn, err)) == 0)
		*out = json_pack("{s:s}", "ScheduleArn", arn.data);
	ecsfs_buf_release(&arn);
	return r;
}

static int create_schedule(const ecsfs_api_core *c, const json_t *in, json_t **out, ecsfs_err *err)
{
	return put(c, in, true, out, err);
}

static int update_schedule(const ecsfs_api_core *c, const json_t *in, json_t **out, ecsfs_err *err)
{
	return put(c, in, false, out, err);
}

/* The cluster of the schedule the request names (Name, GroupName). */
static int locate(const ecsfs_api_core *c, const json_t *in, const char **name, char cluster[256],
		  ecsfs_err *err)
{
	const char *group = NULL;
	int r;

	if ((r = engine(c, err)) < 0 || (r = ecsfs__api_str(in, "Name", true, name, err)) < 0 ||
	    (r = ecsfs__api_str(in, "GroupName", false, &group, err)) < 0)
		return r;
	return ecsfs_schedule_locate(c->schedules, group, *name, cluster, err);
}

static int get_schedule(const ecsfs_api_core *c, const json_t *in, json_t **out, ecsfs_err *err)
{
	const char *name;
	char cluster[256];
	int r;

	if ((r = locate(c, in, &name, cluster, err)) < 0)
		return r;
	if ((r = ecsfs_schedule_describe(c->schedules, cluster, name, out)) < 0)
		return ecsfs_err_set(err, ECSFS_E_RESOURCE_NOT_FOUND, r,
				     "Schedule %s does not exist.", name);
	ecsfs__api_epochs(*out, dates);
	return 0;
}

static int delete_schedule(const ecsfs_api_core *c, const json_t *in, json_t **out, ecsfs_err *err)
{
	const char *name;
	char cluster[256];
	int r;

	(void)out;
	if ((r = locate(c, in, &name, cluster, err)) < 0)
		return r;
	return ecsfs_schedule_delete(c->schedules, cluster, name, err);
}

static int group_known(const ecsfs_api_core *c, const char *group, ecsfs_err *err)
{
	return ecsfs_schedule_group_exists(c->schedules, group, err);
}

static int list_schedules(const ecsfs_api_core *c, const json_t *in, json_t **out, ecsfs_err *err)
{
	const char *group = NULL, *prefix = NULL, *state = NULL;
	size_t from, limit, total;
	json_t *page;
	int r;

	if ((r = engine(c, err)) < 0 ||
	    (r = ecsfs__api_str(in, "GroupName", false, &group, err)) < 0 ||
	    (r = ecsfs__api_str(in, "NamePrefix", false, &prefix, err)) < 0 ||
	    (r = ecsfs__api_str(in, "State", false, &state, err)) < 0 ||
	    (group && (r = group_known(c, group, err)) < 0))
		return r;
	if (state && strcmp(state, "ENABLED") != 0 && strcmp(state, "DISABLED") != 0)
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "State: must be ENABLED or DISABLED, not '%.40s'", state);
	if ((r = ecsfs__api_page_range(&paging, in, 100, 100, &from, &limit, err)) < 0)
		return r;
	page = ecsfs_schedule_summaries(c->schedules, group, prefix, state, from, limit, &total);
	if (from > total) {
		json_decref(page);
		return ecsfs__api_bad_token(&paging, err);
	}
	ecsfs__api_epochs(page, dates);
	*out = json_pack("{s:o}", "Schedules", page);
	ecsfs__api_page_next(&paging, from + limit < total ? from + limit : total, total, *out);
	return 0;
}

static json_t *group_doc(const char *name)
{
	return json_pack("{s:o, s:s, s:s}", "Arn",
			 ecsfs_arn_json("scheduler", "schedule-group/%s", name), "Name", name,
			 "State", "ACTIVE");
}

static int list_groups(const ecsfs_api_core *c, const json_t *in, json_t **out, ecsfs_err *err)
{
	const char *prefix = NULL;
	json_t *names, *all, *v;
	size_t i;
	int r;

	if ((r = engine(c, err)) < 0 ||
	    (r = ecsfs__api_str(in, "NamePrefix", false, &prefix, err)) < 0)
		return r;
	names = ecsfs_schedule_groups(c->schedules);
	all = json_array();
	json_array_foreach(names, i, v)
		if (!prefix || !strncmp(json_string_value(v), prefix, strlen(prefix)))
			json_array_append_new(all, group_doc(json_string_value(v)));
	json_decref(names);
	*out = json_object();
	return ecsfs__api_page_as(&paging, all, in, 100, 100, *out, "ScheduleGroups", err);
}

static int get_group(const ecsfs_api_core *c, const json_t *in, json_t **out, ecsfs_err *err)
{
	const char *name;
	int r;

	if ((r = engine(c, err)) < 0 || (r = ecsfs__api_str(in, "Name", true, &name, err)) < 0 ||
	    (r = group_known(c, name, err)) < 0)
		return r;
	*out = group_doc(name);
	return 0;
}

const ecsfs__api_op ecsfs__scheduler_ops[] = {
    {"CreateSchedule", create_schedule}, {"UpdateSchedule", update_schedule},
    {"GetSchedule", get_schedule},	 {"DeleteSchedule", delete_schedule},
    {"ListSchedules", list_schedules},	 {"ListScheduleGroups", list_groups},
    {"GetScheduleGroup", get_group},	 {NULL, NULL},
};
