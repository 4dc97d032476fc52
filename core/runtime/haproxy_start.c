/* ecsfs — starting and reloading HAProxy, the steps of a pass (see
 * haproxy_pass.c) that write a config file:
 *
 *   not running         write the file, check it (haproxy -c), start the
 *                       master (-W -D: it daemonizes, so it is no child of
 *                       ours and outlives us), wait for its master socket
 *   structure changed   save the servers' state, write and check the file,
 *                       "reload" on the master socket, wait for the new worker
 *
 * A listener whose port another program holds is left out of the file (the
 * rest goes on serving) and reported.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/haproxy_private.h"

/* ---- what a rendering leaves out --------------------------------------- */

static const hap_fe_err *fe_err_find(const ecsfs_haproxy *h, const char *name)
{
	size_t i;
	for (i = 0; i < h->nfe_errs; i++)
		if (strcmp(h->fe_errs[i].name, name) == 0)
			return &h->fe_errs[i];
	return NULL;
}

static void fe_err_add(ecsfs_haproxy *h, const hap_frontend *fe, int code)
{
	hap_fe_err *e;
	if (fe_err_find(h, fe->name))
		return;
	h->fe_errs = realloc(h->fe_errs, (h->nfe_errs + 1) * sizeof(*h->fe_errs));
	if (!h->fe_errs)
		abort();
	e = &h->fe_errs[h->nfe_errs++];
	snprintf(e->name, sizeof(e->name), "%s", fe->name);
	e->code = code;
	snprintf(e->msg, sizeof(e->msg), "listener %s: %s:%d %s", fe->name, fe->addr, fe->port,
		 code == -EADDRINUSE	  ? "is in use by another program"
		 : code == -EADDRNOTAVAIL ? "is not an address of this machine"
		 : code == -EACCES	  ? "needs privileges to listen on"
					  : strerror(-code));
}

static bool want_frontend(void *data, const hap_frontend *fe)
{
	return !fe_err_find(data, fe->name);
}

static bool want_server(void *data, const hap_backend *be, const ecsfs_hap_server *s)
{
	const ecsfs_haproxy *h = data;
	size_t i;
	for (i = 0; i < h->nlive; i++)
		if (strcmp(h->live[i].backend, be->b.name) == 0 &&
		    strcmp(h->live[i].name, s->name) == 0 &&
		    strcmp(h->live[i].addr, s->addr) == 0 && h->live[i].port == s->port)
			return true;
	return false;
}

static void hostport_key(ecsfs_buf *b, const hap_frontend *fe)
{
	if (strchr(fe->addr, ':'))
		ecsfs_buf_addf(b, "[%s]:%d\n", fe->addr, fe->port);
	else
		ecsfs_buf_addf(b, "%s:%d\n", fe->addr, fe->port);
}

/* Whether the running HAProxy listens on the frontend's port (on this or
 * another address): then a probe would meet our own socket, and HAProxy
 * itself (SO_REUSEPORT, sockets handed over at reload) can bind it. */
static bool bound_has(const ecsfs_haproxy *h, const hap_frontend *fe)
{
	char port[16];
	snprintf(port, sizeof(port), ":%d\n", fe->port);
	return h->running && strstr(h->bound.data, port) != NULL;
}

/* Leave out the listeners that cannot listen (those the running HAProxy
 * holds itself can, of course). `keep`: also those found before. */
static void probe_frontends(ecsfs_haproxy *h, bool keep)
{
	size_t i;
	if (!keep)
		h->nfe_errs = 0;
	for (i = 0; i < h->target->nfe; i++) {
		const hap_frontend *fe = &h->target->fe[i];
		int rc;
		if (bound_has(h, fe))
			continue;
		rc = ecsfs__hap_probe_bind(fe->addr, fe->port);
		if (rc < 0)
			fe_err_add(h, fe, rc);
	}
}

static void render_opts(ecsfs_haproxy *h, hap_render_opts *o)
{
	*o = (hap_render_opts){.dir = h->dir,
			       .with_servers = true,
			       .want_frontend = want_frontend,
			       .want_server = want_server,
			       .data = h};
}

