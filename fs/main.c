/* The daemon: command line, state lock, mount, the libuv loop. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "api.h"
#include "ecsfs/arn.h"
#include "ecsfs/docker.h"
#include "ecsfs/util.h"
#include "fs.h"
#include "main.h"

#define DEFAULT_STATE  "/var/lib/ecsfs"
#define DEFAULT_DOCKER "unix:///var/run/docker.sock"
/* Requests served per wake-up before other loop work gets a turn. */
#define FUSE_BATCH 64

void ecsfs__log(const char *fmt, ...)
{
	char when[32];
	va_list ap;
	ecsfs_buf line = ECSFS_BUF_INIT;

	ecsfs_time_iso(ecsfs_now_ns(), when);
	ecsfs_buf_addf(&line, "ecsfs[%d] %s ", (int)getpid(), when);
	va_start(ap, fmt);
	ecsfs_buf_vaddf(&line, fmt, ap);
	va_end(ap);
	ecsfs_buf_addch(&line, '\n');
	fputs(line.data, stderr);
	fflush(stderr);
	ecsfs_buf_release(&line);
}

static const char usage_text[] =
    "usage: ecsfs [options] MOUNTPOINT\n"
    "\n"
    "An ECS-style container orchestrator whose interface is a filesystem.\n"
    "\n"
    "  -f, --foreground     stay in the foreground (logs to stderr)\n"
    "  --state DIR          state directory: state.db, logs/ (default " DEFAULT_STATE ")\n"
    "  --docker ENDPOINT    Docker Engine endpoint (default " DEFAULT_DOCKER ")\n"
    "  -o OPT[,OPT...]      FUSE mount options (allow_other, default_permissions, ...)\n"
    "  --api ADDR:PORT|off  the AWS API listener (default " ECSFS_API_DEFAULT_LISTEN ")\n"
    "  --api-auth sigv4|none  verify SigV4 against STATE/credentials (default sigv4)\n"
    "  --region NAME        region in ARNs (default " ECSFS_ARN_DEFAULT_REGION ")\n"
    "  --account-id ID      account in ARNs (default " ECSFS_ARN_DEFAULT_ACCOUNT ")\n"
    "  --task-subnet CIDR   pool of the clusters' task networks, a /24 each (default: the "
    "engine's)\n"
    "  --metrics-interval S seconds between stats samples (default 10)\n"
    "  --instance-lost-after S  seconds an instance's engine may not answer before its tasks\n"
    "                       are stopped and placed elsewhere (default 60)\n"
    "  --bake-minute-ms MS  the minute of deployment bake times, for tests (default 60000)\n"
    "  -V, --version        print the version\n"
    "  -h, --help           print this summary\n";

struct options {
	bool foreground;
	const char *state;
	char *state_abs;
	const char *docker;
	const char *task_subnet;
	const char *api;	 /* ADDR:PORT, or NULL for off */
	bool api_noauth;	 /* --api-auth none */
	long schedule_minute_ms; /* --schedule-minute-ms (tests): 0 is a real minute */
	long bake_minute_ms;	 /* --bake-minute-ms (tests): 0 is a real minute */
	int metrics_interval;	 /* --metrics-interval S */
	int lost_after;		 /* --instance-lost-after S */
	ecsfs_buf mount_opts;
	char *mountpoint;
};

/* `path` made absolute against the working directory, without trailing '/'. */
static char *absolute(const char *path)
{
	char cwd[PATH_MAX], *out = NULL;
	if (path[0] == '/')
		out = strdup(path);
	else if (getcwd(cwd, sizeof(cwd)) && asprintf(&out, "%s/%s", cwd, path) < 0)
		out = NULL;
	if (!out)
		return NULL;
	/* "/ecs/" and "/ecs" are the same directory */
	size_t n = strlen(out);
	while (n > 1 && out[n - 1] == '/')
		out[--n] = '\0';
	return out;
}

