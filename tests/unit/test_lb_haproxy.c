/*
 * The load-balancer controller on a real HAProxy: a target's health from
 * HAProxy's checks (initial, healthy, unhealthy with ALB's reason), draining
 * and leaving, re-adoption of the running HAProxy and its targets by a new
 * controller, HAProxy stopped with the last load balancer. The target is a
 * tiny HTTP server on this test's loop. Skipped without haproxy.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "ecsfs/lb.h"
#include "ecsfs/loadbalancer.h"
#include "ecsfs/targetgroup.h"
#include "ecsfs/util.h"
#include "tap.h"

static uv_loop_t loop;
static ecsfs_store *s;
static char dir[] = "/tmp/ecsfs-test-lbhap-XXXXXX";
static int status_code = 200; /* what the target answers */
static uv_tcp_t server;
static int server_port;

/* ---- a target: answers every request with status_code ---- */

static void conn_closed(uv_handle_t *h)
{
	free(h);
}

static void write_done(uv_write_t *w, int status)
{
	uv_close((uv_handle_t *)w->handle, conn_closed);
	free(w);
}

static void alloc_cb(uv_handle_t *h, size_t n, uv_buf_t *b)
{
	static char buf[4096];
	*b = uv_buf_init(buf, sizeof(buf));
}

static void read_cb(uv_stream_t *c, ssize_t n, const uv_buf_t *b)
{
	static char reply[128];
	if (n < 0) {
		uv_close((uv_handle_t *)c, conn_closed);
		return;
	}
	if (n == 0 || !memmem(b->base, (size_t)n, "\r\n\r\n", 4))
		return;
	uv_read_stop(c);
	snprintf(reply, sizeof(reply),
		 "HTTP/1.0 %d X\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n",
		 status_code);
	uv_write_t *w = malloc(sizeof(*w));
	uv_buf_t out = uv_buf_init(reply, (unsigned)strlen(reply));
	uv_write(w, c, &out, 1, write_done);
}

static void on_conn(uv_stream_t *srv, int status)
{
	uv_tcp_t *c = malloc(sizeof(*c));
	uv_tcp_init(&loop, c);
	if (uv_accept(srv, (uv_stream_t *)c) == 0)
		uv_read_start((uv_stream_t *)c, alloc_cb, read_cb);
	else
		uv_close((uv_handle_t *)c, conn_closed);
}

static int start_server(void)
{
	struct sockaddr_in sa;
	struct sockaddr_storage got;
	int len = sizeof(got);
	uv_ip4_addr("127.0.0.1", 0, &sa);
	uv_tcp_init(&loop, &server);
	if (uv_tcp_bind(&server, (struct sockaddr *)&sa, 0) < 0 ||
	    uv_listen((uv_stream_t *)&server, 16, on_conn) < 0 ||
	    uv_tcp_getsockname(&server, (struct sockaddr *)&got, &len) < 0)
		return -1;
	server_port = ntohs(((struct sockaddr_in *)&got)->sin_port);
	return 0;
}

/* ---- helpers ---- */

static void put(bool lb, const char *name, const char *doc)
{
	ecsfs_file_meta meta = {.kind = ECSFS_FILE_SPEC, .mode = 0644, .mtime_ns = 1};
	ecsfs_err err = ECSFS_ERR_INIT;
	int r = lb ? ecsfs_loadbalancer_apply(s, name, doc, strlen(doc), &meta, &err)
		   : ecsfs_targetgroup_apply(s, name, doc, strlen(doc), &meta, &err);
	if (r < 0)
		printf("# apply %s: %s\n", name, err.msg.data);
	ecsfs_err_release(&err);
}

static void tick(uv_timer_t *t)
{
	(void)t;
}

