/*
 * What a task definition means to the engine: the bodies of the engine's
 * container-create and volume-create calls, RunTask overrides, and the tar
 * that makes the pause image.
 *
 * The document has been validated at registration, but it may come from an
 * older store or through overrides, so every field is read with its type
 * checked: a wrong one is -EINVAL and a message that names the field
 * ("containerDefinitions[1].memory: must be an integer"), never a crash.
 *
 * A container body is built by a table of steps (one per group of related
 * fields); each step reads the container definition and writes the parts
 * of the config and HostConfig it owns.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ecsfs/launch.h"
#include "ecsfs/runtime.h"
#include "ecsfs/taskdef.h"
#include "ecsfs/util.h"

#define MIB	 (1024LL * 1024)
#define NS_PER_S 1000000000LL

/* ECS's healthCheck defaults, in seconds. */
#define HEALTH_INTERVAL_S 30
#define HEALTH_TIMEOUT_S  5
#define HEALTH_RETRIES	  3

/* Ports one task may publish: every port of a containerPortRange is a
 * binding of its own (and, with the engine's userland proxy, a process). */
#define MAX_PUBLISHED_PORTS 4096

/* The engine keeps each container's output for ecsfs to follow; ecsfs
 * writes what it captures to its own log files, so the engine's copy only
 * has to bridge a daemon restart, and must not grow without bound. */
#define ENGINE_LOG_MAX_SIZE "10m"
#define ENGINE_LOG_MAX_FILE "3"

/* The value ECS's agent gives its own pause container. */
#define ECS_PAUSE_CONTAINER_NAME "~internal~ecs~pause"

enum net { NET_AWSVPC, NET_BRIDGE, NET_NONE, NET_HOST };

/* What one call knows: the task, the container at hand, where to write an
 * error, and the path of the field being read (for messages). */
struct lc {
	const json_t *taskdef;
	const ecsfs_launch_ctx *ctx;
	ecsfs_buf *why;
	ecsfs_buf at;
	enum net net;
	const char *pid_mode, *ipc_mode; /* NULL when unset */
	const char *name;		 /* the container's name */
};

static json_t *must(json_t *j)
{
	if (!j)
		abort(); /* out of memory: as ecsfs_buf does */
	return j;
}

/* Set a member whose key is ours or came from a parsed document (so it is
 * valid UTF-8): only a failed allocation can make it fail. */
static void set(json_t *obj, const char *key, json_t *val)
{
	if (json_object_set_new(obj, key, must(val)) < 0)
		abort();
}

static void push(json_t *arr, json_t *val)
{
	if (json_array_append_new(arr, must(val)) < 0)
		abort();
}

/* ---- paths and errors ---- */

static size_t at_key(struct lc *l, const char *key)
{
	size_t mark = l->at.len;

	if (mark)
		ecsfs_buf_addch(&l->at, '.');
	ecsfs_buf_adds(&l->at, key);
	return mark;
}

static size_t at_index(struct lc *l, size_t i)
{
	size_t mark = l->at.len;

	ecsfs_buf_addf(&l->at, "[%zu]", i);
	return mark;
}

static void at_pop(struct lc *l, size_t mark)
{
	ecsfs_buf_setlen(&l->at, mark);
}

