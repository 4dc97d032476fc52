/*
 * Schedules: spec/clusters/<c>/schedules/<name>.json (EventBridge
 * Scheduler's CreateSchedule input) and the live clusters/<c>/schedules/.
 * An adapter: it parses the file's bytes, calls core/model/schedule.c and
 * renders what comes back; the engine lives in core/control/schedule*.c.
 */
#include <errno.h>
#include <string.h>

#include "ecsfs/schedule.h"
#include "ecsfs/util.h"
#include "fs.h"

void ecsfs__schedules_changed(void *data, const char *cluster, const char *name)
{
	ecsfs__fs *fs = data;
	ecsfs_buf path = ECSFS_BUF_INIT;

	ecsfs_buf_addf(&path, "/clusters/%s", cluster);
	ecsfs__invalidate_inode(fs, path.data);
	ecsfs_buf_adds(&path, "/schedules");
	ecsfs__invalidate_inode(fs, path.data);
	ecsfs_buf_addf(&path, "/%s", name);
	ecsfs__invalidate_entry(fs, path.data);
	ecsfs__invalidate_spec_doc(fs, cluster, "schedules", name);
	ecsfs__cache_changed(fs, cluster, NULL);
	ecsfs_buf_release(&path);
}

void ecsfs__schedules_start(ecsfs__fs *fs, uv_loop_t *loop, long minute_ms)
{
	ecsfs_schedule_opts o = {.minute_ms = minute_ms};
	ecsfs_buf why = ECSFS_BUF_INIT;

	if (ecsfs_schedules_new(loop, fs->store, fs->tasks, &o, &fs->schedules, &why) < 0)
		ecsfs__log("schedules are not available: %s", why.data);
	else
		ecsfs_schedules_set_change_cb(fs->schedules, ecsfs__schedules_changed, fs);
	ecsfs_buf_release(&why);
}

void ecsfs__schedules_stop(ecsfs__fs *fs)
{
	ecsfs_schedules_free(fs->schedules);
	fs->schedules = NULL;
}

static int any(void *data, const char *name)
{
	*(bool *)data = true;
	return 1;
}

void ecsfs__schedules_dir(ecsfs__fs *fs, const char *cluster, ecsfs__dirlist *out)
{
	bool some = false;

	if (fs->schedules)
		ecsfs_schedule_list(fs->schedules, cluster, any, &some);
	if (some)
		ecsfs__dirlist_add(out, "schedules", S_IFDIR);
}

/* ---- spec/clusters/<c>/schedules/<name>.json ---- */

static int schedule_put(ecsfs__fs *fs, const ecsfs__match *m, const json_t *doc,
			const ecsfs_spec_bytes *file, ecsfs_err *err)
{
	if (!fs->schedules)
		return ecsfs_err_set(err, ECSFS_E_SERVER, -EIO, "schedules are not available");
	return ecsfs_schedule_put(fs->schedules, m->cap[0], m->cap[1], doc, file, err);
}

static const ecsfs__spec_doc schedule_doc = {
    .what = "a schedule",
    .max = ECSFS_SCHEDULE_JSON_MAX,
    .check = ecsfs_schedule_check,
    .put = schedule_put,
};

static int spec_unlink(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_err *err)
{
	if (!fs->schedules)
		return -EIO;
	return ecsfs_schedule_delete(fs->schedules, m->cap[0], m->cap[1], err);
}

/* ---- clusters/<c>/schedules/<name>/ ---- */

static int add_dir(void *data, const char *name)
{
	ecsfs__dirlist_add(data, name, S_IFDIR);
	return 0;
}

static int schedules_list(ecsfs__fs *fs, const ecsfs__match *m, ecsfs__dirlist *out)
{
	return fs->schedules ? ecsfs_schedule_list(fs->schedules, m->cap[0], add_dir, out) : 0;
}

static int schedule_exists(ecsfs__fs *fs, const ecsfs__match *m)
{
	return fs->schedules ? ecsfs_schedule_exists(fs->schedules, m->cap[0], m->cap[1]) : -ENOENT;
}

static int schedule_list(ecsfs__fs *fs, const ecsfs__match *m, ecsfs__dirlist *out)
{
	static const char *const files[] = {"status", "history", "schedule.json"};
	ecsfs__dirlist_add_files(out, files, sizeof(files) / sizeof(files[0]));
	return 0;
}

static int status_read(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out)
{
	return ecsfs_schedule_status(fs->schedules, m->cap[0], m->cap[1], out);
}

static int history_read(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out)
{
	return ecsfs_schedule_history(fs->schedules, m->cap[0], m->cap[1], out);
}

static int describe_read(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out)
{
	json_t *o;
	int r = ecsfs_schedule_describe(fs->schedules, m->cap[0], m->cap[1], &o);

	if (r == 0) {
		ecsfs_json_pretty(o, out);
		json_decref(o);
	}
	return r;
}

const ecsfs__route ecsfs__routes_schedule[] = {
    ECSFS__SPEC_DOC("/spec/clusters/*/schedules/*.json", &schedule_doc, spec_unlink),
    {.pattern = "/clusters/*/schedules",
     .type = S_IFDIR,
     .perm = 0755,
     .exists = ecsfs__cluster_exists,
     .list = schedules_list},
    {.pattern = "/clusters/*/schedules/*",
     .type = S_IFDIR,
     .perm = 0755,
     .exists = schedule_exists,
     .list = schedule_list},
    {.pattern = "/clusters/*/schedules/*/status",
     .type = S_IFREG,
     .perm = 0444,
     .flags = ECSFS__R_GENERATED,
     .exists = schedule_exists,
     .read = status_read},
    {.pattern = "/clusters/*/schedules/*/history",
     .type = S_IFREG,
     .perm = 0444,
     .flags = ECSFS__R_GENERATED,
     .exists = schedule_exists,
     .read = history_read},
    {.pattern = "/clusters/*/schedules/*/schedule.json",
     .type = S_IFREG,
     .perm = 0444,
     .flags = ECSFS__R_GENERATED,
     .exists = schedule_exists,
     .read = describe_read},
    {0},
};
