#include <errno.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launch_harness.h"

static void test_names(void)
{
	ecsfs_buf b = ECSFS_BUF_INIT;
	json_t *v;

	is_int(needs("{}"), 1, "networkMode unset needs a pause");
	is_int(needs("{\"networkMode\":\"awsvpc\"}"), 1, "awsvpc needs a pause");
	is_int(needs("{\"networkMode\":\"bridge\"}"), 1, "bridge needs a pause");
	is_int(needs("{\"networkMode\":\"none\"}"), 1, "none needs a pause");
	is_int(needs("{\"networkMode\":\"host\"}"), 0, "host does not");
	is_int(needs("{\"networkMode\":\"host\",\"pidMode\":\"task\"}"), 1,
	       "host with pidMode task does: the pid namespace needs an owner");
	is_int(needs("{\"networkMode\":\"host\",\"ipcMode\":\"task\"}"), 1, "so does ipcMode task");

	ecsfs_launch_container_name(TASK, "web", &b);
	is_str(b.data, "ecsfs-" TASK "-web", "container name");
	ecsfs_buf_reset(&b);
	ecsfs_launch_container_name(TASK, ECSFS_PAUSE_NAME, &b);
	is_str(b.data, "ecsfs-" TASK ".pause", "the pause's name");
	ecsfs_buf_reset(&b);
	ecsfs_launch_container_name(TASK, "pause", &b);
	is_str(b.data, "ecsfs-" TASK "-pause", "differs from a container called pause");

	ecsfs_buf_reset(&b);
	v = parse("{\"name\":\"data\"}");
	ecsfs_launch_volume_name(v, TASK, &b);
	is_str(b.data, "ecsfs-" TASK "-data", "task volume name");
	json_decref(v);
	ecsfs_buf_reset(&b);
	v = parse("{\"name\":\"cache\",\"dockerVolumeConfiguration\":{\"scope\":\"shared\"}}");
	ecsfs_launch_volume_name(v, TASK, &b);
	is_str(b.data, "cache", "a shared volume keeps its name");
	json_decref(v);
	ecsfs_buf_release(&b);
}

