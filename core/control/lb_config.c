/*
 * The load-balancer controller's desired HAProxy config: one frontend per
 * listener, its rules in priority order, one backend per target group with
 * the group's health check, one server per registered target.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control/lb_private.h"
#include "ecsfs/loadbalancer.h"
#include "model/elb_private.h"

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int num(const json_t *o, const char *key)
{
	return (int)json_integer_value(json_object_get(o, key));
}

void ecsfs__lb_frontend_name(const char *lb, int port, ecsfs_buf *out)
{
	ecsfs_buf_addf(out, "lb-%s-%d", lb, port);
}

void ecsfs__lb_backend_name(const char *group, ecsfs_buf *out)
{
	ecsfs_buf_addf(out, "tg-%s", group);
}

/* ---- backends ---- */

typedef struct build {
	ecsfs_lb *lb;
	ecsfs_hap_config *c;
	json_t *groups; /* {name: "HTTP"|"TCP"} of the groups in effect */
	ecsfs_err *err;
	int r;
} build;

static void add_servers(build *b, const char *group, const char *backend)
{
	ecsfs_err e = ECSFS_ERR_INIT;
	for (ecsfs__target *t = b->lb->targets; t; t = t->next) {
		if (strcmp(t->group, group) != 0)
			continue;
		ecsfs_hap_server s = {
		    .name = t->task,
		    .addr = t->addr,
		    .port = t->port,
		    .weight = 1,
		    .admin = t->state == ECSFS_TARGET_DRAINING ? ECSFS_HAP_DRAIN : ECSFS_HAP_READY,
		};
		ecsfs_err_reset(&e);
		/* a target HAProxy refuses (its limit) stays out; it shows initial */
		ecsfs_hap_config_add_server(b->c, backend, &s, &e);
	}
	ecsfs_err_release(&e);
}

static ecsfs_hap_check check_of(const json_t *eff)
{
	const char *port = str(eff, "HealthCheckPort");
	bool http = strcmp(str(eff, "HealthCheckProtocol"), "HTTP") == 0;
	return (ecsfs_hap_check){
	    .enabled = json_is_true(json_object_get(eff, "HealthCheckEnabled")),
	    .http = http,
	    .path = http ? str(eff, "HealthCheckPath") : NULL,
	    .codes = http ? str(json_object_get(eff, "Matcher"), "HttpCode") : NULL,
	    .port = strcmp(port, "traffic-port") == 0 ? 0 : atoi(port),
	    .interval_ms = num(eff, "HealthCheckIntervalSeconds") * 1000,
	    .timeout_ms = num(eff, "HealthCheckTimeoutSeconds") * 1000,
	    .rise = num(eff, "HealthyThresholdCount"),
	    .fall = num(eff, "UnhealthyThresholdCount"),
	};
}

static int backend_cb(void *data, const char *group)
{
	build *b = data;
	ecsfs_buf name = ECSFS_BUF_INIT;
	ecsfs_err e = ECSFS_ERR_INIT;
	json_t *eff;
	const char *slow;

	if (ecsfs__tg_load(b->lb->store, group, &eff, NULL) < 0)
		return 0;
	ecsfs__lb_backend_name(group, &name);
	slow = ecsfs__tg_attr(eff, "slow_start.duration_seconds");
	ecsfs_hap_backend be = {
	    .name = name.data,
	    .mode = strcmp(str(eff, "Protocol"), "TCP") == 0 ? ECSFS_HAP_TCP : ECSFS_HAP_HTTP,
	    .check = check_of(eff),
	    .slowstart_s = slow ? atoi(slow) : 0,
	    .fail_open = true,
	};
	json_object_set_new(b->groups, group, json_string(str(eff, "Protocol")));
	if (ecsfs_hap_config_add_backend(b->c, &be, &e) == 0)
		add_servers(b, group, name.data);
	json_decref(eff);
	ecsfs_buf_release(&name);
	ecsfs_err_release(&e);
	return 0;
}

/* ---- actions and conditions ---- */

/* Storage for one translated action: the strings it points to. */
typedef struct xaction {
	ecsfs_hap_action a;
	ecsfs_hap_weighted to[8];
	ecsfs_buf names[8];
	char body[160];
} xaction;

