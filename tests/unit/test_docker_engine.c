/*
 * The Docker runtime against the real engine, when one answers (required
 * when ECSFS_REQUIRE_DOCKER=1): images, containers, volumes, networks,
 * events and logs, everything it makes named with the pid and removed.
 */
#include "docker_harness.h"

/* ---- the real engine, when there is one --------------------------------- */

static bool real_engine_answers(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool up;

	if (fd < 0)
		return false;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", REAL_DOCKER_SOCK);
	up = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return up;
}

/* What the real-engine test makes, named with the pid and labelled
 * ecsfs.test=<pid>, so that a crash leaves junk one can find. */
struct real {
	char pid[16];
	char image[64], absent[64];
	char name_a[64], name_b[64], name_t[64];
	char volume[64];
	char id_a[65], id_b[65], id_t[65];
};

/* A request the runtime has no call for (removing an image), or cleanup
 * that must happen whatever the runtime did. */
static void raw_request(const char *method, const char *path)
{
	ecsfs_http *http = NULL;
	struct result r = {0};
	bool closed = false;

	if (ecsfs_http_new(&loop, REAL_DOCKER_SOCK, &http) < 0)
		return;
	if (ecsfs_http_request(http, method, path, NULL, 0, 30000, on_result, &r) == 0)
		run_until(result_done, &r, 35000);
	ecsfs_http_close(http, set_flag, &closed);
	run_until(flag_set, &closed, 5000);
	result_release(&r);
}

static void real_cleanup(const struct real *x)
{
	const char *names[] = {x->name_a, x->name_b, x->name_t};
	char path[256];
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "/v1.41/containers/%s?force=1&v=1", names[i]);
		raw_request("DELETE", path);
	}
	snprintf(path, sizeof(path), "/v1.41/volumes/%s", x->volume);
	raw_request("DELETE", path);
	snprintf(path, sizeof(path), "/v1.41/images/%s?force=1", x->image);
	raw_request("DELETE", path);
}

static json_t *real_config(const struct real *x, const char *container, json_t *cmd)
{
	return json_pack("{s:s, s:o, s:{s:s, s:s, s:s, s:s, s:s}, s:{s:[{s:s, s:s, s:s}]}}",
			 "Image", x->image, "Cmd", cmd, "Labels", ECSFS_LABEL_MANAGED, "1",
			 ECSFS_LABEL_TASK, x->pid, ECSFS_LABEL_CONTAINER, container,
			 ECSFS_LABEL_CLUSTER, "ecsfs-test", "ecsfs.test", x->pid, "HostConfig",
			 "Mounts", "Type", "volume", "Source", x->volume, "Target", "/data");
}

static bool read_file(const char *path, ecsfs_buf *out)
{
	FILE *fp = fopen(path, "rb");
	char chunk[65536];
	size_t n;

	if (!fp)
		return false;
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		ecsfs_buf_add(out, chunk, n);
	fclose(fp);
	return true;
}

static void real_images(ecsfs_runtime *rt, const struct real *x, const ecsfs_buf *tar)
{
	struct rres r = {0};
	const char *cmd;

	is_int(
	    RCALL(&r, image_import, x->image, tar->data, tar->len, "[\"/bin/busybox\",\"true\"]"),
	    0, "real: image_import");
	if (r.err)
		printf("# %s\n", r.errmsg);
	ok(strncmp(nz(json_string_value(json_object_get(r.result, "status"))), "sha256:", 7) == 0,
	   "real: import answers with the image id");
	is_int(RCALL(&r, image_inspect, x->image), 0, "real: image_inspect");
	cmd = json_string_value(
	    json_array_get(json_object_get(json_object_get(r.result, "Config"), "Cmd"), 0));
	is_str(cmd, "/bin/busybox", "real: the imported image has its command");
	is_int(RCALL(&r, image_inspect, x->absent), -ENOENT,
	       "real: image_inspect of an absent one");
	ok(strstr(r.errmsg, "No such image") != NULL, "real: ... with the engine's message");
	is_int(RCALL(&r, image_pull, "nosuchimage-ecsfs:1"), r.err ? r.err : -1,
	       "real: a pull that cannot succeed fails");
	ok(r.err == -EIO || r.err == -ENOENT, "real: pull fails with -EIO or -ENOENT (%d)", r.err);
	ok(r.errmsg[0] && !strstr(r.errmsg, "the engine answered HTTP"),
	   "real: pull: the engine's own message");
	printf("# pull: %s\n", r.errmsg);
	rres_reset(&r);
}

