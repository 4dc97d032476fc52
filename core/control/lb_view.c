/*
 * The load-balancer controller's documents and live views: applying a spec
 * document (with the host's ports probed first), the targets of a group and
 * their health, HAProxy's counters, a load balancer's status.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "control/lb_private.h"
#include "ecsfs/loadbalancer.h"
#include "ecsfs/util.h"
#include "model/elb_private.h"

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* ---- documents ---- */

int ecsfs_lb_targetgroup_apply(ecsfs_lb *lb, const char *name, const char *data, size_t len,
			       const ecsfs_file_meta *meta, ecsfs_err *err)
{
	int r = ecsfs_targetgroup_apply(lb->store, name, data, len, meta, err);
	if (r == 0)
		ecsfs_lb_kick(lb);
	return r;
}

int ecsfs_lb_targetgroup_delete(ecsfs_lb *lb, const char *name, ecsfs_err *err)
{
	int r = ecsfs_targetgroup_delete(lb->store, name, err);
	if (r == 0)
		ecsfs_lb_kick(lb);
	return r;
}

/* Is addr:port free for a listening socket? -EADDRINUSE when another
 * program holds it; other failures are left for HAProxy to report. */
static int probe_port(const char *addr, int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, r = 0;

	if (fd < 0)
		return 0;
	inet_pton(AF_INET, addr, &sa.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno == EADDRINUSE)
		r = -EADDRINUSE;
	close(fd);
	return r;
}

/* Does the running config already listen on `port` (then the port is ours)? */
static bool ours(ecsfs_lb *lb, int port)
{
	const char *fe;
	json_t *v;
	json_object_foreach(lb->frontends, fe, v)
		if (json_integer_value(json_array_get(v, 1)) == port &&
		    !json_object_get(lb->fe_faults, fe) && lb->hap)
			return true;
	return false;
}

static int probe_ports(ecsfs_lb *lb, const char *data, size_t len, ecsfs_err *err)
{
	json_t *doc = json_loadb(data, len, 0, NULL);
	int *ports = NULL, r = 0;
	size_t n = 0;

	if (!doc || ecsfs_loadbalancer_ports(doc, &ports, &n) < 0) {
		json_decref(doc);
		return 0; /* the document's own check speaks first */
	}
	for (size_t i = 0; r == 0 && lb->state_dir && i < n; i++) {
		const char *addr = ecsfs_loadbalancer_bind_addr(doc);
		if (!ours(lb, ports[i]) && probe_port(addr, ports[i]) < 0)
			r = ecsfs_err_set(err, ECSFS_E_RESOURCE_IN_USE, -EADDRINUSE,
					  "Listeners[%zu].Port: %s:%d is already in use by another "
					  "program on this host",
					  i, addr, ports[i]);
	}
	free(ports);
	json_decref(doc);
	return r;
}

int ecsfs_lb_loadbalancer_check(ecsfs_lb *lb, const char *name, const char *data, size_t len,
				bool partial, ecsfs_err *err)
{
	int r = ecsfs_loadbalancer_check_store(lb->store, name, data, len, partial, err);
	if (r == 0)
		r = probe_ports(lb, data, len, err);
	return r;
}

int ecsfs_lb_loadbalancer_apply(ecsfs_lb *lb, const char *name, const char *data, size_t len,
				const ecsfs_file_meta *meta, ecsfs_err *err)
{
	int r = ecsfs_loadbalancer_check(name, data, len, false, err);
	if (r == 0)
		r = probe_ports(lb, data, len, err);
	if (r == 0)
		r = ecsfs_loadbalancer_apply(lb->store, name, data, len, meta, err);
	if (r == 0)
		ecsfs_lb_kick(lb);
	return r;
}

int ecsfs_lb_loadbalancer_delete(ecsfs_lb *lb, const char *name, ecsfs_err *err)
{
	int r = ecsfs_loadbalancer_delete(lb->store, name, err);
	if (r == 0)
		ecsfs_lb_kick(lb);
	return r;
}

/* ---- listener faults (after each apply) ---- */

void ecsfs__lb_listener_faults(ecsfs_lb *lb)
{
	ecsfs_err e = ECSFS_ERR_INIT;
	const char *fe;
	json_t *v;
	void *tmp;

	json_object_foreach_safe(lb->fe_faults, tmp, fe, v) if (!json_object_get(lb->frontends, fe))
	    json_object_del(lb->fe_faults, fe);
	json_object_foreach(lb->frontends, fe, v) {
		ecsfs_err_reset(&e);
		int r = lb->hap ? ecsfs_haproxy_frontend_error(lb->hap, fe, &e) : 0;
		const char *told = str(lb->fe_faults, fe);
		if (r == 0 || r == -ENOENT) {
			json_object_del(lb->fe_faults, fe);
			continue;
		}
		if (told && strcmp(told, e.msg.data) == 0)
			continue;
		json_object_set_new(lb->fe_faults, fe, json_string(e.msg.data));
		if (lb->error_cb) {
			ecsfs_buf msg = ECSFS_BUF_INIT;
			ecsfs_buf_addf(&msg, "listener %lld: %s",
				       (long long)json_integer_value(json_array_get(v, 1)),
				       e.msg.data);
			lb->error_cb(lb->error_data, json_string_value(json_array_get(v, 0)), r,
				     msg.data);
			ecsfs_buf_release(&msg);
		}
	}
	ecsfs_err_release(&e);
}