static void test_basic(void)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	json_t *b, *hc;

	is_int(build(basic, "web", &ctx, &b, &why), 0, "basic container builds");
	hc = at(b, "HostConfig", NULL);
	is_str(s_at(b, "Image", NULL, NULL), "nginx:1.25", "Image as given");
	is_str(s_at(b, "Cmd", "[2]", NULL), "daemon off;", "command is Cmd");
	is_int(json_array_size(at(b, "Cmd", NULL)), 3, "all of it");
	is_str(s_at(b, "Entrypoint", "[0]", NULL), "/docker-entrypoint.sh", "entryPoint");
	is_str(s_at(b, "WorkingDir", NULL, NULL), "/srv", "workingDirectory");
	is_str(s_at(b, "User", NULL, NULL), "101:101", "user");
	is_int(i_at(b, "StopTimeout", NULL), 12, "stopTimeout");
	ok(json_is_true(at(b, "OpenStdin", NULL)), "interactive is OpenStdin");
	ok(json_is_true(at(b, "Tty", NULL)), "pseudoTerminal is Tty");
	ok(json_is_true(at(hc, "Privileged", NULL)), "privileged");
	ok(json_is_true(at(hc, "ReadonlyRootfs", NULL)), "readonlyRootFilesystem");
	ok(has(at(hc, "SecurityOpt", NULL), "no-new-privileges") &&
	       json_array_size(at(hc, "SecurityOpt", NULL)) == 1,
	   "dockerSecurityOptions, without Windows credential specs");
	is_int(i_at(hc, "CpuShares", NULL), 512, "cpu is CpuShares");
	is_int(i_at(hc, "Memory", NULL), 256 * MIB, "memory in bytes");
	is_int(i_at(hc, "MemorySwap", NULL), 256 * MIB, "MemorySwap = Memory: no swap");
	is_int(i_at(hc, "MemoryReservation", NULL), 128 * MIB, "memoryReservation");
	is_str(s_at(hc, "NetworkMode", NULL, NULL), "container:" PAUSE, "joins the pause");
	ok(!at(b, "ExposedPorts", NULL) && !at(hc, "PortBindings", NULL),
	   "no ports on a joined container");
	ok(!at(hc, "Dns", NULL) && !at(hc, "ExtraHosts", NULL) && !at(b, "Hostname", NULL),
	   "nor dns, hosts or hostname");
	is_str(s_at(hc, "LogConfig", "Type", NULL), "json-file", "engine logs in json-file");
	ok(at(hc, "LogConfig", "Config", "max-size", NULL) != NULL, "with a size limit");
	ok(!at(hc, "Init", NULL), "no init unless asked");
	ok(!at(b, "Healthcheck", NULL), "no health check unless asked");

	json_t *labels = at(b, "Labels", NULL);
	is_str(s_at(labels, ECSFS_LABEL_MANAGED, NULL, NULL), "1", "label managed");
	is_str(s_at(labels, ECSFS_LABEL_TASK, NULL, NULL), TASK,
	       "label task wins over dockerLabels");
	is_str(s_at(labels, ECSFS_LABEL_CLUSTER, NULL, NULL), "default", "label cluster");
	is_str(s_at(labels, ECSFS_LABEL_CONTAINER, NULL, NULL), "web", "label container");
	is_str(s_at(labels, "team", NULL, NULL), "a", "dockerLabels kept");
	is_str(s_at(labels, "com.amazonaws.ecs.task-arn", NULL, NULL), ctx.task_arn,
	       "ECS label task-arn");
	is_str(s_at(labels, "com.amazonaws.ecs.cluster", NULL, NULL), "default", "ECS cluster");
	is_str(s_at(labels, "com.amazonaws.ecs.container-name", NULL, NULL), "web",
	       "ECS container-name");
	is_str(s_at(labels, "com.amazonaws.ecs.task-definition-family", NULL, NULL), "web",
	       "ECS family");
	is_str(s_at(labels, "com.amazonaws.ecs.task-definition-version", NULL, NULL), "7",
	       "ECS version");
	json_decref(b);

	is_int(build(basic, "side", &ctx, &b, &why), 0, "second container builds");
	hc = at(b, "HostConfig", NULL);
	is_int(i_at(hc, "CpuShares", NULL), ECSFS_CPU_SHARES_MIN, "no cpu: the floor of 2");
	ok(!at(hc, "Memory", NULL) && !at(hc, "MemorySwap", NULL),
	   "only task memory and a reservation: no per-container limit");
	is_int(i_at(hc, "MemoryReservation", NULL), 64 * MIB, "but the reservation");
	is_int(i_at(b, "StopTimeout", NULL), ECSFS_STOP_TIMEOUT_S, "stopTimeout default");
	ok(!at(b, "Env", NULL), "no Env when there is none");
	json_decref(b);
	ecsfs_buf_release(&why);
}

static const char *const linux_td =
    "{\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"busybox\",\"memory\":100,"
    "\"linuxParameters\":{\"capabilities\":{\"add\":[\"SYS_PTRACE\",\"CAP_NET_ADMIN\"],"
    "\"drop\":[\"MKNOD\"]},\"initProcessEnabled\":true,"
    "\"devices\":[{\"hostPath\":\"/dev/fuse\",\"permissions\":[\"write\",\"read\"]},"
    "{\"hostPath\":\"/dev/null\",\"containerPath\":\"/dev/mynull\"}],"
    "\"sharedMemorySize\":64,\"tmpfs\":[{\"containerPath\":\"/run\",\"size\":32,"
    "\"mountOptions\":[\"noexec\",\"nosuid\"]},{\"containerPath\":\"/tmp\",\"size\":8}],"
    "\"maxSwap\":50,\"swappiness\":10},"
    "\"ulimits\":[{\"name\":\"nofile\",\"softLimit\":1024,\"hardLimit\":4096}],"
    "\"healthCheck\":{\"command\":[\"CMD-SHELL\",\"curl -f localhost\"],\"interval\":10},"
    "\"resourceRequirements\":[{\"type\":\"GPU\",\"value\":\"2\"}],"
    "\"systemControls\":[{\"namespace\":\"net.core.somaxconn\",\"value\":\"1024\"},"
    "{\"namespace\":\"kernel.shmmax\",\"value\":\"100000\"}]},"
    "{\"name\":\"b\",\"image\":\"busybox\",\"memory\":64,\"linuxParameters\":{\"maxSwap\":"
    "0},"
    "\"healthCheck\":{\"command\":[\"CMD\",\"/bin/true\"],\"interval\":5,\"timeout\":2,"
    "\"retries\":10,\"startPeriod\":60}},"
    "{\"name\":\"c\",\"image\":\"busybox\",\"memory\":64,"
    "\"healthCheck\":{\"command\":[\"NONE\"]}}]}";