/* A: output on both streams, exits 0. */
static void real_container_a(ecsfs_runtime *rt, struct real *x, struct evlog *e)
{
	json_t *cfg = real_config(x, "a",
				  json_pack("[s,s,s,s]", "/bin/busybox", "sh", "-c",
					    "echo out; echo err >&2; /bin/busybox sleep 1; "
					    "echo late"));
	struct evwait ew = {.e = e, .opens = 1};
	struct follower f = {0};
	struct rres r = {0};
	char want[128];
	int64_t t0;
	json_t *state, *labels;

	follower_reset(&f);
	is_int(RCALL(&r, create, x->name_a, cfg), 0, "real: create A");
	snprintf(x->id_a, sizeof(x->id_a), "%s",
		 nz(json_string_value(json_object_get(r.result, "Id"))));
	ok(strlen(x->id_a) == 64, "real: A has an id");
	is_int(RCALL(&r, create, x->name_a, cfg), -EEXIST, "real: create: a taken name");
	ok(strstr(r.errmsg, "already in use") != NULL, "real: ... with the engine's message");
	printf("# %s\n", r.errmsg);
	json_object_set_new(cfg, "Image", json_string(x->absent));
	is_int(RCALL(&r, create, x->name_b, cfg), -ENOENT, "real: create: an absent image");
	printf("# %s\n", r.errmsg);

	t0 = now_ns();
	is_int(RCALL(&r, start_container, x->id_a), 0, "real: start A");
	ok(rt->ops->logs(rt, x->id_a, 0, on_rt_line, on_rt_end, &f) != NULL, "real: follow A");
	ok(run_until(follower_ended, &f, 20000), "real: A's logs end when it stops");
	is_int(f.end_err, 0, "real: ... with 0");
	diag_lines(f.text.data);
	ok(strstr(f.text.data, "1 now 3 out\n") && strstr(f.text.data, "2 now 3 err\n"),
	   "real: stdout and stderr apart");
	ok(f.n == 3 && strstr(f.text.data, "1 now 4 late\n") &&
	       strcmp(f.text.data + f.text.len - 13, "1 now 4 late\n") == 0,
	   "real: late comes last");
	ok(f.first_ts >= t0 - 5000000000LL && f.last_ts <= now_ns() + 5000000000LL,
	   "real: timestamps are the engine's, now");
	ok(f.last_ts - f.first_ts >= 900000000LL, "real: a second between out and late");

	snprintf(want, sizeof(want), "start %.12s\n", x->id_a);
	ew.text = want;
	ok(run_until(ev_has, &ew, 10000), "real: watch saw A start");
	snprintf(want, sizeof(want), "die %.12s 0\n", x->id_a);
	ok(run_until(ev_has, &ew, 10000), "real: watch saw A die with 0");

	is_int(RCALL(&r, inspect, x->name_a), 0, "real: inspect A by name");
	state = json_object_get(r.result, "State");
	is_str(json_string_value(json_object_get(state, "Status")), "exited", "real: A exited");
	is_int(json_integer_value(json_object_get(state, "ExitCode")), 0, "real: ExitCode 0");
	labels = json_object_get(json_object_get(r.result, "Config"), "Labels");
	is_str(json_string_value(json_object_get(labels, ECSFS_LABEL_MANAGED)), "1",
	       "real: A's labels");
	is_str(json_string_value(json_object_get(r.result, "Id")), x->id_a, "real: A's Id");
	snprintf(want, sizeof(want), "ecsfs.test=%s", x->pid);
	is_int(RCALL(&r, list, want), 0, "real: list by label");
	is_int(json_array_size(r.result), 1, "real: one container has it");
	is_str(json_string_value(json_object_get(json_array_get(r.result, 0), "Id")), x->id_a,
	       "real: ... A");
	is_int(RCALL(&r, volume_remove, x->volume), -EBUSY, "real: volume_remove: in use");
	printf("# %s\n", r.errmsg);
	rres_reset(&r);
	follower_reset(&f);
	ecsfs_buf_release(&f.text);
	json_decref(cfg);
}

/* A shell line that prints a line of 40000 bytes, which the engine stores
 * as three messages (16 KiB at most each). */
