/* ecsfs — process and file helpers of the HAProxy driver: running the
 * haproxy program detached from the daemon, telling whether a pid is still
 * ours, probing a listen address, files written by rename. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include "runtime/haproxy_private.h"

extern char **environ;

bool ecsfs__hap_pid_alive(int pid, const char *needle)
{
	char path[64], state = 0;
	ecsfs_buf text = ECSFS_BUF_INIT;
	const char *p;
	bool alive = false;
	size_t i;

	if (pid <= 1 || kill(pid, 0) < 0)
		return false;
	/* a zombie answers kill(0) but serves nothing: its parent (init, when
	 * it was a daemon) may never reap it */
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (ecsfs__hap_read_file(path, &text) < 0)
		goto out;
	p = strrchr(text.data, ')');
	if (!p || sscanf(p + 1, " %c", &state) != 1 || state == 'Z' || state == 'X')
		goto out;
	if (!needle) {
		alive = true;
		goto out;
	}
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	ecsfs_buf_reset(&text);
	if (ecsfs__hap_read_file(path, &text) < 0)
		goto out;
	for (i = 0; i < text.len; i++)
		if (text.data[i] == '\0')
			text.data[i] = ' ';
	alive = strstr(text.data, needle) != NULL;
out:
	ecsfs_buf_release(&text);
	return alive;
}

static bool executable(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

char *ecsfs__hap_find_binary(const char *name, ecsfs_buf *where)
{
	const char *path = getenv("PATH"), *p, *end;
	ecsfs_buf dirs = ECSFS_BUF_INIT, cand = ECSFS_BUF_INIT;
	char *found = NULL;

	if (strchr(name, '/')) {
		ecsfs_buf_adds(where, name);
		return executable(name) ? strdup(name) : NULL;
	}
	ecsfs_buf_addf(&dirs, "%s:/usr/sbin:/usr/local/sbin:/sbin", path ? path : "");
	for (p = dirs.data; !found && *p; p = *end ? end + 1 : end) {
		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		if (end == p)
			continue;
		ecsfs_buf_setf(&cand, "%.*s/%s", (int)(end - p), p, name);
		if (executable(cand.data))
			found = strdup(cand.data);
	}
	ecsfs_buf_addf(where, "%s in PATH, /usr/sbin, /usr/local/sbin and /sbin", name);
	ecsfs_buf_release(&dirs);
	ecsfs_buf_release(&cand);
	return found;
}

int ecsfs__hap_probe_bind(const char *addr, int port)
{
	struct sockaddr_storage ss = {0};
	socklen_t len;
	int fd, one = 1, rc = 0;

	if (strchr(addr, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1)
			return -EINVAL;
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, addr, &s4->sin_addr) != 1)
			return -EINVAL;
		len = sizeof(*s4);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* as HAProxy does: SO_REUSEADDR, so a port in TIME_WAIT is free; no
	 * SO_REUSEPORT, so a port another program listens on is not */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 1) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

int ecsfs__hap_write_file(const char *path, const char *data, size_t len)
{
	ecsfs_buf tmp = ECSFS_BUF_INIT;
	int fd, rc = 0;
	size_t off = 0;

	ecsfs_buf_addf(&tmp, "%s.tmp", path);
	fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = -errno;
			break;
		}
		off += (size_t)w;
	}
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp.data, path) < 0)
		rc = -errno;
	if (rc < 0)
		unlink(tmp.data);
out:
	ecsfs_buf_release(&tmp);
	return rc;
}

int ecsfs__hap_read_file(const char *path, ecsfs_buf *out)
{
	char chunk[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0)
		return -errno;
	while ((r = read(fd, chunk, sizeof(chunk))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = -errno;
			close(fd);
			return e;
		}
		ecsfs_buf_add(out, chunk, (size_t)r);
	}
	close(fd);
	return 0;
}

/* ---- running the program ----------------------------------------------- */

