/* The path router: from a path of the tree to the route that serves it. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"

void ecsfs__dirlist_add(ecsfs__dirlist *l, const char *name, mode_t type)
{
	if (l->n == l->alloc) {
		l->alloc = l->alloc ? l->alloc * 2 : 32;
		l->types = realloc(l->types, l->alloc * sizeof(*l->types));
		if (!l->types)
			abort();
	}
	l->types[l->n++] = type;
	ecsfs_buf_add(&l->names, name, strlen(name) + 1);
}

void ecsfs__dirlist_add_files(ecsfs__dirlist *l, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ecsfs__dirlist_add(l, names[i], S_IFREG);
}

int ecsfs__file_list_cb(void *dirlist, const char *name, const ecsfs_file_meta *meta)
{
	ecsfs__dirlist_add(dirlist, name, S_IFREG);
	return 0;
}

int ecsfs__name_list_dir_cb(void *dirlist, const char *name)
{
	ecsfs__dirlist_add(dirlist, name, S_IFDIR);
	return 0;
}

void ecsfs__match_init(ecsfs__match *m)
{
	memset(m, 0, sizeof(*m));
	ecsfs_buf_init(&m->path);
	ecsfs_buf_init(&m->parent);
	ecsfs_buf_init(&m->segs);
}

void ecsfs__match_release(ecsfs__match *m)
{
	ecsfs_buf_release(&m->path);
	ecsfs_buf_release(&m->parent);
	ecsfs_buf_release(&m->segs);
}

/* Does one component match one pattern component ("*", "*.json", "status")? */
static bool seg_match(const char *pat, size_t plen, const char *seg, size_t slen)
{
	const char *star = memchr(pat, '*', plen);
	if (!star)
		return plen == slen && memcmp(pat, seg, slen) == 0;
	size_t pre = (size_t)(star - pat), post = plen - pre - 1;
	return slen > pre + post && memcmp(seg, pat, pre) == 0 &&
	       memcmp(seg + slen - post, star + 1, post) == 0;
}

bool ecsfs__pattern_match(const char *pattern, const char *path, ecsfs__match *m)
{
	const char *p = pattern, *s = path;
	int ncap = 0;
	const char *caps[ECSFS__MAX_CAPS];
	size_t caplen[ECSFS__MAX_CAPS];

	if (strcmp(pattern, "/") == 0 || strcmp(path, "/") == 0)
		return strcmp(pattern, path) == 0 ? (m ? (m->ncap = 0, true) : true) : false;
	while (*p == '/' && *s == '/') {
		p++;
		s++;
		size_t plen = strcspn(p, "/"), slen = strcspn(s, "/");
		if (slen == 0 || !seg_match(p, plen, s, slen))
			return false;
		const char *star = memchr(p, '*', plen);
		if (star) {
			/* capture what the star stands for: "web" of "web.json" */
			size_t pre = (size_t)(star - p), post = plen - pre - 1;
			if (ncap == ECSFS__MAX_CAPS)
				return false;
			caps[ncap] = s + pre;
			caplen[ncap++] = slen - pre - post;
		}
		p += plen;
		s += slen;
	}
	if (*p || *s)
		return false;
	if (m) {
		ecsfs_buf_reset(&m->segs);
		for (int i = 0; i < ncap; i++)
			ecsfs_buf_add(&m->segs, caps[i], caplen[i] + 1);
		/* the copy's separators become NULs: each capture is a C string */
		size_t off = 0;
		for (int i = 0; i < ncap; i++) {
			m->segs.data[off + caplen[i]] = '\0';
			off += caplen[i] + 1;
		}
		off = 0;
		for (int i = 0; i < ncap; i++) {
			m->cap[i] = m->segs.data + off;
			off += caplen[i] + 1;
		}
		m->ncap = ncap;
	}
	return true;
}

static const ecsfs__route *const tables[] = {
    ecsfs__routes_root,	    ecsfs__routes_taskdef, ecsfs__routes_spec,	  ecsfs__routes_cluster,
    ecsfs__routes_task,	    ecsfs__routes_service, ecsfs__routes_secret,  ecsfs__routes_lb,
    ecsfs__routes_schedule, ecsfs__routes_metrics, ecsfs__routes_scaling, ecsfs__routes_instance,
};

static const ecsfs__route *find(const char *path, ecsfs__match *m)
{
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (const ecsfs__route *r = tables[t]; r->pattern; r++)
			if (ecsfs__pattern_match(r->pattern, path, m))
				return r;
	return NULL;
}

/* "sed" and six letters or digits: sed -i's temporary file. */
static bool sed_temp(const char *name)
{
	if (strncmp(name, "sed", 3) != 0 || strlen(name) != 9)
		return false;
	for (const char *p = name + 3; *p; p++)
		if (!isalnum((unsigned char)*p))
			return false;
	return true;
}

bool ecsfs__scratch_name_ok(const ecsfs__route *dir, const char *name)
{
	size_t len = strlen(name);

	/* the top of the tree is a repository's root: README.md, .gitignore... */
	if (strcmp(dir->pattern, "/spec") == 0 || dir == &ecsfs__route_tmpdir)
		return true;
	/* directories of definitions keep only what tools make while they
	 * write one: rsync's and editors' dot-files, sed -i's sedXXXXXX, backup
	 * copies (web.json~), vim's 4913 probe, emacs's #web.json# */
	return name[0] == '.' || (len > 1 && name[len - 1] == '~') || sed_temp(name) ||
	       strcmp(name, "4913") == 0 || (len > 2 && name[0] == '#' && name[len - 1] == '#');
}

int ecsfs__route_match(const char *path, ecsfs__match *m)
{
	const char *slash;

	if (path[0] != '/' || (path[1] && path[strlen(path) - 1] == '/'))
		return -ENOENT;
	ecsfs_buf_reset(&m->path);
	ecsfs_buf_adds(&m->path, path);
	slash = strrchr(m->path.data, '/');
	m->name = slash + 1;
	ecsfs_buf_reset(&m->parent);
	if (slash == m->path.data)
		ecsfs_buf_adds(&m->parent, path[1] ? "/" : "");
	else
		ecsfs_buf_add(&m->parent, m->path.data, (size_t)(slash - m->path.data));
	m->route = find(path, m);
	if (m->route)
		return 0;
	/* An unrouted name inside a scratch directory is a scratch file. */
	if (!path[1] || m->name[0] == '\0')
		return -ENOENT;
	ecsfs__match pm;
	ecsfs__match_init(&pm);
	/* the parent may be a .~tmp~ itself, found by this same fallback */
	const ecsfs__route *parent = ecsfs__route_match(m->parent.data, &pm) == 0 ? pm.route : NULL;
	bool tmpdir = parent != &ecsfs__route_tmpdir && strcmp(m->name, ".~tmp~") == 0;
	if (parent && (parent->flags & ECSFS__R_SCRATCH_DIR) &&
	    (tmpdir || ecsfs__scratch_name_ok(parent, m->name))) {
		/* keep the parent's captures: handlers may want the cluster name */
		ecsfs_buf_reset(&m->segs);
		ecsfs_buf_add(&m->segs, pm.segs.data, pm.segs.len);
		m->ncap = pm.ncap;
		for (int i = 0; i < pm.ncap; i++)
			m->cap[i] = m->segs.data + (pm.cap[i] - pm.segs.data);
		m->route = tmpdir ? &ecsfs__route_tmpdir : &ecsfs__route_scratch;
	}
	ecsfs__match_release(&pm);
	return m->route ? 0 : -ENOENT;
}
