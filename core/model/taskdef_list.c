/* Task definitions: ListTaskDefinitions by status and order,
 * ListTaskDefinitionFamilies, DeleteTaskDefinitions. */
#include <errno.h>

#include "ecsfs/arn.h"
#include "ecsfs/taskdef.h"
#include "ecsfs/util.h"

static int fault(ecsfs_store *s, int r, const char *what, ecsfs_err *err)
{
	return ecsfs_err_set(err, ECSFS_E_NONE, r, "cannot %s task definitions: %s", what,
			     ecsfs_store_last_error(s));
}

static int arn_cb(void *data, const char *family, int64_t rev)
{
	json_array_append_new(
	    data, ecsfs_arn_json("ecs", "task-definition/%s:%lld", family, (long long)rev));
	return 0;
}

int ecsfs_taskdef_list_status(ecsfs_store *s, const char *prefix, int status, bool desc,
			      json_t **arns, ecsfs_err *err)
{
	json_t *a = json_array();
	int r = ecsfs_store_taskdef_by_status(s, prefix, status, desc, arn_cb, a);

	if (r < 0) {
		json_decref(a);
		return fault(s, r, "list", err);
	}
	*arns = a;
	return 0;
}

static int name_cb(void *data, const char *name)
{
	json_array_append_new(data, json_string(name));
	return 0;
}

int ecsfs_taskdef_families(ecsfs_store *s, const char *prefix, int active, json_t **names,
			   ecsfs_err *err)
{
	json_t *a = json_array();
	int r = ecsfs_store_taskdef_family_names(s, prefix, active, name_cb, a);

	if (r < 0) {
		json_decref(a);
		return fault(s, r, "list", err);
	}
	*names = a;
	return 0;
}

int ecsfs_taskdef_delete(ecsfs_store *s, const char *family, int64_t revision, json_t **out,
			 ecsfs_err *err)
{
	bool active = false;
	int r;

	if (revision <= 0)
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "%s: a revision is required to delete a task definition",
				     family);
	r = ecsfs_taskdef_exists(s, family, revision, &active);
	if (r == -ENOENT)
		return ecsfs_err_set(err, ECSFS_E_CLIENT, r,
				     "%s:%lld: the specified task definition does not exist",
				     family, (long long)revision);
	if (r < 0)
		return fault(s, r, "delete", err);
	if (active)
		return ecsfs_err_set(err, ECSFS_E_CLIENT, -EBUSY,
				     "%s:%lld is ACTIVE; deregister it before deleting it", family,
				     (long long)revision);
	if ((r = ecsfs_store_taskdef_mark_deleted(s, family, revision, ecsfs_now_ns())) < 0)
		return fault(s, r, "delete", err);
	return ecsfs_taskdef_describe(s, family, revision, out, err);
}
