/* The pause container's create body per network mode, and RunTask
 * overrides (see test_launch.c for a container's body). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "launch_harness.h"

static const char *const two = "\"containerDefinitions\":[{\"name\":\"web\",\"image\":\"nginx\","
			       "\"memory\":64,\"portMappings\":[{\"containerPort\":80},"
			       "{\"containerPort\":53,\"protocol\":\"udp\"}],"
			       "\"dnsServers\":[\"10.0.0.2\"],\"links\":[\"db:database\"]},"
			       "{\"name\":\"db\",\"image\":\"postgres\",\"memory\":64,"
			       "\"hostname\":\"dbhost\",\"dnsServers\":[\"9.9.9.9\"],"
			       "\"dnsSearchDomains\":[\"example.com\"],"
			       "\"extraHosts\":[{\"hostname\":\"gw\",\"ipAddress\":\"10.0.0.1\"}],"
			       "\"portMappings\":[{\"containerPort\":5432,\"hostPort\":15432},"
			       "{\"containerPortRange\":\"9000-9002\"}]}]";

static void test_pause_awsvpc(void)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	json_t *b, *b2 = NULL, *hc;
	char td[2048];

	/* awsvpc: the task's own address on the cluster network, nothing on the host */
	snprintf(td, sizeof(td), "{\"networkMode\":\"awsvpc\",%s}",
		 strstr(two, "\"containerDefinitions\""));
	is_int(build_pause(td, &ctx, &b, &why), -EINVAL,
	       "awsvpc: a hostPort other than containerPort");
	ok(strstr(why.data, "portMappings[0]") && strstr(why.data, "15432"), "naming it: %s",
	   why.data);
	{
		char *p = strstr(td, "15432");
		memcpy(p, " 5432", 5); /* hostPort = containerPort is allowed */
	}
	/* links and hostname are refused in awsvpc by validation; here the
	 * document is only what launch sees */
	{
		json_t *names = json_pack("[s,s]", "web", "web.prod.local");
		ctx.aliases = names;
		is_int(build_pause(td, &ctx, &b, &why), 0, "awsvpc pause builds (%s)", why.data);
		ctx.aliases = NULL;
		json_decref(names);
	}
	hc = at(b, "HostConfig", NULL);
	is_str(s_at(b, "Image", NULL, NULL), ECSFS_PAUSE_IMAGE, "pause image");
	is_str(s_at(b, "Labels", ECSFS_LABEL_CONTAINER, NULL), ECSFS_PAUSE_NAME, "pause label");
	is_str(s_at(b, "Labels", ECSFS_LABEL_TASK, NULL), TASK, "task label");
	is_str(s_at(b, "Labels", ECSFS_LABEL_MANAGED, NULL), "1", "managed label");
	is_str(s_at(hc, "NetworkMode", NULL, NULL), "ecsfs-default",
	       "awsvpc: on the cluster's network");
	is_str(json_string_value(at(b, "NetworkingConfig", "EndpointsConfig", "ecsfs-default",
				    "Aliases", "[1]", NULL)),
	       "web.prod.local", "answering to its aliases there");
	ok(json_is_false(at(hc, "Init", NULL)), "no init");
	ok(!at(hc, "Memory", NULL), "no memory limit");
	ok(at(b, "ExposedPorts", "80/tcp", NULL) && at(b, "ExposedPorts", "53/udp", NULL),
	   "exposed ports of the first container");
	ok(at(b, "ExposedPorts", "9000/tcp", NULL) && at(b, "ExposedPorts", "9002/tcp", NULL),
	   "and of a containerPortRange");
	ok(!at(hc, "PortBindings", NULL), "awsvpc: nothing is published on the host");
	{
		ecsfs_launch_ctx bare = ctx;
		bare.network = NULL;
		is_int(build_pause(td, &bare, &b2, &why), -EINVAL, "awsvpc without a network");
	}
	is_str(json_string_value(at(hc, "Dns", "[0]", NULL)), "10.0.0.2",
	       "dns of the first container that sets it");
	is_int(json_array_size(at(hc, "Dns", NULL)), 1, "only that");
	is_str(json_string_value(at(hc, "DnsSearch", "[0]", NULL)), "example.com",
	       "dnsSearchDomains from the one that sets them");
	is_str(s_at(b, "Hostname", NULL, NULL), "dbhost", "hostname");
	ok(has(at(hc, "ExtraHosts", NULL), "gw:10.0.0.1"), "extraHosts as host:ip");
	ok(!has(at(hc, "ExtraHosts", NULL), "db:127.0.0.1"), "links only mean something in bridge");
	json_decref(b);

	ecsfs_buf_release(&why);
}