/* "<path>: <message>" into *why; returns -EINVAL. */
__attribute__((format(printf, 2, 3))) static int fail(struct lc *l, const char *fmt, ...)
{
	va_list ap;

	ecsfs_buf_reset(l->why);
	if (l->at.len)
		ecsfs_buf_addf(l->why, "%s: ", l->at.data);
	va_start(ap, fmt);
	ecsfs_buf_vaddf(l->why, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* ---- typed reading ---- */

enum jt { J_STR, J_INT, J_BOOL, J_ARR, J_OBJ };

static bool jt_is(const json_t *v, enum jt t)
{
	switch (t) {
	case J_STR: return json_is_string(v);
	case J_INT: return json_is_integer(v);
	case J_BOOL: return json_is_boolean(v);
	case J_ARR: return json_is_array(v);
	case J_OBJ: return json_is_object(v);
	}
	return false;
}

/* Check that `v` (at the current path) is of type `t`; strings must not
 * hold NUL bytes (they end up in C strings and the engine's argv). */
static int check_type(struct lc *l, const json_t *v, enum jt t)
{
	static const char *const what[] = {[J_STR] = "a string",
					   [J_INT] = "an integer",
					   [J_BOOL] = "a boolean",
					   [J_ARR] = "an array",
					   [J_OBJ] = "an object"};

	if (!jt_is(v, t))
		return fail(l, "must be %s", what[t]);
	if (t == J_STR && strlen(json_string_value(v)) != json_string_length(v))
		return fail(l, "must not contain NUL bytes");
	return 0;
}

/* obj[key] into *out, NULL when absent; -EINVAL when of another type. */
static int get(struct lc *l, const json_t *obj, const char *key, enum jt t, const json_t **out)
{
	const json_t *v = json_object_get(obj, key);
	size_t mark;
	int r;

	if (v) {
		mark = at_key(l, key);
		if ((r = check_type(l, v, t)) < 0)
			return r;
		at_pop(l, mark);
	}
	*out = v;
	return 0;
}

static int get_str(struct lc *l, const json_t *obj, const char *key, const char **out)
{
	const json_t *v;
	int r = get(l, obj, key, J_STR, &v);

	*out = r < 0 ? NULL : json_string_value(v);
	return r;
}

/* An integer field within lo..hi; *set says whether it was there. */
static int get_int(struct lc *l, const json_t *obj, const char *key, long long lo, long long hi,
		   long long *out, bool *present)
{
	const json_t *v;
	int r;

	*present = false;
	if ((r = get(l, obj, key, J_INT, &v)) < 0 || !v)
		return r;
	*out = json_integer_value(v);
	if (*out < lo || *out > hi) {
		at_key(l, key);
		return fail(l, "%lld is outside %lld..%lld", *out, lo, hi);
	}
	*present = true;
	return 0;
}

static int get_bool(struct lc *l, const json_t *obj, const char *key, bool *out)
{
	const json_t *v;
	int r = get(l, obj, key, J_BOOL, &v);

	*out = r == 0 && json_is_true(v);
	return r;
}

/* A copy of an array of strings, NULL when absent. */
static int get_strings(struct lc *l, const json_t *obj, const char *key, json_t **out)
{
	const json_t *arr, *e;
	size_t i, mark;
	int r;

	*out = NULL;
	if ((r = get(l, obj, key, J_ARR, &arr)) < 0 || !arr)
		return r;
	mark = at_key(l, key);
	json_array_foreach(arr, i, e) {
		size_t m = at_index(l, i);
		if ((r = check_type(l, e, J_STR)) < 0)
			return r;
		at_pop(l, m);
	}
	at_pop(l, mark);
	*out = must(json_deep_copy(arr));
	return 0;
}

/* A copy of an object whose values are strings (labels, options). */
static int get_string_map(struct lc *l, const json_t *obj, const char *key, json_t **out)
{
	const json_t *map;
	const char *k;
	json_t *v;
	size_t mark;
	int r;

	*out = NULL;
	if ((r = get(l, obj, key, J_OBJ, &map)) < 0 || !map)
		return r;
	mark = at_key(l, key);
	/* jansson's iteration takes a non-const object; nothing here writes */
	json_object_foreach((json_t *)map, k, v) {
		size_t m = at_key(l, k);
		if ((r = check_type(l, v, J_STR)) < 0)
			return r;
		at_pop(l, m);
	}
	at_pop(l, mark);
	*out = must(json_deep_copy(map));
	return 0;
}

/* Element i of an array of objects, at path "<key>[i]" (left pushed). */
static int element(struct lc *l, const json_t *arr, size_t i, const json_t **out)
{
	*out = json_array_get(arr, i);
	at_index(l, i);
	return check_type(l, *out, J_OBJ);
}

/* ---- the task ---- */

static int parse_net(const json_t *taskdef, enum net *out)
{
	const json_t *v = json_object_get(taskdef, "networkMode");
	static const char *const names[] = {[NET_AWSVPC] = "awsvpc",
					    [NET_BRIDGE] = "bridge",
					    [NET_NONE] = "none",
					    [NET_HOST] = "host"};

	if (!v) {
		/* unset: like awsvpc, every container of the task shares one
		 * namespace (DESIGN §2) */
		*out = NET_AWSVPC;
		return 0;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (json_is_string(v) && strcmp(json_string_value(v), names[i]) == 0) {
			*out = (enum net)i;
			return 0;
		}
	}
	return -EINVAL;
}

static int lc_init(struct lc *l, const json_t *taskdef, const ecsfs_launch_ctx *ctx, ecsfs_buf *why)
{
	const json_t *v;
	int r;

	memset(l, 0, sizeof(*l));
	l->taskdef = taskdef;
	l->ctx = ctx;
	l->why = why;
	ecsfs_buf_init(&l->at);
	if (!json_is_object(taskdef))
		return fail(l, "a task definition must be a JSON object");
	if (parse_net(taskdef, &l->net) < 0) {
		at_key(l, "networkMode");
		return fail(l, "must be awsvpc, bridge, host or none");
	}
	if ((r = get_str(l, taskdef, "pidMode", &l->pid_mode)) < 0 ||
	    (r = get_str(l, taskdef, "ipcMode", &l->ipc_mode)) < 0)
		return r;
	if (l->pid_mode && strcmp(l->pid_mode, "task") != 0 && strcmp(l->pid_mode, "host") != 0) {
		at_key(l, "pidMode");
		return fail(l, "must be host or task");
	}
	if (l->ipc_mode && strcmp(l->ipc_mode, "task") != 0 && strcmp(l->ipc_mode, "host") != 0 &&
	    strcmp(l->ipc_mode, "none") != 0) {
		at_key(l, "ipcMode");
		return fail(l, "must be host, task or none");
	}
	if ((r = get(l, taskdef, "containerDefinitions", J_ARR, &v)) < 0)
		return r;
	return get(l, taskdef, "volumes", J_ARR, &v);
}

static bool is(const char *s, const char *want)
{
	return s && strcmp(s, want) == 0;
}

int ecsfs_launch_needs_pause(const json_t *taskdef)
{
	enum net net;

	if (parse_net(taskdef, &net) < 0 || net != NET_HOST)
		return 1;
	/* host networking, but pid or ipc namespaces the task's containers
	 * share still need an owner */
	return is(json_string_value(json_object_get(taskdef, "pidMode")), "task") ||
	       is(json_string_value(json_object_get(taskdef, "ipcMode")), "task");
}

void ecsfs_launch_container_name(const char *task_id, const char *container, ecsfs_buf *out)
{
	/* '.' cannot be part of an ECS container name, so the pause's name
	 * never meets a container that is called "pause" */
	if (strcmp(container, ECSFS_PAUSE_NAME) == 0)
		ecsfs_buf_addf(out, "ecsfs-%s.pause", task_id);
	else
		ecsfs_buf_addf(out, "ecsfs-%s-%s", task_id, container);
}

static const char *nz(const char *s)
{
	return s ? s : "";
}

/* Labels every container of the task has; `name` is the container's. */
static json_t *task_labels(const ecsfs_launch_ctx *ctx, const char *name, const char *ecs_name)
{
	json_t *labels = must(json_object());
	char rev[24];

	snprintf(rev, sizeof(rev), "%lld", (long long)ctx->revision);
	set(labels, ECSFS_LABEL_MANAGED, json_string("1"));
	set(labels, ECSFS_LABEL_TASK, json_string(nz(ctx->task_id)));
	set(labels, ECSFS_LABEL_CLUSTER, json_string(nz(ctx->cluster)));
	set(labels, ECSFS_LABEL_CONTAINER, json_string(name));
	set(labels, "com.amazonaws.ecs.task-arn", json_string(nz(ctx->task_arn)));
	set(labels, "com.amazonaws.ecs.cluster", json_string(nz(ctx->cluster)));
	set(labels, "com.amazonaws.ecs.container-name", json_string(ecs_name));
	set(labels, "com.amazonaws.ecs.task-definition-family", json_string(nz(ctx->family)));
	set(labels, "com.amazonaws.ecs.task-definition-version", json_string(rev));
	return labels;
}

static json_t *log_config(void)
{
	return json_pack("{s:s, s:{s:s, s:s}}", "Type", "json-file", "Config", "max-size",
			 ENGINE_LOG_MAX_SIZE, "max-file", ENGINE_LOG_MAX_FILE);
}

/* ---- system controls: which namespace owns a sysctl ---- */

enum sysctl_ns { NS_NET, NS_IPC, NS_OTHER };

static enum sysctl_ns sysctl_ns(const char *key)
{
	static const char *const ipc[] = {"kernel.msgmax", "kernel.msgmnb",	    "kernel.msgmni",
					  "kernel.sem",	   "kernel.shmall",	    "kernel.shmmax",
					  "kernel.shmmni", "kernel.shm_rmid_forced"};

	if (strncmp(key, "net.", 4) == 0)
		return NS_NET;
	if (strncmp(key, "fs.mqueue.", 10) == 0)
		return NS_IPC;
	for (size_t i = 0; i < sizeof(ipc) / sizeof(ipc[0]); i++)
		if (strcmp(key, ipc[i]) == 0)
			return NS_IPC;
	return NS_OTHER;
}

/*
 * The systemControls of container `c` that belong to the pause (`pause`
 * true: the network namespace, and the IPC one when the task shares it)
 * or to the container itself, added to `sysctls`. A sysctl of a namespace
 * the host owns cannot be set.
 */
static int add_sysctls(struct lc *l, const json_t *c, bool pause, json_t *sysctls)
{
	const json_t *list, *sc;
	size_t i, mark;
	int r;

	if ((r = get(l, c, "systemControls", J_ARR, &list)) < 0 || !list)
		return r;
	mark = at_key(l, "systemControls");
	for (i = 0; i < json_array_size(list); i++) {
		const char *key, *value;
		size_t m = l->at.len;
		if ((r = element(l, list, i, &sc)) < 0 ||
		    (r = get_str(l, sc, "namespace", &key)) < 0 ||
		    (r = get_str(l, sc, "value", &value)) < 0)
			return r;
		if (!key || !value)
			return fail(l, "needs namespace and value");
		enum sysctl_ns ns = sysctl_ns(key);
		if (ns == NS_NET && l->net == NET_HOST)
			return fail(l,
				    "%s belongs to the host's network namespace in host network "
				    "mode and cannot be set",
				    key);
		if (ns == NS_IPC && is(l->ipc_mode, "host"))
			return fail(l,
				    "%s belongs to the host's IPC namespace with ipcMode host "
				    "and cannot be set",
				    key);
		bool on_pause = ns == NS_NET || (ns == NS_IPC && is(l->ipc_mode, "task"));
		if (on_pause == pause)
			set(sysctls, key, json_string(value)); /* the last one wins, as in ECS */
		at_pop(l, m);
	}
	at_pop(l, mark);
	return 0;
}

/* ---- the pause container ---- */

/* Publish one container port: ExposedPorts and a HostConfig.PortBindings
 * entry; a port two mappings publish gets both bindings. */
static void publish(json_t *exposed, json_t *bindings, long long port, const char *proto,
		    const char *host_port)
{
	char key[32];
	json_t *list, *b, *e;
	size_t i;

	snprintf(key, sizeof(key), "%lld/%s", port, proto);
	set(exposed, key, json_object());
	list = json_object_get(bindings, key);
	if (!list) {
		list = must(json_array());
		set(bindings, key, list);
	}
	b = must(json_pack("{s:s, s:s}", "HostIp", "", "HostPort", host_port));
	json_array_foreach(list, i, e) {
		if (json_equal(e, b)) {
			json_decref(b);
			return;
		}
	}
	push(list, b);
}

/* Parse containerPortRange "lo-hi". */
static int port_range(const char *s, long long *lo, long long *hi)
{
	char *end;
	long a, b;

	errno = 0;
	a = strtol(s, &end, 10);
	if (end == s || *end != '-' || errno)
		return -EINVAL;
	s = end + 1;
	b = strtol(s, &end, 10);
	if (end == s || *end || errno || a < 1 || b > 65535 || a > b)
		return -EINVAL;
	*lo = a;
	*hi = b;
	return 0;
}

static int pause_ports(struct lc *l, const json_t *c, json_t *exposed, json_t *bindings,
		       size_t *count)
{
	const json_t *list, *pm;
	size_t i, mark;
	int r;

	if ((r = get(l, c, "portMappings", J_ARR, &list)) < 0 || !list)
		return r;
	mark = at_key(l, "portMappings");
	for (i = 0; i < json_array_size(list); i++) {
		long long port = 0, host = 0, lo, hi;
		bool has_port, has_host;
		const char *range, *proto;
		size_t m = l->at.len;

		if ((r = element(l, list, i, &pm)) < 0 ||
		    (r = get_int(l, pm, "containerPort", 1, 65535, &port, &has_port)) < 0 ||
		    (r = get_int(l, pm, "hostPort", 0, 65535, &host, &has_host)) < 0 ||
		    (r = get_str(l, pm, "containerPortRange", &range)) < 0 ||
		    (r = get_str(l, pm, "protocol", &proto)) < 0)
			return r;
		if (!proto)
			proto = "tcp";
		if (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0)
			return fail(l, "protocol must be tcp or udp");
		if (l->net == NET_NONE)
			return fail(l, "ports cannot be published in none network mode");
		if (has_port) {
			lo = hi = port;
		} else if (!range || port_range(range, &lo, &hi) < 0) {
			return fail(l, "needs containerPort or a containerPortRange \"lo-hi\"");
		}
		if (range && host)
			return fail(l, "hostPort cannot be combined with containerPortRange");
		for (long long p = lo; p <= hi; p++) {
			char hp[8] = "";
			if (++*count > MAX_PUBLISHED_PORTS)
				return fail(l, "the task publishes more than %d ports",
					    MAX_PUBLISHED_PORTS);
			/* bridge: an unset host port is the engine's pick ("");
			 * awsvpc: the container's own port */
			if (host)
				snprintf(hp, sizeof(hp), "%lld", host);
			else if (l->net != NET_BRIDGE)
				snprintf(hp, sizeof(hp), "%lld", p);
			publish(exposed, bindings, p, proto, hp);
		}
		at_pop(l, m);
	}
	at_pop(l, mark);
	return 0;
}

/* Hostname, dnsServers, dnsSearchDomains and extraHosts: the first
 * container that sets one gives it to the namespace (the pause), or, in
 * host network mode, each container keeps its own. */
static int network_identity(struct lc *l, const json_t *c, json_t *config, json_t *hc)
{
	const json_t *list, *e;
	const char *hostname;
	json_t *v;
	size_t i, mark, base;
	int r;

	if ((r = get_str(l, c, "hostname", &hostname)) < 0)
		return r;
	if (hostname && *hostname && !json_object_get(config, "Hostname"))
		set(config, "Hostname", json_string(hostname));
	if ((r = get_strings(l, c, "dnsServers", &v)) < 0)
		return r;
	if (v && json_object_get(hc, "Dns"))
		json_decref(v);
	else if (v)
		set(hc, "Dns", v);
	if ((r = get_strings(l, c, "dnsSearchDomains", &v)) < 0)
		return r;
	if (v && json_object_get(hc, "DnsSearch"))
		json_decref(v);
	else if (v)
		set(hc, "DnsSearch", v);
	if ((r = get(l, c, "extraHosts", J_ARR, &list)) < 0 || !list ||
	    json_object_get(hc, "ExtraHosts"))
		return r;
	v = must(json_array());
	set(hc, "ExtraHosts", v);
	mark = at_key(l, "extraHosts");
	base = l->at.len;
	for (i = 0; i < json_array_size(list); i++) {
		const char *host, *ip;
		if ((r = element(l, list, i, &e)) < 0 ||
		    (r = get_str(l, e, "hostname", &host)) < 0 ||
		    (r = get_str(l, e, "ipAddress", &ip)) < 0)
			return r;
		if (!host || !ip)
			return fail(l, "needs hostname and ipAddress");
		push(v, json_sprintf("%s:%s", host, ip));
		at_pop(l, base);
	}
	at_pop(l, mark);
	return 0;
}

/* links (bridge mode) name containers that, sharing the pause's network
 * namespace, are on localhost: the link names and aliases resolve there. */
static int pause_links(struct lc *l, const json_t *c, json_t *hosts)
{
	json_t *links, *e;
	size_t i;
	int r;

	if ((r = get_strings(l, c, "links", &links)) < 0 || !links)
		return r;
	json_array_foreach(links, i, e) {
		const char *s = json_string_value(e), *colon = strchr(s, ':');
		if (colon)
			push(hosts, json_sprintf("%s:127.0.0.1", colon + 1));
		push(hosts,
		     json_sprintf("%.*s:127.0.0.1", (int)(colon ? colon - s : (long)strlen(s)), s));
	}
	json_decref(links);
	return 0;
}

/* The largest sharedMemorySize (MiB) of the task's containers, or 0. */
static int max_shm(struct lc *l, const json_t *c, long long *shm)
{
	const json_t *lp;
	long long v;
	bool present;
	size_t mark;
	int r;

	if ((r = get(l, c, "linuxParameters", J_OBJ, &lp)) < 0 || !lp)
		return r;
	mark = at_key(l, "linuxParameters");
	if ((r = get_int(l, lp, "sharedMemorySize", 0, INT32_MAX, &v, &present)) < 0)
		return r;
	at_pop(l, mark);
	if (present && v > *shm)
		*shm = v;
	return 0;
}

/* Set l->at to "containerDefinitions[i]" (just "container" when `c` is
 * not one of the task's own objects; i == -1: look for it) and read the
 * container's name. */
static int enter_container(struct lc *l, const json_t *c, size_t i)
{
	const json_t *defs = json_object_get(l->taskdef, "containerDefinitions");
	size_t k;
	int r;

	ecsfs_buf_reset(&l->at);
	if (i == (size_t)-1) {
		for (k = 0; k < json_array_size(defs); k++)
			if (json_array_get(defs, k) == c)
				i = k;
	}
	if (i != (size_t)-1)
		ecsfs_buf_addf(&l->at, "containerDefinitions[%zu]", i);
	else
		ecsfs_buf_adds(&l->at, "container");
	if ((r = check_type(l, c, J_OBJ)) < 0 || (r = get_str(l, c, "name", &l->name)) < 0)
		return r;
	if (!l->name || !*l->name) {
		at_key(l, "name");
		return fail(l, "missing; it is required");
	}
	return 0;
}

static int pause_body(struct lc *l, json_t *config, json_t *hc)
{
	const json_t *defs = json_object_get(l->taskdef, "containerDefinitions"), *c;
	json_t *exposed = must(json_object()), *bindings = must(json_object());
	json_t *sysctls = must(json_object()), *links = must(json_array()), *hosts;
	long long shm = 0;
	size_t i, count = 0;
	int r = 0;

	for (i = 0; i < json_array_size(defs) && r == 0; i++) {
		c = json_array_get(defs, i);
		if ((r = enter_container(l, c, i)) < 0)
			break;
		if ((r = add_sysctls(l, c, true, sysctls)) < 0)
			break;
		if (is(l->ipc_mode, "task") && (r = max_shm(l, c, &shm)) < 0)
			break;
		if (l->net == NET_HOST)
			continue; /* the host's namespace is not the pause's to set up */
		if ((r = pause_ports(l, c, exposed, bindings, &count)) < 0 ||
		    (r = network_identity(l, c, config, hc)) < 0)
			break;
		if (l->net == NET_BRIDGE && (r = pause_links(l, c, links)) < 0)
			break;
	}
	if (r == 0 && json_array_size(links)) {
		hosts = json_object_get(hc, "ExtraHosts");
		if (!hosts) {
			hosts = must(json_array());
			set(hc, "ExtraHosts", hosts);
		}
		json_array_extend(hosts, links);
	}
	if (r == 0 && json_object_size(exposed)) {
		set(config, "ExposedPorts", json_incref(exposed));
		set(hc, "PortBindings", json_incref(bindings));
	}
	if (r == 0 && json_object_size(sysctls))
		set(hc, "Sysctls", json_incref(sysctls));
	if (r == 0 && shm)
		set(hc, "ShmSize", json_integer(shm * MIB));
	json_decref(exposed);
	json_decref(bindings);
	json_decref(sysctls);
	json_decref(links);
	return r;
}

int ecsfs_launch_pause(const json_t *taskdef, const ecsfs_launch_ctx *ctx, json_t **out,
		       ecsfs_buf *why)
{
	static const char *const modes[] = {[NET_AWSVPC] = "bridge",
					    [NET_BRIDGE] = "bridge",
					    [NET_NONE] = "none",
					    [NET_HOST] = "host"};
	json_t *config = NULL, *hc;
	struct lc l;
	int r;

	if ((r = lc_init(&l, taskdef, ctx, why)) < 0)
		goto out;
	config = must(json_object());
	hc = must(json_object());
	set(config, "Image", json_string(ECSFS_PAUSE_IMAGE));
	set(config, "Labels", task_labels(ctx, ECSFS_PAUSE_NAME, ECS_PAUSE_CONTAINER_NAME));
	set(config, "HostConfig", hc);
	set(hc, "NetworkMode", json_string(modes[l.net]));
	/* the engine lets others join an IPC namespace only when asked */
	if (is(l.ipc_mode, "task"))
		set(hc, "IpcMode", json_string("shareable"));
	set(hc, "Init", json_false());
	set(hc, "LogConfig", log_config());
	if ((r = pause_body(&l, config, hc)) < 0)
		goto out;
	*out = config;
	config = NULL;
out:
	json_decref(config);
	ecsfs_buf_release(&l.at);
	return r;
}

/* ---- a container: environment ---- */

/* Secrets and environment-file contents are the only text here that did
 * not come through a JSON parser, so they may not be UTF-8. */
static int env_set(json_t *env, const char *name, const char *value, size_t len)
{
	json_t *v = json_stringn(value, len);

	if (!v || json_object_set_new(env, name, v) < 0)
		return -EINVAL;
	return 0;
}

/* A ResourceInitializationError: what ECS reports when a task cannot get
 * what its containers need before they start. */
__attribute__((format(printf, 3, 4))) static int resource_error(struct lc *l, int err,
								const char *fmt, ...)
{
	va_list ap;

	ecsfs_buf_setf(l->why, "ResourceInitializationError: ");
	va_start(ap, fmt);
	ecsfs_buf_vaddf(l->why, fmt, ap);
	va_end(ap);
	return err;
}

static int read_file(struct lc *l, const char *path, ecsfs_buf *out)
{
	struct stat st;
	char chunk[8192];
	ssize_t n;
	int fd, r = 0;

	/* O_NONBLOCK: a FIFO must not hang the daemon; it is refused below */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return resource_error(l, -ENOENT,
				      "failed to read env files: file %s for container %s: %s",
				      path, l->name, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = resource_error(l, -ENOENT,
				   "failed to read env files: %s for container %s is not a "
				   "regular file",
				   path, l->name);
		goto out;
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = resource_error(l, -ENOENT,
					   "failed to read env files: file %s for container %s: %s",
					   path, l->name, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (out->len + (size_t)n > ECSFS_ENV_FILE_MAX) {
			r = fail(l, "%s is larger than %u bytes", path, ECSFS_ENV_FILE_MAX);
			goto out;
		}
		ecsfs_buf_add(out, chunk, (size_t)n);
	}
out:
	close(fd);
	return r;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/*
 * One environment file, as ECS's agent reads one: lines are trimmed of
 * blanks; blank lines and lines starting with '#' are skipped; the rest is
 * NAME=VALUE split at the first '='. Like the agent, a line without '=',
 * with an empty name or with an empty value sets nothing. A later line
 * wins over an earlier one.
 */
static int env_file(struct lc *l, const char *path, json_t *env)
{
	ecsfs_buf data = ECSFS_BUF_INIT, name = ECSFS_BUF_INIT;
	size_t line = 0;
	char *p, *end, *eol, *eq, *e;
	int r;

	if (path[0] != '/') {
		r = fail(l, "'%s' must be an absolute path to a local file", path);
		goto out;
	}
	if ((r = read_file(l, path, &data)) < 0)
		goto out;
	if (memchr(data.data, '\0', data.len)) {
		r = fail(l, "%s holds a NUL byte", path);
		goto out;
	}
	for (p = data.data, end = data.data + data.len; p < end; p = eol + 1) {
		line++;
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		for (e = eol; e > p && blank(e[-1]); e--)
			;
		while (p < e && blank(*p))
			p++;
		if (p == e || *p == '#')
			continue;
		eq = memchr(p, '=', (size_t)(e - p));
		if (!eq || eq == p || eq + 1 == e)
			continue;
		ecsfs_buf_reset(&name);
		ecsfs_buf_add(&name, p, (size_t)(eq - p));
		if (env_set(env, name.data, eq + 1, (size_t)(e - eq - 1)) < 0) {
			r = fail(l, "%s, line %zu: not UTF-8 text", path, line);
			goto out;
		}
	}
out:
	ecsfs_buf_release(&data);
	ecsfs_buf_release(&name);
	return r;
}

static int env_files(struct lc *l, const json_t *c, json_t *env)
{
	const json_t *list, *f;
	size_t i, mark;
	int r;

	if ((r = get(l, c, "environmentFiles", J_ARR, &list)) < 0 || !list)
		return r;
	mark = at_key(l, "environmentFiles");
	for (i = 0; i < json_array_size(list); i++) {
		const char *path;
		size_t m = l->at.len;
		if ((r = element(l, list, i, &f)) < 0 || (r = get_str(l, f, "value", &path)) < 0)
			return r;
		if (!path)
			return fail(l, "needs a value: the path of a local file");
		at_key(l, "value");
		if ((r = env_file(l, path, env)) < 0)
			return r;
		at_pop(l, m);
	}
	at_pop(l, mark);
	return 0;
}

static int env_list(struct lc *l, const json_t *c, json_t *env)
{
	const json_t *list, *e;
	size_t i, mark, base;
	int r;

	if ((r = get(l, c, "environment", J_ARR, &list)) < 0 || !list)
		return r;
	mark = at_key(l, "environment");
	base = l->at.len;
	for (i = 0; i < json_array_size(list); i++) {
		const char *name, *value;
		if ((r = element(l, list, i, &e)) < 0 || (r = get_str(l, e, "name", &name)) < 0 ||
		    (r = get_str(l, e, "value", &value)) < 0)
			return r;
		if (!name || !*name || strchr(name, '=') || !value)
			return fail(l, "needs a name without '=' and a value");
		set(env, name, json_string(value));
		at_pop(l, base);
	}
	at_pop(l, mark);
	return 0;
}

/* The name a secret's valueFrom stands for: an ARN's last ':' or '/'
 * field, or valueFrom itself. */
static const char *secret_name(const char *from)
{
	const char *colon, *slash;

	if (strncmp(from, "arn:", 4) != 0)
		return from;
	colon = strrchr(from, ':');
	slash = strrchr(from, '/');
	return (slash && slash > colon ? slash : colon) + 1;
}

static int resolve_secret(struct lc *l, const char *name, const char *from, json_t *env)
{
	ecsfs_buf value = ECSFS_BUF_INIT;
	int r;

	r = l->ctx->secret ? l->ctx->secret(l->ctx->secret_data, secret_name(from), &value)
			   : -ENOENT;
	if (r == -ENOENT)
		r = resource_error(l, r,
				   "unable to pull secrets or registry auth: secret %s for "
				   "container %s does not exist",
				   from, l->name);
	else if (r < 0)
		r = resource_error(l, r,
				   "unable to pull secrets or registry auth: secret %s for "
				   "container %s: %s",
				   from, l->name, strerror(-r));
	else if (memchr(value.data, '\0', value.len) || env_set(env, name, value.data, value.len))
		/* the message must not show any of the value */
		r = resource_error(l, -EINVAL,
				   "secret %s for container %s is not text that an environment "
				   "variable can hold",
				   from, l->name);
	explicit_bzero(value.data, value.len);
	ecsfs_buf_release(&value);
	return r;
}

static int secrets(struct lc *l, const json_t *c, json_t *env)
{
	const json_t *list, *s;
	size_t i, mark, base;
	int r;

	if ((r = get(l, c, "secrets", J_ARR, &list)) < 0 || !list)
		return r;
	mark = at_key(l, "secrets");
	base = l->at.len;
	for (i = 0; i < json_array_size(list); i++) {
		const char *name, *from;
		if ((r = element(l, list, i, &s)) < 0 || (r = get_str(l, s, "name", &name)) < 0 ||
		    (r = get_str(l, s, "valueFrom", &from)) < 0)
			return r;
		if (!name || !*name || strchr(name, '=') || !from || !*from)
			return fail(l, "needs a name without '=' and a valueFrom");
		if ((r = resolve_secret(l, name, from, env)) < 0)
			return r;
		at_pop(l, base);
	}
	at_pop(l, mark);
	return 0;
}

/* Env: environment files (in order), then environment, then secrets; a
 * later definition of a name wins. */
static int step_env(struct lc *l, const json_t *c, json_t *config, json_t *hc)
{
	json_t *env = must(json_object()), *list, *v;
	ecsfs_buf kv = ECSFS_BUF_INIT;
	const char *name;
	int r;

	if ((r = env_files(l, c, env)) < 0 || (r = env_list(l, c, env)) < 0 ||
	    (r = secrets(l, c, env)) < 0)
		goto out;
	if (!json_object_size(env))
		goto out;
	list = must(json_array());
	set(config, "Env", list);
	json_object_foreach(env, name, v) {
		ecsfs_buf_setf(&kv, "%s=", name);
		ecsfs_buf_add(&kv, json_string_value(v), json_string_length(v));
		push(list, json_stringn(kv.data, kv.len));
	}
	explicit_bzero(kv.data, kv.len);
out:
	ecsfs_buf_release(&kv);
	json_decref(env);
	return r;
}

/* ---- a container: the other steps ---- */

static int step_labels(struct lc *l, const json_t *c, json_t *config, json_t *hc)
{
	json_t *labels, *ours;
	int r;

	if ((r = get_string_map(l, c, "dockerLabels", &labels)) < 0)
		return r;
	if (!labels)
		labels = must(json_object());
	/* ours last: a dockerLabel cannot pass a container off as another */
	ours = task_labels(l->ctx, l->name, l->name);
	json_object_update(labels, ours);
	json_decref(ours);
	set(config, "Labels", labels);
	return 0;
}

static int step_process(struct lc *l, const json_t *c, json_t *config, json_t *hc)
{
	static const struct {
		const char *field, *key;
	} strings[] = {{"workingDirectory", "WorkingDir"}, {"user", "User"}},
	  lists[] = {{"command", "Cmd"}, {"entryPoint", "Entrypoint"}},
	  flags[] = {{"interactive", "OpenStdin"}, {"pseudoTerminal", "Tty"}};
	const char *image, *s;
	json_t *v;
	long long stop;
	bool b, present;
	size_t i;
	int r;

	if ((r = get_str(l, c, "image", &image)) < 0)
		return r;
	if (!image || !*image) {
		at_key(l, "image");
		return fail(l, "missing; it is required");
	}
	set(config, "Image", json_string(image));
	for (i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		if ((r = get_str(l, c, strings[i].field, &s)) < 0)
			return r;
		if (s && *s)
			set(config, strings[i].key, json_string(s));
	}
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		if ((r = get_strings(l, c, lists[i].field, &v)) < 0)
			return r;
		if (v)
			set(config, lists[i].key, v);
	}
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if ((r = get_bool(l, c, flags[i].field, &b)) < 0)
			return r;
		if (b)
			set(config, flags[i].key, json_true());
	}
	if ((r = get_int(l, c, "stopTimeout", 0, INT32_MAX, &stop, &present)) < 0)
		return r;
	set(config, "StopTimeout", json_integer(present ? stop : ECSFS_STOP_TIMEOUT_S));
	set(hc, "LogConfig", log_config());
	return 0;
}

static int step_resources(struct lc *l, const json_t *c, json_t *config, json_t *hc)
{
	long long cpu = 0, mem, res, swap, swappiness;
	bool has_cpu, has_mem, has_res, has_swap, has_swappiness;
	const json_t *lp;
	int r;

	if ((r = get_int(l, c, "cpu", 0, INT32_MAX, &cpu, &has_cpu)) < 0 ||
	    (r = get_int(l, c, "memory", 0, INT32_MAX, &mem, &has_mem)) < 0 ||
	    (r = get_int(l, c, "memoryReservation", 0, INT32_MAX, &res, &has_res)) < 0 ||
	    (r = get(l, c, "linuxParameters", J_OBJ, &lp)) < 0)
		return r;
	/* ECS's agent gives 2 to a container without cpu: the engine's floor */
	set(hc, "CpuShares", json_integer(cpu < ECSFS_CPU_SHARES_MIN ? ECSFS_CPU_SHARES_MIN : cpu));
	if (has_res)
		set(hc, "MemoryReservation", json_integer(res * MIB));
	has_swap = has_swappiness = false;
	if (lp) {
		size_t mark = at_key(l, "linuxParameters");
		if ((r = get_int(l, lp, "maxSwap", 0, INT32_MAX, &swap, &has_swap)) < 0 ||
		    (r = get_int(l, lp, "swappiness", 0, 100, &swappiness, &has_swappiness)) < 0)
			return r;
		at_pop(l, mark);
	}
	if (has_mem) {
		/* MemorySwap counts memory and swap together: equal to Memory
		 * means no swap, a hard limit as ECS's memory is */
		set(hc, "Memory", json_integer(mem * MIB));
		set(hc, "MemorySwap", json_integer((mem + (has_swap ? swap : 0)) * MIB));
	}
	if (has_swappiness)
		set(hc, "MemorySwappiness", json_integer(swappiness));
	return 0;
}

/* ECS's GPU requirement as an engine device request. */
static int step_gpus(struct lc *l, const json_t *c, json_t *config, json_t *hc)
{
	const json_t *list, *e;
	long long gpus = 0;
	size_t i, mark, base;
	int r;

	if ((r = get(l, c, "resourceRequirements", J_ARR, &list)) < 0 || !list)
		return r;
	mark = at_key(l, "resourceRequirements");
	base = l->at.len;
	for (i = 0; i < json_array_size(list); i++) {
		const char *type, *value;
		char *end;
		long n;
		if ((r = element(l, list, i, &e)) < 0 || (r = get_str(l, e, "type", &type)) < 0 ||
		    (r = get_str(l, e, "value", &value)) < 0)
			return r;
		at_pop(l, base);
		if (!is(type, "GPU"))
			continue; /* InferenceAccelerator: nothing here to attach */
		errno = 0;
		n = value ? strtol(value, &end, 10) : 0;
		if (!value || end == value || *end || errno || n < 1 || n > 1024) {
			at_index(l, i);
			return fail(l, "a GPU value must be a number of GPUs");
		}
		gpus += n;
	}
	at_pop(l, mark);
	if (gpus)
		set(hc, "DeviceRequests",
		    json_pack("[{s:I, s:[[s]]}]", "Count", (json_int_t)gpus, "Capabilities",
			      "gpu"));
	return 0;
}

/* Docker's Binds split at ':', so paths in them cannot hold one. */
static int bind_path(struct lc *l, const char *path, const char *what)
{
	if (path[0] != '/')
		return fail(l, "%s '%s' must be an absolute path", what, path);
	if (strchr(path, ':'))
		return fail(l, "%s '%s' cannot contain ':'", what, path);
	return 0;
}

static int find_volume(struct lc *l, const char *name, const json_t **out)
{
	const json_t *vols = json_object_get(l->taskdef, "volumes"), *v;
	size_t i;

	json_array_foreach(vols, i, v) {
		if (is(json_string_value(json_object_get(v, "name")), name)) {
			*out = v;
			return 0;
		}
	}
	return -ENOENT;
}

static int mount_point(struct lc *l, const json_t *mp, json_t *binds)
{
	const char *src, *dst, *host = NULL;
	const json_t *vol, *hostobj;
	ecsfs_buf b = ECSFS_BUF_INIT;
	bool ro;
	int r;

	if ((r = get_str(l, mp, "sourceVolume", &src)) < 0 ||
	    (r = get_str(l, mp, "containerPath", &dst)) < 0 ||
	    (r = get_bool(l, mp, "readOnly", &ro)) < 0)
		return r;
	if (!src || !dst)
		return fail(l, "needs sourceVolume and containerPath");
	if (find_volume(l, src, &vol) < 0) {
		at_key(l, "sourceVolume");
		return fail(l, "'%s' is not the name of a task volume", src);
	}
	hostobj = json_object_get(vol, "host");
	if (json_is_object(hostobj))
		host = json_string_value(json_object_get(hostobj, "sourcePath"));
	if (host && *host) {
		if ((r = bind_path(l, host, "the volume's host.sourcePath")) < 0)
			return r;
		ecsfs_buf_adds(&b, host);
	} else {
		ecsfs_launch_volume_name(vol, l->ctx->task_id, &b);
	}
	if ((r = bind_path(l, dst, "containerPath")) < 0)
		goto out;
	ecsfs_buf_addf(&b, ":%s%s", dst, ro ? ":ro" : "");
	push(binds, json_string(b.data));
out:
	ecsfs_buf_release(&b);
	return r;
}

static int step_mounts(struct lc *l, const json_t *c, json_t *config, json_t *hc)
{
	const json_t *defs = json_object_get(l->taskdef, "containerDefinitions");
	const json_t *list, *e, *d;
	json_t *out;
	size_t i, k, mark, base;
	int r;

	if ((r = get(l, c, "mountPoints", J_ARR, &list)) < 0)
		return r;
	if (list && json_array_size(list)) {
		out = must(json_array());
		set(hc, "Binds", out);
		mark = at_key(l, "mountPoints");
		base = l->at.len;
		for (i = 0; i < json_array_size(list); i++) {
			if ((r = element(l, list, i, &e)) < 0 || (r = mount_point(l, e, out)) < 0)
				return r;
			at_pop(l, base);
		}
		at_pop(l, mark);
	}
	if ((r = get(l, c, "volumesFrom", J_ARR, &list)) < 0 || !list || !json_array_size(list))
		return r;
	out = must(json_array());
	set(hc, "VolumesFrom", out);
	mark = at_key(l, "volumesFrom");
	base = l->at.len;
	for (i = 0; i < json_array_size(list); i++) {
		ecsfs_buf b = ECSFS_BUF_INIT;
		const char *src;
		bool ro, found = false;
		if ((r = element(l, list, i, &e)) < 0 ||
		    (r = get_str(l, e, "sourceContainer", &src)) < 0 ||
		    (r = get_bool(l, e, "readOnly", &ro)) < 0)
			return r;
		json_array_foreach(defs, k, d) {
			if (is(json_string_value(json_object_get(d, "name")), src))
				found = true;
		}
		if (!src || !found || strcmp(src, l->name) == 0)
			return fail(l, "sourceContainer must name another container of the task");
		ecsfs_launch_container_name(l->ctx->task_id, src, &b);
		if (ro)
			ecsfs_buf_adds(&b, ":ro");
		push(out, json_string(b.data));
		ecsfs_buf_release(&b);
		at_pop(l, base);
	}
	at_pop(l, mark);
	return 0;
}

/* Namespaces: the pause's network (or the host's), and pid/ipc. */
static int step_namespaces(struct lc *l, const json_t *c, json_t *config, json_t *hc)
{
	const char *pause = l->ctx->pause_id;
	bool off;
	int r;

	if ((r = get_bool(l, c, "disableNetworking", &off)) < 0)
		return r;
	if (l->net != NET_HOST && !pause)
		return fail(l, "the task's pause container is not known: it must be created "
			       "before its containers");
	if ((is(l->pid_mode, "task") || is(l->ipc_mode, "task")) && !pause)
		return fail(l, "pidMode or ipcMode task needs the task's pause container");
	if (off) {
		set(hc, "NetworkMode", json_string("none"));
		set(config, "NetworkDisabled", json_true());
	} else if (l->net == NET_HOST) {
		set(hc, "NetworkMode", json_string("host"));
		if ((r = network_identity(l, c, config, hc)) < 0)
			return r;
	} else {
		set(hc, "NetworkMode", json_sprintf("container:%s", pause));
	}
	if (is(l->pid_mode, "task"))
		set(hc, "PidMode", json_sprintf("container:%s", pause));
	else if (l->pid_mode)
		set(hc, "PidMode", json_string(l->pid_mode));
	if (is(l->ipc_mode, "task"))
		set(hc, "IpcMode", json_sprintf("container:%s", pause));
	else if (l->ipc_mode)
		set(hc, "IpcMode", json_string(l->ipc_mode));
	return 0;
}

static int step_sysctls(struct lc *l, const json_t *c, json_t *config, json_t *hc)
{
	json_t *sysctls = must(json_object());
	int r;

	if ((r = add_sysctls(l, c, false, sysctls)) == 0 && json_object_size(sysctls))
		set(hc, "Sysctls", json_incref(sysctls));
	json_decref(sysctls);
	return r;
}

static int devices(struct lc *l, const json_t *lp, json_t *hc)
{
	const json_t *list, *d, *perms, *p;
	size_t i, k, mark, base;
	int r;

	if ((r = get(l, lp, "devices", J_ARR, &list)) < 0 || !list)
		return r;
	json_t *out = must(json_array());
	set(hc, "Devices", out);
	mark = at_key(l, "devices");
	base = l->at.len;
	for (i = 0; i < json_array_size(list); i++) {
		const char *host, *dst;
		char cg[4] = "";
		if ((r = element(l, list, i, &d)) < 0 ||
		    (r = get_str(l, d, "hostPath", &host)) < 0 ||
		    (r = get_str(l, d, "containerPath", &dst)) < 0 ||
		    (r = get(l, d, "permissions", J_ARR, &perms)) < 0)
			return r;
		if (!host)
			return fail(l, "needs a hostPath");
		json_array_foreach(perms, k, p) {
			const char *s = json_string_value(p);
			char ch = is(s, "read")	   ? 'r'
				  : is(s, "write") ? 'w'
				  : is(s, "mknod") ? 'm'
						   : 0;
			if (!ch)
				return fail(l, "permissions must be read, write or mknod");
			if (!strchr(cg, ch))
				cg[strlen(cg)] = ch;
		}
		/* none given: ECS's default is all three; keep the order rwm */
		char ordered[4] = "";
		for (const char *o = "rwm"; *o; o++)
			if (!json_array_size(perms) || strchr(cg, *o))
				ordered[strlen(ordered)] = *o;
		push(out, json_pack("{s:s, s:s, s:s}", "PathOnHost", host, "PathInContainer",
				    dst && *dst ? dst : host, "CgroupPermissions", ordered));
		at_pop(l, base);
	}
	at_pop(l, mark);
	return 0;
}

static int tmpfs(struct lc *l, const json_t *lp, json_t *hc)
{
	const json_t *list, *t;
	size_t i, k, mark, base;
	int r;

	if ((r = get(l, lp, "tmpfs", J_ARR, &list)) < 0 || !list)
		return r;
	json_t *out = must(json_object());
	set(hc, "Tmpfs", out);
	mark = at_key(l, "tmpfs");
	base = l->at.len;
	for (i = 0; i < json_array_size(list); i++) {
		const char *path;
		long long size;
		bool has_size;
		json_t *opts, *o;
		if ((r = element(l, list, i, &t)) < 0 ||
		    (r = get_str(l, t, "containerPath", &path)) < 0 ||
		    (r = get_int(l, t, "size", 1, INT32_MAX, &size, &has_size)) < 0 ||
		    (r = get_strings(l, t, "mountOptions", &opts)) < 0)
			return r;
		if (!path || !has_size) {
			json_decref(opts);
			return fail(l, "needs containerPath and size");
		}
		ecsfs_buf b = ECSFS_BUF_INIT;
		ecsfs_buf_addf(&b, "size=%lldm", size);
		json_array_foreach(opts, k, o)
			ecsfs_buf_addf(&b, ",%s", json_string_value(o));
		set(out, path, json_string(b.data));
		ecsfs_buf_release(&b);
		json_decref(opts);
		at_pop(l, base);
	}
	at_pop(l, mark);
	return 0;
}

/* linuxParameters, except maxSwap and swappiness (step_resources). */
static int step_linux(struct lc *l, const json_t *c, json_t *config, json_t *hc)
{
	const json_t *lp, *caps;
	json_t *v;
	long long shm;
	bool init, present;
	size_t mark;
	int r;

	if ((r = get(l, c, "linuxParameters", J_OBJ, &lp)) < 0 || !lp)
		return r;
	mark = at_key(l, "linuxParameters");
	if ((r = get(l, lp, "capabilities", J_OBJ, &caps)) < 0)
		return r;
	if (caps) {
		size_t m = at_key(l, "capabilities");
		if ((r = get_strings(l, caps, "add", &v)) < 0)
			return r;
		if (v)
			set(hc, "CapAdd", v);
		if ((r = get_strings(l, caps, "drop", &v)) < 0)
			return r;
		if (v)
			set(hc, "CapDrop", v);
		at_pop(l, m);
	}
	if ((r = get_bool(l, lp, "initProcessEnabled", &init)) < 0)
		return r;
	if (init)
		set(hc, "Init", json_true());
	if ((r = get_int(l, lp, "sharedMemorySize", 0, INT32_MAX, &shm, &present)) < 0)
		return r;
	/* with ipcMode task, /dev/shm is the pause's, sized there */
	if (present && !is(l->ipc_mode, "task"))
		set(hc, "ShmSize", json_integer(shm * MIB));
	if ((r = devices(l, lp, hc)) < 0 || (r = tmpfs(l, lp, hc)) < 0)
		return r;
	at_pop(l, mark);
	return 0;
}

static int step_ulimits(struct lc *l, const json_t *c, json_t *config, json_t *hc)
{
	const json_t *list, *u;
	size_t i, mark, base;
	int r;

	if ((r = get(l, c, "ulimits", J_ARR, &list)) < 0 || !list)
		return r;
	json_t *out = must(json_array());
	set(hc, "Ulimits", out);
	mark = at_key(l, "ulimits");
	base = l->at.len;
	for (i = 0; i < json_array_size(list); i++) {
		const char *name;
		long long soft, hard;
		bool has_soft, has_hard;
		if ((r = element(l, list, i, &u)) < 0 || (r = get_str(l, u, "name", &name)) < 0 ||
		    (r = get_int(l, u, "softLimit", -1, INT32_MAX, &soft, &has_soft)) < 0 ||
		    (r = get_int(l, u, "hardLimit", -1, INT32_MAX, &hard, &has_hard)) < 0)
			return r;
		if (!name || !has_soft || !has_hard)
			return fail(l, "needs name, softLimit and hardLimit");
		push(out, json_pack("{s:s, s:I, s:I}", "Name", name, "Soft", (json_int_t)soft,
				    "Hard", (json_int_t)hard));
		at_pop(l, base);
	}
	at_pop(l, mark);
	return 0;
}

static int step_security(struct lc *l, const json_t *c, json_t *config, json_t *hc)
{
	static const struct {
		const char *field, *key;
	} flags[] = {{"privileged", "Privileged"}, {"readonlyRootFilesystem", "ReadonlyRootfs"}};
	json_t *opts, *o, *kept;
	size_t i;
	bool b;
	int r;

	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if ((r = get_bool(l, c, flags[i].field, &b)) < 0)
			return r;
		if (b)
			set(hc, flags[i].key, json_true());
	}
	if ((r = get_strings(l, c, "dockerSecurityOptions", &opts)) < 0 || !opts)
		return r;
	/* credentialspec options are for Windows containers: kept, no meaning here */
	kept = must(json_array());
	json_array_foreach(opts, i, o) {
		if (strncmp(json_string_value(o), "credentialspec:", 15) != 0)
			push(kept, json_incref(o));
	}
	json_decref(opts);
	if (json_array_size(kept))
		set(hc, "SecurityOpt", kept);
	else
		json_decref(kept);
	return 0;
}

static int step_health(struct lc *l, const json_t *c, json_t *config, json_t *hc)
{
	static const struct {
		const char *field, *key;
		long long dflt, scale;
	} times[] = {
	    {"interval", "Interval", HEALTH_INTERVAL_S, NS_PER_S},
	    {"timeout", "Timeout", HEALTH_TIMEOUT_S, NS_PER_S},
	    {"retries", "Retries", HEALTH_RETRIES, 1},
	    {"startPeriod", "StartPeriod", 0, NS_PER_S},
	};
	const json_t *h;
	json_t *test, *out;
	long long v;
	bool present;
	size_t mark, i;
	int r;

	if ((r = get(l, c, "healthCheck", J_OBJ, &h)) < 0 || !h)
		return r;
	mark = at_key(l, "healthCheck");
	if ((r = get_strings(l, h, "command", &test)) < 0)
		return r;
	if (!test || !json_array_size(test)) {
		json_decref(test);
		at_key(l, "command");
		return fail(l, "missing; it is required");
	}
	out = must(json_object());
	set(config, "Healthcheck", out);
	set(out, "Test", test);
	if (is(json_string_value(json_array_get(test, 0)), "NONE")) {
		at_pop(l, mark);
		return 0; /* checks off: no timings */
	}
	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		if ((r = get_int(l, h, times[i].field, 0, 86400, &v, &present)) < 0)
			return r;
		set(out, times[i].key,
		    json_integer((present ? v : times[i].dflt) * times[i].scale));
	}
	at_pop(l, mark);
	return 0;
}

