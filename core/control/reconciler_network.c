/*
 * ecsfs — task networking (awsvpc): every cluster has one engine network,
 * "ecsfs-<cluster>", found or made when its first task needs it and
 * labelled as this state directory's; the pause of each task joins it and
 * holds the task's own address there, with the task's DNS aliases. A task
 * that stops leaves the network first, so its names leave the engine's DNS
 * at once. A deleted cluster's network is removed (retried while
 * containers still hold it; a restart finds the leftovers by their labels).
 *
 * Our network is found by its labels and used by its engine id, never by
 * its name: two state directories on one engine may make networks of the
 * same name at the same moment (the engine's duplicate check is not
 * atomic). When another state directory already owns "ecsfs-<cluster>",
 * ours is named "ecsfs-<cluster>-<first 8 of our id>".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/reconciler_private.h"
#include "ecsfs/store.h"

static void look(struct eng *e, struct cnet *n);
static void create(struct eng *e, struct cnet *n, struct op *o);

static struct cnet *cnet_get(struct eng *e, const char *cluster, bool make)
{
	struct cnet *n;

	for (n = e->nets; n; n = n->next)
		if (strcmp(n->cluster, cluster) == 0)
			return n;
	if (!make)
		return NULL;
	n = calloc(1, sizeof(*n));
	if (!n || !(n->cluster = strdup(cluster)))
		abort();
	n->next = e->nets;
	e->nets = n;
	return n;
}

static void cnet_drop(struct eng *e, struct cnet *gone)
{
	for (struct cnet **pp = &e->nets; *pp; pp = &(*pp)->next) {
		if (*pp == gone) {
			*pp = gone->next;
			/* a call in flight about it must not find it */
			for (struct op *o = e->t->ops; o; o = o->next)
				if (o->net == gone)
					o->net = NULL;
			free(gone->cluster);
			free(gone->name);
			free(gone->id);
			free(gone);
			return;
		}
	}
}

void ecsfs__rc_networks_free(struct eng *e)
{
	while (e->nets)
		cnet_drop(e, e->nets);
}

static void cnet_name(struct eng *e, const struct cnet *n, ecsfs_buf *out)
{
	ecsfs_buf_addf(out, "ecsfs-%s", n->cluster);
	if (n->attempt)
		ecsfs_buf_addf(out, "-%.8s", e->t->instance);
}

static const char *label(const json_t *net, const char *key)
{
	return json_string_value(json_object_get(json_object_get(net, "Labels"), key));
}

static bool ours(struct eng *e, const json_t *net)
{
	const char *inst = label(net, INSTANCE_LABEL);
	return inst && strcmp(inst, e->t->instance) == 0 && label(net, ECSFS_LABEL_CLUSTER);
}

/* Look again at the tasks of the cluster on e (its network is there, or not). */
static void kick_cluster(struct eng *e, const char *cluster)
{
	ecsfs_tasks *t = e->t;

	for (size_t i = 0; i < t->n; i++)
		if (t->v[i]->last != T_STOPPED && strcmp(t->v[i]->cluster, cluster) == 0 &&
		    ecsfs__rc_eng(t->v[i]) == e)
			ecsfs__reconcile(t->v[i]);
}

static void ready(struct eng *e, struct cnet *n, const char *name, const char *id)
{
	ecsfs__set_str(&n->name, name);
	ecsfs__set_str(&n->id, id);
	n->state = CNET_READY;
	n->error[0] = '\0';
	kick_cluster(e, n->cluster);
}

/* It could not be found or made: the tasks waiting for it fail (or retry,
 * when the engine is away), and the next task tries again. */