static void test_linux(void)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	json_t *b, *hc;
	const char *td = linux_td;

	is_int(build(td, "app", &ctx, &b, &why), 0, "linuxParameters container builds");
	hc = at(b, "HostConfig", NULL);
	ok(has(at(hc, "CapAdd", NULL), "SYS_PTRACE") &&
	       has(at(hc, "CapAdd", NULL), "CAP_NET_ADMIN"),
	   "CapAdd as given, with or without CAP_");
	ok(has(at(hc, "CapDrop", NULL), "MKNOD"), "CapDrop");
	ok(json_is_true(at(hc, "Init", NULL)), "initProcessEnabled is Init");
	is_str(s_at(hc, "Devices", "[0]", "PathOnHost"), "/dev/fuse", "device host path");
	is_str(s_at(hc, "Devices", "[0]", "PathInContainer"), "/dev/fuse",
	       "containerPath defaults to hostPath");
	is_str(s_at(hc, "Devices", "[0]", "CgroupPermissions"), "rw", "permissions as rw");
	is_str(s_at(hc, "Devices", "[1]", "PathInContainer"), "/dev/mynull",
	       "device containerPath");
	is_str(s_at(hc, "Devices", "[1]", "CgroupPermissions"), "rwm", "no permissions: rwm");
	is_int(i_at(hc, "ShmSize", NULL), 64 * MIB, "sharedMemorySize in bytes");
	is_str(s_at(hc, "Tmpfs", "/run", NULL), "size=32m,noexec,nosuid", "tmpfs with options");
	is_str(s_at(hc, "Tmpfs", "/tmp", NULL), "size=8m", "tmpfs without");
	is_int(i_at(hc, "MemorySwap", NULL), 150 * MIB, "maxSwap adds to MemorySwap");
	is_int(i_at(hc, "MemorySwappiness", NULL), 10, "swappiness");
	is_str(s_at(hc, "Ulimits", "[0]", "Name"), "nofile", "ulimit name");
	is_int(json_integer_value(at(hc, "Ulimits", "[0]", "Soft", NULL)), 1024, "ulimit soft");
	is_int(json_integer_value(at(hc, "Ulimits", "[0]", "Hard", NULL)), 4096, "ulimit hard");
	is_int(json_integer_value(at(hc, "DeviceRequests", "[0]", "Count", NULL)), 2,
	       "GPUs as a device request");
	ok(json_is_array(at(b, "Healthcheck", "Test", NULL)), "Test is an array");
	is_str(json_string_value(at(b, "Healthcheck", "Test", "[1]", NULL)), "curl -f localhost",
	       "CMD-SHELL command kept");
	is_int(i_at(at(b, "Healthcheck", NULL), "Interval", NULL), 10LL * 1000000000,
	       "interval in ns");
	is_int(i_at(at(b, "Healthcheck", NULL), "Timeout", NULL), 5LL * 1000000000,
	       "timeout defaults to 5 s");
	is_int(i_at(at(b, "Healthcheck", NULL), "Retries", NULL), 3, "retries defaults to 3");
	is_int(i_at(at(b, "Healthcheck", NULL), "StartPeriod", NULL), 0, "startPeriod 0");
	is_str(s_at(hc, "Sysctls", "kernel.shmmax", NULL), "100000", "IPC sysctl on the container");
	ok(!at(hc, "Sysctls", "net.core.somaxconn", NULL), "network sysctl not on the container");
	json_decref(b);

	ecsfs_buf_release(&why);
}

