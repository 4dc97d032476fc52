/*
 * Kernel cache invalidations. They are written to /dev/fuse from a thread
 * of their own: the kernel may need an answer from the loop thread before
 * it completes one, so sending them from the loop could deadlock. The
 * answer to a request that changed something can wait in the same queue
 * (ecsfs__notify_reply), so that the syscall returns only once the kernel
 * has dropped what the change made stale.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fs.h"

struct item {
	struct item *next;
	uint64_t ino;	/* parent for an entry */
	char *name;	/* NULL: an inode */
	fuse_req_t req; /* not NULL: answer it (errno err), after what came before */
	int err;
};

struct ecsfs__notify {
	struct fuse_session *se;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_cond_t idle; /* signalled when nothing is queued or being sent */
	struct item *head, **tail;
	size_t queued;
	bool busy; /* an item is being sent */
	bool stop;
	void (*on_exit)(void *data);
	void *data;
};

/* Beyond this many queued, drop new ones: the kernel times entries out anyway. */
#define NOTIFY_QUEUE_MAX 65536

static void *run(void *arg)
{
	struct ecsfs__notify *n = arg;

	pthread_mutex_lock(&n->lock);
	for (;;) {
		while (!n->head && !n->stop)
			pthread_cond_wait(&n->cond, &n->lock);
		if (n->stop)
			break; /* what is queued is dropped: see ecsfs__notify_stop() */
		struct item *it = n->head;
		n->head = it->next;
		if (!n->head)
			n->tail = &n->head;
		n->queued--;
		n->busy = true;
		pthread_mutex_unlock(&n->lock);
		/* ENOENT (the kernel does not know it) is the common, harmless answer */
		if (it->req)
			fuse_reply_err(it->req, it->err);
		else if (it->name)
			fuse_lowlevel_notify_inval_entry(n->se, it->ino, it->name,
							 strlen(it->name));
		else
			fuse_lowlevel_notify_inval_inode(n->se, it->ino, 0, 0);
		free(it->name);
		free(it);
		pthread_mutex_lock(&n->lock);
		n->busy = false;
		if (!n->head)
			pthread_cond_broadcast(&n->idle);
	}
	while (n->head) {
		struct item *it = n->head;
		n->head = it->next;
		if (it->req) /* never left unanswered */
			fuse_reply_err(it->req, it->err);
		free(it->name);
		free(it);
	}
	n->tail = &n->head;
	n->queued = 0;
	pthread_cond_broadcast(&n->idle);
	pthread_mutex_unlock(&n->lock);
	if (n->on_exit)
		n->on_exit(n->data);
	return NULL;
}

struct ecsfs__notify *ecsfs__notify_start(struct fuse_session *se, void (*on_exit)(void *),
					  void *data)
{
	struct ecsfs__notify *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->se = se;
	n->on_exit = on_exit;
	n->data = data;
	n->tail = &n->head;
	pthread_mutex_init(&n->lock, NULL);
	pthread_cond_init(&n->cond, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&n->idle, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&n->thread, NULL, run, n) != 0) {
		pthread_mutex_destroy(&n->lock);
		pthread_cond_destroy(&n->cond);
		pthread_cond_destroy(&n->idle);
		free(n);
		return NULL;
	}
	return n;
}

void ecsfs__notify_stop(struct ecsfs__notify *n)
{
	if (!n)
		return;
	pthread_mutex_lock(&n->lock);
	n->stop = true;
	pthread_cond_signal(&n->cond);
	pthread_mutex_unlock(&n->lock);
}

void ecsfs__notify_join(struct ecsfs__notify *n)
{
	if (!n)
		return;
	ecsfs__notify_stop(n);
	pthread_join(n->thread, NULL);
	pthread_mutex_destroy(&n->lock);
	pthread_cond_destroy(&n->cond);
	pthread_cond_destroy(&n->idle);
	free(n);
}

static void push(struct ecsfs__notify *n, uint64_t ino, const char *name, fuse_req_t req, int err)
{
	struct item *it;

	if (!n)
		return;
	it = calloc(1, sizeof(*it));
	if (!it || (name && !(it->name = strdup(name))))
		abort();
	it->ino = ino;
	it->req = req;
	it->err = err;
	pthread_mutex_lock(&n->lock);
	if (n->stop && req) {
		pthread_mutex_unlock(&n->lock);
		fuse_reply_err(req, err);
		free(it);
		return;
	}
	if (!req && (n->queued >= NOTIFY_QUEUE_MAX || n->stop)) {
		pthread_mutex_unlock(&n->lock);
		free(it->name);
		free(it);
		return;
	}
	*n->tail = it;
	n->tail = &it->next;
	n->queued++;
	pthread_cond_signal(&n->cond);
	pthread_mutex_unlock(&n->lock);
}

void ecsfs__notify_entry(struct ecsfs__notify *n, uint64_t parent, const char *name)
{
	push(n, parent, name, NULL, 0);
}

void ecsfs__notify_inode(struct ecsfs__notify *n, uint64_t ino)
{
	push(n, ino, NULL, NULL, 0);
}

void ecsfs__notify_reply(struct ecsfs__notify *n, fuse_req_t req, int err)
{
	if (!n)
		fuse_reply_err(req, err);
	else
		push(n, 0, NULL, req, err);
}

bool ecsfs__notify_drain(struct ecsfs__notify *n, int timeout_ms)
{
	struct timespec until;
	bool drained;

	if (!n)
		return true;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&n->lock);
	while ((n->head || n->busy) && !n->stop)
		if (pthread_cond_timedwait(&n->idle, &n->lock, &until) != 0)
			break;
	drained = !n->head && !n->busy;
	pthread_mutex_unlock(&n->lock);
	return drained;
}
