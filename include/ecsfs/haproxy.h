/* ecsfs — the load balancers' data plane: one HAProxy (Debian's 2.6) that
 * the daemon starts, configures, reloads hitlessly, restarts and re-adopts. */
#ifndef ECSFS_HAPROXY_H
#define ECSFS_HAPROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "ecsfs/error.h"

/*
 * The driver is declarative, like the reconciler: the load-balancer
 * controller describes everything HAProxy should do (frontends, their
 * rules, backends and the servers in them) as one ecsfs_hap_config and
 * hands it over with ecsfs_haproxy_apply(). The driver compares it with
 * what runs and does the least that gets there:
 *
 *  - frontends, rules, backends or health checks changed: a new config
 *    file under STATE/haproxy/ and a hitless reload of the master;
 *  - only servers (targets) changed: runtime API commands on the admin
 *    socket ("add server", "set server ... state drain", "set weight",
 *    "del server"), no reload;
 *  - nothing changed: nothing (so a daemon that restarts and describes the
 *    same state again causes no churn).
 *
 * HAProxy runs in master-worker mode as a daemon of its own (not a child
 * that dies with ecsfs): kill -9 of the daemon does not stop traffic. A new
 * driver on the same state directory re-adopts a running HAProxy from its
 * pid file and master socket. The driver starts HAProxy when a config with
 * at least one frontend or backend is applied, restarts it when it dies,
 * and stops it when an empty config is applied.
 *
 * Nothing of HAProxy's syntax appears here: names, addresses, globs and
 * numbers only. Every function runs on the loop thread; none blocks.
 */
typedef struct ecsfs_haproxy ecsfs_haproxy;

/* The desired state being built (opaque; the builder functions below copy
 * every string and array they are given, so callers may pass stack data). */
typedef struct ecsfs_hap_config ecsfs_hap_config;

/* Limits of one config (beyond them a builder call gives -ENOSPC). */
#define ECSFS_HAP_MAX_FRONTENDS 256
#define ECSFS_HAP_MAX_BACKENDS	1024
#define ECSFS_HAP_MAX_RULES	200  /* per frontend (ALB allows 100 + default) */
#define ECSFS_HAP_MAX_SERVERS	1000 /* per backend */
#define ECSFS_HAP_NAME_MAX	100  /* frontend, backend and server names */

/* HTTP (layer 7, ALB) or TCP (layer 4, NLB). */
typedef enum ecsfs_hap_mode { ECSFS_HAP_HTTP = 0, ECSFS_HAP_TCP } ecsfs_hap_mode;

/* ---- conditions and actions of rules ---------------------------------- */

typedef enum ecsfs_hap_cond_type {
	ECSFS_HAP_COND_PATH,   /* the request path (no query), case-sensitive */
	ECSFS_HAP_COND_HOST,   /* the Host header without its port, any case */
	ECSFS_HAP_COND_HEADER, /* the header `header`, any case */
} ecsfs_hap_cond_type;

/*
 * One condition of a rule: it holds when any of `values` matches. Values
 * are ALB patterns: '*' matches any run of characters, '?' one character,
 * everything else itself. A rule holds when all its conditions hold.
 * HTTP frontends only.
 */
typedef struct ecsfs_hap_cond {
	ecsfs_hap_cond_type type;
	const char *header;	   /* ECSFS_HAP_COND_HEADER: its name, else NULL */
	const char *const *values; /* NULL-terminated, at least one */
} ecsfs_hap_cond;

typedef enum ecsfs_hap_action_type {
	ECSFS_HAP_FORWARD,  /* to one backend, or split by weight */
	ECSFS_HAP_FIXED,    /* answer with a fixed response (HTTP only) */
	ECSFS_HAP_REDIRECT, /* answer with a redirect (HTTP only) */
} ecsfs_hap_action_type;

/* One backend of a forward action and its share (weight 0..999, ALB's). */
typedef struct ecsfs_hap_weighted {
	const char *backend;
	int weight;
} ecsfs_hap_weighted;