static void test_linux_more(void)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	json_t *b, *hc;
	const char *td = linux_td;

	is_int(build(td, "b", &ctx, &b, &why), 0, "second builds");
	hc = at(b, "HostConfig", NULL);
	is_int(i_at(hc, "MemorySwap", NULL), 64 * MIB, "maxSwap 0: MemorySwap = Memory");
	is_int(i_at(at(b, "Healthcheck", NULL), "Interval", NULL), 5LL * 1000000000, "interval");
	is_int(i_at(at(b, "Healthcheck", NULL), "Timeout", NULL), 2LL * 1000000000, "timeout");
	is_int(i_at(at(b, "Healthcheck", NULL), "Retries", NULL), 10, "retries");
	is_int(i_at(at(b, "Healthcheck", NULL), "StartPeriod", NULL), 60LL * 1000000000,
	       "startPeriod");
	is_str(json_string_value(at(b, "Healthcheck", "Test", "[0]", NULL)), "CMD", "CMD kept");
	json_decref(b);

	is_int(build(td, "c", &ctx, &b, &why), 0, "third builds");
	is_int(json_object_size(at(b, "Healthcheck", NULL)), 1, "NONE: only the Test");
	is_str(json_string_value(at(b, "Healthcheck", "Test", "[0]", NULL)), "NONE", "NONE");
	json_decref(b);

	/* the pause gets the network sysctl */
	is_int(build_pause(td, &ctx, &b, &why), 0, "pause of the same task");
	is_str(s_at(b, "HostConfig", "Sysctls", "net.core.somaxconn"), "1024",
	       "network sysctl on the pause");
	ok(!at(b, "HostConfig", "Sysctls", "kernel.shmmax", NULL),
	   "IPC sysctl not on the pause without ipcMode task");
	json_decref(b);
	ecsfs_buf_release(&why);
}