static int write_new_config(ecsfs_haproxy *h)
{
	ecsfs_buf text = ECSFS_BUF_INIT;
	hap_render_opts o;
	size_t i;
	int rc;

	render_opts(h, &o);
	ecsfs__hap_render(h->target, &o, &text);
	h->new_hash = ecsfs__hap_file_hash(text.data);
	ecsfs_buf_setf(&h->new_bound, "\n");
	for (i = 0; i < h->target->nfe; i++)
		if (want_frontend(h, &h->target->fe[i]))
			hostport_key(&h->new_bound, &h->target->fe[i]);
	rc = ecsfs__hap_write_file(h->cfg_new, text.data, text.len);
	ecsfs_buf_release(&text);
	return rc;
}

void ecsfs__hap_set_live(ecsfs_haproxy *h, const char *state_text, bool save)
{
	hap_live *live = NULL;
	size_t n = 0;
	if (ecsfs__hap_parse_state(state_text, &live, &n) < 0)
		return;
	free(h->live);
	h->live = live;
	h->nlive = n;
	if (save)
		ecsfs__hap_write_file(h->statefile, state_text, strlen(state_text));
}

/* ---- running the program ----------------------------------------------- */

/* HAProxy's [ALERT] lines, without their prefix. */
static void alerts(const char *out, ecsfs_buf *msg)
{
	const char *p = out;
	while ((p = strstr(p, "[ALERT]"))) {
		const char *end = strchr(p, '\n'), *text = strstr(p, " : ");
		if (!end)
			end = p + strlen(p);
		text = text && text < end ? text + 3 : p;
		ecsfs_buf_addf(msg, "%s%.*s", msg->len ? "; " : "", (int)(end - text), text);
		p = end;
	}
	if (!msg->len)
		ecsfs_buf_adds(msg, "HAProxy failed without saying why");
}

typedef void (*hap_step_fn)(ecsfs_haproxy *h, int status, const char *out);

typedef struct hap_job {
	ecsfs_haproxy *h;
	hap_step_fn next;
} hap_job;

static void job_done(void *data, int status, const char *out)
{
	hap_job *j = data;
	ecsfs_haproxy *h = j->h;
	if (!h->closing)
		j->next(h, status, out);
	free(j);
	ecsfs__hap_unref(h);
}

static int spawn_job(ecsfs_haproxy *h, char *const *argv, hap_step_fn next)
{
	hap_job *j = calloc(1, sizeof(*j));
	int rc;
	if (!j)
		abort();
	j->h = h;
	j->next = next;
	h->refs++;
	rc = ecsfs__hap_run(h->loop, argv, job_done, j);
	if (rc < 0) {
		free(j);
		h->refs--;
	}
	return rc;
}

/* Run a step of the pass; one that cannot start ends the pass. */
static void run(ecsfs_haproxy *h, char *const *argv, hap_step_fn next)
{
	int rc = spawn_job(h, argv, next);
	if (rc < 0)
		ecsfs__hap_fail(h, -EIO, "haproxy: cannot run %s: %s", argv[0], strerror(-rc));
}

static void version_done(ecsfs_haproxy *h, int status, const char *out)
{
	const char *v = strstr(out, "version ");
	if (status == 0 && v)
		sscanf(v + 8, "%63s", h->info.version);
}

bool ecsfs__hap_find_bin(ecsfs_haproxy *h)
{
	ecsfs_buf where = ECSFS_BUF_INIT;
	char *argv[] = {NULL, "-v", NULL};

	if (h->bin)
		return true;
	h->bin = ecsfs__hap_find_binary(h->binopt, &where);
	if (h->bin) {
		snprintf(h->info.binary, sizeof(h->info.binary), "%s", h->bin);
		argv[0] = h->bin;
		spawn_job(h, argv, version_done); /* the version is for show only */
	} else {
		ecsfs_buf_reset(&h->pass_msg);
		ecsfs_buf_addf(&h->pass_msg,
			       "haproxy: no program found (looked for %s); install Debian's "
			       "haproxy package",
			       where.data);
	}
	ecsfs_buf_release(&where);
	return h->bin != NULL;
}

/* After haproxy -c of the new file: put it in place and go on, or end
 * the pass with HAProxy's words. */