static void test_pause_bridge(void)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	json_t *b, *hc;
	char td[2048];

	/* bridge */
	snprintf(td, sizeof(td), "{\"networkMode\":\"bridge\",%s}", two);
	is_int(build_pause(td, &ctx, &b, &why), 0, "bridge pause builds");
	hc = at(b, "HostConfig", NULL);
	is_str(s_at(hc, "NetworkMode", NULL, NULL), "bridge", "bridge");
	is_str(json_string_value(at(hc, "PortBindings", "80/tcp", "[0]", "HostPort", NULL)), "",
	       "bridge: hostPort unset is the engine's pick");
	is_str(json_string_value(at(hc, "PortBindings", "5432/tcp", "[0]", "HostPort", NULL)),
	       "15432", "a given hostPort is kept");
	is_str(json_string_value(at(hc, "PortBindings", "9002/tcp", "[0]", "HostPort", NULL)), "",
	       "a range's ports are the engine's pick");
	ok(has(at(hc, "ExtraHosts", NULL), "db:127.0.0.1") &&
	       has(at(hc, "ExtraHosts", NULL), "database:127.0.0.1"),
	   "links and their aliases are localhost");
	ok(has(at(hc, "ExtraHosts", NULL), "gw:10.0.0.1"), "next to extraHosts");
	json_decref(b);

	/* unset */
	snprintf(td, sizeof(td), "{%s}", two);
	memcpy(strstr(td, "15432"), " 5432", 5);
	is_int(build_pause(td, &ctx, &b, &why), 0, "pause without networkMode builds");
	hc = at(b, "HostConfig", NULL);
	is_str(s_at(hc, "NetworkMode", NULL, NULL), "ecsfs-default", "unset: as awsvpc");
	ok(!at(hc, "PortBindings", NULL), "unset: nothing published, as awsvpc");
	json_decref(b);

	/* none */
	is_int(build_pause("{\"networkMode\":\"none\",\"containerDefinitions\":[{\"name\":\"a\","
			   "\"image\":\"x\",\"memory\":8}]}",
			   &ctx, &b, &why),
	       0, "none pause builds");
	is_str(s_at(b, "HostConfig", "NetworkMode", NULL), "none", "none");
	ok(!at(b, "ExposedPorts", NULL) && !at(b, "HostConfig", "PortBindings", NULL), "no ports");
	json_decref(b);
	is_int(
	    build_pause("{\"networkMode\":\"none\",\"containerDefinitions\":[{\"name\":\"a\","
			"\"image\":\"x\",\"memory\":8,\"portMappings\":[{\"containerPort\":1}]}]}",
			&ctx, &b, &why),
	    -EINVAL, "ports in none mode are refused");
	ok(strstr(why.data, "containerDefinitions[0].portMappings[0]") != NULL,
	   "naming the field: %s", why.data);

	ecsfs_buf_release(&why);
}

