/* ecsfs — the passes of the HAProxy driver: one at a time, each brings
 * HAProxy to the latest config (h->desired, copied into h->target):
 *
 *   empty config        stop HAProxy
 *   not running         start it (haproxy_start.c)
 *   structure changed   reload it (haproxy_start.c)
 *   then, always        read `show servers state` and run the commands that
 *                       make its servers those of the config (haproxy_sync.c)
 *
 * While HAProxy runs, a timer checks its master each second; a dead one is
 * started again at once. A start that fails is retried after 1 s, doubling
 * to 30 s. A driver that finds an HAProxy of an earlier one (pid file,
 * master socket) takes it over: nothing restarts, and the first pass
 * changes only what differs.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/haproxy_private.h"

#define DEL_RETRY_MS 1000 /* a server to delete still had connections */
#define FE_RETRY_MS  5000 /* a listener's port was taken */

void ecsfs__hap_fail(ecsfs_haproxy *h, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ecsfs_buf_reset(&h->pass_msg);
	ecsfs_buf_vaddf(&h->pass_msg, fmt, ap);
	va_end(ap);
	ecsfs__hap_pass_end(h, err);
}

bool ecsfs__hap_admin_answered(ecsfs_haproxy *h, int err)
{
	if (h->closing)
		return false;
	if (err < 0) {
		ecsfs__hap_fail(h, err, "haproxy: the admin socket %s does not answer", h->admin);
		return false;
	}
	return true;
}

void ecsfs__hap_poll_after(ecsfs_haproxy *h, unsigned ms, void (*fn)(ecsfs_haproxy *h))
{
	h->poll_fn = fn;
	uv_timer_start(&h->wait, ecsfs__hap_wait_tick, ms, 0);
}

void ecsfs__hap_wait_tick(uv_timer_t *t)
{
	ecsfs_haproxy *h = t->data;
	void (*fn)(ecsfs_haproxy *) = h->poll_fn;

	h->poll_fn = NULL;
	if (h->closing)
		return;
	if (h->in_pass) {
		if (fn)
			fn(h);
		return;
	}
	if (h->retry_due) {
		h->retry_due = false;
		h->dirty = true;
	}
	ecsfs__hap_kick(h);
}

/* ---- the servers ------------------------------------------------------- */

static void step_next(ecsfs_haproxy *h);

static void step_done(void *data, int err, const char *out, size_t len)
{
	ecsfs_haproxy *h = data;
	const hap_step *s;

	if (!ecsfs__hap_admin_answered(h, err))
		return;
	s = &h->plan.steps[h->istep++];
	if (!ecsfs__hap_step_ok(out)) {
		if (s->del)
			h->retry_due = true; /* it still has connections: later */
		else if (!h->pass_err) {
			h->pass_err = -EIO;
			ecsfs_buf_setf(&h->pass_msg, "haproxy: \"%s\": %.*s", s->cmd,
				       (int)strcspn(out, "\n"), out);
		}
	}
	step_next(h);
}

/* The servers as they now are go to the state file: a HAProxy started
 * again after a crash takes them with their health. */
static void final_state_done(void *data, int err, const char *out, size_t len)
{
	ecsfs_haproxy *h = data;
	if (h->closing)
		return;
	if (err == 0)
		ecsfs__hap_set_live(h, out, true);
	ecsfs__hap_pass_end(h, h->pass_err);
}

static void step_next(ecsfs_haproxy *h)
{
	bool changed = h->plan.n > 0;

	if (h->istep < h->plan.n) {
		ecsfs__hap_cli_send(h->cli, HAP_SOCK_ADMIN, h->plan.steps[h->istep].cmd, step_done,
				    h);
		return;
	}
	ecsfs__hap_plan_release(&h->plan);
	if (changed)
		ecsfs__hap_cli_send(h->cli, HAP_SOCK_ADMIN, "show servers state", final_state_done,
				    h);
	else
		ecsfs__hap_pass_end(h, h->pass_err);
}

static void servers_state_done(void *data, int err, const char *out, size_t len)
{
	ecsfs_haproxy *h = data;

	if (!ecsfs__hap_admin_answered(h, err))
		return;
	ecsfs__hap_set_live(h, out, true);
	ecsfs__hap_plan_release(&h->plan);
	ecsfs__hap_plan(h->target, h->live, h->nlive, &h->plan);
	h->istep = 0;
	step_next(h);
}

