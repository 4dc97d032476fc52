/* ecsfs — what the files of the HAProxy driver share (haproxy*.c). */
#ifndef ECSFS_HAPROXY_PRIVATE_H
#define ECSFS_HAPROXY_PRIVATE_H

#include <stdint.h>

#include "ecsfs/buf.h"
#include "ecsfs/haproxy.h"

/* ---- the config model (haproxy_model.c) -------------------------------- */

/* Every string and array below is owned by the config it is part of. */
typedef struct hap_rule {
	ecsfs_hap_cond *conds;
	size_t nconds;
	ecsfs_hap_action action;
} hap_rule;

typedef struct hap_frontend {
	char *name, *addr;
	int port;
	ecsfs_hap_mode mode;
	hap_rule *rules;
	size_t nrules;
	ecsfs_hap_action def;
} hap_frontend;

typedef struct hap_backend {
	ecsfs_hap_backend b;
	ecsfs_hap_server *servers;
	size_t nservers;
} hap_backend;

struct ecsfs_hap_config {
	hap_frontend *fe;
	size_t nfe;
	hap_backend *be;
	size_t nbe;
};

/* The prefix of the fail-open twin of a server (a backup server with no
 * check, so traffic reaches every target when none is healthy). */
#define HAP_TWIN_PREFIX "_fo_"

hap_frontend *ecsfs__hap_find_frontend(const ecsfs_hap_config *c, const char *name);
hap_backend *ecsfs__hap_find_backend(const ecsfs_hap_config *c, const char *name);
/* The server named `name` of `be`, or NULL. */
ecsfs_hap_server *ecsfs__hap_find_server(const hap_backend *be, const char *name);
/* Add `s` to `be` or replace the server of its name. -EINVAL, -ENOSPC. */
int ecsfs__hap_put_server(hap_backend *be, const ecsfs_hap_server *s, ecsfs_err *err);
/* Take server `name` out of `be`; 0 when it was not there either. */
void ecsfs__hap_drop_server(hap_backend *be, const char *name);
/* A deep copy of `c`. */
ecsfs_hap_config *ecsfs__hap_config_dup(const ecsfs_hap_config *c);
/* Every backend a rule or default of `c` names exists, with the mode of
 * its frontend. -EINVAL (err says which) otherwise. */
int ecsfs__hap_config_check(const ecsfs_hap_config *c, ecsfs_err *err);
/* A valid address literal ("127.0.0.1", "::1")? */
bool ecsfs__hap_addr_ok(const char *addr);

/* ---- rendering (haproxy_config.c) ------------------------------------- */

/* What to leave out of a rendering; NULL functions keep everything. */
typedef struct hap_render_opts {
	const char *dir; /* STATE/haproxy: the admin socket and state file live there */
	bool with_servers;
	bool (*want_frontend)(void *data, const hap_frontend *fe);
	bool (*want_server)(void *data, const hap_backend *be, const ecsfs_hap_server *s);
	void *data;
} hap_render_opts;

/* Append the config file for `c` to `out`. Its first line is a comment
 * holding the structure hash (see ecsfs__hap_structure_hash()). */
void ecsfs__hap_render(const ecsfs_hap_config *c, const hap_render_opts *o, ecsfs_buf *out);
/* The hash of everything but the servers, as rendered with `o`: equal
 * hashes need no reload. */
uint64_t ecsfs__hap_structure_hash(const ecsfs_hap_config *c, const hap_render_opts *o);
/* The hash written in the first line of a rendered file, 0 when none. */
uint64_t ecsfs__hap_file_hash(const char *text);
/* "add server BE/NAME ARGS" for server `s` of `be` (twin: its fail-open
 * twin), without newline. */
void ecsfs__hap_add_server_cmd(const hap_backend *be, const ecsfs_hap_server *s, bool twin,
			       ecsfs_buf *out);
/* ALB's Matcher.HttpCode ("200", "200,202", "200-299") as an anchored
 * regex of status codes. -EINVAL when it is not such a list. */
int ecsfs__hap_codes_regex(const char *codes, ecsfs_buf *out);
/* The name of `s`'s fail-open twin. */
void ecsfs__hap_twin_name(const char *name, ecsfs_buf *out);

/* ---- the runtime API (haproxy_api.c) ---------------------------------- */

typedef enum hap_sock { HAP_SOCK_MASTER, HAP_SOCK_ADMIN } hap_sock;

