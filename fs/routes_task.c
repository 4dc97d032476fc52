/*
 * clusters/<c>/run and clusters/<c>/tasks/: starting tasks, and what each
 * task and container shows (core/task.c holds the model).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ecsfs/task.h"
#include "ecsfs/error.h"
#include "fs.h"

void ecsfs__tasks_changed(void *data, const char *cluster, const char *id)
{
	ecsfs__fs *fs = data;
	ecsfs_buf path = ECSFS_BUF_INIT;

	ecsfs_buf_addf(&path, "/clusters/%s/tasks", cluster);
	ecsfs__invalidate_inode(fs, path.data);
	ecsfs_buf_addf(&path, "/%s", id);
	ecsfs__invalidate_entry(fs, path.data);
	ecsfs_buf_release(&path);
	/* a service may want to replace it */
	ecsfs_services_kick(fs->services);
}

/* Without an engine client (a bad --docker), tasks cannot exist. */
static int no_tasks(ecsfs_err *err)
{
	ecsfs_buf_setf(&err->msg,
		       "no container runtime: the daemon could not use its --docker endpoint");
	return -EIO;
}

/* ---- run ---- */

static int run_check(ecsfs__fs *fs, const ecsfs__match *m, const char *data, size_t len,
		     bool partial, ecsfs_err *err)
{
	if (!fs->tasks)
		return no_tasks(err);
	return ecsfs_tasks_run_check(fs->tasks, m->cap[0], data, len, partial, &err->msg);
}

static int run_apply(ecsfs__fs *fs, const ecsfs__match *m, const char *data, size_t len,
		     const ecsfs_file_meta *meta, ecsfs_err *err)
{
	ecsfs_buf ids = ECSFS_BUF_INIT;
	int r;

	if (!fs->tasks)
		return no_tasks(err);
	r = ecsfs_tasks_run(fs->tasks, m->cap[0], data, len, &ids, &err->msg);
	if (r == 0) {
		ecsfs_buf_reset(&err->msg);
		ecsfs_buf_add(&err->msg, ids.data, ids.len);
	}
	ecsfs_buf_release(&ids);
	return r;
}

/* ---- tasks/ ---- */

static int add_dir(void *data, const char *name)
{
	ecsfs__dirlist_add(data, name, S_IFDIR);
	return 0;
}

static int tasks_list(ecsfs__fs *fs, const ecsfs__match *m, ecsfs__dirlist *out)
{
	return fs->tasks ? ecsfs_tasks_list(fs->tasks, m->cap[0], add_dir, out) : 0;
}

static int task_exists(ecsfs__fs *fs, const ecsfs__match *m)
{
	return fs->tasks ? ecsfs_tasks_exists(fs->tasks, m->cap[0], m->cap[1], NULL) : -ENOENT;
}

static int container_exists(ecsfs__fs *fs, const ecsfs__match *m)
{
	return fs->tasks ? ecsfs_tasks_exists(fs->tasks, m->cap[0], m->cap[1], m->cap[2]) : -ENOENT;
}

static int task_list(ecsfs__fs *fs, const ecsfs__match *m, ecsfs__dirlist *out)
{
	ecsfs__dirlist_add(out, "task.json", S_IFREG);
	ecsfs__dirlist_add(out, "status", S_IFREG);
	ecsfs__dirlist_add(out, "stop", S_IFREG);
	ecsfs__dirlist_add(out, "logs", S_IFREG);
	ecsfs__dirlist_add(out, "containers", S_IFDIR);
	return 0;
}

static int task_json_read(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out)
{
	return ecsfs_tasks_describe(fs->tasks, m->cap[0], m->cap[1], out);
}

static int task_status_read(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out)
{
	return ecsfs_tasks_status(fs->tasks, m->cap[0], m->cap[1], NULL, out);
}

/* stop: the verdict comes at the first write, so `echo` sees a refusal. */
static int stop_check(ecsfs__fs *fs, const ecsfs__match *m, const char *data, size_t len,
		      bool partial, ecsfs_err *err)
{
	return ecsfs_tasks_stop_check(fs->tasks, m->cap[0], m->cap[1], data, len, &err->msg);
}

static int stop_apply(ecsfs__fs *fs, const ecsfs__match *m, const char *data, size_t len,
		      const ecsfs_file_meta *meta, ecsfs_err *err)
{
	return ecsfs_tasks_stop(fs->tasks, m->cap[0], m->cap[1], data, len, &err->msg);
}

static int stop_getattr(ecsfs__fs *fs, const ecsfs__match *m, struct stat *st)
{
	st->st_size = 0;
	return 0;
}

/* ---- logs: files under the state directory, served as they grow ---- */

