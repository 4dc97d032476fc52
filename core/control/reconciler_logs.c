/*
 * ecsfs — log capture: every container's output followed from the engine
 * into STATE/logs/<task>/<container>.log and the task's merged ~task.log,
 * resuming exactly past the last line on disk after a restart.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "control/reconciler_private.h"

/* ---- log capture ---- */

static int open_file(struct task *k, const char *container, const char *ext, int flags)
{
	ecsfs_buf path = ECSFS_BUF_INIT;
	int fd;

	ecsfs_buf_addf(&path, "%s/%s", k->owner->log_dir, k->id);
	if (mkdir(path.data, 0700) < 0 && errno != EEXIST) {
		ecsfs_buf_release(&path);
		return -1;
	}
	ecsfs_buf_addf(&path, "/%s.%s", container, ext);
	fd = open(path.data, flags | O_CLOEXEC, 0600);
	ecsfs_buf_release(&path);
	return fd;
}

static int open_log(struct task *k, const char *container)
{
	return open_file(k, container, "log", O_WRONLY | O_CREAT | O_APPEND);
}

/*
 * Where capture stands is kept beside the log, written with every line:
 * the state document is not written that often, and after a kill -9 the
 * next follower must start exactly past the last line on disk.
 */
static void save_pos(struct ctr *c)
{
	if (c->pos_fd < 0)
		c->pos_fd = open_file(c->task, c->name, "pos", O_RDWR | O_CREAT);
	if (c->pos_fd >= 0 && pwrite(c->pos_fd, &c->log_ts, sizeof(c->log_ts), 0) < 0) {
		/* a full disk: the next follower may repeat some lines */
	}
}

static int64_t load_pos(struct ctr *c)
{
	int64_t ts = 0;
	int fd = open_file(c->task, c->name, "pos", O_RDONLY);
	if (fd >= 0) {
		if (pread(fd, &ts, sizeof(ts), 0) != (ssize_t)sizeof(ts))
			ts = 0;
		close(fd);
	}
	return ts;
}

static void on_log_line(void *data, int stream, int64_t ts_ns, const char *line, size_t len)
{
	struct op *o = data;
	struct ctr *c = o->c;
	struct task *k = o->k;
	struct iovec iov[4];
	static const char nl = '\n', bar[] = " | ";

	if (!o->t || !c)
		return;
	/* after a restart the engine repeats what came before its `since`;
	 * pieces of one long line share a timestamp, so only the replay is
	 * compared */
	if (o->replaying) {
		if (ts_ns && ts_ns <= c->log_ts)
			return;
		o->replaying = false;
	}
	if (ts_ns)
		c->log_ts = ts_ns;
	if (c->log_bytes + len + 1 > ECSFS_TASK_LOG_MAX)
		return;
	if (c->log_fd < 0)
		c->log_fd = open_log(k, c->name);
	if (k->task_log_fd < 0)
		k->task_log_fd = open_log(k, "~task");
	iov[0].iov_base = (void *)line;
	iov[0].iov_len = len;
	iov[1].iov_base = (void *)&nl;
	iov[1].iov_len = 1;
	if (c->log_fd >= 0 && writev(c->log_fd, iov, 2) == (ssize_t)(len + 1)) {
		ecsfs_logindex_note(&c->idx, k->owner->log_dir, k->id, c->name, c->log_bytes,
				    ts_ns);
		c->log_bytes += len + 1;
	}
	if (ts_ns)
		save_pos(c);
	iov[0].iov_base = c->name;
	iov[0].iov_len = strlen(c->name);
	iov[1].iov_base = (void *)bar;
	iov[1].iov_len = 3;
	iov[2].iov_base = (void *)line;
	iov[2].iov_len = len;
	iov[3].iov_base = (void *)&nl;
	iov[3].iov_len = 1;
	if (k->task_log_fd >= 0 && writev(k->task_log_fd, iov, 4) < 0) {
		/* a full disk loses merged lines; the container's own file has them */
	}
}

static void on_log_end(void *data, int err)
{
	struct op *o = data;
	struct ctr *c = o->c;

	if (o->t && c) {
		c->follow = NULL;
		o->logs = NULL;
		if (err == 0 || err == -ENOENT)
			c->logs_done = true;
		else if (err != -ECANCELED)
			o->k->retry_at = ecsfs__rc_retry_at();
		ecsfs__task_persist(o->k); /* keeps log_ts for the next follower */
	}
	ecsfs__rc_op_done(o);
}

/* Follow the output of every container that has some to give. */
void ecsfs__rc_ensure_logs(struct task *k)
{
	for (size_t i = 0; i < k->nc; i++) {
		struct ctr *c = &k->c[i];
		struct op *o;

		if (!c->runtime_id || c->gone || c->follow || c->logs_done ||
		    (c->state != C_RUNNING && c->state != C_STOPPED))
			continue;
		o = ecsfs__rc_op_new(k->owner, k, c);
		/* a follower does not hold the task's next step back */
		k->inflight--;
		o->counted = false;
		int64_t pos = load_pos(c);
		struct stat st;
		if (pos > c->log_ts)
			c->log_ts = pos;
		if (c->log_fd < 0)
			c->log_fd = open_log(k, c->name);
		if (c->log_fd >= 0 && fstat(c->log_fd, &st) == 0)
			c->log_bytes = (uint64_t)st.st_size;
		o->replaying = c->log_ts != 0;
		o->logs = ops(k->eng)->logs(k->eng->rt, c->runtime_id, c->log_ts, on_log_line,
					    on_log_end, o);
		if (!o->logs) {
			k->retry_at = ecsfs__rc_retry_at();
			ecsfs__rc_op_unlink(o);
			free(o);
			continue;
		}
		c->follow = o->logs;
	}
}