#define LONG_LINE                                                                           \
	"i=0; s=''; while [ $i -lt 2000 ]; do s=\"${s}abcdefghijklmnopqrst\"; i=$((i+1)); " \
	"done; echo \"$s\""
#define LONG_SHOWN "40000 abcdefghijklmnopqrstabcdefghijklmnopqrst"

static bool follower_has_line(void *arg)
{
	return ((struct follower *)arg)->n > 0;
}

/* B: prints a long line, then runs until stopped; ignores SIGTERM (it is
 * pid 1), so dies of SIGKILL. */
static void real_container_b(ecsfs_runtime *rt, struct real *x, struct evlog *e)
{
	json_t *cfg = real_config(x, "b",
				  json_pack("[s,s,s,s]", "/bin/busybox", "sh", "-c",
					    LONG_LINE "; exec /bin/busybox sleep 60"));
	struct evwait ew = {.e = e, .opens = 1};
	struct follower f = {0};
	struct rres r = {0};
	ecsfs_runtime_logs *l;
	uint64_t t0;
	char want[128];

	follower_reset(&f);
	is_int(RCALL(&r, create, x->name_b, cfg), 0, "real: create B");
	snprintf(x->id_b, sizeof(x->id_b), "%s",
		 nz(json_string_value(json_object_get(r.result, "Id"))));
	is_int(RCALL(&r, start_container, x->id_b), 0, "real: start B");
	is_int(RCALL(&r, start_container, x->id_b), 0, "real: start B again (304)");
	l = rt->ops->logs(rt, x->id_b, 0, on_rt_line, on_rt_end, &f);
	ok(l != NULL, "real: follow B");
	ok(run_until(follower_has_line, &f, 10000), "real: B printed");
	is_str(f.text.data, "1 now " LONG_SHOWN "\n", "real: a 40000-byte line, whole");
	ok(!f.ts_in_text, "real: ... without the engine's timestamps inside");
	run_until(never, NULL, 200);
	ok(!f.ended, "real: B's logs go on");
	rt->ops->logs_cancel(l);
	ok(!f.ended, "real: logs_cancel: not from within");
	ok(run_until(follower_ended, &f, 5000) && f.end_err == -ECANCELED,
	   "real: logs_cancel: end(-ECANCELED)");

	uv_update_time(&loop);
	t0 = uv_now(&loop);
	is_int(RCALL(&r, stop, x->id_b, 1), 0, "real: stop B with a 1 s timeout");
	uv_update_time(&loop);
	ok(uv_now(&loop) - t0 >= 900, "real: stop waited for the timeout (%llu ms)",
	   (unsigned long long)(uv_now(&loop) - t0));
	is_int(RCALL(&r, stop, x->id_b, 1), 0, "real: stop B again (304)");
	is_int(RCALL(&r, inspect, x->id_b), 0, "real: inspect B");
	is_int(json_integer_value(json_object_get(json_object_get(r.result, "State"), "ExitCode")),
	       137, "real: B was killed");
	snprintf(want, sizeof(want), "die %.12s 137\n", x->id_b);
	ew.text = want;
	ok(run_until(ev_has, &ew, 10000), "real: watch saw B die with 137");
	snprintf(want, sizeof(want), "stop %.12s\n", x->id_b);
	ok(run_until(ev_has, &ew, 10000), "real: watch saw B stop");
	rres_reset(&r);
	ecsfs_buf_release(&f.text);
	json_decref(cfg);
}

