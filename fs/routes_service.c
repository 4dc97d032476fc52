/*
 * Services: spec/clusters/<c>/services/<s>.json and clusters/<c>/services/
 * (core/service.c holds the model and the scheduler).
 */
#include <errno.h>
#include <string.h>

#include "ecsfs/service.h"
#include "ecsfs/error.h"
#include "fs.h"

void ecsfs__services_changed(void *data, const char *cluster, const char *name)
{
	ecsfs__fs *fs = data;
	ecsfs_buf path = ECSFS_BUF_INIT;

	ecsfs_buf_addf(&path, "/clusters/%s/services", cluster);
	ecsfs__invalidate_inode(fs, path.data);
	ecsfs_buf_addf(&path, "/%s", name);
	ecsfs__invalidate_entry(fs, path.data);
	ecsfs_buf_addf(&path, "/tasks");
	ecsfs__invalidate_inode(fs, path.data);
	ecsfs_buf_setf(&path, "/spec/clusters/%s/services", cluster);
	ecsfs__invalidate_inode(fs, path.data);
	ecsfs_buf_addf(&path, "/%s.json", name);
	ecsfs__invalidate_entry(fs, path.data);
	ecsfs_buf_setf(&path, "/spec/clusters/%s", cluster);
	ecsfs__invalidate_inode(fs, path.data);
	ecsfs_buf_release(&path);
}

/* ---- spec/clusters/<c>/services/<s>.json ---- */

static int spec_check(ecsfs__fs *fs, const ecsfs__match *m, const char *data, size_t len,
		      bool partial, ecsfs_err *err)
{
	return ecsfs_service_spec_check(m->cap[0], m->cap[1], data, len, partial, &err->msg);
}

static int spec_apply(ecsfs__fs *fs, const ecsfs__match *m, const char *data, size_t len,
		      const ecsfs_file_meta *meta, ecsfs_err *err)
{
	return ecsfs_service_spec_apply(fs->services, m->cap[0], m->cap[1], data, len, meta,
					&err->msg);
}

/* rm of the spec file is delete-service --force: DRAINING, then gone. */
static int spec_unlink(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_err *err)
{
	return ecsfs_service_delete(fs->services, m->cap[0], m->cap[1], true, &err->msg);
}

/* ---- clusters/<c>/services/ ---- */

static int add_dir(void *data, const char *name)
{
	ecsfs__dirlist_add(data, name, S_IFDIR);
	return 0;
}

static int add_link(void *data, const char *name)
{
	ecsfs__dirlist_add(data, name, S_IFLNK);
	return 0;
}

static int services_list(ecsfs__fs *fs, const ecsfs__match *m, ecsfs__dirlist *out)
{
	return ecsfs_service_list(fs->store, m->cap[0], add_dir, out);
}

static int service_exists(ecsfs__fs *fs, const ecsfs__match *m)
{
	return ecsfs_service_exists(fs->store, m->cap[0], m->cap[1]);
}

static int service_list(ecsfs__fs *fs, const ecsfs__match *m, ecsfs__dirlist *out)
{
	static const char *const files[] = {"desired_count", "task_definition", "redeploy",
					    "service.json",  "status",		"events"};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		ecsfs__dirlist_add(out, files[i], S_IFREG);
	ecsfs__dirlist_add(out, "tasks", S_IFDIR);
	return 0;
}

static int service_mkdir(ecsfs__fs *fs, const ecsfs__match *m, mode_t mode, ecsfs_err *err)
{
	return ecsfs_service_create(fs->services, m->cap[0], m->cap[1], &err->msg);
}

static int service_rmdir(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_err *err)
{
	return ecsfs_service_delete(fs->services, m->cap[0], m->cap[1], false, &err->msg);
}

static int desired_read(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out)
{
	return ecsfs_service_read_desired(fs->store, m->cap[0], m->cap[1], out);
}

static int desired_check(ecsfs__fs *fs, const ecsfs__match *m, const char *data, size_t len,
			 bool partial, ecsfs_err *err)
{
	return ecsfs_service_desired_check(data, len, partial, &err->msg);
}

static int desired_apply(ecsfs__fs *fs, const ecsfs__match *m, const char *data, size_t len,
			 const ecsfs_file_meta *meta, ecsfs_err *err)
{
	return ecsfs_service_set_desired(fs->services, m->cap[0], m->cap[1], data, len, &err->msg);
}

static int taskdef_read(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out)
{
	return ecsfs_service_read_taskdef(fs->store, m->cap[0], m->cap[1], out);
}

static int taskdef_check(ecsfs__fs *fs, const ecsfs__match *m, const char *data, size_t len,
			 bool partial, ecsfs_err *err)
{
	return ecsfs_service_taskdef_check(fs->store, data, len, partial, &err->msg);
}

static int taskdef_apply(ecsfs__fs *fs, const ecsfs__match *m, const char *data, size_t len,
			 const ecsfs_file_meta *meta, ecsfs_err *err)
{
	return ecsfs_service_set_taskdef(fs->services, m->cap[0], m->cap[1], data, len, &err->msg);
}