static void xaction_release(xaction *x)
{
	for (size_t i = 0; i < sizeof(x->names) / sizeof(x->names[0]); i++)
		ecsfs_buf_release(&x->names[i]);
}

typedef struct fwd {
	build *b;
	xaction *x;
	const char *proto;
	const char *missing;
} fwd;

static void fwd_cb(void *data, const char *tg, int weight)
{
	fwd *f = data;
	const char *proto = str(f->b->groups, tg);
	xaction *x = f->x;

	json_object_set_new(f->b->lb->used, tg, json_true());
	if (!proto || strcmp(proto, f->proto) != 0) {
		f->missing = f->missing ? f->missing : tg;
		return;
	}
	if (x->a.nto == sizeof(x->to) / sizeof(x->to[0]))
		return;
	ecsfs_buf_init(&x->names[x->a.nto]);
	ecsfs__lb_backend_name(tg, &x->names[x->a.nto]);
	x->to[x->a.nto] =
	    (ecsfs_hap_weighted){.backend = x->names[x->a.nto].data, .weight = weight};
	x->a.nto++;
}

/* "#{protocol}" and the like pass through: the driver knows them. */
static void redirect_of(const json_t *cfg, ecsfs_hap_action *a)
{
	a->type = ECSFS_HAP_REDIRECT;
	a->status = strcmp(str(cfg, "StatusCode"), "HTTP_301") == 0 ? 301 : 302;
	a->protocol = str(cfg, "Protocol");
	a->host = str(cfg, "Host");
	a->port = str(cfg, "Port");
	a->path = str(cfg, "Path");
	a->query = str(cfg, "Query");
}

static void action_of(build *b, const json_t *action, const char *proto, xaction *x)
{
	const char *type = str(action, "Type");
	const json_t *cfg;

	memset(x, 0, sizeof(*x));
	x->a.to = x->to;
	if (strcmp(type, "forward") == 0) {
		fwd f = {.b = b, .x = x, .proto = proto};
		x->a.type = ECSFS_HAP_FORWARD;
		ecsfs__lb_action_groups(action, fwd_cb, &f);
		if (x->a.nto == 0) {
			/* ALB answers 503 when a group has nothing to give */
			snprintf(x->body, sizeof(x->body), "target group %s is not available\n",
				 f.missing ? f.missing : "?");
			x->a = (ecsfs_hap_action){.type = ECSFS_HAP_FIXED,
						  .status = 503,
						  .content_type = "text/plain",
						  .body = x->body};
		}
		return;
	}
	if (strcmp(type, "fixed-response") == 0) {
		cfg = json_object_get(action, "FixedResponseConfig");
		x->a.type = ECSFS_HAP_FIXED;
		x->a.status = atoi(str(cfg, "StatusCode"));
		x->a.content_type = str(cfg, "ContentType");
		x->a.body = str(cfg, "MessageBody");
		return;
	}
	redirect_of(json_object_get(action, "RedirectConfig"), &x->a);
}

static const char **values_of(const json_t *list)
{
	size_t n = json_array_size(list), i;
	const char **v = calloc(n + 1, sizeof(*v));
	if (!v)
		abort();
	for (i = 0; i < n; i++)
		v[i] = json_string_value(json_array_get(list, i));
	return v;
}

/* The rule's own action, or the split a deployment put on it. */
static const json_t *rule_action(build *b, const json_t *action, const char *arn, json_t **over)
{
	*over = ecsfs__lb_traffic_action(b->lb->store, arn);
	return *over ? *over : action;
}