static void test_mounts(void)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	json_t *b, *hc, *doc, *vols;
	const char *td =
	    "{\"volumes\":[{\"name\":\"conf\",\"host\":{\"sourcePath\":\"/etc/app\"}},"
	    "{\"name\":\"data\"},{\"name\":\"scratch\",\"host\":{}},"
	    "{\"name\":\"cache\",\"dockerVolumeConfiguration\":{\"scope\":\"shared\","
	    "\"autoprovision\":true,\"driver\":\"local\",\"driverOpts\":{\"type\":\"tmpfs\"}}},"
	    "{\"name\":\"ext\",\"dockerVolumeConfiguration\":{\"scope\":\"shared\"}},"
	    "{\"name\":\"tv\",\"dockerVolumeConfiguration\":{\"scope\":\"task\","
	    "\"labels\":{\"k\":\"v\",\"ecsfs.task\":\"x\"}}}],"
	    "\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"x\",\"memory\":8,"
	    "\"mountPoints\":[{\"sourceVolume\":\"conf\",\"containerPath\":\"/conf\","
	    "\"readOnly\":true},{\"sourceVolume\":\"data\",\"containerPath\":\"/data\"},"
	    "{\"sourceVolume\":\"cache\",\"containerPath\":\"/cache\"}],"
	    "\"volumesFrom\":[{\"sourceContainer\":\"side\",\"readOnly\":true}]},"
	    "{\"name\":\"side\",\"image\":\"x\",\"memory\":8,"
	    "\"volumesFrom\":[{\"sourceContainer\":\"app\"}],"
	    "\"mountPoints\":[{\"sourceVolume\":\"nope\",\"containerPath\":\"/n\"}]}]}";

	is_int(build(td, "app", &ctx, &b, &why), 0, "mounts container builds");
	hc = at(b, "HostConfig", NULL);
	ok(has(at(hc, "Binds", NULL), "/etc/app:/conf:ro"), "host volume: bind, read-only");
	ok(has(at(hc, "Binds", NULL), "ecsfs-" TASK "-data:/data"), "engine volume by its name");
	ok(has(at(hc, "Binds", NULL), "cache:/cache"), "a shared volume by its own name");
	ok(has(at(hc, "VolumesFrom", NULL), "ecsfs-" TASK "-side:ro"),
	   "volumesFrom names the engine container");
	json_decref(b);
	is_int(build(td, "side", &ctx, &b, &why), -EINVAL, "a mountPoint of an unknown volume");
	is_str(why.data,
	       "containerDefinitions[1].mountPoints[0].sourceVolume: 'nope' is not the name of a "
	       "task volume",
	       "says which");

	doc = parse(td);
	is_int(ecsfs_launch_volumes(doc, &ctx, &vols, &why), 0, "volumes");
	is_int(json_array_size(vols), 4, "data, scratch, cache and tv; not conf nor ext");
	is_str(s_at(vols, "[0]", "Name", NULL), "ecsfs-" TASK "-data", "first is data");
	is_str(s_at(vols, "[0]", "Labels", ECSFS_LABEL_MANAGED), "1", "managed");
	is_str(s_at(vols, "[0]", "Labels", ECSFS_LABEL_TASK), TASK, "of the task");
	ok(!at(vols, "[0]", "Driver", NULL), "the engine's default driver");
	is_str(s_at(vols, "[1]", "Name", NULL), "ecsfs-" TASK "-scratch", "host without a path");
	is_str(s_at(vols, "[2]", "Name", NULL), "cache", "shared: its own name");
	is_str(s_at(vols, "[2]", "Driver", NULL), "local", "driver");
	is_str(s_at(vols, "[2]", "DriverOpts", "type"), "tmpfs", "driverOpts");
	ok(!at(vols, "[2]", "Labels", ECSFS_LABEL_TASK, NULL), "shared: not tied to the task");
	is_str(s_at(vols, "[3]", "Labels", "k"), "v", "user labels kept");
	is_str(s_at(vols, "[3]", "Labels", ECSFS_LABEL_TASK), TASK, "ours win");
	json_decref(vols);
	json_decref(doc);

	is_int(build("{\"volumes\":[{\"name\":\"v\",\"host\":{\"sourcePath\":\"rel/dir\"}}],"
		     "\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"x\",\"memory\":8,"
		     "\"mountPoints\":[{\"sourceVolume\":\"v\",\"containerPath\":\"/v\"}]}]}",
		     "a", &ctx, &b, &why),
	       -EINVAL, "a relative sourcePath is refused");
	is_int(build("{\"volumes\":[{\"name\":\"v\"}],"
		     "\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"x\",\"memory\":8,"
		     "\"mountPoints\":[{\"sourceVolume\":\"v\",\"containerPath\":\"/a:b\"}]}]}",
		     "a", &ctx, &b, &why),
	       -EINVAL, "a ':' in a containerPath is refused");
	ecsfs_buf_release(&why);
}

/* The body, serialized without its Env. */
static char *dump_without_env(json_t *b)
{
	json_t *copy = json_deep_copy(b);
	char *s;

	json_object_del(copy, "Env");
	s = json_dumps(copy, JSON_SORT_KEYS);
	json_decref(copy);
	return s;
}