/* 0 to go on, 1 to exit 0 (help, version), -1 to exit 2 (usage). */
static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
	    {"foreground", no_argument, NULL, 'f'},
	    {"state", required_argument, NULL, 's'},
	    {"docker", required_argument, NULL, 'D'},
	    {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	    {"region", required_argument, NULL, 'R'},
	    {"account-id", required_argument, NULL, 'A'},
	    {"task-subnet", required_argument, NULL, 'T'},
	    {"api", required_argument, NULL, 'P'},
	    {"api-auth", required_argument, NULL, 'U'},
	    {"schedule-minute-ms", required_argument, NULL, 'M'},
	    {"bake-minute-ms", required_argument, NULL, 'B'},
	    {"metrics-interval", required_argument, NULL, 'I'},
	    {"instance-lost-after", required_argument, NULL, 'L'},
	    {NULL, 0, NULL, 0},
	};
	const char *region = NULL, *account = NULL;
	ecsfs_buf why = ECSFS_BUF_INIT;
	int c;

	o->state = DEFAULT_STATE;
	o->docker = DEFAULT_DOCKER;
	o->api = ECSFS_API_DEFAULT_LISTEN;
	o->metrics_interval = ECSFS_METRICS_INTERVAL;
	optind = 1;
	while ((c = getopt_long(argc, argv, "fo:Vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': o->foreground = true; break;
		case 's': o->state = optarg; break;
		case 'D': o->docker = optarg; break;
		case 'R': region = optarg; break;
		case 'A': account = optarg; break;
		case 'T': o->task_subnet = optarg; break;
		case 'P': o->api = strcmp(optarg, "off") == 0 ? NULL : optarg; break;
		case 'U':
			if (strcmp(optarg, "none") != 0 && strcmp(optarg, "sigv4") != 0) {
				fprintf(stderr, "ecsfs: --api-auth takes sigv4 or none, not %s\n",
					optarg);
				return -1;
			}
			o->api_noauth = strcmp(optarg, "none") == 0;
			break;
		case 'M':
			if ((o->schedule_minute_ms = atol(optarg)) < 1 ||
			    o->schedule_minute_ms > 60000) {
				fprintf(stderr, "ecsfs: --schedule-minute-ms takes 1..60000\n");
				return -1;
			}
			break;
		case 'B':
			if ((o->bake_minute_ms = atol(optarg)) < 1 || o->bake_minute_ms > 60000) {
				fprintf(stderr, "ecsfs: --bake-minute-ms takes 1..60000\n");
				return -1;
			}
			break;
		case 'I':
			o->metrics_interval = atoi(optarg);
			if (o->metrics_interval < 1 ||
			    o->metrics_interval > ECSFS_METRICS_INTERVAL_MAX) {
				fprintf(stderr, "ecsfs: --metrics-interval takes 1..%d seconds\n",
					ECSFS_METRICS_INTERVAL_MAX);
				return -1;
			}
			break;
		case 'L':
			if ((o->lost_after = atoi(optarg)) < 1 || o->lost_after > 86400) {
				fprintf(stderr,
					"ecsfs: --instance-lost-after takes 1..86400 seconds\n");
				return -1;
			}
			break;
		case 'o':
			if (o->mount_opts.len)
				ecsfs_buf_addch(&o->mount_opts, ',');
			ecsfs_buf_adds(&o->mount_opts, optarg);
			break;
		case 'V': printf("ecsfs %s\n", ECSFS_VERSION); return 1;
		case 'h': fputs(usage_text, stdout); return 1;
		default: fputs(usage_text, stderr); return -1;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "ecsfs: %s\n%s",
			optind == argc ? "a MOUNTPOINT is required"
				       : "only one MOUNTPOINT is taken",
			usage_text);
		return -1;
	}
	/* set once, before any other thread runs */
	if (ecsfs_arn_configure(region, account, &why) < 0 ||
	    (o->task_subnet && ecsfs_tasks_subnet_check(o->task_subnet, &why) < 0)) {
		fprintf(stderr, "ecsfs: %s\n", why.data);
		ecsfs_buf_release(&why);
		return -1;
	}
	/* absolute, since the background daemon runs in / */
	if (!(o->mountpoint = absolute(argv[optind])) || !(o->state_abs = absolute(o->state)))
		return -1;
	o->state = o->state_abs;
	return 0;
}

/* Hold STATE/lock for the daemon's life: one daemon per state directory. */
static int take_lock(const char *state, int *fd_out)
{
	ecsfs_buf path = ECSFS_BUF_INIT;
	char pid[32] = "";
	int fd;

	if (mkdir(state, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "ecsfs: cannot create state directory %s: %s\n", state,
			strerror(errno));
		return -1;
	}
	ecsfs_buf_addf(&path, "%s/lock", state);
	fd = open(path.data, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "ecsfs: cannot open %s: %s\n", path.data, strerror(errno));
		ecsfs_buf_release(&path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		fprintf(stderr,
			"ecsfs: state directory %s is in use by another ecsfs daemon%s%s%s; "
			"stop it first (one daemon per state directory)\n",
			state, pid[0] ? " (pid " : "", pid, pid[0] ? ")" : "");
		close(fd);
		ecsfs_buf_release(&path);
		return -1;
	}
	ecsfs_buf_release(&path);
	*fd_out = fd;
	return 0;
}

