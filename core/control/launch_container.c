/*
 * The create body of one container of a task: a table of steps, one per
 * group of related fields; each step reads the container definition and
 * writes the parts of the config and HostConfig it owns.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/launch_private.h"

#define NS_PER_S 1000000000LL

/* ECS's healthCheck defaults, in seconds. */
#define HEALTH_INTERVAL_S 30
#define HEALTH_TIMEOUT_S  5
#define HEALTH_RETRIES	  3

/* ---- a container: the other steps ---- */

static int step_labels(struct lc *l, const json_t *c, json_t *config, json_t *hc)
{
	json_t *labels, *ours;
	int r;

	if ((r = ecsfs__lc_get_string_map(l, c, "dockerLabels", &labels)) < 0)
		return r;
	if (!labels)
		labels = must(json_object());
	/* ours last: a dockerLabel cannot pass a container off as another */
	ours = ecsfs__launch_task_labels(l->ctx, l->name, l->name);
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

	if ((r = ecsfs__lc_get_str(l, c, "image", &image)) < 0)
		return r;
	if (!image || !*image) {
		ecsfs__lc_at_key(l, "image");
		return ecsfs__lc_fail(l, "missing; it is required");
	}
	set(config, "Image", json_string(image));
	for (i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		if ((r = ecsfs__lc_get_str(l, c, strings[i].field, &s)) < 0)
			return r;
		if (s && *s)
			set(config, strings[i].key, json_string(s));
	}
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		if ((r = ecsfs__lc_get_strings(l, c, lists[i].field, &v)) < 0)
			return r;
		if (v)
			set(config, lists[i].key, v);
	}
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if ((r = ecsfs__lc_get_bool(l, c, flags[i].field, &b)) < 0)
			return r;
		if (b)
			set(config, flags[i].key, json_true());
	}
	if ((r = ecsfs__lc_get_int(l, c, "stopTimeout", 0, INT32_MAX, &stop, &present)) < 0)
		return r;
	set(config, "StopTimeout", json_integer(present ? stop : ECSFS_STOP_TIMEOUT_S));
	set(hc, "LogConfig", ecsfs__launch_log_config());
	return 0;
}