typedef int (*step_fn)(struct lc *l, const json_t *c, json_t *config, json_t *hc);

/* Env is last, so that a mistake anywhere else is reported before any
 * secret is fetched or any file read. */
static const step_fn steps[] = {
    step_process, step_labels, step_resources, step_gpus,     step_namespaces, step_sysctls,
    step_mounts,  step_linux,  step_ulimits,   step_security, step_health,     step_env,
};

int ecsfs_launch_container(const json_t *taskdef, const json_t *container,
			   const ecsfs_launch_ctx *ctx, json_t **out, ecsfs_buf *why)
{
	json_t *config = NULL, *hc;
	struct lc l;
	int r;

	if ((r = lc_init(&l, taskdef, ctx, why)) < 0 ||
	    (r = enter_container(&l, container, (size_t)-1)) < 0)
		goto out;
	config = must(json_object());
	hc = must(json_object());
	set(config, "HostConfig", hc);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if ((r = steps[i](&l, container, config, hc)) < 0)
			goto out;
	*out = config;
	config = NULL;
out:
	json_decref(config);
	ecsfs_buf_release(&l.at);
	return r;
}

/* ---- volumes ---- */

static bool shared(const json_t *volume)
{
	const json_t *dvc = json_object_get(volume, "dockerVolumeConfiguration");

	return is(json_string_value(json_object_get(dvc, "scope")), "shared");
}