static void write_pid(int fd)
{
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)n, 0) < 0)
		ecsfs__log("cannot record pid in the lock file: %s", strerror(errno));
}

/* Is `mnt` a mount point of a filesystem of type fuse.ecsfs (from /proc)? */
static bool is_ecsfs_mount(const char *mnt)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;
	bool found = false;

	if (!f)
		return false;
	while (!found && getline(&line, &cap, f) > 0) {
		char point[PATH_MAX], rest[256];
		/* id parent maj:min root point options ... - fstype source superopts */
		if (sscanf(line, "%*s %*s %*s %*s %4095s", point) != 1)
			continue;
		const char *dash = strstr(line, " - ");
		if (!dash || sscanf(dash + 3, "%255s", rest) != 1)
			continue;
		found = strcmp(point, mnt) == 0 && strncmp(rest, "fuse", 4) == 0 &&
			strstr(rest, "ecsfs") != NULL;
	}
	free(line);
	fclose(f);
	return found;
}

/*
 * Make the mount point usable: create it when missing, recover a stale
 * mount left by a killed daemon, refuse one that a live daemon serves.
 */
static int prepare_mountpoint(const char *mnt)
{
	struct stat st;

	if (stat(mnt, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			fprintf(stderr, "ecsfs: mount point %s is not a directory\n", mnt);
			return -1;
		}
		if (is_ecsfs_mount(mnt)) {
			fprintf(stderr, "ecsfs: %s is already mounted by a running ecsfs\n", mnt);
			return -1;
		}
		return 0;
	}
	if (errno == ENOENT) {
		if (mkdir(mnt, 0755) < 0) {
			fprintf(stderr, "ecsfs: cannot create mount point %s: %s\n", mnt,
				strerror(errno));
			return -1;
		}
		return 0;
	}
	if (errno == ENOTCONN || errno == ECONNABORTED) {
		ecsfs__log("%s is a stale mount (its daemon is gone): unmounting it", mnt);
		if (umount2(mnt, MNT_DETACH) < 0) {
			fprintf(stderr, "ecsfs: cannot unmount the stale mount at %s: %s\n", mnt,
				strerror(errno));
			return -1;
		}
		return stat(mnt, &st) == 0 ? 0 : -1;
	}
	fprintf(stderr, "ecsfs: cannot use mount point %s: %s\n", mnt, strerror(errno));
	return -1;
}

/* ---- the loop ---- */

struct daemon {
	uv_loop_t loop;
	uv_poll_t fuse_poll;
	uv_signal_t sigterm, sigint, sighup;
	uv_timer_t sweep;
	uv_async_t notify_done; /* the invalidation thread has ended */
	struct fuse_buf fbuf;
	ecsfs__fs fs;
	ecsfs_api_core api_core;
	ecsfs_api *api;
	bool stopping;
};

static void close_cb(uv_handle_t *h)
{
	(void)h;
}

static void runtime_closed(void *data)
{
	(void)data;
}

/* Second half of a stop: the invalidation thread is gone, stop serving. */
static void finish_stop(struct daemon *d)
{
	ecsfs__notify_join(d->fs.notify);
	d->fs.notify = NULL;
	fuse_session_exit(d->fs.se);
	uv_close((uv_handle_t *)&d->fuse_poll, close_cb);
	uv_close((uv_handle_t *)&d->notify_done, close_cb);
	ecsfs_api_free(d->api); /* before the handles of core it uses */
	d->api = NULL;
	/* services, then tasks: they cut their calls loose, which the runtime then
	 * cancels */
	ecsfs__schedules_stop(&d->fs);
	ecsfs__scaling_stop(&d->fs);
	ecsfs__metrics_stop(&d->fs);
	ecsfs_services_free(d->fs.services);
	d->fs.services = NULL;
	ecsfs_lb_free(d->fs.lb);
	d->fs.lb = NULL;
	ecsfs__instances_stop(&d->fs);
	ecsfs_tasks_free(d->fs.tasks);
	d->fs.tasks = NULL;
	if (d->fs.rt) {
		ecsfs_runtime_close(d->fs.rt, runtime_closed, NULL);
		d->fs.rt = NULL;
	}
}

static void on_notify_done(uv_async_t *a)
{
	finish_stop(a->data);
}

