/* clusters/<cluster>/: the live view of a cluster. */
#include <errno.h>
#include <string.h>

#include "ecsfs/cluster.h"
#include "ecsfs/error.h"
#include "ecsfs/util.h"
#include "fs.h"

int ecsfs__cluster_exists(ecsfs__fs *fs, const ecsfs__match *m)
{
	return ecsfs_store_cluster_exists(fs->store, m->cap[0]) ? 0 : -ENOENT;
}

void ecsfs__cluster_changed(ecsfs__fs *fs, const char *name)
{
	ecsfs_buf path = ECSFS_BUF_INIT;
	if (fs->tasks && !ecsfs_store_cluster_exists(fs->store, name))
		ecsfs_tasks_forget_cluster(fs->tasks, name);
	ecsfs_buf_addf(&path, "/clusters/%s", name);
	ecsfs__invalidate_entry(fs, path.data);
	ecsfs_buf_reset(&path);
	ecsfs_buf_addf(&path, "/spec/clusters/%s", name);
	ecsfs__invalidate_entry(fs, path.data);
	ecsfs__invalidate_inode(fs, "/clusters");
	ecsfs__invalidate_inode(fs, "/spec/clusters");
	ecsfs__cache_changed(fs, name, NULL);
	ecsfs_buf_release(&path);
}

int ecsfs__cluster_mkdir(ecsfs__fs *fs, const ecsfs__match *m, mode_t mode, ecsfs_err *err)
{
	int r = ecsfs_cluster_create(fs->store, m->cap[0], err);
	if (r == 0)
		ecsfs__cluster_changed(fs, m->cap[0]);
	return r;
}

static int clusters_list(ecsfs__fs *fs, const ecsfs__match *m, ecsfs__dirlist *out)
{
	return ecsfs_store_cluster_list(fs->store, ecsfs__name_list_dir_cb, out);
}

static int cluster_list(ecsfs__fs *fs, const ecsfs__match *m, ecsfs__dirlist *out)
{
	ecsfs__dirlist_add(out, "cluster.json", S_IFREG);
	ecsfs__dirlist_add(out, "status", S_IFREG);
	ecsfs__dirlist_add(out, "events", S_IFREG);
	ecsfs__dirlist_add(out, "run", S_IFREG);
	ecsfs__dirlist_add(out, "services", S_IFDIR);
	ecsfs__dirlist_add(out, "instances", S_IFDIR);
	ecsfs__schedules_dir(fs, m->cap[0], out);
	ecsfs__dirlist_add(out, "tasks", S_IFDIR);
	ecsfs__metrics_dir(fs, out);
	return 0;
}

/* rmdir clusters/<c> is delete-cluster: refused while services or tasks
 * use it, and it takes the cluster's spec files with it. */
static int cluster_rmdir(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_err *err)
{
	int r = ecsfs_cluster_delete(fs->store, m->cap[0], false, err);
	if (r == 0)
		ecsfs__cluster_changed(fs, m->cap[0]);
	return r;
}

static int describe_read(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out)
{
	ecsfs_runtime_info info;
	ecsfs_cluster_counts n;
	ecsfs_err err = ECSFS_ERR_INIT;
	json_t *j;

	ecsfs_cluster_gather(fs->store, fs->rt, fs->tasks, m->cap[0], &info, &n);
	int r = ecsfs_cluster_describe(fs->store, m->cap[0], &info, &n, &j, &err);
	if (r == 0) {
		ecsfs_json_pretty(j, out);
		json_decref(j);
	}
	ecsfs_err_release(&err);
	return r;
}

static int status_read(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out)
{
	ecsfs_runtime_info info;
	ecsfs_cluster_counts n;

	ecsfs_cluster_gather(fs->store, fs->rt, fs->tasks, m->cap[0], &info, &n);
	return ecsfs_cluster_status(fs->store, m->cap[0], &info, &n, out);
}

static int events_getattr(ecsfs__fs *fs, const ecsfs__match *m, struct stat *st)
{
	ecsfs_buf stream = ECSFS_BUF_INIT;
	ecsfs_cluster_events_stream(m->cap[0], &stream);
	int r = ecsfs__journal_getattr(fs, stream.data, st);
	ecsfs_buf_release(&stream);
	return r;
}

static int events_read_at(ecsfs__fs *fs, const ecsfs__match *m, uint64_t off, size_t len,
			  ecsfs_buf *out)
{
	ecsfs_buf stream = ECSFS_BUF_INIT;
	ecsfs_cluster_events_stream(m->cap[0], &stream);
	int r = ecsfs_store_journal_read(fs->store, stream.data, off, len, out);
	ecsfs_buf_release(&stream);
	return r;
}

const ecsfs__route ecsfs__routes_cluster[] = {
    {.pattern = "/clusters", .type = S_IFDIR, .perm = 0755, .list = clusters_list},
    {.pattern = "/clusters/*",
     .type = S_IFDIR,
     .perm = 0755,
     .exists = ecsfs__cluster_exists,
     .list = cluster_list,
     .mkdir = ecsfs__cluster_mkdir,
     .rmdir = cluster_rmdir},
    {.pattern = "/clusters/*/cluster.json",
     .type = S_IFREG,
     .perm = 0444,
     .flags = ECSFS__R_GENERATED | ECSFS__R_STORE_VIEW,
     .exists = ecsfs__cluster_exists,
     .read = describe_read},
    {.pattern = "/clusters/*/status",
     .type = S_IFREG,
     .perm = 0444,
     .flags = ECSFS__R_GENERATED | ECSFS__R_STORE_VIEW,
     .exists = ecsfs__cluster_exists,
     .read = status_read},
    {.pattern = "/clusters/*/events",
     .type = S_IFREG,
     .perm = 0444,
     .flags = ECSFS__R_APPEND,
     .exists = ecsfs__cluster_exists,
     .getattr = events_getattr,
     .read_at = events_read_at},
    /* services and tasks arrive with their issues */
    {0},
};
