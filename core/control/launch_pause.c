/*
 * The pause container: the owner of a task's network namespace (ports,
 * hostname, DNS, links, network sysctls) and, with ipcMode task, of its IPC
 * namespace; and the tar its image is imported from.
 */
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/launch_private.h"

/* Ports one task may publish: every port of a containerPortRange is a
 * binding of its own (and, with the engine's userland proxy, a process). */
#define MAX_PUBLISHED_PORTS 4096

/* The value ECS's agent gives its own pause container. */
#define ECS_PAUSE_CONTAINER_NAME "~internal~ecs~pause"

/* ---- the pause container ---- */

/* Publish one container port: ExposedPorts and (bindings not NULL) a
 * HostConfig.PortBindings entry; a port two mappings publish gets both
 * bindings. */
static void publish(json_t *exposed, json_t *bindings, long long port, const char *proto,
		    const char *host_port)
{
	char key[32];
	json_t *list, *b, *e;
	size_t i;

	snprintf(key, sizeof(key), "%lld/%s", port, proto);
	set(exposed, key, json_object());
	if (!bindings)
		return;
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

	if ((r = ecsfs__lc_get(l, c, "portMappings", J_ARR, &list)) < 0 || !list)
		return r;
	mark = ecsfs__lc_at_key(l, "portMappings");
	for (i = 0; i < json_array_size(list); i++) {
		long long port = 0, host = 0, lo, hi;
		bool has_port, has_host;
		const char *range, *proto;
		size_t m = l->at.len;

		if ((r = ecsfs__lc_element(l, list, i, &pm)) < 0 ||
		    (r = ecsfs__lc_get_int(l, pm, "containerPort", 1, 65535, &port, &has_port)) <
			0 ||
		    (r = ecsfs__lc_get_int(l, pm, "hostPort", 0, 65535, &host, &has_host)) < 0 ||
		    (r = ecsfs__lc_get_str(l, pm, "containerPortRange", &range)) < 0 ||
		    (r = ecsfs__lc_get_str(l, pm, "protocol", &proto)) < 0)
			return r;
		if (!proto)
			proto = "tcp";
		if (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0)
			return ecsfs__lc_fail(l, "protocol must be tcp or udp");
		if (l->net == NET_NONE)
			return ecsfs__lc_fail(l, "ports cannot be published in none network mode");
		if (has_port) {
			lo = hi = port;
		} else if (!range || port_range(range, &lo, &hi) < 0) {
			return ecsfs__lc_fail(
			    l, "needs containerPort or a containerPortRange \"lo-hi\"");
		}
		if (range && host)
			return ecsfs__lc_fail(
			    l, "hostPort cannot be combined with containerPortRange");
		/* awsvpc: the task has its own address, and its ports are its own */
		if (l->net == NET_AWSVPC && host && host != lo)
			return ecsfs__lc_fail(l,
					      "hostPort %lld must equal containerPort %lld in "
					      "awsvpc network mode",
					      host, lo);
		for (long long p = lo; p <= hi; p++) {
			char hp[8] = "";
			if (++*count > MAX_PUBLISHED_PORTS)
				return ecsfs__lc_fail(l, "the task publishes more than %d ports",
						      MAX_PUBLISHED_PORTS);
			/* bridge: an unset host port is the engine's pick ("") */
			if (host)
				snprintf(hp, sizeof(hp), "%lld", host);
			publish(exposed, l->net == NET_AWSVPC ? NULL : bindings, p, proto, hp);
		}
		ecsfs__lc_at_pop(l, m);
	}
	ecsfs__lc_at_pop(l, mark);
	return 0;
}

/* Hostname, dnsServers, dnsSearchDomains and extraHosts: the first
 * container that sets one gives it to the namespace (the pause), or, in
 * host network mode, each container keeps its own. */
int ecsfs__launch_network_identity(struct lc *l, const json_t *c, json_t *config, json_t *hc)
{
	const json_t *list, *e;
	const char *hostname;
	json_t *v;
	size_t i, mark, base;
	int r;

	if ((r = ecsfs__lc_get_str(l, c, "hostname", &hostname)) < 0)
		return r;
	if (hostname && *hostname && !json_object_get(config, "Hostname"))
		set(config, "Hostname", json_string(hostname));
	if ((r = ecsfs__lc_get_strings(l, c, "dnsServers", &v)) < 0)
		return r;
	if (v && json_object_get(hc, "Dns"))
		json_decref(v);
	else if (v)
		set(hc, "Dns", v);
	if ((r = ecsfs__lc_get_strings(l, c, "dnsSearchDomains", &v)) < 0)
		return r;
	if (v && json_object_get(hc, "DnsSearch"))
		json_decref(v);
	else if (v)
		set(hc, "DnsSearch", v);
	if ((r = ecsfs__lc_get(l, c, "extraHosts", J_ARR, &list)) < 0 || !list ||
	    json_object_get(hc, "ExtraHosts"))
		return r;
	v = must(json_array());
	set(hc, "ExtraHosts", v);
	mark = ecsfs__lc_at_key(l, "extraHosts");
	base = l->at.len;
	for (i = 0; i < json_array_size(list); i++) {
		const char *host, *ip;
		if ((r = ecsfs__lc_element(l, list, i, &e)) < 0 ||
		    (r = ecsfs__lc_get_str(l, e, "hostname", &host)) < 0 ||
		    (r = ecsfs__lc_get_str(l, e, "ipAddress", &ip)) < 0)
			return r;
		if (!host || !ip)
			return ecsfs__lc_fail(l, "needs hostname and ipAddress");
		push(v, json_sprintf("%s:%s", host, ip));
		ecsfs__lc_at_pop(l, base);
	}
	ecsfs__lc_at_pop(l, mark);
	return 0;
}