/* A command's answer: err 0 and the text HAProxy sent, or -ECONNREFUSED /
 * -ENOENT (nothing listens), -ETIMEDOUT, -ECANCELED, -EIO. */
typedef void (*hap_cmd_cb)(void *data, int err, const char *out, size_t len);

typedef struct hap_cli hap_cli;
hap_cli *ecsfs__hap_cli_new(uv_loop_t *loop, const char *master_path, const char *admin_path);
/* Queue `cmd` (one line; ';' separates commands) for `sock`; commands run
 * one at a time, each on its own connection, in the order queued. */
void ecsfs__hap_cli_send(hap_cli *q, hap_sock sock, const char *cmd, hap_cmd_cb cb, void *data);
/* Cancel everything (callbacks get -ECANCELED), then free it and call
 * `done` once its handles are closed. */
void ecsfs__hap_cli_close(hap_cli *q, void (*done)(void *), void *data);

/* One line of `show servers state`. */
typedef struct hap_live {
	char backend[ECSFS_HAP_NAME_MAX + 1];
	char name[ECSFS_HAP_NAME_MAX + 1];
	char addr[64];
	int port;
	int op_state;	    /* 0 stopped, 1 starting, 2 running, 3 stopping */
	int admin_bits;	    /* SRV_ADMF_*: 0x01/0x02/0x04/0x20/0x40 maint, 0x08/0x10 drain */
	int uweight;	    /* the weight as set */
	int check_result;   /* 0 unknown, 1 neutral, 2 failed, 3 passed, 4 condpass */
	int check_state;    /* CHK_ST_*: 0x02 configured */
	int since_change_s; /* seconds since its operational state changed */
} hap_live;

/* Parse `show servers state` output into a new array (caller frees).
 * -EIO when it is not that output. */
int ecsfs__hap_parse_state(const char *text, hap_live **out, size_t *n);
/* The admin state HAProxy has for a server. */
ecsfs_hap_admin ecsfs__hap_live_admin(const hap_live *l);

/* What `show proc` on the master tells. */
typedef struct hap_proc {
	int master;
	int reloads, failed;
	int workers[16];
	size_t nworkers; /* current and old workers */
} hap_proc;
int ecsfs__hap_parse_proc(const char *text, hap_proc *out);

/* Fill the stats fields of `st` (matched by backend and name, twins
 * summed into their server) from `show stat` CSV. */
void ecsfs__hap_apply_stat(const char *csv, ecsfs_hap_server_status *st, size_t n);

/* ---- bringing servers to the config (haproxy_sync.c) ------------------ */

/* One runtime API command line (';'-separated commands) and what it is. */
typedef struct hap_step {
	char *cmd;
	bool del; /* a deletion: it may have to wait for connections to end */
} hap_step;

typedef struct hap_plan {
	hap_step *steps;
	size_t n;
} hap_plan;

/* The commands that turn the servers `live` into those of `target`. */
void ecsfs__hap_plan(const ecsfs_hap_config *target, const hap_live *live, size_t nlive,
		     hap_plan *out);
void ecsfs__hap_plan_release(hap_plan *p);
/* Whether the answer to a step says every command of it worked. */
bool ecsfs__hap_step_ok(const char *out);
/* The health of `l` as far as `show servers state` tells: NONE, HEALTHY,
 * or INITIAL for every server that is down. */
ecsfs_hap_health ecsfs__hap_live_health(const hap_live *l);

/* ---- the driver (haproxy.c: interface; haproxy_run.c: the passes) ------ */

typedef struct hap_waiter {
	struct hap_waiter *next;
	ecsfs_hap_done_cb cb;
	void *data;
} hap_waiter;

/* A listener left out because it could not listen. */
typedef struct hap_fe_err {
	char name[ECSFS_HAP_NAME_MAX + 1];
	int code;
	char msg[256];
} hap_fe_err;

struct ecsfs_haproxy {
	uv_loop_t *loop;
	char *dir, *cfg, *cfg_new, *pidfile, *master, *admin, *statefile, *binopt, *bin;
	hap_cli *cli;
	uv_timer_t monitor; /* liveness while running, the retry after a failure */
	uv_timer_t wait;    /* the polling steps of a pass */

	/* desired: the latest config given; target: the one a pass brings
	 * HAProxy to; applied: the one the last pass did */
	ecsfs_hap_config *desired, *target, *applied;
	hap_waiter *waiting, *inpass; /* callbacks of the next and of this pass */
	bool dirty, in_pass, adopting, running, closing, retry_due;