void ecsfs_launch_volume_name(const json_t *volume, const char *task_id, ecsfs_buf *out)
{
	const char *name = json_string_value(json_object_get(volume, "name"));

	if (shared(volume))
		ecsfs_buf_adds(out, name ? name : "");
	else
		ecsfs_buf_addf(out, "ecsfs-%s-%s", task_id, name ? name : "");
}

static int volume_body(struct lc *l, const json_t *vol, json_t **out)
{
	const json_t *host, *dvc = NULL;
	const char *name, *path = NULL, *driver = NULL;
	json_t *opts = NULL, *labels = NULL, *body;
	ecsfs_buf vname = ECSFS_BUF_INIT;
	bool autoprovision = false;
	int r;

	*out = NULL;
	if ((r = get_str(l, vol, "name", &name)) < 0 || (r = get(l, vol, "host", J_OBJ, &host)) < 0)
		return r;
	if (!name || !*name) {
		at_key(l, "name");
		return fail(l, "missing; it is required");
	}
	if (host) {
		size_t mark = at_key(l, "host");
		if ((r = get_str(l, host, "sourcePath", &path)) < 0)
			return r;
		at_pop(l, mark);
	}
	if (path && *path)
		return 0; /* a bind mount: nothing to create */
	if ((r = get(l, vol, "dockerVolumeConfiguration", J_OBJ, &dvc)) < 0)
		return r;
	if (dvc) {
		size_t mark = at_key(l, "dockerVolumeConfiguration");
		if ((r = get_str(l, dvc, "driver", &driver)) < 0 ||
		    (r = get_bool(l, dvc, "autoprovision", &autoprovision)) < 0 ||
		    (r = get_string_map(l, dvc, "driverOpts", &opts)) < 0 ||
		    (r = get_string_map(l, dvc, "labels", &labels)) < 0)
			goto out;
		at_pop(l, mark);
	}
	/* a shared volume outlives tasks; without autoprovision it must
	 * already exist, and is not ours to make */
	if (shared(vol) && !autoprovision)
		goto out;
	if (!labels)
		labels = must(json_object());
	set(labels, ECSFS_LABEL_MANAGED, json_string("1"));
	if (!shared(vol))
		set(labels, ECSFS_LABEL_TASK, json_string(nz(l->ctx->task_id)));
	ecsfs_launch_volume_name(vol, l->ctx->task_id, &vname);
	body = must(json_object());
	set(body, "Name", json_string(vname.data));
	if (driver && *driver)
		set(body, "Driver", json_string(driver));
	if (opts)
		set(body, "DriverOpts", json_incref(opts));
	set(body, "Labels", json_incref(labels));
	ecsfs_buf_release(&vname);
	*out = body;
out:
	json_decref(opts);
	json_decref(labels);
	return r;
}