/*
 * What a rule (or a frontend's default) does.
 *
 * FORWARD: `to`/`nto` backends; with one the weight is ignored; with
 *   several each request goes to one of them with probability weight/sum
 *   (all weights 0: 503).
 * FIXED: `status` (200..599), `content_type` (NULL: none), `body` (NULL:
 *   empty, at most 1024 bytes like ALB).
 * REDIRECT: `status` 301 or 302; `protocol`, `host`, `port`, `path` and
 *   `query` are ALB's fields and may use #{protocol}, #{host}, #{port},
 *   #{path} and #{query}; a NULL field keeps the request's own value (ALB's
 *   defaults "#{protocol}", "#{host}", "#{port}", "/#{path}", "#{query}";
 *   note ALB's #{path} has no leading '/'). An empty query leaves no '?'.
 */
typedef struct ecsfs_hap_action {
	ecsfs_hap_action_type type;
	const ecsfs_hap_weighted *to;
	size_t nto;
	int status;
	const char *content_type, *body;
	const char *protocol, *host, *port, *path, *query;
} ecsfs_hap_action;

/* ---- backends and servers --------------------------------------------- */

/*
 * A backend's health check (ALB's target group health check).
 * `enabled` false: servers are always taken as healthy.
 * `http` true: GET `path` and expect `codes`, ALB's Matcher.HttpCode
 *   ("200", "200,202", "200-299"); false: a TCP connect.
 * `port`: 0 checks the server's own (traffic) port, else this one.
 * `interval_ms`, `timeout_ms`: between checks and for one check;
 * `rise`/`fall`: consecutive passes/failures to become healthy/unhealthy
 *   (ALB's HealthyThresholdCount / UnhealthyThresholdCount).
 */
typedef struct ecsfs_hap_check {
	bool enabled;
	bool http;
	const char *path;
	const char *codes;
	int port;
	int interval_ms, timeout_ms;
	int rise, fall;
} ecsfs_hap_check;

/*
 * A backend (a target group). Balancing is round robin by weight.
 * `slowstart_s` (0..900, ALB's slow_start.duration_seconds): a server that
 * becomes healthy ramps its share of traffic up over that time.
 * `fail_open`: when no server of the backend is healthy, send traffic to
 * all of them anyway (ALB's behaviour; draining and maint servers excluded).
 */
typedef struct ecsfs_hap_backend {
	const char *name;
	ecsfs_hap_mode mode;
	ecsfs_hap_check check;
	int slowstart_s;
	bool fail_open;
} ecsfs_hap_backend;

/* A server's administrative state (what the controller asks for). */
typedef enum ecsfs_hap_admin {
	ECSFS_HAP_READY = 0, /* takes traffic when healthy */
	ECSFS_HAP_DRAIN,     /* no new traffic; open connections go on */
	ECSFS_HAP_MAINT,     /* no traffic, checks stopped */
} ecsfs_hap_admin;

/* A server (a target) of a backend. `name` is the controller's choice
 * (ECSFS_HAP_NAME_MAX characters of [A-Za-z0-9_.:-], not starting with
 * "_fo_", which the driver reserves), unique in its backend; a server whose
 * address or port changes under the same name is replaced. */
typedef struct ecsfs_hap_server {
	const char *name;
	const char *addr; /* IPv4 or IPv6 literal: "172.18.0.5", "127.0.0.1" */
	int port;	  /* 1..65535 */
	int weight;	  /* 0..256; 0 takes no new traffic (default 1 is ALB's equal share) */
	ecsfs_hap_admin admin;
} ecsfs_hap_server;

/* ---- building a config ------------------------------------------------ */

/*
 * An empty config. Never fails (allocation failure aborts, like ecsfs_buf).
 * The caller owns it: ecsfs_hap_config_free(), or give it to
 * ecsfs_haproxy_apply().
 */
