/* spec/: desired state as plain files, and the scratch files beside them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/cluster.h"
#include "ecsfs/service.h"
#include "ecsfs/util.h"
#include "ecsfs/error.h"
#include "fs.h"

static int spec_cluster_cb(void *data, const char *name)
{
	void **ctx = data;
	if (!ecsfs_cluster_retiring(((ecsfs__fs *)ctx[0])->store, name))
		ecsfs__dirlist_add(ctx[1], name, S_IFDIR);
	return 0;
}

static int clusters_list(ecsfs__fs *fs, const ecsfs__match *m, ecsfs__dirlist *out)
{
	void *ctx[2] = {fs, out};
	return ecsfs_store_cluster_list(fs->store, spec_cluster_cb, ctx);
}

/* Files (not directory metadata) directly in `dir`. */
static int files_in(ecsfs__fs *fs, const char *dir, uint64_t *n)
{
	uint64_t all, dirs;
	int r;
	if ((r = ecsfs_store_file_count(fs->store, dir, 0, &all, NULL)) < 0 ||
	    (r = ecsfs_store_file_count(fs->store, dir, ECSFS_FILE_DIR, &dirs, NULL)) < 0)
		return r;
	*n = all - dirs;
	return 0;
}

/* services/ and schedules/ are listed only while they hold files, so the
 * tree looks like the repository it mirrors. */
static int add_if_nonempty(ecsfs__fs *fs, const char *dir, const char *name, ecsfs__dirlist *out)
{
	ecsfs_buf path = ECSFS_BUF_INIT;
	uint64_t n = 0;
	ecsfs_buf_addf(&path, "%s/%s", dir, name);
	int r = files_in(fs, path.data, &n);
	if (r == 0 && n > 0)
		ecsfs__dirlist_add(out, name, S_IFDIR);
	ecsfs_buf_release(&path);
	return r;
}

/* Like every directory of the spec tree, taskdefs/ and clusters/ are listed
 * only while they hold something: a repository without them matches. */
static int spec_list(ecsfs__fs *fs, const ecsfs__match *m, ecsfs__dirlist *out)
{
	int r = add_if_nonempty(fs, m->path.data, "taskdefs", out);
	if (r < 0 || (r = add_if_nonempty(fs, m->path.data, "targetgroups", out)) < 0 ||
	    (r = add_if_nonempty(fs, m->path.data, "loadbalancers", out)) < 0)
		return r;
	ecsfs__dirlist l = {0};
	ecsfs_buf_init(&l.names);
	if ((r = clusters_list(fs, m, &l)) == 0 && l.n > 0)
		ecsfs__dirlist_add(out, "clusters", S_IFDIR);
	ecsfs_buf_release(&l.names);
	free(l.types);
	return r;
}

static int cluster_list(ecsfs__fs *fs, const ecsfs__match *m, ecsfs__dirlist *out)
{
	int r;
	if (ecsfs_store_file_get(fs->store, m->path.data, "cluster.json", NULL, NULL) == 0)
		ecsfs__dirlist_add(out, "cluster.json", S_IFREG);
	if ((r = add_if_nonempty(fs, m->path.data, "services", out)) < 0 ||
	    (r = add_if_nonempty(fs, m->path.data, "scaling", out)) < 0 ||
	    (r = add_if_nonempty(fs, m->path.data, "instances", out)) < 0)
		return r;
	return add_if_nonempty(fs, m->path.data, "schedules", out);
}

int ecsfs__spec_files_list(ecsfs__fs *fs, const ecsfs__match *m, ecsfs__dirlist *out)
{
	return ecsfs_store_file_list(fs->store, m->path.data, ECSFS_FILE_SPEC, ecsfs__file_list_cb,
				     out);
}

int ecsfs__spec_fixed_rmdir(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_err *err)
{
	uint64_t n = 0;
	int r = files_in(fs, m->path.data, &n);
	if (r < 0)
		return r;
	if (n > 0)
		return ecsfs_err_set(err, ECSFS_E_RESOURCE_IN_USE, -ENOTEMPTY, "%s is not empty",
				     m->path.data);
	return 0;
}

static int clusters_rmdir(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_err *err)
{
	ecsfs__dirlist l = {0};
	ecsfs_buf_init(&l.names);
	int r = clusters_list(fs, m, &l);
	if (r == 0 && l.n > 0) {
		ecsfs_buf_setf(&err->msg, "%s is not empty (%zu cluster%s)", m->path.data, l.n,
			       l.n == 1 ? "" : "s");
		r = -ENOTEMPTY;
	}
	ecsfs_buf_release(&l.names);
	free(l.types);
	return r;
}

/* ---- clusters a repository dropped, deleted once their services drain ---- */

static void swept(void *data, const char *name)
{
	ecsfs__cluster_changed(data, name);
}

void ecsfs__clusters_sweep(ecsfs__fs *fs)
{
	ecsfs_cluster_sweep(fs->store, swept, fs);
}

int ecsfs__spec_cluster_exists(ecsfs__fs *fs, const ecsfs__match *m)
{
	int r = ecsfs__cluster_exists(fs, m);
	return r == 0 && ecsfs_cluster_retiring(fs->store, m->cap[0]) ? -ENOENT : r;
}

/* rmdir spec/clusters/<c>: like a real rmdir, refused while files remain;
 * a cluster whose services the repository dropped with it drains first. */
static int cluster_rmdir(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_err *err)
{
	int r = ecsfs_cluster_retire(fs->store, fs->services, m->cap[0], err);
	if (r == 0)
		ecsfs__cluster_changed(fs, m->cap[0]);
	return r;
}