static void test_secrets(void)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	json_t *b, *env;
	char *s;
	const char *td =
	    "{\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"x\",\"memory\":8,"
	    "\"environment\":[{\"name\":\"MODE\",\"value\":\"prod\"},"
	    "{\"name\":\"DB_PASSWORD\",\"value\":\"overridden\"}],"
	    "\"secrets\":[{\"name\":\"DB_PASSWORD\",\"valueFrom\":\"db-password\"},"
	    "{\"name\":\"API\",\"valueFrom\":"
	    "\"arn:aws:ssm:us-east-1:123456789012:parameter/prod/api\"},"
	    "{\"name\":\"DB2\",\"valueFrom\":"
	    "\"arn:aws:secretsmanager:us-east-1:123456789012:secret:db-password\"}]},"
	    "{\"name\":\"miss\",\"image\":\"x\",\"memory\":8,"
	    "\"secrets\":[{\"name\":\"X\",\"valueFrom\":\"no-such\"}]},"
	    "{\"name\":\"err\",\"image\":\"x\",\"memory\":8,"
	    "\"secrets\":[{\"name\":\"X\",\"valueFrom\":\"broken\"}]}]}";

	resolved = 0;
	is_int(build(td, "app", &ctx, &b, &why), 0, "secrets resolve");
	is_int(resolved, 3, "each through the resolver");
	env = at(b, "Env", NULL);
	ok(has(env, "MODE=prod"), "plain environment");
	ok(has(env, "DB_PASSWORD=s3cr3t-db-value"), "a secret wins over environment");
	ok(!has(env, "DB_PASSWORD=overridden"), "only once");
	ok(has(env, "API=tok-api-9876"), "an SSM parameter ARN by its last '/' field");
	ok(has(env, "DB2=s3cr3t-db-value"), "a Secrets Manager ARN by its last ':' field");
	s = dump_without_env(b);
	ok(s && !strstr(s, secret_db) && !strstr(s, secret_api),
	   "no secret value anywhere but Env (labels included)");
	free(s);
	json_decref(b);

	is_int(build(td, "miss", &ctx, &b, &why), -ENOENT, "a missing secret is ENOENT");
	ok(strstr(why.data, "ResourceInitializationError") && strstr(why.data, "no-such") &&
	       strstr(why.data, "miss"),
	   "naming the secret and the container: %s", why.data);
	ok(b == NULL, "and no body");
	is_int(build(td, "err", &ctx, &b, &why), -EIO, "a resolver's own error is passed on");
	ok(strstr(why.data, "broken") != NULL, "with the secret's name: %s", why.data);

	ecsfs_launch_ctx none = ctx;
	none.secret = NULL;
	is_int(build(td, "app", &none, &b, &why), -ENOENT, "no resolver: secrets cannot be found");
	ecsfs_buf_release(&why);
}

static void write_file(const char *path, const char *data)
{
	FILE *f = fopen(path, "w");
	if (!f || fputs(data, f) < 0 || fclose(f) != 0) {
		printf("# cannot write %s\n", path);
		abort();
	}
}