ecsfs_hap_config *ecsfs_hap_config_new(void);
/* Free a config and everything copied into it. NULL is fine. */
void ecsfs_hap_config_free(ecsfs_hap_config *c);

/*
 * Add a frontend (a listener) `name` listening on `addr`:`port` (addr an
 * IPv4/IPv6 literal, "0.0.0.0" or "::" for all) in `mode`. Its default
 * action is a 503 until ecsfs_hap_config_set_default() says otherwise.
 * -EINVAL: a bad name, address, port or mode (err says which); -EEXIST:
 * the name, or the same address and port, is taken in this config;
 * -ENOSPC: ECSFS_HAP_MAX_FRONTENDS reached.
 */
int ecsfs_hap_config_add_frontend(ecsfs_hap_config *c, const char *name, const char *addr, int port,
				  ecsfs_hap_mode mode, ecsfs_err *err);

/*
 * Append a rule to frontend `frontend`: when all `nconds` conditions hold
 * (nconds 0: always), `action` is taken. Rules are tried in the order they
 * were added (the controller adds them by ascending priority); the first
 * that holds wins, else the default action. TCP frontends take no rules.
 * Backends named by the action are checked at ecsfs_haproxy_apply() (they
 * may be added later). -ENOENT: no such frontend; -EINVAL: a bad condition
 * or action, or a rule on a TCP frontend; -ENOSPC: ECSFS_HAP_MAX_RULES.
 */
int ecsfs_hap_config_add_rule(ecsfs_hap_config *c, const char *frontend,
			      const ecsfs_hap_cond *conds, size_t nconds,
			      const ecsfs_hap_action *action, ecsfs_err *err);

/*
 * Set frontend `frontend`'s default action (taken when no rule holds). A
 * TCP frontend's default must be FORWARD. -ENOENT: no such frontend;
 * -EINVAL: a bad action.
 */
int ecsfs_hap_config_set_default(ecsfs_hap_config *c, const char *frontend,
				 const ecsfs_hap_action *action, ecsfs_err *err);

/*
 * Add a backend. -EINVAL: a bad name or check; -EEXIST: the name is taken;
 * -ENOSPC: ECSFS_HAP_MAX_BACKENDS reached.
 */
int ecsfs_hap_config_add_backend(ecsfs_hap_config *c, const ecsfs_hap_backend *b, ecsfs_err *err);

/*
 * Add server `s` to backend `backend`. -ENOENT: no such backend; -EINVAL:
 * a bad name, address, port or weight; -EEXIST: the name is taken in that
 * backend; -ENOSPC: ECSFS_HAP_MAX_SERVERS reached.
 */
int ecsfs_hap_config_add_server(ecsfs_hap_config *c, const char *backend, const ecsfs_hap_server *s,
				ecsfs_err *err);

/*
 * The HAProxy configuration file `c` stands for, appended to `out` (for
 * tests and for the curious; the driver writes it itself). `state_dir` is
 * the driver's directory (STATE/haproxy), where the file names its
 * sockets. Servers are rendered only when `with_servers` is true. -EINVAL
 * (err says why): a rule or default names a backend the config lacks, or
 * a frontend and a backend of different modes.
 */
int ecsfs_hap_config_render(const ecsfs_hap_config *c, const char *state_dir, bool with_servers,
			    ecsfs_buf *out, ecsfs_err *err);

/* ---- the driver ------------------------------------------------------- */

typedef struct ecsfs_haproxy_opts {
	const char *state_dir; /* the daemon's STATE; the driver uses STATE/haproxy/ */
	const char *binary;    /* the haproxy program: a path, or a name looked up in
				  PATH; NULL: "haproxy" (then also /usr/sbin/haproxy) */
} ecsfs_haproxy_opts;