static void failed(struct eng *e, struct cnet *n, int err, const char *errmsg)
{
	ecsfs_tasks *t = e->t;

	n->state = CNET_UNKNOWN;
	n->attempt = 0;
	snprintf(n->error, sizeof(n->error), "%s", errmsg && *errmsg ? errmsg : strerror(-err));
	for (size_t i = 0; i < t->n; i++) {
		struct task *k = t->v[i];
		if (k->last == T_PROVISIONING && !k->pause_id &&
		    strcmp(k->cluster, n->cluster) == 0 && ecsfs__rc_eng(k) == e)
			ecsfs__rc_call_failed(
			    k, err,
			    "ResourceInitializationError: cannot make the cluster's network",
			    n->error);
	}
	kick_cluster(e, n->cluster);
}

/* ---- the subnet a network asks for (--task-subnet) ---- */

static int parse_cidr(const char *s, unsigned *net, unsigned *prefix)
{
	char addr[16];
	const char *slash = s ? strchr(s, '/') : NULL;
	struct in_addr in;
	char *end;
	unsigned long p;

	if (!slash || (size_t)(slash - s) >= sizeof(addr))
		return -EINVAL;
	p = strtoul(slash + 1, &end, 10);
	if (end == slash + 1 || *end || p < 8 || p > 28)
		return -EINVAL;
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	if (inet_pton(AF_INET, addr, &in) != 1)
		return -EINVAL;
	*prefix = (unsigned)p;
	*net = ntohl(in.s_addr) & ~((1u << (32 - p)) - 1);
	return 0;
}

/* The n->subnet-th /24 of the pool (the whole pool when it is no larger),
 * into out; false once the pool has no more. */
static bool pick_subnet(const ecsfs_tasks *t, const struct cnet *n, char out[32])
{
	unsigned net, prefix, count, ip;
	struct in_addr in;
	char addr[16];

	if (parse_cidr(t->task_subnet, &net, &prefix) < 0)
		return false;
	count = prefix >= 24 ? 1 : 1u << (24 - prefix);
	if (n->subnet >= count)
		return false;
	ip = net + (n->subnet << 8);
	in.s_addr = htonl(ip);
	inet_ntop(AF_INET, &in, addr, sizeof(addr));
	snprintf(out, 32, "%s/%u", addr, prefix >= 24 ? prefix : 24);
	return true;
}

int ecsfs_tasks_subnet_check(const char *cidr, ecsfs_buf *why)
{
	unsigned net, prefix;

	if (parse_cidr(cidr, &net, &prefix) < 0) {
		ecsfs_buf_setf(why,
			       "--task-subnet: '%s' is not an IPv4 CIDR block a.b.c.d/n with n "
			       "from 8 to 28",
			       cidr ? cidr : "");
		return -EINVAL;
	}
	return 0;
}

int ecsfs_tasks_set_task_subnet(ecsfs_tasks *t, const char *cidr, ecsfs_buf *why)
{
	int r = ecsfs_tasks_subnet_check(cidr, why);

	if (r == 0)
		ecsfs__set_str(&t->task_subnet, cidr);
	return r;
}

/* ---- finding or making it ---- */

/* --task-subnet is a pool of the daemon's own engine; the others use their
 * engines' own pools. */
static const char *subnet_pool(const struct eng *e)
{
	return e->cluster ? NULL : e->t->task_subnet;
}

static void on_created(void *data, int err, json_t *result, const char *errmsg)
{
	struct op *o = data;
	struct eng *e = o->t ? o->e : NULL;
	struct cnet *n = o->net;
	const char *id = json_string_value(json_object_get(result, "Id"));

	if (e && n) {
		if (err == 0 && id) {
			ready(e, n, o->arg, id);
		} else if (err == -EEXIST && n->attempt == 0) {
			n->attempt = 1; /* another state directory's name: ours is named apart */
			n->state = CNET_BUSY;
			free(o->arg);
			o->arg = NULL;
			create(e, n, o);
			return;
		} else if (subnet_pool(e) && err == -EIO && strstr(errmsg, "verlap")) {
			n->subnet++; /* that /24 is another network's: the next one */
			look(e, n);
		} else {
			failed(e, n, err ? err : -EIO, err ? errmsg : "the engine gave no Id");
		}
	}
	ecsfs__rc_op_done(o);
}