/* Run the loop until the task's state is `want` (at most `secs`). */
static bool wait_state(ecsfs_lb *lb, const char *task, ecsfs_target_state want, int secs)
{
	uv_timer_t t;
	int64_t end = ecsfs_now_ns() + (int64_t)secs * 1000000000;
	bool got = false;
	uv_timer_init(&loop, &t);
	uv_timer_start(&t, tick, 50, 50);
	while (!(got = ecsfs_lb_target_state(lb, "web", task) == want) && ecsfs_now_ns() < end)
		uv_run(&loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(&loop, UV_RUN_NOWAIT);
	return got;
}

static bool targets_have(ecsfs_lb *lb, const char *text)
{
	ecsfs_buf out = ECSFS_BUF_INIT;
	bool r = ecsfs_lb_targets(lb, "web", &out) == 0 && strstr(out.data, text);
	if (!r)
		printf("# targets: %s", out.len ? out.data : "(none)\n");
	ecsfs_buf_release(&out);
	return r;
}

static void spin(int ms)
{
	uv_timer_t t;
	int64_t end = ecsfs_now_ns() + (int64_t)ms * 1000000;
	uv_timer_init(&loop, &t);
	uv_timer_start(&t, tick, 50, 50);
	while (ecsfs_now_ns() < end)
		uv_run(&loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(&loop, UV_RUN_NOWAIT);
}

static void close_lb(ecsfs_lb *lb)
{
	ecsfs_lb_free(lb);
	spin(300);
}

static int hap_pid(void)
{
	char path[256];
	int pid = 0;
	snprintf(path, sizeof(path), "%s/haproxy/haproxy.pid", dir);
	FILE *f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%d", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	return pid;
}

/* Alive and not a zombie. */
static bool running(int pid)
{
	char path[64], stat[256] = "";
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	size_t n = fread(stat, 1, sizeof(stat) - 1, f);
	fclose(f);
	stat[n] = '\0';
	const char *p = strrchr(stat, ')');
	return p && p[1] == ' ' && p[2] != 'Z';
}

static bool have_haproxy(void)
{
	return access("/usr/sbin/haproxy", X_OK) == 0 ||
	       system("command -v haproxy >/dev/null 2>&1") == 0;
}

int main(void)
{
	ecsfs_buf why = ECSFS_BUF_INIT, doc = ECSFS_BUF_INIT;
	ecsfs_err err = ECSFS_ERR_INIT;
	ecsfs_lb *lb;
	char addr_line[64];
	int listen_port = 22000 + getpid() % 4000;

	if (!have_haproxy()) {
		printf("1..0 # SKIP haproxy is not installed\n");
		return 0;
	}
	if (!mkdtemp(dir) || ecsfs_store_open(dir, &s, &why) < 0) {
		printf("Bail out! %s\n", why.data);
		return 1;
	}
	uv_loop_init(&loop);
	if (start_server() < 0) {
		printf("Bail out! cannot listen\n");
		return 1;
	}
	put(false, "web",
	    "{\"Protocol\":\"HTTP\",\"Port\":80,\"HealthCheckIntervalSeconds\":5,"
	    "\"HealthCheckTimeoutSeconds\":2,\"HealthyThresholdCount\":2,"
	    "\"UnhealthyThresholdCount\":2,\"Attributes\":[{\"Key\":"
	    "\"deregistration_delay.timeout_seconds\",\"Value\":\"3\"}]}");
	ecsfs_buf_addf(&doc,
		       "{\"Listeners\":[{\"Port\":%d,\"DefaultActions\":[{\"Type\":\"forward\","
		       "\"TargetGroupArn\":\"web\"}]}]}",
		       listen_port);
	put(true, "front", doc.data);

	is_int(ecsfs_lb_new(&loop, s, dir, &lb), 0, "a controller on the state directory");
	is_int(ecsfs_lb_register(lb, "web", "prod", "web", "t1", "127.0.0.1", server_port, &err), 0,
	       "register a target");
	ok(ecsfs_lb_target_state(lb, "web", "t1") == ECSFS_TARGET_INITIAL, "initial at first");
	ok(wait_state(lb, "t1", ECSFS_TARGET_HEALTHY, 40), "healthy after its checks pass");
	snprintf(addr_line, sizeof(addr_line), "127.0.0.1:%d healthy - task t1", server_port);
	ok(targets_have(lb, addr_line), "targets: %s", addr_line);

	status_code = 500;
	ok(wait_state(lb, "t1", ECSFS_TARGET_UNHEALTHY, 40), "unhealthy once they fail");
	ok(targets_have(lb, "unhealthy Target.ResponseCodeMismatch task t1"),
	   "with ALB's reason for a wrong status");
	status_code = 200;
	ok(wait_state(lb, "t1", ECSFS_TARGET_HEALTHY, 40), "healthy again");

	/* a new controller (a restarted daemon) adopts HAProxy and its target */
	close_lb(lb);
	is_int(ecsfs_lb_new(&loop, s, dir, &lb), 0, "a second controller");
	ok(wait_state(lb, "t1", ECSFS_TARGET_HEALTHY, 20),
	   "adopts the target from the running HAProxy, healthy, without a registration");

	is_int(ecsfs_lb_deregister(lb, "web", "t1", &err), 0, "deregister");
	is_int(ecsfs_lb_target_state(lb, "web", "t1"), ECSFS_TARGET_DRAINING, "draining");
	ok(wait_state(lb, "t1", ECSFS_TARGET_NONE, 10), "gone once its connections ended");

	int pid = hap_pid();
	ok(pid > 0 && running(pid), "HAProxy runs (pid %d)", pid);
	is_int(ecsfs_lb_loadbalancer_delete(lb, "front", &err), 0, "delete the load balancer");
	for (int i = 0; i < 100 && running(pid); i++)
		spin(100);
	ok(!running(pid), "HAProxy stops with the last load balancer");
	close_lb(lb);
	uv_close((uv_handle_t *)&server, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	ecsfs_store_close(s);
	ecsfs_buf_release(&why);
	ecsfs_buf_release(&doc);
	ecsfs_err_release(&err);
	tap_rmtree(dir);
	return tap_done();
}
