/* A load balancer as the data plane serves it: status lines and describe
 * shapes with the state HAProxy is in. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control/lb_private.h"
#include "ecsfs/loadbalancer.h"
#include "ecsfs/util.h"
#include "model/elb_private.h"

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static const char *run_state_name(ecsfs_hap_run_state s)
{
	switch (s) {
	case ECSFS_HAP_STOPPED: return "stopped";
	case ECSFS_HAP_STARTING: return "starting";
	case ECSFS_HAP_RUNNING: return "running";
	case ECSFS_HAP_FAILED: return "failed";
	}
	return "?";
}

/* The reason a listener does not listen, or NULL. */
static const char *listener_fault(ecsfs_lb *lb, const char *name, int port)
{
	ecsfs_buf fe = ECSFS_BUF_INIT;
	ecsfs__lb_frontend_name(name, port, &fe);
	const char *why = json_string_value(json_object_get(lb->fe_faults, fe.data));
	ecsfs_buf_release(&fe);
	return why;
}

/* ELBv2's State.Code: provisioning until HAProxy serves the config,
 * active_impaired with a listener that cannot listen, failed without HAProxy. */
static const char *lb_state(ecsfs_lb *lb, const json_t *eff, ecsfs_hap_info *info)
{
	size_t i;
	json_t *l;

	memset(info, 0, sizeof(*info));
	if (lb->hap)
		ecsfs_haproxy_get_info(lb->hap, info);
	if (lb->fault.code && lb->fault.code != -EADDRINUSE)
		return "failed";
	if (!lb->hap || info->state == ECSFS_HAP_STARTING || lb->dirty || lb->applying)
		return info->state == ECSFS_HAP_FAILED ? "failed" : "provisioning";
	if (info->state != ECSFS_HAP_RUNNING)
		return "failed";
	json_array_foreach(json_object_get(eff, "Listeners"), i, l)
		if (listener_fault(lb, str(eff, "Name"),
				   (int)json_integer_value(json_object_get(l, "Port"))))
			return "active_impaired";
	return "active";
}

static void data_plane_line(ecsfs_lb *lb, const ecsfs_hap_info *info, ecsfs_buf *out)
{
	if (!lb->hap) {
		ecsfs_buf_addf(out, "haproxy: not started%s%s\n", lb->fault.code ? ": " : "",
			       lb->fault.msg);
		return;
	}
	ecsfs_buf_addf(out, "haproxy: %s", run_state_name(info->state));
	if (info->pid)
		ecsfs_buf_addf(out, ", pid %d%s", info->pid, info->adopted ? " (adopted)" : "");
	ecsfs_buf_addf(out, ", %u reloads, %u restarts", info->reloads, info->restarts);
	if (info->version[0])
		ecsfs_buf_addf(out, ", version %s", info->version);
	ecsfs_buf_addch(out, '\n');
	if (lb->fault.code && lb->fault.code != -EADDRINUSE)
		ecsfs_buf_addf(out, "error: %s %s\n", ecsfs_errno_name(lb->fault.code),
			       lb->fault.msg);
}

/* A forward to a group that is not there (or of the other protocol) answers 503. */
typedef struct waits {
	ecsfs_lb *lb;
	ecsfs_buf *out;
	int port;
} waits;

static void wait_cb(void *data, const char *tg, int weight)
{
	waits *w = data;
	if (!json_object_get(w->lb->groups, tg))
		ecsfs_buf_addf(w->out,
			       "waiting: listener %d forwards to target group %s, which does not "
			       "exist (503 until it does)\n",
			       w->port, tg);
}

static void listener_lines(ecsfs_lb *lb, const json_t *eff, const char *state, ecsfs_buf *out)
{
	bool serving = strncmp(state, "active", 6) == 0;
	const char *addr = ecsfs_loadbalancer_bind_addr(eff), *name = str(eff, "Name");
	size_t i, j;
	json_t *l, *rule;

	json_array_foreach(json_object_get(eff, "Listeners"), i, l) {
		int port = (int)json_integer_value(json_object_get(l, "Port"));
		const char *why = listener_fault(lb, name, port);
		if (why)
			ecsfs_buf_addf(out, "listener %d: EADDRINUSE %s\n", port, why);
		else
			ecsfs_buf_addf(out, "listener %d: %s %s:%d%s\n", port, str(l, "Protocol"),
				       addr, port, serving ? "" : " (not listening yet)");
	}
	json_array_foreach(json_object_get(eff, "Listeners"), i, l) {
		waits w = {lb, out, (int)json_integer_value(json_object_get(l, "Port"))};
		ecsfs__lb_action_groups(json_array_get(json_object_get(l, "DefaultActions"), 0),
					wait_cb, &w);
		json_array_foreach(json_object_get(l, "Rules"), j, rule)
			ecsfs__lb_action_groups(json_array_get(json_object_get(rule, "Actions"), 0),
						wait_cb, &w);
	}
}

int ecsfs_lb_status(ecsfs_lb *lb, const char *name, ecsfs_buf *out)
{
	ecsfs_buf arn = ECSFS_BUF_INIT;
	ecsfs_hap_info info;
	json_t *eff;
	int r = ecsfs__lb_load(lb->store, name, &eff, NULL, NULL);

	if (r < 0)
		return r;
	ecsfs_loadbalancer_arn(name, strcmp(str(eff, "Type"), "network") == 0, &arn);
	const char *state = lb_state(lb, eff, &info);
	ecsfs_buf_addf(out, "name: %s\narn: %s\ntype: %s\nscheme: %s\nstate: %s\n", name, arn.data,
		       str(eff, "Type"), str(eff, "Scheme"), state);
	data_plane_line(lb, &info, out);
	listener_lines(lb, eff, state, out);
	json_decref(eff);
	ecsfs_buf_release(&arn);
	return 0;
}

int ecsfs_lb_loadbalancer_json(ecsfs_lb *lb, const char *name, ecsfs_buf *out)
{
	ecsfs_hap_info info;
	json_t *d, *eff;
	int r = ecsfs_loadbalancer_describe(lb->store, name, &d, NULL);

	if (r < 0)
		return r;
	if (ecsfs__lb_load(lb->store, name, &eff, NULL, NULL) == 0) {
		json_object_set_new(d, "State",
				    json_pack("{s:s}", "Code", lb_state(lb, eff, &info)));
		json_decref(eff);
	}
	ecsfs_json_pretty(d, out);
	json_decref(d);
	return 0;
}

int ecsfs_lb_listeners_json(ecsfs_lb *lb, const char *name, ecsfs_buf *out)
{
	json_t *d;
	int r = ecsfs_loadbalancer_listeners(lb->store, name, &d, NULL);
	if (r == 0) {
		ecsfs_json_pretty(d, out);
		json_decref(d);
	}
	return r;
}

int ecsfs_lb_rules_json(ecsfs_lb *lb, const char *name, ecsfs_buf *out)
{
	json_t *d;
	int r = ecsfs_loadbalancer_rules(lb->store, name, &d, NULL);
	if (r == 0) {
		ecsfs__lb_traffic_describe(lb->store, d);
		ecsfs_json_pretty(d, out);
		json_decref(d);
	}
	return r;
}
