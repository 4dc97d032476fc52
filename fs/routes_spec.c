/* spec/: desired state as plain files, and the scratch files beside them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/cluster.h"
#include "fs.h"

static int clusters_list(ecsfs__fs *fs, const ecsfs__match *m, ecsfs__dirlist *out)
{
	return ecsfs_store_cluster_list(fs->store, ecsfs__name_list_dir_cb, out);
}

static int count_cb(void *data, const char *name)
{
	(*(size_t *)data)++;
	return 0;
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
	if (r < 0)
		return r;
	size_t n = 0;
	if ((r = ecsfs_store_cluster_list(fs->store, count_cb, &n)) < 0)
		return r;
	if (n > 0)
		ecsfs__dirlist_add(out, "clusters", S_IFDIR);
	return 0;
}

static int cluster_list(ecsfs__fs *fs, const ecsfs__match *m, ecsfs__dirlist *out)
{
	int r;
	if (ecsfs_store_file_get(fs->store, m->path.data, "cluster.json", NULL, NULL) == 0)
		ecsfs__dirlist_add(out, "cluster.json", S_IFREG);
	if ((r = add_if_nonempty(fs, m->path.data, "services", out)) < 0)
		return r;
	return add_if_nonempty(fs, m->path.data, "schedules", out);
}

static int spec_files_list(ecsfs__fs *fs, const ecsfs__match *m, ecsfs__dirlist *out)
{
	return ecsfs_store_file_list(fs->store, m->path.data, ECSFS_FILE_SPEC, ecsfs__file_list_cb,
				     out);
}

/* rmdir of a fixed directory: a real rmdir's answer, and no effect. */
static int fixed_rmdir(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *why)
{
	uint64_t n = 0;
	int r = files_in(fs, m->path.data, &n);
	if (r < 0)
		return r;
	if (n > 0) {
		ecsfs_buf_setf(why, "%s is not empty", m->path.data);
		return -ENOTEMPTY;
	}
	return 0;
}

static int clusters_rmdir(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *why)
{
	ecsfs__dirlist l = {0};
	ecsfs_buf_init(&l.names);
	int r = clusters_list(fs, m, &l);
	if (r == 0 && l.n > 0) {
		ecsfs_buf_setf(why, "%s is not empty (%zu cluster%s)", m->path.data, l.n,
			       l.n == 1 ? "" : "s");
		r = -ENOTEMPTY;
	}
	ecsfs_buf_release(&l.names);
	free(l.types);
	return r;
}

/* rmdir spec/clusters/<c>: like a real rmdir, refused while files remain. */
static int cluster_rmdir(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *why)
{
	int r = ecsfs_cluster_delete(fs->store, m->cap[0], true, why);
	if (r == 0)
		ecsfs__cluster_changed(fs, m->cap[0]);
	return r;
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
			      bool partial, ecsfs_buf *why)
{
	return ecsfs_cluster_settings_check(m->cap[0], data, len, partial, why);
}

static int cluster_json_apply(ecsfs__fs *fs, const ecsfs__match *m, const char *data, size_t len,
			      const ecsfs_file_meta *meta, ecsfs_buf *why)
{
	return ecsfs_cluster_settings_apply(fs->store, m->cap[0], data, len, meta, why);
}

static int cluster_json_unlink(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *why)
{
	return ecsfs_cluster_settings_clear(fs->store, m->cap[0], why);
}

/* ---- scratch files ---- */

static int scratch_exists(ecsfs__fs *fs, const ecsfs__match *m)
{
	return ecsfs__stored_exists(fs, m, ECSFS_FILE_SCRATCH);
}

static int scratch_apply(ecsfs__fs *fs, const ecsfs__match *m, const char *data, size_t len,
			 const ecsfs_file_meta *meta, ecsfs_buf *why)
{
	ecsfs_file_meta mm = *meta;
	mm.kind = ECSFS_FILE_SCRATCH;
	int r = ecsfs_store_file_put(fs->store, m->parent.data, m->name, &mm, data, len);
	if (r < 0)
		ecsfs_buf_setf(why, "cannot store %s: %s", m->path.data,
			       ecsfs_store_last_error(fs->store));
	return r;
}

static int scratch_unlink(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *why)
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

const ecsfs__route ecsfs__routes_spec[] = {
    {.pattern = "/spec",
     .type = S_IFDIR,
     .perm = 0755,
     .flags = ECSFS__R_SCRATCH_DIR | ECSFS__R_KEEPMETA,
     .list = spec_list},
    /* families arrive with task definitions */
    {.pattern = "/spec/taskdefs",
     .type = S_IFDIR,
     .perm = 0755,
     .flags = ECSFS__R_SCRATCH_DIR | ECSFS__R_KEEPMETA,
     .list = spec_files_list,
     .rmdir = fixed_rmdir},
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
     .exists = ecsfs__cluster_exists,
     .list = cluster_list,
     .mkdir = ecsfs__cluster_mkdir,
     .rmdir = cluster_rmdir},
    {.pattern = "/spec/clusters/*/cluster.json",
     .type = S_IFREG,
     .perm = 0644,
     .flags = ECSFS__R_STORED | ECSFS__R_CREATE | ECSFS__R_GRACE,
     .exists = ecsfs__spec_file_exists,
     .check = cluster_json_check,
     .apply = cluster_json_apply,
     .unlink = cluster_json_unlink},
    {.pattern = "/spec/clusters/*/services",
     .type = S_IFDIR,
     .perm = 0755,
     .flags = ECSFS__R_SCRATCH_DIR | ECSFS__R_KEEPMETA,
     .exists = ecsfs__cluster_exists,
     .list = spec_files_list,
     .rmdir = fixed_rmdir},
    {.pattern = "/spec/clusters/*/schedules",
     .type = S_IFDIR,
     .perm = 0755,
     .flags = ECSFS__R_SCRATCH_DIR | ECSFS__R_KEEPMETA,
     .exists = ecsfs__cluster_exists,
     .rmdir = fixed_rmdir},
    {0},
};