int ecsfs_launch_volumes(const json_t *taskdef, const ecsfs_launch_ctx *ctx, json_t **out,
			 ecsfs_buf *why)
{
	const json_t *vols, *vol;
	json_t *list = NULL, *body;
	struct lc l;
	size_t i;
	int r;

	if ((r = lc_init(&l, taskdef, ctx, why)) < 0)
		goto out;
	vols = json_object_get(taskdef, "volumes");
	list = must(json_array());
	for (i = 0; i < json_array_size(vols); i++) {
		ecsfs_buf_setf(&l.at, "volumes");
		if ((r = element(&l, vols, i, &vol)) < 0 || (r = volume_body(&l, vol, &body)) < 0)
			goto out;
		if (body)
			push(list, body);
	}
	*out = list;
	list = NULL;
out:
	json_decref(list);
	ecsfs_buf_release(&l.at);
	return r;
}

/* ---- RunTask overrides ---- */

/* environment of an override: a name already set gets the new value in
 * place, a new one is appended. */
static int merge_env(struct lc *l, json_t *c, const json_t *add)
{
	json_t *env = json_object_get(c, "environment"), *have;
	const json_t *e;
	size_t i, k;
	int r;

	if (!env) {
		env = must(json_array());
		set(c, "environment", env);
	}
	if ((r = check_type(l, env, J_ARR)) < 0)
		return r;
	for (i = 0; i < json_array_size(add); i++) {
		const char *name;
		bool done = false;
		size_t mark = l->at.len;
		if ((r = element(l, add, i, &e)) < 0 || (r = get_str(l, e, "name", &name)) < 0)
			return r;
		if (!name)
			return fail(l, "needs a name");
		json_array_foreach(env, k, have) {
			if (is(json_string_value(json_object_get(have, "name")), name)) {
				json_array_set_new(env, k, must(json_deep_copy(e)));
				done = true;
				break;
			}
		}
		if (!done)
			push(env, json_deep_copy(e));
		at_pop(l, mark);
	}
	return 0;
}