/* links (bridge mode) name containers that, sharing the pause's network
 * namespace, are on localhost: the link names and aliases resolve there. */
static int pause_links(struct lc *l, const json_t *c, json_t *hosts)
{
	json_t *links, *e;
	size_t i;
	int r;

	if ((r = ecsfs__lc_get_strings(l, c, "links", &links)) < 0 || !links)
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

	if ((r = ecsfs__lc_get(l, c, "linuxParameters", J_OBJ, &lp)) < 0 || !lp)
		return r;
	mark = ecsfs__lc_at_key(l, "linuxParameters");
	if ((r = ecsfs__lc_get_int(l, lp, "sharedMemorySize", 0, INT32_MAX, &v, &present)) < 0)
		return r;
	ecsfs__lc_at_pop(l, mark);
	if (present && v > *shm)
		*shm = v;
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
		if ((r = ecsfs__lc_enter_container(l, c, i)) < 0)
			break;
		if ((r = ecsfs__launch_add_sysctls(l, c, true, sysctls)) < 0)
			break;
		if (is(l->ipc_mode, "task") && (r = max_shm(l, c, &shm)) < 0)
			break;
		if (l->net == NET_HOST)
			continue; /* the host's namespace is not the pause's to set up */
		if ((r = pause_ports(l, c, exposed, bindings, &count)) < 0 ||
		    (r = ecsfs__launch_network_identity(l, c, config, hc)) < 0)
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
	if (r == 0 && json_object_size(exposed))
		set(config, "ExposedPorts", json_incref(exposed));
	if (r == 0 && json_object_size(bindings))
		set(hc, "PortBindings", json_incref(bindings));
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

/* The pause's endpoint on the cluster network: the names it answers to. */
static json_t *endpoints(const ecsfs_launch_ctx *ctx)
{
	json_t *aliases = must(json_array()), *a;
	size_t i;

	json_array_foreach(ctx->aliases, i, a)
		if (json_is_string(a))
			push(aliases, json_incref(a));
	return json_pack("{s:{s:{s:o}}}", "EndpointsConfig", ctx->network, "Aliases", aliases);
}

int ecsfs_launch_pause(const json_t *taskdef, const ecsfs_launch_ctx *ctx, json_t **out,
		       ecsfs_buf *why)
{
	static const char *const modes[] = {[NET_AWSVPC] = NULL, /* the cluster's network */
					    [NET_BRIDGE] = "bridge",
					    [NET_NONE] = "none",
					    [NET_HOST] = "host"};
	json_t *config = NULL, *hc;
	struct lc l;
	int r;

	if ((r = ecsfs__lc_init(&l, taskdef, ctx, why)) < 0)
		goto out;
	config = must(json_object());
	hc = must(json_object());
	set(config, "Image", json_string(ECSFS_PAUSE_IMAGE));
	set(config, "Labels",
	    ecsfs__launch_task_labels(ctx, ECSFS_PAUSE_NAME, ECS_PAUSE_CONTAINER_NAME));
	set(config, "HostConfig", hc);

	/* the engine lets others join an IPC namespace only when asked */
	if (is(l.ipc_mode, "task"))
		set(hc, "IpcMode", json_string("shareable"));
	set(hc, "Init", json_false());
	set(hc, "LogConfig", ecsfs__launch_log_config());
	if ((r = pause_body(&l, config, hc)) < 0)
		goto out;
	if (l.net == NET_AWSVPC) {
		if (!ctx->network || !*ctx->network) {
			ecsfs_buf_reset(&l.at);
			r = ecsfs__lc_fail(&l, "awsvpc needs the cluster's network");
			goto out;
		}
		set(hc, "NetworkMode", json_string(ctx->network));
		set(config, "NetworkingConfig", endpoints(ctx));
	} else {
		set(hc, "NetworkMode", json_string(modes[l.net]));
	}
	*out = config;
	config = NULL;
out:
	json_decref(config);
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
