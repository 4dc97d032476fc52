/* ecsfs — the HAProxy driver's interface: creating and closing it, taking
 * configs and server changes, reading servers back. The passes that bring
 * HAProxy to a config are in haproxy_run.c. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "runtime/haproxy_private.h"

static char *pathf(const char *dir, const char *name)
{
	ecsfs_buf b = ECSFS_BUF_INIT;
	size_t len;
	ecsfs_buf_addf(&b, "%s/%s", dir, name);
	return ecsfs_buf_detach(&b, &len);
}

static int make_dir(const char *state, ecsfs_buf *dir, ecsfs_err *err)
{
	char real[PATH_MAX];
	struct sockaddr_un un;

	if (!state || !*state)
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "haproxy: no state directory");
	/* absolute: HAProxy runs with "/" as its working directory */
	if (!realpath(state, real))
		return ecsfs_err_set(err, ECSFS_E_SERVER, -errno, "haproxy: %s: %s", state,
				     strerror(errno));
	ecsfs_buf_addf(dir, "%s/haproxy", real);
	if (strchr(dir->data, ','))
		/* the master socket is given as "-S PATH,mode,600" */
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "haproxy: %s: a state directory with ',' in its path cannot "
				     "hold the master socket",
				     dir->data);
	if (dir->len + sizeof("/master.sock") > sizeof(un.sun_path))
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -ENAMETOOLONG,
				     "haproxy: %s is too long a path for its sockets", dir->data);
	if (mkdir(dir->data, 0700) < 0 && errno != EEXIST)
		return ecsfs_err_set(err, ECSFS_E_SERVER, -errno, "haproxy: mkdir %s: %s",
				     dir->data, strerror(errno));
	return 0;
}

static void init_paths(ecsfs_haproxy *h, const char *dir)
{
	h->dir = strdup(dir);
	h->cfg = pathf(dir, "haproxy.cfg");
	h->cfg_new = pathf(dir, "haproxy.cfg.new");
	h->pidfile = pathf(dir, "haproxy.pid");
	h->master = pathf(dir, "master.sock");
	h->admin = pathf(dir, "admin.sock");
	h->statefile = pathf(dir, "servers.state");
	if (!h->dir)
		abort();
}