static void test_pause_namespaces(void)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	json_t *b, *hc;

	/* pid and ipc shared through the pause */
	const char *shared =
	    "{\"networkMode\":\"awsvpc\",\"pidMode\":\"task\",\"ipcMode\":\"task\","
	    "\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"x\",\"memory\":8,"
	    "\"linuxParameters\":{\"sharedMemorySize\":16},\"systemControls\":"
	    "[{\"namespace\":\"kernel.shmmax\",\"value\":\"1\"},"
	    "{\"namespace\":\"kernel.domainname\",\"value\":\"d\"}]},"
	    "{\"name\":\"b\",\"image\":\"x\",\"memory\":8,"
	    "\"linuxParameters\":{\"sharedMemorySize\":32}}]}";
	is_int(build_pause(shared, &ctx, &b, &why), 0, "pause with pid/ipc task builds");
	hc = at(b, "HostConfig", NULL);
	is_str(s_at(hc, "IpcMode", NULL, NULL), "shareable", "its IPC namespace is shareable");
	ok(!at(hc, "PidMode", NULL), "its pid namespace is its own");
	is_int(i_at(hc, "ShmSize", NULL), 32 * MIB, "the largest sharedMemorySize");
	is_str(s_at(hc, "Sysctls", "kernel.shmmax", NULL), "1", "IPC sysctl on the pause");
	ok(!at(hc, "Sysctls", "kernel.domainname", NULL), "but not a UTS one");
	json_decref(b);
	is_int(build(shared, "a", &ctx, &b, &why), 0, "container with pid/ipc task builds");
	hc = at(b, "HostConfig", NULL);
	is_str(s_at(hc, "PidMode", NULL, NULL), "container:" PAUSE, "PidMode joins the pause");
	is_str(s_at(hc, "IpcMode", NULL, NULL), "container:" PAUSE, "IpcMode joins the pause");
	ok(!at(hc, "ShmSize", NULL), "ShmSize is the pause's");
	is_str(s_at(hc, "Sysctls", "kernel.domainname", NULL), "d", "UTS sysctl on the container");
	ok(!at(hc, "Sysctls", "kernel.shmmax", NULL), "IPC sysctl not on the container");
	json_decref(b);

	ecsfs_buf_release(&why);
}

static void test_pause_host(void)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	json_t *b, *hc;

	/* host: no pause unless pid/ipc are shared */
	const char *host = "{\"networkMode\":\"host\",\"pidMode\":\"host\",\"ipcMode\":\"none\","
			   "\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"x\",\"memory\":8,"
			   "\"hostname\":\"h\",\"dnsServers\":[\"1.1.1.1\"],"
			   "\"extraHosts\":[{\"hostname\":\"x\",\"ipAddress\":\"10.1.1.1\"}],"
			   "\"portMappings\":[{\"containerPort\":8080,\"hostPort\":8080}]}]}";
	ecsfs_launch_ctx nopause = ctx;
	nopause.pause_id = NULL;
	is_int(build(host, "a", &nopause, &b, &why), 0, "host container without pause builds");
	hc = at(b, "HostConfig", NULL);
	is_str(s_at(hc, "NetworkMode", NULL, NULL), "host", "NetworkMode host");
	is_str(s_at(hc, "PidMode", NULL, NULL), "host", "pidMode host");
	is_str(s_at(hc, "IpcMode", NULL, NULL), "none", "ipcMode none");
	ok(!at(b, "ExposedPorts", NULL) && !at(hc, "PortBindings", NULL), "host: ports ignored");
	is_str(s_at(b, "Hostname", NULL, NULL), "h", "host: hostname on the container");
	ok(has(at(hc, "Dns", NULL), "1.1.1.1"), "host: dns on the container");
	ok(has(at(hc, "ExtraHosts", NULL), "x:10.1.1.1"), "host: extraHosts on the container");
	json_decref(b);

	const char *hosttask = "{\"networkMode\":\"host\",\"pidMode\":\"task\","
			       "\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"x\","
			       "\"memory\":8,\"portMappings\":[{\"containerPort\":8080}]}]}";
	is_int(build_pause(hosttask, &ctx, &b, &why), 0, "host pause for pidMode task builds");
	is_str(s_at(b, "HostConfig", "NetworkMode", NULL), "host", "in the host's network");
	ok(!at(b, "ExposedPorts", NULL), "publishing nothing");
	json_decref(b);
	is_int(build(hosttask, "a", &ctx, &b, &why), 0, "its container builds");
	is_str(s_at(b, "HostConfig", "NetworkMode", NULL), "host", "host network");
	is_str(s_at(b, "HostConfig", "PidMode", NULL), "container:" PAUSE, "pause's pids");
	json_decref(b);
	is_int(build(hosttask, "a", &nopause, &b, &why), -EINVAL, "pidMode task without the pause");
	is_int(build(basic, "web", &nopause, &b, &why), -EINVAL, "awsvpc without the pause");
	ok(strstr(why.data, "pause") != NULL, "says why: %s", why.data);

	is_int(build_pause("{\"networkMode\":\"host\",\"containerDefinitions\":[{\"name\":\"a\","
			   "\"image\":\"x\",\"memory\":8,\"systemControls\":[{\"namespace\":"
			   "\"net.ipv4.ip_forward\",\"value\":\"1\"}]}]}",
			   &ctx, &b, &why),
	       -EINVAL, "a network sysctl in host mode is refused");
	ok(strstr(why.data, "containerDefinitions[0].systemControls[0]") != NULL, "naming it: %s",
	   why.data);

	is_int(build("{\"networkMode\":\"awsvpc\",\"containerDefinitions\":[{\"name\":\"a\","
		     "\"image\":\"x\",\"memory\":8,\"disableNetworking\":true}]}",
		     "a", &ctx, &b, &why),
	       0, "disableNetworking builds");
	is_str(s_at(b, "HostConfig", "NetworkMode", NULL), "none", "with no network");
	json_decref(b);
	ecsfs_buf_release(&why);
}

