/* Task definitions: the describe-task-definition shape of a revision. */
#include <errno.h>
#include <string.h>

#include "ecsfs/arn.h"
#include "ecsfs/taskdef.h"
#include "ecsfs/util.h"
#include "model/taskdef_private.h"

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

/* ECS's describe adds what it computed: the compatibilities a definition
 * meets, and defaults of fields left out. */
static void add_computed(json_t *j, const json_t *in)
{
	const char *mode;
	json_t *compat;

	set_default(j, "networkMode", json_string("bridge"));
	set_default(j, "volumes", json_array());
	set_default(j, "placementConstraints", json_array());
	set_default(j, "requiresAttributes", json_array());
	compat = json_pack("[s]", "EC2");
	mode = json_string_value(json_object_get(j, "networkMode"));
	if (has_string(json_object_get(in, "requiresCompatibilities"), "FARGATE") ||
	    (mode && !strcmp(mode, "awsvpc") && json_object_get(in, "cpu") &&
	     json_object_get(in, "memory")))
		json_array_append_new(compat, json_string("FARGATE"));
	json_object_set_new(j, "compatibilities", compat);
}

/* The describe shape of a stored revision whose input is `in`. */
static json_t *describe_row(ecsfs_store *s, const char *family, const ecsfs_taskdef_row *row,
			    json_t *in)
{
	ecsfs_buf by = ECSFS_BUF_INIT;
	int64_t deleted;
	json_t *j = json_object(), *v;
	const char *key;

	json_object_set_new(
	    j, "taskDefinitionArn",
	    ecsfs_arn_json("ecs", "task-definition/%s:%lld", family, (long long)row->revision));
	json_object_set_new(j, "family", json_string(family));
	json_object_set_new(j, "revision", json_integer(row->revision));
	json_object_set_new(j, "status", json_string(row->active ? "ACTIVE" : "INACTIVE"));
	json_object_set_new(j, "containerDefinitions",
			    describe_containers(json_object_get(in, "containerDefinitions")));
	/* every other input field, kept as given (roles, tags, subnets, ...) */
	json_object_foreach(in, key, v) {
		if (strcmp(key, "family") && strcmp(key, "containerDefinitions") &&
		    !ecsfs__taskdef_response_only(key))
			json_object_set(j, key, v);
	}
	add_computed(j, in);
	ecsfs_json_set_time(j, "registeredAt", row->registered_ns);
	ecsfs_arn_global(&by, "iam", "root");
	json_object_set_new(j, "registeredBy", json_string(by.data));
	if (!row->active)
		ecsfs_json_set_time(j, "deregisteredAt", row->deregistered_ns);
	if (!row->active && ecsfs_store_taskdef_deleted(s, family, row->revision, &deleted) == 0) {
		json_object_set_new(j, "status", json_string("DELETE_IN_PROGRESS"));
		ecsfs_json_set_time(j, "deleteRequestedAt", deleted);
	}
	ecsfs_buf_release(&by);
	return j;
}

int ecsfs_taskdef_describe(ecsfs_store *s, const char *family, int64_t revision, json_t **out,
			   ecsfs_err *err)
{
	ecsfs_taskdef_row row;
	ecsfs_buf why = ECSFS_BUF_INIT;
	json_t *in = NULL;
	int r;

	ecsfs_taskdef_row_init(&row);
	r = ecsfs_store_taskdef_get(s, family, revision, &row);
	if (r == -ENOENT) {
		ecsfs_err_set(err, ECSFS_E_CLIENT, r,
			      "%s%s%.0lld is not a registered task definition", family,
			      revision ? ":" : "", (long long)revision);
	} else if (r < 0) {
		ecsfs_err_set(err, ECSFS_E_NONE, r, "cannot read %s: %s", family,
			      ecsfs_store_last_error(s));
	} else if (ecsfs_json_parse_object(row.source.data, row.source.len, &in, &why) < 0) {
		/* it was valid when registered */
		r = ecsfs_err_set(err, ECSFS_E_SERVER, -EIO, "%s:%lld: stored input: %s", family,
				  (long long)row.revision, why.data);
	} else {
		*out = describe_row(s, family, &row, in);
		json_decref(in);
	}
	ecsfs_taskdef_row_release(&row);
	ecsfs_buf_release(&why);
	return r;
}
