/*
 * The page cache for generated files. A generated file's content is made
 * at every open (DESIGN §3), so no read is ever stale; the kernel may keep
 * the bytes across opens only while they are the same. Each node remembers
 * what the kernel was last shown: the size and mtime of its attributes and
 * the hash of the content its page cache may hold. An open whose fresh
 * content is that one reads through the page cache (keep_cache: no round
 * trip for its reads); any other open reads its own snapshot directly
 * (direct_io), and the kernel is told to drop the node's attributes and
 * pages.
 *
 * What keeps the kernel's size right: every attribute reply for a
 * generated node passes through ecsfs__cache_attr(). While handles read
 * through the cache it answers their content's size and mtime (the pages
 * are theirs); otherwise the fresh content's, with a new mtime when the
 * content changed, so that the kernel (FUSE_CAP_AUTO_INVAL_DATA) drops
 * the pages of the old one. A store view's attributes are cached for
 * GEN_ATTR_TIMEOUT (other generated files' are asked for at every read:
 * their pages stay, their size is always exact); a change of the store
 * invalidates the files it touches at once (ecsfs__cache_changed), from
 * the notify thread.
 *
 * A file whose route says R_STORE_VIEW (made from the store's rows and the
 * engine's state alone) keeps a copy of what it showed and the generation
 * it was made at: the store's count of changed rows plus the invalidations
 * asked for (every subsystem's change callback and the engine's state go
 * through those). While the generation has not moved, that copy is the
 * content, and an open or a lookup needs no query at all.
 */
#include <string.h>

#include "ecsfs/util.h"
#include "fs.h"
#include "fuse_private.h"

static uint64_t content_hash(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
	return h;
}

bool ecsfs__cache_route(const ecsfs__fs *fs, const ecsfs__route *r)
{
	return fs->page_cache && r->type == S_IFREG && (r->flags & ECSFS__R_GENERATED) && r->read &&
	       !(r->flags & (ECSFS__R_APPEND | ECSFS__R_RESULT)) && (r->perm & 0444);
}

#define COPY_MAX     (64u << 10) /* larger contents are made at every open */
#define API_DRAIN_MS (100)	 /* an API answer waits this long for invalidations */

static uint64_t generation(ecsfs__fs *fs)
{
	return ecsfs_store_changes(fs->store) + fs->changes;
}

/* Is the copy of a store view the content now? */
static bool current(ecsfs__fs *fs, const ecsfs__route *r, const ecsfs__node *node)
{
	return node && node->copy && (r->flags & ECSFS__R_STORE_VIEW) &&
	       node->copy_gen == generation(fs);
}

/* `content` was made at generation `gen`: keep it, if it is a store view. */
static void keep_copy(const ecsfs__route *r, ecsfs__node *node, const ecsfs_buf *content,
		      uint64_t gen)
{
	free(node->copy);
	node->copy = NULL;
	if (!(r->flags & ECSFS__R_STORE_VIEW) || content->len > COPY_MAX)
		return;
	if (!(node->copy = malloc(content->len ? content->len : 1)))
		return; /* made again at the next open */
	memcpy(node->copy, content->data, content->len);
	node->copy_len = content->len;
	node->copy_hash = content_hash(content->data, content->len);
	node->copy_gen = gen;
}

static bool is_shown(const ecsfs__node *node, const ecsfs_buf *content)
{
	return node->shown_mtime && content->len == node->shown_len &&
	       content_hash(content->data, content->len) == node->shown_hash;
}

/* `content` is what the kernel is shown from now on: a new mtime if it
 * changed. */
static void show(ecsfs__fs *fs, ecsfs__node *node, const ecsfs_buf *content)
{
	ecsfs__nodes_add_generated(fs->nodes, node);
	if (is_shown(node, content))
		return;
	node->shown_hash = content_hash(content->data, content->len);
	node->shown_len = content->len;
	node->shown_mtime = ecsfs_now_ns();
}

bool ecsfs__cache_reuse(ecsfs__fs *fs, const ecsfs__match *m, ecsfs__node *node, ecsfs_buf *content)
{
	if (!ecsfs__cache_route(fs, m->route) || !current(fs, m->route, node))
		return false;
	ecsfs_buf_add(content, node->copy, node->copy_len);
	return true;
}

int ecsfs__cache_attr(ecsfs__fs *fs, const ecsfs__match *m, ecsfs__node *node, off_t *size,
		      int64_t *mtime)
{
	ecsfs_buf content = ECSFS_BUF_INIT;
	uint64_t gen = generation(fs);
	bool cacheable = node && ecsfs__cache_route(fs, m->route), reused;
	int r = 0;

	if (cacheable && node->cached_open) {
		/* the pages are those handles' content: show its size */
		*size = (off_t)node->shown_len;
		*mtime = node->shown_mtime;
		return 0;
	}
	reused = cacheable && ecsfs__cache_reuse(fs, m, node, &content);
	if (!reused && (r = m->route->read(fs, m, &content)) < 0)
		goto out;
	*size = (off_t)content.len;
	*mtime = ecsfs_now_ns();
	if (cacheable) {
		if (!reused)
			keep_copy(m->route, node, &content, gen);
		show(fs, node, &content);
		*mtime = node->shown_mtime;
	}
out:
	ecsfs_buf_release(&content);
	return r;
}

void ecsfs__cache_replied(ecsfs__node *node, off_t size)
{
	if (node && node->generated)
		node->shown_ok = node->shown_mtime && (size_t)size == node->shown_len;
}

/* The kernel's attributes and pages of `node` are stale: drop them. */
static void drop(void *data, ecsfs__node *node)
{
	ecsfs__fs *fs = data;
	if (!node->shown_ok)
		return; /* already dropped, and not shown since */
	node->shown_ok = false;
	ecsfs__notify_inode(fs->notify, node->ino);
}