static void test_env_files(void)
{
	ecsfs_buf why = ECSFS_BUF_INIT, td = ECSFS_BUF_INIT;
	char f1[64], f2[64], big[64], missing[64];
	json_t *b, *env;
	FILE *f;

	snprintf(f1, sizeof(f1), "/tmp/ecsfs-test-launch-%d-1.env", (int)getpid());
	snprintf(f2, sizeof(f2), "/tmp/ecsfs-test-launch-%d-2.env", (int)getpid());
	snprintf(big, sizeof(big), "/tmp/ecsfs-test-launch-%d-big.env", (int)getpid());
	snprintf(missing, sizeof(missing), "/tmp/ecsfs-test-launch-%d-missing.env", (int)getpid());
	write_file(f1, "# a comment\nA=1\nB=1\n\n   \nC=x=y\nNOEQUALS\n=novalue\nEMPTY=\n"
		       "  SPACED=  v  \r\nDUP=first\nDUP=second\n");
	write_file(f2, "B=2\nD=4");
	f = fopen(big, "w");
	for (unsigned i = 0; f && i <= ECSFS_ENV_FILE_MAX / 8; i++)
		fputs("X=12345\n", f);
	if (f)
		fclose(f);

	ecsfs_buf_addf(&td,
		       "{\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"x\",\"memory\":8,"
		       "\"environmentFiles\":[{\"value\":\"%s\",\"type\":\"s3\"},"
		       "{\"value\":\"%s\",\"type\":\"s3\"}],"
		       "\"environment\":[{\"name\":\"A\",\"value\":\"from-env\"}]},"
		       "{\"name\":\"miss\",\"image\":\"x\",\"memory\":8,"
		       "\"environmentFiles\":[{\"value\":\"%s\",\"type\":\"s3\"}]},"
		       "{\"name\":\"big\",\"image\":\"x\",\"memory\":8,"
		       "\"environmentFiles\":[{\"value\":\"%s\",\"type\":\"s3\"}]},"
		       "{\"name\":\"rel\",\"image\":\"x\",\"memory\":8,"
		       "\"environmentFiles\":[{\"value\":\"relative.env\",\"type\":\"s3\"}]},"
		       "{\"name\":\"dir\",\"image\":\"x\",\"memory\":8,"
		       "\"environmentFiles\":[{\"value\":\"/tmp\",\"type\":\"s3\"}]}]}",
		       f1, f2, missing, big);

	is_int(build(td.data, "app", &ctx, &b, &why), 0, "environment files read: %s", why.data);
	env = at(b, "Env", NULL);
	ok(has(env, "A=from-env"), "environment wins over files");
	ok(has(env, "B=2"), "a later file wins over an earlier one");
	ok(has(env, "C=x=y"), "split at the first '='");
	ok(has(env, "D=4"), "a last line without newline");
	ok(has(env, "SPACED=  v"), "lines trimmed at both ends (CR included)");
	ok(has(env, "DUP=second"), "a later line wins");
	ok(!has(env, "DUP=first"), "only once");
	is_int(json_array_size(env), 6,
	       "comments, blanks, lines without '=', name or value skipped");
	json_decref(b);

	is_int(build(td.data, "miss", &ctx, &b, &why), -ENOENT, "a missing file is ENOENT");
	ok(strstr(why.data, "ResourceInitializationError") && strstr(why.data, missing) &&
	       strstr(why.data, "miss"),
	   "naming the path and the container: %s", why.data);
	is_int(build(td.data, "big", &ctx, &b, &why), -EINVAL, "a file over the limit is EINVAL");
	ok(strstr(why.data, big) != NULL, "naming it: %s", why.data);
	is_int(build(td.data, "rel", &ctx, &b, &why), -EINVAL, "a relative path is EINVAL");
	is_int(build(td.data, "dir", &ctx, &b, &why), -ENOENT, "a directory cannot be read");

	unlink(f1);
	unlink(f2);
	unlink(big);
	ecsfs_buf_release(&td);
	ecsfs_buf_release(&why);
}

static void test_wrong_types(void)
{
	static const char *const bad[] = {
	    "{\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"x\",\"memory\":\"big\"}]}",
	    "{\"containerDefinitions\":[{\"name\":\"a\",\"image\":7}]}",
	    "{\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"x\",\"environment\":{}}]}",
	    "{\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"x\",\"environment\":[3]}]}",
	    "{\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"x\",\"mountPoints\":[\"m\"]}]}",
	    "{\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"x\",\"command\":[1]}]}",
	    "{\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"x\",\"dockerLabels\":{\"k\":1}}"
	    "]}",
	    "{\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"x\",\"linuxParameters\":[]}]}",
	    "{\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"x\",\"healthCheck\":"
	    "{\"command\":[]}}]}",
	    "{\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"x\",\"ulimits\":[{}]}]}",
	    "{\"networkMode\":\"weird\",\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"x\"}]"
	    "}",
	    "{\"pidMode\":7,\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"x\"}]}",
	    "{\"volumes\":{},\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"x\"}]}",
	};
	ecsfs_buf why = ECSFS_BUF_INIT;
	json_t *b, *p;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = build(bad[i], "a", &ctx, &b, &why);
		ok(r == -EINVAL && b == NULL && why.len > 0, "wrong type %zu refused: %s", i,
		   why.data);
		/* the pause reads fewer fields: it builds or refuses, never crashes */
		int rp = build_pause(bad[i], &ctx, &p, &why);
		ok(rp == 0 ? p != NULL : (rp == -EINVAL && p == NULL && why.len > 0),
		   "its pause: %d %s", rp, why.data);
		json_decref(p);
	}
	const char *ports = "{\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"x\","
			    "\"portMappings\":[{\"containerPort\":\"80\"}]}]}";
	is_int(build_pause(ports, &ctx, &p, &why), -EINVAL,
	       "a port as a string: the pause refuses");
	is_str(why.data,
	       "containerDefinitions[0].portMappings[0].containerPort: must be an integer",
	       "naming the field");
	is_int(build(ports, "a", &ctx, &b, &why), 0,
	       "ports are the pause's: a container ignores them");
	json_decref(b);
	is_int(build(bad[0], "a", &ctx, &b, &why), -EINVAL, "memory as a string");
	is_str(why.data, "containerDefinitions[0].memory: must be an integer", "names the field");
	is_int(build(bad[3], "a", &ctx, &b, &why), -EINVAL, "environment entry not an object");
	is_str(why.data, "containerDefinitions[0].environment[0]: must be an object",
	       "names the entry");

	json_t *s = json_string("not an object");
	is_int(ecsfs_launch_pause(s, &ctx, &b, &why), -EINVAL, "a task definition not an object");
	json_t *v;
	is_int(ecsfs_launch_volumes(s, &ctx, &v, &why), -EINVAL, "volumes of it");
	json_decref(s);
	ecsfs_buf_release(&why);
}