int ecsfs_haproxy_new(uv_loop_t *loop, const ecsfs_haproxy_opts *o, ecsfs_haproxy **out,
		      ecsfs_err *err)
{
	ecsfs_buf dir = ECSFS_BUF_INIT;
	ecsfs_haproxy *h;
	int rc = make_dir(o ? o->state_dir : NULL, &dir, err);

	if (rc < 0) {
		ecsfs_buf_release(&dir);
		return rc;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		abort();
	h->loop = loop;
	init_paths(h, dir.data);
	ecsfs_buf_release(&dir);
	h->binopt = strdup(o->binary ? o->binary : "haproxy");
	ecsfs_buf_init(&h->bound);
	ecsfs_buf_init(&h->new_bound);
	ecsfs_buf_init(&h->pass_msg);
	ecsfs_buf_init(&h->past_initial);
	h->cli = ecsfs__hap_cli_new(loop, h->master, h->admin);
	uv_timer_init(loop, &h->monitor);
	uv_timer_init(loop, &h->wait);
	h->monitor.data = h->wait.data = h;
	h->refs = 4; /* itself, two timers, the cli */
	h->backoff_ms = 1000;
	ecsfs__hap_adopt(h);
	*out = h;
	return 0;
}

static void free_all(ecsfs_haproxy *h)
{
	ecsfs_hap_config_free(h->desired);
	ecsfs_hap_config_free(h->target);
	ecsfs_hap_config_free(h->applied);
	ecsfs__hap_plan_release(&h->plan);
	free(h->live);
	free(h->fe_errs);
	ecsfs_buf_release(&h->bound);
	ecsfs_buf_release(&h->new_bound);
	ecsfs_buf_release(&h->pass_msg);
	ecsfs_buf_release(&h->past_initial);
	free(h->dir);
	free(h->cfg);
	free(h->cfg_new);
	free(h->pidfile);
	free(h->master);
	free(h->admin);
	free(h->statefile);
	free(h->binopt);
	free(h->bin);
}

void ecsfs__hap_unref(ecsfs_haproxy *h)
{
	void (*done)(void *);
	void *data;

	if (--h->refs > 0)
		return;
	done = h->done;
	data = h->done_data;
	free_all(h);
	free(h);
	if (done)
		done(data);
}

static void handle_closed(uv_handle_t *hd)
{
	ecsfs__hap_unref(hd->data);
}

static void cli_closed(void *data)
{
	ecsfs__hap_unref(data);
}

static void cancel_waiters(hap_waiter **list)
{
	hap_waiter *w;
	while ((w = *list)) {
		*list = w->next;
		w->cb(w->data, -ECANCELED, "the HAProxy driver closed");
		free(w);
	}
}

void ecsfs_haproxy_close(ecsfs_haproxy *h, void (*done)(void *data), void *data)
{
	if (!h)
		return;
	h->closing = true;
	h->done = done;
	h->done_data = data;
	h->change_cb = NULL;
	cancel_waiters(&h->inpass);
	cancel_waiters(&h->waiting);
	uv_close((uv_handle_t *)&h->monitor, handle_closed);
	uv_close((uv_handle_t *)&h->wait, handle_closed);
	ecsfs__hap_cli_close(h->cli, cli_closed, h);
	ecsfs__hap_unref(h);
}

void ecsfs__hap_changed(ecsfs_haproxy *h)
{
	if (h->change_cb && !h->closing)
		h->change_cb(h->change_data);
}

void ecsfs_haproxy_set_change_cb(ecsfs_haproxy *h, void (*cb)(void *data), void *data)
{
	h->change_cb = cb;
	h->change_data = data;
}

void ecsfs_haproxy_get_info(ecsfs_haproxy *h, ecsfs_hap_info *out)
{
	*out = h->info;
}

/* ---- taking changes ---------------------------------------------------- */

static void queue_waiter(ecsfs_haproxy *h, ecsfs_hap_done_cb cb, void *data)
{
	hap_waiter *w = calloc(1, sizeof(*w)), **p = &h->waiting;
	if (!w)
		abort();
	w->cb = cb;
	w->data = data;
	while (*p)
		p = &(*p)->next;
	*p = w;
}

/* A change was made to h->desired: a pass is due. The kick waits for the
 * loop, so the callback never runs inside the call that queued it. */
static void schedule(ecsfs_haproxy *h, ecsfs_hap_done_cb cb, void *data)
{
	if (cb)
		queue_waiter(h, cb, data);
	h->dirty = true;
	if (!h->in_pass && !h->adopting)
		uv_timer_start(&h->wait, ecsfs__hap_wait_tick, 0, 0);
}

int ecsfs_haproxy_apply(ecsfs_haproxy *h, ecsfs_hap_config *c, ecsfs_hap_done_cb cb, void *data,
			ecsfs_err *err)
{
	int rc = ecsfs__hap_config_check(c, err);
	if (rc < 0) {
		ecsfs_hap_config_free(c);
		return rc;
	}
	ecsfs_hap_config_free(h->desired);
	h->desired = c;
	schedule(h, cb, data);
	return 0;
}

int ecsfs_haproxy_server_set(ecsfs_haproxy *h, const char *backend, const ecsfs_hap_server *s,
			     ecsfs_hap_done_cb cb, void *data, ecsfs_err *err)
{
	hap_backend *be = ecsfs__hap_find_backend(h->desired, backend);
	int rc;

	if (!be)
		return ecsfs_err_set(err, ECSFS_E_RESOURCE_NOT_FOUND, -ENOENT,
				     "no target group %s in the applied config",
				     backend ? backend : "");
	if ((rc = ecsfs__hap_put_server(be, s, err)) < 0)
		return rc;
	schedule(h, cb, data);
	return 0;
}

int ecsfs_haproxy_server_remove(ecsfs_haproxy *h, const char *backend, const char *name,
				ecsfs_hap_done_cb cb, void *data, ecsfs_err *err)
{
	hap_backend *be = ecsfs__hap_find_backend(h->desired, backend);

	if (!be)
		return ecsfs_err_set(err, ECSFS_E_RESOURCE_NOT_FOUND, -ENOENT,
				     "no target group %s in the applied config",
				     backend ? backend : "");
	ecsfs__hap_drop_server(be, name);
	schedule(h, cb, data);
	return 0;
}

int ecsfs_haproxy_frontend_error(ecsfs_haproxy *h, const char *name, ecsfs_err *err)
{
	size_t i;
	if (!ecsfs__hap_find_frontend(h->desired, name))
		return ecsfs_err_set(err, ECSFS_E_RESOURCE_NOT_FOUND, -ENOENT, "no listener %s",
				     name ? name : "");
	for (i = 0; i < h->nfe_errs; i++)
		if (strcmp(h->fe_errs[i].name, name) == 0)
			return ecsfs_err_set(err, ECSFS_E_RESOURCE_IN_USE, h->fe_errs[i].code, "%s",
					     h->fe_errs[i].msg);
	return 0;
}

/* ---- reading servers back ---------------------------------------------- */

typedef struct hap_read {
	ecsfs_haproxy *h;
	char *backend;
	ecsfs_hap_servers_cb cb;
	void *data;
	ecsfs_hap_server_status *st;
	size_t n;
} hap_read;

static void read_free(hap_read *r)
{
	free(r->backend);
	free(r->st);
	free(r);
}

static void read_fail(hap_read *r, int err)
{
	const char *msg = err == -ECANCELED ? "the HAProxy driver closed"
			  : err == -ESRCH   ? "HAProxy is not running"
			  : err == -ETIMEDOUT
			      ? "HAProxy did not answer on its admin socket"
			      : "HAProxy's admin socket gave an answer that is not understood";
	r->cb(r->data, err, msg, NULL, 0);
	read_free(r);
}

static int read_errno(int err)
{
	return err == -ECONNREFUSED || err == -ENOENT ? -ESRCH : err;
}

/* Where "\nbackend/server\n" is in the set of servers past their initial
 * checks, or NULL. */
static char *past_find(ecsfs_haproxy *h, const hap_live *l, ecsfs_buf *key)
{
	ecsfs_buf_setf(key, "\n%s/%s\n", l->backend, l->name);
	return h->past_initial.len ? strstr(h->past_initial.data, key->data) : NULL;
}

static void past_mark(ecsfs_haproxy *h, const hap_live *l)
{
	ecsfs_buf key = ECSFS_BUF_INIT;
	if (!past_find(h, l, &key)) {
		if (!h->past_initial.len)
			ecsfs_buf_addch(&h->past_initial, '\n');
		ecsfs_buf_add(&h->past_initial, key.data + 1, key.len - 1);
	}
	ecsfs_buf_release(&key);
}

/* fall × interval of the backend's check, in seconds (rounded up). */
static int fail_time_s(ecsfs_haproxy *h, const char *backend)
{
	const hap_backend *be = ecsfs__hap_find_backend(h->desired, backend);
	if (!be || !be->b.check.enabled)
		return 0;
	return (be->b.check.fall * be->b.check.interval_ms + 999) / 1000;
}

/*
 * ALB's health of a server that is down: unhealthy once it has been
 * healthy or unhealthy before (a reload resets HAProxy's view, not the
 * target's), or when its checks have failed for fall × interval since it
 * was added; else initial. The driver remembers which servers are past
 * their initial checks; after a restart of the daemon it learns again.
 */
static ecsfs_hap_health settle_health(ecsfs_haproxy *h, const hap_live *l)
{
	ecsfs_hap_health health = ecsfs__hap_live_health(l);
	ecsfs_buf key = ECSFS_BUF_INIT;

	if (health == ECSFS_HAP_HEALTH_INITIAL &&
	    (past_find(h, l, &key) ||
	     (l->check_result == 2 && l->since_change_s >= fail_time_s(h, l->backend))))
		health = ECSFS_HAP_HEALTH_UNHEALTHY;
	if (health == ECSFS_HAP_HEALTH_HEALTHY || health == ECSFS_HAP_HEALTH_UNHEALTHY)
		past_mark(h, l);
	ecsfs_buf_release(&key);
	return health;
}

static void read_stat_done(void *data, int err, const char *out, size_t len)
{
	hap_read *r = data;
	if (err < 0) {
		read_fail(r, read_errno(err));
		return;
	}
	ecsfs__hap_apply_stat(out, r->st, r->n);
	r->cb(r->data, 0, "", r->st, r->n);
	read_free(r);
}

static void status_from_live(ecsfs_haproxy *h, ecsfs_hap_server_status *s, const hap_live *l)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->backend, sizeof(s->backend), "%s", l->backend);
	snprintf(s->name, sizeof(s->name), "%s", l->name);
	snprintf(s->addr, sizeof(s->addr), "%s", l->addr);
	s->port = l->port;
	s->admin = ecsfs__hap_live_admin(l);
	s->up = l->op_state != 0;
	s->health = settle_health(h, l);
	s->weight = l->uweight;
}