/* T: a TTY; its output is raw, all of it stdout. */
static void real_container_t(ecsfs_runtime *rt, struct real *x)
{
	json_t *cfg = real_config(
	    x, "t",
	    json_pack("[s,s,s,s]", "/bin/busybox", "sh", "-c", LONG_LINE "; echo 'tty line'"));
	struct follower f = {0};
	struct rres r = {0};

	follower_reset(&f);
	json_object_set_new(cfg, "Tty", json_true());
	is_int(RCALL(&r, create, x->name_t, cfg), 0, "real: create T (tty)");
	snprintf(x->id_t, sizeof(x->id_t), "%s",
		 nz(json_string_value(json_object_get(r.result, "Id"))));
	is_int(RCALL(&r, start_container, x->id_t), 0, "real: start T");
	ok(rt->ops->logs(rt, x->id_t, 0, on_rt_line, on_rt_end, &f) != NULL, "real: follow T");
	ok(run_until(follower_ended, &f, 20000) && f.end_err == 0, "real: T's logs end");
	/* a loaded engine may end the follow of a TTY container that exits at
	 * once before its log file has the lines; the logs of the exited
	 * container are then read again (at most twice) */
	for (int again = 0; again < 2 && f.text.len == 0; again++) {
		follower_reset(&f);
		if (rt->ops->logs(rt, x->id_t, 0, on_rt_line, on_rt_end, &f))
			run_until(follower_ended, &f, 20000);
	}
	is_str(f.text.data, "1 now " LONG_SHOWN "\n1 now 8 tty line\n",
	       "real: a TTY's lines, without \\r");
	ok(!f.ts_in_text, "real: ... without the engine's timestamps inside");
	rres_reset(&r);
	ecsfs_buf_release(&f.text);
	json_decref(cfg);
}

static void real_removals(ecsfs_runtime *rt, struct real *x, struct evlog *e)
{
	struct evwait ew = {.e = e, .opens = 1};
	struct follower f = {0};
	struct rres r = {0};
	char want[128];

	follower_reset(&f);
	is_int(RCALL(&r, remove, x->id_a), 0, "real: remove A");
	is_int(RCALL(&r, remove, x->id_b), 0, "real: remove B");
	is_int(RCALL(&r, remove, x->id_t), 0, "real: remove T");
	is_int(RCALL(&r, remove, x->id_a), -ENOENT, "real: remove A again: -ENOENT");
	printf("# %s\n", r.errmsg);
	is_int(RCALL(&r, inspect, x->id_a), -ENOENT, "real: inspect a removed one");
	is_int(RCALL(&r, start_container, x->id_a), -ENOENT, "real: start a removed one");
	is_int(RCALL(&r, stop, x->id_a, 1), -ENOENT, "real: stop a removed one");
	ok(rt->ops->logs(rt, x->id_a, 0, on_rt_line, on_rt_end, &f) != NULL,
	   "real: follow a removed one");
	ok(run_until(follower_ended, &f, 5000) && f.end_err == 0, "real: ... ends with 0");
	snprintf(want, sizeof(want), "destroy %.12s\n", x->id_a);
	ew.text = want;
	ok(run_until(ev_has, &ew, 10000), "real: watch saw A destroyed");
	is_int(RCALL(&r, volume_remove, x->volume), 0, "real: volume_remove");
	is_int(RCALL(&r, volume_remove, x->volume), -ENOENT, "real: volume_remove again: -ENOENT");
	rres_reset(&r);
	ecsfs_buf_release(&f.text);
}

/* Networks: create, a name taken, inspect, list by label, disconnect of a
 * container that is not on it, remove, and a removal of one that is gone. */
static void real_network(ecsfs_runtime *rt, struct real *x)
{
	struct rres r = {0};
	char name[64], label[64];
	json_t *body;

	snprintf(name, sizeof(name), "ecsfs-test-%s-net", x->pid);
	snprintf(label, sizeof(label), "ecsfs.test=%s", x->pid);
	body = json_pack("{s:s, s:b, s:s, s:{s:s}}", "Name", name, "CheckDuplicate", 1, "Driver",
			 "bridge", "Labels", "ecsfs.test", x->pid);
	is_int(RCALL(&r, network_create, body), 0, "real: network_create (%s)", r.errmsg);
	ok(json_string_value(json_object_get(r.result, "Id")) != NULL, "real: the network's Id");
	is_int(RCALL(&r, network_create, body), -EEXIST, "real: a network name taken is -EEXIST");
	json_decref(body);
	is_int(RCALL(&r, network_inspect, name), 0, "real: network_inspect");
	ok(json_string_value(json_object_get(
	       json_array_get(json_object_get(json_object_get(r.result, "IPAM"), "Config"), 0),
	       "Subnet")) != NULL,
	   "real: the engine gave it a subnet");
	is_int(RCALL(&r, network_list, label), 0, "real: network_list by label");
	is_int(json_array_size(r.result), 1, "real: it lists that one");
	is_int(RCALL(&r, network_disconnect, name, "ecsfs-test-no-such-container"), -ENOENT,
	       "real: disconnect of no such container is -ENOENT");
	is_int(RCALL(&r, network_remove, name), 0, "real: network_remove");
	is_int(RCALL(&r, network_remove, name), -ENOENT, "real: again: -ENOENT");
	is_int(RCALL(&r, network_inspect, name), -ENOENT, "real: inspect of it: -ENOENT");
	rres_reset(&r);
}