static void check_done_then(ecsfs_haproxy *h, int status, const char *out,
			    void (*next)(ecsfs_haproxy *h))
{
	if (status != 0) {
		ecsfs_buf_reset(&h->pass_msg);
		alerts(out, &h->pass_msg);
		ecsfs__hap_pass_end(h, -EIO);
		return;
	}
	if (rename(h->cfg_new, h->cfg) < 0) {
		ecsfs__hap_fail(h, -EIO, "haproxy: rename %s: %s", h->cfg, strerror(errno));
		return;
	}
	next(h);
}

/* ---- starting ------------------------------------------------------------ */

static void started(ecsfs_haproxy *h)
{
	h->running = true;
	h->hash = h->new_hash;
	ecsfs_buf_setf(&h->bound, "%s", h->new_bound.data);
	h->info.pid = h->pid;
	h->info.state = ECSFS_HAP_RUNNING;
	uv_timer_start(&h->monitor, ecsfs__hap_monitor, HAP_MONITOR_MS, HAP_MONITOR_MS);
	ecsfs__hap_changed(h);
	ecsfs__hap_servers_begin(h);
}

static void start_poll(ecsfs_haproxy *h);

static void start_poll_done(void *data, int err, const char *out, size_t len)
{
	ecsfs_haproxy *h = data;
	hap_proc p;

	if (h->closing)
		return;
	if (err == 0 && ecsfs__hap_parse_proc(out, &p) == 0 && p.nworkers > 0) {
		started(h);
		return;
	}
	if (!ecsfs__hap_pid_alive(h->pid, NULL))
		ecsfs__hap_fail(
		    h, -EIO, "haproxy: the master (pid %d) exited right after it started", h->pid);
	else if (++h->polls >= HAP_POLL_MAX)
		ecsfs__hap_fail(h, -ETIMEDOUT, "haproxy: the master (pid %d) does not answer on %s",
				h->pid, h->master);
	else
		ecsfs__hap_poll_after(h, HAP_POLL_MS, start_poll);
}

static void start_poll(ecsfs_haproxy *h)
{
	ecsfs__hap_cli_send(h->cli, HAP_SOCK_MASTER, "show proc", start_poll_done, h);
}

/* The frontend an HAProxy bind alert names, or NULL. */
static const hap_frontend *bind_failure(ecsfs_haproxy *h, const char *out)
{
	const char *p = strstr(out, "for frontend fe_"), *end;
	size_t i;
	if (!p || !strstr(p, "cannot bind socket"))
		return NULL;
	p += strlen("for frontend fe_");
	end = strchr(p, ':');
	for (i = 0; end && i < h->target->nfe; i++)
		if (strlen(h->target->fe[i].name) == (size_t)(end - p) &&
		    strncmp(h->target->fe[i].name, p, (size_t)(end - p)) == 0)
			return &h->target->fe[i];
	return NULL;
}

static void start_done(ecsfs_haproxy *h, int status, const char *out)
{
	const hap_frontend *fe;
	ecsfs_buf pid = ECSFS_BUF_INIT;

	if (status == 0) {
		if (ecsfs__hap_read_file(h->pidfile, &pid) == 0)
			h->pid = atoi(pid.data);
		ecsfs_buf_release(&pid);
		h->polls = 0;
		start_poll(h);
		return;
	}
	/* taken between our probe and its bind: leave it out, try again */
	fe = bind_failure(h, out);
	if (fe && !fe_err_find(h, fe->name) && ++h->start_tries < 3) {
		fe_err_add(h, fe, strstr(out, "in use") ? -EADDRINUSE : -EADDRNOTAVAIL);
		ecsfs__hap_fresh_begin(h);
		return;
	}
	ecsfs_buf_reset(&h->pass_msg);
	alerts(out, &h->pass_msg);
	ecsfs__hap_pass_end(h, -EIO);
}

static void start_spawn(ecsfs_haproxy *h)
{
	ecsfs_buf master = ECSFS_BUF_INIT;
	char *argv[] = {h->bin, "-W", "-D", "-S", NULL, "-f", h->cfg, "-p", h->pidfile, NULL};

	ecsfs_buf_addf(&master, "%s,mode,600", h->master);
	argv[4] = master.data;
	unlink(h->pidfile);
	run(h, argv, start_done);
	ecsfs_buf_release(&master);
}

static void check_then_start(ecsfs_haproxy *h, int status, const char *out)
{
	check_done_then(h, status, out, start_spawn);
}