static void create(struct eng *e, struct cnet *n, struct op *o)
{
	ecsfs_buf name = ECSFS_BUF_INIT;
	const char *pool = subnet_pool(e);
	json_t *body;
	char subnet[32];

	cnet_name(e, n, &name);
	o->arg = ecsfs_buf_detach(&name, NULL);
	if (pool && !pick_subnet(e->t, n, subnet)) {
		ecsfs__rc_op_done(o);
		failed(e, n, -ENOSPC, "--task-subnet has no /24 left that no other network uses");
		return;
	}
	body = json_pack("{s:s, s:b, s:s, s:{s:s, s:s, s:s}}", "Name", o->arg, "CheckDuplicate", 1,
			 "Driver", "bridge", "Labels", ECSFS_LABEL_MANAGED, "1", INSTANCE_LABEL,
			 e->t->instance, ECSFS_LABEL_CLUSTER, n->cluster);
	if (!body)
		abort();
	if (pool)
		json_object_set_new(
		    body, "IPAM",
		    json_pack("{s:s, s:[{s:s}]}", "Driver", "default", "Config", "Subnet", subnet));
	if (ops(e)->network_create(e->rt, body, on_created, o) < 0) {
		n->state = CNET_UNKNOWN;
		ecsfs__rc_op_done(o);
	}
	json_decref(body);
}

/* Ours is the network of this state directory labelled with the cluster. */
static const json_t *find_ours(struct eng *e, const json_t *list, const char *cluster)
{
	const json_t *net;
	size_t i;

	json_array_foreach(list, i, net)
		if (ours(e, net) && strcmp(label(net, ECSFS_LABEL_CLUSTER), cluster) == 0)
			return net;
	return NULL;
}

static void on_looked(void *data, int err, json_t *result, const char *errmsg)
{
	struct op *o = data;
	struct eng *e = o->t ? o->e : NULL;
	struct cnet *n = o->net;
	const json_t *net;

	if (!e || !n) {
		ecsfs__rc_op_done(o);
		return;
	}
	if (err) {
		failed(e, n, err, errmsg);
	} else if ((net = find_ours(e, result, n->cluster))) {
		ready(e, n, json_string_value(json_object_get(net, "Name")),
		      json_string_value(json_object_get(net, "Id")));
	} else {
		create(e, n, o); /* none yet */
		return;
	}
	ecsfs__rc_op_done(o);
}

static void look(struct eng *e, struct cnet *n)
{
	ecsfs_buf lbl = ECSFS_BUF_INIT;
	struct op *o = ecsfs__rc_op_new(e->t, NULL, NULL);

	n->state = CNET_BUSY;
	n->attempt = 0;
	o->net = n;
	o->e = e;
	ecsfs_buf_addf(&lbl, "%s=%s", INSTANCE_LABEL, e->t->instance);
	if (ops(e)->network_list(e->rt, lbl.data, on_looked, o) < 0) {
		n->state = CNET_UNKNOWN;
		ecsfs__rc_op_done(o);
	}
	ecsfs_buf_release(&lbl);
}

const char *ecsfs__rc_network(struct task *k)
{
	struct cnet *n = cnet_get(k->eng, k->cluster, true);

	n->dropping = false;
	if (n->state == CNET_READY)
		return n->id;
	if (n->state == CNET_UNKNOWN)
		look(k->eng, n);
	return NULL;
}

void ecsfs__rc_network_lost(struct task *k)
{
	struct cnet *n = cnet_get(k->eng, k->cluster, false);

	if (n && n->state == CNET_READY)
		n->state = CNET_UNKNOWN;
	ecsfs__set_str(&k->network, NULL);
}

/* ---- the task's endpoint ---- */

/* The pause's endpoint on k->network (an engine id; a name for tasks made
 * before networks were used by id), or NULL. */
