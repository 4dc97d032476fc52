/* ecsfs — the HAProxy driver's config model: what the builder functions
 * accept, the copies they keep, and the lookups the driver needs. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/haproxy_private.h"

#define E_INVAL(err, ...) ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL, __VA_ARGS__)

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p)
		abort();
	return p;
}

static char *xstrdup(const char *s)
{
	char *d;
	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		abort();
	return d;
}

/* Grow *arr of *n elements by one zeroed element; returns it. */
static void *grow(void *arr_p, size_t *n, size_t size)
{
	void **arr = arr_p;
	char *p = realloc(*arr, (*n + 1) * size);
	if (!p)
		abort();
	*arr = p;
	memset(p + *n * size, 0, size);
	return p + (*n)++ * size;
}

/* ---- checks of single values ------------------------------------------- */

static bool name_ok(const char *s)
{
	size_t i, n = s ? strlen(s) : 0;
	if (n == 0 || n > ECSFS_HAP_NAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == ':' || ch == '-'))
			return false;
	}
	return true;
}

/* Printable ASCII of 1..max bytes (patterns, paths, redirect fields). */
static bool text_ok(const char *s, size_t max, bool empty_ok)
{
	size_t i, n = s ? strlen(s) : 0;
	if (!s || n > max || (n == 0 && !empty_ok))
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

bool ecsfs__hap_addr_ok(const char *addr)
{
	unsigned char b[16];
	return addr && (inet_pton(AF_INET, addr, b) == 1 || inet_pton(AF_INET6, addr, b) == 1);
}

static int cond_check(const ecsfs_hap_cond *c, ecsfs_err *err)
{
	size_t i;
	if (c->type > ECSFS_HAP_COND_HEADER)
		return E_INVAL(err, "condition: unknown type %d", (int)c->type);
	if (c->type == ECSFS_HAP_COND_HEADER) {
		size_t j, n = c->header ? strlen(c->header) : 0;
		if (n == 0 || n > 40)
			return E_INVAL(err, "http-header condition: a header name of 1 to 40 "
					    "characters is required");
		for (j = 0; j < n; j++)
			if (!strchr(
				"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_",
				c->header[j]))
				return E_INVAL(err,
					       "http-header condition: '%s' is not a header name",
					       c->header);
	}
	if (!c->values || !c->values[0])
		return E_INVAL(err, "condition: at least one value is required");
	for (i = 0; c->values[i]; i++) {
		if (i >= 5)
			return E_INVAL(err, "condition: at most 5 values");
		if (!text_ok(c->values[i], 128, false))
			return E_INVAL(err, "condition value '%s': 1 to 128 printable characters",
				       c->values[i]);
	}
	return 0;
}

static int redirect_check(const ecsfs_hap_action *a, ecsfs_err *err)
{
	const char *f[] = {a->protocol, a->host, a->port, a->path, a->query};
	size_t i;
	if (a->status != 301 && a->status != 302)
		return E_INVAL(err, "redirect: status %d is not 301 or 302", a->status);
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (f[i] && !text_ok(f[i], 128, true))
			return E_INVAL(err, "redirect: '%s' is not up to 128 printable characters",
				       f[i]);
	if (a->path && a->path[0] != '/')
		return E_INVAL(err, "redirect: path '%s' must start with '/'", a->path);
	return 0;
}

static int action_check(const ecsfs_hap_action *a, ecsfs_hap_mode mode, ecsfs_err *err)
{
	size_t i;
	if (mode == ECSFS_HAP_TCP && a->type != ECSFS_HAP_FORWARD)
		return E_INVAL(err, "a TCP listener can only forward");
	switch (a->type) {
	case ECSFS_HAP_FORWARD:
		if (!a->to || a->nto == 0 || a->nto > 5)
			return E_INVAL(err, "forward: 1 to 5 backends are required");
		for (i = 0; i < a->nto; i++) {
			if (!name_ok(a->to[i].backend))
				return E_INVAL(err, "forward: '%s' is not a backend name",
					       a->to[i].backend ? a->to[i].backend : "");
			if (a->nto > 1 && (a->to[i].weight < 0 || a->to[i].weight > 999))
				return E_INVAL(err, "forward: weight %d is not in 0..999",
					       a->to[i].weight);
		}
		return 0;
	case ECSFS_HAP_FIXED:
		if (a->status < 200 || a->status > 599)
			return E_INVAL(err, "fixed-response: status %d is not in 200..599",
				       a->status);
		if (a->content_type && !text_ok(a->content_type, 64, false))
			return E_INVAL(err, "fixed-response: a bad content type");
		if (a->body && strlen(a->body) > 1024)
			return E_INVAL(err, "fixed-response: the body is over 1024 bytes");
		return 0;
	case ECSFS_HAP_REDIRECT: return redirect_check(a, err);
	}
	return E_INVAL(err, "action: unknown type %d", (int)a->type);
}

static int check_check(const ecsfs_hap_check *k, ecsfs_err *err)
{
	if (!k->enabled)
		return 0;
	if (k->interval_ms < 100 || k->interval_ms > 3600000)
		return E_INVAL(err, "health check: interval %d ms is not in 100..3600000",
			       k->interval_ms);
	if (k->timeout_ms < 100 || k->timeout_ms > 3600000)
		return E_INVAL(err, "health check: timeout %d ms is not in 100..3600000",
			       k->timeout_ms);
	if (k->rise < 1 || k->rise > 100 || k->fall < 1 || k->fall > 100)
		return E_INVAL(err, "health check: thresholds must be in 1..100");
	if (k->port < 0 || k->port > 65535)
		return E_INVAL(err, "health check: port %d is not in 0..65535", k->port);
	if (!k->http)
		return 0;
	if (!k->path || k->path[0] != '/' || !text_ok(k->path, 1024, false) || strchr(k->path, ' '))
		return E_INVAL(err,
			       "health check: path '%s' must start with '/' and hold no "
			       "space",
			       k->path ? k->path : "");
	return 0;
}

static int server_check(const ecsfs_hap_server *s, ecsfs_err *err)
{
	if (!name_ok(s->name) || strncmp(s->name, HAP_TWIN_PREFIX, strlen(HAP_TWIN_PREFIX)) == 0)
		return E_INVAL(err,
			       "server name '%s': 1 to %d of [A-Za-z0-9_.:-], not starting "
			       "with '" HAP_TWIN_PREFIX "'",
			       s->name ? s->name : "", ECSFS_HAP_NAME_MAX);
	if (!ecsfs__hap_addr_ok(s->addr))
		return E_INVAL(err, "server %s: '%s' is not an IP address", s->name,
			       s->addr ? s->addr : "");
	if (s->port < 1 || s->port > 65535)
		return E_INVAL(err, "server %s: port %d is not in 1..65535", s->name, s->port);
	if (s->weight < 0 || s->weight > 256)
		return E_INVAL(err, "server %s: weight %d is not in 0..256", s->name, s->weight);
	if (s->admin > ECSFS_HAP_MAINT)
		return E_INVAL(err, "server %s: unknown state %d", s->name, (int)s->admin);
	return 0;
}

/* ---- copies ------------------------------------------------------------ */

static void action_copy(ecsfs_hap_action *d, const ecsfs_hap_action *s)
{
	size_t i;
	*d = *s;
	d->to = NULL;
	if (s->type == ECSFS_HAP_FORWARD) {
		ecsfs_hap_weighted *to = xcalloc(s->nto, sizeof(*to));
		for (i = 0; i < s->nto; i++) {
			to[i].backend = xstrdup(s->to[i].backend);
			to[i].weight = s->to[i].weight;
		}
		d->to = to;
	}
	d->content_type = xstrdup(s->content_type);
	d->body = xstrdup(s->body);
	d->protocol = xstrdup(s->protocol);
	d->host = xstrdup(s->host);
	d->port = xstrdup(s->port);
	d->path = xstrdup(s->path);
	d->query = xstrdup(s->query);
}

static void action_free(ecsfs_hap_action *a)
{
	size_t i;
	for (i = 0; a->to && i < a->nto; i++)
		free((char *)a->to[i].backend);
	free((void *)a->to);
	free((char *)a->content_type);
	free((char *)a->body);
	free((char *)a->protocol);
	free((char *)a->host);
	free((char *)a->port);
	free((char *)a->path);
	free((char *)a->query);
	memset(a, 0, sizeof(*a));
}

static void cond_copy(ecsfs_hap_cond *d, const ecsfs_hap_cond *s)
{
	size_t i, n = 0;
	const char **v;
	while (s->values[n])
		n++;
	v = xcalloc(n + 1, sizeof(*v));
	for (i = 0; i < n; i++)
		v[i] = xstrdup(s->values[i]);
	d->type = s->type;
	d->header = xstrdup(s->header);
	d->values = v;
}

static void cond_free(ecsfs_hap_cond *c)
{
	size_t i;
	for (i = 0; c->values && c->values[i]; i++)
		free((char *)c->values[i]);
	free((void *)c->values);
	free((char *)c->header);
}

static void server_copy(ecsfs_hap_server *d, const ecsfs_hap_server *s)
{
	*d = *s;
	d->name = xstrdup(s->name);
	d->addr = xstrdup(s->addr);
}

static void server_free(ecsfs_hap_server *s)
{
	free((char *)s->name);
	free((char *)s->addr);
}

/* ---- the builder ------------------------------------------------------- */

ecsfs_hap_config *ecsfs_hap_config_new(void)
{
	return xcalloc(1, sizeof(ecsfs_hap_config));
}

static void frontend_free(hap_frontend *fe)
{
	size_t i, j;
	for (i = 0; i < fe->nrules; i++) {
		for (j = 0; j < fe->rules[i].nconds; j++)
			cond_free(&fe->rules[i].conds[j]);
		free(fe->rules[i].conds);
		action_free(&fe->rules[i].action);
	}
	free(fe->rules);
	action_free(&fe->def);
	free(fe->name);
	free(fe->addr);
}

void ecsfs_hap_config_free(ecsfs_hap_config *c)
{
	size_t i, j;
	if (!c)
		return;
	for (i = 0; i < c->nfe; i++)
		frontend_free(&c->fe[i]);
	for (i = 0; i < c->nbe; i++) {
		for (j = 0; j < c->be[i].nservers; j++)
			server_free(&c->be[i].servers[j]);
		free(c->be[i].servers);
		free((char *)c->be[i].b.name);
		free((char *)c->be[i].b.check.path);
		free((char *)c->be[i].b.check.codes);
	}
	free(c->fe);
	free(c->be);
	free(c);
}

hap_frontend *ecsfs__hap_find_frontend(const ecsfs_hap_config *c, const char *name)
{
	size_t i;
	for (i = 0; c && name && i < c->nfe; i++)
		if (strcmp(c->fe[i].name, name) == 0)
			return &c->fe[i];
	return NULL;
}

hap_backend *ecsfs__hap_find_backend(const ecsfs_hap_config *c, const char *name)
{
	size_t i;
	for (i = 0; c && name && i < c->nbe; i++)
		if (strcmp(c->be[i].b.name, name) == 0)
			return &c->be[i];
	return NULL;
}

ecsfs_hap_server *ecsfs__hap_find_server(const hap_backend *be, const char *name)
{
	size_t i;
	for (i = 0; be && name && i < be->nservers; i++)
		if (strcmp(be->servers[i].name, name) == 0)
			return &be->servers[i];
	return NULL;
}

int ecsfs_hap_config_add_frontend(ecsfs_hap_config *c, const char *name, const char *addr, int port,
				  ecsfs_hap_mode mode, ecsfs_err *err)
{
	static const ecsfs_hap_action unset = {.type = ECSFS_HAP_FIXED, .status = 503};
	hap_frontend *fe;
	size_t i;

	if (!name_ok(name))
		return E_INVAL(err, "listener name '%s': 1 to %d of [A-Za-z0-9_.:-]",
			       name ? name : "", ECSFS_HAP_NAME_MAX);
	if (!ecsfs__hap_addr_ok(addr))
		return E_INVAL(err, "listener %s: '%s' is not an IP address", name,
			       addr ? addr : "");
	if (port < 1 || port > 65535)
		return E_INVAL(err, "listener %s: port %d is not in 1..65535", name, port);
	if (mode != ECSFS_HAP_HTTP && mode != ECSFS_HAP_TCP)
		return E_INVAL(err, "listener %s: unknown mode %d", name, (int)mode);
	for (i = 0; i < c->nfe; i++)
		if (strcmp(c->fe[i].name, name) == 0 ||
		    (c->fe[i].port == port && strcmp(c->fe[i].addr, addr) == 0))
			return ecsfs_err_set(err, ECSFS_E_RESOURCE_IN_USE, -EEXIST,
					     "listener %s: %s:%d is taken by listener %s", name,
					     addr, port, c->fe[i].name);
	if (c->nfe >= ECSFS_HAP_MAX_FRONTENDS)
		return ecsfs_err_set(err, ECSFS_E_LIMIT_EXCEEDED, -ENOSPC, "at most %d listeners",
				     ECSFS_HAP_MAX_FRONTENDS);
	fe = grow(&c->fe, &c->nfe, sizeof(*fe));
	fe->name = xstrdup(name);
	fe->addr = xstrdup(addr);
	fe->port = port;
	fe->mode = mode;
	action_copy(&fe->def, &unset);
	return 0;
}

int ecsfs_hap_config_add_rule(ecsfs_hap_config *c, const char *frontend,
			      const ecsfs_hap_cond *conds, size_t nconds,
			      const ecsfs_hap_action *action, ecsfs_err *err)
{
	hap_frontend *fe = ecsfs__hap_find_frontend(c, frontend);
	hap_rule *r;
	size_t i;
	int rc;

	if (!fe)
		return ecsfs_err_set(err, ECSFS_E_RESOURCE_NOT_FOUND, -ENOENT, "no listener %s",
				     frontend ? frontend : "");
	if (fe->mode == ECSFS_HAP_TCP)
		return E_INVAL(err, "listener %s: a TCP listener takes no rules", fe->name);
	if (nconds > 5)
		return E_INVAL(err, "rule: at most 5 conditions");
	for (i = 0; i < nconds; i++)
		if ((rc = cond_check(&conds[i], err)) < 0)
			return rc;
	if ((rc = action_check(action, fe->mode, err)) < 0)
		return rc;
	if (fe->nrules >= ECSFS_HAP_MAX_RULES)
		return ecsfs_err_set(err, ECSFS_E_LIMIT_EXCEEDED, -ENOSPC,
				     "listener %s: at most %d rules", fe->name,
				     ECSFS_HAP_MAX_RULES);
	r = grow(&fe->rules, &fe->nrules, sizeof(*r));
	r->conds = xcalloc(nconds, sizeof(*r->conds));
	for (i = 0; i < nconds; i++)
		cond_copy(&r->conds[i], &conds[i]);
	r->nconds = nconds;
	action_copy(&r->action, action);
	return 0;
}

int ecsfs_hap_config_set_default(ecsfs_hap_config *c, const char *frontend,
				 const ecsfs_hap_action *action, ecsfs_err *err)
{
	hap_frontend *fe = ecsfs__hap_find_frontend(c, frontend);
	int rc;

	if (!fe)
		return ecsfs_err_set(err, ECSFS_E_RESOURCE_NOT_FOUND, -ENOENT, "no listener %s",
				     frontend ? frontend : "");
	if ((rc = action_check(action, fe->mode, err)) < 0)
		return rc;
	action_free(&fe->def);
	action_copy(&fe->def, action);
	return 0;
}

int ecsfs_hap_config_add_backend(ecsfs_hap_config *c, const ecsfs_hap_backend *b, ecsfs_err *err)
{
	hap_backend *be;
	int rc;

	if (!name_ok(b->name))
		return E_INVAL(err, "target group name '%s': 1 to %d of [A-Za-z0-9_.:-]",
			       b->name ? b->name : "", ECSFS_HAP_NAME_MAX);
	if (b->mode != ECSFS_HAP_HTTP && b->mode != ECSFS_HAP_TCP)
		return E_INVAL(err, "target group %s: unknown mode %d", b->name, (int)b->mode);
	if (b->slowstart_s < 0 || b->slowstart_s > 900)
		return E_INVAL(err, "target group %s: slow start %d s is not in 0..900", b->name,
			       b->slowstart_s);
	if ((rc = check_check(&b->check, err)) < 0)
		return rc;
	if (b->check.enabled && b->check.http) {
		ecsfs_buf tmp = ECSFS_BUF_INIT;
		rc = ecsfs__hap_codes_regex(b->check.codes ? b->check.codes : "200", &tmp);
		ecsfs_buf_release(&tmp);
		if (rc < 0)
			return E_INVAL(err,
				       "target group %s: matcher '%s': codes or ranges of "
				       "100..599 like \"200\", \"200,202\", \"200-299\"",
				       b->name, b->check.codes);
	}
	if (ecsfs__hap_find_backend(c, b->name))
		return ecsfs_err_set(err, ECSFS_E_RESOURCE_IN_USE, -EEXIST,
				     "target group %s: the name is taken", b->name);
	if (c->nbe >= ECSFS_HAP_MAX_BACKENDS)
		return ecsfs_err_set(err, ECSFS_E_LIMIT_EXCEEDED, -ENOSPC,
				     "at most %d target groups", ECSFS_HAP_MAX_BACKENDS);
	be = grow(&c->be, &c->nbe, sizeof(*be));
	be->b = *b;
	be->b.name = xstrdup(b->name);
	be->b.check.path = xstrdup(b->check.path);
	be->b.check.codes = xstrdup(b->check.codes);
	return 0;
}

int ecsfs__hap_put_server(hap_backend *be, const ecsfs_hap_server *s, ecsfs_err *err)
{
	ecsfs_hap_server *old;
	int rc;

	if ((rc = server_check(s, err)) < 0)
		return rc;
	if ((old = ecsfs__hap_find_server(be, s->name))) {
		server_free(old);
		server_copy(old, s);
		return 0;
	}
	if (be->nservers >= ECSFS_HAP_MAX_SERVERS)
		return ecsfs_err_set(err, ECSFS_E_LIMIT_EXCEEDED, -ENOSPC,
				     "target group %s: at most %d targets", be->b.name,
				     ECSFS_HAP_MAX_SERVERS);
	server_copy(grow(&be->servers, &be->nservers, sizeof(*s)), s);
	return 0;
}

void ecsfs__hap_drop_server(hap_backend *be, const char *name)
{
	ecsfs_hap_server *s = ecsfs__hap_find_server(be, name);
	size_t i;
	if (!s)
		return;
	i = (size_t)(s - be->servers);
	server_free(s);
	memmove(s, s + 1, (be->nservers - i - 1) * sizeof(*s));
	be->nservers--;
}

int ecsfs_hap_config_add_server(ecsfs_hap_config *c, const char *backend, const ecsfs_hap_server *s,
				ecsfs_err *err)
{
	hap_backend *be = ecsfs__hap_find_backend(c, backend);
	if (!be)
		return ecsfs_err_set(err, ECSFS_E_RESOURCE_NOT_FOUND, -ENOENT, "no target group %s",
				     backend ? backend : "");
	if (s->name && ecsfs__hap_find_server(be, s->name))
		return ecsfs_err_set(err, ECSFS_E_RESOURCE_IN_USE, -EEXIST,
				     "target group %s: target %s is there already", backend,
				     s->name);
	return ecsfs__hap_put_server(be, s, err);
}

ecsfs_hap_config *ecsfs__hap_config_dup(const ecsfs_hap_config *c)
{
	ecsfs_hap_config *d = ecsfs_hap_config_new();
	size_t i, j;

	for (i = 0; i < c->nfe; i++) {
		const hap_frontend *s = &c->fe[i];
		hap_frontend *fe = grow(&d->fe, &d->nfe, sizeof(*fe));
		fe->name = xstrdup(s->name);
		fe->addr = xstrdup(s->addr);
		fe->port = s->port;
		fe->mode = s->mode;
		action_copy(&fe->def, &s->def);
		for (j = 0; j < s->nrules; j++) {
			hap_rule *r = grow(&fe->rules, &fe->nrules, sizeof(*r));
			size_t k;
			r->conds = xcalloc(s->rules[j].nconds, sizeof(*r->conds));
			for (k = 0; k < s->rules[j].nconds; k++)
				cond_copy(&r->conds[k], &s->rules[j].conds[k]);
			r->nconds = s->rules[j].nconds;
			action_copy(&r->action, &s->rules[j].action);
		}
	}
	for (i = 0; i < c->nbe; i++) {
		hap_backend *be = grow(&d->be, &d->nbe, sizeof(*be));
		be->b = c->be[i].b;
		be->b.name = xstrdup(c->be[i].b.name);
		be->b.check.path = xstrdup(c->be[i].b.check.path);
		be->b.check.codes = xstrdup(c->be[i].b.check.codes);
		be->servers = xcalloc(c->be[i].nservers, sizeof(*be->servers));
		for (j = 0; j < c->be[i].nservers; j++)
			server_copy(&be->servers[j], &c->be[i].servers[j]);
		be->nservers = c->be[i].nservers;
	}
	return d;
}

static int action_refs_check(const ecsfs_hap_config *c, const hap_frontend *fe,
			     const ecsfs_hap_action *a, ecsfs_err *err)
{
	size_t i;
	for (i = 0; a->type == ECSFS_HAP_FORWARD && i < a->nto; i++) {
		const hap_backend *be = ecsfs__hap_find_backend(c, a->to[i].backend);
		if (!be)
			return ecsfs_err_set(err, ECSFS_E_RESOURCE_NOT_FOUND, -EINVAL,
					     "listener %s: no target group %s", fe->name,
					     a->to[i].backend);
		if (be->b.mode != fe->mode)
			return E_INVAL(err, "listener %s: target group %s is %s, the listener %s",
				       fe->name, be->b.name,
				       be->b.mode == ECSFS_HAP_TCP ? "TCP" : "HTTP",
				       fe->mode == ECSFS_HAP_TCP ? "TCP" : "HTTP");
	}
	return 0;
}

int ecsfs__hap_config_check(const ecsfs_hap_config *c, ecsfs_err *err)
{
	size_t i, j;
	int rc;
	for (i = 0; i < c->nfe; i++) {
		for (j = 0; j < c->fe[i].nrules; j++)
			if ((rc = action_refs_check(c, &c->fe[i], &c->fe[i].rules[j].action, err)) <
			    0)
				return rc;
		if ((rc = action_refs_check(c, &c->fe[i], &c->fe[i].def, err)) < 0)
			return rc;
	}
	return 0;
}
