/*
 * Log groups by name: those tasks write to, and those the newest ACTIVE
 * revision of each family names, so a group is there before its first
 * task (`aws logs tail GROUP --follow` can wait for it), as a group made
 * for the awslogs driver is.
 */
#include <stdlib.h>
#include <string.h>

#include "ecsfs/taskdef.h"
#include "ecsfs/util.h"
#include "model/logstream_private.h"

void ecsfs__lgroups_add(struct lgroups *g, const char *name, int64_t created_ms, uint64_t bytes)
{
	struct lgroup *e;

	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 16;
		g->v = realloc(g->v, g->cap * sizeof(*g->v));
		if (!g->v)
			abort();
	}
	e = &g->v[g->n++];
	e->name = strdup(name);
	if (!e->name)
		abort();
	e->created_ms = created_ms;
	e->bytes = bytes;
}

void ecsfs__lgroups_release(struct lgroups *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->v[i].name);
	free(g->v);
	memset(g, 0, sizeof(*g));
}

static int cmp_group(const void *a, const void *b)
{
	return strcmp(((const struct lgroup *)a)->name, ((const struct lgroup *)b)->name);
}

void ecsfs__lgroups_fold(struct lgroups *g)
{
	size_t out = 0;

	if (g->n)
		qsort(g->v, g->n, sizeof(*g->v), cmp_group);
	for (size_t i = 0; i < g->n; i++) {
		struct lgroup *last = out ? &g->v[out - 1] : NULL;
		if (last && strcmp(last->name, g->v[i].name) == 0) {
			if (g->v[i].created_ms < last->created_ms)
				last->created_ms = g->v[i].created_ms;
			last->bytes += g->v[i].bytes;
			free(g->v[i].name);
			continue;
		}
		g->v[out++] = g->v[i];
	}
	g->n = out;
}

bool ecsfs__lgroups_has(const struct lgroups *g, const char *name)
{
	for (size_t i = 0; i < g->n; i++)
		if (strcmp(g->v[i].name, name) == 0)
			return true;
	return false;
}

struct families {
	char **v;
	size_t n;
};

static int add_family(void *data, const char *name)
{
	struct families *f = data;
	char **grown = realloc(f->v, (f->n + 1) * sizeof(*f->v));
	if (!grown || !(grown[f->n] = strdup(name)))
		abort();
	f->v = grown;
	f->n++;
	return 0;
}

/* The groups of one revision's containers. */
static void revision_groups(const char *family, const json_t *td, struct lgroups *g)
{
	ecsfs_buf name = ECSFS_BUF_INIT;
	const char *at = json_string_value(json_object_get(td, "registeredAt"));
	int64_t ns = 0;
	size_t i;
	json_t *d;

	if (at)
		ecsfs_time_parse(at, strlen(at), 0, &ns);
	json_array_foreach(json_object_get(td, "containerDefinitions"), i, d) {
		const char *ctr = json_string_value(json_object_get(d, "name"));
		if (!ctr)
			continue;
		ecsfs_buf_reset(&name);
		ecsfs__lgroup_of(td, family, ctr, &name);
		ecsfs__lgroups_add(g, name.data, ns / 1000000, 0);
	}
	ecsfs_buf_release(&name);
}

void ecsfs__lgroups_from_taskdefs(ecsfs_store *s, struct lgroups *g)
{
	struct families f = {0};
	ecsfs_err e = ECSFS_ERR_INIT;

	ecsfs_store_taskdef_families(s, add_family, &f);
	for (size_t i = 0; i < f.n; i++) {
		json_t *td = NULL;
		ecsfs_err_reset(&e);
		if (ecsfs_taskdef_describe(s, f.v[i], 0, &td, &e) == 0)
			revision_groups(f.v[i], td, g);
		json_decref(td);
		free(f.v[i]);
	}
	free(f.v);
	ecsfs_err_release(&e);
}
