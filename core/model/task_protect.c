/*
 * ecsfs — tasks: scale-in protection (UpdateTaskProtection). Only a task
 * of a service can be protected (ECS's TASK_NOT_VALID otherwise); the
 * service scheduler reads the expiry through ecsfs_tasks_foreach() and
 * never stops a protected task to scale in or to deploy.
 */
#include <errno.h>
#include <string.h>

#include "ecsfs/util.h"
#include "task_private.h"

static int protectable(ecsfs_tasks *t, const char *cluster, const char *id, struct task **out,
		       ecsfs_err *err)
{
	struct task *k = ecsfs__task_find_in(t, cluster, id);

	if (!k)
		return ecsfs_err_set(err, ECSFS_E_CLIENT, -ENOENT, "no task %s in cluster %s", id,
				     cluster);
	if (!k->group || strncmp(k->group, "service:", 8) != 0)
		return ecsfs_err_set(err, ECSFS_E_CLIENT, -EINVAL,
				     "task %s is not part of a service: only a service's tasks "
				     "take scale-in protection",
				     id);
	*out = k;
	return 0;
}

int ecsfs_tasks_protection(ecsfs_tasks *t, const char *cluster, const char *id, int64_t *until_ns,
			   ecsfs_err *err)
{
	struct task *k;
	int r = protectable(t, cluster, id, &k, err);

	if (r < 0)
		return r;
	*until_ns = k->protected_ns > ecsfs_now_ns() ? k->protected_ns : 0;
	return 0;
}

int ecsfs_tasks_protect_check(bool enabled, int64_t minutes, ecsfs_err *err)
{
	if (enabled && (minutes < 1 || minutes > ECSFS_PROTECT_MAX_MIN))
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "expiresInMinutes: %lld is outside 1..%d", (long long)minutes,
				     ECSFS_PROTECT_MAX_MIN);
	return 0;
}

int ecsfs_tasks_protect(ecsfs_tasks *t, const char *cluster, const char *id, bool enabled,
			int64_t minutes, int64_t *until_ns, ecsfs_err *err)
{
	struct task *k;
	int64_t before, until = 0;
	int r;

	if ((r = ecsfs_tasks_protect_check(enabled, minutes, err)) < 0 ||
	    (r = protectable(t, cluster, id, &k, err)) < 0)
		return r;
	if (enabled && !k->desired_running)
		return ecsfs_err_set(err, ECSFS_E_CLIENT, -EINVAL, "task %s is %s", id,
				     k->last == T_STOPPED ? "STOPPED" : "stopping");
	if (enabled)
		until = ecsfs_now_ns() + minutes * 60 * 1000000000ll;
	before = k->protected_ns;
	k->protected_ns = until;
	if ((r = ecsfs__task_persist(k)) < 0) {
		k->protected_ns = before;
		return ecsfs_err_set(err, ECSFS_E_SERVER, r, "cannot record the protection: %s",
				     ecsfs_store_last_error(t->store));
	}
	ecsfs__task_event(k, enabled ? "is protected from scale-in." : "is no longer protected.");
	ecsfs__task_changed(k);
	if (until_ns)
		*until_ns = until;
	return 0;
}