static int step_resources(struct lc *l, const json_t *c, json_t *config, json_t *hc)
{
	long long cpu = 0, mem, res, swap, swappiness;
	bool has_cpu, has_mem, has_res, has_swap, has_swappiness;
	const json_t *lp;
	int r;

	if ((r = ecsfs__lc_get_int(l, c, "cpu", 0, INT32_MAX, &cpu, &has_cpu)) < 0 ||
	    (r = ecsfs__lc_get_int(l, c, "memory", 0, INT32_MAX, &mem, &has_mem)) < 0 ||
	    (r = ecsfs__lc_get_int(l, c, "memoryReservation", 0, INT32_MAX, &res, &has_res)) < 0 ||
	    (r = ecsfs__lc_get(l, c, "linuxParameters", J_OBJ, &lp)) < 0)
		return r;
	/* ECS's agent gives 2 to a container without cpu: the engine's floor */
	set(hc, "CpuShares", json_integer(cpu < ECSFS_CPU_SHARES_MIN ? ECSFS_CPU_SHARES_MIN : cpu));
	if (has_res)
		set(hc, "MemoryReservation", json_integer(res * MIB));
	has_swap = has_swappiness = false;
	if (lp) {
		size_t mark = ecsfs__lc_at_key(l, "linuxParameters");
		if ((r = ecsfs__lc_get_int(l, lp, "maxSwap", 0, INT32_MAX, &swap, &has_swap)) < 0 ||
		    (r = ecsfs__lc_get_int(l, lp, "swappiness", 0, 100, &swappiness,
					   &has_swappiness)) < 0)
			return r;
		ecsfs__lc_at_pop(l, mark);
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

	if ((r = ecsfs__lc_get(l, c, "resourceRequirements", J_ARR, &list)) < 0 || !list)
		return r;
	mark = ecsfs__lc_at_key(l, "resourceRequirements");
	base = l->at.len;
	for (i = 0; i < json_array_size(list); i++) {
		const char *type, *value;
		char *end;
		long n;
		if ((r = ecsfs__lc_element(l, list, i, &e)) < 0 ||
		    (r = ecsfs__lc_get_str(l, e, "type", &type)) < 0 ||
		    (r = ecsfs__lc_get_str(l, e, "value", &value)) < 0)
			return r;
		ecsfs__lc_at_pop(l, base);
		if (!is(type, "GPU"))
			continue; /* InferenceAccelerator: nothing here to attach */
		errno = 0;
		n = value ? strtol(value, &end, 10) : 0;
		if (!value || end == value || *end || errno || n < 1 || n > 1024) {
			ecsfs__lc_at_index(l, i);
			return ecsfs__lc_fail(l, "a GPU value must be a number of GPUs");
		}
		gpus += n;
	}
	ecsfs__lc_at_pop(l, mark);
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
		return ecsfs__lc_fail(l, "%s '%s' must be an absolute path", what, path);
	if (strchr(path, ':'))
		return ecsfs__lc_fail(l, "%s '%s' cannot contain ':'", what, path);
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

	if ((r = ecsfs__lc_get_str(l, mp, "sourceVolume", &src)) < 0 ||
	    (r = ecsfs__lc_get_str(l, mp, "containerPath", &dst)) < 0 ||
	    (r = ecsfs__lc_get_bool(l, mp, "readOnly", &ro)) < 0)
		return r;
	if (!src || !dst)
		return ecsfs__lc_fail(l, "needs sourceVolume and containerPath");
	if (find_volume(l, src, &vol) < 0) {
		ecsfs__lc_at_key(l, "sourceVolume");
		return ecsfs__lc_fail(l, "'%s' is not the name of a task volume", src);
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

	if ((r = ecsfs__lc_get(l, c, "mountPoints", J_ARR, &list)) < 0)
		return r;
	if (list && json_array_size(list)) {
		out = must(json_array());
		set(hc, "Binds", out);
		mark = ecsfs__lc_at_key(l, "mountPoints");
		base = l->at.len;
		for (i = 0; i < json_array_size(list); i++) {
			if ((r = ecsfs__lc_element(l, list, i, &e)) < 0 ||
			    (r = mount_point(l, e, out)) < 0)
				return r;
			ecsfs__lc_at_pop(l, base);
		}
		ecsfs__lc_at_pop(l, mark);
	}
	if ((r = ecsfs__lc_get(l, c, "volumesFrom", J_ARR, &list)) < 0 || !list ||
	    !json_array_size(list))
		return r;
	out = must(json_array());
	set(hc, "VolumesFrom", out);
	mark = ecsfs__lc_at_key(l, "volumesFrom");
	base = l->at.len;
	for (i = 0; i < json_array_size(list); i++) {
		ecsfs_buf b = ECSFS_BUF_INIT;
		const char *src;
		bool ro, found = false;
		if ((r = ecsfs__lc_element(l, list, i, &e)) < 0 ||
		    (r = ecsfs__lc_get_str(l, e, "sourceContainer", &src)) < 0 ||
		    (r = ecsfs__lc_get_bool(l, e, "readOnly", &ro)) < 0)
			return r;
		json_array_foreach(defs, k, d) {
			if (is(json_string_value(json_object_get(d, "name")), src))
				found = true;
		}
		if (!src || !found || strcmp(src, l->name) == 0)
			return ecsfs__lc_fail(
			    l, "sourceContainer must name another container of the task");
		ecsfs_launch_container_name(l->ctx->task_id, src, &b);
		if (ro)
			ecsfs_buf_adds(&b, ":ro");
		push(out, json_string(b.data));
		ecsfs_buf_release(&b);
		ecsfs__lc_at_pop(l, base);
	}
	ecsfs__lc_at_pop(l, mark);
	return 0;
}

/* Namespaces: the pause's network (or the host's), and pid/ipc. */
static int step_namespaces(struct lc *l, const json_t *c, json_t *config, json_t *hc)
{
	const char *pause = l->ctx->pause_id;
	bool off;
	int r;

	if ((r = ecsfs__lc_get_bool(l, c, "disableNetworking", &off)) < 0)
		return r;
	if (l->net != NET_HOST && !pause)
		return ecsfs__lc_fail(l,
				      "the task's pause container is not known: it must be created "
				      "before its containers");
	if ((is(l->pid_mode, "task") || is(l->ipc_mode, "task")) && !pause)
		return ecsfs__lc_fail(l,
				      "pidMode or ipcMode task needs the task's pause container");
	if (off) {
		set(hc, "NetworkMode", json_string("none"));
		set(config, "NetworkDisabled", json_true());
	} else if (l->net == NET_HOST) {
		set(hc, "NetworkMode", json_string("host"));
		if ((r = ecsfs__launch_network_identity(l, c, config, hc)) < 0)
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

	if ((r = ecsfs__launch_add_sysctls(l, c, false, sysctls)) == 0 && json_object_size(sysctls))
		set(hc, "Sysctls", json_incref(sysctls));
	json_decref(sysctls);
	return r;
}

static int devices(struct lc *l, const json_t *lp, json_t *hc)
{
	const json_t *list, *d, *perms, *p;
	size_t i, k, mark, base;
	int r;

	if ((r = ecsfs__lc_get(l, lp, "devices", J_ARR, &list)) < 0 || !list)
		return r;
	json_t *out = must(json_array());
	set(hc, "Devices", out);
	mark = ecsfs__lc_at_key(l, "devices");
	base = l->at.len;
	for (i = 0; i < json_array_size(list); i++) {
		const char *host, *dst;
		char cg[4] = "";
		if ((r = ecsfs__lc_element(l, list, i, &d)) < 0 ||
		    (r = ecsfs__lc_get_str(l, d, "hostPath", &host)) < 0 ||
		    (r = ecsfs__lc_get_str(l, d, "containerPath", &dst)) < 0 ||
		    (r = ecsfs__lc_get(l, d, "permissions", J_ARR, &perms)) < 0)
			return r;
		if (!host)
			return ecsfs__lc_fail(l, "needs a hostPath");
		json_array_foreach(perms, k, p) {
			const char *s = json_string_value(p);
			char ch = is(s, "read")	   ? 'r'
				  : is(s, "write") ? 'w'
				  : is(s, "mknod") ? 'm'
						   : 0;
			if (!ch)
				return ecsfs__lc_fail(l,
						      "permissions must be read, write or mknod");
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
		ecsfs__lc_at_pop(l, base);
	}
	ecsfs__lc_at_pop(l, mark);
	return 0;
}

static int tmpfs(struct lc *l, const json_t *lp, json_t *hc)
{
	const json_t *list, *t;
	size_t i, k, mark, base;
	int r;

	if ((r = ecsfs__lc_get(l, lp, "tmpfs", J_ARR, &list)) < 0 || !list)
		return r;
	json_t *out = must(json_object());
	set(hc, "Tmpfs", out);
	mark = ecsfs__lc_at_key(l, "tmpfs");
	base = l->at.len;
	for (i = 0; i < json_array_size(list); i++) {
		const char *path;
		long long size;
		bool has_size;
		json_t *opts, *o;
		if ((r = ecsfs__lc_element(l, list, i, &t)) < 0 ||
		    (r = ecsfs__lc_get_str(l, t, "containerPath", &path)) < 0 ||
		    (r = ecsfs__lc_get_int(l, t, "size", 1, INT32_MAX, &size, &has_size)) < 0 ||
		    (r = ecsfs__lc_get_strings(l, t, "mountOptions", &opts)) < 0)
			return r;
		if (!path || !has_size) {
			json_decref(opts);
			return ecsfs__lc_fail(l, "needs containerPath and size");
		}
		ecsfs_buf b = ECSFS_BUF_INIT;
		ecsfs_buf_addf(&b, "size=%lldm", size);
		json_array_foreach(opts, k, o)
			ecsfs_buf_addf(&b, ",%s", json_string_value(o));
		set(out, path, json_string(b.data));
		ecsfs_buf_release(&b);
		json_decref(opts);
		ecsfs__lc_at_pop(l, base);
	}
	ecsfs__lc_at_pop(l, mark);
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

	if ((r = ecsfs__lc_get(l, c, "linuxParameters", J_OBJ, &lp)) < 0 || !lp)
		return r;
	mark = ecsfs__lc_at_key(l, "linuxParameters");
	if ((r = ecsfs__lc_get(l, lp, "capabilities", J_OBJ, &caps)) < 0)
		return r;
	if (caps) {
		size_t m = ecsfs__lc_at_key(l, "capabilities");
		if ((r = ecsfs__lc_get_strings(l, caps, "add", &v)) < 0)
			return r;
		if (v)
			set(hc, "CapAdd", v);
		if ((r = ecsfs__lc_get_strings(l, caps, "drop", &v)) < 0)
			return r;
		if (v)
			set(hc, "CapDrop", v);
		ecsfs__lc_at_pop(l, m);
	}
	if ((r = ecsfs__lc_get_bool(l, lp, "initProcessEnabled", &init)) < 0)
		return r;
	if (init)
		set(hc, "Init", json_true());
	if ((r = ecsfs__lc_get_int(l, lp, "sharedMemorySize", 0, INT32_MAX, &shm, &present)) < 0)
		return r;
	/* with ipcMode task, /dev/shm is the pause's, sized there */
	if (present && !is(l->ipc_mode, "task"))
		set(hc, "ShmSize", json_integer(shm * MIB));
	if ((r = devices(l, lp, hc)) < 0 || (r = tmpfs(l, lp, hc)) < 0)
		return r;
	ecsfs__lc_at_pop(l, mark);
	return 0;
}

static int step_ulimits(struct lc *l, const json_t *c, json_t *config, json_t *hc)
{
	const json_t *list, *u;
	size_t i, mark, base;
	int r;

	if ((r = ecsfs__lc_get(l, c, "ulimits", J_ARR, &list)) < 0 || !list)
		return r;
	json_t *out = must(json_array());
	set(hc, "Ulimits", out);
	mark = ecsfs__lc_at_key(l, "ulimits");
	base = l->at.len;
	for (i = 0; i < json_array_size(list); i++) {
		const char *name;
		long long soft, hard;
		bool has_soft, has_hard;
		if ((r = ecsfs__lc_element(l, list, i, &u)) < 0 ||
		    (r = ecsfs__lc_get_str(l, u, "name", &name)) < 0 ||
		    (r = ecsfs__lc_get_int(l, u, "softLimit", -1, INT32_MAX, &soft, &has_soft)) <
			0 ||
		    (r = ecsfs__lc_get_int(l, u, "hardLimit", -1, INT32_MAX, &hard, &has_hard)) < 0)
			return r;
		if (!name || !has_soft || !has_hard)
			return ecsfs__lc_fail(l, "needs name, softLimit and hardLimit");
		push(out, json_pack("{s:s, s:I, s:I}", "Name", name, "Soft", (json_int_t)soft,
				    "Hard", (json_int_t)hard));
		ecsfs__lc_at_pop(l, base);
	}
	ecsfs__lc_at_pop(l, mark);
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
		if ((r = ecsfs__lc_get_bool(l, c, flags[i].field, &b)) < 0)
			return r;
		if (b)
			set(hc, flags[i].key, json_true());
	}
	if ((r = ecsfs__lc_get_strings(l, c, "dockerSecurityOptions", &opts)) < 0 || !opts)
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

	if ((r = ecsfs__lc_get(l, c, "healthCheck", J_OBJ, &h)) < 0 || !h)
		return r;
	mark = ecsfs__lc_at_key(l, "healthCheck");
	if ((r = ecsfs__lc_get_strings(l, h, "command", &test)) < 0)
		return r;
	if (!test || !json_array_size(test)) {
		json_decref(test);
		ecsfs__lc_at_key(l, "command");
		return ecsfs__lc_fail(l, "missing; it is required");
	}
	out = must(json_object());
	set(config, "Healthcheck", out);
	set(out, "Test", test);
	if (is(json_string_value(json_array_get(test, 0)), "NONE")) {
		ecsfs__lc_at_pop(l, mark);
		return 0; /* checks off: no timings */
	}
	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		if ((r = ecsfs__lc_get_int(l, h, times[i].field, 0, 86400, &v, &present)) < 0)
			return r;
		set(out, times[i].key,
		    json_integer((present ? v : times[i].dflt) * times[i].scale));
	}
	ecsfs__lc_at_pop(l, mark);
	return 0;
}

typedef int (*step_fn)(struct lc *l, const json_t *c, json_t *config, json_t *hc);

/* Env is last, so that a mistake anywhere else is reported before any
 * secret is fetched or any file read. */
static const step_fn steps[] = {
    step_process,    step_labels,   step_resources, step_gpus,
    step_namespaces, step_sysctls,  step_mounts,    step_linux,
    step_ulimits,    step_security, step_health,    ecsfs__launch_step_env,
};

int ecsfs_launch_container(const json_t *taskdef, const json_t *container,
			   const ecsfs_launch_ctx *ctx, json_t **out, ecsfs_buf *why)
{
	json_t *config = NULL, *hc;
	struct lc l;
	int r;

	if ((r = ecsfs__lc_init(&l, taskdef, ctx, why)) < 0 ||
	    (r = ecsfs__lc_enter_container(&l, container, (size_t)-1)) < 0)
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