static json_t *find_container(json_t *taskdef, const char *name)
{
	json_t *defs = json_object_get(taskdef, "containerDefinitions"), *c;
	size_t i;

	json_array_foreach(defs, i, c) {
		if (is(json_string_value(json_object_get(c, "name")), name))
			return c;
	}
	return NULL;
}

static int container_override(struct lc *l, json_t *taskdef, const json_t *o)
{
	static const char *const replaced[] = {"command", "cpu", "memory", "memoryReservation",
					       "resourceRequirements"};
	const char *name, *key;
	json_t *c, *v;
	size_t i;
	int r;

	if ((r = get_str(l, o, "name", &name)) < 0)
		return r;
	if (!name) {
		at_key(l, "name");
		return fail(l, "missing; it is required");
	}
	if (!(c = find_container(taskdef, name))) {
		at_key(l, "name");
		return fail(l, "no container named %s in the task definition", name);
	}
	json_object_foreach((json_t *)o, key, v) {
		size_t mark = at_key(l, key);
		bool known = false;
		for (i = 0; i < sizeof(replaced) / sizeof(replaced[0]); i++) {
			if (strcmp(key, replaced[i]) == 0) {
				set(c, key, json_deep_copy(v));
				known = true;
			}
		}
		if (strcmp(key, "environment") == 0) {
			if ((r = check_type(l, v, J_ARR)) < 0 || (r = merge_env(l, c, v)) < 0)
				return r;
		} else if (strcmp(key, "environmentFiles") == 0) {
			json_t *files = json_object_get(c, "environmentFiles");
			if ((r = check_type(l, v, J_ARR)) < 0)
				return r;
			if (!files) {
				files = must(json_array());
				set(c, "environmentFiles", files);
			}
			if (!json_is_array(files))
				return fail(l, "cannot be added to the container's own");
			for (i = 0; i < json_array_size(v); i++)
				push(files, json_deep_copy(json_array_get(v, i)));
		} else if (!known && strcmp(key, "name") != 0) {
			return fail(l, "unknown field; a container override may set command, "
				       "environment, environmentFiles, cpu, memory, "
				       "memoryReservation and resourceRequirements");
		}
		at_pop(l, mark);
	}
	return 0;
}