static void add_rule(build *b, const char *fe, const char *proto, const json_t *rule,
		     const char *arn)
{
	const json_t *conds = json_object_get(rule, "Conditions"), *c;
	size_t n = json_array_size(conds), i;
	ecsfs_hap_cond cv[8];
	const char **vals[8] = {0};
	json_t *over;
	ecsfs_err e = ECSFS_ERR_INIT;
	xaction x;

	if (n > 8)
		n = 8;
	for (i = 0; i < n; i++) {
		c = json_array_get(conds, i);
		const char *field = str(c, "Field");
		vals[i] = values_of(json_object_get(c, "Values"));
		cv[i] = (ecsfs_hap_cond){
		    .type = strcmp(field, "path-pattern") == 0	? ECSFS_HAP_COND_PATH
			    : strcmp(field, "host-header") == 0 ? ECSFS_HAP_COND_HOST
								: ECSFS_HAP_COND_HEADER,
		    .header = str(c, "HttpHeaderName"),
		    .values = vals[i],
		};
	}
	action_of(b,
		  rule_action(b, json_array_get(json_object_get(rule, "Actions"), 0), arn, &over),
		  proto, &x);
	ecsfs_hap_config_add_rule(b->c, fe, cv, n, &x.a, &e);
	xaction_release(&x);
	json_decref(over);
	for (i = 0; i < n; i++)
		free(vals[i]);
	ecsfs_err_release(&e);
}

/* ---- frontends ---- */

static void add_listener(build *b, const char *lb, const json_t *eff, const json_t *l)
{
	ecsfs_buf fe = ECSFS_BUF_INIT, arn = ECSFS_BUF_INIT;
	ecsfs_err e = ECSFS_ERR_INIT;
	const char *proto = str(l, "Protocol");
	bool net = strcmp(str(eff, "Type"), "network") == 0;
	int port = num(l, "Port");
	size_t i;
	json_t *rule, *over;
	xaction x;

	ecsfs__lb_frontend_name(lb, port, &fe);
	if (ecsfs_hap_config_add_frontend(
		b->c, fe.data, ecsfs_loadbalancer_bind_addr(eff), port,
		strcmp(proto, "TCP") == 0 ? ECSFS_HAP_TCP : ECSFS_HAP_HTTP, &e) == 0) {
		json_object_set_new(b->lb->frontends, fe.data, json_pack("[s, i]", lb, port));
		json_array_foreach(json_object_get(l, "Rules"), i, rule) {
			ecsfs_buf_reset(&arn);
			ecsfs_rule_arn(lb, net, port, num(rule, "Priority"), &arn);
			add_rule(b, fe.data, proto, rule, arn.data);
		}
		ecsfs_buf_reset(&arn);
		ecsfs_rule_arn(lb, net, port, 0, &arn);
		action_of(b,
			  rule_action(b, json_array_get(json_object_get(l, "DefaultActions"), 0),
				      arn.data, &over),
			  proto, &x);
		ecsfs_err_reset(&e);
		ecsfs_hap_config_set_default(b->c, fe.data, &x.a, &e);
		xaction_release(&x);
		json_decref(over);
	}
	ecsfs_buf_release(&fe);
	ecsfs_buf_release(&arn);
	ecsfs_err_release(&e);
}

static int frontend_cb(void *data, const char *lb)
{
	build *b = data;
	json_t *eff, *l;
	size_t i;

	if (ecsfs__lb_load(b->lb->store, lb, &eff, NULL, NULL) < 0)
		return 0;
	b->lb->nlb++;
	json_array_foreach(json_object_get(eff, "Listeners"), i, l)
		add_listener(b, lb, eff, l);
	json_decref(eff);
	return 0;
}

ecsfs_hap_config *ecsfs__lb_build(ecsfs_lb *lb, ecsfs_err *err)
{
	build b = {.lb = lb, .c = ecsfs_hap_config_new(), .groups = json_object(), .err = err};
	int r;

	json_object_clear(lb->used);
	json_object_clear(lb->groups);
	json_object_clear(lb->frontends);
	lb->nlb = 0;
	if ((r = ecsfs_targetgroup_list(lb->store, backend_cb, &b)) < 0 ||
	    (r = ecsfs_loadbalancer_list(lb->store, frontend_cb, &b)) < 0) {
		ecsfs_err_set(err, ECSFS_E_SERVER, r, "cannot read the load balancers: %s",
			      ecsfs_store_last_error(lb->store));
		ecsfs_hap_config_free(b.c);
		b.c = NULL;
	}
	json_object_update(lb->groups, b.groups);
	json_decref(b.groups);
	return b.c;
}