/* Parse an octal tar field. */
static unsigned long long octal(const unsigned char *p, size_t n)
{
	unsigned long long v = 0;
	for (size_t i = 0; i < n && p[i] >= '0' && p[i] <= '7'; i++)
		v = v * 8 + (p[i] - '0');
	return v;
}

static void test_tar(void)
{
	ecsfs_buf tar = ECSFS_BUF_INIT;
	char data[700];
	const unsigned char *h;
	unsigned sum = 0;
	size_t i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (char)('a' + i % 26);
	ecsfs_buf_adds(&tar, "X"); /* appended, not replaced */
	ecsfs_tar_one_file("/pause", data, sizeof(data), 0755, &tar);
	h = (const unsigned char *)tar.data + 1;
	is_int(tar.len, 1 + 512 + 1024 + 1024, "header, data in two blocks, two end blocks");
	is_str((const char *)h, "pause", "name without the leading '/'");
	is_int(octal(h + 100, 8), 0755, "mode");
	is_int(octal(h + 124, 12), sizeof(data), "size");
	is_int(h[156], '0', "a regular file");
	ok(memcmp(h + 257,
		  "ustar\0"
		  "00",
		  8) == 0,
	   "ustar magic and version");
	for (i = 0; i < 512; i++)
		sum += (i >= 148 && i < 156) ? ' ' : h[i];
	is_int(octal(h + 148, 8), sum, "checksum");
	ok(memcmp(h + 512, data, sizeof(data)) == 0, "data after the header");
	int zero = 1;
	for (i = 512 + sizeof(data); i < tar.len - 1; i++)
		zero &= h[i] == 0;
	ok(zero, "padding and end blocks are zero");

	/* and tar itself agrees, when it is there */
	char path[64], want[80], cmd[512];
	snprintf(path, sizeof(path), "/tmp/ecsfs-test-launch-%d.tar", (int)getpid());
	snprintf(want, sizeof(want), "%s.data", path);
	FILE *f = fopen(path, "wb"), *g = fopen(want, "wb");
	if (f) {
		fwrite(h, 1, tar.len - 1, f);
		fclose(f);
	}
	if (g) {
		fwrite(data, 1, sizeof(data), g);
		fclose(g);
	}
	snprintf(cmd, sizeof(cmd),
		 "command -v tar >/dev/null || exit 42; test \"$(tar -tf %s)\" = pause && "
		 "tar -xOf %s pause | cmp -s - %s",
		 path, path, want);
	int r = system(cmd);
	if (WIFEXITED(r) && WEXITSTATUS(r) == 42)
		ok(1, "# SKIP no tar here");
	else
		ok(r == 0, "tar lists it and extracts the same bytes");
	unlink(want);
	unlink(path);
	ecsfs_buf_release(&tar);
}

int main(void)
{
	test_names();
	test_basic();
	test_linux();
	test_linux_more();
	test_mounts();
	test_secrets();
	test_env_files();
	test_wrong_types();
	test_tar();
	return tap_done();
}
