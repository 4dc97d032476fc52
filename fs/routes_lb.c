/*
 * Load balancing: spec/targetgroups/<tg>.json, spec/loadbalancers/<lb>.json
 * and the live targetgroups/<tg>/ and loadbalancers/<lb>/ (the model is
 * core/model/{targetgroup,loadbalancer}*.c, the controller core/control/lb*.c).
 */
#include <errno.h>
#include <string.h>

#include "ecsfs/lb.h"
#include "ecsfs/loadbalancer.h"
#include "ecsfs/targetgroup.h"
#include "fs.h"

/* ---- spec/targetgroups/ and spec/loadbalancers/ ---- */

/* The live views of a group or load balancer follow its spec file. */
static void changed(ecsfs__fs *fs, const char *live, const char *name)
{
	ecsfs_buf path = ECSFS_BUF_INIT;
	ecsfs_buf_addf(&path, "/%s", live);
	ecsfs__invalidate_inode(fs, path.data);
	ecsfs_buf_addf(&path, "/%s", name);
	ecsfs__invalidate_entry(fs, path.data);
	ecsfs_buf_setf(&path, "/spec/%s", live);
	ecsfs__invalidate_inode(fs, path.data);
	ecsfs__invalidate_inode(fs, "/spec");
	ecsfs_buf_release(&path);
}

static int tg_check(ecsfs__fs *fs, const ecsfs__match *m, const char *data, size_t len,
		    bool partial, ecsfs_err *err)
{
	return ecsfs_targetgroup_check(m->cap[0], data, len, partial, err);
}

static int tg_apply(ecsfs__fs *fs, const ecsfs__match *m, const char *data, size_t len,
		    const ecsfs_file_meta *meta, ecsfs_err *err)
{
	int r = ecsfs_lb_targetgroup_apply(fs->lb, m->cap[0], data, len, meta, err);
	if (r == 0)
		changed(fs, "targetgroups", m->cap[0]);
	return r;
}

static int tg_unlink(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_err *err)
{
	int r = ecsfs_lb_targetgroup_delete(fs->lb, m->cap[0], err);
	if (r == 0)
		changed(fs, "targetgroups", m->cap[0]);
	return r;
}

static int lb_check(ecsfs__fs *fs, const ecsfs__match *m, const char *data, size_t len,
		    bool partial, ecsfs_err *err)
{
	return ecsfs_lb_loadbalancer_check(fs->lb, m->cap[0], data, len, partial, err);
}

static int lb_apply(ecsfs__fs *fs, const ecsfs__match *m, const char *data, size_t len,
		    const ecsfs_file_meta *meta, ecsfs_err *err)
{
	int r = ecsfs_lb_loadbalancer_apply(fs->lb, m->cap[0], data, len, meta, err);
	if (r == 0)
		changed(fs, "loadbalancers", m->cap[0]);
	return r;
}

static int lb_unlink(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_err *err)
{
	int r = ecsfs_lb_loadbalancer_delete(fs->lb, m->cap[0], err);
	if (r == 0)
		changed(fs, "loadbalancers", m->cap[0]);
	return r;
}

/* Told by the controller when the data plane fails on its own. */
void ecsfs__lb_error(void *data, const char *lb, int code, const char *msg)
{
	ecsfs__fs *fs = data;
	ecsfs_buf path = ECSFS_BUF_INIT;
	if (lb)
		ecsfs_buf_addf(&path, "/loadbalancers/%s", lb);
	else
		ecsfs_buf_adds(&path, "/loadbalancers");
	ecsfs__reject(fs, path.data, code, msg);
	ecsfs__log("load balancing: %s%s%s", lb ? lb : "", lb ? ": " : "", msg);
	ecsfs_buf_release(&path);
}

/* ---- targetgroups/ and loadbalancers/ ---- */

static int any_cb(void *data, const char *name)
{
	*(bool *)data = true;
	return 1;
}

/* Listed only while they hold something (a lookup always succeeds), so the
 * top of a tree without load balancing looks as it did. */
void ecsfs__lb_root_list(ecsfs__fs *fs, ecsfs__dirlist *out)
{
	bool tg = false, lb = false;
	ecsfs_targetgroup_list(fs->store, any_cb, &tg);
	ecsfs_loadbalancer_list(fs->store, any_cb, &lb);
	if (lb)
		ecsfs__dirlist_add(out, "loadbalancers", S_IFDIR);
	if (tg)
		ecsfs__dirlist_add(out, "targetgroups", S_IFDIR);
}