/* Where the driver and HAProxy are. */
typedef enum ecsfs_hap_run_state {
	ECSFS_HAP_STOPPED = 0, /* no HAProxy runs (none needed, or none could start) */
	ECSFS_HAP_STARTING,    /* being started, adopted or reloaded */
	ECSFS_HAP_RUNNING,     /* running the last applied config */
	ECSFS_HAP_FAILED,      /* the last start failed; retried with backoff */
} ecsfs_hap_run_state;

typedef struct ecsfs_hap_info {
	ecsfs_hap_run_state state;
	int pid;	   /* the master's pid, 0 when none */
	bool adopted;	   /* the running HAProxy was found running at start */
	unsigned reloads;  /* hitless reloads done by this driver */
	unsigned restarts; /* times HAProxy was found dead and started again */
	int err;	   /* the last failure (negative errno), 0 */
	char msg[512];	   /* its reason for a person, "" */
	char binary[256];  /* the program found, "" when none */
	char version[64];  /* "2.6.12-1+deb12u4", "" while unknown */
} ecsfs_hap_info;

/*
 * A driver on `loop` for the state directory in `o`. It creates
 * STATE/haproxy/ (mode 0700) and, when the pid file there names a live
 * HAProxy whose master socket answers, adopts it (asynchronously; its
 * servers are read back so the first apply changes only what differs).
 * No HAProxy is started before the first non-empty apply. A missing
 * program is not an error here (apply reports it). On success *out owns
 * the driver (ecsfs_haproxy_close()). -EINVAL: no state_dir;
 * -ENAMETOOLONG: the socket paths would not fit a unix address; -errno of
 * mkdir.
 */
int ecsfs_haproxy_new(uv_loop_t *loop, const ecsfs_haproxy_opts *o, ecsfs_haproxy **out,
		      ecsfs_err *err);

/*
 * Stop all work and free the driver: pending callbacks get -ECANCELED,
 * then `done` (may be NULL) runs on the loop thread once every handle is
 * closed. HAProxy keeps running (a later driver adopts it); to stop it,
 * apply an empty config first.
 */
void ecsfs_haproxy_close(ecsfs_haproxy *h, void (*done)(void *data), void *data);

/*
 * The result of an apply: `err` 0 or a negative errno, `msg` (borrowed,
 * "" on success) a sentence for a person. Called once, on the loop thread,
 * never from within the call that started it.
 */
typedef void (*ecsfs_hap_done_cb)(void *data, int err, const char *msg);

/*
 * Make HAProxy do what `c` says; the driver takes `c` (always, even on
 * failure). Checked first, synchronously: -EINVAL (err says why) when `c`
 * does not render (see ecsfs_hap_config_render()); then nothing changes
 * and `cb` is not called. Otherwise returns 0 and `cb` runs when HAProxy
 * has been brought to it (applies queue up; a newer one replaces a waiting
 * older one, and both callbacks get the newer one's result).
 *
 * A frontend that cannot listen (its port is taken by someone else) is
 * left out and the rest applies: ecsfs_haproxy_frontend_error() tells
 * which, and cb gets -EADDRINUSE naming them. Other results: -ENOENT no
 * haproxy program (msg says where it was looked for); -EIO HAProxy refused
 * the config or did not come up (msg has its words); -ETIMEDOUT HAProxy
 * did not answer; -ECANCELED the driver closed.
 *
 * An empty config (no frontend, no backend) stops HAProxy.
 */
int ecsfs_haproxy_apply(ecsfs_haproxy *h, ecsfs_hap_config *c, ecsfs_hap_done_cb cb, void *data,
			ecsfs_err *err);

/*
 * Shorthands for one server, on top of the latest config given (the same
 * machinery as ecsfs_haproxy_apply(): the change is made in the driver's
 * copy of the config and pushed through the runtime API, no reload).
 *
 * ecsfs_haproxy_server_set(): add server `s` to `backend`, or change its
 * weight and admin state (a changed address or port replaces it).
 * ecsfs_haproxy_server_remove(): take server `name` out of `backend` (it
 * goes to maint, its remaining sessions are shut, then it is deleted);
 * removing one that is not there is done at once (cb gets 0).
 *
 * Returns 0 (cb will run, as for apply) or, with cb not called: -ENOENT no
 * such backend in the applied config; -EINVAL a bad server (err says why);
 * -ENOSPC ECSFS_HAP_MAX_SERVERS reached.
 */
