/*
 * ecsfs — the fleet: the container instances of a cluster as the service
 * scheduler sees them. The container instances (core/model/instance_place.c)
 * lend their placement candidates through the task subsystem, where both
 * already meet, and say here when a cluster's instances change; the
 * scheduler (daemon.c) asks and listens.
 */
#include <errno.h>

#include "model/task_private.h"

void ecsfs_tasks_set_fleet(ecsfs_tasks *t, const ecsfs_place_source *src)
{
	t->has_fleet = src != NULL;
	if (src)
		t->fleet = *src;
}

int ecsfs_tasks_fleet(ecsfs_tasks *t, const char *cluster, const ecsfs_place_instance **v,
		      size_t *n, void **keep)
{
	if (!t || !t->has_fleet)
		return -ENOENT;
	return t->fleet.get(t->fleet.ctx, cluster, v, n, keep);
}

void ecsfs_tasks_fleet_release(ecsfs_tasks *t, void *keep)
{
	if (t && t->has_fleet)
		t->fleet.release(t->fleet.ctx, keep);
}

void ecsfs_tasks_set_fleet_cb(ecsfs_tasks *t, ecsfs_tasks_fleet_cb cb, void *data)
{
	t->on_fleet = cb;
	t->on_fleet_data = data;
}

void ecsfs_tasks_fleet_changed(ecsfs_tasks *t, const char *cluster)
{
	if (t && t->on_fleet)
		t->on_fleet(t->on_fleet_data, cluster);
}
