/* ecsfs — rendering the config model as an HAProxy 2.6 configuration file.
 *
 * Every argument that comes from the controller is written with HAProxy's
 * \xNN escapes for anything but a few safe characters, so no value can
 * break out of its word (quotes, '#', '$', spaces, newlines in a body).
 *
 * Rules: HAProxy runs every "http-request" rule before any "use_backend",
 * whatever their order in the file, so ALB's "first rule that holds wins"
 * is written with http-request rules only: a forward sets the variable
 * txn.ecsfs_be to the backend, fixed responses and redirects end the
 * request, each rule also requires that no earlier forward set the
 * variable, and one "use_backend %[var(txn.ecsfs_be)]" at the end routes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/haproxy_private.h"

#define ROUTED "ecsfs_routed" /* the acl: an earlier rule chose a backend */

/* One argument, escaped so the parser gives back exactly `s`. */
static void word(ecsfs_buf *out, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	if (!*s) {
		ecsfs_buf_adds(out, "\"\"");
		return;
	}
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("_-./:@+=()[]|,^*?", ch)) {
			ecsfs_buf_addch(out, (char)ch);
			continue;
		}
		ecsfs_buf_adds(out, "\\x");
		ecsfs_buf_addch(out, hex[ch >> 4]);
		ecsfs_buf_addch(out, hex[ch & 15]);
	}
}

/* addr:port as HAProxy reads it ("[::1]:80" for IPv6). */
static void hostport(ecsfs_buf *out, const char *addr, int port)
{
	if (strchr(addr, ':'))
		ecsfs_buf_addf(out, "[%s]:%d", addr, port);
	else
		ecsfs_buf_addf(out, "%s:%d", addr, port);
}

/* An ALB pattern ('*', '?') as an anchored regex. */
static void glob_regex(ecsfs_buf *out, const char *glob)
{
	ecsfs_buf_addch(out, '^');
	for (; *glob; glob++) {
		char ch = *glob;
		if (ch == '*')
			ecsfs_buf_adds(out, ".*");
		else if (ch == '?')
			ecsfs_buf_addch(out, '.');
		else if (strchr(".^$*+?()[]{}|\\", ch)) {
			ecsfs_buf_addch(out, '\\');
			ecsfs_buf_addch(out, ch);
		} else
			ecsfs_buf_addch(out, ch);
	}
	ecsfs_buf_addch(out, '$');
}