static int tgs_list(ecsfs__fs *fs, const ecsfs__match *m, ecsfs__dirlist *out)
{
	return ecsfs_targetgroup_list(fs->store, ecsfs__name_list_dir_cb, out);
}

static int tg_exists(ecsfs__fs *fs, const ecsfs__match *m)
{
	return ecsfs_targetgroup_exists(fs->store, m->cap[0], NULL);
}

static int tg_list(ecsfs__fs *fs, const ecsfs__match *m, ecsfs__dirlist *out)
{
	static const char *const files[] = {"targets", "targets.json", "stats", "targetgroup.json"};
	ecsfs__dirlist_add_files(out, files, sizeof(files) / sizeof(files[0]));
	return 0;
}

static int targets_read(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out)
{
	return ecsfs_lb_targets(fs->lb, m->cap[0], out);
}

static int targets_json_read(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out)
{
	return ecsfs_lb_targets_json(fs->lb, m->cap[0], out);
}

static int stats_read(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out)
{
	return ecsfs_lb_stats(fs->lb, m->cap[0], out);
}

static int tg_json_read(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out)
{
	return ecsfs_lb_targetgroup_json(fs->lb, m->cap[0], out);
}

static int lbs_list(ecsfs__fs *fs, const ecsfs__match *m, ecsfs__dirlist *out)
{
	return ecsfs_loadbalancer_list(fs->store, ecsfs__name_list_dir_cb, out);
}

static int lb_exists(ecsfs__fs *fs, const ecsfs__match *m)
{
	return ecsfs_loadbalancer_exists(fs->store, m->cap[0], NULL);
}

static int lb_list(ecsfs__fs *fs, const ecsfs__match *m, ecsfs__dirlist *out)
{
	static const char *const files[] = {"status", "loadbalancer.json", "listeners.json",
					    "rules.json"};
	ecsfs__dirlist_add_files(out, files, sizeof(files) / sizeof(files[0]));
	return 0;
}

static int status_read(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out)
{
	return ecsfs_lb_status(fs->lb, m->cap[0], out);
}

static int lb_json_read(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out)
{
	return ecsfs_lb_loadbalancer_json(fs->lb, m->cap[0], out);
}

static int listeners_read(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out)
{
	return ecsfs_lb_listeners_json(fs->lb, m->cap[0], out);
}

static int rules_read(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out)
{
	return ecsfs_lb_rules_json(fs->lb, m->cap[0], out);
}

#define LIVE_FILE(p, ex, rd)                                                                \
	{                                                                                   \
		.pattern = (p), .type = S_IFREG, .perm = 0444, .flags = ECSFS__R_GENERATED, \
		.exists = (ex), .read = (rd)                                                \
	}

const ecsfs__route ecsfs__routes_lb[] = {
    ECSFS__SPEC_DIR("/spec/targetgroups", NULL),
    ECSFS__SPEC_FILE("/spec/targetgroups/*.json", tg_check, tg_apply, tg_unlink),
    ECSFS__SPEC_DIR("/spec/loadbalancers", NULL),
    ECSFS__SPEC_FILE("/spec/loadbalancers/*.json", lb_check, lb_apply, lb_unlink),
    {.pattern = "/targetgroups", .type = S_IFDIR, .perm = 0755, .list = tgs_list},
    {.pattern = "/targetgroups/*",
     .type = S_IFDIR,
     .perm = 0755,
     .exists = tg_exists,
     .list = tg_list},
    LIVE_FILE("/targetgroups/*/targets", tg_exists, targets_read),
    LIVE_FILE("/targetgroups/*/targets.json", tg_exists, targets_json_read),
    LIVE_FILE("/targetgroups/*/stats", tg_exists, stats_read),
    LIVE_FILE("/targetgroups/*/targetgroup.json", tg_exists, tg_json_read),
    {.pattern = "/loadbalancers", .type = S_IFDIR, .perm = 0755, .list = lbs_list},
    {.pattern = "/loadbalancers/*",
     .type = S_IFDIR,
     .perm = 0755,
     .exists = lb_exists,
     .list = lb_list},
    LIVE_FILE("/loadbalancers/*/status", lb_exists, status_read),
    LIVE_FILE("/loadbalancers/*/loadbalancer.json", lb_exists, lb_json_read),
    LIVE_FILE("/loadbalancers/*/listeners.json", lb_exists, listeners_read),
    LIVE_FILE("/loadbalancers/*/rules.json", lb_exists, rules_read),
    {0},
};