static void real_calls(ecsfs_runtime *rt, struct real *x)
{
	ecsfs_buf bin = ECSFS_BUF_INIT, tar = ECSFS_BUF_INIT;
	struct evlog e = {ECSFS_BUF_INIT, 0, 0};
	struct evwait ew = {.e = &e, .opens = 1};
	json_t *vol;
	struct rres r = {0};

	if (!read_file("/bin/busybox", &bin)) {
		ok(1, "# skip no /bin/busybox to make an image of");
		return;
	}
	ecsfs_tar_one_file("bin/busybox", bin.data, bin.len, 0755, &tar);
	ecsfs_buf_release(&bin);
	real_images(rt, x, &tar);
	ecsfs_buf_release(&tar);

	rt->ops->watch(rt, on_rt_event, &e);
	ok(run_until(ev_has, &ew, 5000), "real: watching");
	vol = json_pack("{s:s, s:{s:s}}", "Name", x->volume, "Labels", "ecsfs.test", x->pid);
	is_int(RCALL(&r, volume_create, vol), 0, "real: volume_create");
	is_str(json_string_value(json_object_get(r.result, "Name")), x->volume,
	       "real: the volume's name");
	is_int(RCALL(&r, volume_create, vol), 0, "real: volume_create again is not an error");
	json_decref(vol);

	real_network(rt, x);
	real_container_a(rt, x, &e);
	real_container_b(rt, x, &e);
	real_container_t(rt, x);
	real_removals(rt, x, &e);
	rt->ops->watch(rt, NULL, NULL);
	is_int(e.opens, 1, "real: the event stream stayed open throughout");
	rres_reset(&r);
	ecsfs_buf_release(&e.log);
}

static void test_real_engine(void)
{
	const char *require = getenv("ECSFS_REQUIRE_DOCKER");
	struct real x;
	struct rt_watch w;
	ecsfs_runtime *rt;

	memset(&x, 0, sizeof(x));
	if (!real_engine_answers()) {
		if (require && strcmp(require, "1") == 0)
			ok(0, "a Docker engine answers at %s (ECSFS_REQUIRE_DOCKER=1)",
			   REAL_DOCKER_SOCK);
		else
			ok(1, "# skip no Docker engine answers at %s", REAL_DOCKER_SOCK);
		return;
	}
	rt = docker_on("unix://" REAL_DOCKER_SOCK, &w);
	if (!rt)
		return;
	ok(run_until(is_up, &w, 10000), "real engine: reachable");
	printf("# engine %s, API %s\n", w.last.version, w.last.api_version);
	ok(w.last.version[0] != '\0', "real engine: has a version");
	ok(ecsfs_docker_api_cmp(w.last.api_version, ECSFS_DOCKER_API_MIN) >= 0 &&
	       ecsfs_docker_api_cmp(w.last.api_version, ECSFS_DOCKER_API_MAX) <= 0,
	   "real engine: API %s within [%s, %s]", w.last.api_version, ECSFS_DOCKER_API_MIN,
	   ECSFS_DOCKER_API_MAX);

	snprintf(x.pid, sizeof(x.pid), "%ld", (long)getpid());
	snprintf(x.image, sizeof(x.image), "ecsfs-test-%s:1", x.pid);
	snprintf(x.absent, sizeof(x.absent), "ecsfs-test-%s:absent", x.pid);
	snprintf(x.name_a, sizeof(x.name_a), "ecsfs-test-%s-a", x.pid);
	snprintf(x.name_b, sizeof(x.name_b), "ecsfs-test-%s-b", x.pid);
	snprintf(x.name_t, sizeof(x.name_t), "ecsfs-test-%s-t", x.pid);
	snprintf(x.volume, sizeof(x.volume), "ecsfs-test-%s-vol", x.pid);
	if (w.last.reachable) {
		real_cleanup(&x); /* a killed run of an earlier process of this pid */
		real_calls(rt, &x);
	}
	close_runtime(rt, "real engine");
	real_cleanup(&x);
}

int main(void)
{
	if (harness_begin())
		return 1;
	test_real_engine();
	return harness_end();
}