static int log_path(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *path)
{
	return ecsfs_tasks_log_path(fs->tasks, m->cap[0], m->cap[1], m->ncap > 2 ? m->cap[2] : NULL,
				    path);
}

static int log_getattr(ecsfs__fs *fs, const ecsfs__match *m, struct stat *st)
{
	ecsfs_buf path = ECSFS_BUF_INIT;
	struct stat fst;
	int r = log_path(fs, m, &path);

	if (r == 0) {
		st->st_size = 0;
		if (stat(path.data, &fst) == 0) {
			st->st_size = fst.st_size;
			st->st_mtim = fst.st_mtim;
			st->st_ctim = fst.st_ctim;
		}
	}
	ecsfs_buf_release(&path);
	return r;
}

static int log_read_at(ecsfs__fs *fs, const ecsfs__match *m, uint64_t off, size_t len,
		       ecsfs_buf *out)
{
	ecsfs_buf path = ECSFS_BUF_INIT;
	int r = log_path(fs, m, &path), fd;
	ssize_t n;

	if (r < 0)
		goto out;
	fd = open(path.data, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = errno == ENOENT ? 0 : -errno; /* nothing written yet */
		goto out;
	}
	char *tmp = malloc(len ? len : 1);
	if (!tmp)
		abort();
	n = pread(fd, tmp, len, (off_t)off);
	if (n < 0)
		r = -errno;
	else
		ecsfs_buf_add(out, tmp, (size_t)n);
	free(tmp);
	close(fd);
out:
	ecsfs_buf_release(&path);
	return r;
}

/* ---- containers/ ---- */

static int containers_list(ecsfs__fs *fs, const ecsfs__match *m, ecsfs__dirlist *out)
{
	return ecsfs_tasks_containers(fs->tasks, m->cap[0], m->cap[1], add_dir, out);
}

static int container_list(ecsfs__fs *fs, const ecsfs__match *m, ecsfs__dirlist *out)
{
	ecsfs__dirlist_add(out, "status", S_IFREG);
	ecsfs__dirlist_add(out, "logs", S_IFREG);
	return 0;
}

static int container_status_read(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out)
{
	return ecsfs_tasks_status(fs->tasks, m->cap[0], m->cap[1], m->cap[2], out);
}

const ecsfs__route ecsfs__routes_task[] = {
    {.pattern = "/clusters/*/run",
     .type = S_IFREG,
     .perm = 0666,
     .flags = ECSFS__R_RESULT,
     .exists = ecsfs__cluster_exists,
     .check = run_check,
     .apply = run_apply},
    {.pattern = "/clusters/*/tasks",
     .type = S_IFDIR,
     .perm = 0755,
     .exists = ecsfs__cluster_exists,
     .list = tasks_list},
    {.pattern = "/clusters/*/tasks/*",
     .type = S_IFDIR,
     .perm = 0755,
     .exists = task_exists,
     .list = task_list},
    {.pattern = "/clusters/*/tasks/*/task.json",
     .type = S_IFREG,
     .perm = 0444,
     .flags = ECSFS__R_GENERATED,
     .exists = task_exists,
     .read = task_json_read},
    {.pattern = "/clusters/*/tasks/*/status",
     .type = S_IFREG,
     .perm = 0444,
     .flags = ECSFS__R_GENERATED,
     .exists = task_exists,
     .read = task_status_read},
    {.pattern = "/clusters/*/tasks/*/stop",
     .type = S_IFREG,
     .perm = 0200,
     .exists = task_exists,
     .getattr = stop_getattr,
     .check = stop_check,
     .apply = stop_apply},
    {.pattern = "/clusters/*/tasks/*/logs",
     .type = S_IFREG,
     .perm = 0444,
     .flags = ECSFS__R_APPEND,
     .exists = task_exists,
     .getattr = log_getattr,
     .read_at = log_read_at},
    {.pattern = "/clusters/*/tasks/*/containers",
     .type = S_IFDIR,
     .perm = 0755,
     .exists = task_exists,
     .list = containers_list},
    {.pattern = "/clusters/*/tasks/*/containers/*",
     .type = S_IFDIR,
     .perm = 0755,
     .exists = container_exists,
     .list = container_list},
    {.pattern = "/clusters/*/tasks/*/containers/*/status",
     .type = S_IFREG,
     .perm = 0444,
     .flags = ECSFS__R_GENERATED,
     .exists = container_exists,
     .read = container_status_read},
    {.pattern = "/clusters/*/tasks/*/containers/*/logs",
     .type = S_IFREG,
     .perm = 0444,
     .flags = ECSFS__R_APPEND,
     .exists = container_exists,
     .getattr = log_getattr,
     .read_at = log_read_at},
    {0},
};