/* Runs on the invalidation thread as it ends. */
static void notify_exited(void *data)
{
	struct daemon *d = data;
	uv_async_send(&d->notify_done);
}

/*
 * First half of a stop. Requests are still answered until the invalidation
 * thread has ended: an invalidation in flight may be waiting for the kernel,
 * and the kernel for an answer from this loop.
 */
static void stop_daemon(struct daemon *d, const char *why, bool session_dead)
{
	if (d->stopping)
		return;
	d->stopping = true;
	ecsfs__log("stopping: %s", why);
	uv_close((uv_handle_t *)&d->sigterm, close_cb);
	uv_close((uv_handle_t *)&d->sigint, close_cb);
	uv_close((uv_handle_t *)&d->sighup, close_cb);
	uv_close((uv_handle_t *)&d->sweep, close_cb);
	if (session_dead)
		uv_poll_stop(&d->fuse_poll);
	if (d->fs.notify)
		ecsfs__notify_stop(d->fs.notify);
	else
		finish_stop(d);
}

static void on_fuse(uv_poll_t *p, int status, int events)
{
	struct daemon *d = p->data;
	struct fuse_session *se = d->fs.se;

	for (int i = 0; i < FUSE_BATCH && !fuse_session_exited(se); i++) {
		int r = fuse_session_receive_buf(se, &d->fbuf);
		if (r == -EINTR)
			continue;
		if (r == -EAGAIN)
			return;
		if (r <= 0) {
			stop_daemon(d, r == 0 ? "the mount went away" : strerror(-r), true);
			return;
		}
		fuse_session_process_buf(se, &d->fbuf);
	}
	if (fuse_session_exited(se) && !d->stopping)
		stop_daemon(d, "the session ended", true);
}

static void on_signal(uv_signal_t *s, int signum)
{
	struct daemon *d = s->data;
	if (signum == SIGHUP)
		return;
	stop_daemon(d, signum == SIGTERM ? "SIGTERM" : "SIGINT", false);
}

static void on_runtime_change(ecsfs_runtime *rt, void *data)
{
	struct daemon *d = data;
	ecsfs_runtime_info info;
	ecsfs_runtime_get_info(rt, &info);
	if (info.reachable)
		ecsfs__log("%s engine at %s is reachable: version %s, API %s", info.name,
			   info.endpoint, info.version, info.api_version);
	else
		ecsfs__log("%s engine at %s is unreachable: %s (the mount works; containers "
			   "wait for it)",
			   info.name, info.endpoint, info.detail);
	if (d->fs.tasks)
		ecsfs_tasks_runtime_changed(d->fs.tasks);
	if (d->fs.instances)
		ecsfs_instances_local_changed(d->fs.instances);
	ecsfs__cache_changed(&d->fs, NULL, NULL); /* every cluster shows the engine */
}

static void on_sweep(uv_timer_t *t)
{
	struct daemon *d = t->data;
	ecsfs__sweep(&d->fs);
	ecsfs__clusters_sweep(&d->fs);
	if (d->fs.tasks)
		ecsfs_tasks_sweep(d->fs.tasks);
	if (d->fs.instances)
		ecsfs_instances_sweep(d->fs.instances);
}

/*
 * The pause binary: $ECSFS_PAUSE, else ecsfs-pause beside this program
 * (the build tree), else the installed libexec one.
 */
static void pause_binary(ecsfs_buf *out)
{
	const char *env = getenv("ECSFS_PAUSE");
	char self[4096];
	ssize_t n;

	if (env && *env) {
		ecsfs_buf_adds(out, env);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			ecsfs_buf_addf(out, "%s/ecsfs-pause", self);
			if (access(out->data, X_OK) == 0)
				return;
			ecsfs_buf_reset(out);
			ecsfs_buf_addf(out, "%s/../libexec/ecsfs-pause", self);
			return;
		}
	}
	ecsfs_buf_adds(out, "/usr/local/libexec/ecsfs-pause");
}

static void start_tasks(struct daemon *d, const struct options *o)
{
	ecsfs_buf why = ECSFS_BUF_INIT, pause = ECSFS_BUF_INIT;

	if (ecsfs_tasks_new(&d->loop, d->fs.store, d->fs.rt, o->state, &d->fs.tasks, &why) < 0) {
		ecsfs__log("tasks are not available: %s", why.data);
	} else {
		ecsfs_tasks_set_change_cb(d->fs.tasks, ecsfs__tasks_changed, &d->fs);
		pause_binary(&pause);
		ecsfs_tasks_set_pause_binary(d->fs.tasks, pause.data);
		if (o->task_subnet)
			ecsfs_tasks_set_task_subnet(d->fs.tasks, o->task_subnet, &why);
	}
	ecsfs_buf_release(&why);
	ecsfs_buf_release(&pause);
}