static const char *const overrides_doc =
    "{\"family\":\"web\",\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"x\","
    "\"memory\":128,\"command\":[\"old\"],\"environment\":[{\"name\":\"A\",\"value\":\"1\"}"
    ","
    "{\"name\":\"B\",\"value\":\"1\"}],"
    "\"environmentFiles\":[{\"value\":\"/a.env\",\"type\":\"s3\"}]},"
    "{\"name\":\"side\",\"image\":\"y\",\"memory\":64}]}";

static void test_overrides(void)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	json_t *td, *o, *c;
	const char *doc = overrides_doc;

	td = parse(doc);
	o = parse("{\"cpu\":\"512\",\"memory\":\"1024\",\"containerOverrides\":[{\"name\":\"app\","
		  "\"command\":[\"new\",\"arg\"],\"environment\":[{\"name\":\"B\",\"value\":\"2\"},"
		  "{\"name\":\"C\",\"value\":\"3\"}],"
		  "\"environmentFiles\":[{\"value\":\"/b.env\",\"type\":\"s3\"}],"
		  "\"cpu\":256,\"memory\":512,\"memoryReservation\":256}]}");
	is_int(ecsfs_launch_apply_overrides(td, o, &why), 0, "overrides apply: %s", why.data);
	c = at(td, "containerDefinitions", "[0]", NULL);
	is_str(s_at(c, "command", "[0]", NULL), "new", "command replaced");
	is_int(json_array_size(at(c, "command", NULL)), 2, "entirely");
	is_str(s_at(c, "environment", "[0]", "value"), "1", "A kept");
	is_str(s_at(c, "environment", "[1]", "value"), "2", "B overridden in place");
	is_str(s_at(c, "environment", "[2]", "name"), "C", "C appended");
	is_int(json_array_size(at(c, "environment", NULL)), 3, "no duplicate");
	is_str(s_at(c, "environmentFiles", "[1]", "value"), "/b.env", "environmentFiles appended");
	is_int(i_at(c, "cpu", NULL), 256, "cpu");
	is_int(i_at(c, "memory", NULL), 512, "memory");
	is_int(i_at(c, "memoryReservation", NULL), 256, "memoryReservation");
	is_str(s_at(td, "cpu", NULL, NULL), "512", "task cpu");
	is_str(s_at(td, "memory", NULL, NULL), "1024", "task memory");
	is_int(i_at(at(td, "containerDefinitions", "[1]", NULL), "memory", NULL), 64,
	       "the other container untouched");
	json_decref(o);
	json_decref(td);

	ecsfs_buf_release(&why);
}

