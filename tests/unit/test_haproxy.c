/* The HAProxy driver against the real haproxy: start, health checks,
 * traffic, drain, weights, fail-open, a hitless reload under a client loop,
 * kill -9 of HAProxy, a port in use, re-adoption by a new driver and after
 * kill -9 of the process that ran the driver, a missing program. Backends
 * are tiny HTTP servers forked by the test on 127.0.0.1. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ecsfs/haproxy.h"
#include "tap.h"

static uv_loop_t *loop;
static uv_timer_t tick;
static char dir[] = "/tmp/ecsfs-hap-XXXXXX";
static char path_buf[512];

static const char *at(const char *name)
{
	snprintf(path_buf, sizeof(path_buf), "%s/%s", dir, name);
	return path_buf;
}

/* ---- backends: forked HTTP servers ------------------------------------- */

typedef struct srv {
	const char *name;
	pid_t pid;
	int port;
} srv;

static srv s1 = {.name = "s1"}, s2 = {.name = "s2"}, s3 = {.name = "s3"};

/* "<name>\n" for any path; /health answers 500 while <dir>/sick-<name> exists. */
static void serve(int lfd, const char *name)
{
	char req[2048], body[64], head[256], sick[600];
	for (;;) {
		int c = accept(lfd, NULL, NULL), code = 200;
		ssize_t n;
		if (c < 0)
			continue;
		n = read(c, req, sizeof(req) - 1);
		req[n > 0 ? n : 0] = '\0';
		snprintf(sick, sizeof(sick), "%s/sick-%s", dir, name);
		if (strncmp(req, "GET /health", 11) == 0 && access(sick, F_OK) == 0)
			code = 500;
		snprintf(body, sizeof(body), "%s\n", name);
		snprintf(head, sizeof(head),
			 "HTTP/1.0 %d X\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", code,
			 strlen(body));
		if (write(c, head, strlen(head)) < 0 || write(c, body, strlen(body)) < 0)
			code = 0;
		close(c);
	}
}

static int listen_any(int *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0)
		abort();
	getsockname(fd, (struct sockaddr *)&sa, &len);
	*port = ntohs(sa.sin_port);
	return fd;
}

static void srv_start(srv *s)
{
	int fd = listen_any(&s->port);
	s->pid = fork();
	if (s->pid == 0) {
		serve(fd, s->name);
		_exit(0);
	}
	close(fd);
}

static int free_port(void)
{
	int port, fd = listen_any(&port);
	close(fd);
	return port;
}

/* ---- a client -------------------------------------------------------- */