static int redeploy_apply(ecsfs__fs *fs, const ecsfs__match *m, const char *data, size_t len,
			  const ecsfs_file_meta *meta, ecsfs_err *err)
{
	return ecsfs_service_redeploy(fs->services, m->cap[0], m->cap[1], &err->msg);
}

static int zero_size(ecsfs__fs *fs, const ecsfs__match *m, struct stat *st)
{
	st->st_size = 0;
	return 0;
}

static int describe_read(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out)
{
	return ecsfs_service_describe(fs->services, m->cap[0], m->cap[1], out);
}

static int status_read(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out)
{
	return ecsfs_service_status(fs->services, m->cap[0], m->cap[1], out);
}

static int events_getattr(ecsfs__fs *fs, const ecsfs__match *m, struct stat *st)
{
	ecsfs_buf stream = ECSFS_BUF_INIT;
	ecsfs_service_events_stream(m->cap[0], m->cap[1], &stream);
	int r = ecsfs__journal_getattr(fs, stream.data, st);
	ecsfs_buf_release(&stream);
	return r;
}

static int events_read_at(ecsfs__fs *fs, const ecsfs__match *m, uint64_t off, size_t len,
			  ecsfs_buf *out)
{
	ecsfs_buf stream = ECSFS_BUF_INIT;
	ecsfs_service_events_stream(m->cap[0], m->cap[1], &stream);
	int r = ecsfs_store_journal_read(fs->store, stream.data, off, len, out);
	ecsfs_buf_release(&stream);
	return r;
}

static int tasks_list(ecsfs__fs *fs, const ecsfs__match *m, ecsfs__dirlist *out)
{
	return ecsfs_service_tasks(fs->services, m->cap[0], m->cap[1], add_link, out);
}

typedef struct find {
	const char *id;
	bool found;
} find;

static int find_cb(void *data, const char *name)
{
	find *f = data;
	if (strcmp(f->id, name) == 0)
		f->found = true;
	return f->found;
}

static int task_link_exists(ecsfs__fs *fs, const ecsfs__match *m)
{
	find f = {.id = m->cap[2]};
	ecsfs_service_tasks(fs->services, m->cap[0], m->cap[1], find_cb, &f);
	return f.found ? 0 : -ENOENT;
}

static int task_link_readlink(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out)
{
	ecsfs_buf_addf(out, "../../../tasks/%s", m->cap[2]);
	return 0;
}

const ecsfs__route ecsfs__routes_service[] = {
    {.pattern = "/spec/clusters/*/services/*.json",
     .type = S_IFREG,
     .perm = 0644,
     .flags = ECSFS__R_STORED | ECSFS__R_CREATE | ECSFS__R_GRACE,
     .exists = ecsfs__spec_file_exists,
     .check = spec_check,
     .apply = spec_apply,
     .unlink = spec_unlink},
    {.pattern = "/clusters/*/services",
     .type = S_IFDIR,
     .perm = 0755,
     .exists = ecsfs__cluster_exists,
     .list = services_list},
    {.pattern = "/clusters/*/services/*",
     .type = S_IFDIR,
     .perm = 0755,
     .exists = service_exists,
     .list = service_list,
     .mkdir = service_mkdir,
     .rmdir = service_rmdir},
    {.pattern = "/clusters/*/services/*/desired_count",
     .type = S_IFREG,
     .perm = 0644,
     .flags = ECSFS__R_GENERATED,
     .exists = service_exists,
     .read = desired_read,
     .check = desired_check,
     .apply = desired_apply},
    {.pattern = "/clusters/*/services/*/task_definition",
     .type = S_IFREG,
     .perm = 0644,
     .flags = ECSFS__R_GENERATED,
     .exists = service_exists,
     .read = taskdef_read,
     .check = taskdef_check,
     .apply = taskdef_apply},
    {.pattern = "/clusters/*/services/*/redeploy",
     .type = S_IFREG,
     .perm = 0200,
     .exists = service_exists,
     .getattr = zero_size,
     .apply = redeploy_apply},
    {.pattern = "/clusters/*/services/*/service.json",
     .type = S_IFREG,
     .perm = 0444,
     .flags = ECSFS__R_GENERATED,
     .exists = service_exists,
     .read = describe_read},
    {.pattern = "/clusters/*/services/*/status",
     .type = S_IFREG,
     .perm = 0444,
     .flags = ECSFS__R_GENERATED,
     .exists = service_exists,
     .read = status_read},
    {.pattern = "/clusters/*/services/*/events",
     .type = S_IFREG,
     .perm = 0444,
     .flags = ECSFS__R_APPEND,
     .exists = service_exists,
     .getattr = events_getattr,
     .read_at = events_read_at},
    {.pattern = "/clusters/*/services/*/tasks",
     .type = S_IFDIR,
     .perm = 0755,
     .exists = service_exists,
     .list = tasks_list},
    {.pattern = "/clusters/*/services/*/tasks/*",
     .type = S_IFLNK,
     .perm = 0777,
     .exists = task_link_exists,
     .readlink = task_link_readlink},
    {0},
};
