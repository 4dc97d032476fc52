/* The engine volumes a task needs (task volumes without a host path). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/launch_private.h"

/* ---- volumes ---- */

static bool shared(const json_t *volume)
{
	const json_t *dvc = json_object_get(volume, "dockerVolumeConfiguration");

	return is(json_string_value(json_object_get(dvc, "scope")), "shared");
}

void ecsfs_launch_volume_name(const json_t *volume, const char *task_id, ecsfs_buf *out)
{
	const char *name = json_string_value(json_object_get(volume, "name"));

	if (shared(volume))
		ecsfs_buf_adds(out, name ? name : "");
	else
		ecsfs_buf_addf(out, "ecsfs-%s-%s", task_id, name ? name : "");
}

static int volume_body(struct lc *l, const json_t *vol, json_t **out)
{
	const json_t *host, *dvc = NULL;
	const char *name, *path = NULL, *driver = NULL;
	json_t *opts = NULL, *labels = NULL, *body;
	ecsfs_buf vname = ECSFS_BUF_INIT;
	bool autoprovision = false;
	int r;

	*out = NULL;
	if ((r = ecsfs__lc_get_str(l, vol, "name", &name)) < 0 ||
	    (r = ecsfs__lc_get(l, vol, "host", J_OBJ, &host)) < 0)
		return r;
	if (!name || !*name) {
		ecsfs__lc_at_key(l, "name");
		return ecsfs__lc_fail(l, "missing; it is required");
	}
	if (host) {
		size_t mark = ecsfs__lc_at_key(l, "host");
		if ((r = ecsfs__lc_get_str(l, host, "sourcePath", &path)) < 0)
			return r;
		ecsfs__lc_at_pop(l, mark);
	}
	if (path && *path)
		return 0; /* a bind mount: nothing to create */
	if ((r = ecsfs__lc_get(l, vol, "dockerVolumeConfiguration", J_OBJ, &dvc)) < 0)
		return r;
	if (dvc) {
		size_t mark = ecsfs__lc_at_key(l, "dockerVolumeConfiguration");
		if ((r = ecsfs__lc_get_str(l, dvc, "driver", &driver)) < 0 ||
		    (r = ecsfs__lc_get_bool(l, dvc, "autoprovision", &autoprovision)) < 0 ||
		    (r = ecsfs__lc_get_string_map(l, dvc, "driverOpts", &opts)) < 0 ||
		    (r = ecsfs__lc_get_string_map(l, dvc, "labels", &labels)) < 0)
			goto out;
		ecsfs__lc_at_pop(l, mark);
	}
	/* a shared volume outlives tasks; without autoprovision it must
	 * already exist, and is not ours to make */
	if (shared(vol) && !autoprovision)
		goto out;
	if (!labels)
		labels = must(json_object());
	set(labels, ECSFS_LABEL_MANAGED, json_string("1"));
	if (!shared(vol))
		set(labels, ECSFS_LABEL_TASK, json_string(nz(l->ctx->task_id)));
	ecsfs_launch_volume_name(vol, l->ctx->task_id, &vname);
	body = must(json_object());
	set(body, "Name", json_string(vname.data));
	if (driver && *driver)
		set(body, "Driver", json_string(driver));
	if (opts)
		set(body, "DriverOpts", json_incref(opts));
	set(body, "Labels", json_incref(labels));
	ecsfs_buf_release(&vname);
	*out = body;
out:
	json_decref(opts);
	json_decref(labels);
	return r;
}

int ecsfs_launch_volumes(const json_t *taskdef, const ecsfs_launch_ctx *ctx, json_t **out,
			 ecsfs_buf *why)
{
	const json_t *vols, *vol;
	json_t *list = NULL, *body;
	struct lc l;
	size_t i;
	int r;

	if ((r = ecsfs__lc_init(&l, taskdef, ctx, why)) < 0)
		goto out;
	vols = json_object_get(taskdef, "volumes");
	list = must(json_array());
	for (i = 0; i < json_array_size(vols); i++) {
		ecsfs_buf_setf(&l.at, "volumes");
		if ((r = ecsfs__lc_element(&l, vols, i, &vol)) < 0 ||
		    (r = volume_body(&l, vol, &body)) < 0)
			goto out;
		if (body)
			push(list, body);
	}
	*out = list;
	list = NULL;
out:
	json_decref(list);
	ecsfs_buf_release(&l.at);
	return r;
}