int ecsfs_launch_apply_overrides(json_t *taskdef, const json_t *overrides, ecsfs_buf *why)
{
	static const char *const task_fields[] = {"cpu", "memory", "taskRoleArn",
						  "executionRoleArn", "ephemeralStorage"};
	const char *key, *family;
	json_t *v;
	ecsfs_buf msg = ECSFS_BUF_INIT;
	struct lc l;
	size_t i;
	int r = 0;

	memset(&l, 0, sizeof(l));
	l.why = why;
	ecsfs_buf_init(&l.at);
	ecsfs_buf_adds(&l.at, "overrides");
	if (!overrides || json_is_null(overrides))
		goto out;
	if ((r = check_type(&l, overrides, J_OBJ)) < 0)
		goto out;
	if (!json_is_object(taskdef)) {
		r = fail(&l, "the task definition is not a JSON object");
		goto out;
	}
	json_object_foreach((json_t *)overrides, key, v) {
		size_t mark = at_key(&l, key), base = l.at.len;
		size_t n = sizeof(task_fields) / sizeof(task_fields[0]);
		for (i = 0; i < n && strcmp(key, task_fields[i]) != 0; i++)
			;
		if (i < n) {
			set(taskdef, key, json_deep_copy(v));
		} else if (strcmp(key, "containerOverrides") == 0) {
			if ((r = check_type(&l, v, J_ARR)) < 0)
				goto out;
			for (size_t k = 0; k < json_array_size(v); k++) {
				const json_t *o;
				if ((r = element(&l, v, k, &o)) < 0 ||
				    (r = container_override(&l, taskdef, o)) < 0)
					goto out;
				at_pop(&l, base);
			}
		} else if (strcmp(key, "inferenceAcceleratorOverrides") == 0) {
			/* describe-tasks shows it: kept with the task, no meaning here */
			if ((r = check_type(&l, v, J_ARR)) < 0)
				goto out;
		} else {
			r = fail(&l, "unknown field; overrides may set containerOverrides, cpu, "
				     "memory, taskRoleArn, executionRoleArn, ephemeralStorage and "
				     "inferenceAcceleratorOverrides");
			goto out;
		}
		at_pop(&l, mark);
	}
	/* the result must still be a task definition ECS would accept: an
	 * override may break memory >= memoryReservation, or fit no more */
	family = json_string_value(json_object_get(taskdef, "family"));
	if ((r = ecsfs_taskdef_validate(family ? family : "overrides", taskdef, &msg)) < 0)
		ecsfs_buf_setf(why, "overrides: they make the task definition invalid: %s",
			       msg.data);
out:
	ecsfs_buf_release(&msg);
	ecsfs_buf_release(&l.at);
	return r;
}