/* GET path from 127.0.0.1:port: the status (body in `body`), or -errno. */
static int get(int port, const char *path, char *body, size_t size)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct timeval tv = {5, 0};
	char buf[4096], req[256];
	size_t got = 0;
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM, 0), code = -EIO;
	const char *b;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		code = -errno;
		close(fd);
		return code;
	}
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: test\r\n\r\n", path);
	if (write(fd, req, strlen(req)) < 0)
		goto out;
	while (got < sizeof(buf) - 1 && (n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	if (sscanf(buf, "HTTP/%*s %d", &code) != 1)
		code = -EIO;
	b = strstr(buf, "\r\n\r\n");
	if (body)
		snprintf(body, size, "%s", b ? b + 4 : "");
out:
	close(fd);
	return code;
}

/* ---- waiting on the loop --------------------------------------------- */

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_tick(uv_timer_t *t)
{
}

/* Run the loop until *flag (bounded). */
static bool run_until(const bool *flag, double seconds)
{
	double end = now() + seconds;
	while (!*flag && now() < end)
		uv_run(loop, UV_RUN_ONCE);
	return *flag;
}

/* Let the loop run for a while (between polls). */
static void pause_loop(double seconds)
{
	bool never = false;
	run_until(&never, seconds);
}

typedef struct done {
	bool called;
	int err;
	char msg[512];
} done;

static void on_done(void *data, int err, const char *msg)
{
	done *d = data;
	d->called = true;
	d->err = err;
	snprintf(d->msg, sizeof(d->msg), "%s", msg);
}

static int wait_done(done *d)
{
	if (!run_until(&d->called, 40))
		return -ETIMEDOUT;
	if (d->err)
		printf("# %s\n", d->msg);
	return d->err;
}

static int apply(ecsfs_haproxy *h, ecsfs_hap_config *c, done *d)
{
	ecsfs_err err = ECSFS_ERR_INIT;
	int rc;
	memset(d, 0, sizeof(*d));
	rc = ecsfs_haproxy_apply(h, c, on_done, d, &err);
	ecsfs_err_release(&err);
	return rc < 0 ? rc : wait_done(d);
}

typedef struct reading {
	bool called;
	int err;
	ecsfs_hap_server_status st[8];
	size_t n;
} reading;

static void on_servers(void *data, int err, const char *msg, const ecsfs_hap_server_status *s,
		       size_t n)
{
	reading *r = data;
	r->called = true;
	r->err = err;
	r->n = n > 8 ? 8 : n;
	memcpy(r->st, s, r->n * sizeof(*s));
}

static int read_servers(ecsfs_haproxy *h, reading *r)
{
	memset(r, 0, sizeof(*r));
	if (ecsfs_haproxy_servers(h, "web", on_servers, r) < 0)
		return -ENOENT;
	return run_until(&r->called, 15) ? r->err : -ETIMEDOUT;
}

static const ecsfs_hap_server_status *find(const reading *r, const char *name)
{
	size_t i;
	for (i = 0; i < r->n; i++)
		if (strcmp(r->st[i].name, name) == 0)
			return &r->st[i];
	return NULL;
}

/* Poll the servers until `n` of them have health `want`. */
static bool wait_health(ecsfs_haproxy *h, ecsfs_hap_health want, size_t n)
{
	double end = now() + 20;
	reading r;
	while (now() < end) {
		size_t i, k = 0;
		if (read_servers(h, &r) == 0)
			for (i = 0; i < r.n; i++)
				k += r.st[i].health == want;
		if (k == n && r.n == n)
			return true;
		pause_loop(0.1);
	}
	return false;
}

/* ---- configs --------------------------------------------------------- */

typedef struct target {
	srv *s;
	ecsfs_hap_admin admin;
	int weight;
} target;

static target targets[2];
static size_t ntargets;

static ecsfs_hap_config *config(int port, bool api_rule, int port2)
{
	static const char *const api[] = {"/api/*", NULL};
	ecsfs_hap_config *c = ecsfs_hap_config_new();
	ecsfs_hap_weighted web[] = {{"web", 1}};
	ecsfs_hap_action fwd = {.type = ECSFS_HAP_FORWARD, .to = web, .nto = 1};
	ecsfs_hap_action fixed = {.type = ECSFS_HAP_FIXED, .status = 201, .body = "api\n"};
	ecsfs_hap_cond cond = {.type = ECSFS_HAP_COND_PATH, .values = api};
	ecsfs_hap_backend be = {.name = "web",
				.check = {.enabled = true,
					  .http = true,
					  .path = "/health",
					  .codes = "200-299",
					  .interval_ms = 200,
					  .timeout_ms = 1000,
					  .rise = 2,
					  .fall = 2},
				.fail_open = true};
	ecsfs_err err = ECSFS_ERR_INIT;
	size_t i;

	ecsfs_hap_config_add_frontend(c, "fe1", "127.0.0.1", port, ECSFS_HAP_HTTP, &err);
	ecsfs_hap_config_set_default(c, "fe1", &fwd, &err);
	if (api_rule)
		ecsfs_hap_config_add_rule(c, "fe1", &cond, 1, &fixed, &err);
	if (port2) {
		ecsfs_hap_config_add_frontend(c, "fe2", "127.0.0.1", port2, ECSFS_HAP_HTTP, &err);
		ecsfs_hap_config_set_default(c, "fe2", &fwd, &err);
	}
	ecsfs_hap_config_add_backend(c, &be, &err);
	for (i = 0; i < ntargets; i++) {
		ecsfs_hap_server s = {.name = targets[i].s->name,
				      .addr = "127.0.0.1",
				      .port = targets[i].s->port,
				      .weight = targets[i].weight,
				      .admin = targets[i].admin};
		ecsfs_hap_config_add_server(c, "web", &s, &err);
	}
	ecsfs_err_release(&err);
	return c;
}

static int set_server(ecsfs_haproxy *h, srv *s, ecsfs_hap_admin admin, int weight)
{
	ecsfs_hap_server sv = {.name = s->name,
			       .addr = "127.0.0.1",
			       .port = s->port,
			       .weight = weight,
			       .admin = admin};
	ecsfs_err err = ECSFS_ERR_INIT;
	done d = {0};
	int rc = ecsfs_haproxy_server_set(h, "web", &sv, on_done, &d, &err);
	ecsfs_err_release(&err);
	return rc < 0 ? rc : wait_done(&d);
}

/* How many of n requests each backend answered. */
static void spread(int port, int n, int *a, int *b, int *bad)
{
	char body[64];
	int i;
	*a = *b = *bad = 0;
	for (i = 0; i < n; i++) {
		int code = get(port, "/", body, sizeof(body));
		if (code == 200 && strcmp(body, "s1\n") == 0)
			(*a)++;
		else if (code == 200 && strcmp(body, "s2\n") == 0)
			(*b)++;
		else
			(*bad)++;
	}
}

static void touch(const char *name, bool on)
{
	if (on)
		close(open(at(name), O_CREAT | O_WRONLY, 0600));
	else
		unlink(at(name));
}

static int ppid_of(int pid)
{
	char p[64], buf[512];
	int ppid = -1;
	FILE *f;
	snprintf(p, sizeof(p), "/proc/%d/stat", pid);
	if (!(f = fopen(p, "r")))
		return -1;
	if (fgets(buf, sizeof(buf), f) && strrchr(buf, ')'))
		sscanf(strrchr(buf, ')') + 2, "%*c %d", &ppid);
	fclose(f);
	return ppid;
}

static bool pid_alive(int pid)
{
	char p[64], buf[512];
	FILE *f;
	bool alive = false;
	snprintf(p, sizeof(p), "/proc/%d/stat", pid);
	if ((f = fopen(p, "r"))) {
		alive =
		    fgets(buf, sizeof(buf), f) && strrchr(buf, ')') && strrchr(buf, ')')[2] != 'Z';
		fclose(f);
	}
	return alive;
}

/* ---- the cases ------------------------------------------------------- */

static int port1, port2;

static void test_start(ecsfs_haproxy *h)
{
	ecsfs_hap_info info;
	done d;
	int a, b, bad;

	is_int(apply(h, config(port1, false, 0), &d), 0, "first apply starts HAProxy");
	ecsfs_haproxy_get_info(h, &info);
	is_int(info.state, ECSFS_HAP_RUNNING, "running");
	ok(info.pid > 0 && pid_alive(info.pid), "master pid %d is alive", info.pid);
	ok(ppid_of(info.pid) != getpid(), "the master is not our child (it outlives us)");
	ok(access(at("haproxy/haproxy.cfg"), F_OK) == 0, "config under STATE/haproxy/");
	ok(info.version[0] != '\0', "version %s", info.version);
	ok(wait_health(h, ECSFS_HAP_HEALTH_HEALTHY, 2), "both servers become healthy");
	spread(port1, 10, &a, &b, &bad);
	ok(a > 0 && b > 0 && bad == 0, "traffic reaches both (s1 %d, s2 %d, failed %d)", a, b, bad);
}

static void test_drain_weight(ecsfs_haproxy *h)
{
	const ecsfs_hap_server_status *st;
	reading r;
	int a, b, bad;

	is_int(set_server(h, &s1, ECSFS_HAP_DRAIN, 1), 0, "drain s1");
	is_int(read_servers(h, &r), 0, "read servers");
	st = find(&r, "s1");
	ok(st && st->admin == ECSFS_HAP_DRAIN, "s1 is draining");
	ok(st && st->scur == 0, "s1 has no connection left");
	ok(find(&r, "_fo_s1") == NULL && r.n == 2, "fail-open twins are not shown");
	spread(port1, 6, &a, &b, &bad);
	ok(a == 0 && b == 6, "new requests go to s2 only (s1 %d, s2 %d)", a, b);

	is_int(set_server(h, &s1, ECSFS_HAP_READY, 3), 0, "s1 ready again at weight 3");
	is_int(read_servers(h, &r), 0, "read servers");
	st = find(&r, "s1");
	ok(st && st->weight == 3 && st->admin == ECSFS_HAP_READY, "s1 weight 3, ready");
	spread(port1, 40, &a, &b, &bad);
	ok(a > 2 * b && b > 0 && bad == 0, "weight 3:1 (s1 %d, s2 %d)", a, b);
	ok(st && st->requests > 0, "request counts are read (%lld)", st ? st->requests : 0);
	is_int(set_server(h, &s1, ECSFS_HAP_READY, 1), 0, "s1 back to weight 1");
	targets[0].weight = 1;
}

static void test_fail_open(ecsfs_haproxy *h)
{
	char body[64];
	reading r;

	touch("sick-s1", true);
	touch("sick-s2", true);
	ok(wait_health(h, ECSFS_HAP_HEALTH_UNHEALTHY, 2), "both fail their checks");
	is_int(read_servers(h, &r), 0, "read servers");
	ok(r.n && strcmp(r.st[0].check_status, "L7STS") == 0 && r.st[0].check_code == 500,
	   "check status %s code %d", r.n ? r.st[0].check_status : "",
	   r.n ? r.st[0].check_code : 0);
	is_int(get(port1, "/", body, sizeof(body)), 200, "all unhealthy: traffic fails open");
	touch("sick-s1", false);
	touch("sick-s2", false);
	ok(wait_health(h, ECSFS_HAP_HEALTH_HEALTHY, 2), "both healthy again");
}

/* A new target that never passes a check: initial until it failed `fall`
 * checks, then unhealthy, and never any traffic. */
static void test_new_target(ecsfs_haproxy *h)
{
	const ecsfs_hap_server_status *st = NULL;
	ecsfs_err err = ECSFS_ERR_INIT;
	bool early = false, healthy = false;
	double end = now() + 20, added;
	int a, b, bad;
	reading r;
	done d = {0};

	touch("sick-s3", true);
	srv_start(&s3);
	is_int(set_server(h, &s3, ECSFS_HAP_READY, 1), 0, "add s3, whose checks fail");
	added = now();
	spread(port1, 10, &a, &b, &bad);
	ok(bad == 0, "no request reaches it (s1 %d, s2 %d, others %d)", a, b, bad);
	while (now() < end) {
		if (read_servers(h, &r) == 0 && (st = find(&r, "s3"))) {
			healthy = healthy || st->health == ECSFS_HAP_HEALTH_HEALTHY;
			/* 2 failed checks 200 ms apart take at least 0.2 s */
			early = early ||
				(st->health == ECSFS_HAP_HEALTH_UNHEALTHY && now() < added + 0.2);
			if (st->health == ECSFS_HAP_HEALTH_UNHEALTHY)
				break;
		}
		pause_loop(0.05);
	}
	ok(st && st->health == ECSFS_HAP_HEALTH_UNHEALTHY, "unhealthy after its failed checks");
	ok(!early && !healthy, "initial until then, never healthy");
	is_int(ecsfs_haproxy_server_remove(h, "web", "s3", on_done, &d, &err), 0, "remove s3");
	is_int(wait_done(&d), 0, "removed");
	kill(s3.pid, SIGKILL);
	waitpid(s3.pid, NULL, 0);
	s3.pid = 0;
	ecsfs_err_release(&err);
}

/* A child sends requests until <dir>/stop appears, then writes
 * "<requests> <failures>" to <dir>/client. */
static pid_t client_loop(int port)
{
	pid_t pid = fork();
	if (pid == 0) {
		char stop[600], res[600];
		long n = 0, bad = 0;
		FILE *f;
		snprintf(stop, sizeof(stop), "%s/stop", dir);
		snprintf(res, sizeof(res), "%s/client", dir);
		while (access(stop, F_OK) != 0 && n < 100000) {
			bad += get(port, "/", NULL, 0) != 200;
			n++;
		}
		if ((f = fopen(res, "w"))) {
			fprintf(f, "%ld %ld\n", n, bad);
			fclose(f);
		}
		_exit(0);
	}
	return pid;
}

static void test_reload(ecsfs_haproxy *h)
{
	pid_t client = client_loop(port1);
	ecsfs_hap_info info;
	char body[64];
	long n = 0, bad = -1;
	reading r;
	done d;
	FILE *f;

	is_int(apply(h, config(port1, true, 0), &d), 0, "apply a new rule");
	ecsfs_haproxy_get_info(h, &info);
	is_int(info.reloads, 1, "one hitless reload");
	is_int(get(port1, "/api/x", body, sizeof(body)), 201, "the new rule answers");
	is_str(body, "api\n", "with its body");
	is_int(read_servers(h, &r), 0, "read servers after the reload");
	ok(r.n == 2 && r.st[0].health == ECSFS_HAP_HEALTH_HEALTHY &&
	       r.st[1].health == ECSFS_HAP_HEALTH_HEALTHY,
	   "servers kept their health across the reload");
	is_int(apply(h, config(port1, true, 0), &d), 0, "the same config again");
	ecsfs_haproxy_get_info(h, &info);
	is_int(info.reloads, 1, "no reload for an unchanged config");
	touch("stop", true);
	waitpid(client, NULL, 0);
	if ((f = fopen(at("client"), "r"))) {
		if (fscanf(f, "%ld %ld", &n, &bad) != 2)
			bad = -1;
		fclose(f);
	}
	ok(n > 0 && bad == 0, "client loop during the reload: %ld requests, %ld failed", n, bad);
	touch("stop", false);
}

static bool restarted(ecsfs_haproxy *h, int old)
{
	ecsfs_hap_info info;
	double end = now() + 20;
	while (now() < end) {
		ecsfs_haproxy_get_info(h, &info);
		if (info.restarts == 1 && info.state == ECSFS_HAP_RUNNING && info.pid != old)
			return true;
		pause_loop(0.1);
	}
	return false;
}

static void test_kill(ecsfs_haproxy *h)
{
	ecsfs_hap_info info;
	char body[64];

	ecsfs_haproxy_get_info(h, &info);
	kill(info.pid, SIGKILL);
	ok(restarted(h, info.pid), "kill -9 of HAProxy: started again");
	ok(wait_health(h, ECSFS_HAP_HEALTH_HEALTHY, 2), "servers healthy after the restart");
	is_int(get(port1, "/", body, sizeof(body)), 200, "serving again");
}

static bool frontend_up(ecsfs_haproxy *h, const char *name)
{
	ecsfs_err err = ECSFS_ERR_INIT;
	int rc = ecsfs_haproxy_frontend_error(h, name, &err);
	ecsfs_err_release(&err);
	return rc == 0;
}

static void test_port_in_use(ecsfs_haproxy *h)
{
	ecsfs_err err = ECSFS_ERR_INIT;
	int fd = listen_any(&port2), code = 0;
	double end;
	done d;

	is_int(apply(h, config(port1, true, port2), &d), -EADDRINUSE,
	       "a listener on a port in use: EADDRINUSE");
	ok(strstr(d.msg, "fe2") && strstr(d.msg, "in use"), "message: %s", d.msg);
	is_int(ecsfs_haproxy_frontend_error(h, "fe2", &err), -EADDRINUSE, "fe2 is reported");
	ok(frontend_up(h, "fe1"), "fe1 is fine");
	is_int(get(port1, "/", NULL, 0), 200, "fe1 keeps serving");
	close(fd);
	end = now() + 20;
	while ((!frontend_up(h, "fe2") || (code = get(port2, "/", NULL, 0)) != 200) && now() < end)
		pause_loop(0.2);
	is_int(code, 200, "once the port is free, fe2 listens");
	ecsfs_err_release(&err);
}

static void test_remove(ecsfs_haproxy *h)
{
	ecsfs_err err = ECSFS_ERR_INIT;
	reading r;
	done d = {0};

	is_int(ecsfs_haproxy_server_remove(h, "web", "s2", on_done, &d, &err), 0, "remove s2");
	is_int(wait_done(&d), 0, "removed");
	is_int(read_servers(h, &r), 0, "read servers");
	ok(r.n == 1 && strcmp(r.st[0].name, "s1") == 0, "only s1 is left");
	ntargets = 1;
	ecsfs_err_release(&err);
}

static void closed(void *data)
{
	*(bool *)data = true;
}

static void close_driver(ecsfs_haproxy *h)
{
	bool gone = false;
	ecsfs_haproxy_close(h, closed, &gone);
	ok(run_until(&gone, 10), "driver closed");
}

static ecsfs_haproxy *new_driver(const char *state, const char *binary)
{
	ecsfs_haproxy_opts o = {.state_dir = state, .binary = binary};
	ecsfs_err err = ECSFS_ERR_INIT;
	ecsfs_haproxy *h = NULL;
	int rc = ecsfs_haproxy_new(loop, &o, &h, &err);
	if (rc < 0)
		printf("# %s\n", err.msg.data);
	ecsfs_err_release(&err);
	return h;
}

static bool adopted(ecsfs_haproxy *h, ecsfs_hap_info *info)
{
	double end = now() + 10;
	do {
		ecsfs_haproxy_get_info(h, info);
		if (info->adopted && info->state == ECSFS_HAP_RUNNING)
			return true;
		pause_loop(0.05);
	} while (now() < end);
	return false;
}

/* A new driver takes over the HAProxy the closed one left running. */
static void test_adopt(int pid)
{
	ecsfs_haproxy *h = new_driver(dir, NULL);
	ecsfs_hap_info info;
	done d;

	ok(h && adopted(h, &info), "a new driver adopts the running HAProxy");
	is_int(info.pid, pid, "the same master");
	is_int(apply(h, config(port1, true, port2), &d), 0, "the same config again");
	ecsfs_haproxy_get_info(h, &info);
	ok(info.reloads == 0 && info.restarts == 0 && info.pid == pid,
	   "no reload, no restart (reloads %u, restarts %u)", info.reloads, info.restarts);
	is_int(get(port1, "/", NULL, 0), 200, "serving");
	is_int(apply(h, ecsfs_hap_config_new(), &d), 0, "an empty config");
	ecsfs_haproxy_get_info(h, &info);
	ok(info.state == ECSFS_HAP_STOPPED && !pid_alive(pid), "stops HAProxy");
	ok(get(port1, "/", NULL, 0) < 0, "nothing listens any more");
	close_driver(h);
}

/* The process that runs a driver is killed with SIGKILL: traffic goes on,
 * and the next driver adopts the HAProxy. */
static void test_kill_daemon(void)
{
	char state[600], line[64] = "";
	int fds[2], port = free_port(), pid = 0;
	struct pollfd pfd;
	ecsfs_haproxy *h;
	ecsfs_hap_info info;
	pid_t child;
	done d;

	/* a space in the path: the config file escapes it */
	snprintf(state, sizeof(state), "%s/second dir", dir);
	mkdir(state, 0700);
	if (pipe(fds) < 0)
		abort();
	child = fork();
	if (child == 0) {
		uv_loop_t l;
		ecsfs_haproxy *ch;
		ecsfs_haproxy_opts o = {.state_dir = state};
		ecsfs_err err = ECSFS_ERR_INIT;
		uv_loop_init(&l);
		loop = &l;
		uv_timer_init(loop, &tick);
		uv_timer_start(&tick, on_tick, 50, 50);
		if (ecsfs_haproxy_new(loop, &o, &ch, &err) < 0 ||
		    apply(ch, config(port, false, 0), &d) != 0)
			_exit(1);
		ecsfs_haproxy_get_info(ch, &info);
		dprintf(fds[1], "%d\n", info.pid);
		for (;;)
			uv_run(loop, UV_RUN_DEFAULT);
	}
	close(fds[1]);
	pfd = (struct pollfd){.fd = fds[0], .events = POLLIN};
	if (poll(&pfd, 1, 30000) == 1 && read(fds[0], line, sizeof(line) - 1) > 0)
		pid = atoi(line);
	close(fds[0]);
	ok(pid > 0, "a child process ran a driver that started HAProxy %d", pid);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	ok(pid_alive(pid), "kill -9 of that process: HAProxy lives on");
	is_int(get(port, "/", NULL, 0), 200, "and serves");
	h = new_driver(state, NULL);
	ok(h && adopted(h, &info) && info.pid == pid, "the next driver adopts it");
	is_int(apply(h, ecsfs_hap_config_new(), &d), 0, "and stops it");
	ok(!pid_alive(pid), "gone");
	close_driver(h);
}

static void test_missing_binary(void)
{
	ecsfs_haproxy *h = new_driver(dir, "/nonexistent/haproxy");
	ecsfs_hap_info info;
	done d;

	is_int(apply(h, config(free_port(), false, 0), &d), -ENOENT, "no program: ENOENT");
	ok(strstr(d.msg, "/nonexistent/haproxy") && strstr(d.msg, "no program"), "message: %s",
	   d.msg);
	ecsfs_haproxy_get_info(h, &info);
	is_int(info.state, ECSFS_HAP_FAILED, "state FAILED (retried later)");
	close_driver(h);
}

static void cleanup(void)
{
	char cmd[1200];
	if (s1.pid > 0 && kill(s1.pid, SIGKILL) == 0)
		waitpid(s1.pid, NULL, 0);
	if (s2.pid > 0 && kill(s2.pid, SIGKILL) == 0)
		waitpid(s2.pid, NULL, 0);
	/* an HAProxy a failed test left behind */
	snprintf(cmd, sizeof(cmd),
		 "for p in '%s/haproxy/haproxy.pid' '%s/second dir/haproxy/haproxy.pid'; do "
		 "[ -f \"$p\" ] && kill -9 $(cat \"$p\") 2>/dev/null; done; true",
		 dir, dir);
	if (system(cmd) != 0)
		printf("# cleanup failed\n");
	tap_rmtree(dir);
}

int main(void)
{
	ecsfs_haproxy *h;
	ecsfs_hap_info info;

	if (system("command -v haproxy >/dev/null 2>&1 || test -x /usr/sbin/haproxy") != 0) {
		printf("1..0 # SKIP haproxy is not installed\n");
		return 0;
	}
	if (!mkdtemp(dir))
		abort();
	signal(SIGPIPE, SIG_IGN);
	loop = uv_default_loop();
	uv_timer_init(loop, &tick);
	uv_timer_start(&tick, on_tick, 50, 50); /* the loop never blocks long */
	srv_start(&s1);
	srv_start(&s2);
	port1 = free_port();
	targets[0] = (target){&s1, ECSFS_HAP_READY, 1};
	targets[1] = (target){&s2, ECSFS_HAP_READY, 1};
	ntargets = 2;

	test_kill_daemon();
	h = new_driver(dir, NULL);
	ok(h != NULL, "driver created");
	test_start(h);
	test_drain_weight(h);
	test_fail_open(h);
	test_new_target(h);
	test_reload(h);
	test_kill(h);
	test_port_in_use(h);
	test_remove(h);
	ecsfs_haproxy_get_info(h, &info);
	close_driver(h);
	ok(pid_alive(info.pid), "closing the driver leaves HAProxy running");
	test_adopt(info.pid);
	test_missing_binary();

	uv_close((uv_handle_t *)&tick, NULL);
	uv_run(loop, UV_RUN_DEFAULT);
	uv_loop_close(loop);
	cleanup();
	return tap_done();
}