static json_t *endpoint(const struct task *k, json_t *inspect)
{
	json_t *nets = json_object_get(json_object_get(inspect, "NetworkSettings"), "Networks");
	json_t *ep;
	const char *key, *id;

	if (!k->network)
		return NULL;
	json_object_foreach(nets, key, ep) {
		id = json_string_value(json_object_get(ep, "NetworkID"));
		if (strcmp(key, k->network) == 0 || (id && strcmp(id, k->network) == 0))
			return ep;
	}
	return NULL;
}

/* Is ip/id the endpoint the task has already? */
static bool endpoint_known(const struct task *k, const char *ip, const char *id)
{
	json_t *eni = ecsfs__task_eni(k);
	const char *was = json_string_value(json_object_get(eni, "endpointId"));
	bool same = k->address && strcmp(k->address, ip) == 0 && was && strcmp(was, id) == 0;

	json_decref(eni);
	return same;
}

void ecsfs__rc_network_observe(struct task *k, json_t *inspect)
{
	json_t *ep = endpoint(k, inspect);
	const char *ip = json_string_value(json_object_get(ep, "IPAddress"));
	const char *id = json_string_value(json_object_get(ep, "EndpointID"));

	/* an endpoint that left (a stopped or detached pause) keeps its last address */
	if (!ip || !*ip || !id || endpoint_known(k, ip, id))
		return;
	ecsfs__set_str(&k->address, ip);
	ecsfs__task_set_eni(
	    k, json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "ip", ip, "endpointId", id, "mac",
			 json_string_value(json_object_get(ep, "MacAddress")) ?: "", "networkId",
			 json_string_value(json_object_get(ep, "NetworkID")) ?: "", "gateway",
			 json_string_value(json_object_get(ep, "Gateway")) ?: "", "prefixLen",
			 json_integer_value(json_object_get(ep, "IPPrefixLen"))));
	ecsfs__rc_saved(k);
}

static bool transient(struct eng *e, int err)
{
	return err == -ECANCELED || err == -ETIMEDOUT || err == -ECONNREFUSED || !engine_up(e);
}

/*
 * Disconnects go to the engine one at a time: Docker 20.10's libnetwork
 * deadlocks (its controller and network locks taken in opposite orders by
 * an endpoint delete and a disconnect) when a service's tasks all leave at
 * once, and then answers no network call until it is restarted. A task
 * whose turn has not come waits here; the next leaves as one ends.
 */
#define LEAVING_MAX 1u

static void next_leaver(struct eng *e)
{
	ecsfs_tasks *t = e->t;

	for (size_t i = 0; i < t->n && e->net_leaving < LEAVING_MAX; i++) {
		struct task *k = t->v[i];
		if (k->leave_queued && k->eng == e) {
			k->leave_queued = false;
			ecsfs__reconcile(k);
		}
	}
}

static void on_left(void *data, int err, json_t *result, const char *errmsg)
{
	struct op *o = data;
	struct task *k = o->k;
	struct eng *e = o->t ? o->e : NULL;

	if (e && k) {
		if (err && transient(e, err)) {
			k->retry_at = ecsfs__rc_retry_at();
		} else {
			/* gone, or not attached any more: either way it has left */
			k->detached = true;
			ecsfs__rc_saved(k);
		}
	}
	if (e)
		e->net_leaving--;
	ecsfs__rc_op_done(o);
	if (e)
		next_leaver(e);
}

bool ecsfs__rc_network_leave(struct task *k)
{
	struct eng *e = k->eng;
	struct op *o;

	if (!k->network || !k->pause_id || k->detached)
		return false;
	if (e->net_leaving >= LEAVING_MAX) {
		k->leave_queued = true;
		return true;
	}
	k->leave_queued = false;
	o = ecsfs__rc_op_new(k->owner, k, NULL);
	o->pause = true;
	e->net_leaving++;
	if (ops(e)->network_disconnect(e->rt, k->network, k->pause_id, on_left, o) < 0) {
		e->net_leaving--;
		ecsfs__rc_op_failed(o);
	}
	return true;
}

/* ---- networks of clusters that are gone ---- */

