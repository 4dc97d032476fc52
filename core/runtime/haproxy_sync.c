/* ecsfs — the runtime API commands that bring the servers HAProxy has
 * (`show servers state`) to those of the config: add, change, remove.
 *
 * A new server is added at weight 0, its check enabled, made ready, its
 * health forced down, and only then given its weight: a dynamic server
 * starts up, and the targets of a rollout must not take traffic before
 * their checks pass. Its fail-open twin is a backup without check, so when
 * no server of the backend is up (option allbackups) every target that is
 * not draining or in maintenance gets traffic, as ALB fails open.
 */
#include <stdlib.h>
#include <string.h>

#include "runtime/haproxy_private.h"

static const char *const admin_word[] = {"ready", "drain", "maint"};

static void step(hap_plan *p, ecsfs_buf *cmd, bool del)
{
	hap_step *s;
	size_t len;

	p->steps = realloc(p->steps, (p->n + 1) * sizeof(*p->steps));
	if (!p->steps)
		abort();
	s = &p->steps[p->n++];
	s->cmd = ecsfs_buf_detach(cmd, &len);
	s->del = del;
}

void ecsfs__hap_plan_release(hap_plan *p)
{
	size_t i;
	for (i = 0; i < p->n; i++)
		free(p->steps[i].cmd);
	free(p->steps);
	p->steps = NULL;
	p->n = 0;
}

static const hap_live *live_find(const hap_live *live, size_t n, const char *backend,
				 const char *name, bool twin)
{
	size_t i, tl = strlen(HAP_TWIN_PREFIX);
	for (i = 0; i < n; i++) {
		const char *ln = live[i].name;
		if (strcmp(live[i].backend, backend) != 0)
			continue;
		if (twin && strncmp(ln, HAP_TWIN_PREFIX, tl) == 0 && strcmp(ln + tl, name) == 0)
			return &live[i];
		if (!twin && strcmp(ln, name) == 0)
			return &live[i];
	}
	return NULL;
}

/* "set server state maint", shut what is left, delete. */
static void plan_del(hap_plan *p, const char *backend, const char *name)
{
	ecsfs_buf c = ECSFS_BUF_INIT;
	ecsfs_buf_addf(&c,
		       "set server be_%s/%s state maint; shutdown sessions server be_%s/%s; "
		       "del server be_%s/%s",
		       backend, name, backend, name, backend, name);
	step(p, &c, true);
}

static void plan_add(hap_plan *p, const hap_backend *be, const ecsfs_hap_server *s, bool twin)
{
	const char *b = be->b.name, *pre = twin ? HAP_TWIN_PREFIX : "";
	bool check = !twin && be->b.check.enabled;
	ecsfs_buf c = ECSFS_BUF_INIT;

	ecsfs__hap_add_server_cmd(be, s, twin, &c);
	if (check)
		ecsfs_buf_addf(&c, "; enable health be_%s/%s", b, s->name);
	if (s->admin != ECSFS_HAP_MAINT)
		ecsfs_buf_addf(&c, "; set server be_%s/%s%s state %s", b, pre, s->name,
			       admin_word[s->admin]);
	if (check && s->admin != ECSFS_HAP_MAINT)
		ecsfs_buf_addf(&c, "; set server be_%s/%s health down", b, s->name);
	ecsfs_buf_addf(&c, "; set weight be_%s/%s%s %d", b, pre, s->name, s->weight);
	step(p, &c, false);
}

static void plan_fix(hap_plan *p, const hap_backend *be, const ecsfs_hap_server *s,
		     const hap_live *l, bool twin)
{
	const char *pre = twin ? HAP_TWIN_PREFIX : "";
	ecsfs_buf c = ECSFS_BUF_INIT;

	if (ecsfs__hap_live_admin(l) != s->admin)
		ecsfs_buf_addf(&c, "set server be_%s/%s%s state %s", be->b.name, pre, s->name,
			       admin_word[s->admin]);
	if (l->uweight != s->weight)
		ecsfs_buf_addf(&c, "%sset weight be_%s/%s%s %d", c.len ? "; " : "", be->b.name, pre,
			       s->name, s->weight);
	if (c.len)
		step(p, &c, false);
	else
		ecsfs_buf_release(&c);
}

static void plan_server(hap_plan *p, const hap_backend *be, const ecsfs_hap_server *s,
			const hap_live *live, size_t nlive)
{
	const hap_live *l = live_find(live, nlive, be->b.name, s->name, false);
	const hap_live *t = live_find(live, nlive, be->b.name, s->name, true);

	if (l && (strcmp(l->addr, s->addr) != 0 || l->port != s->port)) {
		plan_del(p, be->b.name, l->name);
		if (t)
			plan_del(p, be->b.name, t->name);
		l = t = NULL;
	}
	if (l)
		plan_fix(p, be, s, l, false);
	else
		plan_add(p, be, s, false);
	if (be->b.fail_open && t)
		plan_fix(p, be, s, t, true);
	else if (be->b.fail_open)
		plan_add(p, be, s, true);
	else if (t)
		plan_del(p, be->b.name, t->name);
}

void ecsfs__hap_plan(const ecsfs_hap_config *target, const hap_live *live, size_t nlive,
		     hap_plan *out)
{
	size_t i, j, tl = strlen(HAP_TWIN_PREFIX);

	out->steps = NULL;
	out->n = 0;
	for (i = 0; i < target->nbe; i++)
		for (j = 0; j < target->be[i].nservers; j++)
			plan_server(out, &target->be[i], &target->be[i].servers[j], live, nlive);
	/* what HAProxy has and the config no longer does */
	for (i = 0; i < nlive; i++) {
		const hap_backend *be = ecsfs__hap_find_backend(target, live[i].backend);
		const char *name = live[i].name;
		if (!be)
			continue; /* the backend went at the reload, with its servers */
		if (strncmp(name, HAP_TWIN_PREFIX, tl) == 0)
			name += tl;
		if (!ecsfs__hap_find_server(be, name))
			plan_del(out, be->b.name, live[i].name);
	}
}

static bool line_is(const char *line, size_t n, const char *want)
{
	return n == strlen(want) && memcmp(line, want, n) == 0;
}

bool ecsfs__hap_step_ok(const char *out)
{
	const char *line = out;
	while (*line) {
		const char *end = strchr(line, '\n');
		size_t n = end ? (size_t)(end - line) : strlen(line);
		if (n && !line_is(line, n, "New server registered.") &&
		    !line_is(line, n, "Server deleted."))
			return false;
		if (!end)
			break;
		line = end + 1;
	}
	return true;
}

ecsfs_hap_health ecsfs__hap_live_health(const hap_live *l)
{
	if (!(l->check_state & 0x02))
		return ECSFS_HAP_HEALTH_NONE;
	/* down: initial or unhealthy, which the check counters of `show
	 * stat` tell (haproxy.c) */
	return l->op_state != 0 ? ECSFS_HAP_HEALTH_HEALTHY : ECSFS_HAP_HEALTH_INITIAL;
}