void ecsfs__hap_servers_begin(ecsfs_haproxy *h)
{
	ecsfs__hap_cli_send(h->cli, HAP_SOCK_ADMIN, "show servers state", servers_state_done, h);
}

/* ---- stopping ---------------------------------------------------------- */

static void not_running(ecsfs_haproxy *h)
{
	h->running = false;
	h->hash = 0;
	ecsfs_buf_reset(&h->bound);
	h->info.pid = 0;
	uv_timer_stop(&h->monitor);
}

static void stopped(ecsfs_haproxy *h)
{
	not_running(h);
	h->pid = 0;
	h->info.state = ECSFS_HAP_STOPPED;
	unlink(h->pidfile);
	unlink(h->master);
	unlink(h->admin);
	ecsfs__hap_pass_end(h, 0);
}

static void stop_poll(ecsfs_haproxy *h)
{
	if (!ecsfs__hap_pid_alive(h->pid, NULL)) {
		stopped(h);
		return;
	}
	if (++h->polls == HAP_POLL_MAX / 2)
		kill(h->pid, SIGKILL); /* it did not stop on SIGTERM */
	if (h->polls >= HAP_POLL_MAX) {
		ecsfs__hap_fail(h, -ETIMEDOUT, "haproxy: the master (pid %d) does not stop",
				h->pid);
		return;
	}
	ecsfs__hap_poll_after(h, HAP_POLL_MS, stop_poll);
}

static void stop_begin(ecsfs_haproxy *h)
{
	if (!h->running || !ecsfs__hap_pid_alive(h->pid, h->cfg)) {
		stopped(h);
		return;
	}
	/* SIGTERM: the master stops its workers and exits */
	kill(h->pid, SIGTERM);
	h->polls = 0;
	ecsfs__hap_poll_after(h, HAP_POLL_MS, stop_poll);
}

/* ---- a pass ------------------------------------------------------------ */

static void pass_begin(ecsfs_haproxy *h)
{
	h->in_pass = true;
	h->dirty = false;
	h->inpass = h->waiting;
	h->waiting = NULL;
	ecsfs_hap_config_free(h->target);
	h->target = ecsfs__hap_config_dup(h->desired);
	h->pass_err = 0;
	h->start_tries = 0;
	h->retry_due = false;
	ecsfs_buf_reset(&h->pass_msg);
	if (h->target->nfe == 0 && h->target->nbe == 0) {
		h->nfe_errs = 0;
		stop_begin(h);
		return;
	}
	if (!ecsfs__hap_find_bin(h)) {
		ecsfs__hap_pass_end(h, -ENOENT);
		return;
	}
	if (h->running) {
		ecsfs__hap_running_begin(h);
		return;
	}
	h->info.state = ECSFS_HAP_STARTING;
	ecsfs__hap_changed(h);
	ecsfs__hap_fresh_begin(h);
}

void ecsfs__hap_kick(ecsfs_haproxy *h)
{
	if (h->closing || h->in_pass || h->adopting || !h->dirty || !h->desired)
		return;
	pass_begin(h);
}

/* The result's sentence: the pass's own, else the listeners left out. */
static void pass_message(ecsfs_haproxy *h, int *err)
{
	size_t i;
	if (*err == 0 && h->nfe_errs) {
		*err = -EADDRINUSE;
		ecsfs_buf_reset(&h->pass_msg);
		for (i = 0; i < h->nfe_errs; i++) {
			ecsfs_buf_addf(&h->pass_msg, "%s%s", i ? "; " : "", h->fe_errs[i].msg);
			if (h->fe_errs[i].code != -EADDRINUSE)
				*err = h->fe_errs[i].code;
		}
	}
	if (*err < 0 && !h->pass_msg.len)
		ecsfs_buf_addf(&h->pass_msg, "haproxy: %s", strerror(-*err));
	if (*err == 0)
		ecsfs_buf_reset(&h->pass_msg);
}

/* After the pass: a start that failed is tried again later, a server that
 * could not be deleted yet too. */