static void read_state_done(void *data, int err, const char *out, size_t len)
{
	hap_read *r = data;
	hap_live *live = NULL;
	size_t n = 0, i, tl = strlen(HAP_TWIN_PREFIX);
	ecsfs_buf cmd = ECSFS_BUF_INIT;

	if (err < 0 || ecsfs__hap_parse_state(out, &live, &n) < 0) {
		read_fail(r, err < 0 ? read_errno(err) : -EIO);
		return;
	}
	r->st = calloc(n ? n : 1, sizeof(*r->st));
	if (!r->st)
		abort();
	if (!r->backend) /* forget the servers that are gone */
		ecsfs_buf_reset(&r->h->past_initial);
	for (i = 0; i < n; i++)
		if (strncmp(live[i].name, HAP_TWIN_PREFIX, tl) != 0)
			status_from_live(r->h, &r->st[r->n++], &live[i]);
	free(live);
	if (r->backend)
		ecsfs_buf_addf(&cmd, "show stat be_%s 4 -1", r->backend);
	else
		ecsfs_buf_adds(&cmd, "show stat -1 4 -1");
	ecsfs__hap_cli_send(r->h->cli, HAP_SOCK_ADMIN, cmd.data, read_stat_done, r);
	ecsfs_buf_release(&cmd);
}

int ecsfs_haproxy_servers(ecsfs_haproxy *h, const char *backend, ecsfs_hap_servers_cb cb,
			  void *data)
{
	hap_read *r;
	ecsfs_buf cmd = ECSFS_BUF_INIT;

	if (backend && !ecsfs__hap_find_backend(h->desired, backend))
		return -ENOENT;
	r = calloc(1, sizeof(*r));
	if (!r)
		abort();
	r->h = h;
	r->backend = backend ? strdup(backend) : NULL;
	r->cb = cb;
	r->data = data;
	if (backend)
		ecsfs_buf_addf(&cmd, "show servers state be_%s", backend);
	else
		ecsfs_buf_adds(&cmd, "show servers state");
	ecsfs__hap_cli_send(h->cli, HAP_SOCK_ADMIN, cmd.data, read_state_done, r);
	ecsfs_buf_release(&cmd);
	return 0;
}