int ecsfs_haproxy_server_set(ecsfs_haproxy *h, const char *backend, const ecsfs_hap_server *s,
			     ecsfs_hap_done_cb cb, void *data, ecsfs_err *err);
int ecsfs_haproxy_server_remove(ecsfs_haproxy *h, const char *backend, const char *name,
				ecsfs_hap_done_cb cb, void *data, ecsfs_err *err);

/*
 * Whether frontend `name` of the applied config listens: 0 when it does
 * (or is being set up), else the errno of its last failure with the reason
 * in err (-EADDRINUSE "127.0.0.1:8080 is in use by another program").
 * -ENOENT: no such frontend in the applied config.
 */
int ecsfs_haproxy_frontend_error(ecsfs_haproxy *h, const char *name, ecsfs_err *err);

/* A copy of the driver's state. Never fails. */
void ecsfs_haproxy_get_info(ecsfs_haproxy *h, ecsfs_hap_info *out);

/* Called on the loop thread whenever ecsfs_hap_info changes (HAProxy died,
 * was restarted, a reload finished). NULL unsets. */
void ecsfs_haproxy_set_change_cb(ecsfs_haproxy *h, void (*cb)(void *data), void *data);

/* ---- reading servers back ---------------------------------------------- */

/* A server's health as ALB names it. */
typedef enum ecsfs_hap_health {
	ECSFS_HAP_HEALTH_NONE = 0,  /* no check configured: taken as healthy */
	ECSFS_HAP_HEALTH_INITIAL,   /* added, neither up yet nor failing for fall x interval */
	ECSFS_HAP_HEALTH_HEALTHY,   /* passed `rise` checks; takes traffic */
	ECSFS_HAP_HEALTH_UNHEALTHY, /* failing its checks; stays so until it is up again */
} ecsfs_hap_health;

/* One server as HAProxy sees it (`show servers state` and `show stat`). */
typedef struct ecsfs_hap_server_status {
	char backend[ECSFS_HAP_NAME_MAX + 1];
	char name[ECSFS_HAP_NAME_MAX + 1];
	char addr[64];
	int port;
	ecsfs_hap_admin admin;	 /* as HAProxy has it (READY, DRAIN or MAINT) */
	bool up;		 /* operationally up (would take traffic if READY) */
	ecsfs_hap_health health; /* from the check result */
	char check_status[16];	 /* HAProxy's code: "L7OK", "L7STS", "L4CON", "L4TOUT", "" */
	char check_desc[128];	 /* its words: "Layer7 wrong status", "Connection refused" */
	int check_code;		 /* the HTTP status the last check got, 0 */
	int weight;		 /* the effective weight */
	long long scur;		 /* current sessions (connections), fail-open ones included */
	long long stot;		 /* sessions since the server was added */
	long long requests;	 /* HTTP requests since it was added (0 in TCP mode) */
} ecsfs_hap_server_status;

/*
 * The servers of backend `backend` (NULL: of every backend), read from the
 * running HAProxy: cb gets 0 and `n` statuses (borrowed for the call) in
 * config order, or a negative errno and `msg` (-ESRCH no HAProxy runs,
 * -ETIMEDOUT, -EIO, -ECANCELED). Servers that the driver has not yet added
 * are absent. Returns 0 (cb will run), -ENOENT when the applied config has
 * no such backend (cb will not run).
 */
typedef void (*ecsfs_hap_servers_cb)(void *data, int err, const char *msg,
				     const ecsfs_hap_server_status *servers, size_t n);
int ecsfs_haproxy_servers(ecsfs_haproxy *h, const char *backend, ecsfs_hap_servers_cb cb,
			  void *data);

#endif