/* ---- targets ---- */

static int by_registration(const void *a, const void *b)
{
	const ecsfs__target *x = *(ecsfs__target *const *)a, *y = *(ecsfs__target *const *)b;
	return x->registered_ns < y->registered_ns ? -1 : x->registered_ns > y->registered_ns;
}

/* The group's targets, oldest registration first (caller frees). */
static int group_targets(ecsfs_lb *lb, const char *group, ecsfs__target ***out, size_t *n)
{
	size_t k = 0, i = 0;
	int r = ecsfs_targetgroup_exists(lb->store, group, NULL);

	if (r < 0)
		return r;
	for (ecsfs__target *t = lb->targets; t; t = t->next)
		k += strcmp(t->group, group) == 0;
	*out = calloc(k ? k : 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (ecsfs__target *t = lb->targets; t; t = t->next)
		if (strcmp(t->group, group) == 0)
			(*out)[i++] = t;
	qsort(*out, k, sizeof(**out), by_registration);
	*n = k;
	return 0;
}

/* One line of a text view about target t. */
typedef void target_line_fn(const ecsfs__target *t, ecsfs_buf *out);

static int group_lines(ecsfs_lb *lb, const char *group, target_line_fn *line, ecsfs_buf *out)
{
	ecsfs__target **v;
	size_t n;
	int r = group_targets(lb, group, &v, &n);

	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		line(v[i], out);
	free(v);
	return 0;
}

static void health_line(const ecsfs__target *t, ecsfs_buf *out)
{
	ecsfs_buf_addf(out, "%s:%d %s %s task %s\n", t->addr, t->port,
		       ecsfs_target_state_name(t->state), t->reason ? t->reason : "-", t->task);
}

int ecsfs_lb_targets(ecsfs_lb *lb, const char *group, ecsfs_buf *out)
{
	return group_lines(lb, group, health_line, out);
}

int ecsfs_lb_targets_json(ecsfs_lb *lb, const char *group, ecsfs_buf *out)
{
	ecsfs__target **v;
	json_t *list, *eff;
	size_t n;
	int r = group_targets(lb, group, &v, &n);

	if (r < 0)
		return r;
	if ((r = ecsfs__tg_load(lb->store, group, &eff, NULL)) < 0) {
		free(v);
		return r;
	}
	list = json_array();
	for (size_t i = 0; i < n; i++) {
		const char *hp = str(eff, "HealthCheckPort");
		char port[16];
		snprintf(port, sizeof(port), "%d", v[i]->port);
		json_t *th = json_pack("{s:s}", "State", ecsfs_target_state_name(v[i]->state));
		if (v[i]->reason)
			json_object_set_new(th, "Reason", json_string(v[i]->reason));
		if (v[i]->desc[0] && v[i]->reason)
			json_object_set_new(th, "Description", json_string(v[i]->desc));
		json_array_append_new(list,
				      json_pack("{s:{s:s, s:i}, s:s, s:o}", "Target", "Id",
						v[i]->addr, "Port", v[i]->port, "HealthCheckPort",
						strcmp(hp, "traffic-port") == 0 ? port : hp,
						"TargetHealth", th));
	}
	json_t *doc = json_pack("{s:o}", "TargetHealthDescriptions", list);
	ecsfs_json_pretty(doc, out);
	json_decref(doc);
	json_decref(eff);
	free(v);
	return 0;
}

static void stats_line(const ecsfs__target *t, ecsfs_buf *out)
{
	ecsfs_buf_addf(out, "%s:%d requests %lld connections %lld task %s\n", t->addr, t->port,
		       t->requests, t->scur, t->task);
}

int ecsfs_lb_stats(ecsfs_lb *lb, const char *group, ecsfs_buf *out)
{
	return group_lines(lb, group, stats_line, out);
}

int ecsfs_lb_group_counts(ecsfs_lb *lb, const char *group, const char *cluster, const char *service,
			  ecsfs_lb_count_cb cb, void *data)
{
	for (const ecsfs__target *t = lb->targets; t; t = t->next)
		if (!strcmp(t->group, group) && t->cluster && !strcmp(t->cluster, cluster) &&
		    t->service && !strcmp(t->service, service))
			cb(data, t->task, t->state, t->requests);
	return 0;
}

int ecsfs_lb_targetgroup_json(ecsfs_lb *lb, const char *group, ecsfs_buf *out)
{
	json_t *d;
	ecsfs_err e = ECSFS_ERR_INIT;
	int r = ecsfs_targetgroup_describe(lb->store, group, &d, &e);
	if (r == 0) {
		ecsfs_json_pretty(d, out);
		json_decref(d);
	}
	ecsfs_err_release(&e);
	return r;
}