static void pass_after(ecsfs_haproxy *h, int err)
{
	bool want = h->applied && (h->applied->nfe || h->applied->nbe);

	if (!h->running && err < 0 && want) {
		h->info.state = ECSFS_HAP_FAILED;
		uv_timer_start(&h->monitor, ecsfs__hap_monitor, h->backoff_ms, 0);
		h->backoff_ms =
		    h->backoff_ms * 2 > HAP_BACKOFF_MAX ? HAP_BACKOFF_MAX : h->backoff_ms * 2;
	} else if (h->running && err == 0) {
		h->backoff_ms = 1000;
	}
	/* a server that still had connections, a port that was taken */
	if (h->running && h->nfe_errs)
		h->retry_due = true;
	if (h->retry_due)
		ecsfs__hap_poll_after(h, h->nfe_errs ? FE_RETRY_MS : DEL_RETRY_MS, NULL);
}

void ecsfs__hap_pass_end(ecsfs_haproxy *h, int err)
{
	hap_waiter *w, *list;

	pass_message(h, &err);
	h->info.err = err;
	snprintf(h->info.msg, sizeof(h->info.msg), "%s", h->pass_msg.data);
	ecsfs_hap_config_free(h->applied);
	h->applied = h->target;
	h->target = NULL;
	ecsfs__hap_plan_release(&h->plan);
	h->in_pass = false;
	pass_after(h, err);
	list = h->inpass;
	h->inpass = NULL;
	while ((w = list)) {
		list = w->next;
		w->cb(w->data, err, h->info.msg);
		free(w);
	}
	ecsfs__hap_changed(h);
	ecsfs__hap_kick(h);
}

/* ---- watching it ------------------------------------------------------- */

void ecsfs__hap_monitor(uv_timer_t *t)
{
	ecsfs_haproxy *h = t->data;

	if (h->closing)
		return;
	if (!h->running) { /* the retry after a failed start */
		h->dirty = true;
		ecsfs__hap_kick(h);
		return;
	}
	if (ecsfs__hap_pid_alive(h->pid, h->cfg))
		return;
	not_running(h);
	h->info.restarts++;
	h->info.state = ECSFS_HAP_STARTING;
	h->info.err = -ESRCH;
	snprintf(h->info.msg, sizeof(h->info.msg),
		 "haproxy: the master (pid %d) died; starting it again", h->pid);
	ecsfs__hap_changed(h);
	h->dirty = true;
	ecsfs__hap_kick(h);
}

/* "\n127.0.0.1:80\n..." from the bind lines of a file we wrote. */
static void bound_from_file(const char *text, ecsfs_buf *out)
{
	const char *p = text;
	ecsfs_buf_setf(out, "\n");
	while ((p = strstr(p, "\n\tbind "))) {
		size_t n;
		p += strlen("\n\tbind ");
		n = strcspn(p, "\n");
		ecsfs_buf_addf(out, "%.*s\n", (int)n, p);
		p += n;
	}
}

static void adopt_done(void *data, int err, const char *out, size_t len)
{
	ecsfs_haproxy *h = data;
	ecsfs_buf cfg = ECSFS_BUF_INIT;
	hap_proc p;

	if (h->closing)
		return;
	h->adopting = false;
	if (err == 0 && ecsfs__hap_parse_proc(out, &p) == 0 && p.master == h->pid &&
	    ecsfs__hap_read_file(h->cfg, &cfg) == 0) {
		h->running = true;
		h->hash = ecsfs__hap_file_hash(cfg.data);
		bound_from_file(cfg.data, &h->bound);
		h->info.adopted = true;
		h->info.pid = h->pid;
		h->info.state = ECSFS_HAP_RUNNING;
		uv_timer_start(&h->monitor, ecsfs__hap_monitor, HAP_MONITOR_MS, HAP_MONITOR_MS);
		ecsfs__hap_changed(h);
	} else {
		/* ours (its command line names our file) but deaf: it would
		 * keep the ports a new one needs */
		kill(h->pid, SIGKILL);
		h->pid = 0;
	}
	ecsfs_buf_release(&cfg);
	ecsfs__hap_kick(h);
}

void ecsfs__hap_adopt(ecsfs_haproxy *h)
{
	ecsfs_buf pid = ECSFS_BUF_INIT;

	if (ecsfs__hap_read_file(h->pidfile, &pid) == 0)
		h->pid = atoi(pid.data);
	ecsfs_buf_release(&pid);
	if (!ecsfs__hap_pid_alive(h->pid, h->cfg)) {
		h->pid = 0;
		return;
	}
	h->adopting = true;
	ecsfs__hap_cli_send(h->cli, HAP_SOCK_MASTER, "show proc", adopt_done, h);
}