/* mkdir spec/clusters/<c> of a cluster being deleted keeps it after all. */
static int spec_cluster_mkdir(ecsfs__fs *fs, const ecsfs__match *m, mode_t mode, ecsfs_err *err)
{
	if (ecsfs_cluster_keep(fs->store, m->cap[0]) == 0) {
		ecsfs__cluster_changed(fs, m->cap[0]);
		return 0;
	}
	return ecsfs__cluster_mkdir(fs, m, mode, err);
}

/* ---- cluster.json ---- */

int ecsfs__stored_exists(ecsfs__fs *fs, const ecsfs__match *m, int kind)
{
	ecsfs_file_meta meta;
	int r = ecsfs_store_file_get(fs->store, m->parent.data, m->name, &meta, NULL);
	return r == 0 && meta.kind != kind ? -ENOENT : r;
}

int ecsfs__spec_file_exists(ecsfs__fs *fs, const ecsfs__match *m)
{
	return ecsfs__stored_exists(fs, m, ECSFS_FILE_SPEC);
}

static int cluster_json_check(ecsfs__fs *fs, const ecsfs__match *m, const char *data, size_t len,
			      bool partial, ecsfs_err *err)
{
	return ecsfs_cluster_settings_check(m->cap[0], data, len, partial, err);
}

static int cluster_json_apply(ecsfs__fs *fs, const ecsfs__match *m, const char *data, size_t len,
			      const ecsfs_file_meta *meta, ecsfs_err *err)
{
	return ecsfs_cluster_settings_apply(fs->store, m->cap[0], data, len, meta, err);
}

static int cluster_json_unlink(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_err *err)
{
	return ecsfs_cluster_settings_clear(fs->store, m->cap[0], err);
}

/* ---- scratch files ---- */

static int scratch_exists(ecsfs__fs *fs, const ecsfs__match *m)
{
	return ecsfs__stored_exists(fs, m, ECSFS_FILE_SCRATCH);
}

static int scratch_apply(ecsfs__fs *fs, const ecsfs__match *m, const char *data, size_t len,
			 const ecsfs_file_meta *meta, ecsfs_err *err)
{
	ecsfs_file_meta mm = *meta;
	mm.kind = ECSFS_FILE_SCRATCH;
	int r = ecsfs_store_file_put(fs->store, m->parent.data, m->name, &mm, data, len);
	if (r < 0)
		ecsfs_buf_setf(&err->msg, "cannot store %s: %s", m->path.data,
			       ecsfs_store_last_error(fs->store));
	return r;
}

static int scratch_unlink(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_err *err)
{
	return ecsfs_store_file_delete(fs->store, m->parent.data, m->name);
}

const ecsfs__route ecsfs__route_scratch = {
    .pattern = "(scratch)",
    .type = S_IFREG,
    .perm = 0644,
    .flags = ECSFS__R_STORED | ECSFS__R_SCRATCH,
    .exists = scratch_exists,
    .apply = scratch_apply,
    .unlink = scratch_unlink,
};

/* ---- rsync --delay-updates' .~tmp~: a directory of scratch files ---- */

static int tmpdir_exists(ecsfs__fs *fs, const ecsfs__match *m)
{
	return ecsfs__stored_exists(fs, m, ECSFS_FILE_DIR);
}

static int tmpdir_mkdir(ecsfs__fs *fs, const ecsfs__match *m, mode_t mode, ecsfs_err *err)
{
	ecsfs_file_meta meta = {
	    .kind = ECSFS_FILE_DIR, .mode = mode & 07777, .mtime_ns = ecsfs_now_ns()};
	return ecsfs_store_file_put(fs->store, m->parent.data, m->name, &meta, NULL, 0);
}

static int tmpdir_rmdir(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_err *err)
{
	uint64_t n = 0;
	int r = ecsfs_store_file_count(fs->store, m->path.data, 0, &n, NULL);
	if (r == 0 && n > 0) {
		ecsfs_buf_setf(&err->msg, "%s is not empty", m->path.data);
		return -ENOTEMPTY;
	}
	return r < 0 ? r : ecsfs_store_file_delete(fs->store, m->parent.data, m->name);
}

const ecsfs__route ecsfs__route_tmpdir = {
    .pattern = "(.~tmp~)",
    .type = S_IFDIR,
    .perm = 0700,
    .flags = ECSFS__R_SCRATCH_DIR | ECSFS__R_KEEPMETA,
    .exists = tmpdir_exists,
    .mkdir = tmpdir_mkdir,
    .rmdir = tmpdir_rmdir,
};

const ecsfs__route ecsfs__routes_spec[] = {
    {.pattern = "/spec",
     .type = S_IFDIR,
     .perm = 0755,
     .flags = ECSFS__R_SCRATCH_DIR | ECSFS__R_KEEPMETA,
     .list = spec_list},
    /* families arrive with task definitions */
    ECSFS__SPEC_DIR("/spec/taskdefs", NULL),
    {.pattern = "/spec/clusters",
     .type = S_IFDIR,
     .perm = 0755,
     .flags = ECSFS__R_KEEPMETA,
     .list = clusters_list,
     .rmdir = clusters_rmdir},
    {.pattern = "/spec/clusters/*",
     .type = S_IFDIR,
     .perm = 0755,
     .flags = ECSFS__R_SCRATCH_DIR | ECSFS__R_KEEPMETA,
     .exists = ecsfs__spec_cluster_exists,
     .list = cluster_list,
     .mkdir = spec_cluster_mkdir,
     .rmdir = cluster_rmdir},
    ECSFS__SPEC_FILE("/spec/clusters/*/cluster.json", cluster_json_check, cluster_json_apply,
		     cluster_json_unlink),
    ECSFS__SPEC_DIR("/spec/clusters/*/services", ecsfs__cluster_exists),
    ECSFS__SPEC_DIR("/spec/clusters/*/schedules", ecsfs__cluster_exists),
    {0},
};