/* A refused API change gets its line in /ecs/errors, as a refused write does. */
static void api_refused(void *data, const char *op, const char *type, int code, const char *msg)
{
	struct daemon *d = data;
	ecsfs_buf path = ECSFS_BUF_INIT, text = ECSFS_BUF_INIT;
	/* the errors line's path names the operation: "api:ecs.CreateService" */
	ecsfs_buf_addf(&path, "api:%s", op);
	ecsfs_buf_addf(&text, "%s: %s", type, msg);
	ecsfs__reject_line(&d->fs, path.data, code, text.data);
	ecsfs_buf_release(&path);
	ecsfs_buf_release(&text);
}

static void start_api(struct daemon *d, const struct options *o)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	ecsfs_api_config cfg = {.listen = o->api, .auth = !o->api_noauth};

	if (!o->api) {
		ecsfs__log("the AWS API is off (--api off)");
		return;
	}
	d->api_core = (ecsfs_api_core){
	    .loop = &d->loop,
	    .store = d->fs.store,
	    .rt = d->fs.rt,
	    .tasks = d->fs.tasks,
	    .services = d->fs.services,
	    .lb = d->fs.lb,
	    .metrics = d->fs.metrics,
	    .scaling = d->fs.scaling,
	    .schedules = d->fs.schedules,
	    .instances = d->fs.instances,
	    .state_dir = o->state,
	    .log = ecsfs__log,
	    .refused = api_refused,
	    .refused_data = d,
	    .changed = ecsfs__api_changed,
	    .changed_data = &d->fs,
	};
	if (ecsfs_api_start(&d->api_core, &cfg, &d->api, &why) < 0)
		ecsfs__log("the AWS API is not available on %s: %s", o->api, why.data);
	ecsfs_buf_release(&why);
}

static int start_signal(struct daemon *d, uv_signal_t *s, int signum)
{
	uv_signal_init(&d->loop, s);
	s->data = d;
	return uv_signal_start(s, on_signal, signum);
}

static int serve(struct daemon *d, const struct options *o, int lock_fd)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	int r, fd;

	if ((r = ecsfs_store_open(o->state, &d->fs.store, &why)) < 0) {
		ecsfs__log("cannot open the store: %s", why.data);
		ecsfs_buf_release(&why);
		return r;
	}
	ecsfs_buf_release(&why);
	write_pid(lock_fd);
	uv_loop_init(&d->loop);
	d->fs.start_ns = ecsfs_now_ns();
	uv_async_init(&d->loop, &d->notify_done, on_notify_done);
	d->notify_done.data = d;
	d->fs.notify = ecsfs__notify_start(d->fs.se, notify_exited, d);
	if (!d->fs.notify)
		ecsfs__log("cannot start the invalidation thread; kernel caches expire by time");
	if ((r = ecsfs_docker_new(&d->loop, o->docker, &d->fs.rt)) < 0) {
		ecsfs__log("cannot use Docker endpoint %s: %s", o->docker, strerror(-r));
	} else {
		d->fs.rt->on_change = on_runtime_change;
		d->fs.rt->on_change_data = d;
		ecsfs_runtime_start(d->fs.rt);
		start_tasks(d, o);
	}
	ecsfs__instances_start(&d->fs, &d->loop, o->docker, o->lost_after);
	if (ecsfs_lb_new(&d->loop, d->fs.store, o->state, &d->fs.lb) < 0)
		ecsfs__log("load balancers are not available: out of memory");
	else
		ecsfs_lb_set_error_cb(d->fs.lb, ecsfs__lb_error, &d->fs);
	if (ecsfs_services_new(&d->loop, d->fs.store, d->fs.tasks, &d->fs.services) < 0)
		ecsfs__log("services are not available: out of memory");
	else {
		ecsfs_services_set_change_cb(d->fs.services, ecsfs__services_changed, &d->fs);
		ecsfs_services_set_lb(d->fs.services, d->fs.lb);
		ecsfs_services_set_bake_minute(d->fs.services, o->bake_minute_ms);
	}
	ecsfs__schedules_start(&d->fs, &d->loop, o->schedule_minute_ms);
	ecsfs__metrics_start(&d->fs, &d->loop, o->metrics_interval);
	ecsfs__scaling_start(&d->fs, &d->loop);
	start_api(d, o);
	fd = fuse_session_fd(d->fs.se);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	uv_poll_init(&d->loop, &d->fuse_poll, fd);
	d->fuse_poll.data = d;
	uv_poll_start(&d->fuse_poll, UV_READABLE, on_fuse);
	start_signal(d, &d->sigterm, SIGTERM);
	start_signal(d, &d->sigint, SIGINT);
	start_signal(d, &d->sighup, SIGHUP);
	uv_timer_init(&d->loop, &d->sweep);
	d->sweep.data = d;
	uv_timer_start(&d->sweep, on_sweep, 1000, 1000);
	ecsfs__log("serving %s (state %s, docker %s)", d->fs.mountpoint, o->state, o->docker);
	uv_run(&d->loop, UV_RUN_DEFAULT);
	ecsfs__release_handles(&d->fs);
	uv_loop_close(&d->loop);
	ecsfs_store_close(d->fs.store);
	free(d->fbuf.mem);
	return 0;
}

