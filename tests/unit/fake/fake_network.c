/*
 * ecsfs — the fake runtime's networks: the default "bridge" and user
 * networks, each a subnet that hands out one address per attached running
 * container, and a DNS of its containers' aliases (for tests to ask).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_private.h"

/* Where the fake engine's own pool starts: 172.18.0.0/16, then .19, ... */
#define FAKE_POOL_FIRST 0xac120000u

static void ip_text(unsigned ip, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

static struct fake_network *net_find(struct fake_runtime *f, const char *name)
{
	struct fake_network *n;

	if (!name)
		return NULL;
	for (n = f->networks; n; n = n->next_net)
		if (strcmp(n->name, name) == 0 || strcmp(n->id, name) == 0)
			return n;
	return NULL;
}

static struct fake_network *net_add(struct fake_runtime *f, const char *name, unsigned net,
				    unsigned prefix, json_t *labels)
{
	struct fake_network *n = calloc(1, sizeof(*n)), **pp;

	if (!n || !(n->name = strdup(name))) {
		free(n);
		json_decref(labels);
		return NULL;
	}
	ecsfs__fake_random_hex(n->id, 64);
	n->labels = labels ? labels : json_object();
	n->net = net;
	n->prefix = prefix;
	n->next = 2;
	for (pp = &f->networks; *pp; pp = &(*pp)->next_net)
		;
	*pp = n;
	return n;
}

static void net_free(struct fake_network *n)
{
	json_decref(n->labels);
	free(n->name);
	free(n);
}

int ecsfs__fake_networks_init(struct fake_runtime *f)
{
	return net_add(f, "bridge", 0xac110000u, 16, NULL) ? 0 : -ENOMEM; /* 172.17.0.0/16 */
}

void ecsfs__fake_networks_free(struct fake_runtime *f)
{
	struct fake_network *n;

	while ((n = f->networks)) {
		f->networks = n->next_net;
		net_free(n);
	}
}

/* The network a container's HostConfig.NetworkMode puts it on, or NULL
 * (host, none, another container's namespace). */
static const char *mode_network(const json_t *config)
{
	const char *m = json_string_value(
	    json_object_get(json_object_get(config, "HostConfig"), "NetworkMode"));

	if (!m || !*m || strcmp(m, "default") == 0)
		return "bridge";
	if (strcmp(m, "host") == 0 || strcmp(m, "none") == 0 || strncmp(m, "container:", 10) == 0)
		return NULL;
	return m;
}

int ecsfs__fake_network_check(struct fake_runtime *f, const json_t *config, const char **missing)
{
	const char *name = mode_network(config);

	*missing = name;
	return !name || net_find(f, name) ? 0 : -ENOENT;
}

/* The Aliases of the create body's endpoint on `n` (keyed by its name or id). */
static json_t *endpoint_aliases(const json_t *config, const struct fake_network *n)
{
	json_t *eps =
	    json_object_get(json_object_get(config, "NetworkingConfig"), "EndpointsConfig");
	json_t *ep = json_object_get(eps, n->name) ? json_object_get(eps, n->name)
						   : json_object_get(eps, n->id);
	json_t *al = json_object_get(ep, "Aliases");

	return json_is_array(al) ? json_deep_copy(al) : json_array();
}

void ecsfs__fake_network_attach(struct fake_runtime *f, struct fake_container *c)
{
	const char *name = mode_network(c->config);
	struct fake_network *n = net_find(f, name);
	char ip[16], gw[16], mac[24], ep[65];
	unsigned host;

	json_decref(c->nets);
	c->nets = json_object();
	if (!n)
		return;
	host = n->net + n->next++;
	ip_text(host, ip);
	ip_text(n->net + 1, gw);
	snprintf(mac, sizeof(mac), "02:42:%02x:%02x:%02x:%02x", host >> 24, (host >> 16) & 255,
		 (host >> 8) & 255, host & 255);
	ecsfs__fake_random_hex(ep, 64);
	json_object_set_new(c->nets, n->name,
			    json_pack("{s:o, s:s, s:s, s:s, s:s, s:s, s:i}", "Aliases",
				      endpoint_aliases(c->config, n), "NetworkID", n->id,
				      "EndpointID", ep, "Gateway", gw, "IPAddress", ip,
				      "MacAddress", mac, "IPPrefixLen", (int)n->prefix));
}

void ecsfs__fake_network_release(struct fake_container *c)
{
	const char *key;
	json_t *ep;

	json_object_foreach(c->nets, key, ep) {
		json_object_set_new(ep, "IPAddress", json_string(""));
		json_object_set_new(ep, "EndpointID", json_string(""));
	}
}

static bool attached(const struct fake_container *c, const struct fake_network *n)
{
	json_t *ep = json_object_get(c->nets, n->name);
	const char *ip = json_string_value(json_object_get(ep, "IPAddress"));

	return c->status && strcmp(c->status, "running") == 0 && ip && *ip;
}

static json_t *net_inspect(struct fake_runtime *f, const struct fake_network *n)
{
	json_t *cs = json_object();
	struct fake_container *c;
	char sub[24], gw[16];

	for (c = f->containers; c; c = c->next) {
		json_t *ep = json_object_get(c->nets, n->name);
		char cidr[24];
		if (!attached(c, n))
			continue;
		snprintf(cidr, sizeof(cidr), "%s/%u",
			 json_string_value(json_object_get(ep, "IPAddress")), n->prefix);
		json_object_set_new(cs, c->id,
				    json_pack("{s:s, s:O, s:O, s:s}", "Name", c->name, "EndpointID",
					      json_object_get(ep, "EndpointID"), "MacAddress",
					      json_object_get(ep, "MacAddress"), "IPv4Address",
					      cidr));
	}
	ip_text(n->net, sub);
	snprintf(sub + strlen(sub), sizeof(sub) - strlen(sub), "/%u", n->prefix);
	ip_text(n->net + 1, gw);
	return json_pack("{s:s, s:s, s:s, s:s, s:O, s:{s:s, s:[{s:s, s:s}]}, s:o}", "Name", n->name,
			 "Id", n->id, "Driver", "bridge", "Scope", "local", "Labels", n->labels,
			 "IPAM", "Driver", "default", "Config", "Subnet", sub, "Gateway", gw,
			 "Containers", cs);
}

/* "a.b.c.d/n" with n in 8..28: 0, else -EINVAL. */
static int parse_subnet(const char *s, unsigned *net, unsigned *prefix)
{
	char addr[16];
	const char *slash = s ? strchr(s, '/') : NULL;
	struct in_addr in;
	unsigned p;

	if (!slash || (size_t)(slash - s) >= sizeof(addr) || sscanf(slash + 1, "%u", &p) != 1 ||
	    p < 8 || p > 28)
		return -EINVAL;
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	if (inet_pton(AF_INET, addr, &in) != 1)
		return -EINVAL;
	*prefix = p;
	*net = ntohl(in.s_addr) & ~((1u << (32 - p)) - 1);
	return 0;
}

static bool subnet_taken(struct fake_runtime *f, unsigned net, unsigned prefix)
{
	for (struct fake_network *n = f->networks; n; n = n->next_net) {
		unsigned p = n->prefix < prefix ? n->prefix : prefix;
		unsigned mask = ~((1u << (32 - p)) - 1);
		if ((n->net & mask) == (net & mask))
			return true;
	}
	return false;
}

/* The subnet a create body asks for, or the next free /16 of the pool. */
static int pick_subnet(struct fake_runtime *f, const json_t *body, unsigned *net, unsigned *prefix)
{
	json_t *cfg = json_array_get(json_object_get(json_object_get(body, "IPAM"), "Config"), 0);
	const char *want = json_string_value(json_object_get(cfg, "Subnet"));

	if (want) {
		if (parse_subnet(want, net, prefix) < 0)
			return -EINVAL;
		return subnet_taken(f, *net, *prefix) ? -EBUSY : 0;
	}
	*prefix = 16;
	for (*net = FAKE_POOL_FIRST; *net < 0xac200000u; *net += 0x10000u)
		if (!subnet_taken(f, *net, 16))
			return 0;
	return -ENOSPC;
}

static int net_begin(struct fake_runtime *f, ecsfs_runtime_cb cb, void *data)
{
	if (!cb)
		return -EINVAL;
	if (f->closing)
		return -ECANCELED;
	return ecsfs__fake_refuse(f, cb, data) ? 1 : 0;
}

int ecsfs__fake_network_create(ecsfs_runtime *rt, json_t *body, ecsfs_runtime_cb cb, void *data)
{
	struct fake_runtime *f = to_fake(rt);
	const char *name = json_string_value(json_object_get(body, "Name"));
	json_t *labels = json_object_get(body, "Labels");
	struct fake_network *n;
	unsigned net, prefix;
	int r;

	if (!json_is_object(body) || !name || !ecsfs__fake_name_valid(name))
		return -EINVAL;
	if ((r = net_begin(f, cb, data)))
		return r < 0 ? r : 0;
	if (net_find(f, name)) {
		ecsfs__fake_queue_result(f, cb, data, -EEXIST, NULL,
					 "network with name %s already exists", name);
		return 0;
	}
	r = pick_subnet(f, body, &net, &prefix);
	if (r < 0) {
		ecsfs__fake_queue_result(f, cb, data, -EIO, NULL, "%s",
					 r == -ENOSPC
					     ? "could not find an available, non-overlapping "
					       "IPv4 address pool among the defaults to "
					       "assign to the network"
					     : "Pool overlaps with other one on this address "
					       "space");
		return 0;
	}
	n = net_add(f, name, net, prefix, json_is_object(labels) ? json_deep_copy(labels) : NULL);
	if (!n)
		return -ENOMEM;
	ecsfs__fake_queue_result(f, cb, data, 0,
				 json_pack("{s:s, s:s}", "Id", n->id, "Warning", ""), NULL);
	return 0;
}

int ecsfs__fake_network_inspect(ecsfs_runtime *rt, const char *name, ecsfs_runtime_cb cb,
				void *data)
{
	struct fake_runtime *f = to_fake(rt);
	struct fake_network *n;
	int r;

	if (!name || !*name)
		return -EINVAL;
	if ((r = net_begin(f, cb, data)))
		return r < 0 ? r : 0;
	if (!(n = net_find(f, name)))
		ecsfs__fake_queue_result(f, cb, data, -ENOENT, NULL, "network %s not found", name);
	else
		ecsfs__fake_queue_result(f, cb, data, 0, net_inspect(f, n), NULL);
	return 0;
}

int ecsfs__fake_network_remove(ecsfs_runtime *rt, const char *name, ecsfs_runtime_cb cb, void *data)
{
	struct fake_runtime *f = to_fake(rt);
	struct fake_network *n, **pp;
	struct fake_container *c;
	int r;

	if (!name || !*name)
		return -EINVAL;
	if ((r = net_begin(f, cb, data)))
		return r < 0 ? r : 0;
	if (!(n = net_find(f, name)) || strcmp(n->name, "bridge") == 0) {
		ecsfs__fake_queue_result(f, cb, data, n ? -EIO : -ENOENT, NULL,
					 n ? "bridge is a pre-defined network and cannot be removed"
					   : "network %s not found",
					 name);
		return 0;
	}
	for (c = f->containers; c; c = c->next) {
		if (attached(c, n)) {
			ecsfs__fake_queue_result(f, cb, data, -EBUSY, NULL,
						 "error while removing network: network %s id %s "
						 "has active endpoints",
						 n->name, n->id);
			return 0;
		}
	}
	for (pp = &f->networks; *pp != n; pp = &(*pp)->next_net)
		;
	*pp = n->next_net;
	net_free(n);
	ecsfs__fake_queue_result(f, cb, data, 0, NULL, NULL);
	return 0;
}

static bool net_has_label(const struct fake_network *n, const char *label)
{
	const char *eq = label ? strchr(label, '=') : NULL;
	json_t *v;

	if (!label || !*label)
		return true;
	if (!eq)
		return json_object_get(n->labels, label) != NULL;
	v = json_object_getn(n->labels, label, (size_t)(eq - label));
	return json_is_string(v) && strcmp(json_string_value(v), eq + 1) == 0;
}

int ecsfs__fake_network_list(ecsfs_runtime *rt, const char *label, ecsfs_runtime_cb cb, void *data)
{
	struct fake_runtime *f = to_fake(rt);
	json_t *list;
	int r;

	if ((r = net_begin(f, cb, data)))
		return r < 0 ? r : 0;
	list = json_array();
	for (struct fake_network *n = f->networks; n; n = n->next_net)
		if (net_has_label(n, label))
			json_array_append_new(list, net_inspect(f, n));
	ecsfs__fake_queue_result(f, cb, data, 0, list, NULL);
	return 0;
}

int ecsfs__fake_network_disconnect(ecsfs_runtime *rt, const char *name, const char *id,
				   ecsfs_runtime_cb cb, void *data)
{
	struct fake_runtime *f = to_fake(rt);
	struct fake_network *n;
	struct fake_container *c;
	int r;

	if (!name || !*name || !id || !*id)
		return -EINVAL;
	if ((r = net_begin(f, cb, data)))
		return r < 0 ? r : 0;
	n = net_find(f, name);
	c = ecsfs__fake_find(f, id);
	if (!n || !c) {
		ecsfs__fake_queue_result(f, cb, data, -ENOENT, NULL, "%s %s not found",
					 n ? "endpoint" : "network", n ? id : name);
	} else if (!json_object_get(c->nets, n->name)) {
		ecsfs__fake_queue_result(f, cb, data, -EIO, NULL,
					 "container %s is not connected to network %s", c->id,
					 n->name);
	} else {
		json_object_del(c->nets, n->name);
		ecsfs__fake_queue_result(f, cb, data, 0, NULL, NULL);
	}
	return 0;
}

/* ---- the test's view ---- */

int ecsfs_fake_runtime_add_network(ecsfs_runtime *rt, const char *name, const char *key,
				   const char *value)
{
	struct fake_runtime *f = to_fake(rt);
	unsigned net, prefix;

	if (net_find(f, name))
		return -EEXIST;
	if (pick_subnet(f, NULL, &net, &prefix) < 0)
		return -ENOSPC;
	return net_add(f, name, net, prefix, json_pack("{s:s}", key, value)) ? 0 : -ENOMEM;
}

size_t ecsfs_fake_runtime_networks(ecsfs_runtime *rt, const char *label)
{
	size_t n = 0;

	for (struct fake_network *nw = to_fake(rt)->networks; nw; nw = nw->next_net)
		n += net_has_label(nw, label);
	return n;
}

json_t *ecsfs_fake_runtime_network(ecsfs_runtime *rt, const char *name)
{
	struct fake_runtime *f = to_fake(rt);
	struct fake_network *n = net_find(f, name);

	return n ? net_inspect(f, n) : NULL;
}

size_t ecsfs_fake_runtime_resolve(ecsfs_runtime *rt, const char *network, const char *name,
				  char first[16])
{
	struct fake_runtime *f = to_fake(rt);
	struct fake_network *n = net_find(f, network);
	size_t found = 0;

	if (first)
		first[0] = '\0';
	for (struct fake_container *c = f->containers; n && c; c = c->next) {
		json_t *ep = json_object_get(c->nets, n->name), *al;
		size_t i;
		bool match = strcmp(c->name, name) == 0;

		if (!attached(c, n))
			continue;
		json_array_foreach(json_object_get(ep, "Aliases"), i, al)
			match = match || strcmp(json_string_value(al), name) == 0;
		if (!match)
			continue;
		if (first && !found)
			snprintf(first, 16, "%s",
				 json_string_value(json_object_get(ep, "IPAddress")));
		found++;
	}
	return found;
}