/* ---- tar ---- */

#define TAR_BLOCK 512

/* An octal number field of `size` bytes (digits and a NUL). */
static void tar_octal(char *field, size_t size, unsigned long long v)
{
	snprintf(field, size, "%0*llo", (int)size - 1, v);
}

void ecsfs_tar_one_file(const char *name, const void *data, size_t len, mode_t mode, ecsfs_buf *out)
{
	unsigned char h[TAR_BLOCK];
	const char *base;
	size_t n, pad;
	unsigned sum = 0;

	while (*name == '/')
		name++; /* archive members are relative to the image's root */
	n = strlen(name);
	memset(h, 0, sizeof(h));
	/* ustar: a name longer than 100 bytes is split at a '/' into prefix
	 * (155 bytes) and name; the callers' names are short constants */
	base = name;
	if (n > 100) {
		base = strchr(name + n - 100, '/');
		assert(base && base - name <= 155 && base[1]);
		memcpy(h + 345, name, (size_t)(base - name));
		base++;
	}
	memcpy(h, base, strlen(base));
	tar_octal((char *)h + 100, 8, mode & 07777);
	tar_octal((char *)h + 108, 8, 0);    /* uid */
	tar_octal((char *)h + 116, 8, 0);    /* gid */
	assert(len < 077777777777ULL);	     /* 11 octal digits: 8 GiB */
	tar_octal((char *)h + 124, 12, len); /* size */
	tar_octal((char *)h + 136, 12, 0);   /* mtime: reproducible images */
	h[156] = '0';			     /* a regular file */
	memcpy(h + 257, "ustar", 6);	     /* magic, NUL-terminated */
	memcpy(h + 263, "00", 2);	     /* version */
	memcpy(h + 265, "root", 4);	     /* uname */
	memcpy(h + 297, "root", 4);	     /* gname */
	memset(h + 148, ' ', 8);	     /* the checksum counts itself as blanks */
	for (size_t i = 0; i < sizeof(h); i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum); /* six digits, NUL, then the blank */
	h[155] = ' ';
	ecsfs_buf_add(out, h, sizeof(h));
	ecsfs_buf_add(out, data, len);
	pad = (TAR_BLOCK - len % TAR_BLOCK) % TAR_BLOCK;
	ecsfs_buf_setlen(out, out->len + pad + 2 * TAR_BLOCK); /* zero-filled: the end */
}