static void check_config(ecsfs_haproxy *h, hap_step_fn next)
{
	char *argv[] = {h->bin, "-c", "-f", h->cfg_new, NULL};
	int rc = write_new_config(h);
	if (rc < 0) {
		ecsfs__hap_fail(h, -EIO, "haproxy: cannot write %s: %s", h->cfg_new, strerror(-rc));
		return;
	}
	run(h, argv, next);
}

/* Not running: start with the servers of the last saved state (they keep
 * their health); the others are added once it runs. */
void ecsfs__hap_fresh_begin(ecsfs_haproxy *h)
{
	ecsfs_buf state = ECSFS_BUF_INIT;

	h->nlive = 0;
	if (ecsfs__hap_read_file(h->statefile, &state) == 0)
		ecsfs__hap_set_live(h, state.data, false);
	ecsfs_buf_release(&state);
	probe_frontends(h, h->start_tries > 0);
	check_config(h, check_then_start);
}

/* ---- reloading ------------------------------------------------------------ */

static void reload_poll(ecsfs_haproxy *h);

static void reload_poll_done(void *data, int err, const char *out, size_t len)
{
	ecsfs_haproxy *h = data;
	hap_proc p;

	if (h->closing)
		return;
	if (err == 0 && ecsfs__hap_parse_proc(out, &p) == 0 && p.reloads > h->before.reloads) {
		if (p.failed > h->before.failed) {
			ecsfs__hap_fail(
			    h, -EIO,
			    "haproxy: the reload failed; HAProxy goes on with the config "
			    "it had");
			return;
		}
		h->hash = h->new_hash;
		ecsfs_buf_setf(&h->bound, "%s", h->new_bound.data);
		h->info.reloads++;
		ecsfs__hap_changed(h);
		ecsfs__hap_servers_begin(h);
		return;
	}
	if (!ecsfs__hap_pid_alive(h->pid, NULL))
		ecsfs__hap_fail(h, -ESRCH, "haproxy: the master (pid %d) died during a reload",
				h->pid);
	else if (++h->polls >= HAP_POLL_MAX)
		ecsfs__hap_fail(h, -ETIMEDOUT,
				"haproxy: the master (pid %d) did not finish a reload", h->pid);
	else
		ecsfs__hap_poll_after(h, HAP_POLL_MS, reload_poll);
}

static void reload_poll(ecsfs_haproxy *h)
{
	ecsfs__hap_cli_send(h->cli, HAP_SOCK_MASTER, "show proc", reload_poll_done, h);
}

static void reload_sent(void *data, int err, const char *out, size_t len)
{
	ecsfs_haproxy *h = data;
	if (h->closing)
		return;
	h->polls = 0;
	ecsfs__hap_poll_after(h, HAP_POLL_MS, reload_poll);
}

static void reload_before_done(void *data, int err, const char *out, size_t len)
{
	ecsfs_haproxy *h = data;
	if (h->closing)
		return;
	if (err < 0 || ecsfs__hap_parse_proc(out, &h->before) < 0) {
		ecsfs__hap_fail(h, err < 0 ? err : -EIO,
				"haproxy: the master socket %s does not answer", h->master);
		return;
	}
	ecsfs__hap_cli_send(h->cli, HAP_SOCK_MASTER, "reload", reload_sent, h);
}

static void reload_send(ecsfs_haproxy *h)
{
	ecsfs__hap_cli_send(h->cli, HAP_SOCK_MASTER, "show proc", reload_before_done, h);
}

static void check_then_reload(ecsfs_haproxy *h, int status, const char *out)
{
	check_done_then(h, status, out, reload_send);
}

static void reload_state_done(void *data, int err, const char *out, size_t len)
{
	ecsfs_haproxy *h = data;
	if (!ecsfs__hap_admin_answered(h, err))
		return;
	/* the new worker reads it: servers keep their health and state */
	ecsfs__hap_set_live(h, out, true);
	check_config(h, check_then_reload);
}

void ecsfs__hap_running_begin(ecsfs_haproxy *h)
{
	hap_render_opts o;

	probe_frontends(h, false);
	render_opts(h, &o);
	if (ecsfs__hap_structure_hash(h->target, &o) == h->hash) {
		ecsfs__hap_servers_begin(h);
		return;
	}
	ecsfs__hap_cli_send(h->cli, HAP_SOCK_ADMIN, "show servers state", reload_state_done, h);
}
