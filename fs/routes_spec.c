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

static bool deleting(ecsfs__fs *fs, const char *cluster);

static int spec_cluster_cb(void *data, const char *name)
{
	void **ctx = data;
	if (!deleting(ctx[0], name))
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
static int fixed_rmdir(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_err *err)
{
	uint64_t n = 0;
	int r = files_in(fs, m->path.data, &n);
	if (r < 0)
		return r;
	if (n > 0) {
		ecsfs_buf_setf(&err->msg, "%s is not empty", m->path.data);
		return -ENOTEMPTY;
	}
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

#define DELETING_KEY "deleting-clusters"

static json_t *deleting_load(ecsfs__fs *fs)
{
	ecsfs_buf v = ECSFS_BUF_INIT;
	json_t *a = NULL;
	if (ecsfs_store_meta_get(fs->store, DELETING_KEY, &v) == 0)
		a = json_loadb(v.data, v.len, 0, NULL);
	ecsfs_buf_release(&v);
	return json_is_array(a) ? a : (json_decref(a), json_array());
}

static void deleting_save(ecsfs__fs *fs, json_t *a)
{
	char *text = json_dumps(a, JSON_COMPACT);
	if (text)
		ecsfs_store_meta_put(fs->store, DELETING_KEY, text);
	free(text);
}

static bool deleting(ecsfs__fs *fs, const char *cluster)
{
	json_t *a = deleting_load(fs), *v;
	size_t i;
	bool found = false;
	json_array_foreach(a, i, v)
		found = found || strcmp(json_string_value(v), cluster) == 0;
	json_decref(a);
	return found;
}

static void deleting_set(ecsfs__fs *fs, const char *cluster, bool on)
{
	json_t *a = deleting_load(fs), *v;
	size_t i;
	json_array_foreach(a, i, v)
		if (strcmp(json_string_value(v), cluster) == 0) {
			json_array_remove(a, i);
			break;
		}
	if (on)
		json_array_append_new(a, json_string(cluster));
	deleting_save(fs, a);
	json_decref(a);
}

static int drain_cb(void *data, const char *name)
{
	void **ctx = data;
	ecsfs__fs *fs = ctx[0];
	ecsfs_service_delete(fs->services, ctx[1], name, true, NULL);
	return 0;
}

void ecsfs__clusters_sweep(ecsfs__fs *fs)
{
	json_t *a = deleting_load(fs), *v;
	size_t i;

	json_array_foreach(a, i, v) {
		const char *c = json_string_value(v);
		ecsfs_buf why = ECSFS_BUF_INIT;
		int r = c ? ecsfs_cluster_delete(fs->store, c, false, &why) : -ENOENT;
		if (r == 0 || r == -ENOENT) {
			char name[256];
			snprintf(name, sizeof(name), "%s", c ? c : "");
			deleting_set(fs, name, false);
			ecsfs__cluster_changed(fs, name);
			ecsfs_buf_release(&why);
			break; /* the array changed: the next sweep goes on */
		}
		ecsfs_buf_release(&why);
	}
	json_decref(a);
}

int ecsfs__spec_cluster_exists(ecsfs__fs *fs, const ecsfs__match *m)
{
	int r = ecsfs__cluster_exists(fs, m);
	return r == 0 && deleting(fs, m->cap[0]) ? -ENOENT : r;
}

/*
 * rmdir spec/clusters/<c>: like a real rmdir, refused while files remain.
 * When the repository dropped the cluster with its services (rsync --delete
 * removes their files first), the services drain and the cluster goes once
 * they are gone; the spec tree forgets it at once, like the repository.
 */
static int cluster_rmdir(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_err *err)
{
	int r = ecsfs_cluster_delete(fs->store, m->cap[0], true, &err->msg);
	if (r == -EBUSY && fs->services) {
		void *ctx[2] = {fs, (void *)m->cap[0]};
		ecsfs_service_list(fs->store, m->cap[0], drain_cb, ctx);
		deleting_set(fs, m->cap[0], true);
		ecsfs_cluster_event(fs->store, m->cap[0],
				    "(cluster %s) is being deleted: its services drain first.",
				    m->cap[0]);
		ecsfs_buf_reset(&err->msg);
		r = 0;
	}
	if (r == 0)
		ecsfs__cluster_changed(fs, m->cap[0]);
	return r;
}

/* mkdir spec/clusters/<c> of a cluster being deleted keeps it after all. */
static int spec_cluster_mkdir(ecsfs__fs *fs, const ecsfs__match *m, mode_t mode, ecsfs_err *err)
{
	if (deleting(fs, m->cap[0])) {
		deleting_set(fs, m->cap[0], false);
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
	return ecsfs_cluster_settings_apply(fs->store, m->cap[0], data, len, meta, &err->msg);
}

static int cluster_json_unlink(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_err *err)
{
	return ecsfs_cluster_settings_clear(fs->store, m->cap[0], &err->msg);
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
     .exists = ecsfs__spec_cluster_exists,
     .list = cluster_list,
     .mkdir = spec_cluster_mkdir,
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
