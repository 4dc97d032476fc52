/*
 * ecsfs — tasks: what they may hold of the process's file descriptors. Each
 * container whose output is captured holds its log, its position file and
 * its time index open, and one engine connection follows its output; each
 * task holds its combined log. A task that would take more than is left is
 * refused with a reason, before anything of it exists: running out of
 * descriptors later would fail log capture, the store and the API at once.
 */
#include <errno.h>
#include <sys/resource.h>

#include "task_private.h"

size_t ecsfs__task_fds(size_t containers)
{
	return ECSFS_TASK_FDS_PER_CONTAINER * containers + 1;
}

/* What tasks may hold: the budget set, else RLIMIT_NOFILE less what the
 * rest of the daemon holds at most (0: no limit). */
static size_t fd_budget(const ecsfs_tasks *t, size_t *limit)
{
	struct rlimit rl;

	*limit = 0;
	if (t->fd_budget)
		return t->fd_budget;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return 0;
	*limit = (size_t)rl.rlim_cur;
	return rl.rlim_cur > ECSFS_FDS_RESERVED ? (size_t)rl.rlim_cur - ECSFS_FDS_RESERVED : 1;
}

/* Descriptors the tasks not yet STOPPED may hold. */
static size_t fds_held(const ecsfs_tasks *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n; i++)
		if (t->v[i]->last != T_STOPPED)
			n += ecsfs__task_fds(t->v[i]->nc);
	return n;
}

int ecsfs__tasks_fd_check(ecsfs_tasks *t, size_t containers, long count, ecsfs_err *err)
{
	size_t limit, budget = fd_budget(t, &limit), held, want;

	if (!budget)
		return 0;
	held = fds_held(t);
	want = ecsfs__task_fds(containers) * (size_t)count;
	if (held + want <= budget)
		return 0;
	if (limit)
		return ecsfs_err_set(err, ECSFS_E_LIMIT_EXCEEDED, -EAGAIN,
				     "run: %ld task%s of %zu container%s would hold %zu more file "
				     "descriptors; tasks hold up to %zu of the %zu left to them "
				     "(RLIMIT_NOFILE %zu less %d for the daemon)",
				     count, count == 1 ? "" : "s", containers,
				     containers == 1 ? "" : "s", want, held, budget, limit,
				     ECSFS_FDS_RESERVED);
	return ecsfs_err_set(err, ECSFS_E_LIMIT_EXCEEDED, -EAGAIN,
			     "run: %ld task%s would hold %zu more file descriptors; tasks hold up "
			     "to %zu of the %zu allowed",
			     count, count == 1 ? "" : "s", want, held, budget);
}

void ecsfs_tasks_set_fd_budget(ecsfs_tasks *t, size_t fds)
{
	t->fd_budget = fds;
}