static int parse_code(const char **p)
{
	int v = 0, n = 0;
	while (**p >= '0' && **p <= '9' && n < 4) {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	return n == 3 ? v : -1;
}

int ecsfs__hap_codes_regex(const char *codes, ecsfs_buf *out)
{
	const char *p = codes;
	size_t start = out->len;
	int n = 0;

	ecsfs_buf_adds(out, "^(");
	for (;;) {
		int lo = parse_code(&p), hi = lo, c;
		if (*p == '-') {
			p++;
			hi = parse_code(&p);
		}
		if (lo < 100 || hi > 599 || hi < lo)
			goto bad;
		for (c = lo; c <= hi; c++)
			ecsfs_buf_addf(out, "%s%d", n++ ? "|" : "", c);
		if (*p == '\0')
			break;
		if (*p++ != ',')
			goto bad;
	}
	ecsfs_buf_adds(out, ")$");
	return 0;
bad:
	ecsfs_buf_setlen(out, start);
	return -EINVAL;
}

/* ---- rules ------------------------------------------------------------- */

static void cond_acl(ecsfs_buf *out, const ecsfs_hap_cond *c, size_t rule, size_t n)
{
	size_t i;
	ecsfs_buf re = ECSFS_BUF_INIT;

	ecsfs_buf_addf(out, "\tacl r%zu_%zu ", rule, n);
	switch (c->type) {
	case ECSFS_HAP_COND_PATH: ecsfs_buf_adds(out, "path -m reg"); break;
	case ECSFS_HAP_COND_HOST: ecsfs_buf_adds(out, "req.hdr(host),field(1,:) -m reg -i"); break;
	case ECSFS_HAP_COND_HEADER: ecsfs_buf_addf(out, "req.fhdr(%s) -m reg -i", c->header); break;
	}
	for (i = 0; c->values[i]; i++) {
		ecsfs_buf_reset(&re);
		glob_regex(&re, c->values[i]);
		ecsfs_buf_addch(out, ' ');
		word(out, re.data);
	}
	ecsfs_buf_addch(out, '\n');
	ecsfs_buf_release(&re);
}

/* " if r3_0 r3_1 !ecsfs_routed" for rule `rule` (SIZE_MAX: the default). */
static void cond_ref(ecsfs_buf *out, size_t rule, size_t nconds)
{
	size_t i;
	ecsfs_buf_adds(out, " if");
	for (i = 0; i < nconds; i++)
		ecsfs_buf_addf(out, " r%zu_%zu", rule, i);
	ecsfs_buf_adds(out, " !" ROUTED);
}

/* ALB's #{...} fields in a redirect as a log-format string. */
static void lf_expand(ecsfs_buf *out, const char *s, bool lower)
{
	static const struct {
		const char *key, *fmt;
	} keys[] = {
	    {"#{protocol}", "%[ssl_fc,iif(https,http)]"},
	    {"#{host}", "%[req.hdr(host),field(1,:)]"},
	    {"#{port}", "%[dst_port]"},
	    {"#{path}", "%[path,regsub(^/,)]"},
	    {"#{query}", "%[query]"},
	};
	size_t i;
	while (*s) {
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (strncmp(s, keys[i].key, strlen(keys[i].key)) == 0)
				break;
		if (i < sizeof(keys) / sizeof(keys[0])) {
			ecsfs_buf_adds(out, keys[i].fmt);
			s += strlen(keys[i].key);
			continue;
		}
		if (*s == '%')
			ecsfs_buf_addch(out, '%');
		ecsfs_buf_addch(out, lower && *s >= 'A' && *s <= 'Z' ? (char)(*s - 'A' + 'a') : *s);
		s++;
	}
}

static void redirect_line(ecsfs_buf *out, const ecsfs_hap_action *a, bool with_query,
			  const char *query)
{
	ecsfs_buf loc = ECSFS_BUF_INIT;
	lf_expand(&loc, a->protocol ? a->protocol : "#{protocol}", true);
	ecsfs_buf_adds(&loc, "://");
	lf_expand(&loc, a->host ? a->host : "#{host}", false);
	ecsfs_buf_addch(&loc, ':');
	lf_expand(&loc, a->port ? a->port : "#{port}", false);
	lf_expand(&loc, a->path ? a->path : "/#{path}", false);
	if (with_query) {
		ecsfs_buf_addch(&loc, '?');
		lf_expand(&loc, query, false);
	}
	ecsfs_buf_adds(out, "\thttp-request redirect location ");
	word(out, loc.data);
	ecsfs_buf_addf(out, " code %d", a->status);
	ecsfs_buf_release(&loc);
}

static void redirect_rule(ecsfs_buf *out, const ecsfs_hap_action *a, size_t rule, size_t nconds)
{
	const char *q = a->query ? a->query : "#{query}";
	if (strcmp(q, "#{query}") == 0) {
		/* the request's own query, and no '?' when it has none */
		redirect_line(out, a, true, q);
		cond_ref(out, rule, nconds);
		ecsfs_buf_adds(out, " { query -m len gt 0 }\n");
	}
	redirect_line(out, a, *q && strcmp(q, "#{query}") != 0, q);
	cond_ref(out, rule, nconds);
	ecsfs_buf_addch(out, '\n');
}

static void fixed_rule(ecsfs_buf *out, const char *kw, int status, const char *type,
		       const char *body, size_t rule, size_t nconds)
{
	ecsfs_buf_addf(out, "\t%s return status %d", kw, status);
	if (body && *body) {
		ecsfs_buf_adds(out, " content-type ");
		word(out, type && *type ? type : "text/plain");
		ecsfs_buf_adds(out, " string ");
		word(out, body);
	}
	cond_ref(out, rule, nconds);
	ecsfs_buf_addch(out, '\n');
}

/* A forward: set txn.ecsfs_be, by a weighted draw when it names several. */
static void forward_rule(ecsfs_buf *out, const char *kw, const ecsfs_hap_action *a, size_t rule,
			 size_t nconds)
{
	int sum = 0, acc = 0;
	size_t i, last = 0;

	for (i = 0; i < a->nto; i++)
		if (a->nto == 1 || a->to[i].weight > 0) {
			sum += a->nto == 1 ? 1 : a->to[i].weight;
			last = i;
		}
	if (sum == 0) {
		fixed_rule(out, kw, 503, NULL, NULL, rule, nconds);
		return;
	}
	if (a->nto > 1) {
		ecsfs_buf_addf(out, "\t%s set-var(txn.ecsfs_w) rand(%d)", kw, sum);
		cond_ref(out, rule, nconds);
		ecsfs_buf_addch(out, '\n');
	}
	for (i = 0; i < a->nto; i++) {
		if (a->nto > 1 && a->to[i].weight == 0)
			continue;
		acc += a->nto > 1 ? a->to[i].weight : 1;
		ecsfs_buf_addf(out, "\t%s set-var(txn.ecsfs_be) str(be_%s)", kw, a->to[i].backend);
		cond_ref(out, rule, nconds);
		if (i != last)
			ecsfs_buf_addf(out, " { var(txn.ecsfs_w) -m int lt %d }", acc);
		ecsfs_buf_addch(out, '\n');
	}
}

static void action_rule(ecsfs_buf *out, const char *kw, const ecsfs_hap_action *a, size_t rule,
			size_t nconds)
{
	switch (a->type) {
	case ECSFS_HAP_FORWARD: forward_rule(out, kw, a, rule, nconds); break;
	case ECSFS_HAP_FIXED:
		fixed_rule(out, kw, a->status, a->content_type, a->body, rule, nconds);
		break;
	case ECSFS_HAP_REDIRECT: redirect_rule(out, a, rule, nconds); break;
	}
}

static void frontend(ecsfs_buf *out, const hap_frontend *fe)
{
	bool http = fe->mode == ECSFS_HAP_HTTP;
	const char *kw = http ? "http-request" : "tcp-request content";
	size_t i, j;

	ecsfs_buf_addf(out, "\nfrontend fe_%s\n\tmode %s\n\tbind ", fe->name,
		       http ? "http" : "tcp");
	hostport(out, fe->addr, fe->port);
	ecsfs_buf_adds(out, "\n\tacl " ROUTED " var(txn.ecsfs_be) -m found\n");
	if (http)
		ecsfs_buf_adds(out, "\toption forwardfor\n"
				    "\thttp-request set-header X-Forwarded-Proto http\n"
				    "\thttp-request set-header X-Forwarded-Port %[dst_port]\n");
	for (i = 0; i < fe->nrules; i++)
		for (j = 0; j < fe->rules[i].nconds; j++)
			cond_acl(out, &fe->rules[i].conds[j], i, j);
	for (i = 0; i < fe->nrules; i++)
		action_rule(out, kw, &fe->rules[i].action, i, fe->rules[i].nconds);
	action_rule(out, kw, &fe->def, fe->nrules, 0);
	ecsfs_buf_adds(out, "\tuse_backend %[var(txn.ecsfs_be)] if " ROUTED "\n");
}

/* ---- backends and servers ---------------------------------------------- */

void ecsfs__hap_twin_name(const char *name, ecsfs_buf *out)
{
	ecsfs_buf_adds(out, HAP_TWIN_PREFIX);
	ecsfs_buf_adds(out, name);
}

/* What follows "server NAME" (and "add server BE/NAME"): address, weight,
 * check. Dynamic servers ignore default-server, so all of it is here. */
static void server_args(ecsfs_buf *out, const hap_backend *be, const ecsfs_hap_server *s, bool twin,
			int weight)
{
	const ecsfs_hap_check *k = &be->b.check;
	hostport(out, s->addr, s->port);
	ecsfs_buf_addf(out, " weight %d", weight);
	if (twin) {
		ecsfs_buf_adds(out, " backup");
		return;
	}
	if (k->enabled) {
		ecsfs_buf_addf(out, " check inter %dms rise %d fall %d", k->interval_ms, k->rise,
			       k->fall);
		if (k->port)
			ecsfs_buf_addf(out, " port %d", k->port);
	}
	if (be->b.slowstart_s)
		ecsfs_buf_addf(out, " slowstart %ds", be->b.slowstart_s);
}

void ecsfs__hap_add_server_cmd(const hap_backend *be, const ecsfs_hap_server *s, bool twin,
			       ecsfs_buf *out)
{
	ecsfs_buf_addf(out, "add server be_%s/%s%s ", be->b.name, twin ? HAP_TWIN_PREFIX : "",
		       s->name);
	/* weight 0 until the driver has set its health down: a dynamic server
	 * starts up, and must not take traffic before its checks pass */
	server_args(out, be, s, twin, 0);
}

static void backend_servers(ecsfs_buf *out, const hap_backend *be, const hap_render_opts *o)
{
	size_t i;
	for (i = 0; i < be->nservers; i++) {
		const ecsfs_hap_server *s = &be->servers[i];
		if (o->want_server && !o->want_server(o->data, be, s))
			continue;
		ecsfs_buf_addf(out, "\tserver %s ", s->name);
		server_args(out, be, s, false, s->weight);
		ecsfs_buf_addch(out, '\n');
		if (!be->b.fail_open)
			continue;
		ecsfs_buf_addf(out, "\tserver " HAP_TWIN_PREFIX "%s ", s->name);
		server_args(out, be, s, true, s->weight);
		ecsfs_buf_addch(out, '\n');
	}
}

static void backend(ecsfs_buf *out, const hap_backend *be, const hap_render_opts *o)
{
	const ecsfs_hap_check *k = &be->b.check;

	ecsfs_buf_addf(out, "\nbackend be_%s\n\tmode %s\n\tbalance roundrobin\n", be->b.name,
		       be->b.mode == ECSFS_HAP_HTTP ? "http" : "tcp");
	if (be->b.fail_open)
		ecsfs_buf_adds(out, "\toption allbackups\n");
	if (k->enabled && k->http) {
		ecsfs_buf re = ECSFS_BUF_INIT;
		ecsfs__hap_codes_regex(k->codes ? k->codes : "200", &re);
		ecsfs_buf_adds(out, "\toption httpchk GET ");
		word(out, k->path);
		ecsfs_buf_adds(out, "\n\thttp-check expect rstatus ");
		word(out, re.data);
		ecsfs_buf_addch(out, '\n');
		ecsfs_buf_release(&re);
	}
	if (k->enabled)
		ecsfs_buf_addf(out, "\ttimeout check %dms\n", k->timeout_ms);
	if (o->with_servers)
		backend_servers(out, be, o);
}

static void global(ecsfs_buf *out, const char *dir)
{
	ecsfs_buf_adds(out,
		       "# Written by ecsfs from the load balancers and target groups; a change\n"
		       "# made here is lost at the next one.\n"
		       "global\n"
		       "\tstats socket ");
	word(out, dir);
	ecsfs_buf_adds(out, "/admin.sock mode 600 level admin expose-fd listeners\n"
			    "\tstats timeout 30s\n"
			    "\tserver-state-file ");
	word(out, dir);
	ecsfs_buf_adds(out, "/servers.state\n"
			    "\thard-stop-after 120s\n"
			    "\n"
			    "defaults\n"
			    "\ttimeout connect 5s\n"
			    "\ttimeout client 60s\n"
			    "\ttimeout server 60s\n"
			    "\ttimeout http-request 10s\n"
			    "\ttimeout queue 10s\n"
			    "\ttimeout tunnel 1h\n"
			    "\tretries 3\n"
			    "\toption redispatch 1\n"
			    "\tload-server-state-from-file global\n");
}

static void render_body(const ecsfs_hap_config *c, const hap_render_opts *o, ecsfs_buf *out)
{
	size_t i;
	global(out, o->dir);
	for (i = 0; i < c->nfe; i++)
		if (!o->want_frontend || o->want_frontend(o->data, &c->fe[i]))
			frontend(out, &c->fe[i]);
	for (i = 0; i < c->nbe; i++)
		backend(out, &c->be[i], o);
}

static uint64_t fnv1a(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;
	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h ? h : 1;
}

uint64_t ecsfs__hap_structure_hash(const ecsfs_hap_config *c, const hap_render_opts *o)
{
	hap_render_opts bare = *o;
	ecsfs_buf text = ECSFS_BUF_INIT;
	uint64_t h;

	bare.with_servers = false;
	render_body(c, &bare, &text);
	h = fnv1a(text.data, text.len);
	ecsfs_buf_release(&text);
	return h;
}

void ecsfs__hap_render(const ecsfs_hap_config *c, const hap_render_opts *o, ecsfs_buf *out)
{
	ecsfs_buf_addf(out, "# ecsfs-structure %016llx\n",
		       (unsigned long long)ecsfs__hap_structure_hash(c, o));
	render_body(c, o, out);
}

uint64_t ecsfs__hap_file_hash(const char *text)
{
	unsigned long long h = 0;
	if (sscanf(text, "# ecsfs-structure %llx", &h) != 1)
		return 0;
	return h;
}

int ecsfs_hap_config_render(const ecsfs_hap_config *c, const char *state_dir, bool with_servers,
			    ecsfs_buf *out, ecsfs_err *err)
{
	hap_render_opts o = {.dir = state_dir, .with_servers = with_servers};
	int rc = ecsfs__hap_config_check(c, err);
	if (rc < 0)
		return rc;
	ecsfs__hap_render(c, &o, out);
	return 0;
}