static void test_overrides_refused(void)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	json_t *td, *o;
	const char *doc = overrides_doc;

	td = parse(doc);
	o = parse("{\"containerOverrides\":[{\"name\":\"x\",\"command\":[\"a\"]}]}");
	is_int(ecsfs_launch_apply_overrides(td, o, &why), -EINVAL, "unknown container");
	is_str(why.data,
	       "overrides.containerOverrides[0].name: no container named x in the task definition",
	       "says so");
	json_decref(o);
	o = parse("{\"containerOverrides\":[{\"name\":\"app\",\"image\":\"evil\"}]}");
	is_int(ecsfs_launch_apply_overrides(td, o, &why), -EINVAL, "a field overrides cannot set");
	ok(strstr(why.data, "overrides.containerOverrides[0].image") != NULL, "named: %s",
	   why.data);
	json_decref(o);
	o = parse("{\"containerOverrides\":[{\"name\":\"app\",\"memoryReservation\":512}]}");
	is_int(ecsfs_launch_apply_overrides(td, o, &why), -EINVAL,
	       "memoryReservation above memory is refused");
	ok(strstr(why.data, "memory") != NULL, "with the validator's words: %s", why.data);
	json_decref(o);
	o = parse("{\"containerOverrides\":{\"name\":\"app\"}}");
	is_int(ecsfs_launch_apply_overrides(td, o, &why), -EINVAL, "a wrong type");
	is_str(why.data, "overrides.containerOverrides: must be an array", "says so");
	json_decref(o);
	o = parse("{\"containerOverrides\":[{\"name\":\"app\",\"cpu\":\"lots\"}]}");
	is_int(ecsfs_launch_apply_overrides(td, o, &why), -EINVAL, "a wrong type inside");
	json_decref(o);
	json_decref(td);
	td = parse(doc); /* the failures above may have half changed it, as documented */
	o = parse("{\"inferenceAcceleratorOverrides\":[],\"ephemeralStorage\":{\"sizeInGiB\":30},"
		  "\"taskRoleArn\":\"arn:aws:iam::1:role/r\"}");
	is_int(ecsfs_launch_apply_overrides(td, o, &why), 0, "what describe-tasks shows applies");
	is_int(i_at(at(td, "ephemeralStorage", NULL), "sizeInGiB", NULL), 30, "ephemeralStorage");
	is_str(s_at(td, "taskRoleArn", NULL, NULL), "arn:aws:iam::1:role/r", "taskRoleArn kept");
	json_decref(o);
	o = parse("{\"ephemeralStorage\":{\"sizeInGiB\":2}}");
	is_int(ecsfs_launch_apply_overrides(td, o, &why), -EINVAL, "validated like a registration");
	json_decref(o);
	o = parse("{\"bogus\":1}");
	is_int(ecsfs_launch_apply_overrides(td, o, &why), -EINVAL, "an unknown field");
	json_decref(o);
	json_decref(td);

	td = parse(doc);
	is_int(ecsfs_launch_apply_overrides(td, NULL, &why), 0, "no overrides");
	o = json_null();
	is_int(ecsfs_launch_apply_overrides(td, o, &why), 0, "null overrides");
	json_decref(td);
	ecsfs_buf_release(&why);
}

int main(void)
{
	test_pause_awsvpc();
	test_pause_bridge();
	test_pause_namespaces();
	test_pause_host();
	test_overrides();
	test_overrides_refused();
	return tap_done();
}
