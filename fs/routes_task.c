/*
 * clusters/<c>/run and clusters/<c>/tasks/: starting tasks, and what each
 * task and container shows (core/model/task*.c hold the model).
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "ecsfs/placement.h"
#include "ecsfs/task.h"
#include "ecsfs/error.h"
#include "ecsfs/util.h"
#include "fs.h"

void ecsfs__tasks_changed(void *data, const char *cluster, const char *id)
{
	ecsfs__fs *fs = data;
	ecsfs_buf path = ECSFS_BUF_INIT;

	ecsfs_buf_addf(&path, "/clusters/%s/tasks", cluster);
	ecsfs__invalidate_inode(fs, path.data);
	ecsfs_buf_addf(&path, "/%s", id);
	ecsfs__invalidate_entry(fs, path.data);
	ecsfs__cache_changed(fs, cluster, id);
	ecsfs_buf_release(&path);
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
	return ecsfs_tasks_run_check(fs->tasks, m->cap[0], data, len, partial, err);
}

/* A read of the same open file answers the new ids, one a line. */
static int run_apply(ecsfs__fs *fs, const ecsfs__match *m, const char *data, size_t len,
		     const ecsfs_file_meta *meta, ecsfs_err *err)
{
	json_t *request = NULL, *ids = NULL, *id, *failures = NULL;
	size_t i;
	int r;

	if (!fs->tasks)
		return no_tasks(err);
	if ((r = ecsfs_tasks_run_request(data, len, false, &request, err)) == 0) {
		ecsfs_task_launch l = {.request = request};
		r = ecsfs_tasks_start_placed(fs->tasks, m->cap[0], &l, &ids, &failures, err);
	}
	/* as RunTask: as many as fit start; none fitting is the write's error */
	if (r == 0 && json_array_size(ids) == 0 && json_array_size(failures))
		r = ecsfs_place_failures_err(failures, err);
	json_decref(failures);
	if (r == 0) {
		ecsfs_buf_reset(&err->msg);
		json_array_foreach(ids, i, id)
			ecsfs_buf_addf(&err->msg, "%s\n", json_string_value(id));
	}
	json_decref(ids);
	json_decref(request);
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
	ecsfs__metrics_dir(fs, out);
	return 0;
}

static int task_json_read(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out)
{
	json_t *task = NULL;
	int r = ecsfs_tasks_describe(fs->tasks, m->cap[0], m->cap[1], &task);

	if (r == 0)
		ecsfs_json_pretty(task, out);
	json_decref(task);
	return r;
}

static int task_status_read(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out)
{
	return ecsfs_tasks_status(fs->tasks, m->cap[0], m->cap[1], NULL, out);
}

/* stop: the verdict comes at the first write, so `echo` sees a refusal. */
static int stop_check(ecsfs__fs *fs, const ecsfs__match *m, const char *data, size_t len,
		      bool partial, ecsfs_err *err)
{
	return ecsfs_tasks_stop_check(fs->tasks, m->cap[0], m->cap[1], data, len, err);
}

static int stop_apply(ecsfs__fs *fs, const ecsfs__match *m, const char *data, size_t len,
		      const ecsfs_file_meta *meta, ecsfs_err *err)
{
	return ecsfs_tasks_stop(fs->tasks, m->cap[0], m->cap[1], data, len, err);
}

static int stop_getattr(ecsfs__fs *fs, const ecsfs__match *m, struct stat *st)
{
	st->st_size = 0;
	return 0;
}

/* ---- logs: captured output, served as it grows ---- */

static const char *log_container(const ecsfs__match *m)
{
	return m->ncap > 2 ? m->cap[2] : NULL;
}

static int log_getattr(ecsfs__fs *fs, const ecsfs__match *m, struct stat *st)
{
	uint64_t size;
	struct timespec mtime;
	int r =
	    ecsfs_tasks_log_stat(fs->tasks, m->cap[0], m->cap[1], log_container(m), &size, &mtime);

	if (r == 0) {
		st->st_size = (off_t)size;
		if (mtime.tv_sec || mtime.tv_nsec) {
			st->st_mtim = mtime;
			st->st_ctim = mtime;
		}
	}
	return r;
}

static int log_read_at(ecsfs__fs *fs, const ecsfs__match *m, uint64_t off, size_t len,
		       ecsfs_buf *out)
{
	return ecsfs_tasks_log_read(fs->tasks, m->cap[0], m->cap[1], log_container(m), off, len,
				    out);
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