/*
 * posix_spawn rather than uv_spawn: the child must not inherit the
 * daemon's descriptors (the FUSE channel, the lock file, sqlite), and
 * libuv cannot close them in the child; glibc's addclosefrom can. The
 * child is reaped by polling waitpid() (libuv reaps only its own).
 */
#define RUN_TICK_MS   20
#define RUN_MAX_TICKS (60000 / RUN_TICK_MS) /* a run over a minute is killed */

typedef struct hap_run {
	uv_loop_t *loop;
	pid_t pid;
	uv_pipe_t pipe;
	uv_timer_t timer;
	ecsfs_buf out;
	int status, handles;
	bool exited, eof;
	unsigned after_exit, ticks;
	hap_run_cb cb;
	void *data;
} hap_run;

static void run_closed(uv_handle_t *hd)
{
	hap_run *r = hd->data;
	if (--r->handles > 0)
		return;
	r->cb(r->data, r->status, r->out.data);
	ecsfs_buf_release(&r->out);
	free(r);
}

static void run_finish(hap_run *r)
{
	uv_timer_stop(&r->timer);
	uv_close((uv_handle_t *)&r->pipe, run_closed);
	uv_close((uv_handle_t *)&r->timer, run_closed);
}

static void run_alloc(uv_handle_t *hd, size_t hint, uv_buf_t *buf)
{
	hap_run *r = hd->data;
	ecsfs_buf_grow(&r->out, 4096);
	*buf = uv_buf_init(r->out.data + r->out.len, 4096);
}

static void run_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	hap_run *r = s->data;
	if (n > 0 && r->out.len < (1 << 20)) {
		r->out.len += (size_t)n;
		r->out.data[r->out.len] = '\0';
	}
	if (n < 0) {
		uv_read_stop(s);
		r->eof = true;
	}
}

static void run_poll(uv_timer_t *t)
{
	hap_run *r = t->data;
	int st;

	pid_t w = r->exited ? 0 : waitpid(r->pid, &st, WNOHANG);

	if (w == r->pid) {
		r->exited = true;
		r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	} else if (w < 0) {
		/* someone else reaped it: what it wrote is all there is */
		r->exited = true;
		r->status = 0;
	} else if (!r->exited && ++r->ticks == RUN_MAX_TICKS) {
		kill(r->pid, SIGKILL); /* hung: its status will say so */
	}
	/* a grandchild that kept the pipe must not hold us: 1 s after exit */
	if (r->exited && (r->eof || ++r->after_exit > 50))
		run_finish(r);
}

static int run_spawn(hap_run *r, char *const *argv, int wfd)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, wfd, 1);
	posix_spawn_file_actions_adddup2(&fa, wfd, 2);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	/* its own session (a signal to the daemon's group is not for it),
	 * default signal handling and no signal blocked */
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
					  POSIX_SPAWN_SETSIGDEF);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	rc = posix_spawn(&r->pid, argv[0], &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return -rc;
}

int ecsfs__hap_run(uv_loop_t *loop, char *const *argv, hap_run_cb cb, void *data)
{
	hap_run *r = calloc(1, sizeof(*r));
	int fds[2], rc;

	if (!r)
		return -ENOMEM;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		rc = -errno;
		free(r);
		return rc;
	}
	rc = run_spawn(r, argv, fds[1]);
	close(fds[1]);
	if (rc < 0) {
		close(fds[0]);
		free(r);
		return rc;
	}
	r->loop = loop;
	r->cb = cb;
	r->data = data;
	ecsfs_buf_init(&r->out);
	uv_pipe_init(loop, &r->pipe, 0);
	uv_pipe_open(&r->pipe, fds[0]);
	uv_timer_init(loop, &r->timer);
	r->pipe.data = r->timer.data = r;
	r->handles = 2;
	uv_read_start((uv_stream_t *)&r->pipe, run_alloc, run_read);
	uv_timer_start(&r->timer, run_poll, RUN_TICK_MS, RUN_TICK_MS);
	return 0;
}