bool ecsfs__cache_open(ecsfs__fs *fs, const ecsfs__match *m, ecsfs__node *node,
		       const ecsfs_buf *content, bool reused)
{
	bool same;

	if (!node)
		return false;
	ecsfs__nodes_add_generated(fs->nodes, node);
	if (!reused) /* made at open, at this generation */
		keep_copy(m->route, node, content, generation(fs));
	if (reused) /* the copy's hash is known */
		same = node->shown_mtime && node->copy_len == node->shown_len &&
		       node->copy_hash == node->shown_hash;
	else
		same = is_shown(node, content);
	if (same && (node->cached_open || node->shown_ok)) {
		node->cached_open++;
		return true;
	}
	if (!same)
		drop(fs, node);
	return false;
}

void ecsfs__cache_close(ecsfs__node *node)
{
	if (node && node->cached_open)
		node->cached_open--;
}

void ecsfs__cache_written(ecsfs__fs *fs, ecsfs__node *node)
{
	if (node && node->generated)
		drop(fs, node);
}

struct scope {
	ecsfs__fs *fs;
	size_t tasks_len; /* "/clusters/<c>/tasks/": other tasks' files are skipped */
	const char *tasks;
};

static void drop_in_scope(void *data, ecsfs__node *node)
{
	struct scope *s = data;
	if (s->tasks && strncmp(node->path, s->tasks, s->tasks_len) == 0)
		return;
	drop(s->fs, node);
}

void ecsfs__cache_changed(ecsfs__fs *fs, const char *cluster, const char *task)
{
	ecsfs_buf tasks = ECSFS_BUF_INIT, path = ECSFS_BUF_INIT;
	struct scope s = {fs, 0, NULL};

	fs->changes++;
	if (!cluster) { /* something every view may show (the engine's state) */
		ecsfs__nodes_each_generated(fs->nodes, "/", drop, fs);
		return;
	}
	ecsfs_buf_addf(&tasks, "/clusters/%s/tasks/", cluster);
	s.tasks = tasks.data;
	s.tasks_len = tasks.len;
	/* the cluster's own files and its services' (their counts of tasks) */
	ecsfs_buf_addf(&path, "/clusters/%s/", cluster);
	ecsfs__nodes_each_generated(fs->nodes, path.data, drop_in_scope, &s);
	if (task) {
		ecsfs_buf_addf(&tasks, "%s/", task);
		ecsfs__nodes_each_generated(fs->nodes, tasks.data, drop, fs);
	}
	ecsfs_buf_release(&tasks);
	ecsfs_buf_release(&path);
}

void ecsfs__cache_changed_path(ecsfs__fs *fs, const char *prefix)
{
	fs->changes++;
	ecsfs__nodes_each_generated(fs->nodes, prefix, drop, fs);
}

/* ---- what an API operation changed ---- */

/* The name an ARN or a reference ends with: "prod" of ".../cluster/prod",
 * "web" of "web:3" or ".../task-definition/web:3". */
static void name_of(const json_t *v, bool revision, ecsfs_buf *out)
{
	const char *s = json_string_value(v), *slash, *colon;
	size_t n;

	ecsfs_buf_reset(out);
	if (!s || !*s)
		return;
	if ((slash = strrchr(s, '/')))
		s = slash + 1;
	colon = revision ? strrchr(s, ':') : NULL;
	n = colon ? (size_t)(colon - s) : strlen(s);
	if (!strncmp(s, "arn:", 4)) /* an ARN without a '/': no name in it */
		return;
	ecsfs_buf_add(out, s, n);
}

static void families_changed(ecsfs__fs *fs, const json_t *in, ecsfs_buf *name)
{
	const json_t *v;
	size_t i;

	name_of(json_object_get(in, "family"), false, name);
	if (!name->len)
		name_of(json_object_get(in, "taskDefinition"), true, name);
	if (name->len)
		ecsfs__taskdef_changed(fs, name->data);
	json_array_foreach(json_object_get(in, "taskDefinitions"), i, v) {
		name_of(v, true, name);
		if (name->len)
			ecsfs__taskdef_changed(fs, name->data);
	}
}

void ecsfs__api_changed(void *data, const char *op, const json_t *in, const json_t *result)
{
	ecsfs__fs *fs = data;
	ecsfs_buf name = ECSFS_BUF_INIT;
	const char *arn;

	(void)result;
	if (strstr(op, "TaskDefinition")) {
		families_changed(fs, in, &name);
		goto out;
	}
	name_of(json_object_get(in, "cluster"), false, &name);
	if (!name.len)
		name_of(json_object_get(in, "clusterName"), false, &name);
	arn = json_string_value(json_object_get(in, "resourceArn"));
	if (!name.len && arn && strstr(arn, ":cluster/"))
		name_of(json_object_get(in, "resourceArn"), false, &name);
	if (!name.len && strstr(op, "Cluster"))
		ecsfs_buf_adds(&name, "default"); /* ECS's cluster when none is named */
	if (name.len && strstr(op, "Cluster"))
		ecsfs__cluster_changed(fs, name.data); /* its directories too */
	else if (name.len)
		ecsfs__cache_changed(fs, name.data, NULL);
	else /* nothing named (account settings, a default cluster): all of them */
		ecsfs__cache_changed(fs, NULL, NULL);
out:
	/* the answer goes after the kernel dropped what the change made stale */
	if (!ecsfs__notify_drain(fs->notify, API_DRAIN_MS))
		ecsfs__log("%s answers before the kernel dropped its caches (over %d ms)", op,
			   API_DRAIN_MS);
	ecsfs_buf_release(&name);
}