	int pid;	   /* the master */
	uint64_t hash;	   /* the structure the running HAProxy has */
	ecsfs_buf bound;   /* "\n127.0.0.1:80\n...": what it listens on */
	uint64_t new_hash; /* of the file being brought in */
	ecsfs_buf new_bound;
	hap_fe_err *fe_errs;
	size_t nfe_errs;
	hap_live *live; /* HAProxy's servers as last read */
	size_t nlive;
	hap_plan plan;
	size_t istep;
	hap_proc before; /* show proc before a reload */
	void (*poll_fn)(ecsfs_haproxy *h);
	int polls, start_tries, pass_err;
	ecsfs_buf pass_msg;
	unsigned backoff_ms;

	ecsfs_buf past_initial; /* "\nbackend/server\n...": were healthy or unhealthy */

	ecsfs_hap_info info;
	void (*change_cb)(void *);
	void *change_data;
	int refs; /* the driver itself, its handles, its cli, running programs */
	void (*done)(void *);
	void *done_data;
};

#define HAP_POLL_MS	100
#define HAP_POLL_MAX	100 /* polls: 10 s for a start, a reload, a stop */
#define HAP_MONITOR_MS	1000
#define HAP_BACKOFF_MAX 30000

/* haproxy.c */
void ecsfs__hap_changed(ecsfs_haproxy *h); /* tell the change callback */
void ecsfs__hap_unref(ecsfs_haproxy *h);   /* the last reference frees the driver */

/* haproxy_pass.c: the passes */
void ecsfs__hap_kick(ecsfs_haproxy *h);	  /* start a pass if one is due */
void ecsfs__hap_wait_tick(uv_timer_t *t); /* h->wait fired: a poll step, or a kick */
void ecsfs__hap_monitor(uv_timer_t *t);	  /* liveness, or the retry after a failure */
void ecsfs__hap_adopt(ecsfs_haproxy *h);  /* take over an HAProxy left running */
/* End the pass: its callbacks get err and h->pass_msg. */
void ecsfs__hap_pass_end(ecsfs_haproxy *h, int err);
/* End the pass with err and a message. */
void ecsfs__hap_fail(ecsfs_haproxy *h, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* For a reply of the admin socket: false when the driver is closing, or
 * when the socket did not answer (the pass has then ended with err). */
bool ecsfs__hap_admin_answered(ecsfs_haproxy *h, int err);
/* Run fn in ms, as a step of this pass. */
void ecsfs__hap_poll_after(ecsfs_haproxy *h, unsigned ms, void (*fn)(ecsfs_haproxy *h));
void ecsfs__hap_servers_begin(ecsfs_haproxy *h); /* bring the servers to h->target */

/* haproxy_start.c: steps that write a config file */
bool ecsfs__hap_find_bin(ecsfs_haproxy *h);	 /* false: h->pass_msg says why */
void ecsfs__hap_fresh_begin(ecsfs_haproxy *h);	 /* start HAProxy */
void ecsfs__hap_running_begin(ecsfs_haproxy *h); /* reload when the structure changed */
/* Take `show servers state` output as the servers HAProxy has (and keep
 * it in the state file when `save`). */
void ecsfs__hap_set_live(ecsfs_haproxy *h, const char *state_text, bool save);

/* ---- process helpers (haproxy_proc.c) --------------------------------- */

/* Whether `pid` is a live (not zombie) process whose command line holds
 * `needle` (NULL: any). */
bool ecsfs__hap_pid_alive(int pid, const char *needle);
/* The program: `name` with a '/' as is, else searched in PATH and the
 * sbin directories; NULL when none is executable (caller frees). */
char *ecsfs__hap_find_binary(const char *name, ecsfs_buf *where);
/* Try to listen on addr:port the way HAProxy will: 0 when it is free,
 * else -errno. */
int ecsfs__hap_probe_bind(const char *addr, int port);
/* Write `data` to `path` through a temporary file and a rename. */
int ecsfs__hap_write_file(const char *path, const char *data, size_t len);
/* Read a whole file (NUL-terminated). -errno. */
int ecsfs__hap_read_file(const char *path, ecsfs_buf *out);

/* Run `argv` (argv[0] the program) detached in its own session with fds
 * above 2 closed, stdout and stderr collected; cb gets its exit status
 * (or -errno when it could not start) and what it wrote. */
typedef void (*hap_run_cb)(void *data, int status, const char *out);
int ecsfs__hap_run(uv_loop_t *loop, char *const *argv, hap_run_cb cb, void *data);

#endif