static void on_removed(void *data, int err, json_t *result, const char *errmsg)
{
	struct op *o = data;
	struct eng *e = o->t ? o->e : NULL;

	if (e && err && err != -ENOENT)
		e->net_sweep_at = ecsfs__rc_retry_at(); /* still held: again later */
	ecsfs__rc_op_done(o);
}

static void remove_net(struct eng *e, const char *name)
{
	struct op *o = ecsfs__rc_op_new(e->t, NULL, NULL);

	o->e = e;
	if (ops(e)->network_remove(e->rt, name, on_removed, o) < 0) {
		e->net_sweep_at = ecsfs__rc_retry_at();
		ecsfs__rc_op_done(o);
	}
}

/* One of our networks: removed when its cluster is gone, else known. */
static void sweep_one(struct eng *e, const json_t *net)
{
	const char *cluster = label(net, ECSFS_LABEL_CLUSTER);
	const char *name = json_string_value(json_object_get(net, "Name"));
	const char *id = json_string_value(json_object_get(net, "Id"));
	struct cnet *n;

	if (!name || !id || !ours(e, net))
		return;
	n = cnet_get(e, cluster, false);
	if (!ecsfs_store_cluster_exists(e->t->store, cluster)) {
		if (n)
			cnet_drop(e, n);
		remove_net(e, id);
		return;
	}
	n = cnet_get(e, cluster, true);
	if (n->state == CNET_UNKNOWN) {
		ecsfs__set_str(&n->name, name);
		ecsfs__set_str(&n->id, id);
		n->state = CNET_READY;
	}
}

static void on_listed(void *data, int err, json_t *result, const char *errmsg)
{
	struct op *o = data;
	struct eng *e = o->t ? o->e : NULL;
	size_t i;
	json_t *net;

	ecsfs__rc_op_done(o);
	if (!e)
		return;
	e->net_sweeping = false;
	if (err) {
		e->net_sweep_at = ecsfs__rc_retry_at();
		return;
	}
	json_array_foreach(result, i, net)
		sweep_one(e, net);
	if (e->net_sweep_again) {
		e->net_sweep_again = false;
		ecsfs__rc_networks_sweep(e);
	}
}

void ecsfs__rc_networks_sweep(struct eng *e)
{
	ecsfs_buf lbl = ECSFS_BUF_INIT;
	struct op *o;

	if (e->t->closing)
		return;
	if (e->net_sweeping) {
		e->net_sweep_again = true;
		return;
	}
	e->net_sweeping = true;
	e->net_sweep_at = 0;
	o = ecsfs__rc_op_new(e->t, NULL, NULL);
	o->e = e;
	ecsfs_buf_addf(&lbl, "%s=%s", INSTANCE_LABEL, e->t->instance);
	if (ops(e)->network_list(e->rt, lbl.data, on_listed, o) < 0) {
		e->net_sweeping = false;
		e->net_sweep_at = ecsfs__rc_retry_at();
		ecsfs__rc_op_done(o);
	}
	ecsfs_buf_release(&lbl);
}

void ecsfs__rc_networks_tick(struct eng *e)
{
	if (e->net_sweep_at && e->net_sweep_at <= ecsfs_mono_ns() && e->reachable)
		ecsfs__rc_networks_sweep(e);
	next_leaver(e); /* a turn nobody took (its task went on without leaving) */
}

void ecsfs__rc_networks_forget(struct eng *e, const char *cluster)
{
	struct cnet *n = cnet_get(e, cluster, false);

	if (n)
		n->state = CNET_UNKNOWN;
	if (e->reachable)
		ecsfs__rc_networks_sweep(e);
	else
		e->net_sweep_at = ecsfs_mono_ns();
}

void ecsfs_tasks_forget_cluster(ecsfs_tasks *t, const char *cluster)
{
	ecsfs__tasks_forget(t, cluster);
	for (struct eng *e = t->engines; e; e = e->next)
		ecsfs__rc_networks_forget(e, cluster);
}