/* The soft limit on descriptors up to the hard one: the API's connections
 * (a thousand at once) come on top of what FUSE, Docker and HAProxy hold,
 * and the usual soft 1024 would refuse them. */
static void raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int ecsfs__daemon_main(int argc, char **argv)
{
	struct options o = {0};
	struct daemon *d = NULL;
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	ecsfs_buf why = ECSFS_BUF_INIT;
	ecsfs_store *probe = NULL;
	int lock_fd = -1, status = 1, r;

	ecsfs_buf_init(&o.mount_opts);
	if ((r = parse_args(argc, argv, &o)) != 0) {
		status = r > 0 ? 0 : 2;
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	if (take_lock(o.state, &lock_fd) < 0)
		goto out;
	/* Open the store once before forking, so a bad state directory is told
	 * on the terminal; SQLite connections must not cross fork(). */
	if (ecsfs_store_open(o.state, &probe, &why) < 0) {
		fprintf(stderr, "ecsfs: %s\n", why.data);
		goto out;
	}
	ecsfs_store_close(probe);
	if (prepare_mountpoint(o.mountpoint) < 0)
		goto out;
	d = calloc(1, sizeof(*d));
	if (!d)
		goto out;
	d->fs.mountpoint = o.mountpoint;
	if (fuse_opt_add_arg(&args, "ecsfs") < 0 || fuse_opt_add_arg(&args, "-o") < 0 ||
	    fuse_opt_add_arg(&args, "fsname=ecsfs,subtype=ecsfs") < 0 ||
	    (o.mount_opts.len &&
	     (fuse_opt_add_arg(&args, "-o") < 0 || fuse_opt_add_arg(&args, o.mount_opts.data) < 0)))
		goto out;
	if (!(d->fs.nodes = ecsfs__nodes_new()))
		goto out;
	d->fs.se = fuse_session_new(&args, &ecsfs__ops, sizeof(ecsfs__ops), &d->fs);
	if (!d->fs.se) {
		fprintf(stderr, "ecsfs: cannot start a FUSE session (check the -o options)\n");
		goto out;
	}
	if (fuse_session_mount(d->fs.se, o.mountpoint) != 0) {
		fprintf(stderr, "ecsfs: cannot mount %s\n", o.mountpoint);
		goto out;
	}
	if (!o.foreground) {
		if (fuse_daemonize(0) != 0)
			goto unmount;
		/* fuse_daemonize pointed stderr at /dev/null; the log goes to the state dir */
		ecsfs_buf log = ECSFS_BUF_INIT;
		ecsfs_buf_addf(&log, "%s/ecsfs.log", o.state);
		int lfd = open(log.data, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (lfd >= 0) {
			dup2(lfd, STDERR_FILENO);
			close(lfd);
		}
		ecsfs_buf_release(&log);
	}
	if (serve(d, &o, lock_fd) == 0)
		status = 0;
unmount:
	fuse_session_unmount(d->fs.se);
	ecsfs__log("unmounted %s", o.mountpoint);
out:
	if (d) {
		if (d->fs.se)
			fuse_session_destroy(d->fs.se);
		ecsfs__nodes_free(d->fs.nodes);
		free(d);
	}
	fuse_opt_free_args(&args);
	if (lock_fd >= 0)
		close(lock_fd);
	ecsfs_buf_release(&o.mount_opts);
	ecsfs_buf_release(&why);
	free(o.mountpoint);
	free(o.state_abs);
	return status;
}
